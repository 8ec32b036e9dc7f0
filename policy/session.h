/* SPDX-License-Identifier: MIT */
/* policy/session.h -- one-time session names: a concurrent table outside the policy snapshot */
#ifndef RGW_POLICY_SESSION_H
#define RGW_POLICY_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy_types.h"

/*
 * A session name is a random FQDN (POL_SESS_LABEL_LEN characters of base32 from the kernel's
 * CSPRNG under a tenant's session domain) that stands for one service of the policy until a
 * deadline, for at most max_uses resolutions (0: no limit), or until it is ended (logout).
 *
 * Session names are not policy: they live in this table, never in the policy snapshot, so
 * issuing one does not rebuild the DNS name index. The table is sharded; each shard is a
 * chained hash table under its own read-write lock, so the DNS and ALG worker threads look
 * names up while the main thread adds and ends them. An ended or expired name stays in the
 * table as a tombstone for keep_ended_ms (queries for it are evidence against the asker),
 * then pol_sess_sweep forgets it.
 */
#define POL_SESS_LABEL_LEN 28 /* "s-" + 26 base32 characters: 130 random bits */
#define POL_TENANT_MAX	   64

enum pol_sess_state {
	POL_SESS_NONE = 0, /* no such session name */
	POL_SESS_LIVE,	   /* valid: resolves to its service */
	POL_SESS_ENDED,	   /* ended, expired or used up: NXDOMAIN, evidence */
};

struct pol_sess {
	char name[POL_NAME_MAX];     /* lowercase, no trailing dot */
	char tenant[POL_TENANT_MAX]; /* owner */
	char service[POL_NAME_MAX];  /* fqdn of the service it stands for */
	int64_t created_ms;	     /* wall clock */
	int64_t deadline_ms;	     /* wall clock: ends then */
	int64_t ended_ms;	     /* wall clock, 0: not ended by DELETE */
	uint32_t max_uses;	     /* resolutions allowed, 0: no limit */
	uint32_t uses;		     /* resolutions answered so far */
};

struct pol_sessions;

/*
 * A tenant: who may issue session names, under which domains (subtrees of the forward zones:
 * its session names and the services they stand for lie there), and how many per second
 * (0: no limit), and which API tokens act for it alone. Kept in the store beside the API
 * tokens, outside the policy.
 */
#define POL_TENANT_DOMAINS 16
#define POL_TENANT_TOKENS  16
#define POL_TENANT_REALM   16
#define POL_QUOTA_MAX	   1000000
/* What a tenant may hold at once (policy/tenancy.h), 0: no limit. pool: the sum of its hosts'
 * pool_limit, the pool addresses its hosts may hold at once. */
struct pol_quota {
	uint32_t hosts, services, alg_routes, pool;
};
struct pol_tenant {
	char name[POL_TENANT_MAX];
	char domains[POL_TENANT_DOMAINS][POL_NAME_MAX];
	size_t n_domains;
	uint32_t session_rate;
	char tokens[POL_TENANT_TOKENS][64]; /* API tokens (by name) that act for this tenant only */
	size_t n_tokens;
	/* the addresses its hosts and ALG route backends may use (none: no host, no route) */
	struct prefix realm[POL_TENANT_REALM];
	size_t n_realm;
	struct pol_quota quota;
};
/* name is one of t's domains or below one (lowercase, no trailing dot). */
bool pol_tenant_owns(const struct pol_tenant *t, const char *name);

/* A table for at most max_names names (live and tombstones). NULL on ENOMEM. */
struct pol_sessions *pol_sess_new(size_t max_names, uint64_t keep_ended_ms);
/* NULL is a no-op. No other thread may use the table any more. */
void pol_sess_free(struct pol_sessions *t);

/* A fresh random first label "s-xxxxxxxxxxxxxxxxxxxxxxxxxx" (NUL-terminated, len >=
 * POL_SESS_LABEL_LEN + 1) from getrandom(2). 0 or -errno. */
int pol_sess_label(char *out, size_t len);

/* Add s (its name lowercase). 0, -EEXIST (name taken), -ENOSPC (table full), -ENOMEM.
 * Main thread. */
int pol_sess_add(struct pol_sessions *t, const struct pol_sess *s);

/*
 * The state of name (lowercase, no trailing dot) at now_ms; for a live name, service (len
 * bytes) gets its service's fqdn and tenant (when not NULL, POL_TENANT_MAX bytes) its owner.
 * With charge, a live name counts one use (a resolution answered); the use that reaches
 * max_uses is the last. Any thread.
 */
enum pol_sess_state pol_sess_lookup(struct pol_sessions *t, const char *name, int64_t now_ms,
				    bool charge, char *service, size_t len, char *tenant);

/* A copy of the entry of name, or -ENOENT. Any thread. */
int pol_sess_get(struct pol_sessions *t, const char *name, struct pol_sess *out);

/* End name now (its tombstone lives keep_ended_ms). 0, -ENOENT (no such name, or owned by
 * another tenant when tenant is not NULL), -EALREADY (already ended). Main thread. */
int pol_sess_end(struct pol_sessions *t, const char *name, const char *tenant, int64_t now_ms);

/* Forget tombstones ended more than keep_ended_ms before now_ms. Returns how many went;
 * forget (when not NULL) is called for each, under the shard's lock. Main thread. */
size_t pol_sess_sweep(struct pol_sessions *t, int64_t now_ms,
		      void (*forget)(void *arg, const struct pol_sess *s), void *arg);

/* Names held (live and tombstones). Any thread. */
size_t pol_sess_count(struct pol_sessions *t);

/* Time a tombstone is kept. */
uint64_t pol_sess_keep_ended_ms(const struct pol_sessions *t);

#endif
