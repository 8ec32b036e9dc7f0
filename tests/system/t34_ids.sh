#!/usr/bin/env bash
# t34_ids -- IDS alert -> flow teardown -> block -> evidence, with a real Suricata (af-packet on
# the gateway's LAN side, one local rule: the string EVIL-RGW-TEST) writing EVE alerts to rgwd's
# UNIX socket. Public clients (ids_driver.py, 100 source addresses) resolve test.gwa.demo,
# connect through the pool address to an echo server and send the string: each flow is torn
# down (the client sees a reset or silence; conntrack no longer has it), its source is
# blocked (nft set block4, GET /api/v1/blocks with the expiry), the reputation view shows NOK
# evidence against the source and the resolver group; a block expires after block_time, the
# API lifts another one; an alert on a LAN host's own outbound flow (not admitted by rgwd)
# tears it down and blocks the remote peer; then the same over unix_dgram. Prints the delay
# from the flagged packet (Suricata's timestamp) to the teardown, p50 and p99 over 100 alerts.
# Resolver cache windows are off (cache_window_ms 0): each client uses a binding of its own.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
command -v suricata >/dev/null || { echo "suricata missing (make deps-test)"; echo "0 passed, 1 failed"; exit 1; }

P=rgwids$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
QNUM=$((3000 + ($$ + 13) % 30000))
APORT=$((20000 + ($$ + 23) % 20000))
N=${T34_ALERTS:-100}
BLOCK_S=6
pids=()
at_exit "for p in \${pids[@]}; do kill \$p; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
[ -z "${T34_KEEP:-}" ] || at_exit "rm -rf $T34_KEEP; cp -r $T $T34_KEEP"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
ip -n $PUB addr add 100.64.0.50/32 dev eth0
for ((i = 0; i < N + 3; i++)); do
	ip -n $PUB addr add 100.64.2.$((i + 1))/32 dev eth0
done
for i in $(seq 131 138); do ip -n $GW addr add 100.64.1.$i/32 dev wan0; done
ip -n $GW route add 100.64.2.0/24 via 100.64.0.10
# no mid-stream pickup: a torn-down flow's late packets must not make a new entry
ip netns exec $GW sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0

# echo server on the private host, a listener on the public side for the outbound case
ip netns exec $PRIV socat TCP-LISTEN:5000,bind=192.168.0.100,reuseaddr,fork EXEC:cat \
	>/dev/null 2>&1 &
pids+=($!)
ip netns exec $PUB socat TCP-LISTEN:6000,bind=100.64.0.50,reuseaddr,fork EXEC:cat \
	>/dev/null 2>&1 &
pids+=($!)

cat > "$T/bundle.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.0.1"}]}
  ],
  "service_addresses": ["100.64.1.130"],
  "pool": ["100.64.1.131-100.64.1.138"],
  "hosts": [
    {"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100",
     "services": [{"fqdn": "test.gwa.demo"}]}
  ],
  "resolver_groups": [
    {"name": "pubresolvers", "initial_reputation": 0.9, "sla": false,
     "nodes": ["100.64.0.10/32"]}
  ],
  "admission": {"dns_tcp": false, "dns_cookies": false, "dns_cname": false,
                "cache_window_ms": 0}
}
JSON
start_rgwd() { # $1: eve_type
	cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 100.64.0.1:53
[nat]
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
[ids]
enable = yes
eve_socket = $T/eve.sock
eve_type = $1
severity = 2
block_time = $BLOCK_S
CONF
	[ ! -e "$T/log" ] || mv "$T/log" "$T/log.before-$1"
	ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
	RP=$!
	pids+=($RP)
	wait_for 'rgwd: ready' "$T/log" 15
}
start_suricata() { # $1: filetype
	cat > "$T/suricata.yaml" <<YAML
%YAML 1.1
---
default-log-dir: $T/sur
default-rule-path: $T
rule-files: [local.rules]
classification-file: /etc/suricata/classification.config
reference-config-file: /etc/suricata/reference.config
outputs:
  - eve-log:
      enabled: yes
      filetype: $1
      filename: $T/eve.sock
      types:
        - alert
af-packet:
  - interface: lan0
    cluster-id: 97
    cluster-type: cluster_flow
    defrag: yes
app-layer:
  protocols:
    tls: {enabled: no}
    http: {enabled: no}
logging:
  default-log-level: notice
YAML
	mkdir -p "$T/sur"
	# priority 1 -> severity 1 (acted upon at severity = 2); a lower one is counted only
	cat > "$T/local.rules" <<'RULES'
alert tcp any any -> any any (msg:"rgw test string"; content:"EVIL-RGW-TEST"; sid:1000001; rev:1; priority:1;)
alert tcp any any -> any any (msg:"rgw harmless string"; content:"MILD-RGW-TEST"; sid:1000002; rev:1; priority:3;)
RULES
	ip netns exec $GW suricata -c "$T/suricata.yaml" --af-packet=lan0 -k none \
		> "$T/suricata.log" 2>&1 &
	SP=$!
	pids+=($SP)
}
api() { # METHOD PATH: the body
	ip netns exec $GW curl -s -m 5 -X "$1" -H "Authorization: Bearer $TOK" \
		"http://127.0.0.1:$APORT/api/v1$2"
}
post() { # PATH BODY: the status code
	ip netns exec $GW curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' -d "$2" \
		"http://127.0.0.1:$APORT/api/v1$1"
}
code() { # METHOD PATH: the status code
	ip netns exec $GW curl -s -m 5 -o /dev/null -w '%{http_code}' -X "$1" \
		-H "Authorization: Bearer $TOK" "http://127.0.0.1:$APORT/api/v1$2"
}
alerts_logged() { grep -c 'ids: alert sid=1000001' "$T/log"; }
alerts_above() { [ "$(alerts_logged)" -gt "$1" ]; }
writer_connected() { grep -q 'EVE writer connected' "$T/log"; }
suricata_running() { grep -qi 'engine started\|threads are running\|Packet processing threads' "$T/suricata.log"; }

# --- unix_stream
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t34 2>/dev/null)
check "rgwd (dns + nat + ids, unix_stream) ready" start_rgwd unix_stream
start_suricata unix_stream
check "Suricata connects to rgwd's EVE socket" poll 60 writer_connected
check "Suricata's capture runs on lan0" poll 60 suricata_running

# one client first, looked at closely
ip netns exec $PUB /usr/bin/python3 "$TOP/tests/system/ids_driver.py" --dns 100.64.0.1 \
	--dns-src 100.64.0.10 --name test.gwa.demo --port 5000 --string EVIL-RGW-TEST \
	--quiet-ms 800 100.64.2.1 > "$T/first.json"
cat "$T/first.json" | sed 's/^/# /'
OUT=$(jq -r .outcome "$T/first.json")
SPORT=$(jq -r .sport "$T/first.json")
check "the client's flow was torn down: it saw $OUT" bash -c "[ '$OUT' = reset ] || [ '$OUT' = silence ] || [ '$OUT' = eof ]"
check "rgwd logged the alert: flow torn down, admitted by a binding, source blocked" \
	poll 10 grep -qE "ids: alert sid=1000001 .*flow=(100.64.2.1:$SPORT->192.168.0.100:5000|192.168.0.100:5000->100.64.2.1:$SPORT) .*conntrack_deleted=[1-9] admitted=yes binding=[1-9][0-9]* blocked=100.64.2.1 \(new\)" "$T/log"
no_ct() { ! ip netns exec $GW conntrack -L -p tcp 2>/dev/null | grep -q "src=100.64.2.1 .*sport=$SPORT "; }
check "conntrack no longer has the flow" no_ct
check "nft set block4 holds the source" \
	bash -c "ip netns exec $GW nft list set inet rgw block4 | grep -q '100.64.2.1 timeout ${BLOCK_S}s expires'"
B=$(api GET /blocks)
check "GET /blocks lists it with its expiry" bash -c "echo '$B' | jq -e '.items[] | select(.address == \"100.64.2.1\") | .expires_ms > 0 and .expires_ms <= ${BLOCK_S}000 and (.reason | test(\"sid 1000001\"))' >/dev/null"
# A policy change (one nft batch through the policy commit) leaves the runtime block alone.
check "a policy change is committed meanwhile (POST /hosts: 201)" \
	test "$(post /hosts '{"fqdn":"other.gwa.demo","ipv4":"192.168.0.101"}')" = 201
check "... the block survives it: nft set block4 still holds the source" \
	bash -c "ip netns exec $GW nft list set inet rgw block4 | grep -q '100.64.2.1 timeout ${BLOCK_S}s expires'"
check "... and the drop rule for block4 is still first in pre_raw" \
	bash -c "ip netns exec $GW nft list chain inet rgw pre_raw | grep -m1 -E 'saddr|@block' | grep -q '@block4 drop'"
blocked_connect() {
	! ip netns exec $PUB timeout 3 socat -T1 - TCP:100.64.1.131:5000,bind=100.64.2.1,connect-timeout=2 \
		</dev/null >/dev/null 2>&1
}
check "the blocked source gets nothing back (not even a reset)" blocked_connect
R=$(api GET /reputation)
check "reputation: NOK evidence against the source (requestor 100.64.2.1/32)" \
	bash -c "echo '$R' | jq -e '.items[] | select(.kind == \"requestor\" and .key == \"100.64.2.1/32\") | .nok >= 1' >/dev/null"
check "reputation: ... and its /24" \
	bash -c "echo '$R' | jq -e '.items[] | select(.kind == \"requestor\" and .key == \"100.64.2.0/24\") | .nok >= 1' >/dev/null"
check "reputation: ... and the resolver group that obtained the binding" \
	bash -c "echo '$R' | jq -e '.items[] | select(.kind == \"resolver_group\" and .key == \"pubresolvers\") | .nok >= 1' >/dev/null"
gone() { ! ip netns exec $GW nft list set inet rgw block4 | grep -q '100.64.2.1 '; }
api_gone() { ! api GET /blocks | jq -e '.items[] | select(.address == "100.64.2.1")' >/dev/null; }
check "the block expires after block_time (${BLOCK_S} s): nft set" poll $((BLOCK_S + 10)) gone
check "... and the API" poll 5 api_gone

# a severity-3 alert is counted, nothing more
ip netns exec $PUB /usr/bin/python3 "$TOP/tests/system/ids_driver.py" --dns 100.64.0.1 \
	--dns-src 100.64.0.10 --name test.gwa.demo --port 5000 --string MILD-RGW-TEST \
	--quiet-ms 800 --max-ms 1500 100.64.2.2 > "$T/mild.json"
below() { api GET /status | jq -e '.subsystems.defence.ids.below_severity >= 1' >/dev/null; }
check "an alert below the severity is counted" poll 10 below
check "... and its flow lives on" test "$(jq -r .outcome "$T/mild.json")" = alive

# N clients, 4 at a time: the delay from the flagged packet to the teardown
A0=$(alerts_logged)
L0=$(wc -l < "$T/log")
srcs=()
for ((i = 0; i < N; i++)); do srcs+=(100.64.2.$((i + 3))); done
ip netns exec $PUB /usr/bin/python3 "$TOP/tests/system/ids_driver.py" --dns 100.64.0.1 \
	--dns-src 100.64.0.10 --name test.gwa.demo --port 5000 --string EVIL-RGW-TEST \
	--quiet-ms 500 --parallel 4 --resend-ms 2000 --max-ms 8000 "${srcs[@]}" > "$T/many.json"
echo "# the string was sent again $(jq -s 'map(.resent) | add' "$T/many.json") times (Suricata missed it)"
jq -r .outcome "$T/many.json" | sort | uniq -c | sed 's/^/# outcomes: /'
check "$N alerts acted upon" poll 30 alerts_above $((A0 + N - 1))
cut=$(jq -r 'select(.outcome == "reset" or .outcome == "silence" or .outcome == "eof") | .src' \
	"$T/many.json" | wc -l)
check "every one of the $N clients saw its flow end ($cut)" test "$cut" = "$N"
# the alert that tore each flow down (later ones on the same flow find nothing left)
tail -n +$((L0 + 1)) "$T/log" | grep 'ids: alert sid=1000001 .*conntrack_deleted=[1-9]' |
	sed -n 's/.*flow=\([^ ]*\) .*latency_ms=\([0-9][0-9.]*\) .*/\1 \2/p' |
	awk '{ split($1, e, "->"); c = e[1] ~ /^100\.64\.2\./ ? e[1] : e[2]; if (!(c in seen)) { seen[c] = 1; print $2 } }' |
	sort -n > "$T/lat"
NL=$(wc -l < "$T/lat")
p50=$(awk -v n="$NL" 'NR == int((n + 1) / 2) {print}' "$T/lat")
p99=$(awk -v n="$NL" 'NR == int((n * 99 + 99) / 100) {print}' "$T/lat")
echo "# packet-to-teardown delay over $NL alerts: p50 ${p50} ms, p99 ${p99} ms, max $(tail -1 "$T/lat") ms"
check "a delay for each of the $N alerts" test "$NL" = "$N"
ip netns exec $GW conntrack -L -p tcp 2>/dev/null > "$T/ct"
jq -r '"src=\(.src) dst=\(.addr) sport=\(.sport) "' "$T/many.json" > "$T/flows"
left=$(grep -cFf "$T/flows" "$T/ct" || true)
check "conntrack holds none of their flows ($left)" test "$left" = 0
B=$(api GET /blocks)
last=${srcs[$((N - 1))]}
check "the API lists the last client's block" \
	bash -c "echo '$B' | jq -e '.items[] | select(.address == \"$last\")' >/dev/null"
V=${srcs[$((N - 1))]}
check "DELETE /blocks/$V lifts a block (204)" test "$(code DELETE /blocks/$V)" = 204
check "... the set no longer has it" \
	bash -c "! ip netns exec $GW nft list set inet rgw block4 | grep -q '$V '"
check "DELETE of an address not blocked: 404" test "$(code DELETE /blocks/198.51.100.7)" = 404
check "DELETE of something not an address: 400" test "$(code DELETE /blocks/nonsense)" = 400
check "the unblock is in the audit log" bash -c "echo '$(api GET /audit)' | grep -q 'blocks/$V'"
check "the blocks are in the audit log (actor ids)" \
	bash -c "echo '$(api GET /audit)' | jq -e '[.items[] | select(.actor == \"ids\")] | length >= 1' >/dev/null"

# an outbound flow of the LAN host (SNAT, never admitted by rgwd): torn down, peer blocked
ip netns exec $PRIV /usr/bin/python3 - > "$T/out.txt" 2>&1 <<'PY'
import socket, time
s = socket.create_connection(("100.64.0.50", 6000), timeout=4)
s.sendall(b"hello\n"); s.recv(100)
s.sendall(b"EVIL-RGW-TEST\n")
end = time.time() + 4
out = "alive"
last = time.time()
while time.time() < end:
    try:
        s.sendall(b"ping\n"); s.settimeout(0.1)
        if not s.recv(100):
            out = "eof"; break
        last = time.time()
    except socket.timeout:
        if time.time() - last > 0.8:
            out = "silence"; break
    except OSError:
        out = "reset"; break
print(out)
PY
check "the LAN host's outbound flow ended ($(cat "$T/out.txt"))" \
	bash -c "grep -qE 'silence|reset|eof' '$T/out.txt'"
check "rgwd tore it down (not admitted) and blocked the remote peer" \
	poll 10 grep -qE "ids: alert sid=1000001 .*flow=(192.168.0.100:[0-9]+->100.64.0.50:6000|100.64.0.50:6000->192.168.0.100:[0-9]+) .*conntrack_deleted=[1-9] admitted=no binding=0 blocked=100.64.0.50" "$T/log"
M=$(ip netns exec $GW curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$APORT/metrics" | grep -E '^rgw_ids_alerts_total|^rgw_nat_conntrack_deleted_total|^rgw_reputation_flow_evidence_total\{reason="ids_alert"\}')
echo "$M" | sed 's/^/# /'
check "metrics count the alerts and teardowns" bash -c "echo '$M' | grep -q 'rgw_ids_alerts_total{result=\"acted\"} [1-9]'"
kill -TERM $SP; wait $SP 2>/dev/null
kill -TERM $RP; wait $RP
check "clean exit (unix_stream)" test "$?" = 0
check "the socket is removed at exit" test ! -e "$T/eve.sock"

# --- unix_dgram: the same path, one alert
check "rgwd (unix_dgram) ready" start_rgwd unix_dgram
start_suricata unix_dgram
check "Suricata's capture runs" poll 60 suricata_running
D0=$(alerts_logged)
dgram_alert() {
	ip netns exec $PUB /usr/bin/python3 "$TOP/tests/system/ids_driver.py" --dns 100.64.0.1 \
		--dns-src 100.64.0.10 --name test.gwa.demo --port 5000 --string EVIL-RGW-TEST \
		--quiet-ms 600 --max-ms 3000 "100.64.2.$((N + 3))" > "$T/dgram.json"
	alerts_above "$D0"
}
# Suricata opens a datagram socket when it writes its first record: retry until it did
check "an alert over unix_dgram tears the flow down" poll 60 dgram_alert
kill -TERM $SP; wait $SP 2>/dev/null
kill -TERM $RP; wait $RP
check "clean exit (unix_dgram)" test "$?" = 0
check "no sanitizer report in the log" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/log'"
summary
