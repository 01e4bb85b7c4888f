#!/bin/sh
# ccauth token against the real AS (oidc-provider): every client auth method, RS256/ES256/opaque
# resources, refused credentials, the request as sent (scope, audience, resource, Basic encoding),
# the warm disk cache, 20 parallel processes on a cold cache (exactly one token request), cache
# files that are symlinks or too open, loose secret files, client selection and exit codes.
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
as_start a "$PA" || bail_skip_all "AS did not start"
ISS="https://127.0.0.1:$PA"
W="$AS_DIR/w"
mkdir -p "$W"
umask 077

printf 'secret-a\n' >"$W/a.secret"
printf 'secret-b' >"$W/b.secret"
printf 'wrong-secret-XYZZY\n' >"$W/bad.secret"

# conf FILE CACHE_DIR: [global] with the test CA; client sections follow on stdin
conf() {
	{
		printf '[global]\nca_path = %s\ncache_dir = %s\ntimeout = 5\n' "$CA/capath" "$2"
		cat
	} >"$1"
	chmod 600 "$1"
}

conf "$W/main.conf" "$W/cache" <<EOF
[client basic]
issuer = $ISS
client_id = service-a
client_secret_file = $W/a.secret
scope = ldap.read

[client post]
token_endpoint = $ISS/token
client_id = service-b
auth_method = client_secret_post
client_secret_file = $W/b.secret
scope = imap

[client jwt-rs256]
issuer = $ISS
client_id = service-c
auth_method = private_key_jwt
private_key_file = $CA/client-c-rsa.pem
key_id = client-c-rsa
signing_alg = RS256

[client jwt-ps256]
issuer = $ISS
client_id = service-c
auth_method = private_key_jwt
private_key_file = $CA/client-c-rsa.pem
key_id = client-c-rsa
signing_alg = PS256
scope = smtp

[client jwt-es256]
issuer = $ISS
client_id = service-c
auth_method = private_key_jwt
private_key_file = $CA/client-c-ec.pem
key_id = client-c-ec
signing_alg = ES256
scope = ldap

[client jwt-eddsa]
issuer = $ISS
client_id = service-c
auth_method = private_key_jwt
private_key_file = $CA/client-c-ed.pem
key_id = client-c-ed
signing_alg = EdDSA
scope = email

[client tls]
issuer = $ISS
client_id = service-d
auth_method = tls_client_auth
tls_cert_file = $CA/client-d.crt
tls_key_file = $CA/client-d.key

[client es256]
issuer = $ISS
client_id = service-a
client_secret_file = $W/a.secret
resource = urn:test:es256
scope = ldap.read

[client opaque]
issuer = $ISS
client_id = service-a
client_secret_file = $W/a.secret
resource = urn:test:opaque

[client wrong]
issuer = $ISS
client_id = service-a
client_secret_file = $W/bad.secret

# [client basic] with another secret: the same endpoint, client_id and scope
[client basic-wrong]
issuer = $ISS
client_id = service-a
client_secret_file = $W/bad.secret
scope = ldap.read

[client badresource]
issuer = $ISS
client_id = service-a
client_secret_file = $W/a.secret
resource = urn:test:unknown

[client shared]
issuer = $ISS
client_id = service-a
client_secret_file = $W/a.secret
scope = imap smtp
EOF

# tok CONF [ARGS...]: stdout in $out, stderr in $errout, exit status in $rc
tok() {
	_c=$1
	shift
	out=$("$CCAUTH" -c "$_c" token "$@" 2>"$W/err")
	rc=$?
	errout=$(cat "$W/err")
}
count() { as_count a token; }
# part N TOKEN: base64url-decoded JWT part (0 header, 1 payload)
part() { node -e 'console.log(Buffer.from(process.argv[2].split(".")[process.argv[1]], "base64url").toString())' "$1" "$2"; }
claim() { node -e 'const v=JSON.parse(Buffer.from(process.argv[1].split(".")[1],"base64url"))[process.argv[2]];console.log(Array.isArray(v)?v.join(" "):v)' "$1" "$2"; }
is_jwt() { case $1 in *.*.*) return 0 ;; *) return 1 ;; esac; }
lines() { printf '%s\n' "$1" | wc -l | tr -d ' '; }

# --- every auth method ---------------------------------------------------------------------------
for c in basic post jwt-rs256 jwt-ps256 jwt-es256 jwt-eddsa tls; do
	n0=$(count)
	tok "$W/main.conf" "$c"
	if [ "$rc" -eq 0 ] && [ -n "$out" ] && [ "$(lines "$out")" = 1 ] && [ "$(count)" -eq $((n0 + 1)) ]; then
		ok "token: $c (one AS request, one line)"
	else
		not_ok "token: $c (rc=$rc, requests $n0 -> $(count))"
		diag "$errout"
	fi
done

# --- what the AS put in the tokens: client, scope, resource/aud, algorithm -----------------------
tok "$W/main.conf" basic
check "basic: JWT for service-a, scope ldap.read, RS256" \
	test "$(claim "$out" client_id) $(claim "$out" scope) $(part 0 "$out" | grep -c '"alg":"RS256"')" = "service-a ldap.read 1"
tok "$W/main.conf" jwt-es256
check "private_key_jwt ES256: token for service-c with scope ldap" \
	test "$(claim "$out" client_id) $(claim "$out" scope)" = "service-c ldap"
tok "$W/main.conf" tls
check "tls_client_auth: token for service-d" test "$(claim "$out" client_id)" = "service-d"
tok "$W/main.conf" es256
if [ "$rc" -eq 0 ] && [ "$(part 0 "$out" | grep -c '"alg":"ES256"')" = 1 ] && [ "$(claim "$out" aud)" = "urn:test:es256" ]; then
	ok "resource urn:test:es256: ES256 JWT with that audience"
else
	not_ok "resource urn:test:es256 (rc=$rc)"
fi
tok "$W/main.conf" opaque
if [ "$rc" -eq 0 ] && [ -n "$out" ] && ! is_jwt "$out"; then ok "resource urn:test:opaque: opaque token"; else not_ok "opaque token (rc=$rc)"; fi

# --- warm cache: no second request, same token -----------------------------------------------------
tok "$W/main.conf" basic
first=$out
n0=$(count)
tok "$W/main.conf" basic
if [ "$rc" -eq 0 ] && [ "$out" = "$first" ] && [ "$(count)" -eq "$n0" ]; then
	ok "warm cache: same token, no AS request"
else
	not_ok "warm cache (rc=$rc, requests $n0 -> $(count))"
fi
f=$(find "$W/cache" -type f ! -name '*.lock' -newer "$W/a.secret" | head -1)
check "cache files are 0600 in a 0700 uid directory" \
	test "$(stat -c %a "$f") $(stat -c %a "$(dirname "$f")")" = "600 700"
if grep -rqs "secret-a" "$W/cache"; then not_ok "the secret is not in the cache"; else ok "the secret is not in the cache"; fi

# --- refused credentials ------------------------------------------------------------------------
tok "$W/main.conf" wrong
if [ "$rc" -eq 1 ] && [ -z "$out" ] && printf '%s' "$errout" | grep -q "denied: AS refused: invalid_client"; then
	ok "wrong secret: exit 1, invalid_client"
else
	not_ok "wrong secret (rc=$rc): $errout"
fi
if printf '%s%s' "$out" "$errout" | grep -q "XYZZY"; then not_ok "wrong secret not echoed"; else ok "wrong secret not echoed"; fi
# basic's token is in the disk cache: a section that differs only in its secret must prove that
# secret to the AS, never be handed the token obtained with another one
n0=$(count)
tok "$W/main.conf" basic-wrong
if [ "$rc" -eq 1 ] && [ -z "$out" ] && printf '%s' "$errout" | grep -q "denied: AS refused: invalid_client" &&
	[ "$(count)" -eq $((n0 + 1)) ]; then
	ok "same client as [client basic], wrong secret: not basic's cached token (exit 1, invalid_client)"
else
	not_ok "same client, wrong secret (rc=$rc, requests $n0 -> $(count)): $errout"
fi
tok "$W/main.conf" basic
check "[client basic] still served from the cache" test "$rc:$out" = "0:$first"
tok "$W/main.conf" badresource
# this AS answers an unknown resource indicator with a 500: temporary, not a refusal
if [ "$rc" -eq 3 ] && [ -z "$out" ] && printf '%s' "$errout" | grep -q "unavailable: .*HTTP 500"; then
	ok "AS answers 500: exit 3"
else
	not_ok "unknown resource (rc=$rc): $errout"
fi

# --- the request as sent: a capture server answering 400 invalid_request --------------------------
PC=$(as_free_port)
node -e '
const https = require("https"), fs = require("fs"), [dir, port, out] = process.argv.slice(1);
https.createServer({ key: fs.readFileSync(dir + "/server.key"), cert: fs.readFileSync(dir + "/server.crt") }, (q, r) => {
  let b = "";
  q.on("data", (d) => { b += d; });
  q.on("end", () => {
    fs.writeFileSync(out, `${q.method} ${q.url}\n${q.headers.authorization || "-"}\n${q.headers["content-type"]}\n${b}\n`);
    r.writeHead(400, { "content-type": "application/json" });
    r.end(JSON.stringify({ error: "invalid_request", error_description: "captured \u001b[0m" + "x".repeat(300) }));
  });
}).listen(Number(port), "127.0.0.1");' "$CA" "$PC" "$W/capture.txt" >"$W/capture.out" 2>&1 &
as_pids="$as_pids $!"
as_wait_port() { _n=0; while [ $_n -lt 50 ]; do curl -s --cacert "$CA/ca.crt" -o /dev/null "https://127.0.0.1:$1/" && return 0; sleep 0.1; _n=$((_n + 1)); done; return 1; }
as_wait_port "$PC"
printf 'p:w%%d+ \303\251\n' >"$W/odd.secret"
conf "$W/capture.conf" "" <<EOF
[client cap]
token_endpoint = https://127.0.0.1:$PC/token
client_id = svc:1+%
client_secret_file = $W/odd.secret
scope = ldap.read imap
audience = https://api.example/x?y=1&z
resource = urn:test:rs256
EOF
rm -f "$W/capture.txt"
tok "$W/capture.conf"
want_body='grant_type=client_credentials&scope=ldap.read%20imap&audience=https%3A%2F%2Fapi.example%2Fx%3Fy%3D1%26z&resource=urn%3Atest%3Ars256'
want_basic="Basic $(printf '%s' 'svc%3A1%2B%25:p%3Aw%25d%2B%20%C3%A9' | base64 -w0)"
check "request: POST /token, form content type" \
	test "$(sed -n 1p "$W/capture.txt") $(sed -n 3p "$W/capture.txt")" = "POST /token application/x-www-form-urlencoded"
check "request: scope, audience, resource form-encoded" test "$(sed -n 4p "$W/capture.txt")" = "$want_body"
check "request: Basic of form-encoded id and secret (RFC 6749 2.3.1)" test "$(sed -n 2p "$W/capture.txt")" = "$want_basic"
if [ "$rc" -eq 1 ] && printf '%s' "$errout" | grep -q "AS refused: invalid_request (captured ?\[0mxxxx*\.\.\.)" &&
	[ "$(printf '%s' "$errout" | tr -cd x | wc -c)" -le 100 ]; then
	ok "AS error text sanitized and cut at 100 characters"
else
	not_ok "AS error text: $errout"
fi

# --- 20 processes on a cold cache: one token request ---------------------------------------------
n0=$(count)
i=0
par=""
while [ $i -lt 20 ]; do
	"$CCAUTH" -c "$W/main.conf" token shared >"$W/par.$i.out" 2>"$W/par.$i.err" &
	par="$par $!"
	i=$((i + 1))
done
# only these: a bare wait would also wait for the servers
for p in $par; do wait "$p"; done
n1=$(count)
diag "20 parallel ccauth token processes, cold cache: $((n1 - n0)) token request(s)"
check "20 parallel processes, cold cache: exactly 1 token request" test $((n1 - n0)) -eq 1
same=$(cat "$W"/par.*.out | sort -u | wc -l | tr -d ' ')
empty=$(find "$W" -name 'par.*.out' -empty | wc -l | tr -d ' ')
check "20 parallel processes: all printed the same token" test "$same $empty" = "1 0"

# --- cache files that are not ours to trust: refused, replaced, command still works --------------
conf "$W/iso.conf" "$W/cache2" <<EOF
[client post]
token_endpoint = $ISS/token
client_id = service-b
auth_method = client_secret_post
client_secret_file = $W/b.secret
EOF
tok "$W/iso.conf"
tf=$(find "$W/cache2" -type f ! -name '*.lock' ! -name '.tmp*' | head -1)
good=$out
echo "not a token" >"$W/target"
chmod 600 "$W/target"
rm -f "$tf"
ln -s "$W/target" "$tf"
n0=$(count)
tok "$W/iso.conf"
if [ "$rc" -eq 0 ] && [ -n "$out" ] && [ "$out" != "$good" ] && [ "$(count)" -eq $((n0 + 1)) ] && [ -f "$tf" ] && [ ! -L "$tf" ] &&
	[ "$(cat "$W/target")" = "not a token" ]; then
	ok "cache file made a symlink: refused, fresh token, replaced by a regular file, target untouched"
else
	not_ok "symlinked cache file (rc=$rc)"
fi
good=$out
chmod 644 "$tf"
n0=$(count)
tok "$W/iso.conf"
if [ "$rc" -eq 0 ] && [ "$out" != "$good" ] && [ "$(count)" -eq $((n0 + 1)) ] && [ "$(stat -c %a "$tf")" = 600 ]; then
	ok "cache file mode 0644: refused, fresh token, rewritten 0600"
else
	not_ok "cache file 0644 (rc=$rc)"
fi
good=$out
printf 'CCAUTH-CACHE 1 99999999999 99999999999 8\nnonsense' >"$tf"
chmod 600 "$tf"
n0=$(count)
tok "$W/iso.conf"
check "cache file with garbage inside: ignored, fresh token" test "$rc $(count)" = "0 $((n0 + 1))"
tok "$W/iso.conf"
check "and the rewritten entry is used again" test "$rc $(count)" = "0 $((n0 + 1))"

# --- configuration and usage ----------------------------------------------------------------------
printf 'secret-a\n' >"$W/loose.secret"
chmod 644 "$W/loose.secret"
conf "$W/loose.conf" "" <<EOF
[client loose]
issuer = $ISS
client_id = service-a
client_secret_file = $W/loose.secret
EOF
n0=$(count)
tok "$W/loose.conf"
check "secret file mode 0644: exit 2, no request" test "$rc $(count)" = "2 $n0"
tok "$W/main.conf"
if [ "$rc" -eq 2 ] && [ -z "$out" ] && printf '%s' "$errout" | grep -q "name one: basic post"; then
	ok "several [client] sections and no CLIENT: exit 2, names listed"
else
	not_ok "several clients (rc=$rc): $errout"
fi
tok "$W/main.conf" no-such-client
check "unknown CLIENT: exit 2" test "$rc" -eq 2
tok "$W/main.conf" basic extra
check "two CLIENT arguments: exit 2" test "$rc" -eq 2
tok "$W/iso.conf"
check "the only [client] section is used without CLIENT" test "$rc" -eq 0
out=$("$CCAUTH" token --help)
check "token --help documents exit 1 for a refusal" sh -c 'printf "%s" "$1" | grep -q "1 the authorization server refused"' - "$out"

# --- the AS unreachable: exit 3; cached tokens still served -------------------------------------
PD=$(as_free_port)
conf "$W/down.conf" "" <<EOF
[client down]
token_endpoint = https://127.0.0.1:$PD/token
client_id = service-a
client_secret_file = $W/a.secret
EOF
tok "$W/down.conf"
check "AS unreachable: exit 3" test "$rc" -eq 3
as_stop a
tok "$W/main.conf" basic
check "AS stopped: a fresh cached token is still printed" test "$rc $out" = "0 $first"

done_testing
