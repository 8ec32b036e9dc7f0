/* SPDX-License-Identifier: MIT */
/* nat/model.c -- desired content of rgwd's nft table, and the diff that moves the kernel to it */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/rule.h>

#include "../common/array.h"
#include "../common/util.h"
#include "model.h"

struct mrule {
	struct nftnl_rule *r;
	uint8_t *bytes;
	size_t len;
	char *desc;
};

struct mchain {
	char name[NAT_NFT_NAME_MAX];
	char type[8];
	bool base;
	int hook, prio, policy;
	struct mrule *rules;
	size_t n, cap;
};

struct mset {
	struct nat_nft_set_spec spec;
	struct nat_nft_elem *e;
	size_t n, cap;
	bool sorted;
};

struct mobj {
	char name[NAT_NFT_NAME_MAX];
	char helper[16];
	uint8_t l4proto;
};

struct nat_model {
	int family;
	char table[64];
	struct mchain *chains;
	size_t nc, capc;
	struct mset *sets;
	size_t ns, caps;
	struct mobj *objs;
	size_t no, capo;
	/* Name indexes (open addressing, value = array index + 1): thousands of host chains
	 * must not make building and diffing quadratic. */
	uint32_t *cidx, *sidx;
	size_t cidx_cap, sidx_cap;
};

static struct mchain *chain_find(const struct nat_model *m, const char *name);
static struct mset *set_find(const struct nat_model *m, const char *name);
static bool chains_equal(const struct mchain *a, const struct mchain *b);
static int elem_cmp(const void *a, const void *b);

struct nat_model *
nat_model_new(int family, const char *table)
{
	struct nat_model *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->family = family;
	strncpy(m->table, table, sizeof(m->table) - 1);
	return m;
}

void
nat_model_free(struct nat_model *m)
{
	size_t i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->nc; i++) {
		for (j = 0; j < m->chains[i].n; j++) {
			nftnl_rule_free(m->chains[i].rules[j].r);
			free(m->chains[i].rules[j].bytes);
			free(m->chains[i].rules[j].desc);
		}
		free(m->chains[i].rules);
	}
	for (i = 0; i < m->ns; i++)
		free(m->sets[i].e);
	free(m->chains);
	free(m->sets);
	free(m->objs);
	free(m->cidx);
	free(m->sidx);
	free(m);
}

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static const char *
chain_name(const struct nat_model *m, size_t i)
{
	return m->chains[i].name;
}

static const char *
set_name(const struct nat_model *m, size_t i)
{
	return m->sets[i].spec.name;
}

/* Slot of name in idx (its value, or the empty slot where it would go). */
static size_t
idx_slot(const struct nat_model *m, const uint32_t *idx, size_t cap, const char *name,
	 const char *(*get)(const struct nat_model *, size_t))
{
	size_t i = name_hash(name) & (cap - 1);

	while (idx[i] && strcmp(get(m, idx[i] - 1), name) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Index entry n - 1 (just appended); grows and rebuilds at half load. */
static int
idx_add(struct nat_model *m, uint32_t **idx, size_t *cap, size_t n,
	const char *(*get)(const struct nat_model *, size_t))
{
	size_t i;

	if (2 * n > *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint32_t *ni = calloc(nc, sizeof(*ni));

		if (ni == NULL)
			return -ENOMEM;
		free(*idx);
		*idx = ni;
		*cap = nc;
		for (i = 0; i + 1 < n; i++)
			(*idx)[idx_slot(m, *idx, nc, get(m, i), get)] = (uint32_t)i + 1;
	}
	(*idx)[idx_slot(m, *idx, *cap, get(m, n - 1), get)] = (uint32_t)n;
	return 0;
}

static struct mchain *
chain_find(const struct nat_model *m, const char *name)
{
	size_t i;

	if (m->cidx_cap == 0)
		return NULL;
	i = idx_slot(m, m->cidx, m->cidx_cap, name, chain_name);
	return m->cidx[i] ? &m->chains[m->cidx[i] - 1] : NULL;
}

static struct mset *
set_find(const struct nat_model *m, const char *name)
{
	size_t i;

	if (m->sidx_cap == 0)
		return NULL;
	i = idx_slot(m, m->sidx, m->sidx_cap, name, set_name);
	return m->sidx[i] ? &m->sets[m->sidx[i] - 1] : NULL;
}

static const struct mobj *
obj_find(const struct nat_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->no; i++)
		if (strcmp(m->objs[i].name, name) == 0)
			return &m->objs[i];
	return NULL;
}

int
nat_model_set(struct nat_model *m, const struct nat_nft_set_spec *spec)
{
	struct mset *s;

	if (set_find(m, spec->name))
		return -EEXIST;
	s = ARRAY_PUSH(m->sets, m->ns, m->caps);
	if (s == NULL)
		return -ENOMEM;
	s->spec = *spec;
	if (idx_add(m, &m->sidx, &m->sidx_cap, m->ns, set_name) < 0) {
		m->ns--;
		return -ENOMEM;
	}
	return 0;
}

int
nat_model_elem(struct nat_model *m, const char *set, const struct nat_nft_elem *e)
{
	struct mset *s = set_find(m, set);
	struct nat_nft_elem *x;

	if (s == NULL)
		return -ENOENT;
	x = ARRAY_PUSH(s->e, s->n, s->cap);
	if (x == NULL)
		return -ENOMEM;
	*x = *e;
	s->sorted = false;
	return 0;
}

int
nat_model_chain(struct nat_model *m, const char *name, const char *type, int hook, int prio,
		int policy)
{
	struct mchain *c;

	if (chain_find(m, name))
		return -EEXIST;
	c = ARRAY_PUSH(m->chains, m->nc, m->capc);
	if (c == NULL)
		return -ENOMEM;
	strncpy(c->name, name, sizeof(c->name) - 1);
	if (type != NULL) {
		c->base = true;
		strncpy(c->type, type, sizeof(c->type) - 1);
		c->hook = hook;
		c->prio = prio;
		c->policy = policy;
	}
	if (idx_add(m, &m->cidx, &m->cidx_cap, m->nc, chain_name) < 0) {
		m->nc--;
		return -ENOMEM;
	}
	return 0;
}

int
nat_model_rule(struct nat_model *m, const char *chain, struct nftnl_rule *r, const char *desc)
{
	struct mchain *c = chain_find(m, chain);
	struct mrule *x;

	if (c == NULL || (x = ARRAY_PUSH(c->rules, c->n, c->cap)) == NULL) {
		nftnl_rule_free(r);
		return c == NULL ? -ENOENT : -ENOMEM;
	}
	x->r = r;
	x->desc = strdup(desc ? desc : "");
	if (x->desc == NULL || nat_nft_rule_bytes(r, &x->bytes, &x->len) < 0) {
		free(x->desc);
		nftnl_rule_free(r);
		c->n--;
		return -ENOMEM;
	}
	return 0;
}

int
nat_model_ct_helper(struct nat_model *m, const char *name, const char *helper, uint8_t l4proto)
{
	struct mobj *o = ARRAY_PUSH(m->objs, m->no, m->capo);

	if (o == NULL)
		return -ENOMEM;
	strncpy(o->name, name, sizeof(o->name) - 1);
	strncpy(o->helper, helper, sizeof(o->helper) - 1);
	o->l4proto = l4proto;
	return 0;
}

size_t
nat_model_nrules(const struct nat_model *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nc; i++)
		n += m->chains[i].n;
	return n;
}

size_t
nat_model_nchains(const struct nat_model *m)
{
	return m->nc;
}

size_t
nat_model_nelems(const struct nat_model *m, const char *set)
{
	const struct mset *s = set_find(m, set);

	return s ? s->n : 0;
}

/* ---- diff ---- */

static int
elem_cmp(const void *a, const void *b)
{
	const struct nat_nft_elem *x = a, *y = b;
	int c = memcmp(x->key, y->key, sizeof(x->key));

	if (c)
		return c;
	if (x->interval_end != y->interval_end)
		return x->interval_end ? 1 : -1;
	c = memcmp(x->data, y->data, sizeof(x->data));
	if (c)
		return c;
	return strcmp(x->jump, y->jump);
}

static void
set_sort(const struct mset *cs)
{
	struct mset *s = (struct mset *)(uintptr_t)cs;

	/* Sorting does not change what the set means; it makes the diff a merge walk. */
	if (!s->spec.interval && !s->sorted && s->n > 1) {
		util_sort(s->e, s->n, sizeof(*s->e), elem_cmp);
		s->sorted = true;
	}
}

static bool
chains_equal(const struct mchain *a, const struct mchain *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->rules[i].len != b->rules[i].len ||
		    memcmp(a->rules[i].bytes, b->rules[i].bytes, a->rules[i].len) != 0)
			return false;
	return true;
}

static bool
base_equal(const struct mchain *a, const struct mchain *b)
{
	return a->base == b->base && strcmp(a->type, b->type) == 0 && a->hook == b->hook &&
	       a->prio == b->prio && a->policy == b->policy;
}

static int
add_chain(const struct nat_model *m, const struct mchain *c, struct nat_nft_batch *b)
{
	return nat_nft_add_chain(b, m->family, m->table, c->name, c->base ? c->type : NULL, c->hook,
				 c->prio, c->policy);
}

static int
add_rules(const struct nat_model *m, const struct mchain *c, struct nat_nft_batch *b)
{
	size_t i;
	int rc;

	(void)m;
	for (i = 0; i < c->n; i++)
		if ((rc = nat_nft_add_rule_ref(b, c->rules[i].r, c->rules[i].desc)) < 0)
			return rc;
	return 0;
}

static bool
spec_equal(const struct nat_nft_set_spec *a, const struct nat_nft_set_spec *b)
{
	return a->key_type == b->key_type && a->key_len == b->key_len &&
	       a->data_type == b->data_type && a->data_len == b->data_len &&
	       a->interval == b->interval && a->timeout == b->timeout;
}

/* Elements of o not in n are deleted, elements of n not in o are added. */
static int
diff_elems(const struct nat_model *m, const struct mset *o, const struct mset *n,
	   struct nat_nft_batch *b)
{
	struct nat_nft_elem *del = NULL, *add = NULL;
	size_t i = 0, j = 0, nd = 0, na = 0;
	int rc = 0;

	if (n->spec.interval) {
		bool same = o->n == n->n && memcmp(o->e, n->e, o->n * sizeof(*o->e)) == 0;

		if (same)
			return 0;
		if ((rc = nat_nft_flush_set(b, m->family, m->table, n->spec.name)) < 0)
			return rc;
		return nat_nft_elems(b, false, m->family, m->table, n->spec.name, n->e, n->n);
	}
	set_sort(o);
	set_sort(n);
	del = calloc(o->n + 1, sizeof(*del));
	add = calloc(n->n + 1, sizeof(*add));
	if (del == NULL || add == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (i < o->n || j < n->n) {
		int c = i == o->n ? 1 : j == n->n ? -1 : elem_cmp(&o->e[i], &n->e[j]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			del[nd++] = o->e[i++];
		} else {
			add[na++] = n->e[j++];
		}
	}
	/* A changed map value shows up as delete + add of the same key: delete first. */
	if (nd && (rc = nat_nft_elems(b, true, m->family, m->table, n->spec.name, del, nd)) < 0)
		goto out;
	if (na)
		rc = nat_nft_elems(b, false, m->family, m->table, n->spec.name, add, na);
out:
	free(del);
	free(add);
	return rc;
}

int
nat_model_diff(const struct nat_model *old, const struct nat_model *n, struct nat_nft_batch *b)
{
	static const struct mset empty;
	size_t i;
	int rc;

	if (old == NULL) {
		if ((rc = nat_nft_add_table(b, n->family, n->table)) < 0 ||
		    (rc = nat_nft_del_table(b, n->family, n->table)) < 0 ||
		    (rc = nat_nft_add_table(b, n->family, n->table)) < 0)
			return rc;
	}
	/* 1. New objects, sets and chains (empty), so that rules and elements can refer to them. */
	for (i = 0; i < n->no; i++) {
		if (old && obj_find(old, n->objs[i].name))
			continue;
		if ((rc = nat_nft_add_ct_helper(b, n->family, n->table, n->objs[i].name,
						n->objs[i].helper, n->objs[i].l4proto)) < 0)
			return rc;
	}
	for (i = 0; i < n->ns; i++) {
		const struct mset *os = old ? set_find(old, n->sets[i].spec.name) : NULL;

		if (os && spec_equal(&os->spec, &n->sets[i].spec))
			continue;
		if (os && (rc = nat_nft_del_set(b, n->family, n->table, os->spec.name)) < 0)
			return rc;
		if ((rc = nat_nft_add_set(b, n->family, n->table, &n->sets[i].spec,
					  (uint32_t)i + 1)) < 0)
			return rc;
	}
	for (i = 0; i < n->nc; i++) {
		const struct mchain *oc = old ? chain_find(old, n->chains[i].name) : NULL;

		if (oc && base_equal(oc, &n->chains[i]))
			continue;
		if ((rc = add_chain(n, &n->chains[i], b)) < 0)
			return rc;
	}
	/* 2. Elements (verdict maps may now jump to the new chains). */
	for (i = 0; i < n->ns; i++) {
		const struct mset *os = old ? set_find(old, n->sets[i].spec.name) : NULL;

		if (os && !spec_equal(&os->spec, &n->sets[i].spec))
			os = NULL;
		if ((rc = diff_elems(n, os ? os : &empty, &n->sets[i], b)) < 0)
			return rc;
	}
	/* 3. Rules of new and changed chains. */
	for (i = 0; i < n->nc; i++) {
		const struct mchain *oc = old ? chain_find(old, n->chains[i].name) : NULL;

		if (oc && chains_equal(oc, &n->chains[i]))
			continue;
		if (oc && (rc = nat_nft_flush_chain(b, n->family, n->table, oc->name)) < 0)
			return rc;
		if ((rc = add_rules(n, &n->chains[i], b)) < 0)
			return rc;
	}
	if (old == NULL)
		return 0;
	/* 4. Chains, sets and objects that are gone (their references went in 2 and 3). */
	for (i = 0; i < old->nc; i++) {
		if (chain_find(n, old->chains[i].name))
			continue;
		if ((rc = nat_nft_flush_chain(b, n->family, n->table, old->chains[i].name)) < 0)
			return rc;
	}
	for (i = 0; i < old->nc; i++) {
		if (chain_find(n, old->chains[i].name))
			continue;
		if ((rc = nat_nft_del_chain(b, n->family, n->table, old->chains[i].name)) < 0)
			return rc;
	}
	for (i = 0; i < old->ns; i++) {
		if (set_find(n, old->sets[i].spec.name))
			continue;
		if ((rc = nat_nft_del_set(b, n->family, n->table, old->sets[i].spec.name)) < 0)
			return rc;
	}
	for (i = 0; i < old->no; i++) {
		if (obj_find(n, old->objs[i].name))
			continue;
		if ((rc = nat_nft_del_ct_helper(b, n->family, n->table, old->objs[i].name)) < 0)
			return rc;
	}
	return 0;
}
