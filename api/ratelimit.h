/* SPDX-License-Identifier: MIT */
/* api/ratelimit.h -- per-client token buckets in a bounded table (pure, time passed in) */
#ifndef RGW_API_RATELIMIT_H
#define RGW_API_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/addr.h"

/*
 * One token bucket per client address: `rate` tokens per second, at most `burst` stored.
 * The table holds at most `max_clients` buckets; a bucket that has refilled completely
 * carries no information and is reused first. When every slot holds a non-full bucket, the
 * clients that do not fit share one overflow bucket (so a flood of source addresses cannot
 * grow memory nor evict the state of a client being limited). Not thread-safe.
 */
struct api_rl;

/* NULL on ENOMEM. rate == 0 disables limiting (every call admits). */
struct api_rl *api_rl_new(uint32_t rate, uint32_t burst, uint32_t max_clients);
void api_rl_free(struct api_rl *rl);

/*
 * Take one token for client at now_ms (monotonic). Returns true if admitted; otherwise
 * false and *retry_after_ms (if not NULL) is the wait until a token is available.
 */
bool api_rl_take(struct api_rl *rl, const struct addr *client, uint64_t now_ms,
		 uint64_t *retry_after_ms);

/* Number of buckets in use (tests, metrics). */
uint32_t api_rl_clients(const struct api_rl *rl);

#endif
