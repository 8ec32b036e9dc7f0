/* SPDX-License-Identifier: MIT */
/* tests/unit/test_tenancy.c -- what a tenant owns, the writes it may make, its quotas */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/tenancy.h"

static struct pol_tenant bank;

#define ARRAY(S, FIELD, N)                                                                         \
	do {                                                                                       \
		(S)->FIELD = calloc((N), sizeof(*(S)->FIELD));                                     \
		assert_non_null((S)->FIELD);                                                       \
		(S)->n_##FIELD = (N);                                                              \
	} while (0)

static void
host(struct pol_host *h, int64_t id, const char *fqdn, const char *ip)
{
	h->id = id;
	snprintf(h->fqdn, sizeof(h->fqdn), "%s", fqdn);
	assert_int_equal(addr_parse(ip, &h->ipv4), 0);
}

/*
 * The ISP's host isp.gwa.demo (1) and the bank's web.bank.gwa.demo (2), each with a service,
 * a firewall rule and a group (isp.admins 1, bank.web 2) with a rule, the bank's host in its
 * group; an ALG route for each.
 */
static struct pol_snap *
snap_new(void)
{
	struct pol_snap *s = pol_snap_new();

	assert_non_null(s);
	ARRAY(s, hosts, 2);
	host(&s->hosts[0], 1, "isp.gwa.demo", "127.0.0.3");
	host(&s->hosts[1], 2, "web.bank.gwa.demo", "127.0.1.1");
	ARRAY(s, services, 2);
	s->services[0] = (struct pol_service){ .id = 1, .host_id = 1, .fqdn = "www.isp.gwa.demo" };
	s->services[1] = (struct pol_service){ .id = 2, .host_id = 2, .fqdn = "www.bank.gwa.demo" };
	ARRAY(s, groups, 2);
	s->groups[0] = (struct pol_group){ .id = 1, .name = "isp.admins" };
	s->groups[1] = (struct pol_group){ .id = 2, .name = "bank.web" };
	ARRAY(s, host_groups, 1);
	s->host_groups[0] = (struct pol_host_group){ .host_id = 2, .group_id = 2 };
	ARRAY(s, fw_rules, 4);
	s->fw_rules[0] = (struct pol_fw_rule){ .id = 1, .host_id = 1 };
	s->fw_rules[1] = (struct pol_fw_rule){ .id = 2, .host_id = 2 };
	s->fw_rules[2] = (struct pol_fw_rule){ .id = 3, .group_id = 1 };
	s->fw_rules[3] = (struct pol_fw_rule){ .id = 4, .group_id = 2 };
	ARRAY(s, alg_routes, 2);
	s->alg_routes[0] = (struct pol_alg_route){ .id = 1, .hostname = "www.isp.gwa.demo" };
	assert_int_equal(addr_parse("127.0.0.3", &s->alg_routes[0].backend), 0);
	s->alg_routes[1] = (struct pol_alg_route){ .id = 2, .hostname = "www.bank.gwa.demo" };
	assert_int_equal(addr_parse("127.0.1.1", &s->alg_routes[1].backend), 0);
	return s;
}

static int
setup(void **state)
{
	(void)state;
	memset(&bank, 0, sizeof(bank));
	snprintf(bank.name, sizeof(bank.name), "bank");
	snprintf(bank.domains[0], sizeof(bank.domains[0]), "bank.gwa.demo");
	bank.n_domains = 1;
	assert_int_equal(prefix_parse("127.0.1.0/24", false, &bank.realm[0]), 0);
	bank.n_realm = 1;
	return 0;
}

/* Rows are the bank's by their names (and their host's or group's), nothing else is. */
static void
test_ownership(void **state)
{
	struct pol_snap *s = snap_new();
	struct addr a;

	(void)state;
	assert_false(pol_tenancy_host(&bank, &s->hosts[0]));
	assert_true(pol_tenancy_host(&bank, &s->hosts[1]));
	assert_false(pol_tenancy_service(&bank, s, &s->services[0]));
	assert_true(pol_tenancy_service(&bank, s, &s->services[1]));
	assert_false(pol_tenancy_group(&bank, &s->groups[0]));
	assert_true(pol_tenancy_group(&bank, &s->groups[1]));
	assert_false(pol_tenancy_group(&bank, &(struct pol_group){ .name = "bank." }));
	assert_false(pol_tenancy_group(&bank, &(struct pol_group){ .name = "banker.web" }));
	assert_false(pol_tenancy_fw(&bank, s, &s->fw_rules[0]));
	assert_true(pol_tenancy_fw(&bank, s, &s->fw_rules[1]));
	assert_false(pol_tenancy_fw(&bank, s, &s->fw_rules[2]));
	assert_true(pol_tenancy_fw(&bank, s, &s->fw_rules[3]));
	assert_false(pol_tenancy_route(&bank, &s->alg_routes[0]));
	assert_true(pol_tenancy_route(&bank, &s->alg_routes[1]));
	/* a name that only ends like the domain is not below it */
	assert_false(pol_tenancy_host(&bank, &(struct pol_host){ .fqdn = "xbank.gwa.demo" }));
	assert_int_equal(addr_parse("127.0.1.200", &a), 0);
	assert_true(pol_tenancy_in_realm(&bank, &a));
	assert_int_equal(addr_parse("127.0.2.1", &a), 0);
	assert_false(pol_tenancy_in_realm(&bank, &a));
	pol_snap_unref(s);
}

/* Changing its own rows passes; touching any other row, or any other table, is refused. */
static void
test_boundary(void **state)
{
	struct pol_snap *a = snap_new(), *b;
	struct pol_err e = { 0 };

	(void)state;
	b = snap_new();
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), 0);
	b->hosts[1].pool_limit = 7;
	b->fw_rules[3].priority = 5;
	b->alg_routes[1].backend_port = 8080;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), 0);
	pol_snap_unref(b);

	b = snap_new();
	b->hosts[0].pool_limit = 7;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	assert_int_equal(e.kind, POL_ERR_FORBIDDEN);
	assert_string_equal(e.msg, "host 'isp.gwa.demo' is outside the domains of tenant bank");
	pol_snap_unref(b);

	b = snap_new(); /* renaming its host out of its domains */
	snprintf(b->hosts[1].fqdn, sizeof(b->hosts[1].fqdn), "web.isp.gwa.demo");
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	pol_snap_unref(b);

	b = snap_new(); /* its host to the ISP's address */
	assert_int_equal(addr_parse("127.0.0.9", &b->hosts[1].ipv4), 0);
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	assert_non_null(strstr(e.msg, "127.0.0.9 is outside the realm of tenant bank"));
	pol_snap_unref(b);

	b = snap_new(); /* its route to the ISP's address */
	assert_int_equal(addr_parse("127.0.0.3", &b->alg_routes[1].backend), 0);
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	assert_string_equal(e.field, "backend");
	pol_snap_unref(b);

	b = snap_new(); /* the ISP's group rule, the ISP's host in its group */
	b->fw_rules[2].priority = 1;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	b->fw_rules[2].priority = 0;
	b->host_groups[0].host_id = 1;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	b->host_groups[0] = (struct pol_host_group){ .host_id = 2, .group_id = 1 };
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES); /* its host, ISP's group */
	assert_non_null(strstr(e.msg, "membership of a group not named 'bank.<name>'"));
	pol_snap_unref(b);

	b = snap_new(); /* removing the ISP's route */
	b->n_alg_routes = 1;
	b->alg_routes[0] = b->alg_routes[1];
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	pol_snap_unref(b);

	b = snap_new(); /* removing its own route */
	b->n_alg_routes = 1;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), 0);
	pol_snap_unref(b);

	b = snap_new(); /* any other table, the admission policy */
	ARRAY(b, pool_addrs, 1);
	b->pool_addrs[0].id = 1;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	assert_non_null(strstr(e.msg, "may change no pool address"));
	pol_snap_unref(b);
	b = snap_new();
	b->admission.dns_tcp = !b->admission.dns_tcp;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	pol_snap_unref(b);
	pol_snap_unref(a);
}

/* A quota refuses growth past it, not a policy already past it that does not grow. */
static void
test_quotas(void **state)
{
	struct pol_snap *a = snap_new(), *b = snap_new();
	struct pol_quota u;
	struct pol_err e = { 0 };

	(void)state;
	pol_tenancy_usage(&bank, a, &u);
	assert_int_equal(u.hosts, 1);
	assert_int_equal(u.services, 1);
	assert_int_equal(u.alg_routes, 1);
	assert_int_equal(u.pool, POL_POOL_LIMIT_DEFAULT);
	/* a second host of the bank, holding 20 pool addresses */
	b->hosts = realloc(b->hosts, 3 * sizeof(*b->hosts));
	assert_non_null(b->hosts);
	memset(&b->hosts[2], 0, sizeof(b->hosts[2]));
	host(&b->hosts[2], 3, "a.bank.gwa.demo", "127.0.1.2");
	b->hosts[2].pool_limit = 20;
	b->n_hosts = 3;
	bank.quota.hosts = 1;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	assert_string_equal(e.field, "quota");
	assert_string_equal(e.msg, "tenant bank is over its quota of hosts: 1 of 1 (would hold 2)");
	bank.quota.hosts = 2;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), 0);
	bank.quota.pool = 119;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	assert_non_null(strstr(e.msg, "quota of pool addresses: 100 of 119 (would hold 120)"));
	bank.quota.pool = 120;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), 0);
	/* already past a lowered quota: a change that does not grow passes */
	bank.quota.hosts = 1;
	assert_int_equal(pol_tenancy_check(b, b, &bank, &e), 0);
	bank.quota.alg_routes = 1;
	b->alg_routes[1].backend_port = 1;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES); /* hosts grew past 1 */
	bank.quota.hosts = 0;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), 0);
	bank.quota.services = 1;
	b->services = realloc(b->services, 3 * sizeof(*b->services));
	assert_non_null(b->services);
	b->services[2] = (struct pol_service){ .id = 3, .host_id = 3, .fqdn = "x.bank.gwa.demo" };
	b->n_services = 3;
	assert_int_equal(pol_tenancy_check(a, b, &bank, &e), -EACCES);
	assert_non_null(strstr(e.msg, "quota of services"));
	pol_snap_unref(a);
	pol_snap_unref(b);
}

/* The tenant's part: its rows only, memberships only between its own hosts and groups. */
static void
test_part(void **state)
{
	struct pol_snap *s = snap_new(), *p;

	(void)state;
	s->host_groups = realloc(s->host_groups, 2 * sizeof(*s->host_groups));
	assert_non_null(s->host_groups);
	s->host_groups[0] = (struct pol_host_group){ .host_id = 2, .group_id = 1 };
	s->host_groups[1] = (struct pol_host_group){ .host_id = 2, .group_id = 2 };
	s->n_host_groups = 2;
	p = pol_tenancy_part(s, &bank);
	assert_non_null(p);
	assert_int_equal(p->n_hosts, 1);
	assert_string_equal(p->hosts[0].fqdn, "web.bank.gwa.demo");
	assert_int_equal(p->n_services, 1);
	assert_int_equal(p->services[0].id, 2);
	assert_int_equal(p->n_groups, 1);
	assert_string_equal(p->groups[0].name, "bank.web");
	assert_int_equal(p->n_fw_rules, 2);
	assert_int_equal(p->fw_rules[0].id, 2);
	assert_int_equal(p->fw_rules[1].id, 4);
	assert_int_equal(p->n_alg_routes, 1);
	assert_int_equal(p->alg_routes[0].id, 2);
	assert_int_equal(p->n_host_groups, 1);
	assert_int_equal(p->host_groups[0].group_id, 2);
	assert_int_equal(p->n_zones + p->n_pool_addrs + p->n_service_addrs, 0);
	pol_snap_unref(p);
	pol_snap_unref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ownership, setup),
		cmocka_unit_test_setup(test_boundary, setup),
		cmocka_unit_test_setup(test_quotas, setup),
		cmocka_unit_test_setup(test_part, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
