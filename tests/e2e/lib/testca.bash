# testca.bash - a test certificate authority made with openssl.
#
#   test_ca DIR   DIR/ca.pem (the CA, for [bounces] ca_file; also set as
#                 TEST_CA) and DIR/server.pem, DIR/server.key: a server
#                 certificate it signed for the address 127.0.0.1 only
test_ca() {
	local d=$1 ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	mkdir -p "$d"
	# shellcheck disable=SC2086
	openssl req -x509 $ec -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
	    -subj "/CN=dripmail test CA" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null &&
	# shellcheck disable=SC2086
	openssl req $ec -keyout "$d/server.key" -out "$d/server.csr" \
	    -subj /CN=127.0.0.1 2> /dev/null &&
	printf '%s\n' subjectAltName=IP:127.0.0.1 basicConstraints=CA:FALSE \
	    extendedKeyUsage=serverAuth > "$d/server.ext" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca.key" -CAcreateserial -days 2 \
	    -extfile "$d/server.ext" -out "$d/server.pem" 2> /dev/null ||
	    { echo "test_ca: openssl failed" >&2; return 1; }
	TEST_CA=$d/ca.pem
}
