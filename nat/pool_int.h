/* SPDX-License-Identifier: MIT */
/* nat/pool_int.h -- the pool's internals, shared by nat/pool.c, pool_index.c and pool_apply.c */
#ifndef RGW_NAT_POOL_INT_H
#define RGW_NAT_POOL_INT_H

#include <arpa/inet.h>
#include <sys/types.h>

#include "pool.h"
#include "window.h"

/*
 * Layout:
 * - pool addresses: array sorted by numeric IPv4 value, with a "free" bitmap so that the
 *   lowest free address is found a word at a time;
 * - hosts and services: arrays sorted by id (copied from the snapshot), binary search;
 * - bindings: a chained hash on the unique key (address, port, protocol), a doubly linked
 *   list per pool address (sharing checks), a min-heap on the deadline (expiry), a list in
 *   creation (= id) order for the API view, and a chained hash on (resolver entity, service)
 *   holding each pair's newest live binding (cache windows, nat/window.h).
 * Not for use outside nat/pool*.c.
 */

struct binding {
	struct nat_binding_info info;
	uint32_t ip; /* public address, host order */
	size_t heap_idx;
	struct binding *hnext; /* key hash chain */
	struct binding *anext; /* same pool address */
	struct binding *aprev;
	struct binding *inext; /* id order */
	struct binding *iprev;
	struct binding *pnext; /* pair hash chain, while in_pair */
	bool in_pair;
	uint64_t win_key;      /* resolver entity (nat_window_key) */
	struct addr first_src; /* source of the first admitted flow */
	bool many_sources;     /* a flow came from another source after the first one's burst */
	uint32_t burst_ms;     /* no window: further flows this long after the first */
	uint64_t first_flow_ms;
};

/* A one-flow binding that its first flow ended, remembered for its connect grace: a later flow
 * from another source to its address is a cache's client (window evidence, nat/window.h). */
struct ghost {
	uint32_t ip;
	uint16_t port;
	uint8_t proto;
	uint64_t key;
	uint64_t answered_ms;
	uint64_t first_flow_ms;
	uint64_t until_ms;
	struct addr src;
};

#define NAT_POOL_GHOSTS 64

/* A refused flow that hit a ghost: evidence once its source has been refused nowhere else for
 * NAT_POOL_HIT_CONFIRM_MS (a scanner is refused on many addresses; a cache's client only
 * tries the address it was given). */
struct ghost_hit {
	uint64_t key; /* 0: free slot */
	uint64_t answered_ms;
	uint64_t at_ms;
	uint32_t ip;
	struct addr src;
};

#define NAT_POOL_HITS 16

struct paddr {
	uint32_t ip; /* host order */
	uint32_t n;  /* live bindings on this address */
	struct binding *head;
};

struct phost {
	int64_t id;
	struct addr ipv4;
	uint32_t limit;
	uint32_t pending;
	uint8_t n_nested;	    /* a nested gateway: its address blocks */
	uint32_t nested_timeout_ms; /* and the connect grace of our bindings to it (0: default) */
	struct prefix nested[POL_NESTED_MAX];
};

struct psvc {
	int64_t id;
	int64_t host_id;
	uint8_t proto;
	uint16_t port;
	bool proxy_required;
	uint32_t timeout_ms;
};

struct nat_pool {
	struct paddr *addrs;
	size_t n_addrs;
	uint64_t *free_bits; /* bit i set: addrs[i] has no binding */
	uint32_t allocated;

	struct addr *svc_addrs;
	size_t n_svc_addrs;

	struct phost *hosts;
	size_t n_hosts;
	struct psvc *svcs;
	size_t n_svcs;

	struct binding **buckets;
	size_t n_buckets; /* power of two */
	size_t n_bindings;

	struct binding **pairs;
	size_t n_pair_buckets; /* power of two */
	size_t n_pairs;

	struct binding **heap;
	size_t heap_cap;

	struct binding *ifirst, *ilast;
	uint64_t next_id;

	struct nat_window *win;
	struct ghost ghosts[NAT_POOL_GHOSTS];
	unsigned next_ghost;
	struct ghost_hit hits[NAT_POOL_HITS];
	unsigned next_hit;
	unsigned n_hits; /* candidates pending */

	nat_admit_cb admit;
	nat_binding_cb on_end;
	void *arg;
	nat_deadline_cb on_deadline;
	void *deadline_arg;

	struct nat_pool_stats st;
};

static inline uint32_t
nat_pool_ip_of(const struct addr *a)
{
	return ntohl(a->u.v4.s_addr);
}

static inline void
nat_pool_set_free(struct nat_pool *p, size_t i, bool f)
{
	if (f)
		p->free_bits[i / 64] |= (uint64_t)1 << (i % 64);
	else
		p->free_bits[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* Unique key hash (address, port, protocol); on the packet path, hence inline. insert: 0 or
 * -ENOMEM (grows the table). */
static inline uint32_t
nat_pool_key_hash(uint32_t ip, uint16_t port, uint8_t proto)
{
	uint64_t k = ((uint64_t)ip << 32) | ((uint64_t)port << 8) | proto;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

static inline struct binding *
nat_pool_key_find(const struct nat_pool *p, uint32_t ip, uint16_t port, uint8_t proto)
{
	struct binding *b = p->buckets[nat_pool_key_hash(ip, port, proto) & (p->n_buckets - 1)];

	for (; b != NULL; b = b->hnext)
		if (b->ip == ip && b->info.port == port && b->info.protocol == proto)
			return b;
	return NULL;
}

int nat_pool_key_insert(struct nat_pool *p, struct binding *b);
void nat_pool_key_remove(struct nat_pool *p, struct binding *b);

/* (entity, service) -> newest live binding. set replaces the pair's entry (0 or -ENOMEM). */
struct binding *nat_pool_pair_find(const struct nat_pool *p, uint64_t key, int64_t service_id);
int nat_pool_pair_set(struct nat_pool *p, struct binding *b);
void nat_pool_pair_remove(struct nat_pool *p, struct binding *b);

/* Deadline heap. push after key_insert (n_bindings counts b); remove after key_remove; fix
 * after changing b->info.expires_ms. */
int nat_pool_heap_push(struct nat_pool *p, struct binding *b);
void nat_pool_heap_remove(struct nat_pool *p, struct binding *b);
void nat_pool_heap_fix(struct nat_pool *p, struct binding *b);

/* Sorted-array lookups: index of a pool address (-1), host and service by id (NULL). */
static inline ssize_t
nat_pool_addr_index(const struct nat_pool *p, uint32_t ip)
{
	size_t lo = 0, hi = p->n_addrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->addrs[mid].ip == ip)
			return (ssize_t)mid;
		if (p->addrs[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static inline struct phost *
nat_pool_host_find(const struct nat_pool *p, int64_t id)
{
	size_t lo = 0, hi = p->n_hosts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->hosts[mid].id == id)
			return &p->hosts[mid];
		if (p->hosts[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static inline const struct psvc *
nat_pool_svc_find(const struct nat_pool *p, int64_t id)
{
	size_t lo = 0, hi = p->n_svcs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->svcs[mid].id == id)
			return &p->svcs[mid];
		if (p->svcs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Address choice (rgw-original-behaviour.md §2.6): the lowest allocated address that can take
 * (proto, port), the lowest free one; -1 if none. */
ssize_t nat_pool_find_reuse(const struct nat_pool *p, uint8_t proto, uint16_t port);
ssize_t nat_pool_find_free(const struct nat_pool *p);

/* A live binding by id (newest first: nested reservations are bound soon after), NULL. */
struct binding *nat_pool_by_id(const struct nat_pool *p, uint64_t id);
/* End a binding (events, statistics, window evidence); pool.c. */
void nat_pool_binding_end(struct nat_pool *p, struct binding *b, enum nat_binding_end how,
			  uint64_t now);
/* Move b's deadline and re-arm the timer if it became the earliest; pool.c. */
void nat_pool_set_deadline(struct nat_pool *p, struct binding *b, uint64_t deadline);
/* Is a one of h's nested addresses? */
bool nat_pool_nested_has(const struct phost *h, const struct addr *a);

/* The per-address and id-order lists. */
void nat_pool_addr_link(struct nat_pool *p, size_t idx, struct binding *b);
void nat_pool_addr_unlink(struct nat_pool *p, struct binding *b);
void nat_pool_id_unlink(struct nat_pool *p, struct binding *b);

#endif
