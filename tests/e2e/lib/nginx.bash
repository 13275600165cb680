# nginx.bash - a private nginx on 127.0.0.1 with fcgiwrap running
# `dripmail unsubscribe --cgi` at /unsubscribe and `dripmail signup --cgi`
# at /signup, for one test; and a second server (another origin, as the
# author's blog is) serving the files in $WORK/nginx/www.
#
#   nginx_start     sets NGINX_PORT, UNSUB_URL (http://127.0.0.1:PORT/unsubscribe),
#                   SIGNUP_URL (.../signup) and SITE_URL (http://127.0.0.1:PORT2)
#   nginx_stop

# nginx_cgi COMMAND [OPTIONS]: write $WORK/nginx/COMMAND.cgi, running
# `dripmail OPTIONS COMMAND --cgi` with this test's settings (fcgiwrap
# runs a script without arguments: a wrapper names them), and print the
# nginx location /COMMAND for it.
nginx_cgi() {
	local d=$WORK/nginx c=$1
	shift
	printf '#!/bin/sh\nexec "%s" %s -c "%s" %s --cgi\n' "$DRIPMAIL" "$*" \
	    "$WORK/settings.ini" "$c" > "$d/$c.cgi"
	chmod 755 "$d/$c.cgi"
	cat <<CONF
location = /$c {
	fastcgi_pass unix:$d/fcgiwrap.sock;
	fastcgi_param SCRIPT_FILENAME $d/$c.cgi;
	fastcgi_param GATEWAY_INTERFACE CGI/1.1;
	fastcgi_param REQUEST_METHOD \$request_method;
	fastcgi_param QUERY_STRING \$query_string;
	fastcgi_param CONTENT_TYPE \$content_type;
	fastcgi_param CONTENT_LENGTH \$content_length;
	fastcgi_param REQUEST_URI \$request_uri;
	fastcgi_param SERVER_PROTOCOL \$server_protocol;
	fastcgi_param REMOTE_ADDR \$remote_addr;
}
CONF
}

nginx_start() {
	local d=$WORK/nginx i
	mkdir -p "$d/tmp" "$d/logs"
	chmod 755 "$WORK" "$d"
	NGINX_PORT=$(free_port)
	UNSUB_URL=http://127.0.0.1:$NGINX_PORT/unsubscribe
	SIGNUP_URL=http://127.0.0.1:$NGINX_PORT/signup
	SITE_PORT=$(free_port)
	SITE_URL=http://127.0.0.1:$SITE_PORT
	mkdir -p "$d/www"
	nginx_cgi unsubscribe > "$d/cgi.conf"
	nginx_cgi signup -v >> "$d/cgi.conf"
	cat > "$d/nginx.conf" <<CONF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 32; }
http {
	access_log $d/logs/access.log;
	client_body_temp_path $d/tmp/body;
	fastcgi_temp_path $d/tmp/fastcgi;
	proxy_temp_path $d/tmp/proxy;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		include $d/cgi.conf;
	}
	server {
		listen 127.0.0.1:$SITE_PORT;
		root $d/www;
	}
}
CONF
	fcgiwrap -c 1 -s "unix:$d/fcgiwrap.sock" 2> "$d/logs/fcgiwrap.log" &
	FCGIWRAP_PID=$!
	for i in $(seq 100); do
		[ -S "$d/fcgiwrap.sock" ] && break
		sleep 0.05
	done
	[ -S "$d/fcgiwrap.sock" ] || { echo "fcgiwrap did not start" >&2; return 1; }
	# the nginx workers may run as another user
	chmod 666 "$d/fcgiwrap.sock"
	nginx -c "$d/nginx.conf" -p "$d" -e "$d/logs/error.log" || return 1
	wait_port "$NGINX_PORT" 10 && wait_port "$SITE_PORT" 10
}

nginx_stop() {
	local d=$WORK/nginx
	[ -f "$d/nginx.pid" ] && kill "$(cat "$d/nginx.pid")" 2>/dev/null
	[ -n "${FCGIWRAP_PID:-}" ] && kill "$FCGIWRAP_PID" 2>/dev/null
	FCGIWRAP_PID=
	return 0
}
