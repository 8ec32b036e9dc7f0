/* SPDX-License-Identifier: MIT */
/* dns/alias.h -- one-time CNAME aliases: the alias table and its expiry timer */
#ifndef RGW_DNS_ALIAS_H
#define RGW_DNS_ALIAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../common/ev.h"
#include "wire.h"

/*
 * The CNAME indirection of rgw-original-behaviour.md §1.10 / §3.5 / §3.6. A WAN query for a
 * service may be answered "qname 0 IN CNAME <32 random [a-z0-9]>.<alias zone>"; the alias
 * then lives alias_ttl_ms. A query FOR the alias allocates for the original service, and the
 * result is cached per QTYPE (A, SRV, TXT, AAAA) so that retransmissions get the same address.
 *
 * struct dns_alias_tab is the pure table: explicit time, no I/O, bounded (max entries; when
 * full the oldest alias is evicted). Entries are kept in issue order; since every alias gets
 * the same lifetime, issue order is expiry order and expiry pops from the head in O(1) each
 * (a changed lifetime only delays the pop: lookups check the deadline themselves).
 *
 * struct dns_aliases is the live object rgwd connects to the DNS (dns_set_alias_hooks): the
 * table, one loop timer armed for the oldest alias (expiry by a timer, not a sweeper), and the
 * reputation callbacks (cluster merge, trusted/untrusted counters). Main loop thread only.
 */

#define DNS_ALIAS_LABEL_LEN 32

struct dns_alias_tab;

struct dns_alias_stats {
	uint64_t issued;
	uint64_t hits;	     /* alias queries that found their alias */
	uint64_t misses;     /* alias queries for an unknown or expired alias (NXDOMAIN) */
	uint64_t expired;    /* aliases removed at the end of their life */
	uint64_t evicted;    /* aliases removed early because the table was full */
	uint64_t cache_hits; /* answers from the per-QTYPE cache (retransmissions) */
	uint64_t merges;     /* alias asked from another resolver: resolver groups merged */
	size_t live;
	size_t max; /* table size: the oldest alias goes when a new one would exceed it */
};

/* One live alias, as returned by dns_alias_tab_find (valid until the next table call). */
struct dns_alias_entry {
	uint8_t name[DNS_NAME_MAX];   /* the alias, lowercase wire form */
	uint8_t target[DNS_NAME_MAX]; /* the service name it stands for (lowercase wire form) */
	struct addr resolver;	      /* who received the CNAME */
	uint64_t issued_ms;
	uint64_t expires_ms;
	bool cached_noted;    /* its resolver asked it again from a cached CNAME (noted once) */
	struct addr cache[4]; /* per QTYPE: A, SRV, TXT, AAAA (family 0: nothing cached) */
	int64_t cache_svc[4]; /* the service each cached address was allocated for */
};

/* max_entries >= 1. NULL on ENOMEM. */
struct dns_alias_tab *dns_alias_tab_new(size_t max_entries);
void dns_alias_tab_free(struct dns_alias_tab *t);
/*
 * Issue a new alias "<32 random [a-z0-9]>.<zone>" for target, given to resolver, living until
 * now_ms + ttl_ms. zone and target are lowercase wire names. Writes the alias to out.
 * 0, -ENAMETOOLONG (zone too long for a 33-byte label), -EIO (no randomness) or -ENOMEM.
 */
int dns_alias_tab_issue(struct dns_alias_tab *t, const uint8_t *zone, const uint8_t *target,
			const struct addr *resolver, uint64_t now_ms, uint64_t ttl_ms,
			uint8_t out[DNS_NAME_MAX]);
/* The live alias called name (lowercase wire form), or NULL (unknown or expired). */
struct dns_alias_entry *dns_alias_tab_find(struct dns_alias_tab *t, const uint8_t *name,
					   uint64_t now_ms);
/* Index of a QTYPE in entry->cache (A 0, SRV 1, TXT 2), -1 for other types. */
int dns_alias_cache_slot(uint16_t qtype);
/* Remove every alias whose life ended at now_ms. Returns how many. */
size_t dns_alias_tab_expire(struct dns_alias_tab *t, uint64_t now_ms);
/* Deadline of the oldest alias, 0 when the table is empty. */
uint64_t dns_alias_tab_next_expiry(const struct dns_alias_tab *t);
void dns_alias_tab_get_stats(const struct dns_alias_tab *t, struct dns_alias_stats *out);

/* ------------------------------------------------------------------ live aliases */

/*
 * Reputation callbacks (rgwd connects them to nat/reputation). merge: the alias issued to
 * `issuer` was asked by `asker`; return 0 when their groups are now one, negative when either
 * has no group. known: does the resolver have a reputation group? note: one WAN service
 * query from resolver, trusted (TCP, valid cookie, alias follow-up) or not. pending: a cached
 * address is only answered again while its binding waits for its first packet (resolvers
 * such as unbound keep a TTL-0 CNAME for a moment and ask the alias again for a new client).
 */
struct dns_alias_rep {
	int (*merge)(void *arg, const struct addr *asker, const struct addr *issuer);
	bool (*known)(void *arg, const struct addr *resolver);
	void (*note)(void *arg, const struct addr *resolver, bool trusted);
	/* is the binding made for service_id on public_addr still pending? (NULL: assume so) */
	bool (*pending)(void *arg, const struct addr *public_addr, int64_t service_id);
	/* the resolver an alias was issued to at issued_ms asked for it more than cached_ms
	 * later: it kept our TTL-0 CNAME, it caches (once per alias; NULL: nobody listens) */
	void (*cached)(void *arg, const struct addr *resolver, uint64_t issued_ms);
	uint32_t cached_ms; /* 0: DNS_ALIAS_CACHED_MS */
	void *arg;
};

/* An alias asked by its own resolver this long after the CNAME: from the resolver's cache (a
 * resolver that follows the CNAME does so at once; a retransmission comes sooner). */
#define DNS_ALIAS_CACHED_MS 1000

struct dns_aliases;
struct dns_alias_hooks;

/* NULL on ENOMEM. The loop must outlive the object. */
struct dns_aliases *dns_aliases_new(struct ev_loop *loop, size_t max_entries);
void dns_aliases_free(struct dns_aliases *a);
/* Reputation callbacks (copied); NULL clears them. */
void dns_aliases_set_rep(struct dns_aliases *a, const struct dns_alias_rep *rep);
/* The hooks to give to dns_set_alias_hooks() with `a` as their argument. */
const struct dns_alias_hooks *dns_aliases_hooks(void);
void dns_aliases_get_stats(const struct dns_aliases *a, struct dns_alias_stats *out);
/* Write the counters in Prometheus text format (rgw_dns_aliases, rgw_dns_alias_events_total). */
struct buf;
void dns_aliases_metrics(const struct dns_aliases *a, struct buf *out);

#endif
