/* SPDX-License-Identifier: MIT */
/* alg/alg.h -- the SNI / Host application-level gateway subsystem */
#ifndef RGW_ALG_ALG_H
#define RGW_ALG_ALG_H

#include <stdint.h>

#include "common/conf.h"
#include "alg/rep.h"
#include "common/ev.h"
#include "policy/policy.h"

/*
 * The ALG runs in conf->alg_workers threads (0: alg_default_workers() of the usable CPUs),
 * each with its own event loop and its own SO_REUSEPORT listeners. The main thread owns struct alg: it creates the
 * listening sockets, builds routing snapshots from policy and hands both to the workers.
 */
struct alg;

/* Counters, summed over the workers by alg_stats(). */
enum alg_stat {
	ALG_STAT_ACCEPTED = 0,	   /* connections admitted */
	ALG_STAT_REFUSED_CAP,	   /* closed at accept: global connection cap */
	ALG_STAT_REFUSED_SOURCE,   /* closed at accept: per-source cap */
	ALG_STAT_REFUSED_RATE,	   /* closed at accept: token bucket empty */
	ALG_STAT_ROUTED,	   /* connected to a backend */
	ALG_STAT_UNKNOWN_NAME,	   /* valid name without a route: alert 112 / 421 */
	ALG_STAT_NO_NAME,	   /* no SNI, no Host, IP literal */
	ALG_STAT_INVALID,	   /* malformed ClientHello or request, or too big */
	ALG_STAT_HOSTNAME_TIMEOUT, /* nothing or not enough received before the deadline */
	ALG_STAT_CONNECT_FAILED,   /* backend refused or unreachable, or connect timeout */
	ALG_STAT_IDLE_TIMEOUT,
	ALG_STAT_SHED,		  /* relayed connections closed to make room at max_connections */
	ALG_STAT_ERRORS,	  /* resets and socket errors while relaying */
	ALG_STAT_SPLICE_FALLBACK, /* relay directions switched from splice to buffers */
	ALG_STAT_BYTES_UP,	  /* client -> backend, replayed bytes included */
	ALG_STAT_BYTES_DOWN,	  /* backend -> client */
	ALG_STAT_ACTIVE,	  /* gauge: open client connections */
	ALG_STAT_REFUSED_REPUTATION, /* closed at accept: low reputation while under load */
	ALG_STAT_COUNT		     /* number of counters, not a counter */
};

/* The most worker threads (the maximum of the [alg] workers key). */
#define ALG_WORKERS_MAX 64

/*
 * Worker threads for [alg] workers = 0, given the CPUs the process may run on (util_ncpu())
 * and the extra DNS worker threads that will run ([dns] workers when DNS is on, else 0): one
 * CPU is left to the main thread (DNS, NAT verdicts, the API) and the kernel's network work
 * (softirq, TCP), one more per DNS worker; at least 1, at most ALG_WORKERS_MAX. Pure.
 * 1 CPU -> 1, 2 -> 1, 4 -> 3, 8 -> 7, 16 -> 15 (docs/alg.md, "How many workers").
 */
long alg_default_workers(long ncpu, long dns_workers);

/* Prometheus-style name without prefix ("accepted", "refused_cap", ...). */
const char *alg_stat_name(enum alg_stat s);

/*
 * Create the subsystem and start its worker threads (no listeners until alg_commit).
 * loop is the main loop (kept for future use by the caller's thread only); conf is copied.
 * Raises RLIMIT_NOFILE toward what alg_max_conns needs when allowed. Main thread.
 * NULL on failure (logged).
 */
struct alg *alg_new(struct ev_loop *loop, const struct conf *conf);

/*
 * A policy change, in the steps of policy_commit (commit.c): the routes of snap for new
 * connections (open connections keep their backend) and the listener set: conf alg_listen
 * when set, else every service address on every alg_ports port, IPv4 and IPv6.
 *   alg_prepare  build the routes and open the listeners the set gains, one socket per
 *                worker (IP_FREEBIND: the address need not be configured yet). Nothing is
 *                handed to the workers yet. It reads snap, the configuration and the set in
 *                force, which only alg_commit changes: any thread, while no alg_commit runs.
 *                0, or -errno with e filled (kind APPLY): an address that cannot be bound
 *                (in use by another socket, no permission) fails the whole change.
 *   alg_commit   hand the workers the new routes, the new sockets and the listeners to
 *                close; consumes pl. Cannot fail. Main thread.
 *   alg_abort    close what the plan opened and drop it (NULL is a no-op).
 */
struct alg_plan;
int alg_prepare(const struct alg *alg, const struct pol_snap *snap, struct alg_plan **pl,
		struct pol_err *e);
void alg_commit(struct alg *alg, struct alg_plan *pl);
void alg_abort(struct alg_plan *pl);

/* Number of worker threads running. Any thread. */
size_t alg_workers(const struct alg *alg);
/*
 * Reputation (alg/rep.h): events about misbehaving clients go to cb on loop (the main loop)
 * through a bounded mailbox; call before the first policy apply. alg_set_low_sources hands
 * every worker a new snapshot of the sources to refuse at accept while under load
 * ([alg] reputation_load). Main thread. 0 or -ENOMEM.
 */
int alg_set_evidence(struct alg *alg, struct ev_loop *loop, alg_ev_cb cb, void *arg);
int alg_set_low_sources(struct alg *alg, const struct addr *addrs, size_t n);
/* Events delivered and dropped (mailbox full) so far. */
void alg_evidence_counts(const struct alg *alg, uint64_t *pushed, uint64_t *dropped);

/* Sum of the workers' counters into out[ALG_STAT_COUNT]. Any thread. */
void alg_stats(const struct alg *alg, uint64_t out[ALG_STAT_COUNT]);

struct buf;
/* Append the counters in Prometheus text format (rgw_alg_*_total, rgw_alg_active, rgw_alg_workers).
 * Any thread. */
void alg_metrics(const struct alg *alg, struct buf *out);

/* Stop the workers (open connections are closed), join them and free. NULL is a no-op. */
/*
 * A reload (SIGHUP) with conf's [alg] limits and timeouts: hostname, connect and idle
 * timeouts, the access log switches, the connection caps and the accept rate. Infallible;
 * workers see the new values at their next tick or accept (established connections keep
 * their slot). Listeners, ports, workers and splice need a restart. Main thread.
 */
void alg_reconf(struct alg *alg, const struct conf *conf);
void alg_free(struct alg *alg);
/* Route live session names (policy/session.h) as their services; t must outlive alg. Main
 * thread, any time (workers see it from their next connection). */
struct pol_sessions;
void alg_set_sessions(struct alg *alg, struct pol_sessions *t);

#endif
