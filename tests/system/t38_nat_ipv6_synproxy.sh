#!/usr/bin/env bash
# t38_nat_ipv6_synproxy -- t33 over IPv6: a spoofed SYN flood (synflood.py: scapy-built IPv6
# SYNs from random sources in 2001:2::/48, sent from the public namespace) at every IPv6 pool
# address while a client resolves a ULA host (AAAA: an IPv6 pool address, NAT66) and connects:
# with [nat] synproxy the client connects every time, every first packet rgwd saw was the
# client's (none refused, no binding lost to a spoofed source), conntrack holds nothing for the
# spoofed sources. Then the IPv6 rules in pre_raw, filter_in, out_admit and nat_out.
# Resolver cache windows are off (admission cache_window_ms 0): one binding, one flow.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/synflood_lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	{ echo "python3-scapy missing (make deps-test)"; echo "0 passed, 1 failed"; exit 1; }

P=rgw6y$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
QNUM=$((3000 + ($$ + 19) % 30000))
APORT=$((20000 + ($$ + 23) % 20000))
ROUNDS=${T38_ROUNDS:-6}
pids=()
at_exit "for p in \${pids[@]}; do kill \$p; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology6 $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
# the IPv6 pool addresses are the gateway's own (on wan0), as the synproxy needs
ip -n $PUB addr add 2001:db8::10/64 dev eth0 nodad
ip -n $PUB -6 route add 2001:db8:1::/64 via 2001:db8::1
ip -n $GW addr add 100.64.0.1/24 dev wan0
ip -n $GW addr add 2001:db8::1/64 dev wan0 nodad
for i in 130 131 132 133; do ip -n $GW addr add 2001:db8:1::$i/128 dev wan0 nodad; done
ip -n $GW addr add fd00::1/64 dev lan0 nodad
ip -n $PRIV addr add fd00::100/64 dev eth0 nodad
ip -n $PRIV -6 route add default via fd00::1
ip netns exec $GW sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
# The gateway has no route to the spoofed sources: its SYN cookies to them go nowhere.
check "IPv6 addresses settled in the three namespaces" poll 15 v6_settled $PUB $GW $PRIV
ip netns exec $GW ping -6 -c 1 -W 2 fd00::100 >/dev/null 2>&1

ip netns exec $PRIV socat TCP6-LISTEN:5000,bind=[fd00::100],reuseaddr,fork SYSTEM:'echo h1' \
	>/dev/null 2>&1 &
pids+=($!)

cat > "$T/bundle.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv6": "2001:db8::1"}]}
  ],
  "service_addresses": ["2001:db8:1::130"],
  "pool": ["2001:db8:1::131-2001:db8:1::133"],
  "hosts": [
    {"fqdn": "ula.gwa.demo", "ipv6": "fd00::100",
     "services": [{"fqdn": "ula.gwa.demo"}]}
  ],
  "admission": {"dns_tcp": false, "dns_cookies": false, "dns_cname": false,
                "cache_window_ms": 0}
}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = [2001:db8::1]:53
[nat]
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
synproxy = ${T38_SYNPROXY:-yes}
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t38 --role ro 2>/dev/null)
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
RP=$!
pids+=($RP)
check "rgwd (dns + nat + synproxy) ready" wait_for 'rgwd: ready' "$T/log" 10

status() {
	ip netns exec $GW curl -s -m 5 -H "Authorization: Bearer $TOK" \
		"http://127.0.0.1:$APORT/api/v1/status"
}
rx() { ip netns exec $GW cat /sys/class/net/wan0/statistics/rx_packets; }
rx_above() { [ "$(rx)" -gt "$1" ]; }
q() { ip netns exec $PUB dig +time=2 +tries=1 @2001:db8::1 "$1" AAAA +short 2>/dev/null | tail -n 1; }

r0=$(rx)
t0=$(date +%s%N)
ip netns exec $PUB /usr/bin/python3 "$TOP/tests/system/synflood.py" --rate ${T38_RATE:-10000} \
	--seconds 60 2001:db8:1::131,2001:db8:1::132,2001:db8:1::133 5000 >"$T/flood" 2>&1 &
FP=$!
pids+=($FP)
check "the flood reaches the gateway (2,000 SYNs in)" poll 30 rx_above $((r0 + 2000))
synflood_rounds ula.gwa.demo "2001:db8:1::13[1-3]"
ip netns exec $GW conntrack -L -f ipv6 -p tcp 2>/dev/null > "$T/ct"
spoofed=$(grep -c 'src=2001:2:' "$T/ct" || true)
check "conntrack holds no state for the spoofed sources ($spoofed entries)" test "$spoofed" = 0

ip netns exec $GW nft list table inet rgw > "$T/table" 2>/dev/null
in_chain() {
	sed -n "/chain $1 {/,/}/p" "$T/table" | grep -qF -- "$2" && return 0
	sed -n "/chain $1 {/,/}/p" "$T/table" | sed 's/^/#   /'
	return 1
}
check "pre_raw: handshakes to the IPv6 pool untracked" \
	in_chain pre_raw 'iifname @wan_ifs ip6 daddr @pool6 tcp flags syn / syn,ack notrack'
check "filter_in: synproxy for the IPv6 service addresses" \
	in_chain filter_in 'ip6 daddr @service6 meta l4proto tcp ct state invalid,untracked synproxy'
check "out_admit: the replayed IPv6 SYN goes to the queue" \
	in_chain out_admit 'fib saddr type != local ip6 daddr @pool6 ct state new'
check "nat_out: admitted IPv6 flows DNATed on the output hook" \
	in_chain nat_out 'dnat ip6 to meta mark map @host_dnat6'
kill -TERM $RP
wait $RP
check "clean exit after SIGTERM" test "$?" = 0
check "no sanitizer report in the log" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/log'"
summary
