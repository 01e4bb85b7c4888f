# JOSE with nothing but openssl, xxd and tr (sourced by scripts/demo and integration tests):
# RSA keys, their JWKS, and RS256 tokens.  Independent of ccauth's own code on purpose.

# base64url without padding, from stdin
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# jose_rsa_key FILE: a new 2048-bit RSA private key (PEM, mode 0600)
jose_rsa_key() {
	(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null)
}

# jose_rsa_jwks KEYFILE KID: the JWKS holding the public half of KEYFILE
jose_rsa_jwks() {
	_n=$(openssl rsa -in "$1" -noout -modulus 2>/dev/null | sed 's/^Modulus=//' | xxd -r -p | b64url)
	_e=$(openssl rsa -in "$1" -noout -text 2>/dev/null | sed -n 's/^publicExponent: [0-9]* (0x\([0-9a-fA-F]*\)).*/\1/p')
	[ $((${#_e} % 2)) -eq 0 ] || _e="0$_e"
	_e=$(printf %s "$_e" | xxd -r -p | b64url)
	printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"%s"}]}\n' "$2" "$_n" "$_e"
}

# jose_rs256 KEYFILE HEADER_JSON PAYLOAD_JSON: a compact JWS
jose_rs256() {
	_h=$(printf %s "$2" | b64url)
	_p=$(printf %s "$3" | b64url)
	_s=$(printf %s "$_h.$_p" | openssl dgst -sha256 -sign "$1" -binary | b64url)
	printf %s "$_h.$_p.$_s"
}

# b64url_decode: base64url (no padding) on stdin to bytes
b64url_decode() {
	_in=$(tr '_-' '/+')
	case $((${#_in} % 4)) in
	2) _in="$_in==" ;;
	3) _in="$_in=" ;;
	esac
	printf '%s\n' "$_in" | openssl base64 -d -A
}

# jose_tamper TOKEN FROM TO: TOKEN with FROM replaced by TO in its payload and the original
# signature kept (an identity or scope edited by someone without the key)
jose_tamper() {
	_h=${1%%.*}
	_s=${1##*.}
	_p=${1#*.}
	_p=$(printf %s "${_p%.*}" | b64url_decode | sed "s/$2/$3/" | b64url)
	printf %s "$_h.$_p.$_s"
}

# jose_rs256_len KEYFILE HEADER_JSON PAYLOAD_JSON N: a compact JWS of exactly N bytes, made by adding
# a "pad" claim to the payload and, where base64url cannot reach N that way (no length is 1 mod 4),
# an "x" member to the header.  Both JSON objects must end with "}".
jose_rs256_len() {
	_sl=$(jose_rs256 "$1" "$2" "$3")
	_sl=${_sl##*.}
	_sl=${#_sl}
	for _hx in '' ',"x":""' ',"x":"x"' ',"x":"xx"'; do
		_h="${2%\}}$_hx}"
		_pl=$(($4 - (${#_h} * 4 + 2) / 3 - 2 - _sl))
		_n=$((_pl * 3 / 4))
		[ $(((_n * 4 + 2) / 3)) -eq $_pl ] || continue
		_base="${3%\}},\"pad\":\"\"}"
		_pad=$((_n - ${#_base}))
		[ $_pad -ge 0 ] || continue
		jose_rs256 "$1" "$_h" "${3%\}},\"pad\":\"$(head -c $_pad /dev/zero | tr '\0' p)\"}"
		return 0
	done
	return 1
}
