/* SPDX-License-Identifier: MIT */
/* api/res_system.c -- bundle export/replace, bindings, status, metrics, OpenAPI, audit */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "../policy/bundle.h"
#include "../policy/tenancy.h"
#include "internal.h"

static json_t *policy_counts(const struct pol_snap *s);
static json_t *text_value(const char *s);
static json_t *audit_row(const struct pol_audit *a);

void
api_h_bindings(struct api_req *r)
{
	json_t *items;

	if (!r->api->v.nat) {
		api_reply_error(r, 503, NULL, "NAT is not running: no live bindings");
		return;
	}
	items = api_views_bindings(&r->api->v);
	if (!items) {
		api_reply_error(r, 503, NULL, "NAT is not running: no live bindings");
		return;
	}
	api_reply_json(r, 200,
		       json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(items), "items",
				 items));
}

void
api_h_windows(struct api_req *r)
{
	json_t *items = r->api->v.nat ? api_views_windows(&r->api->v) : NULL;

	if (!items) {
		api_reply_error(r, 503, NULL, "NAT is not running: no cache windows");
		return;
	}
	api_reply_json(r, 200,
		       json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(items), "items",
				 items));
}

/*
 * The export of a snapshot is cached with the snapshot it came from (held by reference,
 * so the pointer cannot be reused): while the policy in force does not change, a fetch
 * of the whole policy is a copy of ready bytes.
 */
/* The tables a tenant's bundle leaves out: the operator's. */
static const char *const operator_tables[] = { "zones",	    "service_addresses", "pool",
					       "admission", "resolver_groups",	 NULL };

/* A tenant's part of the policy: its hosts (services, firewall rules, its groups), its groups
 * and its ALG routes, in the bundle's format; the ETag is that of this representation.
 * NULL on ENOMEM. */
static json_t *
tenant_bundle(const struct pol_snap *s, const struct pol_tenant *t)
{
	struct pol_snap *part = pol_tenancy_part(s, t);
	json_t *b = part != NULL ? pol_bundle_export(part) : NULL;

	pol_snap_unref(part);
	for (size_t i = 0; b != NULL && operator_tables[i] != NULL; i++)
		json_object_del(b, operator_tables[i]);
	return b;
}

void
api_h_bundle_get(struct api_req *r)
{
	struct api *api = r->api;
	struct pol_snap *s = api_snapshot_read(r);

	if (!s)
		return;
	if (r->ten != NULL) {
		json_t *b = tenant_bundle(s, r->ten);

		if (b == NULL)
			api_reply_error(r, 503, NULL, "out of memory");
		else
			api_reply_entity(r, 200, b);
	} else if (s != api->bundle_snap) {
		api_reply_entity_etag(r, 200, pol_bundle_export(s), s->etag);
		if (r->status == 200 && r->raw) {
			char *copy = strdup(r->raw);
			if (copy) {
				pol_snap_unref(api->bundle_snap);
				free(api->bundle_text);
				api->bundle_snap = pol_snap_ref(s);
				api->bundle_text = copy;
				api->bundle_len = r->raw_len;
				memcpy(api->bundle_etag, r->etag, sizeof(api->bundle_etag));
			}
		}
	} else {
		api_reply_raw_entity(r, 200, api->bundle_text, api->bundle_len, api->bundle_etag);
	}
	pol_snap_unref(s);
}

/* Parse a tenant's bundle (r->body) into *in. It holds none of operator_tables (403); its
 * names are checked against the zones of cur, the policy it goes into. False when answered. */
static bool
tenant_bundle_parse(struct api_req *r, const struct pol_snap *cur, struct pol_snap **in)
{
	struct pol_err e = { 0 };
	json_t *all, *body;
	int rc;

	for (size_t i = 0; operator_tables[i] != NULL; i++) {
		if (json_object_get(r->body, operator_tables[i]) != NULL) {
			api_reply_error(r, 403, operator_tables[i],
					"tenant %s's bundle holds only its hosts, groups and ALG "
					"routes, not %s",
					r->tenant, operator_tables[i]);
			return false;
		}
	}
	all = pol_bundle_export(cur);
	body = json_is_object(r->body) ? json_copy(r->body) : NULL;
	if (all == NULL || (json_is_object(r->body) && body == NULL) ||
	    (body != NULL && json_object_set(body, "zones", json_object_get(all, "zones")) < 0)) {
		json_decref(all);
		json_decref(body);
		api_reply_error(r, 503, NULL, "out of memory");
		return false;
	}
	rc = pol_bundle_parse_json(body != NULL ? body : r->body, in, &e);
	json_decref(all);
	json_decref(body);
	if (rc < 0) {
		e.kind = POL_ERR_INVALID;
		api_reply_store_err(r, rc, &e, "invalid bundle");
		return false;
	}
	return true;
}

/*
 * PUT /bundle with a tenant's token: its part of the policy replaced by the bundle
 * (pol_store_replace_part), everything else left as it is; the committer refuses a row
 * outside its boundary or over its quotas (403), and then nothing changes. If-Match compares
 * with the representation a GET by the tenant gives.
 */
static void
tenant_bundle_put(struct api_req *r)
{
	struct pol_snap *cur = NULL, *in = NULL, *ns = NULL;
	struct pol_err e = { 0 };
	json_t *mine = NULL;
	int rc;

	if (!api_txn_begin(r))
		return;
	if (!(cur = api_snapshot(r)))
		goto fail;
	if ((mine = tenant_bundle(cur, r->ten)) == NULL) {
		api_reply_error(r, 503, NULL, "out of memory");
		goto fail;
	}
	if (!api_if_match(r, mine))
		goto fail;
	if (!tenant_bundle_parse(r, cur, &in))
		goto fail;
	rc = pol_store_replace_part(r->api->st, cur, r->ten, in, &e);
	if (rc == -EACCES) {
		api_reply_error(r, 403, e.field, "%s", e.msg);
		goto fail;
	} else if (rc < 0) {
		api_reply_store_err(r, rc, &e, "invalid bundle");
		goto fail;
	}
	if (api_txn_commit(r, &ns)) {
		json_t *b = tenant_bundle(ns, r->ten);

		if (b == NULL)
			api_reply_error(r, 503, NULL, "out of memory");
		else
			api_reply_entity(r, 200, b);
	}
	goto out;
fail:
	api_txn_abort(r);
out:
	json_decref(mine);
	pol_snap_unref(cur);
	pol_snap_unref(in);
	pol_snap_unref(ns);
}

/*
 * PUT /bundle: the whole policy replaced in the write transaction (pol_store_replace, a
 * savepoint inside it), then put in force by the committer like any other write. The ETag is
 * the policy's (pol_snap.etag): If-Match compares with the policy the store holds.
 */
void
api_h_bundle_put(struct api_req *r)
{
	struct pol_snap *old = NULL, *in = NULL, *ns = NULL;
	struct pol_err e = { 0 };
	int rc;

	if (r->ten != NULL) {
		tenant_bundle_put(r);
		return;
	}
	if (!api_txn_begin(r))
		return;
	/* If-Match compares with the representation GET gives: the policy in force */
	if (!(old = api_snapshot_read(r)) || !api_if_match_etag(r, old->etag))
		goto fail;
	rc = pol_bundle_parse_json(r->body, &in, &e);
	if (rc < 0) {
		/* Every row of a bundle is the request's own: two of them colliding, or
		 * one naming a group the bundle lacks, is a bad bundle (400), not a
		 * conflict with the policy it replaces. */
		e.kind = POL_ERR_INVALID;
		api_reply_store_err(r, rc, &e, "invalid bundle");
		goto fail;
	}
	rc = pol_store_replace(r->api->st, in, &e);
	if (rc < 0) {
		api_reply_store_err(r, rc, &e, "invalid bundle");
		goto fail;
	}
	if (api_txn_commit(r, &ns))
		api_reply_entity_etag(r, 200, pol_bundle_export(ns), ns->etag);
	goto out;
fail:
	api_txn_abort(r);
out:
	pol_snap_unref(old);
	pol_snap_unref(in);
	pol_snap_unref(ns);
}

static json_t *
policy_counts(const struct pol_snap *s)
{
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "etag", s->etag,
			 "generation", (json_int_t)s->generation, "zones", (json_int_t)s->n_zones,
			 "service_addresses", (json_int_t)s->n_service_addrs, "pool_addresses",
			 (json_int_t)s->n_pool_addrs, "groups", (json_int_t)s->n_groups, "hosts",
			 (json_int_t)s->n_hosts, "services", (json_int_t)s->n_services,
			 "firewall_rules", (json_int_t)s->n_fw_rules, "alg_routes",
			 (json_int_t)s->n_alg_routes, "load_brackets", (json_int_t)s->n_brackets,
			 "resolver_groups", (json_int_t)s->n_resolver_groups);
}

void
api_h_status(struct api_req *r)
{
	const struct api_stats *st = &r->api->stats;
	struct pol_snap *s = api_snapshot_read(r);
	json_t *sub = NULL, *o;

	if (!s)
		return;
	sub = api_views_status(&r->api->v);
	o = json_pack(
		"{s:s,s:I,s:I,s:o*,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o}", "version",
		RGW_VERSION, "uptime_s", (json_int_t)((util_mono_ms() - r->api->started_ms) / 1000),
		"started_ms", (json_int_t)r->api->started_wall_ms, "policy", policy_counts(s),
		"api", "requests", (json_int_t)st->requests, "writes", (json_int_t)st->writes,
		"write_failures", (json_int_t)st->write_failures, "apply_failures",
		(json_int_t)st->apply_failures, "auth_failures", (json_int_t)st->auth_failures,
		"rate_limited", (json_int_t)st->rate_limited, "last_write_us",
		(json_int_t)st->last_write_us, "request_timeouts", (json_int_t)st->request_timeouts,
		"connections_shed", (json_int_t)st->conns_shed, "schema_version",
		(json_int_t)pol_store_schema_version(r->api->st), "subsystems",
		sub ? sub : json_object());
	api_reply_json(r, 200, o);
	pol_snap_unref(s);
}

void
api_h_openapi(struct api_req *r)
{
	const char *doc = api_openapi_text();

	buf_append_str(&r->text, doc);
	r->ctype = "application/json";
	r->status = 200;
}

/* A JSON string from stored text that may not be valid UTF-8 (a line written by an older
 * version, or by hand): bad bytes are shown as U+FFFD instead of failing the whole row. */
static json_t *
text_value(const char *s)
{
	size_t len = strlen(s);
	char *clean;
	json_t *v;

	if (util_utf8_valid_len(s, len) == len)
		return json_stringn(s, len);
	clean = util_utf8_sanitize(s, len);
	if (clean == NULL)
		return NULL;
	v = json_string(clean);
	free(clean);
	return v;
}

static json_t *
audit_row(const struct pol_audit *a)
{
	return json_pack("{s:I,s:I,s:o,s:o,s:o,s:o,s:s?,s:s?,s:s?}", "id", (json_int_t)a->id,
			 "ts_ms", (json_int_t)a->ts_ms, "actor", text_value(a->actor), "action",
			 text_value(a->action), "resource", text_value(a->resource), "detail",
			 text_value(a->detail ? a->detail : ""), "etag_before",
			 a->etag_before[0] ? a->etag_before : NULL, "etag_after",
			 a->etag_after[0] ? a->etag_after : NULL, "tenant",
			 a->tenant[0] ? a->tenant : NULL);
}

void
api_h_audit(struct api_req *r)
{
	const char *before_s = api_query(r, "before"), *limit_s = api_query(r, "limit");
	long before = 0, limit = 100;
	struct pol_audit *rows = NULL;
	size_t n = 0;
	json_t *items;
	int rc;

	if (before_s && util_parse_long(before_s, 0, (1L << 62), &before) < 0) {
		api_reply_error(r, 400, "before", "must be an audit id");
		return;
	}
	if (limit_s && util_parse_long(limit_s, 1, 1000, &limit) < 0) {
		api_reply_error(r, 400, "limit", "must be an integer in 1..1000");
		return;
	}
	rc = pol_audit_list(r->api->st, r->tenant[0] ? r->tenant : NULL, before, (size_t)limit,
			    &rows, &n);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "audit log");
		return;
	}
	items = json_array();
	for (size_t i = 0; items && i < n; i++) {
		json_t *row = audit_row(&rows[i]);

		/* every stored line is listed, or the listing fails: never a silent gap */
		if (row == NULL || json_array_append_new(items, row) < 0) {
			json_decref(items);
			items = NULL;
		}
	}
	pol_audit_free(rows, n);
	if (items == NULL) {
		api_reply_error(r, 500, NULL, "audit log: a line could not be listed");
		return;
	}
	api_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The representation of a token: never its secret nor its hash. */
static json_t *
token_json(const struct pol_token_info *t)
{
	json_t *o = json_pack("{s:s,s:s,s:I}", "name", t->name, "role", pol_role_name(t->role),
			      "created_ms", (json_int_t)t->created_ms);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "expires_ms",
			    t->expires_ms ? json_integer((json_int_t)t->expires_ms) : json_null());
	json_object_set_new(o, "last_used_ms",
			    t->last_used_ms ? json_integer((json_int_t)t->last_used_ms)
					    : json_null());
	json_object_set_new(o, "expired",
			    json_boolean(t->expires_ms && t->expires_ms <= util_wall_ms()));
	return o;
}

/* GET /tokens: names, roles, creation, last use and expiry of every token. */
void
api_h_token_list(struct api_req *r)
{
	struct pol_token_info *rows = NULL;
	size_t n = 0;
	json_t *items;
	int rc = pol_token_list(r->api->st, &rows, &n);

	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "token");
		return;
	}
	items = json_array();
	for (size_t i = 0; items && i < n; i++)
		json_array_append_new(items, token_json(&rows[i]));
	free(rows);
	api_reply_json(r, 200, json_pack("{s:o*,s:i}", "items", items, "total", (int)n));
}

/* GET /tokens/{name} */
void
api_h_token_get(struct api_req *r)
{
	struct pol_token_info *rows = NULL;
	size_t n = 0;
	int rc = pol_token_list(r->api->st, &rows, &n);

	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "token");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].name, r->m.params[0]) == 0) {
			api_reply_json(r, 200, token_json(&rows[i]));
			free(rows);
			return;
		}
	}
	free(rows);
	api_reply_error(r, 404, NULL, "no token '%s'", r->m.params[0]);
}

/* An HA pair's active sends its tokens to the standby after each change. */
static void
token_changed(struct api_req *r)
{
	const struct api_views *v = &r->api->v;

	if (v->ha_tokens != NULL)
		v->ha_tokens(v->ha_arg);
}

/*
 * POST /tokens {"name": ..., "role": "ro"|"rw" (default rw, as rgwd --new-token),
 * "expires_in": seconds (optional)}: a new token; the secret is in this answer only (the
 * store keeps its salted hash). Needs an rw token. A token made here is a pair token: an HA
 * pair's standby holds it too.
 */
void
api_h_token_create(struct api_req *r)
{
	static const char *const keys[] = { "name", "role", "expires_in", NULL };
	char secret[POL_TOKEN_MAX];
	struct pol_err e = { 0 };
	enum pol_role role = POL_ROLE_RW;
	struct pol_token_info t = { 0 };
	const char *name, *role_s;
	uint64_t expires = 0;
	json_t *v;
	int rc;

	if (pol_bj_object(r->body, "", keys, &e) < 0) {
		api_reply_error(r, 400, e.field, "%s", e.msg);
		return;
	}
	name = json_string_value(json_object_get(r->body, "name"));
	if (!name) {
		api_reply_error(r, 400, "name", "required: a string");
		return;
	}
	v = json_object_get(r->body, "role");
	role_s = json_string_value(v);
	if (v && (!role_s || pol_role_parse(role_s, &role) < 0)) {
		api_reply_error(r, 400, "role", "must be ro or rw");
		return;
	}
	v = json_object_get(r->body, "expires_in");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > POL_TOKEN_EXPIRES_MAX_S) {
			api_reply_error(r, 400, "expires_in",
					"must be a number of seconds, 1..%d (10 years)",
					POL_TOKEN_EXPIRES_MAX_S);
			return;
		}
		expires = util_wall_ms() + (uint64_t)json_integer_value(v) * 1000;
	}
	if (!api_txn_begin(r))
		return;
	rc = pol_token_create(r->api->st, name, role, expires, true, secret, &e);
	if (rc == 0)
		rc = api_audit(r);
	if (rc == 0)
		rc = pol_store_commit(r->api->st);
	if (rc < 0) {
		api_reply_store_err(r, rc, &e, "token");
		api_txn_abort(r);
		explicit_bzero(secret, sizeof(secret));
		return;
	}
	r->api->stats.writes++;
	token_changed(r);
	snprintf(r->location, sizeof(r->location), "/api/v1/tokens/%s", name);
	util_strlcpy(t.name, name, sizeof(t.name));
	t.role = role;
	t.created_ms = util_wall_ms();
	t.expires_ms = expires;
	v = token_json(&t);
	json_object_set_new(v, "secret", json_string(secret));
	api_reply_json(r, 201, v);
	explicit_bzero(secret, sizeof(secret));
}

/* DELETE /tokens/{name}: revoke at once (a token may revoke itself). */
void
api_h_token_delete(struct api_req *r)
{
	int rc;

	if (!api_txn_begin(r))
		return;
	rc = pol_token_delete(r->api->st, r->m.params[0]);
	if (rc == 0)
		rc = api_audit(r);
	if (rc == 0)
		rc = pol_store_commit(r->api->st);
	if (rc < 0) {
		if (rc == -ENOENT)
			api_reply_error(r, 404, NULL, "no token '%s'", r->m.params[0]);
		else
			api_reply_store_err(r, rc, NULL, "token");
		api_txn_abort(r);
		return;
	}
	r->api->stats.writes++;
	token_changed(r);
	r->status = 204;
}
