/* SPDX-License-Identifier: MIT */
/* nat/flowmem.h -- which binding admitted a flow, and the sources blocked after an alert */
#ifndef RGW_NAT_FLOWMEM_H
#define RGW_NAT_FLOWMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "ct.h"

/*
 * Two bounded tables of the flow defence (docs/nat.md, "Flow defence"), pure (time passed in):
 *   - the admitted-flow memory: the original tuple of each flow the pool admitted (client ->
 *     pool address) and the binding that admitted it (resolver, requestor, host), so that an
 *     IDS alert about the flow can be charged to whoever obtained the binding. A ring of
 *     `max` entries: the oldest is forgotten first.
 *   - the block table: addresses blocked after an alert, with their expiry and reason
 *     (the userspace truth that the nft sets block4 / block6 project).
 * Main loop thread only.
 */
struct nat_flowmem;

/* What admitted a flow. */
struct nat_flow_origin {
	uint64_t binding_id;
	struct addr client; /* the flow's source */
	int64_t host_id, service_id;
	struct addr resolver;
	bool has_requestor;
	struct prefix requestor;
	uint64_t admitted_ms;
	bool torn_down; /* rgwd tore the flow down after an alert (nat_flowmem_mark_torn) */
};

/* max: flows remembered (at least 1). NULL on ENOMEM. */
struct nat_flowmem *nat_flowmem_new(size_t max);
void nat_flowmem_free(struct nat_flowmem *m);
/* Remember (or refresh) the flow whose original tuple is t. */
void nat_flowmem_add(struct nat_flowmem *m, const struct nat_ct_tuple *t,
		     const struct nat_flow_origin *o);
/* The origin of the flow whose original tuple is t: true and *o filled, or false. */
bool nat_flowmem_find(const struct nat_flowmem *m, const struct nat_ct_tuple *t,
		      struct nat_flow_origin *o);
/* Note that the flow whose original tuple is t was torn down. true when it was remembered. */
bool nat_flowmem_mark_torn(struct nat_flowmem *m, const struct nat_ct_tuple *t);
size_t nat_flowmem_count(const struct nat_flowmem *m);

/* ---- blocks ---- */
#define NAT_BLOCK_REASON_MAX 96

struct nat_block_info {
	struct addr addr;
	uint64_t created_ms, expires_ms; /* monotonic */
	uint64_t alerts;		 /* alerts that (re)blocked it */
	char reason[NAT_BLOCK_REASON_MAX];
};

struct nat_blocks;

/* At most max addresses blocked at once. NULL on ENOMEM. */
struct nat_blocks *nat_blocks_new(size_t max);
void nat_blocks_free(struct nat_blocks *b);
/* Block a until now + ms (an active block is extended, never shortened). Returns 1 for a new
 * block, 0 for an extended one, -ENOSPC when the table is full of active blocks. */
int nat_blocks_add(struct nat_blocks *b, const struct addr *a, uint64_t now, uint64_t ms,
		   const char *reason);
/* Remove the block of a. 0, or -ENOENT when a was not (or no longer) blocked. */
int nat_blocks_del(struct nat_blocks *b, const struct addr *a, uint64_t now);
/* Drop the blocks expired at now. Returns how many. */
size_t nat_blocks_expire(struct nat_blocks *b, uint64_t now);
/* Active blocks, oldest first, until cb returns non-zero. */
typedef int (*nat_block_cb)(void *arg, const struct nat_block_info *bi);
void nat_blocks_foreach(struct nat_blocks *b, uint64_t now, nat_block_cb cb, void *arg);
size_t nat_blocks_count(struct nat_blocks *b, uint64_t now);
/* The block of a when active at now (true, *out filled). */
bool nat_blocks_find(struct nat_blocks *b, const struct addr *a, uint64_t now,
		     struct nat_block_info *out);

#endif
