/* SPDX-License-Identifier: MIT */
/* tests/unit/test_api_reply.c -- error model, ETags, If-Match, request-field naming */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

static void
reset(struct api_req *r)
{
	json_decref(r->reply);
	free(r->raw);
	memset(r, 0, sizeof(*r));
	r->method = "GET";
}

static void
test_error_shape(void **state)
{
	struct api_req r = { 0 };

	(void)state;
	reset(&r);
	api_reply_error(&r, 400, "hosts.port", "must be %s", "a number");
	assert_int_equal(r.status, 400);
	assert_int_equal(json_object_size(r.reply), 3);
	assert_string_equal(json_string_value(json_object_get(r.reply, "error")), "invalid");
	assert_string_equal(json_string_value(json_object_get(r.reply, "message")),
			    "must be a number");
	assert_string_equal(json_string_value(json_object_get(r.reply, "field")), "hosts.port");
	reset(&r);
	api_reply_error(&r, 404, NULL, "gone");
	assert_true(json_is_null(json_object_get(r.reply, "field")));
	/* every status we use has its own code */
	static const int codes[] = { 400, 401, 403, 404, 405, 409, 412, 413, 415, 429, 500, 503 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		for (size_t j = i + 1; j < sizeof(codes) / sizeof(codes[0]); j++)
			assert_string_not_equal(api_error_code(codes[i]), api_error_code(codes[j]));
	reset(&r);
}

/* Messages echo client bytes: they must stay valid UTF-8 (else jansson refuses them). */
static void
test_error_utf8(void **state)
{
	struct api_req r = { 0 };
	const char *m;

	(void)state;
	reset(&r);
	api_reply_error(&r, 404, "a\x9b", "no zone '%s'",
			"\x9bwa.demo\xc3\x28\x01 \xc3\xa9t\xc3\xa9");
	assert_int_equal(r.status, 404);
	m = json_string_value(json_object_get(r.reply, "message"));
	assert_non_null(m);
	assert_string_equal(m, "no zone '?wa.demo?(? \xc3\xa9t\xc3\xa9'");
	assert_string_equal(json_string_value(json_object_get(r.reply, "field")), "a?");
	reset(&r);
}

static void
test_store_errors_map(void **state)
{
	struct api_req r = { 0 };
	struct pol_err e = { 0 };

	(void)state;
	reset(&r);
	pol_err_set(&e, "fqdn", "already exists");
	api_reply_store_err(&r, -EEXIST, &e, "host");
	assert_int_equal(r.status, 409);
	reset(&r);
	api_reply_store_err(&r, -EINVAL, &e, "host");
	assert_int_equal(r.status, 400);
	reset(&r);
	api_reply_store_err(&r, -ENOENT, NULL, "host");
	assert_int_equal(r.status, 404);
	reset(&r);
	api_reply_store_err(&r, -EBUSY, NULL, "host");
	assert_int_equal(r.status, 503);
	assert_int_equal(r.retry_after_s, 1);
	reset(&r);
}

static void
test_etag_canonical(void **state)
{
	json_t *a = json_loads("{\"b\":1,\"a\":[1,2]}", 0, NULL);
	json_t *b = json_loads("{\"a\":[1,2],\"b\":1}", 0, NULL);
	json_t *c = json_loads("{\"a\":[2,1],\"b\":1}", 0, NULL);
	char ea[40], eb[40], ec[40];

	(void)state;
	api_etag(a, ea);
	api_etag(b, eb);
	api_etag(c, ec);
	assert_string_equal(ea, eb);
	assert_string_not_equal(ea, ec);
	assert_int_equal(strlen(ea), 34);
	assert_int_equal(ea[0], '"');
	assert_int_equal(ea[33], '"');
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void
test_if_match(void **state)
{
	struct api_req r = { 0 };
	json_t *v = json_loads("{\"x\":1}", 0, NULL);
	char etag[40], list[128];

	(void)state;
	api_etag(v, etag);
	reset(&r);
	assert_true(api_if_match(&r, v)); /* absent */
	r.if_match = etag;
	assert_true(api_if_match(&r, v));
	r.if_match = "*";
	assert_true(api_if_match(&r, v));
	snprintf(list, sizeof(list), "\"abc\" , W/%s", etag);
	r.if_match = list;
	assert_true(api_if_match(&r, v));
	r.if_match = "\"abc\"";
	assert_false(api_if_match(&r, v));
	assert_int_equal(r.status, 412);
	reset(&r);
	r.if_match = "*";
	assert_false(api_if_match(&r, NULL));
	assert_int_equal(r.status, 412);
	reset(&r);
	json_decref(v);
}

static void
test_if_none_match_304(void **state)
{
	struct api_req r = { 0 };
	json_t *v = json_loads("{\"x\":1}", 0, NULL);
	char etag[40];

	(void)state;
	api_etag(v, etag);
	reset(&r);
	r.if_none_match = etag;
	api_reply_entity(&r, 200, json_incref(v));
	assert_int_equal(r.status, 304);
	assert_null(r.reply);
	assert_string_equal(r.etag, etag);
	reset(&r);
	r.if_none_match = "\"other\"";
	api_reply_entity(&r, 200, json_incref(v));
	assert_int_equal(r.status, 200);
	reset(&r);
	json_decref(v);
}

static void
test_codecs(void **state)
{
	struct pol_err e = { 0 };
	struct pol_group g = { 0 };
	struct pol_service_addr sa = { 0 };
	struct pol_resolver_node n = { 0 };
	struct pol_nameserver ns = { 0 };
	json_t *o;

	(void)state;
	o = json_loads("{\"name\":\"post-paid_1\"}", 0, NULL);
	assert_int_equal(pol_t_group.from_json(o, false, &g, "", &e), 0);
	assert_string_equal(g.name, "post-paid_1");
	json_decref(o);
	o = json_loads("{\"name\":\"bad name\"}", 0, NULL);
	assert_int_equal(pol_t_group.from_json(o, false, &g, "", &e), -EINVAL);
	assert_string_equal(e.field, "name");
	json_decref(o);
	o = json_loads("{\"comment\":\"x\"}", 0, NULL);
	assert_int_equal(pol_t_group.from_json(o, false, &g, "", &e), -EINVAL);
	assert_string_equal(e.msg, "is required");
	/* a PATCH applies the keys present to the row as it was (a refused body leaves no
	 * promise about the row it was read into) */
	snprintf(g.name, sizeof(g.name), "post-paid_1");
	assert_int_equal(pol_t_group.from_json(o, true, &g, "", &e), 0);
	assert_string_equal(g.comment, "x");
	assert_string_equal(g.name, "post-paid_1");
	json_decref(o);
	o = json_loads("{\"address\":\"2001:db8::1\",\"comment\":\"v6\"}", 0, NULL);
	assert_int_equal(pol_t_service_addr.from_json(o, false, &sa, "", &e), 0);
	json_decref(o);
	o = json_loads("{\"address\":\"100.64.1.300\"}", 0, NULL);
	assert_int_equal(pol_t_service_addr.from_json(o, false, &sa, "x", &e), -EINVAL);
	assert_string_equal(e.field, "x.address");
	json_decref(o);
	o = json_loads("{\"prefix\":\"10.1.2.0/16\"}", 0, NULL);
	assert_int_equal(pol_t_resolver_node.from_json(o, false, &n, "", &e), -EINVAL);
	json_decref(o);
	o = json_loads("{\"name\":\"NS1.Gwa.Demo.\",\"ipv4\":\"::1\"}", 0, NULL);
	assert_int_equal(pol_t_nameserver.from_json(o, false, &ns, "", &e), -EINVAL);
	assert_string_equal(e.field, "ipv4");
	json_decref(o);
	o = json_loads("{\"name\":\"NS1.Gwa.Demo.\",\"ipv4\":null}", 0, NULL);
	assert_int_equal(pol_t_nameserver.from_json(o, false, &ns, "", &e), 0);
	assert_string_equal(ns.name, "ns1.gwa.demo");
	json_decref(o);
	o = json_loads("[1]", 0, NULL);
	assert_int_equal(pol_t_pool_addr.from_json(o, false, NULL, "", &e), -EINVAL);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_shape),	 cmocka_unit_test(test_error_utf8),
		cmocka_unit_test(test_store_errors_map), cmocka_unit_test(test_etag_canonical),
		cmocka_unit_test(test_if_match),	 cmocka_unit_test(test_if_none_match_304),
		cmocka_unit_test(test_codecs),
	};

	return cmocka_run_group_tests_name("api_reply", tests, NULL, NULL);
}
