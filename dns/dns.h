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
 *   dns_apply()          build the name index from a policy snapshot and swap it in
 *   dns_set_allocator()  connect the circular pool (until then service A/SRV/TXT queries that
 *                        need a pool address are dropped on UDP and answered empty on TCP)
 *   dns_set_qmin_hook()  let QNAME minimisation steps give their unused bindings back
 *   dns_set_step_hook()  tell the pool that an A just before another QTYPE was a step
 *   dns_free()           close listeners, stop workers, free everything
 * The store is used only by DNS UPDATE (hosts registered with dynamic = true); after a
 * successful update the policy-changed callback runs (rgwd re-applies the policy everywhere);
 * without one, dns re-reads the store and applies the new snapshot to itself.
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
	uint64_t tcp_rejected; /* connection cap reached */
	uint64_t tcp_idle_closed;
	uint64_t updates_ok;
	uint64_t updates_refused; /* UPDATE answered with an error rcode */
};

typedef void (*dns_policy_changed_fn)(void *arg);

/* NULL on failure (logged): a listener could not be opened, or ENOMEM. */
struct dns *dns_new(struct ev_loop *loop, const struct conf *conf, struct pol_store *store);
/* Apply a policy snapshot (a reference is taken). 0 or -ENOMEM (old index kept). */
int dns_apply(struct dns *d, struct pol_snap *snap);
void dns_set_allocator(struct dns *d, dns_alloc_fn fn, void *arg);
/* The one-time CNAME aliases and trusted/untrusted counters (dns/alias.c); NULL hooks: none. */
void dns_set_alias_hooks(struct dns *d, const struct dns_alias_hooks *hooks, void *arg);
/* QNAME minimisation steps release their unused bindings through fn (answer.h, dns_qmin_fn;
 * main thread). NULL: they keep them. */
void dns_set_qmin_hook(struct dns *d, dns_qmin_fn fn, void *arg);
/* A pooled name asked another QTYPE than A/SRV/TXT over a proven transport: fn (answer.h,
 * dns_step_fn; main thread) marks the A just before as a step. NULL: no marks. */
void dns_set_step_hook(struct dns *d, dns_step_fn fn, void *arg);
void dns_set_policy_changed(struct dns *d, dns_policy_changed_fn fn, void *arg);
/* Sum of the counters of every thread (relaxed reads). */
void dns_get_stats(const struct dns *d, struct dns_stats *out);
/* Write the counters in Prometheus text format (names rgw_dns_*). 0 or -ENOMEM. */
struct buf;
int dns_metrics(const struct dns *d, struct buf *out);
void dns_free(struct dns *d);

#endif
