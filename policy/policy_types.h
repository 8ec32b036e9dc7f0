/* SPDX-License-Identifier: MIT */
/* policy/policy_types.h -- the gateway policy model shared by every subsystem */
#ifndef RGW_POLICY_TYPES_H
#define RGW_POLICY_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"

/*
 * One row of each policy table, as plain structs. Names are stored lowercase, absolute,
 * without the trailing dot ("test.gwa.demo"). ids are the SQLite rowids (> 0); 0 means
 * "not stored yet". References between rows are by id.
 */

#define POL_NAME_MAX 256 /* DNS name in presentation form, NUL included */
#define POL_TEXT_MAX 256 /* comments */

enum pol_zone_kind {
	POL_ZONE_FORWARD = 0,
	POL_ZONE_REVERSE,
	POL_ZONE_ALIAS, /* holds the one-time CNAME aliases (cname-gwa.demo) */
};

enum pol_proto {
	POL_PROTO_ANY = 0,
	POL_PROTO_ICMP = 1,
	POL_PROTO_TCP = 6,
	POL_PROTO_UDP = 17,
	POL_PROTO_ICMPV6 = 58,
	POL_PROTO_SCTP = 132,
};

enum pol_direction {
	POL_DIR_INGRESS = 0, /* toward the host */
	POL_DIR_EGRESS,	     /* from the host */
	POL_DIR_ANY,
};

enum pol_action {
	POL_ACT_ACCEPT = 0,
	POL_ACT_DROP,
	POL_ACT_REJECT,
};

enum pol_preserve {
	POL_PRESERVE_NONE = 0,
	POL_PRESERVE_PROXY_V1,
	POL_PRESERVE_PROXY_V2,
	POL_PRESERVE_TRANSPARENT,
};

enum pol_math {
	POL_MATH_MAX = 0,
	POL_MATH_MIN,
	POL_MATH_AVG,
};

struct pol_zone {
	int64_t id;
	char name[POL_NAME_MAX];
	enum pol_zone_kind kind;
	uint32_t ttl; /* TTL of SOA and NS records */
	char mname[POL_NAME_MAX];
	char rname[POL_NAME_MAX]; /* "hostmaster.gwa.demo" */
	uint32_t serial, refresh, retry, expire, minimum;
};

/* NS record at a zone apex; glue address when the name is inside the zone. */
struct pol_nameserver {
	int64_t id;
	int64_t zone_id;
	char name[POL_NAME_MAX];
	struct addr ipv4; /* family 0: none */
	struct addr ipv6;
};

/* Address of the gateway itself: the ALG listens there; proxy_required names answer it. */
struct pol_service_addr {
	int64_t id;
	struct addr addr;
	char comment[POL_TEXT_MAX];
};

/* One circular pool address. */
struct pol_pool_addr {
	int64_t id;
	struct addr addr;
};

struct pol_group {
	int64_t id;
	char name[64];
	char comment[POL_TEXT_MAX];
};

/* Most address blocks a nested gateway may own (prefixes, ranges are stored as covers). */
#define POL_NESTED_MAX	     16
#define POL_NESTED_ADDRS_MAX 1024 /* addresses of all nested gateways together */

struct pol_host {
	int64_t id;
	char fqdn[POL_NAME_MAX];
	struct addr ipv4;    /* family 0: none */
	struct addr ipv6;    /* family 0: none */
	uint32_t pool_limit; /* max pending circular pool bindings */
	bool dynamic;	     /* registered by DNS UPDATE rather than by the operator */
	char comment[POL_TEXT_MAX];
	/*
	 * A nested gateway (the original's carrier-grade host): another realm gateway in this
	 * gateway's LAN, authoritative for the names below fqdn. Its DNS listens on
	 * ipv4:nested_port; nested[] are the IPv4 addresses it owns (its service address, its
	 * pool): the only answers accepted from it, and the DNAT targets of its bindings here.
	 * nested_port 0: an ordinary host (n_nested 0). nested_timeout_ms: how long a client may
	 * take to connect after our answer for a name below it (0: POL_BINDING_TIMEOUT_MS).
	 */
	uint16_t nested_port;
	uint32_t nested_timeout_ms;
	uint8_t n_nested;
	struct prefix nested[POL_NESTED_MAX];
};

struct pol_host_group {
	int64_t host_id;
	int64_t group_id;
};

/*
 * A service name (SFQDN) of a host. protocol/port may be left unset in policy
 * (has_proto / has_port false); the effective values then come from the label convention
 * (pol_service_label(): "tcp22.", "udp5000.", "sctpN.", "icmp.", "tcp.", "ssh.", ...),
 * and a name with no recognised label is an FQDN service (any protocol, any port).
 */
struct pol_service {
	int64_t id;
	int64_t host_id;
	char fqdn[POL_NAME_MAX];
	bool has_proto;
	bool has_port;
	uint8_t protocol;	     /* enum pol_proto (effective value once loaded) */
	uint16_t port;		     /* 0 = any (effective value once loaded) */
	bool proxy_required;	     /* answer the service address: the ALG routes by SNI/Host */
	uint32_t binding_timeout_ms; /* default 2000 */
};

/* Port range; lo = hi = 0 means any port. */
struct pol_port_range {
	uint16_t lo, hi;
};

/* A firewall rule attached to a host or to a group (exactly one of the two ids is set). */
struct pol_fw_rule {
	int64_t id;
	int64_t host_id;  /* 0 if attached to a group */
	int64_t group_id; /* 0 if attached to a host */
	enum pol_direction direction;
	uint8_t protocol;  /* enum pol_proto, 0 = any */
	struct prefix src; /* addr.family 0: any */
	struct prefix dst;
	struct pol_port_range sport;
	struct pol_port_range dport;
	int16_t icmp_type; /* -1: any */
	int16_t icmp_code; /* -1: any */
	uint32_t rate;	   /* packets per second matched before the action, 0 = no limit */
	uint32_t burst;
	enum pol_action action;
	int32_t priority; /* ascending order of evaluation */
	char comment[POL_TEXT_MAX];
};

/* ALG route: (hostname, listen port) -> backend. listen_port 0 = any ALG port. */
struct pol_alg_route {
	int64_t id;
	char hostname[POL_NAME_MAX];
	uint16_t listen_port;
	struct addr backend;
	uint16_t backend_port;
	enum pol_preserve preserve;
};

/* One load bracket of the admission policy (reputation-based admission, PBRA). */
struct pol_bracket {
	int64_t id;
	int32_t position;			 /* evaluation order */
	double load_min, load_max;		 /* percent of the pool allocated, inclusive */
	double fqdn_new, sfqdn_new, sfqdn_reuse; /* reputation thresholds 0..1 */
	enum pol_math math;
};

/* The admission policy: DNS anti-spoofing flags and the PBRA switches (one row). */
struct pol_admission {
	bool dns_tcp;		      /* UDP queries get TC=1 (alias follow-ups excepted) */
	bool dns_cname;		      /* answer with a one-time CNAME alias */
	bool dns_tcpcname;	      /* UDP always gets TC, even for aliases */
	bool dns_cookies;	      /* a valid server cookie counts as TCP */
	bool log_untrusted;	      /* count trusted/untrusted resolver events */
	bool unknown_resolver_groups; /* unknown resolvers get a group of their own */
	uint32_t alias_ttl_ms;	      /* one-time alias lifetime, default 5000 */
	/* Resolver cache windows (nat/window.h): how long an answer may be served from a
	 * resolver's cache (0: no windows, one flow per binding), and how many flows a binding
	 * admits per answer within its window. */
	uint32_t cache_window_ms; /* default POL_CACHE_WINDOW_DEFAULT_MS */
	uint32_t window_flows;	  /* default POL_WINDOW_FLOWS_DEFAULT */
};

struct pol_resolver_group {
	int64_t id;
	char name[64];
	double initial_reputation; /* 0..1, default 0.45 */
	bool sla;
	bool has_cache_window;	  /* false: the window is learned from the group's behaviour */
	uint32_t cache_window_ms; /* with has_cache_window: this window, no learning */
	/* The group's resolvers are parent gateways of this one (it is their nested gateway):
	 * their ECI names the real resolver, their ECS the client subnet, their ALG connections
	 * start with a PROXY protocol header. ECI from anyone else is ignored. */
	bool parent;
};

struct pol_resolver_node {
	int64_t id;
	int64_t group_id;
	struct prefix prefix; /* a resolver address (full length) or a subnet */
};

/* Persisted reputation of one entity (see the reputation module for the model). */
enum pol_rep_kind {
	POL_REP_RESOLVER_GROUP = 0,
	POL_REP_REQUESTOR,
	POL_REP_HOST,
};

struct pol_reputation {
	int64_t id;
	enum pol_rep_kind kind;
	char key[POL_NAME_MAX]; /* group name, requestor prefix, or host fqdn */
	uint32_t periods;
	double prev_initial;
	uint32_t prev_ok, prev_nok, prev_neutral;
	double cur_initial;
	uint32_t cur_ok, cur_nok, cur_neutral;
	bool has_override;
	double override_value;
	uint64_t updated_ms; /* wall clock */
};

enum pol_role {
	POL_ROLE_RO = 0,
	POL_ROLE_RW,
};

#endif
