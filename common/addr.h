/* SPDX-License-Identifier: MIT */
/* common/addr.h -- IPv4/IPv6 address, prefix and address:port helpers */
#ifndef RGW_COMMON_ADDR_H
#define RGW_COMMON_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 address. family is AF_INET, AF_INET6, or 0 for "none". */
struct addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	} u;
};

/* A prefix: addr with the host bits cleared, and len in 0..32 or 0..128. */
struct prefix {
	struct addr addr;
	uint8_t len;
};

/* "address:port": sockaddr ready for bind/connect. */
struct addr_port {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Text sizes including the NUL. */
#define ADDR_STRLEN	 46 /* INET6_ADDRSTRLEN */
#define PREFIX_STRLEN	 50 /* address + "/128" */
#define ADDR_PORT_STRLEN 56 /* "[" address "]:65535" */

/* Parse a v4 or v6 address (no brackets, no port). 0 or -EINVAL. */
int addr_parse(const char *s, struct addr *out);
/* Parse "a.b.c.d/len", "x::/len", or a plain address (full length). Host bits must be zero
 * unless `lenient`, in which case they are cleared. 0 or -EINVAL. */
int prefix_parse(const char *s, bool lenient, struct prefix *out);
/* Parse "1.2.3.4:53", "[::1]:53", "1.2.3.4", "::1", "*:53" (v4 any) or "[::]:53".
 * default_port is used when no port is given (0 = port required). 0 or -EINVAL. */
int addr_port_parse(const char *s, uint16_t default_port, struct addr_port *out);

/* Format into buf (at least ADDR_STRLEN / PREFIX_STRLEN / ADDR_PORT_STRLEN). Return buf. */
const char *addr_ntop(const struct addr *a, char *buf, size_t len);
const char *prefix_ntop(const struct prefix *p, char *buf, size_t len);
const char *addr_port_ntop(const struct addr_port *ap, char *buf, size_t len);
const char *sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t len);

/* Conversions between struct addr and sockaddr (port in host order). */
int addr_from_sockaddr(const struct sockaddr *sa, struct addr *out, uint16_t *port);
void addr_to_sockaddr(const struct addr *a, uint16_t port, struct addr_port *out);
uint16_t addr_port_port(const struct addr_port *ap);
void addr_port_addr(const struct addr_port *ap, struct addr *out);

/*
 * Let fd bind an address the host does not hold yet (IP_FREEBIND / IPV6_FREEBIND), so that a
 * listener opened before its address arrives (the standby of an HA pair, whose service and
 * pool addresses come with VRRP) receives as soon as the address is configured. 0 or -errno.
 */
int addr_sock_freebind(int fd, int family);

/*
 * A listener bound with addr_sock_freebind to an address no interface holds receives nothing
 * until the address is configured: addr_note_missing logs it for what ("dns: UDP", "alg"...),
 * as a warning, or as information after addr_missing_expected(true) (an HA pair, where VRRP
 * adds the addresses on the active). The test binds a datagram socket to the address without
 * IP_FREEBIND; a wildcard address is never missing. Thread-safe (no state but the flag, set
 * before the listeners open).
 */
void addr_note_missing(const struct addr_port *ap, const char *what);
void addr_missing_expected(bool yes);

/* IPv4 helpers (host byte order). */
void addr_from_v4(uint32_t host_order, struct addr *out);
uint32_t addr_v4(const struct addr *a);

int addr_cmp(const struct addr *a, const struct addr *b);
bool addr_eq(const struct addr *a, const struct addr *b);
/* Same address (and scope) and port. */
bool addr_port_equal(const struct addr_port *a, const struct addr_port *b);
uint32_t addr_hash(const struct addr *a);
bool addr_is_any(const struct addr *a);
/* True if a is inside p (same family). */
bool prefix_contains(const struct prefix *p, const struct addr *a);
/* Clear host bits of a beyond len. */
void addr_mask(struct addr *a, unsigned len);
/* Maximum prefix length for the family: 32 or 128 (0 for none). */
unsigned addr_maxlen(int family);

#endif
