#!/usr/bin/env bash
# t36_nat_ipv6 -- IPv6 realms end to end with real clients: rgwd (DNS + nat) in a dual-stack
# gateway namespace between a public and a private namespace. A global host is reached
# through a pinhole that its AAAA answer opens for exactly one flow (unsolicited and second
# flows refused; an SFQDN pinhole opens its port only); a ULA host through an address of the
# IPv6 pool (NAT66, one flow); a dual-stack client (curl, happy eyeballs, through the system
# resolver) reaches the dual-stack host, and its A binding stays for the IPv4 flow. `nft list`
# prints the IPv6 table back. HTTPS by SNI over IPv6: the AAAA of a proxy_required name is the
# IPv6 service address, where the ALG routes by SNI to an IPv6 backend with PROXY v2 carrying
# the client's IPv6 address. (Resolver cache windows off: admission cache_window_ms 0.)
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }

P=rgw6n$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
QNUM=$((3000 + ($$ + 7) % 30000))
APORT=$((20000 + ($$ + 13) % 20000))
pids=()
at_exit "rm -rf /etc/netns/$PUB"
at_exit "for p in \${pids[@]}; do kill \$p; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
for ns in $PUB $GW $PRIV; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
# IPv6 beside gw_topology's IPv4 (lib.sh): public 2001:db8::10; the gateway's public side
# 2001:db8::1, service address 2001:db8:1::130, pool 2001:db8:1::131-134; private: the global
# 2001:db8:2::/64 and the ULA fd00::/64 (and 192.168.0.0/24) on one segment
ip -n $PUB addr add 2001:db8::10/64 dev eth0 nodad
ip -n $PUB -6 route add 2001:db8:1::/64 via 2001:db8::1
ip -n $PUB -6 route add 2001:db8:2::/64 via 2001:db8::1
ip -n $GW addr add 2001:db8::1/64 dev wan0 nodad
ip -n $GW addr add 2001:db8:1::130/128 dev wan0 nodad
ip -n $GW addr add 2001:db8:2::1/64 dev lan0 nodad
ip -n $GW addr add fd00::1/64 dev lan0 nodad
ip -n $PRIV addr add 2001:db8:2::200/64 dev eth0 nodad
ip -n $PRIV addr add fd00::100/64 dev eth0 nodad
ip -n $PRIV addr add 2001:db8:2::202/64 dev eth0 nodad
ip -n $PRIV -6 route add default via 2001:db8:2::1
ip netns exec $GW sysctl -qw net.ipv6.conf.all.forwarding=1
# IPv6 settled before the first flow: no tentative (link-local) address left, neighbours known
# (a first SYN that waits for neighbour discovery longer than TCP's 1 s retransmission would
# come back as a second "new" packet)
settled() {
	local ns
	for ns in $PUB $GW $PRIV; do
		[ -z "$(ip -n $ns -6 addr show tentative)" ] || return 1
	done
}
check "IPv6 addresses settled in the three namespaces" poll 15 settled
for a in 2001:db8:2::200 fd00::100 2001:db8::10; do
	ip netns exec $GW ping -6 -c 1 -W 2 $a >/dev/null 2>&1
done

# the private side answers with the address it was reached at and the client's address
for port in 5000 2000; do
	ip netns exec $PRIV socat TCP6-LISTEN:$port,ipv6only=0,reuseaddr,fork \
		SYSTEM:'echo "$SOCAT_SOCKADDR $SOCAT_PEERADDR"' >/dev/null 2>&1 &
	pids+=($!)
done
cat > "$T/http.sh" <<'SH'
#!/bin/sh
read -r line
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s\n' "$SOCAT_SOCKADDR"
SH
chmod +x "$T/http.sh"
ip netns exec $PRIV socat TCP6-LISTEN:8000,ipv6only=0,reuseaddr,fork EXEC:"$T/http.sh" \
	>/dev/null 2>&1 &
pids+=($!)

# HTTPS backend behind the ALG: nginx terminates TLS and says which client PROXY v2 gave it
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=www.gua.gwa.demo" \
	-addext "subjectAltName=DNS:www.gua.gwa.demo" -keyout "$T/www.key" -out "$T/www.crt" \
	>/dev/null 2>&1
mkdir -p "$T/nginx"
cat > "$T/nginx.conf" <<NGX
user root;
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server { listen [2001:db8:2::200]:8443 ssl proxy_protocol;
		ssl_certificate $T/www.crt; ssl_certificate_key $T/www.key;
		location / { return 200 "pp \$proxy_protocol_addr sni \$ssl_server_name\n"; } }
}
NGX
ip netns exec $PRIV nginx -p "$T/nginx" -c "$T/nginx.conf" >/dev/null 2>&1 &
pids+=($!)

cat > "$T/bundle.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.0.1", "ipv6": "2001:db8::1"}]},
    {"name": "0.0.d.f.ip6.arpa", "kind": "reverse", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo"}]},
    {"name": "2.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "kind": "reverse", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo"}]}
  ],
  "service_addresses": ["100.64.1.130", "2001:db8:1::130"],
  "pool": ["100.64.1.131-100.64.1.134", "2001:db8:1::131-2001:db8:1::134"],
  "hosts": [
    {"fqdn": "gua.gwa.demo", "ipv6": "2001:db8:2::200",
     "services": [{"fqdn": "gua.gwa.demo"}, {"fqdn": "tcp2000.gua.gwa.demo"},
                  {"fqdn": "www.gua.gwa.demo", "proxy_required": true}]},
    {"fqdn": "fw6.gwa.demo", "ipv6": "2001:db8:2::202",
     "services": [{"fqdn": "fw6.gwa.demo"}],
     "firewall": [{"direction": "ingress", "protocol": "tcp", "src": "2001:db8::/64",
                   "dport": 5000, "action": "drop"}]},
    {"fqdn": "ula.gwa.demo", "ipv4": "192.168.0.100", "ipv6": "fd00::100",
     "services": [{"fqdn": "ula.gwa.demo", "binding_timeout_ms": 20000}]}
  ],
  "alg_routes": [{"hostname": "www.gua.gwa.demo", "port": 443,
                  "backend": "[2001:db8:2::200]:8443", "preserve": "proxy-v2"}],
  "admission": {"dns_tcp": false, "dns_cookies": false, "cache_window_ms": 0}
}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 100.64.0.1:53, [2001:db8::1]:53
lan = [fd00::1]:53
[nat]
enable = yes
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = yes
ports = 443
workers = 1
[api]
listen = 127.0.0.1:$APORT
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t33 --role ro 2>/dev/null)
RWTOK=$("$RGWD" -c "$T/rgw.conf" --new-token t33rw 2>/dev/null)
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
RP=$!
pids+=($RP)
check "rgwd (dns + nat) ready in the dual-stack gateway namespace" wait_for 'rgwd: ready' "$T/log" 10

q() { ip netns exec $PUB dig +time=2 +tries=1 @2001:db8::1 "$1" "$2" +short 2>/dev/null | tail -n 1; }
connect() {
	ip netns exec $PUB timeout 6 socat -t 4 -T3 - TCP:"$1":"$2",connect-timeout=4 </dev/null \
		2>"$T/cerr"
}
# socat's "[2001:0db8:...] [...]" in compressed form (IPv4-mapped as IPv4)
norm() {
	/usr/bin/python3 -c '
import ipaddress, sys
out = []
for w in sys.stdin.read().split():
    a = ipaddress.ip_address(w.strip("[]"))
    out.append(str(getattr(a, "ipv4_mapped", None) or a))
print(" ".join(out))'
}
refused() {
	connect "$1" "$2" >/dev/null && return 1
	grep -qi refused "$T/cerr"
}
api() {
	ip netns exec $GW curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$APORT$1"
}

# (the xtables NFQUEUE expressions make nft warn that iptables-nft manages the table and that
# it cannot print their target: docs/nat.md, "Queue expression"; anything else is an error)
check "nft lists the IPv6 table back" bash -c \
	"ip netns exec $GW nft list table inet rgw > '$T/table' 2> '$T/table.err'"
check "... without another error" bash -c \
	"! grep -v 'iptables-nft\|xtables_set_nfproto\|XT target NFQUEUE' '$T/table.err' | grep -q ."
check "pinhole6 holds the global host" grep -q '2001:db8:2::200' "$T/table"
check "admission queues new flows to @pinhole6 and @pool6" bash -c \
	"grep -q 'ip6 daddr @pinhole6 ct state new' '$T/table' && grep -q 'ip6 daddr @pool6 ct state new' '$T/table'"
check "NAT66: dnat ip6 through host_dnat6" grep -q 'dnat ip6 to meta mark map @host_dnat6' "$T/table"
check "ICMPv6 packet-too-big accepted in forward" grep -q 'icmpv6 type packet-too-big accept' "$T/table"

# pinhole mode
check "an unsolicited flow to the global host is refused" refused "[2001:db8:2::200]" 5000
R0=$(api /api/v1/status | jq -r '.subsystems.nat.flows_refused')
A=$(q gua.gwa.demo AAAA)
check "AAAA for the global host answers its own address ($A)" test "$A" = 2001:db8:2::200
OUT=$(connect "[$A]" 5000 | norm)
check "the first flow goes through the pinhole to the host, client address kept ($OUT)" \
	test "$OUT" = "2001:db8:2::200 2001:db8::10"
check "a second flow is refused" refused "[$A]" 5000
R1=$(api /api/v1/status | jq -r '.subsystems.nat.flows_refused')
check "rgwd counted the refusal ($R0 -> $R1)" test "$R1" -gt "$R0"
ST=$(api /api/v1/status)
check "one pinhole created, no IPv6 pool address spent" \
	test "$(echo "$ST" | jq -r '.subsystems.nat | "\(.pinholes_created) \(.pool6_allocated)"')" = "1 0"
A=$(q tcp2000.gua.gwa.demo AAAA)
check "an SFQDN pinhole answered ($A)" test "$A" = 2001:db8:2::200
check "it does not open another port" refused "[$A]" 5000
OUT=$(connect "[$A]" 2000 | norm)
check "it opens its own port once" test "$OUT" = "2001:db8:2::200 2001:db8::10"
check "... and only once" refused "[$A]" 2000
check "no A for an IPv6-only host" test -z "$(q gua.gwa.demo A)"
OUT=$(ip netns exec $PUB dig +time=2 +tries=1 @2001:db8::1 tcp2000.gua.gwa.demo SRV 2>/dev/null)
check "SRV of an IPv6-only host carries the AAAA of its target" \
	grep -Eq '^_2000\._6\.tcp2000\.gua\.gwa\.demo\.[[:space:]]+0[[:space:]]+IN[[:space:]]+AAAA[[:space:]]+2001:db8:2::200$' <<<"$OUT"

# a pinhole host's IPv6 firewall rule judges its admitted flows
check "the host's IPv6 ingress rule is in its chain" bash -c \
	"ip netns exec $GW nft list table inet rgw | grep -q 'ip6 saddr 2001:db8::/64 tcp dport 5000 drop'"
A=$(q fw6.gwa.demo AAAA)
OUT=$(connect "[$A]" 2000 | norm)
check "a flow the rule does not match goes through the pinhole ($A: $OUT)" \
	test "$OUT" = "2001:db8:2::202 2001:db8::10"
A=$(q fw6.gwa.demo AAAA)
ip netns exec $PUB timeout 6 socat -t 2 - "TCP:[$A]:5000,connect-timeout=2" </dev/null \
	>"$T/fwout" 2>"$T/cerr"
# (its first SYN is dropped in the host's chain; TCP's retransmission a second later is a new
# flow nobody resolved: refused)
check "an admitted flow the rule drops never reaches the host ($(grep -oiE 'refused|timed out' "$T/cerr"))" \
	bash -c "! [ -s '$T/fwout' ] && grep -qiE 'refused|timed out' '$T/cerr'"

# IPv6 pool (NAT66) for the ULA host
A=$(q ula.gwa.demo AAAA)
check "AAAA for the ULA host answers an IPv6 pool address ($A)" \
	bash -c "[[ '$A' == 2001:db8:1::13[1-4] ]]"
OUT=$(connect "[$A]" 5000 | norm)
check "the first flow is DNATed to the ULA, client address kept ($OUT)" \
	test "$OUT" = "fd00::100 2001:db8::10"
check "a second flow to the pool address is refused" refused "[$A]" 5000
# the ULA host's own traffic to the WAN leaves from the IPv6 service address
ip netns exec $PUB socat TCP6-LISTEN:7000,reuseaddr,fork SYSTEM:'echo "$SOCAT_PEERADDR"' \
	>/dev/null 2>&1 &
pids+=($!)
pub_listening() { ip netns exec $PUB ss -Hltn 'sport = :7000' | grep -q .; }
check "a public listener" poll 10 pub_listening
OUT=$(ip netns exec $PRIV timeout 6 socat -t 4 - TCP:[2001:db8::10]:7000,bind=[fd00::100] \
	</dev/null 2>"$T/oerr" | norm)
check "outbound from the ULA is SNATed to the IPv6 service address ($OUT)" \
	test "$OUT" = "2001:db8:1::130"
OUT=$(ip netns exec $PRIV timeout 6 socat -t 4 - TCP:[2001:db8::10]:7000,bind=[2001:db8:2::200] \
	</dev/null 2>"$T/oerr2" | norm)
check "outbound from the global host keeps its address ($OUT)" test "$OUT" = "2001:db8:2::200"

# dual stack: the system resolver asks A and AAAA; curl's happy eyeballs prefers IPv6 (its
# fallback timer at 3 s so that a loaded machine does not start the IPv4 attempt too)
mkdir -p /etc/netns/$PUB
echo "nameserver 2001:db8::1" > /etc/netns/$PUB/resolv.conf
OUT=$(ip netns exec $PUB curl -s -m 8 --happy-eyeballs-timeout-ms 3000 \
	"http://ula.gwa.demo:8000/" 2>"$T/curlerr" | tr -d ' ' | norm)
check "curl (happy eyeballs) reaches the dual-stack host over IPv6 ($OUT)" test "$OUT" = "fd00::100"
V4=$(api /api/v1/bindings | jq -r '[.items[] | select(.public | test("^100[.]64"))] | length')
check "its A binding is still live ($V4)" test "${V4:-0}" -ge 1
A=$(api /api/v1/bindings | jq -r '[.items[] | select(.public | test("^100[.]64"))][0].public')
OUT=$(connect "$A" 5000 | norm)
check "... and admits the IPv4 flow ($A: $OUT)" test "${OUT%% *}" = "192.168.0.100"

# the LAN view over IPv6: private addresses, PTR in ip6.arpa for both kinds of host
L="dig +time=2 +tries=1 @fd00::1"
check "LAN: AAAA of the ULA host is its ULA" \
	bash -c "ip netns exec $PRIV $L ula.gwa.demo AAAA +short | grep -qx fd00::100"
check "LAN: PTR in ip6.arpa for the ULA host" \
	bash -c "ip netns exec $PRIV $L -x fd00::100 +short | grep -qx ula.gwa.demo."
check "LAN: PTR in ip6.arpa for the global host" \
	bash -c "ip netns exec $PRIV $L -x 2001:db8:2::200 +short | grep -qx gua.gwa.demo."
check "WAN: no PTR for a private host" \
	bash -c "ip netns exec $PUB dig +time=2 +tries=1 @2001:db8::1 -x fd00::100 | grep -q 'status: NXDOMAIN'"

# IPv6 policy through rgwctl and the one commit path: an IPv6 pool address, an IPv6-only host
ctl() {
	ip netns exec $GW env RGW_API_URL="http://127.0.0.1:$APORT" RGW_API_TOKEN="$RWTOK" \
		"$TOP/$BUILD/rgwctl" "$@" >/dev/null
}
check "rgwctl adds an IPv6 pool address" ctl pool add 2001:db8:1::135
check "... in force: the IPv6 pool has 5 addresses" \
	test "$(api /api/v1/status | jq -r '.subsystems.nat.pool6_size')" = 5
check "rgwctl adds an IPv6-only host" ctl host add v6b.gwa.demo 2001:db8:2::201
check "... and its name" ctl service add v6b.gwa.demo v6b.gwa.demo
check "... in force: in pinhole6" bash -c \
	"ip netns exec $GW nft list set inet rgw pinhole6 | grep -q '2001:db8:2::201'"
check "... its AAAA answers its address" test "$(q v6b.gwa.demo AAAA)" = 2001:db8:2::201
ip netns exec $GW env RGW_API_URL="http://127.0.0.1:$APORT" RGW_API_TOKEN="$RWTOK" \
	"$TOP/$BUILD/rgwctl" host add ll.gwa.demo fe80::1 > "$T/ll" 2>&1
rc=$?
check "a link-local host address is refused (exit $rc: $(head -c 160 "$T/ll"))" \
	bash -c "[ $rc = 1 ] && grep -q 'link-local' '$T/ll'"

# the ALG on the IPv6 service address: HTTPS by SNI, PROXY v2 with the IPv6 client address
A=$(q www.gua.gwa.demo AAAA)
check "AAAA for a proxy_required name answers the IPv6 service address ($A)" \
	test "$A" = 2001:db8:1::130
nginx_up() { ip netns exec $PRIV ss -Hltn 'sport = :8443' | grep -q .; }
check "the HTTPS backend listens" poll 10 nginx_up
OUT=$(ip netns exec $PUB curl -s -m 8 -6 --cacert "$T/www.crt" https://www.gua.gwa.demo/ \
	2>"$T/curlerr")
check "HTTPS by SNI over IPv6 through the ALG, PROXY v2 with the client's IPv6 ($OUT)" \
	test "$OUT" = "pp 2001:db8::10 sni www.gua.gwa.demo"
check "the ALG logs the IPv6 client" \
	wait_for 'alg: client=\[2001:db8::10\]:[0-9]* .*outcome=ok' "$T/log" 5

kill -TERM $RP
wait $RP
rc=$?
check "clean exit status after SIGTERM" test "$rc" = 0
check "no sanitizer report in the log" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/log'"
check "table removed at shutdown" bash -c "! ip netns exec $GW nft list table inet rgw 2>/dev/null"
summary
