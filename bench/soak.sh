#!/bin/sh
# Soak (issue #12 item 10; by hand, never in make check; root; from the build directory):
#   ../bench/soak.sh [SECONDS [PAM_N]]        defaults 600 and 10000
# 1. slapd with the SASL plugin under 64 concurrent binders for SECONDS: 48 processes bind with a
#    new RS256 token per bind (unique jti: every bind verifies a signature and adds an entry to the
#    validated-token cache, so the cache's bound is what keeps memory flat) and 16 with one held
#    token (cache hits), each over a reused connection, in rounds of 200 binds.  slapd's RSS is
#    sampled every 10 s; the lines at start, 1 min and the end are printed with the binds done.
# 2. PAM_N authentications (plus one refusal per 10) through libpam under valgrind
#    (tests/pam/pam_driver --loop): RSS of the process at start, 1 min and the end, and the leak
#    summary.
# Everything runs under nice; the figures go to stdout.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
top_builddir=${top_builddir:-$(pwd)}
secs=${1:-600}
pam_n=${2:-10000}
bin="$top_builddir/bench/ldap_bind"
plugdir="$top_builddir/sasl/.libs"
driver="$top_builddir/tests/pam/pam_driver"
for f in "$bin" "$plugdir/libccauth.so" "$driver"; do
	[ -e "$f" ] || { echo "soak.sh: $f not built (make, and make -C tests pam/pam_driver)" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "soak.sh: needs root (slapd in a private mount namespace)" >&2; exit 2; }
command -v valgrind >/dev/null 2>&1 || { echo "soak.sh: valgrind missing" >&2; exit 2; }

. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/jose.sh"
. "$top_srcdir/tests/lib/as.sh"
. "$top_srcdir/tests/lib/slapd.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/ccauth-soak.XXXXXX")
as_pids=""
workers=""
cleanup() {
	for p in $workers; do kill "$p" 2>/dev/null; done
	for p in $as_pids; do kill "$p" 2>/dev/null; done
	sleep 0.5
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
umask 077

ISS=https://as.soak.invalid
AUD=ldap://ldap.soak.invalid
jose_rsa_key "$W/key.pem"
jose_rsa_jwks "$W/key.pem" k1 >"$W/jwks.json"
printf '[global]\ncache_dir =\n[issuer soak]\nissuer = %s\njwks_file = %s\naudience = %s\nrequired_scope = ldap\n' \
	"$ISS" "$W/jwks.json" "$AUD" >"$W/ccauth.conf"
as_setup_ca "$W/ca" >/dev/null || exit 1
port=$((20000 + $$ % 20000))
export CCAUTH_CONF="$W/ccauth.conf"
export SLAPD_DEBUG=0 SLAPD_LOGLEVEL=0
mkdir -p "$W/slapd"
SASL_PATH=$plugdir slapd_start "$W/slapd" "$port" "$W/ca" "mech_list: OAUTHBEARER EXTERNAL
ccauth_config: $W/ccauth.conf" || exit 1
ldapi="ldapi://$(printf %s "$W/slapd/ldapi" | sed 's,/,%2F,g')"
printf 'dn: cn=config\nchangetype: modify\nreplace: olcSaslSecProps\nolcSaslSecProps: none\n' |
	ldapmodify -Q -Y EXTERNAL -H "$ldapi" >/dev/null || exit 1
spid=$(cat "$W/slapd/slapd.fg.pid")
renice -n 19 -p "$spid" >/dev/null
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
good=$(jose_rs256 "$W/key.pem" '{"alg":"RS256","typ":"at+jwt","kid":"k1"}' \
	"{\"iss\":\"$ISS\",\"sub\":\"svc-soak\",\"client_id\":\"svc-soak\",\"aud\":\"$AUD\",\"scope\":\"ldap\",\"iat\":$(date +%s),\"exp\":$(($(date +%s) + 7200))}")

echo "== slapd + plugin: 64 concurrent binders for $secs s"
end=$(($(date +%s) + secs))
i=0
while [ $i -lt 64 ]; do
	(
		while [ "$(date +%s)" -lt "$end" ]; do
			if [ $i -lt 48 ]; then
				out=$(SASL_PATH=$plugdir nice -n 19 "$bin" "ldap://127.0.0.1:$port" 200 reuse oauth-fresh "$W/key.pem" \
					"$ISS" "$AUD" "svc-soak" 2>&1)
			else
				out=$(SASL_PATH=$plugdir nice -n 19 "$bin" "ldap://127.0.0.1:$port" 200 reuse oauth "$good" 2>&1)
			fi
			case $out in
			*"binds 200"*) echo 200 >>"$W/binds.$i" ;;
			*) echo "worker $i: $out" >>"$W/errors" ;;
			esac
		done
	) &
	workers="$workers $!"
	i=$((i + 1))
done
t0=$(date +%s)
printf 'slapd RSS at start: %s kB\n' "$(rss "$spid")"
: >"$W/rss"
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 10
	el=$(($(date +%s) - t0))
	n=$(cat "$W"/binds.* 2>/dev/null | awk '{s += $1} END {print s + 0}')
	echo "$el $(rss "$spid") $n" >>"$W/rss"
done
wait $workers 2>/dev/null
workers=""
n=$(cat "$W"/binds.* 2>/dev/null | awk '{s += $1} END {print s + 0}')
awk 'NR == 1 || ($1 >= 60 && !m) {if ($1 >= 60) m = 1; printf "slapd RSS at %3d s: %s kB (%s binds so far)\n", $1, $2, $3}' "$W/rss"
tail -n 1 "$W/rss" | awk '{printf "slapd RSS at the end (%d s): %s kB\n", $1, $2}'
errs=0
[ -f "$W/errors" ] && errs=$(wc -l <"$W/errors")
echo "binds: $n, errors: $errs"
echo "RSS every 10 s (kB):"
awk '{printf "  %s", $2} END {print ""}' "$W/rss"
awk -v OFS=' ' '{r[NR] = $2} END {h = int(NR / 2) + 1; mn = r[h]; mx = r[h]; for (i = h; i <= NR; i++) {if (r[i] < mn) mn = r[i]; if (r[i] > mx) mx = r[i]}
	printf "second half of the run: RSS between %s and %s kB (growth %s kB)\n", mn, mx, r[NR] - r[h]}' "$W/rss"
[ -s "$W/errors" ] && head -5 "$W/errors"
slapd_alive "$W/slapd" && echo "slapd still answers" || echo "slapd DOES NOT ANSWER"
slapd_stop "$W/slapd"

echo "== $pam_n PAM authentications under valgrind"
vlog="$W/valgrind.log"
nice -n 19 valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--log-file="$vlog" "$driver" --loop "$pam_n" >"$W/pam.tap" 2>&1 &
vpid=$!
sleep 2
printf 'RSS at start: %s kB\n' "$(rss "$vpid")"
t=2
while kill -0 "$vpid" 2>/dev/null; do
	sleep 5
	t=$((t + 5))
	r=$(rss "$vpid")
	[ -n "$r" ] && echo "$t $r" >>"$W/pamrss"
done
wait "$vpid"
st=$?
awk '$1 >= 60 {printf "RSS at %d s: %s kB\n", $1, $2; exit}' "$W/pamrss"
tail -n 1 "$W/pamrss" | awk '{printf "RSS at the end (%d s): %s kB\n", $1, $2}'
grep -E "^ok|^not ok" "$W/pam.tap" | head -3
grep -E "definitely lost|indirectly lost|possibly lost|ERROR SUMMARY|All heap blocks were freed" "$vlog" | sed 's/^==[0-9]*== //'
echo "valgrind exit: $st"
