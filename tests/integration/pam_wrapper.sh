#!/bin/sh
# pam_ccauth.so as real programs load it, without touching /etc/pam.d: pamtester under pam_wrapper
# (LD_PRELOAD, service files in a temp dir), and saslauthd -a pam + testsaslauthd (the path that
# lets Postfix and slapd use ccauth without SASL OAUTHBEARER).  Also measures how long a token
# pamtester's conversation (misc_conv, as in su and login) and saslauthd pass on.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/jose.sh"
. "$top_srcdir/tests/lib/as.sh"

mod="$top_builddir/pam/.libs/pam_ccauth.so"
[ -f "$mod" ] || bail_skip_all "pam_ccauth.so not built"
command -v pamtester >/dev/null 2>&1 || bail_skip_all "pamtester not installed"
command -v openssl >/dev/null 2>&1 && command -v xxd >/dev/null 2>&1 || bail_skip_all "openssl/xxd missing"
pamw=""
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
	[ -f "$d/libpam_wrapper.so" ] && pamw="$d/libpam_wrapper.so" && break
done
[ -n "$pamw" ] || bail_skip_all "libpam_wrapper.so not installed (libpam-wrapper)"

D=$(mktemp -d "${TMPDIR:-/tmp}/ccauth-pamw.XXXXXX")
spid=""
cleanup() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		n=0
		while kill -0 "$spid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
		kill -9 "$spid" 2>/dev/null
	fi
	# pam_wrapper copies the service dir to /tmp/pam.X and removes it at a clean exit; saslauthd's
	# workers end by signal, so remove the copies of our services whose process is gone
	for w in /tmp/pam.?; do
		[ -f "$w/pid" ] && [ -f "$w/tok" ] && cmp -s "$w/tok" "$D/services/tok" || continue
		kill -0 "$(cat "$w/pid")" 2>/dev/null || rm -rf "$w"
	done
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

ISS=https://issuer.test/w
mkdir -p "$D/services"
jose_rsa_key "$D/k.pem"
jose_rsa_jwks "$D/k.pem" k1 >"$D/jwks.json"
printf '[global]\ncache_dir =\n[issuer w]\nissuer = %s\njwks_file = %s\naudience = urn:test:pam\n' \
	"$ISS" "$D/jwks.json" >"$D/ccauth.conf"
chmod 600 "$D/ccauth.conf"
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$D/services/other"
printf 'auth required %s config=%s debug\naccount required %s config=%s\n' "$mod" "$D/ccauth.conf" "$mod" \
	"$D/ccauth.conf" >"$D/services/tok"
printf 'account required %s config=%s\n' "$mod" "$D/ccauth.conf" >"$D/services/acct-only"

now=$(date +%s)
HDR='{"alg":"RS256","typ":"at+jwt","kid":"k1"}'
# mint [CLIENT_ID [EXP [PAD]]]
mint() {
	jose_rs256 "$D/k.pem" "$HDR" \
		"{\"iss\":\"$ISS\",\"aud\":\"urn:test:pam\",\"client_id\":\"${1:-svc-a}\",\"exp\":${2:-$((now + 600))},\"pad\":\"${3:-}\"}"
}
# mint_len N: a valid token of exactly N bytes (or the next longer one base64url allows)
mint_len() {
	_base=$(mint svc-a $((now + 600)) "")
	_pad=$((($1 - ${#_base}) * 3 / 4 - 2))
	[ $_pad -lt 0 ] && _pad=0
	while :; do
		_t=$(mint svc-a $((now + 600)) "$(head -c "$_pad" /dev/zero | tr '\0' p)")
		[ ${#_t} -ge "$1" ] && break
		_pad=$((_pad + 1))
	done
	printf %s "$_t"
}

pamt() { # pamt SERVICE USER PASSWORD OPS...: pamtester under pam_wrapper; log in $D/last.log
	_svc=$1 _user=$2 _pw=$3
	shift 3
	printf '%s\n' "$_pw" | env LD_PRELOAD="$pamw" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$D/services" \
		PAM_WRAPPER_DEBUGLEVEL=2 pamtester -v "$_svc" "$_user" "$@" >"$D/last.log" 2>&1
}
logged() { grep -q -- "$1" "$D/last.log"; }

good=$(mint)
pamt tok svc-a "$good" authenticate acct_mgmt
check "pamtester: valid token authenticates and passes account" [ $? -eq 0 ]
check "  decision logged: granted, reason=ok, issuer=w, client_id=svc-a" \
	logged "auth granted: result=PAM_SUCCESS reason=ok user=svc-a fpr=[0-9a-f]\{16\} issuer=w client_id=svc-a"
sig=${good##*.}
if grep -q -- "$sig" "$D/last.log"; then not_ok "  the token is not logged"; else ok "  the token is not logged"; fi

pamt tok svc-a "$(mint svc-a $((now - 300)))" authenticate
st=$?
check "pamtester: expired token refused" [ $st -ne 0 ]
check "  reason=expired, PAM_AUTH_ERR" logged "auth denied: result=PAM_AUTH_ERR reason=expired"
pamt tok svc-b "$good" authenticate
st=$?
check "pamtester: wrong user refused" [ $st -ne 0 ]
check "  PAM_USER_UNKNOWN, reason=identity" logged "result=PAM_USER_UNKNOWN reason=identity"
pamt tok svc-a "garbage" authenticate
st=$?
check "pamtester: garbage refused (reason=malformed)" [ $st -ne 0 ] && logged "reason=malformed"
pamt acct-only svc-a "" acct_mgmt
st=$?
check "pamtester: account without auth refused (PAM_PERM_DENIED)" [ $st -ne 0 ] && logged "result=PAM_PERM_DENIED"
pamt tok svc-a "garbage" authenticate
n=$(grep -c "auth \(granted\|denied\): result=" "$D/last.log")
check "one decision line per authentication ($n)" [ "$n" -eq 1 ]
# a user name with a newline from the application cannot forge a second log line
pamt tok "$(printf 'svc-a\nauth granted: result=PAM_SUCCESS')" "$good" authenticate
st=$?
check "pamtester: user name with a newline refused" [ $st -ne 0 ]
check "  logged as user=(invalid), PAM_USER_UNKNOWN" logged "result=PAM_USER_UNKNOWN reason=identity user=(invalid)"
n=$(grep -c "SYSLOG.*granted" "$D/last.log")
check "  no forged 'granted' line from the module ($n)" [ "$n" -eq 0 ]

# Unknown module arguments are named by at most 16 printable characters, never by their value, and
# a bare word that looks like a secret is not shown at all (issue #12 item 5).
SECRETISH=Zx8q2LmN4vB7tR1wQ9eYpK3sUa
printf 'auth required %s config=%s frobnicate=hunter2-value %s use_first_password_please_really\n' "$mod" \
	"$D/ccauth.conf" "$SECRETISH" >"$D/services/unk"
pamt unk svc-a "$good" authenticate
check "unknown arguments are ignored: the valid token authenticates" [ $? -eq 0 ]
check "  name=value: named, value not shown" logged 'unknown option "frobnicate"=(value not shown); ignored'
check "  a long bare word: its first 16 characters" logged 'unknown option "use_first_passwo"\.\.\.; ignored'
check "  a secret-looking bare word: only its length" logged "unknown option of ${#SECRETISH} bytes, not shown"
leak=0
for w in hunter2-value "$SECRETISH" use_first_password_please_really; do
	grep -q -- "$w" "$D/last.log" && leak=1
done
check "  none of the three is in the log" [ $leak -eq 0 ]

# What misc_conv (pamtester, su, login) passes on: the module logs the length it got (debug).
for len in 511 512 1024 4095 4096 16384; do
	t=$(mint_len $len)
	pamt tok svc-a "$t" authenticate
	st=$?
	got=$(sed -n 's/.*password of \([0-9]*\) bytes.*/\1/p' "$D/last.log" | head -1)
	diag "pamtester (misc_conv): token of ${#t} bytes -> module got ${got:-?} bytes, exit $st"
	case $len in
	4095) check "misc_conv passes a ${#t}-byte token whole" [ $st -eq 0 ] && [ "$got" = "${#t}" ] ;;
	4096) check "misc_conv cuts a ${#t}-byte token to 4095; the module logs the truncation hint" \
		[ $st -ne 0 ] && [ "$got" = 4095 ] && logged "exactly 4095 bytes long and was rejected" ;;
	esac
done

# The test AS for mode=secret (client_credentials grant), when node and its packages are there.
as_iss=""
if command -v node >/dev/null 2>&1 && [ -d "$as_tools/node_modules/oidc-provider" ]; then
	as_init
	trap 'cleanup; as_cleanup' EXIT
	port=$(as_free_port)
	if as_start pamw "$port" >"$D/as.out" 2>&1 &&
		curl -sf --cacert "$AS_DIR/ca/ca.crt" -o "$D/as-jwks.json" "https://127.0.0.1:$port/jwks"; then
		as_iss="https://127.0.0.1:$port"
		printf '[global]\nca_file = %s\ncache_dir =\n[issuer as]\nissuer = %s\njwks_file = %s\naudience = urn:test:rs256\nrequired_scope = ldap.read\n' \
			"$AS_DIR/ca/ca.crt" "$as_iss" "$D/as-jwks.json" >"$D/sec.conf"
		chmod 600 "$D/sec.conf"
		printf 'auth required %s config=%s mode=secret\naccount required %s\n' "$mod" "$D/sec.conf" "$mod" \
			>"$D/services/sec"
	fi
fi

# Success lines carry no error detail (issue #12 item 5): a first failed step that a retry fixed
# left its text in the error and the success line printed it.
if [ -n "$as_iss" ]; then
	# mode=secret against a path issuer without the RFC 8414 form: discovery gets a 404, then the
	# OpenID form answers
	p2=$(as_free_port)
	if AS_PATH=/t AS_RFC8414=0 as_start pamw2 "$p2" >"$D/as2.out" 2>&1; then
		printf '[global]\nca_file = %s\ncache_dir =\n[issuer as]\nissuer = %s\naudience = urn:test:rs256\nrequired_scope = ldap.read\n' \
			"$AS_DIR/ca/ca.crt" "https://127.0.0.1:$p2/t" >"$D/sec404.conf"
		chmod 600 "$D/sec404.conf"
		printf 'auth required %s config=%s mode=secret\n' "$mod" "$D/sec404.conf" >"$D/services/sec404"
		pamt sec404 service-a secret-a authenticate
		check "mode=secret after a discovery 404: granted" [ $? -eq 0 ] && logged "auth(secret) granted: result=PAM_SUCCESS"
		check "  the success line carries no error text (no 'HTTP 404')" \
			logged "auth(secret) granted: result=PAM_SUCCESS reason=ok user=service-a fpr=[0-9a-f]\{16\} issuer=as client_id=service-a\$"
		grep "granted" "$D/last.log" | sed 's/^/# /'
	else
		not_ok "second AS (path issuer, no RFC 8414 form) did not start"
	fi
	# an unknown kid, then the refetched JWKS has it: the fault server rotates its key
	fp=$(as_free_port)
	if fault_start "$fp"; then
		FI="https://127.0.0.1:$fp"
		mkdir -p "$D/kidcache"
		printf '[global]\nca_file = %s\ncache_dir = %s\n[issuer f]\nissuer = %s\nallowed_client_ids = svc-f\n' "$AS_DIR/ca/ca.crt" "$D/kidcache" "$FI" \
			>"$D/kid.conf"
		chmod 600 "$D/kid.conf"
		printf 'auth required %s config=%s\n' "$mod" "$D/kid.conf" >"$D/services/kid"
		fsign() {
			curl -sf --cacert "$AS_DIR/ca/ca.crt" -H 'Content-Type: application/json' -X POST \
				--data "{\"iss\":\"$FI\",\"sub\":\"svc-f\",\"client_id\":\"svc-f\",\"exp\":$(($(date +%s) + 600))}" "$FI/sign"
		}
		pamt kid svc-f "$(fsign)" authenticate
		check "remote keys: a token with kid k1 (keys now in the disk cache)" [ $? -eq 0 ]
		curl -sf --cacert "$AS_DIR/ca/ca.crt" -X POST "$FI/rotate" >/dev/null
		pamt kid svc-f "$(fsign)" authenticate
		check "after a rotation: kid k2 unknown in the cached keys, refetched, granted" [ $? -eq 0 ]
		check "  the success line carries no error text (no 'no key with this kid')" \
			logged "auth granted: result=PAM_SUCCESS reason=ok user=svc-f fpr=[0-9a-f]\{16\} issuer=f client_id=svc-f\$"
		grep "granted" "$D/last.log" | sed 's/^/# /'
	else
		not_ok "fault server did not start"
	fi
else
	skip "success lines after a retried step" "test AS not available (node packages)"
fi

# saslauthd -a pam: it signals its whole process group on exit, so it gets its own session.
if command -v saslauthd >/dev/null 2>&1 && command -v testsaslauthd >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1; then
	mkdir -p "$D/saslauthd"
	setsid env LD_PRELOAD="$pamw" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$D/services" \
		saslauthd -a pam -m "$D/saslauthd" -n 0 -d >"$D/saslauthd.log" 2>&1 </dev/null &
	spid=$!
	n=0
	while [ ! -S "$D/saslauthd/mux" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	if [ -S "$D/saslauthd/mux" ]; then
		# saslauthd refuses passwords over 256 bytes (MAX_REQ_LEN) before PAM sees them: an RS256
		# JWT does not fit; mode=secret (client_id + secret) does.
		out=$(testsaslauthd -f "$D/saslauthd/mux" -s tok -u svc-a -p "$good" 2>&1)
		check "saslauthd -a pam: a ${#good}-byte token -> NO (saslauthd's 256-byte limit)" \
			[ "$out" = '0: NO "authentication failed"' ]
		check "  saslauthd logged password exceeded MAX_REQ_LEN: 256" grep -aq "exceeded MAX_REQ_LEN: 256" "$D/saslauthd.log"
		out=$(testsaslauthd -f "$D/saslauthd/mux" -s tok -u svc-a -p "garbage" 2>&1)
		check "saslauthd -a pam: garbage -> NO" [ "$out" = '0: NO "authentication failed"' ]
		if [ -n "$as_iss" ]; then
			out=$(testsaslauthd -f "$D/saslauthd/mux" -s sec -u service-a -p secret-a 2>&1)
			check "saslauthd -a pam, mode=secret: service-a/secret-a -> OK" [ "$out" = '0: OK "Success."' ]
			out=$(testsaslauthd -f "$D/saslauthd/mux" -s sec -u service-a -p wrong 2>&1)
			check "saslauthd -a pam, mode=secret: bad secret -> NO" [ "$out" = '0: NO "authentication failed"' ]
			out=$(printf 'secret-a\n' | env LD_PRELOAD="$pamw" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$D/services" \
				pamtester sec service-a authenticate 2>&1)
			check "pamtester, mode=secret: service-a/secret-a" [ $? -eq 0 ]
		else
			skip "saslauthd -a pam, mode=secret" "test AS not available (node packages)"
		fi
	else
		not_ok "saslauthd did not start"
		sed 's/^/# /' "$D/saslauthd.log"
	fi
else
	skip "saslauthd -a pam" "saslauthd/testsaslauthd not installed (sasl2-bin)"
fi
done_testing
