/* SPDX-License-Identifier: MIT */
/* api/api_request_fuzz.c -- libFuzzer target: route matching and every handler, any body */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "commit.h"
#include "common/conf.h"
#include "common/log.h"
#include "policy/bundle.h"

/*
 * Input: "METHOD PATH\n" then the body (JSON or not). The request runs against one
 * in-memory store seeded with a small policy; state accumulates across inputs, which is
 * what a long-running daemon sees. Reaches: router, query-less handlers, codecs, the
 * store, transactions and rollbacks, the error model.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char seed[] =
	"{\"version\":1,\"zones\":[{\"name\":\"gwa.demo\",\"nameservers\":[{\"name\":"
	"\"ns1.gwa.demo\",\"ipv4\":\"100.64.1.130\"}]}],\"service_addresses\":[\"100.64.1.130\"],"
	"\"pool\":[\"100.64.1.131-100.64.1.140\"],\"groups\":[{\"name\":\"g\"}],\"hosts\":[{"
	"\"fqdn\":\"test.gwa.demo\",\"ipv4\":\"192.168.0.100\",\"groups\":[\"g\"],\"services\":[{"
	"\"fqdn\":\"www.test.gwa.demo\",\"proxy_required\":true}]}]}";

static struct api api;
static struct conf conf;
static struct policy_parts parts; /* the committer, without subsystems */

static void
setup(void)
{
	struct pol_err e = { 0 };
	struct pol_snap *s = NULL;

	log_init("fuzz", false, LOG_LVL_ERR);
	conf_defaults(&conf);
	api.conf = &conf;
	api.st = pol_store_open(":memory:", &e);
	if (api.st == NULL)
		abort();
	if (pol_bundle_parse(seed, sizeof(seed) - 1, &s, &e) < 0 ||
	    pol_store_replace(api.st, s, &e) < 0)
		abort();
	pol_snap_unref(s);
	parts.store = api.st;
	api.v = (struct api_views){ .snap = &parts.snap,
				    .commit = policy_commit,
				    .commit_arg = &parts };
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct api_req r;
	const uint8_t *nl = memchr(data, '\n', size);
	char line[600], method[16];
	const char *sp;
	size_t len;

	if (!ready) {
		setup();
		ready = true;
	}
	if (nl == NULL || (size_t)(nl - data) >= sizeof(line))
		return 0;
	len = (size_t)(nl - data);
	memcpy(line, data, len);
	line[len] = '\0';
	if (memchr(line, '\0', len) != NULL || (sp = strchr(line, ' ')) == NULL ||
	    (size_t)(sp - line) >= sizeof(method))
		return 0;
	memcpy(method, line, (size_t)(sp - line));
	method[sp - line] = '\0';

	memset(&r, 0, sizeof(r));
	r.api = &api;
	r.method = method;
	r.role = POL_ROLE_RW;
	strcpy(r.actor, "fuzz");
	snprintf(r.path, sizeof(r.path), "%s", sp + 1);
	if (api_route_match(api_routes, api_n_routes, method, r.path, &r.m, r.allow,
			    sizeof(r.allow)) != API_ROUTE_OK)
		return 0;
	if ((r.m.route->flags & API_R_WRITE) && !(r.m.route->flags & API_R_NOBODY)) {
		r.body = json_loadb((const char *)nl + 1, size - len - 1, JSON_REJECT_DUPLICATES,
				    NULL);
		if (!json_is_object(r.body)) {
			json_decref(r.body);
			return 0;
		}
	}
	r.m.route->fn(&r);
	/* every handler answers, and never with a 500 for input it could parse */
	if (r.status == 0 || (r.status >= 500 && r.status != 503)) {
		char *t = r.reply ? json_dumps(r.reply, 0) : NULL;
		fprintf(stderr, "%s %s: %d %s\n", method, r.path, r.status, t ? t : "");
		abort();
	}
	json_decref(r.body);
	json_decref(r.reply);
	buf_free(&r.text);
	free(r.raw);
	return 0;
}
