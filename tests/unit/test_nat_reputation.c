/* SPDX-License-Identifier: MIT */
/* tests/unit/test_nat_reputation.c -- evidence engine: who is credited, who is blamed */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nat/reputation.h"
#include "policy_fixture.h"

struct found {
	const char *key;
	double value;
	bool hit;
	struct nat_rep_entry e;
};

static int
find_cb(void *arg, const struct nat_rep_entry *e)
{
	struct found *f = arg;

	if (strcmp(e->key, f->key) == 0) {
		f->value = e->value;
		f->hit = true;
		f->e = *e;
		return 1;
	}
	return 0;
}

static struct pol_rep_window
window_of(struct nat_rep *r, const char *key)
{
	struct found f = { .key = key, .value = -1 };

	nat_rep_foreach(r, find_cb, &f);
	assert_true(f.hit);
	return f.e.w;
}

static double
value_of(struct nat_rep *r, const char *key)
{
	struct found f = { .key = key, .value = -1 };

	nat_rep_foreach(r, find_cb, &f);
	assert_true(f.hit);
	return f.value;
}

/* A policy with one SLA resolver group (100.64.0.1, rep 1.0), one non-SLA group
 * (1.1.4.0/24, 0.45), one host, and the gwa.demo brackets. */
static struct pol_snap *
make_snap(bool unknown_groups)
{
	static const struct pol_bracket gwa[] = {
		{ 1, 0, 0, 33, 0.20, 0.15, 0.05, POL_MATH_MAX },
		{ 2, 1, 33, 66, 0.75, 0.45, 0.25, POL_MATH_MAX },
		{ 3, 2, 66, 99, 0.85, 0.65, 0.55, POL_MATH_AVG },
		{ 4, 3, 99, 100, 1.00, 0.85, 0.75, POL_MATH_MIN },
	};
	struct pol_snap *s = pol_snap_new();

	assert_non_null(s);
	s->resolver_groups = calloc(2, sizeof(*s->resolver_groups));
	s->n_resolver_groups = 2;
	s->resolver_groups[0] = (struct pol_resolver_group){
		.id = 1, .name = "sla", .initial_reputation = 1.0, .sla = true
	};
	s->resolver_groups[1] =
		(struct pol_resolver_group){ .id = 2, .name = "other", .initial_reputation = 0.45 };
	s->resolver_nodes = calloc(2, sizeof(*s->resolver_nodes));
	s->n_resolver_nodes = 2;
	s->resolver_nodes[0].id = 1;
	s->resolver_nodes[0].group_id = 1;
	assert_int_equal(prefix_parse("100.64.0.1", false, &s->resolver_nodes[0].prefix), 0);
	s->resolver_nodes[1].id = 2;
	s->resolver_nodes[1].group_id = 2;
	assert_int_equal(prefix_parse("1.1.4.0/24", false, &s->resolver_nodes[1].prefix), 0);
	s->hosts = calloc(1, sizeof(*s->hosts));
	s->n_hosts = 1;
	s->hosts[0].id = 7;
	strcpy(s->hosts[0].fqdn, "test.gwa.demo");
	s->brackets = calloc(4, sizeof(*s->brackets));
	memcpy(s->brackets, gwa, sizeof(gwa));
	s->n_brackets = 4;
	s->admission.unknown_resolver_groups = unknown_groups;
	return s;
}

static void
binding(struct nat_binding_info *b, const char *resolver, const char *requestor, bool sla)
{
	memset(b, 0, sizeof(*b));
	b->host_id = 7;
	assert_int_equal(addr_parse(resolver, &b->resolver), 0);
	if (requestor) {
		b->has_requestor = true;
		assert_int_equal(prefix_parse(requestor, false, &b->requestor), 0);
	}
	b->sla = sla;
}

static void
test_used_credits_group_and_requestor(void **state)
{
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_binding_info b;

	(void)state;
	assert_int_equal(nat_rep_apply(r, s), 0);
	binding(&b, "100.64.0.1", "1.1.2.0/24", true);
	nat_rep_binding_end(r, &b, NAT_BINDING_USED);
	assert_true(value_of(r, "1.1.2.0/24") > 0.45);
	assert_true(value_of(r, "sla") > 0.99);
	nat_rep_free(r);
	pol_snap_unref(s);
}

static void
test_expired_blames_requestor_when_sla(void **state)
{
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_binding_info b;
	double g;

	(void)state;
	assert_int_equal(nat_rep_apply(r, s), 0);
	g = value_of(r, "sla");
	binding(&b, "100.64.0.1", "1.1.3.0/24", true);
	nat_rep_binding_end(r, &b, NAT_BINDING_EXPIRED);
	assert_true(value_of(r, "1.1.3.0/24") < 0.45);
	assert_true(fabs(value_of(r, "sla") - g) < 1e-9); /* the SLA resolver is not blamed */
	assert_true(value_of(r, "test.gwa.demo") < 0.45); /* the host's own view */
	/* without SLA the resolver group is blamed */
	binding(&b, "1.1.4.7", "1.1.5.0/24", false);
	nat_rep_binding_end(r, &b, NAT_BINDING_EXPIRED);
	assert_true(value_of(r, "other") < 0.45);
	nat_rep_free(r);
	pol_snap_unref(s);
}

static void
test_requestor_key_keeps_prefix_length(void **state)
{
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_binding_info b;

	(void)state;
	assert_int_equal(nat_rep_apply(r, s), 0);
	binding(&b, "100.64.0.1", "1.1.2.0/24", true);
	nat_rep_binding_end(r, &b, NAT_BINDING_EXPIRED);
	binding(&b, "100.64.0.1", "1.1.2.0/32", true);
	nat_rep_binding_end(r, &b, NAT_BINDING_USED);
	/* two different entities: the original collided them */
	assert_true(value_of(r, "1.1.2.0/24") < 0.45);
	assert_true(value_of(r, "1.1.2.0/32") > 0.45);
	nat_rep_free(r);
	pol_snap_unref(s);
}

static void
test_requestors_bounded(void **state)
{
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(16);
	struct nat_rep_stats st;
	struct nat_binding_info b;
	char buf[32];
	int i;

	(void)state;
	assert_int_equal(nat_rep_apply(r, s), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "10.%d.%d.0/24", i / 256, i % 256);
		binding(&b, "100.64.0.1", buf, true);
		nat_rep_binding_end(r, &b, NAT_BINDING_EXPIRED);
	}
	nat_rep_get_stats(r, &st);
	assert_true(st.n_requestors <= 16);
	assert_true(st.requestors_evicted >= 984);
	nat_rep_free(r);
	pol_snap_unref(s);
}

static void
test_admission_under_load(void **state)
{
	struct pol_snap *s = make_snap(true);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_request q;
	struct nat_binding_info b;
	int i;

	(void)state;
	assert_int_equal(nat_rep_apply(r, s), 0);
	memset(&q, 0, sizeof(q));
	/* SLA resolver with reputation 1.0, no requestor: max(1.0, 0) */
	assert_int_equal(addr_parse("100.64.0.1", &q.resolver), 0);
	assert_true(nat_rep_admit(r, &q, 50, NAT_CLASS_FQDN_NEW));
	/* at full load min(1.0, 0) fails: a requestor is needed */
	assert_false(nat_rep_admit(r, &q, 100, NAT_CLASS_FQDN_NEW));
	/* an unknown resolver (own group at 0.45, normalised by the best 1.0) */
	assert_int_equal(addr_parse("203.0.113.9", &q.resolver), 0);
	assert_true(nat_rep_admit(r, &q, 10, NAT_CLASS_FQDN_NEW));
	assert_false(nat_rep_admit(r, &q, 50, NAT_CLASS_FQDN_NEW));
	/* its unused bindings drive it below even the low-load threshold */
	binding(&b, "203.0.113.9", NULL, false);
	for (i = 0; i < 20; i++)
		nat_rep_binding_end(r, &b, NAT_BINDING_EXPIRED);
	assert_false(nat_rep_admit(r, &q, 10, NAT_CLASS_FQDN_NEW));
	/* an override lets the operator trust it again */
	assert_int_equal(
		nat_rep_override(r, POL_REP_RESOLVER_GROUP, "resolver:203.0.113.9", true, 1.0), 0);
	assert_true(nat_rep_admit(r, &q, 50, NAT_CLASS_FQDN_NEW));
	assert_int_equal(nat_rep_reset(r, POL_REP_RESOLVER_GROUP, "resolver:203.0.113.9"), 0);
	assert_int_equal(nat_rep_override(r, POL_REP_HOST, "nope", true, 1), -ENOENT);
	nat_rep_free(r);
	pol_snap_unref(s);
}

static void
test_transition_and_apply_keep_state(void **state)
{
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_binding_info b;
	double before;

	(void)state;
	assert_int_equal(nat_rep_apply(r, s), 0);
	binding(&b, "1.1.4.1", NULL, false);
	nat_rep_binding_end(r, &b, NAT_BINDING_EXPIRED);
	before = value_of(r, "other");
	assert_int_equal(nat_rep_apply(r, s), 0);
	assert_true(fabs(value_of(r, "other") - before) < 1e-9);
	nat_rep_transition(r);
	assert_true(value_of(r, "other") > before); /* ageing toward neutral */
	nat_rep_free(r);
	pol_snap_unref(s);
}

/* Replace s's hosts by n (id, fqdn) pairs, sorted by id. */
static void
set_hosts(struct pol_snap *s, const int64_t *ids, const char *const *names, size_t n)
{
	free(s->hosts);
	s->hosts = calloc(n, sizeof(*s->hosts));
	assert_non_null(s->hosts);
	s->n_hosts = n;
	for (size_t i = 0; i < n; i++) {
		s->hosts[i].id = ids[i];
		strcpy(s->hosts[i].fqdn, names[i]);
	}
}

/* A host keeps its evidence by name through a change: under its id, or under a new id (a
 * bundle import); a host renamed does not take its old name's evidence. */
static void
test_apply_hosts_keep_by_name(void **state)
{
	static const int64_t ids0[] = { 3, 7, 9 }, ids1[] = { 3, 7, 9, 12 };
	static const char *const names0[] = { "a.gwa.demo", "test.gwa.demo", "c.gwa.demo" };
	static const char *const names1[] = { "a.gwa.demo", "renamed.gwa.demo", "c.gwa.demo",
					      "test.gwa.demo" };
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(100);
	double neutral;

	(void)state;
	set_hosts(s, ids0, names0, 3);
	assert_int_equal(nat_rep_apply(r, s), 0);
	neutral = value_of(r, "a.gwa.demo");
	assert_int_equal(nat_rep_override(r, POL_REP_HOST, "a.gwa.demo", true, 0.1), 0);
	assert_int_equal(nat_rep_override(r, POL_REP_HOST, "test.gwa.demo", true, 0.9), 0);
	assert_int_equal(nat_rep_override(r, POL_REP_HOST, "c.gwa.demo", true, 0.3), 0);
	set_hosts(s, ids1, names1, 4);
	assert_int_equal(nat_rep_apply(r, s), 0);
	assert_true(fabs(value_of(r, "a.gwa.demo") - 0.1) < 1e-9);
	assert_true(fabs(value_of(r, "c.gwa.demo") - 0.3) < 1e-9);
	assert_true(fabs(value_of(r, "test.gwa.demo") - 0.9) < 1e-9);
	assert_true(fabs(value_of(r, "renamed.gwa.demo") - neutral) < 1e-9);
	nat_rep_free(r);
	pol_snap_unref(s);
}

/*
 * An SLA group configured at 0.9 whose bindings are used (and whose requestors' unused SLA
 * bindings blame the requestor): at no phase of the period is it below 0.9, and an idle
 * group stays exactly at its configured value. With evidence fading toward the neutral 0.45
 * the first was 0.85 and the second 0.7875 right after a transition.
 */
static void
test_sla_group_holds_prior_at_every_phase(void **state)
{
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_binding_info b;
	int p, i;

	(void)state;
	s->resolver_groups[0].initial_reputation = 0.9;
	s->resolver_groups[1].initial_reputation = 0.7;
	assert_int_equal(nat_rep_apply(r, s), 0);
	for (p = 0; p < 40; p++) {
		for (i = 0; i < 5; i++) {
			binding(&b, "100.64.0.1", "10.10.0.0/24", true);
			nat_rep_binding_end(r, &b, i == 4 ? NAT_BINDING_EXPIRED : NAT_BINDING_USED);
			assert_true(value_of(r, "sla") >= 0.9);
		}
		nat_rep_transition(r);
		assert_true(value_of(r, "sla") >= 0.9);
		assert_true(value_of(r, "other") == 0.7); /* idle: exactly its prior */
		assert_true(window_of(r, "other").prior == 0.7);
	}
	/* the requestor is learned: neutral prior; blamed for 1 in 5, credited for 4 */
	assert_true(window_of(r, "10.10.0.0/24").prior == POL_REP_NEUTRAL);
	/* the host's view: only NOKs, below neutral, returning to it when idle */
	assert_true(value_of(r, "test.gwa.demo") < POL_REP_NEUTRAL);
	for (p = 0; p < 200; p++)
		nat_rep_transition(r);
	assert_true(fabs(value_of(r, "test.gwa.demo") - POL_REP_NEUTRAL) < 1e-9);
	assert_true(fabs(value_of(r, "sla") - 0.9) < 1e-9 && value_of(r, "sla") >= 0.9);
	nat_rep_free(r);
	pol_snap_unref(s);
}

/* A changed initial_reputation restarts the group from the new prior; an unchanged one
 * keeps the evidence. nat_rep_apply says how many restarted. */
static void
test_apply_changed_initial_restarts(void **state)
{
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_binding_info b;
	double before;
	int i;

	(void)state;
	assert_int_equal(nat_rep_apply(r, s), 0);
	binding(&b, "1.1.4.1", NULL, false);
	for (i = 0; i < 4; i++)
		nat_rep_binding_end(r, &b, NAT_BINDING_EXPIRED);
	nat_rep_transition(r);
	before = value_of(r, "other");
	assert_true(before < 0.45);
	s->resolver_groups[0].sla = false; /* not the initial value: kept */
	assert_int_equal(nat_rep_apply(r, s), 0);
	assert_true(value_of(r, "other") == before);
	s->resolver_groups[1].initial_reputation = 0.8;
	assert_int_equal(nat_rep_apply(r, s), 1);
	assert_true(value_of(r, "other") == 0.8);
	assert_int_equal(window_of(r, "other").periods, 0);
	for (i = 0; i < 10; i++)
		nat_rep_transition(r);
	assert_true(value_of(r, "other") == 0.8);
	nat_rep_free(r);
	pol_snap_unref(s);
}

/* Reset returns to the entity's prior: the configured value for a group, neutral for a
 * learned entity. */
static void
test_reset_returns_to_prior(void **state)
{
	struct pol_snap *s = make_snap(true);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_binding_info b;
	int i;

	(void)state;
	s->resolver_groups[0].initial_reputation = 0.9;
	assert_int_equal(nat_rep_apply(r, s), 0);
	binding(&b, "100.64.0.1", NULL, false); /* no requestor: the group is blamed */
	for (i = 0; i < 6; i++)
		nat_rep_binding_end(r, &b, NAT_BINDING_EXPIRED);
	binding(&b, "203.0.113.9", NULL, false);
	nat_rep_binding_end(r, &b, NAT_BINDING_USED);
	nat_rep_transition(r);
	assert_true(value_of(r, "sla") < 0.9);
	assert_true(value_of(r, "resolver:203.0.113.9") > 0.45);
	assert_int_equal(nat_rep_reset(r, POL_REP_RESOLVER_GROUP, "sla"), 0);
	assert_int_equal(nat_rep_reset(r, POL_REP_RESOLVER_GROUP, "resolver:203.0.113.9"), 0);
	assert_true(value_of(r, "sla") == 0.9);
	assert_true(value_of(r, "resolver:203.0.113.9") == 0.45);
	nat_rep_transition(r);
	assert_true(value_of(r, "sla") == 0.9);
	assert_true(value_of(r, "resolver:203.0.113.9") == 0.45);
	nat_rep_free(r);
	pol_snap_unref(s);
}

/* Cluster discovery: the asker's group absorbs the issuer's evidence and keeps its own
 * prior (an auto group fades to neutral, not to the SLA group's 0.9). */
static void
test_merge_keeps_target_prior(void **state)
{
	struct pol_snap *s = make_snap(true);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_binding_info b;
	struct addr into, from;
	int i;

	(void)state;
	s->resolver_groups[0].initial_reputation = 0.9;
	assert_int_equal(nat_rep_apply(r, s), 0);
	binding(&b, "100.64.0.1", "10.10.0.0/24", true);
	nat_rep_binding_end(r, &b, NAT_BINDING_USED);
	nat_rep_transition(r);
	assert_int_equal(addr_parse("203.0.113.7", &into), 0);
	assert_int_equal(addr_parse("100.64.0.1", &from), 0);
	assert_int_equal(nat_rep_merge_resolvers(r, &into, &from), 0);
	assert_true(window_of(r, "resolver:203.0.113.7").prior == 0.45);
	assert_int_equal(window_of(r, "resolver:203.0.113.7").periods, 1);
	assert_true(value_of(r, "resolver:203.0.113.7") > 0.45);
	assert_true(window_of(r, "sla").prior == 0.9);
	for (i = 0; i < 200; i++)
		nat_rep_transition(r);
	assert_true(fabs(value_of(r, "resolver:203.0.113.7") - 0.45) < 1e-9);
	assert_true(fabs(value_of(r, "sla") - 0.9) < 1e-9);
	nat_rep_free(r);
	pol_snap_unref(s);
}

struct cmp_ctx {
	struct nat_rep *other;
	int n;
};

static int
same_cb(void *arg, const struct nat_rep_entry *e)
{
	struct cmp_ctx *c = arg;
	struct pol_rep_window w = window_of(c->other, e->key);

	if (memcmp(&w, &e->w, sizeof(w)) != 0)
		fail_msg("%s: restored window differs", e->key);
	c->n++;
	return 0;
}

/* Every entity of a identical to its namesake in b (prior included); count of a's. */
static int
assert_same(struct nat_rep *a, struct nat_rep *b)
{
	struct cmp_ctx c = { b, 0 };

	nat_rep_foreach(a, same_cb, &c);
	return c.n;
}

/*
 * Save and load: every kind of entity comes back identical, prior included (the prior is
 * not stored: groups take it from the policy, learned entities are neutral), and keeps
 * ageing in step with the engine that saved it. A row that never transitioned (an override
 * written for a group before any evidence) starts from the group's prior.
 */
static void
test_save_load_keeps_prior(void **state)
{
	struct pol_snap *s = make_snap(true);
	struct nat_rep *a = nat_rep_new(100), *b = nat_rep_new(100), *c = nat_rep_new(100);
	struct pol_reputation row;
	struct nat_binding_info bi;
	struct pol_err e = { 0 };
	struct pol_store *st;
	char *dir = fx_tmpdir(), path[512];
	int i;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/rep.db", dir);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	s->resolver_groups[0].initial_reputation = 0.9;
	assert_int_equal(nat_rep_apply(a, s), 0);
	for (i = 0; i < 3; i++) {
		binding(&bi, "100.64.0.1", "10.10.0.0/24", true);
		nat_rep_binding_end(a, &bi, NAT_BINDING_USED);
		binding(&bi, "1.1.4.2", NULL, false);
		nat_rep_binding_end(a, &bi, NAT_BINDING_EXPIRED);
		binding(&bi, "203.0.113.9", "10.20.0.0/24", false);
		nat_rep_binding_end(a, &bi, NAT_BINDING_EXPIRED);
		nat_rep_transition(a);
	}
	assert_int_equal(nat_rep_override(a, POL_REP_REQUESTOR, "10.30.0.0/24", true, 0.2), 0);
	assert_int_equal(nat_rep_save(a, st), 0);
	assert_int_equal(nat_rep_apply(b, s), 0);
	assert_int_equal(nat_rep_load(b, st), 0);
	/* sla, other, auto group, 3 requestors, host */
	assert_int_equal(assert_same(a, b), 7);
	assert_int_equal(assert_same(b, a), 7);
	assert_true(window_of(b, "sla").prior == 0.9);
	assert_true(window_of(b, "resolver:203.0.113.9").prior == 0.45);
	for (i = 0; i < 30; i++) {
		nat_rep_transition(a);
		nat_rep_transition(b);
	}
	assert_int_equal(assert_same(a, b), 7);
	assert_true(value_of(b, "sla") >= 0.9);

	/* an override row written before any evidence (as PUT /reputation does for an entity
	 * it does not know yet): stored initials are neutral, the group's prior is 0.9 */
	memset(&row, 0, sizeof(row));
	row.kind = POL_REP_RESOLVER_GROUP;
	util_strlcpy(row.key, "sla", sizeof(row.key));
	row.prev_initial = row.cur_initial = 0.45;
	row.prev_neutral = row.cur_neutral = 5;
	row.has_override = true;
	row.override_value = 0.5;
	assert_int_equal(pol_reputation_save(st, &row), 0);
	assert_int_equal(nat_rep_apply(c, s), 0);
	assert_int_equal(nat_rep_load(c, st), 0);
	assert_true(value_of(c, "sla") == 0.5);
	assert_int_equal(nat_rep_override(c, POL_REP_RESOLVER_GROUP, "sla", false, 0), 0);
	assert_true(value_of(c, "sla") == 0.9);
	nat_rep_transition(c);
	assert_true(value_of(c, "sla") == 0.9);

	nat_rep_free(a);
	nat_rep_free(b);
	nat_rep_free(c);
	pol_store_close(st);
	fx_rmdir(dir);
	pol_snap_unref(s);
}

/* The save counters the status shows: how many saves completed, and when the last did. */
static void
test_save_counts(void **state)
{
	struct pol_snap *s = make_snap(false);
	struct nat_rep *r = nat_rep_new(100);
	struct nat_rep_stats st0, st1;
	struct pol_err e = { 0 };
	struct pol_store *st;
	char *dir = fx_tmpdir(), path[512];

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/rep.db", dir);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	assert_int_equal(nat_rep_apply(r, s), 0);
	nat_rep_get_stats(r, &st0);
	assert_int_equal(st0.saves, 0);
	assert_int_equal(st0.last_save_ms, 0);
	assert_int_equal(nat_rep_save(r, st), 0);
	assert_int_equal(nat_rep_save(r, st), 0);
	nat_rep_get_stats(r, &st1);
	assert_int_equal(st1.saves, 2);
	assert_true(st1.last_save_ms > 1600000000000ull);
	/* a failed save does not count: inside someone else's transaction */
	assert_int_equal(pol_store_begin(st), 0);
	assert_true(nat_rep_save(r, st) < 0);
	pol_store_rollback(st);
	nat_rep_get_stats(r, &st1);
	assert_int_equal(st1.saves, 2);
	nat_rep_free(r);
	pol_store_close(st);
	fx_rmdir(dir);
	pol_snap_unref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_used_credits_group_and_requestor),
		cmocka_unit_test(test_expired_blames_requestor_when_sla),
		cmocka_unit_test(test_requestor_key_keeps_prefix_length),
		cmocka_unit_test(test_requestors_bounded),
		cmocka_unit_test(test_admission_under_load),
		cmocka_unit_test(test_transition_and_apply_keep_state),
		cmocka_unit_test(test_apply_hosts_keep_by_name),
		cmocka_unit_test(test_sla_group_holds_prior_at_every_phase),
		cmocka_unit_test(test_apply_changed_initial_restarts),
		cmocka_unit_test(test_reset_returns_to_prior),
		cmocka_unit_test(test_merge_keeps_target_prior),
		cmocka_unit_test(test_save_load_keeps_prior),
		cmocka_unit_test(test_save_counts),
	};

	return cmocka_run_group_tests_name("nat_reputation", tests, NULL, NULL);
}
