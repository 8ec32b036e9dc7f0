/* SPDX-License-Identifier: MIT */
/* policy/policy.c -- policy snapshots, names, enums and the service label convention */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"
#include "policy.h"

struct enum_name {
	int value;
	const char *name;
};

static const char *enum_to_name(const struct enum_name *t, size_t n, int v);
static int enum_from_name(const struct enum_name *t, size_t n, const char *s, int *out);
static void snap_free(struct pol_snap *s);
static void err_vset(struct pol_err *e, enum pol_err_kind kind, const char *field, const char *fmt,
		     va_list ap);

/* Generation counter shared by every snapshot built in this process. */
static uint64_t snap_generation;

struct pol_snap *
pol_snap_new(void)
{
	struct pol_snap *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	util_ref_init(&s->refcnt);
	s->generation = __atomic_add_fetch(&snap_generation, 1, __ATOMIC_RELAXED);
	pol_admission_defaults(&s->admission);
	return s;
}

struct pol_snap *
pol_snap_ref(struct pol_snap *s)
{
	if (s != NULL)
		util_ref_get(&s->refcnt);
	return s;
}

void
pol_snap_unref(struct pol_snap *s)
{
	if (s == NULL)
		return;
	if (util_ref_put(&s->refcnt))
		snap_free(s);
}

static void
snap_free(struct pol_snap *s)
{
	free(s->zones);
	free(s->nameservers);
	free(s->service_addrs);
	free(s->pool_addrs);
	free(s->groups);
	free(s->hosts);
	free(s->host_groups);
	free(s->services);
	free(s->fw_rules);
	free(s->alg_routes);
	free(s->brackets);
	free(s->resolver_groups);
	free(s->resolver_nodes);
	free(s);
}

/* Binary search over an array of structs whose first member is the int64_t id. */
static const void *
find_by_id(const void *base, size_t n, size_t size, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const void *row = (const char *)base + mid * size;
		int64_t rid;

		memcpy(&rid, row, sizeof(rid));
		if (rid == id)
			return row;
		if (rid < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct pol_zone *
pol_snap_zone(const struct pol_snap *s, int64_t id)
{
	return find_by_id(s->zones, s->n_zones, sizeof(*s->zones), id);
}

const struct pol_host *
pol_snap_host(const struct pol_snap *s, int64_t id)
{
	return find_by_id(s->hosts, s->n_hosts, sizeof(*s->hosts), id);
}

const struct pol_group *
pol_snap_group(const struct pol_snap *s, int64_t id)
{
	return find_by_id(s->groups, s->n_groups, sizeof(*s->groups), id);
}

const struct pol_resolver_group *
pol_snap_resolver_group(const struct pol_snap *s, int64_t id)
{
	return find_by_id(s->resolver_groups, s->n_resolver_groups, sizeof(*s->resolver_groups),
			  id);
}

const struct pol_host *
pol_snap_host_by_fqdn(const struct pol_snap *s, const char *fqdn)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		if (strcmp(s->hosts[i].fqdn, fqdn) == 0)
			return &s->hosts[i];
	return NULL;
}

void
pol_admission_defaults(struct pol_admission *a)
{
	memset(a, 0, sizeof(*a));
	a->alias_ttl_ms = 5000;
	a->cache_window_ms = POL_CACHE_WINDOW_DEFAULT_MS;
	a->window_flows = POL_WINDOW_FLOWS_DEFAULT;
}

void
pol_bracket_default(struct pol_bracket *b)
{
	memset(b, 0, sizeof(*b));
	b->load_min = 0;
	b->load_max = 100;
	b->math = POL_MATH_MAX;
}

/* "tcp", "udp" or "sctp" prefix of a label, with its protocol and the remaining suffix. */
static bool
label_proto(const char *label, size_t len, uint8_t *proto, size_t *plen)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} tab[] = { { "tcp", POL_PROTO_TCP },
		    { "udp", POL_PROTO_UDP },
		    { "sctp", POL_PROTO_SCTP } };

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		size_t n = strlen(tab[i].name);

		if (len >= n && strncmp(label, tab[i].name, n) == 0) {
			*proto = tab[i].proto;
			*plen = n;
			return true;
		}
	}
	return false;
}

bool
pol_service_label(const char *fqdn, uint8_t *proto, uint16_t *port)
{
	const char *dot = strchr(fqdn, '.');
	size_t len = dot != NULL ? (size_t)(dot - fqdn) : strlen(fqdn);
	size_t plen;
	uint8_t p;

	if ((len == 4 && strncmp(fqdn, "icmp", 4) == 0) ||
	    (len == 4 && strncmp(fqdn, "ping", 4) == 0)) {
		*proto = POL_PROTO_ICMP;
		*port = 0;
		return true;
	}
	if (len == 3 && strncmp(fqdn, "ssh", 3) == 0) {
		*proto = POL_PROTO_TCP;
		*port = 22;
		return true;
	}
	if (!label_proto(fqdn, len, &p, &plen))
		return false;
	if (plen == len) {
		*proto = p;
		*port = 0;
		return true;
	}
	/* tcpN: decimal 1..65535 without leading zeros, nothing else in the label */
	if (fqdn[plen] < '1' || fqdn[plen] > '9' || len - plen > 5)
		return false;
	unsigned long v = 0;

	for (size_t i = plen; i < len; i++) {
		if (fqdn[i] < '0' || fqdn[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(fqdn[i] - '0');
	}
	if (v > 65535)
		return false;
	*proto = p;
	*port = (uint16_t)v;
	return true;
}

void
pol_service_resolve(struct pol_service *svc)
{
	uint8_t proto = 0;
	uint16_t port = 0;

	if (svc->has_proto && svc->has_port)
		return;
	if (!pol_service_label(svc->fqdn, &proto, &port)) {
		proto = 0;
		port = 0;
	}
	if (!svc->has_proto)
		svc->protocol = proto;
	if (!svc->has_port)
		svc->port = port;
}

int
pol_name_canon(char *name, bool allow_wildcard)
{
	size_t len = strlen(name);
	size_t label = 0;

	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	if (len == 0 || len > 253)
		return -EINVAL;
	util_strlower(name);
	for (size_t i = 0; i <= len; i++) {
		char c = name[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63)
				return -EINVAL;
			label = 0;
			continue;
		}
		if (c == '*') {
			/* the wildcard is a whole leftmost label */
			if (!allow_wildcard || i != 0 || (name[1] != '.' && name[1] != '\0'))
				return -EINVAL;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			     c == '_')) {
			return -EINVAL;
		}
		label++;
	}
	return 0;
}

bool
pol_name_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n == z)
		return strcmp(name, zone) == 0;
	if (n < z + 2)
		return false;
	return name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

static const char *
enum_to_name(const struct enum_name *t, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

static int
enum_from_name(const struct enum_name *t, size_t n, const char *s, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(t[i].name, s) == 0) {
			*out = t[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct enum_name proto_names[] = {
	{ POL_PROTO_ANY, "any" }, { POL_PROTO_ICMP, "icmp" },	  { POL_PROTO_TCP, "tcp" },
	{ POL_PROTO_UDP, "udp" }, { POL_PROTO_ICMPV6, "icmpv6" }, { POL_PROTO_SCTP, "sctp" },
};

const char *
pol_proto_name(uint8_t proto)
{
	return enum_to_name(proto_names, ARRAY_SIZE(proto_names), proto);
}

int
pol_proto_parse(const char *s, uint8_t *out)
{
	long v;
	int e;

	if (enum_from_name(proto_names, ARRAY_SIZE(proto_names), s, &e) == 0) {
		*out = (uint8_t)e;
		return 0;
	}
	if (s[0] < '0' || s[0] > '9' || util_parse_long(s, 0, 255, &v) != 0)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

/* Generates name/parse pairs for the enums written as text in bundles and the API. */
#define POL_ENUM_CODEC(NAME, TYPE, ...)                                                            \
	static const struct enum_name NAME##_names[] = { __VA_ARGS__ };                            \
	const char *pol_##NAME##_name(TYPE v)                                                      \
	{                                                                                          \
		return enum_to_name(NAME##_names, ARRAY_SIZE(NAME##_names), (int)v);               \
	}                                                                                          \
	int pol_##NAME##_parse(const char *s, TYPE *out)                                           \
	{                                                                                          \
		int v;                                                                             \
		if (enum_from_name(NAME##_names, ARRAY_SIZE(NAME##_names), s, &v) != 0)            \
			return -EINVAL;                                                            \
		*out = (TYPE)v;                                                                    \
		return 0;                                                                          \
	}

POL_ENUM_CODEC(zone_kind, enum pol_zone_kind, { POL_ZONE_FORWARD, "forward" },
	       { POL_ZONE_REVERSE, "reverse" }, { POL_ZONE_ALIAS, "alias" })
POL_ENUM_CODEC(direction, enum pol_direction, { POL_DIR_INGRESS, "ingress" },
	       { POL_DIR_EGRESS, "egress" }, { POL_DIR_ANY, "any" })
POL_ENUM_CODEC(action, enum pol_action, { POL_ACT_ACCEPT, "accept" }, { POL_ACT_DROP, "drop" },
	       { POL_ACT_REJECT, "reject" })
POL_ENUM_CODEC(preserve, enum pol_preserve, { POL_PRESERVE_NONE, "none" },
	       { POL_PRESERVE_PROXY_V1, "proxy-v1" }, { POL_PRESERVE_PROXY_V2, "proxy-v2" },
	       { POL_PRESERVE_TRANSPARENT, "transparent" })
POL_ENUM_CODEC(math, enum pol_math, { POL_MATH_MAX, "max" }, { POL_MATH_MIN, "min" },
	       { POL_MATH_AVG, "avg" })
POL_ENUM_CODEC(role, enum pol_role, { POL_ROLE_RO, "ro" }, { POL_ROLE_RW, "rw" })
POL_ENUM_CODEC(rep_kind, enum pol_rep_kind, { POL_REP_RESOLVER_GROUP, "resolver_group" },
	       { POL_REP_REQUESTOR, "requestor" }, { POL_REP_HOST, "host" })

static void
err_vset(struct pol_err *e, enum pol_err_kind kind, const char *field, const char *fmt, va_list ap)
{
	util_strlcpy(e->field, field != NULL ? field : "", sizeof(e->field));
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	e->kind = kind;
}

void
pol_err_set(struct pol_err *e, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	err_vset(e, POL_ERR_INVALID, field, fmt, ap);
	va_end(ap);
}

void
pol_err_setk(struct pol_err *e, enum pol_err_kind kind, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	err_vset(e, kind, field, fmt, ap);
	va_end(ap);
}

const char *
pol_err_kind_name(enum pol_err_kind kind)
{
	switch (kind) {
	case POL_ERR_INVALID:
		return "invalid";
	case POL_ERR_CONFLICT:
		return "conflict";
	case POL_ERR_DANGLING:
		return "dangling";
	case POL_ERR_APPLY:
		return "apply";
	case POL_ERR_FORBIDDEN:
		return "forbidden";
	}
	return "?";
}

/* ---- nested gateways ---- */

static int
nested_push(struct pol_host *h, uint32_t ip, unsigned len)
{
	struct prefix *p;

	if (h->n_nested >= POL_NESTED_MAX)
		return -ENOSPC;
	p = &h->nested[h->n_nested++];
	memset(p, 0, sizeof(*p));
	addr_from_v4(ip, &p->addr);
	p->len = (uint8_t)len;
	return 0;
}

int
pol_nested_add(struct pol_host *h, const char *entry)
{
	const char *dash = strchr(entry, '-');
	char first[ADDR_STRLEN];
	struct prefix pf;
	struct addr a, b;
	uint64_t lo, hi;

	if (dash == NULL) {
		if (prefix_parse(entry, false, &pf) != 0 || pf.addr.family != AF_INET)
			return -EINVAL;
		return nested_push(h, addr_v4(&pf.addr), pf.len);
	}
	if ((size_t)(dash - entry) >= sizeof(first))
		return -EINVAL;
	memcpy(first, entry, (size_t)(dash - entry));
	first[dash - entry] = '\0';
	if (addr_parse(first, &a) != 0 || addr_parse(dash + 1, &b) != 0 || a.family != AF_INET ||
	    b.family != AF_INET || addr_v4(&a) > addr_v4(&b))
		return -EINVAL;
	/* the smallest set of prefixes covering exactly [lo, hi] */
	for (lo = addr_v4(&a), hi = addr_v4(&b); lo <= hi;) {
		unsigned len = 32;
		int rc;

		while (len > 0) {
			uint64_t size = (uint64_t)1 << (32 - (len - 1));

			if (lo % size != 0 || lo + size - 1 > hi)
				break;
			len--;
		}
		rc = nested_push(h, (uint32_t)lo, len);
		if (rc != 0)
			return rc;
		lo += (uint64_t)1 << (32 - len);
	}
	return 0;
}

bool
pol_nested_contains(const struct pol_host *h, const struct addr *a)
{
	for (unsigned i = 0; i < h->n_nested; i++)
		if (prefix_contains(&h->nested[i], a))
			return true;
	return false;
}

uint64_t
pol_nested_count(const struct pol_host *h)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < h->n_nested; i++)
		n += (uint64_t)1 << (32 - h->nested[i].len);
	return n;
}
