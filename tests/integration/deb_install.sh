#!/bin/sh
# The Debian packages, end to end on this machine (root only; it installs and purges packages):
# - dpkg-buildpackage -b builds ccauth, libpam-ccauth and libsasl2-modules-ccauth from a copy of
#   the source (DEB_BUILD_OPTIONS=nocheck noautodbgsym: make check is what runs this script); lintian reports
#   no error and no warning;
# - apt-get install ./*.deb puts every file where the system looks: pamtester logs in through
#   /etc/pam.d and the installed pam_ccauth.so with the default /etc/ccauth/ccauth.conf; a slapd
#   binds OAUTHBEARER through the installed plugin (no SASL_PATH, no ccauth_config); a tampered
#   token is refused by both;
# - apt-get purge leaves nothing of ccauth: dpkg -S, find /etc /var.
# Needs: root, dpkg-buildpackage, debhelper, lintian, apt-get, pamtester, slapd, ldap-utils.
# It refuses to run where ccauth is installed or /etc/ccauth or /var/cache/ccauth exist already.
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/jose.sh"
. "$srcdir/lib/slapd.sh"

PKGS="ccauth libpam-ccauth libsasl2-modules-ccauth"
[ "$(id -u)" -eq 0 ] || bail_skip_all "installing packages needs root"
for c in dpkg-buildpackage dh lintian apt-get pamtester node openssl; do
	command -v "$c" >/dev/null 2>&1 || bail_skip_all "$c not found"
done
slapd_require
# One run at a time on a machine (parallel make check runs, several checkouts): the others wait.
# The lock's name holds no "ccauth", so the final find does not see it.
command -v flock >/dev/null 2>&1 || bail_skip_all "flock not found"
exec 9>/run/lock/deb-install-test.lock
flock -w 1500 9 || bail_skip_all "another deb_install.sh held the lock for 25 min"
for p in $PKGS; do
	! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		bail_skip_all "$p is installed already: this test installs and purges it"
done
for d in /etc/ccauth /var/cache/ccauth; do
	[ ! -e "$d" ] || bail_skip_all "$d exists: this test would change it, and could not tell what purge leaves"
done

as_init
# a name without "ccauth": nothing that tidies up after ccauth tests may remove it mid-build
W=$(mktemp -d "${TMPDIR:-/tmp}/debinstall.XXXXXX")
SVC=ccauth-debtest-$$
installed=""
cleanup() {
	rm -f "/etc/pam.d/$SVC"
	if [ -n "$installed" ]; then
		rm -f /etc/ccauth/ccauth.conf /etc/ccauth/test-jwks.json
		apt-get -o DPkg::Lock::Timeout=600 -qq purge -y $PKGS >/dev/null 2>&1
	fi
	as_cleanup
	[ -n "${AS_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
APT="apt-get -o DPkg::Lock::Timeout=600 -qq -y"

# ---- build ---------------------------------------------------------------------------------
# From the work tree as it is (git: tracked and new files; a tarball: everything but a build dir)
mkdir -p "$W/src/ccauth"
if git -C "$top_srcdir" rev-parse --show-toplevel >/dev/null 2>&1; then
	(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
		tar -C "$W/src/ccauth" -xf -
else
	(cd "$top_srcdir" && tar --exclude=./build --exclude=./_build --exclude="./$(basename "$top_builddir")" \
		--exclude=node_modules -cf - .) | tar -C "$W/src/ccauth" -xf -
fi
rm -rf "$W/src/ccauth/tests/tools/node_modules"
t0=$(date +%s)
(cd "$W/src/ccauth" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
rc=$?
t1=$(date +%s)
if [ $rc -ne 0 ]; then
	not_ok "dpkg-buildpackage -us -uc -b: exit $rc"
	tail -20 "$W/build.log" | sed 's/^/# /'
	done_testing
	exit 1
fi
ok "dpkg-buildpackage -us -uc -b ($((t1 - t0)) s)"
debs=""
for p in $PKGS; do
	f=$(ls "$W/src/${p}_"*.deb 2>/dev/null)
	if [ -f "$f" ]; then debs="$debs $f"; else not_ok "no package $p built"; fi
done

lintian -q "$W/src/"ccauth_*.changes >"$W/lintian.log" 2>&1
lw=$(grep -cE '^[EW]: ' "$W/lintian.log")
if [ "$lw" -eq 0 ]; then ok "lintian: 0 errors, 0 warnings"; else not_ok "lintian: $lw errors or warnings"; sed 's/^/# /' "$W/lintian.log"; fi

# ---- install -------------------------------------------------------------------------------
# shellcheck disable=SC2086
$APT install $debs >"$W/apt.log" 2>&1
rc=$?
installed=yes
if [ $rc -eq 0 ]; then ok "apt-get install ./*.deb"; else not_ok "apt-get install: exit $rc"; sed 's/^/# /' "$W/apt.log"; fi
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
check "pam_ccauth.so where libpam looks (/usr/lib/$multiarch/security)" \
	[ -f "/usr/lib/$multiarch/security/pam_ccauth.so" ]
check "libccauth.so in the SASL plugin dir (/usr/lib/$multiarch/sasl2)" \
	[ -f "/usr/lib/$multiarch/sasl2/libccauth.so" ]
check "/etc/ccauth and /etc/ccauth/conf.d: root-owned 0755 directories, no file" \
	[ "$(stat -c '%U:%G %a' /etc/ccauth /etc/ccauth/conf.d | tr '\n' ' ')/$(find /etc/ccauth -type f)" = \
		"root:root 755 root:root 755 /" ]
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	check "systemd-tmpfiles made /var/cache/ccauth root:root 711" \
		[ "$(stat -c '%U:%G %a' /var/cache/ccauth 2>/dev/null)" = "root:root 711" ]
else
	skip "systemd-tmpfiles not installed: /var/cache/ccauth is not made at install"
fi
missing=""
for m in ccauth.1 ccauth.conf.5 pam_ccauth.8 ccauth_sasl.8; do
	[ -f "/usr/share/man/man${m##*.}/$m.gz" ] || missing="$missing $m"
done
check "man pages installed${missing:+ (missing:$missing)}" [ -z "$missing" ]
missing=""
for f in ccauth/examples/ccauth.conf libpam-ccauth/examples/example.pam \
	libsasl2-modules-ccauth/examples/slapd-sasl2.conf libsasl2-modules-ccauth/examples/postfix-smtpd.conf \
	libsasl2-modules-ccauth/examples/postfix-smtp-client.conf; do
	[ -f "/usr/share/doc/$f" ] || missing="$missing $f"
done
check "examples installed${missing:+ (missing:$missing)}" [ -z "$missing" ]

# ---- the administrator's part: one issuer, one PAM service ----------------------------------
unset SASL_PATH CCAUTH_CONF CCAUTH_CLIENT
ISS=https://issuer.deb.test
jose_rsa_key "$W/key.pem"
jose_rsa_jwks "$W/key.pem" k1 >/etc/ccauth/test-jwks.json
chmod 644 /etc/ccauth/test-jwks.json
cat >/etc/ccauth/ccauth.conf <<EOF
[issuer deb]
issuer = $ISS
jwks_file = /etc/ccauth/test-jwks.json
audience = urn:deb:test
EOF
chmod 644 /etc/ccauth/ccauth.conf
now=$(date +%s)
claims() { printf '{"iss":"%s","aud":"urn:deb:test","client_id":"%s","sub":"%s","iat":%s,"exp":%s}' \
	"$ISS" "$1" "$1" "$now" $((now + 600)); }
tok=$(jose_rs256 "$W/key.pem" '{"alg":"RS256","kid":"k1","typ":"at+jwt"}' "$(claims service-a)")
# tampered: another client's claims under service-a's signature
bad="${tok%%.*}.$(claims service-b | b64url).${tok##*.}"
out=$(printf '%s' "$tok" | ccauth verify 2>&1)
case $out in *'"user":"service-a"'*) ok "installed ccauth verify with the default config" ;; *) not_ok "ccauth verify: $out" ;; esac

printf 'auth required pam_ccauth.so\naccount required pam_ccauth.so\n' >"/etc/pam.d/$SVC"
printf '%s\n' "$tok" | pamtester "$SVC" service-a authenticate acct_mgmt >"$W/pam.log" 2>&1
rc=$?
check "pamtester through /etc/pam.d/$SVC and the installed module: token accepted" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/# /' "$W/pam.log"
printf '%s\n' "$bad" | pamtester "$SVC" service-a authenticate >"$W/pam.log" 2>&1
check "  tampered token refused" [ $? -ne 0 ]

# ---- slapd with the installed plugin --------------------------------------------------------
as_setup_ca "$W/ca" || bail_skip_all "test CA"
port=$(as_free_port)
slapd_start "$W/slapd" "$port" "$W/ca" "mech_list: OAUTHBEARER EXTERNAL" || not_ok "slapd did not start"
export LDAPTLS_CACERT="$W/ca/ca.crt" LDAPTLS_REQCERT=demand
out=$(ldapwhoami -ZZ -H "ldap://127.0.0.1:$port" -Y OAUTHBEARER -w "$tok" 2>&1)
case $out in
*"dn:uid=service-a,ou=services,dc=example,dc=test"*) ok "slapd: OAUTHBEARER through the installed plugin and /etc/ccauth/ccauth.conf" ;;
*) not_ok "slapd bind: $out"; tail -5 "$W/slapd/slapd.log" | sed 's/^/# /' ;;
esac
out=$(ldapwhoami -ZZ -H "ldap://127.0.0.1:$port" -Y OAUTHBEARER -w "$bad" 2>&1)
case $out in *"Invalid credentials (49)"*) ok "  tampered token refused (49)" ;; *) not_ok "tampered bind: $out" ;; esac
slapd_stop "$W/slapd"

# ---- purge ---------------------------------------------------------------------------------
rm -f "/etc/pam.d/$SVC" /etc/ccauth/ccauth.conf /etc/ccauth/test-jwks.json
# shellcheck disable=SC2086
$APT purge $PKGS >"$W/apt.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "apt-get purge"; else not_ok "apt-get purge: exit $rc"; sed 's/^/# /' "$W/apt.log"; fi
installed=""
left=$(dpkg -S '*ccauth*' 2>/dev/null)
check "dpkg -S: no file of ccauth is known${left:+: $left}" [ -z "$left" ]
left=$(find /etc /var -name '*ccauth*' 2>/dev/null | head -5)
check "find /etc /var -name '*ccauth*': nothing${left:+: $left}" [ -z "$left" ]
done_testing
