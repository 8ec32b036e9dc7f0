/* SPDX-License-Identifier: MIT */
/* common/srccnt.c -- connection counts per source address or prefix (keyed hash table) */
#include "common/srccnt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct srccnt_node {
	struct srccnt_node *next;
	struct addr key;
	long count;
};

struct srccnt {
	size_t mask; /* buckets - 1 */
	size_t n;
	uint8_t hkey[16];
	struct srccnt_node **b;
};

static struct srccnt_node **slot(struct srccnt *t, const struct addr *key);

struct srccnt *
srccnt_new(size_t buckets)
{
	struct srccnt *t = calloc(1, sizeof(*t));
	size_t n = 16;

	if (t == NULL)
		return NULL;
	while (n < buckets)
		n <<= 1;
	t->mask = n - 1;
	t->b = calloc(n, sizeof(*t->b));
	if (t->b == NULL) {
		free(t);
		return NULL;
	}
	if (util_random(t->hkey, sizeof(t->hkey)) < 0)
		memset(t->hkey, 0x3c, sizeof(t->hkey));
	return t;
}

void
srccnt_free(struct srccnt *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i <= t->mask; i++) {
		while (t->b[i] != NULL) {
			struct srccnt_node *n = t->b[i];

			t->b[i] = n->next;
			free(n);
		}
	}
	free(t->b);
	free(t);
}

static struct srccnt_node **
slot(struct srccnt *t, const struct addr *key)
{
	size_t len = key->family == AF_INET6 ? 16 : 4;
	uint64_t h = util_siphash24(t->hkey, key->u.bytes, len);
	struct srccnt_node **pp = &t->b[h & t->mask];

	while (*pp != NULL && !addr_eq(&(*pp)->key, key))
		pp = &(*pp)->next;
	return pp;
}

long
srccnt_get(struct srccnt *t, const struct addr *key)
{
	struct srccnt_node **pp = slot(t, key);

	return *pp != NULL ? (*pp)->count : 0;
}

long
srccnt_add(struct srccnt *t, const struct addr *key, long delta)
{
	struct srccnt_node **pp = slot(t, key), *n = *pp;
	long v;

	if (n == NULL) {
		if (delta <= 0)
			return 0;
		n = calloc(1, sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		n->key = *key;
		*pp = n;
		t->n++;
	}
	n->count += delta;
	v = n->count;
	if (v <= 0) {
		*pp = n->next;
		free(n);
		t->n--;
		v = 0;
	}
	return v;
}

size_t
srccnt_size(const struct srccnt *t)
{
	return t->n;
}
