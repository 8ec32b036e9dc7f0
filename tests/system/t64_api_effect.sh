#!/usr/bin/env bash
# t64_api_effect -- a write through the REST API is in force when its answer arrives: rgwd
# with DNS and NAT in a network namespace; right after each 2xx (no sleep, no retry) the DNS
# answers (dig), the nftables table (nft list) and the ALG's routing already show the
# change. Root needed.
. "$(dirname "$0")/lib.sh"
BUNDLE="$TOP/docs/examples/gwa.demo.json"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }

GW=rgwapi$$
QNUM=$((2000 + ($$ + 7) % 30000))
at_exit "[ -n \"\${RP:-}\" ] && kill -9 \$RP; [ -n \"\${BP_PID:-}\" ] && kill -9 \$BP_PID; ns_del $GW"
ip netns add $GW || { echo "0 passed, 1 failed"; exit 1; }
ip -n $GW link add wan0 type veth peer name lan0
ip -n $GW link set lo up
WANP=5301
LANP=5302
APIP=8080
ALGP=8081
BACKP=8082

cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $BUNDLE
[dns]
enable = yes
wan = 127.0.0.1:$WANP
lan = 127.0.0.1:$LANP
[alg]
enable = yes
listen = 127.0.0.1:$ALGP
workers = 2
[nat]
enable = yes
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[api]
listen = 127.0.0.1:$APIP
rate = 100000
rate_burst = 100000
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token ops 2>/dev/null)
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/out" 2> "$T/log" &
RP=$!
check "rgwd with dns, nat and the API starts in $GW" wait_for 'rgwd: ready' "$T/log" 10

in_ns() { ip netns exec $GW "$@"; }
# api METHOD PATH [BODY]: CODE, BODY
api() {
	local args=(-s -m 10 -o "$T/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOK")
	[ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	CODE=$(in_ns curl "${args[@]}" "http://127.0.0.1:$APIP$2")
	BODY=$(cat "$T/body")
}
lan() { in_ns dig +short +time=1 +tries=1 @127.0.0.1 -p $LANP "$@"; }
wan() { in_ns dig +short +tcp +time=1 +tries=1 @127.0.0.1 -p $WANP "$@"; }
table() { in_ns nft list table inet rgw 2>/dev/null; }
# jqt FILTER [jq args] <<<JSON: true when the filter holds
jqt() { jq -e "$@" >/dev/null; }

check "before: new.gwa.demo unknown on the LAN view" test -z "$(lan new.gwa.demo A)"
check "before: 192.168.0.150 not in the table" bash -c "! ip netns exec $GW nft list table inet rgw 2>/dev/null | grep -q '192.168.0.150'"

# --- admission: the demo policy answers UDP with TC and refuses unknown resolvers at
# reputation 0; make it permissive through the API, effective for the very next query
in_ns dig +nocookie +ignore +time=1 +tries=1 @127.0.0.1 -p $WANP test.gwa.demo A > "$T/adm0"
check "before: a UDP query without a cookie gets TC (dns_tcp)" grep -q 'flags:.* tc' "$T/adm0"
api PUT /api/v1/admission '{"dns_tcp":false,"dns_cname":false,"dns_cookies":false,"load_brackets":[{"load_min":0,"load_max":100,"fqdn_new":0,"sfqdn_new":0,"sfqdn_reuse":0}]}'
check "PUT admission answered 200" test "$CODE" = 200
in_ns dig +nocookie +ignore +time=1 +tries=1 @127.0.0.1 -p $WANP test.gwa.demo A > "$T/adm1"
check "after: the next UDP query gets a pool address, no TC" sh -c "grep -qE '^test.gwa.demo.*A[[:space:]]+100\.64\.1\.1' '$T/adm1' && ! grep -q 'flags:.* tc' '$T/adm1'"

# --- create: DNS and nft are current when the 201 arrives
api POST /api/v1/hosts '{"fqdn":"new.gwa.demo","ipv4":"192.168.0.150","services":[{"fqdn":"new.gwa.demo"},{"fqdn":"www.new.gwa.demo","proxy_required":true}],"firewall":[{"direction":"ingress","protocol":"tcp","dport":2222,"action":"accept","priority":3}]}'
check "POST host answered 201" test "$CODE" = 201
lan new.gwa.demo A > "$T/lan1"
table > "$T/t1"
wan new.gwa.demo A > "$T/wan1"
check "LAN view answers the new host's private address at once" grep -qx '192.168.0.150' "$T/lan1"
check "the host is in the DNAT map at once (nft list)" grep -q ': 192.168.0.150' "$T/t1"
check "its firewall rule is compiled at once" grep -q 'tcp dport 2222 accept' "$T/t1"
check "WAN answers a circular-pool address for it" grep -qE '^100\.64\.1\.1(3[1-9]|4[0-2])$' "$T/wan1"
check "WAN answers the service address for its proxied name" sh -c "ip netns exec $GW dig +short +tcp @127.0.0.1 -p $WANP www.new.gwa.demo A | grep -qx 100.64.1.130"

# --- change: the new address replaces the old one everywhere
api PATCH /api/v1/hosts/new.gwa.demo '{"ipv4":"192.168.0.151"}'
check "PATCH answered 200" test "$CODE" = 200
lan new.gwa.demo A > "$T/lan2"
table > "$T/t2"
check "LAN view follows the change at once" grep -qx '192.168.0.151' "$T/lan2"
check "DNAT map follows the change at once" grep -q ': 192.168.0.151' "$T/t2"
check "the old address is gone from the table" bash -c "! grep -q ': 192.168.0.150' '$T/t2'"

# --- firewall rule removal
rule=$(printf '%s' "$BODY" | jq -r '.firewall[0].priority')
api GET /api/v1/hosts/new.gwa.demo/firewall
rid=$(printf '%s' "$BODY" | jq -r '.items[0].id')
api DELETE "/api/v1/hosts/new.gwa.demo/firewall/$rid"
check "DELETE rule answered 204" test "$CODE" = 204
check "the rule is gone from the table at once" bash -c "! ip netns exec $GW nft list table inet rgw 2>/dev/null | grep -q 'tcp dport 2222 accept'"

# --- pool address added / removed
api POST /api/v1/pool-addresses '{"address":"100.64.1.143"}'
check "POST pool address answered 201" test "$CODE" = 201
check "the new pool address is in the table at once" sh -c "ip netns exec $GW nft list table inet rgw 2>/dev/null | grep -q '100.64.1.143'"
api DELETE /api/v1/pool-addresses/100.64.1.143
check "... and gone at once after DELETE" bash -c "! ip netns exec $GW nft list table inet rgw 2>/dev/null | grep -q '100.64.1.143'"

# --- delete: NXDOMAIN and no DNAT element
api DELETE /api/v1/hosts/new.gwa.demo
check "DELETE host answered 204" test "$CODE" = 204
in_ns dig +time=1 +tries=1 @127.0.0.1 -p $LANP new.gwa.demo A > "$T/dig3"
check "LAN view: NXDOMAIN at once" grep -q 'status: NXDOMAIN' "$T/dig3"
check "the host is gone from the table at once" bash -c "! ip netns exec $GW nft list table inet rgw 2>/dev/null | grep -q '192.168.0.151'"

# --- ALG: a route added through the API routes the very next connection
ip netns exec $GW python3 -c 'import http.server as h, sys
class H(h.BaseHTTPRequestHandler):
    def do_GET(s):
        s.send_response(200); s.send_header("Content-Length", "12"); s.end_headers()
        s.wfile.write(b"backend-api\n")
    def log_message(s, *a): pass
h.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' $BACKP > /dev/null 2>&1 &
BP_PID=$!
for _ in $(seq 50); do
	in_ns curl -s -m 1 -o /dev/null "http://127.0.0.1:$BACKP/" && break
	sleep 0.1
done
alg_get() { in_ns curl -s -m 5 -H "Host: $1" "http://127.0.0.1:$ALGP/"; }
check "the backend answers directly" test "$(in_ns curl -s -m 5 http://127.0.0.1:$BACKP/)" = backend-api
check "before: the ALG does not route api.gwa.demo" test "$(alg_get api.gwa.demo)" != backend-api
api POST /api/v1/alg-routes "{\"hostname\":\"api.gwa.demo\",\"backend\":\"127.0.0.1:$BACKP\"}"
check "POST ALG route answered 201" test "$CODE" = 201
route=$(printf '%s' "$BODY" | jq -r .id)
check "the next connection is routed by Host to the new backend" test "$(alg_get api.gwa.demo)" = backend-api
api DELETE "/api/v1/alg-routes/$route"
check "DELETE ALG route answered 204" test "$CODE" = 204
check "the next connection is no longer routed" test "$(alg_get api.gwa.demo)" != backend-api

# --- a refused write changes neither DNS nor the table
table > "$T/t4"
api POST /api/v1/hosts '{"fqdn":"bad.gwa.demo","ipv4":"192.168.0.100"}'
check "duplicate address refused (409)" test "$CODE" = 409
check "no DNS answer for the refused host" test -z "$(lan bad.gwa.demo A)"
table > "$T/t5"
check "the table is unchanged by the refused write" cmp -s "$T/t4" "$T/t5"

# --- bindings: a WAN query makes one, listed with what it binds; deleting its host ends it.
# The service holds its binding 10 minutes, so the listing cannot miss it on a slow machine.
api POST /api/v1/hosts '{"fqdn":"bind.gwa.demo","ipv4":"192.168.0.160","services":[{"fqdn":"bind.gwa.demo","binding_timeout_ms":600000}]}'
check "POST host with a 10-minute binding answered 201" test "$CODE" = 201
BA=$(wan bind.gwa.demo A | tail -n 1)
check "WAN answers a pool address for bind.gwa.demo ($BA)" \
	grep -qE '^100\.64\.1\.1(3[1-9]|4[0-2])$' <<<"$BA"
api GET /api/v1/bindings
check "GET bindings answered 200" test "$CODE" = 200
B=$(printf '%s' "$BODY" | jq -c --arg a "$BA" '[.items[] | select(.public == $a)]')
check "exactly one live binding for $BA: $B" test "$(jq length <<<"$B")" = 1
check "... of host bind.gwa.demo, to 192.168.0.160, asked by 127.0.0.1" \
	jqt '.[0] | .host == "bind.gwa.demo" and .private == "192.168.0.160" and
		.resolver == "127.0.0.1" and .protocol == "any" and .port == 0 and .sla == false' <<<"$B"
check "... expiring within its 10 minutes plus the resolver's cache window" \
	jqt '.[0].expires_ms > 0 and .[0].expires_ms <= 600000 + .[0].window_ms and
		(.[0].id | type) == "number"' <<<"$B"
# 127.0.0.1 is a resolver of no group, not seen yet: its window is being learnt (5 s default)
check "... with the learning resolver's window of 5000 ms, one answer, no flow yet" \
	jqt '.[0] | .window_ms == 5000 and .answers == 1 and .flows == 0 and .flow_limit == 8 and
		.answered == "address"' <<<"$B"
api DELETE /api/v1/hosts/bind.gwa.demo
check "DELETE bind.gwa.demo answered 204" test "$CODE" = 204
api GET /api/v1/bindings
check "its binding is gone with it" \
	jqt --arg a "$BA" '[.items[] | select(.public == $a or .host == "bind.gwa.demo")] | length == 0' <<<"$BODY"

kill -TERM $RP
wait $RP
rc=$?
RP=
check "clean shutdown" test "$rc" = 0
check "clean shutdown removed the table" bash -c "! ip netns exec $GW nft list table inet rgw > /dev/null 2>&1"
summary
