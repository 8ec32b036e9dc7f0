/* SPDX-License-Identifier: MIT */
/* alg/rep.c -- the ALG and reputation: evidence to the main loop, low-reputation snapshot back */
#include "rep.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct alg_evq {
	pthread_mutex_t mu;
	struct alg_ev *ring;
	size_t max, head, n;
	bool signalled; /* a wake-up is pending: no more eventfd writes until it is served */
	_Atomic uint64_t pushed, dropped;
	struct ev_async *async;
	alg_ev_cb cb;
	void *arg;
};

static void evq_drain(struct ev_loop *loop, void *arg);

struct alg_evq *
alg_evq_new(struct ev_loop *loop, size_t max, alg_ev_cb cb, void *arg)
{
	struct alg_evq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	pthread_mutex_init(&q->mu, NULL);
	q->max = max ? max : 1;
	q->cb = cb;
	q->arg = arg;
	q->ring = calloc(q->max, sizeof(*q->ring));
	q->async = q->ring ? ev_async_new(loop, evq_drain, q) : NULL;
	if (q->async == NULL) {
		alg_evq_free(q);
		return NULL;
	}
	return q;
}

void
alg_evq_free(struct alg_evq *q)
{
	if (q == NULL)
		return;
	ev_async_free(q->async);
	pthread_mutex_destroy(&q->mu);
	free(q->ring);
	free(q);
}

bool
alg_evq_push(struct alg_evq *q, const struct addr *src, enum alg_evidence why)
{
	bool wake = false, ok = false;

	pthread_mutex_lock(&q->mu);
	if (q->n < q->max) {
		struct alg_ev *e = &q->ring[(q->head + q->n) % q->max];

		e->src = *src;
		e->why = (uint8_t)why;
		q->n++;
		ok = true;
		wake = !q->signalled;
		q->signalled = true;
	}
	pthread_mutex_unlock(&q->mu);
	if (ok)
		atomic_fetch_add_explicit(&q->pushed, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&q->dropped, 1, memory_order_relaxed);
	if (wake)
		ev_async_send(q->async);
	return ok;
}

/* Main loop: take what is queued in chunks (the lock is never held across the callback). */
static void
evq_drain(struct ev_loop *loop, void *arg)
{
	struct alg_evq *q = arg;
	struct alg_ev batch[256];
	size_t k, i;

	(void)loop;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		k = MIN(q->n, ARRAY_SIZE(batch));
		for (i = 0; i < k; i++)
			batch[i] = q->ring[(q->head + i) % q->max];
		q->head = (q->head + k) % q->max;
		q->n -= k;
		if (q->n == 0)
			q->signalled = false;
		pthread_mutex_unlock(&q->mu);
		if (k == 0)
			return;
		q->cb(q->arg, batch, k);
	}
}

void
alg_evq_counts(struct alg_evq *q, uint64_t *pushed, uint64_t *dropped)
{
	*pushed = atomic_load_explicit(&q->pushed, memory_order_relaxed);
	*dropped = atomic_load_explicit(&q->dropped, memory_order_relaxed);
}

/* ---- the low-reputation snapshot ---- */

struct alg_rep_snap {
	_Atomic int refs;
	size_t n;
	struct addr a[];
};

static int
addr_qcmp(const void *x, const void *y)
{
	return addr_cmp(x, y);
}

struct alg_rep_snap *
alg_rep_snap_new(const struct addr *addrs, size_t n)
{
	struct alg_rep_snap *s = malloc(sizeof(*s) + n * sizeof(s->a[0]));
	size_t i, k = 0;

	if (s == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	for (i = 0; i < n; i++) {
		s->a[k] = addrs[i];
		k++;
	}
	util_sort(s->a, k, sizeof(s->a[0]), addr_qcmp);
	s->n = k;
	return s;
}

struct alg_rep_snap *
alg_rep_snap_ref(struct alg_rep_snap *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
alg_rep_snap_unref(struct alg_rep_snap *s)
{
	if (s != NULL && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		free(s);
}

size_t
alg_rep_snap_count(const struct alg_rep_snap *s)
{
	return s != NULL ? s->n : 0;
}

bool
alg_rep_snap_has(const struct alg_rep_snap *s, const struct addr *a)
{
	size_t lo = 0, hi;

	if (s == NULL)
		return false;
	hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&s->a[mid], a);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
