# Headless Chromium for the end-to-end tests.
#
# chromium_dom FILE|URL: print the DOM of a local file or an http(s) URL
# after Chromium has loaded it (scripts run, entities decoded), with a
# throw-away profile.

chromium_dom() {
	local file=$1 profile rc
	profile=$(mktemp -d "${BATS_TMPDIR:-/tmp}/chromium.XXXXXX")
	case $file in
	http://* | https://*) ;;
	/*) file=file://$file ;;
	*) file=file://$PWD/$file ;;
	esac
	/usr/bin/chromium --headless --no-sandbox --disable-gpu \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$profile" --dump-dom "$file" 2>/dev/null
	rc=$?
	rm -rf "$profile"
	return $rc
}
