/* SPDX-License-Identifier: MIT */
/* policy/store_snap.c -- the whole policy at once: snapshot (read) and replace (write) */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/array.h"
#include "../common/util.h"
#include "store_int.h"
#include "tenancy.h"

static const char sql_hg_list[] = "SELECT host_id, group_id FROM host_groups "
				  "ORDER BY host_id, group_id";
static const char sql_rep_forget_prior[] =
	"DELETE FROM reputation WHERE kind = 'resolver_group' AND key = ?1 AND EXISTS "
	"(SELECT 1 FROM resolver_groups WHERE name = ?1 AND initial_reputation <> ?2)";

static int forget_changed_priors(struct pol_store *st, const struct pol_snap *snap,
				 struct pol_err *e);

static int
host_groups_list(struct pol_store *st, struct pol_host_group **out, size_t *n)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_hg_list);
	struct pol_host_group *arr = NULL;
	size_t cap = 0, cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct pol_host_group *hg = ARRAY_PUSH(arr, cnt, cap);

		if (hg == NULL) {
			sqlite3_reset(s);
			free(arr);
			return -ENOMEM;
		}
		hg->host_id = sqlite3_column_int64(s, 0);
		hg->group_id = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(arr);
		return -EIO;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

/*
 * The policy's ETag is a 128-bit digest of the snapshot just read: every table's name, row
 * count and rows, in id order. Rows are zeroed before they are filled (pol_store_list), so
 * equal stores give equal bytes, padding and string tails included. The bytes are taken in
 * 64-bit words, alternately into two multiply-rotate lanes, each closed with MurmurHash3's
 * finaliser. An ETag only has to change when the policy does, and a write must not pay much
 * for it: this is a pass over about 200 kB (a few microseconds) for the Sec-ALG reference
 * policy, where hashing every column through SQLite's API, or SipHash over the rows, cost a
 * tenth to a quarter of a write's CPU time, and hashing an export a JSON rendering of the
 * whole policy. It depends on the row layout, so it may change (once) when rgwd is upgraded.
 */
struct store_digest {
	uint64_t h[2];
	uint64_t words;
};

static inline void
digest_word(struct store_digest *d, uint64_t w)
{
	uint64_t *h = &d->h[d->words++ & 1];

	*h = (*h ^ w) * 0x9e3779b97f4a7c15ULL;
	*h = (*h << 31) | (*h >> 33);
}

static void
digest_add(struct store_digest *d, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t w;

	for (; len >= 8; b += 8, len -= 8) {
		memcpy(&w, b, 8);
		digest_word(d, w);
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, b, len);
		digest_word(d, w);
	}
}

static uint64_t
fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The name and the count frame each table, so that the word stream has one reading. */
static void
digest_table(struct store_digest *d, const char *name, const void *rows, size_t n, size_t size)
{
	uint64_t count = n;

	digest_add(d, name, strlen(name) + 1);
	digest_add(d, &count, sizeof(count));
	digest_add(d, rows, n * size);
}

static void
snap_etag(const struct pol_snap *s, char out[POL_ETAG_LEN])
{
	struct store_digest d = { .h = { 0x7267772d706f6c69ULL, 0x6379657461672d32ULL } };

#define T(F) digest_table(&d, #F, s->F, s->n_##F, sizeof(*s->F))
	T(zones);
	T(nameservers);
	T(service_addrs);
	T(pool_addrs);
	T(groups);
	T(hosts);
	T(host_groups);
	T(services);
	T(fw_rules);
	T(alg_routes);
	T(brackets);
	T(resolver_groups);
	T(resolver_nodes);
#undef T
	digest_table(&d, "admission", &s->admission, 1, sizeof(s->admission));
	snprintf(out, POL_ETAG_LEN, "\"%016llx%016llx\"",
		 (unsigned long long)fmix64(d.h[0] ^ d.words),
		 (unsigned long long)fmix64(d.h[1] + d.words));
}

int
pol_store_read_all(struct pol_store *st, struct pol_snap *snap, bool with_etag)
{
	int rc;

	for (const struct pol_table *const *t = pol_tables; *t != NULL; t++) {
		char *base = (char *)snap;

		rc = pol_store_list(st, *t, (void **)(void *)(base + (*t)->arr_off),
				    (size_t *)(void *)(base + (*t)->n_off));
		if (rc != 0)
			return rc;
	}
	rc = host_groups_list(st, &snap->host_groups, &snap->n_host_groups);
	if (rc == 0)
		rc = pol_admission_get(st, &snap->admission);
	if (rc == 0 && with_etag)
		snap_etag(snap, snap->etag);
	return rc;
}

/* New id of the row whose snapshot id is old (arrays sorted by id, validated). */
static int64_t
map_id(const void *base, size_t n, size_t size, const int64_t *new_ids, int64_t old)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t id;

		memcpy(&id, (const char *)base + mid * size, sizeof(id));
		if (id == old)
			return new_ids[mid];
		if (id < old)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Insert n rows of one table, recording their new ids; fix references with fix(). */
static int
insert_rows(struct pol_store *st, const struct pol_table *en, const void *rows, size_t n,
	    int64_t *new_ids, void (*fix)(void *row, const void *ctx), const void *ctx,
	    struct pol_err *e)
{
	union {
		struct pol_zone z;
		struct pol_nameserver ns;
		struct pol_service_addr sa;
		struct pol_pool_addr pa;
		struct pol_group g;
		struct pol_host h;
		struct pol_service sv;
		struct pol_fw_rule fw;
		struct pol_alg_route alg;
		struct pol_bracket b;
		struct pol_resolver_group rg;
		struct pol_resolver_node rn;
	} row;

	for (size_t i = 0; i < n; i++) {
		int rc;

		memcpy(&row, (const char *)rows + i * en->size, en->size);
		if (fix != NULL)
			fix(&row, ctx);
		rc = pol_row_insert(st, en, &row, e);
		if (rc != 0)
			return rc;
		if (new_ids != NULL)
			memcpy(&new_ids[i], &row, sizeof(int64_t));
	}
	return 0;
}

struct id_maps {
	const struct pol_snap *s;
	int64_t *zones, *groups, *hosts, *rgroups;
};

static void
fix_nameserver(void *row, const void *ctx)
{
	const struct id_maps *m = ctx;
	struct pol_nameserver *ns = row;

	ns->zone_id =
		map_id(m->s->zones, m->s->n_zones, sizeof(*m->s->zones), m->zones, ns->zone_id);
}

static void
fix_service(void *row, const void *ctx)
{
	const struct id_maps *m = ctx;
	struct pol_service *sv = row;

	sv->host_id =
		map_id(m->s->hosts, m->s->n_hosts, sizeof(*m->s->hosts), m->hosts, sv->host_id);
}

static void
fix_fw_rule(void *row, const void *ctx)
{
	const struct id_maps *m = ctx;
	struct pol_fw_rule *r = row;

	if (r->host_id != 0)
		r->host_id = map_id(m->s->hosts, m->s->n_hosts, sizeof(*m->s->hosts), m->hosts,
				    r->host_id);
	if (r->group_id != 0)
		r->group_id = map_id(m->s->groups, m->s->n_groups, sizeof(*m->s->groups), m->groups,
				     r->group_id);
}

static void
fix_resolver_node(void *row, const void *ctx)
{
	const struct id_maps *m = ctx;
	struct pol_resolver_node *n = row;

	n->group_id = map_id(m->s->resolver_groups, m->s->n_resolver_groups,
			     sizeof(*m->s->resolver_groups), m->rgroups, n->group_id);
}

/*
 * The saved evidence of a resolver group whose initial_reputation the new policy changes is
 * forgotten, as the live engine restarts such a group (nat_rep_commit): restored under the
 * new prior it would describe a group that no longer exists. Matters when the daemon is not
 * running (rgwd --import); the live engine saves its restarted state right after an apply.
 */
static int
forget_changed_priors(struct pol_store *st, const struct pol_snap *snap, struct pol_err *e)
{
	for (size_t i = 0; i < snap->n_resolver_groups; i++) {
		sqlite3_stmt *q = pol_store_stmt(st, sql_rep_forget_prior);
		int rc;

		if (q == NULL)
			return -EIO;
		sqlite3_bind_text(q, 1, snap->resolver_groups[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_double(q, 2, snap->resolver_groups[i].initial_reputation);
		rc = pol_store_step_done(st, q, "reputation", e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
pol_store_write_all(struct pol_store *st, const struct pol_snap *snap, struct pol_err *e)
{
	static const char *const wipe[] = {
		"DELETE FROM fw_rules",	       "DELETE FROM services",
		"DELETE FROM host_groups",     "DELETE FROM hosts",
		"DELETE FROM groups",	       "DELETE FROM nameservers",
		"DELETE FROM zones",	       "DELETE FROM service_addrs",
		"DELETE FROM pool_addrs",      "DELETE FROM alg_routes",
		"DELETE FROM brackets",	       "DELETE FROM resolver_nodes",
		"DELETE FROM resolver_groups",
	};
	const struct pol_snap *s = snap;
	struct id_maps m = { .s = snap };
	int rc = forget_changed_priors(st, snap, e);

	if (rc != 0)
		return rc;
	rc = -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(wipe); i++) {
		sqlite3_stmt *q = pol_store_stmt(st, wipe[i]);

		if (q == NULL)
			return -EIO;
		rc = pol_store_step_done(st, q, wipe[i] + 12, e);
		if (rc != 0)
			return rc;
	}
	m.zones = calloc(s->n_zones + 1, sizeof(int64_t));
	m.groups = calloc(s->n_groups + 1, sizeof(int64_t));
	m.hosts = calloc(s->n_hosts + 1, sizeof(int64_t));
	m.rgroups = calloc(s->n_resolver_groups + 1, sizeof(int64_t));
	if (m.zones == NULL || m.groups == NULL || m.hosts == NULL || m.rgroups == NULL) {
		pol_err_set(e, "", "out of memory");
		goto out;
	}
	rc = pol_admission_set(st, &s->admission, e);
	if (rc != 0)
		goto out;
#define INS(E, F, IDS, FIX) insert_rows(st, &pol_t_##E, s->F, s->n_##F, IDS, FIX, &m, e)
	if ((rc = INS(zone, zones, m.zones, NULL)) != 0 ||
	    (rc = INS(nameserver, nameservers, NULL, fix_nameserver)) != 0 ||
	    (rc = INS(service_addr, service_addrs, NULL, NULL)) != 0 ||
	    (rc = INS(pool_addr, pool_addrs, NULL, NULL)) != 0 ||
	    (rc = INS(group, groups, m.groups, NULL)) != 0 ||
	    (rc = INS(host, hosts, m.hosts, NULL)) != 0 ||
	    (rc = INS(service, services, NULL, fix_service)) != 0 ||
	    (rc = INS(fw_rule, fw_rules, NULL, fix_fw_rule)) != 0 ||
	    (rc = INS(alg_route, alg_routes, NULL, NULL)) != 0 ||
	    (rc = INS(bracket, brackets, NULL, NULL)) != 0 ||
	    (rc = INS(resolver_group, resolver_groups, m.rgroups, NULL)) != 0 ||
	    (rc = INS(resolver_node, resolver_nodes, NULL, fix_resolver_node)) != 0)
		goto out;
#undef INS
	for (size_t i = 0; i < s->n_host_groups; i++) {
		int64_t h = map_id(s->hosts, s->n_hosts, sizeof(*s->hosts), m.hosts,
				   s->host_groups[i].host_id);
		int64_t g = map_id(s->groups, s->n_groups, sizeof(*s->groups), m.groups,
				   s->host_groups[i].group_id);

		rc = pol_host_group_add(st, h, g, e);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	free(m.zones);
	free(m.groups);
	free(m.hosts);
	free(m.rgroups);
	return rc;
}

/* The index in arr (n rows of size bytes, a name at offset off) of the row named name, or n. */
static size_t
find_name(const void *arr, size_t n, size_t size, size_t off, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp((const char *)arr + i * size + off, name) == 0)
			return i;
	return n;
}

/* Delete the rows of table t in s. */
static int
delete_rows(struct pol_store *st, const struct pol_table *t, const struct pol_snap *s,
	    struct pol_err *e)
{
	for (size_t i = 0; i < pol_table_count(t, s); i++) {
		int rc = pol_row_delete(st, t, pol_row_id(pol_table_row(t, s, i)), e);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Hosts (or groups) of old kept when in has one of the same name (updated in place: its id,
 * and so the memberships the operator gave it, stay), deleted otherwise; then in's others
 * inserted. ids[i] gets the store id of in's row i. */
#define KEEP_OR_REPLACE(FIELD, ENT, TYPE, KEY)                                                     \
	do {                                                                                       \
		for (size_t i = 0; rc == 0 && i < old->n_##FIELD; i++) {                           \
			size_t j = find_name(in->FIELD, in->n_##FIELD, sizeof(*in->FIELD),         \
					     offsetof(TYPE, KEY), old->FIELD[i].KEY);              \
			if (j < in->n_##FIELD) {                                                   \
				TYPE row = in->FIELD[j];                                           \
				row.id = old->FIELD[i].id;                                         \
				m.FIELD[j] = row.id;                                               \
				rc = pol_row_update(st, &pol_t_##ENT, &row, e);                    \
			} else {                                                                   \
				rc = pol_row_delete(st, &pol_t_##ENT, old->FIELD[i].id, e);        \
			}                                                                          \
		}                                                                                  \
		for (size_t j = 0; rc == 0 && j < in->n_##FIELD; j++) {                            \
			TYPE row = in->FIELD[j];                                                   \
			if (m.FIELD[j] != 0)                                                       \
				continue;                                                          \
			rc = pol_row_insert(st, &pol_t_##ENT, &row, e);                            \
			m.FIELD[j] = row.id;                                                       \
		}                                                                                  \
	} while (0)

int
pol_store_replace_part(struct pol_store *st, const struct pol_snap *cur, const struct pol_tenant *t,
		       const struct pol_snap *in, struct pol_err *e)
{
	struct pol_snap *old = pol_tenancy_part(cur, t);
	struct id_maps m = { .s = in };
	int rc = -ENOMEM;

	m.groups = calloc(in->n_groups + 1, sizeof(int64_t));
	m.hosts = calloc(in->n_hosts + 1, sizeof(int64_t));
	if (old == NULL || m.groups == NULL || m.hosts == NULL) {
		pol_err_set(e, "", "out of memory");
		goto out;
	}
	/* what hangs off its hosts and groups goes first, then they are kept or replaced */
	rc = delete_rows(st, &pol_t_fw_rule, old, e);
	if (rc == 0)
		rc = delete_rows(st, &pol_t_service, old, e);
	if (rc == 0)
		rc = delete_rows(st, &pol_t_alg_route, old, e);
	for (size_t i = 0; rc == 0 && i < old->n_host_groups; i++)
		rc = pol_host_group_del(st, old->host_groups[i].host_id,
					old->host_groups[i].group_id, e);
	KEEP_OR_REPLACE(groups, group, struct pol_group, name);
	KEEP_OR_REPLACE(hosts, host, struct pol_host, fqdn);
#define INS(E, F, FIX) insert_rows(st, &pol_t_##E, in->F, in->n_##F, NULL, FIX, &m, e)
	if (rc == 0 && (rc = INS(service, services, fix_service)) == 0 &&
	    (rc = INS(fw_rule, fw_rules, fix_fw_rule)) == 0)
		rc = INS(alg_route, alg_routes, NULL);
#undef INS
	for (size_t i = 0; rc == 0 && i < in->n_host_groups; i++)
		rc = pol_host_group_add(st,
					map_id(in->hosts, in->n_hosts, sizeof(*in->hosts), m.hosts,
					       in->host_groups[i].host_id),
					map_id(in->groups, in->n_groups, sizeof(*in->groups),
					       m.groups, in->host_groups[i].group_id),
					e);
out:
	pol_snap_unref(old);
	free(m.groups);
	free(m.hosts);
	return rc;
}
