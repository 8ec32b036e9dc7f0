/* SPDX-License-Identifier: MIT */
/* tests/unit/test_store_rows.c -- the row accessors of every table: CRUD, cascades, unique/check/foreign-key errors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sqlite3.h>

#define RGW_FIXTURE_STORE
#include "policy_fixture.h"

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
	assert_int_equal(pol_row_insert(f->st, &pol_t_zone, &z, &e), 0);
	assert_true(z.id > 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_zone, z.id, &got), 0);
	assert_string_equal(got.name, "gwa.demo");
	assert_int_equal(got.serial, 4294967295u);
	assert_int_equal(got.kind, POL_ZONE_FORWARD);
	/* unique name */
	z2 = z;
	assert_int_equal(pol_row_insert(f->st, &pol_t_zone, &z2, &e), -EEXIST);
	assert_string_equal(e.field, "zones.name");
	assert_int_equal(e.kind, POL_ERR_CONFLICT);
	/* row checks name the field; bad content, whatever the error before */
	snprintf(z2.name, sizeof(z2.name), "Not Canonical");
	assert_int_equal(pol_row_insert(f->st, &pol_t_zone, &z2, &e), -EINVAL);
	assert_string_equal(e.field, "name");
	assert_int_equal(e.kind, POL_ERR_INVALID);
	snprintf(z2.name, sizeof(z2.name), "other.demo");
	z2.kind = (enum pol_zone_kind)7;
	assert_int_equal(pol_row_insert(f->st, &pol_t_zone, &z2, &e), -EINVAL);
	assert_string_equal(e.field, "kind");
	/* update */
	got.kind = POL_ZONE_ALIAS;
	got.serial = 2;
	assert_int_equal(pol_row_update(f->st, &pol_t_zone, &got, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_zone, z.id, &got), 0);
	assert_int_equal(got.kind, POL_ZONE_ALIAS);
	assert_int_equal(got.serial, 2);
	got.kind = POL_ZONE_REVERSE; /* gwa.demo is not under in-addr.arpa */
	assert_int_equal(pol_row_update(f->st, &pol_t_zone, &got, &e), -EINVAL);
	assert_string_equal(e.field, "name");
	got.kind = POL_ZONE_ALIAS;
	got.id = 999;
	assert_int_equal(pol_row_update(f->st, &pol_t_zone, &got, &e), -ENOENT);
	/* nameserver: foreign key to zones, cascade on delete */
	ns.zone_id = 999;
	snprintf(ns.name, sizeof(ns.name), "ns1.gwa.demo");
	addr_of("100.64.1.130", &ns.ipv4);
	assert_int_equal(pol_row_insert(f->st, &pol_t_nameserver, &ns, &e), -EINVAL);
	assert_string_equal(e.field, "nameservers");
	assert_int_equal(e.kind, POL_ERR_DANGLING);
	ns.zone_id = z.id;
	assert_int_equal(pol_row_insert(f->st, &pol_t_nameserver, &ns, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_nameserver, ns.id, &nsg), 0);
	assert_int_equal(nsg.ipv4.family, AF_INET);
	assert_int_equal(nsg.ipv6.family, 0);
	addr_of("::1", &ns.ipv4);
	assert_int_equal(pol_row_update(f->st, &pol_t_nameserver, &ns, &e), -EINVAL);
	assert_string_equal(e.field, "ipv4");
	assert_int_equal(pol_row_delete(f->st, &pol_t_zone, z.id, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_nameserver, ns.id, &nsg), -ENOENT);
	assert_int_equal(pol_row_get(f->st, &pol_t_zone, z.id, &got), -ENOENT);
	assert_int_equal(pol_row_delete(f->st, &pol_t_zone, z.id, &e), -ENOENT);
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
	assert_int_equal(pol_row_insert(f->st, &pol_t_group, &g, &e), 0);
	g2 = g;
	assert_int_equal(pol_row_insert(f->st, &pol_t_group, &g2, &e), -EEXIST);
	assert_string_equal(e.field, "groups.name");
	snprintf(g2.name, sizeof(g2.name), "bad name");
	assert_int_equal(pol_row_insert(f->st, &pol_t_group, &g2, &e), -EINVAL);
	assert_string_equal(e.field, "name");

	snprintf(h.fqdn, sizeof(h.fqdn), "test.gwa.demo");
	addr_of("192.168.0.100", &h.ipv4);
	h.pool_limit = 3;
	assert_int_equal(pol_row_insert(f->st, &pol_t_host, &h, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_host, h.id, &hg), 0);
	assert_int_equal(hg.pool_limit, 3);
	assert_int_equal(hg.ipv6.family, 0);
	h2 = h;
	snprintf(h2.fqdn, sizeof(h2.fqdn), "other.gwa.demo");
	assert_int_equal(pol_row_insert(f->st, &pol_t_host, &h2, &e), -EEXIST);
	assert_string_equal(e.field, "hosts.ipv4");
	assert_int_equal(e.kind, POL_ERR_CONFLICT);
	h2 = h;
	addr_of("192.168.0.101", &h2.ipv4);
	assert_int_equal(pol_row_insert(f->st, &pol_t_host, &h2, &e), -EEXIST);
	assert_string_equal(e.field, "hosts.fqdn");
	memset(&h2.ipv4, 0, sizeof(h2.ipv4));
	snprintf(h2.fqdn, sizeof(h2.fqdn), "noaddr.gwa.demo");
	assert_int_equal(pol_row_insert(f->st, &pol_t_host, &h2, &e), -EINVAL);
	addr_of("2001:db8::5", &h2.ipv6);
	assert_int_equal(pol_row_insert(f->st, &pol_t_host, &h2, &e), 0);

	assert_int_equal(pol_host_group_add(f->st, h.id, g.id, &e), 0);
	assert_int_equal(pol_host_group_add(f->st, h.id, g.id, &e), -EEXIST);
	assert_int_equal(e.kind, POL_ERR_CONFLICT);
	assert_int_equal(pol_host_group_add(f->st, h.id, 999, &e), -EINVAL);
	assert_int_equal(e.kind, POL_ERR_DANGLING);

	sv.host_id = h.id;
	snprintf(sv.fqdn, sizeof(sv.fqdn), "udp5000.test.gwa.demo");
	sv.binding_timeout_ms = 2000;
	assert_int_equal(pol_row_insert(f->st, &pol_t_service, &sv, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_service, sv.id, &svg), 0);
	assert_false(svg.has_proto);
	assert_int_equal(svg.protocol, POL_PROTO_UDP); /* resolved from the label */
	assert_int_equal(svg.port, 5000);
	sv2 = sv;
	assert_int_equal(pol_row_insert(f->st, &pol_t_service, &sv2, &e), -EEXIST);
	assert_string_equal(e.field, "services.fqdn");
	snprintf(sv2.fqdn, sizeof(sv2.fqdn), "x.test.gwa.demo");
	sv2.binding_timeout_ms = 0;
	assert_int_equal(pol_row_insert(f->st, &pol_t_service, &sv2, &e), -EINVAL);
	assert_string_equal(e.field, "binding_timeout_ms");
	sv2.binding_timeout_ms = 100;
	sv2.host_id = 12345;
	assert_int_equal(pol_row_insert(f->st, &pol_t_service, &sv2, &e), -EINVAL);
	assert_string_equal(e.field, "services");
	svg.has_proto = svg.has_port = true;
	svg.protocol = POL_PROTO_TCP;
	svg.port = 22;
	assert_int_equal(pol_row_update(f->st, &pol_t_service, &svg, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_service, sv.id, &svg), 0);
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
	assert_int_equal(pol_row_insert(f->st, &pol_t_fw_rule, &r, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_fw_rule, r.id, &rget), 0);
	assert_int_equal(rget.src.len, 24);
	assert_int_equal(rget.dst.addr.family, 0);
	assert_int_equal(rget.dport.hi, 90);
	assert_int_equal(rget.priority, -5);
	assert_int_equal(rget.group_id, 0);
	/* exactly one owner, enforced by SQL */
	rg = r;
	rg.group_id = g.id;
	assert_int_equal(pol_row_insert(f->st, &pol_t_fw_rule, &rg, &e), -EINVAL);
	assert_string_equal(e.field, "fw_rules.owner");
	rg.host_id = 0;
	assert_int_equal(pol_row_insert(f->st, &pol_t_fw_rule, &rg, &e), 0);
	rg.dport.lo = 100; /* lo > hi */
	assert_int_equal(pol_row_update(f->st, &pol_t_fw_rule, &rg, &e), -EINVAL);
	assert_string_equal(e.field, "dport");

	/* deleting the host cascades to its services, rules and memberships */
	assert_int_equal(pol_row_delete(f->st, &pol_t_host, h.id, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_service, sv.id, &svg), -ENOENT);
	assert_int_equal(pol_row_get(f->st, &pol_t_fw_rule, r.id, &rget), -ENOENT);
	assert_int_equal(pol_row_get(f->st, &pol_t_fw_rule, rg.id, &rget), 0);
	assert_int_equal(pol_store_snapshot(f->st, &snap), 0);
	assert_int_equal(snap->n_host_groups, 0);
	assert_int_equal(snap->n_hosts, 1);
	pol_snap_unref(snap);
	/* deleting the group cascades to its rules and memberships */
	assert_int_equal(pol_host_group_add(f->st, h2.id, g.id, &e), 0);
	assert_int_equal(pol_row_delete(f->st, &pol_t_group, g.id, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_fw_rule, rg.id, &rget), -ENOENT);
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
	assert_int_equal(pol_row_insert(f->st, &pol_t_service_addr, &sa, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_service_addr, sa.id, &sag), 0);
	assert_string_equal(sag.comment, "the ALG");
	assert_int_equal(pol_row_insert(f->st, &pol_t_service_addr, &sa, &e), -EEXIST);
	addr_of("100.64.1.131", &pa.addr);
	assert_int_equal(pol_row_insert(f->st, &pol_t_pool_addr, &pa, &e), 0);
	assert_int_equal(pol_row_insert(f->st, &pol_t_pool_addr, &pa, &e), -EEXIST);
	assert_string_equal(e.field, "pool_addrs.addr");
	memset(&pa.addr, 0, sizeof(pa.addr));
	assert_int_equal(pol_row_insert(f->st, &pol_t_pool_addr, &pa, &e), -EINVAL);
	addr_of("2001:db8::1", &pa.addr);
	assert_int_equal(pol_row_update(f->st, &pol_t_pool_addr, &pa, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_pool_addr, pa.id, &pag), 0);
	assert_int_equal(pag.addr.family, AF_INET6);
	assert_int_equal(pol_row_delete(f->st, &pol_t_pool_addr, pa.id, &e), 0);
	assert_int_equal(pol_row_delete(f->st, &pol_t_service_addr, sa.id, &e), 0);

	snprintf(ar.hostname, sizeof(ar.hostname), "*.test.gwa.demo");
	ar.listen_port = 443;
	addr_of("192.168.0.100", &ar.backend);
	ar.backend_port = 8443;
	ar.preserve = POL_PRESERVE_PROXY_V2;
	assert_int_equal(pol_row_insert(f->st, &pol_t_alg_route, &ar, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_alg_route, ar.id, &arg), 0);
	assert_int_equal(arg.preserve, POL_PRESERVE_PROXY_V2);
	assert_int_equal(arg.backend_port, 8443);
	ar2 = ar;
	assert_int_equal(pol_row_insert(f->st, &pol_t_alg_route, &ar2, &e), -EEXIST);
	ar2.listen_port = 80;
	assert_int_equal(pol_row_insert(f->st, &pol_t_alg_route, &ar2, &e), 0);
	ar2.backend_port = 0;
	assert_int_equal(pol_row_update(f->st, &pol_t_alg_route, &ar2, &e), -EINVAL);
	assert_string_equal(e.field, "backend");

	b.position = 1;
	b.load_min = 10;
	b.load_max = 20;
	b.fqdn_new = 0.5;
	b.math = POL_MATH_AVG;
	assert_int_equal(pol_row_insert(f->st, &pol_t_bracket, &b, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_bracket, b.id, &bg), 0);
	assert_true(bg.fqdn_new == 0.5);
	assert_int_equal(bg.math, POL_MATH_AVG);
	bg.load_min = 30;
	assert_int_equal(pol_row_update(f->st, &pol_t_bracket, &bg, &e), -EINVAL);
	assert_string_equal(e.field, "load_min");
	bg.load_min = 0;
	bg.sfqdn_reuse = 1.5;
	assert_int_equal(pol_row_update(f->st, &pol_t_bracket, &bg, &e), -EINVAL);
	assert_string_equal(e.field, "sfqdn_reuse");
	assert_int_equal(pol_row_delete(f->st, &pol_t_bracket, b.id, &e), 0);

	snprintf(rg.name, sizeof(rg.name), "public");
	rg.initial_reputation = 0.9;
	rg.sla = true;
	assert_int_equal(pol_row_insert(f->st, &pol_t_resolver_group, &rg, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_resolver_group, rg.id, &rgg), 0);
	assert_true(rgg.sla);
	rgg.initial_reputation = 1.1;
	assert_int_equal(pol_row_update(f->st, &pol_t_resolver_group, &rgg, &e), -EINVAL);
	assert_string_equal(e.field, "initial_reputation");
	rn.group_id = rg.id;
	assert_int_equal(prefix_parse("1.1.1.0/24", false, &rn.prefix), 0);
	assert_int_equal(pol_row_insert(f->st, &pol_t_resolver_node, &rn, &e), 0);
	rn2 = rn;
	assert_int_equal(pol_row_insert(f->st, &pol_t_resolver_node, &rn2, &e), -EEXIST);
	assert_string_equal(e.field, "resolver_nodes.prefix");
	assert_int_equal(pol_row_delete(f->st, &pol_t_resolver_group, rg.id, &e), 0);
	assert_int_equal(pol_row_get(f->st, &pol_t_resolver_node, rn.id, &rng), -ENOENT);

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

/*
 * Every table's descriptor: its column list is its statements' (field "sport.lo" is column
 * "sport_lo"), every row of the example policy goes through the store and comes back byte
 * for byte (ids included: pol_store_replace numbers rows as the bundle does), and through
 * the JSON codec to the same representation.
 */
static void
check_tables(struct fx *f, const char *text)
{
	struct pol_snap *in = fx_parse(text), *out = NULL;
	struct pol_err e = { 0 };
	size_t ntables = 0;

	assert_non_null(in);
	assert_int_equal(pol_store_replace(f->st, in, &e), 0);
	assert_int_equal(pol_store_snapshot(f->st, &out), 0);
	for (const struct pol_table *const *tp = pol_tables; *tp != NULL; tp++, ntables++) {
		const struct pol_table *t = *tp;
		char cols[512] = "", want[600];
		size_t used = 0;

		for (int i = 0; i < t->ncols; i++)
			used += (size_t)snprintf(cols + used, sizeof(cols) - used, "%s%s",
						 i ? ", " : "", t->cols[i].field);
		for (char *c = cols; *c != '\0'; c++)
			if (*c == '.')
				*c = '_';
		snprintf(want, sizeof(want), "INSERT INTO %s (%s) VALUES", t->sql_table, cols);
		assert_memory_equal(t->sql_insert, want, strlen(want));
		assert_int_equal(pol_table_count(t, out), pol_table_count(t, in));
		for (size_t i = 0; i < pol_table_count(t, in); i++) {
			const void *a = pol_table_row(t, in, i), *b = pol_table_row(t, out, i);
			char row[4096] = { 0 };
			json_t *ja = t->to_json(in, a), *jb;

			assert_true(t->size <= sizeof(row));
			if (memcmp(a, b, t->size) != 0)
				fail_msg("%s[%zu] differs after the store", t->name, i);
			assert_int_equal(pol_row_get(f->st, t, pol_row_id(a), row), 0);
			assert_memory_equal(row, a, t->size);
			memcpy(row, a, t->size);
			assert_int_equal(t->from_json(ja, false, row, t->name, &e), 0);
			memcpy(row, a, sizeof(int64_t)); /* the id, which the JSON does not carry */
			jb = t->to_json(in, row);
			if (!json_equal(ja, jb))
				fail_msg("%s[%zu] differs after its codec", t->name, i);
			json_decref(ja);
			json_decref(jb);
		}
	}
	assert_int_equal(ntables, 12);
	pol_snap_unref(in);
	pol_snap_unref(out);
}

static void
test_tables_example(void **state)
{
	char *text = fx_example();

	check_tables(*state, text);
	free(text);
}

/* What the example does not hold: comments, IPv6, explicit protocols and ports, ICMP,
 * negative priorities, a group's rules, a nested gateway, a learned-window override. */
static void
test_tables_every_column(void **state)
{
	check_tables(
		*state,
		"{\"version\": 1, \"zones\": [{\"name\": \"gwa.demo\", \"nameservers\": [{\"name\": "
		"\"ns1.gwa.demo\", \"ipv4\": \"100.64.1.130\", \"ipv6\": \"2001:db8::130\"}]}],"
		"\"service_addresses\": [{\"address\": \"100.64.1.130\", \"comment\": \"the gw\"}],"
		"\"pool\": [\"100.64.1.131-100.64.1.133\"],"
		"\"groups\": [{\"name\": \"g1\", \"comment\": \"c\", \"firewall\": [{\"action\": "
		"\"drop\", \"protocol\": \"tcp\", \"dport\": 22}]}],"
		"\"hosts\": [{\"fqdn\": \"a.gwa.demo\", \"ipv4\": \"192.168.0.100\", \"groups\": "
		"[\"g1\"], \"comment\": \"h\", \"services\": [{\"fqdn\": \"ssh.a.gwa.demo\", "
		"\"protocol\": \"tcp\", \"port\": 22}], \"firewall\": [{\"action\": \"reject\", "
		"\"protocol\": \"icmp\", \"icmp_type\": 3, \"icmp_code\": 1, \"priority\": -4, "
		"\"rate\": 10, \"burst\": 20, \"src\": \"10.0.0.0/8\", \"comment\": \"r\"}]},"
		"{\"fqdn\": \"n.gwa.demo\", \"ipv4\": \"192.168.0.150\", \"nested\": {\"addresses\": "
		"[\"192.168.0.150\", \"192.168.7.0/24\", \"192.168.8.1-192.168.8.5\"], \"dns_port\": "
		"5353, \"binding_timeout_ms\": 1234}}],"
		"\"alg_routes\": [{\"hostname\": \"*.a.gwa.demo\", \"port\": 443, \"backend\": "
		"\"192.168.0.100:443\", \"preserve\": \"proxy-v2\"}],"
		"\"admission\": {\"load_brackets\": [{\"load_min\": 0, \"load_max\": 100, "
		"\"math\": \"avg\"}]},"
		"\"resolver_groups\": [{\"name\": \"rg\", \"cache_window_ms\": 1500, \"sla\": "
		"true, \"nodes\": [\"198.51.100.0/24\", \"2001:db8:1::/48\"]}]}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zone_nameserver_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_service_fw_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr_alg_bracket_resolver_crud, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sql_constraints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_every_column, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
