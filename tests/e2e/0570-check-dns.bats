#!/usr/bin/env bats
# `check --dns`: SPF, DKIM, DMARC and alignment, against a real DNS server
# (dnsmasq on loopback) with test zones.

load helpers
load lib/dns

setup() {
	setup_workdir
	ini_set settings.ini dns relay_ip 192.0.2.20
	dm dkim keygen --selector s1 --domain example.org --out s1.pem > s1.out
	ini_set settings.ini dkim domain example.org
	ini_set settings.ini dkim selector s1
	ini_set settings.ini dkim key_file s1.pem
}
teardown() { dns_stop; teardown_workdir; }

good_records() {
	echo "--txt-record=example.org,v=spf1 mx include:_spf.example.net -all"
	echo "--txt-record=_spf.example.net,v=spf1 ip4:198.51.100.0/24 ~all"
	echo "--mx-host=example.org,mail.example.org,10"
	echo "--host-record=mail.example.org,192.0.2.20"
	echo "--txt-record=_dmarc.example.org,v=DMARC1; p=quarantine"
	echo "--txt-record=s1._domainkey.example.org,$(dns_txt_of s1.out)"
}

@test "good records: every finding ok, exit 0" {
	mapfile -t recs < <(good_records)
	dns_start "${recs[@]}"
	run dm check --dns
	[ "$status" -eq 0 ]
	[[ "$output" == *"dns: ok: SPF: example.org allows 192.0.2.20 (example.org: 'mx')"* ]]
	[[ "$output" == *"dns: ok: DKIM: s1._domainkey.example.org matches $WORK/s1.pem"* ]]
	[[ "$output" == *"dns: ok: DMARC: _dmarc.example.org has policy quarantine"* ]]
	[[ "$output" == *"dns: ok: alignment: DKIM domain example.org aligns with From example.org"* ]]
	! grep -q 'dns: \(warning\|error\)' <<< "$output"
	# the relay inside an include, and one that is not allowed
	ini_set settings.ini dns relay_ip 198.51.100.7
	run dm check --dns
	[ "$status" -eq 0 ]
	[[ "$output" == *"dns: ok: SPF: example.org allows 198.51.100.7 (example.org: 'include:_spf.example.net')"* ]]
	ini_set settings.ini dns relay_ip 203.0.113.9
	run dm check --dns
	[ "$status" -eq 78 ]
	[[ "$output" == *"dns: error: SPF: example.org does not allow 203.0.113.9"*'add "ip4:203.0.113.9" before its all'* ]]
}

@test "missing records: errors that say what to publish, exit 78" {
	dns_start --host-record=mail.example.org,192.0.2.20
	run dm check --dns
	[ "$status" -eq 78 ]
	[[ "$output" == *'dns: error: SPF: no record for example.org; publish a TXT record at example.org such as "v=spf1 ip4:192.0.2.20 -all"'* ]]
	[[ "$output" == *"dns: error: DKIM: no key at s1._domainkey.example.org; publish a TXT record: \"v=DKIM1; k=rsa; p=MII"* ]]
	[[ "$output" == *"dns: error: DMARC: no record at _dmarc.example.org"* ]]
}

@test "malformed SPF, two SPF records, a DKIM key that does not match, DMARC p=none" {
	dm dkim keygen --selector s1 --domain example.org --out other.pem > other.out
	dns_start "--txt-record=example.org,v=spf1 ip4:999.1.1.1 -all" \
	    "--txt-record=s1._domainkey.example.org,$(dns_txt_of other.out)" \
	    "--txt-record=_dmarc.example.org,v=DMARC1; p=none"
	run dm check --dns
	[ "$status" -eq 78 ]
	[[ "$output" == *"dns: error: SPF: the record for example.org is not valid: example.org: bad address in 'ip4:999.1.1.1'"* ]]
	[[ "$output" == *"dns: error: DKIM: the key at s1._domainkey.example.org is not the public half of $WORK/s1.pem"* ]]
	[[ "$output" == *"dns: warning: DMARC: _dmarc.example.org has policy none"* ]]
	dns_stop
	dns_start "--txt-record=example.org,v=spf1 -all" \
	    "--txt-record=example.org,v=spf1 ip4:192.0.2.20 -all"
	run dm check --dns
	[ "$status" -eq 78 ]
	[[ "$output" == *"dns: error: SPF: the record for example.org is not valid: example.org: two SPF records"* ]]
}

@test "an envelope and a DKIM domain that do not align with From" {
	mapfile -t recs < <(good_records)
	dm dkim keygen --selector s2 --domain example.com --out s2.pem > s2.out
	dns_start "${recs[@]}" \
	    "--txt-record=example.com,v=spf1 ip4:192.0.2.20 -all" \
	    "--txt-record=s2._domainkey.example.com,$(dns_txt_of s2.out)"
	ini_set settings.ini smtp envelope_from bounces@example.com
	ini_set settings.ini dkim domain example.com
	ini_set settings.ini dkim selector s2
	ini_set settings.ini dkim key_file s2.pem
	run dm check --dns
	[ "$status" -eq 78 ]
	[[ "$output" == *"dns: warning: alignment: envelope domain example.com does not align with From example.org"* ]]
	[[ "$output" == *"dns: error: alignment: DKIM domain example.com does not align with From example.org"* ]]
	[[ "$output" == *"dns: ok: DKIM: s2._domainkey.example.com matches"* ]]
}

@test "a server that does not answer: 75; bad [dns] settings: 78" {
	ini_set settings.ini dns server "127.0.0.1:$(free_port)"
	run dm check --dns
	[ "$status" -eq 75 ]
	[[ "$output" == *"did not answer"* ]]
	ini_set settings.ini dns server "dns.example.org"
	run dm check --dns
	[ "$status" -eq 78 ]
	[[ "$output" == *"[dns] server: expected an IP address"* ]]
	ini_set settings.ini dns server 127.0.0.1
	ini_set settings.ini dns relay_ip 300.1.2.3
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[dns] relay_ip: expected an IPv4 or IPv6 address"* ]]
}
