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
	if (!addrs || !bits || !sa || !hosts || !svcs || nat_window_apply(p->win, snap) < 0)
		goto nomem;

	for (i = 0; i < snap->n_pool_addrs; i++) {
		if (snap->pool_addrs[i].addr.family != AF_INET)
			continue;
		addrs[n++].ip = nat_pool_ip_of(&snap->pool_addrs[i].addr);
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
		nat_pool_set_free(p, i, true);

	for (b = p->ifirst; b != NULL; b = next) {
		const struct psvc *s = nat_pool_svc_find(p, b->info.service_id);
		struct phost *h = nat_pool_host_find(p, b->info.host_id);
		ssize_t ai = nat_pool_addr_index(p, b->ip);
		bool keep = s && h && ai >= 0 && s->host_id == h->id && !s->proxy_required &&
			    s->proto == b->info.protocol && s->port == b->info.port &&
			    h->ipv4.family == AF_INET &&
			    h->ipv4.u.v4.s_addr == b->info.private_addr.u.v4.s_addr;

		next = b->inext;
		b->anext = b->aprev = NULL;
		if (!keep) {
			nat_pool_key_remove(p, b);
			nat_pool_heap_remove(p, b);
			nat_pool_id_unlink(p, b);
			nat_pool_pair_remove(p, b);
			b->inext = dead;
			dead = b;
			continue;
		}
		nat_pool_addr_link(p, (size_t)ai, b);
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
