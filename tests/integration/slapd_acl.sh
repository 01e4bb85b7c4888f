#!/bin/sh
# The cheaper slapd mapping of doc/examples/slapd-sasl2.conf, in a real slapd with no authz-regexp:
# the ACL, the group and the authzFrom of the example are read out of the example file itself (its
# "dc=example,dc=com" becomes the test suffix), so the document and this test cannot drift.
# Static issuer (no network but loopback LDAP), one token per client identity:
# - ldapwhoami gives the SASL name itself: uid=ID,cn=oauthbearer,cn=auth (cn=xoauth2 for XOAUTH2)
# - the dn.exact write rule lets svc-sync modify, not svc-backup (read), a svc-* name (search) nor
#   others; read, search-only (compare yes, entries no) and nothing, each for the identity the
#   example gives it; a groupOfNames whose member is the SASL name reads
# - the rules name the mechanism: svc-sync over XOAUTH2 is another DN and may not write
# - proxy authorization by authzFrom (authz-policy from), as GS2 authzid (-X) and as the RFC 4370
#   control (-e '!authzid='): allowed for the named SASL name, refused for another valid token
# - a tampered token binds nothing (49); no token text in slapd's log
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/jose.sh"
. "$srcdir/lib/slapd.sh"

slapd_require_plugin
EX="$top_srcdir/doc/examples/slapd-sasl2.conf"
[ -f "$EX" ] || bail_skip_all "$EX missing"
as_init
umask 077

W=$AS_DIR
ISS=https://as.acl.invalid
AUD=ldap://ldap.acl.invalid
slapd_static_issuer "$W" acl "$ISS" "$AUD" || bail_skip_all "no openssl key"
as_setup_ca "$W/ca" >/dev/null || bail_skip_all "no test CA"

# --- the example's rules, as an admin copies them: the "#   " indentation off, our suffix ---
ex() { sed "s/dc=example,dc=com/$SLAPD_BASE/g" "$EX"; }
acl=$(ex | awk '/^#   access to / { on = 1 } on && /^#   (access to |    by )/ { sub(/^#   /, ""); print; next } { on = 0 }')
policy=$(ex | sed -n 's/^#   \(authz-policy .*\)$/\1/p')
target=$(ex | sed -n 's/^#   # on \(uid=[^:]*\):$/\1/p')
authzfrom=$(ex | sed -n 's/^#   #   \(authzFrom: .*\)$/\1/p')
group=$(printf '%s\n' "$acl" | sed -n 's/.*group\.exact="\([^"]*\)".*/\1/p')
data=$(printf '%s\n' "$acl" | sed -n 's/^access to dn\.subtree="\([^"]*\)".*/\1/p')
printf '%s\n%s\n' "$acl" "$policy" | sed 's/^/# /'
if [ "$(printf '%s\n' "$acl" | grep -c '^    by ')" -eq 4 ] && [ "$policy" = "authz-policy from" ] &&
	[ -n "$target" ] && [ -n "$authzfrom" ] && [ -n "$group" ] && [ -n "$data" ]; then
	ok "the example's access rule (4 by clauses), authz-policy and authzFrom found"
else
	not_ok "the example's rules not found in $EX"
	done_testing
	exit 1
fi
gcn=${group%%,*}
gparent=${group#*,}
gou=${gparent%%,*}
tcn=${target%%,*}
rec="cn=record,$data"
SLAPD_NO_AUTHZ_REGEXP=1
SLAPD_ACCESS=$acl
SLAPD_AUTHZ_POLICY=${policy#authz-policy }
SLAPD_LDIF="dn: $data
objectClass: organizationalUnit
ou: ${data#ou=}

dn: $rec
objectClass: organizationalRole
cn: record
description: v0

dn: $gparent
objectClass: organizationalUnit
ou: ${gou#ou=}

dn: $group
objectClass: groupOfNames
cn: ${gcn#cn=}
member: uid=app-report,cn=oauthbearer,cn=auth

dn: $target
objectClass: account
uid: ${tcn#uid=}
$authzfrom"

D="$W/slapd"
mkdir -p "$D"
port=$(as_free_port)
URI="ldap://127.0.0.1:$port"
slapd_start "$D" "$port" "$W/ca" "mech_list: OAUTHBEARER XOAUTH2 EXTERNAL
ccauth_config: $W/ccauth.conf
ccauth_scope: ldap" || {
	# the environment passed slapd_require: the example's rules are what slapd refused
	not_ok "slapd did not start with the example's rules"
	done_testing
	exit 1
}
export LDAPTLS_CACERT="$W/ca/ca.crt"
export LDAPTLS_REQCERT=demand
export CCAUTH_CONF="$W/ccauth.conf"

for id in svc-sync svc-backup svc-other app-report app-x; do
	slapd_static_token "$W" "$ISS" "$AUD" "$id" >"$W/tok.$id"
done
tok() { cat "$W/tok.$1"; }
sasl() { printf 'uid=%s,cn=%s,cn=auth' "$1" "${2:-oauthbearer}"; }

# run TOOL ARGS: sets rc, out and err
run() {
	out=$("$@" </dev/null 2>"$W/err")
	rc=$?
	err=$(cat "$W/err")
}
# bound ID TOOL ARGS: TOOL bound over StartTLS with OAUTHBEARER and ID's token
bound() {
	_id=$1 _tool=$2
	shift 2
	run "$_tool" -ZZ -H "$URI" -Y OAUTHBEARER -Q -w "$(tok "$_id")" "$@"
}
# expect DESC RC [STDOUT-SUBSTRING]
expect() {
	case $rc:$out in
	"$2":*"${3:-}"*) ok "$1 (rc $rc)" ;;
	*) not_ok "$1: rc $rc, want $2"; diag "$out $err" ;;
	esac
}
expect_dn() { # DESC DN: whoami answered exactly dn:DN
	if [ $rc -eq 0 ] && [ "$out" = "dn:$2" ]; then ok "$1: dn:$2"; else not_ok "$1: rc $rc"; diag "$out $err"; fi
}
admin_get() { # the record's description, read as the rootdn
	ldapsearch -LLL -x -H "$URI" -D "cn=admin,$SLAPD_BASE" -w secret -b "$rec" -s base description 2>/dev/null |
		sed -n 's/^description: //p'
}
modify() { # ID VALUE [MECH]
	printf 'dn: %s\nchangetype: modify\nreplace: description\ndescription: %s\n' "$rec" "$2" >"$W/mod.ldif"
	if [ "${3:-}" = XOAUTH2 ]; then
		run ldapmodify -ZZ -H "$URI" -Y XOAUTH2 -U "$1" -Q -w "$(tok "$1")" -f "$W/mod.ldif"
	else
		bound "$1" ldapmodify -f "$W/mod.ldif"
	fi
}

# --- no mapping: the bound DN is the SASL name ---
bound svc-sync ldapwhoami
expect_dn "OAUTHBEARER whoami" "$(sasl svc-sync)"
run ldapwhoami -ZZ -H "$URI" -Y XOAUTH2 -U svc-sync -Q -w "$(tok svc-sync)"
expect_dn "XOAUTH2 whoami" "$(sasl svc-sync xoauth2)"

# --- by dn.exact ... write: only svc-sync modifies ---
modify svc-sync v1
expect "svc-sync (dn.exact write) modifies $rec" 0
[ "$(admin_get)" = v1 ] && ok "the record now holds v1" || not_ok "the record holds $(admin_get), not v1"
modify svc-backup v2
expect "svc-backup (dn.exact read) may not modify: insufficientAccess" 50
modify svc-other v2
expect "svc-other (dn.regex search) may not modify: insufficientAccess" 50
modify app-report v2
expect "app-report (group read) may not modify: insufficientAccess" 50
modify svc-sync v2 XOAUTH2
expect "svc-sync over XOAUTH2 ($(sasl svc-sync xoauth2)) matches no rule: may not modify" 50
[ "$(admin_get)" = v1 ] && ok "none of the refused modifications changed the record" || not_ok "the record holds $(admin_get)"

# --- read, search-only and nothing ---
bound svc-backup ldapsearch -LLL -b "$rec" -s base description
expect "svc-backup (dn.exact read) reads the record" 0 "description: v1"
bound app-report ldapsearch -LLL -b "$rec" -s base description
expect "app-report, member of $group (group.exact read), reads the record" 0 "description: v1"
# search access: filters and compare work, entries are not returned; without even disclose an
# entry does not exist (OpenLDAP Admin Guide, "Access Control",
# https://www.openldap.org/doc/admin25/access-control.html, and slapd.access(5))
bound svc-other ldapcompare "$rec" description:v1
expect "svc-other (dn.regex search) may compare: compareTrue" 6
bound svc-other ldapsearch -LLL -b "$data" "(description=v1)" description
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	ok "svc-other (dn.regex search) searches $data but reads no entry"
else
	not_ok "svc-other search: rc $rc"; diag "$out $err"
fi
# nothing: the rule's implicit "by * none" hides even the entry's existence
bound app-x ldapcompare "$rec" description:v1
expect "app-x (no rule) may not compare: noSuchObject" 32
bound app-x ldapsearch -LLL -b "$data" "(description=v1)" description
expect "app-x (no rule) may not search $data: noSuchObject" 32
# the default rule after the example's still serves the rest of the tree to everyone
bound app-x ldapsearch -LLL -b "ou=services,$SLAPD_BASE" -s base ou
expect "app-x still reads outside $data (the rules after the example's)" 0 "ou: services"

# --- proxy authorization: authzFrom on the target names the SASL name ---
bound svc-backup ldapwhoami -X "dn:$target"
expect_dn "svc-backup with GS2 authzid dn:$target (authzFrom) acts as it" "$target"
bound svc-sync ldapwhoami -X "dn:$target"
expect_err() { # DESC RC STDERR-SUBSTRING
	case $rc:$err in
	"$2":*"$3"*) ok "$1 (rc $rc)" ;;
	*) not_ok "$1: rc $rc, want $2 and $3"; diag "$out $err" ;;
	esac
}
expect_err "svc-sync (not in authzFrom) with authzid dn:$target: insufficientAccess" 50 "Insufficient access (50)"
bound svc-backup ldapwhoami -e "!authzid=dn:$target"
expect_dn "svc-backup with the proxied authorization control acts as it" "$target"
bound svc-sync ldapwhoami -e "!authzid=dn:$target"
# (ldapwhoami exits 1 when the extended operation fails; the result code is in its message)
expect_err "svc-sync with the proxied authorization control: proxiedAuthorizationDenied" 1 "Proxied Authorization Denied (123)"

# --- a tampered token ---
bad=$(jose_tamper "$(tok svc-other)" svc-other svc-sync)
run ldapwhoami -ZZ -H "$URI" -Y OAUTHBEARER -Q -w "$bad"
expect "svc-other's token edited to name svc-sync: invalid credentials" 49
run ldapmodify -ZZ -H "$URI" -Y OAUTHBEARER -Q -w "$bad" -f "$W/mod.ldif"
expect "and it modifies nothing" 49
[ "$(admin_get)" = v1 ] && ok "the record still holds v1" || not_ok "the record holds $(admin_get)"

slapd_alive "$D" && ok "slapd still serving" || not_ok "slapd died"
slapd_stop "$D"
leak=0
for id in svc-sync svc-backup svc-other app-report app-x; do
	t=$(tok "$id")
	grep -qF -e "${t##*.}" "$D/slapd.log" && leak=1
done
grep -qF -e "${bad##*.}" "$D/slapd.log" && leak=1
[ $leak -eq 0 ] && ok "no token text in slapd's log" || not_ok "token text in slapd's log"
done_testing
