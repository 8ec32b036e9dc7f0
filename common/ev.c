/* SPDX-License-Identifier: MIT */
/* common/ev.c -- single-threaded epoll event loop: fd watchers, timers, signals, wake-ups */
#include "common/ev.h"
#include "common/array.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/util.h"

#define EV_BATCH 128
#define EV_NSIG	 65

static int io_grow(struct ev_loop *loop, int fd);
static uint32_t to_epoll(int events);
static void heap_swap(struct ev_loop *loop, size_t i, size_t j);
static bool heap_less(const struct ev_loop *loop, size_t i, size_t j);
static void heap_up(struct ev_loop *loop, size_t i);
static void heap_down(struct ev_loop *loop, size_t i);
static void heap_remove(struct ev_loop *loop, size_t pos);
static int run_timers(struct ev_loop *loop);
static void signal_cb(struct ev_loop *loop, int fd, int events, void *arg);
static void async_cb(struct ev_loop *loop, int fd, int events, void *arg);

struct io_watch {
	ev_io_cb cb;
	void *arg;
	int events;
	bool active;
	/* bumped on every add: epoll events queued for an older watcher are ignored */
	uint32_t gen;
};

/* Timer nodes live in a pool indexed by slot; the heap holds slots. An id encodes the slot and
 * the slot's generation, so ev_timer_del finds the node in O(1) and removes it in O(log n). */
struct timer {
	uint64_t deadline;
	uint64_t seq; /* insertion order: equal deadlines fire in the order they were added */
	uint64_t id;
	ev_timer_cb cb;
	void *arg;
	size_t heap_pos;
	uint32_t gen;
	bool used;
	uint32_t next_free;
};

struct ev_loop {
	int epfd;
	bool stop;
	uint64_t now;

	struct io_watch *io; /* indexed by fd */
	size_t io_cap;

	struct timer *tpool;
	uint32_t tpool_cap;
	uint32_t tfree; /* head of the free list, UINT32_MAX if empty */
	uint32_t *heap; /* slots, ordered by (deadline, seq) */
	size_t heap_len;
	uint64_t next_seq;

	int sigfd;
	sigset_t sigmask;
	ev_signal_cb sig_cb[EV_NSIG];
	void *sig_arg[EV_NSIG];
};

struct ev_async {
	struct ev_loop *loop;
	int fd;
	ev_async_cb cb;
	void *arg;
};

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd == -1) {
		int saved = errno;

		free(loop);
		errno = saved;
		return NULL;
	}
	loop->sigfd = -1;
	loop->tfree = UINT32_MAX;
	loop->next_seq = 1;
	sigemptyset(&loop->sigmask);
	ev_update_now(loop);
	return loop;
}

void
ev_loop_free(struct ev_loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->sigfd != -1)
		close(loop->sigfd);
	close(loop->epfd);
	free(loop->io);
	free(loop->tpool);
	free(loop->heap);
	free(loop);
}

static int
io_grow(struct ev_loop *loop, int fd)
{
	size_t old = loop->io_cap;

	if (ARRAY_RESERVE(loop->io, loop->io_cap, (size_t)fd + 1) < 0)
		return -ENOMEM;
	memset(loop->io + old, 0, (loop->io_cap - old) * sizeof(*loop->io));
	return 0;
}

static uint32_t
to_epoll(int events)
{
	uint32_t e = 0;

	if (events & EV_READ)
		e |= EPOLLIN;
	if (events & EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

int
ev_io_add(struct ev_loop *loop, int fd, int events, ev_io_cb cb, void *arg)
{
	struct epoll_event ee;
	struct io_watch *w;
	int r;

	if (fd < 0 || cb == NULL)
		return -EINVAL;
	if ((size_t)fd >= loop->io_cap && (r = io_grow(loop, fd)) < 0)
		return r;
	w = &loop->io[fd];
	if (w->active)
		return -EEXIST;
	memset(&ee, 0, sizeof(ee));
	ee.events = to_epoll(events);
	ee.data.u64 = (uint64_t)(w->gen + 1) << 32 | (uint32_t)fd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ee) == -1)
		return -errno;
	w->gen++;
	w->cb = cb;
	w->arg = arg;
	w->events = events & (EV_READ | EV_WRITE);
	w->active = true;
	return 0;
}

int
ev_io_mod(struct ev_loop *loop, int fd, int events)
{
	struct epoll_event ee;
	struct io_watch *w;

	if (fd < 0 || (size_t)fd >= loop->io_cap || !loop->io[fd].active)
		return -ENOENT;
	w = &loop->io[fd];
	memset(&ee, 0, sizeof(ee));
	ee.events = to_epoll(events);
	ee.data.u64 = (uint64_t)w->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ee) == -1)
		return -errno;
	w->events = events & (EV_READ | EV_WRITE);
	return 0;
}

int
ev_io_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->io_cap || !loop->io[fd].active)
		return -ENOENT;
	/* may fail with EBADF if the caller closed first; the watcher goes anyway */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->io[fd].active = false;
	loop->io[fd].cb = NULL;
	loop->io[fd].arg = NULL;
	return 0;
}

int
ev_io_close(struct ev_loop *loop, int fd)
{
	if (fd >= 0 && (size_t)fd < loop->io_cap && loop->io[fd].active) {
		/* the generation check in ev_run_once drops events already fetched for fd */
		loop->io[fd].active = false;
		loop->io[fd].cb = NULL;
		loop->io[fd].arg = NULL;
	}
	return close(fd) == -1 ? -errno : 0;
}

static bool
heap_less(const struct ev_loop *loop, size_t i, size_t j)
{
	const struct timer *a = &loop->tpool[loop->heap[i]];
	const struct timer *b = &loop->tpool[loop->heap[j]];

	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void
heap_swap(struct ev_loop *loop, size_t i, size_t j)
{
	uint32_t t = loop->heap[i];

	loop->heap[i] = loop->heap[j];
	loop->heap[j] = t;
	loop->tpool[loop->heap[i]].heap_pos = i;
	loop->tpool[loop->heap[j]].heap_pos = j;
}

static void
heap_up(struct ev_loop *loop, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!heap_less(loop, i, parent))
			break;
		heap_swap(loop, i, parent);
		i = parent;
	}
}

static void
heap_down(struct ev_loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->heap_len && heap_less(loop, l, m))
			m = l;
		if (r < loop->heap_len && heap_less(loop, r, m))
			m = r;
		if (m == i)
			break;
		heap_swap(loop, i, m);
		i = m;
	}
}

/* Remove the heap entry at pos and return its node to the free list. */
static void
heap_remove(struct ev_loop *loop, size_t pos)
{
	uint32_t slot = loop->heap[pos];
	size_t last = --loop->heap_len;

	if (pos != last) {
		loop->heap[pos] = loop->heap[last];
		loop->tpool[loop->heap[pos]].heap_pos = pos;
		heap_down(loop, pos);
		heap_up(loop, pos);
	}
	loop->tpool[slot].used = false;
	loop->tpool[slot].cb = NULL;
	loop->tpool[slot].next_free = loop->tfree;
	loop->tfree = slot;
}

uint64_t
ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_cb cb, void *arg)
{
	struct timer *t;
	uint32_t slot;

	if (loop->tfree == UINT32_MAX) {
		/* both arrays take ncap slots before the pool counts them: a failure in
		 * between leaves only a larger allocation behind (slots are uint32_t) */
		size_t ncap = loop->tpool_cap ? 2 * (size_t)loop->tpool_cap : 64;
		size_t cap = loop->tpool_cap;

		if (ncap > UINT32_MAX / 2 || ARRAY_RESERVE(loop->heap, cap, ncap) < 0)
			return 0;
		cap = loop->tpool_cap;
		if (ARRAY_RESERVE(loop->tpool, cap, ncap) < 0)
			return 0;
		for (uint32_t i = (uint32_t)ncap; i-- > loop->tpool_cap;) {
			memset(&loop->tpool[i], 0, sizeof(loop->tpool[i]));
			loop->tpool[i].next_free = loop->tfree;
			loop->tfree = i;
		}
		loop->tpool_cap = (uint32_t)ncap;
	}
	slot = loop->tfree;
	t = &loop->tpool[slot];
	loop->tfree = t->next_free;
	t->used = true;
	t->gen++;
	t->deadline = loop->now + ms < loop->now ? UINT64_MAX : loop->now + ms;
	t->seq = loop->next_seq++;
	/* slot + 1 keeps ids non-zero even for slot 0, generation 0 */
	t->id = (uint64_t)t->gen << 32 | (uint64_t)(slot + 1);
	t->cb = cb;
	t->arg = arg;
	t->heap_pos = loop->heap_len;
	loop->heap[loop->heap_len++] = slot;
	heap_up(loop, t->heap_pos);
	return t->id;
}

int
ev_timer_del(struct ev_loop *loop, uint64_t id)
{
	uint64_t slot1 = id & 0xffffffffu;
	struct timer *t;

	if (slot1 == 0 || slot1 > loop->tpool_cap)
		return -ENOENT;
	t = &loop->tpool[slot1 - 1];
	if (!t->used || t->id != id)
		return -ENOENT;
	heap_remove(loop, t->heap_pos);
	return 0;
}

static int
run_timers(struct ev_loop *loop)
{
	/* timers added by callbacks during this pass wait for the next iteration, so a
	 * callback re-arming itself with 0 ms cannot starve I/O */
	uint64_t seq_limit = loop->next_seq;
	int fired = 0;

	while (loop->heap_len > 0) {
		struct timer *t = &loop->tpool[loop->heap[0]];
		ev_timer_cb cb;
		uint64_t id;
		void *arg;

		if (t->deadline > loop->now || t->seq >= seq_limit)
			break;
		cb = t->cb;
		arg = t->arg;
		id = t->id;
		heap_remove(loop, 0);
		cb(loop, id, arg);
		fired++;
	}
	return fired;
}

int
ev_run_once(struct ev_loop *loop, int timeout_ms)
{
	struct epoll_event evs[EV_BATCH];
	int n, handled = 0;

	ev_update_now(loop);
	if (loop->heap_len > 0) {
		uint64_t d = loop->tpool[loop->heap[0]].deadline;
		uint64_t wait = d > loop->now ? d - loop->now : 0;

		if (wait > INT32_MAX)
			wait = INT32_MAX;
		if (timeout_ms < 0 || (uint64_t)timeout_ms > wait)
			timeout_ms = (int)wait;
	}
	n = epoll_wait(loop->epfd, evs, EV_BATCH, timeout_ms);
	if (n == -1) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	ev_update_now(loop);
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		struct io_watch *w;
		int events = 0;

		/* the table may have grown (realloc) inside a callback: index it afresh */
		if (fd < 0 || (size_t)fd >= loop->io_cap)
			continue;
		w = &loop->io[fd];
		if (!w->active || w->gen != gen)
			continue;
		if (evs[i].events & EPOLLIN)
			events |= EV_READ;
		if (evs[i].events & EPOLLOUT)
			events |= EV_WRITE;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			events |= EV_ERROR;
		events &= w->events | EV_ERROR;
		if (events == 0)
			continue;
		w->cb(loop, fd, events, w->arg);
		handled++;
	}
	handled += run_timers(loop);
	return handled;
}

int
ev_run(struct ev_loop *loop)
{
	int r = 0;

	while (!loop->stop) {
		r = ev_run_once(loop, -1);
		if (r < 0)
			break;
		r = 0;
	}
	loop->stop = false;
	return r;
}

void
ev_stop(struct ev_loop *loop)
{
	loop->stop = true;
}

uint64_t
ev_now_ms(const struct ev_loop *loop)
{
	return loop->now;
}

uint64_t
ev_update_now(struct ev_loop *loop)
{
	loop->now = util_mono_ms();
	return loop->now;
}

static void
signal_cb(struct ev_loop *loop, int fd, int events UNUSED, void *arg UNUSED)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(fd, &si, sizeof(si));

		if (n != (ssize_t)sizeof(si))
			break;
		if (si.ssi_signo < EV_NSIG && loop->sig_cb[si.ssi_signo] != NULL)
			loop->sig_cb[si.ssi_signo](loop, (int)si.ssi_signo,
						   loop->sig_arg[si.ssi_signo]);
	}
}

int
ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg)
{
	sigset_t one;
	int fd, r;

	if (signo <= 0 || signo >= EV_NSIG || cb == NULL)
		return -EINVAL;
	sigemptyset(&one);
	if (sigaddset(&one, signo) == -1)
		return -errno;
	r = pthread_sigmask(SIG_BLOCK, &one, NULL);
	if (r != 0)
		return -r;
	sigaddset(&loop->sigmask, signo);
	fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		return -errno;
	if (loop->sigfd == -1) {
		r = ev_io_add(loop, fd, EV_READ, signal_cb, NULL);
		if (r < 0) {
			close(fd);
			return r;
		}
		loop->sigfd = fd;
	}
	loop->sig_cb[signo] = cb;
	loop->sig_arg[signo] = arg;
	return 0;
}

static void
async_cb(struct ev_loop *loop, int fd, int events UNUSED, void *arg)
{
	struct ev_async *a = arg;
	uint64_t v;

	/* one read drains the counter: many sends, one callback */
	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return;
	a->cb(loop, a->arg);
}

struct ev_async *
ev_async_new(struct ev_loop *loop, ev_async_cb cb, void *arg)
{
	struct ev_async *a = calloc(1, sizeof(*a));
	int r;

	if (a == NULL)
		return NULL;
	a->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->fd == -1)
		goto fail;
	a->loop = loop;
	a->cb = cb;
	a->arg = arg;
	r = ev_io_add(loop, a->fd, EV_READ, async_cb, a);
	if (r < 0) {
		close(a->fd);
		errno = -r;
		goto fail;
	}
	return a;
fail:
	free(a);
	return NULL;
}

void
ev_async_send(struct ev_async *a)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is saturated: a wake-up is pending anyway */
	while (write(a->fd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
}

void
ev_async_free(struct ev_async *a)
{
	if (a == NULL)
		return;
	ev_io_del(a->loop, a->fd);
	close(a->fd);
	free(a);
}
