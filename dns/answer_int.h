/* SPDX-License-Identifier: MIT */
/* dns/answer_int.h -- the response writer shared by dns/answer.c and dns/answer_nest.c */
#ifndef RGW_DNS_ANSWER_INT_H
#define RGW_DNS_ANSWER_INT_H

#include "answer.h"

/* Not for use outside dns/answer*.c. */

#define DNS_TTL_DEFAULT 30 /* the original's DNSRR_TTL_DEFAULT */
#define DNS_TTL_POOL	0  /* DNSRR_TTL_CIRCULARPOOL */

/* One response under construction. */
struct resp {
	struct dns_wr w;
	const struct dns_answer_ctx *ctx;
	const uint8_t *pkt;
	const struct dns_query *q;
	uint16_t count[4];
	uint16_t rcode; /* extended */
	bool tc;
	size_t full_limit; /* limit including the space reserved for OPT */
	uint8_t server_cookie[DNS_COOKIE_SERVER_LEN];
	bool send_cookie;
	/* Who asked: the query's source, or, for a parent gateway's query with ECI, the
	 * resolver the parent names (docs/dns.md, "Nested gateways"). */
	struct addr resolver;
	uint16_t rport;
	bool parent;	   /* a parent gateway relays for resolver */
	bool relay_proven; /* ... and says the resolver proved its address */
	int ede;	   /* RFC 8914 INFO-CODE to send, -1: none */
	const char *ede_text;
};

void dns_resp_start(struct resp *r, bool with_question);
/* Room the OPT record will take (reserved before anything else is written). */
size_t dns_resp_opt_size(const struct resp *r);
size_t dns_resp_finish(struct resp *r);
/* Owner NULL: pointer to the question name (keeps the client's 0x20 spelling). */
void dns_resp_rr_head(struct dns_wr *w, const uint8_t *owner, uint16_t type, uint32_t ttl);
/* Close an RRset written from mark; a required one that did not fit sets TC. */
bool dns_resp_rrset_end(struct resp *r, size_t mark, unsigned section, uint16_t n, bool required);
bool dns_resp_put_addr(struct resp *r, unsigned section, const uint8_t *owner, const struct addr *a,
		       uint32_t ttl, bool required);
/* NXDOMAIN or NODATA with the zone's SOA. */
void dns_resp_negative(struct resp *r, const struct dns_apex *z, uint8_t rcode);
/* TC / BADCOOKIE for an unproven UDP query when tc_needed; true when it answered. */
bool dns_resp_spoof_guard(struct resp *r, struct dns_answer_info *info, bool tc_needed);
/* The pool refused the query's allocation. */
enum dns_answer_res dns_resp_refused(struct resp *r, struct dns_answer_info *info,
				     enum nat_refusal why);
/* The requestor (client subnet) named by the query, if any. */
bool dns_resp_requestor(const struct dns_query *q, struct prefix *out);
bool dns_resp_resolver_sla(const struct dns_db *db, const struct addr *src);
/* Did the asker prove its address: TCP, a valid cookie, or a parent vouching for it? */
bool dns_resp_proven(const struct resp *r, const struct dns_answer_info *info);

/* answer_nest.c: a name below the nested gateway node g (WAN, LAN or local view). */
enum dns_answer_res dns_answer_nested_query(struct resp *r, const struct dns_node *g,
					    const struct dns_apex *z, struct dns_answer_info *info);

#endif
