/* SPDX-License-Identifier: MIT */
/* policy/bundle_json.c -- JSON codecs of single policy rows (bundles and the REST API) */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "bundle_int.h"
#include "check.h"

static int port_range(const json_t *obj, const char *key, const char *path,
		      struct pol_port_range *out, struct pol_err *err);
static int proto_value(const json_t *obj, const char *key, const char *path, bool allow_null,
		       bool *has, uint8_t *out, struct pol_err *err);
static int prefix_value(const json_t *obj, const char *key, const char *path, struct prefix *out,
			struct pol_err *err);
static json_t *port_range_json(const struct pol_port_range *r);
static int nested_from_json(const json_t *obj, const char *path, struct pol_host *row,
			    struct pol_err *err);
static json_t *nested_to_json(const struct pol_host *row);

static int
proto_value(const json_t *obj, const char *key, const char *path, bool allow_null, bool *has,
	    uint8_t *out, struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);
	const char *msg = "must be any, icmp, icmpv6, tcp, udp, sctp or an integer in 0..255";

	if (v == NULL)
		return BJ_ABSENT;
	if (json_is_null(v) && allow_null) {
		*has = false;
		*out = 0;
		return 0;
	}
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > 255)
			return pol_bj_fail(err, path, key, "%s", msg);
		*out = (uint8_t)json_integer_value(v);
	} else if (!json_is_string(v) || pol_proto_parse(json_string_value(v), out) != 0) {
		return pol_bj_fail(err, path, key, "%s", msg);
	}
	*has = true;
	return 0;
}

static int
prefix_value(const json_t *obj, const char *key, const char *path, struct prefix *out,
	     struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return BJ_ABSENT;
	if (json_is_null(v)) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (!json_is_string(v) || prefix_parse(json_string_value(v), false, out) != 0)
		return pol_bj_fail(err, path, key,
				   "must be an address or a prefix address/len with the host bits "
				   "clear, or null");
	return 0;
}

/* null: any; N: one port; "lo-hi": a range. */
static int
port_range(const json_t *obj, const char *key, const char *path, struct pol_port_range *out,
	   struct pol_err *err)
{
	const json_t *v = json_object_get(obj, key);
	const char *msg = "must be a port 1..65535, a range \"lo-hi\", or null";
	unsigned lo, hi;
	int n = 0;

	if (v == NULL)
		return BJ_ABSENT;
	if (json_is_null(v)) {
		out->lo = out->hi = 0;
		return 0;
	}
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 1 || json_integer_value(v) > 65535)
			return pol_bj_fail(err, path, key, "%s", msg);
		out->lo = out->hi = (uint16_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v) || sscanf(json_string_value(v), "%5u-%5u%n", &lo, &hi, &n) != 2 ||
	    (size_t)n != json_string_length(v) || json_string_value(v)[0] < '0' ||
	    json_string_value(v)[0] > '9' || lo < 1 || hi > 65535 || lo > hi)
		return pol_bj_fail(err, path, key, "%s", msg);
	out->lo = (uint16_t)lo;
	out->hi = (uint16_t)hi;
	return 0;
}

static json_t *
port_range_json(const struct pol_port_range *r)
{
	char buf[16];

	if (r->lo == 0 && r->hi == 0)
		return json_null();
	if (r->lo == r->hi)
		return json_integer(r->lo);
	snprintf(buf, sizeof(buf), "%u-%u", r->lo, r->hi);
	return json_string(buf);
}

/* Collect the first error of a run of readers: rc < 0 stops, BJ_ABSENT is fine. */
#define TRY(expr)                                                                                  \
	do {                                                                                       \
		int rc_ = (expr);                                                                  \
		if (rc_ < 0)                                                                       \
			return rc_;                                                                \
	} while (0)

/* ---- zones ---- */

int
pol_zone_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
		   struct pol_err *err)
{
	struct pol_zone *row = vrow;
	static const char *const keys[] = { "name", "kind", "ttl", "soa", "nameservers", NULL };
	static const char *const soa_keys[] = { "mname", "rname",  "serial",  "refresh",
						"retry", "expire", "minimum", NULL };
	const json_t *soa = json_object_get(obj, "soa"), *v;
	char sp[160];
	long long x;
	int rc;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		memset(row, 0, sizeof(*row));
		row->kind = POL_ZONE_FORWARD;
		row->ttl = 3600;
		row->serial = 1;
		row->refresh = 3600;
		row->retry = 600;
		row->expire = 86400;
		row->minimum = 60;
		TRY(pol_bj_required(obj, "name", path, err));
	}
	TRY(pol_bj_name(obj, "name", path, false, row->name, err));
	v = json_object_get(obj, "kind");
	if (v != NULL &&
	    (!json_is_string(v) || pol_zone_kind_parse(json_string_value(v), &row->kind) != 0))
		return pol_bj_fail(err, path, "kind", "must be forward, reverse or alias");
	rc = pol_bj_int(obj, "ttl", path, 0, 2147483647, &x, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		row->ttl = (uint32_t)x;
	pol_bj_path(sp, sizeof(sp), path, "soa");
	if (soa != NULL) {
		TRY(pol_bj_object(soa, sp, soa_keys, err));
		TRY(pol_bj_name(soa, "mname", sp, false, row->mname, err));
		TRY(pol_bj_name(soa, "rname", sp, false, row->rname, err));
#define SOA_INT(F)                                                                                 \
	do {                                                                                       \
		int rc_ = pol_bj_int(soa, #F, sp, 0, 4294967295LL, &x, err);                       \
		if (rc_ < 0)                                                                       \
			return rc_;                                                                \
		if (rc_ == 0)                                                                      \
			row->F = (uint32_t)x;                                                      \
	} while (0)
		SOA_INT(serial);
		SOA_INT(refresh);
		SOA_INT(retry);
		SOA_INT(expire);
		SOA_INT(minimum);
#undef SOA_INT
	}
	if (!partial && row->mname[0] == '\0') {
		/* default MNAME: the first nameserver */
		const json_t *ns = json_object_get(obj, "nameservers");
		const json_t *first = json_is_array(ns) ? json_array_get(ns, 0) : NULL;

		if (first == NULL || pol_bj_name(first, "name", "", false, row->mname, NULL) != 0)
			return pol_bj_fail(err, sp, "mname",
					   "is required when the zone has no nameservers");
	}
	if (!partial && row->rname[0] == '\0') {
		if (snprintf(row->rname, sizeof(row->rname), "hostmaster.%s", row->name) >=
			    (int)sizeof(row->rname) ||
		    pol_name_canon(row->rname, false) != 0)
			return pol_bj_fail(err, sp, "rname", "is required (name too long)");
	}
	return pol_check_zone(row, path, err);
}

json_t *
pol_zone_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_zone *row = vrow;
	json_t *ns = json_array();
	json_t *o = json_pack(
		"{s:s, s:s, s:I, s:{s:s, s:s, s:I, s:I, s:I, s:I, s:I}, s:o}", "name", row->name,
		"kind", pol_zone_kind_name(row->kind), "ttl", (json_int_t)row->ttl, "soa", "mname",
		row->mname, "rname", row->rname, "serial", (json_int_t)row->serial, "refresh",
		(json_int_t)row->refresh, "retry", (json_int_t)row->retry, "expire",
		(json_int_t)row->expire, "minimum", (json_int_t)row->minimum, "nameservers", ns);

	if (o == NULL)
		return NULL;
	for (size_t i = 0; s != NULL && i < s->n_nameservers; i++) {
		if (s->nameservers[i].zone_id == row->id &&
		    json_array_append_new(ns, pol_nameserver_to_json(s, &s->nameservers[i])) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int
pol_nameserver_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
			 struct pol_err *err)
{
	struct pol_nameserver *row = vrow;
	static const char *const keys[] = { "name", "ipv4", "ipv6", NULL };

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		memset(row, 0, sizeof(*row));
		TRY(pol_bj_required(obj, "name", path, err));
	}
	TRY(pol_bj_name(obj, "name", path, false, row->name, err));
	TRY(pol_bj_addr(obj, "ipv4", path, AF_INET, &row->ipv4, err));
	TRY(pol_bj_addr(obj, "ipv6", path, AF_INET6, &row->ipv6, err));
	return pol_check_nameserver(row, path, err);
}

json_t *
pol_nameserver_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_nameserver *row = vrow;

	(void)s;
	return json_pack("{s:s, s:o, s:o}", "name", row->name, "ipv4", pol_bj_addr_json(&row->ipv4),
			 "ipv6", pol_bj_addr_json(&row->ipv6));
}

/* ---- service and pool addresses, groups, resolver nodes ---- */

/* A row of size bytes whose keys are keys, with a required address (null is refused) at
 * offset off. */
static int
addr_row(const json_t *obj, bool partial, const char *const *keys, void *row, size_t size,
	 size_t off, const char *path, struct pol_err *err)
{
	struct addr *a;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		memset(row, 0, size);
		TRY(pol_bj_required(obj, "address", path, err));
	}
	a = (struct addr *)(void *)((char *)row + off);
	TRY(pol_bj_addr(obj, "address", path, 0, a, err));
	if (a->family == 0)
		return pol_bj_fail(err, path, "address", "must be an IPv4 or IPv6 address");
	return 0;
}

int
pol_service_addr_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
			   struct pol_err *err)
{
	static const char *const keys[] = { "address", "comment", NULL };
	struct pol_service_addr *row = vrow;

	TRY(addr_row(obj, partial, keys, row, sizeof(*row), offsetof(struct pol_service_addr, addr),
		     path, err));
	return pol_bj_text(obj, "comment", path, row->comment, sizeof(row->comment), err) < 0
		       ? -EINVAL
		       : 0;
}

json_t *
pol_service_addr_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_service_addr *row = vrow;

	(void)s;
	return json_pack("{s:o, s:s}", "address", pol_bj_addr_json(&row->addr), "comment",
			 row->comment);
}

int
pol_pool_addr_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
			struct pol_err *err)
{
	static const char *const keys[] = { "address", NULL };

	return addr_row(obj, partial, keys, vrow, sizeof(struct pol_pool_addr),
			offsetof(struct pol_pool_addr, addr), path, err);
}

json_t *
pol_pool_addr_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_pool_addr *row = vrow;

	(void)s;
	return json_pack("{s:o}", "address", pol_bj_addr_json(&row->addr));
}

/* "firewall", the group's rules, is read by the bundle and by the API after the group. */
int
pol_group_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
		    struct pol_err *err)
{
	static const char *const keys[] = { "name", "comment", "firewall", NULL };
	struct pol_group *row = vrow;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		memset(row, 0, sizeof(*row));
		TRY(pol_bj_required(obj, "name", path, err));
	}
	TRY(pol_bj_text(obj, "name", path, row->name, sizeof(row->name), err));
	TRY(pol_bj_text(obj, "comment", path, row->comment, sizeof(row->comment), err));
	return pol_check_group(row, path, err);
}

json_t *
pol_group_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_group *row = vrow;
	json_t *fw = json_array();
	json_t *o = json_pack("{s:s, s:s, s:o}", "name", row->name, "comment", row->comment,
			      "firewall", fw);

	for (size_t i = 0; o != NULL && s != NULL && i < s->n_fw_rules; i++)
		if (s->fw_rules[i].group_id == row->id &&
		    json_array_append_new(fw, pol_fw_rule_to_json(s, &s->fw_rules[i])) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* {"prefix": p} or p alone (the bundle's shape) */
int
pol_resolver_node_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
			    struct pol_err *err)
{
	static const char *const keys[] = { "prefix", NULL };
	struct pol_resolver_node *row = vrow;
	const json_t *v = obj;
	char p[160];

	pol_bj_path(p, sizeof(p), path, "prefix");
	if (!json_is_string(obj)) {
		TRY(pol_bj_object(obj, path, keys, err));
		if (!partial)
			TRY(pol_bj_required(obj, "prefix", path, err));
		v = json_object_get(obj, "prefix");
		if (v == NULL)
			return 0;
	}
	if (!json_is_string(v) || prefix_parse(json_string_value(v), false, &row->prefix) < 0)
		return pol_bj_fail(err, p, NULL,
				   "must be an address or a prefix with no host bits set");
	return 0;
}

json_t *
pol_resolver_node_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_resolver_node *row = vrow;

	(void)s;
	return json_pack("{s:o}", "prefix", pol_bj_prefix_json(&row->prefix, false));
}

/* ---- hosts ---- */

int
pol_host_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
		   struct pol_err *err)
{
	struct pol_host *row = vrow;
	static const char *const keys[] = { "fqdn",	"ipv4",	   "ipv6",   "pool_limit",
					    "dynamic",	"comment", "groups", "services",
					    "firewall", "nested",  NULL };
	long long x;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		memset(row, 0, sizeof(*row));
		row->pool_limit = POL_POOL_LIMIT_DEFAULT;
		TRY(pol_bj_required(obj, "fqdn", path, err));
	}
	TRY(pol_bj_name(obj, "fqdn", path, false, row->fqdn, err));
	TRY(pol_bj_addr(obj, "ipv4", path, AF_INET, &row->ipv4, err));
	TRY(pol_bj_addr(obj, "ipv6", path, AF_INET6, &row->ipv6, err));
	int rc = pol_bj_int(obj, "pool_limit", path, 0, 4294967295LL, &x, err);

	if (rc < 0)
		return rc;
	if (rc == 0)
		row->pool_limit = (uint32_t)x;
	TRY(pol_bj_bool(obj, "dynamic", path, &row->dynamic, err));
	TRY(pol_bj_text(obj, "comment", path, row->comment, sizeof(row->comment), err));
	TRY(nested_from_json(obj, path, row, err));
	return pol_check_host(row, path, err);
}

/*
 * "nested": null (an ordinary host) or {"addresses": [address | prefix | "a-b", ...],
 * "dns_port": 1..65535 (53), "binding_timeout_ms": 1..3600000 (POL_BINDING_TIMEOUT_MS)}: the
 * host is another realm gateway (docs/policy.md).
 */
static int
nested_from_json(const json_t *obj, const char *path, struct pol_host *row, struct pol_err *err)
{
	static const char *const keys[] = { "addresses", "dns_port", "binding_timeout_ms", NULL };
	const json_t *v = json_object_get(obj, "nested"), *arr, *e;
	char p[160], q[192];
	long long x;
	size_t i;
	int rc;

	if (v == NULL)
		return 0;
	row->nested_port = 0;
	row->nested_timeout_ms = 0;
	row->n_nested = 0;
	memset(row->nested, 0, sizeof(row->nested));
	if (json_is_null(v))
		return 0;
	pol_bj_path(p, sizeof(p), path, "nested");
	TRY(pol_bj_object(v, p, keys, err));
	TRY(pol_bj_required(v, "addresses", p, err));
	rc = pol_bj_int(v, "dns_port", p, 1, 65535, &x, err);
	if (rc < 0)
		return rc;
	row->nested_port = rc == 0 ? (uint16_t)x : 53;
	rc = pol_bj_int(v, "binding_timeout_ms", p, 1, 3600000, &x, err);
	if (rc < 0)
		return rc;
	row->nested_timeout_ms = rc == 0 ? (uint32_t)x : 0;
	rc = pol_bj_array(v, "addresses", p, &arr, err);
	if (rc != 0)
		return rc < 0 ? rc : pol_bj_fail(err, p, "addresses", "must be an array");
	if (json_array_size(arr) == 0)
		return pol_bj_fail(err, p, "addresses", "must list at least one address");
	json_array_foreach(arr, i, e)
	{
		const char *s = json_string_value(e);

		snprintf(q, sizeof(q), "%s.addresses[%zu]", p, i);
		rc = s != NULL ? pol_nested_add(row, s) : -EINVAL;
		if (rc == -ENOSPC)
			return pol_bj_fail(err, q, NULL,
					   "too many blocks (at most 16 prefixes once ranges are "
					   "split into prefixes)");
		if (rc != 0)
			return pol_bj_fail(err, q, NULL,
					   "must be an IPv4 address, a prefix with the host bits "
					   "clear, or a range a-b");
	}
	return 0;
}

static json_t *
nested_to_json(const struct pol_host *row)
{
	json_t *arr, *o;

	if (row->nested_port == 0)
		return json_null();
	arr = json_array();
	o = json_pack("{s:o, s:i}", "addresses", arr, "dns_port", (int)row->nested_port);
	if (o == NULL)
		return NULL;
	if (row->nested_timeout_ms != 0 &&
	    json_object_set_new(o, "binding_timeout_ms", json_integer(row->nested_timeout_ms))) {
		json_decref(o);
		return NULL;
	}
	for (unsigned i = 0; i < row->n_nested; i++)
		if (json_array_append_new(arr, pol_bj_prefix_json(&row->nested[i], true)) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

json_t *
pol_bj_host(const struct pol_snap *s, const struct pol_host *row, const struct pol_bj_parts *p)
{
	json_t *groups = json_array(), *svcs = json_array(), *fw = json_array();
	json_t *o = json_pack(
		"{s:s, s:o, s:o, s:I, s:b, s:s, s:o, s:o, s:o, s:o*}", "fqdn", row->fqdn, "ipv4",
		pol_bj_addr_json(&row->ipv4), "ipv6", pol_bj_addr_json(&row->ipv6), "pool_limit",
		(json_int_t)row->pool_limit, "dynamic", row->dynamic, "comment", row->comment,
		"groups", groups, "services", svcs, "firewall", fw, "nested", nested_to_json(row));

	if (o == NULL || s == NULL)
		return o;
	for (size_t i = 0; i < p->n_hg; i++) {
		const struct pol_group *g = pol_snap_group(s, s->host_groups[p->hg[i]].group_id);

		if (g != NULL && json_array_append_new(groups, json_string(g->name)) != 0)
			goto fail;
	}
	for (size_t i = 0; i < p->n_svc; i++)
		if (json_array_append_new(svcs, pol_service_to_json(s, &s->services[p->svc[i]])) !=
		    0)
			goto fail;
	for (size_t i = 0; i < p->n_fw; i++)
		if (json_array_append_new(fw, pol_fw_rule_to_json(s, &s->fw_rules[p->fw[i]])) != 0)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* One host: its rows are found by a scan (the export uses sorted indexes instead). */
json_t *
pol_host_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_host *row = vrow;
	struct pol_bj_parts p = { 0 };
	size_t *buf = NULL;
	json_t *o = NULL;

	if (s != NULL) {
		buf = calloc(s->n_services + s->n_fw_rules + s->n_host_groups + 1, sizeof(*buf));
		if (buf == NULL)
			return NULL;
		p.svc = buf;
		for (size_t i = 0; i < s->n_services; i++)
			if (s->services[i].host_id == row->id)
				buf[p.n_svc++] = i;
		p.fw = buf + p.n_svc;
		for (size_t i = 0; i < s->n_fw_rules; i++)
			if (s->fw_rules[i].host_id == row->id)
				buf[p.n_svc + p.n_fw++] = i;
		p.hg = buf + p.n_svc + p.n_fw;
		for (size_t i = 0; i < s->n_host_groups; i++)
			if (s->host_groups[i].host_id == row->id)
				buf[p.n_svc + p.n_fw + p.n_hg++] = i;
	}
	o = pol_bj_host(s, row, &p);
	free(buf);
	return o;
}

/* ---- services ---- */

int
pol_service_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
		      struct pol_err *err)
{
	struct pol_service *row = vrow;
	static const char *const keys[] = { "fqdn",	      "protocol",	    "port",
					    "proxy_required", "binding_timeout_ms", NULL };
	const json_t *v;
	long long x;
	int rc;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		memset(row, 0, sizeof(*row));
		row->binding_timeout_ms = POL_BINDING_TIMEOUT_MS;
		TRY(pol_bj_required(obj, "fqdn", path, err));
	}
	TRY(pol_bj_name(obj, "fqdn", path, false, row->fqdn, err));
	TRY(proto_value(obj, "protocol", path, true, &row->has_proto, &row->protocol, err));
	v = json_object_get(obj, "port");
	if (v != NULL && json_is_null(v)) {
		row->has_port = false;
		row->port = 0;
	} else {
		rc = pol_bj_int(obj, "port", path, 0, 65535, &x, err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			row->has_port = true;
			row->port = (uint16_t)x;
		}
	}
	TRY(pol_bj_bool(obj, "proxy_required", path, &row->proxy_required, err));
	rc = pol_bj_int(obj, "binding_timeout_ms", path, 1, 3600000, &x, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		row->binding_timeout_ms = (uint32_t)x;
	pol_service_resolve(row);
	return pol_check_service(row, path, err);
}

json_t *
pol_service_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_service *row = vrow;

	(void)s;
	return json_pack("{s:s, s:o, s:o, s:b, s:I}", "fqdn", row->fqdn, "protocol",
			 row->has_proto ? pol_bj_proto_json(row->protocol) : json_null(), "port",
			 row->has_port ? json_integer(row->port) : json_null(), "proxy_required",
			 row->proxy_required, "binding_timeout_ms",
			 (json_int_t)row->binding_timeout_ms);
}

/* ---- firewall rules ---- */

int
pol_fw_rule_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
		      struct pol_err *err)
{
	struct pol_fw_rule *row = vrow;
	static const char *const keys[] = { "direction", "protocol",  "src",	   "dst",  "sport",
					    "dport",	 "icmp_type", "icmp_code", "rate", "burst",
					    "action",	 "priority",  "comment",   NULL };
	const json_t *v;
	bool has;
	long long x;
	int rc;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		int64_t host = row->host_id, group = row->group_id;

		memset(row, 0, sizeof(*row));
		row->host_id = host;
		row->group_id = group;
		row->direction = POL_DIR_ANY;
		row->icmp_type = -1;
		row->icmp_code = -1;
		TRY(pol_bj_required(obj, "action", path, err));
	}
	v = json_object_get(obj, "direction");
	if (v != NULL &&
	    (!json_is_string(v) || pol_direction_parse(json_string_value(v), &row->direction) != 0))
		return pol_bj_fail(err, path, "direction", "must be ingress, egress or any");
	TRY(proto_value(obj, "protocol", path, false, &has, &row->protocol, err));
	TRY(prefix_value(obj, "src", path, &row->src, err));
	TRY(prefix_value(obj, "dst", path, &row->dst, err));
	TRY(port_range(obj, "sport", path, &row->sport, err));
	TRY(port_range(obj, "dport", path, &row->dport, err));
	v = json_object_get(obj, "icmp_type");
	if (v != NULL && json_is_null(v))
		row->icmp_type = -1;
	else if ((rc = pol_bj_int(obj, "icmp_type", path, 0, 255, &x, err)) < 0)
		return rc;
	else if (rc == 0)
		row->icmp_type = (int16_t)x;
	v = json_object_get(obj, "icmp_code");
	if (v != NULL && json_is_null(v))
		row->icmp_code = -1;
	else if ((rc = pol_bj_int(obj, "icmp_code", path, 0, 255, &x, err)) < 0)
		return rc;
	else if (rc == 0)
		row->icmp_code = (int16_t)x;
	if ((rc = pol_bj_int(obj, "rate", path, 0, 4294967295LL, &x, err)) < 0)
		return rc;
	if (rc == 0)
		row->rate = (uint32_t)x;
	if ((rc = pol_bj_int(obj, "burst", path, 0, 4294967295LL, &x, err)) < 0)
		return rc;
	if (rc == 0)
		row->burst = (uint32_t)x;
	v = json_object_get(obj, "action");
	if (v != NULL &&
	    (!json_is_string(v) || pol_action_parse(json_string_value(v), &row->action) != 0))
		return pol_bj_fail(err, path, "action", "must be accept, drop or reject");
	if ((rc = pol_bj_int(obj, "priority", path, -2147483648LL, 2147483647LL, &x, err)) < 0)
		return rc;
	if (rc == 0)
		row->priority = (int32_t)x;
	TRY(pol_bj_text(obj, "comment", path, row->comment, sizeof(row->comment), err));
	return pol_check_fw_rule(row, path, err);
}

json_t *
pol_fw_rule_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_fw_rule *r = vrow;

	(void)s;
	return json_pack(
		"{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:s, s:i, s:s}", "direction",
		pol_direction_name(r->direction), "protocol", pol_bj_proto_json(r->protocol), "src",
		pol_bj_prefix_json(&r->src, false), "dst", pol_bj_prefix_json(&r->dst, false),
		"sport", port_range_json(&r->sport), "dport", port_range_json(&r->dport),
		"icmp_type", r->icmp_type >= 0 ? json_integer(r->icmp_type) : json_null(),
		"icmp_code", r->icmp_code >= 0 ? json_integer(r->icmp_code) : json_null(), "rate",
		(json_int_t)r->rate, "burst", (json_int_t)r->burst, "action",
		pol_action_name(r->action), "priority", (int)r->priority, "comment", r->comment);
}

/* ---- ALG routes ---- */

int
pol_alg_route_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
			struct pol_err *err)
{
	struct pol_alg_route *row = vrow;
	static const char *const keys[] = { "hostname", "port", "backend", "preserve", NULL };
	const json_t *v;
	long long x;
	int rc;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		memset(row, 0, sizeof(*row));
		TRY(pol_bj_required(obj, "hostname", path, err));
		TRY(pol_bj_required(obj, "backend", path, err));
	}
	TRY(pol_bj_name(obj, "hostname", path, true, row->hostname, err));
	if ((rc = pol_bj_int(obj, "port", path, 0, 65535, &x, err)) < 0)
		return rc;
	if (rc == 0)
		row->listen_port = (uint16_t)x;
	v = json_object_get(obj, "backend");
	if (v != NULL) {
		struct addr_port ap;

		if (!json_is_string(v) || addr_port_parse(json_string_value(v), 0, &ap) != 0 ||
		    addr_port_port(&ap) == 0)
			return pol_bj_fail(err, path, "backend",
					   "must be \"address:port\" (\"[v6]:port\") with a port "
					   "in 1..65535");
		addr_port_addr(&ap, &row->backend);
		row->backend_port = addr_port_port(&ap);
	}
	v = json_object_get(obj, "preserve");
	if (v != NULL &&
	    (!json_is_string(v) || pol_preserve_parse(json_string_value(v), &row->preserve) != 0))
		return pol_bj_fail(err, path, "preserve",
				   "must be none, proxy-v1, proxy-v2 or transparent");
	return pol_check_alg_route(row, path, err);
}

json_t *
pol_alg_route_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_alg_route *row = vrow;
	struct addr_port ap;
	char buf[ADDR_PORT_STRLEN];

	(void)s;
	addr_to_sockaddr(&row->backend, row->backend_port, &ap);
	return json_pack("{s:s, s:i, s:s, s:s}", "hostname", row->hostname, "port",
			 (int)row->listen_port, "backend", addr_port_ntop(&ap, buf, sizeof(buf)),
			 "preserve", pol_preserve_name(row->preserve));
}

/* ---- admission ---- */

int
pol_admission_from_json(const json_t *obj, bool partial, struct pol_admission *row,
			const char *path, struct pol_err *err)
{
	static const char *const keys[] = { "dns_tcp",
					    "dns_cname",
					    "dns_tcpcname",
					    "dns_cookies",
					    "log_untrusted",
					    "unknown_resolver_groups",
					    "alias_ttl_ms",
					    "load_brackets",
					    "cache_window_ms",
					    "window_flows",
					    NULL };
	long long x;
	int rc;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial)
		pol_admission_defaults(row);
	TRY(pol_bj_bool(obj, "dns_tcp", path, &row->dns_tcp, err));
	TRY(pol_bj_bool(obj, "dns_cname", path, &row->dns_cname, err));
	TRY(pol_bj_bool(obj, "dns_tcpcname", path, &row->dns_tcpcname, err));
	TRY(pol_bj_bool(obj, "dns_cookies", path, &row->dns_cookies, err));
	TRY(pol_bj_bool(obj, "log_untrusted", path, &row->log_untrusted, err));
	TRY(pol_bj_bool(obj, "unknown_resolver_groups", path, &row->unknown_resolver_groups, err));
	if ((rc = pol_bj_int(obj, "alias_ttl_ms", path, 1, 3600000, &x, err)) < 0)
		return rc;
	if (rc == 0)
		row->alias_ttl_ms = (uint32_t)x;
	if ((rc = pol_bj_int(obj, "cache_window_ms", path, 0, POL_CACHE_WINDOW_MAX_MS, &x, err)) <
	    0)
		return rc;
	if (rc == 0)
		row->cache_window_ms = (uint32_t)x;
	if ((rc = pol_bj_int(obj, "window_flows", path, 1, POL_WINDOW_FLOWS_MAX, &x, err)) < 0)
		return rc;
	if (rc == 0)
		row->window_flows = (uint32_t)x;
	return pol_check_admission(row, path, err);
}

json_t *
pol_admission_to_json(const struct pol_admission *row)
{
	return json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:I}", "dns_tcp", row->dns_tcp,
			 "dns_cname", row->dns_cname, "dns_tcpcname", row->dns_tcpcname,
			 "dns_cookies", row->dns_cookies, "log_untrusted", row->log_untrusted,
			 "unknown_resolver_groups", row->unknown_resolver_groups, "alias_ttl_ms",
			 (json_int_t)row->alias_ttl_ms, "cache_window_ms",
			 (json_int_t)row->cache_window_ms, "window_flows",
			 (json_int_t)row->window_flows);
}

int
pol_bracket_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
		      struct pol_err *err)
{
	struct pol_bracket *row = vrow;
	static const char *const keys[] = { "load_min",	   "load_max", "fqdn_new", "sfqdn_new",
					    "sfqdn_reuse", "math",     NULL };
	const json_t *v;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		int32_t pos = row->position;

		pol_bracket_default(row);
		row->position = pos;
		TRY(pol_bj_required(obj, "load_min", path, err));
		TRY(pol_bj_required(obj, "load_max", path, err));
	}
	TRY(pol_bj_num(obj, "load_min", path, 0, 100, &row->load_min, err));
	TRY(pol_bj_num(obj, "load_max", path, 0, 100, &row->load_max, err));
	TRY(pol_bj_num(obj, "fqdn_new", path, 0, 1, &row->fqdn_new, err));
	TRY(pol_bj_num(obj, "sfqdn_new", path, 0, 1, &row->sfqdn_new, err));
	TRY(pol_bj_num(obj, "sfqdn_reuse", path, 0, 1, &row->sfqdn_reuse, err));
	v = json_object_get(obj, "math");
	if (v != NULL &&
	    (!json_is_string(v) || pol_math_parse(json_string_value(v), &row->math) != 0))
		return pol_bj_fail(err, path, "math", "must be max, min or avg");
	return pol_check_bracket(row, path, err);
}

json_t *
pol_bracket_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_bracket *row = vrow;

	(void)s;
	return json_pack("{s:f, s:f, s:f, s:f, s:f, s:s}", "load_min", row->load_min, "load_max",
			 row->load_max, "fqdn_new", row->fqdn_new, "sfqdn_new", row->sfqdn_new,
			 "sfqdn_reuse", row->sfqdn_reuse, "math", pol_math_name(row->math));
}

/* ---- resolver groups ---- */

int
pol_resolver_group_from_json(const json_t *obj, bool partial, void *vrow, const char *path,
			     struct pol_err *err)
{
	struct pol_resolver_group *row = vrow;
	static const char *const keys[] = { "name",  "initial_reputation", "sla",
					    "nodes", "cache_window_ms",	   "parent",
					    NULL };
	const json_t *v;
	long long x;
	int rc;

	TRY(pol_bj_object(obj, path, keys, err));
	if (!partial) {
		memset(row, 0, sizeof(*row));
		row->initial_reputation = POL_INITIAL_REPUTATION;
		TRY(pol_bj_required(obj, "name", path, err));
	}
	TRY(pol_bj_text(obj, "name", path, row->name, sizeof(row->name), err));
	TRY(pol_bj_num(obj, "initial_reputation", path, 0, 1, &row->initial_reputation, err));
	TRY(pol_bj_bool(obj, "sla", path, &row->sla, err));
	TRY(pol_bj_bool(obj, "parent", path, &row->parent, err));
	/* null (or absent when creating): the window is learned */
	v = json_object_get(obj, "cache_window_ms");
	if (v != NULL && json_is_null(v)) {
		row->has_cache_window = false;
		row->cache_window_ms = 0;
	} else {
		rc = pol_bj_int(obj, "cache_window_ms", path, 0, POL_CACHE_WINDOW_MAX_MS, &x, err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			row->has_cache_window = true;
			row->cache_window_ms = (uint32_t)x;
		}
	}
	return pol_check_resolver_group(row, path, err);
}

json_t *
pol_resolver_group_to_json(const struct pol_snap *s, const void *vrow)
{
	const struct pol_resolver_group *row = vrow;
	json_t *nodes = json_array();
	json_t *o = json_pack("{s:s, s:f, s:b, s:o, s:o, s:b}", "name", row->name,
			      "initial_reputation", row->initial_reputation, "sla", row->sla,
			      "nodes", nodes, "cache_window_ms",
			      row->has_cache_window ? json_integer((json_int_t)row->cache_window_ms)
						    : json_null(),
			      "parent", row->parent);

	if (o == NULL)
		return NULL;
	for (size_t i = 0; s != NULL && i < s->n_resolver_nodes; i++) {
		if (s->resolver_nodes[i].group_id == row->id &&
		    json_array_append_new(
			    nodes, pol_bj_prefix_json(&s->resolver_nodes[i].prefix, true)) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}
