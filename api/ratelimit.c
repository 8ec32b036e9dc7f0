/* SPDX-License-Identifier: MIT */
/* api/ratelimit.c -- per-client token buckets in a bounded table (pure, time passed in) */
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "ratelimit.h"

/* Tokens are counted in thousandths so that fractional refills are not lost. */
#define MILLI 1000u

struct bucket {
	struct addr client;
	struct util_tb tb;
	bool used;
};

struct api_rl {
	uint32_t rate, burst, max;
	uint32_t n_used;
	struct bucket *slots; /* open addressing, linear probing, size max */
	struct bucket overflow;
};

static bool is_full(const struct api_rl *rl, struct bucket *b, uint64_t now_ms);
static struct bucket *lookup(struct api_rl *rl, const struct addr *client, uint64_t now_ms);

struct api_rl *
api_rl_new(uint32_t rate, uint32_t burst, uint32_t max_clients)
{
	struct api_rl *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	rl->rate = rate;
	rl->burst = burst ? burst : 1;
	rl->max = max_clients ? max_clients : 1;
	rl->slots = calloc(rl->max, sizeof(*rl->slots));
	if (!rl->slots) {
		free(rl);
		return NULL;
	}
	rl->overflow.tb.milli = (uint64_t)rl->burst * MILLI;
	return rl;
}

void
api_rl_free(struct api_rl *rl)
{
	if (!rl)
		return;
	free(rl->slots);
	free(rl);
}

static bool
is_full(const struct api_rl *rl, struct bucket *b, uint64_t now_ms)
{
	util_tb_refill(&b->tb, rl->rate, (uint64_t)rl->burst * MILLI, now_ms);
	return b->tb.milli >= (uint64_t)rl->burst * MILLI;
}

static struct bucket *
lookup(struct api_rl *rl, const struct addr *client, uint64_t now_ms)
{
	uint32_t h = addr_hash(client) % rl->max;
	struct bucket *reuse = NULL;

	for (uint32_t i = 0; i < rl->max; i++) {
		struct bucket *b = &rl->slots[(h + i) % rl->max];
		if (!b->used) {
			/* Probing stops at the first empty slot: the client is not stored. */
			if (!reuse)
				reuse = b;
			break;
		}
		if (addr_eq(&b->client, client))
			return b;
		/* Full buckets carry no state: reuse one, but keep probing for the client.
		 * Only buckets in the probe chain are candidates, so reusing cannot hide a
		 * stored client behind an empty slot. */
		if (!reuse && is_full(rl, b, now_ms))
			reuse = b;
	}
	if (!reuse)
		return &rl->overflow;
	if (!reuse->used)
		rl->n_used++;
	memset(reuse, 0, sizeof(*reuse));
	reuse->used = true;
	reuse->client = *client;
	reuse->tb.milli = (uint64_t)rl->burst * MILLI;
	reuse->tb.last_ms = now_ms;
	return reuse;
}

bool
api_rl_take(struct api_rl *rl, const struct addr *client, uint64_t now_ms, uint64_t *retry_after_ms)
{
	struct bucket *b;

	if (retry_after_ms)
		*retry_after_ms = 0;
	if (rl->rate == 0)
		return true;
	b = lookup(rl, client, now_ms);
	if (util_tb_take(&b->tb, rl->rate, (uint64_t)rl->burst * MILLI, now_ms))
		return true;
	if (retry_after_ms)
		*retry_after_ms = (MILLI - b->tb.milli + rl->rate - 1) / rl->rate;
	return false;
}

uint32_t
api_rl_clients(const struct api_rl *rl)
{
	return rl->n_used;
}
