/* SPDX-License-Identifier: MIT */
/* api/entity.c -- generic list/get/create/replace/patch/delete over one policy table */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../policy/tenancy.h"
#include "internal.h"

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX	   10000

static bool all_digits(const char *s);
static bool find_parent(struct api_req *r, const struct pol_snap *s, int64_t *pid);
static const void *find_target(struct api_req *r, const struct pol_snap *s, int64_t *pid);
static json_t *input_copy(struct api_req *r);
static void reply_written(struct api_req *r, const struct api_entity *ent, int64_t id, int status,
			  const struct pol_snap *s);
static bool parse_count(struct api_req *r, const char *key, long def, long max, long *out);
static bool tenant_may_write(struct api_req *r, const struct pol_snap *s, const void *row);

/* A tenant's token writes only rows it may hold: refused before the store sees the row, so
 * that a collision with another's row (409) does not tell it that row exists. The commit
 * checks the whole change again. */
static bool
tenant_may_write(struct api_req *r, const struct pol_snap *s, const void *row)
{
	struct pol_err e = { 0 };

	if (r->ten == NULL || pol_tenancy_row(r->ten, s, r->m.route->ent->t->name, row, &e) == 0)
		return true;
	api_reply_error(r, 403, e.field, "%s", e.msg);
	return false;
}

static bool
all_digits(const char *s)
{
	if (!*s || strlen(s) > 18)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

const void *
api_entity_find(const struct api_entity *ent, const struct pol_snap *s, const char *key,
		int64_t parent_id)
{
	size_t n = pol_table_count(ent->t, s);
	char canon[POL_NAME_MAX], buf[POL_NAME_MAX];

	if (all_digits(key)) {
		int64_t id = strtoll(key, NULL, 10);
		for (size_t i = 0; i < n; i++) {
			const void *row = pol_table_row(ent->t, s, i);
			if (pol_row_id(row) == id &&
			    (!parent_id || api_parent(ent, row) == parent_id))
				return row;
		}
	}
	if (!ent->name_is_key || pol_key_canon(ent->t, key, canon, sizeof(canon)) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const void *row = pol_table_row(ent->t, s, i);
		if (parent_id && api_parent(ent, row) != parent_id)
			continue;
		const char *name = pol_row_key(ent->t, row, buf, sizeof(buf));
		if (name && strcmp(name, canon) == 0)
			return row;
	}
	return NULL;
}

json_t *
api_entity_json(const struct api_entity *ent, const struct pol_snap *s, const void *row)
{
	json_t *o = ent->t->to_json(s, row);

	if (o && json_object_set_new(o, "id", json_integer(pol_row_id(row))) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The first path parameter names the parent row (host, group, zone, resolver group). */
static bool
find_parent(struct api_req *r, const struct pol_snap *s, int64_t *pid)
{
	const struct api_entity *pe = r->m.route->parent;
	const void *row;

	*pid = 0;
	if (!pe)
		return true;
	row = api_entity_find(pe, s, r->m.params[0], 0);
	if (!row || !api_visible(r, pe, s, row)) {
		api_reply_error(r, 404, NULL, "no %s '%s'", pe->kind, r->m.params[0]);
		return false;
	}
	*pid = pol_row_id(row);
	return true;
}

static const void *
find_target(struct api_req *r, const struct pol_snap *s, int64_t *pid)
{
	const struct api_entity *ent = r->m.route->ent;
	const char *key;
	const void *row;

	if (!find_parent(r, s, pid))
		return NULL;
	key = r->m.params[r->m.n_params - 1];
	row = api_entity_find(ent, s, key, *pid);
	if (row && !api_visible(r, ent, s, row))
		row = NULL; /* another's row does not exist for a tenant's token */
	if (!row)
		api_reply_error(r, 404, NULL, "no %s '%s'", ent->kind, key);
	return row;
}

/* The body without "id", which only the server writes. */
static json_t *
input_copy(struct api_req *r)
{
	json_t *o = json_deep_copy(r->body);

	if (!o) {
		api_reply_error(r, 503, NULL, "out of memory");
		return NULL;
	}
	/* Embedded collections stay: the codecs accept (and skip) them, and some read them
	 * (a zone's first nameserver is its default MNAME). */
	json_object_del(o, "id");
	return o;
}

static void
reply_written(struct api_req *r, const struct api_entity *ent, int64_t id, int status,
	      const struct pol_snap *s)
{
	char key[32];
	const void *row;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	row = api_entity_find(ent, s, key, 0);
	if (!row) {
		api_reply_error(r, 500, NULL, "%s %lld vanished after the write", ent->kind,
				(long long)id);
		return;
	}
	api_reply_entity(r, status, api_entity_json(ent, s, row));
	if (status == 201) {
		char buf[POL_NAME_MAX];
		const char *name = pol_row_key(ent->t, row, buf, sizeof(buf));
		size_t plen = strlen(r->path);
		while (plen > 1 && r->path[plen - 1] == '/')
			plen--;
		/* Names with '/' (prefixes) would not be one path segment: use the id. */
		snprintf(r->location, sizeof(r->location), "%.*s/%s", (int)plen, r->path,
			 ent->name_is_key && name && !strchr(name, '/') ? name : key);
	}
}

static bool
parse_count(struct api_req *r, const char *key, long def, long max, long *out)
{
	const char *v = api_query(r, key);

	*out = def;
	if (!v)
		return true;
	if (util_parse_long(v, 0, max, out) < 0) {
		api_reply_error(r, 400, key, "must be an integer in 0..%ld", max);
		return false;
	}
	return true;
}

void
api_h_list(struct api_req *r)
{
	const struct api_entity *ent = r->m.route->ent;
	struct pol_snap *s = api_snapshot_read(r);
	const char *name = api_query(r, "name");
	char canon[POL_NAME_MAX], buf[POL_NAME_MAX];
	long limit, offset;
	size_t total = 0;
	int64_t pid;
	json_t *items;

	if (!s)
		return;
	if (!parse_count(r, "limit", LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, &limit) ||
	    !parse_count(r, "offset", 0, 1L << 30, &offset) || !find_parent(r, s, &pid))
		goto out;
	if (name && pol_key_canon(ent->t, name, canon, sizeof(canon)) < 0) {
		api_reply_error(r, 400, "name", "not a valid %s name", ent->kind);
		goto out;
	}
	items = json_array();
	for (size_t i = 0, n = pol_table_count(ent->t, s); items && i < n; i++) {
		const void *row = pol_table_row(ent->t, s, i);
		if ((pid && api_parent(ent, row) != pid) || !api_visible(r, ent, s, row))
			continue;
		if (name) {
			const char *rn = pol_row_key(ent->t, row, buf, sizeof(buf));
			if (!rn || strcmp(rn, canon) != 0)
				continue;
		}
		if (total >= (size_t)offset && total < (size_t)offset + (size_t)limit)
			json_array_append_new(items, api_entity_json(ent, s, row));
		total++;
	}
	api_reply_entity(r, 200,
			 json_pack("{s:o*,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total,
				   "offset", (json_int_t)offset, "limit", (json_int_t)limit));
out:
	pol_snap_unref(s);
}

void
api_h_get(struct api_req *r)
{
	const struct api_entity *ent = r->m.route->ent;
	struct pol_snap *s = api_snapshot_read(r);
	const void *row;
	int64_t pid;

	if (!s)
		return;
	row = find_target(r, s, &pid);
	if (row)
		api_reply_entity(r, 200, api_entity_json(ent, s, row));
	pol_snap_unref(s);
}

void
api_h_create(struct api_req *r)
{
	const struct api_entity *ent = r->m.route->ent;
	struct pol_snap *s = NULL, *ns = NULL;
	struct pol_err e = { 0 };
	json_t *in = NULL;
	void *row = NULL;
	int64_t pid;
	int rc;

	if (!api_txn_begin(r))
		return;
	if (!(s = api_snapshot(r)) || !find_parent(r, s, &pid) || !(in = input_copy(r)))
		goto fail;
	row = calloc(1, ent->t->size);
	if (!row) {
		api_reply_error(r, 503, NULL, "out of memory");
		goto fail;
	}
	rc = ent->t->from_json(in, false, row, "", &e);
	if (rc < 0) {
		api_reply_store_err(r, rc, &e, "invalid input");
		goto fail;
	}
	if (ent->parent_off != 0)
		api_set_parent(ent, row, pid);
	if (!tenant_may_write(r, s, row))
		goto fail;
	r->w_ent = ent;
	rc = pol_row_insert(r->api->st, ent->t, row, &e);
	if (rc < 0) {
		api_fix_err(r, s, &e);
		api_reply_store_err(r, rc, &e, ent->kind);
		goto fail;
	}
	r->w_id = pol_row_id(row);
	if (ent->after_write && ent->after_write(r, s, r->body, row) < 0)
		goto fail;
	if (!api_txn_commit(r, &ns))
		goto out;
	reply_written(r, ent, pol_row_id(row), 201, ns);
	goto out;
fail:
	api_txn_abort(r);
out:
	json_decref(in);
	free(row);
	pol_snap_unref(s);
	pol_snap_unref(ns);
}

/* PUT (partial = false) and PATCH (partial = true). */
static void
write_existing(struct api_req *r, bool partial)
{
	const struct api_entity *ent = r->m.route->ent;
	struct pol_snap *s = NULL, *ns = NULL;
	struct pol_err e = { 0 };
	const void *cur;
	json_t *in = NULL, *rep = NULL;
	void *row = NULL;
	int64_t pid;
	int rc;

	if (!api_txn_begin(r))
		return;
	if (!(s = api_snapshot(r)) || !(cur = find_target(r, s, &pid)))
		goto fail;
	rep = api_entity_json(ent, s, cur);
	if (!api_if_match(r, rep) || !(in = input_copy(r)))
		goto fail;
	row = calloc(1, ent->t->size);
	if (!row) {
		api_reply_error(r, 503, NULL, "out of memory");
		goto fail;
	}
	if (partial)
		memcpy(row, cur, ent->t->size);
	rc = ent->t->from_json(in, partial, row, "", &e);
	if (rc < 0) {
		api_reply_store_err(r, rc, &e, "invalid input");
		goto fail;
	}
	memcpy(row, cur, sizeof(int64_t)); /* every row starts with its id */
	if (ent->parent_off != 0)
		api_set_parent(ent, row, api_parent(ent, cur));
	if (!tenant_may_write(r, s, row))
		goto fail;
	r->w_ent = ent;
	r->w_id = pol_row_id(row);
	rc = pol_row_update(r->api->st, ent->t, row, &e);
	if (rc < 0) {
		api_fix_err(r, s, &e);
		api_reply_store_err(r, rc, &e, ent->kind);
		goto fail;
	}
	if (ent->after_write && ent->after_write(r, s, r->body, row) < 0)
		goto fail;
	if (!api_txn_commit(r, &ns))
		goto out;
	reply_written(r, ent, pol_row_id(row), 200, ns);
	goto out;
fail:
	api_txn_abort(r);
out:
	json_decref(rep);
	json_decref(in);
	free(row);
	pol_snap_unref(s);
	pol_snap_unref(ns);
}

void
api_h_replace(struct api_req *r)
{
	write_existing(r, false);
}

void
api_h_patch(struct api_req *r)
{
	write_existing(r, true);
}

void
api_h_delete(struct api_req *r)
{
	const struct api_entity *ent = r->m.route->ent;
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };
	const void *cur;
	json_t *rep = NULL;
	int64_t pid;
	int rc;

	if (!api_txn_begin(r))
		return;
	if (!(s = api_snapshot(r)) || !(cur = find_target(r, s, &pid)))
		goto fail;
	rep = api_entity_json(ent, s, cur);
	if (!api_if_match(r, rep))
		goto fail;
	rc = pol_row_delete(r->api->st, ent->t, pol_row_id(cur), &e);
	if (rc < 0) {
		/* A row still referenced by others is a conflict, not bad input. */
		if (rc == -EINVAL && api_err_status(&e, false) == 409)
			api_reply_error(r, 409, e.field, "%s '%s' is still referenced: %s",
					ent->kind, r->m.params[r->m.n_params - 1], e.msg);
		else
			api_reply_store_err(r, rc, &e, ent->kind);
		goto fail;
	}
	if (api_txn_commit(r, NULL)) {
		r->status = 204;
		json_decref(r->reply);
		r->reply = NULL;
	}
	goto out;
fail:
	api_txn_abort(r);
out:
	json_decref(rep);
	pol_snap_unref(s);
}
