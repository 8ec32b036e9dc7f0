/* SPDX-License-Identifier: MIT */
/* dns/standin.c -- a thread that answers the UDP listeners while the main thread is busy */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/*
 * A REST policy write runs on the commit thread (commit.h) and never stops the main thread;
 * the other policy changes (DNS UPDATE, SIGHUP, a change from another process, the HA
 * standby following its active) and the API's other writes run on the main thread: store
 * writes, validation, the new name index, the nft batch, the swap. For that time the main
 * thread reads no socket. Between dns_busy_begin and dns_busy_end the
 * stand-in thread watches the main thread's WAN and LAN UDP listeners (the same sockets) and
 * answers them as a worker does (dns_udp_serve with main_thread = false): from the index in
 * force (the old one until dns_commit swaps, then the new one), with its own buffers and
 * counters; a query that needs a pool allocation or (LAN) the upstream forwarder is handed to
 * the main thread, which takes it once the change is done. Local, UPDATE and TCP listeners
 * wait for the main thread.
 *
 * The stand-in only reads the listeners (fd, view, address) while it watches them, and
 * dns_busy_end returns only after it has stopped watching: the main thread may change or
 * close listeners (a reload) whenever it is not between begin and end.
 */
struct dns_standin {
	struct dns *d;
	pthread_t th;
	bool started;
	struct ev_loop *loop;
	struct ev_async *wake; /* main -> stand-in: want or stop changed */
	struct dns_udp_batch *batch;
	struct dns_stats stats;
	unsigned depth; /* main thread only: nesting of dns_busy_begin */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool want; /* under mu: the main thread is busy */
	bool on;   /* under mu: the listeners in ls are watched */
	bool stop; /* under mu: leave the thread */
	struct dns_listener **ls;
	size_t n_ls, cap_ls;
};

static void *standin_main(void *arg);
static void standin_wake(struct ev_loop *loop, void *arg);
static void standin_readable(struct ev_loop *loop, int fd, int events, void *arg);

static void
standin_readable(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct dns_listener *l = arg;
	struct dns_standin *s = l->d->standin;

	(void)loop;
	(void)fd;
	(void)events;
	dns_udp_serve(l->d, l, s->batch, &s->stats, false);
}

static void
standin_wake(struct ev_loop *loop, void *arg)
{
	struct dns_standin *s = arg;

	pthread_mutex_lock(&s->mu);
	if (s->want && !s->on && !s->stop) {
		for (size_t i = 0; i < s->n_ls; i++)
			if (ev_io_add(loop, s->ls[i]->fd, EV_READ, standin_readable, s->ls[i]) != 0)
				log_warnx("dns: stand-in: cannot watch a listener");
		s->on = true;
	} else if ((!s->want || s->stop) && s->on) {
		for (size_t i = 0; i < s->n_ls; i++)
			ev_io_del(loop, s->ls[i]->fd);
		s->on = false;
		pthread_cond_broadcast(&s->cv);
	}
	if (s->stop)
		ev_stop(loop);
	pthread_mutex_unlock(&s->mu);
}

static void *
standin_main(void *arg)
{
	struct dns_standin *s = arg;

	ev_run(s->loop);
	return NULL;
}

int
dns_standin_start(struct dns *d)
{
	struct dns_standin *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return -ENOMEM;
	s->d = d;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	d->standin = s;
	s->loop = ev_loop_new();
	s->batch = dns_udp_batch_new(d->batch->sbuf_size);
	if (s->loop == NULL || s->batch == NULL)
		return -ENOMEM;
	s->wake = ev_async_new(s->loop, standin_wake, s);
	if (s->wake == NULL)
		return -ENOMEM;
	rc = pthread_create(&s->th, NULL, standin_main, s);
	if (rc != 0)
		return -rc;
	s->started = true;
	return 0;
}

void
dns_standin_stop(struct dns *d)
{
	struct dns_standin *s = d->standin;

	if (s == NULL)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_mutex_unlock(&s->mu);
		ev_async_send(s->wake);
		pthread_join(s->th, NULL);
	}
	ev_async_free(s->wake);
	ev_loop_free(s->loop);
	dns_udp_batch_free(s->batch);
	free(s->ls);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	d->standin = NULL;
}

const struct dns_stats *
dns_standin_stats(const struct dns *d)
{
	return d->standin != NULL ? &d->standin->stats : NULL;
}

void
dns_busy_begin(struct dns *d)
{
	struct dns_standin *s = d != NULL ? d->standin : NULL;
	size_t n = 0;

	if (s == NULL || !s->started || s->depth++ > 0)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->cap_ls < d->n_listeners) {
		struct dns_listener **ls = realloc(s->ls, d->n_listeners * sizeof(*ls));
		if (ls == NULL) {
			/* without the list the main thread's answers merely wait, as before */
			pthread_mutex_unlock(&s->mu);
			return;
		}
		s->ls = ls;
		s->cap_ls = d->n_listeners;
	}
	for (size_t i = 0; i < d->n_listeners; i++) {
		struct dns_listener *l = d->listeners[i];
		if (!l->tcp && !l->ddns && l->view != DNS_VIEW_LOCAL && l->fd >= 0)
			s->ls[n++] = l;
	}
	s->n_ls = n;
	s->want = n > 0;
	pthread_mutex_unlock(&s->mu);
	if (n > 0)
		ev_async_send(s->wake);
}

void
dns_busy_end(struct dns *d)
{
	struct dns_standin *s = d != NULL ? d->standin : NULL;

	if (s == NULL || !s->started || s->depth == 0 || --s->depth > 0)
		return;
	pthread_mutex_lock(&s->mu);
	s->want = false;
	if (s->on) {
		ev_async_send(s->wake);
		while (s->on)
			pthread_cond_wait(&s->cv, &s->mu);
	}
	pthread_mutex_unlock(&s->mu);
}
