#!/bin/sh
# Postfix's smtp client relaying through a Postfix smtpd with OAUTHBEARER: two private instances
# (postfix -c DIR), both loading the plugin from the build tree, against the test AS.
# - "mx" validates: smtpd with STARTTLS and the server plugin (mech_list OAUTHBEARER XOAUTH2),
#   mail accepted after AUTH is discarded
# - "relay" sends: sendmail -C submits, qmgr hands the mail to smtp, which relays to
#   [127.0.0.1]:MXPORT with smtp_tls_security_level = encrypt, smtp_sasl_auth_enable,
#   smtp_sasl_mechanism_filter = oauthbearer and smtp_sasl_tls_security_options = noanonymous; the
#   client plugin gets its own token (client credentials) and the password map only gives the user
#   name that selects the [client] section
# - a good client: status=sent in relay's log, sasl_method=OAUTHBEARER in mx's; a client with a
#   wrong secret (the AS refuses it) and one whose token has the wrong audience (mx refuses it):
#   status=deferred, the message stays queued, mx delivers nothing
#
# The layout that works today for the smtp client, which runs as "postfix" and passes the plugin no
# options: a second ccauth.conf for it (root-owned, 0644) named by CCAUTH_CONF, which reaches the
# smtp processes through import_environment (master scrubs the environment; a change of
# import_environment needs a full "postfix stop; postfix start", "postfix reload" is not enough);
# its secret files owned by postfix, mode 0600; its cache_dir sticky and world-writable like the
# default /var/cache/ccauth (the cache keeps one subdirectory per uid).  The [client] section is
# picked by the user name in smtp_sasl_password_maps; with smtp_sender_dependent_authentication
# each sender here gets its own.
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/svc.sh"
. "$srcdir/lib/postfix.sh"

as_require
postfix_require
[ -f "$top_builddir/sasl/.libs/libccauth.so" ] || bail_skip_all "sasl/.libs/libccauth.so not built"
as_init
MX="$AS_DIR/mx"
RL="$AS_DIR/relay"
trap 'postfix_stop "$RL"; postfix_stop "$MX"; as_cleanup' EXIT

as_port=$(as_free_port)
mx_port=$(as_free_port)
rl_port=$(as_free_port)
as_start as "$as_port" || bail_skip_all "test AS did not start"
ISS="https://127.0.0.1:$as_port"
C="$AS_DIR/ca"
svc_share_ca
mkdir -p "$MX" "$RL"
plug=$(svc_plugin_copy "$AS_DIR/plug") || bail_skip_all "cannot copy the plugin"

# --- mx: smtpd validating with the server plugin ---
svc_server_conf "$MX/ccauth.conf" "$ISS" smtp
# smtpd reads its key as root before it drops privileges
cp "$C/server.crt" "$C/server.key" "$MX/"
POSTFIX_MAIN_EXTRA="smtpd_tls_security_level = may
smtpd_tls_cert_file = $MX/server.crt
smtpd_tls_key_file = $MX/server.key
smtpd_sasl_tls_security_options = noanonymous" \
	postfix_start "$MX" "$mx_port" "SASL_PATH=$plug CCAUTH_CONF=$MX/ccauth.conf" "mech_list: OAUTHBEARER XOAUTH2
ccauth_scope: smtp" || bail_skip_all "mx: postfix did not start"

# --- relay: the smtp client with the client plugin ---
umask 077
printf %s secret-a >"$RL/secret-a"
printf %s not-the-secret >"$RL/secret-wrong"
chown postfix "$RL/secret-a" "$RL/secret-wrong"
mkdir -p "$RL/ccache"
chmod 1777 "$RL/ccache"
client() { # NAME SECRETFILE [EXTRA]
	printf '[client %s]\nissuer = %s\nclient_id = service-a\nclient_secret_file = %s\nscope = smtp\n%s\n' \
		"$1" "$ISS" "$2" "${3:-}"
}
{
	printf '[global]\nca_file = %s\ncache_dir = %s\n\n' "$C/ca.crt" "$RL/ccache"
	client good "$RL/secret-a"
	client badsecret "$RL/secret-wrong"
	client badaud "$RL/secret-a" "resource = urn:test:es256"
} >"$RL/ccauth.conf"
chmod 644 "$RL/ccauth.conf"
umask 022
POSTFIX_MAIN_EXTRA="myhostname = relay.example.test
smtpd_sasl_auth_enable = no
default_transport = smtp
relay_transport = smtp
relayhost = [127.0.0.1]:$mx_port
smtp_tls_security_level = encrypt
smtp_tls_loglevel = 1
smtp_sasl_auth_enable = yes
smtp_sasl_type = cyrus
smtp_sasl_mechanism_filter = oauthbearer
smtp_sasl_security_options = noanonymous, noplaintext
smtp_sasl_tls_security_options = noanonymous
smtp_sender_dependent_authentication = yes
smtp_sasl_password_maps = inline:{ {good@example.test = good:unused}, {badsecret@example.test = badsecret:unused}, {badaud@example.test = badaud:unused} }" \
	postfix_start "$RL" "$rl_port" "SASL_PATH=$plug CCAUTH_CONF=$RL/ccauth.conf" "" ||
	bail_skip_all "relay: postfix did not start"

# send SENDER: submit a message with sendmail; prints its queue id
send() {
	printf 'From: %s\nTo: ops@example.test\nSubject: relay test %s\n\nhi\n' "$1" "$1" |
		sendmail -C "$RL/etc" -f "$1" ops@example.test
}
# wait_log FILE REGEX: up to 20 s for a line (postlogd writes asynchronously)
wait_log() {
	_n=0
	while [ $_n -lt 200 ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}
# qid SENDER: the queue id relay's cleanup gave the message from SENDER
qid() { sed -n "s/.* postfix\/qmgr\[[0-9]*\]: \([0-9A-F]*\): from=<$1>.*/\1/p" "$RL/maillog" | head -1; }

send good@example.test
if wait_log "$RL/maillog" "relay=127.0.0.1\[127.0.0.1\]:$mx_port.*status=sent"; then
	ok "good client: $(grep -o "status=sent ([^)]*)" "$RL/maillog" | head -1 | cut -c1-60)"
	diag "$(grep 'status=sent' "$RL/maillog" | head -1 | cut -c1-200)"
else
	not_ok "good client: no status=sent"
	tail -5 "$RL/maillog" | cut -c1-200 | sed 's/^/# /'
fi
check "mx: sasl_method=OAUTHBEARER, sasl_username=service-a" \
	wait_log "$MX/maillog" 'sasl_method=OAUTHBEARER, sasl_username=service-a'
check "mx: the message arrived from good@ (discarded there)" wait_log "$MX/maillog" 'from=<good@example.test>'
check "relay's smtp used TLS to mx" grep -q "TLS connection established to 127.0.0.1\[127.0.0.1\]:$mx_port" "$RL/maillog"

for who in badsecret badaud; do
	send $who@example.test
	id=""
	n=0
	while [ -z "$id" ] && [ $n -lt 100 ]; do
		id=$(qid $who@example.test)
		[ -n "$id" ] || sleep 0.1
		n=$((n + 1))
	done
	if [ -n "$id" ] && wait_log "$RL/maillog" "$id: .*status=deferred (SASL authentication failed"; then
		ok "$who: status=deferred ($(sed -n "s/.*$id: .*status=deferred (\(.\{0,70\}\).*/\1/p" "$RL/maillog" | head -1))"
	else
		not_ok "$who: no status=deferred (queue id ${id:-?})"
		tail -5 "$RL/maillog" | cut -c1-200 | sed 's/^/# /'
	fi
	check "  $who: never status=sent" sh -c "! grep -q '${id:-none}: .*status=sent' '$RL/maillog'"
	check "  $who: still in relay's queue" sh -c "postqueue -c '$RL/etc' -p | grep -q '^${id:-none}'"
	check "  $who: mx got no message from it" sh -c "! grep -q 'from=<$who@example.test>' '$MX/maillog'"
done
check "relay: the client plugin names the AS's refusal of the wrong secret" \
	grep -q 'SASL authentication failure: ccauth: no token for \[client badsecret\]: AS refused: invalid_client' "$RL/maillog"
check "mx refused the wrong-audience token (535, SASL OAUTHBEARER authentication failed)" \
	grep -q 'SASL OAUTHBEARER authentication failed' "$MX/maillog"
check "relay's smtp still serves the good client afterwards" sh -c "
	printf 'Subject: again\n\nhi\n' | sendmail -C '$RL/etc' -f good@example.test ops@example.test"
n=0
while [ "$(grep -c 'relay=127.0.0.1.*status=sent' "$RL/maillog")" -lt 2 ] && [ $n -lt 200 ]; do
	sleep 0.1
	n=$((n + 1))
done
check "  second message status=sent" [ "$(grep -c 'relay=127.0.0.1.*status=sent' "$RL/maillog")" -eq 2 ]
# a JWT starts with eyJ (base64url of '{"'); the secrets are short words
leak=0
grep -q 'eyJ[A-Za-z0-9_-]\{20,\}\.' "$RL/maillog" "$MX/maillog" && leak=1
grep -q 'secret-a\|not-the-secret' "$RL/maillog" "$MX/maillog" && leak=1
check "no token or secret text in either Postfix log" [ $leak -eq 0 ]
postfix_stop "$RL"
postfix_stop "$MX"
done_testing
