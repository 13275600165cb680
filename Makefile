# dripmail - plain GNU make.  `make help` lists the targets.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/dripmail
BUILD   ?= build

PKGS    = libcurl sqlite3 libetpan inih libcmark jansson nettle gnutls ldns
CFLAGS ?= -O2 -g
WERROR ?= -Werror
override CFLAGS += -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -pthread $(WERROR)
override CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude \
	-DDRIPMAIL_DATADIR='"$(DATADIR)"' \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libetpan.pc leaks -specs=...no-pie-link.specs: it drops PIE and breaks clang
LDLIBS += $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS) 2>/dev/null)) \
	-lcsv -lpthread
# PostgreSQL ([database] url, src/db_pg.c) through libpq; `make PG=no`
# builds without it (SQLite only).
PG     ?= yes
ifeq ($(PG),yes)
override CPPFLAGS += -DHAVE_PG $(shell pkg-config --cflags libpq 2>/dev/null)
LDLIBS += $(shell pkg-config --libs libpq 2>/dev/null)
endif

SRCS    = $(wildcard src/*.c)
OBJS    = $(SRCS:src/%.c=$(BUILD)/obj/%.o)
LIBOBJS = $(filter-out $(BUILD)/obj/main.o,$(OBJS))
BIN     = $(BUILD)/dripmail
UNITSRC = $(wildcard tests/unit/test_*.c)
UNITS   = $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
E2E     = $(wildcard tests/e2e/*.bats)
# The suites that touch the data (import, subscribers, run, bounces, the
# unsubscribe and signup CGIs, report), run again on PostgreSQL; not the
# bounce classifier's, which opens no database, nor those that set
# DRIPMAIL_TEST_DB themselves (db copy, the workers): the first pass runs
# them on the backend they need.
# The PostgreSQL pass: the suites that write and read the data (import,
# subscribers, run, crash, overlap, bounces, unsubscribe and signup CGI).
# The others (reports, the Postfix and cron runs, mailbox fetching over
# IMAP/TLS, signup abuse limits) call the same store functions these do
# and run on SQLite only, to keep CI's time; 1200 and 2250 choose their
# backend themselves.
PGE2E   = $(addprefix tests/e2e/,1000-import-formats.bats \
	1010-import-rules.bats 1020-import-regress.bats \
	1020-import-status-regress.bats 1100-subscribers-manage.bats \
	1110-subscribers-sendable.bats 1120-subscribers-ids-regress.bats \
	1130-subscribers-steer.bats 2000-run-schedule.bats \
	2010-run-launch.bats 2020-run-guard.bats 2030-run-caps.bats \
	2100-run-faults.bats 2150-run-relay-regress.bats 2200-run-crash.bats \
	2210-run-diskfull.bats 3010-bounces-maildir.bats \
	3100-unsubscribe-cgi.bats 3110-unsubscribe-answers.bats \
	3150-signup-cgi.bats 3200-bounces-chain.bats)
# Under ASan the PostgreSQL pass runs five of them, through every part
# of db_pg.c (connect, migrate, statements, transactions, an import, runs
# killed mid-send, bounces, the CGI) in about 1.5 minutes; all of them
# would add 10.  `make test TEST_PG=no` leaves the pass out.
ASAN_PGE2E = $(addprefix tests/e2e/,1000-import-formats.bats \
	1100-subscribers-manage.bats 2200-run-crash.bats \
	3010-bounces-maildir.bats 3110-unsubscribe-answers.bats)
TEST_PG ?= yes
MUSTACHE_SPEC ?= ../shared/mustache-spec

# Every Debian package the build, the tests and the demo need.
DEBS = build-essential pkg-config libcurl4-gnutls-dev libetpan-dev \
	libgnutls28-dev libsqlite3-dev sqlite3 libinih-dev libcmark-dev libcsv-dev \
	libjansson-dev nettle-dev libcmocka-dev bats tzdata mandoc \
	python3 python3-aiosmtpd postfix dovecot-imapd dovecot-pop3d chromium nginx \
	fcgiwrap curl util-linux bsdutils procps openssl ca-certificates perl bc \
	spamassassin \
	python3-dkim python3-nacl opendkim libldns-dev dnsmasq-base \
	libpq-dev postgresql
FUZZDEBS = clang libclang-rt-14-dev

.PHONY: all deps fuzzdeps test test-pg unit e2e spec asan sanitize bench \
	fuzz demo install uninstall clean help lint bounce-score

all: $(BIN)

help:
	@echo "targets: all deps test test-pg asan spec bench fuzz demo install" \
	    "uninstall clean lint bounce-score"

$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJS) $(wildcard include/*.h) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBOBJS) \
	    $(LDLIBS) -lcmocka

$(BUILD)/tests/spec-runner: tests/spec/spec_runner.c $(LIBOBJS) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

# Installs only what is missing; sudo when not root.
deps:
	@missing=$$(for p in $(DEBS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    echo "deps: installing $$(echo $$missing | tr '\n' ' ')"; \
	    echo "postfix postfix/main_mailer_type select No configuration" | \
	        $$sudo debconf-set-selections; \
	    $$sudo apt-get update -q && \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	        --no-install-recommends $$missing; \
	fi

fuzzdeps:
	@$(MAKE) --no-print-directory deps DEBS="$(FUZZDEBS)"

# The whole suite on SQLite and, beside it (two cores: each pass waits on
# its servers much of the time), the data suites on PostgreSQL, whose
# output follows once both are done; each ends with prove's summary line.
test: deps
	@$(MAKE) --no-print-directory $(BIN) $(UNITS)
	@pg=; if [ "$(TEST_PG)" != no ]; then \
	    echo "test: the PostgreSQL pass runs beside this one" \
	        "(its output: $(BUILD)/test-pg.log, shown at the end)"; \
	    $(MAKE) --no-print-directory test-pg > $(BUILD)/test-pg.log 2>&1 & \
	    pg=$$!; \
	fi; \
	DRIPMAIL=$(CURDIR)/$(BIN) BUILD=$(BUILD) \
	    prove -f --exec tests/run-one $(UNITS) $(E2E); s=$$?; p=0; \
	if [ -n "$$pg" ]; then \
	    wait $$pg || p=$$?; \
	    echo "test: the PostgreSQL pass"; cat $(BUILD)/test-pg.log; \
	fi; \
	[ $$s -eq 0 ] && [ $$p -eq 0 ]

# The data suites against PostgreSQL: a private cluster per file (started
# as nobody when root), a fresh database per test.
test-pg: deps
	@$(MAKE) --no-print-directory $(BIN)
	DRIPMAIL=$(CURDIR)/$(BIN) BUILD=$(BUILD) DRIPMAIL_TEST_DB=pg \
	    prove -f --exec tests/run-one $(PGE2E)

unit: $(UNITS)
	prove -f --exec tests/run-one $(UNITS)

spec: $(BUILD)/tests/spec-runner
	$(BUILD)/tests/spec-runner $(MUSTACHE_SPEC)/*.json

asan sanitize:
	@$(MAKE) --no-print-directory test BUILD=build/asan \
	    PGE2E="$(ASAN_PGE2E)" \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined"

bench: deps $(BIN)
	@for b in bench/*/run; do [ -x "$$b" ] && DRIPMAIL=$(CURDIR)/$(BIN) "$$b"; done; true

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	@DRIPMAIL=$(CURDIR)/$(BIN) sh deploy/demo.sh

# The classifier over the real bounces in ../shared/bounce-corpus (or
# BOUNCE_CORPUS), scored by ../shared/tools/score-bounces.
bounce-score: $(BIN)
	@sh tests/bounce-score $(CURDIR)/$(BIN) $(BOUNCE_CORPUS)

lint:
	mandoc -Tlint -W warning man/dripmail.1 man/dripmail-settings.5

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/dripmail
	install -m 644 man/dripmail.1 $(DESTDIR)$(MANDIR)/man1/dripmail.1
	install -m 644 man/dripmail-settings.5 \
	    $(DESTDIR)$(MANDIR)/man5/dripmail-settings.5
	cp -R deploy templates lessons settings.ini $(DESTDIR)$(DATADIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/dripmail \
	    $(DESTDIR)$(MANDIR)/man1/dripmail.1 \
	    $(DESTDIR)$(MANDIR)/man5/dripmail-settings.5
	rm -rf $(DESTDIR)$(DATADIR)

# libFuzzer on every parser of outside input, one binary per target in
# fuzz/fuzz_TARGET.c, each seeded with fuzz/corpus/TARGET (the bounces also
# with the test bounces) and run FUZZ_SECONDS; crashes land in
# $(FUZZDIR)/crash-*.  `make fuzz FUZZ_TARGETS=csv` runs one.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= bounce csv lesson mustache cgi config tzif
FUZZDIR  = build/fuzz
FUZZOBJS = $(LIBOBJS:$(BUILD)/obj/%.o=$(FUZZDIR)/obj/%.o)
FUZZCFLAGS = -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZSAN  = address,undefined

$(FUZZDIR)/obj/%.o: src/%.c $(wildcard include/*.h)
	@mkdir -p $(FUZZDIR)/obj
	clang $(CPPFLAGS) $(FUZZCFLAGS) -fsanitize=fuzzer-no-link,$(FUZZSAN) \
	    -c -o $@ $<

.SECONDARY: $(FUZZOBJS)

$(FUZZDIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZOBJS)
	clang $(CPPFLAGS) $(FUZZCFLAGS) -fsanitize=fuzzer,$(FUZZSAN) -o $@ $< \
	    $(FUZZOBJS) $(LDLIBS)

# stdin from /dev/null: a settings file may name "-" as a password file.
fuzz: fuzzdeps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZDIR)/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZDIR)/corpus/$$t; \
	    cp fuzz/corpus/$$t/* $(FUZZDIR)/corpus/$$t/ 2>/dev/null || :; \
	    [ $$t != bounce ] || \
	        cp tests/e2e/data/bounces/*.eml $(FUZZDIR)/corpus/$$t/; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    (cd $(FUZZDIR) && ./fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	        -print_final_stats=1 -artifact_prefix=$$t- \
	        corpus/$$t </dev/null); \
	done

clean:
	rm -rf build demo preview
