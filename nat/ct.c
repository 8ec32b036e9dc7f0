/* SPDX-License-Identifier: MIT */
/* nat/ct.c -- conntrack entries over ctnetlink (libmnl): find and delete a flow */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "../common/log.h"
#include "ct.h"

struct nat_ct {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint8_t *buf;
};

#define CT_RBUF (64 * 1024)

static bool has_ports(uint8_t proto);
static int put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct nat_ct_tuple *t);
static int parse_tuple(const struct nlattr *nest, struct nat_ct_tuple *t);
static int request(struct nat_ct *ct, bool del, bool reply, const struct nat_ct_tuple *t,
		   struct nat_ct_entry *out);

static bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_DCCP;
}

static int
put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct nat_ct_tuple *t)
{
	struct nlattr *tup, *ip, *pr;
	bool v4 = t->src.family == AF_INET;

	tup = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (v4) {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, &t->src.u.v4);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, &t->dst.u.v4);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, &t->src.u.v6);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, &t->dst.u.v6);
	}
	mnl_attr_nest_end(nlh, ip);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (has_ports(t->proto)) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	}
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, tup);
	return 0;
}

int
nat_ct_build(void *buf, size_t cap, bool del, bool reply, const struct nat_ct_tuple *t,
	     uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	if (cap < NAT_CT_MSG_MAX || (t->src.family != AF_INET && t->src.family != AF_INET6) ||
	    t->dst.family != t->src.family)
		return -EINVAL;
	memset(buf, 0, NAT_CT_MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type =
		(NFNL_SUBSYS_CTNETLINK << 8) | (del ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_GET);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = (uint8_t)t->src.family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	put_tuple(nlh, reply ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG, t);
	return (int)nlh->nlmsg_len;
}

void
nat_ct_tuple_reverse(const struct nat_ct_tuple *t, struct nat_ct_tuple *out)
{
	struct nat_ct_tuple r = *t;

	r.src = t->dst;
	r.dst = t->src;
	r.sport = t->dport;
	r.dport = t->sport;
	*out = r;
}

struct attrs {
	const struct nlattr *tb[CTA_MAX + 1];
	int max;
};

static int
attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *at = data;
	int type = mnl_attr_get_type(a);

	if (type <= at->max)
		at->tb[type] = a;
	return MNL_CB_OK;
}

static int
parse_tuple(const struct nlattr *nest, struct nat_ct_tuple *t)
{
	struct attrs tup = { .max = CTA_TUPLE_MAX }, ip = { .max = CTA_IP_MAX },
		     pr = { .max = CTA_PROTO_MAX };

	memset(t, 0, sizeof(*t));
	if (mnl_attr_parse_nested(nest, attr_cb, &tup) < 0 || tup.tb[CTA_TUPLE_IP] == NULL ||
	    tup.tb[CTA_TUPLE_PROTO] == NULL)
		return -EINVAL;
	if (mnl_attr_parse_nested(tup.tb[CTA_TUPLE_IP], attr_cb, &ip) < 0 ||
	    mnl_attr_parse_nested(tup.tb[CTA_TUPLE_PROTO], attr_cb, &pr) < 0)
		return -EINVAL;
	if (ip.tb[CTA_IP_V4_SRC] && ip.tb[CTA_IP_V4_DST] &&
	    mnl_attr_get_payload_len(ip.tb[CTA_IP_V4_SRC]) == 4 &&
	    mnl_attr_get_payload_len(ip.tb[CTA_IP_V4_DST]) == 4) {
		t->src.family = t->dst.family = AF_INET;
		memcpy(&t->src.u.v4, mnl_attr_get_payload(ip.tb[CTA_IP_V4_SRC]), 4);
		memcpy(&t->dst.u.v4, mnl_attr_get_payload(ip.tb[CTA_IP_V4_DST]), 4);
	} else if (ip.tb[CTA_IP_V6_SRC] && ip.tb[CTA_IP_V6_DST] &&
		   mnl_attr_get_payload_len(ip.tb[CTA_IP_V6_SRC]) == 16 &&
		   mnl_attr_get_payload_len(ip.tb[CTA_IP_V6_DST]) == 16) {
		t->src.family = t->dst.family = AF_INET6;
		memcpy(&t->src.u.v6, mnl_attr_get_payload(ip.tb[CTA_IP_V6_SRC]), 16);
		memcpy(&t->dst.u.v6, mnl_attr_get_payload(ip.tb[CTA_IP_V6_DST]), 16);
	} else {
		return -EINVAL;
	}
	if (pr.tb[CTA_PROTO_NUM] == NULL || mnl_attr_get_payload_len(pr.tb[CTA_PROTO_NUM]) < 1)
		return -EINVAL;
	t->proto = mnl_attr_get_u8(pr.tb[CTA_PROTO_NUM]);
	if (pr.tb[CTA_PROTO_SRC_PORT] && mnl_attr_get_payload_len(pr.tb[CTA_PROTO_SRC_PORT]) >= 2)
		t->sport = ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_SRC_PORT]));
	if (pr.tb[CTA_PROTO_DST_PORT] && mnl_attr_get_payload_len(pr.tb[CTA_PROTO_DST_PORT]) >= 2)
		t->dport = ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_DST_PORT]));
	return 0;
}

int
nat_ct_parse(const struct nlmsghdr *nlh, struct nat_ct_entry *out)
{
	struct attrs at = { .max = CTA_MAX };

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)) ||
	    nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW))
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &at) < 0)
		return -EINVAL;
	if (at.tb[CTA_TUPLE_ORIG] == NULL || at.tb[CTA_TUPLE_REPLY] == NULL ||
	    parse_tuple(at.tb[CTA_TUPLE_ORIG], &out->orig) < 0 ||
	    parse_tuple(at.tb[CTA_TUPLE_REPLY], &out->reply) < 0)
		return -EINVAL;
	if (at.tb[CTA_STATUS] && mnl_attr_get_payload_len(at.tb[CTA_STATUS]) >= 4)
		out->status = ntohl(mnl_attr_get_u32(at.tb[CTA_STATUS]));
	if (at.tb[CTA_MARK] && mnl_attr_get_payload_len(at.tb[CTA_MARK]) >= 4)
		out->mark = ntohl(mnl_attr_get_u32(at.tb[CTA_MARK]));
	if (at.tb[CTA_ID] && mnl_attr_get_payload_len(at.tb[CTA_ID]) >= 4)
		out->id = ntohl(mnl_attr_get_u32(at.tb[CTA_ID]));
	return 0;
}

struct nat_ct *
nat_ct_open(void)
{
	struct nat_ct *ct = calloc(1, sizeof(*ct));
	struct timeval tv = { .tv_sec = 1 };

	if (ct == NULL)
		return NULL;
	ct->buf = malloc(CT_RBUF);
	ct->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (ct->buf == NULL || ct->nl == NULL ||
	    mnl_socket_bind(ct->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("nat: conntrack netlink socket");
		nat_ct_close(ct);
		return NULL;
	}
	/* The kernel answers within sendmsg; the bound only guards against a lost reply. */
	(void)setsockopt(mnl_socket_get_fd(ct->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ct->portid = mnl_socket_get_portid(ct->nl);
	ct->seq = (uint32_t)time(NULL);
	return ct;
}

void
nat_ct_close(struct nat_ct *ct)
{
	if (ct == NULL)
		return;
	if (ct->nl)
		mnl_socket_close(ct->nl);
	free(ct->buf);
	free(ct);
}

/* One request and its answer: an entry (GET), then the ack or the error. */
static int
request(struct nat_ct *ct, bool del, bool reply, const struct nat_ct_tuple *t,
	struct nat_ct_entry *out)
{
	uint8_t msg[NAT_CT_MSG_MAX];
	uint32_t seq = ++ct->seq;
	bool got = false;
	int len = nat_ct_build(msg, sizeof(msg), del, reply, t, seq);

	if (len < 0)
		return len;
	if (mnl_socket_sendto(ct->nl, msg, (size_t)len) < 0)
		return -errno;
	for (;;) {
		ssize_t r = mnl_socket_recvfrom(ct->nl, ct->buf, CT_RBUF);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)ct->buf;
		int rem = (int)r;

		if (r < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != ct->portid)
				continue; /* a late answer to an earlier request */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return -EPROTO;
				if (e->error != 0)
					return e->error;
				return del || got ? 0 : -ENOENT;
			}
			if (!del && out != NULL && nat_ct_parse(nlh, out) == 0)
				got = true;
		}
	}
}

int
nat_ct_get(struct nat_ct *ct, bool reply, const struct nat_ct_tuple *t, struct nat_ct_entry *out)
{
	return request(ct, false, reply, t, out);
}

int
nat_ct_delete(struct nat_ct *ct, const struct nat_ct_tuple *orig)
{
	return request(ct, true, false, orig, NULL);
}

int
nat_ct_teardown(struct nat_ct *ct, const struct nat_ct_tuple *t, struct nat_ct_entry *found,
		size_t max)
{
	struct nat_ct_tuple forms[4];
	struct nat_ct_entry e;
	int i, n = 0, rc;

	forms[0] = *t;
	nat_ct_tuple_reverse(t, &forms[1]);
	forms[2] = *t;
	forms[3] = forms[1];
	for (i = 0; i < 4; i++) {
		rc = nat_ct_get(ct, i >= 2, &forms[i], &e);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		rc = nat_ct_delete(ct, &e.orig);
		if (rc == -ENOENT)
			continue; /* gone meanwhile (or an earlier form was the same entry) */
		if (rc < 0)
			return rc;
		if ((size_t)n < max)
			found[n] = e;
		n++;
	}
	return n;
}
