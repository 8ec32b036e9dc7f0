/* SPDX-License-Identifier: MIT */
/* alg/routes.h -- immutable (hostname, listen port) -> backend routing snapshot */
#ifndef RGW_ALG_ROUTES_H
#define RGW_ALG_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "policy/policy.h"

/* One routing decision. backend_port 0 means "the port the client connected to". */
struct alg_route {
	char host[POL_NAME_MAX];
	uint16_t listen_port; /* 0: any ALG port */
	struct addr backend;
	uint16_t backend_port;
	enum pol_preserve preserve;
};

/*
 * A snapshot of every route, built by the main thread from a policy snapshot and never
 * modified afterwards, so that worker threads read it without locks. Reference counted: a
 * worker holds a reference on the snapshot it routes with and drops it when handed a new one.
 */
struct alg_routes;

/*
 * Build the routes of a policy snapshot:
 *   - every alg_routes row (hostname, listen_port) -> backend:port, preserve;
 *   - every proxy_required service whose host has a private address: (service fqdn, service
 *     port or 0) -> the host's IPv4 address (else IPv6) on the same port as the listener, or
 *     the service port when the service names one; no preservation.
 *   - every nested gateway (a host with nested and an IPv4 address): the names strictly below
 *     its fqdn, any port -> its IPv4 address on the same port, PROXY v2 (its ALG routes them
 *     again, and reads the header because we are its parent);
 * and the parent gateways (nodes of resolver groups with parent), whose connections start
 * with a PROXY header. An exact route wins over a nested gateway's names; an explicit
 * alg_routes row wins over a service on the same key. NULL on ENOMEM (refcnt 1).
 */
struct alg_routes *alg_routes_build(const struct pol_snap *snap);
/* Take / drop a reference (any thread). NULL is a no-op. */
struct alg_routes *alg_routes_ref(struct alg_routes *r);
void alg_routes_unref(struct alg_routes *r);

size_t alg_routes_count(const struct alg_routes *r);

/*
 * Find the route of canonical `host` reached on listening port `port`: an exact
 * (host, port) entry first, then (host, any port), then the nearest nested gateway above it.
 * NULL if none. The pointer lives as long as the caller's reference on r.
 */
const struct alg_route *alg_routes_lookup(const struct alg_routes *r, const char *host,
					  uint16_t port);
/* Is a a parent gateway of ours (its connections carry a PROXY header)? Any thread. */
bool alg_routes_parent(const struct alg_routes *r, const struct addr *a);

#endif
