/* SPDX-License-Identifier: MIT */
/* nat/rejmem.c -- bounded memory of rejected first packets (hash + LRU list) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../common/htab.h"
#include "../common/list.h"
#include "../common/util.h"
#include "rejmem.h"

struct rec {
	struct nat_rej_key key;
	uint64_t expires_ms;
	uint32_t count;
	struct hnode hn;
	struct list node; /* in the LRU, oldest first */
};

struct nat_rejmem {
	struct htab ht;
	size_t max;
	uint64_t ttl_ms;
	uint64_t seed;
	struct list lru;
	uint64_t hits, evictions;
};

static uint64_t key_hash(const struct nat_rejmem *m, const struct nat_rej_key *k);
static struct rec *find(const struct nat_rejmem *m, const struct nat_rej_key *k, uint64_t *hash);
static void drop(struct nat_rejmem *m, struct rec *r);
static struct rec *oldest(const struct nat_rejmem *m);
static int src_cmp(const void *a, const void *b);
static int busiest_cmp(const void *a, const void *b);

/* Keyed hash (seeded at start) so that remote senders cannot aim at one bucket. */
static uint64_t
key_hash(const struct nat_rejmem *m, const struct nat_rej_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = m->seed ^ 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < sizeof(*k); i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return h;
}

struct nat_rejmem *
nat_rejmem_new(size_t max_entries, uint64_t ttl_ms)
{
	struct nat_rejmem *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if (htab_init(&m->ht, max_entries) < 0) {
		free(m);
		return NULL;
	}
	list_init(&m->lru);
	m->max = max_entries;
	m->ttl_ms = ttl_ms;
	if (getrandom(&m->seed, sizeof(m->seed), GRND_NONBLOCK) != sizeof(m->seed))
		m->seed = (uint64_t)(uintptr_t)m;
	return m;
}

void
nat_rejmem_free(struct nat_rejmem *m)
{
	struct list *e, *n;

	if (m == NULL)
		return;
	for (e = m->lru.next; e != &m->lru; e = n) {
		n = e->next;
		free(list_item(e, struct rec, node));
	}
	htab_fini(&m->ht);
	free(m);
}

/* The record of k, or NULL; *hash is k's hash either way. */
static struct rec *
find(const struct nat_rejmem *m, const struct nat_rej_key *k, uint64_t *hash)
{
	uint64_t h = key_hash(m, k);
	struct hnode *hn;

	*hash = h;
	htab_for_each(&m->ht, h, hn) {
		struct rec *r = htab_item(hn, struct rec, hn);

		if (hn->hash == h && memcmp(&r->key, k, sizeof(*k)) == 0)
			return r;
	}
	return NULL;
}

static struct rec *
oldest(const struct nat_rejmem *m)
{
	return list_first_item(&m->lru, struct rec, node);
}

static void
drop(struct nat_rejmem *m, struct rec *r)
{
	htab_del(&m->ht, &r->hn);
	list_unlink(&r->node);
	free(r);
}

void
nat_rejmem_purge(struct nat_rejmem *m, uint64_t now_ms)
{
	struct rec *r;

	while ((r = oldest(m)) != NULL && r->expires_ms <= now_ms)
		drop(m, r);
}

bool
nat_rejmem_check(struct nat_rejmem *m, const struct nat_rej_key *key, uint64_t now_ms)
{
	struct rec *r;
	uint64_t h;

	if (m->max == 0)
		return false;
	nat_rejmem_purge(m, now_ms);
	r = find(m, key, &h);
	if (r == NULL)
		return false;
	r->count++;
	r->expires_ms = now_ms + m->ttl_ms;
	list_unlink(&r->node);
	list_append(&m->lru, &r->node);
	m->hits++;
	return true;
}

int
nat_rejmem_record(struct nat_rejmem *m, const struct nat_rej_key *key, uint64_t now_ms)
{
	struct rec *r;
	uint64_t h;

	if (m->max == 0)
		return 0;
	nat_rejmem_purge(m, now_ms);
	r = find(m, key, &h);
	if (r != NULL) {
		r->count++;
		r->expires_ms = now_ms + m->ttl_ms;
		list_unlink(&r->node);
		list_append(&m->lru, &r->node);
		return 0;
	}
	if (m->ht.n >= m->max && !list_empty(&m->lru)) {
		drop(m, oldest(m));
		m->evictions++;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->key = *key;
	r->count = 1;
	r->expires_ms = now_ms + m->ttl_ms;
	htab_add(&m->ht, &r->hn, h);
	list_append(&m->lru, &r->node);
	return 0;
}

void
nat_rejmem_get_stats(const struct nat_rejmem *m, struct nat_rejmem_stats *out)
{
	out->entries = m->ht.n;
	out->max_entries = m->max;
	out->hits = m->hits;
	out->evictions = m->evictions;
}

static int
src_cmp(const void *a, const void *b)
{
	const struct nat_rej_source *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->src, y->src, sizeof(x->src));
}

static int
busiest_cmp(const void *a, const void *b)
{
	const struct nat_rej_source *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return src_cmp(a, b);
}

int
nat_rejmem_sources(const struct nat_rejmem *m, uint64_t now_ms, struct nat_rej_source *out,
		   size_t max, size_t *total)
{
	struct nat_rej_source *all;
	const struct rec *r;
	size_t n = 0, k = 0, i;

	if (total != NULL)
		*total = 0;
	if (m->ht.n == 0)
		return 0;
	all = calloc(m->ht.n, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	for (struct list *e = m->lru.next; e != &m->lru; e = e->next) {
		r = list_item(e, struct rec, node);
		if (r->expires_ms <= now_ms)
			continue;
		all[n].family = r->key.family;
		memcpy(all[n].src, r->key.src, sizeof(all[n].src));
		all[n].packets = r->count;
		all[n].records = 1;
		n++;
	}
	util_sort(all, n, sizeof(*all), src_cmp);
	for (i = 0; i < n; i++) {
		if (k > 0 && src_cmp(&all[k - 1], &all[i]) == 0) {
			all[k - 1].packets += all[i].packets;
			all[k - 1].records += all[i].records;
		} else {
			all[k++] = all[i];
		}
	}
	util_sort(all, k, sizeof(*all), busiest_cmp);
	if (total != NULL)
		*total = k;
	n = k < max ? k : max;
	if (n)
		memcpy(out, all, n * sizeof(*out));
	free(all);
	return (int)n;
}
