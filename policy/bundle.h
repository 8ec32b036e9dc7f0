/* SPDX-License-Identifier: MIT */
/* policy/bundle.h -- policy bundles: a whole gateway policy as one JSON document */
#ifndef RGW_POLICY_BUNDLE_H
#define RGW_POLICY_BUNDLE_H

#include <jansson.h>

#include "policy.h"

/*
 * The bundle format is documented in README.md ("Policy bundles") and shown in
 * docs/examples/gwa.demo.json. Rows reference each other by name (host fqdn, group name,
 * zone name), never by id. Unknown keys are errors. Parsing validates completely
 * (types, ranges, addresses, names, duplicates, references) and reports the first error
 * with its path ("hosts[2].services[0].port") and reason.
 */

/* Parse text into a new snapshot (ids assigned 1..n per table). 0, or -EINVAL with err. */
int pol_bundle_parse(const char *text, size_t len, struct pol_snap **out, struct pol_err *err);
int pol_bundle_parse_json(const json_t *root, struct pol_snap **out, struct pol_err *err);
/* Export a snapshot; NULL on ENOMEM. Caller json_decref()s. */
json_t *pol_bundle_export(const struct pol_snap *s);
/* Export as text (pretty, sorted keys, trailing newline). Caller frees. */
char *pol_bundle_export_text(const struct pol_snap *s);

/* 0 if obj is an object whose keys are all in allowed (NULL-terminated), else -EINVAL with
 * err naming path (not an object) or "path.key" (an unknown key). */
int pol_bj_object(const json_t *obj, const char *path, const char *const *allowed,
		  struct pol_err *err);

/*
 * The admission row's JSON codec (the tables' codecs are their descriptors', policy/table.h):
 * from_json fills row from obj, path prefixes the error fields; partial: only the keys
 * present in obj are applied (PATCH). to_json returns a new object.
 */
int pol_admission_from_json(const json_t *obj, bool partial, struct pol_admission *row,
			    const char *path, struct pol_err *err);
json_t *pol_admission_to_json(const struct pol_admission *row);

#endif
