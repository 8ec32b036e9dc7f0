/* SPDX-License-Identifier: MIT */
/* tests/unit/test_pool_window.c -- the pool with resolver cache windows (nat/pool.c, window.c) */
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
#include "nat/window.h"

/* 8 pool addresses, one host with an FQDN service (1) and tcp/2000 (2); admission windows
 * 5000 ms, 3 flows per answer; services time out after 2000 ms. */
struct fx {
	struct pol_snap snap;
	struct pol_pool_addr pool[8];
	struct pol_host hosts[1];
	struct pol_service svcs[2];
	struct nat_pool *p;
	int used, expired, idle, released;
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
	struct fx *f = arg;

	(void)b;
	if (how == NAT_BINDING_USED)
		f->used++;
	else if (how == NAT_BINDING_EXPIRED)
		f->expired++;
	else if (how == NAT_BINDING_IDLE)
		f->idle++;
	else if (how == NAT_BINDING_RELEASED)
		f->released++;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t i;

	for (i = 0; i < 8; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "100.64.1.%zu", 131 + i);
		f->pool[i].id = (int64_t)i + 1;
		f->pool[i].addr = v4(ip);
	}
	f->snap.pool_addrs = f->pool;
	f->snap.n_pool_addrs = 8;
	f->hosts[0].id = 1;
	f->hosts[0].ipv4 = v4("192.168.0.100");
	f->hosts[0].pool_limit = 100;
	f->snap.hosts = f->hosts;
	f->snap.n_hosts = 1;
	for (i = 0; i < 2; i++) {
		f->svcs[i].id = (int64_t)i + 1;
		f->svcs[i].host_id = 1;
		f->svcs[i].binding_timeout_ms = 2000;
	}
	f->svcs[1].protocol = 6;
	f->svcs[1].port = 2000;
	f->snap.services = f->svcs;
	f->snap.n_services = 2;
	pol_admission_defaults(&f->snap.admission);
	f->snap.admission.window_flows = 3;
	f->p = nat_pool_new();
	assert_non_null(f->p);
	nat_pool_set_hooks(f->p, NULL, on_end, f);
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 0), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nat_pool_free(f->p);
	free(f);
	return 0;
}

static int
ask(struct fx *f, const char *resolver, int64_t svc, enum nat_req_kind kind, uint64_t now,
    struct addr *out)
{
	struct nat_request r;
	enum nat_refusal why;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.host_id = 1;
	r.service_id = svc;
	r.resolver = v4(resolver);
	return nat_pool_request(f->p, &r, now, out, &why);
}

static enum nat_lookup
flow(struct fx *f, const char *src, const struct addr *dst, uint64_t now)
{
	struct addr s = v4(src);
	struct nat_pool_hit hit;

	return nat_pool_lookup(f->p, &s, dst, 6, 2000, now, &hit);
}

static struct nat_win_decision
decision(struct fx *f, const char *resolver, uint64_t now)
{
	struct addr a = v4(resolver);
	struct nat_win_decision d;

	nat_window_decide(nat_pool_window(f->p), nat_window_key(nat_pool_window(f->p), &a), now,
			  &d);
	return d;
}

static struct nat_pool_stats
stats(struct fx *f)
{
	struct nat_pool_stats st;

	nat_pool_get_stats(f->p, &st);
	return st;
}

/* Learning: the binding is not spent by its first flow; it admits window_flows flows until
 * answer + window + timeout, then ends used (one OK event); a fourth flow is refused. */
static void
test_window_binding_admits_flows(void **state)
{
	struct fx *f = *state;
	struct addr a;

	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 0, &a), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, 10), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.1", &a, 20), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.2", &a, 6900), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.3", &a, 6950), NAT_LOOKUP_SPENT);
	assert_int_equal(stats(f).window_flows, 2);
	assert_int_equal(stats(f).window_spent, 1);
	assert_int_equal(f->used, 0);
	assert_int_equal(nat_pool_expire(f->p, 6999), 7000);
	assert_int_equal(nat_pool_expire(f->p, 7000), UINT64_MAX);
	assert_int_equal(f->used, 1);
	assert_int_equal(flow(f, "198.51.100.1", &a, 7001), NAT_LOOKUP_NO_BINDING);
	/* the late second source was evidence of a cache */
	assert_int_equal(decision(f, "192.0.2.53", 7001).state, NAT_WIN_CACHING);
}

/* Caching resolver: a new question within the window gets the same binding, its window runs
 * from the new answer and its budget grows by window_flows; unused in the end, no evidence. */
static void
test_coalescing(void **state)
{
	struct fx *f = *state;
	struct addr a, b, c;

	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 0, &a), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, 5), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.2", &a, 900), NAT_LOOKUP_OK);
	assert_int_equal(decision(f, "192.0.2.53", 900).state, NAT_WIN_CACHING);
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 4000, &b), 0);
	assert_string_equal(ntop(&a), ntop(&b));
	assert_int_equal(stats(f).coalesced, 1);
	assert_int_equal(stats(f).created, 1);
	/* 3 flows per answer: 4 more now */
	assert_int_equal(flow(f, "198.51.100.3", &a, 10000), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.4", &a, 10100), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.5", &a, 10200), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.6", &a, 10300), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.7", &a, 10400), NAT_LOOKUP_SPENT);
	/* open until 4000 + 5000 + 2000 */
	assert_int_equal(nat_pool_expire(f->p, 10999), 11000);
	/* another resolver asking gets an address of its own */
	assert_int_equal(ask(f, "192.0.2.99", 1, NAT_REQ_ADDRESS, 10500, &c), 0);
	assert_string_not_equal(ntop(&a), ntop(&c));
	nat_pool_expire(f->p, 11000);
	assert_int_equal(f->used, 1);
	/* a binding answered twice and never used: one NOK, not two */
	assert_int_equal(ask(f, "192.0.2.53", 2, NAT_REQ_ADDRESS, 12000, &a), 0);
	assert_int_equal(ask(f, "192.0.2.53", 2, NAT_REQ_ADDRESS, 13000, &b), 0);
	assert_string_equal(ntop(&a), ntop(&b));
	nat_pool_expire(f->p, 13000 + 7000);
	assert_int_equal(f->idle, 0);
	assert_int_equal(f->expired, 2); /* that one and 192.0.2.99's */
}

/* A pass-through resolver: answers used once, promptly, asked again: after four clean
 * re-asks its bindings end 250 ms after their first flow (a merged question's clients get
 * in, a later source does not), and a later source is evidence that turns windows back on. */
static void
test_pass_through_burst_and_ghost(void **state)
{
	struct fx *f = *state;
	struct addr a;
	uint64_t t = 0;
	int i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, t, &a), 0);
		assert_int_equal(flow(f, "198.51.100.1", &a, t + 5), NAT_LOOKUP_OK);
		t += 400;
		/* the previous answer closes NAT_WIN_BURST_MS after the next question */
		nat_pool_expire(f->p, t);
	}
	assert_int_equal(decision(f, "192.0.2.53", t).state, NAT_WIN_LEARNING);
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, t, &a), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, t + 5), NAT_LOOKUP_OK);
	t += 400;
	nat_pool_expire(f->p, t);
	/* four clean re-asks of 400 ms: lowered to 0, a burst */
	assert_int_equal(decision(f, "192.0.2.53", t).state, NAT_WIN_LOWERED);
	assert_int_equal(decision(f, "192.0.2.53", t).window_ms, 0);
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, t, &a), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, t + 5), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.2", &a, t + 100), NAT_LOOKUP_OK);
	nat_pool_expire(f->p, t + 5 + NAT_WIN_BURST_MS);
	/* a scanner: refused there and on another address; no evidence */
	struct addr other = v4("100.64.1.138");
	assert_int_equal(flow(f, "203.0.113.66", &a, t + 400), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(flow(f, "203.0.113.66", &other, t + 410), NAT_LOOKUP_NO_BINDING);
	nat_pool_expire(f->p, t + 400 + NAT_POOL_HIT_CONFIRM_MS);
	assert_int_equal(decision(f, "192.0.2.53", t + 1500).state, NAT_WIN_LOWERED);
	/* the next answer, and a source refused on that address only, 400 ms after the answer:
	 * a cache's client -- once confirmed */
	t += 2000;
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, t, &a), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, t + 5), NAT_LOOKUP_OK);
	nat_pool_expire(f->p, t + 5 + NAT_WIN_BURST_MS);
	assert_int_equal(flow(f, "198.51.100.3", &a, t + 400), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(flow(f, "198.51.100.3", &a, t + 450), NAT_LOOKUP_NO_BINDING);
	nat_pool_expire(f->p, t + 1000);
	assert_int_equal(decision(f, "192.0.2.53", t + 1000).state, NAT_WIN_LOWERED);
	nat_pool_expire(f->p, t + 400 + NAT_POOL_HIT_CONFIRM_MS);
	assert_int_equal(decision(f, "192.0.2.53", t + 1400).state, NAT_WIN_CACHING);
}

/* Windows off (admission cache_window_ms 0): one flow per binding, as without windows. */
static void
test_off_is_one_flow(void **state)
{
	struct fx *f = *state;
	struct addr a;

	f->snap.admission.cache_window_ms = 0;
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 0), 0);
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 0, &a), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, 10), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "198.51.100.1", &a, 11), NAT_LOOKUP_NO_BINDING);
	assert_int_equal(f->used, 1);
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 20, &a), 0);
	nat_pool_expire(f->p, 2020);
	assert_int_equal(f->expired, 1);
}

/* Learning, a new question: the previous answer closes 250 ms later once used (its client is
 * in), a timeout later when unused (a refreshing cache may still hand it out). */
static void
test_supersede(void **state)
{
	struct fx *f = *state;
	struct addr a, b, c;

	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 0, &a), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, 5), NAT_LOOKUP_OK);
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 300, &b), 0);
	assert_string_not_equal(ntop(&a), ntop(&b));
	assert_int_equal(stats(f).superseded, 1);
	/* the same moment's question from another client (within a burst): the same answer */
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 300 + NAT_WIN_BURST_MS - 1, &c),
			 0);
	assert_string_equal(ntop(&b), ntop(&c));
	assert_int_equal(stats(f).coalesced, 1);
	nat_pool_expire(f->p, 300 + NAT_WIN_BURST_MS);
	assert_int_equal(flow(f, "198.51.100.2", &a, 600), NAT_LOOKUP_NO_BINDING);
	/* past the burst (of the last answer): a new one */
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 800, &c), 0);
	assert_string_not_equal(ntop(&b), ntop(&c));
	/* b was never used: open until 800 + 2000 */
	assert_int_equal(flow(f, "198.51.100.2", &b, 2799), NAT_LOOKUP_OK);
	nat_pool_expire(f->p, 2800);
	assert_int_equal(flow(f, "198.51.100.3", &b, 2800), NAT_LOOKUP_NO_BINDING);
}

/* SRV and TXT answers carry the address as additional data: unused, they are no evidence. The
 * SRV target asked by the same resolver gets the SRV's binding; another QTYPE after an A
 * marks the A as a step. */
static void
test_srv_target_and_steps(void **state)
{
	struct fx *f = *state;
	struct addr a, b, c;
	struct addr res = v4("192.0.2.53");

	f->snap.admission.cache_window_ms = 0;
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 0), 0);
	assert_int_equal(ask(f, "192.0.2.53", 2, NAT_REQ_SERVICE_INFO, 0, &a), 0);
	assert_int_equal(ask(f, "192.0.2.53", 2, NAT_REQ_SRV_TARGET, 10, &b), 0);
	assert_string_equal(ntop(&a), ntop(&b));
	assert_int_equal(stats(f).srv_targets, 1);
	assert_int_equal(stats(f).created, 1);
	/* another resolver's target query is a question of its own */
	assert_int_equal(ask(f, "192.0.2.54", 2, NAT_REQ_SRV_TARGET, 10, &c), 0);
	assert_string_not_equal(ntop(&a), ntop(&c));
	nat_pool_expire(f->p, 3000);
	assert_int_equal(f->idle, 1);
	assert_int_equal(f->expired, 1);
	/* an A, then AAAA for the same name from the same resolver: the A was a step */
	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 4000, &a), 0);
	assert_int_equal(nat_pool_note_step(f->p, &res, 1, 4010), 1);
	assert_int_equal(nat_pool_note_step(f->p, &res, 1, 4010), 0);
	/* an A then SRV: the same */
	assert_int_equal(ask(f, "192.0.2.53", 2, NAT_REQ_ADDRESS, 4000, &b), 0);
	assert_int_equal(ask(f, "192.0.2.53", 2, NAT_REQ_SERVICE_INFO, 4020, &c), 0);
	/* too late to be a step */
	assert_int_equal(ask(f, "192.0.2.54", 1, NAT_REQ_ADDRESS, 4000, &a), 0);
	assert_int_equal(nat_pool_note_step(f->p, &(struct addr){ 0 }, 1, 4010), 0);
	res = v4("192.0.2.54");
	assert_int_equal(nat_pool_note_step(f->p, &res, 1, 4000 + NAT_POOL_STEP_MS), 0);
	nat_pool_expire(f->p, 10000);
	assert_int_equal(f->idle, 1 + 3);
	assert_int_equal(f->expired, 1 + 1);
}

/* QNAME minimisation releases only an A answer that nobody used and nobody was given again. */
static void
test_release_only_plain_answers(void **state)
{
	struct fx *f = *state;
	struct addr a, b, res = v4("192.0.2.53");

	assert_int_equal(ask(f, "192.0.2.53", 1, NAT_REQ_ADDRESS, 0, &a), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, 5), NAT_LOOKUP_OK);
	assert_int_equal(nat_pool_release_unused(f->p, &res, NULL, 1, 10, NULL), 0);
	assert_int_equal(ask(f, "192.0.2.53", 2, NAT_REQ_SERVICE_INFO, 20, &b), 0);
	assert_int_equal(nat_pool_release_unused(f->p, &res, NULL, 2, 30, NULL), 0);
	assert_int_equal(ask(f, "192.0.2.54", 2, NAT_REQ_ADDRESS, 40, &b), 0);
	res = v4("192.0.2.54");
	assert_int_equal(nat_pool_release_unused(f->p, &res, NULL, 2, 50, NULL), 1);
	assert_int_equal(f->released, 1);
}

/* The SLA subnet check holds for every flow of a window binding. */
static void
test_sla_in_window(void **state)
{
	struct fx *f = *state;
	struct nat_request r;
	enum nat_refusal why;
	struct addr a;

	memset(&r, 0, sizeof(r));
	r.host_id = 1;
	r.service_id = 1;
	r.resolver = v4("192.0.2.53");
	r.sla = true;
	r.has_requestor = true;
	r.requestor.addr = v4("198.51.100.0");
	r.requestor.len = 24;
	assert_int_equal(nat_pool_request(f->p, &r, 0, &a, &why), 0);
	assert_int_equal(flow(f, "198.51.100.1", &a, 5), NAT_LOOKUP_OK);
	assert_int_equal(flow(f, "203.0.113.1", &a, 10), NAT_LOOKUP_SLA);
	assert_int_equal(flow(f, "198.51.100.2", &a, 20), NAT_LOOKUP_OK);
}

/* Learning costs addresses: past half the pool, a new question of the same resolver gets its
 * live window binding again instead of a new address. */
static void
test_learning_under_load(void **state)
{
	struct fx *f = *state;
	struct addr a, b, c, d;

	assert_int_equal(ask(f, "192.0.2.1", 1, NAT_REQ_ADDRESS, 0, &a), 0);
	assert_int_equal(ask(f, "192.0.2.2", 1, NAT_REQ_ADDRESS, 0, &b), 0);
	assert_int_equal(ask(f, "192.0.2.3", 1, NAT_REQ_ADDRESS, 0, &b), 0);
	assert_int_equal(ask(f, "192.0.2.4", 1, NAT_REQ_ADDRESS, 0, &b), 0);
	/* 4 of 8 addresses taken */
	assert_int_equal(ask(f, "192.0.2.1", 1, NAT_REQ_ADDRESS, 100, &c), 0);
	assert_string_equal(ntop(&a), ntop(&c));
	assert_int_equal(stats(f).coalesced, 1);
	assert_int_equal(ask(f, "192.0.2.5", 1, NAT_REQ_ADDRESS, 100, &d), 0);
	assert_string_not_equal(ntop(&d), ntop(&a));
}

/* PBRA in the testbed's shape: new bindings refused from a quarter of the pool on */
static bool
admit_below_quarter(void *arg, const struct nat_request *req, double load_pct,
		    enum nat_svc_class cls)
{
	(void)arg;
	(void)req;
	(void)cls;
	return load_pct < 25.0;
}

/* A learning resolver whose own bindings raised the load past what its reputation admits:
 * a question for a service it holds a live window binding for gets that binding again
 * (admitted when it was made, no new address spent); another resolver, or a service it holds
 * nothing for, is refused. */
static void
test_refused_learning_reanswers(void **state)
{
	struct fx *f = *state;
	struct addr a, b, c;

	nat_pool_set_hooks(f->p, admit_below_quarter, on_end, f);
	assert_int_equal(ask(f, "192.0.2.1", 1, NAT_REQ_ADDRESS, 0, &a), 0);
	assert_int_equal(ask(f, "192.0.2.2", 1, NAT_REQ_ADDRESS, 0, &b), 0);
	/* 2 of 8 addresses taken: 25 %, new bindings refused */
	assert_int_equal(ask(f, "192.0.2.1", 1, NAT_REQ_ADDRESS, 100, &c), 0);
	assert_string_equal(ntop(&a), ntop(&c));
	assert_int_equal(stats(f).bindings, 2);
	assert_int_equal(ask(f, "192.0.2.3", 1, NAT_REQ_ADDRESS, 100, &c), -EAGAIN);
	assert_int_equal(ask(f, "192.0.2.1", 2, NAT_REQ_ADDRESS, 100, &c), -EAGAIN);
}

/* Learning is bounded: a resolver re-asking (each past the burst of its last answer) takes a
 * new address each time only until half the pool is held, superseded bindings' addresses
 * included, then gets its live binding again. */
static void
test_learning_bounded(void **state)
{
	struct fx *f = *state;
	struct addr a, b;
	uint64_t t;

	/* unused, a superseded binding holds its address a connect grace (2 s) */
	for (t = 0; t < 4 * 300; t += 300)
		assert_int_equal(ask(f, "192.0.2.1", 1, NAT_REQ_ADDRESS, t, &a), 0);
	assert_int_equal(stats(f).allocated, 4);
	assert_int_equal(ask(f, "192.0.2.1", 1, NAT_REQ_ADDRESS, 4 * 300, &b), 0);
	assert_string_equal(ntop(&a), ntop(&b));
	assert_int_equal(stats(f).allocated, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window_binding_admits_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalescing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_through_burst_and_ghost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_is_one_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supersede, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_target_and_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_only_plain_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sla_in_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learning_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_learning_reanswers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learning_bounded, setup, teardown),
	};

	return cmocka_run_group_tests_name("pool_window", tests, NULL, NULL);
}
