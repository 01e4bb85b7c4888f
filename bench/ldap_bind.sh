#!/bin/sh
# slapd bind throughput with the SASL plugin, in one run (root; from the build directory):
#   ../src/bench/ldap_bind.sh [N_REUSE [N_NEW [ROUNDS]]]
# A temporary slapd (tests/lib/slapd.sh: private mount namespace over /etc/ldap/sasl2) trusts a
# static JWKS made here with openssl.  Modes: simple (uid=alice, userPassword in the DIT), SASL
# EXTERNAL (peer credentials: ldapi only), OAUTHBEARER with one token held by the client
# (validated once, then the validated-token cache) and OAUTHBEARER with a new RS256 token per bind
# (signature verified every time).  Each mode runs over one reused connection and with a new
# connection per bind, over ldapi:// and over TCP (ldap://127.0.0.1), ROUNDS times interleaved;
# the best round counts.  For TCP, slapd gets olcSaslSecProps none and the client SASL secprops
# none, so OAUTHBEARER is offered without TLS - for this bench only (the tests keep StartTLS).
# Then the same with a slapd that has no authz-regexp rules (EXTERNAL, cached, first-seen: the
# bind DN is the SASL name itself, as when ACLs and authzTo name uid=ID,cn=oauthbearer,cn=auth),
# slapd's RSS, and the same without the plugin (SASL_PATH without it; mech_list EXTERNAL).
# Both slapds with the plugin also offer X-CCAUTH-FLOOR (bench/floor_mech.c), a mechanism that
# ignores the very bytes of an OAUTHBEARER bind and hands slapd a fixed name: the floor of any
# SASL mechanism but EXTERNAL in slapd (whose name slapd takes as a normalised DN as is, while any
# other mechanism's name becomes uid=NAME,cn=MECH,cn=auth and is parsed and normalised).  Cached
# OAUTHBEARER minus the floor is the plugin's own share of a bind.  The floor's client sends its
# message with ldap_sasl_bind_s, without libsasl; oauth-raw sends the same bytes to OAUTHBEARER the
# same way, so floor and oauth-raw differ only in slapd's mechanism.  (With slapd and the client on
# one CPU, a heavier client costs slapd too: the OAUTHBEARER client plugin evicts slapd's caches
# between binds, which oauth-cached pays and oauth-raw does not.)
#
# Every OAUTHBEARER figure is also printed as a ratio to SASL EXTERNAL of the same slapd in the same
# run (EXTERNAL needs ldapi, so TCP rows use the ldapi EXTERNAL of the same connection mode), and
# a summary gives slapd CPU per bind for simple, EXTERNAL, cached and first-seen with and without
# authz-regexp, against the targets of issue #13 (first-seen <= 2.3x cached; cached >= 0.95x
# EXTERNAL in speed, i.e. EXTERNAL's CPU / cached's CPU, without authz-regexp).
#
# BENCH_CPU (default 0): slapd and the client run pinned to this one CPU (taskset), so a bind
# costs its CPU work and not the hand-over between CPUs: on a VM whose idle vCPUs sleep, each
# wake-up across CPUs costs tens of microseconds and moves with unrelated load, more than a whole
# simple bind.  BENCH_CPU= (empty) leaves the scheduler alone.  BENCH_CLIENT_CPU (default
# BENCH_CPU): the client's CPU alone; on another CPU than slapd's, the client's own work no longer
# evicts slapd's caches between binds (a heavier client library then costs slapd nothing), at the
# price of a wake-up across CPUs per request.  BENCH_TRANSPORTS (default
# "ldapi tcp"): the transports to run.
#
# BENCH_SLAPDS (default 1): run the slapd without authz-regexp this many times, each a new
# process (the best round of all counts).  A few microseconds of a bind move from one slapd process
# to the next with where its memory landed, more than between rounds of one process: the
# comparisons of EXTERNAL, the floor and OAUTHBEARER without authz-regexp want 4 or more.
#
# BENCH_CALLGRIND=1: slapd runs under valgrind --tool=callgrind and its cost per bind is counted in
# instructions (kIr, from a callgrind dump before and after each run) instead of CPU time: slow,
# but the machine's load does not move it, so before/after comparisons hold on a busy machine.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
top_builddir=${top_builddir:-$(pwd)}
bin="$top_builddir/bench/ldap_bind"
plugdir="$top_builddir/sasl/.libs"
floordir="$top_builddir/bench/.libs"
n_reuse=${1:-2000}
n_new=${2:-1000}
rounds=${3:-3}
[ -x "$bin" ] || { echo "ldap_bind.sh: $bin not built (run from the build directory)" >&2; exit 2; }
[ -f "$plugdir/libccauth.so" ] || { echo "ldap_bind.sh: $plugdir/libccauth.so not built" >&2; exit 2; }
[ -f "$floordir/libccauth-floor.so" ] || { echo "ldap_bind.sh: $floordir/libccauth-floor.so not built" >&2; exit 2; }

. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/jose.sh"
. "$top_srcdir/tests/lib/as.sh"
. "$top_srcdir/tests/lib/slapd.sh"
[ "$(id -u)" -eq 0 ] || { echo "ldap_bind.sh: needs root (unshare -m)" >&2; exit 2; }
cpu=${BENCH_CPU-0}
transports=${BENCH_TRANSPORTS:-ldapi tcp}
slapds=${BENCH_SLAPDS:-1}
callgrind=${BENCH_CALLGRIND:-}
unit=us
if [ -n "$callgrind" ]; then
	command -v callgrind_control >/dev/null 2>&1 || { echo "ldap_bind.sh: valgrind (callgrind_control) missing" >&2; exit 2; }
	unit=kIr
	export SLAPD_START_TRIES=1200
fi
client_cpu=${BENCH_CLIENT_CPU-$cpu}
pin=""
if [ -n "$cpu$client_cpu" ]; then
	command -v taskset >/dev/null 2>&1 || { echo "ldap_bind.sh: taskset missing (BENCH_CPU= to run unpinned)" >&2; exit 2; }
fi
[ -z "$client_cpu" ] || pin="taskset -c $client_cpu"

W=$(mktemp -d "${TMPDIR:-/tmp}/ccauth-bench.XXXXXX")
as_pids=""
cleanup() {
	for p in $as_pids; do kill "$p" 2>/dev/null; done
	sleep 0.3
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
umask 077

ISS=https://as.bench.invalid
AUD=ldap://ldap.bench.invalid
slapd_static_issuer "$W" bench "$ISS" "$AUD" || exit 1
as_setup_ca "$W/ca" >/dev/null || exit 1
port=$((20000 + $$ % 20000))
export CCAUTH_CONF="$W/ccauth.conf" # the client side: no [client], the password is the token
# logging costs more than a bind: off (stderr and syslog) unless asked for
export SLAPD_DEBUG=${SLAPD_DEBUG:-0} SLAPD_LOGLEVEL=${SLAPD_LOGLEVEL:-0}

start() { # DIR SASL_PATH MECHS (SLAPD_NO_AUTHZ_REGEXP from the environment)
	mkdir -p "$1"
	[ -z "$callgrind" ] || SLAPD_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$1/cg.out"
	SASL_PATH=$2 SLAPD_WRAPPER=${SLAPD_WRAPPER:-} slapd_start "$1" "$port" "$W/ca" "mech_list: $3
ccauth_config: $W/ccauth.conf" || exit 1
	ldapi="ldapi://$(printf %s "$1/ldapi" | sed 's,/,%2F,g')"
	# SASL without TLS over TCP, for this bench (root over ldapi may manage cn=config)
	printf 'dn: cn=config\nchangetype: modify\nreplace: olcSaslSecProps\nolcSaslSecProps: none\n' |
		ldapmodify -Q -Y EXTERNAL -H "$ldapi" >/dev/null || exit 1
	[ -z "$cpu" ] || taskset -a -p -c "$cpu" "$(cat "$1/slapd.fg.pid")" >/dev/null || exit 1
	# one untimed OAUTHBEARER bind: the issuer's keys are read when a token first names it, a
	# cost of the first bind of a slapd's life that no mode should carry
	case $3 in
	*OAUTHBEARER*) "$bin" "$ldapi" 1 reuse oauth-raw "$good" >/dev/null || exit 1 ;;
	esac
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$(cat "$1/slapd.fg.pid")/status"; }
# slapd's CPU time in ns, summed over its threads (schedstat: clock ticks are too coarse for a
# run of 5000 binds of 20 us)
# (BENCH_CALLGRIND: instructions so far, the sum of the dumps: each dump zeroes the counters)
ticks() {
	_pid=$(cat "$slapd_dir/slapd.fg.pid")
	if [ -n "$callgrind" ]; then
		callgrind_control --dump "$_pid" >/dev/null 2>&1
		cat "$slapd_dir"/cg.out.* | awk '/^totals:/ {t += $2} END {printf "%.0f\n", t}'
	else
		cat /proc/"$_pid"/task/*/schedstat | awk '{t += $1} END {printf "%.0f\n", t}'
	fi
}

# bench_mode LABEL TRANSPORT CONN N MODE ARGS...: one run, its line appended to $W/runs
bench_mode() {
	_label=$1 _tr=$2 _conn=$3 _n=$4
	shift 4
	_uri=$ldapi
	[ "$_tr" = tcp ] && _uri="ldap://127.0.0.1:$port"
	_t0=$(ticks)
	# shellcheck disable=SC2086 # $pin is empty or "taskset -c CPU"
	# one retry: a bind that times out (bench/ldap_bind.c: slapd lost a request) spoils its run only
	_out=$(SASL_PATH=$SASL_PATH_CLIENT $pin "$bin" "$_uri" "$_n" "$_conn" "$@" 2>&1) || {
		echo "retrying $_label $_tr $_conn: $_out" >&2
		_t0=$(ticks)
		_out=$(SASL_PATH=$SASL_PATH_CLIENT $pin "$bin" "$_uri" "$_n" "$_conn" "$@" 2>&1)
	} || {
		echo "FAILED $_label $_tr $_conn: $_out" >&2
		exit 1
	}
	_t1=$(ticks)
	_us=$(awk -v a="$_t0" -v b="$_t1" -v n="$_n" 'BEGIN {printf "%.1f", (b - a) / 1000 / n}')
	echo "$_label $_tr/$_conn $_out server_cpu_us $_us" >>"$W/runs"
}

# run_rounds PREFIX MODES: ROUNDS times over both transports and connection modes, each of MODES
# (simple external cached first-seen) with label PREFIX-MODE (the bare mode name for PREFIX "")
run_rounds() {
	_pre=$1
	shift
	r=1
	while [ $r -le "$rounds" ]; do
		for tr in $transports; do
			for conn in reuse new; do
				n=$n_reuse
				[ $conn = new ] && n=$n_new
				for m in "$@"; do
					case $m in
					simple) bench_mode "${_pre}simple" $tr $conn "$n" simple "uid=alice,ou=people,dc=example,dc=test" alice-pw ;;
					external) [ $tr = tcp ] || bench_mode "${_pre}external" $tr $conn "$n" external ;;
					floor) bench_mode "${_pre}floor" $tr $conn "$n" floor "$good" ;;
					raw) bench_mode "${_pre}oauth-raw" $tr $conn "$n" oauth-raw "$good" ;;
					cached) bench_mode "${_pre}oauth-cached" $tr $conn "$n" oauth "$good" ;;
					first-seen) bench_mode "${_pre}oauth-first-seen" $tr $conn "$n" oauth-fresh "$W/key.pem" "$ISS" "$AUD" svc-bench ;;
					esac
				done
			done
		done
		r=$((r + 1))
	done
}

D1="$W/with"
slapd_dir=$D1
# the token of the cached modes (validated at its first bind, then a cache hit)
good=$(slapd_static_token "$W" "$ISS" "$AUD" svc-bench)
start "$D1" "$plugdir:$floordir" "OAUTHBEARER EXTERNAL X-CCAUTH-FLOOR"
SASL_PATH_CLIENT=$plugdir
rss_start=$(rss "$D1")
run_rounds "" simple external floor raw cached first-seen
rss_with=$(rss "$D1")
slapd_stop "$D1"

inst=1
while [ "$inst" -le "$slapds" ]; do
	D3="$W/noregexp$inst"
	slapd_dir=$D3
	export SLAPD_NO_AUTHZ_REGEXP=1
	start "$D3" "$plugdir:$floordir" "OAUTHBEARER EXTERNAL X-CCAUTH-FLOOR"
	unset SLAPD_NO_AUTHZ_REGEXP
	run_rounds "noregexp-" external floor raw cached first-seen
	slapd_stop "$D3"
	inst=$((inst + 1))
done

D2="$W/without"
slapd_dir=$D2
mkdir -p "$W/noplugins"
start "$D2" "$W/noplugins" "EXTERNAL"
SASL_PATH_CLIENT=$W/noplugins
rss_without_start=$(rss "$D2")
run_rounds "noplugin-" simple external
rss_without=$(rss "$D2")
slapd_stop "$D2"

# report: per label and connection mode the best binds/s of the rounds (wall clock: the machine's
# load moves it) and the lowest CPU per bind of slapd and of the client (on a shared machine other
# processes' load adds CPU time through caches and sibling threads, never removes it);
# ratios against simple bind in the same connection mode, and slapd CPU against EXTERNAL of the
# same slapd (with or without authz-regexp) and connection mode
awk '
	function lowest(str,   a, n, i, m) {
		n = split(str, a, " ")
		m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]
		return m
	}
	function ext_label(l) { return l ~ /^noregexp-/ ? "noregexp-external" : "external" }
	{
		key = $1 " " $2
		for (i = 3; i < NF; i++) v[$i] = $(i + 1)
		if (v["binds_per_s"] + 0 > best[key]) best[key] = v["binds_per_s"] + 0
		scpu[key] = scpu[key] " " v["server_cpu_us"]
		ccpu[key] = ccpu[key] " " v["client_cpu_us"]
	}
	END {
		nl = split("simple external floor oauth-raw oauth-cached oauth-first-seen noregexp-external noregexp-floor noregexp-oauth-raw noregexp-oauth-cached noregexp-oauth-first-seen noplugin-simple noplugin-external", L, " ")
		split("ldapi/reuse ldapi/new tcp/reuse tcp/new", C, " ")
		for (c = 1; c <= 4; c++) {
			b = "simple " C[c]
			if (!(b in best)) continue
			bs = lowest(scpu[b]); bc = lowest(ccpu[b])
			split(C[c], tc, "/")
			printf "%-11s %-26s %9s %8s %8s %10s %10s %8s %10s\n", C[c], "mode", "binds/s", "ms/bind", "x simple", "slapd " unit, "client us", "x simple", "slapd/EXT"
			for (i = 1; i <= nl; i++) {
				k = L[i] " " C[c]
				if (!(k in best)) continue
				s = lowest(scpu[k]); cl = lowest(ccpu[k])
				# EXTERNAL exists over ldapi only: TCP rows compare with ldapi EXTERNAL, same conn mode
				e = ext_label(L[i]) " ldapi/" tc[2]
				ex = (L[i] ~ /oauth|floor/ && (e in best)) ? sprintf("%10.2f", s / lowest(scpu[e])) : sprintf("%10s", "-")
				printf "%-11s %-26s %9.0f %8.3f %8.2f %10.1f %10.1f %8.2f %s\n", C[c], L[i], best[k], 1000 / best[k], best[k] / best[b], s, cl, (bs + bc) / (s + cl), ex
				us[L[i] " " C[c]] = s
			}
		}
		printf "\nslapd CPU per bind (%s), ldapi, one reused connection / a new connection per bind:\n", unit
		printf "%-30s %12s %12s\n", "", "reuse", "new"
		ns = split("simple external floor oauth-raw oauth-cached oauth-first-seen noregexp-external noregexp-floor noregexp-oauth-raw noregexp-oauth-cached noregexp-oauth-first-seen", S, " ")
		for (i = 1; i <= ns; i++)
			printf "%-30s %12.1f %12.1f\n", S[i], us[S[i] " ldapi/reuse"], us[S[i] " ldapi/new"]
		for (m = 1; m <= 2; m++) {
			cm = m == 1 ? "ldapi/reuse" : "ldapi/new"
			printf "%s: first-seen / cached %.2f (target <= 2.3), without authz-regexp %.2f; EXTERNAL / cached (speed) %.2f, without authz-regexp %.2f (target >= 0.95); authz-regexp costs %.1f %s per cached bind\n", cm,
				us["oauth-first-seen " cm] / us["oauth-cached " cm], us["noregexp-oauth-first-seen " cm] / us["noregexp-oauth-cached " cm],
				us["external " cm] / us["oauth-cached " cm], us["noregexp-external " cm] / us["noregexp-oauth-cached " cm],
				us["oauth-cached " cm] - us["noregexp-oauth-cached " cm], unit
			printf "%s, without authz-regexp: the floor of a non-EXTERNAL mechanism costs slapd %.1f %s more than EXTERNAL (EXTERNAL / floor, speed: %.2f, the best any such mechanism can reach); what the plugin itself adds to a cached bind is %.1f %s (floor / oauth-raw, speed: %.2f); EXTERNAL / oauth-raw (speed) %.2f\n", cm,
				us["noregexp-floor " cm] - us["noregexp-external " cm], unit, us["noregexp-external " cm] / us["noregexp-floor " cm],
				us["noregexp-oauth-raw " cm] - us["noregexp-floor " cm], unit, us["noregexp-floor " cm] / us["noregexp-oauth-raw " cm],
				us["noregexp-external " cm] / us["noregexp-oauth-raw " cm]
		}
	}' unit="$unit" "$W/runs"
echo "slapd pinned to CPU: ${cpu:-no (scheduler's choice)}, the client to CPU: ${client_cpu:-no}; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tcp: ldap://127.0.0.1 without TLS (sasl-secprops none, bench only); ldapi: the local socket; EXTERNAL only over ldapi"
echo "slapd RSS (kB): with the plugin $rss_start at start, $rss_with after the runs; without the plugin $rss_without_start at start, $rss_without after the runs"
