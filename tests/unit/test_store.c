/* SPDX-License-Identifier: MIT */
/* tests/unit/test_store.c -- SQLite policy store: schema, accessors, snapshot, replace */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "policy_fixture.h"

struct fx {
	char *dir;
	char path[512];
	struct pol_store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pol_err e = { { 0 }, { 0 } };

	if (f == NULL || (f->dir = fx_tmpdir()) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/policy.db", f->dir);
	f->st = pol_store_open(f->path, &e);
	if (f->st == NULL) {
		fprintf(stderr, "open: %s: %s\n", e.field, e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	pol_store_close(f->st);
	fx_rmdir(f->dir);
	free(f);
	return 0;
}

/* Raw SQL on the database file through a second connection (test inspection only). */
static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static long long
raw_count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

static void
load_example(struct pol_store *st)
{
	char *text = fx_example();
	struct pol_snap *s;
	struct pol_err e = { { 0 }, { 0 } };

	assert_non_null(text);
	s = fx_parse(text);
	assert_non_null(s);
	if (pol_store_replace(st, s, &e) != 0)
		fail_msg("replace: %s: %s", e.field, e.msg);
	pol_snap_unref(s);
	free(text);
}

static void
test_open_fresh(void **state)
{
	struct fx *f = *state;
	struct pol_admission a;

	assert_int_equal(pol_store_schema_version(f->st), POL_SCHEMA_VERSION);
	assert_true(pol_store_is_empty(f->st));
	assert_int_equal(pol_admission_get(f->st, &a), 0);
	assert_false(a.dns_tcp);
	assert_int_equal(a.alias_ttl_ms, 5000);
	assert_int_equal(pol_store_integrity_check(f->st, NULL), 0);
	assert_int_equal(pol_token_count(f->st), 0);
}

static void
test_pragmas(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *s;

	/* WAL is a property of the file: a second connection sees it */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
test_snapshot_replace_example(void **state)
{
	struct fx *f = *state;
	char *text = fx_example();
	struct pol_snap *parsed = fx_parse(text), *snap = NULL;
	char *want = pol_bundle_export_text(parsed), *got;

	load_example(f->st);
	assert_false(pol_store_is_empty(f->st));
	assert_int_equal(pol_store_snapshot(f->st, &snap), 0);
	assert_int_equal(snap->n_hosts, 11);
	assert_int_equal(snap->n_services, 236);
	assert_int_equal(snap->n_pool_addrs, 12);
	assert_true(snap->generation > parsed->generation);
	/* effective protocol/port resolved from the label convention */
	for (size_t i = 0; i < snap->n_services; i++) {
		if (strcmp(snap->services[i].fqdn, "udp2005.test203.gwa.demo") == 0) {
			assert_int_equal(snap->services[i].protocol, POL_PROTO_UDP);
			assert_int_equal(snap->services[i].port, 2005);
			assert_false(snap->services[i].has_port);
		}
	}
	/* ids are sorted and lookups work */
	for (size_t i = 0; i < snap->n_hosts; i++)
		assert_ptr_equal(pol_snap_host(snap, snap->hosts[i].id), &snap->hosts[i]);
	assert_non_null(pol_snap_host_by_fqdn(snap, "test205.gwa.demo"));
	got = pol_bundle_export_text(snap);
	assert_string_equal(got, want);
	free(got);
	pol_snap_unref(snap);

	/* replacing again with the same content gives the same export */
	load_example(f->st);
	got = fx_store_text(f->st);
	assert_string_equal(got, want);
	assert_int_equal(pol_store_integrity_check(f->st, NULL), 0);
	free(got);
	free(want);
	pol_snap_unref(parsed);
	free(text);
}

static struct pol_snap *
big_bundle(int n_hosts)
{
	json_t *root = json_pack("{s:i, s:[{s:s, s:[{s:s}]}], s:[s], s:[{s:s}]}", "version", 1,
				 "zones", "name", "big.test", "nameservers", "name", "ns.big.test",
				 "pool", "100.64.0.0/24", "groups", "name", "g1");
	json_t *hosts = json_array();
	struct pol_snap *s = NULL;
	struct pol_err e = { { 0 }, { 0 } };
	char buf[128], ip[32];

	for (int h = 0; h < n_hosts; h++) {
		json_t *svcs = json_array(), *fw = json_array();

		snprintf(buf, sizeof(buf), "h%d.big.test", h);
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", h >> 16, (h >> 8) & 255, h & 255);
		for (int k = 0; k < 10; k++) {
			char name[160];

			snprintf(name, sizeof(name), "tcp%d.%s", 1000 + k, buf);
			json_array_append_new(svcs, json_pack("{s:s}", "fqdn", name));
		}
		for (int k = 0; k < 5; k++)
			json_array_append_new(fw,
					      json_pack("{s:s, s:s, s:i, s:s, s:i}", "direction",
							"ingress", "protocol", "tcp", "dport",
							80 + k, "action", "accept", "priority", k));
		json_array_append_new(hosts, json_pack("{s:s, s:s, s:[s], s:o, s:o}", "fqdn", buf,
						       "ipv4", ip, "groups", "g1", "services", svcs,
						       "firewall", fw));
	}
	json_object_set_new(root, "hosts", hosts);
	if (pol_bundle_parse_json(root, &s, &e) != 0)
		fail_msg("big bundle: %s: %s", e.field, e.msg);
	json_decref(root);
	return s;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 1,000 hosts x (10 services + 5 rules): printed, not asserted (timing is not a test). */
static void
test_replace_1000_hosts(void **state)
{
	struct fx *f = *state;
	struct pol_snap *s = big_bundle(1000), *back = NULL;
	struct pol_err e = { { 0 }, { 0 } };
	double t0, t1, t2;

	assert_non_null(s);
	t0 = now_s();
	assert_int_equal(pol_store_replace(f->st, s, &e), 0);
	t1 = now_s();
	assert_int_equal(pol_store_snapshot(f->st, &back), 0);
	t2 = now_s();
	assert_int_equal(back->n_hosts, 1000);
	assert_int_equal(back->n_services, 10000);
	assert_int_equal(back->n_fw_rules, 5000);
	assert_int_equal(back->n_host_groups, 1000);
	printf("store: replace of 1000 hosts (10000 services, 5000 rules) took %.3f s, "
	       "snapshot %.3f s\n",
	       t1 - t0, t2 - t1);
	pol_snap_unref(back);
	pol_snap_unref(s);
}

static void
test_migrate_v0(void **state)
{
	char *dir = fx_tmpdir();
	char path[512];
	struct pol_err e = { { 0 }, { 0 } };
	struct pol_store *st;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/v0.db", dir);
	/* a database from before versioning: exists, no schema_version table, empty */
	assert_int_equal(raw_exec(path, "PRAGMA user_version = 0"), 0);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM sqlite_master"), 0);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	assert_int_equal(pol_store_schema_version(st), POL_SCHEMA_VERSION);
	assert_true(pol_store_is_empty(st));
	pol_store_close(st);
	assert_int_equal(raw_count(path, "SELECT version FROM schema_version"), POL_SCHEMA_VERSION);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM admission"), 1);
	/* opening again is a no-op */
	st = pol_store_open(path, &e);
	assert_non_null(st);
	pol_store_close(st);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM schema_version"), 1);
	fx_rmdir(dir);
}

static void
test_migrate_future_refused(void **state)
{
	char *dir = fx_tmpdir();
	char path[512];
	struct pol_err e = { { 0 }, { 0 } };

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/future.db", dir);
	assert_int_equal(raw_exec(path, "CREATE TABLE schema_version (version INTEGER NOT NULL);"
					"INSERT INTO schema_version VALUES (99);"
					"CREATE TABLE hosts (id INTEGER PRIMARY KEY, x BLOB);"),
			 0);
	assert_null(pol_store_open(path, &e));
	assert_string_equal(e.field, "schema_version");
	assert_non_null(strstr(e.msg, "99"));
	assert_non_null(strstr(e.msg, "newer rgwd"));
	/* nothing was touched */
	assert_int_equal(raw_count(path, "SELECT version FROM schema_version"), 99);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM sqlite_master WHERE "
					 "name = 'zones'"),
			 0);
	fx_rmdir(dir);
}

/* A foreign database (tables but no schema_version) is refused and left alone. */
static void
test_migrate_foreign_refused(void **state)
{
	char *dir = fx_tmpdir();
	char path[512];
	struct pol_err e = { { 0 }, { 0 } };

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/foreign.db", dir);
	assert_int_equal(raw_exec(path, "CREATE TABLE hosts (name TEXT);"
					"INSERT INTO hosts VALUES ('keep me');"),
			 0);
	assert_null(pol_store_open(path, &e));
	assert_string_equal(e.field, "schema_version");
	assert_non_null(strstr(e.msg, "migration to version 1 failed"));
	assert_int_equal(raw_count(path, "SELECT count(*) FROM sqlite_master WHERE "
					 "name = 'schema_version'"),
			 0);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM hosts"), 1);
	fx_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_replace_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_1000_hosts, setup, teardown),
		cmocka_unit_test(test_migrate_v0),
		cmocka_unit_test(test_migrate_future_refused),
		cmocka_unit_test(test_migrate_foreign_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
