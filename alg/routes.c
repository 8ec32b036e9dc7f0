/* SPDX-License-Identifier: MIT */
/* alg/routes.c -- immutable (hostname, listen port) -> backend routing snapshot */
#include "routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

struct alg_routes {
	atomic_int refcnt;
	size_t n;
	struct alg_route *v;
	/* open addressing, linear probing: slots hold index+1 into v, 0 = empty */
	uint32_t *slots;
	size_t mask;
	/* nested gateways: every name below fqdn goes to its ALG (host = fqdn) */
	struct alg_route *below;
	size_t n_below;
	/* parent gateways: their connections start with a PROXY header */
	struct prefix *parents;
	size_t n_parents;
};

static uint32_t hash_key(const char *host, uint16_t port);
static const struct alg_route *find(const struct alg_routes *r, const char *host, uint16_t port);
static int add(struct alg_routes *r, const struct alg_route *rt, size_t cap);

/* FNV-1a: hostnames are short and chosen by the operator, not by clients. */
static uint32_t
hash_key(const char *host, uint16_t port)
{
	uint32_t h = 2166136261u;

	for (; *host != '\0'; host++)
		h = (h ^ (uint8_t)*host) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h;
}

static const struct alg_route *
find(const struct alg_routes *r, const char *host, uint16_t port)
{
	size_t i;

	if (r->n == 0)
		return NULL;
	for (i = hash_key(host, port) & r->mask; r->slots[i] != 0; i = (i + 1) & r->mask) {
		const struct alg_route *rt = &r->v[r->slots[i] - 1];

		if (rt->listen_port == port && strcmp(rt->host, host) == 0)
			return rt;
	}
	return NULL;
}

/* Insert unless the key exists (the first insert wins). */
static int
add(struct alg_routes *r, const struct alg_route *rt, size_t cap)
{
	size_t i;

	if (find(r, rt->host, rt->listen_port) != NULL)
		return 0;
	if (r->n >= cap)
		return -ENOMEM;
	r->v[r->n] = *rt;
	r->n++;
	for (i = hash_key(rt->host, rt->listen_port) & r->mask; r->slots[i] != 0;
	     i = (i + 1) & r->mask)
		;
	r->slots[i] = (uint32_t)r->n;
	return 0;
}

struct alg_routes *
alg_routes_build(const struct pol_snap *snap)
{
	struct alg_routes *r;
	size_t cap = snap->n_alg_routes + snap->n_services, nslots = 16, i;
	struct alg_route rt;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	util_ref_init(&r->refcnt);
	while (nslots < cap * 2)
		nslots *= 2;
	r->mask = nslots - 1;
	r->v = calloc(cap ? cap : 1, sizeof(*r->v));
	r->slots = calloc(nslots, sizeof(*r->slots));
	r->below = calloc(snap->n_hosts + 1, sizeof(*r->below));
	r->parents = calloc(snap->n_resolver_nodes + 1, sizeof(*r->parents));
	if (r->v == NULL || r->slots == NULL || r->below == NULL || r->parents == NULL)
		goto fail;
	for (i = 0; i < snap->n_hosts; i++) {
		const struct pol_host *h = &snap->hosts[i];
		struct alg_route *b = &r->below[r->n_below];

		if (h->nested_port == 0 || h->ipv4.family != AF_INET)
			continue;
		/* its web names come to us (the DNS answers our service address for them) and go
		 * on to its own ALG on its service address, same port, with the client's address
		 * in a PROXY v2 header: SNI routing twice, nothing decrypted */
		memcpy(b->host, h->fqdn, sizeof(b->host));
		b->backend = h->ipv4;
		b->preserve = POL_PRESERVE_PROXY_V2;
		r->n_below++;
	}
	for (i = 0; i < snap->n_resolver_nodes; i++) {
		const struct pol_resolver_group *g =
			pol_snap_resolver_group(snap, snap->resolver_nodes[i].group_id);

		if (g != NULL && g->parent)
			r->parents[r->n_parents++] = snap->resolver_nodes[i].prefix;
	}
	for (i = 0; i < snap->n_alg_routes; i++) {
		const struct pol_alg_route *p = &snap->alg_routes[i];

		memset(&rt, 0, sizeof(rt));
		memcpy(rt.host, p->hostname, sizeof(rt.host));
		rt.listen_port = p->listen_port;
		rt.backend = p->backend;
		rt.backend_port = p->backend_port;
		rt.preserve = p->preserve;
		if (add(r, &rt, cap) < 0)
			goto fail;
	}
	for (i = 0; i < snap->n_services; i++) {
		const struct pol_service *s = &snap->services[i];
		const struct pol_host *h;

		if (!s->proxy_required)
			continue;
		h = pol_snap_host(snap, s->host_id);
		if (h == NULL || (h->ipv4.family == 0 && h->ipv6.family == 0))
			continue;
		if (s->protocol != POL_PROTO_ANY && s->protocol != POL_PROTO_TCP)
			continue;
		memset(&rt, 0, sizeof(rt));
		memcpy(rt.host, s->fqdn, sizeof(rt.host));
		rt.listen_port = 0;
		rt.backend = h->ipv4.family != 0 ? h->ipv4 : h->ipv6;
		rt.backend_port = s->port; /* 0: same as the listener */
		rt.preserve = POL_PRESERVE_NONE;
		if (add(r, &rt, cap) < 0)
			goto fail;
	}
	return r;
fail:
	free(r->v);
	free(r->slots);
	free(r->below);
	free(r->parents);
	free(r);
	return NULL;
}

struct alg_routes *
alg_routes_ref(struct alg_routes *r)
{
	if (r != NULL)
		util_ref_get(&r->refcnt);
	return r;
}

void
alg_routes_unref(struct alg_routes *r)
{
	if (r == NULL || !util_ref_put(&r->refcnt))
		return;
	free(r->v);
	free(r->slots);
	free(r->below);
	free(r->parents);
	free(r);
}

size_t
alg_routes_count(const struct alg_routes *r)
{
	return r->n;
}

const struct alg_route *
alg_routes_lookup(const struct alg_routes *r, const char *host, uint16_t port)
{
	const struct alg_route *rt = find(r, host, port);

	if (rt == NULL && port != 0)
		rt = find(r, host, 0);
	/* below a nested gateway: the nearest one whose name ends this one at a label */
	for (const char *dot = strchr(host, '.'); rt == NULL && r->n_below > 0 && dot != NULL;
	     dot = strchr(dot + 1, '.'))
		for (size_t i = 0; i < r->n_below; i++)
			if (strcmp(dot + 1, r->below[i].host) == 0)
				return &r->below[i];
	return rt;
}

bool
alg_routes_parent(const struct alg_routes *r, const struct addr *a)
{
	for (size_t i = 0; i < r->n_parents; i++)
		if (r->parents[i].addr.family == a->family && prefix_contains(&r->parents[i], a))
			return true;
	return false;
}
