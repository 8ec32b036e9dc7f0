#!/bin/bash
# tests/system/t40_dns_wan.sh -- rgwd's authoritative WAN DNS on loopback, queried with dig,
# kdig and raw sockets: UDP and TCP, v4 and v6, SOA/NS/NXDOMAIN/NODATA, 0x20, EDNS (cookies,
# ECS, BADVERS, no EDNS), pipelined and byte-by-byte TCP, idle timeout, garbage, junk datagrams.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"
PROBE="$(dirname "$0")/dns_probe.py"

P=$(free_port)
dns_bundle "$T/bundle.json" false false
V6=""
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then V6=", [::1]:$P"; fi
dns_conf "$T/rgw.conf" <<CONF
wan = 127.0.0.1:$P$V6
tcp_idle_timeout = 1000
tcp_max_queries = 50
CONF
dns_start "$T/rgw.conf" || { fail "rgwd starts"; summary; }

D="dig +time=2 +tries=1 @127.0.0.1 -p $P"
out=$($D gwa.demo SOA +norec)
check "SOA at the apex, AA set" grep -Eq 'flags: qr aa;' <<<"$out"
check "SOA serial 7" grep -Eq 'SOA[[:space:]]+ns1.gwa.demo. hostmaster.gwa.demo. 7 ' <<<"$out"
check "EDNS 1232 advertised" grep -q 'udp: 1232' <<<"$out"
out=$($D gwa.demo NS)
check "NS with glue in additional" grep -Eq '^ns1.gwa.demo.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+127.0.0.1' <<<"$out"
out=$($D nope.gwa.demo A)
check "NXDOMAIN with the SOA in authority" \
	bash -c 'grep -q "status: NXDOMAIN" <<<"$1" && grep -q "AUTHORITY: 1" <<<"$1" && grep -Eq "^gwa.demo.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA" <<<"$1"' _ "$out"
out=$($D b.gwa.demo A)
check "empty non-terminal b.gwa.demo: NODATA" \
	bash -c 'grep -q "status: NOERROR" <<<"$1" && grep -q "ANSWER: 0, AUTHORITY: 1" <<<"$1"' _ "$out"
out=$($D a.b.gwa.demo AAAA)
check "empty non-terminal a.b.gwa.demo: NODATA" grep -q "status: NOERROR" <<<"$out"
out=$($D plain.gwa.demo A)
check "host without services: NODATA on the WAN" grep -q "ANSWER: 0, AUTHORITY: 1" <<<"$out"
check "out of zone: REFUSED" bash -c "$D example.com A | grep -q 'status: REFUSED'"
check "label boundary: xgwa.demo is out of zone" bash -c "$D xgwa.demo A | grep -q 'status: REFUSED'"
out=$($D WwW.TeSt.GwA.dEmO A)
check "0x20 spelling kept in the answer" grep -Eq '^WwW.TeSt.GwA.dEmO.[[:space:]]+0[[:space:]]+IN[[:space:]]+A[[:space:]]+100.64.1.130' <<<"$out"
check "proxy_required service answers the service address over TCP" \
	bash -c "$D www.test.gwa.demo A +tcp +short | grep -qx 100.64.1.130"
check "AAAA: the host's IPv6" bash -c "$D test.gwa.demo AAAA +short | grep -qx 2001:db8::100"
out=$($D ssh.test.gwa.demo TXT +tcp)
check "TXT for a pool service" grep -q '"proxy_False.port_22.protocol_6.ssh.test.gwa.demo."' <<<"$out"
check "SRV for a pool service" bash -c "$D ssh.test.gwa.demo SRV +short | grep -q '^10 100 22 _22._6.ssh.test.gwa.demo.$'"
check "A over UDP from the pool, TTL 0" \
	bash -c "$D tcp2000.test.gwa.demo A | grep -Eq '^tcp2000.test.gwa.demo.[[:space:]]+0[[:space:]]+IN[[:space:]]+A[[:space:]]+100.64.1.(13[1-9]|14[0-2])$'"
# pool_limit 1: the first query holds the host's only binding (for a minute: the two refusals
# below take seconds on a loaded machine)
check "first allocation for a host with pool_limit 1" \
	bash -c "$D limited.gwa.demo A +short | grep -Eq '^100.64.1.'"
# from another resolver: the first one's question within 250 ms of its answer would get the
# same binding (docs/nat.md, "Supersession")
check "refused allocation over UDP: no answer (the resolver retries)" \
	bash -c "dig -b 127.0.0.2 +time=1 +tries=1 @127.0.0.1 -p $P limited.gwa.demo A | grep -q 'timed out'"
t0=$(date +%s%N)
out=$(dig -b 127.0.0.2 +time=3 +tries=1 +tcp @127.0.0.1 -p $P limited.gwa.demo A)
dt=$((($(date +%s%N) - t0) / 1000000))
check "refused allocation over TCP: empty NOERROR after the 0.5 s retry (${dt} ms)" \
	bash -c 'grep -q "status: NOERROR" <<<"$1" && grep -q "ANSWER: 0, AUTHORITY: 0" <<<"$1" && [ "$2" -ge 450 ]' _ "$out" "$dt"
check "the pool allocator is connected (no 'no pool allocator' warning)" \
	bash -c "! grep -q 'no pool allocator' '$T/rgwd.log'"
out=$($D 100.0.168.192.in-addr.arpa PTR)
check "WAN PTR of a private host: NXDOMAIN (no leak)" grep -q "status: NXDOMAIN" <<<"$out"

K="kdig @127.0.0.1 -p $P +time=2 +retry=0"
out=$($K gwa.demo SOA +cookie)
check "kdig +cookie: server cookie returned" grep -Eq 'COOKIE: [0-9A-F]{48}' <<<"$out"
out=$($K gwa.demo SOA +subnet=203.0.113.0/24)
check "kdig +subnet: ECS echoed with scope 0" grep -q 'CLIENT-SUBNET: 203.0.113.0/24/0' <<<"$out"
out=$($K gwa.demo SOA +edns=1)
check "kdig +edns=1: BADVERS" grep -q 'status: BADVERS' <<<"$out"
out=$($K gwa.demo SOA +noedns)
check "kdig +noedns: answer without OPT" bash -c 'grep -q "status: NOERROR" <<<"$1" && ! grep -q "EDNS PSEUDOSECTION" <<<"$1"' _ "$out"
out=$($K +tcp +keepopen gwa.demo SOA gwa.demo NS www.test.gwa.demo A nope.gwa.demo A)
check "kdig pipelined TCP: four answers on one connection" \
	bash -c '[ "$(grep -c "status: " <<<"$1")" = 4 ] && grep -q "status: NXDOMAIN" <<<"$1"' _ "$out"
check "20 pipelined queries in one segment, answered in order" python3 "$PROBE" "$P" pipeline 20
check "partial TCP writes (byte by byte, two queries)" python3 "$PROBE" "$P" bytewise
check "silent TCP client closed at the idle timeout" python3 "$PROBE" "$P" silent 1
check "trickling TCP client (a byte every 0.3 s) closed at the idle timeout" \
	python3 "$PROBE" "$P" trickle 1
check "garbage over TCP: connection closed" python3 "$PROBE" "$P" garbage
python3 "$PROBE" "$P" udpjunk
check "still serving after junk datagrams" bash -c "$D gwa.demo SOA +short | grep -q hostmaster"
if [ -n "$V6" ]; then
	check "IPv6 listener (UDP)" bash -c "dig +time=2 +tries=1 @::1 -p $P gwa.demo SOA +short | grep -q hostmaster"
	check "IPv6 listener (TCP)" bash -c "dig +time=2 +tries=1 @::1 -p $P gwa.demo SOA +tcp +short | grep -q hostmaster"
fi
dns_stop
check "clean shutdown with statistics" grep -q "dns: stats: queries udp" "$T/rgwd.log"
check "no sanitizer or crash report" bash -c "! grep -Eq 'ERROR: AddressSanitizer|runtime error|Segmentation' '$T/rgwd.log'"
summary
