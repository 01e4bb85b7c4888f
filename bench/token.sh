#!/bin/sh
# Benchmark (not a test): `ccauth token` cold (cache_dir = "": a TLS connection and a token request
# to the AS every time) against warm (the per-user disk cache), both against the real test AS on
# 127.0.0.1, in one run.  Prints milliseconds per command and the ratio.
#   usage: bench/token.sh [N]          (run from the build tree; default N = 50)
# Environment: top_srcdir (default: this script's ..), top_builddir (default: .).
set -u
N=${1:-50}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
srcdir=$top_srcdir/tests
export top_srcdir top_builddir srcdir
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
as_require
CCAUTH="$top_builddir/tools/ccauth"
[ -x "$CCAUTH" ] || { echo "bench: $CCAUTH not built" >&2; exit 2; }
as_init
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
P=$(as_free_port)
AS_TOKEN_TTL=3600 as_start a "$P" >/dev/null || { echo "bench: AS did not start" >&2; exit 3; }
umask 077
printf 'secret-a\n' >"$AS_DIR/a.secret"
# token_endpoint set: no discovery, so cold vs warm is the token request alone
for mode in cold warm; do
	if [ $mode = cold ]; then cd_=""; else cd_="$AS_DIR/cache"; fi
	cat >"$AS_DIR/$mode.conf" <<EOC
[global]
ca_path = $AS_DIR/ca/capath
cache_dir = $cd_
[client a]
token_endpoint = https://127.0.0.1:$P/token
client_id = service-a
client_secret_file = $AS_DIR/a.secret
scope = ldap.read
EOC
	chmod 600 "$AS_DIR/$mode.conf"
done
"$CCAUTH" -c "$AS_DIR/warm.conf" token >/dev/null || { echo "bench: ccauth token failed" >&2; exit 3; }
"$CCAUTH" -c "$AS_DIR/cold.conf" token >/dev/null || exit 3

now_ns() { date +%s%N; }
run() {
	_t0=$(now_ns)
	_i=0
	while [ $_i -lt "$N" ]; do
		"$CCAUTH" -c "$AS_DIR/$1.conf" token >/dev/null || { echo "bench: run failed" >&2; exit 3; }
		_i=$((_i + 1))
	done
	echo $((($(now_ns) - _t0) / N / 1000))
}
base() {
	_t0=$(now_ns)
	_i=0
	while [ $_i -lt "$N" ]; do
		"$CCAUTH" --version >/dev/null
		_i=$((_i + 1))
	done
	echo $((($(now_ns) - _t0) / N / 1000))
}
base_us=$(base)
n0=$(as_count a token)
cold_us=$(run cold)
n1=$(as_count a token)
warm_us=$(run warm)
n2=$(as_count a token)
printf 'ccauth token, %d runs each, real AS on 127.0.0.1 (HTTPS, client_secret_basic)\n' "$N"
printf '  cold (cache_dir = "", network every time): %d.%03d ms/run  (%d token requests)\n' \
	$((cold_us / 1000)) $((cold_us % 1000)) $((n1 - n0))
printf '  warm (disk cache):                         %d.%03d ms/run  (%d token requests)\n' \
	$((warm_us / 1000)) $((warm_us % 1000)) $((n2 - n1))
printf '  baseline (ccauth --version: exec + dynamic linking): %d.%03d ms/run\n' $((base_us / 1000)) $((base_us % 1000))
awk -v c="$cold_us" -v w="$warm_us" -v b="$base_us" 'BEGIN {
	printf "  ratio cold/warm: %.1fx; above the baseline: %.2f ms vs %.2f ms = %.1fx\n", c / w,
	    (c - b) / 1000, (w - b) / 1000, (w > b) ? (c - b) / (w - b) : 0 }'
