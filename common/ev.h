/* SPDX-License-Identifier: MIT */
/* common/ev.h -- single-threaded epoll event loop: fd watchers, timers, signals, wake-ups */
#ifndef RGW_COMMON_EV_H
#define RGW_COMMON_EV_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One loop per thread. Every function except ev_async_send() must be called from the thread
 * that runs the loop. Callbacks may add and delete any watcher, including their own.
 */
struct ev_loop;
struct ev_async;

enum {
	EV_READ = 1 << 0,
	EV_WRITE = 1 << 1,
	/* reported to callbacks only: EPOLLERR / EPOLLHUP */
	EV_ERROR = 1 << 2,
};

typedef void (*ev_io_cb)(struct ev_loop *loop, int fd, int events, void *arg);
typedef void (*ev_timer_cb)(struct ev_loop *loop, uint64_t id, void *arg);
typedef void (*ev_signal_cb)(struct ev_loop *loop, int signo, void *arg);
typedef void (*ev_async_cb)(struct ev_loop *loop, void *arg);

/* Returns NULL on failure (errno set). */
struct ev_loop *ev_loop_new(void);
/* Frees the loop and its pending timers; closes none of the watched fds. Free every
 * ev_async of the loop first. NULL is a no-op. */
void ev_loop_free(struct ev_loop *loop);

/* Watch fd for EV_READ and/or EV_WRITE (level-triggered). 0 or -errno (-EEXIST if watched). */
int ev_io_add(struct ev_loop *loop, int fd, int events, ev_io_cb cb, void *arg);
/* Change the event mask of a watched fd. 0 or -errno. */
int ev_io_mod(struct ev_loop *loop, int fd, int events);
/* Stop watching fd (call before close(fd)). 0 or -ENOENT. */
int ev_io_del(struct ev_loop *loop, int fd);
/* Stop watching fd and close it, without the EPOLL_CTL_DEL: close(2) takes it out of the
 * epoll set, provided the process holds no duplicate of fd (no dup, no fork). Events already
 * fetched for fd are dropped. Returns close(2)'s result (0 or -errno). */
int ev_io_close(struct ev_loop *loop, int fd);

/* One-shot timer firing `ms` milliseconds after ev_now_ms() (the cached time). Timers with
 * the same deadline fire in the order they were added. Returns an id > 0, or 0 on ENOMEM.
 * Re-arm from the callback for periodic work. */
uint64_t ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_cb cb, void *arg);
/* Cancel a pending timer. 0, or -ENOENT if it already fired or never existed. */
int ev_timer_del(struct ev_loop *loop, uint64_t id);

/* Deliver `signo` through a signalfd (the signal is blocked for the calling thread).
 * Call before creating other threads so they inherit the mask. 0 or -errno. */
int ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg);

/* Wake-up from other threads through an eventfd: ev_async_send() may be called from any
 * thread, any number of times; cb runs once per batch of sends, in the loop thread. */
struct ev_async *ev_async_new(struct ev_loop *loop, ev_async_cb cb, void *arg);
void ev_async_send(struct ev_async *a);
void ev_async_free(struct ev_async *a);

/* Run until ev_stop(). Returns 0, or -errno if epoll_wait fails for a reason other than EINTR. */
int ev_run(struct ev_loop *loop);
/* Run one iteration, waiting at most timeout_ms (-1: until an event). Returns events handled
 * or -errno. Used by tests. */
int ev_run_once(struct ev_loop *loop, int timeout_ms);
void ev_stop(struct ev_loop *loop);

/* Monotonic milliseconds, cached at the start of each loop iteration. */
uint64_t ev_now_ms(const struct ev_loop *loop);
/* Refresh and return the cached time. */
uint64_t ev_update_now(struct ev_loop *loop);

#endif
