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

#define RGW_FIXTURE_STORE
#include "policy_fixture.h"

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
	struct pol_err e = { 0 };
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

/* 1,000 hosts x (10 services + 5 rules): printed, not asserted (timing is not a test). */
static void
test_replace_1000_hosts(void **state)
{
	struct fx *f = *state;
	struct pol_snap *s = big_bundle(1000), *back = NULL;
	struct pol_err e = { 0 };
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
	struct pol_err e = { 0 };
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

/* A version-1 database (before resolver cache windows) gets the window columns with their
 * defaults, keeps its rows, and a group's window stays "learned". */
static void
test_migrate_v1(void **state)
{
	char *dir = fx_tmpdir();
	char path[512];
	struct pol_err e = { 0 };
	struct pol_snap *s = NULL;
	struct pol_store *st;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/v1.db", dir);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	pol_store_close(st);
	/* back to version 1 as it shipped: no window columns, no audit ETags (v3), no nested
	 * gateways (v4), no sessions (v5), no token expiry (v6), no pair tokens (v7), no tenant
	 * realms, quotas and audit tenants (v8) */
	assert_int_equal(raw_exec(path,
				  "ALTER TABLE hosts DROP COLUMN nested_timeout_ms;"
				  "ALTER TABLE hosts DROP COLUMN nested_port;"
				  "ALTER TABLE hosts DROP COLUMN nested;"
				  "ALTER TABLE resolver_groups DROP COLUMN parent;"
				  "ALTER TABLE audit DROP COLUMN etag_before;"
				  "ALTER TABLE audit DROP COLUMN etag_after;"
				  "ALTER TABLE audit DROP COLUMN tenant;"
				  "ALTER TABLE admission DROP COLUMN cache_window_ms;"
				  "ALTER TABLE admission DROP COLUMN window_flows;"
				  "ALTER TABLE resolver_groups DROP COLUMN cache_window_ms;"
				  "ALTER TABLE api_tokens DROP COLUMN expires_ms;"
				  "ALTER TABLE api_tokens DROP COLUMN last_used_ms;"
				  "ALTER TABLE api_tokens DROP COLUMN pair;"
				  "DROP TABLE sessions;"
				  "DROP TABLE tenants;"
				  "UPDATE schema_version SET version = 1;"
				  "UPDATE admission SET alias_ttl_ms = 7000;"
				  "INSERT INTO resolver_groups (name, initial_reputation, sla)"
				  " VALUES ('isp', 0.9, 1);"),
			 0);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM pragma_table_info('admission')"
					 " WHERE name = 'cache_window_ms'"),
			 0);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	assert_int_equal(pol_store_schema_version(st), POL_SCHEMA_VERSION);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM pragma_table_info('audit')"
					 " WHERE name IN ('etag_before', 'etag_after')"),
			 2);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM pragma_table_info('hosts')"
					 " WHERE name IN ('nested', 'nested_port')"),
			 2);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM pragma_table_info('api_tokens')"
					 " WHERE name IN ('expires_ms', 'last_used_ms')"),
			 2);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM sqlite_master"
					 " WHERE name IN ('sessions', 'tenants')"),
			 2);
	assert_int_equal(pol_store_snapshot(st, &s), 0);
	assert_int_equal(s->admission.alias_ttl_ms, 7000);
	assert_int_equal(s->admission.cache_window_ms, POL_CACHE_WINDOW_DEFAULT_MS);
	assert_int_equal(s->admission.window_flows, POL_WINDOW_FLOWS_DEFAULT);
	assert_int_equal(s->n_resolver_groups, 1);
	assert_string_equal(s->resolver_groups[0].name, "isp");
	assert_false(s->resolver_groups[0].has_cache_window);
	pol_snap_unref(s);
	/* the new columns refuse what the API refuses */
	assert_int_not_equal(raw_exec(path, "UPDATE admission SET cache_window_ms = 60001"), 0);
	assert_int_not_equal(raw_exec(path, "UPDATE admission SET window_flows = 0"), 0);
	assert_int_not_equal(raw_exec(path, "UPDATE resolver_groups SET cache_window_ms = -1"), 0);
	pol_store_close(st);
	fx_rmdir(dir);
}

static void
test_migrate_future_refused(void **state)
{
	char *dir = fx_tmpdir();
	char path[512];
	struct pol_err e = { 0 };

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
	struct pol_err e = { 0 };

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

/* Snapshots that fail validation are refused by replace; the file does not change. */
static void
test_replace_invalid_untouched(void **state)
{
	struct fx *f = *state;
	char *before, *bytes, *text = fx_example();
	size_t len;
	struct pol_snap *s;
	struct pol_err e;
	struct pol_reputation rep = { .kind = POL_REP_HOST,
				      .prev_initial = 0.5,
				      .cur_initial = 0.5 };

	load_example(f->st);
	snprintf(rep.key, sizeof(rep.key), "test.gwa.demo");
	assert_int_equal(pol_reputation_save(f->st, &rep), 0);
	before = fx_store_text(f->st);
	bytes = db_bytes(f->path, &len);

	/* 1: duplicate private address */
	s = fx_parse(text);
	s->hosts[1].ipv4 = s->hosts[0].ipv4;
	assert_int_equal(pol_store_replace(f->st, s, &e), -EINVAL);
	assert_string_equal(e.field, "hosts[1].ipv4");
	pol_snap_unref(s);
	assert_db_unchanged(f, before, bytes, len);
	/* 2: service outside every forward zone (label boundary) */
	s = fx_parse(text);
	snprintf(s->services[0].fqdn, sizeof(s->services[0].fqdn), "xgwa.demo");
	assert_int_equal(pol_store_replace(f->st, s, &e), -EINVAL);
	assert_string_equal(e.field, "hosts[0].services[0].fqdn");
	pol_snap_unref(s);
	assert_db_unchanged(f, before, bytes, len);
	/* 3: reference to a missing group */
	s = fx_parse(text);
	s->host_groups[0].group_id = 77;
	assert_int_equal(pol_store_replace(f->st, s, &e), -EINVAL);
	assert_string_equal(e.field, "hosts[0].groups[0]");
	pol_snap_unref(s);
	assert_db_unchanged(f, before, bytes, len);
	/* 4: pool and service addresses overlap */
	s = fx_parse(text);
	s->pool_addrs[3].addr = s->service_addrs[0].addr;
	assert_int_equal(pol_store_replace(f->st, s, &e), -EINVAL);
	assert_string_equal(e.field, "pool");
	pol_snap_unref(s);
	assert_db_unchanged(f, before, bytes, len);
	/* 5: bracket min > max, reputation > 1 */
	s = fx_parse(text);
	s->brackets[0].load_min = 100;
	s->brackets[0].load_max = 99;
	assert_int_equal(pol_store_replace(f->st, s, &e), -EINVAL);
	assert_string_equal(e.field, "admission.load_brackets[0].load_min");
	s->brackets[0].load_min = 0;
	s->resolver_groups[2].initial_reputation = 1.01;
	assert_int_equal(pol_store_replace(f->st, s, &e), -EINVAL);
	assert_string_equal(e.field, "resolver_groups[2].initial_reputation");
	pol_snap_unref(s);
	assert_db_unchanged(f, before, bytes, len);
	/* 6: unsorted ids */
	s = fx_parse(text);
	s->hosts[2].id = 1;
	assert_int_equal(pol_store_replace(f->st, s, &e), -EINVAL);
	pol_snap_unref(s);
	assert_db_unchanged(f, before, bytes, len);

	free(before);
	free(bytes);
	free(text);
}

/* A failure in the middle of the write (after the old rows are gone) rolls everything back. */
static void
test_replace_midway_failure_rolls_back(void **state)
{
	struct fx *f = *state;
	char *before, *bytes, *text = fx_example(), *after;
	size_t len;
	struct pol_snap *s;
	struct pol_err e;

	load_example(f->st);
	before = fx_store_text(f->st);
	/* the test's own trigger makes the insert of one host fail inside the transaction */
	assert_int_equal(raw_exec(f->path, "CREATE TRIGGER boom BEFORE INSERT ON hosts "
					   "WHEN NEW.fqdn = 'test207.gwa.demo' "
					   "BEGIN SELECT RAISE(ABORT, 'boom'); END"),
			 0);
	bytes = db_bytes(f->path, &len);
	s = fx_parse(text);
	assert_non_null(s);
	assert_int_not_equal(pol_store_replace(f->st, s, &e), 0);
	assert_non_null(strstr(e.msg, "boom"));
	assert_db_unchanged(f, before, bytes, len);
	assert_int_equal(pol_store_integrity_check(f->st, NULL), 0);
	/* and the store is still usable */
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER boom"), 0);
	assert_int_equal(pol_store_replace(f->st, s, &e), 0);
	after = fx_store_text(f->st);
	assert_string_equal(after, before);
	pol_snap_unref(s);
	free(after);
	free(before);
	free(bytes);
	free(text);
}

/* Bundle import (parse + replace) with bad input never reaches the database. */
static void
test_bad_bundle_import_untouched(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"{\"version\": 1, \"hosts\": [",
		"{\"version\": 1} x",
		"{\"version\": 1, \"hosts\": [{\"fqdn\": \"a.b\", \"ipv4\": \"10.0.0.1\", "
		"\"color\": 1}]}",
		"{\"version\": 1, \"zones\": [{\"name\": \"b\", \"nameservers\": [{\"name\": "
		"\"ns.b\"}]}], \"hosts\": [{\"fqdn\": \"a.b\", \"ipv4\": \"10.0.0.1\", "
		"\"services\": [{\"fqdn\": \"a.b\", \"port\": 65536}]}]}",
		"{\"version\": 1, \"pool\": [\"10.0.0.1\", \"10.0.0.1\"]}",
		"{\"version\": 1, \"groups\": [{\"name\": \"g\"}, {\"name\": \"g\"}]}",
		"{\"version\": 1, \"zones\": [{\"name\": \"b\", \"nameservers\": [{\"name\": "
		"\"ns.b\"}]}], \"hosts\": [{\"fqdn\": \"a.b\", \"ipv4\": \"10.0.0.1\", "
		"\"groups\": [\"missing\"]}]}",
	};
	char *before, *bytes;
	size_t len;

	load_example(f->st);
	before = fx_store_text(f->st);
	bytes = db_bytes(f->path, &len);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pol_snap *s = NULL;
		struct pol_err e = { 0 };
		int rc = pol_bundle_parse(bad[i], strlen(bad[i]), &s, &e);

		if (rc == 0)
			rc = pol_store_replace(f->st, s, &e);
		assert_int_equal(rc, -EINVAL);
		assert_true(e.field[0] != '\0' || strstr(e.msg, "object") != NULL);
		pol_snap_unref(s);
		assert_db_unchanged(f, before, bytes, len);
	}
	free(before);
	free(bytes);
}

/* replace inside the caller's transaction: a savepoint, undone by the caller's rollback. */
static void
test_replace_in_transaction(void **state)
{
	struct fx *f = *state;
	struct pol_snap *empty = pol_snap_new();
	struct pol_err e;
	char *before, *after;

	load_example(f->st);
	before = fx_store_text(f->st);
	assert_int_equal(pol_store_begin(f->st), 0);
	assert_int_equal(pol_store_begin(f->st), -EBUSY);
	assert_int_equal(pol_store_replace(f->st, empty, &e), 0);
	assert_true(pol_store_is_empty(f->st));
	assert_int_equal(pol_store_rollback(f->st), 0);
	after = fx_store_text(f->st);
	assert_string_equal(after, before);
	free(after);
	assert_int_equal(pol_store_begin(f->st), 0);
	assert_int_equal(pol_store_replace(f->st, empty, &e), 0);
	assert_int_equal(pol_store_commit(f->st), 0);
	assert_true(pol_store_is_empty(f->st));
	assert_int_equal(pol_store_commit(f->st), -EINVAL);
	pol_snap_unref(empty);
	free(before);
}

/* Another process in a long write: opening and reading still work (WAL); writes wait for
 * busy_timeout and then fail with -EBUSY, never with a corrupt state. */
static void
test_concurrent_writer(void **state)
{
	struct fx *f = *state;
	struct pol_store *st2;
	struct pol_snap *snap = NULL;
	struct pol_group g = { 0 };
	struct pol_err e;
	sqlite3 *db;
	double t0;

	load_example(f->st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE; DELETE FROM hosts;", NULL, NULL, NULL),
			 SQLITE_OK);
	t0 = now_s();
	st2 = pol_store_open(f->path, &e);
	assert_non_null(st2);
	assert_true(now_s() - t0 < 2.0);
	assert_int_equal(pol_store_snapshot(st2, &snap), 0);
	assert_int_equal(snap->n_hosts, 11); /* the uncommitted delete is invisible */
	pol_snap_unref(snap);
	snprintf(g.name, sizeof(g.name), "late");
	assert_int_equal(pol_row_insert(st2, &pol_t_group, &g, &e), -EBUSY);
	assert_string_equal(e.field, "database");
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(pol_row_insert(st2, &pol_t_group, &g, &e), 0);
	pol_store_close(st2);
}

/* Every field of every table, through the store and back, in both address families. */
static const char rich_bundle[] =
	"{\"version\": 1,"
	" \"zones\": [{\"name\": \"gwa.demo\", \"ttl\": 0, \"soa\": {\"mname\": \"ns1.gwa.demo\","
	"   \"rname\": \"hm.gwa.demo\", \"serial\": 4294967295, \"refresh\": 1, \"retry\": 2,"
	"   \"expire\": 3, \"minimum\": 4}, \"nameservers\": [{\"name\": \"ns1.gwa.demo\","
	"   \"ipv4\": \"100.64.1.130\", \"ipv6\": \"2001:db8::53\"}, {\"name\": \"ns2.other.net\"}]},"
	"  {\"name\": \"8.b.d.0.1.0.0.2.ip6.arpa\", \"kind\": \"reverse\", \"nameservers\":"
	"   [{\"name\": \"ns1.gwa.demo\"}]},"
	"  {\"name\": \"cname.gwa.demo\", \"kind\": \"alias\", \"soa\": {\"mname\": \"ns1.gwa.demo\"}}],"
	" \"service_addresses\": [\"100.64.1.130\", {\"address\": \"2001:db8::130\","
	"   \"comment\": \"v6 ALG\"}],"
	" \"pool\": [\"2001:db8:1::/126\", \"100.64.1.131\", \"100.64.1.140-100.64.1.141\"],"
	" \"groups\": [{\"name\": \"G.1\", \"comment\": \"c\", \"firewall\": [{\"direction\": \"egress\","
	"   \"protocol\": \"udp\", \"sport\": \"1024-65535\", \"dport\": 53, \"rate\": 10,"
	"   \"burst\": 20, \"action\": \"drop\", \"priority\": -7, \"comment\": \"dns\"}]},"
	"  {\"name\": \"g2\"}],"
	" \"hosts\": [{\"fqdn\": \"v6.gwa.demo\", \"ipv6\": \"fd00::10\", \"pool_limit\": 0,"
	"   \"dynamic\": true, \"comment\": \"ipv6 only\", \"groups\": [\"g2\", \"G.1\"],"
	"   \"services\": [{\"fqdn\": \"v6.gwa.demo\", \"protocol\": \"any\", \"port\": 0},"
	"    {\"fqdn\": \"sctp9.v6.gwa.demo\", \"binding_timeout_ms\": 3600000},"
	"    {\"fqdn\": \"gre.v6.gwa.demo\", \"protocol\": 47},"
	"    {\"fqdn\": \"x.v6.gwa.demo\", \"protocol\": \"udp\", \"port\": 5353,"
	"     \"proxy_required\": true}],"
	"   \"firewall\": [{\"direction\": \"ingress\", \"protocol\": \"icmpv6\", \"src\": \"2001:db8::/32\","
	"    \"dst\": \"fd00::10/128\", \"icmp_type\": 128, \"icmp_code\": 0, \"action\": \"reject\","
	"    \"priority\": 2147483647}, {\"protocol\": 132, \"dport\": \"1-2\", \"action\": \"accept\","
	"    \"priority\": -2147483648}]},"
	"  {\"fqdn\": \"gwa.demo\", \"ipv4\": \"192.168.0.1\", \"ipv6\": \"fd00::1\", \"pool_limit\": 4294967295}],"
	" \"alg_routes\": [{\"hostname\": \"*.gwa.demo\", \"backend\": \"[fd00::10]:8443\","
	"   \"preserve\": \"proxy-v2\"}, {\"hostname\": \"x.v6.gwa.demo\", \"port\": 443,"
	"   \"backend\": \"192.168.0.1:443\", \"preserve\": \"transparent\"},"
	"  {\"hostname\": \"x.v6.gwa.demo\", \"port\": 80, \"backend\": \"192.168.0.1:80\","
	"   \"preserve\": \"proxy-v1\"}],"
	" \"admission\": {\"dns_tcp\": true, \"dns_cname\": true, \"dns_tcpcname\": true,"
	"   \"dns_cookies\": true, \"log_untrusted\": true, \"unknown_resolver_groups\": true,"
	"   \"alias_ttl_ms\": 3600000, \"cache_window_ms\": 60000, \"window_flows\": 1000,"
	"   \"load_brackets\": [{\"load_min\": 12.5, \"load_max\": 12.5,"
	"   \"fqdn_new\": 0.333, \"sfqdn_new\": 1, \"sfqdn_reuse\": 0.1, \"math\": \"avg\"},"
	"   {\"load_min\": 0, \"load_max\": 100, \"math\": \"min\"}]},"
	" \"resolver_groups\": [{\"name\": \"r\", \"initial_reputation\": 0, \"nodes\": [\"2001:db8:53::/48\","
	"   \"2001:db8::1-2001:db8::6\", \"10.0.0.0/8\"], \"cache_window_ms\": 0},"
	"  {\"name\": \"s\", \"sla\": true}, {\"name\": \"t\", \"cache_window_ms\": 60000}]}";

static void
test_roundtrip_every_field(void **state)
{
	struct fx *f = *state;
	struct pol_snap *s = fx_parse(rich_bundle), *back = NULL;
	struct pol_err e;
	char *want, *got, *again;

	assert_non_null(s);
	want = pol_bundle_export_text(s);
	assert_int_equal(pol_store_replace(f->st, s, &e), 0);
	assert_int_equal(pol_store_snapshot(f->st, &back), 0);
	got = pol_bundle_export_text(back);
	assert_string_equal(got, want);
	/* the store's ids differ from the bundle's, the content does not */
	assert_int_equal(back->n_pool_addrs, 7);
	assert_int_equal(back->n_resolver_nodes, 6); /* ::1/128 ::2/127 ::4/127 ::6/128 + 2 */
	assert_true(back->hosts[0].dynamic);
	assert_int_equal(back->fw_rules[1].icmp_code, 0);
	assert_int_equal(back->fw_rules[2].priority, -2147483647 - 1);
	assert_int_equal(back->admission.cache_window_ms, 60000);
	assert_int_equal(back->admission.window_flows, 1000);
	assert_true(back->resolver_groups[0].has_cache_window);
	assert_int_equal(back->resolver_groups[0].cache_window_ms, 0);
	assert_false(back->resolver_groups[1].has_cache_window);
	assert_int_equal(back->resolver_groups[2].cache_window_ms, 60000);
	/* and once more through JSON: stable */
	pol_snap_unref(s);
	s = fx_parse(got);
	assert_non_null(s);
	again = pol_bundle_export_text(s);
	assert_string_equal(again, want);
	pol_snap_unref(s);
	pol_snap_unref(back);
	free(want);
	free(got);
	free(again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_replace_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_1000_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_invalid_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_midway_failure_rolls_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_bundle_import_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writer, setup, teardown),
		cmocka_unit_test(test_migrate_v0),
		cmocka_unit_test(test_migrate_v1),
		cmocka_unit_test(test_migrate_future_refused),
		cmocka_unit_test(test_migrate_foreign_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
