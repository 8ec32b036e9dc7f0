/* SPDX-License-Identifier: MIT */
/* api/metrics.c -- GET /metrics: Prometheus text format (API, policy, process, subsystems) */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../common/histo.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../policy/tenancy.h"
#include "internal.h"

static void process_metrics(struct buf *b);
static void tenant_metrics(struct api_req *r, const struct pol_snap *s);

/* One family of the tenants' metrics: what each holds (quota false) or may hold. */
struct tenant_family {
	struct buf *b;
	const struct pol_snap *s;
	bool quota;
};

static int
tenant_lines(void *arg, const struct pol_tenant *t)
{
	const struct tenant_family *f = arg;
	const char *name = f->quota ? "rgw_tenant_quota" : "rgw_tenant_held";
	struct pol_quota q = t->quota;

	if (!f->quota)
		pol_tenancy_usage(t, f->s, &q);
	buf_printf(f->b,
		   "%s{tenant=\"%s\",kind=\"hosts\"} %u\n%s{tenant=\"%s\",kind=\"services\"} %u\n"
		   "%s{tenant=\"%s\",kind=\"alg_routes\"} %u\n"
		   "%s{tenant=\"%s\",kind=\"pool\"} %u\n",
		   name, t->name, q.hosts, name, t->name, q.services, name, t->name, q.alg_routes,
		   name, t->name, q.pool);
	return 0;
}

/* Per tenant (its name is a DNS label: no escaping): what it holds and its quotas. */
static void
tenant_metrics(struct api_req *r, const struct pol_snap *s)
{
	struct tenant_family f = { &r->text, s, false };

	buf_printf(f.b, "# HELP rgw_tenant_held Policy objects a tenant holds (pool: the pool "
			"addresses its hosts may hold at once).\n"
			"# TYPE rgw_tenant_held gauge\n");
	if (pol_tenant_list(r->api->st, tenant_lines, &f) < 0)
		log_warnx("api: metrics: cannot list the tenants");
	f.quota = true;
	buf_printf(f.b, "# HELP rgw_tenant_quota A tenant's quotas (0: no limit).\n"
			"# TYPE rgw_tenant_quota gauge\n");
	(void)pol_tenant_list(r->api->st, tenant_lines, &f);
}

/*
 * The standard process_* families of the Prometheus client libraries, from /proc/self:
 * CPU seconds, resident and virtual memory, open and maximum descriptors, start time.
 */
static void
process_metrics(struct buf *b)
{
	unsigned long long utime = 0, stime = 0, start = 0, vsize = 0, btime = 0;
	long long rss = 0;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	char line[1024], *p;
	struct rlimit rl;
	size_t fds = 0;
	struct dirent *de;
	DIR *dir;
	FILE *f;

	f = fopen("/proc/self/stat", "re");
	if (f != NULL) {
		/* the command name may hold spaces and ')': fields count from the last ')' */
		if (fgets(line, sizeof(line), f) != NULL && (p = strrchr(line, ')')) != NULL)
			sscanf(p + 2,
			       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
			       "%*d %*d %*d %llu %llu %lld",
			       &utime, &stime, &start, &vsize, &rss);
		fclose(f);
	}
	f = fopen("/proc/stat", "re");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "btime %llu", &btime) == 1)
				break;
		fclose(f);
	}
	dir = opendir("/proc/self/fd");
	if (dir != NULL) {
		while ((de = readdir(dir)) != NULL)
			if (de->d_name[0] != '.')
				fds++;
		closedir(dir);
		fds--; /* the directory's own descriptor */
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = 0;
	if (tck <= 0)
		tck = 100;
	buf_printf(b,
		   "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
		   "seconds.\n# TYPE process_cpu_seconds_total counter\n"
		   "process_cpu_seconds_total %.2f\n"
		   "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		   "# TYPE process_resident_memory_bytes gauge\n"
		   "process_resident_memory_bytes %lld\n"
		   "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
		   "# TYPE process_virtual_memory_bytes gauge\n"
		   "process_virtual_memory_bytes %llu\n"
		   "# HELP process_open_fds Number of open file descriptors.\n"
		   "# TYPE process_open_fds gauge\nprocess_open_fds %zu\n"
		   "# HELP process_max_fds Maximum number of open file descriptors.\n"
		   "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n"
		   "# HELP process_start_time_seconds Start time of the process since the Unix "
		   "epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
		   "process_start_time_seconds %.2f\n",
		   (double)(utime + stime) / (double)tck, rss * (long long)page, vsize, fds,
		   (unsigned long long)rl.rlim_cur, (double)btime + (double)start / (double)tck);
}

void
api_h_metrics(struct api_req *r)
{
	const struct api_stats *st = &r->api->stats;
	struct pol_snap *s = api_snapshot_read(r);
	struct buf *b = &r->text;

	if (!s)
		return;
	buf_printf(b,
		   "# HELP rgw_info Build information.\n# TYPE rgw_info gauge\n"
		   "rgw_info{version=\"%s\"} 1\n",
		   RGW_VERSION);
	buf_printf(b,
		   "# HELP rgw_uptime_seconds Seconds since the API started.\n"
		   "# TYPE rgw_uptime_seconds gauge\nrgw_uptime_seconds %llu\n",
		   (unsigned long long)((util_mono_ms() - r->api->started_ms) / 1000));
	buf_printf(b, "# HELP rgw_api_requests_total API requests by status class.\n"
		      "# TYPE rgw_api_requests_total counter\n");
	for (int c = 1; c <= 5; c++)
		buf_printf(b, "rgw_api_requests_total{code=\"%dxx\"} %llu\n", c,
			   (unsigned long long)st->by_class[c]);
	buf_printf(b,
		   "# HELP rgw_api_writes_total Policy writes committed and applied.\n"
		   "# TYPE rgw_api_writes_total counter\nrgw_api_writes_total %llu\n"
		   "# HELP rgw_api_write_failures_total Policy writes rolled back.\n"
		   "# TYPE rgw_api_write_failures_total counter\n"
		   "rgw_api_write_failures_total %llu\n"
		   "# HELP rgw_api_apply_failures_total Data-plane apply failures.\n"
		   "# TYPE rgw_api_apply_failures_total counter\n"
		   "rgw_api_apply_failures_total %llu\n"
		   "# HELP rgw_api_auth_failures_total Requests refused with 401.\n"
		   "# TYPE rgw_api_auth_failures_total counter\n"
		   "rgw_api_auth_failures_total %llu\n"
		   "# HELP rgw_api_rate_limited_total Requests refused with 429.\n"
		   "# TYPE rgw_api_rate_limited_total counter\n"
		   "rgw_api_rate_limited_total %llu\n",
		   (unsigned long long)st->writes, (unsigned long long)st->write_failures,
		   (unsigned long long)st->apply_failures, (unsigned long long)st->auth_failures,
		   (unsigned long long)st->rate_limited);
	buf_printf(b,
		   "# HELP rgw_api_request_timeouts_total Connections closed without a complete "
		   "request head in time.\n"
		   "# TYPE rgw_api_request_timeouts_total counter\n"
		   "rgw_api_request_timeouts_total %llu\n"
		   "# HELP rgw_api_connections_shed_total Connections waiting for a request closed "
		   "to make room for a new one.\n"
		   "# TYPE rgw_api_connections_shed_total counter\n"
		   "rgw_api_connections_shed_total %llu\n",
		   (unsigned long long)st->request_timeouts, (unsigned long long)st->conns_shed);

	buf_printf(b,
		   "# HELP rgw_policy_rows Rows per policy table.\n"
		   "# TYPE rgw_policy_rows gauge\n"
		   "rgw_policy_rows{table=\"zones\"} %zu\n"
		   "rgw_policy_rows{table=\"hosts\"} %zu\n"
		   "rgw_policy_rows{table=\"services\"} %zu\n"
		   "rgw_policy_rows{table=\"firewall_rules\"} %zu\n"
		   "rgw_policy_rows{table=\"pool_addresses\"} %zu\n"
		   "rgw_policy_rows{table=\"alg_routes\"} %zu\n",
		   s->n_zones, s->n_hosts, s->n_services, s->n_fw_rules, s->n_pool_addrs,
		   s->n_alg_routes);
	histo_write(&histo_api_request, b, "rgw_api_request_seconds",
		    "Time from a request's headers to its response being queued.");
	histo_write(&histo_policy_commit, b, "rgw_policy_commit_seconds",
		    "Time for one policy commit (API, DNS UPDATE, reload), from validation "
		    "until it is in force in DNS, NAT and the ALG.");
	histo_write(&histo_dns_answer, b, "rgw_dns_answer_seconds",
		    "Time to build one DNS answer from a parsed query.");
	histo_write(&histo_nat_verdict, b, "rgw_nat_verdict_seconds",
		    "Time from a first packet read from NFQUEUE to its admission verdict.");
	tenant_metrics(r, s);
	process_metrics(b);
	api_views_metrics(&r->api->v, b);

	r->ctype = "text/plain; version=0.0.4; charset=utf-8";
	r->status = 200;
	pol_snap_unref(s);
}
