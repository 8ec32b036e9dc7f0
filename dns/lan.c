/* SPDX-License-Identifier: MIT */
/* dns/lan.c -- LAN forwarding of out-of-zone names to upstream resolvers, with failover */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/util.h"
#include "server.h"

#define FWD_MAX_PENDING	   4096
#define FWD_TCP_TIMEOUT_MS 2000

/*
 * Each forwarded query gets its own connected socket (a random source port, on top of a random
 * query ID of ours: the pair is what an off-path spoofer would have to guess), and ICMP port
 * unreachable from a dead upstream is reported at once, so failover does not wait for the
 * timeout. Attempt i goes to upstream (preferred + i) mod n with timeout timeouts[i]; the
 * preferred upstream is the last one that answered. A truncated answer for a TCP client is
 * fetched again over TCP from the same upstream.
 */
struct fwd_req {
	struct fwd_req *prev, *next;
	struct dns_fwd *f;
	struct dns_reply_to to;
	uint16_t client_id;
	uint16_t our_id;
	uint8_t qname[DNS_NAME_MAX];
	uint16_t qtype, qclass;
	uint8_t *query;
	size_t qlen;
	unsigned attempt;
	size_t up;
	int fd;
	bool tcp;
	size_t tcp_sent;
	struct buf tcp_in;
	uint64_t timer;
};

struct dns_fwd {
	struct dns *d;
	struct addr_port up[CONF_MAX_LIST];
	size_t n_up;
	long timeouts[CONF_MAX_LIST];
	size_t n_to;
	size_t preferred;
	uint8_t idkey[16];
	uint64_t idctr;
	struct fwd_req *reqs;
	size_t n_reqs;
	uint8_t rbuf[DNS_TCP_MAX];
};

static void req_free(struct fwd_req *r);
static void req_close_fd(struct fwd_req *r);
static void start_attempt(struct fwd_req *r);
static void next_attempt(struct fwd_req *r);
static void start_tcp(struct fwd_req *r);
static void on_timeout(struct ev_loop *loop, uint64_t id, void *arg);
static void on_fail_now(struct ev_loop *loop, uint64_t id, void *arg);
static void on_udp(struct ev_loop *loop, int fd, int events, void *arg);
static void on_tcp(struct ev_loop *loop, int fd, int events, void *arg);
static bool valid_answer(const struct fwd_req *r, const uint8_t *m, size_t len);
static void deliver(struct fwd_req *r, uint8_t *m, size_t len);
static void fail(struct fwd_req *r);

static struct log_rl rl_fwd = LOG_RL_INIT(5000, 5);

struct dns_fwd *
dns_fwd_new(struct dns *d, const struct conf *conf)
{
	struct dns_fwd *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->d = d;
	f->n_up = conf->dns_upstream.n;
	memcpy(f->up, conf->dns_upstream.v, sizeof(f->up[0]) * f->n_up);
	f->n_to = conf->dns_upstream_timeouts_ms.n;
	memcpy(f->timeouts, conf->dns_upstream_timeouts_ms.v, sizeof(long) * f->n_to);
	if (f->n_to == 0) {
		f->timeouts[0] = 100;
		f->timeouts[1] = f->timeouts[2] = 250;
		f->n_to = 3;
	}
	if (util_random(f->idkey, sizeof(f->idkey)) != 0) {
		free(f);
		return NULL;
	}
	if (f->n_up == 0)
		log_warnx("dns: LAN listeners without upstream resolvers: out-of-zone names get "
			  "SERVFAIL");
	return f;
}

void
dns_fwd_free(struct dns_fwd *f)
{
	if (!f)
		return;
	while (f->reqs)
		req_free(f->reqs);
	free(f);
}

static void
req_close_fd(struct fwd_req *r)
{
	if (r->fd >= 0) {
		ev_io_del(r->f->d->loop, r->fd);
		close(r->fd);
		r->fd = -1;
	}
	if (r->timer) {
		ev_timer_del(r->f->d->loop, r->timer);
		r->timer = 0;
	}
}

static void
req_free(struct fwd_req *r)
{
	struct dns_fwd *f = r->f;

	req_close_fd(r);
	if (r->prev)
		r->prev->next = r->next;
	else
		f->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	f->n_reqs--;
	buf_free(&r->tcp_in);
	free(r->query);
	free(r);
}

void
dns_fwd_cancel_conn(struct dns_fwd *f, const struct dns_tcp_conn *c)
{
	for (struct fwd_req *r = f->reqs, *next; r; r = next) {
		next = r->next;
		if (r->to.conn == c)
			req_free(r);
	}
}

void
dns_fwd_query(struct dns_fwd *f, const uint8_t *pkt, size_t len, const struct dns_reply_to *to)
{
	struct dns_query q;
	struct fwd_req *r;

	if (!f)
		return;
	r = calloc(1, sizeof(*r));
	if (!r)
		return;
	r->f = f;
	r->fd = -1;
	r->to = *to;
	r->next = f->reqs;
	if (f->reqs)
		f->reqs->prev = r;
	f->reqs = r;
	f->n_reqs++;
	if (dns_query_parse(pkt, len, false, &q) != DNS_QERR_NONE || !(r->query = malloc(len))) {
		r->timer = ev_timer_add(f->d->loop, 0, on_fail_now, r);
		return;
	}
	memcpy(r->query, pkt, len);
	r->qlen = len;
	r->client_id = q.id;
	memcpy(r->qname, q.qname, q.qname_len);
	r->qtype = q.qtype;
	r->qclass = q.qclass;
	uint64_t ctr = ++f->idctr;
	r->our_id = (uint16_t)util_siphash24(f->idkey, &ctr, sizeof(ctr));
	dns_put16(r->query, r->our_id);
	if (f->n_up == 0 || f->n_reqs > FWD_MAX_PENDING) {
		/* always answer from the loop, never from inside the caller */
		r->timer = ev_timer_add(f->d->loop, 0, on_fail_now, r);
		return;
	}
	DNS_STAT_INC(&f->d->stats, forwarded);
	start_attempt(r);
}

static void
start_attempt(struct fwd_req *r)
{
	struct dns_fwd *f = r->f;
	const struct addr_port *ap;

	req_close_fd(r);
	r->tcp = false;
	r->up = (f->preferred + r->attempt) % f->n_up;
	ap = &f->up[r->up];
	r->timer = ev_timer_add(f->d->loop, (uint64_t)f->timeouts[r->attempt], on_timeout, r);
	r->fd = socket(ap->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd == -1 || connect(r->fd, (const struct sockaddr *)&ap->ss, ap->len) == -1 ||
	    send(r->fd, r->query, r->qlen, 0) == -1 ||
	    ev_io_add(f->d->loop, r->fd, EV_READ, on_udp, r) != 0) {
		char b[ADDR_PORT_STRLEN];
		log_rl(&rl_fwd, LOG_LVL_DEBUG, "dns: forward to %s: %s",
		       addr_port_ntop(ap, b, sizeof(b)), strerror(errno));
		if (r->fd >= 0) {
			close(r->fd);
			r->fd = -1;
		}
		/* try the next upstream from the loop */
		ev_timer_del(f->d->loop, r->timer);
		r->timer = ev_timer_add(f->d->loop, 0, on_timeout, r);
	}
}

static void
next_attempt(struct fwd_req *r)
{
	r->attempt++;
	if (r->attempt >= r->f->n_to) {
		fail(r);
		return;
	}
	start_attempt(r);
}

static void
on_timeout(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct fwd_req *r = arg;

	(void)loop;
	(void)id;
	r->timer = 0;
	if (r->tcp) {
		fail(r);
		return;
	}
	next_attempt(r);
}

static void
on_fail_now(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct fwd_req *r = arg;

	(void)loop;
	(void)id;
	r->timer = 0;
	fail(r);
}

/* Same ID, a response, and the same question (RFC 5452 4.1). */
static bool
valid_answer(const struct fwd_req *r, const uint8_t *m, size_t len)
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

static void
deliver(struct fwd_req *r, uint8_t *m, size_t len)
{
	struct dns_fwd *f = r->f;
	struct dns_reply_to to = r->to;

	dns_put16(m, r->client_id);
	f->preferred = r->up;
	req_free(r);
	if (to.conn)
		dns_tcp_forward_done(f->d, to.conn, to.conn_serial, m, len);
	else
		dns_udp_reply(&to, m, len);
}

static void
fail(struct fwd_req *r)
{
	struct dns_fwd *f = r->f;
	struct dns_reply_to to = r->to;
	uint8_t out[DNS_UDP_MIN];
	struct dns_query q;
	size_t len = 0;

	DNS_STAT_INC(&f->d->stats, forward_failed);
	if (r->query && dns_query_parse(r->query, r->qlen, false, &q) == DNS_QERR_NONE) {
		len = dns_answer_error(r->query, &q, DNS_RC_SERVFAIL, true, out, sizeof(out));
		if (len)
			dns_put16(out, r->client_id);
	}
	DNS_STAT_INC(&f->d->stats, rcode[DNS_RC_SERVFAIL]);
	req_free(r);
	if (to.conn)
		dns_tcp_forward_done(f->d, to.conn, to.conn_serial, out, len);
	else if (len)
		dns_udp_reply(&to, out, len);
}

static void
on_udp(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct fwd_req *r = arg;
	struct dns_fwd *f = r->f;

	(void)loop;
	(void)events;
	for (;;) {
		ssize_t n = recv(fd, f->rbuf, sizeof(f->rbuf), 0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ECONNREFUSED (ICMP port unreachable) and friends: next upstream now */
			next_attempt(r);
			return;
		}
		if (!valid_answer(r, f->rbuf, (size_t)n)) {
			log_rl(&rl_fwd, LOG_LVL_DEBUG, "dns: forward: unexpected answer ignored");
			continue;
		}
		if ((dns_get16(f->rbuf + 2) & DNS_F_TC) && r->to.conn) {
			start_tcp(r);
			return;
		}
		deliver(r, f->rbuf, (size_t)n);
		return;
	}
}

static void
start_tcp(struct fwd_req *r)
{
	struct dns_fwd *f = r->f;
	const struct addr_port *ap = &f->up[r->up];

	req_close_fd(r);
	r->tcp = true;
	r->tcp_sent = 0;
	buf_reset(&r->tcp_in);
	r->timer = ev_timer_add(f->d->loop, FWD_TCP_TIMEOUT_MS, on_timeout, r);
	r->fd = socket(ap->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd == -1 ||
	    (connect(r->fd, (const struct sockaddr *)&ap->ss, ap->len) == -1 &&
	     errno != EINPROGRESS) ||
	    ev_io_add(f->d->loop, r->fd, EV_WRITE, on_tcp, r) != 0) {
		ev_timer_del(f->d->loop, r->timer);
		r->timer = ev_timer_add(f->d->loop, 0, on_fail_now, r);
	}
}

static void
on_tcp(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct fwd_req *r = arg;
	uint8_t pfx[2];

	if (r->tcp_sent < r->qlen + 2) {
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err) {
			fail(r);
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
				fail(r);
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
		fail(r);
		return;
	}
	ssize_t n = read(fd, r->tcp_in.data + r->tcp_in.len, r->tcp_in.cap - r->tcp_in.len);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		fail(r);
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
		fail(r);
		return;
	}
	/* deliver frees r and its buffer: copy out first */
	uint8_t *m = r->f->rbuf;
	memcpy(m, r->tcp_in.data + 2, mlen);
	deliver(r, m, mlen);
}
