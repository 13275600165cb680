# dkim.bash - DKIM keys for a test, and two independent verifiers from
# Debian with the public keys served from a file instead of DNS:
# dkimpy (python3-dkim) and OpenDKIM (opendkim -t, TestPublicKeys).
#
# dkim_setup [rsa|ed25519|both]: keys made by `dripmail dkim keygen` in
# $WORK, [dkim] set in settings.ini, the published records in $WORK/dkim.keys.
# dkim_verify FILE...: true when every DKIM-Signature of every file passes
# both verifiers; prints each verifier's result lines.

dkim_setup() {
	local which=${1:-both} sel type n=1
	: > "$WORK/dkim.keys"
	ini_set settings.ini dkim domain example.org
	for type in rsa ed25519; do
		[ "$which" = both ] || [ "$which" = "$type" ] || continue
		sel=t$type
		dm dkim keygen --selector "$sel" --type "$type" \
		    --domain example.org --out "$WORK/$sel.pem" > "$sel.out"
		/usr/bin/python3 -I -c '
import re, sys
m = re.search(r"^(\S+)\. IN TXT \((.*)\)$", open(sys.argv[1]).read(), re.M)
print(m.group(1), "".join(re.findall(r"\"([^\"]*)\"", m.group(2))))
' "$sel.out" >> "$WORK/dkim.keys"
		if [ "$n" = 1 ]; then
			ini_set settings.ini dkim selector "$sel"
			ini_set settings.ini dkim key_file "$sel.pem"
		else
			ini_set settings.ini dkim selector2 "$sel"
			ini_set settings.ini dkim key_file2 "$sel.pem"
		fi
		n=2
	done
	printf 'TestPublicKeys %s\nSyslog no\nMode v\n' "$WORK/dkim.keys" \
	    > "$WORK/opendkim.conf"
}

dkim_verify() {
	local f nsig pass fail ok=0
	/usr/bin/python3 -I "$BATS_TEST_DIRNAME/lib/dkim_verify.py" \
	    "$WORK/dkim.keys" "$@" || ok=1
	for f in "$@"; do
		nsig=$(awk '/^\r?$/ { exit }
		    tolower($0) ~ /^dkim-signature:/ { n++ }
		    END { print n + 0 }' "$f")
		out=$(opendkim -x "$WORK/opendkim.conf" -vv -t "$f" 2>&1)
		pass=$(grep -o 'dkim=[a-z]*' <<< "$out" | awk '$0 == "dkim=pass" { n++ }
		    END { print n + 0 }')
		fail=$(grep -o 'dkim=[a-z]*' <<< "$out" | awk '$0 != "dkim=pass" { n++ }
		    END { print n + 0 }')
		echo "$f opendkim: $nsig signatures, $pass pass, $fail other"
		if [ "$nsig" -eq 0 ] || [ "$pass" -ne "$nsig" ] || [ "$fail" -ne 0 ]; then
			ok=1
		fi
	done
	return $ok
}

# dkim_fails FILE: true when both verifiers reject every signature.
dkim_fails() {
	local f=$1 out
	if /usr/bin/python3 -I "$BATS_TEST_DIRNAME/lib/dkim_verify.py" \
	    "$WORK/dkim.keys" "$f" | grep -q ' pass$'; then
		return 1
	fi
	out=$(opendkim -x "$WORK/opendkim.conf" -vv -t "$f" 2>&1)
	! grep -q 'dkim=pass' <<< "$out" && grep -q 'dkim=fail' <<< "$out"
}
