/* SPDX-License-Identifier: MIT */
/* policy/store_aux.c -- reputation state and audit log in the store */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/array.h"
#include "../common/log.h"
#include "../common/util.h"
#include "check.h"
#include "store_int.h"

static const char sql_rep_save[] =
	"INSERT INTO reputation (kind, key, periods, prev_initial, prev_ok, prev_nok, "
	"prev_neutral, cur_initial, cur_ok, cur_nok, cur_neutral, override, updated_ms) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	"ON CONFLICT (kind, key) DO UPDATE SET periods = excluded.periods, "
	"prev_initial = excluded.prev_initial, prev_ok = excluded.prev_ok, "
	"prev_nok = excluded.prev_nok, prev_neutral = excluded.prev_neutral, "
	"cur_initial = excluded.cur_initial, cur_ok = excluded.cur_ok, "
	"cur_nok = excluded.cur_nok, cur_neutral = excluded.cur_neutral, "
	"override = excluded.override, updated_ms = excluded.updated_ms";
static const char sql_rep_list[] =
	"SELECT id, kind, key, periods, prev_initial, prev_ok, prev_nok, prev_neutral, "
	"cur_initial, cur_ok, cur_nok, cur_neutral, override, updated_ms "
	"FROM reputation ORDER BY id";
static const char sql_rep_del[] = "DELETE FROM reputation WHERE kind = ? AND key = ?";
static const char sql_rep_del_kind[] = "DELETE FROM reputation WHERE kind = ?";
static const char sql_audit_add[] =
	"INSERT INTO audit (ts_ms, actor, action, resource, detail, etag_before, etag_after, "
	"tenant) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_audit_prune[] = "DELETE FROM audit WHERE ts_ms < ?";
static const char sql_audit_list[] = "SELECT id, ts_ms, actor, action, resource, detail, "
				     "etag_before, etag_after, tenant FROM audit "
				     "WHERE id < ?1 AND (?3 IS NULL OR tenant = ?3) "
				     "ORDER BY id DESC LIMIT ?2";

static bool
unit_ok(double x)
{
	return x >= 0.0 && x <= 1.0;
}

int
pol_reputation_save(struct pol_store *st, const struct pol_reputation *r)
{
	sqlite3_stmt *s;
	const char *kind = pol_rep_kind_name(r->kind);

	if (kind == NULL || r->key[0] == '\0' || !unit_ok(r->prev_initial) ||
	    !unit_ok(r->cur_initial) || (r->has_override && !unit_ok(r->override_value)))
		return -EINVAL;
	s = pol_store_stmt(st, sql_rep_save);
	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, kind);
	pol_store_bind_text(s, 2, r->key);
	sqlite3_bind_int64(s, 3, r->periods);
	sqlite3_bind_double(s, 4, r->prev_initial);
	sqlite3_bind_int64(s, 5, r->prev_ok);
	sqlite3_bind_int64(s, 6, r->prev_nok);
	sqlite3_bind_int64(s, 7, r->prev_neutral);
	sqlite3_bind_double(s, 8, r->cur_initial);
	sqlite3_bind_int64(s, 9, r->cur_ok);
	sqlite3_bind_int64(s, 10, r->cur_nok);
	sqlite3_bind_int64(s, 11, r->cur_neutral);
	if (r->has_override)
		sqlite3_bind_double(s, 12, r->override_value);
	else
		sqlite3_bind_null(s, 12);
	sqlite3_bind_int64(s, 13, (int64_t)r->updated_ms);
	return pol_store_step_done(st, s, "reputation", NULL);
}

int
pol_reputation_list(struct pol_store *st, struct pol_reputation **out, size_t *n)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_rep_list);
	struct pol_reputation *arr = NULL;
	size_t cap = 0, cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 1);
		struct pol_reputation *r = ARRAY_PUSH(arr, cnt, cap);

		if (r == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		r->id = sqlite3_column_int64(s, 0);
		if (kind == NULL || pol_rep_kind_parse(kind, &r->kind) != 0) {
			rc = -EIO;
			goto fail;
		}
		pol_store_col_text(s, 2, r->key, sizeof(r->key));
		r->periods = (uint32_t)sqlite3_column_int64(s, 3);
		r->prev_initial = sqlite3_column_double(s, 4);
		r->prev_ok = (uint32_t)sqlite3_column_int64(s, 5);
		r->prev_nok = (uint32_t)sqlite3_column_int64(s, 6);
		r->prev_neutral = (uint32_t)sqlite3_column_int64(s, 7);
		r->cur_initial = sqlite3_column_double(s, 8);
		r->cur_ok = (uint32_t)sqlite3_column_int64(s, 9);
		r->cur_nok = (uint32_t)sqlite3_column_int64(s, 10);
		r->cur_neutral = (uint32_t)sqlite3_column_int64(s, 11);
		r->has_override = sqlite3_column_type(s, 12) != SQLITE_NULL;
		r->override_value = sqlite3_column_double(s, 12);
		r->updated_ms = (uint64_t)sqlite3_column_int64(s, 13);
	}
	if (rc != SQLITE_DONE) {
		rc = pol_store_err(st, sqlite3_extended_errcode(st->db), "reputation", NULL);
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

int
pol_reputation_delete(struct pol_store *st, enum pol_rep_kind kind, const char *key)
{
	const char *k = pol_rep_kind_name(kind);
	sqlite3_stmt *s;
	int rc;

	if (k == NULL)
		return -EINVAL;
	s = pol_store_stmt(st, key != NULL ? sql_rep_del : sql_rep_del_kind);
	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, k);
	if (key != NULL)
		pol_store_bind_text(s, 2, key);
	rc = pol_store_step_done(st, s, "reputation", NULL);
	if (rc == 0 && key != NULL && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	return rc;
}

static void
bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
	if (t != NULL && t[0] != '\0')
		pol_store_bind_text(s, i, t);
	else
		sqlite3_bind_null(s, i);
}

int
pol_audit_append(struct pol_store *st, const struct pol_change *c, const char *etag_before,
		 const char *etag_after)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_audit_add);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (int64_t)util_wall_ms());
	pol_store_bind_text(s, 2, c->actor != NULL ? c->actor : "");
	pol_store_bind_text(s, 3, c->action != NULL ? c->action : "");
	pol_store_bind_text(s, 4, c->resource != NULL ? c->resource : "");
	if (c->detail != NULL)
		pol_store_bind_text(s, 5, c->detail);
	else
		sqlite3_bind_null(s, 5);
	bind_text_or_null(s, 6, etag_before);
	bind_text_or_null(s, 7, etag_after);
	bind_text_or_null(s, 8, c->tenant);
	return pol_store_step_done(st, s, "audit", NULL);
}

int
pol_audit_prune(struct pol_store *st, uint64_t before_ms, uint64_t *removed)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_audit_prune);
	int rc;

	if (removed != NULL)
		*removed = 0;
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, before_ms > INT64_MAX ? INT64_MAX : (int64_t)before_ms);
	rc = pol_store_step_done(st, s, "audit", NULL);
	if (rc == 0 && removed != NULL)
		*removed = (uint64_t)sqlite3_changes(st->db);
	return rc;
}

int
pol_audit_list(struct pol_store *st, const char *tenant, int64_t before_id, size_t limit,
	       struct pol_audit **out, size_t *n)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_audit_list);
	struct pol_audit *arr;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -EIO;
	if (limit == 0)
		return 0;
	if (limit > 100000)
		limit = 100000;
	arr = calloc(limit, sizeof(*arr));
	if (arr == NULL)
		return -ENOMEM;
	sqlite3_bind_int64(s, 1, before_id > 0 ? before_id : INT64_MAX);
	sqlite3_bind_int64(s, 2, (int64_t)limit);
	bind_text_or_null(s, 3, tenant);
	while (cnt < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct pol_audit *a = &arr[cnt];
		const char *d = (const char *)sqlite3_column_text(s, 5);

		a->id = sqlite3_column_int64(s, 0);
		a->ts_ms = (uint64_t)sqlite3_column_int64(s, 1);
		pol_store_col_text(s, 2, a->actor, sizeof(a->actor));
		pol_store_col_text(s, 3, a->action, sizeof(a->action));
		pol_store_col_text(s, 4, a->resource, sizeof(a->resource));
		pol_store_col_text(s, 6, a->etag_before, sizeof(a->etag_before));
		pol_store_col_text(s, 7, a->etag_after, sizeof(a->etag_after));
		pol_store_col_text(s, 8, a->tenant, sizeof(a->tenant));
		if (d != NULL) {
			a->detail = strdup(d);
			if (a->detail == NULL) {
				cnt++;
				rc = -ENOMEM;
				goto fail;
			}
		}
		cnt++;
	}
	if (cnt < limit && rc != SQLITE_DONE) {
		rc = pol_store_err(st, sqlite3_extended_errcode(st->db), "audit", NULL);
		goto fail;
	}
	sqlite3_reset(s);
	*out = arr;
	*n = cnt;
	return 0;
fail:
	sqlite3_reset(s);
	pol_audit_free(arr, cnt);
	return rc;
}

void
pol_audit_free(struct pol_audit *rows, size_t n)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(rows[i].detail);
	free(rows);
}
