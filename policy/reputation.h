/* SPDX-License-Identifier: MIT */
/* policy/reputation.h -- the PBRA reputation model and load-bracket admission (pure) */
#ifndef RGW_POLICY_REPUTATION_H
#define RGW_POLICY_REPUTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy_types.h"

/*
 * The model of rgw-original-behaviour.md §3.2, §3.3 and §3.7, as pure functions.
 *
 * Counters (uReputation): ok, nok, neutral events, starting with 5 neutral ones, and an
 * initial value. value = clamp01(0.5 * ok/total - 0.5 * total^0.15 * nok/total + initial).
 *
 * Window (uStateDNSGroup / uStateDNSHost): value = 0.25 * previous + 0.75 * current.
 * A period transition (every [reputation] period seconds) ages the window value one third of
 * the way toward the window's prior and starts a new current period from it. The prior is the
 * entity's configured starting value: a resolver group's initial_reputation, the neutral 0.45
 * for learned entities (requestors, auto groups, hosts). The original aged toward 0.45 for
 * everyone, so a resolver group configured above neutral lost standing with a perfect record.
 *
 * Guarantees (exact, in floating point: every step works on the deviation from the prior,
 * whose sign rounding cannot flip):
 *   - a window that only ever saw OK and neutral events is never below its prior;
 *   - one that only ever saw NOK and neutral events is never above it;
 *   - an idle window converges to its prior (deviation x ~0.73 per period), and a window
 *     that is at its prior stays exactly there.
 */

#define POL_REP_NEUTRAL	       0.45
#define POL_REP_DUMMY_NEUTRAL  5
#define POL_REP_OK_FACTOR      0.0
#define POL_REP_NOK_FACTOR     0.15
#define POL_REP_NEUTRAL_FACTOR 0.0
#define POL_REP_WEIGHT_PREV    0.25
#define POL_REP_WEIGHT_CUR     0.75

enum pol_rep_event {
	POL_REP_OK = 0,
	POL_REP_NOK,
	POL_REP_NEUTRAL_EVENT,
};

struct pol_rep_counters {
	double initial;
	uint32_t ok, nok, neutral;
};

struct pol_rep_window {
	struct pol_rep_counters prev, cur;
	double prior; /* where evidence fades to (not persisted: it comes from policy) */
	uint32_t periods;
	bool has_override; /* administrative override: the value is pinned */
	double override_value;
};

/* Counters with 5 dummy neutral events and the given initial value. */
void pol_rep_counters_init(struct pol_rep_counters *c, double initial);
double pol_rep_counters_value(const struct pol_rep_counters *c);

/* A fresh window: both periods start from prior (clamped to [0, 1]), which is also where
 * its evidence will fade to. */
void pol_rep_window_init(struct pol_rep_window *w, double prior);
/* The window value in [0, 1] (the override when set). */
double pol_rep_window_value(const struct pol_rep_window *w);
void pol_rep_window_event(struct pol_rep_window *w, enum pol_rep_event ev);
/* End of a period: previous <- current, current <- new counters whose initial value is the
 * window value aged one third of the way toward the prior. The override is not involved. */
void pol_rep_window_transition(struct pol_rep_window *w);
/* Merge src into dst (resolver cluster discovery): both brought to the larger period count
 * (each aged toward its own prior), then the counters of src replayed into dst (its dummy
 * neutral events included, as the original does). dst keeps its prior and override. */
void pol_rep_window_merge(struct pol_rep_window *dst, const struct pol_rep_window *src);

/* Conversion to and from the persisted row (kind and key are the caller's). The prior is not
 * stored: from_row takes it from the caller (the entity's current policy). A row that never
 * transitioned (periods 0) starts both periods from that prior, whatever its stored initial
 * values say (an override saved before any evidence, or a prior changed since). */
void pol_rep_window_to_row(const struct pol_rep_window *w, struct pol_reputation *row);
void pol_rep_window_from_row(struct pol_rep_window *w, const struct pol_reputation *row,
			     double prior);

/* Service classes of §3.7 (same order as nat_svc_class). */
enum pol_rep_class {
	POL_REP_FQDN_NEW = 0,
	POL_REP_SFQDN_NEW,
	POL_REP_SFQDN_REUSE,
};

/*
 * Normalise a reputation against the best one known (max_rep): r / max_rep, clamped to
 * [0, 1]. The original multiplied (a defect); max_rep <= 0 (nothing known) leaves r as is.
 */
double pol_rep_normalise(double r, double max_rep);

/*
 * Load-bracket admission. Every bracket with load_min <= load_pct <= load_max is tried in
 * order (boundaries match two brackets, as in the original); a bracket admits when
 * math(r_resolver, r_requestor) >= its threshold for cls. A missing reputation (has_* false)
 * counts as 0, as in the original. With no brackets at all, everything is admitted.
 * Returns true when admitted; *which gets the index of the deciding bracket (admitting, or
 * the last one tried), or -1 when no bracket matched the load.
 */
bool pol_rep_admit(const struct pol_bracket *brackets, size_t n, double load_pct,
		   enum pol_rep_class cls, bool has_resolver, double r_resolver, bool has_requestor,
		   double r_requestor, int *which);

#endif
