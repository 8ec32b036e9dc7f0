/* SPDX-License-Identifier: MIT */
/* nat/packet.c -- parser of the first packet of a flow */
#include <string.h>

#include "packet.h"

static enum nat_pkt_result parse_l4(const uint8_t *l4, size_t len, struct nat_pkt *out);

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum nat_pkt_result
parse_l4(const uint8_t *l4, size_t len, struct nat_pkt *out)
{
	switch (out->proto) {
	case 6: /* TCP */
		if (len < 20)
			return NAT_PKT_NEED_MORE;
		if ((l4[12] >> 4) < 5)
			return NAT_PKT_INVALID;
		out->sport = rd16(l4);
		out->dport = rd16(l4 + 2);
		out->tcp_seq = rd32(l4 + 4);
		out->tcp_ack = rd32(l4 + 8);
		out->tcp_flags = l4[13];
		return NAT_PKT_OK;
	case 17:  /* UDP */
	case 136: /* UDP-Lite */
		if (len < 8)
			return NAT_PKT_NEED_MORE;
		out->sport = rd16(l4);
		out->dport = rd16(l4 + 2);
		return NAT_PKT_OK;
	case 132: /* SCTP common header */
		if (len < 12)
			return NAT_PKT_NEED_MORE;
		out->sport = rd16(l4);
		out->dport = rd16(l4 + 2);
		out->sctp_vtag = rd32(l4 + 4);
		return NAT_PKT_OK;
	case 1:	 /* ICMP */
	case 58: /* ICMPv6 */
		if (len < 4)
			return NAT_PKT_NEED_MORE;
		out->icmp_type = l4[0];
		out->icmp_code = l4[1];
		/* Echo (ICMP 8/0, ICMPv6 128/129): id and sequence follow the checksum. */
		if ((out->icmp_type == 8 || out->icmp_type == 0 || out->icmp_type == 128 ||
		     out->icmp_type == 129) &&
		    len >= 8) {
			out->icmp_id = rd16(l4 + 4);
			out->icmp_seq = rd16(l4 + 6);
		}
		return NAT_PKT_OK;
	default:
		return NAT_PKT_OK;
	}
}

enum nat_pkt_result
nat_pkt_parse(const uint8_t *data, size_t len, struct nat_pkt *out)
{
	size_t hl, tot;

	memset(out, 0, sizeof(*out));
	if (len < 1)
		return NAT_PKT_NEED_MORE;
	switch (data[0] >> 4) {
	case 4:
		if (len < 20)
			return NAT_PKT_NEED_MORE;
		hl = (size_t)(data[0] & 0x0f) * 4;
		tot = rd16(data + 2);
		if (hl < 20 || tot < hl)
			return NAT_PKT_INVALID;
		if (len < hl)
			return NAT_PKT_NEED_MORE;
		out->src.family = out->dst.family = AF_INET;
		memcpy(&out->src.u.v4, data + 12, 4);
		memcpy(&out->dst.u.v4, data + 16, 4);
		out->proto = data[9];
		/* A non-first fragment carries no transport header. */
		if (rd16(data + 6) & 0x1fff)
			return NAT_PKT_UNSUPPORTED;
		/* Only what the IP header says belongs to the packet (ignore trailing bytes). */
		if (len > tot)
			len = tot;
		return parse_l4(data + hl, len - hl, out);
	case 6:
		if (len < 40)
			return NAT_PKT_NEED_MORE;
		out->src.family = out->dst.family = AF_INET6;
		memcpy(&out->src.u.v6, data + 8, 16);
		memcpy(&out->dst.u.v6, data + 24, 16);
		out->proto = data[6];
		switch (out->proto) {
		case 6:
		case 17:
		case 58:
		case 132:
		case 136:
			break;
		default:
			/* Extension headers (and no-next-header) are not walked. */
			return NAT_PKT_UNSUPPORTED;
		}
		tot = 40 + (size_t)rd16(data + 4);
		if (len > tot)
			len = tot;
		return parse_l4(data + 40, len - 40, out);
	default:
		return NAT_PKT_INVALID;
	}
}

bool
nat_pkt_is_syn(const struct nat_pkt *p)
{
	return p->proto == 6 && (p->tcp_flags & (NAT_TCP_SYN | NAT_TCP_ACK | NAT_TCP_RST |
						 NAT_TCP_FIN)) == NAT_TCP_SYN;
}

void
nat_pkt_rej_key(const struct nat_pkt *p, struct nat_rej_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)p->src.family;
	k->proto = p->proto;
	if (p->src.family == AF_INET) {
		memcpy(k->src, &p->src.u.v4, 4);
		memcpy(k->dst, &p->dst.u.v4, 4);
	} else {
		memcpy(k->src, &p->src.u.v6, 16);
		memcpy(k->dst, &p->dst.u.v6, 16);
	}
	switch (p->proto) {
	case 1:
	case 58:
		k->k1 = (uint32_t)p->icmp_type << 8 | p->icmp_code;
		k->k2 = (uint32_t)p->icmp_id << 16 | p->icmp_seq;
		break;
	case 6:
		k->k1 = (uint32_t)p->sport << 16 | p->dport;
		k->k2 = p->tcp_seq;
		k->k3 = p->tcp_ack;
		break;
	case 17:
	case 132:
	case 136:
		k->k1 = (uint32_t)p->sport << 16 | p->dport;
		break;
	default:
		break;
	}
}
