#!/bin/sh
# Interop: tokens minted by an independent JOSE implementation (Node's built-in node:crypto, see
# tests/tools/mint.mjs) for every algorithm ccauth supports must pass `ccauth verify` under
# strict_rfc9068 with audience and required_scope; a copy with one signature character changed
# must be rejected with reason "signature", without echoing the token.
. "$srcdir/lib/tap.sh"

ccauth=$top_builddir/tools/ccauth
command -v node >/dev/null 2>&1 || bail_skip_all "node is not installed"
[ -x "$ccauth" ] || bail_skip_all "tools/ccauth not built"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
umask 077

iss=https://as.interop.test/node
aud=urn:test:rs
if ! node "$srcdir/tools/mint.mjs" "$tmp/out" "$iss" "$aud" ldap.read 2>"$tmp/mint.err"; then
	diag "$(cat "$tmp/mint.err")"
	bail_skip_all "node cannot mint (node:crypto without RSA-PSS/EC/Ed25519?)"
fi

cat >"$tmp/ccauth.conf" <<EOF
[global]
cache_dir =
clock_skew = 60

[issuer node]
issuer = $iss
jwks_file = $tmp/out/jwks.json
strict_rfc9068 = yes
audience = $aud
required_scope = ldap.read
EOF

# flip one character in the middle of the signature (never the last one, whose low bits may be
# padding and would make the part non-canonical base64url rather than a wrong signature)
tamper() {
	_head=${1%.*}
	_sig=${1##*.}
	_c=$(printf '%s' "$_sig" | cut -c10)
	if [ "$_c" = A ]; then _r=B; else _r=A; fi
	printf '%s.%s%s%s' "$_head" "$(printf '%s' "$_sig" | cut -c1-9)" "$_r" "$(printf '%s' "$_sig" | cut -c11-)"
}

n=0
while read -r alg kid client; do
	n=$((n + 1))
	tok=$(cat "$tmp/out/$alg.jwt")

	printf '%s\n' "$tok" | "$ccauth" -c "$tmp/ccauth.conf" verify - >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	if [ $rc -eq 0 ] && grep -q "\"user\": *\"$client\"" "$tmp/stdout"; then
		ok "$alg ($kid): node-minted token accepted as $client"
	else
		not_ok "$alg ($kid): node-minted token accepted as $client"
		diag "exit $rc; stdout: $(cat "$tmp/stdout"); stderr: $(cat "$tmp/stderr")"
	fi

	bad=$(tamper "$tok")
	if [ "$bad" = "$tok" ]; then
		not_ok "$alg: tampering changed nothing"
		continue
	fi
	printf '%s\n' "$bad" | "$ccauth" -c "$tmp/ccauth.conf" verify - >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	if [ $rc -eq 1 ] && grep -q '^ccauth: rejected: signature' "$tmp/stderr" && [ ! -s "$tmp/stdout" ]; then
		ok "$alg: tampered signature rejected (signature)"
	else
		not_ok "$alg: tampered signature rejected (signature)"
		diag "exit $rc; stdout: $(cat "$tmp/stdout"); stderr: $(cat "$tmp/stderr")"
	fi
	sig=${bad##*.}
	if grep -qF -- "$sig" "$tmp/stderr"; then
		not_ok "$alg: rejection does not echo the token"
	else
		ok "$alg: rejection does not echo the token"
	fi
done <"$tmp/out/tokens.txt"

if [ "$n" -eq 10 ]; then ok "mint.mjs made 10 tokens"; else not_ok "mint.mjs made 10 tokens (got $n)"; fi
done_testing
