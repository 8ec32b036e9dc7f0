/* SPDX-License-Identifier: MIT */
/* dns/answer.c -- query wire + context -> response wire (pure, no I/O) */
#include <stdio.h>
#include <string.h>

#include "../policy/session.h"
#include "answer_int.h"
#include "nest.h"
#include "qmin.h"

static void write_opt(struct resp *r);
static bool put_soa(struct resp *r, const struct dns_apex *z, unsigned section, uint32_t ttl);
static bool put_ns(struct resp *r, const struct dns_apex *z);
static void put_glue(struct resp *r, const struct dns_apex *z);
/* A query for a live one-time alias (issue 7): the service it stands for, and what the
 * alias table knows. */
struct alias_hit {
	struct addr charge; /* resolver charged with the allocation */
	struct addr cached; /* address already given for this QTYPE */
};

static enum dns_answer_res answer_service(struct resp *r, const struct dns_node *n,
					  const struct dns_apex *z, struct dns_answer_info *info,
					  const struct alias_hit *al);
static enum dns_answer_res answer_alias(struct resp *r, const struct dns_apex *z,
					struct dns_answer_info *info);
static bool answer_session(struct resp *r, const struct dns_apex *z, struct dns_answer_info *info,
			   enum dns_answer_res *res);
static enum dns_answer_res answer_lan_host(struct resp *r, const struct dns_node *n,
					   const struct dns_apex *z);
static bool qmin_step(struct resp *r, struct dns_answer_info *info);
static void service_request(const struct resp *r, const struct dns_node *n,
			    const struct addr *resolver, bool non_spoofed, struct nat_request *req);
static bool chase_alias(struct resp *r, const struct dns_node *n, const uint8_t *alias,
			struct dns_answer_info *info);

void
dns_resp_start(struct resp *r, bool with_question)
{
	dns_wr_header(&r->w, r->pkt, r->q, with_question);
	memset(r->count, 0, sizeof(r->count));
	r->count[0] = with_question ? 1 : 0;
	r->rcode = DNS_RC_NOERROR;
	r->tc = false;
	if (r->ctx->view != DNS_VIEW_WAN)
		dns_wr_set_flags(&r->w, DNS_F_RA, 0);
}

size_t
dns_resp_opt_size(const struct resp *r)
{
	size_t n = 11;

	if (!r->q->has_opt)
		return 0;
	if (r->send_cookie)
		n += 4 + DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN;
	if (r->q->has_ecs)
		n += 4 + 4 + ((size_t)r->q->ecs.len + 7) / 8;
	if (r->ede >= 0)
		n += 4 + 2 + (r->ede_text ? strlen(r->ede_text) : 0);
	return n;
}

static void
write_opt(struct resp *r)
{
	const struct dns_query *q = r->q;
	struct dns_wr *w = &r->w;

	if (!q->has_opt)
		return;
	uint8_t root = 0;
	dns_wr_bytes(w, &root, 1);
	dns_wr_u16(w, DNS_T_OPT);
	dns_wr_u16(w, r->ctx->edns_size < DNS_UDP_MIN ? DNS_UDP_MIN : r->ctx->edns_size);
	dns_wr_u32(w, ((uint32_t)(r->rcode >> 4) << 24) | (q->edns_do ? 0x8000u : 0));
	size_t slot = dns_wr_len_slot(w);
	if (r->send_cookie) {
		dns_wr_u16(w, DNS_OPT_COOKIE);
		dns_wr_u16(w, DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN);
		dns_wr_bytes(w, q->cookie, DNS_COOKIE_CLIENT_LEN);
		dns_wr_bytes(w, r->server_cookie, DNS_COOKIE_SERVER_LEN);
	}
	if (q->has_ecs) {
		/* echo with scope 0: our answers do not depend on the client subnet for caching */
		size_t alen = ((size_t)q->ecs.len + 7) / 8;
		dns_wr_u16(w, DNS_OPT_ECS);
		dns_wr_u16(w, (uint16_t)(4 + alen));
		dns_wr_u16(w, q->ecs_family_code);
		uint8_t pl[2] = { q->ecs.len, 0 };
		dns_wr_bytes(w, pl, 2);
		dns_wr_bytes(w, q->ecs.addr.u.bytes, alen);
	}
	if (r->ede >= 0) {
		/* RFC 8914: why a parent gateway's query was refused */
		size_t tl = r->ede_text ? strlen(r->ede_text) : 0;

		dns_wr_u16(w, DNS_OPT_EDE);
		dns_wr_u16(w, (uint16_t)(2 + tl));
		dns_wr_u16(w, (uint16_t)r->ede);
		dns_wr_bytes(w, r->ede_text ? r->ede_text : "", tl);
	}
	dns_wr_patch_len(w, slot);
	r->count[3]++;
}

size_t
dns_resp_finish(struct resp *r)
{
	r->w.limit = r->full_limit;
	write_opt(r);
	if (r->w.overflow)
		return 0;
	for (unsigned s = 0; s < 4; s++)
		dns_wr_set_count(&r->w, s, r->count[s]);
	dns_wr_set_rcode(&r->w, (uint8_t)(r->rcode & 0xf));
	if (r->tc)
		dns_wr_set_flags(&r->w, DNS_F_TC, 0);
	return r->w.pos;
}

/* Owner NULL: pointer to the question name (keeps the client's 0x20 spelling). */
void
dns_resp_rr_head(struct dns_wr *w, const uint8_t *owner, uint16_t type, uint32_t ttl)
{
	if (owner)
		dns_wr_name(w, owner, true);
	else
		dns_wr_ptr(w, DNS_HDR_LEN);
	dns_wr_u16(w, type);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, ttl);
}

/*
 * Close an RRset written from mark. If it did not fit: rewind; a required RRset sets TC (the
 * answer is incomplete), an optional one (additional data) is dropped silently.
 */
bool
dns_resp_rrset_end(struct resp *r, size_t mark, unsigned section, uint16_t n, bool required)
{
	if (r->w.overflow) {
		dns_wr_rewind(&r->w, mark);
		if (required)
			r->tc = true;
		return false;
	}
	r->count[section] = (uint16_t)(r->count[section] + n);
	return true;
}

bool
dns_resp_put_addr(struct resp *r, unsigned section, const uint8_t *owner, const struct addr *a,
		  uint32_t ttl, bool required)
{
	size_t mark = r->w.pos;

	if (a->family == AF_INET) {
		dns_resp_rr_head(&r->w, owner, DNS_T_A, ttl);
		dns_wr_u16(&r->w, 4);
		dns_wr_bytes(&r->w, a->u.bytes, 4);
	} else {
		dns_resp_rr_head(&r->w, owner, DNS_T_AAAA, ttl);
		dns_wr_u16(&r->w, 16);
		dns_wr_bytes(&r->w, a->u.bytes, 16);
	}
	return dns_resp_rrset_end(r, mark, section, 1, required);
}

static bool
put_soa(struct resp *r, const struct dns_apex *z, unsigned section, uint32_t ttl)
{
	size_t mark = r->w.pos;

	dns_resp_rr_head(&r->w, z->name, DNS_T_SOA, ttl);
	size_t slot = dns_wr_len_slot(&r->w);
	dns_wr_name(&r->w, z->mname, true);
	dns_wr_name(&r->w, z->rname, true);
	dns_wr_u32(&r->w, z->serial);
	dns_wr_u32(&r->w, z->refresh);
	dns_wr_u32(&r->w, z->retry);
	dns_wr_u32(&r->w, z->expire);
	dns_wr_u32(&r->w, z->minimum);
	dns_wr_patch_len(&r->w, slot);
	return dns_resp_rrset_end(r, mark, section, 1, true);
}

static bool
put_ns(struct resp *r, const struct dns_apex *z)
{
	size_t mark = r->w.pos;
	const struct dns_db *db = r->ctx->db;

	for (size_t i = 0; i < z->n_ns; i++) {
		dns_resp_rr_head(&r->w, z->name, DNS_T_NS, z->ttl);
		size_t slot = dns_wr_len_slot(&r->w);
		dns_wr_name(&r->w, db->ns_names[z->ns_first + i], true);
		dns_wr_patch_len(&r->w, slot);
	}
	return dns_resp_rrset_end(r, mark, 1, (uint16_t)z->n_ns, true);
}

/* Addresses of in-zone name servers: optional additional data (no TC when dropped). */
static void
put_glue(struct resp *r, const struct dns_apex *z)
{
	const struct dns_db *db = r->ctx->db;

	for (size_t i = 0; i < z->n_ns; i++) {
		const struct dns_node *enc;
		const uint8_t *nsn = db->ns_names[z->ns_first + i];
		const struct dns_node *n = dns_db_find(db, nsn, true, &enc);
		if (!n || !(n->flags & DNS_NODE_GLUE))
			continue;
		if (n->glue4.family && !dns_resp_put_addr(r, 3, nsn, &n->glue4, z->ttl, false))
			return;
		if (n->glue6.family && !dns_resp_put_addr(r, 3, nsn, &n->glue6, z->ttl, false))
			return;
	}
}

/* NXDOMAIN or NODATA: SOA in the authority section (RFC 2308). */
void
dns_resp_negative(struct resp *r, const struct dns_apex *z, uint8_t rcode)
{
	r->rcode = rcode;
	put_soa(r, z, 2, z->neg_ttl);
}

size_t
dns_service_txt(const struct pol_service *svc, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "proxy_%s.port_%u.protocol_%u.%s.",
			 svc->proxy_required ? "True" : "False", svc->port, svc->protocol,
			 svc->fqdn);
	if (n < 0)
		return 0;
	return (size_t)n < outsz ? (size_t)n : outsz - 1;
}

/* Is the resolver in a resolver group with SLA bindings? (allocations only: linear is fine) */
bool
dns_resp_resolver_sla(const struct dns_db *db, const struct addr *src)
{
	const struct pol_snap *s = db->snap;

	for (size_t i = 0; i < s->n_resolver_nodes; i++) {
		const struct pol_resolver_node *rn = &s->resolver_nodes[i];
		if (rn->prefix.addr.family == src->family && prefix_contains(&rn->prefix, src)) {
			const struct pol_resolver_group *g =
				pol_snap_resolver_group(s, rn->group_id);
			return g && g->sla;
		}
	}
	return false;
}

/*
 * The requestor named by the query: the client subnet (ECS). ECI names the resolver itself and
 * is taken only from parent gateways (dns_answer: r->resolver); the original also took it as
 * the requestor from anybody, which let any resolver pick whose evidence it earned.
 */
bool
dns_resp_requestor(const struct dns_query *q, struct prefix *out)
{
	if (q->has_ecs) {
		*out = q->ecs;
		return true;
	}
	return false;
}

/*
 * QNAME minimisation (RFC 9156): the resolver that now asks for this name asked for its
 * ancestors first, one label at a time, with QTYPE A; an ancestor answered from the pool holds
 * an address that nobody will use. Release it (dns_qmin_fn) when the query proves its source
 * (TCP or a valid cookie: a spoofed UDP query must not free someone else's binding), the name
 * exists in the zone (a made-up name below a host does not), and this is not the TCP retry of
 * a refused allocation (the first try already did it). False when the main thread must run
 * the query (a worker has no pool).
 */
static bool
qmin_step(struct resp *r, struct dns_answer_info *info)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	const struct pol_admission *adm = &ctx->db->admission;
	int64_t ids[DNS_QMIN_MAX];
	struct prefix rq;
	size_t n;

	if (ctx->view != DNS_VIEW_WAN || ctx->qmin == NULL || ctx->last_try)
		return true;
	(void)adm;
	if (!dns_resp_proven(r, info))
		return true;
	n = dns_qmin_ancestors(ctx->db, r->q->qname, ids, DNS_QMIN_MAX);
	if (n == 0)
		return true;
	if (!ctx->alloc)
		return false;
	memset(&rq, 0, sizeof(rq));
	info->qmin_released = ctx->qmin(ctx->qmin_arg, &r->resolver,
					dns_resp_requestor(r->q, &rq) ? &rq : NULL, ids, n);
	return true;
}

/* A / AAAA / SRV / TXT for a service, given its public address a (and, for SRV and TXT, a6:
 * its IPv6 one besides an IPv4 a, or NULL). owner NULL: the question name. */
static void
put_service_records(struct resp *r, const uint8_t *owner, const struct pol_service *svc,
		    const struct addr *a, const struct addr *a6, uint32_t ttl)
{
	uint16_t qt = r->q->qtype;
	struct dns_wr *w = &r->w;
	size_t mark = w->pos;

	if (qt == DNS_T_A || qt == DNS_T_AAAA) {
		dns_resp_put_addr(r, 1, owner, a, ttl, true);
		return;
	}
	if (qt == DNS_T_SRV) {
		/* target _<port>._<proto>.<fqdn>, written without compression (RFC 2782) */
		char t[POL_NAME_MAX + 32];
		uint8_t target[DNS_NAME_MAX];
		snprintf(t, sizeof(t), "_%u._%u.%s", svc->port, svc->protocol, svc->fqdn);
		if (dns_name_from_str(t, target, sizeof(target)) < 0) {
			r->rcode = DNS_RC_NOERROR; /* name too long: nothing sensible to say */
			return;
		}
		dns_resp_rr_head(w, owner, DNS_T_SRV, ttl);
		size_t slot = dns_wr_len_slot(w);
		dns_wr_u16(w, 10);
		dns_wr_u16(w, 100);
		dns_wr_u16(w, svc->port);
		size_t tpos = w->pos;
		dns_wr_name(w, target, false);
		dns_wr_patch_len(w, slot);
		if (!dns_resp_rrset_end(r, mark, 1, 1, true))
			return;
		/* let the additional A point to the target */
		if (tpos < 0x3fff && w->n_names < DNS_WR_NAMES) {
			w->names[w->n_names].off = (uint16_t)tpos;
			w->names[w->n_names].len = (uint8_t)dns_name_len(target);
			w->n_names++;
		}
		if (dns_resp_put_addr(r, 3, target, a, ttl, false) && a6 != NULL)
			dns_resp_put_addr(r, 3, target, a6, ttl, false);
		return;
	}
	/* TXT, split in 255-byte character-strings if ever longer */
	char txt[POL_NAME_MAX + 64];
	size_t tl = dns_service_txt(svc, txt, sizeof(txt));
	dns_resp_rr_head(w, owner, DNS_T_TXT, ttl);
	size_t slot = dns_wr_len_slot(w);
	for (size_t p = 0; p < tl || p == 0; p += 255) {
		uint8_t cl = (uint8_t)(tl - p > 255 ? 255 : tl - p);
		dns_wr_bytes(w, &cl, 1);
		dns_wr_bytes(w, txt + p, cl);
		if (tl == 0)
			break;
	}
	dns_wr_patch_len(w, slot);
	if (!dns_resp_rrset_end(r, mark, 1, 1, true))
		return;
	if (dns_resp_put_addr(r, 3, owner, a, ttl, false) && a6 != NULL)
		dns_resp_put_addr(r, 3, owner, a6, ttl, false);
}

/*
 * Anti-spoofing (rgw-original-behaviour.md 3.5): a UDP query without a valid cookie gets TC
 * (or BADCOOKIE when the client speaks cookies) when tc_needed. True when it answered.
 */
bool
dns_resp_spoof_guard(struct resp *r, struct dns_answer_info *info, bool tc_needed)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	const struct pol_admission *adm = &ctx->db->admission;
	bool cookie_ok = adm->dns_cookies && info->cookie == DNS_COOKIE_VALID;

	if (ctx->tcp || !tc_needed || cookie_ok)
		return false;
	if (adm->dns_cookies && ctx->cookies &&
	    (info->cookie == DNS_COOKIE_CLIENT_ONLY || info->cookie == DNS_COOKIE_BAD)) {
		/* the client speaks cookies: one UDP round trip instead of TCP */
		r->rcode = DNS_RC_BADCOOKIE;
	} else {
		r->tc = true;
	}
	return true;
}

bool
dns_resp_proven(const struct resp *r, const struct dns_answer_info *info)
{
	const struct dns_answer_ctx *ctx = r->ctx;

	if (r->parent)
		return r->relay_proven;
	return ctx->tcp || (ctx->db->admission.dns_cookies && info->cookie == DNS_COOKIE_VALID);
}

/* A host name that is no service: the zone's own host (the gateway, "self" in the original)
 * answers its address; any other has no public address. */
static enum dns_answer_res
answer_host_only(struct resp *r, const struct dns_node *n, const struct dns_apex *z)
{
	const struct pol_host *h = n->host;
	uint16_t qt = r->q->qtype;

	if ((n->flags & DNS_NODE_APEX) && qt == DNS_T_A && h->ipv4.family)
		dns_resp_put_addr(r, 1, NULL, &h->ipv4, DNS_TTL_DEFAULT, true);
	else if ((n->flags & DNS_NODE_APEX) && qt == DNS_T_AAAA && h->ipv6.family)
		dns_resp_put_addr(r, 1, NULL, &h->ipv6, DNS_TTL_DEFAULT, true);
	else
		dns_resp_negative(r, z, DNS_RC_NOERROR);
	return DNS_ANS_SEND;
}

/* A one-time alias for the service: the CNAME, chased at once for a proven recursive asker.
 * False when the hook issued none (the caller allocates as usual); else *res is the answer. */
static bool
answer_alias_cname(struct resp *r, const struct dns_node *n, bool cookie_ok,
		   struct dns_answer_info *info, enum dns_answer_res *res)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	uint8_t alias[DNS_NAME_MAX];
	size_t mark, slot;
	int a = ctx->alias->issue(ctx->alias_arg, ctx->db, n->name, &ctx->src,
				  ctx->db->admission.alias_ttl_ms, alias);

	if (a < 0) {
		*res = DNS_ANS_DROP;
		return true;
	}
	if (a != 1)
		return false;
	mark = r->w.pos;
	dns_resp_rr_head(&r->w, NULL, DNS_T_CNAME, 0);
	slot = dns_wr_len_slot(&r->w);
	dns_wr_name(&r->w, alias, true);
	dns_wr_patch_len(&r->w, slot);
	*res = DNS_ANS_SEND;
	if (dns_resp_rrset_end(r, mark, 1, 1, true) && (ctx->tcp || cookie_ok) &&
	    (r->q->flags & DNS_F_RD) && !chase_alias(r, n, alias, info)) {
		dns_wr_rewind(&r->w, mark);
		r->count[1]--;
		*res = dns_resp_refused(r, info, info->why);
	}
	return true;
}

/* The pool's address for the service (and, for SRV/TXT of a dual-stack host, an IPv6 one
 * too: a refusal only leaves it out), or the refusal's answer. */
static enum dns_answer_res
answer_allocated(struct resp *r, const struct dns_node *n, const struct alias_hit *al,
		 bool non_spoofed, struct dns_answer_info *info)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	const struct pol_service *svc = n->svc;
	uint16_t qt = r->q->qtype;
	bool info_q = qt == DNS_T_SRV || qt == DNS_T_TXT, both;
	enum nat_refusal why = NAT_REFUSE_NONE;
	struct nat_request req;
	struct addr pool, pool6;

	service_request(r, n, al ? &al->charge : &r->resolver, non_spoofed, &req);
	if (ctx->alloc(ctx->alloc_arg, &req, &pool, &why) != 0)
		return dns_resp_refused(r, info, why);
	info->allocated = true;
	if (al != NULL && ctx->alias->remember)
		ctx->alias->remember(ctx->alias_arg, r->q->qname, qt, &pool, svc->id);
	both = info_q && req.family == AF_INET && n->host->ipv6.family;
	req.family = AF_INET6;
	if (both && ctx->alloc(ctx->alloc_arg, &req, &pool6, &why) != 0)
		both = false;
	put_service_records(r, NULL, svc, &pool, both ? &pool6 : NULL, DNS_TTL_POOL);
	return DNS_ANS_SEND;
}

/* al: the query is for a live one-time alias of this service (NULL otherwise). */
static enum dns_answer_res
answer_service(struct resp *r, const struct dns_node *n, const struct dns_apex *z,
	       struct dns_answer_info *info, const struct alias_hit *al)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	const struct pol_service *svc = n->svc;
	const struct pol_host *h = n->host;
	const struct pol_admission *adm = &ctx->db->admission;
	uint16_t qt = r->q->qtype;
	bool cookie_ok = adm->dns_cookies && info->cookie == DNS_COOKIE_VALID;
	/* an alias follow-up proves that the asker received our CNAME: as good as a cookie */
	bool non_spoofed = dns_resp_proven(r, info) || al != NULL;

	if (!svc)
		return answer_host_only(r, n, z);
	/* trusted / untrusted counters (issue 7): on the main thread, before the TC policy */
	if (adm->log_untrusted && ctx->alias && ctx->alias->note && !ctx->last_try) {
		if (!ctx->alloc)
			return DNS_ANS_NEED_ALLOC;
		ctx->alias->note(ctx->alias_arg, &r->resolver, non_spoofed);
	}
	/* Anti-spoofing for every QTYPE as in the original; alias follow-ups may use UDP
	 * unless dns_tcpcname. */
	if (dns_resp_spoof_guard(r, info,
				 al ? adm->dns_tcpcname : adm->dns_tcp || adm->dns_tcpcname))
		return DNS_ANS_SEND;
	/* The target of this service's SRV answer: an address name with the same admission. */
	bool target = (n->flags & (DNS_NODE_SRV_TARGET | DNS_NODE_SERVICE)) == DNS_NODE_SRV_TARGET;
	bool pooled = !svc->proxy_required && h->ipv4.family;
	if (pooled && qt != DNS_T_A && qt != DNS_T_SRV && qt != DNS_T_TXT && non_spoofed &&
	    ctx->step != NULL) {
		/* another QTYPE for a pooled name: an A asked just before was a step (unbound asks
		 * A before AAAA under QNAME minimisation); the pool lives on the main thread */
		if (!ctx->alloc)
			return DNS_ANS_NEED_ALLOC;
		ctx->step(ctx->step_arg, al ? &al->charge : &r->resolver, svc->id);
	}
	/* AAAA: the IPv6 pool (ULA host) or a pinhole (global host), with the same admission
	 * as A; SRV/TXT carry the address of each family the host has as additional data */
	bool v6 = qt == DNS_T_AAAA, info_q = qt == DNS_T_SRV || qt == DNS_T_TXT;
	if ((qt != DNS_T_A && !v6 && qt != DNS_T_SRV && qt != DNS_T_TXT) ||
	    (target && qt != DNS_T_A && !v6)) {
		dns_resp_negative(r, z, DNS_RC_NOERROR);
		return DNS_ANS_SEND;
	}
	if (svc->proxy_required) {
		const struct addr *s4 = &ctx->db->svc_addr4, *s6 = &ctx->db->svc_addr6;
		const struct addr *sa = v6 || (info_q && !s4->family) ? s6 : s4;
		if (!sa->family) {
			dns_resp_negative(r, z, DNS_RC_NOERROR);
			return DNS_ANS_SEND;
		}
		put_service_records(r, NULL, svc, sa, info_q && sa == s4 && s6->family ? s6 : NULL,
				    DNS_TTL_POOL);
		return DNS_ANS_SEND;
	}
	if (!(v6 ? h->ipv6.family : info_q ? h->ipv4.family || h->ipv6.family : h->ipv4.family)) {
		dns_resp_negative(r, z, DNS_RC_NOERROR);
		return DNS_ANS_SEND;
	}
	/* both the alias hook and the pool live on the main thread */
	if (!ctx->alloc)
		return DNS_ANS_NEED_ALLOC;
	if (al != NULL && al->cached.family) {
		/* a retransmission of the alias query: the same address */
		put_service_records(r, NULL, svc, &al->cached, NULL, DNS_TTL_POOL);
		return DNS_ANS_SEND;
	}
	/* An SRV target is asked after the SRV answer went through the alias: no second one.
	 * A parent gateway relays our answer as it is: no alias for it to follow. */
	if (ctx->alias && ctx->alias->issue && adm->dns_cname && al == NULL && !target &&
	    !r->parent) {
		enum dns_answer_res res;

		if (answer_alias_cname(r, n, cookie_ok, info, &res))
			return res;
	}
	return answer_allocated(r, n, al, non_spoofed, info);
}

/* The pool refused the allocation of a query (rgw-original-behaviour.md §2.7). */
enum dns_answer_res
dns_resp_refused(struct resp *r, struct dns_answer_info *info, enum nat_refusal why)
{
	const struct dns_answer_ctx *ctx = r->ctx;

	info->alloc_refused = true;
	info->why = why;
	if (r->parent) {
		/* A parent gateway holds one of its own addresses for this answer: tell it at once
		 * and why (RFC 8914). Our admission judged its resolver: Prohibited; our own
		 * shortage is nobody's fault: Other, with what ran short. */
		r->rcode = DNS_RC_REFUSED;
		r->ede = why == NAT_REFUSE_ADMISSION ? DNS_EDE_PROHIBITED : DNS_EDE_OTHER;
		r->ede_text = why == NAT_REFUSE_ADMISSION ? NULL : nat_refusal_name(why);
		return DNS_ANS_SEND;
	}
	if (!ctx->tcp)
		return DNS_ANS_DROP; /* the resolver retransmits */
	if (!ctx->last_try)
		return DNS_ANS_RETRY;
	/* empty NOERROR without SOA: nothing for a resolver to cache negatively (the caller
	 * sends the response as it stands: the question only) */
	return DNS_ANS_SEND;
}

/* The allocation request for a query on service node n, charged to resolver. */
static void
service_request(const struct resp *r, const struct dns_node *n, const struct addr *resolver,
		bool non_spoofed, struct nat_request *req)
{
	uint16_t qt = r->q->qtype;

	memset(req, 0, sizeof(*req));
	req->kind = qt == DNS_T_SRV || qt == DNS_T_TXT ? NAT_REQ_SERVICE_INFO
		    : (n->flags & DNS_NODE_SERVICE)    ? NAT_REQ_ADDRESS
						       : NAT_REQ_SRV_TARGET;
	/* SRV/TXT of an IPv6-only host carry its IPv6 address */
	req->family = qt == DNS_T_AAAA || ((qt == DNS_T_SRV || qt == DNS_T_TXT) &&
					   !n->host->ipv4.family && n->host->ipv6.family)
			      ? AF_INET6
			      : AF_INET;
	req->host_id = n->host->id;
	req->service_id = n->svc->id;
	req->resolver = *resolver;
	req->has_requestor = dns_resp_requestor(r->q, &req->requestor);
	req->sla = req->has_requestor && dns_resp_resolver_sla(r->ctx->db, &req->resolver);
	req->non_spoofed = non_spoofed;
}

/*
 * RFC 1034 §4.3.2: an authoritative server that holds the CNAME's target goes on with it. The
 * alias is ours, so the answer also carries the alias's records, allocated now and remembered
 * for the alias (asked for the alias, the same address). Only for a question that asked for
 * recursion (RD: a forwarder, such as Knot Resolver's policy.STUB or policy.FORWARD, which
 * passes the answer on and does not follow the CNAME itself; iterating resolvers -- unbound,
 * BIND, PowerDNS Recursor -- ask with RD clear and follow the alias, as the original expects)
 * and proved its source (TCP or a valid cookie: over plain UDP the alias is what makes the
 * resolver prove it). A refusal is the query's refusal (false, info->why set): a bare CNAME
 * would sit in the forwarder's cache as an answer without an address.
 */
static bool
chase_alias(struct resp *r, const struct dns_node *n, const uint8_t *alias,
	    struct dns_answer_info *info)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	enum nat_refusal why = NAT_REFUSE_NONE;
	struct nat_request req;
	struct addr pool;

	service_request(r, n, &r->resolver, true, &req);
	if (ctx->alloc(ctx->alloc_arg, &req, &pool, &why) != 0) {
		info->why = why;
		return false;
	}
	info->allocated = true;
	if (ctx->alias->remember)
		ctx->alias->remember(ctx->alias_arg, alias, r->q->qtype, &pool, n->svc->id);
	put_service_records(r, alias, n->svc, &pool, NULL, DNS_TTL_POOL);
	return true;
}

/*
 * A WAN query for a name in an alias zone: a live one-time alias answers for its service
 * (allocation, cached per QTYPE); anything else is NXDOMAIN -- the original crashed on
 * expired aliases and on aliases asked from unknown resolvers.
 */
static enum dns_answer_res
answer_alias(struct resp *r, const struct dns_apex *z, struct dns_answer_info *info)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	uint8_t target[DNS_NAME_MAX];
	const struct dns_node *n, *enc;
	struct alias_hit al;

	if (!ctx->alloc)
		return DNS_ANS_NEED_ALLOC; /* the alias table lives on the main thread */
	if (dns_resp_spoof_guard(r, info, ctx->db->admission.dns_tcpcname))
		return DNS_ANS_SEND;
	memset(&al, 0, sizeof(al));
	if (ctx->alias->resolve(ctx->alias_arg, r->q->qname, &ctx->src, r->q->qtype, target,
				&al.charge, &al.cached) != 1) {
		dns_resp_negative(r, z, DNS_RC_NXDOMAIN);
		return DNS_ANS_SEND;
	}
	n = dns_db_find(ctx->db, target, true, &enc);
	if (n == NULL || n->svc == NULL || !(n->flags & DNS_NODE_SERVICE)) {
		/* the service left the policy while its alias lived */
		dns_resp_negative(r, z, DNS_RC_NXDOMAIN);
		return DNS_ANS_SEND;
	}
	return answer_service(r, n, z, info, &al);
}

/*
 * A WAN query for a name the index does not hold: is it a session name? False when it is
 * not (the caller answers NXDOMAIN). A live one answers as its service, with the service's
 * admission (TC / cookie, pool, reputation); an ended one gets the same anti-spoofing
 * answer first, so that the NXDOMAIN that follows, and the evidence against the asker, come
 * only to a query that proved its source. A resolution answered with an address counts
 * against the name's budget.
 */
static bool
answer_session(struct resp *r, const struct dns_apex *z, struct dns_answer_info *info,
	       enum dns_answer_res *res)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	const struct pol_admission *adm = &ctx->db->admission;
	char name[POL_NAME_MAX], svc[POL_NAME_MAX];
	uint8_t target[DNS_NAME_MAX];
	const struct dns_node *n, *enc;
	enum pol_sess_state st;
	struct prefix rq;

	if (dns_name_to_str(r->q->qname, name, sizeof(name)) < 0)
		return false;
	st = pol_sess_lookup(ctx->sessions, name, ctx->now_ms, false, svc, sizeof(svc), NULL);
	if (st == POL_SESS_NONE)
		return false;
	*res = DNS_ANS_SEND;
	if (st == POL_SESS_ENDED) {
		if (dns_resp_spoof_guard(r, info, adm->dns_tcp || adm->dns_tcpcname))
			return true;
		if (ctx->sess_ended != NULL && !ctx->last_try) {
			if (!ctx->alloc) {
				*res = DNS_ANS_NEED_ALLOC; /* the reputation engine: main thread */
				return true;
			}
			memset(&rq, 0, sizeof(rq));
			ctx->sess_ended(ctx->sess_arg, &ctx->src,
					dns_resp_requestor(r->q, &rq) ? &rq : NULL);
		}
		info->session_ended = true;
		dns_resp_negative(r, z, DNS_RC_NXDOMAIN);
		return true;
	}
	n = dns_name_from_str(svc, target, sizeof(target)) > 0
		    ? dns_db_find(ctx->db, target, true, &enc)
		    : NULL;
	if (n == NULL || n->svc == NULL || !(n->flags & DNS_NODE_SERVICE)) {
		/* its service left the policy */
		dns_resp_negative(r, z, DNS_RC_NXDOMAIN);
		return true;
	}
	*res = answer_service(r, n, z, info, NULL);
	if (*res == DNS_ANS_SEND && r->count[1] > 0 && !r->tc &&
	    (r->q->qtype == DNS_T_A || r->q->qtype == DNS_T_AAAA)) {
		info->session = true;
		(void)pol_sess_lookup(ctx->sessions, name, ctx->now_ms, true, svc, sizeof(svc),
				      NULL);
	}
	return true;
}

/* LAN / local view: private addresses, PTR; no allocation, no anti-spoofing. */
static enum dns_answer_res
answer_lan_host(struct resp *r, const struct dns_node *n, const struct dns_apex *z)
{
	uint16_t qt = r->q->qtype;
	uint32_t ttl = r->ctx->lan_ttl;
	const struct pol_host *h = n->host;

	if (qt == DNS_T_A && h->ipv4.family)
		dns_resp_put_addr(r, 1, NULL, &h->ipv4, ttl, true);
	else if (qt == DNS_T_AAAA && h->ipv6.family)
		dns_resp_put_addr(r, 1, NULL, &h->ipv6, ttl, true);
	else if (qt == DNS_T_ANY && (h->ipv4.family || h->ipv6.family)) {
		if (h->ipv4.family)
			dns_resp_put_addr(r, 1, NULL, &h->ipv4, ttl, true);
		if (h->ipv6.family && !r->tc)
			dns_resp_put_addr(r, 1, NULL, &h->ipv6, ttl, true);
	} else
		dns_resp_negative(r, z, DNS_RC_NOERROR);
	return DNS_ANS_SEND;
}

size_t
dns_answer_error(const uint8_t *pkt, const struct dns_query *q, uint8_t rcode, bool ra,
		 uint8_t *out, size_t cap)
{
	struct dns_wr w;

	if (q->question_end <= DNS_HDR_LEN || cap < DNS_HDR_LEN)
		return 0;
	dns_wr_init(&w, out, cap, cap);
	dns_wr_header(&w, pkt, q, true);
	if (w.overflow)
		return 0;
	dns_wr_set_rcode(&w, rcode);
	if (ra)
		dns_wr_set_flags(&w, DNS_F_RA, 0);
	return w.pos;
}

/* A question that did not parse cleanly: a cookie-only query gets NOERROR with no question (and
 * the cookie in OPT), the others FORMERR, NOTIMP or BADVERS. */
static void
answer_malformed(struct resp *r, struct dns_query *q, enum dns_qerr qe,
		 struct dns_answer_info *info)
{
	if (qe == DNS_QERR_COOKIE_ONLY) {
		dns_resp_start(r, false);
		return;
	}
	info->formerr_like = true;
	if (qe == DNS_QERR_FORMERR_NOQ) {
		q->has_opt = false; /* the additional section was never reached */
		r->send_cookie = false;
		dns_resp_start(r, false);
		r->rcode = DNS_RC_FORMERR;
		return;
	}
	dns_resp_start(r, true);
	r->rcode = qe == DNS_QERR_NOTIMP    ? DNS_RC_NOTIMP
		   : qe == DNS_QERR_BADVERS ? DNS_RC_BADVERS
					    : DNS_RC_FORMERR;
	if (qe == DNS_QERR_FORMERR)
		q->has_ecs = false;
}

/* The PTR record of a host's reverse name (LAN view); false when n has none to give. */
static bool
answer_ptr(struct resp *r, const struct dns_node *n)
{
	uint8_t target[DNS_NAME_MAX];
	size_t mark, slot;

	if (!(n->flags & DNS_NODE_PTR) || r->q->qtype != DNS_T_PTR ||
	    dns_name_from_str(n->ptr_host->fqdn, target, sizeof(target)) <= 0)
		return false;
	mark = r->w.pos;
	dns_resp_rr_head(&r->w, NULL, DNS_T_PTR, r->ctx->lan_ttl);
	slot = dns_wr_len_slot(&r->w);
	dns_wr_name(&r->w, target, true);
	dns_wr_patch_len(&r->w, slot);
	dns_resp_rrset_end(r, mark, 1, 1, true);
	return true;
}

/* The answer for a name in zone z: n is its node, or NULL when the name has none (the
 * deepest node above it, enc, is a nested gateway, an alias zone, session names or
 * nothing). */
static enum dns_answer_res
answer_name(struct resp *r, const struct dns_node *n, const struct dns_node *enc,
	    const struct dns_apex *z, struct dns_answer_info *info)
{
	const struct dns_answer_ctx *ctx = r->ctx;
	enum dns_answer_res res = DNS_ANS_SEND;
	uint16_t qt = r->q->qtype;

	if (!n && (enc->flags & DNS_NODE_NESTED))
		return dns_answer_nested_query(r, enc, z, info);
	if (!n) {
		if (ctx->view == DNS_VIEW_WAN && z->kind == POL_ZONE_ALIAS && ctx->alias &&
		    ctx->alias->resolve)
			return answer_alias(r, z, info);
		if (!(ctx->view == DNS_VIEW_WAN && ctx->sessions != NULL &&
		      answer_session(r, z, info, &res)))
			dns_resp_negative(r, z, DNS_RC_NXDOMAIN);
		return res;
	}
	if ((n->flags & DNS_NODE_APEX) && (qt == DNS_T_SOA || qt == DNS_T_NS || qt == DNS_T_ANY)) {
		if (qt != DNS_T_NS)
			put_soa(r, z, 1, z->ttl);
		if (qt != DNS_T_SOA && !r->tc)
			put_ns(r, z);
		if (qt == DNS_T_NS && !r->tc)
			put_glue(r, z);
		if (r->count[1] == 0 && !r->tc)
			dns_resp_negative(r, z, DNS_RC_NOERROR);
		return DNS_ANS_SEND;
	}
	if (n->flags & (DNS_NODE_SERVICE | DNS_NODE_HOST | DNS_NODE_SRV_TARGET)) {
		if (ctx->view == DNS_VIEW_WAN)
			return answer_service(r, n, z, info, NULL);
		if (qt != DNS_T_PTR || !(n->flags & DNS_NODE_PTR))
			return answer_lan_host(r, n, z);
	} else if ((n->flags & DNS_NODE_GLUE) && (qt == DNS_T_A || qt == DNS_T_AAAA)) {
		const struct addr *a = qt == DNS_T_A ? &n->glue4 : &n->glue6;

		if (a->family)
			dns_resp_put_addr(r, 1, NULL, a, z->ttl, true);
		else
			dns_resp_negative(r, z, DNS_RC_NOERROR);
		return DNS_ANS_SEND;
	}
	if (!answer_ptr(r, n))
		dns_resp_negative(r, z, DNS_RC_NOERROR); /* empty non-terminal or no such type */
	return DNS_ANS_SEND;
}

enum dns_answer_res
dns_answer(const struct dns_answer_ctx *ctx, const uint8_t *pkt, size_t len, uint8_t *out,
	   size_t cap, struct dns_answer_info *info)
{
	struct dns_query q;
	struct resp r;
	enum dns_answer_res res = DNS_ANS_SEND;

	memset(info, 0, sizeof(*info));
	memset(&r, 0, sizeof(r));
	enum dns_qerr qe = dns_query_parse(pkt, len, false, &q);
	if (qe == DNS_QERR_DROP)
		return DNS_ANS_DROP;
	info->qtype = q.qtype;
	r.ctx = ctx;
	r.pkt = pkt;
	r.q = &q;
	r.send_cookie = false;
	r.ede = -1;
	r.resolver = ctx->src;
	r.rport = ctx->sport;
	if (q.has_eci && ctx->view == DNS_VIEW_WAN && dns_db_is_parent(ctx->db, &ctx->src)) {
		/* a parent gateway asks for the resolver it names: that resolver is judged */
		r.parent = true;
		r.resolver = q.eci;
		r.rport = q.eci_port;
		r.relay_proven = q.eci_proto == DNS_ECI_PROVEN;
	} else if (q.has_eci) {
		info->eci_ignored = true; /* anybody else's ECI means nothing to us */
	}

	/* size budget (Knot prepare_answer): 512, or the EDNS size capped by ours; TCP 65535 */
	size_t limit = DNS_UDP_MIN;
	if (ctx->tcp)
		limit = DNS_TCP_MAX;
	else if (q.has_opt && qe == DNS_QERR_NONE)
		limit = q.edns_udp_size < ctx->edns_size ? q.edns_udp_size : ctx->edns_size;
	if (limit < DNS_UDP_MIN)
		limit = DNS_UDP_MIN;
	if (limit > cap)
		limit = cap;

	if (q.has_cookie && ctx->cookies) {
		const struct dns_cookie_secrets *cs = ctx->cookies;
		info->cookie = dns_cookie_check(cs, q.cookie, q.cookie_len, &ctx->src, ctx->now_s);
		dns_cookie_make(cs->cur, q.cookie, &ctx->src, ctx->now_s, r.server_cookie);
		r.send_cookie = true;
	}
	r.full_limit = limit;
	size_t reserve = dns_resp_opt_size(&r);
	dns_wr_init(&r.w, out, cap, limit > reserve ? limit - reserve : 0);

	if (qe != DNS_QERR_NONE) {
		answer_malformed(&r, &q, qe, info);
		goto done;
	}
	dns_resp_start(&r, true);
	if (q.qclass != DNS_C_IN || q.qtype == DNS_T_AXFR || q.qtype == DNS_T_IXFR) {
		r.rcode = DNS_RC_REFUSED;
		goto done;
	}
	if (q.qtype == DNS_T_OPT || q.qtype == DNS_T_TSIG) {
		r.rcode = DNS_RC_FORMERR;
		info->formerr_like = true;
		goto done;
	}

	const struct dns_node *enc;
	const struct dns_node *n = dns_db_find(ctx->db, q.qname, ctx->view == DNS_VIEW_WAN, &enc);
	if (!enc) {
		if (ctx->view == DNS_VIEW_LAN)
			return DNS_ANS_FORWARD;
		r.rcode = DNS_RC_REFUSED; /* not an open resolver */
		goto done;
	}
	const struct dns_apex *z = &ctx->db->zones[enc->zone];
	dns_wr_set_flags(&r.w, DNS_F_AA, 0);
	if (n && !qmin_step(&r, info))
		return DNS_ANS_NEED_ALLOC;
	res = answer_name(&r, n, enc, z, info);
done:
	if (res != DNS_ANS_SEND)
		return res;
	info->len = dns_resp_finish(&r);
	info->rcode = r.rcode;
	info->tc = r.tc;
	return info->len ? DNS_ANS_SEND : DNS_ANS_DROP;
}
