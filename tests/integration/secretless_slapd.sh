#!/bin/sh
# A service in a pod binds to a real slapd with its projected service-account token and no
# secret: the SASL client plugin (ldapwhoami -Y OAUTHBEARER) sends the token file as a federated
# client assertion to the federation test endpoint's AS (tests/tools/fed-server.mjs), and slapd's
# server plugin validates the access token it got against that AS's JWKS.  Also the RFC 8693
# exchange (no client authentication) and a SPIFFE JWT-SVID; an expired token file fails the bind
# on the client side without any request to the AS.
set -u
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/fed.sh"
. "$srcdir/lib/slapd.sh"

as_require
slapd_require
plugdir="$top_builddir/sasl/.libs"
[ -f "$plugdir/libccauth.so" ] || bail_skip_all "sasl/.libs/libccauth.so not built"
as_init
umask 077

fed_port=$(as_free_port)
ldap_port=$(as_free_port)
fed_start "$fed_port" || bail_skip_all "federation endpoint did not start"
AS="$FED/as"
D="$AS_DIR/slapd"
C="$AS_DIR/ca"
mkdir -p "$D"
URI="ldap://127.0.0.1:$ldap_port"
dn() { printf 'dn:uid=%s,ou=services,dc=example,dc=test' "$1"; }

cat >"$D/server.conf" <<EOF
[global]
ca_file = $C/ca.crt
cache_dir = $D/scache

[issuer fed]
issuer = $AS
audience = urn:test:ldap
required_scope = ldap
EOF
# put FILE JWT: the kubelet's way, a new file renamed into place
put() { printf '%s' "$2" >"$1.tmp" && chmod 640 "$1.tmp" && mv -f "$1.tmp" "$1"; }
put "$D/token" "$(fed_mint k8s "{\"sub\":\"system:serviceaccount:apps:ldap-reader\",\"aud\":\"$AS\",\"ttl\":3600}")"
put "$D/svid" "$(fed_mint spiffe "{\"sub\":\"spiffe://example.org/ns/apps/sa/mailer\",\"aud\":\"$AS\",\"ttl\":300}")"
put "$D/sts" "$(fed_mint k8s '{"sub":"system:serviceaccount:apps:ldap-writer","aud":"https://sts.test/projects/1/pools/p/providers/k8s","ttl":600}')"
cat >"$D/client.conf" <<EOF
[global]
ca_file = $C/ca.crt
cache_dir = $D/ccache

[client pod]
issuer = $AS
auth_method = client_assertion
client_assertion_file = $D/token
scope = ldap

[client mailer]
issuer = $AS
auth_method = client_assertion
client_assertion_type = jwt-spiffe
client_assertion_file = $D/svid
scope = ldap

[client sts]
token_endpoint = $AS/token
grant = token_exchange
auth_method = none
subject_token_file = $D/sts
audience = //sts.test/projects/1/pools/p/providers/k8s
scope = ldap
EOF
chmod 600 "$D/server.conf" "$D/client.conf"

export SASL_PATH="$plugdir"
slapd_start "$D" "$ldap_port" "$C" "mech_list: OAUTHBEARER XOAUTH2 EXTERNAL
ccauth_config: $D/server.conf
ccauth_scope: ldap" || bail_skip_all "slapd did not start"
export LDAPTLS_CACERT="$C/ca.crt"
export LDAPTLS_REQCERT=demand

whoami() {
	out=$(env "$@" </dev/null 2>"$D/err")
	rc=$?
	err=$(cat "$D/err")
}
expect_dn() { # ID DESC
	if [ $rc -eq 0 ] && [ "$out" = "$(dn "$1")" ]; then ok "$2: $out"; else not_ok "$2: rc $rc"; diag "$out $err"; fi
}
ntoken() { grep -c '^token ' "$AS_DIR/fed.log" || :; }

whoami CCAUTH_CONF="$D/client.conf" CCAUTH_CLIENT=pod ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
expect_dn app-keycloak "projected token file, no secret: OAUTHBEARER bind"
diag "received: $(grep '^token ' "$AS_DIR/fed.log" | tail -n 1)"
whoami CCAUTH_CONF="$D/client.conf" CCAUTH_CLIENT=mailer ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
expect_dn app-spiffe "SPIFFE JWT-SVID file: OAUTHBEARER bind"
whoami CCAUTH_CONF="$D/client.conf" CCAUTH_CLIENT=sts ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
expect_dn sts-k8s "RFC 8693 exchange without client authentication: OAUTHBEARER bind"

# the token is cached per user: a rotated file does not cost a request, a dropped cache does
n0=$(ntoken)
put "$D/token" "$(fed_mint k8s "{\"sub\":\"system:serviceaccount:apps:ldap-reader\",\"aud\":\"$AS\",\"ttl\":1800}")"
whoami CCAUTH_CONF="$D/client.conf" CCAUTH_CLIENT=pod ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
expect_dn app-keycloak "after the kubelet rewrote the file"
[ "$(ntoken)" = "$n0" ] && ok "the cached token served it (no token request)" || not_ok "a token request for a cached token"

# an expired file and an empty cache: the client refuses before any request
rm -rf "$D/ccache"
put "$D/token" "$(fed_mint k8s "{\"sub\":\"system:serviceaccount:apps:ldap-reader\",\"aud\":\"$AS\",\"exp\":$(($(date +%s) - 10))}")"
n0=$(ntoken)
whoami CCAUTH_CONF="$D/client.conf" CCAUTH_CLIENT=pod ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q
if [ $rc -ne 0 ] && [ "$(ntoken)" = "$n0" ]; then
	ok "expired token file: the bind fails (rc $rc) and no request reaches the AS"
else
	not_ok "expired token file: rc $rc, $(($(ntoken) - n0)) requests"
fi
case $err in *"$(cat "$D/token")"*) not_ok "the client printed the JWT" ;; *) ok "the client printed no JWT" ;; esac

slapd_alive "$D" && ok "slapd still serving" || not_ok "slapd died"
slapd_stop "$D"
done_testing
