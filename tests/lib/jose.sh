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
