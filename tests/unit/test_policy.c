/* SPDX-License-Identifier: MIT */
/* tests/unit/test_policy.c -- snapshots, names, enums, label convention, validation */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "policy_fixture.h"

static void
test_label_convention(void **state)
{
	static const struct {
		const char *fqdn;
		bool known;
		uint8_t proto;
		uint16_t port;
	} cases[] = {
		{ "tcp22.h.gwa.demo", true, POL_PROTO_TCP, 22 },
		{ "udp5000.h.gwa.demo", true, POL_PROTO_UDP, 5000 },
		{ "sctp65535.h.gwa.demo", true, POL_PROTO_SCTP, 65535 },
		{ "tcp.h.gwa.demo", true, POL_PROTO_TCP, 0 },
		{ "udp.h.gwa.demo", true, POL_PROTO_UDP, 0 },
		{ "sctp.h.gwa.demo", true, POL_PROTO_SCTP, 0 },
		{ "icmp.h.gwa.demo", true, POL_PROTO_ICMP, 0 },
		{ "ping.h.gwa.demo", true, POL_PROTO_ICMP, 0 },
		{ "ssh.h.gwa.demo", true, POL_PROTO_TCP, 22 },
		{ "tcp", true, POL_PROTO_TCP, 0 },
		{ "tcp65536.h.gwa.demo", false, 0, 0 },
		{ "tcp0.h.gwa.demo", false, 0, 0 },
		{ "tcp022.h.gwa.demo", false, 0, 0 },
		{ "tcp22x.h.gwa.demo", false, 0, 0 },
		{ "tcp-22.h.gwa.demo", false, 0, 0 },
		{ "tcp1234567.h.gwa.demo", false, 0, 0 },
		{ "www.h.gwa.demo", false, 0, 0 },
		{ "sshd.h.gwa.demo", false, 0, 0 },
		{ "icmpx.h.gwa.demo", false, 0, 0 },
		{ "h.tcp22.gwa.demo", false, 0, 0 },
		{ "udpx.h.gwa.demo", false, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t proto = 99;
		uint16_t port = 99;
		bool known = pol_service_label(cases[i].fqdn, &proto, &port);

		if (known != cases[i].known)
			fail_msg("%s: known %d", cases[i].fqdn, known);
		if (known && (proto != cases[i].proto || port != cases[i].port))
			fail_msg("%s: %u/%u", cases[i].fqdn, proto, port);
	}
}

static void
test_service_resolve(void **state)
{
	struct pol_service sv = { 0 };

	(void)state;
	snprintf(sv.fqdn, sizeof(sv.fqdn), "udp53.h.gwa.demo");
	pol_service_resolve(&sv);
	assert_int_equal(sv.protocol, POL_PROTO_UDP);
	assert_int_equal(sv.port, 53);
	/* explicit values win over the label */
	sv.has_port = true;
	sv.port = 5353;
	pol_service_resolve(&sv);
	assert_int_equal(sv.port, 5353);
	assert_int_equal(sv.protocol, POL_PROTO_UDP);
	/* a rename re-derives the unset field */
	snprintf(sv.fqdn, sizeof(sv.fqdn), "tcp.h.gwa.demo");
	pol_service_resolve(&sv);
	assert_int_equal(sv.protocol, POL_PROTO_TCP);
	assert_int_equal(sv.port, 5353);
	/* unknown label: an FQDN service (any protocol, any port) */
	memset(&sv, 0, sizeof(sv));
	snprintf(sv.fqdn, sizeof(sv.fqdn), "h.gwa.demo");
	sv.protocol = 6;
	sv.port = 1;
	pol_service_resolve(&sv);
	assert_int_equal(sv.protocol, 0);
	assert_int_equal(sv.port, 0);
}

static void
test_name_canon(void **state)
{
	static const struct {
		const char *in;
		bool wildcard;
		const char *out; /* NULL: rejected */
	} cases[] = {
		{ "Test.GWA.demo.", false, "test.gwa.demo" },
		{ "gwa.demo", false, "gwa.demo" },
		{ "_sip._udp.gwa.demo", false, "_sip._udp.gwa.demo" },
		{ "a-b.c", false, "a-b.c" },
		{ "demo", false, "demo" },
		{ "*.gwa.demo", true, "*.gwa.demo" },
		{ "*.gwa.demo", false, NULL },
		{ "a.*.demo", true, NULL },
		{ "*x.gwa.demo", true, NULL },
		{ "", false, NULL },
		{ ".", false, NULL },
		{ "a..b", false, NULL },
		{ ".a.b", false, NULL },
		{ "a.b..", false, NULL },
		{ "a b.c", false, NULL },
		{ "a/b.c", false, NULL },
		{ "ä.c", false, NULL },
	};
	char buf[POL_NAME_MAX + 8];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		rc = pol_name_canon(buf, cases[i].wildcard);
		if (cases[i].out == NULL && rc != -EINVAL)
			fail_msg("accepted \"%s\" as \"%s\"", cases[i].in, buf);
		if (cases[i].out != NULL && (rc != 0 || strcmp(buf, cases[i].out) != 0))
			fail_msg("\"%s\": rc %d \"%s\"", cases[i].in, rc, buf);
	}
	/* label of 63 is fine, 64 is not; 253 total is fine, 254 is not */
	memset(buf, 'a', 63);
	snprintf(buf + 63, sizeof(buf) - 63, ".demo");
	assert_int_equal(pol_name_canon(buf, false), 0);
	memset(buf, 'a', 64);
	snprintf(buf + 64, sizeof(buf) - 64, ".demo");
	assert_int_equal(pol_name_canon(buf, false), -EINVAL);
	for (int i = 0; i < 253; i++)
		buf[i] = i % 2 == 0 ? 'a' : '.';
	buf[253] = '\0';
	assert_int_equal(pol_name_canon(buf, false), 0);
	buf[253] = 'a';
	buf[254] = '\0';
	assert_int_equal(pol_name_canon(buf, false), -EINVAL);
}

static void
test_name_in_zone(void **state)
{
	(void)state;
	assert_true(pol_name_in_zone("gwa.demo", "gwa.demo"));
	assert_true(pol_name_in_zone("test.gwa.demo", "gwa.demo"));
	assert_true(pol_name_in_zone("a.b.test.gwa.demo", "gwa.demo"));
	assert_false(pol_name_in_zone("xgwa.demo", "gwa.demo"));
	assert_false(pol_name_in_zone("gwa.demo.x", "gwa.demo"));
	assert_false(pol_name_in_zone("demo", "gwa.demo"));
	assert_false(pol_name_in_zone(".gwa.demo", "gwa.demo"));
	assert_true(pol_name_in_zone("a.demo", "demo"));
}

static void
test_enums(void **state)
{
	uint8_t p;
	enum pol_zone_kind zk;
	enum pol_direction d;
	enum pol_action a;
	enum pol_preserve pr;
	enum pol_math m;
	enum pol_role r;
	enum pol_rep_kind rk;

	(void)state;
	assert_int_equal(pol_proto_parse("tcp", &p), 0);
	assert_int_equal(p, 6);
	assert_int_equal(pol_proto_parse("UDP", &p), 0);
	assert_int_equal(p, 17);
	assert_int_equal(pol_proto_parse("47", &p), 0);
	assert_int_equal(p, 47);
	assert_int_equal(pol_proto_parse("256", &p), -EINVAL);
	assert_int_equal(pol_proto_parse("-1", &p), -EINVAL);
	assert_int_equal(pol_proto_parse("", &p), -EINVAL);
	assert_int_equal(pol_proto_parse("tcpx", &p), -EINVAL);
	assert_string_equal(pol_proto_name(0), "any");
	assert_string_equal(pol_proto_name(132), "sctp");
	assert_null(pol_proto_name(47));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
			pol_zone_kind_parse(pol_zone_kind_name((enum pol_zone_kind)i), &zk), 0);
		assert_int_equal((int)zk, i);
		assert_int_equal(pol_direction_parse(pol_direction_name((enum pol_direction)i), &d),
				 0);
		assert_int_equal((int)d, i);
		assert_int_equal(pol_action_parse(pol_action_name((enum pol_action)i), &a), 0);
		assert_int_equal((int)a, i);
		assert_int_equal(pol_math_parse(pol_math_name((enum pol_math)i), &m), 0);
		assert_int_equal((int)m, i);
		assert_int_equal(pol_rep_kind_parse(pol_rep_kind_name((enum pol_rep_kind)i), &rk),
				 0);
		assert_int_equal((int)rk, i);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pol_preserve_parse(pol_preserve_name((enum pol_preserve)i), &pr),
				 0);
		assert_int_equal((int)pr, i);
	}
	assert_int_equal(pol_role_parse("rw", &r), 0);
	assert_int_equal(r, POL_ROLE_RW);
	assert_int_equal(pol_role_parse("admin", &r), -EINVAL);
	assert_null(pol_zone_kind_name((enum pol_zone_kind)9));
	assert_int_equal(pol_direction_parse("sideways", &d), -EINVAL);
}

static void
test_snap_basics(void **state)
{
	struct pol_snap *s = pol_snap_new(), *t;
	struct pol_bracket b;
	struct pol_err e;

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->refcnt, 1);
	assert_false(s->admission.dns_tcp);
	assert_int_equal(s->admission.alias_ttl_ms, 5000);
	assert_null(pol_snap_host(s, 1));
	assert_null(pol_snap_host_by_fqdn(s, "x"));
	/* an empty policy is valid */
	assert_int_equal(pol_snap_validate(s, &e), 0);
	t = pol_snap_new();
	assert_true(t->generation > s->generation);
	pol_snap_unref(t);
	assert_ptr_equal(pol_snap_ref(s), s);
	assert_int_equal(s->refcnt, 2);
	pol_snap_unref(s);
	pol_snap_unref(s);
	pol_snap_unref(NULL);
	assert_null(pol_snap_ref(NULL));
	pol_bracket_default(&b);
	assert_true(b.load_min == 0 && b.load_max == 100);
	assert_true(b.fqdn_new == 0 && b.sfqdn_new == 0 && b.sfqdn_reuse == 0);
	assert_int_equal(b.math, POL_MATH_MAX);
	pol_err_setk(&e, POL_ERR_CONFLICT, "c", "dup %d", 2);
	assert_string_equal(e.field, "c");
	assert_string_equal(e.msg, "dup 2");
	assert_int_equal(e.kind, POL_ERR_CONFLICT);
	/* pol_err_set always means INVALID, even over an earlier kind */
	pol_err_set(&e, "a.b", "%s %d", "x", 5);
	assert_string_equal(e.field, "a.b");
	assert_string_equal(e.msg, "x 5");
	assert_int_equal(e.kind, POL_ERR_INVALID);
	pol_err_set(NULL, "a", "b");
	pol_err_setk(NULL, POL_ERR_DANGLING, "a", "b");
	assert_string_equal(pol_err_kind_name(POL_ERR_INVALID), "invalid");
	assert_string_equal(pol_err_kind_name(POL_ERR_CONFLICT), "conflict");
	assert_string_equal(pol_err_kind_name(POL_ERR_DANGLING), "dangling");
	assert_string_equal(pol_err_kind_name((enum pol_err_kind)7), "?");
}

/* Snapshots built by hand (as the REST API does) go through the same validator. */
static void
test_validate_handmade(void **state)
{
	struct pol_snap *s = pol_snap_new();
	struct pol_zone z = { .id = 1, .kind = POL_ZONE_FORWARD, .ttl = 60 };
	struct pol_host h[2] = { { .id = 5 }, { .id = 9 } };
	struct pol_fw_rule r = { .id = 1, .host_id = 5, .icmp_type = -1, .icmp_code = -1 };
	struct pol_resolver_group g = { .id = 1, .initial_reputation = 0.5 };
	struct pol_resolver_node n = { .id = 1, .group_id = 1 };
	struct pol_err e;

	(void)state;
	snprintf(z.name, sizeof(z.name), "gwa.demo");
	snprintf(z.mname, sizeof(z.mname), "ns.gwa.demo");
	snprintf(z.rname, sizeof(z.rname), "hm.gwa.demo");
	snprintf(h[0].fqdn, sizeof(h[0].fqdn), "a.gwa.demo");
	snprintf(h[1].fqdn, sizeof(h[1].fqdn), "b.gwa.demo");
	assert_int_equal(addr_parse("10.0.0.1", &h[0].ipv4), 0);
	assert_int_equal(addr_parse("fd00::1", &h[1].ipv6), 0);
	snprintf(g.name, sizeof(g.name), "r");
	assert_int_equal(prefix_parse("192.0.2.0/24", false, &n.prefix), 0);
	s->zones = &z;
	s->n_zones = 1;
	s->hosts = h;
	s->n_hosts = 2;
	s->fw_rules = &r;
	s->n_fw_rules = 1;
	s->resolver_groups = &g;
	s->n_resolver_groups = 1;
	s->resolver_nodes = &n;
	s->n_resolver_nodes = 1;
	assert_int_equal(pol_snap_validate(s, &e), 0);
	assert_ptr_equal(pol_snap_host(s, 9), &h[1]);
	assert_null(pol_snap_host(s, 6));
	assert_ptr_equal(pol_snap_host_by_fqdn(s, "b.gwa.demo"), &h[1]);

	r.group_id = 3; /* both owners */
	assert_int_equal(pol_snap_validate(s, &e), -EINVAL);
	assert_string_equal(e.field, "fw_rules[0]");
	assert_int_equal(e.kind, POL_ERR_INVALID);
	r.group_id = 0;
	r.host_id = 7; /* missing host */
	assert_int_equal(pol_snap_validate(s, &e), -EINVAL);
	assert_string_equal(e.field, "fw_rules[0].host");
	assert_int_equal(e.kind, POL_ERR_DANGLING);
	r.host_id = 9;
	r.icmp_type = 8; /* icmp type without icmp */
	assert_int_equal(pol_snap_validate(s, &e), -EINVAL);
	assert_string_equal(e.field, "hosts[1].firewall[0].icmp_type");
	assert_int_equal(e.kind, POL_ERR_INVALID);
	r.protocol = POL_PROTO_ICMPV6;
	assert_int_equal(pol_snap_validate(s, &e), 0);
	r.rate = 0;
	r.burst = 5;
	assert_int_equal(pol_snap_validate(s, &e), -EINVAL);
	assert_string_equal(e.field, "hosts[1].firewall[0].burst");
	r.burst = 0;
	h[1].id = 4; /* ids out of order */
	assert_int_equal(pol_snap_validate(s, &e), -EINVAL);
	assert_string_equal(e.field, "hosts[1].id");
	assert_int_equal(e.kind, POL_ERR_INVALID);
	h[1].id = 9;
	z.kind = POL_ZONE_ALIAS; /* no forward zone left for the hosts */
	assert_int_equal(pol_snap_validate(s, &e), -EINVAL);
	assert_string_equal(e.field, "hosts[0].fqdn");
	assert_int_equal(e.kind, POL_ERR_DANGLING);
	z.kind = POL_ZONE_FORWARD;
	n.prefix.addr.u.bytes[3] = 1; /* host bits set */
	assert_int_equal(pol_snap_validate(s, &e), -EINVAL);
	assert_string_equal(e.field, "resolver_groups[0].nodes[0]");
	assert_int_equal(e.kind, POL_ERR_INVALID);
	n.prefix.addr.u.bytes[3] = 0;
	n.group_id = 2;
	assert_int_equal(pol_snap_validate(s, &e), -EINVAL);
	assert_string_equal(e.field, "resolver_nodes[0].group");
	assert_int_equal(e.kind, POL_ERR_DANGLING);
	n.group_id = 1;
	assert_int_equal(pol_snap_validate(s, &e), 0);
	/* the arrays belong to this test: detach before freeing the snapshot */
	s->zones = NULL;
	s->hosts = NULL;
	s->fw_rules = NULL;
	s->resolver_groups = NULL;
	s->resolver_nodes = NULL;
	pol_snap_unref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_convention),
		cmocka_unit_test(test_service_resolve),
		cmocka_unit_test(test_name_canon),
		cmocka_unit_test(test_name_in_zone),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_snap_basics),
		cmocka_unit_test(test_validate_handmade),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
