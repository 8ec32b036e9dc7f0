/* SPDX-License-Identifier: MIT */
/* nat/nat.h -- the NAT subsystem: circular pool, nftables table, NFQUEUE admission */
#ifndef RGW_NAT_NAT_H
#define RGW_NAT_NAT_H

#include <stdint.h>

#include "../common/conf.h"
#include "../common/ev.h"
#include "../policy/policy.h"
#include "ct.h"
#include "flowmem.h"
#include "pool.h"
#include "queue.h"
#include "rejmem.h"

/*
 * Owns the pool (source of truth), its projection in nftables (one table, name from
 * conf.nat_table) and the NFQUEUE that admits first packets. With conf.nat_enable false the
 * pool still works (DNS answers on loopback tests) and no netlink socket is opened.
 * Main loop thread only.
 */
struct nat;

/*
 * Create the subsystem: pool, and when nat_enable, the table (deleted and recreated in one
 * batch: a table left by a killed daemon is replaced), the queue and the expiry timer. The
 * table starts with the empty policy; policy_commit (commit.c) brings the policy in force.
 * NULL on failure (logged). conf must outlive the subsystem.
 */
struct nat *nat_new(struct ev_loop *loop, const struct conf *conf);

/*
 * A policy change, in the steps of policy_commit (commit.c):
 *   nat_prepare  build the table of snap (a model), the batch that moves the kernel from the
 *                table in force to it (only what changed: conntrack state is untouched and
 *                established flows keep running) and the pool's new tables. Touches nothing:
 *                it reads snap, the configuration and the model in force, which only
 *                nat_commit and nat_abort change, so it may run on any thread while no
 *                commit or abort of n runs. 0, or -ENOMEM with e filled (kind APPLY).
 *   nat_send     the one step that leaves the process: send the batch, one nftables
 *                transaction (all or nothing). 0, or -errno with e filled (kind APPLY, the
 *                refused command and the kernel's reason); then nothing changed. Main thread.
 *   nat_commit   the new model becomes the one in force, the pool swaps its tables (ending
 *                the bindings the policy removed). Cannot fail. Main thread. pl then holds
 *                only the model replaced and the batch: the caller frees it with
 *                nat_plan_free, on any thread (nothing else refers to them), so that the
 *                main thread need not spend the time.
 *   nat_abort    drop pl; when it was sent, the table is moved back to the policy in force
 *                first (if even that fails, logged, the next batch recreates the table
 *                whole). NULL is a no-op. Main thread.
 * Without nftables ([nat] enable = no) only the pool takes part.
 */
struct nat_plan;
int nat_prepare(const struct nat *n, const struct pol_snap *snap, struct nat_plan **pl,
		struct pol_err *e);
int nat_send(struct nat *n, struct nat_plan *pl, struct pol_err *e);
void nat_commit(struct nat *n, struct nat_plan *pl);
void nat_plan_free(struct nat_plan *pl);
void nat_abort(struct nat *n, struct nat_plan *pl);
/* The three steps at once, for programs that drive nat alone (test drivers, benches); rgwd
 * goes through policy_commit. 0 or -errno (nothing changed). */
int nat_apply(struct nat *n, const struct pol_snap *snap);
/* Remove the table (clean shutdown), close sockets, free everything. NULL is a no-op. */
void nat_free(struct nat *n);

/* The pool, for the DNS (nat_pool_request) and the API (nat_pool_foreach). */
struct nat_pool *nat_get_pool(struct nat *n);
/* Request a binding at the loop's current time (see nat_pool_request). */
int nat_request(struct nat *n, const struct nat_request *req, struct addr *out,
		enum nat_refusal *why);
/* nat_pool_request_id, nat_pool_nest_bind and nat_pool_nest_withdraw at the loop's time. */
int nat_request_id(struct nat *n, const struct nat_request *req, struct addr *out,
		   enum nat_refusal *why, uint64_t *id, bool *fresh);
int nat_nest_bind(struct nat *n, uint64_t id, const struct addr *target);
int nat_nest_withdraw(struct nat *n, uint64_t id, bool denied);
/* Release an unused binding at the loop's current time (see nat_pool_release_unused);
 * logged at debug level. 1 released, 0 none. */
int nat_release_unused(struct nat *n, const struct addr *resolver, const struct prefix *requestor,
		       int64_t service_id);
/* nat_pool_note_step at the loop's current time. */
int nat_note_step(struct nat *n, const struct addr *resolver, int64_t service_id);
/* Reputation hooks (forwarded to the pool). */
void nat_set_hooks(struct nat *n, nat_admit_cb admit, nat_binding_cb binding, void *arg);

struct nat_stats {
	struct nat_pool_stats pool;
	struct nat_queue_stats queue;
	struct nat_rejmem_stats rejmem;
	uint64_t admitted;	 /* first packets DNATed */
	uint64_t refused;	 /* first packets answered with a reset / unreachable */
	uint64_t refused_memory; /* ... of which from the rejected-packet memory */
	uint64_t bad_packets;	 /* unparseable first packets (dropped) */
	uint64_t applies;	 /* policy applies sent to nftables */
	uint64_t apply_errors;
	uint64_t nft_rules; /* rules in the table */
	/* flow defence ([ids] enable) */
	uint64_t ct_deleted;	   /* conntrack entries deleted (alerts) */
	uint64_t ct_errors;	   /* ctnetlink failures */
	uint64_t blocks_added;	   /* sources blocked (new blocks) */
	uint64_t blocks_removed;   /* unblocked by the operator */
	uint64_t block_errors;	   /* block elements the kernel refused */
	uint64_t blocks_active;	   /* gauge */
	uint64_t flows_remembered; /* gauge: admitted flows in memory */
};
void nat_get_stats(const struct nat *n, struct nat_stats *out);
/* Rejected packets per source, busiest first (see nat_rejmem_sources). */
int nat_rejected_sources(const struct nat *n, struct nat_rej_source *out, size_t max,
			 size_t *total);
/* Prometheus text: rgw_rejected_sources and rgw_rejected_source_packets{source} for the
 * `top` busiest sources (at most 32; label cardinality stays bounded). */
struct buf;
void nat_rejected_metrics(const struct nat *n, struct buf *out, size_t top);
/* A rejected-packet source as an address. */
void nat_rej_source_addr(const struct nat_rej_source *s, struct addr *a);
/* Refresh (and log) the kernel's queue drop counters now; they are also read every 2 s.
 * Returns new drops or -errno. */
int nat_check_drops(struct nat *n);

/*
 * Flow defence (docs/nat.md, "Flow defence"; only with [ids] enable, else -ENOTSUP):
 *   nat_flow_teardown  delete every conntrack entry the flow seen as t can be (both
 *                      directions, before and after DNAT: nat_ct_teardown). Returns the
 *                      entries deleted (0: none existed) or -errno; out says which entry and
 *                      whether a pool binding admitted the flow (and which one).
 *   nat_block          drop every packet from a for ms (nft set block4 / block6 with a
 *                      timeout; an active block is extended). 1 new, 0 extended, -errno.
 *   nat_unblock        lift it at once. 0, -ENOENT when a is not blocked, -errno.
 *   nat_blocks_walk    active blocks, oldest first.
 * Main thread.
 */
struct nat_teardown {
	int deleted; /* conntrack entries deleted */
	bool known;  /* entry is the first one deleted */
	struct nat_ct_entry entry;
	bool admitted;		       /* a pool binding admitted the flow: */
	struct nat_flow_origin origin; /* which one */
	bool again; /* admitted, gone, and torn down by an earlier call: a late alert */
};
int nat_flow_teardown(struct nat *n, const struct nat_ct_tuple *t, struct nat_teardown *out);
int nat_block(struct nat *n, const struct addr *a, uint64_t ms, const char *reason);
int nat_unblock(struct nat *n, const struct addr *a);
void nat_blocks_walk(struct nat *n, nat_block_cb cb, void *arg);
bool nat_defence_enabled(const struct nat *n);
/* a is blocked now. */
bool nat_is_blocked(struct nat *n, const struct addr *a);

/* Verdict for one first packet (the NFQUEUE callback; exported for tests and benches). */
int nat_packet_verdict(struct nat *n, const uint8_t *pkt, size_t len, uint32_t *mark);

#endif
