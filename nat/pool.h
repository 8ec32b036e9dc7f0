/* SPDX-License-Identifier: MIT */
/* nat/pool.h -- circular address pool and bindings (pure logic, no I/O) */
#ifndef RGW_NAT_POOL_H
#define RGW_NAT_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../policy/policy.h"

/*
 * The userspace pool is the source of truth; nftables is its projection.
 * A binding reserves (pool address, protocol, port) for (private host, service) until the
 * first admitted flow uses it or its timeout expires, optionally restricted to the requestor
 * subnet (SLA binding). Address sharing between SFQDN bindings follows
 * rgw-original-behaviour.md §2.6 (lowest address first). Time is passed in explicitly
 * (monotonic ms) so that the logic is testable without clocks.
 * Loop context: main thread only.
 */
struct nat_pool;

enum nat_refusal {
	NAT_REFUSE_NONE = 0,
	NAT_REFUSE_NO_HOST,	/* unknown host or service, or host without IPv4 */
	NAT_REFUSE_HOST_LIMIT,	/* per-host pending limit reached */
	NAT_REFUSE_ADMISSION,	/* the admission hook (reputation) said no */
	NAT_REFUSE_EXHAUSTED,	/* no free address and none shareable */
};

/* Service class used by admission (rgw-original-behaviour.md §3.7). */
enum nat_svc_class {
	NAT_CLASS_FQDN_NEW = 0,
	NAT_CLASS_SFQDN_NEW,
	NAT_CLASS_SFQDN_REUSE,
};

struct nat_request {
	int64_t host_id;
	int64_t service_id;
	struct addr resolver;	/* source address of the DNS query */
	bool has_requestor;	/* ECS / ECI subnet present */
	struct prefix requestor;
	bool sla;		/* restrict the binding to the requestor subnet */
	bool non_spoofed;	/* query came over TCP or with a valid DNS cookie */
	void *user;		/* opaque, handed back in events (reputation context) */
};

/* A live binding as seen by events and the read-only API view. */
struct nat_binding_info {
	uint64_t id;
	struct addr public_addr;
	uint8_t protocol;	/* 0 = any */
	uint16_t port;		/* 0 = any */
	int64_t host_id;
	int64_t service_id;
	struct addr private_addr;
	struct addr resolver;
	bool has_requestor;
	struct prefix requestor;
	bool sla;
	uint64_t created_ms;
	uint64_t expires_ms;
	void *user;
};

enum nat_binding_end {
	NAT_BINDING_USED = 0,	/* a legitimate first flow was admitted */
	NAT_BINDING_EXPIRED,	/* timed out unused */
	NAT_BINDING_REMOVED,	/* host or pool address removed by policy */
};

/* Reports the end of each binding (reputation evidence). */
typedef void (*nat_binding_cb)(void *arg, const struct nat_binding_info *b,
			       enum nat_binding_end how);
/* Admission hook: return true to admit. load_pct = allocated addresses / pool size * 100.
 * NULL hook: always admit. */
typedef bool (*nat_admit_cb)(void *arg, const struct nat_request *req, double load_pct,
			     enum nat_svc_class cls);

#endif
