/* SPDX-License-Identifier: MIT */
/* alg/pp.c -- PROXY protocol v1 and v2 headers (client address toward the backend) */
#include "pp.h"

#include <stdio.h>
#include <string.h>

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
