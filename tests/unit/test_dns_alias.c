/* SPDX-License-Identifier: MIT */
/* tests/unit/test_dns_alias.c -- one-time CNAME aliases: the table, and the answer path with
 * the real pool and reputation engine */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "common/ev.h"
#include "dns/alias.h"
#include "dns/answer.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "nat/pool.h"
#include "nat/rejmem.h"
#include "nat/reputation.h"
#include "policy/bundle.h"

/* ---------------------------------------------------------------- the pure table */

static void
set_addr(struct addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.v4) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a->u.v6) == 1)
		a->family = AF_INET6;
}

static void
wire(const char *s, uint8_t *out)
{
	assert_true(dns_name_from_str(s, out, DNS_NAME_MAX) > 0);
}

static void
test_table_issue_find_expire(void **state)
{
	struct dns_alias_tab *t = dns_alias_tab_new(8);
	uint8_t zone[DNS_NAME_MAX], target[DNS_NAME_MAX], a1[DNS_NAME_MAX], a2[DNS_NAME_MAX];
	struct dns_alias_stats st;
	struct dns_alias_entry *e;
	struct addr res;
	char s[300];
	size_t i;

	(void)state;
	assert_non_null(t);
	wire("cname-gwa.demo", zone);
	wire("test.gwa.demo", target);
	set_addr(&res, "100.64.0.1");
	assert_int_equal(dns_alias_tab_issue(t, zone, target, &res, 1000, 5000, a1), 0);
	assert_int_equal(dns_alias_tab_issue(t, zone, target, &res, 2000, 5000, a2), 0);
	/* <32 [a-z0-9]>.cname-gwa.demo. */
	assert_int_equal(a1[0], DNS_ALIAS_LABEL_LEN);
	for (i = 1; i <= DNS_ALIAS_LABEL_LEN; i++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789", a1[i]));
	assert_true(dns_name_eq(a1 + 1 + DNS_ALIAS_LABEL_LEN, zone));
	assert_false(dns_name_eq(a1, a2));
	assert_true(dns_name_to_str(a1, s, sizeof(s)) >= 0);
	assert_int_equal(strlen(s), 33 + strlen("cname-gwa.demo"));

	e = dns_alias_tab_find(t, a1, 5999);
	assert_non_null(e);
	assert_true(dns_name_eq(e->target, target));
	assert_true(addr_eq(&e->resolver, &res));
	assert_int_equal(e->expires_ms, 6000);
	assert_int_equal(dns_alias_tab_next_expiry(t), 6000);
	/* the deadline holds even before the timer pops the entry */
	assert_null(dns_alias_tab_find(t, a1, 6000));
	assert_non_null(dns_alias_tab_find(t, a2, 6000));
	assert_int_equal(dns_alias_tab_expire(t, 6000), 1);
	assert_int_equal(dns_alias_tab_next_expiry(t), 7000);
	assert_int_equal(dns_alias_tab_expire(t, 7000), 1);
	assert_int_equal(dns_alias_tab_next_expiry(t), 0);
	dns_alias_tab_get_stats(t, &st);
	assert_int_equal(st.issued, 2);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.live, 0);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 1);
	dns_alias_tab_free(t);
}

static void
test_table_bounded(void **state)
{
	struct dns_alias_tab *t = dns_alias_tab_new(3);
	uint8_t zone[DNS_NAME_MAX], target[DNS_NAME_MAX], a[5][DNS_NAME_MAX], big[DNS_NAME_MAX];
	struct dns_alias_stats st;
	char longz[240];
	int i;

	(void)state;
	wire("cname.example", zone);
	wire("svc.example", target);
	for (i = 0; i < 5; i++)
		assert_int_equal(dns_alias_tab_issue(t, zone, target, NULL, 100 + i, 1000, a[i]),
				 0);
	dns_alias_tab_get_stats(t, &st);
	assert_int_equal(st.live, 3);
	assert_int_equal(st.evicted, 2);
	/* the oldest went first */
	assert_null(dns_alias_tab_find(t, a[0], 200));
	assert_null(dns_alias_tab_find(t, a[1], 200));
	assert_non_null(dns_alias_tab_find(t, a[4], 200));
	/* a zone too long for a 33-byte label in front */
	memset(longz, 0, sizeof(longz));
	for (i = 0; i < 4; i++)
		memcpy(longz + i * 60,
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 60);
	longz[239] = 0;
	assert_true(dns_name_from_str(longz, big, sizeof(big)) > 0);
	assert_int_equal(dns_alias_tab_issue(t, big, target, NULL, 100, 1000, a[0]), -ENAMETOOLONG);
	assert_int_equal(dns_alias_cache_slot(DNS_T_A), 0);
	assert_int_equal(dns_alias_cache_slot(DNS_T_SRV), 1);
	assert_int_equal(dns_alias_cache_slot(DNS_T_TXT), 2);
	assert_int_equal(dns_alias_cache_slot(DNS_T_AAAA), 3);
	assert_int_equal(dns_alias_cache_slot(DNS_T_NS), -1);
	dns_alias_tab_free(t);
}

/* ---------------------------------------------------------------- the answer path */

#define BUNDLE_FMT                                                                                     \
	"{\"version\": 1,"                                                                             \
	" \"zones\": ["                                                                                \
	"  {\"name\": \"gwa.demo\", \"kind\": \"forward\", \"soa\": {\"mname\": \"ns1.gwa.demo\"},"    \
	"   \"nameservers\": [{\"name\": \"ns1.gwa.demo\", \"ipv4\": \"100.64.1.130\"}]},"             \
	"  {\"name\": \"cname-gwa.demo\", \"kind\": \"alias\", \"soa\": {\"mname\": "                  \
	"\"ns1.gwa.demo\"},"                                                                           \
	"   \"nameservers\": [{\"name\": \"ns1.gwa.demo\"}]}],"                                        \
	" \"service_addresses\": [\"100.64.1.130\"],"                                                  \
	" \"pool\": [\"100.64.1.131-100.64.1.134\"],"                                                  \
	" \"hosts\": [{\"fqdn\": \"test.gwa.demo\", \"ipv4\": \"192.168.0.100\","                      \
	"   \"services\": [{\"fqdn\": \"test.gwa.demo\"},"                                             \
	"                  {\"fqdn\": \"ssh.test.gwa.demo\", \"protocol\": \"tcp\", \"port\": 22}]}]," \
	" \"resolver_groups\": ["                                                                      \
	"  {\"name\": \"isp\", \"initial_reputation\": 0.8, \"sla\": true,"                            \
	"   \"nodes\": [\"100.64.0.1\"]},"                                                             \
	"  {\"name\": \"isp-backup\", \"initial_reputation\": 0.6, \"nodes\": [\"100.64.0.2\"]}],"     \
	" \"admission\": {\"dns_tcp\": true, \"dns_cname\": true, \"dns_tcpcname\": %s,"               \
	"   \"dns_cookies\": false, \"log_untrusted\": true, \"alias_ttl_ms\": %d,"                    \
	"   \"cache_window_ms\": 0}}"

static struct pol_snap *snap;
static struct dns_db *db;
static struct nat_pool *pool;
static struct nat_rep *rep;
static struct ev_loop *loop;
static struct dns_aliases *aliases;

/* When set, the pool refuses every allocation (exhausted). */
static bool refuse_all;

static int
pool_alloc(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	(void)arg;
	if (refuse_all) {
		*why = NAT_REFUSE_EXHAUSTED;
		return -EAGAIN;
	}
	return nat_pool_request(pool, req, ev_now_ms(loop), out, why);
}

static int
rep_merge(void *arg, const struct addr *asker, const struct addr *issuer)
{
	return nat_rep_merge_resolvers(arg, asker, issuer);
}

static bool
rep_known(void *arg, const struct addr *resolver)
{
	return nat_rep_resolver_known(arg, resolver);
}

static void
rep_note(void *arg, const struct addr *resolver, bool trusted)
{
	nat_rep_note_query(arg, resolver, trusted);
}

static bool
pool_pending(void *arg, const struct addr *public_addr, int64_t service_id)
{
	(void)arg;
	return nat_pool_pending(pool, public_addr, service_id, ev_now_ms(loop));
}

static void
build(bool tcpcname, int ttl_ms)
{
	char text[4096];
	struct pol_err err;
	int n = snprintf(text, sizeof(text), BUNDLE_FMT, tcpcname ? "true" : "false", ttl_ms);

	assert_true(n > 0 && (size_t)n < sizeof(text));
	memset(&err, 0, sizeof(err));
	assert_int_equal(pol_bundle_parse(text, (size_t)n, &snap, &err), 0);
	db = dns_db_build(snap);
	assert_non_null(db);
	loop = ev_loop_new();
	pool = nat_pool_new();
	rep = nat_rep_new(64);
	assert_non_null(loop);
	assert_non_null(pool);
	assert_non_null(rep);
	assert_int_equal(nat_pool_apply(pool, snap, ev_now_ms(loop)), 0);
	assert_int_equal(nat_rep_apply(rep, snap), 0);
	nat_pool_set_hooks(pool, nat_rep_admit, nat_rep_binding_end, rep);
	aliases = dns_aliases_new(loop, 16);
	assert_non_null(aliases);
	dns_aliases_set_rep(aliases, &(struct dns_alias_rep){ .merge = rep_merge,
							      .known = rep_known,
							      .note = rep_note,
							      .pending = pool_pending,
							      .arg = rep });
}

static int
teardown(void **state)
{
	(void)state;
	dns_aliases_free(aliases);
	nat_pool_free(pool);
	nat_rep_free(rep);
	ev_loop_free(loop);
	dns_db_unref(db);
	pol_snap_unref(snap);
	return 0;
}

struct reply {
	enum dns_answer_res res;
	struct dns_answer_info info;
	uint8_t wire[4096];
	ldns_pkt *pkt;
};

/* Queries ask for recursion (RD) while set: what a forwarder sends. */
static bool ask_rd;

static size_t
mkquery(uint8_t *out, const char *name, uint16_t type)
{
	uint8_t qn[DNS_NAME_MAX];
	size_t nl;

	wire(name, qn);
	nl = dns_name_len(qn);
	memset(out, 0, 12);
	dns_put16(out, 0x4242);
	if (ask_rd)
		out[2] |= 0x01; /* RD: a forwarder's question */
	dns_put16(out + 4, 1);
	memcpy(out + 12, qn, nl);
	dns_put16(out + 12 + nl, type);
	dns_put16(out + 14 + nl, DNS_C_IN);
	return 16 + nl;
}

/* Ask name/type from resolver src; main thread unless worker. */
static void
ask(struct reply *r, const char *src, bool tcp, bool worker, const char *name, uint16_t type)
{
	struct dns_answer_ctx c;
	uint8_t q[512];
	size_t qlen = mkquery(q, name, type);

	memset(&c, 0, sizeof(c));
	c.db = db;
	c.view = DNS_VIEW_WAN;
	c.tcp = tcp;
	set_addr(&c.src, src);
	c.edns_size = 1232;
	c.alloc = worker ? NULL : pool_alloc;
	c.alias = dns_aliases_hooks();
	c.alias_arg = aliases;
	if (r->pkt)
		ldns_pkt_free(r->pkt);
	r->pkt = NULL;
	r->res = dns_answer(&c, q, qlen, r->wire, sizeof(r->wire), &r->info);
	if (r->res == DNS_ANS_SEND)
		assert_int_equal(ldns_wire2pkt(&r->pkt, r->wire, r->info.len), LDNS_STATUS_OK);
}

/* The single answer RR's rdata as text ("" if none). */
static void
answer_rdata(const struct reply *r, ldns_rr_type type, char *out, size_t outsz)
{
	ldns_rr_list *an = ldns_pkt_answer(r->pkt);

	out[0] = 0;
	if (ldns_rr_list_rr_count(an) != 1)
		return;
	ldns_rr *rr = ldns_rr_list_rr(an, 0);
	assert_int_equal(ldns_rr_get_type(rr), type);
	char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	snprintf(out, outsz, "%s", s);
	free(s);
}

/* The rdata of answer RR i (of any count), checking its type. */
static void
answer_rr(const struct reply *r, size_t i, ldns_rr_type type, char *out, size_t outsz)
{
	ldns_rr_list *an = ldns_pkt_answer(r->pkt);

	out[0] = 0;
	assert_true(ldns_rr_list_rr_count(an) > i);
	ldns_rr *rr = ldns_rr_list_rr(an, i);
	assert_int_equal(ldns_rr_get_type(rr), type);
	char *str = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	snprintf(out, outsz, "%s", str);
	free(str);
}

static int
count_bindings(void *arg, const struct nat_binding_info *b)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

static int
bindings(void)
{
	int n = 0;

	nat_pool_foreach(pool, count_bindings, &n);
	return n;
}

static int
find_isp(void *arg, const struct nat_rep_entry *e)
{
	if (strcmp(e->key, "isp") != 0)
		return 0;
	*(struct nat_rep_entry *)arg = *e;
	return 1;
}

static void
test_answer_alias_flow(void **state)
{
	struct reply r = { 0 };
	char alias[300], a1[64], a2[64], a3[64];
	struct dns_alias_stats st;
	struct nat_rep_stats rs;

	(void)state;
	build(false, 5000);
	/* UDP for the service: TC (dns_tcp) */
	ask(&r, "100.64.0.1", false, false, "test.gwa.demo", LDNS_RR_TYPE_A);
	assert_int_equal(r.res, DNS_ANS_SEND);
	assert_true(ldns_pkt_tc(r.pkt));
	/* TCP: a one-time CNAME, TTL 0, nothing allocated yet */
	ask(&r, "100.64.0.1", true, false, "test.gwa.demo", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(r.pkt));
	answer_rdata(&r, LDNS_RR_TYPE_CNAME, alias, sizeof(alias));
	assert_int_equal(strlen(alias), 33 + strlen("cname-gwa.demo."));
	assert_string_equal(alias + 33, "cname-gwa.demo.");
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r.pkt), 0)), 0);
	assert_int_equal(bindings(), 0);
	/* a worker hands the alias query to the main thread */
	ask(&r, "100.64.0.1", false, true, alias, LDNS_RR_TYPE_A);
	assert_int_equal(r.res, DNS_ANS_NEED_ALLOC);
	/* the alias over UDP: not truncated, a pool address */
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	assert_false(ldns_pkt_tc(r.pkt));
	answer_rdata(&r, LDNS_RR_TYPE_A, a1, sizeof(a1));
	assert_string_equal(a1, "100.64.1.131");
	assert_true(r.info.allocated);
	assert_int_equal(bindings(), 1);
	/* retransmission: the same address, no second binding */
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	answer_rdata(&r, LDNS_RR_TYPE_A, a2, sizeof(a2));
	assert_string_equal(a1, a2);
	assert_int_equal(bindings(), 1);
	/* another QTYPE allocates on its own (cached per QTYPE, as the original) */
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)), 1);
	assert_int_equal(bindings(), 2);
	/* AAAA of an alias: NODATA with the alias zone's SOA */
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)), 0);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_authority(r.pkt)), 1);
	/* trusted: TCP and alias queries; untrusted: the first UDP query */
	nat_rep_get_stats(rep, &rs);
	assert_int_equal(rs.untrusted, 1);
	assert_true(rs.trusted >= 4);
	struct nat_rep_entry isp = { 0 };
	nat_rep_foreach(rep, find_isp, &isp);
	assert_string_equal(isp.key, "isp");
	assert_int_equal(isp.untrusted, 1);
	assert_int_equal(isp.trusted, rs.trusted);
	/* the alias asked by the backup resolver: one cluster, and the same cached address */
	ask(&r, "100.64.0.2", false, false, alias, LDNS_RR_TYPE_A);
	answer_rdata(&r, LDNS_RR_TYPE_A, a3, sizeof(a3));
	assert_string_equal(a3, a1);
	/* its retransmission does not replay the evidence a second time */
	ask(&r, "100.64.0.2", false, false, alias, LDNS_RR_TYPE_A);
	dns_aliases_get_stats(aliases, &st);
	assert_int_equal(st.merges, 1);
	assert_int_equal(st.issued, 1);
	assert_true(st.cache_hits >= 2);
	/* the client uses the binding; the alias asked again is a new client (unbound keeps a
	 * TTL-0 CNAME for a moment): a new binding, never the stale address */
	struct addr csrc, cdst;
	struct nat_pool_hit hit;
	set_addr(&csrc, "198.51.100.1");
	set_addr(&cdst, a1);
	assert_int_equal(nat_pool_lookup(pool, &csrc, &cdst, 6, 80, ev_now_ms(loop), &hit),
			 NAT_LOOKUP_OK);
	int before = bindings();
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	assert_true(r.info.allocated);
	assert_int_equal(bindings(), before + 1);
	dns_aliases_get_stats(aliases, &st);
	uint64_t hits = st.cache_hits;
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	assert_false(r.info.allocated);
	dns_aliases_get_stats(aliases, &st);
	assert_int_equal(st.cache_hits, hits + 1);
	if (r.pkt)
		ldns_pkt_free(r.pkt);
}

static void
stop_cb(struct ev_loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	ev_stop(l);
}

static void
test_answer_alias_misses(void **state)
{
	struct reply r = { 0 };
	char alias[300], a1[64];
	struct dns_alias_stats st;
	int i;

	(void)state;
	build(true, 40);
	/* unknown alias names: NXDOMAIN with the alias zone's SOA, never a crash */
	ask(&r, "100.64.0.1", true, false, "abcdefghijklmnopqrstuvwxyz012345.cname-gwa.demo",
	    LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_authority(r.pkt)), 1);
	ask(&r, "203.0.113.9", true, false, "x.y.cname-gwa.demo", LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN);
	/* the apex of the alias zone is still an ordinary apex */
	ask(&r, "203.0.113.9", false, false, "cname-gwa.demo", LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)), 1);

	ask(&r, "100.64.0.1", true, false, "ssh.test.gwa.demo", LDNS_RR_TYPE_A);
	answer_rdata(&r, LDNS_RR_TYPE_CNAME, alias, sizeof(alias));
	/* dns_tcpcname: even the alias follow-up needs TCP */
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	assert_true(ldns_pkt_tc(r.pkt));
	/* asked over TCP by a resolver in no group: answered, charged to the issuer */
	ask(&r, "203.0.113.9", true, false, alias, LDNS_RR_TYPE_A);
	answer_rdata(&r, LDNS_RR_TYPE_A, a1, sizeof(a1));
	assert_string_equal(a1, "100.64.1.131");
	dns_aliases_get_stats(aliases, &st);
	assert_int_equal(st.merges, 0);
	assert_int_equal(st.live, 1);
	/* the expiry timer removes it after alias_ttl_ms; then NXDOMAIN */
	ev_timer_add(loop, 150, stop_cb, NULL);
	for (i = 0; i < 100 && st.live; i++) {
		ev_run_once(loop, 20);
		dns_aliases_get_stats(aliases, &st);
	}
	assert_int_equal(st.live, 0);
	assert_int_equal(st.expired, 1);
	ask(&r, "100.64.0.1", true, false, alias, LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN);
	if (r.pkt)
		ldns_pkt_free(r.pkt);
}

static int n_cached;
static char cached_by[ADDR_STRLEN];

static void
on_cached(void *arg, const struct addr *resolver, uint64_t issued_ms)
{
	(void)arg;
	(void)issued_ms;
	n_cached++;
	addr_ntop(resolver, cached_by, sizeof(cached_by));
}

/* A resolver that asks for an alias long after its CNAME kept the CNAME: cache evidence, once
 * per alias, and only from the resolver it was issued to (a retransmission comes sooner). */
static void
test_alias_cached_evidence(void **state)
{
	struct reply r = { 0 };
	char alias[300], a1[64];
	struct dns_alias_stats st;
	uint64_t t0;
	int i;

	(void)state;
	build(false, 5000);
	dns_aliases_set_rep(aliases, &(struct dns_alias_rep){ .pending = pool_pending,
							      .cached = on_cached,
							      .cached_ms = 30,
							      .arg = rep });
	n_cached = 0;
	ask(&r, "100.64.0.1", true, false, "test.gwa.demo", LDNS_RR_TYPE_A);
	answer_rdata(&r, LDNS_RR_TYPE_CNAME, alias, sizeof(alias));
	t0 = ev_now_ms(loop);
	/* followed at once, and retransmitted: no evidence */
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	answer_rdata(&r, LDNS_RR_TYPE_A, a1, sizeof(a1));
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	assert_int_equal(n_cached, 0);
	/* past cached_ms of loop time */
	ev_timer_add(loop, 60, stop_cb, NULL);
	for (i = 0; i < 100 && ev_now_ms(loop) <= t0 + 30; i++)
		ev_run_once(loop, 20);
	assert_true(ev_now_ms(loop) > t0 + 30);
	/* another resolver following it late is no evidence about this one */
	ask(&r, "100.64.0.2", false, false, alias, LDNS_RR_TYPE_A);
	assert_int_equal(n_cached, 0);
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	assert_int_equal(n_cached, 1);
	assert_string_equal(cached_by, "100.64.0.1");
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	assert_int_equal(n_cached, 1);
	dns_aliases_get_stats(aliases, &st);
	assert_int_equal(st.issued, 1);
	if (r.pkt)
		ldns_pkt_free(r.pkt);
}

static int
charged_cb(void *arg, const struct nat_binding_info *b)
{
	addr_ntop(&b->resolver, arg, ADDR_STRLEN);
	return 0;
}

static void
test_answer_alias_charge(void **state)
{
	struct reply r = { 0 };
	char alias[300], who[ADDR_STRLEN] = "";

	(void)state;
	build(false, 5000);
	ask(&r, "100.64.0.1", true, false, "test.gwa.demo", LDNS_RR_TYPE_A);
	answer_rdata(&r, LDNS_RR_TYPE_CNAME, alias, sizeof(alias));
	ask(&r, "203.0.113.9", false, false, alias, LDNS_RR_TYPE_A);
	assert_int_equal(bindings(), 1);
	nat_pool_foreach(pool, charged_cb, who);
	/* the asker has no group: the binding's evidence goes to the issuer's group */
	assert_string_equal(who, "100.64.0.1");
	if (r.pkt)
		ldns_pkt_free(r.pkt);
}

/* ---------------------------------------------------------------- rejected per source */

static void
rej_key(struct nat_rej_key *k, const char *src, const char *dst, uint16_t port)
{
	struct addr s, d;

	memset(k, 0, sizeof(*k));
	set_addr(&s, src);
	set_addr(&d, dst);
	k->family = AF_INET;
	k->proto = 6;
	memcpy(k->src, s.u.bytes, 4);
	memcpy(k->dst, d.u.bytes, 4);
	k->k1 = port;
}

static void
test_rejected_sources(void **state)
{
	struct nat_rejmem *m = nat_rejmem_new(16, 1000);
	struct nat_rej_source out[4];
	struct nat_rej_key k;
	size_t total;
	int i, n;

	(void)state;
	assert_non_null(m);
	assert_int_equal(nat_rejmem_sources(m, 0, out, 4, &total), 0);
	/* 10.0.0.9: 3 distinct packets, one of them seen 3 times; 10.0.0.5: one packet */
	for (i = 0; i < 3; i++) {
		rej_key(&k, "10.0.0.9", "100.64.1.131", (uint16_t)(1000 + i));
		assert_int_equal(nat_rejmem_record(m, &k, 100), 0);
	}
	assert_true(nat_rejmem_check(m, &k, 200));
	assert_true(nat_rejmem_check(m, &k, 300));
	rej_key(&k, "10.0.0.5", "100.64.1.132", 80);
	assert_int_equal(nat_rejmem_record(m, &k, 400), 0);
	n = nat_rejmem_sources(m, 500, out, 4, &total);
	assert_int_equal(n, 2);
	assert_int_equal(total, 2);
	assert_int_equal(out[0].packets, 5);
	assert_int_equal(out[0].records, 3);
	assert_int_equal(out[0].src[3], 9);
	assert_int_equal(out[1].packets, 1);
	/* max 1: only the busiest */
	assert_int_equal(nat_rejmem_sources(m, 500, out, 1, &total), 1);
	assert_int_equal(total, 2);
	/* at 1150 the first two records of 10.0.0.9 are stale */
	n = nat_rejmem_sources(m, 1150, out, 4, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].packets, 3);
	assert_int_equal(out[0].records, 1);
	nat_rejmem_free(m);
}

/* A forwarder (RD set) does not follow the CNAME to our alias: over TCP or with a cookie the
 * answer carries the alias's address (RFC 1034 4.3.2), allocated now; the alias asked later
 * gets the same one. Over plain UDP, and for iterating resolvers (RD clear), the bare CNAME. A
 * refused chase is the query's refusal, never a bare CNAME. */
static void
test_answer_alias_forwarder(void **state)
{
	struct reply r = { 0 };
	char alias[300], a0[64], a1[64];

	(void)state;
	build(false, 5000);
	ask_rd = true;
	ask(&r, "100.64.0.1", true, false, "test.gwa.demo", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)), 2);
	answer_rr(&r, 0, LDNS_RR_TYPE_CNAME, alias, sizeof(alias));
	answer_rr(&r, 1, LDNS_RR_TYPE_A, a0, sizeof(a0));
	assert_string_equal(a0, "100.64.1.131");
	char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(r.pkt), 1)));
	assert_string_equal(owner, alias);
	free(owner);
	assert_true(r.info.allocated);
	assert_int_equal(bindings(), 1);
	/* the alias, asked anyway: the same address, no second binding */
	ask(&r, "100.64.0.1", false, false, alias, LDNS_RR_TYPE_A);
	answer_rdata(&r, LDNS_RR_TYPE_A, a1, sizeof(a1));
	assert_string_equal(a1, a0);
	assert_false(r.info.allocated);
	assert_int_equal(bindings(), 1);
	/* SRV through a forwarder: the alias's SRV and its target's address */
	ask(&r, "100.64.0.1", true, false, "ssh.test.gwa.demo", LDNS_RR_TYPE_SRV);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)), 2);
	answer_rr(&r, 1, LDNS_RR_TYPE_SRV, a1, sizeof(a1));
	assert_string_equal(a1, "10");
	/* RD over plain UDP (dns_tcp is on: TC first) -- nothing chased */
	int before = bindings();
	ask(&r, "100.64.0.1", false, false, "test.gwa.demo", LDNS_RR_TYPE_A);
	assert_true(ldns_pkt_tc(r.pkt));
	assert_int_equal(bindings(), before);
	/* an iterating resolver's question (RD clear) over TCP: the bare CNAME */
	ask_rd = false;
	ask(&r, "100.64.0.1", true, false, "test.gwa.demo", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)), 1);
	assert_int_equal(bindings(), before);
	/* the pool refuses the chase: the query's refusal (TCP: try again), not a bare CNAME */
	ask_rd = true;
	refuse_all = true;
	ask(&r, "100.64.0.1", true, false, "test.gwa.demo", LDNS_RR_TYPE_A);
	assert_int_equal(r.res, DNS_ANS_RETRY);
	assert_true(r.info.alloc_refused);
	refuse_all = false;
	ask_rd = false;
	if (r.pkt)
		ldns_pkt_free(r.pkt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_issue_find_expire),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test_teardown(test_answer_alias_flow, teardown),
		cmocka_unit_test_teardown(test_answer_alias_misses, teardown),
		cmocka_unit_test_teardown(test_answer_alias_charge, teardown),
		cmocka_unit_test_teardown(test_answer_alias_forwarder, teardown),
		cmocka_unit_test_teardown(test_alias_cached_evidence, teardown),
		cmocka_unit_test(test_rejected_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
