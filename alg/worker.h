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
 * Hand the worker, through its mailbox, any of: a routing snapshot (the caller's reference is
 * transferred), a new listener (ownership transferred), an fd of one of its listeners to close
 * (del_fd >= 0). Main thread; the worker applies them in its own thread.
 */
void alg_worker_post(struct alg_worker *w, struct alg_routes *routes, struct alg_lsock *add,
		     int del_fd);
/* Stop the thread, close everything it owns, free. NULL is a no-op. Main thread. */
void alg_worker_free(struct alg_worker *w);

#endif
