/* SPDX-License-Identifier: MIT */
/* nat/pool_int.h -- the pool's internals, shared by nat/pool.c, pool_index.c and pool_apply.c */
#ifndef RGW_NAT_POOL_INT_H
#define RGW_NAT_POOL_INT_H

#include <arpa/inet.h>
#include <endian.h>
#include <string.h>
#include <sys/types.h>

#include "../common/htab.h"
#include "../common/list.h"
#include "pool.h"
#include "window.h"

/*
 * Layout:
 * - pool addresses: array sorted by key (struct pkey: IPv4 addresses first, as ::ffff:a.b.c.d,
 *   then IPv6), with a "free" bitmap so that the lowest free address of a family is found a
 *   word at a time; addrs[0 .. n_addrs4) are IPv4, the rest IPv6;
 * - pinholes (IPv6 hosts with a global address): bindings keyed on the host's own address,
 *   linked to no pool address; several may share a key (one flow each);
 * - hosts and services: arrays sorted by id (copied from the snapshot), binary search;
 * - bindings: a chained hash on the unique key (address, port, protocol), a doubly linked
 *   list per pool address (sharing checks), a min-heap on the deadline (expiry), a list in
 *   creation (= id) order for the API view, and a chained hash on (resolver entity, service)
 *   holding each pair's newest live binding (cache windows, nat/window.h).
 * Not for use outside nat/pool*.c.
 */

/* An address as a hash and sort key: IPv6 as two host-order halves, IPv4 as ::ffff:a.b.c.d
 * (numeric order of the pair = address order, IPv4 first). */
struct pkey {
	uint64_t hi, lo;
};

struct binding {
	struct nat_binding_info info;
	struct pkey ip;	 /* public address (a pinhole's: the host's own) */
	bool pinhole;	 /* IPv6 pinhole: no pool address */
	int64_t pair_id; /* service id for the family's pair and window slots (IPv6: negated) */
	size_t heap_idx;
	struct binding *hnext;	 /* key hash chain */
	struct binding **hpprev; /* the pointer to this binding in its chain (NULL: unlinked) */
	struct binding *anext;	 /* same pool address */
	struct binding *aprev;
	struct list inode; /* in the pool's ids */
	struct hnode pn;   /* in the pair hash, while in_pair */
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
	struct pkey ip;
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
	struct pkey ip;
	struct addr src;
};

#define NAT_POOL_HITS 16

struct paddr {
	struct pkey ip;
	uint32_t n; /* live bindings on this address */
	struct binding *head;
};

struct phost {
	int64_t id;
	struct addr ipv4;
	struct addr ipv6; /* ULA (fc00::/7): through the IPv6 pool; else a pinhole */
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
	size_t n_addrs4;     /* addrs[0 .. n_addrs4) are IPv4 */
	uint64_t *free_bits; /* bit i set: addrs[i] has no binding */
	uint32_t allocated;  /* both families */
	uint32_t allocated6;

	struct addr *svc_addrs;
	size_t n_svc_addrs;

	struct phost *hosts;
	size_t n_hosts;
	struct psvc *svcs;
	size_t n_svcs;

	struct binding **buckets;
	size_t n_buckets; /* power of two */
	size_t n_bindings;

	struct htab pairs;

	struct binding **heap;
	size_t heap_cap;

	struct list ids; /* every binding, in id (creation) order */
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

static inline struct pkey
nat_pool_key_of(const struct addr *a)
{
	struct pkey k;
	uint64_t x[2];

	if (a->family == AF_INET)
		return (struct pkey){ 0, 0xffff00000000ULL | ntohl(a->u.v4.s_addr) };
	memcpy(x, a->u.bytes, 16);
	k.hi = be64toh(x[0]);
	k.lo = be64toh(x[1]);
	return k;
}

/* The address of a key (an IPv4-mapped key is an IPv4 address). */
static inline void
nat_pool_addr_of(struct pkey k, struct addr *a)
{
	uint64_t x[2] = { htobe64(k.hi), htobe64(k.lo) };

	memset(a, 0, sizeof(*a));
	if (k.hi == 0 && k.lo >> 32 == 0xffff) {
		a->family = AF_INET;
		a->u.v4.s_addr = htonl((uint32_t)k.lo);
		return;
	}
	a->family = AF_INET6;
	memcpy(a->u.bytes, x, 16);
}

/* Is the host's IPv6 address a unique local one (fc00::/7): reached through the IPv6 pool? */
static inline bool
nat_pool_host_ula(const struct phost *h)
{
	return h->ipv6.family == AF_INET6 && (h->ipv6.u.bytes[0] & 0xfe) == 0xfc;
}

static inline bool
nat_pool_key_is4(struct pkey k)
{
	return k.hi == 0 && k.lo >> 32 == 0xffff;
}

static inline bool
pkey_eq(struct pkey a, struct pkey b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

static inline int
pkey_cmp(struct pkey a, struct pkey b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
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
nat_pool_key_hash(struct pkey ip, uint16_t port, uint8_t proto)
{
	uint64_t k = ((ip.lo ^ (ip.hi * 0x9e3779b97f4a7c15ULL)) << 24) ^ (ip.lo >> 40) ^
		     ((uint64_t)port << 8) ^ proto;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

static inline struct binding *
nat_pool_key_next(struct binding *b, struct pkey ip, uint16_t port, uint8_t proto)
{
	for (; b != NULL; b = b->hnext)
		if (pkey_eq(b->ip, ip) && b->info.port == port && b->info.protocol == proto)
			return b;
	return NULL;
}

/* The newest binding of the key; nat_pool_key_next(b->hnext, ...) the next one (pinholes
 * may share a key; a pool key has one binding at most). */
static inline struct binding *
nat_pool_key_find(const struct nat_pool *p, struct pkey ip, uint16_t port, uint8_t proto)
{
	return nat_pool_key_next(
		p->buckets[nat_pool_key_hash(ip, port, proto) & (p->n_buckets - 1)], ip, port,
		proto);
}

int nat_pool_key_insert(struct nat_pool *p, struct binding *b);
void nat_pool_key_remove(struct nat_pool *p, struct binding *b);

/* (entity, pair id) -> newest live binding (the pair id is the service id, negated for IPv6:
 * each family has its own). set replaces the pair's entry. */
struct binding *nat_pool_pair_find(const struct nat_pool *p, uint64_t key, int64_t service_id);
void nat_pool_pair_set(struct nat_pool *p, struct binding *b);
void nat_pool_pair_remove(struct nat_pool *p, struct binding *b);

/* Deadline heap. push after key_insert (n_bindings counts b); remove after key_remove; fix
 * after changing b->info.expires_ms. */
int nat_pool_heap_push(struct nat_pool *p, struct binding *b);
void nat_pool_heap_remove(struct nat_pool *p, struct binding *b);
void nat_pool_heap_fix(struct nat_pool *p, struct binding *b);

/* Sorted-array lookups: index of a pool address (-1), host and service by id (NULL). */
static inline ssize_t
nat_pool_addr_index(const struct nat_pool *p, struct pkey ip)
{
	size_t lo = 0, hi = p->n_addrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = pkey_cmp(p->addrs[mid].ip, ip);

		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
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

/* Address choice (rgw-original-behaviour.md §2.6) among addrs[from .. to) (one family): the
 * lowest allocated address that can take (proto, port), the lowest free one; -1 if none. */
ssize_t nat_pool_find_reuse(const struct nat_pool *p, size_t from, size_t to, uint8_t proto,
			    uint16_t port);
ssize_t nat_pool_find_free(const struct nat_pool *p, size_t from, size_t to);

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
