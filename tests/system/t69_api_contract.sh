#!/usr/bin/env bash
# t69_api_contract -- the API answers what api/openapi.json says, for every documented
# operation and its errors: rgwd with DNS, NAT, the ALG and the API in a network namespace
# (so that bindings, live reputation and every subsystem's status are real), one binding held
# by a real DNS query, an HA pair's active node (no standby), then tests/system/api_contract.py
# walks every operation (tenants and session names included) and validates
# each answer with python3-jsonschema. The document itself must be a valid OpenAPI 3.0
# document whose schemas are valid JSON Schema. Root needed.
. "$(dirname "$0")/lib.sh"
BUNDLE="$TOP/docs/examples/gwa.demo.json"
DOC="$TOP/api/openapi.json"
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }

# --- the document: parses, every operation has a unique operationId, schemas are valid
$PY - "$DOC" > "$T/doc.out" 2>&1 <<'PY'
import json, sys, jsonschema
d = json.load(open(sys.argv[1]))
ids = [o.get("operationId") for p in d["paths"].values() for o in p.values()]
assert all(ids), "an operation without operationId"
assert len(ids) == len(set(ids)), "duplicate operationId"
for name, s in d["components"]["schemas"].items():
    jsonschema.Draft7Validator.check_schema(s)
for p, ops in d["paths"].items():
    for m, o in ops.items():
        assert any(c.startswith("2") for c in o["responses"]), (m, p, "no success answer")
        assert "default" in o["responses"], (m, p, "errors not documented")
print("operations", len(ids))
PY
check "openapi.json: operationIds unique, schemas valid JSON Schema ($(cat "$T/doc.out" | tail -1))" grep -q '^operations' "$T/doc.out"

GW=rgwoas$$
QNUM=$((2000 + ($$ + 11) % 30000))
at_exit "[ -n \"\${RP:-}\" ] && kill -9 \$RP; ns_del $GW"
ip netns add $GW || { echo "0 passed, 1 failed"; exit 1; }
ip -n $GW link add wan0 type veth peer name lan0
ip -n $GW link set lo up
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $BUNDLE
[dns]
wan = 127.0.0.1:5301
lan = 127.0.0.1:5302
[alg]
listen = 127.0.0.1:8081
workers = 1
[nat]
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[ids]
enable = yes
eve_socket = $T/eve.sock
eve_type = unix_dgram
[ha]
enable = yes
role = active
listen = 127.0.0.1:7440
peer = 127.0.0.1:7441
secret_file = $T/ha.secret
[api]
listen = 127.0.0.1:8080
rate = 100000
rate_burst = 100000
max_body = 1048576
CONF
# the active node of an HA pair whose standby never comes: GET /ha and PUT /ha/role answer
(umask 077; head -c 32 /dev/urandom | base64 > "$T/ha.secret")
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token walker 2>/dev/null)
RO=$("$RGWD" -c "$T/rgw.conf" --new-token viewer --role ro 2>/dev/null)
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/out" 2> "$T/log" &
RP=$!
check "rgwd with dns, nat, alg and the API starts in $GW" wait_for 'rgwd: ready' "$T/log" 10
in_ns() { ip netns exec $GW "$@"; }
api() {
	in_ns curl -s -m 10 -o "$T/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOK" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "http://127.0.0.1:8080$2"
}

# --- one live binding, held for 10 minutes, so that /bindings has an item to validate
code=$(api PUT /api/v1/admission '{"dns_tcp":false,"dns_cname":false,"dns_cookies":false,"load_brackets":[{"load_min":0,"load_max":100,"fqdn_new":0,"sfqdn_new":0,"sfqdn_reuse":0}]}')
check "admission made permissive ($code)" test "$code" = 200
code=$(api POST /api/v1/hosts '{"fqdn":"held.gwa.demo","ipv4":"192.168.0.210","services":[{"fqdn":"held.gwa.demo","binding_timeout_ms":600000}]}')
check "a host with a long binding timeout ($code)" test "$code" = 201
in_ns dig +short +tcp +time=2 +tries=1 @127.0.0.1 -p 5301 held.gwa.demo A > "$T/a"
check "a DNS query holds a pool address ($(cat "$T/a"))" grep -q '^100\.64\.1\.' "$T/a"
api GET /api/v1/bindings > /dev/null
check "GET /bindings lists it" sh -c "jq -e '.total >= 1' '$T/body' > /dev/null"

# --- one blocked source, so that /blocks has an item to validate and one to lift: an IDS
# alert (Suricata's EVE line) from an outside address, on the socket rgwd reads
eve_alert "$T/eve.sock" 198.51.100.7 100.64.1.1 "rgw contract test"
blocked() { api GET /api/v1/blocks > /dev/null && jq -e '.total >= 1' "$T/body" > /dev/null; }
check "an IDS alert blocks 198.51.100.7 (GET /blocks lists it)" poll 10 blocked

# --- the walk
in_ns $PY "$TOP/tests/system/api_contract.py" http://127.0.0.1:8080 "$TOK" "$RO" "$DOC" > "$T/walk" 2>&1
rc=$?
grep -E '^(FAIL|#)' "$T/walk" | head -40
res=$(tail -1 "$T/walk")
check "every documented operation answers as documented ($res)" test "$rc" = 0
check "the walk validated success and error answers" grep -q 'error statuses validated: \[400, 401, 403, 404, 405, 409, 412, 413, 415\]' "$T/walk"
check "rgwd still serving after the walk" kill -0 "$RP"
kill -TERM "$RP"
wait "$RP"
rc=$?
RP=""
check "clean shutdown" test "$rc" = 0
summary
