/* SPDX-License-Identifier: MIT */
/* alg/proxy.h -- ALG worker state and the per-connection relay (internal to alg/) */
#ifndef RGW_ALG_PROXY_H
#define RGW_ALG_PROXY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "alg/alg.h"
#include "alg/limit.h"
#include "alg/rep.h"
#include "alg/routes.h"
#include "common/ev.h"
#include "common/list.h"

struct alg_conn;

/* Size asked of every relay pipe: more bytes per splice, fewer wake-ups. */
#define ALG_PIPE_SIZE (1u << 20)

/* Intrusive FIFO / LRU list of connections, oldest first. */
struct alg_conn_list {
	struct list head; /* of struct alg_conn (node); alg_worker_new initialises it */
	size_t n;
};

/* Settings shared read-only by every worker. */
/*
 * Pipes (2 descriptors each) all workers together may hold, in use or pooled: the descriptors
 * left once every connection of the cap has its two sockets. A direction that finds none
 * relays through buffers (alg/relay.c).
 */
struct alg_pipe_budget {
	_Atomic long max;  /* set at start and reload (alg.c raise_nofile) */
	_Atomic long open; /* pipes open now */
};

struct alg_settings {
	uint64_t hostname_timeout_ms;
	uint64_t connect_timeout_ms;
	uint64_t idle_timeout_ms;
	uint64_t min_progress; /* bytes (both directions) that restart a relay's idle clock */
	bool access_log;
	bool access_log_ok; /* also the connections that ended ok */
	bool splice;	    /* relay with splice(2); false: userspace buffers */
	bool sched_batch;   /* busy workers under SCHED_BATCH (worker.c sched_adapt) */
	struct alg_limit *limit;
	long max_conns;
	struct alg_pipe_budget *pipes; /* shared by the workers */
	long rep_load_conns;	       /* refuse low-reputation sources once this many are open */
	struct alg_evq *evq; /* evidence to the main loop; NULL: none (set before the workers
				see any listener, never changed after) */
	/* session names (policy/session.h), read with __atomic_load_n: NULL until
	 * alg_set_sessions */
	struct pol_sessions *sessions;
};

/* A listening socket owned by one worker. */
/* The listen backlog: long, so that a burst waits in the kernel rather than being refused;
 * short while the connection cap is nearly full (ALG_BACKLOG_SHORT_PCT on, back below
 * ALG_BACKLOG_LONG_PCT), so that clients do not wait in a queue the ALG cannot serve before
 * their hostname deadline: they retry their SYN instead (alg_worker_backlog). */
#define ALG_BACKLOG_LONG      4096
#define ALG_BACKLOG_SHORT     64
#define ALG_BACKLOG_SHORT_PCT 90
#define ALG_BACKLOG_LONG_PCT  75

struct alg_lsock {
	struct alg_lsock *next; /* the worker's listeners, or a post's new ones */
	struct alg_worker *w;
	int fd;
	uint16_t port;
	bool watched;
	bool short_backlog; /* listen(ALG_BACKLOG_SHORT) in force (alg_worker_backlog) */
};

struct alg_post;

struct alg_worker {
	int id;
	pthread_t thread;
	bool started;
	struct ev_loop *loop;
	struct ev_async *async;
	const struct alg_settings *set;
	struct alg_routes *routes; /* the worker's reference: read without locks */
	struct alg_rep_snap *rep;  /* low-reputation sources: the worker's reference */

	/* mailbox from the main thread, under mu */
	pthread_mutex_t mu;
	struct alg_post *mb_posts; /* newest first */
	struct alg_rep_snap *mb_rep;
	bool mb_stop;

	struct alg_lsock *ls; /* listeners, a list through next */
	bool accept_paused;
	bool batch;	    /* the thread runs under SCHED_BATCH now (worker.c sched_adapt) */
	bool batch_refused; /* the kernel refused a policy change: no more tries */
	uint64_t tick_id;

	struct alg_conn_list hello;	 /* waiting for the hostname, by accept time */
	struct alg_conn_list connecting; /* backend connect in progress, by start time */
	struct alg_conn_list relay;	 /* replay and relay, least recently active first */
	struct alg_conn_list closing;	 /* refused: response sent, draining, by time */

	int (*pipes)[2]; /* free pipes, reused between connections */
	size_t n_pipes;
	uint32_t pipe_cap; /* bytes every pipe of this worker can hold */
	uint8_t **bufs;	   /* free relay buffers (splice fallback) */
	size_t n_bufs;
	bool no_splice; /* relay through buffers: configured, or splice was refused */

	_Atomic uint64_t stats[ALG_STAT_COUNT];
};

/* Accept what is pending on ls (listener callback). Worker thread. */
void alg_proxy_accept(struct alg_worker *w, struct alg_lsock *ls);
/* Enforce the deadlines (called from the worker's periodic tick). Worker thread. */
void alg_proxy_tick(struct alg_worker *w);
/* How many connections of w are active, counted up to cap: those waiting for their hostname
 * or backend, and those relayed that made progress in the last ms milliseconds. */
size_t alg_proxy_active(struct alg_worker *w, uint64_t ms, size_t cap);
/* Close every connection and free the pipe pool (worker shutdown). Worker thread. */
void alg_proxy_close_all(struct alg_worker *w);
/* Pause / resume accepting on every listener of w (EMFILE back-off). Worker thread. */
void alg_worker_pause_accept(struct alg_worker *w);
/* Shorten or restore the worker's listen backlogs by how full the connection cap is
 * (ALG_BACKLOG_*); listeners the worker gained since the last call follow too. */
void alg_worker_backlog(struct alg_worker *w);

#endif
