/* SPDX-License-Identifier: MIT */
/* alg/http_host.c -- HTTP/1.x request line and Host header parser */
#include "http_host.h"

#include <stdbool.h>
#include <string.h>

/* A line: [p, p + len) without its terminator. */
struct line {
	const uint8_t *p;
	size_t len;
};

static bool is_tchar(uint8_t c);
static size_t next_line(const uint8_t *data, size_t len, size_t off, struct line *out, bool *bad);
static enum alg_parse parse_authority(const uint8_t *p, size_t len, char name[ALG_NAME_MAX]);
static enum alg_parse parse_request_line(const struct line *l, bool *http10, bool *absolute,
					 char name[ALG_NAME_MAX]);

/* RFC 9110 5.6.2 token characters. */
static bool
is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * Find the line starting at off. Returns the offset after its terminator (CRLF or LF), or 0
 * when no terminator has arrived yet. A CR not followed by LF sets *bad.
 */
static size_t
next_line(const uint8_t *data, size_t len, size_t off, struct line *out, bool *bad)
{
	const uint8_t *lf = memchr(data + off, '\n', len - off);
	size_t end;

	if (lf == NULL) {
		/* a bare CR anywhere but at the very end can never become a line end */
		const uint8_t *cr = memchr(data + off, '\r', len - off);

		if (cr != NULL && cr != data + len - 1)
			*bad = true;
		return 0;
	}
	end = (size_t)(lf - data);
	out->p = data + off;
	out->len = end - off;
	if (out->len > 0 && out->p[out->len - 1] == '\r')
		out->len--;
	if (memchr(out->p, '\r', out->len) != NULL)
		*bad = true;
	return end + 1;
}

/* host [":" port], host = reg-name | IPv4 | "[" IPv6 "]". */
static enum alg_parse
parse_authority(const uint8_t *p, size_t len, char name[ALG_NAME_MAX])
{
	size_t i, host_len = len;

	if (len == 0)
		return ALG_PARSE_NO_NAME;
	if (p[0] == '[') {
		const uint8_t *close = memchr(p, ']', len);

		if (close == NULL)
			return ALG_PARSE_INVALID;
		for (i = 1; p + i < close; i++) {
			uint8_t c = p[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			      (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
				return ALG_PARSE_INVALID;
		}
		i = (size_t)(close - p) + 1;
		if (i < len && p[i] != ':')
			return ALG_PARSE_INVALID;
		host_len = i;
	} else {
		const uint8_t *colon = memchr(p, ':', len);

		if (colon != NULL)
			host_len = (size_t)(colon - p);
	}
	if (host_len < len) {
		/* ":" port, port = *DIGIT (RFC 3986: may be empty) */
		if (len - host_len - 1 > 5)
			return ALG_PARSE_INVALID;
		for (i = host_len + 1; i < len; i++)
			if (p[i] < '0' || p[i] > '9')
				return ALG_PARSE_INVALID;
	}
	if (p[0] == '[')
		return ALG_PARSE_NO_NAME;
	return alg_name_canon(p, host_len, name);
}

/* method SP request-target SP HTTP-version */
static enum alg_parse
parse_request_line(const struct line *l, bool *http10, bool *absolute, char name[ALG_NAME_MAX])
{
	size_t i = 0, t0, t1, n;
	const uint8_t *v;

	while (i < l->len && is_tchar(l->p[i]))
		i++;
	if (i == 0 || i >= l->len || l->p[i] != ' ')
		return ALG_PARSE_INVALID;
	t0 = ++i;
	while (i < l->len && l->p[i] > 0x20 && l->p[i] < 0x7f)
		i++;
	t1 = i;
	if (t1 == t0 || i >= l->len || l->p[i] != ' ')
		return ALG_PARSE_INVALID;
	v = l->p + i + 1;
	n = l->len - i - 1;
	if (n != 8 || memcmp(v, "HTTP/1.", 7) != 0 || v[7] < '0' || v[7] > '9')
		return ALG_PARSE_INVALID;
	*http10 = v[7] == '0';
	*absolute = false;
	/* absolute-form: scheme "://" authority [path]; RFC 9112 3.2.2: it wins over Host. */
	n = t1 - t0;
	v = l->p + t0;
	if ((n > 7 && strncasecmp((const char *)v, "http://", 7) == 0) ||
	    (n > 8 && strncasecmp((const char *)v, "https://", 8) == 0)) {
		size_t a0 = v[4] == ':' ? 7 : 8, a1 = a0;

		while (a1 < n && v[a1] != '/' && v[a1] != '?' && v[a1] != '#')
			a1++;
		if (memchr(v + a0, '@', a1 - a0) != NULL) /* userinfo is deprecated: refuse */
			return ALG_PARSE_INVALID;
		*absolute = true;
		return parse_authority(v + a0, a1 - a0, name);
	}
	return ALG_PARSE_FOUND;
}

enum alg_parse
alg_http_host_parse(const uint8_t *data, size_t len, char name[ALG_NAME_MAX])
{
	struct line l;
	size_t off = 0, next, i;
	bool bad = false, http10 = false, absolute = false, host_seen = false;
	bool prev_was_host = false, header_seen = false;
	enum alg_parse res = ALG_PARSE_NO_NAME, r;
	char host_name[ALG_NAME_MAX];

	if (len > ALG_PARSE_MAX)
		len = ALG_PARSE_MAX;
	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (off < len && (data[off] == '\r' || data[off] == '\n')) {
		if (data[off] == '\r' && off + 1 < len && data[off + 1] != '\n')
			return ALG_PARSE_INVALID;
		off++;
	}
	/* Fail fast on what is already there: the method must be a token. */
	for (i = off; i < len && data[i] != ' '; i++)
		if (!is_tchar(data[i]))
			return ALG_PARSE_INVALID;
	next = next_line(data, len, off, &l, &bad);
	if (bad)
		return ALG_PARSE_INVALID;
	if (next == 0)
		goto need_more;
	r = parse_request_line(&l, &http10, &absolute, name);
	if (r == ALG_PARSE_INVALID)
		return r;
	if (absolute)
		res = r;
	off = next;
	for (;;) {
		next = next_line(data, len, off, &l, &bad);
		if (bad)
			return ALG_PARSE_INVALID;
		if (next == 0)
			goto need_more;
		off = next;
		if (l.len == 0)
			break; /* end of the header section */
		if (l.p[0] == ' ' || l.p[0] == '\t') {
			/* obs-fold: tolerated in other fields, never in Host or before any field */
			if (!header_seen || prev_was_host)
				return ALG_PARSE_INVALID;
			for (i = 0; i < l.len; i++)
				if ((l.p[i] < 0x20 && l.p[i] != '\t') || l.p[i] == 0x7f)
					return ALG_PARSE_INVALID;
			continue;
		}
		for (i = 0; i < l.len && is_tchar(l.p[i]); i++)
			;
		/* RFC 9112 5.1: no whitespace between field name and colon */
		if (i == 0 || i >= l.len || l.p[i] != ':')
			return ALG_PARSE_INVALID;
		header_seen = true;
		prev_was_host = i == 4 && strncasecmp((const char *)l.p, "host", 4) == 0;
		{
			size_t v0 = i + 1, v1 = l.len;

			for (i = v0; i < v1; i++)
				if ((l.p[i] < 0x20 && l.p[i] != '\t') || l.p[i] == 0x7f)
					return ALG_PARSE_INVALID;
			if (!prev_was_host)
				continue;
			if (host_seen)
				return ALG_PARSE_INVALID; /* RFC 9112 3.2: exactly one Host */
			host_seen = true;
			while (v0 < v1 && (l.p[v0] == ' ' || l.p[v0] == '\t'))
				v0++;
			while (v1 > v0 && (l.p[v1 - 1] == ' ' || l.p[v1 - 1] == '\t'))
				v1--;
			r = parse_authority(l.p + v0, v1 - v0, host_name);
			if (r == ALG_PARSE_INVALID)
				return r;
			if (!absolute) {
				res = r;
				if (r == ALG_PARSE_FOUND)
					memcpy(name, host_name, sizeof(host_name));
			}
		}
	}
	if (!host_seen && !http10 && !absolute)
		return ALG_PARSE_INVALID; /* RFC 9112 3.2: HTTP/1.1 requires Host */
	return res;
need_more:
	if (len >= ALG_PARSE_MAX)
		return ALG_PARSE_TOO_BIG;
	return ALG_PARSE_NEED_MORE;
}
