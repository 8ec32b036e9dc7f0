/* SPDX-License-Identifier: MIT */
/* alg/http_host.h -- HTTP/1.x request line and Host header parser */
#ifndef RGW_ALG_HTTP_HOST_H
#define RGW_ALG_HTTP_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"

/*
 * Find the target host of an HTTP/1.x request in the first `len` bytes a client sent.
 * Stateless and idempotent: call it again on the whole buffer after every read. Nothing is
 * decided before the whole header section (up to the empty line) has arrived, so duplicate
 * Host headers are seen. Rules (RFC 9110 / RFC 9112):
 *   - request line "method SP request-target SP HTTP/1.x", CRLF or bare LF line ends; empty
 *     lines before the request line are skipped;
 *   - an absolute-form target ("http://name:port/...") wins over the Host header;
 *   - the Host field name is case-insensitive; its value has OWS trimmed and an optional
 *     ":port" stripped; a bracketed IPv6 literal or an IPv4 literal is ALG_PARSE_NO_NAME;
 *   - two Host fields, a Host field folded over lines (obs-fold), whitespace before a colon,
 *     control characters, or HTTP/1.1 without Host are ALG_PARSE_INVALID;
 *   - HTTP/1.0 without Host, or an empty Host value, is ALG_PARSE_NO_NAME.
 * Returns ALG_PARSE_FOUND (name written to name[], canonical), NEED_MORE, INVALID,
 * NO_NAME or TOO_BIG (no end of headers within ALG_PARSE_MAX bytes). Pure; any thread.
 */
enum alg_parse alg_http_host_parse(const uint8_t *data, size_t len, char name[ALG_NAME_MAX]);

#endif
