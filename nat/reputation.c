/* SPDX-License-Identifier: MIT */
/* nat/reputation.c -- live reputation of resolvers, requestors and hosts; PBRA admission */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/htab.h"
#include "../common/list.h"
#include "../common/log.h"
#include "../common/util.h"
#include "reputation.h"

/*
 * Requestor subnets and auto-created resolver groups live in a bounded prefix map: a
 * chained hash table plus an LRU list, so that a flood of random ECS subnets costs a fixed
 * amount of memory (the original kept every one forever).
 */
struct pmap_node {
	struct prefix key;
	struct pol_rep_window w;
	uint64_t trusted, untrusted;
	struct hnode hn;
	struct list lru; /* the most recent first */
};

struct pmap {
	struct htab ht;
	size_t max;
	struct list lru;
	size_t evicted;
};

struct rep_group {
	char name[64];
	bool sla;
	double initial;
	struct pol_rep_window w;
	uint64_t trusted, untrusted;
	struct prefix *nodes;
	size_t n_nodes;
	bool seen; /* apply bookkeeping */
};

struct rep_host {
	int64_t id;
	char fqdn[POL_NAME_MAX];
	struct pol_rep_window w;
};

struct nat_rep {
	struct rep_group *groups;
	size_t n_groups;
	struct pmap requestors;
	struct pmap auto_groups; /* unknown resolvers, one group each */
	struct rep_host *hosts;	 /* sorted by id */
	size_t n_hosts;
	struct pol_bracket *brackets;
	size_t n_brackets;
	bool unknown_groups;
	double max_rep; /* best value known, for normalisation */
	struct nat_rep_stats stats;
};

static uint32_t prefix_hash(const struct prefix *p);
static bool prefix_eq(const struct prefix *a, const struct prefix *b);
static int pmap_init(struct pmap *m, size_t max);
static void pmap_free(struct pmap *m);
static struct pmap_node *pmap_find(struct pmap *m, const struct prefix *key);
static struct pmap_node *pmap_get(struct pmap *m, const struct prefix *key, double initial);
static struct pmap_node *pmap_first(const struct pmap *m);
static struct pmap_node *pmap_next(const struct pmap *m, const struct pmap_node *n);
static struct rep_group *group_for(struct nat_rep *r, const struct addr *resolver);
static struct pol_rep_window *resolver_window(struct nat_rep *r, const struct addr *resolver,
					      bool create, bool *sla);
static struct rep_host *host_find(struct nat_rep *r, int64_t id);
static void note_value(struct nat_rep *r, const struct pol_rep_window *w);
static void recompute_max(struct nat_rep *r);
static void free_groups(struct rep_group *g, size_t n);
static void pmap_remove(struct pmap *m, struct pmap_node *victim);
static int host_cmp(const void *a, const void *b);
static struct pol_rep_window *entity(struct nat_rep *r, enum pol_rep_kind kind, const char *key,
				     double *initial);
static int save_one(void *arg, const struct nat_rep_entry *e);

static uint32_t
prefix_hash(const struct prefix *p)
{
	return addr_hash(&p->addr) * 31u + p->len;
}

static bool
prefix_eq(const struct prefix *a, const struct prefix *b)
{
	return a->len == b->len && addr_eq(&a->addr, &b->addr);
}

static int
pmap_init(struct pmap *m, size_t max)
{
	memset(m, 0, sizeof(*m));
	list_init(&m->lru);
	/* at least 64 buckets, at most 2^20 to begin with (it grows with its entries) */
	if (htab_init(&m->ht, MAX(64, MIN(max, (size_t)1 << 20))) < 0)
		return -ENOMEM;
	m->max = max ? max : 1;
	return 0;
}

static void
pmap_free(struct pmap *m)
{
	struct pmap_node *n;

	while ((n = pmap_first(m)) != NULL) {
		list_unlink(&n->lru);
		free(n);
	}
	htab_fini(&m->ht);
}

/* The most recently used entry, or NULL. */
static struct pmap_node *
pmap_first(const struct pmap *m)
{
	return list_first_item(&m->lru, struct pmap_node, lru);
}

/* The entry used before n, or NULL. */
static struct pmap_node *
pmap_next(const struct pmap *m, const struct pmap_node *n)
{
	return n->lru.next == &m->lru ? NULL : list_item(n->lru.next, struct pmap_node, lru);
}

static struct pmap_node *
pmap_find(struct pmap *m, const struct prefix *key)
{
	uint64_t h = prefix_hash(key);
	struct hnode *hn;

	htab_for_each(&m->ht, h, hn) {
		struct pmap_node *n = htab_item(hn, struct pmap_node, hn);

		if (hn->hash == h && prefix_eq(&n->key, key))
			return n;
	}
	return NULL;
}

static void
pmap_remove(struct pmap *m, struct pmap_node *victim)
{
	htab_del(&m->ht, &victim->hn);
	list_unlink(&victim->lru);
	free(victim);
}

/* Find or create; a hit becomes the most recent entry. NULL only on ENOMEM. */
static struct pmap_node *
pmap_get(struct pmap *m, const struct prefix *key, double initial)
{
	struct pmap_node *n = pmap_find(m, key);

	if (n != NULL) {
		list_unlink(&n->lru);
		list_insert_after(&m->lru, &n->lru);
		return n;
	}
	if (m->ht.n >= m->max && !list_empty(&m->lru)) {
		pmap_remove(m,
			    list_item(m->lru.prev, struct pmap_node, lru)); /* the least recent */
		m->evicted++;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->key = *key;
	pol_rep_window_init(&n->w, initial);
	htab_add(&m->ht, &n->hn, prefix_hash(key));
	list_insert_after(&m->lru, &n->lru);
	return n;
}

struct nat_rep *
nat_rep_new(size_t max_requestors)
{
	struct nat_rep *r = calloc(1, sizeof(*r));
	int rc1, rc2;

	if (r == NULL)
		return NULL;
	/* both, so that nat_rep_free finds both lists made */
	rc1 = pmap_init(&r->requestors, max_requestors);
	rc2 = pmap_init(&r->auto_groups, max_requestors);
	if (rc1 < 0 || rc2 < 0) {
		nat_rep_free(r);
		return NULL;
	}
	r->max_rep = 0.0;
	return r;
}

static void
free_groups(struct rep_group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(g[i].nodes);
	free(g);
}

void
nat_rep_free(struct nat_rep *r)
{
	if (r == NULL)
		return;
	free_groups(r->groups, r->n_groups);
	pmap_free(&r->requestors);
	pmap_free(&r->auto_groups);
	free(r->hosts);
	free(r->brackets);
	free(r);
}

static int
host_cmp(const void *a, const void *b)
{
	const struct rep_host *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The policy's groups, hosts and brackets, built aside so that the swap cannot fail. */
struct nat_rep_plan {
	struct rep_group *groups;
	size_t n_groups;
	struct rep_host *hosts; /* sorted by id */
	size_t n_hosts;
	struct pol_bracket *brackets;
	size_t n_brackets;
	bool unknown_groups;
};

void
nat_rep_abort(struct nat_rep_plan *pl)
{
	if (pl == NULL)
		return;
	if (pl->groups)
		free_groups(pl->groups, pl->n_groups);
	free(pl->hosts);
	free(pl->brackets);
	free(pl);
}

int
nat_rep_prepare(const struct pol_snap *snap, struct nat_rep_plan **out)
{
	struct nat_rep_plan *pl = calloc(1, sizeof(*pl));
	size_t i, k;

	*out = NULL;
	if (pl == NULL)
		return -ENOMEM;
	if (snap->n_resolver_groups) {
		pl->groups = calloc(snap->n_resolver_groups, sizeof(*pl->groups));
		if (pl->groups == NULL)
			goto fail;
		pl->n_groups = snap->n_resolver_groups;
	}
	for (i = 0; i < snap->n_resolver_groups; i++) {
		const struct pol_resolver_group *pg = &snap->resolver_groups[i];
		struct rep_group *g = &pl->groups[i];
		size_t n = 0;

		util_strlcpy(g->name, pg->name, sizeof(g->name));
		g->sla = pg->sla;
		g->initial = pg->initial_reputation;
		pol_rep_window_init(&g->w, g->initial);
		for (k = 0; k < snap->n_resolver_nodes; k++)
			if (snap->resolver_nodes[k].group_id == pg->id)
				n++;
		if (n) {
			g->nodes = calloc(n, sizeof(*g->nodes));
			if (g->nodes == NULL)
				goto fail;
		}
		for (k = 0; k < snap->n_resolver_nodes; k++)
			if (snap->resolver_nodes[k].group_id == pg->id)
				g->nodes[g->n_nodes++] = snap->resolver_nodes[k].prefix;
	}
	if (snap->n_hosts) {
		pl->hosts = calloc(snap->n_hosts, sizeof(*pl->hosts));
		if (pl->hosts == NULL)
			goto fail;
		pl->n_hosts = snap->n_hosts;
	}
	for (i = 0; i < snap->n_hosts; i++) {
		struct rep_host *h = &pl->hosts[i];

		h->id = snap->hosts[i].id;
		util_strlcpy(h->fqdn, snap->hosts[i].fqdn, sizeof(h->fqdn));
		pol_rep_window_init(&h->w, POL_REP_NEUTRAL);
	}
	util_sort(pl->hosts, pl->n_hosts, sizeof(*pl->hosts), host_cmp);
	if (snap->n_brackets) {
		pl->brackets = calloc(snap->n_brackets, sizeof(*pl->brackets));
		if (pl->brackets == NULL)
			goto fail;
		memcpy(pl->brackets, snap->brackets, snap->n_brackets * sizeof(*pl->brackets));
		pl->n_brackets = snap->n_brackets;
	}
	pl->unknown_groups = snap->admission.unknown_resolver_groups;
	*out = pl;
	return 0;
fail:
	nat_rep_abort(pl);
	return -ENOMEM;
}

int
nat_rep_commit(struct nat_rep *r, struct nat_rep_plan *pl)
{
	size_t i, j;
	int restarted = 0;

	/* A group that keeps its name keeps its evidence; a changed initial value restarts it
	 * from the new prior (evidence gathered toward the old one would take periods to fade
	 * to the new one). Hosts keep theirs by name. */
	for (i = 0; i < pl->n_groups; i++) {
		struct rep_group *g = &pl->groups[i];

		for (j = 0; j < r->n_groups; j++)
			if (strcmp(r->groups[j].name, g->name) == 0) {
				g->trusted = r->groups[j].trusted;
				g->untrusted = r->groups[j].untrusted;
				if (r->groups[j].initial == g->initial)
					g->w = r->groups[j].w;
				else
					restarted++;
			}
	}
	/* both sorted by id: a host that keeps its id (and so its name) is found in one pass;
	 * one whose id changed (a bundle import) is looked for by name */
	for (i = j = 0; i < pl->n_hosts; i++) {
		struct rep_host *h = &pl->hosts[i];
		size_t k;

		while (j < r->n_hosts && r->hosts[j].id < h->id)
			j++;
		if (j < r->n_hosts && r->hosts[j].id == h->id &&
		    strcmp(r->hosts[j].fqdn, h->fqdn) == 0) {
			h->w = r->hosts[j].w;
			continue;
		}
		for (k = 0; k < r->n_hosts; k++)
			if (strcmp(r->hosts[k].fqdn, h->fqdn) == 0)
				h->w = r->hosts[k].w;
	}
	free_groups(r->groups, r->n_groups);
	free(r->hosts);
	free(r->brackets);
	r->groups = pl->groups;
	r->n_groups = pl->n_groups;
	r->hosts = pl->hosts;
	r->n_hosts = pl->n_hosts;
	r->brackets = pl->brackets;
	r->n_brackets = pl->n_brackets;
	r->unknown_groups = pl->unknown_groups;
	free(pl);
	recompute_max(r);
	return restarted;
}

int
nat_rep_apply(struct nat_rep *r, const struct pol_snap *snap)
{
	struct nat_rep_plan *pl;
	int rc = nat_rep_prepare(snap, &pl);

	return rc < 0 ? rc : nat_rep_commit(r, pl);
}

/* Longest-prefix match of the resolver address over the policy groups' nodes. */
static struct rep_group *
group_for(struct nat_rep *r, const struct addr *resolver)
{
	struct rep_group *best = NULL;
	int best_len = -1;
	size_t i, j;

	for (i = 0; i < r->n_groups; i++)
		for (j = 0; j < r->groups[i].n_nodes; j++) {
			const struct prefix *p = &r->groups[i].nodes[j];

			if ((int)p->len > best_len && prefix_contains(p, resolver)) {
				best = &r->groups[i];
				best_len = p->len;
			}
		}
	return best;
}

static struct pol_rep_window *
resolver_window(struct nat_rep *r, const struct addr *resolver, bool create, bool *sla)
{
	struct rep_group *g;
	struct pmap_node *n;
	struct prefix key;

	*sla = false;
	if (resolver->family == 0)
		return NULL;
	g = group_for(r, resolver);
	if (g != NULL) {
		*sla = g->sla;
		return &g->w;
	}
	key.addr = *resolver;
	key.len = (uint8_t)addr_maxlen(resolver->family);
	if (!create) {
		n = pmap_find(&r->auto_groups, &key);
		return n ? &n->w : NULL;
	}
	n = pmap_get(&r->auto_groups, &key, POL_REP_NEUTRAL);
	return n ? &n->w : NULL;
}

static struct rep_host *
host_find(struct nat_rep *r, int64_t id)
{
	struct rep_host key = { .id = id };

	if (r->n_hosts == 0)
		return NULL;
	return bsearch(&key, r->hosts, r->n_hosts, sizeof(*r->hosts), host_cmp);
}

/* Values only move by events and transitions: raising the max on each event keeps it an
 * upper bound between full recomputations (at every transition). */
static void
note_value(struct nat_rep *r, const struct pol_rep_window *w)
{
	double v = pol_rep_window_value(w);

	if (v > r->max_rep)
		r->max_rep = v;
}

static void
recompute_max(struct nat_rep *r)
{
	struct pmap_node *n;
	size_t i;

	r->max_rep = 0.0;
	for (i = 0; i < r->n_groups; i++)
		note_value(r, &r->groups[i].w);
	for (n = pmap_first(&r->auto_groups); n != NULL; n = pmap_next(&r->auto_groups, n))
		note_value(r, &n->w);
	for (n = pmap_first(&r->requestors); n != NULL; n = pmap_next(&r->requestors, n))
		note_value(r, &n->w);
}

bool
nat_rep_admit(void *arg, const struct nat_request *req, double load_pct, enum nat_svc_class cls)
{
	struct nat_rep *r = arg;
	struct pol_rep_window *gw, *qw = NULL;
	struct pmap_node *n;
	double rr = 0, rq = 0;
	bool sla, ok;

	gw = resolver_window(r, &req->resolver, r->unknown_groups, &sla);
	if (gw != NULL) {
		note_value(r, gw);
		rr = pol_rep_normalise(pol_rep_window_value(gw), r->max_rep);
	}
	if (req->has_requestor) {
		n = pmap_get(&r->requestors, &req->requestor, POL_REP_NEUTRAL);
		if (n != NULL) {
			qw = &n->w;
			note_value(r, qw);
			rq = pol_rep_normalise(pol_rep_window_value(qw), r->max_rep);
		}
	}
	ok = pol_rep_admit(r->brackets, r->n_brackets, load_pct, (enum pol_rep_class)cls,
			   gw != NULL, rr, qw != NULL, rq, NULL);
	if ((unsigned)cls < 3) {
		if (ok)
			r->stats.admitted[cls]++;
		else
			r->stats.refused[cls]++;
	}
	return ok;
}

void
nat_rep_binding_end(void *arg, const struct nat_binding_info *b, enum nat_binding_end how)
{
	struct nat_rep *r = arg;
	struct pol_rep_window *gw, *qw = NULL;
	struct pmap_node *n;
	struct rep_host *h;
	bool sla;

	/* Removed by policy, released unused by a QNAME minimisation step, ended unused where
	 * nobody had to use it (NAT_BINDING_IDLE), or a nested reservation that the nested
	 * gateway did not confirm for its own reasons (its shortage, no such name, no answer):
	 * no evidence. */
	if (how == NAT_BINDING_REMOVED || how == NAT_BINDING_RELEASED || how == NAT_BINDING_IDLE ||
	    how == NAT_BINDING_WITHDRAWN)
		return;
	gw = resolver_window(r, &b->resolver, r->unknown_groups, &sla);
	if (b->has_requestor) {
		n = pmap_get(&r->requestors, &b->requestor, POL_REP_NEUTRAL);
		qw = n ? &n->w : NULL;
	}
	if (how == NAT_BINDING_USED) {
		r->stats.events_ok++;
		if (gw)
			pol_rep_window_event(gw, POL_REP_OK);
		if (qw)
			pol_rep_window_event(qw, POL_REP_OK);
	} else if (how == NAT_BINDING_DENIED) {
		/* the nested gateway judged this resolver (named to it by ECI) and refused it: the
		 * resolver answers for it here too; the nested gateway's host did nothing wrong */
		r->stats.events_nok++;
		if (gw)
			pol_rep_window_event(gw, POL_REP_NOK);
	} else {
		r->stats.events_nok++;
		/* SLA resolvers name the requestor, so the requestor is blamed; otherwise the
		 * resolver answers for what it asked. */
		if (b->sla && qw)
			pol_rep_window_event(qw, POL_REP_NOK);
		else if (gw)
			pol_rep_window_event(gw, POL_REP_NOK);
		h = host_find(r, b->host_id);
		if (h)
			pol_rep_window_event(&h->w, POL_REP_NOK);
	}
	if (gw)
		note_value(r, gw);
	if (qw)
		note_value(r, qw);
}

const char *
nat_rep_flow_name(enum nat_rep_flow why)
{
	static const char *const names[NAT_REP_FLOW_COUNT] = {
		[NAT_REP_FLOW_IDS_ALERT] = "ids_alert",
		[NAT_REP_FLOW_ALG_SILENT] = "alg_silent",
		[NAT_REP_FLOW_ALG_UNROUTED] = "alg_unrouted",
		[NAT_REP_FLOW_ALG_GARBAGE] = "alg_garbage",
		[NAT_REP_FLOW_ALG_CAP] = "alg_cap",
		[NAT_REP_FLOW_ALG_SLOW] = "alg_slow",
	};

	return (unsigned)why < NAT_REP_FLOW_COUNT ? names[why] : "?";
}

static void
requestor_nok(struct nat_rep *r, const struct prefix *p)
{
	struct pmap_node *n = pmap_get(&r->requestors, p, POL_REP_NEUTRAL);

	if (n != NULL) {
		pol_rep_window_event(&n->w, POL_REP_NOK);
		note_value(r, &n->w);
	}
}

void
nat_rep_flow_nok(struct nat_rep *r, enum nat_rep_flow why, const struct addr *src,
		 const struct addr *resolver, const struct prefix *requestor)
{
	struct prefix host, net;
	struct pol_rep_window *gw;
	bool sla;

	if (src->family != AF_INET && src->family != AF_INET6)
		return;
	if ((unsigned)why < NAT_REP_FLOW_COUNT)
		r->stats.flow_nok[why]++;
	host.addr = *src;
	host.len = (uint8_t)addr_maxlen(src->family);
	net.addr = *src;
	net.len = src->family == AF_INET ? 24 : 64;
	addr_mask(&net.addr, net.len);
	requestor_nok(r, &host);
	requestor_nok(r, &net);
	if (requestor != NULL && requestor->addr.family != 0 && !prefix_eq(requestor, &host) &&
	    !prefix_eq(requestor, &net))
		requestor_nok(r, requestor);
	if (resolver != NULL && resolver->family != 0) {
		gw = resolver_window(r, resolver, r->unknown_groups, &sla);
		if (gw != NULL) {
			pol_rep_window_event(gw, POL_REP_NOK);
			note_value(r, gw);
		}
	}
}

void
nat_rep_low_sources(struct nat_rep *r, double threshold, nat_rep_low_cb cb, void *arg)
{
	struct pmap_node *n;

	for (n = pmap_first(&r->requestors); n != NULL; n = pmap_next(&r->requestors, n)) {
		double v;

		if (n->key.len != addr_maxlen(n->key.addr.family))
			continue;
		v = pol_rep_window_value(&n->w);
		if (v < threshold && cb(arg, &n->key.addr, v))
			return;
	}
}

void
nat_rep_session_ended(void *arg, const struct addr *resolver, const struct prefix *requestor)
{
	struct nat_rep *r = arg;
	struct pol_rep_window *gw;
	bool sla;

	r->stats.events_nok++;
	gw = resolver_window(r, resolver, r->unknown_groups, &sla);
	if (gw) {
		pol_rep_window_event(gw, POL_REP_NOK);
		note_value(r, gw);
	}
	if (requestor)
		requestor_nok(r, requestor);
}

bool
nat_rep_resolver_sla(struct nat_rep *r, const struct addr *resolver)
{
	struct rep_group *g = group_for(r, resolver);

	return g != NULL && g->sla;
}

bool
nat_rep_resolver_known(struct nat_rep *r, const struct addr *resolver)
{
	bool sla;

	return resolver_window(r, resolver, false, &sla) != NULL;
}

void
nat_rep_note_query(struct nat_rep *r, const struct addr *resolver, bool trusted)
{
	struct rep_group *g = resolver->family ? group_for(r, resolver) : NULL;
	struct pmap_node *n = NULL;
	struct prefix key;

	if (trusted)
		r->stats.trusted++;
	else
		r->stats.untrusted++;
	if (g != NULL) {
		if (trusted)
			g->trusted++;
		else
			g->untrusted++;
		return;
	}
	if (resolver->family == 0)
		return;
	key.addr = *resolver;
	key.len = (uint8_t)addr_maxlen(resolver->family);
	n = r->unknown_groups ? pmap_get(&r->auto_groups, &key, POL_REP_NEUTRAL)
			      : pmap_find(&r->auto_groups, &key);
	if (n == NULL)
		return;
	if (trusted)
		n->trusted++;
	else
		n->untrusted++;
}

int
nat_rep_merge_resolvers(struct nat_rep *r, const struct addr *into, const struct addr *from)
{
	struct pol_rep_window *a, *b;
	bool sla_a, sla_b;

	a = resolver_window(r, into, r->unknown_groups, &sla_a);
	b = resolver_window(r, from, false, &sla_b);
	if (a == NULL || b == NULL)
		return -ENOENT;
	if (a == b)
		return 0;
	pol_rep_window_merge(a, b);
	note_value(r, a);
	return 0;
}

void
nat_rep_transition(struct nat_rep *r)
{
	struct pmap_node *n;
	size_t i;

	for (i = 0; i < r->n_groups; i++)
		pol_rep_window_transition(&r->groups[i].w);
	for (n = pmap_first(&r->auto_groups); n != NULL; n = pmap_next(&r->auto_groups, n))
		pol_rep_window_transition(&n->w);
	for (n = pmap_first(&r->requestors); n != NULL; n = pmap_next(&r->requestors, n))
		pol_rep_window_transition(&n->w);
	for (i = 0; i < r->n_hosts; i++)
		pol_rep_window_transition(&r->hosts[i].w);
	recompute_max(r);
}

/* Calls cb for every entity; stops early when cb returns non-zero. */
void
nat_rep_foreach(struct nat_rep *r, nat_rep_iter_cb cb, void *arg)
{
	struct nat_rep_entry e;
	struct pmap_node *n;
	size_t i;

	for (i = 0; i < r->n_groups; i++) {
		memset(&e, 0, sizeof(e));
		e.kind = POL_REP_RESOLVER_GROUP;
		util_strlcpy(e.key, r->groups[i].name, sizeof(e.key));
		e.sla = r->groups[i].sla;
		e.w = r->groups[i].w;
		e.trusted = r->groups[i].trusted;
		e.untrusted = r->groups[i].untrusted;
		e.value = pol_rep_window_value(&e.w);
		if (cb(arg, &e))
			return;
	}
	for (n = pmap_first(&r->auto_groups); n != NULL; n = pmap_next(&r->auto_groups, n)) {
		memset(&e, 0, sizeof(e));
		e.kind = POL_REP_RESOLVER_GROUP;
		/* auto groups are named after their single resolver */
		memcpy(e.key, "resolver:", 9);
		addr_ntop(&n->key.addr, e.key + 9, sizeof(e.key) - 9);
		e.w = n->w;
		e.trusted = n->trusted;
		e.untrusted = n->untrusted;
		e.value = pol_rep_window_value(&e.w);
		if (cb(arg, &e))
			return;
	}
	for (n = pmap_first(&r->requestors); n != NULL; n = pmap_next(&r->requestors, n)) {
		memset(&e, 0, sizeof(e));
		e.kind = POL_REP_REQUESTOR;
		prefix_ntop(&n->key, e.key, sizeof(e.key));
		e.w = n->w;
		e.value = pol_rep_window_value(&e.w);
		if (cb(arg, &e))
			return;
	}
	for (i = 0; i < r->n_hosts; i++) {
		memset(&e, 0, sizeof(e));
		e.kind = POL_REP_HOST;
		util_strlcpy(e.key, r->hosts[i].fqdn, sizeof(e.key));
		e.w = r->hosts[i].w;
		e.value = pol_rep_window_value(&e.w);
		if (cb(arg, &e))
			return;
	}
}

/* Find the window of an entity by its API key. */
static struct pol_rep_window *
entity(struct nat_rep *r, enum pol_rep_kind kind, const char *key, double *initial)
{
	struct pmap_node *n;
	struct prefix p;
	size_t i;

	*initial = POL_REP_NEUTRAL;
	switch (kind) {
	case POL_REP_RESOLVER_GROUP:
		for (i = 0; i < r->n_groups; i++)
			if (strcmp(r->groups[i].name, key) == 0) {
				*initial = r->groups[i].initial;
				return &r->groups[i].w;
			}
		if (strncmp(key, "resolver:", 9) == 0 && prefix_parse(key + 9, false, &p) == 0) {
			n = pmap_find(&r->auto_groups, &p);
			return n ? &n->w : NULL;
		}
		return NULL;
	case POL_REP_REQUESTOR:
		if (prefix_parse(key, false, &p) < 0)
			return NULL;
		n = pmap_find(&r->requestors, &p);
		return n ? &n->w : NULL;
	case POL_REP_HOST:
		for (i = 0; i < r->n_hosts; i++)
			if (strcmp(r->hosts[i].fqdn, key) == 0)
				return &r->hosts[i].w;
		return NULL;
	}
	return NULL;
}

int
nat_rep_override(struct nat_rep *r, enum pol_rep_kind kind, const char *key, bool has_override,
		 double value)
{
	double initial;
	struct pol_rep_window *w = entity(r, kind, key, &initial);
	struct pmap_node *n = NULL;
	struct prefix p;

	/* An operator may pin a requestor or a resolver before it is ever seen. */
	if (w == NULL && has_override && kind == POL_REP_REQUESTOR &&
	    prefix_parse(key, false, &p) == 0)
		n = pmap_get(&r->requestors, &p, POL_REP_NEUTRAL);
	else if (w == NULL && has_override && kind == POL_REP_RESOLVER_GROUP &&
		 strncmp(key, "resolver:", 9) == 0 && prefix_parse(key + 9, false, &p) == 0 &&
		 p.len == addr_maxlen(p.addr.family))
		n = pmap_get(&r->auto_groups, &p, POL_REP_NEUTRAL);
	if (n != NULL)
		w = &n->w;
	if (w == NULL)
		return -ENOENT;
	w->has_override = has_override;
	w->override_value = value < 0 ? 0 : value > 1 ? 1 : value;
	recompute_max(r);
	return 0;
}

int
nat_rep_reset(struct nat_rep *r, enum pol_rep_kind kind, const char *key)
{
	double initial;
	struct pol_rep_window *w = entity(r, kind, key, &initial);

	if (w == NULL)
		return -ENOENT;
	pol_rep_window_init(w, initial);
	recompute_max(r);
	return 0;
}

struct save_ctx {
	struct pol_store *st;
	uint64_t now;
	int rc;
};

static int
save_one(void *arg, const struct nat_rep_entry *e)
{
	struct save_ctx *c = arg;
	struct pol_reputation row;

	memset(&row, 0, sizeof(row));
	row.kind = e->kind;
	util_strlcpy(row.key, e->key, sizeof(row.key));
	pol_rep_window_to_row(&e->w, &row);
	row.updated_ms = c->now;
	c->rc = pol_reputation_save(c->st, &row);
	return c->rc < 0;
}

int
nat_rep_save(struct nat_rep *r, struct pol_store *st)
{
	struct save_ctx c = { st, util_wall_ms(), 0 };
	int rc;

	rc = pol_store_begin(st);
	if (rc < 0)
		return rc;
	nat_rep_foreach(r, save_one, &c);
	if (c.rc < 0) {
		pol_store_rollback(st);
		return c.rc;
	}
	rc = pol_store_commit(st);
	if (rc == 0) {
		r->stats.saves++;
		r->stats.last_save_ms = c.now;
	}
	return rc;
}

int
nat_rep_load(struct nat_rep *r, struct pol_store *st)
{
	struct pol_reputation *rows = NULL;
	struct pol_rep_window *w;
	struct pmap_node *n;
	struct prefix p;
	double initial;
	size_t i, nrows = 0;
	int rc;

	rc = pol_reputation_list(st, &rows, &nrows);
	if (rc < 0)
		return rc;
	for (i = 0; i < nrows; i++) {
		w = entity(r, rows[i].kind, rows[i].key, &initial);
		if (w == NULL && rows[i].kind == POL_REP_REQUESTOR &&
		    prefix_parse(rows[i].key, false, &p) == 0) {
			n = pmap_get(&r->requestors, &p, POL_REP_NEUTRAL);
			w = n ? &n->w : NULL;
		} else if (w == NULL && rows[i].kind == POL_REP_RESOLVER_GROUP &&
			   strncmp(rows[i].key, "resolver:", 9) == 0 &&
			   prefix_parse(rows[i].key + 9, false, &p) == 0) {
			n = pmap_get(&r->auto_groups, &p, POL_REP_NEUTRAL);
			w = n ? &n->w : NULL;
		}
		/* State of entities that left the policy is dropped. The prior comes from the
		 * policy in force: entity() gave a group's initial_reputation, the others are
		 * learned and start neutral. */
		if (w != NULL)
			pol_rep_window_from_row(w, &rows[i], initial);
	}
	free(rows);
	recompute_max(r);
	return 0;
}

void
nat_rep_get_stats(const struct nat_rep *r, struct nat_rep_stats *out)
{
	*out = r->stats;
	out->n_groups = r->n_groups + r->auto_groups.ht.n;
	out->n_requestors = r->requestors.ht.n;
	out->n_hosts = r->n_hosts;
	out->requestors_evicted = r->requestors.evicted;
}
