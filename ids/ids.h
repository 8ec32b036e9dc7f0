/* SPDX-License-Identifier: MIT */
/* ids/ids.h -- IDS alerts: Suricata EVE in, flows torn down, sources blocked, evidence */
#ifndef RGW_IDS_IDS_H
#define RGW_IDS_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "common/ev.h"
#include "ids/eve.h"
#include "nat/nat.h"
#include "nat/reputation.h"
#include "policy/store.h"

/*
 * rgwd creates the UNIX socket [ids] eve_socket that Suricata's eve-log writes to
 * (unix_stream: Suricata connects, one JSON record per line, at most 8 writers; unix_dgram:
 * one record per datagram). For each alert of severity [ids] severity or higher
 * (numerically lower or equal):
 *   1. the flow's conntrack entries are deleted (nat_flow_teardown: both directions, before
 *      and after DNAT; the flow's next packet meets no state and is reset or dropped);
 *   2. its remote end is blocked for [ids] block_time (nat_block): the client of a flow
 *      admitted through the pool or the ALG (conntrack says DNAT), the remote peer of a LAN
 *      host's flow (SNAT), else the alert's source; never an address of the realm (a pool or
 *      service address, a private host: ids_set_inside);
 *   3. NOK evidence goes to the reputation engine against that address (and its /24 or
 *      /64) and, when a pool binding admitted the flow, against the resolver and requestor
 *      that obtained the binding (nat_rep_flow_nok); once per flow: a later alert on a flow
 *      already torn down, from a source already blocked, only extends the block, and one
 *      on an admitted flow rgwd already tore down never blocks again (Suricata alerts
 *      again on the flow's retransmissions and at its end; an unblock holds);
 *   4. one log line (with the delay since Suricata saw the packet) and, for a new block, an
 *      audit line (actor "ids") handed to the audit hook (ids_set_audit): the alert is never
 *      held up by the store, whose write lock a policy write may hold.
 * Alerts of flows rgwd did not admit are torn down and blocked all the same. Bad records are
 * counted and logged rate-limited; nothing from the socket can stop the daemon.
 * Main loop thread.
 */
struct ids;

/* NULL on failure (logged): the socket cannot be created. nat and rep outlive it. */
struct ids *ids_new(struct ev_loop *loop, const struct conf *conf, struct nat *nat,
		    struct nat_rep *rep);
/* Where a new block's audit line goes: cb(arg, c) must not wait for the store (the block is
 * in force already; rgwd's is policy_audit_later, commit.h). NULL: no audit line. */
typedef void (*ids_audit_cb)(void *arg, const struct pol_change *c);
void ids_set_audit(struct ids *ids, ids_audit_cb cb, void *arg);
/* Addresses of the realm (private hosts, the gateway's own) are never blocked: cb tells. */
typedef bool (*ids_inside_cb)(void *arg, const struct addr *a);
void ids_set_inside(struct ids *ids, ids_inside_cb cb, void *arg);
/* Close the socket (and remove its path), free. NULL is a no-op. */
void ids_free(struct ids *ids);

/* Handle one EVE record as if it came from the socket (tests, fuzzing). */
void ids_record(struct ids *ids, const char *data, size_t len);

struct ids_stats {
	uint64_t records;	  /* EVE records read */
	uint64_t invalid;	  /* not JSON, no addresses, overlong, truncated */
	uint64_t alerts;	  /* alert records */
	uint64_t below_severity;  /* alerts counted only */
	uint64_t acted;		  /* alerts acted upon */
	uint64_t flows_torn_down; /* conntrack entries deleted */
	uint64_t no_flow;	  /* acted upon, but no conntrack entry existed */
	uint64_t again;		  /* on an admitted flow already torn down: a block extended */
	uint64_t admitted;	  /* acted upon, and a pool binding had admitted the flow */
	uint64_t blocked;	  /* blocks made or extended */
	uint64_t errors;	  /* ctnetlink or nft failures */
	uint64_t clients;	  /* gauge: unix_stream writers connected */
	uint64_t latency_us_sum, latency_n; /* packet (Suricata's timestamp) to teardown */
};
void ids_get_stats(const struct ids *ids, struct ids_stats *out);

struct buf;
/* Prometheus text: rgw_ids_records_total, rgw_ids_alerts_total{result}, ... */
void ids_metrics(const struct ids *ids, struct buf *out);

#endif
