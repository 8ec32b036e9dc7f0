/* SPDX-License-Identifier: MIT */
/* policy/tenancy.h -- what a tenant owns in the policy, the writes it may make, its quotas */
#ifndef RGW_POLICY_TENANCY_H
#define RGW_POLICY_TENANCY_H

#include <stdbool.h>

#include "policy.h"
#include "session.h"

/*
 * A tenant (policy/session.h) owns, in a policy snapshot:
 *   a host whose fqdn is one of its domains or below one;
 *   a service or a host firewall rule of a host it owns;
 *   a group named "<tenant>.<anything>", and the group's firewall rules;
 *   the membership of a host it owns in a group it owns;
 *   an ALG route whose hostname is in its domains.
 * Everything else (zones, pool and service addresses, admission, resolver groups, other
 * tenants' and the operator's rows) is not its to see or change. Its realm (prefixes) bounds
 * the addresses its hosts (and their nested gateways) and its ALG route backends may use.
 */
bool pol_tenancy_host(const struct pol_tenant *t, const struct pol_host *h);
bool pol_tenancy_service(const struct pol_tenant *t, const struct pol_snap *s,
			 const struct pol_service *svc);
bool pol_tenancy_group(const struct pol_tenant *t, const struct pol_group *g);
bool pol_tenancy_fw(const struct pol_tenant *t, const struct pol_snap *s,
		    const struct pol_fw_rule *r);
bool pol_tenancy_route(const struct pol_tenant *t, const struct pol_alg_route *r);
/* a is inside one of t's realm prefixes (family 0: true, nothing to check). */
bool pol_tenancy_in_realm(const struct pol_tenant *t, const struct addr *a);

/* What t holds in s: its hosts, services, ALG routes, and pool (the sum of its hosts'
 * pool_limit, POL_POOL_LIMIT_DEFAULT for a host that sets none). */
void pol_tenancy_usage(const struct pol_tenant *t, const struct pol_snap *s, struct pol_quota *u);

/* The part of s that t owns, as a snapshot of its own (refcnt 1; no zones, addresses, admission
 * defaults or resolver groups; memberships only between its hosts and its groups; etag ""):
 * the tenant's bundle. NULL on ENOMEM. */
struct pol_snap *pol_tenancy_part(const struct pol_snap *s, const struct pol_tenant *t);

/* May tenant t hold row (of the snapshot array table: "hosts", "services", "groups",
 * "fw_rules", "alg_routes", ...) with s around it (its host, its group)? The boundary check
 * of pol_tenancy_check for one row, before it is written. 0, or -EACCES with e filled. */
int pol_tenancy_row(const struct pol_tenant *t, const struct pol_snap *s, const char *table,
		    const void *row, struct pol_err *e);

/*
 * May tenant t's write turn policy before into after (both complete snapshots, ids stable)?
 * Every row added, changed or removed must be one t owns (before and after the change), an
 * owned host's addresses and an owned route's backend must lie in t's realm, and every
 * quota of t that after exceeds must not have grown. 0, or -EACCES with e (kind
 * POL_ERR_FORBIDDEN) naming the first row that crosses the boundary or the quota exceeded.
 */
int pol_tenancy_check(const struct pol_snap *before, const struct pol_snap *after,
		      const struct pol_tenant *t, struct pol_err *e);

#endif
