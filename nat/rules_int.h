/* SPDX-License-Identifier: MIT */
/* nat/rules_int.h -- the rule compiler's internals, shared by nat/rules.c and nat/rules6.c */
#ifndef RGW_NAT_RULES_INT_H
#define RGW_NAT_RULES_INT_H

#include <libnftnl/rule.h>

#include "nft_expr.h"
#include "rules.h"

#define FAM NFPROTO_INET

/* Chain priorities (nft names): mangle = -150, dstnat = -100, filter = 0, srcnat = 100. */
#define PRIO_RAW     -300
#define PRIO_ADMIT   -150
#define PRIO_VERDICT -140
#define PRIO_DSTNAT  -100
#define PRIO_FILTER  0
#define PRIO_SRCNAT  100

struct nat_rules_ctx {
	const struct nat_rules_cfg *cfg;
	const struct pol_snap *snap;
	struct nat_model *m;
	unsigned skipped;
	int err;
	/* Firewall rules sorted by owner (hosts first, then groups), then priority. */
	const struct pol_fw_rule **by_owner;
	size_t n_rules;
};

/* Helpers that record an allocation failure in x->err (and keep going: the build fails once). */
struct nftnl_rule *nat_rules_rule(struct nat_rules_ctx *x, const char *chain);
/* Hand r to the model, or drop it if building it failed (rc < 0). */
void nat_rules_emit(struct nat_rules_ctx *x, const char *chain, struct nftnl_rule *r, int rc,
		    const char *desc);
void nat_rules_set(struct nat_rules_ctx *x, const char *name, uint32_t ktype, uint32_t klen,
		   uint32_t dtype, uint32_t dlen, bool interval);
void nat_rules_elem(struct nat_rules_ctx *x, const char *setname, const struct nat_nft_elem *e);
/*
 * Fill the interval set name (family AF_INET or AF_INET6) with the sources a packet from the
 * WAN (wan) or the LAN must not carry: the family's bogons, extra, the pool and service
 * addresses, and from the WAN the private hosts' addresses (and nested gateways' prefixes).
 */
void nat_rules_spoof_set(struct nat_rules_ctx *x, const char *name, int family, bool wan,
			 const struct prefix *extra, size_t n_extra);
/* Name of a group's member set: g<id> (IPv4 addresses) or g<id>_6 (IPv6 addresses). */
void nat_rules_group_set(char *buf, size_t len, int64_t id, bool v6);
/* nat/rules_syn.c: the synproxy's rules (pre_raw, filter_in, out_admit, out_verdict, nat_out,
 * out_fwd) for both families. */
void nat_rules_synproxy(struct nat_rules_ctx *x);
/* Append the NFQUEUE expression of cfg (with the comment naming the xtables target when the
 * native queue is missing) to r. 0 or -ENOMEM. */
int nat_rules_x_queue(struct nat_rules_ctx *x, struct nftnl_rule *r);
/* The first service address of family, or NULL. */
const struct addr *nat_rules_first_svc(const struct pol_snap *s, int family);
/* filter_fwd: iifname @ifset ip[6] saddr [!=] @set drop. */
void nat_rules_spoof_drop(struct nat_rules_ctx *x, const char *ifset, bool v6, const char *set,
			  bool inv, const char *desc);
/* Has the host ('h') or group ('g') id firewall rules in that direction? */
bool nat_rules_has_rules(const struct nat_rules_ctx *x, char kind, int64_t id, bool ingress);

/* nat/rules6.c: the IPv6 sets (pool6, service6, pinhole6, spoof_wan6, spoof_lan6, lan_src6,
 * host_dnat6, fw_in6, fw_out6) and
 * the IPv6 rules of each base chain, called by the IPv4 builder at the right place. */
void nat_rules6_sets(struct nat_rules_ctx *x);
void nat_rules6_admit(struct nat_rules_ctx *x);
void nat_rules6_dnat(struct nat_rules_ctx *x);
void nat_rules6_snat(struct nat_rules_ctx *x);
void nat_rules6_fwd_early(struct nat_rules_ctx *x);
void nat_rules6_fwd_spoof(struct nat_rules_ctx *x);
void nat_rules6_fwd_hosts(struct nat_rules_ctx *x);
void nat_rules6_fwd_admitted(struct nat_rules_ctx *x);

#endif
