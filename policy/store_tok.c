/* SPDX-License-Identifier: MIT */
/* policy/store_tok.c -- API tokens in the store: salted hashes, roles, expiry, last use */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/array.h"
#include "../common/util.h"
#include "check.h"
#include "store_int.h"

#define TOKEN_PREFIX	   "rgw_"
#define TOKEN_SECRET_BYTES 32
#define TOKEN_SALT_BYTES   16
/* last_used_ms is written at most this often per token: a read-mostly API must not turn
 * every request into a database write. */
#define TOKEN_USE_GRANULARITY_MS 60000

static const char sql_tok_add[] = "INSERT INTO api_tokens (name, role, salt, hash, created_ms, "
				  "expires_ms, pair) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char sql_tok_all[] =
	"SELECT name, role, salt, hash, expires_ms, last_used_ms, id FROM api_tokens";
static const char sql_tok_used[] = "UPDATE api_tokens SET last_used_ms = ? WHERE id = ?";
static const char sql_tok_del[] = "DELETE FROM api_tokens WHERE name = ?";
static const char sql_tok_count[] = "SELECT count(*) FROM api_tokens";
static const char sql_tok_list[] = "SELECT name, role, created_ms, expires_ms, last_used_ms "
				   "FROM api_tokens ORDER BY name";
static const char sql_tok_rows[] = "SELECT name, role, salt, hash, created_ms, expires_ms "
				   "FROM api_tokens WHERE pair = 1 ORDER BY name";
static const char sql_tok_one[] = "SELECT name, role, salt, hash, created_ms, expires_ms, pair "
				  "FROM api_tokens WHERE name = ?";
static const char sql_tok_upd[] = "UPDATE api_tokens SET role = ?2, salt = ?3, hash = ?4, "
				  "created_ms = ?5, expires_ms = ?6, last_used_ms = NULL "
				  "WHERE name = ?1 AND pair = 1";
static const char sql_tok_pair_del[] = "DELETE FROM api_tokens WHERE name = ? AND pair = 1";

static void token_hash(const uint8_t salt[TOKEN_SALT_BYTES], const char *secret, uint8_t out[32]);
static int read_info(sqlite3_stmt *s, struct pol_token_info *t);

static void
token_hash(const uint8_t salt[TOKEN_SALT_BYTES], const char *secret, uint8_t out[32])
{
	uint8_t buf[TOKEN_SALT_BYTES + POL_TOKEN_MAX];
	size_t len = strnlen(secret, POL_TOKEN_MAX);

	memcpy(buf, salt, TOKEN_SALT_BYTES);
	memcpy(buf + TOKEN_SALT_BYTES, secret, len);
	util_sha256(buf, TOKEN_SALT_BYTES + len, out);
	explicit_bzero(buf, sizeof(buf));
}

int
pol_token_create(struct pol_store *st, const char *name, enum pol_role role, uint64_t expires_ms,
		 bool pair, char *secret_out, struct pol_err *e)
{
	uint8_t raw[TOKEN_SECRET_BYTES], salt[TOKEN_SALT_BYTES], hash[32];
	char secret[POL_TOKEN_MAX];
	const char *r = pol_role_name(role);
	sqlite3_stmt *s;
	int rc;

	if (!pol_check_ident(name)) {
		pol_err_set(e, "name", "must be 1..63 characters of [A-Za-z0-9_.-]");
		return -EINVAL;
	}
	if (r == NULL) {
		pol_err_set(e, "role", "must be ro or rw");
		return -EINVAL;
	}
	if (expires_ms > (uint64_t)INT64_MAX) {
		pol_err_set(e, "expires", "out of range");
		return -EINVAL;
	}
	if (util_random(raw, sizeof(raw)) != 0 || util_random(salt, sizeof(salt)) != 0) {
		pol_err_set(e, "secret", "no random bytes available");
		return -EIO;
	}
	memcpy(secret, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	util_hex(raw, sizeof(raw), secret + sizeof(TOKEN_PREFIX) - 1);
	token_hash(salt, secret, hash);
	s = pol_store_stmt(st, sql_tok_add);
	if (s == NULL) {
		rc = -EIO;
		goto out;
	}
	pol_store_bind_text(s, 1, name);
	pol_store_bind_text(s, 2, r);
	sqlite3_bind_blob(s, 3, salt, sizeof(salt), SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (int64_t)util_wall_ms());
	if (expires_ms != 0)
		sqlite3_bind_int64(s, 6, (int64_t)expires_ms);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_int(s, 7, pair ? 1 : 0);
	rc = pol_store_step_done(st, s, "api_tokens", e);
	if (rc == 0)
		util_strlcpy(secret_out, secret, POL_TOKEN_MAX);
out:
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

int
pol_token_check(struct pol_store *st, const char *secret, enum pol_role *role, char *name_out,
		size_t name_len)
{
	size_t want = sizeof(TOKEN_PREFIX) - 1 + 2 * TOKEN_SECRET_BYTES;
	uint64_t now = util_wall_ms(), last_used = 0;
	int64_t id = 0;
	sqlite3_stmt *s;
	bool found = false, expired = false;
	int rc;

	if (secret == NULL || strnlen(secret, POL_TOKEN_MAX) != want ||
	    strncmp(secret, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1) != 0)
		return -EACCES;
	s = pol_store_stmt(st, sql_tok_all);
	if (s == NULL)
		return -EIO;
	/* every row is hashed and compared, whether or not one matched already */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint8_t hash[32];
		const void *salt = sqlite3_column_blob(s, 2);
		const void *stored = sqlite3_column_blob(s, 3);

		if (sqlite3_column_bytes(s, 2) != TOKEN_SALT_BYTES ||
		    sqlite3_column_bytes(s, 3) != 32 || salt == NULL || stored == NULL)
			continue;
		token_hash(salt, secret, hash);
		if (util_ct_equal(hash, stored, sizeof(hash)) && !found) {
			const char *r = (const char *)sqlite3_column_text(s, 1);

			if (r != NULL && pol_role_parse(r, role) == 0) {
				found = true;
				expired = sqlite3_column_type(s, 4) != SQLITE_NULL &&
					  (uint64_t)sqlite3_column_int64(s, 4) <= now;
				last_used = (uint64_t)sqlite3_column_int64(s, 5);
				id = sqlite3_column_int64(s, 6);
				if (name_out != NULL)
					pol_store_col_text(s, 0, name_out, name_len);
			}
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (!found)
		return -EACCES;
	if (expired)
		return -EKEYEXPIRED;
	/* Outside a caller's transaction only: the use is noted on its own, never inside a
	 * write that may roll back. A failure to note it does not refuse the request. */
	if (!st->in_tx && (now < last_used || now - last_used >= TOKEN_USE_GRANULARITY_MS)) {
		s = pol_store_stmt(st, sql_tok_used);
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, (int64_t)now);
			sqlite3_bind_int64(s, 2, id);
			(void)pol_store_step_done(st, s, "api_tokens", NULL);
		}
	}
	return 0;
}

int
pol_token_named(struct pol_store *st, const char *name, enum pol_role *role)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_tok_one);
	int rc;

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 1);
		bool expired = sqlite3_column_type(s, 5) != SQLITE_NULL &&
			       (uint64_t)sqlite3_column_int64(s, 5) <= util_wall_ms();

		rc = r == NULL || pol_role_parse(r, role) != 0 ? -EIO : expired ? -EKEYEXPIRED : 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_reset(s);
	return rc;
}

int
pol_token_delete(struct pol_store *st, const char *name)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_tok_del);
	int rc;

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, name);
	rc = pol_store_step_done(st, s, "api_tokens", NULL);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	return rc;
}

int
pol_token_count(struct pol_store *st)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_tok_count);
	int n = -EIO;

	if (s == NULL)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

static int
read_info(sqlite3_stmt *s, struct pol_token_info *t)
{
	const char *r = (const char *)sqlite3_column_text(s, 1);

	memset(t, 0, sizeof(*t));
	pol_store_col_text(s, 0, t->name, sizeof(t->name));
	if (r == NULL || pol_role_parse(r, &t->role) < 0)
		return -EIO;
	t->created_ms = (uint64_t)sqlite3_column_int64(s, 2);
	t->expires_ms = (uint64_t)sqlite3_column_int64(s, 3); /* NULL reads as 0: never */
	t->last_used_ms = (uint64_t)sqlite3_column_int64(s, 4);
	return 0;
}

/* Every row of the statement sql, each read by read into an element of size bytes of a new
 * array (*out, caller frees; wiped before a failure frees it). 0 or -ENOMEM / -EIO. */
static int
collect(struct pol_store *st, const char *sql, size_t size, int (*read)(sqlite3_stmt *, void *),
	void **out, size_t *n)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql);
	char *arr = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (array_reserve(&arr, &cap, cnt + 1, size) < 0) {
			rc = -ENOMEM;
			goto fail;
		}
		if (read(s, arr + cnt * size) < 0) {
			rc = -EIO;
			goto fail;
		}
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_reset(s);
	*out = arr;
	*n = cnt;
	return 0;
fail:
	sqlite3_reset(s);
	if (arr != NULL)
		explicit_bzero(arr, cap * size);
	free(arr);
	return rc;
}

static int
read_info_v(sqlite3_stmt *s, void *t)
{
	return read_info(s, t);
}

int
pol_token_list(struct pol_store *st, struct pol_token_info **out, size_t *n)
{
	void *arr;
	int rc = collect(st, sql_tok_list, sizeof(**out), read_info_v, &arr, n);

	*out = arr;
	return rc;
}

/* ---- an HA pair's tokens, as stored ---- */

/* Columns name, role, salt, hash, created_ms, expires_ms from col 0 of s into t. */
static int
read_row(sqlite3_stmt *s, int col, struct pol_token_row *t)
{
	const char *r = (const char *)sqlite3_column_text(s, col + 1);
	const void *salt = sqlite3_column_blob(s, col + 2);
	const void *hash = sqlite3_column_blob(s, col + 3);

	memset(t, 0, sizeof(*t));
	pol_store_col_text(s, col, t->name, sizeof(t->name));
	if (r == NULL || pol_role_parse(r, &t->role) < 0 || salt == NULL || hash == NULL ||
	    sqlite3_column_bytes(s, col + 2) != sizeof(t->salt) ||
	    sqlite3_column_bytes(s, col + 3) != sizeof(t->hash))
		return -EIO;
	memcpy(t->salt, salt, sizeof(t->salt));
	memcpy(t->hash, hash, sizeof(t->hash));
	t->created_ms = (uint64_t)sqlite3_column_int64(s, col + 4);
	t->expires_ms = (uint64_t)sqlite3_column_int64(s, col + 5);
	return 0;
}

static int
read_row_v(sqlite3_stmt *s, void *t)
{
	return read_row(s, 0, t);
}

int
pol_token_rows(struct pol_store *st, struct pol_token_row **out, size_t *n)
{
	void *arr;
	int rc = collect(st, sql_tok_rows, sizeof(**out), read_row_v, &arr, n);

	*out = arr;
	return rc;
}

/* Bind a row's columns ?1..?6 (name, role, salt, hash, created_ms, expires_ms). */
static void
bind_row(sqlite3_stmt *s, const struct pol_token_row *t)
{
	pol_store_bind_text(s, 1, t->name);
	pol_store_bind_text(s, 2, pol_role_name(t->role));
	sqlite3_bind_blob(s, 3, t->salt, sizeof(t->salt), SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 4, t->hash, sizeof(t->hash), SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, (int64_t)t->created_ms);
	if (t->expires_ms != 0)
		sqlite3_bind_int64(s, 6, (int64_t)t->expires_ms);
	else
		sqlite3_bind_null(s, 6);
}

/* One incoming row: 1 when it changed the table, 0 when not (the same, or the name of a node
 * token: *conflicts counted), or -errno. */
static int
take_one(struct pol_store *st, const struct pol_token_row *t, size_t *conflicts)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_tok_one);
	struct pol_token_row old;
	bool found = false, same = false;
	int rc, pair = 0;

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, t->name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = true;
		pair = sqlite3_column_int(s, 6);
		same = read_row(s, 0, &old) == 0 && old.role == t->role &&
		       old.created_ms == t->created_ms && old.expires_ms == t->expires_ms &&
		       memcmp(old.salt, t->salt, sizeof(old.salt)) == 0 &&
		       memcmp(old.hash, t->hash, sizeof(old.hash)) == 0;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	explicit_bzero(&old, sizeof(old));
	if (rc != SQLITE_DONE)
		return -EIO;
	if (found && pair == 0) {
		(*conflicts)++;
		return 0;
	}
	if (found && same)
		return 0;
	s = pol_store_stmt(st, found ? sql_tok_upd : sql_tok_add);
	if (s == NULL)
		return -EIO;
	bind_row(s, t);
	if (!found)
		sqlite3_bind_int(s, 7, 1);
	rc = pol_store_step_done(st, s, "api_tokens", NULL);
	return rc < 0 ? rc : 1;
}

int
pol_token_take(struct pol_store *st, const struct pol_token_row *rows, size_t n, size_t *conflicts)
{
	struct pol_token_row *have = NULL;
	size_t n_have = 0;
	int rc, changed = 0;

	*conflicts = 0;
	for (size_t i = 0; i < n; i++) {
		if (!pol_check_ident(rows[i].name) || pol_role_name(rows[i].role) == NULL ||
		    rows[i].created_ms > (uint64_t)INT64_MAX ||
		    rows[i].expires_ms > (uint64_t)INT64_MAX)
			return -EINVAL;
	}
	rc = pol_token_rows(st, &have, &n_have);
	if (rc < 0)
		return rc;
	/* the pair tokens the rows no longer hold: revoked on the active */
	for (size_t i = 0; i < n_have && rc == 0; i++) {
		sqlite3_stmt *s;
		size_t j;

		for (j = 0; j < n && strcmp(rows[j].name, have[i].name) != 0; j++)
			;
		if (j < n)
			continue;
		s = pol_store_stmt(st, sql_tok_pair_del);
		if (s == NULL) {
			rc = -EIO;
			break;
		}
		pol_store_bind_text(s, 1, have[i].name);
		rc = pol_store_step_done(st, s, "api_tokens", NULL);
		changed++;
	}
	if (have != NULL)
		explicit_bzero(have, n_have * sizeof(*have));
	free(have);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		rc = take_one(st, &rows[i], conflicts);
		if (rc > 0)
			changed++;
	}
	return rc < 0 ? rc : changed;
}
