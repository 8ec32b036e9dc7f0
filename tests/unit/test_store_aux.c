/* SPDX-License-Identifier: MIT */
/* tests/unit/test_store_aux.c -- API tokens, audit log and reputation state in the store */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sqlite3.h>

#define RGW_FIXTURE_STORE
#include "common/util.h"
#include "policy/session.h"
#include "policy/tenancy.h"
#include "policy_fixture.h"

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

	assert_int_equal(pol_token_create(f->st, "reader", POL_ROLE_RO, 0, false, ro, &e), 0);
	assert_int_equal(pol_token_create(f->st, "admin", POL_ROLE_RW, 0, false, rw, &e), 0);
	assert_int_equal(pol_token_create(f->st, "admin", POL_ROLE_RW, 0, false, dup, &e), -EEXIST);
	assert_int_equal(pol_token_create(f->st, "bad name", POL_ROLE_RW, 0, false, dup, &e),
			 -EINVAL);
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

static int
audit(struct pol_store *st, const char *actor, const char *action, const char *resource,
      const char *detail)
{
	struct pol_change c = { actor, action, resource, detail, NULL, false };

	return pol_audit_append(st, &c, NULL, NULL);
}

/* Expiry: a token past its expiry is refused as expired (and named); one with a future
 * expiry works. Listing shows names, roles and times, never secret material; a check notes
 * the time of use. */
static void
test_token_expiry_and_list(void **state)
{
	struct fx *f = *state;
	char a[POL_TOKEN_MAX], b[POL_TOKEN_MAX], c[POL_TOKEN_MAX], name[64];
	uint64_t now = util_wall_ms();
	struct pol_token_info *t;
	enum pol_role role;
	struct pol_err e;
	size_t n;

	assert_int_equal(pol_token_create(f->st, "old", POL_ROLE_RW, now - 1, false, a, &e), 0);
	assert_int_equal(pol_token_create(f->st, "soon", POL_ROLE_RO, now + 3600000, false, b, &e),
			 0);
	assert_int_equal(pol_token_create(f->st, "forever", POL_ROLE_RW, 0, false, c, &e), 0);
	name[0] = '\0';
	assert_int_equal(pol_token_check(f->st, a, &role, name, sizeof(name)), -EKEYEXPIRED);
	assert_string_equal(name, "old");
	assert_int_equal(pol_token_check(f->st, b, &role, name, sizeof(name)), 0);
	assert_int_equal(role, POL_ROLE_RO);
	assert_int_equal(pol_token_check(f->st, c, &role, name, sizeof(name)), 0);

	assert_int_equal(pol_token_list(f->st, &t, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(t[0].name, "forever"); /* by name */
	assert_int_equal(t[0].expires_ms, 0);
	assert_true(t[0].last_used_ms >= now);
	assert_string_equal(t[1].name, "old");
	assert_int_equal(t[1].expires_ms, now - 1);
	assert_int_equal(t[1].last_used_ms, 0); /* an expired token is not "used" */
	assert_string_equal(t[2].name, "soon");
	assert_int_equal(t[2].role, POL_ROLE_RO);
	assert_int_equal(t[2].expires_ms, now + 3600000);
	assert_true(t[2].created_ms >= now && t[2].created_ms <= util_wall_ms());
	free(t);
	/* revocation by name */
	assert_int_equal(pol_token_delete(f->st, "soon"), 0);
	assert_int_equal(pol_token_check(f->st, b, &role, name, sizeof(name)), -EACCES);
}

/* The schema step that added expiry (v5 -> v6) keeps every token of an older database working. */
static void
test_token_migration(void **state)
{
	struct fx *f = *state;
	char a[POL_TOKEN_MAX], name[64], sql[1024];
	struct pol_tenant ten;
	struct pol_token_info *t;
	enum pol_role role;
	struct pol_err e;
	size_t n;

	assert_int_equal(pol_token_create(f->st, "kept", POL_ROLE_RW, 0, false, a, &e), 0);
	pol_store_close(f->st);
	/* back to version 5: the columns it did not have are dropped (token expiry: v6; pair tokens: v7;
	 * tenant realms, quotas and audit tenants: v8); a tenant of v5 keeps its row */
	snprintf(sql, sizeof(sql), "%s",
		 "ALTER TABLE api_tokens DROP COLUMN expires_ms;"
		 "ALTER TABLE api_tokens DROP COLUMN last_used_ms;"
		 "ALTER TABLE api_tokens DROP COLUMN pair;"
		 "ALTER TABLE tenants DROP COLUMN realm;"
		 "ALTER TABLE tenants DROP COLUMN max_hosts;"
		 "ALTER TABLE tenants DROP COLUMN max_services;"
		 "ALTER TABLE tenants DROP COLUMN max_alg_routes;"
		 "ALTER TABLE tenants DROP COLUMN max_pool;"
		 "ALTER TABLE audit DROP COLUMN tenant;"
		 "INSERT INTO tenants (name, domains, session_rate, tokens)"
		 " VALUES ('bank', 'bank.gwa.demo', 5, 'kept');"
		 "UPDATE schema_version SET version = 5;");
	assert_int_equal(raw_exec(f->path, sql), 0);
	f->st = pol_store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(pol_store_schema_version(f->st), POL_SCHEMA_VERSION);
	assert_int_equal(pol_tenant_get(f->st, "bank", &ten), 0);
	assert_int_equal(ten.session_rate, 5);
	assert_int_equal(ten.n_realm, 0);
	assert_int_equal(
		ten.quota.hosts + ten.quota.services + ten.quota.alg_routes + ten.quota.pool, 0);
	assert_int_equal(pol_token_check(f->st, a, &role, name, sizeof(name)), 0);
	assert_string_equal(name, "kept");
	assert_int_equal(pol_token_list(f->st, &t, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].expires_ms, 0);
	free(t);
	/* a token of an older database is this node's own: an HA pair does not replicate it */
	{
		struct pol_token_row *r;

		assert_int_equal(pol_token_rows(f->st, &r, &n), 0);
		assert_int_equal(n, 0);
		free(r);
	}
}

/* An HA pair's tokens: the pair tokens as stored; a standby takes them whole (inserts,
 * updates, revokes) and keeps its node tokens. */
static void
test_token_pair(void **state)
{
	struct fx *f = *state;
	char local[POL_TOKEN_MAX], robot[POL_TOKEN_MAX], gone[POL_TOKEN_MAX], name[64];
	struct pol_token_row *rows, bad;
	uint64_t exp = util_wall_ms() + 3600000;
	enum pol_role role;
	size_t n, conflicts;
	struct pol_err e;

	assert_int_equal(pol_token_create(f->st, "local", POL_ROLE_RW, 0, false, local, &e), 0);
	assert_int_equal(pol_token_create(f->st, "robot", POL_ROLE_RW, exp, true, robot, &e), 0);
	assert_int_equal(pol_token_create(f->st, "gone", POL_ROLE_RO, 0, true, gone, &e), 0);
	assert_int_equal(pol_token_rows(f->st, &rows, &n), 0);
	assert_int_equal(n, 2); /* the pair's only, by name */
	assert_string_equal(rows[0].name, "gone");
	assert_string_equal(rows[1].name, "robot");
	assert_int_equal(rows[1].expires_ms, exp);
	/* a new standby: no pair token yet; it takes both, and their secrets work */
	assert_int_equal(pol_token_delete(f->st, "robot"), 0);
	assert_int_equal(pol_token_delete(f->st, "gone"), 0);
	assert_int_equal(pol_token_take(f->st, rows, n, &conflicts), 2);
	assert_int_equal(conflicts, 0);
	assert_int_equal(pol_token_check(f->st, robot, &role, name, sizeof(name)), 0);
	assert_string_equal(name, "robot");
	assert_int_equal(pol_token_check(f->st, gone, &role, name, sizeof(name)), 0);
	assert_int_equal(role, POL_ROLE_RO);
	assert_int_equal(pol_token_take(f->st, rows, n, &conflicts), 0); /* the same again */
	/* revoked on the active: not in the rows any more */
	assert_int_equal(pol_token_take(f->st, &rows[1], 1, &conflicts), 1);
	assert_int_equal(pol_token_check(f->st, gone, &role, name, sizeof(name)), -EACCES);
	assert_int_equal(pol_token_check(f->st, robot, &role, name, sizeof(name)), 0);
	/* a pair token with a node token's name does not replace it */
	bad = rows[1];
	util_strlcpy(bad.name, "local", sizeof(bad.name));
	assert_int_equal(pol_token_take(f->st, &bad, 1, &conflicts), 1); /* robot revoked */
	assert_int_equal(conflicts, 1);
	assert_int_equal(pol_token_check(f->st, local, &role, name, sizeof(name)), 0);
	assert_string_equal(name, "local");
	assert_int_equal(pol_token_check(f->st, robot, &role, name, sizeof(name)), -EACCES);
	/* none: every pair token goes, the node's stay */
	assert_int_equal(pol_token_take(f->st, rows, n, &conflicts), 2);
	assert_int_equal(pol_token_take(f->st, NULL, 0, &conflicts), 2);
	assert_int_equal(pol_token_count(f->st), 1);
	/* a bad row changes nothing */
	util_strlcpy(bad.name, "bad name", sizeof(bad.name));
	assert_int_equal(pol_token_take(f->st, &bad, 1, &conflicts), -EINVAL);
	assert_int_equal(pol_token_count(f->st), 1);
	free(rows);
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
		assert_int_equal(audit(f->st, "admin", "update", res, i == 2 ? NULL : "{\"x\": 1}"),
				 0);
	}
	/* the ETags of the policy before and after a change, when there are some */
	assert_int_equal(pol_audit_append(f->st, &(struct pol_change){ .actor = "unit" },
					  "\"before\"", "\"after\""),
			 0);
	assert_int_equal(pol_audit_list(f->st, NULL, 0, 2, &rows, &n), 0);
	assert_string_equal(rows[0].etag_before, "\"before\"");
	assert_string_equal(rows[0].etag_after, "\"after\"");
	assert_string_equal(rows[1].etag_before, "");
	assert_string_equal(rows[1].etag_after, "");
	assert_int_equal(pol_audit_prune(f->st, util_wall_ms() + 1, NULL), 0);
	pol_audit_free(rows, n);
	for (int i = 0; i < 5; i++) {
		char res[32];

		snprintf(res, sizeof(res), "hosts/%d", i);
		assert_int_equal(audit(f->st, "admin", "update", res, i == 2 ? NULL : "{\"x\": 1}"),
				 0);
	}
	assert_int_equal(pol_audit_list(f->st, NULL, 0, 3, &rows, &n), 0);
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
		assert_int_equal(pol_audit_list(f->st, NULL, next, 10, &rows, &n), 0);
	}
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].resource, "hosts/1");
	assert_string_equal(rows[1].resource, "hosts/0");
	pol_audit_free(rows, n);
	/* a policy replace keeps the audit log */
	load_example(f->st);
	assert_int_equal(pol_audit_list(f->st, NULL, 0, 100, &rows, &n), 0);
	assert_int_equal(n, 5);
	pol_audit_free(rows, n);
}

/* Retention: only lines written before the cut go; the count is reported. */
static void
test_audit_prune(void **state)
{
	struct fx *f = *state;
	struct pol_audit *rows;
	uint64_t removed = 99, cut;
	size_t n;

	assert_int_equal(audit(f->st, "admin", "create", "hosts/old", NULL), 0);
	assert_int_equal(audit(f->st, "admin", "update", "hosts/old", NULL), 0);
	assert_int_equal(pol_audit_list(f->st, NULL, 0, 10, &rows, &n), 0);
	cut = rows[0].ts_ms + 1; /* after both */
	pol_audit_free(rows, n);
	/* nothing before the first line */
	assert_int_equal(pol_audit_prune(f->st, 1, &removed), 0);
	assert_int_equal(removed, 0);
	/* a line written after the cut survives: wait until the wall clock has passed it */
	while (util_wall_ms() <= cut)
		;
	assert_int_equal(audit(f->st, "admin", "delete", "hosts/new", NULL), 0);
	assert_int_equal(pol_audit_prune(f->st, cut, &removed), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(pol_audit_list(f->st, NULL, 0, 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].resource, "hosts/new");
	pol_audit_free(rows, n);
	assert_int_equal(pol_audit_prune(f->st, cut, NULL), 0);
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

/*
 * Replacing the policy forgets the saved evidence of a resolver group whose
 * initial_reputation changes (the engine restarts such a group from the new value); groups
 * that keep theirs, and other kinds, keep their state.
 */
static void
test_reputation_prior_change(void **state)
{
	static const char *const keep[] = { "trusted-resolver", "router", "10.0.0.0/24" };
	struct fx *f = *state;
	struct pol_reputation r = { 0 }, *rows;
	struct pol_snap *s;
	struct pol_err e = { 0 };
	size_t n, i;

	load_example(f->st);
	r.prev_initial = r.cur_initial = 0.5;
	r.periods = 2;
	r.cur_ok = 3;
	r.kind = POL_REP_RESOLVER_GROUP;
	for (i = 0; i < 2; i++) {
		snprintf(r.key, sizeof(r.key), "%s", keep[i]);
		assert_int_equal(pol_reputation_save(f->st, &r), 0);
	}
	snprintf(r.key, sizeof(r.key), "distrusted-resolver");
	assert_int_equal(pol_reputation_save(f->st, &r), 0);
	r.kind = POL_REP_REQUESTOR;
	snprintf(r.key, sizeof(r.key), "%s", keep[2]);
	assert_int_equal(pol_reputation_save(f->st, &r), 0);
	/* the same policy again: nothing forgotten */
	assert_int_equal(pol_store_snapshot(f->st, &s), 0);
	assert_int_equal(pol_store_replace(f->st, s, &e), 0);
	assert_int_equal(pol_reputation_list(f->st, &rows, &n), 0);
	assert_int_equal(n, 4);
	free(rows);
	/* distrusted-resolver 0 -> 0.3: its evidence goes; router only changes its SLA flag */
	for (i = 0; i < s->n_resolver_groups; i++) {
		if (strcmp(s->resolver_groups[i].name, "distrusted-resolver") == 0)
			s->resolver_groups[i].initial_reputation = 0.3;
		if (strcmp(s->resolver_groups[i].name, "router") == 0)
			s->resolver_groups[i].sla = false;
	}
	assert_int_equal(pol_store_replace(f->st, s, &e), 0);
	pol_snap_unref(s);
	assert_int_equal(pol_reputation_list(f->st, &rows, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_string_equal(rows[i].key, keep[i]);
	free(rows);
}

/* A tenant's bundle replaces its part only: the operator's rows keep their ids (the boundary
 * check finds nothing else changed), a host named again keeps its id and memberships, a new
 * one is added, one left out is removed. */
static void
test_replace_part(void **state)
{
	struct fx *f = *state;
	struct pol_tenant t = { .name = "t", .n_domains = 1, .n_realm = 2 };
	struct pol_snap *cur = NULL, *in, *after = NULL, *again = NULL;
	struct pol_err e = { 0 };
	const struct pol_host *h;
	size_t n;

	load_example(f->st);
	snprintf(t.domains[0], sizeof(t.domains[0]), "test200.gwa.demo");
	assert_int_equal(prefix_parse("0.0.0.0/0", false, &t.realm[0]), 0);
	assert_int_equal(prefix_parse("::/0", false, &t.realm[1]), 0);
	assert_int_equal(pol_store_snapshot(f->st, &cur), 0);
	in = pol_tenancy_part(cur, &t);
	assert_non_null(in);
	assert_int_equal(in->n_hosts, 1);
	/* its host changed, and a second one */
	snprintf(in->hosts[0].comment, sizeof(in->hosts[0].comment), "restored");
	in->hosts = realloc(in->hosts, 2 * sizeof(*in->hosts));
	assert_non_null(in->hosts);
	in->hosts[1] = in->hosts[0];
	in->hosts[1].id = in->hosts[0].id + 1;
	snprintf(in->hosts[1].fqdn, sizeof(in->hosts[1].fqdn), "x.test200.gwa.demo");
	in->hosts[1].ipv4.u.v4.s_addr ^= htonl(0x80);
	in->n_hosts = 2;
	assert_int_equal(pol_store_begin(f->st), 0);
	if (pol_store_replace_part(f->st, cur, &t, in, &e) != 0)
		fail_msg("replace_part: %s: %s", e.field, e.msg);
	assert_int_equal(pol_store_snapshot(f->st, &after), 0);
	if (pol_tenancy_check(cur, after, &t, &e) != 0)
		fail_msg("boundary: %s: %s", e.field, e.msg);
	assert_int_equal(after->n_hosts, cur->n_hosts + 1);
	h = pol_snap_host(after, in->hosts[0].id);
	assert_non_null(h);
	assert_string_equal(h->fqdn, "test200.gwa.demo");
	assert_string_equal(h->comment, "restored");
	assert_int_equal(after->n_host_groups, cur->n_host_groups);
	/* the part without its second host: back to where it was, but for the comment */
	in->n_hosts = 1;
	assert_int_equal(pol_store_replace_part(f->st, after, &t, in, &e), 0);
	assert_int_equal(pol_store_snapshot(f->st, &again), 0);
	assert_int_equal(pol_tenancy_check(cur, again, &t, &e), 0);
	n = again->n_hosts;
	assert_int_equal(n, cur->n_hosts);
	assert_int_equal(pol_store_commit(f->st), 0);
	pol_snap_unref(cur);
	pol_snap_unref(in);
	pol_snap_unref(after);
	pol_snap_unref(again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_expiry_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reputation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reputation_prior_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_part, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
