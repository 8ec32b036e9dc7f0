/* SPDX-License-Identifier: MIT */
/* tests/unit/test_bundle.c -- policy bundle parse, export, round trip and bad input */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_fixture.h"

/* A small valid bundle that the bad-input cases mutate one field at a time. */
static const char base_bundle[] =
	"{ \"version\": 1,"
	"  \"zones\": [ { \"name\": \"gwa.demo\", \"kind\": \"forward\","
	"                 \"nameservers\": [ { \"name\": \"ns1.gwa.demo\", \"ipv4\": \"100.64.1.130\" } ] },"
	"               { \"name\": \"cname-gwa.demo\", \"kind\": \"alias\","
	"                 \"nameservers\": [ { \"name\": \"ns1.gwa.demo\" } ] } ],"
	"  \"service_addresses\": [ \"100.64.1.130\" ],"
	"  \"pool\": [ \"100.64.1.131-100.64.1.142\" ],"
	"  \"groups\": [ { \"name\": \"postpaid\", \"firewall\": [ { \"direction\": \"ingress\","
	"                  \"action\": \"drop\" } ] } ],"
	"  \"hosts\": [ { \"fqdn\": \"test.gwa.demo\", \"ipv4\": \"192.168.0.100\","
	"                 \"groups\": [ \"postpaid\" ],"
	"                 \"services\": [ { \"fqdn\": \"test.gwa.demo\" },"
	"                               { \"fqdn\": \"www.test.gwa.demo\", \"proxy_required\": true },"
	"                               { \"fqdn\": \"ssh.test.gwa.demo\", \"protocol\": \"tcp\", \"port\": 22 } ],"
	"                 \"firewall\": [ { \"direction\": \"ingress\", \"protocol\": \"icmp\","
	"                                   \"src\": \"100.64.0.2/32\", \"icmp_type\": 8,"
	"                                   \"action\": \"accept\", \"priority\": 10 } ] },"
	"               { \"fqdn\": \"test2.gwa.demo\", \"ipv4\": \"192.168.0.101\","
	"                 \"services\": [ { \"fqdn\": \"tcp80.test2.gwa.demo\" } ] } ],"
	"  \"alg_routes\": [ { \"hostname\": \"www.test.gwa.demo\", \"port\": 443,"
	"                      \"backend\": \"192.168.0.100:443\" } ],"
	"  \"admission\": { \"dns_tcp\": true, \"load_brackets\": [ { \"load_min\": 0,"
	"                  \"load_max\": 33, \"fqdn_new\": 0.2, \"math\": \"max\" } ] },"
	"  \"resolver_groups\": [ { \"name\": \"public\", \"initial_reputation\": 1.0, \"sla\": true,"
	"                           \"nodes\": [ \"100.64.0.1\", \"1.1.1.1-1.1.1.10\" ] } ] }";

/*
 * Walk "a.b[2].c" in root; returns the container and the last component (key or index)
 * so that the caller can set or delete it.
 */
static json_t *
walk(json_t *root, const char *path, char *last_key, size_t *last_idx, bool *is_idx)
{
	char buf[256];
	char *p = buf, *tok;
	json_t *cur = root, *parent = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	*is_idx = false;
	while ((tok = strsep(&p, ".")) != NULL) {
		char *br = strchr(tok, '[');

		if (br != NULL)
			*br = '\0';
		if (*tok != '\0') {
			parent = cur;
			snprintf(last_key, 64, "%s", tok);
			*is_idx = false;
			cur = json_object_get(cur, tok);
		}
		while (br != NULL) {
			size_t i = strtoul(br + 1, NULL, 10);

			parent = cur;
			*last_idx = i;
			*is_idx = true;
			cur = json_array_get(cur, i);
			br = strchr(br + 1, '[');
		}
	}
	return parent;
}

/* Apply one mutation: value NULL deletes, otherwise the JSON text is set at path. */
static char *
mutate(const char *path, const char *value)
{
	json_t *root = json_loads(base_bundle, 0, NULL);
	char key[64];
	size_t idx = 0;
	bool is_idx;
	json_t *parent, *v;
	char *out;

	assert_non_null(root);
	parent = walk(root, path, key, &idx, &is_idx);
	assert_non_null(parent);
	if (value == NULL) {
		if (is_idx)
			json_array_remove(parent, idx);
		else
			json_object_del(parent, key);
	} else {
		v = json_loads(value, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		if (is_idx && idx == json_array_size(parent))
			json_array_append_new(parent, v);
		else if (is_idx)
			json_array_set_new(parent, idx, v);
		else
			json_object_set_new(parent, key, v);
	}
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static void
test_base_parses(void **state)
{
	struct pol_snap *s = fx_parse(base_bundle);

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->n_zones, 2);
	assert_int_equal(s->n_hosts, 2);
	assert_int_equal(s->n_services, 4);
	assert_int_equal(s->n_pool_addrs, 12);
	/* 100.64.0.1 + 1.1.1.1/32, .2/31, .4/30, .8/31, .10/32 */
	assert_int_equal(s->n_resolver_nodes, 6);
	assert_int_equal(s->resolver_nodes[3].prefix.len, 30);
	/* label convention: tcp80 -> tcp/80; explicit ssh tcp/22; bare name any/any */
	assert_int_equal(s->services[3].protocol, POL_PROTO_TCP);
	assert_int_equal(s->services[3].port, 80);
	assert_false(s->services[3].has_proto);
	assert_int_equal(s->services[2].port, 22);
	assert_true(s->services[2].has_port);
	assert_int_equal(s->services[0].protocol, 0);
	assert_true(s->services[1].proxy_required);
	assert_int_equal(s->services[0].binding_timeout_ms, POL_BINDING_TIMEOUT_MS);
	assert_int_equal(s->hosts[0].pool_limit, POL_POOL_LIMIT_DEFAULT);
	assert_int_equal(s->n_host_groups, 1);
	assert_true(s->admission.dns_tcp);
	assert_false(s->admission.dns_cname);
	assert_int_equal(s->admission.alias_ttl_ms, 5000);
	assert_int_equal(s->fw_rules[0].group_id, 1);
	assert_int_equal(s->fw_rules[1].host_id, 1);
	assert_int_equal(s->fw_rules[1].icmp_type, 8);
	assert_int_equal(s->fw_rules[1].icmp_code, -1);
	assert_int_equal(s->alg_routes[0].backend_port, 443);
	/* SOA defaults: MNAME from the first nameserver, RNAME hostmaster.<zone> */
	assert_string_equal(s->zones[0].mname, "ns1.gwa.demo");
	assert_string_equal(s->zones[0].rname, "hostmaster.gwa.demo");
	assert_int_equal(s->zones[0].ttl, 3600);
	pol_snap_unref(s);
}

/* The smallest bundle: an empty policy with every default, exported with every key. */
static void
test_empty_bundle(void **state)
{
	struct pol_snap *s = fx_parse("{\"version\": 1}");
	json_t *j;

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->n_hosts + s->n_zones + s->n_host_groups + s->n_pool_addrs, 0);
	assert_int_equal(s->admission.alias_ttl_ms, 5000);
	j = pol_bundle_export(s);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 9);
	assert_int_equal(json_array_size(json_object_get(j, "hosts")), 0);
	assert_false(json_is_true(json_object_get(json_object_get(j, "admission"), "dns_tcp")));
	json_decref(j);
	pol_snap_unref(s);
}

static void
test_example_roundtrip(void **state)
{
	char *text = fx_example();
	struct pol_snap *s1, *s2;
	char *e1, *e2;

	(void)state;
	assert_non_null(text);
	s1 = fx_parse(text);
	assert_non_null(s1);
	assert_int_equal(s1->n_zones, 4);
	assert_int_equal(s1->n_hosts, 11);
	assert_int_equal(s1->n_services, 6 + 10 * 23);
	assert_int_equal(s1->n_pool_addrs, 12);
	assert_int_equal(s1->n_groups, 4);
	assert_int_equal(s1->n_alg_routes, 2);
	assert_int_equal(s1->n_brackets, 4);
	assert_int_equal(s1->n_resolver_groups, 4);
	assert_true(s1->admission.dns_cookies);
	e1 = pol_bundle_export_text(s1);
	assert_non_null(e1);
	s2 = fx_parse(e1);
	assert_non_null(s2);
	e2 = pol_bundle_export_text(s2);
	assert_non_null(e2);
	assert_string_equal(e1, e2);
	pol_snap_unref(s1);
	pol_snap_unref(s2);
	free(e1);
	free(e2);
	free(text);
}

static void
test_export_pool_ranges(void **state)
{
	char *t = mutate("pool", "[\"10.0.0.5\", \"10.0.0.1-10.0.0.3\", \"10.0.0.8/30\", "
				 "\"10.0.0.4\", \"2001:db8::1-2001:db8::2\"]");
	struct pol_snap *s = fx_parse(t);
	json_t *j, *pool;

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->n_pool_addrs, 11);
	j = pol_bundle_export(s);
	pool = json_object_get(j, "pool");
	assert_int_equal(json_array_size(pool), 3);
	assert_string_equal(json_string_value(json_array_get(pool, 0)), "10.0.0.1-10.0.0.5");
	assert_string_equal(json_string_value(json_array_get(pool, 1)), "10.0.0.8-10.0.0.11");
	assert_string_equal(json_string_value(json_array_get(pool, 2)), "2001:db8::1-2001:db8::2");
	json_decref(j);
	pol_snap_unref(s);
	free(t);
}

struct bad_case {
	const char *path;	/* NULL: value is the whole document */
	const char *value;	/* NULL: delete the key */
	const char *field;	/* expected error field */
	const char *msg;	/* expected substring of the message */
	enum pol_err_kind kind; /* expected kind */
};

static const struct bad_case bad_cases[] = {
	/* bad JSON */
	{ NULL, "{ \"version\": 1, \"zones\": [", "json", "", POL_ERR_INVALID },
	{ NULL, "{ \"version\": 1 } trailing", "json", "", POL_ERR_INVALID },
	{ NULL, "{ \"version\": 1, \"version\": 1 }", "json", "duplicate", POL_ERR_INVALID },
	{ NULL, "[]", "", "must be an object", POL_ERR_INVALID },
	{ NULL, "", "json", "", POL_ERR_INVALID },
	/* version */
	{ "version", NULL, "version", "required", POL_ERR_INVALID },
	{ "version", "2", "version", "must be 1", POL_ERR_INVALID },
	{ "version", "\"1\"", "version", "must be 1", POL_ERR_INVALID },
	/* unknown keys at every level */
	{ "colour", "1", "colour", "unknown key", POL_ERR_INVALID },
	{ "zones[0].colour", "1", "zones[0].colour", "unknown key", POL_ERR_INVALID },
	{ "zones[0].soa", "{\"mname\": \"a.gwa.demo\", \"x\": 1}", "zones[0].soa.x", "unknown key",
	  POL_ERR_INVALID },
	{ "zones[0].nameservers[0].glue", "true", "zones[0].nameservers[0].glue", "unknown key",
	  POL_ERR_INVALID },
	{ "groups[0].colour", "1", "groups[0].colour", "unknown key", POL_ERR_INVALID },
	{ "groups[0].firewall[0].colour", "1", "groups[0].firewall[0].colour", "unknown key",
	  POL_ERR_INVALID },
	{ "hosts[0].colour", "1", "hosts[0].colour", "unknown key", POL_ERR_INVALID },
	{ "hosts[0].services[1].colour", "1", "hosts[0].services[1].colour", "unknown key",
	  POL_ERR_INVALID },
	{ "hosts[0].firewall[0].colour", "1", "hosts[0].firewall[0].colour", "unknown key",
	  POL_ERR_INVALID },
	{ "alg_routes[0].colour", "1", "alg_routes[0].colour", "unknown key", POL_ERR_INVALID },
	{ "admission.colour", "1", "admission.colour", "unknown key", POL_ERR_INVALID },
	{ "admission.load_brackets[0].colour", "1", "admission.load_brackets[0].colour",
	  "unknown key", POL_ERR_INVALID },
	{ "resolver_groups[0].colour", "1", "resolver_groups[0].colour", "unknown key",
	  POL_ERR_INVALID },
	{ "service_addresses[0]", "{\"address\": \"100.64.1.129\", \"x\": 1}",
	  "service_addresses[0].x", "unknown key", POL_ERR_INVALID },
	/* wrong types */
	{ "zones", "{}", "zones", "must be an array", POL_ERR_INVALID },
	{ "zones[0]", "\"gwa.demo\"", "zones[0]", "must be an object", POL_ERR_INVALID },
	{ "zones[0].ttl", "\"3600\"", "zones[0].ttl", "integer", POL_ERR_INVALID },
	{ "hosts[0].fqdn", "5", "hosts[0].fqdn", "DNS name", POL_ERR_INVALID },
	{ "hosts[0].groups", "\"postpaid\"", "hosts[0].groups", "must be an array",
	  POL_ERR_INVALID },
	{ "hosts[0].groups[0]", "1", "hosts[0].groups[0]", "group name", POL_ERR_INVALID },
	{ "hosts[0].services[1].proxy_required", "1", "hosts[0].services[1].proxy_required",
	  "true or false", POL_ERR_INVALID },
	{ "hosts[0].pool_limit", "1.5", "hosts[0].pool_limit", "integer", POL_ERR_INVALID },
	{ "admission.dns_tcp", "\"yes\"", "admission.dns_tcp", "true or false", POL_ERR_INVALID },
	{ "admission.load_brackets[0].fqdn_new", "\"0.2\"", "admission.load_brackets[0].fqdn_new",
	  "number", POL_ERR_INVALID },
	{ "pool[0]", "5", "pool[0]", "must be a string", POL_ERR_INVALID },
	{ "hosts[0].comment", "\"a\\u0001b\"", "hosts[0].comment", "control", POL_ERR_INVALID },
	/* out of range */
	{ "hosts[0].services[2].port", "65536", "hosts[0].services[2].port",
	  "must be an integer in 0..65535", POL_ERR_INVALID },
	{ "hosts[0].services[2].port", "-1", "hosts[0].services[2].port", "0..65535",
	  POL_ERR_INVALID },
	{ "hosts[0].services[2].protocol", "256", "hosts[0].services[2].protocol", "0..255",
	  POL_ERR_INVALID },
	{ "hosts[0].services[2].protocol", "\"quic\"", "hosts[0].services[2].protocol", "tcp",
	  POL_ERR_INVALID },
	{ "hosts[0].services[1].binding_timeout_ms", "0", "hosts[0].services[1].binding_timeout_ms",
	  "1..3600000", POL_ERR_INVALID },
	{ "hosts[0].services[2].protocol", "\"icmp\"", "hosts[0].services[2].port",
	  "a port needs protocol", POL_ERR_INVALID },
	{ "hosts[0].services[1]", "{\"fqdn\": \"icmp.test.gwa.demo\", \"port\": 7}",
	  "hosts[0].services[1].port", "a port needs protocol", POL_ERR_INVALID },
	{ "hosts[0].firewall[0].dport", "70000", "hosts[0].firewall[0].dport", "1..65535",
	  POL_ERR_INVALID },
	{ "hosts[0].firewall[0].dport", "\"90-80\"", "hosts[0].firewall[0].dport", "range",
	  POL_ERR_INVALID },
	{ "hosts[0].firewall[0].icmp_type", "300", "hosts[0].firewall[0].icmp_type", "0..255",
	  POL_ERR_INVALID },
	{ "groups[0].firewall[0].dport", "80", "groups[0].firewall[0].dport", "ports need protocol",
	  POL_ERR_INVALID },
	{ "hosts[0].firewall[0].action", "\"allow\"", "hosts[0].firewall[0].action",
	  "accept, drop or reject", POL_ERR_INVALID },
	{ "hosts[0].firewall[0].action", NULL, "hosts[0].firewall[0].action", "required",
	  POL_ERR_INVALID },
	{ "hosts[0].firewall[0].direction", "\"inbound\"", "hosts[0].firewall[0].direction",
	  "ingress", POL_ERR_INVALID },
	{ "alg_routes[0].backend", "\"192.168.0.100\"", "alg_routes[0].backend", "port",
	  POL_ERR_INVALID },
	{ "alg_routes[0].backend", "\"192.168.0.100:0\"", "alg_routes[0].backend", "port",
	  POL_ERR_INVALID },
	{ "alg_routes[0].port", "65536", "alg_routes[0].port", "0..65535", POL_ERR_INVALID },
	{ "alg_routes[0].preserve", "\"magic\"", "alg_routes[0].preserve", "proxy-v2",
	  POL_ERR_INVALID },
	{ "resolver_groups[0].initial_reputation", "1.5", "resolver_groups[0].initial_reputation",
	  "0..1", POL_ERR_INVALID },
	{ "admission.load_brackets[0].sfqdn_reuse", "-0.1",
	  "admission.load_brackets[0].sfqdn_reuse", "0..1", POL_ERR_INVALID },
	{ "admission.load_brackets[0].load_max", "101", "admission.load_brackets[0].load_max",
	  "0..100", POL_ERR_INVALID },
	{ "admission.load_brackets[0].load_min", "50", "admission.load_brackets[0].load_min",
	  "must not exceed load_max", POL_ERR_INVALID },
	{ "admission.alias_ttl_ms", "0", "admission.alias_ttl_ms", "1..3600000", POL_ERR_INVALID },
	{ "admission.cache_window_ms", "60001", "admission.cache_window_ms", "0..60000",
	  POL_ERR_INVALID },
	{ "admission.cache_window_ms", "\"5s\"", "admission.cache_window_ms", "0..60000",
	  POL_ERR_INVALID },
	{ "admission.window_flows", "0", "admission.window_flows", "1..1000", POL_ERR_INVALID },
	{ "resolver_groups[0].cache_window_ms", "-1", "resolver_groups[0].cache_window_ms",
	  "0..60000", POL_ERR_INVALID },
	{ "zones[0].kind", "\"sideways\"", "zones[0].kind", "forward, reverse or alias",
	  POL_ERR_INVALID },
	{ "zones[1].kind", "\"reverse\"", "zones[1].name", "in-addr.arpa or ip6.arpa",
	  POL_ERR_INVALID },
	/* invalid addresses and prefixes */
	{ "hosts[0].ipv4", "\"192.168.0.300\"", "hosts[0].ipv4", "IPv4", POL_ERR_INVALID },
	{ "hosts[0].ipv4", "\"2001:db8::1\"", "hosts[0].ipv4", "IPv4", POL_ERR_INVALID },
	{ "hosts[0].ipv6", "\"192.168.0.1\"", "hosts[0].ipv6", "IPv6", POL_ERR_INVALID },
	{ "hosts[0].ipv6", "\"fe80::1\"", "hosts[0].ipv6", "unique local unicast",
	  POL_ERR_INVALID },
	{ "hosts[0].ipv6", "\"::ffff:192.168.0.1\"", "hosts[0].ipv6", "IPv4-mapped",
	  POL_ERR_INVALID },
	{ "hosts[0].ipv6", "\"ff02::1\"", "hosts[0].ipv6", "multicast", POL_ERR_INVALID },
	{ "hosts[0].ipv6", "\"::1\"", "hosts[0].ipv6", "unicast", POL_ERR_INVALID },
	{ "pool[0]", "\"::ffff:100.64.1.1\"", "pool", "IPv4 is written as IPv4", POL_ERR_INVALID },
	{ "pool[0]", "\"fe80::1-fe80::2\"", "pool", "unicast", POL_ERR_INVALID },
	{ "pool", "[\"2001:db8:1::/126\", \"2001:db8:1::2\"]", "pool", "duplicate address",
	  POL_ERR_CONFLICT },
	{ "service_addresses", "[\"2001:db8:1::130\", \"100.64.1.130\", \"2001:db8:1::130\"]",
	  "service_addresses", "duplicate", POL_ERR_CONFLICT },
	{ "hosts[1].ipv4", "null", "hosts[1].ipv4", "ipv4 or an ipv6", POL_ERR_INVALID },
	{ "service_addresses[0]", "\"100.64.1\"", "service_addresses[0]", "address",
	  POL_ERR_INVALID },
	{ "pool[0]", "\"100.64.1.142-100.64.1.131\"", "pool[0]", "range", POL_ERR_INVALID },
	{ "pool[0]", "\"100.64.1.1-2001:db8::1\"", "pool[0]", "range", POL_ERR_INVALID },
	{ "pool[0]", "\"100.64.0.0/8\"", "pool[0]", "host bits", POL_ERR_INVALID },
	{ "pool[0]", "\"100.0.0.0/8\"", "pool[0]", "too large", POL_ERR_INVALID },
	{ "hosts[0].firewall[0].src", "\"100.64.0.2/24\"", "hosts[0].firewall[0].src", "host bits",
	  POL_ERR_INVALID },
	{ "hosts[0].firewall[0].src", "\"100.64.0.0/33\"", "hosts[0].firewall[0].src", "prefix",
	  POL_ERR_INVALID },
	{ "hosts[0].firewall[0].dst", "\"2001:db8::/32\"", "hosts[0].firewall[0].dst",
	  "different address families", POL_ERR_INVALID },
	{ "resolver_groups[0].nodes[0]", "\"1.1.1.1/8\"", "resolver_groups[0].nodes[0]", "prefix",
	  POL_ERR_INVALID },
	{ "zones[0].nameservers[0].ipv4", "\"::1\"", "zones[0].nameservers[0].ipv4", "IPv4",
	  POL_ERR_INVALID },
	/* names */
	{ "hosts[0].fqdn", "\"bad name.gwa.demo\"", "hosts[0].fqdn", "DNS name", POL_ERR_INVALID },
	{ "hosts[0].fqdn", "\"a..gwa.demo\"", "hosts[0].fqdn", "DNS name", POL_ERR_INVALID },
	{ "hosts[0].services[0].fqdn", "\"*.test.gwa.demo\"", "hosts[0].services[0].fqdn",
	  "DNS name", POL_ERR_INVALID },
	{ "groups[0].name", "\"post paid\"", "groups[0].name", "A-Za-z0-9", POL_ERR_INVALID },
	/* duplicates */
	{ "zones[1].name", "\"gwa.demo\"", "zones[1].name", "duplicate zone", POL_ERR_CONFLICT },
	{ "hosts[1].fqdn", "\"test.gwa.demo\"", "hosts[1].fqdn", "duplicate host",
	  POL_ERR_CONFLICT },
	{ "hosts[1].ipv4", "\"192.168.0.100\"", "hosts[1].ipv4", "duplicate address",
	  POL_ERR_CONFLICT },
	{ "hosts[1].services[0].fqdn", "\"www.test.gwa.demo\"", "hosts[1].services[0].fqdn",
	  "duplicate service", POL_ERR_CONFLICT },
	{ "hosts[0].services[1].fqdn", "\"test2.gwa.demo\"", "hosts[0].services[1].fqdn",
	  "name of hosts[1]", POL_ERR_CONFLICT },
	{ "groups[1]", "{\"name\": \"postpaid\"}", "groups[1].name", "duplicate group",
	  POL_ERR_CONFLICT },
	{ "pool[1]", "\"100.64.1.140\"", "pool", "duplicate address", POL_ERR_CONFLICT },
	{ "service_addresses[1]", "\"100.64.1.130\"", "service_addresses", "duplicate",
	  POL_ERR_CONFLICT },
	{ "alg_routes[1]",
	  "{\"hostname\": \"www.test.gwa.demo\", \"port\": 443, "
	  "\"backend\": \"192.168.0.1:443\"}",
	  "alg_routes[1]", "duplicate route", POL_ERR_CONFLICT },
	{ "resolver_groups[1]", "{\"name\": \"public\"}", "resolver_groups[1].name",
	  "duplicate resolver group", POL_ERR_CONFLICT },
	{ "resolver_groups[1]", "{\"name\": \"other\", \"nodes\": [\"1.1.1.4/30\"]}",
	  "resolver_groups[1].nodes[0]", "duplicate resolver node", POL_ERR_CONFLICT },
	{ "hosts[0].groups[1]", "\"postpaid\"", "hosts[0].groups[1]", "listed twice",
	  POL_ERR_CONFLICT },
	/* references */
	{ "hosts[0].groups[0]", "\"gold\"", "hosts[0].groups[0]", "no group named",
	  POL_ERR_INVALID },
	/* zones */
	{ "hosts[0].services[1].fqdn", "\"www.test.example.com\"", "hosts[0].services[1].fqdn",
	  "not inside any forward zone", POL_ERR_DANGLING },
	{ "hosts[1].fqdn", "\"xgwa.demo\"", "hosts[1].fqdn", "not inside any forward zone",
	  POL_ERR_DANGLING },
	{ "hosts[1].services[0].fqdn", "\"tcp80.xgwa.demo\"", "hosts[1].services[0].fqdn",
	  "not inside any forward zone", POL_ERR_DANGLING },
	{ "hosts[1].fqdn", "\"test2.cname-gwa.demo\"", "hosts[1].fqdn",
	  "not inside any forward zone", POL_ERR_DANGLING },
	{ "zones[0].nameservers", "[]", "zones[0].soa.mname", "required", POL_ERR_INVALID },
	/* pool and service addresses overlap */
	{ "service_addresses[0]", "\"100.64.1.135\"", "pool", "also a service address",
	  POL_ERR_CONFLICT },
};

static void
test_bad_input(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *text = c->path != NULL ? mutate(c->path, c->value) : strdup(c->value);
		struct pol_snap *s = NULL;
		struct pol_err e = { 0 };
		int rc = pol_bundle_parse(text, strlen(text), &s, &e);

		if (rc != -EINVAL || strcmp(e.field, c->field) != 0 ||
		    strstr(e.msg, c->msg) == NULL || e.kind != c->kind)
			fail_msg("case %zu (%s = %s): rc %d, got %s \"%s: %s\", want %s \"%s: "
				 "...%s...\"",
				 i, c->path != NULL ? c->path : "(doc)",
				 c->value != NULL ? c->value : "(deleted)", rc,
				 pol_err_kind_name(e.kind), e.field, e.msg,
				 pol_err_kind_name(c->kind), c->field, c->msg);
		assert_null(s);
		free(text);
	}
	printf("bundle: %zu bad inputs rejected with the field named\n",
	       sizeof(bad_cases) / sizeof(bad_cases[0]));
}

/* Every bad case through the import path (parse, then replace if it parsed) into a store
 * holding the base bundle: the export and the bytes of the database file never change. */
static void
test_bad_input_store_untouched(void **state)
{
	char *dir = fx_tmpdir(), path[512], wal[520];
	struct pol_err e = { 0 };
	struct pol_store *st;
	struct pol_snap *base = fx_parse(base_bundle);
	char *before, *db0, *wal0;
	size_t n_db0 = 0, n_wal0 = 0;

	(void)state;
	assert_non_null(dir);
	assert_non_null(base);
	snprintf(path, sizeof(path), "%s/bad.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	st = pol_store_open(path, &e);
	assert_non_null(st);
	assert_int_equal(pol_store_replace(st, base, &e), 0);
	before = fx_store_text(st);
	db0 = fx_read_file(path, &n_db0);
	wal0 = fx_read_file(wal, &n_wal0);
	assert_non_null(db0);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *text = c->path != NULL ? mutate(c->path, c->value) : strdup(c->value);
		struct pol_snap *s = NULL;
		char *after, *db1, *wal1;
		size_t n_db1 = 0, n_wal1 = 0;
		int rc = pol_bundle_parse(text, strlen(text), &s, &e);

		if (rc == 0)
			rc = pol_store_replace(st, s, &e);
		assert_int_not_equal(rc, 0);
		after = fx_store_text(st);
		db1 = fx_read_file(path, &n_db1);
		wal1 = fx_read_file(wal, &n_wal1);
		if (strcmp(after, before) != 0 || n_db1 != n_db0 || n_wal1 != n_wal0 ||
		    memcmp(db1, db0, n_db0) != 0 ||
		    (n_wal0 != 0 && memcmp(wal1, wal0, n_wal0) != 0))
			fail_msg("case %zu changed the database", i);
		free(after);
		free(db1);
		free(wal1);
		pol_snap_unref(s);
		free(text);
	}
	free(before);
	free(db0);
	free(wal0);
	pol_store_close(st);
	pol_snap_unref(base);
	fx_rmdir(dir);
}

/* Values that must be accepted, with their canonical form. */
static void
test_canonical_forms(void **state)
{
	char *t = mutate(
		"hosts[1]",
		"{\"fqdn\": \"Test2.GWA.Demo.\", \"ipv4\": \"192.168.0.101\","
		" \"ipv6\": \"2001:DB8:0:0::1\", \"services\": [{\"fqdn\": \"UDP53.test2.gwa.demo\","
		" \"protocol\": 17}, {\"fqdn\": \"x.test2.gwa.demo\", \"protocol\": \"6\","
		" \"port\": null}], \"firewall\": [{\"action\": \"accept\", \"protocol\": \"udp\","
		" \"dport\": \"1000-2000\", \"sport\": 53, \"src\": \"10.0.0.1\", \"rate\": 5,"
		" \"burst\": 10}]}");
	struct pol_snap *s = fx_parse(t);
	json_t *j, *h, *fw;

	(void)state;
	assert_non_null(s);
	assert_string_equal(s->hosts[1].fqdn, "test2.gwa.demo");
	assert_string_equal(s->services[3].fqdn, "udp53.test2.gwa.demo");
	assert_int_equal(s->services[3].port, 53);
	assert_int_equal(s->services[4].protocol, POL_PROTO_TCP);
	assert_int_equal(s->services[4].port, 0);
	j = pol_bundle_export(s);
	h = json_array_get(json_object_get(j, "hosts"), 1);
	assert_string_equal(json_string_value(json_object_get(h, "ipv6")), "2001:db8::1");
	fw = json_array_get(json_object_get(h, "firewall"), 0);
	assert_string_equal(json_string_value(json_object_get(fw, "dport")), "1000-2000");
	assert_int_equal(json_integer_value(json_object_get(fw, "sport")), 53);
	assert_string_equal(json_string_value(json_object_get(fw, "src")), "10.0.0.1/32");
	assert_true(json_is_null(json_object_get(fw, "dst")));
	assert_string_equal(json_string_value(json_object_get(fw, "direction")), "any");
	json_decref(j);
	pol_snap_unref(s);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_parses),
		cmocka_unit_test(test_empty_bundle),
		cmocka_unit_test(test_example_roundtrip),
		cmocka_unit_test(test_export_pool_ranges),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_bad_input_store_untouched),
		cmocka_unit_test(test_canonical_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
