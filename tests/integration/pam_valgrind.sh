#!/bin/sh
# valgrind on the PAM driver: 1,000 pam_start -> pam_authenticate -> pam_acct_mgmt -> pam_end
# cycles (and 100 refusals) with pam_ccauth.so: no memory errors, 0 bytes definitely or indirectly
# lost.  About 30 s.
. "$top_srcdir/tests/lib/tap.sh"

driver="$top_builddir/tests/pam/pam_driver"
[ -x "$driver" ] || bail_skip_all "pam_driver not built"
command -v valgrind >/dev/null 2>&1 || bail_skip_all "valgrind not installed"
n=${PAM_VALGRIND_N:-1000}
log=$(mktemp "${TMPDIR:-/tmp}/ccauth-pamvg.XXXXXX")
trap 'rm -f "$log"' EXIT

valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--error-exitcode=99 --log-file="$log" "$driver" --loop "$n" >"$log.tap" 2>&1
st=$?
check "driver ran $n authentications under valgrind (exit $st)" [ $st -eq 0 ]
check "  every result as expected" grep -q "^ok 1 - $n authentications, 0 unexpected results" "$log.tap"
def=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log")
ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log")
# no leak summary at all means nothing was allocated at exit, i.e. nothing lost
check "  definitely lost: ${def:-0} bytes" [ "${def:-0}" = 0 ]
check "  indirectly lost: ${ind:-0} bytes" [ "${ind:-0}" = 0 ]
check "  no memory errors" grep -q "ERROR SUMMARY: 0 errors" "$log"
[ $st -eq 0 ] || sed 's/^/# /' "$log" | head -60
rm -f "$log.tap"
done_testing
