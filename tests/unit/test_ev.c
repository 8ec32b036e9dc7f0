/* SPDX-License-Identifier: MIT */
/* tests/unit/test_ev.c -- event loop: fds, timers, signals, async, deletion in callbacks */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/ev.h"
#include "common/util.h"

struct rec {
	int calls;
	int last_fd;
	int last_events;
	char buf[64];
};

static void
read_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct rec *r = arg;
	ssize_t n;

	(void)loop;
	r->calls++;
	r->last_fd = fd;
	r->last_events = events;
	n = read(fd, r->buf, sizeof(r->buf) - 1);
	r->buf[n > 0 ? n : 0] = '\0';
}

static void
test_io_readiness(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct rec r = { 0 };
	int p[2];

	(void)state;
	assert_non_null(loop);
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(ev_io_add(loop, p[0], EV_READ, read_cb, &r), 0);
	assert_int_equal(ev_io_add(loop, p[0], EV_READ, read_cb, &r), -EEXIST);
	/* nothing to read: times out with 0 events */
	assert_int_equal(ev_run_once(loop, 10), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(write(p[1], "ping", 4), 4);
	assert_int_equal(ev_run_once(loop, 1000), 1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.last_fd, p[0]);
	assert_int_equal(r.last_events, EV_READ);
	assert_string_equal(r.buf, "ping");
	/* mask off reading: data stays pending, no callback */
	assert_int_equal(ev_io_mod(loop, p[0], 0), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(ev_run_once(loop, 10), 0);
	assert_int_equal(ev_io_mod(loop, p[0], EV_READ), 0);
	assert_int_equal(ev_run_once(loop, 1000), 1);
	assert_int_equal(r.calls, 2);
	/* writer side: writable at once */
	struct rec w = { 0 };

	assert_int_equal(ev_io_add(loop, p[1], EV_WRITE, read_cb, &w), 0);
	assert_int_equal(ev_run_once(loop, 1000), 1);
	assert_int_equal(w.last_events, EV_WRITE);
	assert_int_equal(ev_io_del(loop, p[1]), 0);
	assert_int_equal(ev_io_del(loop, p[1]), -ENOENT);
	/* closing the writer: reader sees hang-up */
	close(p[1]);
	assert_int_equal(ev_run_once(loop, 1000), 1);
	assert_true(r.last_events & EV_ERROR || r.last_events & EV_READ);
	assert_int_equal(ev_io_del(loop, p[0]), 0);
	assert_int_equal(ev_io_mod(loop, p[0], EV_READ), -ENOENT);
	assert_int_equal(ev_io_del(loop, 100000), -ENOENT);
	assert_int_equal(ev_io_add(loop, -1, EV_READ, read_cb, &r), -EINVAL);
	close(p[0]);
	ev_loop_free(loop);
	ev_loop_free(NULL);
}

struct order {
	int seen[64];
	int n;
	uint64_t ids[64];
};

static void
order_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct order *o = arg;

	(void)loop;
	for (int i = 0; i < 64; i++) {
		if (o->ids[i] == id) {
			o->seen[o->n++] = i;
			return;
		}
	}
	fail_msg("unknown timer id");
}

/* Run the loop until *n reaches want. The deadline only bounds a failing test: it is far beyond
 * what a loaded machine needs, and a passing test never waits for it. */
#define RUN_DEADLINE_MS 20000

static void
run_until(struct ev_loop *loop, const int *n, int want)
{
	uint64_t end = util_mono_ms() + RUN_DEADLINE_MS;

	while (*n < want && util_mono_ms() < end)
		ev_run_once(loop, 50);
}

static void
test_timers_order(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct order o = { 0 };
	uint64_t t0;

	(void)state;
	/* deadlines 30, 10, 20, and three at 15 in insertion order 3, 4, 5, counted from the
	 * loop's time (t0) */
	t0 = ev_now_ms(loop);
	o.ids[0] = ev_timer_add(loop, 30, order_cb, &o);
	o.ids[1] = ev_timer_add(loop, 10, order_cb, &o);
	o.ids[2] = ev_timer_add(loop, 20, order_cb, &o);
	o.ids[3] = ev_timer_add(loop, 15, order_cb, &o);
	o.ids[4] = ev_timer_add(loop, 15, order_cb, &o);
	o.ids[5] = ev_timer_add(loop, 15, order_cb, &o);
	o.ids[6] = ev_timer_add(loop, 0, order_cb, &o);
	for (int i = 0; i < 7; i++) {
		assert_true(o.ids[i] > 0);
		for (int j = 0; j < i; j++)
			assert_true(o.ids[i] != o.ids[j]);
	}
	run_until(loop, &o.n, 7);
	assert_int_equal(o.n, 7);
	/* never early: the last one fired at 30 ms or later */
	assert_true(ev_now_ms(loop) >= t0 + 30);
	int want[] = { 6, 1, 3, 4, 5, 2, 0 };

	assert_memory_equal(o.seen, want, sizeof(want));
	/* fired timers cannot be deleted */
	assert_int_equal(ev_timer_del(loop, o.ids[0]), -ENOENT);
	assert_int_equal(ev_timer_del(loop, 0), -ENOENT);
	assert_int_equal(ev_timer_del(loop, 0xdeadbeef00000001ULL), -ENOENT);
	ev_loop_free(loop);
}

static void
test_timer_delete(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct order o = { 0 };
	uint64_t reused;

	(void)state;
	for (int i = 0; i < 8; i++)
		o.ids[i] = ev_timer_add(loop, (uint64_t)(5 + i), order_cb, &o);
	assert_int_equal(ev_timer_del(loop, o.ids[0]), 0);
	assert_int_equal(ev_timer_del(loop, o.ids[0]), -ENOENT);
	assert_int_equal(ev_timer_del(loop, o.ids[5]), 0);
	assert_int_equal(ev_timer_del(loop, o.ids[7]), 0);
	/* the freed slot is reused under a different id; the old id stays dead */
	reused = ev_timer_add(loop, 1000, order_cb, &o);
	assert_true(reused != o.ids[7] && reused != o.ids[5] && reused != o.ids[0]);
	assert_int_equal(ev_timer_del(loop, o.ids[7]), -ENOENT);
	run_until(loop, &o.n, 5);
	assert_int_equal(o.n, 5);
	int want[] = { 1, 2, 3, 4, 6 };

	assert_memory_equal(o.seen, want, sizeof(want));
	assert_int_equal(ev_timer_del(loop, reused), 0);
	ev_loop_free(loop);
}

struct many {
	uint64_t last_deadline_rank;
	int fired;
	bool in_order;
};

static void
many_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct many *m = arg;

	(void)loop;
	(void)id;
	m->fired++;
}

static void
test_many_timers(void **state)
{
	enum { N = 50000 };
	struct ev_loop *loop = ev_loop_new();
	struct many m = { 0 };
	uint64_t *ids = malloc(N * sizeof(*ids));
	uint32_t rnd;
	int deleted = 0;

	(void)state;
	assert_non_null(ids);
	for (int i = 0; i < N; i++) {
		util_random(&rnd, sizeof(rnd));
		ids[i] = ev_timer_add(loop, 20 + rnd % 80, many_cb, &m);
		assert_true(ids[i] > 0);
	}
	/* delete every third one, in an order unrelated to the heap */
	for (int i = N - 1; i >= 0; i -= 3) {
		assert_int_equal(ev_timer_del(loop, ids[i]), 0);
		deleted++;
	}
	run_until(loop, &m.fired, N - deleted);
	assert_int_equal(m.fired, N - deleted);
	assert_int_equal(ev_run_once(loop, 0), 0);
	free(ids);
	ev_loop_free(loop);
}

static void
rearm_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	int *n = arg;

	(void)id;
	if (++*n < 5)
		assert_true(ev_timer_add(loop, 0, rearm_cb, arg) > 0);
}

static void
test_timer_rearm_zero(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	int n = 0;

	(void)state;
	ev_timer_add(loop, 0, rearm_cb, &n);
	/* a timer re-armed at 0 ms fires on the next iteration, not in the same one */
	assert_int_equal(ev_run_once(loop, 0), 1);
	assert_int_equal(n, 1);
	assert_int_equal(ev_run_once(loop, 0), 1);
	assert_int_equal(n, 2);
	run_until(loop, &n, 5);
	assert_int_equal(n, 5);
	ev_loop_free(loop);
}

static void
sig_cb(struct ev_loop *loop, int signo, void *arg)
{
	int *got = arg;

	(void)loop;
	*got = signo;
}

static void
test_signal(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	int got1 = 0, got2 = 0;
	sigset_t cur;

	(void)state;
	assert_int_equal(ev_signal_add(loop, SIGUSR1, sig_cb, &got1), 0);
	assert_int_equal(ev_signal_add(loop, SIGUSR2, sig_cb, &got2), 0);
	assert_int_equal(ev_signal_add(loop, 0, sig_cb, &got2), -EINVAL);
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	assert_true(sigismember(&cur, SIGUSR1));
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	run_until(loop, &got1, 1);
	assert_int_equal(got1, SIGUSR1);
	assert_int_equal(got2, 0);
	assert_int_equal(raise(SIGUSR2), 0);
	run_until(loop, &got2, 1);
	assert_int_equal(got2, SIGUSR2);
	ev_loop_free(loop);
}

struct async_ctx {
	struct ev_async *a;
	int calls;
	int sends;
};

static void *
sender(void *arg)
{
	struct async_ctx *c = arg;

	for (int i = 0; i < c->sends; i++)
		ev_async_send(c->a);
	return NULL;
}

static void
async_cb(struct ev_loop *loop, void *arg)
{
	struct async_ctx *c = arg;

	(void)loop;
	c->calls++;
}

static void
test_async_thread(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct async_ctx c = { .sends = 1000 };
	pthread_t th;

	(void)state;
	c.a = ev_async_new(loop, async_cb, &c);
	assert_non_null(c.a);
	assert_int_equal(pthread_create(&th, NULL, sender, &c), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	/* 1000 sends before the loop runs: one callback */
	run_until(loop, &c.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(ev_run_once(loop, 20), 0);
	assert_int_equal(c.calls, 1);
	/* a send while the loop is blocked wakes it up */
	c.sends = 1;
	assert_int_equal(pthread_create(&th, NULL, sender, &c), 0);
	assert_int_equal(ev_run_once(loop, 5000), 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.calls, 2);
	ev_async_free(c.a);
	ev_async_free(NULL);
	ev_loop_free(loop);
}

/* Two fds ready in the same batch: the first callback deletes and closes the other; the
 * second must not be dispatched (and a new fd reusing the number must not get the stale
 * event either). */
struct del_ctx {
	int fds[2];
	int wfds[2];
	int calls[2];
	int replaced_calls;
	int replacement;
};

static void
replaced_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct del_ctx *d = arg;

	(void)loop;
	(void)fd;
	(void)events;
	d->replaced_calls++;
}

static void
del_other_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct del_ctx *d = arg;
	int me = fd == d->fds[0] ? 0 : 1, other = 1 - me;
	char c;

	(void)events;
	d->calls[me]++;
	assert_int_equal(read(fd, &c, 1), 1);
	/* delete ourselves too: callbacks may remove their own watcher */
	assert_int_equal(ev_io_del(loop, fd), 0);
	assert_int_equal(ev_io_del(loop, d->fds[other]), 0);
	close(d->fds[other]);
	/* reuse the number at once with a readable pipe of its own */
	int p[2];

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	if (p[0] != d->fds[other]) {
		/* the kernel picked another number; force the reuse */
		assert_int_equal(dup2(p[0], d->fds[other]), d->fds[other]);
		close(p[0]);
	}
	d->replacement = d->fds[other];
	assert_int_equal(write(p[1], "z", 1), 1);
	close(p[1]);
	assert_int_equal(ev_io_add(loop, d->replacement, EV_READ, replaced_cb, d), 0);
}

static void
test_del_inside_callback(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct del_ctx d = { 0 };
	int a[2], b[2];

	(void)state;
	assert_int_equal(pipe2(a, O_NONBLOCK), 0);
	assert_int_equal(pipe2(b, O_NONBLOCK), 0);
	d.fds[0] = a[0];
	d.fds[1] = b[0];
	assert_int_equal(ev_io_add(loop, a[0], EV_READ, del_other_cb, &d), 0);
	assert_int_equal(ev_io_add(loop, b[0], EV_READ, del_other_cb, &d), 0);
	assert_int_equal(write(a[1], "1", 1), 1);
	assert_int_equal(write(b[1], "1", 1), 1);
	/* both are ready in one epoll batch; exactly one callback runs */
	assert_int_equal(ev_run_once(loop, 1000), 1);
	assert_int_equal(d.calls[0] + d.calls[1], 1);
	assert_int_equal(d.replaced_calls, 0);
	/* the replacement watcher works on the next iteration */
	assert_int_equal(ev_run_once(loop, 1000), 1);
	assert_int_equal(d.replaced_calls, 1);
	ev_io_del(loop, d.replacement);
	close(d.replacement);
	close(d.calls[0] ? a[0] : b[0]);
	close(a[1]);
	close(b[1]);
	ev_loop_free(loop);
}

static void
del_timer_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	uint64_t *victim = arg;

	(void)id;
	assert_int_equal(ev_timer_del(loop, *victim), 0);
	/* deleting yourself after firing: already gone */
	assert_int_equal(ev_timer_del(loop, id), -ENOENT);
}

static void
test_timer_del_inside_callback(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct order o = { 0 };
	uint64_t victim;

	(void)state;
	ev_timer_add(loop, 5, del_timer_cb, &victim);
	victim = ev_timer_add(loop, 5, order_cb, &o);
	o.ids[0] = victim;
	o.ids[1] = ev_timer_add(loop, 10, order_cb, &o);
	run_until(loop, &o.n, 1);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.seen[0], 1);
	ev_loop_free(loop);
}

static void
stop_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	ev_stop(loop);
}

static void
test_run_stop_and_now(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	uint64_t a, b;

	(void)state;
	a = ev_now_ms(loop);
	/* until the clock has moved on (bounded: a monotonic clock moves within a millisecond) */
	for (int i = 0; i < 1000000 && util_mono_ms() <= a; i++)
		;
	assert_true(util_mono_ms() > a);
	/* cached until refreshed */
	assert_int_equal(ev_now_ms(loop), a);
	b = ev_update_now(loop);
	assert_true(b > a);
	assert_int_equal(ev_now_ms(loop), b);
	ev_timer_add(loop, 30, stop_cb, NULL);
	assert_int_equal(ev_run(loop), 0);
	/* never early: stopped by the 30 ms timer counted from b */
	assert_true(ev_now_ms(loop) >= b + 30);
	ev_loop_free(loop);
}

static void
test_many_fds(void **state)
{
	enum { N = 200 };
	struct ev_loop *loop = ev_loop_new();
	struct rec r = { 0 };
	int p[N][2];

	(void)state;
	/* fd numbers grow past the initial table size */
	for (int i = 0; i < N; i++) {
		assert_int_equal(pipe2(p[i], O_NONBLOCK), 0);
		assert_int_equal(ev_io_add(loop, p[i][0], EV_READ, read_cb, &r), 0);
		assert_int_equal(write(p[i][1], "k", 1), 1);
	}
	run_until(loop, &r.calls, N);
	assert_int_equal(r.calls, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(ev_io_del(loop, p[i][0]), 0);
		close(p[i][0]);
		close(p[i][1]);
	}
	ev_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_readiness),
		cmocka_unit_test(test_timers_order),
		cmocka_unit_test(test_timer_delete),
		cmocka_unit_test(test_many_timers),
		cmocka_unit_test(test_timer_rearm_zero),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_async_thread),
		cmocka_unit_test(test_del_inside_callback),
		cmocka_unit_test(test_timer_del_inside_callback),
		cmocka_unit_test(test_run_stop_and_now),
		cmocka_unit_test(test_many_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
