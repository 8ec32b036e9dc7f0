#!/usr/bin/env bash
# t32_nat_dns -- end to end with real clients: rgwd (DNS + nat) in a gateway namespace between a
# public and a private namespace; dig asks for a name, the answered pool address admits exactly
# one flow to the private host (socat), a second flow and an unused binding are refused
# (resolver cache windows off: admission cache_window_ms 0; the windows have the resolver
# matrix, lxc-testbed/run-matrix, and the unit tests).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }

P=rgwnate$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
QNUM=$((3000 + $$ % 30000))
APORT=$((20000 + ($$ + 11) % 20000))
pids=()
at_exit "for p in \${pids[@]}; do kill \$p; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
# The pool addresses are the gateway's own, as on a real gateway (and the testbed): with the
# synproxy the handshake ends on the gateway, so they must be local (docs/nat.md, "SYN proxy").
for i in 131 132 133 134; do ip -n $GW addr add 100.64.1.$i/32 dev wan0; done
# synproxy needs strict TCP tracking (rgwd warns when it is not)
ip netns exec $GW sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0

for spec in "5000 h1" "2000 h1-2000"; do
	set -- $spec
	ip netns exec $PRIV socat TCP-LISTEN:$1,bind=192.168.0.100,reuseaddr,fork \
		SYSTEM:"echo $2" >/dev/null 2>&1 &
	pids+=($!)
done

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
  "pool": ["100.64.1.131-100.64.1.134"],
  "hosts": [
    {"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100",
     "services": [{"fqdn": "test.gwa.demo"}, {"fqdn": "tcp2000.test.gwa.demo"},
                  {"fqdn": "short.test.gwa.demo", "binding_timeout_ms": 300}]}
  ],
  "admission": {"dns_tcp": false, "dns_cookies": false, "cache_window_ms": 0}
}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 100.64.0.1:53
[nat]
enable = yes
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
synproxy = yes
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t32 --role ro 2>/dev/null)
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
RP=$!
pids+=($RP)
check "rgwd (dns + nat) ready in the gateway namespace" wait_for 'rgwd: ready' "$T/log" 10

q() { ip netns exec $PUB dig +time=2 +tries=1 @100.64.0.1 "$1" A +short 2>/dev/null | tail -n 1; }
connect() {
	ip netns exec $PUB timeout 6 socat -d -t 4 -T3 - TCP:"$1":"$2",connect-timeout=4 </dev/null \
		2>"$T/cerr"
}
# Refused: a reset and no byte from the host. Behind the synproxy the handshake completes
# first and the reset follows ("Connection reset by peer", at connect or, once socat is past
# it, at the first read: then only a warning); without it the SYN itself is reset.
refused() {
	local out
	out=$(connect "$1" "$2")
	[ -z "$out" ] && grep -qiE "refused|reset by peer" "$T/cerr" && return 0
	sed "s/^/#   /" "$T/cerr"
	return 1
}
# bindings rgwd counts as expired (its status over the API, inside the gateway namespace)
expired() {
	ip netns exec $GW curl -s -m 5 -H "Authorization: Bearer $TOK" \
		"http://127.0.0.1:$APORT/api/v1/status" | jq -e '.subsystems.nat.bindings_expired'
}
expired_above() { [ "$(expired)" -gt "$1" ] 2>/dev/null; }

A=$(q test.gwa.demo)
check "dig answers a pool address ($A)" bash -c "[[ '$A' == 100.64.1.13[1-4] ]]"
check "the first flow to it reaches the private host" test "$(connect "$A" 5000)" = h1
check "a second flow to the same address is reset" refused "$A" 5000
A=$(q tcp2000.test.gwa.demo)
check "tcp2000 service answered ($A)" bash -c "[[ '$A' == 100.64.1.13[1-4] ]]"
check "tcp/2000 flow reaches the host's port 2000" test "$(connect "$A" 2000)" = h1-2000
# a service whose bindings live 300 ms: its expiry is polled from rgwd's counters
E0=$(expired)
A=$(q short.test.gwa.demo)
check "short.test.gwa.demo answered ($A)" bash -c "[[ '$A' == 100.64.1.13[1-4] ]]"
check "an unused binding expires (expired count above ${E0:-?})" poll 10 expired_above "${E0:-0}"
check "... and then refuses" refused "$A" 5000
# synproxy in front of the service address: a local listener there is reached through it
ip netns exec $GW socat TCP-LISTEN:8081,bind=100.64.1.130,reuseaddr,fork SYSTEM:'echo svc' \
	>/dev/null 2>&1 &
pids+=($!)
listening() { ip netns exec $GW ss -Hltn 'sport = :8081' | grep -q .; }
check "a listener on the service address" poll 10 listening
check "service address reachable through the synproxy" test "$(connect 100.64.1.130 8081)" = svc
ip netns exec $GW nft list chain inet rgw filter_in > "$T/fin" 2>&1
check "synproxy rule in place" grep -q "synproxy mss 1460 wscale 7" "$T/fin"
kill -TERM $RP
wait $RP
rc=$?
check "clean exit status after SIGTERM" test "$rc" = 0
check "no sanitizer report in the log" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/log'"
check "table removed at shutdown" bash -c "! ip netns exec $GW nft list table inet rgw 2>/dev/null"
summary
