/* SPDX-License-Identifier: MIT */
/* api/txn.c -- write transactions: validate, audit, apply to the data plane, commit */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "internal.h"

/* Audit lines keep a summary of the body, not arbitrarily large documents. */
#define AUDIT_DETAIL_MAX 1024

static void reapply_previous(struct api_req *r);

struct pol_snap *
api_snapshot(struct api_req *r)
{
	struct pol_snap *s = NULL;
	int rc = pol_store_snapshot(r->api->st, &s);

	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "reading the policy");
		return NULL;
	}
	return s;
}

struct pol_snap *
api_snapshot_read(struct api_req *r)
{
	struct pol_snap *s = r->api->hooks.snapshot ? r->api->hooks.snapshot(r->api->arg) : NULL;

	return s ? s : api_snapshot(r);
}

int
api_apply(struct api *api, struct pol_snap *snap, struct pol_err *e)
{
	int rc;

	if (!api->hooks.apply)
		return 0;
	rc = api->hooks.apply(api->arg, snap, e);
	if (rc < 0)
		api->stats.apply_failures++;
	return rc;
}

int
api_audit(struct api_req *r)
{
	char detail[AUDIT_DETAIL_MAX + 8];
	char resource[256];

	detail[0] = '\0';
	if (r->body) {
		char *text = json_dumps(r->body, JSON_COMPACT | JSON_SORT_KEYS);
		if (text) {
			size_t len = strlen(text);
			util_strlcpy(detail, text, AUDIT_DETAIL_MAX + 1);
			if (len > AUDIT_DETAIL_MAX)
				memcpy(detail + AUDIT_DETAIL_MAX, "...", 4);
			free(text);
		}
	}
	util_strlcpy(resource, r->path, sizeof(resource));
	return pol_audit_append(r->api->st, r->actor[0] ? r->actor : "-", r->method, resource,
				detail);
}

bool
api_txn_begin(struct api_req *r)
{
	int rc = pol_store_begin(r->api->st);

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

/* After a failed apply the data plane may be half-way: put the committed policy back. */
static void
reapply_previous(struct api_req *r)
{
	struct pol_snap *old = NULL;
	struct pol_err e = { 0 };

	if (pol_store_snapshot(r->api->st, &old) < 0) {
		log_warnx("api: cannot re-read the previous policy after a failed apply");
		return;
	}
	if (api_apply(r->api, old, &e) < 0)
		log_warnx("api: re-applying the previous policy failed: %s: %s", e.field, e.msg);
	pol_snap_unref(old);
}

bool
api_txn_commit(struct api_req *r, struct pol_snap **snap_out)
{
	struct api *api = r->api;
	struct pol_snap *snap = NULL;
	struct pol_err e = { 0 };
	uint64_t t0 = util_mono_ms();
	bool applied = false;
	int rc;

	if (snap_out)
		*snap_out = NULL;
	rc = pol_store_snapshot(api->st, &snap);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "reading the new policy");
		goto fail;
	}
	rc = pol_snap_validate(snap, &e);
	if (rc == -ENOMEM) {
		api_reply_store_err(r, rc, NULL, "validating the new policy");
		goto fail;
	}
	if (rc < 0) {
		/* A write that collides with another row, or a delete or change that leaves
		 * other rows referring to nothing, conflicts with the current state (409);
		 * a row that is wrong in itself is bad input (400). */
		bool own = api_fix_err(r, snap, &e);

		api_reply_error(r, api_err_status(&e, own), e.field, "%s", e.msg);
		goto fail;
	}
	rc = api_audit(r);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "writing the audit log");
		goto fail;
	}
	applied = true;
	rc = api_apply(api, snap, &e);
	if (rc < 0) {
		api_reply_error(r, 500, e.field[0] ? e.field : NULL,
				"applying the policy to the data plane failed: %s",
				e.msg[0] ? e.msg : strerror(-rc));
		goto fail;
	}
	rc = pol_store_commit(api->st);
	if (rc < 0) {
		api_reply_store_err(r, rc, NULL, "commit");
		goto fail;
	}
	api->stats.writes++;
	api->stats.last_write_us = (util_mono_ms() - t0) * 1000;
	api->stats.write_us_total += api->stats.last_write_us;
	if (snap_out)
		*snap_out = snap;
	else
		pol_snap_unref(snap);
	return true;
fail:
	pol_snap_unref(snap);
	api_txn_abort(r);
	if (applied)
		reapply_previous(r);
	return false;
}
