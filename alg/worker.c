/* SPDX-License-Identifier: MIT */
/* alg/worker.c -- ALG worker threads: own loop, listeners, mailbox from the main thread */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define TICK_MS		50
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
	size_t i;

	for (i = 0; i < w->n_ls; i++) {
		struct alg_lsock *ls = w->ls[i];

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
	size_t i;

	for (i = 0; i < w->n_ls; i++) {
		struct alg_lsock *ls = w->ls[i];

		if (ls->fd != fd)
			continue;
		if (ls->watched)
			ev_io_del(w->loop, ls->fd);
		close(ls->fd);
		free(ls);
		w->ls[i] = w->ls[--w->n_ls];
		return;
	}
}

static void
mailbox_cb(struct ev_loop *loop, void *arg)
{
	struct alg_worker *w = arg;
	struct alg_routes *routes;
	struct alg_lsock **add;
	int *del;
	size_t n_add, n_del, i;
	bool stop;

	pthread_mutex_lock(&w->mu);
	routes = w->mb_routes;
	w->mb_routes = NULL;
	add = w->mb_add;
	n_add = w->mb_n_add;
	w->mb_add = NULL;
	w->mb_n_add = 0;
	del = w->mb_del;
	n_del = w->mb_n_del;
	w->mb_del = NULL;
	w->mb_n_del = 0;
	stop = w->mb_stop;
	pthread_mutex_unlock(&w->mu);

	if (routes != NULL) {
		/* new connections route with the new snapshot; open ones keep their backend */
		alg_routes_unref(w->routes);
		w->routes = routes;
	}
	for (i = 0; i < n_del; i++)
		drop_listener(w, del[i]);
	free(del);
	for (i = 0; i < n_add; i++) {
		struct alg_lsock **nls = realloc(w->ls, (w->n_ls + 1) * sizeof(*nls));

		if (nls == NULL) {
			close(add[i]->fd);
			free(add[i]);
			continue;
		}
		w->ls = nls;
		add[i]->w = w;
		w->ls[w->n_ls++] = add[i];
	}
	free(add);
	if (!w->accept_paused)
		watch_listeners(w, true);
	if (stop)
		ev_stop(loop);
}

static void
tick_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct alg_worker *w = arg;

	(void)id;
	alg_proxy_tick(w);
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
	while (w->n_ls > 0)
		drop_listener(w, w->ls[0]->fd);
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
alg_worker_post(struct alg_worker *w, struct alg_routes *routes, struct alg_lsock *add, int del_fd)
{
	pthread_mutex_lock(&w->mu);
	if (routes != NULL) {
		alg_routes_unref(w->mb_routes);
		w->mb_routes = routes;
	}
	if (add != NULL) {
		struct alg_lsock **n = realloc(w->mb_add, (w->mb_n_add + 1) * sizeof(*n));

		if (n != NULL) {
			w->mb_add = n;
			w->mb_add[w->mb_n_add++] = add;
		} else {
			close(add->fd);
			free(add);
		}
	}
	if (del_fd >= 0) {
		int *n = realloc(w->mb_del, (w->mb_n_del + 1) * sizeof(*n));

		if (n != NULL) {
			w->mb_del = n;
			w->mb_del[w->mb_n_del++] = del_fd;
		}
	}
	pthread_mutex_unlock(&w->mu);
	ev_async_send(w->async);
}

void
alg_worker_free(struct alg_worker *w)
{
	size_t i;

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
	alg_routes_unref(w->mb_routes);
	for (i = 0; i < w->mb_n_add; i++) {
		close(w->mb_add[i]->fd);
		free(w->mb_add[i]);
	}
	free(w->mb_add);
	free(w->mb_del);
	while (w->n_ls > 0)
		drop_listener(w, w->ls[0]->fd);
	free(w->ls);
	alg_proxy_close_all(w);
	alg_routes_unref(w->routes);
	ev_async_free(w->async);
	ev_loop_free(w->loop);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
