/* SPDX-License-Identifier: MIT */
/* api/http_reply.c -- a reply's bytes, made where the handler ran, freed cheaply on the loop */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "http_int.h"

/* A reply at least this long gets a mapping of its own (REPLY_MAP_MIN: 64 KiB, where glibc
 * starts consolidating an arena on free). */
#define REPLY_MAP_MIN (64 * 1024)

struct reply_map {
	size_t size; /* of the whole mapping, this header included */
	char data[];
};

static void unmap_reply(void *cls);

/*
 * The request's JSON is dropped and the reply's bytes made here, where the handler ran (a
 * policy write: the commit thread), so that the loop neither serializes nor frees a large
 * policy: a 400 KB bundle is tens of thousands of objects. A large reply is copied into a
 * mapping of its own: libmicrohttpd frees it on the loop, and free() of a heap chunk that size
 * would first consolidate the whole arena the handler's thread churned (milliseconds).
 */
void
api_http_render(struct req_ctx *x)
{
	struct api_req *r = &x->r;
	const char *pv = NULL;
	size_t pl = 0;
	bool pretty;

	json_decref(r->body);
	r->body = NULL;
	buf_free(&x->body);
	if (x->rendered)
		return;
	x->rendered = true;
	pretty = MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, "pretty", 6, &pv,
					       &pl) == MHD_YES;
	if (r->status == 204 || r->status == 304) {
		/* no body */
	} else if (r->raw && !pretty) {
		/* the bytes the ETag was computed from */
		x->out = r->raw;
		x->out_len = r->raw_len;
		r->raw = NULL;
		x->out_ctype = "application/json";
	} else if (r->reply || (r->raw && (r->reply = json_loadb(r->raw, r->raw_len, 0, NULL)))) {
		size_t flags = pretty ? JSON_INDENT(2) : JSON_COMPACT;
		char *text = json_dumps(r->reply, flags | JSON_ENCODE_ANY | JSON_SORT_KEYS);
		size_t len = text != NULL ? strlen(text) : 0;
		char *t2 = text != NULL ? realloc(text, len + 2) : NULL;

		if (t2 != NULL) { /* newline-terminated like any text reply */
			text = t2;
			text[len++] = '\n';
			text[len] = '\0';
		}
		x->out = text;
		x->out_len = len;
		x->out_ctype = "application/json";
	} else if (r->text.len) {
		x->out = (char *)buf_steal(&r->text, &x->out_len);
		x->out_ctype = r->ctype ? r->ctype : "text/plain; charset=utf-8";
	}
	json_decref(r->reply);
	r->reply = NULL;
	if (x->out != NULL && x->out_len >= REPLY_MAP_MIN) {
		size_t size = sizeof(struct reply_map) + x->out_len;
		struct reply_map *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return; /* the heap copy serves */
		m->size = size;
		memcpy(m->data, x->out, x->out_len);
		free(x->out);
		x->out = m->data;
		x->out_map = m;
	}
}

/* libmicrohttpd's response for x's bytes (api_http_render first); it owns them from now on.
 * NULL: out of memory (the bytes are freed). */
struct MHD_Response *
api_http_response(struct req_ctx *x)
{
	static char empty[1];
	struct MHD_Response *resp;

	api_http_render(x);
	if (x->out_map != NULL)
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			x->out_len, x->out, unmap_reply, x->out_map);
	else if (x->out != NULL)
		resp = MHD_create_response_from_buffer(x->out_len, x->out, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, empty, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		api_http_out_free(x);
	x->out = NULL;
	x->out_map = NULL;
	return resp;
}

/* The bytes of a reply never handed to libmicrohttpd. */
void
api_http_out_free(struct req_ctx *x)
{
	if (x->out_map != NULL)
		unmap_reply(x->out_map);
	else
		free(x->out);
	x->out = NULL;
	x->out_map = NULL;
}

static void
unmap_reply(void *cls)
{
	struct reply_map *m = cls;

	munmap(m, m->size);
}
