#!/usr/bin/env bash
# t66_policy_commit -- every policy writer goes through one commit, all or nothing. rgwd with
# DNS, NAT, the ALG and the API in a network namespace. A change the kernel refuses (a
# foreign rule still jumps to the chain the change deletes) and a change that needs an ALG
# address another socket holds are answered 500 and change nothing: the same `nft list
# table`, the same dig answers, the ALG still routing real connections as before, the store
# and the audit log untouched. DNS UPDATE is validated like the API (a name that collides
# with a service, an address that is the gateway's own: REFUSED) and audited under its TSIG
# key; start-up, SIGHUP and an `rgwd --import` into the running daemon's database each write
# one audit line with the ETags before and after. Root needed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
command -v nsupdate > /dev/null || { echo "nsupdate missing"; echo "0 passed, 1 failed"; exit 1; }

GW=rgwcommit$$
QNUM=$((2000 + ($$ + 11) % 30000))
at_exit "[ -n \"\${RP:-}\" ] && kill -9 \$RP; [ -n \"\${BP:-}\" ] && kill -9 \$BP; [ -n \"\${TP:-}\" ] && kill -9 \$TP; ns_del $GW"
ip netns add $GW || { echo "0 passed, 1 failed"; exit 1; }
ip -n $GW link add wan0 type veth peer name lan0
ip -n $GW link set lo up
# the service address, the backend of www.web.gwa.demo, an address the test takes first
ip -n $GW addr add 100.64.1.130/32 dev lo
ip -n $GW addr add 192.168.0.100/32 dev lo
ip -n $GW addr add 100.64.1.150/32 dev lo
WANP=5301 LANP=5302 DDP=5303 APIP=8080 ALGP=8081
SECRET=$(head -c 32 /dev/urandom | base64)

cat > "$T/bundle.json" <<'JSON'
{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward",
            "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}],
 "service_addresses": ["100.64.1.130"],
 "pool": ["100.64.1.131-100.64.1.140"],
 "hosts": [
  {"fqdn": "web.gwa.demo", "ipv4": "192.168.0.100",
   "services": [{"fqdn": "web.gwa.demo"}, {"fqdn": "www.web.gwa.demo", "proxy_required": true}],
   "firewall": [{"direction": "ingress", "protocol": "tcp", "dport": 2222, "action": "accept",
                 "priority": 1}]},
  {"fqdn": "www.shop.gwa.demo", "ipv4": "192.168.0.101"}]}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
enable = yes
wan = 127.0.0.1:$WANP
lan = 127.0.0.1:$LANP
ddns = 127.0.0.1:$DDP
tsig_key = dhcp-key:hmac-sha256:$SECRET
[nat]
enable = yes
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = yes
ports = $ALGP
workers = 2
[api]
listen = 127.0.0.1:$APIP
rate = 100000
rate_burst = 100000
CONF

in_ns() { ip netns exec $GW "$@"; }
# the backend of www.web.gwa.demo: the ALG routes the proxied name to the host on its port
ip netns exec $GW /usr/bin/python3 -c 'import http.server as h, sys
class H(h.BaseHTTPRequestHandler):
    def do_GET(s):
        s.send_response(200); s.send_header("Content-Length", "12"); s.end_headers()
        s.wfile.write(b"backend-web\n")
    def log_message(s, *a): pass
h.HTTPServer(("192.168.0.100", int(sys.argv[1])), H).serve_forever()' $ALGP > /dev/null 2>&1 &
BP=$!
for _ in $(seq 50); do
	[ "$(ip netns exec $GW curl -s -m 1 "http://192.168.0.100:$ALGP/")" = backend-web ] && break
	sleep 0.1
done

TOK=$("$RGWD" -c "$T/rgw.conf" --new-token ops 2> /dev/null)
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/out" 2> "$T/log" &
RP=$!
check "rgwd with dns, nat, alg and the API starts in $GW" wait_for 'rgwd: ready' "$T/log" 10

# api METHOD PATH [BODY]: CODE, BODY
api() {
	local args=(-s -m 10 -o "$T/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOK")
	[ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	CODE=$(in_ns curl "${args[@]}" "http://127.0.0.1:$APIP$2")
	BODY=$(cat "$T/body")
}
lan() { in_ns dig +short +time=1 +tries=1 @127.0.0.1 -p $LANP "$@"; }
wan() { in_ns dig +short +tcp +time=1 +tries=1 @127.0.0.1 -p $WANP "$@"; }
table() { in_ns nft list table inet rgw 2> /dev/null; }
alg_get() { in_ns curl -s -m 5 -H "Host: $2" "http://$1:$ALGP/"; }
etag() { in_ns curl -s -D - -o /dev/null -H "Authorization: Bearer $TOK" "http://127.0.0.1:$APIP/api/v1/bundle" | tr -d '\r' | sed -n 's/^ETag: //Ip'; }
audit() { api GET "/api/v1/audit?limit=1000"; printf '%s' "$BODY" > "$T/audit.json"; }
audit_count() { audit; jq '.items | length' "$T/audit.json"; }
# newest FIELD: that field of the newest audit line
newest() { audit; jq -r ".items[0].$1 // \"\"" "$T/audit.json"; }
upd() { in_ns timeout 20 nsupdate -t 3 -y "hmac-sha256:dhcp-key:$SECRET" 2>&1; }
# banner IP PORT: the first line a TCP server at IP:PORT sends
banner() { in_ns timeout 5 bash -c "exec 3<> /dev/tcp/$1/$2 && head -n 1 <&3" 2> /dev/null; }
# take_port: another program listens on 100.64.1.150:ALGP (no SO_REUSEPORT; SO_REUSEADDR so
# that the connections it closes leave no TIME_WAIT that would hold the port once it is gone)
take_port() {
	ip netns exec $GW /usr/bin/python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("100.64.1.150", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b"taken\n"); c.close()' $ALGP > /dev/null 2>&1 &
	TP=$!
	for _ in $(seq 50); do [ "$(banner 100.64.1.150 $ALGP)" = taken ] && return 0; sleep 0.1; done
	return 1
}
# the same everywhere as the snapshot taken by baseline()
baseline() {
	table > "$T/base.nft"
	B_ETAG=$(etag)
	B_AUDIT=$(audit_count)
}
unchanged() { # unchanged WHAT
	table > "$T/now.nft"
	check "$1: nft list table inet rgw is exactly the same" cmp -s "$T/base.nft" "$T/now.nft"
	check "$1: dig (LAN) still answers web.gwa.demo" test "$(lan web.gwa.demo A)" = 192.168.0.100
	check "$1: dig (WAN) still answers the proxied name with the service address" \
		test "$(wan www.web.gwa.demo A)" = 100.64.1.130
	check "$1: the ALG still routes a real connection for www.web.gwa.demo" \
		test "$(alg_get 100.64.1.130 www.web.gwa.demo)" = backend-web
	check "$1: the stored policy is the same (bundle ETag)" test "$(etag)" = "$B_ETAG"
	check "$1: no audit line" test "$(audit_count)" = "$B_AUDIT"
}

# --- start-up: the seed import and the start are audited, with the ETags
audit
check "start-up wrote one audit line (rgwd start)" \
	test "$(jq '[.items[] | select(.actor == "rgwd" and .action == "start")] | length' "$T/audit.json")" = 1
check "... after the seed import (rgwd-seed import)" \
	test "$(jq '[.items[] | select(.actor == "rgwd-seed" and .action == "import")] | length' "$T/audit.json")" = 1
check "... with the ETag of the policy in force after it, that of GET /bundle" \
	test "$(jq -r '.items[] | select(.action == "start") | .etag_after' "$T/audit.json")" = "$(etag)"
check "the ALG routes www.web.gwa.demo to its host" test "$(alg_get 100.64.1.130 www.web.gwa.demo)" = backend-web

# --- an ALG address another socket holds (no SO_REUSEPORT): the whole change fails
check "another program listens on 100.64.1.150:$ALGP" take_port
baseline
api POST /api/v1/service-addresses '{"address":"100.64.1.150"}'
check "a service address whose ALG listener cannot be bound: 500" test "$CODE" = 500
check "... naming the address" grep -q "cannot listen on 100.64.1.150:$ALGP" <<< "$BODY"
unchanged "ALG bind refused"
check "ALG bind refused: the address still belongs to the other socket" \
	test "$(banner 100.64.1.150 $ALGP)" = taken
api GET /api/v1/service-addresses
check "ALG bind refused: the service address is not stored" bash -c "! grep -q 100.64.1.150 <<< '$BODY'"
kill $TP
wait $TP 2> /dev/null
TP=
api POST /api/v1/service-addresses '{"address":"100.64.1.150"}'
check "once the address is free the same write succeeds (201)" test "$CODE" = 201
check "... and the ALG serves a real connection on it" \
	test "$(alg_get 100.64.1.150 www.web.gwa.demo)" = backend-web
api DELETE /api/v1/service-addresses/100.64.1.150
check "the service address is removed again (204)" test "$CODE" = 204

# --- DNS UPDATE: validated like any write, audited under its key
baseline
out=$(upd <<< "server 127.0.0.1 $DDP
zone gwa.demo
update add shop.gwa.demo 300 A 192.168.0.151
send")
check "DNS UPDATE whose www service collides with the host www.shop.gwa.demo: REFUSED" grep -q REFUSED <<< "$out"
out=$(upd <<< "server 127.0.0.1 $DDP
zone gwa.demo
update add www.web.gwa.demo 300 A 192.168.0.152
send")
check "DNS UPDATE of a name that is another host's service: REFUSED" grep -q REFUSED <<< "$out"
out=$(upd <<< "server 127.0.0.1 $DDP
zone gwa.demo
update add evil.gwa.demo 300 A 100.64.1.131
send")
check "DNS UPDATE with a circular-pool address: REFUSED" grep -q REFUSED <<< "$out"
out=$(upd <<< "server 127.0.0.1 $DDP
zone gwa.demo
update add evil.gwa.demo 300 A 100.64.1.130
send")
check "DNS UPDATE with the service address: REFUSED" grep -q REFUSED <<< "$out"
check "refused updates: no name answers" \
	test -z "$(lan shop.gwa.demo A)$(lan evil.gwa.demo A)"
unchanged "DNS UPDATE refused"
before=$(etag)
out=$(upd <<< "server 127.0.0.1 $DDP
zone gwa.demo
update add dyn.gwa.demo 300 A 192.168.0.150
send")
check "a valid DNS UPDATE succeeds" test -z "$out"
check "... in force when answered: dig" test "$(lan dyn.gwa.demo A)" = 192.168.0.150
check "... and nft (DNAT map)" grep -q ': 192.168.0.150' <(table)
check "... one audit line" test "$(audit_count)" = $((B_AUDIT + 1))
check "... under the TSIG key's name" test "$(newest actor)/$(newest action)" = dhcp-key/UPDATE
check "... saying what changed" grep -q "register dyn.gwa.demo 192.168.0.150" <<< "$(newest detail)"
check "... with the ETags before and after" \
	test "$(newest etag_before) $(newest etag_after)" = "$before $(etag)"

# --- a batch the kernel refuses: a foreign rule jumps to the chain the change deletes
chain=$(table | awk '/^\tchain /{c=$2} /tcp dport 2222 accept/{print c; exit}')
check "web.gwa.demo has its own chain ($chain)" test -n "$chain"
in_ns nft add chain inet rgw foreign
in_ns nft add rule inet rgw foreign jump "$chain"
baseline
api DELETE /api/v1/hosts/web.gwa.demo
check "a delete whose nft batch the kernel refuses: 500" test "$CODE" = 500
check "... saying the kernel refused it" grep -q "kernel refused" <<< "$BODY"
unchanged "kernel refusal"
api GET /api/v1/hosts/web.gwa.demo
check "kernel refusal: the host is still stored" test "$CODE" = 200
in_ns nft flush chain inet rgw foreign
in_ns nft delete chain inet rgw foreign
api DELETE /api/v1/hosts/web.gwa.demo
check "without the foreign rule the same delete succeeds (204)" test "$CODE" = 204
check "... in force at once: NXDOMAIN" grep -q 'status: NXDOMAIN' <(in_ns dig +time=1 +tries=1 @127.0.0.1 -p $LANP web.gwa.demo A)
check "... its chain gone from the table" bash -c "! ip netns exec $GW nft list table inet rgw 2> /dev/null | grep -q 'dport 2222'"
check "... and the ALG no longer routes its name" test "$(alg_get 100.64.1.130 www.web.gwa.demo)" != backend-web

# --- SIGHUP: one audit line by "signal", the ETag unchanged
n=$(audit_count)
kill -HUP $RP
for _ in $(seq 100); do [ "$(audit_count)" -gt "$n" ] && break; sleep 0.1; done
check "SIGHUP wrote one audit line (signal reload)" \
	test "$(audit_count)/$(newest actor)/$(newest action)" = "$((n + 1))/signal/reload"
check "... the policy unchanged: ETag before = after = the bundle's" \
	test "$(newest etag_before) $(newest etag_after)" = "$(etag) $(etag)"

# --- rgwd --import into the running daemon's database: noticed, put in force, audited
"$RGWD" -c "$T/rgw.conf" --export "$T/e.json" 2> /dev/null
jq '.hosts += [{"fqdn": "imported.gwa.demo", "ipv4": "192.168.0.170"}]' "$T/e.json" > "$T/i.json"
n=$(audit_count)
check "rgwd --import while the daemon runs" "$RGWD" -c "$T/rgw.conf" --import "$T/i.json"
for _ in $(seq 100); do [ -n "$(lan imported.gwa.demo A)" ] && break; sleep 0.1; done
check "the daemon puts the import in force: dig" test "$(lan imported.gwa.demo A)" = 192.168.0.170
check "... and nft" grep -q ': 192.168.0.170' <(table)
audit
check "the import and its reload are one audit line each" \
	test "$(jq -r '.items[0:2] | map(.actor + "/" + .action) | join(" ")' "$T/audit.json")" = "rgwd/reload rgwd --import/import"
check "... the reload's ETag after is the bundle's" test "$(newest etag_after)" = "$(etag)"

# --- an import the data plane cannot take: the previous policy stays in force, said so
check "another program listens on 100.64.1.150:$ALGP again" take_port
jq '.service_addresses += ["100.64.1.150"] | .hosts += [{"fqdn": "late.gwa.demo", "ipv4": "192.168.0.171"}]' "$T/i.json" > "$T/j.json"
table > "$T/before-j.nft"
n=$(audit_count)
"$RGWD" -c "$T/rgw.conf" --import "$T/j.json" 2> /dev/null
for _ in $(seq 100); do [ "$(audit_count)" -ge $((n + 2)) ] && break; sleep 0.1; done
check "an import the ALG cannot take is refused by the daemon, said in the audit log" \
	test "$(newest actor)/$(newest action)" = rgwd/refuse
check "... naming the address" grep -q "cannot listen on 100.64.1.150" <<< "$(newest detail)"
check "... the previous policy in force: dig" test -z "$(lan late.gwa.demo A)"
check "... and nft" cmp -s "$T/before-j.nft" <(table)

grep -E "update .* refused|refused, the previous" "$T/log" | sed "s/^/# /"
kill -TERM $RP
wait $RP
rc=$?
RP=
check "clean shutdown" test "$rc" = 0
summary
