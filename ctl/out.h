/* SPDX-License-Identifier: MIT */
/* ctl/out.h -- rgwctl's output: API answers as tables and key/value lines */
#ifndef RGW_CTL_OUT_H
#define RGW_CTL_OUT_H

#include <jansson.h>
#include <stdio.h>

/* The widest a table cell is padded to (a longer value is printed whole). */
#define CTL_CELL_MAX 48

/*
 * Text of one JSON value as an operator reads it; the caller frees, NULL when out of memory.
 * null and [] are "-", booleans yes/no, integers as they are, reals rounded to 4 significant
 * digits (0.85, not 0.84999999999999998), an integer under a key ending in "_ms" that holds
 * a wall-clock time (after 2001) as a UTC time (2026-12-06T07:00:00Z); arrays of scalars
 * joined with ", ", objects as k=v pairs, arrays of objects as their count "(N)". key may
 * be NULL.
 */
char *ctl_cell_text(const char *key, json_t *v);

/* Rows of items (an array of objects) under a header line, each line indented by indent
 * columns. Columns: cols (NULL-terminated), or when NULL the rows' keys in first-seen order
 * (at most 16). */
void ctl_print_table(FILE *f, json_t *items, const char *const *cols, int indent);

/* "key value" lines; a nested object indented under "key:", an array of objects as a table
 * under "key:". */
void ctl_print_object(FILE *f, json_t *obj, int indent);

#endif
