/* SPDX-License-Identifier: MIT */
/* common/htab.c -- one chained hash table for every module */
#include "common/htab.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define HTAB_MIN ((size_t)16)
#define HTAB_MAX ((size_t)1 << 22) /* at init: a growth may go further */

static void grow(struct htab *t);

int
htab_init(struct htab *t, size_t buckets)
{
	size_t nb = HTAB_MIN;

	while (nb < buckets && nb < HTAB_MAX)
		nb <<= 1;
	t->b = calloc(nb, sizeof(*t->b));
	if (t->b == NULL)
		return -ENOMEM;
	t->mask = nb - 1;
	t->n = 0;
	return 0;
}

void
htab_fini(struct htab *t)
{
	free(t->b);
	t->b = NULL;
	t->mask = 0;
	t->n = 0;
}

/* Double the buckets, each node moved by its stored hash; on ENOMEM keep the old ones. */
static void
grow(struct htab *t)
{
	size_t on = t->mask + 1, nb = on * 2;
	struct hnode **b;

	if (nb < on || nb > SIZE_MAX / sizeof(*b) || (b = calloc(nb, sizeof(*b))) == NULL)
		return;
	for (size_t i = 0; i < on; i++) {
		struct hnode *e = t->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = nb - 1;
}

void
htab_add(struct htab *t, struct hnode *e, uint64_t h)
{
	if (t->n > t->mask)
		grow(t);
	e->hash = h;
	e->next = t->b[h & t->mask];
	t->b[h & t->mask] = e;
	t->n++;
}

void
htab_del(struct htab *t, struct hnode *e)
{
	struct hnode **pp = &t->b[e->hash & t->mask];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->next;
	if (*pp == NULL)
		return;
	*pp = e->next;
	e->next = NULL;
	t->n--;
}

size_t
htab_sweep(struct htab *t, bool (*fn)(struct hnode *e, void *arg), void *arg)
{
	size_t gone = 0;

	for (size_t i = 0; i <= t->mask; i++) {
		struct hnode **pp = &t->b[i];

		while (*pp != NULL) {
			struct hnode *e = *pp, *next = e->next;

			if (fn(e, arg)) {
				*pp = next;
				gone++;
			} else {
				pp = &e->next;
			}
		}
	}
	t->n -= gone;
	return gone;
}
