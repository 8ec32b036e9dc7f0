/* SPDX-License-Identifier: MIT */
/* nat/nft_io.h -- the nfnetlink socket: send one batch, collect per-command acks and errors */
#ifndef RGW_NAT_NFT_IO_H
#define RGW_NAT_NFT_IO_H

#include <stddef.h>
#include <stdint.h>

#include "nft_msg.h"

/*
 * One NETLINK_NETFILTER socket owned by the main loop. Batches are sent with sendmsg; the
 * kernel processes a batch synchronously in sendmsg, so all replies are queued when it
 * returns and are drained without blocking. Every command carries NLM_F_ACK: each one gets
 * an ack or an error, mapped back by sequence number and logged with the command's
 * description. Malformed replies are logged (rate-limited) and skipped.
 */
struct nat_nft_io;

/* NULL on failure (errno set, logged). */
struct nat_nft_io *nat_nft_io_open(void);
void nat_nft_io_close(struct nat_nft_io *io);
/* Next free sequence number: pass it to nat_nft_batch_new(). */
uint32_t nat_nft_io_seq(const struct nat_nft_io *io);

/*
 * Finish (if needed) and send b, then drain the replies. Returns 0 when every command was
 * acked without error, the first error (-errno) otherwise (every failing command is
 * logged). -ETIMEDOUT... never: replies missing after the drain give -EPROTO.
 */
int nat_nft_io_send(struct nat_nft_io *io, struct nat_nft_batch *b);
/* What the kernel refused in the last failed send ("\"delete chain ...\": Device or resource
 * busy"), "" after a success. */
const char *nat_nft_io_last_error(const struct nat_nft_io *io);

/* Result of parsing one buffer of replies (pure; tests feed it crafted bytes). */
struct nat_nft_replies {
	size_t acks;	  /* NLMSG_ERROR with error 0 */
	size_t errors;	  /* NLMSG_ERROR with error != 0 */
	size_t malformed; /* truncated or inconsistent messages */
	size_t foreign;	  /* messages for another port id or outside the batch */
	int first_error;  /* -errno of the first error, 0 if none */
	uint32_t first_error_seq;
	char first_error_msg[256]; /* the failing command and the kernel's reason, "" if none */
	uint32_t max_seq_seen;	   /* highest batch seq acked or failed */
};

/*
 * Parse len bytes of netlink replies for batch b sent from portid; errors are logged with
 * the description of the failing command and the kernel's extended ack message, if any.
 */
void nat_nft_io_parse(const void *buf, size_t len, uint32_t portid, const struct nat_nft_batch *b,
		      struct nat_nft_replies *out);

#endif
