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

/*
 * The scenario, the worked example of docs/reputation.md: an SLA group configured at
 * 0.9 sees 8 OK in one period, then nothing; another at 0.9 sees nothing. Fading toward the
 * neutral 0.45 (the original) gave 0.85 and 0.7875 after one transition: below the prior with
 * a perfect record. Fading toward the prior keeps both at or above 0.9 at every phase.
 */
static void
test_window_fades_to_prior_worked_example(void **state)
{
	static const double busy[] = { 0.975, 0.9625, 0.94375, 0.9322917, 0.9234375 };
	struct pol_rep_window a, b;
	int i;

	(void)state;
	pol_rep_window_init(&a, 0.9);
	pol_rep_window_init(&b, 0.9);
	assert_true(a.prior == 0.9);
	for (i = 0; i < 8; i++)
		pol_rep_window_event(&a, POL_REP_OK);
	for (i = 0; i < 5; i++) {
		assert_true(fabs(pol_rep_window_value(&a) - busy[i]) < 1e-6);
		assert_true(pol_rep_window_value(&a) >= 0.9);
		/* idle at its prior: exactly the prior, every period */
		assert_true(pol_rep_window_value(&b) == 0.9);
		pol_rep_window_transition(&a);
		pol_rep_window_transition(&b);
	}
	/* the busy group returns to its prior, not to neutral */
	for (i = 0; i < 200; i++)
		pol_rep_window_transition(&a);
	assert_true(fabs(pol_rep_window_value(&a) - 0.9) < 1e-12);
	assert_true(pol_rep_window_value(&a) >= 0.9);
}

/* Many periods of OK only, with a prior above and below neutral: never below the prior, and
 * steadily above it while the OKs keep coming. */
static void
test_window_all_ok(void **state)
{
	static const double priors[] = { 0.0, 0.1, 0.3, 0.45, 0.7, 0.9, 0.95, 1.0 };
	struct pol_rep_window w;
	size_t k;
	int p, i;

	(void)state;
	for (k = 0; k < sizeof(priors) / sizeof(priors[0]); k++) {
		pol_rep_window_init(&w, priors[k]);
		for (p = 0; p < 300; p++) {
			for (i = 0; i < p % 7; i++) {
				pol_rep_window_event(&w, POL_REP_OK);
				assert_true(pol_rep_window_value(&w) >= priors[k]);
			}
			pol_rep_window_transition(&w);
			assert_true(pol_rep_window_value(&w) >= priors[k]);
			assert_true(pol_rep_window_value(&w) <= 1.0);
		}
		assert_int_equal(w.periods, 300);
		/* OKs every period: clearly above, as far as the ceiling allows */
		if (priors[k] < 1.0)
			assert_true(pol_rep_window_value(&w) > priors[k]);
		if (priors[k] <= 0.9)
			assert_true(pol_rep_window_value(&w) > priors[k] + 0.05);
	}
}

/* Many periods of NOK only: never above the prior, strictly below it once blamed. */
static void
test_window_all_nok(void **state)
{
	static const double priors[] = { 0.0, 0.1, 0.45, 0.7, 0.9, 1.0 };
	struct pol_rep_window w;
	size_t k;
	int p, i;

	(void)state;
	for (k = 0; k < sizeof(priors) / sizeof(priors[0]); k++) {
		pol_rep_window_init(&w, priors[k]);
		for (p = 0; p < 300; p++) {
			for (i = 0; i < 1 + p % 5; i++) {
				pol_rep_window_event(&w, POL_REP_NOK);
				assert_true(pol_rep_window_value(&w) <= priors[k]);
			}
			if (priors[k] > 0.0)
				assert_true(pol_rep_window_value(&w) < priors[k]);
			pol_rep_window_transition(&w);
			assert_true(pol_rep_window_value(&w) <= priors[k]);
			assert_true(pol_rep_window_value(&w) >= 0.0);
		}
	}
}

/* OK and NOK mixed: the value moves with the balance, stays in [0, 1], and the fade pulls
 * toward the prior from either side. */
static void
test_window_mixed(void **state)
{
	struct pol_rep_window hi, lo;
	double v;
	int p, i;

	(void)state;
	pol_rep_window_init(&hi, 0.9);
	pol_rep_window_init(&lo, 0.2);
	for (p = 0; p < 100; p++) {
		/* mostly good, some bad */
		for (i = 0; i < 6; i++) {
			pol_rep_window_event(&hi, i == 0 ? POL_REP_NOK : POL_REP_OK);
			pol_rep_window_event(&lo, i == 0 ? POL_REP_NOK : POL_REP_OK);
		}
		pol_rep_window_transition(&hi);
		pol_rep_window_transition(&lo);
		assert_true(pol_rep_window_value(&hi) >= 0.0 && pol_rep_window_value(&hi) <= 1.0);
		assert_true(pol_rep_window_value(&lo) >= 0.0 && pol_rep_window_value(&lo) <= 1.0);
	}
	/* 5 OK : 1 NOK nets positive: both above their priors */
	assert_true(pol_rep_window_value(&hi) > 0.9);
	assert_true(pol_rep_window_value(&lo) > 0.2);
	/* then a burst of NOK pushes the high one below its prior, and idling brings it back up
	 * to (not past) the prior */
	for (i = 0; i < 20; i++)
		pol_rep_window_event(&hi, POL_REP_NOK);
	v = pol_rep_window_value(&hi);
	assert_true(v < 0.9);
	pol_rep_window_transition(&hi);
	pol_rep_window_transition(&hi);
	assert_true(pol_rep_window_value(&hi) > v);
	for (i = 0; i < 200; i++) {
		pol_rep_window_transition(&hi);
		assert_true(pol_rep_window_value(&hi) <= 0.9);
	}
	assert_true(fabs(pol_rep_window_value(&hi) - 0.9) < 1e-12);
}

/* Idle: back to the prior (not to neutral) from either side, and exactly still at it. */
static void
test_window_idle(void **state)
{
	static const double priors[] = { 0.0, 0.2, 0.45, 0.8, 0.9, 1.0 };
	struct pol_rep_window up, down, still;
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < sizeof(priors) / sizeof(priors[0]); k++) {
		pol_rep_window_init(&up, priors[k]);
		pol_rep_window_init(&down, priors[k]);
		pol_rep_window_init(&still, priors[k]);
		for (i = 0; i < 30; i++) {
			pol_rep_window_event(&up, POL_REP_OK);
			pol_rep_window_event(&down, POL_REP_NOK);
		}
		for (i = 0; i < 150; i++) {
			pol_rep_window_transition(&up);
			pol_rep_window_transition(&down);
			pol_rep_window_transition(&still);
			assert_true(pol_rep_window_value(&still) == priors[k]);
		}
		assert_true(fabs(pol_rep_window_value(&up) - priors[k]) < 1e-12);
		assert_true(fabs(pol_rep_window_value(&down) - priors[k]) < 1e-12);
		assert_true(pol_rep_window_value(&up) >= priors[k]);
		assert_true(pol_rep_window_value(&down) <= priors[k]);
	}
}

/* xorshift64*: a fixed seed, so a failure replays. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/*
 * Property: over random sequences of events, transitions and merges, with random priors, a
 * window that never saw a NOK is never below its prior, one that never saw an OK is never
 * above it, and every value is in [0, 1]. Checked after every step. Merged-in windows carry
 * only the kinds of events the target may see, from any prior of their own.
 */
static void
test_window_property(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int run, step;

	(void)state;
	for (run = 0; run < 3000; run++) {
		/* 0: no NOK, 1: no OK, 2: anything */
		int mode = (int)(rnd(&seed) % 3), nsteps = 1 + (int)(rnd(&seed) % 400);
		double prior = (double)(rnd(&seed) % 1001) / 1000.0;
		struct pol_rep_window w, m;

		if (run % 10 == 0) /* priors that are not multiples of 1/1000 too */
			prior = (double)(rnd(&seed) >> 11) / 9007199254740992.0;
		pol_rep_window_init(&w, prior);
		for (step = 0; step < nsteps; step++) {
			uint64_t x = rnd(&seed) % 100;
			double v;

			if (x < 15) {
				pol_rep_window_transition(&w);
			} else if (x < 17) {
				int n = (int)(rnd(&seed) % 20), t = (int)(rnd(&seed) % 5);

				pol_rep_window_init(&m, (double)(rnd(&seed) % 101) / 100.0);
				while (n--) {
					enum pol_rep_event e =
						mode == 0   ? POL_REP_OK
						: mode == 1 ? POL_REP_NOK
							    : (enum pol_rep_event)(rnd(&seed) % 2);
					pol_rep_window_event(&m, e);
					if (t && n % 4 == 0) {
						pol_rep_window_transition(&m);
						t--;
					}
				}
				pol_rep_window_merge(&w, &m);
			} else if (x < 25) {
				pol_rep_window_event(&w, POL_REP_NEUTRAL_EVENT);
			} else if (mode == 0 || (mode == 2 && x < 60)) {
				pol_rep_window_event(&w, POL_REP_OK);
			} else {
				pol_rep_window_event(&w, POL_REP_NOK);
			}
			v = pol_rep_window_value(&w);
			assert_true(v >= 0.0 && v <= 1.0);
			assert_true(w.prior == prior);
			if (mode == 0 && v < prior)
				fail_msg("run %d step %d: %.17g below prior %.17g with no NOK", run,
					 step, v, prior);
			if (mode == 1 && v > prior)
				fail_msg("run %d step %d: %.17g above prior %.17g with no OK", run,
					 step, v, prior);
		}
	}
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

/* A merge keeps the target's prior: an auto group (neutral) that absorbs an SLA group's
 * evidence still fades to neutral, and each side was aged toward its own prior. */
static void
test_window_merge_keeps_prior(void **state)
{
	struct pol_rep_window a, b;
	int i;

	(void)state;
	pol_rep_window_init(&a, 0.45);
	pol_rep_window_init(&b, 0.9);
	pol_rep_window_transition(&b);
	pol_rep_window_transition(&b);
	assert_true(pol_rep_window_value(&b) == 0.9); /* idle at its own prior */
	pol_rep_window_event(&b, POL_REP_OK);
	pol_rep_window_merge(&a, &b);
	assert_true(a.prior == 0.45);
	assert_int_equal(a.periods, 2);
	/* a was aged toward 0.45 (stays there), b's OK adds to a's counters */
	assert_true(a.cur.initial == 0.45);
	assert_int_equal(a.cur.ok, 1);
	assert_true(pol_rep_window_value(&a) > 0.45);
	for (i = 0; i < 200; i++)
		pol_rep_window_transition(&a);
	assert_true(fabs(pol_rep_window_value(&a) - 0.45) < 1e-12);
	/* the other way round: the SLA group keeps 0.9 */
	pol_rep_window_init(&a, 0.45);
	pol_rep_window_event(&a, POL_REP_NOK);
	pol_rep_window_merge(&b, &a);
	assert_true(b.prior == 0.9);
	for (i = 0; i < 200; i++)
		pol_rep_window_transition(&b);
	assert_true(fabs(pol_rep_window_value(&b) - 0.9) < 1e-12);
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
	pol_rep_window_from_row(&w2, &row, 0.3);
	assert_memory_equal(&w, &w2, sizeof(w));
}

/* The prior is not in the row: the caller's (the policy's) is used. A row that never
 * transitioned starts both periods from that prior; one that did keeps its evidence. */
static void
test_row_prior_from_policy(void **state)
{
	struct pol_rep_window w, w2;
	struct pol_reputation row;
	int i;

	(void)state;
	/* an override saved for an entity before any evidence: stored initials are neutral */
	memset(&row, 0, sizeof(row));
	row.prev_initial = row.cur_initial = 0.45;
	row.prev_neutral = row.cur_neutral = 5;
	row.cur_ok = 2;
	row.has_override = true;
	row.override_value = 0.3;
	pol_rep_window_from_row(&w, &row, 0.9);
	assert_true(w.prior == 0.9 && w.prev.initial == 0.9 && w.cur.initial == 0.9);
	assert_int_equal(w.cur.ok, 2);
	assert_true(pol_rep_window_value(&w) == 0.3);
	w.has_override = false;
	assert_true(pol_rep_window_value(&w) > 0.9);
	/* evidence with transitions: kept as stored, fading toward the given prior */
	pol_rep_window_init(&w, 0.45);
	for (i = 0; i < 10; i++)
		pol_rep_window_event(&w, POL_REP_NOK);
	pol_rep_window_transition(&w);
	pol_rep_window_to_row(&w, &row);
	pol_rep_window_from_row(&w2, &row, 0.8);
	assert_true(w2.prior == 0.8);
	assert_true(w2.cur.initial == w.cur.initial && w2.prev.initial == w.prev.initial);
	for (i = 0; i < 200; i++)
		pol_rep_window_transition(&w2);
	assert_true(fabs(pol_rep_window_value(&w2) - 0.8) < 1e-12);
	/* out-of-range stored values are clamped */
	row.cur_initial = 7;
	pol_rep_window_from_row(&w2, &row, 2);
	assert_true(w2.prior == 1.0 && w2.cur.initial == 1.0);
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
		cmocka_unit_test(test_window_fades_to_prior_worked_example),
		cmocka_unit_test(test_window_all_ok),
		cmocka_unit_test(test_window_all_nok),
		cmocka_unit_test(test_window_mixed),
		cmocka_unit_test(test_window_idle),
		cmocka_unit_test(test_window_property),
		cmocka_unit_test(test_window_override),
		cmocka_unit_test(test_window_merge),
		cmocka_unit_test(test_window_merge_keeps_prior),
		cmocka_unit_test(test_row_round_trip),
		cmocka_unit_test(test_row_prior_from_policy),
		cmocka_unit_test(test_normalise_divides),
		cmocka_unit_test(test_admit_brackets),
		cmocka_unit_test(test_admit_defaults),
	};

	return cmocka_run_group_tests_name("reputation", tests, NULL, NULL);
}
