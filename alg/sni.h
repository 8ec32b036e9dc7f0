/* SPDX-License-Identifier: MIT */
/* alg/sni.h -- TLS ClientHello server_name (SNI) parser */
#ifndef RGW_ALG_SNI_H
#define RGW_ALG_SNI_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"

/*
 * Find the host_name of a TLS ClientHello in the first `len` bytes a client sent.
 * Stateless and idempotent: call it again on the whole buffer after every read.
 * The ClientHello may be split over any number of handshake records and TCP segments.
 * Every length is checked (record, handshake, session id, cipher suites, compression,
 * extensions, server_name list, name) and the complete ClientHello must be well formed
 * before anything is reported, so a FOUND name comes from a structurally valid hello.
 *
 * Returns ALG_PARSE_FOUND (name written to name[], canonical: lowercase, no trailing dot),
 * ALG_PARSE_NEED_MORE, ALG_PARSE_NO_NAME (no server_name extension, or no host_name entry, or
 * an IP literal), ALG_PARSE_INVALID (not TLS, not a ClientHello, a bad length, a duplicate
 * server_name, a bad name), or ALG_PARSE_TOO_BIG (the ClientHello needs more than
 * ALG_PARSE_MAX bytes). Bytes after the ClientHello are ignored. Pure; any thread.
 */
enum alg_parse alg_sni_parse(const uint8_t *data, size_t len, char name[ALG_NAME_MAX]);

/* TLS alert descriptions used when refusing a client. */
enum alg_tls_alert {
	ALG_TLS_ALERT_HANDSHAKE_FAILURE = 40,
	ALG_TLS_ALERT_DECODE_ERROR = 50,
	ALG_TLS_ALERT_INTERNAL_ERROR = 80,
	ALG_TLS_ALERT_UNRECOGNIZED_NAME = 112,
};

/* Write a fatal alert record (7 bytes) into out. Returns 7. */
size_t alg_tls_alert(enum alg_tls_alert desc, uint8_t out[7]);

#endif
