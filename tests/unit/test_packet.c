/* SPDX-License-Identifier: MIT */
/* tests/unit/test_packet.c -- first-packet parser and rejected-packet memory */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nat/packet.h"
#include "nat/rejmem.h"

/* IPv4 + TCP SYN 100.64.0.10:40000 -> 100.64.1.131:22, seq 0x01020304 */
static const uint8_t tcp_syn[] = {
	0x45, 0x00, 0x00, 0x28, /* v4, IHL 5, total 40 */
	0x12, 0x34, 0x40, 0x00, /* id, DF, offset 0 */
	0x40, 0x06, 0x00, 0x00, /* TTL 64, TCP, checksum */
	100,  64,   0,	  10,	/* src */
	100,  64,   1,	  131,	/* dst */
	0x9c, 0x40, 0x00, 0x16, /* sport 40000, dport 22 */
	0x01, 0x02, 0x03, 0x04, /* seq */
	0x00, 0x00, 0x00, 0x00, /* ack */
	0x50, 0x02, 0xff, 0xff, /* data offset 5, SYN, window */
	0x00, 0x00, 0x00, 0x00, /* checksum, urgent */
};

/* IPv4 with 4 bytes of options + UDP 1.2.3.4:53 -> 100.64.1.132:5000 */
static const uint8_t udp_opt[] = {
	0x46, 0x00, 0x00, 0x24,				/* v4, IHL 6, total 36 */
	0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, /* UDP */
	1,    2,    3,	  4,	100,  64,   1,	  132,
	0x01, 0x01, 0x00, 0x00, /* options: NOP NOP EOL EOL */
	0x00, 0x35, 0x13, 0x88, /* sport 53, dport 5000 */
	0x00, 0x0c, 0x00, 0x00, /* length 12, checksum */
	0xde, 0xad, 0xbe, 0xef, /* payload */
};

/* IPv4 + ICMP echo request */
static const uint8_t icmp_echo[] = {
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x02, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 100,
	64,   0,    10,	  100,	64,   1,    131,  0x08, 0x00, 0xf7, 0xff, /* type 8 code 0, checksum */
	0x00, 0x00, 0x00, 0x00,						  /* id, seq */
};

/* IPv4 + SCTP INIT header (common header only) */
static const uint8_t sctp_init[] = {
	0x45, 0x00, 0x00, 0x20, 0x00, 0x03, 0x00, 0x00, 0x40, 0x84, 0x00, 0x00,
	100,  64,   0,	  10,	100,  64,   1,	  131,	0x0b, 0xb8, 0x0b, 0xb9, /* 3000 -> 3001 */
	0x00, 0x00, 0x00, 0x00,							/* vtag 0 on INIT */
	0x11, 0x22, 0x33, 0x44,							/* checksum */
};

/* IPv6 + UDP 2001:db8::1:1000 -> 2001:db8::2:53 */
static const uint8_t udp6[] = {
	0x60, 0x00, 0x00, 0x00, /* v6 */
	0x00, 0x08, 0x11, 0x40, /* payload 8, UDP, hop limit 64 */
	0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,	  0,	0,    0,    0,	  0,	0, 0,
	0,    1,    0x20, 0x01, 0x0d, 0xb8, 0,	  0,	0,    0,    0,	  0,	0, 0,
	0,    0,    0,	  2,	0x03, 0xe8, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,
};

static void
check_prefixes(const uint8_t *pkt, size_t len, size_t hdr)
{
	struct nat_pkt p;
	size_t i;

	/* Every strict prefix shorter than the headers needs more. */
	for (i = 0; i < hdr; i++)
		assert_int_equal(nat_pkt_parse(pkt, i, &p), NAT_PKT_NEED_MORE);
	for (i = hdr; i <= len; i++)
		assert_int_equal(nat_pkt_parse(pkt, i, &p), NAT_PKT_OK);
}

static void
test_tcp_syn(void **state)
{
	struct nat_pkt p;
	char buf[64];

	(void)state;
	assert_int_equal(nat_pkt_parse(tcp_syn, sizeof(tcp_syn), &p), NAT_PKT_OK);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 22);
	assert_int_equal(p.tcp_seq, 0x01020304);
	assert_true(nat_pkt_is_syn(&p));
	assert_string_equal(inet_ntop(AF_INET, &p.dst.u.v4, buf, sizeof(buf)), "100.64.1.131");
	check_prefixes(tcp_syn, sizeof(tcp_syn), 40);
}

static void
test_tcp_not_syn(void **state)
{
	uint8_t pkt[sizeof(tcp_syn)];
	struct nat_pkt p;
	static const uint8_t flags[] = { 0x12, 0x10, 0x04, 0x03, 0x01, 0x18 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flags); i++) {
		memcpy(pkt, tcp_syn, sizeof(pkt));
		pkt[33] = flags[i];
		assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_OK);
		assert_false(nat_pkt_is_syn(&p));
	}
}

static void
test_udp_options(void **state)
{
	struct nat_pkt p;

	(void)state;
	assert_int_equal(nat_pkt_parse(udp_opt, sizeof(udp_opt), &p), NAT_PKT_OK);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 53);
	assert_int_equal(p.dport, 5000);
	check_prefixes(udp_opt, sizeof(udp_opt), 32);
}

static void
test_icmp_sctp_v6(void **state)
{
	struct nat_pkt p;

	(void)state;
	assert_int_equal(nat_pkt_parse(icmp_echo, sizeof(icmp_echo), &p), NAT_PKT_OK);
	assert_int_equal(p.proto, 1);
	assert_int_equal(p.icmp_type, 8);
	assert_int_equal(p.dport, 0);
	check_prefixes(icmp_echo, sizeof(icmp_echo), 24);
	assert_int_equal(nat_pkt_parse(sctp_init, sizeof(sctp_init), &p), NAT_PKT_OK);
	assert_int_equal(p.proto, 132);
	assert_int_equal(p.dport, 3001);
	check_prefixes(sctp_init, sizeof(sctp_init), 32);
	assert_int_equal(nat_pkt_parse(udp6, sizeof(udp6), &p), NAT_PKT_OK);
	assert_int_equal(p.src.family, AF_INET6);
	assert_int_equal(p.dport, 53);
	check_prefixes(udp6, sizeof(udp6), 48);
}

static void
test_malformed(void **state)
{
	uint8_t pkt[sizeof(tcp_syn)];
	struct nat_pkt p;

	(void)state;
	memcpy(pkt, tcp_syn, sizeof(pkt));
	pkt[0] = 0x55; /* version 5 */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_INVALID);
	pkt[0] = 0x44; /* IHL 4 */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_INVALID);
	memcpy(pkt, tcp_syn, sizeof(pkt));
	pkt[3] = 10; /* total length below IHL */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_INVALID);
	memcpy(pkt, tcp_syn, sizeof(pkt));
	pkt[3] = 30; /* total length cuts the TCP header */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_NEED_MORE);
	memcpy(pkt, tcp_syn, sizeof(pkt));
	pkt[32] = 0x40; /* TCP data offset 4 */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_INVALID);
	memcpy(pkt, tcp_syn, sizeof(pkt));
	pkt[6] = 0x20;
	pkt[7] = 0x10; /* fragment offset != 0 */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_UNSUPPORTED);
	/* Random bytes never crash. */
	{
		uint8_t junk[64];
		size_t i, j;

		srand(1);
		for (i = 0; i < 20000; i++) {
			for (j = 0; j < sizeof(junk); j++)
				junk[j] = (uint8_t)rand();
			(void)nat_pkt_parse(junk, (size_t)rand() % sizeof(junk), &p);
		}
	}
}

static void
test_rej_key(void **state)
{
	struct nat_pkt p;
	struct nat_rej_key a, b;
	uint8_t pkt[sizeof(tcp_syn)];

	(void)state;
	assert_int_equal(nat_pkt_parse(tcp_syn, sizeof(tcp_syn), &p), NAT_PKT_OK);
	nat_pkt_rej_key(&p, &a);
	memcpy(pkt, tcp_syn, sizeof(pkt));
	pkt[10] = 0x55; /* checksum only: same key */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_OK);
	nat_pkt_rej_key(&p, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	pkt[27] = 0x05; /* another seq: a new connection attempt */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_OK);
	nat_pkt_rej_key(&p, &b);
	assert_memory_not_equal(&a, &b, sizeof(a));
}

static void
test_icmp_echo_key(void **state)
{
	uint8_t pkt[sizeof(icmp_echo)];
	struct nat_rej_key a, b;
	struct nat_pkt p;

	(void)state;
	memcpy(pkt, icmp_echo, sizeof(pkt));
	pkt[24] = 0x12; /* id 0x1234 */
	pkt[25] = 0x34;
	pkt[27] = 1; /* seq 1 */
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_OK);
	assert_int_equal(p.icmp_id, 0x1234);
	assert_int_equal(p.icmp_seq, 1);
	nat_pkt_rej_key(&p, &a);
	nat_pkt_rej_key(&p, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	/* The next ping (seq 2) is a new request, not a retransmission. */
	pkt[27] = 2;
	assert_int_equal(nat_pkt_parse(pkt, sizeof(pkt), &p), NAT_PKT_OK);
	nat_pkt_rej_key(&p, &b);
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* Cut before the id: still parsed, id and seq 0. */
	assert_int_equal(nat_pkt_parse(pkt, 24, &p), NAT_PKT_OK);
	assert_int_equal(p.icmp_id, 0);
}

static void
mkkey(struct nat_rej_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET;
	k->proto = 17;
	memcpy(k->src, &i, 4);
	k->k1 = i;
}

static void
test_rejmem(void **state)
{
	struct nat_rejmem *m = nat_rejmem_new(100, 20000);
	struct nat_rejmem_stats st;
	struct nat_rej_key k;
	uint32_t i;

	(void)state;
	assert_non_null(m);
	mkkey(&k, 1);
	assert_false(nat_rejmem_check(m, &k, 0));
	assert_int_equal(nat_rejmem_record(m, &k, 0), 0);
	assert_true(nat_rejmem_check(m, &k, 19999)); /* refreshed: lives until 39999 */
	assert_true(nat_rejmem_check(m, &k, 39998));
	assert_false(nat_rejmem_check(m, &k, 59998 + 1));
	/* Bounded: 10,000 distinct senders keep at most 100 records. */
	for (i = 0; i < 10000; i++) {
		mkkey(&k, i);
		assert_int_equal(nat_rejmem_record(m, &k, 100000 + i), 0);
	}
	nat_rejmem_get_stats(m, &st);
	assert_int_equal(st.entries, 100);
	assert_int_equal(st.evictions, 9900);
	mkkey(&k, 9999);
	assert_true(nat_rejmem_check(m, &k, 110000));
	mkkey(&k, 0);
	assert_false(nat_rejmem_check(m, &k, 110000));
	/* Everything expires. */
	nat_rejmem_purge(m, 200000);
	nat_rejmem_get_stats(m, &st);
	assert_int_equal(st.entries, 0);
	nat_rejmem_free(m);

	/* max 0 disables. */
	m = nat_rejmem_new(0, 20000);
	mkkey(&k, 1);
	assert_int_equal(nat_rejmem_record(m, &k, 0), 0);
	assert_false(nat_rejmem_check(m, &k, 1));
	nat_rejmem_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_syn),	      cmocka_unit_test(test_tcp_not_syn),
		cmocka_unit_test(test_udp_options),   cmocka_unit_test(test_icmp_sctp_v6),
		cmocka_unit_test(test_malformed),     cmocka_unit_test(test_rej_key),
		cmocka_unit_test(test_icmp_echo_key), cmocka_unit_test(test_rejmem),
	};

	return cmocka_run_group_tests_name("packet", tests, NULL, NULL);
}
