/* SPDX-License-Identifier: MIT */
/* alg/worker.h -- ALG worker threads: own loop, listeners, mailbox from the main thread */
#ifndef RGW_ALG_WORKER_H
#define RGW_ALG_WORKER_H

#include "alg/proxy.h"

/* A worker with its loop, not yet running. NULL on failure. Main thread. */
struct alg_worker *alg_worker_new(int id, const struct alg_settings *set);
/* Start its thread. 0 or -errno. Main thread. */
int alg_worker_start(struct alg_worker *w);
/*
 * One change for a worker, built whole beforehand (alg_prepare) so that handing it over
 * cannot fail: a routing snapshot (a reference, or NULL), new listeners (a list through
 * alg_lsock.next, sockets included) and the fds of the worker's listeners to close.
 */
struct alg_post {
	struct alg_post *next;
	struct alg_routes *routes;
	struct alg_lsock *add;
	int *del;
	size_t n_del;
};
/* Hand p to the worker's mailbox (ownership transferred); the worker applies the posts in
 * order, in its own thread. Cannot fail. Main thread. */
void alg_worker_post(struct alg_worker *w, struct alg_post *p);
/* Free a post that was not handed over: drops its routes reference, closes and frees its new
 * listeners. NULL is a no-op. */
void alg_post_free(struct alg_post *p);
/* Hand the worker a low-reputation snapshot (the caller's reference is transferred). */
void alg_worker_post_rep(struct alg_worker *w, struct alg_rep_snap *rep);
/* Stop the thread, close everything it owns, free. NULL is a no-op. Main thread. */
void alg_worker_free(struct alg_worker *w);

#endif
