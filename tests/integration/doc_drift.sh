#!/bin/sh
# The man pages cannot drift from the code: every key the config parser accepts is described in
# its section of ccauth.conf(5); every reason word of the core, every command and every long
# option of the ccauth command is in ccauth(1).
#
# Read from the sources, not from a list kept here:
# - keys: the tables "static const struct key <section>_keys[] = { {"name", V_...}, ... };" in
#   common/config*.c; a key counts as documented when its section's ".SH "[section ..." of
#   ccauth.conf.5 has a line ".B key", ".BI key ..." or ".BR key ...";
# - reasons: the "[CCAUTH_...] = "word"" entries in common/*.c; documented by a ".B word" line;
# - commands: strcmp(cmd, "word") in tools/ccauth.c; documented by a ".SS "word" heading;
# - long options: {"name", no_argument|required_argument, ...} in tools/*.c; documented as
#   "\-\-name" anywhere in ccauth.1.
# Set DOC_DRIFT_CONF / DOC_DRIFT_MAN to check other copies of the pages (the test's own test).
. "$srcdir/lib/tap.sh"

conf_man=${DOC_DRIFT_CONF:-$top_srcdir/tools/ccauth.conf.5}
cmd_man=${DOC_DRIFT_MAN:-$top_srcdir/tools/ccauth.1}
for f in "$conf_man" "$cmd_man"; do
	[ -f "$f" ] || { echo "not ok 1 - $f missing"; echo "1..1"; exit 1; }
done

# section key: one line per key of the parser's tables
keys=$(awk '
	match($0, /static const struct key [a-z]+_keys\[\]/) {
		sec = substr($0, RSTART + 24, RLENGTH - 24 - 7); next
	}
	sec != "" && /^[ \t]*};/ { sec = ""; next }
	sec != "" && match($0, /\{"[a-z0-9_]+", V_/) {
		print sec, substr($0, RSTART + 2, RLENGTH - 7)
	}' "$top_srcdir"/common/config*.c)
# a section: the keys described under its heading in ccauth.conf.5
documented_keys() {
	awk -v want="$1" '
		/^\.SH/ { insec = ($0 ~ ("^\\.SH \"?\\[" want "[] ]")); next }
		insec && /^\.B[IR]? / { k = $2; gsub(/"/, "", k); print k }' "$conf_man"
}

nkeys=$(printf '%s\n' "$keys" | grep -c . || :)
if [ "$nkeys" -ge 20 ]; then
	ok "found $nkeys keys in the parser's tables"
else
	not_ok "found only $nkeys keys in common/config*.c: has the table format changed? (update this test)"
fi
for sec in $(printf '%s\n' "$keys" | awk '{print $1}' | sort -u); do
	doc=$(documented_keys "$sec")
	missing=""
	for k in $(printf '%s\n' "$keys" | awk -v s="$sec" '$1 == s {print $2}'); do
		printf '%s\n' "$doc" | grep -qx -- "$k" || missing="$missing $k"
	done
	if [ -z "$missing" ]; then
		ok "ccauth.conf(5) [$sec] describes every key of ${sec}_keys"
	else
		not_ok "ccauth.conf(5) [$sec] lacks:$missing"
	fi
done

reasons=$(sed -n 's/.*\[CCAUTH_[A-Z_]*\] *= *"\([a-z_]*\)".*/\1/p' "$top_srcdir"/common/*.c | sort -u)
nreasons=$(printf '%s\n' "$reasons" | grep -c . || :)
if [ "$nreasons" -ge 10 ]; then
	ok "found $nreasons reason words in common/"
else
	not_ok "found only $nreasons reason words in common/*.c: has the table format changed? (update this test)"
fi
missing=""
for r in $reasons; do
	grep -qx "\.B $r" "$cmd_man" || missing="$missing $r"
done
if [ -z "$missing" ]; then ok "ccauth(1) explains every reason word"; else not_ok "ccauth(1) lacks reasons:$missing"; fi

cmds=$(sed -n 's/.*strcmp(cmd, "\([a-z]*\)").*/\1/p' "$top_srcdir/tools/ccauth.c")
missing=""
for c in $cmds; do
	grep -q "^\.SS \"$c\b" "$cmd_man" || missing="$missing $c"
done
if [ -n "$cmds" ] && [ -z "$missing" ]; then
	ok "ccauth(1) has a section for each command:" $cmds
else
	not_ok "ccauth(1) lacks commands:${missing:- (none found in tools/ccauth.c)}"
fi

opts=$(sed -n 's/.*{"\([a-z-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' "$top_srcdir"/tools/*.c | sort -u)
missing=""
for o in $opts; do
	grep -qF -- "\\-\\-$(printf %s "$o" | sed 's/-/\\-/g')" "$cmd_man" || missing="$missing --$o"
done
if [ -n "$opts" ] && [ -z "$missing" ]; then
	ok "ccauth(1) names every long option: $(echo $opts)"
else
	not_ok "ccauth(1) lacks options:${missing:- (none found in tools/*.c)}"
fi

# The pages must also be well-formed for man(1): groff warnings are drift too.
if command -v groff >/dev/null 2>&1; then
	for f in "$conf_man" "$cmd_man" "$top_srcdir/pam/pam_ccauth.8" "$top_srcdir/sasl/ccauth_sasl.8"; do
		w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
		if [ -z "$w" ]; then ok "groff: $(basename "$f") without warnings"; else not_ok "groff: $(basename "$f"): $w"; fi
	done
else
	skip "groff not installed"
fi
done_testing
