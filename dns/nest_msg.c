/* SPDX-License-Identifier: MIT */
/* dns/nest_msg.c -- queries to nested gateways and their answers (pure, no I/O) */
#include <errno.h>
#include <string.h>

#include "nest.h"

static size_t put_opt_ecs(uint8_t *p, const struct prefix *ecs);
static size_t put_opt_eci(uint8_t *p, const struct addr *a, uint16_t proto, uint16_t port);
static int parse_opt(const uint8_t *rd, size_t rdlen, uint32_t ttl, struct dns_nest_answer *out);

/* ECS (RFC 7871): family, source prefix, scope 0, ceil(len / 8) address bytes. */
static size_t
put_opt_ecs(uint8_t *p, const struct prefix *ecs)
{
	size_t alen = ((size_t)ecs->len + 7) / 8;

	dns_put16(p, DNS_OPT_ECS);
	dns_put16(p + 2, (uint16_t)(4 + alen));
	dns_put16(p + 4, ecs->addr.family == AF_INET6 ? 2 : 1);
	p[6] = ecs->len;
	p[7] = 0;
	memcpy(p + 8, ecs->addr.u.bytes, alen);
	return 8 + alen;
}

/* ECI (0xFF01, the original's): family, address, protocol, port (the "query_id" field). */
static size_t
put_opt_eci(uint8_t *p, const struct addr *a, uint16_t proto, uint16_t port)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	dns_put16(p, DNS_OPT_ECI);
	dns_put16(p + 2, (uint16_t)(2 + alen + 4));
	dns_put16(p + 4, a->family == AF_INET6 ? 2 : 1);
	memcpy(p + 6, a->u.bytes, alen);
	dns_put16(p + 6 + alen, proto);
	dns_put16(p + 8 + alen, port);
	return 10 + alen;
}

size_t
dns_nest_query(uint8_t *out, size_t cap, const uint8_t *qname, uint16_t qtype,
	       const struct prefix *ecs, const struct addr *resolver, uint16_t proto, uint16_t port)
{
	size_t nlen = dns_name_len(qname), pos, rdlen;

	/* header + question + OPT (11) + ECS (8 + 16) + ECI (10 + 16) */
	if (cap < DNS_HDR_LEN + nlen + 4 + 11 + 24 + 26)
		return 0;
	memset(out, 0, DNS_HDR_LEN);
	dns_put16(out + 4, 1);	/* QDCOUNT */
	dns_put16(out + 10, 1); /* ARCOUNT: OPT */
	memcpy(out + DNS_HDR_LEN, qname, nlen);
	pos = DNS_HDR_LEN + nlen;
	dns_put16(out + pos, qtype);
	dns_put16(out + pos + 2, DNS_C_IN);
	pos += 4;
	out[pos] = 0; /* root owner */
	dns_put16(out + pos + 1, DNS_T_OPT);
	dns_put16(out + pos + 3, 1232);
	dns_put32(out + pos + 5, 0);
	pos += 11;
	rdlen = 0;
	if (ecs != NULL && (ecs->addr.family == AF_INET || ecs->addr.family == AF_INET6))
		rdlen += put_opt_ecs(out + pos + rdlen, ecs);
	if (resolver->family == AF_INET || resolver->family == AF_INET6)
		rdlen += put_opt_eci(out + pos + rdlen, resolver, proto, port);
	dns_put16(out + pos - 2, (uint16_t)rdlen);
	return pos + rdlen;
}

static int
parse_opt(const uint8_t *rd, size_t rdlen, uint32_t ttl, struct dns_nest_answer *out)
{
	size_t p = 0;

	out->rcode = (uint16_t)(out->rcode | ((ttl >> 24) << 4));
	while (p < rdlen) {
		uint16_t code, olen;

		if (rdlen - p < 4)
			return -EINVAL;
		code = dns_get16(rd + p);
		olen = dns_get16(rd + p + 2);
		p += 4;
		if (olen > rdlen - p)
			return -EINVAL;
		if (code == DNS_OPT_EDE && olen >= 2 && out->ede < 0)
			out->ede = dns_get16(rd + p);
		p += olen;
	}
	return 0;
}

int
dns_nest_parse(const uint8_t *m, size_t len, uint16_t qtype, struct dns_nest_answer *out)
{
	uint16_t flags, qd, an, ns, ar;
	size_t off = DNS_HDR_LEN;
	uint8_t name[DNS_NAME_MAX];
	size_t nlen;

	memset(out, 0, sizeof(*out));
	out->ede = -1;
	if (len < DNS_HDR_LEN)
		return -EINVAL;
	flags = dns_get16(m + 2);
	qd = dns_get16(m + 4);
	an = dns_get16(m + 6);
	ns = dns_get16(m + 8);
	ar = dns_get16(m + 10);
	out->rcode = DNS_RCODE(flags);
	for (unsigned i = 0; i < qd; i++) {
		if (dns_name_skip(m, len, &off) != DNS_PARSE_OK || len - off < 4)
			return -EINVAL;
		off += 4;
	}
	for (unsigned i = 0; i < (unsigned)an + ns + ar; i++) {
		uint16_t type, rdlen;
		uint32_t ttl;
		const uint8_t *rd;
		bool answer = i < an, additional = i >= (unsigned)an + ns;

		if (dns_name_unpack(m, len, &off, name, &nlen) != DNS_PARSE_OK || len - off < 10)
			return -EINVAL;
		type = dns_get16(m + off);
		ttl = dns_get32(m + off + 4);
		rdlen = dns_get16(m + off + 8);
		off += 10;
		if (rdlen > len - off)
			return -EINVAL;
		rd = m + off;
		if (answer)
			out->answers++;
		if (type == DNS_T_OPT && additional) {
			if (parse_opt(rd, rdlen, ttl, out) != 0)
				return -EINVAL;
		} else if (type == DNS_T_A && rdlen == 4 && !out->has_addr &&
			   (answer ? qtype == DNS_T_A : additional && qtype != DNS_T_A)) {
			out->has_addr = true;
			out->addr.family = AF_INET;
			memcpy(out->addr.u.bytes, rd, 4);
		} else if (type == DNS_T_SRV && answer && qtype == DNS_T_SRV && !out->has_srv &&
			   rdlen > 6) {
			size_t t = off + 6;

			/* the target is uncompressed (RFC 2782), but take a pointer too */
			if (dns_name_unpack(m, off + rdlen, &t, out->srv_target, &nlen) !=
				    DNS_PARSE_OK ||
			    t != off + rdlen)
				return -EINVAL;
			out->has_srv = true;
			out->srv_prio = dns_get16(rd);
			out->srv_weight = dns_get16(rd + 2);
			out->srv_port = dns_get16(rd + 4);
		} else if (type == DNS_T_TXT && answer && qtype == DNS_T_TXT && !out->has_txt &&
			   rdlen <= sizeof(out->txt)) {
			/* character-strings must fill the rdata exactly */
			size_t p = 0;

			while (p < rdlen)
				p += 1 + (size_t)rd[p];
			if (p != rdlen)
				return -EINVAL;
			out->has_txt = true;
			memcpy(out->txt, rd, rdlen);
			out->txt_len = rdlen;
		}
		off += rdlen;
	}
	return 0;
}
