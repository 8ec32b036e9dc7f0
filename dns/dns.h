/* SPDX-License-Identifier: MIT */
/* dns/dns.h -- the DNS subsystem: WAN authoritative, LAN/local views, DNS UPDATE */
#ifndef RGW_DNS_DNS_H
#define RGW_DNS_DNS_H

#include <stdint.h>

#include "../common/conf.h"
#include "../common/ev.h"
#include "../policy/policy.h"
#include "../policy/store.h"
#include "answer.h"

/*
 * Lifecycle (main loop thread only, except where noted):
 *   dns_new()            open every listener of conf (UDP+TCP on dns_wan, dns_lan, dns_local;
 *                        UDP+TCP on dns_ddns) and start the worker threads (conf.dns_workers)
 *   dns_prepare(), dns_commit(), dns_abort()
 *                        a policy change: build the name index of a snapshot, swap it in
 *   dns_set_allocator()  connect the circular pool (until then service A/SRV/TXT queries that
 *                        need a pool address are dropped on UDP and answered empty on TCP)
 *   dns_set_qmin_hook()  let QNAME minimisation steps give their unused bindings back
 *   dns_set_step_hook()  tell the pool that an A just before another QTYPE was a step
 *   dns_set_sessions()   answer one-time session names from their table
 *   dns_set_committer()  how DNS UPDATE puts a change in force
 *   dns_free()           close listeners, stop workers, free everything
 * The store is used only by DNS UPDATE (hosts registered with dynamic = true): an UPDATE
 * writes its rows inside a store transaction and hands it to the committer, which validates
 * the whole policy, puts it in force everywhere and audits it, or refuses it; only then is
 * the UPDATE answered. Without a committer every UPDATE that changes something is REFUSED.
 */
struct dns;

struct dns_stats {
	uint64_t queries_udp;
	uint64_t queries_tcp;
	uint64_t rcode[24]; /* responses sent, by (extended) rcode */
	uint64_t dropped;   /* queries not answered (malformed headers, refused allocs) */
	uint64_t malformed; /* FORMERR / NOTIMP / BADVERS answers */
	uint64_t tc_sent;   /* responses with TC=1 */
	uint64_t cookie_valid;
	uint64_t cookie_bad;
	uint64_t cookie_client_only;
	uint64_t allocations;
	uint64_t alloc_refused;
	uint64_t forwarded;	 /* LAN queries sent upstream */
	uint64_t forward_failed; /* SERVFAIL after every upstream failed */
	uint64_t tcp_accepted;
	uint64_t tcp_rejected; /* closed at the connection cap: no idle connection to close */
	uint64_t tcp_idle_closed;
	uint64_t tcp_refused_source; /* closed at accept: per-address cap */
	uint64_t tcp_refused_prefix; /* closed at accept: per-/24 or /64 cap */
	uint64_t tcp_evicted;	     /* idle connections closed to make room at the cap */
	uint64_t updates_ok;
	uint64_t updates_refused; /* UPDATE answered with an error rcode */
	/* nested gateways (dns/nest.c) */
	uint64_t nested;	 /* questions sent to nested gateways */
	uint64_t nested_joined;	 /* queries that joined an identical question in flight */
	uint64_t nested_failed;	 /* answered SERVFAIL: timeout, unreachable, SERVFAIL */
	uint64_t nested_refused; /* refused by the nested gateway: its shortage */
	uint64_t nested_denied;	 /* refused by the nested gateway's admission */
	uint64_t nested_bogus;	 /* answers with an address the nested gateway does not own */
	uint64_t nested_web;	 /* answered with our service address (ALG to its ALG) */
	uint64_t eci_ignored;	 /* ECI options from sources that are not parent gateways */
	uint64_t sessions;	 /* live session names answered with an address */
	uint64_t sessions_ended; /* queries for ended session names (NXDOMAIN, evidence) */
};

/* NULL on failure (logged): a listener could not be opened, or ENOMEM. */
struct dns *dns_new(struct ev_loop *loop, const struct conf *conf, struct pol_store *store);
/*
 * A policy change, in the steps of policy_commit (commit.c):
 *   dns_prepare  build the name index of snap (dns_db_build: it takes a reference on snap).
 *                Reads only snap, so it may run on any thread. 0, or -ENOMEM with e filled
 *                (kind APPLY).
 *   dns_commit   swap it in: the next query is answered from it (worker threads finish a
 *                batch on the old one); consumes db and returns the index it replaced, for
 *                the caller to drop (off the loop if it can). Cannot fail. Main thread.
 *   dns_abort    drop a prepared or replaced index (NULL is a no-op). Any thread.
 */
int dns_prepare(struct pol_snap *snap, struct dns_db **db, struct pol_err *e);
struct dns_db *dns_commit(struct dns *d, struct dns_db *db);
void dns_abort(struct dns_db *db);
void dns_set_allocator(struct dns *d, dns_alloc_fn fn, void *arg);
/*
 * The main thread is about to be busy with policy work (a policy change committed on the
 * main thread, or an API write run there): until the matching dns_busy_end a second thread
 * answers the WAN and LAN UDP listeners from the index in force, so those answers do not wait
 * for the change (queries for the pool or the forwarder are handed to the main thread:
 * dns/standin.c).
 * Pairs nest; d may be NULL. dns_busy_end returns once that thread has stopped reading the
 * listeners. Main thread; listeners must not change between the two.
 */
void dns_busy_begin(struct dns *d);
void dns_busy_end(struct dns *d);
/*
 * A policy write runs on the commit thread (commit.h) with the store's write lock: UPDATE
 * (a writer of its own) waits its turn. While held, the UDP update listeners are not read
 * (datagrams wait in the socket) and an UPDATE on an open TCP connection is retried later.
 * NULL-safe. Main thread; listeners must not change between hold and release.
 */
void dns_updates_hold(struct dns *d, bool hold);
/* The one-time CNAME aliases and trusted/untrusted counters (dns/alias.c); NULL hooks: none. */
void dns_set_alias_hooks(struct dns *d, const struct dns_alias_hooks *hooks, void *arg);
/* QNAME minimisation steps release their unused bindings through fn (answer.h, dns_qmin_fn;
 * main thread). NULL: they keep them. */
void dns_set_qmin_hook(struct dns *d, dns_qmin_fn fn, void *arg);
/* A pooled name asked another QTYPE than A/SRV/TXT over a proven transport: fn (answer.h,
 * dns_step_fn; main thread) marks the A just before as a step. NULL: no marks. */
void dns_set_step_hook(struct dns *d, dns_step_fn fn, void *arg);
/* Session names (policy/session.h): WAN queries for names the policy does not hold are looked
 * up in t (read by every DNS thread; t must outlive d); fn records the evidence of queries for
 * ended ones (main thread). Call before the first query; NULL: no session names. */
void dns_set_sessions(struct dns *d, struct pol_sessions *t, dns_sess_ended_fn fn, void *arg);
/* DNS UPDATE writes through fn (pol_commit_fn, policy/store.h); the audit line names the TSIG
 * key of the message ("ddns" when unsigned). */
void dns_set_committer(struct dns *d, pol_commit_fn fn, void *arg);

/*
 * Names below nested gateways (dns/nest.c). reserve: a pool address for the answer to come
 * (answer.h, dns_nest_reserve_fn); bind: the reservation id admits flows to target, the
 * nested gateway's answer (0, or negative: gone); withdraw: the nested gateway did not
 * confirm it (denied: its admission refused the resolver). Main thread. Without hooks such
 * names are answered SERVFAIL.
 */
struct dns_nest_hooks {
	dns_nest_reserve_fn reserve;
	int (*bind)(void *arg, uint64_t id, const struct addr *target);
	void (*withdraw)(void *arg, uint64_t id, bool denied);
};
void dns_set_nest_hooks(struct dns *d, const struct dns_nest_hooks *hooks, void *arg);
/* Sum of the counters of every thread (relaxed reads). */
void dns_get_stats(const struct dns *d, struct dns_stats *out);
/* Write the counters in Prometheus text format (names rgw_dns_*). 0 or -ENOMEM. */
struct buf;
int dns_metrics(const struct dns *d, struct buf *out);
/*
 * A reload (SIGHUP): prepare opens the listeners of conf that old lacks (wan, lan, local,
 * ddns; UDP and TCP) and computes the new limits (edns_size, tcp_idle_timeout,
 * tcp_max_connections, tcp_max_queries, lan_ttl): fallible, and nothing is visible but the
 * new sockets, which abort closes again. With [dns] workers the WAN listeners cannot change
 * (a warning; conf->dns_wan gets old's back). commit (infallible) closes the listeners that
 * are gone, with their TCP connections, and swaps the limits in. Main thread.
 */
struct dns_reconf;
int dns_reconf_prepare(struct dns *d, const struct conf *old, struct conf *conf,
		       struct dns_reconf **out);
void dns_reconf_commit(struct dns *d, struct dns_reconf *rc);
void dns_reconf_abort(struct dns *d, struct dns_reconf *rc);
void dns_free(struct dns *d);

#endif
