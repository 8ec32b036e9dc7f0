/* SPDX-License-Identifier: MIT */
/* common/buf.h -- growable byte buffers */
#ifndef RGW_COMMON_BUF_H
#define RGW_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Callers embed struct buf; zero-initialised (or buf_init) is an empty buffer.
 * data[len] is kept as '\0' whenever cap > 0, so text can be used as a C string. */
struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
/* Release memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Make room for `extra` more bytes. 0 or -ENOMEM. */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (n > len drops everything). */
void buf_consume(struct buf *b, size_t n);
/* len = 0, memory kept. */
void buf_reset(struct buf *b);
/* Hand the memory to the caller (caller frees); the buffer becomes empty. */
uint8_t *buf_steal(struct buf *b, size_t *len);

/* The whole content of the file at path ("-": standard input, read to its end) as a
 * NUL-terminated string the caller frees, its length in *len unless len is NULL; NULL with
 * errno set (ENOMEM, EIO on a read error, or fopen's) on failure. */
char *buf_read_file(const char *path, size_t *len);

#endif
