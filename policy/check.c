/* SPDX-License-Identifier: MIT */
/* policy/check.c -- single-row policy checks shared by the validator, the store and bundles */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "check.h"

static int bad(struct pol_err *e, const char *path, const char *key, const char *msg);
static bool unit_ok(double x);
static bool port_range_ok(const struct pol_port_range *r);

static int
bad(struct pol_err *e, const char *path, const char *key, const char *msg)
{
	char f[sizeof(e->field)];

	if (path == NULL || path[0] == '\0')
		snprintf(f, sizeof(f), "%s", key);
	else
		snprintf(f, sizeof(f), "%s.%s", path, key);
	pol_err_set(e, f, "%s", msg);
	return -EINVAL;
}

static bool
unit_ok(double x)
{
	return isfinite(x) && x >= 0.0 && x <= 1.0;
}

/* lo = hi = 0 is "any"; otherwise 1 <= lo <= hi. */
static bool
port_range_ok(const struct pol_port_range *r)
{
	return r->lo <= r->hi && !(r->lo == 0 && r->hi != 0);
}

bool
pol_check_name(const char *name, bool wildcard)
{
	char tmp[POL_NAME_MAX];

	if (util_strlcpy(tmp, name, sizeof(tmp)) >= sizeof(tmp))
		return false;
	return pol_name_canon(tmp, wildcard) == 0 && strcmp(tmp, name) == 0;
}

bool
pol_check_ident(const char *s)
{
	size_t n = strnlen(s, 64);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

bool
pol_check_prefix(const struct prefix *p)
{
	struct addr m;

	if (p->addr.family == 0)
		return p->len == 0;
	if (p->addr.family != AF_INET && p->addr.family != AF_INET6)
		return false;
	if (p->len > addr_maxlen(p->addr.family))
		return false;
	m = p->addr;
	addr_mask(&m, p->len);
	return addr_eq(&m, &p->addr);
}

int
pol_check_addr(const struct addr *a, const char *path, struct pol_err *e)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return bad(e, path, "address", "must be an IPv4 or IPv6 address");
	return 0;
}

int
pol_check_zone(const struct pol_zone *z, const char *path, struct pol_err *e)
{
	if (!pol_check_name(z->name, false))
		return bad(e, path, "name", "not a canonical DNS name");
	if (pol_zone_kind_name(z->kind) == NULL)
		return bad(e, path, "kind", "must be forward, reverse or alias");
	if (z->kind == POL_ZONE_REVERSE && !pol_name_in_zone(z->name, "in-addr.arpa") &&
	    !pol_name_in_zone(z->name, "ip6.arpa"))
		return bad(e, path, "name",
			   "a reverse zone must be under in-addr.arpa or ip6.arpa");
	if (z->ttl > 2147483647u)
		return bad(e, path, "ttl", "must be an integer in 0..2147483647");
	if (!pol_check_name(z->mname, false))
		return bad(e, path, "soa.mname", "not a canonical DNS name");
	if (!pol_check_name(z->rname, false))
		return bad(e, path, "soa.rname", "not a canonical DNS name");
	return 0;
}

int
pol_check_nameserver(const struct pol_nameserver *ns, const char *path, struct pol_err *e)
{
	if (!pol_check_name(ns->name, false))
		return bad(e, path, "name", "not a canonical DNS name");
	if (ns->ipv4.family != 0 && ns->ipv4.family != AF_INET)
		return bad(e, path, "ipv4", "must be an IPv4 address");
	if (ns->ipv6.family != 0 && ns->ipv6.family != AF_INET6)
		return bad(e, path, "ipv6", "must be an IPv6 address");
	return 0;
}

int
pol_check_group(const struct pol_group *g, const char *path, struct pol_err *e)
{
	if (!pol_check_ident(g->name))
		return bad(e, path, "name", "must be 1..63 characters of [A-Za-z0-9_.-]");
	return 0;
}

bool
pol_check_ipv6_unicast(const struct addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero[15] = { 0 };
	const uint8_t *b = a->u.bytes;

	if (a->family != AF_INET6)
		return false;
	if (memcmp(b, zero, 15) == 0 && b[15] <= 1) /* :: and ::1 */
		return false;
	if (memcmp(b, mapped, 12) == 0)
		return false;
	if (b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)) /* multicast, fe80::/10 */
		return false;
	return true;
}

int
pol_check_host(const struct pol_host *h, const char *path, struct pol_err *e)
{
	if (!pol_check_name(h->fqdn, false))
		return bad(e, path, "fqdn", "not a canonical DNS name");
	if (h->ipv4.family != 0 && h->ipv4.family != AF_INET)
		return bad(e, path, "ipv4", "must be an IPv4 address");
	if (h->ipv6.family != 0 && h->ipv6.family != AF_INET6)
		return bad(e, path, "ipv6", "must be an IPv6 address");
	/* the gateway reaches the host's IPv6 through a pinhole (global) or the IPv6 pool
	 * (unique local, fc00::/7): a unicast address it can route to */
	if (h->ipv6.family == AF_INET6 && !pol_check_ipv6_unicast(&h->ipv6))
		return bad(e, path, "ipv6",
			   "must be a global or unique local unicast address (not ::, ::1, "
			   "IPv4-mapped, link-local or multicast)");
	if (h->ipv4.family == 0 && h->ipv6.family == 0)
		return bad(e, path, "ipv4", "a host needs an ipv4 or an ipv6 address");
	if (h->nested_port == 0 && h->n_nested != 0)
		return bad(e, path, "nested.dns_port", "must be in 1..65535");
	if (h->nested_port == 0)
		return h->nested_timeout_ms == 0 ? 0
						 : bad(e, path, "nested.binding_timeout_ms",
						       "only for a nested gateway");
	if (h->nested_timeout_ms > 3600000)
		return bad(e, path, "nested.binding_timeout_ms", "must be in 1..3600000");
	if (h->n_nested == 0 || h->n_nested > POL_NESTED_MAX)
		return bad(e, path, "nested.addresses",
			   "must list 1..16 addresses, prefixes or ranges");
	for (unsigned i = 0; i < h->n_nested; i++)
		if (h->nested[i].addr.family != AF_INET || !pol_check_prefix(&h->nested[i]))
			return bad(e, path, "nested.addresses",
				   "must be IPv4 addresses, prefixes or ranges");
	if (pol_nested_count(h) > POL_NESTED_ADDRS_MAX)
		return bad(e, path, "nested.addresses", "more than 1024 addresses");
	/* its DNS (and its ALG) listen on its service address, one of its own */
	if (h->ipv4.family != AF_INET || !pol_nested_contains(h, &h->ipv4))
		return bad(e, path, "ipv4",
			   "a nested gateway's ipv4 (its DNS and service address) must be one of "
			   "its nested.addresses");
	return 0;
}

int
pol_check_service(const struct pol_service *sv, const char *path, struct pol_err *e)
{
	struct pol_service eff;

	if (!pol_check_name(sv->fqdn, false))
		return bad(e, path, "fqdn", "not a canonical DNS name");
	if (sv->binding_timeout_ms < 1 || sv->binding_timeout_ms > 3600000)
		return bad(e, path, "binding_timeout_ms", "must be an integer in 1..3600000");
	/* on the effective values: "icmp.h.gwa.demo" with port 80 is as wrong as icmp/80;
	 * protocol any with a port is allowed (the original's half-specified services) */
	eff = *sv;
	pol_service_resolve(&eff);
	if (eff.port != 0 && eff.protocol != POL_PROTO_ANY && eff.protocol != POL_PROTO_TCP &&
	    eff.protocol != POL_PROTO_UDP && eff.protocol != POL_PROTO_SCTP)
		return bad(e, path, "port", "a port needs protocol tcp, udp or sctp");
	return 0;
}

int
pol_check_fw_rule(const struct pol_fw_rule *r, const char *path, struct pol_err *e)
{
	bool ports = r->protocol == POL_PROTO_TCP || r->protocol == POL_PROTO_UDP ||
		     r->protocol == POL_PROTO_SCTP;
	bool icmp = r->protocol == POL_PROTO_ICMP || r->protocol == POL_PROTO_ICMPV6;

	if (pol_direction_name(r->direction) == NULL)
		return bad(e, path, "direction", "must be ingress, egress or any");
	if (pol_action_name(r->action) == NULL)
		return bad(e, path, "action", "must be accept, drop or reject");
	if (!pol_check_prefix(&r->src))
		return bad(e, path, "src", "invalid prefix");
	if (!pol_check_prefix(&r->dst))
		return bad(e, path, "dst", "invalid prefix");
	if (r->src.addr.family != 0 && r->dst.addr.family != 0 &&
	    r->src.addr.family != r->dst.addr.family)
		return bad(e, path, "dst", "src and dst are of different address families");
	if (!port_range_ok(&r->sport))
		return bad(e, path, "sport", "invalid port range");
	if (!port_range_ok(&r->dport))
		return bad(e, path, "dport", "invalid port range");
	if (!ports && r->sport.hi != 0)
		return bad(e, path, "sport", "ports need protocol tcp, udp or sctp");
	if (!ports && r->dport.hi != 0)
		return bad(e, path, "dport", "ports need protocol tcp, udp or sctp");
	if (r->icmp_type < -1 || r->icmp_type > 255)
		return bad(e, path, "icmp_type", "must be an integer in 0..255");
	if (r->icmp_code < -1 || r->icmp_code > 255)
		return bad(e, path, "icmp_code", "must be an integer in 0..255");
	if (!icmp && r->icmp_type != -1)
		return bad(e, path, "icmp_type", "needs protocol icmp or icmpv6");
	if (!icmp && r->icmp_code != -1)
		return bad(e, path, "icmp_code", "needs protocol icmp or icmpv6");
	if (r->icmp_code != -1 && r->icmp_type == -1)
		return bad(e, path, "icmp_code", "needs icmp_type");
	if (r->burst != 0 && r->rate == 0)
		return bad(e, path, "burst", "needs a rate");
	return 0;
}

int
pol_check_alg_route(const struct pol_alg_route *r, const char *path, struct pol_err *e)
{
	if (!pol_check_name(r->hostname, true))
		return bad(e, path, "hostname", "not a canonical DNS name");
	if (r->backend.family != AF_INET && r->backend.family != AF_INET6)
		return bad(e, path, "backend", "must be address:port");
	if (r->backend_port == 0)
		return bad(e, path, "backend", "port must be in 1..65535");
	if (pol_preserve_name(r->preserve) == NULL)
		return bad(e, path, "preserve", "must be none, proxy-v1, proxy-v2 or transparent");
	return 0;
}

int
pol_check_bracket(const struct pol_bracket *b, const char *path, struct pol_err *e)
{
	if (!isfinite(b->load_min) || b->load_min < 0 || b->load_min > 100)
		return bad(e, path, "load_min", "must be a number in 0..100");
	if (!isfinite(b->load_max) || b->load_max < 0 || b->load_max > 100)
		return bad(e, path, "load_max", "must be a number in 0..100");
	if (b->load_min > b->load_max)
		return bad(e, path, "load_min", "must not exceed load_max");
	if (!unit_ok(b->fqdn_new))
		return bad(e, path, "fqdn_new", "must be a number in 0..1");
	if (!unit_ok(b->sfqdn_new))
		return bad(e, path, "sfqdn_new", "must be a number in 0..1");
	if (!unit_ok(b->sfqdn_reuse))
		return bad(e, path, "sfqdn_reuse", "must be a number in 0..1");
	if (pol_math_name(b->math) == NULL)
		return bad(e, path, "math", "must be max, min or avg");
	return 0;
}

int
pol_check_admission(const struct pol_admission *a, const char *path, struct pol_err *e)
{
	if (a->alias_ttl_ms < 1 || a->alias_ttl_ms > 3600000)
		return bad(e, path, "alias_ttl_ms", "must be an integer in 1..3600000");
	if (a->cache_window_ms > POL_CACHE_WINDOW_MAX_MS)
		return bad(e, path, "cache_window_ms", "must be an integer in 0..60000");
	if (a->window_flows < 1 || a->window_flows > POL_WINDOW_FLOWS_MAX)
		return bad(e, path, "window_flows", "must be an integer in 1..1000");
	return 0;
}

int
pol_check_resolver_group(const struct pol_resolver_group *g, const char *path, struct pol_err *e)
{
	if (!pol_check_ident(g->name))
		return bad(e, path, "name", "must be 1..63 characters of [A-Za-z0-9_.-]");
	if (!unit_ok(g->initial_reputation))
		return bad(e, path, "initial_reputation", "must be a number in 0..1");
	if (g->has_cache_window && g->cache_window_ms > POL_CACHE_WINDOW_MAX_MS)
		return bad(e, path, "cache_window_ms", "must be null or an integer in 0..60000");
	return 0;
}

int
pol_check_resolver_node(const struct pol_resolver_node *n, const char *path, struct pol_err *e)
{
	if (n->prefix.addr.family == 0 || !pol_check_prefix(&n->prefix)) {
		pol_err_set(e, path, "invalid prefix");
		return -EINVAL;
	}
	return 0;
}
