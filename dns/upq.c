/* SPDX-License-Identifier: MIT */
/* dns/upq.c -- asynchronous, bounded queries to other DNS servers (upstreams, nested gateways) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/list.h"
#include "../common/log.h"
#include "../common/util.h"
#include "upq.h"
#include "wire.h"

struct dns_upq_req {
	struct list node; /* in u->reqs */
	struct dns_upq *u;
	struct dns_upq_params p;
	dns_upq_done_fn cb;
	void *arg;
	uint16_t our_id;
	uint8_t qname[DNS_NAME_MAX];
	uint16_t qtype, qclass;
	uint8_t *query;
	size_t qlen;
	unsigned attempt;
	size_t server;
	int fd;
	bool tcp;
	bool refused; /* the last attempt ended in ICMP port unreachable */
	enum dns_upq_status fail_as;
	size_t tcp_sent;
	struct buf tcp_in;
	uint64_t timer;
};

struct dns_upq {
	struct ev_loop *loop;
	size_t max_pending;
	uint8_t idkey[16];
	uint64_t idctr;
	struct list reqs; /* pending, newest first */
	size_t n_reqs;
	uint8_t rbuf[DNS_TCP_MAX];
};

static void req_free(struct dns_upq_req *r);
static void req_close_fd(struct dns_upq_req *r);
static void start_attempt(struct dns_upq_req *r);
static void next_attempt(struct dns_upq_req *r);
static void start_tcp(struct dns_upq_req *r);
static void on_timeout(struct ev_loop *loop, uint64_t id, void *arg);
static void on_fail_now(struct ev_loop *loop, uint64_t id, void *arg);
static void on_udp(struct ev_loop *loop, int fd, int events, void *arg);
static void on_tcp(struct ev_loop *loop, int fd, int events, void *arg);
static bool valid_answer(const struct dns_upq_req *r, const uint8_t *m, size_t len);
static void finish(struct dns_upq_req *r, enum dns_upq_status st, uint8_t *m, size_t len);

static struct log_rl rl_upq = LOG_RL_INIT(5000, 5);

struct dns_upq *
dns_upq_new(struct ev_loop *loop, size_t max_pending)
{
	struct dns_upq *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->loop = loop;
	u->max_pending = max_pending;
	list_init(&u->reqs);
	if (util_random(u->idkey, sizeof(u->idkey)) != 0) {
		free(u);
		return NULL;
	}
	return u;
}

void
dns_upq_free(struct dns_upq *u)
{
	if (u == NULL)
		return;
	while (!list_empty(&u->reqs))
		req_free(list_item(u->reqs.next, struct dns_upq_req, node));
	free(u);
}

size_t
dns_upq_pending(const struct dns_upq *u)
{
	return u->n_reqs;
}

static void
req_close_fd(struct dns_upq_req *r)
{
	if (r->fd >= 0) {
		ev_io_del(r->u->loop, r->fd);
		close(r->fd);
		r->fd = -1;
	}
	if (r->timer) {
		ev_timer_del(r->u->loop, r->timer);
		r->timer = 0;
	}
}

static void
req_free(struct dns_upq_req *r)
{
	struct dns_upq *u = r->u;

	req_close_fd(r);
	list_unlink(&r->node);
	u->n_reqs--;
	buf_free(&r->tcp_in);
	free(r->query);
	free(r);
}

void
dns_upq_cancel(struct dns_upq_req *r)
{
	if (r != NULL)
		req_free(r);
}

struct dns_upq_req *
dns_upq_start(struct dns_upq *u, const uint8_t *query, size_t len, const struct dns_upq_params *p,
	      dns_upq_done_fn cb, void *arg)
{
	struct dns_query q;
	struct dns_upq_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->u = u;
	r->fd = -1;
	r->p = *p;
	r->cb = cb;
	r->arg = arg;
	r->fail_as = DNS_UPQ_FAILED;
	list_insert_after(&u->reqs, &r->node);
	u->n_reqs++;
	if (dns_query_parse(query, len, false, &q) != DNS_QERR_NONE ||
	    (r->query = malloc(len)) == NULL || p->n_servers == 0 || p->n_timeouts == 0 ||
	    u->n_reqs > u->max_pending) {
		/* always answer from the loop, never from inside the caller */
		r->timer = ev_timer_add(u->loop, 0, on_fail_now, r);
		if (r->timer == 0) {
			req_free(r);
			return NULL;
		}
		return r;
	}
	memcpy(r->query, query, len);
	r->qlen = len;
	memcpy(r->qname, q.qname, q.qname_len);
	r->qtype = q.qtype;
	r->qclass = q.qclass;
	uint64_t ctr = ++u->idctr;
	r->our_id = (uint16_t)util_siphash24(u->idkey, &ctr, sizeof(ctr));
	dns_put16(r->query, r->our_id);
	start_attempt(r);
	return r;
}

static void
start_attempt(struct dns_upq_req *r)
{
	struct dns_upq *u = r->u;
	const struct addr_port *ap;

	req_close_fd(r);
	r->tcp = false;
	r->refused = false;
	r->server = (r->p.first + r->attempt) % r->p.n_servers;
	ap = &r->p.servers[r->server];
	r->timer = ev_timer_add(u->loop, (uint64_t)r->p.timeouts[r->attempt], on_timeout, r);
	r->fd = socket(ap->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd == -1 || connect(r->fd, (const struct sockaddr *)&ap->ss, ap->len) == -1 ||
	    send(r->fd, r->query, r->qlen, 0) == -1 ||
	    ev_io_add(u->loop, r->fd, EV_READ, on_udp, r) != 0) {
		char b[ADDR_PORT_STRLEN];

		r->refused = errno == ECONNREFUSED;
		log_rl(&rl_upq, LOG_LVL_DEBUG, "dns: query to %s: %s",
		       addr_port_ntop(ap, b, sizeof(b)), strerror(errno));
		if (r->fd >= 0) {
			close(r->fd);
			r->fd = -1;
		}
		/* try the next attempt from the loop */
		ev_timer_del(u->loop, r->timer);
		r->timer = ev_timer_add(u->loop, 0, on_timeout, r);
	}
}

static void
next_attempt(struct dns_upq_req *r)
{
	r->attempt++;
	if (r->attempt >= r->p.n_timeouts) {
		finish(r, r->refused ? DNS_UPQ_UNREACHABLE : DNS_UPQ_TIMEOUT, NULL, 0);
		return;
	}
	start_attempt(r);
}

static void
on_timeout(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct dns_upq_req *r = arg;

	(void)loop;
	(void)id;
	r->timer = 0;
	if (r->tcp) {
		finish(r, DNS_UPQ_TIMEOUT, NULL, 0);
		return;
	}
	next_attempt(r);
}

static void
on_fail_now(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct dns_upq_req *r = arg;

	(void)loop;
	(void)id;
	r->timer = 0;
	finish(r, r->fail_as, NULL, 0);
}

/* Same ID, a response, and the same question (RFC 5452 4.1). */
static bool
valid_answer(const struct dns_upq_req *r, const uint8_t *m, size_t len)
{
	uint8_t name[DNS_NAME_MAX];
	size_t off = DNS_HDR_LEN, nlen;

	if (len < DNS_HDR_LEN || dns_get16(m) != r->our_id || !(dns_get16(m + 2) & DNS_F_QR) ||
	    dns_get16(m + 4) != 1)
		return false;
	if (dns_name_unpack(m, len, &off, name, &nlen) != DNS_PARSE_OK || len - off < 4)
		return false;
	dns_name_lower(name);
	return dns_name_eq(name, r->qname) && dns_get16(m + off) == r->qtype &&
	       dns_get16(m + off + 2) == r->qclass;
}

/* Call back once and free; the callback may start new queries. */
static void
finish(struct dns_upq_req *r, enum dns_upq_status st, uint8_t *m, size_t len)
{
	dns_upq_done_fn cb = r->cb;
	void *arg = r->arg;
	size_t server = r->server;

	req_free(r);
	cb(arg, st, m, len, server);
}

static void
on_udp(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct dns_upq_req *r = arg;
	struct dns_upq *u = r->u;

	(void)loop;
	(void)events;
	for (;;) {
		ssize_t n = recv(fd, u->rbuf, sizeof(u->rbuf), 0);

		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ECONNREFUSED (ICMP port unreachable) and friends: next attempt now */
			r->refused = errno == ECONNREFUSED;
			next_attempt(r);
			return;
		}
		if (!valid_answer(r, u->rbuf, (size_t)n)) {
			log_rl(&rl_upq, LOG_LVL_DEBUG, "dns: unexpected answer ignored");
			continue;
		}
		if ((dns_get16(u->rbuf + 2) & DNS_F_TC) && r->p.tcp_on_tc) {
			start_tcp(r);
			return;
		}
		finish(r, DNS_UPQ_ANSWER, u->rbuf, (size_t)n);
		return;
	}
}

static void
start_tcp(struct dns_upq_req *r)
{
	struct dns_upq *u = r->u;
	const struct addr_port *ap = &r->p.servers[r->server];

	req_close_fd(r);
	r->tcp = true;
	r->tcp_sent = 0;
	buf_reset(&r->tcp_in);
	r->timer = ev_timer_add(u->loop, (uint64_t)r->p.tcp_timeout_ms, on_timeout, r);
	r->fd = socket(ap->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd == -1 ||
	    (connect(r->fd, (const struct sockaddr *)&ap->ss, ap->len) == -1 &&
	     errno != EINPROGRESS) ||
	    ev_io_add(u->loop, r->fd, EV_WRITE, on_tcp, r) != 0) {
		ev_timer_del(u->loop, r->timer);
		r->timer = ev_timer_add(u->loop, 0, on_fail_now, r);
	}
}

static void
on_tcp(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct dns_upq_req *r = arg;
	uint8_t pfx[2];

	if (r->tcp_sent < r->qlen + 2) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err) {
			finish(r, err == ECONNREFUSED ? DNS_UPQ_UNREACHABLE : DNS_UPQ_FAILED, NULL,
			       0);
			return;
		}
		dns_put16(pfx, (uint16_t)r->qlen);
		struct iovec iov[2] = { { pfx, 2 }, { r->query, r->qlen } };
		size_t skip = r->tcp_sent;
		struct iovec *v = iov;
		int nv = 2;

		if (skip >= 2) {
			v = &iov[1];
			nv = 1;
			v->iov_base = r->query + (skip - 2);
			v->iov_len = r->qlen - (skip - 2);
		} else {
			iov[0].iov_base = pfx + skip;
			iov[0].iov_len = 2 - skip;
		}
		ssize_t n = writev(fd, v, nv);

		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				finish(r, DNS_UPQ_FAILED, NULL, 0);
			return;
		}
		r->tcp_sent += (size_t)n;
		if (r->tcp_sent == r->qlen + 2)
			ev_io_mod(loop, fd, EV_READ);
		return;
	}
	if (!(events & (EV_READ | EV_ERROR)))
		return;
	if (buf_reserve(&r->tcp_in, 4096) != 0) {
		finish(r, DNS_UPQ_FAILED, NULL, 0);
		return;
	}
	ssize_t n = read(fd, r->tcp_in.data + r->tcp_in.len, r->tcp_in.cap - r->tcp_in.len);

	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		finish(r, DNS_UPQ_FAILED, NULL, 0);
		return;
	}
	if (n > 0)
		r->tcp_in.len += (size_t)n;
	if (r->tcp_in.len < 2)
		return;
	size_t mlen = dns_get16(r->tcp_in.data);

	if (r->tcp_in.len < 2 + mlen)
		return;
	if (!valid_answer(r, r->tcp_in.data + 2, mlen)) {
		finish(r, DNS_UPQ_FAILED, NULL, 0);
		return;
	}
	/* finish frees r and its buffer: copy out first */
	uint8_t *m = r->u->rbuf;

	memcpy(m, r->tcp_in.data + 2, mlen);
	finish(r, DNS_UPQ_ANSWER, m, mlen);
}
