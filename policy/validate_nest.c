/* SPDX-License-Identifier: MIT */
/* policy/validate_nest.c -- cross-row validation of nested gateways (carrier-grade hosts) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "check.h"

/*
 * What makes a nested gateway safe to resolve through and to DNAT to:
 *   - its addresses are its own: no other host, no service or pool address of this gateway,
 *     no other nested gateway holds one (a pool or service address would make this gateway
 *     ask itself: a loop);
 *   - none is a parent gateway of this one (a resolver group with parent): asking our parent
 *     for names our parent sends us is the two-gateway loop;
 *   - the names below its fqdn are its own: no host or service of this policy lies below it
 *     (they would never be asked of it), nor another nested gateway;
 *   - the DNAT marks (nat/rules.h, NAT_MARK_NEST | low 24 bits of the address) are unique.
 * Longer loops through gateways that do not share a policy are broken at run time
 * (docs/dns.md, "Nested gateways": a query that comes back joins itself and times out).
 */

struct nkey {
	uint32_t ip;
	size_t host; /* index in s->hosts */
};

static int nkey_cmp(const void *a, const void *b);
static int nkey_low_cmp(const void *a, const void *b);
static int conflict(struct pol_err *e, size_t host, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool overlaps(const struct pol_host *h, const struct prefix *p);
static int check_names(const struct pol_snap *s, struct pol_err *e);
static int check_others(const struct pol_snap *s, struct pol_err *e);

static int
nkey_cmp(const void *a, const void *b)
{
	const struct nkey *x = a, *y = b;

	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static int
nkey_low_cmp(const void *a, const void *b)
{
	const struct nkey *x = a, *y = b;
	uint32_t p = x->ip & 0xffffffu, q = y->ip & 0xffffffu;

	if (p != q)
		return p < q ? -1 : 1;
	return nkey_cmp(a, b);
}

static int
conflict(struct pol_err *e, size_t host, const char *fmt, ...)
{
	char f[64], msg[sizeof(e->msg)];
	va_list ap;

	snprintf(f, sizeof(f), "hosts[%zu].nested.addresses", host);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pol_err_setk(e, POL_ERR_CONFLICT, f, "%s", msg);
	return -EINVAL;
}

/* Does prefix p share an address with one of h's nested blocks? (same family: IPv4) */
static bool
overlaps(const struct pol_host *h, const struct prefix *p)
{
	if (p->addr.family != AF_INET)
		return false;
	for (unsigned i = 0; i < h->n_nested; i++) {
		const struct prefix *q = &h->nested[i];
		const struct prefix *wide = q->len <= p->len ? q : p;
		const struct prefix *narrow = wide == q ? p : q;

		if (prefix_contains(wide, &narrow->addr))
			return true;
	}
	return false;
}

/* No name of this policy below a nested gateway's fqdn. */
static int
check_names(const struct pol_snap *s, struct pol_err *e)
{
	char f[64];

	for (size_t i = 0; i < s->n_hosts; i++) {
		const struct pol_host *n = &s->hosts[i];

		if (n->nested_port == 0)
			continue;
		for (size_t j = 0; j < s->n_hosts; j++) {
			const struct pol_host *h = &s->hosts[j];

			if (j == i || !pol_name_in_zone(h->fqdn, n->fqdn))
				continue;
			snprintf(f, sizeof(f), "hosts[%zu].fqdn", j);
			pol_err_setk(e, POL_ERR_CONFLICT, f,
				     "%s is below the nested gateway %s (hosts[%zu]): its names "
				     "are resolved by that gateway",
				     h->fqdn, n->fqdn, i);
			return -EINVAL;
		}
		for (size_t j = 0; j < s->n_services; j++) {
			const struct pol_service *sv = &s->services[j];

			if (strcmp(sv->fqdn, n->fqdn) == 0 || !pol_name_in_zone(sv->fqdn, n->fqdn))
				continue;
			snprintf(f, sizeof(f), "services[%zu].fqdn", j);
			pol_err_setk(e, POL_ERR_CONFLICT, f,
				     "%s is below the nested gateway %s (hosts[%zu]): its names "
				     "are resolved by that gateway",
				     sv->fqdn, n->fqdn, i);
			return -EINVAL;
		}
	}
	return 0;
}

/* Nested blocks against every other address of the policy. */
static int
check_others(const struct pol_snap *s, struct pol_err *e)
{
	char t[PREFIX_STRLEN];

	for (size_t i = 0; i < s->n_hosts; i++) {
		const struct pol_host *n = &s->hosts[i];

		if (n->nested_port == 0)
			continue;
		for (size_t j = 0; j < s->n_hosts; j++) {
			const struct prefix p = { s->hosts[j].ipv4, 32 };

			if (j != i && overlaps(n, &p))
				return conflict(e, i, "%s is the address of hosts[%zu] (%s)",
						addr_ntop(&p.addr, t, sizeof(t)), j,
						s->hosts[j].fqdn);
		}
		for (size_t j = 0; j < s->n_service_addrs; j++) {
			const struct prefix p = { s->service_addrs[j].addr, 32 };

			if (overlaps(n, &p))
				return conflict(e, i,
						"%s is a service address of this gateway: it would "
						"ask itself",
						addr_ntop(&p.addr, t, sizeof(t)));
		}
		for (size_t j = 0; j < s->n_pool_addrs; j++) {
			const struct prefix p = { s->pool_addrs[j].addr, 32 };

			if (overlaps(n, &p))
				return conflict(e, i,
						"%s is a pool address of this gateway: it would "
						"ask itself",
						addr_ntop(&p.addr, t, sizeof(t)));
		}
		for (size_t j = 0; j < s->n_resolver_nodes; j++) {
			const struct pol_resolver_node *rn = &s->resolver_nodes[j];
			const struct pol_resolver_group *g =
				pol_snap_resolver_group(s, rn->group_id);

			if (g != NULL && g->parent && overlaps(n, &rn->prefix))
				return conflict(
					e, i,
					"%s is a parent gateway of this one (resolver group "
					"%s): nesting it here would be a loop",
					prefix_ntop(&rn->prefix, t, sizeof(t)), g->name);
		}
	}
	return 0;
}

int
pol_validate_nested(const struct pol_snap *s, struct pol_err *e)
{
	struct nkey *k = NULL;
	size_t n = 0, total = 0;
	char t[ADDR_STRLEN];
	int rc;

	for (size_t i = 0; i < s->n_hosts; i++)
		if (s->hosts[i].nested_port != 0)
			total += (size_t)pol_nested_count(&s->hosts[i]);
	if (total == 0)
		return 0;
	if (total > POL_NESTED_ADDRS_MAX) {
		pol_err_set(e, "hosts", "nested gateways own more than %d addresses together",
			    POL_NESTED_ADDRS_MAX);
		return -EINVAL;
	}
	if ((rc = check_names(s, e)) != 0 || (rc = check_others(s, e)) != 0)
		return rc;
	k = calloc(total, sizeof(*k));
	if (k == NULL) {
		pol_err_set(e, "hosts", "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n_hosts; i++) {
		const struct pol_host *h = &s->hosts[i];

		for (unsigned j = 0; j < h->n_nested; j++) {
			uint64_t first = addr_v4(&h->nested[j].addr);
			uint64_t size = (uint64_t)1 << (32 - h->nested[j].len);

			for (uint64_t x = 0; x < size && n < total; x++)
				k[n++] = (struct nkey){ (uint32_t)(first + x), i };
		}
	}
	/* one owner per address (a gateway listing a block twice is its own business) */
	util_sort(k, n, sizeof(*k), nkey_cmp);
	for (size_t i = 1; i < n; i++) {
		struct addr a;

		if (k[i - 1].ip != k[i].ip || k[i - 1].host == k[i].host)
			continue;
		addr_from_v4(k[i].ip, &a);
		rc = conflict(e, k[i].host, "%s is also owned by the nested gateway hosts[%zu]",
			      addr_ntop(&a, t, sizeof(t)), k[i - 1].host);
		goto out;
	}
	/* the DNAT mark keeps the low 24 bits of the address */
	util_sort(k, n, sizeof(*k), nkey_low_cmp);
	for (size_t i = 1; i < n; i++) {
		struct addr a, b;
		char u[ADDR_STRLEN];

		if ((k[i - 1].ip & 0xffffffu) != (k[i].ip & 0xffffffu) || k[i - 1].ip == k[i].ip)
			continue;
		addr_from_v4(k[i - 1].ip, &a);
		addr_from_v4(k[i].ip, &b);
		rc = conflict(e, k[i].host,
			      "%s and %s differ only in their first byte: nested addresses must "
			      "differ in their last 24 bits",
			      addr_ntop(&a, t, sizeof(t)), addr_ntop(&b, u, sizeof(u)));
		goto out;
	}
	rc = 0;
out:
	free(k);
	return rc;
}
