/* SPDX-License-Identifier: MIT */
/* dns/wire.c -- DNS wire format: bounded name parsing, query parsing, response writer */
#include <errno.h>
#include <string.h>

#include "wire.h"

static int lower(int c);
static bool memcase_eq(const uint8_t *a, const uint8_t *b, size_t n);
static enum dns_parse name_walk(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out,
				size_t *outlen);
static enum dns_qerr parse_opt(const uint8_t *rd, size_t rdlen, struct dns_query *q);
static bool parse_ecs(const uint8_t *p, size_t n, struct dns_query *q);
static void parse_eci(const uint8_t *p, size_t n, struct dns_query *q);
static enum dns_qerr parse_additional(const uint8_t *pkt, size_t len, size_t off,
				      struct dns_query *q);

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static bool
memcase_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Shared by unpack and skip: out may be NULL. */
static enum dns_parse
name_walk(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out, size_t *outlen)
{
	size_t p = *off, wlen = 0, end = 0;
	size_t min_ptr = *off; /* pointers must go strictly below every position seen so far */
	unsigned ptrs = 0;
	bool jumped = false;

	for (;;) {
		if (p >= len)
			return DNS_PARSE_INVALID;
		uint8_t c = pkt[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return DNS_PARSE_INVALID;
			size_t target = ((size_t)(c & 0x3f) << 8) | pkt[p + 1];
			if (!jumped)
				end = p + 2;
			if (target >= min_ptr || ++ptrs > DNS_MAX_PTRS)
				return DNS_PARSE_INVALID;
			min_ptr = target;
			p = target;
			jumped = true;
			continue;
		}
		if (c & 0xc0)
			return DNS_PARSE_INVALID; /* 0x40 / 0x80: extended / reserved label types */
		if (p + 1 + c > len || wlen + 1 + c > DNS_NAME_MAX)
			return DNS_PARSE_INVALID;
		if (out)
			memcpy(out + wlen, pkt + p, 1 + (size_t)c);
		wlen += 1 + (size_t)c;
		p += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	*off = jumped ? end : p;
	if (outlen)
		*outlen = wlen;
	return DNS_PARSE_OK;
}

enum dns_parse
dns_name_unpack(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out, size_t *outlen)
{
	return name_walk(pkt, len, off, out, outlen);
}

enum dns_parse
dns_name_skip(const uint8_t *pkt, size_t len, size_t *off)
{
	return name_walk(pkt, len, off, NULL, NULL);
}

int
dns_name_from_str(const char *s, uint8_t *out, size_t outsz)
{
	size_t n = strlen(s), w = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '.')
			j++;
		size_t l = j - i;
		if (l == 0 || l > 63 || w + 1 + l + 1 > outsz || w + 1 + l + 1 > DNS_NAME_MAX)
			return -EINVAL;
		out[w++] = (uint8_t)l;
		for (size_t k = i; k < j; k++)
			out[w++] = (uint8_t)lower((unsigned char)s[k]);
		i = j + 1;
		if (j < n && i == n)
			return -EINVAL; /* "a..": empty last label */
	}
	if (w + 1 > outsz)
		return -EINVAL;
	out[w++] = 0;
	return (int)w;
}

int
dns_name_to_str(const uint8_t *name, char *out, size_t outsz)
{
	size_t w = 0;

	if (outsz == 0)
		return -ENOSPC;
	while (*name) {
		uint8_t l = *name++;
		if (w != 0) {
			if (w + 1 >= outsz)
				return -ENOSPC;
			out[w++] = '.';
		}
		for (uint8_t k = 0; k < l; k++, name++) {
			uint8_t c = *name;
			bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
			if (plain) {
				if (w + 1 >= outsz)
					return -ENOSPC;
				out[w++] = (char)c;
			} else {
				if (w + 4 >= outsz)
					return -ENOSPC;
				out[w++] = '\\';
				out[w++] = (char)('0' + c / 100);
				out[w++] = (char)('0' + (c / 10) % 10);
				out[w++] = (char)('0' + c % 10);
			}
		}
	}
	out[w] = '\0';
	return 0;
}

void
dns_name_lower(uint8_t *name)
{
	while (*name) {
		uint8_t l = *name++;
		for (uint8_t k = 0; k < l; k++, name++)
			*name = (uint8_t)lower(*name);
	}
}

size_t
dns_name_len(const uint8_t *name)
{
	size_t n = 0;

	while (name[n])
		n += 1 + (size_t)name[n];
	return n + 1;
}

bool
dns_name_eq(const uint8_t *a, const uint8_t *b)
{
	size_t la = dns_name_len(a);

	return la == dns_name_len(b) && memcase_eq(a, b, la);
}

bool
dns_name_is_below(const uint8_t *name, const uint8_t *ancestor)
{
	size_t ln = dns_name_len(name), la = dns_name_len(ancestor), p = 0;

	if (ln <= la)
		return false;
	/* Compare on label boundaries only: "xtest.zone" is not below "test.zone". */
	while (name[p] && ln - p > la)
		p += 1 + (size_t)name[p];
	return ln - p == la && memcase_eq(name + p, ancestor, la);
}

unsigned
dns_name_labels(const uint8_t *name, uint8_t *off)
{
	unsigned n = 0;
	size_t p = 0;

	while (name[p]) {
		if (off)
			off[n] = (uint8_t)p;
		n++;
		p += 1 + (size_t)name[p];
	}
	return n;
}

static bool
parse_ecs(const uint8_t *p, size_t n, struct dns_query *q)
{
	if (n < 4)
		return false;
	uint16_t fam = dns_get16(p);
	uint8_t src = p[2];
	size_t alen = ((size_t)src + 7) / 8;
	struct prefix pf;

	memset(&pf, 0, sizeof(pf));
	if (fam == 1) {
		if (src > 32)
			return false;
		pf.addr.family = AF_INET;
	} else if (fam == 2) {
		if (src > 128)
			return false;
		pf.addr.family = AF_INET6;
	} else {
		return false;
	}
	/* RFC 7871 7.1.2: exactly ceil(src/8) address bytes, no bits set past the prefix */
	if (n - 4 != alen)
		return false;
	memcpy(pf.addr.u.bytes, p + 4, alen);
	if (src % 8 && (p[4 + alen - 1] & (0xff >> (src % 8))))
		return false;
	pf.len = src;
	if (!q->has_ecs) {
		q->has_ecs = true;
		q->ecs = pf;
		q->ecs_family_code = (uint8_t)fam;
	}
	return true;
}

/* ECI is a private option of the original: malformed ones are ignored, not FORMERR. */
static void
parse_eci(const uint8_t *p, size_t n, struct dns_query *q)
{
	if (n < 2 || q->has_eci)
		return;
	uint16_t fam = dns_get16(p);
	if (fam == 1 && n == 10) {
		q->eci.family = AF_INET;
		memcpy(q->eci.u.bytes, p + 2, 4);
		q->has_eci = true;
	} else if (fam == 2 && n == 22) {
		q->eci.family = AF_INET6;
		memcpy(q->eci.u.bytes, p + 2, 16);
		q->has_eci = true;
	}
	if (q->has_eci) {
		/* protocol, then the original's "query_id" field: the requestor's source port */
		q->eci_proto = dns_get16(p + n - 4);
		q->eci_port = dns_get16(p + n - 2);
	}
}

static enum dns_qerr
parse_opt(const uint8_t *rd, size_t rdlen, struct dns_query *q)
{
	size_t p = 0;

	while (p < rdlen) {
		if (rdlen - p < 4)
			return DNS_QERR_FORMERR;
		uint16_t code = dns_get16(rd + p), olen = dns_get16(rd + p + 2);
		p += 4;
		if (olen > rdlen - p)
			return DNS_QERR_FORMERR;
		const uint8_t *o = rd + p;
		switch (code) {
		case DNS_OPT_COOKIE:
			/* RFC 7873 5.2.2: 8 (client only) or 16..40 bytes, else FORMERR */
			if (olen != DNS_COOKIE_CLIENT_LEN && (olen < 16 || olen > 40))
				return DNS_QERR_FORMERR;
			if (!q->has_cookie) {
				q->has_cookie = true;
				memcpy(q->cookie, o, olen);
				q->cookie_len = (uint8_t)olen;
			}
			break;
		case DNS_OPT_ECS:
			if (!parse_ecs(o, olen, q))
				return DNS_QERR_FORMERR;
			break;
		case DNS_OPT_ECI:
			parse_eci(o, olen, q);
			break;
		default:
			break; /* unknown options are ignored (RFC 6891 6.1.2) */
		}
		p += olen;
	}
	return DNS_QERR_NONE;
}

/* The additional section from off to the end: OPT (once, root owner), TSIG (last). */
static enum dns_qerr
parse_additional(const uint8_t *pkt, size_t len, size_t off, struct dns_query *q)
{
	for (unsigned i = 0; i < q->arcount; i++) {
		size_t owner = off;
		uint8_t name[DNS_NAME_MAX];
		size_t nlen;
		if (dns_name_unpack(pkt, len, &off, name, &nlen) != DNS_PARSE_OK)
			return DNS_QERR_FORMERR;
		if (len - off < 10)
			return DNS_QERR_FORMERR;
		uint16_t type = dns_get16(pkt + off), cls = dns_get16(pkt + off + 2);
		uint32_t ttl = dns_get32(pkt + off + 4);
		uint16_t rdlen = dns_get16(pkt + off + 8);
		off += 10;
		if (rdlen > len - off)
			return DNS_QERR_FORMERR;
		if (type == DNS_T_OPT) {
			if (q->has_opt || nlen != 1)
				return DNS_QERR_FORMERR; /* RFC 6891 6.1.1 */
			q->has_opt = true;
			q->edns_udp_size = cls < DNS_UDP_MIN ? DNS_UDP_MIN : cls;
			q->edns_version = (uint8_t)(ttl >> 16);
			q->edns_do = (ttl & 0x8000) != 0;
			enum dns_qerr e = parse_opt(pkt + off, rdlen, q);
			if (e != DNS_QERR_NONE)
				return e;
		} else if (type == DNS_T_TSIG) {
			if (i != q->arcount - 1u)
				return DNS_QERR_FORMERR; /* RFC 8945 5.1: TSIG must be last */
			q->has_tsig = true;
			q->tsig_off = owner;
		}
		off += rdlen;
	}
	if (off != len)
		return DNS_QERR_FORMERR; /* trailing garbage */
	return DNS_QERR_NONE;
}

enum dns_qerr
dns_query_parse(const uint8_t *pkt, size_t len, bool allow_update, struct dns_query *q)
{
	size_t off = DNS_HDR_LEN;
	enum dns_qerr late = DNS_QERR_NONE;

	memset(q, 0, offsetof(struct dns_query, qname));
	q->qname_len = 0;
	q->question_end = 0;
	q->has_opt = q->has_cookie = q->has_ecs = q->has_eci = q->has_tsig = false;
	q->edns_udp_size = 0;
	q->edns_version = 0;
	q->edns_do = false;
	q->cookie_len = 0;
	if (len < DNS_HDR_LEN)
		return DNS_QERR_DROP;
	q->id = dns_get16(pkt);
	q->flags = dns_get16(pkt + 2);
	q->qdcount = dns_get16(pkt + 4);
	q->ancount = dns_get16(pkt + 6);
	q->nscount = dns_get16(pkt + 8);
	q->arcount = dns_get16(pkt + 10);
	if (q->flags & DNS_F_QR)
		return DNS_QERR_DROP;
	unsigned op = DNS_OPCODE(q->flags);
	if (op != DNS_OP_QUERY && !(op == DNS_OP_UPDATE && allow_update))
		late = DNS_QERR_NOTIMP;
	if (q->qdcount == 0 && !late && q->ancount == 0 && q->nscount == 0 && q->arcount > 0) {
		/* RFC 7873 5.4: a query without a question that only carries a COOKIE */
		enum dns_qerr e = parse_additional(pkt, len, off, q);
		if (e == DNS_QERR_NONE && q->has_cookie && !(q->has_opt && q->edns_version > 0))
			return DNS_QERR_COOKIE_ONLY;
		q->has_opt = q->has_cookie = q->has_ecs = q->has_eci = false;
		return DNS_QERR_FORMERR_NOQ;
	}
	if (q->qdcount != 1)
		return late ? late : DNS_QERR_FORMERR_NOQ;
	/* The question name is never compressed in a sane query (nothing to point back to). */
	for (size_t p = off;;) {
		if (p >= len)
			return DNS_QERR_FORMERR_NOQ;
		uint8_t c = pkt[p];
		if (c & 0xc0)
			return DNS_QERR_FORMERR_NOQ;
		if (c == 0)
			break;
		p += 1 + (size_t)c;
	}
	if (dns_name_unpack(pkt, len, &off, q->qname_orig, &q->qname_len) != DNS_PARSE_OK)
		return DNS_QERR_FORMERR_NOQ;
	if (len - off < 4)
		return DNS_QERR_FORMERR_NOQ;
	memcpy(q->qname, q->qname_orig, q->qname_len);
	dns_name_lower(q->qname);
	q->qtype = dns_get16(pkt + off);
	q->qclass = dns_get16(pkt + off + 2);
	off += 4;
	q->question_end = off;
	if (late)
		return late;
	if (op == DNS_OP_UPDATE)
		return DNS_QERR_NONE; /* the DDNS code parses the other sections */
	if (q->ancount != 0 || q->nscount != 0)
		return DNS_QERR_FORMERR;
	enum dns_qerr e = parse_additional(pkt, len, off, q);
	if (e != DNS_QERR_NONE)
		return e;
	if (q->has_opt && q->edns_version > 0)
		return DNS_QERR_BADVERS;
	return DNS_QERR_NONE;
}

void
dns_wr_init(struct dns_wr *w, uint8_t *buf, size_t cap, size_t limit)
{
	w->buf = buf;
	w->cap = cap;
	w->limit = limit < cap ? limit : cap;
	w->pos = 0;
	w->overflow = false;
	w->n_names = 0;
}

static bool
wr_room(struct dns_wr *w, size_t n)
{
	if (w->overflow || w->pos + n > w->limit) {
		w->overflow = true;
		return false;
	}
	return true;
}

void
dns_wr_bytes(struct dns_wr *w, const void *p, size_t n)
{
	if (!wr_room(w, n))
		return;
	memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

void
dns_wr_u16(struct dns_wr *w, uint16_t v)
{
	if (!wr_room(w, 2))
		return;
	dns_put16(w->buf + w->pos, v);
	w->pos += 2;
}

void
dns_wr_u32(struct dns_wr *w, uint32_t v)
{
	if (!wr_room(w, 4))
		return;
	dns_put32(w->buf + w->pos, v);
	w->pos += 4;
}

void
dns_wr_ptr(struct dns_wr *w, uint16_t off)
{
	dns_wr_u16(w, (uint16_t)(0xc000 | off));
}

size_t
dns_wr_len_slot(struct dns_wr *w)
{
	size_t at = w->pos;

	dns_wr_u16(w, 0);
	return at;
}

void
dns_wr_patch_len(struct dns_wr *w, size_t slot)
{
	if (w->overflow)
		return;
	dns_put16(w->buf + slot, (uint16_t)(w->pos - slot - 2));
}

static void
remember(struct dns_wr *w, size_t off, size_t len)
{
	if (w->n_names < DNS_WR_NAMES && off < 0x3fff && len > 1) {
		w->names[w->n_names].off = (uint16_t)off;
		w->names[w->n_names].len = (uint8_t)len;
		w->n_names++;
	}
}

/*
 * Find the longest suffix of name (uncompressed) already present in buf as a literal run of
 * labels that can be pointed to. Only literal label runs are remembered, so a match is a plain
 * case-insensitive byte comparison on label boundaries.
 */
static bool
find_suffix(const struct dns_wr *w, const uint8_t *name, size_t nlen, size_t *name_off,
	    uint16_t *target)
{
	for (size_t j = 0; name[j]; j += 1 + (size_t)name[j]) {
		size_t slen = nlen - j;
		for (unsigned e = 0; e < w->n_names; e++) {
			const uint8_t *en = w->buf + w->names[e].off;
			size_t elen = w->names[e].len;
			/* walk the labels of the entry; the entry ends with the root byte */
			for (size_t k = 0; k < elen && en[k]; k += 1 + (size_t)en[k]) {
				if (elen - k == slen && memcase_eq(en + k, name + j, slen)) {
					*name_off = j;
					*target = (uint16_t)(w->names[e].off + k);
					return true;
				}
			}
		}
	}
	return false;
}

void
dns_wr_name(struct dns_wr *w, const uint8_t *name, bool compress)
{
	size_t nlen = dns_name_len(name), cut = nlen;
	uint16_t target = 0;
	size_t start = w->pos;

	if (compress && nlen > 1 && find_suffix(w, name, nlen, &cut, &target)) {
		dns_wr_bytes(w, name, cut);
		dns_wr_ptr(w, target);
		/* the literal prefix is not remembered: its suffix is not literal in buf */
		return;
	}
	dns_wr_bytes(w, name, nlen);
	if (!w->overflow)
		remember(w, start, nlen);
}

void
dns_wr_header(struct dns_wr *w, const uint8_t *pkt, const struct dns_query *q, bool with_question)
{
	uint8_t h[DNS_HDR_LEN];
	uint16_t flags = (uint16_t)(DNS_F_QR | (q->flags & (0x7800 | DNS_F_RD | DNS_F_CD)));

	dns_put16(h, q->id);
	dns_put16(h + 2, flags);
	dns_put16(h + 4, with_question ? 1 : 0);
	memset(h + 6, 0, 6);
	w->pos = 0;
	w->overflow = false;
	w->n_names = 0;
	dns_wr_bytes(w, h, sizeof(h));
	if (with_question && q->question_end > DNS_HDR_LEN) {
		dns_wr_bytes(w, pkt + DNS_HDR_LEN, q->question_end - DNS_HDR_LEN);
		if (!w->overflow)
			remember(w, DNS_HDR_LEN, q->qname_len);
	}
}

void
dns_wr_rewind(struct dns_wr *w, size_t mark)
{
	w->pos = mark;
	w->overflow = false;
	while (w->n_names > 0 && w->names[w->n_names - 1].off >= mark)
		w->n_names--;
}

void
dns_wr_set_count(struct dns_wr *w, unsigned section, uint16_t n)
{
	if (section < 4 && w->limit >= DNS_HDR_LEN)
		dns_put16(w->buf + 4 + 2 * section, n);
}

void
dns_wr_set_flags(struct dns_wr *w, uint16_t set, uint16_t clear)
{
	uint16_t f = dns_get16(w->buf + 2);

	f = (uint16_t)((f & ~clear) | set);
	dns_put16(w->buf + 2, f);
}

void
dns_wr_set_rcode(struct dns_wr *w, uint8_t rcode)
{
	uint16_t f = dns_get16(w->buf + 2);

	dns_put16(w->buf + 2, (uint16_t)((f & ~0xfu) | (rcode & 0xf)));
}
