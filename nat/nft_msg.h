/* SPDX-License-Identifier: MIT */
/* nat/nft_msg.h -- pure builders of nftables netlink batches (libnftnl), no I/O */
#ifndef RGW_NAT_NFT_MSG_H
#define RGW_NAT_NFT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../common/addr.h"
#include "nft_expr.h"

struct nftnl_rule;

/*
 * A batch is one nftables transaction: BATCH_BEGIN, commands, BATCH_END, built in an
 * nftnl_batch (multi-page, never split, so the kernel commits all or nothing). Every command
 * gets its own sequence number and a short description, so that an error reply can be
 * mapped back to what failed. Commands are sent without NLM_F_ACK except the last, so the
 * kernel answers only errors plus one final ack (see nft_io.c).
 * Pure: builds bytes in memory. Any thread, one batch per thread.
 */
struct nat_nft_batch;

#define NAT_NFT_NAME_MAX 32 /* table, chain, set and object names, NUL included */

/* nft's datatype numbers (nftables include/datatype.h, not a public header). */
enum {
	NAT_NFT_TYPE_VERDICT = 1,
	NAT_NFT_TYPE_IPADDR = 7,
	NAT_NFT_TYPE_IP6ADDR = 8,
	NAT_NFT_TYPE_INET_SERVICE = 13,
	NAT_NFT_TYPE_MARK = 19,
	NAT_NFT_TYPE_IFNAME = 41,
};

/* seq_start: first sequence number (BATCH_BEGIN). NULL on ENOMEM. */
struct nat_nft_batch *nat_nft_batch_new(uint32_t seq_start);
void nat_nft_batch_free(struct nat_nft_batch *b);

/* Commands. family is NFPROTO_INET for rgwd's table. 0 or -ENOMEM / -EINVAL. */
int nat_nft_add_table(struct nat_nft_batch *b, int family, const char *table);
int nat_nft_del_table(struct nat_nft_batch *b, int family, const char *table);
/* Base chain when type != NULL ("filter", "nat"), with hook (NF_INET_*), prio and policy
 * (NF_ACCEPT / NF_DROP); regular chain otherwise. */
int nat_nft_add_chain(struct nat_nft_batch *b, int family, const char *table, const char *chain,
		      const char *type, int hook, int prio, int policy);
int nat_nft_flush_chain(struct nat_nft_batch *b, int family, const char *table, const char *chain);
int nat_nft_del_chain(struct nat_nft_batch *b, int family, const char *table, const char *chain);
/* Takes ownership of r (freed here, also on error). desc is copied. */
int nat_nft_add_rule(struct nat_nft_batch *b, struct nftnl_rule *r, const char *desc);
/* Same, but r stays owned by the caller. */
int nat_nft_add_rule_ref(struct nat_nft_batch *b, const struct nftnl_rule *r, const char *desc);
/* Serialise r as a NEWRULE message payload (for comparing rules). Caller frees *out. */
int nat_nft_rule_bytes(const struct nftnl_rule *r, uint8_t **out, size_t *len);

/* A set or map. data_type 0: plain set; NAT_NFT_TYPE_VERDICT: verdict map. */
struct nat_nft_set_spec {
	char name[NAT_NFT_NAME_MAX];
	uint32_t key_type, key_len;
	uint32_t data_type, data_len;
	bool interval;
	bool timeout; /* elements may carry a timeout (flags timeout) */
};
int nat_nft_add_set(struct nat_nft_batch *b, int family, const char *table,
		    const struct nat_nft_set_spec *s, uint32_t set_id);
int nat_nft_del_set(struct nat_nft_batch *b, int family, const char *table, const char *set);

/* One element: key, optional data (maps) or chain to jump to (verdict maps). */
struct nat_nft_elem {
	uint8_t key[16];
	uint8_t key_len;
	bool interval_end;
	uint8_t data[16];
	uint8_t data_len;
	char jump[NAT_NFT_NAME_MAX]; /* verdict maps: "jump <chain>" */
	uint64_t timeout_ms;	     /* sets with timeout: the element expires (0: never) */
};
/* Add (or delete, when del) n elements in as many messages as needed. */
int nat_nft_elems(struct nat_nft_batch *b, bool del, int family, const char *table, const char *set,
		  const struct nat_nft_elem *e, size_t n);
/* Remove every element of a set. */
int nat_nft_flush_set(struct nat_nft_batch *b, int family, const char *table, const char *set);

/* Conntrack helper object (type "ftp", "sip", "tftp"), l4proto IPPROTO_TCP / IPPROTO_UDP. */
int nat_nft_add_ct_helper(struct nat_nft_batch *b, int family, const char *table, const char *name,
			  const char *helper, uint8_t l4proto);
int nat_nft_del_ct_helper(struct nat_nft_batch *b, int family, const char *table, const char *name);

/* Close the batch (BATCH_END). After this, no more commands. 0 or -ENOMEM. */
int nat_nft_batch_finish(struct nat_nft_batch *b);
/* Number of commands between BEGIN and END. */
size_t nat_nft_batch_ncmds(const struct nat_nft_batch *b);
/* First and last sequence numbers used (BEGIN and END included). */
uint32_t nat_nft_batch_seq_first(const struct nat_nft_batch *b);
uint32_t nat_nft_batch_seq_last(const struct nat_nft_batch *b);
/* Description of the command sent with seq ("add rule inet rgw filter_fwd: ..."), or NULL. */
const char *nat_nft_batch_describe(const struct nat_nft_batch *b, uint32_t seq);
/* The bytes, as an iovec array (valid until the batch is freed). Returns the count. */
int nat_nft_batch_iov(struct nat_nft_batch *b, struct iovec **iov);
/* The bytes as one contiguous copy (tests); caller frees. NULL on ENOMEM. */
uint8_t *nat_nft_batch_bytes(struct nat_nft_batch *b, size_t *len);

/* Elements: helpers that fill key/data in the byte order nft uses. */
void nat_nft_elem_ipv4(struct nat_nft_elem *e, const struct addr *a);
void nat_nft_elem_ipv6(struct nat_nft_elem *e, const struct addr *a);
void nat_nft_elem_ifname(struct nat_nft_elem *e, const char *ifname);
void nat_nft_elem_port(struct nat_nft_elem *e, uint16_t port);
void nat_nft_elem_mark(struct nat_nft_elem *e, uint32_t mark);
/*
 * Interval elements for the prefixes of family (AF_INET or AF_INET6; others in p are
 * skipped), as nft sends them: a start element per merged range, an end element at the first
 * address after it (omitted at the top of the space) and a leading end element at 0.0.0.0 / ::
 * when no range starts there. Overlapping and adjacent prefixes are merged. Writes at most
 * 2 * n + 1 elements into out; returns the count (0 on ENOMEM).
 */
size_t nat_nft_elems_intervals(int family, const struct prefix *p, size_t n,
			       struct nat_nft_elem *out);
/* nat_nft_elems_intervals(AF_INET, ...) */
size_t nat_nft_elems_ipv4_intervals(const struct prefix *p, size_t n, struct nat_nft_elem *out);

#endif
