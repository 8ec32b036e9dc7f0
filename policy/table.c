/* SPDX-License-Identifier: MIT */
/* policy/table.c -- the policy tables' descriptors and the store's row accessors */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "bundle_int.h"
#include "check.h"
#include "store_int.h"

/*
 * One descriptor per policy table (struct pol_table, table.h). The five statements of each
 * table are string literals assembled by the preprocessor from the column list, so no SQL
 * is ever built at run time.
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
	.bind = E##_bind, .read = E##_read, .check = E##_check, .from_json = pol_##E##_from_json,  \
	.to_json = pol_##E##_to_json

static int
bind_id_or_null(sqlite3_stmt *s, int i, int64_t id)
{
	return id != 0 ? sqlite3_bind_int64(s, i, id) : sqlite3_bind_null(s, i);
}

/* An enum stored as text; a value that no longer parses means a corrupt row. */
#define COL_ENUM(PARSE, S, I, OUT)                                                                 \
	do {                                                                                       \
		const char *t_ = (const char *)sqlite3_column_text((S), (I));                      \
		if (t_ == NULL || PARSE(t_, (OUT)) != 0)                                           \
			return -EIO;                                                               \
	} while (0)

/* ---- zones ---- */

static int
zone_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_zone *z = row;

	pol_store_bind_text(s, 1, z->name);
	pol_store_bind_text(s, 2, pol_zone_kind_name(z->kind));
	sqlite3_bind_int64(s, 3, z->ttl);
	pol_store_bind_text(s, 4, z->mname);
	pol_store_bind_text(s, 5, z->rname);
	sqlite3_bind_int64(s, 6, z->serial);
	sqlite3_bind_int64(s, 7, z->refresh);
	sqlite3_bind_int64(s, 8, z->retry);
	sqlite3_bind_int64(s, 9, z->expire);
	return sqlite3_bind_int64(s, 10, z->minimum);
}

static int
zone_read(sqlite3_stmt *s, void *row)
{
	struct pol_zone *z = row;

	z->id = sqlite3_column_int64(s, 0);
	pol_store_col_text(s, 1, z->name, sizeof(z->name));
	COL_ENUM(pol_zone_kind_parse, s, 2, &z->kind);
	z->ttl = (uint32_t)sqlite3_column_int64(s, 3);
	pol_store_col_text(s, 4, z->mname, sizeof(z->mname));
	pol_store_col_text(s, 5, z->rname, sizeof(z->rname));
	z->serial = (uint32_t)sqlite3_column_int64(s, 6);
	z->refresh = (uint32_t)sqlite3_column_int64(s, 7);
	z->retry = (uint32_t)sqlite3_column_int64(s, 8);
	z->expire = (uint32_t)sqlite3_column_int64(s, 9);
	z->minimum = (uint32_t)sqlite3_column_int64(s, 10);
	return 0;
}

static int
zone_check(const void *row, struct pol_err *e)
{
	return pol_check_zone(row, "", e);
}

const struct pol_table pol_t_zone = {
	TABLE(zone, zones, "zones"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_zone, name),
	.ncols = 10,
	ENT_SQL("zones", "name, kind, ttl, mname, rname, serial, refresh, retry, expire, minimum",
		"?, ?, ?, ?, ?, ?, ?, ?, ?, ?"),
};

/* ---- nameservers ---- */

static int
nameserver_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_nameserver *ns = row;

	sqlite3_bind_int64(s, 1, ns->zone_id);
	pol_store_bind_text(s, 2, ns->name);
	pol_store_bind_addr(s, 3, &ns->ipv4);
	return pol_store_bind_addr(s, 4, &ns->ipv6);
}

static int
nameserver_read(sqlite3_stmt *s, void *row)
{
	struct pol_nameserver *ns = row;

	ns->id = sqlite3_column_int64(s, 0);
	ns->zone_id = sqlite3_column_int64(s, 1);
	pol_store_col_text(s, 2, ns->name, sizeof(ns->name));
	if (pol_store_col_addr(s, 3, &ns->ipv4) != 0 || pol_store_col_addr(s, 4, &ns->ipv6) != 0)
		return -EIO;
	return 0;
}

static int
nameserver_check(const void *row, struct pol_err *e)
{
	return pol_check_nameserver(row, "", e);
}

const struct pol_table pol_t_nameserver = {
	TABLE(nameserver, nameservers, "nameservers"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_nameserver, name),
	.ncols = 4,
	ENT_SQL("nameservers", "zone_id, name, ipv4, ipv6", "?, ?, ?, ?"),
};

/* ---- service addresses ---- */

static int
service_addr_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_service_addr *a = row;

	pol_store_bind_addr(s, 1, &a->addr);
	return pol_store_bind_text(s, 2, a->comment);
}

static int
service_addr_read(sqlite3_stmt *s, void *row)
{
	struct pol_service_addr *a = row;

	a->id = sqlite3_column_int64(s, 0);
	pol_store_col_text(s, 2, a->comment, sizeof(a->comment));
	return pol_store_col_addr(s, 1, &a->addr);
}

static int
service_addr_check(const void *row, struct pol_err *e)
{
	const struct pol_service_addr *a = row;

	return pol_check_addr(&a->addr, "", e);
}

const struct pol_table pol_t_service_addr = {
	TABLE(service_addr, service_addrs, "service_addresses"), .key = POL_KEY_ADDR,
	.key_off = offsetof(struct pol_service_addr, addr),	 .ncols = 2,
	ENT_SQL("service_addrs", "addr, comment", "?, ?"),
};

/* ---- pool addresses ---- */

static int
pool_addr_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_pool_addr *a = row;

	return pol_store_bind_addr(s, 1, &a->addr);
}

static int
pool_addr_read(sqlite3_stmt *s, void *row)
{
	struct pol_pool_addr *a = row;

	a->id = sqlite3_column_int64(s, 0);
	return pol_store_col_addr(s, 1, &a->addr);
}

static int
pool_addr_check(const void *row, struct pol_err *e)
{
	const struct pol_pool_addr *a = row;

	return pol_check_addr(&a->addr, "", e);
}

const struct pol_table pol_t_pool_addr = {
	TABLE(pool_addr, pool_addrs, "pool"),
	.key = POL_KEY_ADDR,
	.key_off = offsetof(struct pol_pool_addr, addr),
	.ncols = 1,
	ENT_SQL("pool_addrs", "addr", "?"),
};

/* ---- groups ---- */

static int
group_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_group *g = row;

	pol_store_bind_text(s, 1, g->name);
	return pol_store_bind_text(s, 2, g->comment);
}

static int
group_read(sqlite3_stmt *s, void *row)
{
	struct pol_group *g = row;

	g->id = sqlite3_column_int64(s, 0);
	pol_store_col_text(s, 1, g->name, sizeof(g->name));
	pol_store_col_text(s, 2, g->comment, sizeof(g->comment));
	return 0;
}

static int
group_check(const void *row, struct pol_err *e)
{
	return pol_check_group(row, "", e);
}

const struct pol_table pol_t_group = {
	TABLE(group, groups, "groups"),
	.key = POL_KEY_IDENT,
	.key_off = offsetof(struct pol_group, name),
	.ncols = 2,
	ENT_SQL("groups", "name, comment", "?, ?"),
};

/* ---- hosts ---- */

static int
host_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_host *h = row;

	pol_store_bind_text(s, 1, h->fqdn);
	pol_store_bind_addr(s, 2, &h->ipv4);
	pol_store_bind_addr(s, 3, &h->ipv6);
	sqlite3_bind_int64(s, 4, h->pool_limit);
	sqlite3_bind_int(s, 5, h->dynamic);
	pol_store_bind_text(s, 6, h->comment);
	if (h->nested_timeout_ms == 0)
		sqlite3_bind_null(s, 9);
	else
		sqlite3_bind_int64(s, 9, h->nested_timeout_ms);
	if (h->nested_port == 0) {
		sqlite3_bind_null(s, 7);
		return sqlite3_bind_null(s, 8);
	}
	/* the nested gateway's blocks as one text: "p1 p2 ..." (at most 16 prefixes) */
	char text[POL_NESTED_MAX * PREFIX_STRLEN];
	size_t used = 0;

	text[0] = '\0';
	for (unsigned i = 0; i < h->n_nested && used < sizeof(text); i++) {
		char p[PREFIX_STRLEN];

		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", i ? " " : "",
					 prefix_ntop(&h->nested[i], p, sizeof(p)));
	}
	sqlite3_bind_text(s, 7, text, -1, SQLITE_TRANSIENT); /* text is on this stack */
	return sqlite3_bind_int(s, 8, h->nested_port);
}

static int
host_read(sqlite3_stmt *s, void *row)
{
	struct pol_host *h = row;

	h->id = sqlite3_column_int64(s, 0);
	pol_store_col_text(s, 1, h->fqdn, sizeof(h->fqdn));
	if (pol_store_col_addr(s, 2, &h->ipv4) != 0 || pol_store_col_addr(s, 3, &h->ipv6) != 0)
		return -EIO;
	h->pool_limit = (uint32_t)sqlite3_column_int64(s, 4);
	h->dynamic = sqlite3_column_int(s, 5) != 0;
	pol_store_col_text(s, 6, h->comment, sizeof(h->comment));
	h->nested_port = 0;
	h->n_nested = 0;
	h->nested_timeout_ms = (uint32_t)sqlite3_column_int64(s, 9); /* NULL: 0 */
	if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
		char text[POL_NESTED_MAX * PREFIX_STRLEN], *tok, *save = NULL;

		pol_store_col_text(s, 7, text, sizeof(text));
		h->nested_port = (uint16_t)sqlite3_column_int(s, 8);
		for (tok = strtok_r(text, " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save))
			if (pol_nested_add(h, tok) != 0)
				return -EIO;
	}
	return 0;
}

static int
host_check(const void *row, struct pol_err *e)
{
	return pol_check_host(row, "", e);
}

const struct pol_table pol_t_host = {
	TABLE(host, hosts, "hosts"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_host, fqdn),
	.ncols = 9,
	ENT_SQL("hosts",
		"fqdn, ipv4, ipv6, pool_limit, dynamic, comment, nested, nested_port, "
		"nested_timeout_ms",
		"?, ?, ?, ?, ?, ?, ?, ?, ?"),
};

/* ---- services ---- */

static int
service_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_service *sv = row;

	sqlite3_bind_int64(s, 1, sv->host_id);
	pol_store_bind_text(s, 2, sv->fqdn);
	/* NULL: left to the label convention, so a rename keeps the convention */
	if (sv->has_proto)
		sqlite3_bind_int(s, 3, sv->protocol);
	else
		sqlite3_bind_null(s, 3);
	if (sv->has_port)
		sqlite3_bind_int(s, 4, sv->port);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_int(s, 5, sv->proxy_required);
	return sqlite3_bind_int64(s, 6, sv->binding_timeout_ms);
}

static int
service_read(sqlite3_stmt *s, void *row)
{
	struct pol_service *sv = row;

	sv->id = sqlite3_column_int64(s, 0);
	sv->host_id = sqlite3_column_int64(s, 1);
	pol_store_col_text(s, 2, sv->fqdn, sizeof(sv->fqdn));
	sv->has_proto = sqlite3_column_type(s, 3) != SQLITE_NULL;
	sv->protocol = (uint8_t)sqlite3_column_int(s, 3);
	sv->has_port = sqlite3_column_type(s, 4) != SQLITE_NULL;
	sv->port = (uint16_t)sqlite3_column_int(s, 4);
	sv->proxy_required = sqlite3_column_int(s, 5) != 0;
	sv->binding_timeout_ms = (uint32_t)sqlite3_column_int64(s, 6);
	pol_service_resolve(sv);
	return 0;
}

static int
service_check(const void *row, struct pol_err *e)
{
	return pol_check_service(row, "", e);
}

const struct pol_table pol_t_service = {
	TABLE(service, services, "services"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_service, fqdn),
	.ncols = 6,
	ENT_SQL("services", "host_id, fqdn, protocol, port, proxy_required, binding_timeout_ms",
		"?, ?, ?, ?, ?, ?"),
};

/* ---- firewall rules ---- */

static int
fw_rule_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_fw_rule *r = row;

	bind_id_or_null(s, 1, r->host_id);
	bind_id_or_null(s, 2, r->group_id);
	pol_store_bind_text(s, 3, pol_direction_name(r->direction));
	sqlite3_bind_int(s, 4, r->protocol);
	pol_store_bind_prefix(s, 5, &r->src);
	pol_store_bind_prefix(s, 6, &r->dst);
	sqlite3_bind_int(s, 7, r->sport.lo);
	sqlite3_bind_int(s, 8, r->sport.hi);
	sqlite3_bind_int(s, 9, r->dport.lo);
	sqlite3_bind_int(s, 10, r->dport.hi);
	sqlite3_bind_int(s, 11, r->icmp_type);
	sqlite3_bind_int(s, 12, r->icmp_code);
	sqlite3_bind_int64(s, 13, r->rate);
	sqlite3_bind_int64(s, 14, r->burst);
	pol_store_bind_text(s, 15, pol_action_name(r->action));
	sqlite3_bind_int(s, 16, r->priority);
	return pol_store_bind_text(s, 17, r->comment);
}

static int
fw_rule_read(sqlite3_stmt *s, void *row)
{
	struct pol_fw_rule *r = row;

	r->id = sqlite3_column_int64(s, 0);
	r->host_id = sqlite3_column_int64(s, 1);
	r->group_id = sqlite3_column_int64(s, 2);
	COL_ENUM(pol_direction_parse, s, 3, &r->direction);
	r->protocol = (uint8_t)sqlite3_column_int(s, 4);
	if (pol_store_col_prefix(s, 5, &r->src) != 0 || pol_store_col_prefix(s, 6, &r->dst) != 0)
		return -EIO;
	r->sport.lo = (uint16_t)sqlite3_column_int(s, 7);
	r->sport.hi = (uint16_t)sqlite3_column_int(s, 8);
	r->dport.lo = (uint16_t)sqlite3_column_int(s, 9);
	r->dport.hi = (uint16_t)sqlite3_column_int(s, 10);
	r->icmp_type = (int16_t)sqlite3_column_int(s, 11);
	r->icmp_code = (int16_t)sqlite3_column_int(s, 12);
	r->rate = (uint32_t)sqlite3_column_int64(s, 13);
	r->burst = (uint32_t)sqlite3_column_int64(s, 14);
	COL_ENUM(pol_action_parse, s, 15, &r->action);
	r->priority = sqlite3_column_int(s, 16);
	pol_store_col_text(s, 17, r->comment, sizeof(r->comment));
	return 0;
}

static int
fw_rule_check(const void *row, struct pol_err *e)
{
	return pol_check_fw_rule(row, "", e);
}

const struct pol_table pol_t_fw_rule = {
	TABLE(fw_rule, fw_rules, "fw_rules"),
	.ncols = 17,
	ENT_SQL("fw_rules",
		"host_id, group_id, direction, protocol, src, dst, sport_lo, sport_hi, dport_lo, "
		"dport_hi, icmp_type, icmp_code, rate, burst, action, priority, comment",
		"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"),
};

/* ---- ALG routes ---- */

static int
alg_route_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_alg_route *r = row;

	pol_store_bind_text(s, 1, r->hostname);
	sqlite3_bind_int(s, 2, r->listen_port);
	pol_store_bind_addr(s, 3, &r->backend);
	sqlite3_bind_int(s, 4, r->backend_port);
	return pol_store_bind_text(s, 5, pol_preserve_name(r->preserve));
}

static int
alg_route_read(sqlite3_stmt *s, void *row)
{
	struct pol_alg_route *r = row;

	r->id = sqlite3_column_int64(s, 0);
	pol_store_col_text(s, 1, r->hostname, sizeof(r->hostname));
	r->listen_port = (uint16_t)sqlite3_column_int(s, 2);
	if (pol_store_col_addr(s, 3, &r->backend) != 0)
		return -EIO;
	r->backend_port = (uint16_t)sqlite3_column_int(s, 4);
	COL_ENUM(pol_preserve_parse, s, 5, &r->preserve);
	return 0;
}

static int
alg_route_check(const void *row, struct pol_err *e)
{
	return pol_check_alg_route(row, "", e);
}

const struct pol_table pol_t_alg_route = {
	TABLE(alg_route, alg_routes, "alg_routes"),
	.key = POL_KEY_DNS,
	.key_off = offsetof(struct pol_alg_route, hostname),
	.ncols = 5,
	ENT_SQL("alg_routes", "hostname, listen_port, backend, backend_port, preserve",
		"?, ?, ?, ?, ?"),
};

/* ---- load brackets ---- */

static int
bracket_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_bracket *b = row;

	sqlite3_bind_int(s, 1, b->position);
	sqlite3_bind_double(s, 2, b->load_min);
	sqlite3_bind_double(s, 3, b->load_max);
	sqlite3_bind_double(s, 4, b->fqdn_new);
	sqlite3_bind_double(s, 5, b->sfqdn_new);
	sqlite3_bind_double(s, 6, b->sfqdn_reuse);
	return pol_store_bind_text(s, 7, pol_math_name(b->math));
}

static int
bracket_read(sqlite3_stmt *s, void *row)
{
	struct pol_bracket *b = row;

	b->id = sqlite3_column_int64(s, 0);
	b->position = sqlite3_column_int(s, 1);
	b->load_min = sqlite3_column_double(s, 2);
	b->load_max = sqlite3_column_double(s, 3);
	b->fqdn_new = sqlite3_column_double(s, 4);
	b->sfqdn_new = sqlite3_column_double(s, 5);
	b->sfqdn_reuse = sqlite3_column_double(s, 6);
	COL_ENUM(pol_math_parse, s, 7, &b->math);
	return 0;
}

static int
bracket_check(const void *row, struct pol_err *e)
{
	return pol_check_bracket(row, "", e);
}

const struct pol_table pol_t_bracket = {
	TABLE(bracket, brackets, "brackets"),
	.ncols = 7,
	ENT_SQL("brackets", "position, load_min, load_max, fqdn_new, sfqdn_new, sfqdn_reuse, math",
		"?, ?, ?, ?, ?, ?, ?"),
};

/* ---- resolver groups and nodes ---- */

static int
resolver_group_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_resolver_group *g = row;

	pol_store_bind_text(s, 1, g->name);
	sqlite3_bind_double(s, 2, g->initial_reputation);
	sqlite3_bind_int(s, 3, g->sla);
	sqlite3_bind_int(s, 5, g->parent);
	return g->has_cache_window ? sqlite3_bind_int64(s, 4, g->cache_window_ms)
				   : sqlite3_bind_null(s, 4);
}

static int
resolver_group_read(sqlite3_stmt *s, void *row)
{
	struct pol_resolver_group *g = row;

	g->id = sqlite3_column_int64(s, 0);
	pol_store_col_text(s, 1, g->name, sizeof(g->name));
	g->initial_reputation = sqlite3_column_double(s, 2);
	g->sla = sqlite3_column_int(s, 3) != 0;
	g->has_cache_window = sqlite3_column_type(s, 4) != SQLITE_NULL;
	g->cache_window_ms = g->has_cache_window ? (uint32_t)sqlite3_column_int64(s, 4) : 0;
	g->parent = sqlite3_column_int(s, 5) != 0;
	return 0;
}

static int
resolver_group_check(const void *row, struct pol_err *e)
{
	return pol_check_resolver_group(row, "", e);
}

const struct pol_table pol_t_resolver_group = {
	TABLE(resolver_group, resolver_groups, "resolver_groups"),
	.key = POL_KEY_IDENT,
	.key_off = offsetof(struct pol_resolver_group, name),
	.ncols = 5,
	ENT_SQL("resolver_groups", "name, initial_reputation, sla, cache_window_ms, parent",
		"?, ?, ?, ?, ?"),
};

static int
resolver_node_bind(sqlite3_stmt *s, const void *row)
{
	const struct pol_resolver_node *n = row;

	sqlite3_bind_int64(s, 1, n->group_id);
	return pol_store_bind_prefix(s, 2, &n->prefix);
}

static int
resolver_node_read(sqlite3_stmt *s, void *row)
{
	struct pol_resolver_node *n = row;

	n->id = sqlite3_column_int64(s, 0);
	n->group_id = sqlite3_column_int64(s, 1);
	return pol_store_col_prefix(s, 2, &n->prefix);
}

static int
resolver_node_check(const void *row, struct pol_err *e)
{
	return pol_check_resolver_node(row, "prefix", e);
}

const struct pol_table pol_t_resolver_node = {
	TABLE(resolver_node, resolver_nodes, "resolver_nodes"), .key = POL_KEY_PREFIX,
	.key_off = offsetof(struct pol_resolver_node, prefix),	.ncols = 2,
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
		memset(out, 0, en->size);
		rc = en->read(s, out);
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
	en->bind(s, row);
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
	en->bind(s, row);
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
		if (cnt == cap) {
			size_t ncap = cap != 0 ? 2 * cap : 16;
			char *p = realloc(arr, ncap * en->size);

			if (p == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			arr = p;
			cap = ncap;
		}
		memset(arr + cnt * en->size, 0, en->size);
		rc = en->read(s, arr + cnt * en->size);
		if (rc != 0) {
			log_warnx("policy: corrupt row in %s", en->sql_table);
			goto fail;
		}
		cnt++;
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
