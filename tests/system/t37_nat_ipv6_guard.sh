#!/usr/bin/env bash
# t37_nat_ipv6_guard -- IPv6 anti-spoofing with real packets: rgwd (DNS + nat) in a gateway
# namespace between a public and a private namespace, [nat] lan_prefixes6 set. Datagrams with
# forged IPv6 sources (spoof6.py: scapy + a raw socket) are dropped in the forward chain: from
# the LAN a public address of the gateway or a source outside the LAN prefixes, from the WAN a
# unique local source or a LAN address (each admitted through a pinhole first, so that nothing
# else would stop it); a control datagram with a true source passes each time. A
# packet-too-big from a WAN router numbered in the ULA still reaches the host (its path MTU
# drops), and neighbour discovery works throughout. A policy group's egress rule drops its
# IPv6 member's datagrams (group set g<id>_6).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
/usr/bin/python3 -c "import scapy" 2>/dev/null ||
	{ echo "python3-scapy missing (make deps-test)"; echo "0 passed, 1 failed"; exit 1; }

P=rgw6s$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
QNUM=$((3000 + ($$ + 11) % 30000))
APORT=$((20000 + ($$ + 17) % 20000))
HERE="$TOP/tests/system"
pids=()
at_exit "for p in \${pids[@]}; do kill \$p; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology6 $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
# public 2001:db8::10 behind the gateway's 2001:db8::1; service 2001:db8:1::130, pool
# 2001:db8:1::131-132; private: the global 2001:db8:2::/64 and the ULA fd00::/64
ip -n $PUB addr add 2001:db8::10/64 dev eth0 nodad
ip -n $PUB -6 route add default via 2001:db8::1
ip -n $GW addr add 100.64.0.1/24 dev wan0
ip -n $GW addr add 2001:db8::1/64 dev wan0 nodad
ip -n $GW addr add 2001:db8:1::130/128 dev wan0 nodad
ip -n $GW addr add 2001:db8:2::1/64 dev lan0 nodad
ip -n $GW addr add fd00::1/64 dev lan0 nodad
ip -n $PRIV addr add 2001:db8:2::200/64 dev eth0 nodad
ip -n $PRIV addr add fd00::100/64 dev eth0 nodad
ip -n $PRIV -6 route add default via 2001:db8:2::1
check "IPv6 addresses settled in the three namespaces" poll 15 v6_settled $PUB $GW $PRIV

# UDP sinks on both sides: each line "source text"
ip netns exec $PUB /usr/bin/python3 "$HERE/udp_sink.py" 9000 "$T/pub" &
pids+=($!)
ip netns exec $PRIV /usr/bin/python3 "$HERE/udp_sink.py" 9000 "$T/priv" &
pids+=($!)
ip netns exec $PUB /usr/bin/python3 "$HERE/udp_sink.py" 9001 "$T/pub9001" &
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
  "pool": ["2001:db8:1::131-2001:db8:1::132"],
  "groups": [
    {"name": "no9001", "firewall": [{"direction": "egress", "protocol": "udp", "dport": 9001,
                                     "action": "drop"}]}
  ],
  "hosts": [
    {"fqdn": "gua.gwa.demo", "ipv6": "2001:db8:2::200", "groups": ["no9001"],
     "services": [{"fqdn": "gua.gwa.demo", "binding_timeout_ms": 30000}]}
  ],
  "admission": {"dns_tcp": false, "dns_cookies": false, "cache_window_ms": 0}
}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = [2001:db8::1]:53
[nat]
enable = yes
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
lan_prefixes6 = 2001:db8:2::/64, fd00::/64
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
CONF
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
RP=$!
pids+=($RP)
check "rgwd (dns + nat) ready" wait_for 'rgwd: ready' "$T/log" 10
check "the sinks listen" poll 10 bash -c \
	"grep -q listening '$T/pub' && grep -q listening '$T/priv' && grep -q listening '$T/pub9001'"

ip netns exec $GW nft list table inet rgw > "$T/table" 2>/dev/null
check "forward drops spoofed IPv6 sources from the WAN" \
	grep -q 'iifname @wan_ifs ip6 saddr @spoof_wan6 drop' "$T/table"
check "... and from the LAN" grep -q 'iifname @lan_ifs ip6 saddr @spoof_lan6 drop' "$T/table"
check "... and LAN sources outside lan_prefixes6" \
	grep -q 'iifname @lan_ifs ip6 saddr != @lan_src6 drop' "$T/table"
check "spoof_wan6 holds the ULA and the LAN prefix" bash -c \
	"ip netns exec $GW nft list set inet rgw spoof_wan6 | grep -q 'fc00::/7' &&
	 ip netns exec $GW nft list set inet rgw spoof_wan6 | grep -q '2001:db8:2::/64'"

# send NS SRC DST DPORT TEXT: a source port of its own each time (a new flow each time)
SPORT=40000
send() {
	SPORT=$((SPORT + 1))
	ip netns exec "$1" /usr/bin/python3 "$HERE/spoof6.py" udp "${@:2}" $SPORT
}
got() { grep -q "^$2 $3\$" "$T/$1"; }
# the forged datagrams go first, the control last; once the control is in, a forged one that
# was going to pass would have passed (same path, same queue, sent before it)
lan_round() {
	send $PRIV "$1" 2001:db8::10 9000 "$2"
	send $PRIV 2001:db8:2::200 2001:db8::10 9000 "ok-$2"
	poll 10 got pub 2001:db8:2::200 "ok-$2"
}
check "LAN: a datagram from a true LAN source passes (control)" lan_round 2001:db8:2::200 first
check "LAN: the gateway's pool address as source (round passed)" lan_round 2001:db8:1::131 pool
check "... dropped" bash -c "! grep -q ' pool\$' '$T/pub'"
check "LAN: a source outside lan_prefixes6 (round passed)" lan_round 2001:db8:9::1 outside
check "... dropped" bash -c "! grep -q ' outside\$' '$T/pub'"

# a group's rules reach its members' IPv6 traffic: the group set g<id>_6 holds the host
check "the group's IPv6 set holds its member" bash -c \
	"ip netns exec $GW nft list table inet rgw 2>/dev/null | grep -A3 'set g1_6' | grep -q '2001:db8:2::200'"
group_round() {
	send $PRIV 2001:db8:2::200 2001:db8::10 9001 grp
	send $PRIV 2001:db8:2::200 2001:db8::10 9000 ok-grp
	poll 10 got pub 2001:db8:2::200 ok-grp
}
check "LAN: the member's datagram to port 9001 and a control to 9000 (round passed)" group_round
check "... the group's egress rule dropped the one to 9001" \
	bash -c "! grep -q ' grp\$' '$T/pub9001'"
sink9001() {
	ip netns exec $GW /usr/bin/python3 "$HERE/spoof6.py" udp 2001:db8::1 2001:db8::10 9001 gw \
		40000 && poll 10 got pub9001 2001:db8::1 gw
}
check "... and its sink works (a datagram from the gateway itself)" sink9001

# WAN: each datagram spends a pinhole that an AAAA answer opened (nothing else would let an
# unsolicited datagram in: the forward chain's anti-spoofing is what must stop it). The
# pinholes last 30 s: starting python and scapy may take seconds on a loaded machine.
aaaa() {
	test "$(ip netns exec $PUB dig +time=2 +tries=1 @2001:db8::1 gua.gwa.demo AAAA +short |
		tail -n 1)" = 2001:db8:2::200
}
wan_round() {
	aaaa && send $PUB "$1" 2001:db8:2::200 9000 "$2" &&
		aaaa && send $PUB 2001:db8::10 2001:db8:2::200 9000 "ok-$2" &&
		poll 10 got priv 2001:db8::10 "ok-$2" && CTL_SPORT=$SPORT
}
check "WAN: a datagram from a true source through a pinhole (control)" wan_round 2001:db8::10 first
check "WAN: a unique local source through a pinhole (round passed)" wan_round fd99::7 ula
check "... dropped" bash -c "! grep -q ' ula\$' '$T/priv'"
check "WAN: a LAN address as source through a pinhole (round passed)" wan_round 2001:db8:2::5 lan
check "... dropped" bash -c "! grep -q ' lan\$' '$T/priv'"
check "WAN: the gateway's service address as source (round passed)" wan_round 2001:db8:1::130 svc
check "... dropped" bash -c "! grep -q ' svc\$' '$T/priv'"

# PMTU: a quote of the last control flow's reply direction (2001:db8:2::200:9000 ->
# 2001:db8::10, conntrack: related); a router on the WAN numbered in the ULA says the path is 1280
mtu_learnt() { ip netns exec $PRIV ip -6 route get 2001:db8::10 | grep -q 'mtu 1280'; }
ptb() {
	ip netns exec $PUB /usr/bin/python3 "$HERE/spoof6.py" ptb fd99::1 2001:db8:2::200 1280 \
		2001:db8:2::200 2001:db8::10 9000 ${CTL_SPORT:-0}
	mtu_learnt
}
check "no path MTU known before" bash -c "! ip netns exec $PRIV ip -6 route get 2001:db8::10 | grep -q mtu"
check "a packet-too-big from a ULA router on the WAN reaches the host (path MTU 1280)" \
	poll 10 ptb
check "neighbour discovery works across the gateway (the gateway's neighbours are reachable)" \
	bash -c "ip -n $GW -6 neigh show | grep -E '2001:db8::10|2001:db8:2::200' | grep -qvE 'FAILED|INCOMPLETE'"

kill -TERM $RP
wait $RP
rc=$?
check "clean exit status after SIGTERM" test "$rc" = 0
check "no sanitizer report in the log" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/log'"
summary
