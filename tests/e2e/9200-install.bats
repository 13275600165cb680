#!/usr/bin/env bats
# make install / uninstall honour PREFIX and DESTDIR.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "make install puts binary, man pages and data under DESTDIR/PREFIX; uninstall removes them" {
	b=${BUILD:-build}
	make -s -C "$REPO" BUILD="$b" install DESTDIR="$WORK/dest" PREFIX=/opt/dm
	d=$WORK/dest/opt/dm
	[ -x "$d/bin/dripmail" ]
	"$d/bin/dripmail" --version
	[ -f "$d/share/man/man1/dripmail.1" ]
	[ -f "$d/share/man/man5/dripmail-settings.5" ]
	[ -f "$d/share/dripmail/settings.ini" ]
	[ -f "$d/share/dripmail/lessons/day1.md" ]
	[ -f "$d/share/dripmail/templates/email.html.mustache" ]
	[ -f "$d/share/dripmail/deploy/crontab.example" ]
	# init takes the installed course as its example
	"$d/bin/dripmail" init "$WORK/course" > /dev/null
	cmp "$d/share/dripmail/lessons/day1.md" "$WORK/course/lessons/day1.md"
	(cd "$WORK/course" && "$d/bin/dripmail" check > /dev/null)
	make -s -C "$REPO" BUILD="$b" uninstall DESTDIR="$WORK/dest" PREFIX=/opt/dm
	[ ! -e "$d/bin/dripmail" ]
	[ ! -e "$d/share/man/man1/dripmail.1" ]
	[ ! -e "$d/share/dripmail" ]
}
