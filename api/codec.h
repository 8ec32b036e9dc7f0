/* SPDX-License-Identifier: MIT */
/* api/codec.h -- JSON codecs for the rows that policy/bundle.h has no per-entity codec for */
#ifndef RGW_API_CODEC_H
#define RGW_API_CODEC_H

#include <jansson.h>
#include <stdbool.h>

#include "../policy/policy.h"

/*
 * Same contract as the pol_*_from_json codecs of policy/bundle.h: unknown keys and wrong
 * types are errors naming the field (path + key); partial applies only the keys present;
 * otherwise required keys are enforced and the others take their defaults.
 * Shapes:
 *   nameserver      {"name": dns name, "ipv4": address|null, "ipv6": address|null}
 *   service address {"address": address, "comment": text}
 *   pool address    {"address": address}
 *   group           {"name": 1..63 chars [A-Za-z0-9_.-], "comment": text}
 *   resolver node   {"prefix": address or prefix}
 */
int api_nameserver_from_json(const json_t *obj, bool partial, struct pol_nameserver *row,
			     const char *path, struct pol_err *e);
json_t *api_nameserver_to_json(const struct pol_nameserver *row);
int api_service_addr_from_json(const json_t *obj, bool partial, struct pol_service_addr *row,
			       const char *path, struct pol_err *e);
json_t *api_service_addr_to_json(const struct pol_service_addr *row);
int api_pool_addr_from_json(const json_t *obj, bool partial, struct pol_pool_addr *row,
			    const char *path, struct pol_err *e);
json_t *api_pool_addr_to_json(const struct pol_pool_addr *row);
int api_group_from_json(const json_t *obj, bool partial, struct pol_group *row, const char *path,
			struct pol_err *e);
json_t *api_group_to_json(const struct pol_group *row);
int api_resolver_node_from_json(const json_t *obj, bool partial, struct pol_resolver_node *row,
				const char *path, struct pol_err *e);
json_t *api_resolver_node_to_json(const struct pol_resolver_node *row);

/* Check that every key of obj is in allowed (NULL-terminated). 0 or -EINVAL naming it. */
int api_json_only_keys(const json_t *obj, const char *const *allowed, const char *path,
		       struct pol_err *e);
/* A valid group name: 1..63 of [A-Za-z0-9_.-]. */
bool api_group_name_ok(const char *s);

#endif
