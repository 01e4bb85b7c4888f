#!/bin/sh
# ccauth verify end to end: a key, JWKS and config made with openssl in a temp dir; exit codes
# 0/1/2/3, the success JSON, the rejection line, usage errors, token from argv and stdin, and that
# the token never shows up in the output of a rejection.
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/jose.sh"

ccauth=$top_builddir/tools/ccauth
[ -x "$ccauth" ] || bail_skip_all "tools/ccauth not built"
command -v openssl >/dev/null 2>&1 && command -v xxd >/dev/null 2>&1 || bail_skip_all "needs openssl and xxd"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
umask 077

jose_rsa_key "$tmp/key.pem" || bail_skip_all "openssl cannot make an RSA key"
jose_rsa_key "$tmp/other.pem"
jose_rsa_jwks "$tmp/key.pem" k1 >"$tmp/jwks.json"
cat >"$tmp/ccauth.conf" <<EOF
[global]
clock_skew = 60
cache_dir =

[issuer main]
issuer = https://as.example/t
jwks_file = $tmp/jwks.json
audience = ldap://x
required_scope = ldap.read

[issuer other]
issuer = https://other.example
jwks_file = $tmp/jwks.json
allowed_client_ids = c2 svc-1

[issuer remote]
issuer = https://remote.example
jwks_uri = https://127.0.0.1:1/jwks
audience = ldap://x
EOF

now=$(date +%s)
exp=$((now + 3600))
H='{"alg":"RS256","kid":"k1","typ":"at+jwt"}'
P="{\"iss\":\"https://as.example/t\",\"sub\":\"svc-sub\",\"client_id\":\"svc-1\",\"aud\":\"ldap://x\",\"scope\":\"ldap.read\",\"jti\":\"j1\",\"iat\":$now,\"exp\":$exp}"
good=$(jose_rs256 "$tmp/key.pem" "$H" "$P")
want="{\"user\":\"svc-1\",\"iss\":\"https://as.example/t\",\"sub\":\"svc-sub\",\"client_id\":\"svc-1\",\"aud\":[\"ldap://x\"],\"scope\":\"ldap.read\",\"exp\":$exp,\"via\":\"jwt\"}"

# run [ARGS...]: ccauth with stdin from $input (unset: /dev/null); sets rc, out, err
run() {
	if [ -n "${input+x}" ]; then
		printf '%s' "$input" | "$ccauth" "$@" >"$tmp/out" 2>"$tmp/err"
	else
		"$ccauth" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
verify() { run -c "$tmp/ccauth.conf" verify "$@"; }

# expect_rc N DESC
expect_rc() {
	if [ "$rc" -eq "$1" ]; then ok "$2 (exit $1)"; else not_ok "$2: exit $rc, want $1"; diag "stderr: $err"; fi
}

# rejected REASON DESC TOKEN: exit 1, one stderr line "ccauth: rejected: REASON: detail", empty
# stdout, and the token (and its payload part) nowhere in the output
rejected() {
	expect_rc 1 "$2"
	lines=$(wc -l <"$tmp/err")
	case $err in
	"ccauth: rejected: $1: "?*) [ "$lines" -eq 1 ] && ok "$2: reason $1" || not_ok "$2: $lines stderr lines" ;;
	*) not_ok "$2: reason $1"; diag "stderr: $err" ;;
	esac
	[ -z "$out" ] && ok "$2: stdout empty" || not_ok "$2: stdout not empty"
	payload=$(printf %s "$3" | cut -d. -f2)
	if [ -n "$3" ] && grep -qF -e "$3" -e "${payload:-@@none@@}" "$tmp/out" "$tmp/err"; then
		not_ok "$2: token echoed"
	else
		ok "$2: token not echoed"
	fi
}

# ---- --help, --version, usage
run --version
expect_rc 0 "--version"
case $out in "ccauth "[0-9]*) ok "--version prints the version" ;; *) not_ok "--version output: $out" ;; esac
run --help
expect_rc 0 "--help"
case $out in *"verify [-i ISSUER]"*) ok "--help describes verify" ;; *) not_ok "--help output" ;; esac
run
expect_rc 2 "no command"
run -Z
expect_rc 2 "bad global option"
verify -Z "$good"
expect_rc 2 "bad verify option"
verify "$good" extra
expect_rc 2 "two tokens"
run -c "$tmp/ccauth.conf" "$good"
expect_rc 2 "unknown command"
grep -qF "$good" "$tmp/err" && not_ok "unknown command echoes its argument" || ok "unknown command is not echoed"
run -c "$tmp/missing.conf" verify "$good"
expect_rc 2 "missing config"
case $err in "ccauth: config: "*missing.conf*) ok "missing config names the file" ;; *) not_ok "missing config: $err" ;; esac
export CCAUTH_CONF="$tmp/ccauth.conf"
run verify "$good"
unset CCAUTH_CONF
expect_rc 0 "CCAUTH_CONF picks the config"
cp "$tmp/ccauth.conf" "$tmp/open.conf" && chmod 0666 "$tmp/open.conf"
run -c "$tmp/open.conf" verify "$good"
expect_rc 2 "world-writable config refused"

# ---- success: argv, stdin, "-", CRLF
verify "$good"
expect_rc 0 "valid token from argv"
[ "$out" = "$want" ] && ok "success JSON exact" || { not_ok "success JSON"; diag "got  $out"; diag "want $want"; }
[ -z "$err" ] && ok "success: stderr empty" || not_ok "success: stderr: $err"
input="$good
"
verify
expect_rc 0 "valid token from stdin (newline stripped)"
[ "$out" = "$want" ] && ok "stdin: same JSON" || not_ok "stdin JSON: $out"
input="$good$(printf '\r')
"
verify -
expect_rc 0 "valid token from stdin via - (CRLF stripped)"
input="$good

"
verify
rejected malformed "two trailing newlines" "$good"
unset input

P2="{\"iss\":\"https://other.example\",\"client_id\":\"c2\",\"scope\":\"x ldap.read\",\"exp\":$exp}"
verify "$(jose_rs256 "$tmp/key.pem" "$H" "$P2")"
expect_rc 0 "absent claims"
[ "$out" = "{\"user\":\"c2\",\"iss\":\"https://other.example\",\"sub\":null,\"client_id\":\"c2\",\"aud\":[],\"scope\":\"x ldap.read\",\"exp\":$exp,\"via\":\"jwt\"}" ] &&
	ok "absent claims are null, aud always an array" || not_ok "absent claims JSON: $out"

# ---- rejections
h=$(printf %s "$good" | cut -d. -f1)
s=$(printf %s "$good" | cut -d. -f3)
Ptamp=$(printf %s "$P" | sed 's/svc-sub/root/')
tampered="$h.$(printf %s "$Ptamp" | b64url).$s"
verify "$tampered"
rejected signature "tampered payload" "$tampered"

Pexp="{\"iss\":\"https://as.example/t\",\"client_id\":\"svc-1\",\"scope\":\"ldap.read\",\"exp\":$((now - 3600))}"
t=$(jose_rs256 "$tmp/key.pem" "$H" "$Pexp")
verify "$t"
rejected expired "expired" "$t"

Pnbf="{\"iss\":\"https://as.example/t\",\"client_id\":\"svc-1\",\"scope\":\"ldap.read\",\"nbf\":$((now + 3600)),\"exp\":$((now + 7200))}"
t=$(jose_rs256 "$tmp/key.pem" "$H" "$Pnbf")
verify "$t"
rejected not_yet_valid "not yet valid" "$t"

t=$(jose_rs256 "$tmp/key.pem" "$H" "{\"iss\":\"https://as.example/t/\",\"client_id\":\"a\",\"exp\":$exp}")
verify "$t"
rejected issuer "unknown iss" "$t"

t=$(jose_rs256 "$tmp/key.pem" "$H" "{\"iss\":\"https://as.example/t\",\"aud\":\"ldap://x\",\"client_id\":\"a\",\"scope\":\"ldap.readx\",\"exp\":$exp}")
verify "$t"
rejected scope "scope near miss" "$t"

t=$(jose_rs256 "$tmp/key.pem" "$H" "{\"iss\":\"https://as.example/t\",\"aud\":\"ldap://x\",\"client_id\":\"a b\",\"scope\":\"ldap.read\",\"exp\":$exp}")
verify "$t"
rejected identity "unmappable client_id" "$t"

t=$(jose_rs256 "$tmp/other.pem" '{"alg":"RS256","kid":"k9"}' "$P")
verify "$t"
rejected unknown_key "unknown kid" "$t"

t=$(jose_rs256 "$tmp/other.pem" "$H" "$P")
verify "$t"
rejected signature "signed by another key" "$t"

t="$(printf %s '{"alg":"none"}' | b64url).$(printf %s "$P" | b64url)."
verify "$t"
rejected algorithm "alg none" "$t"

t="$(printf %s '{"alg":"HS256","kid":"k1"}' | b64url).$(printf %s "$P" | b64url).$s"
verify "$t"
rejected algorithm "alg HS256" "$t"

verify "not-a-jwt-at-all"
rejected malformed "opaque token" "not-a-jwt-at-all"

verify "$h.$(printf %s "$P" | b64url)"
rejected malformed "two parts" "$h"

input=$(head -c 16387 /dev/zero | tr '\0' 'A')
verify
rejected malformed "token over the size limit from stdin" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
unset input

verify "$good "
rejected malformed "trailing space in argv" "$good"

# ---- --explain: every check in order, the same verdict, never the token
# explained DESC TOKEN RC FIRST: exit RC; FIRST is the reason of the first ✗ line ("" when none);
# neither the token nor its payload or signature part in the output
explained() {
	verify --explain "$2"
	expect_rc "$3" "$1: --explain"
	first=$(printf '%s\n' "$out" | grep -m1 '✗' | sed -n 's/.*✗ \([a-z_]*\)$/\1/p')
	[ "$first" = "$4" ] && ok "$1: first ✗ is '${4:-none}'" || not_ok "$1: first ✗ '$first', want '$4'"
	for part in "$2" "$(printf %s "$2" | cut -d. -f2)" "$(printf %s "$2" | cut -d. -f3)"; do
		if [ -n "$part" ] && grep -qF -e "$part" "$tmp/out" "$tmp/err"; then
			not_ok "$1: --explain printed the token"
			return
		fi
	done
	ok "$1: --explain prints no part of the token"
}
explained "valid token" "$good" 0 ""
[ "$(printf '%s\n' "$out" | tail -n 1)" = "$want" ] && ok "--explain: the identity JSON comes last" ||
	not_ok "--explain last line: $(printf '%s\n' "$out" | tail -n 1)"
for c in token header issuer algorithm key signature types time audience scope client identity; do
	printf '%s\n' "$out" | grep -q "^$c .*✔$" || { not_ok "--explain: no ✔ line for $c"; continue; }
	ok "--explain: $c ✔"
done
case $out in *'aud "ldap://x" holds ldap://x'*) ok "--explain shows the compared value" ;; *) not_ok "--explain audience line" ;; esac
# two failures: both shown, the first decides, as without --explain
t=$(jose_rs256 "$tmp/key.pem" "$H" "{\"iss\":\"https://as.example/t\",\"aud\":\"ldap://y\",\"client_id\":\"svc-1\",\"scope\":\"mail\",\"exp\":$exp}")
verify "$t"
rejected audience "wrong aud and scope" "$t"
explained "wrong aud and scope" "$t" 1 audience
[ "$(printf '%s\n' "$out" | grep -c '✗')" = 2 ] && ok "--explain goes on past the first failure (2 ✗)" ||
	not_ok "--explain ✗ lines: $(printf '%s\n' "$out" | grep -c '✗')"
case $out in *'scope '*'"mail" lacks ldap.read  ✗ scope'*) ok "--explain: the scope line names what lacks" ;; *) not_ok "--explain scope line" ;; esac
case $err in "ccauth: rejected: audience: "*) ok "--explain: the rejection line is the plain one" ;; *) not_ok "--explain stderr: $err" ;; esac
explained "expired" "$(jose_rs256 "$tmp/key.pem" "$H" "$Pexp")" 1 expired
# before the signature verifies only the header may show: no claim value
t=$(jose_rs256 "$tmp/other.pem" "$H" "$P")
explained "signed by another key" "$t" 1 signature
if printf '%s\n' "$out" | grep -q -e 'svc-1' -e 'ldap://x' -e 'svc-sub' -e "$exp"; then
	not_ok "--explain showed claims of an unverified token"
else
	ok "--explain shows no claim of an unverified token"
fi
case $out in *'{"alg":"RS256","kid":"k1","typ":"at+jwt"}'*) ok "--explain shows the header" ;; *) not_ok "--explain header" ;; esac
[ "$(printf '%s\n' "$out" | grep -c '  -$')" -ge 2 ] && ok "--explain lists the checks it could not make" ||
	not_ok "--explain: no skipped checks listed"
explained "unknown iss" "$(jose_rs256 "$tmp/key.pem" "$H" "{\"iss\":\"https://evil.example/x\",\"client_id\":\"a\",\"exp\":$exp}")" 1 issuer
case $out in *evil.example*) not_ok "--explain showed an unverified iss" ;; *) ok "--explain hides an unverified iss" ;; esac
explained "tampered payload" "$tampered" 1 signature
explained "alg none" "$(printf %s '{"alg":"none"}' | b64url).$(printf %s "$P" | b64url)." 1 algorithm
input=$good
verify --explain -
expect_rc 0 "--explain with the token on stdin"
unset input

# ---- issuer selection and temporary failure (remote keys from a closed loopback port: no network)
verify -i other "$good"
rejected issuer "-i other excludes main" "$good"
verify -i main -i other "$good"
expect_rc 0 "-i main -i other"
verify -i nope "$good"
expect_rc 2 "-i names an unknown issuer"
case $err in "ccauth: config: "*nope*) ok "unknown -i is named" ;; *) not_ok "unknown -i: $err" ;; esac
t=$(jose_rs256 "$tmp/key.pem" "$H" "{\"iss\":\"https://remote.example\",\"client_id\":\"a\",\"exp\":$exp}")
verify "$t"
expect_rc 3 "remote issuer without remote keys yet"
case $err in "ccauth: unavailable: "*) ok "unavailable is reported" ;; *) not_ok "unavailable: $err" ;; esac
grep -qF -e "$t" "$tmp/out" "$tmp/err" && not_ok "unavailable echoes the token" || ok "unavailable: token not echoed"

# ---- a broken jwks_file is read (and refused) only when a token names its issuer
printf '{"keys": [' >"$tmp/broken.json"
cp "$tmp/jwks.json" "$tmp/loose.json"
chmod 0622 "$tmp/loose.json"
cat "$tmp/ccauth.conf" - >"$tmp/broken.conf" <<EOF

[issuer broken]
issuer = https://broken.example
jwks_file = $tmp/broken.json
audience = ldap://x

[issuer loose]
issuer = https://loose.example
jwks_file = $tmp/loose.json
audience = ldap://x
EOF
run -c "$tmp/broken.conf" verify "$good"
expect_rc 0 "broken jwks_file of another issuer: the token of main is accepted"
for b in broken loose; do
	t=$(jose_rs256 "$tmp/key.pem" "$H" "{\"iss\":\"https://$b.example\",\"client_id\":\"a\",\"exp\":$exp}")
	run -c "$tmp/broken.conf" verify "$t"
	expect_rc 2 "a token of the issuer with the $b jwks_file: configuration error"
	case $err in *"[issuer $b] jwks_file"*) ok "the $b jwks_file is named" ;; *) not_ok "$b jwks_file: $err" ;; esac
done
run -c "$tmp/broken.conf" check
case $out in
*"fail: issuer broken: jwks_file"*"fail: issuer loose: jwks_file"*) ok "check reports both broken jwks_files" ;;
*) not_ok "check: $out" ;;
esac

done_testing
