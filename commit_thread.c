/* SPDX-License-Identifier: MIT */
/* commit_thread.c -- the commit thread: policy writes prepared off the main loop */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "commit.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/util.h"
#include "dns/dns.h"

/* The commit thread's name (top -H, /proc/PID/task/TID/comm) and nice value; the other
 * threads keep the process's. */
#define COMMIT_THREAD_NAME "rgwd-commit"
#define COMMIT_THREAD_NICE 10

/* A store write handed over by the main thread (policy_write_later), run in order. */
struct pending_write {
	struct pending_write *next;
	policy_job_fn fn;
	void *arg;
};

/*
 * One thread, one job at a time. The main thread hands it a job (policy_thread_run); the job
 * runs with the thread's own store connection; a step that must run on the main thread
 * (policy_on_main) is posted through the ev_async and the thread waits for it; when the job
 * is over the main thread is woken again and calls done. Between jobs, and after the job in
 * flight, the thread runs the main thread's queued store writes (writes), oldest first; it
 * leaves only when none is left. Everything under mu.
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
	struct {
		policy_step_fn fn;
		void *arg;
	} after[POLICY_AFTER_MAX]; /* the thread's own: run after the job (policy_after_job) */
	size_t n_after;
	struct pending_write *writes, **writes_tail; /* queued by the main thread */
	size_t n_writes;			     /* queued or running */
	size_t n_queued;			     /* queued */
	size_t job_after;			     /* queued: the writes queued before the job */
	struct log_rl rl_full;			     /* main thread only */
};

static void *thread_main(void *arg);
static void on_wake(struct ev_loop *loop, void *arg);
static void serve_main(struct policy_thread *t);
static bool thread_busy(const struct policy_parts *p, bool writes);
static void run_writes(struct policy_thread *t);
static void audit_write(void *arg, struct pol_store *st);
static const char *copy_str(const char *s, char **at);

static void *
thread_main(void *arg)
{
	struct policy_thread *t = arg;

	/* DNS first: on a busy machine a waking main thread preempts this one at once, instead of
	 * waiting out its time slice (the tail of the DNS answers during a big PUT /bundle). Only
	 * when both want the same CPU: an idle CPU still runs a write at full speed. */
	(void)pthread_setname_np(pthread_self(), COMMIT_THREAD_NAME);
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), COMMIT_THREAD_NICE) < 0)
		log_warn("rgwd: cannot lower the commit thread's priority");
	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->queued && t->writes == NULL && !t->stop)
			pthread_cond_wait(&t->cv, &t->mu);
		run_writes(t);
		if (!t->queued && t->stop)
			break; /* no write left */
		if (!t->queued)
			continue;
		t->queued = false;
		pthread_mutex_unlock(&t->mu);
		t->work(t->arg, t->st);
		pthread_mutex_lock(&t->mu);
		t->finished = true;
		pthread_cond_broadcast(&t->cv);
		ev_async_send(t->wake);
		pthread_mutex_unlock(&t->mu);
		/* after the reply is on its way: what the job left for then (policy_after_job) */
		for (size_t i = 0; i < t->n_after; i++)
			t->after[i].fn(t->after[i].arg);
		t->n_after = 0;
		/* The job's COMMIT ran on the main thread, without a checkpoint: do its I/O here,
		 * once the log is as long as SQLite's own threshold. Not after each job: the
		 * COMMIT after a complete checkpoint starts the log over and syncs its header, on
		 * the main thread. */
		if (pol_store_wal_pages(t->st) >= POL_WAL_CHECKPOINT_PAGES &&
		    pol_store_checkpoint(t->st) < 0)
			log_warnx("rgwd: WAL checkpoint failed (retried after the next write)");
		pthread_mutex_lock(&t->mu);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* The thread (or the main thread once it is joined), mu held: run the queued writes, oldest
 * first (one queued while they run too), up to the job handed over after them. */
static void
run_writes(struct policy_thread *t)
{
	struct pending_write *w;

	/* a job handed over after some writes runs after them, before the later ones */
	while ((w = t->writes) != NULL && !(t->queued && t->job_after == 0)) {
		t->writes = w->next;
		if (t->writes == NULL)
			t->writes_tail = &t->writes;
		t->n_queued--;
		if (t->queued)
			t->job_after--;
		pthread_mutex_unlock(&t->mu);
		w->fn(w->arg, t->st);
		free(w);
		pthread_mutex_lock(&t->mu);
		t->n_writes--;
	}
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
	t->writes_tail = &t->writes;
	t->rl_full = (struct log_rl)LOG_RL_INIT(5000, 1);
	p->thread = t;
	t->p = p;
	t->st = pol_store_open(db_path, &e);
	if (t->st == NULL)
		return -EIO;
	/* a job's COMMIT runs on the main thread (commit.c): no checkpoint I/O there */
	if (pol_store_set_autocheckpoint(t->st, false) < 0)
		log_warnx("rgwd: cannot defer the commit connection's WAL checkpoints");
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
		/* a job in flight finishes first: its steps still need this thread; the queued
		 * writes are run by the thread before it leaves */
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
		/* a write queued by the last steps, after the thread looked: nobody else writes */
		pthread_mutex_lock(&t->mu);
		run_writes(t);
		pthread_mutex_unlock(&t->mu);
	}
	ev_async_free(t->wake);
	pol_store_close(t->st);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
	p->thread = NULL;
}

/* A job in flight, or (writes) a queued write not finished. Main thread. */
static bool
thread_busy(const struct policy_parts *p, bool writes)
{
	struct policy_thread *t = p->thread;
	bool busy;

	if (t == NULL || !t->started)
		return false;
	pthread_mutex_lock(&t->mu);
	busy = t->busy || (writes && t->n_writes > 0);
	pthread_mutex_unlock(&t->mu);
	return busy;
}

bool
policy_thread_busy(const struct policy_parts *p)
{
	return thread_busy(p, true);
}

bool
policy_thread_job(const struct policy_parts *p)
{
	return thread_busy(p, false);
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
		t->job_after = t->n_queued;
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

void
policy_after_job(const struct policy_parts *p, policy_step_fn fn, void *arg)
{
	struct policy_thread *t = p->thread;

	/* after is the thread's alone: only a job, on the thread, adds to it */
	if (policy_store(p) == p->store || t->n_after == POLICY_AFTER_MAX) {
		fn(arg);
		return;
	}
	t->after[t->n_after].fn = fn;
	t->after[t->n_after].arg = arg;
	t->n_after++;
}

int
policy_write_later(struct policy_parts *p, policy_job_fn fn, void *arg)
{
	struct policy_thread *t = p->thread;
	struct pending_write *w;
	int rc = 0;

	if (t == NULL || !t->started) {
		fn(arg, p->store); /* no thread: nobody else writes in this process */
		return 0;
	}
	pthread_mutex_lock(&t->mu);
	if (t->n_writes >= POLICY_WRITES_MAX || (w = malloc(sizeof(*w))) == NULL) {
		rc = t->n_writes >= POLICY_WRITES_MAX ? -ENOBUFS : -ENOMEM;
	} else {
		w->next = NULL;
		w->fn = fn;
		w->arg = arg;
		*t->writes_tail = w;
		t->writes_tail = &w->next;
		t->n_writes++;
		t->n_queued++;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	if (rc < 0)
		log_rl(&t->rl_full, LOG_LVL_WARN, "rgwd: a store write was dropped: %s",
		       strerror(-rc));
	return rc;
}

/* An audit line's copy: the change and its strings in one block. */
struct audit_copy {
	struct pol_change c;
	char text[];
};

/* Another process may hold the store's write lock past the busy timeout (5 s): the line waits
 * for it this many times before it is logged as lost (the writes queued behind it wait too). */
#define AUDIT_TRIES 6

static void
audit_write(void *arg, struct pol_store *st)
{
	struct audit_copy *a = arg;
	int rc, tries = 0;

	while ((rc = pol_audit_append(st, &a->c, NULL, NULL)) == -EBUSY && ++tries < AUDIT_TRIES)
		log_warnx("rgwd: the store is locked by another process: an audit line waits");
	if (rc < 0)
		log_warnx("rgwd: cannot write the audit line (%s %s %s)",
			  a->c.actor ? a->c.actor : "-", a->c.action ? a->c.action : "-",
			  a->c.resource ? a->c.resource : "-");
	free(a);
}

/* Copy s (NULL stays NULL) to *at, which moves past it. */
static const char *
copy_str(const char *s, char **at)
{
	char *d = *at;

	if (s == NULL)
		return NULL;
	strcpy(d, s);
	*at += strlen(s) + 1;
	return d;
}

void
policy_audit_later(void *parts, const struct pol_change *c)
{
	const char *strs[] = { c->actor, c->action, c->resource, c->detail, c->tenant };
	size_t len = 0;
	struct audit_copy *a;
	char *at;

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		len += strs[i] != NULL ? strlen(strs[i]) + 1 : 0;
	a = malloc(sizeof(*a) + len);
	if (a == NULL) {
		log_warnx("rgwd: out of memory: an audit line (%s %s) is lost",
			  c->actor ? c->actor : "-", c->action ? c->action : "-");
		return;
	}
	at = a->text;
	a->c = *c;
	a->c.actor = copy_str(c->actor, &at);
	a->c.action = copy_str(c->action, &at);
	a->c.resource = copy_str(c->resource, &at);
	a->c.detail = copy_str(c->detail, &at);
	a->c.tenant = copy_str(c->tenant, &at);
	if (policy_write_later(parts, audit_write, a) < 0)
		free(a);
}
