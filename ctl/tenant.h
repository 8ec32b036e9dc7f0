/* SPDX-License-Identifier: MIT */
/* ctl/tenant.h -- the body of "rgwctl tenant set" from its options (no libcurl: unit-tested) */
#ifndef RGW_CTL_TENANT_H
#define RGW_CTL_TENANT_H

#include <jansson.h>
#include <stddef.h>

#define CTL_TENANT_USAGE                                                                           \
	"NAME --domain D [--domain D]... [--realm PREFIX]... [--token NAME]... "                   \
	"[--session-rate N] [--quota hosts=N,services=N,alg-routes=N,pool=N]"

/*
 * The body of PUT /api/v1/tenants/NAME from "tenant set"'s options (argv after NAME): each
 * --domain, --realm and --token adds to its list, --session-rate sets the rate, --quota sets
 * the named quotas (hosts, services, alg-routes, pool; comma-separated key=N). The API
 * validates the values. Returns the body (the caller decrefs), or NULL with err filled for
 * an unknown option, a missing value, a malformed quota or no --domain.
 */
json_t *ctl_tenant_body(int argc, const char *const *argv, char *err, size_t errlen);

#endif
