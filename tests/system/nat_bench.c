/* SPDX-License-Identifier: MIT */
/* tests/system/nat_bench.c -- measures the nat subsystem: pool ops, apply, NFQUEUE admissions */
/*
 * Driven by tests/bench/nat (which sets up namespaces and the peers):
 *   nat_bench pool N [4|6|pin]   request + first-packet lookup of N bindings (pure pool):
 *                                IPv4 pool, IPv6 pool (a ULA host), or IPv6 pinholes (a
 *                                global host)
 *   nat_bench apply TABLE HOSTS RULES   time nat_apply of HOSTS hosts x RULES rules, then one
 *                                incremental change; leaves the table in place
 *   nat_bench queue TABLE Q WAN N [4|6]  N FQDN bindings on 10.200.0.0/16 (IPv6:
 *                                2001:db8:c8::/112) pool addresses, then admits first
 *                                packets until N are handled (or 60 s)
 * Output: "key=value" lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/conf.h"
#include "common/ev.h"
#include "common/log.h"
#include "nat/nat.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Address family of the pool bench and queue bench: 4, 6 (IPv6 pool, ULA host) or 'p' (IPv6
 * pinholes, global host). */
static int fam = 4;

/* Pool address i: 10.200.0.0/16, or 2001:db8:c8::/112. */
static void
pool_addr(size_t i, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (fam == 4) {
		a->family = AF_INET;
		a->u.v4.s_addr = htonl(0x0ac80000u + (uint32_t)i);
		return;
	}
	a->family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:c8::", &a->u.v6);
	a->u.bytes[14] = (uint8_t)(i >> 8);
	a->u.bytes[15] = (uint8_t)i;
}

struct policy {
	struct pol_snap s;
	struct pol_pool_addr *pool;
	struct pol_host *hosts;
	struct pol_service *svcs;
	struct pol_fw_rule *rules;
	struct pol_group groups[4];
	struct pol_host_group *hg;
};

static void
policy_make(struct policy *p, size_t npool, size_t nhosts, size_t nrules)
{
	size_t i, j, k = 0;

	memset(p, 0, sizeof(*p));
	p->pool = calloc(npool + 1, sizeof(*p->pool));
	p->hosts = calloc(nhosts + 1, sizeof(*p->hosts));
	p->svcs = calloc(nhosts + 1, sizeof(*p->svcs));
	p->rules = calloc(nhosts * nrules + 1, sizeof(*p->rules));
	p->hg = calloc(nhosts + 1, sizeof(*p->hg));
	for (i = 0; i < npool; i++) {
		p->pool[i].id = (int64_t)i + 1;
		pool_addr(i, &p->pool[i].addr);
	}
	for (i = 0; i < 4; i++) {
		p->groups[i].id = (int64_t)i + 1;
		snprintf(p->groups[i].name, sizeof(p->groups[i].name), "g%zu", i);
	}
	for (i = 0; i < nhosts; i++) {
		struct pol_host *h = &p->hosts[i];

		h->id = (int64_t)i + 1;
		snprintf(h->fqdn, sizeof(h->fqdn), "h%zu.gwa.demo", i);
		h->ipv4.family = AF_INET;
		h->ipv4.u.v4.s_addr = htonl(0xc0a80000u + 100 + (uint32_t)i); /* 192.168.x */
		/* fd00::/64 (through the IPv6 pool) or 2001:db8:2::/64 (pinholes) */
		inet_pton(AF_INET6, fam == 'p' ? "2001:db8:2::" : "fd00::", &h->ipv6.u.v6);
		h->ipv6.family = AF_INET6;
		h->ipv6.u.bytes[14] = (uint8_t)((100 + i) >> 8);
		h->ipv6.u.bytes[15] = (uint8_t)(100 + i);
		h->pool_limit = 1000000;
		p->svcs[i].id = (int64_t)i + 1;
		p->svcs[i].host_id = h->id;
		p->svcs[i].binding_timeout_ms = 120000;
		snprintf(p->svcs[i].fqdn, sizeof(p->svcs[i].fqdn), "%s", h->fqdn);
		p->hg[i].host_id = h->id;
		p->hg[i].group_id = (int64_t)(i % 4) + 1;
		for (j = 0; j < nrules; j++) {
			struct pol_fw_rule *r = &p->rules[k];

			r->id = (int64_t)k + 1;
			r->host_id = h->id;
			r->direction = j % 2 ? POL_DIR_EGRESS : POL_DIR_INGRESS;
			r->protocol = j % 3 == 0 ? 6 : j % 3 == 1 ? 17 : 1;
			r->icmp_type = r->protocol == 1 ? 8 : -1;
			r->icmp_code = -1;
			if (r->protocol != 1) {
				r->dport.lo = (uint16_t)(1000 + j);
				r->dport.hi = (uint16_t)(1000 + j + 10);
			}
			r->src.addr.family = AF_INET;
			r->src.addr.u.v4.s_addr = htonl(0x0a000000u + ((uint32_t)j << 16));
			r->src.len = 16;
			r->rate = j % 4 == 0 ? 100 : 0;
			r->burst = 10;
			r->action = (enum pol_action)(j % 3);
			r->priority = (int32_t)(nrules - j);
			k++;
		}
	}
	p->s.pool_addrs = p->pool;
	p->s.n_pool_addrs = npool;
	p->s.hosts = p->hosts;
	p->s.n_hosts = nhosts;
	p->s.services = p->svcs;
	p->s.n_services = nhosts;
	p->s.fw_rules = p->rules;
	p->s.n_fw_rules = k;
	p->s.groups = p->groups;
	p->s.n_groups = 4;
	p->s.host_groups = p->hg;
	p->s.n_host_groups = nhosts;
}

static int
bench_pool(size_t n)
{
	struct policy p;
	struct nat_pool *pool = nat_pool_new();
	struct nat_request req;
	struct nat_pool_hit hit;
	struct addr a, src;
	enum nat_refusal why;
	double t0, t1, t2, c0, c1, c2;
	size_t i, npool = 65536;
	uint64_t now = 1;

	policy_make(&p, npool, 1, 0);
	if (nat_pool_apply(pool, &p.s, 0) < 0)
		return 1;
	memset(&req, 0, sizeof(req));
	req.family = fam == 4 ? AF_INET : AF_INET6;
	req.host_id = 1;
	req.service_id = 1;
	memset(&src, 0, sizeof(src));
	src.family = req.family;
	if (fam == 4)
		src.u.v4.s_addr = htonl(0x64400000u);
	else
		inet_pton(AF_INET6, "2001:db8::10", &src.u.v6);
	/* Steady state: requests and first packets interleaved, as in operation. */
	t0 = now_s();
	c0 = cpu_s();
	for (i = 0; i < n; i++) {
		if (nat_pool_request(pool, &req, now, &a, &why) < 0) {
			fprintf(stderr, "refused %s at %zu\n", nat_refusal_name(why), i);
			return 1;
		}
		if (nat_pool_lookup(pool, &src, &a, 6, 80, now, &hit) != NAT_LOOKUP_OK)
			return 1;
		now += i % 64 == 0;
	}
	t1 = now_s();
	c1 = cpu_s();
	/* Burst: fill half the pool with pending bindings, then admit them all. */
	for (i = 0; i < npool / 2; i++)
		nat_pool_request(pool, &req, now, &a, &why);
	for (i = 0; i < npool / 2; i++) {
		if (fam == 'p')
			a = p.hosts[0].ipv6;
		else
			pool_addr(i, &a);
		nat_pool_lookup(pool, &src, &a, 6, 80, now, &hit);
	}
	t2 = now_s();
	c2 = cpu_s();
	/* CPU time per operation: robust to a busy machine, unlike the wall-clock rates */
	printf("pool_request_and_admit_per_s=%.0f\n", (double)n / (t1 - t0));
	printf("pool_burst_%zu_per_s=%.0f\n", npool / 2, (double)npool / 2 / (t2 - t1));
	printf("pool_request_and_admit_cpu_ns=%.0f\n", (c1 - c0) * 1e9 / (double)n);
	printf("pool_burst_cpu_ns=%.0f\n", (c2 - c1) * 1e9 / (double)(npool / 2));
	nat_pool_free(pool);
	return 0;
}

static int
bench_apply(const char *table, size_t hosts, size_t rules)
{
	static struct conf conf;
	struct ev_loop *loop = ev_loop_new();
	struct policy p;
	struct nat *n;
	struct nat_stats st;
	double t0, t1, t2, t3;

	conf_defaults(&conf);
	snprintf(conf.nat_table, sizeof(conf.nat_table), "%s", table);
	conf.nat_queue = 4000;
	conf.nat_wan_ifaces.n = 1;
	snprintf(conf.nat_wan_ifaces.v[0], CONF_STR_MAX, "wan0");
	n = nat_new(loop, &conf);
	if (n == NULL)
		return 1;
	policy_make(&p, 256, hosts, rules);
	t0 = now_s();
	if (nat_apply(n, &p.s) < 0)
		return 1;
	t1 = now_s();
	/* One host changes its rules: only its chain is rewritten. */
	p.rules[0].action = POL_ACT_ACCEPT;
	p.rules[0].priority = -5;
	if (nat_apply(n, &p.s) < 0)
		return 1;
	t2 = now_s();
	/* Nothing changes. */
	if (nat_apply(n, &p.s) < 0)
		return 1;
	t3 = now_s();
	nat_get_stats(n, &st);
	printf("apply_hosts=%zu\napply_rules=%llu\napply_full_s=%.4f\napply_one_host_s=%.4f\n"
	       "apply_nochange_s=%.4f\n",
	       hosts, (unsigned long long)st.nft_rules, t1 - t0, t2 - t1, t3 - t2);
	/* Leave the table for the peer measurement (nft -f of the same ruleset). */
	return 0;
}

static size_t target;
static struct nat *qnat;
static double first_t, last_t, first_cpu, last_cpu, start_t;
static uint64_t last_count;

/* Every ms: note when packets start and stop arriving; stop when all N were handled, or
 * 1 s after the last one (some may have been dropped by the kernel), or after 60 s. */
static void
on_tick(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct nat_stats st;
	double t = now_s();

	(void)id;
	(void)arg;
	nat_get_stats(qnat, &st);
	if (st.queue.packets != last_count) {
		if (last_count == 0) {
			first_t = t;
			first_cpu = cpu_s();
		}
		last_count = st.queue.packets;
		last_t = t;
		last_cpu = cpu_s();
	}
	if (st.queue.packets >= target || (last_count && t - last_t > 1.0) || t - start_t > 60) {
		ev_stop(loop);
		return;
	}
	ev_timer_add(loop, 1, on_tick, NULL);
}

static int
bench_queue(const char *table, int q, const char *wan, size_t nb)
{
	static struct conf conf;
	struct ev_loop *loop = ev_loop_new();
	struct policy p;
	struct nat_request req;
	struct nat_stats st;
	enum nat_refusal why;
	struct addr a;
	double t0, t1;
	size_t i;

	conf_defaults(&conf);
	snprintf(conf.nat_table, sizeof(conf.nat_table), "%s", table);
	conf.nat_queue = q;
	conf.nat_wan_ifaces.n = 1;
	snprintf(conf.nat_wan_ifaces.v[0], CONF_STR_MAX, "%s", wan);
	qnat = nat_new(loop, &conf);
	if (qnat == NULL)
		return 1;
	policy_make(&p, nb, 1, 0);
	if (nat_apply(qnat, &p.s) < 0)
		return 1;
	memset(&req, 0, sizeof(req));
	req.family = fam == 4 ? AF_INET : AF_INET6;
	req.host_id = 1;
	req.service_id = 1;
	ev_update_now(loop);
	t0 = now_s();
	for (i = 0; i < nb; i++)
		if (nat_request(qnat, &req, &a, &why) < 0) {
			fprintf(stderr, "refused %s\n", nat_refusal_name(why));
			return 1;
		}
	t1 = now_s();
	printf("bindings=%zu\nbindings_per_s=%.0f\n", nb, (double)nb / (t1 - t0));
	printf("ready\n");
	fflush(stdout);
	target = nb;
	start_t = now_s();
	ev_timer_add(loop, 1, on_tick, NULL);
	ev_run(loop);
	(void)nat_check_drops(qnat);
	nat_get_stats(qnat, &st);
	printf("queue_packets=%llu\nadmitted=%llu\nrefused=%llu\nenobufs=%llu\n"
	       "kernel_dropped=%llu\n",
	       (unsigned long long)st.queue.packets, (unsigned long long)st.admitted,
	       (unsigned long long)st.refused, (unsigned long long)st.queue.enobufs,
	       (unsigned long long)(st.queue.kernel_dropped + st.queue.user_dropped));
	printf("elapsed_s=%.3f\nadmissions_per_s=%.0f\ncpu_s=%.3f\ncpu_us_per_packet=%.2f\n",
	       last_t - first_t, (double)st.admitted / (last_t - first_t), last_cpu - first_cpu,
	       st.queue.packets ? (last_cpu - first_cpu) * 1e6 / (double)st.queue.packets : 0.0);
	nat_free(qnat);
	ev_loop_free(loop);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("nat_bench", false, LOG_LVL_WARN);
	const char *f = NULL;

	if (argc >= 4 && strcmp(argv[1], "pool") == 0)
		f = argv[3];
	if (argc >= 7 && strcmp(argv[1], "queue") == 0)
		f = argv[6];
	if (f != NULL)
		fam = strcmp(f, "6") == 0 ? 6 : strcmp(f, "pin") == 0 ? 'p' : 4;
	if (argc >= 3 && strcmp(argv[1], "pool") == 0)
		return bench_pool((size_t)atol(argv[2]));
	if (argc >= 5 && strcmp(argv[1], "apply") == 0)
		return bench_apply(argv[2], (size_t)atol(argv[3]), (size_t)atol(argv[4]));
	if (argc >= 6 && strcmp(argv[1], "queue") == 0)
		return bench_queue(argv[2], atoi(argv[3]), argv[4], (size_t)atol(argv[5]));
	fprintf(stderr, "usage: nat_bench pool N [4|6|pin] | apply TABLE HOSTS RULES | "
			"queue TABLE Q WAN N [4|6]\n");
	return 2;
}
