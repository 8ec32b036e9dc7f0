/* SPDX-License-Identifier: MIT */
/* policy/store_int.h -- internals shared by the store's files (not for other modules) */
#ifndef RGW_POLICY_STORE_INT_H
#define RGW_POLICY_STORE_INT_H

#include <sqlite3.h>

#include "store.h"
#include "table.h"

#define STORE_STMT_MAX 128

struct store_stmt {
	const char *sql; /* key: the address of a static or store-owned string */
	sqlite3_stmt *stmt;
};

struct pol_store {
	sqlite3 *db;
	bool in_tx;
	int wal_pages; /* the log's pages after our last COMMIT (automatic checkpoints off) */
	size_t n_stmts;
	struct store_stmt stmts[STORE_STMT_MAX];
};

/* A cached prepared statement for sql (compared by address), reset and unbound. NULL on
 * error (logged). */
sqlite3_stmt *pol_store_stmt(struct pol_store *st, const char *sql);
/*
 * Map the connection's last error to -EEXIST / -EINVAL / -EBUSY / -EIO and fill e:
 * the field is taken from SQLite's message ("hosts.fqdn") or, for CHECK constraints (named
 * after their column), prefixed with table. Kind: CONFLICT for a unique constraint, DANGLING
 * for a foreign key, INVALID otherwise.
 */
int pol_store_err(struct pol_store *st, int rc, const char *table, struct pol_err *e);
/* Run one statement that returns no rows; 0 or mapped error. Resets it. */
int pol_store_step_done(struct pol_store *st, sqlite3_stmt *s, const char *table,
			struct pol_err *e);

/* Bind helpers: NULL for family 0 / "any". */
int pol_store_bind_addr(sqlite3_stmt *s, int i, const struct addr *a);
int pol_store_bind_prefix(sqlite3_stmt *s, int i, const struct prefix *p);
int pol_store_bind_text(sqlite3_stmt *s, int i, const char *t);
/* Column helpers: 0, or -EIO if the stored text does not parse (corrupt row). */
int pol_store_col_addr(sqlite3_stmt *s, int i, struct addr *a);
int pol_store_col_prefix(sqlite3_stmt *s, int i, struct prefix *p);
void pol_store_col_text(sqlite3_stmt *s, int i, char *buf, size_t len);

/* Every row of table t by id into a new array (NULL when empty). 0 or -errno (table.c). */
int pol_store_list(struct pol_store *st, const struct pol_table *t, void **out, size_t *n);

/* Snapshot and replace, implemented in store_snap.c; read_all computes snap->etag when asked. */
int pol_store_read_all(struct pol_store *st, struct pol_snap *snap, bool with_etag);
int pol_store_write_all(struct pol_store *st, const struct pol_snap *snap, struct pol_err *e);

#endif
