/* SPDX-License-Identifier: MIT */
/* ha_state.c -- what the policy channel carries beside the policy: API tokens, reputation */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "ha.h"
#include "nat/reputation.h"

int
ha_unhex(const char *s, uint8_t *out, size_t len)
{
	if (s == NULL || strlen(s) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

json_t *
ha_tokens_msg(struct pol_store *st)
{
	struct pol_token_row *rows = NULL;
	json_t *arr, *m = NULL;
	size_t n = 0;

	if (pol_token_rows(st, &rows, &n) < 0)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++) {
		char salt[2 * sizeof(rows[i].salt) + 1], hash[2 * sizeof(rows[i].hash) + 1];

		util_hex(rows[i].salt, sizeof(rows[i].salt), salt);
		util_hex(rows[i].hash, sizeof(rows[i].hash), hash);
		if (json_array_append_new(
			    arr,
			    json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "name", rows[i].name, "role",
				      pol_role_name(rows[i].role), "salt", salt, "hash", hash,
				      "created_ms", (json_int_t)rows[i].created_ms, "expires_ms",
				      (json_int_t)rows[i].expires_ms)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
		explicit_bzero(hash, sizeof(hash));
	}
	if (arr != NULL)
		m = json_pack("{s:s,s:o}", "type", "tokens", "tokens", arr);
	if (rows != NULL)
		explicit_bzero(rows, n * sizeof(*rows));
	free(rows);
	return m;
}

static int
row_parse(json_t *o, struct pol_token_row *t)
{
	json_int_t created = -1, expires = -1;
	const char *name = NULL, *role = NULL, *salt = NULL, *hash = NULL;

	memset(t, 0, sizeof(*t));
	if (json_unpack(o, "{s:s,s:s,s:s,s:s,s:I,s:I}", "name", &name, "role", &role, "salt", &salt,
			"hash", &hash, "created_ms", &created, "expires_ms", &expires) != 0 ||
	    strlen(name) >= sizeof(t->name) || pol_role_parse(role, &t->role) < 0 ||
	    ha_unhex(salt, t->salt, sizeof(t->salt)) < 0 ||
	    ha_unhex(hash, t->hash, sizeof(t->hash)) < 0 || created < 0 || expires < 0)
		return -EINVAL;
	util_strlcpy(t->name, name, sizeof(t->name));
	t->created_ms = (uint64_t)created;
	t->expires_ms = (uint64_t)expires;
	return 0;
}

int
ha_tokens_take(struct pol_store *st, json_t *tokens, const char *peer)
{
	struct pol_token_row *rows;
	char detail[128];
	size_t n = json_array_size(tokens), conflicts = 0, i;
	json_t *o;
	int rc = 0;

	if (!json_is_array(tokens))
		return -EINVAL;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (rows == NULL)
		return -ENOMEM;
	json_array_foreach(tokens, i, o)
	{
		if (row_parse(o, &rows[i]) < 0) {
			rc = -EINVAL;
			break;
		}
	}
	if (rc == 0)
		rc = pol_store_begin(st);
	if (rc == 0) {
		rc = pol_token_take(st, rows, n, &conflicts);
		snprintf(detail, sizeof(detail), "from the active %s: %zu tokens, %d changed", peer,
			 n, rc);
		/* audited when something changed: a reconnect that finds them equal is silent */
		if (rc > 0 && pol_audit_append(st,
					       &(struct pol_change){ .actor = "ha:active",
								     .action = "sync",
								     .resource = "tokens",
								     .detail = detail },
					       NULL, NULL) < 0)
			rc = -EIO;
		if (rc >= 0 && pol_store_commit(st) < 0)
			rc = -EIO;
		if (rc < 0)
			(void)pol_store_rollback(st);
	}
	explicit_bzero(rows, (n ? n : 1) * sizeof(*rows));
	free(rows);
	if (rc < 0) {
		log_warnx("ha: cannot take the API tokens of the active %s: %s", peer,
			  strerror(-rc));
		return rc;
	}
	if (conflicts > 0)
		log_warnx("ha: %zu API tokens of the active %s have the name of a token of this "
			  "node: this node keeps its own",
			  conflicts, peer);
	if (rc > 0)
		log_info("ha: took the API tokens of the active %s (%zu, %d changed)", peer, n, rc);
	return rc;
}

/* ---- reputation rows ---- */

json_t *
ha_rep_row_json(const struct pol_reputation *r)
{
	return json_pack("{s:i,s:s,s:I,s:[f,I,I,I],s:[f,I,I,I],s:o,s:I}", "kind", (int)r->kind,
			 "key", r->key, "periods", (json_int_t)r->periods, "prev", r->prev_initial,
			 (json_int_t)r->prev_ok, (json_int_t)r->prev_nok,
			 (json_int_t)r->prev_neutral, "cur", r->cur_initial, (json_int_t)r->cur_ok,
			 (json_int_t)r->cur_nok, (json_int_t)r->cur_neutral, "override",
			 r->has_override ? json_real(r->override_value) : json_null(), "updated_ms",
			 (json_int_t)r->updated_ms);
}

int
ha_rep_row_parse(json_t *o, struct pol_reputation *r)
{
	json_int_t kind = 0, periods = 0, upd = 0, po = 0, pn = 0, pu = 0, co = 0, cn = 0, cu = 0;
	const char *key = NULL;
	json_t *ov = NULL;

	memset(r, 0, sizeof(*r));
	if (json_unpack(o, "{s:I,s:s,s:I,s:[FIII],s:[FIII],s:o,s:I}", "kind", &kind, "key", &key,
			"periods", &periods, "prev", &r->prev_initial, &po, &pn, &pu, "cur",
			&r->cur_initial, &co, &cn, &cu, "override", &ov, "updated_ms", &upd) != 0 ||
	    kind < 0 || kind > POL_REP_HOST || strlen(key) >= sizeof(r->key) || periods < 0 ||
	    po < 0 || pn < 0 || pu < 0 || co < 0 || cn < 0 || cu < 0 || upd < 0 ||
	    (!json_is_null(ov) && !json_is_number(ov)))
		return -EINVAL;
	r->kind = (enum pol_rep_kind)kind;
	util_strlcpy(r->key, key, sizeof(r->key));
	r->periods = (uint32_t)periods;
	r->prev_ok = (uint32_t)po;
	r->prev_nok = (uint32_t)pn;
	r->prev_neutral = (uint32_t)pu;
	r->cur_ok = (uint32_t)co;
	r->cur_nok = (uint32_t)cn;
	r->cur_neutral = (uint32_t)cu;
	r->has_override = json_is_number(ov);
	r->override_value = r->has_override ? json_number_value(ov) : 0;
	r->updated_ms = (uint64_t)upd;
	return 0;
}
