/* SPDX-License-Identifier: MIT */
/* ha_tls.h -- TLS 1.3 on the HA policy channel: GnuTLS sessions driven by ha.c's event loop */
#ifndef RGW_HA_TLS_H
#define RGW_HA_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/conf.h"

/*
 * Both nodes present the API's certificate ([api] tls_cert, tls_key) and verify the peer's
 * during the handshake: it must chain to [ha] peer_ca, or be one of [ha] peer_fingerprint
 * (SHA-256 of the DER certificate), or both when both are set, and be within its validity.
 * A refused certificate fails the handshake with an alert, on both sides. TLS 1.3 only.
 * The channel's own HMAC layer (ha.c) stays on top and binds its session key to the TLS
 * session (ha_tls_binding), so a relay holding a certificate the CA signed but not the
 * pair's secret cannot join two sessions. Main loop thread only; sockets non-blocking.
 */
struct ha_tls;	       /* credentials: this node's certificate and key, the peer's trust */
struct ha_tls_session; /* one connection */

#define HA_TLS_BINDING_LEN 32

/* Read conf's certificate, key, peer CA and fingerprints. 0 and *out, or -errno with the
 * reason in why (naming the key). */
int ha_tls_new(const struct conf *conf, struct ha_tls **out, char *why, size_t len);
/* NULL is a no-op. Every session made from t must be freed first. */
void ha_tls_free(struct ha_tls *t);

/* A session on the connected socket fd: the client side for the standby (it connects), the
 * server side for the active. NULL on ENOMEM (or a GnuTLS failure, logged). */
struct ha_tls_session *ha_tls_session_new(struct ha_tls *t, int fd, bool client);
/* Send close_notify if the socket takes it at once, and free. The caller closes fd. NULL is
 * a no-op. */
void ha_tls_session_free(struct ha_tls_session *s);

/*
 * Advance the handshake: 0 when done, -EAGAIN to be called again when fd is ready (for
 * writing when ha_tls_wants_write, else for reading), -EPROTO when it failed, with the
 * reason in why (a refused peer certificate says why it was refused).
 */
int ha_tls_handshake(struct ha_tls_session *s, char *why, size_t len);
/* After ha_tls_handshake returned -EAGAIN (only then): it waits to write, not to read. */
bool ha_tls_wants_write(const struct ha_tls_session *s);

/*
 * Application data. recv: bytes read (> 0), 0 when the peer closed, -EAGAIN, or -EPROTO with
 * the reason in why. send: bytes taken (> 0), -EAGAIN (call again later with at least as
 * many bytes, the same first ones), or -EPROTO with why.
 */
ssize_t ha_tls_recv(struct ha_tls_session *s, void *buf, size_t len, char *why, size_t wlen);
ssize_t ha_tls_send(struct ha_tls_session *s, const void *buf, size_t len, char *why, size_t wlen);

/* After the handshake: HA_TLS_BINDING_LEN bytes both ends of this session alone compute (the
 * TLS exporter, RFC 8446 7.5). 0 or -EIO. */
int ha_tls_binding(struct ha_tls_session *s, uint8_t out[HA_TLS_BINDING_LEN]);

#endif
