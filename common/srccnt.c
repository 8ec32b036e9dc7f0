/* SPDX-License-Identifier: MIT */
/* common/srccnt.c -- connection counts per source address or prefix (keyed hash table) */
#include "common/srccnt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/htab.h"
#include "common/util.h"

struct srccnt_node {
	struct hnode hn;
	struct addr key;
	long count;
};

struct srccnt {
	struct htab t;
	uint8_t hkey[16];
};

static struct srccnt_node *find(struct srccnt *t, const struct addr *key, uint64_t *hash);
static bool node_free(struct hnode *hn, void *arg);

struct srccnt *
srccnt_new(size_t buckets)
{
	struct srccnt *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (htab_init(&t->t, buckets) < 0) {
		free(t);
		return NULL;
	}
	if (util_random(t->hkey, sizeof(t->hkey)) < 0)
		memset(t->hkey, 0x3c, sizeof(t->hkey));
	return t;
}

static bool
node_free(struct hnode *hn, void *arg)
{
	(void)arg;
	free(htab_item(hn, struct srccnt_node, hn));
	return true;
}

void
srccnt_free(struct srccnt *t)
{
	if (t == NULL)
		return;
	htab_sweep(&t->t, node_free, NULL);
	htab_fini(&t->t);
	free(t);
}

/* The node of key, or NULL; *hash is key's hash either way. */
static struct srccnt_node *
find(struct srccnt *t, const struct addr *key, uint64_t *hash)
{
	size_t len = key->family == AF_INET6 ? 16 : 4;
	uint64_t h = util_siphash24(t->hkey, key->u.bytes, len);
	struct hnode *hn;

	*hash = h;
	htab_for_each(&t->t, h, hn) {
		struct srccnt_node *n = htab_item(hn, struct srccnt_node, hn);

		if (hn->hash == h && addr_eq(&n->key, key))
			return n;
	}
	return NULL;
}

long
srccnt_get(struct srccnt *t, const struct addr *key)
{
	uint64_t h;
	struct srccnt_node *n = find(t, key, &h);

	return n != NULL ? n->count : 0;
}

long
srccnt_add(struct srccnt *t, const struct addr *key, long delta)
{
	uint64_t h;
	struct srccnt_node *n = find(t, key, &h);
	long v;

	if (n == NULL) {
		if (delta <= 0)
			return 0;
		n = calloc(1, sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		n->key = *key;
		htab_add(&t->t, &n->hn, h);
	}
	n->count += delta;
	v = n->count;
	if (v <= 0) {
		htab_del(&t->t, &n->hn);
		free(n);
		v = 0;
	}
	return v;
}

size_t
srccnt_size(const struct srccnt *t)
{
	return t->t.n;
}
