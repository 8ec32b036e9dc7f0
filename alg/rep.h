/* SPDX-License-Identifier: MIT */
/* alg/rep.h -- the ALG and reputation: evidence to the main loop, low-reputation snapshot back */
#ifndef RGW_ALG_REP_H
#define RGW_ALG_REP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/ev.h"

/*
 * Reputation state lives on the main thread (nat/reputation.c); the ALG workers never touch
 * it. Two one-way channels connect them:
 *   - evidence: a worker pushes (source, reason) into a bounded mailbox and wakes the main
 *     loop through an ev_async (eventfd); the main loop drains it and charges the reputation
 *     engine. A full mailbox drops the event (counted): evidence is never worth a blocked
 *     worker.
 *   - admission: the main loop publishes an immutable, reference-counted snapshot of the
 *     source addresses whose reputation is below the threshold; each worker gets it through
 *     its own mailbox (as the routes) and looks addresses up without locks at accept.
 */

/* Why a connection counts against its source (same order as enum nat_rep_flow's ALG ones). */
enum alg_evidence {
	ALG_EV_SILENT = 0, /* nothing, or no complete hostname, before the deadline */
	ALG_EV_UNROUTED,   /* a valid name without a route */
	ALG_EV_GARBAGE,	   /* no name, malformed or oversized ClientHello / request */
	ALG_EV_CAP,	   /* refused at accept: per-source cap */
	ALG_EV_SLOW,	   /* routed, then shed at the cap with no progress since (a trickle) */
	ALG_EV_COUNT,	   /* number of reasons, not a reason */
};

struct alg_ev {
	struct addr src;
	uint8_t why; /* enum alg_evidence */
};

/* Called on the main loop with a batch of events. */
typedef void (*alg_ev_cb)(void *arg, const struct alg_ev *ev, size_t n);

struct alg_evq;

/* A mailbox of at most max events delivered to cb on loop. NULL on failure. Main thread. */
struct alg_evq *alg_evq_new(struct ev_loop *loop, size_t max, alg_ev_cb cb, void *arg);
void alg_evq_free(struct alg_evq *q);
/* Push one event (any thread). false when the mailbox was full (the event is dropped). */
bool alg_evq_push(struct alg_evq *q, const struct addr *src, enum alg_evidence why);
/* Events pushed, delivered and dropped so far (any thread). */
void alg_evq_counts(struct alg_evq *q, uint64_t *pushed, uint64_t *dropped);

/* Immutable set of low-reputation source addresses (sorted, binary-searched). */
struct alg_rep_snap;

/* Copies addrs. NULL on ENOMEM (refcount 1). */
struct alg_rep_snap *alg_rep_snap_new(const struct addr *addrs, size_t n);
struct alg_rep_snap *alg_rep_snap_ref(struct alg_rep_snap *s);
void alg_rep_snap_unref(struct alg_rep_snap *s);
size_t alg_rep_snap_count(const struct alg_rep_snap *s);
/* Is a in the set? NULL set: no. Any thread holding a reference. */
bool alg_rep_snap_has(const struct alg_rep_snap *s, const struct addr *a);

#endif
