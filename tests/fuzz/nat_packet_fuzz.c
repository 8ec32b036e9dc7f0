/* SPDX-License-Identifier: MIT */
/* tests/fuzz/nat_packet_fuzz.c -- libFuzzer target over nat's untrusted inputs */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "nat/nft_io.h"
#include "nat/packet.h"
#include "nat/pool.h"
#include "nat/queue.h"
#include "nat/rejmem.h"

/*
 * Input: one selector byte, then bytes for one of the parsers:
 *   0: a first packet (IP header on): parse, rejected-packet key and memory, pool lookup
 *   1: a buffer of NFQUEUE netlink messages (as read from the queue socket)
 *   2: a buffer of nfnetlink replies to a batch (as read after sendmsg)
 * Nothing may crash, leak or read out of bounds, whatever the bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nat_rejmem *mem;
static struct nat_pool *pool;
static struct nat_nft_batch *batch;
static uint64_t now;

static void
init(void)
{
	static struct pol_pool_addr pa[4];
	static struct pol_host h;
	static struct pol_service s;
	static struct pol_snap snap;
	size_t i;

	mem = nat_rejmem_new(64, 20000);
	pool = nat_pool_new();
	for (i = 0; i < 4; i++) {
		pa[i].id = (int64_t)i + 1;
		pa[i].addr.family = AF_INET;
		pa[i].addr.u.v4.s_addr = htonl(0x64400183u + (uint32_t)i); /* 100.64.1.131.. */
	}
	h.id = 1;
	h.ipv4.family = AF_INET;
	h.ipv4.u.v4.s_addr = htonl(0xc0a80064u);
	h.pool_limit = 1000000;
	s.id = 1;
	s.host_id = 1;
	s.binding_timeout_ms = 1000000;
	snap.pool_addrs = pa;
	snap.n_pool_addrs = 4;
	snap.hosts = &h;
	snap.n_hosts = 1;
	snap.services = &s;
	snap.n_services = 1;
	nat_pool_apply(pool, &snap, 0);
	batch = nat_nft_batch_new(100);
	nat_nft_add_table(batch, 1, "rgw");
	nat_nft_flush_chain(batch, 1, "rgw", "x");
	nat_nft_batch_finish(batch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (mem == NULL)
		init();
	if (size < 1)
		return 0;
	now += 7;
	switch (data[0] % 3) {
	case 0: {
		struct nat_pkt p;
		struct nat_rej_key k;
		struct nat_pool_hit hit;
		struct nat_request req = { .host_id = 1, .service_id = 1 };
		enum nat_refusal why;
		struct addr a;

		if (nat_pkt_parse(data + 1, size - 1, &p) != NAT_PKT_OK)
			break;
		nat_pkt_rej_key(&p, &k);
		if (!nat_rejmem_check(mem, &k, now))
			nat_rejmem_record(mem, &k, now);
		if (nat_pool_request(pool, &req, now, &a, &why) == 0)
			(void)nat_pool_lookup(pool, &p.src, &p.dst, p.proto, p.dport, now, &hit);
		nat_pool_expire(pool, now);
		break;
	}
	case 1: {
		/* Copy: netlink parsing wants aligned memory. */
		size_t n = size - 1;
		uint32_t *buf = malloc(n + 4);
		const struct nlmsghdr *nlh;
		int rem = (int)n;
		struct nat_queue_pkt qp;

		if (buf == NULL)
			break;
		memcpy(buf, data + 1, n);
		nlh = (const struct nlmsghdr *)buf;
		while (rem >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
		       nlh->nlmsg_len <= (uint32_t)rem) {
			if (nat_queue_parse(nlh, &qp) == 0 && qp.len)
				(void)qp.payload[qp.len - 1];
			nlh = mnl_nlmsg_next(nlh, &rem);
		}
		free(buf);
		break;
	}
	default: {
		size_t n = size - 1;
		uint32_t *buf = malloc(n + 4);
		struct nat_nft_replies rep;

		if (buf == NULL)
			break;
		memcpy(buf, data + 1, n);
		memset(&rep, 0, sizeof(rep));
		nat_nft_io_parse(buf, n, 42, batch, &rep);
		free(buf);
		break;
	}
	}
	return 0;
}
