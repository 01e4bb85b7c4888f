#!/bin/sh
# The SASL plugin in a real Cyrus IMAP server, both sides from the build tree, against the test AS:
# - a private master + imapd on 127.0.0.1 (own imapd.conf via -C, cyrus.conf via -M, own
#   configdirectory and partition; no system service, nothing under /etc read or changed); the
#   server plugin comes from SASL_PATH (Cyrus has no option for it) and its options from
#   imapd.conf with the "sasl_" prefix: sasl_mech_list, sasl_ccauth_config, sasl_ccauth_scope
# - no AUTH= before STARTTLS (allowplaintext: no and honest security flags)
# - imtest -m OAUTHBEARER and -m XOAUTH2 where the client plugin fetches its own token (client
#   credentials, disk cache: one token request for both logins); imapd's per-user protocol log
#   (telemetry) shows the login on the server side
# - a tampered token (payload edited, signature kept) and a token without the imap scope refused
#   for both mechanisms, with the reason in imapd's syslog lines (caught in a private mount
#   namespace, see tests/lib/cyrus.sh); a good login afterwards; no token text in the server's log
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/jose.sh"
. "$srcdir/lib/svc.sh"
. "$srcdir/lib/cyrus.sh"

as_require
cyrus_require
plugdir="$top_builddir/sasl/.libs"
[ -f "$plugdir/libccauth.so" ] || bail_skip_all "sasl/.libs/libccauth.so not built"
as_init
D="$AS_DIR/imap"
trap 'cyrus_stop "$D"; as_cleanup' EXIT

as_port=$(as_free_port)
imap_port=$(as_free_port)
as_start as "$as_port" || bail_skip_all "test AS did not start"
ISS="https://127.0.0.1:$as_port"
C="$AS_DIR/ca"
# imapd runs as "cyrus": it must reach the CA file, its config and the plugin
svc_share_ca
srvplug=$(svc_plugin_copy "$D") || bail_skip_all "cannot copy the plugin"
mkdir -p "$D/conf/log/service-a"
svc_server_conf "$D/server.conf" "$ISS" imap
cyrus_start "$D" "$imap_port" "$srvplug" "$C" "sasl_mech_list: OAUTHBEARER XOAUTH2
sasl_ccauth_config: $D/server.conf
sasl_ccauth_scope: imap
failedloginpause: 0" || bail_skip_all "Cyrus IMAP did not start"

# the client side: imtest as root, the plugin from the build tree, its own [client] section
umask 077
printf %s secret-a >"$D/secret-a"
printf '[global]\nca_file = %s\ncache_dir = %s\n\n[client svc]\nissuer = %s\nclient_id = service-a\nclient_secret_file = %s\nscope = imap\n' \
	"$C/ca.crt" "$D/ccache" "$ISS" "$D/secret-a" >"$D/client.conf"
# no [client] section: the password given with -w is sent as the token
printf '[global]\nca_file = %s\ncache_dir =\n' "$C/ca.crt" >"$D/bare.conf"
printf 'A1 NOOP\n' >"$D/cmds"

# imtest CONF MECH [ARGS...]: sets rc; transcript in $D/imtest.out (it shows the token in the
# AUTHENTICATE line, so it is never printed here)
imtest() {
	_conf=$1 _mech=$2
	shift 2
	CCAUTH_CONF=$_conf SASL_PATH=$plugdir timeout 20 "$CYRUS_BIN/imtest" -t "" -m "$_mech" -a service-a \
		-p "$imap_port" -f "$D/cmds" "$@" 127.0.0.1 </dev/null >"$D/imtest.out" 2>&1
	rc=$?
}
said() { grep -q -- "$1" "$D/imtest.out"; }
logged_in() { # DESC
	if said '^S: A01 OK .*Success' && said '^Authenticated\.' && said '^A1 OK'; then
		ok "$1: A01 OK Success, then a command in the session"
	else
		not_ok "$1: rc $rc"
		grep -E '^(S: A01|Authentication|Authenticated|A1 )' "$D/imtest.out" | cut -c1-100 | sed 's/^/# /'
	fi
}
refused() { # DESC
	if said '^S: A01 NO ' && ! said '^Authenticated\.'; then
		ok "$1: $(sed -n 's/^S: \(A01 NO [^[]*\).*/\1/p' "$D/imtest.out" | head -1)"
	else
		not_ok "$1: rc $rc"
		grep -E '^(S: A01|Authentication|Authenticated|A1 )' "$D/imtest.out" | cut -c1-100 | sed 's/^/# /'
	fi
}
# imapd writes each authenticated session's commands to conf/log/service-a/imap-PID
sessions() { cat "$D"/conf/log/service-a/* 2>/dev/null | grep -c '^<[0-9]*<A1 NOOP'; }

imtest "$D/client.conf" OAUTHBEARER
greeting=$(grep -m1 '^S: \* OK' "$D/imtest.out")
case $greeting in
*AUTH=*) not_ok "before STARTTLS an AUTH= is offered" ;;
*STARTTLS*LOGINDISABLED*) ok "before STARTTLS no AUTH= is offered (STARTTLS LOGINDISABLED)" ;;
*) not_ok "greeting: $(printf %s "$greeting" | cut -c1-100)" ;;
esac
check "after STARTTLS: AUTH=OAUTHBEARER AUTH=XOAUTH2" said 'AUTH=OAUTHBEARER AUTH=XOAUTH2'
logged_in "imtest -m OAUTHBEARER, token fetched by the client plugin"
s1=$(sessions)
check "imapd's protocol log for service-a: one session" [ "$s1" -eq 1 ]
imtest "$D/client.conf" XOAUTH2
logged_in "imtest -m XOAUTH2, token fetched by the client plugin"
check "  AUTHENTICATE XOAUTH2 on the wire" said '^C: A01 AUTHENTICATE XOAUTH2 '
check "imapd's protocol log for service-a: two sessions" [ "$(sessions)" -eq 2 ]
check "one token request for both logins (the client plugin's disk cache)" [ "$(as_count as token)" -eq 1 ]

good=$(curl -sS --cacert "$C/ca.crt" -u service-a:secret-a -d grant_type=client_credentials -d scope=imap \
	"$ISS/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
noscope=$(curl -sS --cacert "$C/ca.crt" -u service-a:secret-a -d grant_type=client_credentials -d scope=ldap \
	"$ISS/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$good" ] && [ -n "$noscope" ] || bail_skip_all "no token from the AS"
tampered=$(jose_tamper "$noscope" '"scope":"ldap"' '"scope":"imap"')
imtest "$D/bare.conf" OAUTHBEARER -w "$good"
logged_in "OAUTHBEARER -w TOKEN from the AS (control for the cases below)"
for m in OAUTHBEARER XOAUTH2; do
	imtest "$D/bare.conf" $m -w "$tampered"
	refused "$m tampered token (scope edited, signature kept)"
	imtest "$D/bare.conf" $m -w "$noscope"
	refused "$m token without the imap scope"
done
imtest "$D/bare.conf" XOAUTH2 -w "$good"
logged_in "XOAUTH2 -w TOKEN after the refusals"
check "imapd's protocol log: 4 sessions, none for the refused logins" [ "$(sessions)" -eq 4 ]
# imapd's syslog lines (tests/lib/devlog.pl writes each datagram as it comes)
sleep 0.3
slog() { grep -q -- "$1" "$D/syslog"; }
for m in OAUTHBEARER XOAUTH2; do
	check "syslog: login: ... service-a $m+TLS User logged in" slog "login: localhost \[127.0.0.1\] service-a $m+TLS User logged in"
	check "syslog: $m rejected the tampered token by fingerprint, reason signature" \
		slog "SASL ccauth: $m rejected token [0-9a-f]\{16\}: signature"
	check "syslog: $m rejected the other token, reason scope" \
		slog "SASL ccauth: $m rejected token [0-9a-f]\{16\}: scope: required scope imap is missing"
done
n=$(grep -c 'badlogin: localhost \[127.0.0.1\] \(OAUTHBEARER\|XOAUTH2\) ' "$D/syslog")
check "syslog: 4 badlogin lines ($n)" [ "$n" -eq 4 ]
check "Cyrus master still running" cyrus_alive "$D" "$imap_port"
leak=0
for t in "$good" "$noscope" "$tampered"; do
	grep -rqF -e "${t##*.}" "$D/conf" "$D/spool" "$D/master.log" "$D/syslog" && leak=1
done
check "no token text in imapd's log and files" [ $leak -eq 0 ]
cyrus_stop "$D"
done_testing
