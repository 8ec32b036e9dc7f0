/* SPDX-License-Identifier: MIT */
/* admin.c -- rgwd's command line and one-shot commands: import, export, tokens, backup */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "api/api.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "ha_tls.h"
#include "policy/bundle.h"

#define RGWD_DEFAULT_CONFIG "/etc/rgw/rgw.conf"

static void usage(FILE *f);
static void config_error(const char *file, unsigned line, const char *msg, void *arg);
static int import_bundle(struct pol_store *st, const char *path, const char *actor);
static int export_bundle(struct pol_store *st, const char *path);
static int new_token(struct pol_store *st, const char *name, const char *role, const char *expires);
static int backup_store(struct pol_store *st, const char *database, const char *path);
static int restore_store(const char *database, const char *path, bool force);

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: rgwd [OPTIONS]\n"
		"\n"
		"rgwd is the Realm Gateway daemon: the authoritative DNS server of a customer's\n"
		"zone that hands out public addresses from a circular pool on demand (DNAT through\n"
		"nftables), routes web flows by TLS SNI / HTTP Host to private servers without\n"
		"decrypting them, and keeps host, pool and firewall policy in SQLite behind a REST\n"
		"API. It runs in the foreground and logs to stderr (or syslog); run it under systemd\n"
		"or another supervisor.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE     configuration file (default " RGWD_DEFAULT_CONFIG ";\n"
		"                        built-in defaults are used when the default file is absent)\n"
		"  -C, --check-config    parse and validate the configuration, report every error\n"
		"                        as FILE:LINE: message, and exit (0 valid, 3 invalid)\n"
		"      --import FILE     validate the policy bundle FILE (JSON; '-' for stdin) and\n"
		"                        replace the whole policy with it in one transaction, then exit;\n"
		"                        on any error the database is left as it was; a running rgwd\n"
		"                        on the same database puts it in force within a second\n"
		"      --export [FILE]   write the policy as a bundle to FILE (default stdout) and exit\n"
		"      --new-token NAME  create an API token called NAME, print its secret once, exit\n"
		"      --backup FILE     copy the whole store (policy, tokens, audit log, saved\n"
		"                        reputation) to FILE, consistent while the daemon runs\n"
		"      --restore FILE    make the backup FILE the configured database (rgwd\n"
		"                        stopped); an existing database needs --force\n"
		"      --role ro|rw      role of the token made by --new-token (default rw, as\n"
		"                        rgwctl token add)\n"
		"      --expires DURATION  the token made by --new-token stops working after\n"
		"                        DURATION (3600, 90m, 12h, 30d, 2w; default: never)\n"
		"  -d, --debug           log at debug level (overrides [log] level)\n"
		"      --help-config     print an example configuration with every key and exit\n"
		"      --help-config-man print the rgw.conf(5) manual page (roff) and exit\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            print this help and exit\n"
		"\n"
		"Signals:\n"
		"  SIGTERM, SIGINT       clean shutdown: listeners closed, nftables table removed\n"
		"                        (kept with [nat] keep_table_on_stop), reputation state saved\n"

		"  SIGHUP                re-read the configuration (every key marked reloadable in\n"
		"                        rgw.conf(5); others are named in a warning and keep their\n"
		"                        value; a broken file changes nothing), then the policy\n"
		"                        from the database (a change another process commits is\n"
		"                        noticed within 1 s without it)\n"

		"  SIGUSR1               reopen the access log file ([alg] access_log_file)\n"

		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  start-up or run-time failure (database, sockets, netlink)\n"
		"  2  bad command line\n"
		"  3  invalid configuration\n"
		"  4  invalid policy bundle (--import), or the store refused it\n"
		"\n"
		"Files:\n"
		"  " RGWD_DEFAULT_CONFIG "     configuration (rgw.conf(5))\n"
		"  /var/lib/rgw/rgw.db    policy store (SQLite, [daemon] database)\n"
		"\n"
		"See rgwd(8), rgw.conf(5), rgwctl(1), and the operator documentation in\n"
		"/usr/share/doc/rgwd (README.md; policy.md: the bundle format; api.md: the API).\n");
}

int
admin_parse(int argc, char **argv, struct admin_options *o)
{
	enum {
		OPT_IMPORT = 256,
		OPT_EXPORT,
		OPT_NEW_TOKEN,
		OPT_ROLE,
		OPT_EXPIRES,
		OPT_BACKUP,
		OPT_RESTORE,
		OPT_FORCE,
		OPT_HELP_CFG,
		OPT_HELP_MAN
	};
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "import", required_argument, NULL, OPT_IMPORT },
		{ "export", optional_argument, NULL, OPT_EXPORT },
		{ "new-token", required_argument, NULL, OPT_NEW_TOKEN },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "expires", required_argument, NULL, OPT_EXPIRES },
		{ "backup", required_argument, NULL, OPT_BACKUP },
		{ "restore", required_argument, NULL, OPT_RESTORE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "debug", no_argument, NULL, 'd' },
		{ "help-config", no_argument, NULL, OPT_HELP_CFG },
		{ "help-config-man", no_argument, NULL, OPT_HELP_MAN },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->conf_path = RGWD_DEFAULT_CONFIG;
	o->role = "rw";

	while ((opt = getopt_long(argc, argv, "c:CdVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->conf_path = optarg;
			o->explicit_conf = true;
			break;
		case 'C':
			o->check_only = true;
			break;
		case OPT_IMPORT:
			o->import_path = optarg;
			break;
		case OPT_EXPORT:
			o->export = true;
			o->export_path = optarg;
			/* accept "--export FILE" as well as "--export=FILE" */
			if (o->export_path == NULL && optind < argc && argv[optind][0] != '-')
				o->export_path = argv[optind++];
			break;
		case OPT_NEW_TOKEN:
			o->token_name = optarg;
			break;
		case OPT_ROLE:
			o->role = optarg;
			break;
		case OPT_EXPIRES:
			o->expires = optarg;
			break;
		case OPT_BACKUP:
			o->backup_path = optarg;
			break;
		case OPT_RESTORE:
			o->restore_path = optarg;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case 'd':
			o->debug = true;
			break;
		case OPT_HELP_CFG:
			conf_write_example(stdout);
			return RGWD_EXIT_OK;
		case OPT_HELP_MAN:
			conf_write_man(stdout);
			return RGWD_EXIT_OK;
		case 'V':
			printf("rgwd %s\n", RGW_VERSION);
			return RGWD_EXIT_OK;
		case 'h':
			usage(stdout);
			return RGWD_EXIT_OK;
		default:
			usage(stderr);
			return RGWD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rgwd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return RGWD_EXIT_USAGE;
	}
	if ((o->import_path != NULL) + o->export + (o->token_name != NULL) + o->check_only +
		    (o->backup_path != NULL) + (o->restore_path != NULL) >
	    1) {
		fprintf(stderr, "rgwd: --check-config, --import, --export, --new-token, --backup "
				"and --restore are mutually exclusive\n");
		return RGWD_EXIT_USAGE;
	}
	return -1;
}

static void
config_error(const char *file, unsigned line, const char *msg, void *arg)
{
	unsigned *count = arg;

	(*count)++;
	if (line)
		fprintf(stderr, "%s:%u: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
}

int
admin_load_config(struct conf *conf, const struct admin_options *o)
{
	unsigned errors = 0;
	int rc;

	conf_defaults(conf);
	rc = conf_load(conf, o->conf_path, config_error, &errors);
	/* --check-config on a default file that does not exist: an error (nginx -t) */
	if (rc == -ENOENT && !o->explicit_conf && !o->check_only) {
		log_info("rgwd: %s not found, using built-in defaults", o->conf_path);
		errors = 0;
	} else if (rc < 0 && errors == 0) {
		fprintf(stderr, "%s: %s\n", o->conf_path, strerror(-rc));
		return -1;
	}
	if (conf_validate(conf, config_error, &errors) < 0 && errors == 0)
		errors++;
	if (errors) {
		fprintf(stderr, "%s: %u error%s\n", o->conf_path, errors, errors == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/*
 * --check-config, after the syntax: open what the configuration names, as the daemon would
 * at start-up (like nginx -t): the database (or its directory), the TLS certificate and key
 * (parsed by libmicrohttpd; with [ha] TLS also by GnuTLS with the peer CA), the seed bundle,
 * the access log. Every problem is printed as
 * "FILE: key: reason"; returns the number of problems.
 */
int
admin_check_files(const struct conf *c)
{
	struct pol_err e = { 0 };
	char why[512];
	int errors = 0;

	if (pol_store_check_path(c->database, &e) < 0) {
		fprintf(stderr, "%s: daemon.%s: %s\n", c->source, e.field, e.msg);
		errors++;
	}
	if (api_check_tls(c, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s: %s\n", c->source, why);
		errors++;
	}
	/* the policy channel's certificate, key and peer CA, as ha_new reads them */
	if (c->ha_enable && conf_ha_tls_on(c)) {
		struct ha_tls *t = NULL;

		if (ha_tls_new(c, &t, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: %s\n", c->source, why);
			errors++;
		}
		ha_tls_free(t);
	}
	if (c->bundle_seed[0]) {
		struct pol_snap *snap = NULL;
		size_t len = 0;
		char *text = buf_read_file(c->bundle_seed, &len);

		if (text == NULL) {
			fprintf(stderr, "%s: daemon.bundle_seed: cannot read %s: %s\n", c->source,
				c->bundle_seed, strerror(errno));
			errors++;
		} else if (pol_bundle_parse(text, len, &snap, &e) < 0) {
			fprintf(stderr, "%s: daemon.bundle_seed: %s: %s%s%s\n", c->source,
				c->bundle_seed, e.field, e.field[0] ? ": " : "", e.msg);
			errors++;
		}
		free(text);
		pol_snap_unref(snap);
	}
	if (c->alg_enable && c->alg_access_log_file[0] &&
	    access(c->alg_access_log_file, W_OK) == -1) {
		char dir[CONF_STR_MAX], *slash;
		int saved = errno;

		util_strlcpy(dir, c->alg_access_log_file, sizeof(dir));
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		if (saved != ENOENT ||
		    access(slash && dir[0] ? dir : (slash ? "/" : "."), W_OK | X_OK) == -1) {
			fprintf(stderr, "%s: alg.access_log_file: cannot write %s: %s\n", c->source,
				c->alg_access_log_file, strerror(saved != ENOENT ? saved : errno));
			errors++;
		}
	}
	return errors;
}

/*
 * One transaction: the policy before (for its ETag), the replace (validated whole, a
 * savepoint inside), the policy after, the audit line, COMMIT. Any failure: nothing changed.
 */
static int
import_bundle(struct pol_store *st, const char *path, const char *actor)
{
	struct pol_change c = { .actor = actor, .action = "import", .resource = path };
	struct pol_snap *in = NULL, *before = NULL, *after = NULL;
	struct pol_err err = { 0 };
	size_t len = 0;
	char *text;
	int rc;

	text = buf_read_file(path, &len);
	if (text == NULL) {
		log_warn("rgwd: cannot read bundle %s", path);
		return RGWD_EXIT_POLICY;
	}
	rc = pol_bundle_parse(text, len, &in, &err);
	free(text);
	if (rc < 0) {
		fprintf(stderr, "%s: %s%s%s\n", path, err.field, err.field[0] ? ": " : "", err.msg);
		return RGWD_EXIT_POLICY;
	}
	rc = pol_store_begin(st);
	if (rc == 0 && (rc = pol_store_snapshot(st, &before)) == 0 &&
	    (rc = pol_store_replace(st, in, &err)) == 0 &&
	    (rc = pol_store_snapshot(st, &after)) == 0 &&
	    (rc = pol_audit_append(st, &c, before->etag, after->etag)) == 0)
		rc = pol_store_commit(st);
	if (rc < 0) {
		(void)pol_store_rollback(st);
		fprintf(stderr, "%s: %s%s%s\n", path, err.field, err.field[0] ? ": " : "",
			err.msg[0] ? err.msg : strerror(-rc));
	} else {
		log_info("rgwd: imported %s: policy %s (%zu hosts, %zu services, %zu pool "
			 "addresses, %zu firewall rules)",
			 path, after->etag, after->n_hosts, after->n_services, after->n_pool_addrs,
			 after->n_fw_rules);
	}
	pol_snap_unref(in);
	pol_snap_unref(before);
	pol_snap_unref(after);
	return rc == 0 ? RGWD_EXIT_OK : RGWD_EXIT_POLICY;
}

static int
export_bundle(struct pol_store *st, const char *path)
{
	struct pol_snap *snap = NULL;
	FILE *f = stdout;
	char *text;
	int rc;

	rc = pol_store_snapshot_rows(st, &snap);
	if (rc < 0) {
		log_warnx("rgwd: cannot read the policy: %s", strerror(-rc));
		return RGWD_EXIT_FAILURE;
	}
	text = pol_bundle_export_text(snap);
	pol_snap_unref(snap);
	if (text == NULL) {
		log_warnx("rgwd: cannot export the policy: out of memory");
		return RGWD_EXIT_FAILURE;
	}
	if (path != NULL && strcmp(path, "-") != 0) {
		f = fopen(path, "w");
		if (f == NULL) {
			log_warn("rgwd: cannot write %s", path);
			free(text);
			return RGWD_EXIT_FAILURE;
		}
	}
	rc = fputs(text, f) < 0 ? -1 : 0;
	if (f != stdout)
		rc |= fclose(f);
	else
		rc |= fflush(f);
	free(text);
	return rc == 0 ? RGWD_EXIT_OK : RGWD_EXIT_FAILURE;
}

static int
new_token(struct pol_store *st, const char *name, const char *role_name, const char *expires)
{
	struct pol_err err = { 0 };
	char secret[POL_TOKEN_MAX];
	enum pol_role role;
	uint64_t expires_ms = 0;
	long secs;

	if (pol_role_parse(role_name, &role) < 0) {
		fprintf(stderr, "rgwd: --role must be ro or rw\n");
		return RGWD_EXIT_USAGE;
	}
	if (expires != NULL) {
		if (util_parse_duration_s(expires, POL_TOKEN_EXPIRES_MAX_S, &secs) < 0) {
			fprintf(stderr, "rgwd: --expires takes a duration such as 3600, 12h, 30d "
					"(at most 10 years)\n");
			return RGWD_EXIT_USAGE;
		}
		expires_ms = util_wall_ms() + (uint64_t)secs * 1000;
	}
	if (pol_token_create(st, name, role, expires_ms, false, secret, &err) < 0) {
		fprintf(stderr, "rgwd: cannot create token %s: %s\n", name, err.msg);
		return RGWD_EXIT_FAILURE;
	}
	pol_audit_append(st,
			 &(struct pol_change){ .actor = "rgwd",
					       .action = "token",
					       .resource = name,
					       .detail = pol_role_name(role) },
			 NULL, NULL);
	printf("%s\n", secret);
	fprintf(stderr, "rgwd: token '%s' (%s) created; the secret above is shown only once\n",
		name, pol_role_name(role));
	return RGWD_EXIT_OK;
}

/* --backup FILE: the whole store, consistent even while the daemon runs. */
static int
backup_store(struct pol_store *st, const char *database, const char *path)
{
	struct pol_err err = { 0 };

	if (pol_store_backup(st, path, &err) < 0) {
		fprintf(stderr, "rgwd: backup to %s failed: %s\n", path, err.msg);
		return RGWD_EXIT_FAILURE;
	}
	fprintf(stderr,
		"rgwd: %s: backup of %s written (policy, tokens, audit log, saved "
		"reputation)\n",
		path, database);
	return RGWD_EXIT_OK;
}

/* --restore FILE [--force]: a backup becomes the configured database (the daemon stopped). */
static int
restore_store(const char *database, const char *path, bool force)
{
	struct pol_err err = { 0 };
	int rc = pol_store_restore(path, database, force, &err);

	if (rc < 0) {
		fprintf(stderr, "rgwd: restore of %s failed: %s%s%s\n", path, err.field,
			err.field[0] ? ": " : "", err.msg);
		return rc == -EINVAL ? RGWD_EXIT_POLICY : RGWD_EXIT_FAILURE;
	}
	fprintf(stderr, "rgwd: %s restored into %s\n", path, database);
	return RGWD_EXIT_OK;
}

bool
admin_requested(const struct admin_options *a)
{
	return a->import_path != NULL || a->export || a->token_name != NULL ||
	       a->backup_path != NULL || a->restore_path != NULL;
}

int
admin_run(const struct conf *conf, const struct admin_options *a)
{
	struct pol_err err = { 0 };
	struct pol_store *st;
	int rc;

	/* --restore writes the database file itself: the store is not opened first */
	if (a->restore_path != NULL)
		return restore_store(conf->database, a->restore_path, a->force);
	st = pol_store_open(conf->database, &err);
	if (st == NULL) {
		log_warnx("rgwd: cannot open policy store %s: %s", conf->database, err.msg);
		return RGWD_EXIT_FAILURE;
	}
	if (a->backup_path != NULL)
		rc = backup_store(st, conf->database, a->backup_path);
	else if (a->import_path != NULL)
		rc = import_bundle(st, a->import_path, "rgwd --import");

	else if (a->export)
		rc = export_bundle(st, a->export_path);
	else
		rc = new_token(st, a->token_name, a->role, a->expires);
	pol_store_close(st);
	return rc;
}

/*
 * First start with no token: api_token_bootstrap makes an "admin" token and prints it on
 * stdout, for the operator at the terminal. Under systemd stdout is the journal, which
 * keeps it for anyone in group adm or systemd-journal: the token then goes to a file
 * beside the database instead (0600, the daemon's user), and only its path is logged.
 */
int
admin_bootstrap_token(struct pol_store *st, const struct conf *conf)
{
	char path[CONF_STR_MAX + 32], *slash;
	FILE *f;
	int fd, rc;

	if (!log_fd_is_journal(STDOUT_FILENO))
		return api_token_bootstrap(st, stdout);
	if (pol_token_count(st) != 0)
		return pol_token_count(st) < 0 ? -EIO : 0;
	util_strlcpy(path, conf->database, sizeof(path));
	slash = strrchr(path, '/');
	snprintf(slash ? slash + 1 : path, sizeof(path) - (size_t)(slash ? slash + 1 - path : 0),
		 "first-token");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd != -1 && fchmod(fd, 0600) == -1) {
		close(fd);
		fd = -1;
	}
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("rgwd: no API token exists and %s cannot be written for the first one",
			 path);
		if (fd != -1)
			close(fd);
		return -EIO;
	}
	rc = api_token_bootstrap(st, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0)
		log_info("rgwd: no API token existed: the first one (admin, rw) is in %s", path);
	return rc;
}

int
admin_seed(struct pol_store *st, const struct conf *conf)

{
	if (!pol_store_is_empty(st) || conf->bundle_seed[0] == '\0')
		return 0;
	log_info("rgwd: empty policy store, importing %s", conf->bundle_seed);
	return import_bundle(st, conf->bundle_seed, "rgwd-seed") == RGWD_EXIT_OK ? 0 : -1;
}
