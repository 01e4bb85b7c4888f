# Minimal TAP helpers for integration scripts (sourced).  Each script prints a plan at the end.
tap_n=0
tap_failed=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $* # SKIP"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
diag() { echo "# $*"; }
done_testing() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }
# Skip the whole script: a missing component.  Under scripts/test (CCAUTH_TEST_STRICT=1) every
# component is installed by the project's own scripts, so a skip there is a set-up bug: fail.
bail_skip_all() {
	if [ "${CCAUTH_TEST_STRICT:-0}" = 1 ]; then
		echo "not ok 1 - required component missing: $*"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}
