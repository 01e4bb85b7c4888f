#!/bin/sh
# Replay every fuzz corpus through its harness (built without libFuzzer): no crash, no sanitizer report.
. "$srcdir/lib/tap.sh"
for t in json b64url jws jwks config gs2 http cache pamopts token_response introspect discovery; do
	set -- "$srcdir/fuzz/corpus/$t"/*
	if "$top_builddir/tests/fuzz/regress_$t" "$@" >/dev/null 2>&1; then ok "fuzz corpus $t ($# inputs)"
	else not_ok "fuzz corpus $t"; fi
done
done_testing
