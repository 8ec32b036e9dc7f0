/* SPDX-License-Identifier: MIT */
/* admin.h -- rgwd's command line and one-shot commands: import, export, tokens, backup */
#ifndef RGW_ADMIN_H
#define RGW_ADMIN_H

#include <stdbool.h>

#include "common/conf.h"
#include "policy/store.h"

/* Exit codes (documented in --help and rgwd(8)). */
enum {
	RGWD_EXIT_OK = 0,
	RGWD_EXIT_FAILURE = 1, /* start-up or run-time failure */
	RGWD_EXIT_USAGE = 2,   /* bad command line */
	RGWD_EXIT_CONFIG = 3,  /* invalid configuration file */
	RGWD_EXIT_POLICY = 4,  /* invalid policy bundle, or the store refused it */
};

/* The command line (rgwd --help). */
struct admin_options {
	const char *conf_path; /* -c FILE, else the default */
	bool explicit_conf;    /* -c given: the file must exist */
	bool check_only;       /* --check-config */
	bool debug;	       /* -d */
	/* at most one of the commands */
	const char *import_path;  /* --import FILE ("-": stdin) */
	bool export;		  /* --export [FILE] */
	const char *export_path;  /* NULL or "-": stdout */
	const char *token_name;	  /* --new-token NAME */
	const char *role;	  /* --role ro|rw */
	const char *expires;	  /* --expires DURATION (NULL: never) */
	const char *backup_path;  /* --backup FILE */
	const char *restore_path; /* --restore FILE */
	bool force;		  /* --force: --restore over an existing database */
};

/* Parse argv into o. -1 to go on, else the exit code (--help, --version, --help-config,
 * or a bad command line, reported on stderr). */
int admin_parse(int argc, char **argv, struct admin_options *o);
/* Defaults, then o->conf_path (the default path may be absent, an explicit one may not),
 * then validation; every error printed as FILE:LINE: message. 0 or -1. */
int admin_load_config(struct conf *conf, const struct admin_options *o);
/*
 * --check-config, after the syntax: open what conf names as the daemon would at start-up
 * (the database or its directory, the TLS certificate and key, the seed bundle, the access
 * log file). Every problem printed on stderr as "FILE: key: reason"; returns their number.
 */
int admin_check_files(const struct conf *c);
/* True when the command line asked for one of the commands. */

bool admin_requested(const struct admin_options *o);

/*
 * Run it against the store of conf (opened and closed here) and return rgwd's exit code.
 * --import validates the bundle whole and replaces the policy in one transaction with one
 * audit line (actor "rgwd --import", the ETags of the stored policy before and after). A
 * rgwd running on the same database notices the change within a second (the store's
 * data_version) and puts it in force through its committer, or keeps the previous policy
 * in force and says why in its log and its audit log. --backup copies the store with
 * SQLite's online backup API (consistent while a rgwd writes); --restore replaces the
 * database file with a checked backup (rgwd stopped) without opening the store first.
 */

int admin_run(const struct conf *conf, const struct admin_options *o);

/*
 * At start-up with no API token: make the "admin" (rw) token. Its secret goes to stdout,
 * or, when stdout is the journal (which keeps it for group adm), to "first-token" beside
 * the database (0600) with only its path logged. 0 or -errno.
 */
int admin_bootstrap_token(struct pol_store *st, const struct conf *conf);

/* A fresh store gets the seed bundle
 conf->bundle_seed, if any (audited as "rgwd-seed").
 * 0 or -1 (reason printed). */
int admin_seed(struct pol_store *st, const struct conf *conf);

#endif
