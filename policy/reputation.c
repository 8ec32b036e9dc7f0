/* SPDX-License-Identifier: MIT */
/* policy/reputation.c -- the PBRA reputation model and load-bracket admission (pure) */

#include <math.h>
#include <string.h>

#include "reputation.h"

static double clamp01(double v);
static double window_raw(const struct pol_rep_window *w);
static double math_apply(enum pol_math m, double a, double b);
static double threshold(const struct pol_bracket *b, enum pol_rep_class cls);

static double
clamp01(double v)
{
	if (v < 0.0)
		return 0.0;
	if (v > 1.0)
		return 1.0;
	return v;
}

void
pol_rep_counters_init(struct pol_rep_counters *c, double initial)
{
	c->initial = clamp01(initial);
	c->ok = 0;
	c->nok = 0;
	c->neutral = POL_REP_DUMMY_NEUTRAL;
}

double
pol_rep_counters_value(const struct pol_rep_counters *c)
{
	double total = (double)c->ok + (double)c->nok + (double)c->neutral;
	double v;

	if (total <= 0.0)
		return c->initial;
	v = 0.5 * pow(total, POL_REP_OK_FACTOR) * (double)c->ok / total -
	    0.5 * pow(total, POL_REP_NOK_FACTOR) * (double)c->nok / total +
	    c->initial * pow(total, POL_REP_NEUTRAL_FACTOR);
	return clamp01(v);
}

void
pol_rep_window_init(struct pol_rep_window *w, double prior)
{
	memset(w, 0, sizeof(*w));
	w->prior = clamp01(prior);
	pol_rep_counters_init(&w->prev, w->prior);
	pol_rep_counters_init(&w->cur, w->prior);
}

/*
 * 0.25 * previous + 0.75 * current, computed as prior + weighted deviations: the same number,
 * but two periods on the same side of the prior give a value on that side even after
 * rounding, and two periods at the prior give the prior exactly (0.25 * 0.9 + 0.75 * 0.9 need
 * not be 0.9).
 */
static double
window_raw(const struct pol_rep_window *w)
{
	double p = w->prior;

	return clamp01(p + POL_REP_WEIGHT_PREV * (pol_rep_counters_value(&w->prev) - p) +
		       POL_REP_WEIGHT_CUR * (pol_rep_counters_value(&w->cur) - p));
}

double
pol_rep_window_value(const struct pol_rep_window *w)
{
	if (w->has_override)
		return clamp01(w->override_value);
	return window_raw(w);
}

void
pol_rep_window_event(struct pol_rep_window *w, enum pol_rep_event ev)
{
	/* Saturate rather than wrap: a counter that stops growing is still the right ratio
	 * for all practical purposes, a wrapped one is not. */
	switch (ev) {
	case POL_REP_OK:
		if (w->cur.ok < UINT32_MAX)
			w->cur.ok++;
		break;
	case POL_REP_NOK:
		if (w->cur.nok < UINT32_MAX)
			w->cur.nok++;
		break;
	case POL_REP_NEUTRAL_EVENT:
		if (w->cur.neutral < UINT32_MAX)
			w->cur.neutral++;
		break;
	}
}

void
pol_rep_window_transition(struct pol_rep_window *w)
{
	double d = window_raw(w) - w->prior;

	/* Evidence fades: one third of the way back to the prior per period. d - d / 3 keeps
	 * the sign of d, so the new period starts on the side of the prior the evidence put it. */
	w->prev = w->cur;
	pol_rep_counters_init(&w->cur, w->prior + (d - d / 3.0));
	if (w->periods < UINT32_MAX)
		w->periods++;
}

static void
counters_add(struct pol_rep_counters *dst, const struct pol_rep_counters *src)
{
	uint64_t ok = (uint64_t)dst->ok + src->ok, nok = (uint64_t)dst->nok + src->nok;
	uint64_t neutral = (uint64_t)dst->neutral + src->neutral;

	dst->ok = ok > UINT32_MAX ? UINT32_MAX : (uint32_t)ok;
	dst->nok = nok > UINT32_MAX ? UINT32_MAX : (uint32_t)nok;
	dst->neutral = neutral > UINT32_MAX ? UINT32_MAX : (uint32_t)neutral;
}

void
pol_rep_window_merge(struct pol_rep_window *dst, const struct pol_rep_window *src)
{
	struct pol_rep_window s = *src;

	while (dst->periods < s.periods)
		pol_rep_window_transition(dst);
	while (s.periods < dst->periods)
		pol_rep_window_transition(&s);
	counters_add(&dst->prev, &s.prev);
	counters_add(&dst->cur, &s.cur);
}

void
pol_rep_window_to_row(const struct pol_rep_window *w, struct pol_reputation *row)
{
	row->periods = w->periods;
	row->prev_initial = w->prev.initial;
	row->prev_ok = w->prev.ok;
	row->prev_nok = w->prev.nok;
	row->prev_neutral = w->prev.neutral;
	row->cur_initial = w->cur.initial;
	row->cur_ok = w->cur.ok;
	row->cur_nok = w->cur.nok;
	row->cur_neutral = w->cur.neutral;
	row->has_override = w->has_override;
	row->override_value = w->override_value;
}

void
pol_rep_window_from_row(struct pol_rep_window *w, const struct pol_reputation *row, double prior)
{
	memset(w, 0, sizeof(*w));
	w->prior = clamp01(prior);
	w->periods = row->periods;
	/* Before its first transition a window's periods both start from the prior, by
	 * construction; a stored value that differs was written under another prior (or by an
	 * override of an entity not seen yet) and is not evidence. */
	w->prev.initial = row->periods ? clamp01(row->prev_initial) : w->prior;
	w->prev.ok = row->prev_ok;
	w->prev.nok = row->prev_nok;
	w->prev.neutral = row->prev_neutral;
	w->cur.initial = row->periods ? clamp01(row->cur_initial) : w->prior;
	w->cur.ok = row->cur_ok;
	w->cur.nok = row->cur_nok;
	w->cur.neutral = row->cur_neutral;
	w->has_override = row->has_override;
	w->override_value = clamp01(row->override_value);
}

double
pol_rep_normalise(double r, double max_rep)
{
	if (max_rep <= 0.0)
		return clamp01(r);
	return clamp01(r / max_rep);
}

static double
math_apply(enum pol_math m, double a, double b)
{
	switch (m) {
	case POL_MATH_MIN:
		return a < b ? a : b;
	case POL_MATH_AVG:
		return (a + b) / 2.0;
	case POL_MATH_MAX:
	default:
		return a > b ? a : b;
	}
}

static double
threshold(const struct pol_bracket *b, enum pol_rep_class cls)
{
	switch (cls) {
	case POL_REP_SFQDN_NEW:
		return b->sfqdn_new;
	case POL_REP_SFQDN_REUSE:
		return b->sfqdn_reuse;
	case POL_REP_FQDN_NEW:
	default:
		return b->fqdn_new;
	}
}

bool
pol_rep_admit(const struct pol_bracket *brackets, size_t n, double load_pct, enum pol_rep_class cls,
	      bool has_resolver, double r_resolver, bool has_requestor, double r_requestor,
	      int *which)
{
	double a = has_resolver ? r_resolver : 0.0, b = has_requestor ? r_requestor : 0.0;
	size_t i;

	if (which)
		*which = -1;
	if (n == 0)
		return true;
	for (i = 0; i < n; i++) {
		const struct pol_bracket *br = &brackets[i];

		if (load_pct < br->load_min || load_pct > br->load_max)
			continue;
		if (which)
			*which = (int)i;
		/* A small epsilon keeps 0.1 + 0.2 style rounding from refusing an exact tie. */
		if (math_apply(br->math, a, b) + 1e-9 >= threshold(br, cls))
			return true;
	}
	return false;
}
