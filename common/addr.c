/* SPDX-License-Identifier: MIT */
/* common/addr.c -- IPv4/IPv6 address, prefix and address:port helpers */
#include "common/addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

static int parse_port(const char *s, uint16_t *out);
static void hash_key_init(void);

static uint8_t hash_key[16];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

int
addr_parse(const char *s, struct addr *out)
{
	struct addr a;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.u.v4) == 1) {
		a.family = AF_INET;
	} else if (inet_pton(AF_INET6, s, &a.u.v6) == 1) {
		a.family = AF_INET6;
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

unsigned
addr_maxlen(int family)
{
	if (family == AF_INET)
		return 32;
	if (family == AF_INET6)
		return 128;
	return 0;
}

void
addr_mask(struct addr *a, unsigned len)
{
	unsigned max = addr_maxlen(a->family);

	if (len >= max)
		return;
	for (unsigned i = 0; i < max / 8; i++) {
		unsigned bit = i * 8;

		if (bit >= len)
			a->u.bytes[i] = 0;
		else if (bit + 8 > len)
			a->u.bytes[i] &= (uint8_t)(0xff << (8 - (len - bit)));
	}
}

int
prefix_parse(const char *s, bool lenient, struct prefix *out)
{
	char tmp[PREFIX_STRLEN + 8];
	const char *slash;
	struct prefix p;
	long len;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (strlen(s) >= sizeof(tmp))
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	slash = strchr(s, '/');
	if (slash == NULL) {
		if (addr_parse(s, &p.addr) < 0)
			return -EINVAL;
		p.len = (uint8_t)addr_maxlen(p.addr.family);
		*out = p;
		return 0;
	}
	memcpy(tmp, s, (size_t)(slash - s));
	tmp[slash - s] = '\0';
	if (addr_parse(tmp, &p.addr) < 0)
		return -EINVAL;
	/* digits only: util_parse_long would accept a sign */
	if (!isdigit((unsigned char)slash[1]) ||
	    util_parse_long(slash + 1, 0, addr_maxlen(p.addr.family), &len) < 0)
		return -EINVAL;
	p.len = (uint8_t)len;
	struct addr masked = p.addr;

	addr_mask(&masked, p.len);
	if (!addr_eq(&masked, &p.addr) && !lenient)
		return -EINVAL;
	p.addr = masked;
	*out = p;
	return 0;
}

static int
parse_port(const char *s, uint16_t *out)
{
	long v;

	if (!isdigit((unsigned char)s[0]) || strlen(s) > 5)
		return -EINVAL;
	if (util_parse_long(s, 1, 65535, &v) < 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int
addr_port_parse(const char *s, uint16_t default_port, struct addr_port *out)
{
	char host[ADDR_PORT_STRLEN];
	const char *port_s = NULL;
	struct addr a;
	uint16_t port = default_port;
	size_t n;

	if (s == NULL || *s == '\0' || strlen(s) >= sizeof(host))
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			return -EINVAL;
		n = (size_t)(close - s - 1);
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
		/* brackets are for IPv6 only */
		if (strchr(host, ':') == NULL)
			return -EINVAL;
	} else {
		const char *colon = strchr(s, ':');

		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			/* several colons: a bare IPv6 address, no port */
			util_strlcpy(host, s, sizeof(host));
		} else if (colon != NULL) {
			n = (size_t)(colon - s);
			memcpy(host, s, n);
			host[n] = '\0';
			port_s = colon + 1;
		} else {
			util_strlcpy(host, s, sizeof(host));
		}
	}
	if (port_s != NULL) {
		if (parse_port(port_s, &port) < 0)
			return -EINVAL;
	} else if (port == 0) {
		return -EINVAL;
	}
	if (strcmp(host, "*") == 0) {
		memset(&a, 0, sizeof(a));
		a.family = AF_INET;
	} else if (addr_parse(host, &a) < 0) {
		return -EINVAL;
	}
	/* "[1.2.3.4]" was refused above; a bare v6 with a port must use brackets */
	addr_to_sockaddr(&a, port, out);
	return 0;
}

const char *
addr_ntop(const struct addr *a, char *buf, size_t len)
{
	if (a->family != AF_INET && a->family != AF_INET6) {
		util_strlcpy(buf, "none", len);
		return buf;
	}
	if (inet_ntop(a->family, &a->u, buf, (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
	return buf;
}

const char *
prefix_ntop(const struct prefix *p, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", addr_ntop(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

const char *
sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	struct addr ad;
	uint16_t port;

	if (addr_from_sockaddr(sa, &ad, &port) < 0) {
		util_strlcpy(buf, "none", len);
		return buf;
	}
	addr_ntop(&ad, a, sizeof(a));
	if (ad.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

const char *
addr_port_ntop(const struct addr_port *ap, char *buf, size_t len)
{
	return sockaddr_ntop((const struct sockaddr *)&ap->ss, buf, len);
}

int
addr_from_sockaddr(const struct sockaddr *sa, struct addr *out, uint16_t *port)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		out->family = AF_INET;
		out->u.v4 = sin->sin_addr;
		if (port != NULL)
			*port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		out->family = AF_INET6;
		out->u.v6 = sin6->sin6_addr;
		if (port != NULL)
			*port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

void
addr_to_sockaddr(const struct addr *a, uint16_t port, struct addr_port *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->u.v6;
		sin6->sin6_port = htons(port);
		out->len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;

		sin->sin_family = AF_INET;
		if (a->family == AF_INET)
			sin->sin_addr = a->u.v4;
		sin->sin_port = htons(port);
		out->len = sizeof(*sin);
	}
}

uint16_t
addr_port_port(const struct addr_port *ap)
{
	struct addr a;
	uint16_t port = 0;

	if (addr_from_sockaddr((const struct sockaddr *)&ap->ss, &a, &port) < 0)
		return 0;
	return port;
}

void
addr_port_addr(const struct addr_port *ap, struct addr *out)
{
	if (addr_from_sockaddr((const struct sockaddr *)&ap->ss, out, NULL) < 0)
		memset(out, 0, sizeof(*out));
}

void
addr_from_v4(uint32_t host_order, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->u.v4.s_addr = htonl(host_order);
}

uint32_t
addr_v4(const struct addr *a)
{
	return a->family == AF_INET ? ntohl(a->u.v4.s_addr) : 0;
}

int
addr_cmp(const struct addr *a, const struct addr *b)
{
	unsigned n;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	n = addr_maxlen(a->family) / 8;
	return n ? memcmp(a->u.bytes, b->u.bytes, n) : 0;
}

bool
addr_eq(const struct addr *a, const struct addr *b)
{
	return addr_cmp(a, b) == 0;
}

static void
hash_key_init(void)
{
	/* a per-process key keeps remote peers from choosing colliding addresses */
	if (util_random(hash_key, sizeof(hash_key)) < 0)
		memset(hash_key, 0x5a, sizeof(hash_key));
}

uint32_t
addr_hash(const struct addr *a)
{
	uint8_t in[17];
	unsigned n = addr_maxlen(a->family) / 8;
	uint64_t h;

	pthread_once(&hash_once, hash_key_init);
	in[0] = (uint8_t)a->family;
	memcpy(in + 1, a->u.bytes, n);
	h = util_siphash24(hash_key, in, n + 1);
	return (uint32_t)(h ^ (h >> 32));
}

bool
addr_is_any(const struct addr *a)
{
	static const uint8_t zero[16];
	unsigned n = addr_maxlen(a->family) / 8;

	return n > 0 && memcmp(a->u.bytes, zero, n) == 0;
}

bool
prefix_contains(const struct prefix *p, const struct addr *a)
{
	struct addr m;

	if (p->addr.family != a->family || p->len > addr_maxlen(a->family))
		return false;
	m = *a;
	addr_mask(&m, p->len);
	return addr_eq(&m, &p->addr);
}

bool
addr_port_equal(const struct addr_port *a, const struct addr_port *b)
{
	struct addr x, y;

	addr_port_addr(a, &x);
	addr_port_addr(b, &y);
	return addr_eq(&x, &y) && addr_port_port(a) == addr_port_port(b);
}

int
addr_sock_freebind(int fd, int family)
{
	int one = 1;
	int rc = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one))
				    : setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));

	return rc == -1 ? -errno : 0;
}

static bool missing_expected;

void
addr_missing_expected(bool yes)
{
	missing_expected = yes;
}

void
addr_note_missing(const struct addr_port *ap, const char *what)
{
	struct addr_port probe = *ap;
	struct addr a;
	char buf[ADDR_PORT_STRLEN];
	int fd, err = 0;

	addr_port_addr(ap, &a);
	if (addr_is_any(&a))
		return;
	fd = socket(ap->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	if (probe.ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&probe.ss)->sin6_port = 0;
	else
		((struct sockaddr_in *)&probe.ss)->sin_port = 0;
	if (bind(fd, (const struct sockaddr *)&probe.ss, probe.len) == -1)
		err = errno;
	close(fd);
	if (err != EADDRNOTAVAIL)
		return;
	addr_port_ntop(ap, buf, sizeof(buf));
	if (missing_expected)
		log_info("%s: %s is on no interface yet (the HA pair's active adds it)", what, buf);
	else
		log_warnx("%s: %s is on no interface: nothing arrives on it until the address is "
			  "configured on one",
			  what, buf);
}
