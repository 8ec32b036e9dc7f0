/* SPDX-License-Identifier: MIT */
/* policy/bundle.c -- policy bundles: a whole gateway policy as one JSON document */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/array.h"
#include "../common/util.h"
#include "bundle_int.h"

#define BUNDLE_VERSION 1
#define POOL_MAX       65536 /* addresses in the circular pool, all entries together */

struct pctx {
	struct pol_snap *s;
	struct pol_err *err;
	size_t cap_zones, cap_ns, cap_sa, cap_pool, cap_groups, cap_hosts, cap_hg, cap_svc, cap_fw,
		cap_alg, cap_br, cap_rg, cap_rn;
};

static int parse_zones(struct pctx *c, const json_t *root);
static int parse_addresses(struct pctx *c, const json_t *root);
static int parse_pool(struct pctx *c, const json_t *root);
static int parse_groups(struct pctx *c, const json_t *root);
static int parse_hosts(struct pctx *c, const json_t *root);
static int parse_alg(struct pctx *c, const json_t *root);
static int parse_admission(struct pctx *c, const json_t *root);
static int parse_resolvers(struct pctx *c, const json_t *root);

/* Append one zeroed element to the snapshot's array F; NULL on ENOMEM. */
#define PUSH(C, F, CAP) array_push(&(C)->s->F, &(C)->s->n_##F, &(C)->CAP, sizeof(*(C)->s->F))

static int
nomem(struct pctx *c)
{
	pol_err_set(c->err, "", "out of memory");
	return -ENOMEM;
}

/* ---- address arithmetic (big-endian bytes) ---- */

static size_t
addr_bytes(const struct addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

static int
addr_order(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->u.bytes, b->u.bytes, addr_bytes(a));
}

/* a + 1; false on wrap-around. */
static bool
addr_next(struct addr *a)
{
	for (size_t i = addr_bytes(a); i-- > 0;) {
		if (++a->u.bytes[i] != 0)
			return true;
	}
	return false;
}

/* Last address of prefix (a, len): host bits set. */
static void
addr_last(struct addr *a, unsigned len)
{
	unsigned max = addr_maxlen(a->family);

	for (unsigned i = len; i < max; i++)
		a->u.bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

/* Split "a-b" into two addresses of one family with a <= b. */
static int
parse_range(const char *s, struct addr *a, struct addr *b)
{
	const char *dash = strchr(s, '-');
	char first[ADDR_STRLEN];

	if (dash == NULL || (size_t)(dash - s) >= sizeof(first))
		return -EINVAL;
	memcpy(first, s, (size_t)(dash - s));
	first[dash - s] = '\0';
	if (addr_parse(first, a) != 0 || addr_parse(dash + 1, b) != 0 || a->family != b->family ||
	    addr_order(a, b) > 0)
		return -EINVAL;
	return 0;
}

/* ---- parse ---- */

static int
host_group_cmp(const void *x, const void *y)
{
	const struct pol_host_group *a = x, *b = y;

	if (a->host_id != b->host_id)
		return a->host_id < b->host_id ? -1 : 1;
	return a->group_id < b->group_id ? -1 : a->group_id > b->group_id;
}

int
pol_bundle_parse(const char *text, size_t len, struct pol_snap **out, struct pol_err *err)
{
	json_error_t je;
	json_t *root;
	int rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		pol_err_set(err, "json", "line %d column %d: %s", je.line, je.column, je.text);
		return -EINVAL;
	}
	rc = pol_bundle_parse_json(root, out, err);
	json_decref(root);
	return rc;
}

int
pol_bundle_parse_json(const json_t *root, struct pol_snap **out, struct pol_err *err)
{
	static const char *const keys[] = { "version",	  "zones",     "service_addresses",
					    "pool",	  "groups",    "hosts",
					    "alg_routes", "admission", "resolver_groups",
					    NULL };
	struct pctx c = { .err = err };
	long long version;
	int rc;

	*out = NULL;
	rc = pol_bj_object(root, "", keys, err);
	if (rc != 0)
		return rc;
	rc = pol_bj_required(root, "version", "", err);
	if (rc != 0)
		return rc;
	rc = pol_bj_int(root, "version", "", BUNDLE_VERSION, BUNDLE_VERSION, &version, err);
	if (rc != 0)
		return pol_bj_fail(err, "", "version", "must be %d (the bundle format version)",
				   BUNDLE_VERSION);
	c.s = pol_snap_new();
	if (c.s == NULL)
		return nomem(&c);
	/* groups before hosts: hosts name their groups */
	if ((rc = parse_zones(&c, root)) != 0 || (rc = parse_addresses(&c, root)) != 0 ||
	    (rc = parse_pool(&c, root)) != 0 || (rc = parse_groups(&c, root)) != 0 ||
	    (rc = parse_hosts(&c, root)) != 0 || (rc = parse_alg(&c, root)) != 0 ||
	    (rc = parse_admission(&c, root)) != 0 || (rc = parse_resolvers(&c, root)) != 0)
		goto fail;
	rc = pol_snap_validate(c.s, err);
	if (rc != 0)
		goto fail;
	/* memberships are a set: keep them in the store's order so that a parsed bundle and
	 * the same policy read back from the store export identically */
	util_sort(c.s->host_groups, c.s->n_host_groups, sizeof(*c.s->host_groups), host_group_cmp);
	*out = c.s;
	return 0;
fail:
	pol_snap_unref(c.s);
	return rc;
}

static int
parse_zones(struct pctx *c, const json_t *root)
{
	const json_t *arr, *zobj, *nss, *nsobj;
	size_t i, j;
	char p[160], q[160];
	int rc;

	rc = pol_bj_array(root, "zones", "", &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, zobj)
	{
		struct pol_zone *z = PUSH(c, zones, cap_zones);

		if (z == NULL)
			return nomem(c);
		pol_bj_index(p, sizeof(p), "", "zones", i);
		rc = pol_zone_from_json(zobj, false, z, p, c->err);
		if (rc != 0)
			return rc;
		z->id = (int64_t)c->s->n_zones;
		rc = pol_bj_array(zobj, "nameservers", p, &nss, c->err);
		if (rc < 0)
			return rc;
		json_array_foreach(nss, j, nsobj)
		{
			struct pol_nameserver *ns = PUSH(c, nameservers, cap_ns);

			if (ns == NULL)
				return nomem(c);
			pol_bj_index(q, sizeof(q), p, "nameservers", j);
			rc = pol_nameserver_from_json(nsobj, false, ns, q, c->err);
			if (rc != 0)
				return rc;
			ns->id = (int64_t)c->s->n_nameservers;
			ns->zone_id = z->id;
		}
	}
	return 0;
}

/* "a.b.c.d" or { "address": "a.b.c.d", "comment": "..." } */
static int
parse_addresses(struct pctx *c, const json_t *root)
{
	const json_t *arr, *v;
	size_t i;
	char p[160];
	int rc;

	rc = pol_bj_array(root, "service_addresses", "", &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		struct pol_service_addr *sa = PUSH(c, service_addrs, cap_sa);

		if (sa == NULL)
			return nomem(c);
		pol_bj_index(p, sizeof(p), "", "service_addresses", i);
		if (json_is_object(v)) {
			if ((rc = pol_service_addr_from_json(v, false, sa, p, c->err)) != 0)
				return rc;
		} else if (!json_is_string(v) || addr_parse(json_string_value(v), &sa->addr) != 0) {
			return pol_bj_fail(c->err, p, NULL, "must be an IPv4 or IPv6 address");
		}
		sa->id = (int64_t)c->s->n_service_addrs;
	}
	return 0;
}

static int
pool_add(struct pctx *c, const struct addr *a, const char *path)
{
	struct pol_pool_addr *pa;

	if (c->s->n_pool_addrs >= POOL_MAX)
		return pol_bj_fail(c->err, path, NULL, "the pool holds at most %d addresses",
				   POOL_MAX);
	pa = PUSH(c, pool_addrs, cap_pool);
	if (pa == NULL)
		return nomem(c);
	pa->id = (int64_t)c->s->n_pool_addrs;
	pa->addr = *a;
	return 0;
}

/* Each entry: an address, a prefix (every address in it), or a range "first-last". */
static int
parse_pool(struct pctx *c, const json_t *root)
{
	const json_t *arr, *v;
	size_t i;
	char p[160];
	int rc;

	rc = pol_bj_array(root, "pool", "", &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		struct addr a, b;
		struct prefix pf;

		pol_bj_index(p, sizeof(p), "", "pool", i);
		if (s == NULL)
			return pol_bj_fail(c->err, p, NULL,
					   "must be a string: address, prefix or range a-b");
		if (strchr(s, '-') != NULL) {
			if (parse_range(s, &a, &b) != 0)
				return pol_bj_fail(c->err, p, NULL,
						   "not a valid range (first-last, same family, "
						   "first <= last)");
		} else if (prefix_parse(s, false, &pf) == 0) {
			if (addr_maxlen(pf.addr.family) - pf.len > 16)
				return pol_bj_fail(c->err, p, NULL,
						   "prefix too large (at most %d addresses)",
						   POOL_MAX);
			a = b = pf.addr;
			addr_last(&b, pf.len);
		} else {
			return pol_bj_fail(c->err, p, NULL,
					   "must be an address, a prefix with the host bits clear, "
					   "or a range a-b");
		}
		for (;;) {
			rc = pool_add(c, &a, p);
			if (rc != 0)
				return rc;
			if (addr_order(&a, &b) == 0 || !addr_next(&a))
				break;
		}
	}
	return 0;
}

static int
parse_rules(struct pctx *c, const json_t *obj, const char *path, int64_t host_id, int64_t group_id)
{
	const json_t *arr, *v;
	size_t i;
	char p[160];
	int rc;

	rc = pol_bj_array(obj, "firewall", path, &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		struct pol_fw_rule *r = PUSH(c, fw_rules, cap_fw);

		if (r == NULL)
			return nomem(c);
		pol_bj_index(p, sizeof(p), path, "firewall", i);
		r->host_id = host_id;
		r->group_id = group_id;
		rc = pol_fw_rule_from_json(v, false, r, p, c->err);
		if (rc != 0)
			return rc;
		r->id = (int64_t)c->s->n_fw_rules;
	}
	return 0;
}

static int
parse_groups(struct pctx *c, const json_t *root)
{
	const json_t *arr, *v;
	size_t i;
	char p[160];
	int rc;

	rc = pol_bj_array(root, "groups", "", &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		struct pol_group *g = PUSH(c, groups, cap_groups);

		if (g == NULL)
			return nomem(c);
		pol_bj_index(p, sizeof(p), "", "groups", i);
		if ((rc = pol_group_from_json(v, false, g, p, c->err)) != 0)
			return rc;
		g->id = (int64_t)c->s->n_groups;
		if ((rc = parse_rules(c, v, p, 0, g->id)) != 0)
			return rc;
	}
	return 0;
}

static int
parse_host_groups(struct pctx *c, const json_t *hobj, const char *path, int64_t host_id)
{
	const json_t *arr, *v;
	size_t i, k;
	char p[160];
	int rc;

	rc = pol_bj_array(hobj, "groups", path, &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		struct pol_host_group *hg;

		pol_bj_index(p, sizeof(p), path, "groups", i);
		if (!json_is_string(v))
			return pol_bj_fail(c->err, p, NULL, "must be a group name");
		for (k = 0; k < c->s->n_groups; k++)
			if (strcmp(c->s->groups[k].name, json_string_value(v)) == 0)
				break;
		if (k == c->s->n_groups)
			return pol_bj_fail(c->err, p, NULL, "no group named \"%s\"",
					   json_string_value(v));
		hg = PUSH(c, host_groups, cap_hg);
		if (hg == NULL)
			return nomem(c);
		hg->host_id = host_id;
		hg->group_id = c->s->groups[k].id;
	}
	return 0;
}

static int
parse_hosts(struct pctx *c, const json_t *root)
{
	const json_t *arr, *v, *svcs, *sv;
	size_t i, j;
	char p[160], q[160];
	int rc;

	rc = pol_bj_array(root, "hosts", "", &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		struct pol_host *h = PUSH(c, hosts, cap_hosts);

		if (h == NULL)
			return nomem(c);
		pol_bj_index(p, sizeof(p), "", "hosts", i);
		rc = pol_host_from_json(v, false, h, p, c->err);
		if (rc != 0)
			return rc;
		h->id = (int64_t)c->s->n_hosts;
		if ((rc = parse_host_groups(c, v, p, h->id)) != 0)
			return rc;
		rc = pol_bj_array(v, "services", p, &svcs, c->err);
		if (rc < 0)
			return rc;
		json_array_foreach(svcs, j, sv)
		{
			struct pol_service *svc = PUSH(c, services, cap_svc);

			if (svc == NULL)
				return nomem(c);
			pol_bj_index(q, sizeof(q), p, "services", j);
			rc = pol_service_from_json(sv, false, svc, q, c->err);
			if (rc != 0)
				return rc;
			svc->id = (int64_t)c->s->n_services;
			svc->host_id = h->id;
		}
		rc = parse_rules(c, v, p, h->id, 0);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
parse_alg(struct pctx *c, const json_t *root)
{
	const json_t *arr, *v;
	size_t i;
	char p[160];
	int rc;

	rc = pol_bj_array(root, "alg_routes", "", &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		struct pol_alg_route *r = PUSH(c, alg_routes, cap_alg);

		if (r == NULL)
			return nomem(c);
		pol_bj_index(p, sizeof(p), "", "alg_routes", i);
		rc = pol_alg_route_from_json(v, false, r, p, c->err);
		if (rc != 0)
			return rc;
		r->id = (int64_t)c->s->n_alg_routes;
	}
	return 0;
}

static int
parse_admission(struct pctx *c, const json_t *root)
{
	const json_t *obj = json_object_get(root, "admission"), *arr, *v;
	size_t i;
	char p[160];
	int rc;

	if (obj == NULL)
		return 0;
	rc = pol_admission_from_json(obj, false, &c->s->admission, "admission", c->err);
	if (rc != 0)
		return rc;
	rc = pol_bj_array(obj, "load_brackets", "admission", &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		struct pol_bracket *b = PUSH(c, brackets, cap_br);

		if (b == NULL)
			return nomem(c);
		pol_bj_index(p, sizeof(p), "admission", "load_brackets", i);
		b->position = (int32_t)i;
		rc = pol_bracket_from_json(v, false, b, p, c->err);
		if (rc != 0)
			return rc;
		b->id = (int64_t)c->s->n_brackets;
	}
	return 0;
}

static int
node_add(struct pctx *c, int64_t group_id, const struct addr *a, unsigned len)
{
	struct pol_resolver_node *n = PUSH(c, resolver_nodes, cap_rn);

	if (n == NULL)
		return nomem(c);
	n->id = (int64_t)c->s->n_resolver_nodes;
	n->group_id = group_id;
	n->prefix.addr = *a;
	n->prefix.len = (uint8_t)len;
	return 0;
}

/* A range becomes the smallest set of prefixes covering exactly [a, b]. */
static int
node_range(struct pctx *c, int64_t group_id, struct addr a, const struct addr *b)
{
	unsigned max = addr_maxlen(a.family);

	for (;;) {
		unsigned len = max;
		struct addr last = a;
		int rc;

		while (len > 0) {
			struct addr m = a, l = a;

			addr_mask(&m, len - 1);
			addr_last(&l, len - 1);
			if (addr_order(&m, &a) != 0 || addr_order(&l, b) > 0)
				break;
			len--;
		}
		rc = node_add(c, group_id, &a, len);
		if (rc != 0)
			return rc;
		addr_last(&last, len);
		if (addr_order(&last, b) >= 0)
			return 0;
		a = last;
		if (!addr_next(&a))
			return 0;
	}
}

static int
parse_resolvers(struct pctx *c, const json_t *root)
{
	const json_t *arr, *v, *nodes, *nv;
	size_t i, j;
	char p[160], q[160];
	int rc;

	rc = pol_bj_array(root, "resolver_groups", "", &arr, c->err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_array_foreach(arr, i, v)
	{
		struct pol_resolver_group *g = PUSH(c, resolver_groups, cap_rg);

		if (g == NULL)
			return nomem(c);
		pol_bj_index(p, sizeof(p), "", "resolver_groups", i);
		rc = pol_resolver_group_from_json(v, false, g, p, c->err);
		if (rc != 0)
			return rc;
		g->id = (int64_t)c->s->n_resolver_groups;
		rc = pol_bj_array(v, "nodes", p, &nodes, c->err);
		if (rc < 0)
			return rc;
		json_array_foreach(nodes, j, nv)
		{
			const char *s = json_string_value(nv);
			struct prefix pf;
			struct addr a, b;

			pol_bj_index(q, sizeof(q), p, "nodes", j);
			if (s != NULL && strchr(s, '-') != NULL && parse_range(s, &a, &b) == 0)
				rc = node_range(c, g->id, a, &b);
			else if (s != NULL && strchr(s, '-') == NULL &&
				 prefix_parse(s, false, &pf) == 0)
				rc = node_add(c, g->id, &pf.addr, pf.len);
			else
				return pol_bj_fail(
					c->err, q, NULL,
					"must be an address, a prefix with the host bits "
					"clear, or a range a-b");
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* ---- export ---- */

static int
addr_sort_cmp(const void *x, const void *y)
{
	return addr_order(x, y);
}

/* Pool addresses, sorted, as maximal "first-last" ranges (a lone address alone). */
static json_t *
export_pool(const struct pol_snap *s)
{
	json_t *arr = json_array();
	struct addr *a = calloc(s->n_pool_addrs + 1, sizeof(*a));
	char b1[ADDR_STRLEN], b2[ADDR_STRLEN], buf[2 * ADDR_STRLEN + 2];

	if (arr == NULL || a == NULL)
		goto fail;
	for (size_t i = 0; i < s->n_pool_addrs; i++)
		a[i] = s->pool_addrs[i].addr;
	util_sort(a, s->n_pool_addrs, sizeof(*a), addr_sort_cmp);
	for (size_t i = 0; i < s->n_pool_addrs;) {
		size_t j = i;

		for (;;) {
			struct addr next = a[j];

			if (j + 1 >= s->n_pool_addrs || !addr_next(&next) ||
			    addr_order(&next, &a[j + 1]) != 0)
				break;
			j++;
		}
		addr_ntop(&a[i], b1, sizeof(b1));
		if (j == i) {
			util_strlcpy(buf, b1, sizeof(buf));
		} else {
			addr_ntop(&a[j], b2, sizeof(b2));
			snprintf(buf, sizeof(buf), "%s-%s", b1, b2);
		}
		if (json_array_append_new(arr, json_string(buf)) != 0)
			goto fail;
		i = j + 1;
	}
	free(a);
	return arr;
fail:
	free(a);
	json_decref(arr);
	return NULL;
}

static int
bracket_order(const void *x, const void *y)
{
	const struct pol_bracket *a = *(const struct pol_bracket *const *)x;
	const struct pol_bracket *b = *(const struct pol_bracket *const *)y;

	if (a->position != b->position)
		return a->position < b->position ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static json_t *
export_admission(const struct pol_snap *s)
{
	json_t *o = pol_admission_to_json(&s->admission);
	json_t *arr = json_array();
	const struct pol_bracket **order = calloc(s->n_brackets + 1, sizeof(*order));

	if (o == NULL || arr == NULL || order == NULL ||
	    json_object_set_new(o, "load_brackets", arr) != 0) {
		if (o == NULL || json_object_get(o, "load_brackets") != arr)
			json_decref(arr);
		goto fail;
	}
	for (size_t i = 0; i < s->n_brackets; i++)
		order[i] = &s->brackets[i];
	util_sort(order, s->n_brackets, sizeof(*order), bracket_order);
	for (size_t i = 0; i < s->n_brackets; i++)
		if (json_array_append_new(arr, pol_bracket_to_json(s, order[i])) != 0)
			goto fail;
	free(order);
	return o;
fail:
	free(order);
	json_decref(o);
	return NULL;
}

static json_t *
export_addresses(const struct pol_snap *s)
{
	json_t *arr = json_array();

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_service_addrs; i++) {
		const struct pol_service_addr *sa = &s->service_addrs[i];
		json_t *v = sa->comment[0] == '\0' ? pol_bj_addr_json(&sa->addr)
						   : pol_service_addr_to_json(s, sa);

		if (json_array_append_new(arr, v) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* Append the rows of table t, each as its codec writes it. */
static int
export_rows(json_t *root, const char *key, const struct pol_table *t, const struct pol_snap *s)
{
	json_t *arr = json_array();

	if (arr == NULL || json_object_set_new(root, key, arr) != 0)
		return -ENOMEM;
	for (size_t i = 0; i < pol_table_count(t, s); i++)
		if (json_array_append_new(arr, t->to_json(s, pol_table_row(t, s, i))) != 0)
			return -ENOMEM;
	return 0;
}

/* Rows of one kind ordered by (owner host id, id), to find a host's rows by bisection. */
struct by_host {
	const struct pol_snap *s;
	int64_t (*key)(const struct pol_snap *s, size_t i);
	size_t *idx;
	size_t n;
};

static int64_t
svc_host(const struct pol_snap *s, size_t i)
{
	return s->services[i].host_id;
}

static int64_t
fw_host(const struct pol_snap *s, size_t i)
{
	return s->fw_rules[i].host_id;
}

static int64_t
hg_host(const struct pol_snap *s, size_t i)
{
	return s->host_groups[i].host_id;
}

static int
by_host_cmp(const void *x, const void *y, void *ctx)
{
	const struct by_host *b = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int64_t ki = b->key(b->s, i), kj = b->key(b->s, j);

	if (ki != kj)
		return ki < kj ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int
by_host_init(struct by_host *b, const struct pol_snap *s, size_t n,
	     int64_t (*key)(const struct pol_snap *, size_t))
{
	b->s = s;
	b->key = key;
	b->n = n;
	b->idx = calloc(n + 1, sizeof(*b->idx));
	if (b->idx == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		b->idx[i] = i;
	qsort_r(b->idx, n, sizeof(*b->idx), by_host_cmp, b);
	return 0;
}

/* The run of indexes whose owner is host_id. */
static const size_t *
by_host_range(const struct by_host *b, int64_t host_id, size_t *n)
{
	size_t lo = 0, hi = b->n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->key(b->s, b->idx[mid]) < host_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < b->n && b->key(b->s, b->idx[end]) == host_id; end++)
		;
	*n = end - lo;
	return b->idx + lo;
}

static int
export_hosts(json_t *root, const struct pol_snap *s)
{
	struct by_host svc = { 0 }, fw = { 0 }, hg = { 0 };
	json_t *arr = json_array();
	int rc = -ENOMEM;

	if (arr == NULL || json_object_set_new(root, "hosts", arr) != 0)
		return -ENOMEM;
	if (by_host_init(&svc, s, s->n_services, svc_host) != 0 ||
	    by_host_init(&fw, s, s->n_fw_rules, fw_host) != 0 ||
	    by_host_init(&hg, s, s->n_host_groups, hg_host) != 0)
		goto out;
	for (size_t i = 0; i < s->n_hosts; i++) {
		struct pol_bj_parts p;
		int64_t id = s->hosts[i].id;

		p.svc = by_host_range(&svc, id, &p.n_svc);
		p.fw = by_host_range(&fw, id, &p.n_fw);
		p.hg = by_host_range(&hg, id, &p.n_hg);
		if (json_array_append_new(arr, pol_bj_host(s, &s->hosts[i], &p)) != 0)
			goto out;
	}
	rc = 0;
out:
	free(svc.idx);
	free(fw.idx);
	free(hg.idx);
	return rc;
}

json_t *
pol_bundle_export(const struct pol_snap *s)
{
	json_t *root = json_object();

	if (root == NULL)
		return NULL;
	if (json_object_set_new(root, "version", json_integer(BUNDLE_VERSION)) != 0 ||
	    export_rows(root, "zones", &pol_t_zone, s) != 0 ||
	    json_object_set_new(root, "service_addresses", export_addresses(s)) != 0 ||
	    json_object_set_new(root, "pool", export_pool(s)) != 0 ||
	    export_rows(root, "groups", &pol_t_group, s) != 0 || export_hosts(root, s) != 0 ||
	    export_rows(root, "alg_routes", &pol_t_alg_route, s) != 0 ||
	    json_object_set_new(root, "admission", export_admission(s)) != 0 ||
	    export_rows(root, "resolver_groups", &pol_t_resolver_group, s) != 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

char *
pol_bundle_export_text(const struct pol_snap *s)
{
	json_t *root = pol_bundle_export(s);
	char *text, *out;
	size_t len;

	if (root == NULL)
		return NULL;
	/* 15 significant digits: decimal -> double -> decimal is the identity, so exports
	 * are stable across round trips */
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	json_decref(root);
	if (text == NULL)
		return NULL;
	len = strlen(text);
	out = realloc(text, len + 2);
	if (out == NULL) {
		free(text);
		return NULL;
	}
	out[len] = '\n';
	out[len + 1] = '\0';
	return out;
}
