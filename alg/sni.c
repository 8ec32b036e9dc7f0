/* SPDX-License-Identifier: MIT */
/* alg/sni.c -- TLS ClientHello server_name (SNI) parser */
#include "sni.h"

#include <stdbool.h>
#include <string.h>

#define TLS_RECORD_HEADER   5
#define TLS_CT_HANDSHAKE    0x16
#define TLS_CT_ALERT	    0x15
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_HEADER	    4
#define TLS_MAX_FRAGMENT    16384
#define TLS_EXT_SERVER_NAME 0
#define TLS_SNI_HOST_NAME   0

/* A bounded reader over the ClientHello body: every read checks what is left. */
struct rd {
	const uint8_t *p;
	size_t left;
};

static bool rd_u8(struct rd *r, size_t *out);
static bool rd_u16(struct rd *r, size_t *out);
static bool rd_skip(struct rd *r, size_t n);
static bool rd_sub(struct rd *r, size_t n, struct rd *sub);
static enum alg_parse parse_server_name(struct rd *ext, char name[ALG_NAME_MAX]);
static enum alg_parse parse_hello(const uint8_t *body, size_t len, char name[ALG_NAME_MAX]);

static bool
rd_u8(struct rd *r, size_t *out)
{
	if (r->left < 1)
		return false;
	*out = r->p[0];
	r->p++;
	r->left--;
	return true;
}

static bool
rd_u16(struct rd *r, size_t *out)
{
	if (r->left < 2)
		return false;
	*out = (size_t)r->p[0] << 8 | r->p[1];
	r->p += 2;
	r->left -= 2;
	return true;
}

static bool
rd_skip(struct rd *r, size_t n)
{
	if (r->left < n)
		return false;
	r->p += n;
	r->left -= n;
	return true;
}

static bool
rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (r->left < n)
		return false;
	sub->p = r->p;
	sub->left = n;
	r->p += n;
	r->left -= n;
	return true;
}

/* RFC 6066 3: ServerNameList, at least one entry, one name per name_type. */
static enum alg_parse
parse_server_name(struct rd *ext, char name[ALG_NAME_MAX])
{
	struct rd list, entry;
	size_t list_len, type, n;
	bool have_host = false;
	enum alg_parse res = ALG_PARSE_NO_NAME;

	if (!rd_u16(ext, &list_len) || list_len != ext->left || list_len == 0)
		return ALG_PARSE_INVALID;
	rd_sub(ext, list_len, &list);
	while (list.left > 0) {
		if (!rd_u8(&list, &type) || !rd_u16(&list, &n) || !rd_sub(&list, n, &entry))
			return ALG_PARSE_INVALID;
		if (type != TLS_SNI_HOST_NAME)
			continue;
		if (have_host)
			return ALG_PARSE_INVALID;
		have_host = true;
		res = alg_name_canon(entry.p, n, name);
		if (res == ALG_PARSE_INVALID)
			return res;
	}
	return res;
}

/* body: the ClientHello body (after the 4-byte handshake header), complete. */
static enum alg_parse
parse_hello(const uint8_t *body, size_t len, char name[ALG_NAME_MAX])
{
	struct rd r = { body, len }, exts, ext;
	size_t major, minor, n, type, ext_len;
	bool seen_sni = false;
	enum alg_parse res = ALG_PARSE_NO_NAME, sni;

	if (!rd_u8(&r, &major) || !rd_u8(&r, &minor) || major != 3)
		return ALG_PARSE_INVALID;
	if (!rd_skip(&r, 32)) /* random */
		return ALG_PARSE_INVALID;
	if (!rd_u8(&r, &n) || n > 32 || !rd_skip(&r, n)) /* legacy_session_id */
		return ALG_PARSE_INVALID;
	if (!rd_u16(&r, &n) || n < 2 || n % 2 != 0 || !rd_skip(&r, n)) /* cipher_suites */
		return ALG_PARSE_INVALID;
	if (!rd_u8(&r, &n) || n < 1 || !rd_skip(&r, n)) /* compression_methods */
		return ALG_PARSE_INVALID;
	if (r.left == 0) /* SSL 3.0 / TLS 1.0 without extensions */
		return ALG_PARSE_NO_NAME;
	if (!rd_u16(&r, &n) || n != r.left)
		return ALG_PARSE_INVALID;
	rd_sub(&r, n, &exts);
	/* Walk every extension, even after the SNI, so that a bad length anywhere is caught. */
	while (exts.left > 0) {
		if (!rd_u16(&exts, &type) || !rd_u16(&exts, &ext_len) ||
		    !rd_sub(&exts, ext_len, &ext))
			return ALG_PARSE_INVALID;
		if (type != TLS_EXT_SERVER_NAME)
			continue;
		if (seen_sni)
			return ALG_PARSE_INVALID;
		seen_sni = true;
		sni = parse_server_name(&ext, name);
		if (sni == ALG_PARSE_INVALID)
			return sni;
		res = sni;
	}
	return res;
}

enum alg_parse
alg_sni_parse(const uint8_t *data, size_t len, char name[ALG_NAME_MAX])
{
	/* Scratch for a ClientHello spread over several records; the common case (the whole
	 * ClientHello in the first record) is parsed in place. */
	uint8_t hs[ALG_PARSE_MAX];
	const uint8_t *first = NULL, *h;
	size_t off = 0, have = 0, need = 0, rec_len, take, body;

	while (need == 0 || have < need) {
		if (off + TLS_RECORD_HEADER > len) {
			/* What we have of a record header must already look right. */
			if (off < len && data[off] != TLS_CT_HANDSHAKE)
				return ALG_PARSE_INVALID;
			if (off + 1 < len && data[off + 1] != 3)
				return ALG_PARSE_INVALID;
			if (off + 2 < len && data[off + 2] > 4)
				return ALG_PARSE_INVALID;
			goto need_more;
		}
		if (data[off] != TLS_CT_HANDSHAKE || data[off + 1] != 3 || data[off + 2] > 4)
			return ALG_PARSE_INVALID;
		rec_len = (size_t)data[off + 3] << 8 | data[off + 4];
		/* RFC 8446 5.1: no zero-length handshake fragments; 2^14 bytes at most. */
		if (rec_len == 0 || rec_len > TLS_MAX_FRAGMENT)
			return ALG_PARSE_INVALID;
		off += TLS_RECORD_HEADER;
		/* Gate on the record length: a partial record is never parsed. */
		if (off + rec_len > len)
			goto need_more;
		take = rec_len;
		if (need > 0 && have + take > need)
			take = need - have; /* bytes after the ClientHello are not ours */
		if (have == 0) {
			first = data + off;
			have = take;
		} else {
			if (first != NULL) {
				memcpy(hs, first, have);
				first = NULL;
			}
			if (have + take > sizeof(hs))
				return ALG_PARSE_TOO_BIG;
			memcpy(hs + have, data + off, take);
			have += take;
		}
		off += rec_len;
		if (need == 0 && have >= TLS_HS_HEADER) {
			h = first != NULL ? first : hs;
			if (h[0] != TLS_HS_CLIENT_HELLO)
				return ALG_PARSE_INVALID;
			body = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
			if (body + TLS_HS_HEADER + TLS_RECORD_HEADER > ALG_PARSE_MAX)
				return ALG_PARSE_TOO_BIG;
			need = body + TLS_HS_HEADER;
			if (have > need)
				have = need;
		}
	}
	h = first != NULL ? first : hs;
	return parse_hello(h + TLS_HS_HEADER, need - TLS_HS_HEADER, name);
need_more:
	if (len >= ALG_PARSE_MAX)
		return ALG_PARSE_TOO_BIG;
	return ALG_PARSE_NEED_MORE;
}

size_t
alg_tls_alert(enum alg_tls_alert desc, uint8_t out[7])
{
	out[0] = TLS_CT_ALERT;
	out[1] = 3;
	out[2] = 3;
	out[3] = 0;
	out[4] = 2;
	out[5] = 2; /* fatal */
	out[6] = (uint8_t)desc;
	return 7;
}
