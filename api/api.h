/* SPDX-License-Identifier: MIT */
/* api/api.h -- the REST policy API (libmicrohttpd on the main loop, JSON bodies) */
#ifndef RGW_API_API_H
#define RGW_API_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../common/buf.h"
#include "../common/conf.h"
#include "../common/ev.h"
#include "../policy/policy.h"
#include "../policy/reputation.h"
#include "../policy/store.h"

/*
 * The API serves /api/v1/... (docs/api.md, api/openapi.json) on conf->api_listen, HTTPS when
 * conf->api_tls_cert and conf->api_tls_key are set. libmicrohttpd runs in external-epoll mode:
 * its epoll fd is watched by the main loop, so every handler (and every store access) runs in
 * the loop thread. No locks.
 *
 * A write is validated, committed in one transaction together with its audit line, and
 * applied to the data plane through hooks->apply before it is answered. When apply fails the
 * transaction is rolled back and the previous snapshot is applied again.
 */
struct api;

/*
 * Hooks given by rgwd.c. Every member may be NULL (the matching resource then reports the
 * subsystem as absent). All are called in the loop thread.
 */
struct api_hooks {
	/* Apply a complete policy snapshot to dns/nat/alg. The hook takes its own reference
	 * (pol_snap_ref) if it keeps snap. 0, or -errno with err filled; on failure the
	 * data plane must be left in a state that a second apply of the previous snapshot
	 * restores. */
	int (*apply)(void *arg, struct pol_snap *snap, struct pol_err *err);
	/* The policy in force (what the last successful apply received): a new reference, or
	 * NULL. Reads (GET) are served from it, so that they cost no database round trip and
	 * show exactly what the data plane runs; writes always read the store. */
	struct pol_snap *(*snapshot)(void *arg);
	/* Live bindings: a new JSON array of objects. NULL when NAT is not running. rgwctl
	 * shows the keys "public", "protocol", "port", "host", "private", "expires_ms". */
	json_t *(*bindings)(void *arg);
	/* Resolver cache windows (nat/window.h): a new JSON array, one object per resolver
	 * entity; NULL when NAT is not running. rgwctl shows "entity", "state", "window_ms",
	 * "clean", "cached". */
	json_t *(*windows)(void *arg);
	/* Counters per subsystem: a new JSON object {"dns": {...}, "nat": {...}, ...}. */
	json_t *(*status)(void *arg);
	/* Append Prometheus text-format lines (with # HELP / # TYPE) for the subsystems. */
	void (*metrics)(void *arg, struct buf *out);
	/* Live reputation view: a new JSON array of api_reputation_json() objects; NULL: the
	 * API lists the persisted state from the store. */
	json_t *(*reputation)(void *arg);
	/* Set (set = true, value in 0..1) or clear an administrative override in the live
	 * engine. 0 or -errno. When NULL the override is written to the store only. */
	int (*reputation_override)(void *arg, enum pol_rep_kind kind, const char *key, bool set,
				   double value);
	/* Forget all evidence about one entity in the live engine. 0, -ENOENT or -errno. */
	int (*reputation_reset)(void *arg, enum pol_rep_kind kind, const char *key);
};

/*
 * Start listening. conf, store and hooks must outlive the api (hooks is copied). Returns
 * NULL with the reason logged when a listener cannot be opened or the TLS files cannot be
 * read. Loop thread only.
 */
struct api *api_new(struct ev_loop *loop, const struct conf *conf, struct pol_store *st,
		    const struct api_hooks *hooks, void *arg);
/* Close the listeners and every connection. NULL is a no-op. */
void api_free(struct api *api);

/* The API's representation of one reputation entity (for the live reputation hook, so that
 * live and persisted entries have one shape): kind, key, value, override, periods,
 * previous and current counters. A new object, or NULL on ENOMEM. */
json_t *api_reputation_json(enum pol_rep_kind kind, const char *key,
			    const struct pol_rep_window *w);

/*
 * Create a token NAME with role (`rgwd --new-token NAME [--role ro|rw]`) and print
 * "token NAME (role): SECRET" to out, once: only its hash is stored. 0 or -errno
 * (-EEXIST if the name is taken) with the reason logged.
 */
int api_token_new(struct pol_store *st, const char *name, enum pol_role role, FILE *out);
/*
 * First start: when the store holds no token at all, create an "admin" rw token and print
 * it once to out. 0 (created or nothing to do) or -errno.
 */
int api_token_bootstrap(struct pol_store *st, FILE *out);

#endif
