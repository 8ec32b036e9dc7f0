/* SPDX-License-Identifier: MIT */
/* policy/table.h -- one descriptor per policy table: the store, the JSON codec, the API */
#ifndef RGW_POLICY_TABLE_H
#define RGW_POLICY_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct pol_store;

/* How a table's natural key (the row field at key_off) reads as text. */
enum pol_key {
	POL_KEY_NONE = 0, /* no natural key */
	POL_KEY_DNS,	  /* a DNS name (char[]), canonicalised */
	POL_KEY_IDENT,	  /* a plain name (char[]) */
	POL_KEY_ADDR,	  /* a struct addr */
	POL_KEY_PREFIX,	  /* a struct prefix */
};

/* How a column's row field is stored. */
enum pol_col_type {
	POL_COL_TEXT = 0, /* char[size] */
	POL_COL_UINT,	  /* an unsigned integer of size bytes */
	POL_COL_INT,	  /* a signed integer of size bytes */
	POL_COL_BOOL,
	POL_COL_REAL,	/* double */
	POL_COL_ADDR,	/* struct addr; NULL for none */
	POL_COL_PREFIX, /* struct prefix; NULL for none */
	POL_COL_ENUM,	/* an enum, stored as its name */
	POL_COL_NESTED, /* struct pol_host's nested blocks, as one text "p1 p2 ..." */
};

/* One column of a table, in the order of its statements' column list. */
struct pol_col {
	const char *field; /* the row field ("sport.lo"), as the column is named ("sport_lo") */
	enum pol_col_type type;
	uint16_t off, size; /* of the row field */
	bool znull;	    /* an integer 0 is stored as NULL */
	uint16_t has_off;   /* not 0: the offset of the bool that says the value is set (NULL) */
	/* POL_COL_ENUM: the enum's names (policy.h's pol_X_name and pol_X_parse) */
	const char *(*ename)(int v);
	int (*eparse)(const char *s, int *v);
};

/*
 * A policy table as every layer sees it. Every row struct starts with its int64_t id. The
 * descriptors are the pol_t_* below; they are constant and shared by all threads.
 */
struct pol_table {
	const char *name;      /* the snapshot array in validation paths ("hosts[3].fqdn") */
	const char *sql_table; /* the store's table in constraint errors ("hosts.fqdn") */
	size_t size;	       /* of one row */
	size_t arr_off, n_off; /* offsetof the row array and its count in struct pol_snap */
	enum pol_key key;
	size_t key_off;
	/* the store (policy/table.c): the columns after id, and the statements (literals,
	 * their column lists in the order of cols); after_read (may be NULL) completes a
	 * row read from the store */
	const struct pol_col *cols;
	int ncols;
	const char *sql_get, *sql_list, *sql_insert, *sql_update, *sql_delete;
	void (*after_read)(void *row);
	/* the single-row check run before every insert and update */
	int (*check)(const void *row, struct pol_err *e);
	/*
	 * The JSON codec (policy/bundle_json.c), shared by bundles and the REST API.
	 * from_json fills row from obj; path prefixes the error fields; partial: only the
	 * keys present are applied (PATCH), otherwise missing keys take their defaults and
	 * required keys are enforced. Unknown keys and wrong types are errors naming the field.
	 * to_json returns a new object; s (may be NULL) gives the rows embedded in it.
	 */
	int (*from_json)(const json_t *obj, bool partial, void *row, const char *path,
			 struct pol_err *e);
	json_t *(*to_json)(const struct pol_snap *s, const void *row);
};

extern const struct pol_table pol_t_zone, pol_t_nameserver, pol_t_service_addr, pol_t_pool_addr,
	pol_t_group, pol_t_host, pol_t_service, pol_t_fw_rule, pol_t_alg_route, pol_t_bracket,
	pol_t_resolver_group, pol_t_resolver_node;

/* Every table, parents before children (the order rows are written in), NULL-terminated. */
extern const struct pol_table *const pol_tables[];

/* The number of rows of table t in s, and row i of them. */
static inline size_t
pol_table_count(const struct pol_table *t, const struct pol_snap *s)
{
	return *(const size_t *)(const void *)((const char *)s + t->n_off);
}

static inline const void *
pol_table_row(const struct pol_table *t, const struct pol_snap *s, size_t i)
{
	const char *arr = *(const char *const *)(const void *)((const char *)s + t->arr_off);

	return arr + i * t->size;
}

static inline int64_t
pol_row_id(const void *row)
{
	return *(const int64_t *)row;
}

/* The row's natural key as text (buf holds at least POL_NAME_MAX bytes), NULL: none. */
const char *pol_row_key(const struct pol_table *t, const void *row, char *buf, size_t len);
/* A key given by a user (a path, a filter) in the form pol_row_key gives: 0 or -EINVAL. */
int pol_key_canon(const struct pol_table *t, const char *in, char *out, size_t len);

/*
 * Row accessors of the store (errors as in policy/store.h; e filled on failure).
 * get: 0 or -ENOENT. insert: checked first, sets the row's id. update: by the row's id,
 * -ENOENT when there is none. delete: by id, cascades per schema, -ENOENT when none.
 * Lists come from pol_store_snapshot (policy sizes are small; one read is cheaper than
 * many queries).
 */
int pol_row_get(struct pol_store *st, const struct pol_table *t, int64_t id, void *out);
int pol_row_insert(struct pol_store *st, const struct pol_table *t, void *row, struct pol_err *e);
int pol_row_update(struct pol_store *st, const struct pol_table *t, const void *row,
		   struct pol_err *e);
int pol_row_delete(struct pol_store *st, const struct pol_table *t, int64_t id, struct pol_err *e);

#endif
