#!/bin/sh
. "$srcdir/lib/tap.sh"
bail_skip_all "not written yet"
