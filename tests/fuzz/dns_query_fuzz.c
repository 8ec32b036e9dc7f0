/* SPDX-License-Identifier: MIT */
/* tests/fuzz/dns_query_fuzz.c -- libFuzzer target over the DNS query path (dns/answer.c) */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/qmin.h"
#include "dns/zone.h"

/*
 * Input: one control byte, then the query as received.
 *   bits 0-1: view (WAN, LAN, local)   bit 2: TCP   bit 3: allocation refused
 *   bit 4: no allocator (worker path)  bits 5-7: output buffer size class
 * Two policies (anti-spoofing on and off) are built once and chosen by bit 3 of the query ID.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_db *dbs[2];
static struct dns_cookie_secrets secrets;
static bool refuse;

static void
set_addr(struct addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.v4) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a->u.v6) == 1)
		a->family = AF_INET6;
}

static struct dns_db *
build(bool strict)
{
	struct pol_snap *s = pol_snap_new();
	static const char *const svc[] = { "test.gwa.demo",	  "www.test.gwa.demo",
					   "ssh.test.gwa.demo",	  "tcp2000.test.gwa.demo",
					   "udp53.test.gwa.demo", "icmp.test.gwa.demo" };

	s->zones = calloc(3, sizeof(*s->zones));
	s->nameservers = calloc(1, sizeof(*s->nameservers));
	s->service_addrs = calloc(1, sizeof(*s->service_addrs));
	s->hosts = calloc(3, sizeof(*s->hosts));
	s->services = calloc(8, sizeof(*s->services));
	const char *zn[3] = { "gwa.demo", "168.192.in-addr.arpa", "cname-gwa.demo" };
	for (int i = 0; i < 3; i++) {
		struct pol_zone *z = &s->zones[s->n_zones++];
		z->id = i + 1;
		snprintf(z->name, sizeof(z->name), "%s", zn[i]);
		z->kind = (enum pol_zone_kind)i;
		z->ttl = 3600;
		snprintf(z->mname, sizeof(z->mname), "ns1.gwa.demo");
		snprintf(z->rname, sizeof(z->rname), "hostmaster.gwa.demo");
		z->minimum = 60;
	}
	s->nameservers[0].id = 1;
	s->nameservers[0].zone_id = 1;
	snprintf(s->nameservers[0].name, POL_NAME_MAX, "ns1.gwa.demo");
	set_addr(&s->nameservers[0].ipv4, "100.64.1.130");
	s->n_nameservers = 1;
	s->service_addrs[0].id = 1;
	set_addr(&s->service_addrs[0].addr, "100.64.1.130");
	s->n_service_addrs = 1;
	struct pol_host *h = &s->hosts[s->n_hosts++];
	h->id = 1;
	snprintf(h->fqdn, POL_NAME_MAX, "test.gwa.demo");
	set_addr(&h->ipv4, "192.168.0.100");
	set_addr(&h->ipv6, "2001:db8::100");
	h = &s->hosts[s->n_hosts++];
	h->id = 2;
	snprintf(h->fqdn, POL_NAME_MAX, "gwa.demo");
	set_addr(&h->ipv4, "100.64.1.130");
	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++) {
		struct pol_service *v = &s->services[s->n_services++];
		v->id = (int64_t)i + 1;
		v->host_id = 1;
		snprintf(v->fqdn, POL_NAME_MAX, "%s", svc[i]);
		v->proxy_required = i == 1;
	}
	s->admission.dns_tcp = strict;
	s->admission.dns_cookies = strict;
	struct dns_db *db = dns_db_build(s);
	pol_snap_unref(s);
	return db;
}

static int
alloc(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	(void)arg;
	(void)req;
	if (refuse) {
		*why = NAT_REFUSE_EXHAUSTED;
		return -1;
	}
	set_addr(out, "100.64.1.131");
	return 0;
}

/* QNAME minimisation: the ancestors handed over are few, in zone, pooled services. */
static unsigned
qmin(void *arg, const struct addr *resolver, const struct prefix *requestor, const int64_t *ids,
     size_t n)
{
	(void)arg;
	(void)requestor;
	if (n == 0 || n > DNS_QMIN_MAX || resolver->family == 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (ids[i] < 1 || ids[i] > 6 || ids[i] == 2) /* 2 is proxy_required */
			abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	static const size_t caps[8] = { 512, 513, 600, 1232, 1500, 4096, 16384, 65535 };
	struct dns_answer_ctx ctx;
	struct dns_answer_info info;

	if (!dbs[0]) {
		dbs[0] = build(false);
		dbs[1] = build(true);
		dns_cookie_rotate(&secrets);
		dns_cookie_rotate(&secrets);
	}
	if (size < 1)
		return 0;
	uint8_t c = data[0];
	data++;
	size--;
	memset(&ctx, 0, sizeof(ctx));
	ctx.db = dbs[size > 1 && (data[1] & 8) ? 1 : 0];
	ctx.view = (enum dns_view)((c & 3) % 3);
	ctx.tcp = c & 4;
	refuse = c & 8;
	ctx.alloc = (c & 16) ? NULL : alloc;
	ctx.qmin = qmin;
	set_addr(&ctx.src, (c & 1) ? "2001:db8::7" : "198.51.100.7");
	ctx.edns_size = 1232;
	ctx.lan_ttl = 30;
	ctx.cookies = &secrets;
	ctx.now_s = 1800000000u;
	ctx.last_try = c & 2;
	size_t cap = caps[c >> 5];
	enum dns_answer_res r = dns_answer(&ctx, data, size, out, cap, &info);
	if (r == DNS_ANS_SEND && (info.len < 12 || info.len > cap))
		abort();
	if (r == DNS_ANS_SEND && !ctx.tcp && info.len > 512 && info.len > 1232)
		abort(); /* UDP answers never exceed the negotiated size */
	return 0;
}
