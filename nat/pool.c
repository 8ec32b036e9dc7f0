/* SPDX-License-Identifier: MIT */
/* nat/pool.c -- circular address pool and bindings (pure logic, no I/O) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "pool_int.h"

/* Index structures: nat/pool_index.c; policy apply: nat/pool_apply.c; cache windows:
 * nat/window.c (this file asks it for each answer's window and reports what it sees). */

/* Entities and (entity, service) pairs the window learner follows at most. */
#define POOL_WIN_ENTITIES 4096
#define POOL_WIN_PAIRS	  16384
/* Above this load a learning resolver's new question gets its live window binding again. */
#define POOL_LEARN_LOAD_PCT 50.0

static bool prefix_has(const struct prefix *pf, const struct addr *a);
static uint32_t grace_of(const struct psvc *s);
static void binding_end(struct nat_pool *p, struct binding *b, enum nat_binding_end how,
			uint64_t now);
static void set_deadline(struct nat_pool *p, struct binding *b, uint64_t deadline);
static int reanswer(struct nat_pool *p, struct binding *b, const struct nat_request *req,
		    const struct nat_win_decision *d, uint32_t grace, uint64_t now,
		    struct addr *out, uint64_t *id);
static void supersede(struct nat_pool *p, struct binding *old, uint32_t grace, uint64_t now);
static int mark_step(struct nat_pool *p, uint64_t key, int64_t service_id, uint64_t now);
static void ghost_add(struct nat_pool *p, const struct binding *b, uint64_t now);
static void ghost_check(struct nat_pool *p, const struct addr *src, struct pkey ip, uint8_t proto,
			uint16_t dport, uint64_t now);
static double family_load(const struct nat_pool *p, bool v6);
static void hits_confirm(struct nat_pool *p, uint64_t now);
static bool release_match(const struct binding *b, const struct addr *resolver,
			  const struct prefix *requestor, int64_t service_id, uint64_t now_ms);

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
	case NAT_BINDING_IDLE:
		return "idle";
	case NAT_BINDING_WITHDRAWN:
		return "withdrawn";
	case NAT_BINDING_DENIED:
		return "denied";
	}
	return "unknown";
}

const char *
nat_req_kind_name(enum nat_req_kind k)
{
	switch (k) {
	case NAT_REQ_ADDRESS:
		return "address";
	case NAT_REQ_SERVICE_INFO:
		return "service-info";
	case NAT_REQ_SRV_TARGET:
		return "srv-target";
	}
	return "unknown";
}

struct nat_pool *
nat_pool_new(void)
{
	struct nat_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	list_init(&p->ids);
	p->n_buckets = 256;
	p->buckets = calloc(p->n_buckets, sizeof(*p->buckets));
	p->next_id = 1;
	p->win = nat_window_new(POOL_WIN_ENTITIES, POOL_WIN_PAIRS);
	if (p->buckets == NULL || p->win == NULL || htab_init(&p->pairs, 256) < 0) {
		nat_window_free(p->win);
		free(p->buckets);
		free(p);
		return NULL;
	}
	return p;
}

void
nat_pool_free(struct nat_pool *p)
{
	struct list *e, *n;

	if (p == NULL)
		return;
	for (e = p->ids.next; e != &p->ids; e = n) {
		n = e->next;
		free(list_item(e, struct binding, inode));
	}
	free(p->addrs);
	free(p->free_bits);
	free(p->svc_addrs);
	free(p->hosts);
	free(p->svcs);
	free(p->buckets);
	htab_fini(&p->pairs);
	free(p->heap);
	nat_window_free(p->win);
	free(p);
}

struct nat_window *
nat_pool_window(struct nat_pool *p)
{
	return p->win;
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

/* The connect grace of a service: how long after an answer its client may connect. */
static uint32_t
grace_of(const struct psvc *s)
{
	return s->timeout_ms ? s->timeout_ms : POL_BINDING_TIMEOUT_MS;
}

bool
nat_pool_pending(const struct nat_pool *p, const struct addr *dst, int64_t service_id,
		 uint64_t now_ms)
{
	const struct psvc *s = nat_pool_svc_find(p, service_id);
	struct pkey k;
	struct binding *b;

	if (s == NULL || (dst->family != AF_INET && dst->family != AF_INET6))
		return false;
	k = nat_pool_key_of(dst);
	for (b = nat_pool_key_find(p, k, s->port, s->proto); b != NULL;
	     b = nat_pool_key_next(b->hnext, k, s->port, s->proto))
		if (b->info.service_id == service_id && b->info.expires_ms > now_ms &&
		    b->info.flows < b->info.flow_limit)
			return true;
	return false;
}

bool
nat_pool_is_pool_addr(const struct nat_pool *p, const struct addr *dst)
{
	if (dst->family != AF_INET && dst->family != AF_INET6)
		return false;
	return nat_pool_addr_index(p, nat_pool_key_of(dst)) >= 0;
}

/* Percent of the family's pool addresses holding a binding (100 without addresses). */
static double
family_load(const struct nat_pool *p, bool v6)
{
	size_t n = v6 ? p->n_addrs - p->n_addrs4 : p->n_addrs4;
	uint32_t a = v6 ? p->allocated6 : p->allocated - p->allocated6;

	return n ? 100.0 * a / (double)n : 100.0;
}

/* ---- life cycle ---- */

static void
binding_end(struct nat_pool *p, struct binding *b, enum nat_binding_end how, uint64_t now)
{
	struct phost *h = nat_pool_host_find(p, b->info.host_id);
	struct nat_win_end e;

	/* A window binding ends at its deadline: used if it admitted a flow, else idle when
	 * an unused end is no evidence (nat_binding_info.no_evidence). */
	if (how == NAT_BINDING_EXPIRED && b->info.flows > 0)
		how = NAT_BINDING_USED;
	else if (how == NAT_BINDING_EXPIRED && b->info.no_evidence)
		how = NAT_BINDING_IDLE;
	e.flows = b->info.flows;
	e.one_source = !b->many_sources;
	e.first_delay = b->info.flows > 0 && b->first_flow_ms > b->info.created_ms
				? (uint32_t)(b->first_flow_ms - b->info.created_ms)
				: 0;
	e.answers = b->info.answers;
	nat_window_ended(p->win, b->win_key, b->pair_id, b->info.id, &e, now);
	if (how == NAT_BINDING_USED && b->info.window_ms == 0)
		ghost_add(p, b, now);
	nat_pool_key_remove(p, b);
	nat_pool_heap_remove(p, b);
	nat_pool_addr_unlink(p, b);
	nat_pool_id_unlink(p, b);
	nat_pool_pair_remove(p, b);
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
	case NAT_BINDING_IDLE:
		p->st.idle++;
		break;
	case NAT_BINDING_WITHDRAWN:
		p->st.withdrawn++;
		break;
	case NAT_BINDING_DENIED:
		p->st.denied++;
		break;
	}
	if (p->on_end)
		p->on_end(p->arg, &b->info, how);
	free(b);
}

/* Move b's deadline and re-arm the timer if it became the earliest. */
static void
set_deadline(struct nat_pool *p, struct binding *b, uint64_t deadline)
{
	b->info.expires_ms = deadline;
	nat_pool_heap_fix(p, b);
	if (b->heap_idx == 0 && p->on_deadline)
		p->on_deadline(p->deadline_arg, b->info.expires_ms);
}

void
nat_pool_binding_end(struct nat_pool *p, struct binding *b, enum nat_binding_end how, uint64_t now)
{
	binding_end(p, b, how, now);
}

void
nat_pool_set_deadline(struct nat_pool *p, struct binding *b, uint64_t deadline)
{
	set_deadline(p, b, deadline);
}

/*
 * A live binding answered again: the window learner coalesced the question, or it is the
 * target of the same resolver's SRV answer. Every answer may bring a client with it: the
 * flow budget grows by window_flows, and the window runs from this answer. A binding answered
 * several times that nobody uses in the end is one NOK (the resolver asked, nobody came); a
 * cache that refreshes on a hit (Knot Resolver) refreshes because a client came.
 */
static int
reanswer(struct nat_pool *p, struct binding *b, const struct nat_request *req,
	 const struct nat_win_decision *d, uint32_t grace, uint64_t now, struct addr *out,
	 uint64_t *id)
{
	uint64_t until = now + (b->info.window_ms ? d->window_ms : 0) + grace;

	b->info.answers++;
	b->info.answered_ms = now;
	if (b->info.flow_limit > 1) {
		uint32_t n = nat_window_flows(p->win);

		b->info.flow_limit =
			b->info.flow_limit > UINT32_MAX - n ? UINT32_MAX : b->info.flow_limit + n;
	}
	if (req->kind == NAT_REQ_SRV_TARGET)
		p->st.srv_targets++;
	else
		p->st.coalesced++;
	if (until > b->info.expires_ms)
		set_deadline(p, b, until);
	(void)nat_window_answered(p->win, b->win_key, b->pair_id, b->info.id, true, now);
	*out = b->info.public_addr;
	*id = b->info.id;
	return 0;
}

/*
 * The same entity got a newer answer for the service: it holds that one now. The old binding
 * stays open a moment for the client that may have got it just before (a resolver that
 * refreshes on a hit hands the old answer to the very client whose question caused the
 * refresh): its connect grace when unused, NAT_WIN_BURST_MS once a flow used it.
 */
static void
supersede(struct nat_pool *p, struct binding *old, uint32_t grace, uint64_t now)
{
	uint64_t until =
		now + (old->info.flows > 0 && grace > NAT_WIN_BURST_MS ? NAT_WIN_BURST_MS : grace);

	if (until < old->info.expires_ms) {
		p->st.superseded++;
		set_deadline(p, old, until);
	}
}

/* nat_pool_note_step on an entity key. */
static int
mark_step(struct nat_pool *p, uint64_t key, int64_t service_id, uint64_t now)
{
	struct binding *b = nat_pool_pair_find(p, key, service_id);

	if (b == NULL || b->info.flows > 0 || b->info.kind != NAT_REQ_ADDRESS ||
	    b->info.no_evidence || b->info.created_ms + NAT_POOL_STEP_MS <= now)
		return 0;
	b->info.no_evidence = true;
	return 1;
}

int
nat_pool_note_step(struct nat_pool *p, const struct addr *resolver, int64_t service_id,
		   uint64_t now_ms)
{
	return mark_step(p, nat_window_key(p->win, resolver), service_id, now_ms);
}

int
nat_pool_request(struct nat_pool *p, const struct nat_request *req, uint64_t now_ms,
		 struct addr *out, enum nat_refusal *why)
{
	uint64_t id;
	bool fresh;

	return nat_pool_request_id(p, req, now_ms, out, why, &id, &fresh);
}

/* Under a nested gateway the name holds a whole address: the service is the nested one's
 * (filled in *tmp), or NULL when the host is not a nested gateway. */
static const struct psvc *
nested_svc(const struct phost *h, int64_t nested_key, struct psvc *tmp)
{
	if (h == NULL || h->n_nested == 0)
		return NULL;
	memset(tmp, 0, sizeof(*tmp));
	tmp->id = nested_key;
	tmp->host_id = h->id;
	tmp->timeout_ms = h->nested_timeout_ms;
	return tmp;
}

/* Where a new binding goes: the service and host it admits to, the private address, a pinhole
 * or the pool address at idx, and the resolver's window. */
struct placement {
	const struct psvc *s;
	struct phost *h;
	const struct addr *priv;
	bool pinhole;
	ssize_t idx;
	int64_t pair_id;
	uint64_t key;
	uint32_t grace;
};

/* A new binding, indexed, on the deadline heap and linked to its address; NULL without
 * memory (nothing changed then). */
static struct binding *
binding_new(struct nat_pool *p, const struct nat_request *req, const struct placement *k,
	    const struct nat_win_decision *d, uint64_t now_ms)
{
	struct binding *b;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->ip = k->pinhole ? nat_pool_key_of(k->priv) : p->addrs[k->idx].ip;
	b->pinhole = k->pinhole;
	b->pair_id = k->pair_id;
	b->win_key = k->key;
	b->info.id = p->next_id++;
	nat_pool_addr_of(b->ip, &b->info.public_addr);
	b->info.protocol = k->s->proto;
	b->info.port = k->s->port;
	b->info.host_id = k->h->id;
	b->info.service_id = k->s->id;
	b->info.nested = req->nested;
	if (!req->nested)
		b->info.private_addr = *k->priv;
	b->info.resolver = req->resolver;
	b->info.has_requestor = req->has_requestor;
	b->info.requestor = req->requestor;
	b->info.sla = req->sla && req->has_requestor;
	b->info.created_ms = now_ms;
	b->info.user = req->user;
	b->info.kind = req->kind;
	b->info.window_ms = d->window_ms;
	b->burst_ms = d->burst_ms;
	b->info.flow_limit = d->window_ms > 0 || d->burst_ms > 0 ? nat_window_flows(p->win) : 1;
	b->info.answers = 1;
	b->info.answered_ms = now_ms;
	b->info.expires_ms = now_ms + d->window_ms + k->grace;
	/* An SRV/TXT answer carries the address as additional data: nobody has to use it. */
	b->info.no_evidence = req->kind == NAT_REQ_SERVICE_INFO;
	if (nat_pool_key_insert(p, b) < 0) {
		free(b);
		return NULL;
	}
	if (nat_pool_heap_push(p, b) < 0) {
		nat_pool_key_remove(p, b);
		free(b);
		return NULL;
	}
	if (k->pinhole)
		p->st.pinholes++;
	else
		nat_pool_addr_link(p, (size_t)k->idx, b);
	list_append(&p->ids, &b->inode);
	k->h->pending++;
	p->st.created++;
	/* the pair index is an optimisation of the window logic: without memory, no window */
	nat_pool_pair_set(p, b);
	return b;
}

int
nat_pool_request_id(struct nat_pool *p, const struct nat_request *req, uint64_t now_ms,
		    struct addr *out, enum nat_refusal *why, uint64_t *id, bool *fresh)
{
	const struct psvc *s = nat_pool_svc_find(p, req->service_id);
	struct phost *h = nat_pool_host_find(p, req->host_id);
	struct psvc nested;
	struct binding *b, *old, *live;
	struct nat_win_decision d;
	enum nat_svc_class cls;
	bool v6 = req->family == AF_INET6, pinhole;
	const struct addr *priv;
	ssize_t reuse, idx;
	size_t from, to;
	uint32_t limit, grace;
	uint64_t key, prev;
	int64_t pair_id;
	double load;

	*why = NAT_REFUSE_NONE;
	*id = 0;
	*fresh = false;
	if (req->nested)
		s = nested_svc(h, req->nested_key, &nested);
	if (s == NULL || h == NULL || s->host_id != h->id) {
		*why = NAT_REFUSE_NO_HOST;
		goto refuse;
	}
	if (s->proxy_required) {
		if (nat_pool_service_addr(p, v6 ? AF_INET6 : AF_INET, out) == 0)
			return 0;
		*why = NAT_REFUSE_EXHAUSTED;
		goto refuse;
	}
	priv = v6 ? &h->ipv6 : &h->ipv4;
	if (priv->family != (v6 ? AF_INET6 : AF_INET)) {
		*why = NAT_REFUSE_NO_HOST;
		goto refuse;
	}
	/* IPv6: a unique local host is reached through the IPv6 pool, any other through a
	 * pinhole on its own address (no pool address spent) */
	pinhole = v6 && !nat_pool_host_ula(h);
	from = v6 ? p->n_addrs4 : 0;
	to = v6 ? p->n_addrs : p->n_addrs4;
	pair_id = v6 ? -s->id : s->id;
	/* Bindings past their deadline must not hold addresses or host slots. */
	nat_pool_expire(p, now_ms);
	grace = grace_of(s);
	key = nat_window_key(p->win, &req->resolver);
	nat_window_decide(p->win, key, now_ms, &d);
	if (req->kind != NAT_REQ_ADDRESS)
		(void)mark_step(p, key, s->id, now_ms);
	old = nat_pool_pair_find(p, key, pair_id);
	if (old != NULL && old->info.expires_ms <= now_ms)
		old = NULL; /* past its deadline: as good as gone */
	/* the resolver's live window binding for this service: what serves a question the pool
	 * cannot or will not give a new address to (admitted when it was made) */
	live = old != NULL && old->info.window_ms > 0 ? old : NULL;
	limit = h->limit ? h->limit : POL_POOL_LIMIT_DEFAULT;
	/* a pinhole spends no address: its load is the host's, pending bindings / its limit */
	load = pinhole ? 100.0 * h->pending / (double)limit : family_load(p, v6);
	if (old != NULL) {
		if (req->kind == NAT_REQ_SRV_TARGET && old->info.kind == NAT_REQ_SERVICE_INFO &&
		    old->info.flows == 0)
			return reanswer(p, old, req, &d, grace, now_ms, out, id);
		/* a caching resolver asks again: the same binding; a learning one too once half
		 * the pool is taken (learning costs addresses; what the binding admits is no
		 * evidence then), and within a burst of its last answer: the same moment's
		 * question from another client of a resolver that does not merge them (Knot
		 * Resolver, cold), which tells nothing, and whichever answer it caches must hold */
		if (live != NULL && d.window_ms > 0 &&
		    (d.coalesce || load >= POOL_LEARN_LOAD_PCT ||
		     now_ms < live->info.answered_ms + NAT_WIN_BURST_MS))
			return reanswer(p, live, req, &d, grace, now_ms, out, id);
	}
	if (h->pending >= limit) {
		*why = NAT_REFUSE_HOST_LIMIT;
		goto refuse;
	}
	reuse = pinhole ? -1 : nat_pool_find_reuse(p, from, to, s->proto, s->port);
	if (s->port == 0 && s->proto == 0)
		cls = NAT_CLASS_FQDN_NEW;
	else if (s->port != 0 && s->proto != 0 && (reuse >= 0 || pinhole))
		cls = NAT_CLASS_SFQDN_REUSE;
	else
		cls = NAT_CLASS_SFQDN_NEW;
	if (p->admit && !p->admit(p->arg, req, load, cls)) {
		/* a resolver that is still learning must not lose its clients' answers to the
		 * load its own learning costs */
		if (live != NULL)
			return reanswer(p, live, req, &d, grace, now_ms, out, id);
		*why = NAT_REFUSE_ADMISSION;
		goto refuse;
	}
	idx = reuse >= 0 || pinhole ? reuse : nat_pool_find_free(p, from, to);
	if (idx < 0 && !pinhole && live != NULL)
		/* no address left (learning) */
		return reanswer(p, live, req, &d, grace, now_ms, out, id);
	if (idx < 0 && !pinhole) {
		*why = NAT_REFUSE_EXHAUSTED;
		goto refuse;
	}

	b = binding_new(p, req,
			&(struct placement){ s, h, priv, pinhole, idx, pair_id, key, grace }, &d,
			now_ms);
	if (b == NULL)
		return -ENOMEM;
	prev = nat_window_answered(p->win, key, pair_id, b->info.id, false, now_ms);
	if (prev != 0 && old != NULL && old->info.id == prev)
		supersede(p, old, grace, now_ms);
	*out = b->info.public_addr;
	*id = b->info.id;
	*fresh = true;
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
	struct pkey ip;
	size_t i;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		goto miss;
	ip = nat_pool_key_of(dst);
	for (i = 0; i < ARRAY_SIZE(wild); i++) {
		uint16_t port = wild[i][0] ? dport : 0;
		uint8_t pr = wild[i][1] ? proto : 0;
		enum nat_lookup res = NAT_LOOKUP_NO_BINDING;
		struct binding *b, *nb;
		bool new_source;

		if ((wild[i][0] && dport == 0) || (wild[i][1] && proto == 0))
			continue;
		/* a pool key has one binding; pinholes of a host may share one: the newest that
		 * admits the flow */
		for (b = nat_pool_key_find(p, ip, port, pr); b != NULL; b = nb) {
			nb = nat_pool_key_next(b->hnext, ip, port, pr);
			if (b->info.nested && b->info.private_addr.family == 0)
				continue; /* (a nested reservation admits nothing before its answer) */
			if (b->info.expires_ms <= now_ms) {
				binding_end(p, b, NAT_BINDING_EXPIRED, now_ms);
				continue;
			}
			if (b->info.sla && !prefix_has(&b->info.requestor, src)) {
				res = res == NAT_LOOKUP_NO_BINDING ? NAT_LOOKUP_SLA : res;
				continue;
			}
			if (b->info.flows >= b->info.flow_limit) {
				res = NAT_LOOKUP_SPENT;
				continue;
			}
			break;
		}
		if (b == NULL && res == NAT_LOOKUP_SLA) {
			p->st.lookup_sla++;
			return NAT_LOOKUP_SLA;
		}
		if (b == NULL && res == NAT_LOOKUP_SPENT) {
			p->st.window_spent++;
			return NAT_LOOKUP_SPENT;
		}
		if (b == NULL)
			continue;
		new_source = b->info.flows == 0 || !addr_eq(&b->first_src, src);
		if (b->info.flows++ == 0) {
			b->first_src = *src;
			b->first_flow_ms = now_ms;
		} else {
			p->st.window_flows++;
			b->many_sources |=
				new_source && now_ms > b->first_flow_ms + NAT_WIN_BURST_MS;
		}
		nat_window_flow(p->win, b->win_key, b->pair_id, b->info.id, b->info.answered_ms,
				b->info.answers, b->info.flows, new_source, b->first_flow_ms,
				b->info.window_ms > 0, now_ms);
		hit->host_id = b->info.host_id;
		hit->service_id = b->info.service_id;
		hit->private_addr = b->info.private_addr;
		hit->binding_id = b->info.id;
		hit->resolver = b->info.resolver;
		hit->has_requestor = b->info.has_requestor;
		hit->requestor = b->info.requestor;
		hit->nested = b->info.nested;
		if (b->info.window_ms == 0 && b->burst_ms == 0)
			binding_end(p, b, NAT_BINDING_USED, now_ms);
		else if (b->info.window_ms == 0 && b->info.flows == 1 &&
			 now_ms + b->burst_ms < b->info.expires_ms)
			/* the other clients of a merged question come at once, or not at all */
			set_deadline(p, b, now_ms + b->burst_ms);
		return NAT_LOOKUP_OK;
	}
	ghost_check(p, src, ip, proto, dport, now_ms);
miss:
	p->st.lookup_miss++;
	return NAT_LOOKUP_NO_BINDING;
}

/* Remember a one-flow binding that its first flow just ended (learning entities only). */
static void
ghost_add(struct nat_pool *p, const struct binding *b, uint64_t now)
{
	struct nat_win_decision d;
	const struct psvc *s;
	struct ghost *g;

	if (b->win_key == 0)
		return;
	nat_window_decide(p->win, b->win_key, now, &d);
	if (d.state == NAT_WIN_PINNED || d.state == NAT_WIN_OFF)
		return;
	g = &p->ghosts[p->next_ghost];
	p->next_ghost = (p->next_ghost + 1) % NAT_POOL_GHOSTS;
	g->ip = b->ip;
	g->port = b->info.port;
	g->proto = b->info.protocol;
	g->key = b->win_key;
	g->answered_ms = b->info.answered_ms;
	g->first_flow_ms = b->first_flow_ms;
	s = nat_pool_svc_find(p, b->info.service_id);
	g->until_ms = b->info.answered_ms + (s != NULL ? grace_of(s) : POL_BINDING_TIMEOUT_MS);
	g->src = b->first_src;
}

/*
 * A refused first packet: another source for a one-flow binding just spent? Then a candidate
 * (hits_confirm decides); and a source refused on another address is a scanner, not a cache's
 * client: its candidates go.
 */
static void
ghost_check(struct nat_pool *p, const struct addr *src, struct pkey ip, uint8_t proto,
	    uint16_t dport, uint64_t now)
{
	struct ghost_hit *h;
	size_t i;

	for (i = 0; p->n_hits > 0 && i < NAT_POOL_HITS; i++) {
		h = &p->hits[i];
		if (h->key != 0 && !pkey_eq(h->ip, ip) && addr_eq(&h->src, src)) {
			h->key = 0;
			p->n_hits--;
		}
	}
	for (i = 0; i < NAT_POOL_GHOSTS; i++) {
		struct ghost *g = &p->ghosts[i];

		if (g->key == 0 || !pkey_eq(g->ip, ip) || g->until_ms <= now)
			continue;
		if ((g->port != 0 && g->port != dport) || (g->proto != 0 && g->proto != proto))
			continue;
		if (addr_eq(&g->src, src) || now <= g->first_flow_ms + NAT_WIN_BURST_MS)
			continue;
		h = &p->hits[p->next_hit];
		p->next_hit = (p->next_hit + 1) % NAT_POOL_HITS;
		if (h->key == 0)
			p->n_hits++;
		h->key = g->key;
		h->answered_ms = g->answered_ms;
		h->at_ms = now;
		h->ip = ip;
		h->src = *src;
		g->key = 0; /* one candidate per answer */
	}
}

/* Candidates whose source was refused nowhere else for a while become window evidence. */
static void
hits_confirm(struct nat_pool *p, uint64_t now)
{
	size_t i;

	for (i = 0; p->n_hits > 0 && i < NAT_POOL_HITS; i++) {
		struct ghost_hit *h = &p->hits[i];

		if (h->key == 0 || h->at_ms + NAT_POOL_HIT_CONFIRM_MS > now)
			continue;
		nat_window_missed(p->win, h->key, h->answered_ms, h->at_ms);
		h->key = 0;
		p->n_hits--;
	}
}

static bool
prefix_eq(const struct prefix *a, const struct prefix *b)
{
	return a->len == b->len && addr_eq(&a->addr, &b->addr);
}

/* The release decision for one binding (nat_pool_release_unused): only an A answer (what a
 * minimisation step asks) that is still just the answer to that one question. */
static bool
release_match(const struct binding *b, const struct addr *resolver, const struct prefix *requestor,
	      int64_t service_id, uint64_t now_ms)
{
	if (b->info.service_id != service_id || b->info.expires_ms <= now_ms)
		return false;
	if (b->info.flows > 0 || b->info.answers > 1 || b->info.kind != NAT_REQ_ADDRESS)
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
	const struct psvc *s = nat_pool_svc_find(p, service_id);
	struct psvc nested = { .id = service_id };
	uint64_t life;
	struct binding *b;

	if (s == NULL && service_id < 0)
		s = &nested; /* a name below a nested gateway (its key, dns_nest_key) */
	if (s == NULL || s->proxy_required || resolver->family == 0)
		return 0;
	life = grace_of(s);
	/* Newest first; the walk stops at bindings older than one binding timeout (a
	 * minimisation step is followed by the name below it within milliseconds). */
	for (struct list *e = p->ids.prev; e != &p->ids; e = e->prev) {
		b = list_item(e, struct binding, inode);
		if (b->info.created_ms + life <= now_ms)
			break;
		if (release_match(b, resolver, requestor, service_id, now_ms)) {
			if (released != NULL)
				*released = b->info;
			binding_end(p, b, NAT_BINDING_RELEASED, now_ms);
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
		binding_end(p, p->heap[0], NAT_BINDING_EXPIRED, now_ms);
	hits_confirm(p, now_ms);
	return nat_pool_next_deadline(p);
}

int
nat_pool_foreach(const struct nat_pool *p, nat_binding_iter_cb cb, void *arg)
{
	const struct list *e;
	int rc;

	for (e = p->ids.next; e != &p->ids; e = e->next)
		if ((rc = cb(arg, &list_citem(e, struct binding, inode)->info)) != 0)
			return rc;
	return 0;
}

void
nat_pool_get_stats(const struct nat_pool *p, struct nat_pool_stats *out)
{
	*out = p->st;
	out->size = (uint32_t)p->n_addrs;
	out->allocated = p->allocated;
	out->size6 = (uint32_t)(p->n_addrs - p->n_addrs4);
	out->allocated6 = p->allocated6;
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
