/* SPDX-License-Identifier: MIT */
/* tests/unit/test_conf.c -- rgw.conf schema, parser, errors, example and man page */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"

#define MAX_ERRS 64

struct errs {
	unsigned n;
	unsigned line[MAX_ERRS];
	char file[MAX_ERRS][64];
	char msg[MAX_ERRS][512];
};

static void
collect(const char *file, unsigned line, const char *msg, void *arg)
{
	struct errs *e = arg;

	assert_non_null(file);
	if (e->n < MAX_ERRS) {
		e->line[e->n] = line;
		util_strlcpy(e->file[e->n], file, sizeof(e->file[0]));
		util_strlcpy(e->msg[e->n], msg, sizeof(e->msg[0]));
	}
	e->n++;
}

static void
dump(const struct errs *e)
{
	for (unsigned i = 0; i < e->n && i < MAX_ERRS; i++)
		fprintf(stderr, "  line %u: %s\n", e->line[i], e->msg[i]);
}

/* Parse text over the defaults; expect exactly one error at `line` containing `needle`. */
static void
expect_error(const char *text, unsigned line, const char *needle)
{
	struct conf *c = malloc(sizeof(*c));
	struct errs e = { 0 };

	assert_non_null(c);
	conf_defaults(c);
	assert_int_equal(conf_load_string(c, text, "t.conf", collect, &e), -EINVAL);
	if (e.n != 1 || e.line[0] != line || strstr(e.msg[0], needle) == NULL) {
		dump(&e);
		fail_msg("for '%s': expected one error at line %u with '%s'", text, line, needle);
	}
	free(c);
}

static struct conf *
parse_ok(const char *text)
{
	struct conf *c = malloc(sizeof(*c));
	struct errs e = { 0 };

	assert_non_null(c);
	conf_defaults(c);
	if (conf_load_string(c, text, "t.conf", collect, &e) != 0 || e.n != 0) {
		dump(&e);
		fail_msg("unexpected errors for '%s'", text);
	}
	return c;
}

static void
test_defaults(void **state)
{
	struct conf *c = malloc(sizeof(*c));
	char buf[ADDR_PORT_STRLEN];

	(void)state;
	memset(c, 0xa5, sizeof(*c));
	conf_defaults(c);
	assert_string_equal(c->database, "/var/lib/rgw/rgw.db");
	assert_string_equal(c->bundle_seed, "");
	assert_int_equal(c->log_level, LOG_LVL_INFO);
	assert_false(c->log_syslog);
	assert_true(c->dns_enable);
	assert_int_equal(c->dns_wan.n, 0);
	assert_int_equal(c->dns_lan.n, 0);
	assert_int_equal(c->dns_local.n, 0);
	assert_int_equal(c->dns_ddns.n, 0);
	assert_int_equal(c->dns_upstream.n, 0);
	assert_int_equal(c->dns_upstream_timeouts_ms.n, 3);
	assert_int_equal(c->dns_upstream_timeouts_ms.v[0], 100);
	assert_int_equal(c->dns_upstream_timeouts_ms.v[1], 250);
	assert_int_equal(c->dns_upstream_timeouts_ms.v[2], 250);
	assert_int_equal(c->dns_edns_size, 1232);
	assert_int_equal(c->dns_tcp_idle_ms, 10000);
	assert_int_equal(c->dns_tcp_max_conns, 1024);
	assert_int_equal(c->dns_tcp_max_queries, 100);
	assert_int_equal(c->dns_cookie_rotate_s, 3600);
	assert_int_equal(c->dns_workers, 0);
	assert_string_equal(c->dns_tsig_key, "");
	assert_int_equal(c->dns_lan_ttl, 30);
	assert_true(c->nat_enable);
	assert_string_equal(c->nat_table, "rgw");
	assert_int_equal(c->nat_queue, 1);
	assert_int_equal(c->nat_wan_ifaces.n, 0);
	assert_int_equal(c->nat_lan_ifaces.n, 0);
	assert_false(c->nat_synproxy);
	assert_int_equal(c->nat_helpers.n, 0);
	assert_int_equal(c->nat_forward_policy, CONF_FW_ACCEPT);
	assert_int_equal(c->nat_reject_memory_s, 20);
	assert_int_equal(c->nat_reject_memory_max, 65536);
	assert_true(c->alg_enable);
	assert_int_equal(c->alg_listen.n, 0);
	assert_int_equal(c->alg_ports.n, 4);
	assert_int_equal(c->alg_ports.v[0], 80);
	assert_int_equal(c->alg_ports.v[1], 443);
	assert_int_equal(c->alg_ports.v[2], 8080);
	assert_int_equal(c->alg_ports.v[3], 8443);
	assert_int_equal(c->alg_workers, 0);
	assert_int_equal(c->alg_hostname_timeout_ms, 2000);
	assert_int_equal(c->alg_connect_timeout_ms, 2000);
	assert_int_equal(c->alg_idle_timeout_ms, 300000);
	assert_int_equal(c->alg_max_conns, 10000);
	assert_int_equal(c->alg_max_conns_per_source, 512);
	assert_int_equal(c->alg_accept_rate, 2000);
	assert_int_equal(c->alg_accept_burst, 4000);
	assert_true(c->alg_access_log);
	assert_true(c->api_enable);
	assert_int_equal(c->api_listen.n, 1);
	assert_string_equal(addr_port_ntop(&c->api_listen.v[0], buf, sizeof(buf)),
			    "127.0.0.1:8080");
	assert_string_equal(c->api_tls_cert, "");
	assert_string_equal(c->api_tls_key, "");
	assert_int_equal(c->api_max_body, 1048576);
	assert_int_equal(c->api_rate, 50);
	assert_int_equal(c->api_rate_burst, 100);
	assert_int_equal(c->rep_period_s, 20);
	assert_int_equal(c->rep_save_interval_s, 60);
	assert_int_equal(conf_validate(c, NULL, NULL), 0);
	free(c);
}

/* Every default goes through the parser without an error, and every key is unique. */
static void
test_schema_defaults_parse(void **state)
{
	char text[1024];

	(void)state;
	for (const struct conf_item *it = conf_schema; it->key != NULL; it++) {
		struct conf *c;

		assert_non_null(it->help);
		assert_true(strlen(it->help) > 10);
		snprintf(text, sizeof(text), "[%s]\n%s = %s\n", it->section, it->key, it->def);
		c = parse_ok(text);
		free(c);
		assert_ptr_equal(conf_find(it->section, it->key), it);
		for (const struct conf_item *o = it + 1; o->key != NULL; o++)
			assert_false(strcmp(o->section, it->section) == 0 &&
				     strcmp(o->key, it->key) == 0);
	}
	assert_null(conf_find("dns", "nope"));
}

static void
test_error_classes(void **state)
{
	(void)state;
	expect_error("[dns]\n\n[bogus]\nx = 1\n", 3, "unknown section [bogus]");
	expect_error("[dns]\nedns_size = 1232\nlevel = info\n", 3,
		     "unknown key 'level' in [dns] (did you mean [log] level?)");
	expect_error("[dns]\nedns_sise = 1232\n", 2, "did you mean edns_size?");
	expect_error("[dns]\nzzzzzzzzzz = 1\n", 2, "unknown key 'zzzzzzzzzz' in [dns]");
	expect_error("[dns]\nedns_size = 1232\n# c\nedns_size = 1400\n", 4,
		     "duplicate key 'edns_size' in [dns]");
	expect_error("[dns]\nedns_size 1232\n", 2, "missing '='");
	expect_error("[dns]\n = 1232\n", 2, "missing key");
	expect_error("[dns]\nedns_size = big\n", 2, "'big' is not an integer");
	expect_error("[dns]\nedns_size = 12x\n", 2, "not an integer");
	expect_error("[dns]\nedns_size =\n", 2, "not an integer");
	expect_error("[dns]\nedns_size = 100\n", 2, "100 is out of range 512..4096");
	expect_error("[dns]\nedns_size = 5000\n", 2, "out of range 512..4096");
	expect_error("[dns]\nupstream_timeouts = 100, 5\n", 2, "5 is out of range 10..10000");
	expect_error("[dns]\nenable = maybe\n", 2, "'maybe' is not a boolean");
	expect_error("[dns]\nwan = 1.2.3.4:99999\n", 2, "bad address '1.2.3.4:99999'");
	expect_error("[dns]\nwan = 1.2.3.4, nothere\n", 2, "bad address 'nothere'");
	expect_error("[dns]\nwan = 1.2.3.4:0\n", 2, "bad address");
	expect_error("[alg]\nlisten = 127.0.0.1\n", 2, "port required");
	expect_error("[log]\nlevel = verbose\n", 2,
		     "'verbose' is not one of err, warn, info, debug");
	expect_error("[nat]\nforward_policy = reject\n", 2, "is not one of accept, drop");
	expect_error("[nat]\nhelpers = ftp, h323\n", 2, "'h323' is not one of ftp, sip, tftp");
	expect_error("[nat]\ntable = bad name\n", 2, "only letters, digits");
	expect_error("[nat]\ntable =\n", 2, "length must be 1..63");
	expect_error("[nat]\nwan_interfaces = averyveryverylongname0\n", 2, "15 characters");
	expect_error("[nat]\nlan_prefixes6 = 192.168.0.0/24\n", 2, "expected an IPv6 prefix");
	expect_error("[nat]\nlan_prefixes6 = 2001:db8::1/64\n", 2, "expected an IPv6 prefix");
	expect_error("[dns]\ntsig_key = k:hmac-foo:AAAA\n", 2, "unknown TSIG algorithm");
	expect_error("[dns]\ntsig_key = k:hmac-sha256:not*base64\n", 2, "not base64");
	expect_error("[dns]\ntsig_key = justakey\n", 2, "name:algorithm:base64secret");
	expect_error("[dns]\nwan = \"127.0.0.1\n", 2, "unterminated quote");
	expect_error("[dns]\nwan = 127.0.0.1,,127.0.0.2\n", 2, "empty item");
	expect_error("[dns]\nwan = 127.0.0.1,\n", 2, "empty item");
	expect_error("[dns]\nwan = ,127.0.0.1\n", 2, "empty item");
	expect_error("[alg]\nports = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n", 2,
		     "too many items (at most 16)");
	expect_error("edns_size = 1232\n", 1, "outside of any section");
	expect_error("[dns\n", 1, "missing ']'");
	expect_error("[dns] junk\n", 1, "unexpected text after section header");
	expect_error("[daemon]\ndatabase =\n", 2, "length must be");

	/* line too long: exactly one error, on the right line, and parsing continues */
	size_t n = 5000;
	char *text = malloc(n + 64);

	assert_non_null(text);
	strcpy(text, "[dns]\n# ");
	memset(text + 8, 'x', n);
	strcpy(text + 8 + n, "\nedns_size = 1400\n");
	expect_error(text, 2, "line too long");
	/* 4096 characters is still fine */
	memset(text + 8, 'x', n);
	text[4096] = '\0';
	struct conf *c = parse_ok(text);

	free(c);
	free(text);
}

static void
test_errors_continue(void **state)
{
	static const char text[] = "[dns]\n"		   /* 1 */
				   "edns_size = 1\n"	   /* 2: range */
				   "tcp_max_queries = 7\n" /* 3: fine */
				   "[nope]\n"		   /* 4: unknown section */
				   "whatever = 1\n"	   /* 5: skipped silently */
				   "[log]\n"		   /* 6 */
				   "level = loud\n"	   /* 7: enum */
				   "syslog = yes\n"	   /* 8: fine */
				   "bad line\n";	   /* 9: missing '=' */
	struct conf *c = malloc(sizeof(*c));
	struct errs e = { 0 };

	(void)state;
	conf_defaults(c);
	assert_int_equal(conf_load_string(c, text, "t.conf", collect, &e), -EINVAL);
	assert_int_equal(e.n, 4);
	assert_int_equal(e.line[0], 2);
	assert_int_equal(e.line[1], 4);
	assert_int_equal(e.line[2], 7);
	assert_int_equal(e.line[3], 9);
	/* good lines were applied, bad ones left the defaults */
	assert_int_equal(c->dns_tcp_max_queries, 7);
	assert_true(c->log_syslog);
	assert_int_equal(c->dns_edns_size, 1232);
	assert_int_equal(c->log_level, LOG_LVL_INFO);
	free(c);
}

static void
test_full_file(void **state)
{
	static const char text[] = "# full configuration\n"
				   "; semicolon comment\n"
				   "[daemon]\n"
				   "database = /tmp/rgw test.db\n"
				   "bundle_seed = /etc/rgw/seed.json\n"
				   "[log]\n"
				   "level = debug\n"
				   "syslog = true\n"
				   "[dns]\n"
				   "enable = on\n"
				   "wan = 198.51.100.1, [2001:db8::53]:5300\n"
				   "lan = 192.168.0.1\n"
				   "local = 127.0.0.1:5355\n"
				   "ddns = *:5300\n"
				   "upstream = 9.9.9.9, 1.1.1.1:53, [2606:4700::1111]\n"
				   "upstream_timeouts = 50, 100\n"
				   "edns_size = 4096\n"
				   "tcp_idle_timeout = 500\n"
				   "tcp_max_connections = 65536\n"
				   "tcp_max_queries = 1\n"
				   "cookie_rotate = 60\n"
				   "workers = 2\n"
				   "tsig_key = ddns-key:hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0\n"
				   "lan_ttl = 0\n"
				   "[nat]\n"
				   "enable = no\n"
				   "table = rgw_test-1\n"
				   "queue = 65535\n"
				   "wan_interfaces = eth0, eth1\n"
				   "lan_interfaces = br-lan\n"
				   "lan_prefixes6 = 2001:db8:2::/64, fd00::/48\n"
				   "synproxy = 1\n"
				   "helpers = FTP, tftp\n"
				   "forward_policy = drop\n"
				   "reject_memory = 0\n"
				   "reject_memory_max = 10000000\n"
				   "[alg]\n"
				   "enable = yes\n"
				   "listen = 127.0.0.1:18080, [::1]:18443\n"
				   "ports = 443\n"
				   "workers = 64\n"
				   "hostname_timeout = 100\n"
				   "connect_timeout = 60000\n"
				   "idle_timeout = 86400000\n"
				   "max_connections = 1000000\n"
				   "max_connections_per_source = 10\n"
				   "accept_rate = 1\n"
				   "accept_burst = 1000000\n"
				   "access_log = off\n"
				   "[api]\n"
				   "enable = yes\n"
				   "listen = 127.0.0.1, [::1]:9090\n"
				   "tls_cert = /etc/rgw/api.crt\n"
				   "tls_key = /etc/rgw/api.key\n"
				   "max_body = 1024\n"
				   "rate = 100000\n"
				   "rate_burst = 1\n"
				   "[reputation]\n"
				   "period = 3600\n"
				   "save_interval = 1\n";
	struct conf *c;
	char b[ADDR_PORT_STRLEN];

	(void)state;
	c = parse_ok(text);
	assert_string_equal(c->database, "/tmp/rgw test.db");
	assert_string_equal(c->bundle_seed, "/etc/rgw/seed.json");
	assert_int_equal(c->log_level, LOG_LVL_DEBUG);
	assert_true(c->log_syslog);
	assert_int_equal(c->dns_wan.n, 2);
	assert_string_equal(addr_port_ntop(&c->dns_wan.v[0], b, sizeof(b)), "198.51.100.1:53");
	assert_string_equal(addr_port_ntop(&c->dns_wan.v[1], b, sizeof(b)), "[2001:db8::53]:5300");
	assert_string_equal(addr_port_ntop(&c->dns_lan.v[0], b, sizeof(b)), "192.168.0.1:53");
	assert_string_equal(addr_port_ntop(&c->dns_ddns.v[0], b, sizeof(b)), "0.0.0.0:5300");
	assert_int_equal(c->dns_upstream.n, 3);
	assert_string_equal(addr_port_ntop(&c->dns_upstream.v[2], b, sizeof(b)),
			    "[2606:4700::1111]:53");
	assert_int_equal(c->dns_upstream_timeouts_ms.n, 2);
	assert_int_equal(c->dns_upstream_timeouts_ms.v[1], 100);
	assert_int_equal(c->dns_edns_size, 4096);
	assert_int_equal(c->dns_tcp_idle_ms, 500);
	assert_int_equal(c->dns_tcp_max_conns, 65536);
	assert_int_equal(c->dns_tcp_max_queries, 1);
	assert_int_equal(c->dns_cookie_rotate_s, 60);
	assert_int_equal(c->dns_workers, 2);
	assert_string_equal(c->dns_tsig_key, "ddns-key:hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0");
	assert_int_equal(c->dns_lan_ttl, 0);
	assert_false(c->nat_enable);
	assert_string_equal(c->nat_table, "rgw_test-1");
	assert_int_equal(c->nat_queue, 65535);
	assert_int_equal(c->nat_wan_ifaces.n, 2);
	assert_string_equal(c->nat_wan_ifaces.v[1], "eth1");
	assert_string_equal(c->nat_lan_ifaces.v[0], "br-lan");
	assert_int_equal(c->nat_lan_prefixes6.n, 2);
	assert_string_equal(c->nat_lan_prefixes6.v[1], "fd00::/48");
	assert_true(c->nat_synproxy);
	assert_int_equal(c->nat_helpers.n, 2);
	assert_string_equal(c->nat_helpers.v[0], "ftp");
	assert_int_equal(c->nat_forward_policy, CONF_FW_DROP);
	assert_int_equal(c->nat_reject_memory_s, 0);
	assert_int_equal(c->nat_reject_memory_max, 10000000);
	assert_int_equal(c->alg_listen.n, 2);
	assert_string_equal(addr_port_ntop(&c->alg_listen.v[1], b, sizeof(b)), "[::1]:18443");
	assert_int_equal(c->alg_ports.n, 1);
	assert_int_equal(c->alg_ports.v[0], 443);
	assert_int_equal(c->alg_workers, 64);
	assert_int_equal(c->alg_hostname_timeout_ms, 100);
	assert_int_equal(c->alg_connect_timeout_ms, 60000);
	assert_int_equal(c->alg_idle_timeout_ms, 86400000);
	assert_int_equal(c->alg_max_conns, 1000000);
	assert_int_equal(c->alg_max_conns_per_source, 10);
	assert_int_equal(c->alg_accept_rate, 1);
	assert_int_equal(c->alg_accept_burst, 1000000);
	assert_false(c->alg_access_log);
	assert_int_equal(c->api_listen.n, 2);
	assert_string_equal(addr_port_ntop(&c->api_listen.v[0], b, sizeof(b)), "127.0.0.1:8080");
	assert_string_equal(addr_port_ntop(&c->api_listen.v[1], b, sizeof(b)), "[::1]:9090");
	assert_string_equal(c->api_tls_cert, "/etc/rgw/api.crt");
	assert_string_equal(c->api_tls_key, "/etc/rgw/api.key");
	assert_int_equal(c->api_max_body, 1024);
	assert_int_equal(c->api_rate, 100000);
	assert_int_equal(c->api_rate_burst, 1);
	assert_int_equal(c->rep_period_s, 3600);
	assert_int_equal(c->rep_save_interval_s, 1);
	assert_int_equal(conf_validate(c, NULL, NULL), 0);
	free(c);
}

static void
test_lists_replace(void **state)
{
	struct conf *c;

	(void)state;
	c = parse_ok("[alg]\nports = 8443\n");
	assert_int_equal(c->alg_ports.n, 1);
	assert_int_equal(c->alg_ports.v[0], 8443);
	free(c);
	/* empty value: empty list */
	c = parse_ok("[alg]\nports =\n[dns]\nupstream_timeouts =   # none\n");
	assert_int_equal(c->alg_ports.n, 0);
	assert_int_equal(c->dns_upstream_timeouts_ms.n, 0);
	free(c);
	/* the api listen default is replaced, not appended to */
	c = parse_ok("[api]\nlisten = 127.0.0.2:1, 127.0.0.3:2\n");
	assert_int_equal(c->api_listen.n, 2);
	assert_int_equal(addr_port_port(&c->api_listen.v[0]), 1);
	free(c);
	/* 16 items is the maximum */
	c = parse_ok("[alg]\nports = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n");
	assert_int_equal(c->alg_ports.n, 16);
	assert_int_equal(c->alg_ports.v[15], 16);
	free(c);
}

static void
test_quotes_and_comments(void **state)
{
	struct conf *c;

	(void)state;
	c = parse_ok("  [dns]   # trailing comment\n"
		     "\tedns_size\t=\t1400   # comment after a value\n"
		     "tcp_max_queries = 9 ; semicolon comment\n"
		     "   # indented comment\n"
		     "   ; indented comment\n"
		     "\n"
		     "[daemon]\n"
		     "database = \"/tmp/with # hash ; and, comma\"  # real comment\n"
		     "bundle_seed = \"  spaced  \"\n"
		     "[nat]\n"
		     "wan_interfaces = \"eth0\" , eth1   ,\"eth2\"\n"
		     "[api]\r\n"
		     "tls_cert = /a#b\r\n"
		     "tls_key = /k\n");
	assert_int_equal(c->dns_edns_size, 1400);
	assert_int_equal(c->dns_tcp_max_queries, 9);
	assert_string_equal(c->database, "/tmp/with # hash ; and, comma");
	assert_string_equal(c->bundle_seed, "  spaced  ");
	assert_int_equal(c->nat_wan_ifaces.n, 3);
	assert_string_equal(c->nat_wan_ifaces.v[0], "eth0");
	assert_string_equal(c->nat_wan_ifaces.v[1], "eth1");
	assert_string_equal(c->nat_wan_ifaces.v[2], "eth2");
	/* '#' not preceded by whitespace is part of the value */
	assert_string_equal(c->api_tls_cert, "/a#b");
	free(c);
	/* a quoted empty string is an empty string, not an error */
	c = parse_ok("[daemon]\nbundle_seed = \"\"\n");
	assert_string_equal(c->bundle_seed, "");
	free(c);
	/* booleans in every spelling */
	c = parse_ok("[log]\nsyslog = YES\n[dns]\nenable = False\n[nat]\nsynproxy = On\n");
	assert_true(c->log_syslog);
	assert_false(c->dns_enable);
	assert_true(c->nat_synproxy);
	free(c);
}

static void
test_example_round_trip(void **state)
{
	struct conf *def = malloc(sizeof(*def)), *c = malloc(sizeof(*c));
	struct errs e = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	conf_write_example(f);
	fclose(f);
	/* every key appears, uncommented */
	for (const struct conf_item *it = conf_schema; it->key != NULL; it++) {
		char needle[128];

		snprintf(needle, sizeof(needle), "\n%s =", it->key);
		if (strstr(text, needle) == NULL)
			fail_msg("key %s.%s missing from the example", it->section, it->key);
	}
	/* parsed over zeroes (not over defaults), it yields the defaults exactly */
	conf_defaults(def);
	memset(c, 0, sizeof(*c));
	assert_int_equal(conf_load_string(c, text, "example", collect, &e), 0);
	assert_int_equal(e.n, 0);
	assert_memory_equal(c, def, sizeof(*c));
	free(text);
	free(def);
	free(c);
}

static void
test_man_page(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned tp = 0, keys = 0;

	(void)state;
	conf_write_man(f);
	fclose(f);
	assert_non_null(strstr(text, ".TH RGW.CONF 5"));
	assert_non_null(strstr(text, ".SH \"[dns] SECTION\""));
	assert_non_null(strstr(text, ".SH \"[reputation] SECTION\""));
	assert_non_null(strstr(text, "integer, 512..4096"));
	for (const char *s = text; (s = strstr(s, "\n.TP\n")) != NULL; s++)
		tp++;
	for (const struct conf_item *it = conf_schema; it->key != NULL; it++)
		keys++;
	assert_int_equal(tp, keys);
	free(text);
}

static void
test_example_file(void **state)
{
	struct conf *c = malloc(sizeof(*c));
	struct errs e = { 0 };
	char b[ADDR_PORT_STRLEN];

	(void)state;
	conf_defaults(c);
	assert_int_equal(conf_load(c, "docs/examples/rgw.conf", collect, &e), 0);
	dump(&e);
	assert_int_equal(e.n, 0);
	assert_int_equal(conf_validate(c, collect, &e), 0);
	assert_string_equal(addr_port_ntop(&c->dns_wan.v[0], b, sizeof(b)), "127.0.0.1:5353");
	assert_string_equal(addr_port_ntop(&c->dns_lan.v[0], b, sizeof(b)), "127.0.0.1:5354");
	assert_string_equal(addr_port_ntop(&c->dns_local.v[0], b, sizeof(b)), "127.0.0.1:5355");
	assert_false(c->nat_enable);
	assert_int_equal(c->alg_listen.n, 2);
	assert_string_equal(addr_port_ntop(&c->alg_listen.v[1], b, sizeof(b)), "127.0.0.1:18443");
	assert_string_equal(addr_port_ntop(&c->api_listen.v[0], b, sizeof(b)), "127.0.0.1:8080");
	assert_string_equal(c->database, "/var/lib/rgw/rgw.db");
	assert_string_equal(c->source, "docs/examples/rgw.conf");
	free(c);
}

static void
test_load_files(void **state)
{
	struct conf *c = malloc(sizeof(*c));
	struct errs e = { 0 };
	char path[] = "/tmp/rgwconfXXXXXX";
	int fd;

	(void)state;
	conf_defaults(c);
	assert_int_equal(conf_load(c, "/nonexistent/rgw.conf", collect, &e), -ENOENT);
	assert_int_equal(e.n, 0);
	/* a file with a NUL byte is refused */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[dns]\n\0x = 1\n", 13), 13);
	close(fd);
	assert_int_equal(conf_load(c, path, collect, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "NUL"));
	/* a file without a final newline */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "[dns]\nedns_size = 2048", 22), 22);
	close(fd);
	e.n = 0;
	assert_int_equal(conf_load(c, path, collect, &e), 0);
	assert_int_equal(c->dns_edns_size, 2048);
	unlink(path);
	free(c);
}

static void
test_validate(void **state)
{
	struct conf *c;
	struct errs e = { 0 };

	(void)state;
	c = parse_ok("[api]\ntls_cert = /a.crt\n");
	assert_int_equal(conf_validate(c, collect, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "tls_cert and api.tls_key"));
	assert_int_equal(e.line[0], 0);
	free(c);
	/* the file name of the last conf_load is used in messages */
	struct errs fe = { 0 };
	char path[] = "/tmp/rgwconfvXXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[api]\ntls_key = /k\n", 19), 19);
	close(fd);
	c = malloc(sizeof(*c));
	conf_defaults(c);
	assert_int_equal(conf_load(c, path, collect, &fe), 0);
	assert_int_equal(conf_validate(c, collect, &fe), -EINVAL);
	assert_int_equal(fe.n, 1);
	assert_string_equal(fe.file[0], path);
	unlink(path);
	free(c);
	e.n = 0;
	c = parse_ok("[api]\nlisten =\n[alg]\nmax_connections = 10\n"
		     "[nat]\nwan_interfaces = eth0\nlan_interfaces = eth1, eth0\n"
		     "[dns]\nupstream = 9.9.9.9\nupstream_timeouts =\n");
	assert_int_equal(conf_validate(c, collect, &e), -EINVAL);
	assert_int_equal(e.n, 4);
	free(c);
	/* disabled API with no listener is fine */
	e.n = 0;
	c = parse_ok("[api]\nenable = no\nlisten =\n");
	assert_int_equal(conf_validate(c, collect, &e), 0);
	free(c);
}

/* [ha]: a pair needs its channel, its peer and its secret; a node is not its own peer */
static void
test_validate_ha(void **state)
{
	struct conf *c;
	struct errs e = { 0 };

	(void)state;
	c = parse_ok("[ha]\nenable = yes\n");
	assert_int_equal(conf_validate(c, collect, &e), -EINVAL);
	assert_int_equal(e.n, 3);
	assert_non_null(strstr(e.msg[0], "ha.listen"));
	assert_non_null(strstr(e.msg[1], "ha.peer"));
	assert_non_null(strstr(e.msg[2], "ha.secret_file"));
	free(c);
	e.n = 0;
	c = parse_ok("[ha]\nenable = yes\nrole = active\nlisten = 10.9.0.1\n"
		     "peer = 10.9.0.1:7440\nsecret_file = /etc/rgw/ha.secret\n");
	assert_int_equal(c->ha_role, CONF_HA_ACTIVE);
	assert_int_equal(addr_port_port(&c->ha_listen.v[0]), 7440);
	assert_int_equal(conf_validate(c, collect, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "own ha.listen"));
	free(c);
	e.n = 0;
	c = parse_ok("[ha]\nenable = yes\nlisten = 10.9.0.1\npeer = 10.9.0.2\n"
		     "secret_file = /etc/rgw/ha.secret\n");
	assert_int_equal(c->ha_role, CONF_HA_STANDBY);
	assert_int_equal(conf_validate(c, collect, &e), 0);
	free(c);
	/* the API is how keepalived's script changes the role */
	e.n = 0;
	c = parse_ok("[ha]\nenable = yes\nlisten = 10.9.0.1\npeer = 10.9.0.2\n"
		     "secret_file = /s\n[api]\nenable = no\n");
	assert_int_equal(conf_validate(c, collect, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	free(c);
}

/* The errors conf_validate reports for [ha] text (a valid pair around it); each must contain
 * its needle, in order. */
static void
expect_ha_tls(const char *extra, const char *const *needles, size_t n, bool tls_on)
{
	char text[2048];
	struct conf *c;
	struct errs e = { 0 };

	snprintf(text, sizeof(text),
		 "[ha]\nenable = yes\nlisten = 10.9.0.1\npeer = 10.9.0.2\nsecret_file = /s\n%s",
		 extra);
	c = parse_ok(text);
	assert_int_equal(conf_validate(c, collect, &e), n ? -EINVAL : 0);
	if (e.n != n) {
		dump(&e);
		fail_msg("for '%s': expected %zu errors", extra, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (strstr(e.msg[i], needles[i]) == NULL)
			fail_msg("for '%s': '%s' does not say '%s'", extra, e.msg[i], needles[i]);
	}
	assert_int_equal(conf_ha_tls_on(c), tls_on);
	free(c);
}

/* [ha] tls: the channel presents the API's certificate and verifies the peer's; a config
 * that asks for TLS without a certificate or a way to verify, or that names a peer check for
 * a plain channel, is refused with the keys to change */
static void
test_validate_ha_tls(void **state)
{
	static const char fp[] = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
				 "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	char text[512];
	struct conf *c;

	(void)state;
	/* plain without a certificate (auto, the default) or when told so */
	expect_ha_tls("", NULL, 0, false);
	expect_ha_tls("tls = off\n", NULL, 0, false);
	expect_ha_tls("tls = off\n[api]\ntls_cert = /c\ntls_key = /k\n", NULL, 0, false);
	/* TLS with the API's certificate and a way to verify the peer */
	expect_ha_tls("peer_ca = /ca.pem\n[api]\ntls_cert = /c\ntls_key = /k\n", NULL, 0, true);
	snprintf(text, sizeof(text),
		 "tls = required\npeer_fingerprint = %s, %.64s\n"
		 "[api]\ntls_cert = /c\ntls_key = /k\n",
		 fp,
		 "0123456789abcdef0123456789abcdef"
		 "0123456789abcdef0123456789abcdef");
	expect_ha_tls(text, NULL, 0, true);
	memmove(text + 5, text, strlen(text) + 1);
	memcpy(text, "[ha]\n", 5);
	c = parse_ok(text);
	assert_int_equal(c->ha_tls, CONF_HA_TLS_REQUIRED);
	assert_int_equal(c->ha_peer_fingerprint.n, 2);
	assert_string_equal(c->ha_peer_fingerprint.v[0], fp);
	free(c);
	/* contradictions */
	expect_ha_tls("tls = required\npeer_ca = /ca.pem\n",
		      (const char *const[]){ "ha.tls is required but api.tls_cert is empty" }, 1,
		      true);
	expect_ha_tls("[api]\ntls_cert = /c\ntls_key = /k\n",
		      (const char *const[]){ "needs ha.peer_ca or ha.peer_fingerprint" }, 1, true);
	expect_ha_tls("tls = required\n[api]\ntls_cert = /c\ntls_key = /k\n",
		      (const char *const[]){ "needs ha.peer_ca or ha.peer_fingerprint" }, 1, true);
	expect_ha_tls("peer_ca = /ca.pem\n",
		      (const char *const[]){ "channel is plain (api.tls_cert is empty)" }, 1,
		      false);
	snprintf(text, sizeof(text),
		 "tls = off\npeer_fingerprint = %s\n[api]\ntls_cert = /c\n"
		 "tls_key = /k\n",
		 fp);
	expect_ha_tls(text, (const char *const[]){ "channel is plain (ha.tls = off)" }, 1, false);
	/* the checks hold only for a pair */
	c = parse_ok("[ha]\ntls = required\n");
	assert_int_equal(conf_validate(c, NULL, NULL), 0);
	free(c);
	/* the values themselves */
	expect_error("[ha]\ntls = maybe\n", 2, "tls");
	expect_error("[ha]\npeer_fingerprint = abcd\n", 2, "64 hex digits");
	snprintf(text, sizeof(text), "[ha]\npeer_fingerprint = %sAB\n", fp);
	expect_error(text, 2, "64 hex digits");
	snprintf(text, sizeof(text), "[ha]\npeer_fingerprint = %.63sx\n",
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	expect_error(text, 2, "64 hex digits");
	expect_error("[ha]\npeer_fingerprint = :AB:CD\n", 2, "64 hex digits");
	expect_error("[ha]\npeer_fingerprint = AB::CD\n", 2, "64 hex digits");
}

static void
test_values_with_equals_and_repeated_sections(void **state)
{
	struct conf *c;

	(void)state;
	/* only the first '=' separates key and value: base64 padding survives */
	c = parse_ok("[dns]\ntsig_key = ddns:HMAC-SHA512:c2VjcmV0IQ==\n"
		     "[alg]\nports = 443\n"
		     "[dns]\nedns_size = 1400\n");
	assert_string_equal(c->dns_tsig_key, "ddns:HMAC-SHA512:c2VjcmV0IQ==");
	assert_int_equal(c->dns_edns_size, 1400);
	free(c);
	/* a section may be reopened, but a key still appears once */
	expect_error("[dns]\nedns_size = 1400\n[alg]\n[dns]\nedns_size = 1400\n", 5,
		     "duplicate key");
	expect_error("[dns]\ntsig_key = k:hmac-sha256:c2Vj=mV0\n", 2, "not base64");
	expect_error("[ dns ]\nedns_size = 1\n", 2, "out of range");
}

/* Deterministic mutations of a valid file: whatever the damage, no crash (ASan/UBSan in
 * make SAN=1 check), and the result is either clean or reported. */
static void
test_mutations_do_not_crash(void **state)
{
	static const char base[] = "[daemon]\ndatabase = \"/tmp/x # y\"\n[dns]\n"
				   "wan = 127.0.0.1:5353, [::1]:53 # c\nupstream_timeouts = 1,2\n"
				   "[nat]\nhelpers = ftp\ntable = rgw\n[api]\nlisten = *:80\n";
	static const char alphabet[] = "[]=#;,\"\n \t:*0123456789abcdefyesno.-";
	struct conf *c = malloc(sizeof(*c));
	char text[sizeof(base) + 64];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = sizeof(base) - 1;
		struct errs e = { 0 };
		int r;

		memcpy(text, base, sizeof(base));
		for (int m = 0; m < 4; m++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			size_t pos = (size_t)(x % len);
			char ch = alphabet[(x >> 32) % (sizeof(alphabet) - 1)];

			if ((x >> 20) % 3 == 0 && len + 1 < sizeof(text)) {
				memmove(text + pos + 1, text + pos, len - pos + 1);
				text[pos] = ch;
				len++;
			} else if ((x >> 20) % 3 == 1 && len > 1) {
				memmove(text + pos, text + pos + 1, len - pos);
				len--;
			} else {
				text[pos] = ch;
			}
		}
		conf_defaults(c);
		r = conf_load_string(c, text, "m.conf", collect, &e);
		assert_true((r == 0 && e.n == 0) || (r == -EINVAL && e.n > 0));
		conf_validate(c, collect, &e);
	}
	free(c);
}

/* A UTF-8 byte order mark at the start is skipped; anywhere else it is an error. */
static void
test_bom(void **state)
{
	struct conf *c;

	(void)state;
	c = parse_ok("\xef\xbb\xbf[log]\nlevel = debug\n");
	assert_int_equal(c->log_level, 3);
	free(c);
	c = parse_ok("\xef\xbb\xbf# comment\n[dns]\nenable = no\n");
	assert_false(c->dns_enable);
	free(c);
	expect_error("[log]\n\xef\xbb\xbflevel = debug\n", 2, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_schema_defaults_parse),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_errors_continue),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_lists_replace),
		cmocka_unit_test(test_quotes_and_comments),
		cmocka_unit_test(test_example_round_trip),
		cmocka_unit_test(test_man_page),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_validate_ha),
		cmocka_unit_test(test_validate_ha_tls),
		cmocka_unit_test(test_values_with_equals_and_repeated_sections),
		cmocka_unit_test(test_mutations_do_not_crash),
		cmocka_unit_test(test_bom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
