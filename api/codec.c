/* SPDX-License-Identifier: MIT */
/* api/codec.c -- JSON codecs for the rows that policy/bundle.h has no per-entity codec for */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../common/util.h"
#include "codec.h"

static void fpath(char *out, size_t len, const char *path, const char *key);
static int get_str(const json_t *obj, const char *key, bool required, bool partial,
		   const char *path, struct pol_err *e, const char **out);
static int get_addr(const json_t *obj, const char *key, int family, bool nullable, bool required,
		    bool partial, const char *path, struct pol_err *e, struct addr *out);

static void
fpath(char *out, size_t len, const char *path, const char *key)
{
	if (path && path[0])
		snprintf(out, len, "%s.%s", path, key);
	else
		snprintf(out, len, "%s", key);
}

int
api_json_only_keys(const json_t *obj, const char *const *allowed, const char *path,
		   struct pol_err *e)
{
	const char *key;
	json_t *v;
	char f[160];

	if (!json_is_object(obj)) {
		pol_err_set(e, path && path[0] ? path : "", "must be a JSON object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)(uintptr_t)obj, key, v)
	{
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				ok = true;
		if (!ok) {
			fpath(f, sizeof(f), path, key);
			pol_err_set(e, f, "unknown key");
			return -EINVAL;
		}
	}
	return 0;
}

/* 1: absent (and allowed to be), 0: *out set, <0: error. */
static int
get_str(const json_t *obj, const char *key, bool required, bool partial, const char *path,
	struct pol_err *e, const char **out)
{
	json_t *v = json_object_get(obj, key);
	char f[160];

	fpath(f, sizeof(f), path, key);
	if (!v) {
		if (required && !partial) {
			pol_err_set(e, f, "required");
			return -EINVAL;
		}
		return 1;
	}
	if (!json_is_string(v)) {
		pol_err_set(e, f, "must be a string");
		return -EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

static int
get_addr(const json_t *obj, const char *key, int family, bool nullable, bool required, bool partial,
	 const char *path, struct pol_err *e, struct addr *out)
{
	json_t *v = json_object_get(obj, key);
	char f[160];
	struct addr a;

	fpath(f, sizeof(f), path, key);
	if (!v) {
		if (required && !partial) {
			pol_err_set(e, f, "required");
			return -EINVAL;
		}
		if (!partial)
			memset(out, 0, sizeof(*out));
		return 0;
	}
	if (json_is_null(v) && nullable) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (!json_is_string(v) || addr_parse(json_string_value(v), &a) < 0 ||
	    (family && a.family != family)) {
		pol_err_set(e, f, "must be %s address",
			    family == AF_INET	 ? "an IPv4"
			    : family == AF_INET6 ? "an IPv6"
						 : "an IPv4 or IPv6");
		return -EINVAL;
	}
	*out = a;
	return 0;
}

int
api_nameserver_from_json(const json_t *obj, bool partial, struct pol_nameserver *row,
			 const char *path, struct pol_err *e)
{
	static const char *const keys[] = { "name", "ipv4", "ipv6", NULL };
	const char *name;
	char f[160];
	int rc;

	if ((rc = api_json_only_keys(obj, keys, path, e)) < 0)
		return rc;
	rc = get_str(obj, "name", true, partial, path, e, &name);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		fpath(f, sizeof(f), path, "name");
		if (util_strlcpy(row->name, name, sizeof(row->name)) >= sizeof(row->name) ||
		    pol_name_canon(row->name, false) < 0) {
			pol_err_set(e, f, "must be a DNS name");
			return -EINVAL;
		}
	}
	if ((rc = get_addr(obj, "ipv4", AF_INET, true, false, partial, path, e, &row->ipv4)) < 0)
		return rc;
	return get_addr(obj, "ipv6", AF_INET6, true, false, partial, path, e, &row->ipv6);
}

json_t *
api_nameserver_to_json(const struct pol_nameserver *row)
{
	char a4[ADDR_STRLEN], a6[ADDR_STRLEN];

	return json_pack("{s:s,s:s?,s:s?}", "name", row->name, "ipv4",
			 row->ipv4.family ? addr_ntop(&row->ipv4, a4, sizeof(a4)) : NULL, "ipv6",
			 row->ipv6.family ? addr_ntop(&row->ipv6, a6, sizeof(a6)) : NULL);
}

int
api_service_addr_from_json(const json_t *obj, bool partial, struct pol_service_addr *row,
			   const char *path, struct pol_err *e)
{
	static const char *const keys[] = { "address", "comment", NULL };
	const char *c;
	char f[160];
	int rc;

	if ((rc = api_json_only_keys(obj, keys, path, e)) < 0)
		return rc;
	if ((rc = get_addr(obj, "address", 0, false, true, partial, path, e, &row->addr)) < 0)
		return rc;
	rc = get_str(obj, "comment", false, partial, path, e, &c);
	if (rc < 0)
		return rc;
	if (rc == 1 && !partial)
		c = "";
	if (rc == 0 || !partial) {
		fpath(f, sizeof(f), path, "comment");
		if (util_strlcpy(row->comment, c, sizeof(row->comment)) >= sizeof(row->comment)) {
			pol_err_set(e, f, "longer than %zu bytes", sizeof(row->comment) - 1);
			return -EINVAL;
		}
	}
	return 0;
}

json_t *
api_service_addr_to_json(const struct pol_service_addr *row)
{
	char a[ADDR_STRLEN];

	return json_pack("{s:s,s:s}", "address", addr_ntop(&row->addr, a, sizeof(a)), "comment",
			 row->comment);
}

int
api_pool_addr_from_json(const json_t *obj, bool partial, struct pol_pool_addr *row,
			const char *path, struct pol_err *e)
{
	static const char *const keys[] = { "address", NULL };
	int rc;

	if ((rc = api_json_only_keys(obj, keys, path, e)) < 0)
		return rc;
	return get_addr(obj, "address", 0, false, true, partial, path, e, &row->addr);
}

json_t *
api_pool_addr_to_json(const struct pol_pool_addr *row)
{
	char a[ADDR_STRLEN];

	return json_pack("{s:s}", "address", addr_ntop(&row->addr, a, sizeof(a)));
}

bool
api_group_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int
api_group_from_json(const json_t *obj, bool partial, struct pol_group *row, const char *path,
		    struct pol_err *e)
{
	/* "firewall" is the embedded rule list, written by the API after the group. */
	static const char *const keys[] = { "name", "comment", "firewall", NULL };
	const char *s;
	char f[160];
	int rc;

	if ((rc = api_json_only_keys(obj, keys, path, e)) < 0)
		return rc;
	rc = get_str(obj, "name", true, partial, path, e, &s);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		fpath(f, sizeof(f), path, "name");
		if (!api_group_name_ok(s)) {
			pol_err_set(e, f, "must be 1..63 characters of [A-Za-z0-9_.-]");
			return -EINVAL;
		}
		util_strlcpy(row->name, s, sizeof(row->name));
	}
	rc = get_str(obj, "comment", false, partial, path, e, &s);
	if (rc < 0)
		return rc;
	if (rc == 1 && !partial)
		s = "";
	if (rc == 0 || !partial) {
		fpath(f, sizeof(f), path, "comment");
		if (util_strlcpy(row->comment, s, sizeof(row->comment)) >= sizeof(row->comment)) {
			pol_err_set(e, f, "longer than %zu bytes", sizeof(row->comment) - 1);
			return -EINVAL;
		}
	}
	return 0;
}

json_t *
api_group_to_json(const struct pol_group *row)
{
	return json_pack("{s:s,s:s}", "name", row->name, "comment", row->comment);
}

int
api_resolver_node_from_json(const json_t *obj, bool partial, struct pol_resolver_node *row,
			    const char *path, struct pol_err *e)
{
	static const char *const keys[] = { "prefix", NULL };
	const char *s;
	char f[160];
	int rc;

	if ((rc = api_json_only_keys(obj, keys, path, e)) < 0)
		return rc;
	rc = get_str(obj, "prefix", true, partial, path, e, &s);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		fpath(f, sizeof(f), path, "prefix");
		if (prefix_parse(s, false, &row->prefix) < 0) {
			pol_err_set(e, f, "must be an address or a prefix with no host bits set");
			return -EINVAL;
		}
	}
	return 0;
}

json_t *
api_resolver_node_to_json(const struct pol_resolver_node *row)
{
	char p[PREFIX_STRLEN];

	return json_pack("{s:s}", "prefix", prefix_ntop(&row->prefix, p, sizeof(p)));
}
