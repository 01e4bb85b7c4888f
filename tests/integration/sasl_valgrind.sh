#!/bin/sh
# The in-process SASL driver (sasl/test_sasl: every mechanism path, malformed messages, proxy
# cases) under valgrind: no invalid access and no definite or indirect leak, with libsasl loading
# and freeing the plugin in every test.
. "$srcdir/lib/tap.sh"
command -v valgrind >/dev/null 2>&1 || bail_skip_all "valgrind not found"
drv="$top_builddir/tests/sasl/test_sasl"
[ -x "$drv" ] || bail_skip_all "tests/sasl/test_sasl not built"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

CMOCKA_MESSAGE_OUTPUT=TAP valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$log" "$drv" >"$log.out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	ok "test_sasl under valgrind: all cases pass, no errors, no leaks"
else
	not_ok "test_sasl under valgrind: exit $rc"
	sed 's/^/# /' "$log" | head -40
	grep '^not ok' "$log.out" | sed 's/^/# /'
fi
[ -s "$log" ] && not_ok "valgrind reported something" || ok "valgrind log empty"
rm -f "$log.out"
done_testing
