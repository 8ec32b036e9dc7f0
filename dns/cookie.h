/* SPDX-License-Identifier: MIT */
/* dns/cookie.h -- DNS server cookies (RFC 7873, interoperable format of RFC 9018) */
#ifndef RGW_DNS_COOKIE_H
#define RGW_DNS_COOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/addr.h"

/*
 * Server cookie = version (1) | reserved (3 x 0) | timestamp (4, seconds since the epoch) |
 * SipHash-2-4(client cookie | version | reserved | timestamp | client IP) (8), keyed by a
 * 16-byte secret. The secret rotates; the previous one is still accepted so that cookies
 * issued just before a rotation stay valid. A cookie is accepted when its timestamp is at most
 * one hour old and at most five minutes in the future (RFC 9018 4.3).
 * The secrets struct is plain data: copy it to share it with other threads.
 */
struct dns_cookie_secrets {
	uint8_t cur[16];
	uint8_t prev[16];
	bool has_prev;
};

enum dns_cookie_state {
	DNS_COOKIE_NONE = 0,	/* no COOKIE option */
	DNS_COOKIE_CLIENT_ONLY, /* client cookie only: first contact */
	DNS_COOKIE_VALID,	/* server cookie ours and fresh */
	DNS_COOKIE_BAD,		/* server cookie present but not valid (old, forged, other IP) */
};

/* New random current secret, the old one becomes previous. 0 or -errno. */
int dns_cookie_rotate(struct dns_cookie_secrets *s);
/* Write the 16-byte server cookie for (client cookie, client address) at now_s. */
void dns_cookie_make(const uint8_t key[16], const uint8_t client[8], const struct addr *client_ip,
		     uint32_t now_s, uint8_t out[16]);
/* Check the COOKIE option payload (8..40 bytes, already length-checked by the parser). */
enum dns_cookie_state dns_cookie_check(const struct dns_cookie_secrets *s, const uint8_t *cookie,
				       size_t len, const struct addr *client_ip, uint32_t now_s);

#endif
