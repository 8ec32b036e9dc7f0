#!/bin/bash
# tests/system/t42_dns_lan.sh -- LAN and local-only views: private answers, PTR, forwarding to
# a real upstream (NSD on loopback) with failover past a dead first upstream, large answers
# over TCP, SERVFAIL when every upstream is gone, REFUSED on the local-only listener.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"

if ! command -v nsd >/dev/null; then
	fail "nsd installed"
	summary
fi
LP=$(free_port)
OP=$(free_port)
NP=$(free_port)
DEAD=$(free_port)
mkdir -p "$T/nsd"
{
	cat <<'ZONE'
$ORIGIN example.test.
$TTL 300
@ IN SOA ns.example.test. h.example.test. 1 7200 900 1209600 60
@ IN NS ns.example.test.
ns IN A 127.0.0.1
www IN A 192.0.2.80
ZONE
	for i in $(seq 1 40); do
		printf 'big IN TXT "%0200d"\n' "$i"
	done
} >"$T/nsd/ex.zone"
cat >"$T/nsd/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$NP
  server-count: 1
  username: ""
  database: ""
  zonelistfile: "$T/nsd/zone.list"
  pidfile: "$T/nsd/nsd.pid"
  xfrdfile: "$T/nsd/xfrd.state"
  xfrdir: "$T/nsd"
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: example.test
  zonefile: "$T/nsd/ex.zone"
CONF
timeout 300 nsd -d -c "$T/nsd/nsd.conf" >"$T/nsd/log" 2>&1 &
NSD=$!
at_exit "kill $NSD"

dns_bundle "$T/bundle.json" true true
dns_conf "$T/rgw.conf" <<CONF
lan = 127.0.0.1:$LP
local = 127.0.0.1:$OP
upstream = 127.0.0.1:$DEAD, 127.0.0.1:$NP
upstream_timeouts = 300, 300, 300
CONF
dns_start "$T/rgw.conf" || { fail "rgwd starts"; summary; }
for i in $(seq 1 50); do
	dig +time=1 +tries=1 @127.0.0.1 -p "$NP" example.test SOA +short 2>/dev/null | grep -q . && break
	sleep 0.1
done

L="dig +time=3 +tries=1 @127.0.0.1 -p $LP"
out=$($L www.test.gwa.demo A)
check "LAN: a proxied web name answers the private address, TTL 30, RA" \
	bash -c 'grep -Eq "^www.test.gwa.demo.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+192.168.0.100" <<<"$1" && grep -q "flags: qr aa rd ra" <<<"$1"' _ "$out"
check "LAN: no truncation policy on the LAN side" bash -c "$L ssh.test.gwa.demo A | grep -q '192.168.0.100'"
check "LAN: host without services answers too" bash -c "$L plain.gwa.demo A +short | grep -qx 192.168.0.102"
check "LAN: PTR for a host" bash -c "$L -x 192.168.0.100 +short | grep -qx test.gwa.demo."
check "LAN: NXDOMAIN in zone" bash -c "$L nope.gwa.demo A | grep -q 'status: NXDOMAIN'"
out=$($L www.example.test A)
check "LAN: forwarded past a dead upstream" grep -Eq '^www.example.test.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.80' <<<"$out"
out=$($L big.example.test TXT +ignore +bufsize=1232)
check "LAN: large answer over UDP is truncated by the upstream and relayed" grep -q "flags: qr aa tc" <<<"$out"
out=$($L big.example.test TXT +tcp)
check "LAN: large answer over TCP (upstream TCP fallback), 40 records" grep -q "ANSWER: 40," <<<"$out"
out=$($L big.example.test TXT)
check "LAN: dig's own TC -> TCP retry gets it all" grep -q "ANSWER: 40," <<<"$out"
O="dig +time=3 +tries=1 @127.0.0.1 -p $OP"
out=$($O www.example.test A)
check "local-only: out of zone REFUSED with RA" \
	bash -c 'grep -q "status: REFUSED" <<<"$1" && grep -q " ra" <<<"$1"' _ "$out"
check "local-only: in zone answered" bash -c "$O test.gwa.demo A +short | grep -qx 192.168.0.100"
kill "$NSD"
wait "$NSD" 2>/dev/null
out=$($L gone.example.test A)
check "LAN: SERVFAIL when every upstream fails" grep -q "status: SERVFAIL" <<<"$out"
check "LAN: still serving local names" bash -c "$L test.gwa.demo A +short | grep -qx 192.168.0.100"
dns_stop
check "forwarded queries counted" bash -c "grep -Eq 'forwarded [1-9]' '$T/rgwd.log'"
summary
