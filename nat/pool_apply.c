/* SPDX-License-Identifier: MIT */
/* nat/pool_apply.c -- the pool takes a new policy snapshot (pure logic, no I/O) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "pool_int.h"

static int cmp_paddr(const void *a, const void *b);
static int cmp_host(const void *a, const void *b);
static int cmp_svc(const void *a, const void *b);

static int
cmp_paddr(const void *a, const void *b)
{
	return pkey_cmp(((const struct paddr *)a)->ip, ((const struct paddr *)b)->ip);
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

/* The pool's tables for a new policy, built aside so that the swap cannot fail. */
struct nat_pool_plan {
	struct paddr *addrs;
	size_t n_addrs, n_addrs4;
	uint64_t *free_bits;
	struct addr *svc_addrs;
	size_t n_svc_addrs;
	struct phost *hosts;
	size_t n_hosts;
	struct psvc *svcs;
	size_t n_svcs;
	struct nat_window_plan *win;
};

void
nat_pool_plan_free(struct nat_pool_plan *pl)
{
	if (pl == NULL)
		return;
	free(pl->addrs);
	free(pl->free_bits);
	free(pl->svc_addrs);
	free(pl->hosts);
	free(pl->svcs);
	nat_window_plan_free(pl->win);
	free(pl);
}

int
nat_pool_prepare(const struct pol_snap *snap, struct nat_pool_plan **out)
{
	struct nat_pool_plan *pl = calloc(1, sizeof(*pl));
	size_t i, n = 0, nw;

	*out = NULL;
	if (pl == NULL)
		return -ENOMEM;
	pl->addrs = calloc(snap->n_pool_addrs + 1, sizeof(*pl->addrs));
	nw = (snap->n_pool_addrs + 63) / 64 + 1;
	pl->free_bits = calloc(nw, sizeof(*pl->free_bits));
	pl->svc_addrs = calloc(snap->n_service_addrs + 1, sizeof(*pl->svc_addrs));
	pl->hosts = calloc(snap->n_hosts + 1, sizeof(*pl->hosts));
	pl->svcs = calloc(snap->n_services + 1, sizeof(*pl->svcs));
	if (!pl->addrs || !pl->free_bits || !pl->svc_addrs || !pl->hosts || !pl->svcs ||
	    nat_window_prepare(snap, &pl->win) < 0) {
		nat_pool_plan_free(pl);
		return -ENOMEM;
	}

	for (i = 0; i < snap->n_pool_addrs; i++) {
		const struct addr *a = &snap->pool_addrs[i].addr;
		struct pkey k;

		if (a->family != AF_INET && a->family != AF_INET6)
			continue;
		k = nat_pool_key_of(a);
		/* an IPv4-mapped IPv6 address would alias an IPv4 key (the validator refuses it) */
		if (a->family == AF_INET6 && nat_pool_key_is4(k))
			continue;
		pl->addrs[n++].ip = k;
	}
	util_sort(pl->addrs, n, sizeof(*pl->addrs), cmp_paddr);
	/* Drop duplicates so that the free bitmap and the binary search agree. */
	if (n > 1) {
		size_t j = 1;

		for (i = 1; i < n; i++)
			if (!pkey_eq(pl->addrs[i].ip, pl->addrs[j - 1].ip))
				pl->addrs[j++] = pl->addrs[i];
		n = j;
	}
	pl->n_addrs = n;
	while (pl->n_addrs4 < n && nat_pool_key_is4(pl->addrs[pl->n_addrs4].ip))
		pl->n_addrs4++;
	for (i = 0; i < snap->n_service_addrs; i++)
		pl->svc_addrs[i] = snap->service_addrs[i].addr;
	pl->n_svc_addrs = snap->n_service_addrs;
	for (i = 0; i < snap->n_hosts; i++) {
		pl->hosts[i].id = snap->hosts[i].id;
		pl->hosts[i].ipv4 = snap->hosts[i].ipv4;
		pl->hosts[i].ipv6 = snap->hosts[i].ipv6;
		pl->hosts[i].limit = snap->hosts[i].pool_limit;
		if (snap->hosts[i].nested_port != 0) {
			pl->hosts[i].n_nested = snap->hosts[i].n_nested;
			pl->hosts[i].nested_timeout_ms = snap->hosts[i].nested_timeout_ms;
			memcpy(pl->hosts[i].nested, snap->hosts[i].nested,
			       sizeof(pl->hosts[i].nested));
		}
	}
	pl->n_hosts = snap->n_hosts;
	util_sort(pl->hosts, snap->n_hosts, sizeof(*pl->hosts), cmp_host);
	for (i = 0; i < snap->n_services; i++) {
		const struct pol_service *s = &snap->services[i];

		pl->svcs[i].id = s->id;
		pl->svcs[i].host_id = s->host_id;
		pl->svcs[i].proto = s->protocol;
		pl->svcs[i].port = s->port;
		pl->svcs[i].proxy_required = s->proxy_required;
		pl->svcs[i].timeout_ms = s->binding_timeout_ms;
	}
	pl->n_svcs = snap->n_services;
	util_sort(pl->svcs, snap->n_services, sizeof(*pl->svcs), cmp_svc);
	*out = pl;
	return 0;
}

void
nat_pool_commit(struct nat_pool *p, struct nat_pool_plan *pl, uint64_t now_ms)
{
	struct list *e, *next, dead;
	struct binding *b;
	struct nat_pool old;
	size_t i;

	/* Bindings past their deadline end as EXPIRED, not as REMOVED. */
	nat_pool_expire(p, now_ms);
	nat_window_commit(p->win, pl->win);

	/* Swap in the new tables; keep the old ones to decide which bindings survive. */
	old = *p;
	p->addrs = pl->addrs;
	p->n_addrs = pl->n_addrs;
	p->n_addrs4 = pl->n_addrs4;
	p->free_bits = pl->free_bits;
	p->svc_addrs = pl->svc_addrs;
	p->n_svc_addrs = pl->n_svc_addrs;
	p->hosts = pl->hosts;
	p->n_hosts = pl->n_hosts;
	p->svcs = pl->svcs;
	p->n_svcs = pl->n_svcs;
	p->allocated = 0;
	p->allocated6 = 0;
	free(pl);
	for (i = 0; i < p->n_addrs; i++)
		nat_pool_set_free(p, i, true);

	list_init(&dead);
	for (e = p->ids.next; e != &p->ids; e = next) {
		b = list_item(e, struct binding, inode);
		const struct psvc *s = nat_pool_svc_find(p, b->info.service_id);
		struct phost *h = nat_pool_host_find(p, b->info.host_id);
		ssize_t ai = b->pinhole ? -1 : nat_pool_addr_index(p, b->ip);
		const struct addr *pa = h == NULL				 ? NULL
					: b->info.private_addr.family == AF_INET ? &h->ipv4
										 : &h->ipv6;
		bool keep = s && h && (ai >= 0 || b->pinhole) && s->host_id == h->id &&
			    !s->proxy_required && s->proto == b->info.protocol &&
			    s->port == b->info.port && addr_eq(pa, &b->info.private_addr) &&
			    (pa->family == AF_INET || b->pinhole == !nat_pool_host_ula(h));

		/* a nested binding: its host still a nested gateway owning its answer */
		if (b->info.nested)
			keep = h && ai >= 0 && h->n_nested > 0 &&
			       (b->info.private_addr.family == 0 ||
				nat_pool_nested_has(h, &b->info.private_addr));

		next = e->next;
		b->anext = b->aprev = NULL;
		if (!keep) {
			nat_pool_key_remove(p, b);
			nat_pool_heap_remove(p, b);
			nat_pool_id_unlink(p, b);
			nat_pool_pair_remove(p, b);
			list_append(&dead, &b->inode);
			continue;
		}
		if (ai >= 0)
			nat_pool_addr_link(p, (size_t)ai, b);
		h->pending++;
	}
	free(old.addrs);
	free(old.free_bits);
	free(old.svc_addrs);
	free(old.hosts);
	free(old.svcs);

	for (e = dead.next; e != &dead; e = next) {
		next = e->next;
		b = list_item(e, struct binding, inode);
		p->st.removed++;
		if (p->on_end)
			p->on_end(p->arg, &b->info, NAT_BINDING_REMOVED);
		free(b);
	}
}

int
nat_pool_apply(struct nat_pool *p, const struct pol_snap *snap, uint64_t now_ms)
{
	struct nat_pool_plan *pl;
	int rc = nat_pool_prepare(snap, &pl);

	if (rc == 0)
		nat_pool_commit(p, pl, now_ms);
	return rc;
}
