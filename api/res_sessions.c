/* SPDX-License-Identifier: MIT */
/* api/res_sessions.c -- one-time session names: issue, show, end */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "../policy/session.h"
#include "../policy/bundle.h"
#include "internal.h"

#define SESS_TTL_DEFAULT_S 300
#define SESS_TTL_MAX_S	   (7 * 24 * 3600)

static bool tenant_ok(struct api_req *r);
static const struct pol_service *find_service(const struct pol_snap *s, const char *fqdn);
static json_t *sess_json(const struct pol_sess *s, int64_t now_ms);
static bool get_uint(struct api_req *r, const char *key, json_int_t min, json_int_t max,
		     json_int_t def, json_int_t *out);

/* A tenant is named by one DNS label: [a-z0-9-], 1..63. */
static bool
tenant_ok(struct api_req *r)
{
	if (!api_tenant_name_ok(r->m.params[0])) {
		api_reply_error(r, 404, "tenant", "no such tenant");
		return false;
	}
	return true;
}

static const struct pol_service *
find_service(const struct pol_snap *s, const char *fqdn)
{
	for (size_t i = 0; i < s->n_services; i++)
		if (strcmp(s->services[i].fqdn, fqdn) == 0)
			return &s->services[i];
	return NULL;
}

bool
api_in_forward_zone(const struct pol_snap *s, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < s->n_zones; i++) {
		const struct pol_zone *z = &s->zones[i];
		size_t zl = strlen(z->name);
		if (z->kind != POL_ZONE_FORWARD || zl > nl)
			continue;
		if (strcmp(name + nl - zl, z->name) == 0 && (zl == nl || name[nl - zl - 1] == '.'))
			return true;
	}
	return false;
}

static json_t *
sess_json(const struct pol_sess *s, int64_t now_ms)
{
	bool live = s->ended_ms == 0 && now_ms < s->deadline_ms &&
		    (s->max_uses == 0 || s->uses < s->max_uses);

	/* ended_ms is null until DELETE ends the name (docs/api.md), never absent */
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:I,s:I,s:s}", "name", s->name, "tenant",
			 s->tenant, "service", s->service, "created_ms", (json_int_t)s->created_ms,
			 "expires_ms", (json_int_t)s->deadline_ms, "ended_ms",
			 s->ended_ms ? json_integer(s->ended_ms) : json_null(), "max_resolutions",
			 (json_int_t)s->max_uses, "resolutions", (json_int_t)s->uses, "state",
			 live ? "live" : "ended");
}

/* An optional non-negative integer member of the body; false with a 400 reply set. */
static bool
get_uint(struct api_req *r, const char *key, json_int_t min, json_int_t max, json_int_t def,
	 json_int_t *out)
{
	json_t *v = json_object_get(r->body, key);

	*out = def;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		api_reply_error(r, 400, key, "must be an integer in %lld..%lld", (long long)min,
				(long long)max);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

/*
 * POST /tenants/{tenant}/sessions {"service": fqdn, "ttl": s, "max_resolutions": n,
 * "domain": name}: a fresh name s-<26 random base32>.<domain> standing for the service,
 * persisted, then resolvable at once; 201 with its representation. The service and the
 * domain must lie in the tenant's domains (403), within its session_rate (429).
 */
void
api_h_session_create(struct api_req *r)
{
	static const char *const keys[] = { "service", "ttl", "max_resolutions", "domain", NULL };
	struct pol_sessions *t = r->api->v.sessions;
	char svc[POL_NAME_MAX], domain[POL_NAME_MAX], label[POL_SESS_LABEL_LEN + 1];
	struct pol_err e = { 0 };
	struct pol_snap *s = NULL;
	struct pol_tenant ten;
	struct pol_sess ss;
	uint32_t retry;
	json_int_t ttl, max_uses;
	const char *p;
	int rc;

	if (!tenant_ok(r))
		return;
	if (t == NULL) {
		api_reply_error(r, 503, NULL, "session names are not enabled");
		return;
	}
	if (!json_is_object(r->body) || pol_bj_object(r->body, "", keys, &e) < 0) {
		api_reply_error(r, 400, e.field[0] ? e.field : NULL, "%s",
				e.msg[0] ? e.msg : "a JSON object is required");
		return;
	}
	p = json_string_value(json_object_get(r->body, "service"));
	if (p == NULL || strlen(p) >= sizeof(svc)) {
		api_reply_error(r, 400, "service", "required: the fqdn of a service");
		return;
	}
	util_strlcpy(svc, p, sizeof(svc));
	util_strlower(svc);
	if (!get_uint(r, "ttl", 1, SESS_TTL_MAX_S, SESS_TTL_DEFAULT_S, &ttl) ||
	    !get_uint(r, "max_resolutions", 0, UINT32_MAX, 0, &max_uses))
		return;
	p = json_string_value(json_object_get(r->body, "domain"));
	if (json_object_get(r->body, "domain") != NULL && p == NULL) {
		api_reply_error(r, 400, "domain", "must be a string");
		return;
	}
	if (p == NULL) {
		/* the service's parent: www.bank.gwa.demo -> bank.gwa.demo */
		p = strchr(svc, '.');
		p = p ? p + 1 : "";
	}
	util_strlcpy(domain, p, sizeof(domain));
	util_strlower(domain);
	rc = pol_tenant_get(r->api->st, r->m.params[0], &ten);
	if (rc < 0) {
		if (rc == -ENOENT)
			api_reply_error(r, 404, "tenant", "no such tenant");
		else
			api_reply_store_err(r, rc, NULL, "tenant");
		return;
	}
	if (!pol_tenant_owns(&ten, svc)) {
		api_reply_error(r, 403, "service", "%s is outside the domains of tenant %s", svc,
				ten.name);
		return;
	}
	if (!pol_tenant_owns(&ten, domain)) {
		api_reply_error(r, 403, "domain", "%s is outside the domains of tenant %s", domain,
				ten.name);
		return;
	}
	if ((s = api_snapshot_read(r)) == NULL)
		return;
	if (find_service(s, svc) == NULL) {
		api_reply_error(r, 400, "service", "no service %s in the policy", svc);
		goto out;
	}
	if (!api_in_forward_zone(s, domain) || strlen(domain) + POL_SESS_LABEL_LEN + 1 > 253) {
		api_reply_error(r, 400, "domain", "%s is in no forward zone of the policy", domain);
		goto out;
	}
	if (!api_tenant_take(r->api, &ten, &retry)) {
		r->retry_after_s = retry;
		api_reply_error(r, 429, NULL,
				"tenant %s: over its quota of %u session names per second",
				ten.name, ten.session_rate);
		goto out;
	}
	memset(&ss, 0, sizeof(ss));
	util_strlcpy(ss.tenant, r->m.params[0], sizeof(ss.tenant));
	util_strlcpy(ss.service, svc, sizeof(ss.service));
	ss.created_ms = (int64_t)util_wall_ms();
	ss.deadline_ms = ss.created_ms + ttl * 1000;
	ss.max_uses = (uint32_t)max_uses;
	/* a collision of 130 random bits is not expected; a taken name only asks again */
	for (int tries = 0; tries < 4; tries++) {
		if ((rc = pol_sess_label(label, sizeof(label))) < 0)
			break;
		snprintf(ss.name, sizeof(ss.name), "%s.%s", label, domain);
		rc = pol_session_insert(r->api->st, &ss);
		if (rc != -EEXIST)
			break;
	}
	if (rc == 0 && (rc = pol_sess_add(t, &ss)) < 0)
		(void)pol_session_forget(r->api->st, ss.name);
	if (rc == -ENOSPC) {
		api_reply_error(r, 503, NULL, "too many session names held");
		goto out;
	}
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "session name");
		goto out;
	}
	snprintf(r->location, sizeof(r->location), "%.200s/%.255s", r->path, ss.name);
	api_reply_json(r, 201, sess_json(&ss, ss.created_ms));
out:
	pol_snap_unref(s);
}

/* GET /tenants/{tenant}/sessions/{session}: another tenant's name does not exist. */
void
api_h_session_get(struct api_req *r)
{
	struct pol_sessions *t = r->api->v.sessions;
	struct pol_sess ss;

	if (!tenant_ok(r))
		return;
	if (t == NULL || pol_sess_get(t, r->m.params[1], &ss) < 0 ||
	    strcmp(ss.tenant, r->m.params[0]) != 0) {
		api_reply_error(r, 404, NULL, "no such session");
		return;
	}
	api_reply_json(r, 200, sess_json(&ss, (int64_t)util_wall_ms()));
}

/* DELETE /tenants/{tenant}/sessions/{session}: ends it now (NXDOMAIN from the next query). */
void
api_h_session_delete(struct api_req *r)
{
	struct pol_sessions *t = r->api->v.sessions;
	int64_t now = (int64_t)util_wall_ms();
	int rc;

	if (!tenant_ok(r))
		return;
	rc = t ? pol_sess_end(t, r->m.params[1], r->m.params[0], now) : -ENOENT;
	if (rc == -ENOENT || rc == -EALREADY) {
		api_reply_error(r, 404, NULL, "no such session");
		return;
	}
	rc = pol_session_end(r->api->st, r->m.params[1], now);
	if (rc < 0)
		log_warnx("api: session %s ended but not in the store: %s", r->m.params[1],
			  strerror(-rc));
	r->status = 204;
}
