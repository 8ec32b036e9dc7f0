/* SPDX-License-Identifier: MIT */
/* nat/window.c -- resolver cache windows: evidence and decisions (pure logic, no I/O) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/htab.h"
#include "../common/list.h"
#include "../common/util.h"
#include "window.h"

/*
 * Entities: the policy's resolver groups (an array rebuilt at every apply, evidence carried
 * over by name) and, for resolvers outside every group, one entity per address in a bounded
 * LRU table. (entity, service) slots follow the newest answer of each pair, in a second LRU
 * table. Both tables are the same small chained hash with an LRU list.
 */

enum sample_kind {
	S_NONE = 0,
	S_CLEAN,
	S_CACHED,
};

struct sample {
	uint8_t kind;
	uint32_t ms;
	uint64_t at;
};

struct evidence {
	struct sample ring[NAT_WIN_RING];
	unsigned next;
};

struct lnode {
	uint64_t k1;
	int64_t k2;
	struct hnode hn;
	struct list node; /* in the LRU, most recent first */
};

struct lru {
	struct htab ht;
	size_t max;
	struct list order;
	size_t size; /* node size, header included */
};

struct auto_ent {
	struct lnode ln; /* k1 = key */
	struct addr resolver;
	struct evidence ev;
};

/* The newest answer of one (entity, service) pair. */
struct slot {
	struct lnode ln;	/* k1 = key, k2 = service id */
	uint64_t live_id;	/* the binding answered last, while it lives */
	uint64_t last_answer;	/* when it was answered (last time) */
	bool clean_ready;	/* it ended used once, promptly, by one source */
	uint64_t superseded_id; /* the previous binding, superseded at superseded_at */
	uint64_t superseded_at;
	uint32_t reask_ms; /* how long after its answer the new question came */
	bool superseded_dirty;
};

struct group {
	char name[64];
	uint64_t key;
	bool pinned;
	uint32_t pin_ms;
	struct prefix *nodes;
	size_t n_nodes;
	struct evidence ev;
};

struct nat_window {
	uint32_t default_ms;
	uint32_t flows;
	struct group *groups;
	size_t n_groups;
	struct lru autos;
	struct lru slots;
};

static uint64_t fnv64(const void *p, size_t n);
static int lru_init(struct lru *l, size_t max, size_t size);
static void lru_fini(struct lru *l);
static struct lnode *lru_find(struct lru *l, uint64_t k1, int64_t k2);
static struct lnode *lru_get(struct lru *l, uint64_t k1, int64_t k2, bool *created);
static uint64_t lru_hash(uint64_t k1, int64_t k2);
static void lru_unlink(struct lru *l, struct lnode *n);
static void lru_push(struct lru *l, struct lnode *n);
static void lru_remove(struct lru *l, struct lnode *victim);
static void free_groups(struct group *g, size_t n);
static struct group *group_of(struct nat_window *w, const struct addr *resolver);
static int cmp_u32(const void *a, const void *b);
static void sample(struct nat_window *w, uint64_t key, enum sample_kind kind, uint64_t ms,
		   uint64_t now);
static struct evidence *evidence_of(struct nat_window *w, uint64_t key, struct group **g);
static void add_sample(struct evidence *ev, enum sample_kind kind, uint64_t ms, uint64_t now);
static void judge(const struct nat_window *w, const struct evidence *ev, const struct group *g,
		  uint64_t now, struct nat_win_decision *d, struct nat_win_entry *e);

#define KEY_MASK  ((1ull << 62) - 1)
#define KEY_V4	  (1ull << 62)
#define KEY_V6	  (2ull << 62)
#define KEY_GROUP (3ull << 62)

static uint64_t
fnv64(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

const char *
nat_win_state_name(enum nat_win_state s)
{
	switch (s) {
	case NAT_WIN_LEARNING:
		return "learning";
	case NAT_WIN_CACHING:
		return "caching";
	case NAT_WIN_LOWERED:
		return "lowered";
	case NAT_WIN_PINNED:
		return "pinned";
	case NAT_WIN_OFF:
		return "off";
	}
	return "unknown";
}

/* ---- the LRU hash ---- */

static int
lru_init(struct lru *l, size_t max, size_t size)
{
	memset(l, 0, sizeof(*l));
	/* at least 64 buckets, at most 2^20 to begin with (it grows with its entries) */
	if (htab_init(&l->ht, MAX(64, MIN(max, (size_t)1 << 20))) < 0)
		return -ENOMEM;
	l->max = max ? max : 1;
	l->size = size;
	list_init(&l->order);
	return 0;
}

static void
lru_fini(struct lru *l)
{
	struct list *e, *next;

	for (e = l->order.next; e != &l->order; e = next) {
		next = e->next;
		free(list_item(e, struct lnode, node));
	}
	htab_fini(&l->ht);
	list_init(&l->order);
}

static uint64_t
lru_hash(uint64_t k1, int64_t k2)
{
	uint64_t h = k1 * 0x9e3779b97f4a7c15ull ^ (uint64_t)k2 * 0xc2b2ae3d27d4eb4full;

	return h ^ (h >> 29);
}

static void
lru_unlink(struct lru *l, struct lnode *n)
{
	(void)l;
	list_unlink(&n->node);
}

static void
lru_push(struct lru *l, struct lnode *n)
{
	list_insert_after(&l->order, &n->node);
}

static struct lnode *
lru_find(struct lru *l, uint64_t k1, int64_t k2)
{
	uint64_t h = lru_hash(k1, k2);
	struct hnode *hn;

	htab_for_each(&l->ht, h, hn) {
		struct lnode *n = htab_item(hn, struct lnode, hn);

		if (n->k1 == k1 && n->k2 == k2)
			return n;
	}
	return NULL;
}

static void
lru_remove(struct lru *l, struct lnode *victim)
{
	htab_del(&l->ht, &victim->hn);
	lru_unlink(l, victim);
	free(victim);
}

/* Find or create (zeroed); a hit becomes the most recent. NULL only on ENOMEM. */
static struct lnode *
lru_get(struct lru *l, uint64_t k1, int64_t k2, bool *created)
{
	struct lnode *n = lru_find(l, k1, k2);

	*created = false;
	if (n != NULL) {
		lru_unlink(l, n);
		lru_push(l, n);
		return n;
	}
	if (l->ht.n >= l->max && !list_empty(&l->order))
		lru_remove(l, list_item(l->order.prev, struct lnode, node)); /* the least recent */
	n = calloc(1, l->size);
	if (n == NULL)
		return NULL;
	n->k1 = k1;
	n->k2 = k2;
	htab_add(&l->ht, &n->hn, lru_hash(k1, k2));
	lru_push(l, n);
	*created = true;
	return n;
}

/* ---- life cycle and policy ---- */

struct nat_window *
nat_window_new(size_t max_auto, size_t max_slots)
{
	struct nat_window *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	if (lru_init(&w->autos, max_auto, sizeof(struct auto_ent)) < 0 ||
	    lru_init(&w->slots, max_slots, sizeof(struct slot)) < 0) {
		nat_window_free(w);
		return NULL;
	}
	w->default_ms = POL_CACHE_WINDOW_DEFAULT_MS;
	w->flows = POL_WINDOW_FLOWS_DEFAULT;
	return w;
}

static void
free_groups(struct group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(g[i].nodes);
	free(g);
}

void
nat_window_free(struct nat_window *w)
{
	if (w == NULL)
		return;
	free_groups(w->groups, w->n_groups);
	lru_fini(&w->autos);
	lru_fini(&w->slots);
	free(w);
}

/* The groups and settings of a policy, built aside so that the swap cannot fail. */
struct nat_window_plan {
	struct group *groups;
	size_t n_groups;
	uint32_t default_ms, flows;
};

void
nat_window_plan_free(struct nat_window_plan *pl)
{
	if (pl == NULL)
		return;
	free_groups(pl->groups, pl->n_groups);
	free(pl);
}

int
nat_window_prepare(const struct pol_snap *snap, struct nat_window_plan **out)
{
	struct nat_window_plan *pl = calloc(1, sizeof(*pl));
	size_t i, k, n;

	*out = NULL;
	if (pl == NULL)
		return -ENOMEM;
	if (snap->n_resolver_groups > 0) {
		pl->groups = calloc(snap->n_resolver_groups, sizeof(*pl->groups));
		if (pl->groups == NULL)
			goto fail;
		pl->n_groups = snap->n_resolver_groups;
	}
	for (i = 0; i < snap->n_resolver_groups; i++) {
		const struct pol_resolver_group *pg = &snap->resolver_groups[i];
		struct group *g = &pl->groups[i];

		util_strlcpy(g->name, pg->name, sizeof(g->name));
		g->key = KEY_GROUP | (fnv64(g->name, strlen(g->name)) & KEY_MASK);
		g->pinned = pg->has_cache_window;
		g->pin_ms = pg->cache_window_ms;
		for (n = 0, k = 0; k < snap->n_resolver_nodes; k++)
			n += snap->resolver_nodes[k].group_id == pg->id;
		if (n > 0 && (g->nodes = calloc(n, sizeof(*g->nodes))) == NULL)
			goto fail;
		for (k = 0; k < snap->n_resolver_nodes; k++)
			if (snap->resolver_nodes[k].group_id == pg->id)
				g->nodes[g->n_nodes++] = snap->resolver_nodes[k].prefix;
	}
	pl->default_ms = snap->admission.cache_window_ms;
	pl->flows = snap->admission.window_flows ? snap->admission.window_flows : 1;
	*out = pl;
	return 0;
fail:
	nat_window_plan_free(pl);
	return -ENOMEM;
}

void
nat_window_commit(struct nat_window *w, struct nat_window_plan *pl)
{
	size_t i, j;

	/* a group keeps its evidence while its name stays */
	for (i = 0; i < pl->n_groups; i++)
		for (j = 0; j < w->n_groups; j++)
			if (strcmp(w->groups[j].name, pl->groups[i].name) == 0)
				pl->groups[i].ev = w->groups[j].ev;
	free_groups(w->groups, w->n_groups);
	w->groups = pl->groups;
	w->n_groups = pl->n_groups;
	w->default_ms = pl->default_ms;
	w->flows = pl->flows;
	free(pl);
}

int
nat_window_apply(struct nat_window *w, const struct pol_snap *snap)
{
	struct nat_window_plan *pl;
	int rc = nat_window_prepare(snap, &pl);

	if (rc == 0)
		nat_window_commit(w, pl);
	return rc;
}

uint32_t
nat_window_flows(const struct nat_window *w)
{
	return w->flows;
}

/* Longest-prefix match over the groups' nodes (as the reputation engine matches them). */
static struct group *
group_of(struct nat_window *w, const struct addr *resolver)
{
	struct group *best = NULL;
	int best_len = -1;
	size_t i, j;

	for (i = 0; i < w->n_groups; i++)
		for (j = 0; j < w->groups[i].n_nodes; j++) {
			const struct prefix *p = &w->groups[i].nodes[j];

			if ((int)p->len > best_len && prefix_contains(p, resolver)) {
				best = &w->groups[i];
				best_len = p->len;
			}
		}
	return best;
}

uint64_t
nat_window_key(struct nat_window *w, const struct addr *resolver)
{
	struct group *g;
	struct auto_ent *a;
	uint64_t key;
	bool created;

	if (resolver->family != AF_INET && resolver->family != AF_INET6)
		return 0;
	g = group_of(w, resolver);
	if (g != NULL)
		return g->key;
	if (resolver->family == AF_INET)
		key = KEY_V4 | (uint64_t)ntohl(resolver->u.v4.s_addr);
	else
		key = KEY_V6 | (fnv64(resolver->u.bytes, 16) & KEY_MASK);
	a = (struct auto_ent *)lru_get(&w->autos, key, 0, &created);
	if (a != NULL && created)
		a->resolver = *resolver;
	return key;
}

/* The evidence of an entity (and its group when it is one); NULL for an unknown key. */
static struct evidence *
evidence_of(struct nat_window *w, uint64_t key, struct group **g)
{
	struct auto_ent *a;
	size_t i;

	*g = NULL;
	if ((key & KEY_GROUP) == KEY_GROUP) {
		for (i = 0; i < w->n_groups; i++)
			if (w->groups[i].key == key) {
				*g = &w->groups[i];
				return &w->groups[i].ev;
			}
		return NULL;
	}
	a = (struct auto_ent *)lru_find(&w->autos, key, 0);
	return a != NULL ? &a->ev : NULL;
}

static void
add_sample(struct evidence *ev, enum sample_kind kind, uint64_t ms, uint64_t now)
{
	struct sample *s = &ev->ring[ev->next];

	s->kind = (uint8_t)kind;
	s->ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	s->at = now;
	ev->next = (ev->next + 1) % NAT_WIN_RING;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The decision rule of window.h, and the figures behind it (e may be NULL). */
static void
judge(const struct nat_window *w, const struct evidence *ev, const struct group *g, uint64_t now,
      struct nat_win_decision *d, struct nat_win_entry *e)
{
	uint32_t clean[NAT_WIN_RING], cached_max = 0, p25 = 0;
	unsigned n_clean = 0, n_cached = 0, i;

	for (i = 0; ev != NULL && i < NAT_WIN_RING; i++) {
		const struct sample *s = &ev->ring[i];

		if (s->kind == S_NONE || s->at + NAT_WIN_EVIDENCE_MS <= now)
			continue;
		if (s->kind == S_CLEAN) {
			clean[n_clean++] = s->ms;
		} else {
			n_cached++;
			if (s->ms > cached_max)
				cached_max = s->ms;
		}
	}
	if (n_clean > 0) {
		util_sort(clean, n_clean, sizeof(clean[0]), cmp_u32);
		p25 = clean[n_clean / 4];
	}
	d->coalesce = false;
	d->burst_ms = 0;
	if (g != NULL && g->pinned) {
		d->state = NAT_WIN_PINNED;
		d->window_ms = g->pin_ms;
		d->coalesce = g->pin_ms > 0;
	} else if (w->default_ms == 0) {
		d->state = NAT_WIN_OFF;
		d->window_ms = 0;
	} else if (n_cached > 0) {
		d->state = NAT_WIN_CACHING;
		d->window_ms = w->default_ms;
		d->coalesce = true;
	} else if (n_clean >= NAT_WIN_MIN_CLEAN) {
		d->state = NAT_WIN_LOWERED;
		d->window_ms = p25 < NAT_WIN_STRICT_BELOW_MS ? 0
			       : p25 < w->default_ms	     ? p25
							     : w->default_ms;
		d->burst_ms = d->window_ms == 0 ? NAT_WIN_BURST_MS : 0;
	} else {
		d->state = NAT_WIN_LEARNING;
		d->window_ms = w->default_ms;
	}
	if (e != NULL) {
		e->d = *d;
		e->pinned_ms = g != NULL && g->pinned ? g->pin_ms : 0;
		e->clean = n_clean;
		e->cached = n_cached;
		e->clean_p25_ms = p25;
		e->cached_max_ms = cached_max;
	}
}

void
nat_window_decide(struct nat_window *w, uint64_t key, uint64_t now, struct nat_win_decision *out)
{
	struct group *g = NULL;
	struct evidence *ev = key != 0 ? evidence_of(w, key, &g) : NULL;

	judge(w, ev, g, now, out, NULL);
}

/* ---- observations ---- */

static void
sample(struct nat_window *w, uint64_t key, enum sample_kind kind, uint64_t ms, uint64_t now)
{
	struct group *g;
	struct evidence *ev = evidence_of(w, key, &g);

	if (ev != NULL && (g == NULL || !g->pinned))
		add_sample(ev, kind, ms, now);
}

uint64_t
nat_window_answered(struct nat_window *w, uint64_t key, int64_t service_id, uint64_t id,
		    bool coalesced, uint64_t now)
{
	struct slot *s;
	uint64_t prev = 0;
	bool created;

	if (key == 0)
		return 0;
	s = (struct slot *)lru_get(&w->slots, key, service_id, &created);
	if (s == NULL)
		return 0;
	if (coalesced && s->live_id == id) {
		s->last_answer = now;
		return 0;
	}
	if (!created && s->clean_ready) {
		/* the previous answer was used once, promptly, and is gone: a re-ask after x */
		sample(w, key, S_CLEAN, now - s->last_answer, now);
	} else if (!created && s->live_id != 0 && s->live_id != id) {
		prev = s->live_id;
		s->superseded_id = prev;
		s->superseded_at = now;
		s->superseded_dirty = false;
		s->reask_ms = (uint32_t)(now - s->last_answer > UINT32_MAX ? UINT32_MAX
									   : now - s->last_answer);
	}
	s->live_id = id;
	s->last_answer = now;
	s->clean_ready = false;
	return prev;
}

void
nat_window_flow(struct nat_window *w, uint64_t key, int64_t service_id, uint64_t id,
		uint64_t answered_ms, uint32_t answers, uint32_t flow_no, bool new_source,
		uint64_t first_ms, bool windowed, uint64_t now)
{
	uint64_t age = now > answered_ms ? now - answered_ms : 0;
	struct slot *s;

	if (key == 0)
		return;
	s = (struct slot *)lru_find(&w->slots, key, service_id);
	if (s != NULL && s->superseded_id == id && now >= s->superseded_at) {
		/* a newer answer was given, yet this one is still served: a cache (Knot
		 * Resolver refreshes an expiring record on a hit and serves the old one) --
		 * unless it is the same burst */
		s->superseded_dirty = true;
		if (now > s->superseded_at + NAT_WIN_BURST_MS)
			sample(w, key, S_CACHED, age, now);
		return;
	}
	if ((flow_no > 1 && new_source && answers == 1 && now > first_ms + NAT_WIN_BURST_MS) ||
	    (flow_no == 1 && windowed && age > NAT_WIN_PROMPT_MS))
		sample(w, key, S_CACHED, age, now);
}

void
nat_window_ended(struct nat_window *w, uint64_t key, int64_t service_id, uint64_t id,
		 const struct nat_win_end *e, uint64_t now)
{
	bool clean = e->flows >= 1 && e->one_source && e->first_delay <= NAT_WIN_PROMPT_MS &&
		     e->answers == 1;
	struct slot *s;

	if (key == 0)
		return;
	s = (struct slot *)lru_find(&w->slots, key, service_id);
	if (s == NULL)
		return;
	if (s->live_id == id) {
		s->live_id = 0;
		s->clean_ready = clean;
	} else if (s->superseded_id == id) {
		if (clean && !s->superseded_dirty)
			sample(w, key, S_CLEAN, s->reask_ms, now);
		s->superseded_id = 0;
	}
}

void
nat_window_missed(struct nat_window *w, uint64_t key, uint64_t answered_ms, uint64_t now)
{
	if (key != 0)
		sample(w, key, S_CACHED, now > answered_ms ? now - answered_ms : 0, now);
}

void
nat_window_foreach(struct nat_window *w, uint64_t now, nat_win_iter_cb cb, void *arg)
{
	struct nat_win_entry e;
	struct nat_win_decision d;
	size_t i;

	for (i = 0; i < w->n_groups; i++) {
		memset(&e, 0, sizeof(e));
		util_strlcpy(e.name, w->groups[i].name, sizeof(e.name));
		judge(w, &w->groups[i].ev, &w->groups[i], now, &d, &e);
		if (cb(arg, &e))
			return;
	}
	for (struct list *le = w->autos.order.next; le != &w->autos.order; le = le->next) {
		struct auto_ent *a = (struct auto_ent *)list_item(le, struct lnode, node);

		memset(&e, 0, sizeof(e));
		memcpy(e.name, "resolver:", 9);
		addr_ntop(&a->resolver, e.name + 9, sizeof(e.name) - 9);
		judge(w, &a->ev, NULL, now, &d, &e);
		if (cb(arg, &e))
			return;
	}
}
