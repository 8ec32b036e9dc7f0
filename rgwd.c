/* SPDX-License-Identifier: MIT */
/* rgwd.c -- the Realm Gateway daemon: config -> policy store -> subsystems -> loop -> shutdown */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "alg/alg.h"
#include "api/api.h"
#include "commit.h"
#include "common/conf.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/notify.h"
#include "common/util.h"
#include "dns/alias.h"
#include "dns/dns.h"
#include "ids/ids.h"
#include "ha.h"
#include "nat/nat.h"
#include "nat/reputation.h"
#include "policy/store.h"
#include "sessions.h"

#define RGWD_DAY_MS	    (24ull * 3600 * 1000)
#define RGWD_STORE_WATCH_MS 1000 /* how soon a change made by another process is noticed */

struct rgwd {
	struct conf conf;
	const char *conf_path; /* re-read at SIGHUP */
	bool explicit_conf;    /* -c given: a missing file is an error, at a reload too */
	bool debug;	       /* -d: the log level stays debug across reloads */
	struct ev_loop *loop;
	struct policy_parts pol;     /* store, subsystems and the policy in force (commit.h) */
	struct dns_aliases *aliases; /* one-time CNAME aliases (with dns) */
	struct api *api;
	uint64_t rep_timer;    /* next period transition of the reputation evidence */
	uint64_t save_timer;   /* next save of the reputation state (0: not restored yet) */
	uint64_t audit_timer;  /* daily audit-log pruning */
	uint64_t store_timer;  /* a look at the store's data_version */
	int64_t data_version;  /* the store's: another process committed when it moves */
	struct ids *ids;       /* IDS alerts, NULL when [ids] enable = no */
	uint64_t lowrep_timer; /* pending publication of the ALG's low-reputation sources */
	struct ha *ha;	       /* [ha]: the policy channel of an active/standby pair */
	struct rgwd_sessions *sessions; /* one-time session names */
};

static int start(struct rgwd *d);
static int start_dns(struct rgwd *d);
static void stop(struct rgwd *d);
static void on_stop_signal(struct ev_loop *loop, int signo, void *arg);
static void on_hup(struct ev_loop *loop, int signo, void *arg);
static int reload_config(struct rgwd *d);
static void reload_change(const struct conf_item *it, bool reload, void *arg);
static void reload_error(const char *file, unsigned line, const char *msg, void *arg);
static void on_usr1(struct ev_loop *loop, int signo, void *arg);
static void on_store_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_rep_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_save_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_audit_timer(struct ev_loop *loop, uint64_t id, void *arg);
static int alloc_from_pool(void *arg, const struct nat_request *req, struct addr *out,
			   enum nat_refusal *why);
static unsigned qmin_release(void *arg, const struct addr *resolver, const struct prefix *requestor,
			     const int64_t *service_ids, size_t n);
static void qmin_step_note(void *arg, const struct addr *resolver, int64_t service_id);
static const struct dns_nest_hooks nest_hooks;
static int alias_merge(void *arg, const struct addr *asker, const struct addr *issuer);
static bool alias_known(void *arg, const struct addr *resolver);
static void alias_note(void *arg, const struct addr *resolver, bool trusted);
static bool alias_pending(void *arg, const struct addr *public_addr, int64_t service_id);
static void on_alg_evidence(void *arg, const struct alg_ev *ev, size_t n);
static bool ids_inside(void *arg, const struct addr *a);
static void lowrep_soon(struct rgwd *d);
static void on_lowrep_timer(struct ev_loop *loop, uint64_t id, void *arg);

static json_t *ha_status(void *arg);
static int ha_role(void *arg, const char *role);
static const char *ha_refuse(void *arg);

int
main(int argc, char **argv)
{
	struct admin_options o;
	struct rgwd d;
	int rc;

	memset(&d, 0, sizeof(d));
	log_init("rgwd", false, LOG_LVL_INFO);
	rc = admin_parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (admin_load_config(&d.conf, &o) < 0)
		return RGWD_EXIT_CONFIG;
	if (o.check_only) {
		int n = admin_check_files(&d.conf);

		if (n > 0) {
			fprintf(stderr, "%s: %d error%s\n", o.conf_path, n, n == 1 ? "" : "s");
			return RGWD_EXIT_CONFIG;
		}
		printf("%s: configuration is valid\n", o.conf_path);
		return RGWD_EXIT_OK;
	}
	log_init("rgwd", d.conf.log_syslog, o.debug ? LOG_LVL_DEBUG : d.conf.log_level);
	if (admin_requested(&o))
		return admin_run(&d.conf, &o);

	d.conf_path = o.conf_path;
	d.explicit_conf = o.explicit_conf;
	d.debug = o.debug;
	rc = RGWD_EXIT_FAILURE;
	if (start(&d) < 0)
		log_msg(LOG_LVL_ERR, "rgwd: start-up failed (see the messages above)");
	else if (ev_run(d.loop) == 0)
		rc = RGWD_EXIT_OK;
	else
		log_warn("rgwd: event loop failed");

	stop(&d);
	return rc;
}

/*
 * Subsystems start in data-plane order (nat, reputation, dns, alg), the policy is put in
 * force through the committer like every later change, then the API opens.
 */
static int
start(struct rgwd *d)
{
	struct pol_change boot = { .actor = "rgwd", .action = "start", .resource = "policy" };
	struct pol_err e = { 0 };

	log_info("rgwd %s starting (config %s, database %s)", RGW_VERSION, d->conf_path,
		 d->conf.database);
	d->pol.store = pol_store_open(d->conf.database, &e);
	if (d->pol.store == NULL || admin_seed(d->pol.store, &d->conf) < 0)
		return -1;
	d->loop = ev_loop_new();
	if (d->loop == NULL) {
		log_warn("rgwd: cannot create the event loop");
		return -1;
	}
	/* Signals before any thread exists, so that every thread inherits the mask. */
	signal(SIGPIPE, SIG_IGN);
	if (ev_signal_add(d->loop, SIGTERM, on_stop_signal, d) < 0 ||
	    ev_signal_add(d->loop, SIGINT, on_stop_signal, d) < 0 ||
	    ev_signal_add(d->loop, SIGHUP, on_hup, d) < 0 ||
	    ev_signal_add(d->loop, SIGUSR1, on_usr1, d) < 0) {
		log_warn("rgwd: cannot set up signal handling");
		return -1;
	}
	if (log_access_open(d->conf.alg_access_log_file) < 0) {
		log_warn("rgwd: cannot open the access log %s", d->conf.alg_access_log_file);
		return -1;
	}
	/* nat: the pool always; the table and the queue when [nat] enable */
	d->pol.nat = nat_new(d->loop, &d->conf);
	d->pol.rep = nat_rep_new((size_t)d->conf.nat_reject_memory_max);
	if (d->pol.nat == NULL || d->pol.rep == NULL) {
		log_warnx("rgwd: cannot start the nat subsystem");
		return -1;
	}
	nat_set_hooks(d->pol.nat, nat_rep_admit, nat_rep_binding_end, d->pol.rep);
	/* Before the first commit, which gives the pair its policy digest; the standby starts
	 * following once the loop runs. */
	if (d->conf.ha_enable && (d->ha = ha_new(d->loop, &d->conf, &d->pol)) == NULL)
		return -1;
	if (d->conf.dns_enable && start_dns(d) < 0)
		return -1;
	if (d->conf.alg_enable && ((d->pol.alg = alg_new(d->loop, &d->conf)) == NULL ||
				   alg_set_evidence(d->pol.alg, d->loop, on_alg_evidence, d) < 0))
		return -1;
	/* ids: Suricata alerts tear flows down, block (runtime state, nat_block), feed the
	 * reputation engine */
	if (d->conf.ids_enable) {
		d->ids = ids_new(d->loop, &d->conf, d->pol.nat, d->pol.rep, d->pol.store);
		if (d->ids == NULL)
			return -1;
		ids_set_inside(d->ids, ids_inside, d);
	}
	/* session names live beside the policy: DNS and the ALG look them up, the API adds */
	if ((d->sessions = rgwd_sessions_start(d->loop, d->pol.store)) == NULL)
		return -1;
	if (d->pol.dns)
		dns_set_sessions(d->pol.dns, rgwd_sessions_table(d->sessions),
				 nat_rep_session_ended, d->pol.rep);
	if (d->pol.alg)
		alg_set_sessions(d->pol.alg, rgwd_sessions_table(d->sessions));

	if (policy_reload(&d->pol, &boot, &e) < 0)
		return -1;
	if (nat_rep_load(d->pol.rep, d->pol.store) < 0)
		log_warnx("rgwd: cannot restore the reputation state; starting from policy");
	(void)pol_store_data_version(d->pol.store, &d->data_version);
	d->store_timer = ev_timer_add(d->loop, RGWD_STORE_WATCH_MS, on_store_timer, d);
	d->rep_timer =
		ev_timer_add(d->loop, (uint64_t)d->conf.rep_period_s * 1000, on_rep_timer, d);
	d->save_timer = ev_timer_add(d->loop, (uint64_t)d->conf.rep_save_interval_s * 1000,
				     on_save_timer, d);
	if (d->conf.api_audit_retention_days > 0)
		on_audit_timer(d->loop, 0, d);

	if (d->conf.api_enable) {
		struct api_views v = { .loop = d->loop,
				       .snap = &d->pol.snap,
				       .nat = d->pol.nat,
				       .dns = d->pol.dns,
				       .alg = d->pol.alg,
				       .rep = d->pol.rep,
				       .aliases = d->aliases,
				       .ids = d->ids,
				       .sessions = rgwd_sessions_table(d->sessions),
				       .commit = policy_commit,
				       .commit_arg = &d->pol };

		/* an HA standby refuses local writes (ha_commit) */
		if (d->ha != NULL) {
			v.commit = ha_commit;
			v.commit_arg = d->ha;
			v.ha_status = ha_status;
			v.ha_set_role = ha_role;
			v.ha_refusal = ha_refuse;
			v.ha_arg = d->ha;
		}

		if (admin_bootstrap_token(d->pol.store, &d->conf) < 0 ||
		    (d->api = api_new(d->loop, &d->conf, d->pol.store, &v)) == NULL)
			return -1;
	}
	log_info("rgwd: ready");
	/* the service manager (Type=notify): DNS listeners are open and the policy in force */
	if (notify_sendf("READY=1\nSTATUS=serving\nMAINPID=%d", (int)getpid()) < 0)
		log_warnx("rgwd: cannot notify the service manager ($NOTIFY_SOCKET)");
	/* WatchdogSec= in the unit: keep-alives from this loop */
	if (notify_watchdog_start(d->loop) < 0)
		log_warnx("rgwd: cannot arm the service manager's watchdog");
	return 0;
}

/* DNS listeners answering from the pool; UPDATE writes through the committer; one-time
 * CNAME aliases feed the reputation engine. */
static int
start_dns(struct rgwd *d)
{
	d->pol.dns = dns_new(d->loop, &d->conf, d->pol.store);
	d->aliases = dns_aliases_new(d->loop, (size_t)d->conf.dns_alias_max);
	if (d->pol.dns == NULL || d->aliases == NULL) {
		log_warnx("rgwd: dns: cannot start");
		return -1;
	}
	if (d->ha != NULL)
		dns_set_committer(d->pol.dns, ha_commit, d->ha);
	else
		dns_set_committer(d->pol.dns, policy_commit, &d->pol);
	dns_set_allocator(d->pol.dns, alloc_from_pool, d);
	dns_set_nest_hooks(d->pol.dns, &nest_hooks, d);
	if (d->conf.dns_qmin_release) {
		dns_set_qmin_hook(d->pol.dns, qmin_release, d);
		dns_set_step_hook(d->pol.dns, qmin_step_note, d);
	}
	dns_aliases_set_rep(d->aliases, &(struct dns_alias_rep){ .merge = alias_merge,
								 .known = alias_known,
								 .note = alias_note,
								 .pending = alias_pending,
								 .arg = d });
	dns_set_alias_hooks(d->pol.dns, dns_aliases_hooks(), d->aliases);
	return 0;
}

/* Subsystems stop in reverse order; the reputation evidence is saved for the next start. */
static void
stop(struct rgwd *d)
{
	api_free(d->api);
	if (d->lowrep_timer)
		ev_timer_del(d->loop, d->lowrep_timer);
	ha_free(d->ha);
	alg_free(d->pol.alg);
	ids_free(d->ids);
	dns_free(d->pol.dns);
	dns_aliases_free(d->aliases);
	rgwd_sessions_stop(d->sessions); /* no DNS or ALG thread left */
	nat_free(d->pol.nat);		 /* removes the table, unless [nat] keep_table_on_stop */
	/* Only once the saved state was restored (save_timer is armed then): an engine that
	 * never loaded it would overwrite the stored evidence with fresh windows. */
	if (d->save_timer != 0 && nat_rep_save(d->pol.rep, d->pol.store) < 0)
		log_warnx("rgwd: cannot save the reputation state");
	if (d->rep_timer)
		ev_timer_del(d->loop, d->rep_timer);
	if (d->save_timer)
		ev_timer_del(d->loop, d->save_timer);
	if (d->audit_timer)
		ev_timer_del(d->loop, d->audit_timer);
	if (d->store_timer)
		ev_timer_del(d->loop, d->store_timer);
	nat_rep_free(d->pol.rep);
	pol_snap_unref(d->pol.snap);
	ev_loop_free(d->loop);
	pol_store_close(d->pol.store);
	log_info("rgwd: stopped");
}

static void
on_stop_signal(struct ev_loop *loop, int signo, void *arg)
{
	(void)arg;
	log_info("rgwd: %s received, shutting down", strsignal(signo));
	/* the service manager sees the stop as ours, not a crash */
	notify_send("STOPPING=1");
	ev_stop(loop);
}

/* --- reload: rgw.conf again, every key that can change at run time (common/conf.c marks
 * them); prepare every subsystem (fallible, nothing visible), then commit all or abort all,
 * the discipline of policy_commit (commit.h) */

static void
reload_error(const char *file, unsigned line, const char *msg, void *arg)
{
	unsigned *count = arg;

	(*count)++;
	if (line)
		log_warnx("rgwd: reload: %s:%u: %s", file, line, msg);
	else
		log_warnx("rgwd: reload: %s: %s", file, msg);
}

static void
reload_change(const struct conf_item *it, bool reload, void *arg)
{
	(void)arg;
	if (reload)
		log_info("rgwd: reload: %s.%s changed", it->section, it->key);
	else
		log_warnx("rgwd: reload: %s.%s changed but takes effect only at a restart; the "
			  "old value stays in force",
			  it->section, it->key);
}

/* 0: the new configuration is in force (or nothing changed); <0: nothing changed. */
static int
reload_config(struct rgwd *d)
{
	struct conf *neu = malloc(sizeof(*neu));
	struct dns_reconf *dplan = NULL;
	struct api_reconf *aplan = NULL;
	unsigned errors = 0;
	int rc, n;

	if (neu == NULL)
		return -ENOMEM;
	conf_defaults(neu);
	rc = conf_load(neu, d->conf_path, reload_error, &errors);
	if (rc == -ENOENT && !d->explicit_conf) {
		errors = 0; /* still no file: the built-in defaults, as at the start */
	} else if (rc < 0 && errors == 0) {
		log_warnx("rgwd: reload: %s: %s", d->conf_path, strerror(-rc));
		errors++;
	}
	if (conf_validate(neu, reload_error, &errors) < 0 && errors == 0)
		errors++;
	if (errors) {
		log_warnx("rgwd: reload: %s has %u error%s; nothing changed", d->conf_path, errors,
			  errors == 1 ? "" : "s");
		rc = -EINVAL;
		goto out;
	}
	n = conf_reload_merge(&d->conf, neu, reload_change, d);
	/* with TLS, the certificate files are read again even when the paths stay: a renewed
	 * certificate is the common reason for a reload */
	if (n == 0 && !(d->api != NULL && neu->api_tls_cert[0])) {
		log_info("rgwd: reload: no configuration change to apply");
		rc = 0;
		goto out;
	}
	/* prepare: new sockets, certificates and limits; the old ones still serve */
	if (neu->alg_access_log_file[0] &&
	    strcmp(neu->alg_access_log_file, d->conf.alg_access_log_file) != 0) {
		int fd = open(neu->alg_access_log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			      0640);

		if (fd == -1) {
			log_warn("rgwd: reload: cannot open the access log %s",
				 neu->alg_access_log_file);
			rc = -EINVAL;
			goto out;
		}
		close(fd);
	}
	if (d->pol.dns != NULL && (rc = dns_reconf_prepare(d->pol.dns, &d->conf, neu, &dplan)) < 0)
		goto fail;
	if (d->api != NULL && (rc = api_reconf_prepare(d->api, neu, &aplan)) < 0)
		goto fail;
	/* commit: nothing below can fail in a way that leaves a half-applied reload */
	d->conf = *neu;
	if (dplan != NULL)
		dns_reconf_commit(d->pol.dns, dplan);
	if (aplan != NULL)
		api_reconf_commit(d->api, aplan);
	if (d->pol.alg != NULL)
		alg_reconf(d->pol.alg, &d->conf);
	if (!d->debug)
		log_set_level((enum log_level)d->conf.log_level);
	if (log_access_open(d->conf.alg_access_log_file) < 0)
		log_warn("rgwd: reload: cannot open the access log %s",
			 d->conf.alg_access_log_file);
	if (d->audit_timer)
		ev_timer_del(d->loop, d->audit_timer);
	d->audit_timer = 0;
	if (d->conf.api_audit_retention_days > 0)
		on_audit_timer(d->loop, 0, d);
	log_info("rgwd: reload: %d configuration change%s in force", n, n == 1 ? "" : "s");
	rc = 0;
	goto out;
fail:
	log_warnx("rgwd: reload: a subsystem refused the new configuration (%s); nothing changed",
		  strerror(-rc));
	api_reconf_abort(d->api, aplan);
	dns_reconf_abort(d->pol.dns, dplan);
out:
	free(neu);
	return rc;
}

/*
 * SIGHUP: rgw.conf first (all or nothing), then the policy in the store, through the
 * committer like every other policy change (commit.h). A broken configuration changes
 * nothing, and the policy is not re-read either.
 */
static void
on_hup(struct ev_loop *loop, int signo, void *arg)
{
	struct pol_change c = {
		.actor = "signal", .action = "reload", .resource = "policy", .detail = "SIGHUP"
	};
	struct rgwd *d = arg;
	struct pol_err e = { 0 };

	(void)loop;
	(void)signo;
	log_info("rgwd: SIGHUP received, reloading policy and configuration (%s)", d->conf_path);
	/* systemctl reload returns once READY=1 follows RELOADING=1 */
	notify_send("RELOADING=1\nSTATUS=reloading");
	if (reload_config(d) < 0) {
		log_warnx("rgwd: reload failed; the configuration and policy in force stay");
		notify_send("READY=1\nSTATUS=reload failed; previous configuration in force");
		return;
	}
	if (policy_reload(&d->pol, &c, &e) < 0)
		notify_send("READY=1\nSTATUS=reload failed; previous policy in force");
	else
		notify_send("READY=1\nSTATUS=serving");
	(void)pol_store_data_version(d->pol.store, &d->data_version);
}

/* SIGUSR1: reopen the access log file (logrotate's postrotate). */
static void
on_usr1(struct ev_loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	(void)arg;
	if (log_access_reopen() < 0)
		log_warn("rgwd: cannot reopen the access log; writing to the old file");
	else
		log_info("rgwd: SIGUSR1 received, access log reopened");
}

/*
 * Another process committed to the store
 (`rgwd --import`): when the policy it holds is not
 * the one in force, put it in force like a SIGHUP would. If it cannot be, the previous policy
 * stays in force and the audit log says so (its ETags are those of the policy in force).
 */
static void
on_store_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct pol_change c = { .actor = "rgwd", .action = "reload", .resource = "policy" };
	struct rgwd *d = arg;
	const char *now = d->pol.snap != NULL ? d->pol.snap->etag : NULL;
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };
	char why[sizeof(e.field) + sizeof(e.msg) + 96];
	int64_t v = d->data_version;

	(void)id;
	d->store_timer = ev_timer_add(loop, RGWD_STORE_WATCH_MS, on_store_timer, d);
	if (pol_store_data_version(d->pol.store, &v) < 0 || v == d->data_version)
		return;
	d->data_version = v;
	if (pol_store_snapshot(d->pol.store, &s) < 0 || (now && strcmp(s->etag, now) == 0)) {
		pol_snap_unref(s);
		return;
	}
	log_info("rgwd: the policy store was changed by another process");
	c.detail = "changed by another process";
	if (policy_reload(&d->pol, &c, &e) < 0) {
		snprintf(why, sizeof(why),
			 "policy %s written by another process not in force: %s%s%s", s->etag,
			 e.field, e.field[0] ? ": " : "", e.msg);
		c.action = "refuse";
		c.detail = why;
		(void)pol_audit_append(d->pol.store, &c, now, now);
	}
	pol_snap_unref(s);
}

/* Every [reputation] period: age the evidence. */
static void
on_rep_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;

	(void)id;
	nat_rep_transition(d->pol.rep);
	lowrep_soon(d); /* evidence fades: sources may leave the ALG's refusal list */
	d->rep_timer = ev_timer_add(loop, (uint64_t)d->conf.rep_period_s * 1000, on_rep_timer, d);
}

/* Every [reputation] save_interval, on its own timer whatever the period: persist the
 * evidence, so that a crash loses at most one interval of it. */
static void
on_save_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;

	(void)id;
	if (nat_rep_save(d->pol.rep, d->pol.store) < 0)
		log_warnx("rgwd: cannot save the reputation state");
	else if (d->ha != NULL)
		ha_reputation_saved(d->ha); /* the standby takes it (soft state) */
	d->save_timer =
		ev_timer_add(loop, (uint64_t)d->conf.rep_save_interval_s * 1000, on_save_timer, d);
}

/* [api] audit_retention days: the audit log is pruned at start-up and once a day. */
static void
on_audit_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;
	uint64_t keep = (uint64_t)d->conf.api_audit_retention_days * RGWD_DAY_MS;
	uint64_t now = util_wall_ms(), removed = 0;

	(void)id;
	if (pol_audit_prune(d->pol.store, now > keep ? now - keep : 0, &removed) < 0)
		log_warnx("rgwd: cannot prune the audit log");
	else if (removed > 0)
		log_info("rgwd: audit log: removed %llu lines older than %ld days",
			 (unsigned long long)removed, d->conf.api_audit_retention_days);
	d->audit_timer = ev_timer_add(loop, RGWD_DAY_MS, on_audit_timer, d);
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

	r.sla = r.has_requestor && nat_rep_resolver_sla(d->pol.rep, &r.resolver);
	return nat_request(d->pol.nat, &r, out, why);
}

/* --- nested gateways: our address reserved, then bound to their answer or withdrawn */
static int
nest_reserve(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why,
	     uint64_t *id, bool *fresh)
{
	struct rgwd *d = arg;
	struct nat_request r = *req;

	r.sla = r.has_requestor && nat_rep_resolver_sla(d->pol.rep, &r.resolver);
	return nat_request_id(d->pol.nat, &r, out, why, id, fresh);
}

static int
nest_bind(void *arg, uint64_t id, const struct addr *target)
{
	return nat_nest_bind(((struct rgwd *)arg)->pol.nat, id, target);
}

static void
nest_withdraw(void *arg, uint64_t id, bool denied)
{
	(void)nat_nest_withdraw(((struct rgwd *)arg)->pol.nat, id, denied);
}

static const struct dns_nest_hooks nest_hooks = { nest_reserve, nest_bind, nest_withdraw };
/* --- end nested gateways */

/* A QNAME minimisation step gives its unused binding back (no reputation evidence). */
static unsigned
qmin_release(void *arg, const struct addr *resolver, const struct prefix *requestor,
	     const int64_t *service_ids, size_t n)
{
	struct rgwd *d = arg;
	unsigned released = 0;
	size_t i;

	for (i = 0; i < n; i++)
		released += (unsigned)nat_release_unused(d->pol.nat, resolver, requestor,
							 service_ids[i]);
	return released;
}

/* Another QTYPE right after an A for the same pooled name: the A was a step (no evidence). */
static void
qmin_step_note(void *arg, const struct addr *resolver, int64_t service_id)
{
	struct rgwd *d = arg;

	(void)nat_note_step(d->pol.nat, resolver, service_id);
}

/* One-time CNAME aliases and the resolver evidence they give, fed to the reputation engine. */
static int
alias_merge(void *arg, const struct addr *asker, const struct addr *issuer)
{
	return nat_rep_merge_resolvers(((struct rgwd *)arg)->pol.rep, asker, issuer);
}

static bool
alias_known(void *arg, const struct addr *resolver)
{
	return nat_rep_resolver_known(((struct rgwd *)arg)->pol.rep, resolver);
}

static void
alias_note(void *arg, const struct addr *resolver, bool trusted)
{
	nat_rep_note_query(((struct rgwd *)arg)->pol.rep, resolver, trusted);
}

static bool
alias_pending(void *arg, const struct addr *public_addr, int64_t service_id)
{
	struct rgwd *d = arg;

	return nat_pool_pending(nat_get_pool(d->pol.nat), public_addr, service_id,
				ev_now_ms(d->loop));
}

/* --- ids: a private host of the policy in force is never blocked */
static bool
ids_inside(void *arg, const struct addr *a)
{
	const struct pol_snap *s = ((struct rgwd *)arg)->pol.snap;
	size_t i;

	for (i = 0; s != NULL && i < s->n_hosts; i++)
		if (addr_eq(&s->hosts[i].ipv4, a) || addr_eq(&s->hosts[i].ipv6, a))
			return true;
	for (i = 0; s != NULL && i < s->n_service_addrs; i++)
		if (addr_eq(&s->service_addrs[i].addr, a))
			return true;
	return false;
}
/* --- end ids */

/* --- alg reputation: evidence from the workers, low-reputation sources back to them */
static void
on_alg_evidence(void *arg, const struct alg_ev *ev, size_t n)
{
	static const enum nat_rep_flow why[ALG_EV_COUNT] = {
		[ALG_EV_SILENT] = NAT_REP_FLOW_ALG_SILENT,
		[ALG_EV_UNROUTED] = NAT_REP_FLOW_ALG_UNROUTED,
		[ALG_EV_GARBAGE] = NAT_REP_FLOW_ALG_GARBAGE,
		[ALG_EV_CAP] = NAT_REP_FLOW_ALG_CAP,
		[ALG_EV_SLOW] = NAT_REP_FLOW_ALG_SLOW,
	};
	struct rgwd *d = arg;
	size_t i;

	for (i = 0; i < n; i++)
		if (ev[i].why < ALG_EV_COUNT)
			nat_rep_flow_nok(d->pol.rep, why[ev[i].why], &ev[i].src, NULL, NULL);
	lowrep_soon(d);
}

struct lowrep_ctx {
	struct addr *a;
	size_t n, cap;
};

static int
lowrep_add(void *arg, const struct addr *a, double value)
{
	struct lowrep_ctx *c = arg;

	(void)value;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct addr *na = realloc(c->a, ncap * sizeof(*na));

		if (na == NULL)
			return 1;
		c->a = na;
		c->cap = ncap;
	}
	c->a[c->n++] = *a;
	return 0;
}

/* The workers' snapshot follows the evidence within 100 ms, at most ten times a second. */
#define LOWREP_DELAY_MS 100

static void
on_lowrep_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;
	struct lowrep_ctx c = { 0 };

	(void)loop;
	(void)id;
	d->lowrep_timer = 0;
	if (d->pol.alg == NULL || d->pol.rep == NULL || d->conf.alg_rep_threshold_pct == 0)
		return;
	nat_rep_low_sources(d->pol.rep, (double)d->conf.alg_rep_threshold_pct / 100.0, lowrep_add,
			    &c);
	if (alg_set_low_sources(d->pol.alg, c.a, c.n) < 0)
		log_warnx("rgwd: alg: cannot publish the low-reputation sources");
	free(c.a);
}

static void
lowrep_soon(struct rgwd *d)
{
	if (d->lowrep_timer == 0)
		d->lowrep_timer = ev_timer_add(d->loop, LOWREP_DELAY_MS, on_lowrep_timer, d);
}
/* --- end alg reputation */

static json_t *
ha_status(void *arg)
{
	return ha_status_json(arg);
}

static int
ha_role(void *arg, const char *role)
{
	return ha_set_role(arg, role);
}

static const char *
ha_refuse(void *arg)
{
	return ha_refusal(arg);
}
