/* SPDX-License-Identifier: MIT */
/* api/views.h -- read-only JSON and Prometheus views of the live subsystems, for the API */
#ifndef RGW_API_VIEWS_H
#define RGW_API_VIEWS_H

#include <jansson.h>

#include "../policy/policy.h"
#include "../policy/store.h"

struct alg;
struct buf;
struct dns;
struct dns_aliases;
struct ev_loop;
struct ids;
struct nat;
struct nat_rep;
struct pol_sessions;

/*
 * What the API sees of rgwd: the live subsystems (any pointer may be NULL: subsystem
 * disabled; reputation overrides and resets then reach the store only), the policy in force
 * (snap points at rgwd's pointer to it; NULL or *snap NULL: reads go to the store) and the
 * committer every policy write goes through (NULL: writes are refused). Filled by rgwd.c
 * once the subsystems exist. Main loop thread only.
 */
struct api_views {
	struct ev_loop *loop;
	struct pol_snap *const *snap;
	struct nat *nat;
	struct dns *dns;
	struct alg *alg;
	struct nat_rep *rep;
	struct dns_aliases *aliases;
	struct pol_sessions *sessions; /* one-time session names (NULL: none) */
	pol_commit_fn commit;
	void *commit_arg;
	/* the policy a write transaction open on st reads, before its writes (rgwd:
	 * policy_snapshot, commit.h; NULL: read from st). 0 or -errno. */
	int (*snapshot)(void *arg, struct pol_store *st, struct pol_snap **out);
	void *snapshot_arg;
	/* run a policy write off the main loop (rgwd: policy_thread_run, commit.h):
	 * work(job, the thread's store) there, then done(job) back on the loop. 0, or -errno
	 * and nothing runs (the write then runs on the loop). NULL: on the loop. */
	int (*offload)(void *arg, void (*work)(void *job, struct pol_store *st),
		       void (*done)(void *job), void *job);
	void *offload_arg;
	struct ids *ids;
	/* the HA pair (NULL: not enabled): its state as a new object, and a role change
	 * ("active" or "standby": 0, or -EINVAL) */
	json_t *(*ha_status)(void *arg);
	int (*ha_set_role)(void *arg, const char *role);
	/* NULL when this node takes policy writes; else why not, naming the active */
	const char *(*ha_refusal)(void *arg);
	/* a pair token was created or revoked (the active sends its tokens to the standby) */
	void (*ha_tokens)(void *arg);
	void *ha_arg;
};

/* Live bindings: a new JSON array (empty without NAT). NULL on ENOMEM. */
json_t *api_views_bindings(const struct api_views *v);
/* Resolver cache windows: a new JSON array (empty without NAT). NULL on ENOMEM. */
json_t *api_views_windows(const struct api_views *v);
/* Counters per subsystem: a new JSON object {"nat": {...}, "dns": {...}, ...}. */
json_t *api_views_status(const struct api_views *v);
/* Prometheus text-format lines of every subsystem, appended to out. */
void api_views_metrics(const struct api_views *v, struct buf *out);
/* Live reputation entries: a new JSON array, or NULL without the engine. */
json_t *api_views_reputation(const struct api_views *v);

/* --- flow defence (api/views_defence.c) --- */
/* Active blocks: a new JSON array of {address, reason, alerts, blocked_ms, expires_ms,
 * expires_at}; NULL without the flow defence ([ids] enable = no). */
json_t *api_views_blocks(const struct api_views *v);
/* Lift the block of addr. 0, -EINVAL (not an address), -ENOENT (not blocked), -ENOTSUP. */
int api_views_unblock(const struct api_views *v, const char *addr);
/* Counters: IDS, blocks, conntrack teardowns, evidence from flows, ALG reputation refusals. */
json_t *api_views_defence_status(const struct api_views *v);
void api_views_defence_metrics(const struct api_views *v, struct buf *out);

#endif
