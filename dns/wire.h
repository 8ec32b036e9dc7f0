/* SPDX-License-Identifier: MIT */
/* dns/wire.h -- DNS wire format: bounded name parsing, query parsing, response writer */
#ifndef RGW_DNS_WIRE_H
#define RGW_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"

/*
 * A small, allocation-free wire layer for the hot path (see docs/dns.md, "Why not ldns on the
 * hot path"). Every function is pure and bounded: names are at most DNS_NAME_MAX bytes in wire
 * form, compression pointers must point strictly backwards and at most DNS_MAX_PTRS pointers are
 * followed, so loops and huge labels are rejected. Thread-safe (no global state).
 */

#define DNS_HDR_LEN    12
#define DNS_NAME_MAX   255 /* wire form, root label included */
#define DNS_MAX_LABELS 128 /* a 255-byte name has at most 127 labels + root */
#define DNS_MAX_PTRS   32
#define DNS_UDP_MIN    512
#define DNS_TCP_MAX    65535

/* Header flags (host order, the 16 bits after the ID). */
#define DNS_F_QR      0x8000
#define DNS_F_AA      0x0400
#define DNS_F_TC      0x0200
#define DNS_F_RD      0x0100
#define DNS_F_RA      0x0080
#define DNS_F_AD      0x0020
#define DNS_F_CD      0x0010
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_RCODE(f)  ((f)&0xf)

enum dns_opcode {
	DNS_OP_QUERY = 0,
	DNS_OP_NOTIFY = 4,
	DNS_OP_UPDATE = 5,
};

enum dns_rcode {
	DNS_RC_NOERROR = 0,
	DNS_RC_FORMERR = 1,
	DNS_RC_SERVFAIL = 2,
	DNS_RC_NXDOMAIN = 3,
	DNS_RC_NOTIMP = 4,
	DNS_RC_REFUSED = 5,
	DNS_RC_YXDOMAIN = 6,
	DNS_RC_YXRRSET = 7,
	DNS_RC_NXRRSET = 8,
	DNS_RC_NOTAUTH = 9,
	DNS_RC_NOTZONE = 10,
	DNS_RC_BADVERS = 16, /* extended: upper 8 bits in OPT */
	DNS_RC_BADCOOKIE = 23,
};

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_OPT = 41,
	DNS_T_TSIG = 250,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
};

#define DNS_C_IN   1
#define DNS_C_NONE 254
#define DNS_C_ANY  255

/* EDNS option codes. */
#define DNS_OPT_ECS    8
#define DNS_OPT_COOKIE 10
#define DNS_OPT_EDE    15     /* RFC 8914 Extended DNS Errors */
#define DNS_OPT_ECI    0xFF01 /* the original RGW's "Extended Client Information" */

#define DNS_COOKIE_CLIENT_LEN 8
#define DNS_COOKIE_SERVER_LEN 16 /* RFC 9018: version, reserved(3), time(4), hash(8) */

enum dns_parse {
	DNS_PARSE_OK = 0,
	DNS_PARSE_NEED_MORE, /* not used by the datagram parsers; TCP framing */
	DNS_PARSE_INVALID,
};

/* Read a big-endian integer at p (caller checked bounds). */
static inline uint16_t
dns_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
dns_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void
dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Decode the (possibly compressed) name at pkt[*off] into out (uncompressed wire form, at least
 * DNS_NAME_MAX bytes), *outlen its length. *off is advanced past the name as it appears in the
 * message. Returns DNS_PARSE_OK or DNS_PARSE_INVALID (overrun, label > 63, name > 255, forward
 * or looping pointer, reserved label types).
 */
enum dns_parse dns_name_unpack(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out,
			       size_t *outlen);
/* Skip a name (compressed or not) without decoding: same checks, cheaper. */
enum dns_parse dns_name_skip(const uint8_t *pkt, size_t len, size_t *off);

/* Convert a presentation name ("a.b.c", "a.b.c." or "" / "." for the root) to lowercase wire
 * form. Returns the wire length, or -EINVAL. Escapes are not supported (policy names are LDH). */
int dns_name_from_str(const char *s, uint8_t *out, size_t outsz);
/* Convert a wire name to presentation form without the trailing dot ("" for the root). Labels
 * with characters outside [A-Za-z0-9_-] get \DDD escapes. Returns 0 or -ENOSPC. */
int dns_name_to_str(const uint8_t *name, char *out, size_t outsz);
/* Lowercase a wire name in place (ASCII only). */
void dns_name_lower(uint8_t *name);
/* Wire length of an uncompressed, validated name. */
size_t dns_name_len(const uint8_t *name);
/* Case-insensitive equality of two uncompressed names. */
bool dns_name_eq(const uint8_t *a, const uint8_t *b);
/* True when name is strictly below ancestor (a proper subdomain: at least one more label),
 * case-insensitively. Every name is below the root; no name is below itself. */
bool dns_name_is_below(const uint8_t *name, const uint8_t *ancestor);
/* Number of labels (root excluded); fills off[] with the offset of each label when not NULL. */
unsigned dns_name_labels(const uint8_t *name, uint8_t *off);

/*
 * A parsed query. The qname keeps the client's spelling (0x20) in qname_orig; qname is
 * lowercased. The question occupies pkt[DNS_HDR_LEN, question_end).
 */
struct dns_query {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount, ancount, nscount, arcount;
	uint16_t qtype, qclass;
	uint8_t qname[DNS_NAME_MAX];
	uint8_t qname_orig[DNS_NAME_MAX];
	size_t qname_len;
	size_t question_end;

	/* EDNS */
	bool has_opt;
	uint8_t edns_version;
	bool edns_do;
	uint16_t edns_udp_size;
	/* cookies (RFC 7873) */
	bool has_cookie;
	uint8_t cookie[40]; /* client cookie (8) + server cookie (0 or 8..32) */
	uint8_t cookie_len;
	/* client subnet (ECS, RFC 7871) and, from a parent gateway, the real resolver (ECI) */
	bool has_ecs;
	struct prefix ecs;
	uint8_t ecs_family_code; /* 1 or 2, echoed */
	bool has_eci;
	struct addr eci;
	uint16_t eci_proto; /* 6 or 17 (the transport the requestor used) */
	uint16_t eci_port;  /* the requestor's source port (the original's query_id field) */
	/* TSIG present (last additional record); offset of its owner name */
	bool has_tsig;
	size_t tsig_off;
};

/* Why a datagram could not be taken as a query. */
enum dns_qerr {
	DNS_QERR_NONE = 0,
	DNS_QERR_DROP,	      /* too short for a header, or a response: never answer */
	DNS_QERR_FORMERR,     /* answer FORMERR (question echoed if it parsed) */
	DNS_QERR_FORMERR_NOQ, /* answer FORMERR without a question */
	DNS_QERR_NOTIMP,      /* opcode we do not serve */
	DNS_QERR_BADVERS,     /* EDNS version > 0 */
	DNS_QERR_COOKIE_ONLY, /* no question, only a COOKIE option (RFC 7873 5.4) */
};

/*
 * Parse a query datagram: header, exactly one question, no answer/authority records, at most
 * one OPT (root owner) in the additional section, TSIG allowed last, no trailing bytes.
 * allow_update: opcode UPDATE is accepted (the DDNS listener parses its sections itself; for
 * UPDATE only the header and zone section are checked here).
 * Returns DNS_QERR_NONE with q filled, or the reason (q holds what could be parsed; EDNS fields
 * are valid when has_opt, so errors can still carry an OPT).
 */
enum dns_qerr dns_query_parse(const uint8_t *pkt, size_t len, bool allow_update,
			      struct dns_query *q);

/*
 * Response writer over a caller buffer. `limit` is the size budget (512, the EDNS size or
 * 65535); `reserve` bytes at the end are kept for the OPT record. Names are compressed
 * against names written before (a small table), owner names may point to the question.
 */
#define DNS_WR_NAMES 16
struct dns_wr {
	uint8_t *buf;
	size_t cap;   /* physical size of buf */
	size_t limit; /* budget for everything except the reserved OPT space */
	size_t pos;
	bool overflow; /* a write did not fit */
	unsigned n_names;
	struct {
		uint16_t off; /* where the uncompressed name starts in buf */
		uint8_t len;  /* its length */
	} names[DNS_WR_NAMES];
};

void dns_wr_init(struct dns_wr *w, uint8_t *buf, size_t cap, size_t limit);
/* Copy the header and question of q from the query packet; sets QR, copies RD/CD, clears
 * counts. The question name is remembered for compression (the client's spelling). */
void dns_wr_header(struct dns_wr *w, const uint8_t *pkt, const struct dns_query *q,
		   bool with_question);
/* Write a name (uncompressed wire input) with compression when `compress`. */
void dns_wr_name(struct dns_wr *w, const uint8_t *name, bool compress);
void dns_wr_u16(struct dns_wr *w, uint16_t v);
void dns_wr_u32(struct dns_wr *w, uint32_t v);
void dns_wr_bytes(struct dns_wr *w, const void *p, size_t n);
/* Reserve a 16-bit length slot; returns its position (patch with dns_wr_patch_len). */
size_t dns_wr_len_slot(struct dns_wr *w);
void dns_wr_patch_len(struct dns_wr *w, size_t slot);
/* Write a pointer to an offset (e.g. 12: the question name). */
void dns_wr_ptr(struct dns_wr *w, uint16_t off);
/* Rewind to a mark taken with w->pos: forget compression entries past it, clear overflow. */
void dns_wr_rewind(struct dns_wr *w, size_t mark);
/* Header count fields. */
void dns_wr_set_count(struct dns_wr *w, unsigned section, uint16_t n);
void dns_wr_set_flags(struct dns_wr *w, uint16_t set, uint16_t clear);
void dns_wr_set_rcode(struct dns_wr *w, uint8_t rcode);

#endif
