/* SPDX-License-Identifier: MIT */
/* api/internal.h -- types shared by the api/ files: request, reply helpers, entity table */
#ifndef RGW_API_INTERNAL_H
#define RGW_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/buf.h"
#include "../policy/policy.h"
#include "../policy/store.h"
#include "../policy/table.h"
#include "api.h"
#include "router.h"

struct MHD_Connection;
struct pol_tenant;

/* Clients the rate limiter tracks at once (api/ratelimit.h). */
#define API_RL_CLIENTS 4096

/* Counters exported by /metrics and /api/v1/status. */
struct api_stats {
	uint64_t requests;
	uint64_t by_class[6]; /* 1xx..5xx by status / 100 (index 0 unused) */
	uint64_t writes;
	uint64_t write_failures;
	uint64_t apply_failures;
	uint64_t auth_failures;
	uint64_t rate_limited;
	uint64_t last_write_us;	   /* duration of the last successful write, commit included */
	uint64_t write_us_total;   /* sum over successful writes */
	uint64_t request_timeouts; /* connections closed without a complete request head */
	uint64_t conns_shed;	   /* closed to make room for a new connection */
};

struct api {
	struct ev_loop *loop;
	const struct conf *conf;
	struct pol_store *st; /* the commit thread's own while a write runs there */
	struct api_views v;
	bool paused; /* a policy write runs on the commit thread: no request is read */
	struct api_rl *rl;
	uint64_t started_ms; /* monotonic */
	uint64_t started_wall_ms;
	struct api_stats stats;
	struct api_listener *listeners;
	size_t n_listeners;
	/* GET /bundle cache: the serialised export of one snapshot (held by reference). */
	struct pol_snap *bundle_snap;
	char *bundle_text;
	size_t bundle_len;
	char bundle_etag[40];
	/* session-name quota buckets, one per tenant that issued (api/res_tenants.c) */
	struct api_tenant_rate *tenant_rates;
	size_t n_tenant_rates, tenant_rates_cap;
	/* client certificates (api/mtls.h): the trust list, NULL when not configured */
	struct api_mtls *mtls;
};

/*
 * One HTTP request, from the first header callback to the response. Handlers read the
 * parameters and the body and fill in the reply with the api_reply_* helpers.
 */
struct api_req {
	struct api *api;
	struct MHD_Connection *conn; /* NULL when driven by a unit test */
	const char *method;
	char path[2048];
	struct api_match m;
	/* request */
	json_t *body; /* parsed body (POST/PUT/PATCH) */
	const char *if_match;
	const char *if_none_match;
	const char *(*query_fn)(struct api_req *r, const char *key); /* test hook */
	enum pol_role role;
	char actor[64];	 /* token name, for the audit log */
	char tenant[64]; /* the tenant the token acts for alone, "" for the operator's tokens */
	struct pol_tenant *ten; /* that tenant (heap, freed with the request), NULL: operator */
	/* the row being written, so that errors about it name the request's field */
	const struct api_entity *w_ent;
	int64_t w_id;
	/* reply */
	int status;
	json_t *reply;	 /* JSON body, or NULL */
	struct buf text; /* text body when reply is NULL */
	char *raw;	 /* serialised JSON body (compact), preferred over reply when set */
	size_t raw_len;
	const char *ctype; /* content type of text */
	char etag[40];	   /* quoted, "" = none */
	char location[512];
	char allow[128];
	uint32_t retry_after_s;
};

/* --- reply helpers (api/reply.c) --- */

/* Canonical ETag of a JSON value: "\"<32 hex>\"", a 128-bit keyed hash (two SipHash-2-4)
 * of its compact dump with sorted keys; api_etag_text hashes such a dump directly. */
void api_etag(const json_t *v, char out[40]);
void api_etag_text(const char *text, size_t len, char out[40]);
/* Reply with an already serialised JSON entity and its ETag (text is copied). */
void api_reply_raw_entity(struct api_req *r, int status, const char *text, size_t len,
			  const char *etag);
/* Reply with JSON (steals v). */
void api_reply_json(struct api_req *r, int status, json_t *v);
/* Reply with JSON and its ETag (steals v); GET with a matching If-None-Match gets 304. */
void api_reply_entity(struct api_req *r, int status, json_t *v);
/* Same with a given ETag (the policy's, for the bundle); NULL or "": computed from v. */
void api_reply_entity_etag(struct api_req *r, int status, json_t *v, const char *etag);
/* Reply {"error": code, "message": ..., "field": field or null}. */
void api_reply_error(struct api_req *r, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Rewrite e->field from store/snapshot terms ("hosts.fqdn", "hosts[3].fqdn") to the
 * request's terms ("fqdn") when it is about the row being written; otherwise prefix
 * e->msg with the row's kind and name. snap may be NULL. Returns true when e is about a
 * row this request wrote (the written row, or the parent named in the path of a
 * sub-resource write; when the row cannot be told, true for any write), false when it is
 * about another row (always for a DELETE, which writes no row). */
bool api_fix_err(struct api_req *r, const struct pol_snap *snap, struct pol_err *e);
/* HTTP status for a refused write from e->kind: CONFLICT 409; DANGLING 400 when own (the
 * request wrote the row that refers to nothing), 409 otherwise (a delete or change left
 * other rows referring to nothing); INVALID 400. */
int api_err_status(const struct pol_err *e, bool own);
/* Map a store or validation error (-EINVAL, -EEXIST, -ENOENT, -EBUSY...) to a reply;
 * -EINVAL by api_err_status(e, true). */
void api_reply_store_err(struct api_req *r, int rc, const struct pol_err *e, const char *what);
/* The machine-readable code for an HTTP status ("invalid", "not_found", ...). */
const char *api_error_code(int status);
/* Query parameter or NULL. */
const char *api_query(struct api_req *r, const char *key);
/* If-Match check against the current representation: true if the write may proceed,
 * otherwise a 412 reply has been set. Absent If-Match always proceeds; "*" matches any. */
bool api_if_match(struct api_req *r, const json_t *current);
/* Same against a known ETag (the policy's for the bundle). */
bool api_if_match_etag(struct api_req *r, const char *etag);

/* --- write transactions (api/txn.c) --- */

/* BEGIN; false with a reply set on failure. */
bool api_txn_begin(struct api_req *r);
/*
 * Finish a policy write: the committer (api_views.commit) validates the whole policy, puts it
 * in force everywhere, writes the audit line (token name, method, path, a summary of the
 * body, ETags before and after) and commits. On failure nothing changed (the transaction is
 * rolled back), the error reply is set (400/409 for a policy the validator refused, 500 for
 * one the data plane could not take, 503 when busy or out of memory) and false is returned.
 * On success *snap_out (if not NULL) holds the new policy in force (caller unrefs).
 */
bool api_txn_commit(struct api_req *r, struct pol_snap **snap_out);
/* ROLLBACK after an error reply was set by the handler. */
void api_txn_abort(struct api_req *r);
/* Append one audit line for a write that is not a policy change (tokens, reputation). */
int api_audit(struct api_req *r);
/* A snapshot of the store without its ETag (writes look rows up in it), or NULL with a
 * 500/503 reply set. */
struct pol_snap *api_snapshot(struct api_req *r);
/* The policy to answer reads from, with its ETag: the one in force (*api_views.snap) or the
 * store's; NULL with a 500/503 reply set. */
struct pol_snap *api_snapshot_read(struct api_req *r);

/*
 * --- entities (api/entity.c) ---
 * Generic CRUD over one policy table. A row is addressed by its numeric id or by its
 * natural key (name, fqdn, address, prefix) when it has one.
 */
struct api_entity {
	const char *kind; /* "host", in messages */
	/* the table (policy/table.h): its snapshot rows, store accessors, codec and key */
	const struct pol_table *t;
	/* offsetof the parent's id (host, group, zone, resolver group) in the row, 0: none */
	size_t parent_off;
	bool name_is_key; /* the natural key is unique and addresses a row in paths */
	/* Optional: after insert/update of row, write the embedded sub-collections present
	 * in obj (the request body), replacing the current ones. 0, or <0 with a reply set. */
	int (*after_write)(struct api_req *r, const struct pol_snap *s, const json_t *obj,
			   const void *row);
	/* Optional: row of s is tenant t's (policy/tenancy.h). NULL: no tenant sees this
	 * table; its routes do not exist for a tenant's token. */
	bool (*owned)(const struct pol_tenant *t, const struct pol_snap *s, const void *row);
};

extern const struct api_entity api_ent_zone, api_ent_nameserver, api_ent_service_addr,
	api_ent_pool_addr, api_ent_host, api_ent_service, api_ent_host_fw, api_ent_group,
	api_ent_group_fw, api_ent_alg_route, api_ent_bracket, api_ent_resolver_group,
	api_ent_resolver_node;

/* The parent id of row (0 for a top-level table), and setting it. */
static inline int64_t
api_parent(const struct api_entity *ent, const void *row)
{
	return ent->parent_off != 0
		       ? *(const int64_t *)(const void *)((const char *)row + ent->parent_off)
		       : 0;
}

static inline void
api_set_parent(const struct api_entity *ent, void *row, int64_t pid)
{
	*(int64_t *)(void *)((char *)row + ent->parent_off) = pid;
}

/* Every entity once (fw rules as host rules), NULL-terminated. */
extern const struct api_entity *const api_entities[];

/* Find a row by key ("12" or a name) among the rows of parent_id (0: any). */
const void *api_entity_find(const struct api_entity *ent, const struct pol_snap *s, const char *key,
			    int64_t parent_id);
/* The representation of a row: to_json plus "id". */
json_t *api_entity_json(const struct api_entity *ent, const struct pol_snap *s, const void *row);

/* Generic handlers (route->ent, route->parent). */
void api_h_list(struct api_req *r);
void api_h_get(struct api_req *r);
void api_h_create(struct api_req *r);
void api_h_replace(struct api_req *r);
void api_h_patch(struct api_req *r);
void api_h_delete(struct api_req *r);

/* Specific handlers (api/res_*.c). */
void api_h_host_groups_list(struct api_req *r);
void api_h_host_groups_add(struct api_req *r);
void api_h_host_groups_del(struct api_req *r);
void api_h_admission_get(struct api_req *r);
void api_h_admission_put(struct api_req *r);
void api_h_admission_patch(struct api_req *r);
void api_h_reputation_list(struct api_req *r);
void api_h_reputation_get(struct api_req *r);
void api_h_reputation_put(struct api_req *r);
void api_h_reputation_del(struct api_req *r);
void api_h_bindings(struct api_req *r);
void api_h_windows(struct api_req *r);
void api_h_blocks_list(struct api_req *r);
void api_h_blocks_del(struct api_req *r);
void api_h_bundle_get(struct api_req *r);
void api_h_bundle_put(struct api_req *r);
void api_h_status(struct api_req *r);
void api_h_metrics(struct api_req *r);
void api_h_openapi(struct api_req *r);
void api_h_audit(struct api_req *r);
void api_h_token_list(struct api_req *r);
void api_h_token_get(struct api_req *r);
void api_h_ha_get(struct api_req *r);
void api_h_ha_role(struct api_req *r);
void api_h_token_create(struct api_req *r);
void api_h_token_delete(struct api_req *r);
void api_h_tenant_list(struct api_req *r);
void api_h_tenant_get(struct api_req *r);
void api_h_tenant_put(struct api_req *r);
void api_h_tenant_delete(struct api_req *r);
void api_h_session_create(struct api_req *r);
void api_h_session_get(struct api_req *r);
void api_h_session_delete(struct api_req *r);

/* --- tenants (api/res_tenants.c, api/res_sessions.c) --- */
/* row of ent in s is visible to the request's token: the operator's see every row, a
 * tenant's only its own (ent->owned). */
bool api_visible(const struct api_req *r, const struct api_entity *ent, const struct pol_snap *s,
		 const void *row);
/* A tenant name: one DNS label of [a-z0-9-]. */
bool api_tenant_name_ok(const char *t);
/* name is a forward zone of s or below one. */
bool api_in_forward_zone(const struct pol_snap *s, const char *name);
/* Take one session name from t's quota (session_rate per second); false with *retry_s set
 * when it is used up (or on ENOMEM). */
bool api_tenant_take(struct api *api, const struct pol_tenant *t, uint32_t *retry_s);
void api_tenant_rates_free(struct api *api);
/* After authentication: the token bound to a tenant (r->tenant and r->ten set) reaches only
 * its own /tenants/{tenant}/... resources, the policy tables a tenant owns rows of (hosts,
 * their services and firewall rules, groups, ALG routes: the rows it does not own do not
 * exist for it), the audit log (its own lines) and GET /bundle (its part); anything else
 * does not exist for it (404), and it cannot change its tenant (403). False with the reply
 * set. */
bool api_tenant_scope(struct api_req *r);

/* Start / stop the listeners (api/http.c). 0 or -errno, reason logged. */
int api_http_start(struct api *api);
/* A whole small file (TLS material) as a NUL-terminated string; NULL with errno set. */
char *api_read_file(const char *path);
void api_http_stop(struct api *api);

/* The OpenAPI document (api/openapi.json, embedded at build time), NUL-terminated. */
const char *api_openapi_text(void);

#endif
