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
# Then slapd's RSS, and the same without the plugin (SASL_PATH without it; mech_list EXTERNAL).
#
# BENCH_CPU (default 0): slapd and the client run pinned to this one CPU (taskset), so a bind
# costs its CPU work and not the hand-over between CPUs: on a VM whose idle vCPUs sleep, each
# wake-up across CPUs costs tens of microseconds and moves with unrelated load, more than a whole
# simple bind.  BENCH_CPU= (empty) leaves the scheduler alone.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
top_builddir=${top_builddir:-$(pwd)}
bin="$top_builddir/bench/ldap_bind"
plugdir="$top_builddir/sasl/.libs"
n_reuse=${1:-2000}
n_new=${2:-1000}
rounds=${3:-3}
[ -x "$bin" ] || { echo "ldap_bind.sh: $bin not built (run from the build directory)" >&2; exit 2; }
[ -f "$plugdir/libccauth.so" ] || { echo "ldap_bind.sh: $plugdir/libccauth.so not built" >&2; exit 2; }

. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/jose.sh"
. "$top_srcdir/tests/lib/as.sh"
. "$top_srcdir/tests/lib/slapd.sh"
[ "$(id -u)" -eq 0 ] || { echo "ldap_bind.sh: needs root (unshare -m)" >&2; exit 2; }
cpu=${BENCH_CPU-0}
pin=""
if [ -n "$cpu" ]; then
	command -v taskset >/dev/null 2>&1 || { echo "ldap_bind.sh: taskset missing (BENCH_CPU= to run unpinned)" >&2; exit 2; }
	pin="taskset -c $cpu"
fi

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
jose_rsa_key "$W/key.pem"
jose_rsa_jwks "$W/key.pem" k1 >"$W/jwks.json"
cat >"$W/ccauth.conf" <<EOF
[global]
cache_dir =

[issuer bench]
issuer = $ISS
jwks_file = $W/jwks.json
audience = $AUD
required_scope = ldap
EOF
as_setup_ca "$W/ca" >/dev/null || exit 1
port=$((20000 + $$ % 20000))
export CCAUTH_CONF="$W/ccauth.conf" # the client side: no [client], the password is the token
# logging costs more than a bind: off (stderr and syslog) unless asked for
export SLAPD_DEBUG=${SLAPD_DEBUG:-0} SLAPD_LOGLEVEL=${SLAPD_LOGLEVEL:-0}

start() { # DIR SASL_PATH MECHS
	mkdir -p "$1"
	SASL_PATH=$2 slapd_start "$1" "$port" "$W/ca" "mech_list: $3
ccauth_config: $W/ccauth.conf" || exit 1
	ldapi="ldapi://$(printf %s "$1/ldapi" | sed 's,/,%2F,g')"
	# SASL without TLS over TCP, for this bench (root over ldapi may manage cn=config)
	printf 'dn: cn=config\nchangetype: modify\nreplace: olcSaslSecProps\nolcSaslSecProps: none\n' |
		ldapmodify -Q -Y EXTERNAL -H "$ldapi" >/dev/null || exit 1
	[ -z "$cpu" ] || taskset -a -p -c "$cpu" "$(cat "$1/slapd.fg.pid")" >/dev/null || exit 1
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$(cat "$1/slapd.fg.pid")/status"; }
# slapd's CPU time in ns, summed over its threads (schedstat: clock ticks are too coarse for a
# run of 5000 binds of 20 us)
ticks() { cat /proc/"$(cat "$slapd_dir/slapd.fg.pid")"/task/*/schedstat | awk '{t += $1} END {printf "%.0f\n", t}'; }

# bench_mode LABEL TRANSPORT CONN N MODE ARGS...: one run, its line appended to $W/runs
bench_mode() {
	_label=$1 _tr=$2 _conn=$3 _n=$4
	shift 4
	_uri=$ldapi
	[ "$_tr" = tcp ] && _uri="ldap://127.0.0.1:$port"
	_t0=$(ticks)
	# shellcheck disable=SC2086 # $pin is empty or "taskset -c CPU"
	_out=$(SASL_PATH=$SASL_PATH_CLIENT $pin "$bin" "$_uri" "$_n" "$_conn" "$@" 2>&1) || {
		echo "FAILED $_label $_tr $_conn: $_out" >&2
		exit 1
	}
	_t1=$(ticks)
	_us=$(awk -v a="$_t0" -v b="$_t1" -v n="$_n" 'BEGIN {printf "%.1f", (b - a) / 1000 / n}')
	echo "$_label $_tr/$_conn $_out server_cpu_us $_us" >>"$W/runs"
}

D1="$W/with"
slapd_dir=$D1
start "$D1" "$plugdir" "OAUTHBEARER EXTERNAL"
SASL_PATH_CLIENT=$plugdir
# the token of the cached mode (validated at its first bind, then a cache hit)
good=$(jose_rs256 "$W/key.pem" '{"alg":"RS256","typ":"at+jwt","kid":"k1"}' \
	"{\"iss\":\"$ISS\",\"sub\":\"svc-bench\",\"client_id\":\"svc-bench\",\"aud\":\"$AUD\",\"scope\":\"ldap\",\"iat\":$(date +%s),\"exp\":$(($(date +%s) + 3600))}")
rss_start=$(rss "$D1")
r=1
while [ $r -le "$rounds" ]; do
	for tr in ldapi tcp; do
		for conn in reuse new; do
			n=$n_reuse
			[ $conn = new ] && n=$n_new
			bench_mode simple $tr $conn "$n" simple "uid=alice,ou=people,dc=example,dc=test" alice-pw
			[ $tr = tcp ] || bench_mode external $tr $conn "$n" external
			bench_mode oauth-cached $tr $conn "$n" oauth "$good"
			bench_mode oauth-first-seen $tr $conn "$n" oauth-fresh "$W/key.pem" "$ISS" "$AUD" svc-bench
		done
	done
	r=$((r + 1))
done
rss_with=$(rss "$D1")
slapd_stop "$D1"

D2="$W/without"
slapd_dir=$D2
mkdir -p "$W/noplugins"
start "$D2" "$W/noplugins" "EXTERNAL"
SASL_PATH_CLIENT=$W/noplugins
rss_without_start=$(rss "$D2")
r=1
while [ $r -le "$rounds" ]; do
	for tr in ldapi tcp; do
		for conn in reuse new; do
			n=$n_reuse
			[ $conn = new ] && n=$n_new
			bench_mode noplugin-simple $tr $conn "$n" simple "uid=alice,ou=people,dc=example,dc=test" alice-pw
			[ $tr = tcp ] || bench_mode noplugin-external $tr $conn "$n" external
		done
	done
	r=$((r + 1))
done
rss_without=$(rss "$D2")
slapd_stop "$D2"

# report: per label and connection mode the best binds/s of the rounds (wall clock: the machine's
# load moves it) and the median CPU per bind of slapd and of the client (load hardly moves it);
# ratios against simple bind in the same connection mode
awk '
	function median(str,   a, n, i, j, t) {
		n = split(str, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((n + 1) / 2)]
	}
	{
		key = $1 " " $2
		for (i = 3; i < NF; i++) v[$i] = $(i + 1)
		if (v["binds_per_s"] + 0 > best[key]) best[key] = v["binds_per_s"] + 0
		scpu[key] = scpu[key] " " v["server_cpu_us"]
		ccpu[key] = ccpu[key] " " v["client_cpu_us"]
	}
	END {
		split("simple external oauth-cached oauth-first-seen noplugin-simple noplugin-external", L, " ")
		split("ldapi/reuse ldapi/new tcp/reuse tcp/new", C, " ")
		for (c = 1; c <= 4; c++) {
			b = "simple " C[c]
			bs = median(scpu[b]); bc = median(ccpu[b])
			printf "%-11s %-18s %9s %8s %8s %10s %10s %8s\n", C[c], "mode", "binds/s", "ms/bind", "x simple", "slapd us", "client us", "x simple"
			for (i = 1; i <= 6; i++) {
				k = L[i] " " C[c]
				if (!(k in best)) continue
				s = median(scpu[k]); cl = median(ccpu[k])
				printf "%-11s %-18s %9.0f %8.3f %8.2f %10.1f %10.1f %8.2f\n", C[c], L[i], best[k], 1000 / best[k], best[k] / best[b], s, cl, (bs + bc) / (s + cl)
			}
		}
	}' "$W/runs"
echo "slapd and client pinned to CPU: ${cpu:-no (scheduler's choice)}; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tcp: ldap://127.0.0.1 without TLS (sasl-secprops none, bench only); ldapi: the local socket; EXTERNAL only over ldapi"
echo "slapd RSS (kB): with the plugin $rss_start at start, $rss_with after the runs; without the plugin $rss_without_start at start, $rss_without after the runs"
