#!/bin/sh
# The include structure of common/, pam/, sasl/ and tools/ follows the layers of doc/architecture.md
# (read from there: the order is written once).  Reads every #include "..." line and fails on:
# an include cycle between files (a .c and its .h are one node); an include from a lower layer to a
# higher one; a common/ file in no layer, or a layer naming a file that does not exist; an include
# from common/ into pam/, sasl/ or tools/; an include between two front ends (pam/, sasl/, tools/);
# an include that resolves to no file; a .c file whose first include is not autoconf.h (the
# prelude, generated; it may also be included anywhere else).
# Resolution follows the build's include path: the including file's directory, then common/.
. "${srcdir:-$(dirname "$0")/..}/lib/tap.sh"
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
doc="$top/doc/architecture.md"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The layer table: the lines between the two markers that start with a level number.
#   LEVEL NAME member member ...   (a common/ stem, a directory "pam/" for a front end, or autoconf.h)
sed -n '/<!-- layers: begin -->/,/<!-- layers: end -->/p' "$doc" |
	awk '$1 ~ /^[0-9]+$/ { for (i = 3; i <= NF; i++) if ($i !~ /\.h$/) print $i, $1, $2 }' >"$tmp/layers"
if [ -s "$tmp/layers" ]; then ok "layer table read from doc/architecture.md ($(wc -l <"$tmp/layers") members)"
else not_ok "no layer table between the markers in $doc"; done_testing; exit; fi

# Every include "x" as: FROM-NODE TO-NODE, nodes being dir/stem.
for d in common pam sasl tools; do
	for f in "$top/$d"/*.c "$top/$d"/*.h; do
		[ -e "$f" ] || continue
		from="$d/$(basename "$f" | sed 's/\.[ch]$//')"
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
			[ "$inc" = autoconf.h ] && continue
			to=
			for cand in "$d" common pam sasl tools; do
				if [ -e "$top/$cand/$inc" ]; then to="$cand/$(echo "$inc" | sed 's/\.[ch]$//')"; break; fi
			done
			echo "$from ${to:-?$inc} $d/$(basename "$f")"
		done
	done
done >"$tmp/edges"
ok "$(wc -l <"$tmp/edges") include lines read"

# The prelude: the first include of every .c file is autoconf.h (config.h no longer brings it).
bad=$(for d in common pam sasl tools; do for f in "$top/$d"/*.c; do
	[ -e "$f" ] || continue
	first=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^">]*\)[">].*/\1/p' "$f" | head -1)
	[ "$first" = autoconf.h ] || echo "$d/$(basename "$f") starts with ${first:-no include}, not autoconf.h"
done; done)
if [ -z "$bad" ]; then ok "every .c file includes autoconf.h first"
else not_ok "files without the prelude first"; echo "$bad" | sed 's/^/# /'; fi

# Unresolved includes
bad=$(awk '$2 ~ /^\?/ { print $3 " includes " substr($2, 2) }' "$tmp/edges")
if [ -z "$bad" ]; then ok "every include resolves to a file of the tree"
else not_ok "includes that resolve to no file"; echo "$bad" | sed 's/^/# /'; fi

# Every common/ file is in exactly one layer, and every listed stem exists.
bad=$(for f in "$top"/common/*.[ch]; do basename "$f" | sed 's/\.[ch]$//'; done | sort -u |
	awk -v L="$tmp/layers" 'BEGIN { while ((getline l < L) > 0) { split(l, a, " "); n[a[1]]++ } }
		{ seen[$1] = 1; if (n[$1] != 1) print "common/" $1 " is in " n[$1] + 0 " layers" }
		END { for (s in n) if (s !~ /\/$/ && !(s in seen)) print "the layer table names " s ", which is no file in common/" }')
if [ -z "$bad" ]; then ok "every common/ file sits in exactly one layer"
else not_ok "layer table and common/ disagree"; echo "$bad" | sed 's/^/# /'; fi

# Direction: common/ never includes a front end, front ends never include each other, and in
# common/ an include points to the same layer or a lower one.
bad=$(awk -v L="$tmp/layers" '
	BEGIN { while ((getline l < L) > 0) { split(l, a, " "); lv[a[1]] = a[2] + 0; nm[a[1]] = a[3] } }
	function dir(n) { return substr(n, 1, index(n, "/") - 1) }
	function stem(n) { return substr(n, index(n, "/") + 1) }
	function level(n) { return dir(n) == "common" ? lv[stem(n)] : lv[dir(n) "/"] }
	$2 ~ /^\?/ { next }
	{
		fd = dir($1); td = dir($2)
		if (fd == "common" && td != "common") { print $3 " (common/) includes the front end " $2; next }
		if (fd != "common" && td != "common" && fd != td) { print $3 " includes " $2 ": front ends do not include each other"; next }
		if ((stem($2) in lv || td != "common") && level($1) < level($2))
			print $3 " (layer " level($1) " " nm[fd == "common" ? stem($1) : fd "/"] ") includes " $2 " (layer " level($2) " " nm[td == "common" ? stem($2) : td "/"] "): up the stack"
	}' "$tmp/edges")
if [ -z "$bad" ]; then ok "every include points down or within its layer, none into or between front ends"
else not_ok "includes against the layer order"; echo "$bad" | sed 's/^/# /'; fi

# Cycles: tsort reports any loop among the file nodes.
awk '$2 !~ /^\?/ && $1 != $2 { print $2, $1 }' "$tmp/edges" | sort -u >"$tmp/graph"
if tsort "$tmp/graph" >/dev/null 2>"$tmp/loop"; then ok "no include cycle"
else not_ok "include cycle"; sed 's/^/# /' "$tmp/loop"; fi
done_testing
