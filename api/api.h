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
#include "views.h"

/*
 * The API serves /api/v1/... (docs/api.md, api/openapi.json) on conf->api_listen, HTTPS when
 * conf->api_tls_cert and conf->api_tls_key are set. libmicrohttpd runs in external-epoll mode:
 * its epoll fd is watched by the main loop, so every handler (and every store access) runs in
 * the loop thread. No locks.
 *
 * A write opens a store transaction, writes its rows and hands the transaction to the
 * committer (views->commit, rgwd's policy_commit): the whole policy is validated, put in force
 * in every subsystem, audited and committed before the answer goes out, or nothing changes.
 * Reads are answered from the policy in force (*views->snap) and the live subsystems.
 */
struct api;

/*
 * Start listening. conf, st and the subsystems named by views must outlive the api (views is
 * copied). Returns NULL with the reason logged when a listener cannot be opened or the TLS
 * files cannot be read. Loop thread only.
 */
struct api *api_new(struct ev_loop *loop, const struct conf *conf, struct pol_store *st,
		    const struct api_views *views);
/*
 * A reload (SIGHUP) with conf's [api] listen, metrics_listen, tls_cert/tls_key and
 * tls_client_ca/tls_client_crl (the files are read again, so a renewed certificate or a new
 * CRL at the same path is taken), rate and rate_burst.
 * prepare starts a complete new set of listeners without serving them (an address kept
 * keeps its socket; a new one is bound now, so a busy port or an unreadable key fails the
 * reload with nothing changed); abort undoes it; commit stops the old listeners (their open
 * connections close) and serves the new ones. conf must be the configuration api reads
 * (the caller updates it in place at the commit: max_body and the rest follow). Loop
 * thread.
 */
struct api_reconf;
int api_reconf_prepare(struct api *api, const struct conf *conf, struct api_reconf **out);
void api_reconf_commit(struct api *api, struct api_reconf *rc);
void api_reconf_abort(struct api *api, struct api_reconf *rc);

/* Close the listeners and every connection. NULL is a no-op. */
void api_free(struct api *api);

/* The API's representation of one reputation entity (live and persisted entries have one
 * shape): kind, key, value, override, periods, previous and current counters. A new object,
 * or NULL on ENOMEM. */
json_t *api_reputation_json(enum pol_rep_kind kind, const char *key,
			    const struct pol_rep_window *w);

/*
 * --check-config: read the TLS certificate and key as api_new would and have libmicrohttpd
 * parse them (on a daemon that never listens). 0 (or TLS not configured), or -errno with
 * the reason in why.
 */
int api_check_tls(const struct conf *conf, char *why, size_t len);

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
