# A throw-away Postfix instance (postfix -c DIR/etc) for integration scripts (sourced, POSIX sh;
# needs root and the postfix user).  Nothing under /etc/postfix is read or changed.
#
#   postfix_require            skip the whole script (TAP) without postfix, root or the postfix user
#   postfix_start DIR PORT ENV SASLCONF [PORT2 SASLCONF2]
#                              smtpd with Cyrus SASL AUTH on 127.0.0.1:PORT, everything accepted
#                              after AUTH is discarded.  ENV: space-separated NAME=VALUE pairs added
#                              to import_environment (master scrubs the environment, so this is how
#                              SASL_PATH and CCAUTH_CONF reach smtpd).  SASLCONF: the text of
#                              DIR/etc/sasl/smtpd.conf (Debian's Postfix reads the SASL app config
#                              from <config_directory>/sasl/ and ignores cyrus_sasl_config_path).
#                              smtpd runs as "postfix": files it reads must be readable by it.
#                              With PORT2, a second smtpd listens there with the SASL app name
#                              smtpd2 (config SASLCONF2), e.g. to offer another mech_list.
#                              Log in DIR/maillog.  POSTFIX_MAIN_EXTRA (environment): more main.cf
#                              settings (NAME = VALUE, one a line) put in with postconf -e, e.g. to
#                              make the instance relay through its smtp client.
#   postfix_stop DIR
#   postfix_alive DIR PORT     master runs and the port answers

postfix_require() {
	[ "$(id -u)" -eq 0 ] || bail_skip_all "Postfix tests need root"
	PATH=$PATH:/usr/sbin
	command -v postfix >/dev/null 2>&1 || bail_skip_all "postfix not found"
	id postfix >/dev/null 2>&1 || bail_skip_all "no postfix user"
	[ -x /usr/lib/postfix/sbin/smtpd ] || bail_skip_all "/usr/lib/postfix/sbin/smtpd not found"
}

postfix_start() {
	_d=$1 _port=$2 _env=$3
	mkdir -p "$_d/etc/sasl" "$_d/queue" "$_d/data"
	chmod 755 "$_d" "$_d/etc" "$_d/etc/sasl"
	chown postfix "$_d/data"
	cat >"$_d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $_d/queue
data_directory = $_d/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.test
mydomain = example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file = $_d/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp
default_transport = discard:test
relay_transport = discard:test
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_security_options = noanonymous
smtpd_tls_security_level = none
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME $_env
EOF
	# postconf -e replaces a parameter in place (a duplicate in main.cf earns a warning per command)
	printf '%s\n' "${POSTFIX_MAIN_EXTRA:-}" | while IFS= read -r _l; do
		[ -z "$_l" ] || postconf -c "$_d/etc" -e "$_l" || return 1
	done || return 1
	cat >"$_d/etc/master.cf" <<EOF
127.0.0.1:$_port inet n - n - - smtpd
${5:+127.0.0.1:$5 inet n - n - - smtpd -o smtpd_sasl_path=smtpd2}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
EOF
	printf '%s\n' "$4" >"$_d/etc/sasl/smtpd.conf"
	printf '%s\n' "${6:-}" >"$_d/etc/sasl/smtpd2.conf"
	chmod 644 "$_d/etc/main.cf" "$_d/etc/master.cf" "$_d/etc/sasl/smtpd.conf" "$_d/etc/sasl/smtpd2.conf"
	# postfix prints fatal errors on stderr only to a tty: script(1) makes one
	if command -v script >/dev/null 2>&1; then
		script -qec "postfix -c $_d/etc check" /dev/null | sed 's/^/# /' | head -5
	fi
	postfix -c "$_d/etc" start >"$_d/start.log" 2>&1 || {
		diag "postfix start failed"
		sed 's/^/# /' "$_d/start.log"
		return 1
	}
	_n=0
	while [ $_n -lt 100 ]; do
		postfix_alive "$_d" "$_port" && return 0
		sleep 0.05
		_n=$((_n + 1))
	done
	diag "smtpd did not answer on $_port"
	return 1
}

postfix_alive() {
	_p=$(tr -d ' ' <"$1/queue/pid/master.pid" 2>/dev/null) || return 1
	kill -0 "$_p" 2>/dev/null || return 1
	curl -s --max-time 2 "smtp://127.0.0.1:$2" -X NOOP >/dev/null 2>&1 || [ $? -eq 8 ]
}

postfix_stop() {
	[ -f "$1/etc/main.cf" ] || return 0
	_p=$(tr -d ' ' <"$1/queue/pid/master.pid" 2>/dev/null)
	# already stopped (an EXIT trap after an explicit stop): postfix stop would cost a second
	[ -n "$_p" ] && kill -0 "$_p" 2>/dev/null || return 0
	postfix -c "$1/etc" stop >/dev/null 2>&1 || :
	_n=0
	while [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}
