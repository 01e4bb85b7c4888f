#!/bin/sh
# The six authorization-server profiles against tokens, key sets and metadata shaped like each
# vendor's (tests/fixtures/as/VENDOR, minted at test time by tests/tools/mint-as.mjs with fresh
# keys): every token's "expect" in tokens.json is either "user NAME" (ccauth verify accepts it and
# maps it to NAME) or "reject REASON" (exit 1 with exactly that reason).  Each rejected token is
# also run through 'verify --explain', which must refuse it too, with the same first failing
# check, and never print the token.  Then the same fixtures again with every https://HOST moved
# under a loopback HTTPS server that serves each vendor's metadata and key set
# (tests/tools/static-server.mjs): the keys now come by discovery and jwks_uri.
. "$srcdir/lib/tap.sh"
. "$srcdir/lib/as.sh"

ccauth=$top_builddir/tools/ccauth
[ -x "$ccauth" ] || bail_skip_all "tools/ccauth not built"
command -v node >/dev/null 2>&1 || bail_skip_all "needs node"
command -v openssl >/dev/null 2>&1 || bail_skip_all "needs openssl"

as_init
tmp=$AS_DIR
umask 077
fix=$srcdir/fixtures/as

# verdict DESC COMMAND...: ok when COMMAND succeeds, else not ok with the outputs
verdict() {
	_d=$1
	shift
	if "$@"; then ok "$_d (exit $rc)"; else not_ok "$_d (exit $rc)" && diag "$(cat "$tmp/out" "$tmp/err")"; fi
}

# expectations VENDOR_OUT TOKENS_JSON: "NAME<TAB>user X" / "NAME<TAB>reject R" lines
expectations() {
	node -e '
const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).tokens;
for (const [n, v] of Object.entries(t)) console.log(`${n}\t${v.expect}`);' "$1"
}

# fixtures MODE [BASE]: every token of every vendor (local: keys from jwks_file, with --explain;
# remote: keys by discovery from BASE)
fixtures() {
	mode=$1 base=${2:-}
	for vdir in "$fix"/*/; do
		vendor=$(basename "$vdir")
		out=$tmp/$mode/$vendor
		mkdir -p "$out"
		# every directory holding an as.json is one authorization server (Duo has one per client)
		servers=$(cd "$vdir" && find . -name as.json | sed 's|/as.json$||' | sort)
		minted=1
		for s in $servers; do
			[ -f "$out/$s/jwks.json" ] && continue # remote: minted before the server started
			if ! node "$top_srcdir/tests/tools/mint-as.mjs" "$vdir/$s" "$out/$s" $base 2>"$tmp/mint.err"; then
				not_ok "$vendor: mint $s"
				diag "$(cat "$tmp/mint.err")"
				minted=0
			fi
		done
		[ "$minted" = 1 ] || continue
		for m in "$vdir"/*.map; do
			[ -f "$m" ] && cp "$m" "$out/" && chmod 600 "$out/$(basename "$m")"
		done
		if [ -z "$base" ]; then
			sed "s|@OUT@|$out|g" "$vdir/ccauth.conf.in" >"$out/ccauth.conf"
		else
			# keys by discovery from the rebased issuers, trusting the test CA
			sed -e "s|@OUT@|$out|g" -e '/^jwks_file = /d' -e "s|https://\([A-Za-z0-9.-]*\)|$base/\1|g" \
				-e "s|^\[global\]\$|[global]\nca_file = $AS_DIR/ca/ca.crt|" "$vdir/ccauth.conf.in" >"$out/ccauth.conf"
		fi
		chmod 600 "$out/ccauth.conf"

		for s in $servers; do
			expectations "$vdir/$s/tokens.json" >"$tmp/expect"
			while IFS="$(printf '\t')" read -r name expect; do
				tok=$out/$s/$name.jwt
				what="$mode: $vendor${s#.}/$name"
				"$ccauth" -c "$out/ccauth.conf" verify <"$tok" >"$tmp/out" 2>"$tmp/err"
				rc=$?
				case $expect in
				"user "*) want=${expect#user } && verdict "$what: accepted as $want" \
					test "$rc" -eq 0 -a -n "$(grep "^{\"user\":\"$want\"," "$tmp/out")" ;;
				"reject "*) reason=${expect#reject } && verdict "$what: rejected: $reason" \
					test "$rc" -eq 1 -a -n "$(grep "^ccauth: rejected: $reason: " "$tmp/err")" ;;
				*) not_ok "$what: bad expectation '$expect'" ;;
				esac
				[ "$mode" = local ] || continue
				# --explain: same verdict, same first failing check, token never printed
				"$ccauth" -c "$out/ccauth.conf" verify --explain <"$tok" >"$tmp/xout" 2>"$tmp/xerr"
				xrc=$?
				payload=$(cut -d. -f2 <"$tok")
				sig=$(cut -d. -f3 <"$tok")
				if grep -qF -e "$payload" -e "$sig" "$tmp/xout" "$tmp/xerr"; then
					not_ok "$what: --explain printed the token"
				fi
				case $expect in
				"user "*)
					if [ "$xrc" -eq 0 ] && ! grep -q '✗' "$tmp/xout"; then
						ok "$what: --explain accepts, no ✗"
					else
						not_ok "$what: --explain accepts (exit $xrc)"
						diag "$(cat "$tmp/xout" "$tmp/xerr")"
					fi
					;;
				*)
					first=$(grep -m1 '✗' "$tmp/xout" | sed -n 's/.*✗ \([a-z_]*\)$/\1/p')
					if [ "$xrc" -eq 1 ] && [ "$first" = "$reason" ] &&
						grep -q "^ccauth: rejected: $reason: " "$tmp/xerr"; then
						ok "$what: --explain refuses, first ✗ is $reason"
					else
						not_ok "$what: --explain refuses with first ✗ $reason (exit $xrc, first '$first')"
						diag "$(cat "$tmp/xout" "$tmp/xerr")"
					fi
					;;
				esac
			done <"$tmp/expect"
		done
	done
}

fixtures local
as_setup_ca "$AS_DIR/ca" || bail_skip_all "cannot make the test CA"
port=$(as_free_port)
base=https://127.0.0.1:$port
# mint the remote fixtures first: the server reads their routes.json at start
mkdir -p "$tmp/remote"
for vdir in "$fix"/*/; do
	for s in $(cd "$vdir" && find . -name as.json | sed 's|/as.json$||'); do
		node "$top_srcdir/tests/tools/mint-as.mjs" "$vdir/$s" "$tmp/remote/$(basename "$vdir")/$s" "$base" ||
			not_ok "remote: mint $(basename "$vdir")/$s"
	done
done
STATIC_DIR=$tmp/remote STATIC_CA=$AS_DIR/ca STATIC_PORT=$port node "$top_srcdir/tests/tools/static-server.mjs" \
	>"$tmp/static.log" 2>&1 &
as_pids="$as_pids $!"
if as_wait_https "$base/ready"; then
	fixtures remote "$base"
	check "remote: metadata fetched by discovery for every vendor" \
		[ "$(grep -c '/.well-known/openid-configuration 200$' "$tmp/static.log")" -ge 7 ]
	check "remote: key sets fetched from jwks_uri" [ "$(grep -c 'GET .*/\(keys\|jwks\|jwks.json\|certs\) 200$' "$tmp/static.log")" -ge 7 ]
else
	not_ok "the static server did not start"
	diag "$(cat "$tmp/static.log")"
fi

done_testing
