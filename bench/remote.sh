#!/bin/sh
# bench/remote.sh: the cost of validating a JWT of a remote issuer (keys via discovery + jwks_uri
# from the fault server, ES256), measured in one run:
#   cold     a fresh `ccauth verify` process with an empty disk cache (discovery + JWKS fetched)
#   warm     a fresh `ccauth verify` process with the JWKS on disk (0 requests; checked)
#   inproc   one process, keys in memory, validated-token cache off (bench/remote)
#   baseline a fresh process that does nothing (`ccauth --version`): the exec floor
# Usage: bench/remote.sh [N]   (fresh processes per figure, default 200); run from the build dir
# or with top_builddir set.  Needs node and openssl (as make check does).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
srcdir=$top_srcdir/tests
N=${1:-200}
CCAUTH=$top_builddir/tools/ccauth
INPROC=$top_builddir/bench/remote
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
bail_skip_all() { echo "bench/remote.sh: $*" >&2; exit 77; }
[ -x "$CCAUTH" ] && [ -x "$INPROC" ] || bail_skip_all "build ccauth and bench/remote first"
as_require
as_init
as_setup_ca "$AS_DIR/ca" || bail_skip_all "openssl could not make the test CA"
F=$(as_free_port)
FI="https://127.0.0.1:$F"
fault_start "$F" || bail_skip_all "fault server did not start"
W=$AS_DIR/w
mkdir -p "$W"
umask 077
printf '[global]\nca_path = %s\ncache_dir = %s\n\n[issuer f]\nissuer = %s\nallowed_client_ids = svc\n' "$AS_DIR/ca/capath" "$W/cache" "$FI" >"$W/b.conf"
curl -sf --cacert "$AS_DIR/ca/ca.crt" -X POST -H 'Content-Type: application/json' \
	--data "{\"iss\":\"$FI\",\"sub\":\"svc\",\"client_id\":\"svc\",\"exp\":$(($(date +%s) + 3600))}" "$FI/sign" >"$W/token"
requests() { curl -sf --cacert "$AS_DIR/ca/ca.crt" "$FI/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log((j["/jwks"]||0)+(j["/.well-known/oauth-authorization-server"]||0))})'; }
ms() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.3f", (b - a) * 1000 / n }'; }
t() { date +%s.%N; }

# cold: each run with an empty cache
a=$(t)
i=0
while [ $i -lt 20 ]; do
	rm -rf "$W/cache"
	"$CCAUTH" -c "$W/b.conf" verify - <"$W/token" >/dev/null || bail_skip_all "cold verify failed"
	i=$((i + 1))
done
cold=$(ms "$a" "$(t)" 20)

r0=$(requests)
a=$(t)
i=0
while [ $i -lt "$N" ]; do
	"$CCAUTH" -c "$W/b.conf" verify - <"$W/token" >/dev/null || bail_skip_all "warm verify failed"
	i=$((i + 1))
done
warm=$(ms "$a" "$(t)" "$N")
r1=$(requests)

a=$(t)
i=0
while [ $i -lt "$N" ]; do
	"$CCAUTH" --version >/dev/null
	i=$((i + 1))
done
base=$(ms "$a" "$(t)" "$N")

set -- $("$INPROC" "$W/b.conf" "$W/token" 1)
first=${1#first_us=}
inproc=${2#inproc_us=}

echo "JWT (ES256) of a remote issuer, keys via discovery + jwks_uri, $N fresh processes per figure:"
echo "  fresh process, cold (discovery + JWKS over HTTPS): $cold ms"
echo "  fresh process, warm disk JWKS:                     $warm ms   (requests during the warm runs: $((r1 - r0)))"
echo "  fresh process doing nothing (ccauth --version):   $base ms"
echo "  in-process, first validation (JWKS from disk):    $(awk -v u="$first" 'BEGIN { printf "%.3f", u / 1000 }') ms"
echo "  in-process, keys in memory (no result cache):     $(awk -v u="$inproc" 'BEGIN { printf "%.3f", u / 1000 }') ms"
awk -v w="$warm" -v u="$inproc" -v b="$base" 'BEGIN { printf "  warm fresh process / in-process: %.0fx; above the exec floor: %.3f ms\n", w * 1000 / u, w - b }'
