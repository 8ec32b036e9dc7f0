/* SPDX-License-Identifier: MIT */
/* common/histo.c -- latency histograms for /metrics (Prometheus histogram type) */
#include "common/histo.h"

#include <errno.h>
#include <time.h>

#include "common/buf.h"

/* Upper bounds in ns, and as Prometheus writes them (le labels, seconds). */
static const uint64_t bounds_ns[HISTO_BUCKETS] = {
	10000,	   25000,      50000,	   100000,     250000,	    500000,    1000000,
	2500000,   5000000,    10000000,   25000000,   50000000,    100000000, 250000000,
	500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};
static const char *const bounds_s[HISTO_BUCKETS] = {
	"1e-05",  "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001",
	"0.0025", "0.005",   "0.01",  "0.025",	"0.05",	   "0.1",    "0.25",
	"0.5",	  "1",	     "2.5",   "5",	"10",
};

struct histo histo_dns_answer;
struct histo histo_api_request;
struct histo histo_policy_commit;
struct histo histo_nat_verdict;

uint64_t
histo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
histo_observe_ns(struct histo *h, uint64_t ns)
{
	size_t i = 0;

	/* 19 bounds: a linear scan costs less than the branch mispredictions of a search */
	while (i < HISTO_BUCKETS && ns > bounds_ns[i])
		i++;
	__atomic_fetch_add(&h->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->sum_ns, ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
}

void
histo_since(struct histo *h, uint64_t start_ns)
{
	uint64_t now = histo_now_ns();

	histo_observe_ns(h, now > start_ns ? now - start_ns : 0);
}

int
histo_write(const struct histo *h, struct buf *out, const char *name, const char *help)
{
	uint64_t cum = 0, v[HISTO_BUCKETS + 1], sum;
	int r = 0;
	size_t i;

	for (i = 0; i <= HISTO_BUCKETS; i++)
		v[i] = __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
	sum = __atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED);
	r |= buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < HISTO_BUCKETS; i++) {
		cum += v[i];
		r |= buf_printf(out, "%s_bucket{le=\"%s\"} %llu\n", name, bounds_s[i],
				(unsigned long long)cum);
	}
	cum += v[HISTO_BUCKETS];
	/* count is the +Inf bucket, so that the family is consistent within one scrape */
	r |= buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
			(unsigned long long)cum, name, (double)sum / 1e9, name,
			(unsigned long long)cum);
	return r ? -ENOMEM : 0;
}
