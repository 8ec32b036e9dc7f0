/* SPDX-License-Identifier: MIT */
/* api/views_defence.c -- the API's views of the flow defence: blocks, IDS, evidence */
#include <errno.h>
#include <string.h>

#include "../alg/alg.h"
#include "../common/buf.h"
#include "../common/ev.h"
#include "../common/util.h"
#include "../ids/ids.h"
#include "../nat/nat.h"
#include "../nat/reputation.h"
#include "views.h"

struct block_ctx {
	json_t *arr;
	uint64_t now, wall;
};

static int
block_to_json(void *arg, const struct nat_block_info *bi)
{
	struct block_ctx *c = arg;
	char ip[ADDR_STRLEN];
	uint64_t left = bi->expires_ms > c->now ? bi->expires_ms - c->now : 0;

	addr_ntop(&bi->addr, ip, sizeof(ip));
	return json_array_append_new(c->arr, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "address",
						       ip, "reason", bi->reason, "alerts",
						       (json_int_t)bi->alerts, "blocked_ms",
						       (json_int_t)(c->now - bi->created_ms),
						       "expires_ms", (json_int_t)left, "expires_at",
						       (json_int_t)(c->wall + left))) < 0;
}

json_t *
api_views_blocks(const struct api_views *d)
{
	struct block_ctx c;

	if (d->nat == NULL || !nat_defence_enabled(d->nat))
		return NULL;
	c.arr = json_array();
	c.now = ev_now_ms(d->loop);
	c.wall = util_wall_ms();
	if (c.arr != NULL)
		nat_blocks_walk(d->nat, block_to_json, &c);
	return c.arr;
}

int
api_views_unblock(const struct api_views *d, const char *text)
{
	struct addr a;

	if (d->nat == NULL || !nat_defence_enabled(d->nat))
		return -ENOTSUP;
	if (addr_parse(text, &a) < 0)
		return -EINVAL;
	return nat_unblock(d->nat, &a);
}

json_t *
api_views_defence_status(const struct api_views *d)
{
	json_t *o = json_object(), *ev;
	struct nat_rep_stats rs;
	struct ids_stats is;
	struct nat_stats ns;
	size_t i;

	if (o == NULL)
		return NULL;
	if (d->nat != NULL && nat_defence_enabled(d->nat)) {
		nat_get_stats(d->nat, &ns);
		json_object_set_new(o, "blocks_active", json_integer((json_int_t)ns.blocks_active));
		json_object_set_new(o, "blocks_added", json_integer((json_int_t)ns.blocks_added));
		json_object_set_new(o, "blocks_removed",
				    json_integer((json_int_t)ns.blocks_removed));
		json_object_set_new(o, "conntrack_deleted",
				    json_integer((json_int_t)ns.ct_deleted));
		json_object_set_new(o, "flows_remembered",
				    json_integer((json_int_t)ns.flows_remembered));
	}
	if (d->ids != NULL) {
		ids_get_stats(d->ids, &is);
		json_object_set_new(
			o, "ids",
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				  "records", (json_int_t)is.records, "invalid",
				  (json_int_t)is.invalid, "alerts", (json_int_t)is.alerts,
				  "below_severity", (json_int_t)is.below_severity, "acted",
				  (json_int_t)is.acted, "flows_torn_down",
				  (json_int_t)is.flows_torn_down, "no_flow", (json_int_t)is.no_flow,
				  "again", (json_int_t)is.again, "admitted",
				  (json_int_t)is.admitted, "blocked", (json_int_t)is.blocked,
				  "errors", (json_int_t)is.errors, "writers",
				  (json_int_t)is.clients));
	}
	if (d->rep != NULL) {
		nat_rep_get_stats(d->rep, &rs);
		ev = json_object();
		for (i = 0; ev != NULL && i < NAT_REP_FLOW_COUNT; i++)
			json_object_set_new(ev, nat_rep_flow_name((enum nat_rep_flow)i),
					    json_integer((json_int_t)rs.flow_nok[i]));
		json_object_set_new(o, "flow_evidence", ev);
	}
	if (d->alg != NULL) {
		uint64_t pushed, dropped;

		alg_evidence_counts(d->alg, &pushed, &dropped);
		json_object_set_new(o, "alg_evidence", json_integer((json_int_t)pushed));
		json_object_set_new(o, "alg_evidence_dropped", json_integer((json_int_t)dropped));
	}
	return o;
}

void
api_views_defence_metrics(const struct api_views *d, struct buf *out)
{
	struct nat_rep_stats rs;
	struct nat_stats ns;
	size_t i;

	if (d->nat != NULL && nat_defence_enabled(d->nat)) {
		nat_get_stats(d->nat, &ns);
		buf_printf(
			out,
			"# HELP rgw_nat_blocks Sources blocked now (IDS alerts).\n"
			"# TYPE rgw_nat_blocks gauge\nrgw_nat_blocks %llu\n"
			"# HELP rgw_nat_blocks_added_total Sources blocked (new blocks).\n"
			"# TYPE rgw_nat_blocks_added_total counter\nrgw_nat_blocks_added_total %llu\n"
			"# HELP rgw_nat_blocks_removed_total Blocks lifted by the operator.\n"
			"# TYPE rgw_nat_blocks_removed_total counter\n"
			"rgw_nat_blocks_removed_total %llu\n"
			"# HELP rgw_nat_conntrack_deleted_total Conntrack entries deleted (flow "
			"teardown).\n# TYPE rgw_nat_conntrack_deleted_total counter\n"
			"rgw_nat_conntrack_deleted_total %llu\n",
			(unsigned long long)ns.blocks_active, (unsigned long long)ns.blocks_added,
			(unsigned long long)ns.blocks_removed, (unsigned long long)ns.ct_deleted);
	}
	if (d->ids != NULL)
		ids_metrics(d->ids, out);
	if (d->rep != NULL) {
		nat_rep_get_stats(d->rep, &rs);
		buf_printf(out, "# HELP rgw_reputation_flow_evidence_total NOK evidence from flows "
				"(IDS alerts, ALG), by reason.\n"
				"# TYPE rgw_reputation_flow_evidence_total counter\n");
		for (i = 0; i < NAT_REP_FLOW_COUNT; i++)
			buf_printf(out, "rgw_reputation_flow_evidence_total{reason=\"%s\"} %llu\n",
				   nat_rep_flow_name((enum nat_rep_flow)i),
				   (unsigned long long)rs.flow_nok[i]);
	}
	if (d->alg != NULL) {
		uint64_t pushed, dropped;

		alg_evidence_counts(d->alg, &pushed, &dropped);
		buf_printf(
			out,
			"# HELP rgw_alg_evidence_total Reports of misbehaving ALG clients sent to "
			"the reputation engine, by fate.\n# TYPE rgw_alg_evidence_total counter\n"
			"rgw_alg_evidence_total{fate=\"delivered\"} %llu\n"
			"rgw_alg_evidence_total{fate=\"dropped\"} %llu\n",
			(unsigned long long)pushed, (unsigned long long)dropped);
	}
}
