/* SPDX-License-Identifier: MIT */
/* nat/rules6.c -- the IPv6 part of the table: IPv6 pool (NAT66), pinholes, ICMPv6 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "../common/log.h"
#include "rules_int.h"

/*
 * IPv6 behind the gateway comes in two kinds (docs/nat.md, "IPv6"):
 * - a host with a unique local address (fc00::/7) is reached through the IPv6 pool exactly
 *   as an IPv4 host through the IPv4 pool: the first packet to a pool6 address is queued,
 *   admitted with the host's mark, and DNATed through host_dnat6 (mark -> ULA); its own
 *   traffic to the WAN is SNATed to the first IPv6 service address;
 * - a host with any other (global) address keeps it: the DNS answers it, and a first packet
 *   to it (set pinhole6) is queued and admitted exactly like a pool flow, with no translation;
 *   filter_fwd accepts the admitted first packet by its mark, conntrack the rest of the flow.
 * ICMPv6 packet-too-big and neighbour discovery are accepted in filter_fwd before any drop
 * (conntrack does not track ND; a PTB of a running flow is "related" anyway).
 */

static bool is_ula(const struct addr *a);
static void admit_rules(struct nat_rules_ctx *x, const char *set);
static void spoof_sets(struct nat_rules_ctx *x);

/* ICMPv6 types never dropped by a default (RFC 4890 4.3.1: must not be dropped). */
static const uint8_t icmp6_pass[] = {
	2,   /* packet too big */
	133, /* router solicitation */
	134, /* router advertisement */
	135, /* neighbour solicitation */
	136, /* neighbour advertisement */
	137, /* redirect */
};

static bool
is_ula(const struct addr *a)
{
	return a->family == AF_INET6 && (a->u.bytes[0] & 0xfe) == 0xfc;
}

/*
 * Anti-spoofing (docs/nat.md, "IPv6"): from the WAN no bogon, link-local, unique local
 * (fc00::/7: RFC 4193 keeps it inside the site), LAN prefix, private host or address of ours;
 * from the LAN no bogon or public address of ours, and with lan_prefixes6 nothing outside them.
 */
static void
spoof_sets(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	struct prefix *lan = calloc(c->lan_prefixes6.n + 1, sizeof(*lan));
	struct nat_nft_elem *e = calloc(2 * c->lan_prefixes6.n + 1, sizeof(*e));
	size_t i, n = 0, k;

	if (lan == NULL || e == NULL) {
		x->err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->lan_prefixes6.n; i++)
		if (prefix_parse(c->lan_prefixes6.v[i], true, &lan[n]) == 0 &&
		    lan[n].addr.family == AF_INET6)
			n++;
	if (c->lan_prefixes6.n) {
		nat_rules_set(x, "lan_src6", NAT_NFT_TYPE_IP6ADDR, 16, 0, 0, true);
		k = nat_nft_elems_intervals(AF_INET6, lan, n, e);
		for (i = 0; i < k; i++)
			nat_rules_elem(x, "lan_src6", &e[i]);
	}
	lan[n].addr.family = AF_INET6;
	lan[n].addr.u.bytes[0] = 0xfc;
	lan[n].len = 7;
	nat_rules_set(x, "spoof_wan6", NAT_NFT_TYPE_IP6ADDR, 16, 0, 0, true);
	nat_rules_spoof_set(x, "spoof_wan6", AF_INET6, true, lan, n + 1);
	nat_rules_set(x, "spoof_lan6", NAT_NFT_TYPE_IP6ADDR, 16, 0, 0, true);
	nat_rules_spoof_set(x, "spoof_lan6", AF_INET6, false, NULL, 0);
out:
	free(e);
	free(lan);
}

void
nat_rules6_sets(struct nat_rules_ctx *x)
{
	const struct pol_snap *s = x->snap;
	struct nat_nft_elem e;
	size_t i;

	nat_rules_set(x, "pool6", NAT_NFT_TYPE_IP6ADDR, 16, 0, 0, false);
	for (i = 0; i < s->n_pool_addrs; i++)
		if (s->pool_addrs[i].addr.family == AF_INET6) {
			nat_nft_elem_ipv6(&e, &s->pool_addrs[i].addr);
			nat_rules_elem(x, "pool6", &e);
		}
	nat_rules_set(x, "service6", NAT_NFT_TYPE_IP6ADDR, 16, 0, 0, false);
	for (i = 0; i < s->n_service_addrs; i++)
		if (s->service_addrs[i].addr.family == AF_INET6) {
			nat_nft_elem_ipv6(&e, &s->service_addrs[i].addr);
			nat_rules_elem(x, "service6", &e);
		}
	nat_rules_set(x, "pinhole6", NAT_NFT_TYPE_IP6ADDR, 16, 0, 0, false);
	spoof_sets(x);
	nat_rules_set(x, "host_dnat6", NAT_NFT_TYPE_MARK, 4, NAT_NFT_TYPE_IP6ADDR, 16, false);
	nat_rules_set(x, "fw_in6", NAT_NFT_TYPE_IP6ADDR, 16, NAT_NFT_TYPE_VERDICT, 0, false);
	nat_rules_set(x, "fw_out6", NAT_NFT_TYPE_IP6ADDR, 16, NAT_NFT_TYPE_VERDICT, 0, false);
	for (i = 0; i < s->n_hosts; i++) {
		const struct pol_host *h = &s->hosts[i];
		uint32_t mark = nat_rules_host_mark(h->id);

		if (h->ipv6.family != AF_INET6)
			continue;
		if (is_ula(&h->ipv6) && mark != 0) {
			nat_nft_elem_mark(&e, mark);
			memcpy(e.data, &h->ipv6.u.v6, 16);
			e.data_len = 16;
			nat_rules_elem(x, "host_dnat6", &e);
		} else if (!is_ula(&h->ipv6)) {
			nat_nft_elem_ipv6(&e, &h->ipv6);
			nat_rules_elem(x, "pinhole6", &e);
		}
		if (nat_rules_has_rules(x, 'h', h->id, true)) {
			nat_nft_elem_ipv6(&e, &h->ipv6);
			snprintf(e.jump, sizeof(e.jump), "h%lld_in", (long long)h->id);
			nat_rules_elem(x, "fw_in6", &e);
		}
		if (nat_rules_has_rules(x, 'h', h->id, false)) {
			nat_nft_elem_ipv6(&e, &h->ipv6);
			snprintf(e.jump, sizeof(e.jump), "h%lld_out", (long long)h->id);
			nat_rules_elem(x, "fw_out6", &e);
		}
	}
}

/* New WAN flows to the addresses of set: non-SYN TCP reset, the rest queued. */
static void
admit_rules(struct nat_rules_ctx *x, const char *set)
{
	const struct nat_rules_cfg *c = x->cfg;
	bool wan_any = c->wan.n == 0;
	struct nftnl_rule *r;
	char desc[64];
	int rc;

	if ((r = nat_rules_rule(x, "pre_admit"))) {
		rc = wan_any ? 0 : nat_nft_m_iifset(r, "wan_ifs", false);
		rc = rc ? rc : nat_nft_m_ip6_set(r, true, set, false);
		rc = rc ? rc : nat_nft_m_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
		rc = rc ? rc : nat_nft_m_tcpflags(r, 0x17, 0x02, false);
		rc = rc ? rc : nat_nft_x_reject(r, NFT_REJECT_TCP_RST, 0);
		snprintf(desc, sizeof(desc), "new TCP to @%s that is not a SYN: reset", set);
		nat_rules_emit(x, "pre_admit", r, rc, desc);
	}
	if ((r = nat_rules_rule(x, "pre_admit"))) {
		/* With the synproxy, a refused SYN comes back through lo (nat_out): not again. */
		rc = !wan_any	   ? nat_nft_m_iifset(r, "wan_ifs", false)
		     : c->synproxy ? nat_nft_m_not_loopback(r)
				   : 0;
		rc = rc ? rc : nat_nft_m_ip6_set(r, true, set, false);
		rc = rc ? rc : nat_nft_m_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		rc = rc ? rc : nat_rules_x_queue(x, r);
		snprintf(desc, sizeof(desc), "new flows to @%s: NFQUEUE (fail-closed)", set);
		nat_rules_emit(x, "pre_admit", r, rc, desc);
	}
}

void
nat_rules6_admit(struct nat_rules_ctx *x)
{
	admit_rules(x, "pool6");
	admit_rules(x, "pinhole6");
}

void
nat_rules6_dnat(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	const struct addr *svc = nat_rules_first_svc(x->snap, AF_INET6);
	struct nftnl_rule *r;
	int rc;

	/* web ports of admitted IPv6 pool flows to the ALG; a pinhole flow goes to its host */
	if (c->alg && svc != NULL && c->alg_ports.n && (r = nat_rules_rule(x, "nat_pre"))) {
		rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
		rc = rc ? rc : nat_nft_m_ip6_set(r, true, "pool6", false);
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
		rc = rc ? rc : nat_nft_m_port_set(r, true, "web_ports");
		rc = rc ? rc : nat_nft_x_imm_data(r, NFT_REG_1, &svc->u.v6, 16);
		rc = rc ? rc : nat_nft_x_nat(r, NFT_NAT_DNAT, NFPROTO_IPV6, NFT_REG_1);
		nat_rules_emit(x, "nat_pre", r, rc, "admitted IPv6 web flows to the ALG");
	}
	if ((r = nat_rules_rule(x, "nat_pre"))) {
		rc = nat_nft_m_ip6_set(r, true, "pool6", false);
		rc = rc ? rc : nat_nft_x_meta(r, NFT_META_MARK, NFT_REG_1);
		rc = rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, "host_dnat6", NFT_REG_1, false);
		rc = rc ? rc : nat_nft_x_nat(r, NFT_NAT_DNAT, NFPROTO_IPV6, NFT_REG_1);
		nat_rules_emit(x, "nat_pre", r, rc,
			       "admitted IPv6 pool flows to the host of the mark");
	}
}

void
nat_rules6_snat(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	const struct addr *svc = nat_rules_first_svc(x->snap, AF_INET6);
	struct prefix ula = { .len = 7 };
	struct nftnl_rule *r;
	int rc;

	if (c->lan.n == 0 || (r = nat_rules_rule(x, "nat_post")) == NULL)
		return;
	ula.addr.family = AF_INET6;
	ula.addr.u.bytes[0] = 0xfc;
	rc = nat_nft_m_iifset(r, "lan_ifs", false);
	rc = rc ? rc : (c->wan.n == 0 ? 0 : nat_nft_m_oifset(r, "wan_ifs", false));
	rc = rc ? rc : nat_nft_m_ip_prefix(r, false, &ula);
	if (svc != NULL) {
		rc = rc ? rc : nat_nft_x_imm_data(r, NFT_REG_1, &svc->u.v6, 16);
		rc = rc ? rc : nat_nft_x_nat(r, NFT_NAT_SNAT, NFPROTO_IPV6, NFT_REG_1);
	} else {
		rc = rc ? rc : nat_nft_x_masq(r);
	}
	nat_rules_emit(x, "nat_post", r, rc, "ULA hosts to the WAN: source NAT (NAT66)");
}

void
nat_rules6_fwd_early(struct nat_rules_ctx *x)
{
	struct nftnl_rule *r;
	char desc[64];
	int rc;

	for (size_t i = 0; i < sizeof(icmp6_pass); i++) {
		if ((r = nat_rules_rule(x, "filter_fwd")) == NULL)
			return;
		rc = nat_nft_m_l4proto(r, IPPROTO_ICMPV6);
		rc = rc ? rc : nat_nft_m_th_byte(r, 0, icmp6_pass[i]);
		rc = rc ? rc : nat_nft_x_verdict(r, NF_ACCEPT, NULL);
		snprintf(desc, sizeof(desc), "ICMPv6 type %u (PMTU, ND): accept", icmp6_pass[i]);
		nat_rules_emit(x, "filter_fwd", r, rc, desc);
	}
}

void
nat_rules6_fwd_spoof(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;

	if (c->wan.n)
		nat_rules_spoof_drop(x, "wan_ifs", true, "spoof_wan6", false,
				     "spoofed WAN source (IPv6): drop");
	if (c->lan.n)
		nat_rules_spoof_drop(x, "lan_ifs", true, "spoof_lan6", false,
				     "spoofed LAN source (IPv6): drop");
	if (c->lan.n && c->lan_prefixes6.n)
		nat_rules_spoof_drop(x, "lan_ifs", true, "lan_src6", true,
				     "LAN source outside lan_prefixes6: drop");
}

void
nat_rules6_fwd_hosts(struct nat_rules_ctx *x)
{
	struct nftnl_rule *r;
	int rc;

	if ((r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_nfproto(r, NFPROTO_IPV6);
		rc = rc ? rc : nat_nft_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG_1);
		rc = rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, "fw_in6", NFT_REG_VERDICT, false);
		nat_rules_emit(x, "filter_fwd", r, rc, "per-host ingress rules (IPv6)");
	}
	if ((r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_nfproto(r, NFPROTO_IPV6);
		rc = rc ? rc : nat_nft_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, NFT_REG_1);
		rc = rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, "fw_out6", NFT_REG_VERDICT, false);
		nat_rules_emit(x, "filter_fwd", r, rc, "per-host egress rules (IPv6)");
	}
}

void
nat_rules6_fwd_admitted(struct nat_rules_ctx *x)
{
	struct nftnl_rule *r;
	int rc;

	/* a pinhole's first packet carries the host mark the queue verdict gave it; the rest
	 * of its flow is established */
	if ((r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
		rc = rc ? rc : nat_nft_m_ip6_set(r, true, "pinhole6", false);
		rc = rc ? rc : nat_nft_x_verdict(r, NF_ACCEPT, NULL);
		nat_rules_emit(x, "filter_fwd", r, rc, "pinhole flows admitted by rgwd: accept");
	}
}
