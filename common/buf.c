/* SPDX-License-Identifier: MIT */
/* common/buf.c -- growable byte buffers */
#include "common/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *p;

	/* one spare byte for the terminating NUL */
	if (extra > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + extra + 1;
	/* no object may be larger than PTRDIFF_MAX (and realloc would refuse anyway) */
	if (need > PTRDIFF_MAX)
		return -ENOMEM;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return -ENOMEM;
	b->data = p;
	b->cap = ncap;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	int r = buf_reserve(b, len);

	if (r < 0)
		return r;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap > 0)
		b->data[0] = '\0';
}

char *
buf_read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct buf b = { 0 };
	size_t r = 0;
	int rc = 0;

	if (f == NULL)
		return NULL;
	do {
		rc = buf_reserve(&b, 65536);
		if (rc == 0) {
			r = fread(b.data + b.len, 1, b.cap - b.len - 1, f);
			b.len += r;
			b.data[b.len] = '\0';
		}
	} while (rc == 0 && r > 0);
	if (rc == 0 && ferror(f))
		rc = -EIO;
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		buf_free(&b);
		errno = -rc;
		return NULL;
	}
	return (char *)buf_steal(&b, len);
}

uint8_t *
buf_steal(struct buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (len != NULL)
		*len = b->len;
	buf_init(b);
	return p;
}
