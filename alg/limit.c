/* SPDX-License-Identifier: MIT */
/* alg/limit.c -- ALG admission: global and per-source connection caps, per-source accept
 * token buckets */
#include "limit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define SRC_BUCKETS 4096

struct src_node {
	struct src_node *next;
	struct addr addr;
	long count;
	struct util_tb tb; /* the source's accept allowance */
};

struct alg_limit {
	pthread_mutex_t mu;
	long max_conns, max_per_source;
	long active;
	uint64_t rate_per_s, burst_milli; /* every source's token bucket */
	uint8_t key[16];
	struct src_node *src[SRC_BUCKETS];
};

static struct src_node **src_slot(struct alg_limit *l, const struct addr *a);

static struct src_node **
src_slot(struct alg_limit *l, const struct addr *a)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;
	/* keyed hash: a client cannot aim its addresses at one bucket */
	uint64_t h = util_siphash24(l->key, a->u.bytes, alen);
	struct src_node **pp = &l->src[h % SRC_BUCKETS];

	while (*pp != NULL && !addr_eq(&(*pp)->addr, a))
		pp = &(*pp)->next;
	return pp;
}

struct alg_limit *
alg_limit_new(long max_conns, long max_per_source, long rate, long burst)
{
	struct alg_limit *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	l->max_conns = max_conns;
	l->max_per_source = max_per_source;
	l->rate_per_s = (uint64_t)rate;
	l->burst_milli = (uint64_t)burst * 1000;
	if (util_random(l->key, sizeof(l->key)) < 0)
		memset(l->key, 0x5a, sizeof(l->key));
	return l;
}

void
alg_limit_set(struct alg_limit *l, long max_conns, long max_per_source, long rate, long burst)
{
	pthread_mutex_lock(&l->mu);
	l->max_conns = max_conns;
	l->max_per_source = max_per_source;
	l->rate_per_s = (uint64_t)rate;
	l->burst_milli = (uint64_t)burst * 1000; /* each source's bucket is capped at its refill */
	pthread_mutex_unlock(&l->mu);
}

void
alg_limit_free(struct alg_limit *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < SRC_BUCKETS; i++) {
		while (l->src[i] != NULL) {
			struct src_node *n = l->src[i];

			l->src[i] = n->next;
			free(n);
		}
	}
	pthread_mutex_destroy(&l->mu);
	free(l);
}

enum alg_admit
alg_limit_admit(struct alg_limit *l, const struct addr *src, uint64_t now_ms)
{
	struct src_node **pp, *n;
	enum alg_admit res = ALG_ADMIT_OK;

	pthread_mutex_lock(&l->mu);
	if (l->active >= l->max_conns) {
		res = ALG_ADMIT_GLOBAL_CAP;
		goto out;
	}
	pp = src_slot(l, src);
	n = *pp;
	if (n != NULL) {
		if (n->count >= l->max_per_source) {
			res = ALG_ADMIT_SOURCE_CAP;
			goto out;
		}
		if (!util_tb_take(&n->tb, l->rate_per_s, l->burst_milli, now_ms)) {
			res = ALG_ADMIT_RATE;
			goto out;
		}
	} else {
		/* a source without connections starts with a full allowance */
		n = calloc(1, sizeof(*n));
		if (n == NULL) {
			res = ALG_ADMIT_GLOBAL_CAP;
			goto out;
		}
		n->addr = *src;
		n->tb.milli = l->burst_milli - 1000;
		n->tb.last_ms = now_ms;
		*pp = n;
	}
	n->count++;
	l->active++;
out:
	pthread_mutex_unlock(&l->mu);
	return res;
}

void
alg_limit_release(struct alg_limit *l, const struct addr *src)
{
	struct src_node **pp, *n;

	pthread_mutex_lock(&l->mu);
	pp = src_slot(l, src);
	n = *pp;
	if (n != NULL && --n->count <= 0) {
		*pp = n->next;
		free(n);
	}
	l->active--;
	pthread_mutex_unlock(&l->mu);
}

unsigned
alg_limit_fill_pct(struct alg_limit *l)
{
	long n, max;

	pthread_mutex_lock(&l->mu);
	n = l->active;
	max = l->max_conns;
	pthread_mutex_unlock(&l->mu);
	return max > 0 ? (unsigned)(n * 100 / max) : 0;
}

long
alg_limit_active(struct alg_limit *l)
{
	long n;

	pthread_mutex_lock(&l->mu);
	n = l->active;
	pthread_mutex_unlock(&l->mu);
	return n;
}

long
alg_limit_count(struct alg_limit *l, const struct addr *src)
{
	struct src_node **pp;
	long n;

	pthread_mutex_lock(&l->mu);
	pp = src_slot(l, src);
	n = *pp != NULL ? (*pp)->count : 0;
	pthread_mutex_unlock(&l->mu);
	return n;
}
