#!/bin/sh
# common/http and common/discovery against the real AS (oidc-provider, two issuers with paths) and
# the fault server: both discovery forms, issuer mismatch, disk and memory caches, stale fallback,
# 500, timeout bound, garbage, wrong content type, 10 MiB, redirect, TLS name and CA failures,
# CA options, proxy from the environment ignored, client certificate and Basic auth on POST.
set -u
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
as_require
probe="$top_builddir/tests/http_probe"
[ -x "$probe" ] || bail_skip_all "http_probe not built"
as_init
as_setup_ca "$AS_DIR/ca" || { sed "s/^/# /" "$AS_DIR/ca/openssl.err"; bail_skip_all "openssl could not make the test CA"; }
CA="$AS_DIR/ca/ca.crt"
CAPATH="$AS_DIR/ca/capath"
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

PA=$(as_free_port)
PB=$(as_free_port)
F=$(as_free_port)
FW=$(as_free_port)
FU=$(as_free_port)
AS_PATH=/tenant1 as_start a "$PA" || bail_skip_all "AS a did not start"
AS_PATH=/tenant2 AS_RFC8414=0 as_start b "$PB" || bail_skip_all "AS b did not start"
fault_start "$F" "$FW" "$FU" || bail_skip_all "fault server did not start"
IA="https://127.0.0.1:$PA/tenant1"
IB="https://127.0.0.1:$PB/tenant2"
FI="https://127.0.0.1:$F"

# run NAME ARGS...: probe output in $out, exit status in $rc
run() {
	out=$("$probe" "$@" 2>"$AS_DIR/probe.err")
	rc=$?
}
# expect DESCRIPTION PATTERN: ok when $out matches the glob pattern
expect() {
	case $out in
	$2) ok "$1" ;;
	*)
		not_ok "$1"
		diag "got: $out (exit $rc)"
		sed 's/^/# stderr: /' "$AS_DIR/probe.err"
		;;
	esac
}
stat_count() { # PATH: requests the fault server saw for it
	curl -sf --cacert "$CA" "$FI/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]||0))' "$1"
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- discovery against the real AS -------------------------------------------------------------
run --ca-file "$CA" discover "$IA"
expect "RFC 8414 path insertion (real AS)" "ok from=network issuer=$IA token_endpoint=$IA/token jwks_uri=$IA/jwks introspection_endpoint=$IA/token/introspection"
run --ca-file "$CA" discover "$IB"
expect "OIDC fallback when the RFC 8414 form is missing (real AS)" "ok from=network issuer=$IB token_endpoint=$IB/token jwks_uri=$IB/jwks *"
run --ca-file "$CA" discover "https://127.0.0.1:$PA/tenant9"
expect "unknown issuer path: unavailable" "error unavailable: 127.0.0.1:$PA: HTTP 404"
check "unavailable exits with 10 + CCAUTH_E_UNAVAILABLE" [ "$rc" -eq 25 ]

# --- discovery against the fault server --------------------------------------------------------
run --ca-path "$CAPATH" discover "$FI"
expect "root issuer via RFC 8414 (hashed CApath)" "ok from=network issuer=$FI token_endpoint=$FI/token jwks_uri=$FI/jwks introspection_endpoint=$FI/introspect"
check "root issuer: OIDC URL not asked" [ "$(stat_count /.well-known/openid-configuration)" = 0 ]
run --ca-file "$CA" discover "$FI/oidc-only"
expect "OIDC fallback (fault server)" "ok from=network issuer=$FI/oidc-only *"
check "fallback asked each URL once" [ "$(stat_count /.well-known/oauth-authorization-server/oidc-only)/$(stat_count /oidc-only/.well-known/openid-configuration)" = 1/1 ]
run --ca-file "$CA" discover "$FI/mismatch"
expect "issuer mismatch refused" "error config: metadata: issuer in the document differs from $FI/mismatch"
run --ca-file "$CA" discover "$FI/http-jwks"
expect "http jwks_uri refused" "error unavailable: metadata: jwks_uri is not an https URL"
run --ca-file "$CA" discover "$FI/no-jwks"
expect "document without jwks_uri accepted, reported absent" "ok from=network issuer=$FI/no-jwks token_endpoint=$FI/token jwks_uri=- *"
run --ca-file "$CA" discover "$FI/garbage"
expect "garbage metadata refused" "error unavailable: metadata: not JSON"
run --ca-file "$CA" discover "$FI/wrong-type"
expect "metadata with a wrong content type refused" "error unavailable: 127.0.0.1:$F: HTTP 200 with a content type that is not JSON"
run --ca-file "$CA" discover "$FI/500"
expect "metadata 500 refused" "error unavailable: 127.0.0.1:$F: HTTP 500"
run --ca-file "$CA" discover "$FI/redirect"
expect "metadata redirect refused" "error unavailable: 127.0.0.1:$F: redirect refused (HTTP 302)"
check "redirect not followed" [ "$(stat_count /ok)" = 0 ]
t0=$(date +%s.%N)
run --ca-file "$CA" --timeout 2 discover "$FI/slow"
t1=$(date +%s.%N)
expect "slow metadata: timeout" "error unavailable: 127.0.0.1:$F: timed out*"
# the upper bound is about promptness: CCAUTH_TEST_SLOWDOWN (the sanitizer build) widens it
check "slow: timed out no sooner than 2 s and within 2 + ${CCAUTH_TEST_SLOWDOWN:-1} s ($(elapsed "$t0" "$t1") s)" \
	awk -v d="$(elapsed "$t0" "$t1")" -v k="${CCAUTH_TEST_SLOWDOWN:-1}" 'BEGIN { exit !(d >= 1.9 && d < 2 + k) }'
check "slow: no second URL after a timeout" [ "$(stat_count /.well-known/oauth-authorization-server/slow)/$(stat_count /slow/.well-known/openid-configuration)" = 1/0 ]

# --- caches ------------------------------------------------------------------------------------
CD="$AS_DIR/cache"
run --ca-file "$CA" discover "$FI" "$FI"
expect "second lookup in one process from memory" "ok from=network *
ok from=memory issuer=$FI *"
n0=$(stat_count /.well-known/oauth-authorization-server)
run --ca-file "$CA" --cache "$CD" discover "$IA"
expect "first process fetches and stores" "ok from=network issuer=$IA *"
run --ca-file "$CA" --cache "$CD" discover "$IA"
expect "second process reads the disk cache" "ok from=disk issuer=$IA token_endpoint=$IA/token *"
uid=$(id -u)
check "cache dir 0700, file 0600" [ "$(stat -c %a "$CD/uid-$uid")/$(stat -c %a "$CD/uid-$uid"/* | sort -u)" = "700/600" ]
# an expired entry for an AS that is down: used while within the stale window, not after
DEAD=$(as_free_port)
DI="https://127.0.0.1:$DEAD"
doc="{\"issuer\":\"$DI\",\"jwks_uri\":\"$DI/jwks\"}"
name=$(printf 'discovery\n%s' "$DI" | sha256sum | cut -c1-64)
now=$(date +%s)
printf 'CCAUTH-CACHE 1 %s %s %s\n%s' $((now - 10)) $((now + 1000)) ${#doc} "$doc" >"$CD/uid-$uid/$name"
chmod 600 "$CD/uid-$uid/$name"
run --ca-file "$CA" --cache "$CD" --max-stale 3600 discover "$DI"
expect "AS down: expired metadata used within max_stale" "ok from=stale issuer=$DI token_endpoint=- jwks_uri=$DI/jwks *"
run --ca-file "$CA" --cache "$CD" discover "$DI"
expect "AS down, max_stale 0: unavailable" "error unavailable: 127.0.0.1:$DEAD: cannot connect"
chmod 644 "$CD/uid-$uid/$name"
run --ca-file "$CA" --cache "$CD" --max-stale 3600 discover "$DI"
expect "cache file with a loose mode refused" "error unavailable: 127.0.0.1:$DEAD: cannot connect"
check "refused cache file removed" [ ! -e "$CD/uid-$uid/$name" ]

# --- http rules --------------------------------------------------------------------------------
run --ca-file "$CA" get "$FI/ok?max_age=77"
expect "200 JSON with Date and max-age" "ok status=200 len=11 max_age=77 date=yes type=application/json body={\"ok\":true}"
run --ca-file "$CA" get "$FI/garbage"
expect "http layer returns a 200 JSON-typed body as is" "ok status=200 *"
run --ca-file "$CA" get "$FI/wrong-type"
expect "wrong content type refused" "error unavailable: 127.0.0.1:$F: HTTP 200 with a content type that is not JSON"
t0=$(date +%s.%N)
run --ca-file "$CA" get "$FI/big"
expect "10 MiB body with Content-Length refused" "error unavailable: 127.0.0.1:$F: response larger than 262144 bytes"
run --ca-file "$CA" get "$FI/big-chunked"
t1=$(date +%s.%N)
expect "10 MiB chunked body refused" "error unavailable: 127.0.0.1:$F: response larger than 262144 bytes"
check "big bodies aborted early ($(elapsed "$t0" "$t1") s)" awk -v d="$(elapsed "$t0" "$t1")" \
	-v k="${CCAUTH_TEST_SLOWDOWN:-1}" 'BEGIN { exit !(d < 2 * k) }'
run --ca-file "$CA" get "$FI/redirect"
expect "redirect refused" "error unavailable: 127.0.0.1:$F: redirect refused (HTTP 302)"
run --ca-file "$CA" get "http://127.0.0.1:$F/ok"
expect "http:// refused before any I/O" "error config: URL is not https"
run --ca-file "$CA" get "https://127.0.0.1:$FW/ok"
expect "wrong host name refused" "error unavailable: 127.0.0.1:$FW: TLS certificate does not match the host name"
run --ca-file "$CA" get "https://127.0.0.1:$FU/ok"
expect "unknown CA refused" "error unavailable: 127.0.0.1:$FU: TLS certificate not trusted (*)"
run get "$FI/ok"
expect "test CA not in the default store" "error unavailable: 127.0.0.1:$F: TLS certificate not trusted (*)"
run --ca-path "$CAPATH" get "$FI/ok"
expect "hashed CApath accepted" "ok status=200 *"

# environment proxies are ignored unless proxy = env
PX=$(as_free_port)
out=$(https_proxy="http://127.0.0.1:$PX" HTTPS_PROXY="http://127.0.0.1:$PX" "$probe" --ca-file "$CA" get "$FI/ok" 2>&1)
rc=$?
expect "environment proxy ignored by default" "ok status=200 *"
out=$(https_proxy="http://127.0.0.1:$PX" "$probe" --ca-file "$CA" --proxy env get "$FI/ok" 2>&1)
rc=$?
expect "proxy = env uses it (dead proxy: unavailable)" "error unavailable: *"
run --ca-file "$CA" --proxy "http://127.0.0.1:$PX" get "$FI/ok"
expect "explicit proxy used" "error unavailable: *"

# --- POST: OAuth errors come back with the body; credentials on the wire ------------------------
run --ca-file "$CA" post "$FI/401" "a=b"
expect "401 JSON returned as denied with its body" "denied status=401 * body={\"error\":\"invalid_client\"*"
check "denied exits with 10 + CCAUTH_E_DENIED" [ "$rc" -eq 26 ]
run --ca-file "$CA" post "$FI/500" "a=b"
expect "POST 500: unavailable" "error unavailable: 127.0.0.1:$F: HTTP 500"
basic=$(printf 'service-a:secret-a' | base64)
run --ca-file "$CA" post "$IA/token" "grant_type=client_credentials&scope=imap" "Basic $basic"
expect "POST with an Authorization header (client_secret_basic)" "ok status=200 * body={\"access_token\":\"ey*"
run --ca-file "$CA" --cert "$AS_DIR/ca/client-d.crt" --key "$AS_DIR/ca/client-d.key" post "$IA/token" \
	"grant_type=client_credentials&client_id=service-d"
expect "POST with a client certificate (tls_client_auth)" "ok status=200 * body={\"access_token\":\"ey*"
run --ca-file "$CA" post "$IA/token" "grant_type=client_credentials&client_id=service-d"
expect "tls_client_auth without a certificate: denied" "denied status=401 * body={\"error\":\"invalid_client\"*"
check "AS log counts the three token requests" [ "$(as_count a token)" = 3 ]
if grep -q "secret-a\|$basic" "$AS_DIR/a.log" "$AS_DIR/probe.err"; then not_ok "no secret in logs"; else ok "no secret in logs"; fi

done_testing
