/* SPDX-License-Identifier: MIT */
/* api/views.c -- read-only JSON and Prometheus views of the live subsystems, for the API */

#include <errno.h>

#include "../alg/alg.h"
#include "../common/addr.h"
#include "../common/buf.h"
#include "../common/ev.h"
#include "../dns/alias.h"
#include "../dns/dns.h"
#include "../nat/nat.h"
#include "../nat/reputation.h"
#include "../nat/window.h"
#include "views.h"

struct binding_ctx {
	const struct api_views *v;
	json_t *arr;
};

static int binding_to_json(void *arg, const struct nat_binding_info *b);
static json_t *aliases_json(const struct dns_aliases *a);
static json_t *rejected_json(const struct nat *n);
static int rep_to_json(void *arg, const struct nat_rep_entry *e);

static int
binding_to_json(void *arg, const struct nat_binding_info *b)
{
	const struct binding_ctx *c = arg;
	const struct api_views *d = c->v;
	json_t *arr = c->arr;
	char pub[ADDR_STRLEN], priv[ADDR_STRLEN], res[ADDR_STRLEN], req[PREFIX_STRLEN];
	const struct pol_host *h = *d->snap ? pol_snap_host(*d->snap, b->host_id) : NULL;
	uint64_t now = ev_now_ms(d->loop);
	const char *proto = pol_proto_name(b->protocol);
	json_t *o;

	o = json_pack("{s:I, s:s, s:s, s:i, s:s, s:s, s:s, s:b, s:I, s:s, s:I, s:I, s:I, s:I, "
		      "s:b}",
		      "id", (json_int_t)b->id, "public",
		      addr_ntop(&b->public_addr, pub, sizeof(pub)), "protocol",
		      proto ? proto : "other", "port", b->port, "host", h ? h->fqdn : "", "private",
		      addr_ntop(&b->private_addr, priv, sizeof(priv)), "resolver",
		      addr_ntop(&b->resolver, res, sizeof(res)), "sla", b->sla, "expires_ms",
		      (json_int_t)(b->expires_ms > now ? b->expires_ms - now : 0), "answered",
		      nat_req_kind_name(b->kind), "window_ms", (json_int_t)b->window_ms, "flows",
		      (json_int_t)b->flows, "flow_limit", (json_int_t)b->flow_limit, "answers",
		      (json_int_t)b->answers, "no_evidence", b->no_evidence);
	if (o != NULL && b->has_requestor)
		json_object_set_new(o, "requestor",
				    json_string(prefix_ntop(&b->requestor, req, sizeof(req))));
	return o == NULL || json_array_append_new(arr, o) < 0;
}

json_t *
api_views_bindings(const struct api_views *d)
{
	json_t *arr = json_array();
	struct binding_ctx ctx = { d, arr };

	if (arr != NULL && d->nat != NULL)
		nat_pool_foreach(nat_get_pool(d->nat), binding_to_json, &ctx);
	return arr;
}

static int
window_to_json(void *arg, const struct nat_win_entry *e)
{
	json_t *o = json_pack(
		"{s:s, s:s, s:I, s:b, s:i, s:i, s:I, s:I}", "entity", e->name, "state",
		nat_win_state_name(e->d.state), "window_ms", (json_int_t)e->d.window_ms, "coalesce",
		e->d.coalesce, "clean", (int)e->clean, "cached", (int)e->cached, "clean_p25_ms",
		(json_int_t)e->clean_p25_ms, "cached_max_ms", (json_int_t)e->cached_max_ms);

	return o == NULL || json_array_append_new(arg, o) < 0;
}

json_t *
api_views_windows(const struct api_views *d)
{
	json_t *arr = json_array();

	if (arr != NULL && d->nat != NULL)
		nat_window_foreach(nat_pool_window(nat_get_pool(d->nat)), ev_now_ms(d->loop),
				   window_to_json, arr);
	return arr;
}

json_t *
api_views_status(const struct api_views *d)
{
	struct nat_rep_stats rs;
	struct dns_stats ds;
	struct nat_stats ns;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (d->nat != NULL) {
		nat_get_stats(d->nat, &ns);
		json_object_set_new(
			o, "nat",
			json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "pool_size",
				  (int)ns.pool.size, "pool_allocated", (int)ns.pool.allocated,
				  "bindings", (int)ns.pool.bindings, "bindings_created",
				  (json_int_t)ns.pool.created, "bindings_used",
				  (json_int_t)ns.pool.used, "bindings_expired",
				  (json_int_t)ns.pool.expired, "bindings_released_qmin",
				  (json_int_t)ns.pool.released, "flows_admitted",
				  (json_int_t)ns.admitted, "flows_refused", (json_int_t)ns.refused,
				  "nft_rules", (json_int_t)ns.nft_rules));
		json_object_update_new(
			json_object_get(o, "nat"),
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "bindings_idle",
				  (json_int_t)ns.pool.idle, "window_flows",
				  (json_int_t)ns.pool.window_flows, "window_spent",
				  (json_int_t)ns.pool.window_spent, "bindings_coalesced",
				  (json_int_t)ns.pool.coalesced, "bindings_superseded",
				  (json_int_t)ns.pool.superseded, "srv_targets",
				  (json_int_t)ns.pool.srv_targets));
		json_object_update_new(json_object_get(o, "nat"),
				       json_pack("{s:i, s:i, s:I}", "pool6_size",
						 (int)ns.pool.size6, "pool6_allocated",
						 (int)ns.pool.allocated6, "pinholes_created",
						 (json_int_t)ns.pool.pinholes));
	}
	if (d->dns != NULL) {
		dns_get_stats(d->dns, &ds);
		json_object_set_new(o, "dns",
				    json_pack("{s:I, s:I, s:I, s:I}", "queries_udp",
					      (json_int_t)ds.queries_udp, "queries_tcp",
					      (json_int_t)ds.queries_tcp, "allocations",
					      (json_int_t)ds.allocations, "allocations_refused",
					      (json_int_t)ds.alloc_refused));
	}
	if (d->alg != NULL) {
		uint64_t as[ALG_STAT_COUNT];
		json_t *a = json_object();
		size_t i;

		alg_stats(d->alg, as);
		for (i = 0; a != NULL && i < ALG_STAT_COUNT; i++)
			json_object_set_new(a, alg_stat_name((enum alg_stat)i),
					    json_integer((json_int_t)as[i]));
		if (a != NULL)
			json_object_set_new(a, "workers",
					    json_integer((json_int_t)alg_workers(d->alg)));
		json_object_set_new(o, "alg", a);
	}
	if (d->rep != NULL) {
		nat_rep_get_stats(d->rep, &rs);
		json_object_set_new(
			o, "reputation",
			json_pack("{s:I, s:I, s:I, s:I, s:i, s:i, s:i}", "admitted",
				  (json_int_t)(rs.admitted[0] + rs.admitted[1] + rs.admitted[2]),
				  "refused",
				  (json_int_t)(rs.refused[0] + rs.refused[1] + rs.refused[2]),
				  "events_ok", (json_int_t)rs.events_ok, "events_nok",
				  (json_int_t)rs.events_nok, "resolver_groups", (int)rs.n_groups,
				  "requestors", (int)rs.n_requestors, "hosts", (int)rs.n_hosts));
		json_object_set_new(json_object_get(o, "reputation"), "queries_trusted",
				    json_integer((json_int_t)rs.trusted));
		json_object_set_new(json_object_get(o, "reputation"), "queries_untrusted",
				    json_integer((json_int_t)rs.untrusted));
		json_object_set_new(json_object_get(o, "reputation"), "saves",
				    json_integer((json_int_t)rs.saves));
		json_object_set_new(json_object_get(o, "reputation"), "last_save_ms",
				    json_integer((json_int_t)rs.last_save_ms));
	}
	if (d->aliases != NULL)
		json_object_set_new(o, "aliases", aliases_json(d->aliases));
	if (d->nat != NULL)
		json_object_set_new(o, "rejected_sources", rejected_json(d->nat));
	/* --- flow defence */
	json_object_set_new(o, "defence", api_views_defence_status(d));
	return o;
}

/* Alias table counters for /status. */
static json_t *
aliases_json(const struct dns_aliases *a)
{
	struct dns_alias_stats st;

	dns_aliases_get_stats(a, &st);
	return json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "live", (int)st.live,
			 "max", (json_int_t)st.max, "issued", (json_int_t)st.issued, "hits",
			 (json_int_t)st.hits, "misses", (json_int_t)st.misses, "expired",
			 (json_int_t)st.expired, "evicted", (json_int_t)st.evicted, "cache_hits",
			 (json_int_t)st.cache_hits, "merges", (json_int_t)st.merges);
}

/* Rejected packets per source (the busiest REJ_SOURCES) for /status. */
#define REJ_SOURCES 32
static json_t *
rejected_json(const struct nat *n)
{
	struct nat_rej_source src[REJ_SOURCES];
	size_t total = 0;
	int k = nat_rejected_sources(n, src, REJ_SOURCES, &total), i;
	json_t *o = json_object(), *arr = json_array();
	char ip[ADDR_STRLEN];
	struct addr a;

	if (o == NULL || arr == NULL) {
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	for (i = 0; i < k; i++) {
		nat_rej_source_addr(&src[i], &a);
		addr_ntop(&a, ip, sizeof(ip));
		json_array_append_new(arr, json_pack("{s:s, s:I, s:i}", "source", ip, "packets",
						     (json_int_t)src[i].packets, "records",
						     (int)src[i].records));
	}
	json_object_set_new(o, "sources", json_integer((json_int_t)total));
	json_object_set_new(o, "busiest", arr);
	return o;
}

void
api_views_metrics(const struct api_views *d, struct buf *out)
{
	static const char *const cls[] = { "fqdn_new", "sfqdn_new", "sfqdn_reuse" };
	struct nat_rep_stats rs;
	struct nat_stats ns;
	size_t i;

	if (d->dns != NULL)
		dns_metrics(d->dns, out);
	if (d->nat != NULL) {
		nat_get_stats(d->nat, &ns);
		buf_printf(out,
			   "# HELP rgw_pool_addresses Circular pool addresses.\n"
			   "# TYPE rgw_pool_addresses gauge\nrgw_pool_addresses %u\n"
			   "# HELP rgw_pool_allocated Pool addresses holding a binding.\n"
			   "# TYPE rgw_pool_allocated gauge\nrgw_pool_allocated %u\n"
			   "# HELP rgw_bindings Live bindings.\n"
			   "# TYPE rgw_bindings gauge\nrgw_bindings %u\n"
			   "# HELP rgw_bindings_ended_total Bindings ended, by outcome.\n"
			   "# TYPE rgw_bindings_ended_total counter\n"
			   "rgw_bindings_ended_total{how=\"used\"} %llu\n"
			   "rgw_bindings_ended_total{how=\"expired\"} %llu\n"
			   "rgw_bindings_ended_total{how=\"released_qmin\"} %llu\n"
			   "rgw_bindings_ended_total{how=\"idle\"} %llu\n"
			   "# HELP rgw_flows_total First packets to pool addresses, by verdict.\n"
			   "# TYPE rgw_flows_total counter\n"
			   "rgw_flows_total{verdict=\"admitted\"} %llu\n"
			   "rgw_flows_total{verdict=\"refused\"} %llu\n",
			   ns.pool.size, ns.pool.allocated, ns.pool.bindings,
			   (unsigned long long)ns.pool.used, (unsigned long long)ns.pool.expired,
			   (unsigned long long)ns.pool.released, (unsigned long long)ns.pool.idle,
			   (unsigned long long)ns.admitted, (unsigned long long)ns.refused);
		buf_printf(
			out,
			"# HELP rgw_window_flows_total Flows a binding admitted after its first "
			"one (inside a resolver cache window).\n"
			"# TYPE rgw_window_flows_total counter\nrgw_window_flows_total %llu\n"
			"# HELP rgw_window_spent_total Flows refused: the window binding had "
			"admitted all it may.\n"
			"# TYPE rgw_window_spent_total counter\nrgw_window_spent_total %llu\n"
			"# HELP rgw_bindings_reanswered_total Answers that handed out a live "
			"binding again, by reason.\n"
			"# TYPE rgw_bindings_reanswered_total counter\n"
			"rgw_bindings_reanswered_total{reason=\"cache_window\"} %llu\n"
			"rgw_bindings_reanswered_total{reason=\"srv_target\"} %llu\n"
			"# HELP rgw_bindings_superseded_total Bindings closed early: a newer answer "
			"to the same resolver replaced them.\n"
			"# TYPE rgw_bindings_superseded_total counter\n"
			"rgw_bindings_superseded_total %llu\n",
			(unsigned long long)ns.pool.window_flows,
			(unsigned long long)ns.pool.window_spent,
			(unsigned long long)ns.pool.coalesced,
			(unsigned long long)ns.pool.srv_targets,
			(unsigned long long)ns.pool.superseded);
		buf_printf(
			out,
			"# HELP rgw_pool6_addresses IPv6 pool addresses (counted in "
			"rgw_pool_addresses too).\n"
			"# TYPE rgw_pool6_addresses gauge\nrgw_pool6_addresses %u\n"
			"# HELP rgw_pool6_allocated IPv6 pool addresses holding a binding.\n"
			"# TYPE rgw_pool6_allocated gauge\nrgw_pool6_allocated %u\n"
			"# HELP rgw_pinholes_created_total IPv6 pinhole bindings created (a global "
			"host's own address opened for one flow).\n"
			"# TYPE rgw_pinholes_created_total counter\n"
			"rgw_pinholes_created_total %llu\n",
			ns.pool.size6, ns.pool.allocated6, (unsigned long long)ns.pool.pinholes);
		buf_printf(out, "# HELP rgw_allocations_refused_total Allocations refused, by "
				"reason.\n# TYPE rgw_allocations_refused_total counter\n");
		for (i = 1; i < NAT_REFUSE_MAX; i++)
			buf_printf(out, "rgw_allocations_refused_total{reason=\"%s\"} %llu\n",
				   nat_refusal_name((enum nat_refusal)i),
				   (unsigned long long)ns.pool.refused[i]);
	}
	if (d->alg != NULL)
		alg_metrics(d->alg, out);
	if (d->rep != NULL) {
		nat_rep_get_stats(d->rep, &rs);
		buf_printf(out, "# HELP rgw_admission_total PBRA admission decisions, by service "
				"class and result.\n# TYPE rgw_admission_total counter\n");
		for (i = 0; i < 3; i++)
			buf_printf(out,
				   "rgw_admission_total{class=\"%s\",result=\"admitted\"} %llu\n"
				   "rgw_admission_total{class=\"%s\",result=\"refused\"} %llu\n",
				   cls[i], (unsigned long long)rs.admitted[i], cls[i],
				   (unsigned long long)rs.refused[i]);
		buf_printf(out,
			   "# HELP rgw_resolver_queries_total WAN service queries by trust "
			   "(admission.log_untrusted).\n# TYPE rgw_resolver_queries_total counter\n"
			   "rgw_resolver_queries_total{trust=\"trusted\"} %llu\n"
			   "rgw_resolver_queries_total{trust=\"untrusted\"} %llu\n",
			   (unsigned long long)rs.trusted, (unsigned long long)rs.untrusted);
	}
	if (d->aliases != NULL)
		dns_aliases_metrics(d->aliases, out);
	if (d->nat != NULL)
		nat_rejected_metrics(d->nat, out, 10);
	/* --- flow defence */
	api_views_defence_metrics(d, out);
}

static int
rep_to_json(void *arg, const struct nat_rep_entry *e)
{
	json_t *o =
		json_pack("{s:s, s:s, s:f, s:f, s:b, s:i, s:i, s:i}", "kind",
			  pol_rep_kind_name(e->kind), "key", e->key, "value", e->value, "prior",
			  e->w.prior, "sla", e->sla, "ok", (int)(e->w.prev.ok + e->w.cur.ok), "nok",
			  (int)(e->w.prev.nok + e->w.cur.nok), "periods", (int)e->w.periods);

	if (o == NULL)
		return 1;
	json_object_set_new(o, "override",
			    e->w.has_override ? json_real(e->w.override_value) : json_null());
	if (e->kind == POL_REP_RESOLVER_GROUP) {
		json_object_set_new(o, "trusted", json_integer((json_int_t)e->trusted));
		json_object_set_new(o, "untrusted", json_integer((json_int_t)e->untrusted));
	}
	return json_array_append_new(arg, o) < 0;
}

json_t *
api_views_reputation(const struct api_views *d)
{
	json_t *arr;

	if (d->rep == NULL)
		return NULL;
	arr = json_array();
	if (arr != NULL)
		nat_rep_foreach(d->rep, rep_to_json, arr);
	return arr;
}
