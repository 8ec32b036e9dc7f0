/* SPDX-License-Identifier: MIT */
/* tests/unit/test_api_handlers.c -- resource handlers against a real store, without sockets */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "commit.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "policy/bundle.h"

struct fixture {
	char dir[64];
	char db[128];
	struct conf conf;
	struct api api;
	struct policy_parts parts; /* the real committer, without subsystems */
	int applies;
	int fail_apply; /* make the next N commits fail as if the data plane refused */
	struct api_req r;
	char query[512];
};

static struct fixture *F;

static int
commit_hook(void *arg, const struct pol_change *c, struct pol_snap **snap, struct pol_err *e)
{
	struct fixture *f = arg;

	f->applies++;
	if (f->fail_apply > 0) {
		/* what policy_commit does when a subsystem refuses: roll back, kind APPLY */
		f->fail_apply--;
		pol_store_rollback(f->parts.store);
		pol_err_setk(e, POL_ERR_APPLY, "", "injected failure");
		if (snap)
			*snap = NULL;
		return -EIO;
	}
	return policy_commit(&f->parts, c, snap, e);
}

static const char *
query(struct api_req *r, const char *key)
{
	static char val[256];
	size_t kl = strlen(key);
	const char *p = F->query;

	(void)r;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			snprintf(val, sizeof(val), "%.*s", (int)(len - kl - 1), p + kl + 1);
			return val;
		}
		p += len + (amp ? 1 : 0);
	}
	return NULL;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pol_err e = { 0 };

	strcpy(f->dir, "/tmp/rgwapiXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/rgw.db", f->dir);
	conf_defaults(&f->conf);
	f->api.conf = &f->conf;
	f->api.st = pol_store_open(f->db, &e);
	assert_non_null(f->api.st);
	f->parts.store = f->api.st;
	f->api.v = (struct api_views){ .snap = &f->parts.snap,
				       .commit = commit_hook,
				       .commit_arg = f };
	F = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[192];

	json_decref(f->r.reply);
	json_decref(f->r.body);
	buf_free(&f->r.text);
	free(f->r.raw);
	pol_snap_unref(f->api.bundle_snap); /* the API's bundle cache (api_free does this) */
	free(f->api.bundle_text);
	pol_snap_unref(f->parts.snap);
	pol_store_close(f->api.st);
	snprintf(p, sizeof(p), "%s/rgw.db-wal", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/rgw.db-shm", f->dir);
	unlink(p);
	unlink(f->db);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Run one request; returns the status. The reply stays in F->r.reply. */
static int
run(const char *method, const char *path, const char *body)
{
	struct api_req *r = &F->r;
	const char *q = strchr(path, '?');
	enum api_route_result rr;

	json_decref(r->reply);
	json_decref(r->body);
	buf_free(&r->text);
	free(r->raw);
	memset(r, 0, sizeof(*r));
	r->api = &F->api;
	r->method = method;
	r->query_fn = query;
	r->role = POL_ROLE_RW;
	strcpy(r->actor, "unit");
	snprintf(r->path, sizeof(r->path), "%.*s", (int)(q ? q - path : (long)strlen(path)), path);
	snprintf(F->query, sizeof(F->query), "%s", q ? q + 1 : "");
	if (body) {
		json_error_t jerr;
		r->body = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);
		if (!r->body)
			fail_msg("test body does not parse: %s", jerr.text);
	}
	rr = api_route_match(api_routes, api_n_routes, method, r->path, &r->m, r->allow,
			     sizeof(r->allow));
	if (rr != API_ROUTE_OK)
		return rr == API_ROUTE_BAD_METHOD ? 405 : 404;
	r->m.route->fn(r);
	return r->status;
}

static const char *
reply_str(const char *key)
{
	return json_string_value(json_object_get(F->r.reply, key));
}

static char *
export_text(void)
{
	struct pol_snap *s = NULL;
	char *t;

	assert_int_equal(pol_store_snapshot(F->api.st, &s), 0);
	t = pol_bundle_export_text(s);
	pol_snap_unref(s);
	return t;
}

#define ZONE                                                                                       \
	"{\"name\":\"gwa.demo\",\"nameservers\":[{\"name\":\"ns1.gwa.demo\",\"ipv4\":\"100.64.1.130\"}]}"

static void
seed(void)
{
	assert_int_equal(run("POST", "/api/v1/zones", ZONE), 201);
	assert_int_equal(
		run("POST", "/api/v1/hosts",
		    "{\"fqdn\":\"test.gwa.demo\",\"ipv4\":\"192.168.0.100\","
		    "\"services\":[{\"fqdn\":\"www.test.gwa.demo\",\"proxy_required\":true},"
		    "{\"fqdn\":\"ssh.test.gwa.demo\",\"protocol\":\"tcp\",\"port\":22}]}"),
		201);
}

static void
test_host_crud(void **state)
{
	char etag[40];

	(void)state;
	seed();
	assert_string_equal(F->r.location, "/api/v1/hosts/test.gwa.demo");
	assert_int_equal(json_array_size(json_object_get(F->r.reply, "services")), 2);
	assert_true(F->applies >= 2);

	assert_int_equal(run("GET", "/api/v1/hosts/TEST.gwa.demo.", NULL), 200);
	assert_string_equal(reply_str("ipv4"), "192.168.0.100");
	strcpy(etag, F->r.etag);
	assert_int_equal(strlen(etag), 34);

	assert_int_equal(run("GET", "/api/v1/hosts?name=test.gwa.demo", NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "total")), 1);
	assert_int_equal(run("GET", "/api/v1/hosts?name=other.gwa.demo", NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "total")), 0);

	assert_int_equal(run("PATCH", "/api/v1/hosts/test.gwa.demo", "{\"comment\":\"lab\"}"), 200);
	assert_string_equal(reply_str("comment"), "lab");
	assert_string_equal(reply_str("ipv4"), "192.168.0.100");
	assert_string_not_equal(F->r.etag, etag);

	/* PUT replaces: the comment goes back to its default */
	assert_int_equal(run("PUT", "/api/v1/hosts/test.gwa.demo",
			     "{\"fqdn\":\"test.gwa.demo\",\"ipv4\":\"192.168.0.101\"}"),
			 200);
	assert_string_equal(reply_str("comment"), "");
	assert_string_equal(reply_str("ipv4"), "192.168.0.101");

	assert_int_equal(run("DELETE", "/api/v1/hosts/test.gwa.demo", NULL), 204);
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo", NULL), 404);
	assert_string_equal(reply_str("error"), "not_found");
}

static void
test_validation_names_field(void **state)
{
	char *before, *after;

	(void)state;
	seed();
	before = export_text();
	assert_int_equal(run("POST", "/api/v1/hosts", "{\"fqdn\":12}"), 400);
	assert_string_equal(reply_str("field"), "fqdn");
	assert_int_equal(run("POST", "/api/v1/hosts", "{\"fqdn\":\"a.gwa.demo\",\"x\":1}"), 400);
	assert_string_equal(reply_str("field"), "x");
	assert_int_equal(
		run("POST", "/api/v1/hosts", "{\"fqdn\":\"a.gwa.demo\",\"ipv4\":\"1.2.3\"}"), 400);
	assert_string_equal(reply_str("field"), "ipv4");
	assert_int_equal(
		run("POST", "/api/v1/hosts", "{\"fqdn\":\"a.elsewhere\",\"ipv4\":\"192.168.0.3\"}"),
		400);
	assert_string_equal(reply_str("field"), "fqdn");
	/* an embedded service names its element */
	assert_int_equal(
		run("POST", "/api/v1/hosts",
		    "{\"fqdn\":\"b.gwa.demo\",\"ipv4\":\"192.168.0.4\",\"services\":[{\"fqdn\":\"b.gwa.demo\"},"
		    "{\"fqdn\":\"c.b.gwa.demo\",\"port\":70000}]}"),
		400);
	assert_string_equal(reply_str("field"), "services[1].port");
	assert_int_equal(
		run("POST", "/api/v1/hosts", "{\"fqdn\":\"x'; DROP TABLE hosts;--.gwa.demo\"}"),
		400);
	assert_int_equal(run("POST", "/api/v1/hosts/test.gwa.demo/services",
			     "{\"fqdn\":\"a.test.gwa.demo\",\"protocol\":\"tcp\",\"port\":\"22\"}"),
			 400);
	assert_string_equal(reply_str("field"), "port");
	after = export_text();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_conflicts(void **state)
{
	(void)state;
	seed();
	assert_int_equal(run("POST", "/api/v1/hosts",
			     "{\"fqdn\":\"test.gwa.demo\",\"ipv4\":\"192.168.0.7\"}"),
			 409);
	assert_string_equal(reply_str("error"), "conflict");
	assert_string_equal(reply_str("field"), "fqdn");
	assert_int_equal(run("POST", "/api/v1/hosts",
			     "{\"fqdn\":\"t2.gwa.demo\",\"ipv4\":\"192.168.0.100\"}"),
			 409);
	assert_string_equal(reply_str("field"), "ipv4");
	/* a zone still holding hosts cannot go */
	assert_int_equal(run("DELETE", "/api/v1/zones/gwa.demo", NULL), 409);
	assert_non_null(strstr(reply_str("message"), "test.gwa.demo"));
	assert_int_equal(run("GET", "/api/v1/zones/gwa.demo", NULL), 200);
}

/*
 * 409 versus 400 follows the validator's error kind, not its wording: each case is one the
 * old keyword list ("duplicate", "already", "is also", "twice", every DELETE) got wrong or
 * one that a rewording would have flipped. The database never changes.
 */
static void
test_status_from_kind(void **state)
{
	char *before, *after;

	(void)state;
	seed();
	assert_int_equal(
		run("POST", "/api/v1/hosts", "{\"fqdn\":\"t2.gwa.demo\",\"ipv4\":\"192.168.0.2\"}"),
		201);
	before = export_text();
	/* a service carrying another host's name collides with that host (no keyword) */
	assert_int_equal(
		run("POST", "/api/v1/hosts/test.gwa.demo/services", "{\"fqdn\":\"t2.gwa.demo\"}"),
		409);
	assert_string_equal(reply_str("error"), "conflict");
	assert_non_null(strstr(reply_str("message"), "is the name of hosts["));
	/* ... also when embedded in a new host, or when the host takes a service's name */
	assert_int_equal(run("POST", "/api/v1/hosts",
			     "{\"fqdn\":\"t3.gwa.demo\",\"ipv4\":\"192.168.0.3\","
			     "\"services\":[{\"fqdn\":\"test.gwa.demo\"}]}"),
			 409);
	assert_int_equal(
		run("PATCH", "/api/v1/hosts/t2.gwa.demo", "{\"fqdn\":\"www.test.gwa.demo\"}"), 409);
	/* a name of its own outside every forward zone is bad input: for a host, a service
	 * embedded in one, a service under its host's path */
	assert_int_equal(run("POST", "/api/v1/hosts",
			     "{\"fqdn\":\"t4.elsewhere\",\"ipv4\":\"192.168.0.4\"}"),
			 400);
	assert_string_equal(reply_str("error"), "invalid");
	assert_int_equal(run("PATCH", "/api/v1/hosts/t2.gwa.demo",
			     "{\"services\":[{\"fqdn\":\"www.t2.elsewhere\"}]}"),
			 400);
	assert_int_equal(
		run("POST", "/api/v1/hosts/test.gwa.demo/services", "{\"fqdn\":\"x.elsewhere\"}"),
		400);
	assert_non_null(strstr(reply_str("message"), "not inside any forward zone"));
	/* a zone change that leaves the hosts outside every forward zone conflicts with them,
	 * as its delete does */
	assert_int_equal(run("PATCH", "/api/v1/zones/gwa.demo", "{\"kind\":\"alias\"}"), 409);
	assert_non_null(strstr(reply_str("message"), "not inside any forward zone"));
	assert_int_equal(run("DELETE", "/api/v1/zones/gwa.demo", NULL), 409);
	assert_string_equal(reply_str("error"), "conflict");
	/* a bad value in a zone write stays 400 */
	assert_int_equal(run("PATCH", "/api/v1/zones/gwa.demo", "{\"kind\":\"reverse\"}"), 400);
	/* two group memberships of one host collide (store unique key) */
	after = export_text();
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(run("POST", "/api/v1/groups", "{\"name\":\"g1\"}"), 201);
	before = export_text();
	assert_int_equal(run("PATCH", "/api/v1/hosts/t2.gwa.demo", "{\"groups\":[\"g1\",\"g1\"]}"),
			 409);
	after = export_text();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* A bundle is the request's own content throughout: its inner duplicates are bad input. */
static void
test_bundle_duplicates_invalid(void **state)
{
	(void)state;
	assert_int_equal(run("PUT", "/api/v1/bundle",
			     "{\"version\":1,\"groups\":[{\"name\":\"g\"},{\"name\":\"g\"}]}"),
			 400);
	assert_string_equal(reply_str("error"), "invalid");
	assert_string_equal(reply_str("field"), "groups[1].name");
	assert_non_null(strstr(reply_str("message"), "duplicate group"));
}

static void
test_err_status(void **state)
{
	struct pol_err e = { 0 };

	(void)state;
	assert_int_equal(api_err_status(&e, true), 400);
	assert_int_equal(api_err_status(&e, false), 400);
	e.kind = POL_ERR_CONFLICT;
	assert_int_equal(api_err_status(&e, true), 409);
	assert_int_equal(api_err_status(&e, false), 409);
	e.kind = POL_ERR_DANGLING;
	assert_int_equal(api_err_status(&e, true), 400);
	assert_int_equal(api_err_status(&e, false), 409);
}

static void
test_if_match(void **state)
{
	char etag[40], other[48];

	(void)state;
	seed();
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo", NULL), 200);
	strcpy(etag, F->r.etag);
	/* writer A wins with the right ETag */
	F->r.if_match = NULL;
	json_decref(F->r.reply);
	F->r.reply = NULL;
	{
		struct api_req *r = &F->r;
		int st;
		run("GET", "/api/v1/hosts/test.gwa.demo", NULL);
		r->method = "PATCH";
		r->if_match = etag;
		r->body = json_loads("{\"comment\":\"A\"}", 0, NULL);
		api_route_match(api_routes, api_n_routes, "PATCH", r->path, &r->m, NULL, 0);
		json_decref(r->reply);
		r->reply = NULL;
		r->m.route->fn(r);
		st = r->status;
		assert_int_equal(st, 200);
		/* writer B, holding the same (now stale) ETag, is refused */
		json_decref(r->body);
		r->body = json_loads("{\"comment\":\"B\"}", 0, NULL);
		r->etag[0] = '\0';
		r->if_match = etag;
		r->m.route->fn(r);
		assert_int_equal(r->status, 412);
		assert_string_equal(reply_str("error"), "precondition_failed");
		/* "*" and lists are accepted */
		snprintf(other, sizeof(other), "\"x\", *");
		r->if_match = other;
		r->m.route->fn(r);
		assert_int_equal(r->status, 200);
	}
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo", NULL), 200);
	assert_string_equal(reply_str("comment"), "B");
}

static void
test_apply_failure_rolls_back(void **state)
{
	char *before, *after;
	int applies;

	(void)state;
	seed();
	before = export_text();
	applies = F->applies;
	F->fail_apply = 1;
	assert_int_equal(run("POST", "/api/v1/hosts",
			     "{\"fqdn\":\"new.gwa.demo\",\"ipv4\":\"192.168.0.9\"}"),
			 500);
	assert_non_null(strstr(reply_str("message"), "injected failure"));
	/* one commit, refused: nothing to put back */
	assert_int_equal(F->applies, applies + 1);
	after = export_text();
	assert_string_equal(before, after);
	assert_int_equal(run("GET", "/api/v1/hosts/new.gwa.demo", NULL), 404);
	assert_int_equal(F->api.stats.apply_failures, 1);
	free(before);
	free(after);
}

static void
test_audit_lines(void **state)
{
	struct pol_audit *rows = NULL;
	size_t n = 0;

	(void)state;
	seed();
	assert_int_equal(run("PATCH", "/api/v1/hosts/test.gwa.demo", "{\"comment\":\"c\"}"), 200);
	assert_int_equal(pol_audit_list(F->api.st, NULL, 0, 10, &rows, &n), 0);
	assert_true(n >= 3);
	assert_string_equal(rows[0].actor, "unit");
	assert_string_equal(rows[0].action, "PATCH");
	assert_string_equal(rows[0].resource, "/api/v1/hosts/test.gwa.demo");
	assert_non_null(strstr(rows[0].detail, "\"comment\""));
	pol_audit_free(rows, n);
	/* failed writes leave no audit line */
	assert_int_equal(run("POST", "/api/v1/hosts", "{\"fqdn\":1}"), 400);
	assert_int_equal(pol_audit_list(F->api.st, NULL, 0, 10, &rows, &n), 0);
	assert_string_equal(rows[0].action, "PATCH");
	pol_audit_free(rows, n);
}

/* A detail longer than the audit keeps is cut on a character boundary, and every stored line
 * is listed: one that is not valid UTF-8 (written by an older version) shows U+FFFD. */
static void
test_audit_utf8(void **state)
{
	char body[4096], *p;
	struct pol_audit *rows = NULL;
	json_t *items, *it, *j;
	const char *d;
	char *text;
	size_t n = 0, len, i, k, pad;
	char xs[65];

	(void)state;
	/* a bundle with comments of e-acute (2 bytes each); the padding puts byte 1024 of the
	 * audited text (compact, sorted keys) inside a character */
	memset(xs, 'x', 64);
	xs[64] = '\0';
	for (pad = 0; pad < 64; pad++) {
		p = body + sprintf(body, "{\"version\":1,\"zones\":[" ZONE "],\"hosts\":[");
		for (k = 0; k < 6; k++) {
			p += sprintf(p,
				     "%s{\"fqdn\":\"h%zu.gwa.demo\",\"ipv4\":\"192.168.0.%zu\","
				     "\"comment\":\"%s",
				     k ? "," : "", k, k + 10, k == 0 ? xs + 64 - pad : "");
			for (i = 0; i < 100; i++)
				p += sprintf(p, "\xc3\xa9");
			p += sprintf(p, "\"}");
		}
		strcpy(p, "]}");
		j = json_loads(body, 0, NULL);
		assert_non_null(j);
		text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
		assert_true(strlen(text) > 1100);
		k = ((unsigned char)text[1024] & 0xc0) == 0x80;
		free(text);
		if (k)
			break;
	}
	assert_true(pad < 64);
	if (run("PUT", "/api/v1/bundle", body) != 200)
		fail_msg("%s", json_dumps(F->r.reply, 0));
	assert_int_equal(pol_audit_list(F->api.st, NULL, 0, 1, &rows, &n), 0);
	assert_int_equal(n, 1);
	len = strlen(rows[0].detail);
	assert_int_equal(len, 1023 + 3); /* 1023 bytes of whole characters, then "..." */
	assert_int_equal(util_utf8_valid_len(rows[0].detail, len), len);
	assert_string_equal(rows[0].detail + 1023, "...");
	pol_audit_free(rows, n);
	/* a stored line with bytes that are not UTF-8 */
	assert_int_equal(pol_audit_append(F->api.st,
					  &(struct pol_change){ .actor = "old\xff",
								.action = "PUT",
								.resource = "/api/v1/x\xc3",
								.detail = "{\"a\":\"\xe2\x82\"}" },
					  NULL, NULL),
			 0);
	assert_int_equal(run("GET", "/api/v1/audit?limit=1000", NULL), 200);
	items = json_object_get(F->r.reply, "items");
	assert_int_equal(pol_audit_list(F->api.st, NULL, 0, 1000, &rows, &n), 0);
	assert_int_equal(json_array_size(items), n);
	pol_audit_free(rows, n);
	it = json_array_get(items, 0);
	assert_string_equal(json_string_value(json_object_get(it, "actor")), "old\xef\xbf\xbd");
	assert_string_equal(json_string_value(json_object_get(it, "resource")),
			    "/api/v1/x\xef\xbf\xbd");
	assert_string_equal(json_string_value(json_object_get(it, "detail")),
			    "{\"a\":\"\xef\xbf\xbd\xef\xbf\xbd\"}");
	d = json_string_value(json_object_get(json_array_get(items, 1), "detail"));
	assert_non_null(d);
	assert_int_equal(strlen(d), 1026);
}

static void
test_sub_resources(void **state)
{
	(void)state;
	seed();
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo/services", NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "total")), 2);
	assert_int_equal(run("POST", "/api/v1/hosts/test.gwa.demo/services",
			     "{\"fqdn\":\"udp5000.test.gwa.demo\"}"),
			 201);
	assert_string_equal(F->r.location,
			    "/api/v1/hosts/test.gwa.demo/services/udp5000.test.gwa.demo");
	assert_int_equal(
		run("DELETE", "/api/v1/hosts/test.gwa.demo/services/ssh.test.gwa.demo", NULL), 204);
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo/services", NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "total")), 2);
	/* firewall rules */
	assert_int_equal(run("POST", "/api/v1/hosts/test.gwa.demo/firewall",
			     "{\"direction\":\"ingress\",\"protocol\":\"icmp\",\"action\":"
			     "\"accept\",\"priority\":10}"),
			 201);
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo/firewall?limit=1", NULL), 200);
	assert_int_equal(json_array_size(json_object_get(F->r.reply, "items")), 1);
	/* groups and membership */
	assert_int_equal(run("POST", "/api/v1/groups", "{\"name\":\"postpaid\"}"), 201);
	assert_int_equal(run("POST", "/api/v1/groups/postpaid/firewall",
			     "{\"direction\":\"ingress\",\"action\":\"drop\"}"),
			 201);
	assert_int_equal(
		run("POST", "/api/v1/hosts/test.gwa.demo/groups", "{\"group\":\"postpaid\"}"), 201);
	assert_int_equal(
		run("POST", "/api/v1/hosts/test.gwa.demo/groups", "{\"group\":\"postpaid\"}"), 409);
	assert_int_equal(
		run("POST", "/api/v1/hosts/test.gwa.demo/groups", "{\"group\":\"nosuch\"}"), 400);
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo", NULL), 200);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(F->r.reply, "groups"), 0)),
		"postpaid");
	assert_int_equal(run("DELETE", "/api/v1/hosts/test.gwa.demo/groups/postpaid", NULL), 204);
	assert_int_equal(run("DELETE", "/api/v1/hosts/test.gwa.demo/groups/postpaid", NULL), 404);
	/* sub-resource of a missing parent */
	assert_int_equal(run("GET", "/api/v1/hosts/none.gwa.demo/services", NULL), 404);
}

static void
test_other_entities(void **state)
{
	(void)state;
	seed();
	assert_int_equal(run("POST", "/api/v1/service-addresses",
			     "{\"address\":\"100.64.1.130\",\"comment\":\"alg\"}"),
			 201);
	assert_string_equal(F->r.location, "/api/v1/service-addresses/100.64.1.130");
	assert_int_equal(run("POST", "/api/v1/pool-addresses", "{\"address\":\"100.64.1.131\"}"),
			 201);
	assert_int_equal(run("POST", "/api/v1/pool-addresses", "{\"address\":\"100.64.1.130\"}"),
			 409);
	assert_string_equal(reply_str("field"), "address");
	assert_int_equal(run("DELETE", "/api/v1/pool-addresses/100.64.1.131", NULL), 204);
	assert_int_equal(run("POST", "/api/v1/alg-routes",
			     "{\"hostname\":\"www.test.gwa.demo\",\"port\":443,"
			     "\"backend\":\"192.168.0.100:443\"}"),
			 201);
	assert_int_equal(run("GET", "/api/v1/alg-routes?name=www.test.gwa.demo", NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "total")), 1);
	assert_int_equal(run("POST", "/api/v1/resolver-groups",
			     "{\"name\":\"public\",\"initial_reputation\":1.0,\"sla\":true,"
			     "\"nodes\":[\"100.64.0.1\"]}"),
			 201);
	assert_int_equal(
		run("POST", "/api/v1/resolver-groups/public/nodes", "{\"prefix\":\"10.1.0.0/16\"}"),
		201);
	assert_int_equal(run("GET", "/api/v1/resolver-groups/public/nodes/10.1.0.0/16", NULL), 200);
	assert_int_equal(run("DELETE", "/api/v1/resolver-groups/public/nodes/10.1.0.0/16", NULL),
			 204);
	assert_int_equal(run("GET", "/api/v1/resolver-groups/public/nodes", NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "total")), 1);
	/* a group's cache window: learned (null) by default, pinned, unpinned */
	assert_int_equal(run("GET", "/api/v1/resolver-groups/public", NULL), 200);
	assert_true(json_is_null(json_object_get(F->r.reply, "cache_window_ms")));
	assert_int_equal(
		run("PATCH", "/api/v1/resolver-groups/public", "{\"cache_window_ms\":1000}"), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "cache_window_ms")), 1000);
	assert_int_equal(
		run("PATCH", "/api/v1/resolver-groups/public", "{\"cache_window_ms\":null}"), 200);
	assert_true(json_is_null(json_object_get(F->r.reply, "cache_window_ms")));
	assert_int_equal(
		run("PATCH", "/api/v1/resolver-groups/public", "{\"cache_window_ms\":60001}"), 400);
	assert_string_equal(reply_str("field"), "cache_window_ms");
	assert_int_equal(run("POST", "/api/v1/zones/gwa.demo/nameservers",
			     "{\"name\":\"ns2.gwa.demo\",\"ipv4\":\"100.64.1.129\"}"),
			 201);
	assert_int_equal(run("GET", "/api/v1/zones/gwa.demo", NULL), 200);
	assert_int_equal(json_array_size(json_object_get(F->r.reply, "nameservers")), 2);
}

static void
test_admission(void **state)
{
	json_t *b;

	(void)state;
	assert_int_equal(run("GET", "/api/v1/admission", NULL), 200);
	assert_false(json_is_true(json_object_get(F->r.reply, "dns_tcp")));
	assert_int_equal(run("PATCH", "/api/v1/admission", "{\"dns_tcp\":true}"), 200);
	assert_true(json_is_true(json_object_get(F->r.reply, "dns_tcp")));
	assert_int_equal(run("PUT", "/api/v1/admission",
			     "{\"dns_cname\":true,\"load_brackets\":["
			     "{\"load_min\":0,\"load_max\":50,\"fqdn_new\":0.1},"
			     "{\"load_min\":50,\"load_max\":100,\"fqdn_new\":0.5}]}"),
			 200);
	/* PUT replaced: dns_tcp back to its default */
	assert_false(json_is_true(json_object_get(F->r.reply, "dns_tcp")));
	b = json_object_get(F->r.reply, "load_brackets");
	assert_int_equal(json_array_size(b), 2);
	assert_true(json_number_value(json_object_get(json_array_get(b, 1), "load_min")) == 50);
	assert_int_equal(run("PATCH", "/api/v1/admission", "{\"alias_ttl_ms\":0}"), 400);
	assert_string_equal(reply_str("field"), "alias_ttl_ms");
	/* resolver cache windows: a change, a refusal */
	assert_int_equal(
		run("PATCH", "/api/v1/admission", "{\"cache_window_ms\":1500,\"window_flows\":3}"),
		200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "cache_window_ms")), 1500);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "window_flows")), 3);
	assert_int_equal(run("PATCH", "/api/v1/admission", "{\"window_flows\":0}"), 400);
	assert_string_equal(reply_str("field"), "window_flows");
	assert_int_equal(run("GET", "/api/v1/admission/brackets", NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "total")), 2);
}

static void
test_reputation(void **state)
{
	(void)state;
	assert_int_equal(run("GET", "/api/v1/reputation", NULL), 200);
	assert_int_equal(json_array_size(json_object_get(F->r.reply, "items")), 0);
	assert_int_equal(
		run("PUT", "/api/v1/reputation/requestor/10.0.0.0/24", "{\"override\":0.9}"), 200);
	assert_int_equal(run("GET", "/api/v1/reputation/requestor/10.0.0.0/24", NULL), 200);
	assert_true(json_number_value(json_object_get(F->r.reply, "override")) == 0.9);
	/* an override pins the value */
	assert_true(json_number_value(json_object_get(F->r.reply, "value")) == 0.9);
	assert_int_equal(
		run("PUT", "/api/v1/reputation/requestor/10.0.0.0/24", "{\"override\":1.5}"), 400);
	assert_int_equal(run("PUT", "/api/v1/reputation/nosuchkind/x", "{\"override\":0.5}"), 404);
	assert_int_equal(run("GET", "/api/v1/reputation?kind=requestor", NULL), 200);
	assert_int_equal(json_array_size(json_object_get(F->r.reply, "items")), 1);
	assert_int_equal(run("DELETE", "/api/v1/reputation/requestor/10.0.0.0/24", NULL), 204);
	assert_int_equal(run("DELETE", "/api/v1/reputation/requestor/10.0.0.0/24", NULL), 404);
}

static void
test_bundle_and_system(void **state)
{
	char *text;
	json_t *bundle;

	(void)state;
	seed();
	assert_int_equal(run("GET", "/api/v1/bundle", NULL), 200);
	bundle = json_incref(F->r.reply);
	text = json_dumps(bundle, 0);
	/* a bad bundle changes nothing */
	assert_int_equal(run("PUT", "/api/v1/bundle", "{\"version\":1,\"hosts\":[{\"fqdn\":3}]}"),
			 400);
	assert_non_null(strstr(reply_str("field"), "hosts[0].fqdn"));
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo", NULL), 200);
	/* an empty policy, then the export back */
	assert_int_equal(run("PUT", "/api/v1/bundle", "{\"version\":1}"), 200);
	assert_int_equal(run("GET", "/api/v1/hosts", NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(F->r.reply, "total")), 0);
	assert_int_equal(run("PUT", "/api/v1/bundle", text), 200);
	assert_true(json_equal(F->r.reply, bundle));
	free(text);
	json_decref(bundle);
	/* apply failure on a bundle restores the old bundle */
	F->fail_apply = 1;
	assert_int_equal(run("PUT", "/api/v1/bundle", "{\"version\":1}"), 500);
	assert_int_equal(run("GET", "/api/v1/hosts/test.gwa.demo", NULL), 200);

	assert_int_equal(run("GET", "/api/v1/status", NULL), 200);
	assert_string_equal(reply_str("version"), RGW_VERSION);
	assert_int_equal(run("GET", "/metrics", NULL), 200);
	assert_non_null(strstr((const char *)F->r.text.data, "rgw_api_writes_total"));
	assert_int_equal(run("GET", "/api/v1/openapi.json", NULL), 200);
	assert_int_equal(run("GET", "/api/v1/bindings", NULL), 503);
	assert_int_equal(run("GET", "/api/v1/audit?limit=2", NULL), 200);
	assert_int_equal(json_array_size(json_object_get(F->r.reply, "items")), 2);
}

static void
test_tokens(void **state)
{
	char secret[POL_TOKEN_MAX], name[64];
	enum pol_role role;

	(void)state;
	assert_int_equal(run("POST", "/api/v1/tokens", "{\"name\":\"robot\",\"role\":\"rw\"}"),
			 201);
	assert_string_equal(F->r.location, "/api/v1/tokens/robot");
	assert_string_equal(reply_str("role"), "rw");
	snprintf(secret, sizeof(secret), "%s", reply_str("secret"));
	assert_int_equal(pol_token_check(F->api.st, secret, &role, name, sizeof(name)), 0);
	assert_string_equal(name, "robot");
	assert_int_equal(role, POL_ROLE_RW);
	assert_int_equal(run("POST", "/api/v1/tokens", "{\"name\":\"robot\"}"), 409);
	assert_int_equal(run("POST", "/api/v1/tokens", "{\"name\":\"bad name\"}"), 400);
	assert_string_equal(reply_str("field"), "name");
	assert_int_equal(run("POST", "/api/v1/tokens", "{\"name\":\"x\",\"role\":\"admin\"}"), 400);
	assert_string_equal(reply_str("field"), "role");
	assert_int_equal(run("POST", "/api/v1/tokens", "{\"name\":\"x\",\"secret\":\"s\"}"), 400);
	/* default role: read-write, as rgwd --new-token */
	assert_int_equal(run("POST", "/api/v1/tokens", "{\"name\":\"viewer\"}"), 201);
	assert_string_equal(reply_str("role"), "rw");
	assert_true(json_is_null(json_object_get(F->r.reply, "expires_ms")));
	/* expiry: expires_in seconds from now */
	assert_int_equal(run("POST", "/api/v1/tokens",
			     "{\"name\":\"temp\",\"role\":\"ro\",\"expires_in\":3600}"),
			 201);
	assert_true(json_integer_value(json_object_get(F->r.reply, "expires_ms")) >
		    (json_int_t)util_wall_ms() + 3590000);
	assert_int_equal(run("POST", "/api/v1/tokens", "{\"name\":\"y\",\"expires_in\":0}"), 400);
	assert_string_equal(reply_str("field"), "expires_in");
	assert_int_equal(run("POST", "/api/v1/tokens", "{\"name\":\"y\",\"expires_in\":\"1d\"}"),
			 400);
	/* listing: names and times, never a secret */
	assert_int_equal(run("GET", "/api/v1/tokens", NULL), 200);
	assert_int_equal(json_array_size(json_object_get(F->r.reply, "items")), 3);
	{
		char *dump = json_dumps(F->r.reply, 0);

		assert_null(strstr(dump, "secret"));
		assert_null(strstr(dump, "rgw_"));
		free(dump);
	}
	assert_int_equal(run("GET", "/api/v1/tokens/temp", NULL), 200);
	assert_string_equal(reply_str("role"), "ro");
	assert_int_equal(run("GET", "/api/v1/tokens/nope", NULL), 404);
	assert_int_equal(run("DELETE", "/api/v1/tokens/robot", NULL), 204);
	assert_int_equal(pol_token_check(F->api.st, secret, &role, name, sizeof(name)), -EACCES);
	assert_int_equal(run("DELETE", "/api/v1/tokens/robot", NULL), 404);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation_names_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_from_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_duplicates_invalid, setup, teardown),
		cmocka_unit_test(test_err_status),
		cmocka_unit_test_setup_teardown(test_if_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sub_resources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_entities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reputation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_and_system, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
	};

	log_init("test", false, LOG_LVL_ERR);
	return cmocka_run_group_tests_name("api_handlers", tests, NULL, NULL);
}
