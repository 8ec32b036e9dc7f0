/* SPDX-License-Identifier: MIT */
/* dns/upq.h -- asynchronous, bounded queries to other DNS servers (upstreams, nested gateways) */
#ifndef RGW_DNS_UPQ_H
#define RGW_DNS_UPQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../common/ev.h"

/*
 * One query to another DNS server, answered later from the loop: the LAN forwarder (lan.c)
 * asks the upstream resolvers, the nested resolver (nest.c) asks nested gateways. Each query
 * gets its own connected UDP socket (a random source port) and a random query ID of ours (the
 * pair is what an off-path spoofer would have to guess); an answer is taken only with our ID,
 * QR set and the same question (RFC 5452). Attempt i goes to servers[(first + i) % n] and
 * waits timeouts[i] ms; ICMP port unreachable moves to the next attempt at once. A truncated
 * answer is fetched again over TCP from the same server when tcp_on_tc (bounded by
 * tcp_timeout_ms). Nothing here ever blocks: a dead server costs its timeouts, and only the
 * queries sent to it. Main loop thread only.
 */
struct dns_upq;
struct dns_upq_req;

enum dns_upq_status {
	DNS_UPQ_ANSWER = 0,  /* msg/len hold the answer (our query ID in it) */
	DNS_UPQ_TIMEOUT,     /* every attempt timed out (or the TCP fetch did) */
	DNS_UPQ_UNREACHABLE, /* the last attempt was refused (ICMP port unreachable) */
	DNS_UPQ_FAILED,	     /* could not send, out of memory, too many pending */
};

/* Called once per started query, from the loop (never from inside dns_upq_start). msg is
 * valid during the call only (the callee may modify it); server: the index that answered. */
typedef void (*dns_upq_done_fn)(void *arg, enum dns_upq_status st, uint8_t *msg, size_t len,
				size_t server);

struct dns_upq_params {
	const struct addr_port *servers;
	size_t n_servers;
	size_t first; /* server of the first attempt */
	const long *timeouts;
	size_t n_timeouts; /* = the number of attempts */
	bool tcp_on_tc;
	long tcp_timeout_ms;
};

/* max_pending: queries in flight at most (beyond: DNS_UPQ_FAILED). NULL on ENOMEM. */
struct dns_upq *dns_upq_new(struct ev_loop *loop, size_t max_pending);
/* Cancels every pending query without calling back. NULL is a no-op. */
void dns_upq_free(struct dns_upq *u);

/*
 * Send query (len bytes; its ID is replaced by ours; the question must parse) per p (copied;
 * the arrays must outlive the query). cb(arg, ...) is called exactly once unless the query is
 * cancelled. Returns the request (a handle for dns_upq_cancel), or NULL when even the failure
 * could not be scheduled (out of memory: cb is not called).
 */
struct dns_upq_req *dns_upq_start(struct dns_upq *u, const uint8_t *query, size_t len,
				  const struct dns_upq_params *p, dns_upq_done_fn cb, void *arg);
/* Forget a pending query: no callback. */
void dns_upq_cancel(struct dns_upq_req *r);
size_t dns_upq_pending(const struct dns_upq *u);

#endif
