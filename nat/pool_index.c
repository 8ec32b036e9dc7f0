/* SPDX-License-Identifier: MIT */
/* nat/pool_index.c -- the pool's indexes: key hash, pair hash, deadline heap, address lists */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/array.h"
#include "pool_int.h"

static uint64_t pair_hash(uint64_t key, int64_t service_id);
static void heap_swap(struct nat_pool *p, size_t i, size_t j);
static void heap_up(struct nat_pool *p, size_t i);
static void heap_down(struct nat_pool *p, size_t i);
static bool can_share(const struct paddr *a, uint8_t sproto, uint16_t sport);
static uint64_t range_mask(size_t w, size_t from, size_t to);

/* ---- key hash ---- */

int
nat_pool_key_insert(struct nat_pool *p, struct binding *b)
{
	size_t i;

	if (p->n_bindings + 1 > p->n_buckets) {
		size_t nb = p->n_buckets * 2;
		struct binding **nt = calloc(nb, sizeof(*nt));

		if (nt == NULL)
			return -ENOMEM;
		for (i = 0; i < p->n_buckets; i++) {
			struct binding *x = p->buckets[i], *nx;

			for (; x != NULL; x = nx) {
				size_t h =
					nat_pool_key_hash(x->ip, x->info.port, x->info.protocol) &
					(nb - 1);

				nx = x->hnext;
				x->hnext = nt[h];
				if (nt[h] != NULL)
					nt[h]->hpprev = &x->hnext;
				nt[h] = x;
				x->hpprev = &nt[h];
			}
		}
		free(p->buckets);
		p->buckets = nt;
		p->n_buckets = nb;
	}
	i = nat_pool_key_hash(b->ip, b->info.port, b->info.protocol) & (p->n_buckets - 1);
	b->hnext = p->buckets[i];
	if (b->hnext != NULL)
		b->hnext->hpprev = &b->hnext;
	p->buckets[i] = b;
	b->hpprev = &p->buckets[i];
	p->n_bindings++;
	return 0;
}

/* O(1): the pinholes of one host share a chain (up to its pool_limit), and the oldest, at
 * the chain's end, are the ones that expire. */
void
nat_pool_key_remove(struct nat_pool *p, struct binding *b)
{
	if (b->hpprev == NULL)
		return;
	*b->hpprev = b->hnext;
	if (b->hnext != NULL)
		b->hnext->hpprev = b->hpprev;
	b->hnext = NULL;
	b->hpprev = NULL;
	p->n_bindings--;
}

/* ---- (entity, service) pairs: the newest live binding of each ---- */

static uint64_t
pair_hash(uint64_t key, int64_t service_id)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL ^ (uint64_t)service_id * 0xc2b2ae3d27d4eb4fULL;

	return h ^ (h >> 31);
}

struct binding *
nat_pool_pair_find(const struct nat_pool *p, uint64_t key, int64_t service_id)
{
	uint64_t h = pair_hash(key, service_id);
	struct hnode *hn;

	if (key == 0)
		return NULL;
	htab_for_each(&p->pairs, h, hn) {
		struct binding *b = htab_item(hn, struct binding, pn);

		if (b->win_key == key && b->pair_id == service_id)
			return b;
	}
	return NULL;
}

void
nat_pool_pair_remove(struct nat_pool *p, struct binding *b)
{
	if (!b->in_pair)
		return;
	htab_del(&p->pairs, &b->pn);
	b->in_pair = false;
}

void
nat_pool_pair_set(struct nat_pool *p, struct binding *b)
{
	struct binding *old;

	if (b->win_key == 0)
		return;
	old = nat_pool_pair_find(p, b->win_key, b->pair_id);
	if (old != NULL)
		nat_pool_pair_remove(p, old);
	htab_add(&p->pairs, &b->pn, pair_hash(b->win_key, b->pair_id));
	b->in_pair = true;
}

/* ---- deadline heap ---- */

static void
heap_swap(struct nat_pool *p, size_t i, size_t j)
{
	struct binding *t = p->heap[i];

	p->heap[i] = p->heap[j];
	p->heap[j] = t;
	p->heap[i]->heap_idx = i;
	p->heap[j]->heap_idx = j;
}

static void
heap_up(struct nat_pool *p, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (p->heap[parent]->info.expires_ms <= p->heap[i]->info.expires_ms)
			break;
		heap_swap(p, i, parent);
		i = parent;
	}
}

static void
heap_down(struct nat_pool *p, size_t i)
{
	size_t n = p->n_bindings;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && p->heap[l]->info.expires_ms < p->heap[m]->info.expires_ms)
			m = l;
		if (r < n && p->heap[r]->info.expires_ms < p->heap[m]->info.expires_ms)
			m = r;
		if (m == i)
			break;
		heap_swap(p, i, m);
		i = m;
	}
}

/* Called after key_insert: n_bindings already counts b. */
int
nat_pool_heap_push(struct nat_pool *p, struct binding *b)
{
	size_t i = p->n_bindings - 1;

	if (ARRAY_RESERVE(p->heap, p->heap_cap, p->n_bindings) < 0)
		return -ENOMEM;
	p->heap[i] = b;
	b->heap_idx = i;
	heap_up(p, i);
	return 0;
}

/* After b's deadline changed. */
void
nat_pool_heap_fix(struct nat_pool *p, struct binding *b)
{
	heap_down(p, b->heap_idx);
	heap_up(p, b->heap_idx);
}

/* Called after key_remove: n_bindings no longer counts b; the last slot is heap[n]. */
void
nat_pool_heap_remove(struct nat_pool *p, struct binding *b)
{
	size_t i = b->heap_idx, last = p->n_bindings;

	if (i != last) {
		p->heap[i] = p->heap[last];
		p->heap[i]->heap_idx = i;
		heap_down(p, i);
		heap_up(p, i);
	}
}

/* ---- sorted-array lookups and address choice ---- */

/* rgw-original-behaviour.md §2.6: may a binding S=(port, proto) join address a? */
static bool
can_share(const struct paddr *a, uint8_t sproto, uint16_t sport)
{
	const struct binding *c;

	if (sport == 0 && sproto == 0)
		return false;
	for (c = a->head; c != NULL; c = c->anext) {
		uint16_t cport = c->info.port;
		uint8_t cproto = c->info.protocol;

		if (cport == 0 && cproto == 0)
			return false;
		if (cport == sport && cproto == sproto)
			return false;
		if (cport == sport && (cproto == 0 || sproto == 0))
			return false;
		if (cproto == sproto && (cport == 0 || sport == 0))
			return false;
	}
	return true;
}

/* Bit mask of word w of the bitmap restricted to the indexes [from, to). */
static uint64_t
range_mask(size_t w, size_t from, size_t to)
{
	uint64_t m = ~(uint64_t)0;

	if (w == from / 64)
		m &= ~(uint64_t)0 << (from % 64);
	if (w == (to - 1) / 64 && to % 64)
		m &= ((uint64_t)1 << (to % 64)) - 1;
	return m;
}

/* Lowest allocated address in [from, to) that can take S, or -1. */
ssize_t
nat_pool_find_reuse(const struct nat_pool *p, size_t from, size_t to, uint8_t proto, uint16_t port)
{
	size_t w;

	if ((port == 0 && proto == 0) || from >= to)
		return -1;
	for (w = from / 64; w <= (to - 1) / 64; w++) {
		uint64_t used = ~p->free_bits[w] & range_mask(w, from, to);

		while (used) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(used);

			used &= used - 1;
			if (can_share(&p->addrs[i], proto, port))
				return (ssize_t)i;
		}
	}
	return -1;
}

ssize_t
nat_pool_find_free(const struct nat_pool *p, size_t from, size_t to)
{
	size_t w;

	if (from >= to)
		return -1;
	for (w = from / 64; w <= (to - 1) / 64; w++) {
		uint64_t f = p->free_bits[w] & range_mask(w, from, to);

		if (f)
			return (ssize_t)(w * 64 + (size_t)__builtin_ctzll(f));
	}
	return -1;
}

/* ---- per-address and id-order lists ---- */

void
nat_pool_addr_link(struct nat_pool *p, size_t idx, struct binding *b)
{
	struct paddr *a = &p->addrs[idx];

	if (a->n++ == 0) {
		nat_pool_set_free(p, idx, false);
		p->allocated++;
		p->allocated6 += idx >= p->n_addrs4;
	}
	b->aprev = NULL;
	b->anext = a->head;
	if (b->anext)
		b->anext->aprev = b;
	a->head = b;
}

void
nat_pool_addr_unlink(struct nat_pool *p, struct binding *b)
{
	ssize_t i = b->pinhole ? -1 : nat_pool_addr_index(p, b->ip);
	struct paddr *a;

	if (i < 0)
		return;
	a = &p->addrs[i];
	if (b->aprev)
		b->aprev->anext = b->anext;
	else
		a->head = b->anext;
	if (b->anext)
		b->anext->aprev = b->aprev;
	b->anext = b->aprev = NULL;
	if (--a->n == 0) {
		nat_pool_set_free(p, (size_t)i, true);
		p->allocated--;
		p->allocated6 -= (size_t)i >= p->n_addrs4;
	}
}

void
nat_pool_id_unlink(struct nat_pool *p, struct binding *b)
{
	(void)p;
	list_unlink(&b->inode);
}
