/* SPDX-License-Identifier: MIT */
/* alg/pp.c -- PROXY protocol v1 and v2 headers (client address toward the backend) */
#include "pp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PP1_MAX 107 /* "PROXY TCP6 " + 2 x 39 + 2 x 5 + 4 spaces + CRLF (the spec's bound) */
#define PP2_MAX (16 + 520)

static enum alg_parse pp1_parse(const uint8_t *p, size_t len, size_t *hlen,
				struct alg_pp_info *out);
static enum alg_parse pp2_parse(const uint8_t *p, size_t len, size_t *hlen,
				struct alg_pp_info *out);
static bool pp1_port(const char *s, uint16_t *out);

static const uint8_t pp2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				     0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

size_t
alg_pp_header(int version, const struct addr *src, uint16_t sport, const struct addr *dst,
	      uint16_t dport, uint8_t out[ALG_PP_MAX])
{
	size_t alen, n;

	if (src->family != dst->family || (src->family != AF_INET && src->family != AF_INET6))
		return 0;
	alen = src->family == AF_INET ? 4 : 16;
	if (version == 1) {
		char s[ADDR_STRLEN], d[ADDR_STRLEN];
		int len;

		addr_ntop(src, s, sizeof(s));
		addr_ntop(dst, d, sizeof(d));
		len = snprintf((char *)out, ALG_PP_MAX, "PROXY %s %s %s %u %u\r\n",
			       src->family == AF_INET ? "TCP4" : "TCP6", s, d, sport, dport);
		return len > 0 && len < ALG_PP_MAX ? (size_t)len : 0;
	}
	memcpy(out, pp2_sig, sizeof(pp2_sig));
	out[12] = 0x21;					/* version 2, PROXY command */
	out[13] = src->family == AF_INET ? 0x11 : 0x21; /* TCP over IPv4 / IPv6 */
	n = 2 * alen + 4;
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
	memcpy(out + 16, src->u.bytes, alen);
	memcpy(out + 16 + alen, dst->u.bytes, alen);
	out[16 + 2 * alen] = (uint8_t)(sport >> 8);
	out[17 + 2 * alen] = (uint8_t)sport;
	out[18 + 2 * alen] = (uint8_t)(dport >> 8);
	out[19 + 2 * alen] = (uint8_t)dport;
	return 16 + n;
}

/* A decimal port 0..65535 without a sign or leading zeros (the v1 grammar). */
static bool
pp1_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 5)
		return false;
	for (const char *c = s; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static enum alg_parse
pp1_parse(const uint8_t *p, size_t len, size_t *hlen, struct alg_pp_info *out)
{
	char line[PP1_MAX + 1], *f[6], *save = NULL;
	size_t n = 0, i;

	/* the line ends at CRLF within 107 bytes */
	for (i = 0; i < len && i < PP1_MAX; i++)
		if (p[i] == '\n')
			break;
	if (i == len)
		return len < PP1_MAX ? ALG_PARSE_NEED_MORE : ALG_PARSE_INVALID;
	if (i == PP1_MAX || i == 0 || p[i - 1] != '\r')
		return ALG_PARSE_INVALID;
	memcpy(line, p, i - 1);
	line[i - 1] = '\0';
	for (char *t = strtok_r(line, " ", &save); t != NULL && n < 6;
	     t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n < 2 || strcmp(f[0], "PROXY") != 0)
		return ALG_PARSE_INVALID;
	memset(out, 0, sizeof(*out));
	*hlen = i + 1;
	if (strcmp(f[1], "UNKNOWN") == 0)
		return ALG_PARSE_FOUND; /* the rest of the line is to be ignored */
	if (n != 6 || (strcmp(f[1], "TCP4") != 0 && strcmp(f[1], "TCP6") != 0) ||
	    addr_parse(f[2], &out->src) != 0 || addr_parse(f[3], &out->dst) != 0 ||
	    !pp1_port(f[4], &out->sport) || !pp1_port(f[5], &out->dport) ||
	    out->src.family != (f[1][3] == '4' ? AF_INET : AF_INET6) ||
	    out->dst.family != out->src.family)
		return ALG_PARSE_INVALID;
	return ALG_PARSE_FOUND;
}

static enum alg_parse
pp2_parse(const uint8_t *p, size_t len, size_t *hlen, struct alg_pp_info *out)
{
	size_t n, alen;

	if (len < 16)
		return ALG_PARSE_NEED_MORE;
	if ((p[12] >> 4) != 2 || (p[12] & 0xf) > 1)
		return ALG_PARSE_INVALID; /* version 2; LOCAL (0) or PROXY (1) */
	n = ((size_t)p[14] << 8) | p[15];
	if (16 + n > PP2_MAX)
		return ALG_PARSE_INVALID;
	if (len < 16 + n)
		return ALG_PARSE_NEED_MORE;
	memset(out, 0, sizeof(*out));
	*hlen = 16 + n;
	if ((p[12] & 0xf) == 0)
		return ALG_PARSE_FOUND; /* LOCAL: the parent itself (a health check) */
	switch (p[13]) {
	case 0x11: /* TCP over IPv4 */
		out->src.family = out->dst.family = AF_INET;
		alen = 4;
		break;
	case 0x21: /* TCP over IPv6 */
		out->src.family = out->dst.family = AF_INET6;
		alen = 16;
		break;
	default:
		return ALG_PARSE_INVALID;
	}
	if (n < 2 * alen + 4)
		return ALG_PARSE_INVALID;
	/* TLVs after the addresses are skipped (their lengths are the header's business) */
	memcpy(out->src.u.bytes, p + 16, alen);
	memcpy(out->dst.u.bytes, p + 16 + alen, alen);
	out->sport = (uint16_t)((p[16 + 2 * alen] << 8) | p[17 + 2 * alen]);
	out->dport = (uint16_t)((p[18 + 2 * alen] << 8) | p[19 + 2 * alen]);
	return ALG_PARSE_FOUND;
}

enum alg_parse
alg_pp_parse(const uint8_t *p, size_t len, size_t *hlen, struct alg_pp_info *out)
{
	static const char v1[] = "PROXY ";
	size_t k;

	if (len == 0)
		return ALG_PARSE_NEED_MORE;
	if (p[0] == pp2_sig[0]) {
		k = len < sizeof(pp2_sig) ? len : sizeof(pp2_sig);
		if (memcmp(p, pp2_sig, k) != 0)
			return ALG_PARSE_INVALID;
		return pp2_parse(p, len, hlen, out);
	}
	k = len < sizeof(v1) - 1 ? len : sizeof(v1) - 1;
	if (memcmp(p, v1, k) != 0)
		return ALG_PARSE_INVALID;
	return pp1_parse(p, len, hlen, out);
}
