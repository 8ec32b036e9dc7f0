/* SPDX-License-Identifier: MIT */
/* api/conn.c -- per-listener connection accounting: request-head deadlines, the connection cap */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "conn.h"
#include "internal.h"

/*
 * One open connection, from libmicrohttpd's STARTED to CLOSED notification. While it waits
 * for a request head it is on its guard's wait list, oldest deadline first: libmicrohttpd
 * only knows inactivity timeouts, which a client trickling bytes resets, and the rate limiter
 * never sees a connection that sends no request.
 */
struct api_conn {
	struct list node; /* in g->waits while waiting */
	struct api_conn_guard *g;
	struct MHD_Connection *c;
	uint64_t deadline_ms; /* a complete request head by then */
	bool waiting;	      /* on g's wait list */
	bool closing;	      /* shut down by us: libmicrohttpd closes it on its next run */
};

static struct api_conn *conn_of(struct MHD_Connection *c);
static void wait_add(struct api_conn *ac, uint64_t now);
static void wait_del(struct api_conn *ac);
static void conn_shut(struct api_conn *ac);
static void wait_arm(struct api_conn_guard *g);
static void wait_expire(struct ev_loop *loop, uint64_t id, void *arg);

void
api_conn_guard_init(struct api_conn_guard *g)
{
	memset(g, 0, sizeof(*g));
	list_init(&g->waits);
}

/* The connection that has waited longest for its request head, or NULL. */
static struct api_conn *
oldest_wait(struct api_conn_guard *g)
{
	return list_first_item(&g->waits, struct api_conn, node);
}

static struct api_conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		c ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;

	return ci ? ci->socket_context : NULL;
}

static void
wait_add(struct api_conn *ac, uint64_t now)
{
	struct api_conn_guard *g = ac->g;

	if (ac->waiting)
		wait_del(ac);
	/* every deadline is now + the same timeout: appending keeps the list sorted */
	ac->deadline_ms = now + (uint64_t)g->api->conf->api_request_timeout_ms;
	ac->waiting = true;
	list_append(&g->waits, &ac->node);
	if (!g->wait_timer)
		wait_arm(g);
}

static void
wait_del(struct api_conn *ac)
{
	if (!ac->waiting)
		return;
	list_unlink(&ac->node);
	ac->waiting = false;
}

/* Close a connection from outside libmicrohttpd's callbacks: the shutdown makes its socket
 * readable at EOF, and libmicrohttpd closes it (and notifies CLOSED) on its next run. */
static void
conn_shut(struct api_conn *ac)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(ac->c, MHD_CONNECTION_INFO_CONNECTION_FD);

	wait_del(ac);
	ac->closing = true;
	if (ci)
		(void)shutdown(ci->connect_fd, SHUT_RDWR);
}

static void
wait_arm(struct api_conn_guard *g)
{
	uint64_t now = util_mono_ms(), d;

	struct api_conn *first = oldest_wait(g);

	if (!first)
		return;
	d = first->deadline_ms > now ? first->deadline_ms - now : 0;
	g->wait_timer = ev_timer_add(g->api->loop, d + 1, wait_expire, g);
}

static void
wait_expire(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct api_conn_guard *g = arg;
	uint64_t now = util_mono_ms();
	struct api_conn *first;
	bool any = false;

	(void)loop;
	(void)id;
	g->wait_timer = 0;
	while ((first = oldest_wait(g)) != NULL && first->deadline_ms <= now) {
		g->api->stats.request_timeouts++;
		conn_shut(first);
		any = true;
	}
	wait_arm(g);
	if (any)
		g->run(g->run_arg);
}

void
api_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		enum MHD_ConnectionNotificationCode toe)
{
	struct api_conn_guard *g = cls;
	struct api_conn *ac = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!ac)
			return;
		wait_del(ac);
		if (g->n_conns-- > (size_t)g->api->conf->api_max_conns)
			g->rerun = true;
		free(ac);
		*socket_context = NULL;
		return;
	}
	ac = calloc(1, sizeof(*ac));
	if (!ac)
		return; /* no deadline for this one; libmicrohttpd's inactivity timeout remains */
	ac->g = g;
	ac->c = c;
	*socket_context = ac;
	g->n_conns++;
	wait_add(ac, util_mono_ms());
	/* Full: the connection that has waited longest for its request makes room, so that no
	 * number of idle connections can keep an operator out. */
	if (g->n_conns > (size_t)g->api->conf->api_max_conns && oldest_wait(g) != ac) {
		g->api->stats.conns_shed++;
		conn_shut(oldest_wait(g));
	}
}

void
api_conn_head_in(struct MHD_Connection *c)
{
	struct api_conn *ac = conn_of(c);

	if (ac)
		wait_del(ac);
}

void
api_conn_request_done(struct MHD_Connection *c, enum MHD_RequestTerminationCode toe)
{
	struct api_conn *ac = conn_of(c);

	if (ac && !ac->closing && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		wait_add(ac, util_mono_ms());
}

void
api_conn_guard_stop(struct api_conn_guard *g)
{
	if (g->wait_timer)
		ev_timer_del(g->api->loop, g->wait_timer);
	g->wait_timer = 0;
}
