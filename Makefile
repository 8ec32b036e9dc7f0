# rgwd -- Realm Gateway daemon. One plain GNU Makefile.
#
#   make                 build rgwd and rgwctl (build/)
#   make check           unit tests (cmocka), no root needed
#   make test            install packages, static checks, unit tests under ASan/UBSan, then
#                        system tests (root)
#   make static-check    cppcheck (lint), clang-format dry run, api/openapi.json up to date
#   make system-check    system tests only (root: network namespaces, nftables)
#   make SAN=1           build with ASan/UBSan (build-san/)
#   make demo            the LXC testbed and a narrated scenario (root; DEMO_FLAGS=--down
#                        tears it down at the end, else lxc-testbed/down does; DEMO_FLAGS=--nested
#                        shows two nested gateways instead, in namespaces of their own;
#                        DEMO_FLAGS=--ha an active/standby pair of gateways and its failover)
#   make deb             Debian package (build/deb/rgwd_<version>_<arch>.deb) + lintian
#   make image           customer-edge gateway disk image (build/image/, root, debootstrap)
#   make image-test      boot the image under qemu, check DNS and a LAN server (root)
#   make format | lint | install | deps | clean

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
DOCDIR     ?= $(PREFIX)/share/doc/rgwd
DESTDIR    ?=

CC ?= gcc
PKG_CONFIG ?= pkg-config

# Libraries with a .pc file come from pkg-config; ldns has none on Debian 12.
PKGS      = libnftnl libmnl sqlite3 libmicrohttpd jansson gnutls
TEST_PKGS = cmocka

WARN   = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	 -Wmissing-declarations -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 \
	 -Wundef -Wnull-dereference -Wduplicated-cond -Wlogical-op -Wimplicit-fallthrough
# NOWARN: suppressions, each with its reason. (none)
NOWARN =

OPT    ?= -O2 -g
CFLAGS ?=
CFLAGS += -std=c11 -D_GNU_SOURCE -pthread $(OPT) $(WARN) $(NOWARN) -I.
CFLAGS += $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lldns -lpthread -lm

# CI (and anyone who asks) turns warnings into errors.
ifneq ($(filter 1 true,$(WERROR) $(CI)),)
CFLAGS += -Werror
endif

ifeq ($(SAN),1)
BUILD   ?= build-san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD   ?= build
endif

# Every module directory is compiled into one static library (ctl/, rgwctl's output and
# settings, only rgwctl links); programs with a main() live at the top level (rgwd.c,
# rgwctl.c); fuzz targets end in _fuzz.c. The other top-level files wire the
# subsystems together for rgwd (commit.c: the policy commit; admin.c: the
# command line): a second library, linked into rgwd and the unit tests.
MODDIRS   = common policy dns nat alg ids api ctl
LIB_SRCS  = $(filter-out %_fuzz.c,$(wildcard $(addsuffix /*.c,$(MODDIRS))))
LIB_OBJS  = $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB       = $(BUILD)/librgw.a
WIRE_SRCS = $(filter-out rgwd.c rgwctl.c,$(wildcard *.c))
WIRE_OBJS = $(WIRE_SRCS:%.c=$(BUILD)/%.o)
WIRE      = $(BUILD)/librgwd.a
PROGS     = $(BUILD)/rgwd $(patsubst %.c,$(BUILD)/%,$(filter rgwctl.c,$(wildcard *.c)))

UNIT_SRCS  = $(wildcard tests/unit/test_*.c)
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELP  = $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c))
SYSTEM_TESTS = $(sort $(wildcard tests/system/t[0-9]*.sh))
# Programs used by system tests (drivers, fake peers are NOT allowed: drivers only).
SYSTEM_SRCS  = $(wildcard tests/system/*.c)
SYSTEM_BINS  = $(SYSTEM_SRCS:tests/system/%.c=$(BUILD)/tests/sys/%)

DEPFLAGS = -MMD -MP

.PHONY: all check test system-check format format-check openapi-check static-check lint install uninstall demo deps deps-test deps-demo clean \
	bench fuzz deb deps-pkg deps-bench image image-test upgrade-test

all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# The OpenAPI document is embedded with .incbin (api/openapi.c).
$(BUILD)/api/openapi.o: api/openapi.json

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(WIRE): $(WIRE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/rgwd: $(BUILD)/rgwd.o $(WIRE) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# rgwctl alone speaks HTTPS as a client: libcurl is its dependency, not the daemon's.
CURL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS   = $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)
$(BUILD)/rgwctl.o $(BUILD)/ctl/client.o: CFLAGS += $(CURL_CFLAGS)
$(BUILD)/rgwctl: $(BUILD)/rgwctl.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(CURL_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HELP) $(WIRE) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS)) $(LDFLAGS) $(TEST_LDFLAGS) \
		-o $@ $< $(UNIT_HELP) $(WIRE) $(LIB) $(LDLIBS) \
		$(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

# test_commit fails allocations on purpose (tests/unit/test_commit.c): every malloc, calloc
# and realloc of rgwd's own code, and its sqlite3_step, go through its wrappers.
$(BUILD)/tests/test_commit: TEST_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=sqlite3_step
# test_array counts the array's reallocs and fails one on purpose; test_htab fails a bucket
# allocation.
$(BUILD)/tests/test_array: TEST_LDFLAGS = -Wl,--wrap=realloc
$(BUILD)/tests/test_htab: TEST_LDFLAGS = -Wl,--wrap=calloc

$(BUILD)/tests/sys/%: tests/system/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The store's SIGKILL test (random kills for up to two minutes) is a cmocka program of the
# system tier, run by tests/system/t16_store_kill.sh, so that make check stays quick.
$(BUILD)/tests/sys/store_kill: tests/system/store_kill.c tests/unit/policy_fixture.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS)) $(LDFLAGS) -o $@ $< \
		$(LIB) $(LDLIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

# Unit tests: each binary prints its cmocka summary; the line at the end totals them.
check: $(UNIT_BINS)
	@RGW_BUILD=$(BUILD) tests/run-unit $(UNIT_BINS)

system-check: all $(SYSTEM_BINS)
	@RGW_BUILD=$(BUILD) tests/run-system $(SYSTEM_TESTS)

# The whole suite, as CI runs it: packages, unit tests under ASan/UBSan, system tests.
test: deps deps-test deps-demo
	$(MAKE) static-check
	$(MAKE) SAN=1 check
	$(MAKE) all
	$(MAKE) system-check

# Packages, installed with apt-get when missing (apt-get update runs once, only if needed).
BUILD_DEBS = gcc make pkg-config libldns-dev libnftnl-dev libmnl-dev libsqlite3-dev \
	libmicrohttpd-dev libjansson-dev libcurl4-gnutls-dev libgnutls28-dev
# dig/nsupdate (bind9-dnsutils), kdig, a real resolver (unbound) and a peer authoritative
# server (nsd) for the DNS tests; nginx, openssl and curl for the ALG and API tests; socat,
# netcat, ping, tcpdump and conntrack to drive and observe the data plane.
TEST_DEBS = libcmocka-dev nftables iproute2 procps psmisc sqlite3 curl jq python3 \
	bind9-dnsutils knot-dnsutils unbound nsd nginx openssl socat netcat-openbsd \
	iputils-ping tcpdump conntrack
# dns bench (tests/bench/dns): dnsperf, and Knot as a peer
TEST_DEBS += dnsperf knot
# t70_pbra: a dnspython client and scapy (spoofed queries); t73_nested: scapy reads its capture
TEST_DEBS += python3-dnspython python3-scapy
# Flow defence (t33-t35, t56): Suricata (from bookworm-backports: Debian 12 has no suricata in
# main) whose EVE alerts rgwd reads; real FTP, TFTP and SIP peers for the conntrack helpers
# (vsftpd, lftp; tftpd-hpa, tftp-hpa; SIPp).
TEST_DEBS += suricata/bookworm-backports vsftpd lftp tftpd-hpa tftp-hpa sip-tester
# t69_api_contract: a JSON Schema validator for the API's answers; t68_metrics: promtool
# (package prometheus; its service is kept from starting by install-debs); t13: unshare
TEST_DEBS += python3-jsonschema prometheus util-linux
# t81_ha_failover: an HA pair on real keepalived (VRRP) and conntrackd (FTFW)
TEST_DEBS += keepalived conntrackd
# The ALG benchmark (tests/bench/alg installs them itself): wrk, and the SNI peers HAProxy,
# nginx stream and sniproxy.
BENCH_DEBS = wrk haproxy sniproxy nginx libnginx-mod-stream openssl curl python3
deps:
	@tests/install-debs $(BUILD_DEBS)
deps-test:
	@tests/install-debs $(TEST_DEBS)
deps-bench:
	@tests/install-debs $(BENCH_DEBS)
# The LXC testbed (make demo, tests/system/t90_testbed.sh): containers, a recursive resolver,
# web and echo servers, and the clients the scenarios use (jq reads rgwd's status).
DEMO_DEBS = lxc unbound nginx socat openssl curl bind9-dnsutils iputils-ping iproute2 \
	nftables conntrack tcpdump python3 python3-scapy procps util-linux jq
# The resolver matrix (lxc-testbed/lib/resolvers.sh): BIND, Knot Resolver and PowerDNS Recursor
# beside unbound, with the root trust anchor they read (dns-root-data) and dnspython for the
# clients that drive them.
DEMO_DEBS += bind9 bind9-utils knot-resolver pdns-recursor dns-root-data python3-dnspython
# The IDS scenario: Suricata on the gateway's LAN side (bookworm-backports, as in TEST_DEBS).
DEMO_DEBS += suricata/bookworm-backports
# The active/standby pair (lxc-testbed/up --ha, make demo DEMO_FLAGS=--ha).
DEMO_DEBS += keepalived conntrackd
deps-demo:
	@tests/install-debs $(DEMO_DEBS)

# Packaging (docs/packaging.md): the Debian package, the customer-edge image and its tests.
# Not part of make test (image-test boots a VM); the package tools are installed on demand.
PKG_DEBS = dpkg-dev debhelper fakeroot lintian adduser libcmocka-dev
IMAGE_DEBS = mmdebstrap debootstrap qemu-utils qemu-system-x86 extlinux syslinux-common \
	e2fsprogs fdisk util-linux \
	iproute2 bind9-dnsutils curl python3
deps-pkg:
	@tests/install-debs $(PKG_DEBS)

# dpkg-buildpackage runs in a copy of the tracked (and new, unignored) files, so that the
# worktree stays clean; the .deb, .buildinfo and .changes land in build/deb/.
deb: deps deps-pkg
	@tools/build-deb build/deb

# The package built from an older commit, upgraded to this one (root: a throwaway chroot).
upgrade-test: deb
	@tests/install-debs mmdebstrap sqlite3 jq
	timeout -k 10 1800 tests/pkg/upgrade-test build/deb

image: deb
	@tests/install-debs $(IMAGE_DEBS)
	tools/build-image build/deb build/image

image-test: image
	timeout -k 10 1200 tests/pkg/image-test build/image

FORMAT_SRCS = $(wildcard *.c *.h $(addsuffix /*.c,$(MODDIRS)) $(addsuffix /*.h,$(MODDIRS)) \
	tests/unit/*.c tests/unit/*.h)

format:
	clang-format -i $(FORMAT_SRCS)

# What CI checks before building: cppcheck, the house format (clang-format dry run), and
# api/openapi.json exactly as tools/gen-openapi.py writes it.
static-check: lint format-check openapi-check

format-check:
	@tests/install-debs clang-format
	@clang-format --dry-run --Werror $(FORMAT_SRCS) || \
		{ echo "format-check: run make format"; exit 1; }
	@echo "format-check: $(words $(FORMAT_SRCS)) files formatted"

openapi-check:
	@python3 tools/gen-openapi.py | cmp -s - api/openapi.json || \
		{ echo "openapi-check: api/openapi.json is not what tools/gen-openapi.py writes:" \
			"python3 tools/gen-openapi.py > api/openapi.json"; exit 1; }
	@echo "openapi-check: api/openapi.json matches tools/gen-openapi.py"

lint:
	@tests/install-debs cppcheck
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -D__GNUC__ -D_GNU_SOURCE -I. \
		$(wildcard *.c $(addsuffix /*.c,$(MODDIRS)))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/rgw \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/rgwd $(DESTDIR)$(SBINDIR)/rgwd
	$(if $(wildcard rgwctl.c),install -m 0755 $(BUILD)/rgwctl $(DESTDIR)$(BINDIR)/rgwctl)
	install -m 0644 docs/examples/rgw.conf $(DESTDIR)$(SYSCONFDIR)/rgw/rgw.conf.example
	install -m 0644 docs/examples/gwa.demo.json $(DESTDIR)$(SYSCONFDIR)/rgw/gwa.demo.json
	install -m 0644 docs/examples/sysctl-many-connections.conf \
		$(DESTDIR)$(SYSCONFDIR)/rgw/sysctl-many-connections.conf
	install -m 0755 tools/ha/rgw-ha-notify $(DESTDIR)$(SBINDIR)/rgw-ha-notify
	install -m 0755 tools/ha/rgw-ha-check $(DESTDIR)$(SBINDIR)/rgw-ha-check
	install -m 0644 docs/rgw-ha-notify.8 docs/rgw-ha-check.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(SYSCONFDIR)/rgw/ha
	install -m 0644 docs/examples/ha/keepalived.conf docs/examples/ha/conntrackd.conf \
		docs/examples/ha/ha-notify.conf $(DESTDIR)$(SYSCONFDIR)/rgw/ha/
	install -m 0644 docs/rgwd.8 $(DESTDIR)$(MANDIR)/man8/rgwd.8
	install -D -m 0644 docs/rgwctl.1 $(DESTDIR)$(MANDIR)/man1/rgwctl.1
	$(BUILD)/rgwd --help-config-man > $(DESTDIR)$(MANDIR)/man5/rgw.conf.5
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' docs/rgwd.service \
		> $(DESTDIR)$(UNITDIR)/rgwd.service
	install -D -m 0644 docs/rgwd.sysusers $(DESTDIR)$(SYSUSERSDIR)/rgwd.conf
	$(if $(NODOCS),,install -d $(DESTDIR)$(DOCDIR) && install -m 0644 README.md docs/api.md \
		docs/policy.md docs/dns.md docs/alg.md docs/nat.md docs/reputation.md \
		docs/packaging.md $(DESTDIR)$(DOCDIR)/)

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/rgwd $(DESTDIR)$(SBINDIR)/rgw-ha-notify \
		$(DESTDIR)$(SBINDIR)/rgw-ha-check $(DESTDIR)$(MANDIR)/man8/rgw-ha-notify.8 \
		$(DESTDIR)$(MANDIR)/man8/rgw-ha-check.8 $(DESTDIR)$(BINDIR)/rgwctl $(DESTDIR)$(MANDIR)/man1/rgwctl.1 \
		$(DESTDIR)$(MANDIR)/man8/rgwd.8 $(DESTDIR)$(MANDIR)/man5/rgw.conf.5 \
		$(DESTDIR)$(UNITDIR)/rgwd.service $(DESTDIR)$(SYSUSERSDIR)/rgwd.conf
	rm -rf $(DESTDIR)$(DOCDIR)

demo: deps deps-demo
	$(MAKE) all
	RGW_BUILD=$(BUILD) lxc-testbed/demo $(DEMO_FLAGS)

# Fuzzing (clang + libFuzzer): every <area>_*_fuzz.c in tests/fuzz/ or a module directory,
# seeded from tests/fuzz/corpus/<area>/ (copied, so new inputs never land in the tree).
# FUZZ_TIME is per target, in seconds.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 600
FUZZ_SRCS  = $(wildcard tests/fuzz/*_fuzz.c $(addsuffix /*_fuzz.c,$(MODDIRS)))
FUZZ_BINS  = $(addprefix build-fuzz/,$(notdir $(FUZZ_SRCS:.c=)))
vpath %_fuzz.c tests/fuzz $(MODDIRS)

# ctl/ is rgwctl's (libcurl): no fuzz target links it.
FUZZ_LIB_SRCS = $(filter-out ctl/%,$(LIB_SRCS))

build-fuzz/%_fuzz: %_fuzz.c $(FUZZ_LIB_SRCS) $(WIRE_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -pthread -g -O1 -fsanitize=fuzzer,address,undefined \
		-I. $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) -o $@ $< $(FUZZ_LIB_SRCS) \
		$(WIRE_SRCS) $(LDLIBS)

fuzz: $(FUZZ_BINS)
	@for b in $(FUZZ_BINS); do n=$$(basename $$b); a=$${n%%_*}; \
		mkdir -p build-fuzz/corpus-$$n; \
		cp tests/fuzz/corpus/$$a/* build-fuzz/corpus-$$n/ 2>/dev/null; \
		$$b -max_total_time=$(FUZZ_TIME) -timeout=10 build-fuzz/corpus-$$n || exit 1; \
	done

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJS:.o=.d) $(WIRE_OBJS:.o=.d) $(BUILD)/rgwd.d $(BUILD)/rgwctl.d
