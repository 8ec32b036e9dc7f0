/* SPDX-License-Identifier: MIT */
/* nat/flowmem.c -- which binding admitted a flow, and the sources blocked after an alert */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/list.h"
#include "../common/util.h"
#include "flowmem.h"

/* ---- admitted-flow memory: a ring of entries, indexed by a keyed hash ---- */

struct fm_entry {
	struct nat_ct_tuple t;
	struct nat_flow_origin o;
	uint32_t hnext; /* index + 1 of the next entry in the bucket, 0: end */
	bool used;
};

struct nat_flowmem {
	struct fm_entry *e;
	uint32_t *bucket; /* index + 1 of the first entry, 0: empty */
	size_t max, nbuckets, head, n;
	uint8_t key[16];
};

static uint64_t tuple_hash(const struct nat_flowmem *m, const struct nat_ct_tuple *t);
static bool tuple_eq(const struct nat_ct_tuple *a, const struct nat_ct_tuple *b);
static void unlink_entry(struct nat_flowmem *m, size_t i);

static uint64_t
tuple_hash(const struct nat_flowmem *m, const struct nat_ct_tuple *t)
{
	uint8_t k[40];
	size_t alen = t->src.family == AF_INET6 ? 16 : 4;

	memcpy(k, t->src.u.bytes, alen);
	memcpy(k + alen, t->dst.u.bytes, alen);
	memcpy(k + 2 * alen, &t->sport, 2);
	memcpy(k + 2 * alen + 2, &t->dport, 2);
	k[2 * alen + 4] = t->proto;
	return util_siphash24(m->key, k, 2 * alen + 5);
}

static bool
tuple_eq(const struct nat_ct_tuple *a, const struct nat_ct_tuple *b)
{
	return a->proto == b->proto && a->sport == b->sport && a->dport == b->dport &&
	       addr_eq(&a->src, &b->src) && addr_eq(&a->dst, &b->dst);
}

struct nat_flowmem *
nat_flowmem_new(size_t max)
{
	struct nat_flowmem *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->max = max ? max : 1;
	m->nbuckets = 64;
	while (m->nbuckets < m->max && m->nbuckets < (1u << 22))
		m->nbuckets <<= 1;
	m->e = calloc(m->max, sizeof(*m->e));
	m->bucket = calloc(m->nbuckets, sizeof(*m->bucket));
	if (m->e == NULL || m->bucket == NULL) {
		nat_flowmem_free(m);
		return NULL;
	}
	if (util_random(m->key, sizeof(m->key)) < 0)
		memset(m->key, 0x3c, sizeof(m->key));
	return m;
}

void
nat_flowmem_free(struct nat_flowmem *m)
{
	if (m == NULL)
		return;
	free(m->e);
	free(m->bucket);
	free(m);
}

static void
unlink_entry(struct nat_flowmem *m, size_t i)
{
	uint32_t *pp = &m->bucket[tuple_hash(m, &m->e[i].t) & (m->nbuckets - 1)];

	while (*pp != 0 && *pp != i + 1)
		pp = &m->e[*pp - 1].hnext;
	if (*pp == i + 1)
		*pp = m->e[i].hnext;
	m->e[i].used = false;
	m->e[i].hnext = 0;
	m->n--;
}

void
nat_flowmem_add(struct nat_flowmem *m, const struct nat_ct_tuple *t,
		const struct nat_flow_origin *o)
{
	size_t b = tuple_hash(m, t) & (m->nbuckets - 1), i;
	uint32_t x;

	for (x = m->bucket[b]; x != 0; x = m->e[x - 1].hnext)
		if (tuple_eq(&m->e[x - 1].t, t)) {
			m->e[x - 1].o = *o; /* the same client port reused: the newest flow */
			return;
		}
	i = m->head;
	m->head = (m->head + 1) % m->max;
	if (m->e[i].used)
		unlink_entry(m, i);
	m->e[i].t = *t;
	m->e[i].o = *o;
	m->e[i].used = true;
	m->e[i].hnext = m->bucket[b];
	m->bucket[b] = (uint32_t)i + 1;
	m->n++;
}

bool
nat_flowmem_find(const struct nat_flowmem *m, const struct nat_ct_tuple *t,
		 struct nat_flow_origin *o)
{
	uint32_t x = m->bucket[tuple_hash(m, t) & (m->nbuckets - 1)];

	for (; x != 0; x = m->e[x - 1].hnext)
		if (tuple_eq(&m->e[x - 1].t, t)) {
			*o = m->e[x - 1].o;
			return true;
		}
	return false;
}

bool
nat_flowmem_mark_torn(struct nat_flowmem *m, const struct nat_ct_tuple *t)
{
	uint32_t x = m->bucket[tuple_hash(m, t) & (m->nbuckets - 1)];

	for (; x != 0; x = m->e[x - 1].hnext)
		if (tuple_eq(&m->e[x - 1].t, t)) {
			m->e[x - 1].o.torn_down = true;
			return true;
		}
	return false;
}

size_t
nat_flowmem_count(const struct nat_flowmem *m)
{
	return m->n;
}

/* ---- blocks: a list in creation order plus a hash on the address ---- */

struct blk {
	struct nat_block_info i;
	struct blk *hnext;
	struct list node; /* in creation order */
};

#define BLK_BUCKETS 1024

struct nat_blocks {
	struct blk *bucket[BLK_BUCKETS];
	struct list order;
	size_t n, max;
};

static struct blk **blk_slot(struct nat_blocks *b, const struct addr *a);
static void blk_remove(struct nat_blocks *b, struct blk *x);

struct nat_blocks *
nat_blocks_new(size_t max)
{
	struct nat_blocks *b = calloc(1, sizeof(*b));

	if (b != NULL) {
		b->max = max ? max : 1;
		list_init(&b->order);
	}
	return b;
}

void
nat_blocks_free(struct nat_blocks *b)
{
	struct list *e, *next;

	if (b == NULL)
		return;
	for (e = b->order.next; e != &b->order; e = next) {
		next = e->next;
		free(list_item(e, struct blk, node));
	}
	free(b);
}

static struct blk **
blk_slot(struct nat_blocks *b, const struct addr *a)
{
	struct blk **pp = &b->bucket[addr_hash(a) % BLK_BUCKETS];

	while (*pp != NULL && !addr_eq(&(*pp)->i.addr, a))
		pp = &(*pp)->hnext;
	return pp;
}

static void
blk_remove(struct nat_blocks *b, struct blk *x)
{
	struct blk **pp = blk_slot(b, &x->i.addr);

	if (*pp == x)
		*pp = x->hnext;
	list_unlink(&x->node);
	b->n--;
	free(x);
}

size_t
nat_blocks_expire(struct nat_blocks *b, uint64_t now)
{
	struct list *e, *next;
	size_t k = 0;

	for (e = b->order.next; e != &b->order; e = next) {
		struct blk *x = list_item(e, struct blk, node);

		next = e->next;
		if (x->i.expires_ms <= now) {
			blk_remove(b, x);
			k++;
		}
	}
	return k;
}

int
nat_blocks_add(struct nat_blocks *b, const struct addr *a, uint64_t now, uint64_t ms,
	       const char *reason)
{
	struct blk **pp = blk_slot(b, a), *x = *pp;

	if (x != NULL && x->i.expires_ms > now) {
		if (now + ms > x->i.expires_ms)
			x->i.expires_ms = now + ms;
		x->i.alerts++;
		util_strlcpy(x->i.reason, reason, sizeof(x->i.reason));
		return 0;
	}
	if (x != NULL)
		blk_remove(b, x);
	if (b->n >= b->max && nat_blocks_expire(b, now) == 0)
		return -ENOSPC;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->i.addr = *a;
	x->i.created_ms = now;
	x->i.expires_ms = now + ms;
	x->i.alerts = 1;
	util_strlcpy(x->i.reason, reason, sizeof(x->i.reason));
	pp = blk_slot(b, a);
	x->hnext = *pp;
	*pp = x;
	list_append(&b->order, &x->node);
	b->n++;
	return 1;
}

int
nat_blocks_del(struct nat_blocks *b, const struct addr *a, uint64_t now)
{
	struct blk *x = *blk_slot(b, a);
	bool active;

	if (x == NULL)
		return -ENOENT;
	active = x->i.expires_ms > now;
	blk_remove(b, x);
	return active ? 0 : -ENOENT;
}

void
nat_blocks_foreach(struct nat_blocks *b, uint64_t now, nat_block_cb cb, void *arg)
{
	nat_blocks_expire(b, now);
	for (struct list *e = b->order.next; e != &b->order; e = e->next)
		if (cb(arg, &list_item(e, struct blk, node)->i))
			return;
}

size_t
nat_blocks_count(struct nat_blocks *b, uint64_t now)
{
	nat_blocks_expire(b, now);
	return b->n;
}

bool
nat_blocks_find(struct nat_blocks *b, const struct addr *a, uint64_t now,
		struct nat_block_info *out)
{
	struct blk *x = *blk_slot(b, a);

	if (x == NULL || x->i.expires_ms <= now)
		return false;
	*out = x->i;
	return true;
}
