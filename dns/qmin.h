/* SPDX-License-Identifier: MIT */
/* dns/qmin.h -- QNAME minimisation: the pooled names above a queried name (pure, no I/O) */
#ifndef RGW_DNS_QMIN_H
#define RGW_DNS_QMIN_H

#include <stddef.h>
#include <stdint.h>

#include "zone.h"

/*
 * A resolver that minimises QNAMEs (RFC 9156) and resolves www.test.zone first asks the
 * gateway "test.zone A"; when test.zone answers from the circular pool, that step holds a pool
 * address nobody will use. When the same resolver then asks for a name below it, the DNS tells
 * the pool (dns_qmin_fn, answer.h) which services those ancestors are, and the pool releases
 * the step's binding without reputation evidence.
 */

/* Most ancestors considered for one query (nearest first); minimisation adds one label at a
 * time for the first labels, so the nearest ones are those that matter. */
#define DNS_QMIN_MAX 16

/*
 * Fill ids (at most max entries) with the ids of the services whose names lie strictly
 * between the apex of name's zone and name (nearest first) and that answer A from the circular
 * pool: a service node, not proxy_required, whose host has an IPv4 address. name: lowercase
 * wire form of a name that exists in db's WAN view (below a forward zone's apex). Returns the
 * count (0 when name is an apex, is in no zone, or nothing above it is pooled). Thread-safe
 * (db is immutable).
 */
size_t dns_qmin_ancestors(const struct dns_db *db, const uint8_t *name, int64_t *ids, size_t max);

#endif
