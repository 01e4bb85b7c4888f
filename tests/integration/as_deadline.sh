#!/bin/sh
# One deadline per call (issue #12): timeout + 10% for a whole verify, every network step and lock
# wait included, on the fault server.  Times are only checked against generous upper bounds; the
# figures go to the log (diag) for the record.
#   discovery that sends headers and then stalls: one timeout, not one per discovery URL
#   6 processes against a JWKS that answers too late: all done within the deadline, 1 request
set -u
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
as_require
CCAUTH=${CCAUTH_BIN:-$top_builddir/tools/ccauth}
[ -x "$CCAUTH" ] || bail_skip_all "ccauth not built"
as_init
as_setup_ca "$AS_DIR/ca" || bail_skip_all "openssl could not make the test CA"
CA="$AS_DIR/ca"
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY CCAUTH_CONF
F=$(as_free_port)
FI="https://127.0.0.1:$F"
fault_start "$F" || bail_skip_all "fault server did not start"
W="$AS_DIR/w"
mkdir -p "$W"
umask 077
fpost() { curl -sf --cacert "$CA/ca.crt" -X POST "$@"; }
stat_count() {
	curl -sf --cacert "$CA/ca.crt" "$FI/stats" |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(JSON.parse(s)[process.argv[1]]||0)})' "$1"
}
ms() { date +%s%3N; }
# within WHAT MS LIMIT_MS
within() {
	if [ "$2" -le "$3" ]; then ok "$1: $2 ms (bound $3 ms)"; else not_ok "$1: $2 ms, over $3 ms"; fi
}
claims() { printf '{"iss":"%s","sub":"svc-f","client_id":"svc-f","exp":%s}' "$1" "$(($(date +%s) + 600))"; }

# --- discovery: headers, then a stalled body ---------------------------------------------------
# timeout 3: one request may take 3 s, the whole call 3.3 s (before: 3 s per discovery URL)
cat >"$W/stall.conf" <<EOF
[global]
ca_file = $CA/ca.crt
cache_dir =
timeout = 3

[issuer s]
issuer = $FI/stall
allowed_client_ids = svc-f
EOF
T=$(fpost -H 'Content-Type: application/json' --data "$(claims "$FI/stall")" "$FI/sign")
t0=$(ms)
printf '%s\n' "$T" | "$CCAUTH" -c "$W/stall.conf" verify - >/dev/null 2>"$W/stall.err"
rc=$?
t=$(($(ms) - t0))
diag "discovery stalled after the headers, timeout 3: exit $rc in $t ms"
check "stalled discovery: exit 3 (unavailable)" [ "$rc" = 3 ]
within "stalled discovery: within the deadline (3.3 s) plus slack" "$t" 4800

# --- 6 processes, a JWKS that answers after 10 s -------------------------------------------------
cat >"$W/slow.conf" <<EOF
[global]
ca_file = $CA/ca.crt
cache_dir = $W/cache
timeout = 2

[issuer f]
issuer = $FI
allowed_client_ids = svc-f
EOF
T=$(fpost -H 'Content-Type: application/json' --data "$(claims "$FI")" "$FI/sign")
fpost "$FI/jwks-slow?s=10" >/dev/null
fpost "$FI/reset-stats" >/dev/null
i=0
pids=""
while [ $i -lt 6 ]; do
	(
		s=$(ms)
		printf '%s\n' "$T" | "$CCAUTH" -c "$W/slow.conf" verify - >/dev/null 2>"$W/slow-$i.err"
		echo "$? $(($(ms) - s))" >"$W/slow-$i.res"
	) &
	pids="$pids $!"
	i=$((i + 1))
done
wait $pids
times=$(cut -d' ' -f2 "$W"/slow-*.res | sort -n | tr '\n' ' ')
diag "6 processes, JWKS after 10 s, timeout 2: $times ms; exits $(cut -d' ' -f1 "$W"/slow-*.res | tr '\n' ' ')"
check "6 processes against a slow JWKS: all exit 3" [ "$(cut -d' ' -f1 "$W"/slow-*.res | sort -u)" = 3 ]
slowest=$(cut -d' ' -f2 "$W"/slow-*.res | sort -n | tail -1)
within "6 processes against a slow JWKS: the slowest within the deadline (2.2 s) plus slack" "$slowest" 3700
n=$(stat_count /jwks)
diag "JWKS requests: $n"
check "6 processes against a slow JWKS: 1 JWKS request ($n)" [ "$n" = 1 ]

# --- PAM mode=secret: a token answer after 1.5 s, then the slow JWKS ---------------------------
# one deadline for both (before: 1.5 s + the JWKS timeout of 2 s in sequence)
DRIVER="$top_builddir/tests/pam/pam_driver"
if [ -x "$DRIVER" ]; then
	out=$("$DRIVER" --secret-at "$FI" "$FI/token-slow?s=1.5" "$CA/ca.crt" 2 2>&1)
	got=${out% *}
	t=${out##* }
	case $got in
	*"1..0 # SKIP"*) skip "PAM mode=secret, slow token and JWKS" "libpam has no pam_start_confdir" ;;
	*)
		diag "PAM mode=secret, token after 1.5 s then a JWKS after 10 s, timeout 2: $got in $t ms"
		check "PAM mode=secret, slow token then slow JWKS: PAM_AUTHINFO_UNAVAIL ($got)" [ "$got" = PAM_AUTHINFO_UNAVAIL ]
		within "PAM mode=secret, slow token then slow JWKS: within the deadline (2.2 s) plus slack" "$t" 3200
		;;
	esac
else
	skip "PAM mode=secret, slow token and JWKS" "pam_driver not built"
fi
# --- 4 processes, one token key, a token endpoint that fails after 2 s ------------------------
# the first fetches under the cross-process lock; those waiting for it share its failure instead
# of asking again (before: one request each, in sequence)
mkdir -p "$W/tcache"
printf 's3cret\n' >"$W/tok.secret"
cat >"$W/tokfail.conf" <<EOF
[global]
ca_file = $CA/ca.crt
cache_dir = $W/tcache
timeout = 5
[client c]
token_endpoint = $FI/token-slow?s=2&fail=1
client_id = c
client_secret_file = $W/tok.secret
EOF
before=$(stat_count /token-slow)
pids=""
for i in 1 2 3 4; do
	(
		t0=$(ms)
		"$CCAUTH" -c "$W/tokfail.conf" token c >/dev/null 2>"$W/tokfail-$i.err"
		echo "$? $(($(ms) - t0))" >"$W/tokfail-$i.res"
	) &
	pids="$pids $!"
	[ $i -eq 1 ] && sleep 0.3
done
wait $pids
diag "4 token processes, endpoint failing after 2 s: $(cut -d' ' -f2 "$W"/tokfail-*.res | sort -n | tr '\n' ' ')ms"
check "4 token processes against a failing endpoint: all exit 3" [ "$(cut -d' ' -f1 "$W"/tokfail-*.res | sort -u)" = 3 ]
n=$(($(stat_count /token-slow) - before))
check "4 token processes against a failing endpoint: 1 token request ($n)" [ "$n" = 1 ]
check "  the waiters say why" grep -q "another process just failed" "$W"/tokfail-1.err "$W"/tokfail-2.err "$W"/tokfail-3.err "$W"/tokfail-4.err

fpost "$FI/jwks-slow?s=0" >/dev/null
done_testing
