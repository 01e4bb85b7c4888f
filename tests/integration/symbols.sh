#!/bin/sh
# The PAM module and the SASL plugin export exactly their entry points, and load with RTLD_NOW.
. "$srcdir/lib/tap.sh"
pam="$top_builddir/pam/.libs/pam_ccauth.so"
sasl="$top_builddir/sasl/.libs/libccauth.so"

exports() { nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' '; }

got=$(exports "$pam")
if [ "$got" = "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_setcred " ]; then ok "pam_ccauth.so exports only pam_sm_*"
else not_ok "pam_ccauth.so exports: $got"; fi

got=$(exports "$sasl")
if [ "$got" = "sasl_client_plug_init sasl_server_plug_init " ]; then ok "libccauth.so exports only the plug_init pair"
else not_ok "libccauth.so exports: $got"; fi

for so in "$pam" "$sasl"; do
	if "$top_builddir/tests/dlopen_now" "$so"; then ok "dlopen RTLD_NOW $(basename "$so")"
	else not_ok "dlopen RTLD_NOW $(basename "$so")"; fi
done
done_testing
