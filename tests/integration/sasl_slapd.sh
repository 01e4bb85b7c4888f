#!/bin/sh
# The SASL plugin in a real slapd, against the test AS (oidc-provider over HTTPS):
# - ldapwhoami -ZZ -Y OAUTHBEARER where the client plugin gets its own token (client credentials,
#   shared disk cache), and with -w TOKEN; XOAUTH2 both ways; the mapped DN via authz-regexp
# - expired, wrong-audience and forged tokens: Invalid credentials (49)
# - a rejected token is dropped from the client cache: the next bind fetches a new one
# - without TLS the default secprops refuse the mechanism (honest flags)
# - 16 threads x 200 binds (SASL_HAMMER_THREADS / SASL_HAMMER_BINDS) mixing good and bad tokens
# - no token text in slapd's log; slapd still serving at the end
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/jose.sh"
. "$srcdir/lib/slapd.sh"

as_require
slapd_require
plugdir="$top_builddir/sasl/.libs"
[ -f "$plugdir/libccauth.so" ] || bail_skip_all "sasl/.libs/libccauth.so not built"
as_init
umask 077

as_port=$(as_free_port)
ldap_port=$(as_free_port)
as_start as "$as_port" || bail_skip_all "test AS did not start"
ISS="https://127.0.0.1:$as_port"
D="$AS_DIR/slapd"
C="$AS_DIR/ca"
mkdir -p "$D"
URI="ldap://127.0.0.1:$ldap_port"
DN="uid=service-a,ou=services,dc=example,dc=test"

cat >"$D/server.conf" <<EOF
[global]
ca_file = $C/ca.crt
cache_dir = $D/scache

[issuer test]
issuer = $ISS
audience = urn:test:rs256
required_scope = ldap
EOF
printf %s secret-a >"$D/secret-a"
printf %s secret-b >"$D/secret-b"
client_section() { # NAME CLIENT_ID METHOD SECRETFILE SCOPE
	printf '[client %s]\nissuer = %s\nclient_id = %s\nauth_method = %s\nclient_secret_file = %s\nscope = %s\n\n' \
		"$1" "$ISS" "$2" "$3" "$4" "$5"
}
{
	printf '[global]\nca_file = %s\ncache_dir = %s\n\n' "$C/ca.crt" "$D/ccache"
	client_section svc service-a client_secret_basic "$D/secret-a" ldap
} >"$D/client.conf"
{
	printf '[global]\nca_file = %s\ncache_dir = %s\n\n' "$C/ca.crt" "$D/ccache2"
	client_section svc service-a client_secret_basic "$D/secret-a" ldap
	# a token without the ldap scope: the server rejects it every time
	client_section narrow service-b client_secret_post "$D/secret-b" imap
} >"$D/client-multi.conf"

export SASL_PATH="$plugdir"
slapd_start "$D" "$ldap_port" "$C" "mech_list: OAUTHBEARER XOAUTH2 EXTERNAL
log_level: 5
ccauth_config: $D/server.conf
ccauth_scope: ldap" || bail_skip_all "slapd did not start"
export LDAPTLS_CACERT="$C/ca.crt"
export LDAPTLS_REQCERT=demand

# whoami [ENV=VAL...] ldapwhoami ARGS: sets rc, out (stdout: the DN line) and err
whoami() {
	out=$(env "$@" </dev/null 2>"$D/err")
	rc=$?
	err=$(cat "$D/err")
}
expect_dn() { # DESC
	if [ $rc -eq 0 ] && [ "$out" = "dn:$DN" ]; then ok "$1: dn:$DN"; else not_ok "$1: rc $rc"; diag "$out $err"; fi
}
expect_49() { # DESC
	case $rc:$err in
	49:*"Invalid credentials (49)"*) ok "$1: Invalid credentials (49)" ;;
	*) not_ok "$1: rc $rc"; diag "$out $err" ;;
	esac
}
tokens() { as_count as token; }
# expect_tokens BEFORE N DESC: the AS log shows exactly N more token requests (it is written
# after the answer, so give it a moment)
expect_tokens() {
	_i=0
	while [ $(($(tokens) - $1)) -lt "$2" ] && [ $_i -lt 20 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	sleep 0.2
	_got=$(($(tokens) - $1))
	[ "$_got" -eq "$2" ] && ok "$3" || not_ok "$3: $_got token requests, want $2"
}

# --- the client plugin fetches its own token ---
t0=$(tokens)
whoami CCAUTH_CONF="$D/client.conf" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER
expect_dn "OAUTHBEARER, token fetched by the client plugin (no -w)"
whoami CCAUTH_CONF="$D/client.conf" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
expect_dn "again, quiet mode"
expect_tokens "$t0" 1 "one token request for two binds (shared disk cache)"
whoami CCAUTH_CONF="$D/client.conf" ldapwhoami -ZZ -H "$URI" -Y XOAUTH2 -Q
expect_dn "XOAUTH2, token fetched by the client plugin"
whoami CCAUTH_CONF="$D/client-multi.conf" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -U service-a
expect_dn "two [client] sections, -U service-a picks the one with that client_id"

# --- rejection drops the cached token ---
t0=$(tokens)
whoami CCAUTH_CONF="$D/client-multi.conf" CCAUTH_CLIENT=narrow ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
expect_49 "token without the required scope"
whoami CCAUTH_CONF="$D/client-multi.conf" CCAUTH_CLIENT=narrow ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
expect_49 "again"
expect_tokens "$t0" 2 "the rejected token was dropped: the second bind fetched a new one"
whoami CCAUTH_CONF="$D/client-multi.conf" CCAUTH_CLIENT=nosuch ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
case $rc:$out in
0:*) not_ok "CCAUTH_CLIENT naming no section: bound" ;;
*) ok "CCAUTH_CLIENT naming no section: refused by the client (rc $rc)" ;;
esac

# --- the application's password is the token (no [client] section in the client's config) ---
good=$(curl -sS --cacert "$C/ca.crt" -u service-a:secret-a -d grant_type=client_credentials -d scope=ldap \
	"$ISS/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$good" ] || bail_skip_all "no token from the AS"
now=$(date +%s)
H='{"alg":"RS256","typ":"at+jwt","kid":"rsa-1"}'
pl() { # AUD IAT EXP
	printf '{"iss":"%s","sub":"service-a","client_id":"service-a","aud":"%s","scope":"ldap","jti":"j%s","iat":%s,"exp":%s}' \
		"$ISS" "$1" "$2" "$2" "$3"
}
expired=$(jose_rs256 "$AS_DIR/as/as-rsa.pem" "$H" "$(pl urn:test:rs256 $((now - 7200)) $((now - 3600)))")
wrongaud=$(jose_rs256 "$AS_DIR/as/as-rsa.pem" "$H" "$(pl urn:test:other "$now" $((now + 600)))")
jose_rsa_key "$D/forger.pem"
forged=$(jose_rs256 "$D/forger.pem" "$H" "$(pl urn:test:rs256 "$now" $((now + 600)))")
# the AS key really signs acceptable tokens: the same payload with the right audience binds
selfmade=$(jose_rs256 "$AS_DIR/as/as-rsa.pem" "$H" "$(pl urn:test:rs256 "$now" $((now + 600)))")

W="CCAUTH_CONF=$D/server.conf"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -w "$good"
expect_dn "OAUTHBEARER -w TOKEN (token from the AS)"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y XOAUTH2 -U service-a -w "$good"
expect_dn "XOAUTH2 -U service-a -w TOKEN"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -w "$selfmade"
expect_dn "a token signed with the AS key by this script (control for the cases below)"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -w "$expired"
expect_49 "expired token"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -w "$wrongaud"
expect_49 "wrong audience"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -w "$forged"
expect_49 "forged signature"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y XOAUTH2 -U service-a -w "$forged"
expect_49 "XOAUTH2 forged signature"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -w "not-a-token"
expect_49 "opaque garbage"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -X dn:cn=admin,dc=example,dc=test -w "$good"
case $rc:$out in
0:*) not_ok "authzid dn:cn=admin without authzTo: bound"; diag "$out $err" ;;
*) ok "authzid dn:cn=admin without authzTo: refused (rc $rc)" ;;
esac
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -X "dn:$DN" -w "$good"
expect_dn "authzid equal to the own DN"

# --- honest security flags: no TLS, no OAUTHBEARER (client side and server side) ---
whoami "$W" ldapwhoami -H "$URI" -Y OAUTHBEARER -w "$good"
case $rc:$err in
0:*) not_ok "plain LDAP with default client secprops: bound" ;;
*"No worthy mechs"*) ok "plain LDAP, default client secprops: no worthy mechs" ;;
*) not_ok "plain LDAP: rc $rc"; diag "$err" ;;
esac
whoami "$W" ldapwhoami -O none -H "$URI" -Y OAUTHBEARER -w "$good"
case $rc:$out in
0:*) not_ok "plain LDAP with -O none: the server accepted a bearer token in clear" ;;
*) ok "plain LDAP with -O none: refused by slapd's default secprops (rc $rc)" ;;
esac

# --- concurrency ---
threads=${SASL_HAMMER_THREADS:-16}
binds=${SASL_HAMMER_BINDS:-200}
hammer="$top_builddir/tests/sasl/ldap_hammer"
if [ -x "$hammer" ]; then
	res=$("$hammer" "$URI" "$threads" "$binds" "$good" "$forged" "$DN" 2>&1)
	hrc=$?
	diag "ldap_hammer $threads x $binds: $res"
	[ $hrc -eq 0 ] && ok "$threads threads x $binds binds, good and bad tokens: 0 wrong answers" ||
		not_ok "$threads x $binds: $res"
else
	skip "ldap_hammer not built (no libldap)"
fi

# --- afterwards ---
slapd_alive "$D" && ok "slapd still serving" || not_ok "slapd died"
whoami "$W" ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -w "$good"
expect_dn "a good bind after all the bad ones"
leak=0
for t in "$good" "$expired" "$wrongaud" "$forged"; do
	sig=${t##*.}
	grep -qF -e "$sig" "$D/slapd.log" && leak=1
done
[ $leak -eq 0 ] && ok "no token text in slapd's log" || not_ok "token text in slapd's log"
grep -q "ccauth: OAUTHBEARER rejected token [0-9a-f]\{16\}: expired" "$D/slapd.log" &&
	ok "slapd's log names the rejection by fingerprint and reason" || not_ok "no rejection line in slapd's log"
slapd_stop "$D"
done_testing
