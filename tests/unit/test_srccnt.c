/* SPDX-License-Identifier: MIT */
/* tests/unit/test_srccnt.c -- connection counts per source address or prefix */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/srccnt.h"

static struct addr
A(const char *s) {
	struct addr a = { 0 };

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void
test_counts(void **state)
{
	struct srccnt *t = srccnt_new(4);
	struct addr a = A("192.0.2.1"), b = A("192.0.2.2"), c = A("2001:db8::1");

	(void)state;
	assert_non_null(t);
	assert_int_equal(srccnt_get(t, &a), 0);
	assert_int_equal(srccnt_add(t, &a, 1), 1);
	assert_int_equal(srccnt_add(t, &a, 1), 2);
	assert_int_equal(srccnt_add(t, &b, 1), 1);
	assert_int_equal(srccnt_add(t, &c, 1), 1);
	assert_int_equal(srccnt_size(t), 3);
	assert_int_equal(srccnt_get(t, &a), 2);
	/* a count that reaches 0 frees its entry; a decrement of an absent key stays 0 */
	assert_int_equal(srccnt_add(t, &b, -1), 0);
	assert_int_equal(srccnt_size(t), 2);
	assert_int_equal(srccnt_add(t, &b, -1), 0);
	assert_int_equal(srccnt_size(t), 2);
	assert_int_equal(srccnt_add(t, &a, -2), 0);
	assert_int_equal(srccnt_get(t, &c), 1);
	assert_int_equal(srccnt_size(t), 1);
	srccnt_free(t);
	srccnt_free(NULL);
}

/* many keys in few buckets: chains hold them all, each count its own */
static void
test_many_keys(void **state)
{
	struct srccnt *t = srccnt_new(1);
	char s[32];

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 2000; i++) {
		struct addr a;

		snprintf(s, sizeof(s), "10.%d.%d.1", i / 256, i % 256);
		a = A(s);
		assert_int_equal(srccnt_add(t, &a, i % 3 + 1), i % 3 + 1);
	}
	assert_int_equal(srccnt_size(t), 2000);
	for (int i = 0; i < 2000; i++) {
		struct addr a;

		snprintf(s, sizeof(s), "10.%d.%d.1", i / 256, i % 256);
		a = A(s);
		assert_int_equal(srccnt_get(t, &a), i % 3 + 1);
		assert_int_equal(srccnt_add(t, &a, -(i % 3 + 1)), 0);
	}
	assert_int_equal(srccnt_size(t), 0);
	srccnt_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
