/* SPDX-License-Identifier: MIT */
/* tests/unit/test_session.c -- session names (table, labels, deadlines, budgets, threads) and
 * tenants */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "policy/session.h"
#include "policy/store.h"

static void
mk(struct pol_sess *s, const char *name, const char *tenant, int64_t deadline, uint32_t max_uses)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	snprintf(s->service, sizeof(s->service), "www.bank.gwa.demo");
	s->created_ms = 1000;
	s->deadline_ms = deadline;
	s->max_uses = max_uses;
}

static void
test_labels(void **state)
{
	char a[POL_SESS_LABEL_LEN + 1], b[POL_SESS_LABEL_LEN + 1];
	(void)state;

	assert_int_equal(pol_sess_label(a, sizeof(a)), 0);
	assert_int_equal(pol_sess_label(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), POL_SESS_LABEL_LEN);
	assert_memory_equal(a, "s-", 2);
	assert_int_equal(strspn(a + 2, "abcdefghijklmnopqrstuvwxyz234567"), POL_SESS_LABEL_LEN - 2);
	assert_string_not_equal(a, b);
	assert_int_equal(pol_sess_label(a, POL_SESS_LABEL_LEN), -ENOSPC);
}

static void
test_lifecycle(void **state)
{
	struct pol_sessions *t = pol_sess_new(10, 5000);
	char svc[POL_NAME_MAX], ten[POL_TENANT_MAX];
	struct pol_sess s, g;
	(void)state;

	assert_non_null(t);
	mk(&s, "s-a.bank.gwa.demo", "bank", 10000, 0);
	assert_int_equal(pol_sess_add(t, &s), 0);
	assert_int_equal(pol_sess_add(t, &s), -EEXIST);
	assert_int_equal(
		pol_sess_lookup(t, "s-b.bank.gwa.demo", 2000, false, svc, sizeof(svc), NULL),
		POL_SESS_NONE);
	assert_int_equal(pol_sess_lookup(t, "s-a.bank.gwa.demo", 2000, true, svc, sizeof(svc), ten),
			 POL_SESS_LIVE);
	assert_string_equal(svc, "www.bank.gwa.demo");
	assert_string_equal(ten, "bank");
	/* the deadline ends it */
	assert_int_equal(
		pol_sess_lookup(t, "s-a.bank.gwa.demo", 10000, false, svc, sizeof(svc), NULL),
		POL_SESS_ENDED);
	/* another tenant cannot end it; its owner can, once */
	mk(&s, "s-c.bank.gwa.demo", "bank", 10000, 0);
	assert_int_equal(pol_sess_add(t, &s), 0);
	assert_int_equal(pol_sess_end(t, "s-c.bank.gwa.demo", "other", 3000), -ENOENT);
	assert_int_equal(pol_sess_end(t, "s-c.bank.gwa.demo", "bank", 3000), 0);
	assert_int_equal(pol_sess_end(t, "s-c.bank.gwa.demo", "bank", 3000), -EALREADY);
	assert_int_equal(
		pol_sess_lookup(t, "s-c.bank.gwa.demo", 3001, false, svc, sizeof(svc), NULL),
		POL_SESS_ENDED);
	assert_int_equal(pol_sess_get(t, "s-c.bank.gwa.demo", &g), 0);
	assert_int_equal(g.ended_ms, 3000);
	/* tombstones are kept keep_ended_ms, then swept; a live name never is */
	mk(&s, "s-d.bank.gwa.demo", "bank", 100000, 0);
	assert_int_equal(pol_sess_add(t, &s), 0);
	assert_int_equal(pol_sess_count(t), 3);
	assert_int_equal(pol_sess_sweep(t, 7999, NULL, NULL), 0);
	assert_int_equal(pol_sess_sweep(t, 8000, NULL, NULL), 1);  /* c: ended at 3000 */
	assert_int_equal(pol_sess_sweep(t, 15000, NULL, NULL), 1); /* a: deadline 10000 */
	assert_int_equal(pol_sess_count(t), 1);
	assert_int_equal(pol_sess_get(t, "s-a.bank.gwa.demo", &g), -ENOENT);
	assert_int_equal(pol_sess_get(t, "s-d.bank.gwa.demo", &g), 0);
	pol_sess_free(t);
	pol_sess_free(NULL);
}

static void
test_budget_and_capacity(void **state)
{
	struct pol_sessions *t = pol_sess_new(2, 1000);
	char svc[POL_NAME_MAX];
	struct pol_sess s;
	(void)state;

	mk(&s, "s-a.x", "bank", 10000, 2);
	assert_int_equal(pol_sess_add(t, &s), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pol_sess_lookup(t, "s-a.x", 1, true, svc, sizeof(svc), NULL),
				 POL_SESS_LIVE);
	/* a look without charge does not spend; the budget is spent */
	assert_int_equal(pol_sess_lookup(t, "s-a.x", 1, false, svc, sizeof(svc), NULL),
			 POL_SESS_ENDED);
	assert_int_equal(pol_sess_lookup(t, "s-a.x", 1, true, svc, sizeof(svc), NULL),
			 POL_SESS_ENDED);
	mk(&s, "s-b.x", "bank", 10000, 0);
	assert_int_equal(pol_sess_add(t, &s), 0);
	mk(&s, "s-c.x", "bank", 10000, 0);
	assert_int_equal(pol_sess_add(t, &s), -ENOSPC);
	pol_sess_free(t);
}

/* Readers on other threads while the main thread adds and ends names (ASan / TSan food). */
struct rd {
	struct pol_sessions *t;
	atomic_bool stop;
	atomic_ulong live;
};

static void *
reader(void *arg)
{
	struct rd *r = arg;
	char svc[POL_NAME_MAX], name[64];
	unsigned i = 0;

	while (!atomic_load(&r->stop)) {
		snprintf(name, sizeof(name), "s-%u.bank.gwa.demo", i++ % 20000);
		if (pol_sess_lookup(r->t, name, 5, true, svc, sizeof(svc), NULL) == POL_SESS_LIVE)
			atomic_fetch_add(&r->live, 1);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct rd r = { .t = pol_sess_new(100000, 0) };
	pthread_t th[2];
	struct pol_sess s;
	char svc[POL_NAME_MAX];
	(void)state;

	atomic_init(&r.stop, false);
	atomic_init(&r.live, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &r), 0);
	for (unsigned i = 0; i < 20000; i++) {
		char n[64];
		snprintf(n, sizeof(n), "s-%u.bank.gwa.demo", i);
		mk(&s, n, "bank", 1000, 0);
		assert_int_equal(pol_sess_add(r.t, &s), 0);
		if (i % 3 == 0)
			assert_int_equal(pol_sess_end(r.t, n, NULL, 4), 0);
	}
	pol_sess_sweep(r.t, 5, NULL, NULL); /* the ended ones go */
	atomic_store(&r.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(pol_sess_count(r.t), 20000 - 6667);
	assert_int_equal(
		pol_sess_lookup(r.t, "s-1.bank.gwa.demo", 5, false, svc, sizeof(svc), NULL),
		POL_SESS_LIVE);
	assert_int_equal(
		pol_sess_lookup(r.t, "s-3.bank.gwa.demo", 5, false, svc, sizeof(svc), NULL),
		POL_SESS_NONE);
	pol_sess_free(r.t);
}

/* Rows in the store: insert, end, list back, purge. */
static int
collect(void *arg, const struct pol_sess *s)
{
	struct pol_sessions *t = arg;

	return pol_sess_add(t, s) < 0;
}

static void
test_store(void **state)
{
	struct pol_store *st = pol_store_open(":memory:", NULL);
	struct pol_sessions *t = pol_sess_new(10, 1000);
	struct pol_sess s, g;
	(void)state;

	assert_non_null(st);
	mk(&s, "s-a.bank.gwa.demo", "bank", 10000, 3);
	assert_int_equal(pol_session_insert(st, &s), 0);
	assert_int_equal(pol_session_insert(st, &s), -EEXIST);
	mk(&s, "s-b.bank.gwa.demo", "bank", 10000, 0);
	assert_int_equal(pol_session_insert(st, &s), 0);
	assert_int_equal(pol_session_end(st, "s-b.bank.gwa.demo", 2000), 0);
	assert_int_equal(pol_session_end(st, "s-z.bank.gwa.demo", 2000), -ENOENT);
	assert_int_equal(pol_session_list(st, collect, t), 0);
	assert_int_equal(pol_sess_count(t), 2);
	assert_int_equal(pol_sess_get(t, "s-a.bank.gwa.demo", &g), 0);
	assert_int_equal(g.max_uses, 3);
	assert_int_equal(g.deadline_ms, 10000);
	assert_int_equal(pol_sess_get(t, "s-b.bank.gwa.demo", &g), 0);
	assert_int_equal(g.ended_ms, 2000);
	/* b ended at 2000, a ends at 10000 */
	assert_int_equal(pol_session_purge(st, 5000), 0);
	pol_sess_free(t);
	t = pol_sess_new(10, 1000);
	assert_int_equal(pol_session_list(st, collect, t), 0);
	assert_int_equal(pol_sess_count(t), 1);
	assert_int_equal(pol_sess_get(t, "s-a.bank.gwa.demo", &g), 0);
	pol_sess_free(t);
	pol_store_close(st);
}

static int
count_tenants(void *arg, const struct pol_tenant *t)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

/* Tenants: ownership by label boundary, rows in the store. */
static void
test_tenants(void **state)
{
	struct pol_store *st = pol_store_open(":memory:", NULL);
	struct pol_tenant t, g;
	int n = 0;
	(void)state;

	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "bank");
	snprintf(t.domains[0], sizeof(t.domains[0]), "bank.gwa.demo");
	snprintf(t.domains[1], sizeof(t.domains[1]), "pay.gwa.demo");
	t.n_domains = 2;
	t.session_rate = 35;
	assert_true(pol_tenant_owns(&t, "bank.gwa.demo"));
	assert_true(pol_tenant_owns(&t, "www.bank.gwa.demo"));
	assert_true(pol_tenant_owns(&t, "s-x.pay.gwa.demo"));
	assert_false(pol_tenant_owns(&t, "xbank.gwa.demo"));
	assert_false(pol_tenant_owns(&t, "gwa.demo"));
	assert_false(pol_tenant_owns(&t, "www.isp.gwa.demo"));

	assert_non_null(st);
	assert_int_equal(pol_tenant_get(st, "bank", &g), -ENOENT);
	assert_int_equal(pol_tenant_put(st, &t), 0);
	assert_int_equal(pol_tenant_get(st, "bank", &g), 0);
	assert_int_equal(g.n_domains, 2);
	assert_string_equal(g.domains[0], "bank.gwa.demo");
	assert_string_equal(g.domains[1], "pay.gwa.demo");
	assert_int_equal(g.session_rate, 35);
	t.n_domains = 1;
	assert_int_equal(pol_tenant_put(st, &t), 0); /* replaces */
	assert_int_equal(pol_tenant_get(st, "bank", &g), 0);
	assert_int_equal(g.n_domains, 1);
	/* tokens bound to the tenant; LIKE's wildcards in a name are literal */
	char who[POL_TENANT_MAX];
	snprintf(t.tokens[0], sizeof(t.tokens[0]), "bank-backend");
	snprintf(t.tokens[1], sizeof(t.tokens[1]), "a_b");
	t.n_tokens = 2;
	assert_int_equal(pol_tenant_put(st, &t), 0);
	assert_int_equal(pol_tenant_of_token(st, "bank-backend", who), 0);
	assert_string_equal(who, "bank");
	assert_int_equal(pol_tenant_of_token(st, "a_b", who), 0);
	assert_int_equal(pol_tenant_of_token(st, "axb", who), -ENOENT);
	assert_int_equal(pol_tenant_of_token(st, "bank", who), -ENOENT);
	assert_int_equal(pol_tenant_of_token(st, "%", who), -ENOENT);
	assert_int_equal(pol_tenant_get(st, "bank", &g), 0);
	assert_int_equal(g.n_tokens, 2);
	assert_string_equal(g.tokens[1], "a_b");
	assert_int_equal(pol_tenant_list(st, count_tenants, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pol_tenant_delete(st, "bank"), 0);
	assert_int_equal(pol_tenant_delete(st, "bank"), -ENOENT);
	pol_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_budget_and_capacity),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_tenants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
