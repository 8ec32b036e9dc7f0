/* SPDX-License-Identifier: MIT */
/* nat/queue.h -- NFQUEUE over libmnl (nfnetlink_queue): first packets in, verdicts out */
#ifndef RGW_NAT_QUEUE_H
#define RGW_NAT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/*
 * One queue bound in copy-packet mode with a small copy range (the headers are enough),
 * fail-open off (no daemon: nothing is admitted), no bypass flag. The fd is non-blocking and
 * driven by the main loop: nat_queue_dispatch() reads what is there, asks the callback for
 * a verdict per packet and sends the verdicts of one read in one sendmsg. ENOBUFS (the
 * socket overflowed, the kernel dropped packets) is counted, logged rate-limited, survived.
 */
struct nat_queue;

/* Verdict for one packet: return NF_ACCEPT or NF_DROP; *mark (in: the packet's mark) is
 * set on the packet with the verdict. */
typedef int (*nat_queue_cb)(void *arg, const uint8_t *pkt, size_t len, uint32_t *mark);

/* Bind queue num. NULL on failure (logged). */
struct nat_queue *nat_queue_open(uint16_t num, uint32_t copy_range, uint32_t maxlen,
				 nat_queue_cb cb, void *arg);
void nat_queue_close(struct nat_queue *q);
int nat_queue_fd(const struct nat_queue *q);
/* Handle every packet that is ready (up to a budget). Returns packets handled or -errno. */
int nat_queue_dispatch(struct nat_queue *q);

struct nat_queue_stats {
	uint64_t packets;
	uint64_t accepted;
	uint64_t dropped;
	uint64_t malformed;	 /* messages that could not be parsed */
	uint64_t enobufs;	 /* receive overruns (packets lost in the kernel) */
	uint64_t errors;	 /* error replies to our verdicts, send failures */
	uint64_t kernel_dropped; /* queue full in the kernel (as of the last check) */
	uint64_t user_dropped;	 /* could not be sent to us (socket full) */
};
void nat_queue_get_stats(const struct nat_queue *q, struct nat_queue_stats *out);

/*
 * Read the kernel's drop counters of this queue (/proc/net/netfilter/nfnetlink_queue) and
 * log any increase (rate-limited): packets dropped there were never seen by the daemon
 * (fail-closed). Returns the number of new drops, or -errno.
 */
int nat_queue_check_drops(struct nat_queue *q);

/* One parsed NFQNL_MSG_PACKET (pure; pointers into the message). */
struct nat_queue_pkt {
	uint32_t id;
	uint32_t mark;
	const uint8_t *payload;
	size_t len;
	uint16_t queue;
};
/* 0, or -EINVAL for a message that is not a well-formed packet message. */
int nat_queue_parse(const struct nlmsghdr *nlh, struct nat_queue_pkt *out);

#endif
