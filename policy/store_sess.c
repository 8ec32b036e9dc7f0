/* SPDX-License-Identifier: MIT */
/* policy/store_sess.c -- one-time session names and tenants in the store (their own tables) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "session.h"
#include "store_int.h"

static const char sql_ins[] =
	"INSERT INTO sessions (name, tenant, service, created_ms, deadline_ms, max_uses, "
	"ended_ms) VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, 0))";
static const char sql_end[] = "UPDATE sessions SET ended_ms = ? WHERE name = ?";
static const char sql_all[] = "SELECT name, tenant, service, created_ms, deadline_ms, max_uses, "
			      "coalesce(ended_ms, 0) FROM sessions";
static const char sql_forget[] = "DELETE FROM sessions WHERE name = ?";
static const char sql_tput[] =
	"INSERT OR REPLACE INTO tenants (name, domains, session_rate, tokens, realm, max_hosts, "
	"max_services, max_alg_routes, max_pool) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
#define TENANT_COLS                                                                                \
	"name, domains, session_rate, tokens, realm, max_hosts, max_services, max_alg_routes, "    \
	"max_pool"
static const char sql_tget[] = "SELECT " TENANT_COLS " FROM tenants WHERE name = ?";
static const char sql_tall[] = "SELECT " TENANT_COLS " FROM tenants ORDER BY name";
static const char sql_tok[] =
	"SELECT name FROM tenants WHERE ' ' || tokens || ' ' LIKE '% ' || ? || ' %' ESCAPE '\\'"
	" ORDER BY name LIMIT 1";
static const char sql_tdel[] = "DELETE FROM tenants WHERE name = ?";
static void tenant_row(sqlite3_stmt *s, struct pol_tenant *t);
static void realm_join(char *out, size_t len, const struct pol_tenant *t);
static size_t words(const char *d, char *out, size_t n, size_t width);
static void join(char *out, size_t len, const char *first, size_t n, size_t width);

static const char sql_purge[] = "DELETE FROM sessions WHERE coalesce(ended_ms, deadline_ms) < ?";

int
pol_session_insert(struct pol_store *st, const struct pol_sess *ss)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_ins);

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, ss->name);
	pol_store_bind_text(s, 2, ss->tenant);
	pol_store_bind_text(s, 3, ss->service);
	sqlite3_bind_int64(s, 4, ss->created_ms);
	sqlite3_bind_int64(s, 5, ss->deadline_ms);
	sqlite3_bind_int64(s, 6, ss->max_uses);
	sqlite3_bind_int64(s, 7, ss->ended_ms);
	return pol_store_step_done(st, s, "sessions", NULL);
}

int
pol_session_end(struct pol_store *st, const char *name, int64_t ended_ms)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_end);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, ended_ms);
	pol_store_bind_text(s, 2, name);
	rc = pol_store_step_done(st, s, "sessions", NULL);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	return rc;
}

int
pol_session_list(struct pol_store *st, int (*cb)(void *arg, const struct pol_sess *s), void *arg)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_all);
	struct pol_sess ss;
	int rc;

	if (s == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&ss, 0, sizeof(ss));
		pol_store_col_text(s, 0, ss.name, sizeof(ss.name));
		pol_store_col_text(s, 1, ss.tenant, sizeof(ss.tenant));
		pol_store_col_text(s, 2, ss.service, sizeof(ss.service));
		ss.created_ms = sqlite3_column_int64(s, 3);
		ss.deadline_ms = sqlite3_column_int64(s, 4);
		ss.max_uses = (uint32_t)sqlite3_column_int64(s, 5);
		ss.ended_ms = sqlite3_column_int64(s, 6);
		if (cb(arg, &ss) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : pol_store_err(st, rc, "sessions", NULL);
	sqlite3_reset(s);
	return rc;
}

int
pol_session_forget(struct pol_store *st, const char *name)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_forget);

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, name);
	return pol_store_step_done(st, s, "sessions", NULL);
}

int
pol_session_purge(struct pol_store *st, int64_t before_ms)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_purge);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, before_ms);
	return pol_store_step_done(st, s, "sessions", NULL);
}

/* Lists are stored space-separated: domain and token names hold no space. */
static void
join(char *out, size_t len, const char *first, size_t n, size_t width)
{
	size_t w = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && w < len; i++)
		w += (size_t)snprintf(out + w, len - w, "%s%s", i ? " " : "", first + i * width);
}

static size_t
words(const char *d, char *out, size_t n, size_t width)
{
	size_t k = 0;

	while (d != NULL && *d != '\0' && k < n) {
		size_t l = strcspn(d, " ");
		if (l > 0 && l < width) {
			memcpy(out + k * width, d, l);
			out[k++ * width + l] = '\0';
		}
		d += l;
		d += strspn(d, " ");
	}
	return k;
}

int
pol_tenant_put(struct pol_store *st, const struct pol_tenant *t)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_tput);
	char doms[POL_TENANT_DOMAINS * POL_NAME_MAX], toks[POL_TENANT_TOKENS * 64];
	char realm[POL_TENANT_REALM * PREFIX_STRLEN];

	if (s == NULL)
		return -EIO;
	join(doms, sizeof(doms), t->domains[0], t->n_domains, POL_NAME_MAX);
	join(toks, sizeof(toks), t->tokens[0], t->n_tokens, sizeof(t->tokens[0]));
	pol_store_bind_text(s, 1, t->name);
	pol_store_bind_text(s, 2, doms);
	sqlite3_bind_int64(s, 3, t->session_rate);
	pol_store_bind_text(s, 4, toks);
	realm_join(realm, sizeof(realm), t);
	pol_store_bind_text(s, 5, realm);
	sqlite3_bind_int64(s, 6, t->quota.hosts);
	sqlite3_bind_int64(s, 7, t->quota.services);
	sqlite3_bind_int64(s, 8, t->quota.alg_routes);
	sqlite3_bind_int64(s, 9, t->quota.pool);
	return pol_store_step_done(st, s, "tenants", NULL);
}

static void
tenant_row(sqlite3_stmt *s, struct pol_tenant *t)
{
	char realm[POL_TENANT_REALM][PREFIX_STRLEN];
	size_t n;

	memset(t, 0, sizeof(*t));
	pol_store_col_text(s, 0, t->name, sizeof(t->name));
	t->session_rate = (uint32_t)sqlite3_column_int64(s, 2);
	t->n_domains = words((const char *)sqlite3_column_text(s, 1), t->domains[0],
			     POL_TENANT_DOMAINS, POL_NAME_MAX);
	t->n_tokens = words((const char *)sqlite3_column_text(s, 3), t->tokens[0],
			    POL_TENANT_TOKENS, sizeof(t->tokens[0]));
	n = words((const char *)sqlite3_column_text(s, 4), realm[0], POL_TENANT_REALM,
		  PREFIX_STRLEN);
	for (size_t i = 0; i < n; i++)
		if (prefix_parse(realm[i], false, &t->realm[t->n_realm]) == 0)
			t->n_realm++;
	t->quota.hosts = (uint32_t)sqlite3_column_int64(s, 5);
	t->quota.services = (uint32_t)sqlite3_column_int64(s, 6);
	t->quota.alg_routes = (uint32_t)sqlite3_column_int64(s, 7);
	t->quota.pool = (uint32_t)sqlite3_column_int64(s, 8);
}

static void
realm_join(char *out, size_t len, const struct pol_tenant *t)
{
	size_t w = 0;
	char b[PREFIX_STRLEN];

	out[0] = '\0';
	for (size_t i = 0; i < t->n_realm && w < len; i++)
		w += (size_t)snprintf(out + w, len - w, "%s%s", i ? " " : "",
				      prefix_ntop(&t->realm[i], b, sizeof(b)));
}

int
pol_tenant_of_token(struct pol_store *st, const char *token, char *tenant)
{
	sqlite3_stmt *s;
	char esc[2 * 64 + 1];
	size_t w = 0;
	int rc;

	/* LIKE: the token's own % and _ are literal */
	for (const char *p = token; *p && w + 2 < sizeof(esc); p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			esc[w++] = '\\';
		esc[w++] = *p;
	}
	esc[w] = '\0';
	s = pol_store_stmt(st, sql_tok);
	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, esc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		pol_store_col_text(s, 0, tenant, POL_TENANT_MAX);
	rc = rc == SQLITE_ROW	 ? 0
	     : rc == SQLITE_DONE ? -ENOENT
				 : pol_store_err(st, rc, "tenants", NULL);
	sqlite3_reset(s);
	return rc;
}

int
pol_tenant_get(struct pol_store *st, const char *name, struct pol_tenant *out)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_tget);
	int rc;

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		tenant_row(s, out);
	rc = rc == SQLITE_ROW	 ? 0
	     : rc == SQLITE_DONE ? -ENOENT
				 : pol_store_err(st, rc, "tenants", NULL);
	sqlite3_reset(s);
	return rc;
}

int
pol_tenant_delete(struct pol_store *st, const char *name)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_tdel);
	int rc;

	if (s == NULL)
		return -EIO;
	pol_store_bind_text(s, 1, name);
	rc = pol_store_step_done(st, s, "tenants", NULL);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	return rc;
}

int
pol_tenant_list(struct pol_store *st, int (*cb)(void *arg, const struct pol_tenant *t), void *arg)
{
	sqlite3_stmt *s = pol_store_stmt(st, sql_tall);
	struct pol_tenant t;
	int rc;

	if (s == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		tenant_row(s, &t);
		if (cb(arg, &t) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : pol_store_err(st, rc, "tenants", NULL);
	sqlite3_reset(s);
	return rc;
}
