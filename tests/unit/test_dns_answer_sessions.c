/* SPDX-License-Identifier: MIT */
/* tests/unit/test_dns_answer_sessions.c -- dns/answer.c: session names and AAAA admission */
#include "dns_answer_fixture.h"

/* AAAA goes through the same admission as A: TC for UDP under dns_tcp, the allocation over
 * TCP, a refusal handled the same way, a worker hands it to the pool's thread. */
static void
test_aaaa_admission(void **state)
{
	(void)state;
	struct dns_answer_ctx c;
	uint8_t q[512];
	size_t n = mkquery(q, "test.gwa.demo", DNS_T_AAAA, 0, 0, NULL, 0);

	build_policy(true, false);
	ask(DNS_VIEW_WAN, false, "test.gwa.demo", DNS_T_AAAA, 0);
	assert_true(ldns_pkt_tc(R.pkt));
	assert_int_equal(alloc_calls, 0);
	ask(DNS_VIEW_WAN, true, "test.gwa.demo", DNS_T_AAAA, 0);
	assert_false(ldns_pkt_tc(R.pkt));
	assert_int_equal(alloc_calls, 1);
	assert_int_equal(last_req.family, AF_INET6);
	assert_true(last_req.non_spoofed);
	assert_string_equal(rdf_str(ldns_rr_rdf(rr_at(ldns_pkt_answer(R.pkt), 0), 0)),
			    "2001:db8::100");
	alloc_refuse = true;
	ctx_init(&c, DNS_VIEW_WAN, true);
	run(&c, q, n, 65535);
	assert_int_equal(R.res, DNS_ANS_RETRY);
	assert_true(R.info.alloc_refused);
	alloc_refuse = false;
	ctx_init(&c, DNS_VIEW_WAN, true);
	c.alloc = NULL;
	run(&c, q, n, 65535);
	assert_int_equal(R.res, DNS_ANS_NEED_ALLOC);
	/* a host without IPv6: NODATA, no allocation */
	n = alloc_calls;
	ask(DNS_VIEW_WAN, true, "deep.a.b.gwa.demo", DNS_T_AAAA, 0);
	assert_negative(LDNS_RCODE_NOERROR);
	assert_int_equal(alloc_calls, n);
}

/* Session names: a live one answers as its service with the service's admission and counts
 * against its budget; an ended one is NXDOMAIN, and only a query that proved its source (TCP)
 * reports the evidence, on the thread that owns the reputation engine. */
static int ended_calls;
static struct addr ended_src;
static bool ended_rq;

static void
on_ended(void *arg, const struct addr *resolver, const struct prefix *requestor)
{
	(void)arg;
	ended_calls++;
	ended_src = *resolver;
	ended_rq = requestor != NULL;
}

static void
ask_sess(struct pol_sessions *t, bool tcp, bool main_thread, const char *name, uint16_t type)
{
	struct dns_answer_ctx c;
	uint8_t q[512];

	ctx_init(&c, DNS_VIEW_WAN, tcp);
	if (!main_thread)
		c.alloc = NULL;
	c.sessions = t;
	c.sess_ended = on_ended;
	c.now_ms = 5000;
	run(&c, q, mkquery(q, name, type, 0, 0, NULL, 0), 65535);
}

static void
test_session_names(void **state)
{
	struct pol_sessions *t = pol_sess_new(16, 1000);
	struct pol_sess s;
	(void)state;

	build_policy(true, false); /* dns_tcp: UDP queries get TC */
	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "s-live.test.gwa.demo");
	snprintf(s.tenant, sizeof(s.tenant), "bank");
	snprintf(s.service, sizeof(s.service), "www.test.gwa.demo");
	s.deadline_ms = 10000;
	s.max_uses = 2;
	assert_int_equal(pol_sess_add(t, &s), 0);
	snprintf(s.name, sizeof(s.name), "s-pool.test.gwa.demo");
	snprintf(s.service, sizeof(s.service), "tcp2000.test.gwa.demo");
	s.max_uses = 0;
	assert_int_equal(pol_sess_add(t, &s), 0);
	snprintf(s.name, sizeof(s.name), "s-gone.test.gwa.demo");
	s.ended_ms = 4000;
	assert_int_equal(pol_sess_add(t, &s), 0);

	/* live, UDP: the service's admission first (TC), nothing spent */
	ask_sess(t, false, false, "s-live.test.gwa.demo", DNS_T_A);
	assert_true(ldns_pkt_tc(R.pkt));
	assert_false(R.info.session);
	/* TCP: the service address under the session name, on a worker thread too */
	ask_sess(t, true, false, "S-Live.test.gwa.demo", DNS_T_A);
	assert_int_equal(R.res, DNS_ANS_SEND);
	assert_true(R.info.session);
	ldns_rr *a = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_string_equal(rdf_str(ldns_rr_owner(a)), "S-Live.test.gwa.demo.");
	assert_string_equal(rdf_str(ldns_rr_rdf(a, 0)), "100.64.1.130");
	/* a pooled service allocates from the pool: on the main thread */
	ask_sess(t, true, false, "s-pool.test.gwa.demo", DNS_T_A);
	assert_int_equal(R.res, DNS_ANS_NEED_ALLOC);
	ask_sess(t, true, true, "s-pool.test.gwa.demo", DNS_T_A);
	assert_true(R.info.allocated);
	assert_int_equal(last_req.service_id, 4);
	/* the second answer spends the budget of 2: NXDOMAIN after */
	ask_sess(t, true, true, "s-live.test.gwa.demo", DNS_T_A);
	assert_true(R.info.session);
	ended_calls = 0;
	ask_sess(t, true, true, "s-live.test.gwa.demo", DNS_T_A);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	assert_true(R.info.session_ended);
	assert_int_equal(ended_calls, 1);

	/* ended: UDP gets TC like a live name and no evidence; a worker hands TCP over */
	ended_calls = 0;
	ask_sess(t, false, true, "s-gone.test.gwa.demo", DNS_T_A);
	assert_true(ldns_pkt_tc(R.pkt));
	assert_int_equal(ended_calls, 0);
	ask_sess(t, true, false, "s-gone.test.gwa.demo", DNS_T_A);
	assert_int_equal(R.res, DNS_ANS_NEED_ALLOC);
	assert_int_equal(ended_calls, 0);
	ask_sess(t, true, true, "s-gone.test.gwa.demo", DNS_T_A);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ended_calls, 1);
	assert_false(ended_rq);
	assert_int_equal(ended_src.family, AF_INET);
	/* an unknown name below the zone: plain NXDOMAIN, no evidence */
	ask_sess(t, true, true, "s-none.test.gwa.demo", DNS_T_A);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	assert_false(R.info.session_ended);
	assert_int_equal(ended_calls, 1);
	/* the deadline ends a live name */
	struct dns_answer_ctx c;
	uint8_t q[512];
	ctx_init(&c, DNS_VIEW_WAN, true);
	c.sessions = t;
	c.sess_ended = on_ended;
	c.now_ms = 10000;
	run(&c, q, mkquery(q, "s-pool.test.gwa.demo", DNS_T_A, 0, 0, NULL, 0), 65535);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	/* the LAN view knows no session names */
	struct dns_answer_ctx l;
	ctx_init(&l, DNS_VIEW_LAN, false);
	l.sessions = t;
	l.now_ms = 5000;
	run(&l, q, mkquery(q, "s-pool.test.gwa.demo", DNS_T_A, 0, 0, NULL, 0), 65535);
	assert_negative(LDNS_RCODE_NXDOMAIN);
	pol_sess_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aaaa_admission, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (R.pkt)
		ldns_pkt_free(R.pkt);
	return rc;
}
