/* SPDX-License-Identifier: MIT */
/* policy/check.h -- single-row policy checks shared by the validator, the store and bundles */
#ifndef RGW_POLICY_CHECK_H
#define RGW_POLICY_CHECK_H

#include "policy.h"

/*
 * Each function checks the fields of one row that need no other row (syntax, ranges,
 * families, enum values). path is the field prefix used in errors ("hosts[2]"; "" for none).
 * Returns 0, or -EINVAL with e filled ("hosts[2].ipv4: must be an IPv4 address").
 * References and uniqueness are pol_snap_validate's business.
 */
int pol_check_zone(const struct pol_zone *z, const char *path, struct pol_err *e);
int pol_check_nameserver(const struct pol_nameserver *ns, const char *path, struct pol_err *e);
int pol_check_group(const struct pol_group *g, const char *path, struct pol_err *e);
/* A global or unique local IPv6 unicast address: not ::, ::1, IPv4-mapped, link-local or
 * multicast (a host's ipv6, an IPv6 pool address). */
bool pol_check_ipv6_unicast(const struct addr *a);
int pol_check_host(const struct pol_host *h, const char *path, struct pol_err *e);
int pol_check_service(const struct pol_service *sv, const char *path, struct pol_err *e);
int pol_check_fw_rule(const struct pol_fw_rule *r, const char *path, struct pol_err *e);
int pol_check_alg_route(const struct pol_alg_route *r, const char *path, struct pol_err *e);
int pol_check_bracket(const struct pol_bracket *b, const char *path, struct pol_err *e);
int pol_check_admission(const struct pol_admission *a, const char *path, struct pol_err *e);
int pol_check_resolver_group(const struct pol_resolver_group *g, const char *path,
			     struct pol_err *e);
int pol_check_resolver_node(const struct pol_resolver_node *n, const char *path, struct pol_err *e);
int pol_check_addr(const struct addr *a, const char *path, struct pol_err *e);

/* True if name is already canonical (pol_name_canon would not change it). */
/* Nested gateways against the rest of the policy (policy/validate_nest.c; called by
 * pol_snap_validate once every row passed its own checks). 0, -EINVAL (e filled), -ENOMEM. */
int pol_validate_nested(const struct pol_snap *s, struct pol_err *e);

bool pol_check_name(const char *name, bool wildcard);
/* Group and resolver group names: 1..63 characters of [A-Za-z0-9_.-]. */
bool pol_check_ident(const char *s);
/* A prefix with its host bits clear (family 0 with len 0 means "any"). */
bool pol_check_prefix(const struct prefix *p);

#endif
