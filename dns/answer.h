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
 * Hook before allocation, for the one-time CNAME aliases of issue 7. Called for WAN queries for
 * a service after the TC / cookie policy passed and before any allocation. Return 0 to go on
 * with the allocation, 1 after writing an alias name (lowercase wire form) to alias_out: the
 * answer is then "qname 0 IN CNAME alias"; a negative value drops the query.
 */
typedef int (*dns_alias_fn)(void *arg, const struct pol_service *svc, const struct dns_query *q,
			    bool non_spoofed, uint8_t alias_out[DNS_NAME_MAX]);

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
	dns_alias_fn alias; /* NULL: no alias policy */
	void *alias_arg;
	bool last_try; /* TCP: a refusal now answers an empty NOERROR */
};

enum dns_answer_res {
	DNS_ANS_SEND = 0,   /* out holds info->len bytes to send */
	DNS_ANS_DROP,	    /* send nothing */
	DNS_ANS_NEED_ALLOC, /* needs the pool and ctx->alloc is NULL: run again where it is set */
	DNS_ANS_RETRY,	    /* TCP, allocation refused: run again after 0.5 s with last_try */
	DNS_ANS_FORWARD,    /* LAN view, out of zone: forward to an upstream resolver */
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

/* The TXT text of a service (rgw-original-behaviour.md 1.6), byte-compatible with the
 * original: "proxy_<True|False>.port_<n>.protocol_<n>.<fqdn>." Returns its length. */
size_t dns_service_txt(const struct pol_service *svc, char *out, size_t outsz);

#endif
