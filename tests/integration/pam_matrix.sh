#!/bin/sh
# pam_ccauth.so through the real libpam (tests/pam/pam_driver, pam_start_confdir): the return-code
# matrix.  Starts the test AS for mode=secret when node and its packages are there.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/as.sh"

driver="$top_builddir/tests/pam/pam_driver"
[ -x "$driver" ] || bail_skip_all "pam_driver not built"

as_init
if command -v node >/dev/null 2>&1 && [ -d "$as_tools/node_modules/oidc-provider" ]; then
	port=$(as_free_port)
	if as_start pam "$port" >"$AS_DIR/start.out" 2>&1 &&
		curl -sf --cacert "$AS_DIR/ca/ca.crt" -o "$AS_DIR/as-jwks.json" "https://127.0.0.1:$port/jwks"; then
		PAM_TEST_AS_ISSUER="https://127.0.0.1:$port"
		PAM_TEST_AS_JWKS="$AS_DIR/as-jwks.json"
		PAM_TEST_AS_CA="$AS_DIR/ca/ca.crt"
		export PAM_TEST_AS_ISSUER PAM_TEST_AS_JWKS PAM_TEST_AS_CA
		# a token from the AS for the warm-disk-cache case; the driver stops the AS (pid) itself
		PAM_TEST_AS_TOKEN=$(curl -sf --cacert "$AS_DIR/ca/ca.crt" -u service-a:secret-a -d grant_type=client_credentials \
			-d scope=ldap.read "https://127.0.0.1:$port/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
		PAM_TEST_AS_PID=$(cat "$AS_DIR/pam.pid")
		export PAM_TEST_AS_TOKEN PAM_TEST_AS_PID
	else
		sed 's/^/# /' "$AS_DIR/start.out"
	fi
fi
"$driver"
