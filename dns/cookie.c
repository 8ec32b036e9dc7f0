/* SPDX-License-Identifier: MIT */
/* dns/cookie.c -- DNS server cookies (RFC 7873, interoperable format of RFC 9018) */
#include <string.h>

#include "../common/util.h"
#include "cookie.h"
#include "wire.h"

#define COOKIE_MAX_AGE_S    3600
#define COOKIE_MAX_FUTURE_S 300

int
dns_cookie_rotate(struct dns_cookie_secrets *s)
{
	uint8_t fresh[16];
	int r = util_random(fresh, sizeof(fresh));

	if (r != 0)
		return r;
	memcpy(s->prev, s->cur, sizeof(s->prev));
	s->has_prev = true;
	memcpy(s->cur, fresh, sizeof(s->cur));
	return 0;
}

void
dns_cookie_make(const uint8_t key[16], const uint8_t client[8], const struct addr *client_ip,
		uint32_t now_s, uint8_t out[16])
{
	uint8_t in[8 + 8 + 16];
	size_t n = 16;

	out[0] = 1; /* version */
	out[1] = out[2] = out[3] = 0;
	dns_put32(out + 4, now_s);
	memcpy(in, client, 8);
	memcpy(in + 8, out, 8);
	if (client_ip->family == AF_INET) {
		memcpy(in + 16, client_ip->u.bytes, 4);
		n += 4;
	} else if (client_ip->family == AF_INET6) {
		memcpy(in + 16, client_ip->u.bytes, 16);
		n += 16;
	}
	uint64_t h = util_siphash24(key, in, n);
	/* byte order of the hash: little-endian, as the reference implementations write it */
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(h >> (8 * i));
}

enum dns_cookie_state
dns_cookie_check(const struct dns_cookie_secrets *s, const uint8_t *cookie, size_t len,
		 const struct addr *client_ip, uint32_t now_s)
{
	uint8_t want[16];

	if (len == DNS_COOKIE_CLIENT_LEN)
		return DNS_COOKIE_CLIENT_ONLY;
	if (len != DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN)
		return DNS_COOKIE_BAD; /* not our format */
	const uint8_t *sc = cookie + DNS_COOKIE_CLIENT_LEN;
	if (sc[0] != 1)
		return DNS_COOKIE_BAD;
	uint32_t ts = dns_get32(sc + 4);
	/* serial-number style comparison so that the 2106 wrap does not matter */
	int32_t age = (int32_t)(now_s - ts);
	if (age > COOKIE_MAX_AGE_S || age < -COOKIE_MAX_FUTURE_S)
		return DNS_COOKIE_BAD;
	dns_cookie_make(s->cur, cookie, client_ip, ts, want);
	if (util_ct_equal(want + 8, sc + 8, 8))
		return DNS_COOKIE_VALID;
	if (s->has_prev) {
		dns_cookie_make(s->prev, cookie, client_ip, ts, want);
		if (util_ct_equal(want + 8, sc + 8, 8))
			return DNS_COOKIE_VALID;
	}
	return DNS_COOKIE_BAD;
}
