/* SPDX-License-Identifier: MIT */
/* tests/unit/test_api_router.c -- path matching, and the route table against openapi.json */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "api/internal.h"
#include "api/router.h"

static void
h_dummy(struct api_req *r)
{
	(void)r;
}

static const struct api_route table[] = {
	{ "GET", "/api/v1/hosts", h_dummy, NULL, NULL, 0, "list" },
	{ "POST", "/api/v1/hosts", h_dummy, NULL, NULL, API_R_WRITE, "create" },
	{ "GET", "/api/v1/hosts/{host}", h_dummy, NULL, NULL, 0, "get" },
	{ "DELETE", "/api/v1/hosts/{host}", h_dummy, NULL, NULL, API_R_WRITE, "del" },
	{ "GET", "/api/v1/hosts/{host}/services/{svc}", h_dummy, NULL, NULL, 0, "svc" },
	{ "GET", "/api/v1/rep/{kind}/{key+}", h_dummy, NULL, NULL, 0, "rep" },
};
#define N (sizeof(table) / sizeof(table[0]))

static void
test_match_literal_and_params(void **state)
{
	struct api_match m;

	(void)state;
	assert_int_equal(api_route_match(table, N, "GET", "/api/v1/hosts", &m, NULL, 0),
			 API_ROUTE_OK);
	assert_ptr_equal(m.route, &table[0]);
	assert_int_equal(api_route_match(table, N, "POST", "/api/v1/hosts/", &m, NULL, 0),
			 API_ROUTE_OK);
	assert_ptr_equal(m.route, &table[1]);
	assert_int_equal(
		api_route_match(table, N, "GET", "/api/v1/hosts/test.gwa.demo", &m, NULL, 0),
		API_ROUTE_OK);
	assert_int_equal(m.n_params, 1);
	assert_string_equal(m.params[0], "test.gwa.demo");
	assert_int_equal(api_route_match(table, N, "GET", "/api/v1/hosts/a.b/services/tcp22.a.b",
					 &m, NULL, 0),
			 API_ROUTE_OK);
	assert_int_equal(m.n_params, 2);
	assert_string_equal(m.params[0], "a.b");
	assert_string_equal(m.params[1], "tcp22.a.b");
	/* HEAD is served by the GET route */
	assert_int_equal(api_route_match(table, N, "HEAD", "/api/v1/hosts", &m, NULL, 0),
			 API_ROUTE_OK);
}

static void
test_greedy_param(void **state)
{
	struct api_match m;

	(void)state;
	assert_int_equal(
		api_route_match(table, N, "GET", "/api/v1/rep/requestor/10.0.0.0/24", &m, NULL, 0),
		API_ROUTE_OK);
	assert_string_equal(m.params[0], "requestor");
	assert_string_equal(m.params[1], "10.0.0.0/24");
	assert_int_equal(api_route_match(table, N, "GET", "/api/v1/rep/requestor", &m, NULL, 0),
			 API_ROUTE_NOT_FOUND);
	assert_int_equal(
		api_route_match(table, N, "GET", "/api/v1/rep/requestor/a/../b", &m, NULL, 0),
		API_ROUTE_INVALID);
}

static void
test_not_found_and_methods(void **state)
{
	struct api_match m;
	char allow[64];

	(void)state;
	assert_int_equal(api_route_match(table, N, "GET", "/api/v2/hosts", &m, NULL, 0),
			 API_ROUTE_NOT_FOUND);
	assert_int_equal(api_route_match(table, N, "GET", "/api/v1/hostsx", &m, NULL, 0),
			 API_ROUTE_NOT_FOUND);
	assert_int_equal(api_route_match(table, N, "GET", "/api/v1/hosts/a/b", &m, NULL, 0),
			 API_ROUTE_NOT_FOUND);
	assert_int_equal(
		api_route_match(table, N, "PUT", "/api/v1/hosts/x", &m, allow, sizeof(allow)),
		API_ROUTE_BAD_METHOD);
	assert_string_equal(allow, "GET, DELETE");
	assert_null(m.route);
	assert_int_equal(
		api_route_match(table, N, "DELETE", "/api/v1/hosts", &m, allow, sizeof(allow)),
		API_ROUTE_BAD_METHOD);
	assert_string_equal(allow, "GET, POST");
}

static void
test_bad_paths(void **state)
{
	struct api_match m;
	char longp[API_PARAM_MAX + 32];

	(void)state;
	assert_int_equal(api_route_match(table, N, "GET", "", &m, NULL, 0), API_ROUTE_INVALID);
	assert_int_equal(api_route_match(table, N, "GET", "api/v1/hosts", &m, NULL, 0),
			 API_ROUTE_INVALID);
	assert_int_equal(api_route_match(table, N, "GET", "/api/v1/hosts/..", &m, NULL, 0),
			 API_ROUTE_INVALID);
	assert_int_equal(api_route_match(table, N, "GET", "/api/v1/hosts/.", &m, NULL, 0),
			 API_ROUTE_INVALID);
	assert_int_equal(api_route_match(table, N, "GET", "/api/../v1/hosts", &m, NULL, 0),
			 API_ROUTE_INVALID);
	assert_int_equal(api_route_match(table, N, "GET", "/api//v1/hosts", &m, NULL, 0),
			 API_ROUTE_INVALID);
	assert_int_equal(api_route_match(table, N, "GET", "/api/v1/hosts/a\nb", &m, NULL, 0),
			 API_ROUTE_INVALID);
	memcpy(longp, "/api/v1/hosts/", 14);
	memset(longp + 14, 'a', API_PARAM_MAX + 8);
	longp[14 + API_PARAM_MAX + 8] = '\0';
	assert_int_equal(api_route_match(table, N, "GET", longp, &m, NULL, 0), API_ROUTE_INVALID);
}

/* Convert our "{name+}" to OpenAPI's "{name}". */
static void
openapi_path(const char *pattern, char *out, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; pattern[i] && j + 1 < len; i++)
		if (!(pattern[i] == '+' && pattern[i + 1] == '}'))
			out[j++] = pattern[i];
	out[j] = '\0';
}

static void
lower(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	out[i] = '\0';
}

/* Every route in the table is in api/openapi.json, and every operation there is a route. */
static void
test_routes_match_openapi(void **state)
{
	json_error_t jerr;
	json_t *doc = json_loads(api_openapi_text(), 0, &jerr), *paths, *ops, *op;
	const char *path, *method;
	size_t n_ops = 0;

	(void)state;
	if (!doc)
		fail_msg("openapi.json does not parse: %s line %d", jerr.text, jerr.line);
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
	paths = json_object_get(doc, "paths");
	assert_non_null(paths);
	for (size_t i = 0; i < api_n_routes; i++) {
		char p[256], m[16];
		openapi_path(api_routes[i].pattern, p, sizeof(p));
		lower(api_routes[i].method, m, sizeof(m));
		if (!json_object_get(json_object_get(paths, p), m))
			fail_msg("route %s %s is missing from openapi.json", api_routes[i].method,
				 p);
	}
	json_object_foreach(paths, path, ops)
	{
		json_object_foreach(ops, method, op)
		{
			bool found = false;
			n_ops++;
			for (size_t i = 0; i < api_n_routes && !found; i++) {
				char p[256], m[16];
				openapi_path(api_routes[i].pattern, p, sizeof(p));
				lower(api_routes[i].method, m, sizeof(m));
				found = strcmp(p, path) == 0 && strcmp(m, method) == 0;
			}
			if (!found)
				fail_msg("openapi.json documents %s %s, which no route serves",
					 method, path);
		}
	}
	assert_int_equal(n_ops, api_n_routes);
	json_decref(doc);
}

/* Table sanity: unique (method, pattern); writes flagged; entity routes have entities. */
static void
test_route_table_sane(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_n_routes; i++) {
		const struct api_route *r = &api_routes[i];
		bool write = strcmp(r->method, "GET") != 0;
		assert_non_null(r->fn);
		assert_non_null(r->summary);
		if (write != !!(r->flags & API_R_WRITE))
			fail_msg("%s %s: write flag wrong", r->method, r->pattern);
		if (strcmp(r->method, "DELETE") == 0 && !(r->flags & API_R_NOBODY))
			fail_msg("%s %s: DELETE takes no body", r->method, r->pattern);
		if ((r->fn == api_h_list || r->fn == api_h_get || r->fn == api_h_create ||
		     r->fn == api_h_replace || r->fn == api_h_patch || r->fn == api_h_delete) &&
		    !r->ent)
			fail_msg("%s %s: generic handler without an entity", r->method, r->pattern);
		if (r->parent && !strstr(r->pattern, "}/"))
			fail_msg("%s %s: parent without a parent parameter", r->method, r->pattern);
		for (size_t j = i + 1; j < api_n_routes; j++)
			if (strcmp(r->method, api_routes[j].method) == 0 &&
			    strcmp(r->pattern, api_routes[j].pattern) == 0)
				fail_msg("duplicate route %s %s", r->method, r->pattern);
	}
	/* Every real path resolves to its own route. */
	{
		struct api_match m;
		assert_int_equal(api_route_match(api_routes, api_n_routes, "GET",
						 "/api/v1/admission/brackets/3", &m, NULL, 0),
				 API_ROUTE_OK);
		assert_ptr_equal(m.route->ent, &api_ent_bracket);
		assert_int_equal(api_route_match(api_routes, api_n_routes, "PATCH",
						 "/api/v1/admission", &m, NULL, 0),
				 API_ROUTE_OK);
		assert_int_equal(api_route_match(api_routes, api_n_routes, "DELETE",
						 "/api/v1/resolver-groups/g/nodes/10.1.0.0/16", &m,
						 NULL, 0),
				 API_ROUTE_OK);
		assert_string_equal(m.params[1], "10.1.0.0/16");
		assert_int_equal(
			api_route_match(api_routes, api_n_routes, "GET", "/metrics", &m, NULL, 0),
			API_ROUTE_OK);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_literal_and_params),
		cmocka_unit_test(test_greedy_param),
		cmocka_unit_test(test_not_found_and_methods),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_routes_match_openapi),
		cmocka_unit_test(test_route_table_sane),
	};

	return cmocka_run_group_tests_name("api_router", tests, NULL, NULL);
}
