# faultsmtp.bash - start and stop tests/e2e/lib/faultsmtp.py.
#
# fault_start [ARGS...]: start the server (ARGS go to faultsmtp.py, e.g.
# --mode rcpt550), recording into $WORK/received; sets FAULT_PORT and
# FAULT_PID and points settings.ini's [smtp] url at it (no TLS).
fault_start() {
	mkdir -p "$WORK/received"
	rm -f "$WORK/fault.port"
	# -I: the script's folder (tests/e2e/lib/token.py) must not shadow stdlib
	/usr/bin/python3 -I "$REPO/tests/e2e/lib/faultsmtp.py" \
	    --dir "$WORK/received" "$@" > "$WORK/fault.port" \
	    2> "$WORK/fault.log" &
	FAULT_PID=$!
	local tries=200
	while [ ! -s "$WORK/fault.port" ] && [ "$tries" -gt 0 ]; do
		kill -0 "$FAULT_PID" 2>/dev/null || { cat "$WORK/fault.log" >&2; return 1; }
		sleep 0.05
		tries=$((tries - 1))
	done
	FAULT_PORT=$(head -n1 "$WORK/fault.port")
	wait_port "$FAULT_PORT"
	ini_set "$WORK/settings.ini" smtp url "smtp://127.0.0.1:$FAULT_PORT"
	ini_set "$WORK/settings.ini" smtp tls off
}

fault_stop() {
	if [ -n "${FAULT_PID:-}" ]; then
		kill "$FAULT_PID" 2>/dev/null
		wait "$FAULT_PID" 2>/dev/null || true
		FAULT_PID=
	fi
	return 0
}

# fault_idle: wait until the server holds no connection open, so that what
# a killed client had written before it died has been read and handled.
fault_idle() {
	local port tries=1000
	port=$(printf ':%04X' "$FAULT_PORT")
	# /proc/net/tcp: local address, state 01 established, 08 close wait
	while awk -v p="$port" '$2 ~ p "$" && ($4 == "01" || $4 == "08")' \
	    /proc/net/tcp | grep -q .; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || { echo "fault server: still connected" >&2; return 1; }
		sleep 0.01
	done
}

# received: how many messages the fault server accepted.
received() {
	find "$WORK/received" -name '*.eml' | wc -l
}

# fault_start_tls: the server with STARTTLS (a fresh self-signed
# certificate for localhost, trusted through [smtp] ca_file) and AUTH as
# course / s3cret.
fault_start_tls() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" \
	    -out "$WORK/cert.pem" -days 2 -subj /CN=localhost \
	    -addext subjectAltName=DNS:localhost 2> /dev/null
	fault_start --mode ok --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
	    --auth course:s3cret
	ini_set "$WORK/settings.ini" smtp url "smtp://localhost:$FAULT_PORT"
	ini_set "$WORK/settings.ini" smtp tls required
	ini_set "$WORK/settings.ini" smtp ca_file "$WORK/cert.pem"
	ini_set "$WORK/settings.ini" smtp username course
}
