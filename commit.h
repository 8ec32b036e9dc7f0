/* SPDX-License-Identifier: MIT */
/* commit.h -- the one policy commit: validate, prepare all, one nft batch, commit all */
#ifndef RGW_COMMIT_H
#define RGW_COMMIT_H

#include <stdint.h>

#include "policy/policy.h"
#include "policy/store.h"

struct alg;
struct dns;
struct nat;
struct nat_rep;

/*
 * What a policy change drives: the store and the subsystems (any may be NULL: disabled), and
 * the policy in force. rgwd fills it once the subsystems exist; the API reads the policy in
 * force from it. Main loop thread only.
 */
struct policy_parts {
	struct pol_store *store;
	struct nat *nat;
	struct nat_rep *rep;
	struct dns *dns;
	struct alg *alg;
	struct pol_snap *snap; /* the policy in force (NULL before the first commit) */
	uint64_t commits;      /* changes put in force */
	uint64_t refusals;     /* changes refused by the validator */
	uint64_t failures;     /* valid changes the data plane or the store could not take */
	/* called after each change put in force, with the ETag before it (NULL at the first):
	 * the HA pair sends it to the standby (ha.h). NULL: nobody. */
	void (*committed)(void *arg, const struct pol_change *c, const char *etag_before,
			  const struct pol_snap *snap);
	void *committed_arg;
};

/*
 * The committer (pol_commit_fn, policy/store.h; parts is a struct policy_parts): every policy
 * writer goes through it: the REST API, PUT /bundle, DNS UPDATE, SIGHUP and start-up
 * (policy_reload), a change written by another process (policy_reload). With the store's
 * write transaction open:
 *
 *   read the transaction's snapshot, validate it whole         -> refused: -EINVAL
 *   a tenant's change (c->tenant): only its own rows, inside its
 *     realm, within its quotas (policy/tenancy.h)               -> refused: -EACCES, FORBIDDEN
 *   prepare every subsystem (nat: table, batch, pool; reputation; dns: name index;
 *     alg: routes and the sockets of new listeners)             -> refused: kind APPLY
 *   send the one nft batch (the only step outside the process) -> refused: kind APPLY
 *   append the audit line (ETags before and after), COMMIT
 *   commit every subsystem (swaps that cannot fail)
 *
 * On any failure every plan is aborted, the transaction rolled back (a batch the kernel took
 * before a failed COMMIT is reverted by nat_abort) and the previous policy stays in force in
 * the data plane, the DNS answers, the ALG routes and the store.
 *
 * Threads: the x_prepare functions read only the snapshot, the configuration and what only
 * x_commit changes, so the prepare step may move off the main thread (a worker preparing
 * while the main thread keeps answering); nat_send, the x_commit and x_abort functions, the
 * store and this function run on the main loop thread.
 */
int policy_commit(void *parts, const struct pol_change *c, struct pol_snap **snap,
		  struct pol_err *e);

/*
 * Put the store's current policy in force (start-up, SIGHUP, a change another process
 * committed): a write transaction with no writes of its own, through policy_commit, audited
 * as c. 0 or -errno with e filled.
 */
int policy_reload(struct policy_parts *p, const struct pol_change *c, struct pol_err *e);

#endif
