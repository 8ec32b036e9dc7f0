/* SPDX-License-Identifier: MIT */
/* common/srccnt.h -- connection counts per source address or prefix (keyed hash table) */
#ifndef RGW_COMMON_SRCCNT_H
#define RGW_COMMON_SRCCNT_H

#include <stddef.h>

#include "common/addr.h"

/*
 * A count per key (an address, or an address masked to a prefix by the caller), for
 * per-source connection caps. Only non-zero counts hold memory. The bucket of a key comes
 * from SipHash under a random key, so a client cannot aim its addresses at one bucket.
 * Not thread-safe: one owner thread.
 */
struct srccnt;

/* A table with about `buckets` buckets (rounded up to a power of two). NULL on ENOMEM. */
struct srccnt *srccnt_new(size_t buckets);
/* Free the table. NULL is a no-op. */
void srccnt_free(struct srccnt *t);
/* The count of key (0 when absent). */
long srccnt_get(struct srccnt *t, const struct addr *key);
/* Add delta (+1 or -1 typically) to key's count; a count that reaches 0 frees its entry.
 * Returns the new count, or -ENOMEM (count unchanged) when an entry cannot be made. */
long srccnt_add(struct srccnt *t, const struct addr *key, long delta);
/* Number of keys with a non-zero count. */
size_t srccnt_size(const struct srccnt *t);

#endif
