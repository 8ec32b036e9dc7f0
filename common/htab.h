/* SPDX-License-Identifier: MIT */
/* common/htab.h -- one chained hash table for every module */
#ifndef RGW_COMMON_HTAB_H
#define RGW_COMMON_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An intrusive chained hash table (the kernel's hlist shape): an element embeds a struct
 * hnode and is found back with htab_item(); the table holds bucket heads only and never
 * allocates or frees an element. The caller computes the hash (keyed, e.g. SipHash, when
 * outsiders choose the keys) and compares keys itself while it walks a chain:
 *
 *	htab_for_each(&t, h, n)
 *		if (n->hash == h && key_eq(htab_item(n, struct x, hn), key))
 *			return ...;
 *
 * The bucket count is a power of two; a table doubles it when its elements outnumber its
 * buckets (if that allocation fails the chains get longer, nothing else). Unlinking walks
 * one chain. Not thread-safe: the owner serialises.
 */
struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct htab {
	struct hnode **b;
	size_t mask; /* buckets - 1 */
	size_t n;    /* elements */
};

/* The element of type T whose member m is the node p. */
#define htab_item(p, T, m) ((T *)(void *)((char *)(p)-offsetof(T, m)))
/* Walk the chain that holds hash h: n takes each node of it (others' hashes included). */
#define htab_for_each(t, h, n) for ((n) = (t)->b[(h) & (t)->mask]; (n) != NULL; (n) = (n)->next)

/* An empty table with buckets buckets, rounded up to a power of two (16 at least, 2^22 at
 * most). 0, or -ENOMEM. */
int htab_init(struct htab *t, size_t buckets);
/* Free the buckets (the elements are the caller's); t is then empty and needs htab_init. */
void htab_fini(struct htab *t);
/* Link e under hash h (a chain's head: the newest first). Never fails. */
void htab_add(struct htab *t, struct hnode *e, uint64_t h);
/* Unlink e, which is in t. */
void htab_del(struct htab *t, struct hnode *e);
/* Call fn(e, arg) on every element e; those for which it returns true are unlinked (fn may
 * free them: the walk has moved past). The number unlinked. */
size_t htab_sweep(struct htab *t, bool (*fn)(struct hnode *e, void *arg), void *arg);

#endif
