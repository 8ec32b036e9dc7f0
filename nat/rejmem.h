/* SPDX-License-Identifier: MIT */
/* nat/rejmem.h -- bounded memory of rejected first packets */
#ifndef RGW_NAT_REJMEM_H
#define RGW_NAT_REJMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/*
 * A packet rejected by the first-packet path is remembered for ttl_ms (rgw-original-behaviour
 * §3.10: 20 s); an identical packet seen again in that window is rejected at once, without a
 * binding lookup, and refreshes the record. At most max_entries records are kept: when full,
 * the least recently refreshed record is evicted (the original grew without bound).
 * Because ttl is the same for every record, LRU order is also expiry order, so expired
 * records are purged from the head in O(1) each. Loop context: main thread only.
 */
struct nat_rejmem;

/* NULL on ENOMEM. max_entries 0 disables the memory (check always false). */
struct nat_rejmem *nat_rejmem_new(size_t max_entries, uint64_t ttl_ms);
void nat_rejmem_free(struct nat_rejmem *m);

/* True if a live record exists for key; the record is then refreshed (count + 1). */
bool nat_rejmem_check(struct nat_rejmem *m, const struct nat_rej_key *key, uint64_t now_ms);
/* Record (or refresh) key. 0 or -ENOMEM. */
int nat_rejmem_record(struct nat_rejmem *m, const struct nat_rej_key *key, uint64_t now_ms);
/* Drop expired records. */
void nat_rejmem_purge(struct nat_rejmem *m, uint64_t now_ms);

struct nat_rejmem_stats {
	size_t entries;
	size_t max_entries;
	uint64_t hits;	    /* packets rejected from memory */
	uint64_t evictions; /* live records dropped because the memory was full */
};
void nat_rejmem_get_stats(const struct nat_rejmem *m, struct nat_rejmem_stats *out);

/* Rejected packets per source (issue 7): live records aggregated by source address. */
struct nat_rej_source {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t src[16];
	uint64_t packets; /* rejections counted by the live records of this source */
	uint32_t records; /* distinct rejected packets (destination, ports...) remembered */
};
/*
 * Fill out[0..max) with the sources that have live records at now_ms, most packets first
 * (ties: lower address first). Returns how many were written; *total (may be NULL) gets the
 * number of distinct sources. O(n log n) in the records: for the API, not the data path.
 * -ENOMEM on allocation failure.
 */
int nat_rejmem_sources(const struct nat_rejmem *m, uint64_t now_ms, struct nat_rej_source *out,
		       size_t max, size_t *total);

#endif
