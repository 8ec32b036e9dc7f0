/* SPDX-License-Identifier: MIT */
/* rgwd.c -- the Realm Gateway daemon: config -> policy store -> subsystems -> loop -> shutdown */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alg/alg.h"
#include "api/api.h"
#include "api/views.h"
#include "common/buf.h"
#include "common/conf.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/notify.h"
#include "common/util.h"
#include "dns/alias.h"
#include "dns/dns.h"
#include "nat/nat.h"
#include "nat/reputation.h"
#include "policy/bundle.h"
#include "policy/policy.h"
#include "policy/store.h"

/* Exit codes (documented in --help and rgwd(8)). */
enum {
	RGWD_EXIT_OK = 0,
	RGWD_EXIT_FAILURE = 1, /* start-up or run-time failure */
	RGWD_EXIT_USAGE = 2,   /* bad command line */
	RGWD_EXIT_CONFIG = 3,  /* invalid configuration file */
	RGWD_EXIT_POLICY = 4,  /* invalid policy bundle, or the store refused it */
};

#define RGWD_DEFAULT_CONFIG "/etc/rgw/rgw.conf"

struct rgwd {
	struct conf conf;
	const char *conf_path;
	struct ev_loop *loop;
	struct pol_store *store;
	struct pol_snap *snap;	     /* policy in force */
	struct dns *dns;	     /* NULL when [dns] enable = no */
	struct dns_aliases *aliases; /* one-time CNAME aliases (with dns) */
	struct api_views views;	     /* what the API shows of the subsystems above */
	uint64_t started_ms;
	struct nat *nat;      /* pool, nftables table, NFQUEUE admission */
	struct nat_rep *rep;  /* reputation evidence and PBRA admission */
	uint64_t rep_timer;   /* next period transition */
	uint64_t save_timer;  /* next save of the reputation state */
	uint64_t audit_timer; /* daily audit-log pruning */
	struct api *api;
	struct alg *alg; /* ALG subsystem, NULL when disabled */
};

static void usage(FILE *f);
static int load_config(struct rgwd *d, bool explicit_path, bool check_only);
static void config_error(const char *file, unsigned line, const char *msg, void *arg);
static int open_store(struct rgwd *d);
static int import_bundle(struct rgwd *d, const char *path, const char *actor);
static int export_bundle(struct rgwd *d, const char *path);
static int new_token(struct rgwd *d, const char *name, const char *role);
static int seed_store(struct rgwd *d);
static int apply_policy(struct rgwd *d, struct pol_snap *snap);
static int reload_policy(struct rgwd *d);
static void log_policy_summary(const struct pol_snap *s);
static void on_stop_signal(struct ev_loop *loop, int signo, void *arg);
static void on_hup(struct ev_loop *loop, int signo, void *arg);
static char *read_file(const char *path, size_t *len);
static void on_dns_policy_changed(void *arg);
static int alloc_from_pool(void *arg, const struct nat_request *req, struct addr *out,
			   enum nat_refusal *why);
static unsigned qmin_release(void *arg, const struct addr *resolver, const struct prefix *requestor,
			     const int64_t *service_ids, size_t n);
static void qmin_step_note(void *arg, const struct addr *resolver, int64_t service_id);
static void on_rep_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_save_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void rep_save_soon(struct rgwd *d);
static void on_audit_timer(struct ev_loop *loop, uint64_t id, void *arg);
static int alias_merge(void *arg, const struct addr *asker, const struct addr *issuer);
static bool alias_known(void *arg, const struct addr *resolver);
static void alias_note(void *arg, const struct addr *resolver, bool trusted);
static bool alias_pending(void *arg, const struct addr *public_addr, int64_t service_id);
static int api_apply_hook(void *arg, struct pol_snap *snap, struct pol_err *err);
static struct pol_snap *api_snapshot_hook(void *arg);
static json_t *api_bindings_hook(void *arg);
static json_t *api_windows_hook(void *arg);
static json_t *api_status_hook(void *arg);
static void api_metrics_hook(void *arg, struct buf *out);
static json_t *api_reputation_hook(void *arg);
static int api_rep_override_hook(void *arg, enum pol_rep_kind kind, const char *key, bool set,
				 double value);
static int api_rep_reset_hook(void *arg, enum pol_rep_kind kind, const char *key);

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
		"                        on any error the database is left as it was\n"
		"      --export [FILE]   write the policy as a bundle to FILE (default stdout) and exit\n"
		"      --new-token NAME  create an API token called NAME, print its secret once, exit\n"
		"      --role ro|rw      role of the token made by --new-token (default rw)\n"
		"  -d, --debug           log at debug level (overrides [log] level)\n"
		"      --help-config     print an example configuration with every key and exit\n"
		"      --help-config-man print the rgw.conf(5) manual page (roff) and exit\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            print this help and exit\n"
		"\n"
		"Signals:\n"
		"  SIGTERM, SIGINT       clean shutdown: listeners closed, nftables table removed,\n"
		"                        reputation state saved\n"
		"  SIGHUP                re-read the policy from the database and apply it\n"
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
		"See rgwd(8), rgw.conf(5), and README.md for the policy bundle format and the API.\n");
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

/* Defaults, then the file. The default path may be absent; an explicit one may not. */
static int
load_config(struct rgwd *d, bool explicit_path, bool check_only)
{
	unsigned errors = 0;
	int rc;

	conf_defaults(&d->conf);
	rc = conf_load(&d->conf, d->conf_path, config_error, &errors);
	if (rc == -ENOENT && !explicit_path) {
		if (!check_only)
			log_info("rgwd: %s not found, using built-in defaults", d->conf_path);
		errors = 0;
	} else if (rc < 0 && errors == 0) {
		fprintf(stderr, "%s: %s\n", d->conf_path, strerror(-rc));
		return -1;
	}
	if (conf_validate(&d->conf, config_error, &errors) < 0 && errors == 0)
		errors++;
	if (errors) {
		fprintf(stderr, "%s: %u error%s\n", d->conf_path, errors, errors == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

static int
open_store(struct rgwd *d)
{
	struct pol_err err = { 0 };

	d->store = pol_store_open(d->conf.database, &err);
	if (d->store == NULL) {
		log_warnx("rgwd: cannot open policy store %s: %s", d->conf.database, err.msg);
		return -1;
	}
	return 0;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *data = NULL, *tmp;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 131072;
			tmp = realloc(data, cap + 1);
			if (tmp == NULL) {
				free(data);
				data = NULL;
				errno = ENOMEM;
				goto out;
			}
			data = tmp;
		}
		r = fread(data + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		FREE_AND_NULL(data);
		errno = EIO;
		goto out;
	}
	data[n] = '\0';
	*len = n;
out:
	if (f != stdin)
		fclose(f);
	return data;
}

static int
import_bundle(struct rgwd *d, const char *path, const char *actor)
{
	struct pol_err err = { 0 };
	struct pol_snap *snap = NULL;
	size_t len = 0;
	char *text;
	int rc;

	text = read_file(path, &len);
	if (text == NULL) {
		log_warn("rgwd: cannot read bundle %s", path);
		return RGWD_EXIT_POLICY;
	}
	rc = pol_bundle_parse(text, len, &snap, &err);
	free(text);
	if (rc < 0) {
		fprintf(stderr, "%s: %s%s%s\n", path, err.field, err.field[0] ? ": " : "", err.msg);
		return RGWD_EXIT_POLICY;
	}
	rc = pol_store_replace(d->store, snap, &err);
	if (rc == 0)
		pol_audit_append(d->store, actor, "import", "bundle", path);
	else
		fprintf(stderr, "%s: %s%s%s\n", path, err.field, err.field[0] ? ": " : "",
			err.msg[0] ? err.msg : strerror(-rc));
	if (rc == 0)
		log_policy_summary(snap);
	pol_snap_unref(snap);
	return rc == 0 ? RGWD_EXIT_OK : RGWD_EXIT_POLICY;
}

static int
export_bundle(struct rgwd *d, const char *path)
{
	struct pol_snap *snap = NULL;
	FILE *f = stdout;
	char *text;
	int rc;

	rc = pol_store_snapshot(d->store, &snap);
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
new_token(struct rgwd *d, const char *name, const char *role_name)
{
	struct pol_err err = { 0 };
	char secret[POL_TOKEN_MAX];
	enum pol_role role;

	if (pol_role_parse(role_name, &role) < 0) {
		fprintf(stderr, "rgwd: --role must be ro or rw\n");
		return RGWD_EXIT_USAGE;
	}
	if (pol_token_create(d->store, name, role, secret, &err) < 0) {
		fprintf(stderr, "rgwd: cannot create token %s: %s\n", name, err.msg);
		return RGWD_EXIT_FAILURE;
	}
	pol_audit_append(d->store, "rgwd", "token", name, pol_role_name(role));
	printf("%s\n", secret);
	fprintf(stderr, "rgwd: token '%s' (%s) created; the secret above is shown only once\n",
		name, pol_role_name(role));
	return RGWD_EXIT_OK;
}

/* A fresh store gets the seed bundle named in the config, if any. */
static int
seed_store(struct rgwd *d)
{
	if (!pol_store_is_empty(d->store) || d->conf.bundle_seed[0] == '\0')
		return 0;
	log_info("rgwd: empty policy store, importing %s", d->conf.bundle_seed);
	return import_bundle(d, d->conf.bundle_seed, "rgwd-seed") == RGWD_EXIT_OK ? 0 : -1;
}

static void
log_policy_summary(const struct pol_snap *s)
{
	size_t i;

	for (i = 0; i < s->n_zones; i++)
		log_info("rgwd: zone %s (%s)", s->zones[i].name,
			 pol_zone_kind_name(s->zones[i].kind));
	log_info("rgwd: policy: %zu hosts, %zu services, %zu pool addresses, %zu service "
		 "addresses, %zu firewall rules, %zu ALG routes, %zu resolver groups",
		 s->n_hosts, s->n_services, s->n_pool_addrs, s->n_service_addrs, s->n_fw_rules,
		 s->n_alg_routes, s->n_resolver_groups);
}

/*
 * Make snap the policy in force: every subsystem re-reads it. Takes a reference to snap
 * on success; on failure the previous policy stays in force.
 */
static int
apply_policy(struct rgwd *d, struct pol_snap *snap)
{
	/* Subsystems apply here, in data-plane order: nat, dns, alg. */
	/* --- nat: the table follows the policy in one atomic batch, then the pool. */
	if (d->nat != NULL) {
		int rc = nat_apply(d->nat, snap);

		if (rc < 0)
			return rc;
	}
	/* --- end nat */
	/* --- reputation: resolver groups, brackets and flags of the new policy; a group whose
	 * initial_reputation changed restarts, and the store must not keep its old evidence */
	if (d->rep != NULL) {
		int restarted = nat_rep_apply(d->rep, snap);

		if (restarted < 0)
			return -ENOMEM;
		if (restarted > 0)
			rep_save_soon(d);
	}

	/* --- dns: name index from the snapshot --- */
	if (d->dns != NULL && dns_apply(d->dns, snap) < 0) {
		log_warnx("rgwd: dns: cannot apply the policy");
		return -ENOMEM;
	}
	/* --- end dns --- */
	/* --- alg: routes and listeners from the snapshot --- */
	if (d->alg != NULL && alg_apply(d->alg, snap) < 0)
		log_warnx("rgwd: alg: some listeners could not be opened (see above)");
	/* --- end alg --- */

	pol_snap_unref(d->snap);
	d->snap = pol_snap_ref(snap);
	log_policy_summary(snap);
	return 0;
}

/* The API applies every committed write through this hook before answering. */
static int
api_apply_hook(void *arg, struct pol_snap *snap, struct pol_err *err)
{
	struct rgwd *d = arg;
	int rc = apply_policy(d, snap);

	if (rc < 0 && err != NULL && err->msg[0] == '\0')
		pol_err_set(err, "", "a subsystem refused the policy (%s)", strerror(-rc));
	return rc;
}

/* The API answers reads from the policy in force. */
static struct pol_snap *
api_snapshot_hook(void *arg)
{
	struct rgwd *d = arg;

	return d->snap != NULL ? pol_snap_ref(d->snap) : NULL;
}

/* --- api hooks: read-only views of the live subsystems (api/views.c) --- */
static json_t *
api_bindings_hook(void *arg)
{
	return api_views_bindings(&((struct rgwd *)arg)->views);
}

static json_t *
api_windows_hook(void *arg)
{
	return api_views_windows(&((struct rgwd *)arg)->views);
}

static json_t *
api_status_hook(void *arg)
{
	return api_views_status(&((struct rgwd *)arg)->views);
}

static void
api_metrics_hook(void *arg, struct buf *out)
{
	api_views_metrics(&((struct rgwd *)arg)->views, out);
}

static json_t *
api_reputation_hook(void *arg)
{
	return api_views_reputation(&((struct rgwd *)arg)->views);
}

static int
api_rep_override_hook(void *arg, enum pol_rep_kind kind, const char *key, bool set, double value)
{
	struct rgwd *d = arg;

	return d->rep ? nat_rep_override(d->rep, kind, key, set, value) : -ENOENT;
}

static int
api_rep_reset_hook(void *arg, enum pol_rep_kind kind, const char *key)
{
	struct rgwd *d = arg;

	return d->rep ? nat_rep_reset(d->rep, kind, key) : -ENOENT;
}
/* --- end api hooks --- */

static int
reload_policy(struct rgwd *d)
{
	struct pol_snap *snap = NULL;
	int rc;

	rc = pol_store_snapshot(d->store, &snap);
	if (rc < 0) {
		log_warnx("rgwd: cannot read the policy: %s; keeping the current one",
			  strerror(-rc));
		return rc;
	}
	rc = apply_policy(d, snap);
	pol_snap_unref(snap);
	return rc;
}

/* DNS UPDATE changed the store: apply the new policy everywhere. */
static void
on_dns_policy_changed(void *arg)
{
	if (reload_policy(arg) < 0)
		log_warnx("rgwd: policy changed by DNS UPDATE could not be applied");
}

/*
 * The DNS asks the pool for a binding. A binding is restricted to the requestor's subnet
 * (SLA binding) when the resolver belongs to an SLA group and named the requestor.
 */
static int
alloc_from_pool(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	struct rgwd *d = arg;
	struct nat_request r = *req;

	r.sla = r.has_requestor && nat_rep_resolver_sla(d->rep, &r.resolver);
	return nat_request(d->nat, &r, out, why);
}

/* --- qmin: a QNAME minimisation step gives its unused binding back (no reputation evidence) */
static unsigned
qmin_release(void *arg, const struct addr *resolver, const struct prefix *requestor,
	     const int64_t *service_ids, size_t n)
{
	struct rgwd *d = arg;
	unsigned released = 0;
	size_t i;

	for (i = 0; i < n; i++)
		released +=
			(unsigned)nat_release_unused(d->nat, resolver, requestor, service_ids[i]);
	return released;
}

/* Another QTYPE right after an A for the same pooled name: the A was a step (no evidence). */
static void
qmin_step_note(void *arg, const struct addr *resolver, int64_t service_id)
{
	struct rgwd *d = arg;

	(void)nat_note_step(d->nat, resolver, service_id);
}
/* --- end qmin */

/* --- aliases: one-time CNAME aliases and resolver evidence, fed to the reputation engine */

static int
alias_merge(void *arg, const struct addr *asker, const struct addr *issuer)
{
	struct rgwd *d = arg;

	return nat_rep_merge_resolvers(d->rep, asker, issuer);
}

static bool
alias_known(void *arg, const struct addr *resolver)
{
	struct rgwd *d = arg;

	return nat_rep_resolver_known(d->rep, resolver);
}

static void
alias_note(void *arg, const struct addr *resolver, bool trusted)
{
	struct rgwd *d = arg;

	nat_rep_note_query(d->rep, resolver, trusted);
}

static bool
alias_pending(void *arg, const struct addr *public_addr, int64_t service_id)
{
	struct rgwd *d = arg;

	return nat_pool_pending(nat_get_pool(d->nat), public_addr, service_id, ev_now_ms(d->loop));
}
/* --- end aliases */

/* --- audit retention: [api] audit_retention days, pruned at start-up and once a day */
#define RGWD_DAY_MS (24ull * 3600 * 1000)

static void
on_audit_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;
	uint64_t keep = (uint64_t)d->conf.api_audit_retention_days * RGWD_DAY_MS;
	uint64_t now = util_wall_ms(), removed = 0;

	(void)id;
	if (pol_audit_prune(d->store, now > keep ? now - keep : 0, &removed) < 0)
		log_warnx("rgwd: cannot prune the audit log");
	else if (removed > 0)
		log_info("rgwd: audit log: removed %llu lines older than %ld days",
			 (unsigned long long)removed, d->conf.api_audit_retention_days);
	d->audit_timer = ev_timer_add(loop, RGWD_DAY_MS, on_audit_timer, d);
}
/* --- end audit retention */

/* Every [reputation] period: age the evidence. */
static void
on_rep_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;

	(void)id;
	nat_rep_transition(d->rep);
	d->rep_timer = ev_timer_add(loop, (uint64_t)d->conf.rep_period_s * 1000, on_rep_timer, d);
}

/* Every [reputation] save_interval, on its own timer whatever the period: persist the
 * evidence, so that a crash loses at most one interval of it. */
static void
on_save_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;

	(void)id;
	if (nat_rep_save(d->rep, d->store) < 0)
		log_warnx("rgwd: cannot save the reputation state");
	d->save_timer =
		ev_timer_add(loop, (uint64_t)d->conf.rep_save_interval_s * 1000, on_save_timer, d);
}

/* Save at the next loop turn: a policy apply may run inside the API's write transaction,
 * and the save needs its own. */
static void
rep_save_soon(struct rgwd *d)
{
	if (d->save_timer == 0)
		return; /* not started yet: the load that follows start-up applies the policy */
	ev_timer_del(d->loop, d->save_timer);
	d->save_timer = ev_timer_add(d->loop, 0, on_save_timer, d);
}

static void
on_stop_signal(struct ev_loop *loop, int signo, void *arg)
{
	(void)arg;
	log_info("rgwd: %s received, shutting down", strsignal(signo));
	/* --- notify: the service manager sees the stop as ours, not a crash */
	notify_send("STOPPING=1");
	ev_stop(loop);
}

static void
on_hup(struct ev_loop *loop, int signo, void *arg)
{
	struct rgwd *d = arg;

	(void)loop;
	(void)signo;
	log_info("rgwd: SIGHUP received, reloading policy");
	/* --- notify: systemctl reload returns once READY=1 follows RELOADING=1 */
	notify_send("RELOADING=1\nSTATUS=reloading policy");
	if (reload_policy(d) < 0) {
		log_warnx("rgwd: reload failed; the previous policy stays in force");
		notify_send("READY=1\nSTATUS=reload failed; previous policy in force");
	} else {
		notify_send("READY=1\nSTATUS=serving");
	}
}

int
main(int argc, char **argv)
{
	enum {
		OPT_IMPORT = 256,
		OPT_EXPORT,
		OPT_NEW_TOKEN,
		OPT_ROLE,
		OPT_HELP_CONFIG,
		OPT_HELP_CONFIG_MAN,
	};
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "import", required_argument, NULL, OPT_IMPORT },
		{ "export", optional_argument, NULL, OPT_EXPORT },
		{ "new-token", required_argument, NULL, OPT_NEW_TOKEN },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "debug", no_argument, NULL, 'd' },
		{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
		{ "help-config-man", no_argument, NULL, OPT_HELP_CONFIG_MAN },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rgwd d;
	const char *import_path = NULL, *export_path = NULL, *token_name = NULL;
	const char *role = "rw";
	bool explicit_conf = false, check_only = false, do_export = false, debug = false;
	int opt, rc = RGWD_EXIT_FAILURE;

	memset(&d, 0, sizeof(d));
	d.conf_path = RGWD_DEFAULT_CONFIG;
	log_init("rgwd", false, LOG_LVL_INFO);

	while ((opt = getopt_long(argc, argv, "c:CdVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.conf_path = optarg;
			explicit_conf = true;
			break;
		case 'C':
			check_only = true;
			break;
		case OPT_IMPORT:
			import_path = optarg;
			break;
		case OPT_EXPORT:
			do_export = true;
			export_path = optarg;
			/* accept "--export FILE" as well as "--export=FILE" */
			if (export_path == NULL && optind < argc && argv[optind][0] != '-')
				export_path = argv[optind++];
			break;
		case OPT_NEW_TOKEN:
			token_name = optarg;
			break;
		case OPT_ROLE:
			role = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case OPT_HELP_CONFIG:
			conf_write_example(stdout);
			return RGWD_EXIT_OK;
		case OPT_HELP_CONFIG_MAN:
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
	if ((import_path != NULL) + do_export + (token_name != NULL) + check_only > 1) {
		fprintf(stderr, "rgwd: --check-config, --import, --export and --new-token are "
				"mutually exclusive\n");
		return RGWD_EXIT_USAGE;
	}

	if (load_config(&d, explicit_conf, check_only) < 0)
		return RGWD_EXIT_CONFIG;
	if (check_only) {
		printf("%s: configuration is valid\n", d.conf_path);
		return RGWD_EXIT_OK;
	}
	log_init("rgwd", d.conf.log_syslog, debug ? LOG_LVL_DEBUG : d.conf.log_level);

	if (open_store(&d) < 0)
		return RGWD_EXIT_FAILURE;

	/* One-shot administrative commands. */
	if (import_path != NULL || do_export || token_name != NULL) {
		if (import_path != NULL)
			rc = import_bundle(&d, import_path, "rgwd --import");
		else if (do_export)
			rc = export_bundle(&d, export_path);
		else
			rc = new_token(&d, token_name, role);
		pol_store_close(d.store);
		return rc;
	}

	/* The daemon. */
	log_info("rgwd %s starting (config %s, database %s)", RGW_VERSION, d.conf_path,
		 d.conf.database);
	d.started_ms = util_mono_ms();
	if (seed_store(&d) < 0)
		goto out;
	d.loop = ev_loop_new();
	if (d.loop == NULL) {
		log_warn("rgwd: cannot create the event loop");
		goto out;
	}
	/* Signals before any thread exists, so that every thread inherits the mask. */
	signal(SIGPIPE, SIG_IGN);
	if (ev_signal_add(d.loop, SIGTERM, on_stop_signal, &d) < 0 ||
	    ev_signal_add(d.loop, SIGINT, on_stop_signal, &d) < 0 ||
	    ev_signal_add(d.loop, SIGHUP, on_hup, &d) < 0) {
		log_warn("rgwd: cannot set up signal handling");
		goto out;
	}

	/* Subsystems start here, in data-plane order: nat, dns, alg, api. */
	/* --- nat: pool always; table and queue when [nat] enable (replaces a stale table). */
	d.nat = nat_new(d.loop, &d.conf);
	if (d.nat == NULL) {
		log_warnx("rgwd: cannot start the nat subsystem");
		goto out;
	}
	/* --- end nat */
	/* --- reputation: restored from the store, fed by the pool, aged every period */
	d.rep = nat_rep_new((size_t)d.conf.nat_reject_memory_max);
	if (d.rep == NULL) {
		log_warnx("rgwd: cannot start the reputation engine");
		goto out;
	}
	nat_set_hooks(d.nat, nat_rep_admit, nat_rep_binding_end, d.rep);
	d.rep_timer = ev_timer_add(d.loop, (uint64_t)d.conf.rep_period_s * 1000, on_rep_timer, &d);
	/* --- audit retention */
	if (d.conf.api_audit_retention_days > 0)
		on_audit_timer(d.loop, 0, &d);

	/* --- dns: listeners, answering from the pool --- */
	if (d.conf.dns_enable) {
		d.dns = dns_new(d.loop, &d.conf, d.store);
		if (d.dns == NULL) {
			log_warnx("rgwd: dns: cannot start");
			goto out;
		}
		dns_set_policy_changed(d.dns, on_dns_policy_changed, &d);
		dns_set_allocator(d.dns, alloc_from_pool, &d);
		/* --- qmin */
		if (d.conf.dns_qmin_release) {
			dns_set_qmin_hook(d.dns, qmin_release, &d);
			dns_set_step_hook(d.dns, qmin_step_note, &d);
		}
		/* --- aliases: after the allocator, fed to the reputation engine */
		d.aliases = dns_aliases_new(d.loop, (size_t)d.conf.dns_alias_max);
		if (d.aliases == NULL) {
			log_warnx("rgwd: cannot create the alias table");
			goto out;
		}
		dns_aliases_set_rep(d.aliases, &(struct dns_alias_rep){ .merge = alias_merge,
									.known = alias_known,
									.note = alias_note,
									.pending = alias_pending,
									.arg = &d });
		dns_set_alias_hooks(d.dns, dns_aliases_hooks(), d.aliases);
		/* --- end aliases */
	}
	/* --- end dns --- */
	/* --- alg --- */
	if (d.conf.alg_enable) {
		d.alg = alg_new(d.loop, &d.conf);
		if (d.alg == NULL)
			goto out;
	}
	/* --- end alg --- */

	if (reload_policy(&d) < 0)
		goto out;
	if (nat_rep_load(d.rep, d.store) < 0)
		log_warnx("rgwd: cannot restore the reputation state; starting from policy");
	d.save_timer = ev_timer_add(d.loop, (uint64_t)d.conf.rep_save_interval_s * 1000,
				    on_save_timer, &d);

	/* api: after the policy is in force, so that the first answer reflects it. */
	if (d.conf.api_enable) {
		static const struct api_hooks hooks = {
			.apply = api_apply_hook,
			.snapshot = api_snapshot_hook,
			.bindings = api_bindings_hook,
			.windows = api_windows_hook,
			.status = api_status_hook,
			.metrics = api_metrics_hook,
			.reputation = api_reputation_hook,
			.reputation_override = api_rep_override_hook,
			.reputation_reset = api_rep_reset_hook,
		};
		if (api_token_bootstrap(d.store, stdout) < 0)
			goto out;
		d.views = (struct api_views){ .loop = d.loop,
					      .snap = &d.snap,
					      .nat = d.nat,
					      .dns = d.dns,
					      .alg = d.alg,
					      .rep = d.rep,
					      .aliases = d.aliases };
		d.api = api_new(d.loop, &d.conf, d.store, &hooks, &d);
		if (d.api == NULL)
			goto out;
	}

	log_info("rgwd: ready");
	/* --- notify: DNS listeners are open and the policy is applied (Type=notify) */
	if (notify_sendf("READY=1\nSTATUS=serving\nMAINPID=%d", (int)getpid()) < 0)
		log_warnx("rgwd: cannot notify the service manager ($NOTIFY_SOCKET)");
	if (ev_run(d.loop) < 0) {
		log_warn("rgwd: event loop failed");
		goto out;
	}
	rc = RGWD_EXIT_OK;
out:
	/* Subsystems stop here, in reverse order. */
	api_free(d.api);
	alg_free(d.alg); /* alg */
	dns_free(d.dns); /* dns */
	dns_aliases_free(d.aliases);
	nat_free(d.nat); /* --- nat: removes the table */
	/* Only once the saved state was restored (save_timer is armed then): an engine that
	 * never loaded it would overwrite the stored evidence with fresh windows. */
	if (d.save_timer != 0 && nat_rep_save(d.rep, d.store) < 0)
		log_warnx("rgwd: cannot save the reputation state");
	if (d.rep_timer)
		ev_timer_del(d.loop, d.rep_timer);
	if (d.save_timer)
		ev_timer_del(d.loop, d.save_timer);
	if (d.audit_timer)
		ev_timer_del(d.loop, d.audit_timer);
	nat_rep_free(d.rep);
	pol_snap_unref(d.snap);
	ev_loop_free(d.loop);
	pol_store_close(d.store);
	log_info("rgwd: stopped");
	return rc;
}
