/* SPDX-License-Identifier: MIT */
/* tests/unit/test_api_ratelimit.c -- per-client token buckets */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/ratelimit.h"

static struct addr
v4(uint32_t host_order)
{
	struct addr a;

	addr_from_v4(host_order, &a);
	return a;
}

static void
test_burst_then_refill(void **state)
{
	struct api_rl *rl = api_rl_new(10, 5, 16); /* 10/s, burst 5 */
	struct addr a = v4(0x7f000001);
	uint64_t retry;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 5; i++)
		assert_true(api_rl_take(rl, &a, 1000, NULL));
	assert_false(api_rl_take(rl, &a, 1000, &retry));
	assert_int_equal(retry, 100); /* one token per 100 ms */
	assert_false(api_rl_take(rl, &a, 1050, &retry));
	assert_int_equal(retry, 50);
	assert_true(api_rl_take(rl, &a, 1100, NULL));
	assert_false(api_rl_take(rl, &a, 1100, NULL));
	/* a long pause refills to the burst, not beyond */
	for (int i = 0; i < 5; i++)
		assert_true(api_rl_take(rl, &a, 100000, NULL));
	assert_false(api_rl_take(rl, &a, 100000, NULL));
	api_rl_free(rl);
}

static void
test_clients_independent(void **state)
{
	struct api_rl *rl = api_rl_new(1, 2, 16);
	struct addr a = v4(0x0a000001), b = v4(0x0a000002);

	(void)state;
	assert_true(api_rl_take(rl, &a, 0, NULL));
	assert_true(api_rl_take(rl, &a, 0, NULL));
	assert_false(api_rl_take(rl, &a, 0, NULL));
	assert_true(api_rl_take(rl, &b, 0, NULL));
	assert_true(api_rl_take(rl, &b, 0, NULL));
	assert_false(api_rl_take(rl, &b, 0, NULL));
	assert_int_equal(api_rl_clients(rl), 2);
	api_rl_free(rl);
}

/* More clients than slots: idle (full) buckets are reused; busy ones are never evicted,
 * and the excess shares the overflow bucket, so memory stays bounded. */
static void
test_bounded_table(void **state)
{
	struct api_rl *rl = api_rl_new(1, 1, 4);
	struct addr c[8];
	int admitted = 0;

	(void)state;
	for (int i = 0; i < 8; i++)
		c[i] = v4(0x0b000000u + (uint32_t)i);
	/* 4 clients drain their bucket: the table is full of non-idle buckets */
	for (int i = 0; i < 4; i++)
		assert_true(api_rl_take(rl, &c[i], 0, NULL));
	/* the next 4 share the overflow bucket: one token (burst 1) among them */
	for (int i = 4; i < 8; i++)
		admitted += api_rl_take(rl, &c[i], 0, NULL);
	assert_int_equal(admitted, 1);
	/* a limited client is still limited: its state was not evicted */
	assert_false(api_rl_take(rl, &c[0], 0, NULL));
	assert_int_equal(api_rl_clients(rl), 4);
	/* after refilling, old buckets are idle and get reused by new clients */
	assert_true(api_rl_take(rl, &c[5], 5000, NULL));
	assert_int_equal(api_rl_clients(rl), 4);
	api_rl_free(rl);
}

static void
test_disabled(void **state)
{
	struct api_rl *rl = api_rl_new(0, 0, 1);
	struct addr a = v4(1);

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_true(api_rl_take(rl, &a, 0, NULL));
	api_rl_free(rl);
	api_rl_free(NULL);
}

static void
test_ipv6_clients(void **state)
{
	struct api_rl *rl = api_rl_new(1, 1, 8);
	struct addr a, b;

	(void)state;
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(addr_parse("2001:db8::2", &b), 0);
	assert_true(api_rl_take(rl, &a, 0, NULL));
	assert_false(api_rl_take(rl, &a, 0, NULL));
	assert_true(api_rl_take(rl, &b, 0, NULL));
	api_rl_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refill),
		cmocka_unit_test(test_clients_independent),
		cmocka_unit_test(test_bounded_table),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_ipv6_clients),
	};

	return cmocka_run_group_tests_name("api_ratelimit", tests, NULL, NULL);
}
