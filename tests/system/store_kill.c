/* SPDX-License-Identifier: MIT */
/* tests/system/store_kill.c -- SIGKILL in the middle of policy replaces keeps the store whole */
/*
 * A cmocka program of the system tier (tests/system/t16_store_kill.sh runs it): random SIGKILLs
 * for up to KILL_BUDGET_S seconds are too slow for make check.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "tests/unit/policy_fixture.h"

#define KILL_HOSTS	5000
#define KILL_ROUNDS	8
#define KILL_MIN_ROUNDS 4
#define KILL_BUDGET_S	120.0

/* variant 0 and 1 differ in every host name, address, service and rule. */
static struct pol_snap *
make_bundle(int n_hosts, int variant)
{
	json_t *root =
		json_pack("{s:i, s:[{s:s, s:[{s:s}]}], s:[s], s:[{s:s}]}", "version", 1, "zones",
			  "name", "kill.test", "nameservers", "name", "ns.kill.test", "pool",
			  variant ? "100.64.1.0/24" : "100.64.0.0/24", "groups", "name",
			  variant ? "g-b" : "g-a");
	json_t *hosts = json_array();
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };
	char buf[128], ip[32];

	for (int h = 0; h < n_hosts; h++) {
		json_t *svcs = json_array(), *fw = json_array();

		snprintf(buf, sizeof(buf), "%c%d.kill.test", variant ? 'b' : 'a', h);
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", variant, (h >> 8) & 255, h & 255);
		for (int k = 0; k < 10; k++) {
			char name[160];

			snprintf(name, sizeof(name), "%s%d.%s", k & 1 ? "udp" : "tcp",
				 1000 + k + variant, buf);
			json_array_append_new(svcs, json_pack("{s:s}", "fqdn", name));
		}
		for (int k = 0; k < 5; k++)
			json_array_append_new(fw, json_pack("{s:s, s:s, s:i, s:s, s:i}",
							    "direction", "ingress", "protocol",
							    "tcp", "dport", 80 + k + variant,
							    "action", "accept", "priority", k));
		json_array_append_new(hosts,
				      json_pack("{s:s, s:s, s:[s], s:o, s:o}", "fqdn", buf, "ipv4",
						ip, "groups", variant ? "g-b" : "g-a", "services",
						svcs, "firewall", fw));
	}
	json_object_set_new(root, "hosts", hosts);
	if (pol_bundle_parse_json(root, &s, &e) != 0)
		fprintf(stderr, "bundle: %s: %s\n", e.field, e.msg);
	json_decref(root);
	return s;
}

static void
child_loop(const char *path, struct pol_snap *a, struct pol_snap *b)
{
	struct pol_err e;
	struct pol_store *st = pol_store_open(path, &e);

	if (st == NULL)
		_exit(2);
	for (unsigned i = 0;; i++) {
		if (pol_store_replace(st, i & 1 ? a : b, &e) != 0) {
			fprintf(stderr, "child: replace: %s: %s\n", e.field, e.msg);
			_exit(3);
		}
	}
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
test_kill_during_replace(void **state)
{
	char *dir = fx_tmpdir(), path[512];
	struct pol_snap *a = make_bundle(KILL_HOSTS, 0), *b = make_bundle(KILL_HOSTS, 1);
	char *ta, *tb;
	struct pol_err e;
	struct pol_store *st;
	double t0, one;
	int seen_a = 0, seen_b = 0, rounds = 0;

	(void)state;
	assert_non_null(dir);
	assert_non_null(a);
	assert_non_null(b);
	ta = pol_bundle_export_text(a);
	tb = pol_bundle_export_text(b);
	snprintf(path, sizeof(path), "%s/kill.db", dir);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	t0 = now_s();
	assert_int_equal(pol_store_replace(st, a, &e), 0);
	one = now_s() - t0;
	pol_store_close(st);
	printf("kill: one replace of %d hosts takes %.3f s\n", KILL_HOSTS, one);

	/* at least KILL_MIN_ROUNDS; more while within the time budget (ASan on a loaded
	 * machine is ten times slower, and run-unit allows a binary 300 s) */
	for (int round = 0; round < KILL_ROUNDS; round++) {
		uint32_t r;
		pid_t pid;
		int status;
		char *got;

		assert_int_equal(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			child_loop(path, a, b);
		/* even rounds: within the first replace (a write of B in flight); odd rounds:
		 * one to three replace times in, after B committed, often inside the next */
		if (round % 2 == 0)
			usleep((useconds_t)(r % (unsigned)(one * 1e6 + 1)) + 20000);
		else
			usleep((useconds_t)(one * 1e6 + r % (unsigned)(2 * one * 1e6 + 1)));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		st = pol_store_open(path, &e);
		assert_non_null(st);
		assert_int_equal(pol_store_integrity_check(st, &e), 0);
		got = fx_store_text(st);
		assert_non_null(got);
		if (strcmp(got, ta) == 0)
			seen_a++;
		else if (strcmp(got, tb) == 0)
			seen_b++;
		else
			fail_msg("round %d: the policy is neither bundle A nor bundle B", round);
		free(got);
		pol_store_close(st);
		rounds = round + 1;
		if (rounds >= KILL_MIN_ROUNDS && now_s() - t0 > KILL_BUDGET_S)
			break;
	}
	printf("kill: %d rounds, store held bundle A %d times and bundle B %d times, "
	       "integrity ok each time\n",
	       rounds, seen_a, seen_b);
	pol_snap_unref(a);
	pol_snap_unref(b);
	free(ta);
	free(tb);
	fx_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_during_replace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
