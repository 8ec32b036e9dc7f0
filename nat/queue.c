/* SPDX-License-Identifier: MIT */
/* nat/queue.c -- NFQUEUE over libmnl (nfnetlink_queue): first packets in, verdicts out */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "../common/log.h"
#include "../common/histo.h"
#include "queue.h"

#define MIN_U64(a, b) ((uint64_t)(a) < (uint64_t)(b) ? (uint64_t)(a) : (uint64_t)(b))

/* Packets handled per dispatch call before returning to the loop (fairness). */
#define DISPATCH_BUDGET 1024
#define RBUF_SIZE	(256 * 1024)
#define VBUF_SIZE	(64 * 1024)

struct nat_queue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t num;
	nat_queue_cb cb;
	void *arg;
	uint8_t *rbuf;
	uint8_t *vbuf;
	size_t vlen;
	uint32_t seq;
	struct nat_queue_stats st;
	struct log_rl rl_malformed, rl_enobufs, rl_errors;
};

/* mnl_nlmsg_ok() casts nlmsg_len to int: a length above 2^31 from a corrupt message would
 * pass it. Compare unsigned. */
static bool
msg_ok(const struct nlmsghdr *nlh, int rem)
{
	return rem >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (uint32_t)rem;
}

static struct nlmsghdr *
nfq_hdr(void *buf, uint16_t type, uint16_t num, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(num);
	return nlh;
}

/* Send one config message and wait for its ack (blocking socket at this point). */
static int
config(struct nat_queue *q, struct nlmsghdr *nlh)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	r = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
	if (r < 0)
		return -errno;
	if (mnl_cb_run(buf, (size_t)r, nlh->nlmsg_seq, q->portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

struct nat_queue *
nat_queue_open(uint16_t num, uint32_t copy_range, uint32_t maxlen, nat_queue_cb cb, void *arg)
{
	struct nat_queue *q = calloc(1, sizeof(*q));
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND, .pf = 0 };
	struct nfqnl_msg_config_params params;
	int sz = 8 * 1024 * 1024, rc;

	if (q == NULL)
		return NULL;
	q->num = num;
	q->cb = cb;
	q->arg = arg;
	q->rl_malformed = (struct log_rl)LOG_RL_INIT(5000, 5);
	q->rl_enobufs = (struct log_rl)LOG_RL_INIT(5000, 2);
	q->rl_errors = (struct log_rl)LOG_RL_INIT(5000, 5);
	q->rbuf = malloc(RBUF_SIZE);
	q->vbuf = malloc(VBUF_SIZE);
	if (q->rbuf == NULL || q->vbuf == NULL)
		goto fail;
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (q->nl == NULL || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("nat: queue %u: netlink socket", num);
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	q->seq = 1;
	if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));

	nlh = nfq_hdr(buf, NFQNL_MSG_CONFIG, num, q->seq++);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	if ((rc = config(q, nlh)) < 0) {
		errno = -rc;
		log_warn("nat: cannot bind NFQUEUE %u (another process bound to it?)", num);
		goto fail;
	}
	nlh = nfq_hdr(buf, NFQNL_MSG_CONFIG, num, q->seq++);
	params.copy_range = htonl(copy_range);
	params.copy_mode = NFQNL_COPY_PACKET;
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(maxlen));
	/* Fail-closed: FAIL_OPEN explicitly off. */
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(0));
	if ((rc = config(q, nlh)) < 0) {
		errno = -rc;
		log_warn("nat: NFQUEUE %u: cannot set copy mode", num);
		goto fail;
	}
	/* From now on the loop drives the socket (recv with MSG_DONTWAIT). */
	return q;
fail:
	nat_queue_close(q);
	return NULL;
}

void
nat_queue_close(struct nat_queue *q)
{
	if (q == NULL)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->rbuf);
	free(q->vbuf);
	free(q);
}

int
nat_queue_check_drops(struct nat_queue *q)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	unsigned long long num, portid, total, mode, range, qd, ud;
	char line[256];
	int rc = 0;

	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %llu %llu %llu %llu %llu %llu", &num, &portid, &total, &mode,
			   &range, &qd, &ud) != 7 ||
		    num != q->num || portid != q->portid)
			continue;
		if (qd > q->st.kernel_dropped || ud > q->st.user_dropped) {
			rc = (int)MIN_U64(qd - q->st.kernel_dropped + ud - q->st.user_dropped,
					  INT32_MAX);
			log_rl(&q->rl_enobufs, LOG_LVL_WARN,
			       "nat: queue %u overflow: the kernel dropped %llu first packets "
			       "(queue full %llu, socket full %llu in total)",
			       q->num, (unsigned long long)rc, qd, ud);
		}
		q->st.kernel_dropped = qd;
		q->st.user_dropped = ud;
		break;
	}
	fclose(f);
	return rc;
}

int
nat_queue_fd(const struct nat_queue *q)
{
	return mnl_socket_get_fd(q->nl);
}

void
nat_queue_get_stats(const struct nat_queue *q, struct nat_queue_stats *out)
{
	*out = q->st;
}

static int
attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NFQA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

int
nat_queue_parse(const struct nlmsghdr *nlh, struct nat_queue_pkt *out)
{
	const struct nlattr *tb[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nfgenmsg *g;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)))
		return -EINVAL;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return -EINVAL;
	g = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, tb) < 0)
		return -EINVAL;
	if (tb[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(tb[NFQA_PACKET_HDR]) < sizeof(*ph))
		return -EINVAL;
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	out->id = ntohl(ph->packet_id);
	out->queue = ntohs(g->res_id);
	if (tb[NFQA_MARK]) {
		if (mnl_attr_get_payload_len(tb[NFQA_MARK]) < 4)
			return -EINVAL;
		out->mark = ntohl(mnl_attr_get_u32(tb[NFQA_MARK]));
	}
	if (tb[NFQA_PAYLOAD]) {
		out->payload = mnl_attr_get_payload(tb[NFQA_PAYLOAD]);
		out->len = mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]);
	}
	return 0;
}

static void
flush_verdicts(struct nat_queue *q)
{
	if (q->vlen == 0)
		return;
	if (mnl_socket_sendto(q->nl, q->vbuf, q->vlen) < 0) {
		q->st.errors++;
		log_rl(&q->rl_errors, LOG_LVL_WARN, "nat: queue %u: sending verdicts: %s", q->num,
		       strerror(errno));
	}
	q->vlen = 0;
}

static void
add_verdict(struct nat_queue *q, uint32_t id, int verdict, uint32_t mark)
{
	struct nfqnl_msg_verdict_hdr vh;
	struct nlmsghdr *nlh;

	/* One verdict message is < 64 bytes: flush before the buffer could overflow. */
	if (q->vlen + 128 > VBUF_SIZE)
		flush_verdicts(q);
	nlh = nfq_hdr(q->vbuf + q->vlen, NFQNL_MSG_VERDICT, q->num, q->seq++);
	vh.verdict = htonl((uint32_t)verdict);
	vh.id = htonl(id);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(mark));
	q->vlen += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void
handle(struct nat_queue *q, const struct nlmsghdr *nlh)
{
	struct nat_queue_pkt p;
	uint32_t mark;
	uint64_t t0;
	int v;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*e) && e->error != 0) {
			q->st.errors++;
			log_rl(&q->rl_errors, LOG_LVL_WARN, "nat: queue %u: kernel error %s",
			       q->num, strerror(-e->error));
		}
		return;
	}
	if (nat_queue_parse(nlh, &p) < 0) {
		q->st.malformed++;
		log_rl(&q->rl_malformed, LOG_LVL_WARN,
		       "nat: queue %u: malformed message (type 0x%x, %u bytes) skipped", q->num,
		       nlh->nlmsg_type, nlh->nlmsg_len);
		return;
	}
	q->st.packets++;
	mark = p.mark;
	t0 = histo_now_ns();
	v = q->cb(q->arg, p.payload, p.len, &mark);
	histo_since(&histo_nat_verdict, t0);
	if (v == NF_ACCEPT)
		q->st.accepted++;
	else
		q->st.dropped++;
	add_verdict(q, p.id, v, mark);
}

int
nat_queue_dispatch(struct nat_queue *q)
{
	int handled = 0;

	while (handled < DISPATCH_BUDGET) {
		ssize_t r = recv(mnl_socket_get_fd(q->nl), q->rbuf, RBUF_SIZE, MSG_DONTWAIT);
		const struct nlmsghdr *nlh;
		int rem;

		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* The kernel dropped packets for us; they are lost (fail-closed). */
				q->st.enobufs++;
				log_rl(&q->rl_enobufs, LOG_LVL_WARN,
				       "nat: queue %u: receive buffer overrun, packets dropped "
				       "(%llu times)",
				       q->num, (unsigned long long)q->st.enobufs);
				continue;
			}
			if (errno == EAGAIN)
				break;
			flush_verdicts(q);
			return -errno;
		}
		if (r == 0)
			break;
		nlh = (const struct nlmsghdr *)q->rbuf;
		rem = (int)r;
		while (msg_ok(nlh, rem)) {
			handle(q, nlh);
			handled++;
			nlh = mnl_nlmsg_next(nlh, &rem);
		}
		if (rem > 0) {
			q->st.malformed++;
			log_rl(&q->rl_malformed, LOG_LVL_WARN,
			       "nat: queue %u: %d trailing bytes skipped", q->num, rem);
		}
		/* Verdicts of one read go out together. */
		flush_verdicts(q);
	}
	flush_verdicts(q);
	return handled;
}
