#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tools/gen-openapi.py -- write api/openapi.json (OpenAPI 3.0) for the rgwd REST API.
#
# The route table in api/routes.c is the source of truth for paths and methods;
# tests/unit/test_api_router.c checks that every route there appears here and vice versa, and
# tests/system/t69_api_contract.sh walks every operation against a live rgwd and validates
# each answer (errors included) against these schemas with a JSON Schema validator.
# Representations (what the API answers) list every key they always carry as required and
# allow no other; request bodies require only what the API requires. Run after a change:
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


def nullable(s):
    return dict(s, nullable=True)


def arr(items):
    return {"type": "array", "items": items}


S = {"type": "string"}
I = {"type": "integer"}
B = {"type": "boolean"}
N = {"type": "number"}
ADDR = {"type": "string", "description": "IPv4 or IPv6 address"}
NADDR = nullable(ADDR)
PORT = {"type": "integer", "minimum": 0, "maximum": 65535}
PORTS = {"oneOf": [PORT, {"type": "string", "pattern": "^[0-9]+-[0-9]+$",
                          "description": "\"lo-hi\""}], "nullable": True}
PROTO = {"oneOf": [S, I], "description": "any, icmp, tcp, udp, sctp or an IP protocol number"}
ID = {"type": "integer", "readOnly": True}
MS = {"type": "integer", "description": "milliseconds since the epoch"}
UNIT = {"type": "number", "minimum": 0, "maximum": 1}
COUNTERS = {"type": "object", "additionalProperties": {"type": "integer"},
            "description": "counter name -> value"}


def entity(name, props, req_in, out_extra=(), out_optional=(), doc=None):
    """Two schemas: NAME, the representation (every key required but out_optional, id
    included), and NAMEInput, a request body (only req_in required; no id)."""
    out_props = dict(props, id=ID)
    out_props.update(dict(out_extra))
    out_req = sorted(k for k in out_props if k not in out_optional)
    SCHEMAS[name] = obj(out_props, out_req)
    SCHEMAS[name + "Input"] = obj(props, req_in)
    if doc:
        SCHEMAS[name]["description"] = doc
    SCHEMAS[name + "List"] = page(ref(name))


def page(item):
    return obj({"items": arr(item), "total": I, "offset": I, "limit": I},
               ["items", "total", "offset", "limit"])


SCHEMAS = {}

FW = {"direction": {"type": "string", "enum": ["ingress", "egress", "any"]},
      "protocol": nullable(PROTO),
      "src": nullable({"type": "string", "description": "prefix"}),
      "dst": nullable({"type": "string", "description": "prefix"}),
      "sport": PORTS, "dport": PORTS,
      "icmp_type": nullable(I), "icmp_code": nullable(I), "rate": I, "burst": I,
      "action": {"type": "string", "enum": ["accept", "drop", "reject"]},
      "priority": I, "comment": S}
entity("FirewallRule", FW, [], out_optional=["id"])
SVC = {"fqdn": S, "protocol": nullable(PROTO), "port": nullable(PORT),
       "proxy_required": B, "binding_timeout_ms": I}
entity("Service", SVC, ["fqdn"], out_optional=["id"])
NS = {"name": S, "ipv4": NADDR, "ipv6": NADDR}
entity("Nameserver", NS, ["name"], out_optional=["id"])
SOA = obj({"mname": S, "rname": S, "serial": I, "refresh": I, "retry": I, "expire": I,
           "minimum": I}, ["mname", "rname", "serial", "refresh", "retry", "expire", "minimum"])
entity("Zone", {"name": S, "kind": {"type": "string", "enum": ["forward", "reverse", "alias"]},
                "ttl": I, "soa": SOA, "nameservers": arr(ref("Nameserver"))}, ["name"])
SCHEMAS["ZoneInput"]["properties"]["soa"] = obj(SOA["properties"])
SCHEMAS["ZoneInput"]["properties"]["nameservers"] = arr(ref("NameserverInput"))
entity("ServiceAddress", {"address": ADDR, "comment": S}, ["address"])
entity("PoolAddress", {"address": ADDR}, ["address"])
NESTED = {"addresses": dict(arr(S), description="the addresses the nested gateway owns: "
                                                "addresses, prefixes or ranges a-b"),
          "dns_port": dict(PORT, minimum=1, description="its DNS port (53 when omitted)"),
          "binding_timeout_ms": {"type": "integer", "minimum": 1, "maximum": 3600000,
                                 "description": "connect grace of our bindings to it"}}
NESTED_DOC = ("the host is another realm gateway, authoritative below its fqdn; null: an "
              "ordinary host")
entity("Host", {"fqdn": S, "ipv4": NADDR, "ipv6": NADDR, "pool_limit": I, "dynamic": B,
                "comment": S, "groups": arr(S), "services": arr(ref("Service")),
                "firewall": arr(ref("FirewallRule")),
                "nested": dict(obj(NESTED, ["addresses", "dns_port"]), nullable=True,
                               description=NESTED_DOC)}, ["fqdn"])
SCHEMAS["HostInput"]["properties"]["services"] = arr(ref("ServiceInput"))
SCHEMAS["HostInput"]["properties"]["firewall"] = arr(ref("FirewallRuleInput"))
SCHEMAS["HostInput"]["properties"]["nested"] = dict(obj(NESTED, ["addresses"]), nullable=True,
                                                    description=NESTED_DOC)
entity("Group", {"name": S, "comment": S, "firewall": arr(ref("FirewallRule"))}, ["name"])
SCHEMAS["GroupInput"]["properties"]["firewall"] = arr(ref("FirewallRuleInput"))
SCHEMAS["GroupMembership"] = obj({"group": S}, ["group"])
SCHEMAS["GroupRef"] = obj({"id": I, "name": S}, ["id", "name"])
SCHEMAS["GroupRefList"] = obj({"items": arr(ref("GroupRef")), "total": I}, ["items", "total"])
entity("AlgRoute", {"hostname": S, "port": PORT, "backend": S,
                    "preserve": {"type": "string",
                                 "enum": ["none", "proxy-v1", "proxy-v2", "transparent"]}},
       ["hostname", "backend"])
entity("LoadBracket", {"load_min": N, "load_max": N, "fqdn_new": UNIT, "sfqdn_new": UNIT,
                       "sfqdn_reuse": UNIT,
                       "math": {"type": "string", "enum": ["max", "min", "avg"]}}, [],
       out_optional=["id"])
ADM = {"dns_tcp": B, "dns_cname": B, "dns_tcpcname": B, "dns_cookies": B, "log_untrusted": B,
       "unknown_resolver_groups": B, "alias_ttl_ms": I,
       "cache_window_ms": {"type": "integer", "minimum": 0, "maximum": 60000,
                           "description": "how long a resolver may serve an answer from its "
                                          "cache (0: one flow per binding)"},
       "window_flows": {"type": "integer", "minimum": 1, "maximum": 1000,
                        "description": "flows a binding admits per answer within a cache "
                                       "window"}}
SCHEMAS["Admission"] = obj(dict(ADM, load_brackets=arr(ref("LoadBracket"))),
                           sorted(list(ADM) + ["load_brackets"]))
SCHEMAS["AdmissionInput"] = obj(dict(ADM, load_brackets=arr(ref("LoadBracketInput"))))
entity("ResolverGroup", {"name": S, "initial_reputation": UNIT, "sla": B, "nodes": arr(S),
                         "parent": {"type": "boolean", "description":
                                    "the nodes are our parent gateways: their ECI is trusted, "
                                    "their ALG connections carry a PROXY header"},
                         "cache_window_ms": nullable({"type": "integer", "minimum": 0,
                                                      "maximum": 60000,
                                                      "description": "the group's cache "
                                                      "window; null: learned from its "
                                                      "behaviour"})},
       ["name"])
entity("ResolverNode", {"prefix": S}, ["prefix"])

WINDOW = obj({"initial": UNIT, "ok": I, "nok": I, "neutral": I},
             ["initial", "ok", "nok", "neutral"])
REP_COMMON = {"kind": {"type": "string", "enum": ["resolver_group", "requestor", "host"]},
              "key": S, "value": UNIT, "prior": UNIT, "override": nullable(UNIT),
              "periods": I}
SCHEMAS["ReputationLive"] = obj(
    dict(REP_COMMON, sla=B, ok=I, nok=I, trusted=I, untrusted=I, live={"type": "boolean",
                                                                       "enum": [True]}),
    sorted(list(REP_COMMON) + ["sla", "ok", "nok", "live"]))
SCHEMAS["ReputationLive"]["description"] = ("the running engine's view (trusted/untrusted: "
                                            "resolver groups only)")
SCHEMAS["ReputationStored"] = obj(
    dict(REP_COMMON, previous=WINDOW, current=WINDOW, updated_ms=MS,
         live={"type": "boolean", "enum": [False]}),
    sorted(list(REP_COMMON) + ["previous", "current", "updated_ms"]))
SCHEMAS["ReputationStored"]["description"] = "persisted state of an entity the engine lacks"
SCHEMAS["Reputation"] = {"oneOf": [ref("ReputationLive"), ref("ReputationStored")]}
SCHEMAS["ReputationList"] = obj({"items": arr(ref("Reputation")), "total": I},
                                ["items", "total"])
SCHEMAS["ReputationOverride"] = obj({"override": nullable(UNIT)}, ["override"])

BINDING = {"id": I, "public": ADDR, "protocol": S, "port": I, "host": S, "private": ADDR,
           "resolver": ADDR, "sla": B,
           "expires_ms": {"type": "integer", "description": "ms until it expires"},
           "answered": {"type": "string", "enum": ["address", "service-info", "srv-target",
                                                   "unknown"]},
           "window_ms": {"type": "integer", "description": "the resolver's cache window"},
           "flows": I, "flow_limit": I, "answers": I, "no_evidence": B,
           "requestor": {"type": "string", "description": "prefix"}}
SCHEMAS["Binding"] = obj(BINDING, sorted(k for k in BINDING if k != "requestor"))
SCHEMAS["BindingList"] = obj({"items": arr(ref("Binding")), "total": I}, ["items", "total"])
WINDOW_ENT = {"entity": {"type": "string", "description": "resolver group or resolver"},
              "state": {"type": "string",
                        "enum": ["learning", "caching", "lowered", "pinned", "off"]},
              "window_ms": I, "coalesce": B, "clean": I, "cached": I, "clean_p25_ms": I,
              "cached_max_ms": I}
SCHEMAS["CacheWindow"] = obj(WINDOW_ENT, sorted(WINDOW_ENT))
SCHEMAS["CacheWindowList"] = obj({"items": arr(ref("CacheWindow")), "total": I},
                                 ["items", "total"])
BLOCK = {"address": ADDR,
         "reason": {"type": "string",
                    "description": "the alert that (last) blocked it: sid and signature"},
         "alerts": {"type": "integer", "description": "alerts that blocked it"},
         "blocked_ms": {"type": "integer", "description": "blocked this long ago"},
         "expires_ms": {"type": "integer", "description": "time left"},
         "expires_at": {"type": "integer", "description": "end of the block, UNIX epoch in ms"}}
SCHEMAS["Block"] = obj(BLOCK, sorted(BLOCK))
SCHEMAS["BlockList"] = obj({"items": arr(ref("Block")), "total": I}, ["items", "total"])
SCHEMAS["Status"] = obj({
    "version": S, "uptime_s": I, "started_ms": MS,
    "api": COUNTERS,
    "policy": {"type": "object", "description": "the policy in force: its ETag (as GET "
               "/bundle gives it) and its row counts",
               "properties": {"etag": S}, "required": ["etag"],
               "additionalProperties": {"type": "integer"}},
    "subsystems": {"type": "object", "description": "counters of each running subsystem "
                   "(dns, nat, alg, reputation, aliases, rejected_sources)",
                   "additionalProperties": {"type": "object"},
                   "properties": {
                       "dns": COUNTERS, "nat": COUNTERS, "alg": COUNTERS,
                       "reputation": COUNTERS, "aliases": COUNTERS,
                       "rejected_sources": obj({"sources": I, "busiest": arr(obj(
                           {"source": ADDR, "packets": I, "records": I},
                           ["source", "packets", "records"]))}, ["sources", "busiest"])}}},
    ["version", "uptime_s", "started_ms", "api", "policy", "subsystems"])
ETAG_OF = {"type": "string", "nullable": True,
           "description": "for a policy change, the policy's ETag before (after) it; "
           "null otherwise"}
SCHEMAS["AuditLine"] = obj({"id": I, "ts_ms": MS, "actor": S, "action": S, "resource": S,
                            "detail": S, "etag_before": ETAG_OF, "etag_after": ETAG_OF,
                            "tenant": nullable(dict(S, description="the tenant whose token "
                                                    "wrote it; null: the operator's"))},
                           ["id", "ts_ms", "actor", "action", "resource", "detail",
                            "etag_before", "etag_after", "tenant"])
SCHEMAS["AuditList"] = obj({"items": arr(ref("AuditLine"))}, ["items"])
TOKEN_INFO = {"name": S, "role": {"type": "string", "enum": ["ro", "rw"]}, "created_ms": MS,
              "expires_ms": nullable(dict(MS, description="ms since the epoch; null: never")),
              "last_used_ms": nullable(dict(MS, description="noted at most once a minute; "
                                                            "null: never used")),
              "expired": B}
SCHEMAS["TokenInfo"] = obj(TOKEN_INFO, sorted(TOKEN_INFO))
SCHEMAS["TokenList"] = obj({"items": arr(ref("TokenInfo")), "total": I}, ["items", "total"])
SCHEMAS["Token"] = obj(dict(TOKEN_INFO, secret={
    "type": "string", "description": "shown in this answer only; the store keeps a salted "
                                     "hash"}), sorted(list(TOKEN_INFO) + ["secret"]))
SCHEMAS["TokenRequest"] = obj({"name": S, "role": {"type": "string", "enum": ["ro", "rw"],
                                                   "default": "rw"},
                               "expires_in": nullable({"type": "integer", "minimum": 1,
                                                       "maximum": 315360000,
                                                       "description": "seconds from now; "
                                                       "absent or null: never expires"})},
                              ["name"])
HA_COUNTERS = ["commits_sent", "commits_applied", "full_syncs", "resyncs", "auth_failures",
               "apply_failures", "empty_refused", "digest_mismatches", "role_changes",
               "connects", "last_apply_us", "last_role_change_ms", "reputation_sent",
               "reputation_applied", "tokens_sent", "tokens_applied", "tls_failures"]
HA_ROLE = {"type": "string", "enum": ["active", "standby"]}
SCHEMAS["Ha"] = obj({
    "role": HA_ROLE,
    "peer": {"type": "string", "description": "the peer's API URL ([ha] peer_api) or its "
                                              "channel address"},
    "channel": {"type": "string", "enum": ["up", "down"]},
    "tls": {"type": "string", "enum": ["on", "off"],
            "description": "whether the policy channel runs TLS ([ha] tls)"},
    "tls_last_failure": {"type": "string", "description": "why the last TLS handshake with "
                         "the peer failed (a refused certificate, an alert, a plain peer); "
                         "empty when none did"},
    "digest": {"type": "string", "description": "digest of the policy in force (the chain "
                                                "the standby follows)"},
    "followers": arr(obj({"address": S, "digest": S, "in_sync": B},
                         ["address", "digest", "in_sync"])),
    "counters": obj({k: I for k in HA_COUNTERS}, HA_COUNTERS)},
    ["role", "peer", "channel", "tls", "tls_last_failure", "digest", "followers", "counters"])
SCHEMAS["Ha"]["description"] = "The HA pair on this node (docs/ha.md)."
SCHEMAS["HaRole"] = obj({"role": HA_ROLE}, ["role"])
TENANT = {"domains": {"type": "array", "minItems": 1, "maxItems": 16, "items": S,
                      "description": "subtrees of the forward zones: its session names and "
                                     "their services lie there"},
          "session_rate": {"type": "integer", "minimum": 0, "maximum": 1000000,
                           "description": "session names per second, 0: no limit"},
          "tokens": {"type": "array", "maxItems": 16, "items": S,
                     "description": "API tokens (by name) that act for this tenant alone: "
                                    "they reach its /tenants/{tenant} resources (and cannot "
                                    "change it: 403), its own hosts, services, groups, "
                                    "firewall rules and ALG routes, and its audit lines; "
                                    "anything else is 404"},
          "realm": {"type": "array", "maxItems": 16,
                    "items": {"type": "string", "description": "address prefix"},
                    "description": "the addresses its hosts and ALG route backends may use "
                                   "(empty: none)"},
          "quotas": obj({k: {"type": "integer", "minimum": 0, "maximum": 1000000,
                             "description": d + ", 0: no limit"}
                         for k, d in (("hosts", "hosts"), ("services", "services"),
                                      ("alg_routes", "ALG routes"),
                                      ("pool", "pool addresses its hosts may hold at once "
                                               "(the sum of their pool_limit)"))},
                        ["alg_routes", "hosts", "pool", "services"])}
SCHEMAS["Tenant"] = obj(dict(TENANT, name=S), sorted(list(TENANT) + ["name"]))
SCHEMAS["TenantInput"] = obj(dict(TENANT, quotas={k: v for k, v in TENANT["quotas"].items()
                                                  if k != "required"}),
                             ["domains"])
SCHEMAS["TenantList"] = obj({"items": arr(ref("Tenant"))}, ["items"])
SCHEMAS["SessionRequest"] = obj({
    "service": {"type": "string", "description": "fqdn of a service of the policy"},
    "ttl": nullable({"type": "integer", "minimum": 1, "maximum": 604800, "default": 300,
                     "description": "seconds until the name ends"}),
    "max_resolutions": nullable({"type": "integer", "minimum": 0, "default": 0,
                                 "description": "A/AAAA answers allowed, 0: no limit"}),
    "domain": {"type": "string", "description": "where the name is made, in a forward zone; "
                                                "default: the service's parent domain"}},
    ["service"])
SESSION = {"name": S, "tenant": S, "service": S, "created_ms": MS,
           "expires_ms": dict(MS, description="its deadline, ms since the epoch"),
           "ended_ms": nullable(dict(MS, description="when DELETE ended it; null: not "
                                                     "ended")),
           "max_resolutions": I, "resolutions": I,
           "state": {"type": "string", "enum": ["live", "ended"]}}
SCHEMAS["Session"] = obj(SESSION, sorted(SESSION))
SCHEMAS["Bundle"] = {"type": "object", "required": ["version"],
                     "properties": {"version": {"type": "integer", "enum": [1]}},
                     "description": "The whole policy (docs/policy.md, \"Policy bundles\")."}
SCHEMAS["OpenApi"] = {"type": "object", "required": ["openapi", "info", "paths"],
                      "properties": {"openapi": S}}
SCHEMAS["Error"] = obj({
    "error": {"type": "string", "enum": [
        "invalid", "unauthorized", "forbidden", "not_found", "method_not_allowed",
        "conflict", "precondition_failed", "payload_too_large", "unsupported_media_type",
        "precondition_required", "rate_limited", "unavailable", "internal", "error"]},
    "message": S, "field": nullable(S)}, ["error", "message", "field"])


def err(desc):
    return {"description": desc, "content": {"application/json": {"schema": ref("Error")}}}


RESPONSES = {
    "400": err("invalid request: a body, parameter or path that does not parse or "
               "validate; field names it"),
    "401": err("no bearer token, an unknown or revoked one, or an expired one; or a client "
               "certificate refused (untrusted, revoked, naming no token)"),
    "403": err("the token is read-only and the operation writes, or a tenant's token writes "
               "across its domains or realm or over its quotas (the message says which)"),
    "404": err("no such resource (or no such parent)"),
    "405": err("the path exists, but not with this method; Allow lists the methods"),
    "409": err("the change conflicts with the policy (a name taken, a row still "
               "referenced)"),
    "412": err("If-Match does not match the current representation"),
    "413": err("request body larger than [api] max_body"),
    "415": err("request body is not application/json (merge-patch+json for PATCH)"),
    "429": err("rate limited: Retry-After says when to come back"),
    "default": err("any other failure (500 internal, 503 a subsystem not running)"),
}
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


def op(opid, method, path, summary, schema=None, body=None, status=200, tag="policy",
       public=False, list_=False, write=False, ctype="application/json", etag=True,
       errors=()):
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
    o = {"operationId": opid, "summary": summary, "tags": [tag], "responses": {}}
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
    codes = ["405", "default"]
    if not public:
        codes += ["401", "429"]
    if write:
        codes += ["400", "403", "409", "412", "413", "415"]
    if list_ or "{" in path or opid in ("listReputation", "getAudit"):
        codes.append("400")
    if "{" in path:
        codes.append("404")
    codes += [c for c in errors if c not in codes]
    for c in codes:
        r[c] = {"$ref": "#/components/responses/" + ("Error" + c if c != "default"
                                                       else "ErrorDefault")}
    paths.setdefault(path, {})[method.lower()] = o


def crud(coll, item, schema, one, many, tag, put=True, patch=True):
    op("list" + many, "GET", coll, "list " + many.lower(), schema + "List", tag=tag,
       list_=True)
    op("create" + one, "POST", coll, "create a " + one.lower(), schema, schema + "Input", 201,
       tag=tag, write=True)
    op("get" + one, "GET", item, "show a " + one.lower(), schema, tag=tag)
    if put:
        op("replace" + one, "PUT", item, "replace a " + one.lower(), schema,
           schema + "Input", tag=tag, write=True)
    if patch:
        op("update" + one, "PATCH", item, "update part of a " + one.lower(), schema,
           schema + "Input", tag=tag, write=True)
    op("delete" + one, "DELETE", item, "delete a " + one.lower(), status=204, tag=tag,
       write=True)


crud(V1 + "/zones", V1 + "/zones/{zone}", "Zone", "Zone", "Zones", "zones")
crud(V1 + "/zones/{zone}/nameservers", V1 + "/zones/{zone}/nameservers/{ns}", "Nameserver",
     "Nameserver", "Nameservers", "zones")
crud(V1 + "/service-addresses", V1 + "/service-addresses/{addr}", "ServiceAddress",
     "ServiceAddress", "ServiceAddresses", "addresses")
crud(V1 + "/pool-addresses", V1 + "/pool-addresses/{addr}", "PoolAddress", "PoolAddress",
     "PoolAddresses", "addresses", put=False, patch=False)
crud(V1 + "/hosts", V1 + "/hosts/{host}", "Host", "Host", "Hosts", "hosts")
crud(V1 + "/hosts/{host}/services", V1 + "/hosts/{host}/services/{service}", "Service",
     "Service", "Services", "hosts")
crud(V1 + "/hosts/{host}/firewall", V1 + "/hosts/{host}/firewall/{rule}", "FirewallRule",
     "HostFirewallRule", "HostFirewallRules", "hosts")
op("listHostGroups", "GET", V1 + "/hosts/{host}/groups", "list the groups of a host",
   "GroupRefList", tag="hosts")
op("addHostGroup", "POST", V1 + "/hosts/{host}/groups", "add a host to a group",
   "GroupRef", "GroupMembership", 201, tag="hosts", write=True)
op("removeHostGroup", "DELETE", V1 + "/hosts/{host}/groups/{group}",
   "remove a host from a group", status=204, tag="hosts", write=True)
crud(V1 + "/groups", V1 + "/groups/{group}", "Group", "Group", "Groups", "groups")
crud(V1 + "/groups/{group}/firewall", V1 + "/groups/{group}/firewall/{rule}", "FirewallRule",
     "GroupFirewallRule", "GroupFirewallRules", "groups")
crud(V1 + "/alg-routes", V1 + "/alg-routes/{route}", "AlgRoute", "AlgRoute", "AlgRoutes",
     "alg")
op("getAdmission", "GET", V1 + "/admission", "show the admission policy", "Admission",
   tag="admission")
op("replaceAdmission", "PUT", V1 + "/admission", "replace the admission policy", "Admission",
   "AdmissionInput", tag="admission", write=True)
op("updateAdmission", "PATCH", V1 + "/admission", "update part of the admission policy",
   "Admission", "AdmissionInput", tag="admission", write=True)
crud(V1 + "/admission/brackets", V1 + "/admission/brackets/{bracket}", "LoadBracket",
     "LoadBracket", "LoadBrackets", "admission")
crud(V1 + "/resolver-groups", V1 + "/resolver-groups/{rgroup}", "ResolverGroup",
     "ResolverGroup", "ResolverGroups", "reputation")
op("listResolverNodes", "GET", V1 + "/resolver-groups/{rgroup}/nodes",
   "list the nodes of a resolver group", "ResolverNodeList", tag="reputation", list_=True)
op("createResolverNode", "POST", V1 + "/resolver-groups/{rgroup}/nodes",
   "add a node to a resolver group", "ResolverNode", "ResolverNodeInput", 201,
   tag="reputation", write=True)
op("getResolverNode", "GET", V1 + "/resolver-groups/{rgroup}/nodes/{node+}",
   "show a resolver node", "ResolverNode", tag="reputation")
op("deleteResolverNode", "DELETE", V1 + "/resolver-groups/{rgroup}/nodes/{node+}",
   "remove a resolver node", status=204, tag="reputation", write=True)
op("listReputation", "GET", V1 + "/reputation",
   "list reputation (live when the engine runs, else persisted)", "ReputationList",
   tag="reputation")
op("getReputation", "GET", V1 + "/reputation/{kind}/{key+}",
   "show the reputation of an entity", "Reputation", tag="reputation")
op("setReputationOverride", "PUT", V1 + "/reputation/{kind}/{key+}",
   "set or clear an administrative override", "Reputation", "ReputationOverride",
   tag="reputation", write=True)
op("resetReputation", "DELETE", V1 + "/reputation/{kind}/{key+}",
   "reset the reputation of an entity", status=204, tag="reputation", write=True)
op("listBindings", "GET", V1 + "/bindings", "list live circular-pool bindings",
   "BindingList", tag="system", etag=False)
op("listCacheWindows", "GET", V1 + "/cache-windows", "list the resolver cache windows",
   "CacheWindowList", tag="system", etag=False)
op("listBlocks", "GET", V1 + "/blocks",
   "list the sources blocked after IDS alerts, with their expiry", "BlockList",
   tag="defence", etag=False)
op("deleteBlock", "DELETE", V1 + "/blocks/{addr}", "lift the block of a source at once",
   status=204, tag="defence", write=True)
op("exportBundle", "GET", V1 + "/bundle", "export the whole policy", "Bundle", tag="system")
paths[V1 + "/bundle"]["get"]["description"] = (
    "A tenant's token gets its part: its hosts, services, groups, firewall rules and ALG "
    "routes.")
op("importBundle", "PUT", V1 + "/bundle", "replace the whole policy atomically", "Bundle",
   "Bundle", tag="system", write=True)
op("getStatus", "GET", V1 + "/status", "version, uptime and counters per subsystem",
   "Status", tag="system", etag=False)
op("getHa", "GET", V1 + "/ha", "the HA pair's state on this node (404 without [ha] enable)",
   "Ha", tag="system", etag=False, errors=["404"])
op("setHaRole", "PUT", V1 + "/ha/role",
   "set this node's HA role (keepalived's notify script; 404 without [ha] enable)", "Ha",
   "HaRole", tag="system", write=True, etag=False, errors=["404"])
op("getAudit", "GET", V1 + "/audit", "read the audit log, newest first", "AuditList",
   tag="system", etag=False)
op("listTokens", "GET", V1 + "/tokens", "list API tokens (never a secret)", "TokenList",
   tag="system", etag=False)
op("getToken", "GET", V1 + "/tokens/{token}", "show an API token", "TokenInfo", tag="system",
   etag=False)
op("createToken", "POST", V1 + "/tokens",
   "create an API token (the secret is in the answer only)", "Token", "TokenRequest", 201,
   tag="system", write=True)
op("deleteToken", "DELETE", V1 + "/tokens/{token}", "revoke an API token", status=204,
   tag="system", write=True)
op("listTenants", "GET", V1 + "/tenants", "list tenants", "TenantList", tag="sessions",
   etag=False)
op("getTenant", "GET", V1 + "/tenants/{tenant}", "show a tenant", "Tenant", tag="sessions")
op("putTenant", "PUT", V1 + "/tenants/{tenant}", "create (201) or replace (200) a tenant",
   "Tenant", "TenantInput", tag="sessions", write=True)
paths[V1 + "/tenants/{tenant}"]["put"]["responses"]["201"] = \
    paths[V1 + "/tenants/{tenant}"]["put"]["responses"]["200"]
op("deleteTenant", "DELETE", V1 + "/tenants/{tenant}", "delete a tenant", status=204,
   tag="sessions", write=True)
op("createSession", "POST", V1 + "/tenants/{tenant}/sessions", "issue a one-time session name",
   "Session", "SessionRequest", 201, tag="sessions", write=True, etag=False)
op("getSession", "GET", V1 + "/tenants/{tenant}/sessions/{session}", "show a session name",
   "Session", tag="sessions", etag=False)
op("endSession", "DELETE", V1 + "/tenants/{tenant}/sessions/{session}",
   "end a session name now", status=204, tag="sessions", write=True)
op("getOpenApi", "GET", V1 + "/openapi.json", "this document", "OpenApi", tag="system",
   public=True, etag=False)
op("getMetrics", "GET", "/metrics", "Prometheus text-format metrics", "text", tag="system",
   ctype="text/plain", etag=False)

# {name+} is our router's "rest of the path" parameter; OpenAPI paths name it {name}.
paths = {k.replace("+}", "}"): v for k, v in paths.items()}

doc = {
    "openapi": "3.0.3",
    "info": {"title": "rgwd REST policy API", "version": "1",
             "description": "Policy of the Realm Gateway daemon. Every write is validated, "
                            "committed in one transaction, applied to DNS, NAT and the ALG, "
                            "and only then answered. Every error answer is an Error object. "
                            "See docs/api.md."},
    "servers": [{"url": "http://127.0.0.1:8080"}],
    "security": [{"bearer": []}],
    "paths": paths,
    "components": {"securitySchemes": {"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "An API token. Over HTTPS with [api] tls_client_ca set, a client "
                       "certificate that CA signed may stand instead: it acts as the token its "
                       "subject CN or a SAN names (docs/api.md, \"Client certificates\")."}},
                   "responses": {("Error" + c if c != "default" else "ErrorDefault"): v
                                 for c, v in RESPONSES.items()},
                   "schemas": SCHEMAS},
}
print(json.dumps(doc, indent=1, sort_keys=True))
