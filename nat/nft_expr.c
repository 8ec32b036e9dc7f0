/* SPDX-License-Identifier: MIT */
/* nat/nft_expr.c -- rule builder: nftables expressions and matchers as nft emits them */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_synproxy.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/rtnetlink.h>
#include <linux/netfilter/x_tables.h>

#include "nft_expr.h"

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e);

/* ---- rules ---- */

struct nftnl_rule *
nat_nft_rule_new(int family, const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r == NULL)
		return NULL;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)family);
	return r;
}

int
nat_nft_rule_comment(struct nftnl_rule *r, const char *text)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(256);

	if (u == NULL)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, text)) {
		nftnl_udata_buf_free(u);
		return -EINVAL;
	}
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
			    nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	return 0;
}

static int
add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

int
nat_nft_x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return add_expr(r, e);
}

int
nat_nft_x_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
	}
	return add_expr(r, e);
}

int
nat_nft_x_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *data, size_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, (uint32_t)len);
	}
	return add_expr(r, e);
}

int
nat_nft_x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return add_expr(r, e);
}

int
nat_nft_x_bitwise(struct nftnl_rule *r, uint32_t reg, const void *mask, const void *xor_,
		  size_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, (uint32_t)len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, (uint32_t)len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor_, (uint32_t)len);
	}
	return add_expr(r, e);
}

int
nat_nft_x_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, uint32_t dreg, bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		if (dreg != UINT32_MAX)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
		if (inv)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	}
	return add_expr(r, e);
}

int
nat_nft_x_imm_data(struct nftnl_rule *r, uint32_t dreg, const void *data, size_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, (uint32_t)len);
	}
	return add_expr(r, e);
}

int
nat_nft_x_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
		if (chain != NULL)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	return add_expr(r, e);
}

int
nat_nft_x_ct(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	}
	return add_expr(r, e);
}

int
nat_nft_x_limit(struct nftnl_rule *r, uint64_t rate, uint32_t burst, bool over)
{
	struct nftnl_expr *e = nftnl_expr_alloc("limit");

	if (e) {
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate);
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, over ? NFT_LIMIT_F_INV : 0);
	}
	return add_expr(r, e);
}

int
nat_nft_x_reject(struct nftnl_rule *r, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = nftnl_expr_alloc("reject");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
	}
	return add_expr(r, e);
}

int
nat_nft_x_nat(struct nftnl_rule *r, uint32_t type, int family, uint32_t reg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, (uint32_t)family);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS);
	}
	return add_expr(r, e);
}

int
nat_nft_x_nat_port(struct nftnl_rule *r, uint32_t type, int family, uint32_t reg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, (uint32_t)family);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
	}
	return add_expr(r, e);
}

int
nat_nft_x_masq(struct nftnl_rule *r)
{
	return add_expr(r, nftnl_expr_alloc("masq"));
}

int
nat_nft_x_queue(struct nftnl_rule *r, uint16_t num, bool native)
{
	/* No bypass flag in either form: without the daemon nothing is admitted
	 * (fail-closed). CONFIG_NFT_QUEUE is absent on some kernels (this machine's): the
	 * xtables NFQUEUE target through nft_compat is there wherever iptables is. */
	struct nftnl_expr *e;
	size_t sz = XT_ALIGN(sizeof(struct xt_NFQ_info_v3));
	struct xt_NFQ_info_v3 *info;

	if (native) {
		e = nftnl_expr_alloc("queue");
		if (e) {
			nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, num);
			nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, 1);
			nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, 0);
		}
		return add_expr(r, e);
	}
	e = nftnl_expr_alloc("target");
	if (e == NULL)
		return -ENOMEM;
	/* libnftnl keeps (and later frees) the info pointer. */
	info = calloc(1, sz);
	if (info == NULL) {
		nftnl_expr_free(e);
		return -ENOMEM;
	}
	info->queuenum = num;
	info->queues_total = 1;
	info->flags = 0;
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, (uint32_t)sz);
	return add_expr(r, e);
}

int
nat_nft_x_ct_helper_set(struct nftnl_rule *r, const char *obj)
{
	struct nftnl_expr *e = nftnl_expr_alloc("objref");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_CT_HELPER);
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, obj);
	}
	return add_expr(r, e);
}

int
nat_nft_x_synproxy(struct nftnl_rule *r, uint16_t mss, uint8_t wscale)
{
	struct nftnl_expr *e = nftnl_expr_alloc("synproxy");

	if (e) {
		nftnl_expr_set_u16(e, NFTNL_EXPR_SYNPROXY_MSS, mss);
		nftnl_expr_set_u8(e, NFTNL_EXPR_SYNPROXY_WSCALE, wscale);
		/* No timestamp option: measured on Linux 6.18, the ACK the synproxy sends the
		 * server on the client's behalf carries a TSecr adjusted twice when the flow is
		 * DNATed on the output hook; the server drops it and only its SYN-ACK retransmission
		 * (1 s) completes the handshake, so a server that speaks first (FTP, SMTP, SSH)
		 * answered a second late. Without timestamps the cookie cannot carry window scaling
		 * and SACK either: the kernel leaves them out (a 64 KiB window). */
		nftnl_expr_set_u32(e, NFTNL_EXPR_SYNPROXY_FLAGS,
				   NF_SYNPROXY_OPT_MSS | NF_SYNPROXY_OPT_WSCALE |
					   NF_SYNPROXY_OPT_SACK_PERM);
	}
	return add_expr(r, e);
}

int
nat_nft_x_notrack(struct nftnl_rule *r)
{
	return add_expr(r, nftnl_expr_alloc("notrack"));
}

int
nat_nft_x_fib_saddr_type(struct nftnl_rule *r, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_SADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, dreg);
	}
	return add_expr(r, e);
}

/* ---- matchers ---- */

int
nat_nft_m_saddr_not_local(struct nftnl_rule *r)
{
	uint32_t local = RTN_LOCAL;
	int rc = nat_nft_x_fib_saddr_type(r, NFT_REG_1);

	return rc ? rc : nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &local, 4);
}

int
nat_nft_m_not_loopback(struct nftnl_rule *r)
{
	uint32_t lo = 1; /* LOOPBACK_IFINDEX, the same in every network namespace */
	int rc = nat_nft_x_meta(r, NFT_META_IIF, NFT_REG_1);

	return rc ? rc : nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &lo, 4);
}

int
nat_nft_m_ip6_set(struct nftnl_rule *r, bool dst, const char *set, bool inv)
{
	int rc = nat_nft_m_nfproto(r, NFPROTO_IPV6);

	if (rc == 0)
		rc = nat_nft_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, dst ? 24 : 8, 16, NFT_REG_1);
	return rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, set, UINT32_MAX, inv);
}

int
nat_nft_m_iifset(struct nftnl_rule *r, const char *set, bool inv)
{
	int rc = nat_nft_x_meta(r, NFT_META_IIFNAME, NFT_REG_1);

	return rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, set, UINT32_MAX, inv);
}

int
nat_nft_m_oifset(struct nftnl_rule *r, const char *set, bool inv)
{
	int rc = nat_nft_x_meta(r, NFT_META_OIFNAME, NFT_REG_1);

	return rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, set, UINT32_MAX, inv);
}

int
nat_nft_m_nfproto(struct nftnl_rule *r, uint8_t nfproto)
{
	int rc = nat_nft_x_meta(r, NFT_META_NFPROTO, NFT_REG_1);

	return rc ? rc : nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_EQ, &nfproto, 1);
}

int
nat_nft_m_l4proto(struct nftnl_rule *r, uint8_t proto)
{
	int rc = nat_nft_x_meta(r, NFT_META_L4PROTO, NFT_REG_1);

	return rc ? rc : nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_EQ, &proto, 1);
}

int
nat_nft_m_ip_prefix(struct nftnl_rule *r, bool dst, const struct prefix *p)
{
	bool v6 = p->addr.family == AF_INET6;
	uint32_t alen = v6 ? 16 : 4;
	uint8_t mask[16] = { 0 }, val[16] = { 0 }, zero[16] = { 0 };
	unsigned i;
	int rc;

	rc = nat_nft_m_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (rc || p->len == 0)
		return rc;
	if ((rc = nat_nft_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER,
				    v6 ? (dst ? 24 : 8) : (dst ? 16 : 12), alen, NFT_REG_1)))
		return rc;
	for (i = 0; i < p->len && i < alen * 8; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	for (i = 0; i < alen; i++)
		val[i] = p->addr.u.bytes[i] & mask[i];
	if (p->len < alen * 8 && (rc = nat_nft_x_bitwise(r, NFT_REG_1, mask, zero, alen)))
		return rc;
	return nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_EQ, val, alen);
}

int
nat_nft_m_ip_set(struct nftnl_rule *r, bool dst, const char *set, bool inv)
{
	int rc = nat_nft_m_nfproto(r, NFPROTO_IPV4);

	if (rc == 0)
		rc = nat_nft_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, dst ? 16 : 12, 4, NFT_REG_1);
	return rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, set, UINT32_MAX, inv);
}

int
nat_nft_m_port(struct nftnl_rule *r, bool dst, uint16_t lo, uint16_t hi)
{
	uint16_t a = htons(lo), b = htons(hi);
	int rc = nat_nft_x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, dst ? 2 : 0, 2, NFT_REG_1);

	if (rc)
		return rc;
	if (lo == hi)
		return nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_EQ, &a, 2);
	if ((rc = nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_GTE, &a, 2)))
		return rc;
	return nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_LTE, &b, 2);
}

int
nat_nft_m_port_set(struct nftnl_rule *r, bool dst, const char *set)
{
	int rc = nat_nft_x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, dst ? 2 : 0, 2, NFT_REG_1);

	return rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, set, UINT32_MAX, false);
}

int
nat_nft_m_th_byte(struct nftnl_rule *r, uint32_t off, uint8_t v)
{
	int rc = nat_nft_x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, off, 1, NFT_REG_1);

	return rc ? rc : nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_EQ, &v, 1);
}

static int
ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t bits)
{
	uint32_t zero = 0;
	int rc = nat_nft_x_ct(r, key, NFT_REG_1);

	if (rc == 0)
		rc = nat_nft_x_bitwise(r, NFT_REG_1, &bits, &zero, 4);
	return rc ? rc : nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &zero, 4);
}

int
nat_nft_m_ct_state(struct nftnl_rule *r, uint32_t bits)
{
	return ct_bits(r, NFT_CT_STATE, bits);
}

int
nat_nft_m_ct_status(struct nftnl_rule *r, uint32_t bits)
{
	return ct_bits(r, NFT_CT_STATUS, bits);
}

int
nat_nft_m_mark(struct nftnl_rule *r, uint32_t mask, uint32_t value)
{
	uint32_t zero = 0;
	int rc = nat_nft_x_meta(r, NFT_META_MARK, NFT_REG_1);

	if (rc == 0 && mask != UINT32_MAX)
		rc = nat_nft_x_bitwise(r, NFT_REG_1, &mask, &zero, 4);
	return rc ? rc : nat_nft_x_cmp(r, NFT_REG_1, NFT_CMP_EQ, &value, 4);
}

int
nat_nft_m_tcpflags(struct nftnl_rule *r, uint8_t mask, uint8_t value, bool eq)
{
	uint8_t zero = 0;
	int rc = nat_nft_x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);

	if (rc == 0)
		rc = nat_nft_x_bitwise(r, NFT_REG_1, &mask, &zero, 1);
	return rc ? rc : nat_nft_x_cmp(r, NFT_REG_1, eq ? NFT_CMP_EQ : NFT_CMP_NEQ, &value, 1);
}
