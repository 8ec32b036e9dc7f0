/* SPDX-License-Identifier: MIT */
/* dns/udp.c -- UDP listeners: recvmmsg/sendmmsg batches, replies from the query's address */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "../common/histo.h"
#include "server.h"

/* One call of dns_udp_serve: where it reads, answers and counts. */
struct serve {
	struct dns *d;
	struct dns_listener *l;
	struct dns_udp_batch *b;
	struct dns_stats *st;
	struct dns_answer_ctx ctx;
	bool main_thread; /* workers neither allocate, forward nor handle UPDATE */
};

static void set_reply_ctl(const struct dns_reply_to *to, struct msghdr *mh, uint8_t *ctl,
			  size_t ctlsz);
static void handoff(struct dns *d, struct dns_listener *l, struct msghdr *mh, const uint8_t *pkt,
		    size_t len);
static int batch_recv(int fd, struct dns_udp_batch *b);
static bool answer_one(struct serve *s, int i, unsigned ns);
static void queue_reply(struct serve *s, int i, unsigned ns, size_t len);
static void batch_send(struct serve *s, unsigned ns);

static struct log_rl rl_send = LOG_RL_INIT(5000, 5);

int
dns_udp_open(struct dns *d, struct dns_listener *l, bool reuseport)
{
	const struct sockaddr *sa = (const struct sockaddr *)&l->ap.ss;
	int one = 1, fd;
	char buf[ADDR_PORT_STRLEN];

	l->d = d;
	l->tcp = false;
	l->family = sa->sa_family;
	fd = socket(l->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	/* no SO_REUSEADDR: on UDP it would let a second daemon share the port silently */
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
		goto fail;
	if (l->family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) == -1)
			goto fail;
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == -1) {
		goto fail;
	}
	int rcv = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)); /* best effort */
	/* the address may arrive later (an HA standby's VRRP address) */
	if (addr_sock_freebind(fd, l->family) < 0)
		goto fail;
	if (bind(fd, sa, l->ap.len) == -1)
		goto fail;
	struct addr a;
	addr_port_addr(&l->ap, &a);
	l->wildcard = addr_is_any(&a);
	l->fd = fd;
	return 0;
fail:;
	int e = errno;
	log_warn("dns: UDP %s", addr_port_ntop(&l->ap, buf, sizeof(buf)));
	if (fd != -1)
		close(fd);
	return -e;
}

struct dns_udp_batch *
dns_udp_batch_new(size_t out_size)
{
	struct dns_udp_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->sbuf_size = out_size;
	b->sbuf = malloc(DNS_UDP_BATCH * out_size);
	if (!b->sbuf) {
		free(b);
		return NULL;
	}
	for (size_t i = 0; i < DNS_UDP_BATCH; i++) {
		b->riov[i].iov_base = b->rbuf[i];
		b->riov[i].iov_len = DNS_UDP_QMAX;
	}
	return b;
}

void
dns_udp_batch_free(struct dns_udp_batch *b)
{
	if (!b)
		return;
	free(b->sbuf);
	free(b);
}

void
dns_udp_reply_to(struct dns_listener *l, struct msghdr *mh, struct dns_reply_to *to)
{
	memset(to, 0, sizeof(*to));
	to->l = l;
	memcpy(&to->peer, mh->msg_name, mh->msg_namelen);
	to->peer_len = mh->msg_namelen;
	if (!l->wildcard)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			to->local.family = AF_INET;
			to->local.u.v4 = pi.ipi_addr;
			to->ifindex = pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			to->local.family = AF_INET6;
			to->local.u.v6 = pi.ipi6_addr;
			to->ifindex = (int)pi.ipi6_ifindex;
		}
	}
}

/* Source address of the reply = destination of the query (Knot cmsg_handle). */
static void
set_reply_ctl(const struct dns_reply_to *to, struct msghdr *mh, uint8_t *ctl, size_t ctlsz)
{
	mh->msg_control = NULL;
	mh->msg_controllen = 0;
	if (!to->l->wildcard || !to->local.family)
		return;
	memset(ctl, 0, ctlsz);
	mh->msg_control = ctl;
	if (to->local.family == AF_INET) {
		mh->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
		struct cmsghdr *c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = to->local.u.v4;
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		mh->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
		struct cmsghdr *c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
		struct in6_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi6_addr = to->local.u.v6;
		pi.ipi6_ifindex = (unsigned)to->ifindex;
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
}

void
dns_udp_reply(const struct dns_reply_to *to, const uint8_t *msg, size_t len)
{
	struct msghdr mh;
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	uint8_t ctl[64];

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)(uintptr_t)&to->peer;
	mh.msg_namelen = to->peer_len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	set_reply_ctl(to, &mh, ctl, sizeof(ctl));
	if (sendmsg(to->l->fd, &mh, MSG_DONTWAIT) == -1)
		log_rl(&rl_send, LOG_LVL_WARN, "dns: UDP send: %s", strerror(errno));
}

/* A worker cannot allocate: copy the query to the main thread's queue. */
static void
handoff(struct dns *d, struct dns_listener *l, struct msghdr *mh, const uint8_t *pkt, size_t len)
{
	struct dns_handoff *h = malloc(sizeof(*h) + len);

	if (!h)
		return;
	h->next = NULL;
	dns_udp_reply_to(l, mh, &h->to);
	h->len = len;
	memcpy(h->pkt, pkt, len);
	pthread_mutex_lock(&d->handoff_lock);
	if (d->handoff_len >= 4096) {
		/* the main thread is far behind: shed load (a resolver retries) */
		pthread_mutex_unlock(&d->handoff_lock);
		free(h);
		return;
	}
	if (d->handoff_tail)
		d->handoff_tail->next = h;
	else
		d->handoff_head = h;
	d->handoff_tail = h;
	d->handoff_len++;
	pthread_mutex_unlock(&d->handoff_lock);
	ev_async_send(d->handoff);
}

/* Receive up to DNS_UDP_BATCH datagrams into b (recvmmsg's count, or -1), its headers
 * pointed at its buffers afresh (recvmmsg rewrites them). */
static int
batch_recv(int fd, struct dns_udp_batch *b)
{
	for (size_t i = 0; i < DNS_UDP_BATCH; i++) {
		struct msghdr *mh = &b->rmsg[i].msg_hdr;

		mh->msg_name = &b->rpeer[i];
		mh->msg_namelen = sizeof(b->rpeer[i]);
		mh->msg_iov = &b->riov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = b->rctl[i];
		mh->msg_controllen = sizeof(b->rctl[i]);
		mh->msg_flags = 0;
	}
	return recvmmsg(fd, b->rmsg, DNS_UDP_BATCH, MSG_DONTWAIT, NULL);
}

/* Queue reply slot ns (len bytes) to the sender of datagram i, from its local address when
 * the listener is a wildcard. */
static void
queue_reply(struct serve *s, int i, unsigned ns, size_t len)
{
	struct dns_udp_batch *b = s->b;
	struct msghdr *mh = &b->rmsg[i].msg_hdr, *sh = &b->smsg[ns].msg_hdr;
	struct dns_reply_to to;

	memset(sh, 0, sizeof(*sh));
	sh->msg_name = &b->rpeer[i];
	sh->msg_namelen = mh->msg_namelen;
	b->siov[ns].iov_base = b->sbuf + (size_t)ns * b->sbuf_size;
	b->siov[ns].iov_len = len;
	sh->msg_iov = &b->siov[ns];
	sh->msg_iovlen = 1;
	if (s->l->wildcard) {
		dns_udp_reply_to(s->l, mh, &to);
		set_reply_ctl(&to, sh, b->sctl[ns], sizeof(b->sctl[ns]));
	}
}

/* Answer datagram i into reply slot ns: true when a reply is queued there; false when the
 * query is dropped, or answered later (forwarded, asked of a nested gateway, handed to the
 * main thread). */
static bool
answer_one(struct serve *s, int i, unsigned ns)
{
	struct dns_udp_batch *b = s->b;
	struct msghdr *mh = &b->rmsg[i].msg_hdr;
	const uint8_t *q = b->rbuf[i];
	size_t len = b->rmsg[i].msg_len;
	uint8_t *out = b->sbuf + (size_t)ns * b->sbuf_size;
	struct dns_answer_info info;
	struct dns_reply_to to;
	enum dns_answer_res res;
	uint64_t t0;

	DNS_STAT_INC(s->st, queries_udp);
	if (mh->msg_flags & MSG_TRUNC) {
		DNS_STAT_INC(s->st, dropped);
		return false;
	}
	if (addr_from_sockaddr((struct sockaddr *)&b->rpeer[i], &s->ctx.src, &s->ctx.sport) != 0)
		return false;
	if (s->l->ddns) {
		size_t rl = s->main_thread
				    ? dns_ddns_handle(s->d, q, len, &s->ctx.src, out, b->sbuf_size)
				    : 0;

		if (rl == 0)
			return false;
		queue_reply(s, i, ns, rl);
		return true;
	}
	t0 = histo_now_ns();
	res = dns_answer(&s->ctx, q, len, out, b->sbuf_size, &info);
	histo_since(&histo_dns_answer, t0);
	dns_account(s->st, res, &info, false);
	switch (res) {
	case DNS_ANS_SEND:
		queue_reply(s, i, ns, info.len);
		return true;
	case DNS_ANS_FORWARD:
		if (!s->main_thread) { /* the forwarder: main thread */
			handoff(s->d, s->l, mh, q, len);
			return false;
		}
		dns_udp_reply_to(s->l, mh, &to);
		dns_fwd_query(s->d->fwd, q, len, &to);
		return false;
	case DNS_ANS_NESTED: /* main thread only (workers hand over) */
		dns_udp_reply_to(s->l, mh, &to);
		dns_nest_ask(s->d->nest, q, len, &to, &s->ctx, &info);
		return false;
	case DNS_ANS_NEED_ALLOC:
		handoff(s->d, s->l, mh, q, len);
		return false;
	case DNS_ANS_DROP:
	case DNS_ANS_RETRY:
		return false;
	}
	return false;
}

/* Send the ns queued replies; a full socket buffer drops the rest (counted). */
static void
batch_send(struct serve *s, unsigned ns)
{
	for (unsigned off = 0; off < ns;) {
		int n = sendmmsg(s->l->fd, s->b->smsg + off, ns - off, 0);

		if (n > 0) {
			off += (unsigned)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS) {
			DNS_STAT_ADD(s->st, dropped, ns - off);
			break;
		}
		log_rl(&rl_send, LOG_LVL_WARN, "dns: UDP send: %s", strerror(errno));
		off++; /* skip the offending datagram (NSD does the same on EINVAL) */
	}
}

void
dns_udp_serve(struct dns *d, struct dns_listener *l, struct dns_udp_batch *b, struct dns_stats *st,
	      bool main_thread)
{
	struct serve s = { .d = d, .l = l, .b = b, .st = st, .main_thread = main_thread };
	struct dns_cookie_secrets cookies;
	struct dns_db *db;

	/* a reference even on the main thread: an UPDATE in this batch may swap the index */
	pthread_mutex_lock(&d->lock);
	db = dns_db_ref(d->db);
	cookies = d->cookies;
	pthread_mutex_unlock(&d->lock);
	if (!db)
		return;
	dns_ctx_init(d, &s.ctx, db, l->view, false, NULL);
	s.ctx.cookies = &cookies;
	if (!main_thread)
		s.ctx.alloc = NULL;
	/* at most eight batches: the loop's other sockets get their turn */
	for (int round = 0; round < 8; round++) {
		int n = batch_recv(l->fd, b);
		unsigned ns = 0;

		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			if (answer_one(&s, i, ns))
				ns++;
		batch_send(&s, ns);
		if (n < DNS_UDP_BATCH)
			break;
	}
	dns_db_unref(db);
}

void
dns_udp_readable(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct dns_listener *l = arg;

	(void)loop;
	(void)fd;
	(void)events;
	dns_udp_serve(l->d, l, l->d->batch, &l->d->stats, true);
}
