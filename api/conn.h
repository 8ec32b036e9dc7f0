/* SPDX-License-Identifier: MIT */
/* api/conn.h -- per-listener connection accounting: request-head deadlines, the connection cap */
#ifndef RGW_API_CONN_H
#define RGW_API_CONN_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/list.h"

struct api;
struct api_conn;

/* Run libmicrohttpd again after connections were shut outside its callbacks. */
typedef void (*api_conn_run_fn)(void *arg);

/*
 * The connections of one listener. Embedded in the listener (it is libmicrohttpd's connection
 * notification closure, so it must not move while the daemon runs). api_conn_guard_init it,
 * then set api, run and run_arg. Loop context only.
 */
struct api_conn_guard {
	struct api *api;
	api_conn_run_fn run; /* called after deadlines expired and connections were shut */
	void *run_arg;
	uint64_t wait_timer;
	size_t n_conns;
	struct list waits; /* api_conns waiting for a request head, oldest first */
	bool rerun; /* a connection closed at the limit: the owner runs libmicrohttpd again */
};

void api_conn_guard_init(struct api_conn_guard *g);

/*
 * MHD_OPTION_NOTIFY_CONNECTION callback, cls is the guard. A new connection gets a request
 * head deadline ([api] request_timeout_ms); over [api] max_conns, the connection that has
 * waited longest for its request is shut to make room.
 */
void api_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		     enum MHD_ConnectionNotificationCode toe);

/* The request head on c is complete: its deadline no longer applies. */
void api_conn_head_in(struct MHD_Connection *c);

/* A request on c terminated with toe: a kept-alive connection waits for its next head. */
void api_conn_request_done(struct MHD_Connection *c, enum MHD_RequestTerminationCode toe);

/* Cancel the guard's timer (the listener stops; libmicrohttpd frees the connections). */
void api_conn_guard_stop(struct api_conn_guard *g);

#endif
