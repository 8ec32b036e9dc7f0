/* SPDX-License-Identifier: MIT */
/* dns/answer_nest.c -- names below nested gateways: the query's admission, then its answer */
#include <string.h>

#include "answer_int.h"
#include "nest.h"
#include "qmin.h"

/*
 * Two passes over the same query (pure, like the rest of answer.c):
 *   1. dns_answer_nested_query: the query passes our admission as any other (TC / cookie on
 *      UDP), our QNAME-minimisation steps below the nested gateway are released, and for WAN
 *      A/SRV/TXT one of our pool addresses is reserved (admission by reputation, per-host
 *      limit, exhaustion: refused here, the nested gateway is never asked). Then
 *      DNS_ANS_NESTED: dns/nest.c asks the nested gateway.
 *   2. dns_answer_nested: the nested gateway spoke; write what the client gets.
 */

static bool nested_ancestors(const uint8_t *name, const uint8_t *gw, int64_t *keys, size_t max,
			     size_t *n);

int64_t
dns_nest_key(const uint8_t *name)
{
	uint64_t h = 14695981039346656037ULL;
	size_t len = dns_name_len(name);

	for (size_t i = 0; i < len; i++)
		h = (h ^ name[i]) * 1099511628211ULL;
	/* negative: never a service id (those are SQLite rowids, > 0) */
	return -(int64_t)(h >> 2) - 1;
}

/* Keys of the names strictly between the nested gateway gw and name (nearest first). */
static bool
nested_ancestors(const uint8_t *name, const uint8_t *gw, int64_t *keys, size_t max, size_t *n)
{
	size_t glen = dns_name_len(gw), len = dns_name_len(name);
	size_t p = 1 + (size_t)name[0];

	*n = 0;
	for (; p < len && len - p > glen && *n < max; p += 1 + (size_t)name[p])
		keys[(*n)++] = dns_nest_key(name + p);
	return *n > 0;
}

enum dns_answer_res
dns_answer_nested_query(struct resp *r, const struct dns_node *g, const struct dns_apex *z,
			struct dns_answer_info *info)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	const struct pol_admission *adm = &ctx->db->admission;
	const struct dns_query *q = r->q;
	struct dns_nest_req *nr = &info->nest;
	uint16_t qt = q->qtype;
	bool wan = ctx->view == DNS_VIEW_WAN;

	/* the names below are the nested gateway's: no one-time alias, but our TC / cookie */
	if (wan && dns_resp_spoof_guard(r, info, adm->dns_tcp || adm->dns_tcpcname))
		return DNS_ANS_SEND;
	if (!ctx->alloc)
		return DNS_ANS_NEED_ALLOC; /* the pool and the nested resolver: main thread */
	if (ctx->nest_reserve == NULL) {
		/* nobody to ask (no nested resolver attached) */
		r->rcode = DNS_RC_SERVFAIL;
		return DNS_ANS_SEND;
	}
	memset(nr, 0, sizeof(*nr));
	nr->host_id = g->host->id;
	nr->resolver = r->resolver;
	nr->rport = r->rport;
	nr->proven = dns_resp_proven(r, info);
	nr->has_requestor = dns_resp_requestor(q, &nr->requestor);
	nr->relay = !wan;
	if (!wan || (qt != DNS_T_A && qt != DNS_T_SRV && qt != DNS_T_TXT))
		return DNS_ANS_NESTED; /* no address of ours: the rcode (or the relay) only */

	/* the same resolver's minimisation steps on the way down: its bindings go back */
	int64_t keys[DNS_QMIN_MAX];
	size_t n;

	if (nr->proven && ctx->qmin != NULL && !ctx->last_try &&
	    nested_ancestors(q->qname, g->name, keys, DNS_QMIN_MAX, &n))
		info->qmin_released = ctx->qmin(ctx->qmin_arg, &r->resolver,
						nr->has_requestor ? &nr->requestor : NULL, keys, n);

	struct nat_request req;
	enum nat_refusal why = NAT_REFUSE_NONE;

	memset(&req, 0, sizeof(req));
	req.kind = qt == DNS_T_A ? NAT_REQ_ADDRESS : NAT_REQ_SERVICE_INFO;
	req.host_id = g->host->id;
	req.resolver = r->resolver;
	req.has_requestor = nr->has_requestor;
	req.requestor = nr->requestor;
	req.sla = req.has_requestor && dns_resp_resolver_sla(ctx->db, &req.resolver);
	req.non_spoofed = nr->proven;
	req.nested = true;
	req.nested_key = dns_nest_key(q->qname);
	if (ctx->nest_reserve(ctx->nest_arg, &req, &nr->outer, &why, &nr->binding, &nr->fresh) != 0)
		return dns_resp_refused(r, info, why);
	(void)z;
	return DNS_ANS_NESTED;
}

enum dns_answer_res
dns_answer_nested(const struct dns_answer_ctx *ctx, const uint8_t *pkt, size_t len,
		  enum dns_nest_outcome outcome, const struct dns_nest_answer *ans,
		  const struct addr *addr, uint8_t *out, size_t cap, struct dns_answer_info *info)
{
	const struct dns_node *enc;
	const struct dns_apex *z;
	struct dns_query q;
	struct resp r;
	size_t limit;
	uint16_t qt;

	memset(info, 0, sizeof(*info));
	memset(&r, 0, sizeof(r));
	if (dns_query_parse(pkt, len, false, &q) != DNS_QERR_NONE)
		return DNS_ANS_DROP;
	info->qtype = qt = q.qtype;
	r.ctx = ctx;
	r.pkt = pkt;
	r.q = &q;
	r.ede = -1;
	limit = ctx->tcp ? DNS_TCP_MAX : DNS_UDP_MIN;
	if (!ctx->tcp && q.has_opt)
		limit = q.edns_udp_size < ctx->edns_size ? q.edns_udp_size : ctx->edns_size;
	if (limit < DNS_UDP_MIN)
		limit = DNS_UDP_MIN;
	if (limit > cap)
		limit = cap;
	if (q.has_cookie && ctx->cookies) {
		info->cookie = dns_cookie_check(ctx->cookies, q.cookie, q.cookie_len, &ctx->src,
						ctx->now_s);
		dns_cookie_make(ctx->cookies->cur, q.cookie, &ctx->src, ctx->now_s,
				r.server_cookie);
		r.send_cookie = true;
	}
	r.full_limit = limit;
	{
		size_t reserve = dns_resp_opt_size(&r);

		dns_wr_init(&r.w, out, cap, limit > reserve ? limit - reserve : 0);
	}
	dns_resp_start(&r, true);
	(void)dns_db_find(ctx->db, q.qname, ctx->view == DNS_VIEW_WAN, &enc);
	if (enc == NULL) {
		/* the policy changed while the nested gateway was asked */
		r.rcode = DNS_RC_REFUSED;
		goto done;
	}
	z = &ctx->db->zones[enc->zone];
	dns_wr_set_flags(&r.w, DNS_F_AA, 0);
	switch (outcome) {
	case DNS_NEST_SERVFAIL:
		r.rcode = DNS_RC_SERVFAIL;
		goto done;
	case DNS_NEST_REFUSED:
		info->alloc_refused = true;
		if (!ctx->tcp)
			return DNS_ANS_DROP; /* the resolver retransmits: asked again */
		goto done;		     /* empty NOERROR, nothing to cache negatively */
	case DNS_NEST_ANSWER:
		break;
	}
	if (ans->rcode == DNS_RC_NXDOMAIN || (ans->rcode == DNS_RC_NOERROR && !ans->has_addr) ||
	    (qt != DNS_T_A && qt != DNS_T_SRV && qt != DNS_T_TXT)) {
		/* the nested gateway's negative answer, in our zone's words */
		dns_resp_negative(&r, z,
				  ans->rcode == DNS_RC_NXDOMAIN ? DNS_RC_NXDOMAIN : DNS_RC_NOERROR);
		goto done;
	}
	if (ans->rcode != DNS_RC_NOERROR || addr == NULL || addr->family != AF_INET) {
		r.rcode = DNS_RC_SERVFAIL;
		goto done;
	}
	if (qt == DNS_T_A) {
		dns_resp_put_addr(&r, 1, NULL, addr, DNS_TTL_POOL, true);
	} else if (qt == DNS_T_SRV && ans->has_srv) {
		/* its SRV as it gave it (the target is a name below it), our address after */
		size_t mark = r.w.pos;

		dns_resp_rr_head(&r.w, NULL, DNS_T_SRV, DNS_TTL_POOL);
		size_t slot = dns_wr_len_slot(&r.w);

		dns_wr_u16(&r.w, ans->srv_prio);
		dns_wr_u16(&r.w, ans->srv_weight);
		dns_wr_u16(&r.w, ans->srv_port);
		dns_wr_name(&r.w, ans->srv_target, false);
		dns_wr_patch_len(&r.w, slot);
		if (dns_resp_rrset_end(&r, mark, 1, 1, true))
			dns_resp_put_addr(&r, 3, ans->srv_target, addr, DNS_TTL_POOL, false);
	} else if (qt == DNS_T_TXT && ans->has_txt) {
		size_t mark = r.w.pos;

		dns_resp_rr_head(&r.w, NULL, DNS_T_TXT, DNS_TTL_POOL);
		dns_wr_u16(&r.w, (uint16_t)ans->txt_len);
		dns_wr_bytes(&r.w, ans->txt, ans->txt_len);
		if (dns_resp_rrset_end(&r, mark, 1, 1, true))
			dns_resp_put_addr(&r, 3, NULL, addr, DNS_TTL_POOL, false);
	} else {
		dns_resp_negative(&r, z, DNS_RC_NOERROR);
	}
	info->allocated = ctx->view == DNS_VIEW_WAN;
done:
	info->len = dns_resp_finish(&r);
	info->rcode = r.rcode;
	info->tc = r.tc;
	return info->len ? DNS_ANS_SEND : DNS_ANS_DROP;
}
