/* SPDX-License-Identifier: MIT */
/* policy/policy.h -- immutable in-memory policy snapshots and pure policy helpers */
#ifndef RGW_POLICY_POLICY_H
#define RGW_POLICY_POLICY_H

#include <stdatomic.h>

#include "policy_types.h"

/* An ETag as text: a quoted 32-digit hex string and its NUL ("\"0123...\""). */
#define POL_ETAG_LEN 40

/*
 * A snapshot holds the whole policy as flat arrays, one per table, sorted by id.
 * It is built by the store (pol_store_snapshot) or by the bundle reader (pol_bundle_parse),
 * then treated as immutable: subsystems build their own plans from it in x_prepare().
 * Reference counted so that worker threads may keep an old snapshot while the main thread
 * swaps in a new one.
 */
struct pol_snap {
	atomic_int refcnt;
	uint64_t generation; /* increases with every snapshot taken from a store */
	/* The policy's ETag: a keyed 128-bit hash of every policy row as the store holds it
	 * (pol_store_snapshot); "" for a snapshot that did not come from a store. Equal
	 * stores give equal ETags; the API's bundle and the audit log show it. */
	char etag[POL_ETAG_LEN];

	struct pol_zone *zones;
	size_t n_zones;
	struct pol_nameserver *nameservers;
	size_t n_nameservers;
	struct pol_service_addr *service_addrs;
	size_t n_service_addrs;
	struct pol_pool_addr *pool_addrs;
	size_t n_pool_addrs;
	struct pol_group *groups;
	size_t n_groups;
	struct pol_host *hosts;
	size_t n_hosts;
	struct pol_host_group *host_groups;
	size_t n_host_groups;
	struct pol_service *services;
	size_t n_services;
	struct pol_fw_rule *fw_rules;
	size_t n_fw_rules;
	struct pol_alg_route *alg_routes;
	size_t n_alg_routes;
	struct pol_admission admission;
	struct pol_bracket *brackets;
	size_t n_brackets;
	struct pol_resolver_group *resolver_groups;
	size_t n_resolver_groups;
	struct pol_resolver_node *resolver_nodes;
	size_t n_resolver_nodes;
};

/* An empty snapshot with admission defaults (refcnt 1). NULL on ENOMEM. */
struct pol_snap *pol_snap_new(void);
/* Take / drop a reference (thread-safe). Dropping the last one frees. NULL is a no-op. */
struct pol_snap *pol_snap_ref(struct pol_snap *s);
void pol_snap_unref(struct pol_snap *s);

/* Lookups by id (binary search); NULL if absent. */
const struct pol_zone *pol_snap_zone(const struct pol_snap *s, int64_t id);
const struct pol_host *pol_snap_host(const struct pol_snap *s, int64_t id);
const struct pol_group *pol_snap_group(const struct pol_snap *s, int64_t id);
const struct pol_resolver_group *pol_snap_resolver_group(const struct pol_snap *s, int64_t id);
/* Linear lookups by name (start-up / apply time only). */
const struct pol_host *pol_snap_host_by_fqdn(const struct pol_snap *s, const char *fqdn);

/* Admission defaults: all flags off, alias 5000 ms; and the default bracket list used
 * when a policy has none: one bracket {0..100, 0, 0, 0, max} (always admit). */
void pol_admission_defaults(struct pol_admission *a);
void pol_bracket_default(struct pol_bracket *b);

/* Default binding timeout and pool limit. */
#define POL_BINDING_TIMEOUT_MS 2000
#define POL_POOL_LIMIT_DEFAULT 100
/* Resolver cache windows (admission.cache_window_ms, window_flows; resolver groups'
 * cache_window_ms): the default covers the 1-5 s TTL clamps of common resolvers. */
#define POL_CACHE_WINDOW_DEFAULT_MS 5000
#define POL_CACHE_WINDOW_MAX_MS	    60000
#define POL_WINDOW_FLOWS_DEFAULT    8
#define POL_WINDOW_FLOWS_MAX	    1000
#define POL_INITIAL_REPUTATION	    0.45

/*
 * Label convention for service names: look at the first label of fqdn.
 *   tcpN / udpN / sctpN -> that protocol, port N (1..65535)
 *   tcp / udp / sctp    -> that protocol, any port
 *   icmp / ping         -> ICMP
 *   ssh -> tcp/22
 * Returns true and fills proto/port when the label is recognised.
 */
bool pol_service_label(const char *fqdn, uint8_t *proto, uint16_t *port);
/* Fill the effective protocol/port of a service from the label when unset. */
void pol_service_resolve(struct pol_service *svc);

/*
 * Canonicalise a DNS name in place: lowercase, strip one trailing dot, check LDH-ish
 * syntax (labels 1..63 of [a-z0-9_-], total <= 253; "*" label allowed only when
 * allow_wildcard). Returns 0 or -EINVAL.
 */
int pol_name_canon(char *name, bool allow_wildcard);
/* True if name equals zone or is below it on a label boundary (both canonical). */
bool pol_name_in_zone(const char *name, const char *zone);

/*
 * Nested gateways (pol_host.nested). pol_nested_add parses one entry of a nested gateway's
 * address list -- an IPv4 address, an IPv4 prefix (host bits clear) or a range "a-b" -- and
 * appends the prefixes covering exactly those addresses to h->nested. 0, -EINVAL (not an
 * IPv4 entry), -ENOSPC (more than POL_NESTED_MAX prefixes). pol_nested_contains: is a one of
 * h's addresses. pol_nested_count: how many addresses h owns.
 */
int pol_nested_add(struct pol_host *h, const char *entry);
bool pol_nested_contains(const struct pol_host *h, const struct addr *a);
uint64_t pol_nested_count(const struct pol_host *h);

/* Names of enum values as written in bundles and the API; parse returns 0 or -EINVAL. */
const char *pol_proto_name(uint8_t proto);	  /* "any", "icmp", "tcp", "udp", "sctp", or NULL */
int pol_proto_parse(const char *s, uint8_t *out); /* names or a number 0..255 */
const char *pol_zone_kind_name(enum pol_zone_kind k);
int pol_zone_kind_parse(const char *s, enum pol_zone_kind *out);
const char *pol_direction_name(enum pol_direction d);
int pol_direction_parse(const char *s, enum pol_direction *out);
const char *pol_action_name(enum pol_action a);
int pol_action_parse(const char *s, enum pol_action *out);
const char *pol_preserve_name(enum pol_preserve p);
int pol_preserve_parse(const char *s, enum pol_preserve *out);
const char *pol_math_name(enum pol_math m);
int pol_math_parse(const char *s, enum pol_math *out);
const char *pol_role_name(enum pol_role r);
int pol_role_parse(const char *s, enum pol_role *out);
const char *pol_rep_kind_name(enum pol_rep_kind k);
int pol_rep_kind_parse(const char *s, enum pol_rep_kind *out);

/*
 * What kind of failure a pol_err reports, for callers that must tell "bad input" from
 * "conflicts with other rows" (the API's 400 versus 409) without reading the message.
 *   INVALID  a row's own content is wrong (a bad value, a missing field, a malformed bundle).
 *   CONFLICT the row collides with another row: a duplicate name, address, route, group
 *            membership or token (validator or SQLite unique constraint), a pool address that
 *            is also a service address, a service named like another host.
 *   DANGLING a row refers to something the policy does not hold: a missing row (a reference
 *            or foreign key to nothing) or, for a name, no enclosing forward zone. Whoever
 *            introduced it decides: a write of that row is bad input, a delete or change of
 *            the row it depended on (a zone still holding hosts) is a conflict.
 *   APPLY    the policy is valid but could not be put in force: a subsystem could not take it
 *            (a listening address in use, out of memory) or the kernel refused the nftables
 *            batch. Nothing changed (see pol_commit_fn in store.h).
 */
enum pol_err_kind {
	POL_ERR_INVALID = 0,
	POL_ERR_CONFLICT,
	POL_ERR_DANGLING,
	POL_ERR_APPLY,
	POL_ERR_FORBIDDEN, /* a tenant's write crossing its boundary or over its quota */
};

/*
 * Validation error: where (a JSON-pointer-like path such as "hosts[3].services[0].port"),
 * why, and what kind of failure. Filled by the bundle reader, the snapshot validator and
 * the store. A zeroed pol_err is empty and of kind INVALID.
 */
struct pol_err {
	char field[160];
	char msg[256];
	enum pol_err_kind kind;
};
/* Fill e (NULL is a no-op) with kind POL_ERR_INVALID. */
void pol_err_set(struct pol_err *e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Fill e (NULL is a no-op) with the given kind. */
void pol_err_setk(struct pol_err *e, enum pol_err_kind kind, const char *field, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
/* "invalid", "conflict", "dangling", "apply" (for logs and tests); "?" for other values. */
const char *pol_err_kind_name(enum pol_err_kind kind);

/*
 * Cross-row validation of a complete snapshot: unique names and addresses, references
 * that resolve (host ids, group ids, zone ids), service names inside a forward zone,
 * bracket ranges, pool and service addresses disjoint. 0, or -EINVAL with e filled (its kind
 * says whether a row is bad in itself, collides with another, or needs a missing one), or
 * -ENOMEM.
 */
int pol_snap_validate(const struct pol_snap *s, struct pol_err *e);

#endif
