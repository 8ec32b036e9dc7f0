/* SPDX-License-Identifier: MIT */
/* sessions.h -- rgwd's one-time session names: the table, its rows in the store, the sweep */
#ifndef RGW_SESSIONS_H
#define RGW_SESSIONS_H

#include "common/ev.h"
#include "policy/session.h"
#include "policy/store.h"

#define RGWD_SESSIONS_MAX      4000000		     /* live names and tombstones held */
#define RGWD_SESSIONS_KEEP_MS  (24ull * 3600 * 1000) /* an ended name is evidence for a day */
#define RGWD_SESSIONS_SWEEP_MS (60 * 1000)

struct rgwd_sessions;

struct policy_parts;
/*
 * The session table restored from p's store (rows ended more than a day ago are deleted
 * first), and a timer that forgets old tombstones in memory every minute and has their rows
 * deleted by the commit thread (policy_write_later: the main thread never waits for the
 * store's write lock). NULL on failure (logged). Main loop thread.
 */
struct rgwd_sessions *rgwd_sessions_start(struct ev_loop *loop, struct policy_parts *p);
/* The table (read by the DNS and ALG threads, written by the API). */
struct pol_sessions *rgwd_sessions_table(struct rgwd_sessions *s);
/* Once no thread reads the table any more. NULL is a no-op. */
void rgwd_sessions_stop(struct rgwd_sessions *s);

#endif
