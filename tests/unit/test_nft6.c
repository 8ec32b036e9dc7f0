/* SPDX-License-Identifier: MIT */
/* tests/unit/test_nft6.c -- the IPv6 part of the table (IPv6 pool, pinholes, ICMPv6), built as a
 * batch and parsed back with libnftnl */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nat/model.h"
#include "nat/nft_msg.h"
#include "nat/rules.h"

#define MAX_CMDS 512

static struct addr
ip(const char *s)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a.family, s, a.u.bytes), 1);
	return a;
}

/* A dual-stack policy: pools and service addresses in both families, a ULA host (1), a
 * global host (2) with an IPv6 ingress rule, an IPv4-only host (3). */
struct pol {
	struct pol_snap s;
	struct pol_pool_addr pool[4];
	struct pol_service_addr sa[2];
	struct pol_host hosts[3];
	struct pol_fw_rule rules[2];
	struct nat_rules_cfg cfg;
};

static void
pol_init(struct pol *p)
{
	memset(p, 0, sizeof(*p));
	p->pool[0] = (struct pol_pool_addr){ 1, ip("100.64.1.131") };
	p->pool[1] = (struct pol_pool_addr){ 2, ip("2001:db8:1::131") };
	p->pool[2] = (struct pol_pool_addr){ 3, ip("2001:db8:1::132") };
	p->sa[0].id = 1;
	p->sa[0].addr = ip("100.64.1.130");
	p->sa[1].id = 2;
	p->sa[1].addr = ip("2001:db8:1::130");
	p->hosts[0].id = 1;
	p->hosts[0].ipv4 = ip("192.168.0.100");
	p->hosts[0].ipv6 = ip("fd00::100");
	p->hosts[1].id = 2;
	p->hosts[1].ipv6 = ip("2001:db8:2::200");
	p->hosts[2].id = 3;
	p->hosts[2].ipv4 = ip("192.168.0.102");
	p->rules[0].id = 1;
	p->rules[0].host_id = 2;
	p->rules[0].direction = POL_DIR_INGRESS;
	p->rules[0].protocol = IPPROTO_ICMPV6;
	p->rules[0].src.addr = ip("2001:db8:aa::");
	p->rules[0].src.len = 48;
	p->rules[0].icmp_type = 128;
	p->rules[0].icmp_code = -1;
	p->rules[0].action = POL_ACT_ACCEPT;
	p->s.pool_addrs = p->pool;
	p->s.n_pool_addrs = 3;
	p->s.service_addrs = p->sa;
	p->s.n_service_addrs = 2;
	p->s.hosts = p->hosts;
	p->s.n_hosts = 3;
	p->s.fw_rules = p->rules;
	p->s.n_fw_rules = 1;
	strcpy(p->cfg.table, "rgw");
	p->cfg.queue = 3;
	p->cfg.wan.n = 1;
	strcpy(p->cfg.wan.v[0], "wan0");
	p->cfg.lan.n = 1;
	strcpy(p->cfg.lan.v[0], "lan0");
	p->cfg.alg = true;
	p->cfg.alg_ports.n = 1;
	p->cfg.alg_ports.v[0] = 443;
}

/* Every command of a batch, parsed back: its type, description and (rules) libnftnl's text. */
struct parsed {
	size_t n;
	uint16_t type[MAX_CMDS];
	char desc[MAX_CMDS][160];
	char text[MAX_CMDS][2048];
	const struct nlmsghdr *msg[MAX_CMDS];
	uint8_t *bytes;
};

static void
parse_batch(struct nat_nft_batch *b, struct parsed *out)
{
	const struct nlmsghdr *nlh;
	size_t len;
	int rem;

	memset(out, 0, sizeof(*out));
	assert_int_equal(nat_nft_batch_finish(b), 0);
	out->bytes = nat_nft_batch_bytes(b, &len);
	assert_non_null(out->bytes);
	nlh = (const struct nlmsghdr *)out->bytes;
	rem = (int)len;
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		size_t i = out->n;
		const char *d;

		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
		    nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		assert_true(i < MAX_CMDS);
		out->type[i] = nlh->nlmsg_type & 0xff;
		out->msg[i] = nlh;
		d = nat_nft_batch_describe(b, nlh->nlmsg_seq);
		snprintf(out->desc[i], sizeof(out->desc[i]), "%s", d ? d : "");
		if (out->type[i] == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();

			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			nftnl_rule_snprintf(out->text[i], sizeof(out->text[i]), r,
					    NFTNL_OUTPUT_DEFAULT, 0);
			nftnl_rule_free(r);
		}
		out->n++;
	}
	assert_int_equal(rem, 0);
}

/* The parsed rule whose description contains s (exactly one). */
static const char *
rule_text(const struct parsed *p, const char *s)
{
	const char *found = NULL;

	for (size_t i = 0; i < p->n; i++) {
		if (p->type[i] != NFT_MSG_NEWRULE || strstr(p->desc[i], s) == NULL)
			continue;
		if (found != NULL)
			fail_msg("two rules match \"%s\"", s);
		found = p->text[i];
	}
	if (found == NULL)
		fail_msg("no rule matches \"%s\"", s);
	return found;
}

static size_t
count(const struct parsed *p, uint16_t type, const char *s)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->type[i] == type && (s == NULL || strstr(p->desc[i], s)))
			n++;
	return n;
}

static void
has(const char *text, const char *frag)
{
	if (strstr(text, frag) == NULL)
		fail_msg("\"%s\" not in:\n%s", frag, text);
}

/* Nested attribute a's child of type t (NULL if absent). */
static const struct nlattr *
child(const struct nlattr *a, uint16_t t)
{
	const struct nlattr *c;

	mnl_attr_for_each_nested(c, a)
	{
		if (mnl_attr_get_type(c) == t)
			return c;
	}
	return NULL;
}

/*
 * The elements of the set messages for set, parsed back with libmnl (libnftnl 1.2.4 cannot
 * parse a message with several elements back): keys, data, verdict chains and interval ends
 * in out.
 */
static size_t
elems(const struct parsed *p, uint16_t type, const char *set, struct nat_nft_elem *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct nlattr *a, *list = NULL;
		const char *name = NULL;

		if (p->type[i] != type)
			continue;
		mnl_attr_for_each(a, p->msg[i], sizeof(struct nfgenmsg))
		{
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				list = a;
		}
		if (name == NULL || strcmp(name, set) != 0 || list == NULL)
			continue;
		mnl_attr_for_each_nested(a, list)
		{
			const struct nlattr *k = child(a, NFTA_SET_ELEM_KEY);
			const struct nlattr *d = child(a, NFTA_SET_ELEM_DATA);
			const struct nlattr *fl = child(a, NFTA_SET_ELEM_FLAGS);
			const struct nlattr *v;

			assert_true(n < max);
			memset(&out[n], 0, sizeof(out[n]));
			assert_non_null(k);
			v = child(k, NFTA_DATA_VALUE);
			assert_non_null(v);
			assert_true(mnl_attr_get_payload_len(v) <= 16);
			out[n].key_len = (uint8_t)mnl_attr_get_payload_len(v);
			memcpy(out[n].key, mnl_attr_get_payload(v), out[n].key_len);
			out[n].interval_end = fl != NULL && (ntohl(mnl_attr_get_u32(fl)) &
							     NFT_SET_ELEM_INTERVAL_END);
			if (d != NULL && (v = child(d, NFTA_DATA_VALUE)) != NULL) {
				out[n].data_len = (uint8_t)mnl_attr_get_payload_len(v);
				memcpy(out[n].data, mnl_attr_get_payload(v), out[n].data_len);
			}
			if (d != NULL && (v = child(d, NFTA_DATA_VERDICT)) != NULL &&
			    (v = child(v, NFTA_VERDICT_CHAIN)) != NULL)
				snprintf(out[n].jump, sizeof(out[n].jump), "%s",
					 mnl_attr_get_str(v));
			n++;
		}
	}
	return n;
}

/* From scratch: the IPv6 sets and elements, and every IPv6 rule as the kernel gets it. */
static void
test_v6_table(void **state)
{
	struct pol *p = calloc(1, sizeof(*p));
	struct parsed *b = calloc(1, sizeof(*b));
	struct nat_nft_batch *batch = nat_nft_batch_new(1);
	struct nat_nft_elem e[8];
	struct addr a;
	struct nat_model *m;
	const char *t;

	(void)state;
	pol_init(p);
	m = nat_rules_build(&p->cfg, &p->s, NULL);
	assert_non_null(m);
	assert_int_equal(nat_model_nelems(m, "pool6"), 2);
	assert_int_equal(nat_model_nelems(m, "pool4"), 1);
	assert_int_equal(nat_model_nelems(m, "service6"), 1);
	assert_int_equal(nat_model_nelems(m, "pinhole6"), 1);
	assert_int_equal(nat_model_nelems(m, "host_dnat6"), 1);
	assert_int_equal(nat_model_nelems(m, "host_dnat"), 2);
	assert_int_equal(nat_model_nelems(m, "fw_in6"), 1);
	assert_int_equal(nat_model_nelems(m, "fw_in"), 0);
	assert_int_equal(nat_model_diff(NULL, m, batch), 0);
	parse_batch(batch, b);

	/* pinhole6: the global host only; host_dnat6: mark of host 1 -> its ULA */
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "pinhole6", e, 8), 1);
	a = ip("2001:db8:2::200");
	assert_int_equal(e[0].key_len, 16);
	assert_memory_equal(e[0].key, a.u.bytes, 16);
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "host_dnat6", e, 8), 1);
	assert_int_equal(e[0].key_len, 4);
	assert_int_equal(*(const uint32_t *)e[0].key, 0x01000001u);
	a = ip("fd00::100");
	assert_int_equal(e[0].data_len, 16);
	assert_memory_equal(e[0].data, a.u.bytes, 16);
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "fw_in6", e, 8), 1);
	assert_string_equal(e[0].jump, "h2_in");
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "pool6", e, 8), 2);

	/* admission: new WAN flows to a pinhole or a pool6 address are queued */
	t = rule_text(b, "new flows to @pinhole6");
	has(t, "[ meta load nfproto => reg 1 ]");
	has(t, "[ cmp eq reg 1 0x0000000a ]");
	has(t, "[ payload load 16b @ network header + 24 => reg 1 ]");
	has(t, "[ lookup reg 1 set pinhole6 ]");
	has(t, "[ ct load state => reg 1 ]");
	has(t, "[ target name NFQUEUE rev 3 ]");
	t = rule_text(b, "new flows to @pool6");
	has(t, "[ lookup reg 1 set pool6 ]");
	t = rule_text(b, "new TCP to @pinhole6 that is not a SYN");
	has(t, "[ reject type 1 code 0 ]");
	/* NAT66: the IPv6 pool's flows DNAT through host_dnat6, web ports to the ALG */
	t = rule_text(b, "admitted IPv6 pool flows to the host of the mark");
	has(t, "[ lookup reg 1 set pool6 ]");
	has(t, "[ meta load mark => reg 1 ]");
	has(t, "[ lookup reg 1 set host_dnat6 dreg 1 ]");
	has(t, "[ nat dnat ip6 addr_min reg 1 addr_max reg 1 flags 0x1 ]");
	t = rule_text(b, "admitted IPv6 web flows to the ALG");
	has(t, "[ immediate reg 1 0xb80d0120 0x00000100 0x00000000 0x30010000 ]");
	has(t, "[ nat dnat ip6 addr_min reg 1 addr_max reg 1 flags 0x1 ]");
	t = rule_text(b, "ULA hosts to the WAN");
	has(t, "[ payload load 16b @ network header + 8 => reg 1 ]");
	has(t, "[ bitwise reg 1 = ( reg 1 & 0x000000fe 0x00000000 0x00000000 0x00000000 ) ^ "
	       "0x00000000 0x00000000 0x00000000 0x00000000 ]");
	has(t, "[ cmp eq reg 1 0x000000fc 0x00000000 0x00000000 0x00000000 ]");
	has(t, "[ nat snat ip6 addr_min reg 1 addr_max reg 1 flags 0x1 ]");
	/* forward: PMTU and ND never dropped; admitted pinhole first packets accepted */
	t = rule_text(b, "ICMPv6 type 2 ");
	has(t, "[ meta load l4proto => reg 1 ]");
	has(t, "[ cmp eq reg 1 0x0000003a ]");
	has(t, "[ payload load 1b @ transport header + 0 => reg 1 ]");
	has(t, "[ cmp eq reg 1 0x00000002 ]");
	has(t, "[ immediate reg 0 accept ]");
	assert_int_equal(count(b, NFT_MSG_NEWRULE, "(PMTU, ND): accept"), 6);
	t = rule_text(b, "pinhole flows admitted by rgwd");
	has(t, "[ meta load mark => reg 1 ]");
	has(t, "[ bitwise reg 1 = ( reg 1 & 0xff000000 ) ^ 0x00000000 ]");
	has(t, "[ cmp eq reg 1 0x01000000 ]");
	has(t, "[ lookup reg 1 set pinhole6 ]");
	t = rule_text(b, "per-host ingress rules (IPv6)");
	has(t, "[ lookup reg 1 set fw_in6 dreg 0 ]");
	/* the host's IPv6 firewall rule: ICMPv6 echo request from 2001:db8:aa::/48 */
	t = rule_text(b, "h2_in: firewall rule 1");
	has(t, "[ cmp eq reg 1 0x0000003a ]");
	has(t, "[ payload load 16b @ network header + 8 => reg 1 ]");
	has(t, "[ cmp eq reg 1 0xb80d0120 0x0000aa00 0x00000000 0x00000000 ]");
	has(t, "[ cmp eq reg 1 0x00000080 ]");

	free(b->bytes);
	nat_nft_batch_free(batch);
	nat_model_free(m);
	free(b);
	free(p);
}

/* The order in filter_fwd: ICMPv6 before the anti-spoofing drops; the pinhole accept before
 * the final WAN drop. In pre_admit the IPv6 rules come after the IPv4 ones. */
static void
test_v6_rule_order(void **state)
{
	struct pol *p = calloc(1, sizeof(*p));
	struct parsed *b = calloc(1, sizeof(*b));
	struct nat_nft_batch *batch = nat_nft_batch_new(1);
	struct nat_model *m;
	size_t icmp = 0, spoof = 0, pin = 0, wandrop = 0;

	(void)state;
	pol_init(p);
	m = nat_rules_build(&p->cfg, &p->s, NULL);
	assert_int_equal(nat_model_diff(NULL, m, batch), 0);
	parse_batch(batch, b);
	for (size_t i = 0; i < b->n; i++) {
		if (strstr(b->desc[i], "ICMPv6 type 2 ") && icmp == 0)
			icmp = i;
		if (strstr(b->desc[i], "spoofed WAN source"))
			spoof = i;
		if (strstr(b->desc[i], "pinhole flows admitted"))
			pin = i;
		if (strstr(b->desc[i], "other new flows from the WAN: drop"))
			wandrop = i;
	}
	assert_true(icmp > 0 && spoof > icmp);
	assert_true(pin > spoof && wandrop > pin);
	free(b->bytes);
	nat_nft_batch_free(batch);
	nat_model_free(m);
	free(b);
	free(p);
}

/* A policy change: a global host renumbered, a ULA host gone. The batch touches only the
 * elements; no rule changes. Without an IPv4 service address the LAN's masquerade stays
 * IPv4 only (global IPv6 hosts keep their address). */
static void
test_v6_diff_and_masquerade(void **state)
{
	struct pol *p = calloc(1, sizeof(*p));
	struct parsed *b = calloc(1, sizeof(*b));
	struct nat_nft_batch *batch = nat_nft_batch_new(1);
	struct nat_nft_elem e[8];
	struct nat_model *m, *m2, *m3;
	struct addr a;
	const char *t;

	(void)state;
	pol_init(p);
	m = nat_rules_build(&p->cfg, &p->s, NULL);
	p->hosts[1].ipv6 = ip("2001:db8:2::201");
	p->hosts[0].ipv6.family = 0;
	m2 = nat_rules_build(&p->cfg, &p->s, NULL);
	assert_int_equal(nat_model_diff(m, m2, batch), 0);
	parse_batch(batch, b);
	assert_int_equal(count(b, NFT_MSG_NEWRULE, NULL), 0);
	assert_int_equal(elems(b, NFT_MSG_DELSETELEM, "pinhole6", e, 8), 1);
	a = ip("2001:db8:2::200");
	assert_memory_equal(e[0].key, a.u.bytes, 16);
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "pinhole6", e, 8), 1);
	a = ip("2001:db8:2::201");
	assert_memory_equal(e[0].key, a.u.bytes, 16);
	assert_int_equal(elems(b, NFT_MSG_DELSETELEM, "host_dnat6", e, 8), 1);
	free(b->bytes);
	nat_nft_batch_free(batch);

	/* no service addresses: masquerade, IPv4 only, and the ULA SNAT masquerades too */
	p->s.n_service_addrs = 0;
	m3 = nat_rules_build(&p->cfg, &p->s, NULL);
	batch = nat_nft_batch_new(1);
	assert_int_equal(nat_model_diff(NULL, m3, batch), 0);
	parse_batch(batch, b);
	t = rule_text(b, "nat_post: LAN to WAN: source NAT");
	has(t, "[ meta load nfproto => reg 1 ]");
	has(t, "[ cmp eq reg 1 0x00000002 ]");
	has(t, "[ masq ]");
	t = rule_text(b, "ULA hosts to the WAN");
	has(t, "[ masq ]");
	free(b->bytes);
	nat_nft_batch_free(batch);
	nat_model_free(m);
	nat_model_free(m2);
	nat_model_free(m3);
	free(b);
	free(p);
}

/* The table for p as one batch from scratch, parsed back into b (the batch in *batch). */
static struct nat_model *
build_parsed(struct pol *p, struct parsed *b, struct nat_nft_batch **batch)
{
	struct nat_model *m = nat_rules_build(&p->cfg, &p->s, NULL);

	assert_non_null(m);
	*batch = nat_nft_batch_new(1);
	assert_non_null(*batch);
	assert_int_equal(nat_model_diff(NULL, m, *batch), 0);
	parse_batch(*batch, b);
	return m;
}

static void
release(struct parsed *b, struct nat_nft_batch *batch, struct nat_model *m)
{
	free(b->bytes);
	nat_nft_batch_free(batch);
	nat_model_free(m);
}

/* The element's key is addr, an interval start (end false) or end. */
static void
elem_is(const struct nat_nft_elem *e, const char *addr, bool end)
{
	struct addr a = ip(addr);

	assert_int_equal(e->key_len, 16);
	if (memcmp(e->key, a.u.bytes, 16) != 0)
		fail_msg("element is not %s", addr);
	assert_int_equal(e->interval_end, end);
}

/* IPv6 intervals: overlapping and adjacent prefixes merged, no end element at the top, a
 * leading end element at :: when nothing starts there. */
static void
test_v6_intervals(void **state)
{
	struct prefix p[4];
	struct nat_nft_elem e[9];

	(void)state;
	memset(p, 0, sizeof(p));
	p[0] = (struct prefix){ ip("ff00::"), 8 };
	p[1] = (struct prefix){ ip("2001:db8::ffff"), 128 };
	p[2] = (struct prefix){ ip("2001:db8::1:0"), 112 }; /* adjacent to ::ffff */
	p[3] = (struct prefix){ ip("100.64.0.0"), 10 };	    /* other family: skipped */
	assert_int_equal(nat_nft_elems_intervals(AF_INET6, p, 4, e), 4);
	elem_is(&e[0], "::", true);
	elem_is(&e[1], "2001:db8::ffff", false);
	elem_is(&e[2], "2001:db8::2:0", true);
	elem_is(&e[3], "ff00::", false);
}

/* Anti-spoofing sets and rules: from the WAN no bogon, link-local, ULA, private host or
 * address of ours; from the LAN no bogon or public address of ours, nothing outside
 * lan_prefixes6; neighbour discovery and PMTU accepted before any of them. */
static void
test_v6_spoof(void **state)
{
	struct pol *p = calloc(1, sizeof(*p));
	struct parsed *b = calloc(1, sizeof(*b));
	struct nat_nft_batch *batch;
	struct nat_nft_elem e[16];
	struct nat_model *m;
	const char *t;
	size_t i, icmp = 0, spoof = 0;

	(void)state;
	pol_init(p);
	p->cfg.lan_prefixes6.n = 2;
	strcpy(p->cfg.lan_prefixes6.v[0], "2001:db8:2::/64");
	strcpy(p->cfg.lan_prefixes6.v[1], "fd00::/64");
	m = build_parsed(p, b, &batch);
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "spoof_wan6", e, 16), 13);
	elem_is(&e[0], "::", false); /* :: and ::1 merged */
	elem_is(&e[1], "::2", true);
	elem_is(&e[2], "::ffff:0:0", false);
	elem_is(&e[3], "::1:0:0:0", true);
	elem_is(&e[4], "2001:db8:1::130", false); /* service and pool, adjacent */
	elem_is(&e[5], "2001:db8:1::133", true);
	elem_is(&e[6], "2001:db8:2::", false); /* a LAN prefix (the global host in it) */
	elem_is(&e[7], "2001:db8:2:1::", true);
	elem_is(&e[8], "fc00::", false); /* ULA (the ULA host inside it) */
	elem_is(&e[9], "fe00::", true);
	elem_is(&e[10], "fe80::", false);
	elem_is(&e[11], "fec0::", true);
	elem_is(&e[12], "ff00::", false);
	/* from the LAN: no private host, no ULA */
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "spoof_lan6", e, 16), 9);
	elem_is(&e[4], "2001:db8:1::130", false);
	elem_is(&e[6], "fe80::", false);
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "lan_src6", e, 16), 5);
	elem_is(&e[0], "::", true);
	elem_is(&e[1], "2001:db8:2::", false);
	elem_is(&e[2], "2001:db8:2:1::", true);
	elem_is(&e[3], "fd00::", false);
	elem_is(&e[4], "fd00:0:0:1::", true);

	t = rule_text(b, "spoofed WAN source (IPv6)");
	has(t, "[ meta load iifname => reg 1 ]");
	has(t, "[ lookup reg 1 set wan_ifs ]");
	has(t, "[ cmp eq reg 1 0x0000000a ]");
	has(t, "[ payload load 16b @ network header + 8 => reg 1 ]");
	has(t, "[ lookup reg 1 set spoof_wan6 ]");
	has(t, "[ immediate reg 0 drop ]");
	t = rule_text(b, "spoofed LAN source (IPv6)");
	has(t, "[ lookup reg 1 set lan_ifs ]");
	has(t, "[ lookup reg 1 set spoof_lan6 ]");
	t = rule_text(b, "LAN source outside lan_prefixes6");
	has(t, "[ lookup reg 1 set lan_ifs ]");
	has(t, "[ lookup reg 1 set lan_src6 0x1 ]");
	has(t, "[ immediate reg 0 drop ]");
	for (i = 0; i < b->n; i++) {
		if (strstr(b->desc[i], "ICMPv6 type 135 "))
			icmp = i;
		if (strstr(b->desc[i], "(IPv6): drop") && spoof == 0)
			spoof = i;
	}
	assert_true(icmp > 0 && spoof > icmp);
	release(b, batch, m);

	/* without lan_prefixes6 no lan_src6; without WAN interfaces no WAN anti-spoofing */
	p->cfg.lan_prefixes6.n = 0;
	p->cfg.wan.n = 0;
	m = build_parsed(p, b, &batch);
	assert_int_equal(count(b, NFT_MSG_NEWRULE, "outside lan_prefixes6"), 0);
	assert_int_equal(count(b, NFT_MSG_NEWRULE, "spoofed WAN source (IPv6)"), 0);
	assert_int_equal(count(b, NFT_MSG_NEWSET, "lan_src6"), 0);
	/* ... and from the WAN the global host itself */
	assert_int_equal(nat_model_nelems(m, "spoof_wan6"), 13);
	assert_int_equal(count(b, NFT_MSG_NEWRULE, "spoofed LAN source (IPv6)"), 1);
	release(b, batch, m);
	free(b);
	free(p);
}

/* A group with a dual-stack ULA host and a global IPv6-only host: g1 holds the IPv4 member,
 * g1_6 both IPv6 ones, and the group's chains are reached from either family. */
static void
test_v6_groups(void **state)
{
	struct pol *p = calloc(1, sizeof(*p));
	struct parsed *b = calloc(1, sizeof(*b));
	struct nat_nft_batch *batch;
	struct pol_group g = { .id = 1 };
	struct pol_host_group hg[2] = { { 1, 1 }, { 2, 1 } };
	struct nat_nft_elem e[8];
	struct nat_model *m;
	struct addr a;
	const char *t;
	size_t i, n6 = 0;

	(void)state;
	pol_init(p);
	p->s.groups = &g;
	p->s.n_groups = 1;
	p->s.host_groups = hg;
	p->s.n_host_groups = 2;
	p->rules[1].id = 2;
	p->rules[1].group_id = 1;
	p->rules[1].direction = POL_DIR_ANY;
	p->rules[1].protocol = IPPROTO_TCP;
	p->rules[1].dport.lo = 22;
	p->rules[1].icmp_type = p->rules[1].icmp_code = -1;
	p->rules[1].action = POL_ACT_DROP;
	p->s.n_fw_rules = 2;
	m = build_parsed(p, b, &batch);
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "g1", e, 8), 1);
	assert_int_equal(e[0].key_len, 4);
	assert_int_equal(elems(b, NFT_MSG_NEWSETELEM, "g1_6", e, 8), 2);
	a = ip("fd00::100");
	assert_int_equal(e[0].key_len, 16);
	assert_true(memcmp(e[0].key, a.u.bytes, 16) == 0 || memcmp(e[1].key, a.u.bytes, 16) == 0);
	a = ip("2001:db8:2::200");
	assert_true(memcmp(e[0].key, a.u.bytes, 16) == 0 || memcmp(e[1].key, a.u.bytes, 16) == 0);
	/* both directions, both families */
	assert_int_equal(count(b, NFT_MSG_NEWRULE, "filter_fwd: group rules"), 4);
	assert_int_equal(count(b, NFT_MSG_NEWRULE, "filter_fwd: group rules (IPv6)"), 2);
	for (i = 0; i < b->n; i++) {
		if (b->type[i] != NFT_MSG_NEWRULE || !strstr(b->desc[i], "group rules (IPv6)"))
			continue;
		t = b->text[i];
		has(t, "[ cmp eq reg 1 0x0000000a ]");
		has(t, n6 == 0 ? "[ payload load 16b @ network header + 24 => reg 1 ]"
			       : "[ payload load 16b @ network header + 8 => reg 1 ]");
		has(t, "[ lookup reg 1 set g1_6 ]");
		has(t, n6 == 0 ? "[ immediate reg 0 jump -> g1_in ]"
			       : "[ immediate reg 0 jump -> g1_out ]");
		n6++;
	}
	assert_int_equal(n6, 2);
	t = rule_text(b, "g1_in: firewall rule 2");
	has(t, "[ immediate reg 0 drop ]");
	release(b, batch, m);
	free(b);
	free(p);
}

/* With the synproxy: the IPv6 pool and service addresses are answered by it like the IPv4
 * ones, the replayed IPv6 SYN is queued and DNATed (NAT66, ALG) on the output hook, and the
 * IPv6 refused / DNAT rules come before the IPv4 ones in nat_out. */
static void
test_v6_synproxy(void **state)
{
	struct pol *p = calloc(1, sizeof(*p));
	struct parsed *b = calloc(1, sizeof(*b));
	struct nat_nft_batch *batch;
	struct nat_model *m;
	size_t i, ref6 = 0, ref4 = 0;
	const char *t;

	(void)state;
	pol_init(p);
	p->cfg.synproxy = true;
	m = build_parsed(p, b, &batch);
	t = rule_text(b, "pre_raw: synproxy: do not track the handshake (IPv6 pool)");
	has(t, "[ lookup reg 1 set pool6 ]");
	has(t, "[ notrack ]");
	rule_text(b, "pre_raw: synproxy: do not track the handshake (IPv6 service)");
	t = rule_text(b, "synproxy for the IPv6 service addresses");
	has(t, "[ lookup reg 1 set service6 ]");
	has(t, "[ synproxy mss 1440 wscale 7 ]");
	t = rule_text(b, "synproxy for the pool addresses");
	has(t, "[ synproxy mss 1460 wscale 7 ]");
	t = rule_text(b, "IPv6 SYNs replayed by the synproxy");
	has(t, "[ fib saddr type => reg 1 ]");
	has(t, "[ lookup reg 1 set pool6 ]");
	has(t, "[ target name NFQUEUE rev 3 ]");
	t = rule_text(b, "admitted IPv6 flows to the host of the mark (synproxy)");
	has(t, "[ lookup reg 1 set host_dnat6 dreg 1 ]");
	has(t, "[ nat dnat ip6 addr_min reg 1 addr_max reg 1 flags 0x1 ]");
	t = rule_text(b, "admitted IPv6 web flows to the ALG (synproxy)");
	has(t, "[ immediate reg 1 0xb80d0120 0x00000100 0x00000000 0x30010000 ]");
	t = rule_text(b, "refused IPv6 after the synproxy");
	has(t, "[ lookup reg 1 set pool6 ]");
	has(t, "[ nat dnat ip6 proto_min reg 1 proto_max reg 1 flags 0x2 ]");
	t = rule_text(b, "per-host ingress rules (IPv6, synproxy)");
	has(t, "[ payload load 16b @ network header + 24 => reg 1 ]");
	has(t, "[ lookup reg 1 set fw_in6 dreg 0 ]");
	for (i = 0; i < b->n; i++) {
		if (strstr(b->desc[i], "refused IPv6 after the synproxy"))
			ref6 = i;
		if (strstr(b->desc[i], "nat_out: refused after the synproxy"))
			ref4 = i;
	}
	assert_true(ref6 > 0 && ref4 > ref6);
	release(b, batch, m);
	free(b);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v6_table),
		cmocka_unit_test(test_v6_rule_order),
		cmocka_unit_test(test_v6_diff_and_masquerade),
		cmocka_unit_test(test_v6_intervals),
		cmocka_unit_test(test_v6_spoof),
		cmocka_unit_test(test_v6_groups),
		cmocka_unit_test(test_v6_synproxy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
