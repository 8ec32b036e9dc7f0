/* SPDX-License-Identifier: MIT */
/* tests/unit/test_addr.c -- address, prefix and address:port parsing and formatting */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/util.h"

static void
test_addr_parse(void **state)
{
	static const char *const good[] = { "0.0.0.0",
					    "1.2.3.4",
					    "255.255.255.255",
					    "::",
					    "::1",
					    "2001:db8::1",
					    "fe80::1:2:3:4",
					    "::ffff:1.2.3.4",
					    "2001:db8:0:0:0:0:0:1" };
	static const char *const bad[] = { "",		 " 1.2.3.4",  "1.2.3.4 ",
					   "1.2.3",	 "1.2.3.256", "1.2.3.4.5",
					   "01.2.3.4x",	 "[::1]",     "::1/128",
					   "1.2.3.4:53", "gggg::1",   "1:2:3:4:5:6:7:8:9",
					   "localhost",	 "1.2.3.4/32" };
	struct addr a;
	char buf[ADDR_STRLEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		assert_int_equal(addr_parse(good[i], &a), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (addr_parse(bad[i], &a) == 0)
			fail_msg("accepted bad address '%s'", bad[i]);
	}
	assert_int_equal(addr_parse(NULL, &a), -EINVAL);
	assert_int_equal(addr_parse("10.1.2.3", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(addr_v4(&a), 0x0a010203);
	assert_string_equal(addr_ntop(&a, buf, sizeof(buf)), "10.1.2.3");
	assert_int_equal(addr_parse("2001:db8:0:0:0:0:0:1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(addr_ntop(&a, buf, sizeof(buf)), "2001:db8::1");
	assert_int_equal(addr_v4(&a), 0);
	memset(&a, 0, sizeof(a));
	assert_string_equal(addr_ntop(&a, buf, sizeof(buf)), "none");
	assert_int_equal(addr_maxlen(AF_INET), 32);
	assert_int_equal(addr_maxlen(AF_INET6), 128);
	assert_int_equal(addr_maxlen(0), 0);
}

static void
test_prefix_parse(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} good[] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "1.2.3.4/32", "1.2.3.4/32" },
		{ "1.2.3.4", "1.2.3.4/32" },
		{ "192.168.1.128/25", "192.168.1.128/25" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "::/0", "::/0" },
		{ "::1", "::1/128" },
		{ "2001:db8::1/128", "2001:db8::1/128" },
		{ "2001:db8:8000::/33", "2001:db8:8000::/33" },
	};
	static const char *const bad[] = {
		"",
		"10.0.0.1/8",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/",
		"10.0.0.0/8x",
		"10.0.0.0/ 8",
		" 10.0.0.0/8",
		"10.0.0.0 /8",
		"/8",
		"::1/64",
		"::/129",
		"2001:db8::/+32",
		"x/8",
		"10.0.0.0/8/8",
		"192.168.1.129/25",
		"10.0.0.0/0x8",
	};
	struct prefix p;
	char buf[PREFIX_STRLEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (prefix_parse(good[i].in, false, &p) != 0)
			fail_msg("rejected good prefix '%s'", good[i].in);
		assert_string_equal(prefix_ntop(&p, buf, sizeof(buf)), good[i].out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (prefix_parse(bad[i], false, &p) == 0)
			fail_msg("accepted bad prefix '%s'", bad[i]);
	}
	/* lenient clears host bits */
	assert_int_equal(prefix_parse("10.1.2.3/8", true, &p), 0);
	assert_string_equal(prefix_ntop(&p, buf, sizeof(buf)), "10.0.0.0/8");
	assert_int_equal(prefix_parse("192.168.1.255/25", true, &p), 0);
	assert_string_equal(prefix_ntop(&p, buf, sizeof(buf)), "192.168.1.128/25");
	assert_int_equal(prefix_parse("2001:db8::ffff/100", true, &p), 0);
	assert_string_equal(prefix_ntop(&p, buf, sizeof(buf)), "2001:db8::/100");
	/* lenient does not accept garbage or bad lengths */
	assert_int_equal(prefix_parse("10.0.0.0/33", true, &p), -EINVAL);
	assert_int_equal(prefix_parse("", true, &p), -EINVAL);
}

static void
test_prefix_contains(void **state)
{
	struct prefix p;
	struct addr a, in, out;
	char s[64];

	(void)state;
	/* every v4 length: the base address is inside, the address just past it is not */
	assert_int_equal(addr_parse("172.16.99.200", &a), 0);
	for (unsigned len = 0; len <= 32; len++) {
		snprintf(s, sizeof(s), "172.16.99.200/%u", len);
		assert_int_equal(prefix_parse(s, true, &p), 0);
		assert_true(prefix_contains(&p, &a));
		if (len > 0) {
			/* flip the last network bit */
			addr_from_v4(addr_v4(&a) ^ (1u << (32 - len)), &out);
			assert_false(prefix_contains(&p, &out));
		}
		if (len < 32) {
			/* flip the first host bit: still inside */
			addr_from_v4(addr_v4(&a) ^ (1u << (31 - len)), &in);
			assert_true(prefix_contains(&p, &in));
		}
	}
	assert_int_equal(addr_parse("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", &a), 0);
	for (unsigned len = 0; len <= 128; len++) {
		snprintf(s, sizeof(s), "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff/%u", len);
		assert_int_equal(prefix_parse(s, true, &p), 0);
		assert_true(prefix_contains(&p, &a));
		if (len > 0) {
			out = a;
			out.u.bytes[(len - 1) / 8] ^= (uint8_t)(0x80 >> ((len - 1) % 8));
			assert_false(prefix_contains(&p, &out));
		}
		if (len < 128) {
			in = a;
			in.u.bytes[len / 8] ^= (uint8_t)(0x80 >> (len % 8));
			assert_true(prefix_contains(&p, &in));
		}
	}
	/* family mismatch */
	assert_int_equal(prefix_parse("0.0.0.0/0", false, &p), 0);
	assert_false(prefix_contains(&p, &a));
	assert_int_equal(prefix_parse("::/0", false, &p), 0);
	assert_true(prefix_contains(&p, &a));
	addr_from_v4(0x01020304, &in);
	assert_false(prefix_contains(&p, &in));
}

static void
test_addr_port_parse(void **state)
{
	static const struct {
		const char *in;
		uint16_t def;
		const char *out;
	} good[] = {
		{ "1.2.3.4:53", 0, "1.2.3.4:53" },
		{ "1.2.3.4", 53, "1.2.3.4:53" },
		{ "[::1]:53", 0, "[::1]:53" },
		{ "[::1]", 5353, "[::1]:5353" },
		{ "::1", 53, "[::1]:53" },
		{ "2001:db8::1", 8080, "[2001:db8::1]:8080" },
		{ "*:53", 0, "0.0.0.0:53" },
		{ "*", 53, "0.0.0.0:53" },
		{ "[::]:53", 0, "[::]:53" },
		{ "127.0.0.1:65535", 0, "127.0.0.1:65535" },
		{ "127.0.0.1:1", 0, "127.0.0.1:1" },
		{ "127.0.0.1:080", 0, "127.0.0.1:80" },
		{ "1.2.3.4:8443", 53, "1.2.3.4:8443" },
	};
	static const struct {
		const char *in;
		uint16_t def;
	} bad[] = {
		{ "", 53 },
		{ "1.2.3.4", 0 },
		{ "::1", 0 },
		{ "1.2.3.4:0", 53 },
		{ "1.2.3.4:65536", 53 },
		{ "1.2.3.4:99999999", 53 },
		{ "1.2.3.4:", 53 },
		{ "1.2.3.4:-1", 53 },
		{ "1.2.3.4:+53", 53 },
		{ "1.2.3.4: 53", 53 },
		{ "1.2.3.4 :53", 53 },
		{ "[::1", 53 },
		{ "[::1]:", 53 },
		{ "[::1]53", 53 },
		{ "::1]:53", 53 },
		{ "[1.2.3.4]:53", 53 },
		{ "[]:53", 53 },
		{ "host:53", 53 },
		{ "1.2.3.4:53x", 53 },
		{ "1.2.3.4:53:53", 53 },
		{ ":53", 53 },
		{ "[::1]:0", 53 },
		{ "*", 0 },
		{ "[*]:53", 53 },
		{ " 1.2.3.4:53", 53 },
		{ "1.2.3.4:0x35", 53 },
	};
	struct addr_port ap;
	struct addr a;
	char buf[ADDR_PORT_STRLEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (addr_port_parse(good[i].in, good[i].def, &ap) != 0)
			fail_msg("rejected good address:port '%s'", good[i].in);
		assert_string_equal(addr_port_ntop(&ap, buf, sizeof(buf)), good[i].out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (addr_port_parse(bad[i].in, bad[i].def, &ap) == 0)
			fail_msg("accepted bad address:port '%s'", bad[i].in);
	}
	assert_int_equal(addr_port_parse("[2001:db8::5]:853", 0, &ap), 0);
	assert_int_equal(addr_port_port(&ap), 853);
	assert_int_equal(ap.len, sizeof(struct sockaddr_in6));
	addr_port_addr(&ap, &a);
	assert_string_equal(addr_ntop(&a, buf, sizeof(buf)), "2001:db8::5");
	assert_int_equal(addr_port_parse("9.8.7.6:1234", 0, &ap), 0);
	assert_int_equal(ap.len, sizeof(struct sockaddr_in));
	assert_int_equal(((struct sockaddr_in *)&ap.ss)->sin_port, htons(1234));
}

static void
test_sockaddr_conv(void **state)
{
	struct sockaddr_in6 sin6;
	struct addr_port ap;
	struct addr a, b;
	uint16_t port = 0;
	char buf[ADDR_PORT_STRLEN];

	(void)state;
	addr_from_v4(0xc0a80101, &a);
	addr_to_sockaddr(&a, 4242, &ap);
	assert_string_equal(sockaddr_ntop((struct sockaddr *)&ap.ss, buf, sizeof(buf)),
			    "192.168.1.1:4242");
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ap.ss, &b, &port), 0);
	assert_true(addr_eq(&a, &b));
	assert_int_equal(port, 4242);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(53);
	inet_pton(AF_INET6, "fd00::53", &sin6.sin6_addr);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin6, &b, &port), 0);
	assert_int_equal(port, 53);
	assert_string_equal(addr_ntop(&b, buf, sizeof(buf)), "fd00::53");

	sin6.sin6_family = AF_UNIX;
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin6, &b, &port), -EAFNOSUPPORT);
	assert_string_equal(sockaddr_ntop((struct sockaddr *)&sin6, buf, sizeof(buf)), "none");
}

static void
test_cmp_hash_any_mask(void **state)
{
	struct addr a, b, c, z4, z6;

	(void)state;
	addr_parse("10.0.0.1", &a);
	addr_parse("10.0.0.2", &b);
	addr_parse("::a00:1", &c);
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
	assert_int_equal(addr_cmp(&a, &a), 0);
	/* different families never compare equal even with the same bytes */
	assert_false(addr_eq(&a, &c));
	assert_true(addr_cmp(&a, &c) < 0);
	assert_int_equal(addr_hash(&a), addr_hash(&a));
	assert_int_not_equal(addr_hash(&a), addr_hash(&b));
	/* garbage beyond the v4 bytes does not change equality or the hash */
	b = a;
	b.u.bytes[10] = 0x77;
	assert_true(addr_eq(&a, &b));
	assert_int_equal(addr_hash(&a), addr_hash(&b));

	addr_parse("0.0.0.0", &z4);
	addr_parse("::", &z6);
	assert_true(addr_is_any(&z4));
	assert_true(addr_is_any(&z6));
	assert_false(addr_is_any(&a));
	memset(&z4, 0, sizeof(z4));
	assert_false(addr_is_any(&z4));

	addr_parse("255.255.255.255", &a);
	addr_mask(&a, 20);
	assert_int_equal(addr_v4(&a), 0xfffff000);
	addr_mask(&a, 0);
	assert_int_equal(addr_v4(&a), 0);
	addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &c);
	addr_mask(&c, 65);
	assert_int_equal(c.u.bytes[7], 0xff);
	assert_int_equal(c.u.bytes[8], 0x80);
	assert_int_equal(c.u.bytes[9], 0);
	assert_int_equal(c.u.bytes[15], 0);
}

static void
test_hash_spread(void **state)
{
	/* 4096 consecutive addresses into 256 buckets: no bucket holds more than 4x average */
	unsigned buckets[256] = { 0 };
	struct addr a;

	(void)state;
	for (uint32_t i = 0; i < 4096; i++) {
		addr_from_v4(0x0a000000 + i, &a);
		buckets[addr_hash(&a) & 255]++;
	}
	for (int i = 0; i < 256; i++)
		assert_true(buckets[i] < 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),	cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_contains), cmocka_unit_test(test_addr_port_parse),
		cmocka_unit_test(test_sockaddr_conv),	cmocka_unit_test(test_cmp_hash_any_mask),
		cmocka_unit_test(test_hash_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
