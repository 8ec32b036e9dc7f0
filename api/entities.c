/* SPDX-License-Identifier: MIT */
/* api/entities.c -- the entity table: how each policy table maps onto generic CRUD */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/util.h"
#include "../policy/bundle.h"
#include "../policy/tenancy.h"
#include "internal.h"

static int replace_children(struct api_req *r, const struct pol_snap *s, const json_t *obj,
			    const char *key, const struct api_entity *child, int64_t pid);
static int replace_host_groups(struct api_req *r, const struct pol_snap *s, const json_t *obj,
			       int64_t host_id);

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
	for (i = 0; i < pol_table_count(child->t, s); i++) {
		const void *old = pol_table_row(child->t, s, i);
		if (api_parent(child, old) != pid)
			continue;
		rc = pol_row_delete(r->api->st, child->t, pol_row_id(old), &e);
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
		rc = child->t->from_json(v, false, &row, "", &e);
		if (rc == 0) {
			api_set_parent(child, &row, pid);
			rc = pol_row_insert(r->api->st, child->t, &row, &e);
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

const struct api_entity api_ent_zone = {
	.kind = "zone",
	.t = &pol_t_zone,
	.name_is_key = true,
	.after_write = zone_after,
};

const struct api_entity api_ent_nameserver = {
	.kind = "nameserver",
	.t = &pol_t_nameserver,
	.parent_off = offsetof(struct pol_nameserver, zone_id),
	.name_is_key = true,
};

const struct api_entity api_ent_service_addr = {
	.kind = "service address",
	.t = &pol_t_service_addr,
	.name_is_key = true,
};

const struct api_entity api_ent_pool_addr = {
	.kind = "pool address",
	.t = &pol_t_pool_addr,
	.name_is_key = true,
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
	.t = &pol_t_group,
	.name_is_key = true,
	.after_write = group_after,
	.owned = group_owned,
};

const struct api_entity api_ent_host = {
	.kind = "host",
	.t = &pol_t_host,
	.name_is_key = true,
	.after_write = host_after,
	.owned = host_owned,
};

const struct api_entity api_ent_service = {
	.kind = "service",
	.t = &pol_t_service,
	.parent_off = offsetof(struct pol_service, host_id),
	.name_is_key = true,
	.owned = service_owned,
};

const struct api_entity api_ent_host_fw = {
	.kind = "firewall rule",
	.t = &pol_t_fw_rule,
	.parent_off = offsetof(struct pol_fw_rule, host_id),
	.owned = fw_owned,
};

const struct api_entity api_ent_group_fw = {
	.kind = "firewall rule",
	.t = &pol_t_fw_rule,
	.parent_off = offsetof(struct pol_fw_rule, group_id),
	.owned = fw_owned,
};

const struct api_entity api_ent_alg_route = {
	.kind = "ALG route",
	.t = &pol_t_alg_route,
	.owned = route_owned,
};

const struct api_entity api_ent_bracket = {
	.kind = "load bracket",
	.t = &pol_t_bracket,
};

const struct api_entity api_ent_resolver_group = {
	.kind = "resolver group",
	.t = &pol_t_resolver_group,
	.name_is_key = true,
	.after_write = resolver_group_after,
};

const struct api_entity api_ent_resolver_node = {
	.kind = "resolver node",
	.t = &pol_t_resolver_node,
	.parent_off = offsetof(struct pol_resolver_node, group_id),
	.name_is_key = true,
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
