/* SPDX-License-Identifier: MIT */
/* ha.h -- an active/standby pair: the standby follows the active's policy commits */
#ifndef RGW_HA_H
#define RGW_HA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "commit.h"
#include "common/conf.h"
#include "common/ev.h"

/*
 * The policy channel of an HA pair (docs/ha.md). Addresses move with keepalived (VRRP) and
 * flows with conntrackd; this module moves policy. Both nodes listen on [ha] listen; a
 * standby connects to its peer ([ha] peer) and follows it:
 *
 *   standby -> active   hello (nonce, digest)        HMAC-SHA256 under the shared secret
 *   active  -> standby  welcome (nonce)              bound to the standby's nonce
 *   then every frame carries HMAC-SHA256(session key, direction || sequence || JSON), the
 *   session key being HMAC(secret, both nonces): a frame replayed, reordered, or from a
 *   sender without the secret closes the channel.
 *
 * With TLS ([ha] tls; ha_tls.h) all of it travels inside a TLS 1.3 session in which both
 * nodes presented the API's certificate and verified the peer's, and the session key also
 * covers the session's TLS exporter. Without, the channel is plain and a warning says so
 * at start. The transport (frames, connections, TLS) is ha_chan.c; the messages ha.c.
 *
 *   standby: sync (its policy digest)   active: policy (whole bundle) or same, then tokens
 *   active: commit (digest before and after, the change, the whole bundle) for each commit
 *   standby: ack (digest) after each one; resync (its digest) when digest_before is not its
 *   own (it missed a commit, or was written by another process): the active sends the
 *   whole policy.
 *   active: tokens (every pair API token as stored) after each token change; reputation
 *   (its rows) after each save.
 *
 * The chain is checked on the policy digest: SHA-256 of the canonical bundle export
 * (pol_bundle_export_text), equal on two nodes that hold the same policy whatever their
 * rows' ids (the REST ETag depends on ids, so it differs between the nodes). A standby
 * applies a commit through policy_commit like any other writer (audited as actor
 * "ha:<actor on the active>", with the active's ETags in the detail), so there is one write
 * path. Main loop thread only.
 */
struct ha;

/* Start (conf->ha_enable): read the secret, open the listener, follow the peer when the
 * role at start is standby. NULL with the reason logged. parts must outlive the ha. */
struct ha *ha_new(struct ev_loop *loop, const struct conf *conf, struct policy_parts *parts);
/* Close every connection and the listener. NULL is a no-op. */
void ha_free(struct ha *ha);

/* policy_parts.committed: called by policy_commit after each change it put in force. */
void ha_committed(void *arg, const struct pol_change *c, const char *etag_before,
		  const struct pol_snap *snap);

/* After the active saved its reputation state (rgwd's save timer): send it whole to the
 * standbys, which store it and load it into their engine. Reputation is soft state: only
 * the latest save matters, nothing is checked. No-op on a standby. */
void ha_reputation_saved(struct ha *ha);

/* After a pair token was created or revoked on the active (the API): send the active's pair
 * tokens whole to the standbys, which make theirs the same. The tokens travel as stored
 * (salted hashes: no secret leaves the node), also after each standby's sync at connect.
 * No-op on a standby. */
void ha_tokens_changed(struct ha *ha);

/* ha_state.c, for ha.c: the store's pair tokens as a "tokens" message (NULL on error); a
 * standby taking tokens[] from peer in one audited transaction: the number of tokens
 * changed, or -errno (logged); a reputation row as JSON (NULL on ENOMEM) and back (0 or
 * -EINVAL). */
json_t *ha_tokens_msg(struct pol_store *st);
/* The hex text of len bytes into out: 0, or -EINVAL unless s is exactly that. */
int ha_unhex(const char *s, uint8_t *out, size_t len);
int ha_tokens_take(struct pol_store *st, json_t *tokens, const char *peer);
json_t *ha_rep_row_json(const struct pol_reputation *r);
int ha_rep_row_parse(json_t *o, struct pol_reputation *r);

/*
 * The committer handed to the local writers (REST, DNS UPDATE) when HA is on: the active
 * commits through policy_commit; a standby rolls the transaction back and refuses with
 * -EROFS and e naming the active (writes are not forwarded: docs/ha.md says why).
 */
int ha_commit(void *arg, const struct pol_change *c, struct pol_snap **snap, struct pol_err *e);

/*
 * "active" or "standby": change the role (keepalived's notify script, through the API).
 * 0, -EINVAL for another word, -EBUSY while a REST write runs on the commit thread.
 *
 * The role is handed over with that write: the commit thread reads it (ha_refusal,
 * ha_commit) without a lock, and it is written only here, on the main thread, never while a
 * job is in flight (policy_thread_job). policy_thread_run hands the job over under the
 * thread's mutex and the main thread takes the job's end under it, so the last change of
 * the role happens before every read the job makes and every read before the next change:
 * the write sees one role from start to end, as a write on the main thread does. (The API,
 * the only caller, reads no request while such a write runs: -EBUSY is a guard.)
 */
int ha_set_role(struct ha *ha, const char *role);
bool ha_is_active(const struct ha *ha);
/* NULL on the active; on a standby, the refusal of a local write, naming the active. */
const char *ha_refusal(const struct ha *ha);
/* The pair's state for GET /api/v1/ha: a new object, NULL on ENOMEM. */
json_t *ha_status_json(const struct ha *ha);

/* The policy digest of snap into out (a quoted hex string like an ETag). 0 or -ENOMEM. */
#define HA_DIGEST_LEN 36
int ha_digest(const struct pol_snap *snap, char out[HA_DIGEST_LEN]);

#endif
