/* SPDX-License-Identifier: MIT */
/* tests/unit/test_nested_policy.c -- nested gateways and parent groups in policy: bundle,
 * store (v2 -> v3 migration), validation */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#define RGW_FIXTURE_STORE
#include "policy_fixture.h"

#include "policy/check.h"

/* An outer gateway with one nested gateway (the original's carrier-grade host) and, for the
 * inner side, a parent group. */
static const char nest_bundle[] =
	"{ \"version\": 1,"
	"  \"zones\": [ { \"name\": \"gwa.demo\", \"kind\": \"forward\","
	"                 \"nameservers\": [ { \"name\": \"ns1.gwa.demo\", \"ipv4\": \"100.64.1.130\" } ] } ],"
	"  \"service_addresses\": [ \"100.64.1.130\" ],"
	"  \"pool\": [ \"100.64.1.131-100.64.1.142\" ],"
	"  \"hosts\": [ { \"fqdn\": \"test.gwa.demo\", \"ipv4\": \"192.168.0.100\","
	"                 \"services\": [ { \"fqdn\": \"test.gwa.demo\" } ] },"
	"               { \"fqdn\": \"nest.gwa.demo\", \"ipv4\": \"192.168.0.10\","
	"                 \"nested\": { \"addresses\": [ \"192.168.0.10-192.168.0.14\" ],"
	"                             \"binding_timeout_ms\": 15000 } } ],"
	"  \"resolver_groups\": [ { \"name\": \"isp\", \"nodes\": [ \"100.64.0.1\" ] },"
	"                         { \"name\": \"carrier\", \"parent\": true,"
	"                           \"nodes\": [ \"10.0.0.1\" ] } ] }";

/* Set path (one level of hosts[i].x or resolver_groups[i].x) to the JSON text value. */
static char *
mutate(const char *arr, size_t i, const char *key, const char *value)
{
	json_t *root = json_loads(nest_bundle, 0, NULL);
	json_t *o;
	char *out;

	assert_non_null(root);
	o = json_array_get(json_object_get(root, arr), i);
	assert_non_null(o);
	if (value == NULL)
		json_object_del(o, key);
	else
		json_object_set_new(o, key, json_loads(value, JSON_DECODE_ANY, NULL));
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static void
test_parse(void **state)
{
	struct pol_snap *s = fx_parse(nest_bundle);
	const struct pol_host *h;
	struct addr a;

	(void)state;
	assert_non_null(s);
	h = pol_snap_host_by_fqdn(s, "nest.gwa.demo");
	assert_non_null(h);
	assert_int_equal(h->nested_port, 53);
	/* .10-.14: .10/31, .12/31, .14/32 */
	assert_int_equal(h->n_nested, 3);
	assert_int_equal(h->nested[0].len, 31);
	assert_int_equal(h->nested[2].len, 32);
	assert_int_equal(pol_nested_count(h), 5);
	assert_int_equal(addr_parse("192.168.0.14", &a), 0);
	assert_true(pol_nested_contains(h, &a));
	assert_int_equal(addr_parse("192.168.0.15", &a), 0);
	assert_false(pol_nested_contains(h, &a));
	assert_int_equal(addr_parse("192.168.0.9", &a), 0);
	assert_false(pol_nested_contains(h, &a));
	h = pol_snap_host_by_fqdn(s, "test.gwa.demo");
	assert_int_equal(h->nested_port, 0);
	assert_false(s->resolver_groups[0].parent);
	assert_true(s->resolver_groups[1].parent);
	pol_snap_unref(s);
}

/* Export -> parse -> export is stable, and the JSON says what the operator wrote. */
static void
test_json_roundtrip(void **state)
{
	struct pol_snap *s1 = fx_parse(nest_bundle), *s2;
	char *e1, *e2;
	json_t *j, *n;

	(void)state;
	assert_non_null(s1);
	e1 = pol_bundle_export_text(s1);
	assert_non_null(e1);
	j = json_loads(e1, 0, NULL);
	assert_non_null(j);
	n = json_object_get(json_array_get(json_object_get(j, "hosts"), 1), "nested");
	assert_true(json_is_object(n));
	assert_int_equal(json_integer_value(json_object_get(n, "dns_port")), 53);
	assert_int_equal(json_integer_value(json_object_get(n, "binding_timeout_ms")), 15000);
	assert_string_equal(json_string_value(json_array_get(json_object_get(n, "addresses"), 0)),
			    "192.168.0.10/31");
	assert_true(json_is_null(
		json_object_get(json_array_get(json_object_get(j, "hosts"), 0), "nested")));
	assert_true(json_is_true(json_object_get(
		json_array_get(json_object_get(j, "resolver_groups"), 1), "parent")));
	json_decref(j);
	s2 = fx_parse(e1);
	assert_non_null(s2);
	e2 = pol_bundle_export_text(s2);
	assert_string_equal(e1, e2);
	free(e1);
	free(e2);
	pol_snap_unref(s1);
	pol_snap_unref(s2);
}

/* Through the store: the nested blocks and the parent flag survive a snapshot. */
static void
test_store_roundtrip(void **state)
{
	struct fx *f = *state;
	struct pol_snap *s = fx_parse(nest_bundle), *back = NULL;
	struct pol_err e = { 0 };
	const struct pol_host *h;

	assert_non_null(s);
	if (pol_store_replace(f->st, s, &e) != 0)
		fail_msg("replace: %s: %s", e.field, e.msg);
	assert_int_equal(pol_store_snapshot(f->st, &back), 0);
	h = pol_snap_host_by_fqdn(back, "nest.gwa.demo");
	assert_non_null(h);
	assert_int_equal(h->nested_port, 53);
	assert_int_equal(h->nested_timeout_ms, 15000);
	assert_int_equal(h->n_nested, 3);
	assert_int_equal(pol_nested_count(h), 5);
	assert_int_equal(pol_snap_host_by_fqdn(back, "test.gwa.demo")->nested_port, 0);
	assert_int_equal(pol_snap_host_by_fqdn(back, "test.gwa.demo")->nested_timeout_ms, 0);
	assert_true(back->resolver_groups[1].parent);
	/* the column constraints refuse half a nested gateway */
	assert_int_not_equal(
		raw_exec(f->path, "UPDATE hosts SET nested_port = NULL WHERE nested IS NOT NULL"),
		0);
	assert_int_not_equal(raw_exec(f->path, "UPDATE hosts SET nested_port = 53 WHERE nested "
					       "IS NULL"),
			     0);
	assert_int_not_equal(raw_exec(f->path, "UPDATE resolver_groups SET parent = 2"), 0);
	pol_snap_unref(s);
	pol_snap_unref(back);
}

/* A version-3 database (the last before nested gateways) keeps its rows: hosts are ordinary, groups
 * are not parents. */
static void
test_migrate_v3(void **state)
{
	char *dir = fx_tmpdir();
	char path[512];
	struct pol_err e = { 0 };
	struct pol_snap *s = NULL;
	struct pol_store *st;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/v3.db", dir);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	pol_store_close(st);
	assert_int_equal(
		raw_exec(path, "ALTER TABLE hosts DROP COLUMN nested_timeout_ms;"
			       "ALTER TABLE hosts DROP COLUMN nested_port;"
			       "ALTER TABLE hosts DROP COLUMN nested;"
			       "ALTER TABLE resolver_groups DROP COLUMN parent;"
			       "ALTER TABLE api_tokens DROP COLUMN expires_ms;"
			       "ALTER TABLE api_tokens DROP COLUMN last_used_ms;"
			       "ALTER TABLE api_tokens DROP COLUMN pair;"
			       "ALTER TABLE audit DROP COLUMN tenant;"
			       "DROP TABLE sessions;"
			       "DROP TABLE tenants;"
			       "UPDATE schema_version SET version = 3;"
			       "INSERT INTO zones (name, kind, ttl, mname, rname, serial, refresh,"
			       " retry, expire, minimum) VALUES ('gwa.demo', 'forward', 60,"
			       " 'ns1.gwa.demo', 'hostmaster.gwa.demo', 1, 1, 1, 1, 1);"
			       "INSERT INTO hosts (fqdn, ipv4, pool_limit) VALUES"
			       " ('nest.gwa.demo', '192.168.0.10', 100);"
			       "INSERT INTO resolver_groups (name, initial_reputation, sla)"
			       " VALUES ('isp', 0.9, 1);"),
		0);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	assert_int_equal(pol_store_schema_version(st), POL_SCHEMA_VERSION);
	assert_int_equal(pol_store_snapshot(st, &s), 0);
	assert_int_equal(s->n_hosts, 1);
	assert_int_equal(s->hosts[0].nested_port, 0);
	assert_int_equal(s->hosts[0].n_nested, 0);
	assert_int_equal(s->n_resolver_groups, 1);
	assert_false(s->resolver_groups[0].parent);
	assert_true(s->resolver_groups[0].sla);
	pol_snap_unref(s);
	pol_store_close(st);
	assert_int_equal(raw_count(path, "SELECT count(*) FROM pragma_table_info('hosts')"
					 " WHERE name IN ('nested', 'nested_port')"),
			 2);
	fx_rmdir(dir);
}

struct bad {
	const char *arr;
	size_t i;
	const char *key, *value;
	const char *field, *msg;
	enum pol_err_kind kind;
};

static const struct bad bad_cases[] = {
	/* the row itself */
	{ "hosts", 1, "nested", "{\"addresses\": []}", "hosts[1].nested.addresses", "at least one",
	  POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"dns_port\": 53}", "hosts[1].nested.addresses", "required",
	  POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10\"], \"dns_port\": 0}",
	  "hosts[1].nested.dns_port", "1..65535", POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10\"], \"binding_timeout_ms\": 0}",
	  "hosts[1].nested.binding_timeout_ms", "1..3600000", POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10\"], \"x\": 1}",
	  "hosts[1].nested.x", "unknown key", POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"fd00::1\"]}", "hosts[1].nested.addresses[0]",
	  "IPv4", POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10/24\"]}",
	  "hosts[1].nested.addresses[0]", "host bits", POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.14-192.168.0.10\"]}",
	  "hosts[1].nested.addresses[0]", "range", POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.1.1-192.168.1.200\"]}", "hosts[1].ipv4",
	  "must be one of its nested.addresses", POL_ERR_INVALID },
	{ "hosts", 1, "nested",
	  "{\"addresses\": [\"192.168.0.10\", \"192.168.0.1-192.168.0.6\", "
	  "\"192.168.0.21-192.168.0.26\", \"192.168.0.31-192.168.0.36\", "
	  "\"192.168.0.41-192.168.0.46\", \"192.168.0.51-192.168.0.56\"]}",
	  "hosts[1].nested.addresses[5]", "at most 16", POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"10.0.0.0/24\"]}", "hosts[1].ipv4",
	  "must be one of", POL_ERR_INVALID },
	/* against the rest of the policy */
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.0/16\"]}",
	  "hosts[1].nested.addresses", "more than 1024", POL_ERR_INVALID },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10\", \"192.168.0.100\"]}",
	  "hosts[1].nested.addresses", "hosts[0]", POL_ERR_CONFLICT },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10\", \"100.64.1.131\"]}",
	  "hosts[1].nested.addresses", "pool address", POL_ERR_CONFLICT },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10\", \"100.64.1.130\"]}",
	  "hosts[1].nested.addresses", "service address", POL_ERR_CONFLICT },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10\", \"10.0.0.0/30\"]}",
	  "hosts[1].nested.addresses", "parent gateway", POL_ERR_CONFLICT },
	{ "hosts", 1, "nested", "{\"addresses\": [\"192.168.0.10\", \"193.168.0.10\"]}",
	  "hosts[1].nested.addresses", "last 24 bits", POL_ERR_CONFLICT },
	{ "hosts", 0, "fqdn", "\"a.nest.gwa.demo\"", "hosts[0].fqdn", "below the nested gateway",
	  POL_ERR_CONFLICT },
	{ "hosts", 0, "services", "[{\"fqdn\": \"www.nest.gwa.demo\"}]", "services[0].fqdn",
	  "below the nested gateway", POL_ERR_CONFLICT },
	{ "resolver_groups", 1, "parent", "1", "resolver_groups[1].parent", "true or false",
	  POL_ERR_INVALID },
};

static void
test_bad_input(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *c = &bad_cases[i];
		char *text = mutate(c->arr, c->i, c->key, c->value);
		struct pol_snap *s = NULL;
		struct pol_err e = { 0 };
		int rc = pol_bundle_parse(text, strlen(text), &s, &e);

		if (rc != -EINVAL || strcmp(e.field, c->field) != 0 ||
		    strstr(e.msg, c->msg) == NULL || e.kind != c->kind)
			fail_msg("case %zu (%s[%zu].%s = %s): rc %d, got %s \"%s: %s\", want %s "
				 "\"%s: ...%s...\"",
				 i, c->arr, c->i, c->key, c->value, rc, pol_err_kind_name(e.kind),
				 e.field, e.msg, pol_err_kind_name(c->kind), c->field, c->msg);
		assert_null(s);
		free(text);
	}
}

/* A second nested gateway may own its own block, not a shared one. */
static void
test_two_nested(void **state)
{
	json_t *root = json_loads(nest_bundle, 0, NULL);
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };
	char *text;

	(void)state;
	json_array_append_new(json_object_get(root, "hosts"),
			      json_pack("{s:s, s:s, s:{s:[s], s:i}}", "fqdn", "nest2.gwa.demo",
					"ipv4", "192.168.0.20", "nested", "addresses",
					"192.168.0.20/30", "dns_port", 5353));
	text = json_dumps(root, JSON_COMPACT);
	s = fx_parse(text);
	assert_non_null(s);
	assert_int_equal(pol_snap_host_by_fqdn(s, "nest2.gwa.demo")->nested_port, 5353);
	pol_snap_unref(s);
	free(text);
	/* overlapping blocks */
	json_object_set_new(
		json_object_get(json_array_get(json_object_get(root, "hosts"), 2), "nested"),
		"addresses", json_pack("[s, s]", "192.168.0.20", "192.168.0.14"));
	text = json_dumps(root, JSON_COMPACT);
	s = NULL;
	assert_int_equal(pol_bundle_parse(text, strlen(text), &s, &e), -EINVAL);
	assert_string_equal(e.field, "hosts[2].nested.addresses");
	assert_non_null(strstr(e.msg, "also owned by the nested gateway hosts[1]"));
	free(text);
	json_decref(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test_setup_teardown(test_store_roundtrip, setup, teardown),
		cmocka_unit_test(test_migrate_v3),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_two_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
