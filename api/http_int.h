/* SPDX-License-Identifier: MIT */
/* api/http_int.h -- what api/http.c shares with api/http_offload.c */
#ifndef RGW_API_HTTP_INT_H
#define RGW_API_HTTP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/buf.h"
#include "conn.h"
#include "internal.h"

struct api_listener {
	struct api *api;
	struct MHD_Daemon *d;
	int lfd;
	int epfd;
	uint64_t timer;
	struct api_conn_guard guard; /* its connections: request deadlines, the cap */
	struct req_ctx *held;	     /* requests suspended while a policy write runs */
	struct addr_port ap;
	bool tls;
	bool metrics_only; /* [api] metrics_listen: GET /metrics without a token, nothing else */
};

/* Per-connection request state; MHD hands it back on every callback. */
struct req_ctx {
	struct api_req r;
	struct buf body;
	bool too_big;
	bool answered;
	bool metrics_only; /* arrived on a metrics_listen listener */
	bool begun;	   /* begin_request ran */
	bool offloaded;	   /* its handler runs on the commit thread; the connection suspended */
	struct req_ctx *next_held; /* suspended while a policy write runs (api_listener.held) */
	bool ready;	/* the handler is done: the reply goes out on the next callback */
	uint64_t t0_ns; /* headers in: the start of rgw_api_request_seconds */
	/* the reply's bytes (api_http_render, where the handler ran), for libmicrohttpd */
	char *out;
	size_t out_len;
	const char *out_ctype;
	void *out_map; /* out lives in a mapping of its own (a large reply) */
	bool rendered;
};

/* http.c: run a listener's libmicrohttpd now (nothing while the API is paused); its epoll
 * fd's callback; a request's handler, from the body to the reply's body. Loop thread, except
 * api_http_finish, which runs wherever the request's handler runs. */
void api_http_run(struct api_listener *l);
void api_http_readable(struct ev_loop *loop, int fd, int events, void *arg);
void api_http_finish(struct req_ctx *x);

/* http_reply.c. The reply's bytes from the handler's result, the request's JSON dropped:
 * where the handler ran (finish_request), else in api_http_response. The response that takes
 * them over (NULL: out of memory); their release when they were never handed over. */
void api_http_render(struct req_ctx *x);
struct MHD_Response *api_http_response(struct req_ctx *x);
void api_http_out_free(struct req_ctx *x);

/* http_offload.c. A policy write (API_R_COMMIT) to the commit thread (views->offload): the
 * connection suspended, every listener paused until it is done, then resumed and its reply
 * sent on the next callback. False: run it here. Loop thread, inside on_request. */
bool api_http_offload(struct req_ctx *x);
/* Stop (on) or restart reading every listener's connections; run: and run them now (never
 * from inside libmicrohttpd's own callbacks). Loop thread. */
void api_http_pause(struct api *api, bool on, bool run);
/* A request that arrived while a policy write runs (in the same run of libmicrohttpd):
 * suspended until api_http_pause(false), then taken up where it stopped, in order. */
void api_http_hold(struct api_listener *l, struct req_ctx *x);

#endif
