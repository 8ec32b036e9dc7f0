/* SPDX-License-Identifier: MIT */
/* dns/ddns.c -- DNS UPDATE (RFC 2136, optional TSIG): host registration into the policy store */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "server.h"

/*
 * Not a hot path: parsing, TSIG and the reply use ldns. Semantics follow the original's DDNS
 * (rgw-original-behaviour.md 1.13), made transactional: A records in the update section of a
 * forward zone register a host (TTL > 0; a new address replaces the old one), TTL 0, "delete
 * RRset" and "delete name" remove it; other types (DHCID TXT, PTR...) are accepted and ignored,
 * reverse names follow from the hosts. Hosts made this way are stored with dynamic = true and
 * get the original's default services (the host name and www.<host> through the ALG). Hosts
 * defined by the operator (dynamic = false) are never changed or removed by an UPDATE: REFUSED.
 * The whole message is one store transaction, put in force by the committer like any other
 * policy write: the resulting policy is validated whole (a name that collides with another
 * host's service, an address that is one of the gateway's own: REFUSED), applied to every
 * subsystem and audited under the TSIG key's name, before the answer goes out.
 */

struct upd {
	struct dns *d;
	struct pol_snap *snap; /* current view inside the transaction */
	uint8_t zone[DNS_NAME_MAX];
	const struct dns_apex *apex;
	int rcode;
	bool changed;
	char what[512]; /* the changes, for the audit line and the log */
};

static size_t reply(ldns_pkt *req, const uint8_t *pkt, size_t len, int rcode, struct dns *d,
		    bool sign, uint8_t *out, size_t cap);
static bool in_zone(const uint8_t *name, const uint8_t *zone);
static int owner_wire(const ldns_rr *rr, uint8_t *out);
static int prereq(struct upd *u, const ldns_rr *rr);
static int prescan(struct upd *u, const ldns_rr *rr);
static int apply_rr(struct upd *u, const ldns_rr *rr);
static int refresh(struct upd *u);
static int host_register(struct upd *u, const char *fqdn, const struct addr *ip);
static int host_remove(struct upd *u, const char *fqdn, const struct addr *only_ip);
static const struct pol_host *host_by_v4(const struct pol_snap *s, const struct addr *ip);
static void note(struct upd *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int commit(struct upd *u, const ldns_rr *tsig, const struct addr *src);

static struct log_rl rl_upd = LOG_RL_INIT(5000, 10);

/* Append one change to u->what ("register a.example 192.0.2.1; remove b.example"). */
static void
note(struct upd *u, const char *fmt, ...)
{
	size_t n = strlen(u->what);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(u->what)) {
		memcpy(u->what + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(u->what + n, sizeof(u->what) - n, fmt, ap);
	va_end(ap);
}

static bool
in_zone(const uint8_t *name, const uint8_t *zone)
{
	size_t nl = dns_name_len(name), zl = dns_name_len(zone);

	if (nl < zl)
		return false;
	/* the suffix must start on a label boundary */
	for (size_t p = 0; p <= nl - zl; p += 1 + (size_t)name[p]) {
		if (p == nl - zl)
			return dns_name_eq(name + p, zone);
		if (name[p] == 0)
			break;
	}
	return false;
}

static int
owner_wire(const ldns_rr *rr, uint8_t *out)
{
	const ldns_rdf *o = ldns_rr_owner(rr);
	size_t n = ldns_rdf_size(o);

	if (n == 0 || n > DNS_NAME_MAX)
		return -EINVAL;
	memcpy(out, ldns_rdf_data(o), n);
	dns_name_lower(out);
	return 0;
}

static const struct pol_host *
host_by_v4(const struct pol_snap *s, const struct addr *ip)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		if (addr_eq(&s->hosts[i].ipv4, ip))
			return &s->hosts[i];
	return NULL;
}

static int
refresh(struct upd *u)
{
	struct pol_snap *s = NULL;
	int r = pol_store_snapshot_rows(u->d->store, &s);

	if (r != 0)
		return r;
	pol_snap_unref(u->snap);
	u->snap = s;
	return 0;
}

/* RFC 2136 3.2: prerequisites, against the data in force. */
static int
prereq(struct upd *u, const ldns_rr *rr)
{
	uint8_t name[DNS_NAME_MAX];
	const struct dns_node *enc, *n;
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	uint16_t cls = (uint16_t)ldns_rr_get_class(rr);
	bool exists, rrset = false;
	const struct pol_host *h = NULL;

	if (ldns_rr_ttl(rr) != 0 || owner_wire(rr, name) != 0)
		return DNS_RC_FORMERR;
	if (!in_zone(name, u->zone))
		return DNS_RC_NOTZONE;
	n = dns_db_find(u->d->db, name, false, &enc);
	exists = n != NULL;
	if (n && (n->flags & (DNS_NODE_HOST | DNS_NODE_SERVICE)))
		h = n->host;
	switch (type) {
	case DNS_T_A:
		rrset = h && h->ipv4.family;
		break;
	case DNS_T_AAAA:
		rrset = h && h->ipv6.family;
		break;
	case DNS_T_PTR:
		rrset = n && (n->flags & DNS_NODE_PTR);
		break;
	case DNS_T_SOA:
	case DNS_T_NS:
		rrset = n && (n->flags & DNS_NODE_APEX);
		break;
	default:
		rrset = false;
	}
	if (cls == DNS_C_ANY) {
		if (ldns_rr_rd_count(rr) != 0)
			return DNS_RC_FORMERR;
		if (type == DNS_T_ANY)
			return exists ? 0 : DNS_RC_NXDOMAIN;
		return rrset ? 0 : DNS_RC_NXRRSET;
	}
	if (cls == DNS_C_NONE) {
		if (ldns_rr_rd_count(rr) != 0)
			return DNS_RC_FORMERR;
		if (type == DNS_T_ANY)
			return exists ? DNS_RC_YXDOMAIN : 0;
		return rrset ? DNS_RC_YXRRSET : 0;
	}
	if (cls == DNS_C_IN) {
		/* value-dependent: only address RRsets (one address per host and family) */
		const ldns_rdf *rd = ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, 0) : NULL;
		if (!rd || !h)
			return DNS_RC_NXRRSET;
		if (type == DNS_T_A && ldns_rdf_size(rd) == 4 && h->ipv4.family &&
		    memcmp(ldns_rdf_data(rd), h->ipv4.u.bytes, 4) == 0)
			return 0;
		if (type == DNS_T_AAAA && ldns_rdf_size(rd) == 16 && h->ipv6.family &&
		    memcmp(ldns_rdf_data(rd), h->ipv6.u.bytes, 16) == 0)
			return 0;
		return DNS_RC_NXRRSET;
	}
	return DNS_RC_FORMERR;
}

/* RFC 2136 3.4.1: check the whole update section before changing anything. */
static int
prescan(struct upd *u, const ldns_rr *rr)
{
	uint8_t name[DNS_NAME_MAX];
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	uint16_t cls = (uint16_t)ldns_rr_get_class(rr);

	if (owner_wire(rr, name) != 0)
		return DNS_RC_FORMERR;
	if (!in_zone(name, u->zone))
		return DNS_RC_NOTZONE;
	if (cls == DNS_C_IN) {
		if (type == DNS_T_ANY || type == DNS_T_AXFR || type == DNS_T_IXFR ||
		    type == DNS_T_OPT || type == DNS_T_TSIG)
			return DNS_RC_FORMERR;
		return 0;
	}
	if (cls == DNS_C_ANY) {
		if (ldns_rr_ttl(rr) != 0 || ldns_rr_rd_count(rr) != 0 || type == DNS_T_AXFR ||
		    type == DNS_T_IXFR)
			return DNS_RC_FORMERR;
		return 0;
	}
	if (cls == DNS_C_NONE)
		return ldns_rr_ttl(rr) != 0 ? DNS_RC_FORMERR : 0;
	return DNS_RC_FORMERR;
}

static int
host_remove(struct upd *u, const char *fqdn, const struct addr *only_ip)
{
	const struct pol_host *h = pol_snap_host_by_fqdn(u->snap, fqdn);
	struct pol_err e;

	if (!h)
		return 0;
	if (only_ip && !addr_eq(&h->ipv4, only_ip))
		return 0;
	if (!h->dynamic)
		return DNS_RC_REFUSED;
	if (pol_row_delete(u->d->store, &pol_t_host, h->id, &e) != 0) {
		log_warnx("dns: update: cannot remove %s: %s", fqdn, e.msg);
		return DNS_RC_SERVFAIL;
	}
	note(u, "remove %s", fqdn);
	u->changed = true;
	return refresh(u) ? DNS_RC_SERVFAIL : 0;
}

static int
host_register(struct upd *u, const char *fqdn, const struct addr *ip)
{
	const struct pol_host *h = pol_snap_host_by_fqdn(u->snap, fqdn);
	const struct pol_host *other = host_by_v4(u->snap, ip);
	struct pol_err e;
	char ab[ADDR_STRLEN];

	memset(&e, 0, sizeof(e));
	if (h && addr_eq(&h->ipv4, ip))
		return 0; /* a renewal: nothing changes */
	if (h && !h->dynamic)
		return DNS_RC_REFUSED;
	if (other && other != h) {
		/* the address moved to another name (a new DHCP lease) */
		if (!other->dynamic)
			return DNS_RC_REFUSED;
		char oname[POL_NAME_MAX];
		util_strlcpy(oname, other->fqdn, sizeof(oname));
		int r = host_remove(u, oname, NULL);
		if (r)
			return r;
		h = pol_snap_host_by_fqdn(u->snap, fqdn);
	}
	if (h) {
		struct pol_host row = *h;
		row.ipv4 = *ip;
		if (pol_row_update(u->d->store, &pol_t_host, &row, &e) != 0)
			goto fail;
	} else {
		struct pol_host row;
		memset(&row, 0, sizeof(row));
		util_strlcpy(row.fqdn, fqdn, sizeof(row.fqdn));
		row.ipv4 = *ip;
		row.pool_limit = POL_POOL_LIMIT_DEFAULT;
		row.dynamic = true;
		util_strlcpy(row.comment, "registered by DNS UPDATE", sizeof(row.comment));
		if (pol_row_insert(u->d->store, &pol_t_host, &row, &e) != 0)
			goto fail;
		/* the original's default services: the name itself, and www through the ALG */
		for (int k = 0; k < 2; k++) {
			struct pol_service s;
			memset(&s, 0, sizeof(s));
			s.host_id = row.id;
			if (k == 0)
				util_strlcpy(s.fqdn, fqdn, sizeof(s.fqdn));
			else if (snprintf(s.fqdn, sizeof(s.fqdn), "www.%s", fqdn) >=
				 (int)sizeof(s.fqdn))
				break;
			s.proxy_required = k == 1;
			s.binding_timeout_ms = POL_BINDING_TIMEOUT_MS;
			if (pol_row_insert(u->d->store, &pol_t_service, &s, &e) != 0)
				goto fail;
		}
	}
	note(u, "register %s %s", fqdn, addr_ntop(ip, ab, sizeof(ab)));
	u->changed = true;
	return refresh(u) ? DNS_RC_SERVFAIL : 0;
fail:
	log_rl(&rl_upd, LOG_LVL_WARN, "dns: update: %s: %s %s", fqdn, e.field, e.msg);
	return DNS_RC_REFUSED;
}

/* RFC 2136 3.4.2, restricted to what a host registration means. */
static int
apply_rr(struct upd *u, const ldns_rr *rr)
{
	uint8_t name[DNS_NAME_MAX];
	char fqdn[POL_NAME_MAX * 4];
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	uint16_t cls = (uint16_t)ldns_rr_get_class(rr);
	struct addr ip;

	if (u->apex->kind != POL_ZONE_FORWARD)
		return 0; /* PTR and friends follow from the hosts */
	if (owner_wire(rr, name) != 0 || dns_name_to_str(name, fqdn, sizeof(fqdn)) != 0)
		return DNS_RC_FORMERR;
	if (dns_name_eq(name, u->zone))
		return 0; /* never touch the apex */
	memset(&ip, 0, sizeof(ip));
	if (type == DNS_T_A && ldns_rr_rd_count(rr) == 1 &&
	    ldns_rdf_size(ldns_rr_rdf(rr, 0)) == 4) {
		ip.family = AF_INET;
		memcpy(ip.u.bytes, ldns_rdf_data(ldns_rr_rdf(rr, 0)), 4);
	}
	if (cls == DNS_C_IN && type == DNS_T_A && ip.family) {
		if (ldns_rr_ttl(rr) == 0)
			return host_remove(u, fqdn, &ip); /* the original's "TTL 0 removes" */
		return host_register(u, fqdn, &ip);
	}
	if (cls == DNS_C_ANY && (type == DNS_T_A || type == DNS_T_ANY))
		return host_remove(u, fqdn, NULL);
	if (cls == DNS_C_NONE && type == DNS_T_A && ip.family)
		return host_remove(u, fqdn, &ip);
	return 0;
}

static size_t
reply(ldns_pkt *req, const uint8_t *pkt, size_t len, int rcode, struct dns *d, bool sign,
      uint8_t *out, size_t cap)
{
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire = NULL;
	size_t wlen = 0;

	if (!p)
		return 0;
	ldns_pkt_set_id(p, len >= 2 ? dns_get16(pkt) : 0);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)DNS_OPCODE(dns_get16(pkt + 2)));
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (req && ldns_pkt_qdcount(req) == 1) {
		ldns_rr *z = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(req), 0));
		if (z)
			ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, z);
	}
	if (sign && req && ldns_pkt_tsig(req)) {
		const ldns_rr *t = ldns_pkt_tsig(req);
		if (ldns_pkt_tsig_sign(p, d->tsig_name, d->tsig_secret, 300, d->tsig_alg,
				       ldns_rr_rdf(t, 3)) != LDNS_STATUS_OK)
			log_rl(&rl_upd, LOG_LVL_WARN, "dns: update: cannot sign the reply");
	}
	size_t n = 0;
	if (ldns_pkt2wire(&wire, p, &wlen) == LDNS_STATUS_OK && wlen <= cap) {
		memcpy(out, wire, wlen);
		n = wlen;
	}
	free(wire);
	ldns_pkt_free(p);
	return n;
}

/*
 * Put the update's transaction in force through the committer, which validates the whole
 * policy, applies it everywhere and writes the audit line, or rolls everything back. An
 * UPDATE the policy refuses (a collision, an address that is the gateway's own), or sent to
 * the standby of an HA pair, is REFUSED;
 * one the data plane or the store could not take is SERVFAIL.
 */
static int
commit(struct upd *u, const ldns_rr *tsig, const struct addr *src)
{
	char zone[POL_NAME_MAX * 4], actor[sizeof(u->d->tsig_name)], detail[sizeof(u->what) + 64];
	char ab[ADDR_STRLEN];
	struct pol_err e = { 0 };
	struct pol_change c = {
		.actor = actor, .action = "UPDATE", .resource = zone, .detail = detail
	};
	int rc;

	if (u->d->commit == NULL) {
		pol_store_rollback(u->d->store);
		return DNS_RC_REFUSED;
	}
	if (dns_name_to_str(u->zone, zone, sizeof(zone)) != 0)
		zone[0] = '\0';
	/* who: the TSIG key that signed the message (verified by now) */
	util_strlcpy(actor, tsig != NULL ? u->d->tsig_name : "ddns", sizeof(actor));
	snprintf(detail, sizeof(detail), "from %s: %s", addr_ntop(src, ab, sizeof(ab)), u->what);
	rc = u->d->commit(u->d->commit_arg, &c, NULL, &e);
	if (rc == 0) {
		log_info("dns: update %s", detail);
		return 0;
	}
	log_rl(&rl_upd, LOG_LVL_WARN, "dns: update %s refused: %s%s%s", detail, e.field,
	       e.field[0] ? ": " : "", e.msg);
	/* -EROFS: the standby of an HA pair, which takes updates from its active only */
	if ((rc == -EINVAL && e.kind != POL_ERR_APPLY) || rc == -EROFS)
		return DNS_RC_REFUSED;
	return DNS_RC_SERVFAIL;
}

size_t
dns_ddns_handle(struct dns *d, const uint8_t *pkt, size_t len, const struct addr *src, uint8_t *out,
		size_t cap)
{
	ldns_pkt *req = NULL;
	struct upd u;
	int rc = 0;
	size_t n = 0;
	bool sign = false;

	if (len < DNS_HDR_LEN || (dns_get16(pkt + 2) & DNS_F_QR))
		return 0;
	if (DNS_OPCODE(dns_get16(pkt + 2)) == DNS_OP_QUERY) {
		/* nsupdate asks for the zone's SOA first: answer like the local-only view */
		struct dns_answer_ctx ctx;
		struct dns_answer_info info;
		if (!d->db)
			return 0;
		dns_ctx_init(d, &ctx, d->db, DNS_VIEW_LOCAL, cap > DNS_UDP_QMAX, NULL);
		ctx.src = *src;
		ctx.alloc = NULL;
		if (dns_answer(&ctx, pkt, len, out, cap, &info) == DNS_ANS_SEND)
			return info.len;
		return 0;
	}
	memset(&u, 0, sizeof(u));
	u.d = d;
	if (DNS_OPCODE(dns_get16(pkt + 2)) != DNS_OP_UPDATE) {
		rc = DNS_RC_NOTIMP;
		goto out;
	}
	if (ldns_wire2pkt(&req, pkt, len) != LDNS_STATUS_OK) {
		rc = DNS_RC_FORMERR;
		goto out;
	}
	/* TSIG: required when a key is configured, refused when none is */
	const ldns_rr *tsig = ldns_pkt_tsig(req);
	if (d->tsig_name[0] || tsig) {
		if (!d->tsig_name[0] || !tsig) {
			rc = DNS_RC_NOTAUTH;
			goto out;
		}
		char *kn = ldns_rdf2str(ldns_rr_owner(tsig));
		char want[sizeof(d->tsig_name) + 1];
		snprintf(want, sizeof(want), "%s%s", d->tsig_name,
			 d->tsig_name[strlen(d->tsig_name) - 1] == '.' ? "" : ".");
		bool same_key = kn && strcasecmp(kn, want) == 0;
		free(kn);
		if (!same_key ||
		    !ldns_pkt_tsig_verify(req, pkt, len, d->tsig_name, d->tsig_secret, NULL)) {
			rc = DNS_RC_NOTAUTH;
			goto out;
		}
		sign = true;
	}
	if (ldns_pkt_qdcount(req) != 1) {
		rc = DNS_RC_FORMERR;
		goto out;
	}
	const ldns_rr *zrr = ldns_rr_list_rr(ldns_pkt_question(req), 0);
	if (ldns_rr_get_type(zrr) != LDNS_RR_TYPE_SOA || owner_wire(zrr, u.zone) != 0) {
		rc = DNS_RC_FORMERR;
		goto out;
	}
	const struct dns_node *enc;
	const struct dns_node *zn = d->db ? dns_db_find(d->db, u.zone, false, &enc) : NULL;
	if (!zn || !(zn->flags & DNS_NODE_APEX) || ldns_rr_get_class(zrr) != LDNS_RR_CLASS_IN) {
		rc = DNS_RC_NOTAUTH;
		goto out;
	}
	u.apex = &d->db->zones[zn->zone];
	ldns_rr_list *pre = ldns_pkt_answer(req), *up = ldns_pkt_authority(req);
	for (size_t i = 0; i < ldns_rr_list_rr_count(pre) && !rc; i++)
		rc = prereq(&u, ldns_rr_list_rr(pre, i));
	for (size_t i = 0; i < ldns_rr_list_rr_count(up) && !rc; i++)
		rc = prescan(&u, ldns_rr_list_rr(up, i));
	if (rc)
		goto out;
	if (!d->store) {
		rc = DNS_RC_REFUSED;
		goto out;
	}
	if (pol_store_begin(d->store) != 0) {
		rc = DNS_RC_SERVFAIL;
		goto out;
	}
	dns_busy_begin(d); /* the store writes and the commit: UDP goes to the stand-in */
	rc = refresh(&u) ? DNS_RC_SERVFAIL : 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(up) && !rc; i++)
		rc = apply_rr(&u, ldns_rr_list_rr(up, i));
	if (rc || !u.changed)
		pol_store_rollback(d->store); /* nothing to put in force */
	else
		rc = commit(&u, tsig, src);
	dns_busy_end(d);
out:
	if (rc) {
		char ab[ADDR_STRLEN];
		DNS_STAT_INC(&d->stats, updates_refused);
		log_rl(&rl_upd, LOG_LVL_INFO, "dns: update from %s refused (rcode %d)",
		       addr_ntop(src, ab, sizeof(ab)), rc);
	} else {
		DNS_STAT_INC(&d->stats, updates_ok);
	}
	n = reply(req, pkt, len, rc, d, sign && rc != DNS_RC_NOTAUTH, out, cap);
	pol_snap_unref(u.snap);
	if (req)
		ldns_pkt_free(req); /* deep free */
	return n;
}

void
dns_updates_hold(struct dns *d, bool hold)
{
	if (d == NULL || d->updates_held == hold)
		return;
	d->updates_held = hold;
	for (size_t i = 0; i < d->n_listeners; i++) {
		struct dns_listener *l = d->listeners[i];

		if (!l->ddns || l->tcp || l->fd < 0)
			continue;
		if (!hold)
			(void)ev_io_add(d->loop, l->fd, EV_READ, dns_udp_readable, l);
		else
			ev_io_del(d->loop, l->fd);
	}
}
