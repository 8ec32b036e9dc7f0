/* SPDX-License-Identifier: MIT */
/* alg/limit.h -- ALG admission: global and per-source connection caps, per-source accept
 * token buckets */
#ifndef RGW_ALG_LIMIT_H
#define RGW_ALG_LIMIT_H

#include <stdint.h>

#include "common/addr.h"

enum alg_admit {
	ALG_ADMIT_OK = 0,
	ALG_ADMIT_GLOBAL_CAP,
	ALG_ADMIT_SOURCE_CAP,
	ALG_ADMIT_RATE,
};

/* Shared by every worker thread; one short mutex-protected section per accept and close. */
struct alg_limit;

/* rate: tokens per second, burst: bucket depth, both per source (a burst from some sources
 * does not use up the allowance of the others). A source's bucket lives while it holds a
 * connection; a source without any starts full. NULL on ENOMEM. */
struct alg_limit *alg_limit_new(long max_conns, long max_per_source, long rate, long burst);
void alg_limit_free(struct alg_limit *l);
/* New caps and rate (a reload); connections already admitted stay. Any thread. */
void alg_limit_set(struct alg_limit *l, long max_conns, long max_per_source, long rate, long burst);

/* Admit a new connection from src at monotonic time now_ms; on ALG_ADMIT_OK the caller must
 * call alg_limit_release(src) when the connection closes. Any thread. */
enum alg_admit alg_limit_admit(struct alg_limit *l, const struct addr *src, uint64_t now_ms);
void alg_limit_release(struct alg_limit *l, const struct addr *src);
/* Connections currently admitted. */
long alg_limit_active(struct alg_limit *l);
/* Percent of max_connections currently admitted (0 without a cap). Any thread. */
unsigned alg_limit_fill_pct(struct alg_limit *l);
/* Connections currently admitted from src. Any thread. */
long alg_limit_count(struct alg_limit *l, const struct addr *src);

#endif
