/* SPDX-License-Identifier: MIT */
/* tests/unit/test_pool_nest.c -- bindings to nested gateways: reserve, bind, withdraw, deny,
 * marks, policy apply */
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
#include "nat/reputation.h"
#include "nat/rules.h"

/* 3 pool addresses; host 1 an ordinary host, host 2 a nested gateway owning .10-.14. */
struct fixture {
	struct pol_snap snap;
	struct pol_pool_addr pool[3];
	struct pol_host hosts[2];
	struct pol_service svcs[1];
	struct nat_pool *p;
	int ends[NAT_BINDING_DENIED + 1];
	struct nat_binding_info last;
	enum nat_svc_class last_class;
	bool refuse;
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

static void
on_end(void *arg, const struct nat_binding_info *b, enum nat_binding_end how)
{
	struct fixture *f = arg;

	f->last = *b;
	f->ends[how]++;
}

static bool
on_admit(void *arg, const struct nat_request *req, double load, enum nat_svc_class cls)
{
	struct fixture *f = arg;

	(void)req;
	(void)load;
	f->last_class = cls;
	return !f->refuse;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *pool[] = { "100.64.1.131", "100.64.1.132", "100.64.1.133" };

	for (size_t i = 0; i < 3; i++) {
		f->pool[i].id = (int64_t)i + 1;
		f->pool[i].addr = v4(pool[i]);
	}
	f->snap.pool_addrs = f->pool;
	f->snap.n_pool_addrs = 3;
	f->hosts[0].id = 1;
	f->hosts[0].ipv4 = v4("192.168.0.100");
	f->hosts[1].id = 2;
	snprintf(f->hosts[1].fqdn, sizeof(f->hosts[1].fqdn), "nest.gwa.demo");
	f->hosts[1].ipv4 = v4("192.168.0.10");
	f->hosts[1].pool_limit = 2;
	assert_int_equal(pol_nested_add(&f->hosts[1], "192.168.0.10-192.168.0.14"), 0);
	f->hosts[1].nested_port = 53;
	f->snap.hosts = f->hosts;
	f->snap.n_hosts = 2;
	f->svcs[0].id = 1;
	f->svcs[0].host_id = 1;
	f->svcs[0].binding_timeout_ms = 2000;
	f->snap.services = f->svcs;
	f->snap.n_services = 1;
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
reserve(struct fixture *f, int64_t host, int64_t key, uint64_t now, struct addr *out,
	enum nat_refusal *why, uint64_t *id)
{
	struct nat_request r;
	bool fresh;
	int rc;

	memset(&r, 0, sizeof(r));
	r.host_id = host;
	r.nested = true;
	r.nested_key = key;
	r.resolver = v4("100.64.0.1");
	rc = nat_pool_request_id(f->p, &r, now, out, why, id, &fresh);
	if (rc == 0)
		assert_true(fresh);
	return rc;
}

/* Reserved: the whole address, no flow; bound: one flow to the nested gateway's answer. */
static void
test_reserve_bind_admit(void **state)
{
	struct fixture *f = *state;
	struct addr a, client = v4("100.64.0.100"), inner = v4("192.168.0.11");
	enum nat_refusal why;
	struct nat_pool_hit hit;
	uint64_t id;

	assert_int_equal(reserve(f, 2, -7, 0, &a, &why, &id), 0);
	assert_int_equal(f->last_class, NAT_CLASS_FQDN_NEW);
	assert_true(id != 0);
	/* before the answer: nothing admitted, the reservation stays */
	assert_int_equal(nat_pool_lookup(f->p, &client, &a, 6, 2000, 10, &hit),
			 NAT_LOOKUP_NO_BINDING);
	/* the address is held whole: an ordinary FQDN binding gets the next one */
	{
		struct nat_request r = { .host_id = 1, .service_id = 1 };
		struct addr b;

		r.resolver = v4("100.64.0.1");
		assert_int_equal(nat_pool_request(f->p, &r, 10, &b, &why), 0);
		assert_true(b.u.v4.s_addr != a.u.v4.s_addr);
	}
	/* an answer that is not the nested gateway's own is refused */
	{
		struct addr bad = v4("192.168.0.100");

		assert_int_equal(nat_pool_nest_bind(f->p, id, &bad, 20), -EINVAL);
	}
	assert_int_equal(nat_pool_nest_bind(f->p, id, &inner, 500), 0);
	assert_int_equal(nat_pool_lookup(f->p, &client, &a, 6, 2000, 600, &hit), NAT_LOOKUP_OK);
	assert_true(hit.nested);
	assert_int_equal(hit.host_id, 2);
	assert_true(addr_eq(&hit.private_addr, &inner));
	assert_int_equal(f->ends[NAT_BINDING_USED], 1);
	assert_true(f->last.nested);
	/* one flow: a second is refused */
	assert_int_equal(nat_pool_lookup(f->p, &client, &a, 6, 2000, 700, &hit),
			 NAT_LOOKUP_NO_BINDING);
	/* the mark names the answered address */
	assert_int_equal(nat_rules_nest_mark(&inner), NAT_MARK_NEST | 0xa8000b);
}

/* The grace of a bound reservation runs from the answer. */
static void
test_bind_extends(void **state)
{
	struct fixture *f = *state;
	struct addr a, inner = v4("192.168.0.10");
	enum nat_refusal why;
	uint64_t id;

	assert_int_equal(reserve(f, 2, -7, 0, &a, &why, &id), 0);
	assert_int_equal(nat_pool_nest_bind(f->p, id, &inner, 1500), 0);
	assert_int_equal(nat_pool_expire(f->p, 2100), 1500 + POL_BINDING_TIMEOUT_MS);
	assert_int_equal(nat_pool_expire(f->p, 3600), UINT64_MAX);
	assert_int_equal(f->ends[NAT_BINDING_EXPIRED], 1);
	/* an expired reservation cannot be bound */
	assert_int_equal(reserve(f, 2, -8, 4000, &a, &why, &id), 0);
	assert_int_equal(nat_pool_nest_bind(f->p, id, &inner, 4000 + 2000), -ENOENT);
}

/* The nested gateway's binding_timeout_ms replaces the default grace. */
static void
test_nested_timeout(void **state)
{
	struct fixture *f = *state;
	struct addr a, inner = v4("192.168.0.10");
	enum nat_refusal why;
	uint64_t id;

	f->hosts[1].nested_timeout_ms = 5000;
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 0), 0);
	assert_int_equal(reserve(f, 2, -7, 0, &a, &why, &id), 0);
	assert_int_equal(nat_pool_nest_bind(f->p, id, &inner, 1500), 0);
	assert_int_equal(nat_pool_expire(f->p, 2100), 1500 + 5000);
}

/* A QNAME-minimisation step below a nested gateway (its name's key) is released unused, with
 * no evidence; another resolver's or another name's is not. */
static void
test_qmin_release(void **state)
{
	struct fixture *f = *state;
	struct addr a, inner = v4("192.168.0.11"), other = v4("100.64.0.2");
	struct addr res = v4("100.64.0.1");
	enum nat_refusal why;
	uint64_t id;

	assert_int_equal(reserve(f, 2, -7, 0, &a, &why, &id), 0);
	assert_int_equal(nat_pool_nest_bind(f->p, id, &inner, 10), 0);
	assert_int_equal(nat_pool_release_unused(f->p, &other, NULL, -7, 20, NULL), 0);
	assert_int_equal(nat_pool_release_unused(f->p, &res, NULL, -8, 20, NULL), 0);
	assert_int_equal(nat_pool_release_unused(f->p, &res, NULL, -7, 20, NULL), 1);
	assert_int_equal(f->ends[NAT_BINDING_RELEASED], 1);
	assert_int_equal(f->ends[NAT_BINDING_EXPIRED] + f->ends[NAT_BINDING_DENIED], 0);
}

/* Withdrawn and denied reservations give the address back; the evidence differs. */
static void
test_withdraw_deny(void **state)
{
	struct fixture *f = *state;
	struct addr a, b;
	enum nat_refusal why;
	struct nat_pool_stats st;
	uint64_t id, id2;

	assert_int_equal(reserve(f, 2, -7, 0, &a, &why, &id), 0);
	assert_int_equal(nat_pool_nest_withdraw(f->p, id, false, 5), 0);
	assert_int_equal(f->ends[NAT_BINDING_WITHDRAWN], 1);
	assert_int_equal(nat_pool_nest_withdraw(f->p, id, false, 5), -ENOENT);
	/* the address is free again: the next reservation takes it */
	assert_int_equal(reserve(f, 2, -7, 10, &b, &why, &id2), 0);
	assert_true(a.u.v4.s_addr == b.u.v4.s_addr);
	assert_int_equal(nat_pool_nest_withdraw(f->p, id2, true, 15), 0);
	assert_int_equal(f->ends[NAT_BINDING_DENIED], 1);
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.withdrawn, 1);
	assert_int_equal(st.denied, 1);
	assert_int_equal(st.allocated, 0);
	assert_int_equal(st.bindings, 0);
	assert_string_equal(nat_binding_end_name(NAT_BINDING_WITHDRAWN), "withdrawn");
	assert_string_equal(nat_binding_end_name(NAT_BINDING_DENIED), "denied");
}

/* The reputation engine: withdrawn is no evidence, denied is NOK for the resolver only. */
static void
test_reputation(void **state)
{
	struct nat_rep *r = nat_rep_new(64);
	struct pol_snap *s = pol_snap_new();
	struct nat_binding_info b;
	struct nat_rep_stats st;

	(void)state;
	assert_non_null(r);
	assert_int_equal(nat_rep_apply(r, s), 0);
	memset(&b, 0, sizeof(b));
	b.resolver = v4("100.64.0.1");
	b.host_id = 2;
	b.nested = true;
	nat_rep_binding_end(r, &b, NAT_BINDING_WITHDRAWN);
	nat_rep_get_stats(r, &st);
	assert_int_equal(st.events_ok + st.events_nok, 0);
	nat_rep_binding_end(r, &b, NAT_BINDING_DENIED);
	nat_rep_get_stats(r, &st);
	assert_int_equal(st.events_nok, 1);
	assert_int_equal(st.n_hosts, 0); /* the nested gateway's host is not blamed */
	nat_rep_free(r);
	pol_snap_unref(s);
}

/* Refusals come before the nested gateway is asked: host limit, exhaustion, admission. */
static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	struct addr a;
	enum nat_refusal why;
	uint64_t id;

	f->refuse = true;
	assert_int_equal(reserve(f, 2, -1, 0, &a, &why, &id), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_ADMISSION);
	f->refuse = false;
	assert_int_equal(reserve(f, 2, -1, 0, &a, &why, &id), 0);
	assert_int_equal(reserve(f, 2, -2, 0, &a, &why, &id), 0);
	assert_int_equal(reserve(f, 2, -3, 0, &a, &why, &id), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_HOST_LIMIT);
	/* not a nested gateway */
	assert_int_equal(reserve(f, 1, -1, 0, &a, &why, &id), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_NO_HOST);
}

/* A policy apply keeps a bound nested binding while its host owns the answer, and removes
 * it when the host is no longer a nested gateway. */
static void
test_apply(void **state)
{
	struct fixture *f = *state;
	struct addr a, client = v4("100.64.0.100"), inner = v4("192.168.0.12");
	enum nat_refusal why;
	struct nat_pool_hit hit;
	uint64_t id;

	assert_int_equal(reserve(f, 2, -7, 0, &a, &why, &id), 0);
	assert_int_equal(nat_pool_nest_bind(f->p, id, &inner, 10), 0);
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 20), 0);
	assert_int_equal(f->ends[NAT_BINDING_REMOVED], 0);
	assert_int_equal(nat_pool_lookup(f->p, &client, &a, 17, 53, 30, &hit), NAT_LOOKUP_OK);
	assert_true(addr_eq(&hit.private_addr, &inner));
	/* again, then the host stops being a nested gateway */
	assert_int_equal(reserve(f, 2, -7, 40, &a, &why, &id), 0);
	assert_int_equal(nat_pool_nest_bind(f->p, id, &inner, 50), 0);
	f->hosts[1].nested_port = 0;
	f->hosts[1].n_nested = 0;
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 60), 0);
	assert_int_equal(f->ends[NAT_BINDING_REMOVED], 1);
	assert_int_equal(nat_pool_lookup(f->p, &client, &a, 17, 53, 70, &hit),
			 NAT_LOOKUP_NO_BINDING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserve_bind_admit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_extends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qmin_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_deny, setup, teardown),
		cmocka_unit_test(test_reputation),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
