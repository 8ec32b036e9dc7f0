/* SPDX-License-Identifier: MIT */
/* policy/json.c -- JSON field readers and writers shared by the policy codecs */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "bundle_int.h"

void
pol_bj_path(char *out, size_t len, const char *path, const char *key)
{
	if (path == NULL || path[0] == '\0')
		snprintf(out, len, "%s", key != NULL ? key : "");
	else if (key == NULL)
		snprintf(out, len, "%s", path);
	else
		snprintf(out, len, "%s.%s", path, key);
}

void
pol_bj_index(char *out, size_t len, const char *path, const char *key, size_t i)
{
	char p[160];

	pol_bj_path(p, sizeof(p), path, key);
	snprintf(out, len, "%s[%zu]", p, i);
}

int
pol_bj_fail(struct pol_err *err, const char *path, const char *key, const char *fmt, ...)
{
	char f[160];
	va_list ap;

	pol_bj_path(f, sizeof(f), path, key);
	if (err != NULL) {
		util_strlcpy(err->field, f, sizeof(err->field));
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int
pol_bj_object(const json_t *obj, const char *path, const char *const *allowed, struct pol_err *err)
{
	/* jansson's iterators take a non-const object; nothing is modified here */
	union {
		const json_t *c;
		json_t *m;
	} o = { obj };
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return pol_bj_fail(err, path, NULL, "must be an object");
	json_object_foreach(o.m, key, val)
	{
		size_t i;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL)
			return pol_bj_fail(err, path, key, "unknown key");
	}
	return 0;
}

int
pol_bj_required(const json_t *obj, const char *key, const char *path, struct pol_err *err)
{
	if (json_object_get(obj, key) == NULL)
		return pol_bj_fail(err, path, key, "is required");
	return 0;
}

int
pol_bj_array(const json_t *obj, const char *key, const char *path, const json_t **out,
	     struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL)
		return BJ_ABSENT;
	if (!json_is_array(v))
		return pol_bj_fail(err, path, key, "must be an array");
	*out = v;
	return 0;
}

int
pol_bj_int(const json_t *obj, const char *key, const char *path, long long min, long long max,
	   long long *out, struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);
	long long x;

	if (v == NULL)
		return BJ_ABSENT;
	if (!json_is_integer(v))
		return pol_bj_fail(err, path, key, "must be an integer in %lld..%lld", min, max);
	x = json_integer_value(v);
	if (x < min || x > max)
		return pol_bj_fail(err, path, key, "must be an integer in %lld..%lld", min, max);
	*out = x;
	return 0;
}

int
pol_bj_bool(const json_t *obj, const char *key, const char *path, bool *out, struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return BJ_ABSENT;
	if (!json_is_boolean(v))
		return pol_bj_fail(err, path, key, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

int
pol_bj_num(const json_t *obj, const char *key, const char *path, double min, double max,
	   double *out, struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);
	double x;

	if (v == NULL)
		return BJ_ABSENT;
	if (!json_is_number(v))
		return pol_bj_fail(err, path, key, "must be a number in %g..%g", min, max);
	x = json_number_value(v);
	if (!isfinite(x) || x < min || x > max)
		return pol_bj_fail(err, path, key, "must be a number in %g..%g", min, max);
	*out = x;
	return 0;
}

int
pol_bj_text(const json_t *obj, const char *key, const char *path, char *buf, size_t len,
	    struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return BJ_ABSENT;
	if (!json_is_string(v))
		return pol_bj_fail(err, path, key, "must be a string");
	if (json_string_length(v) >= len)
		return pol_bj_fail(err, path, key, "must be at most %zu characters", len - 1);
	/* no control characters: comments end up in logs and nft comments */
	for (const char *p = json_string_value(v); *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return pol_bj_fail(err, path, key, "must not hold control characters");
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int
pol_bj_name(const json_t *obj, const char *key, const char *path, bool wildcard, char *buf,
	    struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);
	char tmp[POL_NAME_MAX];

	if (v == NULL)
		return BJ_ABSENT;
	if (!json_is_string(v))
		return pol_bj_fail(err, path, key, "must be a DNS name (string)");
	if (json_string_length(v) >= sizeof(tmp) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return pol_bj_fail(err, path, key, "not a valid DNS name");
	memcpy(tmp, json_string_value(v), json_string_length(v) + 1);
	if (pol_name_canon(tmp, wildcard) != 0)
		return pol_bj_fail(err, path, key,
				   "not a valid DNS name (labels of 1..63 [a-z0-9_-], at most "
				   "253 characters)");
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}

int
pol_bj_addr(const json_t *obj, const char *key, const char *path, int family, struct addr *out,
	    struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);
	const char *what = family == AF_INET	? "an IPv4 address"
			   : family == AF_INET6 ? "an IPv6 address"
						: "an IPv4 or IPv6 address";
	struct addr a;

	if (v == NULL)
		return BJ_ABSENT;
	if (json_is_null(v)) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (!json_is_string(v) || addr_parse(json_string_value(v), &a) != 0 ||
	    (family != 0 && a.family != family))
		return pol_bj_fail(err, path, key, "must be %s or null", what);
	*out = a;
	return 0;
}

json_t *
pol_bj_addr_json(const struct addr *a)
{
	char buf[ADDR_STRLEN];

	if (a->family == 0)
		return json_null();
	return json_string(addr_ntop(a, buf, sizeof(buf)));
}

json_t *
pol_bj_prefix_json(const struct prefix *p, bool plain_host)
{
	char buf[PREFIX_STRLEN];

	if (p->addr.family == 0)
		return json_null();
	if (plain_host && p->len == addr_maxlen(p->addr.family))
		return json_string(addr_ntop(&p->addr, buf, sizeof(buf)));
	return json_string(prefix_ntop(p, buf, sizeof(buf)));
}

json_t *
pol_bj_proto_json(uint8_t proto)
{
	const char *n = pol_proto_name(proto);

	return n != NULL ? json_string(n) : json_integer(proto);
}
