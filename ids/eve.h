/* SPDX-License-Identifier: MIT */
/* ids/eve.h -- Suricata EVE JSON: one alert record in, the flow and verdict inputs out (pure) */
#ifndef RGW_IDS_EVE_H
#define RGW_IDS_EVE_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

/* Longest record accepted (a line of unix_stream, a unix_dgram datagram). Suricata's alert
 * records with payload and packet dumps disabled are well under 4 KiB. */
#define IDS_EVE_MAX 65536
#define IDS_SIG_MAX 128

enum ids_eve {
	IDS_EVE_ALERT = 0, /* an alert with a usable flow: *out filled */
	IDS_EVE_OTHER,	   /* valid EVE, not an alert (flow, stats, dns, ... events) */
	IDS_EVE_INVALID,   /* not JSON, not an object, too long, or an alert without addresses */
};

struct ids_alert {
	struct addr src, dst;  /* src_ip, dest_ip (same family) */
	uint16_t sport, dport; /* 0 when the protocol has no ports */
	uint8_t proto;	       /* IPPROTO_*: TCP, UDP, SCTP, ICMP, IPv6-ICMP, or a number */
	int severity;	       /* alert.severity, 1 (highest) .. 255; 3 when absent */
	uint64_t sid;	       /* alert.signature_id */
	uint64_t flow_id;      /* flow_id, 0 when absent */
	int64_t ts_us;	       /* timestamp (the packet's), UNIX epoch in µs; 0 when absent */
	char sig[IDS_SIG_MAX]; /* alert.signature, printable ASCII, truncated */
	char iface[16];	       /* in_iface, "" when absent */
};

/*
 * Parse one EVE record of len bytes (no NUL needed; a trailing newline or CR is ignored).
 * At most IDS_EVE_MAX bytes; nesting bounded by jansson. Never reads past len. Pure, any
 * thread. Returns IDS_EVE_ALERT with *out filled, IDS_EVE_OTHER or IDS_EVE_INVALID.
 */
enum ids_eve ids_eve_parse(const char *data, size_t len, struct ids_alert *out);
/* Suricata's timestamp "2024-05-01T12:00:00.123456+0200" as UNIX epoch µs; -1 if malformed. */
int64_t ids_eve_time(const char *s);

#endif
