# Test authorization servers and the fault server for integration scripts (sourced, POSIX sh).
#
#   as_require                 skip the whole script (TAP) when node, the npm packages or openssl
#                              are missing
#   as_init                    make a private work dir $AS_DIR and set a trap that stops every
#                              server started through these helpers, then removes the dir
#   as_setup_ca DIR            test CA, server certs, client cert/keys, hashed CApath dir (idempotent)
#   as_free_port               print a free TCP port on 127.0.0.1
#   as_start NAME PORT         start tests/tools/as-server.mjs (issuer https://127.0.0.1:PORT$AS_PATH);
#                              environment AS_PATH, AS_RFC8414, AS_TOKEN_TTL, AS_PEERS pass through;
#                              waits until discovery answers; request log in $AS_DIR/NAME.log
#   as_stop NAME
#   fault_start PORT [WRONGHOST_PORT [UNKNOWNCA_PORT]]   start tests/tools/fault-server.mjs
#   fault_stop
#   as_count NAME KIND         number of KIND (token|introspect) requests in NAME's log
#
# Files in $AS_DIR/ca after as_setup_ca: ca.crt (test CA), capath/ (hashed, for CApath),
# server.crt/key (127.0.0.1, localhost), wronghost.crt/key (test CA, name wrong.invalid),
# other-ca.crt, unknownca.crt/key (signed by other-ca), client-d.crt/key (CN=service-d, for
# tls_client_auth), client-c-ec.pem, client-c-rsa.pem, client-c-ed.pem (private_key_jwt keys)
# and their .pub.pem.

as_tools=${as_tools:-$top_srcdir/tests/tools}
as_pids=""

as_require() {
	command -v node >/dev/null 2>&1 || bail_skip_all "node not found"
	command -v openssl >/dev/null 2>&1 || bail_skip_all "openssl not found"
	command -v curl >/dev/null 2>&1 || bail_skip_all "curl not found"
	[ -d "$as_tools/node_modules/oidc-provider" ] || bail_skip_all "npm packages missing: run scripts/test-setup"
}

as_cleanup() {
	for p in $as_pids; do
		kill "$p" 2>/dev/null || :
	done
	for p in $as_pids; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -9 "$p" 2>/dev/null || :
	done
	as_pids=""
	[ -n "${AS_DIR:-}" ] && [ -z "${AS_KEEP:-}" ] && rm -rf "$AS_DIR"
}

as_init() {
	AS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ccauth-as.XXXXXX")
	export AS_DIR
	trap 'as_cleanup' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

as_free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# leaf CADIR NAME CN SAN [CA]: a certificate signed by CA (default ca)
as_leaf() {
	_d=$1 _n=$2 _cn=$3 _san=$4 _ca=${5:-ca}
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$_d/$_n.key" -out "$_d/$_n.csr" -subj "/CN=$_cn" 2>>"$_d/openssl.err"
	{
		[ -n "$_san" ] && echo "subjectAltName=$_san"
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=digitalSignature"
		case $_n in
		client-*) echo "extendedKeyUsage=clientAuth" ;;
		*) echo "extendedKeyUsage=serverAuth" ;;
		esac
	} >"$_d/$_n.ext"
	openssl x509 -req -in "$_d/$_n.csr" -CA "$_d/$_ca.crt" -CAkey "$_d/$_ca.key" -CAcreateserial \
		-out "$_d/$_n.crt" -days 30 -extfile "$_d/$_n.ext" 2>>"$_d/openssl.err"
	rm -f "$_d/$_n.csr" "$_d/$_n.ext"
	chmod 600 "$_d/$_n.key"
}

as_setup_ca() {
	_d=$1
	mkdir -p "$_d"
	[ -f "$_d/done" ] && return 0
	for _ca in ca other-ca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$_d/$_ca.key" -out "$_d/$_ca.crt" -days 30 \
			-subj "/CN=ccauth test $_ca" -addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>>"$_d/openssl.err" || return 1
	done
	as_leaf "$_d" server 127.0.0.1 "IP:127.0.0.1,DNS:localhost" || return 1
	as_leaf "$_d" wronghost wrong.invalid "DNS:wrong.invalid" || return 1
	as_leaf "$_d" unknownca 127.0.0.1 "IP:127.0.0.1,DNS:localhost" other-ca || return 1
	as_leaf "$_d" client-d service-d "" || return 1
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$_d/client-c-ec.pem" 2>>"$_d/openssl.err"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$_d/client-c-rsa.pem" 2>>"$_d/openssl.err"
	openssl genpkey -algorithm ED25519 -out "$_d/client-c-ed.pem" 2>>"$_d/openssl.err"
	for _k in ec rsa ed; do
		openssl pkey -in "$_d/client-c-$_k.pem" -pubout -out "$_d/client-c-$_k.pub.pem" 2>>"$_d/openssl.err" || return 1
		chmod 600 "$_d/client-c-$_k.pem"
	done
	mkdir -p "$_d/capath"
	cp "$_d/ca.crt" "$_d/capath/ccauth-test-ca.pem"
	openssl rehash "$_d/capath" 2>>"$_d/openssl.err" || c_rehash "$_d/capath" >/dev/null 2>&1 || return 1
	touch "$_d/done"
}

# wait_https URL: until it answers 200 with the test CA (10 s)
as_wait_https() {
	_n=0
	while [ $_n -lt 100 ]; do
		curl -sf --cacert "$AS_DIR/ca/ca.crt" -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

as_start() {
	_name=$1 _port=$2
	_st="$AS_DIR/$_name"
	as_setup_ca "$AS_DIR/ca" || return 1
	mkdir -p "$_st"
	[ -f "$_st/as-rsa.pem" ] ||
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$_st/as-rsa.pem" 2>/dev/null
	[ -f "$_st/as-ec.pem" ] ||
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$_st/as-ec.pem" 2>/dev/null
	cp "$AS_DIR/ca/ca.crt" "$AS_DIR/ca/server.crt" "$AS_DIR/ca/server.key" "$AS_DIR/ca"/client-c-*.pub.pem "$_st/"
	AS_NAME=$_name AS_PORT=$_port AS_STATE_DIR=$_st AS_LOG="$AS_DIR/$_name.log" \
		NODE_EXTRA_CA_CERTS="$AS_DIR/ca/ca.crt" NODE_NO_WARNINGS=1 \
		node "$as_tools/as-server.mjs" >"$AS_DIR/$_name.out" 2>&1 &
	_pid=$!
	echo "$_pid" >"$AS_DIR/$_name.pid"
	as_pids="$as_pids $_pid"
	: >>"$AS_DIR/$_name.log"
	if ! as_wait_https "https://127.0.0.1:$_port${AS_PATH:-}/.well-known/openid-configuration"; then
		diag "AS $_name did not start:"
		sed 's/^/# /' "$AS_DIR/$_name.out"
		return 1
	fi
}

as_stop() {
	_pid=$(cat "$AS_DIR/$1.pid" 2>/dev/null) || return 0
	kill "$_pid" 2>/dev/null || :
	_n=0
	while kill -0 "$_pid" 2>/dev/null && [ $_n -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	rm -f "$AS_DIR/$1.pid"
}

as_count() {
	grep -c "^$1 $2 " "$AS_DIR/$1.log" 2>/dev/null || :
}

fault_start() {
	as_setup_ca "$AS_DIR/ca" || return 1
	FAULT_DIR="$AS_DIR/ca" FAULT_PORT=$1 FAULT_PORT_WRONGHOST=${2:-} FAULT_PORT_UNKNOWNCA=${3:-} \
		node "$as_tools/fault-server.mjs" >"$AS_DIR/fault.out" 2>&1 &
	_pid=$!
	echo "$_pid" >"$AS_DIR/fault.pid"
	as_pids="$as_pids $_pid"
	if ! as_wait_https "https://127.0.0.1:$1/stats"; then
		diag "fault server did not start:"
		sed 's/^/# /' "$AS_DIR/fault.out"
		return 1
	fi
}

fault_stop() {
	as_stop fault
}
