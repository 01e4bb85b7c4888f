#!/bin/sh
# Machines without stored secrets (doc/secretless.md), with ccauth token and ccauth check against
# the federation test endpoint (tests/tools/fed-server.mjs: workload issuers and an AS that checks
# every parameter) and the real test AS (oidc-provider) for RFC 10070 private_key_jwt:
# - a projected-token file as client assertion (Entra-like with client_id, Keycloak-like without),
#   a SPIFFE JWT-SVID (jwt-spiffe), the GitHub Actions URL source, an RFC 8693 exchange without
#   client authentication and one with; the tokens validate with ccauth verify
# - the file rewritten between two requests: the new content is sent; with a disk cache the
#   rotated file does not start a new entry, and two sources never share one
# - a missing, expired, empty, oversized, non-JWT or world-readable file: exit 2 naming the file
#   and no request at all; a failing URL source: exit 3 and no token request
# - issued_token_type missing or not the requested one: exit 3
# - contradictory keys: exit 2 with file:line of the offending key
# - ccauth check shows issuer, audience and seconds to expiry, never the JWT
# - private_key_jwt: aud = issuer and typ client-authentication+jwt (RFC 10070), accepted by a
#   client the AS holds to RFC 10070 and refused by one that wants the token endpoint, and
#   assertion_audience = token_endpoint the other way round
set -u
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/fed.sh"
as_require
CCAUTH="$top_builddir/tools/ccauth"
[ -x "$CCAUTH" ] || bail_skip_all "ccauth not built"
as_init
as_setup_ca "$AS_DIR/ca" || bail_skip_all "openssl could not make the test CA"
CA="$AS_DIR/ca"
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY CCAUTH_CONF
unset ACTIONS_ID_TOKEN_REQUEST_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN

PF=$(as_free_port)
fed_start "$PF" || bail_skip_all "federation endpoint did not start"
PA=$(as_free_port)
as_start a "$PA" || bail_skip_all "test AS did not start"
ISS="https://127.0.0.1:$PA"
AS="$FED/as"
W="$AS_DIR/w"
mkdir -p "$W"
umask 077

# conf FILE CACHE_DIR: [global] with the test CA; sections follow on stdin
conf() {
	{
		printf '[global]\nca_path = %s\ncache_dir = %s\ntimeout = 5\n\n' "$CA/capath" "$2"
		cat
	} >"$1"
	chmod 600 "$1"
}
# put FILE JWT: write like a kubelet would (a new file renamed into place), mode 0640
put() {
	printf '%s\n' "$2" >"$1.tmp" && chmod 640 "$1.tmp" && mv -f "$1.tmp" "$1"
}
fpr() { printf %s "$1" | sha256sum | cut -c1-16; }
SA_W=system:serviceaccount:apps:ldap-writer
SA_R=system:serviceaccount:apps:ldap-reader
STS_AUD=//sts.test/projects/1/pools/p/providers/k8s
mint_k8s() { fed_mint k8s "{\"sub\":\"$1\",\"aud\":\"$2\",\"ttl\":${3:-600}}"; }

put "$W/entra.jwt" "$(mint_k8s $SA_W api://AzureADTokenExchange)"
put "$W/keycloak.jwt" "$(mint_k8s $SA_R "$AS")"
put "$W/svid.jwt" "$(fed_mint spiffe "{\"sub\":\"spiffe://example.org/ns/apps/sa/mailer\",\"aud\":\"$AS\",\"ttl\":300}")"
put "$W/sts.jwt" "$(mint_k8s $SA_W "https://sts.test/projects/1/pools/p/providers/k8s")"
put "$W/gha-subject.jwt" "$(fed_mint gha "{\"sub\":\"repo:example/infra:ref:refs/heads/main\",\"aud\":\"$AS\",\"ttl\":300}")"
printf 'exchanger-secret\n' >"$W/exchanger.secret"

conf "$W/main.conf" "" <<EOF
[client entra]
issuer = $AS
client_id = app-entra
auth_method = client_assertion
client_assertion_file = $W/entra.jwt
scope = ldap.read

[client keycloak]
issuer = $AS
auth_method = client_assertion
client_assertion_file = $W/keycloak.jwt
scope = ldap.read

[client spiffe]
issuer = $AS
auth_method = client_assertion
client_assertion_type = jwt-spiffe
client_assertion_file = $W/svid.jwt

[client gha]
issuer = $AS
auth_method = client_assertion
client_assertion_url = env:TEST_GHA_URL
client_assertion_token_env = TEST_GHA_REQ
scope = ldap.read

[client sts]
token_endpoint = $AS/token
grant = token_exchange
auth_method = none
subject_token_file = $W/sts.jwt
audience = $STS_AUD
scope = ldap.read

[client exchange]
issuer = $AS
client_id = exchanger
grant = token_exchange
client_secret_file = $W/exchanger.secret
subject_token_file = $W/gha-subject.jwt
audience = urn:test:ldap

[client wrong-type]
token_endpoint = $AS/token
grant = token_exchange
auth_method = none
subject_token_file = $W/keycloak.jwt
audience = urn:test:wrong-issued-type

[client no-type]
token_endpoint = $AS/token
grant = token_exchange
auth_method = none
subject_token_file = $W/keycloak.jwt
audience = urn:test:no-issued-type
EOF

conf "$W/verify.conf" "" <<EOF
[issuer fed]
issuer = $AS
audience = urn:test:ldap
EOF

export TEST_GHA_URL="$FED/gha/id-token?api-version=2.0" TEST_GHA_REQ=gha-req-not-secret

# run ARGS...: sets rc, out, err
run() {
	out=$("$@" 2>"$W/err")
	rc=$?
	err=$(cat "$W/err")
}
last_token_line() { grep '^token ' "$AS_DIR/fed.log" | tail -n 1; }
ntoken() { grep -c '^token ' "$AS_DIR/fed.log" || :; }
# got CLIENT DESC: ccauth token CLIENT succeeds and the token validates for the mapped identity ID
got() {
	run "$CCAUTH" -c "$W/main.conf" token "$1"
	if [ $rc -ne 0 ]; then
		not_ok "$2: exit $rc"
		diag "$err"
		return 1
	fi
	v=$(printf %s "$out" | "$CCAUTH" -c "$W/verify.conf" verify - 2>&1)
	case $v in
	*'"user":"'"$3"'"'*) ok "$2: a token that validates (user $3)" ;;
	*) not_ok "$2: the token does not validate"; diag "$v" ;;
	esac
}
# line_has DESC PATTERN...: the last token request as the endpoint logged it matches every pattern
line_has() {
	_d=$1 _l=$(last_token_line) _bad=
	shift
	for _p in "$@"; do
		case $_l in *$_p*) ;; *) _bad="$_bad [$_p]" ;; esac
	done
	if [ -z "$_bad" ]; then ok "$_d"; else not_ok "$_d: missing$_bad"; diag "$_l"; fi
}

# ---- the sources, as the endpoint received them ----------------------------------------------------
got entra "Kubernetes + Entra-like: client_assertion_file with client_id" app-entra
line_has "Entra-like request: client_id, jwt-bearer, the file's JWT (by fingerprint), no secret, no Authorization" \
	"auth=none grant_type=client_credentials scope=ldap.read client_id=app-entra" \
	"client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
	"fpr=$(fpr "$(cat "$W/entra.jwt")")" "aud=api://AzureADTokenExchange" "-> 200 client=app-entra"
diag "received: $(last_token_line)"

got keycloak "Kubernetes + Keycloak-like: no client_id, aud = the AS issuer" app-keycloak
line_has "Keycloak-like request: no client_id sent" "auth=none grant_type=client_credentials scope=ldap.read client_assertion_type=" \
	"aud=$AS " "-> 200 client=app-keycloak"
case $(last_token_line) in *client_id=*) not_ok "no client_id parameter without client_id" ;; *) ok "no client_id parameter without client_id" ;; esac

got spiffe "SPIFFE JWT-SVID file" app-spiffe
line_has "SPIFFE request: client_assertion_type jwt-spiffe" \
	"client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-spiffe" \
	"sub=spiffe://example.org/ns/apps/sa/mailer" "-> 200 client=app-spiffe"
diag "received: $(last_token_line)"

got gha "GitHub Actions URL source" app-gha
l=$(grep '^id-token ' "$AS_DIR/fed.log" | tail -n 1)
case $l in
*"auth=bearer(<elided>) api-version=2.0 audience=$AS -> 200"*) ok "GitHub Actions: GET with Authorization: bearer and audience = the issuer" ;;
*) not_ok "GitHub Actions: id-token request"; diag "$l" ;;
esac
diag "received: $l"
line_has "GitHub Actions: the URL's JWT as jwt-bearer assertion" "iss=$FED/gha" "sub=repo:example/infra:ref:refs/heads/main" "-> 200 client=app-gha"
diag "received: $(last_token_line)"

got sts "RFC 8693 exchange without client authentication (Google-STS-like)" sts-k8s
line_has "STS request: token-exchange, subject_token_type jwt, requested access token, audience, no client auth" \
	"auth=none grant_type=urn:ietf:params:oauth:grant-type:token-exchange subject_token=<JWT" \
	"subject_token_type=urn:ietf:params:oauth:token-type:jwt requested_token_type=urn:ietf:params:oauth:token-type:access_token scope=ldap.read audience=$STS_AUD -> 200"
case $(last_token_line) in *client_*) not_ok "STS request carries no client_* parameter" ;; *) ok "STS request carries no client_* parameter" ;; esac
diag "received: $(last_token_line)"

got exchange "RFC 8693 exchange with client_secret_basic" exchanger
line_has "exchange request: Basic exchanger, subject from the GitHub-like issuer" "auth=Basic(exchanger:<elided>)" \
	"grant_type=urn:ietf:params:oauth:grant-type:token-exchange" "audience=urn:test:ldap -> 200 client=exchanger"

run "$CCAUTH" -c "$W/main.conf" token wrong-type
case $rc:$err in 3:*"issued_token_type"*"is not the requested"*) ok "issued_token_type not the requested one: exit 3" ;; *) not_ok "wrong issued_token_type: exit $rc"; diag "$err" ;; esac
run "$CCAUTH" -c "$W/main.conf" token no-type
case $rc:$err in 3:*"issued_token_type missing"*) ok "issued_token_type missing: exit 3" ;; *) not_ok "missing issued_token_type: exit $rc"; diag "$err" ;; esac

# ---- rotation and the cache ------------------------------------------------------------------------
before=$(fpr "$(cat "$W/entra.jwt")")
put "$W/entra.jwt" "$(mint_k8s $SA_W api://AzureADTokenExchange 900)"
after=$(fpr "$(cat "$W/entra.jwt")")
run "$CCAUTH" -c "$W/main.conf" token entra
if [ $rc -eq 0 ] && [ "$before" != "$after" ]; then
	line_has "file rewritten between two requests: the new content is sent" "fpr=$after" "-> 200"
else
	not_ok "rewritten file: exit $rc"
	diag "$err"
fi

conf "$W/cached.conf" "$W/cache" <<EOF
[client one]
issuer = $AS
client_id = app-entra
auth_method = client_assertion
client_assertion_file = $W/entra.jwt

[client two]
issuer = $AS
client_id = app-entra
auth_method = client_assertion
client_assertion_file = $W/entra2.jwt
EOF
cp -p "$W/entra.jwt" "$W/entra2.jwt"
n0=$(ntoken)
t1=$("$CCAUTH" -c "$W/cached.conf" token one 2>"$W/err")
put "$W/entra.jwt" "$(mint_k8s $SA_W api://AzureADTokenExchange 700)"
t2=$("$CCAUTH" -c "$W/cached.conf" token one 2>>"$W/err")
n1=$(ntoken)
if [ -n "$t1" ] && [ "$t1" = "$t2" ] && [ $((n1 - n0)) -eq 1 ]; then
	ok "disk cache: a rewritten assertion file keeps its cache entry (1 request for 2 tokens)"
else
	not_ok "disk cache across a rotation: $((n1 - n0)) requests"
	cat "$W/err"
fi
t3=$("$CCAUTH" -c "$W/cached.conf" token two 2>"$W/err")
n2=$(ntoken)
if [ -n "$t3" ] && [ "$t3" != "$t1" ] && [ $((n2 - n1)) -eq 1 ]; then
	ok "another assertion source (same client_id, same content) gets its own token"
else
	not_ok "two sources shared a token or failed ($((n2 - n1)) requests)"
	if [ -z "$t3" ]; then diag "token two: none"; elif [ "$t3" = "$t1" ]; then diag "token two: one's"; else diag "token two: its own"; fi
	cat "$W/err"
fi

# ---- broken sources: a clear error and no request ----------------------------------------------------
# bad DESC EXIT PATTERN CLIENT [CONF]
bad() {
	n0=$(ntoken)
	run "$CCAUTH" -c "${5:-$W/main.conf}" token "$4"
	n1=$(ntoken)
	case $rc:$err in
	"$2":*$3*)
		if [ "$n1" = "$n0" ]; then ok "$1: exit $2, no request"; else not_ok "$1: a request went out"; fi ;;
	*) not_ok "$1: exit $rc"; diag "$err" ;;
	esac
}
mv "$W/keycloak.jwt" "$W/keycloak.jwt.away"
bad "assertion file missing" 2 "client_assertion_file $W/keycloak.jwt cannot be opened" keycloak
mv "$W/keycloak.jwt.away" "$W/keycloak.jwt"
put "$W/entra.jwt" "$(fed_mint k8s "{\"sub\":\"$SA_W\",\"aud\":\"api://AzureADTokenExchange\",\"exp\":$(($(date +%s) - 42))}")"
bad "assertion expired" 2 "the assertion in $W/entra.jwt expired 4[2-9] s ago; is the writer running?" entra
put "$W/entra.jwt" "not-a-jwt"
bad "assertion file without a JWT" 2 "client_assertion_file $W/entra.jwt does not hold a JWT" entra
: >"$W/entra.jwt"
bad "empty assertion file" 2 "client_assertion_file $W/entra.jwt is empty" entra
head -c 20000 /dev/zero | tr '\0' a >"$W/entra.jwt"
bad "oversized assertion file" 2 "is longer than 16384 bytes" entra
put "$W/entra.jwt" "$(mint_k8s $SA_W api://AzureADTokenExchange)"
chmod 644 "$W/entra.jwt"
bad "world-readable assertion file" 2 "not readable by others" entra
chmod 640 "$W/entra.jwt"
put "$W/sts.jwt" "$(fed_mint k8s "{\"sub\":\"$SA_W\",\"aud\":\"x\",\"exp\":1000}")"
bad "subject token expired" 2 "the subject token in $W/sts.jwt expired" sts
for req in gha-req-500 gha-req-garbage gha-req-novalue wrong-request-token; do
	TEST_GHA_REQ=$req bad "URL source answering $req" 3 "" gha
done
TEST_GHA_REQ= bad "URL source: request token variable unset" 2 "TEST_GHA_REQ is not set" gha
if grep '^token ' "$AS_DIR/fed.log" | grep 'grant_type=client_credentials' | grep -qv 'client_assertion='; then
	not_ok "never a token request without client authentication"
else
	ok "never a token request without client authentication"
fi

# ---- what is printed: never the JWT -----------------------------------------------------------------
run "$CCAUTH" -c "$W/main.conf" check
jwt=$(cat "$W/entra.jwt")
case $out in
*"client entra: client_assertion_file $W/entra.jwt: a JWT from $FED/k8s for api://AzureADTokenExchange, expires in "[0-9]*" s"*)
	ok "check: issuer, audience and seconds to expiry of the assertion" ;;
*) not_ok "check: assertion line"; diag "$out" ;;
esac
case $out in *"client gha: client_assertion_url env:TEST_GHA_URL: a JWT from $FED/gha for $AS, expires in"*) ok "check: the URL source" ;; *) not_ok "check: URL source"; diag "$out" ;; esac
case $out in *"client sts: subject_token_file $W/sts.jwt: the subject token in $W/sts.jwt expired"*) ok "check: an expired subject token is a failure" ;; *) not_ok "check: expired subject token"; diag "$out" ;; esac
case $out$err in *"$jwt"* | *"$(cat "$W/svid.jwt")"*) not_ok "check printed a JWT" ;; *) ok "check prints no JWT" ;; esac

# ---- contradictory configuration: file:line of the offending key ----------------------------------
# cfgerr DESC PATTERN: the section on stdin
cfgerr() {
	conf "$W/bad.conf" "" </dev/stdin
	run "$CCAUTH" -c "$W/bad.conf" token x
	case $rc:$err in "2:"*"$2"*) ok "config: $1" ;; *) not_ok "config: $1: exit $rc"; diag "$err" ;; esac
}
cfgerr "client_secret_file next to client_assertion" "bad.conf:10: client_secret_file does not go with auth_method = client_assertion" <<EOF
[client x]
issuer = $AS
auth_method = client_assertion
client_assertion_file = $W/entra.jwt
client_secret_file = $W/exchanger.secret
EOF
cfgerr "both assertion sources" "bad.conf:10: client_assertion_url contradicts the other assertion source" <<EOF
[client x]
issuer = $AS
auth_method = client_assertion
client_assertion_file = $W/entra.jwt
client_assertion_url = https://127.0.0.1:1/x
client_assertion_token_env = X
EOF
cfgerr "auth_method = none with client_credentials" "bad.conf:8: auth_method = none needs grant = token_exchange" <<EOF
[client x]
issuer = $AS
auth_method = none
EOF
cfgerr "client_assertion without a source" "bad.conf:6: [client] with auth_method = client_assertion needs" <<EOF
[client x]
issuer = $AS
auth_method = client_assertion
EOF
cfgerr "client_assertion_url without client_assertion_token_env" "client_assertion_url needs client_assertion_token_env" <<EOF
[client x]
issuer = $AS
auth_method = client_assertion
client_assertion_url = env:TEST_GHA_URL
EOF
cfgerr "subject_token_file without token_exchange" "bad.conf:10: subject_token_file needs grant = token_exchange" <<EOF
[client x]
issuer = $AS
client_id = a
auth_method = none
subject_token_file = $W/sts.jwt
EOF
cfgerr "unknown client_assertion_type" "bad.conf:9: bad value: expected jwt-bearer or jwt-spiffe" <<EOF
[client x]
issuer = $AS
auth_method = client_assertion
client_assertion_type = jwt-saml
EOF

# ---- RFC 10070 private_key_jwt against oidc-provider --------------------------------------------------
# pk NAME CLIENT_ID [assertion_audience]: a private_key_jwt section with the ES256 test key
pk() {
	printf '[client %s]\nissuer = %s\nclient_id = %s\nauth_method = private_key_jwt\n' "$1" "$ISS" "$2"
	printf 'private_key_file = %s\nkey_id = client-c-ec\nsigning_alg = ES256\n' "$CA/client-c-ec.pem"
	[ -z "${3:-}" ] || printf 'assertion_audience = %s\n' "$3"
	echo
}
{ pk strict service-e; pk strict-legacy service-e token_endpoint; pk legacy service-f token_endpoint
  pk legacy-new service-f; pk lenient service-c; } | conf "$W/pkjwt.conf" ""
run "$CCAUTH" -c "$W/pkjwt.conf" token strict
[ $rc -eq 0 ] && ok "RFC 10070: aud = issuer, typ client-authentication+jwt accepted by a strict AS client" || { not_ok "RFC 10070 strict: exit $rc"; diag "$err"; }
run "$CCAUTH" -c "$W/pkjwt.conf" token strict-legacy
case $rc:$err in 1:*invalid_client*) ok "assertion_audience = token_endpoint refused by the strict AS client (exit 1)" ;; *) not_ok "strict-legacy: exit $rc"; diag "$err" ;; esac
run "$CCAUTH" -c "$W/pkjwt.conf" token legacy
[ $rc -eq 0 ] && ok "assertion_audience = token_endpoint accepted by an AS client that wants the token endpoint" || { not_ok "legacy: exit $rc"; diag "$err"; }
run "$CCAUTH" -c "$W/pkjwt.conf" token legacy-new
case $rc:$err in 1:*invalid_client*) ok "the RFC 10070 form refused by that AS client (exit 1): the setting matters" ;; *) not_ok "legacy-new: exit $rc"; diag "$err" ;; esac
run "$CCAUTH" -c "$W/pkjwt.conf" token lenient
[ $rc -eq 0 ] && ok "oidc-provider's default (issuer or endpoint) accepts the RFC 10070 form" || { not_ok "lenient: exit $rc"; diag "$err"; }

done_testing
