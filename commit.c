/* SPDX-License-Identifier: MIT */
/* commit.c -- the one policy commit: validate, prepare all, one nft batch, commit all */

#include <errno.h>
#include <string.h>

#include "alg/alg.h"
#include "commit.h"
#include "common/histo.h"
#include "common/log.h"
#include "dns/dns.h"
#include "nat/nat.h"
#include "nat/reputation.h"
#include "policy/tenancy.h"

/* One plan per subsystem; NULL for a subsystem that is not running. */
struct plans {
	struct nat_plan *nat;
	struct nat_rep_plan *rep;
	struct dns_db *dns;
	struct alg_plan *alg;
};

static int prepare_all(const struct policy_parts *p, struct pol_snap *snap, struct plans *pl,
		       struct pol_err *e);
struct spent;
static int commit_all(struct policy_parts *p, struct plans *pl, struct spent *spent);
static void spent_nat(void *arg);
static void spent_dns(void *arg);
static void spent_snap(void *arg);
static void abort_all(struct policy_parts *p, struct plans *pl);
static void log_summary(const struct pol_snap *s, const struct pol_change *c);
static int tenant_check(struct policy_parts *p, struct pol_store *st, const struct pol_change *c,
			const struct pol_snap *snap, struct pol_err *e);
static void step_apply(void *arg);

/* A tenant's change: only its own rows, inside its realm, within its quotas. */
static int
tenant_check(struct policy_parts *p, struct pol_store *st, const struct pol_change *c,
	     const struct pol_snap *snap, struct pol_err *e)
{
	struct pol_tenant t;
	int rc;

	if (c->tenant == NULL || c->replayed)
		return 0;
	rc = pol_tenant_get(st, c->tenant, &t);
	if (rc == -ENOENT || (rc == 0 && p->snap == NULL)) {
		pol_err_setk(e, POL_ERR_FORBIDDEN, "tenant",
			     "tenant %s cannot change the policy now", c->tenant);
		return -EACCES;
	}
	if (rc < 0) {
		pol_err_set(e, "database", "cannot read tenant %s: %s", c->tenant, strerror(-rc));
		return rc;
	}
	return pol_tenancy_check(p->snap, snap, &t, e);
}

static int
prepare_all(const struct policy_parts *p, struct pol_snap *snap, struct plans *pl,
	    struct pol_err *e)
{
	int rc = 0;

	if (p->nat != NULL)
		rc = nat_prepare(p->nat, snap, &pl->nat, e);
	if (rc == 0 && p->rep != NULL && (rc = nat_rep_prepare(snap, &pl->rep)) < 0)
		pol_err_setk(e, POL_ERR_APPLY, "reputation", "out of memory");
	if (rc == 0 && p->dns != NULL)
		rc = dns_prepare(snap, &pl->dns, e);
	if (rc == 0 && p->alg != NULL)
		rc = alg_prepare(p->alg, snap, &pl->alg, e);
	return rc;
}

/* What the swaps replaced, freed by the caller's thread (after the job, on the commit
 * thread) rather than in the main thread's step. */
struct spent {
	struct nat_plan *nat; /* the model replaced (nat_commit) */
	struct dns_db *dns;
	struct pol_snap *snap; /* the policy that was in force */
};

/* In data-plane order; a binding the pool ends here is reported to the reputation engine
 * as removed by policy (no evidence). Returns the resolver groups whose evidence restarted.
 * What the swaps replaced goes to *spent: the caller's thread frees it, not the loop (tens
 * of thousands of names after a big PUT /bundle, the nftables model of every rule). */
static int
commit_all(struct policy_parts *p, struct plans *pl, struct spent *spent)
{
	int restarted = 0;

	if (pl->nat != NULL)
		nat_commit(p->nat, pl->nat);
	if (pl->rep != NULL)
		restarted = nat_rep_commit(p->rep, pl->rep);
	if (pl->dns != NULL)
		spent->dns = dns_commit(p->dns, pl->dns);
	if (pl->alg != NULL)
		alg_commit(p->alg, pl->alg);
	spent->nat = pl->nat;
	memset(pl, 0, sizeof(*pl));
	return restarted;
}

static void
abort_all(struct policy_parts *p, struct plans *pl)
{
	if (pl->nat != NULL)
		nat_abort(p->nat, pl->nat);
	nat_rep_abort(pl->rep);
	dns_abort(pl->dns);
	alg_abort(pl->alg);
	memset(pl, 0, sizeof(*pl));
}

/* One commit's state, shared by the caller's thread and the step on the main thread. */
struct commit_run {
	struct policy_parts *p;
	struct pol_store *st; /* the caller's connection: its transaction holds the change */
	const struct pol_change *c;
	struct pol_snap *snap;
	struct pol_err *e;
	struct plans pl;
	struct spent spent;
	char before[POL_ETAG_LEN];
	uint64_t t0;
	int64_t version; /* st's data_version, read under the transaction's write lock */
	int rc;
	bool refused; /* by the validator or the tenancy check, not by a failure */
};

/*
 * Main thread, the one step there (the caller, on the commit thread, waits meanwhile, so its
 * store connection is this step's alone): the one party outside this process takes the batch
 * (one nft transaction), the store commits, the swaps put the change in force. Or, on any
 * failure, every plan is aborted (a batch the kernel took is reverted by nat_abort) and the
 * refusal or failure counted; the caller rolls the transaction back.
 */
static void
step_apply(void *arg)
{
	struct commit_run *r = arg;
	struct policy_parts *p = r->p;

	if (r->rc == 0 && r->pl.nat != NULL)
		r->rc = nat_send(p->nat, r->pl.nat, r->e);
	/* nobody else commits before our COMMIT: after it, the store holds r->snap */
	if (r->rc == 0 && pol_store_data_version(r->st, &r->version) < 0)
		r->version = -1;
	/* If COMMIT fails after the kernel took the batch, nat_abort moves the table back. */
	if (r->rc == 0 && (r->rc = pol_store_commit(r->st)) < 0)
		pol_err_set(r->e, "database", "COMMIT failed: %s", strerror(-r->rc));
	if (r->rc < 0) {
		abort_all(p, &r->pl);
		if (r->refused)
			p->refusals++;
		else
			p->failures++;
		return;
	}
	/* A group whose initial reputation changed starts over from it: the store must not keep
	 * its old evidence for the next start (the transaction is closed by now). */
	if (commit_all(p, &r->pl, &r->spent) > 0 && nat_rep_save(p->rep, p->store) < 0)
		log_warnx("rgwd: cannot save the reputation state");
	r->spent.snap = p->snap;
	p->snap = pol_snap_ref(r->snap);
	p->snap_st = r->version >= 0 ? r->st : NULL;
	p->snap_version = r->version;
	p->commits++;
	histo_since(&histo_policy_commit, r->t0);
	log_summary(r->snap, r->c);
	if (p->committed != NULL)
		p->committed(p->committed_arg, r->c, r->before[0] ? r->before : NULL, r->snap);
}

int
policy_commit(void *arg, const struct pol_change *c, struct pol_snap **out, struct pol_err *e)
{
	struct commit_run r = { .p = arg, .c = c, .e = e, .t0 = histo_now_ns() };
	struct policy_parts *p = r.p;
	bool here;

	r.st = policy_store(p);
	here = r.st == p->store; /* on the main thread: the stand-in answers meanwhile */
	if (out != NULL)
		*out = NULL;
	/* UDP DNS is answered by the stand-in thread while the main thread works (dns.h) */
	if (here)
		dns_busy_begin(p->dns);
	/* p->snap changes only in step_apply, which runs on the main thread while we wait */
	if (p->snap != NULL)
		memcpy(r.before, p->snap->etag, sizeof(r.before));
	r.rc = pol_store_snapshot(r.st, &r.snap);
	if (r.rc < 0)
		pol_err_set(e, "database", "cannot read the policy: %s", strerror(-r.rc));
	if (r.rc == 0) {
		r.rc = pol_snap_validate(r.snap, e);
		if (r.rc == 0)
			r.rc = tenant_check(p, r.st, c, r.snap, e);
		r.refused = r.rc == -EINVAL || r.rc == -EACCES;
	}
	if (r.rc == 0)
		r.rc = prepare_all(p, r.snap, &r.pl, e);
	/* in the transaction: a change that does not commit leaves no line */
	if (r.rc == 0 &&
	    (r.rc = pol_audit_append(r.st, c, r.before[0] ? r.before : NULL, r.snap->etag)) < 0)
		pol_err_set(e, "database", "cannot write the audit line: %s", strerror(-r.rc));
	policy_on_main(p, step_apply, &r);
	/* on the commit thread, once the job's reply is on its way */
	if (r.spent.nat != NULL)
		policy_after_job(p, spent_nat, r.spent.nat);
	if (r.spent.dns != NULL)
		policy_after_job(p, spent_dns, r.spent.dns);
	if (r.spent.snap != NULL)
		policy_after_job(p, spent_snap, r.spent.snap);
	if (r.rc < 0) {
		(void)pol_store_rollback(r.st);
		log_warnx("rgwd: policy change (%s %s %s) refused, the previous policy stays in "
			  "force: %s%s%s",
			  c->actor ? c->actor : "-", c->action ? c->action : "-",
			  c->resource ? c->resource : "-", e != NULL ? e->field : "",
			  e != NULL && e->field[0] ? ": " : "",
			  e != NULL ? e->msg : strerror(-r.rc));
	}
	if (out != NULL)
		*out = r.snap;
	else
		pol_snap_unref(r.snap);
	if (here)
		dns_busy_end(p->dns);
	return r.rc;
}

static void
spent_nat(void *arg)
{
	nat_plan_free(arg);
}

static void
spent_dns(void *arg)
{
	dns_abort(arg);
}

static void
spent_snap(void *arg)
{
	pol_snap_unref(arg);
}

int
policy_snapshot(void *parts, struct pol_store *st, struct pol_snap **out)
{
	struct policy_parts *p = parts;
	int64_t v;

	/* p->snap and the version change only on the main thread, never while a job runs */
	if (p->snap != NULL && st == p->snap_st && pol_store_data_version(st, &v) == 0 &&
	    v == p->snap_version) {
		*out = pol_snap_ref(p->snap);
		return 0;
	}
	return pol_store_snapshot_rows(st, out);
}

int
policy_reload(struct policy_parts *p, const struct pol_change *c, struct pol_err *e)
{
	int rc = pol_store_begin(p->store);

	if (rc < 0) {
		pol_err_set(e, "database", "cannot start a transaction: %s", strerror(-rc));
		return rc;
	}
	return policy_commit(p, c, NULL, e);
}

static void
log_summary(const struct pol_snap *s, const struct pol_change *c)
{
	log_info("rgwd: policy: %s in force (%s %s %s): %zu zones, %zu hosts, %zu services, "
		 "%zu pool addresses, %zu service addresses, %zu firewall rules, %zu ALG routes, "
		 "%zu resolver groups",
		 s->etag, c->actor ? c->actor : "-", c->action ? c->action : "-",
		 c->resource ? c->resource : "-", s->n_zones, s->n_hosts, s->n_services,
		 s->n_pool_addrs, s->n_service_addrs, s->n_fw_rules, s->n_alg_routes,
		 s->n_resolver_groups);
}
