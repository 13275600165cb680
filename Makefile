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

SRCS    = $(wildcard src/*.c)
OBJS    = $(SRCS:src/%.c=$(BUILD)/obj/%.o)
LIBOBJS = $(filter-out $(BUILD)/obj/main.o,$(OBJS))
BIN     = $(BUILD)/dripmail
UNITSRC = $(wildcard tests/unit/test_*.c)
UNITS   = $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
E2E     = $(wildcard tests/e2e/*.bats)
MUSTACHE_SPEC ?= ../shared/mustache-spec

# Every Debian package the build, the tests and the demo need.
DEBS = build-essential pkg-config libcurl4-gnutls-dev libetpan-dev \
	libgnutls28-dev libsqlite3-dev sqlite3 libinih-dev libcmark-dev libcsv-dev \
	libjansson-dev nettle-dev libcmocka-dev bats tzdata mandoc \
	python3 python3-aiosmtpd postfix dovecot-imapd chromium nginx \
	fcgiwrap curl util-linux bsdutils procps openssl ca-certificates perl bc \
	spamassassin \
	python3-dkim python3-nacl opendkim libldns-dev dnsmasq-base
FUZZDEBS = clang libclang-rt-14-dev

.PHONY: all deps fuzzdeps test unit e2e spec asan sanitize bench fuzz demo \
	install uninstall clean help lint

all: $(BIN)

help:
	@echo "targets: all deps test asan spec bench fuzz demo install" \
	    "uninstall clean lint"

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

# The whole suite, ending with prove's summary line.
test: deps
	@$(MAKE) --no-print-directory $(BIN) $(UNITS)
	DRIPMAIL=$(CURDIR)/$(BIN) BUILD=$(BUILD) \
	    prove -f --exec tests/run-one $(UNITS) $(E2E)

unit: $(UNITS)
	prove -f --exec tests/run-one $(UNITS)

spec: $(BUILD)/tests/spec-runner
	$(BUILD)/tests/spec-runner $(MUSTACHE_SPEC)/*.json

asan sanitize:
	@$(MAKE) --no-print-directory test BUILD=build/asan \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined"

bench: deps $(BIN)
	@for b in bench/*/run; do [ -x "$$b" ] && DRIPMAIL=$(CURDIR)/$(BIN) "$$b"; done; true

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	@DRIPMAIL=$(CURDIR)/$(BIN) sh deploy/demo.sh

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

# libFuzzer on the bounce classifier, seeded with the test bounces; runs
# FUZZ_SECONDS (crashes land in $(FUZZDIR)/crash-*).
FUZZ_SECONDS ?= 600
FUZZDIR  = build/fuzz
FUZZSRCS = $(filter-out src/main.c,$(SRCS))
FUZZFLAGS = -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(FUZZDIR)/fuzz_bounce: fuzz/fuzz_bounce.c $(FUZZSRCS) $(wildcard include/*.h)
	mkdir -p $(FUZZDIR)
	clang $(CPPFLAGS) $(FUZZFLAGS) -o $@ fuzz/fuzz_bounce.c $(FUZZSRCS) \
	    $(LDLIBS)

fuzz: fuzzdeps
	@$(MAKE) --no-print-directory $(FUZZDIR)/fuzz_bounce
	mkdir -p $(FUZZDIR)/corpus
	cp tests/e2e/data/bounces/*.eml $(FUZZDIR)/corpus/
	cd $(FUZZDIR) && ./fuzz_bounce -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 corpus

clean:
	rm -rf build demo preview
