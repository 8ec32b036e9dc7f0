#!/usr/bin/env bash
# t31_nat_rgwd -- rgwd itself with [nat] enabled, in a network namespace: the table follows
# the policy store (seed bundle, --import + SIGHUP), survives SIGKILL + restart, and is removed
# by a clean shutdown. Root needed.
. "$(dirname "$0")/lib.sh"
BUNDLE="$TOP/docs/examples/gwa.demo.json"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }

GW=rgwnatd$$
QNUM=$((2000 + $$ % 30000))
at_exit "[ -n \"\${RP:-}\" ] && kill -9 \$RP; ns_del $GW"
ip netns add $GW || { echo "0 passed, 1 failed"; exit 1; }
ip -n $GW link add wan0 type veth peer name lan0
ip -n $GW link set lo up

cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $BUNDLE
[dns]
enable = no
[alg]
enable = no
[api]
enable = no
[nat]
enable = yes
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
helpers = ftp
CONF

start() {
	: > "$T/log"
	ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
	RP=$!
	wait_for 'rgwd: ready' "$T/log" 10
}
table() { ip netns exec $GW nft list table inet rgw 2>/dev/null; }

check "rgwd starts with nat enabled" start
table > "$T/t1"
check "table inet rgw created" grep -q "chain pre_admit" "$T/t1"
check "pool addresses from the bundle in pool4" grep -q "100.64.1.131" "$T/t1"
check "host test.gwa.demo in host_dnat" grep -q ": 192.168.0.100" "$T/t1"
check "host firewall rules compiled (ping from the router)" \
	grep -q "ip saddr 100.64.0.2 icmp type echo-request accept" "$T/t1"
check "rate-limited reject rule compiled (reject over the rate)" grep -q "limit rate over 5/second burst 50 packets reject" "$T/t1"
check "group chain for prepaid2 rules" grep -q "tcp dport 443 accept" "$T/t1"
check "conntrack helper object" grep -q 'ct helper rgw-ftp' "$T/t1"
check "service address in the SNAT rule" grep -q "snat ip to 100.64.1.130" "$T/t1"

# Policy change through the store: drop every firewall rule of test.gwa.demo, then SIGHUP.
"$RGWD" -c "$T/rgw.conf" --export "$T/b.json" 2>/dev/null
jq '(.hosts[] | select(.fqdn == "test.gwa.demo") | .firewall) = []' "$T/b.json" > "$T/b2.json"
check "import of the changed policy" "$RGWD" -c "$T/rgw.conf" --import "$T/b2.json"
n=$(grep -c 'rgwd: policy:' "$T/log")
kill -HUP $RP
check "SIGHUP: the reloaded policy is in force (logged)" poll 10 more_than "$n" 'rgwd: policy:' "$T/log"
table > "$T/t2"
check "after SIGHUP the host's rules are gone" \
	bash -c "! grep -q 'ip saddr 100.64.0.2 icmp type echo-request accept' '$T/t2'"
check "after SIGHUP the rest of the table is still there" grep -q ": 192.168.0.100" "$T/t2"
check "daemon still running after the reload" kill -0 $RP

kill -9 $RP
wait $RP 2>/dev/null
RP=
check "table left behind by SIGKILL" bash -c "ip netns exec $GW nft list table inet rgw >/dev/null 2>&1"
start; cp "$T/log" "$T/log.restart"
check "restart after SIGKILL" grep -q "rgwd: ready" "$T/log.restart"
table > "$T/t3"
check "restarted table matches the policy" grep -q ": 192.168.0.100" "$T/t3"
check "restarted table has one pre_admit chain" test "$(grep -c 'chain pre_admit' "$T/t3")" = 1

cat "$T/log.restart" | grep -iv "info" | sed "s/^/# /"
kill -TERM $RP
wait $RP
rc=$?
RP=
check "clean exit status after SIGTERM" test "$rc" = 0
check "no sanitizer report in the log" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/log'"
check "clean shutdown logged" grep -q "table inet rgw removed" "$T/log"
check "table gone after SIGTERM" bash -c "! ip netns exec $GW nft list table inet rgw 2>/dev/null"
summary
