/* SPDX-License-Identifier: MIT */
/* ctl/client.h -- rgwctl's session with the REST API: one request, its checks, its output */
#ifndef RGW_CTL_CLIENT_H
#define RGW_CTL_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

/* rgwctl's exit status. */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_API = 1, /* the API answered with an error */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_CONNECT = 3, /* no answer */
};

/* The connection settings (options, environment, config file) and the session. */
struct ctl {
	struct ctl_settings s;
	bool insecure; /* --insecure: no verification at all (testing only) */
	bool json;
	void *curl; /* libcurl's CURL handle (CURL is void), made and freed by main */
};

/* One answer: the status, the body (NUL-terminated; the caller frees it), the ETag. */
struct ctl_resp {
	long status;
	char *body;
	size_t len;
	char etag[64];
};

/*
 * One exchange of method path (relative to c's URL) with body (JSON text or NULL). Plain
 * HTTP goes to loopback addresses only. 0 with *out filled (out->body NUL-terminated,
 * possibly empty), or -1 with the reason printed (nothing reached the API).
 */
int ctl_request(struct ctl *c, const char *method, const char *path, const char *body,
		struct ctl_resp *out);

/* 0 when r's status is expect (200 also accepts 201); otherwise the API's error message is
 * printed and CTL_EXIT_API returned. */
int ctl_check(const struct ctl_resp *r, long expect);

/*
 * Request, check and print: the answer as a table of cols (NULL: every key) or an object,
 * or as JSON with --json; "ok" for an expected 204. Takes ownership of body (may be NULL).
 * Returns rgwctl's exit status.
 */
int ctl_do_req(struct ctl *c, const char *method, const char *path, json_t *body, long expect,
	       const char *const *cols);

/* GET path with the API's largest page (limit=10000), printed as ctl_do_req does. */
int ctl_list(struct ctl *c, const char *path, const char *const *cols);

/* r's body as it came on stdout, ending with a newline. */
void ctl_put_body(const struct ctl_resp *r);

/* s percent-encoded for a URL path; the caller frees, NULL when out of memory. */
char *ctl_urlenc(const char *s);

/* prefix + "/" + ctl_urlenc(key) into path (truncated to len). */
void ctl_item_path(char *path, size_t len, const char *prefix, const char *key);

#endif
