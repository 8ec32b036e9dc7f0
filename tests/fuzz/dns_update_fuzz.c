/* SPDX-License-Identifier: MIT */
/* tests/fuzz/dns_update_fuzz.c -- libFuzzer target over DNS UPDATE (dns/ddns.c, ldns, store) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "common/conf.h"
#include "common/ev.h"
#include "common/log.h"
#include "dns/server.h"
#include "policy/bundle.h"
#include "policy/store.h"

/*
 * Input: a message as received on a DDNS listener (UPDATE, or a query). The store is an
 * in-memory SQLite database holding one forward and one reverse zone; hosts registered by one
 * input stay for the next ones (state is part of what is fuzzed). Every reply must fit the
 * buffer and carry the request's ID.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char bundle[] =
	"{\"version\": 1, \"zones\": ["
	"{\"name\": \"gwa.demo\", \"kind\": \"forward\", \"ttl\": 3600, \"soa\": {\"mname\": "
	"\"ns1.gwa.demo\", \"rname\": \"hostmaster.gwa.demo\", \"serial\": 1, \"refresh\": 3600, "
	"\"retry\": 600, \"expire\": 86400, \"minimum\": 60}, \"nameservers\": [{\"name\": "
	"\"ns1.gwa.demo\", \"ipv4\": \"127.0.0.1\"}]},"
	"{\"name\": \"0.168.192.in-addr.arpa\", \"kind\": \"reverse\", \"ttl\": 3600, \"soa\": "
	"{\"mname\": \"ns1.gwa.demo\", \"rname\": \"hostmaster.gwa.demo\", \"serial\": 1, "
	"\"refresh\": 3600, \"retry\": 600, \"expire\": 86400, \"minimum\": 60}}],"
	"\"hosts\": [{\"fqdn\": \"test.gwa.demo\", \"ipv4\": \"192.168.0.100\", \"services\": "
	"[{\"fqdn\": \"test.gwa.demo\"}]}]}";

static struct dns *d;
static struct policy_parts parts; /* the committer: store and dns */

static void
init(void)
{
	static struct conf c;
	struct pol_err err;
	struct pol_snap *s = NULL;
	struct pol_store *st;

	log_init("fuzz", false, LOG_LVL_ERR);
	conf_defaults(&c);
	st = pol_store_open(":memory:", &err);
	if (!st || pol_bundle_parse(bundle, strlen(bundle), &s, &err) != 0 ||
	    pol_store_replace(st, s, &err) != 0)
		abort();
	pol_snap_unref(s);
	d = dns_new(ev_loop_new(), &c, st);
	if (!d)
		abort();
	parts.store = st;
	parts.dns = d;
	dns_set_committer(d, policy_commit, &parts);
	if (policy_reload(&parts, &(struct pol_change){ .actor = "fuzz" }, &err) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	struct addr src;

	if (!d)
		init();
	memset(&src, 0, sizeof(src));
	src.family = AF_INET;
	size_t n = dns_ddns_handle(d, data, size, &src, out, sizeof(out));
	if (n > sizeof(out) || (n > 0 && (n < 12 || out[0] != data[0] || out[1] != data[1])))
		abort();
	return 0;
}
