#!/bin/sh
# One configuration, many service users (#8 part 2), on one /etc-like tree and the real test AS:
# - root validates through PAM (pamtester under pam_wrapper) and with ccauth verify, although the
#   configuration names secrets root does not own: a secret is judged only by the process using it;
# - user A runs ccauth token with a secret it owns (0600); user B with a secret root:G 0640, B in G;
# - each stays unable to use (or read) the other's secret, and gets a refusal naming the file and
#   the fix; a world-readable secret fails only the [client] that names it;
# - drop-ins: conf.d/*.conf in lexical order, a broken one refuses the whole config with file:line,
#   a section defined twice across files is an error;
# - a relative client_secret_file is looked up in $CREDENTIALS_DIRECTORY.
# Other users are uids and gids without accounts (setpriv), so nothing is added to /etc/passwd.
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"

CCAUTH="$top_builddir/tools/ccauth"
mod="$top_builddir/pam/.libs/pam_ccauth.so"
[ -x "$CCAUTH" ] && [ -f "$mod" ] || bail_skip_all "ccauth or pam_ccauth.so not built"
[ "$(id -u)" -eq 0 ] || bail_skip_all "needs root (files of several owners, setpriv)"
for c in setpriv pamtester; do
	command -v "$c" >/dev/null 2>&1 || bail_skip_all "$c not found"
done
pamw=""
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
	[ -f "$d/libpam_wrapper.so" ] && pamw="$d/libpam_wrapper.so" && break
done
[ -n "$pamw" ] || bail_skip_all "libpam_wrapper.so not installed (libpam-wrapper)"
as_require
as_init
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY CCAUTH_CONF \
	CCAUTH_CLIENT CREDENTIALS_DIRECTORY
as_setup_ca "$AS_DIR/ca" || bail_skip_all "openssl could not make the test CA"
PA=$(as_free_port)
as_start a "$PA" || bail_skip_all "AS did not start"
ISS="https://127.0.0.1:$PA"

UA=64701 UB=64702 GB=64750
T="$AS_DIR/tree"
E="$T/etc/ccauth"
mkdir -p "$E/conf.d" "$T/certs" "$T/cache" "$T/creds" "$T/pam.d"
chmod 711 "$AS_DIR"
chmod 755 "$T" "$T/etc" "$E" "$E/conf.d" "$T/certs" "$T/pam.d"
chmod 1777 "$T/cache"
cp "$AS_DIR/ca/ca.crt" "$T/certs/test-ca.pem" && chmod 644 "$T/certs/test-ca.pem" && openssl rehash "$T/certs" 2>/dev/null

printf 'secret-a\n' >"$E/a.secret" && chown "$UA:$UA" "$E/a.secret" && chmod 600 "$E/a.secret"
printf 'secret-b\n' >"$E/b.secret" && chown "0:$GB" "$E/b.secret" && chmod 640 "$E/b.secret"
cat >"$E/ccauth.conf" <<EOF
[global]
ca_path = $T/certs
cache_dir = $T/cache

[client a]
issuer = $ISS
client_id = service-a
client_secret_file = $E/a.secret
scope = ldap.read

[issuer test]
issuer = $ISS
audience = urn:test:rs256
EOF
cat >"$E/conf.d/20-b.conf" <<EOF
[client b]
token_endpoint = $ISS/token
client_id = service-b
auth_method = client_secret_post
client_secret_file = $E/b.secret
scope = imap
EOF
chmod 644 "$E/ccauth.conf" "$E/conf.d/20-b.conf"
CONF="$E/ccauth.conf"

as_a() { setpriv --reuid="$UA" --regid="$UA" --clear-groups "$@"; }
as_b() { setpriv --reuid="$UB" --regid="$UB" --groups="$GB" "$@"; }
# run WHO ARGS...: ccauth as WHO (root, a, b); sets rc, out, err
run() {
	_who=$1
	shift
	case $_who in
	root) "$CCAUTH" -c "$CONF" "$@" >"$AS_DIR/out" 2>"$AS_DIR/err" ;;
	a) as_a "$CCAUTH" -c "$CONF" "$@" >"$AS_DIR/out" 2>"$AS_DIR/err" ;;
	b) as_b "$CCAUTH" -c "$CONF" "$@" >"$AS_DIR/out" 2>"$AS_DIR/err" ;;
	esac
	rc=$?
	out=$(cat "$AS_DIR/out")
	err=$(cat "$AS_DIR/err")
}
expect() { # DESC RC [STDERR-PATTERN]
	if [ "$rc" -eq "$2" ] && { [ -z "${3:-}" ] || printf '%s' "$err" | grep -q -- "$3"; }; then
		ok "$1"
		[ "$2" -eq 0 ] || diag "$err"
	else
		not_ok "$1: exit $rc"
		diag "$err"
	fi
}

run a token a
expect "user A: token with its own secret (A 0600)" 0
tok_a=$out
run b token b
expect "user B: token with a root:G 0640 secret, B in G, [client b] from conf.d" 0
tok_b=$out

printf '%s' "$tok_a" | "$CCAUTH" -c "$CONF" verify >"$AS_DIR/out" 2>"$AS_DIR/err"
rc=$?
err=$(cat "$AS_DIR/err")
expect "root: ccauth verify, though the config names secrets of A and B" 0

printf 'auth required %s config=%s\naccount required %s config=%s\n' "$mod" "$CONF" "$mod" "$CONF" >"$T/pam.d/svc"
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$T/pam.d/other"
printf '%s\n' "$tok_b" | env LD_PRELOAD="$pamw" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	pamtester svc service-b authenticate acct_mgmt >"$AS_DIR/pam.log" 2>&1
rc=$?
err=$(cat "$AS_DIR/pam.log")
expect "root: PAM validation of B's token with the same config" 0

# each other's secrets
as_a cat "$E/b.secret" >/dev/null 2>&1
check "A cannot read B's secret" [ $? -ne 0 ]
as_b cat "$E/a.secret" >/dev/null 2>&1
check "B cannot read A's secret" [ $? -ne 0 ]
run a token b
expect "A: [client b] refused, naming the file" 2 "$E/b.secret"
run b token a
expect "B: [client a] refused, naming the file" 2 "$E/a.secret"
run root token a
expect "root: [client a] (owned by A) refused" 2 "$E/a.secret.*owned by"

# a world-readable secret fails its section only
chmod 644 "$E/b.secret"
run b token b
expect "B: a world-readable secret is refused with the fix" 2 "by others.*chmod o-rwx"
run a token a
expect "  A's section still works" 0
# a group-readable secret whose group is not the reader's
chmod 640 "$E/b.secret"
chown "0:$((GB + 1))" "$E/b.secret"
run b token b
expect "B: a secret readable by a group B is not in is refused" 2 "$E/b.secret"
chown "0:$GB" "$E/b.secret"

# drop-ins
printf '[client a]\nclient_id = x\ntoken_endpoint = %s/token\nclient_secret_file = %s\n' "$ISS" "$E/a.secret" \
	>"$E/conf.d/30-dup.conf"
run root verify </dev/null
expect "a section defined again in a drop-in: the config is refused with file:line" 2 "30-dup.conf:1"
printf '[issuer x]\nnot_a_key = 1\n' >"$E/conf.d/30-dup.conf"
run root verify </dev/null
expect "a broken drop-in: refused with file:line" 2 "30-dup.conf:2"
rm -f "$E/conf.d/30-dup.conf"
printf '[client b]\nclient_id = y\n' >"$E/conf.d/10-early.conf"
chmod 644 "$E/conf.d/10-early.conf"
run root verify </dev/null
expect "drop-ins are read in lexical order (10- before 20-: the duplicate is in 20-b.conf)" 2 "20-b.conf:1"
rm -f "$E/conf.d/10-early.conf"
printf 'not even a section\n' >"$E/conf.d/README"
run a token a
expect "files not named *.conf in conf.d are ignored" 0
rm -f "$E/conf.d/README"

# systemd credentials
printf 'secret-a\n' >"$T/creds/a" && chown "$UA" "$T/creds" "$T/creds/a" && chmod 700 "$T/creds" && chmod 400 "$T/creds/a"
sed "s|^client_secret_file = $E/a.secret|client_secret_file = a|" "$CONF" >"$E/creds.conf"
chmod 644 "$E/creds.conf"
CONF="$E/creds.conf"
rm -rf "$T/cache/uid-$UA"
as_a env CREDENTIALS_DIRECTORY="$T/creds" "$CCAUTH" -c "$CONF" token a >"$AS_DIR/out" 2>"$AS_DIR/err"
rc=$?
err=$(cat "$AS_DIR/err")
expect "a relative client_secret_file is read from \$CREDENTIALS_DIRECTORY" 0
as_a "$CCAUTH" -c "$CONF" token a >"$AS_DIR/out" 2>"$AS_DIR/err"
rc=$?
err=$(cat "$AS_DIR/err")
expect "  without \$CREDENTIALS_DIRECTORY it is a configuration error naming it" 2 "CREDENTIALS_DIRECTORY"
done_testing
