/* SPDX-License-Identifier: MIT */
/* nat/rules_syn.c -- the synproxy in front of the pool and service addresses, both families */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "rules_int.h"

/*
 * The synproxy in front of the pool and service addresses (docs/nat.md, "SYN proxy"). Measured
 * on Linux 6.x: the client's SYN is left untracked (pre_raw) and answered with a SYN cookie
 * by the synproxy statement in filter_in (the addresses are the gateway's own, so the
 * handshake is local input); the client's ACK is conntrack-invalid, the synproxy checks its
 * cookie and sends a new SYN with the client's addresses through the local output path, with
 * a conntrack template: that SYN is the first tracked packet of the flow and the first one
 * rgwd sees. So admission (queue), conntrack helpers, the DNAT and the hosts' ingress rules
 * are repeated on the output hook for SYNs whose source is not a local address. A refused
 * SYN is sent to port 0 of its own address, where the local stack answers with a reset that
 * the synproxy puts in the client's sequence space (a reset built by nft would carry the
 * replayed SYN's numbers, which the client drops).
 * The same rules stand for IPv6 with pool6 / service6, host_dnat6 and fw_in6 (IPv6 pinholes
 * are forwarded to the host's own address, never local input: not synproxied).
 */

/* The sets of addresses the synproxy answers for, per family. */
static const struct {
	const char *set, *desc;
	bool v6;
} syn_sets[] = {
	{ "pool4", "pool", false },
	{ "service4", "service", false },
	{ "pool6", "IPv6 pool", true },
	{ "service6", "IPv6 service", true },

};

#define N_SYN_SETS (sizeof(syn_sets) / sizeof(syn_sets[0]))

/* ip (v6 false) or ip6 saddr/daddr @set */
static int
m_set(struct nftnl_rule *r, bool v6, bool dst, const char *set)
{
	return v6 ? nat_nft_m_ip6_set(r, dst, set, false) : nat_nft_m_ip_set(r, dst, set, false);
}

/* pre_raw notrack and filter_in synproxy for each set; then filter_in's invalid drop. */
static void
syn_handshake(struct nat_rules_ctx *x)
{
	bool wan_any = x->cfg->wan.n == 0;
	struct nftnl_rule *r;
	char desc[80];
	size_t k;
	int rc;

	for (k = 0; k < N_SYN_SETS; k++) {
		if ((r = nat_rules_rule(x, "pre_raw")) == NULL)
			return;
		rc = wan_any ? nat_nft_m_not_loopback(r) : nat_nft_m_iifset(r, "wan_ifs", false);
		rc = rc ? rc : m_set(r, syn_sets[k].v6, true, syn_sets[k].set);
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
		rc = rc ? rc : nat_nft_m_tcpflags(r, 0x12, 0x02, true);
		rc = rc ? rc : nat_nft_x_notrack(r);
		snprintf(desc, sizeof(desc), "synproxy: do not track the handshake (%s)",
			 syn_sets[k].desc);
		nat_rules_emit(x, "pre_raw", r, rc, desc);
	}
	nat_model_chain(x->m, "filter_in", "filter", NF_INET_LOCAL_IN, PRIO_FILTER, NF_ACCEPT);
	for (k = 0; k < N_SYN_SETS; k++) {
		if ((r = nat_rules_rule(x, "filter_in")) == NULL)
			return;
		rc = wan_any ? nat_nft_m_not_loopback(r) : nat_nft_m_iifset(r, "wan_ifs", false);
		rc = rc ? rc : m_set(r, syn_sets[k].v6, true, syn_sets[k].set);
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
		rc = rc ? rc
			: nat_nft_m_ct_state(r,
					     NF_CT_STATE_INVALID_BIT | NF_CT_STATE_UNTRACKED_BIT);
		rc = rc ? rc : nat_nft_x_synproxy(r, syn_sets[k].v6 ? 1440 : 1460, 7);
		snprintf(desc, sizeof(desc), "synproxy for the %s addresses", syn_sets[k].desc);
		nat_rules_emit(x, "filter_in", r, rc, desc);
	}
	if ((r = nat_rules_rule(x, "filter_in"))) {
		rc = nat_nft_m_ct_state(r, NF_CT_STATE_INVALID_BIT);
		rc = rc ? rc : nat_nft_x_verdict(r, NF_DROP, NULL);
		nat_rules_emit(x, "filter_in", r, rc, "invalid: drop");
	}
}

/* The SYN the synproxy replays: admission, as pre_admit does for the client's own. */
static void
syn_admit(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	struct nftnl_rule *r;
	int rc;

	nat_model_chain(x->m, "out_admit", "filter", NF_INET_LOCAL_OUT, PRIO_ADMIT, NF_ACCEPT);
	for (int v6 = 0; v6 < 2; v6++) {
		if ((r = nat_rules_rule(x, "out_admit")) == NULL)
			return;
		rc = nat_nft_m_saddr_not_local(r);
		rc = rc ? rc : m_set(r, v6, true, v6 ? "pool6" : "pool4");
		rc = rc ? rc : nat_nft_m_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
		rc = rc ? rc : nat_rules_x_queue(x, r);
		nat_rules_emit(x, "out_admit", r, rc,
			       v6 ? "IPv6 SYNs replayed by the synproxy: NFQUEUE (fail-closed)"
				  : "SYNs replayed by the synproxy: NFQUEUE (fail-closed)");
	}
	/* Helpers (TCP only here: the synproxy sees TCP alone). */
	nat_model_chain(x->m, "out_verdict", "filter", NF_INET_LOCAL_OUT, PRIO_VERDICT, NF_ACCEPT);
	for (size_t i = 0; i < c->helpers.n; i++) {
		char obj[NAT_NFT_NAME_MAX];

		if (strcmp(c->helpers.v[i], "ftp") != 0)
			continue;
		snprintf(obj, sizeof(obj), "rgw-%.8s", c->helpers.v[i]);
		if ((r = nat_rules_rule(x, "out_verdict"))) {
			rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
			rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
			rc = rc ? rc : nat_nft_m_port(r, true, 21, 21);
			rc = rc ? rc : nat_nft_x_ct_helper_set(r, obj);
			nat_rules_emit(x, "out_verdict", r, rc,
				       "conntrack helper for admitted flows (synproxy)");
		}
	}
}

/* DNAT on the output hook: refused to port 0 (the local stack resets it), web ports to the
 * ALG, the rest to the host of the mark. The IPv6 rules match @pool6 (so IPv6 only) and come
 * first: the IPv4 ones clear the mark or end in a NAT of the other family, which does nothing
 * to an IPv6 packet. */
static void
syn_dnat(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	uint32_t keep = ~NAT_MARK_MASK, zero = 0;
	struct nftnl_rule *r;
	uint16_t port0 = 0;
	int rc;

	nat_model_chain(x->m, "nat_out", "nat", NF_INET_LOCAL_OUT, PRIO_DSTNAT, NF_ACCEPT);
	for (int v6 = 1; v6 >= 0; v6--) {
		const struct addr *svc = nat_rules_first_svc(x->snap, v6 ? AF_INET6 : AF_INET);
		int fam = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

		if ((r = nat_rules_rule(x, "nat_out"))) {
			rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_REJECT);
			rc = rc ? rc : (v6 ? m_set(r, true, true, "pool6") : 0);
			rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
			/* the mark goes, or the reset chain would answer the SYN again on its way
			 * back */
			rc = rc ? rc : nat_nft_x_meta(r, NFT_META_MARK, NFT_REG_1);
			rc = rc ? rc : nat_nft_x_bitwise(r, NFT_REG_1, &keep, &zero, 4);
			rc = rc ? rc : nat_nft_x_meta_set(r, NFT_META_MARK, NFT_REG_1);
			rc = rc ? rc : nat_nft_x_imm_data(r, NFT_REG_1, &port0, 2);
			rc = rc ? rc : nat_nft_x_nat_port(r, NFT_NAT_DNAT, fam, NFT_REG_1);
			nat_rules_emit(x, "nat_out", r, rc,
				       v6 ? "refused IPv6 after the synproxy: to port 0, reset by "
					    "the stack"
					  : "refused after the synproxy: to port 0, reset by the "
					    "stack");
		}
		if (c->alg && svc != NULL && c->alg_ports.n && (r = nat_rules_rule(x, "nat_out"))) {
			rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
			rc = rc ? rc : (v6 ? m_set(r, true, true, "pool6") : 0);
			rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
			rc = rc ? rc : nat_nft_m_port_set(r, true, "web_ports");
			rc = rc ? rc : nat_nft_x_imm_data(r, NFT_REG_1, &svc->u, v6 ? 16 : 4);
			rc = rc ? rc : nat_nft_x_nat(r, NFT_NAT_DNAT, fam, NFT_REG_1);
			nat_rules_emit(x, "nat_out", r, rc,
				       v6 ? "admitted IPv6 web flows to the ALG (synproxy)"
					  : "admitted web flows to the ALG (synproxy)");
		}
		if ((r = nat_rules_rule(x, "nat_out"))) {
			rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
			rc = rc ? rc : (v6 ? m_set(r, true, true, "pool6") : 0);
			rc = rc ? rc : nat_nft_x_meta(r, NFT_META_MARK, NFT_REG_1);
			rc = rc ? rc
				: nat_nft_x_lookup(r, NFT_REG_1, v6 ? "host_dnat6" : "host_dnat",
						   NFT_REG_1, false);
			rc = rc ? rc : nat_nft_x_nat(r, NFT_NAT_DNAT, fam, NFT_REG_1);
			nat_rules_emit(x, "nat_out", r, rc,
				       v6 ? "admitted IPv6 flows to the host of the mark (synproxy)"
					  : "admitted flows to the host of the mark (synproxy)");
		}
	}
}

/* The replayed SYN never crosses the forward hook: the hosts' and groups' ingress rules
 * apply here. */
static void
syn_fwd(struct nat_rules_ctx *x)
{
	const struct pol_snap *s = x->snap;
	struct nftnl_rule *r;
	int rc;

	nat_model_chain(x->m, "out_fwd", "filter", NF_INET_LOCAL_OUT, PRIO_FILTER, NF_ACCEPT);
	for (int v6 = 0; v6 < 2; v6++) {
		if ((r = nat_rules_rule(x, "out_fwd"))) {
			rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
			rc = rc ? rc : nat_nft_m_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
			rc = rc ? rc
				: nat_nft_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16,
						    v6 ? 16 : 4, NFT_REG_1);
			rc = rc ? rc
				: nat_nft_x_lookup(r, NFT_REG_1, v6 ? "fw_in6" : "fw_in",
						   NFT_REG_VERDICT, false);
			nat_rules_emit(x, "out_fwd", r, rc,
				       v6 ? "per-host ingress rules (IPv6, synproxy)"
					  : "per-host ingress rules (synproxy)");
		}
	}
	for (size_t i = 0; i < s->n_groups; i++) {
		char setname[NAT_NFT_NAME_MAX], chain[NAT_NFT_NAME_MAX];

		if (!nat_rules_has_rules(x, 'g', s->groups[i].id, true))
			continue;
		snprintf(chain, sizeof(chain), "g%lld_in", (long long)s->groups[i].id);
		for (int v6 = 0; v6 < 2; v6++) {
			nat_rules_group_set(setname, sizeof(setname), s->groups[i].id, v6);
			if ((r = nat_rules_rule(x, "out_fwd"))) {
				rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
				rc = rc ? rc : m_set(r, v6, true, setname);
				rc = rc ? rc : nat_nft_x_verdict(r, NFT_JUMP, chain);
				nat_rules_emit(x, "out_fwd", r, rc,
					       v6 ? "group rules (IPv6, synproxy)"
						  : "group rules (synproxy)");
			}
		}
	}
}

void
nat_rules_synproxy(struct nat_rules_ctx *x)
{
	syn_handshake(x);
	syn_admit(x);
	syn_dnat(x);
	syn_fwd(x);
}
