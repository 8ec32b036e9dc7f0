/* SPDX-License-Identifier: MIT */
/* ha_chan.c -- the HA policy channel's transport: frames and their MACs, connections (plain or
 * TLS), the handshake; the messages are ha.c's */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "ha_chan.h"

static void on_conn(struct ev_loop *loop, int fd, int events, void *arg);
static void conn_frames(struct conn *k);
static void conn_handshake(struct conn *k);
static void conn_read(struct conn *k);
static void tls_failed(struct conn *k, const char *why);

/* ---- frames: u32 length (big endian) of MAC || JSON ---- */

/* The MAC header of a frame: what it is bound to. */
static size_t
mac_header(const struct conn *k, bool sending, uint8_t *hdr)
{
	uint64_t seq = sending ? k->seq_out : k->seq_in;
	/* frames from the follower are 'S', from the followed 'A' */
	bool from_standby = sending == k->outbound;

	hdr[0] = from_standby ? 'S' : 'A';
	for (int i = 0; i < 8; i++)
		hdr[1 + i] = (uint8_t)(seq >> (56 - 8 * i));
	return 9;
}

static int
frame_mac(const struct conn *k, bool sending, const char *type, const void *json, size_t len,
	  uint8_t mac[HA_MAC_LEN])
{
	uint8_t hdr[64];
	size_t hl;

	if (strcmp(type, "hello") == 0) {
		memcpy(hdr, "rgw-ha1 hello", 13);
		return util_hmac_sha256(k->ha->secret, k->ha->secret_len, hdr, 13, json, len, mac);
	}
	if (strcmp(type, "welcome") == 0) {
		/* bound to the follower's nonce: an old welcome cannot be replayed */
		memcpy(hdr, "rgw-ha1 welcome", 15);
		memcpy(hdr + 15, k->nonce, HA_NONCE_LEN);
		return util_hmac_sha256(k->ha->secret, k->ha->secret_len, hdr, 15 + HA_NONCE_LEN,
					json, len, mac);
	}
	hl = mac_header(k, sending, hdr);
	return util_hmac_sha256(k->key, sizeof(k->key), hdr, hl, json, len, mac);
}

int
ha_conn_send(struct conn *k, json_t *msg)
{
	const char *type = json_string_value(json_object_get(msg, "type"));
	char *text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(15));
	uint8_t mac[HA_MAC_LEN], len[4];
	size_t n;
	int rc = -ENOMEM;

	if (text == NULL || type == NULL)
		goto out;
	n = strlen(text);
	if (n + HA_MAC_LEN > HA_FRAME_MAX || k->out.len + n > HA_OUT_MAX) {
		rc = -EMSGSIZE;
		goto out;
	}
	if ((rc = frame_mac(k, true, type, text, n, mac)) < 0)
		goto out;
	for (int i = 0; i < 4; i++)
		len[i] = (uint8_t)((n + HA_MAC_LEN) >> (24 - 8 * i));
	if (buf_append(&k->out, len, 4) < 0 || buf_append(&k->out, mac, HA_MAC_LEN) < 0 ||
	    buf_append(&k->out, text, n) < 0)
		goto out;
	k->seq_out++;
	k->last_tx = ev_now_ms(k->ha->loop);
	rc = 0;
out:
	free(text);
	json_decref(msg);
	if (rc < 0)
		log_warnx("ha: %s: cannot queue a message: %s", k->peer, strerror(-rc));
	return rc;
}

void
ha_conn_flush(struct conn *k)
{
	char why[HA_WHY_MAX];

	if (k->state < CONN_HELLO)
		return; /* connect or handshake first: on_conn flushes after it */
	while (k->out.len > 0) {
		ssize_t w;

		if (k->tls != NULL) {
			w = ha_tls_send(k->tls, k->out.data, k->out.len, why, sizeof(why));
			if (w == -EAGAIN)
				break;
			if (w < 0) {
				ha_conn_close(k, why);
				return;
			}
		} else {
			w = send(k->fd, k->out.data, k->out.len, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN)
				break;
			if (w <= 0) {
				ha_conn_close(k, strerror(errno));
				return;
			}
		}
		buf_consume(&k->out, (size_t)w);
	}
	/* a TLS record that met EAGAIN stays at the head of k->out until it is sent */
	(void)ev_io_mod(k->ha->loop, k->fd, EV_READ | (k->out.len > 0 ? EV_WRITE : 0));
}

/* Take every whole frame from k->in; a frame that fails its MAC closes the channel. */
static void
conn_frames(struct conn *k)
{
	while (k->in.len >= 4 + HA_MAC_LEN) {
		const uint8_t *p = k->in.data;
		size_t n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		uint8_t mac[HA_MAC_LEN];
		const char *type;
		json_error_t jerr;
		json_t *msg;

		/* before the handshake only a hello or a welcome: small */
		if (n < HA_MAC_LEN || n > (k->state == CONN_READY ? HA_FRAME_MAX : HA_HELLO_MAX)) {
			ha_conn_close(k, "bad frame length");
			return;
		}
		if (k->in.len < 4 + n)
			return;
		msg = json_loadb((const char *)p + 4 + HA_MAC_LEN, n - HA_MAC_LEN, 0, &jerr);
		type = json_string_value(json_object_get(msg, "type"));
		if (type == NULL ||
		    (k->state != CONN_READY && strcmp(type, k->outbound ? "welcome" : "hello")) ||
		    (k->state == CONN_READY &&
		     (!strcmp(type, "hello") || !strcmp(type, "welcome"))) ||
		    frame_mac(k, false, type, p + 4 + HA_MAC_LEN, n - HA_MAC_LEN, mac) < 0 ||
		    !util_ct_equal(mac, p + 4, HA_MAC_LEN)) {
			json_decref(msg);
			k->ha->st.auth_failures++;
			ha_conn_close(k,
				      "a message failed authentication (is the secret the same?)");
			return;
		}
		buf_consume(&k->in, 4 + n);
		k->seq_in++;
		k->last_rx = ev_now_ms(k->ha->loop);
		ha_handle(k, msg); /* may close k */
		json_decref(msg);
		if (k->ha == NULL)
			return;
	}
}

/* ---- connections ---- */

struct conn *
ha_conn_new(struct ha *ha, int fd, bool outbound, const char *peer)
{
	struct conn *k = calloc(1, sizeof(*k));
	int one = 1;

	if (k == NULL)
		return NULL;
	/* a message goes out whole at once (TLS: one write per 16 KiB record): its last segment
	 * must not wait for the peer's delayed ACK of the one before */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->ha = ha;
	k->fd = fd;
	k->outbound = outbound;
	k->state = outbound ? CONN_CONNECTING : ha->tls != NULL ? CONN_TLS : CONN_HELLO;
	k->last_rx = k->last_tx = ev_now_ms(ha->loop);
	util_strlcpy(k->peer, peer, sizeof(k->peer));
	if (ha->tls != NULL && (k->tls = ha_tls_session_new(ha->tls, fd, outbound)) == NULL) {
		free(k);
		return NULL;
	}
	if (ev_io_add(ha->loop, fd, EV_READ | (outbound ? EV_WRITE : 0), on_conn, k) < 0) {
		ha_tls_session_free(k->tls);
		free(k);
		return NULL;
	}
	return k;
}

/* Closed connections are freed here, from the timer or ha_free: never from inside the
 * callback that closed them. */
void
ha_conn_reap(struct ha *ha)
{
	while (ha->dead != NULL) {
		struct conn *k = ha->dead;

		ha->dead = k->next_dead;
		buf_free(&k->in);
		buf_free(&k->out);
		free(k);
	}
}

void
ha_conn_close(struct conn *k, const char *why)
{
	struct ha *ha = k->ha;

	if (ha == NULL)
		return;
	log_info("ha: channel %s %s closed: %s", k->outbound ? "to the active" : "from the standby",
		 k->peer, why);
	ha_tls_session_free(k->tls);
	k->tls = NULL;
	ev_io_close(ha->loop, k->fd);
	if (ha->follow == k)
		ha->follow = NULL;
	for (size_t i = 0; i < HA_MAX_FOLLOW; i++) {
		if (ha->served[i] == k)
			ha->served[i] = NULL;
	}
	k->ha = NULL;
	k->fd = -1;
	k->next_dead = ha->dead;
	ha->dead = k;
}

/* The standby's first message, once the channel is connected (and TLS is up). */
static void
send_hello(struct conn *k)
{
	char nonce[2 * HA_NONCE_LEN + 1];

	k->state = CONN_HELLO;
	if (util_random(k->nonce, sizeof(k->nonce)) < 0) {
		ha_conn_close(k, "no random bytes");
		return;
	}
	util_hex(k->nonce, HA_NONCE_LEN, nonce);
	if (ha_conn_send(k, json_pack("{s:s,s:s,s:s}", "type", "hello", "nonce", nonce, "digest",
				      k->ha->digest)) < 0)
		ha_conn_close(k, "cannot send hello");
}

/* A TLS failure before the channel is up: counted, logged with its reason, and a standby
 * waits longer before its next attempt (doubling up to 32 x retry, at most a minute). */
static void
tls_failed(struct conn *k, const char *why)
{
	struct ha *ha = k->ha;
	uint64_t wait = (uint64_t)ha->conf->ha_retry_ms;

	ha->st.tls_failures++;
	util_strlcpy(ha->tls_failure, why, sizeof(ha->tls_failure));
	if (k->outbound) {
		wait <<= ha->tls_streak < HA_BACKOFF_MAX ? ha->tls_streak : HA_BACKOFF_MAX;
		if (wait > HA_BACKOFF_CAP)
			wait = HA_BACKOFF_CAP;
		ha->tls_streak++;
		ha->next_connect = ev_now_ms(ha->loop) + wait;
		log_warnx("ha: TLS with the active %s failed: %s; next attempt in %llu ms", k->peer,
			  why, (unsigned long long)wait);
	} else {
		log_warnx("ha: TLS with the standby %s failed: %s", k->peer, why);
	}
	ha_conn_close(k, why);
}

static void
conn_handshake(struct conn *k)
{
	char why[HA_WHY_MAX];
	int rc = ha_tls_handshake(k->tls, why, sizeof(why));

	if (rc == -EAGAIN) {
		(void)ev_io_mod(k->ha->loop, k->fd,
				ha_tls_wants_write(k->tls) ? EV_WRITE : EV_READ);
		return;
	}
	if (rc < 0 || ha_tls_binding(k->tls, k->binding) < 0) {
		tls_failed(k, rc < 0 ? why : "no TLS exporter");
		return;
	}
	if (k->outbound)
		send_hello(k);
	else
		k->state = CONN_HELLO;
}

/* Everything the socket has into k->in, then the whole frames in it. */
static void
conn_read(struct conn *k)
{
	char why[HA_WHY_MAX];

	for (;;) {
		ssize_t r;

		if (buf_reserve(&k->in, 65536) < 0) {
			ha_conn_close(k, "out of memory");
			return;
		}
		if (k->tls != NULL) {
			r = ha_tls_recv(k->tls, k->in.data + k->in.len, k->in.cap - k->in.len - 1,
					why, sizeof(why));
			if (r == -EAGAIN)
				break;
			if (r < 0 && k->state != CONN_READY) {
				/* the peer refused our certificate after its handshake ended */
				tls_failed(k, why);
				return;
			}
			if (r <= 0) {
				ha_conn_close(k, r == 0 ? "closed by the peer" : why);
				return;
			}
		} else {
			r = recv(k->fd, k->in.data + k->in.len, k->in.cap - k->in.len - 1, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN)
				break;
			if (r <= 0) {
				ha_conn_close(k, r == 0 ? "closed by the peer" : strerror(errno));
				return;
			}
		}
		k->in.len += (size_t)r;
		k->in.data[k->in.len] = '\0';
		/* a TLS record (a ClientHello, or an alert answering our hello) where a plain
		 * frame's length should start: a frame before the session key is short, so its
		 * first byte is 0 */
		if (k->tls == NULL && k->state != CONN_READY && k->in.len >= 2 &&
		    (k->in.data[0] == 0x15 || k->in.data[0] == 0x16) && k->in.data[1] == 0x03) {
			tls_failed(k,
				   "the peer speaks TLS but this node's channel is plain (ha.tls "
				   "and api.tls_cert must agree on both nodes)");
			return;
		}
	}
	conn_frames(k);
}

static void
on_conn(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct conn *k = arg;

	(void)loop;
	if (k->state == CONN_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (!(events & (EV_WRITE | EV_ERROR)))
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err != 0) {
			ha_conn_close(k, strerror(err ? err : errno));
			return;
		}
		if (k->tls == NULL) {
			send_hello(k);
		} else {
			k->state = CONN_TLS;
			events = 0;
		}
		if (k->ha == NULL)
			return;
	}
	if (k->state == CONN_TLS) {
		conn_handshake(k);
		if (k->ha == NULL || k->state == CONN_TLS)
			return;
		/* GnuTLS may hold the peer's first message already: read it now */
		events |= EV_READ;
	}
	if (events & EV_READ) {
		conn_read(k);
		if (k->ha == NULL)
			return;
	} else if (events & EV_ERROR) {
		ha_conn_close(k, "socket error");
		return;
	}
	ha_conn_flush(k);
}
/* Session key: HMAC(secret, "rgw-ha1 session" || standby nonce || active nonce [|| the TLS
 * session's exporter]). */
int
ha_session_key(struct conn *k, const uint8_t *standby_nonce, const uint8_t *active_nonce)
{
	uint8_t hdr[15 + 2 * HA_NONCE_LEN];

	memcpy(hdr, "rgw-ha1 session", 15);
	memcpy(hdr + 15, standby_nonce, HA_NONCE_LEN);
	memcpy(hdr + 15 + HA_NONCE_LEN, active_nonce, HA_NONCE_LEN);
	k->seq_in = k->seq_out = 0;
	k->state = CONN_READY;
	if (k->outbound)
		k->ha->tls_streak = 0;
	/* under TLS, bound to this TLS session: the frames of one cannot be relayed into
	 * another by someone who holds a certificate but not the secret */
	return util_hmac_sha256(k->ha->secret, k->ha->secret_len, hdr, sizeof(hdr),
				k->tls != NULL ? k->binding : NULL,
				k->tls != NULL ? sizeof(k->binding) : 0, k->key);
}
