/* SPDX-License-Identifier: MIT */
/* api/res_defence.c -- /api/v1/blocks: sources blocked after IDS alerts, manual unblock */
#include <errno.h>
#include <string.h>

#include "../common/log.h"

#include "internal.h"

void
api_h_blocks_list(struct api_req *r)
{
	json_t *items = api_views_blocks(&r->api->v);

	if (items == NULL) {
		api_reply_error(r, 503, NULL,
				"the flow defence is not running ([ids] enable = no)");
		return;
	}
	api_reply_json(r, 200,
		       json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(items), "items",
				 items));
}

/* The block lives in the data plane only: the audit line is the one write to the store. */
void
api_h_blocks_del(struct api_req *r)
{
	int rc;

	rc = api_views_unblock(&r->api->v, r->m.params[0]);
	switch (rc) {
	case 0:
		break;
	case -EINVAL:
		api_reply_error(r, 400, "addr", "'%s' is not an IP address", r->m.params[0]);
		return;
	case -ENOENT:
		api_reply_error(r, 404, NULL, "%s is not blocked", r->m.params[0]);
		return;
	case -ENOTSUP:
		api_reply_error(r, 503, NULL,
				"the flow defence is not running ([ids] enable = no)");
		return;
	default:
		api_reply_error(r, 500, NULL, "cannot lift the block: %s", strerror(-rc));
		return;
	}
	if (api_audit(r) < 0)
		log_warnx("api: unblock of %s done, but the audit line could not be written",
			  r->m.params[0]);
	r->api->stats.writes++;
	r->status = 204;
}
