/* SPDX-License-Identifier: MIT */
/* api/http_offload.c -- a policy write handed to the commit thread; the rest of the API waits */
#include <microhttpd.h>

#include "../common/log.h"
#include "http_int.h"
#include "internal.h"

static void offload_work(void *arg, struct pol_store *st);
static void offload_done(void *arg);

/*
 * Hand a policy write to the commit thread: the connection is suspended and no listener is
 * run until it is done, so the handler has the API (and its store, the thread's own
 * connection) to itself and writers queue behind it. False: run it here.
 */
bool
api_http_offload(struct req_ctx *x)
{
	struct api *api = x->r.api;

	if (api->v.offload == NULL || x->r.conn == NULL)
		return false;
	/* the HA standby refuses it at once (api_txn_begin), here: its follow commits here */
	if (api->v.ha_refusal != NULL && api->v.ha_refusal(api->v.ha_arg) != NULL)
		return false;
	MHD_suspend_connection(x->r.conn);
	api_http_pause(api, true, false);
	x->offloaded = true;
	if (api->v.offload(api->v.offload_arg, offload_work, offload_done, x) == 0)
		return true;
	x->offloaded = false;
	MHD_resume_connection(x->r.conn);
	api_http_pause(api, false, false);
	return false;
}

/* The commit thread: the handler, from parsing the body to the reply's body. */
static void
offload_work(void *arg, struct pol_store *st)
{
	struct req_ctx *x = arg;
	struct pol_store *own = x->r.api->st;

	x->r.api->st = st;
	api_http_finish(x);
	x->r.api->st = own;
}

/* Back on the loop: the reply goes out when libmicrohttpd calls on_request again. */
static void
offload_done(void *arg)
{
	struct req_ctx *x = arg;

	x->ready = true;
	MHD_resume_connection(x->r.conn);
	api_http_pause(x->r.api, false, true);
}

/* Stop (on) or restart reading every listener's connections; run: and run them now (never
 * from inside libmicrohttpd's own callbacks). */
void
api_http_pause(struct api *api, bool on, bool run)
{
	api->paused = on;
	for (size_t i = 0; i < api->n_listeners; i++) {
		struct api_listener *l = &api->listeners[i];

		if (l->d == NULL || l->epfd < 0)
			continue;
		if (on) {
			ev_io_del(api->loop, l->epfd);
			if (l->timer)
				ev_timer_del(api->loop, l->timer);
			l->timer = 0;
			continue;
		}
		while (l->held != NULL) {
			struct req_ctx *x = l->held;

			l->held = x->next_held;
			x->next_held = NULL;
			MHD_resume_connection(x->r.conn);
		}
		if (ev_io_add(api->loop, l->epfd, EV_READ, api_http_readable, l) < 0)
			log_warnx("api: cannot watch a listener again");
	}
	/* a held write may start the next one: then the rest waits again */
	for (size_t i = 0; run && !on && !api->paused && i < api->n_listeners; i++)
		if (api->listeners[i].d != NULL && api->listeners[i].epfd >= 0)
			api_http_run(&api->listeners[i]);
}

/* A request that arrived while a policy write runs (in the same run of libmicrohttpd):
 * suspended until api_http_pause(false), then taken up where it stopped. */
void
api_http_hold(struct api_listener *l, struct req_ctx *x)
{
	struct req_ctx **tail = &l->held;

	MHD_suspend_connection(x->r.conn);
	while (*tail != NULL) /* in order of arrival */
		tail = &(*tail)->next_held;
	x->next_held = NULL;
	*tail = x;
}
