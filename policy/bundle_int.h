/* SPDX-License-Identifier: MIT */
/* policy/bundle_int.h -- JSON field readers shared by the bundle files (not for other modules) */
#ifndef RGW_POLICY_BUNDLE_INT_H
#define RGW_POLICY_BUNDLE_INT_H

#include <jansson.h>

#include "bundle.h"
#include "table.h"

/*
 * Every reader takes the containing object, the key and the path of the object, and
 * returns 0 (absent keys leave *out alone), 1 when the key is absent, or -EINVAL with
 * err naming "path.key" and the reason. JSON null counts as absent only where the
 * reader says so.
 */
#define BJ_ABSENT 1

/* Join "path" and "key" ("hosts[1]" + "fqdn" -> "hosts[1].fqdn"; "" + "zones" -> "zones"). */
void pol_bj_path(char *out, size_t len, const char *path, const char *key);
void pol_bj_index(char *out, size_t len, const char *path, const char *key, size_t i);
int pol_bj_required(const json_t *obj, const char *key, const char *path, struct pol_err *err);
int pol_bj_array(const json_t *obj, const char *key, const char *path, const json_t **out,
		 struct pol_err *err);
int pol_bj_int(const json_t *obj, const char *key, const char *path, long long min, long long max,
	       long long *out, struct pol_err *err);
int pol_bj_bool(const json_t *obj, const char *key, const char *path, bool *out,
		struct pol_err *err);
int pol_bj_num(const json_t *obj, const char *key, const char *path, double min, double max,
	       double *out, struct pol_err *err);
int pol_bj_text(const json_t *obj, const char *key, const char *path, char *buf, size_t len,
		struct pol_err *err);
/* A DNS name, canonicalised. */
int pol_bj_name(const json_t *obj, const char *key, const char *path, bool wildcard, char *buf,
		struct pol_err *err);
/* An address of the given family (0: either); null means "none" (family 0). */
int pol_bj_addr(const json_t *obj, const char *key, const char *path, int family, struct addr *out,
		struct pol_err *err);
/* Report a bad value at "path.key" (key may be NULL: the path itself). */
int pol_bj_fail(struct pol_err *err, const char *path, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Export helpers. */
json_t *pol_bj_addr_json(const struct addr *a);			     /* null for family 0 */
json_t *pol_bj_prefix_json(const struct prefix *p, bool plain_host); /* null for any */
json_t *pol_bj_proto_json(uint8_t proto);

/* A host with the rows that belong to it, given as indexes into s->services, s->fw_rules
 * and s->host_groups (in output order). */
struct pol_bj_parts {
	const size_t *svc, *fw, *hg;
	size_t n_svc, n_fw, n_hg;
};
json_t *pol_bj_host(const struct pol_snap *s, const struct pol_host *row,
		    const struct pol_bj_parts *p);

/* The tables' JSON codecs, as their descriptors (policy/table.h) hold them. */
#define POL_DECLARE_CODEC(E)                                                                       \
	int pol_##E##_from_json(const json_t *obj, bool partial, void *row, const char *path,      \
				struct pol_err *err);                                              \
	json_t *pol_##E##_to_json(const struct pol_snap *s, const void *row);

POL_DECLARE_CODEC(zone)
POL_DECLARE_CODEC(nameserver)
POL_DECLARE_CODEC(service_addr)
POL_DECLARE_CODEC(pool_addr)
POL_DECLARE_CODEC(group)
POL_DECLARE_CODEC(host)
POL_DECLARE_CODEC(service)
POL_DECLARE_CODEC(fw_rule)
POL_DECLARE_CODEC(alg_route)
POL_DECLARE_CODEC(bracket)
POL_DECLARE_CODEC(resolver_group)
POL_DECLARE_CODEC(resolver_node)

#endif
