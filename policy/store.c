/* SPDX-License-Identifier: MIT */
/* policy/store.c -- the SQLite policy store: connection, schema migrations, transactions */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "store_int.h"

/* The tables of session names and tenants (policy/store_sess.c), whatever schema version
 * creates them; IF NOT EXISTS: they hold no column of another table, so a database that got
 * them under another number (or a test that rewinds the version) migrates cleanly. */
#define POL_SESSIONS_MIGRATION                                                                     \
	"CREATE TABLE IF NOT EXISTS sessions ("                                                    \
	" name TEXT PRIMARY KEY,"                                                                  \
	" tenant TEXT NOT NULL,"                                                                   \
	" service TEXT NOT NULL,"                                                                  \
	" created_ms INTEGER NOT NULL,"                                                            \
	" deadline_ms INTEGER NOT NULL,"                                                           \
	" max_uses INTEGER NOT NULL DEFAULT 0 CONSTRAINT max_uses CHECK (max_uses >= 0),"          \
	" ended_ms INTEGER) WITHOUT ROWID;"                                                        \
	"CREATE TABLE IF NOT EXISTS tenants ("                                                     \
	" name TEXT PRIMARY KEY CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 63),"            \
	" domains TEXT NOT NULL,"                                                                  \
	" session_rate INTEGER NOT NULL DEFAULT 0"                                                 \
	"  CONSTRAINT session_rate CHECK (session_rate BETWEEN 0 AND 1000000),"                    \
	" tokens TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"

static int store_exec(struct pol_store *st, const char *sql, struct pol_err *e);
static int store_tx_stmt(struct pol_store *st, const char *sql);
static int store_read_version(struct pol_store *st, int *version, struct pol_err *e);
static int store_migrate(struct pol_store *st, struct pol_err *e);
static int snapshot(struct pol_store *st, struct pol_snap **out, bool with_etag);

/*
 * Schema migrations: entry i brings a database from version i to version i + 1, in one
 * transaction together with the schema_version update. Never edit a shipped entry; append.
 * CHECK constraints are named after their column so that errors can name the field.
 */
static const char *const migrations[] = {
	/* v0 -> v1 */
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"INSERT INTO schema_version (version) VALUES (0);"

	"CREATE TABLE zones ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 253),"
	" kind TEXT NOT NULL CONSTRAINT kind CHECK (kind IN ('forward', 'reverse', 'alias')),"
	" ttl INTEGER NOT NULL CONSTRAINT ttl CHECK (ttl BETWEEN 0 AND 2147483647),"
	" mname TEXT NOT NULL, rname TEXT NOT NULL,"
	" serial INTEGER NOT NULL CONSTRAINT serial CHECK (serial BETWEEN 0 AND 4294967295),"
	" refresh INTEGER NOT NULL CONSTRAINT refresh CHECK (refresh BETWEEN 0 AND 4294967295),"
	" retry INTEGER NOT NULL CONSTRAINT retry CHECK (retry BETWEEN 0 AND 4294967295),"
	" expire INTEGER NOT NULL CONSTRAINT expire CHECK (expire BETWEEN 0 AND 4294967295),"
	" minimum INTEGER NOT NULL CONSTRAINT minimum CHECK (minimum BETWEEN 0 AND 4294967295));"

	"CREATE TABLE nameservers ("
	" id INTEGER PRIMARY KEY,"
	" zone_id INTEGER NOT NULL REFERENCES zones (id) ON DELETE CASCADE,"
	" name TEXT NOT NULL, ipv4 TEXT, ipv6 TEXT,"
	" UNIQUE (zone_id, name));"
	"CREATE INDEX nameservers_zone ON nameservers (zone_id);"

	"CREATE TABLE service_addrs ("
	" id INTEGER PRIMARY KEY,"
	" addr TEXT NOT NULL UNIQUE,"
	" comment TEXT NOT NULL DEFAULT '');"

	"CREATE TABLE pool_addrs ("
	" id INTEGER PRIMARY KEY,"
	" addr TEXT NOT NULL UNIQUE);"

	"CREATE TABLE groups ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 63),"
	" comment TEXT NOT NULL DEFAULT '');"

	"CREATE TABLE hosts ("
	" id INTEGER PRIMARY KEY,"
	" fqdn TEXT NOT NULL UNIQUE CONSTRAINT fqdn CHECK (length(fqdn) BETWEEN 1 AND 253),"
	" ipv4 TEXT UNIQUE, ipv6 TEXT UNIQUE,"
	" pool_limit INTEGER NOT NULL"
	"  CONSTRAINT pool_limit CHECK (pool_limit BETWEEN 0 AND 4294967295),"
	" dynamic INTEGER NOT NULL DEFAULT 0 CONSTRAINT dynamic CHECK (dynamic IN (0, 1)),"
	" comment TEXT NOT NULL DEFAULT '',"
	" CONSTRAINT ipv4 CHECK (ipv4 IS NOT NULL OR ipv6 IS NOT NULL));"

	"CREATE TABLE host_groups ("
	" host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,"
	" group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,"
	" PRIMARY KEY (host_id, group_id)) WITHOUT ROWID;"
	"CREATE INDEX host_groups_group ON host_groups (group_id);"

	"CREATE TABLE services ("
	" id INTEGER PRIMARY KEY,"
	" host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,"
	" fqdn TEXT NOT NULL UNIQUE CONSTRAINT fqdn CHECK (length(fqdn) BETWEEN 1 AND 253),"
	" protocol INTEGER CONSTRAINT protocol CHECK (protocol BETWEEN 0 AND 255),"
	" port INTEGER CONSTRAINT port CHECK (port BETWEEN 0 AND 65535),"
	" proxy_required INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT proxy_required CHECK (proxy_required IN (0, 1)),"
	" binding_timeout_ms INTEGER NOT NULL DEFAULT 2000"
	"  CONSTRAINT binding_timeout_ms CHECK (binding_timeout_ms BETWEEN 1 AND 3600000));"
	"CREATE INDEX services_host ON services (host_id);"

	"CREATE TABLE fw_rules ("
	" id INTEGER PRIMARY KEY,"
	" host_id INTEGER REFERENCES hosts (id) ON DELETE CASCADE,"
	" group_id INTEGER REFERENCES groups (id) ON DELETE CASCADE,"
	" direction TEXT NOT NULL"
	"  CONSTRAINT direction CHECK (direction IN ('ingress', 'egress', 'any')),"
	" protocol INTEGER NOT NULL DEFAULT 0 CONSTRAINT protocol CHECK (protocol BETWEEN 0 AND 255),"
	" src TEXT, dst TEXT,"
	" sport_lo INTEGER NOT NULL DEFAULT 0 CONSTRAINT sport CHECK (sport_lo BETWEEN 0 AND 65535),"
	" sport_hi INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT sport CHECK (sport_hi BETWEEN 0 AND 65535 AND sport_lo <= sport_hi),"
	" dport_lo INTEGER NOT NULL DEFAULT 0 CONSTRAINT dport CHECK (dport_lo BETWEEN 0 AND 65535),"
	" dport_hi INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT dport CHECK (dport_hi BETWEEN 0 AND 65535 AND dport_lo <= dport_hi),"
	" icmp_type INTEGER NOT NULL DEFAULT -1 CONSTRAINT icmp_type CHECK (icmp_type BETWEEN -1 AND 255),"
	" icmp_code INTEGER NOT NULL DEFAULT -1 CONSTRAINT icmp_code CHECK (icmp_code BETWEEN -1 AND 255),"
	" rate INTEGER NOT NULL DEFAULT 0 CONSTRAINT rate CHECK (rate BETWEEN 0 AND 4294967295),"
	" burst INTEGER NOT NULL DEFAULT 0 CONSTRAINT burst CHECK (burst BETWEEN 0 AND 4294967295),"
	" action TEXT NOT NULL CONSTRAINT action CHECK (action IN ('accept', 'drop', 'reject')),"
	" priority INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT priority CHECK (priority BETWEEN -2147483648 AND 2147483647),"
	" comment TEXT NOT NULL DEFAULT '',"
	" CONSTRAINT owner CHECK ((host_id IS NULL) <> (group_id IS NULL)));"
	"CREATE INDEX fw_rules_host ON fw_rules (host_id);"
	"CREATE INDEX fw_rules_group ON fw_rules (group_id);"

	"CREATE TABLE alg_routes ("
	" id INTEGER PRIMARY KEY,"
	" hostname TEXT NOT NULL CONSTRAINT hostname CHECK (length(hostname) BETWEEN 1 AND 253),"
	" listen_port INTEGER NOT NULL"
	"  CONSTRAINT listen_port CHECK (listen_port BETWEEN 0 AND 65535),"
	" backend TEXT NOT NULL,"
	" backend_port INTEGER NOT NULL"
	"  CONSTRAINT backend_port CHECK (backend_port BETWEEN 1 AND 65535),"
	" preserve TEXT NOT NULL DEFAULT 'none' CONSTRAINT preserve"
	"  CHECK (preserve IN ('none', 'proxy-v1', 'proxy-v2', 'transparent')),"
	" UNIQUE (hostname, listen_port));"

	"CREATE TABLE admission ("
	" id INTEGER PRIMARY KEY CONSTRAINT id CHECK (id = 1),"
	" dns_tcp INTEGER NOT NULL DEFAULT 0 CONSTRAINT dns_tcp CHECK (dns_tcp IN (0, 1)),"
	" dns_cname INTEGER NOT NULL DEFAULT 0 CONSTRAINT dns_cname CHECK (dns_cname IN (0, 1)),"
	" dns_tcpcname INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT dns_tcpcname CHECK (dns_tcpcname IN (0, 1)),"
	" dns_cookies INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT dns_cookies CHECK (dns_cookies IN (0, 1)),"
	" log_untrusted INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT log_untrusted CHECK (log_untrusted IN (0, 1)),"
	" unknown_resolver_groups INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT unknown_resolver_groups CHECK (unknown_resolver_groups IN (0, 1)),"
	" alias_ttl_ms INTEGER NOT NULL DEFAULT 5000"
	"  CONSTRAINT alias_ttl_ms CHECK (alias_ttl_ms BETWEEN 1 AND 3600000));"
	"INSERT INTO admission (id) VALUES (1);"

	"CREATE TABLE brackets ("
	" id INTEGER PRIMARY KEY,"
	" position INTEGER NOT NULL,"
	" load_min REAL NOT NULL CONSTRAINT load_min CHECK (load_min BETWEEN 0 AND 100),"
	" load_max REAL NOT NULL CONSTRAINT load_max"
	"  CHECK (load_max BETWEEN 0 AND 100 AND load_min <= load_max),"
	" fqdn_new REAL NOT NULL CONSTRAINT fqdn_new CHECK (fqdn_new BETWEEN 0 AND 1),"
	" sfqdn_new REAL NOT NULL CONSTRAINT sfqdn_new CHECK (sfqdn_new BETWEEN 0 AND 1),"
	" sfqdn_reuse REAL NOT NULL CONSTRAINT sfqdn_reuse CHECK (sfqdn_reuse BETWEEN 0 AND 1),"
	" math TEXT NOT NULL CONSTRAINT math CHECK (math IN ('max', 'min', 'avg')));"

	"CREATE TABLE resolver_groups ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 63),"
	" initial_reputation REAL NOT NULL DEFAULT 0.45"
	"  CONSTRAINT initial_reputation CHECK (initial_reputation BETWEEN 0 AND 1),"
	" sla INTEGER NOT NULL DEFAULT 0 CONSTRAINT sla CHECK (sla IN (0, 1)));"

	"CREATE TABLE resolver_nodes ("
	" id INTEGER PRIMARY KEY,"
	" group_id INTEGER NOT NULL REFERENCES resolver_groups (id) ON DELETE CASCADE,"
	" prefix TEXT NOT NULL UNIQUE);"
	"CREATE INDEX resolver_nodes_group ON resolver_nodes (group_id);"

	"CREATE TABLE reputation ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CONSTRAINT kind CHECK (kind IN ('resolver_group', 'requestor', 'host')),"
	" key TEXT NOT NULL,"
	" periods INTEGER NOT NULL DEFAULT 0,"
	" prev_initial REAL NOT NULL CONSTRAINT prev_initial CHECK (prev_initial BETWEEN 0 AND 1),"
	" prev_ok INTEGER NOT NULL, prev_nok INTEGER NOT NULL, prev_neutral INTEGER NOT NULL,"
	" cur_initial REAL NOT NULL CONSTRAINT cur_initial CHECK (cur_initial BETWEEN 0 AND 1),"
	" cur_ok INTEGER NOT NULL, cur_nok INTEGER NOT NULL, cur_neutral INTEGER NOT NULL,"
	" override REAL CONSTRAINT override CHECK (override BETWEEN 0 AND 1),"
	" updated_ms INTEGER NOT NULL,"
	" UNIQUE (kind, key));"

	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ts_ms INTEGER NOT NULL,"
	" actor TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL, detail TEXT);"

	"CREATE TABLE api_tokens ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 63),"
	" role TEXT NOT NULL CONSTRAINT role CHECK (role IN ('ro', 'rw')),"
	" salt BLOB NOT NULL CONSTRAINT salt CHECK (length(salt) = 16),"
	" hash BLOB NOT NULL CONSTRAINT hash CHECK (length(hash) = 32),"
	" created_ms INTEGER NOT NULL);",

	/* v1 -> v2: resolver cache windows (nat/window.h). Existing databases get the
	 * defaults; NULL on a group means "learned". */
	"ALTER TABLE admission ADD COLUMN cache_window_ms INTEGER NOT NULL DEFAULT 5000"
	"  CONSTRAINT cache_window_ms CHECK (cache_window_ms BETWEEN 0 AND 60000);"
	"ALTER TABLE admission ADD COLUMN window_flows INTEGER NOT NULL DEFAULT 8"
	"  CONSTRAINT window_flows CHECK (window_flows BETWEEN 1 AND 1000);"
	"ALTER TABLE resolver_groups ADD COLUMN cache_window_ms INTEGER"
	"  CONSTRAINT cache_window_ms CHECK (cache_window_ms BETWEEN 0 AND 60000);",

	/* v2 -> v3: every policy change records the ETags of the policy before and after */
	"ALTER TABLE audit ADD COLUMN etag_before TEXT;"
	"ALTER TABLE audit ADD COLUMN etag_after TEXT;",

	/* v3 -> v4: nested gateways. A host's nested blocks are one text of prefixes (NULL: an
	 * ordinary host) and the port of its DNS; a resolver group may be our parent gateways. */
	"ALTER TABLE hosts ADD COLUMN nested TEXT"
	"  CONSTRAINT nested CHECK (nested IS NULL OR length(nested) BETWEEN 9 AND 1024);"
	"ALTER TABLE hosts ADD COLUMN nested_port INTEGER"
	"  CONSTRAINT nested_port CHECK (((nested IS NULL AND nested_port IS NULL) OR"
	"   (nested IS NOT NULL AND nested_port IS NOT NULL AND nested_port BETWEEN 1 AND 65535)));"
	"ALTER TABLE hosts ADD COLUMN nested_timeout_ms INTEGER"
	"  CONSTRAINT nested_timeout_ms CHECK (nested_timeout_ms IS NULL OR"
	"   (nested IS NOT NULL AND nested_timeout_ms BETWEEN 1 AND 3600000));"
	"ALTER TABLE resolver_groups ADD COLUMN parent INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT parent CHECK (parent IN (0, 1));",
	/* v4 -> v5: one-time session names and the tenants that issue them (policy/session.h).
	 * Not policy: no snapshot, no ETag; a tombstone row (ended_ms set, or past its
	 * deadline) lives until swept. This entry only creates its own tables, so it can take
	 * any version number. */
	POL_SESSIONS_MIGRATION,

	/* v5 -> v6: token expiry (NULL: never) and the time of last use (NULL: unknown). */
	"ALTER TABLE api_tokens ADD COLUMN expires_ms INTEGER;"
	"ALTER TABLE api_tokens ADD COLUMN last_used_ms INTEGER;",

	/* v6 -> v7: a pair token (1) follows the active of an HA pair to its standby; a node
	 * token (0, every token of an older database) stays on its node. */
	"ALTER TABLE api_tokens ADD COLUMN pair INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT pair CHECK (pair IN (0, 1));",

	/* v7 -> v8: what a tenant owns beyond its domains (its realm: the addresses its hosts
	 * and ALG routes may use), its quotas (0: no limit), and the tenant an audit line was
	 * written for (NULL: the operator). */
	"ALTER TABLE tenants ADD COLUMN realm TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tenants ADD COLUMN max_hosts INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT max_hosts CHECK (max_hosts BETWEEN 0 AND 1000000);"
	"ALTER TABLE tenants ADD COLUMN max_services INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT max_services CHECK (max_services BETWEEN 0 AND 1000000);"
	"ALTER TABLE tenants ADD COLUMN max_alg_routes INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT max_alg_routes CHECK (max_alg_routes BETWEEN 0 AND 1000000);"
	"ALTER TABLE tenants ADD COLUMN max_pool INTEGER NOT NULL DEFAULT 0"
	"  CONSTRAINT max_pool CHECK (max_pool BETWEEN 0 AND 1000000);"
	"ALTER TABLE audit ADD COLUMN tenant TEXT;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == POL_SCHEMA_VERSION,
	       "one migration per schema version");

struct pol_store *
pol_store_open(const char *path, struct pol_err *err)
{
	struct pol_store *st = calloc(1, sizeof(*st));
	bool fresh = access(path, F_OK) == -1 && errno == ENOENT;
	int rc;

	if (st == NULL) {
		pol_err_set(err, "database", "out of memory");
		return NULL;
	}
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		pol_err_set(err, "database", "%s: %s", path,
			    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	/* a new database is readable by its owner and group only (it holds token hashes and
	 * the audit log): 0640 whatever the umask; SQLite gives its WAL the same mode */
	if (fresh && chmod(path, 0640) == -1)
		log_warn("policy: cannot set the mode of %s", path);
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	/* WAL with synchronous=NORMAL: a killed process never loses a committed transaction;
	 * only an OS crash or power loss may roll back the last ones (never corrupts). */
	if (store_exec(st, "PRAGMA journal_mode = WAL", err) != 0 ||
	    store_exec(st, "PRAGMA synchronous = NORMAL", err) != 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON", err) != 0)
		goto fail;
	if (store_migrate(st, err) != 0)
		goto fail;
	return st;
fail:
	log_warnx("policy: cannot open %s: %s%s%s", path, err != NULL ? err->field : "",
		  err != NULL ? ": " : "", err != NULL ? err->msg : "");
	pol_store_close(st);
	return NULL;
}

void
pol_store_close(struct pol_store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n_stmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warnx("policy: close: %s", sqlite3_errmsg(st->db));
	free(st);
}

/* A failed statement's result: -EBUSY when another connection holds the lock, else -EIO. */
static int
busy_or_eio(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? -EBUSY : -EIO;
}

static int
store_exec(struct pol_store *st, const char *sql, struct pol_err *e)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	pol_err_set(e, "database", "%s", msg != NULL ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return busy_or_eio(rc);
}

/* One transaction statement (BEGIN IMMEDIATE, COMMIT) from the statement cache: not parsed
 * again at each write. 0, -EBUSY (locked) or -EIO. */
static int
store_tx_stmt(struct pol_store *st, const char *sql)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return -EIO;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	return busy_or_eio(rc);
}

/* 0 for a database without a schema_version table (fresh or pre-versioning). */
static int
store_read_version(struct pol_store *st, int *version, struct pol_err *e)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
				"name = 'schema_version'",
				-1, &s, NULL);
	if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	if (sqlite3_column_int(s, 0) == 0) {
		sqlite3_finalize(s);
		return 0;
	}
	sqlite3_finalize(s);
	rc = sqlite3_prepare_v2(st->db, "SELECT max(version), count(*) FROM schema_version", -1, &s,
				NULL);
	if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	if (sqlite3_column_int(s, 1) != 1) {
		pol_err_set(e, "schema_version", "table must hold exactly one row (holds %d)",
			    sqlite3_column_int(s, 1));
		sqlite3_finalize(s);
		return -EINVAL;
	}
	*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
fail:
	pol_err_set(e, "database", "%s", sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return -EIO;
}

static int
store_migrate(struct pol_store *st, struct pol_err *e)
{
	int version, rc;

	/* The common case, an up-to-date database, needs no write lock: a daemon can open
	 * the store while `rgwd --import` holds the lock for a long import. */
	rc = store_read_version(st, &version, e);
	if (rc != 0)
		return rc;
	if (version == POL_SCHEMA_VERSION)
		return 0;
	/* Otherwise take the write lock and look again, so that two processes opening an
	 * old database at the same time migrate it once. */
	rc = store_exec(st, "BEGIN IMMEDIATE", e);
	if (rc != 0)
		return rc;
	rc = store_read_version(st, &version, e);
	if (rc != 0)
		goto fail;
	if (version > POL_SCHEMA_VERSION || version < 0) {
		pol_err_set(e, "schema_version",
			    "database schema version %d is not supported by this rgwd "
			    "(it knows versions up to %d); use a newer rgwd",
			    version, POL_SCHEMA_VERSION);
		rc = -EINVAL;
		goto fail;
	}
	for (int v = version; v < POL_SCHEMA_VERSION; v++) {
		char sql[64];

		rc = store_exec(st, migrations[v], e);
		if (rc != 0) {
			char msg[sizeof(e->msg)];

			if (e != NULL) {
				util_strlcpy(msg, e->msg, sizeof(msg));
				pol_err_set(e, "schema_version",
					    "migration to version %d failed: %s", v + 1, msg);
			}
			goto fail;
		}
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", v + 1);
		rc = store_exec(st, sql, e);
		if (rc != 0)
			goto fail;
		if (v + 1 < POL_SCHEMA_VERSION)
			log_info("policy: migrated database to schema version %d", v + 1);
	}
	rc = store_exec(st, "COMMIT", e);
	if (rc != 0)
		goto fail;
	if (version < POL_SCHEMA_VERSION)
		log_info("policy: database schema version %d (was %d)", POL_SCHEMA_VERSION,
			 version);
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int
pol_store_check_path(const char *path, struct pol_err *e)
{
	char dir[4096], *slash;
	sqlite3 *db = NULL;
	struct stat sb;
	int rc, version = 0;

	if (stat(path, &sb) == -1) {
		if (errno != ENOENT) {
			pol_err_set(e, "database", "%s: %s", path, strerror(errno));
			return -errno;
		}
		/* created at the first start: its directory must take a new file */
		util_strlcpy(dir, path, sizeof(dir));
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		else
			util_strlcpy(dir, ".", sizeof(dir));
		if (access(dir, W_OK | X_OK) == -1) {
			rc = -errno;
			pol_err_set(e, "database",
				    "%s does not exist and cannot be created in %s: %s", path, dir,
				    strerror(-rc));
			return rc;
		}
		return 0;
	}
	if (!S_ISREG(sb.st_mode)) {
		pol_err_set(e, "database", "%s is not a file", path);
		return -EINVAL;
	}
	if (access(path, R_OK | W_OK) == -1) {
		rc = -errno;
		pol_err_set(e, "database", "%s: %s", path, strerror(-rc));
		return rc;
	}
	/* Read only: a check changes nothing, not even by migrating. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_stmt *s = NULL;

		rc = sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &s,
					NULL);
		if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
			version = sqlite3_column_int(s, 0);
		else if (rc == SQLITE_OK)
			rc = SQLITE_CORRUPT;
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK) {
		pol_err_set(e, "database", "%s is not an rgwd database: %s", path,
			    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -EINVAL;
	}
	sqlite3_close(db);
	if (version > POL_SCHEMA_VERSION) {
		pol_err_set(e, "database",
			    "%s has schema version %d; this rgwd knows versions up to %d", path,
			    version, POL_SCHEMA_VERSION);
		return -EINVAL;
	}
	return 0;
}

int
pol_store_schema_version(struct pol_store *st)
{
	int v;

	if (store_read_version(st, &v, NULL) != 0)
		return -EIO;
	return v;
}

bool
pol_store_is_empty(struct pol_store *st)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM zones) + (SELECT count(*) FROM hosts) +"
		" (SELECT count(*) FROM groups) + (SELECT count(*) FROM pool_addrs) +"
		" (SELECT count(*) FROM service_addrs) + (SELECT count(*) FROM alg_routes) +"
		" (SELECT count(*) FROM resolver_groups) + (SELECT count(*) FROM brackets)";
	sqlite3_stmt *s = pol_store_stmt(st, sql);
	bool empty = false;

	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		empty = sqlite3_column_int64(s, 0) == 0;
	if (s != NULL)
		sqlite3_reset(s);
	return empty;
}

int
pol_store_integrity_check(struct pol_store *st, struct pol_err *e)
{
	sqlite3_stmt *s = NULL;
	int rc = -EIO;

	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
		pol_err_set(e, "database", "%s", sqlite3_errmsg(st->db));
		return -EIO;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);

		if (r != NULL && strcmp(r, "ok") == 0)
			rc = 0;
		else
			pol_err_set(e, "database", "integrity check: %s", r != NULL ? r : "?");
	} else {
		pol_err_set(e, "database", "%s", sqlite3_errmsg(st->db));
	}
	sqlite3_finalize(s);
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		pol_err_setk(e, POL_ERR_DANGLING, "database", "foreign key violation in %s",
			     (const char *)sqlite3_column_text(s, 0));
		rc = -EIO;
	}
	sqlite3_finalize(s);
	return rc;
}

int
pol_store_begin(struct pol_store *st)
{
	static const char sql[] = "BEGIN IMMEDIATE";
	int rc;

	if (st->in_tx)
		return -EBUSY;
	rc = store_tx_stmt(st, sql);
	if (rc == 0)
		st->in_tx = true;
	return rc;
}

int
pol_store_commit(struct pol_store *st)
{
	static const char sql[] = "COMMIT";
	int rc;

	if (!st->in_tx)
		return -EINVAL;
	rc = store_tx_stmt(st, sql);
	if (rc == 0)
		st->in_tx = false;
	return rc;
}

int
pol_store_rollback(struct pol_store *st)
{
	if (!st->in_tx)
		return -EINVAL;
	st->in_tx = false;
	return store_exec(st, "ROLLBACK", NULL);
}

static int
snapshot(struct pol_store *st, struct pol_snap **out, bool with_etag)
{
	struct pol_snap *snap = pol_snap_new();
	bool own_tx = !st->in_tx;
	int rc;

	*out = NULL;
	if (snap == NULL)
		return -ENOMEM;
	/* one read transaction: the snapshot is consistent even with another writer */
	if (own_tx && (rc = store_exec(st, "BEGIN", NULL)) != 0)
		goto fail;
	rc = pol_store_read_all(st, snap, with_etag);
	if (own_tx)
		sqlite3_exec(st->db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	if (rc != 0)
		goto fail;
	*out = snap;
	return 0;
fail:
	pol_snap_unref(snap);
	return rc;
}

int
pol_store_snapshot(struct pol_store *st, struct pol_snap **out)
{
	return snapshot(st, out, true);
}

int
pol_store_snapshot_rows(struct pol_store *st, struct pol_snap **out)
{
	return snapshot(st, out, false);
}

int
pol_store_data_version(struct pol_store *st, int64_t *out)
{
	static const char sql[] = "PRAGMA data_version";
	sqlite3_stmt *s = pol_store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

static int
wal_count(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	((struct pol_store *)arg)->wal_pages = pages;
	return SQLITE_OK;
}

int
pol_store_set_autocheckpoint(struct pol_store *st, bool on)
{
	if (sqlite3_wal_autocheckpoint(st->db, on ? POL_WAL_CHECKPOINT_PAGES : 0) != SQLITE_OK)
		return -EIO;
	if (!on) /* after sqlite3_wal_autocheckpoint, which sets the same hook */
		sqlite3_wal_hook(st->db, wal_count, st);
	return 0;
}

int
pol_store_wal_pages(const struct pol_store *st)
{
	return st->wal_pages;
}

int
pol_store_checkpoint(struct pol_store *st)
{
	return sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
			       SQLITE_OK
		       ? 0
		       : -EIO;
}

int
pol_store_replace(struct pol_store *st, const struct pol_snap *snap, struct pol_err *err)
{
	bool own_tx = !st->in_tx;
	int rc;

	rc = pol_snap_validate(snap, err);
	if (rc != 0)
		return rc;
	/* inside the caller's transaction a savepoint keeps "all or nothing" for this call */
	rc = store_exec(st, own_tx ? "BEGIN IMMEDIATE" : "SAVEPOINT pol_replace", err);
	if (rc != 0)
		return rc;
	rc = pol_store_write_all(st, snap, err);
	if (rc == 0)
		rc = store_exec(st, own_tx ? "COMMIT" : "RELEASE pol_replace", err);
	if (rc != 0) {
		if (own_tx)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		else
			sqlite3_exec(st->db, "ROLLBACK TO pol_replace; RELEASE pol_replace", NULL,
				     NULL, NULL);
	}
	return rc;
}

sqlite3_stmt *
pol_store_stmt(struct pol_store *st, const char *sql)
{
	sqlite3_stmt *s;

	for (size_t i = 0; i < st->n_stmts; i++) {
		if (st->stmts[i].sql == sql) {
			s = st->stmts[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		log_warnx("policy: prepare: %s: %s", sqlite3_errmsg(st->db), sql);
		return NULL;
	}
	if (st->n_stmts == STORE_STMT_MAX) {
		/* not cached: the statement is leaked into sqlite's care until close */
		log_warnx("policy: statement cache full");
		sqlite3_finalize(s);
		return NULL;
	}
	st->stmts[st->n_stmts].sql = sql;
	st->stmts[st->n_stmts].stmt = s;
	st->n_stmts++;
	return s;
}

int
pol_store_err(struct pol_store *st, int rc, const char *table, struct pol_err *e)
{
	const char *msg = sqlite3_errmsg(st->db);
	const char *what = strstr(msg, "failed: ");
	char field[160];

	what = what != NULL ? what + 8 : "";
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		pol_err_setk(e, POL_ERR_CONFLICT, what, "already exists");
		return -EEXIST;
	case SQLITE_CONSTRAINT_CHECK:
		snprintf(field, sizeof(field), "%s.%s", table, what);
		pol_err_set(e, field, "out of range");
		return -EINVAL;
	case SQLITE_CONSTRAINT_NOTNULL:
		pol_err_set(e, what, "required");
		return -EINVAL;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		pol_err_setk(e, POL_ERR_DANGLING, table, "references a missing row");
		return -EINVAL;
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		pol_err_set(e, table, "%s", msg);
		return -EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		pol_err_set(e, "database", "busy: %s", msg);
		return -EBUSY;
	default:
		log_warnx("policy: %s: %s", table, msg);
		pol_err_set(e, "database", "%s", msg);
		return -EIO;
	}
}

int
pol_store_step_done(struct pol_store *st, sqlite3_stmt *s, const char *table, struct pol_err *e)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		sqlite3_reset(s);
		return 0;
	}
	rc = pol_store_err(st, sqlite3_extended_errcode(st->db), table, e);
	sqlite3_reset(s);
	return rc;
}

int
pol_store_bind_addr(sqlite3_stmt *s, int i, const struct addr *a)
{
	char buf[ADDR_STRLEN];

	if (a->family == 0)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, addr_ntop(a, buf, sizeof(buf)), -1, SQLITE_TRANSIENT);
}

int
pol_store_bind_prefix(sqlite3_stmt *s, int i, const struct prefix *p)
{
	char buf[PREFIX_STRLEN];

	if (p->addr.family == 0)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, prefix_ntop(p, buf, sizeof(buf)), -1, SQLITE_TRANSIENT);
}

int
pol_store_bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

int
pol_store_col_addr(sqlite3_stmt *s, int i, struct addr *a)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	memset(a, 0, sizeof(*a));
	if (t == NULL)
		return 0;
	if (addr_parse(t, a) != 0) {
		log_warnx("policy: corrupt address in database: %s", t);
		return -EIO;
	}
	return 0;
}

int
pol_store_col_prefix(sqlite3_stmt *s, int i, struct prefix *p)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	memset(p, 0, sizeof(*p));
	if (t == NULL)
		return 0;
	if (prefix_parse(t, false, p) != 0) {
		log_warnx("policy: corrupt prefix in database: %s", t);
		return -EIO;
	}
	return 0;
}

void
pol_store_col_text(sqlite3_stmt *s, int i, char *buf, size_t len)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	util_strlcpy(buf, t != NULL ? t : "", len);
}
