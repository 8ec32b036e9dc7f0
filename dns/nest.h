/* SPDX-License-Identifier: MIT */
/* dns/nest.h -- resolution through nested gateways: messages (pure) and the resolver (I/O) */
#ifndef RGW_DNS_NEST_H
#define RGW_DNS_NEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "wire.h"

/*
 * A name below a nested gateway (policy: a host with `nested`, the original's carrier-grade
 * host) is answered by asking that gateway, once, the client's own question, with ECS (the
 * client subnet, when the resolver sent one) and ECI (the resolver: address, transport, port).
 * The nested gateway applies its own admission and reputation to that resolver and answers as
 * it would answer it directly; we substitute an address of ours, bound to its answer.
 * docs/dns.md, "Nested gateways".
 */

/* ECI protocol field: the resolver proved its address (TCP, a valid cookie, a live alias) or
 * not (plain UDP). */
#define DNS_ECI_PROVEN	 6
#define DNS_ECI_UNPROVEN 17

/* RFC 8914 INFO-CODEs a nested gateway puts on its REFUSED to a parent. */
#define DNS_EDE_OTHER	   0  /* its own shortage (pool exhausted, host limit): no fault */
#define DNS_EDE_PROHIBITED 18 /* its admission refused this resolver */

/*
 * The query to a nested gateway: ID 0 (dns/upq.c sets its own), RD clear, the question as the
 * client spelled it (qname_orig, wire form), EDNS with ECS when ecs is not NULL and ECI
 * (resolver, proto, port). Returns the length, 0 if it does not fit cap.
 */
size_t dns_nest_query(uint8_t *out, size_t cap, const uint8_t *qname, uint16_t qtype,
		      const struct prefix *ecs, const struct addr *resolver, uint16_t proto,
		      uint16_t port);

/* What a nested gateway answered, as far as we use it. */
struct dns_nest_answer {
	uint16_t rcode; /* extended (EDNS) rcode */
	int ede;	/* EDE INFO-CODE, -1 if none */
	bool has_addr;	/* A (the first, answer section; additional for SRV/TXT) */
	struct addr addr;
	bool has_srv; /* SRV rdata of the first SRV record */
	uint16_t srv_prio, srv_weight, srv_port;
	uint8_t srv_target[DNS_NAME_MAX];
	bool has_txt; /* rdata (character-strings) of the first TXT record */
	uint8_t txt[1024];
	size_t txt_len;
	unsigned answers; /* records in the answer section */
};

/* Parse the answer (already matched to our query: ID, question) to a QTYPE qtype. Bounded,
 * never reads past len. 0, or -EINVAL for a malformed message. */
int dns_nest_parse(const uint8_t *m, size_t len, uint16_t qtype, struct dns_nest_answer *out);

#endif
