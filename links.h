/* SPDX-License-Identifier: MIT */
/* links.h -- the callbacks between rgwd's subsystems: DNS to the pool and the reputation
 * engine, the ALG's evidence, the IDS's inside test, the API's view of the HA pair */
#ifndef RGW_LINKS_H
#define RGW_LINKS_H

#include <stdint.h>

#include "commit.h"
#include "common/conf.h"
#include "common/ev.h"

struct api_views;
struct dns_aliases;
struct ha;
struct ids;

/*
 * What the callbacks reach: the loop, the configuration in force and the subsystems
 * (commit.h). Embedded in the daemon's state (it is the callbacks' argument, so it must not
 * move). Loop context only.
 */
struct links {
	struct ev_loop *loop;
	const struct conf *conf;
	struct policy_parts *pol;
	uint64_t lowrep_timer; /* pending publication of the ALG's low-reputation sources */
};

void links_init(struct links *k, struct ev_loop *loop, const struct conf *conf,
		struct policy_parts *pol);

/*
 * The DNS (k->pol->dns) asks the pool for bindings (SLA bindings for a resolver of an SLA
 * group), reserves and binds nested gateways' addresses, gives QNAME minimisation steps
 * back ([dns] qmin_release), and its one-time CNAME aliases feed the reputation engine.
 */
void links_dns(struct links *k, struct dns_aliases *aliases);

/* The ALG's (k->pol->alg) evidence feeds the reputation engine; the low-reputation sources
 * go back to its workers within 100 ms. 0 or -errno. */
int links_alg(struct links *k);

/* The IDS never blocks a private host or a service address of the policy in force. */
void links_ids(struct links *k, struct ids *ids);

/* The API's writes go through the HA pair (a standby refuses them), and it shows and sets
 * the pair's role. */
void links_api_ha(struct api_views *v, struct ha *ha);

/* The reputation evidence changed (it aged): publish the ALG's low-reputation sources again
 * soon (at most ten times a second). */
void links_lowrep_soon(struct links *k);

/* Cancel a pending publication (before the ALG is freed). */
void links_stop(struct links *k);

#endif
