/* SPDX-License-Identifier: MIT */
/* alg/name.h -- parse result codes and hostname validation shared by the SNI and Host parsers */
#ifndef RGW_ALG_NAME_H
#define RGW_ALG_NAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Result of a hostname parser run over the bytes received so far. Parsers are pure: they
 * never consume bytes, keep no state between calls and may be re-run on a longer prefix.
 */
enum alg_parse {
	ALG_PARSE_FOUND = 0, /* a valid hostname was written to the caller's buffer */
	ALG_PARSE_NEED_MORE, /* the bytes so far are a valid prefix; read more */
	ALG_PARSE_INVALID,   /* malformed: no continuation can make it valid */
	ALG_PARSE_NO_NAME,   /* well formed but carries no routable name (no SNI, IP literal,
				   HTTP/1.0 without Host) */
	ALG_PARSE_TOO_BIG,   /* needs more than ALG_PARSE_MAX bytes */
};

/* At most this many bytes are inspected; a request that needs more is ALG_PARSE_TOO_BIG. */
#define ALG_PARSE_MAX 16384

/* Size of a hostname buffer: 253 characters and the NUL. */
#define ALG_NAME_MAX 254

/* "found", "need-more", "invalid", "no-name", "too-big". */
const char *alg_parse_name(enum alg_parse r);

/*
 * Validate and canonicalise a hostname of `len` bytes (not NUL-terminated): strip one
 * trailing dot, require labels of 1..63 characters in [A-Za-z0-9_-] (no '-' at either end of a
 * label), total <= 253, and lowercase it into out[ALG_NAME_MAX].
 * Returns ALG_PARSE_FOUND, ALG_PARSE_NO_NAME for an IPv4 literal (all-numeric last label),
 * or ALG_PARSE_INVALID. Pure; any thread.
 */
enum alg_parse alg_name_canon(const uint8_t *name, size_t len, char out[ALG_NAME_MAX]);

#endif
