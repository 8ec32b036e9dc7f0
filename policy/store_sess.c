/* SPDX-License-Identifier: MIT */
/* policy/store_sess.c -- one-time session names in the store (their own table) */
#include <errno.h>
#include <string.h>

#include "session.h"
#include "store_int.h"

static const char sql_ins[] =
	"INSERT INTO sessions (name, tenant, service, created_ms, deadline_ms, max_uses, "
	"ended_ms) VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, 0))";
static const char sql_end[] = "UPDATE sessions SET ended_ms = ? WHERE name = ?";
static const char sql_all[] = "SELECT name, tenant, service, created_ms, deadline_ms, max_uses, "
			      "coalesce(ended_ms, 0) FROM sessions";
static const char sql_forget[] = "DELETE FROM sessions WHERE name = ?";
static const char sql_purge[] = "DELETE FROM sessions WHERE coalesce(ended_ms, deadline_ms) < ?";

int
pol_session_insert(struct pol_store *st, const struct pol_sess *ss)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_ins);

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, ss->name);
	pol_store_bind_text(s, 2, ss->tenant);
	pol_store_bind_text(s, 3, ss->service);
	sqlite3_bind_int64(s, 4, ss->created_ms);
	sqlite3_bind_int64(s, 5, ss->deadline_ms);
	sqlite3_bind_int64(s, 6, ss->max_uses);
	sqlite3_bind_int64(s, 7, ss->ended_ms);
	return pol_store_step_done(st, s, "sessions", NULL);
}

int
pol_session_end(struct pol_store *st, const char *name, int64_t ended_ms)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_end);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, ended_ms);
	pol_store_bind_text(s, 2, name);
	rc = pol_store_step_done(st, s, "sessions", NULL);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	return rc;
}

int
pol_session_list(struct pol_store *st, int (*cb)(void *arg, const struct pol_sess *s), void *arg)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_all);
	struct pol_sess ss;
	int rc;

	if (s == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&ss, 0, sizeof(ss));
		pol_store_col_text(s, 0, ss.name, sizeof(ss.name));
		pol_store_col_text(s, 1, ss.tenant, sizeof(ss.tenant));
		pol_store_col_text(s, 2, ss.service, sizeof(ss.service));
		ss.created_ms = sqlite3_column_int64(s, 3);
		ss.deadline_ms = sqlite3_column_int64(s, 4);
		ss.max_uses = (uint32_t)sqlite3_column_int64(s, 5);
		ss.ended_ms = sqlite3_column_int64(s, 6);
		if (cb(arg, &ss) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : pol_store_err(st, rc, "sessions", NULL);
	sqlite3_reset(s);
	return rc;
}

int
pol_session_forget(struct pol_store *st, const char *name)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_forget);

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, name);
	return pol_store_step_done(st, s, "sessions", NULL);
}

int
pol_session_purge(struct pol_store *st, int64_t before_ms)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_purge);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, before_ms);
	return pol_store_step_done(st, s, "sessions", NULL);
}
