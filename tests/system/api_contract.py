#!/usr/bin/python3
# tests/system/api_contract.py BASE_URL RW_TOKEN RO_TOKEN OPENAPI_JSON -- walk every operation
# that api/openapi.json documents against a live rgwd (urllib, a real HTTP client), with a
# success case each and the error cases a client meets (401 no token, 403 read-only token,
# 404 unknown key, 400 bad body or bad ?limit=, 405 a method the path does not serve, 409
# duplicate, 412 stale If-Match, 413 too large, 415 wrong content type), and validate every
# answer against the document with a JSON Schema validator (python3-jsonschema): the status
# must be documented for the operation, the body must match its schema (an empty body where
# none is documented). Fails on any mismatch and on any operation whose success answer was
# never seen. Prints "N passed, N failed".
import copy
import http.client
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import jsonschema

base, TOK, RO, docpath = sys.argv[1:5]
DOC = json.load(open(docpath))
PASSED = 0
FAILED = 0
seen = {}  # (template, method) -> set of statuses validated


def ok(msg):
    global PASSED
    PASSED += 1
    print("ok - " + msg)


def fail(msg):
    global FAILED
    FAILED += 1
    print("FAIL - " + msg)


# --- OpenAPI 3.0 schema -> JSON Schema (draft 7): "nullable" becomes a null alternative
def conv(s):
    if isinstance(s, list):
        return [conv(x) for x in s]
    if not isinstance(s, dict):
        return s
    s = {k: conv(v) for k, v in s.items()}
    if s.pop("nullable", False):
        return {"anyOf": [s, {"type": "null"}]}
    return s


ROOT = conv(copy.deepcopy(DOC))
RESOLVER = jsonschema.RefResolver.from_schema(ROOT)


def deref(o):
    while isinstance(o, dict) and "$ref" in o:
        o = RESOLVER.resolve(o["$ref"])[1]
    return o


TEMPLATES = []
for tmpl in DOC["paths"]:
    esc = re.escape(tmpl)
    esc = re.sub(r"\\\{(node|key)\\\}", "(.+)", esc)
    esc = re.sub(r"\\\{[a-z]+\\\}", "([^/]+)", esc)
    rx = "^" + esc + "$"
    TEMPLATES.append((tmpl, re.compile(rx)))


def template_of(path):
    p = path.split("?")[0]
    hits = [t for t, rx in TEMPLATES if rx.match(p)]
    # the most literal template wins (/hosts/{host}/groups over a catch-all)
    hits.sort(key=lambda t: -len(re.sub(r"\{[^}]*\}", "", t)))
    return hits[0] if hits else None


def call(method, path, body=None, token="rw", ctype="application/json", headers=None,
         raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                        else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    tk = {"rw": TOK, "ro": RO, None: None}.get(token, token)
    if tk:
        req.add_header("Authorization", "Bearer " + tk)
    if data is not None:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def call_declared(method, path, length):
    """A request that announces a body of length bytes and sends none: the API refuses it
    on the headers alone (413), before a client would have sent megabytes."""
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.putrequest(method, path)
    c.putheader("Authorization", "Bearer " + TOK)
    c.putheader("Content-Type", "application/json")
    c.putheader("Content-Length", str(length))
    c.endheaders()
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read())
    c.close()
    return out


def check(method, path, status, hdrs, raw, expect=None, what=""):
    """Validate one answer against the document; returns the parsed JSON body (or None)."""
    tmpl = template_of(path)
    label = "%s %s -> %d%s" % (method, path, status, (" (" + what + ")") if what else "")
    if tmpl is None:
        fail(label + ": path not in the document")
        return None
    if expect is not None and status != expect:
        fail("%s: expected %d, body %s" % (label, expect, raw[:300]))
        return None
    op = DOC["paths"][tmpl].get(method.lower())
    if op is None:
        # not an operation: the answer must be the documented 405 of the path
        if status != 405:
            fail(label + ": a method the path does not serve must get 405")
            return None
        resp = deref(DOC["components"]["responses"]["Error405"])
    else:
        resp = op["responses"].get(str(status))
        if resp is None and status >= 400:
            resp = op["responses"].get("default")
        if resp is None:
            fail("%s: status %d is not documented for %s %s" % (label, status, method, tmpl))
            return None
        resp = deref(resp)
    content = resp.get("content")
    ctype = (hdrs.get("Content-Type") or hdrs.get("content-type") or "").split(";")[0]
    body = None
    if not content:
        if raw:
            fail("%s: documented without a body, got %r" % (label, raw[:100]))
            return None
    elif ctype not in content:
        fail("%s: content type %r not documented (%s)" % (label, ctype, list(content)))
        return None
    elif ctype == "application/json":
        try:
            body = json.loads(raw)
        except ValueError as e:
            fail("%s: not JSON: %s" % (label, e))
            return None
        schema = conv(content[ctype]["schema"])
        errors = sorted(jsonschema.Draft7Validator(schema, resolver=RESOLVER)
                        .iter_errors(body), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            fail("%s: does not match %s at %s: %s" % (
                label, content[ctype]["schema"].get("$ref", "schema"),
                "/".join(str(x) for x in e.absolute_path) or "(top)", e.message[:300]))
            return None
    elif not raw:
        fail(label + ": empty body")
        return None
    seen.setdefault((tmpl, method.upper() if op else "405"), set()).add(status)
    ok(label)
    return body


def do(method, path, body=None, expect=None, what="", **kw):
    st, h, raw = call(method, path, body, **kw)
    return check(method, path, st, h, raw, expect, what), st, h


def strip_ids(v):
    if isinstance(v, dict):
        return {k: strip_ids(x) for k, x in v.items() if k != "id"}
    if isinstance(v, list):
        return [strip_ids(x) for x in v]
    return v


V = "/api/v1"
# collection, create body, patch body, item key from the created row, put?
RES = [
    (V + "/zones", {"name": "walk.example", "kind": "forward",
                    "nameservers": [{"name": "ns1.walk.example", "ipv4": "192.0.2.53"}]},
     {"ttl": 120}, "name", True),
    (V + "/zones/walk.example/nameservers", {"name": "ns2.walk.example", "ipv4": "192.0.2.54"},
     {"ipv6": "2001:db8::54"}, "name", True),
    (V + "/service-addresses", {"address": "100.64.1.150", "comment": "walk"},
     {"comment": "walked"}, "address", True),
    (V + "/pool-addresses", {"address": "100.64.1.160"}, None, "address", False),
    (V + "/hosts", {"fqdn": "walk.gwa.demo", "ipv4": "192.168.0.222"},
     {"comment": "walked"}, "fqdn", True),
    (V + "/hosts/walk.gwa.demo/services", {"fqdn": "ssh.walk.gwa.demo", "protocol": "tcp",
                                           "port": 22}, {"binding_timeout_ms": 3000},
     "fqdn", True),
    (V + "/hosts/walk.gwa.demo/firewall", {"direction": "ingress", "protocol": "tcp",
                                           "dport": 22, "action": "accept", "priority": 5},
     {"priority": 6}, "id", True),
    (V + "/groups", {"name": "walkers", "comment": "walk"}, {"comment": "walked"}, "name",
     True),
    (V + "/groups/walkers/firewall", {"direction": "egress", "protocol": "udp", "dport": 53,
                                      "action": "drop"}, {"priority": 7}, "id", True),
    (V + "/alg-routes", {"hostname": "walk.gwa.demo", "backend": "192.168.0.222:443",
                         "port": 443}, {"preserve": "proxy-v2"}, "id", True),
    (V + "/resolver-groups", {"name": "walkers", "initial_reputation": 0.5,
                              "nodes": ["198.51.100.0/24"]}, {"sla": False}, "name", True),
]


def walk_crud():
    created = []
    for coll, cbody, pbody, key, put in RES:
        lst, _, _ = do("GET", coll + "?limit=5", expect=200, what="list")
        do("GET", coll + "?limit=abc", expect=400, what="bad limit")
        do("GET", coll + "?limit=20000", expect=400, what="limit out of range")
        row, st, h = do("POST", coll, cbody, expect=201, what="create")
        if row is None:
            continue
        k = str(row[key])
        item = coll + "/" + urllib.request.quote(k, safe=":")
        created.append(item)
        if key != "id" or "alg-routes" in coll:
            do("POST", coll, cbody, expect=409, what="duplicate")
        do("POST", coll, {"no_such_key": 1}, expect=400, what="unknown key")
        do("POST", coll, raw=b"{not json", expect=400, what="not JSON")
        do("POST", coll, raw=b"<x/>", ctype="application/xml", expect=415,
           what="not JSON content type")
        st, h, raw = call_declared("POST", coll, 4 << 20)
        check("POST", coll, st, h, raw, 413, "too large")
        do("POST", coll, cbody, token="ro", expect=403, what="read-only token")
        do("POST", coll, cbody, token=None, expect=401, what="no token")
        do("GET", coll, token="rgw_" + "0" * 64, expect=401, what="unknown token")
        cur, st, h = do("GET", item, expect=200, what="show")
        if cur is None:
            continue
        etag = h.get("ETag") or h.get("Etag")
        do("GET", coll + "/999999", expect=404, what="unknown id")
        do("GET", item, token=None, expect=401, what="no token")
        if put:
            body = strip_ids(cur)
            do("PUT", item, body, expect=200, what="replace",
               headers={"If-Match": etag} if etag else None)
            do("PUT", item, body, expect=412, what="stale If-Match",
               headers={"If-Match": "\"0000\""})
            do("PUT", item, {"no_such_key": 1}, expect=400, what="unknown key")
            do("PUT", coll + "/999999", body, expect=404, what="unknown id")
            do("PUT", item, body, token="ro", expect=403, what="read-only token")
            do("PATCH", item, pbody, expect=200, what="update part")
            do("PATCH", item, pbody, ctype="application/merge-patch+json", expect=200,
               what="merge patch")
            do("PATCH", item, raw=b"x", ctype="text/plain", expect=415, what="text body")
            do("PATCH", coll + "/999999", pbody, expect=404, what="unknown id")
        else:
            do("PUT", item, {"address": "100.64.1.161"}, expect=405, what="no PUT here")
            do("PATCH", item, {"address": "100.64.1.161"}, expect=405, what="no PATCH here")
        do("DELETE", coll + "/999999", expect=404, what="unknown id")
        do("DELETE", item, token="ro", expect=403, what="read-only token")
    return created


def walk_special():
    H = V + "/hosts/walk.gwa.demo/groups"
    do("GET", H, expect=200, what="host groups")
    do("POST", H, {"group": "walkers"}, expect=201, what="join")
    do("POST", H, {"group": "nosuch"}, what="unknown group")
    do("POST", H, {"grp": "x"}, expect=400, what="bad body")
    do("GET", V + "/hosts/nosuch.gwa.demo/groups", expect=404, what="unknown host")
    do("DELETE", H + "/walkers", expect=204, what="leave")
    do("DELETE", H + "/walkers", what="not a member")
    do("PUT", H, {"group": "walkers"}, expect=405, what="no PUT here")

    # resolver nodes (the key contains a '/')
    N = V + "/resolver-groups/walkers/nodes"
    do("GET", N, expect=200, what="nodes")
    do("GET", N + "?limit=-1", expect=400, what="bad limit")
    do("POST", N, {"prefix": "198.51.101.0/24"}, expect=201, what="add node")
    do("POST", N, {"prefix": "not a prefix"}, expect=400, what="bad prefix")
    do("GET", N + "/198.51.101.0/24", expect=200, what="show node")
    do("GET", N + "/203.0.113.0/24", expect=404, what="unknown node")
    do("DELETE", N + "/198.51.101.0/24", expect=204, what="remove node")
    do("PATCH", N + "/198.51.100.0/24", {"prefix": "x"}, expect=405, what="no PATCH here")

    # admission and brackets
    A = V + "/admission"
    adm, _, h = do("GET", A, expect=200, what="admission")
    if adm:
        do("PUT", A, strip_ids(adm), expect=200, what="replace admission")
        do("PUT", A, {"dns_tcp": "yes"}, expect=400, what="wrong type")
        do("PATCH", A, {"alias_ttl_ms": 6000}, expect=200, what="update admission")
        do("PUT", A, strip_ids(adm), expect=412, headers={"If-Match": "\"0\""},
           what="stale If-Match")
        do("DELETE", A, expect=405, what="no DELETE here")
    Bk = V + "/admission/brackets"
    lst, _, _ = do("GET", Bk, expect=200, what="brackets")
    do("GET", Bk + "?offset=x", expect=400, what="bad offset")
    if lst and lst["items"]:
        last = lst["items"][-1]
        do("DELETE", Bk + "/%d" % last["id"], expect=204, what="delete bracket")
        new, _, _ = do("POST", Bk, strip_ids(last), expect=201, what="create bracket")
        if new:
            item = Bk + "/%d" % new["id"]
            cur, _, _ = do("GET", item, expect=200, what="show bracket")
            do("PUT", item, strip_ids(cur), expect=200, what="replace bracket")
            do("PATCH", item, {"math": "avg"}, expect=200, what="update bracket")
            do("PATCH", item, {"math": "median"}, expect=400, what="bad enum")
            do("GET", Bk + "/999999", expect=404, what="unknown bracket")

    # reputation
    R = V + "/reputation"
    do("GET", R, expect=200, what="reputation")
    do("GET", R + "?kind=resolver_group", expect=200, what="by kind")
    do("GET", R + "?kind=planet", expect=400, what="unknown kind")
    do("GET", R + "/resolver_group/router", expect=200, what="one entity")
    do("GET", R + "/planet/x", expect=404, what="unknown kind")
    do("GET", R + "/requestor/203.0.113.0/24", expect=404, what="no evidence")
    do("PUT", R + "/resolver_group/router", {"override": 0.25}, expect=200, what="override")
    do("PUT", R + "/resolver_group/router", {"override": 2}, expect=400, what="out of range")
    do("PUT", R + "/resolver_group/router", {"override": None}, expect=200, what="clear")
    do("DELETE", R + "/resolver_group/router", expect=204, what="reset")
    do("DELETE", R + "/resolver_group/router", token="ro", expect=403, what="read-only")
    do("POST", R, {}, expect=405, what="no POST here")

    # system
    do("GET", V + "/bindings", expect=200, what="bindings")
    do("GET", V + "/cache-windows", expect=200, what="cache windows")
    do("GET", V + "/blocks", expect=200, what="blocked sources")
    do("DELETE", V + "/blocks/198.51.100.7", token="ro", expect=403, what="read-only")
    do("DELETE", V + "/blocks/198.51.100.7", expect=204, what="lift a block")
    do("DELETE", V + "/blocks/198.51.100.7", expect=404, what="not blocked any more")
    do("DELETE", V + "/blocks/not-an-address", expect=400, what="not an address")
    do("POST", V + "/cache-windows", {}, expect=405, what="no POST here")
    do("GET", V + "/status", expect=200, what="status")
    do("POST", V + "/status", {}, expect=405, what="no POST here")
    do("GET", V + "/status", token=None, expect=401, what="no token")
    do("GET", V + "/audit", expect=200, what="audit")
    do("GET", V + "/audit?limit=2", expect=200, what="audit limit")
    do("GET", V + "/audit?limit=zz", expect=400, what="bad limit")
    do("GET", V + "/tokens", expect=200, what="tokens")
    do("GET", V + "/tokens", token="ro", expect=200, what="tokens, read-only token")
    do("POST", V + "/tokens", {"name": "walk", "role": "ro", "expires_in": 3600}, expect=201,
       what="create token")
    do("POST", V + "/tokens", {"name": "walk"}, expect=409, what="duplicate")
    do("POST", V + "/tokens", {"name": "walk2", "expires_in": 0}, expect=400,
       what="bad expiry")
    do("POST", V + "/tokens", {"name": "walk2"}, token="ro", expect=403, what="read-only")
    do("GET", V + "/tokens/walk", expect=200, what="show token")
    do("GET", V + "/tokens/nosuch", expect=404, what="unknown token")
    do("DELETE", V + "/tokens/walk", expect=204, what="revoke")
    do("DELETE", V + "/tokens/walk", expect=404, what="revoked already")
    do("PUT", V + "/tokens/walk", {}, expect=405, what="no PUT here")
    do("GET", V + "/openapi.json", token=None, expect=200, what="public")
    do("DELETE", V + "/openapi.json", token=None, expect=405, what="no DELETE here")
    st, h, raw = call("GET", "/metrics")
    check("GET", "/metrics", st, h, raw, 200, "metrics")
    do("GET", "/metrics", token=None, expect=401, what="no token")
    do("POST", "/metrics", {}, expect=405, what="no POST here")
    # outside the document: a path the API does not serve is a 404 Error
    st, h, raw = call("GET", V + "/nothing")
    try:
        body = json.loads(raw)
        jsonschema.Draft7Validator(ROOT["components"]["schemas"]["Error"],
                                   resolver=RESOLVER).validate(body)
        if st == 404:
            ok("GET /api/v1/nothing -> 404 with an Error body")
        else:
            fail("GET /api/v1/nothing -> %d" % st)
    except (ValueError, jsonschema.ValidationError) as e:
        fail("GET /api/v1/nothing: %s" % e)


def walk_nested():
    # a host that is a nested gateway (its "nested" object) and a parent resolver group
    H = V + "/hosts"
    body = {"fqdn": "nestwalk.gwa.demo", "ipv4": "192.168.0.230",
            "nested": {"addresses": ["192.168.0.230-192.168.0.231"], "dns_port": 5353,
                       "binding_timeout_ms": 500}}
    row, _, _ = do("POST", H, body, expect=201, what="a nested gateway")
    if row and not (row.get("nested") or {}).get("dns_port") == 5353:
        fail("POST /hosts: the nested object not answered (%s)" % row.get("nested"))
    do("POST", H, dict(body, fqdn="nestwalk2.gwa.demo", ipv4="192.168.0.232",
                       nested={"addresses": []}), expect=400, what="nested without addresses")
    do("DELETE", H + "/nestwalk.gwa.demo", expect=204, what="delete the nested gateway")
    G = V + "/resolver-groups"
    row, _, _ = do("POST", G, {"name": "parents", "parent": True, "nodes": ["203.0.113.9"]},
                   expect=201, what="a parent group")
    if row and row.get("parent") is not True:
        fail("POST /resolver-groups: parent not answered (%s)" % row)
    do("POST", G, {"name": "parents2", "parent": "yes"}, expect=400, what="parent not boolean")
    do("DELETE", G + "/parents", expect=204, what="delete the parent group")


def walk_ha():
    # this rgwd is the active node of an HA pair whose standby never comes
    do("GET", V + "/ha", expect=200, what="HA state")
    do("GET", V + "/ha", token=None, expect=401, what="no token")
    do("PUT", V + "/ha/role", {"role": "active"}, expect=200, what="set role")
    do("PUT", V + "/ha/role", {"role": "primary"}, expect=400, what="unknown role")
    do("PUT", V + "/ha/role", {"role": "active", "x": 1}, expect=400, what="unknown key")
    do("PUT", V + "/ha/role", {"role": "active"}, token="ro", expect=403, what="read-only")
    do("POST", V + "/ha", {}, expect=405, what="no POST here")


def walk_tenants():
    T = V + "/tenants"
    do("GET", T, expect=200, what="tenants")
    do("PUT", T + "/walkers", {"domains": ["gwa.demo"]}, expect=201, what="create tenant")
    do("PUT", T + "/walkers", {"domains": ["gwa.demo"], "session_rate": 100}, expect=200,
       what="replace tenant")
    do("PUT", T + "/walkers", {"domains": ["nowhere.example"]}, expect=400,
       what="domain in no zone")
    do("PUT", T + "/walkers", {"domains": ["gwa.demo"], "x": 1}, expect=400, what="unknown key")
    do("PUT", T + "/walkers", {"domains": ["gwa.demo"]}, token="ro", expect=403,
       what="read-only")
    do("GET", T + "/walkers", expect=200, what="show tenant")
    do("GET", T + "/nosuch", expect=404, what="unknown tenant")
    do("GET", T, expect=200, what="tenants, one listed")
    S = T + "/walkers/sessions"
    sess, _, _ = do("POST", S, {"service": "held.gwa.demo", "ttl": 60}, expect=201,
                    what="issue a session name")
    do("POST", S, {"service": "nosuch.gwa.demo"}, expect=400, what="unknown service")
    do("POST", S, {"service": "held.gwa.demo", "ttl": 0}, expect=400, what="ttl out of range")
    do("POST", T + "/nosuch/sessions", {"service": "held.gwa.demo"}, expect=404,
       what="unknown tenant")
    do("GET", S, expect=405, what="no GET here")
    if sess:
        item = S + "/" + sess["name"]
        do("GET", item, expect=200, what="show session")
        do("GET", T + "/other/sessions/" + sess["name"], expect=404,
           what="another tenant's view")
        do("DELETE", item, token="ro", expect=403, what="read-only")
        do("DELETE", item, expect=204, what="end session")
        do("DELETE", item, expect=404, what="ended already")
    # a token bound to the tenant: the operator's objects do not exist for it, its writes stay
    # in its realm (none here), and it cannot change its own tenant
    tok, _, _ = do("POST", V + "/tokens", {"name": "walk-tenant"}, expect=201,
                   what="a token for the tenant")
    if tok:
        do("PUT", T + "/walkers", {"domains": ["gwa.demo"], "tokens": ["walk-tenant"]},
           expect=200, what="bind the token")
        do("GET", V + "/zones", token=tok["secret"], expect=404, what="tenant token elsewhere")
        do("GET", V + "/hosts", token=tok["secret"], expect=200,
           what="tenant token: the hosts in its domains")
        do("POST", V + "/hosts", {"fqdn": "walker-host.gwa.demo", "ipv4": "192.168.0.199"},
           token=tok["secret"], expect=403, what="tenant token: a host outside its realm")
        do("PUT", T + "/walkers", {"domains": ["gwa.demo"]}, token=tok["secret"], expect=403,
           what="tenant token changing its tenant")
        do("GET", T + "/walkers", token=tok["secret"], expect=200, what="tenant token reads it")
        do("DELETE", V + "/tokens/walk-tenant", expect=204, what="revoke")
    do("DELETE", T + "/walkers", expect=204, what="delete tenant")
    do("DELETE", T + "/walkers", expect=404, what="deleted already")


def walk_bundle():
    b, _, _ = do("GET", V + "/bundle", expect=200, what="export")
    if b:
        do("PUT", V + "/bundle", b, expect=200, what="import the export")
        do("PUT", V + "/bundle", {"version": 1, "hosts": [{"fqdn": 5}]}, expect=400,
           what="invalid bundle")
        do("PUT", V + "/bundle", b, token="ro", expect=403, what="read-only")
    do("DELETE", V + "/bundle", expect=405, what="no DELETE here")


def cleanup(created):
    for item in reversed(created):
        do("DELETE", item, expect=204, what="delete")
        do("GET", item, expect=404, what="gone")


created = walk_crud()
walk_special()
walk_nested()
walk_ha()
walk_tenants()
cleanup(created)
walk_bundle()  # last: an import reassigns every id

# every documented operation was seen answering its success status
for tmpl, ops in DOC["paths"].items():
    for m, op in ops.items():
        good = [c for c in op["responses"] if c.startswith("2")]
        got = seen.get((tmpl, m.upper()), set())
        if any(int(c) in got for c in good):
            ok("covered: %s %s (%s)" % (m.upper(), tmpl, ",".join(str(s) for s in sorted(got))))
        else:
            fail("never seen succeeding: %s %s %s (saw %s)" % (m.upper(), tmpl, op["operationId"],
                                                               sorted(got)))
errs = sorted({s for v in seen.values() for s in v if s >= 400})
print("# error statuses validated: %s" % errs)
print("%d passed, %d failed" % (PASSED, FAILED))
sys.exit(1 if FAILED else 0)
