/* SPDX-License-Identifier: MIT */
/* ctl/cmd_policy.c -- rgwctl commands on the policy: hosts, services, groups, zones, pool, ALG */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "client.h"
#include "cmd_policy.h"

static void nested_opt(json_t *host, const char *key, const char *arg, long v);

/* host add --nested/--dns-port/--nested-timeout: one key of the host's "nested" object (made on
 * first use); "addresses" takes a comma-separated list, the others the integer v. */
static void
nested_opt(json_t *host, const char *key, const char *arg, long v)
{
	json_t *n = json_object_get(host, "nested");

	if (n == NULL) {
		n = json_object();
		json_object_set_new(host, "nested", n);
	}
	if (strcmp(key, "addresses") == 0) {
		json_t *arr = json_array();
		char *dup = strdup(arg), *save = NULL;

		for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t != NULL;
		     t = strtok_r(NULL, ",", &save))
			json_array_append_new(arr, json_string(t));
		free(dup);
		json_object_set_new(n, key, arr);
	} else {
		json_object_set_new(n, key, json_integer(v));
	}
}

static const char *const host_cols[] = { "id", "fqdn", "ipv4", "ipv6", "groups", NULL };
static const char *const svc_cols[] = { "id", "fqdn", "protocol", "port", "proxy_required", NULL };
static const char *const group_cols[] = { "id", "name", "comment", NULL };
static const char *const zone_cols[] = { "id", "name", "kind", "ttl", NULL };
static const char *const pool_cols[] = { "id", "address", NULL };
static const char *const alg_cols[] = { "id", "hostname", "port", "backend", "preserve", NULL };

int
ctl_cmd_host_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_list(c, "/api/v1/hosts", host_cols);
}

int
ctl_cmd_host_show(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	ctl_item_path(path, sizeof(path), "/api/v1/hosts", argv[0]);
	return ctl_do_req(c, "GET", path, NULL, 200, NULL);
}

int
ctl_cmd_host_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	ctl_item_path(path, sizeof(path), "/api/v1/hosts", argv[0]);
	return ctl_do_req(c, "DELETE", path, NULL, 204, NULL);
}

int
ctl_cmd_host_add(struct ctl *c, int argc, char **argv)
{
	/* an IPv6 address alone: an IPv6-only host */
	json_t *b = json_pack("{s:s,s:s}", "fqdn", argv[0], strchr(argv[1], ':') ? "ipv6" : "ipv4",
			      argv[1]);
	json_t *groups = json_array();

	for (int i = 2; i < argc; i++) {
		long v;

		if (i + 1 < argc && strcmp(argv[i], "--nested") == 0) {
			nested_opt(b, "addresses", argv[++i], 0);
		} else if (i + 1 < argc && strcmp(argv[i], "--dns-port") == 0 &&
			   util_parse_long(argv[i + 1], 1, 65535, &v) == 0) {
			nested_opt(b, "dns_port", argv[++i], v);
		} else if (i + 1 < argc && strcmp(argv[i], "--nested-timeout") == 0 &&
			   util_parse_long(argv[i + 1], 1, 3600000, &v) == 0) {
			nested_opt(b, "binding_timeout_ms", argv[++i], v);
		} else if (i + 1 < argc && strcmp(argv[i], "--ipv6") == 0) {
			json_object_set_new(b, "ipv6", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--comment") == 0) {
			json_object_set_new(b, "comment", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--group") == 0) {
			json_array_append_new(groups, json_string(argv[++i]));
		} else {
			fprintf(stderr, "rgwctl: host add: unknown option %s\n", argv[i]);
			json_decref(b);
			json_decref(groups);
			return CTL_EXIT_USAGE;
		}
	}
	if (json_array_size(groups))
		json_object_set(b, "groups", groups);
	json_decref(groups);
	return ctl_do_req(c, "POST", "/api/v1/hosts", b, 201, NULL);
}

static void
svc_path(char *path, size_t len, const char *host)
{
	char *h = ctl_urlenc(host);

	snprintf(path, len, "/api/v1/hosts/%s/services", h ? h : "");
	free(h);
}

int
ctl_cmd_service_list(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	svc_path(path, sizeof(path), argv[0]);
	return ctl_list(c, path, svc_cols);
}

int
ctl_cmd_service_del(struct ctl *c, int argc, char **argv)
{
	char path[1024], item[1200];

	(void)argc;
	svc_path(path, sizeof(path), argv[0]);
	ctl_item_path(item, sizeof(item), path, argv[1]);
	return ctl_do_req(c, "DELETE", item, NULL, 204, NULL);
}

int
ctl_cmd_service_add(struct ctl *c, int argc, char **argv)
{
	json_t *b = json_pack("{s:s}", "fqdn", argv[1]);
	char path[1024];

	for (int i = 2; i < argc; i++) {
		long v;

		if (i + 1 < argc && strcmp(argv[i], "--proto") == 0) {
			json_object_set_new(b, "protocol", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--port") == 0 &&
			   util_parse_long(argv[i + 1], 0, 65535, &v) == 0) {
			json_object_set_new(b, "port", json_integer(v));
			i++;
		} else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0 &&
			   util_parse_long(argv[i + 1], 1, 3600000, &v) == 0) {
			json_object_set_new(b, "binding_timeout_ms", json_integer(v));
			i++;
		} else if (strcmp(argv[i], "--proxy") == 0) {
			json_object_set_new(b, "proxy_required", json_true());
		} else {
			fprintf(stderr, "rgwctl: service add: bad option %s\n", argv[i]);
			json_decref(b);
			return CTL_EXIT_USAGE;
		}
	}
	svc_path(path, sizeof(path), argv[0]);
	return ctl_do_req(c, "POST", path, b, 201, NULL);
}

int
ctl_cmd_group_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_list(c, "/api/v1/groups", group_cols);
}

int
ctl_cmd_group_add(struct ctl *c, int argc, char **argv)
{
	json_t *b = json_pack("{s:s}", "name", argv[0]);

	if (argc == 3 && strcmp(argv[1], "--comment") == 0) {
		json_object_set_new(b, "comment", json_string(argv[2]));
	} else if (argc != 1) {
		json_decref(b);
		fprintf(stderr, "rgwctl: group add NAME [--comment TEXT]\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_do_req(c, "POST", "/api/v1/groups", b, 201, NULL);
}

int
ctl_cmd_group_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	ctl_item_path(path, sizeof(path), "/api/v1/groups", argv[0]);
	return ctl_do_req(c, "DELETE", path, NULL, 204, NULL);
}

int
ctl_cmd_zone_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_list(c, "/api/v1/zones", zone_cols);
}

int
ctl_cmd_pool_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_list(c, "/api/v1/pool-addresses", pool_cols);
}

int
ctl_cmd_pool_add(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	return ctl_do_req(c, "POST", "/api/v1/pool-addresses",
			  json_pack("{s:s}", "address", argv[0]), 201, NULL);
}

int
ctl_cmd_pool_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	ctl_item_path(path, sizeof(path), "/api/v1/pool-addresses", argv[0]);
	return ctl_do_req(c, "DELETE", path, NULL, 204, NULL);
}

int
ctl_cmd_alg_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_list(c, "/api/v1/alg-routes", alg_cols);
}

int
ctl_cmd_alg_add(struct ctl *c, int argc, char **argv)
{
	json_t *b = json_pack("{s:s,s:s}", "hostname", argv[0], "backend", argv[1]);
	long port;

	if (argc == 4) {
		if (strcmp(argv[2], "--port") != 0 ||
		    util_parse_long(argv[3], 0, 65535, &port) < 0) {
			json_decref(b);
			fprintf(stderr, "rgwctl: alg add HOSTNAME BACKEND:PORT [--port N]\n");
			return CTL_EXIT_USAGE;
		}
		json_object_set_new(b, "port", json_integer(port));
	} else if (argc != 2) {
		json_decref(b);
		fprintf(stderr, "rgwctl: alg add HOSTNAME BACKEND:PORT [--port N]\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_do_req(c, "POST", "/api/v1/alg-routes", b, 201, NULL);
}

int
ctl_cmd_alg_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	ctl_item_path(path, sizeof(path), "/api/v1/alg-routes", argv[0]);
	return ctl_do_req(c, "DELETE", path, NULL, 204, NULL);
}
