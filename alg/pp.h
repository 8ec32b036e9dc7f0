/* SPDX-License-Identifier: MIT */
/* alg/pp.h -- PROXY protocol v1 and v2 headers (client address toward the backend) */
#ifndef RGW_ALG_PP_H
#define RGW_ALG_PP_H

#include <stddef.h>
#include <stdint.h>

#include "alg/name.h"
#include "common/addr.h"

/* Longest header: v1 "PROXY TCP6 <46> <46> 65535 65535\r\n" is 104 bytes; v2 is 52. */
#define ALG_PP_MAX 108

/*
 * Write a PROXY protocol header for a TCP connection from src:sport to dst:dport (both the
 * same family). version 1 (text) or 2 (binary). Returns the length, or 0 if the families
 * differ or are not IPv4/IPv6. Pure; any thread.
 */
size_t alg_pp_header(int version, const struct addr *src, uint16_t sport, const struct addr *dst,
		     uint16_t dport, uint8_t out[ALG_PP_MAX]);

/* What a received PROXY header says. Family 0: a LOCAL (v2) or UNKNOWN (v1) connection, no
 * client address (a health check). */
struct alg_pp_info {
	struct addr src, dst;
	uint16_t sport, dport;
};

/*
 * Parse a PROXY protocol header (v1 text or v2 binary, either at the first byte) that a parent
 * gateway's ALG put before the client's bytes. Bounded, never reads past len, stateless:
 * re-run it on the whole buffer as bytes arrive. Returns ALG_PARSE_FOUND with *hlen (the
 * header's length: the client's bytes start there) and *out; ALG_PARSE_NEED_MORE for a valid
 * prefix; ALG_PARSE_INVALID (not a PROXY header, a bad field, a v1 line over 107 bytes, a v2
 * header over 536 bytes, a v2 address family or transport other than TCP over IPv4/IPv6).
 * Pure; any thread.
 */
enum alg_parse alg_pp_parse(const uint8_t *p, size_t len, size_t *hlen, struct alg_pp_info *out);

#endif
