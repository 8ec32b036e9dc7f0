#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tools/gen-openapi.py -- write api/openapi.json (OpenAPI 3.0) for the rgwd REST API.
#
# The route table in api/routes.c is the source of truth; tests/unit/test_api_router.c
# checks that every route there appears here and vice versa. Run after changing either:
#     python3 tools/gen-openapi.py > api/openapi.json
import json

V1 = "/api/v1"


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def obj(props, required=(), extra=False):
    o = {"type": "object", "properties": props, "additionalProperties": extra}
    if required:
        o["required"] = list(required)
    return o


S = {"type": "string"}
I = {"type": "integer"}
B = {"type": "boolean"}
N = {"type": "number"}
ADDR = {"type": "string", "description": "IPv4 or IPv6 address"}
NADDR = {"type": "string", "nullable": True}
PORTS = {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 65535},
                   {"type": "string", "description": "\"lo-hi\""}]}
ID = {"type": "integer", "readOnly": True}

fw_rule = obj({
    "id": ID,
    "direction": {"type": "string", "enum": ["ingress", "egress", "any"]},
    "protocol": {"oneOf": [S, I], "description": "any, icmp, tcp, udp, sctp or a number"},
    "src": {"type": "string", "nullable": True, "description": "prefix"},
    "dst": {"type": "string", "nullable": True, "description": "prefix"},
    "sport": PORTS, "dport": PORTS,
    "icmp_type": I, "icmp_code": I, "rate": I, "burst": I,
    "action": {"type": "string", "enum": ["accept", "drop", "reject"]},
    "priority": I, "comment": S}, extra=True)
service = obj({
    "id": ID, "fqdn": S,
    "protocol": {"oneOf": [S, I]}, "port": I,
    "proxy_required": B, "binding_timeout_ms": I}, ["fqdn"], extra=True)
nameserver = obj({"id": ID, "name": S, "ipv4": NADDR, "ipv6": NADDR}, ["name"])

SCHEMAS = {
    "Error": obj({"error": {"type": "string", "description":
                            "invalid, unauthorized, forbidden, not_found, method_not_allowed, "
                            "conflict, precondition_failed, payload_too_large, "
                            "unsupported_media_type, rate_limited, unavailable, internal"},
                  "message": S, "field": {"type": "string", "nullable": True}},
                 ["error", "message", "field"]),
    "List": obj({"items": {"type": "array", "items": {"type": "object"}},
                 "total": I, "offset": I, "limit": I}, ["items"]),
    "Zone": obj({"id": ID, "name": S,
                 "kind": {"type": "string", "enum": ["forward", "reverse", "alias"]},
                 "ttl": I, "soa": {"type": "object"},
                 "nameservers": {"type": "array", "items": ref("Nameserver")}},
                ["name"], extra=True),
    "Nameserver": nameserver,
    "ServiceAddress": obj({"id": ID, "address": ADDR, "comment": S}, ["address"]),
    "PoolAddress": obj({"id": ID, "address": ADDR}, ["address"]),
    "Host": obj({"id": ID, "fqdn": S, "ipv4": NADDR, "ipv6": NADDR, "pool_limit": I,
                 "comment": S, "groups": {"type": "array", "items": S},
                 "services": {"type": "array", "items": ref("Service")},
                 "firewall": {"type": "array", "items": ref("FirewallRule")},
                 "nested": dict(obj({"addresses": {"type": "array", "items": S},
                                     "dns_port": {"type": "integer", "minimum": 1,
                                                  "maximum": 65535},
                                     "binding_timeout_ms": {"type": "integer", "minimum": 1,
                                                            "maximum": 3600000}},
                                    ["addresses"]),
                                nullable=True,
                                description="the host is another realm gateway, "
                                "authoritative below its fqdn; null: an ordinary host")},
                ["fqdn"], extra=True),
    "Service": service,
    "FirewallRule": fw_rule,
    "Group": obj({"id": ID, "name": S, "comment": S,
                  "firewall": {"type": "array", "items": ref("FirewallRule")}}, ["name"]),
    "GroupMembership": obj({"group": S}, ["group"]),
    "AlgRoute": obj({"id": ID, "hostname": S, "port": I, "backend": S,
                     "preserve": {"type": "string",
                                  "enum": ["none", "proxy-v1", "proxy-v2", "transparent"]}},
                    ["hostname", "backend"], extra=True),
    "Admission": obj({"dns_tcp": B, "dns_cname": B, "dns_tcpcname": B, "dns_cookies": B,
                      "log_untrusted": B, "unknown_resolver_groups": B, "alias_ttl_ms": I,
                      "cache_window_ms": {"type": "integer", "minimum": 0, "maximum": 60000,
                                          "description": "how long a resolver may serve an "
                                          "answer from its cache (0: one flow per binding)"},
                      "window_flows": {"type": "integer", "minimum": 1, "maximum": 1000,
                                       "description": "flows a binding admits per answer "
                                       "within a cache window"},
                      "load_brackets": {"type": "array", "items": ref("LoadBracket")}},
                     extra=True),
    "LoadBracket": obj({"id": ID, "load_min": N, "load_max": N, "fqdn_new": N,
                        "sfqdn_new": N, "sfqdn_reuse": N,
                        "math": {"type": "string", "enum": ["max", "min", "avg"]}},
                       extra=True),
    "ResolverGroup": obj({"id": ID, "name": S, "initial_reputation": N, "sla": B,
                          "nodes": {"type": "array", "items": S},
                          "parent": {"type": "boolean", "description":
                                     "the nodes are our parent gateways: their ECI is "
                                     "trusted, their ALG connections carry a PROXY header"},
                          "cache_window_ms": {"type": "integer", "nullable": True,
                                              "minimum": 0, "maximum": 60000,
                                              "description": "the group's cache window; null: "
                                              "learned from its behaviour"}},
                         ["name"], extra=True),
    "ResolverNode": obj({"id": ID, "prefix": S}, ["prefix"]),
    "Reputation": obj({"kind": {"type": "string"}, "key": S, "override":
                       {"type": "number", "nullable": True},
                       "value": {"type": "number", "minimum": 0, "maximum": 1},
                       "prior": {"type": "number", "minimum": 0, "maximum": 1, "description":
                                 "where evidence fades to: a resolver group's "
                                 "initial_reputation, 0.45 for learned entities"}},
                      ["kind", "key"], extra=True),
    "ReputationOverride": obj({"override": {"type": "number", "nullable": True,
                                            "minimum": 0, "maximum": 1}}, ["override"]),
    "TokenRequest": obj({"name": S, "role": {"type": "string", "enum": ["ro", "rw"],
                                               "default": "ro"}}, ["name"]),
    "Token": obj({"name": S, "role": S, "secret": {"type": "string", "description":
                  "shown in this answer only; the store keeps a salted hash"}},
                 ["name", "role", "secret"]),
    "Tenant": obj({"name": {"type": "string", "readOnly": True},
                   "domains": {"type": "array", "minItems": 1, "maxItems": 16, "items": S,
                               "description": "subtrees of the forward zones: its session "
                                              "names and their services lie there"},
                   "session_rate": {"type": "integer", "minimum": 0, "maximum": 1000000,
                                    "default": 0,
                                    "description": "session names per second, 0: no limit"},
                   "tokens": {"type": "array", "maxItems": 16, "items": S,
                              "description": "API tokens (by name) that act for this tenant "
                                             "alone: they reach only its /tenants/{tenant} "
                                             "resources (404 elsewhere) and cannot change "
                                             "it (403)"}},
                  ["domains"]),
    "SessionRequest": obj({
        "service": {"type": "string", "description": "fqdn of a service of the policy"},
        "ttl": {"type": "integer", "minimum": 1, "maximum": 604800, "default": 300,
                "description": "seconds until the name ends"},
        "max_resolutions": {"type": "integer", "minimum": 0, "default": 0,
                            "description": "A/AAAA answers allowed, 0: no limit"},
        "domain": {"type": "string", "description":
                   "where the name is made, in a forward zone; default: the service's "
                   "parent domain"}}, ["service"]),
    "Session": obj({"name": S, "tenant": S, "service": S, "created_ms": I, "expires_ms": I,
                    "ended_ms": {"type": "integer", "nullable": True},
                    "max_resolutions": I, "resolutions": I,
                    "state": {"type": "string", "enum": ["live", "ended"]}},
                   ["name", "tenant", "service", "expires_ms", "state"]),
    "Bundle": {"type": "object", "description":
               "The whole policy (docs/policy.md, \"Policy bundles\")."},
    "Status": {"type": "object"},
    "Block": obj({"address": ADDR,
                  "reason": {"type": "string", "description":
                             "the alert that (last) blocked it: sid and signature"},
                  "alerts": {"type": "integer", "description": "alerts that blocked it"},
                  "blocked_ms": {"type": "integer", "description": "blocked this long ago"},
                  "expires_ms": {"type": "integer", "description": "time left"},
                  "expires_at": {"type": "integer", "description":
                                 "end of the block, UNIX epoch in ms"}},
                 ["address", "reason", "alerts", "blocked_ms", "expires_ms", "expires_at"]),
    "BlockList": obj({"items": {"type": "array", "items": ref("Block")}, "total": I},
                     ["items", "total"]),
    "Ha": {"type": "object", "description":
           "The HA pair (docs/ha.md): role, peer, channel, policy digest, followers, counters."},
    "HaRole": obj({"role": {"type": "string", "enum": ["active", "standby"]}}, ["role"]),
    "AuditList": obj({"items": {"type": "array", "items": {"type": "object"}}}),
}

ERR = {"description": "error", "content": {"application/json": {"schema": ref("Error")}}}
PARAM_DESC = {
    "zone": "zone id or name", "ns": "nameserver id or name", "addr": "id or address",
    "host": "host id or fqdn", "service": "service id or fqdn", "rule": "rule id",
    "group": "group id or name", "route": "route id", "bracket": "bracket id",
    "rgroup": "resolver group id or name", "node": "node id or prefix (may contain '/')",
    "kind": "resolver_group, requestor or host", "key": "entity key (may contain '/')",
    "token": "token name",
    "tenant": "tenant name (one DNS label)", "session": "session name (its fqdn)",
}

paths = {}


def op(method, path, summary, schema=None, body=None, status=200, tag="policy",
       public=False, list_=False, write=False, ctype="application/json", etag=True):
    params = []
    for seg in path.split("/"):
        if seg.startswith("{"):
            name = seg.strip("{}+")
            params.append({"name": name, "in": "path", "required": True,
                           "description": PARAM_DESC.get(name, name), "schema": S})
    if list_:
        params += [{"name": "limit", "in": "query", "schema": {"type": "integer",
                    "minimum": 0, "maximum": 10000, "default": 100}},
                   {"name": "offset", "in": "query", "schema": {"type": "integer",
                    "minimum": 0, "default": 0}},
                   {"name": "name", "in": "query", "schema": S,
                    "description": "only rows with this name (exact, canonical)"}]
    if write and method in ("PUT", "PATCH", "DELETE"):
        params.append({"name": "If-Match", "in": "header", "required": False, "schema": S,
                       "description": "ETag of the current representation (412 if changed)"})
    o = {"summary": summary, "tags": [tag], "responses": {}}
    if params:
        o["parameters"] = params
    if public:
        o["security"] = []
    if body:
        types = {"application/json": {"schema": ref(body)}}
        if method == "PATCH":
            types["application/merge-patch+json"] = {"schema": ref(body)}
        o["requestBody"] = {"required": True, "content": types}
    r = o["responses"]
    if status == 204:
        r["204"] = {"description": "done"}
    else:
        resp = {"description": "OK"}
        if schema:
            resp["content"] = {ctype: {"schema": ref(schema) if schema[0].isupper()
                                       else {"type": "string"}}}
        if etag:
            resp["headers"] = {"ETag": {"schema": S}}
        if status == 201:
            resp["headers"] = {"Location": {"schema": S}, "ETag": {"schema": S}}
        r[str(status)] = resp
    if not public:
        r["401"] = ERR
        r["429"] = ERR
    if write:
        for c in ("400", "403", "409", "412", "413", "415"):
            r[c] = ERR
    if "{" in path:
        r["404"] = ERR
    paths.setdefault(path, {})[method.lower()] = o


def crud(coll, item, schema, what, tag, put=True, patch=True):
    op("GET", coll, "list %ss" % what, "List", tag=tag, list_=True)
    op("POST", coll, "create a " + what, schema, schema, 201, tag=tag, write=True)
    op("GET", item, "show a " + what, schema, tag=tag)
    if put:
        op("PUT", item, "replace a " + what, schema, schema, tag=tag, write=True)
    if patch:
        op("PATCH", item, "update part of a " + what, schema, schema, tag=tag, write=True)
    op("DELETE", item, "delete a " + what, status=204, tag=tag, write=True)


crud(V1 + "/zones", V1 + "/zones/{zone}", "Zone", "zone", "zones")
crud(V1 + "/zones/{zone}/nameservers", V1 + "/zones/{zone}/nameservers/{ns}", "Nameserver",
     "nameserver", "zones")
crud(V1 + "/service-addresses", V1 + "/service-addresses/{addr}", "ServiceAddress",
     "service address", "addresses")
crud(V1 + "/pool-addresses", V1 + "/pool-addresses/{addr}", "PoolAddress", "pool address",
     "addresses", put=False, patch=False)
crud(V1 + "/hosts", V1 + "/hosts/{host}", "Host", "host", "hosts")
crud(V1 + "/hosts/{host}/services", V1 + "/hosts/{host}/services/{service}", "Service",
     "service", "hosts")
crud(V1 + "/hosts/{host}/firewall", V1 + "/hosts/{host}/firewall/{rule}", "FirewallRule",
     "host firewall rule", "hosts")
op("GET", V1 + "/hosts/{host}/groups", "list the groups of a host", "List", tag="hosts")
op("POST", V1 + "/hosts/{host}/groups", "add a host to a group", "GroupMembership",
   "GroupMembership", 201, tag="hosts", write=True)
op("DELETE", V1 + "/hosts/{host}/groups/{group}", "remove a host from a group", status=204,
   tag="hosts", write=True)
crud(V1 + "/groups", V1 + "/groups/{group}", "Group", "group", "groups")
crud(V1 + "/groups/{group}/firewall", V1 + "/groups/{group}/firewall/{rule}", "FirewallRule",
     "group firewall rule", "groups")
crud(V1 + "/alg-routes", V1 + "/alg-routes/{route}", "AlgRoute", "ALG route", "alg")
op("GET", V1 + "/admission", "show the admission policy", "Admission", tag="admission")
op("PUT", V1 + "/admission", "replace the admission policy", "Admission", "Admission",
   tag="admission", write=True)
op("PATCH", V1 + "/admission", "update part of the admission policy", "Admission",
   "Admission", tag="admission", write=True)
crud(V1 + "/admission/brackets", V1 + "/admission/brackets/{bracket}", "LoadBracket",
     "load bracket", "admission")
crud(V1 + "/resolver-groups", V1 + "/resolver-groups/{rgroup}", "ResolverGroup",
     "resolver group", "reputation")
op("GET", V1 + "/resolver-groups/{rgroup}/nodes", "list the nodes of a resolver group", "List",
   tag="reputation", list_=True)
op("POST", V1 + "/resolver-groups/{rgroup}/nodes", "add a node to a resolver group",
   "ResolverNode", "ResolverNode", 201, tag="reputation", write=True)
op("GET", V1 + "/resolver-groups/{rgroup}/nodes/{node+}", "show a resolver node",
   "ResolverNode", tag="reputation")
op("DELETE", V1 + "/resolver-groups/{rgroup}/nodes/{node+}", "remove a resolver node",
   status=204, tag="reputation", write=True)
op("GET", V1 + "/reputation", "list reputation (live when the engine runs, else persisted)",
   "List", tag="reputation")
op("GET", V1 + "/reputation/{kind}/{key+}", "show the reputation of an entity", "Reputation",
   tag="reputation")
op("PUT", V1 + "/reputation/{kind}/{key+}", "set or clear an administrative override",
   "Reputation", "ReputationOverride", tag="reputation", write=True)
op("DELETE", V1 + "/reputation/{kind}/{key+}", "reset the reputation of an entity",
   status=204, tag="reputation", write=True)
op("GET", V1 + "/bindings", "list live circular-pool bindings", "List",
   tag="system", etag=False)
op("GET", V1 + "/cache-windows", "list the resolver cache windows", "List",
   tag="system", etag=False)
op("GET", V1 + "/blocks", "list the sources blocked after IDS alerts, with their expiry",
   "BlockList", tag="defence", etag=False)
op("DELETE", V1 + "/blocks/{addr}", "lift the block of a source at once", status=204,
   tag="defence", write=True)
op("GET", V1 + "/bundle", "export the whole policy", "Bundle", tag="system")
op("PUT", V1 + "/bundle", "replace the whole policy atomically", "Bundle", "Bundle",
   tag="system", write=True)
op("GET", V1 + "/status", "version, uptime and counters per subsystem", "Status",
   tag="system", etag=False)
op("GET", V1 + "/ha", "the HA pair's state on this node", "Ha", tag="system", etag=False)
op("PUT", V1 + "/ha/role", "set this node's HA role (keepalived's notify script)", "Ha",
   "HaRole", tag="system", write=True)
op("GET", V1 + "/audit", "read the audit log, newest first", "AuditList", tag="system",
   etag=False)
op("POST", V1 + "/tokens", "create an API token (the secret is in the answer only)", "Token",
   "TokenRequest", 201, tag="system", write=True)
op("DELETE", V1 + "/tokens/{token}", "revoke an API token", status=204, tag="system",
   write=True)
op("GET", V1 + "/tenants", "list tenants", "List", tag="sessions", etag=False)
op("GET", V1 + "/tenants/{tenant}", "show a tenant", "Tenant", tag="sessions")
op("PUT", V1 + "/tenants/{tenant}", "create (201) or replace (200) a tenant", "Tenant", "Tenant",
   tag="sessions", write=True)
op("DELETE", V1 + "/tenants/{tenant}", "delete a tenant", status=204, tag="sessions",
   write=True)
op("POST", V1 + "/tenants/{tenant}/sessions", "issue a one-time session name", "Session",
   "SessionRequest", 201, tag="sessions", write=True, etag=False)
op("GET", V1 + "/tenants/{tenant}/sessions/{session}", "show a session name", "Session",
   tag="sessions", etag=False)
op("DELETE", V1 + "/tenants/{tenant}/sessions/{session}", "end a session name now",
   status=204, tag="sessions", write=True)
op("GET", V1 + "/openapi.json", "this document", "Bundle", tag="system", public=True,
   etag=False)
op("GET", "/metrics", "Prometheus text-format metrics", "text", tag="system",
   ctype="text/plain", etag=False)

# {name+} is our router's "rest of the path" parameter; OpenAPI paths name it {name}.
paths = {k.replace("+}", "}"): v for k, v in paths.items()}

doc = {
    "openapi": "3.0.3",
    "info": {"title": "rgwd REST policy API", "version": "1",
             "description": "Policy of the Realm Gateway daemon. Every write is validated, "
                            "committed in one transaction, applied to DNS, NAT and the ALG, "
                            "and only then answered. See docs/api.md."},
    "servers": [{"url": "http://127.0.0.1:8080"}],
    "security": [{"bearer": []}],
    "paths": paths,
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                   "schemas": SCHEMAS},
}
print(json.dumps(doc, indent=1, sort_keys=True))
