# A throw-away OpenLDAP slapd for integration scripts (sourced, POSIX sh; needs root).
#
#   slapd_require              skip the whole script (TAP) without slapd, ldap-utils, unshare or root
#   slapd_require_plugin       that, openssl, node and the built plugin (then SASL_PATH points at it)
#   slapd_start DIR PORT CERTDIR SASLCONF
#                              build a config and a small DIT in DIR and start slapd on
#                              ldap://127.0.0.1:PORT (plus ldapi in DIR) with StartTLS from
#                              CERTDIR/{ca,server}.crt and server.key.  SASLCONF is the text of
#                              the Cyrus SASL config for the app "slapd".  Debian's slapd reads
#                              that only from /etc/ldap/sasl2/slapd.conf (SASL_CONF_PATH is
#                              ignored), so slapd runs in a private mount namespace (unshare -m)
#                              with DIR/sasl2 bind-mounted over /etc/ldap/sasl2; the host's
#                              directory is never touched.  SASL_PATH (plugin dirs) is passed on
#                              from the environment.  The pid joins $as_pids, so as_init's EXIT
#                              trap stops it; log in DIR/slapd.log (SLAPD_DEBUG: the -d level,
#                              default stats; SLAPD_LOGLEVEL: slapd's syslog loglevel, unset:
#                              slapd's default; SLAPD_DEVLOG: a datagram socket that is
#                              /dev/log in slapd's namespace; SLAPD_WRAPPER: a command slapd
#                              runs under, e.g. valgrind; SLAPD_START_TRIES: 50 ms waits for it
#                              to answer, default 100; SLAPD_ACCESS: access rules for the data
#                              database, ahead of its defaults (userPassword: auth only, the rest
#                              readable); SLAPD_AUTHZ_POLICY: default to; SLAPD_LDIF: entries
#                              added after the base DIT).
#   slapd_stop DIR
#   slapd_alive DIR            slapd still runs and answers an anonymous whoami
#
# Identities: SASL names uid=ID,cn=oauthbearer,cn=auth and uid=ID,cn=xoauth2,cn=auth map to
# uid=ID,ou=services,dc=example,dc=test (authz-regexp; SLAPD_NO_AUTHZ_REGEXP=1: no rules, the
# bind DN is the SASL name itself); uid=service-a and uid=alice (userPassword alice-pw, ou=people)
# exist.

SLAPD_BASE=dc=example,dc=test

# slapd_static_issuer DIR NAME ISS AUD: an RSA key (DIR/key.pem), its JWKS (DIR/jwks.json) and a
# server config trusting it as [issuer NAME] with required_scope ldap (DIR/ccauth.conf); no network.
# slapd_static_token DIR ISS AUD CLIENT_ID: a one-hour token of that issuer, on stdout.
slapd_static_issuer() {
	jose_rsa_key "$1/key.pem" || return 1
	jose_rsa_jwks "$1/key.pem" k1 >"$1/jwks.json" || return 1
	printf '[global]\ncache_dir =\n\n[issuer %s]\nissuer = %s\njwks_file = %s\naudience = %s\nrequired_scope = ldap\n' \
		"$2" "$3" "$1/jwks.json" "$4" >"$1/ccauth.conf"
}
slapd_static_token() {
	_now=$(date +%s)
	jose_rs256 "$1/key.pem" '{"alg":"RS256","typ":"at+jwt","kid":"k1"}' \
		"{\"iss\":\"$2\",\"sub\":\"$4\",\"client_id\":\"$4\",\"aud\":\"$3\",\"scope\":\"ldap\",\"iat\":$_now,\"exp\":$((_now + 3600))}"
}

slapd_require() {
	[ "$(id -u)" -eq 0 ] || bail_skip_all "slapd tests need root (unshare -m for /etc/ldap/sasl2)"
	for _c in slapd slapadd slaptest ldapwhoami unshare mount; do
		command -v "$_c" >/dev/null 2>&1 || [ -x "/usr/sbin/$_c" ] || bail_skip_all "$_c not found"
	done
	[ -d /etc/ldap/sasl2 ] || bail_skip_all "/etc/ldap/sasl2 missing (slapd package)"
	unshare -m true 2>/dev/null || bail_skip_all "unshare -m not permitted here"
}

# slapd_require_plugin: slapd_require, openssl and node (keys, the test CA, free ports) and the SASL
# plugin of the build tree, which becomes SASL_PATH (exported)
slapd_require_plugin() {
	slapd_require
	command -v openssl >/dev/null 2>&1 || bail_skip_all "openssl not found"
	command -v node >/dev/null 2>&1 || bail_skip_all "node not found"
	[ -f "$top_builddir/sasl/.libs/libccauth.so" ] || bail_skip_all "sasl/.libs/libccauth.so not built"
	SASL_PATH=$top_builddir/sasl/.libs
	export SASL_PATH
}

slapd_start() {
	_d=$1 _port=$2 _certs=$3
	PATH=$PATH:/usr/sbin
	mkdir -p "$_d/db" "$_d/sasl2"
	cat >"$_d/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $_d/slapd.pid
argsfile $_d/slapd.args
${SLAPD_LOGLEVEL:+loglevel $SLAPD_LOGLEVEL}
TLSCACertificateFile $_certs/ca.crt
TLSCertificateFile $_certs/server.crt
TLSCertificateKeyFile $_certs/server.key
# the default sasl-secprops (noanonymous,noplain) stay: OAUTHBEARER is offered only with TLS
${SLAPD_NO_AUTHZ_REGEXP:+#}authz-regexp "^uid=([^,]+),cn=(oauthbearer|xoauth2),cn=auth\$" "uid=\$1,ou=services,$SLAPD_BASE"
${SLAPD_NO_AUTHZ_REGEXP:+#}authz-regexp "^uid=([^,]+),cn=[^,]+,cn=auth\$" "uid=\$1,ou=people,$SLAPD_BASE"
authz-policy ${SLAPD_AUTHZ_POLICY:-to}
database config
rootdn "cn=config"
access to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage by * break
database mdb
maxsize 104857600
suffix "$SLAPD_BASE"
rootdn "cn=admin,$SLAPD_BASE"
rootpw secret
directory $_d/db
${SLAPD_ACCESS:-}
access to attrs=userPassword by anonymous auth by * none
access to * by * read
EOF
	printf '%s\n' "$4" >"$_d/sasl2/slapd.conf"
	cat >"$_d/base.ldif" <<EOF
dn: $SLAPD_BASE
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,$SLAPD_BASE
objectClass: organizationalUnit
ou: people

dn: ou=services,$SLAPD_BASE
objectClass: organizationalUnit
ou: services

dn: uid=alice,ou=people,$SLAPD_BASE
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: A
userPassword: alice-pw

dn: uid=service-a,ou=services,$SLAPD_BASE
objectClass: account
uid: service-a
${SLAPD_LDIF:+
$SLAPD_LDIF}
EOF
	slaptest -Q -u -f "$_d/slapd.conf" || return 1
	slapadd -q -f "$_d/slapd.conf" -l "$_d/base.ldif" || return 1
	_ldapi="ldapi://$(printf %s "$_d/ldapi" | sed 's,/,%2F,g')"
	# -d keeps slapd in the foreground, so $! is slapd itself (unshare and sh exec it)
	# SLAPD_DEVLOG=SOCKET: /dev/log inside the namespace is that datagram socket (an overlay on
	# /dev, so the host's /dev is not touched even where it has no /dev/log)
	SLAPD_DEVLOG=${SLAPD_DEVLOG:-} unshare -m sh -c 'mount --bind "$0" /etc/ldap/sasl2 || exit 1
		if [ -n "$SLAPD_DEVLOG" ]; then
			mkdir -p "$0.devup" "$0.devwork" &&
			mount -t overlay overlay -o "lowerdir=/dev,upperdir=$0.devup,workdir=$0.devwork" /dev &&
			rm -f /dev/log && : >/dev/log && mount --bind "$SLAPD_DEVLOG" /dev/log || exit 1
		fi
		exec "$@"' "$_d/sasl2" \
		${SLAPD_WRAPPER:-} slapd -f "$_d/slapd.conf" -h "ldap://127.0.0.1:$_port/ $_ldapi" -d "${SLAPD_DEBUG:-stats}" \
		>"$_d/slapd.log" 2>&1 &
	_pid=$!
	echo "$_pid" >"$_d/slapd.fg.pid"
	as_pids="${as_pids:-} $_pid"
	_n=0
	while [ $_n -lt "${SLAPD_START_TRIES:-100}" ]; do
		ldapwhoami -H "ldap://127.0.0.1:$_port" -x >/dev/null 2>&1 && return 0
		kill -0 "$_pid" 2>/dev/null || break
		sleep 0.05
		_n=$((_n + 1))
	done
	diag "slapd did not start:"
	tail -5 "$_d/slapd.log" | sed 's/^/# /'
	return 1
}

slapd_alive() {
	_pid=$(cat "$1/slapd.fg.pid" 2>/dev/null) || return 1
	kill -0 "$_pid" 2>/dev/null || return 1
	_port=$(sed -n 's,.*ldap://127.0.0.1:\([0-9]*\)/.*,\1,p' "$1/slapd.args" 2>/dev/null)
	[ -z "$_port" ] || ldapwhoami -H "ldap://127.0.0.1:$_port" -x >/dev/null 2>&1
}

slapd_stop() {
	_pid=$(cat "$1/slapd.fg.pid" 2>/dev/null) || return 0
	kill "$_pid" 2>/dev/null || :
	_n=0
	while kill -0 "$_pid" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	rm -f "$1/slapd.fg.pid"
}
