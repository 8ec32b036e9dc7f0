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

static void
addr_of(const char *s, struct addr *a)
{
	assert_int_equal(addr_parse(s, a), 0);
}

static void
test_zone_nameserver_crud(void **state)
{
	struct fx *f = *state;
	struct pol_zone z = { 0 }, z2, got;
	struct pol_nameserver ns = { 0 }, nsg;
	struct pol_err e;

	snprintf(z.name, sizeof(z.name), "gwa.demo");
	snprintf(z.mname, sizeof(z.mname), "ns1.gwa.demo");
	snprintf(z.rname, sizeof(z.rname), "hostmaster.gwa.demo");
	z.ttl = 3600;
	z.serial = 4294967295u;
	assert_int_equal(pol_zone_insert(f->st, &z, &e), 0);
	assert_true(z.id > 0);
	assert_int_equal(pol_zone_get(f->st, z.id, &got), 0);
	assert_string_equal(got.name, "gwa.demo");
	assert_int_equal(got.serial, 4294967295u);
	assert_int_equal(got.kind, POL_ZONE_FORWARD);
	/* unique name */
	z2 = z;
	assert_int_equal(pol_zone_insert(f->st, &z2, &e), -EEXIST);
	assert_string_equal(e.field, "zones.name");
	/* row checks name the field */
	snprintf(z2.name, sizeof(z2.name), "Not Canonical");
	assert_int_equal(pol_zone_insert(f->st, &z2, &e), -EINVAL);
	assert_string_equal(e.field, "name");
	snprintf(z2.name, sizeof(z2.name), "other.demo");
	z2.kind = (enum pol_zone_kind)7;
	assert_int_equal(pol_zone_insert(f->st, &z2, &e), -EINVAL);
	assert_string_equal(e.field, "kind");
	/* update */
	got.kind = POL_ZONE_REVERSE;
	got.serial = 2;
	assert_int_equal(pol_zone_update(f->st, &got, &e), 0);
	assert_int_equal(pol_zone_get(f->st, z.id, &got), 0);
	assert_int_equal(got.kind, POL_ZONE_REVERSE);
	assert_int_equal(got.serial, 2);
	got.id = 999;
	assert_int_equal(pol_zone_update(f->st, &got, &e), -ENOENT);
	/* nameserver: foreign key to zones, cascade on delete */
	ns.zone_id = 999;
	snprintf(ns.name, sizeof(ns.name), "ns1.gwa.demo");
	addr_of("100.64.1.130", &ns.ipv4);
	assert_int_equal(pol_nameserver_insert(f->st, &ns, &e), -EINVAL);
	assert_string_equal(e.field, "nameservers");
	ns.zone_id = z.id;
	assert_int_equal(pol_nameserver_insert(f->st, &ns, &e), 0);
	assert_int_equal(pol_nameserver_get(f->st, ns.id, &nsg), 0);
	assert_int_equal(nsg.ipv4.family, AF_INET);
	assert_int_equal(nsg.ipv6.family, 0);
	addr_of("::1", &ns.ipv4);
	assert_int_equal(pol_nameserver_update(f->st, &ns, &e), -EINVAL);
	assert_string_equal(e.field, "ipv4");
	assert_int_equal(pol_zone_delete(f->st, z.id, &e), 0);
	assert_int_equal(pol_nameserver_get(f->st, ns.id, &nsg), -ENOENT);
	assert_int_equal(pol_zone_get(f->st, z.id, &got), -ENOENT);
	assert_int_equal(pol_zone_delete(f->st, z.id, &e), -ENOENT);
}

static void
test_host_service_fw_crud(void **state)
{
	struct fx *f = *state;
	struct pol_group g = { 0 }, g2 = { 0 };
	struct pol_host h = { 0 }, h2 = { 0 }, hg;
	struct pol_service sv = { 0 }, sv2, svg;
	struct pol_fw_rule r = { 0 }, rg = { 0 }, rget;
	struct pol_snap *snap = NULL;
	struct pol_err e;

	snprintf(g.name, sizeof(g.name), "prepaid1");
	assert_int_equal(pol_group_insert(f->st, &g, &e), 0);
	g2 = g;
	assert_int_equal(pol_group_insert(f->st, &g2, &e), -EEXIST);
	assert_string_equal(e.field, "groups.name");
	snprintf(g2.name, sizeof(g2.name), "bad name");
	assert_int_equal(pol_group_insert(f->st, &g2, &e), -EINVAL);
	assert_string_equal(e.field, "name");

	snprintf(h.fqdn, sizeof(h.fqdn), "test.gwa.demo");
	addr_of("192.168.0.100", &h.ipv4);
	h.pool_limit = 3;
	assert_int_equal(pol_host_insert(f->st, &h, &e), 0);
	assert_int_equal(pol_host_get(f->st, h.id, &hg), 0);
	assert_int_equal(hg.pool_limit, 3);
	assert_int_equal(hg.ipv6.family, 0);
	h2 = h;
	snprintf(h2.fqdn, sizeof(h2.fqdn), "other.gwa.demo");
	assert_int_equal(pol_host_insert(f->st, &h2, &e), -EEXIST);
	assert_string_equal(e.field, "hosts.ipv4");
	h2 = h;
	addr_of("192.168.0.101", &h2.ipv4);
	assert_int_equal(pol_host_insert(f->st, &h2, &e), -EEXIST);
	assert_string_equal(e.field, "hosts.fqdn");
	memset(&h2.ipv4, 0, sizeof(h2.ipv4));
	snprintf(h2.fqdn, sizeof(h2.fqdn), "noaddr.gwa.demo");
	assert_int_equal(pol_host_insert(f->st, &h2, &e), -EINVAL);
	addr_of("2001:db8::5", &h2.ipv6);
	assert_int_equal(pol_host_insert(f->st, &h2, &e), 0);

	assert_int_equal(pol_host_group_add(f->st, h.id, g.id, &e), 0);
	assert_int_equal(pol_host_group_add(f->st, h.id, g.id, &e), -EEXIST);
	assert_int_equal(pol_host_group_add(f->st, h.id, 999, &e), -EINVAL);

	sv.host_id = h.id;
	snprintf(sv.fqdn, sizeof(sv.fqdn), "udp5000.test.gwa.demo");
	sv.binding_timeout_ms = 2000;
	assert_int_equal(pol_service_insert(f->st, &sv, &e), 0);
	assert_int_equal(pol_service_get(f->st, sv.id, &svg), 0);
	assert_false(svg.has_proto);
	assert_int_equal(svg.protocol, POL_PROTO_UDP); /* resolved from the label */
	assert_int_equal(svg.port, 5000);
	sv2 = sv;
	assert_int_equal(pol_service_insert(f->st, &sv2, &e), -EEXIST);
	assert_string_equal(e.field, "services.fqdn");
	snprintf(sv2.fqdn, sizeof(sv2.fqdn), "x.test.gwa.demo");
	sv2.binding_timeout_ms = 0;
	assert_int_equal(pol_service_insert(f->st, &sv2, &e), -EINVAL);
	assert_string_equal(e.field, "binding_timeout_ms");
	sv2.binding_timeout_ms = 100;
	sv2.host_id = 12345;
	assert_int_equal(pol_service_insert(f->st, &sv2, &e), -EINVAL);
	assert_string_equal(e.field, "services");
	svg.has_proto = svg.has_port = true;
	svg.protocol = POL_PROTO_TCP;
	svg.port = 22;
	assert_int_equal(pol_service_update(f->st, &svg, &e), 0);
	assert_int_equal(pol_service_get(f->st, sv.id, &svg), 0);
	assert_true(svg.has_port);
	assert_int_equal(svg.port, 22);
	assert_int_equal(svg.protocol, POL_PROTO_TCP);

	r.host_id = h.id;
	r.direction = POL_DIR_INGRESS;
	r.protocol = POL_PROTO_TCP;
	r.dport.lo = 80;
	r.dport.hi = 90;
	r.icmp_type = r.icmp_code = -1;
	assert_int_equal(prefix_parse("100.64.0.0/24", false, &r.src), 0);
	r.action = POL_ACT_REJECT;
	r.priority = -5;
	assert_int_equal(pol_fw_rule_insert(f->st, &r, &e), 0);
	assert_int_equal(pol_fw_rule_get(f->st, r.id, &rget), 0);
	assert_int_equal(rget.src.len, 24);
	assert_int_equal(rget.dst.addr.family, 0);
	assert_int_equal(rget.dport.hi, 90);
	assert_int_equal(rget.priority, -5);
	assert_int_equal(rget.group_id, 0);
	/* exactly one owner, enforced by SQL */
	rg = r;
	rg.group_id = g.id;
	assert_int_equal(pol_fw_rule_insert(f->st, &rg, &e), -EINVAL);
	assert_string_equal(e.field, "fw_rules.owner");
	rg.host_id = 0;
	assert_int_equal(pol_fw_rule_insert(f->st, &rg, &e), 0);
	rg.dport.lo = 100; /* lo > hi */
	assert_int_equal(pol_fw_rule_update(f->st, &rg, &e), -EINVAL);
	assert_string_equal(e.field, "dport");

	/* deleting the host cascades to its services, rules and memberships */
	assert_int_equal(pol_host_delete(f->st, h.id, &e), 0);
	assert_int_equal(pol_service_get(f->st, sv.id, &svg), -ENOENT);
	assert_int_equal(pol_fw_rule_get(f->st, r.id, &rget), -ENOENT);
	assert_int_equal(pol_fw_rule_get(f->st, rg.id, &rget), 0);
	assert_int_equal(pol_store_snapshot(f->st, &snap), 0);
	assert_int_equal(snap->n_host_groups, 0);
	assert_int_equal(snap->n_hosts, 1);
	pol_snap_unref(snap);
	/* deleting the group cascades to its rules and memberships */
	assert_int_equal(pol_host_group_add(f->st, h2.id, g.id, &e), 0);
	assert_int_equal(pol_group_delete(f->st, g.id, &e), 0);
	assert_int_equal(pol_fw_rule_get(f->st, rg.id, &rget), -ENOENT);
	assert_int_equal(pol_host_group_del(f->st, h2.id, g.id, &e), -ENOENT);
	assert_int_equal(pol_store_integrity_check(f->st, NULL), 0);
}

static void
test_addr_alg_bracket_resolver_crud(void **state)
{
	struct fx *f = *state;
	struct pol_service_addr sa = { 0 }, sag;
	struct pol_pool_addr pa = { 0 }, pag;
	struct pol_alg_route ar = { 0 }, ar2, arg;
	struct pol_bracket b = { 0 }, bg;
	struct pol_resolver_group rg = { 0 }, rgg;
	struct pol_resolver_node rn = { 0 }, rn2, rng;
	struct pol_admission a;
	struct pol_err e;

	addr_of("100.64.1.130", &sa.addr);
	snprintf(sa.comment, sizeof(sa.comment), "the ALG");
	assert_int_equal(pol_service_addr_insert(f->st, &sa, &e), 0);
	assert_int_equal(pol_service_addr_get(f->st, sa.id, &sag), 0);
	assert_string_equal(sag.comment, "the ALG");
	assert_int_equal(pol_service_addr_insert(f->st, &sa, &e), -EEXIST);
	addr_of("100.64.1.131", &pa.addr);
	assert_int_equal(pol_pool_addr_insert(f->st, &pa, &e), 0);
	assert_int_equal(pol_pool_addr_insert(f->st, &pa, &e), -EEXIST);
	assert_string_equal(e.field, "pool_addrs.addr");
	memset(&pa.addr, 0, sizeof(pa.addr));
	assert_int_equal(pol_pool_addr_insert(f->st, &pa, &e), -EINVAL);
	addr_of("2001:db8::1", &pa.addr);
	assert_int_equal(pol_pool_addr_update(f->st, &pa, &e), 0);
	assert_int_equal(pol_pool_addr_get(f->st, pa.id, &pag), 0);
	assert_int_equal(pag.addr.family, AF_INET6);
	assert_int_equal(pol_pool_addr_delete(f->st, pa.id, &e), 0);
	assert_int_equal(pol_service_addr_delete(f->st, sa.id, &e), 0);

	snprintf(ar.hostname, sizeof(ar.hostname), "*.test.gwa.demo");
	ar.listen_port = 443;
	addr_of("192.168.0.100", &ar.backend);
	ar.backend_port = 8443;
	ar.preserve = POL_PRESERVE_PROXY_V2;
	assert_int_equal(pol_alg_route_insert(f->st, &ar, &e), 0);
	assert_int_equal(pol_alg_route_get(f->st, ar.id, &arg), 0);
	assert_int_equal(arg.preserve, POL_PRESERVE_PROXY_V2);
	assert_int_equal(arg.backend_port, 8443);
	ar2 = ar;
	assert_int_equal(pol_alg_route_insert(f->st, &ar2, &e), -EEXIST);
	ar2.listen_port = 80;
	assert_int_equal(pol_alg_route_insert(f->st, &ar2, &e), 0);
	ar2.backend_port = 0;
	assert_int_equal(pol_alg_route_update(f->st, &ar2, &e), -EINVAL);
	assert_string_equal(e.field, "backend");

	b.position = 1;
	b.load_min = 10;
	b.load_max = 20;
	b.fqdn_new = 0.5;
	b.math = POL_MATH_AVG;
	assert_int_equal(pol_bracket_insert(f->st, &b, &e), 0);
	assert_int_equal(pol_bracket_get(f->st, b.id, &bg), 0);
	assert_true(bg.fqdn_new == 0.5);
	assert_int_equal(bg.math, POL_MATH_AVG);
	bg.load_min = 30;
	assert_int_equal(pol_bracket_update(f->st, &bg, &e), -EINVAL);
	assert_string_equal(e.field, "load_min");
	bg.load_min = 0;
	bg.sfqdn_reuse = 1.5;
	assert_int_equal(pol_bracket_update(f->st, &bg, &e), -EINVAL);
	assert_string_equal(e.field, "sfqdn_reuse");
	assert_int_equal(pol_bracket_delete(f->st, b.id, &e), 0);

	snprintf(rg.name, sizeof(rg.name), "public");
	rg.initial_reputation = 0.9;
	rg.sla = true;
	assert_int_equal(pol_resolver_group_insert(f->st, &rg, &e), 0);
	assert_int_equal(pol_resolver_group_get(f->st, rg.id, &rgg), 0);
	assert_true(rgg.sla);
	rgg.initial_reputation = 1.1;
	assert_int_equal(pol_resolver_group_update(f->st, &rgg, &e), -EINVAL);
	assert_string_equal(e.field, "initial_reputation");
	rn.group_id = rg.id;
	assert_int_equal(prefix_parse("1.1.1.0/24", false, &rn.prefix), 0);
	assert_int_equal(pol_resolver_node_insert(f->st, &rn, &e), 0);
	rn2 = rn;
	assert_int_equal(pol_resolver_node_insert(f->st, &rn2, &e), -EEXIST);
	assert_string_equal(e.field, "resolver_nodes.prefix");
	assert_int_equal(pol_resolver_group_delete(f->st, rg.id, &e), 0);
	assert_int_equal(pol_resolver_node_get(f->st, rn.id, &rng), -ENOENT);

	assert_int_equal(pol_admission_get(f->st, &a), 0);
	a.dns_cookies = true;
	a.alias_ttl_ms = 7000;
	assert_int_equal(pol_admission_set(f->st, &a, &e), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(pol_admission_get(f->st, &a), 0);
	assert_true(a.dns_cookies);
	assert_int_equal(a.alias_ttl_ms, 7000);
	a.alias_ttl_ms = 0;
	assert_int_equal(pol_admission_set(f->st, &a, &e), -EINVAL);
	assert_string_equal(e.field, "alias_ttl_ms");
}

/* The SQL constraints hold on their own, for writers that bypass the accessors. */
static void
test_sql_constraints(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"INSERT INTO zones (name, kind, ttl, mname, rname, serial, refresh, retry, expire,"
		" minimum) VALUES ('z', 'sideways', 1, 'a', 'b', 1, 1, 1, 1, 1)",
		"INSERT INTO hosts (fqdn, ipv4, pool_limit) VALUES ('h.z', NULL, 1)",
		"INSERT INTO hosts (fqdn, ipv4, pool_limit) VALUES ('h.z', '10.0.0.1', -1)",
		"INSERT INTO services (host_id, fqdn, port) VALUES (1, 's.h.z', 70000)",
		"INSERT INTO services (host_id, fqdn, protocol) VALUES (1, 's.h.z', 256)",
		"INSERT INTO services (host_id, fqdn) VALUES (42, 's.h.z')",
		"INSERT INTO fw_rules (host_id, direction, action) VALUES (NULL, 'any', 'drop')",
		"INSERT INTO fw_rules (host_id, direction, action, dport_lo, dport_hi) "
		"VALUES (1, 'any', 'drop', 10, 5)",
		"INSERT INTO alg_routes (hostname, listen_port, backend, backend_port) "
		"VALUES ('a', 1, '10.0.0.1', 0)",
		"INSERT INTO admission (id) VALUES (2)",
		"INSERT INTO brackets (position, load_min, load_max, fqdn_new, sfqdn_new, "
		"sfqdn_reuse, math) VALUES (0, 50, 10, 0, 0, 0, 'max')",
		"INSERT INTO resolver_groups (name, initial_reputation) VALUES ('r', 1.5)",
		"INSERT INTO reputation (kind, key, prev_initial, prev_ok, prev_nok, prev_neutral,"
		" cur_initial, cur_ok, cur_nok, cur_neutral, updated_ms) "
		"VALUES ('host', 'k', 2, 0, 0, 0, 0, 0, 0, 0, 0)",
		"INSERT INTO api_tokens (name, role, salt, hash, created_ms) "
		"VALUES ('t', 'root', zeroblob(16), zeroblob(32), 0)",
	};

	assert_int_equal(raw_exec(f->path, "PRAGMA foreign_keys = ON; INSERT INTO hosts (fqdn, "
					   "ipv4, pool_limit) VALUES ('ok.z', '10.0.0.9', 1)"),
			 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char sql[1024];

		snprintf(sql, sizeof(sql), "PRAGMA foreign_keys = ON; %s", bad[i]);
		if (raw_exec(f->path, sql) == 0)
			fail_msg("accepted: %s", bad[i]);
	}
}

/* Concatenated bytes of the database file and its WAL. */
static char *
db_bytes(const char *path, size_t *len)
{
	char wal[600];
	size_t n1 = 0, n2 = 0;
	char *a = fx_read_file(path, &n1), *b, *out;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	b = fx_read_file(wal, &n2);
	out = malloc(n1 + n2 + 1);
	assert_non_null(out);
	if (a != NULL)
		memcpy(out, a, n1);
	if (b != NULL)
		memcpy(out + n1, b, n2);
	free(a);
	free(b);
	*len = n1 + n2;
	return out;
}

static void
assert_db_unchanged(struct fx *f, const char *want_text, const char *want_bytes, size_t want_len)
{
	char *text = fx_store_text(f->st), *bytes;
	size_t len;

	assert_non_null(text);
	assert_string_equal(text, want_text);
	free(text);
	bytes = db_bytes(f->path, &len);
	assert_int_equal(len, want_len);
	assert_memory_equal(bytes, want_bytes, len);
	free(bytes);
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
		struct pol_err e = { { 0 }, { 0 } };
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

/* Tokens: the secret is shown once and never stored; only the exact secret passes. */
static void
test_tokens(void **state)
{
	struct fx *f = *state;
	char ro[POL_TOKEN_MAX], rw[POL_TOKEN_MAX], dup[POL_TOKEN_MAX], name[64],
		miss[POL_TOKEN_MAX];
	enum pol_role role;
	struct pol_err e;
	char *bytes;
	size_t len;

	assert_int_equal(pol_token_create(f->st, "reader", POL_ROLE_RO, ro, &e), 0);
	assert_int_equal(pol_token_create(f->st, "admin", POL_ROLE_RW, rw, &e), 0);
	assert_int_equal(pol_token_create(f->st, "admin", POL_ROLE_RW, dup, &e), -EEXIST);
	assert_int_equal(pol_token_create(f->st, "bad name", POL_ROLE_RW, dup, &e), -EINVAL);
	assert_int_equal(pol_token_count(f->st), 2);
	assert_int_equal(strlen(ro), 4 + 64);
	assert_int_equal(strncmp(ro, "rgw_", 4), 0);
	assert_string_not_equal(ro, rw);

	assert_int_equal(pol_token_check(f->st, ro, &role, name, sizeof(name)), 0);
	assert_int_equal(role, POL_ROLE_RO);
	assert_string_equal(name, "reader");
	assert_int_equal(pol_token_check(f->st, rw, &role, name, sizeof(name)), 0);
	assert_int_equal(role, POL_ROLE_RW);
	assert_string_equal(name, "admin");
	/* near misses */
	snprintf(miss, sizeof(miss), "%s", ro);
	miss[strlen(miss) - 1] = miss[strlen(miss) - 1] == '0' ? '1' : '0';
	assert_int_equal(pol_token_check(f->st, miss, &role, name, sizeof(name)), -EACCES);
	snprintf(miss, sizeof(miss), "%.*s", (int)strlen(ro) - 1, ro);
	assert_int_equal(pol_token_check(f->st, miss, &role, name, sizeof(name)), -EACCES);
	snprintf(miss, sizeof(miss), "%sa", ro);
	assert_int_equal(pol_token_check(f->st, miss, &role, name, sizeof(name)), -EACCES);
	snprintf(miss, sizeof(miss), "RGW_%s", ro + 4);
	assert_int_equal(pol_token_check(f->st, miss, &role, name, sizeof(name)), -EACCES);
	assert_int_equal(pol_token_check(f->st, "", &role, name, sizeof(name)), -EACCES);
	assert_int_equal(pol_token_check(f->st, NULL, &role, name, sizeof(name)), -EACCES);

	/* the table (and the whole file) holds no secret, in text or in binary */
	assert_int_equal(raw_count(f->path, "SELECT count(*) FROM api_tokens WHERE "
					    "length(hash) = 32 AND length(salt) = 16"),
			 2);
	bytes = db_bytes(f->path, &len);
	assert_null(memmem(bytes, len, ro + 4, 64));
	assert_null(memmem(bytes, len, rw + 4, 64));
	for (int k = 0; k < 2; k++) {
		const char *hex = (k == 0 ? ro : rw) + 4;
		uint8_t raw[32];

		for (int i = 0; i < 32; i++) {
			unsigned v;

			sscanf(hex + 2 * i, "%2x", &v);
			raw[i] = (uint8_t)v;
		}
		assert_null(memmem(bytes, len, raw, sizeof(raw)));
	}
	free(bytes);

	assert_int_equal(pol_token_delete(f->st, "reader"), 0);
	assert_int_equal(pol_token_delete(f->st, "reader"), -ENOENT);
	assert_int_equal(pol_token_check(f->st, ro, &role, name, sizeof(name)), -EACCES);
	assert_int_equal(pol_token_count(f->st), 1);
}

static void
test_audit(void **state)
{
	struct fx *f = *state;
	struct pol_audit *rows;
	size_t n;

	for (int i = 0; i < 5; i++) {
		char res[32];

		snprintf(res, sizeof(res), "hosts/%d", i);
		assert_int_equal(pol_audit_append(f->st, "admin", "update", res,
						  i == 2 ? NULL : "{\"x\": 1}"),
				 0);
	}
	assert_int_equal(pol_audit_list(f->st, 0, 3, &rows, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].resource, "hosts/4");
	assert_string_equal(rows[2].resource, "hosts/2");
	assert_null(rows[2].detail);
	assert_string_equal(rows[0].detail, "{\"x\": 1}");
	assert_string_equal(rows[0].actor, "admin");
	assert_true(rows[0].ts_ms > 1600000000000ull);
	assert_true(rows[0].id > rows[1].id);
	{
		int64_t next = rows[2].id;

		pol_audit_free(rows, n);
		assert_int_equal(pol_audit_list(f->st, next, 10, &rows, &n), 0);
	}
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].resource, "hosts/1");
	assert_string_equal(rows[1].resource, "hosts/0");
	pol_audit_free(rows, n);
	/* a policy replace keeps the audit log */
	load_example(f->st);
	assert_int_equal(pol_audit_list(f->st, 0, 100, &rows, &n), 0);
	assert_int_equal(n, 5);
	pol_audit_free(rows, n);
}

static void
test_reputation(void **state)
{
	struct fx *f = *state;
	struct pol_reputation r = { 0 }, *rows;
	size_t n;

	r.kind = POL_REP_RESOLVER_GROUP;
	snprintf(r.key, sizeof(r.key), "public");
	r.periods = 3;
	r.prev_initial = 0.45;
	r.prev_ok = 10;
	r.prev_nok = 2;
	r.prev_neutral = 5;
	r.cur_initial = 0.6;
	r.cur_ok = 4294967295u;
	r.updated_ms = 1700000000123ull;
	assert_int_equal(pol_reputation_save(f->st, &r), 0);
	r.kind = POL_REP_REQUESTOR;
	snprintf(r.key, sizeof(r.key), "192.0.2.0/24");
	r.has_override = true;
	r.override_value = 0.1;
	assert_int_equal(pol_reputation_save(f->st, &r), 0);
	/* upsert by (kind, key) */
	r.cur_nok = 7;
	assert_int_equal(pol_reputation_save(f->st, &r), 0);
	r.override_value = 2;
	assert_int_equal(pol_reputation_save(f->st, &r), -EINVAL);
	assert_int_equal(pol_reputation_list(f->st, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].kind, POL_REP_RESOLVER_GROUP);
	assert_string_equal(rows[0].key, "public");
	assert_int_equal(rows[0].cur_ok, 4294967295u);
	assert_int_equal(rows[0].prev_nok, 2);
	assert_true(rows[0].prev_initial == 0.45);
	assert_false(rows[0].has_override);
	assert_int_equal(rows[0].updated_ms, 1700000000123ull);
	assert_int_equal(rows[1].cur_nok, 7);
	assert_true(rows[1].has_override);
	assert_true(rows[1].override_value == 0.1);
	free(rows);
	/* kept across a policy replace */
	load_example(f->st);
	assert_int_equal(pol_reputation_list(f->st, &rows, &n), 0);
	assert_int_equal(n, 2);
	free(rows);
	assert_int_equal(pol_reputation_delete(f->st, POL_REP_REQUESTOR, "192.0.2.0/24"), 0);
	assert_int_equal(pol_reputation_delete(f->st, POL_REP_REQUESTOR, "192.0.2.0/24"), -ENOENT);
	assert_int_equal(pol_reputation_delete(f->st, POL_REP_RESOLVER_GROUP, NULL), 0);
	assert_int_equal(pol_reputation_list(f->st, &rows, &n), 0);
	assert_int_equal(n, 0);
	free(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_replace_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_1000_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_nameserver_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_service_fw_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr_alg_bracket_resolver_crud, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sql_constraints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_invalid_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_midway_failure_rolls_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_bundle_import_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reputation, setup, teardown),
		cmocka_unit_test(test_migrate_v0),
		cmocka_unit_test(test_migrate_future_refused),
		cmocka_unit_test(test_migrate_foreign_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
