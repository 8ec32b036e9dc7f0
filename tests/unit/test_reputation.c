/* SPDX-License-Identifier: MIT */
/* tests/unit/test_reputation.c -- the PBRA reputation model reproduces the original's numbers */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "policy/reputation.h"

#define EPS 1e-4

static void
test_counters_fresh_is_initial(void **state)
{
	struct pol_rep_counters c;

	(void)state;
	pol_rep_counters_init(&c, 0.45);
	assert_int_equal(c.neutral, 5);
	assert_true(fabs(pol_rep_counters_value(&c) - 0.45) < EPS);
}

/* rgw-original-behaviour.md §3.2: 5 neutral + 5 ok = 0.70 with initial 0.45. */
static void
test_counters_five_ok(void **state)
{
	struct pol_rep_counters c;
	int i;

	(void)state;
	pol_rep_counters_init(&c, 0.45);
	for (i = 0; i < 5; i++)
		c.ok++;
	assert_true(fabs(pol_rep_counters_value(&c) - 0.70) < EPS);
}

/* 5 neutral + 5 nok = 0.45 - 0.5 * 10^0.15 * 0.5 ~= 0.097. */
static void
test_counters_five_nok(void **state)
{
	struct pol_rep_counters c;

	(void)state;
	pol_rep_counters_init(&c, 0.45);
	c.nok = 5;
	assert_true(fabs(pol_rep_counters_value(&c) - (0.45 - 0.25 * pow(10.0, 0.15))) < EPS);
	assert_true(fabs(pol_rep_counters_value(&c) - 0.097) < 0.001);
}

static void
test_counters_clamped(void **state)
{
	struct pol_rep_counters c;

	(void)state;
	pol_rep_counters_init(&c, 1.0);
	c.ok = 1000;
	assert_true(pol_rep_counters_value(&c) <= 1.0);
	pol_rep_counters_init(&c, 0.0);
	c.nok = 1000;
	assert_true(pol_rep_counters_value(&c) >= 0.0);
}

static void
test_window_and_transition(void **state)
{
	struct pol_rep_window w;
	int i;

	(void)state;
	pol_rep_window_init(&w, 0.45);
	assert_true(fabs(pol_rep_window_value(&w) - 0.45) < EPS);
	for (i = 0; i < 5; i++)
		pol_rep_window_event(&w, POL_REP_OK);
	/* 0.25 * 0.45 + 0.75 * 0.70 */
	assert_true(fabs(pol_rep_window_value(&w) - 0.6375) < EPS);
	pol_rep_window_transition(&w);
	assert_int_equal(w.periods, 1);
	/* aged one third toward 0.45: 0.6375 - 0.1875 / 3 = 0.575 */
	assert_true(fabs(w.cur.initial - 0.575) < EPS);
	/* previous keeps the old current (0.70) */
	assert_true(fabs(pol_rep_window_value(&w) - (0.25 * 0.70 + 0.75 * 0.575)) < EPS);
}

static void
test_window_nok_ages_up(void **state)
{
	struct pol_rep_window w;
	double v;
	int i;

	(void)state;
	pol_rep_window_init(&w, 0.45);
	for (i = 0; i < 5; i++)
		pol_rep_window_event(&w, POL_REP_NOK);
	v = pol_rep_window_value(&w);
	pol_rep_window_transition(&w);
	assert_true(fabs(w.cur.initial - (v + (0.45 - v) / 3.0)) < EPS);
	/* with no evidence, values converge to neutral */
	for (i = 0; i < 60; i++)
		pol_rep_window_transition(&w);
	assert_true(fabs(pol_rep_window_value(&w) - 0.45) < 0.001);
}

static void
test_window_override(void **state)
{
	struct pol_rep_window w;

	(void)state;
	pol_rep_window_init(&w, 0.45);
	w.has_override = true;
	w.override_value = 0.9;
	pol_rep_window_event(&w, POL_REP_NOK);
	assert_true(fabs(pol_rep_window_value(&w) - 0.9) < EPS);
}

static void
test_window_merge(void **state)
{
	struct pol_rep_window a, b;

	(void)state;
	pol_rep_window_init(&a, 0.45);
	pol_rep_window_init(&b, 0.45);
	pol_rep_window_event(&b, POL_REP_OK);
	pol_rep_window_transition(&b);
	pol_rep_window_event(&b, POL_REP_OK);
	pol_rep_window_merge(&a, &b);
	assert_int_equal(a.periods, 1);
	assert_int_equal(a.cur.ok, 1);
	assert_int_equal(a.cur.neutral, 10); /* both dummy sets, as the original replays them */
}

static void
test_row_round_trip(void **state)
{
	struct pol_rep_window w, w2;
	struct pol_reputation row;

	(void)state;
	memset(&row, 0, sizeof(row));
	pol_rep_window_init(&w, 0.3);
	pol_rep_window_event(&w, POL_REP_OK);
	pol_rep_window_transition(&w);
	pol_rep_window_event(&w, POL_REP_NOK);
	pol_rep_window_to_row(&w, &row);
	pol_rep_window_from_row(&w2, &row);
	assert_memory_equal(&w, &w2, sizeof(w));
}

static void
test_normalise_divides(void **state)
{
	(void)state;
	assert_true(fabs(pol_rep_normalise(0.5, 0.8) - 0.625) < EPS);
	assert_true(fabs(pol_rep_normalise(0.5, 0.0) - 0.5) < EPS);
	assert_true(fabs(pol_rep_normalise(0.9, 0.9) - 1.0) < EPS);
}

/* The gwa.demo admission table (§3.7), in ascending order of load. */
static const struct pol_bracket gwa[] = {
	{ 1, 0, 0, 33, 0.20, 0.15, 0.05, POL_MATH_MAX },
	{ 2, 1, 33, 66, 0.75, 0.45, 0.25, POL_MATH_MAX },
	{ 3, 2, 66, 99, 0.85, 0.65, 0.55, POL_MATH_AVG },
	{ 4, 3, 99, 100, 1.00, 0.85, 0.75, POL_MATH_MIN },
};

static void
test_admit_brackets(void **state)
{
	int which;

	(void)state;
	/* low load: anyone above 0.20 gets a whole address */
	assert_true(pol_rep_admit(gwa, 4, 10, POL_REP_FQDN_NEW, true, 0.25, false, 0, &which));
	assert_int_equal(which, 0);
	assert_false(pol_rep_admit(gwa, 4, 10, POL_REP_FQDN_NEW, true, 0.1, false, 0, &which));
	/* boundary 33 matches two brackets: the first admits */
	assert_true(pol_rep_admit(gwa, 4, 33, POL_REP_FQDN_NEW, true, 0.5, false, 0, &which));
	assert_int_equal(which, 0);
	/* 33.5: only 33-66 (max, fqdn 0.75) */
	assert_false(pol_rep_admit(gwa, 4, 33.5, POL_REP_FQDN_NEW, true, 0.5, false, 0, &which));
	assert_int_equal(which, 1);
	/* 66: 33-66 refuses 0.6, 66-99 (avg 0.85) refuses too */
	assert_false(pol_rep_admit(gwa, 4, 66, POL_REP_FQDN_NEW, true, 0.6, true, 0.6, &which));
	assert_int_equal(which, 2);
	/* 66, sfqdn_new, max(0.7, 0.6) >= 0.45 in the first matching bracket */
	assert_true(pol_rep_admit(gwa, 4, 66, POL_REP_SFQDN_NEW, true, 0.7, true, 0.6, &which));
	assert_int_equal(which, 1);
	/* 80: avg(0.9, 0.5) = 0.7 >= sfqdn_new 0.65 but < fqdn_new 0.85 */
	assert_true(pol_rep_admit(gwa, 4, 80, POL_REP_SFQDN_NEW, true, 0.9, true, 0.5, NULL));
	assert_false(pol_rep_admit(gwa, 4, 80, POL_REP_FQDN_NEW, true, 0.9, true, 0.5, NULL));
	/* full: min of both; a missing requestor counts as 0 */
	assert_true(pol_rep_admit(gwa, 4, 100, POL_REP_FQDN_NEW, true, 1.0, true, 1.0, NULL));
	assert_false(pol_rep_admit(gwa, 4, 100, POL_REP_FQDN_NEW, true, 1.0, false, 0, NULL));
	assert_true(pol_rep_admit(gwa, 4, 100, POL_REP_SFQDN_REUSE, true, 0.8, true, 0.75, NULL));
}

static void
test_admit_defaults(void **state)
{
	struct pol_bracket all = { 1, 0, 0, 100, 0, 0, 0, POL_MATH_MAX };
	int which;

	(void)state;
	/* no brackets: always admit */
	assert_true(pol_rep_admit(NULL, 0, 50, POL_REP_FQDN_NEW, false, 0, false, 0, &which));
	assert_int_equal(which, -1);
	/* the default bracket admits even with no reputation at all (the original crashed) */
	assert_true(pol_rep_admit(&all, 1, 100, POL_REP_FQDN_NEW, false, 0, false, 0, &which));
	/* a load outside every bracket refuses */
	assert_false(pol_rep_admit(&gwa[3], 1, 50, POL_REP_FQDN_NEW, true, 1, true, 1, &which));
	assert_int_equal(which, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_fresh_is_initial),
		cmocka_unit_test(test_counters_five_ok),
		cmocka_unit_test(test_counters_five_nok),
		cmocka_unit_test(test_counters_clamped),
		cmocka_unit_test(test_window_and_transition),
		cmocka_unit_test(test_window_nok_ages_up),
		cmocka_unit_test(test_window_override),
		cmocka_unit_test(test_window_merge),
		cmocka_unit_test(test_row_round_trip),
		cmocka_unit_test(test_normalise_divides),
		cmocka_unit_test(test_admit_brackets),
		cmocka_unit_test(test_admit_defaults),
	};

	return cmocka_run_group_tests_name("reputation", tests, NULL, NULL);
}
