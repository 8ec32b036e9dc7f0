#!/bin/bash
# tests/system/t46_dns_pktinfo.sh -- rgwd bound to the any address (v4 and v6) inside a
# network namespace: every UDP answer leaves from the address the query was sent to
# (IP_PKTINFO / IPV6_PKTINFO), on several local addresses; TCP too. Needs root (netns).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"

if [ "$(id -u)" != 0 ]; then
	fail "must run as root (network namespace): a system test that cannot run fails"
	summary
fi
NS=rgwdns$$p
ip netns add "$NS" || { fail "create netns"; summary; }
at_exit "ns_del $NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.99.0.1/32 dev lo
ip -n "$NS" addr add 10.99.0.2/32 dev lo
ip -n "$NS" -6 addr add fd00:99::1/128 dev lo nodad
ip -n "$NS" -6 addr add fd00:99::2/128 dev lo nodad
P=5353
dns_bundle "$T/bundle.json" false false
dns_conf "$T/rgw.conf" <<CONF
wan = 0.0.0.0:$P, [::]:$P
CONF
rm -f "$T/rgw.db"
timeout 300 ip netns exec "$NS" "$RGWD" -c "$T/rgw.conf" >"$T/rgwd.log" 2>&1 &
RGWD_PID=$!
at_exit "kill $RGWD_PID"
wait_for "rgwd: ready" "$T/rgwd.log" 10 || { cat "$T/rgwd.log"; fail "rgwd starts"; summary; }

# "server client": the client's own address differs from the server address, so that only
# IP_PKTINFO (not the kernel's source selection) can get the source right
for pair in "127.0.0.1 127.0.0.1" "127.0.0.2 127.0.0.1" "10.99.0.1 10.99.0.2" \
	"10.99.0.2 10.99.0.1" "::1 ::1" "fd00:99::1 fd00:99::2" "fd00:99::2 fd00:99::1"; do
	set -- $pair
	a=$1
	out=$(ip netns exec "$NS" dig +time=2 +tries=1 -b "$2" @"$a" -p $P gwa.demo SOA 2>&1)
	check "UDP to $a from $2: answered from $a" \
		bash -c 'grep -q "status: NOERROR" <<<"$1" && ! grep -q "unexpected source" <<<"$1"' _ "$out"
done
# (dig warns "reply from unexpected source" and times out when the source is wrong)
out=$(ip netns exec "$NS" dig +time=2 +tries=1 @10.99.0.2 -p $P gwa.demo SOA +tcp 2>&1)
check "TCP to 10.99.0.2" grep -q "status: NOERROR" <<<"$out"
kill -TERM "$RGWD_PID"
wait "$RGWD_PID" 2>/dev/null
check "clean shutdown" grep -q "rgwd: stopped" "$T/rgwd.log"
summary
