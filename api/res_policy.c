/* SPDX-License-Identifier: MIT */
/* api/res_policy.c -- host group membership, the admission singleton, reputation */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../nat/reputation.h"
#include "../policy/bundle.h"
#include "../policy/check.h"
#include "../policy/reputation.h"
#include "internal.h"

static json_t *admission_json(const struct pol_snap *s);
static void admission_write(struct api_req *r, bool partial);
static int replace_brackets(struct api_req *r, const struct pol_snap *s, const json_t *arr);
static json_t *reputation_json(struct api_req *r, const struct pol_reputation *rep);
static double row_prior(struct api_req *r, const struct pol_reputation *rep);
static bool parse_rep_kind(struct api_req *r, enum pol_rep_kind *kind);

/* ---- /hosts/{host}/groups ---- */

void
api_h_host_groups_list(struct api_req *r)
{
	struct pol_snap *s = api_snapshot_read(r);
	const struct pol_host *h;
	json_t *items;

	if (!s)
		return;
	h = api_entity_find(&api_ent_host, s, r->m.params[0], 0);
	if (!h) {
		api_reply_error(r, 404, NULL, "no host '%s'", r->m.params[0]);
		goto out;
	}
	items = json_array();
	for (size_t i = 0; items && i < s->n_host_groups; i++) {
		const struct pol_group *g;
		if (s->host_groups[i].host_id != h->id)
			continue;
		g = pol_snap_group(s, s->host_groups[i].group_id);
		if (g)
			json_array_append_new(items, json_pack("{s:s,s:I}", "name", g->name, "id",
							       (json_int_t)g->id));
	}
	api_reply_entity(r, 200,
			 json_pack("{s:o*,s:I}", "items", items, "total",
				   (json_int_t)(items ? json_array_size(items) : 0)));
out:
	pol_snap_unref(s);
}

void
api_h_host_groups_add(struct api_req *r)
{
	static const char *const keys[] = { "group", NULL };
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };
	const struct pol_host *h;
	const struct pol_group *g;
	json_t *v;
	int rc;

	if (!api_txn_begin(r))
		return;
	if (!(s = api_snapshot(r)))
		goto fail;
	if (!(h = api_entity_find(&api_ent_host, s, r->m.params[0], 0))) {
		api_reply_error(r, 404, NULL, "no host '%s'", r->m.params[0]);
		goto fail;
	}
	if (pol_bj_object(r->body, "", keys, &e) < 0) {
		api_reply_error(r, 400, e.field, "%s", e.msg);
		goto fail;
	}
	v = json_object_get(r->body, "group");
	if (!json_is_string(v)) {
		api_reply_error(r, 400, "group", "required: the name of a group");
		goto fail;
	}
	if (!(g = api_entity_find(&api_ent_group, s, json_string_value(v), 0))) {
		api_reply_error(r, 400, "group", "no group '%s'", json_string_value(v));
		goto fail;
	}
	for (size_t i = 0; i < s->n_host_groups; i++) {
		if (s->host_groups[i].host_id == h->id && s->host_groups[i].group_id == g->id) {
			api_reply_error(r, 409, "group", "host '%s' is already in group '%s'",
					h->fqdn, g->name);
			goto fail;
		}
	}
	rc = pol_host_group_add(r->api->st, h->id, g->id, &e);
	if (rc < 0) {
		api_reply_store_err(r, rc, &e, "group membership");
		goto fail;
	}
	if (api_txn_commit(r, NULL)) {
		snprintf(r->location, sizeof(r->location), "/api/v1/hosts/%s/groups/%s", h->fqdn,
			 g->name);
		api_reply_json(r, 201,
			       json_pack("{s:s,s:I}", "name", g->name, "id", (json_int_t)g->id));
	}
	goto out;
fail:
	api_txn_abort(r);
out:
	pol_snap_unref(s);
}

void
api_h_host_groups_del(struct api_req *r)
{
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };
	const struct pol_host *h;
	const struct pol_group *g;
	bool member = false;
	int rc;

	if (!api_txn_begin(r))
		return;
	if (!(s = api_snapshot(r)))
		goto fail;
	h = api_entity_find(&api_ent_host, s, r->m.params[0], 0);
	g = api_entity_find(&api_ent_group, s, r->m.params[1], 0);
	for (size_t i = 0; h && g && i < s->n_host_groups; i++)
		if (s->host_groups[i].host_id == h->id && s->host_groups[i].group_id == g->id)
			member = true;
	if (!member) {
		api_reply_error(r, 404, NULL, "host '%s' is not in group '%s'", r->m.params[0],
				r->m.params[1]);
		goto fail;
	}
	rc = pol_host_group_del(r->api->st, h->id, g->id, &e);
	if (rc < 0) {
		api_reply_store_err(r, rc, &e, "group membership");
		goto fail;
	}
	if (api_txn_commit(r, NULL))
		r->status = 204;
	goto out;
fail:
	api_txn_abort(r);
out:
	pol_snap_unref(s);
}

/* ---- /admission ---- */

static int
bracket_cmp(const void *a, const void *b)
{
	const struct pol_bracket *x = *(const struct pol_bracket *const *)a;
	const struct pol_bracket *y = *(const struct pol_bracket *const *)b;

	if (x->position != y->position)
		return x->position < y->position ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static json_t *
admission_json(const struct pol_snap *s)
{
	json_t *o = pol_admission_to_json(&s->admission);
	json_t *arr = json_array();
	const struct pol_bracket **v = calloc(s->n_brackets + 1, sizeof(*v));

	if (!o || !arr || !v) {
		json_decref(o);
		json_decref(arr);
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < s->n_brackets; i++)
		v[i] = &s->brackets[i];
	util_sort(v, s->n_brackets, sizeof(*v), bracket_cmp);
	for (size_t i = 0; i < s->n_brackets; i++) {
		json_t *b = pol_t_bracket.to_json(s, v[i]);
		if (b)
			json_object_set_new(b, "id", json_integer(v[i]->id));
		json_array_append_new(arr, b);
	}
	free(v);
	json_object_set_new(o, "load_brackets", arr);
	return o;
}

void
api_h_admission_get(struct api_req *r)
{
	struct pol_snap *s = api_snapshot_read(r);

	if (!s)
		return;
	api_reply_entity(r, 200, admission_json(s));
	pol_snap_unref(s);
}

/* The embedded bracket list replaces the current one, in array order. */
static int
replace_brackets(struct api_req *r, const struct pol_snap *s, const json_t *arr)
{
	struct pol_err e = { 0 };
	size_t i;
	json_t *v;
	int rc;

	if (!json_is_array(arr)) {
		api_reply_error(r, 400, "load_brackets", "must be an array");
		return -EINVAL;
	}
	for (i = 0; i < s->n_brackets; i++) {
		if ((rc = pol_row_delete(r->api->st, &pol_t_bracket, s->brackets[i].id, &e)) < 0) {
			api_reply_store_err(r, rc, &e, "load_brackets");
			return rc;
		}
	}
	json_array_foreach(arr, i, v)
	{
		struct pol_bracket b;
		char path[48];
		json_t *in = json_is_object(v) ? json_deep_copy(v) : json_incref(v);

		snprintf(path, sizeof(path), "load_brackets[%zu]", i);
		memset(&b, 0, sizeof(b));
		if (json_is_object(in))
			json_object_del(in, "id");
		rc = pol_t_bracket.from_json(in, false, &b, path, &e);
		json_decref(in);
		if (rc == 0) {
			b.position = (int32_t)i;
			rc = pol_row_insert(r->api->st, &pol_t_bracket, &b, &e);
		}
		if (rc < 0) {
			if (!e.field[0])
				util_strlcpy(e.field, path, sizeof(e.field));
			api_reply_store_err(r, rc, &e, "load_brackets");
			return rc;
		}
	}
	return 0;
}

static void
admission_write(struct api_req *r, bool partial)
{
	struct pol_snap *s = NULL, *ns = NULL;
	struct pol_admission a;
	struct pol_err e = { 0 };
	json_t *cur = NULL, *in = NULL, *brackets;
	int rc;

	if (!api_txn_begin(r))
		return;
	if (!(s = api_snapshot(r)))
		goto fail;
	cur = admission_json(s);
	if (!api_if_match(r, cur))
		goto fail;
	in = json_deep_copy(r->body);
	if (!in) {
		api_reply_error(r, 503, NULL, "out of memory");
		goto fail;
	}
	brackets = json_incref(json_object_get(in, "load_brackets"));
	json_object_del(in, "load_brackets");
	a = s->admission;
	if (!partial)
		pol_admission_defaults(&a);
	rc = pol_admission_from_json(in, partial, &a, "", &e);
	if (rc == 0)
		rc = pol_admission_set(r->api->st, &a, &e);
	if (rc < 0) {
		json_decref(brackets);
		api_reply_store_err(r, rc, &e, "admission");
		goto fail;
	}
	rc = brackets ? replace_brackets(r, s, brackets) : 0;
	json_decref(brackets);
	if (rc < 0)
		goto fail;
	if (api_txn_commit(r, &ns))
		api_reply_entity(r, 200, admission_json(ns));
	goto out;
fail:
	api_txn_abort(r);
out:
	json_decref(cur);
	json_decref(in);
	pol_snap_unref(s);
	pol_snap_unref(ns);
}

void
api_h_admission_put(struct api_req *r)
{
	admission_write(r, false);
}

void
api_h_admission_patch(struct api_req *r)
{
	admission_write(r, true);
}

/* ---- /reputation ---- */

json_t *
api_reputation_json(enum pol_rep_kind kind, const char *key, const struct pol_rep_window *w)
{
	json_t *o = json_pack(
		"{s:s,s:s,s:f,s:f,s:o,s:i,s:{s:f,s:i,s:i,s:i},s:{s:f,s:i,s:i,s:i}}", "kind",
		pol_rep_kind_name(kind), "key", key, "value", pol_rep_window_value(w), "prior",
		w->prior, "override", w->has_override ? json_real(w->override_value) : json_null(),
		"periods", (int)w->periods, "previous", "initial", w->prev.initial, "ok",
		(int)w->prev.ok, "nok", (int)w->prev.nok, "neutral", (int)w->prev.neutral,
		"current", "initial", w->cur.initial, "ok", (int)w->cur.ok, "nok", (int)w->cur.nok,
		"neutral", (int)w->cur.neutral);

	return o;
}

/*
 * The prior of a persisted row, as the engine would restore it: the initial_reputation of
 * the resolver group of that name in the policy in force, else neutral (learned entities).
 */
static double
row_prior(struct api_req *r, const struct pol_reputation *rep)
{
	struct pol_snap *s = NULL;
	double prior = POL_REP_NEUTRAL;

	if (rep->kind != POL_REP_RESOLVER_GROUP)
		return prior;
	if (r->api->v.snap != NULL && *r->api->v.snap != NULL)
		s = pol_snap_ref(*r->api->v.snap);
	else if (pol_store_snapshot(r->api->st, &s) < 0)
		return prior;
	for (size_t i = 0; s != NULL && i < s->n_resolver_groups; i++)
		if (strcmp(s->resolver_groups[i].name, rep->key) == 0)
			prior = s->resolver_groups[i].initial_reputation;
	pol_snap_unref(s);
	return prior;
}

static json_t *
reputation_json(struct api_req *r, const struct pol_reputation *rep)
{
	struct pol_rep_window w;
	json_t *o;

	pol_rep_window_from_row(&w, rep, row_prior(r, rep));
	o = api_reputation_json(rep->kind, rep->key, &w);
	if (o)
		json_object_set_new(o, "updated_ms", json_integer((json_int_t)rep->updated_ms));
	return o;
}

/*
 * Kind and key from the path; the key is checked and rewritten in its canonical form so
 * that "10.0.0.0/24", a host "Test.GWA.demo." and the engine's names compare equal:
 *   requestor       an address or a prefix (host bits clear)
 *   host            a DNS name
 *   resolver_group  a group name, or "resolver:ADDRESS" (groups the engine makes itself)
 */
static bool
parse_rep_kind(struct api_req *r, enum pol_rep_kind *kind)
{
	char *key = r->m.params[1], canon[API_PARAM_MAX];
	struct prefix p;
	struct addr a;
	bool ok = false;

	if (pol_rep_kind_parse(r->m.params[0], kind) < 0) {
		api_reply_error(r, 404, NULL, "no reputation kind '%s'", r->m.params[0]);
		return false;
	}
	switch (*kind) {
	case POL_REP_REQUESTOR:
		ok = prefix_parse(key, false, &p) == 0;
		if (ok)
			prefix_ntop(&p, canon, sizeof(canon));
		break;
	case POL_REP_HOST:
		ok = util_strlcpy(canon, key, sizeof(canon)) < sizeof(canon) &&
		     pol_name_canon(canon, false) == 0;
		break;
	case POL_REP_RESOLVER_GROUP:
		if (strncmp(key, "resolver:", 9) == 0 && addr_parse(key + 9, &a) == 0) {
			char t[ADDR_STRLEN];
			snprintf(canon, sizeof(canon), "resolver:%s", addr_ntop(&a, t, sizeof(t)));
			ok = true;
		} else {
			ok = pol_check_ident(key);
			util_strlcpy(canon, key, sizeof(canon));
		}
		break;
	}
	if (!ok) {
		api_reply_error(r, 400, "key", "not a valid %s key: '%s'", r->m.params[0], key);
		return false;
	}
	util_strlcpy(key, canon, API_PARAM_MAX);
	return true;
}

static bool
live_has(json_t *live, const char *kind, const char *key)
{
	size_t i;
	json_t *v;

	json_array_foreach(live, i, v)
	{
		const char *k = json_string_value(json_object_get(v, "kind"));
		const char *e = json_string_value(json_object_get(v, "key"));
		if (k && e && strcmp(k, kind) == 0 && strcmp(e, key) == 0)
			return true;
	}
	return false;
}

/*
 * The live engine's entities ("live": true), then the persisted rows it does not hold
 * ("live": false: state saved earlier, or an override set for an entity not seen yet).
 */
void
api_h_reputation_list(struct api_req *r)
{
	const char *kind_s = api_query(r, "kind");
	struct pol_reputation *rows = NULL;
	enum pol_rep_kind kind = POL_REP_RESOLVER_GROUP;
	json_t *items, *live = NULL, *v;
	size_t n = 0, i;
	int rc;

	if (kind_s && pol_rep_kind_parse(kind_s, &kind) < 0) {
		api_reply_error(r, 400, "kind", "unknown reputation kind '%s'", kind_s);
		return;
	}
	rc = pol_reputation_list(r->api->st, &rows, &n);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "reputation");
		return;
	}
	live = api_views_reputation(&r->api->v);
	items = json_array();
	json_array_foreach(live, i, v)
	{
		const char *k = json_string_value(json_object_get(v, "kind"));
		if (!kind_s || (k && strcmp(k, pol_rep_kind_name(kind)) == 0)) {
			json_object_set_new(v, "live", json_true());
			json_array_append(items, v);
		}
	}
	for (i = 0; items && i < n; i++) {
		json_t *o;
		if ((kind_s && rows[i].kind != kind) ||
		    (live && live_has(live, pol_rep_kind_name(rows[i].kind), rows[i].key)))
			continue;
		o = reputation_json(r, &rows[i]);
		if (o)
			json_object_set_new(o, "live", json_false());
		json_array_append_new(items, o);
	}
	free(rows);
	json_decref(live);
	api_reply_entity(r, 200,
			 json_pack("{s:o*,s:I}", "items", items, "total",
				   (json_int_t)(items ? json_array_size(items) : 0)));
}

/* The persisted row of (kind, key), or -ENOENT. */
static int
find_rep(struct api_req *r, enum pol_rep_kind kind, struct pol_reputation *out)
{
	struct pol_reputation *rows = NULL;
	size_t n = 0;
	int rc = pol_reputation_list(r->api->st, &rows, &n);

	if (rc < 0)
		return rc;
	rc = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].kind == kind && strcmp(rows[i].key, r->m.params[1]) == 0) {
			*out = rows[i];
			rc = 0;
			break;
		}
	}
	free(rows);
	return rc;
}

void
api_h_reputation_get(struct api_req *r)
{
	enum pol_rep_kind kind;
	struct pol_reputation rep;
	int rc;

	if (!parse_rep_kind(r, &kind))
		return;
	if (r->api->v.rep) {
		json_t *live = api_views_reputation(&r->api->v), *v;
		size_t i;
		json_array_foreach(live, i, v)
		{
			const char *k = json_string_value(json_object_get(v, "kind"));
			const char *key = json_string_value(json_object_get(v, "key"));
			if (k && key && strcmp(k, pol_rep_kind_name(kind)) == 0 &&
			    strcmp(key, r->m.params[1]) == 0) {
				json_object_set_new(v, "live", json_true());
				api_reply_entity(r, 200, json_incref(v));
				json_decref(live);
				return;
			}
		}
		json_decref(live);
	}
	rc = find_rep(r, kind, &rep);
	if (rc == -ENOENT)
		api_reply_error(r, 404, NULL, "no reputation for %s '%s'", r->m.params[0],
				r->m.params[1]);
	else if (rc < 0)
		api_reply_store_err(r, rc, NULL, "reputation");
	else {
		json_t *o = reputation_json(r, &rep);
		if (o)
			json_object_set_new(o, "live", json_false());
		api_reply_entity(r, 200, o);
	}
}

/* PUT {"override": 0..1 | null}: set or clear the administrative override. */
void
api_h_reputation_put(struct api_req *r)
{
	static const char *const keys[] = { "override", NULL };
	enum pol_rep_kind kind;
	struct pol_reputation rep;
	struct pol_err e = { 0 };
	json_t *v;
	bool set;
	double value = 0;
	int rc;

	if (!parse_rep_kind(r, &kind))
		return;
	if (pol_bj_object(r->body, "", keys, &e) < 0) {
		api_reply_error(r, 400, e.field, "%s", e.msg);
		return;
	}
	v = json_object_get(r->body, "override");
	set = v && !json_is_null(v);
	if (!v || (set && !json_is_number(v))) {
		api_reply_error(r, 400, "override", "required: a number in 0..1, or null");
		return;
	}
	if (set) {
		value = json_number_value(v);
		if (!(value >= 0.0 && value <= 1.0) || isnan(value)) {
			api_reply_error(r, 400, "override", "must be in 0..1");
			return;
		}
	}
	if (strlen(r->m.params[1]) >= sizeof(rep.key)) {
		api_reply_error(r, 400, "key", "too long");
		return;
	}
	if (!api_txn_begin(r))
		return;
	rc = find_rep(r, kind, &rep);
	if (rc == -ENOENT) {
		memset(&rep, 0, sizeof(rep));
		rep.kind = kind;
		util_strlcpy(rep.key, r->m.params[1], sizeof(rep.key));
		rep.prev_initial = rep.cur_initial = POL_INITIAL_REPUTATION;
		rc = 0;
	}
	if (rc == 0) {
		rep.has_override = set;
		rep.override_value = value;
		rep.updated_ms = util_wall_ms();
		rc = pol_reputation_save(r->api->st, &rep);
	}
	if (rc == 0)
		rc = api_audit(r);
	if (rc == 0 && r->api->v.rep)
		rc = nat_rep_override(r->api->v.rep, kind, rep.key, set, value);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "reputation override");
		api_txn_abort(r);
		return;
	}
	rc = pol_store_commit(r->api->st);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "commit");
		api_txn_abort(r);
		return;
	}
	r->api->stats.writes++;
	api_reply_entity(r, 200, reputation_json(r, &rep));
}

/* DELETE: forget the entity (persisted state and live evidence). */
void
api_h_reputation_del(struct api_req *r)
{
	enum pol_rep_kind kind;
	struct pol_reputation rep;
	bool live_found = false;
	int rc;

	if (!parse_rep_kind(r, &kind) || !api_txn_begin(r))
		return;
	rc = find_rep(r, kind, &rep);
	if (rc == 0)
		rc = pol_reputation_delete(r->api->st, kind, r->m.params[1]);
	if (rc == 0 || rc == -ENOENT) {
		if (r->api->v.rep) {
			int lrc = nat_rep_reset(r->api->v.rep, kind, r->m.params[1]);
			if (lrc == 0)
				live_found = true;
			else if (lrc != -ENOENT)
				rc = lrc;
		}
		if (rc == -ENOENT && live_found)
			rc = 0;
	}
	if (rc == 0)
		rc = api_audit(r);
	if (rc == 0)
		rc = pol_store_commit(r->api->st);
	if (rc < 0) {
		if (rc == -ENOENT)
			api_reply_error(r, 404, NULL, "no reputation for %s '%s'", r->m.params[0],
					r->m.params[1]);
		else
			api_reply_store_err(r, rc, NULL, "reputation reset");
		api_txn_abort(r);
		return;
	}
	r->api->stats.writes++;
	r->status = 204;
}
