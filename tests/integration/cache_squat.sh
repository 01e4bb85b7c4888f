#!/bin/sh
# Nobody can disable or poison another uid's disk cache (issue #12 item 4).  Two throw-away local
# users are made for the test and removed after: an attacker who tries mkdir, symlinks and
# pre-created files before the victims' first use, and an unprivileged victim.  The victims (root
# and that user) must still get a working disk cache: a second `ccauth token` makes no request to
# the AS and prints the same token.  Layout: cache_dir root-owned 0711 (made by the tmpfiles line
# of README, or by root's first use); uid-N made only by root; other users fall back to
# ~/.cache/ccauth.  Also the old layout (cache_dir 01777 with a squatted uid-0): root takes it back.
set -u
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (useradd, and root is one of the victims)"
	exit 0
fi
for c in useradd userdel setpriv; do
	command -v $c >/dev/null 2>&1 || bail_skip_all "$c not installed"
done
as_require
CCAUTH="$top_builddir/tools/ccauth"
[ -x "$CCAUTH" ] || bail_skip_all "ccauth not built"
as_init
as_setup_ca "$AS_DIR/ca" || bail_skip_all "openssl could not make the test CA"
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY CCAUTH_CONF

# unique names: other test runs may share this machine
ATK=ccsqa$$
VIC=ccsqv$$
V=$(mktemp -d "${TMPDIR:-/tmp}/ccauth-squat.XXXXXX")
cleanup() {
	for u in $ATK $VIC; do
		id "$u" >/dev/null 2>&1 && userdel -r "$u" >/dev/null 2>&1
	done
	rm -rf "$V"
	as_cleanup
}
trap cleanup EXIT
useradd -m -s /bin/sh "$ATK" && useradd -m -s /bin/sh "$VIC" || bail_skip_all "useradd failed"
VUID=$(id -u "$VIC")
VHOME=$(getent passwd "$VIC" | cut -d: -f6)
as_atk() { setpriv --reuid "$ATK" --regid "$ATK" --init-groups -- "$@" 2>/dev/null; }
as_vic() { setpriv --reuid "$VIC" --regid "$VIC" --init-groups -- "$@"; }

PA=$(as_free_port)
as_start a "$PA" || bail_skip_all "AS did not start"
ISS="https://127.0.0.1:$PA"
chmod 755 "$V"
cp "$AS_DIR/ca/ca.crt" "$V/ca.crt"
chmod 644 "$V/ca.crt"
mkdir -m 755 "$V/sys" "$V/vic"
chown "$VIC:$VIC" "$V/vic"
# conf FILE CACHE_DIR SECRET_FILE OWNER
conf() {
	printf 'secret-a\n' >"$3"
	printf '[global]\nca_file = %s\ncache_dir = %s\n[client a]\nissuer = %s\nclient_id = service-a\nclient_secret_file = %s\nscope = ldap.read\n' \
		"$V/ca.crt" "$2" "$ISS" "$3" >"$1"
	chmod 600 "$1" "$3"
	chown "$4:$4" "$1" "$3"
}
CD=$V/sys/cache
conf "$V/root.conf" "$CD" "$V/root.secret" root
conf "$V/vic/vic.conf" "$CD" "$V/vic/vic.secret" "$VIC"

# twice NAME RUNNER CONF: two `ccauth token a` in a row: the first may ask the AS, the second must not
twice() {
	_n0=$(as_count a token)
	_t1=$($2 "$CCAUTH" -c "$3" token a 2>"$V/err1")
	_r1=$?
	_n1=$(as_count a token)
	_t2=$($2 "$CCAUTH" -c "$3" token a 2>"$V/err2")
	_r2=$?
	_n2=$(as_count a token)
	check "$1: first ccauth token works (exit $_r1)" [ $_r1 -eq 0 ] && [ -n "$_t1" ]
	check "$1: second one from the disk cache: same token, no AS request ($((_n1 - _n0)) then $((_n2 - _n1)))" \
		[ $_r2 -eq 0 ] && [ "$_t1" = "$_t2" ] && [ $((_n2 - _n1)) -eq 0 ]
	[ $_r1 -eq 0 ] || sed 's/^/# /' "$V/err1"
}
ran() { "$@" >/dev/null 2>&1; }
refused() { if as_atk sh -c "$1"; then return 1; else return 0; fi; }

# --- the new layout: before anyone's first use ----------------------------------------------------
check "attacker cannot create cache_dir (its parent is root's)" refused "mkdir '$CD'"
# what the packaging does at boot/install: the exact line from README
printf 'd %s 0711 root root -\n' "$CD" >"$V/ccauth-tmpfiles.conf"
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create "$V/ccauth-tmpfiles.conf" 2>/dev/null || install -d -m 0711 -o root -g root "$CD"
else
	diag "no systemd-tmpfiles: install -d as the tmpfiles line would"
	install -d -m 0711 -o root -g root "$CD"
fi
check "cache_dir as the tmpfiles line makes it: root 0711" [ "$(stat -c '%U %a' "$CD")" = "root 711" ]
check "attacker: mkdir cache_dir/uid-0 refused" refused "mkdir '$CD/uid-0'"
check "attacker: symlink cache_dir/uid-0 refused" refused "ln -s /tmp '$CD/uid-0'"
check "attacker: pre-created file cache_dir/uid-0 refused" refused "touch '$CD/uid-0'"
check "attacker: mkdir cache_dir/uid-$VUID (the other victim) refused" refused "mkdir '$CD/uid-$VUID'"
check "attacker: ~$VIC/.cache cannot be made either" refused "mkdir '$VHOME/.cache'"
check "attacker: listing cache_dir refused (0711)" refused "ls '$CD'"
twice "root" "" "$V/root.conf"
check "root's cache: $CD/uid-0 root 0700 with entries" \
	[ "$(stat -c '%U %a' "$CD/uid-0")" = "root 700" ] && [ -n "$(ls -A "$CD/uid-0")" ]
twice "$VIC (no uid-$VUID in cache_dir)" as_vic "$V/vic/vic.conf"
check "$VIC's cache: ~/.cache/ccauth, its own, 0700" \
	[ "$(stat -c '%U %a' "$VHOME/.cache/ccauth")" = "$VIC 700" ] && [ -n "$(ls -A "$VHOME/.cache/ccauth")" ]
check "$VIC made nothing in cache_dir" [ ! -e "$CD/uid-$VUID" ]
# an administrator provisions uid-N for a service account: then that is used
install -d -m 0700 -o "$VIC" -g "$VIC" "$CD/uid-$VUID"
rm -rf "$VHOME/.cache/ccauth"
twice "$VIC with uid-$VUID provisioned by root" as_vic "$V/vic/vic.conf"
diag "uid-$VUID: $(ls -A "$CD/uid-$VUID" | wc -l) entries; ~/.cache: $(ls -A "$VHOME/.cache" 2>&1)"
check "  its entries are in cache_dir/uid-$VUID, none in ~/.cache" \
	[ -n "$(ls -A "$CD/uid-$VUID")" ] && [ ! -e "$VHOME/.cache/ccauth" ]

# --- the old layout: cache_dir 01777, squatted before root's first use ------------------------------
LD=$V/sys/legacy
mkdir -m 1777 "$LD"
chmod 1777 "$LD"
conf "$V/root-legacy.conf" "$LD" "$V/root.secret" root
conf "$V/vic/vic-legacy.conf" "$LD" "$V/vic/vic.secret" "$VIC"
as_atk sh -c "mkdir -m 777 '$LD/uid-0' && chmod 777 '$LD/uid-0' && mkdir -m 777 '$V/sys/legacy/atk' 2>/dev/null; \
	mkdir -m 777 /tmp/ccsq-atk-$$ 2>/dev/null; ln -s /tmp/ccsq-atk-$$ '$LD/uid-$VUID'; \
	for h in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do printf 'CCAUTH-CACHE 1 9999999999 9999999999 5\npoison' >'$LD/uid-0/'\$h; done"
check "old layout: the attacker squatted uid-0 (owned by $ATK)" [ "$(stat -c %U "$LD/uid-0")" = "$ATK" ]
check "old layout: and symlinked uid-$VUID to its own dir" [ -L "$LD/uid-$VUID" ]
twice "root, old squatted layout" "" "$V/root-legacy.conf"
check "  cache_dir tightened to 0711, uid-0 root's own 0700, the squatted one moved aside" \
	[ "$(stat -c %a "$LD")" = 711 ] && [ "$(stat -c '%U %a' "$LD/uid-0")" = "root 700" ] &&
	[ -n "$(ls -A "$LD" | grep '^\.refused-uid-0-')" ]
rm -rf "$VHOME/.cache/ccauth"
twice "$VIC, uid-$VUID symlinked by the attacker" as_vic "$V/vic/vic-legacy.conf"
check "  $VIC used ~/.cache/ccauth; nothing written through the symlink" \
	[ -n "$(ls -A "$VHOME/.cache/ccauth")" ] && [ -z "$(ls -A /tmp/ccsq-atk-$$ 2>/dev/null)" ]
rm -rf "/tmp/ccsq-atk-$$"
done_testing
