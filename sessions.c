/* SPDX-License-Identifier: MIT */
/* sessions.c -- rgwd's one-time session names: the table, its rows in the store, the sweep */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "common/log.h"
#include "common/util.h"
#include "sessions.h"

struct rgwd_sessions {
	struct ev_loop *loop;
	struct policy_parts *p;
	struct pol_sessions *t;
	uint64_t timer;
};

static int restore_one(void *arg, const struct pol_sess *s);
static void on_sweep(struct ev_loop *loop, uint64_t id, void *arg);
static void purge_write(void *arg, struct pol_store *st);

static int
restore_one(void *arg, const struct pol_sess *s)
{
	struct rgwd_sessions *ss = arg;
	int rc = pol_sess_add(ss->t, s);

	if (rc < 0 && rc != -EEXIST) {
		log_warnx("sessions: cannot restore %s: %s", s->name, strerror(-rc));
		return 1;
	}
	return 0;
}

/* The commit thread (or the main thread when there is none): the rows ended before *arg. */
static void
purge_write(void *arg, struct pol_store *st)
{
	int64_t *before = arg;

	if (pol_session_purge(st, *before) < 0)
		log_warnx("sessions: cannot delete old session rows");
	free(before);
}

static void
on_sweep(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd_sessions *ss = arg;
	int64_t now = (int64_t)util_wall_ms();
	size_t gone;

	(void)id;
	gone = pol_sess_sweep(ss->t, now, NULL, NULL);
	if (gone > 0) {
		int64_t *before = malloc(sizeof(*before));

		/* rows left here (out of memory, queue full) go with a later sweep or start */
		if (before != NULL) {
			*before = now - (int64_t)RGWD_SESSIONS_KEEP_MS;
			if (policy_write_later(ss->p, purge_write, before) < 0)
				free(before);
		}
		log_debug("%s: %zu ended session names forgotten", __func__, gone);
	}
	ss->timer = ev_timer_add(loop, RGWD_SESSIONS_SWEEP_MS, on_sweep, ss);
}

struct rgwd_sessions *
rgwd_sessions_start(struct ev_loop *loop, struct policy_parts *p)
{
	struct pol_store *st = p->store;
	struct rgwd_sessions *ss = calloc(1, sizeof(*ss));
	int64_t now = (int64_t)util_wall_ms();

	if (ss == NULL)
		goto fail;
	ss->loop = loop;
	ss->p = p;
	ss->t = pol_sess_new(RGWD_SESSIONS_MAX, RGWD_SESSIONS_KEEP_MS);
	if (ss->t == NULL)
		goto fail;
	if (pol_session_purge(st, now - (int64_t)RGWD_SESSIONS_KEEP_MS) < 0 ||
	    pol_session_list(st, restore_one, ss) < 0) {
		log_warnx("sessions: cannot read the session names from the store");
		goto fail;
	}
	if (pol_sess_count(ss->t) > 0)
		log_info("sessions: %zu session names restored", pol_sess_count(ss->t));
	ss->timer = ev_timer_add(loop, RGWD_SESSIONS_SWEEP_MS, on_sweep, ss);
	return ss;
fail:
	log_warnx("sessions: cannot start");
	if (ss)
		pol_sess_free(ss->t);
	free(ss);
	return NULL;
}

struct pol_sessions *
rgwd_sessions_table(struct rgwd_sessions *s)
{
	return s ? s->t : NULL;
}

void
rgwd_sessions_stop(struct rgwd_sessions *s)
{
	if (s == NULL)
		return;
	if (s->timer)
		ev_timer_del(s->loop, s->timer);
	pol_sess_free(s->t);
	free(s);
}
