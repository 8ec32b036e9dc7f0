/* SPDX-License-Identifier: MIT */
/* dns/qmin.c -- QNAME minimisation: the pooled names above a queried name (pure, no I/O) */
#include "qmin.h"

static bool pooled(const struct dns_node *n);

/* Would an A query for n hand out a circular pool address? (answer.c, answer_service) */
static bool
pooled(const struct dns_node *n)
{
	return (n->flags & DNS_NODE_SERVICE) && n->svc != NULL && !n->svc->proxy_required &&
	       n->host != NULL && n->host->ipv4.family != 0;
}

size_t
dns_qmin_ancestors(const struct dns_db *db, const uint8_t *name, int64_t *ids, size_t max)
{
	const struct dns_node *n, *enc;
	const struct dns_apex *z;
	size_t k = 0, p;

	n = dns_db_find(db, name, true, &enc);
	if (n == NULL || enc == NULL || enc->zone >= db->n_zones)
		return 0;
	z = &db->zones[enc->zone];
	if (z->kind != POL_ZONE_FORWARD || !dns_name_is_below(name, z->name))
		return 0;
	/* Every proper ancestor strictly below the apex, nearest first. The apex itself is never
	 * a minimisation step at this server: the resolver asked it of the parent's servers. */
	for (p = 1 + (size_t)name[0]; name[p] != 0 && k < max; p += 1 + (size_t)name[p]) {
		const uint8_t *a = name + p;

		if (!dns_name_is_below(a, z->name))
			break;
		n = dns_db_find(db, a, true, &enc);
		if (n != NULL && pooled(n))
			ids[k++] = n->svc->id;
	}
	return k;
}
