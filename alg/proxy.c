/* SPDX-License-Identifier: MIT */
/* alg/proxy.c -- per-connection state machine: hostname, backend connect, replay, relay */
#include "proxy.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alg/http_host.h"
#include "alg/pp.h"
#include "alg/relay.h"
#include "alg/sni.h"
#include "common/list.h"
#include "common/log.h"
#include "common/util.h"
#include "policy/session.h"

#define CLOSING_LINGER_MS 1000 /* drain a refused client this long before closing */
#define ACCEPT_BATCH	  64
#define QUEUED_ASK_MS	  50   /* see queued_ms */
#define SHED_SCAN	  64   /* relayed connections looked at when shedding */
#define SHED_PROTECT_MS	  5000 /* never shed a connection that made progress this recently */
#define SHED_HELLO_MS	  100  /* a connection still without its hostname this long may be shed */
#define RELAY_UP	  1    /* client -> backend */
#define RELAY_DOWN	  2    /* backend -> client */

enum conn_state {
	CS_HELLO = 0,  /* reading until a hostname is found */
	CS_CONNECTING, /* backend connect in progress: its first write waits for it */
	CS_REPLAY,     /* writing the PROXY header and the buffered bytes to the backend */
	CS_RELAY,      /* splicing both ways */
	CS_CLOSING,    /* refusal sent, draining the client until EOF or the linger time */
};

enum conn_proto {
	CP_NONE = 0,
	CP_TLS,
	CP_HTTP,
};

enum {
	CF_CWATCH = 1 << 0, /* cfd is in the loop */
	CF_BWATCH = 1 << 1, /* bfd is in the loop */
	CF_LOGGED = 1 << 2, /* its access log line is written */
};

/* Refusal reasons: what the client is told before the close. */
enum refusal {
	RF_UNKNOWN = 0, /* valid name, no route */
	RF_NO_NAME,
	RF_INVALID,
	RF_TOO_BIG,
	RF_BACKEND, /* backend refused or unreachable */
	RF_TIMEOUT, /* backend connect timeout */
};

struct alg_conn {
	struct list node;	    /* in *list */
	struct alg_conn_list *list; /* NULL: in none */
	struct alg_worker *w;
	int cfd, bfd;
	struct alg_dir up, down; /* client -> backend, backend -> client */
	uint8_t *buf;		 /* hello bytes, then the replay */
	uint32_t len, cap, off;
	uint8_t state, proto, preserve, flags;
	uint8_t cev, bev; /* interest registered for cfd / bfd */
	uint16_t lport, cport, bport;
	struct addr caddr, baddr;
	struct addr peer; /* the TCP peer (caps are counted on it): caddr unless a parent's */
	bool pp_in;	  /* from a parent gateway: a PROXY header comes first */
	/* t_last: in relay, the relay's start or its last progress (at least min_progress bytes
	 * since the one before; mark: up.count + down.count then); t_prog: the last progress, 0
	 * if none since the relay started */
	uint64_t t_start, t_last, mark, t_prog;
	char *name;
	const char *outcome;
};

static void conn_io(struct ev_loop *loop, int fd, int events, void *arg);
static void hello_read(struct alg_conn *c);
static void hello_done(struct alg_conn *c, enum alg_parse res, const char *name);
static void refuse(struct alg_conn *c, enum refusal why, const char *outcome);
static bool closing_read(struct alg_conn *c);
static void linger(struct alg_conn *c);
static int backend_connect(struct alg_conn *c, const struct alg_route *rt);
static int add_proxy_header(struct alg_conn *c);
static void replay(struct alg_conn *c);
static void relay(struct alg_conn *c, int dirs);
static bool shed_one(struct alg_worker *w);

static void
list_push(struct alg_conn_list *l, struct alg_conn *c)
{
	c->list = l;
	list_append(&l->head, &c->node);
	l->n++;
}

/* Push c keeping l ordered by t_start (a connection's start may be set back to when it
 * reached the kernel's queue, before the one accepted just before it). */
static void
list_insert_by_start(struct alg_conn_list *l, struct alg_conn *c)
{
	struct list *p = l->head.prev;

	while (p != &l->head && list_item(p, struct alg_conn, node)->t_start > c->t_start)
		p = p->prev;
	c->list = l;
	list_insert_after(p, &c->node);
	l->n++;
}

static void
list_del(struct alg_conn *c)
{
	if (c->list == NULL)
		return;
	list_unlink(&c->node);
	c->list->n--;
	c->list = NULL;
}

static void
list_move(struct alg_conn_list *l, struct alg_conn *c)
{
	if (c->list == l && l->head.prev == &c->node)
		return;
	list_del(c);
	list_push(l, c);
}

/* The oldest connection of l, or NULL. */
static struct alg_conn *
list_oldest(struct alg_conn_list *l)
{
	return list_first_item(&l->head, struct alg_conn, node);
}

static void
stat_add(struct alg_worker *w, enum alg_stat s, uint64_t n)
{
	atomic_fetch_add_explicit(&w->stats[s], n, memory_order_relaxed);
}

/* Tell the main loop's reputation engine (alg/rep.h); a full mailbox drops it. */
static void
evidence(struct alg_worker *w, const struct addr *src, enum alg_evidence why)
{
	if (w->set->evq != NULL)
		(void)alg_evq_push(w->set->evq, src, why);
}

/* A source the reputation engine rates below the threshold, while the ALG is under load. */
static bool
low_reputation(struct alg_worker *w, const struct addr *src)
{
	if (w->rep == NULL || alg_rep_snap_count(w->rep) == 0 || !alg_rep_snap_has(w->rep, src))
		return false;
	return alg_limit_active(w->set->limit) >= w->set->rep_load_conns;
}

static void
access_log(const struct alg_conn *c)
{
	char ca[ADDR_STRLEN], ba[ADDR_STRLEN];
	uint64_t now = ev_now_ms(c->w->loop);

	addr_ntop(&c->caddr, ca, sizeof(ca));
	if (c->baddr.family != 0)
		addr_ntop(&c->baddr, ba, sizeof(ba));
	else
		strcpy(ba, "-");
	log_access("alg: client=%s%s%s:%u port=%u proto=%s name=%s backend=%s%s%s:%u up=%llu "
		   "down=%llu ms=%llu outcome=%s",
		   c->caddr.family == AF_INET6 ? "[" : "", ca,
		   c->caddr.family == AF_INET6 ? "]" : "", c->cport, c->lport,
		   c->proto == CP_TLS ? "tls" : (c->proto == CP_HTTP ? "http" : "-"),
		   c->name != NULL ? c->name : "-", c->baddr.family == AF_INET6 ? "[" : "", ba,
		   c->baddr.family == AF_INET6 ? "]" : "", c->bport,
		   (unsigned long long)c->up.count, (unsigned long long)c->down.count,
		   (unsigned long long)(now - c->t_start), c->outcome != NULL ? c->outcome : "?");
}

/* The access log line, once: when the conversation ends (a lingering connection is logged as it
 * starts to linger, not when its client has closed). */
static void
log_end(struct alg_conn *c)
{
	const struct alg_settings *set = c->w->set;

	if (c->flags & CF_LOGGED)
		return;
	c->flags |= CF_LOGGED;
	if (__atomic_load_n(&set->access_log, __ATOMIC_RELAXED) &&
	    (__atomic_load_n(&set->access_log_ok, __ATOMIC_RELAXED) || c->outcome == NULL ||
	     strcmp(c->outcome, "ok") != 0))
		access_log(c);
}

static void
conn_close(struct alg_conn *c, const char *outcome)
{
	struct alg_worker *w = c->w;

	if (c->outcome == NULL)
		c->outcome = outcome;
	log_end(c);
	list_del(c);
	/* close(2) takes the sockets out of the epoll set: no EPOLL_CTL_DEL */
	ev_io_close(w->loop, c->cfd);
	if (c->bfd != -1)
		ev_io_close(w->loop, c->bfd);
	alg_dir_release(w, &c->up);
	alg_dir_release(w, &c->down);
	stat_add(w, ALG_STAT_BYTES_UP, c->up.count);
	stat_add(w, ALG_STAT_BYTES_DOWN, c->down.count);
	atomic_fetch_sub_explicit(&w->stats[ALG_STAT_ACTIVE], 1, memory_order_relaxed);
	alg_limit_release(w->set->limit, &c->peer);
	free(c->buf);
	free(c->name);
	free(c);
}

/* Register, change or drop the interest of one side; an fd with no interest leaves the loop
 * so that a hung-up peer cannot wake us in a loop. */
static void
set_interest(struct alg_conn *c, int fd, uint8_t *cur, int flag, int ev)
{
	if ((c->flags & flag) && *cur == ev)
		return;
	if (ev == 0) {
		if (c->flags & flag)
			ev_io_del(c->w->loop, fd);
		c->flags &= (uint8_t)~flag;
	} else if (c->flags & flag) {
		if (ev_io_mod(c->w->loop, fd, ev) < 0)
			log_debug("%s: ev_io_mod: %d", __func__, fd);
	} else {
		if (ev_io_add(c->w->loop, fd, ev, conn_io, c) == 0)
			c->flags |= (uint8_t)flag;
	}
	*cur = (uint8_t)ev;
}

/*
 * How long an accepted connection waited in the kernel's queue: the time since its first
 * bytes arrived (with TCP_DEFER_ACCEPT, when the kernel made the socket), from TCP_INFO, at
 * most cap and never beyond now. Asked for the second connection of one wake-up (a queue
 * existed), and for the later ones only when that one waited QUEUED_ASK_MS or more (the
 * queue is in arrival order: the later ones waited less): one syscall per wake-up under
 * ordinary load, one per connection after a burst, so that the hostname deadline counts from
 * the client's connect as closely as the kernel allows.
 */
static uint64_t
queued_ms(int fd, uint64_t now, uint64_t cap)
{
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == -1 ||
	    tl < offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof(ti.tcpi_last_data_recv))
		return 0;
	return MIN(MIN((uint64_t)ti.tcpi_last_data_recv, cap), now);
}

void
alg_proxy_accept(struct alg_worker *w, struct alg_lsock *ls)
{
	static struct log_rl rl_emfile = LOG_RL_INIT(60000, 1);
	struct sockaddr_storage ss;
	socklen_t sl;
	struct alg_conn *c;
	struct addr a;
	uint16_t port;
	bool ask = true;
	int fd, i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		sl = sizeof(ss);
		fd = accept4(ls->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_rl(&rl_emfile, LOG_LVL_WARN,
				       "alg: accept: %s; pausing accept for 1 s", strerror(errno));
				alg_worker_pause_accept(w);
			}
			return; /* EAGAIN, or a connection that died in the queue */
		}
		if (addr_from_sockaddr((struct sockaddr *)&ss, &a, &port) < 0) {
			close(fd);
			continue;
		}
		if (low_reputation(w, &a)) {
			stat_add(w, ALG_STAT_REFUSED_REPUTATION, 1);
			close(fd);
			continue;
		}
		enum alg_admit ad = alg_limit_admit(w->set->limit, &a, ev_now_ms(w->loop));

		if (ad == ALG_ADMIT_GLOBAL_CAP && shed_one(w))
			ad = alg_limit_admit(w->set->limit, &a, ev_now_ms(w->loop));
		switch (ad) {
		case ALG_ADMIT_OK:
			break;
		case ALG_ADMIT_GLOBAL_CAP:
			stat_add(w, ALG_STAT_REFUSED_CAP, 1);
			close(fd);
			continue;
		case ALG_ADMIT_SOURCE_CAP:
			stat_add(w, ALG_STAT_REFUSED_SOURCE, 1);
			evidence(w, &a, ALG_EV_CAP);
			close(fd);
			continue;
		case ALG_ADMIT_RATE:
			stat_add(w, ALG_STAT_REFUSED_RATE, 1);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			alg_limit_release(w->set->limit, &a);
			close(fd);
			continue;
		}
		c->w = w;
		c->cfd = fd;
		c->bfd = -1;
		alg_dir_init(w, &c->up);
		alg_dir_init(w, &c->down);
		c->caddr = a;
		c->peer = a;
		c->cport = port;
		/* a parent gateway's ALG relays its clients with a PROXY header (alg/routes.h) */
		c->pp_in = w->routes != NULL && alg_routes_parent(w->routes, &a);
		if (c->pp_in && (c->buf = malloc(2048)) != NULL)
			c->cap = 2048; /* its header is parsed from the stored bytes */
		c->lport = ls->port;
		c->t_start = c->t_last = ev_now_ms(w->loop);
		if (i > 0 && ask) {
			uint64_t q = queued_ms(fd, c->t_start, w->set->hostname_timeout_ms);

			c->t_start -= q;
			ask = q >= QUEUED_ASK_MS;
		}
		stat_add(w, ALG_STAT_ACCEPTED, 1);
		atomic_fetch_add_explicit(&w->stats[ALG_STAT_ACTIVE], 1, memory_order_relaxed);
		list_insert_by_start(&w->hello, c);
		set_interest(c, c->cfd, &c->cev, CF_CWATCH, EV_READ);
		/* The ClientHello often arrives with the handshake's last ACK: try now. */
		hello_read(c);
	}
}

static void
conn_io(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct alg_conn *c = arg;
	int dirs;

	(void)loop;
	switch (c->state) {
	case CS_HELLO:
		hello_read(c);
		break;
	case CS_CONNECTING:
	case CS_REPLAY:
		/* an error on the backend socket comes back from the next write */
		if (fd == c->bfd)
			replay(c);
		else /* more client bytes before the replay is done: wait (lazily) */
			set_interest(c, c->cfd, &c->cev, CF_CWATCH, 0);
		break;
	case CS_RELAY:
		/* A hang-up with readable data is an EOF the pump will see; only a bare error
		 * needs SO_ERROR. */
		if ((events & EV_ERROR) && !(events & (EV_READ | EV_WRITE))) {
			int err = 0;
			socklen_t el = sizeof(err);

			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0) {
				stat_add(c->w, ALG_STAT_ERRORS, 1);
				conn_close(c, fd == c->cfd ? "client-reset" : "backend-reset");
				return;
			}
		}
		if (events & EV_ERROR)
			dirs = RELAY_UP | RELAY_DOWN;
		else if (fd == c->cfd)
			dirs = (events & EV_READ ? RELAY_UP : 0) |
			       (events & EV_WRITE ? RELAY_DOWN : 0);
		else
			dirs = (events & EV_READ ? RELAY_DOWN : 0) |
			       (events & EV_WRITE ? RELAY_UP : 0);
		relay(c, dirs);
		break;
	case CS_CLOSING:
		(void)closing_read(c);
		break;
	}
}

static void
hello_read(struct alg_conn *c)
{
	uint8_t tmp[ALG_PARSE_MAX];
	char name[ALG_NAME_MAX];
	const uint8_t *data = NULL;
	size_t len = 0;
	ssize_t n;
	enum alg_parse res;

	if (c->buf != NULL && c->len >= ALG_PARSE_MAX) {
		hello_done(c, ALG_PARSE_TOO_BIG, "");
		return;
	}
	if (c->buf == NULL) {
		/* Nothing stored until the first bytes arrive: an idle new connection costs
		 * only its struct. */
		n = recv(c->cfd, tmp, sizeof(tmp), 0);
		if (n > 0) {
			data = tmp;
			len = (size_t)n;
		}
	} else {
		if (c->cap - c->len < 1024 && c->cap < ALG_PARSE_MAX) {
			uint32_t ncap = MIN(c->cap * 2, ALG_PARSE_MAX);
			uint8_t *nb = realloc(c->buf, ncap);

			if (nb == NULL) {
				conn_close(c, "no-memory");
				return;
			}
			c->buf = nb;
			c->cap = ncap;
		}
		n = recv(c->cfd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (uint32_t)n;
			data = c->buf;
			len = c->len;
		}
	}
	if (n == 0) {
		stat_add(c->w, ALG_STAT_HOSTNAME_TIMEOUT, 1);
		conn_close(c, "client-eof");
		return;
	}
	if (n == -1 || data == NULL) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		stat_add(c->w, ALG_STAT_ERRORS, 1);
		conn_close(c, "client-error");
		return;
	}
	c->t_last = ev_now_ms(c->w->loop);
	if (c->pp_in) {
		size_t hlen = 0;
		struct alg_pp_info pi;

		if (data != c->buf) {
			conn_close(c, "no-memory"); /* its buffer could not be made at accept */
			return;
		}
		switch (alg_pp_parse(data, len, &hlen, &pi)) {
		case ALG_PARSE_FOUND:
			break;
		case ALG_PARSE_NEED_MORE:
			return;
		default:
			stat_add(c->w, ALG_STAT_INVALID, 1);
			conn_close(c, "bad-proxy-header");
			return;
		}
		/* the client the parent relays is the client: logged, and in our own header */
		if (pi.src.family != 0) {
			c->caddr = pi.src;
			c->cport = pi.sport;
		}
		c->pp_in = false;
		memmove(c->buf, c->buf + hlen, c->len - hlen);
		c->len -= (uint32_t)hlen;
		if (c->len == 0)
			return;
		data = c->buf;
		len = c->len;
	}
	if (c->proto == CP_NONE)
		c->proto = data[0] == 0x16 ? CP_TLS : CP_HTTP;
	if (c->proto == CP_TLS)
		res = alg_sni_parse(data, len, name);
	else
		res = alg_http_host_parse(data, len, name);
	if (res == ALG_PARSE_NEED_MORE && len >= ALG_PARSE_MAX)
		res = ALG_PARSE_TOO_BIG;
	if (data == tmp) {
		/* keep the bytes for the replay: exactly what is needed once a name is found */
		uint32_t cap = res == ALG_PARSE_NEED_MORE ? 2048 : (uint32_t)len;

		while (cap < len + 1024 && res == ALG_PARSE_NEED_MORE)
			cap *= 2;
		cap = MIN(cap, ALG_PARSE_MAX);
		c->buf = malloc(cap);
		if (c->buf == NULL) {
			conn_close(c, "no-memory");
			return;
		}
		memcpy(c->buf, tmp, len);
		c->len = (uint32_t)len;
		c->cap = cap;
	}
	if (res != ALG_PARSE_NEED_MORE)
		hello_done(c, res, name);
}

/* A live session name routes as the service it stands for; an ended one is an unknown name,
 * whatever address the client kept. */
static const struct alg_route *
session_route(struct alg_worker *w, const char *name, uint16_t port)
{
	struct pol_sessions *t = __atomic_load_n(&w->set->sessions, __ATOMIC_ACQUIRE);
	char svc[POL_NAME_MAX];

	if (t == NULL || pol_sess_lookup(t, name, (int64_t)util_wall_ms(), false, svc, sizeof(svc),
					 NULL) != POL_SESS_LIVE)
		return NULL;
	return alg_routes_lookup(w->routes, svc, port);
}

static void
hello_done(struct alg_conn *c, enum alg_parse res, const char *name)
{
	struct alg_worker *w = c->w;
	const struct alg_route *rt;

	if (res == ALG_PARSE_FOUND && __atomic_load_n(&w->set->access_log, __ATOMIC_RELAXED))
		c->name = strdup(name);
	switch (res) {
	case ALG_PARSE_FOUND:
		break;
	case ALG_PARSE_NO_NAME:
		stat_add(w, ALG_STAT_NO_NAME, 1);
		evidence(w, &c->caddr, ALG_EV_GARBAGE);
		refuse(c, RF_NO_NAME, "no-name");
		return;
	case ALG_PARSE_TOO_BIG:
		stat_add(w, ALG_STAT_INVALID, 1);
		evidence(w, &c->caddr, ALG_EV_GARBAGE);
		refuse(c, RF_TOO_BIG, "too-big");
		return;
	case ALG_PARSE_INVALID:
	case ALG_PARSE_NEED_MORE:
		stat_add(w, ALG_STAT_INVALID, 1);
		evidence(w, &c->caddr, ALG_EV_GARBAGE);
		refuse(c, RF_INVALID, "invalid");
		return;
	}
	rt = w->routes != NULL ? alg_routes_lookup(w->routes, name, c->lport) : NULL;
	if (rt == NULL && w->routes != NULL)
		rt = session_route(w, name, c->lport);
	if (rt == NULL) {
		stat_add(w, ALG_STAT_UNKNOWN_NAME, 1);
		evidence(w, &c->caddr, ALG_EV_UNROUTED);
		refuse(c, RF_UNKNOWN, "unknown-name");
		return;
	}
	if (backend_connect(c, rt) < 0) {
		stat_add(w, ALG_STAT_CONNECT_FAILED, 1);
		refuse(c, RF_BACKEND, "connect-failed");
	}
}

/* Tell the client why, then drain it until it closes (closing at once with unread bytes
 * would reset the connection and could destroy the response before it is read). */
static void
refuse(struct alg_conn *c, enum refusal why, const char *outcome)
{
	static const char *const http[] = {
		[RF_UNKNOWN] = "HTTP/1.1 421 Misdirected Request\r\n",
		[RF_NO_NAME] = "HTTP/1.1 421 Misdirected Request\r\n",
		[RF_INVALID] = "HTTP/1.1 400 Bad Request\r\n",
		[RF_TOO_BIG] = "HTTP/1.1 431 Request Header Fields Too Large\r\n",
		[RF_BACKEND] = "HTTP/1.1 502 Bad Gateway\r\n",
		[RF_TIMEOUT] = "HTTP/1.1 504 Gateway Timeout\r\n",
	};
	static const uint8_t alert[] = {
		[RF_UNKNOWN] = ALG_TLS_ALERT_UNRECOGNIZED_NAME,
		[RF_NO_NAME] = ALG_TLS_ALERT_UNRECOGNIZED_NAME,
		[RF_INVALID] = ALG_TLS_ALERT_HANDSHAKE_FAILURE,
		[RF_TOO_BIG] = ALG_TLS_ALERT_HANDSHAKE_FAILURE,
		[RF_BACKEND] = ALG_TLS_ALERT_INTERNAL_ERROR,
		[RF_TIMEOUT] = ALG_TLS_ALERT_INTERNAL_ERROR,
	};
	char msg[160];
	uint8_t rec[7];
	size_t n;

	c->outcome = outcome;
	if (c->proto == CP_TLS) {
		n = alg_tls_alert((enum alg_tls_alert)alert[why], rec);
		(void)send(c->cfd, rec, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	} else if (c->proto == CP_HTTP) {
		int len = snprintf(msg, sizeof(msg),
				   "%sContent-Length: 0\r\nConnection: close\r\n\r\n", http[why]);

		(void)send(c->cfd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	shutdown(c->cfd, SHUT_WR);
	FREE_AND_NULL(c->buf);
	c->len = c->cap = c->off = 0;
	linger(c);
}

/*
 * The client has been told (a FIN after our last byte): close the backend's socket and drain
 * the client's until its EOF or CLOSING_LINGER_MS. A client usually answers our FIN at once
 * (its close_notify, then its FIN or a reset: one wake-up each if we watched it), so the
 * socket leaves the loop and the next tick reads it once (closing_poll): a client that has
 * closed by then costs no wake-up at all; one that has not is watched again until it does.
 */
static void
linger(struct alg_conn *c)
{
	struct alg_worker *w = c->w;

	if (c->bfd != -1) {
		ev_io_close(w->loop, c->bfd);
		c->flags &= (uint8_t)~CF_BWATCH;
		c->bfd = -1;
	}
	log_end(c);
	c->state = CS_CLOSING;
	c->t_last = ev_now_ms(w->loop);
	list_move(&w->closing, c);
	set_interest(c, c->cfd, &c->cev, CF_CWATCH, 0);
}

/* Drain the client of a closing connection; true if it closed (EOF, error) and is gone. */
static bool
closing_read(struct alg_conn *c)
{
	uint8_t sink[4096];
	int i;

	for (i = 0; i < 16; i++) {
		ssize_t n = recv(c->cfd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return false;
		conn_close(c, NULL);
		return true;
	}
	return false;
}

/* Read once each closing connection not watched yet: those that linger() added since the last
 * tick, the newest, at the tail of the list (every older one is watched already). Those still
 * open are watched from now on, until their EOF or CLOSING_LINGER_MS. */
static void
closing_poll(struct alg_worker *w)
{
	struct list *e = w->closing.head.prev;

	while (e != &w->closing.head) {
		struct alg_conn *c = list_item(e, struct alg_conn, node);

		e = e->prev;
		if (c->flags & CF_CWATCH)
			break;
		if (!closing_read(c))
			set_interest(c, c->cfd, &c->cev, CF_CWATCH, EV_READ);
	}
}

static int
backend_connect(struct alg_conn *c, const struct alg_route *rt)
{
	struct alg_worker *w = c->w;
	struct addr_port ap;
	int fd, one = 1;

	c->baddr = rt->backend;
	c->bport = rt->backend_port != 0 ? rt->backend_port : c->lport;
	c->preserve = (uint8_t)rt->preserve;
	addr_to_sockaddr(&c->baddr, c->bport, &ap);
	fd = socket(c->baddr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	c->bfd = fd;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* see open_listener */
	if (rt->preserve == POL_PRESERVE_TRANSPARENT) {
		struct addr_port src;
		int lvl = c->caddr.family == AF_INET6 ? SOL_IPV6 : SOL_IP;
		int opt = c->caddr.family == AF_INET6 ? IPV6_TRANSPARENT : IP_TRANSPARENT;

		if (c->caddr.family != c->baddr.family ||
		    setsockopt(fd, lvl, opt, &one, sizeof(one)) == -1)
			return -EINVAL;
		/* the kernel picks the port at connect time, as for the client itself */
		(void)setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		addr_to_sockaddr(&c->caddr, 0, &src);
		if (bind(fd, (struct sockaddr *)&src.ss, src.len) == -1)
			return -errno;
	}
	if (connect(fd, (struct sockaddr *)&ap.ss, ap.len) == -1 && errno != EINPROGRESS)
		return -errno;
	c->state = CS_CONNECTING;
	c->t_last = ev_now_ms(w->loop);
	list_move(&w->connecting, c);
	if (add_proxy_header(c) < 0) {
		stat_add(w, ALG_STAT_ERRORS, 1);
		refuse(c, RF_BACKEND, "proxy-header");
		return 0;
	}
	/* Write at once instead of waiting to be told that the connection is up: a write on a
	 * connecting socket fails with EAGAIN and costs one syscall, while a backend that
	 * answered the SYN already (on the same host or a fast LAN it often has, before connect
	 * returns) saves a wake-up. The connection counts as made at the first byte written;
	 * until then a failure is a connect failure. Nothing more is read from the client
	 * meanwhile: its read interest is dropped only if it sends more (saves two epoll_ctl). */
	replay(c);
	return 0;
}

/* Put the PROXY protocol header in front of the bytes to replay, if the route asks for it. */
static int
add_proxy_header(struct alg_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addr dst;
	uint16_t dport;
	uint8_t hdr[ALG_PP_MAX];
	size_t n = 0;
	uint8_t *nb;

	if (c->preserve != POL_PRESERVE_PROXY_V1 && c->preserve != POL_PRESERVE_PROXY_V2)
		return 0;
	if (getsockname(c->cfd, (struct sockaddr *)&ss, &sl) == 0 &&
	    addr_from_sockaddr((struct sockaddr *)&ss, &dst, &dport) == 0)
		n = alg_pp_header(c->preserve == POL_PRESERVE_PROXY_V1 ? 1 : 2, &c->caddr, c->cport,
				  &dst, dport, hdr);
	nb = n > 0 ? malloc(c->len + n) : NULL;
	if (nb == NULL)
		return -ENOMEM;
	memcpy(nb, hdr, n);
	memcpy(nb + n, c->buf, c->len);
	free(c->buf);
	c->buf = nb;
	c->len += (uint32_t)n;
	c->cap = c->len;
	return 0;
}

/* relayd's rule: the bytes read while looking for the name go first, then the relay. */
static void
replay(struct alg_conn *c)
{
	struct alg_worker *w = c->w;

	while (c->off < c->len) {
		ssize_t n = send(c->bfd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);

		if (n > 0) {
			if (c->state == CS_CONNECTING) {
				stat_add(w, ALG_STAT_ROUTED, 1);
				c->state = CS_REPLAY;
				list_move(&w->relay, c);
			}
			c->off += (uint32_t)n;
			c->up.count += (uint64_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			set_interest(c, c->bfd, &c->bev, CF_BWATCH, EV_WRITE);
			return;
		}
		if (c->state == CS_CONNECTING) {
			stat_add(w, ALG_STAT_CONNECT_FAILED, 1);
			refuse(c, RF_BACKEND, "connect-failed");
			return;
		}
		stat_add(w, ALG_STAT_ERRORS, 1);
		conn_close(c, "backend-error");
		return;
	}
	FREE_AND_NULL(c->buf);
	c->len = c->cap = c->off = 0;
	c->state = CS_RELAY;
	c->t_last = ev_now_ms(w->loop);
	c->mark = c->up.count + c->down.count;
	/* No speculative relay: the backend has not answered yet and a client that sent more
	 * is reported by the loop; both directions start by waiting for bytes. */
	set_interest(c, c->cfd, &c->cev, CF_CWATCH, EV_READ);
	set_interest(c, c->bfd, &c->bev, CF_BWATCH, EV_READ);
}

/* Once a direction has reached EOF and delivered everything, the destination learns that no
 * more bytes will come. When the other direction is finished too the connection closes right
 * after, and close() sends the FIN: skip the syscall. A destination that is no longer
 * connected has reset its connection (a client that closed with bytes unread, typically the
 * server's close_notify): nothing can reach it any more and the connection is aborted now
 * (-1, errno ECONNRESET) instead of relaying its last bytes toward a peer that has finished. */
static int
half_close(struct alg_dir *d, int dst, const struct alg_dir *o)
{
	if (!d->eof || d->len > 0 || d->shut)
		return 0;
	if (!(o->eof && o->shut) && shutdown(dst, SHUT_WR) == -1 && errno == ENOTCONN) {
		errno = ECONNRESET;
		return -1;
	}
	d->shut = true;
	return 0;
}

/*
 * The server has finished first (EOF, and everything it sent is in the client's socket): for
 * TLS and HTTP the conversation is over, and what the client may still send (its close_notify,
 * a pipelined request) is of no use to a finished server. The client is told with a FIN, the
 * server's socket closes, and the client's is drained until its EOF or the linger time, so
 * that its last bytes cannot make our kernel answer with a reset that would cost it the
 * answer's tail (data not yet acknowledged is dropped with a reset).
 */
static void
server_done(struct alg_conn *c)
{
	struct alg_worker *w = c->w;

	if (shutdown(c->cfd, SHUT_WR) == -1 && errno == ENOTCONN) {
		stat_add(w, ALG_STAT_ERRORS, 1);
		conn_close(c, "reset"); /* it reset: nothing more reaches it */
		return;
	}
	c->outcome = "ok";
	linger(c);
}

/* dirs: RELAY_UP (client -> backend) and/or RELAY_DOWN, the directions the event concerns. */
static void
relay(struct alg_conn *c, int dirs)
{
	struct alg_worker *w = c->w;
	int a = 0, b = 0, cev, bev;

	if (dirs & RELAY_UP) {
		a = alg_dir_pump(w, c->cfd, c->bfd, &c->up);
		if (a < 0 || half_close(&c->up, c->bfd, &c->down) < 0)
			goto fail;
	}
	if (dirs & RELAY_DOWN) {
		b = alg_dir_pump(w, c->bfd, c->cfd, &c->down);
		if (b < 0)
			goto fail;
		if (c->down.eof && c->down.len == 0 && !c->down.shut && !c->up.shut) {
			server_done(c);
			return;
		}
		if (half_close(&c->down, c->cfd, &c->up) < 0)
			goto fail;
	}
	if (c->up.shut && c->down.shut) {
		conn_close(c, "ok");
		return;
	}
	/* Minimum progress: a byte now and then (a request body trickled to keep a backend
	 * waiting) does not restart the idle clock; min_progress bytes either way do. */
	if ((a > 0 || b > 0) && c->up.count + c->down.count - c->mark >= w->set->min_progress) {
		c->mark = c->up.count + c->down.count;
		c->t_last = c->t_prog = ev_now_ms(w->loop);
		list_move(&w->relay, c);
	}
	cev = (!c->up.eof && alg_dir_room(w, &c->up) > 0 ? EV_READ : 0) |
	      (c->down.len > 0 ? EV_WRITE : 0);
	bev = (!c->down.eof && alg_dir_room(w, &c->down) > 0 ? EV_READ : 0) |
	      (c->up.len > 0 ? EV_WRITE : 0);
	set_interest(c, c->cfd, &c->cev, CF_CWATCH, cev);
	set_interest(c, c->bfd, &c->bev, CF_BWATCH, bev);
	return;
fail:
	stat_add(w, ALG_STAT_ERRORS, 1);
	conn_close(c, errno == EPIPE || errno == ECONNRESET ? "reset" : "relay-error");
}

/*
 * At max_connections, make room for a new client (overload mode). First the connection of this
 * worker that has waited longest for its hostname, if it has waited SHED_HELLO_MS (with the
 * deferred accept a client's first bytes come with the connection, so one still waiting is
 * silent or trickling its hello: a burst of silent connections fills the table with them, and
 * they would otherwise keep every newcomer out until their deadline). Else, among the SHED_SCAN relayed
 * connections of this worker that made progress the longest ago, those without progress in
 * the last SHED_PROTECT_MS (or none since the relay started: headers then a trickle), close
 * the one whose client address holds the most connections (the oldest of them on a tie), so
 * that sources holding many idle or trickling connections lose them first and a lone idle
 * client (a keep-alive or long-poll connection) is kept. Active transfers make progress and
 * are never shed. False if nothing qualifies.
 */
static bool
shed_one(struct alg_worker *w)
{
	uint64_t now = ev_now_ms(w->loop);
	struct alg_conn *c, *best = NULL;
	struct list *e;
	long best_n = 0;
	int i;

	c = list_oldest(&w->hello);
	if (c != NULL && now - c->t_start >= SHED_HELLO_MS) {
		stat_add(w, ALG_STAT_SHED, 1);
		conn_close(c, "shed");
		return true;
	}
	for (e = w->relay.head.next, i = 0; e != &w->relay.head && i < SHED_SCAN;
	     e = e->next, i++) {
		c = list_item(e, struct alg_conn, node);
		if (c->state != CS_RELAY || (c->t_prog != 0 && now - c->t_prog < SHED_PROTECT_MS))
			continue;
		long n = alg_limit_count(w->set->limit, &c->peer); /* caps count the TCP peer */

		if (n > best_n) {
			best = c;
			best_n = n;
		}
	}
	if (best == NULL)
		return false;
	stat_add(w, ALG_STAT_SHED, 1);
	/* headers for a real route, then nothing worth counting: a slow client's signature (a
	 * keep-alive or long-poll client made progress with its first answer) */
	if (best->t_prog == 0)
		evidence(w, &best->caddr, ALG_EV_SLOW);
	conn_close(best, "shed");
	return true;
}

void
alg_proxy_tick(struct alg_worker *w)
{
	uint64_t now = ev_now_ms(w->loop);
	const struct alg_settings *s = w->set;
	/* the main thread may change them at a reload (alg_reconf): read each once */
	uint64_t hello_ms = __atomic_load_n(&s->hostname_timeout_ms, __ATOMIC_RELAXED);
	uint64_t connect_ms = __atomic_load_n(&s->connect_timeout_ms, __ATOMIC_RELAXED);
	uint64_t idle_ms = __atomic_load_n(&s->idle_timeout_ms, __ATOMIC_RELAXED);
	struct alg_conn *c;

	while ((c = list_oldest(&w->hello)) != NULL && now - c->t_start >= hello_ms) {
		/* silent, slow or nameless: no backend connection was ever made */
		stat_add(w, ALG_STAT_HOSTNAME_TIMEOUT, 1);
		evidence(w, &c->caddr, ALG_EV_SILENT);
		conn_close(c, "hostname-timeout");
	}
	while ((c = list_oldest(&w->connecting)) != NULL && now - c->t_last >= connect_ms) {
		stat_add(w, ALG_STAT_CONNECT_FAILED, 1);
		refuse(c, RF_TIMEOUT, "connect-timeout");
	}
	while ((c = list_oldest(&w->relay)) != NULL && now - c->t_last >= idle_ms) {
		stat_add(w, ALG_STAT_IDLE_TIMEOUT, 1);
		conn_close(c, "idle-timeout");
	}
	while ((c = list_oldest(&w->closing)) != NULL && now - c->t_last >= CLOSING_LINGER_MS)
		conn_close(c, NULL);
	closing_poll(w);
}

size_t
alg_proxy_active(struct alg_worker *w, uint64_t ms, size_t cap)
{
	uint64_t now = ev_now_ms(w->loop);
	size_t n = w->hello.n + w->connecting.n;
	struct list *e;

	/* the relay list is in order of last progress: count from the newest */
	for (e = w->relay.head.prev; e != &w->relay.head && n < cap; e = e->prev, n++)
		if (now - list_item(e, struct alg_conn, node)->t_last > ms)
			break;
	return MIN(n, cap);
}

void
alg_proxy_close_all(struct alg_worker *w)
{
	struct alg_conn_list *lists[] = { &w->hello, &w->connecting, &w->relay, &w->closing };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lists); i++)
		while (!list_empty(&lists[i]->head))
			conn_close(list_oldest(lists[i]), "shutdown");
	alg_relay_pool_free(w);
}
