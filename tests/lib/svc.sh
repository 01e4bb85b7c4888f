# Helpers for scripts that run a daemon which drops privileges (imapd as cyrus, Postfix as postfix)
# and loads ccauth from the build tree (sourced, POSIX sh; after as.sh and as_init).
#
#   svc_share_ca               let every user reach $AS_DIR/ca/ca.crt (the test CA the daemon's
#                              ccauth.conf names); nothing else of $AS_DIR becomes listable
#   svc_plugin_copy DIR        copy the built SASL plugin to DIR/plugins, readable by every user
#                              (the build tree may sit in a private home); prints DIR/plugins
#   svc_server_conf FILE ISS SCOPE
#                              a ccauth.conf (0644) trusting the test AS ISS for tokens with the
#                              audience urn:test:rs256 and SCOPE, memory cache only
#   svc_stop_pid PID           SIGTERM, then wait up to 5 s for PID to go

svc_share_ca() {
	chmod 711 "$AS_DIR" "$AS_DIR/ca"
	chmod 644 "$AS_DIR/ca/ca.crt"
}

svc_plugin_copy() {
	mkdir -p "$1/plugins"
	cp "$top_builddir/sasl/.libs/libccauth.so" "$1/plugins/" || return 1
	chmod 755 "$1" "$1/plugins"
	chmod 644 "$1/plugins/libccauth.so"
	printf '%s\n' "$1/plugins"
}

svc_server_conf() {
	printf '[global]\nca_file = %s\ncache_dir =\n\n[issuer test]\nissuer = %s\naudience = urn:test:rs256\nrequired_scope = %s\n' \
		"$AS_DIR/ca/ca.crt" "$2" "$3" >"$1"
	chmod 644 "$1"
}

svc_stop_pid() {
	kill "$1" 2>/dev/null || return 0
	_n=0
	while kill -0 "$1" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}
