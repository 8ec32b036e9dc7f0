/* SPDX-License-Identifier: MIT */
/* tests/unit/test_dns_answer.c -- golden answers of dns/answer.c at 512, 1232 and 65535 */
#include "dns_answer_fixture.h"

/* ---------------------------------------------------------------- tests */

static const uint16_t sizes[] = { 512, 1232, 65535 };

static void
test_apex_soa_ns(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		ask(DNS_VIEW_WAN, false, "gwa.demo", DNS_T_SOA, sizes[i]);
		assert_int_equal(R.res, DNS_ANS_SEND);
		assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
		assert_true(ldns_pkt_aa(R.pkt));
		assert_false(ldns_pkt_ra(R.pkt));
		assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
		ldns_rr *soa = rr_at(ldns_pkt_answer(R.pkt), 0);
		assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
		assert_int_equal(ldns_rr_ttl(soa), 3600);
		assert_string_equal(rdf_str(ldns_rr_rdf(soa, 0)), "ns1.gwa.demo.");
		assert_string_equal(rdf_str(ldns_rr_rdf(soa, 1)), "hostmaster.gwa.demo.");
		assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), 2026112201);
		assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 6)), 60);
		assert_true(ldns_pkt_edns(R.pkt));
		assert_int_equal(ldns_pkt_edns_udp_size(R.pkt), 1232);
	}
	ask(DNS_VIEW_WAN, false, "gwa.demo", DNS_T_NS, 0);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	ldns_rr *ns = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(ns), LDNS_RR_TYPE_NS);
	assert_string_equal(rdf_str(ldns_rr_rdf(ns, 0)), "ns1.gwa.demo.");
	assert_int_equal(ldns_pkt_arcount(R.pkt), 1); /* glue */
	assert_false(ldns_pkt_edns(R.pkt));
	/* the glue name itself */
	ask(DNS_VIEW_WAN, false, "ns1.gwa.demo", DNS_T_A, 0);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "100.64.1.130");
	/* ANY at the apex: SOA + NS */
	ask(DNS_VIEW_WAN, true, "gwa.demo", DNS_T_ANY, 0);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 2);
	/* the apex host ("self") answers its own address */
	ask(DNS_VIEW_WAN, false, "gwa.demo", DNS_T_A, 0);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	assert_int_equal(ldns_rr_ttl(rr_at(ldns_pkt_answer(R.pkt), 0)), 30);
	/* the reverse zone apex answers SOA on the WAN too */
	ask(DNS_VIEW_WAN, false, "168.192.in-addr.arpa", DNS_T_SOA, 0);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
}

static void
test_nxdomain_nodata_ent(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		ask(DNS_VIEW_WAN, false, "nope.gwa.demo", DNS_T_A, sizes[i]);
		assert_negative(LDNS_RCODE_NXDOMAIN);
		/* label boundary: xgwa.demo is not in gwa.demo -> REFUSED */
		ask(DNS_VIEW_WAN, false, "xgwa.demo", DNS_T_A, sizes[i]);
		assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_REFUSED);
		assert_false(ldns_pkt_aa(R.pkt));
		/* empty non-terminals: b.gwa.demo and a.b.gwa.demo exist without data */
		ask(DNS_VIEW_WAN, false, "b.gwa.demo", DNS_T_A, sizes[i]);
		assert_negative(LDNS_RCODE_NOERROR);
		ask(DNS_VIEW_WAN, false, "a.b.gwa.demo", DNS_T_NS, sizes[i]);
		assert_negative(LDNS_RCODE_NOERROR);
		/* below an existing name */
		ask(DNS_VIEW_WAN, false, "x.deep.a.b.gwa.demo", DNS_T_A, sizes[i]);
		assert_negative(LDNS_RCODE_NXDOMAIN);
		/* NODATA for a type a service does not have */
		ask(DNS_VIEW_WAN, false, "ssh.test.gwa.demo", DNS_T_MX, sizes[i]);
		assert_negative(LDNS_RCODE_NOERROR);
		/* a host that is not a service: exists, no public data */
		ask(DNS_VIEW_WAN, false, "plain.gwa.demo", DNS_T_A, sizes[i]);
		assert_negative(LDNS_RCODE_NOERROR);
		/* reverse names of private hosts are not visible from the WAN */
		ask(DNS_VIEW_WAN, false, "100.0.168.192.in-addr.arpa", DNS_T_PTR, sizes[i]);
		assert_negative(LDNS_RCODE_NXDOMAIN);
		ask(DNS_VIEW_WAN, false, "0.168.192.in-addr.arpa", DNS_T_PTR, sizes[i]);
		assert_negative(LDNS_RCODE_NXDOMAIN);
	}
	assert_int_equal(alloc_calls, 0);
}

static void
test_0x20_case(void **state)
{
	(void)state;
	ask(DNS_VIEW_WAN, false, "TcP2000.TeSt.GwA.dEmO", DNS_T_A, 1232);
	assert_int_equal(R.res, DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	char *owner = ldns_rdf2str(ldns_rr_owner(rr_at(ldns_pkt_answer(R.pkt), 0)));
	assert_string_equal(owner, "TcP2000.TeSt.GwA.dEmO.");
	free(owner);
	ask(DNS_VIEW_WAN, false, "NoPe.GWA.DEMO", DNS_T_A, 0);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	owner = ldns_rdf2str(ldns_rr_owner(rr_at(ldns_pkt_question(R.pkt), 0)));
	assert_string_equal(owner, "NoPe.GWA.DEMO.");
	free(owner);
}

static void
test_service_answers(void **state)
{
	(void)state;
	/* A with allocation, TTL 0 */
	ask(DNS_VIEW_WAN, false, "tcp2000.test.gwa.demo", DNS_T_A, 0);
	assert_int_equal(alloc_calls, 1);
	assert_int_equal(last_req.host_id, 2);
	assert_int_equal(last_req.service_id, 4);
	assert_false(last_req.non_spoofed);
	ldns_rr *a = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_ttl(a), 0);
	assert_string_equal(rdf_str(ldns_rr_rdf(a, 0)), "100.64.1.131");
	assert_true(R.info.allocated);
	/* SRV: 10 100 port _port._proto.fqdn + additional A */
	ask(DNS_VIEW_WAN, true, "ssh.test.gwa.demo", DNS_T_SRV, 0);
	assert_true(last_req.non_spoofed);
	ldns_rr *srv = rr_at(ldns_pkt_answer(R.pkt), 0);
	char *s = ldns_rr2str(srv);
	assert_string_equal(
		s, "ssh.test.gwa.demo.\t0\tIN\tSRV\t10 100 22 _22._6.ssh.test.gwa.demo.\n");
	free(s);
	ldns_rr *add = rr_at(ldns_pkt_additional(R.pkt), 0);
	s = ldns_rr2str(add);
	assert_string_equal(s, "_22._6.ssh.test.gwa.demo.\t0\tIN\tA\t100.64.1.131\n");
	free(s);
	/* the host is dual stack: the target's IPv6 address rides along, from an IPv6
	 * service-info request of its own */
	assert_int_equal(ldns_pkt_arcount(R.pkt), 2);
	s = ldns_rr2str(rr_at(ldns_pkt_additional(R.pkt), 1));
	assert_string_equal(s, "_22._6.ssh.test.gwa.demo.\t0\tIN\tAAAA\t2001:db8::100\n");
	free(s);
	assert_int_equal(last_req.family, AF_INET6);
	assert_int_equal(last_req.kind, NAT_REQ_SERVICE_INFO);
	/* TXT, byte-compatible with the original */
	ask(DNS_VIEW_WAN, false, "ssh.test.gwa.demo", DNS_T_TXT, 0);
	s = ldns_rr2str(rr_at(ldns_pkt_answer(R.pkt), 0));
	assert_string_equal(
		s,
		"ssh.test.gwa.demo.\t0\tIN\tTXT\t\"proxy_False.port_22.protocol_6.ssh.test.gwa.demo.\"\n");
	free(s);
	s = ldns_rr2str(rr_at(ldns_pkt_additional(R.pkt), 0));
	assert_string_equal(s, "ssh.test.gwa.demo.\t0\tIN\tA\t100.64.1.131\n");
	free(s);
	/* FQDN service: any protocol, any port */
	ask(DNS_VIEW_WAN, false, "test.gwa.demo", DNS_T_TXT, 0);
	s = ldns_rr2str(rr_at(ldns_pkt_answer(R.pkt), 0));
	assert_string_equal(
		s,
		"test.gwa.demo.\t0\tIN\tTXT\t\"proxy_False.port_0.protocol_0.test.gwa.demo.\"\n");
	free(s);
	/* proxy_required: the service address, no allocation */
	int before = alloc_calls;
	ask(DNS_VIEW_WAN, false, "www.test.gwa.demo", DNS_T_A, 0);
	assert_int_equal(alloc_calls, before);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "100.64.1.130");
	ask(DNS_VIEW_WAN, false, "www.test.gwa.demo", DNS_T_TXT, 0);
	s = ldns_rr2str(rr_at(ldns_pkt_answer(R.pkt), 0));
	assert_string_equal(
		s,
		"www.test.gwa.demo.\t0\tIN\tTXT\t\"proxy_True.port_0.protocol_0.www.test.gwa.demo.\"\n");
	free(s);
	/* AAAA: an IPv6 request to the pool (pinhole or IPv6 pool), TTL 0 */
	ask(DNS_VIEW_WAN, false, "test.gwa.demo", DNS_T_AAAA, 0);
	assert_int_equal(alloc_calls, before + 1);
	assert_int_equal(last_req.family, AF_INET6);
	assert_int_equal(last_req.kind, NAT_REQ_ADDRESS);
	assert_int_equal(ldns_rr_ttl(rr_at(ldns_pkt_answer(R.pkt), 0)), 0);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "2001:db8::100");
	/* A: an IPv4 request */
	ask(DNS_VIEW_WAN, false, "test.gwa.demo", DNS_T_A, 0);
	assert_int_equal(last_req.family, AF_INET);
	before = alloc_calls;
	/* AAAA for a host without IPv6: NODATA */
	ask(DNS_VIEW_WAN, false, "deep.a.b.gwa.demo", DNS_T_AAAA, 0);
	assert_negative(LDNS_RCODE_NOERROR);
}

/* The SRV answer's target _<port>._<proto>.<fqdn> resolves: A with the service's admission
 * (an SRV-target request), AAAA as the service, nothing else; its parent is an empty
 * non-terminal (minimising resolvers walk through it). The kind of each request tells the
 * pool what the address was answered for. */
static void
test_srv_target(void **state)
{
	(void)state;
	ask(DNS_VIEW_WAN, true, "ssh.test.gwa.demo", DNS_T_SRV, 0);
	assert_int_equal(last_req.kind, NAT_REQ_SERVICE_INFO);
	ask(DNS_VIEW_WAN, false, "ssh.test.gwa.demo", DNS_T_TXT, 0);
	assert_int_equal(last_req.kind, NAT_REQ_SERVICE_INFO);
	ask(DNS_VIEW_WAN, false, "ssh.test.gwa.demo", DNS_T_A, 0);
	assert_int_equal(last_req.kind, NAT_REQ_ADDRESS);
	int before = alloc_calls;
	ask(DNS_VIEW_WAN, true, "_22._6.ssh.test.gwa.demo", DNS_T_A, 0);
	assert_int_equal(alloc_calls, before + 1);
	assert_int_equal(last_req.kind, NAT_REQ_SRV_TARGET);
	assert_int_equal(last_req.service_id, 3);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(R.pkt));
	char *s = ldns_rr2str(rr_at(ldns_pkt_answer(R.pkt), 0));
	assert_string_equal(s, "_22._6.ssh.test.gwa.demo.\t0\tIN\tA\t100.64.1.131\n");
	free(s);
	/* the 0x20 spelling of a target is kept */
	ask(DNS_VIEW_WAN, true, "_22._6.SsH.tEst.gwa.demo", DNS_T_A, 0);
	assert_int_equal(last_req.kind, NAT_REQ_SRV_TARGET);
	/* AAAA of the target: an IPv6 SRV-target request (test.gwa.demo has an IPv6) */
	before = alloc_calls;
	ask(DNS_VIEW_WAN, true, "_22._6.ssh.test.gwa.demo", DNS_T_AAAA, 0);
	assert_int_equal(alloc_calls, before + 1);
	assert_int_equal(last_req.family, AF_INET6);
	assert_int_equal(last_req.kind, NAT_REQ_SRV_TARGET);
	before = alloc_calls;
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "2001:db8::100");
	/* the target has address records only */
	ask(DNS_VIEW_WAN, true, "_22._6.ssh.test.gwa.demo", DNS_T_SRV, 0);
	assert_int_equal(alloc_calls, before);
	assert_negative(LDNS_RCODE_NOERROR);
	/* the label between is an empty non-terminal; a wrong port is no name */
	ask(DNS_VIEW_WAN, true, "_6.ssh.test.gwa.demo", DNS_T_A, 0);
	assert_negative(LDNS_RCODE_NOERROR);
	assert_int_equal(alloc_calls, before);
	ask(DNS_VIEW_WAN, true, "_23._6.ssh.test.gwa.demo", DNS_T_A, 0);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	/* an FQDN service's target */
	ask(DNS_VIEW_WAN, true, "_0._0.test.gwa.demo", DNS_T_A, 0);
	assert_int_equal(last_req.kind, NAT_REQ_SRV_TARGET);
	/* the LAN view answers the private address */
	before = alloc_calls;
	ask(DNS_VIEW_LAN, false, "_22._6.ssh.test.gwa.demo", DNS_T_A, 0);
	assert_int_equal(alloc_calls, before);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "192.168.0.100");
}

static void
test_alloc_refused(void **state)
{
	(void)state;
	struct dns_answer_ctx c;
	uint8_t q[512];
	size_t n = mkquery(q, "ssh.test.gwa.demo", DNS_T_A, 0, 0, NULL, 0);
	alloc_refuse = true;
	ctx_init(&c, DNS_VIEW_WAN, false);
	run(&c, q, n, 512);
	assert_int_equal(R.res, DNS_ANS_DROP); /* UDP: the resolver retries */
	assert_true(R.info.alloc_refused);
	ctx_init(&c, DNS_VIEW_WAN, true);
	run(&c, q, n, 65535);
	assert_int_equal(R.res, DNS_ANS_RETRY);
	c.last_try = true;
	run(&c, q, n, 65535);
	assert_int_equal(R.res, DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 0);
	assert_int_equal(ldns_pkt_nscount(R.pkt), 0);
	/* no allocator on this thread: hand over */
	alloc_refuse = false;
	ctx_init(&c, DNS_VIEW_WAN, false);
	c.alloc = NULL;
	run(&c, q, n, 512);
	assert_int_equal(R.res, DNS_ANS_NEED_ALLOC);
}

static void
test_edns(void **state)
{
	(void)state;
	struct dns_answer_ctx c;
	uint8_t q[1024];
	size_t n;

	ctx_init(&c, DNS_VIEW_WAN, false);
	/* BADVERS */
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 1232, 1, NULL, 0);
	run(&c, q, n, 512);
	assert_int_equal(R.res, DNS_ANS_SEND);
	assert_int_equal(R.info.rcode, DNS_RC_BADVERS);
	assert_true(ldns_pkt_edns(R.pkt));
	assert_int_equal(ldns_pkt_edns_extended_rcode(R.pkt), 1);
	assert_int_equal(ldns_pkt_edns_version(R.pkt), 0);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 0);
	/* unknown options are ignored */
	uint8_t junk[5] = { 1, 2, 3, 4, 5 };
	struct qopt o = { 65000, 5, junk };
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 4096, 0, &o, 1);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	/* ECS: good, echoed with scope 0; used as the requestor */
	uint8_t ecs[7] = { 0, 1, 24, 0, 203, 0, 113 };
	o = (struct qopt){ DNS_OPT_ECS, 7, ecs };
	n = mkquery(q, "tcp2000.test.gwa.demo", DNS_T_A, 1232, 0, &o, 1);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
	assert_true(last_req.has_requestor);
	assert_int_equal(last_req.requestor.len, 24);
	assert_int_equal(last_req.requestor.addr.u.bytes[2], 113);
	/* ECS with bits set beyond the prefix: FORMERR */
	uint8_t ecs_bad[7] = { 0, 1, 23, 0, 203, 0, 113 };
	o = (struct qopt){ DNS_OPT_ECS, 7, ecs_bad };
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 1232, 0, &o, 1);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* ECS with a wrong address length / prefix too long / unknown family */
	uint8_t ecs_len[8] = { 0, 1, 24, 0, 203, 0, 113, 1 };
	o = (struct qopt){ DNS_OPT_ECS, 8, ecs_len };
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 1232, 0, &o, 1);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	uint8_t ecs_pl[8] = { 0, 1, 33, 0, 1, 2, 3, 4 };
	o = (struct qopt){ DNS_OPT_ECS, 8, ecs_pl };
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 1232, 0, &o, 1);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	uint8_t ecs_fam[4] = { 0, 9, 0, 0 };
	o = (struct qopt){ DNS_OPT_ECS, 4, ecs_fam };
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 1232, 0, &o, 1);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* ECS prefix 0: valid, no address bytes */
	uint8_t ecs0[4] = { 0, 1, 0, 0 };
	o = (struct qopt){ DNS_OPT_ECS, 4, ecs0 };
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 1232, 0, &o, 1);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
	/* ECI (the original's 0xFF01) from a source that is not a parent gateway means nothing:
	 * the requestor is the ECS subnet, the resolver the source (test_dns_nest.c: parents) */
	uint8_t eci[10] = { 0, 1, 198, 18, 0, 100, 0, 17, 0, 0 };
	struct qopt two[2] = { { DNS_OPT_ECS, 7, ecs }, { DNS_OPT_ECI, 10, eci } };
	n = mkquery(q, "tcp2000.test.gwa.demo", DNS_T_A, 1232, 0, two, 2);
	run(&c, q, n, 65535);
	assert_true(last_req.has_requestor);
	assert_int_equal(last_req.requestor.len, 24);
	assert_int_equal(last_req.requestor.addr.u.bytes[0], 203);
	assert_true(addr_eq(&last_req.resolver, &c.src));
	assert_true(R.info.eci_ignored);
	/* a malformed ECI is ignored (private option), not FORMERR */
	o = (struct qopt){ DNS_OPT_ECI, 3, eci };
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 1232, 0, &o, 1);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
	/* option length past the OPT rdata: FORMERR */
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 1232, 0, &o, 1);
	dns_put16(q + n - 3 - 2, 40);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* tiny EDNS size is raised to 512 */
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 100, 0, NULL, 0);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
}

static void
test_truncation(void **state)
{
	(void)state;
	/* a long name close to 255 bytes makes SRV + additional not fit in 512 */
	char name[300];
	snprintf(name, sizeof(name), "%s.%s.%s.%s.gwa.demo",
		 "a123456789012345678901234567890123456789012345678901234567890",
		 "b123456789012345678901234567890123456789012345678901234567890",
		 "c123456789012345678901234567890123456789012345678901234567890",
		 "d1234567890123456789012345678901234567890123456789");
	struct pol_host *h = &snap->hosts[snap->n_hosts - 1];
	add_service(h, name, false);
	dns_db_unref(db);
	db = dns_db_build(snap);
	struct dns_answer_ctx c;
	uint8_t q[1024];
	ctx_init(&c, DNS_VIEW_WAN, false);
	size_t n = mkquery(q, name, DNS_T_SRV, 0, 0, NULL, 0);
	run(&c, q, n, 65535);
	/* question ~260 + SRV with an uncompressed ~265-byte target > 512: TC, empty answer */
	assert_int_equal(R.res, DNS_ANS_SEND);
	assert_true(ldns_pkt_tc(R.pkt));
	assert_int_equal(ldns_pkt_ancount(R.pkt), 0);
	assert_true(R.info.len <= 512);
	/* at 1232 the SRV fits; the additional A (pointer to the target) too */
	n = mkquery(q, name, DNS_T_SRV, 1232, 0, NULL, 0);
	run(&c, q, n, 65535);
	assert_false(ldns_pkt_tc(R.pkt));
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	/* TXT: the text exceeds 255 bytes and is split into two character-strings */
	n = mkquery(q, name, DNS_T_TXT, 1232, 0, NULL, 0);
	run(&c, q, n, 65535);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	assert_int_equal(ldns_rr_rd_count(rr_at(ldns_pkt_answer(R.pkt), 0)), 2);
	/* over TCP everything fits */
	ctx_init(&c, DNS_VIEW_WAN, true);
	n = mkquery(q, name, DNS_T_SRV, 0, 0, NULL, 0);
	run(&c, q, n, 65535);
	assert_false(ldns_pkt_tc(R.pkt));
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	assert_int_equal(ldns_pkt_arcount(R.pkt), 1);
	/* the output buffer is never overrun: a 512-byte buffer for a UDP answer */
	ctx_init(&c, DNS_VIEW_WAN, false);
	n = mkquery(q, name, DNS_T_SRV, 4096, 0, NULL, 0);
	run(&c, q, n, 512);
	assert_true(R.info.len <= 512);
	assert_true(ldns_pkt_tc(R.pkt));
}

static void
test_refused_formerr(void **state)
{
	(void)state;
	struct dns_answer_ctx c;
	uint8_t q[1024];
	size_t n;
	ctx_init(&c, DNS_VIEW_WAN, false);
	/* out of zone */
	n = mkquery(q, "example.com", DNS_T_A, 0, 0, NULL, 0);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_REFUSED);
	/* a response is never answered */
	q[2] |= 0x80;
	run(&c, q, n, 512);
	assert_int_equal(R.res, DNS_ANS_DROP);
	/* short packet */
	run(&c, q, 11, 512);
	assert_int_equal(R.res, DNS_ANS_DROP);
	/* QDCOUNT 2 -> FORMERR without question */
	n = mkquery(q, "gwa.demo", DNS_T_A, 0, 0, NULL, 0);
	dns_put16(q + 4, 2);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_qdcount(R.pkt), 0);
	/* QDCOUNT 0 */
	dns_put16(q + 4, 0);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* ANCOUNT != 0 */
	n = mkquery(q, "gwa.demo", DNS_T_A, 0, 0, NULL, 0);
	dns_put16(q + 6, 1);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_qdcount(R.pkt), 1);
	/* ARCOUNT claims a record that is not there */
	n = mkquery(q, "gwa.demo", DNS_T_A, 0, 0, NULL, 0);
	dns_put16(q + 10, 1);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* trailing garbage */
	n = mkquery(q, "gwa.demo", DNS_T_A, 0, 0, NULL, 0);
	q[n++] = 0xAA;
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* opcode NOTIFY / STATUS -> NOTIMP */
	n = mkquery(q, "gwa.demo", DNS_T_SOA, 0, 0, NULL, 0);
	q[2] = (uint8_t)(q[2] | (2 << 3));
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOTIMPL);
	/* class CH -> REFUSED; AXFR -> REFUSED */
	n = mkquery(q, "version.bind", DNS_T_TXT, 0, 0, NULL, 0);
	dns_put16(q + n - 2, 3);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_REFUSED);
	n = mkquery(q, "gwa.demo", DNS_T_AXFR, 0, 0, NULL, 0);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_REFUSED);
	/* compression pointer in the question: FORMERR, no question echoed */
	uint8_t cq[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1 };
	run(&c, cq, sizeof(cq), 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_qdcount(R.pkt), 0);
	/* a label longer than 63 (0x40 label type) */
	uint8_t lq[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 'a', 0, 0, 1, 0, 1 };
	run(&c, lq, sizeof(lq), 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* two OPT records */
	n = mkquery(q, "gwa.demo", DNS_T_A, 1232, 0, NULL, 0);
	memcpy(q + n, q + n - 11, 11);
	n += 11;
	dns_put16(q + 10, 2);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* compression loop in an additional record's owner */
	n = mkquery(q, "gwa.demo", DNS_T_A, 0, 0, NULL, 0);
	size_t at = n;
	q[n++] = 0xc0;
	q[n++] = (uint8_t)at; /* points to itself */
	memset(q + n, 0, 10);
	n += 10;
	dns_put16(q + 10, 1);
	run(&c, q, n, 512);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
}

static void
test_every_prefix(void **state)
{
	(void)state;
	/* every strict prefix of a good query is malformed: never a crash, never an answer
	 * that claims success */
	struct dns_answer_ctx c;
	uint8_t q[1024];
	uint8_t ecs[7] = { 0, 1, 24, 0, 203, 0, 113 };
	struct qopt o = { DNS_OPT_ECS, 7, ecs };
	size_t n = mkquery(q, "ssh.test.gwa.demo", DNS_T_SRV, 1232, 0, &o, 1);
	ctx_init(&c, DNS_VIEW_WAN, false);
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = malloc(i ? i : 1);
		memcpy(p, q, i);
		run(&c, p, i, 1232);
		if (i < 12)
			assert_int_equal(R.res, DNS_ANS_DROP);
		else
			assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
		free(p);
	}
}

static size_t
cookie_query(uint8_t *q, const char *name, const uint8_t *cookie, uint16_t clen)
{
	struct qopt o = { DNS_OPT_COOKIE, clen, cookie };
	return mkquery(q, name, DNS_T_A, 1232, 0, &o, 1);
}

static const uint8_t *
resp_cookie(size_t *len)
{
	ldns_rdf *opt = ldns_pkt_edns_data(R.pkt);
	assert_non_null(opt);
	const uint8_t *d = ldns_rdf_data(opt);
	size_t n = ldns_rdf_size(opt);
	for (size_t p = 0; p + 4 <= n;) {
		uint16_t code = dns_get16(d + p), l = dns_get16(d + p + 2);
		if (code == DNS_OPT_COOKIE) {
			*len = l;
			return d + p + 4;
		}
		p += 4 + l;
	}
	fail_msg("no cookie in the response");
	return NULL;
}

static void
test_cookies(void **state)
{
	(void)state;
	struct dns_answer_ctx c;
	uint8_t q[1024], ck[40];
	size_t n, clen;
	const uint8_t client[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	build_policy(true, true);
	ctx_init(&c, DNS_VIEW_WAN, false);
	/* client-only cookie: BADCOOKIE with a fresh server cookie (no allocation) */
	n = cookie_query(q, "ssh.test.gwa.demo", client, 8);
	run(&c, q, n, 1232);
	assert_int_equal(R.info.cookie, DNS_COOKIE_CLIENT_ONLY);
	assert_int_equal(R.info.rcode, DNS_RC_BADCOOKIE);
	assert_int_equal(alloc_calls, 0);
	const uint8_t *rc = resp_cookie(&clen);
	assert_int_equal(clen, 24);
	assert_memory_equal(rc, client, 8);
	assert_int_equal(rc[8], 1); /* version */
	memcpy(ck, rc, 24);
	/* the same cookie comes back: valid, treated like TCP, allocation */
	n = cookie_query(q, "ssh.test.gwa.demo", ck, 24);
	run(&c, q, n, 1232);
	assert_int_equal(R.info.cookie, DNS_COOKIE_VALID);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
	assert_false(ldns_pkt_tc(R.pkt));
	assert_int_equal(alloc_calls, 1);
	assert_true(last_req.non_spoofed);
	/* after one rotation the old secret is still accepted, after two it is not */
	assert_int_equal(dns_cookie_rotate(&secrets), 0);
	run(&c, q, n, 1232);
	assert_int_equal(R.info.cookie, DNS_COOKIE_VALID);
	assert_int_equal(dns_cookie_rotate(&secrets), 0);
	run(&c, q, n, 1232);
	assert_int_equal(R.info.cookie, DNS_COOKIE_BAD);
	assert_int_equal(R.info.rcode, DNS_RC_BADCOOKIE);
	/* another client address: bad */
	n = cookie_query(q, "ssh.test.gwa.demo", client, 8);
	run(&c, q, n, 1232);
	memcpy(ck, resp_cookie(&clen), 24);
	n = cookie_query(q, "ssh.test.gwa.demo", ck, 24);
	set_addr(&c.src, "198.51.100.8");
	run(&c, q, n, 1232);
	assert_int_equal(R.info.cookie, DNS_COOKIE_BAD);
	/* too old (more than an hour) */
	set_addr(&c.src, "198.51.100.7");
	c.now_s += 3601;
	run(&c, q, n, 1232);
	assert_int_equal(R.info.cookie, DNS_COOKIE_BAD);
	c.now_s -= 3601;
	/* tampered hash */
	ck[23] ^= 1;
	n = cookie_query(q, "ssh.test.gwa.demo", ck, 24);
	run(&c, q, n, 1232);
	assert_int_equal(R.info.cookie, DNS_COOKIE_BAD);
	/* bad cookie lengths: FORMERR */
	n = cookie_query(q, "ssh.test.gwa.demo", ck, 7);
	run(&c, q, n, 1232);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	n = cookie_query(q, "ssh.test.gwa.demo", ck, 12);
	run(&c, q, n, 1232);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_FORMERR);
	/* RFC 7873 5.4: no question, only a cookie: NOERROR with a server cookie */
	n = cookie_query(q, "x", client, 8);
	n = 12;
	dns_put16(q + 4, 0);
	dns_put16(q + 10, 1);
	q[n++] = 0;
	dns_put16(q + n, DNS_T_OPT);
	dns_put16(q + n + 2, 1232);
	dns_put32(q + n + 4, 0);
	dns_put16(q + n + 8, 12);
	dns_put16(q + n + 10, DNS_OPT_COOKIE);
	dns_put16(q + n + 12, 8);
	memcpy(q + n + 14, client, 8);
	n += 22;
	run(&c, q, n, 1232);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_qdcount(R.pkt), 0);
	rc = resp_cookie(&clen);
	assert_int_equal(clen, 24);
	assert_memory_equal(rc, client, 8);
	/* no cookie at all under dns_tcp: TC=1, empty */
	ask(DNS_VIEW_WAN, false, "ssh.test.gwa.demo", DNS_T_A, 1232);
	assert_true(ldns_pkt_tc(R.pkt));
	assert_int_equal(ldns_pkt_ancount(R.pkt), 0);
	/* over TCP: answered */
	ask(DNS_VIEW_WAN, true, "ssh.test.gwa.demo", DNS_T_A, 0);
	assert_false(ldns_pkt_tc(R.pkt));
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	/* names that are not services are never truncated */
	ask(DNS_VIEW_WAN, false, "gwa.demo", DNS_T_SOA, 0);
	assert_false(ldns_pkt_tc(R.pkt));
	/* dns_tcp without dns_cookies: even a valid cookie gets TC */
	build_policy(true, false);
	ctx_init(&c, DNS_VIEW_WAN, false);
	n = cookie_query(q, "ssh.test.gwa.demo", client, 8);
	run(&c, q, n, 1232);
	assert_true(ldns_pkt_tc(R.pkt));
	memcpy(ck, resp_cookie(&clen), 24);
	n = cookie_query(q, "ssh.test.gwa.demo", ck, 24);
	run(&c, q, n, 1232);
	assert_true(ldns_pkt_tc(R.pkt));
}

static void
test_lan_view(void **state)
{
	(void)state;
	ask(DNS_VIEW_LAN, false, "www.test.gwa.demo", DNS_T_A, 0);
	assert_int_equal(R.res, DNS_ANS_SEND);
	assert_true(ldns_pkt_ra(R.pkt));
	assert_true(ldns_pkt_aa(R.pkt));
	ldns_rr *a = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_ttl(a), 30);
	assert_string_equal(rdf_str(ldns_rr_rdf(a, 0)), "192.168.0.100");
	assert_int_equal(alloc_calls, 0);
	ask(DNS_VIEW_LAN, false, "plain.gwa.demo", DNS_T_A, 0);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "192.168.0.102");
	ask(DNS_VIEW_LAN, false, "test.gwa.demo", DNS_T_AAAA, 0);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "2001:db8::100");
	ask(DNS_VIEW_LAN, false, "100.0.168.192.in-addr.arpa", DNS_T_PTR, 0);
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "test.gwa.demo.");
	ask(DNS_VIEW_LAN, false,
	    "0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", DNS_T_PTR,
	    0);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "test.gwa.demo.");
	ask(DNS_VIEW_WAN, false,
	    "0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", DNS_T_PTR,
	    0);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	ask(DNS_VIEW_LAN, false, "0.168.192.in-addr.arpa", DNS_T_PTR, 0);
	assert_negative(LDNS_RCODE_NOERROR); /* empty non-terminal on the LAN side */
	ask(DNS_VIEW_LAN, false, "nope.gwa.demo", DNS_T_A, 0);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	ask(DNS_VIEW_LAN, false, "ssh.test.gwa.demo", DNS_T_SRV, 0);
	assert_negative(LDNS_RCODE_NOERROR);
	/* out of zone: forward (LAN), REFUSED with RA (local) */
	ask(DNS_VIEW_LAN, false, "example.com", DNS_T_A, 0);
	assert_int_equal(R.res, DNS_ANS_FORWARD);
	ask(DNS_VIEW_LOCAL, false, "example.com", DNS_T_A, 0);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), LDNS_RCODE_REFUSED);
	assert_true(ldns_pkt_ra(R.pkt));
	/* dns_tcp does not apply on the LAN */
	build_policy(true, false);
	ask(DNS_VIEW_LAN, false, "ssh.test.gwa.demo", DNS_T_A, 0);
	assert_false(ldns_pkt_tc(R.pkt));
	assert_int_equal(ldns_pkt_ancount(R.pkt), 1);
}

static void
test_wire_names(void **state)
{
	(void)state;
	uint8_t w[DNS_NAME_MAX];
	char s[1100];
	assert_int_equal(dns_name_from_str("GwA.Demo.", w, sizeof(w)), 10);
	assert_int_equal(dns_name_to_str(w, s, sizeof(s)), 0);
	assert_string_equal(s, "gwa.demo");
	assert_int_equal(dns_name_from_str("", w, sizeof(w)), 1);
	assert_int_equal(dns_name_from_str("a..b", w, sizeof(w)), -EINVAL);
	char big[300];
	memset(big, 'a', 64);
	big[64] = 0;
	assert_int_equal(dns_name_from_str(big, w, sizeof(w)), -EINVAL);
	/* 4 x 63 + dots = 255 chars -> 257 wire bytes: too long */
	memset(big, 'a', 255);
	big[63] = big[127] = big[191] = '.';
	big[255] = 0;
	assert_int_equal(dns_name_from_str(big, w, sizeof(w)), -EINVAL);
	/* forward pointer and pointer chains */
	uint8_t pkt[] = { 1, 'a', 0xc0, 4, 1, 'b', 0 };
	size_t off = 0, len;
	assert_int_equal(dns_name_unpack(pkt, sizeof(pkt), &off, w, &len), DNS_PARSE_INVALID);
	uint8_t pkt2[] = { 1, 'b', 0, 1, 'a', 0xc0, 0 };
	off = 3;
	assert_int_equal(dns_name_unpack(pkt2, sizeof(pkt2), &off, w, &len), DNS_PARSE_OK);
	assert_int_equal(off, 7);
	assert_int_equal(len, 5);
	assert_int_equal(dns_name_to_str(w, s, sizeof(s)), 0);
	assert_string_equal(s, "a.b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apex_soa_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nxdomain_nodata_ent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_0x20_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_formerr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lan_view, setup, teardown),
		cmocka_unit_test(test_wire_names),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (R.pkt)
		ldns_pkt_free(R.pkt);
	return rc;
}
