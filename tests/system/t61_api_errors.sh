#!/usr/bin/env bash
# t61_api_errors -- every error class of the REST API over real HTTP, hostile input
# (bad JSON, wrong types, huge bodies, SQL injection and path traversal strings) refused
# with the database unchanged, authentication and roles, rate limiting. Loopback only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

api_start "rate = 100000
rate_burst = 100000
max_body = 65536"
check "rgwd with the API starts" kill -0 "$PID"
api PUT /api/v1/bundle "$(cat "$BUNDLE")"
expect 200 "demo bundle imported"
export_db "$T/before.json"

# header: print one response header of the last curl -D dump
hdr() { tr -d '\r' < "$T/hdr" | sed -n "s/^$1: //Ip" | head -n 1; }

# --- 400: invalid input names the field
api POST /api/v1/hosts '{"fqdn":"a.gwa.demo","ipv4":"192.168.0.300"}'
expect 400 "bad address: 400"
jqtest '.error == "invalid" and .field == "ipv4" and (.message | length) > 0' "... naming the field"
api POST /api/v1/hosts '{"fqdn":["x"]}'
expect 400 "wrong type: 400"
jqtest '.field == "fqdn"' "... naming the field"
api POST /api/v1/hosts '{"fqdn":"a.gwa.demo","ipv4":"192.168.0.3","pool_limit":-1}'
jqtest '.field == "pool_limit"' "negative number: 400 naming pool_limit"
api POST /api/v1/hosts '{"fqdn":"a.gwa.demo","ipv4":"192.168.0.3","pool_limit":1e400}'
expect 400 "number overflow: 400"
api POST /api/v1/hosts/test.gwa.demo/services '{"fqdn":"x.test.gwa.demo","port":65536}'
jqtest '.field == "port"' "port out of range: 400 naming port"
api POST /api/v1/hosts '{"fqdn":"a.gwa.demo","ipv4":"192.168.0.3","services":[{"fqdn":"a.gwa.demo"},{"fqdn":"b.a.gwa.demo","protocol":"tcpp"}]}'
jqtest '.field == "services[1].protocol"' "embedded error names services[1].protocol"
api POST /api/v1/hosts '{"fqdn":"a.gwa.demo","unknown":true}'
jqtest '.field == "unknown"' "unknown key: 400 naming it"
api POST /api/v1/alg-routes '{"hostname":"w.gwa.demo","backend":"192.168.0.1:0"}'
expect 400 "ALG backend port 0: 400"
api PATCH /api/v1/admission '{"alias_ttl_ms":"soon"}'
jqtest '.field == "alias_ttl_ms"' "admission wrong type names alias_ttl_ms"
api PUT /api/v1/reputation/host/test.gwa.demo '{"override":2}'
jqtest '.field == "override"' "reputation override out of range"
api GET '/api/v1/hosts?limit=-1'
jqtest '.field == "limit"' "bad ?limit= names the parameter"

# --- malformed JSON of every kind
for body in '{"fqdn":' '{"fqdn":"a.gwa.demo"} trailing' '[1,2]' '"str"' '{"a":1,"a":2}' \
	"{\"fqdn\":\"a\\u0000b.gwa.demo\"}" '{fqdn:1}' ' ' 'null'; do
	api POST /api/v1/hosts "$body"
	if [ "$CODE" = 400 ] && printf '%s' "$BODY" | jq -e '.error == "invalid"' > /dev/null; then
		ok "malformed body refused with 400: ${body:0:30}"
	else
		fail "malformed body: ${body:0:30} (got $CODE: ${BODY:0:200})"
	fi
done
printf '\xff\xfe{"fqdn":"\xc3\x28.gwa.demo"}' > "$T/badutf8"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' --data-binary @"$T/badutf8" "$URL/api/v1/hosts")
check "invalid UTF-8 refused with 400" test "$code" = 400
head -c 30000 /dev/zero | tr '\0' '[' > "$T/deep"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' --data-binary @"$T/deep" "$URL/api/v1/hosts")
check "30000 nested arrays refused with 400 (no stack overflow)" test "$code" = 400

# --- SQL injection strings: in bodies, paths and filters
for s in "x' OR '1'='1" "x'; DROP TABLE hosts; --" 'x" OR ""="' "1; DELETE FROM hosts" "%' --" "Robert'); DROP TABLE groups;--"; do
	b=$(jq -n --arg s "$s" '{fqdn: ($s + ".gwa.demo"), ipv4: "192.168.0.99"}')
	api POST /api/v1/hosts "$b"
	[ "$CODE" = 400 ] && ok "SQL injection in a body refused: $s" || fail "SQL injection body: $s ($CODE)"
	b=$(jq -n --arg s "$s" '{name: $s}')
	api POST /api/v1/groups "$b"
	[ "$CODE" = 400 ] && ok "SQL injection in a group name refused: $s" || fail "SQL injection group: $s ($CODE)"
	enc=$(jq -rn --arg s "$s" '$s|@uri')
	api GET "/api/v1/hosts/$enc"
	[ "$CODE" = 404 ] || [ "$CODE" = 400 ] && ok "SQL injection in a path: $CODE" || fail "SQL injection path: $s ($CODE)"
	api GET "/api/v1/groups?name=$enc"
	[ "$CODE" = 200 ] && printf '%s' "$BODY" | jq -e '.total == 0' > /dev/null &&
		ok "SQL injection in a filter matches nothing" || fail "SQL injection filter: $s ($CODE $BODY)"
done
api PATCH /api/v1/hosts/test.gwa.demo '{"comment":"x'"'"'); DROP TABLE hosts;--"}'
expect 200 "a comment may hold any text (stored as data)"
api GET /api/v1/hosts/test.gwa.demo
jqtest '.comment == "x'"'"'); DROP TABLE hosts;--"' "... and reads back verbatim"
api PATCH /api/v1/hosts/test.gwa.demo "$(jq -c '.hosts[] | select(.fqdn == "test.gwa.demo") | {comment}' "$T/before.json")"
expect 200 "comment restored"

# --- path traversal strings
for p in '/api/v1/hosts/../../../etc/passwd' '/api/v1/../v1/hosts' '/api/v1/hosts/%2e%2e/%2e%2e/etc' \
	'/api/v1/hosts/..%2f..%2fetc%2fpasswd' '/api/v1/reputation/host/../../bundle' '/api/v1/hosts//test.gwa.demo' \
	'/../../etc/passwd' '/api/v1/hosts/%00' '/api/v1/zones/%9bwa.demo' '/api/v1/hosts/%c3%28'; do
	code=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$URL$p")
	case "$code" in 400 | 404) ok "path traversal refused ($code): $p" ;; *) fail "path traversal $p: $code $(head -c 200 "$T/body")" ;; esac
done
code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOK" "$URL/api/v1/hosts/../zones/gwa.demo")
check "DELETE through a traversal path refused" test "$code" = 400

# --- 401 / 403
code=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$URL/api/v1/hosts")
check "no token: 401" test "$code" = 401
check "... with WWW-Authenticate: Bearer" sh -c "tr -d '\r' < '$T/hdr' | grep -qi '^WWW-Authenticate: Bearer'"
AUTH=rgw_00000000000000000000000000000000 api GET /api/v1/hosts
expect 401 "wrong token: 401"
AUTH="${TOK%?}x" api GET /api/v1/hosts
expect 401 "token with one character changed: 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $(printf 'ops:%s' "$TOK" | base64 -w0)" "$URL/api/v1/hosts")
check "Basic authentication: 401" test "$code" = 401
AUTH=$(head -c 5000 /dev/zero | tr '\0' a) api GET /api/v1/hosts
expect 401 "5000-byte token: 401"
AUTH=$RO api GET /api/v1/hosts
expect 200 "read-only token may read"
AUTH=$RO api POST /api/v1/groups '{"name":"ro"}'
expect 403 "read-only token may not write: 403"
AUTH=$RO api DELETE /api/v1/hosts/test.gwa.demo
expect 403 "read-only token may not delete: 403"
AUTH=$RO api PUT /api/v1/bundle '{"version":1}'
expect 403 "read-only token may not replace the bundle: 403"
AUTH=$RO api POST /api/v1/tokens '{"name":"escalate","role":"rw"}'
expect 403 "read-only token may not mint tokens: 403"

# --- token life cycle through the API: create, use, revoke
api POST /api/v1/tokens '{"name":"robot","role":"rw"}'
expect 201 "rw token creates a token"
robot=$(printf '%s' "$BODY" | jq -r .secret)
AUTH=$robot api GET /api/v1/status
expect 200 "the new token works at once"
check "the secret is not in the audit log" sh -c "! curl -s -H 'Authorization: Bearer $TOK' '$URL/api/v1/audit?limit=1000' | grep -q '$robot'"
AUTH=$robot api DELETE /api/v1/tokens/robot
expect 204 "a token may revoke itself"
AUTH=$robot api GET /api/v1/status
expect 401 "a revoked token is refused at once"
RGW_API_URL=$URL RGW_API_TOKEN=$TOK "$RGWCTL" token add robot2 --role ro > "$T/tok2" 2>&1
check "rgwctl token add prints the secret" grep -q 'rgw_' "$T/tok2"
check "rgwctl token del" sh -c "RGW_API_URL=$URL RGW_API_TOKEN=$TOK '$RGWCTL' token del robot2 > /dev/null"

# --- 404 / 405
api GET /api/v1/nothing
expect 404 "unknown resource: 404"
api GET /api/v1/hosts/nosuch.gwa.demo
expect 404 "unknown host: 404"
api GET /api/v1/hosts/nosuch.gwa.demo/services
expect 404 "sub-resource of an unknown host: 404"
code=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOK" "$URL/api/v1/hosts")
check "DELETE on a collection: 405 (no bulk delete)" test "$code" = 405
check "... with Allow: GET, POST" test "$(hdr Allow)" = "GET, POST"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOK" "$URL/api/v1/pool-addresses")
check "DELETE on the pool collection: 405" test "$code" = 405
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOK" "$URL/api/v1/bundle")
check "DELETE on the bundle: 405" test "$code" = 405

# --- 409
api POST /api/v1/hosts '{"fqdn":"test.gwa.demo","ipv4":"192.168.0.250"}'
expect 409 "duplicate host: 409"
api POST /api/v1/groups '{"name":"postpaid"}'
expect 409 "duplicate group: 409"
api POST /api/v1/pool-addresses '{"address":"100.64.1.130"}'
expect 409 "pool address equal to the service address: 409"
api DELETE /api/v1/zones/gwa.demo
expect 409 "zone still holding hosts: 409"
jqtest '.error == "conflict" and (.message | test("test.gwa.demo"))' "... naming a host left outside every zone"
# 409 versus 400 comes from the validator's error kind, not from words in its message
api POST /api/v1/hosts/test.gwa.demo/services '{"fqdn":"test200.gwa.demo"}'
expect 409 "service named like another host's service: 409"
api PATCH /api/v1/hosts/test200.gwa.demo '{"fqdn":"www.test.gwa.demo"}'
expect 409 "host renamed to another host's service name: 409 (no conflict keyword in the message)"
jqtest '.error == "conflict" and (.message | test("is the name of hosts\\["))' "... the validator's message unchanged"
api PATCH /api/v1/zones/gwa.demo '{"kind":"alias"}'
expect 409 "zone change that strands its hosts: 409"
api POST /api/v1/hosts '{"fqdn":"a.elsewhere.example","ipv4":"192.168.0.3"}'
expect 400 "host outside every forward zone: 400"
jqtest '.field == "fqdn"' "... naming fqdn"
api POST /api/v1/hosts/test.gwa.demo/services '{"fqdn":"www.elsewhere.example"}'
expect 400 "service outside every forward zone under its host: 400"
api PATCH /api/v1/zones/gwa.demo '{"kind":"reverse"}'
expect 400 "bad zone kind for its name: 400"
api PUT /api/v1/bundle '{"version":1,"groups":[{"name":"g"},{"name":"g"}]}'
expect 400 "bundle with two groups of one name: 400 (its own content)"
jqtest '.field == "groups[1].name"' "... naming groups[1].name"

# --- 412
api PATCH /api/v1/hosts/test.gwa.demo '{"comment":"a"}' -H 'If-Match: "0123"'
expect 412 "stale If-Match: 412"
api PUT /api/v1/bundle '{"version":1}' -H 'If-Match: "0123"'
expect 412 "stale If-Match on the bundle: 412"
api POST /api/v1/zones '{"name":"x.demo","nameservers":[{"name":"ns.x.demo"}]}' -H 'If-Match: *'
expect 201 "If-Match is ignored on create"
api DELETE /api/v1/zones/x.demo
expect 204 "cleanup"

# --- 413 / 415
head -c 200000 /dev/zero | tr '\0' ' ' > "$T/big"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' --data-binary @"$T/big" "$URL/api/v1/hosts")
check "body over max_body: 413" test "$code" = 413
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$URL/api/v1/hosts")
check "chunked body over max_body: 413" test "$code" = 413
head -c 20000000 /dev/zero > "$T/huge"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' --data-binary @"$T/huge" "$URL/api/v1/bundle" -X PUT)
check "20 MB body: 413" test "$code" = 413
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type: text/plain' -d '{"name":"g1"}' "$URL/api/v1/groups")
check "text/plain body: 415" test "$code" = 415
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type:' -d '{"name":"g1"}' "$URL/api/v1/groups")
check "no content type: 415" test "$code" = 415
gc=$(jq -c '{comment: .groups[0].comment}' "$BUNDLE")
code=$(curl -s -o "$T/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $TOK" -H 'Content-Type: application/merge-patch+json; charset=utf-8' -d "$gc" "$URL/api/v1/groups/postpaid")
check "merge-patch+json accepted for PATCH" test "$code" = 200

# --- odd requests
long=$(head -c 10000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$URL/api/v1/hosts/$long")
case "$code" in 400 | 404 | 414 | 431) ok "10 kB path refused ($code)" ;; *) fail "10 kB path: $code" ;; esac
code=$(curl -s -o /dev/null -w '%{http_code}' -I -H "Authorization: Bearer $TOK" "$URL/api/v1/hosts")
check "HEAD works" test "$code" = 200
head -c 4096 /dev/urandom | timeout 5 nc -q 1 127.0.0.1 "$PORT" > /dev/null 2>&1
check "random bytes on the socket: the daemon survives" kill -0 "$PID"
printf 'GET /api/v1/hosts HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n' | timeout 5 nc -q 2 127.0.0.1 "$PORT" > "$T/garbage" 2>&1
check "a malformed header line gets 400" grep -q '^HTTP/1.1 400' "$T/garbage"

# --- nothing above changed the policy
export_db "$T/after.json"
check "database unchanged by every refused request" cmp -s "$T/before.json" "$T/after.json"
check "the daemon is still serving" sh -c "curl -sf -H 'Authorization: Bearer $TOK' '$URL/api/v1/status' > /dev/null"
api_stop
check "clean shutdown after hostile input (exit 0)" test "$RC" = 0

# --- 429: a daemon with a small rate limit
rm -f "$T/rgw.db"*
api_start "rate = 2
rate_burst = 5"
# burst N [TOKEN]: N requests from one curl process (one connection, milliseconds: the bucket
# cannot refill meanwhile, however loaded the machine); prints one status code per line. The
# last answer's body and headers are kept in $T/body and $T/hdr.
burst() {
	local n=$1 tok=${2:-$TOK} args=() i
	for ((i = 1; i < n; i++)); do args+=(-o /dev/null "$URL/api/v1/status"); done
	rm -f "$T/hdr"
	curl -s -w '%{http_code}\n' -H "Authorization: Bearer $tok" "${args[@]}" \
		-D "$T/hdr" -o "$T/body" "$URL/api/v1/status"
}
codes=$(burst 12)
ok200=$(grep -c '^200$' <<<"$codes")
check "burst of 12 requests: the first 5 (rate_burst) answered 200 (${ok200})" \
	bash -c '[ "$(head -n 5 <<<"$1" | sort -u)" = 200 ] && [ "$2" -le 6 ]' _ "$codes" "$ok200"
check "... the rest 429, the last one too" test "$(tail -n 1 <<<"$codes")" = 429
check "429 carries Retry-After" test -n "$(tr -d '\r' < "$T/hdr" | sed -n 's/^Retry-After: //Ip' | tail -n 1)"
check "429 body is the JSON error" sh -c "jq -e '.error == \"rate_limited\"' '$T/body' > /dev/null"
# the bucket refills (2 per second): polled, a refused request takes no token
passes() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$URL/api/v1/status")" = 200 ]
}
check "after waiting, requests pass again" poll 10 passes
api_stop
# failed logins take tokens like any request: a fresh bucket, a burst with a wrong token
rm -f "$T/rgw.db"*
api_start "rate = 2
rate_burst = 5"
codes=$(burst 11 wrong)
check "failed logins are rate limited too (401 for the first 5, then 429)" \
	bash -c '[ "$(head -n 5 <<<"$1" | sort -u)" = 401 ] && [ "$(tail -n 1 <<<"$1")" = 429 ]' _ "$codes"
api_stop
summary
