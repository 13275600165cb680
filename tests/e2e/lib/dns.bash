# dns.bash - a private authoritative DNS server for one test: dnsmasq on a
# free loopback port, answering only from the records given, and
# [dns] server pointing at it.
#
# dns_start RECORD...: each RECORD a dnsmasq option such as
#   "--txt-record=example.org,v=spf1 -all"   (one string per comma)
#   --host-record=mail.example.org,192.0.2.20
#   --mx-host=example.org,mail.example.org,10
# Names under example.org, example.com and example.net that are not given
# do not exist (NXDOMAIN).  dns_stop (teardown) stops it.

dns_start() {
	DNS_PORT=$(free_port)
	/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null \
	    --no-resolv --no-hosts --no-poll --pid-file= --bind-interfaces \
	    --listen-address=127.0.0.1 --port="$DNS_PORT" \
	    --local=/example.org/ --local=/example.com/ \
	    --local=/example.net/ --log-facility="$WORK/dnsmasq.log" \
	    "$@" 3>&- &
	DNS_PID=$!
	wait_port "$DNS_PORT"
	ini_set settings.ini dns server "127.0.0.1:$DNS_PORT"
}

dns_stop() {
	[ -n "${DNS_PID:-}" ] || return 0
	kill "$DNS_PID" 2> /dev/null || true
	wait "$DNS_PID" 2> /dev/null || true
	DNS_PID=
}

# dns_txt_of FILE: the TXT text of a `dkim keygen` output, as dnsmasq
# strings (a,b).
dns_txt_of() {
	/usr/bin/python3 -I -c '
import re, sys
m = re.search(r"IN TXT \((.*)\)$", open(sys.argv[1]).read(), re.M)
print(",".join(re.findall(r"\"([^\"]*)\"", m.group(1))))
' "$1"
}
