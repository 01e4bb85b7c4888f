#!/bin/sh
# bench/pam.sh: pam_ccauth.so per login with the JWKS of a remote issuer in the warm disk cache,
# against keys in a jwks_file and against pam_permit.so, all measured in one run of bench/pam:
#   1. the fault server (tests/tools/fault-server.mjs, HTTPS with the test CA) on a free port
#      serves the JWKS (ES256) and signs a token for the PAM user svc-a;
#   2. bench/pam --prime authenticates once through PAM: the JWKS is fetched into cache_dir;
#   3. the fault server is stopped (its /stats request counters are read first);
#   4. bench/pam N --remote: N cycles pam_start -> pam_authenticate -> pam_end in one process and
#      N/20 fresh processes for the jwks_file issuer, the warm-disk-cache issuer and pam_permit.so.
# The remote issuer's config has jwks_max_stale = 0 and the JWKS is fresh for an hour: any network
# call in the timed cycles (a refetch or discovery) would hit a closed port and fail the cycle, so
# every cycle succeeding proves 0 network calls.
# Usage: bench/pam.sh [N]   (default 2000); run from the build dir (../bench/pam.sh) or with
# top_builddir set.  Needs node, openssl and curl (as make check does); no root.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
srcdir=$top_srcdir/tests
N=${1:-2000}
BENCH=$top_builddir/bench/pam
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
bail_skip_all() { echo "bench/pam.sh: $*" >&2; exit 77; }
[ -x "$BENCH" ] && [ -f "$top_builddir/pam/.libs/pam_ccauth.so" ] || bail_skip_all "build pam_ccauth.so and bench/pam first"
as_require
as_init
as_setup_ca "$AS_DIR/ca" || bail_skip_all "openssl could not make the test CA"
F=$(as_free_port)
FI="https://127.0.0.1:$F"
fault_start "$F" || bail_skip_all "fault server did not start"
W=$AS_DIR/w
mkdir -p "$W"
umask 077
# bench/pam makes its own temporary dir under TMPDIR: inside $AS_DIR, removed by the trap
TMPDIR=$W
export TMPDIR
cat >"$W/remote.conf" <<EOF
[global]
ca_path = $AS_DIR/ca/capath
cache_dir = $W/cache
timeout = 1
jwks_max_stale = 0

[issuer r]
issuer = $FI
jwks_uri = $FI/jwks
audience = urn:bench
required_scope = login
EOF
fcurl() { curl -sf --cacert "$AS_DIR/ca/ca.crt" "$@"; }
fcurl -X POST "$FI/jwks-max-age?s=3600" >/dev/null || bail_skip_all "fault server: /jwks-max-age failed"
now=$(date +%s)
fcurl -X POST -H 'Content-Type: application/json' \
	--data "{\"iss\":\"$FI\",\"aud\":\"urn:bench\",\"sub\":\"svc-a\",\"client_id\":\"svc-a\",\"scope\":\"login\",\"iat\":$now,\"exp\":$((now + 3600))}" \
	"$FI/sign" >"$W/token" || bail_skip_all "fault server: /sign failed"
# requests for keys or metadata (not /sign, /stats and the set-up POSTs)
requests() { fcurl "$FI/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);let n=0;for(const k of Object.keys(j))if(k==="/jwks"||k.includes("/.well-known/"))n+=j[k];console.log(n)})'; }

r0=$(requests)
"$BENCH" --prime "$W/remote.conf" "$W/token" || { echo "bench/pam.sh: priming failed" >&2; exit 1; }
r1=$(requests)
stats=$(fcurl "$FI/stats")
cached=$(find "$W/cache" -type f | wc -l)
fault_stop
if fcurl -o /dev/null "$FI/stats" 2>/dev/null; then
	echo "bench/pam.sh: the fault server still answers after fault_stop" >&2
	exit 1
fi

# the control: the same config with an empty cache_dir must fail now (a network call is needed)
sed "s|^cache_dir = .*|cache_dir = $W/cold|" "$W/remote.conf" >"$W/cold.conf"
if "$BENCH" --prime "$W/cold.conf" "$W/token" 2>/dev/null; then
	echo "bench/pam.sh: an authentication with a cold cache succeeded with the server stopped" >&2
	exit 1
fi

# with strace: the system calls of one warm authentication open no AF_INET/AF_INET6 socket
inet=""
if command -v strace >/dev/null 2>&1; then
	inet=$(strace -f -e trace=socket -o "$W/strace" "$BENCH" --prime "$W/remote.conf" "$W/token" &&
		grep -c 'AF_INET' "$W/strace")
fi

echo "remote issuer $FI: priming authentication made $((r1 - r0)) key/metadata request(s) (server /stats: $stats);"
echo "  $cached file(s) in cache_dir; server stopped before the timed cycles (port closed: checked;"
echo "  control: the same config with an empty cache_dir fails to authenticate)"
[ -n "$inet" ] && echo "  strace of one warm authentication (server stopped): $inet AF_INET/AF_INET6 socket(s) opened"
"$BENCH" "$N" --remote "$W/remote.conf" "$W/token"
rc=$?
[ $rc -eq 0 ] || echo "bench/pam.sh: bench/pam exited $rc" >&2
exit $rc
