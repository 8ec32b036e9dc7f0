/* SPDX-License-Identifier: MIT */
/* nat/nft_expr.h -- rule builder: nftables expressions and matchers as nft emits them */
#ifndef RGW_NAT_NFT_EXPR_H
#define RGW_NAT_NFT_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"

struct nftnl_rule;

/*
 * Pure helpers that append libnftnl expressions to a rule. Matchers produce the byte code
 * nft itself produces for the same text, so that `nft list` prints rgwd's rules back
 * (nft --debug=netlink was the reference).
 */

/* New rule for table/chain. NULL on ENOMEM. Expression helpers return 0 or -ENOMEM; on
 * error the rule is left as it was (the caller frees it). */
struct nftnl_rule *nat_nft_rule_new(int family, const char *table, const char *chain);

/* Attach a comment (shown by `nft list` at the end of the rule). 0 or -ENOMEM. */
int nat_nft_rule_comment(struct nftnl_rule *r, const char *text);

/* Primitives (registers: 0 = verdict, 1 = NFT_REG_1). */
int nat_nft_x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
int nat_nft_x_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
int nat_nft_x_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *data, size_t len);
int nat_nft_x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
		      uint32_t dreg);
int nat_nft_x_bitwise(struct nftnl_rule *r, uint32_t reg, const void *mask, const void *xor_,
		      size_t len);
/* Lookup in a named set; dreg: 0 for a verdict map, 1 for a data map, UINT32_MAX for none. */
int nat_nft_x_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, uint32_t dreg, bool inv);
int nat_nft_x_imm_data(struct nftnl_rule *r, uint32_t dreg, const void *data, size_t len);
/* verdict NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_GOTO, NFT_RETURN; chain for jump/goto. */
int nat_nft_x_verdict(struct nftnl_rule *r, int verdict, const char *chain);
int nat_nft_x_ct(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
/* limit rate [over] rate_per_s/second burst burst packets */
int nat_nft_x_limit(struct nftnl_rule *r, uint64_t rate_per_s, uint32_t burst, bool over);
/* type NFT_REJECT_TCP_RST / NFT_REJECT_ICMPX_UNREACH with an icmpx code. */
int nat_nft_x_reject(struct nftnl_rule *r, uint32_t type, uint8_t code);
/* NFT_NAT_DNAT / SNAT to the address in reg, of family NFPROTO_IPV4 or NFPROTO_IPV6 (the
 * expression does nothing to a packet of the other family). */
int nat_nft_x_nat(struct nftnl_rule *r, uint32_t type, int family, uint32_t reg);
/* NAT_T_DNAT / SNAT of the port only, to the port in sreg (the address is kept): "dnat to :0"
 * is how a refused synproxied flow gets its reset from the local stack (docs/nat.md). */
int nat_nft_x_nat_port(struct nftnl_rule *r, uint32_t type, int family, uint32_t reg);
int nat_nft_x_masq(struct nftnl_rule *r);
/* fib saddr type -> dreg (an RTN_* value). */
int nat_nft_x_fib_saddr_type(struct nftnl_rule *r, uint32_t dreg);
/* NFQUEUE, no bypass flag: the native queue expression, or (native false) the xtables
 * NFQUEUE target through nft_compat for kernels built without nft_queue. */
int nat_nft_x_queue(struct nftnl_rule *r, uint16_t num, bool native);
int nat_nft_x_ct_helper_set(struct nftnl_rule *r, const char *obj);
int nat_nft_x_synproxy(struct nftnl_rule *r, uint16_t mss, uint8_t wscale);
int nat_nft_x_notrack(struct nftnl_rule *r);

/* Matchers written the way nft emits them, so that `nft list` prints them back. */
int nat_nft_m_iifset(struct nftnl_rule *r, const char *set, bool inv); /* iifname @set */
int nat_nft_m_oifset(struct nftnl_rule *r, const char *set, bool inv); /* oifname @set */
int nat_nft_m_nfproto(struct nftnl_rule *r, uint8_t nfproto);	       /* meta nfproto */
int nat_nft_m_l4proto(struct nftnl_rule *r, uint8_t proto);	       /* meta l4proto */
/* ip saddr/daddr (dst = true) within prefix p (IPv4 or IPv6; nfproto check included). */
int nat_nft_m_ip_prefix(struct nftnl_rule *r, bool dst, const struct prefix *p);
/* ip saddr/daddr @set (IPv4) */
int nat_nft_m_ip_set(struct nftnl_rule *r, bool dst, const char *set, bool inv);
/* ip6 saddr/daddr @set (IPv6) */
int nat_nft_m_ip6_set(struct nftnl_rule *r, bool dst, const char *set, bool inv);
/* fib saddr type != local: the packet's source is not an address of this host (a SYN the
 * synproxy sends on the client's behalf, as opposed to the gateway's own connections). */
int nat_nft_m_saddr_not_local(struct nftnl_rule *r);
/* iif != "lo": not a packet the gateway sent to itself (meta iif != 1). */
int nat_nft_m_not_loopback(struct nftnl_rule *r);
/* th sport/dport in [lo, hi] (the l4proto match must come first). */
int nat_nft_m_port(struct nftnl_rule *r, bool dst, uint16_t lo, uint16_t hi);
int nat_nft_m_port_set(struct nftnl_rule *r, bool dst, const char *set);
/* icmp type / code (one byte each at transport offsets 0 and 1). */
int nat_nft_m_th_byte(struct nftnl_rule *r, uint32_t off, uint8_t v);
/* ct state & bits != 0 (NF_CT_STATE_BIT(...) values) */
int nat_nft_m_ct_state(struct nftnl_rule *r, uint32_t bits);
/* ct status & bits != 0 */
int nat_nft_m_ct_status(struct nftnl_rule *r, uint32_t bits);
/* meta mark & mask == value */
int nat_nft_m_mark(struct nftnl_rule *r, uint32_t mask, uint32_t value);
/* tcp flags & mask != value, or == value when eq (the l4proto tcp match must come first) */
int nat_nft_m_tcpflags(struct nftnl_rule *r, uint8_t mask, uint8_t value, bool eq);

#endif
