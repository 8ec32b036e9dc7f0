/* SPDX-License-Identifier: MIT */
/* tests/unit/dns_answer_fixture.h -- policy, queries, checks shared by the dns/answer.c tests */
#ifndef RGW_TESTS_DNS_ANSWER_FIXTURE_H
#define RGW_TESTS_DNS_ANSWER_FIXTURE_H

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
#include "policy/session.h"
#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/wire.h"
#include "dns/zone.h"

/* ---------------------------------------------------------------- test policy */

static struct pol_snap *snap;
static struct dns_db *db;
static struct dns_cookie_secrets secrets;
static int alloc_calls;
static bool alloc_refuse;
static struct nat_request last_req;

static inline void
set_addr(struct addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.v4) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a->u.v6) == 1)
		a->family = AF_INET6;
}

static inline void
add_zone(const char *name, enum pol_zone_kind kind)
{
	struct pol_zone *z = &snap->zones[snap->n_zones++];
	z->id = (int64_t)snap->n_zones;
	util_strlcpy(z->name, name, sizeof(z->name));
	z->kind = kind;
	z->ttl = 3600;
	snprintf(z->mname, sizeof(z->mname), "ns1.gwa.demo");
	snprintf(z->rname, sizeof(z->rname), "hostmaster.gwa.demo");
	z->serial = 2026112201;
	z->refresh = 7200;
	z->retry = 900;
	z->expire = 1209600;
	z->minimum = 60;
}

static struct pol_host *
add_host(const char *fqdn, const char *v4, const char *v6)
{
	struct pol_host *h = &snap->hosts[snap->n_hosts++];
	h->id = (int64_t)snap->n_hosts;
	util_strlcpy(h->fqdn, fqdn, sizeof(h->fqdn));
	if (v4)
		set_addr(&h->ipv4, v4);
	if (v6)
		set_addr(&h->ipv6, v6);
	h->pool_limit = 100;
	return h;
}

static inline void
add_service(const struct pol_host *h, const char *fqdn, bool proxy)
{
	struct pol_service *s = &snap->services[snap->n_services++];
	s->id = (int64_t)snap->n_services;
	s->host_id = h->id;
	util_strlcpy(s->fqdn, fqdn, sizeof(s->fqdn));
	s->proxy_required = proxy;
	s->binding_timeout_ms = 2000;
}

static inline void
build_policy(bool dns_tcp, bool dns_cookies)
{
	dns_db_unref(db);
	pol_snap_unref(snap);
	snap = pol_snap_new();
	snap->zones = calloc(4, sizeof(*snap->zones));
	/* (zones: gwa.demo, 168.192.in-addr.arpa, 8.b.d.0.1.0.0.2.ip6.arpa) */
	snap->nameservers = calloc(2, sizeof(*snap->nameservers));
	snap->service_addrs = calloc(2, sizeof(*snap->service_addrs));
	snap->hosts = calloc(8, sizeof(*snap->hosts));
	snap->services = calloc(16, sizeof(*snap->services));
	add_zone("gwa.demo", POL_ZONE_FORWARD);
	add_zone("168.192.in-addr.arpa", POL_ZONE_REVERSE);
	add_zone("8.b.d.0.1.0.0.2.ip6.arpa", POL_ZONE_REVERSE);
	struct pol_nameserver *ns = &snap->nameservers[snap->n_nameservers++];
	ns->id = 1;
	ns->zone_id = 1;
	snprintf(ns->name, sizeof(ns->name), "ns1.gwa.demo");
	set_addr(&ns->ipv4, "100.64.1.130");
	ns = &snap->nameservers[snap->n_nameservers++];
	ns->id = 2;
	ns->zone_id = 2;
	snprintf(ns->name, sizeof(ns->name), "ns1.gwa.demo");
	snap->service_addrs[0].id = 1;
	set_addr(&snap->service_addrs[0].addr, "100.64.1.130");
	snap->n_service_addrs = 1;
	struct pol_host *self = add_host("gwa.demo", "100.64.1.130", NULL);
	(void)self;
	struct pol_host *t = add_host("test.gwa.demo", "192.168.0.100", "2001:db8::100");
	add_service(t, "test.gwa.demo", false);
	add_service(t, "www.test.gwa.demo", true);
	add_service(t, "ssh.test.gwa.demo", false);
	add_service(t, "tcp2000.test.gwa.demo", false);
	struct pol_host *deep = add_host("deep.a.b.gwa.demo", "192.168.0.101", NULL);
	add_service(deep, "deep.a.b.gwa.demo", false);
	add_host("plain.gwa.demo", "192.168.0.102", NULL);
	snap->admission.dns_tcp = dns_tcp;
	snap->admission.dns_cookies = dns_cookies;
	db = dns_db_build(snap);
	assert_non_null(db);
}

static inline int
test_alloc(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	(void)arg;
	alloc_calls++;
	last_req = *req;
	if (alloc_refuse) {
		*why = NAT_REFUSE_EXHAUSTED;
		return -EAGAIN;
	}
	/* the pool answers in the family asked (a pinhole: the host's own address) */
	set_addr(out, req->family == AF_INET6 ? "2001:db8::100" : "100.64.1.131");
	return 0;
}

static inline int
setup(void **state)
{
	(void)state;
	memset(&secrets, 0, sizeof(secrets));
	assert_int_equal(dns_cookie_rotate(&secrets), 0);
	build_policy(false, false);
	alloc_calls = 0;
	alloc_refuse = false;
	return 0;
}

static inline int
teardown(void **state)
{
	(void)state;
	dns_db_unref(db);
	db = NULL;
	pol_snap_unref(snap);
	snap = NULL;
	return 0;
}

/* ---------------------------------------------------------------- query building */

struct qopt {
	uint16_t code;
	uint16_t len;
	const uint8_t *data;
};

/* Build a query: name as written (case kept), EDNS when bufsize > 0 (version ver). */
static inline size_t
mkquery(uint8_t *out, const char *name, uint16_t type, uint16_t bufsize, uint8_t ver,
	const struct qopt *opts, size_t nopts)
{
	size_t p = 0;
	dns_put16(out, 0x1234);
	dns_put16(out + 2, DNS_F_RD);
	dns_put16(out + 4, 1);
	dns_put16(out + 6, 0);
	dns_put16(out + 8, 0);
	dns_put16(out + 10, bufsize ? 1 : 0);
	p = 12;
	/* keep the case: copy labels by hand */
	const char *s = name;
	while (*s) {
		const char *e = strchr(s, '.');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		out[p++] = (uint8_t)l;
		memcpy(out + p, s, l);
		p += l;
		s += l;
		if (*s == '.')
			s++;
	}
	out[p++] = 0;
	dns_put16(out + p, type);
	dns_put16(out + p + 2, DNS_C_IN);
	p += 4;
	if (bufsize) {
		out[p++] = 0;
		dns_put16(out + p, DNS_T_OPT);
		dns_put16(out + p + 2, bufsize);
		dns_put32(out + p + 4, (uint32_t)ver << 16);
		size_t slot = p + 8;
		p += 10;
		size_t start = p;
		for (size_t i = 0; i < nopts; i++) {
			dns_put16(out + p, opts[i].code);
			dns_put16(out + p + 2, opts[i].len);
			memcpy(out + p + 4, opts[i].data, opts[i].len);
			p += 4 + opts[i].len;
		}
		dns_put16(out + slot, (uint16_t)(p - start));
	}
	return p;
}

struct result {
	enum dns_answer_res res;
	struct dns_answer_info info;
	uint8_t wire[65535];
	ldns_pkt *pkt;
};

static struct result R;

static inline void
ctx_init(struct dns_answer_ctx *c, enum dns_view view, bool tcp)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->view = view;
	c->tcp = tcp;
	set_addr(&c->src, "198.51.100.7");
	c->edns_size = 1232;
	c->lan_ttl = 30;
	c->cookies = &secrets;
	c->now_s = 1800000000u;
	c->alloc = test_alloc;
}

static inline void
run(const struct dns_answer_ctx *c, const uint8_t *q, size_t qlen, size_t cap)
{
	if (R.pkt)
		ldns_pkt_free(R.pkt);
	R.pkt = NULL;
	R.res = dns_answer(c, q, qlen, R.wire, cap, &R.info);
	if (R.res == DNS_ANS_SEND) {
		assert_true(R.info.len >= 12);
		assert_int_equal(ldns_wire2pkt(&R.pkt, R.wire, R.info.len), LDNS_STATUS_OK);
		assert_int_equal(dns_get16(R.wire), 0x1234);
		assert_true(ldns_pkt_qr(R.pkt));
	}
}

static inline void
ask(enum dns_view view, bool tcp, const char *name, uint16_t type, uint16_t bufsize)
{
	struct dns_answer_ctx c;
	uint8_t q[512];
	ctx_init(&c, view, tcp);
	size_t n = mkquery(q, name, type, bufsize, 0, NULL, 0);
	run(&c, q, n, tcp ? 65535 : 65535);
}

static inline ldns_rr *
rr_at(ldns_rr_list *l, size_t i)
{
	assert_true(i < ldns_rr_list_rr_count(l));
	return ldns_rr_list_rr(l, i);
}

static inline char *
rdf_str(const ldns_rdf *f)
{
	static char buf[512];
	char *s = ldns_rdf2str(f);
	util_strlcpy(buf, s, sizeof(buf));
	free(s);
	return buf;
}

static inline void
assert_negative(ldns_pkt_rcode rc)
{
	assert_int_equal(R.res, DNS_ANS_SEND);
	assert_int_equal(ldns_pkt_get_rcode(R.pkt), rc);
	assert_true(ldns_pkt_aa(R.pkt));
	assert_int_equal(ldns_pkt_ancount(R.pkt), 0);
	assert_int_equal(ldns_pkt_nscount(R.pkt), 1);
	ldns_rr *soa = rr_at(ldns_pkt_authority(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_ttl(soa), 60); /* min(ttl, minimum) */
}

#endif
