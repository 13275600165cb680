# mailproxy.bash - start and stop tests/e2e/lib/mailproxy.py in front of
# the test Dovecot.
#
#   proxy_start MODE PROTO UPSTREAM [CERT KEY]  MODE strip, hangup[=VERB]
#                     or pass (see mailproxy.py); sets PROXY_PORT
#   proxy_stop
#   proxy_saw VERB... true when the client sent any of the VERBs through it
proxy_start() {
	PROXY_PORT=$(free_port)
	PROXY_LOG=$WORK/proxy.log
	: > "$PROXY_LOG"
	# -I: the script's folder (tests/e2e/lib/token.py) must not shadow stdlib
	/usr/bin/python3 -I "$REPO/tests/e2e/lib/mailproxy.py" "$1" "$2" \
	    "$PROXY_PORT" "$3" "$PROXY_LOG" "${@:4}" 2> "$WORK/proxy.err" &
	PROXY_PID=$!
	wait_port "$PROXY_PORT" 10 || { cat "$WORK/proxy.err" >&2; return 1; }
}

proxy_stop() {
	if [ -n "${PROXY_PID:-}" ]; then
		kill "$PROXY_PID" 2> /dev/null
		wait "$PROXY_PID" 2> /dev/null || true
		PROXY_PID=
	fi
	return 0
}

proxy_saw() {
	local v
	for v in "$@"; do
		grep -qx "$v" "$PROXY_LOG" && return 0
	done
	return 1
}
