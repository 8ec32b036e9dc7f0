/* SPDX-License-Identifier: MIT */
/* api/router.c -- method + path -> route matching over a static route table (pure) */
#include <stdio.h>
#include <string.h>

#include "../common/util.h"
#include "router.h"

static bool bad_segment(const char *s, size_t len);
static int match_one(const char *pattern, const char *path, size_t path_len, struct api_match *m);

/* "." and ".." are never resource names; empty segments mean a malformed path. */
static bool
bad_segment(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (len == 1 && s[0] == '.')
		return true;
	if (len == 2 && s[0] == '.' && s[1] == '.')
		return true;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* 0: match; 1: no match; -1: the path has an unacceptable segment. */
static int
match_one(const char *pattern, const char *path, size_t path_len, struct api_match *m)
{
	const char *p = pattern, *s = path, *end = path + path_len;

	m->n_params = 0;
	while (*p) {
		if (*p != '/' || s >= end || *s != '/')
			return 1;
		p++;
		s++;
		const char *pe = strchr(p, '/');
		size_t plen = pe ? (size_t)(pe - p) : strlen(p);
		const char *se = memchr(s, '/', (size_t)(end - s));
		size_t slen = se ? (size_t)(se - s) : (size_t)(end - s);

		if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
			bool greedy = plen >= 3 && p[plen - 2] == '+';
			if (greedy)
				slen = (size_t)(end - s);
			if (slen == 0)
				return 1;
			/* Check every segment of a greedy parameter. */
			for (const char *q = s; q < s + slen;) {
				const char *qe = memchr(q, '/', (size_t)(s + slen - q));
				size_t qlen = qe ? (size_t)(qe - q) : (size_t)(s + slen - q);
				if (bad_segment(q, qlen))
					return -1;
				q += qlen + (qe ? 1 : 0);
				if (qe && q == s + slen)
					return -1; /* trailing '/' inside the parameter */
			}
			if (slen >= API_PARAM_MAX || m->n_params >= API_MAX_PARAMS)
				return -1;
			memcpy(m->params[m->n_params], s, slen);
			m->params[m->n_params][slen] = '\0';
			m->n_params++;
		} else {
			if (plen != slen || memcmp(p, s, slen) != 0)
				return bad_segment(s, slen) ? -1 : 1;
		}
		p += plen;
		s += slen;
	}
	return s == end ? 0 : 1;
}

enum api_route_result
api_route_match(const struct api_route *table, size_t n, const char *method, const char *path,
		struct api_match *m, char *allow, size_t allow_len)
{
	size_t len = strlen(path);
	bool path_found = false, invalid = false;
	size_t allow_used = 0;

	if (allow && allow_len)
		allow[0] = '\0';
	if (len == 0 || path[0] != '/' || len > 2048)
		return API_ROUTE_INVALID;
	if (len > 1 && path[len - 1] == '/')
		len--;
	if (strcmp(method, "HEAD") == 0)
		method = "GET";

	for (size_t i = 0; i < n; i++) {
		int rc = match_one(table[i].pattern, path, len, m);
		if (rc < 0)
			invalid = true;
		if (rc != 0)
			continue;
		path_found = true;
		if (strcmp(table[i].method, method) == 0) {
			m->route = &table[i];
			return API_ROUTE_OK;
		}
		if (allow && allow_len > allow_used) {
			int w = snprintf(allow + allow_used, allow_len - allow_used, "%s%s",
					 allow_used ? ", " : "", table[i].method);
			if (w > 0)
				allow_used = MIN(allow_used + (size_t)w, allow_len - 1);
		}
	}
	m->route = NULL;
	if (path_found)
		return API_ROUTE_BAD_METHOD;
	return invalid ? API_ROUTE_INVALID : API_ROUTE_NOT_FOUND;
}
