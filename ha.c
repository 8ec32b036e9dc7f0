/* SPDX-License-Identifier: MIT */
/* ha.c -- an active/standby pair: the standby follows the active's policy commits */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "ha.h"
#include "ha_chan.h"
#include "nat/reputation.h"
#include "policy/bundle.h"

static void on_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_accept(struct ev_loop *loop, int fd, int events, void *arg);

/* ---- the policy digest ---- */

int
ha_digest(const struct pol_snap *snap, char out[HA_DIGEST_LEN])
{
	char *text = pol_bundle_export_text(snap);
	uint8_t d[32];

	if (text == NULL)
		return -ENOMEM;
	util_sha256(text, strlen(text), d);
	free(text);
	/* 128 bits, quoted like an ETag */
	out[0] = '"';
	util_hex(d, 16, out + 1);
	out[33] = '"';
	out[34] = '\0';
	return 0;
}

static int
hex_nonce(const char *s, uint8_t out[HA_NONCE_LEN])
{
	return ha_unhex(s, out, HA_NONCE_LEN);
}

static json_t *
policy_msg(struct ha *ha, const char *type)
{
	const struct pol_snap *s = ha->parts->snap;
	json_t *b = s != NULL ? pol_bundle_export(s) : NULL;

	if (b == NULL)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:o}", "type", type, "digest", ha->digest, "etag", s->etag,
			 "bundle", b);
}

/* ---- the standby applies ---- */

/* No zone, no host: what a new node's store holds. */
static bool
policy_empty(const struct pol_snap *s)
{
	return s == NULL || (s->n_zones == 0 && s->n_hosts == 0);
}

static void
apply(struct conn *k, json_t *msg, bool whole)
{
	struct ha *ha = k->ha;
	json_t *ch = json_object_get(msg, "change");
	const char *digest = json_string_value(json_object_get(msg, "digest"));
	const char *etag_b = json_string_value(json_object_get(msg, "etag_before"));
	const char *etag = json_string_value(json_object_get(msg, "etag"));
	const char *actor = json_string_value(json_object_get(ch, "actor"));
	const char *detail = json_string_value(json_object_get(ch, "detail"));
	char who[64], why[HA_DETAIL_MAX + 256];
	/* a tenant's change was checked on the active: audited here with its tenant */
	struct pol_change c = { .actor = who,
				.resource = "policy",
				.tenant = json_string_value(json_object_get(ch, "tenant")),
				.replayed = true };
	struct pol_snap *p = NULL;
	struct pol_err e = { 0 };
	uint64_t t0 = util_mono_us();
	int rc;

	if (digest == NULL) {
		ha_conn_close(k, "a policy message without its digest");
		return;
	}
	if (strcmp(digest, ha->digest) == 0)
		goto ack; /* already in force */
	c.action = whole ? "sync" : json_string_value(json_object_get(ch, "action"));
	c.resource = json_string_value(json_object_get(ch, "resource"));
	snprintf(who, sizeof(who), HA_ACTOR_PREFIX "%s", whole ? "active" : actor ? actor : "-");
	snprintf(why, sizeof(why), "from the active %s: ETag %s -> %s%s%.*s", k->peer,
		 etag_b ? etag_b : "-", etag ? etag : "-", detail ? ": " : "", HA_DETAIL_MAX,
		 detail ? detail : "");
	c.detail = why;
	if (c.action == NULL)
		c.action = "commit";
	if (c.resource == NULL)
		c.resource = "policy";
	rc = pol_bundle_parse_json(json_object_get(msg, "bundle"), &p, &e);
	if (rc == 0 && policy_empty(p) && !policy_empty(ha->parts->snap)) {
		/* a peer that starts with an empty store and wins VRRP for a moment (a new or
		 * rebuilt node) must not wipe the pair's policy: docs/ha.md */
		ha->st.empty_refused++;
		log_warnx("ha: the active %s holds an empty policy: this node keeps its own %s",
			  k->peer, ha->digest);
		pol_snap_unref(p);
		goto ack;
	}
	if (rc == 0 && (rc = pol_store_begin(ha->parts->store)) < 0)
		pol_err_set(&e, "database", "cannot start a transaction: %s", strerror(-rc));
	if (rc == 0 && (rc = pol_store_replace(ha->parts->store, p, &e)) < 0)
		(void)pol_store_rollback(ha->parts->store);
	pol_snap_unref(p);
	if (rc == 0) {
		ha->applying = true;
		rc = policy_commit(ha->parts, &c, NULL, &e);
		ha->applying = false;
	}
	if (rc < 0) {
		ha->st.apply_failures++;
		log_warnx("ha: cannot apply the active's policy %s: %s%s%s", digest, e.field,
			  e.field[0] ? ": " : "", e.msg);
	} else {
		ha->st.commits_applied++;
		ha->st.last_apply_us = util_mono_us() - t0;
		if (whole)
			ha->st.full_syncs++;
		if (strcmp(digest, ha->digest) != 0) {
			/* same bundle, another digest: the nodes export differently (versions) */
			ha->st.digest_mismatches++;
			log_warnx("ha: applied the active's policy %s but it reads back as %s",
				  digest, ha->digest);
		}
	}
ack:
	(void)ha_conn_send(k, json_pack("{s:s,s:s}", "type", "ack", "digest", ha->digest));
}

/* ---- reputation: soft state, sent whole after each save on the active ---- */

void
ha_reputation_saved(struct ha *ha)
{
	struct pol_reputation *rows = NULL;
	json_t *arr = NULL;
	size_t n = 0;

	if (!ha->active)
		return;
	for (size_t i = 0; i < HA_MAX_FOLLOW; i++) {
		struct conn *k = ha->served[i];

		if (k == NULL || k->state != CONN_READY)
			continue;
		if (arr == NULL) {
			if (pol_reputation_list(ha->parts->store, &rows, &n) < 0 ||
			    (arr = json_array()) == NULL)
				break;
			for (size_t j = 0; j < n; j++)
				json_array_append_new(arr, ha_rep_row_json(&rows[j]));
		}
		if (ha_conn_send(k, json_pack("{s:s,s:O}", "type", "reputation", "rows", arr)) ==
		    0) {
			ha->st.reputation_sent++;
			ha_conn_flush(k);
		}
	}
	json_decref(arr);
	free(rows);
}

/* The standby stores the active's reputation rows and its engine takes them. */
static void
apply_reputation(struct conn *k, json_t *rows)
{
	struct ha *ha = k->ha;
	struct pol_reputation r;
	size_t i, bad = 0;
	json_t *o;

	if (!json_is_array(rows) || pol_store_begin(ha->parts->store) < 0)
		return;
	json_array_foreach(rows, i, o)
	{
		if (ha_rep_row_parse(o, &r) < 0 || pol_reputation_save(ha->parts->store, &r) < 0)
			bad++;
	}
	if (pol_store_commit(ha->parts->store) < 0) {
		(void)pol_store_rollback(ha->parts->store);
		log_warnx("ha: cannot store the active's reputation state");
		return;
	}
	if (bad > 0)
		log_warnx("ha: %zu reputation rows from %s not taken", bad, k->peer);
	if (ha->parts->rep != NULL && nat_rep_load(ha->parts->rep, ha->parts->store) < 0)
		log_warnx("ha: cannot load the active's reputation state");
	ha->st.reputation_applied++;
}

/* ---- API tokens: the active's pair tokens, whole, at connect and after each change ---- */

static void
send_tokens(struct conn *k)
{
	if (ha_conn_send(k, ha_tokens_msg(k->ha->parts->store)) == 0) {
		k->ha->st.tokens_sent++;
		ha_conn_flush(k);
	}
}

void
ha_tokens_changed(struct ha *ha)
{
	if (!ha->active)
		return;
	for (size_t i = 0; i < HA_MAX_FOLLOW; i++) {
		if (ha->served[i] != NULL && ha->served[i]->state == CONN_READY)
			send_tokens(ha->served[i]);
	}
}

/* ---- messages ---- */

static void
handle_hello(struct conn *k, json_t *msg)
{
	struct ha *ha = k->ha;
	uint8_t theirs[HA_NONCE_LEN];
	char hex[2 * HA_NONCE_LEN + 1];

	if (!ha->active) {
		ha_conn_close(k, "this node is the standby: it serves no policy");
		return;
	}
	if (hex_nonce(json_string_value(json_object_get(msg, "nonce")), theirs) < 0 ||
	    util_random(k->nonce, sizeof(k->nonce)) < 0) {
		ha_conn_close(k, "bad hello");
		return;
	}
	/* the welcome is bound to the standby's nonce (frame_mac reads k->nonce) */
	uint8_t mine[HA_NONCE_LEN];
	memcpy(mine, k->nonce, sizeof(mine));
	memcpy(k->nonce, theirs, sizeof(theirs));
	util_hex(mine, HA_NONCE_LEN, hex);
	if (ha_conn_send(k, json_pack("{s:s,s:s}", "type", "welcome", "nonce", hex)) < 0 ||
	    ha_session_key(k, theirs, mine) < 0) {
		ha_conn_close(k, "cannot answer hello");
		return;
	}
	log_info("ha: the standby %s follows", k->peer);
}

void
ha_handle(struct conn *k, json_t *msg)
{
	struct ha *ha = k->ha;
	const char *type = json_string_value(json_object_get(msg, "type"));
	const char *digest = json_string_value(json_object_get(msg, "digest"));

	if (strcmp(type, "hello") == 0) {
		handle_hello(k, msg);
	} else if (strcmp(type, "welcome") == 0) {
		uint8_t theirs[HA_NONCE_LEN];

		if (hex_nonce(json_string_value(json_object_get(msg, "nonce")), theirs) < 0 ||
		    ha_session_key(k, k->nonce, theirs) < 0) {
			ha_conn_close(k, "bad welcome");
			return;
		}
		log_info("ha: following the active %s", k->peer);
		(void)ha_conn_send(k, json_pack("{s:s,s:s}", "type", "sync", "digest", ha->digest));
	} else if (k->outbound && ha->active) {
		ha_conn_close(k, "this node is now the active");
	} else if (!k->outbound && (!strcmp(type, "sync") || !strcmp(type, "resync"))) {
		if (!ha->active) {
			ha_conn_close(k, "this node is now the standby");
			return;
		}
		if (digest != NULL)
			util_strlcpy(k->peer_digest, digest, sizeof(k->peer_digest));
		if (digest != NULL && strcmp(digest, ha->digest) == 0) {
			(void)ha_conn_send(
				k, json_pack("{s:s,s:s}", "type", "same", "digest", ha->digest));
		} else {
			if (!strcmp(type, "resync"))
				ha->st.resyncs++;
			(void)ha_conn_send(k, policy_msg(ha, "policy"));
		}
		if (!strcmp(type, "sync"))
			send_tokens(k);
	} else if (!k->outbound && strcmp(type, "ack") == 0) {
		if (digest != NULL)
			util_strlcpy(k->peer_digest, digest, sizeof(k->peer_digest));
	} else if (k->outbound && strcmp(type, "tokens") == 0) {
		if (ha_tokens_take(ha->parts->store, json_object_get(msg, "tokens"), k->peer) >= 0)
			ha->st.tokens_applied++;
	} else if (k->outbound && strcmp(type, "reputation") == 0) {
		apply_reputation(k, json_object_get(msg, "rows"));
	} else if (k->outbound && strcmp(type, "policy") == 0) {
		apply(k, msg, true);
	} else if (k->outbound && strcmp(type, "commit") == 0) {
		const char *before = json_string_value(json_object_get(msg, "digest_before"));

		if (before == NULL || strcmp(before, ha->digest) != 0) {
			/* a commit missed, or this store changed on its own: the whole policy */
			log_info(
				"ha: the active's change follows %s, this node holds %s: asking for "
				"the whole policy",
				before ? before : "nothing", ha->digest);
			ha->st.resyncs++;
			(void)ha_conn_send(
				k, json_pack("{s:s,s:s}", "type", "resync", "digest", ha->digest));
			return;
		}
		apply(k, msg, false);
	} else if (strcmp(type, "same") != 0 && strcmp(type, "ping") != 0) {
		log_warnx("ha: %s: unexpected message '%s'", k->peer, type);
	}
}

/* ---- the active sends ---- */

void
ha_committed(void *arg, const struct pol_change *c, const char *etag_before,
	     const struct pol_snap *snap)
{
	struct ha *ha = arg;
	char before[HA_DIGEST_LEN];
	json_t *b = NULL;

	memcpy(before, ha->digest, sizeof(before));
	if (ha_digest(snap, ha->digest) < 0) {
		log_warnx("ha: out of memory computing the policy digest");
		ha->digest[0] = '\0';
		return;
	}
	if (!ha->active || strcmp(before, ha->digest) == 0)
		return;
	for (size_t i = 0; i < HA_MAX_FOLLOW; i++) {
		struct conn *k = ha->served[i];
		json_t *m;

		if (k == NULL || k->state != CONN_READY)
			continue;
		if (b == NULL && (b = pol_bundle_export(snap)) == NULL)
			break;
		m = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:{s:s?,s:s?,s:s?,s:s?,s:s?},s:O}", "type",
			      "commit", "digest_before", before, "digest", ha->digest,
			      "etag_before", etag_before, "etag", snap->etag, "change", "actor",
			      c->actor, "action", c->action, "resource", c->resource, "detail",
			      c->detail, "tenant", c->tenant, "bundle", b);
		if (ha_conn_send(k, m) < 0) {
			ha_conn_close(k, "cannot queue the change");
			continue;
		}
		ha->st.commits_sent++;
		ha_conn_flush(k);
	}
	json_decref(b);
}

int
ha_commit(void *arg, const struct pol_change *c, struct pol_snap **snap, struct pol_err *e)
{
	struct ha *ha = arg;

	if (ha->active)
		return policy_commit(ha->parts, c, snap, e);
	if (snap != NULL)
		*snap = NULL;
	/* the caller's connection: the commit thread's own for a REST write */
	(void)pol_store_rollback(policy_store(ha->parts));
	pol_err_set(e, "", "%s", ha->refusal);
	log_info("ha: refused a write from %s (%s %s): this node is the standby",
		 c->actor ? c->actor : "-", c->action ? c->action : "-",
		 c->resource ? c->resource : "-");
	return -EROFS;
}

/* ---- roles, listener, timer ---- */

static void
follow(struct ha *ha)
{
	const struct addr_port *ap = &ha->conf->ha_peer.v[0];
	char name[ADDR_PORT_STRLEN];
	int fd;

	ha->st.connects++;
	fd = socket(ap->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)&ap->ss, ap->len) < 0 && errno != EINPROGRESS) {
		close(fd);
		return;
	}
	ha->follow = ha_conn_new(ha, fd, true, addr_port_ntop(ap, name, sizeof(name)));
	if (ha->follow == NULL)
		close(fd);
}

int
ha_set_role(struct ha *ha, const char *role)
{
	bool active;

	if (role != NULL && strcmp(role, "active") == 0)
		active = true;
	else if (role != NULL && strcmp(role, "standby") == 0)
		active = false;
	else
		return -EINVAL;
	if (active == ha->active)
		return 0;
	if (policy_thread_job(ha->parts))
		return -EBUSY; /* the write in flight reads the role (ha.h) */
	ha->active = active;
	ha->st.role_changes++;
	ha->st.last_role_change_ms = util_wall_ms();
	log_info("ha: this node is now the %s", active ? "active" : "standby");
	if (active && ha->follow != NULL)
		ha_conn_close(ha->follow, "this node is now the active");
	for (size_t i = 0; !active && i < HA_MAX_FOLLOW; i++) {
		if (ha->served[i] != NULL)
			ha_conn_close(ha->served[i], "this node is now the standby");
	}
	if (!active) {
		ha->next_connect = 0;
		follow(ha);
	}
	return 0;
}

const char *
ha_refusal(const struct ha *ha)
{
	return ha->active ? NULL : ha->refusal;
}

bool
ha_is_active(const struct ha *ha)
{
	return ha->active;
}

static void
on_accept(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct ha *ha = arg;
	struct sockaddr_storage ss;
	char name[ADDR_PORT_STRLEN];

	(void)loop;
	(void)events;
	for (;;) {
		socklen_t l = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &l, SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t i;

		if (c < 0)
			return;
		for (i = 0; i < HA_MAX_FOLLOW && ha->served[i] != NULL; i++)
			;
		sockaddr_ntop((struct sockaddr *)&ss, name, sizeof(name));
		if (i == HA_MAX_FOLLOW ||
		    (ha->served[i] = ha_conn_new(ha, c, false, name)) == NULL) {
			log_warnx("ha: refused a channel from %s: too many", name);
			close(c);
		}
	}
}

static void
on_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct ha *ha = arg;
	uint64_t now = ev_now_ms(loop), retry = (uint64_t)ha->conf->ha_retry_ms;
	struct conn *all[HA_MAX_FOLLOW + 1];

	(void)id;
	ha_conn_reap(ha);
	ha->timer = ev_timer_add(loop, retry / 3 > 0 ? retry / 3 : 1, on_timer, ha);
	memcpy(all, ha->served, sizeof(ha->served));
	all[HA_MAX_FOLLOW] = ha->follow;
	for (size_t i = 0; i <= HA_MAX_FOLLOW; i++) {
		struct conn *k = all[i];

		if (k == NULL)
			continue;
		if (now - k->last_rx > 3 * retry) {
			ha_conn_close(k, "silent for too long");
			continue;
		}
		if (k->state == CONN_READY && now - k->last_tx >= retry / 3) {
			if (ha_conn_send(k, json_pack("{s:s}", "type", "ping")) == 0)
				ha_conn_flush(k);
		}
	}
	if (!ha->active && ha->follow == NULL && now >= ha->next_connect) {
		ha->next_connect = now + retry;
		follow(ha);
	}
}

static int
read_secret(struct ha *ha, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		log_warn("ha: cannot read the secret %s", path);
		return -1;
	}
	n = read(fd, ha->secret, sizeof(ha->secret));
	close(fd);
	while (n > 0 && (ha->secret[n - 1] == '\n' || ha->secret[n - 1] == '\r'))
		n--;
	if (n < HA_SECRET_MIN) {
		log_warnx("ha: the secret in %s is shorter than %d bytes", path, HA_SECRET_MIN);
		return -1;
	}
	ha->secret_len = (size_t)n;
	return 0;
}

static int
open_listener(const struct addr_port *ap)
{
	int one = 1, fd = socket(ap->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	(void)addr_sock_freebind(fd, ap->ss.ss_family);
	if (bind(fd, (const struct sockaddr *)&ap->ss, ap->len) < 0 || listen(fd, 8) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

struct ha *
ha_new(struct ev_loop *loop, const struct conf *conf, struct policy_parts *parts)
{
	struct ha *ha = calloc(1, sizeof(*ha));
	char name[ADDR_PORT_STRLEN];

	if (ha == NULL)
		return NULL;
	ha->loop = loop;
	ha->conf = conf;
	ha->parts = parts;
	ha->lfd = -1;
	ha->active = conf->ha_role == CONF_HA_ACTIVE;
	addr_port_ntop(&conf->ha_peer.v[0], name, sizeof(name));
	util_strlcpy(ha->peer_name, conf->ha_peer_api[0] ? conf->ha_peer_api : name,
		     sizeof(ha->peer_name));
	snprintf(ha->refusal, sizeof(ha->refusal),
		 "this gateway is the standby of an HA pair: send policy writes to the active (%s)",
		 ha->peer_name);
	if (read_secret(ha, conf->ha_secret_file) < 0)
		goto fail;
	if (conf_ha_tls_on(conf)) {
		char why[512];

		if (ha_tls_new(conf, &ha->tls, why, sizeof(why)) < 0) {
			log_warnx("ha: %s", why);
			goto fail;
		}
	} else {
		log_warnx("ha: the policy channel is not encrypted (%s): it carries the whole "
			  "policy and the API tokens' hashes in clear; set api.tls_cert and "
			  "ha.peer_ca or ha.peer_fingerprint (docs/ha.md)",
			  conf->ha_tls == CONF_HA_TLS_OFF ? "ha.tls = off" : "no api.tls_cert");
	}
	/* the digest of the policy in force; set by the first commit when there is none yet */
	if (parts->snap != NULL && ha_digest(parts->snap, ha->digest) < 0)
		goto fail;
	ha->lfd = open_listener(&conf->ha_listen.v[0]);
	if (ha->lfd < 0) {
		log_warnx("ha: cannot listen on %s: %s",
			  addr_port_ntop(&conf->ha_listen.v[0], name, sizeof(name)),
			  strerror(-ha->lfd));
		goto fail;
	}
	if (ev_io_add(loop, ha->lfd, EV_READ, on_accept, ha) < 0)
		goto fail;
	ha->timer = ev_timer_add(loop, 1, on_timer, ha);
	parts->committed = ha_committed;
	parts->committed_arg = ha;
	log_info("ha: %s, policy %s, peer %s", ha->active ? "active" : "standby", ha->digest,
		 ha->peer_name);
	return ha;
fail:
	ha_free(ha);
	return NULL;
}

void
ha_free(struct ha *ha)
{
	if (ha == NULL)
		return;
	if (ha->follow != NULL)
		ha_conn_close(ha->follow, "stopping");
	for (size_t i = 0; i < HA_MAX_FOLLOW; i++) {
		if (ha->served[i] != NULL)
			ha_conn_close(ha->served[i], "stopping");
	}
	if (ha->lfd >= 0)
		ev_io_close(ha->loop, ha->lfd);
	if (ha->timer)
		ev_timer_del(ha->loop, ha->timer);
	if (ha->parts->committed_arg == ha) {
		ha->parts->committed = NULL;
		ha->parts->committed_arg = NULL;
	}
	ha_conn_reap(ha);
	ha_tls_free(ha->tls);
	explicit_bzero(ha->secret, sizeof(ha->secret));
	free(ha);
}

json_t *
ha_status_json(const struct ha *ha)
{
	const struct conn *f = ha->follow;
	json_t *followers = json_array();
	bool up = f != NULL && f->state == CONN_READY;

	for (size_t i = 0; followers != NULL && i < HA_MAX_FOLLOW; i++) {
		const struct conn *k = ha->served[i];

		if (k == NULL || k->state != CONN_READY)
			continue;
		up = true;
		json_array_append_new(followers,
				      json_pack("{s:s,s:s,s:b}", "address", k->peer, "digest",
						k->peer_digest, "in_sync",
						strcmp(k->peer_digest, ha->digest) == 0));
	}
	return json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:o*,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		"s:I,s:I,s:I,s:I}}",
		"role", ha->active ? "active" : "standby", "peer", ha->peer_name, "channel",
		up ? "up" : "down", "tls", ha->tls != NULL ? "on" : "off", "tls_last_failure",
		ha->tls_failure, "digest", ha->digest, "followers", followers, "counters",
		"commits_sent", (json_int_t)ha->st.commits_sent, "commits_applied",
		(json_int_t)ha->st.commits_applied, "full_syncs", (json_int_t)ha->st.full_syncs,
		"resyncs", (json_int_t)ha->st.resyncs, "auth_failures",
		(json_int_t)ha->st.auth_failures, "apply_failures",
		(json_int_t)ha->st.apply_failures, "empty_refused",
		(json_int_t)ha->st.empty_refused, "digest_mismatches",
		(json_int_t)ha->st.digest_mismatches, "role_changes",
		(json_int_t)ha->st.role_changes, "connects", (json_int_t)ha->st.connects,
		"last_apply_us", (json_int_t)ha->st.last_apply_us, "last_role_change_ms",
		(json_int_t)ha->st.last_role_change_ms, "reputation_sent",
		(json_int_t)ha->st.reputation_sent, "reputation_applied",
		(json_int_t)ha->st.reputation_applied, "tokens_sent",
		(json_int_t)ha->st.tokens_sent, "tokens_applied", (json_int_t)ha->st.tokens_applied,
		"tls_failures", (json_int_t)ha->st.tls_failures);
}
