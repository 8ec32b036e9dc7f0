/* SPDX-License-Identifier: MIT */
/* tests/unit/test_qmin.c -- QNAME minimisation: name ancestry, the release decision, no evidence */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/qmin.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "nat/pool.h"
#include "nat/reputation.h"

/* ---------------------------------------------------------------- helpers */

static struct addr
ip(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static bool
addr_is(const struct addr *a, const char *s)
{
	struct addr b = ip(s);

	return addr_eq(a, &b);
}

static bool
below(const char *name, const char *ancestor)
{
	uint8_t a[DNS_NAME_MAX], b[DNS_NAME_MAX];

	/* keep the case of the test strings: dns_name_from_str lowercases, so patch it back */
	assert_true(dns_name_from_str(name, a, sizeof(a)) > 0);
	assert_true(dns_name_from_str(ancestor, b, sizeof(b)) > 0);
	if (strcmp(name, "WWW.Test.gwa.demo") == 0)
		memcpy(a + 1, "WWW", 3);
	return dns_name_is_below(a, b);
}

/* ---------------------------------------------------------------- name ancestry */

static void
test_name_is_below(void **state)
{
	(void)state;
	assert_true(below("www.test.gwa.demo", "test.gwa.demo"));
	assert_true(below("a.b.test.gwa.demo", "test.gwa.demo"));
	assert_true(below("WWW.Test.gwa.demo", "test.gwa.demo"));
	assert_true(below("test.gwa.demo", "gwa.demo"));
	assert_true(below("gwa.demo", ""));
	/* not strictly below */
	assert_false(below("test.gwa.demo", "test.gwa.demo"));
	assert_false(below("", ""));
	/* label boundaries: xtest is not below test */
	assert_false(below("xtest.gwa.demo", "test.gwa.demo"));
	assert_false(below("www.xtest.gwa.demo", "test.gwa.demo"));
	/* the other way round, siblings, other zones */
	assert_false(below("test.gwa.demo", "www.test.gwa.demo"));
	assert_false(below("ssh.test.gwa.demo", "www.test.gwa.demo"));
	assert_false(below("www.test.gwa.demo2", "test.gwa.demo"));
	assert_false(below("www.test.other.demo", "test.gwa.demo"));
}

/* ---------------------------------------------------------------- the name index */

static struct pol_snap *snap;
static struct dns_db *db;

static void
add_zone(const char *name, enum pol_zone_kind kind)
{
	struct pol_zone *z = &snap->zones[snap->n_zones++];

	z->id = (int64_t)snap->n_zones;
	util_strlcpy(z->name, name, sizeof(z->name));
	z->kind = kind;
	z->ttl = 3600;
	snprintf(z->mname, sizeof(z->mname), "ns1.gwa.demo");
	snprintf(z->rname, sizeof(z->rname), "hostmaster.gwa.demo");
	z->serial = 1;
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
		h->ipv4 = ip(v4);
	if (v6)
		h->ipv6 = ip(v6);
	h->pool_limit = 100;
	return h;
}

/* Service ids are 10 + their index, to tell them from host ids. */
static int64_t
add_service(const struct pol_host *h, const char *fqdn, bool proxy)
{
	struct pol_service *s = &snap->services[snap->n_services++];

	s->id = 10 + (int64_t)snap->n_services;
	s->host_id = h->id;
	util_strlcpy(s->fqdn, fqdn, sizeof(s->fqdn));
	s->proxy_required = proxy;
	s->binding_timeout_ms = 2000;
	return s->id;
}

static int64_t id_test, id_www, id_ssh, id_c, id_abc, id_v6only;

static int
setup_db(void **state)
{
	(void)state;
	snap = pol_snap_new();
	assert_non_null(snap);
	snap->zones = calloc(4, sizeof(*snap->zones));
	snap->service_addrs = calloc(1, sizeof(*snap->service_addrs));
	snap->hosts = calloc(8, sizeof(*snap->hosts));
	snap->services = calloc(16, sizeof(*snap->services));
	add_zone("gwa.demo", POL_ZONE_FORWARD);
	add_zone("sub.gwa.demo", POL_ZONE_FORWARD); /* a zone cut below gwa.demo */
	add_zone("cname-gwa.demo", POL_ZONE_ALIAS);
	snap->service_addrs[0].id = 1;
	snap->service_addrs[0].addr = ip("100.64.1.130");
	snap->n_service_addrs = 1;
	struct pol_host *self = add_host("gwa.demo", "100.64.1.130", NULL);
	add_service(self, "gwa.demo", false); /* a pooled apex: never a minimisation step */
	struct pol_host *t = add_host("test.gwa.demo", "192.168.0.100", "2001:db8::100");
	id_test = add_service(t, "test.gwa.demo", false);
	id_www = add_service(t, "www.test.gwa.demo", true);
	id_ssh = add_service(t, "ssh.test.gwa.demo", false);
	add_service(t, "x.ssh.test.gwa.demo", false);
	struct pol_host *c = add_host("c.gwa.demo", "192.168.0.101", NULL);
	id_c = add_service(c, "c.gwa.demo", false);
	struct pol_host *abc = add_host("a.b.c.gwa.demo", "192.168.0.102", NULL);
	id_abc = add_service(abc, "a.b.c.gwa.demo", false);
	struct pol_host *v6 = add_host("v6.gwa.demo", NULL, "2001:db8::6");
	id_v6only = add_service(v6, "v6.gwa.demo", false);
	add_service(v6, "www.v6.gwa.demo", false);
	add_host("plain.gwa.demo", "192.168.0.103", NULL);
	add_host("www.plain.gwa.demo", "192.168.0.104", NULL);
	struct pol_host *sub = add_host("sub.gwa.demo", "192.168.0.105", NULL);
	add_service(sub, "sub.gwa.demo", false);
	add_service(sub, "www.sub.gwa.demo", false);
	db = dns_db_build(snap);
	assert_non_null(db);
	return 0;
}

static int
teardown_db(void **state)
{
	(void)state;
	dns_db_unref(db);
	db = NULL;
	pol_snap_unref(snap);
	snap = NULL;
	return 0;
}

static size_t
ancestors(const char *name, int64_t *ids, size_t max)
{
	uint8_t w[DNS_NAME_MAX];

	assert_true(dns_name_from_str(name, w, sizeof(w)) > 0);
	return dns_qmin_ancestors(db, w, ids, max);
}

static void
test_ancestors(void **state)
{
	int64_t ids[DNS_QMIN_MAX];

	(void)state;
	/* the defect's case: www.test below the pooled test */
	assert_int_equal(ancestors("www.test.gwa.demo", ids, DNS_QMIN_MAX), 1);
	assert_int_equal(ids[0], id_test);
	/* two pooled ancestors, nearest first */
	assert_int_equal(ancestors("x.ssh.test.gwa.demo", ids, DNS_QMIN_MAX), 2);
	assert_int_equal(ids[0], id_ssh);
	assert_int_equal(ids[1], id_test);
	assert_int_equal(ancestors("x.ssh.test.gwa.demo", ids, 1), 1);
	assert_int_equal(ids[0], id_ssh);
	assert_int_equal(ancestors("x.ssh.test.gwa.demo", ids, 0), 0);
	/* through an empty non-terminal (b.c), and the empty non-terminal itself */
	assert_int_equal(ancestors("a.b.c.gwa.demo", ids, DNS_QMIN_MAX), 1);
	assert_int_equal(ids[0], id_c);
	assert_int_equal(ancestors("b.c.gwa.demo", ids, DNS_QMIN_MAX), 1);
	assert_int_equal(ids[0], id_c);
	/* nothing pooled above: the name itself, the apex, a proxy service, no IPv4, no service */
	assert_int_equal(ancestors("test.gwa.demo", ids, DNS_QMIN_MAX), 0);
	assert_int_equal(ancestors("gwa.demo", ids, DNS_QMIN_MAX), 0);
	assert_int_equal(ancestors("c.gwa.demo", ids, DNS_QMIN_MAX), 0);
	assert_int_equal(ancestors("www.v6.gwa.demo", ids, DNS_QMIN_MAX), 0);
	assert_int_equal(ancestors("www.plain.gwa.demo", ids, DNS_QMIN_MAX), 0);
	/* the zone cut: sub.gwa.demo is the apex of its own zone, never a step at this server */
	assert_int_equal(ancestors("www.sub.gwa.demo", ids, DNS_QMIN_MAX), 0);
	/* names the zone does not know, names in no zone, the alias zone */
	assert_int_equal(ancestors("nothere.test.gwa.demo", ids, DNS_QMIN_MAX), 0);
	assert_int_equal(ancestors("a.nothere.test.gwa.demo", ids, DNS_QMIN_MAX), 0);
	assert_int_equal(ancestors("www.test.example.org", ids, DNS_QMIN_MAX), 0);
	assert_int_equal(ancestors("x.cname-gwa.demo", ids, DNS_QMIN_MAX), 0);
	(void)id_www;
	(void)id_abc;
	(void)id_v6only;
}

/* ---------------------------------------------------------------- the answer path */

static struct dns_cookie_secrets secrets;
static int qmin_calls, alloc_calls, seq, qmin_seq, alloc_seq;
static int64_t qmin_ids[DNS_QMIN_MAX];
static size_t qmin_n;
static struct addr qmin_resolver;
static bool qmin_had_requestor;
static struct prefix qmin_requestor;

static unsigned
hook_qmin(void *arg, const struct addr *resolver, const struct prefix *requestor,
	  const int64_t *ids, size_t n)
{
	(void)arg;
	qmin_calls++;
	qmin_seq = ++seq;
	qmin_resolver = *resolver;
	qmin_had_requestor = requestor != NULL;
	if (requestor)
		qmin_requestor = *requestor;
	qmin_n = n;
	memcpy(qmin_ids, ids, n * sizeof(*ids));
	return (unsigned)n;
}

static int
hook_alloc(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	(void)arg;
	(void)req;
	(void)why;
	alloc_calls++;
	alloc_seq = ++seq;
	*out = ip("100.64.1.131");
	return 0;
}

/* A query for name/type; with an 8-byte client cookie + its valid server cookie when asked;
 * with an ECS option when ecs is not NULL ("a.b.c.d/len"). */
static size_t
mkquery(uint8_t *out, const char *name, uint16_t type, bool cookie, const struct addr *src,
	const char *ecs)
{
	uint8_t wname[DNS_NAME_MAX];
	int wl = dns_name_from_str(name, wname, sizeof(wname));
	size_t p = 12, slot, start;

	assert_true(wl > 0);
	memset(out, 0, 12);
	dns_put16(out, 0x4242);
	dns_put16(out + 4, 1);
	dns_put16(out + 10, 1);
	memcpy(out + p, wname, (size_t)wl);
	p += (size_t)wl;
	dns_put16(out + p, type);
	dns_put16(out + p + 2, DNS_C_IN);
	p += 4;
	out[p++] = 0;
	dns_put16(out + p, DNS_T_OPT);
	dns_put16(out + p + 2, 1232);
	dns_put32(out + p + 4, 0);
	slot = p + 8;
	p += 10;
	start = p;
	if (cookie) {
		static const uint8_t client[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

		dns_put16(out + p, DNS_OPT_COOKIE);
		dns_put16(out + p + 2, 24);
		memcpy(out + p + 4, client, 8);
		dns_cookie_make(secrets.cur, client, src, 1800000000u, out + p + 12);
		p += 28;
	}
	if (ecs) {
		struct prefix pf;

		assert_int_equal(prefix_parse(ecs, false, &pf), 0);
		size_t alen = ((size_t)pf.len + 7) / 8;
		dns_put16(out + p, DNS_OPT_ECS);
		dns_put16(out + p + 2, (uint16_t)(4 + alen));
		dns_put16(out + p + 4, 1);
		out[p + 6] = pf.len;
		out[p + 7] = 0;
		memcpy(out + p + 8, pf.addr.u.bytes, alen);
		p += 8 + alen;
	}
	dns_put16(out + slot, (uint16_t)(p - start));
	return p;
}

struct q {
	enum dns_view view;
	bool tcp;
	bool cookie;
	bool last_try;
	bool worker; /* no allocator: a UDP worker thread */
	const char *ecs;
};

static enum dns_answer_res
ask(const char *name, uint16_t type, struct q o, struct dns_answer_info *info)
{
	static uint8_t out[65535];
	struct dns_answer_ctx c;
	uint8_t pkt[512];
	size_t n;

	memset(&c, 0, sizeof(c));
	c.db = db;
	c.view = o.view;
	c.tcp = o.tcp;
	c.src = ip("198.51.100.7");
	c.edns_size = 1232;
	c.lan_ttl = 30;
	c.cookies = &secrets;
	c.now_s = 1800000000u;
	c.alloc = o.worker ? NULL : hook_alloc;
	c.qmin = hook_qmin;
	c.last_try = o.last_try;
	n = mkquery(pkt, name, type, o.cookie, &c.src, o.ecs);
	return dns_answer(&c, pkt, n, out, o.tcp ? sizeof(out) : 1232, info);
}

static int
setup_answer(void **state)
{
	setup_db(state);
	memset(&secrets, 0, sizeof(secrets));
	assert_int_equal(dns_cookie_rotate(&secrets), 0);
	qmin_calls = alloc_calls = seq = qmin_seq = alloc_seq = 0;
	return 0;
}

static void
set_admission(bool dns_tcp, bool dns_cookies)
{
	dns_db_unref(db);
	snap->admission.dns_tcp = dns_tcp;
	snap->admission.dns_cookies = dns_cookies;
	db = dns_db_build(snap);
	assert_non_null(db);
}

static void
test_answer_releases_over_tcp(void **state)
{
	struct dns_answer_info info;

	(void)state;
	set_admission(true, true);
	/* the minimisation step itself: nothing pooled above test, allocation as before */
	assert_int_equal(ask("test.gwa.demo", DNS_T_A, (struct q){ .tcp = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 0);
	assert_int_equal(alloc_calls, 1);
	/* the next step: release the ancestor's binding, then allocate for ssh.test itself */
	assert_int_equal(ask("ssh.test.gwa.demo", DNS_T_A, (struct q){ .tcp = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 1);
	assert_int_equal(alloc_calls, 2);
	assert_true(qmin_seq < alloc_seq); /* the released address can serve the descendant */
	assert_int_equal(qmin_n, 1);
	assert_int_equal(qmin_ids[0], id_test);
	assert_true(addr_is(&qmin_resolver, "198.51.100.7"));
	assert_false(qmin_had_requestor);
	assert_int_equal(info.qmin_released, 1);
	assert_true(info.allocated);
	/* whatever the descendant's QTYPE (the final query keeps the client's) */
	assert_int_equal(ask("www.test.gwa.demo", DNS_T_AAAA, (struct q){ .tcp = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 2);
	/* an empty non-terminal below a pooled host is a step too */
	assert_int_equal(ask("b.c.gwa.demo", DNS_T_A, (struct q){ .tcp = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 3);
	assert_int_equal(qmin_ids[0], id_c);
	/* the requestor named by the query goes along */
	assert_int_equal(ask("www.test.gwa.demo", DNS_T_A,
			     (struct q){ .tcp = true, .ecs = "203.0.113.0/24" }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 4);
	assert_true(qmin_had_requestor);
	assert_int_equal(qmin_requestor.len, 24);
}

static void
test_answer_valid_cookie(void **state)
{
	struct dns_answer_info info;

	(void)state;
	set_admission(true, true);
	assert_int_equal(ask("ssh.test.gwa.demo", DNS_T_A, (struct q){ .cookie = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(info.cookie, DNS_COOKIE_VALID);
	assert_int_equal(qmin_calls, 1);
	/* on a worker thread (no pool): handed to the main thread */
	assert_int_equal(
		ask("b.c.gwa.demo", DNS_T_A, (struct q){ .cookie = true, .worker = true }, &info),
		DNS_ANS_NEED_ALLOC);
	assert_int_equal(qmin_calls, 1);
	/* without a step to release, a worker answers by itself */
	assert_int_equal(
		ask("c.gwa.demo", DNS_T_AAAA, (struct q){ .cookie = true, .worker = true }, &info),
		DNS_ANS_SEND);
	/* cookies not honoured by the admission policy: a cookie proves nothing */
	set_admission(false, false);
	assert_int_equal(ask("b.c.gwa.demo", DNS_T_A, (struct q){ .cookie = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 1);
}

static void
test_answer_no_release(void **state)
{
	struct dns_answer_info info;

	(void)state;
	/* plain UDP can be spoofed: never a release (even where UDP allocates) */
	set_admission(false, false);
	assert_int_equal(ask("ssh.test.gwa.demo", DNS_T_A, (struct q){ 0 }, &info), DNS_ANS_SEND);
	assert_int_equal(alloc_calls, 1);
	assert_int_equal(ask("b.c.gwa.demo", DNS_T_A, (struct q){ 0 }, &info), DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 0);
	assert_int_equal(info.qmin_released, 0);
	/* a name the zone does not know (NXDOMAIN), even over TCP */
	assert_int_equal(ask("nothere.test.gwa.demo", DNS_T_A, (struct q){ .tcp = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(info.rcode, DNS_RC_NXDOMAIN);
	assert_int_equal(qmin_calls, 0);
	/* the TCP retry after a refused allocation: the first try released already */
	assert_int_equal(ask("ssh.test.gwa.demo", DNS_T_A,
			     (struct q){ .tcp = true, .last_try = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 0);
	/* LAN and local views allocate nothing */
	assert_int_equal(ask("ssh.test.gwa.demo", DNS_T_A,
			     (struct q){ .view = DNS_VIEW_LAN, .tcp = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(ask("ssh.test.gwa.demo", DNS_T_A,
			     (struct q){ .view = DNS_VIEW_LOCAL, .tcp = true }, &info),
			 DNS_ANS_SEND);
	assert_int_equal(qmin_calls, 0);
	/* the spoofing guard answers TC first: the release waits for the TCP query */
	set_admission(true, false);
	assert_int_equal(ask("ssh.test.gwa.demo", DNS_T_A, (struct q){ 0 }, &info), DNS_ANS_SEND);
	assert_true(info.tc);
	assert_int_equal(qmin_calls, 0);
}

/* ---------------------------------------------------------------- the pool's decision */

struct pfix {
	struct pol_snap snap;
	struct pol_pool_addr pool[2];
	struct pol_host hosts[2];
	struct pol_service svcs[4];
	struct nat_pool *p;
	int ended[4]; /* by enum nat_binding_end */
	struct nat_binding_info last;
	struct nat_rep *rep; /* when set, events go to the reputation engine too */
};

static void
pool_on_end(void *arg, const struct nat_binding_info *b, enum nat_binding_end how)
{
	struct pfix *f = arg;

	f->ended[how]++;
	f->last = *b;
	if (f->rep)
		nat_rep_binding_end(f->rep, b, how);
}

static int
setup_pool(void **state)
{
	struct pfix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->pool[0].id = 1;
	f->pool[0].addr = ip("100.64.1.131");
	f->pool[1].id = 2;
	f->pool[1].addr = ip("100.64.1.132");
	f->snap.pool_addrs = f->pool;
	f->snap.n_pool_addrs = 2;
	f->hosts[0].id = 1;
	f->hosts[0].ipv4 = ip("192.168.0.100");
	f->hosts[0].pool_limit = 10;
	util_strlcpy(f->hosts[0].fqdn, "test.zone", sizeof(f->hosts[0].fqdn));
	f->hosts[1].id = 2;
	f->hosts[1].ipv4 = ip("192.168.0.101");
	f->hosts[1].pool_limit = 10;
	util_strlcpy(f->hosts[1].fqdn, "www.test.zone", sizeof(f->hosts[1].fqdn));
	f->snap.hosts = f->hosts;
	f->snap.n_hosts = 2;
	f->svcs[0] = (struct pol_service){ .id = 1, .host_id = 1, .binding_timeout_ms = 2000 };
	f->svcs[1] = (struct pol_service){ .id = 2, .host_id = 2, .binding_timeout_ms = 2000 };
	f->svcs[2] = (struct pol_service){ .id = 3, .host_id = 2, .proxy_required = true };
	f->snap.services = f->svcs;
	f->snap.n_services = 3;
	f->p = nat_pool_new();
	assert_non_null(f->p);
	nat_pool_set_hooks(f->p, NULL, pool_on_end, f);
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 0), 0);
	*state = f;
	return 0;
}

static int
teardown_pool(void **state)
{
	struct pfix *f = *state;

	nat_pool_free(f->p);
	nat_rep_free(f->rep);
	free(f);
	return 0;
}

static struct addr
request(struct pfix *f, int64_t svc, const char *resolver, const char *requestor, uint64_t now)
{
	struct nat_request r;
	enum nat_refusal why;
	struct addr out;

	memset(&r, 0, sizeof(r));
	r.host_id = svc == 1 ? 1 : 2;
	r.service_id = svc;
	r.resolver = ip(resolver);
	r.non_spoofed = true;
	if (requestor) {
		r.has_requestor = true;
		assert_int_equal(prefix_parse(requestor, false, &r.requestor), 0);
	}
	assert_int_equal(nat_pool_request(f->p, &r, now, &out, &why), 0);
	return out;
}

static int
release(struct pfix *f, const char *resolver, const char *requestor, int64_t svc, uint64_t now)
{
	struct prefix pf;
	struct addr res = ip(resolver);

	if (requestor)
		assert_int_equal(prefix_parse(requestor, false, &pf), 0);
	return nat_pool_release_unused(f->p, &res, requestor ? &pf : NULL, svc, now, NULL);
}

static void
test_pool_release(void **state)
{
	struct pfix *f = *state;
	struct nat_pool_stats st;
	struct nat_binding_info b;
	struct addr a, res = ip("198.51.100.7");

	/* test.zone A, then www.test.zone A from the same resolver: both FQDN, 2 addresses */
	a = request(f, 1, "198.51.100.7", NULL, 100);
	assert_true(addr_is(&a, "100.64.1.131"));
	/* someone else, another service, another time: nothing */
	assert_int_equal(release(f, "198.51.100.8", NULL, 1, 200), 0);
	assert_int_equal(release(f, "198.51.100.7", NULL, 2, 200), 0);
	assert_int_equal(release(f, "198.51.100.7", NULL, 3, 200), 0);
	assert_int_equal(release(f, "198.51.100.7", NULL, 99, 200), 0);
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.bindings, 1);
	/* the resolver that caused it: released, no other event, the address is free again */
	assert_int_equal(nat_pool_release_unused(f->p, &res, NULL, 1, 200, &b), 1);
	assert_true(addr_is(&b.public_addr, "100.64.1.131"));
	assert_int_equal(f->ended[NAT_BINDING_RELEASED], 1);
	assert_int_equal(f->ended[NAT_BINDING_EXPIRED] + f->ended[NAT_BINDING_USED] +
				 f->ended[NAT_BINDING_REMOVED],
			 0);
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.bindings, 0);
	assert_int_equal(st.allocated, 0);
	assert_int_equal(st.released, 1);
	/* ... so the descendant gets the lowest address back */
	a = request(f, 2, "198.51.100.7", NULL, 200);
	assert_true(addr_is(&a, "100.64.1.131"));
	/* once only */
	assert_int_equal(release(f, "198.51.100.7", NULL, 1, 210), 0);
	assert_string_equal(nat_binding_end_name(NAT_BINDING_RELEASED), "released");
}

static void
test_pool_release_only_newest_alive_unused(void **state)
{
	struct pfix *f = *state;
	struct nat_pool_stats st;
	struct nat_pool_hit hit;
	struct addr a1, a2, client = ip("203.0.113.9");

	/* two unused bindings of test.zone for the same resolver: only the newest goes */
	a1 = request(f, 1, "198.51.100.7", NULL, 100);
	a2 = request(f, 1, "198.51.100.7", NULL, 300);
	assert_false(addr_eq(&a1, &a2));
	assert_int_equal(release(f, "198.51.100.7", NULL, 1, 400), 1);
	assert_true(addr_eq(&f->last.public_addr, &a2));
	/* the older one has been used meanwhile: a used binding is gone, nothing to release */
	assert_int_equal(nat_pool_lookup(f->p, &client, &a1, 6, 80, 500, &hit), NAT_LOOKUP_OK);
	assert_int_equal(release(f, "198.51.100.7", NULL, 1, 500), 0);
	/* an expired binding is not released (it is EXPIRED, evidence as before) */
	request(f, 1, "198.51.100.7", NULL, 1000);
	assert_int_equal(release(f, "198.51.100.7", NULL, 1, 3000), 0);
	assert_int_equal(nat_pool_expire(f->p, 3000), UINT64_MAX);
	assert_int_equal(f->ended[NAT_BINDING_EXPIRED], 1);
	assert_int_equal(f->ended[NAT_BINDING_USED], 1);
	assert_int_equal(f->ended[NAT_BINDING_RELEASED], 1);
	nat_pool_get_stats(f->p, &st);
	assert_int_equal(st.released, 1);
}

static void
test_pool_release_requestor(void **state)
{
	struct pfix *f = *state;

	request(f, 1, "198.51.100.7", "203.0.113.0/24", 100);
	/* a different client of the same resolver: not this step */
	assert_int_equal(release(f, "198.51.100.7", "203.0.114.0/24", 1, 200), 0);
	assert_int_equal(release(f, "198.51.100.7", "203.0.113.0/25", 1, 200), 0);
	/* the same client, or a query that names none */
	assert_int_equal(release(f, "198.51.100.7", "203.0.113.0/24", 1, 200), 1);
	request(f, 1, "198.51.100.7", "203.0.113.0/24", 300);
	assert_int_equal(release(f, "198.51.100.7", NULL, 1, 400), 1);
	/* a binding without a requestor, a query with one */
	request(f, 1, "198.51.100.7", NULL, 500);
	assert_int_equal(release(f, "198.51.100.7", "203.0.113.0/24", 1, 600), 1);
}

/* On a full pool the step no longer starves the name that was asked. */
static void
test_pool_release_one_address(void **state)
{
	struct pfix *f = *state;
	struct nat_request r;
	enum nat_refusal why;
	struct addr out;

	f->snap.n_pool_addrs = 1;
	assert_int_equal(nat_pool_apply(f->p, &f->snap, 0), 0);
	request(f, 1, "198.51.100.7", NULL, 100);
	memset(&r, 0, sizeof(r));
	r.host_id = 2;
	r.service_id = 2;
	r.resolver = ip("198.51.100.7");
	/* without the release: the descendant is refused (the defect) */
	assert_int_equal(nat_pool_request(f->p, &r, 200, &out, &why), -EAGAIN);
	assert_int_equal(why, NAT_REFUSE_EXHAUSTED);
	/* with it: the descendant gets the only address */
	assert_int_equal(release(f, "198.51.100.7", NULL, 1, 200), 1);
	assert_int_equal(nat_pool_request(f->p, &r, 200, &out, &why), 0);
	assert_true(addr_is(&out, "100.64.1.131"));
}

/* The reputation engine takes a release as no evidence; an expiry stays a NOK. */
static void
test_release_is_no_evidence(void **state)
{
	struct pfix *f = *state;
	struct nat_rep_stats rs;

	f->rep = nat_rep_new(64);
	assert_non_null(f->rep);
	f->snap.admission.unknown_resolver_groups = true;
	assert_int_equal(nat_rep_apply(f->rep, &f->snap), 0);
	request(f, 1, "198.51.100.7", NULL, 100);
	assert_int_equal(release(f, "198.51.100.7", NULL, 1, 200), 1);
	nat_rep_get_stats(f->rep, &rs);
	assert_int_equal(rs.events_ok, 0);
	assert_int_equal(rs.events_nok, 0);
	/* the same binding left to expire: a NOK, as before */
	request(f, 1, "198.51.100.7", NULL, 300);
	nat_pool_expire(f->p, 2400);
	nat_rep_get_stats(f->rep, &rs);
	assert_int_equal(rs.events_nok, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_is_below),
		cmocka_unit_test_setup_teardown(test_ancestors, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_answer_releases_over_tcp, setup_answer,
						teardown_db),
		cmocka_unit_test_setup_teardown(test_answer_valid_cookie, setup_answer,
						teardown_db),
		cmocka_unit_test_setup_teardown(test_answer_no_release, setup_answer, teardown_db),
		cmocka_unit_test_setup_teardown(test_pool_release, setup_pool, teardown_pool),
		cmocka_unit_test_setup_teardown(test_pool_release_only_newest_alive_unused,
						setup_pool, teardown_pool),
		cmocka_unit_test_setup_teardown(test_pool_release_requestor, setup_pool,
						teardown_pool),
		cmocka_unit_test_setup_teardown(test_pool_release_one_address, setup_pool,
						teardown_pool),
		cmocka_unit_test_setup_teardown(test_release_is_no_evidence, setup_pool,
						teardown_pool),
	};

	return cmocka_run_group_tests_name("qmin", tests, NULL, NULL);
}
