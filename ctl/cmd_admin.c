/* SPDX-License-Identifier: MIT */
/* ctl/cmd_admin.c -- rgwctl commands: live state, reputation, bundle, tokens, status, audit */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/util.h"
#include "../policy/policy.h"
#include "client.h"
#include "cmd_admin.h"

static const char *const bind_cols[] = { "public", "protocol",	"port",	      "host", "private",
					 "flows",  "window_ms", "expires_ms", NULL };
static const char *const win_cols[] = { "entity", "state", "window_ms", "clean", "cached", NULL };
static const char *const rep_cols[] = { "kind", "key", "value", "prior", "override", NULL };
static const char *const audit_cols[] = { "id",	    "ts_ms",	"actor", "tenant",
					  "action", "resource", NULL };
static const char *const token_cols[] = { "name",	"role",	   "created_ms", "last_used_ms",
					  "expires_ms", "expired", NULL };

int
ctl_cmd_admission(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_do_req(c, "GET", "/api/v1/admission", NULL, 200, NULL);
}

int
ctl_cmd_bindings(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_do_req(c, "GET", "/api/v1/bindings", NULL, 200, bind_cols);
}

int
ctl_cmd_windows(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_do_req(c, "GET", "/api/v1/cache-windows", NULL, 200, win_cols);
}

/* window GROUP MS|learn: pin a resolver group's cache window, or let it be learnt */
int
ctl_cmd_window(struct ctl *c, int argc, char **argv)
{
	char path[1024];
	json_t *b;
	long ms;

	(void)argc;
	if (strcmp(argv[1], "learn") == 0) {
		b = json_pack("{s:n}", "cache_window_ms");
	} else if (util_parse_long(argv[1], 0, POL_CACHE_WINDOW_MAX_MS, &ms) == 0) {
		b = json_pack("{s:I}", "cache_window_ms", (json_int_t)ms);
	} else {
		fprintf(stderr, "usage: rgwctl window GROUP MS|learn\n");
		return CTL_EXIT_USAGE;
	}
	ctl_item_path(path, sizeof(path), "/api/v1/resolver-groups", argv[0]);
	return ctl_do_req(c, "PATCH", path, b, 200, NULL);
}

int
ctl_cmd_reputation(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	if (argc == 0)
		return ctl_do_req(c, "GET", "/api/v1/reputation", NULL, 200, rep_cols);
	if (argc == 2 && strcmp(argv[0], "--kind") == 0) {
		char *k = ctl_urlenc(argv[1]);

		snprintf(path, sizeof(path), "/api/v1/reputation?kind=%s", k ? k : "");
		free(k);
		return ctl_do_req(c, "GET", path, NULL, 200, rep_cols);
	}
	fprintf(stderr, "rgwctl: reputation [--kind KIND]\n");
	return CTL_EXIT_USAGE;
}

static void
rep_path(char *path, size_t len, const char *kind, const char *key)
{
	char *k = ctl_urlenc(kind), *e = ctl_urlenc(key);

	snprintf(path, len, "/api/v1/reputation/%s/%s", k ? k : "", e ? e : "");
	free(k);
	free(e);
}

int
ctl_cmd_rep_override(struct ctl *c, int argc, char **argv)
{
	char path[1024], *end;
	double v = strtod(argv[2], &end);
	json_t *b;

	(void)argc;
	if (strcmp(argv[2], "clear") == 0) {
		b = json_pack("{s:n}", "override");
	} else if (*end == '\0' && end != argv[2]) {
		b = json_pack("{s:f}", "override", v);
	} else {
		fprintf(stderr, "rgwctl: reputation override KIND KEY VALUE|clear\n");
		return CTL_EXIT_USAGE;
	}
	rep_path(path, sizeof(path), argv[0], argv[1]);
	return ctl_do_req(c, "PUT", path, b, 200, NULL);
}

int
ctl_cmd_rep_reset(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	rep_path(path, sizeof(path), argv[0], argv[1]);
	return ctl_do_req(c, "DELETE", path, NULL, 204, NULL);
}

int
ctl_cmd_export(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	c->json = true;
	return ctl_do_req(c, "GET", "/api/v1/bundle?pretty", NULL, 200, NULL);
}

int
ctl_cmd_import(struct ctl *c, int argc, char **argv)
{
	char *text = buf_read_file(argv[0], NULL);
	struct ctl_resp r;
	int rc;

	(void)argc;
	if (!text) {
		fprintf(stderr, "rgwctl: cannot read %s: %s\n", argv[0], strerror(errno));
		return CTL_EXIT_USAGE;
	}
	rc = ctl_request(c, "PUT", "/api/v1/bundle", text, &r);
	free(text);
	if (rc < 0)
		return CTL_EXIT_CONNECT;
	rc = ctl_check(&r, 200);
	if (rc == 0 && !c->json)
		printf("imported %s\n", argv[0]);
	else if (rc == 0)
		ctl_put_body(&r);
	free(r.body);
	return rc;
}

int
ctl_cmd_token_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_do_req(c, "GET", "/api/v1/tokens", NULL, 200, token_cols);
}

int
ctl_cmd_token_add(struct ctl *c, int argc, char **argv)
{
	json_t *b = json_pack("{s:s}", "name", argv[0]);

	for (int i = 1; i < argc; i++) {
		long secs;

		if (i + 1 < argc && strcmp(argv[i], "--role") == 0) {
			json_object_set_new(b, "role", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--expires") == 0 &&
			   util_parse_duration_s(argv[i + 1], 10L * 365 * 86400, &secs) == 0) {
			json_object_set_new(b, "expires_in", json_integer(secs));
			i++;
		} else {
			fprintf(stderr, "rgwctl: token add NAME [--role ro|rw] [--expires "
					"DURATION (3600, 12h, 30d, 2w)]\n");
			json_decref(b);
			return CTL_EXIT_USAGE;
		}
	}
	return ctl_do_req(c, "POST", "/api/v1/tokens", b, 201, NULL);
}

int
ctl_cmd_token_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	ctl_item_path(path, sizeof(path), "/api/v1/tokens", argv[0]);
	return ctl_do_req(c, "DELETE", path, NULL, 204, NULL);
}

int
ctl_cmd_status(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_do_req(c, "GET", "/api/v1/status", NULL, 200, NULL);
}

int
ctl_cmd_audit(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_do_req(c, "GET", "/api/v1/audit", NULL, 200, audit_cols);
}

int
ctl_cmd_raw(struct ctl *c, int argc, char **argv)
{
	char *body =
		argc == 3 ? (strcmp(argv[2], "-") == 0 ? buf_read_file("-", NULL) : strdup(argv[2]))
			  : NULL;
	struct ctl_resp r;
	int rc;

	rc = ctl_request(c, argv[0], argv[1], body, &r);
	free(body);
	if (rc < 0)
		return CTL_EXIT_CONNECT;
	ctl_put_body(&r);
	rc = r.status >= 200 && r.status < 300 ? CTL_EXIT_OK : CTL_EXIT_API;
	if (rc)
		fprintf(stderr, "rgwctl: HTTP %ld\n", r.status);
	free(r.body);
	return rc;
}
