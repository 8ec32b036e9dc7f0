/* SPDX-License-Identifier: MIT */
/* tests/unit/test_alg_relay.c -- one relay direction over real loopback TCP sockets: short
 * exchanges through a buffer, bulk through a pipe once ALG_SPLICE_AFTER bytes passed, bytes
 * intact and in order across the switch, EOF */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alg/proxy.h"
#include "alg/relay.h"
#include "common/util.h"

/* Two connected loopback TCP sockets: out[0] <-> out[1]. */
static void
tcp_pair(int out[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
	out[0] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(out[0] >= 0);
	assert_true(connect(out[0], (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	out[1] = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
	assert_true(out[1] >= 0);
	close(ls);
}

struct rig {
	struct alg_worker w;
	struct alg_settings set;
	struct alg_pipe_budget pipes;
	int src[2]; /* the test writes src[0]; the relay reads src[1] */
	int dst[2]; /* the relay writes dst[0]; the test reads dst[1] */
	struct alg_dir d;
};

static void
rig_open(struct rig *r, bool no_splice)
{
	memset(r, 0, sizeof(*r));
	atomic_store(&r->pipes.max, 16);
	r->set.pipes = &r->pipes;
	r->w.set = &r->set;
	r->w.pipe_cap = ALG_PIPE_SIZE;
	r->w.no_splice = no_splice;
	tcp_pair(r->src);
	tcp_pair(r->dst);
	alg_dir_init(&r->w, &r->d);
}

static void
rig_close(struct rig *r)
{
	alg_dir_release(&r->w, &r->d);
	alg_relay_pool_free(&r->w);
	close(r->src[0]);
	close(r->src[1]);
	close(r->dst[0]);
	close(r->dst[1]);
}

static uint8_t
pattern(uint64_t i)
{
	return (uint8_t)(i * 131u + (i >> 9));
}

/*
 * Send n pattern bytes (from offset *sent) through the relay and read them back, checking
 * each byte. Pumps, writes and reads interleave on non-blocking sockets until all arrived.
 */
static void
transfer(struct rig *r, size_t n, uint64_t *sent, uint64_t *got)
{
	static uint8_t buf[65536];
	uint64_t end = *sent + n;
	int spins = 0;

	while (*got < end) {
		if (*sent < end) {
			size_t k = MIN(sizeof(buf), (size_t)(end - *sent)), i;
			ssize_t m;

			for (i = 0; i < k; i++)
				buf[i] = pattern(*sent + i);
			m = send(r->src[0], buf, k, MSG_DONTWAIT);
			if (m > 0)
				*sent += (uint64_t)m;
		}
		assert_true(alg_dir_pump(&r->w, r->src[1], r->dst[0], &r->d) >= 0);
		for (;;) {
			ssize_t m = recv(r->dst[1], buf, sizeof(buf), MSG_DONTWAIT);
			ssize_t i;

			if (m <= 0)
				break;
			for (i = 0; i < m; i++)
				assert_int_equal(buf[i], pattern(*got + (uint64_t)i));
			*got += (uint64_t)m;
		}
		if (++spins % 64 == 0)
			(void)poll(NULL, 0, 1); /* let loopback deliver */
		assert_true(spins < 200000);
	}
}

/* A handshake-sized exchange never takes a pipe; bulk does, and the bytes stay in order. */
static void
test_relay_buffer_then_splice(void **state)
{
	struct rig r;
	uint64_t sent = 0, got = 0;

	(void)state;
	rig_open(&r, false);
	transfer(&r, 517, &sent, &got); /* a ClientHello */
	transfer(&r, 4000, &sent, &got);
	assert_true(r.d.buffered);
	assert_int_equal(r.w.n_pipes, 0);
	assert_true(r.d.p[0] == -1);
	transfer(&r, 8u << 20, &sent, &got); /* bulk */
	assert_false(r.d.buffered);
	assert_int_equal(got, sent);
	/* the pipe went back to the pool once empty */
	assert_int_equal(r.w.n_pipes, 1);
	shutdown(r.src[0], SHUT_WR);
	while (!r.d.eof)
		assert_true(alg_dir_pump(&r.w, r.src[1], r.dst[0], &r.d) >= 0);
	assert_int_equal(r.d.len, 0);
	assert_int_equal(r.d.count, sent);
	rig_close(&r);
	assert_int_equal(atomic_load(&r.pipes.open), 0); /* every pipe closed was counted */
}

/* No pipe left in the descriptor budget: bulk relays through buffers, intact. */
static void
test_relay_pipe_budget(void **state)
{
	struct rig r;
	uint64_t sent = 0, got = 0;

	(void)state;
	rig_open(&r, false);
	atomic_store(&r.pipes.max, 0);
	transfer(&r, 4u << 20, &sent, &got);
	assert_true(r.d.buffered);
	assert_true(r.d.pipeless);
	assert_int_equal(atomic_load(&r.pipes.open), 0);
	rig_close(&r);
}

/* A worker that cannot splice (configured, or refused) relays bulk through buffers. */
static void
test_relay_no_splice(void **state)
{
	struct rig r;
	uint64_t sent = 0, got = 0;

	(void)state;
	rig_open(&r, true);
	transfer(&r, 4u << 20, &sent, &got);
	assert_true(r.d.buffered);
	assert_int_equal(r.w.n_pipes, 0);
	rig_close(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay_buffer_then_splice),
		cmocka_unit_test(test_relay_pipe_budget),
		cmocka_unit_test(test_relay_no_splice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
