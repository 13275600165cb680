#!/bin/sh
# The signup form's endpoint for fcgiwrap (or any CGI server).
# fcgiwrap runs a script without arguments, so this wrapper names the
# settings file.  Install as /usr/local/lib/dripmail/signup.cgi, mode 755.
exec /usr/local/bin/dripmail -q -c /srv/dripmail/settings.ini signup --cgi
