# A throw-away Cyrus IMAP instance for integration scripts (sourced after svc.sh, POSIX sh; needs
# root and the cyrus user).  Nothing under /etc, /var/lib/cyrus or /var/spool/cyrus is read or changed: master
# gets its own imapd.conf (-C) and cyrus.conf (-M), and imapd its own configdirectory and partition.
#
#   cyrus_require              skip the whole script (TAP) without root, cyrus-imapd, imtest or the
#                              cyrus user
#   cyrus_start DIR PORT PLUGDIR CERTDIR EXTRA
#                              master with one imap service on 127.0.0.1:PORT (STARTTLS with
#                              CERTDIR/server.{crt,key}, no authentication offered before TLS:
#                              allowplaintext: no).  Cyrus has no option for the SASL plugin
#                              directory: it installs no SASL_CB_GETPATH callback, so libsasl2 reads
#                              SASL_PATH from the environment, and master passes its environment on
#                              to imapd; SASL_PATH=PLUGDIR is set for master.  SASL options come
#                              from imapd.conf with the "sasl_" prefix (mysasl_config in Cyrus's
#                              imap/global.c): EXTRA holds more imapd.conf lines, e.g.
#                              "sasl_mech_list: OAUTHBEARER".  imapd runs as the cyrus user:
#                              PLUGDIR and every file named in EXTRA must be readable by it.
#                              Cyrus logs only through syslog(3): master and imapd run in a private
#                              mount namespace (unshare -m) whose /dev/log is a socket of
#                              devlog.pl, and their log lines land in DIR/syslog.  A directory
#                              DIR/conf/log/USER makes imapd also write a protocol log of USER's
#                              sessions there (Cyrus "telemetry").
#   cyrus_stop DIR
#   cyrus_alive DIR PORT       master runs and imapd answers CAPABILITY

CYRUS_BIN=/usr/lib/cyrus/bin

cyrus_require() {
	[ "$(id -u)" -eq 0 ] || bail_skip_all "Cyrus IMAP tests need root (master drops to the cyrus user)"
	[ -x "$CYRUS_BIN/master" ] && [ -x "$CYRUS_BIN/imapd" ] || bail_skip_all "cyrus-imapd not installed"
	[ -x "$CYRUS_BIN/imtest" ] || bail_skip_all "imtest not installed (cyrus-clients)"
	command -v perl >/dev/null 2>&1 || bail_skip_all "perl not found"
	unshare -m true 2>/dev/null || bail_skip_all "unshare -m not permitted here"
	id cyrus >/dev/null 2>&1 || bail_skip_all "no cyrus user"
}

cyrus_start() {
	_d=$1 _port=$2 _plug=$3 _certs=$4
	mkdir -p "$_d/conf/socket" "$_d/spool"
	cp "$_certs/server.crt" "$_certs/server.key" "$_d/"
	cat >"$_d/imapd.conf" <<EOF
configdirectory: $_d/conf
partition-default: $_d/spool
servername: imap.example.test
allowplaintext: no
tls_server_cert: $_d/server.crt
tls_server_key: $_d/server.key
$5
EOF
	cat >"$_d/cyrus.conf" <<EOF
SERVICES {
  imap cmd="$CYRUS_BIN/imapd -C $_d/imapd.conf" listen="127.0.0.1:$_port" prefork=0
}
EOF
	chown -R cyrus:mail "$_d/conf" "$_d/spool" "$_d/server.key"
	chmod 600 "$_d/server.key"
	chmod 644 "$_d/imapd.conf" "$_d/cyrus.conf"
	# Cyrus logs only through syslog(3).  In a private mount namespace /dev becomes a tmpfs with the
	# few device nodes bind-mounted from the host's and a /dev/log served by devlog.pl, which writes
	# DIR/syslog; the host's /dev is never touched.  master stays in the foreground (no -d) and sh
	# execs it, so $! is master itself; -L keeps its stderr.
	mkdir -p "$_d/hostdev"
	SASL_PATH=$_plug unshare -m sh -c '
		d=$1 lib=$2
		shift 2
		mount --bind /dev "$d/hostdev" && mount -t tmpfs -o mode=755 ccauth-dev /dev || exit 1
		for n in null zero full random urandom tty; do
			touch "/dev/$n" && mount --bind "$d/hostdev/$n" "/dev/$n" || exit 1
		done
		ln -s /proc/self/fd /dev/fd
		perl "$lib/devlog.pl" /dev/log "$d/syslog" &
		n=0
		while [ ! -S /dev/log ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
		exec "$@"' sh "$_d" "$srcdir/lib" \
		"$CYRUS_BIN/master" -C "$_d/imapd.conf" -M "$_d/cyrus.conf" -p "$_d/master.pid" -L "$_d/master.log" \
		</dev/null >"$_d/start.log" 2>&1 &
	echo $! >"$_d/master.fg.pid"
	as_pids="${as_pids:-} $!"
	_n=0
	while [ $_n -lt 100 ]; do
		cyrus_alive "$_d" "$_port" && return 0
		sleep 0.05
		_n=$((_n + 1))
	done
	diag "Cyrus master did not start:"
	tail -5 "$_d/start.log" "$_d/master.log" "$_d/syslog" 2>/dev/null | sed 's/^/# /'
	return 1
}

cyrus_alive() {
	_p=$(cat "$1/master.fg.pid" 2>/dev/null) || return 1
	kill -0 "$_p" 2>/dev/null || return 1
	curl -s --max-time 2 "imap://127.0.0.1:$2" -X CAPABILITY 2>/dev/null | grep -q STARTTLS
}

cyrus_stop() {
	_p=$(cat "$1/master.fg.pid" 2>/dev/null) || return 0
	svc_stop_pid "$_p"
	rm -f "$1/master.fg.pid"
}
