/* SPDX-License-Identifier: MIT */
/* tests/unit/test_ctl.c -- rgwctl's output (tables, nested values, numbers) and settings file */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/out.h"
#include "ctl/settings.h"
#include "ctl/tenant.h"

/* ctl_cell_text of the JSON text j under key; the caller frees. */
static char *
cell(const char *key, const char *j)
{
	json_t *v = json_loads(j, JSON_DECODE_ANY, NULL);
	char *t;

	assert_non_null(v);
	t = ctl_cell_text(key, v);
	json_decref(v);
	assert_non_null(t);
	return t;
}

static void
expect_cell(const char *key, const char *j, const char *want)
{
	char *t = cell(key, j);

	assert_string_equal(t, want);
	free(t);
}

/* What an operator reads: reals rounded, times in UTC, no JSON syntax. */
static void
test_cells(void **state)
{
	(void)state;
	expect_cell("initial", "0.84999999999999998", "0.85");
	expect_cell("score", "0.333333333333", "0.3333");
	expect_cell("score", "1e-12", "0");
	expect_cell("port", "443", "443");
	expect_cell("created_ms", "1796540400000", "2026-12-06T07:00:00Z");
	expect_cell("timeout_ms", "2000", "2000"); /* a duration, not a time */
	expect_cell("x", "null", "-");
	expect_cell("x", "[]", "-");
	expect_cell("x", "true", "yes");
	expect_cell("groups", "[\"a\", \"b\"]", "a, b");
	expect_cell("x", "{\"n\": 1, \"r\": 0.5}", "n=1 r=0.5");
	expect_cell("x", "{}", "");
	expect_cell("services", "[{\"a\": 1}, {\"a\": 2}]", "(2)");
	expect_cell("seen_ms", "[1796540400000]", "2026-12-06T07:00:00Z");
}

/* Output of f as a string (open_memstream); the caller frees. */
static char *
render(json_t *j, int table)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	if (table)
		ctl_print_table(f, j, NULL, 0);
	else
		ctl_print_object(f, j, 0);
	fclose(f);
	return out;
}

static void
test_object_nested(void **state)
{
	json_t *j = json_loads("{\"fqdn\": \"a.test\", \"rep\": 0.84999999999999998,"
			       " \"dns\": {\"queries\": 3},"
			       " \"services\": [{\"proto\": \"tcp\", \"port\": 80},"
			       "                {\"proto\": \"udp\", \"port\": 53}]}",
			       0, NULL);
	char *out;

	(void)state;
	assert_non_null(j);
	out = render(j, 0);
	assert_non_null(strstr(out, "fqdn                 a.test\n"));
	assert_non_null(strstr(out, "rep                  0.85\n"));
	/* a nested object indented under its key; an array of objects as a table */
	assert_non_null(strstr(out, "dns:\n  queries            3\n"));
	assert_non_null(strstr(out, "services:\n  proto  port\n  tcp    80\n  udp    53\n"));
	assert_null(strchr(out, '{'));
	free(out);
	json_decref(j);
}

static void
test_table_columns(void **state)
{
	json_t *j = json_loads(
		"[{\"name\": \"x\", \"n\": 1}, {\"name\": \"longer\", \"extra\": true}]", 0, NULL);
	char *out;

	(void)state;
	out = render(j, 1);
	assert_string_equal(out, "name    n  extra\n"
				 "x       1  -\n"
				 "longer  -  yes\n");
	free(out);
	json_decref(j);
}

/* The settings file: known keys, values already set win, unknown keys refused. */
static void
test_settings(void **state)
{
	char path[] = "/tmp/rgwctl-test-XXXXXX";
	struct ctl_settings s = { 0 };
	bool found = false;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("\xef\xbb\xbf# a comment\nurl = https://gw:8443\ntoken = rgw_x\ntimeout = 7\n", f);
	fclose(f);
	chmod(path, 0600);
	strcpy(s.token, "from-env");
	assert_int_equal(ctl_settings_load(&s, path, &found), 0);
	assert_true(found);
	assert_string_equal(s.url, "https://gw:8443");
	assert_string_equal(s.token, "from-env"); /* already set: wins */
	assert_int_equal(s.timeout_s, 7);

	f = fopen(path, "w");
	fputs("url = https://gw\ntokn = oops\n", f);
	fclose(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ctl_settings_load(&s, path, &found), -EINVAL);
	unlink(path);
	found = false;
	assert_int_equal(ctl_settings_load(&s, path, &found), -ENOENT);
	assert_false(found);
}

/* "tenant set"'s options become the PUT body; bad options are refused with the reason. */
static void
test_tenant_body(void **state)
{
	const char *ok[] = { "--domain",    "bank.gwa.demo",  "--realm",
			     "10.1.0.0/24", "--token",	      "bank-ops",
			     "--domain",    "bank2.gwa.demo", "--session-rate",
			     "100",	    "--quota",	      "hosts=3,alg-routes=1,pool=250" };
	const char *no_domain[] = { "--realm", "10.1.0.0/24" };
	const char *bad_quota[] = { "--domain", "b.gwa.demo", "--quota", "disks=1" };
	const char *bad_num[] = { "--domain", "b.gwa.demo", "--quota", "hosts=x" };
	const char *dangling[] = { "--domain" };
	char err[256] = "", *text;
	json_t *b;

	(void)state;
	b = ctl_tenant_body(12, ok, err, sizeof(err));
	assert_non_null(b);
	text = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"domains\":[\"bank.gwa.demo\",\"bank2.gwa.demo\"],"
				  "\"quotas\":{\"alg_routes\":1,\"hosts\":3,\"pool\":250},"
				  "\"realm\":[\"10.1.0.0/24\"],\"session_rate\":100,"
				  "\"tokens\":[\"bank-ops\"]}");
	free(text);
	json_decref(b);
	assert_null(ctl_tenant_body(2, no_domain, err, sizeof(err)));
	assert_string_equal(err, "at least one --domain");
	assert_null(ctl_tenant_body(4, bad_quota, err, sizeof(err)));
	assert_non_null(strstr(err, "'disks=1'"));
	assert_null(ctl_tenant_body(4, bad_num, err, sizeof(err)));
	assert_string_equal(err, "--quota: hosts needs a number >= 0");
	assert_null(ctl_tenant_body(1, dangling, err, sizeof(err)));
	assert_string_equal(err, "--domain needs a value");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells),	      cmocka_unit_test(test_object_nested),
		cmocka_unit_test(test_table_columns), cmocka_unit_test(test_settings),
		cmocka_unit_test(test_tenant_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
