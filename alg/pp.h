/* SPDX-License-Identifier: MIT */
/* alg/pp.h -- PROXY protocol v1 and v2 headers (client address toward the backend) */
#ifndef RGW_ALG_PP_H
#define RGW_ALG_PP_H

#include <stddef.h>
#include <stdint.h>

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

#endif
