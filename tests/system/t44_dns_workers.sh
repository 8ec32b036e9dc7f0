#!/bin/bash
# tests/system/t44_dns_workers.sh -- rgwd with extra UDP worker threads (SO_REUSEPORT): every
# query answered whichever socket the kernel picks, allocation queries handed to the main
# thread, a policy re-apply (SIGHUP) while serving, clean shutdown joining the workers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"

P=$(free_port)
dns_bundle "$T/bundle.json" false false
dns_conf "$T/rgw.conf" <<CONF
wan = 127.0.0.1:$P
workers = 2
CONF
dns_start "$T/rgw.conf" || { fail "rgwd starts"; summary; }
check "worker threads started" grep -q "2 UDP worker threads" "$T/rgwd.log"
ok=0
for i in $(seq 1 60); do
	# a new source port each time: the kernel spreads them over the three sockets
	dig +time=2 +tries=1 @127.0.0.1 -p "$P" "n$i.gwa.demo" A | grep -q "status: NXDOMAIN" && ok=$((ok + 1))
	if [ "$i" = 30 ]; then kill -HUP "$RGWD_PID"; fi
done
check "60 of 60 queries answered across workers and a SIGHUP re-apply ($ok)" test "$ok" = 60
check "proxied service answered by any thread" \
	bash -c "dig +time=2 +tries=1 @127.0.0.1 -p $P www.test.gwa.demo A +short | grep -qx 100.64.1.130"
got=0
for i in $(seq 1 10); do
	dig +time=1 +tries=1 @127.0.0.1 -p "$P" tcp2000.test.gwa.demo A +short 2>/dev/null |
		grep -Eq '^100\.64\.1\.(13[1-9]|14[0-2])$' && got=$((got + 1))
done
if grep -q "no pool allocator" "$T/rgwd.log"; then
	echo "skipped (no allocator): pool answers through the workers' hand-off"
	check "allocation queries end at the main thread (no pool connected: refused there)" test "$got" = 0
else
	check "allocation queries handed to the main thread get pool addresses ($got/10)" test "$got" = 10
fi
t0=$(date +%s)
dns_stop
check "clean shutdown (workers joined) within 5 s" test $(($(date +%s) - t0)) -le 5
check "statistics summed over the threads" bash -c "grep -Eq 'queries udp (6[0-9]|[7-9][0-9])' '$T/rgwd.log'"
summary
