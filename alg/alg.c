/* SPDX-License-Identifier: MIT */
/* alg/alg.c -- the ALG subsystem: workers, listener set and routes from policy */
#include "alg.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alg/worker.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"

#define ALG_FDS_PER_CONN 2    /* client and backend sockets */
#define ALG_FDS_SPARE	 1024 /* the rest of rgwd: listeners, DNS, API, store, NAT */
#define DEFER_ACCEPT_S	 1    /* TCP_DEFER_ACCEPT: the kernel holds a silent client this long */

/* One listening address: a socket per worker, all bound with SO_REUSEPORT. */
struct alg_listener {
	struct addr_port ap;
	uint16_t port;
	int *fds;   /* per worker (the workers own the sockets) */
	bool fresh; /* in a plan: opened for it (else carried over from the set in force) */
};

/* A policy change, built by alg_prepare: routes and listener set, one post per worker. */
struct alg_plan {
	struct alg_listener *ls; /* the listener set of the new policy */
	size_t n_ls;
	bool *kept; /* per listener in force: still wanted */
	struct alg_post **posts;
	size_t n_routes;
};

struct alg {
	struct alg_settings set;
	struct alg_pipe_budget pipes;
	struct conf_addrports listen;
	struct conf_intlist ports;
	struct alg_worker **w;
	size_t n_workers;
	struct alg_listener *ls;
	size_t n_ls;
};

static long raise_nofile(long max_conns, struct alg_pipe_budget *pipes);
static int open_listener(const struct addr_port *ap);
static bool same_ap(const struct addr_port *a, const struct addr_port *b);
static int want(const struct alg *alg, struct alg_plan *pl, const struct addr_port *ap,
		struct pol_err *e);

static const char *const stat_names[ALG_STAT_COUNT] = {
	[ALG_STAT_ACCEPTED] = "accepted",
	[ALG_STAT_REFUSED_CAP] = "refused_cap",
	[ALG_STAT_REFUSED_SOURCE] = "refused_source",
	[ALG_STAT_REFUSED_RATE] = "refused_rate",
	[ALG_STAT_ROUTED] = "routed",
	[ALG_STAT_UNKNOWN_NAME] = "unknown_name",
	[ALG_STAT_NO_NAME] = "no_name",
	[ALG_STAT_INVALID] = "invalid",
	[ALG_STAT_HOSTNAME_TIMEOUT] = "hostname_timeout",
	[ALG_STAT_CONNECT_FAILED] = "connect_failed",
	[ALG_STAT_IDLE_TIMEOUT] = "idle_timeout",
	[ALG_STAT_SHED] = "shed",
	[ALG_STAT_ERRORS] = "errors",
	[ALG_STAT_SPLICE_FALLBACK] = "splice_fallbacks",
	[ALG_STAT_BYTES_UP] = "bytes_up",
	[ALG_STAT_BYTES_DOWN] = "bytes_down",
	[ALG_STAT_ACTIVE] = "active",
	[ALG_STAT_REFUSED_REPUTATION] = "refused_reputation",
};

/* /metrics: family name (Prometheus conventions: unit before _total) and help per counter */
static const struct {
	const char *family;
	const char *help;
} stat_metrics[ALG_STAT_COUNT] = {
	[ALG_STAT_ACCEPTED] = { "rgw_alg_accepted_total", "ALG connections admitted." },
	[ALG_STAT_REFUSED_CAP] = { "rgw_alg_refused_cap_total",
				   "Connections closed at accept: the global connection cap." },
	[ALG_STAT_REFUSED_SOURCE] = { "rgw_alg_refused_source_total",
				      "Connections closed at accept: the per-source cap." },
	[ALG_STAT_REFUSED_RATE] = { "rgw_alg_refused_rate_total",
				    "Connections closed at accept: the accept rate limit." },
	[ALG_STAT_ROUTED] = { "rgw_alg_routed_total", "Connections relayed to a backend." },
	[ALG_STAT_UNKNOWN_NAME] = { "rgw_alg_unknown_name_total",
				    "Connections naming a host without a route." },
	[ALG_STAT_NO_NAME] = { "rgw_alg_no_name_total",
			       "Connections without SNI or Host, or with an IP literal." },
	[ALG_STAT_INVALID] = { "rgw_alg_invalid_total",
			       "Malformed or oversized ClientHellos and requests." },
	[ALG_STAT_HOSTNAME_TIMEOUT] = { "rgw_alg_hostname_timeout_total",
					"Connections closed before they named a host in time." },
	[ALG_STAT_CONNECT_FAILED] = { "rgw_alg_connect_failed_total",
				      "Backend connections refused, unreachable or timed out." },
	[ALG_STAT_IDLE_TIMEOUT] = { "rgw_alg_idle_timeout_total",
				    "Relayed connections closed when idle." },
	[ALG_STAT_SHED] = { "rgw_alg_shed_total",
			    "Relayed connections without progress closed to make room at "
			    "max_connections." },
	[ALG_STAT_ERRORS] = { "rgw_alg_errors_total", "Resets and socket errors while relaying." },
	[ALG_STAT_SPLICE_FALLBACK] = { "rgw_alg_splice_fallbacks_total",
				       "Relay directions switched from splice to buffers." },
	[ALG_STAT_BYTES_UP] = { "rgw_alg_up_bytes_total",
				"Bytes relayed from clients to backends." },
	[ALG_STAT_BYTES_DOWN] = { "rgw_alg_down_bytes_total",
				  "Bytes relayed from backends to clients." },
	[ALG_STAT_ACTIVE] = { "rgw_alg_active", "Open ALG client connections." },
	[ALG_STAT_REFUSED_REPUTATION] = { "rgw_alg_refused_reputation_total",
					  "Connections refused for the client's reputation." },

};

const char *
alg_stat_name(enum alg_stat s)
{
	return (unsigned)s < ALG_STAT_COUNT ? stat_names[s] : "?";
}

/*
 * Each relayed connection holds two sockets and, while bulk is in flight, a pipe per
 * direction. Raise the open-file limit to what max_conns needs (its sockets, and pipes for a
 * quarter of them both ways), and return the connection cap the limit supports: max_conns, or
 * fewer, with an error-level message (a cap the descriptors cannot back would fail accepts,
 * backend connects and the API at random once they run out). Pipes get only the descriptors
 * beyond every capped connection's two sockets (pipes->max): without one, a direction relays
 * through buffers (alg/relay.c), so running short of pipes costs speed, never a connection.
 */
static long
raise_nofile(long max_conns, struct alg_pipe_budget *pipes)
{
	struct rlimit rl, nrl;
	rlim_t want = (rlim_t)max_conns * ALG_FDS_PER_CONN + (rlim_t)max_conns / 4 +
		      ALG_FDS_SPARE; /* + a pipe per direction for one connection in 16 */
	rlim_t usable;
	long fit = max_conns;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = rl.rlim_max = want; /* unknown: assume enough */
	nrl = rl;
	if (rl.rlim_cur < want) {
		nrl.rlim_cur = MIN(want, rl.rlim_max);
		if (setrlimit(RLIMIT_NOFILE, &nrl) != 0)
			nrl.rlim_cur = rl.rlim_cur;
	}
	usable = nrl.rlim_cur > 2 * ALG_FDS_SPARE ? nrl.rlim_cur - ALG_FDS_SPARE : nrl.rlim_cur / 2;
	if (nrl.rlim_cur < want) {
		fit = MAX((long)(usable * 4 / 9), 1); /* 2 + 1/4 descriptors per connection */
		log_msg(LOG_LVL_ERR,
			"alg: open files limited to %llu: max_connections lowered from %ld to %ld "
			"(each needs %d descriptors and pipes for one in 16, %d kept for the rest); "
			"raise LimitNOFILE",
			(unsigned long long)nrl.rlim_cur, max_conns, fit, ALG_FDS_PER_CONN,
			ALG_FDS_SPARE);
	}
	if (pipes != NULL) {
		rlim_t socks = (rlim_t)fit * ALG_FDS_PER_CONN;

		atomic_store_explicit(&pipes->max,
				      usable > socks ? (long)((usable - socks) / 2) : 0,
				      memory_order_relaxed);
	}
	return fit;
}

long
alg_default_workers(long ncpu, long dns_workers)
{
	long n = ncpu - 1 - MAX(dns_workers, 0);

	return MIN(MAX(n, 1), ALG_WORKERS_MAX);
}

void
alg_set_sessions(struct alg *alg, struct pol_sessions *t)
{
	__atomic_store_n(&alg->set.sessions, t, __ATOMIC_RELEASE);
}

struct alg *
alg_new(struct ev_loop *loop, const struct conf *conf)
{
	struct alg *alg;
	long n = conf->alg_workers, ncpu = 0, max_conns;
	size_t i;

	(void)loop;
	alg = calloc(1, sizeof(*alg));
	if (alg == NULL)
		return NULL;
	alg->set.hostname_timeout_ms = (uint64_t)conf->alg_hostname_timeout_ms;
	alg->set.connect_timeout_ms = (uint64_t)conf->alg_connect_timeout_ms;
	alg->set.idle_timeout_ms = (uint64_t)conf->alg_idle_timeout_ms;
	alg->set.min_progress = (uint64_t)conf->alg_min_progress;
	alg->set.access_log = conf->alg_access_log;
	alg->set.access_log_ok = conf->alg_access_log_ok;
	alg->set.splice = conf->alg_splice;
	alg->set.sched_batch = conf->alg_sched_batch;
	alg->set.pipes = &alg->pipes;
	max_conns = raise_nofile(conf->alg_max_conns, &alg->pipes);
	alg->set.limit = alg_limit_new(max_conns, MIN(conf->alg_max_conns_per_source, max_conns),
				       conf->alg_accept_rate, conf->alg_accept_burst);
	alg->set.max_conns = conf->alg_max_conns;
	alg->set.rep_load_conns = conf->alg_max_conns * conf->alg_rep_load_pct / 100;
	alg->listen = conf->alg_listen;
	alg->ports = conf->alg_ports;
	if (alg->set.limit == NULL)
		goto fail;
	if (n <= 0) {
		/* More workers than free CPUs cost more CPU per connection, not less (docs/alg.md,
		 * "How many workers"). */
		ncpu = util_ncpu();
		n = alg_default_workers(ncpu, conf->dns_enable ? conf->dns_workers : 0);
	}
	alg->w = calloc((size_t)n, sizeof(*alg->w));
	if (alg->w == NULL)
		goto fail;
	for (i = 0; i < (size_t)n; i++) {
		alg->w[i] = alg_worker_new((int)i, &alg->set);
		if (alg->w[i] == NULL)
			goto fail;
		alg->n_workers++;
		if (alg_worker_start(alg->w[i]) < 0)
			goto fail;
	}
	if (ncpu > 0)
		log_info(
			"alg: %zu worker%s (workers = 0: %ld usable CPU%s less 1 for the main thread "
			"and the kernel%s%s, at least 1), hostname timeout %ld ms, max %ld "
			"connections (%ld per source)",
			alg->n_workers, alg->n_workers == 1 ? "" : "s", ncpu, ncpu == 1 ? "" : "s",
			conf->dns_enable && conf->dns_workers > 0 ? " and 1 per DNS worker" : "",
			ncpu - 1 > ALG_WORKERS_MAX ? ", at most 64" : "",
			conf->alg_hostname_timeout_ms, max_conns, conf->alg_max_conns_per_source);
	else
		log_info("alg: %zu worker%s (workers = %ld), hostname timeout %ld ms, max %ld "
			 "connections (%ld per source)",
			 alg->n_workers, alg->n_workers == 1 ? "" : "s", conf->alg_workers,
			 conf->alg_hostname_timeout_ms, max_conns, conf->alg_max_conns_per_source);
	return alg;
fail:
	log_warn("alg: cannot start");
	alg_free(alg);
	return NULL;
}

static int
open_listener(const struct addr_port *ap)
{
	int fd, one = 1, defer = DEFER_ACCEPT_S, saved;
	int fam = ap->ss.ss_family;

	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
		goto fail;
	/* A relay forwards segments as they come: the endpoints apply Nagle to their own writes,
	 * and a second Nagle here would hold a small segment for the peer's delayed ACK (~40 ms).
	 * Accepted sockets inherit the option (Linux), which saves a syscall per connection. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Accept when the first bytes (ClientHello, request head) are there, not at the
	 * handshake's last ACK: one wake-up and one failing recv less per connection. A client
	 * that sends nothing stays in the kernel's SYN queue, costing us nothing, until the first
	 * SYN-ACK retransmission (~1 s); then it is accepted and alg.hostname_timeout applies. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	if (fam == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* a service address may be configured on an interface after rgwd starts (VRRP) */
	(void)addr_sock_freebind(fd, fam);
	if (bind(fd, (const struct sockaddr *)&ap->ss, ap->len) == -1)
		goto fail;
	if (listen(fd, ALG_BACKLOG_LONG) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	return -saved;
}

static bool
same_ap(const struct addr_port *a, const struct addr_port *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/*
 * Add ap to the plan's listener set: carried over when it is in force, else opened now, one
 * socket per worker, handed to the workers' posts (so that an address that cannot be bound
 * fails the plan before anything changed).
 */
static int
want(const struct alg *alg, struct alg_plan *pl, const struct addr_port *ap, struct pol_err *e)
{
	struct alg_listener *l = &pl->ls[pl->n_ls];
	char buf[ADDR_PORT_STRLEN];
	size_t i;
	int fd;

	for (i = 0; i < pl->n_ls; i++)
		if (same_ap(&pl->ls[i].ap, ap))
			return 0;
	for (i = 0; i < alg->n_ls; i++) {
		if (same_ap(&alg->ls[i].ap, ap)) {
			*l = alg->ls[i];
			l->fresh = false;
			pl->kept[i] = true;
			pl->n_ls++;
			return 0;
		}
	}
	memset(l, 0, sizeof(*l));
	l->ap = *ap;
	l->port = addr_port_port(ap);
	l->fresh = true;
	addr_note_missing(ap, "alg");
	l->fds = calloc(alg->n_workers, sizeof(int));
	if (l->fds == NULL)
		goto nomem;
	pl->n_ls++;
	for (i = 0; i < alg->n_workers; i++) {
		struct alg_lsock *s = calloc(1, sizeof(*s));

		if (s == NULL)
			goto nomem;
		fd = open_listener(ap);
		if (fd < 0) {
			free(s);
			pol_err_setk(e, POL_ERR_APPLY, "alg", "cannot listen on %s: %s",
				     addr_port_ntop(ap, buf, sizeof(buf)), strerror(-fd));
			log_warnx("alg: cannot listen on %s: %s", buf, strerror(-fd));
			return fd;
		}
		s->fd = l->fds[i] = fd;
		s->port = l->port;
		s->next = pl->posts[i]->add;
		pl->posts[i]->add = s;
	}
	return 0;
nomem:
	pol_err_setk(e, POL_ERR_APPLY, "alg", "out of memory");
	return -ENOMEM;
}

void
alg_abort(struct alg_plan *pl)
{
	size_t i;

	if (pl == NULL)
		return;
	/* the new sockets are in the posts, which close them */
	for (i = 0; pl->posts != NULL && pl->posts[i] != NULL; i++)
		alg_post_free(pl->posts[i]);
	for (i = 0; i < pl->n_ls; i++)
		if (pl->ls[i].fresh)
			free(pl->ls[i].fds);
	free(pl->posts);
	free(pl->ls);
	free(pl->kept);
	free(pl);
}

int
alg_prepare(const struct alg *alg, const struct pol_snap *snap, struct alg_plan **out,
	    struct pol_err *e)
{
	struct alg_plan *pl = calloc(1, sizeof(*pl));
	size_t i, j, n_want = alg->listen.n ? alg->listen.n : snap->n_service_addrs * alg->ports.n;
	struct alg_routes *routes = NULL;
	struct addr_port ap;
	int rc = -ENOMEM;

	*out = NULL;
	if (pl == NULL)
		goto nomem;
	pl->ls = calloc(n_want + 1, sizeof(*pl->ls));
	pl->kept = calloc(alg->n_ls + 1, sizeof(*pl->kept));
	pl->posts = calloc(alg->n_workers + 1, sizeof(*pl->posts));
	routes = alg_routes_build(snap);
	if (pl->ls == NULL || pl->kept == NULL || pl->posts == NULL || routes == NULL)
		goto nomem;
	pl->n_routes = alg_routes_count(routes);
	for (i = 0; i < alg->n_workers; i++) {
		pl->posts[i] = calloc(1, sizeof(*pl->posts[i]));
		if (pl->posts[i] == NULL)
			goto nomem;
		pl->posts[i]->routes = alg_routes_ref(routes);
		pl->posts[i]->del = calloc(alg->n_ls + 1, sizeof(int));
		if (pl->posts[i]->del == NULL)
			goto nomem;
	}
	if (alg->listen.n > 0) {
		for (i = 0; i < alg->listen.n; i++)
			if ((rc = want(alg, pl, &alg->listen.v[i], e)) < 0)
				goto fail;
	} else {
		for (i = 0; i < snap->n_service_addrs; i++)
			for (j = 0; j < alg->ports.n; j++) {
				addr_to_sockaddr(&snap->service_addrs[i].addr,
						 (uint16_t)alg->ports.v[j], &ap);
				if ((rc = want(alg, pl, &ap, e)) < 0)
					goto fail;
			}
	}
	/* listeners in force that the policy no longer wants: each worker closes its own */
	for (i = 0; i < alg->n_ls; i++)
		for (j = 0; !pl->kept[i] && j < alg->n_workers; j++)
			if (alg->ls[i].fds[j] != -1)
				pl->posts[j]->del[pl->posts[j]->n_del++] = alg->ls[i].fds[j];
	alg_routes_unref(routes);
	*out = pl;
	return 0;
nomem:
	pol_err_setk(e, POL_ERR_APPLY, "alg", "out of memory");
	rc = -ENOMEM;
fail:
	alg_routes_unref(routes);
	alg_abort(pl);
	return rc;
}

size_t
alg_workers(const struct alg *alg)
{
	return alg->n_workers;
}

int
alg_set_evidence(struct alg *alg, struct ev_loop *loop, alg_ev_cb cb, void *arg)
{
	if (alg->set.evq != NULL)
		return 0;
	/* The workers read set.evq only from connections, and none exists before the first
	 * policy apply opens the listeners (the mailbox post orders the write before them). */
	alg->set.evq = alg_evq_new(loop, 65536, cb, arg);
	return alg->set.evq != NULL ? 0 : -ENOMEM;
}

int
alg_set_low_sources(struct alg *alg, const struct addr *addrs, size_t n)
{
	struct alg_rep_snap *s = alg_rep_snap_new(addrs, n);
	size_t i;

	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i < alg->n_workers; i++)
		alg_worker_post_rep(alg->w[i], alg_rep_snap_ref(s));
	alg_rep_snap_unref(s);
	return 0;
}

void
alg_evidence_counts(const struct alg *alg, uint64_t *pushed, uint64_t *dropped)
{
	*pushed = *dropped = 0;
	if (alg->set.evq != NULL)
		alg_evq_counts(alg->set.evq, pushed, dropped);
}

void
alg_commit(struct alg *alg, struct alg_plan *pl)
{
	char buf[ADDR_PORT_STRLEN];
	size_t i;

	for (i = 0; i < alg->n_workers; i++)
		alg_worker_post(alg->w[i], pl->posts[i]);
	for (i = 0; i < alg->n_ls; i++) {
		if (pl->kept[i])
			continue;
		log_info("alg: closing listener %s",
			 addr_port_ntop(&alg->ls[i].ap, buf, sizeof(buf)));
		free(alg->ls[i].fds);
	}
	for (i = 0; i < pl->n_ls; i++)
		if (pl->ls[i].fresh)
			log_info("alg: listening on %s",
				 addr_port_ntop(&pl->ls[i].ap, buf, sizeof(buf)));
	free(alg->ls);
	alg->ls = pl->ls;
	alg->n_ls = pl->n_ls;
	log_info("alg: %zu routes", pl->n_routes);
	free(pl->posts);
	free(pl->kept);
	free(pl);
}

void
alg_stats(const struct alg *alg, uint64_t out[ALG_STAT_COUNT])
{
	size_t i, s;

	memset(out, 0, sizeof(uint64_t) * ALG_STAT_COUNT);
	for (i = 0; i < alg->n_workers; i++)
		for (s = 0; s < ALG_STAT_COUNT; s++)
			out[s] += atomic_load_explicit(&alg->w[i]->stats[s], memory_order_relaxed);
}

void
alg_metrics(const struct alg *alg, struct buf *out)
{
	uint64_t v[ALG_STAT_COUNT];
	size_t s;

	alg_stats(alg, v);
	for (s = 0; s < ALG_STAT_COUNT; s++)
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", stat_metrics[s].family,
			   stat_metrics[s].help, stat_metrics[s].family,
			   s == ALG_STAT_ACTIVE ? "gauge" : "counter", stat_metrics[s].family,
			   (unsigned long long)v[s]);
	buf_printf(out,
		   "# HELP rgw_alg_workers ALG worker threads.\n"
		   "# TYPE rgw_alg_workers gauge\nrgw_alg_workers %zu\n",
		   alg->n_workers);
}

void
alg_reconf(struct alg *alg, const struct conf *conf)
{
	struct alg_settings *s = &alg->set;

	/* workers read these with atomic loads at their next tick or connection */
	__atomic_store_n(&s->hostname_timeout_ms, (uint64_t)conf->alg_hostname_timeout_ms,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->connect_timeout_ms, (uint64_t)conf->alg_connect_timeout_ms,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->idle_timeout_ms, (uint64_t)conf->alg_idle_timeout_ms,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->access_log, conf->alg_access_log, __ATOMIC_RELAXED);
	__atomic_store_n(&s->access_log_ok, conf->alg_access_log_ok, __ATOMIC_RELAXED);
	long fit = raise_nofile(conf->alg_max_conns, &alg->pipes);

	alg_limit_set(s->limit, fit, MIN(conf->alg_max_conns_per_source, fit),
		      conf->alg_accept_rate, conf->alg_accept_burst);
	log_info("alg: hostname timeout %ld ms, connect timeout %ld ms, idle timeout %ld ms, max "
		 "%ld connections (%ld per source), accept rate %ld/s (burst %ld)",
		 conf->alg_hostname_timeout_ms, conf->alg_connect_timeout_ms,
		 conf->alg_idle_timeout_ms, conf->alg_max_conns, conf->alg_max_conns_per_source,
		 conf->alg_accept_rate, conf->alg_accept_burst);
}

void
alg_free(struct alg *alg)
{
	size_t i;

	if (alg == NULL)
		return;
	/* workers close their own listener sockets and connections */
	for (i = 0; i < alg->n_workers; i++)
		alg_worker_free(alg->w[i]);
	free(alg->w);
	for (i = 0; i < alg->n_ls; i++)
		free(alg->ls[i].fds);
	free(alg->ls);
	alg_evq_free(alg->set.evq);
	alg_limit_free(alg->set.limit);
	free(alg);
}
