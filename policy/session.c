/* SPDX-License-Identifier: MIT */
/* policy/session.c -- one-time session names: a concurrent table outside the policy snapshot */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "session.h"

#define SHARDS 64 /* power of two */

struct entry {
	struct entry *next;
	uint64_t hash;
	struct pol_sess s;
	_Atomic uint32_t uses;
};

struct shard {
	pthread_rwlock_t lock;
	struct entry **buckets;
	size_t n_buckets; /* power of two */
	size_t n;
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
static int grow(struct shard *sh);
static bool ended(const struct entry *e, int64_t now_ms);

static uint64_t
name_hash(const struct pol_sessions *t, const char *name)
{
	return util_siphash24(t->key, name, strlen(name));
}

static struct entry *
find(struct shard *sh, uint64_t h, const char *name)
{
	for (struct entry *e = sh->buckets[(h >> 6) & (sh->n_buckets - 1)]; e; e = e->next)
		if (e->hash == h && strcmp(e->s.name, name) == 0)
			return e;
	return NULL;
}

/* Write lock held. */
static int
grow(struct shard *sh)
{
	size_t nb = sh->n_buckets * 2;
	struct entry **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < sh->n_buckets; i++) {
		struct entry *e = sh->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			size_t k = (e->hash >> 6) & (nb - 1);
			e->next = b[k];
			b[k] = e;
		}
	}
	free(sh->buckets);
	sh->buckets = b;
	sh->n_buckets = nb;
	return 0;
}

static bool
ended(const struct entry *e, int64_t now_ms)
{
	uint32_t uses = atomic_load_explicit(&e->uses, memory_order_relaxed);

	return e->s.ended_ms != 0 || now_ms >= e->s.deadline_ms ||
	       (e->s.max_uses != 0 && uses >= e->s.max_uses);
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
		sh->n_buckets = 64;
		sh->buckets = calloc(sh->n_buckets, sizeof(*sh->buckets));
		if (sh->buckets == NULL || pthread_rwlock_init(&sh->lock, NULL) != 0) {
			free(sh->buckets);
			goto fail;
		}
	}
	return t;
fail:
	while (i-- > 0) {
		pthread_rwlock_destroy(&t->shards[i].lock);
		free(t->shards[i].buckets);
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
		for (size_t b = 0; b < sh->n_buckets; b++) {
			struct entry *e = sh->buckets[b], *next;
			for (; e; e = next) {
				next = e->next;
				free(e);
			}
		}
		free(sh->buckets);
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

	if (atomic_load(&t->n) >= t->max_names)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->hash = h;
	e->s = *s;
	atomic_init(&e->uses, s->uses);
	pthread_rwlock_wrlock(&sh->lock);
	if (find(sh, h, s->name) != NULL) {
		rc = -EEXIST;
	} else if (sh->n >= sh->n_buckets && grow(sh) < 0) {
		rc = -ENOMEM;
	} else {
		size_t k = (h >> 6) & (sh->n_buckets - 1);
		e->next = sh->buckets[k];
		sh->buckets[k] = e;
		sh->n++;
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
		if (st == POL_SESS_LIVE && charge && e->s.max_uses != 0) {
			/* concurrent charges: only the ones below max_uses count */
			uint32_t u = atomic_fetch_add(&e->uses, 1);
			if (u >= e->s.max_uses)
				st = POL_SESS_ENDED;
		}
		if (st == POL_SESS_LIVE) {
			util_strlcpy(service, e->s.service, len);
			if (tenant)
				util_strlcpy(tenant, e->s.tenant, POL_TENANT_MAX);
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
	if (e != NULL) {
		*out = e->s;
		out->uses = atomic_load(&e->uses);
	}
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
	if (e == NULL || (tenant != NULL && strcmp(e->s.tenant, tenant) != 0))
		rc = -ENOENT;
	else if (e->s.ended_ms != 0)
		rc = -EALREADY;
	else
		e->s.ended_ms = now_ms;
	pthread_rwlock_unlock(&sh->lock);
	return rc;
}

size_t
pol_sess_sweep(struct pol_sessions *t, int64_t now_ms,
	       void (*forget)(void *arg, const struct pol_sess *s), void *arg)
{
	size_t gone = 0;

	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *sh = &t->shards[i];
		pthread_rwlock_wrlock(&sh->lock);
		for (size_t b = 0; b < sh->n_buckets; b++) {
			struct entry **pp = &sh->buckets[b];
			while (*pp) {
				struct entry *e = *pp;
				int64_t end = e->s.ended_ms ? e->s.ended_ms : e->s.deadline_ms;
				/* used up: its end is unknown; the deadline bounds it */
				if (now_ms - end < (int64_t)t->keep_ended_ms ||
				    (e->s.ended_ms == 0 && now_ms < e->s.deadline_ms)) {
					pp = &e->next;
					continue;
				}
				*pp = e->next;
				if (forget)
					forget(arg, &e->s);
				free(e);
				sh->n--;
				atomic_fetch_sub(&t->n, 1);
				gone++;
			}
		}
		pthread_rwlock_unlock(&sh->lock);
	}
	return gone;
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
