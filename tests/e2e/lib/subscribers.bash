# Test subscribers and bounce mailboxes for the 3xxx tests.

# add_subscriber EMAIL: an active subscriber on the course; prints its id.
add_subscriber() {
	db_made || dm check > /dev/null
	sql "INSERT INTO subscribers (email, signed_up_at, course_at,
	    next_lesson_at, created_at, updated_at)
	    VALUES ('$1', 1, 1, 2000000000, 1, 1) RETURNING id"
}

# status_of EMAIL: the subscriber's status.
status_of() {
	sql "SELECT status FROM subscribers WHERE email = '$1'"
}

# maildir_put DIR FILE...: deliver files into the Maildir's new/.
maildir_put() {
	local dir=$1 f name
	shift
	mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"
	for f in "$@"; do
		name=$(date +%s).M${RANDOM}${RANDOM}P$$.$(basename "$f" .eml)
		cp "$f" "$dir/tmp/$name"
		mv "$dir/tmp/$name" "$dir/new/"
	done
}
