#!/bin/sh
# The status x body table (issue #12): what a token endpoint or an introspection endpoint answers,
# through the fault server, and what `ccauth token`, `ccauth verify` and PAM mode=secret make of
# it.  400, 401 and 403 are refusals whatever the body (exit 1, reason denied, PAM_AUTH_ERR); 404
# names a wrong URL; 429, 5xx and nonsense from a 200 are "unavailable" (exit 3,
# PAM_AUTHINFO_UNAVAIL).
set -u
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"
as_require
CCAUTH="$top_builddir/tools/ccauth"
DRIVER="$top_builddir/tests/pam/pam_driver"
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
printf 'secret-a\n' >"$W/a.secret"

# conf FILE: [global] with the test CA, no disk cache; sections on stdin
conf() {
	{
		printf '[global]\nca_file = %s/ca.crt\ncache_dir =\ntimeout = 5\n\n' "$CA"
		cat
	} >"$1"
	chmod 600 "$1"
}

# row WHAT STATUS SHAPE WANT_RC WANT_REASON: ccauth token against /answer/STATUS/SHAPE
token_row() {
	conf "$W/t.conf" <<CONF
[client c]
token_endpoint = $FI/answer/$1/$2
client_id = service-a
client_secret_file = $W/a.secret
CONF
	out=$("$CCAUTH" -c "$W/t.conf" token c 2>"$W/t.err")
	rc=$?
	err=$(cat "$W/t.err")
	case "$rc:$err" in
	"$3:ccauth: $4:"*) ok "token endpoint HTTP $1 $2: exit $3 ($4)" ;;
	"0:") [ "$3" = 0 ] && [ -n "$out" ] && ok "token endpoint HTTP $1 $2: exit 0" || not_ok "token endpoint HTTP $1 $2: exit 0 without a token" ;;
	*) not_ok "token endpoint HTTP $1 $2: exit $rc, want $3 ($4)"; diag "$err" ;;
	esac
}

# introspection_row STATUS SHAPE WANT_RC WANT_REASON: ccauth verify of an opaque token
intro_row() {
	conf "$W/i.conf" <<CONF
[client rs]
issuer = $FI
client_id = rs
client_secret_file = $W/a.secret

[issuer f]
issuer = $FI
introspection_endpoint = $FI/answer/$1/$2
introspection_client = rs
allowed_client_ids = service-a
CONF
	out=$(printf 'opaque-token-0123456789abcdef\n' | "$CCAUTH" -c "$W/i.conf" verify - 2>"$W/i.err")
	rc=$?
	err=$(cat "$W/i.err")
	case "$rc:$err" in
	"$3:ccauth: $4:"* | "$3:ccauth: rejected: $4:"*) ok "introspection HTTP $1 $2: exit $3 ($4)" ;;
	*) not_ok "introspection HTTP $1 $2: exit $rc, want $3 ($4)"; diag "$err" ;;
	esac
}

pam_row() {
	if [ ! -x "$DRIVER" ]; then
		skip "PAM mode=secret HTTP $1 $2" "pam_driver not built"
		return
	fi
	got=$("$DRIVER" --secret-at "$FI" "$FI/answer/$1/$2" "$CA/ca.crt" 2>&1)
	case $got in
	*"1..0 # SKIP"*) skip "PAM mode=secret HTTP $1 $2" "libpam has no pam_start_confdir" ;;
	"$3") ok "PAM mode=secret HTTP $1 $2: $3" ;;
	*) not_ok "PAM mode=secret HTTP $1 $2: $got, want $3" ;;
	esac
}

SHAPES="empty html text json-error json-no-error json-array garbage"
for s in 400 401 403; do
	for b in $SHAPES; do
		token_row $s $b 1 denied
		intro_row $s $b 1 denied
		pam_row $s $b PAM_AUTH_ERR
	done
done
for s in 404 429 500 502 503; do
	for b in empty html json-error; do
		token_row $s $b 3 unavailable
		intro_row $s $b 3 unavailable
		pam_row $s $b PAM_AUTHINFO_UNAVAIL
	done
done
# nonsense from a 200
for b in empty html text json-error json-no-error json-array garbage; do
	token_row 200 $b 3 unavailable
	pam_row 200 $b PAM_AUTHINFO_UNAVAIL
done
for b in empty html text garbage json-array; do
	intro_row 200 $b 3 unavailable
done
token_row 200 token 0 ok
# expires_in as a JSON string of digits: accepted in an AS answer
token_row 200 token-exp-string 0 ok
intro_row 200 inactive 1 inactive
# an opaque token from the grant: PAM validates it (no introspection here: not a JWT)
pam_row 200 token PAM_AUTH_ERR

case $(cat "$W"/*.err 2>/dev/null) in
*secret-a*) not_ok "no secret in any output" ;;
*) ok "no secret in any output" ;;
esac
done_testing
