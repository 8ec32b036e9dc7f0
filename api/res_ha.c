/* SPDX-License-Identifier: MIT */
/* api/res_ha.c -- the HA pair: state, and the role keepalived's notify script sets */
#include <errno.h>

#include "../common/log.h"
#include "../policy/bundle.h"
#include "internal.h"

static void
reply_state(struct api_req *r)
{
	const struct api_views *v = &r->api->v;
	json_t *o = v->ha_status(v->ha_arg);

	if (o == NULL) {
		api_reply_error(r, 500, NULL, "out of memory");
		return;
	}
	api_reply_json(r, 200, o);
}

void
api_h_ha_get(struct api_req *r)
{
	if (r->api->v.ha_status == NULL) {
		api_reply_error(r, 404, NULL,
				"this gateway is not one of an HA pair ([ha] enable)");
		return;
	}
	reply_state(r);
}

/* PUT /api/v1/ha/role {"role": "active" | "standby"}: audited like any write. */
void
api_h_ha_role(struct api_req *r)
{
	static const char *const keys[] = { "role", NULL };
	const struct api_views *v = &r->api->v;
	struct pol_err e = { 0 };
	const char *role;
	int rc;

	if (v->ha_set_role == NULL) {
		api_reply_error(r, 404, NULL,
				"this gateway is not one of an HA pair ([ha] enable)");
		return;
	}
	if (pol_bj_object(r->body, "", keys, &e) < 0) {
		api_reply_error(r, 400, e.field, "%s", e.msg);
		return;
	}
	role = json_string_value(json_object_get(r->body, "role"));
	rc = role != NULL ? v->ha_set_role(v->ha_arg, role) : -EINVAL;
	if (rc == -EBUSY) {
		api_reply_error(r, 503, NULL, "a policy write is in flight: try again");
		return;
	}
	if (rc < 0) {
		api_reply_error(r, 400, "role", "must be active or standby");
		return;
	}
	if (api_audit(r) < 0)
		log_warnx("api: cannot write the audit line of an HA role change");
	reply_state(r);
}
