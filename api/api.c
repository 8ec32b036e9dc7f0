/* SPDX-License-Identifier: MIT */
/* api/api.c -- API life cycle and token management entry points */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "internal.h"
#include "mtls.h"
#include "ratelimit.h"

struct api *
api_new(struct ev_loop *loop, const struct conf *conf, struct pol_store *st,
	const struct api_views *views)
{
	struct api *api = calloc(1, sizeof(*api));

	if (!api) {
		log_warnx("api: out of memory");
		return NULL;
	}
	api->loop = loop;
	api->conf = conf;
	api->st = st;
	if (views)
		api->v = *views;
	api->started_ms = util_mono_ms();
	api->started_wall_ms = util_wall_ms();
	api->rl = api_rl_new((uint32_t)conf->api_rate, (uint32_t)conf->api_rate_burst,
			     API_RL_CLIENTS);
	if (!api->rl) {
		log_warnx("api: out of memory");
		goto fail;
	}
	if (api_http_start(api) < 0)
		goto fail;
	return api;
fail:
	api_free(api);
	return NULL;
}

void
api_free(struct api *api)
{
	if (!api)
		return;
	api_http_stop(api);
	api_rl_free(api->rl);
	api_mtls_free(api->mtls);
	pol_snap_unref(api->bundle_snap);
	free(api->bundle_text);
	api_tenant_rates_free(api);
	free(api);
}

int
api_token_new(struct pol_store *st, const char *name, enum pol_role role, FILE *out)
{
	char secret[POL_TOKEN_MAX];
	struct pol_err e = { 0 };
	int rc;

	if (!name || !name[0] || strlen(name) > 63) {
		log_warnx("api: a token name is 1..63 characters");
		return -EINVAL;
	}
	rc = pol_token_create(st, name, role, 0, false, secret, &e);
	if (rc < 0) {
		log_warnx("api: cannot create token '%s': %s", name,
			  e.msg[0] ? e.msg : strerror(-rc));
		return rc;
	}
	fprintf(out, "token %s (%s): %s\n", name, pol_role_name(role), secret);
	fflush(out);
	explicit_bzero(secret, sizeof(secret));
	return 0;
}

int
api_token_bootstrap(struct pol_store *st, FILE *out)
{
	int n = pol_token_count(st);

	if (n < 0)
		return n;
	if (n > 0)
		return 0;
	fprintf(out, "rgwd: no API token exists; created one (shown only now):\n");
	return api_token_new(st, "admin", POL_ROLE_RW, out);
}
