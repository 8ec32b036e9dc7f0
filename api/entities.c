/* SPDX-License-Identifier: MIT */
/* api/entities.c -- the entity table: how each policy table maps onto generic CRUD */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/util.h"
#include "../policy/bundle.h"
#include "../policy/tenancy.h"
#include "codec.h"
#include "internal.h"

/* Accessors that differ only by type and array. */
#define ENT_BASE(E, ARR, N)                                                                        \
	static size_t E##_count(const struct pol_snap *s)                                          \
	{                                                                                          \
		return s->N;                                                                       \
	}                                                                                          \
	static const void *E##_at(const struct pol_snap *s, size_t i)                              \
	{                                                                                          \
		return &s->ARR[i];                                                                 \
	}                                                                                          \
	static int64_t E##_id(const void *row)                                                     \
	{                                                                                          \
		return ((const struct pol_##E *)row)->id;                                          \
	}                                                                                          \
	static void E##_set_id(void *row, int64_t id)                                              \
	{                                                                                          \
		((struct pol_##E *)row)->id = id;                                                  \
	}                                                                                          \
	static int E##_insert(struct pol_store *st, void *row, struct pol_err *e)                  \
	{                                                                                          \
		return pol_##E##_insert(st, row, e);                                               \
	}                                                                                          \
	static int E##_update(struct pol_store *st, const void *row, struct pol_err *e)            \
	{                                                                                          \
		return pol_##E##_update(st, row, e);                                               \
	}                                                                                          \
	static int E##_del(struct pol_store *st, int64_t id, struct pol_err *e)                    \
	{                                                                                          \
		return pol_##E##_delete(st, id, e);                                                \
	}

/* A parent link through one int64 field. */
#define ENT_PARENT(NAME, E, FIELD)                                                                 \
	static int64_t NAME##_parent(const void *row)                                              \
	{                                                                                          \
		return ((const struct pol_##E *)row)->FIELD;                                       \
	}                                                                                          \
	static void NAME##_set_parent(void *row, int64_t pid)                                      \
	{                                                                                          \
		((struct pol_##E *)row)->FIELD = pid;                                              \
	}

ENT_BASE(zone, zones, n_zones)
ENT_BASE(nameserver, nameservers, n_nameservers)
ENT_BASE(service_addr, service_addrs, n_service_addrs)
ENT_BASE(pool_addr, pool_addrs, n_pool_addrs)
ENT_BASE(group, groups, n_groups)
ENT_BASE(host, hosts, n_hosts)
ENT_BASE(service, services, n_services)
ENT_BASE(fw_rule, fw_rules, n_fw_rules)
ENT_BASE(alg_route, alg_routes, n_alg_routes)
ENT_BASE(bracket, brackets, n_brackets)
ENT_BASE(resolver_group, resolver_groups, n_resolver_groups)
ENT_BASE(resolver_node, resolver_nodes, n_resolver_nodes)

ENT_PARENT(nameserver, nameserver, zone_id)
ENT_PARENT(service, service, host_id)
ENT_PARENT(host_fw, fw_rule, host_id)
ENT_PARENT(group_fw, fw_rule, group_id)
ENT_PARENT(resolver_node, resolver_node, group_id)

static int canon_dns(const char *in, char *out, size_t len);
static int canon_addr(const char *in, char *out, size_t len);
static int canon_prefix(const char *in, char *out, size_t len);
static int canon_plain(const char *in, char *out, size_t len);
static int replace_children(struct api_req *r, const struct pol_snap *s, const json_t *obj,
			    const char *key, const struct api_entity *child, int64_t pid);
static int replace_host_groups(struct api_req *r, const struct pol_snap *s, const json_t *obj,
			       int64_t host_id);

/* ---- key canonicalisation ---- */

static int
canon_dns(const char *in, char *out, size_t len)
{
	if (util_strlcpy(out, in, len) >= len)
		return -EINVAL;
	return pol_name_canon(out, true);
}

static int
canon_addr(const char *in, char *out, size_t len)
{
	struct addr a;

	if (addr_parse(in, &a) < 0)
		return -EINVAL;
	addr_ntop(&a, out, len);
	return 0;
}

static int
canon_prefix(const char *in, char *out, size_t len)
{
	struct prefix p;

	if (prefix_parse(in, false, &p) < 0)
		return -EINVAL;
	prefix_ntop(&p, out, len);
	return 0;
}

static int
canon_plain(const char *in, char *out, size_t len)
{
	return util_strlcpy(out, in, len) >= len ? -EINVAL : 0;
}

/* ---- natural keys ---- */

static const char *
zone_name(const void *row, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ((const struct pol_zone *)row)->name;
}

static const char *
nameserver_name(const void *row, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ((const struct pol_nameserver *)row)->name;
}

static const char *
service_addr_name(const void *row, char *buf, size_t len)
{
	return addr_ntop(&((const struct pol_service_addr *)row)->addr, buf, len);
}

static const char *
pool_addr_name(const void *row, char *buf, size_t len)
{
	return addr_ntop(&((const struct pol_pool_addr *)row)->addr, buf, len);
}

static const char *
group_name(const void *row, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ((const struct pol_group *)row)->name;
}

static const char *
host_name(const void *row, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ((const struct pol_host *)row)->fqdn;
}

static const char *
service_name(const void *row, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ((const struct pol_service *)row)->fqdn;
}

static const char *
alg_route_name(const void *row, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ((const struct pol_alg_route *)row)->hostname;
}

static const char *
resolver_group_name(const void *row, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ((const struct pol_resolver_group *)row)->name;
}

static const char *
resolver_node_name(const void *row, char *buf, size_t len)
{
	return prefix_ntop(&((const struct pol_resolver_node *)row)->prefix, buf, len);
}

/* ---- codecs adapted to the generic signature ---- */

static json_t *
zone_to_json(const struct pol_snap *s, const void *row)
{
	return pol_zone_to_json(s, row);
}

static int
zone_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
	       struct pol_err *e)
{
	(void)s;
	return pol_zone_from_json(o, partial, row, "", e);
}

static json_t *
nameserver_to_json(const struct pol_snap *s, const void *row)
{
	(void)s;
	return api_nameserver_to_json(row);
}

static int
nameserver_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
		     struct pol_err *e)
{
	(void)s;
	return api_nameserver_from_json(o, partial, row, "", e);
}

static json_t *
service_addr_to_json(const struct pol_snap *s, const void *row)
{
	(void)s;
	return api_service_addr_to_json(row);
}

static int
service_addr_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
		       struct pol_err *e)
{
	(void)s;
	return api_service_addr_from_json(o, partial, row, "", e);
}

static json_t *
pool_addr_to_json(const struct pol_snap *s, const void *row)
{
	(void)s;
	return api_pool_addr_to_json(row);
}

static int
pool_addr_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
		    struct pol_err *e)
{
	(void)s;
	return api_pool_addr_from_json(o, partial, row, "", e);
}

static json_t *
group_to_json(const struct pol_snap *s, const void *row)
{
	const struct pol_group *g = row;
	json_t *o = api_group_to_json(g);
	json_t *fw = json_array();

	for (size_t i = 0; fw && i < s->n_fw_rules; i++)
		if (s->fw_rules[i].group_id == g->id)
			json_array_append_new(fw, pol_fw_rule_to_json(&s->fw_rules[i]));
	if (o)
		json_object_set_new(o, "firewall", fw);
	else
		json_decref(fw);
	return o;
}

static int
group_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
		struct pol_err *e)
{
	(void)s;
	return api_group_from_json(o, partial, row, "", e);
}

static json_t *
host_to_json(const struct pol_snap *s, const void *row)
{
	return pol_host_to_json(s, row);
}

static int
host_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
	       struct pol_err *e)
{
	(void)s;
	return pol_host_from_json(o, partial, row, "", e);
}

static json_t *
service_to_json(const struct pol_snap *s, const void *row)
{
	(void)s;
	return pol_service_to_json(row);
}

static int
service_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
		  struct pol_err *e)
{
	(void)s;
	return pol_service_from_json(o, partial, row, "", e);
}

static json_t *
fw_rule_to_json(const struct pol_snap *s, const void *row)
{
	(void)s;
	return pol_fw_rule_to_json(row);
}

static int
fw_rule_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
		  struct pol_err *e)
{
	(void)s;
	return pol_fw_rule_from_json(o, partial, row, "", e);
}

static json_t *
alg_route_to_json(const struct pol_snap *s, const void *row)
{
	(void)s;
	return pol_alg_route_to_json(row);
}

static int
alg_route_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
		    struct pol_err *e)
{
	(void)s;
	return pol_alg_route_from_json(o, partial, row, "", e);
}

static json_t *
bracket_to_json(const struct pol_snap *s, const void *row)
{
	(void)s;
	return pol_bracket_to_json(row);
}

static int
bracket_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
		  struct pol_err *e)
{
	(void)s;
	return pol_bracket_from_json(o, partial, row, "", e);
}

static json_t *
resolver_group_to_json(const struct pol_snap *s, const void *row)
{
	return pol_resolver_group_to_json(s, row);
}

static int
resolver_group_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
			 struct pol_err *e)
{
	(void)s;
	return pol_resolver_group_from_json(o, partial, row, "", e);
}

static json_t *
resolver_node_to_json(const struct pol_snap *s, const void *row)
{
	(void)s;
	return api_resolver_node_to_json(row);
}

static int
resolver_node_from_json(const struct pol_snap *s, const json_t *o, bool partial, void *row,
			struct pol_err *e)
{
	(void)s;
	/* The bundle writes nodes as bare strings; accept both shapes. */
	if (json_is_string(o)) {
		struct pol_resolver_node *n = row;
		if (prefix_parse(json_string_value(o), false, &n->prefix) < 0) {
			pol_err_set(e, "prefix",
				    "must be an address or a prefix with no host bits set");
			return -EINVAL;
		}
		return 0;
	}
	return api_resolver_node_from_json(o, partial, row, "", e);
}

/* ---- embedded sub-collections ---- */

/* Replace the children of pid in table `child` by the array obj[key] (if present). */
static int
replace_children(struct api_req *r, const struct pol_snap *s, const json_t *obj, const char *key,
		 const struct api_entity *child, int64_t pid)
{
	json_t *arr = json_object_get(obj, key);
	struct pol_err e = { 0 };
	union {
		struct pol_nameserver ns;
		struct pol_service svc;
		struct pol_fw_rule fw;
		struct pol_resolver_node node;
	} row;
	size_t i;
	json_t *v;
	int rc;

	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		api_reply_error(r, 400, key, "must be an array");
		return -EINVAL;
	}
	for (i = 0; i < child->count(s); i++) {
		const void *old = child->at(s, i);
		if (child->parent(old) != pid)
			continue;
		rc = child->del(r->api->st, child->id(old), &e);
		if (rc < 0) {
			api_reply_store_err(r, rc, &e, key);
			return rc;
		}
	}
	json_array_foreach(arr, i, v)
	{
		char f[64];
		snprintf(f, sizeof(f), "%s[%zu]", key, i);
		memset(&row, 0, sizeof(row));
		rc = child->from_json(s, v, false, &row, &e);
		if (rc == 0) {
			child->set_parent(&row, pid);
			rc = child->insert(r->api->st, &row, &e);
		}
		if (rc < 0) {
			/* Name the element: "services[2].port". */
			char field[256];
			snprintf(field, sizeof(field), "%s%s%s", f, e.field[0] ? "." : "", e.field);
			util_strlcpy(e.field, field, sizeof(e.field));
			api_reply_store_err(r, rc, &e, key);
			return rc;
		}
	}
	return 0;
}

/* host_id is a member of group g in s. */
static bool
is_member(const struct pol_snap *s, int64_t host_id, const struct pol_group *g)
{
	for (size_t i = 0; i < s->n_host_groups; i++)
		if (s->host_groups[i].host_id == host_id && s->host_groups[i].group_id == g->id)
			return true;
	return false;
}

/*
 * The host's memberships become the groups named in obj's "groups". A tenant's token
 * neither joins nor leaves a group that is not its own: such a membership (the operator's
 * doing) stays, and naming it again (a representation written back) changes nothing; any
 * other group it cannot see does not exist for it.
 */
static int
replace_host_groups(struct api_req *r, const struct pol_snap *s, const json_t *obj, int64_t host_id)
{
	json_t *arr = json_object_get(obj, "groups"), *v;
	struct pol_err e = { 0 };
	size_t i;
	int rc;

	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		api_reply_error(r, 400, "groups", "must be an array of group names");
		return -EINVAL;
	}
	for (i = 0; i < s->n_host_groups; i++) {
		const struct pol_host_group *m = &s->host_groups[i];
		const void *g;
		char key[24];

		if (m->host_id != host_id)
			continue;
		snprintf(key, sizeof(key), "%lld", (long long)m->group_id);
		g = api_entity_find(&api_ent_group, s, key, 0);
		if (g != NULL && !api_visible(r, &api_ent_group, s, g))
			continue;
		rc = pol_host_group_del(r->api->st, host_id, m->group_id, &e);
		if (rc < 0) {
			api_reply_store_err(r, rc, &e, "groups");
			return rc;
		}
	}
	json_array_foreach(arr, i, v)
	{
		const struct pol_group *g = NULL;
		char f[32];

		snprintf(f, sizeof(f), "groups[%zu]", i);
		if (json_is_string(v))
			g = api_entity_find(&api_ent_group, s, json_string_value(v), 0);
		if (g && !api_visible(r, &api_ent_group, s, g)) {
			if (is_member(s, host_id, g))
				continue; /* kept above */
			g = NULL;	  /* another's group does not exist for a tenant's token */
		}
		if (!g) {
			api_reply_error(r, 400, f, "must name an existing group");
			return -EINVAL;
		}
		rc = pol_host_group_add(r->api->st, host_id, g->id, &e);
		if (rc < 0) {
			api_reply_store_err(r, rc, &e, f);
			return rc;
		}
	}
	return 0;
}

static int
zone_after(struct api_req *r, const struct pol_snap *s, const json_t *obj, const void *row)
{
	return replace_children(r, s, obj, "nameservers", &api_ent_nameserver,
				((const struct pol_zone *)row)->id);
}

static int
host_after(struct api_req *r, const struct pol_snap *s, const json_t *obj, const void *row)
{
	int64_t id = ((const struct pol_host *)row)->id;
	int rc;

	if ((rc = replace_children(r, s, obj, "services", &api_ent_service, id)) < 0 ||
	    (rc = replace_children(r, s, obj, "firewall", &api_ent_host_fw, id)) < 0)
		return rc;
	return replace_host_groups(r, s, obj, id);
}

static int
group_after(struct api_req *r, const struct pol_snap *s, const json_t *obj, const void *row)
{
	return replace_children(r, s, obj, "firewall", &api_ent_group_fw,
				((const struct pol_group *)row)->id);
}

static int
resolver_group_after(struct api_req *r, const struct pol_snap *s, const json_t *obj,
		     const void *row)
{
	return replace_children(r, s, obj, "nodes", &api_ent_resolver_node,
				((const struct pol_resolver_group *)row)->id);
}

#define ENT_COMMON(E)                                                                              \
	.row_size = sizeof(struct pol_##E), .count = E##_count, .at = E##_at, .id = E##_id,        \
	.set_id = E##_set_id, .insert = E##_insert, .update = E##_update, .del = E##_del

const struct api_entity api_ent_zone = {
	.kind = "zone",
	.table = "zones",
	.sql_table = "zones",
	ENT_COMMON(zone),
	.name = zone_name,
	.name_is_key = true,
	.canon = canon_dns,
	.to_json = zone_to_json,
	.from_json = zone_from_json,
	.after_write = zone_after,
};

const struct api_entity api_ent_nameserver = {
	.kind = "nameserver",
	.table = "nameservers",
	.sql_table = "nameservers",
	ENT_COMMON(nameserver),
	.parent = nameserver_parent,
	.set_parent = nameserver_set_parent,
	.name = nameserver_name,
	.name_is_key = true,
	.canon = canon_dns,
	.to_json = nameserver_to_json,
	.from_json = nameserver_from_json,
};

const struct api_entity api_ent_service_addr = {
	.kind = "service address",
	.table = "service_addresses",
	.sql_table = "service_addrs",
	ENT_COMMON(service_addr),
	.name = service_addr_name,
	.name_is_key = true,
	.canon = canon_addr,
	.to_json = service_addr_to_json,
	.from_json = service_addr_from_json,
};

const struct api_entity api_ent_pool_addr = {
	.kind = "pool address",
	.table = "pool",
	.sql_table = "pool_addrs",
	ENT_COMMON(pool_addr),
	.name = pool_addr_name,
	.name_is_key = true,
	.canon = canon_addr,
	.to_json = pool_addr_to_json,
	.from_json = pool_addr_from_json,
};

/* What a tenant's token sees (policy/tenancy.h). */
static bool
host_owned(const struct pol_tenant *t, const struct pol_snap *s, const void *row)
{
	(void)s;
	return pol_tenancy_host(t, row);
}

static bool
service_owned(const struct pol_tenant *t, const struct pol_snap *s, const void *row)
{
	return pol_tenancy_service(t, s, row);
}

static bool
group_owned(const struct pol_tenant *t, const struct pol_snap *s, const void *row)
{
	(void)s;
	return pol_tenancy_group(t, row);
}

static bool
fw_owned(const struct pol_tenant *t, const struct pol_snap *s, const void *row)
{
	return pol_tenancy_fw(t, s, row);
}

static bool
route_owned(const struct pol_tenant *t, const struct pol_snap *s, const void *row)
{
	(void)s;
	return pol_tenancy_route(t, row);
}

const struct api_entity api_ent_group = {
	.kind = "group",
	.table = "groups",
	.sql_table = "groups",
	ENT_COMMON(group),
	.name = group_name,
	.name_is_key = true,
	.canon = canon_plain,
	.to_json = group_to_json,
	.from_json = group_from_json,
	.after_write = group_after,
	.owned = group_owned,
};

const struct api_entity api_ent_host = {
	.kind = "host",
	.table = "hosts",
	.sql_table = "hosts",
	ENT_COMMON(host),
	.name = host_name,
	.name_is_key = true,
	.canon = canon_dns,
	.to_json = host_to_json,
	.from_json = host_from_json,
	.after_write = host_after,
	.owned = host_owned,
};

const struct api_entity api_ent_service = {
	.kind = "service",
	.table = "services",
	.sql_table = "services",
	ENT_COMMON(service),
	.parent = service_parent,
	.set_parent = service_set_parent,
	.name = service_name,
	.name_is_key = true,
	.canon = canon_dns,
	.to_json = service_to_json,
	.from_json = service_from_json,
	.owned = service_owned,
};

const struct api_entity api_ent_host_fw = {
	.kind = "firewall rule",
	.table = "fw_rules",
	.sql_table = "fw_rules",
	ENT_COMMON(fw_rule),
	.parent = host_fw_parent,
	.set_parent = host_fw_set_parent,
	.to_json = fw_rule_to_json,
	.from_json = fw_rule_from_json,
	.owned = fw_owned,
};

const struct api_entity api_ent_group_fw = {
	.kind = "firewall rule",
	.table = "fw_rules",
	.sql_table = "fw_rules",
	ENT_COMMON(fw_rule),
	.parent = group_fw_parent,
	.set_parent = group_fw_set_parent,
	.to_json = fw_rule_to_json,
	.from_json = fw_rule_from_json,
	.owned = fw_owned,
};

const struct api_entity api_ent_alg_route = {
	.kind = "ALG route",
	.table = "alg_routes",
	.sql_table = "alg_routes",
	ENT_COMMON(alg_route),
	.name = alg_route_name,
	.canon = canon_dns,
	.to_json = alg_route_to_json,
	.from_json = alg_route_from_json,
	.owned = route_owned,
};

const struct api_entity api_ent_bracket = {
	.kind = "load bracket",
	.table = "brackets",
	.sql_table = "brackets",
	ENT_COMMON(bracket),
	.to_json = bracket_to_json,
	.from_json = bracket_from_json,
};

const struct api_entity api_ent_resolver_group = {
	.kind = "resolver group",
	.table = "resolver_groups",
	.sql_table = "resolver_groups",
	ENT_COMMON(resolver_group),
	.name = resolver_group_name,
	.name_is_key = true,
	.canon = canon_plain,
	.to_json = resolver_group_to_json,
	.from_json = resolver_group_from_json,
	.after_write = resolver_group_after,
};

const struct api_entity api_ent_resolver_node = {
	.kind = "resolver node",
	.table = "resolver_nodes",
	.sql_table = "resolver_nodes",
	ENT_COMMON(resolver_node),
	.parent = resolver_node_parent,
	.set_parent = resolver_node_set_parent,
	.name = resolver_node_name,
	.name_is_key = true,
	.canon = canon_prefix,
	.to_json = resolver_node_to_json,
	.from_json = resolver_node_from_json,
};

const struct api_entity *const api_entities[] = {
	&api_ent_zone,
	&api_ent_nameserver,
	&api_ent_service_addr,
	&api_ent_pool_addr,
	&api_ent_group,
	&api_ent_host,
	&api_ent_service,
	&api_ent_host_fw,
	&api_ent_alg_route,
	&api_ent_bracket,
	&api_ent_resolver_group,
	&api_ent_resolver_node,
	NULL,
};
