/* SPDX-License-Identifier: MIT */
/* alg/worker.c -- ALG worker threads: own loop, listeners, mailbox from the main thread */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alg/limit.h"
#include "common/log.h"
#include "common/util.h"

#define TICK_MS		50
#define BATCH_ON	16  /* active connections from which the worker runs under SCHED_BATCH */
#define BATCH_OFF	8   /* ... and below which it leaves it */
#define BATCH_RECENT_MS 250 /* a relayed connection is active if it made progress this recently */
#define ACCEPT_PAUSE_MS 1000

static void *worker_main(void *arg);
static void mailbox_cb(struct ev_loop *loop, void *arg);
static void tick_cb(struct ev_loop *loop, uint64_t id, void *arg);
static void resume_cb(struct ev_loop *loop, uint64_t id, void *arg);
static void listener_cb(struct ev_loop *loop, int fd, int events, void *arg);
static void watch_listeners(struct alg_worker *w, bool on);
static void drop_listener(struct alg_worker *w, int fd);

static void
listener_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct alg_lsock *ls = arg;

	(void)loop;
	(void)fd;
	(void)events;
	alg_proxy_accept(ls->w, ls);
}

static void
watch_listeners(struct alg_worker *w, bool on)
{
	struct alg_lsock *ls;

	for (ls = w->ls; ls != NULL; ls = ls->next) {
		if (on && !ls->watched) {
			if (ev_io_add(w->loop, ls->fd, EV_READ, listener_cb, ls) == 0)
				ls->watched = true;
		} else if (!on && ls->watched) {
			ev_io_del(w->loop, ls->fd);
			ls->watched = false;
		}
	}
}

void
alg_worker_pause_accept(struct alg_worker *w)
{
	if (w->accept_paused)
		return;
	w->accept_paused = true;
	watch_listeners(w, false);
	if (ev_timer_add(w->loop, ACCEPT_PAUSE_MS, resume_cb, w) == 0) {
		w->accept_paused = false;
		watch_listeners(w, true);
	}
}

void
alg_worker_backlog(struct alg_worker *w)
{
	static struct log_rl rl = LOG_RL_INIT(60000, 2);
	unsigned pct = alg_limit_fill_pct(w->set->limit);
	struct alg_lsock *ls;

	for (ls = w->ls; ls != NULL; ls = ls->next) {
		bool want = ls->short_backlog ? pct >= ALG_BACKLOG_LONG_PCT
					      : pct >= ALG_BACKLOG_SHORT_PCT;

		if (want == ls->short_backlog)
			continue;
		/* Linux applies a new backlog to a listening socket at once */
		if (listen(ls->fd, want ? ALG_BACKLOG_SHORT : ALG_BACKLOG_LONG) == -1)
			continue;
		ls->short_backlog = want;
		log_rl(&rl, LOG_LVL_INFO,
		       "alg: worker %d: %u %% of max_connections in use: "
		       "listen backlog on port %u %s to %d",
		       w->id, pct, ls->port, want ? "shortened" : "restored",
		       want ? ALG_BACKLOG_SHORT : ALG_BACKLOG_LONG);
	}
}

static void
resume_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct alg_worker *w = arg;

	(void)loop;
	(void)id;
	w->accept_paused = false;
	watch_listeners(w, true);
}

static void
drop_listener(struct alg_worker *w, int fd)
{
	struct alg_lsock **pp, *ls;

	for (pp = &w->ls; (ls = *pp) != NULL; pp = &ls->next) {
		if (ls->fd != fd)
			continue;
		if (ls->watched)
			ev_io_del(w->loop, ls->fd);
		close(ls->fd);
		*pp = ls->next;
		free(ls);
		return;
	}
}

void
alg_post_free(struct alg_post *p)
{
	struct alg_lsock *ls;

	if (p == NULL)
		return;
	alg_routes_unref(p->routes);
	while ((ls = p->add) != NULL) {
		p->add = ls->next;
		close(ls->fd);
		free(ls);
	}
	free(p->del);
	free(p);
}

static void
mailbox_cb(struct ev_loop *loop, void *arg)
{
	struct alg_worker *w = arg;
	struct alg_post *list, *p, *fifo = NULL;
	struct alg_rep_snap *rep;
	struct alg_lsock *ls;
	bool stop;

	pthread_mutex_lock(&w->mu);
	list = w->mb_posts;
	w->mb_posts = NULL;
	rep = w->mb_rep;
	w->mb_rep = NULL;
	stop = w->mb_stop;
	pthread_mutex_unlock(&w->mu);

	if (rep != NULL) {
		alg_rep_snap_unref(w->rep);
		w->rep = rep;
	}
	/* the mailbox is newest first: apply the oldest post first */
	while ((p = list) != NULL) {
		list = p->next;
		p->next = fifo;
		fifo = p;
	}
	while ((p = fifo) != NULL) {
		fifo = p->next;
		if (p->routes != NULL) {
			/* new connections route with the new snapshot; open ones keep theirs */
			alg_routes_unref(w->routes);
			w->routes = p->routes;
			p->routes = NULL;
		}
		for (size_t i = 0; i < p->n_del; i++)
			drop_listener(w, p->del[i]);
		while ((ls = p->add) != NULL) {
			p->add = ls->next;
			ls->w = w;
			ls->next = w->ls;
			w->ls = ls;
		}
		alg_post_free(p);
	}
	if (!w->accept_paused)
		watch_listeners(w, true);
	if (stop)
		ev_stop(loop);
}

/*
 * [alg] batch_scheduling: while the worker has BATCH_ON active connections or more (until
 * fewer than BATCH_OFF), its thread runs under SCHED_BATCH: a wake-up does not preempt the
 * task running on the CPU, so that on busy CPUs the worker runs when that task's turn ends
 * and finds more events waiting: fewer context switches for it and for the client and server
 * processes it would have interrupted, at the price of up to a scheduler tick of latency per
 * wake-up (an idle CPU runs it at once). With few connections each event is someone waiting
 * on the worker: the default policy, latency first. Looked at once per tick; a relayed
 * connection counts while it made progress (min_progress bytes) in the last BATCH_RECENT_MS,
 * so that idle keep-alive connections do not.
 */
static void
sched_adapt(struct alg_worker *w)
{
	struct sched_param sp = { .sched_priority = 0 };
	size_t n;
	bool want = false;
	int rc;

	if (w->batch_refused)
		return;
	if (w->set->sched_batch) {
		n = alg_proxy_active(w, BATCH_RECENT_MS, BATCH_ON);
		want = n >= BATCH_ON || (w->batch && n >= BATCH_OFF);
	}
	if (want == w->batch)
		return;
	rc = pthread_setschedparam(pthread_self(), want ? SCHED_BATCH : SCHED_OTHER, &sp);
	if (rc != 0) { /* a system call filter, say: once is enough */
		log_warn("alg: worker %d: scheduling policy %s refused (%s); not tried again",
			 w->id, want ? "SCHED_BATCH" : "SCHED_OTHER", strerror(rc));
		w->batch_refused = true;
		return;
	}
	w->batch = want;
}

static void
tick_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct alg_worker *w = arg;

	(void)id;
	alg_proxy_tick(w);
	sched_adapt(w);
	alg_worker_backlog(w);
	w->tick_id = ev_timer_add(loop, TICK_MS, tick_cb, w);
}

static void *
worker_main(void *arg)
{
	struct alg_worker *w = arg;
	char name[16];

	/* "rgwd-alg0"...: what top -H, ps -L and /proc/PID/task/TID/comm show */
	snprintf(name, sizeof(name), "rgwd-alg%d", w->id);
	(void)pthread_setname_np(pthread_self(), name);
	w->tick_id = ev_timer_add(w->loop, TICK_MS, tick_cb, w);
	if (ev_run(w->loop) < 0)
		log_warn("alg: worker %d: event loop failed", w->id);
	alg_proxy_close_all(w);
	while (w->ls != NULL)
		drop_listener(w, w->ls->fd);
	return NULL;
}

struct alg_worker *
alg_worker_new(int id, const struct alg_settings *set)
{
	struct alg_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->id = id;
	w->set = set;
	w->pipe_cap = ALG_PIPE_SIZE;
	w->no_splice = !set->splice;
	list_init(&w->hello.head);
	list_init(&w->connecting.head);
	list_init(&w->relay.head);
	list_init(&w->closing.head);
	pthread_mutex_init(&w->mu, NULL);
	w->loop = ev_loop_new();
	if (w->loop == NULL)
		goto fail;
	w->async = ev_async_new(w->loop, mailbox_cb, w);
	if (w->async == NULL)
		goto fail;
	return w;
fail:
	ev_loop_free(w->loop);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return NULL;
}

int
alg_worker_start(struct alg_worker *w)
{
	int rc = pthread_create(&w->thread, NULL, worker_main, w);

	if (rc != 0)
		return -rc;
	w->started = true;
	return 0;
}

void
alg_worker_post(struct alg_worker *w, struct alg_post *p)
{
	pthread_mutex_lock(&w->mu);
	p->next = w->mb_posts;
	w->mb_posts = p;
	pthread_mutex_unlock(&w->mu);
	ev_async_send(w->async);
}

void
alg_worker_post_rep(struct alg_worker *w, struct alg_rep_snap *rep)
{
	pthread_mutex_lock(&w->mu);
	alg_rep_snap_unref(w->mb_rep);
	w->mb_rep = rep;
	pthread_mutex_unlock(&w->mu);
	ev_async_send(w->async);
}

void
alg_worker_free(struct alg_worker *w)
{
	struct alg_post *p;

	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->mb_stop = true;
		pthread_mutex_unlock(&w->mu);
		ev_async_send(w->async);
		pthread_join(w->thread, NULL);
	}
	/* whatever the worker never picked up */
	while ((p = w->mb_posts) != NULL) {
		w->mb_posts = p->next;
		alg_post_free(p);
	}
	alg_rep_snap_unref(w->mb_rep);
	while (w->ls != NULL)
		drop_listener(w, w->ls->fd);
	alg_proxy_close_all(w);
	alg_routes_unref(w->routes);
	alg_rep_snap_unref(w->rep);
	ev_async_free(w->async);
	ev_loop_free(w->loop);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
