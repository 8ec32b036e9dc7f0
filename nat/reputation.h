/* SPDX-License-Identifier: MIT */
/* nat/reputation.h -- live reputation of resolvers, requestors and hosts; PBRA admission */
#ifndef RGW_NAT_REPUTATION_H
#define RGW_NAT_REPUTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../policy/reputation.h"
#include "../policy/store.h"
#include "pool.h"

/*
 * The evidence engine of rgw-original-behaviour.md §3 (PBRA). Entities:
 *   - resolver groups, bootstrapped from policy (nodes, initial reputation, SLA flag); an
 *     unknown resolver gets a group of its own when the admission policy says so;
 *   - requestors: the ECS/ECI subnet of the query, keyed by prefix *with* its length;
 *   - hosts: the private host's own view (bindings asked for it that expired).
 * Evidence: a used binding is OK for its resolver group and requestor; an expired binding is
 * NOK for the requestor when the binding was SLA-bound, otherwise for the resolver group; it
 * is also NOK for the host. A binding removed by policy or released unused by a QNAME
 * minimisation step (nat_pool_release_unused) is no evidence at all. Admission:
 * nat_rep_admit() has the nat_admit_cb signature and nat_rep_binding_end() the
 * nat_binding_cb one, so the pool calls them directly.
 * Loop context: main thread only.
 */
struct nat_rep;

/* One entity as reported to the API. */
struct nat_rep_entry {
	enum pol_rep_kind kind;
	char key[POL_NAME_MAX]; /* group name, requestor prefix, host fqdn */
	double value;		/* window value, override applied */
	bool sla;		/* resolver groups only */
	struct pol_rep_window w;
	uint64_t trusted, untrusted; /* resolver groups, admission.log_untrusted: queries seen */
};

/* Evidence from flows (docs/reputation.md, "Evidence from flows"). */
enum nat_rep_flow {
	NAT_REP_FLOW_IDS_ALERT = 0, /* an IDS alert tore the flow down */
	NAT_REP_FLOW_ALG_SILENT,    /* ALG: nothing (or not enough) before the hostname deadline */
	NAT_REP_FLOW_ALG_UNROUTED,  /* ALG: a valid name without a route */
	NAT_REP_FLOW_ALG_GARBAGE,   /* ALG: no name, malformed or oversized ClientHello / request */
	NAT_REP_FLOW_ALG_CAP,	    /* ALG: refused at accept by the per-source cap */
	NAT_REP_FLOW_ALG_SLOW, /* ALG: a routed connection shed with no progress since routing */
	NAT_REP_FLOW_COUNT,    /* number of reasons, not a reason */
};

struct nat_rep_stats {
	uint64_t admitted[3]; /* per enum nat_svc_class */
	uint64_t refused[3];
	uint64_t events_ok, events_nok;
	uint64_t trusted, untrusted; /* WAN service queries (admission.log_untrusted) */
	size_t n_groups, n_requestors, n_hosts;
	size_t requestors_evicted;
	uint64_t flow_nok[NAT_REP_FLOW_COUNT]; /* evidence from flows, per reason */
	uint64_t saves;			       /* completed nat_rep_save() calls */
	uint64_t last_save_ms;		       /* wall clock of the last one, 0: none yet */
};

/* max_requestors bounds the requestor table (least recently seen evicted). NULL on ENOMEM. */
struct nat_rep *nat_rep_new(size_t max_requestors);
void nat_rep_free(struct nat_rep *r);

/*
 * A policy change: the resolver groups, hosts, brackets and admission flags of snap.
 * nat_rep_prepare builds them aside (it reads only snap: any thread); 0 or -ENOMEM.
 * nat_rep_commit swaps them in (cannot fail; main thread; consumes pl): groups keep their
 * evidence when their name and initial_reputation are unchanged, a group whose
 * initial_reputation changed restarts from the new value (its prior), hosts keep theirs by
 * name. It returns the number of groups restarted (the caller may want to persist soon).
 * nat_rep_abort drops a plan (NULL is a no-op). nat_rep_apply does both: the count, or
 * -ENOMEM.
 */
struct nat_rep_plan;
int nat_rep_prepare(const struct pol_snap *snap, struct nat_rep_plan **pl);
int nat_rep_commit(struct nat_rep *r, struct nat_rep_plan *pl);
void nat_rep_abort(struct nat_rep_plan *pl);
int nat_rep_apply(struct nat_rep *r, const struct pol_snap *snap);

/* nat_admit_cb: admit or refuse an allocation at load_pct for class cls. */
bool nat_rep_admit(void *arg, const struct nat_request *req, double load_pct,
		   enum nat_svc_class cls);
/* nat_binding_cb: evidence from the end of a binding. */
void nat_rep_binding_end(void *arg, const struct nat_binding_info *b, enum nat_binding_end how);

/* A query for an ended session name (dns_sess_ended_fn; arg is the engine): one NOK event
 * against the resolver's group (an auto group when unknown_resolver_groups) and against the
 * requestor the query named (NULL: none). */
void nat_rep_session_ended(void *arg, const struct addr *resolver, const struct prefix *requestor);
/* Is the resolver in an SLA group? (The DNS uses it to decide SLA bindings.) */
bool nat_rep_resolver_sla(struct nat_rep *r, const struct addr *resolver);
/* Does the resolver have a group (policy group, or an auto group already created)? */
bool nat_rep_resolver_known(struct nat_rep *r, const struct addr *resolver);
/* One WAN service query from resolver (admission.log_untrusted): trusted when it came over
 * TCP, with a valid cookie or for a live alias. Counters only, as the original: the value is
 * not changed. Counted on the resolver's group (created when unknown_resolver_groups). */
void nat_rep_note_query(struct nat_rep *r, const struct addr *resolver, bool trusted);
/* Merge the group of `from` into the group of `into` (resolver cluster discovery through a
 * CNAME alias asked from another resolver). 0, or -ENOENT if either has no group. */
int nat_rep_merge_resolvers(struct nat_rep *r, const struct addr *into, const struct addr *from);

/*
 * NOK evidence from a flow against its source address: the requestor entities src/32 (or
 * /128) and its /24 (or /64), and, when a pool binding admitted the flow, the resolver that
 * obtained it (resolver not NULL) and the binding's own requestor subnet (requestor not NULL).
 */
void nat_rep_flow_nok(struct nat_rep *r, enum nat_rep_flow why, const struct addr *src,
		      const struct addr *resolver, const struct prefix *requestor);
/* Name for logs and metrics: "ids_alert", "alg_silent", "alg_unrouted", "alg_garbage",
 * "alg_cap". */
const char *nat_rep_flow_name(enum nat_rep_flow why);
/* Source addresses (requestor entities of full length) whose value is below threshold, for
 * the ALG's accept check; cb returns non-zero to stop. */
typedef int (*nat_rep_low_cb)(void *arg, const struct addr *a, double value);
void nat_rep_low_sources(struct nat_rep *r, double threshold, nat_rep_low_cb cb, void *arg);

/* Period transition of every entity (every [reputation] period seconds). */
void nat_rep_transition(struct nat_rep *r);

/* Persistence: save every entity in one transaction / restore the saved state. A restored
 * entity fades toward the prior of the policy in force (the prior is not stored). The store
 * must not be inside a transaction. */
int nat_rep_save(struct nat_rep *r, struct pol_store *st);
int nat_rep_load(struct nat_rep *r, struct pol_store *st);

/* API: iterate entities (cb returns non-zero to stop), override or reset one. */
typedef int (*nat_rep_iter_cb)(void *arg, const struct nat_rep_entry *e);
void nat_rep_foreach(struct nat_rep *r, nat_rep_iter_cb cb, void *arg);
/* Pin (has_override) or unpin (!has_override) an entity's value. 0 or -ENOENT. */
int nat_rep_override(struct nat_rep *r, enum pol_rep_kind kind, const char *key, bool has_override,
		     double value);
/* Forget an entity's evidence: back to its initial reputation (its prior), override
 * cleared. 0 or -ENOENT. */
int nat_rep_reset(struct nat_rep *r, enum pol_rep_kind kind, const char *key);
void nat_rep_get_stats(const struct nat_rep *r, struct nat_rep_stats *out);

#endif
