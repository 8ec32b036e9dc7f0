/* SPDX-License-Identifier: MIT */
/* policy/session.c -- one-time session names: a concurrent table outside the policy snapshot */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/htab.h"
#include "../common/util.h"
#include "session.h"

#define SHARDS 64 /* power of two */

/* Compact: a million names must fit in memory (about 130 bytes each). */
struct entry {
	struct hnode hn; /* under the name's hash without its shard bits */
	int64_t created_ms, deadline_ms, ended_ms;
	uint32_t max_uses;
	_Atomic uint32_t uses;
	uint16_t tenant_off, service_off; /* in str */
	char str[];			  /* name \0 tenant \0 service \0 */
};

struct shard {
	pthread_rwlock_t lock;
	struct htab t;
};

struct pol_sessions {
	struct shard shards[SHARDS];
	uint8_t key[16]; /* SipHash key: bucket placement cannot be aimed at */
	size_t max_names;
	_Atomic size_t n;
	uint64_t keep_ended_ms;
};

static uint64_t name_hash(const struct pol_sessions *t, const char *name);
static struct entry *find(struct shard *sh, uint64_t h, const char *name);
static bool free_entry(struct hnode *hn, void *arg);
static bool sweep_entry(struct hnode *hn, void *arg);
static bool ended(const struct entry *e, int64_t now_ms);
static void entry_copy(const struct entry *e, struct pol_sess *out);

static uint64_t
name_hash(const struct pol_sessions *t, const char *name)
{
	return util_siphash24(t->key, name, strlen(name));
}

/* h: the name's whole hash; its low bits chose the shard, the rest place it in the shard */
static struct entry *
find(struct shard *sh, uint64_t h, const char *name)
{
	struct hnode *hn;

	htab_for_each(&sh->t, h >> 6, hn) {
		struct entry *e = htab_item(hn, struct entry, hn);

		if (hn->hash == h >> 6 && strcmp(e->str, name) == 0)
			return e;
	}
	return NULL;
}

static bool
ended(const struct entry *e, int64_t now_ms)
{
	uint32_t uses = atomic_load_explicit(&e->uses, memory_order_relaxed);

	return e->ended_ms != 0 || now_ms >= e->deadline_ms ||
	       (e->max_uses != 0 && uses >= e->max_uses);
}

static void
entry_copy(const struct entry *e, struct pol_sess *out)
{
	memset(out, 0, sizeof(*out));
	util_strlcpy(out->name, e->str, sizeof(out->name));
	util_strlcpy(out->tenant, e->str + e->tenant_off, sizeof(out->tenant));
	util_strlcpy(out->service, e->str + e->service_off, sizeof(out->service));
	out->created_ms = e->created_ms;
	out->deadline_ms = e->deadline_ms;
	out->ended_ms = e->ended_ms;
	out->max_uses = e->max_uses;
	out->uses = atomic_load_explicit(&e->uses, memory_order_relaxed);
}

struct pol_sessions *
pol_sess_new(size_t max_names, uint64_t keep_ended_ms)
{
	struct pol_sessions *t = calloc(1, sizeof(*t));
	size_t i = 0;

	if (t == NULL)
		return NULL;
	t->max_names = max_names;
	t->keep_ended_ms = keep_ended_ms;
	if (util_random(t->key, sizeof(t->key)) < 0)
		goto fail;
	for (i = 0; i < SHARDS; i++) {
		struct shard *sh = &t->shards[i];

		if (htab_init(&sh->t, 64) < 0)
			goto fail;
		if (pthread_rwlock_init(&sh->lock, NULL) != 0) {
			htab_fini(&sh->t);
			goto fail;
		}
	}
	return t;
fail:
	while (i-- > 0) {
		pthread_rwlock_destroy(&t->shards[i].lock);
		htab_fini(&t->shards[i].t);
	}
	free(t);
	return NULL;
}

void
pol_sess_free(struct pol_sessions *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *sh = &t->shards[i];

		htab_sweep(&sh->t, free_entry, NULL);
		htab_fini(&sh->t);
		pthread_rwlock_destroy(&sh->lock);
	}
	free(t);
}

int
pol_sess_label(char *out, size_t len)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t r[17];
	int rc;

	if (len < POL_SESS_LABEL_LEN + 1)
		return -ENOSPC;
	rc = util_random(r, sizeof(r));
	if (rc < 0)
		return rc;
	out[0] = 's';
	out[1] = '-';
	/* 26 characters of 5 bits each from the 136 random bits */
	for (unsigned i = 0; i < POL_SESS_LABEL_LEN - 2; i++) {
		unsigned bit = i * 5, byte = bit / 8, sh = bit % 8;
		unsigned v = ((unsigned)r[byte] << 8 | r[byte + 1]) >> (11 - sh);
		out[2 + i] = b32[v & 31];
	}
	out[POL_SESS_LABEL_LEN] = '\0';
	return 0;
}

int
pol_sess_add(struct pol_sessions *t, const struct pol_sess *s)
{
	uint64_t h = name_hash(t, s->name);
	struct shard *sh = &t->shards[h & (SHARDS - 1)];
	struct entry *e;
	int rc = 0;

	size_t nl = strnlen(s->name, sizeof(s->name) - 1) + 1;
	size_t tl = strnlen(s->tenant, sizeof(s->tenant) - 1) + 1;
	size_t sl = strnlen(s->service, sizeof(s->service) - 1) + 1;

	if (atomic_load(&t->n) >= t->max_names)
		return -ENOSPC;
	e = malloc(sizeof(*e) + nl + tl + sl);
	if (e == NULL)
		return -ENOMEM;
	e->created_ms = s->created_ms;
	e->deadline_ms = s->deadline_ms;
	e->ended_ms = s->ended_ms;
	e->max_uses = s->max_uses;
	atomic_init(&e->uses, s->uses);
	e->tenant_off = (uint16_t)nl;
	e->service_off = (uint16_t)(nl + tl);
	memcpy(e->str, s->name, nl - 1);
	e->str[nl - 1] = '\0';
	memcpy(e->str + nl, s->tenant, tl - 1);
	e->str[nl + tl - 1] = '\0';
	memcpy(e->str + nl + tl, s->service, sl - 1);
	e->str[nl + tl + sl - 1] = '\0';
	pthread_rwlock_wrlock(&sh->lock);
	if (find(sh, h, s->name) != NULL) {
		rc = -EEXIST;
	} else {
		htab_add(&sh->t, &e->hn, h >> 6);
		atomic_fetch_add(&t->n, 1);
		e = NULL;
	}
	pthread_rwlock_unlock(&sh->lock);
	free(e);
	return rc;
}

enum pol_sess_state
pol_sess_lookup(struct pol_sessions *t, const char *name, int64_t now_ms, bool charge,
		char *service, size_t len, char *tenant)
{
	uint64_t h = name_hash(t, name);
	struct shard *sh = &t->shards[h & (SHARDS - 1)];
	enum pol_sess_state st = POL_SESS_NONE;
	struct entry *e;

	pthread_rwlock_rdlock(&sh->lock);
	e = find(sh, h, name);
	if (e != NULL) {
		st = ended(e, now_ms) ? POL_SESS_ENDED : POL_SESS_LIVE;
		if (st == POL_SESS_LIVE && charge && e->max_uses != 0) {
			/* concurrent charges: only the ones below max_uses count */
			uint32_t u = atomic_fetch_add(&e->uses, 1);
			if (u >= e->max_uses)
				st = POL_SESS_ENDED;
		}
		if (st == POL_SESS_LIVE) {
			util_strlcpy(service, e->str + e->service_off, len);
			if (tenant)
				util_strlcpy(tenant, e->str + e->tenant_off, POL_TENANT_MAX);
		}
	}
	pthread_rwlock_unlock(&sh->lock);
	return st;
}

int
pol_sess_get(struct pol_sessions *t, const char *name, struct pol_sess *out)
{
	uint64_t h = name_hash(t, name);
	struct shard *sh = &t->shards[h & (SHARDS - 1)];
	struct entry *e;

	pthread_rwlock_rdlock(&sh->lock);
	e = find(sh, h, name);
	if (e != NULL)
		entry_copy(e, out);
	pthread_rwlock_unlock(&sh->lock);
	return e != NULL ? 0 : -ENOENT;
}

int
pol_sess_end(struct pol_sessions *t, const char *name, const char *tenant, int64_t now_ms)
{
	uint64_t h = name_hash(t, name);
	struct shard *sh = &t->shards[h & (SHARDS - 1)];
	struct entry *e;
	int rc = 0;

	pthread_rwlock_wrlock(&sh->lock);
	e = find(sh, h, name);
	if (e == NULL || (tenant != NULL && strcmp(e->str + e->tenant_off, tenant) != 0))
		rc = -ENOENT;
	else if (e->ended_ms != 0)
		rc = -EALREADY;
	else
		e->ended_ms = now_ms;
	pthread_rwlock_unlock(&sh->lock);
	return rc;
}

static bool
free_entry(struct hnode *hn, void *arg)
{
	(void)arg;
	free(htab_item(hn, struct entry, hn));
	return true;
}

struct sweep {
	struct pol_sessions *t;
	int64_t now_ms;
	void (*forget)(void *arg, const struct pol_sess *s);
	void *arg;
};

/* Drop (and free) an entry ended or used up longer than keep_ended_ms ago. */
static bool
sweep_entry(struct hnode *hn, void *arg)
{
	const struct sweep *sw = arg;
	struct entry *e = htab_item(hn, struct entry, hn);
	int64_t end = e->ended_ms ? e->ended_ms : e->deadline_ms;

	/* used up: its end is unknown; the deadline bounds it */
	if (sw->now_ms - end < (int64_t)sw->t->keep_ended_ms ||
	    (e->ended_ms == 0 && sw->now_ms < e->deadline_ms))
		return false;
	if (sw->forget) {
		struct pol_sess c;

		entry_copy(e, &c);
		sw->forget(sw->arg, &c);
	}
	free(e);
	return true;
}

size_t
pol_sess_sweep(struct pol_sessions *t, int64_t now_ms,
	       void (*forget)(void *arg, const struct pol_sess *s), void *arg)
{
	struct sweep sw = { t, now_ms, forget, arg };
	size_t gone = 0, n;

	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *sh = &t->shards[i];

		pthread_rwlock_wrlock(&sh->lock);
		n = htab_sweep(&sh->t, sweep_entry, &sw);
		pthread_rwlock_unlock(&sh->lock);
		atomic_fetch_sub(&t->n, n);
		gone += n;
	}
	return gone;
}

bool
pol_tenant_owns(const struct pol_tenant *t, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < t->n_domains; i++) {
		size_t dl = strlen(t->domains[i]);
		if (dl <= nl && strcmp(name + nl - dl, t->domains[i]) == 0 &&
		    (dl == nl || name[nl - dl - 1] == '.'))
			return true;
	}
	return false;
}

size_t
pol_sess_count(struct pol_sessions *t)
{
	return atomic_load(&t->n);
}

uint64_t
pol_sess_keep_ended_ms(const struct pol_sessions *t)
{
	return t->keep_ended_ms;
}
