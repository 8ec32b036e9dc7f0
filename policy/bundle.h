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

/*
 * Per-entity JSON codecs shared with the REST API. from_json fills row from obj; path is the
 * prefix used in error fields; references by name are resolved against snap (may be NULL
 * when the entity has none). to_json returns a new object.
 * partial: only the keys present in obj are applied (PATCH); otherwise missing keys take
 * their defaults and required keys are enforced.
 */
int pol_zone_from_json(const json_t *obj, bool partial, struct pol_zone *row, const char *path,
		       struct pol_err *err);
json_t *pol_zone_to_json(const struct pol_snap *s, const struct pol_zone *row);
int pol_host_from_json(const json_t *obj, bool partial, struct pol_host *row, const char *path,
		       struct pol_err *err);
json_t *pol_host_to_json(const struct pol_snap *s, const struct pol_host *row);
int pol_service_from_json(const json_t *obj, bool partial, struct pol_service *row,
			  const char *path, struct pol_err *err);
json_t *pol_service_to_json(const struct pol_service *row);
int pol_fw_rule_from_json(const json_t *obj, bool partial, struct pol_fw_rule *row,
			  const char *path, struct pol_err *err);
json_t *pol_fw_rule_to_json(const struct pol_fw_rule *row);
int pol_alg_route_from_json(const json_t *obj, bool partial, struct pol_alg_route *row,
			    const char *path, struct pol_err *err);
json_t *pol_alg_route_to_json(const struct pol_alg_route *row);
int pol_admission_from_json(const json_t *obj, bool partial, struct pol_admission *row,
			    const char *path, struct pol_err *err);
json_t *pol_admission_to_json(const struct pol_admission *row);
int pol_bracket_from_json(const json_t *obj, bool partial, struct pol_bracket *row,
			  const char *path, struct pol_err *err);
json_t *pol_bracket_to_json(const struct pol_bracket *row);
int pol_resolver_group_from_json(const json_t *obj, bool partial, struct pol_resolver_group *row,
				 const char *path, struct pol_err *err);
json_t *pol_resolver_group_to_json(const struct pol_snap *s, const struct pol_resolver_group *row);

#endif
