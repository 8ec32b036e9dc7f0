/* SPDX-License-Identifier: MIT */
/* api/conn.c -- per-listener connection accounting: request-head deadlines, the connection cap */
#include <stdlib.h>
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
	struct api_conn *prev, *next;
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
	ac->next = NULL;
	ac->prev = g->wait_tail;
	if (g->wait_tail)
		g->wait_tail->next = ac;
	else
		g->wait_head = ac;
	g->wait_tail = ac;
	if (!g->wait_timer)
		wait_arm(g);
}

static void
wait_del(struct api_conn *ac)
{
	struct api_conn_guard *g = ac->g;

	if (!ac->waiting)
		return;
	if (ac->prev)
		ac->prev->next = ac->next;
	else
		g->wait_head = ac->next;
	if (ac->next)
		ac->next->prev = ac->prev;
	else
		g->wait_tail = ac->prev;
	ac->prev = ac->next = NULL;
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

	if (!g->wait_head)
		return;
	d = g->wait_head->deadline_ms > now ? g->wait_head->deadline_ms - now : 0;
	g->wait_timer = ev_timer_add(g->api->loop, d + 1, wait_expire, g);
}

static void
wait_expire(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct api_conn_guard *g = arg;
	uint64_t now = util_mono_ms();
	bool any = false;

	(void)loop;
	(void)id;
	g->wait_timer = 0;
	while (g->wait_head && g->wait_head->deadline_ms <= now) {
		g->api->stats.request_timeouts++;
		conn_shut(g->wait_head);
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
	if (g->n_conns > (size_t)g->api->conf->api_max_conns && g->wait_head != ac) {
		g->api->stats.conns_shed++;
		conn_shut(g->wait_head);
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
