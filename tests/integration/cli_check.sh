#!/bin/sh
# ccauth discover and ccauth check against the real AS (oidc-provider) and the fault server:
# both discovery forms, JSON output, exit codes (unreachable, wrong CA, issuer mismatch, usage);
# check with a good config (only ok lines), a loose secret file, an AS that is down, a skewed
# Date header, a short-lived certificate, --token (issued, refused), and never a secret or token.
set -u
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
as_require
CCAUTH="$top_builddir/tools/ccauth"
[ -x "$CCAUTH" ] || bail_skip_all "ccauth not built"
as_init
as_setup_ca "$AS_DIR/ca" || bail_skip_all "openssl could not make the test CA"
CA="$AS_DIR/ca"
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY CCAUTH_CONF

# The AS gets a server certificate valid for 400 days (the test CA's leaves live 30 days, which
# check rightly warns about; the fault server keeps one of those to test that warning).
mkdir -p "$AS_DIR/long"
openssl req -new -key "$CA/server.key" -subj /CN=127.0.0.1 -out "$AS_DIR/long/server.csr" 2>>"$CA/openssl.err" &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		>"$AS_DIR/long/ext" &&
	openssl x509 -req -in "$AS_DIR/long/server.csr" -CA "$CA/ca.crt" -CAkey "$CA/ca.key" -CAcreateserial \
		-days 400 -extfile "$AS_DIR/long/ext" -out "$AS_DIR/long/server.crt" 2>>"$CA/openssl.err" ||
	bail_skip_all "openssl could not make a long-lived server certificate"
cp "$CA/server.crt" "$AS_DIR/long/server-30d.crt"
cp "$AS_DIR/long/server.crt" "$CA/server.crt"

PA=$(as_free_port)
PB=$(as_free_port)
F=$(as_free_port)
FU=$(as_free_port)
DEAD=$(as_free_port)
AS_PATH=/tenant1 as_start a "$PA" || bail_skip_all "AS a did not start"
AS_PATH=/tenant2 AS_RFC8414=0 as_start b "$PB" || bail_skip_all "AS b did not start"
# the fault server: the 30-day certificate again
cp "$AS_DIR/long/server-30d.crt" "$CA/server.crt"
fault_start "$F" "" "$FU" || bail_skip_all "fault server did not start"
cp "$AS_DIR/long/server.crt" "$CA/server.crt"
IA="https://127.0.0.1:$PA/tenant1"
IB="https://127.0.0.1:$PB/tenant2"
FI="https://127.0.0.1:$F"
W="$AS_DIR/w"
mkdir -p "$W"
umask 077

# run ARGS...: stdout in $out, stderr in $err, exit status in $rc
run() {
	out=$("$CCAUTH" "$@" 2>"$W/stderr")
	rc=$?
	err=$(cat "$W/stderr")
}
show() {
	diag "exit $rc"
	printf '%s\n' "$out" | sed 's/^/# out: /'
	printf '%s\n' "$err" | sed 's/^/# err: /'
}
# expect DESCRIPTION RC PATTERN: exit status and a glob on stdout
expect() {
	case $out in
	$3) if [ "$rc" -eq "$2" ]; then ok "$1"; else not_ok "$1 (exit $rc, want $2)"; show; fi ;;
	*) not_ok "$1"; show ;;
	esac
}
# expect_err DESCRIPTION RC PATTERN: exit status and a glob on stderr
expect_err() {
	case $err in
	$3) if [ "$rc" -eq "$2" ]; then ok "$1"; else not_ok "$1 (exit $rc, want $2)"; show; fi ;;
	*) not_ok "$1"; show ;;
	esac
}
json_get() { # KEY: from $out
	printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v===null?"null":v)})' "$1"
}
lines() { printf '%s\n' "$out" | grep -c "^$1: " || :; }

# --- discover ------------------------------------------------------------------------------------
run discover --ca-file "$CA/ca.crt" "$IA"
expect "discover: RFC 8414 path insertion, exit 0" 0 "{*}"
check "discover: issuer, endpoints and the URL that answered" [ \
	"$(json_get issuer) $(json_get token_endpoint) $(json_get jwks_uri) $(json_get introspection_endpoint) $(json_get discovery_url) $(json_get discovery)" = \
	"$IA $IA/token $IA/jwks $IA/token/introspection https://127.0.0.1:$PA/.well-known/oauth-authorization-server/tenant1 rfc8414" ]
run discover --ca-file "$CA/ca.crt" "$IB"
expect "discover: OIDC fallback (RFC 8414 form switched off), exit 0" 0 "{*}"
check "discover: reports the OIDC URL" [ "$(json_get issuer) $(json_get discovery_url) $(json_get discovery)" = \
	"$IB $IB/.well-known/openid-configuration oidc" ]
run discover --ca-path "$CA/capath" "$FI/no-jwks"
expect "discover: absent member is null (hashed CApath)" 0 "{*}"
check "discover: jwks_uri null" [ "$(json_get jwks_uri)" = null ]
run discover --ca-file "$CA/ca.crt" "https://127.0.0.1:$DEAD/x"
expect_err "discover: unreachable port exits 3" 3 "ccauth: unavailable: 127.0.0.1:$DEAD: cannot connect"
check "discover: nothing on stdout on failure" [ -z "$out" ]
run discover "$IA"
expect_err "discover: test CA not in the default store, exit 3" 3 "ccauth: unavailable: 127.0.0.1:$PA: TLS certificate not trusted (*)"
run discover --ca-file "$CA/other-ca.crt" "$IA"
expect_err "discover: wrong CA file, exit 3" 3 "ccauth: unavailable: 127.0.0.1:$PA: TLS certificate not trusted (*)"
run discover --ca-file "$CA/ca.crt" "https://127.0.0.1:$FU"
expect_err "discover: server certificate from an unknown CA, exit 3" 3 "ccauth: unavailable: 127.0.0.1:$FU: TLS certificate not trusted (*)"
run discover --ca-file "$CA/ca.crt" "$FI/mismatch"
expect_err "discover: issuer mismatch is nonsense, exit 3" 3 "ccauth: unavailable: metadata: issuer in the document differs from $FI/mismatch (RFC 8414 form: metadata: issuer in the document differs *)"
run discover --ca-file "$CA/ca.crt" "https://127.0.0.1:$PA/tenant9"
expect_err "discover: unknown issuer path (404 on both forms), exit 3" 3 "ccauth: unavailable: 127.0.0.1:$PA: HTTP 404 (RFC 8414 form: 127.0.0.1:$PA: HTTP 404)"
run discover --ca-file "$CA/ca.crt" "$FI/garbage"
expect_err "discover: garbage document, exit 3" 3 "ccauth: unavailable: metadata: not JSON*"
run discover "http://127.0.0.1:$PA/tenant1"
expect_err "discover: http URL is a usage error, exit 2" 2 "ccauth: discover: issuer is not an https URL*"
run discover
expect_err "discover: no URL, exit 2" 2 "ccauth: discover: one issuer URL expected*"
run discover --ca-file "$CA/ca.crt" --timeout 0 "$IA"
expect_err "discover: bad timeout, exit 2" 2 "ccauth: discover: --timeout*"
t0=$(date +%s)
run discover --ca-file "$CA/ca.crt" --timeout 1 "$FI/slow"
t1=$(date +%s)
expect_err "discover: slow server times out, exit 3" 3 "ccauth: unavailable: 127.0.0.1:$F: timed out*"
check "discover: bounded by --timeout ($((t1 - t0)) s)" [ $((t1 - t0)) -le 2 ]
# CA and timeout from the configuration when it loads
printf '[global]\nca_file = %s\ntimeout = 3\n' "$CA/ca.crt" >"$W/ca.conf"
chmod 600 "$W/ca.conf"
run -c "$W/ca.conf" discover "$IA"
expect "discover: ca_file from -c FILE" 0 "{*\"issuer\": \"$IA\"*}"

# --- check: a good configuration ------------------------------------------------------------------
printf 'secret-a\n' >"$W/a.secret"
printf 'rs-secret' >"$W/rs.secret"
conf() { # FILE: [global] with the test CA; sections on stdin
	{
		printf '[global]\nca_path = %s\ncache_dir = %s\ntimeout = 3\nclock_skew = %s\n' "$CA/capath" "$W/cache" \
			"${SKEW:-60}"
		cat
	} >"$1"
	chmod 600 "$1"
}
conf "$W/good.conf" <<EOF
[client a]
issuer = $IA
client_id = service-a
client_secret_file = $W/a.secret
scope = ldap.read

[client rs]
issuer = $IA
client_id = rs
client_secret_file = $W/rs.secret

[issuer a]
issuer = $IA
audience = urn:test:rs256
introspection_client = rs
algorithms = RS256 ES256

[issuer b]
issuer = $IB
audience = urn:test:rs256
introspect = never
EOF
t0=$(date +%s%N)
run -c "$W/good.conf" check
t1=$(date +%s%N)
expect "check: good config, exit 0" 0 "ok: config $W/good.conf: loaded (mode 0600, *"
diag "check with 2 issuers and 2 clients on 2 servers: $(((t1 - t0) / 1000000)) ms, $(printf '%s\n' "$out" | wc -l) lines"
check "check: only ok lines ($(lines ok) ok)" [ "$(lines warn)/$(lines fail)/$(printf '%s\n' "$out" | grep -vc '^ok: ')" = 0/0/0 ]
[ "$(lines warn)/$(lines fail)" = 0/0 ] || show
for pat in \
	"ok: client a: client_secret_file $W/a.secret: mode 0600, owner uid $(id -u), readable" \
	"ok: cache_dir $W/cache: usable ($W/cache/uid-$(id -u) mode 0700, *" \
	"ok: discovery of $IA: metadata from the rfc8414 form" \
	"ok: discovery of $IB: metadata from the oidc form" \
	"ok: issuer a: jwks_uri $IA/jwks: 2 usable keys (2 for the configured algorithms, 0 skipped)" \
	"ok: issuer a: algorithms: RS256 ES256" \
	"ok: issuer a: introspection endpoint $IA/token/introspection: reachable (HTTP *" \
	"ok: issuer a: audience: 1 value configured" \
	"ok: issuer b: introspect = never" \
	"ok: client a: token endpoint $IA/token: reachable (HTTP *" \
	"ok: clock: the Date header of 127.0.0.1:$PA is * s * the local clock (clock_skew 60 s)" \
	"ok: certificate of 127.0.0.1:$PA: valid until * (399 days)"; do
	if printf '%s\n' "$out" | while IFS= read -r l; do case $l in $pat) exit 0 ;; esac; done; then
		ok "check: line \"$pat\""
	else
		not_ok "check: line \"$pat\""
	fi
done
check "check: no token requested without --token" [ "$(as_count a token)" = 0 ]
check "check: one clock line per server" [ "$(printf '%s\n' "$out" | grep -c '^ok: clock: ')" = 2 ]

run -c "$W/good.conf" check --token
printf '%s\n' "$out" | grep ': token ' | sed 's/^/# /'
expect "check --token: exit 0" 0 "*ok: client a: token issued (lifetime 600 s, scope ldap.read)*"
check "check --token: one grant per client" [ "$(as_count a token)" = 2 ]
check "check --token: no token file in the cache" [ -z "$(find "$W/cache" -type f ! -name '*.lock')" ]
printf 'wrong-secret-XYZZY\n' >"$W/a.secret"
run -c "$W/good.conf" check --token
expect "check --token: refused secret is a fail line with the AS error, exit 1" 1 \
	"*fail: client a: token: AS refused: invalid_client*"
case "$out$err" in
*XYZZY* | *rs-secret* | *eyJ*) not_ok "check: no secret or token in the output" ;;
*) ok "check: no secret or token in the output" ;;
esac
printf 'secret-a\n' >"$W/a.secret"

# --- check: findings that fail --------------------------------------------------------------------
chmod 644 "$W/a.secret"
run -c "$W/good.conf" check
expect "check: world-readable secret file: a fail line for that [client] with the fix, exit 1" 1 \
	"*fail: client a: client_secret_file $W/a.secret is readable or writable by others (mode 0644): chmod o-rwx it*"
check "check: the config still loads and every other line is ok" \
	[ "$(lines fail)/$(lines ok)" = "1/$(($(printf '%s\n' "$out" | wc -l) - 1))" ]
# a secret fit for another user only (owned by it): a warning, since that user may be the one using
# the section (#8: a credential is judged by the process that uses it)
if [ "$(id -u)" -eq 0 ]; then
	chmod 600 "$W/a.secret"
	chown 12345 "$W/a.secret"
	run -c "$W/good.conf" check
	expect "check: another user's secret: a warn line naming the owner, exit 0" 0 \
		"*warn: client a: client_secret_file $W/a.secret is owned by uid 12345, not root or this process's uid 0*"
	chown 0 "$W/a.secret"
else
	skip "check: another user's secret (needs root)"
fi
chmod 600 "$W/a.secret"

chmod 666 "$W/good.conf"
run -c "$W/good.conf" check
expect "check: world-writable config: fail line, exit 1" 1 "fail: config: *$W/good.conf*"
chmod 600 "$W/good.conf"

run -c "$W/nonexistent.conf" check
expect "check: missing config: fail line, exit 1" 1 "fail: config: *$W/nonexistent.conf*"

run -c "$W/good.conf" check extra
expect_err "check: an argument is a usage error, exit 2" 2 "ccauth: check: no arguments expected*"

as_stop b
run -c "$W/good.conf" check
expect "check: AS b down: exit 1" 1 "*fail: issuer b: discovery of $IB: 127.0.0.1:$PB: cannot connect*"
check "check: AS a still all ok" [ "$(printf '%s\n' "$out" | grep -c '^fail: ')" = 2 ]
expect "check: AS b down: the keys fail too, without asking again" 1 \
	"*fail: issuer b: no jwks_uri (not configured, no metadata)*"

# skewed clock and a 30-day certificate on the fault server; jwks_file keys; no audience
"$CCAUTH" discover --ca-file "$CA/ca.crt" "$FI" >/dev/null 2>&1
curl -sf --cacert "$CA/ca.crt" "$FI/jwks" >"$W/fault.jwks"
SKEW=100 conf "$W/fault.conf" <<EOF
[issuer skewed]
issuer = $FI/skewed
introspect = never
allowed_client_ids = svc-f

[issuer static]
issuer = https://static.invalid
jwks_file = $W/fault.jwks
introspect = never
audience = x
algorithms = RS256
EOF
run -c "$W/fault.conf" check
expect "check: Date 200 s ahead, clock_skew 100: fail, exit 1" 1 \
	"*fail: clock: the Date header of 127.0.0.1:$F is [12]?? s ahead of the local clock (clock_skew 100 s)*"
expect "check: 30-day certificate: warning" 1 "*warn: certificate of 127.0.0.1:$F: valid until * (29 days)*"
expect "check: no audience: warning" 1 "*warn: issuer skewed: no audience: an allowed client's token meant for another service is accepted here*"
expect "check: jwks_file keys counted" 1 "*issuer static: jwks_file $W/fault.jwks: 1 usable key*"
expect "check: no key for the allowed algorithms: fail" 1 \
	"*fail: issuer static: jwks_file $W/fault.jwks: 1 usable key, none for the configured algorithms*"
check "check: jwks_file issuer needs no network (no discovery line)" [ "$(printf '%s\n' "$out" | grep -c 'static.invalid')" = 0 ]
SKEW=300 conf "$W/fault.conf" <<EOF
[issuer skewed]
issuer = $FI/skewed
introspect = never
audience = x
EOF
run -c "$W/fault.conf" check
expect "check: Date 200 s ahead, clock_skew 300: warning only, exit 0" 0 \
	"*warn: clock: the Date header of 127.0.0.1:$F is [12]?? s ahead of the local clock (clock_skew 300 s)*"
# what each profile risks: keys from a file and no introspection, so no network
printf 'a b\n' >"$W/users.map"
chmod 600 "$W/users.map"
: >"$W/empty.map"
chmod 600 "$W/empty.map"
conf "$W/profiles.conf" <<EOF
[issuer entra-common]
profile = entra
issuer = https://login.microsoftonline.com/common/v2.0
jwks_file = $W/fault.jwks
introspect = never
audience = api://x
[issuer entra-ok]
profile = entra
issuer = https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/v2.0
jwks_file = $W/fault.jwks
introspect = never
audience = api://x
username_map = $W/users.map
[issuer kc]
profile = keycloak
issuer = https://sso.example.com/realms/corp
jwks_file = $W/fault.jwks
introspect = never
allowed_client_ids = backup-agent
[issuer okta-org]
profile = okta
issuer = https://dev-1.okta.com
jwks_file = $W/fault.jwks
introspect = never
audience = api://x
[issuer cognito-aud]
profile = cognito
issuer = https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC
jwks_file = $W/fault.jwks
introspect = never
audience = x
allowed_client_ids = c
username_map = $W/empty.map
[issuer auth0]
profile = auth0
issuer = https://t.eu.auth0.com
jwks_file = $W/fault.jwks
introspect = never
audience = x
EOF
run -c "$W/profiles.conf" check
expect "check: entra common endpoint: fail" 1 "*fail: issuer entra-common: a multi-tenant endpoint (common, organizations, consumers)*"
check "check: entra tenant issuer: no issuer warning" [ "$(printf '%s\n' "$out" | grep -c '^[wf][a-z]*: issuer entra-ok:')" = 0 ]
expect "check: username_map counted" 1 "*ok: issuer entra-ok: username_map $W/users.map: 1 value mapped*"
expect "check: keycloak without audience: warning" 1 "*warn: issuer kc: no audience: Keycloak puts no aud*"
expect "check: okta org server: warning" 1 "*warn: issuer okta-org: the org authorization server*"
expect "check: cognito with audience: warning" 1 "*warn: issuer cognito-aud: audience is set, but Cognito access tokens have no aud*"
expect "check: empty username_map: warning" 1 "*warn: issuer cognito-aud: username_map $W/empty.map: 0 values mapped: every token is refused*"
expect "check: auth0 issuer without /: warning" 1 "*warn: issuer auth0: Auth0 issuers end with '/'*"
expect "check: profile named" 1 "*ok: issuer kc: profile keycloak*"
curl -sf --cacert "$CA/ca.crt" -X POST "$FI/jwks-down?on=1" >/dev/null
run -c "$W/fault.conf" check
expect "check: JWKS answering 503: fail, exit 1" 1 "*fail: issuer skewed: jwks_uri $FI/jwks: 127.0.0.1:$F: HTTP 503*"

done_testing
