/* SPDX-License-Identifier: MIT */
/* policy/store.h -- the SQLite policy store: schema, migrations, typed accessors */
#ifndef RGW_POLICY_STORE_H
#define RGW_POLICY_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "table.h"

/*
 * One connection, owned by the main loop thread. WAL mode, foreign_keys=ON,
 * busy_timeout, schema_version table with forward migrations applied at open.
 * Prepared statements only: no SQL is ever built from data.
 *
 * Errors: 0 on success, -errno style codes:
 *   -EINVAL  constraint or validation failure (e filled when an err is passed; a foreign
 *            key to a missing row has e->kind POL_ERR_DANGLING, a validation failure the
 *            validator's kind, anything else POL_ERR_INVALID)
 *   -EEXIST  unique constraint (duplicate name or address; e->kind POL_ERR_CONFLICT)
 *   -ENOENT  no such row
 *   -EBUSY   database locked
 *   -EIO     any other SQLite error (logged)
 * Every write function that takes a struct pol_err fills it on failure.
 */
struct pol_store;

#define POL_SCHEMA_VERSION 8

/* Open (creating if needed) and migrate. NULL on failure, with the reason logged and, if
 * err is not NULL, written there. */
struct pol_store *pol_store_open(const char *path, struct pol_err *err);
void pol_store_close(struct pol_store *st);
int pol_store_schema_version(struct pol_store *st);
/* --check-config: the database at path as the daemon would open it, changing nothing: an
 * existing file must be a readable and writable rgwd database whose schema this rgwd knows;
 * a missing one must be creatable in its directory. 0 or -errno with e filled. */
int pol_store_check_path(const char *path, struct pol_err *e);
/*
 * Backup and restore (policy/store_backup.c): everything the store holds -- policy, tokens,
 * audit log, saved reputation -- in one self-contained SQLite file.
 * pol_store_backup copies st into dest (created 0600, replaced atomically) with SQLite's
 * online backup API: one consistent state even while a daemon writes to the same database.
 * The copy is integrity-checked before it takes dest's name. 0 or -errno with e filled.
 * pol_store_restore checks src (integrity, foreign keys, a schema this rgwd knows), copies it
 * to a new file beside dest, opens it as the daemon does (migrating an older backup) and
 * renames it over dest (0640). dest must not exist unless force: replacing a database is
 * for a stopped daemon. 0, -EEXIST, -EINVAL (bad backup) or -errno, e filled.
 */
int pol_store_backup(struct pol_store *st, const char *dest, struct pol_err *e);
int pol_store_restore(const char *src, const char *dest, bool force, struct pol_err *e);

/* True if the store holds no policy at all (fresh database). */
bool pol_store_is_empty(struct pol_store *st);
/* PRAGMA integrity_check and foreign_key_check: 0 if both are clean, else -EIO with e
 * filled. For tests and tooling; reads the whole file. */
int pol_store_integrity_check(struct pol_store *st, struct pol_err *e);

/* Transactions (BEGIN IMMEDIATE / COMMIT / ROLLBACK). Nesting is not supported. */
int pol_store_begin(struct pol_store *st);
int pol_store_commit(struct pol_store *st);
int pol_store_rollback(struct pol_store *st);

/* Read the whole policy into a new snapshot (refcnt 1) with its ETag (snap->etag). Inside a
 * transaction, what the transaction sees. 0 or -errno. */
int pol_store_snapshot(struct pol_store *st, struct pol_snap **out);
/* The same without the ETag (snap->etag is ""): for readers that only look rows up. */
int pol_store_snapshot_rows(struct pol_store *st, struct pol_snap **out);
/* SQLite's data_version: it changes when another connection (another process) commits a
 * write to the database, never for this connection's own writes. 0 or -EIO. */
int pol_store_data_version(struct pol_store *st, int64_t *out);
/* WAL checkpoints of this connection: at a COMMIT that leaves the log past
 * POL_WAL_CHECKPOINT_PAGES (SQLite's default, on), or only when pol_store_checkpoint is called
 * (off: for a connection whose COMMIT may run on a thread that must not do that I/O; then
 * pol_store_wal_pages tells when one is due). 0 or -EIO. */
#define POL_WAL_CHECKPOINT_PAGES 1000
int pol_store_set_autocheckpoint(struct pol_store *st, bool on);
/* A passive checkpoint now: copies what no reader still needs, never waits. 0 or -EIO. */
int pol_store_checkpoint(struct pol_store *st);
/* With automatic checkpoints off: the pages in the log after this connection's last COMMIT
 * (a checkpoint does not change it; the COMMIT after one starts the log over). */
int pol_store_wal_pages(const struct pol_store *st);
/*
 * Replace the whole policy by snap, in one transaction: validated first
 * (pol_snap_validate), then every policy table is cleared and refilled; ids are
 * reassigned. Reputation state, tokens and the audit log are kept. On any failure the
 * database is left exactly as it was. 0 or -errno with err filled.
 */
int pol_store_replace(struct pol_store *st, const struct pol_snap *snap, struct pol_err *err);
/*
 * Replace tenant t's part of the policy (pol_tenancy_part of cur, the policy the store holds)
 * by in's hosts (with their services and firewall rules), groups (with theirs), memberships
 * and ALG routes (its other tables are not read), inside the caller's write transaction.
 * Everything else is left as it is; a host or group of t that in names again keeps its id (and so the
 * memberships the operator gave it). Whether in stays inside t's boundary and quotas is the
 * committer's check (pol_tenancy_check). 0 or -errno with e filled; on failure the caller
 * rolls the transaction back.
 */
struct pol_tenant;
int pol_store_replace_part(struct pol_store *st, const struct pol_snap *cur,
			   const struct pol_tenant *t, const struct pol_snap *in,
			   struct pol_err *e);

/* The policy tables' rows: pol_row_get, _insert, _update and _delete (policy/table.h). */

/* Host group membership. */
int pol_host_group_add(struct pol_store *st, int64_t host_id, int64_t group_id, struct pol_err *e);
int pol_host_group_del(struct pol_store *st, int64_t host_id, int64_t group_id, struct pol_err *e);

/* The admission policy row (always present). */
int pol_admission_get(struct pol_store *st, struct pol_admission *out);
int pol_admission_set(struct pol_store *st, const struct pol_admission *a, struct pol_err *e);

/* Reputation state: upsert by (kind, key); list all; delete one or all. */
int pol_reputation_save(struct pol_store *st, const struct pol_reputation *r);
int pol_reputation_list(struct pol_store *st, struct pol_reputation **out, size_t *n);
int pol_reputation_delete(struct pol_store *st, enum pol_rep_kind kind, const char *key);

/*
 * One change to the store, as a writer describes it and the audit log records it. Every
 * member may be NULL (written as "", detail as NULL).
 */
struct pol_change {
	const char *actor;    /* who: an API token's name, a DNS UPDATE key, "signal", "rgwd" */
	const char *action;   /* what: "POST", "UPDATE", "reload", "start", "import", ... */
	const char *resource; /* on what: "/api/v1/hosts", a zone, "policy", a file */
	const char *detail;   /* a summary of the change (a request body, the names updated) */
	/* for whom: the tenant whose token wrote it (policy/tenancy.h: the committer refuses
	 * what crosses its boundary or its quotas), NULL for the gateway's operator */
	const char *tenant;
	/* the change was made and checked elsewhere (the HA active): the committer audits its
	 * tenant but does not check it again (the standby's ids differ from the active's) */
	bool replayed;
};

/*
 * The committer: put the policy held by the store's open write transaction (pol_store_begin
 * and the writer's row writes) in force. It reads the transaction's snapshot, validates it
 * whole (pol_snap_validate), has every subsystem prepare for it, moves the kernel, appends
 * c's audit line (with the ETags of the policy in force before and after) and commits; on
 * any failure it changes nothing: the transaction is rolled back and the previous policy
 * stays in force everywhere. The transaction is closed when it returns.
 * Returns 0, or -errno with e filled: e->kind INVALID, CONFLICT or DANGLING for a policy the
 * validator refused (-EINVAL), APPLY for a valid policy the data plane could not take,
 * INVALID with -EBUSY / -EIO / -ENOMEM for the store and memory. *snap (when snap is not
 * NULL) gets a reference to the snapshot it read (the new policy in force on success; on
 * failure the refused one, so that the writer can name the rows in e; NULL if the store
 * could not be read). rgwd's is policy_commit (commit.c); the API, DNS UPDATE, SIGHUP and
 * start-up all go through it. Main loop thread.
 */
typedef int (*pol_commit_fn)(void *arg, const struct pol_change *c, struct pol_snap **snap,
			     struct pol_err *e);

/* Audit log: append one line (ts = now) for change c; etag_before and etag_after (NULL
 * when none) are the ETags of the policy in force before and after it. */
int pol_audit_append(struct pol_store *st, const struct pol_change *c, const char *etag_before,
		     const char *etag_after);
struct pol_audit {
	int64_t id;
	uint64_t ts_ms;
	char actor[64];
	char action[16];
	char resource[256];
	char *detail;			/* heap, freed by pol_audit_free */
	char etag_before[POL_ETAG_LEN]; /* "" when none */
	char etag_after[POL_ETAG_LEN];
	char tenant[64]; /* the tenant whose token wrote it, "" for the operator */
};
/* Newest first, at most limit rows with id < before_id (0 = from the newest); tenant not
 * NULL: only the lines written for that tenant. */
int pol_audit_list(struct pol_store *st, const char *tenant, int64_t before_id, size_t limit,
		   struct pol_audit **out, size_t *n);
void pol_audit_free(struct pol_audit *rows, size_t n);
/* Delete the audit lines written before before_ms (wall clock, ms since the epoch); *removed
 * (may be NULL) gets their count. 0 or -errno. */
int pol_audit_prune(struct pol_store *st, uint64_t before_ms, uint64_t *removed);

/*
 * One-time session names (policy/session.h): rows of their own table, outside the policy
 * (no audit line, no snapshot). insert: -EEXIST when the name is taken; end: sets ended_ms
 * (-ENOENT: no such row); list: every row, in no order, to cb (a non-zero return stops);
 * forget: deletes one row; purge: deletes rows ended (or past their deadline) before
 * before_ms. 0 or -errno. Each is its own transaction unless one is open.
 */
struct pol_sess;
int pol_session_insert(struct pol_store *st, const struct pol_sess *s);
int pol_session_end(struct pol_store *st, const char *name, int64_t ended_ms);
int pol_session_list(struct pol_store *st, int (*cb)(void *arg, const struct pol_sess *s),
		     void *arg);
int pol_session_forget(struct pol_store *st, const char *name);
int pol_session_purge(struct pol_store *st, int64_t before_ms);
/* Tenants (policy/session.h): put (insert or replace), get (-ENOENT), delete (-ENOENT), list
 * (by name, to cb; a non-zero return stops). 0 or -errno. */
int pol_tenant_put(struct pol_store *st, const struct pol_tenant *t);
int pol_tenant_get(struct pol_store *st, const char *name, struct pol_tenant *out);
int pol_tenant_delete(struct pol_store *st, const char *name);
int pol_tenant_list(struct pol_store *st, int (*cb)(void *arg, const struct pol_tenant *t),
		    void *arg);
/* The tenant the API token named token acts for: 0 with tenant (POL_TENANT_MAX bytes) filled,
 * -ENOENT when the token is the gateway operator's (bound to no tenant). */
int pol_tenant_of_token(struct pol_store *st, const char *token, char *tenant);

/*
 * API tokens (policy/store_tok.c): the secret is never stored, only SHA-256(salt || secret).
 * pol_token_create generates a random secret, writes "rgw_<hex>" into secret_out (at least
 * POL_TOKEN_MAX bytes) and stores the hash, the role, the creation time and expires_ms (wall
 * clock ms since the epoch; 0: never expires). A pair token (pair true: the API's) follows
 * the active of an HA pair to its standby; a node token (the command line's) stays on this
 * node. -EINVAL (bad name or role), -EEXIST (name taken; e->kind CONFLICT) or -EIO.
 * pol_token_check compares in constant time against every token and returns 0 with *role and
 * name filled, -EKEYEXPIRED for a known token past its expiry (name filled), or -EACCES. A
 * successful check outside a transaction notes the time of use (at most once a minute per
 * token, so that reads do not become writes).
 * pol_token_delete revokes by name at once: 0 or -ENOENT.
 * pol_token_list: every token, by name, without any secret material; caller frees *out.
 *
 * An HA pair replicates its pair tokens as stored (name, role, salted hash, times): the
 * secrets exist nowhere but with their holders. pol_token_rows: every pair token; caller
 * frees *out. pol_token_take (in the caller's transaction): make this node's pair tokens
 * exactly rows[] (insert, update, delete); a node token keeps its name (counted in
 * *conflicts, not replaced). The number of tokens changed, or -EINVAL (a bad row) / -EIO.
 */
#define POL_TOKEN_MAX		80
#define POL_TOKEN_EXPIRES_MAX_S (10 * 365 * 86400) /* the longest expiry, in seconds */
struct pol_token_info {
	char name[64];
	enum pol_role role;
	uint64_t created_ms;
	uint64_t expires_ms;   /* 0: never */
	uint64_t last_used_ms; /* 0: never used (or not since the upgrade that added it) */
};
struct pol_token_row {
	char name[64];
	enum pol_role role;
	uint8_t salt[16];
	uint8_t hash[32];
	uint64_t created_ms;
	uint64_t expires_ms; /* 0: never */
};
int pol_token_create(struct pol_store *st, const char *name, enum pol_role role,
		     uint64_t expires_ms, bool pair, char *secret_out, struct pol_err *e);
int pol_token_check(struct pol_store *st, const char *secret, enum pol_role *role, char *name_out,
		    size_t name_len);
int pol_token_delete(struct pol_store *st, const char *name);
/* The role of the token named name (a client certificate's identity, api/mtls.c): 0, -ENOENT,
 * -EKEYEXPIRED (past its expiry) or -EIO. */
int pol_token_named(struct pol_store *st, const char *name, enum pol_role *role);
int pol_token_count(struct pol_store *st);
int pol_token_list(struct pol_store *st, struct pol_token_info **out, size_t *n);
int pol_token_rows(struct pol_store *st, struct pol_token_row **out, size_t *n);
int pol_token_take(struct pol_store *st, const struct pol_token_row *rows, size_t n,
		   size_t *conflicts);

#endif
