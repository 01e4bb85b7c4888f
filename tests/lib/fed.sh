# The federation test endpoint (tests/tools/fed-server.mjs) for integration scripts (sourced,
# POSIX sh, after tap.sh and as.sh; as_init first, so its EXIT trap stops the server).
#
#   fed_start PORT         start it on 127.0.0.1:PORT with the test CA; request log $AS_DIR/fed.log
#   fed_stop
#   fed_mint ISSUER JSON   print a JWT from the workload issuer k8s, spiffe or gha, e.g.
#                          fed_mint k8s '{"sub":"system:serviceaccount:apps:x","aud":"A","ttl":600}'
#   fed_count PATTERN      number of log lines matching the grep -E PATTERN
#
# FED is its base URL; the authorization server's issuer is $FED/as.

fed_start() {
	as_setup_ca "$AS_DIR/ca" || return 1
	FED="https://127.0.0.1:$1"
	FED_DIR="$AS_DIR/ca" FED_PORT=$1 FED_LOG="$AS_DIR/fed.log" NODE_EXTRA_CA_CERTS="$AS_DIR/ca/ca.crt" \
		NODE_NO_WARNINGS=1 node "$as_tools/fed-server.mjs" >"$AS_DIR/fed.out" 2>&1 &
	_pid=$!
	echo "$_pid" >"$AS_DIR/fed.pid"
	as_pids="$as_pids $_pid"
	: >>"$AS_DIR/fed.log"
	if ! as_wait_https "$FED/as/.well-known/openid-configuration"; then
		diag "federation endpoint did not start:"
		sed 's/^/# /' "$AS_DIR/fed.out"
		return 1
	fi
}

fed_stop() {
	as_stop fed
}

fed_mint() {
	curl -sf --cacert "$AS_DIR/ca/ca.crt" -X POST -H 'Content-Type: application/json' --data "$2" "$FED/$1/mint"
}

fed_count() {
	grep -cE "$1" "$AS_DIR/fed.log" 2>/dev/null || :
}
