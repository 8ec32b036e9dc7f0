/* SPDX-License-Identifier: MIT */
/* tests/unit/test_array.c -- the growable array: growth, the size guard, a failed allocation */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"

/*
 * realloc is wrapped for this test only (Makefile: --wrap=realloc): each call is counted
 * and its size recorded, and the test can make the next one fail.
 */
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static unsigned n_realloc;
static size_t last_size;
static bool fail_next;

void *
__wrap_realloc(void *p, size_t n)
{
	n_realloc++;
	last_size = n;
	if (fail_next) {
		fail_next = false;
		return NULL;
	}
	return __real_realloc(p, n);
}

struct elem {
	uint32_t k;
	char name[12];
};

/* Appends keep every element, zero the new one, and double the capacity (log n reallocs). */
static void
test_growth(void **state)
{
	struct elem *v = NULL, *e;
	size_t n = 0, cap = 0;

	(void)state;
	n_realloc = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		e = ARRAY_PUSH(v, n, cap);
		assert_non_null(e);
		assert_ptr_equal(e, &v[i]);
		assert_int_equal(e->k, 0);
		assert_int_equal(e->name[0], '\0');
		e->k = i * 7;
		memset(e->name, 'x', sizeof(e->name));
	}
	assert_int_equal(n, 1000);
	assert_int_equal(cap, 1024);
	/* 8, 16, ... 1024 */
	assert_int_equal(n_realloc, 8);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(v[i].k, i * 7);
	/* enough room: no allocation */
	assert_int_equal(ARRAY_RESERVE(v, cap, 1024), 0);
	assert_int_equal(n_realloc, 8);
	/* one growth reaches a far need at once */
	assert_int_equal(ARRAY_RESERVE(v, cap, 5000), 0);
	assert_int_equal(cap, 8192);
	assert_int_equal(n_realloc, 9);
	assert_int_equal(v[999].k, 999 * 7);
	free(v);
}

/* A need whose size in bytes would overflow, or exceed PTRDIFF_MAX, is refused before any
 * allocation; near the limit the doubling stops at the need instead of overflowing. */
static void
test_size_guard(void **state)
{
	struct elem *v = NULL;
	size_t n = 0, cap = 0, max = PTRDIFF_MAX / sizeof(struct elem);

	(void)state;
	n_realloc = 0;
	assert_int_equal(ARRAY_RESERVE(v, cap, SIZE_MAX), -ENOMEM);
	assert_int_equal(ARRAY_RESERVE(v, cap, SIZE_MAX / sizeof(struct elem) + 1), -ENOMEM);
	assert_int_equal(ARRAY_RESERVE(v, cap, max + 1), -ENOMEM);
	assert_int_equal(n_realloc, 0);
	assert_null(v);
	assert_int_equal(cap, 0);
	/* a count at the top of size_t cannot take one more */
	n = SIZE_MAX;
	assert_null(ARRAY_PUSH(v, n, cap));
	assert_int_equal(n, SIZE_MAX);
	assert_int_equal(n_realloc, 0);

	/* past half the limit doubling would overflow: the request is the need itself (the
	 * allocation is made to fail: only its size is of interest) */
	cap = max / 2 + 1;
	fail_next = true;
	assert_int_equal(ARRAY_RESERVE(v, cap, max / 2 + 2), -ENOMEM);
	assert_int_equal(n_realloc, 1);
	assert_int_equal(last_size, (max / 2 + 2) * sizeof(struct elem));
	assert_int_equal(cap, max / 2 + 1);
	/* below it the request doubles, and never exceeds the limit */
	cap = max / 4;
	fail_next = true;
	assert_int_equal(ARRAY_RESERVE(v, cap, max / 4 + 1), -ENOMEM);
	assert_int_equal(last_size, max / 4 * 2 * sizeof(struct elem));
	assert_true(last_size <= PTRDIFF_MAX);
	assert_null(v);
}

/* A failed allocation leaves the array, its count and its capacity as they were. */
static void
test_alloc_failure(void **state)
{
	uint64_t *v = NULL, *e, *before;
	size_t n = 0, cap = 0;

	(void)state;
	fail_next = true;
	assert_null(ARRAY_PUSH(v, n, cap));
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(cap, 0);
	for (uint64_t i = 0; i < 8; i++) {
		e = ARRAY_PUSH(v, n, cap);
		assert_non_null(e);
		*e = i + 100;
	}
	assert_int_equal(cap, 8);
	before = v;
	fail_next = true;
	assert_null(ARRAY_PUSH(v, n, cap));
	assert_ptr_equal(v, before);
	assert_int_equal(n, 8);
	assert_int_equal(cap, 8);
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(v[i], i + 100);
	/* and the next attempt grows it */
	e = ARRAY_PUSH(v, n, cap);
	assert_non_null(e);
	assert_int_equal(n, 9);
	assert_int_equal(cap, 16);
	assert_int_equal(v[7], 107);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_size_guard),
		cmocka_unit_test(test_alloc_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
