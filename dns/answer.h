/* SPDX-License-Identifier: MIT */
/* dns/answer.c -- query wire + context -> response wire (pure, no I/O) */
#ifndef RGW_DNS_ANSWER_H
#define RGW_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../nat/pool.h"
#include "cookie.h"
#include "wire.h"
#include "zone.h"

enum dns_view {
	DNS_VIEW_WAN = 0, /* authoritative, public answers, pool allocation */
	DNS_VIEW_LAN,	  /* private answers, out-of-zone names forwarded */
	DNS_VIEW_LOCAL,	  /* private answers, out-of-zone names REFUSED */
};

/*
 * Allocation of a circular pool binding for a service query (connected to nat's pool by
 * rgwd.c). Returns 0 with *out set (IPv4 pool address), or a negative errno with *why set when
 * the pool refused. Called on the thread that owns the pool (the main loop).
 */
typedef int (*dns_alloc_fn)(void *arg, const struct nat_request *req, struct addr *out,
			    enum nat_refusal *why);

/*
 * QNAME minimisation (dns/qmin.h): a WAN query that cannot be spoofed (TCP, or a valid server
 * cookie) from resolver for a name the zone knows, below the pooled services service_ids[0..n)
 * (nearest first). Release, for each, the newest unused binding that resolver asked for
 * (requestor: the query's ECS/ECI subnet, NULL when none). Returns the number released. Called
 * on the thread that owns the pool (the main loop), before the query's own allocation, so that
 * the released address can serve it.
 */
typedef unsigned (*dns_qmin_fn)(void *arg, const struct addr *resolver,
				const struct prefix *requestor, const int64_t *service_ids,
				size_t n);

/*
 * A WAN query that proved its source (TCP, valid cookie, live alias) asked for a pooled
 * service a QTYPE other than A, SRV or TXT (AAAA...): an A binding made for the same resolver
 * just before was a step (nat_pool_note_step). Main loop thread.
 */
typedef void (*dns_step_fn)(void *arg, const struct addr *resolver, int64_t service_id);

/*
 * A name below a nested gateway (dns/nest.h): reserve one of our pool addresses for the
 * nested gateway's answer to come (nat_pool_request_id with req->nested). 0 with *out, *id
 * (the binding) and *fresh (false: a live binding of the same resolver answered again), or a
 * negative errno with *why. Main loop thread.
 */
typedef int (*dns_nest_reserve_fn)(void *arg, const struct nat_request *req, struct addr *out,
				   enum nat_refusal *why, uint64_t *id, bool *fresh);

struct dns_db;
struct pol_sessions;

/*
 * A WAN query for an ended session name (policy/session.h), from resolver, naming requestor
 * (its ECS/ECI subnet, NULL when none), once it proved its source: evidence against both.
 * Main loop thread.
 */
typedef void (*dns_sess_ended_fn)(void *arg, const struct addr *resolver,
				  const struct prefix *requestor);

/*
 * The one-time CNAME aliases of issue 7 and the trusted/untrusted counters (implemented by
 * dns/alias.c; every hook runs on the main thread, so a worker hands such queries over).
 *   issue:    a WAN query for the service named target (lowercase wire form) from src, after
 *             the TC / cookie policy passed, with admission.dns_cname on. 1 after writing an
 *             alias under one of db's alias zones to alias_out (the answer is then
 *             "qname 0 IN CNAME alias"); 0 to answer directly; negative drops the query.
 *   resolve:  a WAN query for a name in an alias zone. 1 when the alias is live: target_out
 *             gets the service name, *charge the resolver the allocation is charged to, and
 *             *cached the address given earlier for this QTYPE (family 0: none). 0: no such
 *             alias (NXDOMAIN).
 *   remember: the allocation made for alias name and qtype, for service_id (retransmissions
 *             get it too, while its binding is pending).
 *   note:     with admission.log_untrusted, every WAN service query: trusted when it came over
 *             TCP, with a valid cookie or for a live alias.
 */
struct dns_alias_hooks {
	int (*issue)(void *arg, const struct dns_db *db, const uint8_t *target,
		     const struct addr *src, uint32_t ttl_ms, uint8_t alias_out[DNS_NAME_MAX]);
	int (*resolve)(void *arg, const uint8_t *name, const struct addr *src, uint16_t qtype,
		       uint8_t target_out[DNS_NAME_MAX], struct addr *charge, struct addr *cached);
	void (*remember)(void *arg, const uint8_t *name, uint16_t qtype, const struct addr *a,
			 int64_t service_id);
	void (*note)(void *arg, const struct addr *src, bool trusted);
};

struct dns_answer_ctx {
	const struct dns_db *db;
	enum dns_view view;
	bool tcp;
	struct addr src;			  /* the querier (resolver) */
	uint16_t edns_size;			  /* our advertised / accepted UDP payload size */
	uint32_t lan_ttl;			  /* TTL of private answers */
	const struct dns_cookie_secrets *cookies; /* NULL: no cookie support */
	uint32_t now_s;				  /* wall clock seconds (cookie timestamps) */
	dns_alloc_fn alloc;			  /* NULL: return DNS_ANS_NEED_ALLOC instead */
	void *alloc_arg;
	const struct dns_alias_hooks *alias; /* NULL: no aliases, no trusted counters */
	void *alias_arg;
	bool last_try;	  /* TCP: a refusal now answers an empty NOERROR */
	dns_qmin_fn qmin; /* NULL: QNAME minimisation steps keep their bindings */
	void *qmin_arg;
	dns_step_fn step; /* NULL: no step notes */
	void *step_arg;
	uint16_t sport;			  /* the querier's source port (ECI to nested gateways) */
	dns_nest_reserve_fn nest_reserve; /* NULL: names below nested gateways get SERVFAIL */
	void *nest_arg;
	/* Session names: a WAN query for a name the index does not hold is looked up here (any
	 * thread); a live one answers as its service, an ended one NXDOMAIN and sess_ended. */
	struct pol_sessions *sessions; /* NULL: none */
	dns_sess_ended_fn sess_ended;
	void *sess_arg;
	int64_t now_ms; /* wall clock (session deadlines) */
};

enum dns_answer_res {
	DNS_ANS_SEND = 0,   /* out holds info->len bytes to send */
	DNS_ANS_DROP,	    /* send nothing */
	DNS_ANS_NEED_ALLOC, /* needs the pool and ctx->alloc is NULL: run again where it is set */
	DNS_ANS_RETRY,	    /* TCP, allocation refused: run again after 0.5 s with last_try */
	DNS_ANS_FORWARD,    /* LAN view, out of zone: forward to an upstream resolver */
	DNS_ANS_NESTED,	    /* a name below a nested gateway: ask it (info->nest; dns/nest.c) */
};

/* What the nested resolver needs to ask a nested gateway for a query (DNS_ANS_NESTED). */
struct dns_nest_req {
	int64_t host_id;      /* the nested gateway */
	struct addr resolver; /* who asked (ECI): the source, or what a parent of ours named */
	uint16_t rport;
	bool proven;	    /* ECI protocol 6: TCP, a valid cookie, a parent vouching */
	bool has_requestor; /* ECS passed on */
	struct prefix requestor;
	bool relay;	   /* LAN or local view: the nested gateway's answer as it is, no binding */
	uint64_t binding;  /* WAN A/SRV/TXT: our reservation (0: none, other QTYPEs) */
	bool fresh;	   /* made for this query (else a live binding answered again) */
	struct addr outer; /* its address */
};

struct dns_answer_info {
	size_t len;
	uint16_t rcode; /* extended rcode as sent (BADVERS = 16, BADCOOKIE = 23) */
	uint16_t qtype;
	bool tc;
	bool formerr_like; /* malformed query (FORMERR, NOTIMP, BADVERS) */
	enum dns_cookie_state cookie;
	bool allocated;
	bool alloc_refused;
	enum nat_refusal why;
	unsigned qmin_released;	  /* bindings released by this query (QNAME minimisation) */
	bool eci_ignored;	  /* an ECI option from a source that is not a parent gateway */
	struct dns_nest_req nest; /* DNS_ANS_NESTED */
	bool session;		  /* a live session name answered */
	bool session_ended;	  /* an ended session name answered NXDOMAIN */
};

/*
 * Answer one query. pkt/len: the query as received; out/cap: the response buffer (at least
 * 512 bytes; 65535 for TCP). Never reads outside pkt, never writes outside out. Thread-safe:
 * reads only ctx and the immutable db (ctx->alloc excepted, which is only set on the main
 * thread).
 */
enum dns_answer_res dns_answer(const struct dns_answer_ctx *ctx, const uint8_t *pkt, size_t len,
			       uint8_t *out, size_t cap, struct dns_answer_info *info);

/* Build an empty response with rcode (SERVFAIL for failed forwarding, REFUSED...) to a query
 * already parsed; RA copied from ra. Returns the length or 0 if q had no question. */
size_t dns_answer_error(const uint8_t *pkt, const struct dns_query *q, uint8_t rcode, bool ra,
			uint8_t *out, size_t cap);

/*
 * The outcome of asking a nested gateway, for dns_answer_nested():
 *   DNS_NEST_ANSWER    rcode (NOERROR, NXDOMAIN) and, for WAN A/SRV/TXT, the records to
 *                      write: the address (ours, or the nested gateway's in relay), the SRV
 *                      rdata or the TXT rdata as the nested gateway gave them;
 *   DNS_NEST_SERVFAIL  no usable answer (timeout, unreachable, SERVFAIL, a bogus address);
 *   DNS_NEST_REFUSED   the nested gateway refused (its shortage or its admission): the query
 *                      is refused like an allocation (UDP: no answer; TCP: empty NOERROR).
 */
enum dns_nest_outcome {
	DNS_NEST_ANSWER = 0,
	DNS_NEST_SERVFAIL,
	DNS_NEST_REFUSED,
};

struct dns_nest_answer;

/*
 * Build the answer to the query pkt (as received, on the transport of ctx) once the nested
 * gateway has spoken: ans is what it said (NULL unless DNS_NEST_ANSWER), addr the address to
 * answer (ours, bound to its answer; or its own in relay). Returns DNS_ANS_SEND (out holds
 * info->len bytes) or DNS_ANS_DROP.
 */
enum dns_answer_res dns_answer_nested(const struct dns_answer_ctx *ctx, const uint8_t *pkt,
				      size_t len, enum dns_nest_outcome outcome,
				      const struct dns_nest_answer *ans, const struct addr *addr,
				      uint8_t *out, size_t cap, struct dns_answer_info *info);
/* The key that stands for a name below a nested gateway in the pool's (resolver, service)
 * pairs: negative, never a service id. name: lowercase wire form. */
int64_t dns_nest_key(const uint8_t *name);

/* The TXT text of a service (rgw-original-behaviour.md 1.6), byte-compatible with the
 * original: "proxy_<True|False>.port_<n>.protocol_<n>.<fqdn>." Returns its length. */
size_t dns_service_txt(const struct pol_service *svc, char *out, size_t outsz);

#endif
