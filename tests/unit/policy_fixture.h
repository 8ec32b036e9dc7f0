/* SPDX-License-Identifier: MIT */
/* tests/unit/policy_fixture.h -- helpers shared by the policy unit tests (header-only) */
#ifndef RGW_TESTS_POLICY_FIXTURE_H
#define RGW_TESTS_POLICY_FIXTURE_H

#include <dirent.h>
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
	struct pol_err e = { { 0 }, { 0 } };

	if (pol_bundle_parse(text, strlen(text), &s, &e) != 0)
		fprintf(stderr, "parse failed: %s: %s\n", e.field, e.msg);
	return s;
}

#endif
