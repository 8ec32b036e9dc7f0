/* SPDX-License-Identifier: MIT */
/* tests/unit/test_pool.c -- circular pool: sharing, limits, SLA, expiry, apply */
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

/* A small policy: 3 pool addresses, 2 hosts, a handful of services. */
struct fixture {
	struct pol_snap snap;
	struct pol_pool_addr pool[8];
	struct pol_service_addr sa[1];
	struct pol_host hosts[4];
	struct pol_service svcs[16];
	struct nat_pool *p;
	/* events */
	int n_used, n_expired, n_removed;
	struct nat_binding_info last;
	bool refuse_admission;
	enum nat_svc_class last_class;
	double last_load;
};

static struct addr
v4(const char *s)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, s, &a.u.v4), 1);
	return a;
}

static const char *
ntop(const struct addr *a)
{
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	return inet_ntop(AF_INET, &a->u.v4, buf[i], sizeof(buf[i]));
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

	(void)req;
	f->last_class = cls;
	f->last_load = load;
	return !f->refuse_admission;
}

static void
add_svc(struct fixture *f, int64_t id, int64_t host, uint8_t proto, uint16_t port)
{
	struct pol_service *s = &f->svcs[f->snap.n_services++];

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->host_id = host;
	s->protocol = proto;
	s->port = port;
	s->binding_timeout_ms = 2000;
	snprintf(s->fqdn, sizeof(s->fqdn), "svc%lld.gwa.demo", (long long)id);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	/* String order would put .140 first; numeric order must give .131 first. */
	const char *pool[] = { "100.64.1.140", "100.64.1.131", "100.64.1.132" };
	size_t i;

	for (i = 0; i < 3; i++) {
		f->pool[i].id = (int64_t)i + 1;
		f->pool[i].addr = v4(pool[i]);
	}
	f->snap.pool_addrs = f->pool;
	f->snap.n_pool_addrs = 3;
	f->sa[0].id = 1;
	f->sa[0].addr = v4("100.64.1.130");
	f->snap.service_addrs = f->sa;
	f->snap.n_service_addrs = 1;
	f->hosts[0].id = 1;
	f->hosts[0].ipv4 = v4("192.168.0.100");
	f->hosts[0].pool_limit = 3;
	f->hosts[1].id = 2;
	f->hosts[1].ipv4 = v4("192.168.0.101");
	f->hosts[1].pool_limit = 100;
	f->snap.hosts = f->hosts;
	f->snap.n_hosts = 2;
	f->snap.services = f->svcs;
	add_svc(f, 1, 1, 0, 0);		    /* host1 FQDN */
	add_svc(f, 2, 1, 6, 2000);	    /* tcp2000.host1 */
	add_svc(f, 3, 2, 6, 2001);	    /* tcp2001.host2 */
	add_svc(f, 4, 2, 6, 0);		    /* tcp.host2 */
	add_svc(f, 5, 1, 6, 22);	    /* ssh.host1 */
	add_svc(f, 6, 2, 17, 2000);	    /* udp2000.host2 */
	add_svc(f, 7, 2, 17, 0);	    /* udp.host2 */
	add_svc(f, 8, 2, 0, 0);		    /* host2 FQDN */
	f->svcs[f->snap.n_services].id = 9; /* www.host2, proxy_required */
	f->svcs[f->snap.n_services].host_id = 2;
	f->svcs[f->snap.n_services].proxy_required = true;
	f->snap.n_services++;
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
req(struct fixture *f, int64_t host, int64_t svc, uint64_t now, struct addr *out,
    enum nat_refusal *why)
{
	struct nat_request r;

	memset(&r, 0, sizeof(r));
	r.host_id = host;
	r.service_id = svc;
	r.resolver = v4("100.64.0.53");
	return nat_pool_request(f->p, &r, now, out, why);
}

static void
test_lowest_first_and_fqdn_whole(void **state)
{
	struct fixture *f = *state;
	struct addr a, b;
	enum nat_refusal why;

	assert_int_equal(req(f, 1, 1, 0, &a, &why), 0);
	assert_string_equal(ntop(&a), "100.64.1.131");
	assert_int_equal(f->last_class, NAT_CLASS_FQDN_NEW);
	/* An FQDN binding takes the whole address: the next one gets a fresh address. */
	assert_int_equal(req(f, 2, 3, 0, &b, &why), 0);
	assert_string_equal(ntop(&b), "100.64.1.132");
	assert_int_equal(f->last_class, NAT_CLASS_SFQDN_NEW);
}

static void
test_share_tcp2000_tcp2001(void **state)
{
	struct fixture *f = *state;
	struct addr a, b;
	enum nat_refusal why;
	struct nat_pool_hit hit;
	struct addr client = v4("100.64.0.10");

	assert_int_equal(req(f, 1, 2, 0, &a, &why), 0);
	assert_int_equal(req(f, 2, 3, 0, &b, &why), 0);
	assert_int_equal(f->last_class, NAT_CLASS_SFQDN_REUSE);
	assert_true(a.u.v4.s_addr == b.u.v4.s_addr);
	/* Demultiplexed by port. */
	assert_int_equal(nat_pool_lookup(f->p, &client, &a, 6, 2001, 10, &hit), NAT_LOOKUP_OK);
	assert_int_equal(hit.host_id, 2);
	assert_string_equal(ntop(&hit.private_addr), "192.168.0.101");
	assert_int_equal(nat_pool_lookup(f->p, &client, &a, 6, 2000, 10, &hit), NAT_LOOKUP_OK);
	assert_int_equal(hit.host_id, 1);
	assert_int_equal(f->n_used, 2);
	/* Exactly one flow per binding. */
	assert_int_equal(nat_pool_lookup(f->p, &client, &a, 6, 2000, 10, &hit),
			 NAT_LOOKUP_NO_BINDING);
}

static void
test_tcp_any_and_tcp22_do_not_share(void **state)
{
	struct fixture *f = *state;
	struct addr a, b, c, d;
	enum nat_refusal why;

	assert_int_equal(req(f, 2, 4, 0, &a, &why), 0); /* tcp/any */
	assert_int_equal(req(f, 1, 5, 0, &b, &why), 0); /* tcp/22 */
	assert_true(a.u.v4.s_addr != b.u.v4.s_addr);
	/* udp/2000 shares with tcp/any (different protocol, specific port). */
	assert_int_equal(req(f, 2, 6, 0, &c, &why), 0);
	assert_true(c.u.v4.s_addr == a.u.v4.s_addr);
	/* udp/any does not share with udp/2000 but does with tcp/22. */
	assert_int_equal(req(f, 2, 7, 0, &d, &why), 0);
	assert_true(d.u.v4.s_addr == b.u.v4.s_addr);
}

static void
test_fqdn_request_never_overloads_and_exhaustion(void **state)
{
	struct fixture *f = *state;
	struct addr a;
	enum nat_refusal why;
	struct nat_pool_stats st;

	assert_int_equal(req(f, 1, 2, 0, &a, &why), 0);
	assert_int_equal(req(f, 2, 8, 0, &a, &why), 0);
	assert_string_equal(ntop(&a), "100.64.1.132");
	assert_int_equal(req(f, 1, 1, 0, &a, &why), 0);
	assert_string_equal(ntop(&a), "100.64.1.140");
	assert_int_equal(req(f, 2, 8, 0, &a, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_EXHAUSTED);
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.size, 3);
	assert_int_equal(st.allocated, 3);
	assert_int_equal(st.bindings, 3);
	assert_int_equal(st.refused[NAT_REFUSE_EXHAUSTED], 1);
	/* Load passed to admission is allocated / size. */
	assert_int_equal(req(f, 2, 6, 0, &a, &why), 0); /* udp2000 shares .131 with tcp2000 */
	assert_true(f->last_load > 99.0);
}

static void
test_host_limit(void **state)
{
	struct fixture *f = *state;
	struct addr a;
	enum nat_refusal why;

	/* host1 limit 3: tcp2000, ssh, fqdn fill it; the 4th is refused. */
	assert_int_equal(req(f, 1, 2, 0, &a, &why), 0);
	assert_int_equal(req(f, 1, 5, 0, &a, &why), 0);
	assert_int_equal(req(f, 1, 1, 0, &a, &why), 0);
	assert_int_equal(req(f, 1, 2, 0, &a, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_HOST_LIMIT);
	/* Expiry gives the slots back. */
	assert_int_equal(req(f, 1, 2, 2000, &a, &why), 0);
	assert_int_equal(f->n_expired, 3);
}

static void
test_unknown_and_proxy(void **state)
{
	struct fixture *f = *state;
	struct nat_pool_stats st;
	struct addr a;
	enum nat_refusal why;

	assert_int_equal(req(f, 1, 99, 0, &a, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_NO_HOST);
	/* Service of another host. */
	assert_int_equal(req(f, 1, 3, 0, &a, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_NO_HOST);
	/* proxy_required: the service address, no binding. */
	assert_int_equal(req(f, 2, 9, 0, &a, &why), 0);
	assert_string_equal(ntop(&a), "100.64.1.130");
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.bindings, 0);
}

static void
test_admission_refusal(void **state)
{
	struct fixture *f = *state;
	struct addr a;
	enum nat_refusal why;

	f->refuse_admission = true;
	assert_int_equal(req(f, 1, 1, 0, &a, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_ADMISSION);
	f->refuse_admission = false;
	assert_int_equal(req(f, 1, 1, 0, &a, &why), 0);
}

static void
test_sla(void **state)
{
	struct fixture *f = *state;
	struct nat_request r;
	struct addr a, in = v4("198.51.100.7"), out = v4("198.51.101.7");
	enum nat_refusal why;
	struct nat_pool_hit hit;
	unsigned len;

	for (len = 0; len <= 32; len += 8) {
		memset(&r, 0, sizeof(r));
		r.host_id = 1;
		r.service_id = 2;
		r.sla = true;
		r.has_requestor = true;
		r.requestor.addr = v4("198.51.100.0");
		r.requestor.len = 24;
		assert_int_equal(nat_pool_request(f->p, &r, 0, &a, &why), 0);
		assert_int_equal(nat_pool_lookup(f->p, &out, &a, 6, 2000, 1, &hit), NAT_LOOKUP_SLA);
		assert_int_equal(nat_pool_lookup(f->p, &in, &a, 6, 2000, 1, &hit), NAT_LOOKUP_OK);
	}
	/* sla without a requestor is not an SLA binding. */
	memset(&r, 0, sizeof(r));
	r.host_id = 1;
	r.service_id = 2;
	r.sla = true;
	assert_int_equal(nat_pool_request(f->p, &r, 0, &a, &why), 0);
	assert_int_equal(nat_pool_lookup(f->p, &out, &a, 6, 2000, 1, &hit), NAT_LOOKUP_OK);
}

static void
test_expiry_and_wildcards(void **state)
{
	struct fixture *f = *state;
	struct addr a, c = v4("100.64.0.10");
	enum nat_refusal why;
	struct nat_pool_hit hit;

	assert_int_equal(req(f, 1, 1, 1000, &a, &why), 0); /* fqdn: any proto, any port */
	assert_int_equal(nat_pool_next_deadline(f->p), 3000);
	assert_int_equal(nat_pool_expire(f->p, 2999), 3000);
	assert_int_equal(f->n_expired, 0);
	/* Lazy expiry on lookup. */
	assert_int_equal(nat_pool_lookup(f->p, &c, &a, 1, 0, 3000, &hit), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(f->n_expired, 1);
	assert_int_equal(nat_pool_next_deadline(f->p), UINT64_MAX);
	/* (addr, any, any) matches ICMP and UDP. */
	assert_int_equal(req(f, 1, 1, 4000, &a, &why), 0);
	assert_int_equal(nat_pool_lookup(f->p, &c, &a, 1, 0, 4001, &hit), NAT_LOOKUP_OK);
	assert_int_equal(f->last.host_id, 1);
	/* (addr, any, tcp) */
	assert_int_equal(req(f, 2, 4, 5000, &a, &why), 0);
	assert_int_equal(nat_pool_lookup(f->p, &c, &a, 17, 53, 5001, &hit), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(nat_pool_lookup(f->p, &c, &a, 6, 53, 5001, &hit), NAT_LOOKUP_OK);
	/* the timer-driven path */
	assert_int_equal(req(f, 2, 4, 6000, &a, &why), 0);
	assert_int_equal(req(f, 1, 2, 6500, &a, &why), 0);
	assert_int_equal(nat_pool_expire(f->p, 8000), 8500);
	assert_int_equal(f->n_expired, 2);
	assert_int_equal(nat_pool_expire(f->p, 8500), UINT64_MAX);
	assert_int_equal(f->n_expired, 3);
	assert_int_equal(f->n_used, 2);
}

static int
count_cb(void *arg, const struct nat_binding_info *b)
{
	int *n = arg;

	(void)b;
	(*n)++;
	return 0;
}

static void
test_apply_keeps_and_removes(void **state)
{
	struct fixture *f = *state;
	struct addr a;
	enum nat_refusal why;
	struct nat_pool_hit hit;
	struct addr c = v4("100.64.0.10");
	int n = 0;

	assert_int_equal(req(f, 1, 2, 0, &a, &why), 0); /* host1 tcp2000 on .131 */
	assert_int_equal(req(f, 2, 3, 0, &a, &why), 0); /* host2 tcp2001 on .131 */
	assert_int_equal(req(f, 2, 8, 0, &a, &why), 0); /* host2 fqdn on .132 */
	/* Remove host 1 (and its services) and the address .132. */
	f->hosts[0] = f->hosts[1];
	f->snap.n_hosts = 1;
	f->snap.n_pool_addrs = 2; /* pool[0] .140, pool[1] .131: .132 is gone */
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 10), 0);
	assert_int_equal(f->n_removed, 2);
	nat_pool_foreach(f->p, count_cb, &n);
	assert_int_equal(n, 1);
	assert_int_equal(nat_pool_lookup(f->p, &c, &a, 6, 2001, 20, &hit), NAT_LOOKUP_NO_BINDING);
	a = v4("100.64.1.131");
	assert_int_equal(nat_pool_lookup(f->p, &c, &a, 6, 2001, 20, &hit), NAT_LOOKUP_OK);
	assert_int_equal(hit.host_id, 2);
	/* A fresh request after the apply still picks the lowest address. */
	assert_int_equal(req(f, 2, 8, 30, &a, &why), 0);
	assert_string_equal(ntop(&a), "100.64.1.131");
}

static void
test_many_bindings(void **state)
{
	struct fixture *f = *state;
	struct pol_pool_addr *pool = calloc(4096, sizeof(*pool));
	struct addr a, c = v4("100.64.0.10");
	enum nat_refusal why;
	struct nat_pool_hit hit;
	size_t i;

	for (i = 0; i < 4096; i++) {
		pool[i].id = (int64_t)i + 1;
		pool[i].addr.family = AF_INET;
		pool[i].addr.u.v4.s_addr = htonl(0x0a000000u + (uint32_t)i);
	}
	f->snap.pool_addrs = pool;
	f->snap.n_pool_addrs = 4096;
	f->hosts[1].pool_limit = 100000;
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 0), 0);
	for (i = 0; i < 4096; i++) {
		assert_int_equal(req(f, 2, 8, 0, &a, &why), 0);
		assert_int_equal(ntohl(a.u.v4.s_addr), 0x0a000000u + i);
	}
	assert_int_equal(req(f, 2, 8, 0, &a, &why), -EAGAIN);
	for (i = 0; i < 4096; i += 2) {
		a.u.v4.s_addr = htonl(0x0a000000u + (uint32_t)i);
		assert_int_equal(nat_pool_lookup(f->p, &c, &a, 6, 80, 1, &hit), NAT_LOOKUP_OK);
	}
	assert_int_equal(nat_pool_expire(f->p, 5000), UINT64_MAX);
	assert_int_equal(f->n_used, 2048);
	assert_int_equal(f->n_expired, 2048);
	f->snap.pool_addrs = f->pool;
	f->snap.n_pool_addrs = 3;
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 6000), 0);
	free(pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lowest_first_and_fqdn_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_share_tcp2000_tcp2001, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_any_and_tcp22_do_not_share, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fqdn_request_never_overloads_and_exhaustion,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_proxy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admission_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sla, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_and_wildcards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_keeps_and_removes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_bindings, setup, teardown),
	};

	return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
