/* SPDX-License-Identifier: MIT */
/* tests/unit/test_window.c -- resolver cache windows: evidence and decisions (nat/window.c) */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nat/window.h"

/* A policy with two resolver groups: "isp" (learned) and "pinned" (cache_window_ms 1500). */
struct fx {
	struct pol_snap snap;
	struct pol_resolver_group groups[2];
	struct pol_resolver_node nodes[2];
	struct nat_window *w;
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

static uint64_t
key_of(struct fx *f, const char *ip)
{
	struct addr a = v4(ip);

	return nat_window_key(f->w, &a);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	pol_admission_defaults(&f->snap.admission);
	f->groups[0].id = 1;
	snprintf(f->groups[0].name, sizeof(f->groups[0].name), "isp");
	f->groups[1].id = 2;
	snprintf(f->groups[1].name, sizeof(f->groups[1].name), "pinned");
	f->groups[1].has_cache_window = true;
	f->groups[1].cache_window_ms = 1500;
	f->nodes[0].group_id = 1;
	f->nodes[0].prefix.addr = v4("198.51.100.0");
	f->nodes[0].prefix.len = 24;
	f->nodes[1].group_id = 2;
	f->nodes[1].prefix.addr = v4("203.0.113.53");
	f->nodes[1].prefix.len = 32;
	f->snap.resolver_groups = f->groups;
	f->snap.n_resolver_groups = 2;
	f->snap.resolver_nodes = f->nodes;
	f->snap.n_resolver_nodes = 2;
	f->w = nat_window_new(8, 64);
	assert_non_null(f->w);
	assert_int_equal(nat_window_apply(f->w, &f->snap), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nat_window_free(f->w);
	free(f);
	return 0;
}

static struct nat_win_decision
decide(struct fx *f, uint64_t key, uint64_t now)
{
	struct nat_win_decision d;

	nat_window_decide(f->w, key, now, &d);
	return d;
}

/* One answer (binding id, service 7) at t, used once by one source at t + delay, then asked
 * again at t + gap: the life of a pass-through resolver's answer. */
static void
clean_round(struct fx *f, uint64_t key, uint64_t id, uint64_t t, uint32_t delay, uint64_t gap)
{
	struct nat_win_end e = {
		.flows = 1, .one_source = true, .first_delay = delay, .answers = 1
	};

	assert_int_equal(nat_window_answered(f->w, key, 7, id, false, t), 0);
	nat_window_flow(f->w, key, 7, id, t, 1, 1, true, t + delay, false, t + delay);
	nat_window_ended(f->w, key, 7, id, &e, t + delay);
	(void)gap;
}

static void
test_keys(void **state)
{
	struct fx *f = *state;
	struct addr none;
	uint64_t a, b, c;

	memset(&none, 0, sizeof(none));
	assert_int_equal(nat_window_key(f->w, &none), 0);
	/* two resolvers of one group: one entity */
	a = key_of(f, "198.51.100.1");
	b = key_of(f, "198.51.100.2");
	assert_true(a != 0 && a == b);
	/* a resolver outside every group: an entity of its own, stable */
	c = key_of(f, "192.0.2.1");
	assert_true(c != 0 && c != a);
	assert_int_equal(key_of(f, "192.0.2.1"), c);
	/* a group keeps its key across applies (same name) */
	assert_int_equal(nat_window_apply(f->w, &f->snap), 0);
	assert_int_equal(key_of(f, "198.51.100.9"), a);
}

/* Fresh entities learn with the configured window and do not coalesce; a pinned group gets its
 * window; admission cache_window_ms 0 switches windows off. */
static void
test_defaults_pin_off(void **state)
{
	struct fx *f = *state;
	uint64_t isp = key_of(f, "198.51.100.1");
	uint64_t pin = key_of(f, "203.0.113.53");
	struct nat_win_decision d;

	d = decide(f, isp, 0);
	assert_int_equal(d.state, NAT_WIN_LEARNING);
	assert_int_equal(d.window_ms, POL_CACHE_WINDOW_DEFAULT_MS);
	assert_false(d.coalesce);
	d = decide(f, pin, 0);
	assert_int_equal(d.state, NAT_WIN_PINNED);
	assert_int_equal(d.window_ms, 1500);
	assert_true(d.coalesce);
	assert_int_equal(nat_window_flows(f->w), POL_WINDOW_FLOWS_DEFAULT);
	f->snap.admission.cache_window_ms = 0;
	f->snap.admission.window_flows = 3;
	assert_int_equal(nat_window_apply(f->w, &f->snap), 0);
	d = decide(f, isp, 0);
	assert_int_equal(d.state, NAT_WIN_OFF);
	assert_int_equal(d.window_ms, 0);
	assert_int_equal(d.burst_ms, 0);
	assert_int_equal(nat_window_flows(f->w), 3);
	/* the pin wins over "off" */
	assert_int_equal(decide(f, pin, 0).window_ms, 1500);
}

/* unbound / BIND: every answer used once, promptly, then asked again: after
 * NAT_WIN_MIN_CLEAN such re-asks the window is lowered to their 25th percentile, to 0 (with a
 * burst) when that is below NAT_WIN_STRICT_BELOW_MS. */
static void
test_clean_reasks_lower(void **state)
{
	struct fx *f = *state;
	uint64_t k = key_of(f, "192.0.2.1");
	uint64_t t = 1000, id;
	static const uint32_t gaps[] = { 900, 120, 300, 150, 2000, 80 };
	struct nat_win_decision d;

	for (id = 1; id <= 4; id++) {
		clean_round(f, k, id, t, 5, gaps[id - 1]);
		t += gaps[id - 1];
		/* three clean samples are not enough */
		if (id < 4)
			assert_int_equal(decide(f, k, t).state, NAT_WIN_LEARNING);
	}
	/* the fifth answer completes the fourth sample */
	clean_round(f, k, 5, t, 5, 0);
	d = decide(f, k, t);
	assert_int_equal(d.state, NAT_WIN_LOWERED);
	/* samples 900 120 300 150: the 25th percentile is 150: below 500, so 0 with a burst */
	assert_int_equal(d.window_ms, 0);
	assert_int_equal(d.burst_ms, NAT_WIN_BURST_MS);
	assert_false(d.coalesce);
}

/* A resolver that only re-asks after 1.2-1.5 s: lowered to that, not to 0. */
static void
test_slow_reasks_lower_to_gap(void **state)
{
	struct fx *f = *state;
	uint64_t k = key_of(f, "192.0.2.2");
	uint64_t t = 0, id;
	struct nat_win_decision d;

	for (id = 1; id <= 5; id++) {
		clean_round(f, k, id, t, 10, 0);
		t += 1200 + 100 * id;
	}
	d = decide(f, k, t);
	assert_int_equal(d.state, NAT_WIN_LOWERED);
	/* samples 1300 1400 1500 1600: p25 = 1400 */
	assert_int_equal(d.window_ms, 1400);
	assert_int_equal(d.burst_ms, 0);
}

/* PowerDNS Recursor: a second client uses the answer 600 ms later -> caching: the configured
 * window and coalescing. A second source within the first flow's burst (a merged question)
 * is not evidence. */
static void
test_second_source_caches(void **state)
{
	struct fx *f = *state;
	uint64_t k = key_of(f, "198.51.100.7");
	struct nat_win_decision d;

	nat_window_answered(f->w, k, 7, 1, false, 0);
	nat_window_flow(f->w, k, 7, 1, 0, 1, 1, true, 10, true, 10);
	nat_window_flow(f->w, k, 7, 1, 0, 1, 2, true, 10, true, 10 + NAT_WIN_BURST_MS);
	assert_int_equal(decide(f, k, 300).state, NAT_WIN_LEARNING);
	/* several sources on a binding we answered twice: our answers explain them */
	nat_window_flow(f->w, k, 7, 1, 0, 2, 3, true, 10, true, 600);
	assert_int_equal(decide(f, k, 600).state, NAT_WIN_LEARNING);
	nat_window_flow(f->w, k, 7, 1, 0, 1, 3, true, 10, true, 600);
	d = decide(f, k, 600);
	assert_int_equal(d.state, NAT_WIN_CACHING);
	assert_int_equal(d.window_ms, POL_CACHE_WINDOW_DEFAULT_MS);
	assert_true(d.coalesce);
	/* the evidence of one entity is the whole group's, and nobody else's */
	assert_int_equal(decide(f, key_of(f, "198.51.100.200"), 600).state, NAT_WIN_CACHING);
	assert_int_equal(decide(f, key_of(f, "192.0.2.77"), 600).state, NAT_WIN_LEARNING);
	/* forgotten after NAT_WIN_EVIDENCE_MS */
	assert_int_equal(decide(f, k, 600 + NAT_WIN_EVIDENCE_MS).state, NAT_WIN_LEARNING);
}

/* Knot Resolver refreshes on a hit and hands out the old answer: a flow on an answer after a
 * newer one was given (later than the burst) is evidence; the re-ask is no clean sample. A
 * first flow long after the answer on a windowed binding is evidence too. */
static void
test_refresh_and_late_use_cache(void **state)
{
	struct fx *f = *state;
	uint64_t k = key_of(f, "192.0.2.3");
	uint64_t k2 = key_of(f, "192.0.2.4");
	struct nat_win_end e = {
		.flows = 1, .one_source = true, .first_delay = 1800, .answers = 1
	};

	assert_int_equal(nat_window_answered(f->w, k, 7, 1, false, 0), 0);
	/* the refresh: the previous live binding is returned to be superseded */
	assert_int_equal(nat_window_answered(f->w, k, 7, 2, false, 1500), 1);
	/* the client of the refresh uses the old answer within the burst: no evidence yet */
	nat_window_flow(f->w, k, 7, 1, 0, 1, 1, true, 1510, true, 1510);
	assert_int_equal(decide(f, k, 1510).state, NAT_WIN_LEARNING);
	/* and once more, later: cached */
	nat_window_flow(f->w, k, 7, 1, 0, 1, 2, false, 1510, true, 1500 + NAT_WIN_BURST_MS + 1);
	assert_int_equal(decide(f, k, 1800).state, NAT_WIN_CACHING);
	/* the superseded binding ends used once, but dirty: no clean sample */
	nat_window_ended(f->w, k, 7, 1, &e, 2000);
	/* a first flow 1.8 s after the answer of a windowed binding */
	nat_window_answered(f->w, k2, 7, 10, false, 0);
	nat_window_flow(f->w, k2, 7, 10, 0, 1, 1, true, 1800, false, 1800);
	assert_int_equal(decide(f, k2, 1800).state, NAT_WIN_LEARNING);
	nat_window_flow(f->w, k2, 7, 10, 0, 1, 1, true, 1800, true, 1800);
	assert_int_equal(decide(f, k2, 1800).state, NAT_WIN_CACHING);
}

/* Clean samples need the previous answer used by one source, promptly, answered once. */
static void
test_unclean_reasks_are_no_samples(void **state)
{
	struct fx *f = *state;
	uint64_t k = key_of(f, "192.0.2.5");
	struct nat_win_end slow = {
		.flows = 1, .one_source = true, .first_delay = 1500, .answers = 1
	};
	struct nat_win_end two = {
		.flows = 2, .one_source = false, .first_delay = 5, .answers = 1
	};
	struct nat_win_end twice = {
		.flows = 1, .one_source = true, .first_delay = 5, .answers = 2
	};
	struct nat_win_end unused = { .answers = 1 };
	const struct nat_win_end *ends[] = { &slow, &two, &twice, &unused, &slow, &two };
	uint64_t t = 0, id;

	for (id = 1; id <= 6; id++) {
		nat_window_answered(f->w, k, 7, id, false, t);
		nat_window_ended(f->w, k, 7, id, ends[id - 1], t + 10);
		t += 100;
	}
	nat_window_answered(f->w, k, 7, 7, false, t);
	assert_int_equal(decide(f, k, t).state, NAT_WIN_LEARNING);
}

/* A pinned group ignores evidence; a refused flow on a spent one-flow answer is evidence. */
static void
test_pinned_and_missed(void **state)
{
	struct fx *f = *state;
	uint64_t pin = key_of(f, "203.0.113.53");
	uint64_t k = key_of(f, "192.0.2.6");

	nat_window_missed(f->w, pin, 0, 700);
	assert_int_equal(decide(f, pin, 700).state, NAT_WIN_PINNED);
	nat_window_missed(f->w, k, 0, 700);
	assert_int_equal(decide(f, k, 700).state, NAT_WIN_CACHING);
}

static int
collect(void *arg, const struct nat_win_entry *e)
{
	struct nat_win_entry *out = arg;
	size_t i;

	for (i = 0; i < 16 && out[i].name[0]; i++)
		;
	if (i < 16)
		out[i] = *e;
	return 0;
}

static void
test_view(void **state)
{
	struct fx *f = *state;
	struct nat_win_entry seen[16];
	uint64_t k = key_of(f, "192.0.2.8");

	memset(seen, 0, sizeof(seen));
	nat_window_missed(f->w, k, 100, 900);
	nat_window_foreach(f->w, 1000, collect, seen);
	assert_string_equal(seen[0].name, "isp");
	assert_int_equal(seen[0].d.state, NAT_WIN_LEARNING);
	assert_string_equal(seen[1].name, "pinned");
	assert_int_equal(seen[1].pinned_ms, 1500);
	assert_string_equal(seen[2].name, "resolver:192.0.2.8");
	assert_int_equal(seen[2].cached, 1);
	assert_int_equal(seen[2].cached_max_ms, 800);
	assert_string_equal(nat_win_state_name(NAT_WIN_CACHING), "caching");
}

/* The unknown-resolver table is bounded: the least recently seen entity goes. */
static void
test_bounded(void **state)
{
	struct fx *f = *state;
	char ip[32];
	uint64_t first;
	int i;

	first = key_of(f, "192.0.2.100");
	nat_window_missed(f->w, first, 0, 10);
	for (i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", 150 + i);
		(void)key_of(f, ip);
	}
	/* its evidence went with it */
	assert_int_equal(decide(f, first, 20).state, NAT_WIN_LEARNING);
	/* and a hundred pairs fit in the slot table's bound without growing */
	for (i = 0; i < 100; i++)
		(void)nat_window_answered(f->w, first, i, (uint64_t)i + 1, false, 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_pin_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_reasks_lower, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reasks_lower_to_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_source_caches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_and_late_use_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclean_reasks_are_no_samples, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pinned_and_missed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
	};

	return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
