/* SPDX-License-Identifier: MIT */
/* api/res_tenants.c -- tenants: their domains and session-name quota; the quota's buckets */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/array.h"
#include "../common/util.h"
#include "../policy/session.h"
#include "../policy/bundle.h"
#include "internal.h"

/* One tenant's session-name bucket (refilled at session_rate per second, holds one second). */
struct api_tenant_rate {
	char name[POL_TENANT_MAX];
	struct util_tb tb;
};

static json_t *tenant_json(const struct pol_tenant *t);
static int list_one(void *arg, const struct pol_tenant *t);
static bool domains_from_json(struct api_req *r, const struct pol_snap *s, struct pol_tenant *t);
static bool tokens_from_json(struct api_req *r, struct pol_tenant *t);
static bool realm_from_json(struct api_req *r, struct pol_tenant *t);
static bool quotas_from_json(struct api_req *r, struct pol_tenant *t);

static json_t *
tenant_json(const struct pol_tenant *t)
{
	json_t *d = json_array(), *k = json_array(), *m = json_array();
	char b[PREFIX_STRLEN];

	for (size_t i = 0; d && i < t->n_domains; i++)
		json_array_append_new(d, json_string(t->domains[i]));
	for (size_t i = 0; k && i < t->n_tokens; i++)
		json_array_append_new(k, json_string(t->tokens[i]));
	for (size_t i = 0; m && i < t->n_realm; i++)
		json_array_append_new(m, json_string(prefix_ntop(&t->realm[i], b, sizeof(b))));
	return json_pack("{s:s,s:o*,s:I,s:o*,s:o*,s:{s:I,s:I,s:I,s:I}}", "name", t->name, "domains",
			 d, "session_rate", (json_int_t)t->session_rate, "tokens", k, "realm", m,
			 "quotas", "hosts", (json_int_t)t->quota.hosts, "services",
			 (json_int_t)t->quota.services, "alg_routes",
			 (json_int_t)t->quota.alg_routes, "pool", (json_int_t)t->quota.pool);
}

/* "realm": 0..16 prefixes (or addresses) its hosts and ALG route backends may use. */
static bool
realm_from_json(struct api_req *r, struct pol_tenant *t)
{
	json_t *d = json_object_get(r->body, "realm"), *v;
	size_t i;

	if (d == NULL)
		return true;
	if (!json_is_array(d) || json_array_size(d) > POL_TENANT_REALM) {
		api_reply_error(r, 400, "realm", "0..%d address prefixes", POL_TENANT_REALM);
		return false;
	}
	json_array_foreach(d, i, v)
	{
		const char *n = json_string_value(v);
		if (n == NULL || prefix_parse(n, false, &t->realm[i]) < 0) {
			api_reply_error(r, 400, "realm",
					"realm[%zu] is not an address prefix (10.1.0.0/24)", i);
			return false;
		}
	}
	t->n_realm = json_array_size(d);
	return true;
}

/* "quotas": {"hosts", "services", "alg_routes", "pool"}: each 0 (no limit)..POL_QUOTA_MAX. */
static bool
quotas_from_json(struct api_req *r, struct pol_tenant *t)
{
	static const char *const keys[] = { "hosts", "services", "alg_routes", "pool", NULL };
	uint32_t *dst[] = { &t->quota.hosts, &t->quota.services, &t->quota.alg_routes,
			    &t->quota.pool };
	json_t *q = json_object_get(r->body, "quotas");
	struct pol_err e = { 0 };

	if (q == NULL)
		return true;
	if (!json_is_object(q) || pol_bj_object(q, "quotas", keys, &e) < 0) {
		api_reply_error(r, 400, e.field[0] ? e.field : "quotas", "%s",
				e.msg[0] ? e.msg : "an object of quotas");
		return false;
	}
	for (size_t i = 0; keys[i] != NULL; i++) {
		json_t *v = json_object_get(q, keys[i]);
		char f[32];

		if (v == NULL)
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > POL_QUOTA_MAX) {
			snprintf(f, sizeof(f), "quotas.%s", keys[i]);
			api_reply_error(r, 400, f, "must be an integer in 0..%d (0: no limit)",
					POL_QUOTA_MAX);
			return false;
		}
		*dst[i] = (uint32_t)json_integer_value(v);
	}
	return true;
}

bool
api_visible(const struct api_req *r, const struct api_entity *ent, const struct pol_snap *s,
	    const void *row)
{
	return r->ten == NULL || (ent->owned != NULL && ent->owned(r->ten, s, row));
}

/* A route a tenant's token may reach beside its own /tenants/{tenant}/...: a policy table it
 * owns rows of (and the parent's too), the audit log, its part of the bundle (export and
 * import). */
static bool
tenant_route(const struct api_route *rt)
{
	if (rt->ent != NULL)
		return rt->ent->owned != NULL && (rt->parent == NULL || rt->parent->owned != NULL);
	if (strcmp(rt->pattern, "/api/v1/bundle") == 0)
		return strcmp(rt->method, "GET") == 0 || strcmp(rt->method, "PUT") == 0;
	return strcmp(rt->method, "GET") == 0 && strcmp(rt->pattern, "/api/v1/audit") == 0;
}

bool
api_tenant_scope(struct api_req *r)
{
	static const char own[] = "/api/v1/tenants/{tenant}";
	const char *pat = r->m.route->pattern;
	int rc = pol_tenant_of_token(r->api->st, r->actor, r->tenant);

	if (rc == -ENOENT) {
		r->tenant[0] = '\0';
		return true;
	}
	if (rc == 0 && (r->ten = malloc(sizeof(*r->ten))) == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = pol_tenant_get(r->api->st, r->tenant, r->ten);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "tenant");
		return false;
	}
	if (tenant_route(r->m.route))
		return true;
	if (strncmp(pat, own, sizeof(own) - 1) != 0 || strcmp(r->m.params[0], r->tenant) != 0) {
		/* the operator's objects and other tenants' do not exist for it */
		api_reply_error(r, 404, NULL, "no such resource");
		return false;
	}
	if (pat[sizeof(own) - 1] == '\0' && strcmp(r->method, "GET") != 0 &&
	    strcmp(r->method, "HEAD") != 0) {
		api_reply_error(r, 403, NULL, "token '%s' acts for tenant %s and cannot change it",
				r->actor, r->tenant);
		return false;
	}
	return true;
}

static int
list_one(void *arg, const struct pol_tenant *t)
{
	return json_array_append_new(arg, tenant_json(t)) < 0;
}

bool
api_tenant_name_ok(const char *t)
{
	size_t n = strlen(t);

	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-'))
			return false;
	return n > 0 && n < POL_TENANT_MAX;
}

bool
api_tenant_take(struct api *api, const struct pol_tenant *t, uint32_t *retry_s)
{
	uint64_t now = util_mono_ms();
	struct api_tenant_rate *b = NULL;

	if (t->session_rate == 0)
		return true;
	for (size_t i = 0; i < api->n_tenant_rates; i++)
		if (strcmp(api->tenant_rates[i].name, t->name) == 0)
			b = &api->tenant_rates[i];
	if (b == NULL) {
		b = ARRAY_PUSH(api->tenant_rates, api->n_tenant_rates, api->tenant_rates_cap);
		if (b == NULL)
			return false;
		util_strlcpy(b->name, t->name, sizeof(b->name));
		b->tb.milli = (uint64_t)t->session_rate * 1000;
		b->tb.last_ms = now;
	}
	if (!util_tb_take(&b->tb, t->session_rate, (uint64_t)t->session_rate * 1000, now)) {
		*retry_s = 1;
		return false;
	}
	return true;
}

void
api_tenant_rates_free(struct api *api)
{
	free(api->tenant_rates);
	api->tenant_rates = NULL;
	api->n_tenant_rates = api->tenant_rates_cap = 0;
}

/* "tokens": 0..16 token names (they need not exist yet). */
static bool
tokens_from_json(struct api_req *r, struct pol_tenant *t)
{
	json_t *d = json_object_get(r->body, "tokens"), *v;
	size_t i;

	if (d == NULL)
		return true;
	if (!json_is_array(d) || json_array_size(d) > POL_TENANT_TOKENS) {
		api_reply_error(r, 400, "tokens", "0..%d token names", POL_TENANT_TOKENS);
		return false;
	}
	json_array_foreach(d, i, v)
	{
		const char *n = json_string_value(v);
		if (n == NULL || n[0] == '\0' || strlen(n) >= sizeof(t->tokens[0]) ||
		    strchr(n, ' ') != NULL) {
			api_reply_error(r, 400, "tokens", "tokens[%zu] is not a token name", i);
			return false;
		}
		util_strlcpy(t->tokens[i], n, sizeof(t->tokens[0]));
	}
	t->n_tokens = json_array_size(d);
	return true;
}

/* "domains": 1..16 names, each a forward zone or below one. */
static bool
domains_from_json(struct api_req *r, const struct pol_snap *s, struct pol_tenant *t)
{
	json_t *d = json_object_get(r->body, "domains"), *v;
	size_t i;

	if (!json_is_array(d) || json_array_size(d) == 0 ||
	    json_array_size(d) > POL_TENANT_DOMAINS) {
		api_reply_error(r, 400, "domains", "required: 1..%d domain names",
				POL_TENANT_DOMAINS);
		return false;
	}
	json_array_foreach(d, i, v)
	{
		const char *n = json_string_value(v);
		if (n == NULL || strlen(n) >= POL_NAME_MAX || !api_in_forward_zone(s, n)) {
			api_reply_error(r, 400, "domains", "domains[%zu] is in no forward zone", i);
			return false;
		}
		util_strlcpy(t->domains[i], n, POL_NAME_MAX);
		util_strlower(t->domains[i]);
	}
	t->n_domains = json_array_size(d);
	return true;
}

/* GET /tenants */
void
api_h_tenant_list(struct api_req *r)
{
	json_t *items = json_array();
	int rc = pol_tenant_list(r->api->st, list_one, items);

	if (rc < 0) {
		json_decref(items);
		api_reply_store_err(r, rc, NULL, "tenants");
		return;
	}
	api_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* GET /tenants/{tenant} */
void
api_h_tenant_get(struct api_req *r)
{
	struct pol_tenant t;
	int rc = pol_tenant_get(r->api->st, r->m.params[0], &t);

	if (rc == -ENOENT) {
		api_reply_error(r, 404, NULL, "no such tenant");
		return;
	}
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "tenant");
		return;
	}
	api_reply_entity(r, 200, tenant_json(&t));
}

/* PUT /tenants/{tenant} {"domains": [...], "session_rate": N, "tokens": [...], "realm": [...],
 * "quotas": {...}}: create or replace. */
void
api_h_tenant_put(struct api_req *r)
{
	static const char *const keys[] = { "domains", "session_rate", "tokens",
					    "realm",   "quotas",       NULL };
	struct pol_err e = { 0 };
	struct pol_snap *s = NULL;
	struct pol_tenant t, old;
	json_t *v;
	int rc;

	if (!api_tenant_name_ok(r->m.params[0])) {
		api_reply_error(r, 400, "name", "a tenant is named by one DNS label: [a-z0-9-]");
		return;
	}
	if (pol_bj_object(r->body, "", keys, &e) < 0) {
		api_reply_error(r, 400, e.field, "%s", e.msg);
		return;
	}
	memset(&t, 0, sizeof(t));
	util_strlcpy(t.name, r->m.params[0], sizeof(t.name));
	v = json_object_get(r->body, "session_rate");
	if (v &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)) {
		api_reply_error(r, 400, "session_rate", "must be an integer in 0..1000000");
		return;
	}
	t.session_rate = v ? (uint32_t)json_integer_value(v) : 0;
	if ((s = api_snapshot_read(r)) == NULL)
		return;
	if (!domains_from_json(r, s, &t) || !tokens_from_json(r, &t) || !realm_from_json(r, &t) ||
	    !quotas_from_json(r, &t))
		goto out;
	if (!api_txn_begin(r))
		goto out;
	bool existed = pol_tenant_get(r->api->st, t.name, &old) == 0;
	rc = pol_tenant_put(r->api->st, &t);
	if (rc == 0)
		rc = api_audit(r);
	if (rc == 0)
		rc = pol_store_commit(r->api->st);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "tenant");
		api_txn_abort(r);
		goto out;
	}
	r->api->stats.writes++;
	api_reply_entity(r, existed ? 200 : 201, tenant_json(&t));
out:
	pol_snap_unref(s);
}

/* DELETE /tenants/{tenant}: its live session names run to their deadline. */
void
api_h_tenant_delete(struct api_req *r)
{
	int rc;

	if (!api_txn_begin(r))
		return;
	rc = pol_tenant_delete(r->api->st, r->m.params[0]);
	if (rc == 0)
		rc = api_audit(r);
	if (rc == 0)
		rc = pol_store_commit(r->api->st);
	if (rc < 0) {
		if (rc == -ENOENT)
			api_reply_error(r, 404, NULL, "no such tenant");
		else
			api_reply_store_err(r, rc, NULL, "tenant");
		api_txn_abort(r);
		return;
	}
	r->api->stats.writes++;
	r->status = 204;
}
