/* SPDX-License-Identifier: MIT */
/* tests/system/flowgen.c -- new TCP flows at a steady rate through pool addresses (a driver) */
/*
 * Usage:
 *   flowgen serve ADDR PORT
 *	a TCP echo server (epoll): every byte read is written back; a client's EOF closes the
 *	connection.
 *   flowgen run [-b SRC] [-p PENDING] [-t TICK_MS] [-m MARK_AFTER_S MARK_FILE] DNS NAME PORT
 *	    RATE SECS HOLD_S OUT
 *	every 1/RATE s a new flow, for SECS seconds: an A query for NAME to DNS:53 over UDP
 *	(one try, 1 s), a non-blocking connection to the address it gave (2 s), one byte that
 *	must come back (2 s): the flow is established. Then a byte every TICK_MS (default 100)
 *	whose echo shows the flow alive, for HOLD_S seconds; then the client's EOF, and the
 *	flow is ok when the server's EOF follows with every byte echoed. -b binds every socket
 *	(the queries' and the flows') to the local address SRC. An established flow
 *	silent for 20 s, reset, or ended early is lost.
 *	Flow i is due at i / RATE. Two limits keep the generator from exhausting the pool
 *	itself (PENDING, default 40, under the pool's addresses): a flow holds a slot from its
 *	query to its connection, as its answer holds a pool binding until its SYN arrives, and
 *	no flow starts while PENDING hold one; and a generator that fell behind its schedule (a
 *	loaded machine stalled it) starts at most a quarter of PENDING overdue flows at once,
 *	then catches up at twice RATE. But the schedule is open across a failover: once neither
 *	a DNS answer nor an echo has come for 250 ms (the path through the gateway is gone: when
 *	only its daemon stalls, the echoes of the established flows go on), the unanswered
 *	queries hold no slot (they still wait 1 s for their answer), and neither does a flow
 *	that has not connected 250 ms after its answer (its SYN was lost or refused). A flow's
 *	start is when it sends its query; the flows not started SECS seconds after the first
 *	never are. MARK_FILE is created MARK_AFTER_S seconds after the first flow. One JSON line
 *	per flow goes to OUT: start_ms, late_ms (how far behind its time it started), est_ms
 *	(the first echo; null if never), end_ms (wall clock), outcome (ok, dns, connect, lost),
 *	why (for a failure), max_gap_ms (the longest silence of an established flow between two
 *	echoes), dns_ms and connect_ms (how long the answer and the connection took; -1 if never).
 *	tests/system/ha_flows.py report reads it.
 *	Printed on stdout at the end, one JSON line: the flows started, the pace reached (flows
 *	per second over the run), how far behind its schedule the generator fell (behind_ms_max)
 *	and what held it back (held_ms: the milliseconds a due flow waited for PENDING bindings
 *	to clear, held_catchup_ms: for the catch-up's limit), how long it ran and the CPU it
 *	used (ms, cpu_ms) and the outcomes.
 * Exit status 0 when the run completed (whatever the flows' outcomes), 1 on a usage or
 * system error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum fstate {
	F_IDLE = 0,
	F_DNS,
	F_CONNECT,
	F_FIRST,
	F_HOLD,
	F_CLOSING,
	F_DONE,
};

struct flow {
	enum fstate st;
	int fd;
	uint16_t id;
	bool holds_slot;
	int64_t start_ms, late_ms, est_ms, end_ms, last_rx_ms, next_tx_ms, deadline_ms, max_gap_ms;
	int64_t t_start, t_answer, t_connected; /* monotonic */
	uint32_t sent, echoed;
	const char *outcome, *why;
};

#define DNS_MS	   1000
#define CONNECT_MS 2000
#define SILENT_MS  20000
#define SLOT_MS	   250

static int ep;
static struct flow *flows;
static size_t nflows, started, done, pending, max_pending = 40;
/* silent_ms: how long the generator has been awake and got neither a DNS answer nor an echo
 * (once echoes came): the path through the gateway is gone, not just its daemon stalled */
static int64_t tick_ms = 100, hold_ms, silent_ms = -1;
static struct sockaddr_in dns_sa, src_sa;
static uint16_t tcp_port;
static uint8_t query[512];
static size_t query_len;
static FILE *out;

static void usage(void);
static int64_t now_ms(void);
static int64_t mono_ms(void);
static void raise_nofile(void);
static int serve(const char *addr, const char *port);
static int build_query(const char *name);
static int parse_answer(const uint8_t *p, size_t n, uint16_t id, struct in_addr *a,
			const char **why);
static void flow_start(struct flow *f);
static void flow_end(struct flow *f, const char *outcome, const char *why);
static void flow_event(struct flow *f);
static void flow_timers(struct flow *f, int64_t now);
static int run(int argc, char **argv);

static void
usage(void)
{
	fprintf(stderr, "usage: flowgen serve ADDR PORT\n"
			"       flowgen run [-b SRC] [-p PENDING] [-t TICK_MS] [-m MARK_AFTER_S "
			"MARK_FILE] DNS NAME PORT RATE SECS HOLD_S OUT\n");
	exit(1);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
tv_ms(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The echo server: small writes that a socket buffer always takes; what does not fit is dropped
 * and the client sees it as a lost flow (it never happens with a few bytes in flight). */
static int
serve(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	int one = 1, lfd, i, n;
	char buf[4096];

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		usage();
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 4096) == -1) {
		perror("flowgen: listen");
		return 1;
	}
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd, c;
			ssize_t r;

			if (fd == lfd) {
				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				if (write(fd, buf, r) != r)
					fprintf(stderr, "flowgen: short echo\n");
			} else if (r == 0 || errno != EAGAIN) {
				close(fd);
			}
		}
	}
}

/* The A query for NAME, built once (its id patched per flow). */
static int
build_query(const char *name)
{
	static const uint8_t hdr[12] = { 0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	const char *p = name;
	size_t n = sizeof(hdr);

	memcpy(query, hdr, sizeof(hdr));
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 63 || n + l + 6 > sizeof(query))
			return -EINVAL;
		query[n++] = (uint8_t)l;
		memcpy(query + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	query[n++] = 0;
	query[n++] = 0, query[n++] = 1; /* A */
	query[n++] = 0, query[n++] = 1; /* IN */
	query_len = n;
	return 0;
}

/* Skips a (possibly compressed) name at p[*o]; -1 when it runs off the message. */
static int
skip_name(const uint8_t *p, size_t n, size_t *o)
{
	while (*o < n) {
		uint8_t l = p[*o];

		if ((l & 0xc0) == 0xc0) {
			*o += 2;
			return *o <= n ? 0 : -1;
		}
		*o += 1 + l;
		if (l == 0)
			return 0;
	}
	return -1;
}

/* The first A record of the answer to query ID; 0 and *a, or -1 and *why. */
static int
parse_answer(const uint8_t *p, size_t n, uint16_t id, struct in_addr *a, const char **why)
{
	size_t o = 12;
	unsigned qd, an, i;

	*why = "malformed answer";
	if (n < 12 || (p[0] << 8 | p[1]) != id || !(p[2] & 0x80))
		return -1;
	if (p[3] & 0x0f) {
		static const char *const rc[6] = { "",	      "rcode 1", "rcode 2",
						   "rcode 3", "rcode 4", "rcode 5" };

		*why = (p[3] & 0x0f) < 6 ? rc[p[3] & 0x0f] : "rcode";
		return -1;
	}
	qd = p[4] << 8 | p[5];
	an = p[6] << 8 | p[7];
	for (i = 0; i < qd; i++) {
		if (skip_name(p, n, &o) || (o += 4) > n)
			return -1;
	}
	for (i = 0; i < an; i++) {
		unsigned type, rdlen;

		if (skip_name(p, n, &o) || o + 10 > n)
			return -1;
		type = p[o] << 8 | p[o + 1];
		rdlen = p[o + 8] << 8 | p[o + 9];
		o += 10;
		if (o + rdlen > n)
			return -1;
		if (type == 1 && rdlen == 4) {
			memcpy(&a->s_addr, p + o, 4);
			return 0;
		}
		o += rdlen;
	}
	*why = "no address";
	return -1;
}

/* The flow's next state ST, which must be over within MS, waiting for EVENTS (epoll's OP). */
static void
flow_step(struct flow *f, enum fstate st, int64_t ms, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = f };

	f->st = st;
	f->deadline_ms = mono_ms() + ms;
	epoll_ctl(ep, op, f->fd, &ev);
}

static void
release_slot(struct flow *f)
{
	if (f->holds_slot) {
		f->holds_slot = false;
		pending--;
	}
}

/* A non-blocking socket of TYPE, bound to -b's address when one was given; -1 and errno. */
static int
src_socket(int type)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0), one = 1;

	/* the port is chosen at connect(), per destination: thousands of flows from one address */
	if (fd != -1 && src_sa.sin_family)
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (fd != -1 && src_sa.sin_family &&
	    bind(fd, (struct sockaddr *)&src_sa, sizeof(src_sa)) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void
flow_start(struct flow *f)
{
	f->start_ms = now_ms();
	f->t_start = mono_ms();
	f->id = (uint16_t)random();
	f->holds_slot = true;
	pending++;
	f->fd = src_socket(SOCK_DGRAM);
	query[0] = f->id >> 8;
	query[1] = f->id & 0xff;
	if (f->fd == -1 || connect(f->fd, (struct sockaddr *)&dns_sa, sizeof(dns_sa)) == -1 ||
	    send(f->fd, query, query_len, 0) != (ssize_t)query_len) {
		flow_end(f, "dns", strerror(errno));
		return;
	}
	flow_step(f, F_DNS, DNS_MS, EPOLLIN, EPOLL_CTL_ADD);
}

static void
flow_end(struct flow *f, const char *outcome, const char *why)
{
	release_slot(f);
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	f->st = F_DONE;
	f->outcome = outcome;
	f->why = why;
	f->end_ms = now_ms();
	done++;
	fprintf(out, "{\"start_ms\": %lld, \"late_ms\": %lld, \"est_ms\": ", (long long)f->start_ms,
		(long long)f->late_ms);
	if (f->est_ms)
		fprintf(out, "%lld", (long long)f->est_ms);
	else
		fputs("null", out);
	fprintf(out, ", \"end_ms\": %lld, \"outcome\": \"%s\", \"max_gap_ms\": %lld",
		(long long)f->end_ms, outcome, (long long)f->max_gap_ms);
	fprintf(out, ", \"dns_ms\": %lld, \"connect_ms\": %lld",
		f->t_answer ? (long long)(f->t_answer - f->t_start) : -1LL,
		f->t_connected ? (long long)(f->t_connected - f->t_answer) : -1LL);
	if (why)
		fprintf(out, ", \"why\": \"%s\"", why);
	fputs("}\n", out);
}

static void
flow_dns(struct flow *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = tcp_port };
	const char *why;
	uint8_t buf[1500];
	ssize_t n = recv(f->fd, buf, sizeof(buf), 0);

	if (n == -1 && errno == EAGAIN)
		return;
	if (n == -1) {
		flow_end(f, "dns", strerror(errno));
		return;
	}
	silent_ms = silent_ms < 0 ? -1 : 0; /* any answer: the gateway is there */
	if (parse_answer(buf, n, f->id, &sa.sin_addr, &why)) {
		/* an answer to an earlier query of this socket cannot exist: one query each */
		flow_end(f, "dns", why);
		return;
	}
	f->t_answer = mono_ms();
	/* a query that lost its slot to a silent gateway and is answered late holds a binding */
	if (!f->holds_slot) {
		f->holds_slot = true;
		pending++;
	}
	close(f->fd);
	f->fd = src_socket(SOCK_STREAM);
	if (f->fd == -1 ||
	    (connect(f->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno != EINPROGRESS)) {
		flow_end(f, "connect", strerror(errno));
		return;
	}
	flow_step(f, F_CONNECT, CONNECT_MS, EPOLLOUT, EPOLL_CTL_ADD);
}

static void
flow_send(struct flow *f)
{
	if (send(f->fd, "x", 1, MSG_NOSIGNAL) == 1)
		f->sent++;
}

static void
flow_event(struct flow *f)
{
	int err = 0, one = 1;
	socklen_t len = sizeof(err);
	char buf[4096];
	ssize_t n;

	switch (f->st) {
	case F_DNS:
		flow_dns(f);
		return;
	case F_CONNECT:
		release_slot(f);
		getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			flow_end(f, "connect", strerror(err));
			return;
		}
		f->t_connected = mono_ms();
		setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		flow_send(f);
		flow_step(f, F_FIRST, CONNECT_MS, EPOLLIN, EPOLL_CTL_MOD);
		return;
	default:
		break;
	}
	n = recv(f->fd, buf, sizeof(buf), 0);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n > 0) {
		int64_t m = mono_ms();

		if (f->st == F_FIRST) {
			f->est_ms = now_ms();
			f->st = F_HOLD;
			f->deadline_ms = m + hold_ms;
			f->next_tx_ms = m + tick_ms;
		} else if (m - f->last_rx_ms > f->max_gap_ms) {
			f->max_gap_ms = m - f->last_rx_ms;
		}
		f->last_rx_ms = m;
		f->echoed += n;
		silent_ms = 0;
		return;
	}
	if (f->st == F_FIRST)
		flow_end(f, "connect", n == 0 ? "eof before the echo" : strerror(errno));
	else if (n == 0 && f->st == F_CLOSING && f->echoed == f->sent)
		flow_end(f, "ok", NULL);
	else
		flow_end(f, "lost",
			 n == 0		       ? "eof"
			 : errno == ECONNRESET ? "reset"
					       : strerror(errno));
}

/* True when the flow's socket has an event epoll has not handed over yet (a generator stalled
 * by a loaded machine finds many at once): handled first, so that it is not a timeout. */
static bool
flow_ready(struct flow *f)
{
	struct pollfd p = { .fd = f->fd,
			    .events = f->st == F_CONNECT ? POLLOUT : POLLIN | POLLRDHUP };

	if (poll(&p, 1, 0) != 1)
		return false;
	flow_event(f);
	return true;
}

static void
flow_timers(struct flow *f, int64_t m)
{
	switch (f->st) {
	case F_DNS:
		if (silent_ms >= SLOT_MS)
			release_slot(f);
		if (m >= f->deadline_ms && !flow_ready(f))
			flow_end(f, "dns", "timeout");
		break;
	case F_CONNECT:
	case F_FIRST:
		if (m - f->t_answer >= SLOT_MS)
			release_slot(f);
		if (m >= f->deadline_ms && !flow_ready(f))
			flow_end(f, "connect", "timeout");
		break;
	case F_HOLD:
		if (m - f->last_rx_ms >= SILENT_MS) {
			if (!flow_ready(f))
				flow_end(f, "lost", "timeout");
		} else if (m >= f->deadline_ms) {
			shutdown(f->fd, SHUT_WR);
			f->st = F_CLOSING;
		} else if (m >= f->next_tx_ms) {
			flow_send(f);
			f->next_tx_ms += tick_ms;
		}
		break;
	case F_CLOSING:
		if (m - f->last_rx_ms >= SILENT_MS && !flow_ready(f))
			flow_end(f, "lost", "timeout");
		break;
	default:
		break;
	}
}

static int
run(int argc, char **argv)
{
	const char *mark_file = NULL;
	double rate, secs, mark_after = -1;
	int64_t t0 = 0, span, behind = 0, m, scanned = 0, refilled, held = 0, held_catchup = 0;
	int64_t held_since = -1, prev_m;
	double tokens, burst;
	size_t i, live_n = 0, *live;
	struct epoll_event evs[512];
	int c, n, k;
	size_t cnt[4] = { 0 };
	static const char *const names[4] = { "ok", "dns", "connect", "lost" };
	bool marked = false;
	struct rusage ru;

	while ((c = getopt(argc, argv, "b:p:t:m:")) != -1) {
		switch (c) {
		case 'b':
			src_sa.sin_family = AF_INET;
			if (inet_pton(AF_INET, optarg, &src_sa.sin_addr) != 1)
				usage();
			break;
		case 'p':
			max_pending = strtoul(optarg, NULL, 10);
			break;
		case 't':
			tick_ms = strtoll(optarg, NULL, 10);
			break;
		case 'm':
			if (optind >= argc)
				usage();
			mark_after = atof(optarg);
			mark_file = argv[optind++];
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 7 || max_pending == 0 || tick_ms <= 0)
		usage();
	argv += optind;
	dns_sa.sin_family = AF_INET;
	dns_sa.sin_port = htons(53);
	tcp_port = htons(atoi(argv[2]));
	rate = atof(argv[3]);
	secs = atof(argv[4]);
	hold_ms = (int64_t)(atof(argv[5]) * 1000);
	if (inet_pton(AF_INET, argv[0], &dns_sa.sin_addr) != 1 || build_query(argv[1]) ||
	    rate <= 0 || secs <= 0 || hold_ms < 0)
		usage();
	nflows = (size_t)(rate * secs);
	flows = calloc(nflows, sizeof(*flows));
	live = calloc(nflows, sizeof(*live));
	out = fopen(argv[6], "w");
	if (!flows || !live || !out) {
		perror("flowgen");
		return 1;
	}
	srandom(getpid() ^ (unsigned)now_ms());
	t0 = mono_ms();
	refilled = t0;
	prev_m = t0;
	burst = max_pending / 4 > 1 ? (double)(max_pending / 4) : 1.0;
	tokens = burst;
	while (done < started || (started < nflows && mono_ms() - t0 < secs * 1000)) {
		int64_t next;

		m = mono_ms();
		/* the generator's own stalls count 10 ms at most */
		if (silent_ms >= 0)
			silent_ms += m - prev_m < 10 ? m - prev_m : 10;
		prev_m = m;
		if (!marked && mark_file && m - t0 >= mark_after * 1000) {
			FILE *mf = fopen(mark_file, "w");

			if (mf)
				fclose(mf);
			marked = true;
		}
		/* the catch-up's tokens: a quarter of PENDING at most, refilled at twice the rate */
		tokens += (double)(m - refilled) * 2 * rate / 1000;
		if (tokens > burst)
			tokens = burst;
		refilled = m;
		/* open loop: flow i is due at t0 + i / rate, whatever the others are doing */
		next = 10;
		while (started < nflows && m - t0 < secs * 1000) {
			int64_t due = t0 + (int64_t)(started * 1000 / rate);

			next = due - m;
			if (next > 0) {
				held_since = -1;
				break;
			}
			if (pending >= max_pending || tokens < 1) {
				/* how long a due flow is held back, and by what */
				if (held_since >= 0)
					*(pending >= max_pending ? &held : &held_catchup) +=
						m - held_since;
				held_since = m;
				next = 1;
				break;
			}
			tokens -= 1;
			held_since = -1;
			if (m - due > behind)
				behind = m - due;
			flows[started].fd = -1;
			flows[started].late_ms = m - due;
			flow_start(&flows[started]);
			live[live_n++] = started++;
		}
		n = epoll_wait(ep, evs, 512, next < 1 ? 1 : next > 10 ? 10 : (int)next);
		for (k = 0; k < n; k++) {
			struct flow *f = evs[k].data.ptr;

			if (f->st != F_DONE)
				flow_event(f);
		}
		m = mono_ms();
		/* the timers at a 5 ms grain: a scan of every live flow each millisecond would cost
		 * the generator more than its flows do */
		if (m - scanned < 5)
			continue;
		scanned = m;
		for (i = 0; i < live_n;) {
			struct flow *f = &flows[live[i]];

			if (f->st != F_DONE)
				flow_timers(f, m);
			if (f->st == F_DONE)
				live[i] = live[--live_n];
			else
				i++;
		}
	}
	fclose(out);
	for (i = 0; i < started; i++) {
		for (k = 0; k < 4; k++)
			if (!strcmp(flows[i].outcome, names[k]))
				cnt[k]++;
	}
	span = started > 1 ? flows[started - 1].start_ms - flows[0].start_ms : 0;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"flows\": %zu, \"rate\": %.0f, \"asked_rate\": %.0f, \"behind_ms_max\": %lld, "
	       "\"held_ms\": %lld, \"held_catchup_ms\": %lld, \"ms\": %lld, \"cpu_ms\": %lld, "
	       "\"ok\": %zu, \"dns\": %zu, \"connect\": %zu, \"lost\": %zu}\n",
	       started, span > 0 ? (started - 1) * 1000.0 / span : 0.0, rate, (long long)behind,
	       (long long)held, (long long)held_catchup, (long long)(mono_ms() - t0),
	       (long long)(tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime)), cnt[0], cnt[1], cnt[2],
	       cnt[3]);
	free(live);
	free(flows);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	raise_nofile();
	ep = epoll_create1(0);
	if (ep == -1) {
		perror("flowgen: epoll");
		return 1;
	}
	if (!strcmp(argv[1], "serve") && argc == 4)
		return serve(argv[2], argv[3]);
	if (!strcmp(argv[1], "run"))
		return run(argc - 1, argv + 1);
	usage();
	return 1;
}
