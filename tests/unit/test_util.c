/* SPDX-License-Identifier: MIT */
/* tests/unit/test_util.c -- util: SHA-256, SipHash-2-4, strings, integers, random */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

static void
sha_hex(const void *data, size_t len, char out[65])
{
	uint8_t d[32];

	util_sha256(data, len, d);
	util_hex(d, 32, out);
}

static void
test_sha256_fips(void **state)
{
	char hex[65];
	char *million;

	(void)state;
	sha_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha_hex("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* the 448-bit message: padding spills into a second block */
	sha_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	sha_hex(million, 1000000, hex);
	assert_string_equal(hex,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

/* RFC 4231 test cases 1, 2 (split between hdr and msg) and 6 (a key longer than a block) */
static void
test_hmac_sha256_rfc4231(void **state)
{
	uint8_t key[131], d[32];
	char hex[65];
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";

	(void)state;
	memset(key, 0x0b, 20);
	assert_int_equal(util_hmac_sha256(key, 20, NULL, 0, "Hi There", 8, d), 0);
	util_hex(d, 32, hex);
	assert_string_equal(hex,
			    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(util_hmac_sha256("Jefe", 4, "what do ya", 10, " want for nothing?", 18, d),
			 0);
	util_hex(d, 32, hex);
	assert_string_equal(hex,
			    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(util_hmac_sha256(key, sizeof(key), NULL, 0, m6, strlen(m6), d), 0);
	util_hex(d, 32, hex);
	assert_string_equal(hex,
			    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void
test_sha256_block_edges(void **state)
{
	/* expected values from Python hashlib over bytes (i * 7 + 3) & 255 */
	static const struct {
		size_t n;
		const char *hex;
	} v[] = {
		{ 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
		{ 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
		{ 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
		{ 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
		{ 65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
		{ 119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e" },
		{ 120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5" },
		{ 1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371" },
	};
	uint8_t data[1000];
	char hex[65];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)((i * 7 + 3) & 255);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		sha_hex(data, v[i].n, hex);
		assert_string_equal(hex, v[i].hex);
	}
}

static void
test_siphash_vectors(void **state)
{
	/* reference vectors (Aumasson, Bernstein): key 00..0f, message 00..len-1 */
	static const uint64_t expect[] = {
		0x726fdb47dd0e0e31ULL,
		0x74f839c593dc67fdULL,
		0x0d6c8009d9a94f5aULL,
		0x85676696d7fb7e2dULL,
	};
	uint8_t key[16], msg[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = msg[i] = (uint8_t)i;
	for (size_t len = 0; len < ARRAY_SIZE(expect); len++)
		assert_int_equal(util_siphash24(key, msg, len), expect[len]);
	/* the paper's example: 15-byte message 00..0e */
	assert_int_equal(util_siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
	/* a different key changes the result */
	key[0] ^= 1;
	assert_int_not_equal(util_siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
}

static void
test_parse_long(void **state)
{
	long v = 0;

	(void)state;
	assert_int_equal(util_parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(util_parse_long("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(util_parse_long("0", 0, 0, &v), 0);
	assert_int_equal(util_parse_long("101", 0, 100, &v), -ERANGE);
	assert_int_equal(util_parse_long("-1", 0, 100, &v), -ERANGE);
	assert_int_equal(util_parse_long("99999999999999999999999", 0, LONG_MAX, &v), -ERANGE);
	assert_int_equal(util_parse_long("", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long(" 5", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long("5 ", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long("5x", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long("-", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long(NULL, 0, 100, &v), -EINVAL);
}

static void
test_strings(void **state)
{
	char b[8];
	char s[] = "HeLLo.Example.COM";
	char hex[9];
	const uint8_t raw[] = { 0x00, 0xab, 0x10, 0xff };

	(void)state;
	assert_int_equal(util_strlcpy(b, "abc", sizeof(b)), 3);
	assert_string_equal(b, "abc");
	assert_int_equal(util_strlcpy(b, "abcdefghij", sizeof(b)), 10);
	assert_string_equal(b, "abcdefg");
	assert_int_equal(util_strlcpy(b, "xyz", 0), 3);
	assert_string_equal(util_strlower(s), "hello.example.com");
	util_hex(raw, sizeof(raw), hex);
	assert_string_equal(hex, "00ab10ff");
	assert_true(util_ct_equal("abcd", "abcd", 4));
	assert_false(util_ct_equal("abcd", "abce", 4));
	assert_true(util_ct_equal("a", "b", 0));
}

/* UTF-8: validation (RFC 3629 edge cases), cutting on a boundary, sanitizing */
static void
test_utf8(void **state)
{
	/* "a" e-acute euro-sign U+1F600: 1, 2, 3 and 4 bytes */
	const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	static const char *const bad[] = {
		"\xc0\xaf",	    /* overlong '/' */
		"\xe0\x80\xaf",	    /* overlong, 3 bytes */
		"\xed\xa0\x80",	    /* surrogate U+D800 */
		"\xf4\x90\x80\x80", /* U+110000 */
		"\xf5\x80\x80\x80", /* lead byte out of range */
		"\x80",		    /* lone continuation */
		"\xc3",		    /* truncated */
		"\xe2\x82",	    /* truncated */
		"\xfe",
	};
	char buf[64];
	char *t;
	size_t i, n;

	(void)state;
	assert_int_equal(util_utf8_valid_len(s, 10), 10);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(buf, sizeof(buf), "ok%s", bad[i]);
		assert_int_equal(util_utf8_valid_len(buf, strlen(buf)), 2);
	}
	/* a prefix that ends inside a character is not valid up to its end */
	assert_int_equal(util_utf8_valid_len(s, 2), 1);
	assert_int_equal(util_utf8_valid_len(s, 5), 3);
	assert_int_equal(util_utf8_valid_len(s, 9), 6);
	/* cut: every max gives a prefix that is whole characters, as long as possible */
	static const size_t want[] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10 };
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		n = util_utf8_cut(s, i);
		assert_int_equal(n, want[i]);
		assert_int_equal(util_utf8_valid_len(s, n), n);
	}
	/* junk continuation bytes: cut where asked */
	assert_int_equal(util_utf8_cut("ab\x80\x80\x80\x80\x80", 5), 5);
	/* sanitize: bad bytes become U+FFFD, good ones stay */
	t = util_utf8_sanitize("a\xff\xc3\xa9\xc3", 5);
	assert_non_null(t);
	assert_string_equal(t, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd");
	free(t);
	t = util_utf8_sanitize(s, 10);
	assert_string_equal(t, s);
	free(t);
	t = util_utf8_sanitize("x\0y", 3);
	assert_string_equal(t, "x\xef\xbf\xbdy");
	free(t);
}

/* CLOCK in milliseconds, read directly (what util_mono_ms and util_wall_ms must match) */
static uint64_t
clock_ms(clockid_t clk)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(clk, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
test_random_and_time(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };
	uint64_t t0, t1, m;

	(void)state;
	assert_int_equal(util_random(a, sizeof(a)), 0);
	assert_int_equal(util_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	/* each clock read between two direct reads of the clock it names: no sleep, no timing
	 * luck (the wall clock may be stepped between the reads: then read again) */
	t0 = clock_ms(CLOCK_MONOTONIC);
	m = util_mono_ms();
	t1 = clock_ms(CLOCK_MONOTONIC);
	assert_true(t0 <= m && m <= t1);
	for (int i = 0; i < 1000; i++) {
		t0 = util_mono_ms();
		assert_true(t0 >= m);
		m = t0;
	}
	for (int tries = 0; tries < 3; tries++) {
		t0 = clock_ms(CLOCK_REALTIME);
		m = util_wall_ms();
		t1 = clock_ms(CLOCK_REALTIME);
		if (t0 <= t1)
			break;
	}
	assert_true(t0 <= m && m <= t1);
	/* after 2020-01-01 */
	assert_true(m > 1577836800000ULL);
}

/* util_ncpu counts the CPUs the process may run on, not the machine's: a mask narrowed to one
 * CPU (what taskset or CPUAffinity= do) gives 1. */
static void
test_ncpu_affinity(void **state)
{
	cpu_set_t all, one;
	int first = -1, i;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(util_ncpu(), CPU_COUNT(&all));
	for (i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &all))
			first = i;
	assert_true(first >= 0);
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(util_ncpu(), 1);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(util_ncpu(), CPU_COUNT(&all));
}

static void
test_fd_flags(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(util_set_nonblock(p[0]), 0);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(util_set_cloexec(p[0]), 0);
	assert_true(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
	close(p[0]);
	close(p[1]);
	assert_int_equal(util_set_nonblock(p[0]), -EBADF);
	assert_int_equal(util_set_cloexec(p[0]), -EBADF);
}

/* Durations for token expiry: a number with an optional unit, bounded. */
static void
test_parse_duration(void **state)
{
	long v = 0;

	(void)state;
	assert_int_equal(util_parse_duration_s("90", 1000, &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(util_parse_duration_s("15m", 100000, &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(util_parse_duration_s("12h", 100000, &v), 0);
	assert_int_equal(v, 43200);
	assert_int_equal(util_parse_duration_s("30d", 10000000, &v), 0);
	assert_int_equal(v, 2592000);
	assert_int_equal(util_parse_duration_s("2w", 10000000, &v), 0);
	assert_int_equal(v, 1209600);
	assert_int_equal(util_parse_duration_s("5s", 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(util_parse_duration_s("11", 10, &v), -ERANGE);
	assert_int_equal(util_parse_duration_s("2d", 86400, &v), -ERANGE);
	assert_int_not_equal(util_parse_duration_s("0", 10, &v), 0);
	assert_int_not_equal(util_parse_duration_s("-5", 10, &v), 0);
	assert_int_not_equal(util_parse_duration_s("", 10, &v), 0);
	assert_int_not_equal(util_parse_duration_s("d", 10, &v), 0);
	assert_int_not_equal(util_parse_duration_s("5x", 10, &v), 0);
	assert_int_not_equal(util_parse_duration_s("5 d", 1000000, &v), 0);
	assert_int_not_equal(util_parse_duration_s(NULL, 10, &v), 0);
	assert_int_equal(util_parse_duration_s("99999999999999999w", LONG_MAX, &v), -ERANGE);
}

/* The shared token bucket: refill from elapsed time, capped, nothing earned when the clock
 * goes back, one token per take. */
static void
test_token_bucket(void **state)
{
	struct util_tb b = { .milli = 2000, .last_ms = 1000 };

	(void)state;
	assert_true(util_tb_take(&b, 10, 2000, 1000));
	assert_true(util_tb_take(&b, 10, 2000, 1000));
	assert_false(util_tb_take(&b, 10, 2000, 1000)); /* empty */
	assert_false(util_tb_take(&b, 10, 2000, 1099)); /* 10/s: 99 ms earn 990 thousandths */
	assert_true(util_tb_take(&b, 10, 2000, 1100));	/* 100 ms earn one token */
	assert_int_equal(b.milli, 0);
	util_tb_refill(&b, 10, 2000, 60000); /* a long pause fills it to the cap only */
	assert_int_equal(b.milli, 2000);
	util_tb_refill(&b, 10, 2000, 500); /* a clock that went back earns nothing */
	assert_int_equal(b.milli, 2000);
	assert_int_equal(b.last_ms, 60000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_fips),
		cmocka_unit_test(test_sha256_block_edges),
		cmocka_unit_test(test_hmac_sha256_rfc4231),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_random_and_time),
		cmocka_unit_test(test_fd_flags),
		cmocka_unit_test(test_ncpu_affinity),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_token_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
