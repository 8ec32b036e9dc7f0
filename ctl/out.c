/* SPDX-License-Identifier: MIT */
/* ctl/out.c -- rgwctl's output: API answers as tables and key/value lines */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/buf.h"
#include "../common/util.h"
#include "out.h"

static char *num_text(const char *key, json_t *v);
static int join(struct buf *b, const char *key, json_t *v);

/* A number as an operator reads it (ctl_cell_text). */
static char *
num_text(const char *key, json_t *v)
{
	char buf[64];
	size_t kl = key ? strlen(key) : 0;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		/* *_ms keys holding a wall-clock time (after 2001) */
		if (kl > 3 && strcmp(key + kl - 3, "_ms") == 0 && i > 1000000000000LL) {
			time_t t = (time_t)(i / 1000);
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		} else {
			snprintf(buf, sizeof(buf), "%lld", (long long)i);
		}
	} else {
		double d = json_real_value(v);

		snprintf(buf, sizeof(buf), "%.4g", fabs(d) < 1e-9 ? 0.0 : d);
	}
	return strdup(buf);
}

/* An array of scalars as "a, b" (each read under key), an object as "k=v k=v". 0 or
 * -ENOMEM. */
static int
join(struct buf *b, const char *key, json_t *v)
{
	const char *k;
	size_t i = 0;
	json_t *e;
	int rc = 0;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			char *t = ctl_cell_text(key, e);

			rc |= buf_printf(b, "%s%s", i ? ", " : "", t ? t : "?");
			free(t);
		}
		return rc;
	}
	json_object_foreach(v, k, e)
	{
		char *t = ctl_cell_text(k, e);

		rc |= buf_printf(b, "%s%s=%s", i++ ? " " : "", k, t ? t : "?");
		free(t);
	}
	return rc;
}

char *
ctl_cell_text(const char *key, json_t *v)
{
	struct buf b = { 0 };
	char count[32];

	if (v == NULL || json_is_null(v))
		return strdup("-");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_number(v))
		return num_text(key, v);
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "yes" : "no");
	if (json_is_array(v) && json_array_size(v) == 0)
		return strdup("-");
	if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
		snprintf(count, sizeof(count), "(%zu)", json_array_size(v));
		return strdup(count);
	}
	if (join(&b, key, v) < 0 || buf_reserve(&b, 1) < 0) {
		buf_free(&b);
		return NULL;
	}
	return (char *)buf_steal(&b, NULL);
}

void
ctl_print_table(FILE *f, json_t *items, const char *const *cols, int indent)
{
	const char *auto_cols[17];
	size_t i, k, ncols = 0, width[16] = { 0 };
	json_t *row;

	if (cols == NULL) {
		json_array_foreach(items, i, row)
		{
			const char *key;
			json_t *v;

			json_object_foreach(row, key, v)
			{
				bool have = false;

				for (k = 0; k < ncols && !have; k++)
					have = strcmp(auto_cols[k], key) == 0;
				if (!have && ncols < 16)
					auto_cols[ncols++] = key;
			}
		}
		auto_cols[ncols] = NULL;
		cols = auto_cols;
	}
	ncols = 0;
	while (ncols < 16 && cols[ncols])
		ncols++;
	for (k = 0; k < ncols; k++)
		width[k] = strlen(cols[k]);
	json_array_foreach(items, i, row)
	{
		for (k = 0; k < ncols; k++) {
			char *t = ctl_cell_text(cols[k], json_object_get(row, cols[k]));
			size_t w = t ? strlen(t) : 1;

			width[k] = MAX(width[k], MIN(w, (size_t)CTL_CELL_MAX));
			free(t);
		}
	}
	fprintf(f, "%*s", indent, "");
	for (k = 0; k < ncols; k++)
		fprintf(f, "%-*s%s", (int)(k + 1 < ncols ? width[k] : 0), cols[k],
			k + 1 < ncols ? "  " : "\n");
	json_array_foreach(items, i, row)
	{
		fprintf(f, "%*s", indent, "");
		for (k = 0; k < ncols; k++) {
			char *t = ctl_cell_text(cols[k], json_object_get(row, cols[k]));

			fprintf(f, "%-*s%s", (int)(k + 1 < ncols ? width[k] : 0), t ? t : "?",
				k + 1 < ncols ? "  " : "\n");
			free(t);
		}
	}
}

void
ctl_print_object(FILE *f, json_t *obj, int indent)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		if (json_is_object(v) && json_object_size(v) > 0) {
			fprintf(f, "%*s%s:\n", indent, "", key);
			ctl_print_object(f, v, indent + 2);
		} else if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
			fprintf(f, "%*s%s:\n", indent, "", key);
			ctl_print_table(f, v, NULL, indent + 2);
		} else {
			char *t = ctl_cell_text(key, v);

			fprintf(f, "%*s%-*s %s\n", indent, "", 20 - indent > 0 ? 20 - indent : 0,
				key, t ? t : "?");
			free(t);
		}
	}
}
