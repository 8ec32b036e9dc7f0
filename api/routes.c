/* SPDX-License-Identifier: MIT */
/* api/routes.c -- the route table: the single source of truth for the API's paths */
#include "internal.h"

#define V1 "/api/v1"
#define W  API_R_WRITE
#define WN (API_R_WRITE | API_R_NOBODY)
/* policy writes: they go through the committer, on the commit thread */
#define PW  (API_R_WRITE | API_R_COMMIT)
#define PWN (API_R_WRITE | API_R_NOBODY | API_R_COMMIT)

/* CRUD over one collection: list, create, get, replace, patch, delete. */
#define CRUD(COLL, ITEM, ENT, PARENT, WHAT)                                                        \
	{ "GET", COLL, api_h_list, ENT, PARENT, 0, "list " WHAT "s" },                             \
		{ "POST", COLL, api_h_create, ENT, PARENT, PW, "create a " WHAT },                 \
		{ "GET", ITEM, api_h_get, ENT, PARENT, 0, "show a " WHAT },                        \
		{ "PUT", ITEM, api_h_replace, ENT, PARENT, PW, "replace a " WHAT },                \
		{ "PATCH", ITEM, api_h_patch, ENT, PARENT, PW, "update part of a " WHAT },         \
	{                                                                                          \
		"DELETE", ITEM, api_h_delete, ENT, PARENT, PWN, "delete a " WHAT                   \
	}

const struct api_route api_routes[] = {
	CRUD(V1 "/zones", V1 "/zones/{zone}", &api_ent_zone, NULL, "zone"),
	CRUD(V1 "/zones/{zone}/nameservers", V1 "/zones/{zone}/nameservers/{ns}",
	     &api_ent_nameserver, &api_ent_zone, "nameserver"),
	CRUD(V1 "/service-addresses", V1 "/service-addresses/{addr}", &api_ent_service_addr, NULL,
	     "service address"),
	{ "GET", V1 "/pool-addresses", api_h_list, &api_ent_pool_addr, NULL, 0,
	  "list pool addresses" },
	{ "POST", V1 "/pool-addresses", api_h_create, &api_ent_pool_addr, NULL, PW,
	  "add a pool address" },
	{ "GET", V1 "/pool-addresses/{addr}", api_h_get, &api_ent_pool_addr, NULL, 0,
	  "show a pool address" },
	{ "DELETE", V1 "/pool-addresses/{addr}", api_h_delete, &api_ent_pool_addr, NULL, PWN,
	  "remove a pool address" },
	CRUD(V1 "/hosts", V1 "/hosts/{host}", &api_ent_host, NULL, "host"),
	CRUD(V1 "/hosts/{host}/services", V1 "/hosts/{host}/services/{service}", &api_ent_service,
	     &api_ent_host, "service"),
	CRUD(V1 "/hosts/{host}/firewall", V1 "/hosts/{host}/firewall/{rule}", &api_ent_host_fw,
	     &api_ent_host, "host firewall rule"),
	{ "GET", V1 "/hosts/{host}/groups", api_h_host_groups_list, NULL, &api_ent_host, 0,
	  "list the groups of a host" },
	{ "POST", V1 "/hosts/{host}/groups", api_h_host_groups_add, NULL, &api_ent_host, PW,
	  "add a host to a group" },
	{ "DELETE", V1 "/hosts/{host}/groups/{group}", api_h_host_groups_del, NULL, &api_ent_host,
	  PWN, "remove a host from a group" },
	CRUD(V1 "/groups", V1 "/groups/{group}", &api_ent_group, NULL, "group"),
	CRUD(V1 "/groups/{group}/firewall", V1 "/groups/{group}/firewall/{rule}", &api_ent_group_fw,
	     &api_ent_group, "group firewall rule"),
	CRUD(V1 "/alg-routes", V1 "/alg-routes/{route}", &api_ent_alg_route, NULL, "ALG route"),
	{ "GET", V1 "/admission", api_h_admission_get, NULL, NULL, 0, "show the admission policy" },
	{ "PUT", V1 "/admission", api_h_admission_put, NULL, NULL, PW,
	  "replace the admission policy" },
	{ "PATCH", V1 "/admission", api_h_admission_patch, NULL, NULL, PW,
	  "update part of the admission policy" },
	CRUD(V1 "/admission/brackets", V1 "/admission/brackets/{bracket}", &api_ent_bracket, NULL,
	     "load bracket"),
	CRUD(V1 "/resolver-groups", V1 "/resolver-groups/{rgroup}", &api_ent_resolver_group, NULL,
	     "resolver group"),
	{ "GET", V1 "/resolver-groups/{rgroup}/nodes", api_h_list, &api_ent_resolver_node,
	  &api_ent_resolver_group, 0, "list the nodes of a resolver group" },
	{ "POST", V1 "/resolver-groups/{rgroup}/nodes", api_h_create, &api_ent_resolver_node,
	  &api_ent_resolver_group, PW, "add a node to a resolver group" },
	{ "GET", V1 "/resolver-groups/{rgroup}/nodes/{node+}", api_h_get, &api_ent_resolver_node,
	  &api_ent_resolver_group, 0, "show a resolver node" },
	{ "DELETE", V1 "/resolver-groups/{rgroup}/nodes/{node+}", api_h_delete,
	  &api_ent_resolver_node, &api_ent_resolver_group, PWN, "remove a resolver node" },
	{ "GET", V1 "/reputation", api_h_reputation_list, NULL, NULL, 0, "list reputation" },
	{ "GET", V1 "/reputation/{kind}/{key+}", api_h_reputation_get, NULL, NULL, 0,
	  "show the reputation of an entity" },
	{ "PUT", V1 "/reputation/{kind}/{key+}", api_h_reputation_put, NULL, NULL, W,
	  "set or clear an administrative override" },
	{ "DELETE", V1 "/reputation/{kind}/{key+}", api_h_reputation_del, NULL, NULL, WN,
	  "reset the reputation of an entity" },
	{ "GET", V1 "/bindings", api_h_bindings, NULL, NULL, 0, "list live bindings" },
	{ "GET", V1 "/cache-windows", api_h_windows, NULL, NULL, 0,
	  "list the resolver cache windows" },
	{ "GET", V1 "/blocks", api_h_blocks_list, NULL, NULL, 0,
	  "list the sources blocked after IDS alerts" },
	{ "DELETE", V1 "/blocks/{addr}", api_h_blocks_del, NULL, NULL, WN,
	  "lift the block of a source" },
	{ "GET", V1 "/bundle", api_h_bundle_get, NULL, NULL, 0,
	  "export the whole policy (a tenant's token: its own part)" },
	{ "PUT", V1 "/bundle", api_h_bundle_put, NULL, NULL, PW,
	  "replace the whole policy atomically (a tenant's token: its own part)" },
	{ "GET", V1 "/status", api_h_status, NULL, NULL, 0, "version, uptime and counters" },
	{ "GET", V1 "/ha", api_h_ha_get, NULL, NULL, 0, "show the HA pair's state" },
	{ "PUT", V1 "/ha/role", api_h_ha_role, NULL, NULL, W, "set this node's HA role" },
	{ "GET", V1 "/audit", api_h_audit, NULL, NULL, 0, "read the audit log" },
	{ "GET", V1 "/tokens", api_h_token_list, NULL, NULL, 0,
	  "list API tokens (names, roles, creation, last use, expiry; never a secret)" },
	{ "GET", V1 "/tokens/{token}", api_h_token_get, NULL, NULL, 0, "show an API token" },
	{ "POST", V1 "/tokens", api_h_token_create, NULL, NULL, W,
	  "create an API token (the secret is in the answer only)" },
	{ "DELETE", V1 "/tokens/{token}", api_h_token_delete, NULL, NULL, WN,
	  "revoke an API token" },
	{ "GET", V1 "/tenants", api_h_tenant_list, NULL, NULL, 0, "list tenants" },
	{ "GET", V1 "/tenants/{tenant}", api_h_tenant_get, NULL, NULL, 0, "show a tenant" },
	{ "PUT", V1 "/tenants/{tenant}", api_h_tenant_put, NULL, NULL, W,
	  "create or replace a tenant (its domains and session-name quota)" },
	{ "DELETE", V1 "/tenants/{tenant}", api_h_tenant_delete, NULL, NULL, WN,
	  "delete a tenant" },
	{ "POST", V1 "/tenants/{tenant}/sessions", api_h_session_create, NULL, NULL, W,
	  "issue a one-time session name" },
	{ "GET", V1 "/tenants/{tenant}/sessions/{session}", api_h_session_get, NULL, NULL, 0,
	  "show a session name" },
	{ "DELETE", V1 "/tenants/{tenant}/sessions/{session}", api_h_session_delete, NULL, NULL, WN,
	  "end a session name now" },
	{ "GET", V1 "/openapi.json", api_h_openapi, NULL, NULL, API_R_PUBLIC,
	  "this API as an OpenAPI 3.0 document" },
	{ "GET", "/metrics", api_h_metrics, NULL, NULL, 0, "Prometheus metrics" },
};

const size_t api_n_routes = sizeof(api_routes) / sizeof(api_routes[0]);
