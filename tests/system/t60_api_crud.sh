#!/usr/bin/env bash
# t60_api_crud -- the REST API over real HTTP (curl): CRUD on every resource, ETag and
# If-Match with concurrent writers, the audit log, rgwctl. Loopback only, no root needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

api_start
check "rgwd with the API starts" kill -0 "$PID"

# --- bundle: import the demo policy through the API, export it back
api PUT /api/v1/bundle "$(cat "$BUNDLE")"
expect 200 "PUT /bundle imports the demo bundle"
api GET /api/v1/bundle
expect 200 "GET /bundle exports"
printf '%s' "$BODY" > "$T/api-export.json"
"$RGWD" -c "$T/rgw.conf" --export > "$T/cli-export.json" 2>/dev/null
check "API export equals rgwd --export" test "$(jq -S -c . "$T/api-export.json")" = "$(jq -S -c . "$T/cli-export.json")"

# --- the cached export follows every write
api GET /api/v1/bundle
e1=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TOK" "$URL/api/v1/bundle" | tr -d '\r' | sed -n 's/^ETag: //Ip')
api PATCH /api/v1/hosts/test200.gwa.demo '{"comment":"cache check"}'
expect 200 "PATCH between two exports"
api GET /api/v1/bundle
jqtest '.hosts[] | select(.fqdn == "test200.gwa.demo") | .comment == "cache check"' "the next export shows the write"
e2=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TOK" "$URL/api/v1/bundle" | tr -d '\r' | sed -n 's/^ETag: //Ip')
check "... under a new ETag" test -n "$e1" -a -n "$e2" -a "$e1" != "$e2"
api PATCH /api/v1/hosts/test200.gwa.demo '{"comment":""}'
e3=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TOK" "$URL/api/v1/bundle" | tr -d '\r' | sed -n 's/^ETag: //Ip')
check "same content, same ETag (canonical)" test "$e1" = "$e3"

# --- zones and nameservers
api POST /api/v1/zones '{"name":"lab.demo","nameservers":[{"name":"ns1.lab.demo","ipv4":"100.64.1.130"}]}'
expect 201 "POST zone"
api GET /api/v1/zones/lab.demo
expect 200 "GET zone"
jqtest '.nameservers | length == 1' "zone shows its nameserver"
api PATCH /api/v1/zones/lab.demo '{"ttl":600}'
expect 200 "PATCH zone"
jqtest '.ttl == 600 and .soa.mname == "ns1.lab.demo"' "PATCH kept the other fields"
api PUT /api/v1/zones/lab.demo '{"name":"lab.demo","soa":{"mname":"ns1.lab.demo"}}'
expect 200 "PUT zone"
jqtest '.ttl == 3600' "PUT reset ttl to its default"
api POST /api/v1/zones/lab.demo/nameservers '{"name":"ns2.lab.demo","ipv4":"100.64.1.129"}'
expect 201 "POST nameserver"
api PATCH /api/v1/zones/lab.demo/nameservers/ns2.lab.demo '{"ipv4":"100.64.1.128"}'
expect 200 "PATCH nameserver"
api PUT /api/v1/zones/lab.demo/nameservers/ns2.lab.demo '{"name":"ns2.lab.demo"}'
expect 200 "PUT nameserver"
api GET /api/v1/zones/lab.demo/nameservers
jqtest '.total == 2' "list nameservers"
api DELETE /api/v1/zones/lab.demo/nameservers/ns2.lab.demo
expect 204 "DELETE nameserver"
api GET '/api/v1/zones?name=lab.demo'
jqtest '.total == 1 and .items[0].name == "lab.demo"' "filter zones by name"
api DELETE /api/v1/zones/lab.demo
expect 204 "DELETE zone"
api GET /api/v1/zones/lab.demo
expect 404 "deleted zone is gone"

# --- service and pool addresses
api POST /api/v1/service-addresses '{"address":"100.64.1.150","comment":"second ALG address"}'
expect 201 "POST service address"
loc=$(curl -s -D - -o /dev/null -X POST -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
	--data-binary '{"address":"100.64.1.152"}' "$URL/api/v1/service-addresses" | tr -d '\r' | sed -n 's/^Location: //Ip')
check "201 carries Location" test "$loc" = /api/v1/service-addresses/100.64.1.152
api GET "$loc"
expect 200 "the Location resolves"
api DELETE "$loc"
expect 204 "DELETE by the Location"
api PATCH /api/v1/service-addresses/100.64.1.150 '{"comment":"changed"}'
expect 200 "PATCH service address"
api PUT /api/v1/service-addresses/100.64.1.150 '{"address":"100.64.1.151"}'
expect 200 "PUT service address (new address)"
api GET /api/v1/service-addresses/100.64.1.151
jqtest '.comment == ""' "GET service address by address"
api DELETE /api/v1/service-addresses/100.64.1.151
expect 204 "DELETE service address"
api POST /api/v1/pool-addresses '{"address":"100.64.1.160"}'
expect 201 "POST pool address"
api GET /api/v1/pool-addresses/100.64.1.160
expect 200 "GET pool address"
api GET '/api/v1/pool-addresses?limit=5&offset=2'
jqtest '(.items | length) == 5 and .offset == 2 and .total == 13' "pool list paginates"
api DELETE /api/v1/pool-addresses/100.64.1.160
expect 204 "DELETE pool address"

# --- hosts with services, firewall rules and groups
api POST /api/v1/hosts '{"fqdn":"api1.gwa.demo","ipv4":"192.168.0.50","services":[{"fqdn":"www.api1.gwa.demo","proxy_required":true}],"groups":["postpaid"]}'
expect 201 "POST host with a service and a group"
loc=$(curl -s -D - -o /dev/null -X GET -H "Authorization: Bearer $TOK" "$URL/api/v1/hosts/api1.gwa.demo" | tr -d '\r' | sed -n 's/^ETag: //Ip')
check "GET host has an ETag" test -n "$loc"
api GET /api/v1/hosts/api1.gwa.demo
jqtest '.services | length == 1' "host shows its service"
jqtest '.groups == ["postpaid"]' "host shows its group"
api PATCH /api/v1/hosts/api1.gwa.demo '{"comment":"api test"}'
expect 200 "PATCH host"
api PUT /api/v1/hosts/api1.gwa.demo '{"fqdn":"api1.gwa.demo","ipv4":"192.168.0.51"}'
expect 200 "PUT host"
jqtest '.ipv4 == "192.168.0.51" and .comment == ""' "PUT replaced the host"
jqtest '.services | length == 1' "PUT without 'services' keeps them"
api POST /api/v1/hosts/api1.gwa.demo/services '{"fqdn":"ssh.api1.gwa.demo","protocol":"tcp","port":22}'
expect 201 "POST service"
api GET /api/v1/hosts/api1.gwa.demo/services/ssh.api1.gwa.demo
jqtest '.port == 22' "GET service"
api PATCH /api/v1/hosts/api1.gwa.demo/services/ssh.api1.gwa.demo '{"port":2222}'
expect 200 "PATCH service"
api PUT /api/v1/hosts/api1.gwa.demo/services/ssh.api1.gwa.demo '{"fqdn":"ssh.api1.gwa.demo"}'
expect 200 "PUT service"
api DELETE /api/v1/hosts/api1.gwa.demo/services/ssh.api1.gwa.demo
expect 204 "DELETE service"
api POST /api/v1/hosts/api1.gwa.demo/firewall '{"direction":"ingress","protocol":"tcp","dport":443,"action":"accept","priority":5}'
expect 201 "POST host firewall rule"
rule=$(printf '%s' "$BODY" | jq -r .id)
api PATCH "/api/v1/hosts/api1.gwa.demo/firewall/$rule" '{"action":"drop"}'
expect 200 "PATCH firewall rule"
api PUT "/api/v1/hosts/api1.gwa.demo/firewall/$rule" '{"direction":"egress","action":"reject"}'
expect 200 "PUT firewall rule"
api GET "/api/v1/hosts/api1.gwa.demo/firewall/$rule"
jqtest '.direction == "egress" and .action == "reject"' "GET firewall rule"
api DELETE "/api/v1/hosts/api1.gwa.demo/firewall/$rule"
expect 204 "DELETE firewall rule"
api POST /api/v1/hosts/api1.gwa.demo/groups '{"group":"prepaid1"}'
expect 201 "add host to a group"
api GET /api/v1/hosts/api1.gwa.demo/groups
jqtest '[.items[].name] | sort == ["postpaid","prepaid1"]' "list host groups"
api DELETE /api/v1/hosts/api1.gwa.demo/groups/prepaid1
expect 204 "remove host from a group"

# --- groups and group firewall rules
api POST /api/v1/groups '{"name":"apitest","comment":"t60","firewall":[{"direction":"ingress","action":"drop"}]}'
expect 201 "POST group with a rule"
api GET /api/v1/groups/apitest/firewall
jqtest '.total == 1' "group firewall list"
api POST /api/v1/groups/apitest/firewall '{"direction":"egress","protocol":"udp","dport":53,"action":"accept"}'
expect 201 "POST group firewall rule"
grule=$(printf '%s' "$BODY" | jq -r .id)
api PATCH "/api/v1/groups/apitest/firewall/$grule" '{"priority":7}'
expect 200 "PATCH group firewall rule"
api PUT "/api/v1/groups/apitest/firewall/$grule" '{"direction":"egress","action":"drop"}'
expect 200 "PUT group firewall rule"
api DELETE "/api/v1/groups/apitest/firewall/$grule"
expect 204 "DELETE group firewall rule"
api PATCH /api/v1/groups/apitest '{"comment":"patched"}'
expect 200 "PATCH group"
api PUT /api/v1/groups/apitest '{"name":"apitest2"}'
expect 200 "PUT group (rename)"
api DELETE /api/v1/groups/apitest2
expect 204 "DELETE group"

# --- ALG routes
api POST /api/v1/alg-routes '{"hostname":"www.api1.gwa.demo","port":443,"backend":"192.168.0.51:443"}'
expect 201 "POST ALG route"
route=$(printf '%s' "$BODY" | jq -r .id)
api PATCH "/api/v1/alg-routes/$route" '{"preserve":"proxy-v2"}'
expect 200 "PATCH ALG route"
api PUT "/api/v1/alg-routes/$route" '{"hostname":"www.api1.gwa.demo","port":8443,"backend":"192.168.0.51:8443"}'
expect 200 "PUT ALG route"
api GET "/api/v1/alg-routes?name=www.api1.gwa.demo"
jqtest '.total == 1 and .items[0].port == 8443' "filter ALG routes by hostname"
api DELETE "/api/v1/alg-routes/$route"
expect 204 "DELETE ALG route"

# --- admission and load brackets
api GET /api/v1/admission
expect 200 "GET admission"
jqtest '.load_brackets | length == 4' "demo admission has 4 brackets"
api PATCH /api/v1/admission '{"dns_cookies":false}'
expect 200 "PATCH admission"
jqtest '.dns_cookies == false and .dns_tcp == true' "PATCH admission kept the rest"
api POST /api/v1/admission/brackets '{"load_min":0,"load_max":100,"fqdn_new":0.9}'
expect 201 "POST bracket"
br=$(printf '%s' "$BODY" | jq -r .id)
api PATCH "/api/v1/admission/brackets/$br" '{"math":"avg"}'
expect 200 "PATCH bracket"
api PUT "/api/v1/admission/brackets/$br" '{"load_min":10,"load_max":20}'
expect 200 "PUT bracket"
api DELETE "/api/v1/admission/brackets/$br"
expect 204 "DELETE bracket"
api PUT /api/v1/admission '{"dns_tcp":true,"load_brackets":[{"load_min":0,"load_max":100}]}'
expect 200 "PUT admission with brackets"
jqtest '.load_brackets | length == 1' "PUT replaced the brackets"

# --- resolver groups and nodes
api POST /api/v1/resolver-groups '{"name":"isp","initial_reputation":0.8,"sla":false,"nodes":["203.0.113.0/24"]}'
expect 201 "POST resolver group"
api POST /api/v1/resolver-groups/isp/nodes '{"prefix":"198.51.100.7"}'
expect 201 "POST resolver node"
api GET /api/v1/resolver-groups/isp/nodes/203.0.113.0/24
expect 200 "GET resolver node by prefix"
api DELETE /api/v1/resolver-groups/isp/nodes/203.0.113.0/24
expect 204 "DELETE resolver node"
api PATCH /api/v1/resolver-groups/isp '{"sla":true}'
expect 200 "PATCH resolver group"
api PUT /api/v1/resolver-groups/isp '{"name":"isp","initial_reputation":0.5}'
expect 200 "PUT resolver group"
api DELETE /api/v1/resolver-groups/isp
expect 204 "DELETE resolver group"

# --- reputation (persisted state; the live engine is issue 7)
api PUT /api/v1/reputation/requestor/10.0.0.0/24 '{"override":0.9}'
expect 200 "set a reputation override"
api GET /api/v1/reputation/requestor/10.0.0.0/24
jqtest '.override == 0.9 and .value == 0.9' "GET reputation shows the override, which pins the value"
api GET '/api/v1/reputation?kind=requestor'
jqtest '.items | length == 1' "list reputation by kind"
api PUT /api/v1/reputation/requestor/10.0.0.0/24 '{"override":null}'
jqtest '.override == null' "clear the override"
api DELETE /api/v1/reputation/requestor/10.0.0.0/24
expect 204 "reset reputation"

# --- read-only views
api GET /api/v1/bindings
expect 200 "bindings: the pool runs even with [nat] enable = no"
jqtest '.items == []' "bindings: an empty list (no DNS here, so nothing was bound; t64 checks a live one)"
api GET /api/v1/status
jqtest '.version != null and .policy.hosts == 12 and .api.writes > 10' "status counters"
AUTH=$RO api GET /metrics
expect 200 "metrics with a read-only token"
check "metrics in Prometheus text format" grep -q '^rgw_api_requests_total{code="2xx"} [0-9]' <(printf '%s\n' "$BODY")
AUTH=none api GET /api/v1/openapi.json
expect 200 "OpenAPI document needs no token"
jqtest '.openapi == "3.0.3" and (.paths | length) > 30' "OpenAPI document parses"
api GET '/api/v1/audit?limit=500'
jqtest '[.items[] | select(.actor == "ops")] | length > 40' "every write is in the audit log with its token"
jqtest '.items[0].resource == "/api/v1/reputation/requestor/10.0.0.0/24" and .items[0].action == "DELETE"' "newest audit line first"

# --- ETag / If-Match, and two writers racing with the same ETag
etag=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TOK" "$URL/api/v1/hosts/api1.gwa.demo" | tr -d '\r' | sed -n 's/^ETag: //Ip')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" -H "If-None-Match: $etag" "$URL/api/v1/hosts/api1.gwa.demo")
check "If-None-Match gives 304" test "$code" = 304
writers=()
for i in $(seq 1 10); do
	curl -s -m 20 -o /dev/null -w '%{http_code}\n' -X PATCH -H "Authorization: Bearer $TOK" \
		-H 'Content-Type: application/json' -H "If-Match: $etag" \
		--data-binary "{\"comment\":\"writer $i\"}" "$URL/api/v1/hosts/api1.gwa.demo" > "$T/w$i" &
	writers+=($!)
done
wait "${writers[@]}"
check "10 concurrent writers with one ETag: exactly one wins" test "$(cat "$T"/w* | grep -c '^200$')" = 1
check "... and the other nine get 412" test "$(cat "$T"/w* | grep -c '^412$')" = 9
api DELETE /api/v1/hosts/api1.gwa.demo "" -H "If-Match: $etag"
expect 412 "DELETE with a stale ETag refused"
api DELETE /api/v1/hosts/api1.gwa.demo
expect 204 "DELETE host"

# --- rgwctl
export RGW_API_URL=$URL RGW_API_TOKEN=$TOK
check "rgwctl --help" sh -c "'$RGWCTL' --help | grep -q 'Exit status'"
check "rgwctl host add" sh -c "'$RGWCTL' host add ctl.gwa.demo 192.168.0.77 --group postpaid > /dev/null"
check "rgwctl service add" sh -c "'$RGWCTL' service add ctl.gwa.demo ssh.ctl.gwa.demo --proto tcp --port 22 > /dev/null"
check "rgwctl service add --proxy" sh -c "'$RGWCTL' service add ctl.gwa.demo www.ctl.gwa.demo --proxy > /dev/null"
check "rgwctl host list shows it" sh -c "'$RGWCTL' host list | grep -q 'ctl.gwa.demo  *192.168.0.77'"
check "rgwctl host show --json" sh -c "'$RGWCTL' --json host show ctl.gwa.demo | jq -e '.services | length == 2' > /dev/null"
check "rgwctl service list" sh -c "'$RGWCTL' service list ctl.gwa.demo | grep -q 'ssh.ctl.gwa.demo'"
"$RGWCTL" host add ctl.gwa.demo 192.168.0.78 > /dev/null 2> "$T/ctl.err"
check "rgwctl reports a conflict with exit 1" test $? = 1
check "... and the API's message" grep -q '409 conflict' "$T/ctl.err"
check "rgwctl status" sh -c "'$RGWCTL' status | grep -q '^version'"
check "rgwctl reputation" sh -c "'$RGWCTL' reputation | grep -q '^kind'"
check "rgwctl bindings (pool without data plane)" "$RGWCTL" bindings
check "rgwctl export" sh -c "'$RGWCTL' export > '$T/ctl-export.json' && jq -e '.hosts | length == 12' '$T/ctl-export.json' > /dev/null"
check "rgwctl host del" "$RGWCTL" host del ctl.gwa.demo
check "rgwctl import" sh -c "'$RGWCTL' import '$T/ctl-export.json' > /dev/null"
check "import brought the host back" sh -c "'$RGWCTL' host list | grep -q ctl.gwa.demo"
check "rgwctl with a config file" sh -c "printf 'url = %s\ntoken = %s\n' '$URL' '$TOK' > '$T/ctl.conf'; mkdir -p '$T/home/.config'; cp '$T/ctl.conf' '$T/home/.config/rgwctl.conf'; env -u RGW_API_URL -u RGW_API_TOKEN HOME='$T/home' '$RGWCTL' zone list | grep -q gwa.demo"
RGW_API_TOKEN=$RO "$RGWCTL" host del test.gwa.demo > /dev/null 2> "$T/ctl.err"
check "rgwctl with a read-only token: 403" grep -q '403 forbidden' "$T/ctl.err"
RGW_API_URL=http://192.0.2.1:8080 "$RGWCTL" status > /dev/null 2>&1
check "rgwctl refuses non-loopback plain HTTP (exit 3)" test $? = 3

api_stop
check "clean shutdown (exit 0)" test "$RC" = 0
summary
