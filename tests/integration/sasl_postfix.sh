#!/bin/sh
# The server plugin in Postfix smtpd (postfix -c TMPDIR; SASL_PATH and CCAUTH_CONF reach smtpd
# through import_environment): curl sends a message after AUTH OAUTHBEARER and AUTH XOAUTH2 with
# a token from the test AS (235), bad tokens are refused (535), smtpd keeps serving, and neither
# curl's nor Postfix's log holds token text.
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/jose.sh"
. "$srcdir/lib/postfix.sh"

as_require
postfix_require
plugdir="$top_builddir/sasl/.libs"
[ -f "$plugdir/libccauth.so" ] || bail_skip_all "sasl/.libs/libccauth.so not built"
as_init
P="$AS_DIR/postfix"
trap 'postfix_stop "$P"; as_cleanup' EXIT

as_port=$(as_free_port)
smtp_port=$(as_free_port)
# curl 7.88 picks OAUTHBEARER whenever it is offered, even with AUTH=XOAUTH2: a second smtpd
# offers XOAUTH2 alone
xo_port=$(as_free_port)
as_start as "$as_port" || bail_skip_all "test AS did not start"
ISS="https://127.0.0.1:$as_port"
C="$AS_DIR/ca"
# smtpd runs as "postfix": it must reach the CA file, the config and the plugin
chmod 711 "$AS_DIR" "$C"
chmod 644 "$C/ca.crt"
mkdir -p "$P"
chmod 755 "$P"
cat >"$P/ccauth.conf" <<EOF
[global]
ca_file = $C/ca.crt
cache_dir =

[issuer test]
issuer = $ISS
audience = urn:test:rs256
required_scope = smtp
EOF
chmod 644 "$P/ccauth.conf"
# a copy of the plugin where the postfix user can read it (the build tree may be in a private home)
mkdir -p "$P/plugins"
cp "$plugdir/libccauth.so" "$P/plugins/"
chmod 755 "$P/plugins"
chmod 644 "$P/plugins/libccauth.so"
plugdir="$P/plugins"
if ! su -s /bin/sh postfix -c "test -r '$P/ccauth.conf' && test -r '$plugdir/libccauth.so'" 2>/dev/null; then
	bail_skip_all "the postfix user cannot read $P"
fi

postfix_start "$P" "$smtp_port" "SASL_PATH=$plugdir CCAUTH_CONF=$P/ccauth.conf" "mech_list: OAUTHBEARER XOAUTH2
log_level: 5
ccauth_scope: smtp" "$xo_port" "mech_list: XOAUTH2
log_level: 5" || bail_skip_all "postfix did not start"

token() { # SCOPE
	curl -sS --cacert "$C/ca.crt" -u service-a:secret-a -d grant_type=client_credentials -d scope="$1" \
		"$ISS/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
good=$(token smtp)
noscope=$(token imap)
[ -n "$good" ] && [ -n "$noscope" ] || bail_skip_all "no token from the AS"
jose_rsa_key "$P/forger.pem"
now=$(date +%s)
forged=$(jose_rs256 "$P/forger.pem" '{"alg":"RS256","typ":"at+jwt","kid":"rsa-1"}' \
	"{\"iss\":\"$ISS\",\"sub\":\"service-a\",\"client_id\":\"service-a\",\"aud\":\"urn:test:rs256\",\"scope\":\"smtp\",\"iat\":$now,\"exp\":$((now + 600))}")
printf 'From: a@example.test\r\nTo: b@example.test\r\nSubject: t\r\n\r\nhi\r\n' >"$P/msg.eml"

# send MECH TOKEN: sets rc and the verbose transcript in $P/curl.log
send() {
	_port=$smtp_port
	[ "$1" = XOAUTH2 ] && _port=$xo_port
	curl -sS -v --max-time 20 "smtp://127.0.0.1:$_port" -u service-a: --oauth2-bearer "$2" \
		--login-options "AUTH=$1" --mail-from a@example.test --mail-rcpt b@example.test -T "$P/msg.eml" \
		>"$P/curl.out" 2>"$P/curl.log"
	rc=$?
	cat "$P/curl.log" >>"$P/curl.all"
}
accepted() { # MECH DESC
	if [ $rc -eq 0 ] && grep -q '^< 235 ' "$P/curl.log" && grep -q '^< 250 .*queued' "$P/curl.log"; then
		ok "$2: 235, message queued"
	else
		not_ok "$2: rc $rc"
		grep -E '^(< [0-9]|> AUTH|\* )' "$P/curl.log" | cut -c1-100 | sed 's/^/# /' | tail -6
	fi
}
refused() { # DESC
	if [ $rc -eq 67 ] && grep -q '^< 535 ' "$P/curl.log"; then
		ok "$1: 535, login denied"
	else
		not_ok "$1: rc $rc"
		grep -E '^(< [0-9]|\* )' "$P/curl.log" | cut -c1-100 | sed 's/^/# /' | tail -6
	fi
}

ehlo=$(curl -sS -v --max-time 5 "smtp://127.0.0.1:$smtp_port" -X "EHLO t" 2>&1 | grep '^< 250.AUTH')
case $ehlo in
*OAUTHBEARER*XOAUTH2* | *XOAUTH2*OAUTHBEARER*) ok "EHLO offers OAUTHBEARER and XOAUTH2" ;;
*) not_ok "EHLO AUTH line: $ehlo" ;;
esac

send OAUTHBEARER "$good"
accepted OAUTHBEARER "AUTH OAUTHBEARER with a token from the AS"
if grep -q '^< 334 [A-Za-z0-9]' "$P/curl.log"; then not_ok "OAUTHBEARER: unexpected challenge"; else ok "OAUTHBEARER: no error challenge (curl waits for the empty 334 before its message)"; fi
send XOAUTH2 "$good"
accepted XOAUTH2 "AUTH XOAUTH2 with a token from the AS"
grep -q '^> AUTH XOAUTH2' "$P/curl.log" && ok "curl really used XOAUTH2" || not_ok "curl did not use XOAUTH2"
send OAUTHBEARER "$forged"
refused "OAUTHBEARER forged token"
if grep -q '^< 334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIi' "$P/curl.log"; then
	ok "OAUTHBEARER: the error JSON came as a 334 challenge ({\"status\":\"invalid_token\"...)"
else
	not_ok "OAUTHBEARER: no error challenge"
fi
send OAUTHBEARER "$noscope"
refused "OAUTHBEARER token without the smtp scope"
send XOAUTH2 "$forged"
# curl 7.88 hangs up at the XOAUTH2 error challenge instead of answering it: still refused (67)
if [ $rc -eq 67 ] && ! grep -q '^< 235 ' "$P/curl.log"; then ok "XOAUTH2 forged token: login denied"; else not_ok "XOAUTH2 forged token: rc $rc"; fi
grep -q '^< 334 eyJzdGF0dXMiOiI0MDEi' "$P/curl.log" && ok "XOAUTH2: its error JSON ({\"status\":\"401\"...)" ||
	not_ok "XOAUTH2: no error challenge"
send OAUTHBEARER "garbage"
refused "OAUTHBEARER garbage"
n=0
while [ $n -lt 20 ]; do
	send OAUTHBEARER "$forged"
	n=$((n + 1))
done
send OAUTHBEARER "$good"
accepted OAUTHBEARER "a good token after 20 more bad ones"
postfix_alive "$P" "$smtp_port" && ok "smtpd still serving" || not_ok "smtpd gone"

sleep 0.5 # postlogd writes asynchronously
grep -q 'sasl_method=OAUTHBEARER, sasl_username=service-a' "$P/maillog" &&
	ok "maillog: sasl_method=OAUTHBEARER, sasl_username=service-a" || not_ok "no OAUTHBEARER login in maillog"
grep -q 'sasl_method=XOAUTH2, sasl_username=service-a' "$P/maillog" &&
	ok "maillog: sasl_method=XOAUTH2, sasl_username=service-a" || not_ok "no XOAUTH2 login in maillog"
leak=0
for t in "$good" "$noscope" "$forged"; do
	grep -qF -e "${t##*.}" "$P/maillog" && leak=1
done
[ $leak -eq 0 ] && ok "no token text in the Postfix log" || not_ok "token text in the Postfix log"
postfix_stop "$P"
done_testing
