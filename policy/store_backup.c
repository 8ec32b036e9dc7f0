/* SPDX-License-Identifier: MIT */
/* policy/store_backup.c -- online backup and restore of the whole store (SQLite backup API) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "store_int.h"

static int copy_db(sqlite3 *from, sqlite3 *to, struct pol_err *e);
static int check_file(const char *path, int *version, struct pol_err *e);

/* Every page in one pass: sqlite3_backup_step(-1) holds one read transaction on the source
 * for the whole copy, so the copy is one consistent state even while a daemon writes. */
static int
copy_db(sqlite3 *from, sqlite3 *to, struct pol_err *e)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	int rc;

	if (b == NULL) {
		pol_err_set(e, "backup", "%s", sqlite3_errmsg(to));
		return -EIO;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		pol_err_set(e, "backup", "%s", sqlite3_errstr(rc));
		return -EIO;
	}
	return 0;
}

/* A file that is a whole, sound rgwd database: integrity and foreign keys checked, its
 * schema version in *version. 0, or -EINVAL with e filled. */
static int
check_file(const char *path, int *version, struct pol_err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -EINVAL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		pol_err_set(e, "backup", "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &s, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		pol_err_set(e, "backup", "%s is not an rgwd database (%s)", path,
			    sqlite3_errmsg(db));
		goto out;
	}
	*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		pol_err_set(e, "backup", "%s fails the integrity check", path);
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE) {
		pol_err_set(e, "backup", "%s has rows that refer to nothing", path);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

int
pol_store_backup(struct pol_store *st, const char *dest, struct pol_err *e)
{
	char tmp[4096];
	sqlite3 *to = NULL;
	int fd, rc, version;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", dest, (int)getpid()) >= (int)sizeof(tmp)) {
		pol_err_set(e, "backup", "path too long");
		return -ENAMETOOLONG;
	}
	/* the copy holds token hashes and the audit log: readable by its owner only */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		rc = -errno;
		pol_err_set(e, "backup", "%s: %s", tmp, strerror(-rc));
		return rc;
	}
	close(fd);
	if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		pol_err_set(e, "backup", "%s: %s", tmp, to ? sqlite3_errmsg(to) : "cannot open");
		rc = -EIO;
		goto fail;
	}
	rc = copy_db(st->db, to, e);
	/* a self-contained file: no WAL beside it */
	if (rc == 0 &&
	    sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		pol_err_set(e, "backup", "%s", sqlite3_errmsg(to));
		rc = -EIO;
	}
	sqlite3_close(to);
	to = NULL;
	if (rc == 0)
		rc = check_file(tmp, &version, e);
	if (rc == 0 && rename(tmp, dest) == -1) {
		rc = -errno;
		pol_err_set(e, "backup", "%s: %s", dest, strerror(-rc));
	}
	if (rc == 0)
		return 0;
fail:
	sqlite3_close(to);
	unlink(tmp);
	return rc;
}

int
pol_store_restore(const char *src, const char *dest, bool force, struct pol_err *e)
{
	char tmp[4096], side[4200];
	sqlite3 *from = NULL, *to = NULL;
	struct pol_store *st;
	struct stat sb;
	int fd, rc, version;

	rc = check_file(src, &version, e);
	if (rc < 0)
		return rc;
	if (version > POL_SCHEMA_VERSION) {
		pol_err_set(e, "backup",
			    "%s has schema version %d; this rgwd knows versions up to %d", src,
			    version, POL_SCHEMA_VERSION);
		return -EINVAL;
	}
	if (!force && stat(dest, &sb) == 0) {
		pol_err_set(e, "database",
			    "%s exists: stop rgwd and give --force to replace it (or restore "
			    "into a new database)",
			    dest);
		return -EEXIST;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.restore-%d", dest, (int)getpid()) >= (int)sizeof(tmp)) {
		pol_err_set(e, "database", "path too long");
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd == -1) {
		rc = -errno;
		pol_err_set(e, "database", "%s: %s", tmp, strerror(-rc));
		return rc;
	}
	close(fd);
	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		pol_err_set(e, "backup", "cannot open %s or %s", src, tmp);
		rc = -EIO;
		goto fail;
	}
	rc = copy_db(from, to, e);
	sqlite3_close(from);
	sqlite3_close(to);
	from = to = NULL;
	if (rc < 0)
		goto fail;
	/* the store as the daemon opens it: WAL, foreign keys, and the migrations of an
	 * older backup, before the file takes the database's name */
	st = pol_store_open(tmp, e);
	if (st == NULL) {
		rc = -EINVAL;
		goto fail;
	}
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) ==
			     SQLITE_OK
		     ? 0
		     : -EIO;
	pol_store_close(st);
	if (rc < 0) {
		pol_err_set(e, "database", "checkpoint of %s failed", tmp);
		goto fail;
	}
	snprintf(side, sizeof(side), "%s-wal", tmp);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", tmp);
	unlink(side);
	/* the old database's WAL must not be replayed into the restored file */
	snprintf(side, sizeof(side), "%s-wal", dest);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", dest);
	unlink(side);
	if (rename(tmp, dest) == -1) {
		rc = -errno;
		pol_err_set(e, "database", "%s: %s", dest, strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	sqlite3_close(from);
	sqlite3_close(to);
	unlink(tmp);
	snprintf(side, sizeof(side), "%s-wal", tmp);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", tmp);
	unlink(side);
	return rc;
}
