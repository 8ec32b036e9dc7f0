/* SPDX-License-Identifier: MIT */
/* alg/relay.c -- moving bytes one way between two sockets: splice(2), or userspace buffers */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alg/proxy.h"
#include "common/log.h"
#include "common/util.h"

#define PIPE_MIN      65536 /* the kernel's default pipe size, always available */
#define PIPE_POOL_MAX 256   /* free pipes kept per worker */
#define BUF_POOL_MAX  64    /* free buffers kept per worker */
#define PUMP_ROUNDS   8	    /* bound the work per call so that one flow cannot starve */

static void pipes_closed(struct alg_worker *w, long n);
static int pipe_get(struct alg_worker *w, int out[2]);
static void pipe_put(struct alg_worker *w, int p[2]);
static int buf_get(struct alg_worker *w, struct alg_dir *d);
static void buf_put(struct alg_worker *w, struct alg_dir *d);
static bool splice_refused(int err);
static int to_buffers(struct alg_worker *w, struct alg_dir *d, int err, bool pipe_failed);
static ssize_t move_out(struct alg_dir *d, int dst);
static ssize_t move_in(struct alg_worker *w, struct alg_dir *d, int src, size_t room);

void
alg_dir_init(struct alg_worker *w, struct alg_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->p[0] = d->p[1] = -1;
	d->buffered = true; /* splice once the direction carries bulk: see ALG_SPLICE_AFTER */
	(void)w;
}

uint32_t
alg_dir_room(const struct alg_worker *w, const struct alg_dir *d)
{
	uint32_t cap = d->buffered ? ALG_BUF_SIZE : w->pipe_cap;

	return d->len < cap ? cap - d->len : 0;
}

static void
pipes_closed(struct alg_worker *w, long n)
{
	atomic_fetch_sub_explicit(&w->set->pipes->open, n, memory_order_relaxed);
}

static int
pipe_get(struct alg_worker *w, int out[2])
{
	if (w->n_pipes > 0) {
		w->n_pipes--;
		out[0] = w->pipes[w->n_pipes][0];
		out[1] = w->pipes[w->n_pipes][1];
		return 0;
	}
	/* Descriptors beyond the connections' sockets only: a pipe must never take the socket
	 * of a connection under the cap (alg.c raise_nofile). */
	if (atomic_fetch_add_explicit(&w->set->pipes->open, 1, memory_order_relaxed) >=
	    atomic_load_explicit(&w->set->pipes->max, memory_order_relaxed)) {
		pipes_closed(w, 1);
		return -EMFILE;
	}
	if (pipe2(out, O_NONBLOCK | O_CLOEXEC) == -1) {
		int err = errno;

		pipes_closed(w, 1);
		return -err;
	}
	/* The byte accounting assumes w->pipe_cap of room: if a pipe cannot be enlarged (pipe
	 * memory limits), lower the cap for good; it only ever decreases, so every pipe in the
	 * pool has at least that much room. */
	if (w->pipe_cap > PIPE_MIN && fcntl(out[0], F_SETPIPE_SZ, (int)ALG_PIPE_SIZE) == -1)
		w->pipe_cap = PIPE_MIN;
	return 0;
}

/* Only empty pipes come back: the caller tracks the bytes inside. */
static void
pipe_put(struct alg_worker *w, int p[2])
{
	if (w->pipes == NULL)
		w->pipes = calloc(PIPE_POOL_MAX, sizeof(*w->pipes));
	if (w->pipes != NULL && w->n_pipes < PIPE_POOL_MAX) {
		w->pipes[w->n_pipes][0] = p[0];
		w->pipes[w->n_pipes][1] = p[1];
		w->n_pipes++;
	} else {
		close(p[0]);
		close(p[1]);
		pipes_closed(w, 1);
	}
	p[0] = p[1] = -1;
}

static int
buf_get(struct alg_worker *w, struct alg_dir *d)
{
	if (w->n_bufs > 0) {
		d->buf = w->bufs[--w->n_bufs];
	} else {
		d->buf = malloc(ALG_BUF_SIZE);
		if (d->buf == NULL)
			return -ENOMEM;
	}
	d->off = 0;
	return 0;
}

static void
buf_put(struct alg_worker *w, struct alg_dir *d)
{
	if (w->bufs == NULL)
		w->bufs = calloc(BUF_POOL_MAX, sizeof(*w->bufs));
	if (w->bufs != NULL && w->n_bufs < BUF_POOL_MAX)
		w->bufs[w->n_bufs++] = d->buf;
	else
		free(d->buf);
	d->buf = NULL;
	d->off = 0;
}

void
alg_dir_release(struct alg_worker *w, struct alg_dir *d)
{
	if (d->p[0] != -1) {
		/* a pipe with bytes still inside cannot be reused */
		if (d->len == 0) {
			pipe_put(w, d->p);
		} else {
			close(d->p[0]);
			close(d->p[1]);
			pipes_closed(w, 1);
			d->p[0] = d->p[1] = -1;
		}
	}
	if (d->buf != NULL)
		buf_put(w, d);
	d->len = 0;
}

void
alg_relay_pool_free(struct alg_worker *w)
{
	size_t i;

	for (i = 0; i < w->n_pipes; i++) {
		close(w->pipes[i][0]);
		close(w->pipes[i][1]);
	}
	pipes_closed(w, (long)w->n_pipes);
	w->n_pipes = 0;
	FREE_AND_NULL(w->pipes);
	for (i = 0; i < w->n_bufs; i++)
		free(w->bufs[i]);
	w->n_bufs = 0;
	FREE_AND_NULL(w->bufs);
}

/* splice(2) itself is unusable here (seccomp filter, kernel or socket type without it), as
 * opposed to a socket error that ends the connection. */
static bool
splice_refused(int err)
{
	return err == EINVAL || err == ENOSYS || err == EPERM || err == EOPNOTSUPP;
}

/*
 * Switch d to buffers. Bytes already in the pipe move to the buffer first, so the order is
 * kept. pipe_failed: only this direction lacks a pipe (fd or pipe memory limits); otherwise
 * splice was refused and the whole worker stops trying it.
 */
static int
to_buffers(struct alg_worker *w, struct alg_dir *d, int err, bool pipe_failed)
{
	static struct log_rl rl_pipe = LOG_RL_INIT(60000, 1);

	if (d->len > ALG_BUF_SIZE) {
		errno = err;
		return -1;
	}
	if (d->buf == NULL && buf_get(w, d) < 0) {
		errno = ENOMEM;
		return -1;
	}
	if (d->len > 0) {
		ssize_t n = read(d->p[0], d->buf, d->len);

		if (n != (ssize_t)d->len) {
			errno = n == -1 ? errno : EIO;
			return -1;
		}
	}
	if (d->p[0] != -1)
		pipe_put(w, d->p); /* empty now: its bytes are in the buffer */
	d->buffered = true;
	atomic_fetch_add_explicit(&w->stats[ALG_STAT_SPLICE_FALLBACK], 1, memory_order_relaxed);
	if (pipe_failed) {
		d->pipeless = true;
		log_rl(&rl_pipe, LOG_LVL_WARN,
		       "alg: no pipe for splice (%s): relaying through buffers", strerror(err));
	} else if (!w->no_splice) {
		w->no_splice = true;
		log_warn(
			"alg: worker %d: splice(2) refused (%s): relaying through userspace buffers "
			"from now on",
			w->id, strerror(err));
	}
	return 0;
}

/* Held bytes -> dst. Returns what send/splice returned. */
static ssize_t
move_out(struct alg_dir *d, int dst)
{
	if (d->buffered)
		return send(dst, d->buf + d->off, d->len, MSG_NOSIGNAL | MSG_DONTWAIT);
	return splice(d->p[0], NULL, dst, NULL, d->len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

/* src -> held bytes, at most room. Returns what recv/splice returned. */
static ssize_t
move_in(struct alg_worker *w, struct alg_dir *d, int src, size_t room)
{
	if (!d->buffered)
		return splice(src, NULL, d->p[1], NULL, room, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (d->buf == NULL && buf_get(w, d) < 0) {
		errno = ENOMEM;
		return -1;
	}
	if (d->off + d->len + room > ALG_BUF_SIZE) {
		memmove(d->buf, d->buf + d->off, d->len);
		d->off = 0;
	}
	return recv(src, d->buf + d->off + d->len, room, MSG_DONTWAIT);
}

/*
 * HAProxy raw_sock_to_pipe / raw_sock_from_pipe semantics. EAGAIN from socket->pipe means
 * "socket empty" when the pipe has room, "pipe full" otherwise; we never ask for more than the
 * room left, so it is the former. A short read means the socket is drained and a short write
 * that the socket buffer is full: neither is retried (the level-triggered loop reports the fd
 * again if that was wrong), which saves one failing syscall per event.
 */
int
alg_dir_pump(struct alg_worker *w, int src, int dst, struct alg_dir *d)
{
	int moved = 0, round, src_empty = 0, dst_full = 0;
	ssize_t n;

	for (round = 0; round < PUMP_ROUNDS; round++) {
		int progress = 0;
		uint32_t room;

		/* Bulk: from now on through a pipe, once the buffer has emptied (order kept). */
		if (d->buffered && d->len == 0 && d->count >= ALG_SPLICE_AFTER && !w->no_splice &&
		    !d->pipeless) {
			if (d->buf != NULL)
				buf_put(w, d);
			d->buffered = false;
		}

		if (d->len > 0 && !dst_full) {
			n = move_out(d, dst);
			if (n > 0) {
				if ((uint32_t)n < d->len)
					dst_full = 1;
				d->len -= (uint32_t)n;
				d->off = d->len > 0 ? d->off + (uint32_t)n : 0;
				progress = 1;
			} else if (n == -1 && errno == EAGAIN) {
				dst_full = 1;
			} else if (n == -1 && !d->buffered && splice_refused(errno)) {
				if (to_buffers(w, d, errno, false) < 0)
					return -1;
				progress = 1;
			} else if (n == -1 && errno != EINTR) {
				return -1;
			}
		}
		room = alg_dir_room(w, d);
		if (!d->eof && !src_empty && room > 0) {
			if (!d->buffered && d->p[0] == -1) {
				int r = pipe_get(w, d->p);

				if (r < 0 && to_buffers(w, d, -r, true) < 0)
					return -1;
				room = alg_dir_room(w, d);
			}
			n = move_in(w, d, src, room);
			if (n > 0) {
				if ((size_t)n < room)
					src_empty = 1;
				d->len += (uint32_t)n;
				d->count += (uint64_t)n;
				progress = 1;
			} else if (n == 0) {
				d->eof = true;
				progress = 1;
			} else if (errno == EAGAIN) {
				src_empty = 1;
			} else if (!d->buffered && splice_refused(errno)) {
				if (to_buffers(w, d, errno, false) < 0)
					return -1;
				progress = 1;
			} else if (errno != EINTR) {
				return -1;
			}
		}
		if (!progress)
			break;
		moved = 1;
	}
	if (d->len == 0 && d->p[0] != -1)
		pipe_put(w, d->p);
	if (d->len == 0 && d->buf != NULL)
		buf_put(w, d);
	return moved;
}
