#!/bin/sh
# The six authorization-server profiles against tokens, key sets and metadata shaped like each
# vendor's (tests/fixtures/as/VENDOR, minted at test time by tests/tools/mint-as.mjs with fresh
# keys): every token's "expect" in tokens.json is either "user NAME" (ccauth verify accepts it and
# maps it to NAME) or "reject REASON" (exit 1 with exactly that reason).  Each rejected token is
# also run through 'verify --explain', which must refuse it too, with the same first failing
# check, and never print the token.
. "$srcdir/lib/tap.sh"

ccauth=$top_builddir/tools/ccauth
[ -x "$ccauth" ] || bail_skip_all "tools/ccauth not built"
command -v node >/dev/null 2>&1 || bail_skip_all "needs node"
command -v openssl >/dev/null 2>&1 || bail_skip_all "needs openssl"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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

for vdir in "$fix"/*/; do
	vendor=$(basename "$vdir")
	out=$tmp/$vendor
	mkdir -p "$out"
	# every directory holding an as.json is one authorization server (Duo has one per client)
	servers=$(cd "$vdir" && find . -name as.json | sed 's|/as.json$||' | sort)
	minted=1
	for s in $servers; do
		if ! node "$top_srcdir/tests/tools/mint-as.mjs" "$vdir/$s" "$out/$s" 2>"$tmp/mint.err"; then
			not_ok "$vendor: mint $s"
			diag "$(cat "$tmp/mint.err")"
			minted=0
		fi
	done
	[ "$minted" = 1 ] || continue
	for m in "$vdir"/*.map; do
		[ -f "$m" ] && cp "$m" "$out/" && chmod 600 "$out/$(basename "$m")"
	done
	sed "s|@OUT@|$out|g" "$vdir/ccauth.conf.in" >"$out/ccauth.conf"
	chmod 600 "$out/ccauth.conf"

	for s in $servers; do
		expectations "$vdir/$s/tokens.json" >"$tmp/expect"
		while IFS="$(printf '\t')" read -r name expect; do
			tok=$out/$s/$name.jwt
			what="$vendor${s#.}/$name"
			"$ccauth" -c "$out/ccauth.conf" verify <"$tok" >"$tmp/out" 2>"$tmp/err"
			rc=$?
			case $expect in
			"user "*) want=${expect#user } && verdict "$what: accepted as $want" \
				test "$rc" -eq 0 -a -n "$(grep "^{\"user\":\"$want\"," "$tmp/out")" ;;
			"reject "*) reason=${expect#reject } && verdict "$what: rejected: $reason" \
				test "$rc" -eq 1 -a -n "$(grep "^ccauth: rejected: $reason: " "$tmp/err")" ;;
			*) not_ok "$what: bad expectation '$expect'" ;;
			esac
			if [ -n "${AS_PROFILES_NO_EXPLAIN:-}" ]; then continue; fi
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

done_testing
