/* SPDX-License-Identifier: MIT */
/* nat/rules.h -- compile config + policy into the desired nft table (a model) */
#ifndef RGW_NAT_RULES_H
#define RGW_NAT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/conf.h"
#include "../policy/policy.h"
#include "model.h"

/*
 * Packet marks (skb mark, set by the NFQUEUE verdict):
 *   0x01000000 | host id   admitted first packet of a flow to host <id> (ids < 2^24);
 *                          DNAT through the map host_dnat (mark -> private IPv4)
 *   0x02000000             refused: the chain rgw_reject answers with TCP RST / ICMP
 *   0x03000000 | low 24    admitted first packet of a flow to a nested gateway's address
 *                          (the low 24 bits of that address; unique by validation): DNAT
 *                          through host_dnat too, never to the ALG (the nested gateway routes
 *                          its own web ports)
 * Only the top byte is interpreted by rgwd; other bits are left alone.
 */
#define NAT_MARK_MASK	0xff000000u
#define NAT_MARK_HOST	0x01000000u
#define NAT_MARK_REJECT 0x02000000u
#define NAT_MARK_NEST	0x03000000u
#define NAT_MARK_MAX_ID 0x00ffffffu

/* Mark of a host, or 0 if its id does not fit. */
uint32_t nat_rules_host_mark(int64_t host_id);
/* Mark of a nested gateway's IPv4 address (0 for another family). */
uint32_t nat_rules_nest_mark(const struct addr *a);

/* What the compiler needs from the configuration (copied from struct conf). */
struct nat_rules_cfg {
	char table[64];
	uint16_t queue;
	bool queue_native; /* kernel has the nft queue expression (else xt NFQUEUE) */
	struct conf_strlist wan, lan;
	struct conf_strlist lan_prefixes6; /* IPv6 prefixes LAN sources must be in (none: any) */
	bool synproxy;
	struct conf_strlist helpers;
	int forward_policy; /* enum conf_fw_policy */
	bool alg;	    /* hand web ports of admitted pool flows to the ALG */
	struct conf_intlist alg_ports;
	bool block; /* sets block4 / block6 (timeout) dropped in pre_raw: [ids] enable */
};

void nat_rules_cfg_from_conf(struct nat_rules_cfg *cfg, const struct conf *c);

/* The whole table for cfg and snap. NULL on ENOMEM. Rules that cannot be expressed are
 * skipped with a warning (counted in *skipped when not NULL). */
struct nat_model *nat_rules_build(const struct nat_rules_cfg *cfg, const struct pol_snap *snap,
				  unsigned *skipped);

#endif
