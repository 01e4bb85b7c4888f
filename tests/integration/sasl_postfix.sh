#!/bin/sh
. "$srcdir/lib/tap.sh"
bail_skip_all todo
