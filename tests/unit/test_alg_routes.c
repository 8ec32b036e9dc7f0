/* SPDX-License-Identifier: MIT */
/* tests/unit/test_alg_routes.c -- ALG routing snapshot, PROXY headers, admission limits,
 * worker count */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sched.h>

#include "alg/alg.h"
#include "alg/limit.h"
#include "alg/pp.h"
#include "alg/routes.h"
#include "common/util.h"

static void
test_routes_build_lookup(void **state)
{
	struct pol_snap *s = pol_snap_new();
	struct pol_alg_route r[2];
	struct pol_host h[1];
	struct pol_service svc[3];
	struct alg_routes *rt;
	const struct alg_route *x;

	(void)state;
	assert_non_null(s);
	memset(r, 0, sizeof(r));
	strcpy(r[0].hostname, "www.a.test");
	r[0].listen_port = 443;
	addr_parse("10.0.0.1", &r[0].backend);
	r[0].backend_port = 8443;
	r[0].preserve = POL_PRESERVE_PROXY_V2;
	strcpy(r[1].hostname, "www.b.test"); /* overrides the service below */
	r[1].listen_port = 0;
	addr_parse("10.0.0.9", &r[1].backend);
	r[1].backend_port = 80;
	memset(h, 0, sizeof(h));
	h[0].id = 7;
	strcpy(h[0].fqdn, "b.test");
	addr_parse("192.168.0.5", &h[0].ipv4);
	memset(svc, 0, sizeof(svc));
	svc[0].id = 1;
	svc[0].host_id = 7;
	strcpy(svc[0].fqdn, "www.b.test");
	svc[0].proxy_required = true;
	svc[1].id = 2;
	svc[1].host_id = 7;
	strcpy(svc[1].fqdn, "web.b.test");
	svc[1].proxy_required = true;
	svc[2].id = 3;
	svc[2].host_id = 7;
	strcpy(svc[2].fqdn, "ssh.b.test"); /* not proxied */
	s->alg_routes = r;
	s->n_alg_routes = 2;
	s->hosts = h;
	s->n_hosts = 1;
	s->services = svc;
	s->n_services = 3;
	rt = alg_routes_build(s);
	assert_non_null(rt);
	assert_int_equal(alg_routes_count(rt), 3);
	x = alg_routes_lookup(rt, "www.a.test", 443);
	assert_non_null(x);
	assert_int_equal(x->backend_port, 8443);
	assert_int_equal(x->preserve, POL_PRESERVE_PROXY_V2);
	assert_null(alg_routes_lookup(rt, "www.a.test", 80)); /* port-specific */
	x = alg_routes_lookup(rt, "www.b.test", 8080);
	assert_non_null(x);
	assert_int_equal(x->backend_port, 80);
	assert_int_equal(addr_v4(&x->backend), 0x0a000009);
	x = alg_routes_lookup(rt, "web.b.test", 443);
	assert_non_null(x);
	assert_int_equal(x->backend_port, 0); /* same as the listener */
	assert_int_equal(addr_v4(&x->backend), 0xc0a80005);
	assert_null(alg_routes_lookup(rt, "ssh.b.test", 443));
	assert_null(alg_routes_lookup(rt, "nope.test", 443));
	/* the snapshot outlives the policy it came from */
	s->alg_routes = NULL;
	s->n_alg_routes = 0;
	s->hosts = NULL;
	s->n_hosts = 0;
	s->services = NULL;
	s->n_services = 0;
	pol_snap_unref(s);
	assert_non_null(alg_routes_ref(rt));
	alg_routes_unref(rt);
	assert_non_null(alg_routes_lookup(rt, "www.a.test", 443));
	alg_routes_unref(rt);
}

static void
test_pp_headers(void **state)
{
	struct addr s4, d4, s6, d6;
	uint8_t out[ALG_PP_MAX];
	size_t n;
	static const uint8_t v2[] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, /* sig */
		0x21,		     /* v2, PROXY */
		0x11,		     /* TCP over IPv4 */
		0x00, 0x0c,	     /* length 12 */
		192,  0,    2,	  1, /* src */
		198,  51,   100,  2, /* dst */
		0xc3, 0x50,	     /* 50000 */
		0x01, 0xbb,	     /* 443 */
	};

	(void)state;
	addr_parse("192.0.2.1", &s4);
	addr_parse("198.51.100.2", &d4);
	addr_parse("2001:db8::1", &s6);
	addr_parse("2001:db8::2", &d6);
	n = alg_pp_header(1, &s4, 50000, &d4, 443, out);
	assert_int_equal(n, strlen("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\n"));
	assert_memory_equal(out, "PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\n", n);
	n = alg_pp_header(1, &s6, 1, &d6, 2, out);
	assert_memory_equal(out, "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", n);
	n = alg_pp_header(2, &s4, 50000, &d4, 443, out);
	assert_int_equal(n, sizeof(v2));
	assert_memory_equal(out, v2, n);
	n = alg_pp_header(2, &s6, 1, &d6, 2, out);
	assert_int_equal(n, 16 + 36);
	assert_int_equal(out[13], 0x21);
	assert_int_equal(alg_pp_header(2, &s4, 1, &d6, 2, out), 0);
}

static void
test_limits(void **state)
{
	struct alg_limit *l = alg_limit_new(6, 3, 10, 2);
	struct addr a, b, c;
	uint64_t t = util_mono_ms() + 1000;

	(void)state;
	addr_parse("192.0.2.1", &a);
	addr_parse("192.0.2.2", &b);
	addr_parse("2001:db8::3", &c);
	/* a burst of 2 per source: a's burst does not use up b's or c's */
	assert_int_equal(alg_limit_admit(l, &a, t + 0), ALG_ADMIT_OK);
	assert_int_equal(alg_limit_admit(l, &a, t + 0), ALG_ADMIT_OK);
	assert_int_equal(alg_limit_admit(l, &a, t + 0), ALG_ADMIT_RATE);
	assert_int_equal(alg_limit_admit(l, &b, t + 0), ALG_ADMIT_OK);
	assert_int_equal(alg_limit_admit(l, &c, t + 0), ALG_ADMIT_OK);
	assert_int_equal(alg_limit_count(l, &a), 2);
	assert_int_equal(alg_limit_count(l, &b), 1);
	/* 100 ms later at 10/s: one more token for a; then a is at its cap of 3 */
	assert_int_equal(alg_limit_admit(l, &a, t + 100), ALG_ADMIT_OK);
	assert_int_equal(alg_limit_admit(l, &a, t + 1000), ALG_ADMIT_SOURCE_CAP);
	assert_int_equal(alg_limit_active(l), 5);
	assert_int_equal(alg_limit_admit(l, &c, t + 0), ALG_ADMIT_OK);
	/* global cap of 6 */
	assert_int_equal(alg_limit_admit(l, &b, t + 4000), ALG_ADMIT_GLOBAL_CAP);
	alg_limit_release(l, &a);
	assert_int_equal(alg_limit_admit(l, &a, t + 4000), ALG_ADMIT_OK);
	alg_limit_release(l, &a);
	alg_limit_release(l, &a);
	alg_limit_release(l, &a);
	assert_int_equal(alg_limit_count(l, &a), 0);
	alg_limit_release(l, &b);
	alg_limit_release(l, &c);
	alg_limit_release(l, &c);
	assert_int_equal(alg_limit_active(l), 0);
	alg_limit_free(l);
	alg_limit_free(NULL);
}

/* [alg] workers = 0: one CPU left to the main thread and the kernel, one per DNS worker. */
static void
test_default_workers(void **state)
{
	static const struct {
		long ncpu, dns, want;
	} v[] = {
		{ 1, 0, 1 },   { 2, 0, 1 },    { 3, 0, 2 }, { 4, 0, 3 },   { 8, 0, 7 },
		{ 16, 0, 15 }, { 4, 2, 1 },    { 8, 2, 5 }, { 2, 4, 1 },   { 64, 0, 63 },
		{ 65, 0, 64 }, { 256, 0, 64 }, { 0, 0, 1 }, { -1, -1, 1 }, { 8, -3, 7 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		long got = alg_default_workers(v[i].ncpu, v[i].dns);

		if (got != v[i].want)
			fail_msg("ncpu %ld dns %ld: %ld workers, want %ld", v[i].ncpu, v[i].dns,
				 got, v[i].want);
	}
}

/* alg_new starts what alg_default_workers says for the CPUs of its affinity mask, counts DNS
 * workers only when DNS runs, and an explicit count wins. */
static void
test_alg_new_workers(void **state)
{
	struct conf c;
	struct alg *a;
	cpu_set_t all, one;
	int first = -1, i;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(c.alg_workers, 0);
	a = alg_new(NULL, &c);
	assert_non_null(a);
	assert_int_equal(alg_workers(a), alg_default_workers(util_ncpu(), 0));
	alg_free(a);

	c.dns_enable = true;
	c.dns_workers = 1;
	a = alg_new(NULL, &c);
	assert_non_null(a);
	assert_int_equal(alg_workers(a), alg_default_workers(util_ncpu(), 1));
	alg_free(a);
	c.dns_enable = false;
	a = alg_new(NULL, &c);
	assert_non_null(a);
	assert_int_equal(alg_workers(a), alg_default_workers(util_ncpu(), 0));
	alg_free(a);

	/* one usable CPU: one worker, whatever the machine has */
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	for (i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &all))
			first = i;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	a = alg_new(NULL, &c);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_non_null(a);
	assert_int_equal(alg_workers(a), 1);
	alg_free(a);

	c.alg_workers = 3;
	a = alg_new(NULL, &c);
	assert_non_null(a);
	assert_int_equal(alg_workers(a), 3);
	alg_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_build_lookup),
		cmocka_unit_test(test_pp_headers),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_default_workers),
		cmocka_unit_test(test_alg_new_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
