/* SPDX-License-Identifier: MIT */
/* common/histo.h -- latency histograms for /metrics (Prometheus histogram type) */
#ifndef RGW_COMMON_HISTO_H
#define RGW_COMMON_HISTO_H

#include <stdint.h>

struct buf;

/*
 * A latency histogram with fixed buckets from 10 us to 10 s (upper bounds, seconds: 1e-5,
 * 2.5e-5, 5e-5, 1e-4 ... 5, 10, +Inf). Observations are lock-free (relaxed atomics), so any
 * thread may record into one; a scrape reads each counter once, which may mix two
 * observations' worth of skew but never tears a value. Zero-initialised = empty.
 */
#define HISTO_BUCKETS 19
struct histo {
	uint64_t bucket[HISTO_BUCKETS + 1]; /* per bucket (not cumulative); last = +Inf */
	uint64_t count;
	uint64_t sum_ns;
};

/* The process-wide latency histograms (one per measured path; the owner records). */
extern struct histo histo_dns_answer;	 /* query parsed to answer built (dns/) */
extern struct histo histo_api_request;	 /* request headers in to response queued (api/) */
extern struct histo histo_policy_commit; /* a policy commit: validation to in force (commit.c) */
extern struct histo histo_nat_verdict;	 /* NFQUEUE packet in to verdict decided (nat/) */

/* Monotonic clock in ns, for a start and an observe. */
uint64_t histo_now_ns(void);
/* Record one observation of ns nanoseconds. Any thread. */
void histo_observe_ns(struct histo *h, uint64_t ns);
/* Record now - start_ns. */
void histo_since(struct histo *h, uint64_t start_ns);
/*
 * Append a whole histogram family to out: # HELP, # TYPE histogram, the cumulative
 * name_bucket{le="..."} series, name_sum (seconds) and name_count. 0 or -ENOMEM.
 */
int histo_write(const struct histo *h, struct buf *out, const char *name, const char *help);

#endif
