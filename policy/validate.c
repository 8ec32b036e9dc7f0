/* SPDX-License-Identifier: MIT */
/* policy/validate.c -- cross-row validation of a complete policy snapshot */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "check.h"

/*
 * Error fields use the bundle's paths ("hosts[2].services[1].fqdn"): array positions follow
 * the snapshot's id order, which is the bundle order for a parsed bundle and the export order
 * for a store snapshot.
 */

struct skey {
	const char *s;
	uint32_t n; /* secondary key (ALG port) */
	size_t idx;
};

struct akey {
	struct addr a;
	uint8_t len;
	int tag;
	size_t idx;
};

struct vctx {
	const struct pol_snap *s;
	struct pol_err *e;
	size_t *svc_ord; /* ordinal of each service within its host */
	size_t *fw_ord;	 /* ordinal of each rule within its host or group */
	size_t *ns_ord;
	size_t *node_ord;
	size_t *hg_ord;
	const char **fwd_zones; /* sorted names of forward zones */
	size_t n_fwd;
};

struct hgkey {
	int64_t h, g;
	size_t idx;
};

static int check_ids(const struct vctx *v);
static int check_zones(struct vctx *v);
static int check_hosts(struct vctx *v);
static int check_services(struct vctx *v);
static int check_groups(struct vctx *v);
static int check_fw_rules(struct vctx *v);
static int check_addresses(struct vctx *v);
static int check_alg(struct vctx *v);
static int check_admission(struct vctx *v);
static int check_resolvers(struct vctx *v);

static int
skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
akey_cmp(const void *a, const void *b)
{
	const struct akey *x = a, *y = b;
	int c = addr_cmp(&x->a, &y->a);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
hgkey_cmp(const void *a, const void *b)
{
	const struct hgkey *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if (x->g != y->g)
		return x->g < y->g ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sort keys and return the first adjacent duplicate pair as (*first, *second), or false. */
static bool
skey_dup(struct skey *k, size_t n, size_t *first, size_t *second)
{
	util_sort(k, n, sizeof(*k), skey_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(k[i - 1].s, k[i].s) == 0 && k[i - 1].n == k[i].n) {
			*first = k[i - 1].idx;
			*second = k[i].idx;
			return true;
		}
	}
	return false;
}

static size_t
host_index(const struct pol_snap *s, int64_t id)
{
	const struct pol_host *h = pol_snap_host(s, id);

	return h != NULL ? (size_t)(h - s->hosts) : SIZE_MAX;
}

static size_t
group_index(const struct pol_snap *s, int64_t id)
{
	const struct pol_group *g = pol_snap_group(s, id);

	return g != NULL ? (size_t)(g - s->groups) : SIZE_MAX;
}

static int
str_cmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* True if name is a forward zone or below one: try each label suffix against the zone set. */
static bool
in_forward_zone(const struct vctx *v, const char *name)
{
	const char *p = name;

	while (p != NULL) {
		if (bsearch(&p, v->fwd_zones, v->n_fwd, sizeof(*v->fwd_zones), str_cmp_ptr))
			return true;
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	return false;
}

static int
fail(struct vctx *v, const char *field, const char *msg)
{
	pol_err_set(v->e, field, "%s", msg);
	return -EINVAL;
}

static int
nomem(struct vctx *v, const char *field)
{
	pol_err_set(v->e, field, "out of memory");
	return -ENOMEM;
}

/* The row collides with another row. */
static int
conflict(struct vctx *v, const char *field, const char *msg)
{
	pol_err_setk(v->e, POL_ERR_CONFLICT, field, "%s", msg);
	return -EINVAL;
}

/* The row needs another row (or an enclosing forward zone) that the policy does not hold. */
static int
dangling(struct vctx *v, const char *field, const char *msg)
{
	pol_err_setk(v->e, POL_ERR_DANGLING, field, "%s", msg);
	return -EINVAL;
}

/* Ordinals of child rows under their parent, in id order (the bundle nesting). */
static int
ordinals(size_t n_child, size_t n_parent, size_t (*parent_of)(const struct pol_snap *, size_t),
	 const struct pol_snap *s, size_t **out)
{
	size_t *cnt = calloc(n_parent + 1, sizeof(*cnt));
	size_t *ord = calloc(n_child + 1, sizeof(*ord));

	if (cnt == NULL || ord == NULL) {
		free(cnt);
		free(ord);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_child; i++) {
		size_t p = parent_of(s, i);

		ord[i] = p < n_parent ? cnt[p]++ : 0;
	}
	free(cnt);
	*out = ord;
	return 0;
}

static size_t
svc_parent(const struct pol_snap *s, size_t i)
{
	return host_index(s, s->services[i].host_id);
}

static size_t
hg_parent(const struct pol_snap *s, size_t i)
{
	return host_index(s, s->host_groups[i].host_id);
}

/* Host rules and group rules count separately: parents 0..nh-1 hosts, nh.. groups. */
static size_t
fw_parent(const struct pol_snap *s, size_t i)
{
	const struct pol_fw_rule *r = &s->fw_rules[i];
	size_t g;

	if (r->host_id != 0)
		return host_index(s, r->host_id);
	g = group_index(s, r->group_id);
	return g == SIZE_MAX ? SIZE_MAX : s->n_hosts + g;
}

static size_t
ns_parent(const struct pol_snap *s, size_t i)
{
	const struct pol_zone *z = pol_snap_zone(s, s->nameservers[i].zone_id);

	return z != NULL ? (size_t)(z - s->zones) : SIZE_MAX;
}

static size_t
node_parent(const struct pol_snap *s, size_t i)
{
	const struct pol_resolver_group *g =
		pol_snap_resolver_group(s, s->resolver_nodes[i].group_id);

	return g != NULL ? (size_t)(g - s->resolver_groups) : SIZE_MAX;
}

int
pol_snap_validate(const struct pol_snap *s, struct pol_err *e)
{
	struct vctx v = { .s = s, .e = e };
	int rc;

	rc = check_ids(&v);
	if (rc != 0)
		return rc;
	rc = -ENOMEM;
	if (ordinals(s->n_services, s->n_hosts, svc_parent, s, &v.svc_ord) != 0 ||
	    ordinals(s->n_fw_rules, s->n_hosts + s->n_groups, fw_parent, s, &v.fw_ord) != 0 ||
	    ordinals(s->n_nameservers, s->n_zones, ns_parent, s, &v.ns_ord) != 0 ||
	    ordinals(s->n_resolver_nodes, s->n_resolver_groups, node_parent, s, &v.node_ord) != 0 ||
	    ordinals(s->n_host_groups, s->n_hosts, hg_parent, s, &v.hg_ord) != 0) {
		pol_err_set(e, "", "out of memory");
		goto out;
	}
	if ((rc = check_zones(&v)) != 0 || (rc = check_hosts(&v)) != 0 ||
	    (rc = check_groups(&v)) != 0 || (rc = check_services(&v)) != 0 ||
	    (rc = check_fw_rules(&v)) != 0 || (rc = check_addresses(&v)) != 0 ||
	    (rc = check_alg(&v)) != 0 || (rc = check_admission(&v)) != 0 ||
	    (rc = check_resolvers(&v)) != 0 || (rc = pol_validate_nested(s, e)) != 0)
		goto out;
	rc = 0;
out:
	free(v.svc_ord);
	free(v.fw_ord);
	free(v.ns_ord);
	free(v.node_ord);
	free(v.hg_ord);
	free(v.fwd_zones);
	return rc;
}

/* Lookups rely on every array being sorted by a positive id. */
static int
check_ids(const struct vctx *v)
{
	const struct pol_snap *s = v->s;
	static const struct {
		const char *name;
		size_t off_arr, off_n, size;
	} tabs[] = {
#define T(F)                                                                                       \
	{ #F, offsetof(struct pol_snap, F), offsetof(struct pol_snap, n_##F),                      \
	  sizeof(*((struct pol_snap *)0)->F) }
		T(zones),      T(nameservers), T(service_addrs),   T(pool_addrs),
		T(groups),     T(hosts),       T(services),	   T(fw_rules),
		T(alg_routes), T(brackets),    T(resolver_groups), T(resolver_nodes),
#undef T
	};

	for (size_t t = 0; t < ARRAY_SIZE(tabs); t++) {
		const char *base;
		size_t n;
		int64_t prev = 0, id;

		memcpy(&base, (const char *)s + tabs[t].off_arr, sizeof(base));
		memcpy(&n, (const char *)s + tabs[t].off_n, sizeof(n));
		for (size_t i = 0; i < n; i++) {
			memcpy(&id, base + i * tabs[t].size, sizeof(id));
			if (id <= prev) {
				char f[64];

				snprintf(f, sizeof(f), "%s[%zu].id", tabs[t].name, i);
				pol_err_set(v->e, f, "ids must be positive and increasing");
				return -EINVAL;
			}
			prev = id;
		}
	}
	return 0;
}

static int
check_zones(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	struct skey *k;
	char f[160];
	size_t a, b;
	int rc = 0;

	for (size_t i = 0; i < s->n_zones; i++) {
		snprintf(f, sizeof(f), "zones[%zu]", i);
		if (pol_check_zone(&s->zones[i], f, v->e) != 0)
			return -EINVAL;
	}
	k = calloc(s->n_zones + 1, sizeof(*k));
	v->fwd_zones = calloc(s->n_zones + 1, sizeof(*v->fwd_zones));
	if (k == NULL || v->fwd_zones == NULL) {
		free(k);
		pol_err_set(v->e, "zones", "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n_zones; i++) {
		k[i] = (struct skey){ s->zones[i].name, 0, i };
		if (s->zones[i].kind == POL_ZONE_FORWARD)
			v->fwd_zones[v->n_fwd++] = s->zones[i].name;
	}
	util_sort(v->fwd_zones, v->n_fwd, sizeof(*v->fwd_zones), str_cmp_ptr);
	if (skey_dup(k, s->n_zones, &a, &b)) {
		snprintf(f, sizeof(f), "zones[%zu].name", b);
		pol_err_setk(v->e, POL_ERR_CONFLICT, f, "duplicate zone %s (also zones[%zu])",
			     s->zones[b].name, a);
		rc = -EINVAL;
	}
	free(k);
	if (rc != 0)
		return rc;

	for (size_t i = 0; i < s->n_nameservers; i++) {
		const struct pol_nameserver *ns = &s->nameservers[i];
		const struct pol_zone *z = pol_snap_zone(s, ns->zone_id);

		if (z == NULL) {
			snprintf(f, sizeof(f), "nameservers[%zu].zone", i);
			return dangling(v, f, "references a missing zone");
		}
		snprintf(f, sizeof(f), "zones[%zu].nameservers[%zu]", (size_t)(z - s->zones),
			 v->ns_ord[i]);
		if (pol_check_nameserver(ns, f, v->e) != 0)
			return -EINVAL;
	}
	/* one NS name per zone */
	k = calloc(s->n_nameservers + 1, sizeof(*k));
	if (k == NULL)
		return nomem(v, "zones");
	for (size_t i = 0; i < s->n_nameservers; i++)
		k[i] = (struct skey){ s->nameservers[i].name, (uint32_t)ns_parent(s, i), i };
	if (skey_dup(k, s->n_nameservers, &a, &b)) {
		snprintf(f, sizeof(f), "zones[%zu].nameservers[%zu].name", ns_parent(s, b),
			 v->ns_ord[b]);
		pol_err_setk(v->e, POL_ERR_CONFLICT, f, "duplicate nameserver %s in the zone",
			     s->nameservers[b].name);
		rc = -EINVAL;
	}
	free(k);
	return rc;
}

static int
check_hosts(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	struct skey *k;
	char f[160];
	size_t a, b;
	int rc = 0;

	for (size_t i = 0; i < s->n_hosts; i++) {
		const struct pol_host *h = &s->hosts[i];

		snprintf(f, sizeof(f), "hosts[%zu]", i);
		if (pol_check_host(h, f, v->e) != 0)
			return -EINVAL;
		if (!in_forward_zone(v, h->fqdn))
			return dangling(v, strcat(f, ".fqdn"), "not inside any forward zone");
	}
	k = calloc(s->n_hosts + 1, sizeof(*k));
	if (k == NULL)
		return nomem(v, "hosts");
	for (size_t i = 0; i < s->n_hosts; i++)
		k[i] = (struct skey){ s->hosts[i].fqdn, 0, i };
	if (skey_dup(k, s->n_hosts, &a, &b)) {
		snprintf(f, sizeof(f), "hosts[%zu].fqdn", b);
		pol_err_setk(v->e, POL_ERR_CONFLICT, f, "duplicate host %s (also hosts[%zu])",
			     s->hosts[b].fqdn, a);
		rc = -EINVAL;
	}
	free(k);
	if (rc != 0)
		return rc;

	/* private addresses: one host each */
	struct akey *ak = calloc(2 * s->n_hosts + 1, sizeof(*ak));
	size_t n = 0;

	if (ak == NULL)
		return nomem(v, "hosts");
	for (size_t i = 0; i < s->n_hosts; i++) {
		if (s->hosts[i].ipv4.family != 0)
			ak[n++] = (struct akey){ s->hosts[i].ipv4, 0, 4, i };
		if (s->hosts[i].ipv6.family != 0)
			ak[n++] = (struct akey){ s->hosts[i].ipv6, 0, 6, i };
	}
	util_sort(ak, n, sizeof(*ak), akey_cmp);
	for (size_t i = 1; i < n; i++) {
		if (addr_eq(&ak[i - 1].a, &ak[i].a)) {
			char t[ADDR_STRLEN];

			snprintf(f, sizeof(f), "hosts[%zu].%s", ak[i].idx,
				 ak[i].tag == 4 ? "ipv4" : "ipv6");
			pol_err_setk(v->e, POL_ERR_CONFLICT, f,
				     "duplicate address %s (also hosts[%zu])",
				     addr_ntop(&ak[i].a, t, sizeof(t)), ak[i - 1].idx);
			rc = -EINVAL;
			break;
		}
	}
	free(ak);
	return rc;
}

static int
check_groups(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	struct skey *k;
	char f[160];
	size_t a, b;
	int rc = 0;

	for (size_t i = 0; i < s->n_groups; i++) {
		snprintf(f, sizeof(f), "groups[%zu]", i);
		if (pol_check_group(&s->groups[i], f, v->e) != 0)
			return -EINVAL;
	}
	k = calloc(s->n_groups + 1, sizeof(*k));
	if (k == NULL)
		return nomem(v, "groups");
	for (size_t i = 0; i < s->n_groups; i++)
		k[i] = (struct skey){ s->groups[i].name, 0, i };
	if (skey_dup(k, s->n_groups, &a, &b)) {
		snprintf(f, sizeof(f), "groups[%zu].name", b);
		pol_err_setk(v->e, POL_ERR_CONFLICT, f, "duplicate group %s (also groups[%zu])",
			     s->groups[b].name, a);
		rc = -EINVAL;
	}
	free(k);
	if (rc != 0)
		return rc;

	for (size_t i = 0; i < s->n_host_groups; i++) {
		const struct pol_host_group *hg = &s->host_groups[i];
		size_t hi = host_index(s, hg->host_id);

		if (hi == SIZE_MAX) {
			snprintf(f, sizeof(f), "host_groups[%zu].host", i);
			return dangling(v, f, "references a missing host");
		}
		snprintf(f, sizeof(f), "hosts[%zu].groups[%zu]", hi, v->hg_ord[i]);
		if (pol_snap_group(s, hg->group_id) == NULL)
			return dangling(v, f, "references a missing group");
	}
	/* a membership once: sort (host, group, position) and compare neighbours */
	struct hgkey *hk = calloc(s->n_host_groups + 1, sizeof(*hk));

	if (hk == NULL)
		return nomem(v, "hosts");
	for (size_t i = 0; i < s->n_host_groups; i++)
		hk[i] = (struct hgkey){ s->host_groups[i].host_id, s->host_groups[i].group_id, i };
	util_sort(hk, s->n_host_groups, sizeof(*hk), hgkey_cmp);
	for (size_t i = 1; i < s->n_host_groups; i++) {
		if (hk[i].h == hk[i - 1].h && hk[i].g == hk[i - 1].g) {
			size_t j = hk[i].idx;

			snprintf(f, sizeof(f), "hosts[%zu].groups[%zu]",
				 host_index(s, s->host_groups[j].host_id), v->hg_ord[j]);
			rc = conflict(v, f, "group listed twice");
			break;
		}
	}
	free(hk);
	return rc;
}

static int
check_services(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	struct skey *k, *hk;
	char f[160];
	size_t a, b;
	int rc = 0;

	for (size_t i = 0; i < s->n_services; i++) {
		const struct pol_service *sv = &s->services[i];
		size_t hi = host_index(s, sv->host_id);

		if (hi == SIZE_MAX) {
			snprintf(f, sizeof(f), "services[%zu].host", i);
			return dangling(v, f, "references a missing host");
		}
		snprintf(f, sizeof(f), "hosts[%zu].services[%zu]", hi, v->svc_ord[i]);
		if (pol_check_service(sv, f, v->e) != 0)
			return -EINVAL;
		if (!in_forward_zone(v, sv->fqdn))
			return dangling(v, strcat(f, ".fqdn"), "not inside any forward zone");
	}
	k = calloc(s->n_services + 1, sizeof(*k));
	hk = calloc(s->n_hosts + 1, sizeof(*hk));
	if (k == NULL || hk == NULL) {
		free(k);
		free(hk);
		return nomem(v, "services");
	}
	for (size_t i = 0; i < s->n_services; i++)
		k[i] = (struct skey){ s->services[i].fqdn, 0, i };
	if (skey_dup(k, s->n_services, &a, &b)) {
		size_t hb = host_index(s, s->services[b].host_id);
		size_t ha = host_index(s, s->services[a].host_id);

		snprintf(f, sizeof(f), "hosts[%zu].services[%zu].fqdn", hb, v->svc_ord[b]);
		pol_err_setk(v->e, POL_ERR_CONFLICT, f,
			     "duplicate service %s (also hosts[%zu].services[%zu])",
			     s->services[b].fqdn, ha, v->svc_ord[a]);
		rc = -EINVAL;
		goto out;
	}
	/* a service may carry its own host's name, never another host's */
	for (size_t i = 0; i < s->n_hosts; i++)
		hk[i] = (struct skey){ s->hosts[i].fqdn, 0, i };
	util_sort(hk, s->n_hosts, sizeof(*hk), skey_cmp);
	for (size_t i = 0; i < s->n_services; i++) {
		struct skey key = { s->services[i].fqdn, 0, 0 };
		size_t lo = 0, hi = s->n_hosts;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strcmp(hk[mid].s, key.s);

			if (c == 0) {
				lo = mid;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < s->n_hosts && strcmp(hk[lo].s, key.s) == 0 &&
		    s->hosts[hk[lo].idx].id != s->services[i].host_id) {
			snprintf(f, sizeof(f), "hosts[%zu].services[%zu].fqdn",
				 host_index(s, s->services[i].host_id), v->svc_ord[i]);
			pol_err_setk(v->e, POL_ERR_CONFLICT, f, "%s is the name of hosts[%zu]",
				     key.s, hk[lo].idx);
			rc = -EINVAL;
			goto out;
		}
	}
out:
	free(k);
	free(hk);
	return rc;
}

static int
check_fw_rules(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	char f[160];

	for (size_t i = 0; i < s->n_fw_rules; i++) {
		const struct pol_fw_rule *r = &s->fw_rules[i];
		if ((r->host_id != 0) == (r->group_id != 0)) {
			snprintf(f, sizeof(f), "fw_rules[%zu]", i);
			return fail(v, f, "must belong to exactly one host or group");
		}
		if (r->host_id != 0) {
			size_t hi = host_index(s, r->host_id);

			if (hi == SIZE_MAX) {
				snprintf(f, sizeof(f), "fw_rules[%zu].host", i);
				return dangling(v, f, "references a missing host");
			}
			snprintf(f, sizeof(f), "hosts[%zu].firewall[%zu]", hi, v->fw_ord[i]);
		} else {
			size_t gi = group_index(s, r->group_id);

			if (gi == SIZE_MAX) {
				snprintf(f, sizeof(f), "fw_rules[%zu].group", i);
				return dangling(v, f, "references a missing group");
			}
			snprintf(f, sizeof(f), "groups[%zu].firewall[%zu]", gi, v->fw_ord[i]);
		}
		if (pol_check_fw_rule(r, f, v->e) != 0)
			return -EINVAL;
	}
	return 0;
}

static int
check_addresses(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	size_t n = s->n_pool_addrs + s->n_service_addrs;
	struct akey *k = calloc(n + 1, sizeof(*k));
	char f[160], t[ADDR_STRLEN];
	int rc = 0;

	if (k == NULL)
		return nomem(v, "pool");
	for (size_t i = 0; i < s->n_service_addrs; i++) {
		const struct addr *a = &s->service_addrs[i].addr;

		if (a->family != AF_INET && a->family != AF_INET6) {
			snprintf(f, sizeof(f), "service_addresses[%zu]", i);
			rc = fail(v, f, "must be an IPv4 or IPv6 address");
			goto out;
		}
		k[i] = (struct akey){ *a, 0, 0, i };
	}
	for (size_t i = 0; i < s->n_pool_addrs; i++) {
		const struct addr *a = &s->pool_addrs[i].addr;

		if (a->family != AF_INET && a->family != AF_INET6) {
			rc = fail(v, "pool", "must be IPv4 or IPv6 addresses");
			goto out;
		}
		if (a->family == AF_INET6 && !pol_check_ipv6_unicast(a)) {
			pol_err_set(v->e, "pool",
				    "%s: an IPv6 pool address must be a unicast address (not ::, "
				    "::1, IPv4-mapped, link-local or multicast; IPv4 is written as "
				    "IPv4)",
				    addr_ntop(a, t, sizeof(t)));
			rc = -EINVAL;
			goto out;
		}
		k[s->n_service_addrs + i] = (struct akey){ *a, 0, 1, i };
	}
	util_sort(k, n, sizeof(*k), akey_cmp);
	for (size_t i = 1; i < n; i++) {
		const struct akey *x = &k[i - 1], *y = &k[i];

		if (!addr_eq(&x->a, &y->a))
			continue;
		addr_ntop(&y->a, t, sizeof(t));
		if (x->tag != y->tag && y->tag == 1)
			pol_err_setk(v->e, POL_ERR_CONFLICT, "pool", "%s is also a service address",
				     t);
		else if (x->tag != y->tag)
			pol_err_setk(v->e, POL_ERR_CONFLICT, "service_addresses",
				     "%s is also a pool address", t);
		else if (y->tag == 1)
			pol_err_setk(v->e, POL_ERR_CONFLICT, "pool", "duplicate address %s", t);
		else
			pol_err_setk(v->e, POL_ERR_CONFLICT, "service_addresses",
				     "duplicate address %s", t);
		rc = -EINVAL;
		break;
	}
	/* A host lives in the private realm: its address is never one of the gateway's own
	 * public addresses (those are the gateway's, or the pool's to hand out). */
	for (size_t i = 0; rc == 0 && i < s->n_hosts * 2; i++) {
		const struct pol_host *h = &s->hosts[i / 2];
		const struct addr *a = i % 2 ? &h->ipv6 : &h->ipv4;
		size_t lo = 0, hi = n;

		if (a->family == 0)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (addr_cmp(&k[mid].a, a) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == n || !addr_eq(&k[lo].a, a))
			continue;
		snprintf(f, sizeof(f), "hosts[%zu].%s", i / 2, i % 2 ? "ipv6" : "ipv4");
		pol_err_setk(v->e, POL_ERR_CONFLICT, f,
			     "%s is a %s of the gateway: a host's address is in the private realm",
			     addr_ntop(a, t, sizeof(t)),
			     k[lo].tag == 1 ? "circular-pool address" : "service address");
		rc = -EINVAL;
	}
out:
	free(k);
	return rc;
}

static int
check_alg(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	struct skey *k;
	char f[160];
	size_t a, b;
	int rc = 0;

	for (size_t i = 0; i < s->n_alg_routes; i++) {
		const struct pol_alg_route *r = &s->alg_routes[i];

		snprintf(f, sizeof(f), "alg_routes[%zu]", i);
		if (pol_check_alg_route(r, f, v->e) != 0)
			return -EINVAL;
	}
	k = calloc(s->n_alg_routes + 1, sizeof(*k));
	if (k == NULL)
		return nomem(v, "alg_routes");
	for (size_t i = 0; i < s->n_alg_routes; i++)
		k[i] = (struct skey){ s->alg_routes[i].hostname, s->alg_routes[i].listen_port, i };
	if (skey_dup(k, s->n_alg_routes, &a, &b)) {
		snprintf(f, sizeof(f), "alg_routes[%zu]", b);
		pol_err_setk(v->e, POL_ERR_CONFLICT, f,
			     "duplicate route %s port %u (also alg_routes[%zu])",
			     s->alg_routes[b].hostname, s->alg_routes[b].listen_port, a);
		rc = -EINVAL;
	}
	free(k);
	return rc;
}

static int
check_admission(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	char f[160];

	if (pol_check_admission(&s->admission, "admission", v->e) != 0)
		return -EINVAL;
	for (size_t i = 0; i < s->n_brackets; i++) {
		const struct pol_bracket *b = &s->brackets[i];

		snprintf(f, sizeof(f), "admission.load_brackets[%zu]", i);
		if (pol_check_bracket(b, f, v->e) != 0)
			return -EINVAL;
	}
	return 0;
}

static int
check_resolvers(struct vctx *v)
{
	const struct pol_snap *s = v->s;
	struct skey *k;
	struct akey *ak;
	char f[160];
	size_t a, b;
	int rc = 0;

	for (size_t i = 0; i < s->n_resolver_groups; i++) {
		const struct pol_resolver_group *g = &s->resolver_groups[i];

		snprintf(f, sizeof(f), "resolver_groups[%zu]", i);
		if (pol_check_resolver_group(g, f, v->e) != 0)
			return -EINVAL;
	}
	k = calloc(s->n_resolver_groups + 1, sizeof(*k));
	if (k == NULL)
		return nomem(v, "resolver_groups");
	for (size_t i = 0; i < s->n_resolver_groups; i++)
		k[i] = (struct skey){ s->resolver_groups[i].name, 0, i };
	if (skey_dup(k, s->n_resolver_groups, &a, &b)) {
		snprintf(f, sizeof(f), "resolver_groups[%zu].name", b);
		pol_err_setk(v->e, POL_ERR_CONFLICT, f,
			     "duplicate resolver group %s (also resolver_groups[%zu])",
			     s->resolver_groups[b].name, a);
		rc = -EINVAL;
	}
	free(k);
	if (rc != 0)
		return rc;

	ak = calloc(s->n_resolver_nodes + 1, sizeof(*ak));
	if (ak == NULL)
		return nomem(v, "resolver_groups");
	for (size_t i = 0; i < s->n_resolver_nodes; i++) {
		const struct pol_resolver_node *nd = &s->resolver_nodes[i];
		const struct pol_resolver_group *g = pol_snap_resolver_group(s, nd->group_id);

		if (g == NULL) {
			snprintf(f, sizeof(f), "resolver_nodes[%zu].group", i);
			rc = dangling(v, f, "references a missing resolver group");
			goto out;
		}
		snprintf(f, sizeof(f), "resolver_groups[%zu].nodes[%zu]",
			 (size_t)(g - s->resolver_groups), v->node_ord[i]);
		if (pol_check_resolver_node(nd, f, v->e) != 0) {
			rc = -EINVAL;
			goto out;
		}
		ak[i] = (struct akey){ nd->prefix.addr, nd->prefix.len, 0, i };
	}
	util_sort(ak, s->n_resolver_nodes, sizeof(*ak), akey_cmp);
	for (size_t i = 1; i < s->n_resolver_nodes; i++) {
		if (addr_eq(&ak[i - 1].a, &ak[i].a) && ak[i - 1].len == ak[i].len) {
			const struct pol_resolver_node *nd = &s->resolver_nodes[ak[i].idx];
			const struct pol_resolver_group *g =
				pol_snap_resolver_group(s, nd->group_id);
			char t[PREFIX_STRLEN];

			snprintf(f, sizeof(f), "resolver_groups[%zu].nodes[%zu]",
				 (size_t)(g - s->resolver_groups), v->node_ord[ak[i].idx]);
			pol_err_setk(v->e, POL_ERR_CONFLICT, f, "duplicate resolver node %s",
				     prefix_ntop(&nd->prefix, t, sizeof(t)));
			rc = -EINVAL;
			break;
		}
	}
out:
	free(ak);
	return rc;
}
