/* SPDX-License-Identifier: MIT */
/* api/reply.c -- JSON replies, the error model, ETags and If-Match */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "internal.h"

static bool etag_in_list(const char *list, const char *etag);
static bool written_parent(const struct api_req *r, const struct pol_snap *snap,
			   const struct api_entity *ent, const void *row);

const char *
api_error_code(int status)
{
	switch (status) {
	case 400:
		return "invalid";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 405:
		return "method_not_allowed";
	case 409:
		return "conflict";
	case 412:
		return "precondition_failed";
	case 413:
		return "payload_too_large";
	case 415:
		return "unsupported_media_type";
	case 428:
		return "precondition_required";
	case 429:
		return "rate_limited";
	case 503:
		return "unavailable";
	default:
		return status >= 500 ? "internal" : "error";
	}
}

/*
 * ETags only need to change when the representation does; a keyed 128-bit SipHash is
 * ample for that, and about five times cheaper than SHA-256 on a 100 kB bundle. The keys
 * are fixed so that ETags survive a restart.
 */
void
api_etag_text(const char *text, size_t len, char out[40])
{
	static const uint8_t k1[16] = { 0x72, 0x67, 0x77, 0x2d, 0x65, 0x74, 0x61, 0x67,
					0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x6f, 0x6e, 0x65 };
	static const uint8_t k2[16] = { 0x72, 0x67, 0x77, 0x2d, 0x65, 0x74, 0x61, 0x67,
					0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x74, 0x77, 0x6f };

	snprintf(out, 40, "\"%016llx%016llx\"", (unsigned long long)util_siphash24(k1, text, len),
		 (unsigned long long)util_siphash24(k2, text, len));
}

void
api_etag(const json_t *v, char out[40])
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!text) {
		out[0] = '\0';
		return;
	}
	api_etag_text(text, strlen(text), out);
	free(text);
}

void
api_reply_json(struct api_req *r, int status, json_t *v)
{
	json_decref(r->reply);
	r->reply = v;
	r->status = status;
	if (!v) {
		/* json allocation failed: never leave the client without an answer */
		r->status = 503;
		r->reply = json_pack("{s:s,s:s,s:n}", "error", "internal", "message",
				     "out of memory", "field");
	}
}

/* RFC 9110 entity-tag lists: "a", "b" or *. Weak tags compare by their opaque part. */
static bool
etag_in_list(const char *list, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = list;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == elen && memcmp(p, etag, len) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static bool
not_modified(struct api_req *r, int status)
{
	return status == 200 && r->if_none_match && r->etag[0] &&
	       (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) &&
	       etag_in_list(r->if_none_match, r->etag);
}

/* The body is serialised once: the same bytes are hashed for the ETag and sent. */
void
api_reply_entity(struct api_req *r, int status, json_t *v)
{
	api_reply_entity_etag(r, status, v, NULL);
}

void
api_reply_entity_etag(struct api_req *r, int status, json_t *v, const char *etag)
{
	api_reply_json(r, status, v);
	if (r->status != status)
		return;
	FREE_AND_NULL(r->raw);
	r->raw = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!r->raw) {
		api_reply_error(r, 503, NULL, "out of memory");
		return;
	}
	r->raw_len = strlen(r->raw);
	if (etag != NULL && etag[0] != '\0')
		util_strlcpy(r->etag, etag, sizeof(r->etag));
	else
		api_etag_text(r->raw, r->raw_len, r->etag);
	if (not_modified(r, status)) {
		json_decref(r->reply);
		r->reply = NULL;
		FREE_AND_NULL(r->raw);
		r->status = 304;
	}
}

void
api_reply_raw_entity(struct api_req *r, int status, const char *text, size_t len, const char *etag)
{
	json_decref(r->reply);
	r->reply = NULL;
	FREE_AND_NULL(r->raw);
	r->status = status;
	util_strlcpy(r->etag, etag, sizeof(r->etag));
	if (not_modified(r, status)) {
		r->status = 304;
		return;
	}
	r->raw = malloc(len + 1);
	if (!r->raw) {
		api_reply_error(r, 503, NULL, "out of memory");
		return;
	}
	memcpy(r->raw, text, len);
	r->raw[len] = '\0';
	r->raw_len = len;
}

/*
 * Messages echo what the client sent (a path segment, a name): JSON strings must be valid
 * UTF-8, so every byte that does not start a valid sequence (or is a control character)
 * becomes '?'. In place; truncation in vsnprintf may have cut a sequence, which this also
 * repairs.
 */
static void
utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = 0;
		uint32_t cp = 0;
		if (*p < 0x20 || *p == 0x7f) {
			*p++ = '?';
			continue;
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
		}
		size_t i = 1;
		for (; n && i <= n && (p[i] & 0xc0) == 0x80; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		/* reject truncated, overlong, surrogate and out-of-range sequences */
		if (n == 0 || i != n + 1 || (n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

void
api_reply_error(struct api_req *r, int status, const char *field, const char *fmt, ...)
{
	char msg[512], fld[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	utf8_clean(msg);
	util_strlcpy(fld, field ? field : "", sizeof(fld));
	utf8_clean(fld);
	r->etag[0] = '\0';
	r->location[0] = '\0';
	FREE_AND_NULL(r->raw);
	api_reply_json(r, status,
		       json_pack("{s:s,s:s,s:s?}", "error", api_error_code(status), "message", msg,
				 "field", fld[0] ? fld : NULL));
}

void
api_reply_store_err(struct api_req *r, int rc, const struct pol_err *e, const char *what)
{
	const char *field = e && e->field[0] ? e->field : NULL;
	const char *msg = e && e->msg[0] ? e->msg : NULL;

	switch (rc) {
	case -EEXIST:
		if (field && (!msg || strcmp(msg, "already exists") == 0))
			api_reply_error(r, 409, field, "a %s with this %s already exists", what,
					field);
		else
			api_reply_error(r, 409, field, "%s: %s", what,
					msg ? msg : "already exists");
		break;
	case -ENOENT:
		api_reply_error(r, 404, field, "%s: %s", what, msg ? msg : "not found");
		break;
	case -EINVAL:
	case -ERANGE:
		/* the store reports on the row being written: only a collision is a conflict */
		api_reply_error(r, e ? api_err_status(e, true) : 400, field, "%s: %s", what,
				msg ? msg : "invalid value");
		break;
	case -EBUSY:
		r->retry_after_s = 1;
		api_reply_error(r, 503, NULL, "%s: policy store busy, retry", what);
		break;
	case -ENOMEM:
		api_reply_error(r, 503, NULL, "%s: out of memory", what);
		break;
	default:
		api_reply_error(r, 500, field, "%s: %s", what,
				msg ? msg : (rc < 0 ? strerror(-rc) : "store error"));
		break;
	}
}

const char *
api_query(struct api_req *r, const char *key)
{
	return r->query_fn ? r->query_fn(r, key) : NULL;
}

bool
api_if_match(struct api_req *r, const json_t *current)
{
	char etag[40];

	if (!r->if_match)
		return true;
	if (!current) {
		/* RFC 9110 13.1.1: If-Match fails when there is no current representation,
		 * except for "*" which also fails then. */
		api_reply_error(r, 412, NULL, "If-Match given but the resource does not exist");
		return false;
	}
	api_etag(current, etag);
	return api_if_match_etag(r, etag);
}

bool
api_if_match_etag(struct api_req *r, const char *etag)
{
	if (!r->if_match)
		return true;
	if (etag[0] && etag_in_list(r->if_match, etag))
		return true;
	api_reply_error(r, 412, NULL,
			"If-Match does not match the current ETag %s: the resource changed; "
			"fetch it again",
			etag);
	return false;
}

bool
api_fix_err(struct api_req *r, const struct pol_snap *snap, struct pol_err *e)
{
	char table[64], rest[160], name[POL_NAME_MAX], msg[sizeof(e->msg) + 320];
	const struct api_entity *ent = NULL;
	size_t tl = strcspn(e->field, ".[");
	const char *p = e->field + tl;
	/* when the row cannot be told, a write is taken to be about what it wrote */
	bool unknown = r->w_ent != NULL;

	if (tl == 0 || tl >= sizeof(table))
		return unknown;
	/* "pool": the address lists as a whole; the request wrote one "address" */
	if (*p == '\0' && r->w_ent && strcmp(r->w_ent->t->name, e->field) == 0) {
		util_strlcpy(e->field, "address", sizeof(e->field));
		return true;
	}
	memcpy(table, e->field, tl);
	table[tl] = '\0';
	if (*p == '.') {
		/* "hosts.fqdn": a constraint of the table being written */
		if (r->w_ent && strcmp(r->w_ent->t->sql_table, table) == 0) {
			util_strlcpy(rest, p + 1, sizeof(rest));
			util_strlcpy(e->field, rest, sizeof(e->field));
			return true;
		}
		return false;
	}
	if (*p != '[' || !snap)
		return unknown;
	char *end;
	unsigned long long idx = strtoull(p + 1, &end, 10);
	if (*end != ']')
		return unknown;
	util_strlcpy(rest, end[1] == '.' ? end + 2 : "", sizeof(rest));
	for (size_t i = 0; api_entities[i]; i++)
		if (strcmp(api_entities[i]->t->name, table) == 0)
			ent = api_entities[i];
	if (!ent || idx >= pol_table_count(ent->t, snap))
		return unknown;
	const void *row = pol_table_row(ent->t, snap, (size_t)idx);
	if (r->w_ent && strcmp(r->w_ent->t->name, table) == 0 && pol_row_id(row) == r->w_id) {
		util_strlcpy(e->field, rest, sizeof(e->field));
		return true;
	}
	/* Another row is affected (a delete leaving a host outside every zone): name it. */
	const char *n = pol_row_key(ent->t, row, name, sizeof(name));
	if (n)
		snprintf(msg, sizeof(msg), "%s '%s': %s", ent->kind, n, e->msg);
	else
		snprintf(msg, sizeof(msg), "%s %lld: %s", ent->kind, (long long)pol_row_id(row),
			 e->msg);
	util_strlcpy(e->msg, msg, sizeof(e->msg));
	return r->w_ent && written_parent(r, snap, ent, row);
}

/* True if row is the parent named in the path of a sub-resource write
 * (POST /hosts/{fqdn}/services: the validator reports the service under its host). */
static bool
written_parent(const struct api_req *r, const struct pol_snap *snap, const struct api_entity *ent,
	       const void *row)
{
	const struct api_entity *pe = r->m.route ? r->m.route->parent : NULL;
	const void *parent;

	if (pe == NULL || pe != ent || r->m.n_params < 1)
		return false;
	parent = api_entity_find(pe, snap, r->m.params[0], 0);
	return parent != NULL && pol_row_id(parent) == pol_row_id(row);
}

int
api_err_status(const struct pol_err *e, bool own)
{
	switch (e->kind) {
	case POL_ERR_CONFLICT:
		return 409;
	case POL_ERR_DANGLING:
		return own ? 400 : 409;
	case POL_ERR_INVALID:
		break;
	case POL_ERR_APPLY:
		return 500;
	case POL_ERR_FORBIDDEN:
		return 403;
	}
	return 400;
}
