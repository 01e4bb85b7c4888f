#!/bin/sh
# What the SASL plugin sends to syslog from inside slapd (issue #13): slapd runs with a private
# /dev/log (tests/lib/devlog.pl listens on it), `loglevel stats` and libsasl's default log_level, and
# takes SYSLOG_BINDS (default 1000) OAUTHBEARER binds with first-seen tokens (bench/ldap_bind
# oauth-fresh: every bind verifies a signature) and as many with one cached token.
# - nothing from libsasl or the plugin reaches syslog behind slapd's back: no auth-facility
#   datagram, no "ccauth" text but the one rejection, which slapd's own SASL callback logs
# - what does reach it is exactly slapd's own stats lines: the same lines, in the same number, as
#   slapd writes to its stats debug output for those binds
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
. "$srcdir/lib/jose.sh"
. "$srcdir/lib/slapd.sh"

slapd_require_plugin
bind="$top_builddir/bench/ldap_bind"
[ -x "$bind" ] || bail_skip_all "bench/ldap_bind not built (libldap missing)"
command -v perl >/dev/null 2>&1 || bail_skip_all "perl not found"
unshare -m sh -c 'd=$(mktemp -d) && mkdir "$d/u" "$d/w" &&
	mount -t overlay overlay -o "lowerdir=/dev,upperdir=$d/u,workdir=$d/w" /dev; r=$?; rm -rf "$d"; exit $r' \
	2>/dev/null || bail_skip_all "no overlay mount on /dev here (needed for a private /dev/log)"
as_init
umask 077
n=${SYSLOG_BINDS:-1000}

W=$AS_DIR
ISS=https://as.syslog.invalid
AUD=ldap://ldap.syslog.invalid
slapd_static_issuer "$W" syslog "$ISS" "$AUD" || bail_skip_all "no openssl key"
as_setup_ca "$W/ca" >/dev/null || bail_skip_all "no test CA"

perl "$srcdir/lib/devlog.pl" "$W/devlog.sock" "$W/syslog.txt" &
devlog_pid=$!
as_pids="$as_pids $devlog_pid"
i=0
while [ ! -S "$W/devlog.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -S "$W/devlog.sock" ] || bail_skip_all "devlog did not start"

D="$W/slapd"
mkdir -p "$D"
port=$(as_free_port)
SLAPD_DEVLOG="$W/devlog.sock" SLAPD_LOGLEVEL=stats SLAPD_DEBUG=stats slapd_start "$D" "$port" "$W/ca" \
	"mech_list: OAUTHBEARER EXTERNAL
ccauth_config: $W/ccauth.conf" || bail_skip_all "slapd did not start"
ldapi="ldapi://$(printf %s "$D/ldapi" | sed 's,/,%2F,g')"
slapd_pid=$(cat "$D/slapd.fg.pid")

# slapd's startup lines are not the binds' business
sleep 0.2
before=$(wc -l <"$W/syslog.txt")


export CCAUTH_CONF="$W/ccauth.conf"
out=$("$bind" "$ldapi" "$n" reuse oauth-fresh "$W/key.pem" "$ISS" "$AUD" svc-syslog 2>&1)
check "$n first-seen OAUTHBEARER binds succeed" [ $? -eq 0 ]
good=$(slapd_static_token "$W" "$ISS" "$AUD" svc-syslog)
out=$("$bind" "$ldapi" "$n" reuse oauth "$good" 2>&1)
check "$n cached OAUTHBEARER binds succeed" [ $? -eq 0 ]
# a rejected token (the error round trip) and a discovery request (empty auth=)
LDAPSASL_MECH=OAUTHBEARER ldapwhoami -Q -H "$ldapi" -Y OAUTHBEARER -w not.a.token >/dev/null 2>&1
check "a rejected token is refused" [ $? -eq 49 ]

# every datagram sent is queued on the socket once slapd is gone: let the reader drain it
slapd_stop "$D"
i=0
while [ $i -lt 20 ] && ! grep -q 'slapd stopped' "$W/syslog.txt"; do sleep 0.1; i=$((i + 1)); done
sleep 0.2
sed -n "$((before + 1)),\$p" "$W/syslog.txt" >"$W/binds.txt"
total=$(wc -l <"$W/binds.txt")
diag "$total datagrams during the binds; $(wc -l <"$W/syslog.txt") in all"

# <PRI>: facility = PRI / 8 (auth 4, authpriv 10), severity = PRI % 8 (debug 7)
auth=$(awk -F'[<>]' '{ f = int($2 / 8); if (f == 4 || f == 10) n++ } END { print n + 0 }' "$W/binds.txt")
check "no auth-facility datagram (libsasl's own syslog) during the binds: $auth" [ "$auth" -eq 0 ]
# the one rejection goes to slapd's SASL log callback (a failure: slapd logs those at stats)
ccauth=$(grep 'ccauth: ' "$W/binds.txt" | grep -vc 'SASL \[conn=[0-9]*\] Failure: ccauth: OAUTHBEARER rejected token')
check "no ccauth line in syslog but slapd's own for the rejection: $ccauth others" [ "$ccauth" -eq 0 ]
rejected=$(grep -c 'Failure: ccauth: OAUTHBEARER rejected token [0-9a-f]*: malformed' "$W/binds.txt")
check "the rejected token's line, through slapd: $rejected" [ "$rejected" -eq 1 ]
notslapd=$(grep -vc "slapd\[$slapd_pid\]: " "$W/binds.txt")
check "every datagram is slapd's own: $notslapd others" [ "$notslapd" -eq 0 ]
# slapd's own stats lines (its -d stats output, whole run) against what syslog got (whole run)
grep 'conn=' "$D/slapd.log" | sed 's/^[0-9a-f]*\.[0-9a-f]* 0x[0-9a-f]* //' | sort >"$W/stats.txt"
sed "s/^<[0-9]*>[^]]* slapd\[$slapd_pid\]: //" "$W/syslog.txt" | grep 'conn=' | sort >"$W/got.txt"
nstats=$(wc -l <"$W/stats.txt")
if [ "$nstats" -gt "$((3 * n))" ] && cmp -s "$W/stats.txt" "$W/got.txt"; then
	ok "syslog got exactly slapd's $nstats stats lines"
else
	not_ok "syslog is not slapd's stats lines: $(wc -l <"$W/got.txt") conn= datagrams, $nstats stats lines"
	diff "$W/stats.txt" "$W/got.txt" | head -5 | sed 's/^/# /'
fi
others=$(grep -vc "conn=" "$W/syslog.txt")
check "the other datagrams are slapd's 5 start and stop lines: $others" [ "$others" -eq 5 ]
done_testing
