/* SPDX-License-Identifier: MIT */
/* nat/nft_msg.c -- pure builders of nftables netlink batches (libnftnl) */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_synproxy.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter/x_tables.h>

#include "../common/util.h"
#include "nft_msg.h"

/* One page of the multi-page batch, and room for the largest single message. */
#define BATCH_PAGE    (256 * 1024)
#define BATCH_OVERRUN (UINT16_MAX + 4096)
/* Elements per NEWSETELEM message: keeps the nest well below the 64 KiB attribute limit. */
#define ELEMS_PER_MSG 256

struct nat_nft_batch {
	struct nftnl_batch *nb;
	uint32_t first, seq;
	uint32_t *seqs;
	char **desc;
	size_t n, cap;
	bool finished;
	struct iovec *iov;
};

static struct nlmsghdr *cmd_begin(struct nat_nft_batch *b, uint16_t type, int family,
				  uint16_t flags, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int cmd_end(struct nat_nft_batch *b);
static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e);

struct nat_nft_batch *
nat_nft_batch_new(uint32_t seq_start)
{
	struct nat_nft_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->nb = nftnl_batch_alloc(BATCH_PAGE, BATCH_OVERRUN);
	if (b->nb == NULL) {
		free(b);
		return NULL;
	}
	b->first = b->seq = seq_start;
	nftnl_batch_begin(nftnl_batch_buffer(b->nb), b->seq++);
	if (nftnl_batch_update(b->nb) < 0) {
		nat_nft_batch_free(b);
		return NULL;
	}
	return b;
}

void
nat_nft_batch_free(struct nat_nft_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		free(b->desc[i]);
	free(b->desc);
	free(b->seqs);
	free(b->iov);
	nftnl_batch_free(b->nb);
	free(b);
}

/* Start a command: header in the batch buffer and its description. NULL on ENOMEM. */
static struct nlmsghdr *
cmd_begin(struct nat_nft_batch *b, uint16_t type, int family, uint16_t flags, const char *fmt, ...)
{
	va_list ap;
	char *d = NULL;

	if (b->finished)
		return NULL;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 64;
		uint32_t *s = realloc(b->seqs, nc * sizeof(*s));
		char **dd;

		if (s == NULL)
			return NULL;
		b->seqs = s;
		dd = realloc(b->desc, nc * sizeof(*dd));
		if (dd == NULL)
			return NULL;
		b->desc = dd;
		b->cap = nc;
	}
	va_start(ap, fmt);
	if (vasprintf(&d, fmt, ap) < 0)
		d = NULL;
	va_end(ap);
	if (d == NULL)
		return NULL;
	b->seqs[b->n] = b->seq;
	b->desc[b->n] = d;
	b->n++;
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->nb), type, (uint16_t)family,
				     flags | NLM_F_ACK, b->seq++);
}

static int
cmd_end(struct nat_nft_batch *b)
{
	return nftnl_batch_update(b->nb) < 0 ? -ENOMEM : 0;
}

int
nat_nft_add_table(struct nat_nft_batch *b, int family, const char *table)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (t == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, (uint32_t)family);
	nlh = cmd_begin(b, NFT_MSG_NEWTABLE, family, NLM_F_CREATE, "add table %s", table);
	if (nlh == NULL) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return cmd_end(b);
}

int
nat_nft_del_table(struct nat_nft_batch *b, int family, const char *table)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (t == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, (uint32_t)family);
	nlh = cmd_begin(b, NFT_MSG_DELTABLE, family, 0, "delete table %s", table);
	if (nlh == NULL) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return cmd_end(b);
}

static struct nftnl_chain *
chain_obj(int family, const char *table, const char *chain)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (c == NULL)
		return NULL;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, (uint32_t)family);
	return c;
}

int
nat_nft_add_chain(struct nat_nft_batch *b, int family, const char *table, const char *chain,
		  const char *type, int hook, int prio, int policy)
{
	struct nftnl_chain *c = chain_obj(family, table, chain);
	struct nlmsghdr *nlh;

	if (c == NULL)
		return -ENOMEM;
	if (type != NULL) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, (uint32_t)policy);
	}
	nlh = cmd_begin(b, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE, "add chain %s %s", table, chain);
	if (nlh == NULL) {
		nftnl_chain_free(c);
		return -ENOMEM;
	}
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	return cmd_end(b);
}

int
nat_nft_flush_chain(struct nat_nft_batch *b, int family, const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (r == NULL)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)family);
	nlh = cmd_begin(b, NFT_MSG_DELRULE, family, 0, "flush chain %s %s", table, chain);
	if (nlh == NULL) {
		nftnl_rule_free(r);
		return -ENOMEM;
	}
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return cmd_end(b);
}

int
nat_nft_del_chain(struct nat_nft_batch *b, int family, const char *table, const char *chain)
{
	struct nftnl_chain *c = chain_obj(family, table, chain);
	struct nlmsghdr *nlh;

	if (c == NULL)
		return -ENOMEM;
	nlh = cmd_begin(b, NFT_MSG_DELCHAIN, family, 0, "delete chain %s %s", table, chain);
	if (nlh == NULL) {
		nftnl_chain_free(c);
		return -ENOMEM;
	}
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	return cmd_end(b);
}

int
nat_nft_add_rule(struct nat_nft_batch *b, struct nftnl_rule *r, const char *desc)
{
	int rc = nat_nft_add_rule_ref(b, r, desc);

	nftnl_rule_free(r);
	return rc;
}

int
nat_nft_rule_bytes(const struct nftnl_rule *r, uint8_t **out, size_t *len)
{
	static char buf[BATCH_OVERRUN];
	static size_t used;
	struct nlmsghdr *nlh;

	/* Rules are small: build in a scratch page, keep an exact copy. libmnl 1.0.4 does not
	 * zero attribute padding, so every byte used so far is cleared first (the copies
	 * are compared byte for byte). Main thread only. */
	memset(buf, 0, used);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET, 0, 0);
	nftnl_rule_nlmsg_build_payload(nlh, (struct nftnl_rule *)(uintptr_t)r);
	*len = nlh->nlmsg_len;
	if (*len > used)
		used = *len;
	*out = malloc(*len);
	if (*out == NULL)
		return -ENOMEM;
	memcpy(*out, buf, *len);
	return 0;
}

int
nat_nft_add_rule_ref(struct nat_nft_batch *b, const struct nftnl_rule *cr, const char *desc)
{
	/* libnftnl's getters and builders take non-const objects but do not modify them. */
	struct nftnl_rule *r = (struct nftnl_rule *)(uintptr_t)cr;
	struct nlmsghdr *nlh;

	nlh = cmd_begin(b, NFT_MSG_NEWRULE, (int)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
			NLM_F_CREATE | NLM_F_APPEND, "add rule %s %s: %s",
			nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
			nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), desc ? desc : "");
	if (nlh == NULL)
		return -ENOMEM;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	return cmd_end(b);
}

/* nft keeps the byte order of keys and data in the set's user data, and prints elements
 * back wrongly without it (marks and interface names are host order, addresses and ports
 * network order). */
static int
set_udata(struct nftnl_set *s, const struct nat_nft_set_spec *sp)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);
	bool host = sp->key_type == NAT_NFT_TYPE_MARK || sp->key_type == NAT_NFT_TYPE_IFNAME;

	if (u == NULL)
		return -ENOMEM;
	nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, host ? 1 : 2);
	if (sp->data_type && sp->data_type != NAT_NFT_TYPE_VERDICT)
		nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATABYTEORDER,
				    sp->data_type == NAT_NFT_TYPE_MARK ? 1 : 2);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	return 0;
}

int
nat_nft_add_set(struct nat_nft_batch *b, int family, const char *table,
		const struct nat_nft_set_spec *sp, uint32_t set_id)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	uint32_t flags = 0;

	if (s == NULL)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sp->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)family);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sp->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sp->key_len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	if (sp->data_type == NAT_NFT_TYPE_VERDICT) {
		flags |= NFT_SET_MAP;
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	} else if (sp->data_type) {
		flags |= NFT_SET_MAP;
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, sp->data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, sp->data_len);
	}
	if (sp->interval)
		flags |= NFT_SET_INTERVAL;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if (set_udata(s, sp) < 0) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nlh = cmd_begin(b, NFT_MSG_NEWSET, family, NLM_F_CREATE, "add set %s %s", table, sp->name);
	if (nlh == NULL) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return cmd_end(b);
}

int
nat_nft_del_set(struct nat_nft_batch *b, int family, const char *table, const char *set)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (s == NULL)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)family);
	nlh = cmd_begin(b, NFT_MSG_DELSET, family, 0, "delete set %s %s", table, set);
	if (nlh == NULL) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return cmd_end(b);
}

static int
elems_msg(struct nat_nft_batch *b, bool del, int family, const char *table, const char *set,
	  const struct nat_nft_elem *e, size_t n)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	size_t i;

	if (s == NULL)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)family);
	for (i = 0; i < n; i++) {
		struct nftnl_set_elem *x = nftnl_set_elem_alloc();

		if (x == NULL) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		nftnl_set_elem_set(x, NFTNL_SET_ELEM_KEY, e[i].key, e[i].key_len);
		if (e[i].interval_end)
			nftnl_set_elem_set_u32(x, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		if (e[i].data_len)
			nftnl_set_elem_set(x, NFTNL_SET_ELEM_DATA, e[i].data, e[i].data_len);
		if (e[i].jump[0]) {
			nftnl_set_elem_set_u32(x, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
			nftnl_set_elem_set_str(x, NFTNL_SET_ELEM_CHAIN, e[i].jump);
		}
		nftnl_set_elem_add(s, x);
	}
	nlh = cmd_begin(b, del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, family,
			del ? 0 : NLM_F_CREATE, "%s %zu element%s %s set %s %s",
			del ? "delete" : "add", n, n == 1 ? "" : "s", del ? "from" : "to", table,
			set);
	if (nlh == NULL) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return cmd_end(b);
}

int
nat_nft_elems(struct nat_nft_batch *b, bool del, int family, const char *table, const char *set,
	      const struct nat_nft_elem *e, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i += ELEMS_PER_MSG) {
		size_t k = n - i < ELEMS_PER_MSG ? n - i : ELEMS_PER_MSG;

		if ((rc = elems_msg(b, del, family, table, set, e + i, k)) < 0)
			return rc;
	}
	return 0;
}

int
nat_nft_flush_set(struct nat_nft_batch *b, int family, const char *table, const char *set)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (s == NULL)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)family);
	nlh = cmd_begin(b, NFT_MSG_DELSETELEM, family, 0, "flush set %s %s", table, set);
	if (nlh == NULL) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return cmd_end(b);
}

static int
obj_cmd(struct nat_nft_batch *b, bool del, int family, const char *table, const char *name,
	const char *helper, uint8_t l4proto)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (o == NULL)
		return -ENOMEM;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_CT_HELPER);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, (uint32_t)family);
	if (!del) {
		nftnl_obj_set_str(o, NFTNL_OBJ_CT_HELPER_NAME, helper);
		nftnl_obj_set_u8(o, NFTNL_OBJ_CT_HELPER_L4PROTO, l4proto);
		nftnl_obj_set_u16(o, NFTNL_OBJ_CT_HELPER_L3PROTO, (uint16_t)family);
	}
	nlh = cmd_begin(b, del ? NFT_MSG_DELOBJ : NFT_MSG_NEWOBJ, family, del ? 0 : NLM_F_CREATE,
			"%s ct helper %s %s", del ? "delete" : "add", table, name);
	if (nlh == NULL) {
		nftnl_obj_free(o);
		return -ENOMEM;
	}
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	return cmd_end(b);
}

int
nat_nft_add_ct_helper(struct nat_nft_batch *b, int family, const char *table, const char *name,
		      const char *helper, uint8_t l4proto)
{
	return obj_cmd(b, false, family, table, name, helper, l4proto);
}

int
nat_nft_del_ct_helper(struct nat_nft_batch *b, int family, const char *table, const char *name)
{
	return obj_cmd(b, true, family, table, name, NULL, 0);
}

int
nat_nft_batch_finish(struct nat_nft_batch *b)
{
	if (b->finished)
		return 0;
	nftnl_batch_end(nftnl_batch_buffer(b->nb), b->seq++);
	if (nftnl_batch_update(b->nb) < 0)
		return -ENOMEM;
	b->finished = true;
	return 0;
}

size_t
nat_nft_batch_ncmds(const struct nat_nft_batch *b)
{
	return b->n;
}

uint32_t
nat_nft_batch_seq_first(const struct nat_nft_batch *b)
{
	return b->first;
}

uint32_t
nat_nft_batch_seq_last(const struct nat_nft_batch *b)
{
	return b->seq - 1;
}

const char *
nat_nft_batch_describe(const struct nat_nft_batch *b, uint32_t seq)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->seqs[mid] == seq)
			return b->desc[mid];
		if (b->seqs[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
nat_nft_batch_iov(struct nat_nft_batch *b, struct iovec **iov)
{
	int n = nftnl_batch_iovec_len(b->nb);

	free(b->iov);
	b->iov = calloc((size_t)n, sizeof(*b->iov));
	if (b->iov == NULL)
		return -ENOMEM;
	nftnl_batch_iovec(b->nb, b->iov, (uint32_t)n);
	*iov = b->iov;
	return n;
}

uint8_t *
nat_nft_batch_bytes(struct nat_nft_batch *b, size_t *len)
{
	struct iovec *iov;
	int i, n = nat_nft_batch_iov(b, &iov);
	size_t total = 0, off = 0;
	uint8_t *out;

	if (n < 0)
		return NULL;
	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	out = malloc(total ? total : 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	*len = total;
	return out;
}

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
nat_nft_x_counter(struct nftnl_rule *r)
{
	return add_expr(r, nftnl_expr_alloc("counter"));
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
		nftnl_expr_set_u32(e, NFTNL_EXPR_SYNPROXY_FLAGS,
				   NF_SYNPROXY_OPT_MSS | NF_SYNPROXY_OPT_WSCALE |
					   NF_SYNPROXY_OPT_SACK_PERM | NF_SYNPROXY_OPT_TIMESTAMP);
	}
	return add_expr(r, e);
}

int
nat_nft_x_notrack(struct nftnl_rule *r)
{
	return add_expr(r, nftnl_expr_alloc("notrack"));
}

/* ---- matchers ---- */

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

/* ---- elements ---- */

void
nat_nft_elem_ipv4(struct nat_nft_elem *e, const struct addr *a)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->key, &a->u.v4, 4);
	e->key_len = 4;
}

void
nat_nft_elem_ifname(struct nat_nft_elem *e, const char *ifname)
{
	memset(e, 0, sizeof(*e));
	strncpy((char *)e->key, ifname, 15);
	e->key_len = 16;
}

void
nat_nft_elem_port(struct nat_nft_elem *e, uint16_t port)
{
	uint16_t p = htons(port);

	memset(e, 0, sizeof(*e));
	memcpy(e->key, &p, 2);
	e->key_len = 2;
}

void
nat_nft_elem_mark(struct nat_nft_elem *e, uint32_t mark)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->key, &mark, 4);
	e->key_len = 4;
}

struct range {
	uint64_t lo, hi; /* [lo, hi) in host order, hi up to 2^32 */
};

static int
cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void
elem_v4_host(struct nat_nft_elem *e, uint32_t ip, bool end)
{
	uint32_t be = htonl(ip);

	memset(e, 0, sizeof(*e));
	memcpy(e->key, &be, 4);
	e->key_len = 4;
	e->interval_end = end;
}

size_t
nat_nft_elems_ipv4_intervals(const struct prefix *p, size_t n, struct nat_nft_elem *out)
{
	struct range *r = calloc(n ? n : 1, sizeof(*r));
	size_t i, m = 0, k = 0;

	if (r == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		uint32_t ip;
		unsigned len = p[i].len > 32 ? 32 : p[i].len;

		if (p[i].addr.family != AF_INET)
			continue;
		ip = ntohl(p[i].addr.u.v4.s_addr);
		ip &= len ? ~(uint32_t)0 << (32 - len) : 0;
		r[m].lo = ip;
		r[m].hi = (uint64_t)ip + ((uint64_t)1 << (32 - len));
		m++;
	}
	util_sort(r, m, sizeof(*r), cmp_range);
	/* Merge overlapping and adjacent ranges: the kernel wants disjoint intervals. */
	if (m > 1) {
		size_t j = 0;

		for (i = 1; i < m; i++) {
			if (r[i].lo <= r[j].hi) {
				if (r[i].hi > r[j].hi)
					r[j].hi = r[i].hi;
			} else {
				r[++j] = r[i];
			}
		}
		m = j + 1;
	}
	if (m > 0 && r[0].lo != 0)
		elem_v4_host(&out[k++], 0, true);
	for (i = 0; i < m; i++) {
		elem_v4_host(&out[k++], (uint32_t)r[i].lo, false);
		if (r[i].hi < ((uint64_t)1 << 32))
			elem_v4_host(&out[k++], (uint32_t)r[i].hi, true);
	}
	free(r);
	return k;
}
