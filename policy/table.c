/* SPDX-License-Identifier: MIT */
/* policy/table.c -- the policy tables' descriptors and the store's row accessors */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/array.h"
#include "../common/log.h"
#include "../common/util.h"
#include "bundle_int.h"
#include "check.h"
#include "store_int.h"

/*
 * One descriptor per policy table (struct pol_table, table.h). Each table's columns are a
 * list of row fields (struct pol_col) that one binder and one reader walk; the five
 * statements are string literals assembled by the preprocessor from the column names, so no
 * SQL is ever built at run time.
 */

#define ENT_SQL(T, COLS, Q)                                                                        \
	.sql_get = "SELECT id, " COLS " FROM " T " WHERE id = ?",                                  \
	.sql_list = "SELECT id, " COLS " FROM " T " ORDER BY id",                                  \
	.sql_insert = "INSERT INTO " T " (" COLS ") VALUES (" Q ")",                               \
	.sql_update = "UPDATE " T " SET (" COLS ") = (" Q ") WHERE id = ?",                        \
	.sql_delete = "DELETE FROM " T " WHERE id = ?"

/* What every descriptor of table E (struct pol_E, the snapshot's ARR, NAME in paths) holds. */
#define TABLE(E, ARR, NAME)                                                                        \
	.name = NAME, .sql_table = #ARR, .size = sizeof(struct pol_##E),                           \
	.arr_off = offsetof(struct pol_snap, ARR), .n_off = offsetof(struct pol_snap, n_##ARR),    \
	.cols = E##_cols, .ncols = (int)ARRAY_SIZE(E##_cols), .check = E##_check,                  \
	.from_json = pol_##E##_from_json, .to_json = pol_##E##_to_json

/* A column of type T for field F of struct S, and the options O. */
#define COL(T, S, F, ...)                                                                          \
	{                                                                                          \
		.field = #F, .type = POL_COL_##T, .off = offsetof(S, F),                           \
		.size = sizeof(((S *)0)->F), __VA_ARGS__                                           \
	}
/* The single-row check of E with fields named under path P. */
#define CHECK(E, P)                                                                                \
	static int E##_check(const void *row, struct pol_err *e)                                   \
	{                                                                                          \
		return pol_check_##E(row, P, e);                                                   \
	}
/* An enum column's name and parse functions, over int. */
#define ENUM(E)                                                                                    \
	static const char *E##_name(int v)                                                         \
	{                                                                                          \
		return pol_##E##_name((enum pol_##E)v);                                            \
	}                                                                                          \
	static int E##_parse(const char *s, int *v)                                                \
	{                                                                                          \
		enum pol_##E x;                                                                    \
		int rc = pol_##E##_parse(s, &x);                                                   \
		*v = (int)x;                                                                       \
		return rc;                                                                         \
	}
#define EN(E) .ename = E##_name, .eparse = E##_parse

_Static_assert(sizeof(enum pol_zone_kind) == sizeof(int), "enum columns are read as int");

static int bind_col(sqlite3_stmt *s, int i, const struct pol_col *c, const void *row);
static int read_col(sqlite3_stmt *s, int i, const struct pol_col *c, void *row);

ENUM(zone_kind)
ENUM(direction)
ENUM(action)
ENUM(preserve)
ENUM(math)

CHECK(zone, "")
CHECK(nameserver, "")
CHECK(group, "")
CHECK(host, "")
CHECK(service, "")
CHECK(fw_rule, "")
CHECK(alg_route, "")
CHECK(bracket, "")
CHECK(resolver_group, "")
CHECK(resolver_node, "prefix")

static int
service_addr_check(const void *row, struct pol_err *e)
{
	return pol_check_addr(&((const struct pol_service_addr *)row)->addr, "", e);
}

static int
pool_addr_check(const void *row, struct pol_err *e)
{
	return pol_check_addr(&((const struct pol_pool_addr *)row)->addr, "", e);
}

static void
service_after_read(void *row)
{
	pol_service_resolve(row);
}

static const struct pol_col zone_cols[] = {
	COL(TEXT, struct pol_zone, name),    COL(ENUM, struct pol_zone, kind, EN(zone_kind)),
	COL(UINT, struct pol_zone, ttl),     COL(TEXT, struct pol_zone, mname),
	COL(TEXT, struct pol_zone, rname),   COL(UINT, struct pol_zone, serial),
	COL(UINT, struct pol_zone, refresh), COL(UINT, struct pol_zone, retry),
	COL(UINT, struct pol_zone, expire),  COL(UINT, struct pol_zone, minimum),
};

const struct pol_table pol_t_zone = {
	TABLE(zone, zones, "zones"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_zone, name),
	ENT_SQL("zones", "name, kind, ttl, mname, rname, serial, refresh, retry, expire, minimum",
		"?, ?, ?, ?, ?, ?, ?, ?, ?, ?"),
};

static const struct pol_col nameserver_cols[] = {
	COL(INT, struct pol_nameserver, zone_id),
	COL(TEXT, struct pol_nameserver, name),
	COL(ADDR, struct pol_nameserver, ipv4),
	COL(ADDR, struct pol_nameserver, ipv6),
};

const struct pol_table pol_t_nameserver = {
	TABLE(nameserver, nameservers, "nameservers"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_nameserver, name),
	ENT_SQL("nameservers", "zone_id, name, ipv4, ipv6", "?, ?, ?, ?"),
};

static const struct pol_col service_addr_cols[] = {
	COL(ADDR, struct pol_service_addr, addr),
	COL(TEXT, struct pol_service_addr, comment),
};

const struct pol_table pol_t_service_addr = {
	TABLE(service_addr, service_addrs, "service_addresses"),
	.key = POL_KEY_ADDR,
	.key_off = offsetof(struct pol_service_addr, addr),
	ENT_SQL("service_addrs", "addr, comment", "?, ?"),
};

static const struct pol_col pool_addr_cols[] = {
	COL(ADDR, struct pol_pool_addr, addr),
};

const struct pol_table pol_t_pool_addr = {
	TABLE(pool_addr, pool_addrs, "pool"),
	.key = POL_KEY_ADDR,
	.key_off = offsetof(struct pol_pool_addr, addr),
	ENT_SQL("pool_addrs", "addr", "?"),
};

static const struct pol_col group_cols[] = {
	COL(TEXT, struct pol_group, name),
	COL(TEXT, struct pol_group, comment),
};

const struct pol_table pol_t_group = {
	TABLE(group, groups, "groups"),
	.key = POL_KEY_IDENT,
	.key_off = offsetof(struct pol_group, name),
	ENT_SQL("groups", "name, comment", "?, ?"),
};

/* A host's nested blocks are NULL, with nested_port, for an ordinary host. */
static const struct pol_col host_cols[] = {
	COL(TEXT, struct pol_host, fqdn),
	COL(ADDR, struct pol_host, ipv4),
	COL(ADDR, struct pol_host, ipv6),
	COL(UINT, struct pol_host, pool_limit),
	COL(BOOL, struct pol_host, dynamic),
	COL(TEXT, struct pol_host, comment),
	COL(NESTED, struct pol_host, nested),
	COL(UINT, struct pol_host, nested_port, .znull = true),
	COL(UINT, struct pol_host, nested_timeout_ms, .znull = true),
};

const struct pol_table pol_t_host = {
	TABLE(host, hosts, "hosts"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_host, fqdn),
	ENT_SQL("hosts",
		"fqdn, ipv4, ipv6, pool_limit, dynamic, comment, nested, nested_port, "
		"nested_timeout_ms",
		"?, ?, ?, ?, ?, ?, ?, ?, ?"),
};

/* protocol and port NULL: left to the label convention, so a rename keeps the convention */
static const struct pol_col service_cols[] = {
	COL(INT, struct pol_service, host_id),
	COL(TEXT, struct pol_service, fqdn),
	COL(UINT, struct pol_service, protocol, .has_off = offsetof(struct pol_service, has_proto)),
	COL(UINT, struct pol_service, port, .has_off = offsetof(struct pol_service, has_port)),
	COL(BOOL, struct pol_service, proxy_required),
	COL(UINT, struct pol_service, binding_timeout_ms),
};

const struct pol_table pol_t_service = {
	TABLE(service, services, "services"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_service, fqdn),
	.after_read = service_after_read,
	ENT_SQL("services", "host_id, fqdn, protocol, port, proxy_required, binding_timeout_ms",
		"?, ?, ?, ?, ?, ?"),
};

static const struct pol_col fw_rule_cols[] = {
	COL(INT, struct pol_fw_rule, host_id, .znull = true),
	COL(INT, struct pol_fw_rule, group_id, .znull = true),
	COL(ENUM, struct pol_fw_rule, direction, EN(direction)),
	COL(UINT, struct pol_fw_rule, protocol),
	COL(PREFIX, struct pol_fw_rule, src),
	COL(PREFIX, struct pol_fw_rule, dst),
	COL(UINT, struct pol_fw_rule, sport.lo),
	COL(UINT, struct pol_fw_rule, sport.hi),
	COL(UINT, struct pol_fw_rule, dport.lo),
	COL(UINT, struct pol_fw_rule, dport.hi),
	COL(INT, struct pol_fw_rule, icmp_type),
	COL(INT, struct pol_fw_rule, icmp_code),
	COL(UINT, struct pol_fw_rule, rate),
	COL(UINT, struct pol_fw_rule, burst),
	COL(ENUM, struct pol_fw_rule, action, EN(action)),
	COL(INT, struct pol_fw_rule, priority),
	COL(TEXT, struct pol_fw_rule, comment),
};

const struct pol_table pol_t_fw_rule = {
	TABLE(fw_rule, fw_rules, "fw_rules"),
	ENT_SQL("fw_rules",
		"host_id, group_id, direction, protocol, src, dst, sport_lo, sport_hi, dport_lo, "
		"dport_hi, icmp_type, icmp_code, rate, burst, action, priority, comment",
		"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"),
};

static const struct pol_col alg_route_cols[] = {
	COL(TEXT, struct pol_alg_route, hostname),
	COL(UINT, struct pol_alg_route, listen_port),
	COL(ADDR, struct pol_alg_route, backend),
	COL(UINT, struct pol_alg_route, backend_port),
	COL(ENUM, struct pol_alg_route, preserve, EN(preserve)),
};

const struct pol_table pol_t_alg_route = {
	TABLE(alg_route, alg_routes, "alg_routes"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_alg_route, hostname),
	ENT_SQL("alg_routes", "hostname, listen_port, backend, backend_port, preserve",
		"?, ?, ?, ?, ?"),
};

static const struct pol_col bracket_cols[] = {
	COL(INT, struct pol_bracket, position),	       COL(REAL, struct pol_bracket, load_min),
	COL(REAL, struct pol_bracket, load_max),       COL(REAL, struct pol_bracket, fqdn_new),
	COL(REAL, struct pol_bracket, sfqdn_new),      COL(REAL, struct pol_bracket, sfqdn_reuse),
	COL(ENUM, struct pol_bracket, math, EN(math)),
};

const struct pol_table pol_t_bracket = {
	TABLE(bracket, brackets, "brackets"),
	ENT_SQL("brackets", "position, load_min, load_max, fqdn_new, sfqdn_new, sfqdn_reuse, math",
		"?, ?, ?, ?, ?, ?, ?"),
};

/* cache_window_ms NULL: the window is learned */
static const struct pol_col resolver_group_cols[] = {
	COL(TEXT, struct pol_resolver_group, name),
	COL(REAL, struct pol_resolver_group, initial_reputation),
	COL(BOOL, struct pol_resolver_group, sla),
	COL(UINT, struct pol_resolver_group, cache_window_ms,
	    .has_off = offsetof(struct pol_resolver_group, has_cache_window)),
	COL(BOOL, struct pol_resolver_group, parent),
};

const struct pol_table pol_t_resolver_group = {
	TABLE(resolver_group, resolver_groups, "resolver_groups"),
	.key = POL_KEY_IDENT,
	.key_off = offsetof(struct pol_resolver_group, name),
	ENT_SQL("resolver_groups", "name, initial_reputation, sla, cache_window_ms, parent",
		"?, ?, ?, ?, ?"),
};

static const struct pol_col resolver_node_cols[] = {
	COL(INT, struct pol_resolver_node, group_id),
	COL(PREFIX, struct pol_resolver_node, prefix),
};

const struct pol_table pol_t_resolver_node = {
	TABLE(resolver_node, resolver_nodes, "resolver_nodes"),
	.key = POL_KEY_PREFIX,
	.key_off = offsetof(struct pol_resolver_node, prefix),
	ENT_SQL("resolver_nodes", "group_id, prefix", "?, ?"),
};

const struct pol_table *const pol_tables[] = {
	&pol_t_zone,
	&pol_t_nameserver,
	&pol_t_service_addr,
	&pol_t_pool_addr,
	&pol_t_group,
	&pol_t_host,
	&pol_t_service,
	&pol_t_fw_rule,
	&pol_t_alg_route,
	&pol_t_bracket,
	&pol_t_resolver_group,
	&pol_t_resolver_node,
	NULL,
};

/* ---- columns ---- */

/* The host's nested blocks as one text: "p1 p2 ..." (at most POL_NESTED_MAX prefixes). */
static int
bind_nested(sqlite3_stmt *s, int i, const struct pol_host *h)
{
	char text[POL_NESTED_MAX * PREFIX_STRLEN];
	size_t used = 0;

	if (h->nested_port == 0)
		return sqlite3_bind_null(s, i);
	text[0] = '\0';
	for (unsigned k = 0; k < h->n_nested && used < sizeof(text); k++) {
		char p[PREFIX_STRLEN];

		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", k ? " " : "",
					 prefix_ntop(&h->nested[k], p, sizeof(p)));
	}
	return sqlite3_bind_text(s, i, text, -1, SQLITE_TRANSIENT); /* text is on this stack */
}

static int
read_nested(sqlite3_stmt *s, int i, struct pol_host *h)
{
	char text[POL_NESTED_MAX * PREFIX_STRLEN], *tok, *save = NULL;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	pol_store_col_text(s, i, text, sizeof(text));
	for (tok = strtok_r(text, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
		if (pol_nested_add(h, tok) != 0)
			return -EIO;
	return 0;
}

/* An integer field of c->size bytes. */
static int64_t
get_int(const struct pol_col *c, const void *f)
{
	bool sign = c->type == POL_COL_INT;

	switch (c->size) {
	case 1:
		return sign ? (int64_t) * (const int8_t *)f : (int64_t) * (const uint8_t *)f;
	case 2:
		return sign ? (int64_t) * (const int16_t *)f : (int64_t) * (const uint16_t *)f;
	case 4:
		return sign ? (int64_t) * (const int32_t *)f : (int64_t) * (const uint32_t *)f;
	default:
		return *(const int64_t *)f;
	}
}

static void
set_int(const struct pol_col *c, void *f, int64_t v)
{
	switch (c->size) {
	case 1:
		*(uint8_t *)f = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)f = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)f = (uint32_t)v;
		break;
	default:
		*(int64_t *)f = v;
	}
}

/* Bind row's field of column c as parameter i. */
static int
bind_col(sqlite3_stmt *s, int i, const struct pol_col *c, const void *row)
{
	const char *f = (const char *)row + c->off;
	int64_t v;

	if (c->has_off != 0 && !*(const bool *)((const char *)row + c->has_off))
		return sqlite3_bind_null(s, i);
	switch (c->type) {
	case POL_COL_TEXT:
		return pol_store_bind_text(s, i, f);
	case POL_COL_UINT:
	case POL_COL_INT:
		v = get_int(c, f);
		return v == 0 && c->znull ? sqlite3_bind_null(s, i) : sqlite3_bind_int64(s, i, v);
	case POL_COL_BOOL:
		return sqlite3_bind_int(s, i, *(const bool *)f);
	case POL_COL_REAL:
		return sqlite3_bind_double(s, i, *(const double *)(const void *)f);
	case POL_COL_ADDR:
		return pol_store_bind_addr(s, i, (const void *)f);
	case POL_COL_PREFIX:
		return pol_store_bind_prefix(s, i, (const void *)f);
	case POL_COL_ENUM:
		return pol_store_bind_text(s, i, c->ename(*(const int *)(const void *)f));
	case POL_COL_NESTED:
		return bind_nested(s, i, row);
	}
	return -EINVAL;
}

/* Read column i of a result row into row's field of column c; -EIO: a corrupt value. */
static int
read_col(sqlite3_stmt *s, int i, const struct pol_col *c, void *row)
{
	char *f = (char *)row + c->off;
	const char *t;

	if (c->has_off != 0)
		*(bool *)((char *)row + c->has_off) = sqlite3_column_type(s, i) != SQLITE_NULL;
	switch (c->type) {
	case POL_COL_TEXT:
		pol_store_col_text(s, i, f, c->size);
		return 0;
	case POL_COL_UINT:
	case POL_COL_INT:
		set_int(c, f, sqlite3_column_int64(s, i)); /* NULL: 0 */
		return 0;
	case POL_COL_BOOL:
		*(bool *)f = sqlite3_column_int(s, i) != 0;
		return 0;
	case POL_COL_REAL:
		*(double *)(void *)f = sqlite3_column_double(s, i);
		return 0;
	case POL_COL_ADDR:
		return pol_store_col_addr(s, i, (void *)f);
	case POL_COL_PREFIX:
		return pol_store_col_prefix(s, i, (void *)f);
	case POL_COL_ENUM:
		/* a name that no longer parses means a corrupt row */
		t = (const char *)sqlite3_column_text(s, i);
		return t != NULL && c->eparse(t, (int *)(void *)f) == 0 ? 0 : -EIO;
	case POL_COL_NESTED:
		return read_nested(s, i, row);
	}
	return -EIO;
}

/* Bind every column of row as parameters 1..ncols. */
static void
bind_row(sqlite3_stmt *s, const struct pol_table *t, const void *row)
{
	for (int i = 0; i < t->ncols; i++)
		bind_col(s, i + 1, &t->cols[i], row);
}

/* Read a result row (id, then the columns) into row, zeroed first. 0 or -EIO. */
static int
read_row(sqlite3_stmt *s, const struct pol_table *t, void *row)
{
	int64_t id = sqlite3_column_int64(s, 0);

	memset(row, 0, t->size);
	memcpy(row, &id, sizeof(id));
	for (int i = 0; i < t->ncols; i++)
		if (read_col(s, i + 1, &t->cols[i], row) != 0)
			return -EIO;
	if (t->after_read != NULL)
		t->after_read(row);
	return 0;
}

/* ---- generic operations ---- */

const char *
pol_row_key(const struct pol_table *t, const void *row, char *buf, size_t len)
{
	const void *k = (const char *)row + t->key_off;

	switch (t->key) {
	case POL_KEY_DNS:
	case POL_KEY_IDENT:
		return k;
	case POL_KEY_ADDR:
		return addr_ntop(k, buf, len);
	case POL_KEY_PREFIX:
		return prefix_ntop(k, buf, len);
	case POL_KEY_NONE:
		break;
	}
	return NULL;
}

int
pol_key_canon(const struct pol_table *t, const char *in, char *out, size_t len)
{
	struct addr a;
	struct prefix p;

	switch (t->key) {
	case POL_KEY_DNS:
		if (util_strlcpy(out, in, len) >= len)
			return -EINVAL;
		return pol_name_canon(out, true);
	case POL_KEY_IDENT:
		return util_strlcpy(out, in, len) >= len ? -EINVAL : 0;
	case POL_KEY_ADDR:
		if (addr_parse(in, &a) < 0)
			return -EINVAL;
		addr_ntop(&a, out, len);
		return 0;
	case POL_KEY_PREFIX:
		if (prefix_parse(in, false, &p) < 0)
			return -EINVAL;
		prefix_ntop(&p, out, len);
		return 0;
	case POL_KEY_NONE:
		break;
	}
	return -EINVAL;
}

int
pol_row_get(struct pol_store *st, const struct pol_table *en, int64_t id, void *out)
{
	sqlite3_stmt *s = pol_store_stmt(st, en->sql_get);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = read_row(s, en, out);
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = pol_store_err(st, sqlite3_extended_errcode(st->db), en->sql_table, NULL);
	}
	sqlite3_reset(s);
	return rc;
}

int
pol_row_insert(struct pol_store *st, const struct pol_table *en, void *row, struct pol_err *e)
{
	sqlite3_stmt *s;
	int64_t id;
	int rc;

	rc = en->check(row, e);
	if (rc != 0)
		return rc;
	s = pol_store_stmt(st, en->sql_insert);
	if (s == NULL)
		return -EIO;
	bind_row(s, en, row);
	rc = pol_store_step_done(st, s, en->sql_table, e);
	if (rc != 0)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);
	memcpy(row, &id, sizeof(id)); /* every row struct starts with its id */
	return 0;
}

int
pol_row_update(struct pol_store *st, const struct pol_table *en, const void *row, struct pol_err *e)
{
	sqlite3_stmt *s;
	int64_t id;
	int rc;

	rc = en->check(row, e);
	if (rc != 0)
		return rc;
	s = pol_store_stmt(st, en->sql_update);
	if (s == NULL)
		return -EIO;
	memcpy(&id, row, sizeof(id));
	bind_row(s, en, row);
	sqlite3_bind_int64(s, en->ncols + 1, id);
	rc = pol_store_step_done(st, s, en->sql_table, e);
	if (rc == 0 && sqlite3_changes(st->db) == 0) {
		pol_err_set(e, "id", "no such row in %s", en->sql_table);
		rc = -ENOENT;
	}
	return rc;
}

int
pol_row_delete(struct pol_store *st, const struct pol_table *en, int64_t id, struct pol_err *e)
{
	sqlite3_stmt *s = pol_store_stmt(st, en->sql_delete);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = pol_store_step_done(st, s, en->sql_table, e);
	if (rc == 0 && sqlite3_changes(st->db) == 0) {
		pol_err_set(e, "id", "no such row in %s", en->sql_table);
		rc = -ENOENT;
	}
	return rc;
}

/* All rows of a table, by id, into a new array (NULL when empty). */
int
pol_store_list(struct pol_store *st, const struct pol_table *en, void **out, size_t *n)
{
	sqlite3_stmt *s = pol_store_stmt(st, en->sql_list);
	char *arr = NULL;
	size_t cap = 0, cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *row = array_push(&arr, &cnt, &cap, en->size);

		if (row == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		rc = read_row(s, en, row);
		if (rc != 0) {
			log_warnx("policy: corrupt row in %s", en->sql_table);
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = pol_store_err(st, sqlite3_extended_errcode(st->db), en->sql_table, NULL);
		goto fail;
	}
	sqlite3_reset(s);
	*out = arr;
	*n = cnt;
	return 0;
fail:
	sqlite3_reset(s);
	free(arr);
	return rc;
}

static const char sql_hg_add[] = "INSERT INTO host_groups (host_id, group_id) VALUES (?, ?)";
static const char sql_hg_del[] = "DELETE FROM host_groups WHERE host_id = ? AND group_id = ?";
static const char sql_adm_get[] = "SELECT dns_tcp, dns_cname, dns_tcpcname, dns_cookies, "
				  "log_untrusted, unknown_resolver_groups, alias_ttl_ms, "
				  "cache_window_ms, window_flows FROM admission WHERE id = 1";
static const char sql_adm_set[] = "UPDATE admission SET (dns_tcp, dns_cname, dns_tcpcname, "
				  "dns_cookies, log_untrusted, unknown_resolver_groups, "
				  "alias_ttl_ms, cache_window_ms, window_flows) = "
				  "(?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = 1";

int
pol_host_group_add(struct pol_store *st, int64_t host_id, int64_t group_id, struct pol_err *e)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_hg_add);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, host_id);
	sqlite3_bind_int64(s, 2, group_id);
	return pol_store_step_done(st, s, "host_groups", e);
}

int
pol_host_group_del(struct pol_store *st, int64_t host_id, int64_t group_id, struct pol_err *e)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_hg_del);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, host_id);
	sqlite3_bind_int64(s, 2, group_id);
	rc = pol_store_step_done(st, s, "host_groups", e);
	if (rc == 0 && sqlite3_changes(st->db) == 0) {
		pol_err_set(e, "group", "host is not in that group");
		rc = -ENOENT;
	}
	return rc;
}

int
pol_admission_get(struct pol_store *st, struct pol_admission *out)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_adm_get);
	int rc;

	if (s == NULL)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->dns_tcp = sqlite3_column_int(s, 0) != 0;
		out->dns_cname = sqlite3_column_int(s, 1) != 0;
		out->dns_tcpcname = sqlite3_column_int(s, 2) != 0;
		out->dns_cookies = sqlite3_column_int(s, 3) != 0;
		out->log_untrusted = sqlite3_column_int(s, 4) != 0;
		out->unknown_resolver_groups = sqlite3_column_int(s, 5) != 0;
		out->alias_ttl_ms = (uint32_t)sqlite3_column_int64(s, 6);
		out->cache_window_ms = (uint32_t)sqlite3_column_int64(s, 7);
		out->window_flows = (uint32_t)sqlite3_column_int64(s, 8);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		log_warnx("policy: the admission row is missing");
		rc = -EIO;
	} else {
		rc = pol_store_err(st, sqlite3_extended_errcode(st->db), "admission", NULL);
	}
	sqlite3_reset(s);
	return rc;
}

int
pol_admission_set(struct pol_store *st, const struct pol_admission *a, struct pol_err *e)
{
	sqlite3_stmt *s;
	int rc;

	rc = pol_check_admission(a, "", e);
	if (rc != 0)
		return rc;
	s = pol_store_stmt(st, sql_adm_set);
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, a->dns_tcp);
	sqlite3_bind_int(s, 2, a->dns_cname);
	sqlite3_bind_int(s, 3, a->dns_tcpcname);
	sqlite3_bind_int(s, 4, a->dns_cookies);
	sqlite3_bind_int(s, 5, a->log_untrusted);
	sqlite3_bind_int(s, 6, a->unknown_resolver_groups);
	sqlite3_bind_int64(s, 7, a->alias_ttl_ms);
	sqlite3_bind_int64(s, 8, a->cache_window_ms);
	sqlite3_bind_int64(s, 9, a->window_flows);
	return pol_store_step_done(st, s, "admission", e);
}
