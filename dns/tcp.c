/* SPDX-License-Identifier: MIT */
/* dns/tcp.c -- DNS over TCP (RFC 7766): framing, pipelining, idle timeout, caps */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/util.h"
#include "../common/histo.h"
#include "server.h"

#define TCP_READ_CHUNK	16384
#define TCP_OUT_HIGH	(256 * 1024) /* stop reading while this much output is queued */
#define TCP_IDLE_MIN_MS 500	     /* the idle timeout of a full table */
#define TCP_EVICT_SCAN	64	     /* idle candidates looked at from the LRU head */

struct dns_tcp_conn {
	struct list node; /* in d->conns, least recently active first */
	struct dns *d;
	struct dns_listener *l;
	int fd;
	uint64_t serial;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct addr src;
	struct addr pfx; /* src masked to /24 or /64: the per-prefix cap's key */
	struct buf in;
	struct buf out;
	uint64_t idle_timer;
	uint64_t retry_timer;
	long nqueries;
	bool waiting; /* a retry or a forward is pending: later queries wait (answers in order) */
	bool no_more; /* query cap reached: close once the output is flushed */
	bool eof;
};

static void conn_close(struct dns_tcp_conn *c);
static void conn_update(struct dns_tcp_conn *c);
static void conn_io(struct ev_loop *loop, int fd, int events, void *arg);
static void conn_idle(struct ev_loop *loop, uint64_t id, void *arg);
/* how soon an UPDATE held by a policy write is tried again */
#define DNS_TCP_HOLD_MS 20

static void conn_retry(struct ev_loop *loop, uint64_t id, void *arg);
static void conn_touch(struct dns_tcp_conn *c);
static void conn_process(struct dns_tcp_conn *c);
static bool conn_answer(struct dns_tcp_conn *c, const uint8_t *msg, size_t len, bool last_try);
static void conn_send(struct dns_tcp_conn *c, const uint8_t *msg, size_t len);
static void resume_accept(struct ev_loop *loop, uint64_t id, void *arg);
static bool admit(struct dns *d, const struct addr *src, const struct addr *pfx);
static bool evict_idle(struct dns *d);
static uint64_t idle_ms(const struct dns *d);
static void lru_del(struct dns_tcp_conn *c);
static void lru_push(struct dns_tcp_conn *c);

static struct log_rl rl_tcp = LOG_RL_INIT(5000, 5);

int
dns_tcp_open(struct dns *d, struct dns_listener *l)
{
	const struct sockaddr *sa = (const struct sockaddr *)&l->ap.ss;
	int one = 1, fd;
	char buf[ADDR_PORT_STRLEN];

	l->d = d;
	l->tcp = true;
	l->family = sa->sa_family;
	fd = socket(l->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (l->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (addr_sock_freebind(fd, l->family) < 0)
		goto fail;
	if (bind(fd, sa, l->ap.len) == -1 || listen(fd, 256) == -1)
		goto fail;
	addr_note_missing(&l->ap, "dns"); /* once per address: UDP opens one per worker */
	l->fd = fd;
	return 0;
fail:;
	int e = errno;
	log_warn("dns: TCP %s", addr_port_ntop(&l->ap, buf, sizeof(buf)));
	if (fd != -1)
		close(fd);
	return -e;
}

static void
resume_accept(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct dns_listener *l = arg;

	(void)id;
	l->pause_timer = 0;
	if (ev_io_add(loop, l->fd, EV_READ, dns_tcp_accept, l) != 0)
		log_warnx("dns: cannot resume accepting");
}

/*
 * The idle timeout for the table's fill (RFC 7766 6.2.3, as NSD and Knot do): the configured
 * one while at most half the connections are open, then shrinking linearly to
 * TCP_IDLE_MIN_MS when full, so that idle connections make room faster the busier we are.
 */
static uint64_t
idle_ms(const struct dns *d)
{
	uint64_t max = d->tcp_idle_ms, min = MIN(max, TCP_IDLE_MIN_MS);
	long half = d->tcp_max_conns / 2, over = d->n_conns - half;

	if (over <= 0 || d->tcp_max_conns - half <= 0)
		return max;
	if (over >= d->tcp_max_conns - half)
		return min;
	return max - (max - min) * (uint64_t)over / (uint64_t)(d->tcp_max_conns - half);
}

static void
lru_del(struct dns_tcp_conn *c)
{
	list_unlink(&c->node);
}

static void
lru_push(struct dns_tcp_conn *c)
{
	list_append(&c->d->conns, &c->node);
}

/* Per-source and per-prefix caps: one address, or one network, cannot hold the table (a
 * resolver sent to TCP by TC=1 must find room). */
static bool
admit(struct dns *d, const struct addr *src, const struct addr *pfx)
{
	if (srccnt_get(d->tcp_src, src) >= d->tcp_max_per_source) {
		DNS_STAT_INC(&d->stats, tcp_refused_source);
		return false;
	}
	if (srccnt_get(d->tcp_pfx, pfx) >= d->tcp_max_per_prefix) {
		DNS_STAT_INC(&d->stats, tcp_refused_prefix);
		return false;
	}
	if (srccnt_add(d->tcp_src, src, 1) < 0)
		return false;
	if (srccnt_add(d->tcp_pfx, pfx, 1) < 0) {
		srccnt_add(d->tcp_src, src, -1);
		return false;
	}
	return true;
}

/*
 * The table is full: close the least recently active connection that has nothing in
 * progress (no answer being written, no forward or retry pending), as Knot does, instead of
 * leaving new clients in the backlog behind connections that may never speak. Only the
 * TCP_EVICT_SCAN oldest are looked at. False if none qualifies.
 */
static bool
evict_idle(struct dns *d)
{
	struct list *e;
	int i;

	for (e = d->conns.next, i = 0; e != &d->conns && i < TCP_EVICT_SCAN; e = e->next, i++) {
		struct dns_tcp_conn *c = list_item(e, struct dns_tcp_conn, node);

		if (c->waiting || c->out.len > 0)
			continue;
		DNS_STAT_INC(&d->stats, tcp_evicted);
		conn_close(c);
		return true;
	}
	return false;
}

void
dns_tcp_accept(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct dns_listener *l = arg;
	struct dns *d = l->d;

	(void)events;
	/* Accept everything pending, every time: refusals close at once, so the backlog never
	 * fills with one source's connections and others' wait behind them (accept fairness). */
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* out of descriptors: pause accepting for a second (relayd) */
				log_rl(&rl_tcp, LOG_LVL_WARN, "dns: accept: %s; pausing",
				       strerror(errno));
				ev_io_del(loop, fd);
				l->pause_timer =
					ev_timer_add(loop, DNS_ACCEPT_PAUSE_MS, resume_accept, l);
			}
			return;
		}
		struct addr src = { 0 }, pfx;
		if (addr_from_sockaddr((struct sockaddr *)&ss, &src, NULL) < 0) {
			close(cfd);
			continue;
		}
		pfx = src;
		addr_mask(&pfx, src.family == AF_INET6 ? 64 : 24);
		if (!admit(d, &src, &pfx)) {
			close(cfd);
			continue;
		}
		if (d->n_conns >= d->tcp_max_conns && !evict_idle(d)) {
			DNS_STAT_INC(&d->stats, tcp_rejected);
			srccnt_add(d->tcp_src, &src, -1);
			srccnt_add(d->tcp_pfx, &pfx, -1);
			close(cfd);
			continue;
		}
		struct dns_tcp_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			srccnt_add(d->tcp_src, &src, -1);
			srccnt_add(d->tcp_pfx, &pfx, -1);
			close(cfd);
			continue;
		}
		c->d = d;
		c->l = l;
		c->fd = cfd;
		c->serial = ++d->conn_serial;
		memcpy(&c->peer, &ss, sl);
		c->peer_len = sl;
		c->src = src;
		c->pfx = pfx;
		int one = 1;
		(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (ev_io_add(loop, cfd, EV_READ, conn_io, c) != 0) {
			srccnt_add(d->tcp_src, &src, -1);
			srccnt_add(d->tcp_pfx, &pfx, -1);
			close(cfd);
			free(c);
			continue;
		}
		lru_push(c);
		d->n_conns++;
		DNS_STAT_INC(&d->stats, tcp_accepted);
		if (log_get_level() >= LOG_LVL_DEBUG) {
			char b[ADDR_STRLEN];
			log_debug("%s: TCP connection from %s on %s listener", __func__,
				  addr_ntop(&c->src, b, sizeof(b)),
				  l->view == DNS_VIEW_WAN ? "WAN" : "LAN/local");
		}
		conn_touch(c);
	}
}

static void
conn_close(struct dns_tcp_conn *c)
{
	struct dns *d = c->d;

	ev_io_del(d->loop, c->fd);
	close(c->fd);
	if (c->idle_timer)
		ev_timer_del(d->loop, c->idle_timer);
	if (c->retry_timer)
		ev_timer_del(d->loop, c->retry_timer);
	if (d->fwd)
		dns_fwd_cancel_conn(d->fwd, c);
	if (d->nest)
		dns_nest_cancel_conn(d->nest, c);
	lru_del(c);
	d->n_conns--;
	srccnt_add(d->tcp_src, &c->src, -1);
	srccnt_add(d->tcp_pfx, &c->pfx, -1);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

void
dns_tcp_close_all(struct dns *d)
{
	while (!list_empty(&d->conns))
		conn_close(list_item(d->conns.next, struct dns_tcp_conn, node));
}

void
dns_tcp_close_listener(struct dns *d, const struct dns_listener *l)
{
	struct list *e, *next;

	for (e = d->conns.next; e != &d->conns; e = next) {
		struct dns_tcp_conn *c = list_item(e, struct dns_tcp_conn, node);

		next = e->next;
		if (c->l == l)
			conn_close(c);
	}
}

/* Activity: the idle clock restarts (at the timeout the table's fill allows now) and the
 * connection moves to the LRU tail. */
static void
conn_touch(struct dns_tcp_conn *c)
{
	if (c->idle_timer)
		ev_timer_del(c->d->loop, c->idle_timer);
	c->idle_timer = ev_timer_add(c->d->loop, idle_ms(c->d), conn_idle, c);
	if (c->d->conns.prev != &c->node) {
		lru_del(c);
		lru_push(c);
	}
}

static void
conn_idle(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct dns_tcp_conn *c = arg;

	(void)loop;
	(void)id;
	c->idle_timer = 0;
	DNS_STAT_INC(&c->d->stats, tcp_idle_closed);
	conn_close(c);
}

/* Queue a reply: length prefix and message in one writev when nothing is pending (NSD). */
static void
conn_send(struct dns_tcp_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t pfx[2];
	size_t done = 0;

	dns_put16(pfx, (uint16_t)len);
	if (c->out.len == 0) {
		struct iovec iov[2] = { { pfx, 2 }, { (void *)(uintptr_t)msg, len } };
		ssize_t n = writev(c->fd, iov, 2);
		if (n > 0)
			done = (size_t)n;
		if (done == len + 2)
			return;
	}
	if (done < 2 && buf_append(&c->out, pfx + done, 2 - done) != 0)
		goto nomem;
	size_t skip = done > 2 ? done - 2 : 0;
	if (buf_append(&c->out, msg + skip, len - skip) != 0)
		goto nomem;
	return;
nomem:
	c->eof = true; /* give up on this connection */
}

/* Answer one message; false when processing must pause (retry or forward pending). */
static bool
conn_answer(struct dns_tcp_conn *c, const uint8_t *msg, size_t len, bool last_try)
{
	struct dns *d = c->d;
	struct dns_answer_ctx ctx;
	struct dns_answer_info info;
	uint8_t *out = d->tcp_out; /* main thread only; conn_send copies what it cannot write */
	enum dns_answer_res res;

	if (c->l->ddns && d->updates_held) {
		/* a policy write holds the store: the update waits its turn (conn_retry) */
		c->waiting = true;
		c->retry_timer = ev_timer_add(d->loop, DNS_TCP_HOLD_MS, conn_retry, c);
		return false;
	}
	if (c->l->ddns) {
		size_t rl = dns_ddns_handle(d, msg, len, &c->src, out, DNS_TCP_MAX);
		if (rl)
			conn_send(c, out, rl);
		return true;
	}
	dns_ctx_init(d, &ctx, d->db, c->l->view, true, (const struct sockaddr *)&c->peer);
	ctx.last_try = last_try;
	DNS_STAT_INC(&d->stats, queries_tcp);
	uint64_t t0 = histo_now_ns();
	res = dns_answer(&ctx, msg, len, out, DNS_TCP_MAX, &info);
	histo_since(&histo_dns_answer, t0);
	dns_account(&d->stats, res, &info, true);
	bool go_on = true;
	switch (res) {
	case DNS_ANS_SEND:
		conn_send(c, out, info.len);
		break;
	case DNS_ANS_FORWARD: {
		struct dns_reply_to to;
		memset(&to, 0, sizeof(to));
		to.l = c->l;
		to.conn = c;
		to.conn_serial = c->serial;
		/* the forwarder always answers later, from the loop (never from this call) */
		c->waiting = true;
		dns_fwd_query(d->fwd, msg, len, &to);
		go_on = false;
		break;
	}
	case DNS_ANS_NESTED: {
		struct dns_reply_to to;

		memset(&to, 0, sizeof(to));
		to.l = c->l;
		to.conn = c;
		to.conn_serial = c->serial;
		/* answered later, from the loop (never from this call), like a forward */
		c->waiting = true;
		dns_nest_ask(d->nest, msg, len, &to, &ctx, &info);
		go_on = false;
		break;
	}
	case DNS_ANS_RETRY:
		c->waiting = true;
		c->retry_timer = ev_timer_add(d->loop, DNS_TCP_RETRY_MS, conn_retry, c);
		go_on = false;
		break;
	case DNS_ANS_NEED_ALLOC: /* not on the main thread's TCP path */
	case DNS_ANS_DROP:
		break;
	}
	return go_on;
}

static void
conn_process(struct dns_tcp_conn *c)
{
	while (!c->waiting && !c->no_more && c->in.len >= 2) {
		size_t mlen = dns_get16(c->in.data);
		if (mlen < DNS_HDR_LEN) {
			/* not a DNS message: nothing sensible can follow on this stream */
			log_rl(&rl_tcp, LOG_LVL_DEBUG, "dns: TCP: %zu-byte message, closing", mlen);
			c->eof = true;
			c->in.len = 0;
			break;
		}
		if (c->in.len < 2 + mlen)
			break;
		conn_touch(c); /* a complete message: the idle clock restarts */
		bool go_on = conn_answer(c, c->in.data + 2, mlen, false);
		if (!go_on && c->retry_timer)
			break; /* keep the message for the retry */
		buf_consume(&c->in, 2 + mlen);
		if (++c->nqueries >= c->d->tcp_max_queries)
			c->no_more = true;
		if (!go_on)
			break;
	}
}

static void
conn_retry(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct dns_tcp_conn *c = arg;

	(void)loop;
	(void)id;
	c->retry_timer = 0;
	c->waiting = false;
	if (c->in.len >= 2) {
		size_t mlen = dns_get16(c->in.data);
		if (!conn_answer(c, c->in.data + 2, mlen, true) && c->retry_timer) {
			conn_update(c); /* held again (an update waiting for a policy write) */
			return;
		}
		buf_consume(&c->in, 2 + mlen);
		if (++c->nqueries >= c->d->tcp_max_queries)
			c->no_more = true;
	}
	conn_process(c);
	conn_update(c);
}

void
dns_tcp_forward_done(struct dns *d, struct dns_tcp_conn *c, uint64_t serial, const uint8_t *msg,
		     size_t len)
{
	struct list *e;

	for (e = d->conns.next; e != &d->conns; e = e->next)
		if (e == &c->node && c->serial == serial)
			break;
	if (e == &d->conns)
		return;
	if (len)
		conn_send(c, msg, len);
	c->waiting = false;
	conn_process(c);
	conn_update(c);
}

/* Decide what to wait for next, or close. */
static void
conn_update(struct dns_tcp_conn *c)
{
	int ev = 0;

	if (!c->eof && !c->no_more && !c->waiting && c->out.len < TCP_OUT_HIGH)
		ev |= EV_READ;
	if (c->out.len)
		ev |= EV_WRITE;
	if (c->out.len == 0 && !c->waiting && (c->eof || c->no_more)) {
		conn_close(c);
		return;
	}
	/* ev may be 0 while waiting: epoll still reports errors and hang-ups */
	ev_io_mod(c->d->loop, c->fd, ev);
}

static void
conn_io(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct dns_tcp_conn *c = arg;

	(void)loop;
	if (events & EV_ERROR) {
		conn_close(c); /* reset or error: nobody to answer */
		return;
	}
	if (events & EV_WRITE && c->out.len) {
		ssize_t n = write(fd, c->out.data, c->out.len);
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			conn_touch(c);
		} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return;
		}
	}
	if (events & EV_READ && !c->eof) {
		for (;;) {
			if (c->waiting || c->no_more || c->in.len > 2 + DNS_TCP_MAX)
				break;
			if (buf_reserve(&c->in, TCP_READ_CHUNK) != 0) {
				conn_close(c);
				return;
			}
			ssize_t n = read(fd, c->in.data + c->in.len, TCP_READ_CHUNK);
			if (n > 0) {
				/* no conn_touch here: a client trickling bytes must still finish a
				 * message within the idle timeout (slowloris) */
				c->in.len += (size_t)n;
				if ((size_t)n < TCP_READ_CHUNK)
					break;
				continue;
			}
			if (n == 0) {
				c->eof = true;
				break;
			}
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c); /* reset */
			return;
		}
		conn_process(c);
	}
	conn_update(c);
}
