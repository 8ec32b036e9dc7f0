/* SPDX-License-Identifier: MIT */
/* tests/system/nat_driver.c -- runs the real nat subsystem (nft, NFQUEUE) driven from stdin */
/*
 * A test driver, not a mock: the real nat subsystem in an ev loop, with the policy given
 * line by line on stdin and binding requests answered on stdout, until DNS can ask for
 * bindings itself. Usage: nat_driver TABLE QUEUE WAN_IFS LAN_IFS [helpers] (lists with ',';
 * "-" for none). Commands (one per line, answer on one line):
 *   pool A | svcaddr A | host FQDN IPV4 [LIMIT] | service HOST SFQDN PROTO PORT [TIMEOUT_MS]
 *   group NAME | member HOST GROUP | delhost FQDN | clearrules
 *   rule host|group NAME in|out|any PROTO SRC|- DST|- PORT|LO-HI|- ICMPTYPE|- ACTION PRIO
 *        [RATE BURST]
 *   apply                                   -> "ok" | "error <reason>"
 *   req HOST SFQDN RESOLVER [PREFIX sla]    -> "addr <a>" | "refused <reason>"
 *   stats -> "key=value ..." | quit (clean shutdown: table removed)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/ev.h"
#include "common/log.h"
#include "nat/nat.h"

#define MAXN 4096

static struct pol_pool_addr pools[MAXN];
static struct pol_service_addr svcaddrs[16];
static struct pol_host hosts[MAXN];
static struct pol_service svcs[MAXN];
static struct pol_group groups[64];
static struct pol_host_group members[MAXN];
static struct pol_fw_rule rules[MAXN];
static struct pol_snap snap;
static int64_t next_host = 1, next_svc = 1, next_group = 1, next_rule = 1;
static struct nat *nat;
static struct ev_loop *loop;
static char line[4096];
static size_t line_len;

static void
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const struct pol_host *
host_by_name(const char *fqdn)
{
	size_t i;

	for (i = 0; i < snap.n_hosts; i++)
		if (strcmp(hosts[i].fqdn, fqdn) == 0)
			return &hosts[i];
	return NULL;
}

static const struct pol_group *
group_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < snap.n_groups; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

static int
parse_v4(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	return inet_pton(AF_INET, s, &a->u.v4) == 1 ? 0 : -1;
}

static int
parse_prefix(const char *s, struct prefix *p)
{
	char buf[64];
	char *slash;

	memset(p, 0, sizeof(*p));
	if (strcmp(s, "-") == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	p->len = 32;
	if (slash) {
		*slash = '\0';
		p->len = (uint8_t)atoi(slash + 1);
	}
	return parse_v4(buf, &p->addr);
}

static uint8_t
parse_proto(const char *s)
{
	if (strcmp(s, "tcp") == 0)
		return 6;
	if (strcmp(s, "udp") == 0)
		return 17;
	if (strcmp(s, "icmp") == 0)
		return 1;
	if (strcmp(s, "sctp") == 0)
		return 132;
	if (strcmp(s, "any") == 0)
		return 0;
	return (uint8_t)atoi(s);
}

static void
on_end(void *arg, const struct nat_binding_info *b, enum nat_binding_end how)
{
	char a[64];

	(void)arg;
	inet_ntop(AF_INET, &b->public_addr.u.v4, a, sizeof(a));
	fprintf(stderr, "nat_driver: binding %llu %s %u/%u %s\n", (unsigned long long)b->id, a,
		b->protocol, b->port, nat_binding_end_name(how));
}

static void
del_host(const char *fqdn)
{
	const struct pol_host *h = host_by_name(fqdn);
	int64_t id;
	size_t i, j;

	if (h == NULL) {
		out("error no such host");
		return;
	}
	id = h->id;
	for (i = j = 0; i < snap.n_hosts; i++)
		if (hosts[i].id != id)
			hosts[j++] = hosts[i];
	snap.n_hosts = j;
	for (i = j = 0; i < snap.n_services; i++)
		if (svcs[i].host_id != id)
			svcs[j++] = svcs[i];
	snap.n_services = j;
	for (i = j = 0; i < snap.n_fw_rules; i++)
		if (rules[i].host_id != id)
			rules[j++] = rules[i];
	snap.n_fw_rules = j;
	for (i = j = 0; i < snap.n_host_groups; i++)
		if (members[i].host_id != id)
			members[j++] = members[i];
	snap.n_host_groups = j;
	out("ok");
}

static void
cmd_rule(char **v, int n)
{
	struct pol_fw_rule *r = &rules[snap.n_fw_rules];
	const struct pol_host *h;
	const struct pol_group *g;

	if (n < 11) {
		out("error usage");
		return;
	}
	memset(r, 0, sizeof(*r));
	r->id = next_rule++;
	if (strcmp(v[1], "host") == 0 && (h = host_by_name(v[2])))
		r->host_id = h->id;
	else if (strcmp(v[1], "group") == 0 && (g = group_by_name(v[2])))
		r->group_id = g->id;
	else {
		out("error no such owner");
		return;
	}
	r->direction = strcmp(v[3], "in") == 0	  ? POL_DIR_INGRESS
		       : strcmp(v[3], "out") == 0 ? POL_DIR_EGRESS
						  : POL_DIR_ANY;
	r->protocol = parse_proto(v[4]);
	if (parse_prefix(v[5], &r->src) < 0 || parse_prefix(v[6], &r->dst) < 0) {
		out("error prefix");
		return;
	}
	if (strcmp(v[7], "-") != 0) {
		char *dash = strchr(v[7], '-');

		r->dport.lo = (uint16_t)atoi(v[7]);
		r->dport.hi = dash ? (uint16_t)atoi(dash + 1) : r->dport.lo;
	}
	r->icmp_type = strcmp(v[8], "-") ? (int16_t)atoi(v[8]) : -1;
	r->icmp_code = -1;
	r->action = strcmp(v[9], "accept") == 0 ? POL_ACT_ACCEPT
		    : strcmp(v[9], "drop") == 0 ? POL_ACT_DROP
						: POL_ACT_REJECT;
	r->priority = atoi(v[10]);
	if (n >= 13) {
		r->rate = (uint32_t)atoi(v[11]);
		r->burst = (uint32_t)atoi(v[12]);
	}
	snap.n_fw_rules++;
	out("ok");
}

static void
cmd_req(char **v, int n)
{
	const struct pol_host *h = n >= 4 ? host_by_name(v[1]) : NULL;
	struct nat_request req;
	enum nat_refusal why;
	struct addr a;
	char buf[64];
	size_t i;

	memset(&req, 0, sizeof(req));
	if (h == NULL) {
		out("refused no-host");
		return;
	}
	req.host_id = h->id;
	for (i = 0; i < snap.n_services; i++)
		if (svcs[i].host_id == h->id && strcmp(svcs[i].fqdn, v[2]) == 0)
			req.service_id = svcs[i].id;
	parse_v4(v[3], &req.resolver);
	if (n >= 5 && parse_prefix(v[4], &req.requestor) == 0) {
		req.has_requestor = true;
		req.sla = n >= 6 && strcmp(v[5], "sla") == 0;
	}
	if (nat_request(nat, &req, &a, &why) == 0)
		out("addr %s", inet_ntop(AF_INET, &a.u.v4, buf, sizeof(buf)));
	else
		out("refused %s", nat_refusal_name(why));
}

static void
command(char *s)
{
	char *v[16];
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(s, " \t", &save); tok && n < 16; tok = strtok_r(NULL, " \t", &save))
		v[n++] = tok;
	if (n == 0)
		return;
	if (strcmp(v[0], "pool") == 0 && n == 2 && snap.n_pool_addrs < MAXN) {
		pools[snap.n_pool_addrs].id = (int64_t)snap.n_pool_addrs + 1;
		parse_v4(v[1], &pools[snap.n_pool_addrs++].addr);
		out("ok");
	} else if (strcmp(v[0], "svcaddr") == 0 && n == 2) {
		svcaddrs[snap.n_service_addrs].id = (int64_t)snap.n_service_addrs + 1;
		parse_v4(v[1], &svcaddrs[snap.n_service_addrs++].addr);
		out("ok");
	} else if (strcmp(v[0], "host") == 0 && n >= 3 && snap.n_hosts < MAXN) {
		struct pol_host *h = &hosts[snap.n_hosts++];

		memset(h, 0, sizeof(*h));
		h->id = next_host++;
		snprintf(h->fqdn, sizeof(h->fqdn), "%s", v[1]);
		parse_v4(v[2], &h->ipv4);
		h->pool_limit = n >= 4 ? (uint32_t)atoi(v[3]) : POL_POOL_LIMIT_DEFAULT;
		out("ok");
	} else if (strcmp(v[0], "service") == 0 && n >= 5 && snap.n_services < MAXN) {
		const struct pol_host *h = host_by_name(v[1]);
		struct pol_service *sv = &svcs[snap.n_services];

		if (h == NULL) {
			out("error no such host");
			return;
		}
		memset(sv, 0, sizeof(*sv));
		sv->id = next_svc++;
		sv->host_id = h->id;
		snprintf(sv->fqdn, sizeof(sv->fqdn), "%s", v[2]);
		sv->protocol = parse_proto(v[3]);
		sv->port = (uint16_t)atoi(v[4]);
		sv->binding_timeout_ms = n >= 6 ? (uint32_t)atoi(v[5]) : POL_BINDING_TIMEOUT_MS;
		snap.n_services++;
		out("ok");
	} else if (strcmp(v[0], "group") == 0 && n == 2) {
		groups[snap.n_groups].id = next_group++;
		snprintf(groups[snap.n_groups++].name, sizeof(groups[0].name), "%s", v[1]);
		out("ok");
	} else if (strcmp(v[0], "member") == 0 && n == 3) {
		const struct pol_host *h = host_by_name(v[1]);
		const struct pol_group *g = group_by_name(v[2]);

		if (!h || !g) {
			out("error no such host or group");
			return;
		}
		members[snap.n_host_groups].host_id = h->id;
		members[snap.n_host_groups++].group_id = g->id;
		out("ok");
	} else if (strcmp(v[0], "delhost") == 0 && n == 2) {
		del_host(v[1]);
	} else if (strcmp(v[0], "clearrules") == 0) {
		snap.n_fw_rules = 0;
		out("ok");
	} else if (strcmp(v[0], "rule") == 0) {
		cmd_rule(v, n);
	} else if (strcmp(v[0], "apply") == 0) {
		int rc;

		snap.generation++;
		rc = nat_apply(nat, &snap);
		if (rc == 0)
			out("ok");
		else
			out("error %s", strerror(-rc));
	} else if (strcmp(v[0], "req") == 0) {
		cmd_req(v, n);
	} else if (strcmp(v[0], "stats") == 0) {
		struct nat_stats st;

		nat_get_stats(nat, &st);
		out("admitted=%llu refused=%llu refused_memory=%llu bad=%llu bindings=%u "
		    "allocated=%u used=%llu expired=%llu queue_packets=%llu enobufs=%llu "
		    "malformed=%llu kernel_dropped=%llu rules=%llu rejmem=%zu",
		    (unsigned long long)st.admitted, (unsigned long long)st.refused,
		    (unsigned long long)st.refused_memory, (unsigned long long)st.bad_packets,
		    st.pool.bindings, st.pool.allocated, (unsigned long long)st.pool.used,
		    (unsigned long long)st.pool.expired, (unsigned long long)st.queue.packets,
		    (unsigned long long)st.queue.enobufs, (unsigned long long)st.queue.malformed,
		    (unsigned long long)(st.queue.kernel_dropped + st.queue.user_dropped),
		    (unsigned long long)st.nft_rules, st.rejmem.entries);
	} else if (strcmp(v[0], "quit") == 0) {
		ev_stop(loop);
	} else {
		out("error unknown command");
	}
}

static void
on_stdin(struct ev_loop *l, int fd, int events, void *arg)
{
	char buf[4096];
	ssize_t r = read(fd, buf, sizeof(buf));
	ssize_t i;

	(void)arg;
	(void)events;
	if (r <= 0) {
		ev_io_del(l, fd);
		ev_stop(l);
		return;
	}
	for (i = 0; i < r; i++) {
		if (buf[i] == '\n') {
			line[line_len] = '\0';
			command(line);
			line_len = 0;
		} else if (line_len < sizeof(line) - 1) {
			line[line_len++] = buf[i];
		}
	}
}

static void
on_signal(struct ev_loop *l, int signo, void *arg)
{
	(void)signo;
	(void)arg;
	ev_stop(l);
}

static void
split(const char *s, struct conf_strlist *l)
{
	char buf[1024];
	char *save = NULL, *tok;

	l->n = 0;
	if (strcmp(s, "-") == 0)
		return;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok && l->n < CONF_MAX_LIST;
	     tok = strtok_r(NULL, ",", &save))
		snprintf(l->v[l->n++], CONF_STR_MAX, "%s", tok);
}

int
main(int argc, char **argv)
{
	static struct conf conf;

	if (argc < 5) {
		fprintf(stderr, "usage: nat_driver TABLE QUEUE WAN_IFS LAN_IFS [HELPERS]\n");
		return 2;
	}
	log_init("nat_driver", false, getenv("NAT_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	conf_defaults(&conf);
	snprintf(conf.nat_table, sizeof(conf.nat_table), "%s", argv[1]);
	conf.nat_queue = atol(argv[2]);
	split(argv[3], &conf.nat_wan_ifaces);
	split(argv[4], &conf.nat_lan_ifaces);
	if (argc > 5)
		split(argv[5], &conf.nat_helpers);
	conf.alg_enable = getenv("NAT_ALG") != NULL;
	snap.pool_addrs = pools;
	snap.service_addrs = svcaddrs;
	snap.hosts = hosts;
	snap.services = svcs;
	snap.groups = groups;
	snap.host_groups = members;
	snap.fw_rules = rules;
	loop = ev_loop_new();
	if (loop == NULL)
		return 1;
	nat = nat_new(loop, &conf);
	if (nat == NULL) {
		out("error nat_new failed");
		return 1;
	}
	nat_set_hooks(nat, NULL, on_end, NULL);
	ev_signal_add(loop, SIGTERM, on_signal, NULL);
	ev_signal_add(loop, SIGINT, on_signal, NULL);
	ev_io_add(loop, 0, EV_READ, on_stdin, NULL);
	out("ready");
	ev_run(loop);
	nat_free(nat);
	ev_loop_free(loop);
	out("bye");
	return 0;
}
