/* SPDX-License-Identifier: MIT */
/* tests/unit/test_pool6.c -- the pool over IPv6: the IPv6 pool (ULA hosts), pinholes (global
 * hosts), a binding per family for dual-stack hosts */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nat/pool.h"

/*
 * Pool: 100.64.1.131-132 and 2001:db8:1::131-132. Hosts: 1 dual stack with a ULA
 * (192.168.0.100, fd00::100), 2 with a global address only (2001:db8:2::200), 3 IPv4 only.
 */
struct fixture {
	struct pol_snap snap;
	struct pol_pool_addr pool[8];
	struct pol_service_addr sa[2];
	struct pol_host hosts[4];
	struct pol_service svcs[16];
	struct nat_pool *p;
	int n_used, n_expired, n_removed;
	struct nat_binding_info last;
	bool refuse_admission;
	enum nat_svc_class last_class;
	double last_load;
	int last_family;
};

static struct addr
ip(const char *s)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a.family, s, a.u.bytes), 1);
	return a;
}

static const char *
ntop(const struct addr *a)
{
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	return inet_ntop(a->family, a->u.bytes, buf[i], sizeof(buf[i]));
}

static void
on_end(void *arg, const struct nat_binding_info *b, enum nat_binding_end how)
{
	struct fixture *f = arg;

	f->last = *b;
	if (how == NAT_BINDING_USED)
		f->n_used++;
	else if (how == NAT_BINDING_EXPIRED)
		f->n_expired++;
	else
		f->n_removed++;
}

static bool
on_admit(void *arg, const struct nat_request *req, double load, enum nat_svc_class cls)
{
	struct fixture *f = arg;

	f->last_family = req->family;
	f->last_class = cls;
	f->last_load = load;
	return !f->refuse_admission;
}

static void
add_svc(struct fixture *f, int64_t id, int64_t host, uint8_t proto, uint16_t port, bool proxy)
{
	struct pol_service *s = &f->svcs[f->snap.n_services++];

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->host_id = host;
	s->protocol = proto;
	s->port = port;
	s->proxy_required = proxy;
	s->binding_timeout_ms = 2000;
	snprintf(s->fqdn, sizeof(s->fqdn), "svc%lld.gwa.demo", (long long)id);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	/* IPv6 first in the policy: the pool still orders each family on its own */
	const char *pool[] = { "2001:db8:1::132", "100.64.1.132", "2001:db8:1::131",
			       "100.64.1.131" };
	size_t i;

	for (i = 0; i < 4; i++) {
		f->pool[i].id = (int64_t)i + 1;
		f->pool[i].addr = ip(pool[i]);
	}
	f->snap.pool_addrs = f->pool;
	f->snap.n_pool_addrs = 4;
	f->sa[0].id = 1;
	f->sa[0].addr = ip("100.64.1.130");
	f->sa[1].id = 2;
	f->sa[1].addr = ip("2001:db8:1::130");
	f->snap.service_addrs = f->sa;
	f->snap.n_service_addrs = 2;
	f->hosts[0].id = 1;
	f->hosts[0].ipv4 = ip("192.168.0.100");
	f->hosts[0].ipv6 = ip("fd00::100");
	f->hosts[0].pool_limit = 10;
	f->hosts[1].id = 2;
	f->hosts[1].ipv6 = ip("2001:db8:2::200");
	f->hosts[1].pool_limit = 4;
	f->hosts[2].id = 3;
	f->hosts[2].ipv4 = ip("192.168.0.102");
	f->hosts[2].pool_limit = 10;
	f->snap.hosts = f->hosts;
	f->snap.n_hosts = 3;
	f->snap.services = f->svcs;
	add_svc(f, 1, 1, 0, 0, false);	 /* host1 FQDN */
	add_svc(f, 2, 1, 6, 22, false);	 /* ssh.host1 */
	add_svc(f, 3, 2, 0, 0, false);	 /* host2 FQDN (pinhole) */
	add_svc(f, 4, 2, 6, 443, false); /* tcp443.host2 (pinhole, one port) */
	add_svc(f, 5, 2, 0, 0, true);	 /* www.host2, proxy_required */
	add_svc(f, 6, 3, 0, 0, false);	 /* host3 FQDN, IPv4 only */
	f->p = nat_pool_new();
	assert_non_null(f->p);
	nat_pool_set_hooks(f->p, on_admit, on_end, f);
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 0), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nat_pool_free(f->p);
	free(f);
	return 0;
}

static int
req6(struct fixture *f, int family, int64_t host, int64_t svc, const char *resolver, uint64_t now,
     struct addr *out, enum nat_refusal *why)
{
	struct nat_request r;

	memset(&r, 0, sizeof(r));
	r.family = family;
	r.host_id = host;
	r.service_id = svc;
	r.resolver = ip(resolver);
	return nat_pool_request(f->p, &r, now, out, why);
}

static enum nat_lookup
flow(struct fixture *f, const char *src, const struct addr *dst, uint8_t proto, uint16_t port,
     uint64_t now, struct nat_pool_hit *hit)
{
	struct addr s = ip(src);

	return nat_pool_lookup(f->p, &s, dst, proto, port, now, hit);
}

/* A ULA host goes through the IPv6 pool, lowest address first, DNAT to its ULA. */
static void
test_ula_through_v6_pool(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_stats st;
	struct nat_pool_hit hit;
	enum nat_refusal why;
	struct addr a, b;

	assert_int_equal(req6(f, AF_INET6, 1, 1, "2001:db8:0::53", 0, &a, &why), 0);
	assert_string_equal(ntop(&a), "2001:db8:1::131");
	assert_int_equal(f->last_family, AF_INET6);
	assert_int_equal(f->last_class, NAT_CLASS_FQDN_NEW);
	assert_true(f->last_load == 0.0);
	/* the FQDN binding holds its whole address: the next one takes the other */
	assert_int_equal(req6(f, AF_INET6, 1, 2, "2001:db8:0::53", 0, &b, &why), 0);
	assert_string_equal(ntop(&b), "2001:db8:1::132");
	assert_true(f->last_load == 50.0);
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.size, 4);
	assert_int_equal(st.size6, 2);
	assert_int_equal(st.allocated6, 2);
	assert_int_equal(st.allocated, 2);
	/* the IPv6 pool is full; IPv4 is not touched */
	assert_int_equal(req6(f, AF_INET6, 1, 1, "2001:db8:0::54", 0, &b, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_EXHAUSTED);
	assert_int_equal(req6(f, AF_INET, 1, 1, "100.64.0.53", 0, &b, &why), 0);
	assert_string_equal(ntop(&b), "100.64.1.131");
	assert_true(f->last_load == 0.0);
	/* one flow, translated to the ULA */
	assert_int_equal(flow(f, "2001:db8:0::10", &a, 6, 80, 10, &hit), NAT_LOOKUP_OK);
	assert_int_equal(hit.host_id, 1);
	assert_string_equal(ntop(&hit.private_addr), "fd00::100");
	assert_int_equal(flow(f, "2001:db8:0::10", &a, 6, 80, 10, &hit), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(f->n_used, 1);
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.allocated6, 1);
}

/* A dual-stack host: A and AAAA each get a binding of their family; a flow on one family
 * ends only that one. */
static void
test_dual_stack_binding_per_family(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_hit hit;
	enum nat_refusal why;
	struct addr a4, a6, x;

	assert_int_equal(req6(f, AF_INET, 1, 1, "100.64.0.53", 0, &a4, &why), 0);
	assert_int_equal(req6(f, AF_INET6, 1, 1, "100.64.0.53", 0, &a6, &why), 0);
	assert_int_equal(a4.family, AF_INET);
	assert_int_equal(a6.family, AF_INET6);
	assert_int_equal(flow(f, "2001:db8:0::10", &a6, 6, 443, 10, &hit), NAT_LOOKUP_OK);
	assert_string_equal(ntop(&hit.private_addr), "fd00::100");
	assert_int_equal(f->n_used, 1);
	assert_int_equal(f->last.public_addr.family, AF_INET6);
	/* the IPv4 binding still waits for its flow */
	assert_true(nat_pool_pending(f->p, &a4, 1, 20));
	assert_false(nat_pool_pending(f->p, &a6, 1, 20));
	assert_int_equal(flow(f, "100.64.0.10", &a4, 6, 443, 20, &hit), NAT_LOOKUP_OK);
	assert_string_equal(ntop(&hit.private_addr), "192.168.0.100");
	/* an IPv4-only host has no AAAA binding */
	assert_int_equal(req6(f, AF_INET6, 3, 6, "100.64.0.53", 0, &x, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_NO_HOST);
	/* nor an IPv6-only host an A binding */
	assert_int_equal(req6(f, AF_INET, 2, 3, "100.64.0.53", 0, &x, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_NO_HOST);
}

/* A global host gets a pinhole: its own address, no pool address, exactly one flow. */
static void
test_pinhole_one_flow(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_stats st;
	struct nat_pool_hit hit;
	enum nat_refusal why;
	struct addr a, host = ip("2001:db8:2::200");

	/* nobody resolved it: refused */
	assert_int_equal(flow(f, "2001:db8:0::10", &host, 6, 22, 0, &hit), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(req6(f, AF_INET6, 2, 3, "2001:db8:0::53", 0, &a, &why), 0);
	assert_string_equal(ntop(&a), "2001:db8:2::200");
	assert_int_equal(f->last_class, NAT_CLASS_FQDN_NEW);
	/* the load of a pinhole is the host's: 0 pending of 4 */
	assert_true(f->last_load == 0.0);
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.allocated, 0);
	assert_int_equal(st.pinholes, 1);
	assert_int_equal(st.bindings, 1);
	assert_true(nat_pool_pending(f->p, &host, 3, 1));
	assert_false(nat_pool_is_pool_addr(f->p, &host));
	assert_int_equal(flow(f, "2001:db8:0::10", &host, 6, 22, 10, &hit), NAT_LOOKUP_OK);
	assert_int_equal(hit.host_id, 2);
	assert_string_equal(ntop(&hit.private_addr), "2001:db8:2::200");
	assert_int_equal(f->n_used, 1);
	/* a second flow is refused */
	assert_int_equal(flow(f, "2001:db8:0::10", &host, 6, 22, 11, &hit), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(flow(f, "2001:db8:0::11", &host, 17, 53, 11, &hit), NAT_LOOKUP_NO_BINDING);
}

/* An SFQDN pinhole opens its protocol and port only; answers stack, one flow each. */
static void
test_pinhole_service_port_and_stacking(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_hit hit;
	enum nat_refusal why;
	struct addr a, host = ip("2001:db8:2::200");

	assert_int_equal(req6(f, AF_INET6, 2, 4, "2001:db8:0::53", 0, &a, &why), 0);
	assert_int_equal(f->last_class, NAT_CLASS_SFQDN_REUSE);
	assert_int_equal(req6(f, AF_INET6, 2, 4, "2001:db8:0::54", 0, &a, &why), 0);
	assert_true(f->last_load == 25.0); /* one pending of 4 */
	assert_string_equal(ntop(&a), "2001:db8:2::200");
	assert_int_equal(flow(f, "2001:db8:0::10", &host, 6, 22, 10, &hit), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(flow(f, "2001:db8:0::10", &host, 17, 443, 10, &hit),
			 NAT_LOOKUP_NO_BINDING);
	assert_int_equal(flow(f, "2001:db8:0::10", &host, 6, 443, 10, &hit), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "2001:db8:0::11", &host, 6, 443, 10, &hit), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "2001:db8:0::12", &host, 6, 443, 10, &hit), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(f->n_used, 2);
}

/* Pinholes pass admission and the per-host limit, and expire unused like any binding. */
static void
test_pinhole_admission_limit_expiry(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_hit hit;
	enum nat_refusal why;
	struct addr a, host = ip("2001:db8:2::200");
	int i;

	f->refuse_admission = true;
	assert_int_equal(req6(f, AF_INET6, 2, 3, "2001:db8:0::53", 0, &a, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_ADMISSION);
	f->refuse_admission = false;
	for (i = 0; i < 4; i++)
		assert_int_equal(req6(f, AF_INET6, 2, 4, "2001:db8:0::53", 0, &a, &why), 0);
	assert_true(f->last_load == 75.0);
	assert_int_equal(req6(f, AF_INET6, 2, 4, "2001:db8:0::53", 0, &a, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_HOST_LIMIT);
	/* unused, they expire after the binding timeout; then the port is closed */
	assert_int_equal(nat_pool_expire(f->p, 2000), UINT64_MAX);
	assert_int_equal(f->n_expired, 4);
	assert_int_equal(f->last.public_addr.family, AF_INET6);
	assert_int_equal(flow(f, "2001:db8:0::10", &host, 6, 443, 2001, &hit),
			 NAT_LOOKUP_NO_BINDING);
	assert_int_equal(req6(f, AF_INET6, 2, 4, "2001:db8:0::53", 2001, &a, &why), 0);
}

/* SLA: a pinhole bound to its requestor's subnet admits only from there; another pinhole of
 * the same key still admits its own client. */
static void
test_pinhole_sla(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_hit hit;
	enum nat_refusal why;
	struct nat_request r;
	struct addr a, host = ip("2001:db8:2::200");

	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.host_id = 2;
	r.service_id = 4;
	r.resolver = ip("2001:db8:0::53");
	r.has_requestor = true;
	r.requestor.addr = ip("2001:db8:aa::");
	r.requestor.len = 48;
	r.sla = true;
	assert_int_equal(nat_pool_request(f->p, &r, 0, &a, &why), 0);
	assert_int_equal(flow(f, "2001:db8:bb::1", &host, 6, 443, 10, &hit), NAT_LOOKUP_SLA);
	assert_int_equal(req6(f, AF_INET6, 2, 4, "2001:db8:0::54", 10, &a, &why), 0);
	assert_int_equal(flow(f, "2001:db8:bb::1", &host, 6, 443, 20, &hit), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "2001:db8:bb::1", &host, 6, 443, 20, &hit), NAT_LOOKUP_SLA);
	assert_int_equal(flow(f, "2001:db8:aa::7", &host, 6, 443, 20, &hit), NAT_LOOKUP_OK);
}

/* proxy_required answers the service address of the family, no binding. */
static void
test_proxy_required_per_family(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_stats st;
	enum nat_refusal why;
	struct addr a;

	assert_int_equal(req6(f, AF_INET6, 2, 5, "2001:db8:0::53", 0, &a, &why), 0);
	assert_string_equal(ntop(&a), "2001:db8:1::130");
	assert_int_equal(req6(f, AF_INET, 2, 5, "100.64.0.53", 0, &a, &why), 0);
	assert_string_equal(ntop(&a), "100.64.1.130");
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.bindings, 0);
}

/* A policy change keeps pinholes and IPv6 pool bindings whose host kept its address, and
 * removes those whose address changed (or moved from global to ULA). */
static void
test_apply_keeps_and_removes(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_hit hit;
	enum nat_refusal why;
	struct addr a6, ph;

	assert_int_equal(req6(f, AF_INET6, 1, 1, "2001:db8:0::53", 0, &a6, &why), 0);
	assert_int_equal(req6(f, AF_INET6, 2, 3, "2001:db8:0::53", 0, &ph, &why), 0);
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 5), 0);
	assert_int_equal(f->n_removed, 0);
	/* host 2 renumbered into the ULA: its pinhole goes */
	f->hosts[1].ipv6 = ip("fd00::200");
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 6), 0);
	assert_int_equal(f->n_removed, 1);
	assert_string_equal(ntop(&f->last.public_addr), "2001:db8:2::200");
	assert_int_equal(flow(f, "2001:db8:0::10", &ph, 6, 22, 10, &hit), NAT_LOOKUP_NO_BINDING);
	/* the IPv6 pool binding of host 1 survived on its address */
	assert_int_equal(flow(f, "2001:db8:0::10", &a6, 6, 22, 10, &hit), NAT_LOOKUP_OK);
	/* host 2 now goes through the pool */
	assert_int_equal(req6(f, AF_INET6, 2, 3, "2001:db8:0::53", 11, &a6, &why), 0);
	assert_string_equal(ntop(&a6), "2001:db8:1::131");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ula_through_v6_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dual_stack_binding_per_family, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pinhole_one_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinhole_service_port_and_stacking, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pinhole_admission_limit_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pinhole_sla, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_required_per_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_keeps_and_removes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
