/* SPDX-License-Identifier: MIT */
/* dns/zone.c -- in-memory name index built from a policy snapshot */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/array.h"
#include "../common/log.h"
#include "../common/util.h"
#include "zone.h"

static uint32_t name_hash(const uint8_t *name, size_t len);
static struct dns_node *table_get(const struct dns_db *db, const uint8_t *name, size_t len,
				  uint32_t h);
static int table_grow(struct dns_db *db);
static struct dns_node *node_get_or_add(struct dns_db *db, const uint8_t *name, size_t len,
					uint32_t zone, bool lan_only, bool *created);
static long deepest_zone(const struct dns_db *db, const uint8_t *name);
static int add_name(struct dns_db *db, const uint8_t *name, bool lan_only, struct dns_node **out);
static int reverse_name(const struct addr *a, uint8_t *out);
static void db_free(struct dns_db *db);
static int add_srv_target(struct dns_db *db, const struct pol_service *s, const struct pol_host *h);

static uint32_t
name_hash(const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= name[i];
		h *= 16777619u;
	}
	return h ? h : 1;
}

static struct dns_node *
table_get(const struct dns_db *db, const uint8_t *name, size_t len, uint32_t h)
{
	size_t mask = db->table_size - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct dns_node *n = db->table[i];
		if (!n)
			return NULL;
		if (n->hash == h && n->name_len == len && memcmp(n->name, name, len) == 0)
			return n;
	}
}

static int
table_grow(struct dns_db *db)
{
	size_t nsize = db->table_size ? db->table_size * 2 : 64;
	struct dns_node **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < db->table_size; i++) {
		struct dns_node *n = db->table[i];
		if (!n)
			continue;
		size_t j = n->hash & (nsize - 1);
		while (nt[j])
			j = (j + 1) & (nsize - 1);
		nt[j] = n;
	}
	free(db->table);
	db->table = nt;
	db->table_size = nsize;
	return 0;
}

static struct dns_node *
node_get_or_add(struct dns_db *db, const uint8_t *name, size_t len, uint32_t zone, bool lan_only,
		bool *created)
{
	uint32_t h = name_hash(name, len);
	struct dns_node *n = table_get(db, name, len, h);

	*created = false;
	if (n) {
		if (!lan_only)
			n->lan_only = false;
		return n;
	}
	/* keep the load factor under 1/2 */
	if ((db->n_nodes + 1) * 2 > db->table_size && table_grow(db) != 0)
		return NULL;
	n = calloc(1, sizeof(*n) + len);
	if (!n)
		return NULL;
	n->hash = h;
	n->zone = zone;
	n->lan_only = lan_only;
	n->name_len = (uint8_t)len;
	memcpy(n->name, name, len);
	size_t mask = db->table_size - 1, i = h & mask;
	while (db->table[i])
		i = (i + 1) & mask;
	db->table[i] = n;
	db->n_nodes++;
	*created = true;
	return n;
}

/* Index of the deepest zone whose apex is name or an ancestor of it, or -1. */
static long
deepest_zone(const struct dns_db *db, const uint8_t *name)
{
	for (size_t p = 0;; p += 1 + (size_t)name[p]) {
		size_t len = dns_name_len(name + p);
		struct dns_node *n = table_get(db, name + p, len, name_hash(name + p, len));
		if (n && (n->flags & DNS_NODE_APEX))
			return (long)n->zone;
		if (name[p] == 0)
			return -1;
	}
}

/*
 * Add name and the empty non-terminals between it and its zone apex. 0 with *out the node,
 * or NULL when the name is in no zone; -ENOMEM (the index would miss names: not served).
 */
static int
add_name(struct dns_db *db, const uint8_t *name, bool lan_only, struct dns_node **out)
{
	long z = deepest_zone(db, name);
	bool created;

	*out = NULL;
	if (z < 0)
		return 0;
	size_t len = dns_name_len(name);
	struct dns_node *n = node_get_or_add(db, name, len, (uint32_t)z, lan_only, &created);
	if (!n)
		return -ENOMEM;
	const struct dns_apex *apex = &db->zones[z];
	for (size_t p = 1u + name[0]; p < len && len - p > apex->name_len;
	     p += 1 + (size_t)name[p]) {
		if (!node_get_or_add(db, name + p, len - p, (uint32_t)z, lan_only, &created))
			return -ENOMEM;
	}
	*out = n;
	return 0;
}

/* d.c.b.a.in-addr.arpa or the ip6.arpa nibble name; returns the wire length or -EINVAL. */
static int
reverse_name(const struct addr *a, uint8_t *out)
{
	char s[128];
	size_t w = 0;

	if (a->family == AF_INET) {
		const uint8_t *b = a->u.bytes;
		snprintf(s, sizeof(s), "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
	} else if (a->family == AF_INET6) {
		static const char hex[] = "0123456789abcdef";
		for (int i = 15; i >= 0; i--) {
			s[w++] = hex[a->u.bytes[i] & 0xf];
			s[w++] = '.';
			s[w++] = hex[a->u.bytes[i] >> 4];
			s[w++] = '.';
		}
		memcpy(s + w, "ip6.arpa", 9);
	} else {
		return -EINVAL;
	}
	return dns_name_from_str(s, out, DNS_NAME_MAX);
}

/* The zones (apex nodes, SOA fields, their name servers' names). */
static int
build_zones(struct dns_db *db, const struct pol_snap *snap)
{
	bool created;

	for (size_t i = 0; i < snap->n_zones; i++) {
		const struct pol_zone *pz = &snap->zones[i];
		struct dns_apex *z = &db->zones[db->n_zones];
		int l = dns_name_from_str(pz->name, z->name, sizeof(z->name));
		if (l < 0) {
			log_warnx("dns: zone \"%s\": bad name, skipped", pz->name);
			continue;
		}
		z->name_len = (size_t)l;
		z->nlabels = dns_name_labels(z->name, NULL);
		z->kind = pz->kind;
		z->ttl = pz->ttl;
		z->neg_ttl = pz->minimum < pz->ttl ? pz->minimum : pz->ttl;
		if (dns_name_from_str(pz->mname[0] ? pz->mname : pz->name, z->mname,
				      sizeof(z->mname)) < 0 ||
		    dns_name_from_str(pz->rname[0] ? pz->rname : pz->name, z->rname,
				      sizeof(z->rname)) < 0) {
			log_warnx("dns: zone \"%s\": bad SOA names, skipped", pz->name);
			continue;
		}
		z->serial = pz->serial;
		z->refresh = pz->refresh;
		z->retry = pz->retry;
		z->expire = pz->expire;
		z->minimum = pz->minimum;
		z->ns_first = db->n_ns_names;
		for (size_t k = 0; k < snap->n_nameservers; k++) {
			const struct pol_nameserver *ns = &snap->nameservers[k];
			if (ns->zone_id != pz->id)
				continue;
			if (dns_name_from_str(ns->name, db->ns_names[db->n_ns_names],
					      DNS_NAME_MAX) < 0)
				continue;
			db->n_ns_names++;
		}
		z->n_ns = db->n_ns_names - z->ns_first;
		struct dns_node *n = node_get_or_add(db, z->name, z->name_len,
						     (uint32_t)db->n_zones, false, &created);
		if (!n)
			return -ENOMEM;
		if (!created && (n->flags & DNS_NODE_APEX)) {
			log_warnx("dns: zone \"%s\" listed twice, skipped", pz->name);
			continue;
		}
		n->flags |= DNS_NODE_APEX;
		n->zone = (uint32_t)db->n_zones;
		db->n_zones++;
	}

	return 0;
}

/* Glue for in-zone name servers. */
static int
build_glue(struct dns_db *db, const struct pol_snap *snap)
{
	uint8_t name[DNS_NAME_MAX];

	for (size_t k = 0; k < snap->n_nameservers; k++) {
		const struct pol_nameserver *ns = &snap->nameservers[k];
		if (!ns->ipv4.family && !ns->ipv6.family)
			continue;
		if (dns_name_from_str(ns->name, name, sizeof(name)) < 0)
			continue;
		struct dns_node *n;
		if (add_name(db, name, false, &n) < 0)
			return -ENOMEM;
		if (!n)
			continue;
		n->flags |= DNS_NODE_GLUE;
		if (ns->ipv4.family)
			n->glue4 = ns->ipv4;
		if (ns->ipv6.family)
			n->glue6 = ns->ipv6;
	}

	return 0;
}

/* Hosts, and the reverse names of their addresses (served on the LAN side only). */
static int
build_hosts(struct dns_db *db, const struct pol_snap *snap)
{
	uint8_t name[DNS_NAME_MAX];

	for (size_t i = 0; i < snap->n_hosts; i++) {
		const struct pol_host *h = &snap->hosts[i];
		if (dns_name_from_str(h->fqdn, name, sizeof(name)) < 0)
			continue;
		struct dns_node *n;
		if (add_name(db, name, false, &n) < 0)
			return -ENOMEM;
		if (!n) {
			log_warnx("dns: host \"%s\" is in no zone; not served", h->fqdn);
			continue;
		}
		n->flags |= DNS_NODE_HOST;
		if (h->nested_port != 0 && h->ipv4.family == AF_INET)
			n->flags |= DNS_NODE_NESTED;
		n->host = h;
		const struct addr *addrs[2] = { &h->ipv4, &h->ipv6 };
		for (int k = 0; k < 2; k++) {
			if (reverse_name(addrs[k], name) < 0)
				continue;
			/* reverse names of private hosts are served on the LAN side only */
			if (add_name(db, name, true, &n) < 0)
				return -ENOMEM;
			if (!n)
				continue; /* no reverse zone for it: not ours */
			n->flags |= DNS_NODE_PTR;
			n->ptr_host = h;
		}
	}

	return 0;
}

/* Services (the first of two with one name is kept) and their SRV targets. */
static int
build_services(struct dns_db *db, const struct pol_snap *snap)
{
	uint8_t name[DNS_NAME_MAX];

	for (size_t i = 0; i < snap->n_services; i++) {
		struct pol_service *s = &db->svcs[db->n_svcs];
		*s = snap->services[i];
		pol_service_resolve(s);
		const struct pol_host *h = pol_snap_host(snap, s->host_id);
		if (!h || dns_name_from_str(s->fqdn, name, sizeof(name)) < 0)
			continue;
		struct dns_node *n;
		if (add_name(db, name, false, &n) < 0)
			return -ENOMEM;
		if (!n) {
			log_warnx("dns: service \"%s\" is in no zone; not served", s->fqdn);
			continue;
		}
		if (n->flags & DNS_NODE_SERVICE) {
			log_warnx("dns: service \"%s\" defined twice; first kept", s->fqdn);
			continue;
		}
		n->flags |= DNS_NODE_SERVICE;
		n->svc = s;
		n->host = h;
		db->n_svcs++;
		if (add_srv_target(db, s, h) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Parent gateways: their ECI is trusted (a short list, scanned per ECI query). */
static int
build_parents(struct dns_db *db, const struct pol_snap *snap)
{
	size_t cap = 0;

	for (size_t i = 0; i < snap->n_resolver_nodes; i++) {
		const struct pol_resolver_node *rn = &snap->resolver_nodes[i];
		const struct pol_resolver_group *g = pol_snap_resolver_group(snap, rn->group_id);
		struct prefix *np;

		if (g == NULL || !g->parent)
			continue;
		np = ARRAY_PUSH(db->parents, db->n_parents, cap);
		if (np == NULL)
			return -ENOMEM;
		*np = rn->prefix;
	}
	return 0;
}

struct dns_db *
dns_db_build(struct pol_snap *snap)
{
	struct dns_db *db = calloc(1, sizeof(*db));

	if (!db)
		goto nomem;
	util_ref_init(&db->refcnt);
	db->snap = pol_snap_ref(snap);
	db->admission = snap->admission;
	if (table_grow(db) != 0)
		goto nomem;
	db->zones = calloc(snap->n_zones ? snap->n_zones : 1, sizeof(*db->zones));
	db->ns_names = calloc(snap->n_nameservers ? snap->n_nameservers : 1, sizeof(*db->ns_names));
	db->svcs = calloc(snap->n_services ? snap->n_services : 1, sizeof(*db->svcs));
	if (!db->zones || !db->ns_names || !db->svcs)
		goto nomem;

	for (size_t i = 0; i < snap->n_service_addrs; i++) {
		const struct addr *a = &snap->service_addrs[i].addr;
		if (a->family == AF_INET && !db->svc_addr4.family)
			db->svc_addr4 = *a;
		if (a->family == AF_INET6 && !db->svc_addr6.family)
			db->svc_addr6 = *a;
	}

	/* Zones first, so that every later name finds its deepest zone. */
	if (build_zones(db, snap) < 0 || build_glue(db, snap) < 0 || build_hosts(db, snap) < 0 ||
	    build_services(db, snap) < 0 || build_parents(db, snap) < 0)
		goto nomem;
	log_debug("%s: %zu zones, %zu names, %zu services", __func__, db->n_zones, db->n_nodes,
		  db->n_svcs);
	return db;
nomem:
	log_warnx("dns: out of memory building the name index");
	db_free(db);
	return NULL;
}

/* The SRV answer of a service names the target _<port>._<proto>.<fqdn> (rgw-original-
 * behaviour.md §1.6): a resolver or client that asks for its address must get one, with the
 * service's admission (answer.c), so the target is a name of its own. 0, or -ENOMEM. */
static int
add_srv_target(struct dns_db *db, const struct pol_service *s, const struct pol_host *h)
{
	char t[POL_NAME_MAX + 32];
	uint8_t name[DNS_NAME_MAX];
	struct dns_node *n;

	snprintf(t, sizeof(t), "_%u._%u.%s", s->port, s->protocol, s->fqdn);
	if (dns_name_from_str(t, name, sizeof(name)) < 0)
		return 0;
	if (add_name(db, name, false, &n) < 0)
		return -ENOMEM;
	if (n == NULL || (n->flags & ~DNS_NODE_SRV_TARGET) != 0)
		return 0; /* in no zone, or the name is something else already */
	n->flags |= DNS_NODE_SRV_TARGET;
	n->svc = s;
	n->host = h;
	return 0;
}

static void
db_free(struct dns_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->table_size; i++)
		free(db->table[i]);
	free(db->table);
	free(db->zones);
	free(db->ns_names);
	free(db->svcs);
	free(db->parents);
	pol_snap_unref(db->snap);
	free(db);
}

struct dns_db *
dns_db_ref(struct dns_db *db)
{
	if (db)
		util_ref_get(&db->refcnt);
	return db;
}

void
dns_db_unref(struct dns_db *db)
{
	if (db && util_ref_put(&db->refcnt))
		db_free(db);
}

const struct dns_node *
dns_db_find(const struct dns_db *db, const uint8_t *name, bool wan,
	    const struct dns_node **encloser)
{
	size_t len = dns_name_len(name);
	const struct dns_node *exact = NULL;

	*encloser = NULL;
	for (size_t p = 0; p < len; p += 1 + (size_t)name[p]) {
		const struct dns_node *n =
			table_get(db, name + p, len - p, name_hash(name + p, len - p));
		if (n && !(wan && n->lan_only)) {
			if (p == 0)
				exact = n;
			*encloser = n;
			return exact;
		}
		if (name[p] == 0)
			break;
	}
	return NULL;
}

bool
dns_db_is_parent(const struct dns_db *db, const struct addr *a)
{
	for (size_t i = 0; i < db->n_parents; i++)
		if (db->parents[i].addr.family == a->family && prefix_contains(&db->parents[i], a))
			return true;
	return false;
}
