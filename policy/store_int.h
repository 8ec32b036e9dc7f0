/* SPDX-License-Identifier: MIT */
/* policy/store_int.h -- internals shared by the store's files (not for other modules) */
#ifndef RGW_POLICY_STORE_INT_H
#define RGW_POLICY_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

#define STORE_STMT_MAX 128

struct store_stmt {
	const char *sql; /* key: the address of a static or store-owned string */
	sqlite3_stmt *stmt;
};

struct pol_store {
	sqlite3 *db;
	bool in_tx;
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

/*
 * One descriptor per policy table (store_rows.c). bind() binds the columns as parameters
 * 1..ncols; read() reads id (column 0) and the columns from a SELECT; check() is the
 * single-row check run before every insert and update.
 */
struct ent {
	const char *table;
	int ncols;
	size_t size;
	const char *sql_get, *sql_list, *sql_insert, *sql_update, *sql_delete;
	int (*bind)(sqlite3_stmt *s, const void *row);
	int (*read)(sqlite3_stmt *s, void *row);
	int (*check)(const void *row, struct pol_err *e);
};

extern const struct ent pol_ent_zone, pol_ent_nameserver, pol_ent_service_addr, pol_ent_pool_addr,
	pol_ent_group, pol_ent_host, pol_ent_service, pol_ent_fw_rule, pol_ent_alg_route,
	pol_ent_bracket, pol_ent_resolver_group, pol_ent_resolver_node;

/* Insert one row (checked first); sets its id. 0 or -errno with e filled. */
int pol_ent_insert(struct pol_store *st, const struct ent *en, void *row, struct pol_err *e);
/* Every row of a table by id into a new array (NULL when empty). 0 or -errno. */
int pol_ent_list(struct pol_store *st, const struct ent *en, void **out, size_t *n);

/* Snapshot and replace, implemented in store_snap.c; read_all computes snap->etag when asked. */
int pol_store_read_all(struct pol_store *st, struct pol_snap *snap, bool with_etag);
int pol_store_write_all(struct pol_store *st, const struct pol_snap *snap, struct pol_err *e);

#endif
