#!/bin/sh
# ccauth verify with remote issuers: JWKS via discovery (RS256, ES256) from the real AS, opaque
# tokens by introspection with every client auth method, JWT introspection (introspect = always,
# the AS shim), two AS instances as two issuers plus global introspection between them, an unknown
# issuer refused without any request, key rotation and the unknown-kid cooldown on the fault
# server, JWKS down (stale keys until jwks_max_stale, then exit 3), a disk-warm fresh process.
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

PA=$(as_free_port)
PB=$(as_free_port)
F=$(as_free_port)
IA="https://127.0.0.1:$PA"
IB="https://127.0.0.1:$PB/tenant2"
FI="https://127.0.0.1:$F"
AS_PATH=/tenant2 as_start b "$PB" || bail_skip_all "AS b did not start"
AS_PEERS="$IB" as_start a "$PA" || bail_skip_all "AS a did not start"
fault_start "$F" || bail_skip_all "fault server did not start"

W="$AS_DIR/w"
mkdir -p "$W"
umask 077
printf 'secret-a\n' >"$W/a.secret"
printf 'rs-secret\n' >"$W/rs.secret"
printf 'XYZZY-not-the-secret\n' >"$W/wrong.secret"

# conf FILE [GLOBAL LINES]: [global] with the test CA and $W/cache; sections follow on stdin
conf() {
	_f=$1
	shift
	{
		printf '[global]\nca_path = %s\ncache_dir = %s\ntimeout = 5\n' "$CA/capath" "${CACHE:-$W/cache}"
		for _l in "$@"; do printf '%s\n' "$_l"; done
		printf '\n'
		cat
	} >"$_f"
	chmod 600 "$_f"
}

CLIENTS="
[client rs256]
issuer = $IA
client_id = service-a
client_secret_file = $W/a.secret
resource = urn:test:rs256

[client es256]
issuer = $IA
client_id = service-a
client_secret_file = $W/a.secret
resource = urn:test:es256

[client opaque]
issuer = $IA
client_id = service-a
client_secret_file = $W/a.secret
resource = urn:test:opaque

[client opaque-b]
issuer = $IB
client_id = service-a
client_secret_file = $W/a.secret
resource = urn:test:opaque

[client rs256-b]
issuer = $IB
client_id = service-a
client_secret_file = $W/a.secret
resource = urn:test:rs256

[client rs-a]
issuer = $IA
client_id = rs
client_secret_file = $W/rs.secret

[client rs-a-post]
issuer = $IA
client_id = rs-post
auth_method = client_secret_post
client_secret_file = $W/rs.secret

[client rs-a-jwt]
issuer = $IA
client_id = service-c
auth_method = private_key_jwt
private_key_file = $CA/client-c-ec.pem
key_id = client-c-ec
signing_alg = ES256

[client rs-a-tls]
issuer = $IA
client_id = service-d
auth_method = tls_client_auth
tls_cert_file = $CA/client-d.crt
tls_key_file = $CA/client-d.key

[client rs-a-wrong]
issuer = $IA
client_id = rs
client_secret_file = $W/wrong.secret

[client rs-b]
issuer = $IB
client_id = rs-post
auth_method = client_secret_post
client_secret_file = $W/rs.secret
"

# issuer_a [INTROSPECTION_CLIENT [MODE]]
issuer_a() {
	printf '[issuer a]\nissuer = %s\naudience = urn:test:rs256 urn:test:es256 urn:test:opaque\n' "$IA"
	[ -n "${1:-}" ] && printf 'introspection_client = %s\n' "$1"
	[ -n "${2:-}" ] && printf 'introspect = %s\n' "$2"
	printf '\n'
}
issuer_b() {
	printf '[issuer b]\nissuer = %s\nallowed_client_ids = service-a\nintrospection_client = rs-b\n\n' "$IB"
}

{ printf '%s\n' "$CLIENTS"; issuer_a rs-a; issuer_b; } | conf "$W/main.conf"
token() { # CLIENT: a token from the AS (through the shared token cache)
	"$CCAUTH" -c "$W/main.conf" token "$1" 2>>"$W/token.err"
}
# verify CONF TOKEN: stdout in $out, stderr in $errout, exit status in $rc
verify() {
	out=$(printf '%s\n' "$2" | "$CCAUTH" -c "$1" verify - 2>"$W/verify.err")
	rc=$?
	errout=$(cat "$W/verify.err")
}
# expect DESCRIPTION RC PATTERN: exit status and a glob on stdout (rc 0) or stderr
expect() {
	_got=$out
	[ "$2" -ne 0 ] && _got=$errout
	case "$rc:$_got" in
	"$2":$3) ok "$1" ;;
	*)
		not_ok "$1"
		diag "exit $rc, stdout: $out"
		diag "stderr: $errout"
		;;
	esac
}
stat_count() { # PATH: requests the fault server saw for it
	curl -sf --cacert "$CA/ca.crt" "$FI/stats" |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);const p=process.argv[1];console.log(p==="*"?Object.values(j).reduce((a,b)=>a+b,0):(j[p]||0))})' "$1"
}
fpost() { curl -sf --cacert "$CA/ca.crt" -X POST "$@"; }
b64u() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# jwt HEADER PAYLOAD: a JWT with a bogus signature (for checks that come before the signature)
jwt() { printf '%s.%s.%s' "$(printf '%s' "$1" | b64u)" "$(printf '%s' "$2" | b64u)" "c2lnbmF0dXJlLW5vdC1jaGVja2Vk"; }
now() { date +%s; }

# --- JWTs from the real AS, keys by discovery -------------------------------------------------
T=$(token rs256)
verify "$W/main.conf" "$T"
expect "RS256 JWT, jwks_uri by discovery" 0 "{\"user\":\"service-a\",\"iss\":\"$IA\",*\"via\":\"jwt\"}"
T=$(token es256)
verify "$W/main.conf" "$T"
expect "ES256 JWT, same issuer" 0 "{\"user\":\"service-a\",\"iss\":\"$IA\",*\"aud\":\[\"urn:test:es256\"\],*\"via\":\"jwt\"}"
check "a JWT is never introspected in mode opaque" [ "$(as_count a introspect)" = 0 ]

# --- opaque tokens: introspection ----------------------------------------------------------------
TO=$(token opaque)
verify "$W/main.conf" "$TO"
expect "opaque token via introspection (client_secret_basic)" 0 "{\"user\":\"service-a\",\"iss\":\"$IA\",*\"via\":\"introspection\"}"
check "one introspection request, as rs" [ "$(grep -c "^a introspect client=rs status=200" "$AS_DIR/a.log")" = 1 ]
for c in rs-a-post rs-a-jwt rs-a-tls; do
	{ printf '%s\n' "$CLIENTS"; issuer_a "$c"; } | conf "$W/m-$c.conf"
	verify "$W/m-$c.conf" "$TO"
	expect "opaque token, introspection_client authenticates with $c" 0 "*\"via\":\"introspection\"}"
done
{ printf '%s\n' "$CLIENTS"; issuer_a rs-a-wrong; } | conf "$W/wrong.conf"
verify "$W/wrong.conf" "$TO"
expect "introspection client refused by the AS: exit 1, denied (a refusal, never unavailable)" 1 "ccauth: denied: *invalid_client*"
case $errout in *XYZZY*) not_ok "no secret in the message" ;; *) ok "no secret in the message" ;; esac
verify "$W/main.conf" "opaque-token-nobody-issued-0123456789abcdef"
expect "unknown opaque token: inactive everywhere" 1 "ccauth: rejected: inactive: *"
{ printf '%s\n' "$CLIENTS"; issuer_a rs-a never; } | conf "$W/never.conf"
verify "$W/never.conf" "$TO"
expect "introspect = never: an opaque token is malformed" 1 "ccauth: rejected: malformed: *"

# --- JWT introspection (introspect = always, the AS shim) --------------------------------------
{ printf '%s\n' "$CLIENTS"; issuer_a rs-a always; } | conf "$W/always.conf"
n0=$(as_count a introspect)
T=$(token rs256)
verify "$W/always.conf" "$T"
expect "introspect = always: JWT validated locally and introspected" 0 "{\"user\":\"service-a\",*\"via\":\"jwt\"}"
check "introspect = always asked the AS once" [ "$(as_count a introspect)" = $((n0 + 1)) ]
n0=$(as_count a introspect)
TF=$(printf '%s' "$T" | sed 's/\.[^.]*$/.AAAA/')
verify "$W/always.conf" "$TF"
expect "introspect = always: a bad signature is refused before any request" 1 "ccauth: rejected: signature: *"
check "no introspection for the forged JWT" [ "$(as_count a introspect)" = "$n0" ]

# --- two AS instances, global introspection ------------------------------------------------------
TB=$(token opaque-b)
verify "$W/main.conf" "$TB"
expect "opaque token of AS b: a says not its token, b says active" 0 "{\"user\":\"service-a\",\"iss\":\"$IB\",*\"via\":\"introspection\"}"
T=$(token rs256-b)
verify "$W/main.conf" "$T"
expect "JWT of AS b routed by iss" 0 "{\"user\":\"service-a\",\"iss\":\"$IB\",*\"via\":\"jwt\"}"
{
	printf '%s\n' "$CLIENTS"
	printf '[issuer b]\nissuer = %s\nallowed_client_ids = service-a\nintrospection_endpoint = %s/token/introspection\nintrospection_client = rs-a\n' "$IB" "$IA"
} | conf "$W/global.conf"
na=$(as_count a introspect)
nb=$(grep -c "^b introspect client=rs status=200" "$AS_DIR/b.log")
verify "$W/global.conf" "$TB"
expect "global introspection: b's opaque token checked at a with a's client" 0 "{\"user\":\"service-a\",\"iss\":\"$IB\",*\"via\":\"introspection\"}"
check "global introspection: one request to a, which asked b" \
	[ "$(as_count a introspect)/$(grep -c "^b introspect client=rs status=200" "$AS_DIR/b.log")" = "$((na + 1))/$((nb + 1))" ]
sed 's/^introspection_client = rs-a$/introspection_client = rs-a\nintrospect = always/' "$W/global.conf" >"$W/global-always.conf"
chmod 600 "$W/global-always.conf"
verify "$W/global-always.conf" "$T"
expect "global introspection of a JWT of b (introspect = always, at a)" 0 "{\"user\":\"service-a\",\"iss\":\"$IB\",*\"via\":\"jwt\"}"

# --- unknown issuer: rejected with no request at all ---------------------------------------------
CACHE="$W/cache-u"
conf "$W/unknown.conf" <<EOF
$CLIENTS
[issuer f]
issuer = $FI
allowed_client_ids = svc-f

$(issuer_a rs-a)
EOF
unset CACHE
fpost "$FI/reset-stats" >/dev/null
na=$(as_count a introspect)
verify "$W/unknown.conf" "$(jwt '{"alg":"ES256","kid":"k1"}' "{\"iss\":\"https://127.0.0.1:9/nobody\",\"exp\":$(($(now) + 300))}")"
expect "JWT of an issuer not in the file: reason issuer" 1 "ccauth: rejected: issuer: *"
check "unknown issuer: 0 requests to the fault server" [ "$(stat_count '*')" = 0 ]
check "unknown issuer: 0 introspection requests to the AS" [ "$(as_count a introspect)" = "$na" ]
check "unknown issuer: nothing fetched into the disk cache" [ -z "$(find "$W/cache-u" -type f ! -name '*.lock' 2>/dev/null)" ]

# --- fault server: rotation, cooldown, warm disk, JWKS down --------------------------------------
conf "$W/f.conf" "jwks_min_refresh = 60" <<EOF
[issuer f]
issuer = $FI
allowed_client_ids = svc-f
EOF
claims() { printf '{"iss":"%s","sub":"svc-f","client_id":"svc-f","exp":%s}' "$FI" "$(($(now) + 600))"; }
fsign() { fpost -H 'Content-Type: application/json' --data "$(claims)" "$FI/sign$1"; }
fpost "$FI/reset-stats" >/dev/null
T1=$(fsign "")
verify "$W/f.conf" "$T1"
expect "fault server issuer: ES256 token with kid k1" 0 "{\"user\":\"svc-f\",\"iss\":\"$FI\",*\"via\":\"jwt\"}"
check "first use: discovery and JWKS fetched once" [ "$(stat_count /.well-known/oauth-authorization-server)/$(stat_count /jwks)" = 1/1 ]
verify "$W/f.conf" "$T1"
expect "fresh process, warm disk cache: accepted" 0 "*\"via\":\"jwt\"}"
check "fresh process, warm disk cache: 0 network requests" \
	[ "$(stat_count /.well-known/oauth-authorization-server)/$(stat_count /jwks)/$(stat_count '*')" = "1/1/3" ]

fpost "$FI/rotate" >/dev/null
T2=$(fsign "")
verify "$W/f.conf" "$T2"
expect "rotation: the new kid k2 is picked up" 0 "*\"via\":\"jwt\"}"
check "rotation: one forced JWKS refetch" [ "$(stat_count /jwks)" = 2 ]
i=0
pids=""
while [ $i -lt 20 ]; do
	tk=$(jwt "{\"alg\":\"ES256\",\"kid\":\"nope-$i\"}" "$(claims)")
	(printf '%s\n' "$tk" | "$CCAUTH" -c "$W/f.conf" verify - >/dev/null 2>"$W/hammer-$i.err"; echo $? >"$W/hammer-$i.rc") &
	pids="$pids $!"
	i=$((i + 1))
done
wait $pids
all_unknown_key() { [ "$(cat "$W"/hammer-*.rc | sort -u)" = 1 ] && [ "$(cat "$W"/hammer-*.err | grep -c "rejected: unknown_key")" = 20 ]; }
check "20 parallel processes with unknown kids: all rejected unknown_key" all_unknown_key
check "unknown kids within the cooldown: no JWKS request" [ "$(stat_count /jwks)" = 2 ]
fpost "$FI/rotate" >/dev/null
T3=$(fsign "")
verify "$W/f.conf" "$T3"
expect "a rotation within jwks_min_refresh is not seen yet" 1 "ccauth: rejected: unknown_key: *"
check "still 2 JWKS requests" [ "$(stat_count /jwks)" = 2 ]
conf "$W/f1.conf" "jwks_min_refresh = 1" <<EOF
[issuer f]
issuer = $FI
allowed_client_ids = svc-f
EOF
sleep 2
verify "$W/f1.conf" "$T3"
expect "after jwks_min_refresh the new kid k3 is picked up" 0 "*\"via\":\"jwt\"}"
check "exactly one more JWKS request" [ "$(stat_count /jwks)" = 3 ]

# JWKS down: age the disk entry (as if its TTL ran out 120 s ago), then the AS answers 503
fpost "$FI/jwks-down?on=1" >/dev/null
key=$(printf 'jwks\n%s\n' "$FI" | openssl dgst -sha256 -r | cut -d' ' -f1)
kf=$(find "$W/cache" -name "$key" -type f)
if [ -n "$kf" ]; then
	node -e 'const fs=require("fs");const f=process.argv[1];const b=fs.readFileSync(f);const i=b.indexOf(10);
		const h=b.subarray(0,i).toString().split(" ");const t=Math.floor(Date.now()/1000)-120;
		h[2]=String(t);h[3]=String(t+100000);fs.writeFileSync(f+".new",Buffer.concat([Buffer.from(h.join(" ")),b.subarray(i)]),{mode:0o600});
		fs.renameSync(f+".new",f)' "$kf"
	ok "JWKS disk entry found and aged"
else
	not_ok "JWKS disk entry found and aged"
fi
n0=$(stat_count /jwks)
conf "$W/stale.conf" "jwks_max_stale = 3600" <<EOF
[issuer f]
issuer = $FI
allowed_client_ids = svc-f
EOF
verify "$W/stale.conf" "$T3"
expect "JWKS down: last good keys used within jwks_max_stale" 0 "*\"via\":\"jwt\"}"
check "JWKS down: the refresh was tried" [ "$(stat_count /jwks)" = $((n0 + 1)) ]
conf "$W/nostale.conf" "jwks_max_stale = 60" <<EOF
[issuer f]
issuer = $FI
allowed_client_ids = svc-f
EOF
verify "$W/nostale.conf" "$T3"
expect "JWKS down beyond jwks_max_stale: exit 3 (fail closed)" 3 "*unavailable*"
fpost "$FI/jwks-down?on=0" >/dev/null
verify "$W/nostale.conf" "$T3"
expect "JWKS back: accepted again" 0 "*\"via\":\"jwt\"}"

# --- re-keying under the same kid (issue #12) ----------------------------------------------------
# new key material under the old kid: a signature failure on a remote key forces one refetch
# (under jwks_min_refresh, across processes), then one more check
CACHE="$W/rk-cache" conf "$W/rk.conf" "jwks_min_refresh = 60" <<EOF
[issuer f]
issuer = $FI
allowed_client_ids = svc-f
EOF
TR=$(fsign "")
verify "$W/rk.conf" "$TR"
expect "re-key: a token of the current key, cold cache" 0 "*\"via\":\"jwt\"}"
n0=$(stat_count /jwks)
fpost "$FI/rekey" >/dev/null
TK=$(fsign "")
verify "$W/rk.conf" "$TK"
expect "re-key: a token signed by the new material under the old kid is accepted" 0 "*\"via\":\"jwt\"}"
check "re-key: exactly one forced JWKS refetch" [ "$(stat_count /jwks)" = $((n0 + 1)) ]
verify "$W/rk.conf" "$TR"
expect "re-key: a token of the replaced key is rejected" 1 "ccauth: rejected: signature: *"
# a forged token (the header and signature of a good one, another payload) under the current kid:
# a second cache, warm; then twice 10 parallel processes: one refetch in all
TF="${TK%%.*}.$(claims | sed 's/svc-f/root/g' | b64u).${TK##*.}"
CACHE="$W/rk2-cache" conf "$W/rk2.conf" "jwks_min_refresh = 60" <<EOF
[issuer f]
issuer = $FI
allowed_client_ids = svc-f
EOF
verify "$W/rk2.conf" "$TK"
expect "forged: the second cache is warm" 0 "*\"via\":\"jwt\"}"
n0=$(stat_count /jwks)
for round in 1 2; do
	i=0
	pids=""
	while [ $i -lt 10 ]; do
		(
			printf '%s\n' "$TF" | "$CCAUTH" -c "$W/rk2.conf" verify - >/dev/null 2>"$W/forged-$round-$i.err"
			echo $? >"$W/forged-$round-$i.rc"
		) &
		pids="$pids $!"
		i=$((i + 1))
	done
	wait $pids
done
all_signature() { [ "$(cat "$W"/forged-*.rc | sort -u)" = 1 ] && [ "$(cat "$W"/forged-*.err | grep -c "rejected: signature")" = 20 ]; }
check "forged: 20 processes, all rejected signature" all_signature
nf=$(($(stat_count /jwks) - n0))
check "forged: $nf JWKS refetch(es) for 20 processes within jwks_min_refresh (at most 1)" [ "$nf" -le 1 ]

# --- introspection endpoint that fails: exit 3 ---------------------------------------------------
conf "$W/i500.conf" <<EOF
$CLIENTS
[issuer f]
issuer = $FI
allowed_client_ids = svc-f
introspection_endpoint = $FI/500
introspection_client = rs-a
EOF
verify "$W/i500.conf" "$TO"
expect "introspection answering 500: exit 3" 3 "*unavailable*HTTP 500*"

# --- an AS quoting our request in error_description: never repeated ----------------------------
conf "$W/echo.conf" <<EOF
$CLIENTS
[client echo]
token_endpoint = $FI/echo-auth-401
client_id = service-a
client_secret_file = $W/a.secret

[issuer f]
issuer = $FI
allowed_client_ids = svc-f
introspection_endpoint = $FI/echo-token-401
introspection_client = rs-a
EOF
verify "$W/echo.conf" "$TO"
expect "introspection error quoting the token: exit 1 (denied)" 1 "*denied*invalid_client*"
case $errout in *"$TO"*) not_ok "the quoted token is withheld" ;; *) ok "the quoted token is withheld" ;; esac
# the same AS quoting the token as it travelled: + / = are form-encoded (%2B %2F %3D) on the wire
TP='opaque+token/with=padding=='
TPENC='opaque%2Btoken%2Fwith%3Dpadding%3D%3D'
sed "s|echo-token-401\$|echo-token-401?as_sent=1|" "$W/echo.conf" >"$W/echo-sent.conf"
chmod 600 "$W/echo-sent.conf"
verify "$W/echo-sent.conf" "$TP"
expect "introspection error quoting the form-encoded token: exit 1 (denied)" 1 "*denied*invalid_client*withheld*"
case $errout in *"$TPENC"*) not_ok "the quoted form-encoded token is withheld" ;; *) ok "the quoted form-encoded token is withheld" ;; esac
BASIC=$(printf 'service-a:secret-a' | openssl base64 -A)
out=$("$CCAUTH" -c "$W/echo.conf" token echo 2>"$W/echo-token.err")
rc=$?
errout=$(cat "$W/echo-token.err")
expect "token endpoint quoting our Authorization header: refused" 1 "*invalid_client*"
case $errout in *"$BASIC"*) not_ok "the quoted Basic credentials are withheld" ;; *) ok "the quoted Basic credentials are withheld" ;; esac
# ... and quoting our secret decoded, from the form or out of the Basic credentials
printf 'rs+sec/ret=\n' >"$W/plus.secret"
for m in client_secret_basic client_secret_post; do
	conf "$W/echo-secret.conf" <<EOF
[client rs-plus]
issuer = $IA
client_id = rs
auth_method = $m
client_secret_file = $W/plus.secret

[issuer f]
issuer = $FI
allowed_client_ids = svc-f
introspection_endpoint = $FI/echo-secret-401
introspection_client = rs-plus
EOF
	verify "$W/echo-secret.conf" "$TO"
	expect "introspection error quoting our decoded secret ($m): exit 1 (denied)" 1 "*denied*invalid_client*withheld*"
	case $errout in *'rs+sec/ret='*) not_ok "the quoted secret is withheld ($m)" ;; *) ok "the quoted secret is withheld ($m)" ;; esac
done

case $(cat "$W"/*.err 2>/dev/null) in
*"$TO"* | *"$TPENC"* | *secret-a* | *rs-secret* | *XYZZY*) not_ok "no token or secret in any output" ;;
*) ok "no token or secret in any output" ;;
esac
done_testing
