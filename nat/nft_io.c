/* SPDX-License-Identifier: MIT */
/* nat/nft_io.c -- the nfnetlink socket: send one batch, collect per-command acks and errors */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "../common/log.h"
#include "nft_io.h"

struct nat_nft_io {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char last_error[256];
};

static struct log_rl rl_malformed = LOG_RL_INIT(5000, 5);

/* mnl_nlmsg_ok() casts nlmsg_len to int: a length above 2^31 from a corrupt message would
 * pass it. Compare unsigned. */
static bool
msg_ok(const struct nlmsghdr *nlh, int rem)
{
	return rem >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (uint32_t)rem;
}

struct nat_nft_io *
nat_nft_io_open(void)
{
	struct nat_nft_io *io = calloc(1, sizeof(*io));
	int one = 1, sz = 32 * 1024 * 1024;

	if (io == NULL)
		return NULL;
	io->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (io->nl == NULL) {
		log_warn("nat: netlink socket");
		free(io);
		return NULL;
	}
	if (mnl_socket_bind(io->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("nat: netlink bind");
		mnl_socket_close(io->nl);
		free(io);
		return NULL;
	}
	io->portid = mnl_socket_get_portid(io->nl);
	/* Acks of a large batch are queued all at once: make room (root may force it). */
	if (setsockopt(mnl_socket_get_fd(io->nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) ==
	    -1)
		(void)setsockopt(mnl_socket_get_fd(io->nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(mnl_socket_get_fd(io->nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	/* Errors carry only the header of the failing message, plus the kernel's reason. */
	(void)mnl_socket_setsockopt(io->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(io->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	io->seq = (uint32_t)time(NULL);
	return io;
}

void
nat_nft_io_close(struct nat_nft_io *io)
{
	if (io == NULL)
		return;
	mnl_socket_close(io->nl);
	free(io);
}

uint32_t
nat_nft_io_seq(const struct nat_nft_io *io)
{
	/* the commit thread numbers a batch it prepares from it (nat_prepare) */
	return __atomic_load_n(&io->seq, __ATOMIC_RELAXED);
}

const char *
nat_nft_io_last_error(const struct nat_nft_io *io)
{
	return io->last_error;
}

static const char *
extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);
	const char *msg = NULL;
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	/* Without NLM_F_CAPPED the whole failing message follows the nlmsgerr. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(err->msg);
	if (mnl_nlmsg_get_payload_len(nlh) < off)
		return NULL;
	mnl_attr_for_each(a, nlh, off)
	{
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			msg = mnl_attr_get_str(a);
	}
	return msg;
}

void
nat_nft_io_parse(const void *buf, size_t len, uint32_t portid, const struct nat_nft_batch *b,
		 struct nat_nft_replies *out)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;
	uint32_t first = nat_nft_batch_seq_first(b), last = nat_nft_batch_seq_last(b);

	while (msg_ok(nlh, rem)) {
		const struct nlmsgerr *err;
		const char *what, *why;

		if (nlh->nlmsg_pid != portid && nlh->nlmsg_pid != 0) {
			out->foreign++;
			goto next;
		}
		if (nlh->nlmsg_seq < first || nlh->nlmsg_seq > last) {
			out->foreign++;
			goto next;
		}
		if (nlh->nlmsg_type != NLMSG_ERROR) {
			/* Nothing else is expected for a batch without NLM_F_ECHO. */
			out->foreign++;
			goto next;
		}
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
			out->malformed++;
			log_rl(&rl_malformed, LOG_LVL_WARN,
			       "nat: netlink: truncated error message (seq %u, %u bytes)",
			       nlh->nlmsg_seq, nlh->nlmsg_len);
			goto next;
		}
		err = mnl_nlmsg_get_payload(nlh);
		if (nlh->nlmsg_seq > out->max_seq_seen)
			out->max_seq_seen = nlh->nlmsg_seq;
		if (err->error == 0) {
			out->acks++;
			goto next;
		}
		out->errors++;
		what = nat_nft_batch_describe(b, nlh->nlmsg_seq);
		why = extack_msg(nlh);
		if (out->first_error == 0) {
			out->first_error = err->error < 0 ? err->error : -EPROTO;
			out->first_error_seq = nlh->nlmsg_seq;
			snprintf(out->first_error_msg, sizeof(out->first_error_msg),
				 "\"%s\": %s%s%s", what ? what : "(unknown command)",
				 strerror(-out->first_error), why ? ": " : "", why ? why : "");
		}
		log_warnx("nat: nftables refused \"%s\": %s%s%s", what ? what : "(unknown command)",
			  strerror(err->error < 0 ? -err->error : EPROTO), why ? ": " : "",
			  why ? why : "");
next:
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	if (rem > 0) {
		out->malformed++;
		log_rl(&rl_malformed, LOG_LVL_WARN, "nat: netlink: %d trailing bytes in a reply",
		       rem);
	}
}

int
nat_nft_io_send(struct nat_nft_io *io, struct nat_nft_batch *b)
{
	struct nat_nft_replies rep;
	struct iovec *iov;
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { 0 };
	uint8_t *rbuf;
	size_t rlen = 256 * 1024, expected;
	int n, fd = mnl_socket_get_fd(io->nl), rc = 0;
	ssize_t r;

	io->last_error[0] = '\0';
	if (nat_nft_batch_finish(b) < 0)
		return -ENOMEM;
	expected = nat_nft_batch_ncmds(b);
	if (expected == 0)
		return 0;
	n = nat_nft_batch_iov(b, &iov);
	if (n < 0)
		return n;
	msg.msg_name = &snl;
	msg.msg_namelen = sizeof(snl);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n;
	/* Stale replies of an earlier batch (none expected) must not be confused with ours. */
	rbuf = malloc(rlen);
	if (rbuf == NULL)
		return -ENOMEM;
	while (recv(fd, rbuf, rlen, MSG_DONTWAIT) > 0)
		;
	if (sendmsg(fd, &msg, 0) == -1) {
		rc = -errno;
		log_warn("nat: netlink sendmsg (%zu commands)", expected);
		goto out;
	}
	__atomic_store_n(&io->seq, nat_nft_batch_seq_last(b) + 1, __ATOMIC_RELAXED);
	memset(&rep, 0, sizeof(rep));
	for (;;) {
		r = recv(fd, rbuf, rlen, MSG_DONTWAIT);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Acks were dropped: the outcome of the batch is unknown to us. */
				log_warnx("nat: netlink receive buffer overrun while reading acks");
				rc = -ENOBUFS;
				continue;
			}
			break;
		}
		if (r == 0)
			break;
		nat_nft_io_parse(rbuf, (size_t)r, io->portid, b, &rep);
		if (rep.acks + rep.errors >= expected)
			break;
	}
	if (rep.first_error) {
		rc = rep.first_error;
		memcpy(io->last_error, rep.first_error_msg, sizeof(io->last_error));
	} else if (rc == 0 && rep.acks + rep.errors < expected) {
		log_warnx("nat: netlink: %zu of %zu acks missing", expected - rep.acks - rep.errors,
			  expected);
		rc = -EPROTO;
	}
out:
	free(rbuf);
	return rc;
}
