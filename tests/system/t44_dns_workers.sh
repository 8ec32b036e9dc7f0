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
pool=0
for i in $(seq 1 10); do
	# A UDP query may land on any worker; allocations happen in the main thread's pool.
	a=$(dig +time=2 +tries=2 @127.0.0.1 -p "$P" tcp2000.test.gwa.demo A +short)
	case "$a" in 100.64.1.1[3-4][0-9]) pool=$((pool + 1)) ;; esac
done
check "allocation queries from any worker answered from the pool ($pool of 10)" test "$pool" -ge 8
t0=$(date +%s)
dns_stop
check "clean shutdown (workers joined) within 5 s" test $(($(date +%s) - t0)) -le 5
check "statistics summed over the threads" bash -c "grep -Eq 'queries udp (6[0-9]|[7-9][0-9])' '$T/rgwd.log'"
summary
