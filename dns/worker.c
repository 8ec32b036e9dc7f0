/* SPDX-License-Identifier: MIT */
/* dns/worker.c -- extra UDP worker threads for the WAN listeners (SO_REUSEPORT) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

/*
 * Each worker runs its own event loop with its own SO_REUSEPORT UDP socket on every WAN
 * address, answers from the shared read-only name index (reference counted, swapped by the
 * main thread), keeps its own counters, and hands queries that need a pool allocation to the
 * main thread (dns_udp_serve with main_thread = false). TCP, LAN, local and UPDATE stay on the
 * main thread.
 */
struct dns_worker {
	struct dns *d;
	pthread_t th;
	bool started;
	struct ev_loop *loop;
	struct ev_async *stop;
	struct dns_listener *ls;
	size_t n_ls;
	struct dns_udp_batch *batch;
	struct dns_stats stats;
};

static void *worker_main(void *arg);
static void worker_stop_cb(struct ev_loop *loop, void *arg);
static void worker_readable(struct ev_loop *loop, int fd, int events, void *arg);
static void worker_free(struct dns_worker *w);

static void
worker_stop_cb(struct ev_loop *loop, void *arg)
{
	(void)arg;
	ev_stop(loop);
}

static void
worker_readable(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct dns_listener *l = arg;
	struct dns_worker *w = NULL;

	(void)loop;
	(void)fd;
	(void)events;
	/* l->d is the subsystem; the worker is found through the listener array */
	for (size_t i = 0; i < l->d->n_workers; i++) {
		struct dns_worker *c = &l->d->workers[i];
		if (l >= c->ls && l < c->ls + c->n_ls) {
			w = c;
			break;
		}
	}
	if (w)
		dns_udp_serve(l->d, l, w->batch, &w->stats, false);
}

static void *
worker_main(void *arg)
{
	struct dns_worker *w = arg;

	ev_run(w->loop);
	return NULL;
}

static void
worker_free(struct dns_worker *w)
{
	for (size_t i = 0; i < w->n_ls; i++) {
		if (w->ls[i].fd >= 0) {
			if (w->loop)
				ev_io_del(w->loop, w->ls[i].fd);
			close(w->ls[i].fd);
		}
	}
	free(w->ls);
	ev_async_free(w->stop);
	ev_loop_free(w->loop);
	dns_udp_batch_free(w->batch);
}

int
dns_workers_start(struct dns *d, size_t n)
{
	size_t n_wan = 0;

	for (size_t i = 0; i < d->n_listeners; i++)
		if (!d->listeners[i]->tcp && !d->listeners[i]->ddns &&
		    d->listeners[i]->view == DNS_VIEW_WAN)
			n_wan++;
	d->workers = calloc(n, sizeof(*d->workers));
	if (!d->workers)
		return -ENOMEM;
	d->n_workers = n;
	for (size_t k = 0; k < n; k++) {
		struct dns_worker *w = &d->workers[k];
		w->d = d;
		w->loop = ev_loop_new();
		w->ls = calloc(n_wan ? n_wan : 1, sizeof(*w->ls));
		w->batch = dns_udp_batch_new(d->batch->sbuf_size);
		if (!w->loop || !w->ls || !w->batch)
			return -ENOMEM;
		w->stop = ev_async_new(w->loop, worker_stop_cb, w);
		if (!w->stop)
			return -ENOMEM;
		for (size_t i = 0; i < d->n_listeners; i++) {
			const struct dns_listener *m = d->listeners[i];
			if (m->tcp || m->ddns || m->view != DNS_VIEW_WAN)
				continue;
			struct dns_listener *l = &w->ls[w->n_ls];
			memset(l, 0, sizeof(*l));
			l->fd = -1;
			l->ap = m->ap;
			l->view = DNS_VIEW_WAN;
			int r = dns_udp_open(d, l, true);
			if (r != 0)
				return r;
			w->n_ls++;
			if (ev_io_add(w->loop, l->fd, EV_READ, worker_readable, l) != 0)
				return -ENOMEM;
		}
		int r = pthread_create(&w->th, NULL, worker_main, w);
		if (r != 0)
			return -r;
		w->started = true;
	}
	log_info("dns: %zu UDP worker thread%s", n, n == 1 ? "" : "s");
	return 0;
}

void
dns_workers_stop(struct dns *d)
{
	for (size_t k = 0; k < d->n_workers; k++) {
		struct dns_worker *w = &d->workers[k];
		if (w->started) {
			ev_async_send(w->stop);
			pthread_join(w->th, NULL);
		}
		worker_free(w);
	}
	free(d->workers);
	d->workers = NULL;
	d->n_workers = 0;
}

void
dns_workers_stats(const struct dns *d, struct dns_stats *sum)
{
	for (size_t k = 0; k < d->n_workers; k++) {
		const uint64_t *src = (const uint64_t *)&d->workers[k].stats;
		uint64_t *dst = (uint64_t *)sum;
		for (size_t i = 0; i < sizeof(struct dns_stats) / sizeof(uint64_t); i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
}
