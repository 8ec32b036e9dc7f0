/* SPDX-License-Identifier: MIT */
/* ctl/tenant.c -- the body of "rgwctl tenant set" from its options (no libcurl: unit-tested) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant.h"

static int quotas_parse(json_t *q, const char *text, char *err, size_t errlen);

/* "hosts=3,alg-routes=1": into q (keys as the API names them). 0 or -1 with err. */
static int
quotas_parse(json_t *q, const char *text, char *err, size_t errlen)
{
	static const char *const names[][2] = { { "hosts", "hosts" },
						{ "services", "services" },
						{ "alg-routes", "alg_routes" },
						{ "pool", "pool" } };
	const char *p = text;

	while (*p != '\0') {
		size_t n = strcspn(p, "="), k;
		char *end;
		long v;

		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strlen(names[k][0]) == n && strncmp(p, names[k][0], n) == 0)
				break;
		if (k == sizeof(names) / sizeof(names[0]) || p[n] != '=') {
			snprintf(err, errlen,
				 "--quota: '%s': expected hosts=N, services=N, "
				 "alg-routes=N or pool=N",
				 p);
			return -1;
		}
		v = strtol(p + n + 1, &end, 10);
		if (end == p + n + 1 || (*end != ',' && *end != '\0') || v < 0) {
			snprintf(err, errlen, "--quota: %s needs a number >= 0", names[k][0]);
			return -1;
		}
		json_object_set_new(q, names[k][1], json_integer(v));
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

json_t *
ctl_tenant_body(int argc, const char *const *argv, char *err, size_t errlen)
{
	json_t *b = json_object(), *doms = json_array(), *realm = json_array(),
	       *toks = json_array(), *q = json_object();

	if (b == NULL || doms == NULL || realm == NULL || toks == NULL || q == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (v == NULL) {
			snprintf(err, errlen, "%s needs a value", o);
			goto fail;
		}
		i++;
		if (strcmp(o, "--domain") == 0) {
			json_array_append_new(doms, json_string(v));
		} else if (strcmp(o, "--realm") == 0) {
			json_array_append_new(realm, json_string(v));
		} else if (strcmp(o, "--token") == 0) {
			json_array_append_new(toks, json_string(v));
		} else if (strcmp(o, "--session-rate") == 0) {
			long r = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || r < 0) {
				snprintf(err, errlen, "--session-rate needs a number >= 0");
				goto fail;
			}
			json_object_set_new(b, "session_rate", json_integer(r));
		} else if (strcmp(o, "--quota") == 0) {
			if (quotas_parse(q, v, err, errlen) < 0)
				goto fail;
		} else {
			snprintf(err, errlen, "unknown option %s", o);
			goto fail;
		}
	}
	if (json_array_size(doms) == 0) {
		snprintf(err, errlen, "at least one --domain");
		goto fail;
	}
	json_object_set_new(b, "domains", doms);
	json_object_set_new(b, "realm", realm);
	json_object_set_new(b, "tokens", toks);
	json_object_set_new(b, "quotas", q);
	return b;
fail:
	json_decref(b);
	json_decref(doms);
	json_decref(realm);
	json_decref(toks);
	json_decref(q);
	return NULL;
}
