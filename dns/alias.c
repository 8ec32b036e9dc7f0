/* SPDX-License-Identifier: MIT */
/* dns/alias.c -- one-time CNAME aliases: the alias table and its expiry timer */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/htab.h"
#include "../common/list.h"
#include "../common/log.h"
#include "../common/util.h"
#include "alias.h"
#include "answer.h"
#include "zone.h"

struct arec {
	struct dns_alias_entry e;
	struct hnode hn;
	struct list node; /* in issue order, oldest first */
};

struct dns_alias_tab {
	struct htab ht;
	size_t max;
	struct list order;
	struct dns_alias_stats st;
};

/* Resolver pairs already merged: the original merged a cluster once (the issuer's nodes
 * joined the asker's group); replaying the evidence on every alias would inflate it. */
#define MERGED_MAX 1024

struct merged_pair {
	struct addr asker, issuer;
};

struct dns_aliases {
	struct ev_loop *loop;
	struct merged_pair merged[MERGED_MAX];
	size_t n_merged;
	struct dns_alias_tab *tab;
	uint64_t timer;	   /* 0: not armed */
	uint64_t timer_at; /* deadline the timer is armed for */
	struct dns_alias_rep rep;
	bool has_rep;
};

static uint32_t name_hash(const uint8_t *name);
static struct dns_alias_entry *lookup(struct dns_alias_tab *t, const uint8_t *name,
				      uint64_t now_ms);
static void unlink_rec(struct dns_alias_tab *t, struct arec *r);
static void arm(struct dns_aliases *a);
static bool already_merged(const struct dns_aliases *a, const struct addr *asker,
			   const struct addr *issuer);
static void on_expiry(struct ev_loop *loop, uint64_t id, void *arg);
static int hook_issue(void *arg, const struct dns_db *db, const uint8_t *target,
		      const struct addr *src, uint32_t ttl_ms, uint8_t alias_out[DNS_NAME_MAX]);
static int hook_resolve(void *arg, const uint8_t *name, const struct addr *src, uint16_t qtype,
			uint8_t target_out[DNS_NAME_MAX], struct addr *charge, struct addr *cached);
static void hook_remember(void *arg, const uint8_t *name, uint16_t qtype, const struct addr *addr,
			  int64_t service_id);
static void hook_note(void *arg, const struct addr *src, bool trusted);

/* FNV-1a: the labels are our own random strings, so nobody outside can aim at a chain. */
static uint32_t
name_hash(const uint8_t *name)
{
	uint32_t h = 2166136261u;
	size_t i, len = dns_name_len(name);

	for (i = 0; i < len; i++) {
		h ^= name[i];
		h *= 16777619u;
	}
	return h;
}

struct dns_alias_tab *
dns_alias_tab_new(size_t max_entries)
{
	struct dns_alias_tab *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (max_entries == 0)
		max_entries = 1;
	if (htab_init(&t->ht, max_entries) < 0) {
		free(t);
		return NULL;
	}
	t->max = max_entries;
	list_init(&t->order);
	return t;
}

void
dns_alias_tab_free(struct dns_alias_tab *t)
{
	struct list *e, *next;

	if (t == NULL)
		return;
	for (e = t->order.next; e != &t->order; e = next) {
		next = e->next;
		free(list_item(e, struct arec, node));
	}
	htab_fini(&t->ht);
	free(t);
}

/* The oldest alias, or NULL. */
static struct arec *
oldest(const struct dns_alias_tab *t)
{
	return list_first_item(&t->order, struct arec, node);
}

static void
unlink_rec(struct dns_alias_tab *t, struct arec *r)
{
	htab_del(&t->ht, &r->hn);
	list_unlink(&r->node);
	free(r);
}

int
dns_alias_tab_issue(struct dns_alias_tab *t, const uint8_t *zone, const uint8_t *target,
		    const struct addr *resolver, uint64_t now_ms, uint64_t ttl_ms,
		    uint8_t out[DNS_NAME_MAX])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t rnd[DNS_ALIAS_LABEL_LEN];
	size_t zlen = dns_name_len(zone), tlen = dns_name_len(target), i;
	struct arec *r;

	if (zlen == 0 || tlen == 0 || 1 + DNS_ALIAS_LABEL_LEN + zlen > DNS_NAME_MAX)
		return -ENAMETOOLONG;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	/* 36^32 ~ 2^165 names: unguessable, and a collision with a live alias is impossible in
	 * practice (a duplicate would only shadow the older entry until it expires). */
	if (util_random(rnd, sizeof(rnd)) < 0) {
		free(r);
		return -EIO;
	}
	r->e.name[0] = DNS_ALIAS_LABEL_LEN;
	for (i = 0; i < DNS_ALIAS_LABEL_LEN; i++)
		r->e.name[1 + i] = (uint8_t)alphabet[rnd[i] % 36];
	memcpy(r->e.name + 1 + DNS_ALIAS_LABEL_LEN, zone, zlen);
	memcpy(r->e.target, target, tlen);
	if (resolver != NULL)
		r->e.resolver = *resolver;
	r->e.issued_ms = now_ms;
	r->e.expires_ms = now_ms + ttl_ms;
	if (t->ht.n >= t->max && !list_empty(&t->order)) {
		unlink_rec(t, oldest(t));
		t->st.evicted++;
	}
	htab_add(&t->ht, &r->hn, name_hash(r->e.name));
	list_append(&t->order, &r->node);
	t->st.issued++;
	memcpy(out, r->e.name, dns_name_len(r->e.name));
	return 0;
}

static struct dns_alias_entry *
lookup(struct dns_alias_tab *t, const uint8_t *name, uint64_t now_ms)
{
	uint64_t h = name_hash(name);
	struct hnode *hn;

	htab_for_each(&t->ht, h, hn) {
		struct arec *r = htab_item(hn, struct arec, hn);

		if (hn->hash == h && dns_name_eq(r->e.name, name))
			return r->e.expires_ms > now_ms ? &r->e : NULL;
	}
	return NULL;
}

struct dns_alias_entry *
dns_alias_tab_find(struct dns_alias_tab *t, const uint8_t *name, uint64_t now_ms)
{
	struct dns_alias_entry *e = lookup(t, name, now_ms);

	if (e != NULL)
		t->st.hits++;
	else
		t->st.misses++;
	return e;
}

int
dns_alias_cache_slot(uint16_t qtype)
{
	switch (qtype) {
	case DNS_T_A:
		return 0;
	case DNS_T_SRV:
		return 1;
	case DNS_T_TXT:
		return 2;
	case DNS_T_AAAA:
		return 3;
	default:
		return -1;
	}
}

size_t
dns_alias_tab_expire(struct dns_alias_tab *t, uint64_t now_ms)
{
	struct arec *r;
	size_t n = 0;

	while ((r = oldest(t)) != NULL && r->e.expires_ms <= now_ms) {
		unlink_rec(t, r);
		n++;
	}
	t->st.expired += n;
	return n;
}

uint64_t
dns_alias_tab_next_expiry(const struct dns_alias_tab *t)
{
	const struct arec *r = oldest(t);

	return r ? r->e.expires_ms : 0;
}

void
dns_alias_tab_get_stats(const struct dns_alias_tab *t, struct dns_alias_stats *out)
{
	*out = t->st;
	out->live = t->ht.n;
	out->max = t->max;
}

/* ------------------------------------------------------------------ live aliases */

struct dns_aliases *
dns_aliases_new(struct ev_loop *loop, size_t max_entries)
{
	struct dns_aliases *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->loop = loop;
	a->tab = dns_alias_tab_new(max_entries);
	if (a->tab == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
dns_aliases_free(struct dns_aliases *a)
{
	if (a == NULL)
		return;
	if (a->timer)
		ev_timer_del(a->loop, a->timer);
	dns_alias_tab_free(a->tab);
	free(a);
}

void
dns_aliases_set_rep(struct dns_aliases *a, const struct dns_alias_rep *rep)
{
	a->has_rep = rep != NULL;
	if (rep != NULL)
		a->rep = *rep;
	else
		memset(&a->rep, 0, sizeof(a->rep));
}

void
dns_aliases_get_stats(const struct dns_aliases *a, struct dns_alias_stats *out)
{
	dns_alias_tab_get_stats(a->tab, out);
}

void
dns_aliases_metrics(const struct dns_aliases *a, struct buf *out)
{
	struct dns_alias_stats as;

	dns_alias_tab_get_stats(a->tab, &as);
	buf_printf(out,
		   "# HELP rgw_dns_aliases Live one-time CNAME aliases.\n"
		   "# TYPE rgw_dns_aliases gauge\nrgw_dns_aliases %zu\n"
		   "# HELP rgw_dns_alias_events_total One-time CNAME alias events.\n"
		   "# TYPE rgw_dns_alias_events_total counter\n"
		   "rgw_dns_alias_events_total{event=\"issued\"} %llu\n"
		   "rgw_dns_alias_events_total{event=\"hit\"} %llu\n"
		   "rgw_dns_alias_events_total{event=\"miss\"} %llu\n"
		   "rgw_dns_alias_events_total{event=\"expired\"} %llu\n"
		   "rgw_dns_alias_events_total{event=\"evicted\"} %llu\n"
		   "rgw_dns_alias_events_total{event=\"cache_hit\"} %llu\n"
		   "rgw_dns_alias_events_total{event=\"merge\"} %llu\n",
		   as.live, (unsigned long long)as.issued, (unsigned long long)as.hits,
		   (unsigned long long)as.misses, (unsigned long long)as.expired,
		   (unsigned long long)as.evicted, (unsigned long long)as.cache_hits,
		   (unsigned long long)as.merges);
}

/* One timer, armed for the oldest alias; re-armed when it fires. */
static void
arm(struct dns_aliases *a)
{
	uint64_t at = dns_alias_tab_next_expiry(a->tab), now = ev_now_ms(a->loop);

	if (at == 0 || (a->timer && a->timer_at <= at))
		return;
	if (a->timer)
		ev_timer_del(a->loop, a->timer);
	a->timer = ev_timer_add(a->loop, at > now ? at - now : 0, on_expiry, a);
	a->timer_at = at;
}

static void
on_expiry(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct dns_aliases *a = arg;

	(void)id;
	a->timer = 0;
	dns_alias_tab_expire(a->tab, ev_now_ms(loop));
	arm(a);
}

static int
hook_issue(void *arg, const struct dns_db *db, const uint8_t *target, const struct addr *src,
	   uint32_t ttl_ms, uint8_t alias_out[DNS_NAME_MAX])
{
	struct dns_aliases *a = arg;
	size_t i, n = 0, pick = 0;
	uint32_t rnd = 0;
	int rc;

	for (i = 0; i < db->n_zones; i++)
		if (db->zones[i].kind == POL_ZONE_ALIAS)
			n++;
	if (n == 0)
		return 0;
	/* several alias zones: one at random, as the original */
	if (n > 1 && util_random(&rnd, sizeof(rnd)) == 0)
		pick = rnd % n;
	for (i = 0; i < db->n_zones; i++)
		if (db->zones[i].kind == POL_ZONE_ALIAS && pick-- == 0)
			break;
	rc = dns_alias_tab_issue(a->tab, db->zones[i].name, target, src, ev_now_ms(a->loop),
				 ttl_ms ? ttl_ms : 5000, alias_out);
	if (rc < 0) {
		log_warnx("dns: cannot issue a CNAME alias: %s", strerror(-rc));
		return 0;
	}
	arm(a);
	return 1;
}

static bool
already_merged(const struct dns_aliases *a, const struct addr *asker, const struct addr *issuer)
{
	size_t i;

	for (i = 0; i < a->n_merged; i++)
		if (addr_eq(&a->merged[i].asker, asker) && addr_eq(&a->merged[i].issuer, issuer))
			return true;
	return false;
}

static int
hook_resolve(void *arg, const uint8_t *name, const struct addr *src, uint16_t qtype,
	     uint8_t target_out[DNS_NAME_MAX], struct addr *charge, struct addr *cached)
{
	struct dns_aliases *a = arg;
	uint64_t now = ev_now_ms(a->loop);
	struct dns_alias_entry *e = dns_alias_tab_find(a->tab, name, now);
	int slot;

	memset(cached, 0, sizeof(*cached));
	if (e == NULL)
		return 0;
	memcpy(target_out, e->target, dns_name_len(e->target));
	if (a->has_rep && a->rep.cached && !e->cached_noted && addr_eq(&e->resolver, src) &&
	    now > e->issued_ms + (a->rep.cached_ms ? a->rep.cached_ms : DNS_ALIAS_CACHED_MS)) {
		e->cached_noted = true;
		a->rep.cached(a->rep.arg, src, e->issued_ms);
	}
	*charge = *src;
	if (a->has_rep && !addr_eq(&e->resolver, src) && !already_merged(a, src, &e->resolver)) {
		/* Another resolver followed the alias: one cluster (the original merged the
		 * issuer's group into the asker's, once). An asker with no group of its own is
		 * charged to the issuer, whose client the alias was made for. */
		if (a->rep.merge && a->n_merged < MERGED_MAX &&
		    a->rep.merge(a->rep.arg, src, &e->resolver) == 0) {
			a->merged[a->n_merged].asker = *src;
			a->merged[a->n_merged++].issuer = e->resolver;
			a->tab->st.merges++;
		} else if (a->rep.known && !a->rep.known(a->rep.arg, src)) {
			*charge = e->resolver;
		}
	}
	slot = dns_alias_cache_slot(qtype);
	if (slot >= 0 && e->cache[slot].family) {
		if (a->has_rep && a->rep.pending &&
		    !a->rep.pending(a->rep.arg, &e->cache[slot], e->cache_svc[slot])) {
			/* used or expired: this is a new client, not a retransmission */
			memset(&e->cache[slot], 0, sizeof(e->cache[slot]));
		} else {
			*cached = e->cache[slot];
			a->tab->st.cache_hits++;
		}
	}
	return 1;
}

static void
hook_remember(void *arg, const uint8_t *name, uint16_t qtype, const struct addr *addr,
	      int64_t service_id)
{
	struct dns_aliases *a = arg;
	struct dns_alias_entry *e;
	int slot = dns_alias_cache_slot(qtype);

	if (slot < 0)
		return;
	e = lookup(a->tab, name, ev_now_ms(a->loop));
	if (e != NULL) {
		e->cache[slot] = *addr;
		e->cache_svc[slot] = service_id;
	}
}

static void
hook_note(void *arg, const struct addr *src, bool trusted)
{
	struct dns_aliases *a = arg;

	if (a->has_rep && a->rep.note)
		a->rep.note(a->rep.arg, src, trusted);
}

const struct dns_alias_hooks *
dns_aliases_hooks(void)
{
	static const struct dns_alias_hooks hooks = {
		.issue = hook_issue,
		.resolve = hook_resolve,
		.remember = hook_remember,
		.note = hook_note,
	};
	return &hooks;
}
