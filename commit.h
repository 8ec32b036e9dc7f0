/* SPDX-License-Identifier: MIT */
/* commit.h -- the one policy commit: validate, prepare all, one nft batch, commit all */
#ifndef RGW_COMMIT_H
#define RGW_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"
#include "policy/store.h"

struct alg;
struct dns;
struct nat;
struct nat_rep;
struct ev_loop;
struct policy_thread;

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
	uint64_t failures;     /* changes not refused that did not go in force either */
	/* called after each change put in force, with the ETag before it (NULL at the first):
	 * the HA pair sends it to the standby (ha.h). NULL: nobody. */
	void (*committed)(void *arg, const struct pol_change *c, const char *etag_before,
			  const struct pol_snap *snap);
	void *committed_arg;
	struct policy_thread *thread; /* the commit thread (NULL: none, commits run here) */
	/* snap is the store's policy as snap_st sees it while its data_version is snap_version
	 * (set when snap_st commits a change; NULL: not known) */
	const struct pol_store *snap_st;
	int64_t snap_version;
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
 *   append the audit line (ETags before and after)
 *   send the one nft batch (the only step outside the process) -> refused: kind APPLY
 *   COMMIT
 *   commit every subsystem (swaps that cannot fail)
 *
 * On any failure every plan is aborted, the transaction rolled back (a batch the kernel took
 * before a failed COMMIT is reverted by nat_abort) and the previous policy stays in force in
 * the data plane, the DNS answers, the ALG routes and the store.
 *
 * Threads: it runs on the main loop thread or on the commit thread (policy_thread_run). The
 * x_prepare functions read only the snapshot, the configuration and what only x_commit
 * changes, so reading the snapshot, validating, preparing and the audit line run on the
 * caller's thread, with the caller's store connection (policy_store); the rest (nat_send,
 * COMMIT on the caller's connection, the end: x_commit or x_abort, the policy in force, the
 * counters, the committed hook) is one step on the main thread (policy_on_main) while the
 * commit thread waits, and the main thread serves DNS before and after it.
 */
int policy_commit(void *parts, const struct pol_change *c, struct pol_snap **snap,
		  struct pol_err *e);

/*
 * The policy a write transaction open on st reads, before its writes (parts is a struct
 * policy_parts): a reference to the policy in force when the store holds just that, known
 * without reading it (no other connection committed since st put it in force), else read
 * from st (pol_store_snapshot_rows). 0 or -errno. The caller's thread, the transaction open.
 */
int policy_snapshot(void *parts, struct pol_store *st, struct pol_snap **out);

/*
 * Put the store's current policy in force (start-up, SIGHUP, a change another process
 * committed): a write transaction with no writes of its own, through policy_commit, audited
 * as c. 0 or -errno with e filled.
 */
int policy_reload(struct policy_parts *p, const struct pol_change *c, struct pol_err *e);

/*
 * The commit thread: the REST API's policy writes (from parsing the body to building the
 * reply) run on it, with a store connection of its own, while the main loop keeps serving.
 * One job at a time: a writer that arrives while one runs waits (the API stops reading
 * requests meanwhile; the main thread's own writers check policy_thread_busy and come back).
 */
typedef void (*policy_job_fn)(void *arg, struct pol_store *st);
typedef void (*policy_step_fn)(void *arg);

/* Open the thread's store connection (db_path) and start it. 0 or -errno; on failure
 * p->thread may hold what was made (policy_thread_stop frees it). Main thread. */
int policy_thread_start(struct policy_parts *p, struct ev_loop *loop, const char *db_path);
/* Finish the job in flight (its steps and its done run here), join the thread, close its
 * connection. NULL-safe. Main thread, before the subsystems the job's steps use are freed. */
void policy_thread_stop(struct policy_parts *p);
/* A job was handed over and its done has not run yet, or a write queued by
 * policy_write_later has not finished: a store write made now could wait for the thread's.
 * Main thread. */
bool policy_thread_busy(const struct policy_parts *p);
/* A job was handed over and its done has not run yet (the queued writes not counted): what
 * the job reads of the main thread's state must not change now. Main thread. */
bool policy_thread_job(const struct policy_parts *p);
/* Hand a job to the thread (parts: struct policy_parts): work(arg, its store) runs there,
 * then done(arg) on the main thread. 0, -EBUSY (a job runs), -ENOTSUP (no thread). Main. */
int policy_thread_run(void *parts, policy_job_fn work, policy_step_fn done, void *arg);
/* The store connection of the calling thread: the commit thread's own, else p->store. */
struct pol_store *policy_store(const struct policy_parts *p);
/* Run fn(arg) on the main thread: at once on the main thread; from the commit thread, post it
 * and wait until the main loop ran it. */
void policy_on_main(const struct policy_parts *p, policy_step_fn fn, void *arg);

/*
 * Called by a job on the commit thread: fn(arg) runs there once the job is over and its done
 * handed to the main thread (the reply on its way), for work the reply need not wait for
 * (freeing what a change replaced). Anywhere else, or when POLICY_AFTER_MAX wait already,
 * fn(arg) runs at once.
 */
#define POLICY_AFTER_MAX 4
void policy_after_job(const struct policy_parts *p, policy_step_fn fn, void *arg);

/*
 * A store write of the main thread's that must not wait for the store's write lock (the
 * commit thread may hold it while it waits for a step of the main thread's, and another
 * process may hold it for up to the busy timeout): fn(arg, its store connection) runs on the
 * commit thread, after the job in flight if one runs, after every write queued before it.
 * fn owns arg from then on. Without a commit thread, fn runs at once on this thread with
 * p->store. At most POLICY_WRITES_MAX writes wait: -ENOBUFS beyond (logged, rate-limited),
 * -ENOMEM; the caller keeps arg then. policy_thread_stop runs every queued write before it
 * returns; a crash loses them. Main thread.
 */
#define POLICY_WRITES_MAX 4096
int policy_write_later(struct policy_parts *p, policy_job_fn fn, void *arg);
/* An audit line without ETags (runtime state: an IDS block, ...) through policy_write_later:
 * c and its strings are copied; a line that cannot be queued is logged as lost. parts: a
 * struct policy_parts (the signature fits a subsystem's hook). Main thread. */
void policy_audit_later(void *parts, const struct pol_change *c);

#endif
