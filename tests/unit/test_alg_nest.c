/* SPDX-License-Identifier: MIT */
/* tests/unit/test_alg_nest.c -- ALG in front of / behind nested gateways: routes to a nested
 * gateway's ALG, parents, and the PROXY header a parent's ALG sends */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alg/pp.h"
#include "alg/routes.h"

/* Every strict prefix (an exact-size heap copy: ASan catches overreads) needs more. */
static void
all_prefixes(const uint8_t *data, size_t len, enum alg_parse want, size_t want_hlen,
	     struct alg_pp_info *out)
{
	size_t hlen = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t *pre = malloc(i ? i : 1);
		struct alg_pp_info pi;

		memcpy(pre, data, i);
		if (alg_pp_parse(pre, i, &hlen, &pi) != ALG_PARSE_NEED_MORE)
			fail_msg("prefix %zu/%zu: %s", i, len,
				 alg_parse_name(alg_pp_parse(pre, i, &hlen, &pi)));
		free(pre);
	}
	uint8_t *copy = malloc(len);

	memcpy(copy, data, len);
	assert_string_equal(alg_parse_name(alg_pp_parse(copy, len, &hlen, out)),
			    alg_parse_name(want));
	if (want == ALG_PARSE_FOUND)
		assert_int_equal(hlen, want_hlen);
	free(copy);
}

static void
test_pp_round_trip(void **state)
{
	struct addr src, dst;
	uint8_t hdr[ALG_PP_MAX + 8];
	struct alg_pp_info pi;
	size_t n;

	(void)state;
	assert_int_equal(addr_parse("100.64.0.100", &src), 0);
	assert_int_equal(addr_parse("100.64.1.130", &dst), 0);
	for (int v = 1; v <= 2; v++) {
		n = alg_pp_header(v, &src, 41000, &dst, 443, hdr);
		assert_true(n > 0);
		/* the client's first bytes follow: the header length is exact */
		memcpy(hdr + n, "\x16\x03\x01", 3);
		all_prefixes(hdr, n, ALG_PARSE_FOUND, n, &pi);
		assert_true(addr_eq(&pi.src, &src));
		assert_true(addr_eq(&pi.dst, &dst));
		assert_int_equal(pi.sport, 41000);
		assert_int_equal(pi.dport, 443);
		assert_int_equal(alg_pp_parse(hdr, n + 3, &n, &pi), ALG_PARSE_FOUND);
	}
	/* IPv6, v2 */
	assert_int_equal(addr_parse("2001:db8::1", &src), 0);
	assert_int_equal(addr_parse("2001:db8::2", &dst), 0);
	n = alg_pp_header(2, &src, 1, &dst, 2, hdr);
	all_prefixes(hdr, n, ALG_PARSE_FOUND, n, &pi);
	assert_int_equal(pi.src.family, AF_INET6);
}

static void
test_pp_special(void **state)
{
	static const char unknown[] = "PROXY UNKNOWN whatever\r\n";
	static const uint8_t local[16] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
					   0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00 };
	struct alg_pp_info pi;

	(void)state;
	all_prefixes((const uint8_t *)unknown, strlen(unknown), ALG_PARSE_FOUND, strlen(unknown),
		     &pi);
	assert_int_equal(pi.src.family, 0);
	all_prefixes(local, sizeof(local), ALG_PARSE_FOUND, 16, &pi);
	assert_int_equal(pi.src.family, 0);
}

static void
test_pp_invalid(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n",
		"PROXY TCP4 100.64.0.100 100.64.1.130 41000\r\n",
		"PROXY TCP4 100.64.0.100 100.64.1.130 41000 65536\r\n",
		"PROXY TCP4 100.64.0.100 100.64.1.130 041000 443\r\n",
		"PROXY TCP6 100.64.0.100 100.64.1.130 41000 443\r\n",
		"PROXY TCP4 100.64.0.100 100.64.1.130 41000 443\n",
		"PROXY UDP4 100.64.0.100 100.64.1.130 41000 443\r\n",
	};
	uint8_t v2[28] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
			   0x55, 0x49, 0x54, 0x0a, 0x21, 0x12, 0x00, 0x0c }; /* UDP over IPv4 */
	char longline[200];
	struct alg_pp_info pi;
	size_t hlen;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(alg_pp_parse((const uint8_t *)bad[i], strlen(bad[i]), &hlen, &pi),
				 ALG_PARSE_INVALID);
	assert_int_equal(alg_pp_parse(v2, sizeof(v2), &hlen, &pi), ALG_PARSE_INVALID);
	v2[12] = 0x31; /* version 3 */
	assert_int_equal(alg_pp_parse(v2, sizeof(v2), &hlen, &pi), ALG_PARSE_INVALID);
	v2[12] = 0x21;
	v2[13] = 0x11;
	v2[15] = 4; /* too short for two IPv4 addresses and ports */
	assert_int_equal(alg_pp_parse(v2, 20, &hlen, &pi), ALG_PARSE_INVALID);
	/* a v1 line that never ends within 107 bytes */
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "PROXY ", 6);
	assert_int_equal(alg_pp_parse((uint8_t *)longline, sizeof(longline), &hlen, &pi),
			 ALG_PARSE_INVALID);
	assert_int_equal(alg_pp_parse((uint8_t *)longline, 100, &hlen, &pi), ALG_PARSE_NEED_MORE);
}

/* Names below a nested gateway route to its ALG, PROXY v2; parents are known. */
static void
test_nested_routes(void **state)
{
	struct pol_snap *s = pol_snap_new();
	struct pol_host h[2];
	struct pol_resolver_group g[2];
	struct pol_resolver_node rn[2];
	struct pol_alg_route r[1];
	const struct alg_route *x;
	struct alg_routes *rt;
	struct addr a;

	(void)state;
	memset(h, 0, sizeof(h));
	h[0].id = 1;
	strcpy(h[0].fqdn, "nest.gwa.demo");
	addr_parse("192.168.0.10", &h[0].ipv4);
	h[0].nested_port = 53;
	assert_int_equal(pol_nested_add(&h[0], "192.168.0.10/31"), 0);
	h[1].id = 2;
	strcpy(h[1].fqdn, "plain.gwa.demo");
	addr_parse("192.168.0.20", &h[1].ipv4);
	memset(r, 0, sizeof(r));
	strcpy(r[0].hostname, "special.nest.gwa.demo");
	addr_parse("10.9.9.9", &r[0].backend);
	r[0].backend_port = 8443;
	memset(g, 0, sizeof(g));
	g[0].id = 1;
	g[0].parent = true;
	g[1].id = 2;
	memset(rn, 0, sizeof(rn));
	rn[0].id = 1;
	rn[0].group_id = 1;
	assert_int_equal(prefix_parse("10.0.0.0/30", false, &rn[0].prefix), 0);
	rn[1].id = 2;
	rn[1].group_id = 2;
	assert_int_equal(prefix_parse("10.1.0.1", false, &rn[1].prefix), 0);
	s->hosts = h;
	s->n_hosts = 2;
	s->alg_routes = r;
	s->n_alg_routes = 1;
	s->resolver_groups = g;
	s->n_resolver_groups = 2;
	s->resolver_nodes = rn;
	s->n_resolver_nodes = 2;
	rt = alg_routes_build(s);
	assert_non_null(rt);
	x = alg_routes_lookup(rt, "www.test.nest.gwa.demo", 443);
	assert_non_null(x);
	assert_int_equal(addr_v4(&x->backend), 0xc0a8000a);
	assert_int_equal(x->backend_port, 0); /* the listener's port */
	assert_int_equal(x->preserve, POL_PRESERVE_PROXY_V2);
	assert_non_null(alg_routes_lookup(rt, "test.nest.gwa.demo", 80));
	/* not below it: the name itself, a look-alike, another host */
	assert_null(alg_routes_lookup(rt, "nest.gwa.demo", 443));
	assert_null(alg_routes_lookup(rt, "xnest.gwa.demo", 443));
	assert_null(alg_routes_lookup(rt, "www.plain.gwa.demo", 443));
	/* an exact route wins */
	x = alg_routes_lookup(rt, "special.nest.gwa.demo", 443);
	assert_int_equal(x->backend_port, 8443);
	/* parents: the parent group's nodes only */
	addr_parse("10.0.0.2", &a);
	assert_true(alg_routes_parent(rt, &a));
	addr_parse("10.0.0.4", &a);
	assert_false(alg_routes_parent(rt, &a));
	addr_parse("10.1.0.1", &a);
	assert_false(alg_routes_parent(rt, &a));
	alg_routes_unref(rt);
	s->hosts = NULL;
	s->n_hosts = 0;
	s->alg_routes = NULL;
	s->n_alg_routes = 0;
	s->resolver_groups = NULL;
	s->n_resolver_groups = 0;
	s->resolver_nodes = NULL;
	s->n_resolver_nodes = 0;
	pol_snap_unref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pp_round_trip),
		cmocka_unit_test(test_pp_special),
		cmocka_unit_test(test_pp_invalid),
		cmocka_unit_test(test_nested_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
