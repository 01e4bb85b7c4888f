#!/bin/sh
# pam_ccauth.so in a real OpenSSH sshd (UsePAM yes), tokens from the test AS:
# - a private sshd on 127.0.0.1 (own sshd_config, host key and pid file; /etc/ssh untouched) runs
#   under pam_wrapper, so its PAM service "sshd" (Debian's sshd uses its program name) comes from a
#   directory of this script and /etc/pam.d is never read or changed
# - a local user made here (useradd, removed at exit) that the token maps to
#   (username_template = ccauth-t-%s, the token's client_id is service-a)
# - ssh + sshpass: password and keyboard-interactive logins with a token from the AS run a command
#   as that user; a tampered token and an expired one are refused; the module's decision lines
# - token lengths: OpenSSH's ssh reads a password or a keyboard-interactive answer into 1024 bytes
#   (readpass.c), so it sends at most 1023; sshd's password method refuses over 1024 bytes
#   (auth-passwd.c MAX_PASSWORD_LEN) before PAM sees it, its keyboard-interactive method has no
#   limit of its own below the packet size (auth2-chall.c).  With tests/sshd/ssh_login (libssh2)
#   the script measures what sshd passes on in each method.
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/jose.sh"

mod="$top_builddir/pam/.libs/pam_ccauth.so"
[ -f "$mod" ] || bail_skip_all "pam_ccauth.so not built"
[ "$(id -u)" -eq 0 ] || bail_skip_all "sshd tests need root (sshd, useradd)"
[ -x /usr/sbin/sshd ] || bail_skip_all "sshd not installed (openssh-server)"
for c in ssh ssh-keygen sshpass useradd userdel; do
	command -v $c >/dev/null 2>&1 || [ -x /usr/sbin/$c ] || bail_skip_all "$c not installed"
done
pamw=""
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
	[ -f "$d/libpam_wrapper.so" ] && pamw="$d/libpam_wrapper.so" && break
done
[ -n "$pamw" ] || bail_skip_all "libpam_wrapper.so not installed (libpam-wrapper)"
as_require
PATH=$PATH:/usr/sbin

as_init
D="$AS_DIR/sshd"
U=ccauth-t-service-a
made_run=""
sshd_pid=""
cleanup() {
	[ -z "$sshd_pid" ] || kill "$sshd_pid" 2>/dev/null
	# the sessions ended with their ssh commands; a user still "in use" gets a second try
	if id "$U" >/dev/null 2>&1; then
		userdel "$U" 2>/dev/null || { sleep 1; userdel "$U"; }
	fi
	[ -z "$made_run" ] || rmdir /run/sshd 2>/dev/null
	# pam_wrapper copies the service dir to /tmp/pam.X; sshd's children end without its
	# destructor, so remove the copies of this script's service whose process is gone
	for w in /tmp/pam.?; do
		[ -f "$w/pid" ] && [ -f "$w/sshd" ] && cmp -s "$w/sshd" "$D/pam.d/sshd" || continue
		kill -0 "$(cat "$w/pid")" 2>/dev/null || rm -rf "$w"
	done
	as_cleanup
}
trap cleanup EXIT

as_port=$(as_free_port)
ssh_port=$(as_free_port)
as_start as "$as_port" || bail_skip_all "test AS did not start"
ISS="https://127.0.0.1:$as_port"
mkdir -p "$D/pam.d" "$D/home"
chmod 711 "$AS_DIR"
chmod 755 "$D" "$D/home"

# a stale user from an interrupted run is replaced
id "$U" >/dev/null 2>&1 && userdel "$U"
useradd -d "$D/home/$U" -m -s /bin/sh -c "ccauth sshd test" "$U" || bail_skip_all "useradd failed"
# sshd's privilege separation directory (made by the package's tmpfiles entry on a booted system)
if [ ! -d /run/sshd ]; then
	mkdir -m 755 /run/sshd && made_run=1
fi

cat >"$D/ccauth.conf" <<EOF
[global]
ca_file = $AS_DIR/ca/ca.crt
cache_dir =

[issuer test]
issuer = $ISS
audience = urn:test:rs256
username_template = ccauth-t-%s
EOF
chmod 600 "$D/ccauth.conf"
printf 'auth required pam_deny.so\naccount required pam_deny.so\nsession required pam_deny.so\npassword required pam_deny.so\n' \
	>"$D/pam.d/other"
cat >"$D/pam.d/sshd" <<EOF
auth     required $mod config=$D/ccauth.conf debug
account  required $mod config=$D/ccauth.conf
session  required pam_permit.so
password required pam_deny.so
EOF
ssh-keygen -q -t ed25519 -N "" -f "$D/hostkey" || bail_skip_all "ssh-keygen failed"
cat >"$D/sshd_config" <<EOF
ListenAddress 127.0.0.1:$ssh_port
HostKey $D/hostkey
PidFile $D/sshd.pid
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PubkeyAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
AllowUsers $U
MaxAuthTries 6
UseDNS no
LogLevel VERBOSE
EOF
env LD_PRELOAD="$pamw" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$D/pam.d" PAM_WRAPPER_DEBUGLEVEL=2 \
	/usr/sbin/sshd -D -e -f "$D/sshd_config" >"$D/sshd.log" 2>&1 </dev/null &
sshd_pid=$!
n=0
while ! grep -q "Server listening on 127.0.0.1 port $ssh_port" "$D/sshd.log" && [ $n -lt 100 ]; do
	kill -0 $sshd_pid 2>/dev/null || break
	sleep 0.05
	n=$((n + 1))
done
grep -q "Server listening" "$D/sshd.log" || {
	sed 's/^/# /' "$D/sshd.log" | tail -5
	bail_skip_all "sshd did not start"
}

# login METHOD TOKEN: ssh with the token typed by sshpass; sets rc and out (the remote `id -un`)
login() {
	_prompt="assword"
	[ "$1" = keyboard-interactive ] && _prompt="Access token"
	_from=$(wc -l <"$D/sshd.log")
	out=$(SSHPASS=$2 timeout 30 sshpass -e -P "$_prompt" ssh -F /dev/null -p "$ssh_port" \
		-o UserKnownHostsFile="$D/known_hosts" -o StrictHostKeyChecking=no -o LogLevel=ERROR \
		-o PreferredAuthentications="$1" -o NumberOfPasswordPrompts=1 -o BatchMode=no \
		"$U@127.0.0.1" id -un 2>"$D/ssh.err" </dev/null)
	rc=$?
	settle "$_from"
}
# settle FROM: sshd's lines since line FROM into last.log, once sshd has logged the end of the
# session (on a loaded machine its log lags the client by more than a fixed pause); at most 10 s
settle() {
	_n=0
	while [ $_n -lt 100 ]; do
		tail -n +"$(($1 + 1))" "$D/sshd.log" >"$D/last.log"
		grep -qE 'Disconnected from|Connection closed by|Received disconnect|Failed |Accepted ' "$D/last.log" &&
			break
		sleep 0.1
		_n=$((_n + 1))
	done
	sleep 0.2
	tail -n +"$(($1 + 1))" "$D/sshd.log" >"$D/last.log"
}
logged() { grep -q -- "$1" "$D/last.log"; }
got_bytes() { sed -n 's/.*password of \([0-9]*\) bytes.*/\1/p' "$D/last.log" | head -1; }

token() {
	curl -sS --cacert "$AS_DIR/ca/ca.crt" -u service-a:secret-a -d grant_type=client_credentials -d scope=ldap \
		"$ISS/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
good=$(token)
[ -n "$good" ] || bail_skip_all "no token from the AS"
diag "token from the AS: ${#good} bytes"
tampered=$(jose_tamper "$good" '"client_id":"service-a"' '"client_id":"service-b"')

# sshd's own lines; in keyboard-interactive the PAM conversation runs in a child whose environment
# sshd empties, so pam_wrapper's debug output (the module's syslog lines) is seen only for password
expect_in() { # METHOD DESC
	if [ $rc -eq 0 ] && [ "$out" = "$U" ]; then
		ok "$1: $2: logged in as $U"
	else
		not_ok "$1: $2: rc $rc, out '$out'"
		sed 's/^/# /' "$D/ssh.err" | tail -3
		grep -E 'PAM|ccauth|Failed|Accepted' "$D/last.log" | tail -5 | cut -c1-200 | sed 's/^/# /'
	fi
	case $1 in
	password) check "  sshd: Accepted password for $U" logged "Accepted password for $U from 127.0.0.1" ;;
	*) check "  sshd: Accepted keyboard-interactive/pam for $U" logged "Accepted keyboard-interactive/pam for $U from" ;;
	esac
}
expect_out() { # METHOD DESC
	check "$1: $2: refused" [ $rc -ne 0 ] && [ -z "$out" ]
	case $1 in
	password) check "  sshd: Failed password for $U" logged "Failed password for $U from 127.0.0.1" ;;
	*) check "  sshd: Failed keyboard-interactive/pam for $U" logged "Failed keyboard-interactive/pam for $U from" ;;
	esac
}

for m in password keyboard-interactive; do
	login $m "$good"
	expect_in $m "token from the AS"
	login $m "$tampered"
	expect_out $m "tampered token (client_id edited, signature kept)"
done
login password "$good"
check "password: pam_ccauth granted user=$U, client_id=service-a" \
	logged "auth granted: result=PAM_SUCCESS reason=ok user=$U fpr=[0-9a-f]\{16\} issuer=test client_id=service-a"
login password "$tampered"
check "password: tampered token denied with reason=signature" logged "auth denied: result=PAM_AUTH_ERR reason=signature"

# --- token lengths: valid tokens of exactly N bytes, signed with the AS's key ---
now=$(date +%s)
H='{"alg":"RS256","typ":"at+jwt","kid":"rsa-1"}'
P="{\"iss\":\"$ISS\",\"sub\":\"service-a\",\"client_id\":\"service-a\",\"aud\":\"urn:test:rs256\",\"iat\":$now,\"exp\":$((now + 600))}"
mint() { jose_rs256_len "$AS_DIR/as/as-rsa.pem" "$H" "$P" "$1"; }
t1023=$(mint 1023)
t1024=$(mint 1024)
for m in password keyboard-interactive; do
	login $m "$t1023"
	expect_in $m "ssh + sshpass, ${#t1023}-byte token"
	login $m "$t1024"
	expect_out $m "ssh + sshpass, ${#t1024}-byte token (ssh keeps 1023 bytes)"
done
login password "$t1024"
check "  password: the module got $(got_bytes) bytes of ${#t1024} and logs the truncation hint" \
	[ "$(got_bytes)" = 1023 ] && logged "exactly 1023 bytes long and was rejected"

# what sshd itself passes on, with a client that sends any length
sshl="$top_builddir/tests/ssh/ssh_login"
# sl METHOD TOKEN: like login, with ssh_login
sl() {
	_from=$(wc -l <"$D/sshd.log")
	out=$(printf %s "$2" | timeout 30 "$sshl" "$ssh_port" "$U" "$1" 2>"$D/ssh.err")
	rc=$?
	settle "$_from"
}
if [ -x "$sshl" ]; then
	sl password "$good"
	expect_in password "ssh_login (libssh2), token from the AS"
	for n in 1024 1025; do
		t=$(mint $n)
		sl password "$t"
		case $n in
		1024)
			expect_in password "ssh_login, $n-byte token"
			check "  the module got all $n bytes" [ "$(got_bytes)" = $n ]
			;;
		*)
			expect_out password "ssh_login, $n-byte token (sshd: MAX_PASSWORD_LEN 1024)"
			check "  sshd never called PAM (no line from the module)" sh -c "! grep -q 'SYSLOG(' '$D/last.log'"
			;;
		esac
	done
	for n in 1025 4096 16384 16385; do
		t=$(mint $n)
		sl keyboard-interactive "$t"
		case $n in
		16385) expect_out keyboard-interactive "ssh_login, $n-byte token (over the module's 16384)" ;;
		*) expect_in keyboard-interactive "ssh_login, $n-byte token" ;;
		esac
	done
else
	skip "ssh_login not built (libssh2 missing): sshd's own limits not measured"
fi

sshd_stopped() { ! kill -0 $sshd_pid 2>/dev/null; }
kill $sshd_pid
n=0
while ! sshd_stopped && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
sshd_pid=""
leak=0
grep -qF -e "${good##*.}" "$D/sshd.log" && leak=1
check "no token text in sshd's log" [ $leak -eq 0 ]
done_testing
