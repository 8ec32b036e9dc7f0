/* SPDX-License-Identifier: MIT */
/* ha_chan.h -- the HA policy channel between ha.c (messages) and ha_chan.c (transport) */
#ifndef RGW_HA_CHAN_H
#define RGW_HA_CHAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/buf.h"
#include "ha.h"
#include "ha_tls.h"

/* Private to ha.c and ha_chan.c: the wire protocol is described in ha.h. Main loop only. */

#define HA_FRAME_MAX	(64u << 20)  /* one whole policy, with room */
#define HA_OUT_MAX	(256u << 20) /* a standby that reads nothing is dropped past this */
#define HA_MAC_LEN	32
#define HA_HELLO_MAX	1024 /* a frame before the session key */
#define HA_NONCE_LEN	16
#define HA_SECRET_MIN	16
#define HA_SECRET_MAX	4096
#define HA_MAX_FOLLOW	4 /* standbys served at once (one in a pair; room for a restart) */
#define HA_DETAIL_MAX	1024
#define HA_ACTOR_PREFIX "ha:"
#define HA_BACKOFF_MAX	5     /* a failed TLS handshake doubles the wait, up to 32 x retry */
#define HA_BACKOFF_CAP	60000 /* ms */
#define HA_WHY_MAX	256

enum conn_state {
	CONN_CONNECTING, /* standby: connect() in progress */
	CONN_TLS,	 /* TLS handshake in progress (ha_tls.c) */
	CONN_HELLO,	 /* standby: hello sent, waiting for welcome; active: waiting for hello */
	CONN_READY,	 /* session key set: keyed frames both ways */
};

struct conn {
	struct ha *ha;
	int fd;
	bool outbound; /* we follow through it (standby side) */
	enum conn_state state;
	struct ha_tls_session *tls;	     /* NULL: a plain channel */
	uint8_t binding[HA_TLS_BINDING_LEN]; /* TLS: the session key is bound to it */
	uint8_t nonce[HA_NONCE_LEN];	     /* ours (standby) */
	uint8_t key[32];
	uint64_t seq_out, seq_in;
	struct buf in, out;
	uint64_t last_rx, last_tx;
	char peer[ADDR_PORT_STRLEN];
	char peer_digest[HA_DIGEST_LEN]; /* active side: the follower's last ack */
	struct conn *next_dead;		 /* closed, freed by reap_dead */
};

struct ha {
	struct ev_loop *loop;
	const struct conf *conf;
	struct policy_parts *parts;
	bool active;
	struct ha_tls *tls;	      /* NULL: a plain channel */
	unsigned tls_streak;	      /* standby: handshakes failed in a row (the backoff) */
	char tls_failure[HA_WHY_MAX]; /* the last one's reason */
	uint8_t secret[HA_SECRET_MAX];
	size_t secret_len;
	int lfd;
	uint64_t timer;
	uint64_t next_connect;
	struct conn *follow;		    /* standby: the channel to the active */
	struct conn *served[HA_MAX_FOLLOW]; /* active: the standbys following */
	char digest[HA_DIGEST_LEN];	    /* the policy in force */
	char peer_name[CONF_STR_MAX];	    /* named to misdirected writes */
	char refusal[CONF_STR_MAX + 128];
	bool applying;	   /* a replicated change is being committed */
	struct conn *dead; /* closed connections, freed outside their own callbacks */
	struct {
		uint64_t commits_sent, commits_applied, full_syncs, resyncs, auth_failures;
		uint64_t apply_failures, digest_mismatches, role_changes, connects, empty_refused;
		uint64_t reputation_sent, reputation_applied, tokens_sent, tokens_applied;
		uint64_t tls_failures;
		uint64_t last_apply_us, last_role_change_ms;
	} st;
};

/* ha_chan.c: a connection on fd (connecting when outbound, accepted otherwise) and its
 * TLS session when the pair runs TLS; NULL on ENOMEM. */
struct conn *ha_conn_new(struct ha *ha, int fd, bool outbound, const char *peer);
/* Close k (logged with why): it leaves ha's lists at once and is freed by ha_conn_reap, never
 * inside its own callback. A closed k has k->ha == NULL. */
void ha_conn_close(struct conn *k, const char *why);
void ha_conn_reap(struct ha *ha);
/* Queue msg (taken) as a frame with its MAC: 0, or -errno (logged). */
int ha_conn_send(struct conn *k, json_t *msg);
/* Write what is queued as far as the socket takes it; may close k. */
void ha_conn_flush(struct conn *k);
/* The session key from both nonces (and the TLS session): k becomes CONN_READY. 0 or -errno. */
int ha_session_key(struct conn *k, const uint8_t *standby_nonce, const uint8_t *active_nonce);

/* ha.c: one authenticated message from k; may close k. */
void ha_handle(struct conn *k, json_t *msg);

#endif
