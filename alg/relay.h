/* SPDX-License-Identifier: MIT */
/* alg/relay.h -- moving bytes one way between two sockets: splice(2), or userspace buffers */
#ifndef RGW_ALG_RELAY_H
#define RGW_ALG_RELAY_H

#include <stdbool.h>
#include <stdint.h>

struct alg_worker;

/* Size of a relay buffer (one per direction while bytes are held). */
#define ALG_BUF_SIZE (64u * 1024u)

/*
 * A direction relays through a buffer until it has carried this many bytes, then through a
 * pipe with splice(2). A TLS handshake and a small answer are a few short records each way:
 * recv/send costs the same number of syscalls as splice in and out, without a pipe's page
 * references. A bulk transfer passes the mark at once.
 */
#define ALG_SPLICE_AFTER ALG_BUF_SIZE

/*
 * One direction of a relayed connection (client -> backend, or back). Bytes read from the
 * source wait in a userspace buffer for the first ALG_SPLICE_AFTER bytes, then in a pipe
 * (splice), unless splice cannot be used. Both are taken from the worker's pool only while
 * bytes are held, so an idle connection holds neither.
 */
struct alg_dir {
	int p[2];	/* pipe (splice mode); -1: none */
	uint8_t *buf;	/* buffer (fallback mode); NULL: none */
	uint32_t len;	/* bytes held, in the pipe or the buffer */
	uint32_t off;	/* buffer: where the held bytes start */
	uint64_t count; /* bytes read from the source */
	bool buffered;	/* this direction relays through buf, not p (for now, or for good) */
	bool eof;	/* read EOF from the source */
	bool shut;	/* shut down our write side toward the destination */
	bool pipeless;	/* no pipe could be had: buffers for good */
};

/* An empty direction (no pipe, no buffer; buffers until ALG_SPLICE_AFTER bytes). */
void alg_dir_init(struct alg_worker *w, struct alg_dir *d);

/*
 * Move what can be moved from src to dst through d, bounded per call so that one flow cannot
 * starve the others. On EOF from src sets d->eof. Switches d to buffers (for good, and the
 * whole worker when splice itself is refused: ENOSYS, EINVAL, EPERM...) where splice cannot be
 * used, so the caller never sees a splice error. Worker thread.
 * Returns 1 if bytes moved or EOF was seen, 0 if nothing, -1 on a fatal error (errno set).
 */
int alg_dir_pump(struct alg_worker *w, int src, int dst, struct alg_dir *d);

/* How many more bytes d can hold: when 0, stop reading the source. */
uint32_t alg_dir_room(const struct alg_worker *w, const struct alg_dir *d);

/* Give d's pipe / buffer back to the pool (closed or freed if bytes are still inside). */
void alg_dir_release(struct alg_worker *w, struct alg_dir *d);

/* Close every pooled pipe and free every pooled buffer (worker shutdown). */
void alg_relay_pool_free(struct alg_worker *w);

#endif
