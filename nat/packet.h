/* SPDX-License-Identifier: MIT */
/* nat/packet.h -- parser of the first packet of a flow (IPv4, IPv6; TCP, UDP, SCTP, ICMP) */
#ifndef RGW_NAT_PACKET_H
#define RGW_NAT_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"

/* Pure: bytes in, fields out. No allocation, no I/O, any thread. */

enum nat_pkt_result {
	NAT_PKT_OK = 0,
	NAT_PKT_NEED_MORE,   /* the headers are cut short */
	NAT_PKT_INVALID,     /* malformed header (version, IHL, lengths) */
	NAT_PKT_UNSUPPORTED, /* non-first fragment, IPv6 extension headers */
};

/* TCP flag bits as on the wire. */
enum {
	NAT_TCP_FIN = 0x01,
	NAT_TCP_SYN = 0x02,
	NAT_TCP_RST = 0x04,
	NAT_TCP_PSH = 0x08,
	NAT_TCP_ACK = 0x10,
};

struct nat_pkt {
	struct addr src;
	struct addr dst;
	uint8_t proto;	       /* IP protocol / IPv6 next header */
	uint16_t sport, dport; /* host order; 0 when the protocol has no ports */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* echo request / reply only */
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint32_t sctp_vtag;
};

/*
 * Parse an IP packet starting at the IP header (what NFQUEUE hands over). Only the headers
 * are needed (a copy range of 80 bytes is enough); the payload may be cut.
 * Ports of protocols other than TCP, UDP, SCTP are 0.
 */
enum nat_pkt_result nat_pkt_parse(const uint8_t *data, size_t len, struct nat_pkt *out);

/* True for a TCP segment with SYN set and ACK, RST, FIN clear. */
bool nat_pkt_is_syn(const struct nat_pkt *p);

/*
 * Key of the rejected-packet memory (rgw-original-behaviour.md §3.10): (src, dst) plus
 * ICMP (type, code, and for echo the id and sequence: only a retransmission matches); TCP (sport, dport, seq, ack), so that only exact SYN retransmissions
 * match; UDP/SCTP (sport, dport); the protocol otherwise. Padding is zeroed: compare and
 * hash it as bytes.
 */
struct nat_rej_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t family;
	uint8_t proto;
	uint16_t pad;
	uint32_t k1, k2, k3;
};

void nat_pkt_rej_key(const struct nat_pkt *p, struct nat_rej_key *key);

#endif
