/* SPDX-License-Identifier: MIT */
/* tests/unit/test_defence.c -- flow defence: EVE parser, ctnetlink messages, flow and block
 * tables, ALG reputation snapshot, evidence from flows, synproxy and block rules */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "alg/rep.h"
#include "ids/eve.h"
#include "nat/ct.h"
#include "nat/flowmem.h"
#include "nat/model.h"
#include "nat/nft_msg.h"
#include "nat/reputation.h"
#include "nat/rules.h"

static struct addr
A(const char *s) {
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* ---- EVE ---- */

/* An alert as Suricata 7 writes it (eve-log, types: alert), trimmed of the flow object. */
static const char ALERT[] =
	"{\"timestamp\":\"2026-12-06T06:10:11.123456+0000\",\"flow_id\":1745342236318742,"
	"\"in_iface\":\"lan0\",\"event_type\":\"alert\",\"src_ip\":\"100.64.0.10\","
	"\"src_port\":40312,\"dest_ip\":\"192.168.0.100\",\"dest_port\":2000,\"proto\":\"TCP\","
	"\"pkt_src\":\"wire/pcap\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
	"\"signature_id\":1000001,\"rev\":1,\"signature\":\"rgw test string\",\"category\":\"\","
	"\"severity\":1},\"app_proto\":\"failed\",\"direction\":\"to_server\"}\n";

static enum ids_eve
parse_copy(const char *s, size_t len, struct ids_alert *a)
{
	/* an exact-size heap copy: ASan sees any read past len */
	char *c = malloc(len ? len : 1);
	enum ids_eve r;

	assert_non_null(c);
	memcpy(c, s, len);
	r = ids_eve_parse(c, len, a);
	free(c);
	return r;
}

static void
test_eve_alert(void **state)
{
	struct ids_alert a;
	char ip[ADDR_STRLEN];

	(void)state;
	assert_int_equal(parse_copy(ALERT, strlen(ALERT), &a), IDS_EVE_ALERT);
	assert_string_equal(addr_ntop(&a.src, ip, sizeof(ip)), "100.64.0.10");
	assert_string_equal(addr_ntop(&a.dst, ip, sizeof(ip)), "192.168.0.100");
	assert_int_equal(a.sport, 40312);
	assert_int_equal(a.dport, 2000);
	assert_int_equal(a.proto, IPPROTO_TCP);
	assert_int_equal(a.severity, 1);
	assert_int_equal(a.sid, 1000001);
	assert_true(a.flow_id == 1745342236318742ull);
	assert_string_equal(a.sig, "rgw test string");
	assert_string_equal(a.iface, "lan0");
	/* 2026-12-06T06:10:11Z = 1796537411 */
	assert_true(a.ts_us == 1796537411123456ll);
}

/* A record is framed by its line or datagram: every strict prefix is invalid, never read
 * beyond, never an alert. */
static void
test_eve_prefixes(void **state)
{
	struct ids_alert a;
	size_t n = strlen(ALERT) - 1, i; /* without the newline */

	(void)state;
	for (i = 0; i < n; i++)
		assert_int_equal(parse_copy(ALERT, i, &a), IDS_EVE_INVALID);
	assert_int_equal(parse_copy(ALERT, n, &a), IDS_EVE_ALERT);
}

static void
test_eve_others(void **state)
{
	struct ids_alert a;
	static const struct {
		const char *rec;
		enum ids_eve want;
	} v[] = {
		{ "{\"event_type\":\"flow\",\"src_ip\":\"1.2.3.4\"}", IDS_EVE_OTHER },
		{ "{\"event_type\":\"stats\",\"stats\":{}}", IDS_EVE_OTHER },
		{ "[1,2,3]", IDS_EVE_INVALID },
		{ "{\"event_type\":7}", IDS_EVE_INVALID },
		{ "not json", IDS_EVE_INVALID },
		/* no source address */
		{ "{\"event_type\":\"alert\",\"dest_ip\":\"1.2.3.4\",\"proto\":\"TCP\",\"alert\":{}}",
		  IDS_EVE_INVALID },
		/* families differ */
		{ "{\"event_type\":\"alert\",\"src_ip\":\"::1\",\"dest_ip\":\"1.2.3.4\","
		  "\"proto\":\"TCP\",\"alert\":{}}",
		  IDS_EVE_INVALID },
		/* port out of range, severity out of range, proto unknown */
		{ "{\"event_type\":\"alert\",\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.2.3.4\","
		  "\"src_port\":70000,\"proto\":\"TCP\",\"alert\":{}}",
		  IDS_EVE_INVALID },
		{ "{\"event_type\":\"alert\",\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.2.3.4\","
		  "\"proto\":\"TCP\",\"alert\":{\"severity\":0}}",
		  IDS_EVE_INVALID },
		{ "{\"event_type\":\"alert\",\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.2.3.4\","
		  "\"proto\":\"XYZ\",\"alert\":{}}",
		  IDS_EVE_INVALID },
		/* duplicate keys are refused */
		{ "{\"event_type\":\"alert\",\"src_ip\":\"1.1.1.1\",\"src_ip\":\"2.2.2.2\","
		  "\"dest_ip\":\"1.2.3.4\",\"proto\":\"TCP\",\"alert\":{}}",
		  IDS_EVE_INVALID },
		/* a protocol by number, IPv6, no ports, default severity */
		{ "{\"event_type\":\"alert\",\"src_ip\":\"2001:db8::1\",\"dest_ip\":\"2001:db8::2\","
		  "\"proto\":\"047\",\"alert\":{\"signature\":\"a\\u0001b\"}}",
		  IDS_EVE_ALERT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum ids_eve r = parse_copy(v[i].rec, strlen(v[i].rec), &a);

		if (r != v[i].want)
			fail_msg("vector %zu: %d, want %d", i, r, v[i].want);
	}
	assert_int_equal(a.proto, 47);
	assert_int_equal(a.severity, 3);
	assert_int_equal(a.sport, 0);
	assert_string_equal(a.sig, "a?b"); /* control characters never reach the log */
}

static void
test_eve_bounds(void **state)
{
	struct ids_alert a;
	size_t n = IDS_EVE_MAX + 2;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, ALERT, strlen(ALERT) - 1); /* valid JSON, then spaces: too long */
	assert_int_equal(ids_eve_parse(big, n, &a), IDS_EVE_INVALID);
	assert_int_equal(ids_eve_parse(big, IDS_EVE_MAX, &a), IDS_EVE_ALERT);
	free(big);
}

static void
test_eve_time(void **state)
{
	(void)state;
	assert_true(ids_eve_time("1970-01-01T00:00:00.000000+0000") == 0);
	assert_true(ids_eve_time("2026-12-06T08:10:11.5+0200") == 1796537411500000ll);
	assert_true(ids_eve_time("2026-12-06T06:10:11Z") == 1796537411000000ll);
	assert_true(ids_eve_time("2024-02-29T00:00:00+00:00") == 1709164800000000ll);
	assert_true(ids_eve_time("2026-13-06T06:10:11Z") < 0);
	assert_true(ids_eve_time("2026-12-06 06:10:11") < 0);
	assert_true(ids_eve_time("2026-12-06T06:10:11.+0000") < 0);
	assert_true(ids_eve_time("") < 0);
}

/* ---- ctnetlink messages ---- */

struct at {
	const struct nlattr *tb[32];
};

static int
at_cb(const struct nlattr *a, void *data)
{
	struct at *t = data;

	if (mnl_attr_get_type(a) < 32)
		t->tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void
test_ct_build(void **state)
{
	struct nat_ct_tuple t = { .src = A("100.64.0.10"),
				  .dst = A("192.168.0.100"),
				  .sport = 40312,
				  .dport = 2000,
				  .proto = IPPROTO_TCP };
	uint8_t buf[NAT_CT_MSG_MAX];
	const struct nlmsghdr *nlh = (const void *)buf;
	struct at top = { 0 }, tup = { 0 }, ip = { 0 }, pr = { 0 };
	const struct nfgenmsg *g;
	int len;

	(void)state;
	len = nat_ct_build(buf, sizeof(buf), true, true, &t, 77);
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, (uint32_t)len);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);
	assert_true(nlh->nlmsg_flags & NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, 77);
	g = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(g->nfgen_family, AF_INET);
	assert_true(mnl_attr_parse(nlh, sizeof(*g), at_cb, &top) >= 0);
	assert_null(top.tb[CTA_TUPLE_ORIG]);
	assert_non_null(top.tb[CTA_TUPLE_REPLY]); /* the reply tuple was asked for */
	assert_true(mnl_attr_parse_nested(top.tb[CTA_TUPLE_REPLY], at_cb, &tup) >= 0);
	assert_true(mnl_attr_parse_nested(tup.tb[CTA_TUPLE_IP], at_cb, &ip) >= 0);
	assert_true(mnl_attr_parse_nested(tup.tb[CTA_TUPLE_PROTO], at_cb, &pr) >= 0);
	assert_memory_equal(mnl_attr_get_payload(ip.tb[CTA_IP_V4_SRC]), &t.src.u.v4, 4);
	assert_memory_equal(mnl_attr_get_payload(ip.tb[CTA_IP_V4_DST]), &t.dst.u.v4, 4);
	assert_int_equal(mnl_attr_get_u8(pr.tb[CTA_PROTO_NUM]), IPPROTO_TCP);
	assert_int_equal(ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_SRC_PORT])), 40312);
	assert_int_equal(ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_DST_PORT])), 2000);
	/* a GET of the original tuple; no ports for ICMP; no address: refused */
	t.proto = IPPROTO_ICMP;
	len = nat_ct_build(buf, sizeof(buf), false, false, &t, 78);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
	memset(&top, 0, sizeof(top));
	memset(&tup, 0, sizeof(tup));
	memset(&pr, 0, sizeof(pr));
	assert_true(mnl_attr_parse(nlh, sizeof(*g), at_cb, &top) >= 0);
	assert_non_null(top.tb[CTA_TUPLE_ORIG]);
	assert_true(mnl_attr_parse_nested(top.tb[CTA_TUPLE_ORIG], at_cb, &tup) >= 0);
	assert_true(mnl_attr_parse_nested(tup.tb[CTA_TUPLE_PROTO], at_cb, &pr) >= 0);
	assert_null(pr.tb[CTA_PROTO_SRC_PORT]);
	t.src.family = 0;
	assert_int_equal(nat_ct_build(buf, sizeof(buf), false, false, &t, 79), -EINVAL);
}

/* An IPCTNL_MSG_CT_NEW as the kernel answers a GET: orig, reply, status. */
static size_t
ct_new_msg(uint8_t *buf, bool with_reply, bool short_addr)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nlattr *t, *ip, *pr;
	struct addr c = A("100.64.0.10"), p = A("100.64.1.131"), h = A("192.168.0.100");
	int i;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	for (i = 0; i < (with_reply ? 2 : 1); i++) {
		t = mnl_attr_nest_start(nlh, i == 0 ? CTA_TUPLE_ORIG : CTA_TUPLE_REPLY);
		ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put(nlh, CTA_IP_V4_SRC, short_addr ? 3 : 4, i == 0 ? &c.u.v4 : &h.u.v4);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, i == 0 ? &p.u.v4 : &c.u.v4);
		mnl_attr_nest_end(nlh, ip);
		pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(i == 0 ? 40312 : 2000));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(i == 0 ? 2000 : 40312));
		mnl_attr_nest_end(nlh, pr);
		mnl_attr_nest_end(nlh, t);
	}
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0x20 /* IPS_DST_NAT */ | 0x8));
	return nlh->nlmsg_len;
}

static void
test_ct_parse(void **state)
{
	uint8_t buf[512];
	struct nat_ct_entry e;
	char ip[ADDR_STRLEN];
	struct nat_ct_tuple r;

	(void)state;
	memset(buf, 0, sizeof(buf));
	ct_new_msg(buf, true, false);
	assert_int_equal(nat_ct_parse((const void *)buf, &e), 0);
	assert_string_equal(addr_ntop(&e.orig.src, ip, sizeof(ip)), "100.64.0.10");
	assert_string_equal(addr_ntop(&e.orig.dst, ip, sizeof(ip)), "100.64.1.131");
	assert_string_equal(addr_ntop(&e.reply.src, ip, sizeof(ip)), "192.168.0.100");
	assert_int_equal(e.orig.sport, 40312);
	assert_int_equal(e.reply.sport, 2000);
	assert_int_equal(e.status, 0x28);
	nat_ct_tuple_reverse(&e.orig, &r);
	assert_true(addr_eq(&r.src, &e.orig.dst) && r.sport == 2000 && r.dport == 40312);
	memset(buf, 0, sizeof(buf));
	ct_new_msg(buf, false, false);
	assert_int_equal(nat_ct_parse((const void *)buf, &e), -EINVAL);
	memset(buf, 0, sizeof(buf));
	ct_new_msg(buf, true, true);
	assert_int_equal(nat_ct_parse((const void *)buf, &e), -EINVAL);
}

/* ---- admitted-flow memory and blocks ---- */

static void
test_flowmem(void **state)
{
	struct nat_flowmem *m = nat_flowmem_new(3);
	struct nat_ct_tuple t = { .src = A("100.64.0.10"),
				  .dst = A("100.64.1.131"),
				  .dport = 2000,
				  .proto = IPPROTO_TCP };
	struct nat_flow_origin o = { 0 }, got;
	int i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < 4; i++) {
		t.sport = (uint16_t)(1000 + i);
		o.binding_id = (uint64_t)i + 1;
		nat_flowmem_add(m, &t, &o);
	}
	assert_int_equal(nat_flowmem_count(m), 3);
	t.sport = 1000; /* the oldest is forgotten first */
	assert_false(nat_flowmem_find(m, &t, &got));
	t.sport = 1003;
	assert_true(nat_flowmem_find(m, &t, &got));
	assert_int_equal(got.binding_id, 4);
	o.binding_id = 9; /* the same tuple again: refreshed in place */
	nat_flowmem_add(m, &t, &o);
	assert_int_equal(nat_flowmem_count(m), 3);
	assert_true(nat_flowmem_find(m, &t, &got));
	assert_int_equal(got.binding_id, 9);
	assert_false(got.torn_down);
	assert_true(nat_flowmem_mark_torn(m, &t)); /* a teardown is remembered with the flow */
	assert_true(nat_flowmem_find(m, &t, &got));
	assert_true(got.torn_down);
	assert_int_equal(got.binding_id, 9);
	t.dport = 2001;
	assert_false(nat_flowmem_find(m, &t, &got));
	assert_false(nat_flowmem_mark_torn(m, &t));
	nat_flowmem_free(m);
	nat_flowmem_free(NULL);
}

static int
count_cb(void *arg, const struct nat_block_info *bi)
{
	(*(int *)arg)++;
	(void)bi;
	return 0;
}

static void
test_blocks(void **state)
{
	struct nat_blocks *b = nat_blocks_new(2);
	struct addr x = A("198.51.100.1"), y = A("198.51.100.2"), z = A("2001:db8::3");
	struct nat_block_info bi;
	int n = 0;

	(void)state;
	assert_non_null(b);
	assert_int_equal(nat_blocks_add(b, &x, 1000, 5000, "sid 1"), 1);
	assert_int_equal(nat_blocks_add(b, &x, 2000, 1000, "sid 2"), 0); /* never shortened */
	assert_true(nat_blocks_find(b, &x, 2000, &bi));
	assert_true(bi.expires_ms == 6000 && bi.alerts == 2);
	assert_string_equal(bi.reason, "sid 2");
	assert_int_equal(nat_blocks_add(b, &x, 3000, 9000, "sid 3"), 0); /* extended */
	assert_true(nat_blocks_find(b, &x, 3000, &bi) && bi.expires_ms == 12000);
	assert_int_equal(nat_blocks_add(b, &y, 3000, 1000, "y"), 1);
	assert_int_equal(nat_blocks_add(b, &z, 3500, 1000, "z"), -ENOSPC); /* full */
	assert_int_equal(nat_blocks_add(b, &z, 4500, 1000, "z"), 1);	   /* y expired: room */
	assert_int_equal(nat_blocks_count(b, 4500), 2);
	nat_blocks_foreach(b, 4500, count_cb, &n);
	assert_int_equal(n, 2);
	assert_int_equal(nat_blocks_del(b, &x, 4500), 0);
	assert_int_equal(nat_blocks_del(b, &x, 4500), -ENOENT);
	assert_false(nat_blocks_find(b, &z, 5500, &bi)); /* expired */
	assert_int_equal(nat_blocks_del(b, &z, 5500), -ENOENT);
	nat_blocks_free(b);
	nat_blocks_free(NULL);
}

/* ---- the ALG's low-reputation snapshot ---- */

static void
test_rep_snap(void **state)
{
	struct addr v[3] = { A("10.0.0.3"), A("10.0.0.1"), A("2001:db8::1") };
	struct alg_rep_snap *s = alg_rep_snap_new(v, 3), *e = alg_rep_snap_new(NULL, 0);

	(void)state;
	assert_non_null(s);
	assert_non_null(e);
	assert_true(alg_rep_snap_has(s, &v[0]));
	assert_true(alg_rep_snap_has(s, &v[1]));
	assert_true(alg_rep_snap_has(s, &v[2]));
	assert_false(alg_rep_snap_has(s, &(struct addr){ 0 }));
	assert_false(alg_rep_snap_has(s, &(struct addr){ .family = AF_INET }));
	assert_false(alg_rep_snap_has(e, &v[0]));
	assert_false(alg_rep_snap_has(NULL, &v[0]));
	assert_int_equal(alg_rep_snap_count(alg_rep_snap_ref(s)), 3);
	alg_rep_snap_unref(s);
	alg_rep_snap_unref(s);
	alg_rep_snap_unref(e);
}

/* ---- evidence from flows ---- */

struct low {
	int n;
	struct addr a;
};

static int
low_cb(void *arg, const struct addr *a, double v)
{
	struct low *l = arg;

	(void)v;
	l->n++;
	l->a = *a;
	return 0;
}

struct rep_find {
	enum pol_rep_kind kind;
	const char *key;
	double v;
};

static int
rep_find_cb(void *arg, const struct nat_rep_entry *e)
{
	struct rep_find *c = arg;

	if (e->kind == c->kind && strcmp(e->key, c->key) == 0)
		c->v = e->value;
	return 0;
}

/* The value of one entity, -1 when it does not exist. */
static double
rep_value(struct nat_rep *r, enum pol_rep_kind kind, const char *key)
{
	struct rep_find c = { kind, key, -1 };

	nat_rep_foreach(r, rep_find_cb, &c);
	return c.v;
}

static void
test_flow_evidence(void **state)
{
	struct nat_rep *r = nat_rep_new(64);
	struct pol_resolver_group g = { .id = 1, .name = "isp", .initial_reputation = 0.9 };
	struct pol_resolver_node node = { .group_id = 1 };
	struct pol_snap s;
	struct nat_rep_stats st;
	struct addr src = A("100.64.2.7"), res = A("100.64.0.1");
	struct prefix ecs;
	struct low l = { 0 };
	int i;

	(void)state;
	assert_non_null(r);
	memset(&s, 0, sizeof(s));
	assert_int_equal(prefix_parse("100.64.0.0/24", false, &node.prefix), 0);
	assert_int_equal(prefix_parse("203.0.113.0/24", false, &ecs), 0);
	s.resolver_groups = &g;
	s.n_resolver_groups = 1;
	s.resolver_nodes = &node;
	s.n_resolver_nodes = 1;
	assert_true(nat_rep_apply(r, &s) >= 0);
	nat_rep_flow_nok(r, NAT_REP_FLOW_IDS_ALERT, &src, &res, &ecs);
	assert_true(rep_value(r, POL_REP_REQUESTOR, "100.64.2.7/32") < POL_REP_NEUTRAL);
	assert_true(rep_value(r, POL_REP_REQUESTOR, "100.64.2.0/24") < POL_REP_NEUTRAL);
	assert_true(rep_value(r, POL_REP_REQUESTOR, "203.0.113.0/24") < POL_REP_NEUTRAL);
	assert_true(rep_value(r, POL_REP_RESOLVER_GROUP, "isp") < 0.9);
	/* the ALG's reasons: the source alone, below the threshold after a few */
	for (i = 0; i < 4; i++)
		nat_rep_flow_nok(r, NAT_REP_FLOW_ALG_SILENT, &src, NULL, NULL);
	nat_rep_low_sources(r, 0.30, low_cb, &l);
	assert_int_equal(l.n, 1); /* the /32 only: never the /24 its neighbours share */
	assert_true(addr_eq(&l.a, &src));
	nat_rep_get_stats(r, &st);
	assert_int_equal(st.flow_nok[NAT_REP_FLOW_IDS_ALERT], 1);
	assert_int_equal(st.flow_nok[NAT_REP_FLOW_ALG_SILENT], 4);
	assert_string_equal(nat_rep_flow_name(NAT_REP_FLOW_ALG_CAP), "alg_cap");
	assert_string_equal(nat_rep_flow_name(NAT_REP_FLOW_ALG_SLOW), "alg_slow");
	nat_rep_free(r);
}

/* ---- rules: the synproxy's chains and the block sets ---- */

static bool
has_rule(const struct nat_nft_batch *b, const uint8_t *bytes, size_t len, const char *chain_desc,
	 uint32_t *order)
{
	const struct nlmsghdr *nlh = (const void *)bytes;
	int rem = (int)len;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		const char *d = nat_nft_batch_describe(b, nlh->nlmsg_seq);

		if (d != NULL && strstr(d, chain_desc)) {
			*order = nlh->nlmsg_seq;
			return true;
		}
	}
	return false;
}

static void
test_rules_defence(void **state)
{
	struct pol_pool_addr pool = { .id = 1, .addr = A("100.64.1.131") };
	struct pol_service_addr sa = { .id = 1, .addr = A("100.64.1.130") };
	struct pol_host h = { .id = 1, .ipv4 = A("192.168.0.100") };
	struct nat_rules_cfg cfg;
	struct pol_snap s;
	struct nat_model *m;
	struct nat_nft_batch *b;
	struct nftnl_set *set;
	uint8_t *bytes;
	size_t len;
	uint32_t o1 = 0, o2 = 0, o3 = 0, o4 = 0;
	const struct nlmsghdr *nlh;
	int rem;
	bool block4 = false;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.table, "rgw");
	cfg.queue = 3;
	cfg.synproxy = true;
	cfg.block = true;
	cfg.helpers.n = 1;
	strcpy(cfg.helpers.v[0], "ftp");
	memset(&s, 0, sizeof(s));
	s.pool_addrs = &pool;
	s.n_pool_addrs = 1;
	s.service_addrs = &sa;
	s.n_service_addrs = 1;
	s.hosts = &h;
	s.n_hosts = 1;
	m = nat_rules_build(&cfg, &s, NULL);
	assert_non_null(m);
	/* base chains, plus pre_raw filter_in out_admit out_verdict nat_out out_fwd */
	assert_int_equal(nat_model_nchains(m), 11);
	b = nat_nft_batch_new(1);
	assert_int_equal(nat_model_diff(NULL, m, b), 0);
	bytes = nat_nft_batch_bytes(b, &len);
	/* The order the kernel gets them in each chain is the order that matters: blocks first,
	 * then the notrack; the refused SYN to port 0 before the DNAT to the host. */
	assert_true(
		has_rule(b, bytes, len, "pre_raw: sources blocked after an IDS alert (IPv4)", &o1));
	assert_true(has_rule(b, bytes, len, "pre_raw: synproxy: do not track the handshake (pool)",
			     &o2));
	assert_true(o1 < o2);
	assert_true(has_rule(b, bytes, len, "nat_out: refused after the synproxy", &o3));
	assert_true(
		has_rule(b, bytes, len, "nat_out: admitted flows to the host of the mark", &o4));
	assert_true(o3 < o4);
	assert_true(has_rule(b, bytes, len, "out_admit: SYNs replayed by the synproxy", &o1));
	assert_true(has_rule(b, bytes, len, "out_verdict: conntrack helper", &o1));
	assert_true(has_rule(b, bytes, len, "out_fwd: per-host ingress rules", &o1));
	assert_true(has_rule(b, bytes, len, "filter_in: synproxy for the pool addresses", &o1));
	/* block4: a set with timeouts and no elements from the model */
	nlh = (const void *)bytes;
	rem = (int)len;
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSET)
			continue;
		set = nftnl_set_alloc();
		assert_int_equal(nftnl_set_nlmsg_parse(nlh, set), 0);
		if (strcmp(nftnl_set_get_str(set, NFTNL_SET_NAME), "block4") == 0) {
			block4 = true;
			assert_true(nftnl_set_get_u32(set, NFTNL_SET_FLAGS) & NFT_SET_TIMEOUT);
		}
		nftnl_set_free(set);
	}
	assert_true(block4);
	assert_int_equal(nat_model_nelems(m, "block4"), 0);
	free(bytes);
	nat_nft_batch_free(b);
	nat_model_free(m);
}

static void
test_block_elem(void **state)
{
	struct nat_nft_batch *b = nat_nft_batch_new(1);
	struct nat_nft_elem e;
	struct addr a = A("198.51.100.9");
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *x;
	const struct nlmsghdr *nlh;
	uint8_t *bytes;
	size_t len;
	int rem;

	(void)state;
	nat_nft_elem_ipv4(&e, &a);
	e.timeout_ms = 600000;
	assert_int_equal(nat_nft_elems(b, false, NFPROTO_INET, "rgw", "block4", &e, 1), 0);
	bytes = nat_nft_batch_bytes(b, &len);
	nlh = (const void *)bytes;
	rem = (int)len;
	while (mnl_nlmsg_ok(nlh, rem) && (nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM)
		nlh = mnl_nlmsg_next(nlh, &rem);
	assert_true(mnl_nlmsg_ok(nlh, rem));
	assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
	it = nftnl_set_elems_iter_create(s);
	x = nftnl_set_elems_iter_next(it);
	assert_non_null(x);
	assert_true(nftnl_set_elem_get_u64(x, NFTNL_SET_ELEM_TIMEOUT) == 600000);
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	free(bytes);
	nat_nft_batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eve_alert),     cmocka_unit_test(test_eve_prefixes),
		cmocka_unit_test(test_eve_others),    cmocka_unit_test(test_eve_bounds),
		cmocka_unit_test(test_eve_time),      cmocka_unit_test(test_ct_build),
		cmocka_unit_test(test_ct_parse),      cmocka_unit_test(test_flowmem),
		cmocka_unit_test(test_blocks),	      cmocka_unit_test(test_rep_snap),
		cmocka_unit_test(test_flow_evidence), cmocka_unit_test(test_rules_defence),
		cmocka_unit_test(test_block_elem),
	};

	return cmocka_run_group_tests_name("defence", tests, NULL, NULL);
}
