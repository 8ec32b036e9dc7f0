/* SPDX-License-Identifier: MIT */
/* dns/zone.h -- in-memory name index built from a policy snapshot (read-only once built) */
#ifndef RGW_DNS_ZONE_H
#define RGW_DNS_ZONE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../policy/policy.h"
#include "wire.h"

/*
 * struct dns_db is built once per policy apply (never per query) and is immutable afterwards,
 * so any number of threads may read it; it is reference counted so that a UDP worker can finish
 * a batch on the old index while the main thread installs a new one. It holds a reference to the
 * snapshot it was built from; nodes point into the snapshot's arrays.
 *
 * Every name below a zone apex that leads to data gets an empty non-terminal node for each of
 * its ancestors, so "name exists without data" (NODATA) and "no such name" (NXDOMAIN) are told
 * apart exactly (RFC 8020; QNAME minimisation depends on it). Names only meaningful to the LAN
 * (reverse names of private hosts) are flagged lan_only: the WAN view does not see them, nor
 * the empty non-terminals that exist only because of them.
 */

enum {
	DNS_NODE_APEX = 1 << 0,	      /* zone apex: SOA, NS */
	DNS_NODE_HOST = 1 << 1,	      /* a host's fqdn */
	DNS_NODE_SERVICE = 1 << 2,    /* a service name (SFQDN) */
	DNS_NODE_GLUE = 1 << 3,	      /* in-zone name server with addresses */
	DNS_NODE_PTR = 1 << 4,	      /* reverse name of a host address */
	DNS_NODE_SRV_TARGET = 1 << 5, /* the target _<port>._<proto>.<fqdn> of a service's SRV */
	DNS_NODE_NESTED = 1 << 6,     /* a nested gateway's fqdn: the names below are its own */
};

struct dns_apex {
	uint8_t name[DNS_NAME_MAX];
	size_t name_len;
	unsigned nlabels;
	enum pol_zone_kind kind;
	uint32_t ttl;	  /* SOA and NS */
	uint32_t neg_ttl; /* TTL of the SOA in negative answers: min(ttl, minimum) (RFC 2308) */
	uint8_t mname[DNS_NAME_MAX];
	uint8_t rname[DNS_NAME_MAX];
	uint32_t serial, refresh, retry, expire, minimum;
	size_t ns_first, n_ns; /* range in db->ns_names */
};

struct dns_node {
	uint32_t hash;
	uint8_t flags;
	bool lan_only;
	uint32_t zone;			 /* index into db->zones */
	const struct pol_host *host;	 /* HOST, SERVICE */
	const struct pol_service *svc;	 /* SERVICE, SRV_TARGET: effective protocol/port */
	const struct pol_host *ptr_host; /* PTR target */
	struct addr glue4, glue6;	 /* GLUE */
	uint8_t name_len;
	uint8_t name[]; /* lowercase wire form */
};

struct dns_db {
	atomic_int refcnt;
	struct pol_snap *snap;
	struct dns_apex *zones;
	size_t n_zones;
	uint8_t (*ns_names)[DNS_NAME_MAX];
	size_t n_ns_names;
	struct pol_service *svcs; /* copies with effective protocol/port */
	size_t n_svcs;
	struct dns_node **table; /* open addressing, power of two */
	size_t table_size;
	size_t n_nodes;
	struct addr svc_addr4, svc_addr6; /* first service address of each family (ALG) */
	struct pol_admission admission;
	struct prefix *parents; /* nodes of the resolver groups marked parent */
	size_t n_parents;
};

/* Build the index from snap (takes a reference on snap). NULL on ENOMEM (logged). Names that
 * fall in no zone are skipped with a log line. Main thread. */
struct dns_db *dns_db_build(struct pol_snap *snap);
/* Reference counting, thread-safe. dns_db_unref(NULL) is a no-op. */
struct dns_db *dns_db_ref(struct dns_db *db);
void dns_db_unref(struct dns_db *db);

/*
 * Look up a lowercase wire name. Returns the node for the name itself, or NULL; *encloser gets
 * the closest existing ancestor (or the node itself) and thus the zone, or NULL when the name is
 * in no zone. With wan, lan_only nodes are invisible.
 */
const struct dns_node *dns_db_find(const struct dns_db *db, const uint8_t *name, bool wan,
				   const struct dns_node **encloser);
/* Is a a parent gateway of ours (a node of a resolver group with parent)? */
bool dns_db_is_parent(const struct dns_db *db, const struct addr *a);

#endif
