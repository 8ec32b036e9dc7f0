/* SPDX-License-Identifier: MIT */
/* nat/window.h -- resolver cache windows: evidence and decisions (pure logic, no I/O) */
#ifndef RGW_NAT_WINDOW_H
#define RGW_NAT_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../policy/policy.h"

/*
 * A resolver that clamps TTL 0 up (PowerDNS Recursor to 1 s, Knot Resolver to 5 s) serves our
 * answer from its cache to later clients, who then connect to an address whose binding the
 * first flow already spent. The pool therefore keeps a binding answered to such a resolver open
 * for its cache window and lets it admit several flows (docs/nat.md, "Cache windows"). This
 * module decides that window per resolver entity -- a resolver group of the policy, or one
 * resolver address -- from what the pool observes, and keeps the evidence:
 *
 *   cached (a): an answer was used by a second source more than NAT_WIN_BURST_MS after its
 *               first flow (admitted, or refused because its one-flow binding had ended), used for the first time more than NAT_WIN_PROMPT_MS after it was
 *               given (windowed bindings only), or used more than NAT_WIN_BURST_MS after the
 *               same entity had been given a newer answer for the same service. A cache held
 *               it for a ms (or a stranger used it). Flows within NAT_WIN_BURST_MS of each
 *               other are one burst: a resolver that merges identical questions in flight
 *               (BIND, unbound) hands one answer to every client waiting for it at once.
 *   clean (x):  the entity asked again for a service x ms after an answer that exactly one
 *               source used promptly, and nobody used that answer after the new question: its
 *               cache did not hold our answer for x ms.
 *
 * Decision (evidence older than NAT_WIN_EVIDENCE_MS is forgotten):
 *   - a group with cache_window_ms set: that window (pinned), no learning;
 *   - admission cache_window_ms 0: no windows at all (one flow per binding);
 *   - any recent cached evidence: the configured window, and a new question within the window
 *     gets the same binding again (coalescing);
 *   - at least NAT_WIN_MIN_CLEAN recent clean samples and no cached one: the window is lowered
 *     to their 25th percentile (a resolver farm's one fast re-ask does not decide), and to 0
 *     below NAT_WIN_STRICT_BELOW_MS, as for a resolver that passes TTL 0 on (unbound, BIND):
 *     the binding then ends NAT_WIN_BURST_MS after its first flow (burst_ms), so that the
 *     clients of one merged question get in and nobody later does;
 *   - otherwise (learning): the configured window, without coalescing, so that the next
 *     question's flows show whether the previous answer is still served.
 * Time is passed in explicitly (monotonic ms). Loop context: main thread only.
 */
#define NAT_WIN_RING		16
#define NAT_WIN_MIN_CLEAN	4
#define NAT_WIN_PROMPT_MS	1000
#define NAT_WIN_STRICT_BELOW_MS 500
#define NAT_WIN_EVIDENCE_MS	300000
#define NAT_WIN_BURST_MS	250

struct nat_window;

enum nat_win_state {
	NAT_WIN_LEARNING = 0, /* not enough evidence: configured window, no coalescing */
	NAT_WIN_CACHING,      /* a cache was seen: configured window, coalescing */
	NAT_WIN_LOWERED,      /* clean re-asks lowered the window (0: one flow per binding) */
	NAT_WIN_PINNED,	      /* the resolver group's cache_window_ms */
	NAT_WIN_OFF,	      /* admission cache_window_ms = 0 */
};

struct nat_win_decision {
	uint32_t window_ms; /* 0: no window (burst_ms says how the binding ends) */
	uint32_t burst_ms;  /* window 0: further flows this long after the first; 0: one flow */
	bool coalesce;	    /* a new question within the window gets the live binding again */
	enum nat_win_state state;
};

/* How a binding ended, as the learner needs it. */
struct nat_win_end {
	uint32_t flows;	      /* flows admitted */
	bool one_source;      /* one source address (others only within the first flow's burst) */
	uint32_t first_delay; /* ms from the (first) answer to the first flow */
	uint32_t answers;     /* answers that handed the binding out (1 + coalesced) */
};

/* One entity for the API view. */
struct nat_win_entry {
	char name[64]; /* the group's name, or "resolver:<address>" */
	struct nat_win_decision d;
	uint32_t pinned_ms; /* meaningful in state NAT_WIN_PINNED */
	unsigned clean, cached;
	uint32_t clean_p25_ms;	/* 0 when no clean sample */
	uint32_t cached_max_ms; /* oldest cached answer seen used */
};

/* max_auto bounds the entities of resolvers outside every group, max_slots the (entity,
 * service) pairs followed (least recently used evicted). NULL on ENOMEM. */
struct nat_window *nat_window_new(size_t max_auto, size_t max_slots);
void nat_window_free(struct nat_window *w);

/* Take admission.cache_window_ms / window_flows and the resolver groups (nodes, overrides)
 * from snap (copied). A group keeps its evidence while its name stays. nat_window_prepare
 * builds them aside (reads only snap: any thread), 0 or -ENOMEM; nat_window_commit swaps
 * them in (cannot fail; consumes pl); nat_window_plan_free drops a plan (NULL: no-op).
 * nat_window_apply does both. */
struct nat_window_plan;
int nat_window_prepare(const struct pol_snap *snap, struct nat_window_plan **pl);
void nat_window_commit(struct nat_window *w, struct nat_window_plan *pl);
void nat_window_plan_free(struct nat_window_plan *pl);
int nat_window_apply(struct nat_window *w, const struct pol_snap *snap);

/* The entity of a resolver address: a non-zero key, stable across applies for a group of the
 * same name (0 for an address of family 0). Creates an entity for an unknown resolver. */
uint64_t nat_window_key(struct nat_window *w, const struct addr *resolver);
/* The window for the entity key at now. Unknown keys get the learning decision. */
void nat_window_decide(struct nat_window *w, uint64_t key, uint64_t now,
		       struct nat_win_decision *out);
/* Flows a binding may admit per answer (admission.window_flows). */
uint32_t nat_window_flows(const struct nat_window *w);

/*
 * Observations (the pool calls them):
 *   answered: binding id answered to key for service_id at now; coalesced when it was an
 *             existing binding answered again. Returns the id of the entity's previous live
 *             binding for that service that this answer supersedes (0 if none); the pool
 *             closes it soon (a resolver now holds the new answer).
 *   flow:     an admitted flow on binding id (answered at answered_ms, answers times; its
 *             flow_no-th flow, from a source not seen on it before when new_source; the first
 *             came at first_ms); windowed: the binding has a cache window. Several sources on
 *             a binding answered several times are no evidence: our answers explain them.
 *   ended:    binding id ended at now.
 */
uint64_t nat_window_answered(struct nat_window *w, uint64_t key, int64_t service_id, uint64_t id,
			     bool coalesced, uint64_t now);
void nat_window_flow(struct nat_window *w, uint64_t key, int64_t service_id, uint64_t id,
		     uint64_t answered_ms, uint32_t answers, uint32_t flow_no, bool new_source,
		     uint64_t first_ms, bool windowed, uint64_t now);
void nat_window_ended(struct nat_window *w, uint64_t key, int64_t service_id, uint64_t id,
		      const struct nat_win_end *e, uint64_t now);
/* A cache served an answer of key's given at answered_ms: a flow from another source was
 * refused at now for the address of a one-flow binding that its first flow ended, or the
 * resolver asked for a one-time alias long after its CNAME (dns/alias.h). */
void nat_window_missed(struct nat_window *w, uint64_t key, uint64_t answered_ms, uint64_t now);

/* API view: cb for every entity (groups first) until it returns non-zero. */
typedef int (*nat_win_iter_cb)(void *arg, const struct nat_win_entry *e);
void nat_window_foreach(struct nat_window *w, uint64_t now, nat_win_iter_cb cb, void *arg);

/* "learning", "caching", "lowered", "pinned", "off". */
const char *nat_win_state_name(enum nat_win_state s);

#endif
