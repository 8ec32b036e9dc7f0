#!/usr/bin/env bash
# t33_nat_synproxy -- a spoofed SYN flood (synflood.py: scapy-built SYNs from random sources in
# 198.18.0.0/15, sent from the public namespace) at the
# pool address of a live binding, during its 2 s life: with [nat] synproxy the client that
# resolved the name still connects every time, no binding is used or refused by a spoofed
# source (rgwd's counters: every first packet it saw was the real client's), conntrack holds
# nothing for the spoofed sources, and the flood reached the gateway (its wan0 counters). Then
# the rule order: the replayed SYN is what the queue sees (out_admit), DNAT on the output hook.
# Figures (spoofed SYNs/s, bindings lost, success rate) are printed for docs/nat.md.
# Resolver cache windows are off (admission cache_window_ms 0): one binding, one flow, the one
# a spoofed SYN would take. Every spoofed SYN differs (source address and port), so that the
# memory of rejected packets cannot stand in for the synproxy: with T33_SYNPROXY=no the same
# run fails (the flood takes every binding).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/synflood_lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	{ echo "python3-scapy missing (make deps-test)"; echo "0 passed, 1 failed"; exit 1; }

P=rgwsyn$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
QNUM=$((3000 + ($$ + 7) % 30000))
APORT=$((20000 + ($$ + 17) % 20000))
ROUNDS=${T33_ROUNDS:-10}
pids=()
at_exit "for p in \${pids[@]}; do kill \$p; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
for i in 131 132 133 134; do ip -n $GW addr add 100.64.1.$i/32 dev wan0; done
ip netns exec $GW sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
# The gateway has no route to the spoofed sources: its SYN cookies to them go nowhere.

ip netns exec $PRIV socat TCP-LISTEN:5000,bind=192.168.0.100,reuseaddr,fork SYSTEM:'echo h1' \
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
  "pool": ["100.64.1.131-100.64.1.134"],
  "hosts": [
    {"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100",
     "services": [{"fqdn": "test.gwa.demo"}]}
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
wan = 100.64.0.1:53
[nat]
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
synproxy = ${T33_SYNPROXY:-yes}
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t33 --role ro 2>/dev/null)
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
q() { ip netns exec $PUB dig +time=2 +tries=1 @100.64.0.1 "$1" A +short 2>/dev/null | tail -n 1; }

# The flood runs at every pool address for the whole test, so that it is at the binding's
# address during its whole life, whichever address the DNS answers.
r0=$(rx)
t0=$(date +%s%N)
ip netns exec $PUB /usr/bin/python3 "$TOP/tests/system/synflood.py" --rate ${T33_RATE:-20000} \
	--seconds 120 100.64.1.131-100.64.1.134 5000 >"$T/flood" 2>&1 &
FP=$!
pids+=($FP)
check "the flood reaches the gateway (2,000 SYNs in)" poll 30 rx_above $((r0 + 2000))
synflood_rounds test.gwa.demo "100.64.1.13[1-4]"
ip netns exec $GW conntrack -L -p tcp 2>/dev/null > "$T/ct"
# entries toward the pool whose source is not the client (the API's loopback ones aside)
spoofed=$(grep ' dst=100.64.1.13' "$T/ct" | grep -vc 'src=100.64.0.10 ' || true)
check "conntrack holds no state for the spoofed sources ($spoofed entries)" test "$spoofed" = 0
[ "$spoofed" = 0 ] || sed 's/^/#   /' "$T/ct"

# The rule order (docs/nat.md): notrack in pre_raw, synproxy in filter_in, the replayed SYN
# queued in out_admit and DNATed in nat_out.
ip netns exec $GW nft list table inet rgw > "$T/table" 2>/dev/null
in_chain() {
	sed -n "/chain $1 {/,/}/p" "$T/table" | grep -qF -- "$2" && return 0
	sed -n "/chain $1 {/,/}/p" "$T/table" | sed 's/^/#   /'
	return 1
}
check "pre_raw: handshakes to the pool untracked" \
	in_chain pre_raw 'iifname @wan_ifs ip daddr @pool4 tcp flags syn / syn,ack notrack'
check "filter_in: synproxy for the pool addresses" \
	in_chain filter_in 'ip daddr @pool4 meta l4proto tcp ct state invalid,untracked synproxy'
check "out_admit: the replayed SYN goes to the queue" \
	in_chain out_admit 'fib saddr type != local ip daddr @pool4 ct state new'
check "nat_out: admitted flows DNATed on the output hook" \
	in_chain nat_out 'dnat ip to meta mark map @host_dnat'
kill -TERM $RP
wait $RP
check "clean exit after SIGTERM" test "$?" = 0
check "no sanitizer report in the log" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/log'"
summary
