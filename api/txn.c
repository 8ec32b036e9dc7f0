/* SPDX-License-Identifier: MIT */
/* api/txn.c -- write transactions: rows written by a handler, put in force by the committer */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "internal.h"

/* Audit lines keep a summary of the body, not arbitrarily large documents. */
#define AUDIT_DETAIL_MAX 1024

static void change_of(struct api_req *r, struct pol_change *c, char *detail, char *resource,
		      size_t resource_len);

struct pol_snap *
api_snapshot(struct api_req *r)
{
	const struct api_views *v = &r->api->v;
	struct pol_snap *s = NULL;
	int rc = v->snapshot != NULL ? v->snapshot(v->snapshot_arg, r->api->st, &s)
				     : pol_store_snapshot_rows(r->api->st, &s);

	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "reading the policy");
		return NULL;
	}
	return s;
}

struct pol_snap *
api_snapshot_read(struct api_req *r)
{
	const struct api_views *v = &r->api->v;

	struct pol_snap *s = NULL;
	int rc;

	if (v->snap != NULL && *v->snap != NULL)
		return pol_snap_ref(*v->snap);
	rc = pol_store_snapshot(r->api->st, &s);
	if (rc < 0)
		api_reply_store_err(r, rc, NULL, "reading the policy");
	return s;
}

/* Who wrote what, for the audit line: detail holds AUDIT_DETAIL_MAX + 8 bytes. */
static void
change_of(struct api_req *r, struct pol_change *c, char *detail, char *resource,
	  size_t resource_len)
{
	detail[0] = '\0';
	if (r->body) {
		char *text = json_dumps(r->body, JSON_COMPACT | JSON_SORT_KEYS);
		if (text) {
			/* cut on a character boundary: the line stays valid UTF-8 */
			size_t n = util_utf8_cut(text, AUDIT_DETAIL_MAX);

			memcpy(detail, text, n);
			if (text[n] != '\0')
				memcpy(detail + n, "...", 4);
			else
				detail[n] = '\0';
			free(text);
		}
	}
	util_strlcpy(resource, r->path, resource_len);
	*c = (struct pol_change){ 0 };
	c->actor = r->actor[0] ? r->actor : "-";
	c->action = r->method;
	c->resource = resource;
	c->detail = detail;
	c->tenant = r->tenant[0] ? r->tenant : NULL;
}

int
api_audit(struct api_req *r)
{
	char detail[AUDIT_DETAIL_MAX + 8];
	char resource[256];
	struct pol_change c;

	change_of(r, &c, detail, resource, sizeof(resource));
	return pol_audit_append(r->api->st, &c, NULL, NULL);
}

bool
api_txn_begin(struct api_req *r)
{
	const struct api_views *v = &r->api->v;
	const char *refusal = v->ha_refusal != NULL ? v->ha_refusal(v->ha_arg) : NULL;
	int rc;

	/* the standby of an HA pair takes its policy from the active only */
	if (refusal != NULL) {
		r->api->stats.write_failures++;
		api_reply_error(r, 503, NULL, "%s", refusal);
		return false;
	}
	rc = pol_store_begin(r->api->st);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "starting a transaction");
		return false;
	}
	return true;
}

void
api_txn_abort(struct api_req *r)
{
	int rc = pol_store_rollback(r->api->st);

	if (rc < 0)
		log_warnx("api: rollback failed (%d)", rc);
	r->api->stats.write_failures++;
}

bool
api_txn_commit(struct api_req *r, struct pol_snap **snap_out)
{
	struct api *api = r->api;
	char detail[AUDIT_DETAIL_MAX + 8];
	char resource[256];
	struct pol_snap *snap = NULL;
	struct pol_change c;
	struct pol_err e = { 0 };
	uint64_t t0 = util_mono_us();
	int rc;

	if (snap_out)
		*snap_out = NULL;
	if (api->v.commit == NULL) {
		api_reply_error(r, 503, NULL, "no committer: policy writes are disabled");
		api_txn_abort(r);
		return false;
	}
	change_of(r, &c, detail, resource, sizeof(resource));
	rc = api->v.commit(api->v.commit_arg, &c, &snap, &e);
	if (rc == 0) {
		api->stats.writes++;
		api->stats.last_write_us = util_mono_us() - t0;
		api->stats.write_us_total += api->stats.last_write_us;
		if (snap_out)
			*snap_out = snap;
		else
			pol_snap_unref(snap);
		return true;
	}
	api->stats.write_failures++;
	if (rc == -EROFS) {
		/* the standby of an HA pair: e names the active */
		api_reply_error(r, 503, NULL, "%s", e.msg);
	} else if (rc == -EACCES && e.kind == POL_ERR_FORBIDDEN) {
		/* a tenant's write crossing its boundary or over its quota */
		api_reply_error(r, 403, e.field, "%s", e.msg);
	} else if (e.kind == POL_ERR_APPLY && rc != -ENOMEM) {
		api->stats.apply_failures++;
		api_reply_error(r, 500, NULL,
				"applying the policy to the data plane failed: %s%s%s", e.field,
				e.field[0] ? ": " : "", e.msg);
	} else if (rc == -EINVAL) {
		/* A write that collides with another row, or a delete or change that leaves
		 * other rows referring to nothing, conflicts with the current state (409);
		 * a row that is wrong in itself is bad input (400). */
		bool own = api_fix_err(r, snap, &e);

		api_reply_error(r, api_err_status(&e, own), e.field, "%s", e.msg);
	} else {
		if (e.kind == POL_ERR_APPLY)
			api->stats.apply_failures++;
		api_reply_store_err(r, rc, &e, "committing the policy");
	}
	pol_snap_unref(snap);
	return false;
}
