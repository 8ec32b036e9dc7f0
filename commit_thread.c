/* SPDX-License-Identifier: MIT */
/* commit_thread.c -- the commit thread: policy writes prepared off the main loop */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "common/ev.h"
#include "common/log.h"
#include "dns/dns.h"

/*
 * One thread, one job at a time. The main thread hands it a job (policy_thread_run); the job
 * runs with the thread's own store connection; a step that must run on the main thread
 * (policy_on_main) is posted through the ev_async and the thread waits for it; when the job
 * is over the main thread is woken again and calls done. Everything under mu.
 */
struct policy_thread {
	struct policy_parts *p;
	struct pol_store *st;  /* the thread's own connection to the store */
	struct ev_async *wake; /* thread -> main: a step to run, or the job is over */
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	bool busy;     /* main: a job handed over and its done not yet called */
	bool queued;   /* the job waits for the thread */
	bool finished; /* the job ran: done is due */
	policy_job_fn work;
	policy_step_fn done;
	void *arg;
	policy_step_fn step; /* a step for the main thread, NULL when none is due */
	void *step_arg;
};

static void *thread_main(void *arg);
static void on_wake(struct ev_loop *loop, void *arg);
static void serve_main(struct policy_thread *t);

static void *
thread_main(void *arg)
{
	struct policy_thread *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->queued && !t->stop)
			pthread_cond_wait(&t->cv, &t->mu);
		if (!t->queued)
			break;
		t->queued = false;
		pthread_mutex_unlock(&t->mu);
		t->work(t->arg, t->st);
		pthread_mutex_lock(&t->mu);
		t->finished = true;
		pthread_cond_broadcast(&t->cv);
		ev_async_send(t->wake);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* Main thread, mu held: run the step the thread waits for, or call the finished job's done.
 * Returns with mu held. */
static void
serve_main(struct policy_thread *t)
{
	if (t->step != NULL) {
		policy_step_fn fn = t->step;

		pthread_mutex_unlock(&t->mu);
		fn(t->step_arg);
		pthread_mutex_lock(&t->mu);
		t->step = NULL;
		pthread_cond_broadcast(&t->cv);
	}
	if (t->finished) {
		policy_step_fn done = t->done;
		void *arg = t->arg;

		t->finished = false;
		t->busy = false;
		pthread_mutex_unlock(&t->mu);
		dns_updates_hold(t->p->dns, false);
		done(arg);
		pthread_mutex_lock(&t->mu);
	}
}

static void
on_wake(struct ev_loop *loop, void *arg)
{
	struct policy_thread *t = arg;

	(void)loop;
	pthread_mutex_lock(&t->mu);
	serve_main(t);
	pthread_mutex_unlock(&t->mu);
}

int
policy_thread_start(struct policy_parts *p, struct ev_loop *loop, const char *db_path)
{
	struct policy_thread *t = calloc(1, sizeof(*t));
	struct pol_err e = { 0 };
	int rc = -ENOMEM;

	if (t == NULL)
		return -ENOMEM;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	p->thread = t;
	t->p = p;
	t->st = pol_store_open(db_path, &e);
	if (t->st == NULL)
		return -EIO;
	t->wake = ev_async_new(loop, on_wake, t);
	if (t->wake == NULL)
		return rc;
	rc = pthread_create(&t->th, NULL, thread_main, t);
	if (rc != 0)
		return -rc;
	t->started = true;
	return 0;
}

void
policy_thread_stop(struct policy_parts *p)
{
	struct policy_thread *t = p->thread;

	if (t == NULL)
		return;
	if (t->started) {
		/* a job in flight finishes first: its steps still need this thread */
		pthread_mutex_lock(&t->mu);
		t->stop = true;
		pthread_cond_broadcast(&t->cv);
		while (t->busy) {
			serve_main(t);
			if (t->busy && t->step == NULL && !t->finished)
				pthread_cond_wait(&t->cv, &t->mu);
		}
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->th, NULL);
	}
	ev_async_free(t->wake);
	pol_store_close(t->st);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
	p->thread = NULL;
}

bool
policy_thread_busy(const struct policy_parts *p)
{
	struct policy_thread *t = p->thread;
	bool busy;

	if (t == NULL || !t->started)
		return false;
	pthread_mutex_lock(&t->mu);
	busy = t->busy;
	pthread_mutex_unlock(&t->mu);
	return busy;
}

int
policy_thread_run(void *parts, policy_job_fn work, policy_step_fn done, void *arg)
{
	struct policy_parts *p = parts;
	struct policy_thread *t = p->thread;
	int rc = 0;

	if (t == NULL || !t->started)
		return -ENOTSUP;
	pthread_mutex_lock(&t->mu);
	if (t->busy || t->stop) {
		rc = -EBUSY;
	} else {
		t->busy = t->queued = true;
		t->work = work;
		t->done = done;
		t->arg = arg;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	if (rc == 0)
		dns_updates_hold(p->dns, true); /* UPDATE, a writer too, waits its turn */
	return rc;
}

struct pol_store *
policy_store(const struct policy_parts *p)
{
	const struct policy_thread *t = p->thread;

	/* th is written before the thread runs and never again */
	if (t != NULL && t->started && pthread_equal(pthread_self(), t->th))
		return t->st;
	return p->store;
}

void
policy_on_main(const struct policy_parts *p, policy_step_fn fn, void *arg)
{
	struct policy_thread *t = p->thread;

	if (policy_store(p) == p->store) {
		fn(arg);
		return;
	}
	pthread_mutex_lock(&t->mu);
	t->step = fn;
	t->step_arg = arg;
	pthread_cond_broadcast(&t->cv);
	ev_async_send(t->wake);
	while (t->step != NULL)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}
