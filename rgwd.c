/* SPDX-License-Identifier: MIT */
/* rgwd.c -- the Realm Gateway daemon: config -> policy store -> subsystems -> loop -> shutdown */

#include <errno.h>
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
#include "links.h"
#include "ha.h"
#include "nat/nat.h"
#include "nat/reputation.h"
#include "policy/store.h"
#include "reload.h"
#include "sessions.h"

#define RGWD_DAY_MS	    (24ull * 3600 * 1000)
#define RGWD_STORE_WATCH_MS 1000 /* how soon a change made by another process is noticed */
#define RGWD_BUSY_RETRY_MS  20	 /* a store writer waiting for the commit thread looks again */

struct rgwd {
	struct conf conf;
	const char *conf_path; /* re-read at SIGHUP */
	bool explicit_conf;    /* -c given: a missing file is an error, at a reload too */
	bool debug;	       /* -d: the log level stays debug across reloads */
	struct ev_loop *loop;
	struct policy_parts pol;     /* store, subsystems and the policy in force (commit.h) */
	struct dns_aliases *aliases; /* one-time CNAME aliases (with dns) */
	struct api *api;
	uint64_t rep_timer;   /* next period transition of the reputation evidence */
	uint64_t save_timer;  /* next save of the reputation state (0: not restored yet) */
	uint64_t audit_timer; /* daily audit-log pruning */
	uint64_t store_timer; /* a look at the store's data_version */
	uint64_t hup_timer;   /* a SIGHUP waiting for the commit thread */
	int64_t data_version; /* the store's: another process committed when it moves */
	struct ids *ids;      /* IDS alerts, NULL when [ids] enable = no */
	struct links links;   /* the callbacks between the subsystems (links.h) */
	struct ha *ha;	      /* [ha]: the policy channel of an active/standby pair */
	struct rgwd_sessions *sessions; /* one-time session names */
};

static int start(struct rgwd *d);
static int start_dns(struct rgwd *d);
static void stop(struct rgwd *d);
static void on_stop_signal(struct ev_loop *loop, int signo, void *arg);
static void on_hup(struct ev_loop *loop, int signo, void *arg);
static int reload_conf(struct rgwd *d);
static void on_usr1(struct ev_loop *loop, int signo, void *arg);
static void on_store_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_rep_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_save_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_audit_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_hup_retry(struct ev_loop *loop, uint64_t id, void *arg);

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
	links_init(&d->links, d->loop, &d->conf, &d->pol);
	addr_missing_expected(d->conf.ha_enable); /* VRRP brings the addresses to the active */
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
	if (d->conf.alg_enable &&
	    ((d->pol.alg = alg_new(d->loop, &d->conf)) == NULL || links_alg(&d->links) < 0))
		return -1;
	/* ids: Suricata alerts tear flows down, block (runtime state, nat_block), feed the
	 * reputation engine */
	if (d->conf.ids_enable) {
		d->ids = ids_new(d->loop, &d->conf, d->pol.nat, d->pol.rep);
		if (d->ids == NULL)
			return -1;
		/* its audit lines never wait for the store's write lock (commit.h) */
		ids_set_audit(d->ids, policy_audit_later, &d->pol);
		links_ids(&d->links, d->ids);
	}
	/* session names live beside the policy: DNS and the ALG look them up, the API adds */
	if ((d->sessions = rgwd_sessions_start(d->loop, &d->pol)) == NULL)
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
				       .commit_arg = &d->pol,
				       .snapshot = policy_snapshot,
				       .snapshot_arg = &d->pol,
				       .offload = policy_thread_run,
				       .offload_arg = &d->pol };

		/* an HA standby refuses local writes (ha_commit) */
		if (d->ha != NULL)
			links_api_ha(&v, d->ha);

		/* REST policy writes run on the commit thread, its own store connection */
		if (policy_thread_start(&d->pol, d->loop, d->conf.database) < 0) {
			log_warnx("rgwd: cannot start the commit thread");
			return -1;
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
	links_dns(&d->links, d->aliases);
	return 0;
}

/* Subsystems stop in reverse order; the reputation evidence is saved for the next start. */
static void
stop(struct rgwd *d)
{
	policy_thread_stop(&d->pol); /* a write in flight ends first (its reply is not sent) */
	api_free(d->api);
	links_stop(&d->links);
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
	if (d->hup_timer)
		ev_timer_del(d->loop, d->hup_timer);
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

/* rgw.conf again (reload.h); the audit log's retention may have changed. 0 or -errno. */
static int
reload_conf(struct rgwd *d)
{
	struct reload_target t = { &d->conf,   d->conf_path, d->explicit_conf, d->debug,
				   d->pol.dns, d->api,	     d->pol.alg };
	bool applied;
	int n = reload_config(&t, &applied);

	if (n < 0 || !applied)
		return n < 0 ? n : 0;
	if (d->audit_timer)
		ev_timer_del(d->loop, d->audit_timer);
	d->audit_timer = 0;
	if (d->conf.api_audit_retention_days > 0)
		on_audit_timer(d->loop, 0, d);
	log_info("rgwd: reload: %d configuration change%s in force", n, n == 1 ? "" : "s");
	return 0;
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

	(void)signo;
	if (policy_thread_busy(&d->pol)) {
		/* a REST write runs on the commit thread: the reload comes right after it */
		if (d->hup_timer == 0)
			d->hup_timer = ev_timer_add(loop, RGWD_BUSY_RETRY_MS, on_hup_retry, d);
		return;
	}
	log_info("rgwd: SIGHUP received, reloading policy and configuration (%s)", d->conf_path);
	/* systemctl reload returns once READY=1 follows RELOADING=1 */
	notify_send("RELOADING=1\nSTATUS=reloading");
	if (reload_conf(d) < 0) {
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

static void
on_hup_retry(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;

	(void)id;
	d->hup_timer = 0;
	on_hup(loop, SIGHUP, d);
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
 * Another process committed to the store (`rgwd --import`): when the policy it holds is not
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
	/* the commit thread's own writes move the data version too: look once it is done */
	if (policy_thread_busy(&d->pol))
		return;
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
	links_lowrep_soon(&d->links); /* evidence fades: sources may leave the ALG's refusal list */
	d->rep_timer = ev_timer_add(loop, (uint64_t)d->conf.rep_period_s * 1000, on_rep_timer, d);
}

/* Every [reputation] save_interval, on its own timer whatever the period: persist the
 * evidence, so that a crash loses at most one interval of it. */
static void
on_save_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct rgwd *d = arg;

	(void)id;
	if (policy_thread_busy(&d->pol)) {
		/* the commit thread holds the store's write lock: right after it */
		d->save_timer = ev_timer_add(loop, RGWD_BUSY_RETRY_MS, on_save_timer, d);
		return;
	}
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
	if (policy_thread_busy(&d->pol)) {
		d->audit_timer = ev_timer_add(loop, RGWD_BUSY_RETRY_MS, on_audit_timer, d);
		return;
	}
	if (pol_audit_prune(d->pol.store, now > keep ? now - keep : 0, &removed) < 0)
		log_warnx("rgwd: cannot prune the audit log");
	else if (removed > 0)
		log_info("rgwd: audit log: removed %llu lines older than %ld days",
			 (unsigned long long)removed, d->conf.api_audit_retention_days);
	d->audit_timer = ev_timer_add(loop, RGWD_DAY_MS, on_audit_timer, d);
}
