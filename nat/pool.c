/* SPDX-License-Identifier: MIT */
/* nat/pool.c -- circular address pool and bindings (pure logic, no I/O) */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "pool.h"

/*
 * Layout:
 * - pool addresses: array sorted by numeric IPv4 value, with a "free" bitmap so that the
 *   lowest free address is found a word at a time;
 * - hosts and services: arrays sorted by id (copied from the snapshot), binary search;
 * - bindings: a chained hash on the unique key (address, port, protocol), a doubly linked
 *   list per pool address (sharing checks), a min-heap on the deadline (expiry), and a list
 *   in creation (= id) order for the API view.
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
	bool dead;
};

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

	struct binding **heap;
	size_t heap_cap;

	struct binding *ifirst, *ilast;
	uint64_t next_id;

	nat_admit_cb admit;
	nat_binding_cb on_end;
	void *arg;
	nat_deadline_cb on_deadline;
	void *deadline_arg;

	struct nat_pool_stats st;
};

static uint32_t key_hash(uint32_t ip, uint16_t port, uint8_t proto);
static struct binding *key_find(const struct nat_pool *p, uint32_t ip, uint16_t port,
				uint8_t proto);
static int key_insert(struct nat_pool *p, struct binding *b);
static void key_remove(struct nat_pool *p, struct binding *b);
static void heap_up(struct nat_pool *p, size_t i);
static void heap_down(struct nat_pool *p, size_t i);
static int heap_push(struct nat_pool *p, struct binding *b);
static void heap_remove(struct nat_pool *p, struct binding *b);
static void binding_end(struct nat_pool *p, struct binding *b, enum nat_binding_end how);
static ssize_t addr_index(const struct nat_pool *p, uint32_t ip);
static struct phost *host_find(const struct nat_pool *p, int64_t id);
static const struct psvc *svc_find(const struct nat_pool *p, int64_t id);
static bool can_share(const struct paddr *a, uint8_t proto, uint16_t port);
static ssize_t find_reuse(const struct nat_pool *p, uint8_t proto, uint16_t port);
static ssize_t find_free(const struct nat_pool *p);
static bool release_match(const struct binding *b, const struct addr *resolver,
			  const struct prefix *requestor, int64_t service_id, uint64_t now_ms);

static inline uint32_t
ip_of(const struct addr *a)
{
	return ntohl(a->u.v4.s_addr);
}

static inline void
set_free(struct nat_pool *p, size_t i, bool f)
{
	if (f)
		p->free_bits[i / 64] |= (uint64_t)1 << (i % 64);
	else
		p->free_bits[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static bool
prefix_has(const struct prefix *pf, const struct addr *a)
{
	unsigned full, rem, max;
	const uint8_t *x = pf->addr.u.bytes, *y = a->u.bytes;

	if (pf->addr.family != a->family)
		return false;
	max = a->family == AF_INET ? 32 : 128;
	if (pf->len > max)
		return false;
	full = pf->len / 8;
	rem = pf->len % 8;
	if (memcmp(x, y, full) != 0)
		return false;
	if (rem) {
		uint8_t m = (uint8_t)(0xff << (8 - rem));
		if ((x[full] & m) != (y[full] & m))
			return false;
	}
	return true;
}

const char *
nat_refusal_name(enum nat_refusal r)
{
	switch (r) {
	case NAT_REFUSE_NONE:
		return "none";
	case NAT_REFUSE_NO_HOST:
		return "no-host";
	case NAT_REFUSE_HOST_LIMIT:
		return "host-limit";
	case NAT_REFUSE_ADMISSION:
		return "admission";
	case NAT_REFUSE_EXHAUSTED:
		return "exhausted";
	}
	return "unknown";
}

const char *
nat_binding_end_name(enum nat_binding_end e)
{
	switch (e) {
	case NAT_BINDING_USED:
		return "used";
	case NAT_BINDING_EXPIRED:
		return "expired";
	case NAT_BINDING_REMOVED:
		return "removed";
	case NAT_BINDING_RELEASED:
		return "released";
	}
	return "unknown";
}

struct nat_pool *
nat_pool_new(void)
{
	struct nat_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->n_buckets = 256;
	p->buckets = calloc(p->n_buckets, sizeof(*p->buckets));
	if (p->buckets == NULL) {
		free(p);
		return NULL;
	}
	p->next_id = 1;
	return p;
}

void
nat_pool_free(struct nat_pool *p)
{
	struct binding *b, *n;

	if (p == NULL)
		return;
	for (b = p->ifirst; b != NULL; b = n) {
		n = b->inext;
		free(b);
	}
	free(p->addrs);
	free(p->free_bits);
	free(p->svc_addrs);
	free(p->hosts);
	free(p->svcs);
	free(p->buckets);
	free(p->heap);
	free(p);
}

void
nat_pool_set_hooks(struct nat_pool *p, nat_admit_cb admit, nat_binding_cb binding, void *arg)
{
	p->admit = admit;
	p->on_end = binding;
	p->arg = arg;
}

void
nat_pool_set_deadline_hook(struct nat_pool *p, nat_deadline_cb cb, void *arg)
{
	p->on_deadline = cb;
	p->deadline_arg = arg;
}

/* ---- key hash ---- */

static uint32_t
key_hash(uint32_t ip, uint16_t port, uint8_t proto)
{
	uint64_t k = ((uint64_t)ip << 32) | ((uint64_t)port << 8) | proto;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

static struct binding *
key_find(const struct nat_pool *p, uint32_t ip, uint16_t port, uint8_t proto)
{
	struct binding *b = p->buckets[key_hash(ip, port, proto) & (p->n_buckets - 1)];

	for (; b != NULL; b = b->hnext)
		if (b->ip == ip && b->info.port == port && b->info.protocol == proto)
			return b;
	return NULL;
}

static int
key_insert(struct nat_pool *p, struct binding *b)
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
					key_hash(x->ip, x->info.port, x->info.protocol) & (nb - 1);

				nx = x->hnext;
				x->hnext = nt[h];
				nt[h] = x;
			}
		}
		free(p->buckets);
		p->buckets = nt;
		p->n_buckets = nb;
	}
	i = key_hash(b->ip, b->info.port, b->info.protocol) & (p->n_buckets - 1);
	b->hnext = p->buckets[i];
	p->buckets[i] = b;
	p->n_bindings++;
	return 0;
}

static void
key_remove(struct nat_pool *p, struct binding *b)
{
	struct binding **pp =
		&p->buckets[key_hash(b->ip, b->info.port, b->info.protocol) & (p->n_buckets - 1)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == b) {
			*pp = b->hnext;
			p->n_bindings--;
			return;
		}
	}
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
static int
heap_push(struct nat_pool *p, struct binding *b)
{
	size_t i = p->n_bindings - 1;

	if (p->n_bindings > p->heap_cap) {
		size_t nc = p->heap_cap ? p->heap_cap * 2 : 256;
		struct binding **nh = realloc(p->heap, nc * sizeof(*nh));

		if (nh == NULL)
			return -ENOMEM;
		p->heap = nh;
		p->heap_cap = nc;
	}
	p->heap[i] = b;
	b->heap_idx = i;
	heap_up(p, i);
	return 0;
}

/* Called after key_remove: n_bindings no longer counts b; the last slot is heap[n]. */
static void
heap_remove(struct nat_pool *p, struct binding *b)
{
	size_t i = b->heap_idx, last = p->n_bindings;

	if (i != last) {
		p->heap[i] = p->heap[last];
		p->heap[i]->heap_idx = i;
		heap_down(p, i);
		heap_up(p, i);
	}
}

/* ---- lookups ---- */

static ssize_t
addr_index(const struct nat_pool *p, uint32_t ip)
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

static struct phost *
host_find(const struct nat_pool *p, int64_t id)
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

static const struct psvc *
svc_find(const struct nat_pool *p, int64_t id)
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

bool
nat_pool_pending(const struct nat_pool *p, const struct addr *dst, int64_t service_id,
		 uint64_t now_ms)
{
	const struct psvc *s = svc_find(p, service_id);
	const struct binding *b;

	if (s == NULL || dst->family != AF_INET)
		return false;
	b = key_find(p, ip_of(dst), s->port, s->proto);
	return b != NULL && b->info.service_id == service_id && b->info.expires_ms > now_ms;
}

bool
nat_pool_is_pool_addr(const struct nat_pool *p, const struct addr *dst)
{
	return dst->family == AF_INET && addr_index(p, ip_of(dst)) >= 0;
}

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

/* Lowest allocated address that can take S, or -1. */
static ssize_t
find_reuse(const struct nat_pool *p, uint8_t proto, uint16_t port)
{
	size_t w, nw = (p->n_addrs + 63) / 64;

	if (port == 0 && proto == 0)
		return -1;
	for (w = 0; w < nw; w++) {
		uint64_t used = ~p->free_bits[w];

		if (w == nw - 1 && p->n_addrs % 64)
			used &= ((uint64_t)1 << (p->n_addrs % 64)) - 1;
		while (used) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(used);

			used &= used - 1;
			if (can_share(&p->addrs[i], proto, port))
				return (ssize_t)i;
		}
	}
	return -1;
}

static ssize_t
find_free(const struct nat_pool *p)
{
	size_t w, nw = (p->n_addrs + 63) / 64;

	for (w = 0; w < nw; w++)
		if (p->free_bits[w])
			return (ssize_t)(w * 64 + (size_t)__builtin_ctzll(p->free_bits[w]));
	return -1;
}

/* ---- life cycle ---- */

static void
addr_unlink(struct nat_pool *p, struct binding *b)
{
	ssize_t i = addr_index(p, b->ip);
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
		set_free(p, (size_t)i, true);
		p->allocated--;
	}
}

static void
id_unlink(struct nat_pool *p, struct binding *b)
{
	if (b->iprev)
		b->iprev->inext = b->inext;
	else
		p->ifirst = b->inext;
	if (b->inext)
		b->inext->iprev = b->iprev;
	else
		p->ilast = b->iprev;
	b->inext = b->iprev = NULL;
}

static void
binding_end(struct nat_pool *p, struct binding *b, enum nat_binding_end how)
{
	struct phost *h = host_find(p, b->info.host_id);

	key_remove(p, b);
	heap_remove(p, b);
	addr_unlink(p, b);
	id_unlink(p, b);
	if (h != NULL && h->pending > 0)
		h->pending--;
	switch (how) {
	case NAT_BINDING_USED:
		p->st.used++;
		break;
	case NAT_BINDING_EXPIRED:
		p->st.expired++;
		break;
	case NAT_BINDING_REMOVED:
		p->st.removed++;
		break;
	case NAT_BINDING_RELEASED:
		p->st.released++;
		break;
	}
	if (p->on_end)
		p->on_end(p->arg, &b->info, how);
	free(b);
}

int
nat_pool_request(struct nat_pool *p, const struct nat_request *req, uint64_t now_ms,
		 struct addr *out, enum nat_refusal *why)
{
	const struct psvc *s = svc_find(p, req->service_id);
	struct phost *h = host_find(p, req->host_id);
	enum nat_svc_class cls;
	struct binding *b;
	ssize_t reuse, idx;
	double load;
	uint32_t limit;

	*why = NAT_REFUSE_NONE;
	if (s == NULL || h == NULL || s->host_id != h->id) {
		*why = NAT_REFUSE_NO_HOST;
		goto refuse;
	}
	if (s->proxy_required) {
		if (nat_pool_service_addr(p, AF_INET, out) == 0)
			return 0;
		*why = NAT_REFUSE_EXHAUSTED;
		goto refuse;
	}
	if (h->ipv4.family != AF_INET) {
		*why = NAT_REFUSE_NO_HOST;
		goto refuse;
	}
	/* Bindings past their deadline must not hold addresses or host slots. */
	nat_pool_expire(p, now_ms);
	limit = h->limit ? h->limit : POL_POOL_LIMIT_DEFAULT;
	if (h->pending >= limit) {
		*why = NAT_REFUSE_HOST_LIMIT;
		goto refuse;
	}
	reuse = find_reuse(p, s->proto, s->port);
	if (s->port == 0 && s->proto == 0)
		cls = NAT_CLASS_FQDN_NEW;
	else if (s->port != 0 && s->proto != 0 && reuse >= 0)
		cls = NAT_CLASS_SFQDN_REUSE;
	else
		cls = NAT_CLASS_SFQDN_NEW;
	load = p->n_addrs ? 100.0 * p->allocated / (double)p->n_addrs : 100.0;
	if (p->admit && !p->admit(p->arg, req, load, cls)) {
		*why = NAT_REFUSE_ADMISSION;
		goto refuse;
	}
	idx = reuse >= 0 ? reuse : find_free(p);
	if (idx < 0) {
		*why = NAT_REFUSE_EXHAUSTED;
		goto refuse;
	}

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->ip = p->addrs[idx].ip;
	b->info.id = p->next_id++;
	b->info.public_addr.family = AF_INET;
	b->info.public_addr.u.v4.s_addr = htonl(b->ip);
	b->info.protocol = s->proto;
	b->info.port = s->port;
	b->info.host_id = h->id;
	b->info.service_id = s->id;
	b->info.private_addr = h->ipv4;
	b->info.resolver = req->resolver;
	b->info.has_requestor = req->has_requestor;
	b->info.requestor = req->requestor;
	b->info.sla = req->sla && req->has_requestor;
	b->info.created_ms = now_ms;
	b->info.expires_ms = now_ms + (s->timeout_ms ? s->timeout_ms : POL_BINDING_TIMEOUT_MS);
	b->info.user = req->user;
	if (key_insert(p, b) < 0) {
		free(b);
		return -ENOMEM;
	}
	if (heap_push(p, b) < 0) {
		key_remove(p, b);
		free(b);
		return -ENOMEM;
	}
	if (p->addrs[idx].n++ == 0) {
		set_free(p, (size_t)idx, false);
		p->allocated++;
	}
	b->anext = p->addrs[idx].head;
	if (b->anext)
		b->anext->aprev = b;
	p->addrs[idx].head = b;
	b->iprev = p->ilast;
	if (p->ilast)
		p->ilast->inext = b;
	else
		p->ifirst = b;
	p->ilast = b;
	h->pending++;
	p->st.created++;
	*out = b->info.public_addr;
	if (b->heap_idx == 0 && p->on_deadline)
		p->on_deadline(p->deadline_arg, b->info.expires_ms);
	return 0;

refuse:
	p->st.refused[*why]++;
	return -EAGAIN;
}

enum nat_lookup
nat_pool_lookup(struct nat_pool *p, const struct addr *src, const struct addr *dst, uint8_t proto,
		uint16_t dport, uint64_t now_ms, struct nat_pool_hit *hit)
{
	static const uint8_t wild[4][2] = { { 1, 1 }, { 1, 0 }, { 0, 1 }, { 0, 0 } };
	uint32_t ip;
	size_t i;

	if (dst->family != AF_INET)
		goto miss;
	ip = ip_of(dst);
	for (i = 0; i < ARRAY_SIZE(wild); i++) {
		uint16_t port = wild[i][0] ? dport : 0;
		uint8_t pr = wild[i][1] ? proto : 0;
		struct binding *b;

		if ((wild[i][0] && dport == 0) || (wild[i][1] && proto == 0))
			continue;
		b = key_find(p, ip, port, pr);
		if (b == NULL)
			continue;
		if (b->info.expires_ms <= now_ms) {
			binding_end(p, b, NAT_BINDING_EXPIRED);
			continue;
		}
		if (b->info.sla && !prefix_has(&b->info.requestor, src)) {
			p->st.lookup_sla++;
			return NAT_LOOKUP_SLA;
		}
		hit->host_id = b->info.host_id;
		hit->service_id = b->info.service_id;
		hit->private_addr = b->info.private_addr;
		binding_end(p, b, NAT_BINDING_USED);
		return NAT_LOOKUP_OK;
	}
miss:
	p->st.lookup_miss++;
	return NAT_LOOKUP_NO_BINDING;
}

static bool
prefix_eq(const struct prefix *a, const struct prefix *b)
{
	return a->len == b->len && addr_eq(&a->addr, &b->addr);
}

/* The release decision for one binding (nat_pool_release_unused). */
static bool
release_match(const struct binding *b, const struct addr *resolver, const struct prefix *requestor,
	      int64_t service_id, uint64_t now_ms)
{
	if (b->info.service_id != service_id || b->info.expires_ms <= now_ms)
		return false;
	if (!addr_eq(&b->info.resolver, resolver))
		return false;
	if (requestor != NULL && b->info.has_requestor && !prefix_eq(requestor, &b->info.requestor))
		return false;
	return true;
}

int
nat_pool_release_unused(struct nat_pool *p, const struct addr *resolver,
			const struct prefix *requestor, int64_t service_id, uint64_t now_ms,
			struct nat_binding_info *released)
{
	const struct psvc *s = svc_find(p, service_id);
	uint64_t life;
	struct binding *b;

	if (s == NULL || s->proxy_required || resolver->family == 0)
		return 0;
	life = s->timeout_ms ? s->timeout_ms : POL_BINDING_TIMEOUT_MS;
	/* Newest first; bindings of this service older than its life have expired, so the
	 * walk stops there (it covers only what was created within one binding life). */
	for (b = p->ilast; b != NULL; b = b->iprev) {
		if (b->info.created_ms + life <= now_ms)
			break;
		if (release_match(b, resolver, requestor, service_id, now_ms)) {
			if (released != NULL)
				*released = b->info;
			binding_end(p, b, NAT_BINDING_RELEASED);
			return 1;
		}
	}
	return 0;
}

uint64_t
nat_pool_next_deadline(const struct nat_pool *p)
{
	return p->n_bindings ? p->heap[0]->info.expires_ms : UINT64_MAX;
}

uint64_t
nat_pool_expire(struct nat_pool *p, uint64_t now_ms)
{
	while (p->n_bindings && p->heap[0]->info.expires_ms <= now_ms)
		binding_end(p, p->heap[0], NAT_BINDING_EXPIRED);
	return nat_pool_next_deadline(p);
}

int
nat_pool_foreach(const struct nat_pool *p, nat_binding_iter_cb cb, void *arg)
{
	const struct binding *b;
	int rc;

	for (b = p->ifirst; b != NULL; b = b->inext)
		if ((rc = cb(arg, &b->info)) != 0)
			return rc;
	return 0;
}

void
nat_pool_get_stats(const struct nat_pool *p, struct nat_pool_stats *out)
{
	*out = p->st;
	out->size = (uint32_t)p->n_addrs;
	out->allocated = p->allocated;
	out->bindings = (uint32_t)p->n_bindings;
}

int
nat_pool_service_addr(const struct nat_pool *p, int family, struct addr *out)
{
	size_t i;

	for (i = 0; i < p->n_svc_addrs; i++) {
		if (p->svc_addrs[i].family == family) {
			*out = p->svc_addrs[i];
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- policy apply ---- */

static int
cmp_paddr(const void *a, const void *b)
{
	uint32_t x = ((const struct paddr *)a)->ip, y = ((const struct paddr *)b)->ip;

	return x < y ? -1 : x > y;
}

static int
cmp_host(const void *a, const void *b)
{
	int64_t x = ((const struct phost *)a)->id, y = ((const struct phost *)b)->id;

	return x < y ? -1 : x > y;
}

static int
cmp_svc(const void *a, const void *b)
{
	int64_t x = ((const struct psvc *)a)->id, y = ((const struct psvc *)b)->id;

	return x < y ? -1 : x > y;
}

int
nat_pool_apply(struct nat_pool *p, const struct pol_snap *snap, uint64_t now_ms)
{
	struct paddr *addrs = NULL;
	uint64_t *bits = NULL;
	struct addr *sa = NULL;
	struct phost *hosts = NULL;
	struct psvc *svcs = NULL;
	struct binding *b, *next, *dead = NULL;
	size_t i, n = 0, nw;
	struct nat_pool old;

	/* Bindings past their deadline end as EXPIRED, not as REMOVED. */
	nat_pool_expire(p, now_ms);
	addrs = calloc(snap->n_pool_addrs + 1, sizeof(*addrs));
	nw = (snap->n_pool_addrs + 63) / 64 + 1;
	bits = calloc(nw, sizeof(*bits));
	sa = calloc(snap->n_service_addrs + 1, sizeof(*sa));
	hosts = calloc(snap->n_hosts + 1, sizeof(*hosts));
	svcs = calloc(snap->n_services + 1, sizeof(*svcs));
	if (!addrs || !bits || !sa || !hosts || !svcs)
		goto nomem;

	for (i = 0; i < snap->n_pool_addrs; i++) {
		if (snap->pool_addrs[i].addr.family != AF_INET)
			continue;
		addrs[n++].ip = ip_of(&snap->pool_addrs[i].addr);
	}
	util_sort(addrs, n, sizeof(*addrs), cmp_paddr);
	/* Drop duplicates so that the free bitmap and the binary search agree. */
	if (n > 1) {
		size_t j = 1;

		for (i = 1; i < n; i++)
			if (addrs[i].ip != addrs[j - 1].ip)
				addrs[j++] = addrs[i];
		n = j;
	}
	for (i = 0; i < snap->n_service_addrs; i++)
		sa[i] = snap->service_addrs[i].addr;
	for (i = 0; i < snap->n_hosts; i++) {
		hosts[i].id = snap->hosts[i].id;
		hosts[i].ipv4 = snap->hosts[i].ipv4;
		hosts[i].limit = snap->hosts[i].pool_limit;
	}
	util_sort(hosts, snap->n_hosts, sizeof(*hosts), cmp_host);
	for (i = 0; i < snap->n_services; i++) {
		const struct pol_service *s = &snap->services[i];

		svcs[i].id = s->id;
		svcs[i].host_id = s->host_id;
		svcs[i].proto = s->protocol;
		svcs[i].port = s->port;
		svcs[i].proxy_required = s->proxy_required;
		svcs[i].timeout_ms = s->binding_timeout_ms;
	}
	util_sort(svcs, snap->n_services, sizeof(*svcs), cmp_svc);

	/* Swap in the new tables; keep the old ones to decide which bindings survive. */
	old = *p;
	p->addrs = addrs;
	p->n_addrs = n;
	p->free_bits = bits;
	p->svc_addrs = sa;
	p->n_svc_addrs = snap->n_service_addrs;
	p->hosts = hosts;
	p->n_hosts = snap->n_hosts;
	p->svcs = svcs;
	p->n_svcs = snap->n_services;
	p->allocated = 0;
	for (i = 0; i < n; i++)
		set_free(p, i, true);

	for (b = p->ifirst; b != NULL; b = next) {
		const struct psvc *s = svc_find(p, b->info.service_id);
		struct phost *h = host_find(p, b->info.host_id);
		ssize_t ai = addr_index(p, b->ip);
		bool keep = s && h && ai >= 0 && s->host_id == h->id && !s->proxy_required &&
			    s->proto == b->info.protocol && s->port == b->info.port &&
			    h->ipv4.family == AF_INET &&
			    h->ipv4.u.v4.s_addr == b->info.private_addr.u.v4.s_addr;

		next = b->inext;
		b->anext = b->aprev = NULL;
		if (!keep) {
			key_remove(p, b);
			heap_remove(p, b);
			id_unlink(p, b);
			b->inext = dead;
			dead = b;
			continue;
		}
		b->anext = p->addrs[ai].head;
		if (b->anext)
			b->anext->aprev = b;
		p->addrs[ai].head = b;
		if (p->addrs[ai].n++ == 0) {
			set_free(p, (size_t)ai, false);
			p->allocated++;
		}
		h->pending++;
	}
	free(old.addrs);
	free(old.free_bits);
	free(old.svc_addrs);
	free(old.hosts);
	free(old.svcs);

	for (b = dead; b != NULL; b = next) {
		next = b->inext;
		p->st.removed++;
		if (p->on_end)
			p->on_end(p->arg, &b->info, NAT_BINDING_REMOVED);
		free(b);
	}
	return 0;

nomem:
	free(addrs);
	free(bits);
	free(sa);
	free(hosts);
	free(svcs);
	return -ENOMEM;
}
