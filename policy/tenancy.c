/* SPDX-License-Identifier: MIT */
/* policy/tenancy.c -- what a tenant owns in the policy, the writes it may make, its quotas */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"

/* One policy table as the boundary check walks it: rows in key order. */
struct table {
	const char *name; /* the snapshot's array: "hosts" */
	const char *kind;
	size_t size;
	const void *(*at)(const struct pol_snap *s, size_t i);
	size_t (*count)(const struct pol_snap *s);
	/* 0, or -EACCES with e filled: t may not hold this row of s (NULL: no row is t's) */
	int (*own)(const struct pol_tenant *t, const struct pol_snap *s, const void *row,
		   struct pol_err *e);
};

static bool group_owned_id(const struct pol_tenant *t, const struct pol_snap *s, int64_t id);
static int deny(struct pol_err *e, const struct pol_tenant *t, const char *what, const char *name,
		const char *why);

bool
pol_tenancy_in_realm(const struct pol_tenant *t, const struct addr *a)
{
	if (a->family == 0)
		return true;
	for (size_t i = 0; i < t->n_realm; i++)
		if (prefix_contains(&t->realm[i], a))
			return true;
	return false;
}

bool
pol_tenancy_host(const struct pol_tenant *t, const struct pol_host *h)
{
	return pol_tenant_owns(t, h->fqdn);
}

bool
pol_tenancy_service(const struct pol_tenant *t, const struct pol_snap *s,
		    const struct pol_service *svc)
{
	const struct pol_host *h = pol_snap_host(s, svc->host_id);

	return h != NULL && pol_tenancy_host(t, h);
}

bool
pol_tenancy_group(const struct pol_tenant *t, const struct pol_group *g)
{
	size_t n = strlen(t->name);

	return strncmp(g->name, t->name, n) == 0 && g->name[n] == '.' && g->name[n + 1] != '\0';
}

bool
pol_tenancy_fw(const struct pol_tenant *t, const struct pol_snap *s, const struct pol_fw_rule *r)
{
	if (r->host_id != 0) {
		const struct pol_host *h = pol_snap_host(s, r->host_id);
		return h != NULL && pol_tenancy_host(t, h);
	}
	return group_owned_id(t, s, r->group_id);
}

static bool
group_owned_id(const struct pol_tenant *t, const struct pol_snap *s, int64_t id)
{
	for (size_t i = 0; i < s->n_groups; i++)
		if (s->groups[i].id == id)
			return pol_tenancy_group(t, &s->groups[i]);
	return false;
}

bool
pol_tenancy_route(const struct pol_tenant *t, const struct pol_alg_route *r)
{
	return pol_tenant_owns(t, r->hostname);
}

void
pol_tenancy_usage(const struct pol_tenant *t, const struct pol_snap *s, struct pol_quota *u)
{
	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < s->n_hosts; i++) {
		const struct pol_host *h = &s->hosts[i];
		if (!pol_tenancy_host(t, h))
			continue;
		u->hosts++;
		u->pool += h->pool_limit != 0 ? h->pool_limit : POL_POOL_LIMIT_DEFAULT;
	}
	for (size_t i = 0; i < s->n_services; i++)
		u->services += pol_tenancy_service(t, s, &s->services[i]);
	for (size_t i = 0; i < s->n_alg_routes; i++)
		u->alg_routes += pol_tenancy_route(t, &s->alg_routes[i]);
}

/* Copy the rows of FIELD that KEEP (an expression of row r) selects into p. */
#define KEEP_ROWS(P, S, FIELD, TYPE, KEEP)                                                         \
	do {                                                                                       \
		(P)->FIELD = calloc((S)->n_##FIELD + 1, sizeof(*(S)->FIELD));                      \
		if ((P)->FIELD == NULL)                                                            \
			goto nomem;                                                                \
		for (size_t i = 0; i < (S)->n_##FIELD; i++) {                                      \
			const TYPE *r = &(S)->FIELD[i];                                            \
			if (KEEP)                                                                  \
				(P)->FIELD[(P)->n_##FIELD++] = *r;                                 \
		}                                                                                  \
	} while (0)

struct pol_snap *
pol_tenancy_part(const struct pol_snap *s, const struct pol_tenant *t)
{
	struct pol_snap *p = pol_snap_new();

	if (p == NULL)
		return NULL;
	KEEP_ROWS(p, s, hosts, struct pol_host, pol_tenancy_host(t, r));
	KEEP_ROWS(p, s, services, struct pol_service, pol_tenancy_service(t, s, r));
	KEEP_ROWS(p, s, groups, struct pol_group, pol_tenancy_group(t, r));
	KEEP_ROWS(p, s, fw_rules, struct pol_fw_rule, pol_tenancy_fw(t, s, r));
	KEEP_ROWS(p, s, alg_routes, struct pol_alg_route, pol_tenancy_route(t, r));
	KEEP_ROWS(p, s, host_groups, struct pol_host_group,
		  pol_snap_host(p, r->host_id) != NULL && group_owned_id(t, s, r->group_id));
	return p;
nomem:
	pol_snap_unref(p);
	return NULL;
}

static int
deny(struct pol_err *e, const struct pol_tenant *t, const char *what, const char *name,
     const char *why)
{
	pol_err_setk(e, POL_ERR_FORBIDDEN, what, "%s '%s' %s of tenant %s", what, name, why,
		     t->name);
	return -EACCES;
}

static int
own_host(const struct pol_tenant *t, const struct pol_snap *s, const void *row, struct pol_err *e)
{
	const struct pol_host *h = row;
	char b[ADDR_STRLEN];

	(void)s;
	if (!pol_tenancy_host(t, h))
		return deny(e, t, "host", h->fqdn, "is outside the domains");
	if (!pol_tenancy_in_realm(t, &h->ipv4) || !pol_tenancy_in_realm(t, &h->ipv6)) {
		const struct addr *a = pol_tenancy_in_realm(t, &h->ipv4) ? &h->ipv6 : &h->ipv4;
		pol_err_setk(e, POL_ERR_FORBIDDEN, "host",
			     "host '%s': address %s is outside the realm of tenant %s", h->fqdn,
			     addr_ntop(a, b, sizeof(b)), t->name);
		return -EACCES;
	}
	for (size_t i = 0; i < h->n_nested; i++)
		if (!pol_tenancy_in_realm(t, &h->nested[i].addr))
			return deny(e, t, "host", h->fqdn, "nests addresses outside the realm");
	return 0;
}

static int
own_service(const struct pol_tenant *t, const struct pol_snap *s, const void *row,
	    struct pol_err *e)
{
	const struct pol_service *v = row;

	if (!pol_tenancy_service(t, s, v) || !pol_tenant_owns(t, v->fqdn))
		return deny(e, t, "service", v->fqdn, "is outside the domains");
	return 0;
}

static int
own_group(const struct pol_tenant *t, const struct pol_snap *s, const void *row, struct pol_err *e)
{
	const struct pol_group *g = row;

	(void)s;
	if (!pol_tenancy_group(t, g))
		return deny(e, t, "group", g->name, "is not named '<tenant>.<name>'");
	return 0;
}

/* A membership is both its host's and its group's: a tenant neither puts its hosts in
 * another's group (its rules) nor takes them out of one (the operator put them there). */
static int
own_host_group(const struct pol_tenant *t, const struct pol_snap *s, const void *row,
	       struct pol_err *e)
{
	const struct pol_host_group *m = row;
	const struct pol_host *h = pol_snap_host(s, m->host_id);

	if (h == NULL || !pol_tenancy_host(t, h))
		return deny(e, t, "host", h != NULL ? h->fqdn : "?", "is outside the domains");
	if (!group_owned_id(t, s, m->group_id)) {
		pol_err_setk(e, POL_ERR_FORBIDDEN, "groups",
			     "host '%s': its membership of a group not named '%s.<name>' is not "
			     "tenant %s's to change",
			     h->fqdn, t->name, t->name);
		return -EACCES;
	}
	return 0;
}

static int
own_fw(const struct pol_tenant *t, const struct pol_snap *s, const void *row, struct pol_err *e)
{
	const struct pol_fw_rule *r = row;
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	if (!pol_tenancy_fw(t, s, r))
		return deny(e, t, "firewall rule", id, "is on a host or group outside the domains");
	return 0;
}

static int
own_route(const struct pol_tenant *t, const struct pol_snap *s, const void *row, struct pol_err *e)
{
	const struct pol_alg_route *r = row;
	char b[ADDR_STRLEN];

	(void)s;
	if (!pol_tenancy_route(t, r))
		return deny(e, t, "ALG route", r->hostname, "is outside the domains");
	if (!pol_tenancy_in_realm(t, &r->backend)) {
		pol_err_setk(e, POL_ERR_FORBIDDEN, "backend",
			     "ALG route '%s': backend %s is outside the realm of tenant %s",
			     r->hostname, addr_ntop(&r->backend, b, sizeof(b)), t->name);
		return -EACCES;
	}
	return 0;
}

#define TABLE(KIND, FIELD, OWN)                                                                    \
	static const void *at_##FIELD(const struct pol_snap *s, size_t i)                          \
	{                                                                                          \
		return &s->FIELD[i];                                                               \
	}                                                                                          \
	static size_t count_##FIELD(const struct pol_snap *s)                                      \
	{                                                                                          \
		return s->n_##FIELD;                                                               \
	}                                                                                          \
	static const struct table tab_##FIELD = { #FIELD,                                          \
						  KIND,                                            \
						  sizeof(*((struct pol_snap *)0)->FIELD),          \
						  at_##FIELD,                                      \
						  count_##FIELD,                                   \
						  OWN }

TABLE("host", hosts, own_host);
TABLE("service", services, own_service);
TABLE("group", groups, own_group);
TABLE("host group membership", host_groups, own_host_group);
TABLE("firewall rule", fw_rules, own_fw);
TABLE("ALG route", alg_routes, own_route);
TABLE("zone", zones, NULL);
TABLE("nameserver", nameservers, NULL);
TABLE("service address", service_addrs, NULL);
TABLE("pool address", pool_addrs, NULL);
TABLE("load bracket", brackets, NULL);
TABLE("resolver group", resolver_groups, NULL);
TABLE("resolver node", resolver_nodes, NULL);

static const struct table *const tables[] = {
	&tab_hosts,	     &tab_services,   &tab_groups,   &tab_host_groups,
	&tab_fw_rules,	     &tab_alg_routes, &tab_zones,    &tab_nameservers,
	&tab_service_addrs,  &tab_pool_addrs, &tab_brackets, &tab_resolver_groups,
	&tab_resolver_nodes,
};

/* Rows are kept in key order: ids, or (host_id, group_id) for memberships. */
static int
key_cmp(const struct table *tb, const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (tb == &tab_host_groups && x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return 0;
}

static int
row_may_change(const struct table *tb, const struct pol_snap *s, const void *row,
	       const struct pol_tenant *t, struct pol_err *e)
{
	if (tb->own == NULL) {
		pol_err_setk(e, POL_ERR_FORBIDDEN, tb->kind,
			     "tenant %s may change no %s (only its hosts, services, groups, "
			     "firewall rules and ALG routes)",
			     t->name, tb->kind);
		return -EACCES;
	}
	return tb->own(t, s, row, e);
}

/* Walk both tables in key order: every row added, removed or changed must be t's. */
static int
table_check(const struct table *tb, const struct pol_snap *before, const struct pol_snap *after,
	    const struct pol_tenant *t, struct pol_err *e)
{
	size_t i = 0, j = 0, na = tb->count(before), nb = tb->count(after);
	int rc = 0;

	while (rc == 0 && (i < na || j < nb)) {
		const void *a = i < na ? tb->at(before, i) : NULL;
		const void *b = j < nb ? tb->at(after, j) : NULL;
		int c = a == NULL ? 1 : b == NULL ? -1 : key_cmp(tb, a, b);

		if (c < 0) {
			rc = row_may_change(tb, before, a, t, e);
			i++;
		} else if (c > 0) {
			rc = row_may_change(tb, after, b, t, e);
			j++;
		} else {
			if (memcmp(a, b, tb->size) != 0) {
				rc = row_may_change(tb, before, a, t, e);
				if (rc == 0)
					rc = row_may_change(tb, after, b, t, e);
			}
			i++;
			j++;
		}
	}
	return rc;
}

int
pol_tenancy_row(const struct pol_tenant *t, const struct pol_snap *s, const char *table,
		const void *row, struct pol_err *e)
{
	for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); k++)
		if (strcmp(tables[k]->name, table) == 0)
			return row_may_change(tables[k], s, row, t, e);
	pol_err_setk(e, POL_ERR_FORBIDDEN, table, "tenant %s may change no %s", t->name, table);
	return -EACCES;
}

static int
quota_check(const char *what, uint32_t max, uint32_t was, uint32_t now, const struct pol_tenant *t,
	    struct pol_err *e)
{
	if (max == 0 || now <= max || now <= was)
		return 0;
	pol_err_setk(e, POL_ERR_FORBIDDEN, "quota",
		     "tenant %s is over its quota of %s: %u of %u (would hold %u)", t->name, what,
		     was, max, now);
	return -EACCES;
}

int
pol_tenancy_check(const struct pol_snap *before, const struct pol_snap *after,
		  const struct pol_tenant *t, struct pol_err *e)
{
	struct pol_quota was, now;
	int rc = 0;

	if (memcmp(&before->admission, &after->admission, sizeof(after->admission)) != 0) {
		pol_err_setk(e, POL_ERR_FORBIDDEN, "admission",
			     "tenant %s may not change the admission policy", t->name);
		return -EACCES;
	}
	for (size_t k = 0; rc == 0 && k < sizeof(tables) / sizeof(tables[0]); k++)
		rc = table_check(tables[k], before, after, t, e);
	if (rc < 0)
		return rc;
	pol_tenancy_usage(t, before, &was);
	pol_tenancy_usage(t, after, &now);
	rc = quota_check("hosts", t->quota.hosts, was.hosts, now.hosts, t, e);
	if (rc == 0)
		rc = quota_check("services", t->quota.services, was.services, now.services, t, e);
	if (rc == 0)
		rc = quota_check("ALG routes", t->quota.alg_routes, was.alg_routes, now.alg_routes,
				 t, e);
	if (rc == 0)
		rc = quota_check("pool addresses", t->quota.pool, was.pool, now.pool, t, e);
	return rc;
}
