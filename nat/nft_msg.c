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
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "../common/array.h"
#include "../common/util.h"
#include "nft_msg.h"

/* One page of the multi-page batch, and room for the largest single message. */
#define BATCH_PAGE    (256 * 1024)
#define BATCH_OVERRUN (UINT16_MAX + 4096)
/* Elements per NEWSETELEM message: keeps the nest well below the 64 KiB attribute limit. */
#define ELEMS_PER_MSG 256

/* One command of a batch: its sequence number and what it does (for the kernel's error). */
struct batch_cmd {
	uint32_t seq;
	char *desc;
};

struct nat_nft_batch {
	struct nftnl_batch *nb;
	uint32_t first, seq;
	struct batch_cmd *cmds; /* in sequence order */
	size_t n, cap;
	bool finished;
	struct iovec *iov;
};

static struct nlmsghdr *cmd_begin(struct nat_nft_batch *b, uint16_t type, int family,
				  uint16_t flags, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int cmd_end(struct nat_nft_batch *b);
/* Finish the command nlh (NULL: cmd_begin failed) with the payload build(nlh, o), then free
 * o with del: 0 or -ENOMEM. */
#define CMD_PUT(b, nlh, build, del, o)                                                             \
	((nlh) != NULL ? (build(nlh, o), del(o), cmd_end(b)) : (del(o), -ENOMEM))

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
		free(b->cmds[i].desc);
	free(b->cmds);
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
	struct batch_cmd *c;

	if (b->finished)
		return NULL;
	va_start(ap, fmt);
	if (vasprintf(&d, fmt, ap) < 0)
		d = NULL;
	va_end(ap);
	if (d == NULL || (c = ARRAY_PUSH(b->cmds, b->n, b->cap)) == NULL) {
		free(d);
		return NULL;
	}
	c->seq = b->seq;
	c->desc = d;
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->nb), type, (uint16_t)family,
				     flags | NLM_F_ACK, b->seq++);
}

static int
cmd_end(struct nat_nft_batch *b)
{
	return nftnl_batch_update(b->nb) < 0 ? -ENOMEM : 0;
}

static int
table_cmd(struct nat_nft_batch *b, int family, const char *table, bool del)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (t == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, (uint32_t)family);
	nlh = cmd_begin(b, del ? NFT_MSG_DELTABLE : NFT_MSG_NEWTABLE, family,
			del ? 0 : NLM_F_CREATE, "%s table %s", del ? "delete" : "add", table);
	return CMD_PUT(b, nlh, nftnl_table_nlmsg_build_payload, nftnl_table_free, t);
}

int
nat_nft_add_table(struct nat_nft_batch *b, int family, const char *table)
{
	return table_cmd(b, family, table, false);
}

int
nat_nft_del_table(struct nat_nft_batch *b, int family, const char *table)
{
	return table_cmd(b, family, table, true);
}

/* A set object naming table and set, NULL on ENOMEM. */
static struct nftnl_set *
set_obj(int family, const char *table, const char *set)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s == NULL)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)family);
	return s;
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
	return CMD_PUT(b, nlh, nftnl_chain_nlmsg_build_payload, nftnl_chain_free, c);
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
	return CMD_PUT(b, nlh, nftnl_rule_nlmsg_build_payload, nftnl_rule_free, r);
}

int
nat_nft_del_chain(struct nat_nft_batch *b, int family, const char *table, const char *chain)
{
	struct nftnl_chain *c = chain_obj(family, table, chain);
	struct nlmsghdr *nlh;

	if (c == NULL)
		return -ENOMEM;
	nlh = cmd_begin(b, NFT_MSG_DELCHAIN, family, 0, "delete chain %s %s", table, chain);
	return CMD_PUT(b, nlh, nftnl_chain_nlmsg_build_payload, nftnl_chain_free, c);
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
	struct nftnl_set *s = set_obj(family, table, sp->name);
	struct nlmsghdr *nlh;
	uint32_t flags = 0;

	if (s == NULL)
		return -ENOMEM;
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
	if (sp->timeout)
		flags |= NFT_SET_TIMEOUT;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if (set_udata(s, sp) < 0) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nlh = cmd_begin(b, NFT_MSG_NEWSET, family, NLM_F_CREATE, "add set %s %s", table, sp->name);
	return CMD_PUT(b, nlh, nftnl_set_nlmsg_build_payload, nftnl_set_free, s);
}

int
nat_nft_del_set(struct nat_nft_batch *b, int family, const char *table, const char *set)
{
	struct nftnl_set *s = set_obj(family, table, set);
	struct nlmsghdr *nlh;

	if (s == NULL)
		return -ENOMEM;
	nlh = cmd_begin(b, NFT_MSG_DELSET, family, 0, "delete set %s %s", table, set);
	return CMD_PUT(b, nlh, nftnl_set_nlmsg_build_payload, nftnl_set_free, s);
}

static int
elems_msg(struct nat_nft_batch *b, bool del, int family, const char *table, const char *set,
	  const struct nat_nft_elem *e, size_t n)
{
	struct nftnl_set *s = set_obj(family, table, set);
	struct nlmsghdr *nlh;
	size_t i;

	if (s == NULL)
		return -ENOMEM;
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
		if (e[i].timeout_ms)
			nftnl_set_elem_set_u64(x, NFTNL_SET_ELEM_TIMEOUT, e[i].timeout_ms);
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
	return CMD_PUT(b, nlh, nftnl_set_elems_nlmsg_build_payload, nftnl_set_free, s);
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
	struct nftnl_set *s = set_obj(family, table, set);
	struct nlmsghdr *nlh;

	if (s == NULL)
		return -ENOMEM;
	nlh = cmd_begin(b, NFT_MSG_DELSETELEM, family, 0, "flush set %s %s", table, set);
	return CMD_PUT(b, nlh, nftnl_set_elems_nlmsg_build_payload, nftnl_set_free, s);
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
	return CMD_PUT(b, nlh, nftnl_obj_nlmsg_build_payload, nftnl_obj_free, o);
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

		if (b->cmds[mid].seq == seq)
			return b->cmds[mid].desc;
		if (b->cmds[mid].seq < seq)
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

/* ---- elements ---- */

void
nat_nft_elem_ipv4(struct nat_nft_elem *e, const struct addr *a)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->key, &a->u.v4, 4);
	e->key_len = 4;
}

void
nat_nft_elem_ipv6(struct nat_nft_elem *e, const struct addr *a)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->key, &a->u.v6, 16);
	e->key_len = 16;
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

/* An address range [lo, last] as big-endian bytes (an IPv4 range in the first 4, the rest 0). */
struct range {
	uint8_t lo[16], last[16];
};

static int
cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return memcmp(x->lo, y->lo, sizeof(x->lo));
}

/* a + 1 in place; false when it wraps (a was the top of the space). */
static bool
addr_inc(uint8_t *a, size_t len)
{
	while (len--)
		if (++a[len] != 0)
			return true;
	return false;
}

static void
elem_key(struct nat_nft_elem *e, const uint8_t *key, size_t len, bool end)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, len);
	e->key_len = (uint32_t)len;
	e->interval_end = end;
}

size_t
nat_nft_elems_intervals(int family, const struct prefix *p, size_t n, struct nat_nft_elem *out)
{
	size_t alen = family == AF_INET6 ? 16 : 4, i, m = 0, k = 0;
	struct range *r = calloc(n ? n : 1, sizeof(*r));
	uint8_t zero[16] = { 0 }, next[16];

	if (r == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned len = p[i].len > alen * 8 ? (unsigned)alen * 8 : p[i].len;
		const uint8_t *a = family == AF_INET6 ? p[i].addr.u.v6.s6_addr
						      : (const uint8_t *)&p[i].addr.u.v4;

		if (p[i].addr.family != family)
			continue;
		for (size_t b = 0; b < alen; b++) {
			unsigned keep = len >= (b + 1) * 8 ? 8 : len > b * 8 ? len - b * 8 : 0;
			uint8_t mask = (uint8_t)(0xff00u >> keep);

			r[m].lo[b] = a[b] & mask;
			r[m].last[b] = (uint8_t)(a[b] | (uint8_t)~mask);
		}
		m++;
	}
	util_sort(r, m, sizeof(*r), cmp_range);
	/* Merge overlapping and adjacent ranges: the kernel wants disjoint intervals. */
	if (m > 1) {
		size_t j = 0;

		for (i = 1; i < m; i++) {
			memcpy(next, r[j].last, alen);
			if (memcmp(r[i].lo, r[j].last, alen) <= 0 ||
			    (addr_inc(next, alen) && memcmp(r[i].lo, next, alen) == 0)) {
				if (memcmp(r[i].last, r[j].last, alen) > 0)
					memcpy(r[j].last, r[i].last, alen);
			} else {
				r[++j] = r[i];
			}
		}
		m = j + 1;
	}
	if (m > 0 && memcmp(r[0].lo, zero, alen) != 0)
		elem_key(&out[k++], zero, alen, true);
	for (i = 0; i < m; i++) {
		elem_key(&out[k++], r[i].lo, alen, false);
		memcpy(next, r[i].last, alen);
		if (addr_inc(next, alen))
			elem_key(&out[k++], next, alen, true);
	}
	free(r);
	return k;
}

size_t
nat_nft_elems_ipv4_intervals(const struct prefix *p, size_t n, struct nat_nft_elem *out)
{
	return nat_nft_elems_intervals(AF_INET, p, n, out);
}
