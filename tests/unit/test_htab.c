/* SPDX-License-Identifier: MIT */
/* tests/unit/test_htab.c -- the chained hash table: lookups, growth, unlinking, a failed growth */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/htab.h"

/* calloc is wrapped for this test only (Makefile: --wrap=calloc): the test can make the next
 * one fail. */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static bool fail_next;

void *
__wrap_calloc(size_t n, size_t size)
{
	if (fail_next) {
		fail_next = false;
		return NULL;
	}
	return __real_calloc(n, size);
}

struct item {
	uint32_t key;
	bool drained;
	struct hnode hn;
};

/* A poor hash on purpose: every eighth key shares one, so chains hold other keys. */
static uint64_t
hash(uint32_t key)
{
	return key % 8 == 0 ? 12345 : (uint64_t)key * 0x9e3779b97f4a7c15ull;
}

static struct item *
find(struct htab *t, uint32_t key)
{
	uint64_t h = hash(key);
	struct hnode *n;

	htab_for_each(t, h, n) {
		struct item *it = htab_item(n, struct item, hn);

		if (n->hash == h && it->key == key)
			return it;
	}
	return NULL;
}

enum { N = 5000 };

static void
test_add_find_grow_del(void **state)
{
	struct item *items = calloc(N, sizeof(*items));
	struct htab t;

	(void)state;
	assert_non_null(items);
	assert_int_equal(htab_init(&t, 1), 0);
	assert_int_equal(t.mask, 15);
	for (uint32_t i = 0; i < N; i++) {
		items[i].key = i;
		htab_add(&t, &items[i].hn, hash(i));
	}
	assert_int_equal(t.n, N);
	/* doubled as the elements outnumbered the buckets */
	assert_true(t.mask + 1 >= N / 2);
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(find(&t, i), &items[i]);
	assert_null(find(&t, N + 1));
	/* unlink the odd ones, the shared-hash ones included */
	for (uint32_t i = 1; i < N; i += 2)
		htab_del(&t, &items[i].hn);
	assert_int_equal(t.n, N / 2);
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(find(&t, i), i % 2 ? NULL : &items[i]);
	htab_fini(&t);
	assert_null(t.b);
	free(items);
}

/* A growth that cannot allocate leaves the table working, with longer chains. */
static void
test_growth_fails(void **state)
{
	struct item items[64];
	struct htab t;

	(void)state;
	fail_next = true;
	assert_int_equal(htab_init(&t, 16), -ENOMEM);
	assert_int_equal(htab_init(&t, 16), 0);
	for (uint32_t i = 0; i < 64; i++) {
		items[i].key = i;
		if (i == 16)
			fail_next = true; /* the first growth */
		htab_add(&t, &items[i].hn, hash(i));
		if (i == 16)
			assert_int_equal(t.mask, 15);
	}
	assert_false(fail_next);
	assert_true(t.mask > 15); /* a later growth succeeded */
	for (uint32_t i = 0; i < 64; i++)
		assert_ptr_equal(find(&t, i), &items[i]);
	htab_fini(&t);
}

/* Drop the items whose key is a multiple of *arg, marking them. */
static bool
drop(struct hnode *n, void *arg)
{
	struct item *it = htab_item(n, struct item, hn);

	assert_false(it->drained);
	if (it->key % *(uint32_t *)arg != 0)
		return false;
	it->drained = true;
	return true;
}

static void
test_sweep(void **state)
{
	struct item items[100];
	struct htab t;

	(void)state;
	memset(items, 0, sizeof(items));
	assert_int_equal(htab_init(&t, 0), 0);
	for (uint32_t i = 0; i < 100; i++) {
		items[i].key = i;
		htab_add(&t, &items[i].hn, hash(i));
	}
	/* every third, then all the others */
	assert_int_equal(htab_sweep(&t, drop, &(uint32_t){ 3 }), 34);
	assert_int_equal(t.n, 66);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(items[i].drained, i % 3 == 0);
		assert_ptr_equal(find(&t, i), i % 3 == 0 ? NULL : &items[i]);
	}
	assert_int_equal(htab_sweep(&t, drop, &(uint32_t){ 1 }), 66);
	assert_int_equal(t.n, 0);
	for (uint32_t i = 0; i < 100; i++) {
		assert_true(items[i].drained);
		assert_null(find(&t, i));
	}
	htab_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find_grow_del),
		cmocka_unit_test(test_growth_fails),
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
