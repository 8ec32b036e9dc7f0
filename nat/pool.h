/* SPDX-License-Identifier: MIT */
/* nat/pool.h -- circular address pool and bindings (pure logic, no I/O) */
#ifndef RGW_NAT_POOL_H
#define RGW_NAT_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../policy/policy.h"

/*
 * The userspace pool is the source of truth; nftables is its projection.
 * A binding reserves (pool address, protocol, port) for (private host, service), optionally
 * restricted to the requestor subnet (SLA binding). Without a cache window it admits one flow:
 * the first admitted flow ends it, or its timeout does. With the cache window W of the
 * resolver it was answered to (nat/window.h) it stays open W + its timeout after the answer
 * and admits up to window_flows flows per answer; a new question of the same resolver entity
 * for the same service within that time gets the same binding again (coalescing) when the
 * window module says so. Address sharing between SFQDN bindings follows
 * rgw-original-behaviour.md §2.6 (lowest address first), within the family of the answer.
 * IPv6: a host with a unique local address (fc00::/7) is reached through the IPv6 pool
 * addresses exactly as IPv4 (NAT66); a host with any other (global) address gets a *pinhole*:
 * a binding on its own address (public = private address, no pool address spent), with the
 * same admission, limits, windows and lookup; pinholes of one host may share a key, each
 * admits its own flows. Time is passed in explicitly
 * (monotonic ms) so that the logic is testable without clocks.
 * Loop context: main thread only.
 */
struct nat_pool;

enum nat_refusal {
	NAT_REFUSE_NONE = 0,
	NAT_REFUSE_NO_HOST,    /* unknown host or service, or host without an address of the
				* family */
	NAT_REFUSE_HOST_LIMIT, /* per-host pending limit reached */
	NAT_REFUSE_ADMISSION,  /* the admission hook (reputation) said no */
	NAT_REFUSE_EXHAUSTED,  /* no free address and none shareable */
};

/* Service class used by admission (rgw-original-behaviour.md §3.7). An SFQDN pinhole is
 * SFQDN_REUSE (it spends no address); an FQDN pinhole FQDN_NEW. */
enum nat_svc_class {
	NAT_CLASS_FQDN_NEW = 0,
	NAT_CLASS_SFQDN_NEW,
	NAT_CLASS_SFQDN_REUSE,
};

/* What the DNS answered with the binding's address. */
enum nat_req_kind {
	NAT_REQ_ADDRESS = 0,  /* A: a client is expected to connect */
	NAT_REQ_SERVICE_INFO, /* SRV / TXT: the address rides as additional data */
	NAT_REQ_SRV_TARGET,   /* A for an SRV answer's target (_<port>._<proto>.<fqdn>) */
};

struct nat_request {
	enum nat_req_kind kind;
	int family; /* of the answer: AF_INET6 (AAAA), else IPv4 (A, 0 included) */
	int64_t host_id;
	int64_t service_id;
	struct addr resolver; /* source address of the DNS query */
	bool has_requestor;   /* ECS / ECI subnet present */
	struct prefix requestor;
	bool sla;	  /* restrict the binding to the requestor subnet */
	bool non_spoofed; /* query came over TCP or with a valid DNS cookie */
	void *user;	  /* opaque, handed back in events (reputation context) */
	/* A name below the nested gateway host_id (service_id unused): the binding reserves a
	 * whole address (any protocol, any port: the nested gateway enforces its services) and
	 * admits nothing until nat_pool_nest_bind names the nested gateway's answer.
	 * nested_key stands for the name in the cache-window pairs (nat/window.h). */
	bool nested;
	int64_t nested_key;
};

/* A live binding as seen by events and the read-only API view. */
struct nat_binding_info {
	uint64_t id;
	struct addr public_addr;
	uint8_t protocol; /* 0 = any */
	uint16_t port;	  /* 0 = any */
	int64_t host_id;
	int64_t service_id;
	struct addr private_addr;
	struct addr resolver;
	bool has_requestor;
	struct prefix requestor;
	bool sla;
	uint64_t created_ms;
	uint64_t expires_ms;
	void *user;
	enum nat_req_kind kind; /* of the first answer */
	uint32_t window_ms;	/* cache window at creation; 0: one flow */
	uint32_t flows;		/* flows admitted */
	uint32_t flow_limit;	/* flows it may admit (grows with every answer) */
	uint32_t answers;	/* DNS answers that handed it out */
	uint64_t answered_ms;	/* the last of them */
	bool no_evidence;	/* ending unused is no evidence (IDLE, not EXPIRED) */
	bool nested;		/* to a nested gateway: private_addr is its answer (family 0 while
				 * the nested gateway has not answered yet) */
};

enum nat_binding_end {
	NAT_BINDING_USED = 0,  /* a legitimate first flow was admitted */
	NAT_BINDING_EXPIRED,   /* timed out unused */
	NAT_BINDING_REMOVED,   /* host or pool address removed by policy */
	NAT_BINDING_RELEASED,  /* released unused: a QNAME minimisation step (no evidence) */
	NAT_BINDING_IDLE,      /* ended unused, no evidence: an SRV/TXT answer, a resolver's cache
			       * refresh, or a step followed by another QTYPE (no_evidence) */
	NAT_BINDING_WITHDRAWN, /* a nested reservation the nested gateway did not confirm (its
				* shortage, no such name, no answer): no evidence */
	NAT_BINDING_DENIED,    /* a nested reservation the nested gateway refused by its admission
				* policy for this resolver: NOK for the resolver */
};

/* Reports the end of each binding (reputation evidence). */
typedef void (*nat_binding_cb)(void *arg, const struct nat_binding_info *b,
			       enum nat_binding_end how);
/* Admission hook: return true to admit. load_pct = allocated addresses / pool size * 100 in
 * the family of the request (a pinhole: the host's pending bindings / its pool_limit * 100).
 * NULL hook: always admit. */
typedef bool (*nat_admit_cb)(void *arg, const struct nat_request *req, double load_pct,
			     enum nat_svc_class cls);

/* Result of a first-packet lookup. */
enum nat_lookup {
	NAT_LOOKUP_OK = 0,     /* binding consumed (USED event fired); hit is filled */
	NAT_LOOKUP_NO_BINDING, /* no live binding for (dst, dport, proto) with wildcards */
	NAT_LOOKUP_SLA,	       /* binding found but the source is outside the SLA subnet */
	NAT_LOOKUP_SPENT,      /* a window binding that admitted all the flows it may */
};

/* What an admitted first packet is translated to. */
struct nat_pool_hit {
	int64_t host_id;
	int64_t service_id;
	struct addr private_addr;
	/* who obtained the binding (the flow defence charges alerts to them) */
	uint64_t binding_id;
	struct addr resolver;
	bool has_requestor;
	struct prefix requestor;
	bool nested; /* private_addr is a nested gateway's address (its own DNAT mark) */
};

/* Refusal counters are indexed by enum nat_refusal. */
#define NAT_REFUSE_MAX (NAT_REFUSE_EXHAUSTED + 1)

struct nat_pool_stats {
	uint32_t size;	     /* pool addresses (both families) */
	uint32_t allocated;  /* addresses holding at least one binding */
	uint32_t size6;	     /* of which IPv6 */
	uint32_t allocated6; /* of which IPv6 */
	uint64_t pinholes;   /* IPv6 pinhole bindings created (counted in created too) */
	uint32_t bindings;   /* live bindings */
	uint64_t created;
	uint64_t used;
	uint64_t expired;
	uint64_t removed;
	uint64_t released; /* released by nat_pool_release_unused (QNAME minimisation) */
	uint64_t refused[NAT_REFUSE_MAX];
	uint64_t lookup_miss;  /* first packets with no binding */
	uint64_t lookup_sla;   /* first packets refused by the SLA subnet check */
	uint64_t idle;	       /* ended unused without evidence (NAT_BINDING_IDLE) */
	uint64_t window_flows; /* flows admitted by a binding after its first one */
	uint64_t window_spent; /* flows refused: the window binding admitted all it may */
	uint64_t coalesced;    /* answers that handed out a live window binding again */
	uint64_t superseded;   /* bindings closed early: a newer answer replaced them */
	uint64_t srv_targets;  /* SRV target queries answered from the SRV's binding */
	uint64_t nested;       /* nested reservations bound to a nested gateway's answer */
	uint64_t withdrawn;    /* nested reservations withdrawn (NAT_BINDING_WITHDRAWN) */
	uint64_t denied;       /* nested reservations refused by the nested gateway's admission */
};

/* A new, empty pool (no addresses, no hosts). NULL on ENOMEM. */
struct nat_pool *nat_pool_new(void);
/* Frees every binding without firing callbacks. NULL is a no-op. */
void nat_pool_free(struct nat_pool *pool);

/* Install the hooks (either may be NULL). arg is passed to both. */
void nat_pool_set_hooks(struct nat_pool *pool, nat_admit_cb admit, nat_binding_cb binding,
			void *arg);

/*
 * A policy change in two steps. nat_pool_prepare builds the pool's tables for snap (service
 * addresses, pool addresses (both families; IPv4-mapped IPv6 ignored), hosts, services and the resolver
 * cache windows' groups and settings, copied: snap is
 * not kept) without touching any pool: 0 or -ENOMEM. It reads only snap, so it may run on any
 * thread. nat_pool_commit (main thread, cannot fail) ends the bindings expired at now_ms,
 * swaps the tables in and re-homes the live bindings: those whose host, service, private
 * address and pool address still exist are kept; the others end with NAT_BINDING_REMOVED.
 * It consumes pl; nat_pool_plan_free drops a plan that is not committed (NULL is a no-op).
 * nat_pool_apply does both (0 or -ENOMEM, the pool unchanged on failure).
 */
struct nat_pool_plan;
int nat_pool_prepare(const struct pol_snap *snap, struct nat_pool_plan **pl);
void nat_pool_commit(struct nat_pool *pool, struct nat_pool_plan *pl, uint64_t now_ms);
void nat_pool_plan_free(struct nat_pool_plan *pl);
int nat_pool_apply(struct nat_pool *pool, const struct pol_snap *snap, uint64_t now_ms);

/*
 * Ask for a binding for req at now_ms, in the family req->family. On success returns 0 and
 * fills *out with the public address to answer (a pinhole: the host's own address). For a proxy_required service the first service address is returned and
 * no binding is made (the DNS answers it; the ALG routes). On refusal returns -EAGAIN and
 * sets *why (never NAT_REFUSE_NONE). -ENOMEM on allocation failure. req->user is stored and
 * handed back in events. Every answer is reported to the window learner; a question the
 * learner coalesces gets the live binding's address (no admission check: it was admitted);
 * NAT_REQ_SRV_TARGET gets the address of the same resolver's live unused SRV/TXT binding of
 * the service, else a new binding.
 */
int nat_pool_request(struct nat_pool *pool, const struct nat_request *req, uint64_t now_ms,
		     struct addr *out, enum nat_refusal *why);

/*
 * nat_pool_request that also says which binding answered (*id) and whether it was made now
 * (*fresh; false: a live binding answered again -- coalesced, or an SRV target).
 */
int nat_pool_request_id(struct nat_pool *pool, const struct nat_request *req, uint64_t now_ms,
			struct addr *out, enum nat_refusal *why, uint64_t *id, bool *fresh);

/*
 * Nested gateways (nat/pool_nest.c). A nested reservation (req->nested) comes from
 * nat_pool_request_id; once the nested gateway answered:
 *   bind:     the binding id admits flows to target (one of its host's nested addresses),
 *             from now on and for its window + grace from now. 0, -ENOENT (the binding is
 *             gone: expired, removed), -EINVAL (not a nested binding, target not the host's).
 *   withdraw: the nested gateway did not confirm it: a fresh, unused reservation ends
 *             WITHDRAWN (no evidence), or DENIED when the nested gateway's admission refused
 *             this resolver (NOK for the resolver). 0, -ENOENT, -EBUSY (it admitted a flow).
 */
int nat_pool_nest_bind(struct nat_pool *pool, uint64_t id, const struct addr *target,
		       uint64_t now_ms);
int nat_pool_nest_withdraw(struct nat_pool *pool, uint64_t id, bool denied, uint64_t now_ms);

/*
 * First-packet lookup: (dst, dport, proto), (dst, dport, any), (dst, any, proto),
 * (dst, any, any); a binding that has expired at now_ms ends and counts as a miss. The SLA
 * check compares src with the requestor subnet. On NAT_LOOKUP_OK a binding without a window is
 * consumed (USED event fired, address released if no other binding holds it); a window
 * binding counts the flow and stays until its deadline (USED then). NAT_LOOKUP_SPENT: a
 * window binding that admitted flow_limit flows.
 */
enum nat_lookup nat_pool_lookup(struct nat_pool *pool, const struct addr *src,
				const struct addr *dst, uint8_t proto, uint16_t dport,
				uint64_t now_ms, struct nat_pool_hit *hit);

/* True if a binding for service_id is pending (not used, not expired at now_ms) on the pool
 * address dst. (The DNS alias cache answers a retransmission only while it is.) */
bool nat_pool_pending(const struct nat_pool *pool, const struct addr *dst, int64_t service_id,
		      uint64_t now_ms);

/*
 * QNAME minimisation (RFC 9156): release the newest live binding of service_id that was
 * requested by resolver (the very same address) at now_ms. When requestor is not NULL and the
 * binding has a requestor too, the two prefixes must be equal (a resolver asking for two
 * different clients is two different steps). A live binding is unused by construction: the
 * first admitted packet ends it. The binding ends with NAT_BINDING_RELEASED (the binding hook
 * sees it; the reputation engine takes it as no evidence at all) and its address goes back to
 * the pool when no other binding holds it. Returns 1 if a binding was released, 0 if none
 * matched (*released, when not NULL, gets a copy of the binding as it was). Only the newest
 * matching binding goes: an older one belongs to an earlier question.
 */
int nat_pool_release_unused(struct nat_pool *pool, const struct addr *resolver,
			    const struct prefix *requestor, int64_t service_id, uint64_t now_ms,
			    struct nat_binding_info *released);

/*
 * The resolver asked, for the same service, another QTYPE than A (AAAA, SRV, TXT...): the
 * newest binding of its entity for the service, if unused and made less than
 * NAT_POOL_STEP_MS ago, was a step on the way (unbound asks A before AAAA or SRV under QNAME
 * minimisation): ending unused, it is no evidence. Returns 1 when a binding was marked.
 */
#define NAT_POOL_STEP_MS 1000
int nat_pool_note_step(struct nat_pool *pool, const struct addr *resolver, int64_t service_id,
		       uint64_t now_ms);

/* A flow refused at the address of a one-flow binding that its first flow just spent, from
 * another source, is window evidence (a cache served the answer twice) once that source has
 * been refused on no other address for this long (a scanner is). */
#define NAT_POOL_HIT_CONFIRM_MS 1000

/* The cache-window learner (API view, tests). */
struct nat_window *nat_pool_window(struct nat_pool *pool);

/* True if dst is one of the pool addresses. */
bool nat_pool_is_pool_addr(const struct nat_pool *pool, const struct addr *dst);

/* End every binding that expired at now_ms (EXPIRED events). Returns the next deadline
 * in ms (UINT64_MAX when no binding is pending). */
uint64_t nat_pool_expire(struct nat_pool *pool, uint64_t now_ms);
/* Deadline of the earliest binding, UINT64_MAX if none. */
uint64_t nat_pool_next_deadline(const struct nat_pool *pool);

/* Called when a new binding becomes the earliest deadline (to arm a timer for it). */
typedef void (*nat_deadline_cb)(void *arg, uint64_t deadline_ms);
void nat_pool_set_deadline_hook(struct nat_pool *pool, nat_deadline_cb cb, void *arg);

/* Read-only view for the API: calls cb for every live binding in id order until cb returns
 * non-zero (returned). Do not modify the pool from cb. */
typedef int (*nat_binding_iter_cb)(void *arg, const struct nat_binding_info *b);
int nat_pool_foreach(const struct nat_pool *pool, nat_binding_iter_cb cb, void *arg);

void nat_pool_get_stats(const struct nat_pool *pool, struct nat_pool_stats *out);

/* First service address of the family (0 on success, -ENOENT if none). */
int nat_pool_service_addr(const struct nat_pool *pool, int family, struct addr *out);

/* Names for logs and the API: "none", "no-host", "host-limit", "admission", "exhausted";
 * "used", "expired", "removed", "released", "idle", "withdrawn", "denied"; "address",
 * "service-info",
 * "srv-target". */
const char *nat_refusal_name(enum nat_refusal r);
const char *nat_binding_end_name(enum nat_binding_end e);
const char *nat_req_kind_name(enum nat_req_kind k);

#endif
