/* SPDX-License-Identifier: MIT */
/* tests/unit/policy_fixture.h -- helpers shared by the policy unit tests (header-only) */
#ifndef RGW_TESTS_POLICY_FIXTURE_H
#define RGW_TESTS_POLICY_FIXTURE_H

#include <dirent.h>
#include <time.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/bundle.h"
#include "policy/store.h"

/* Whole file into a NUL-terminated heap buffer; NULL if unreadable. */
static inline char *
fx_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf != NULL) {
			buf[n] = '\0';
			if (len != NULL)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* The example bundle, relative to the source tree (RGW_SRCDIR or the working directory). */
static inline char *
fx_example(void)
{
	const char *dir = getenv("RGW_SRCDIR");
	char path[512];

	snprintf(path, sizeof(path), "%s/docs/examples/gwa.demo.json", dir != NULL ? dir : ".");
	return fx_read_file(path, NULL);
}

/* A fresh temporary directory (mkdtemp); the caller removes it with fx_rmdir. */
static inline char *
fx_tmpdir(void)
{
	char *d = strdup("/tmp/rgwpolXXXXXX");

	if (d != NULL && mkdtemp(d) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

static inline void
fx_rmdir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

/* Export text of the store's current policy; NULL on failure. */
static inline char *
fx_store_text(struct pol_store *st)
{
	struct pol_snap *s = NULL;
	char *t;

	if (pol_store_snapshot(st, &s) != 0)
		return NULL;
	t = pol_bundle_export_text(s);
	pol_snap_unref(s);
	return t;
}

/* Parse text, failing loudly with the error (for good inputs). */
static inline struct pol_snap *
fx_parse(const char *text)
{
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };

	if (pol_bundle_parse(text, strlen(text), &s, &e) != 0)
		fprintf(stderr, "parse failed: %s: %s\n", e.field, e.msg);
	return s;
}

/* ---- store fixtures (need <cmocka.h> and <sqlite3.h> included first) ---- */
#ifdef RGW_FIXTURE_STORE
struct fx {
	char *dir;
	char path[512];
	struct pol_store *st;
};

static inline int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pol_err e = { 0 };

	if (f == NULL || (f->dir = fx_tmpdir()) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/policy.db", f->dir);
	f->st = pol_store_open(f->path, &e);
	if (f->st == NULL) {
		fprintf(stderr, "open: %s: %s\n", e.field, e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fx *f = *state;

	pol_store_close(f->st);
	fx_rmdir(f->dir);
	free(f);
	return 0;
}

/* Raw SQL on the database file through a second connection (test inspection only). */
static inline int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static inline long long
raw_count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

static inline void
load_example(struct pol_store *st)
{
	char *text = fx_example();
	struct pol_snap *s;
	struct pol_err e = { 0 };

	assert_non_null(text);
	s = fx_parse(text);
	assert_non_null(s);
	if (pol_store_replace(st, s, &e) != 0)
		fail_msg("replace: %s: %s", e.field, e.msg);
	pol_snap_unref(s);
	free(text);
}

/* Concatenated bytes of the database file and its WAL. */
static inline char *
db_bytes(const char *path, size_t *len)
{
	char wal[600];
	size_t n1 = 0, n2 = 0;
	char *a = fx_read_file(path, &n1), *b, *out;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	b = fx_read_file(wal, &n2);
	out = malloc(n1 + n2 + 1);
	assert_non_null(out);
	if (a != NULL)
		memcpy(out, a, n1);
	if (b != NULL)
		memcpy(out + n1, b, n2);
	free(a);
	free(b);
	*len = n1 + n2;
	return out;
}

static inline void
assert_db_unchanged(struct fx *f, const char *want_text, const char *want_bytes, size_t want_len)
{
	char *text = fx_store_text(f->st), *bytes;
	size_t len;

	assert_non_null(text);
	assert_string_equal(text, want_text);
	free(text);
	bytes = db_bytes(f->path, &len);
	assert_int_equal(len, want_len);
	assert_memory_equal(bytes, want_bytes, len);
	free(bytes);
}

static inline double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
#endif

#endif
