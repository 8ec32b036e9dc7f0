/* SPDX-License-Identifier: MIT */
/* tests/unit/test_dns_update.c -- DNS UPDATE (dns/ddns.c) against a real SQLite policy store */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "common/conf.h"
#include "common/ev.h"
#include "commit.h"
#include "common/util.h"
#include "dns/server.h"
#include "policy/bundle.h"
#include "policy/store.h"

static const char bundle[] =
	"{\"version\": 1,"
	" \"zones\": ["
	"  {\"name\": \"gwa.demo\", \"kind\": \"forward\", \"ttl\": 3600,"
	"   \"soa\": {\"mname\": \"ns1.gwa.demo\", \"rname\": \"hostmaster.gwa.demo\", \"serial\": 1,"
	"    \"refresh\": 3600, \"retry\": 600, \"expire\": 86400, \"minimum\": 60},"
	"   \"nameservers\": [{\"name\": \"ns1.gwa.demo\", \"ipv4\": \"127.0.0.1\"}]},"
	"  {\"name\": \"0.168.192.in-addr.arpa\", \"kind\": \"reverse\", \"ttl\": 3600,"
	"   \"soa\": {\"mname\": \"ns1.gwa.demo\", \"rname\": \"hostmaster.gwa.demo\", \"serial\": 1,"
	"    \"refresh\": 3600, \"retry\": 600, \"expire\": 86400, \"minimum\": 60},"
	"   \"nameservers\": [{\"name\": \"ns1.gwa.demo\"}]}],"
	" \"service_addresses\": [\"100.64.1.130\"],"
	" \"pool\": [\"100.64.1.131-100.64.1.142\"],"
	" \"hosts\": [{\"fqdn\": \"test.gwa.demo\", \"ipv4\": \"192.168.0.100\","
	"   \"services\": [{\"fqdn\": \"test.gwa.demo\"}]}]}";

static char dir[64];
static char dbpath[128];
static struct pol_store *st;
static struct ev_loop *loop;
static struct dns *d;
static struct policy_parts parts; /* the committer: store and dns */
static uint8_t out[65535];

static void
start(const char *tsig)
{
	struct pol_err err;
	struct pol_snap *s = NULL;
	struct conf c;

	snprintf(dir, sizeof(dir), "/tmp/rgwdnsupd.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/rgw.db", dir);
	st = pol_store_open(dbpath, &err);
	assert_non_null(st);
	assert_int_equal(pol_bundle_parse(bundle, strlen(bundle), &s, &err), 0);
	assert_int_equal(pol_store_replace(st, s, &err), 0);
	pol_snap_unref(s);
	conf_defaults(&c);
	util_strlcpy(c.dns_tsig_key, tsig ? tsig : "", sizeof(c.dns_tsig_key));
	loop = ev_loop_new();
	assert_non_null(loop);
	d = dns_new(loop, &c, st);
	assert_non_null(d);
	memset(&parts, 0, sizeof(parts));
	parts.store = st;
	parts.dns = d;
	dns_set_committer(d, policy_commit, &parts);
	assert_int_equal(policy_reload(&parts, &(struct pol_change){ .actor = "unit" }, &err), 0);
}

static int
setup(void **state)
{
	(void)state;
	start(NULL);
	return 0;
}

static int
setup_tsig(void **state)
{
	(void)state;
	start("k1:hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=");
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	dns_free(d);
	pol_snap_unref(parts.snap);
	ev_loop_free(loop);
	pol_store_close(st);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
	return 0;
}

/* An UPDATE with zone `zone`; pre and upd are RRs in presentation form ("" ends). An RR
 * written "name CLASS TYPE" (no TTL, no rdata) is built by hand (class ANY / NONE). */
static ldns_rr *
rr(const char *s)
{
	ldns_rr *r = NULL;
	char name[256], cls[16], type[16];
	int used = 0;

	if (sscanf(s, "%255s %15s %15s%n", name, cls, type, &used) == 3 && s[used] == '\0' &&
	    (!strcmp(cls, "ANY") || !strcmp(cls, "NONE"))) {
		r = ldns_rr_new();
		ldns_rr_set_owner(r, ldns_dname_new_frm_str(name));
		ldns_rr_set_class(r, !strcmp(cls, "ANY") ? LDNS_RR_CLASS_ANY : LDNS_RR_CLASS_NONE);
		ldns_rr_set_type(r, ldns_get_rr_type_by_name(type));
		ldns_rr_set_ttl(r, 0);
		return r;
	}
	assert_int_equal(ldns_rr_new_frm_str(&r, s, 0, NULL, NULL), LDNS_STATUS_OK);
	return r;
}

static ldns_pkt *
mkupdate(const char *zone, const char *const *pre, const char *const *upd)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *z = ldns_rr_new();

	ldns_pkt_set_id(p, 0x5151);
	ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	ldns_rr_set_owner(z, ldns_dname_new_frm_str(zone));
	ldns_rr_set_type(z, LDNS_RR_TYPE_SOA);
	ldns_rr_set_class(z, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(z, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, z);
	for (size_t i = 0; pre && pre[i]; i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr(pre[i]));
	for (size_t i = 0; upd && upd[i]; i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr(upd[i]));
	return p;
}

/* Send p (signed when key), return the reply rcode (-1: no reply). */
static int
send_pkt(ldns_pkt *p, const char *key, bool *signed_reply)
{
	uint8_t *wire = NULL;
	size_t wlen = 0;
	struct addr src;
	ldns_pkt *r = NULL;

	if (key)
		assert_int_equal(ldns_pkt_tsig_sign(p, "k1", key, 300, "hmac-sha256", NULL),
				 LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&wire, p, &wlen), LDNS_STATUS_OK);
	memset(&src, 0, sizeof(src));
	src.family = AF_INET;
	src.u.v4.s_addr = htonl(0x7f000001);
	size_t n = dns_ddns_handle(d, wire, wlen, &src, out, sizeof(out));
	free(wire);
	ldns_pkt_free(p);
	if (n == 0)
		return -1;
	assert_int_equal(ldns_wire2pkt(&r, out, n), LDNS_STATUS_OK);
	assert_true(ldns_pkt_qr(r));
	assert_int_equal(ldns_pkt_get_opcode(r), LDNS_PACKET_UPDATE);
	assert_int_equal(ldns_pkt_id(r), 0x5151);
	if (signed_reply)
		*signed_reply = ldns_pkt_tsig(r) != NULL;
	int rc = ldns_pkt_get_rcode(r);
	ldns_pkt_free(r);
	return rc;
}

static int
update(const char *zone, const char *const *pre, const char *const *upd)
{
	return send_pkt(mkupdate(zone, pre, upd), NULL, NULL);
}

/* Is the host stored (with that IPv4 when v4 is not NULL)? */
static bool
stored(const char *fqdn, const char *v4, bool *dynamic)
{
	struct pol_snap *s = NULL;
	bool found = false;

	assert_int_equal(pol_store_snapshot(st, &s), 0);
	const struct pol_host *h = pol_snap_host_by_fqdn(s, fqdn);
	if (h) {
		char b[ADDR_STRLEN];
		found = !v4 || strcmp(addr_ntop(&h->ipv4, b, sizeof(b)), v4) == 0;
		if (dynamic)
			*dynamic = h->dynamic;
	}
	pol_snap_unref(s);
	return found;
}

/* The LAN view of the subsystem's current index answers name A with v4. */
static bool
answers(const char *name, const char *v4)
{
	struct dns_answer_ctx ctx;
	struct dns_answer_info info;
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_A,
					 LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire = NULL, resp[512];
	size_t wlen;
	ldns_pkt *r = NULL;
	bool ok = false;

	ldns_pkt2wire(&wire, q, &wlen);
	ldns_pkt_free(q);
	dns_ctx_init(d, &ctx, d->db, DNS_VIEW_LAN, false, NULL);
	if (dns_answer(&ctx, wire, wlen, resp, sizeof(resp), &info) == DNS_ANS_SEND &&
	    ldns_wire2pkt(&r, resp, info.len) == LDNS_STATUS_OK) {
		if (ldns_pkt_ancount(r) == 1) {
			char *s = ldns_rdf2str(
				ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0));
			ok = v4 && strcmp(s, v4) == 0;
			free(s);
		} else {
			ok = v4 == NULL;
		}
		ldns_pkt_free(r);
	}
	free(wire);
	return ok;
}

static void
test_register_replace_remove(void **state)
{
	(void)state;
	bool dyn = false;
	const char *const reg[] = { "newhost.gwa.demo. 300 IN A 192.168.0.150",
				    "newhost.gwa.demo. 300 IN TXT \"dhcid\"", NULL };
	assert_int_equal(update("gwa.demo.", NULL, reg), LDNS_RCODE_NOERROR);
	assert_true(stored("newhost.gwa.demo", "192.168.0.150", &dyn));
	assert_true(dyn);
	assert_true(answers("newhost.gwa.demo.", "192.168.0.150"));
	assert_true(answers("www.newhost.gwa.demo.", "192.168.0.150"));
	/* renewal: unchanged */
	assert_int_equal(update("gwa.demo.", NULL, reg), LDNS_RCODE_NOERROR);
	/* new address replaces */
	const char *const re[] = { "newhost.gwa.demo. 300 IN A 192.168.0.151", NULL };
	assert_int_equal(update("gwa.demo.", NULL, re), LDNS_RCODE_NOERROR);
	assert_true(stored("newhost.gwa.demo", "192.168.0.151", NULL));
	/* the address moves to another name: the old dynamic host goes */
	const char *const mv[] = { "moved.gwa.demo. 300 IN A 192.168.0.151", NULL };
	assert_int_equal(update("gwa.demo.", NULL, mv), LDNS_RCODE_NOERROR);
	assert_false(stored("newhost.gwa.demo", NULL, NULL));
	assert_true(stored("moved.gwa.demo", "192.168.0.151", NULL));
	/* TTL 0 removes */
	const char *const z[] = { "moved.gwa.demo. 0 IN A 192.168.0.151", NULL };
	assert_int_equal(update("gwa.demo.", NULL, z), LDNS_RCODE_NOERROR);
	assert_false(stored("moved.gwa.demo", NULL, NULL));
	assert_true(answers("moved.gwa.demo.", NULL));
	/* delete RRset and delete name */
	assert_int_equal(update("gwa.demo.", NULL, reg), LDNS_RCODE_NOERROR);
	const char *const del[] = { "newhost.gwa.demo. ANY A", NULL };
	assert_int_equal(update("gwa.demo.", NULL, del), LDNS_RCODE_NOERROR);
	assert_false(stored("newhost.gwa.demo", NULL, NULL));
	assert_int_equal(update("gwa.demo.", NULL, reg), LDNS_RCODE_NOERROR);
	const char *const deln[] = { "newhost.gwa.demo. ANY ANY", NULL };
	assert_int_equal(update("gwa.demo.", NULL, deln), LDNS_RCODE_NOERROR);
	assert_false(stored("newhost.gwa.demo", NULL, NULL));
	/* delete of an absent name is fine */
	assert_int_equal(update("gwa.demo.", NULL, deln), LDNS_RCODE_NOERROR);
	/* updates in the reverse zone are accepted and ignored */
	const char *const ptr[] = { "150.0.168.192.in-addr.arpa. 300 IN PTR x.gwa.demo.", NULL };
	assert_int_equal(update("0.168.192.in-addr.arpa.", NULL, ptr), LDNS_RCODE_NOERROR);
}

static void
test_refusals(void **state)
{
	(void)state;
	/* operator-defined host */
	const char *const stat[] = { "test.gwa.demo. 300 IN A 192.168.0.99", NULL };
	assert_int_equal(update("gwa.demo.", NULL, stat), LDNS_RCODE_REFUSED);
	assert_true(stored("test.gwa.demo", "192.168.0.100", NULL));
	const char *const dels[] = { "test.gwa.demo. ANY ANY", NULL };
	assert_int_equal(update("gwa.demo.", NULL, dels), LDNS_RCODE_REFUSED);
	/* taking a static host's address */
	const char *const steal[] = { "thief.gwa.demo. 300 IN A 192.168.0.100", NULL };
	assert_int_equal(update("gwa.demo.", NULL, steal), LDNS_RCODE_REFUSED);
	/* all or nothing: a good record before a refused one is rolled back */
	const char *const mix[] = { "good.gwa.demo. 300 IN A 192.168.0.160",
				    "test.gwa.demo. 300 IN A 192.168.0.98", NULL };
	assert_int_equal(update("gwa.demo.", NULL, mix), LDNS_RCODE_REFUSED);
	assert_false(stored("good.gwa.demo", NULL, NULL));
	/* zones */
	assert_int_equal(update("example.com.", NULL, stat), LDNS_RCODE_NOTAUTH);
	assert_int_equal(update("test.gwa.demo.", NULL, stat), LDNS_RCODE_NOTAUTH);
	const char *const out_of_zone[] = { "x.example.com. 300 IN A 192.168.0.5", NULL };
	assert_int_equal(update("gwa.demo.", NULL, out_of_zone), LDNS_RCODE_NOTZONE);
	const char *const label[] = { "x.xgwa.demo. 300 IN A 192.168.0.5", NULL };
	assert_int_equal(update("gwa.demo.", NULL, label), LDNS_RCODE_NOTZONE);
	/* two zone records */
	ldns_pkt *p = mkupdate("gwa.demo.", NULL, stat);
	ldns_rr *z2 = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(p), 0));
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, z2);
	assert_int_equal(send_pkt(p, NULL, NULL), LDNS_RCODE_FORMERR);
}

/* The whole policy is validated and the change audited, like an API write. */
static void
test_validated_and_audited(void **state)
{
	struct pol_audit *rows = NULL;
	size_t n = 0, lines;
	char before[POL_ETAG_LEN];

	(void)state;
	assert_int_equal(pol_audit_list(st, NULL, 0, 1000, &rows, &n), 0);
	pol_audit_free(rows, n);
	lines = n;
	strcpy(before, parts.snap->etag);
	/* an address that is one of the gateway's own (a pool address, the service address) */
	const char *const pool[] = { "evil.gwa.demo. 300 IN A 100.64.1.131", NULL };
	assert_int_equal(update("gwa.demo.", NULL, pool), LDNS_RCODE_REFUSED);
	const char *const svc[] = { "evil.gwa.demo. 300 IN A 100.64.1.130", NULL };
	assert_int_equal(update("gwa.demo.", NULL, svc), LDNS_RCODE_REFUSED);
	assert_false(stored("evil.gwa.demo", NULL, NULL));
	assert_true(answers("evil.gwa.demo.", NULL));
	assert_string_equal(parts.snap->etag, before);
	assert_int_equal(pol_audit_list(st, NULL, 0, 1000, &rows, &n), 0);
	pol_audit_free(rows, n);
	assert_int_equal(n, lines);
	/* a valid one: one audit line, by "ddns" (unsigned), with the ETags */
	const char *const ok[] = { "fine.gwa.demo. 300 IN A 192.168.0.150", NULL };
	assert_int_equal(update("gwa.demo.", NULL, ok), LDNS_RCODE_NOERROR);
	assert_true(answers("fine.gwa.demo.", "192.168.0.150"));
	assert_int_equal(pol_audit_list(st, NULL, 0, 1000, &rows, &n), 0);
	assert_int_equal(n, lines + 1);
	assert_string_equal(rows[0].actor, "ddns");
	assert_string_equal(rows[0].action, "UPDATE");
	assert_non_null(strstr(rows[0].detail, "register fine.gwa.demo 192.168.0.150"));
	assert_string_equal(rows[0].etag_before, before);
	assert_string_equal(rows[0].etag_after, parts.snap->etag);
	pol_audit_free(rows, n);
}

static void
test_prerequisites(void **state)
{
	(void)state;
	const char *const add[] = { "p.gwa.demo. 300 IN A 192.168.0.170", NULL };
	const char *const yx_missing[] = { "nothere.gwa.demo. ANY ANY", NULL };
	assert_int_equal(update("gwa.demo.", yx_missing, add), LDNS_RCODE_NXDOMAIN);
	assert_false(stored("p.gwa.demo", NULL, NULL));
	const char *const nx_present[] = { "test.gwa.demo. NONE ANY", NULL };
	assert_int_equal(update("gwa.demo.", nx_present, add), LDNS_RCODE_YXDOMAIN);
	const char *const rrset_yes[] = { "test.gwa.demo. ANY A", NULL };
	assert_int_equal(update("gwa.demo.", rrset_yes, add), LDNS_RCODE_NOERROR);
	assert_true(stored("p.gwa.demo", NULL, NULL));
	const char *const rrset_no[] = { "test.gwa.demo. ANY AAAA", NULL };
	assert_int_equal(update("gwa.demo.", rrset_no, add), LDNS_RCODE_NXRRSET);
	const char *const rrset_absent[] = { "test.gwa.demo. NONE A", NULL };
	assert_int_equal(update("gwa.demo.", rrset_absent, add), LDNS_RCODE_YXRRSET);
	const char *const value_ok[] = { "test.gwa.demo. 0 IN A 192.168.0.100", NULL };
	assert_int_equal(update("gwa.demo.", value_ok, add), LDNS_RCODE_NOERROR);
	const char *const value_bad[] = { "test.gwa.demo. 0 IN A 192.168.0.1", NULL };
	assert_int_equal(update("gwa.demo.", value_bad, add), LDNS_RCODE_NXRRSET);
	const char *const ttl_bad[] = { "test.gwa.demo. 5 IN A 192.168.0.100", NULL };
	assert_int_equal(update("gwa.demo.", ttl_bad, add), LDNS_RCODE_FORMERR);
	const char *const notzone[] = { "x.example.com. ANY ANY", NULL };
	assert_int_equal(update("gwa.demo.", notzone, add), LDNS_RCODE_NOTZONE);
}

static void
test_malformed(void **state)
{
	(void)state;
	struct addr src;
	uint8_t junk[512] = { 0 };
	memset(&src, 0, sizeof(src));
	src.family = AF_INET;
	/* truncated header, QR set: no reply */
	assert_int_equal(dns_ddns_handle(d, junk, 5, &src, out, sizeof(out)), 0);
	memset(junk, 0, sizeof(junk));
	junk[2] = 0x80 | (5 << 3);
	assert_int_equal(dns_ddns_handle(d, junk, 12, &src, out, sizeof(out)), 0);
	/* UPDATE opcode with garbage sections: FORMERR */
	junk[2] = 5 << 3;
	junk[5] = 1;
	junk[7] = 9;
	size_t n = dns_ddns_handle(d, junk, 40, &src, out, sizeof(out));
	assert_true(n >= 12);
	assert_int_equal(out[3] & 0xf, LDNS_RCODE_FORMERR);
	/* NOTIFY: NOTIMP */
	junk[2] = 4 << 3;
	n = dns_ddns_handle(d, junk, 12, &src, out, sizeof(out));
	assert_true(n >= 12);
	assert_int_equal(out[3] & 0xf, LDNS_RCODE_NOTIMPL);
	/* random inputs: never a crash */
	srand(7);
	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)(rand() % 300);
		for (size_t k = 0; k < len; k++)
			junk[k] = (uint8_t)rand();
		if (len > 3)
			junk[2] = (uint8_t)((junk[2] & 0x07) | (5 << 3));
		dns_ddns_handle(d, junk, len, &src, out, sizeof(out));
	}
	assert_true(stored("test.gwa.demo", "192.168.0.100", NULL));
}

static void
test_tsig(void **state)
{
	(void)state;
	bool sig = false;
	const char *const reg[] = { "signed.gwa.demo. 300 IN A 192.168.0.180", NULL };
	/* unsigned: NOTAUTH */
	assert_int_equal(update("gwa.demo.", NULL, reg), LDNS_RCODE_NOTAUTH);
	assert_false(stored("signed.gwa.demo", NULL, NULL));
	/* wrong secret: NOTAUTH, reply not signed */
	assert_int_equal(send_pkt(mkupdate("gwa.demo.", NULL, reg),
				  "d3Jvbmd3cm9uZ3dyb25nd3Jvbmd3cm9uZ3dyb25nMTI=", &sig),
			 LDNS_RCODE_NOTAUTH);
	assert_false(sig);
	assert_false(stored("signed.gwa.demo", NULL, NULL));
	/* right key: applied, reply signed */
	assert_int_equal(send_pkt(mkupdate("gwa.demo.", NULL, reg),
				  "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=", &sig),
			 LDNS_RCODE_NOERROR);
	assert_true(sig);
	assert_true(stored("signed.gwa.demo", "192.168.0.180", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_replace_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validated_and_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prerequisites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsig, setup_tsig, teardown),
	};
	log_init("test_dns_update", false, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
