/* SPDX-License-Identifier: MIT */
/* common/util.h -- small helpers shared by every module */
#ifndef RGW_COMMON_UTIL_H
#define RGW_COMMON_UTIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FREE_AND_NULL(p)                                                                           \
	do {                                                                                       \
		free(p);                                                                           \
		(p) = NULL;                                                                        \
	} while (0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED	  __attribute__((unused))

#define RGW_VERSION "0.1.0"

/* qsort that accepts (NULL, 0): qsort's base is declared non-null even for an empty array,
 * and UBSan rightly reports empty policy tables passed to it. */
static inline void
util_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/*
 * A token bucket in thousandths of a token (fractional refills are not lost): rate tokens per
 * second, at most cap_milli thousandths. util_tb_refill adds what the time since the last
 * refill earned (a clock that went back earns nothing); util_tb_take takes one token when
 * there is one. Not locked: the owner serialises.
 */
struct util_tb {
	uint64_t milli;
	uint64_t last_ms;
};

static inline void
util_tb_refill(struct util_tb *b, uint64_t rate, uint64_t cap_milli, uint64_t now_ms)
{
	if (now_ms > b->last_ms) {
		/* rate tokens per 1000 ms = rate thousandths per ms */
		b->milli = MIN(cap_milli, b->milli + (now_ms - b->last_ms) * rate);
		b->last_ms = now_ms;
	}
}

static inline bool
util_tb_take(struct util_tb *b, uint64_t rate, uint64_t cap_milli, uint64_t now_ms)
{
	util_tb_refill(b, rate, cap_milli, now_ms);
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}

/*
 * Reference counts of objects shared between threads (policy snapshots, DNS indexes, ALG
 * route tables): a new object holds one reference; util_ref_put returns true when it dropped
 * the last one (the caller frees). Taking a reference needs one already held: relaxed;
 * dropping one orders the owner's writes before the free.
 */
static inline void
util_ref_init(atomic_int *r)
{
	atomic_init(r, 1);
}

static inline void
util_ref_get(atomic_int *r)
{
	atomic_fetch_add_explicit(r, 1, memory_order_relaxed);
}

static inline bool
util_ref_put(atomic_int *r)
{
	return atomic_fetch_sub_explicit(r, 1, memory_order_acq_rel) == 1;
}

/* Monotonic and wall-clock time in milliseconds; monotonic in microseconds. */
uint64_t util_mono_ms(void);
uint64_t util_mono_us(void);
uint64_t util_wall_ms(void);

/*
 * CPUs this process may run on: its affinity mask (sched_getaffinity: taskset, systemd's
 * CPUAffinity=, a container's cpuset), not the machine's total; the online CPUs if the mask
 * cannot be read. Always >= 1. Any thread.
 */
long util_ncpu(void);

/* fd helpers: 0 or -errno. */
int util_set_nonblock(int fd);
int util_set_cloexec(int fd);

/* Fill buf with cryptographically random bytes (getrandom). 0 or -errno. */
int util_random(void *buf, size_t len);

/* Constant-time comparison: true if equal. */
bool util_ct_equal(const void *a, const void *b, size_t len);

/* Copy at most size-1 bytes and terminate; returns strlen(src) (truncation if >= size). */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/*
 * UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
 * util_utf8_valid_len: length of the longest valid prefix of s[0..len) that ends on a character
 * boundary (== len when all of it is valid).
 * util_utf8_cut: the largest n <= max such that s[0..n) does not end inside a character of the
 * NUL-terminated string s (s itself need not be valid: only lead/continuation bytes count).
 * util_utf8_sanitize: a heap copy of s[0..len) where every byte that is not part of a valid
 * character became U+FFFD; NUL bytes are kept out as U+FFFD too. NULL on ENOMEM; caller frees.
 */
size_t util_utf8_valid_len(const char *s, size_t len);
size_t util_utf8_cut(const char *s, size_t max);
char *util_utf8_sanitize(const char *s, size_t len);

/* Lowercase ASCII in place; returns s. */
char *util_strlower(char *s);

/* Parse a whole decimal integer in [min, max]. 0 or -EINVAL / -ERANGE. */
int util_parse_long(const char *s, long min, long max, long *out);

/* Parse a duration: a whole number with an optional unit s, m, h, d or w (seconds when
 * none), e.g. "90", "15m", "30d". *out in seconds, in [1, max_s]. 0 or -EINVAL / -ERANGE. */
int util_parse_duration_s(const char *s, long max_s, long *out);

/* Hex encode `len` bytes into out (2*len+1 bytes). */
void util_hex(const void *data, size_t len, char *out);

/* SipHash-2-4 of data under a 16-byte key (DNS server cookies, hash tables). */
uint64_t util_siphash24(const uint8_t key[16], const void *data, size_t len);

/* SHA-256 of data into out[32] (API token hashing). */
void util_sha256(const void *data, size_t len, uint8_t out[32]);

/* HMAC-SHA256 (RFC 2104) of hdr || msg under key, into out[32] (the HA policy channel).
 * hdr may be NULL when hdr_len is 0. 0, or -ENOMEM. */
int util_hmac_sha256(const void *key, size_t key_len, const void *hdr, size_t hdr_len,
		     const void *msg, size_t len, uint8_t out[32]);

#endif
