/* SPDX-License-Identifier: MIT */
/* nat/ct.h -- conntrack entries over ctnetlink (libmnl): find and delete a flow */
#ifndef RGW_NAT_CT_H
#define RGW_NAT_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"

struct nlmsghdr;

/*
 * The daemon never runs the conntrack tool: IPCTNL_MSG_CT_GET and IPCTNL_MSG_CT_DELETE are
 * built here with libmnl and sent on a NETLINK_NETFILTER socket of the main loop. The kernel
 * answers a request within sendmsg, so each call is one blocking round trip of a few
 * microseconds. Builders and the parser are pure (unit-tested without root).
 */
struct nat_ct;

/* One direction of a flow. Ports are in host order; proto IPPROTO_TCP, _UDP, _SCTP or other
 * (no ports). src and dst have the same family. */
struct nat_ct_tuple {
	struct addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

/* What GET tells about an entry. */
struct nat_ct_entry {
	struct nat_ct_tuple orig, reply;
	uint32_t status; /* IPS_* bits */
	uint32_t mark;
	uint32_t id;
};

/* Build a GET (del false) or DELETE (del true) request for the entry whose original (reply
 * false) or reply (reply true) tuple is t, into buf (at least NAT_CT_MSG_MAX bytes). Returns
 * the message length, or -EINVAL for a tuple without address. Pure. */
#define NAT_CT_MSG_MAX 256
int nat_ct_build(void *buf, size_t cap, bool del, bool reply, const struct nat_ct_tuple *t,
		 uint32_t seq);
/* Parse an IPCTNL_MSG_CT_NEW message (GET's answer). 0, or -EINVAL when it is not one or a
 * tuple is incomplete. Pure. */
int nat_ct_parse(const struct nlmsghdr *nlh, struct nat_ct_entry *out);
/* The tuple seen from the other end (src <-> dst, sport <-> dport). */
void nat_ct_tuple_reverse(const struct nat_ct_tuple *t, struct nat_ct_tuple *out);

/* NULL on failure (logged). */
struct nat_ct *nat_ct_open(void);
void nat_ct_close(struct nat_ct *ct);
/* GET the entry whose original (reply false) or reply tuple is t. 0, -ENOENT when there is
 * none, other -errno. */
int nat_ct_get(struct nat_ct *ct, bool reply, const struct nat_ct_tuple *t,
	       struct nat_ct_entry *out);
/* DELETE the entry whose original tuple is t. 0, -ENOENT, other -errno. */
int nat_ct_delete(struct nat_ct *ct, const struct nat_ct_tuple *orig);

/*
 * Tear down every entry a flow seen as t (from either end, before or after NAT) can be: the
 * original tuple t, t reversed, the reply tuple t (the flow seen after DNAT, from the client)
 * and the reply tuple t reversed, as the original Realm Gateway did with conntrack -D.
 * The entries deleted go to found[] (at most max). Returns how many
 * were deleted (0 when none existed), or -errno when the socket failed.
 */
int nat_ct_teardown(struct nat_ct *ct, const struct nat_ct_tuple *t, struct nat_ct_entry *found,
		    size_t max);

#endif
