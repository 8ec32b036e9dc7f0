/* SPDX-License-Identifier: MIT */
/* common/list.h -- one intrusive doubly linked list for every module */
#ifndef RGW_COMMON_LIST_H
#define RGW_COMMON_LIST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A circular list with a head node (the style of the Linux kernel's and HAProxy's list.h):
 * an element embeds a struct list and is found back with list_item(); the head is a struct
 * list of its own, list_init()ed before use. Appending, inserting and unlinking are O(1) and
 * never allocate. An element that is in no list is recognised by its owner (a pointer to the
 * list it is in, or a flag): list_unlink() needs a linked element.
 */
struct list {
	struct list *next, *prev;
};

/* The element of type T whose member m is the list node p. */
#define list_item(p, T, m) ((T *)(void *)((char *)(p)-offsetof(T, m)))
/* The same from a const node: a const element. */
#define list_citem(p, T, m) ((const T *)(const void *)((const char *)(p)-offsetof(T, m)))
/* The first (oldest appended) element of head h, or NULL when h is empty. */
#define list_first_item(h, T, m) (list_empty(h) ? NULL : list_item((h)->next, T, m))

static inline void
list_init(struct list *h)
{
	h->next = h->prev = h;
}

static inline bool
list_empty(const struct list *h)
{
	return h->next == h;
}

/* Put e right after pos (pos may be the head: e becomes the first). */
static inline void
list_insert_after(struct list *pos, struct list *e)
{
	e->prev = pos;
	e->next = pos->next;
	pos->next->prev = e;
	pos->next = e;
}

/* Put e at the end of head h. */
static inline void
list_append(struct list *h, struct list *e)
{
	list_insert_after(h->prev, e);
}

/* Take e out of its list; e is then a list of its own (empty). */
static inline void
list_unlink(struct list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	list_init(e);
}

#endif
