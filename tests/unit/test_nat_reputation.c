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

#include "nat/reputation.h"

struct found {
	const char *key;
	double value;
	bool hit;
};

static int
find_cb(void *arg, const struct nat_rep_entry *e)
{
	struct found *f = arg;

	if (strcmp(e->key, f->key) == 0) {
		f->value = e->value;
		f->hit = true;
		return 1;
	}
	return 0;
}

static double
value_of(struct nat_rep *r, const char *key)
{
	struct found f = { key, -1, false };

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
	s->resolver_groups[0] = (struct pol_resolver_group){ 1, "sla", 1.0, true };
	s->resolver_groups[1] = (struct pol_resolver_group){ 2, "other", 0.45, false };
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
	};

	return cmocka_run_group_tests_name("nat_reputation", tests, NULL, NULL);
}
