/* SPDX-License-Identifier: MIT */
/* tests/unit/test_dns_nest.c -- nested gateways in the DNS: the outer's admission and answers,
 * the inner's trust of parents (ECI), the messages between them */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "common/util.h"
#include "dns/answer.h"
#include "dns/nest.h"
#include "dns/wire.h"
#include "dns/zone.h"

static struct pol_snap *snap;
static struct dns_db *db;
static struct nat_request last_req;
static int reserve_calls, alloc_calls, qmin_calls;
static enum nat_refusal refuse; /* NAT_REFUSE_NONE: grant */
static int64_t qmin_keys[16];
static size_t qmin_n;
static struct addr qmin_resolver;

static struct addr
v4(const char *s)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, s, &a.u.v4), 1);
	return a;
}

/* outer gwa.demo with the nested gateway nest.gwa.demo; a parent group 10.0.0.1 (the same
 * policy plays the inner's part for the ECI tests) */
static void
build(bool dns_tcp)
{
	struct pol_host *h;

	dns_db_unref(db);
	pol_snap_unref(snap);
	snap = pol_snap_new();
	snap->zones = calloc(1, sizeof(*snap->zones));
	snap->zones[0] = (struct pol_zone){
		.id = 1, .kind = POL_ZONE_FORWARD, .ttl = 3600, .serial = 1, .minimum = 60
	};
	strcpy(snap->zones[0].name, "gwa.demo");
	strcpy(snap->zones[0].mname, "ns1.gwa.demo");
	strcpy(snap->zones[0].rname, "hostmaster.gwa.demo");
	snap->n_zones = 1;
	snap->service_addrs = calloc(1, sizeof(*snap->service_addrs));
	snap->service_addrs[0].id = 1;
	snap->service_addrs[0].addr = v4("100.64.1.130");
	snap->n_service_addrs = 1;
	snap->hosts = calloc(2, sizeof(*snap->hosts));
	h = &snap->hosts[0];
	h->id = 1;
	strcpy(h->fqdn, "test.gwa.demo");
	h->ipv4 = v4("192.168.0.100");
	h = &snap->hosts[1];
	h->id = 2;
	strcpy(h->fqdn, "nest.gwa.demo");
	h->ipv4 = v4("192.168.0.10");
	h->nested_port = 53;
	assert_int_equal(pol_nested_add(h, "192.168.0.10-192.168.0.14"), 0);
	snap->n_hosts = 2;
	snap->services = calloc(1, sizeof(*snap->services));
	snap->services[0] =
		(struct pol_service){ .id = 1, .host_id = 1, .binding_timeout_ms = 2000 };
	strcpy(snap->services[0].fqdn, "test.gwa.demo");
	snap->n_services = 1;
	snap->resolver_groups = calloc(1, sizeof(*snap->resolver_groups));
	snap->resolver_groups[0] = (struct pol_resolver_group){ .id = 1, .parent = true };
	strcpy(snap->resolver_groups[0].name, "carrier");
	snap->n_resolver_groups = 1;
	snap->resolver_nodes = calloc(1, sizeof(*snap->resolver_nodes));
	snap->resolver_nodes[0].id = 1;
	snap->resolver_nodes[0].group_id = 1;
	snap->resolver_nodes[0].prefix = (struct prefix){ v4("10.0.0.1"), 32 };
	snap->n_resolver_nodes = 1;
	snap->admission.dns_tcp = dns_tcp;
	db = dns_db_build(snap);
	assert_non_null(db);
}

static int
fake_alloc(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	(void)arg;
	alloc_calls++;
	last_req = *req;
	if (refuse != NAT_REFUSE_NONE) {
		*why = refuse;
		return -EAGAIN;
	}
	*out = v4("100.64.1.131");
	return 0;
}

static int
fake_reserve(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why,
	     uint64_t *id, bool *fresh)
{
	(void)arg;
	reserve_calls++;
	last_req = *req;
	if (refuse != NAT_REFUSE_NONE) {
		*why = refuse;
		return -EAGAIN;
	}
	*out = v4("100.64.1.132");
	*id = 7;
	*fresh = true;
	return 0;
}

static unsigned
fake_qmin(void *arg, const struct addr *resolver, const struct prefix *requestor,
	  const int64_t *ids, size_t n)
{
	(void)arg;
	(void)requestor;
	qmin_calls++;
	qmin_resolver = *resolver;
	qmin_n = n;
	memcpy(qmin_keys, ids, n * sizeof(*ids));
	return 0;
}

static void
ctx_init(struct dns_answer_ctx *c, enum dns_view view, bool tcp, const char *src)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->view = view;
	c->tcp = tcp;
	c->src = v4(src);
	c->sport = 40000;
	c->edns_size = 1232;
	c->lan_ttl = 30;
	c->alloc = fake_alloc;
	c->nest_reserve = fake_reserve;
	c->qmin = fake_qmin;
}

static int
setup(void **state)
{
	(void)state;
	build(false);
	reserve_calls = alloc_calls = qmin_calls = 0;
	refuse = NAT_REFUSE_NONE;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dns_db_unref(db);
	db = NULL;
	pol_snap_unref(snap);
	snap = NULL;
	return 0;
}

/* A query with EDNS and the given options (raw option bytes). */
static size_t
mkquery(uint8_t *out, const char *name, uint16_t type, const uint8_t *opts, size_t olen)
{
	uint8_t wire[DNS_NAME_MAX];
	int nl = dns_name_from_str(name, wire, sizeof(wire));
	size_t p;

	assert_true(nl > 0);
	memset(out, 0, DNS_HDR_LEN);
	dns_put16(out, 0x4242);
	dns_put16(out + 4, 1);
	dns_put16(out + 10, 1);
	memcpy(out + DNS_HDR_LEN, wire, (size_t)nl);
	p = DNS_HDR_LEN + (size_t)nl;
	dns_put16(out + p, type);
	dns_put16(out + p + 2, DNS_C_IN);
	p += 4;
	out[p] = 0;
	dns_put16(out + p + 1, DNS_T_OPT);
	dns_put16(out + p + 3, 1232);
	dns_put32(out + p + 5, 0);
	dns_put16(out + p + 9, (uint16_t)olen);
	if (olen > 0)
		memcpy(out + p + 11, opts, olen);
	return p + 11 + olen;
}

static const uint8_t eci_parent[] = { 0xff, 0x01, 0, 10, 0, 1, 198, 18, 0, 100, 0, 6, 0x14, 0xe9 };
static const uint8_t ecs_24[] = { 0, 8, 0, 7, 0, 1, 24, 0, 203, 0, 113 };

/* ---------------------------------------------------------------- the outer gateway */

static void
test_outer_reserves_and_asks(void **state)
{
	struct dns_answer_ctx c;
	struct dns_answer_info info;
	uint8_t q[512], out[1232];
	size_t n;

	(void)state;
	ctx_init(&c, DNS_VIEW_WAN, false, "100.64.0.1");
	n = mkquery(q, "www.Test.nest.gwa.demo", DNS_T_A, ecs_24, sizeof(ecs_24));
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_NESTED);
	assert_int_equal(reserve_calls, 1);
	assert_true(last_req.nested);
	assert_int_equal(last_req.host_id, 2);
	assert_int_equal(last_req.kind, NAT_REQ_ADDRESS);
	assert_false(last_req.non_spoofed);
	assert_true(last_req.has_requestor);
	{
		uint8_t w[DNS_NAME_MAX];

		assert_true(dns_name_from_str("www.test.nest.gwa.demo", w, sizeof(w)) > 0);
		assert_int_equal(last_req.nested_key, dns_nest_key(w));
		assert_true(last_req.nested_key < 0);
	}
	assert_int_equal(info.nest.host_id, 2);
	assert_int_equal(info.nest.binding, 7);
	assert_true(info.nest.fresh);
	assert_false(info.nest.relay);
	assert_false(info.nest.proven);
	assert_int_equal(info.nest.rport, 40000);
	assert_true(addr_eq(&info.nest.resolver, &c.src));
	assert_true(info.nest.has_requestor);
	assert_int_equal(info.nest.requestor.len, 24);
	/* SRV and TXT reserve too (service-info: the address rides along) */
	n = mkquery(q, "test.nest.gwa.demo", DNS_T_SRV, NULL, 0);
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_NESTED);
	assert_int_equal(last_req.kind, NAT_REQ_SERVICE_INFO);
	/* other types: asked (for the rcode), nothing reserved */
	n = mkquery(q, "test.nest.gwa.demo", DNS_T_AAAA, NULL, 0);
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_NESTED);
	assert_int_equal(reserve_calls, 2);
	assert_int_equal(info.nest.binding, 0);
	/* the LAN view relays, no reservation */
	ctx_init(&c, DNS_VIEW_LAN, false, "192.168.0.100");
	n = mkquery(q, "test.nest.gwa.demo", DNS_T_A, NULL, 0);
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_NESTED);
	assert_true(info.nest.relay);
	assert_int_equal(reserve_calls, 2);
	/* the gateway's own name is an ordinary host of ours */
	ctx_init(&c, DNS_VIEW_WAN, false, "100.64.0.1");
	n = mkquery(q, "nest.gwa.demo", DNS_T_A, NULL, 0);
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
	assert_int_equal(reserve_calls, 2);
}

static void
test_outer_admission(void **state)
{
	struct dns_answer_ctx c;
	struct dns_answer_info info;
	uint8_t q[512], out[1232];
	size_t n;

	(void)state;
	build(true); /* dns_tcp: UDP gets TC first */
	ctx_init(&c, DNS_VIEW_WAN, false, "100.64.0.1");
	n = mkquery(q, "test.nest.gwa.demo", DNS_T_A, NULL, 0);
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
	assert_true(info.tc);
	assert_int_equal(reserve_calls, 0);
	/* over TCP: proven, the minimisation steps below the gateway are released first */
	ctx_init(&c, DNS_VIEW_WAN, true, "100.64.0.1");
	n = mkquery(q, "a.b.test.nest.gwa.demo", DNS_T_A, NULL, 0);
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_NESTED);
	assert_true(info.nest.proven);
	assert_true(last_req.non_spoofed);
	assert_int_equal(qmin_calls, 1);
	assert_int_equal(qmin_n, 2); /* b.test.nest..., test.nest... (not nest itself) */
	{
		uint8_t w[DNS_NAME_MAX];

		assert_true(dns_name_from_str("b.test.nest.gwa.demo", w, sizeof(w)) > 0);
		assert_int_equal(qmin_keys[0], dns_nest_key(w));
		assert_true(dns_name_from_str("test.nest.gwa.demo", w, sizeof(w)) > 0);
		assert_int_equal(qmin_keys[1], dns_nest_key(w));
	}
	/* our pool refuses: refused like any allocation, the nested gateway is never asked */
	refuse = NAT_REFUSE_EXHAUSTED;
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_RETRY);
	ctx_init(&c, DNS_VIEW_WAN, false, "100.64.0.1");
	c.tcp = false;
	build(false);
	c.db = db;
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_DROP);
	refuse = NAT_REFUSE_NONE;
	/* a worker thread hands it to the main thread */
	c.alloc = NULL;
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_NEED_ALLOC);
	/* nobody attached to ask: SERVFAIL */
	c.alloc = fake_alloc;
	c.nest_reserve = NULL;
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
	assert_int_equal(info.rcode, DNS_RC_SERVFAIL);
}

/* The final answers (dns_answer_nested) checked through ldns. */
static ldns_pkt *
final(enum dns_view view, bool tcp, const char *name, uint16_t qt, enum dns_nest_outcome o,
      const struct dns_nest_answer *a, const char *addr, enum dns_answer_res want)
{
	struct dns_answer_ctx c;
	struct dns_answer_info info;
	uint8_t q[512], out[1232];
	struct addr ad;
	ldns_pkt *p = NULL;
	size_t n;

	ctx_init(&c, view, tcp, "100.64.0.1");
	n = mkquery(q, name, qt, NULL, 0);
	if (addr)
		ad = v4(addr);
	assert_int_equal(
		dns_answer_nested(&c, q, n, o, a, addr ? &ad : NULL, out, sizeof(out), &info),
		want);
	if (want == DNS_ANS_SEND)
		assert_int_equal(ldns_wire2pkt(&p, out, info.len), LDNS_STATUS_OK);
	return p;
}

static void
test_final_answers(void **state)
{
	struct dns_nest_answer a;
	ldns_pkt *p;
	ldns_rr *rr;
	char *s;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.ede = -1;
	a.has_addr = true;
	a.addr = v4("192.168.0.11");
	p = final(DNS_VIEW_WAN, false, "test.nest.gwa.demo", DNS_T_A, DNS_NEST_ANSWER, &a,
		  "100.64.1.132", DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	assert_int_equal(ldns_rr_ttl(rr), 0);
	s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	assert_string_equal(s, "100.64.1.132");
	free(s);
	ldns_pkt_free(p);
	/* SRV: its rdata, our address in the additional section */
	a.has_srv = true;
	a.srv_prio = 10;
	a.srv_weight = 100;
	a.srv_port = 2000;
	assert_true(dns_name_from_str("_2000._6.test.nest.gwa.demo", a.srv_target,
				      sizeof(a.srv_target)) > 0);
	p = final(DNS_VIEW_WAN, false, "test.nest.gwa.demo", DNS_T_SRV, DNS_NEST_ANSWER, &a,
		  "100.64.1.132", DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	s = ldns_rr2str(rr);
	assert_non_null(strstr(s, "SRV\t10 100 2000 _2000._6.test.nest.gwa.demo."));
	free(s);
	assert_int_equal(ldns_pkt_arcount(p), 1);
	s = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_additional(p), 0));
	assert_non_null(strstr(s, "_2000._6.test.nest.gwa.demo.\t0\tIN\tA\t100.64.1.132"));
	free(s);
	ldns_pkt_free(p);
	/* TXT: its text as it gave it */
	a.has_txt = true;
	memcpy(a.txt, "\x05hello", 6);
	a.txt_len = 6;
	p = final(DNS_VIEW_WAN, true, "test.nest.gwa.demo", DNS_T_TXT, DNS_NEST_ANSWER, &a,
		  "100.64.1.132", DNS_ANS_SEND);
	s = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(p), 0));
	assert_non_null(strstr(s, "\"hello\""));
	free(s);
	ldns_pkt_free(p);
	/* NXDOMAIN and NODATA in our zone's words (SOA) */
	a.has_addr = false;
	a.rcode = DNS_RC_NXDOMAIN;
	p = final(DNS_VIEW_WAN, false, "nope.nest.gwa.demo", DNS_T_A, DNS_NEST_ANSWER, &a, NULL,
		  DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	a.rcode = DNS_RC_NOERROR;
	p = final(DNS_VIEW_WAN, false, "test.nest.gwa.demo", DNS_T_AAAA, DNS_NEST_ANSWER, &a, NULL,
		  DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	/* timeout / unreachable: SERVFAIL; refused: UDP silence, TCP an empty NOERROR */
	p = final(DNS_VIEW_WAN, false, "test.nest.gwa.demo", DNS_T_A, DNS_NEST_SERVFAIL, NULL, NULL,
		  DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(p);
	final(DNS_VIEW_WAN, false, "test.nest.gwa.demo", DNS_T_A, DNS_NEST_REFUSED, NULL, NULL,
	      DNS_ANS_DROP);
	p = final(DNS_VIEW_WAN, true, "test.nest.gwa.demo", DNS_T_A, DNS_NEST_REFUSED, NULL, NULL,
		  DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p) + ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
}

/* ---------------------------------------------------------------- the inner gateway */

static void
test_inner_trusts_parents_only(void **state)
{
	struct dns_answer_ctx c;
	struct dns_answer_info info;
	uint8_t q[512], out[1232], opts[64];
	size_t n;

	(void)state;
	memcpy(opts, ecs_24, sizeof(ecs_24));
	memcpy(opts + sizeof(ecs_24), eci_parent, sizeof(eci_parent));
	/* from the parent: the resolver is the one its ECI names, the ECS its client subnet */
	ctx_init(&c, DNS_VIEW_WAN, false, "10.0.0.1");
	n = mkquery(q, "test.gwa.demo", DNS_T_A, opts, sizeof(ecs_24) + sizeof(eci_parent));
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
	assert_true(addr_eq(&last_req.resolver, &(struct addr){ 0 }) == false);
	{
		struct addr want = v4("198.18.0.100");

		assert_true(addr_eq(&last_req.resolver, &want));
	}
	assert_true(last_req.non_spoofed); /* ECI protocol 6: the parent says it is proven */
	assert_true(last_req.has_requestor);
	assert_int_equal(last_req.requestor.len, 24);
	assert_false(info.eci_ignored);
	/* from anybody else: the ECI means nothing, the source is the resolver */
	ctx_init(&c, DNS_VIEW_WAN, false, "10.0.0.2");
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
	assert_true(addr_eq(&last_req.resolver, &c.src));
	assert_false(last_req.non_spoofed);
	assert_true(info.eci_ignored);
	/* the parent without ECI is a resolver like another */
	ctx_init(&c, DNS_VIEW_WAN, false, "10.0.0.1");
	n = mkquery(q, "test.gwa.demo", DNS_T_A, NULL, 0);
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
	assert_true(addr_eq(&last_req.resolver, &c.src));
}

/* A refusal to a parent is REFUSED at once, with an Extended DNS Error saying why. */
static void
test_inner_refuses_parent_with_ede(void **state)
{
	struct dns_answer_ctx c;
	struct dns_answer_info info;
	uint8_t q[512], out[1232];
	struct dns_nest_answer a;
	size_t n;

	(void)state;
	ctx_init(&c, DNS_VIEW_WAN, false, "10.0.0.1");
	n = mkquery(q, "test.gwa.demo", DNS_T_A, eci_parent, sizeof(eci_parent));
	refuse = NAT_REFUSE_EXHAUSTED;
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
	assert_int_equal(info.rcode, DNS_RC_REFUSED);
	assert_int_equal(dns_nest_parse(out, info.len, DNS_T_A, &a), 0);
	assert_int_equal(a.rcode, DNS_RC_REFUSED);
	assert_int_equal(a.ede, DNS_EDE_OTHER);
	assert_non_null(memmem(out, info.len, "exhausted", 9));
	refuse = NAT_REFUSE_ADMISSION;
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
	assert_int_equal(dns_nest_parse(out, info.len, DNS_T_A, &a), 0);
	assert_int_equal(a.ede, DNS_EDE_PROHIBITED);
	/* anybody else: the usual UDP silence */
	ctx_init(&c, DNS_VIEW_WAN, false, "10.0.0.2");
	assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_DROP);
}

/* ---------------------------------------------------------------- messages */

static void
test_query_message(void **state)
{
	uint8_t q[512], name[DNS_NAME_MAX];
	struct prefix ecs = { v4("203.0.113.0"), 24 };
	struct addr res = v4("100.64.0.1");
	struct dns_query pq;
	size_t n;

	(void)state;
	assert_true(dns_name_from_str("Www.Test.nest.gwa.demo", name, sizeof(name)) > 0);
	/* keep the client's case: build from a mixed-case wire name */
	name[1] = 'W';
	n = dns_nest_query(q, sizeof(q), name, DNS_T_A, &ecs, &res, DNS_ECI_PROVEN, 5353);
	assert_true(n > 0);
	assert_int_equal(dns_query_parse(q, n, false, &pq), DNS_QERR_NONE);
	assert_int_equal(pq.flags & DNS_F_RD, 0);
	assert_int_equal(pq.qtype, DNS_T_A);
	assert_int_equal(pq.qname_orig[1], 'W');
	assert_true(pq.has_ecs);
	assert_int_equal(pq.ecs.len, 24);
	assert_true(pq.has_eci);
	assert_true(addr_eq(&pq.eci, &res));
	assert_int_equal(pq.eci_proto, DNS_ECI_PROVEN);
	assert_int_equal(pq.eci_port, 5353);
	/* no ECS: only ECI; too small a buffer: 0 */
	n = dns_nest_query(q, sizeof(q), name, DNS_T_SRV, NULL, &res, DNS_ECI_UNPROVEN, 1);
	assert_int_equal(dns_query_parse(q, n, false, &pq), DNS_QERR_NONE);
	assert_false(pq.has_ecs);
	assert_int_equal(pq.eci_proto, DNS_ECI_UNPROVEN);
	assert_int_equal(dns_nest_query(q, 40, name, DNS_T_A, NULL, &res, 17, 1), 0);
}

/* The inner's real answers (dns_answer) parse; every strict prefix and random bytes never
 * read past their end (ASan) and are refused or partial. */
static void
test_parse_answers(void **state)
{
	struct dns_answer_ctx c;
	struct dns_answer_info info;
	struct dns_nest_answer a;
	uint8_t q[512], out[1232];
	size_t n;

	(void)state;
	ctx_init(&c, DNS_VIEW_WAN, false, "100.64.0.1");
	const uint16_t types[] = { DNS_T_A, DNS_T_SRV, DNS_T_TXT };

	for (size_t t = 0; t < 3; t++) {
		n = mkquery(q, "test.gwa.demo", types[t], NULL, 0);
		assert_int_equal(dns_answer(&c, q, n, out, sizeof(out), &info), DNS_ANS_SEND);
		assert_int_equal(dns_nest_parse(out, info.len, types[t], &a), 0);
		assert_int_equal(a.rcode, DNS_RC_NOERROR);
		assert_true(a.has_addr);
		assert_int_equal(a.addr.u.bytes[3], 131);
		assert_int_equal(a.has_srv, types[t] == DNS_T_SRV);
		assert_int_equal(a.has_txt, types[t] == DNS_T_TXT);
		if (types[t] == DNS_T_SRV)
			assert_int_equal(a.srv_port, 0);
		for (size_t k = 0; k < info.len; k++) {
			uint8_t *pre = malloc(k + 1);

			memcpy(pre, out, k);
			(void)dns_nest_parse(pre, k, types[t], &a);
			free(pre);
		}
	}
	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)(rand() % 200);
		uint8_t *m = malloc(len + 1);

		for (size_t k = 0; k < len; k++)
			m[k] = (uint8_t)rand();
		(void)dns_nest_parse(m, len, DNS_T_SRV, &a);
		free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outer_reserves_and_asks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outer_admission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_final_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inner_trusts_parents_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inner_refuses_parent_with_ede, setup,
						teardown),
		cmocka_unit_test(test_query_message),
		cmocka_unit_test_setup_teardown(test_parse_answers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
