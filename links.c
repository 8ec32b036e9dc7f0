/* SPDX-License-Identifier: MIT */
/* links.c -- the callbacks between rgwd's subsystems (links.h) */
#include <stdlib.h>

#include "alg/alg.h"
#include "api/api.h"
#include "common/array.h"
#include "common/log.h"
#include "dns/alias.h"
#include "dns/dns.h"
#include "ha.h"
#include "ids/ids.h"
#include "links.h"
#include "nat/nat.h"
#include "nat/reputation.h"
#include "nat/window.h"

static int alloc_from_pool(void *arg, const struct nat_request *req, struct addr *out,
			   enum nat_refusal *why);
static int nest_reserve(void *arg, const struct nat_request *req, struct addr *out,
			enum nat_refusal *why, uint64_t *id, bool *fresh);
static int nest_bind(void *arg, uint64_t id, const struct addr *target);
static void nest_withdraw(void *arg, uint64_t id, bool denied);
static const struct dns_nest_hooks nest_hooks;
static unsigned qmin_release(void *arg, const struct addr *resolver, const struct prefix *requestor,
			     const int64_t *service_ids, size_t n);
static void qmin_step_note(void *arg, const struct addr *resolver, int64_t service_id);
static int alias_merge(void *arg, const struct addr *asker, const struct addr *issuer);
static bool alias_known(void *arg, const struct addr *resolver);
static void alias_note(void *arg, const struct addr *resolver, bool trusted);
static bool alias_pending(void *arg, const struct addr *public_addr, int64_t service_id);
static void alias_cached(void *arg, const struct addr *resolver, uint64_t issued_ms);
static bool ids_inside(void *arg, const struct addr *a);
static void on_alg_evidence(void *arg, const struct alg_ev *ev, size_t n);
static int lowrep_add(void *arg, const struct addr *a, double value);
static void on_lowrep_timer(struct ev_loop *loop, uint64_t id, void *arg);
static json_t *ha_status(void *arg);
static int ha_role(void *arg, const char *role);
static const char *ha_refuse(void *arg);
static void ha_tokens(void *arg);

void
links_init(struct links *k, struct ev_loop *loop, const struct conf *conf, struct policy_parts *pol)
{
	k->loop = loop;
	k->conf = conf;
	k->pol = pol;
	k->lowrep_timer = 0;
}

void
links_dns(struct links *k, struct dns_aliases *aliases)
{
	dns_set_allocator(k->pol->dns, alloc_from_pool, k);
	dns_set_nest_hooks(k->pol->dns, &nest_hooks, k);
	if (k->conf->dns_qmin_release) {
		dns_set_qmin_hook(k->pol->dns, qmin_release, k);
		dns_set_step_hook(k->pol->dns, qmin_step_note, k);
	}
	dns_aliases_set_rep(aliases, &(struct dns_alias_rep){ .merge = alias_merge,
							      .known = alias_known,
							      .note = alias_note,
							      .pending = alias_pending,
							      .cached = alias_cached,
							      .arg = k });
	dns_set_alias_hooks(k->pol->dns, dns_aliases_hooks(), aliases);
}

int
links_alg(struct links *k)
{
	return alg_set_evidence(k->pol->alg, k->loop, on_alg_evidence, k);
}

void
links_ids(struct links *k, struct ids *ids)
{
	ids_set_inside(ids, ids_inside, k);
}

void
links_api_ha(struct api_views *v, struct ha *ha)
{
	v->commit = ha_commit;
	v->commit_arg = ha;
	v->ha_status = ha_status;
	v->ha_set_role = ha_role;
	v->ha_refusal = ha_refuse;
	v->ha_tokens = ha_tokens;
	v->ha_arg = ha;
}

void
links_stop(struct links *k)
{
	if (k->lowrep_timer)
		ev_timer_del(k->loop, k->lowrep_timer);
	k->lowrep_timer = 0;
}

/*
 * The DNS asks the pool for a binding. A binding is restricted to the requestor's subnet
 * (SLA binding) when the resolver belongs to an SLA group and named the requestor.
 */
static int
alloc_from_pool(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	struct links *k = arg;
	struct nat_request r = *req;

	r.sla = r.has_requestor && nat_rep_resolver_sla(k->pol->rep, &r.resolver);
	return nat_request(k->pol->nat, &r, out, why);
}

/* Nested gateways: our address reserved, then bound to their answer or withdrawn. */
static int
nest_reserve(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why,
	     uint64_t *id, bool *fresh)
{
	struct links *k = arg;
	struct nat_request r = *req;

	r.sla = r.has_requestor && nat_rep_resolver_sla(k->pol->rep, &r.resolver);
	return nat_request_id(k->pol->nat, &r, out, why, id, fresh);
}

static int
nest_bind(void *arg, uint64_t id, const struct addr *target)
{
	return nat_nest_bind(((struct links *)arg)->pol->nat, id, target);
}

static void
nest_withdraw(void *arg, uint64_t id, bool denied)
{
	(void)nat_nest_withdraw(((struct links *)arg)->pol->nat, id, denied);
}

static const struct dns_nest_hooks nest_hooks = { nest_reserve, nest_bind, nest_withdraw };

/* A QNAME minimisation step gives its unused binding back (no reputation evidence). */
static unsigned
qmin_release(void *arg, const struct addr *resolver, const struct prefix *requestor,
	     const int64_t *service_ids, size_t n)
{
	struct links *k = arg;
	unsigned released = 0;
	size_t i;

	for (i = 0; i < n; i++)
		released += (unsigned)nat_release_unused(k->pol->nat, resolver, requestor,
							 service_ids[i]);
	return released;
}

/* Another QTYPE right after an A for the same pooled name: the A was a step (no evidence). */
static void
qmin_step_note(void *arg, const struct addr *resolver, int64_t service_id)
{
	struct links *k = arg;

	(void)nat_note_step(k->pol->nat, resolver, service_id);
}

/* One-time CNAME aliases and the resolver evidence they give, fed to the reputation engine. */
static int
alias_merge(void *arg, const struct addr *asker, const struct addr *issuer)
{
	return nat_rep_merge_resolvers(((struct links *)arg)->pol->rep, asker, issuer);
}

static bool
alias_known(void *arg, const struct addr *resolver)
{
	return nat_rep_resolver_known(((struct links *)arg)->pol->rep, resolver);
}

static void
alias_note(void *arg, const struct addr *resolver, bool trusted)
{
	nat_rep_note_query(((struct links *)arg)->pol->rep, resolver, trusted);
}

static bool
alias_pending(void *arg, const struct addr *public_addr, int64_t service_id)
{
	struct links *k = arg;

	return nat_pool_pending(nat_get_pool(k->pol->nat), public_addr, service_id,
				ev_now_ms(k->loop));
}

/* A resolver kept a TTL-0 CNAME and asked for its alias later: cache-window evidence (Knot
 * Resolver keeps the CNAME for its cache.min_ttl and asks each client's alias again, while it
 * completes most questions upstream; without this its rare cached answer met a window lowered
 * to 0). */
static void
alias_cached(void *arg, const struct addr *resolver, uint64_t issued_ms)
{
	struct links *k = arg;
	struct nat_window *w = nat_pool_window(nat_get_pool(k->pol->nat));

	nat_window_missed(w, nat_window_key(w, resolver), issued_ms, ev_now_ms(k->loop));
}

/* A private host of the policy in force is never blocked by the IDS. */
static bool
ids_inside(void *arg, const struct addr *a)
{
	const struct pol_snap *s = ((struct links *)arg)->pol->snap;
	size_t i;

	for (i = 0; s != NULL && i < s->n_hosts; i++)
		if (addr_eq(&s->hosts[i].ipv4, a) || addr_eq(&s->hosts[i].ipv6, a))
			return true;
	for (i = 0; s != NULL && i < s->n_service_addrs; i++)
		if (addr_eq(&s->service_addrs[i].addr, a))
			return true;
	return false;
}

/* ALG reputation: evidence from the workers, low-reputation sources back to them. */
static void
on_alg_evidence(void *arg, const struct alg_ev *ev, size_t n)
{
	static const enum nat_rep_flow why[ALG_EV_COUNT] = {
		[ALG_EV_SILENT] = NAT_REP_FLOW_ALG_SILENT,
		[ALG_EV_UNROUTED] = NAT_REP_FLOW_ALG_UNROUTED,
		[ALG_EV_GARBAGE] = NAT_REP_FLOW_ALG_GARBAGE,
		[ALG_EV_CAP] = NAT_REP_FLOW_ALG_CAP,
		[ALG_EV_SLOW] = NAT_REP_FLOW_ALG_SLOW,
	};
	struct links *k = arg;
	size_t i;

	for (i = 0; i < n; i++)
		if (ev[i].why < ALG_EV_COUNT)
			nat_rep_flow_nok(k->pol->rep, why[ev[i].why], &ev[i].src, NULL, NULL);
	links_lowrep_soon(k);
}

struct lowrep_ctx {
	struct addr *a;
	size_t n, cap;
};

static int
lowrep_add(void *arg, const struct addr *a, double value)
{
	struct lowrep_ctx *c = arg;

	(void)value;
	if (ARRAY_RESERVE(c->a, c->cap, c->n + 1) < 0)
		return 1;
	c->a[c->n++] = *a;
	return 0;
}

/* The workers' snapshot follows the evidence within 100 ms, at most ten times a second. */
#define LOWREP_DELAY_MS 100

static void
on_lowrep_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct links *k = arg;
	struct lowrep_ctx c = { 0 };

	(void)loop;
	(void)id;
	k->lowrep_timer = 0;
	if (k->pol->alg == NULL || k->pol->rep == NULL || k->conf->alg_rep_threshold_pct == 0)
		return;
	nat_rep_low_sources(k->pol->rep, (double)k->conf->alg_rep_threshold_pct / 100.0, lowrep_add,
			    &c);
	if (alg_set_low_sources(k->pol->alg, c.a, c.n) < 0)
		log_warnx("rgwd: alg: cannot publish the low-reputation sources");
	free(c.a);
}

void
links_lowrep_soon(struct links *k)
{
	if (k->lowrep_timer == 0)
		k->lowrep_timer = ev_timer_add(k->loop, LOWREP_DELAY_MS, on_lowrep_timer, k);
}

static json_t *
ha_status(void *arg)
{
	return ha_status_json(arg);
}

static int
ha_role(void *arg, const char *role)
{
	return ha_set_role(arg, role);
}

static const char *
ha_refuse(void *arg)
{
	return ha_refusal(arg);
}

static void
ha_tokens(void *arg)
{
	ha_tokens_changed(arg);
}
