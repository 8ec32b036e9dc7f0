#!/bin/bash
# tests/system/t47_dns_tcp_fairness.sh -- DNS over TCP when one address or one network tries
# to hold the server: per-address and per-/24 caps close the excess at once, a flood of
# silent connections from one address (200 a second) does not stop other resolvers' TCP
# queries, a full table makes room by closing the connection idle the longest, and the idle
# timeout shrinks as the table fills (RFC 7766 6.2.3). Loopback sources 127.0.0.0/8.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"
H="python3 $TOP/tests/system/dns_tcp_hold.py"

P=$(free_port)
dns_bundle "$T/bundle.json" false false
dns_conf "$T/rgw.conf" <<CONF
wan = 127.0.0.1:$P
tcp_idle_timeout = 10000
tcp_max_connections = 64
tcp_max_per_source = 4
tcp_max_per_prefix = 16
CONF
dns_start "$T/rgw.conf" || { fail "rgwd starts"; summary; }

out=$($H hold "$P" 127.0.2.1 10 6)
check "per-address cap: 4 of 10 silent connections kept, 6 closed at once ($out)" \
	test "$out" = "kept 4 closed 6"

# five addresses of one /24, 4 each: the /24 holds at most 16
out=$($H hold "$P" 127.0.3.1,127.0.3.2,127.0.3.3,127.0.3.4,127.0.3.5 4 4)
check "per-/24 cap: 16 of 20 connections from one /24 kept ($out)" test "$out" = "kept 16 closed 4"

# 200 silent connections a second from one address for 3 s, while 15 resolvers elsewhere
# ask over TCP twice: all answered
$H flood "$P" 127.0.5.1 200 3 4 > "$T/flood.out" &
fl=$!
flooding() { [ "$(ss -Htn state established "( sport = :$P and dst 127.0.5.1 )" | wc -l)" -ge 4 ]; }
check "the flood has started" poll 20 flooding
q1=$($H queries "$P" 10 15)
q2=$($H queries "$P" 40 15)
wait "$fl"
echo "# flood: $(cat "$T/flood.out"); queries: $q1, $q2"
check "TCP queries from 15 other resolvers answered during the flood ($q1)" test "$q1" = "answered 15 of 15"
check "... and again ($q2)" test "$q2" = "answered 15 of 15"
check "the flood's excess was closed at once" grep -Eq "opened 600 closed 596" "$T/flood.out"

# keepers: silent connections that come back as soon as the server closes them, from N /24s,
# 4 each (the per-source cap), for at most 40 s
keepers() {
	local i j srcs=""
	for i in $(seq "$1" "$2"); do
		for j in 1 2 3 4; do srcs="$srcs,127.$i.0.$j"; done
	done
	exec $H keep "$P" "${srcs#,}" 40
}
established() { [ "$(ss -Htn state established "( sport = :$P )" | wc -l)" -ge "$1" ]; }
# 48 of 64 held: a new silent connection gets a shorter idle timeout than the configured 10 s
keepers 100 111 &
K1=$!
at_exit "kill $K1"
check "48 silent connections held" poll 20 established 46
out=$($H idle "$P" 127.70.0.1 20)
echo "# silent connection with the table 3/4 full: $out"
check "the idle timeout shrinks with the fill ($out)" \
	awk -v t="${out#closed }" 'BEGIN { exit !(t + 0 > 0.3 && t + 0 < 8) }'
# 112 silent sources for 64 places: the table stays full, and new resolvers are answered
# because the connection idle the longest makes room for them
keepers 112 127 &
K2=$!
at_exit "kill $K2"
check "the table is full" poll 20 established 62
q3=$($H queries "$P" 60 5)
q4=$($H queries "$P" 70 5)
check "a full table makes room: new resolvers answered ($q3, $q4)" \
	test "$q3 $q4" = "answered 5 of 5 answered 5 of 5"
kill "$K1" "$K2"
wait "$K1" "$K2" 2>/dev/null

check "still answering over UDP and TCP" \
	bash -c "dig_q() { dig +time=2 +tries=1 \"\$@\"; }; dig_q @127.0.0.1 -p $P gwa.demo SOA +short | grep -q hostmaster && dig_q +tcp @127.0.0.1 -p $P gwa.demo SOA +short | grep -q hostmaster"
dns_stop
line=$(grep "dns: stats:" "$T/rgwd.log")
echo "# $line"
check "refusals by address and by /24, and evictions, were counted" \
	grep -Eq "evicted [1-9][0-9]* refused-source [1-9][0-9]* refused-prefix [1-9]" <<<"$line"
summary
