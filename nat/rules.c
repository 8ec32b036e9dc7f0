/* SPDX-License-Identifier: MIT */
/* nat/rules.c -- compile config + policy into the desired nft table (a model) */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "../common/log.h"
#include "../common/util.h"
#include "rules_int.h"

static void build_sets(struct nat_rules_ctx *x);
static void build_base(struct nat_rules_ctx *x);
static void build_fw(struct nat_rules_ctx *x);

uint32_t
nat_rules_nest_mark(const struct addr *a)
{
	if (a->family != AF_INET)
		return 0;
	return NAT_MARK_NEST | (ntohl(a->u.v4.s_addr) & NAT_MARK_MAX_ID);
}

uint32_t
nat_rules_host_mark(int64_t host_id)
{
	if (host_id <= 0 || host_id > NAT_MARK_MAX_ID)
		return 0;
	return NAT_MARK_HOST | (uint32_t)host_id;
}

void
nat_rules_cfg_from_conf(struct nat_rules_cfg *cfg, const struct conf *c)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->table, sizeof(cfg->table), "%s", c->nat_table);
	cfg->queue = (uint16_t)c->nat_queue;
	cfg->wan = c->nat_wan_ifaces;
	cfg->lan = c->nat_lan_ifaces;
	cfg->lan_prefixes6 = c->nat_lan_prefixes6;
	cfg->synproxy = c->nat_synproxy;
	cfg->helpers = c->nat_helpers;
	cfg->forward_policy = c->nat_forward_policy;
	cfg->alg = c->alg_enable;
	cfg->alg_ports = c->alg_ports;
	cfg->block = c->ids_enable;
}

struct nftnl_rule *
nat_rules_rule(struct nat_rules_ctx *x, const char *chain)
{
	struct nftnl_rule *r = nat_nft_rule_new(FAM, x->cfg->table, chain);

	if (r == NULL)
		x->err = -ENOMEM;
	return r;
}

/* Hand r to the model, or drop it if building it failed. */
void
nat_rules_emit(struct nat_rules_ctx *x, const char *chain, struct nftnl_rule *r, int rc,
	       const char *desc)
{
	if (r == NULL)
		return;
	if (rc < 0) {
		nftnl_rule_free(r);
		x->err = rc;
		return;
	}
	rc = nat_model_rule(x->m, chain, r, desc);
	if (rc < 0)
		x->err = rc;
}

int
nat_rules_x_queue(struct nat_rules_ctx *x, struct nftnl_rule *r)
{
	const struct nat_rules_cfg *c = x->cfg;
	char text[96];
	int rc = nat_nft_x_queue(r, c->queue, c->queue_native);

	if (rc < 0 || c->queue_native)
		return rc;
	/* nft cannot print the xtables target in an inet table: say what it is. */
	snprintf(text, sizeof(text), "xt NFQUEUE num %u, no bypass (fail-closed)",
		 (unsigned)c->queue);
	return nat_nft_rule_comment(r, text);
}

const struct addr *
nat_rules_first_svc(const struct pol_snap *s, int family)
{
	for (size_t i = 0; i < s->n_service_addrs; i++)
		if (s->service_addrs[i].addr.family == family)
			return &s->service_addrs[i].addr;
	return NULL;
}

void
nat_rules_spoof_drop(struct nat_rules_ctx *x, const char *ifset, bool v6, const char *set, bool inv,
		     const char *desc)
{
	struct nftnl_rule *r = nat_rules_rule(x, "filter_fwd");
	int rc;

	if (r == NULL)
		return;
	rc = nat_nft_m_iifset(r, ifset, false);
	if (rc == 0)
		rc = v6 ? nat_nft_m_ip6_set(r, false, set, inv)
			: nat_nft_m_ip_set(r, false, set, inv);
	rc = rc ? rc : nat_nft_x_verdict(r, NF_DROP, NULL);
	nat_rules_emit(x, "filter_fwd", r, rc, desc);
}

void
nat_rules_set(struct nat_rules_ctx *x, const char *name, uint32_t ktype, uint32_t klen,
	      uint32_t dtype, uint32_t dlen, bool interval)
{
	struct nat_nft_set_spec s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.key_type = ktype;
	s.key_len = klen;
	s.data_type = dtype;
	s.data_len = dlen;
	s.interval = interval;
	if (nat_model_set(x->m, &s) < 0)
		x->err = -ENOMEM;
}

void
nat_rules_elem(struct nat_rules_ctx *x, const char *setname, const struct nat_nft_elem *e)
{
	if (nat_model_elem(x->m, setname, e) < 0)
		x->err = -ENOMEM;
}

/* Sources nobody may use, per family (0.0.0.0/8, loopback, multicast and class E; for IPv6
 * the unspecified and loopback addresses, IPv4-mapped, link-local and multicast). */
static const struct {
	int family;
	const char *addr;
	uint8_t len;
} bogons[] = {
	{ AF_INET, "0.0.0.0", 8 },  { AF_INET, "127.0.0.0", 8 }, { AF_INET, "224.0.0.0", 3 },
	{ AF_INET6, "::", 128 },    { AF_INET6, "::1", 128 },	 { AF_INET6, "::ffff:0:0", 96 },
	{ AF_INET6, "fe80::", 10 }, { AF_INET6, "ff00::", 8 },
};

static void
prefix_add(struct prefix *p, size_t *n, int family, const struct addr *a)
{
	if (a->family != family)
		return;
	p[*n].addr = *a;
	p[(*n)++].len = family == AF_INET6 ? 128 : 32;
}

void
nat_rules_spoof_set(struct nat_rules_ctx *x, const char *name, int family, bool wan,
		    const struct prefix *extra, size_t n_extra)
{
	const struct pol_snap *s = x->snap;
	size_t n = 0, i, k;
	struct prefix *p = calloc(sizeof(bogons) / sizeof(bogons[0]) + n_extra + s->n_pool_addrs +
					  s->n_service_addrs + s->n_hosts * (1 + POL_NESTED_MAX),
				  sizeof(*p));
	struct nat_nft_elem *e;

	if (p == NULL) {
		x->err = -ENOMEM;
		return;
	}
	for (i = 0; i < sizeof(bogons) / sizeof(bogons[0]); i++)
		if (bogons[i].family == family) {
			p[n].addr.family = family;
			inet_pton(family, bogons[i].addr, &p[n].addr.u);
			p[n++].len = bogons[i].len;
		}
	for (i = 0; i < n_extra; i++)
		p[n++] = extra[i];
	/* Nobody outside may claim to be us; nobody inside may claim a public address of ours;
	 * from the WAN, nobody may claim to be one of the private hosts. */
	for (i = 0; i < s->n_pool_addrs; i++)
		prefix_add(p, &n, family, &s->pool_addrs[i].addr);
	for (i = 0; i < s->n_service_addrs; i++)
		prefix_add(p, &n, family, &s->service_addrs[i].addr);
	if (wan)
		for (i = 0; i < s->n_hosts; i++) {
			prefix_add(p, &n, family, &s->hosts[i].ipv4);
			prefix_add(p, &n, family, &s->hosts[i].ipv6);
			/* a nested gateway's addresses are private hosts of ours too */
			for (k = 0; k < s->hosts[i].n_nested; k++)
				if (s->hosts[i].nested[k].addr.family == family)
					p[n++] = s->hosts[i].nested[k];
		}
	e = calloc(2 * n + 1, sizeof(*e));
	if (e == NULL) {
		free(p);
		x->err = -ENOMEM;
		return;
	}
	k = nat_nft_elems_intervals(family, p, n, e);
	for (i = 0; i < k; i++)
		nat_rules_elem(x, name, &e[i]);
	free(e);
	free(p);
}

void
nat_rules_group_set(char *buf, size_t len, int64_t id, bool v6)
{
	snprintf(buf, len, v6 ? "g%lld_6" : "g%lld", (long long)id);
}

/* Snapshot arrays are sorted by id. */
static const struct pol_host *
host_by_id(const struct pol_snap *s, int64_t id)
{
	size_t lo = 0, hi = s->n_hosts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->hosts[mid].id == id)
			return &s->hosts[mid];
		if (s->hosts[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Owner key: hosts sort before groups. */
static int
owner_cmp(char ka, int64_t a, char kb, int64_t b)
{
	if (ka != kb)
		return ka == 'h' ? -1 : 1;
	return a < b ? -1 : a > b;
}

static char
rule_kind(const struct pol_fw_rule *f)
{
	return f->host_id ? 'h' : 'g';
}

static int64_t
rule_owner(const struct pol_fw_rule *f)
{
	return f->host_id ? f->host_id : f->group_id;
}

static int
cmp_owner_prio(const void *a, const void *b)
{
	const struct pol_fw_rule *x = *(const struct pol_fw_rule *const *)a;
	const struct pol_fw_rule *y = *(const struct pol_fw_rule *const *)b;
	int c = owner_cmp(rule_kind(x), rule_owner(x), rule_kind(y), rule_owner(y));

	if (c)
		return c;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* First index of owner's rules in by_owner, and their count. */
static size_t
owner_rules(const struct nat_rules_ctx *x, char kind, int64_t id, size_t *count)
{
	size_t lo = 0, hi = x->n_rules, first;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pol_fw_rule *f = x->by_owner[mid];

		if (owner_cmp(rule_kind(f), rule_owner(f), kind, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < x->n_rules && rule_kind(x->by_owner[lo]) == kind &&
	       rule_owner(x->by_owner[lo]) == id)
		lo++;
	*count = lo - first;
	return first;
}

static bool
dir_match(const struct pol_fw_rule *f, bool ingress)
{
	return f->direction == POL_DIR_ANY ||
	       (ingress ? f->direction == POL_DIR_INGRESS : f->direction == POL_DIR_EGRESS);
}

bool
nat_rules_has_rules(const struct nat_rules_ctx *x, char kind, int64_t id, bool ingress)
{
	size_t n, i = owner_rules(x, kind, id, &n);

	for (; n; n--, i++)
		if (dir_match(x->by_owner[i], ingress))
			return true;
	return false;
}

/* The maps keyed by host: the DNAT address of each host's mark (a nested gateway's marks
 * too) and the jumps to the per-host ingress and egress chains. */
static void
build_host_sets(struct nat_rules_ctx *x)
{
	const struct pol_snap *s = x->snap;
	struct nat_nft_elem e;
	size_t i, j;

	nat_rules_set(x, "host_dnat", NAT_NFT_TYPE_MARK, 4, NAT_NFT_TYPE_IPADDR, 4, false);
	nat_rules_set(x, "fw_in", NAT_NFT_TYPE_IPADDR, 4, NAT_NFT_TYPE_VERDICT, 0, false);
	nat_rules_set(x, "fw_out", NAT_NFT_TYPE_IPADDR, 4, NAT_NFT_TYPE_VERDICT, 0, false);
	for (i = 0; i < s->n_hosts; i++) {
		const struct pol_host *h = &s->hosts[i];
		uint32_t mark = nat_rules_host_mark(h->id);

		if (h->ipv4.family != AF_INET)
			continue;
		if (mark == 0) {
			log_warnx("nat: host %s: id %lld too large for a mark, not reachable "
				  "through the pool",
				  h->fqdn, (long long)h->id);
			x->skipped++;
		} else {
			nat_nft_elem_mark(&e, mark);
			memcpy(e.data, &h->ipv4.u.v4, 4);
			e.data_len = 4;
			nat_rules_elem(x, "host_dnat", &e);
		}
		/* a nested gateway: one mark per address it owns (validated unique) */
		for (j = 0; j < h->n_nested; j++) {
			const struct prefix *np = &h->nested[j];
			uint64_t first = ntohl(np->addr.u.v4.s_addr);
			uint64_t size = (uint64_t)1 << (32 - np->len);

			for (uint64_t k = 0; k < size && size <= POL_NESTED_ADDRS_MAX; k++) {
				struct addr a;

				addr_from_v4((uint32_t)(first + k), &a);
				nat_nft_elem_mark(&e, nat_rules_nest_mark(&a));
				memcpy(e.data, &a.u.v4, 4);
				e.data_len = 4;
				nat_rules_elem(x, "host_dnat", &e);
			}
		}
		if (nat_rules_has_rules(x, 'h', h->id, true)) {
			nat_nft_elem_ipv4(&e, &h->ipv4);
			snprintf(e.jump, sizeof(e.jump), "h%lld_in", (long long)h->id);
			nat_rules_elem(x, "fw_in", &e);
		}
		if (nat_rules_has_rules(x, 'h', h->id, false)) {
			nat_nft_elem_ipv4(&e, &h->ipv4);
			snprintf(e.jump, sizeof(e.jump), "h%lld_out", (long long)h->id);
			nat_rules_elem(x, "fw_out", &e);
		}
	}
}

/* Two sets per group: the IPv4 (g<id>) and IPv6 (g<id>_6) addresses of its members. */
static void
build_group_sets(struct nat_rules_ctx *x)
{
	const struct pol_snap *s = x->snap;
	struct nat_nft_elem e;
	char name[NAT_NFT_NAME_MAX];
	size_t i, j;

	for (i = 0; i < s->n_groups; i++) {
		for (int v6 = 0; v6 < 2; v6++) {
			nat_rules_group_set(name, sizeof(name), s->groups[i].id, v6);
			nat_rules_set(x, name, v6 ? NAT_NFT_TYPE_IP6ADDR : NAT_NFT_TYPE_IPADDR,
				      v6 ? 16 : 4, 0, 0, false);
			for (j = 0; j < s->n_host_groups; j++) {
				const struct pol_host *h;

				if (s->host_groups[j].group_id != s->groups[i].id)
					continue;
				h = host_by_id(s, s->host_groups[j].host_id);
				if (h == NULL)
					continue;
				if (!v6 && h->ipv4.family == AF_INET)
					nat_nft_elem_ipv4(&e, &h->ipv4);
				else if (v6 && h->ipv6.family == AF_INET6)
					nat_nft_elem_ipv6(&e, &h->ipv6);
				else
					continue;
				nat_rules_elem(x, name, &e);
			}
		}
	}
}

static void
build_sets(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	const struct pol_snap *s = x->snap;
	struct nat_nft_elem e;
	size_t i;

	nat_rules_set(x, "wan_ifs", NAT_NFT_TYPE_IFNAME, 16, 0, 0, false);
	for (i = 0; i < c->wan.n; i++) {
		nat_nft_elem_ifname(&e, c->wan.v[i]);
		nat_rules_elem(x, "wan_ifs", &e);
	}
	nat_rules_set(x, "lan_ifs", NAT_NFT_TYPE_IFNAME, 16, 0, 0, false);
	for (i = 0; i < c->lan.n; i++) {
		nat_nft_elem_ifname(&e, c->lan.v[i]);
		nat_rules_elem(x, "lan_ifs", &e);
	}
	nat_rules_set(x, "pool4", NAT_NFT_TYPE_IPADDR, 4, 0, 0, false);
	for (i = 0; i < s->n_pool_addrs; i++)
		if (s->pool_addrs[i].addr.family == AF_INET) {
			nat_nft_elem_ipv4(&e, &s->pool_addrs[i].addr);
			nat_rules_elem(x, "pool4", &e);
		}
	nat_rules_set(x, "service4", NAT_NFT_TYPE_IPADDR, 4, 0, 0, false);
	for (i = 0; i < s->n_service_addrs; i++)
		if (s->service_addrs[i].addr.family == AF_INET) {
			nat_nft_elem_ipv4(&e, &s->service_addrs[i].addr);
			nat_rules_elem(x, "service4", &e);
		}
	nat_rules_set(x, "web_ports", NAT_NFT_TYPE_INET_SERVICE, 2, 0, 0, false);
	for (i = 0; i < c->alg_ports.n; i++) {
		nat_nft_elem_port(&e, (uint16_t)c->alg_ports.v[i]);
		nat_rules_elem(x, "web_ports", &e);
	}
	if (c->block) {
		struct nat_nft_set_spec b4 = { .name = "block4",
					       .key_type = NAT_NFT_TYPE_IPADDR,
					       .key_len = 4,
					       .timeout = true };
		struct nat_nft_set_spec b6 = { .name = "block6",
					       .key_type = NAT_NFT_TYPE_IP6ADDR,
					       .key_len = 16,
					       .timeout = true };

		/* Elements come and go at run time (nat_block), never through the model. */
		if (nat_model_set(x->m, &b4) < 0 || nat_model_set(x->m, &b6) < 0)
			x->err = -ENOMEM;
	}
	nat_rules_set(x, "spoof_wan4", NAT_NFT_TYPE_IPADDR, 4, 0, 0, true);
	nat_rules_spoof_set(x, "spoof_wan4", AF_INET, true, NULL, 0);
	nat_rules_set(x, "spoof_lan4", NAT_NFT_TYPE_IPADDR, 4, 0, 0, true);
	nat_rules_spoof_set(x, "spoof_lan4", AF_INET, false, NULL, 0);

	build_host_sets(x);
	build_group_sets(x);
	nat_rules6_sets(x);
}

/* sources blocked after an IDS alert, in the raw chain */
static void
build_block(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	struct nftnl_rule *r;
	int rc;

	/* Before anything else: sources blocked for an IDS alert, then the synproxy's notrack. */
	if (c->block || c->synproxy)
		nat_model_chain(x->m, "pre_raw", "filter", NF_INET_PRE_ROUTING, PRIO_RAW,
				NF_ACCEPT);
	if (c->block && (r = nat_rules_rule(x, "pre_raw"))) {
		rc = nat_nft_m_ip_set(r, false, "block4", false);
		rc = rc ? rc : nat_nft_x_verdict(r, NF_DROP, NULL);
		nat_rules_emit(x, "pre_raw", r, rc, "sources blocked after an IDS alert (IPv4)");
	}
	if (c->block && (r = nat_rules_rule(x, "pre_raw"))) {
		rc = nat_nft_m_ip6_set(r, false, "block6", false);
		rc = rc ? rc : nat_nft_x_verdict(r, NF_DROP, NULL);
		nat_rules_emit(x, "pre_raw", r, rc, "sources blocked after an IDS alert (IPv6)");
	}
}

/* new WAN flows to pool addresses: reset a non-SYN, queue the rest to the daemon */
static void
build_admit(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	struct nftnl_rule *r;
	int rc;
	bool wan_any = c->wan.n == 0;

	/* Admission: new WAN flows to pool addresses go to the daemon. */
	nat_model_chain(x->m, "pre_admit", "filter", NF_INET_PRE_ROUTING, PRIO_ADMIT, NF_ACCEPT);
	if ((r = nat_rules_rule(x, "pre_admit"))) {
		rc = wan_any ? 0 : nat_nft_m_iifset(r, "wan_ifs", false);
		rc = rc ? rc : nat_nft_m_ip_set(r, true, "pool4", false);
		rc = rc ? rc : nat_nft_m_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
		rc = rc ? rc : nat_nft_m_tcpflags(r, 0x17, 0x02, false);
		rc = rc ? rc : nat_nft_x_reject(r, NFT_REJECT_TCP_RST, 0);
		nat_rules_emit(x, "pre_admit", r, rc,
			       "new TCP to the pool that is not a SYN: reset");
	}
	if ((r = nat_rules_rule(x, "pre_admit"))) {
		/* With the synproxy, a refused SYN comes back through lo (nat_out): not again. */
		rc = !wan_any	   ? nat_nft_m_iifset(r, "wan_ifs", false)
		     : c->synproxy ? nat_nft_m_not_loopback(r)
				   : 0;
		rc = rc ? rc : nat_nft_m_ip_set(r, true, "pool4", false);
		rc = rc ? rc : nat_nft_m_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		rc = rc ? rc : nat_rules_x_queue(x, r);
		nat_rules_emit(x, "pre_admit", r, rc,
			       "new flows to the pool: NFQUEUE (fail-closed)");
	}
	nat_rules6_admit(x);
}

/* refused first packets get an answer; conntrack helpers for admitted flows */
static void
build_reject(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	struct nftnl_rule *r;
	int rc;
	size_t i;

	/* Refused first packets: answer, never a silent hang. Then conntrack helpers. */
	nat_model_chain(x->m, "rgw_reject", "filter", NF_INET_PRE_ROUTING, PRIO_VERDICT, NF_ACCEPT);
	if ((r = nat_rules_rule(x, "rgw_reject"))) {
		rc = nat_nft_m_mark(r, UINT32_MAX, NAT_MARK_REJECT);
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
		rc = rc ? rc : nat_nft_x_reject(r, NFT_REJECT_TCP_RST, 0);
		nat_rules_emit(x, "rgw_reject", r, rc, "refused TCP: reset");
	}
	if ((r = nat_rules_rule(x, "rgw_reject"))) {
		rc = nat_nft_m_mark(r, UINT32_MAX, NAT_MARK_REJECT);
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_UDP);
		rc = rc ? rc
			: nat_nft_x_reject(r, NFT_REJECT_ICMPX_UNREACH,
					   NFT_REJECT_ICMPX_PORT_UNREACH);
		nat_rules_emit(x, "rgw_reject", r, rc, "refused UDP: port unreachable");
	}
	if ((r = nat_rules_rule(x, "rgw_reject"))) {
		rc = nat_nft_m_mark(r, UINT32_MAX, NAT_MARK_REJECT);
		rc = rc ? rc
			: nat_nft_x_reject(r, NFT_REJECT_ICMPX_UNREACH,
					   NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
		nat_rules_emit(x, "rgw_reject", r, rc, "refused other: admin prohibited");
	}
	for (i = 0; i < c->helpers.n; i++) {
		const char *h = c->helpers.v[i];
		uint8_t l4 = strcmp(h, "ftp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
		uint16_t port = strcmp(h, "ftp") == 0 ? 21 : strcmp(h, "sip") == 0 ? 5060 : 69;
		char obj[NAT_NFT_NAME_MAX];

		if (strcmp(h, "ftp") && strcmp(h, "sip") && strcmp(h, "tftp")) {
			log_warnx("nat: unknown conntrack helper \"%s\" ignored", h);
			continue;
		}
		snprintf(obj, sizeof(obj), "rgw-%.8s", h);
		if (nat_model_ct_helper(x->m, obj, h, l4) < 0)
			x->err = -ENOMEM;
		if ((r = nat_rules_rule(x, "rgw_reject"))) {
			rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
			rc = rc ? rc : nat_nft_m_l4proto(r, l4);
			rc = rc ? rc : nat_nft_m_port(r, true, port, port);
			rc = rc ? rc : nat_nft_x_ct_helper_set(r, obj);
			nat_rules_emit(x, "rgw_reject", r, rc,
				       "conntrack helper for admitted flows");
		}
	}
}

/* DNAT of admitted flows: web ports to the ALG, the rest to the host of the mark */
static void
build_dnat(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	struct nftnl_rule *r;
	int rc;
	const struct addr *svc = nat_rules_first_svc(x->snap, AF_INET);

	/* DNAT of admitted flows: web ports to the ALG, the rest to the host of the mark. */
	nat_model_chain(x->m, "nat_pre", "nat", NF_INET_PRE_ROUTING, PRIO_DSTNAT, NF_ACCEPT);
	if (c->alg && svc != NULL && c->alg_ports.n && (r = nat_rules_rule(x, "nat_pre"))) {
		rc = nat_nft_m_mark(r, NAT_MARK_MASK, NAT_MARK_HOST);
		rc = rc ? rc : nat_nft_m_l4proto(r, IPPROTO_TCP);
		rc = rc ? rc : nat_nft_m_port_set(r, true, "web_ports");
		rc = rc ? rc : nat_nft_x_imm_data(r, NFT_REG_1, &svc->u.v4, 4);
		rc = rc ? rc : nat_nft_x_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1);
		nat_rules_emit(x, "nat_pre", r, rc, "admitted web flows to the ALG");
	}
	if ((r = nat_rules_rule(x, "nat_pre"))) {
		rc = nat_nft_x_meta(r, NFT_META_MARK, NFT_REG_1);
		rc = rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, "host_dnat", NFT_REG_1, false);
		rc = rc ? rc : nat_nft_x_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1);
		nat_rules_emit(x, "nat_pre", r, rc, "admitted flows to the host of the mark");
	}
	nat_rules6_dnat(x);
}

/* LAN to WAN source NAT */
static void
build_snat(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	struct nftnl_rule *r;
	int rc;
	bool wan_any = c->wan.n == 0;
	const struct addr *svc = nat_rules_first_svc(x->snap, AF_INET);

	/* SNAT of LAN -> WAN. */
	nat_model_chain(x->m, "nat_post", "nat", NF_INET_POST_ROUTING, PRIO_SRCNAT, NF_ACCEPT);
	if (c->lan.n && (r = nat_rules_rule(x, "nat_post"))) {
		rc = nat_nft_m_iifset(r, "lan_ifs", false);
		rc = rc ? rc : (wan_any ? 0 : nat_nft_m_oifset(r, "wan_ifs", false));
		if (svc != NULL) {
			rc = rc ? rc : nat_nft_x_imm_data(r, NFT_REG_1, &svc->u.v4, 4);
			rc = rc ? rc : nat_nft_x_nat(r, NFT_NAT_SNAT, NFPROTO_IPV4, NFT_REG_1);
		} else {
			/* IPv4 only: global IPv6 hosts keep their address */
			rc = rc ? rc : nat_nft_m_nfproto(r, NFPROTO_IPV4);
			rc = rc ? rc : nat_nft_x_masq(r);
		}
		nat_rules_emit(x, "nat_post", r, rc, "LAN to WAN: source NAT");
	}
	nat_rules6_snat(x);
}

/* forward filter: jumps to the chains of groups that have rules, per family */
static void
build_group_jumps(struct nat_rules_ctx *x)
{
	const struct pol_snap *s = x->snap;
	struct nftnl_rule *r;
	int rc;
	size_t i;

	for (i = 0; i < s->n_groups; i++) {
		char setname[NAT_NFT_NAME_MAX], chain[NAT_NFT_NAME_MAX];
		int dir;

		nat_rules_group_set(setname, sizeof(setname), s->groups[i].id, false);
		for (dir = 0; dir < 2; dir++) {
			if (!nat_rules_has_rules(x, 'g', s->groups[i].id, dir == 0))
				continue;
			snprintf(chain, sizeof(chain), "g%lld_%s", (long long)s->groups[i].id,
				 dir == 0 ? "in" : "out");
			if ((r = nat_rules_rule(x, "filter_fwd"))) {
				rc = nat_nft_m_ip_set(r, dir == 0, setname, false);
				rc = rc ? rc : nat_nft_x_verdict(r, NFT_JUMP, chain);
				nat_rules_emit(x, "filter_fwd", r, rc, "group rules");
			}
			nat_rules_group_set(setname, sizeof(setname), s->groups[i].id, true);
			if ((r = nat_rules_rule(x, "filter_fwd"))) {
				rc = nat_nft_m_ip6_set(r, dir == 0, setname, false);
				rc = rc ? rc : nat_nft_x_verdict(r, NFT_JUMP, chain);
				nat_rules_emit(x, "filter_fwd", r, rc, "group rules (IPv6)");
			}
			nat_rules_group_set(setname, sizeof(setname), s->groups[i].id, false);
		}
	}
}

/* the forward filter: state, anti-spoofing, per-host and group rules, admitted flows, LAN to WAN, and the WAN dropped */
static void
build_forward(struct nat_rules_ctx *x)
{
	const struct nat_rules_cfg *c = x->cfg;
	struct nftnl_rule *r;
	int rc;
	bool wan_any = c->wan.n == 0;

	/* Forward filter. */
	nat_model_chain(x->m, "filter_fwd", "filter", NF_INET_FORWARD, PRIO_FILTER,
			c->forward_policy == CONF_FW_DROP ? NF_DROP : NF_ACCEPT);
	if ((r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
						   NF_CT_STATE_BIT(IP_CT_RELATED));
		rc = rc ? rc : nat_nft_x_verdict(r, NF_ACCEPT, NULL);
		nat_rules_emit(x, "filter_fwd", r, rc, "established, related: accept");
	}
	if ((r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_ct_state(r, NF_CT_STATE_INVALID_BIT);
		rc = rc ? rc : nat_nft_x_verdict(r, NF_DROP, NULL);
		nat_rules_emit(x, "filter_fwd", r, rc, "invalid: drop");
	}
	nat_rules6_fwd_early(x);
	if (!wan_any)
		nat_rules_spoof_drop(x, "wan_ifs", false, "spoof_wan4", false,
				     "spoofed WAN source: drop");
	if (c->lan.n)
		nat_rules_spoof_drop(x, "lan_ifs", false, "spoof_lan4", false,
				     "spoofed LAN source: drop");
	nat_rules6_fwd_spoof(x);
	if ((r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_nfproto(r, NFPROTO_IPV4);
		rc = rc ? rc : nat_nft_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
		rc = rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, "fw_in", NFT_REG_VERDICT, false);
		nat_rules_emit(x, "filter_fwd", r, rc, "per-host ingress rules");
	}
	if ((r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_nfproto(r, NFPROTO_IPV4);
		rc = rc ? rc : nat_nft_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
		rc = rc ? rc : nat_nft_x_lookup(r, NFT_REG_1, "fw_out", NFT_REG_VERDICT, false);
		nat_rules_emit(x, "filter_fwd", r, rc, "per-host egress rules");
	}
	nat_rules6_fwd_hosts(x);
	build_group_jumps(x);
	if ((r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_ct_status(r, IPS_DST_NAT);
		rc = rc ? rc : nat_nft_x_verdict(r, NF_ACCEPT, NULL);
		nat_rules_emit(x, "filter_fwd", r, rc, "flows admitted by rgwd: accept");
	}
	nat_rules6_fwd_admitted(x);
	if (c->lan.n && (r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_iifset(r, "lan_ifs", false);
		rc = rc ? rc : (wan_any ? 0 : nat_nft_m_oifset(r, "wan_ifs", false));
		rc = rc ? rc : nat_nft_x_verdict(r, NF_ACCEPT, NULL);
		nat_rules_emit(x, "filter_fwd", r, rc, "LAN to WAN: accept");
	}
	/* The private realm is reached through the pool (or a host's own ingress accept
	 * rules above), never by routing to it directly, whatever forward_policy says. */
	if (!wan_any && (r = nat_rules_rule(x, "filter_fwd"))) {
		rc = nat_nft_m_iifset(r, "wan_ifs", false);
		rc = rc ? rc : nat_nft_x_verdict(r, NF_DROP, NULL);
		nat_rules_emit(x, "filter_fwd", r, rc, "other new flows from the WAN: drop");
	}
}

/* The base ruleset, chain by chain in the order a packet meets them. */
static void
build_base(struct nat_rules_ctx *x)
{
	build_block(x);
	build_admit(x);
	build_reject(x);
	build_dnat(x);
	build_snat(x);
	build_forward(x);
	if (x->cfg->synproxy)
		nat_rules_synproxy(x);
}

static bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/* One firewall rule into chain. */
static void
fw_rule(struct nat_rules_ctx *x, const char *chain, const struct pol_fw_rule *f)
{
	struct nftnl_rule *r = nat_rules_rule(x, chain);
	char desc[64];
	int rc = 0;

	if (r == NULL)
		return;
	snprintf(desc, sizeof(desc), "firewall rule %lld", (long long)f->id);
	if ((f->sport.lo || f->sport.hi || f->dport.lo || f->dport.hi) && !has_ports(f->protocol)) {
		log_warnx("nat: %s: ports need tcp, udp or sctp; rule skipped", desc);
		x->skipped++;
		nftnl_rule_free(r);
		return;
	}
	if (f->protocol)
		rc = nat_nft_m_l4proto(r, f->protocol);
	if (rc == 0 && f->src.addr.family)
		rc = nat_nft_m_ip_prefix(r, false, &f->src);
	if (rc == 0 && f->dst.addr.family)
		rc = nat_nft_m_ip_prefix(r, true, &f->dst);
	if (rc == 0 && (f->sport.lo || f->sport.hi))
		rc = nat_nft_m_port(r, false, f->sport.lo, f->sport.hi ? f->sport.hi : f->sport.lo);
	if (rc == 0 && (f->dport.lo || f->dport.hi))
		rc = nat_nft_m_port(r, true, f->dport.lo, f->dport.hi ? f->dport.hi : f->dport.lo);
	if (rc == 0 && (f->protocol == IPPROTO_ICMP || f->protocol == IPPROTO_ICMPV6)) {
		if (f->icmp_type >= 0)
			rc = nat_nft_m_th_byte(r, 0, (uint8_t)f->icmp_type);
		if (rc == 0 && f->icmp_code >= 0)
			rc = nat_nft_m_th_byte(r, 1, (uint8_t)f->icmp_code);
	}
	/* accept: up to rate/s are accepted, the rest falls through; drop and reject: what
	 * goes over rate/s is dropped or rejected (the original's hashlimit-above). */
	if (rc == 0 && f->rate)
		rc = nat_nft_x_limit(r, f->rate, f->burst, f->action != POL_ACT_ACCEPT);
	if (rc == 0) {
		switch (f->action) {
		case POL_ACT_ACCEPT:
			rc = nat_nft_x_verdict(r, NF_ACCEPT, NULL);
			break;
		case POL_ACT_DROP:
			rc = nat_nft_x_verdict(r, NF_DROP, NULL);
			break;
		case POL_ACT_REJECT:
			if (f->protocol == IPPROTO_TCP)
				rc = nat_nft_x_reject(r, NFT_REJECT_TCP_RST, 0);
			else
				rc = nat_nft_x_reject(r, NFT_REJECT_ICMPX_UNREACH,
						      NFT_REJECT_ICMPX_PORT_UNREACH);
			break;
		}
	}
	nat_rules_emit(x, chain, r, rc, desc);
}

/* The chain <kind><id>_<in|out> with the rules of its owner, in priority order. */
static void
fw_chain(struct nat_rules_ctx *x, char kind, int64_t id, bool ingress)
{
	char chain[NAT_NFT_NAME_MAX];
	size_t n, i = owner_rules(x, kind, id, &n);

	if (!nat_rules_has_rules(x, kind, id, ingress))
		return;
	snprintf(chain, sizeof(chain), "%c%lld_%s", kind, (long long)id, ingress ? "in" : "out");
	nat_model_chain(x->m, chain, NULL, 0, 0, 0);
	for (; n; n--, i++)
		if (dir_match(x->by_owner[i], ingress))
			fw_rule(x, chain, x->by_owner[i]);
}

static void
build_fw(struct nat_rules_ctx *x)
{
	const struct pol_snap *s = x->snap;
	size_t i;

	for (i = 0; i < s->n_hosts; i++) {
		if (s->hosts[i].ipv4.family != AF_INET && s->hosts[i].ipv6.family != AF_INET6)
			continue;
		fw_chain(x, 'h', s->hosts[i].id, true);
		fw_chain(x, 'h', s->hosts[i].id, false);
	}
	for (i = 0; i < s->n_groups; i++) {
		fw_chain(x, 'g', s->groups[i].id, true);
		fw_chain(x, 'g', s->groups[i].id, false);
	}
}

struct nat_model *
nat_rules_build(const struct nat_rules_cfg *cfg, const struct pol_snap *snap, unsigned *skipped)
{
	struct nat_rules_ctx x = { .cfg = cfg, .snap = snap };

	x.m = nat_model_new(FAM, cfg->table);
	x.by_owner = calloc(snap->n_fw_rules + 1, sizeof(*x.by_owner));
	if (x.m == NULL || x.by_owner == NULL) {
		nat_model_free(x.m);
		free(x.by_owner);
		return NULL;
	}
	for (size_t i = 0; i < snap->n_fw_rules; i++)
		if (snap->fw_rules[i].host_id || snap->fw_rules[i].group_id)
			x.by_owner[x.n_rules++] = &snap->fw_rules[i];
	util_sort(x.by_owner, x.n_rules, sizeof(*x.by_owner), cmp_owner_prio);
	build_sets(&x);
	/* Per-host and group chains first: base chain rules jump to them. */
	build_fw(&x);
	build_base(&x);
	free(x.by_owner);
	if (x.err) {
		nat_model_free(x.m);
		return NULL;
	}
	if (skipped)
		*skipped = x.skipped;
	return x.m;
}
