#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t73_nested -- a realm gateway nested behind another one, end to end. Four namespaces the
# test makes: the Internet (a client, a real unbound, other resolvers), the outer gateway
# (rgwd, zone gwa.demo, pool 100.64.1.131-133), the nested gateway in the outer's LAN (a second
# rgwd, zone nest.gwa.demo, service address 192.168.0.10, pool 192.168.0.11-12) and the
# private server behind it (192.168.10.100: nginx with its own certificate, a TCP echo). Real
# nftables in both gateways. Checked:
#   - the client resolves test.nest.gwa.demo through unbound, gets an outer pool address and
#     reaches 192.168.10.100 through two DNATs and two bindings, each ended by that first flow;
#     a second flow is refused at both levels; the nested gateway judged the real resolver
#     (ECI), not the outer gateway;
#   - https://www.test.nest.gwa.demo through both ALGs: the server's own certificate, the real
#     client address at the server (PROXY v2 twice);
#   - ECI from a source that is not a parent changes nothing in the nested gateway's decisions
#     (a good source claiming a bad resolver is served, a bad one claiming a good resolver is
#     refused), and is counted;
#   - the nested gateway refuses a resolver (its admission): the outer answers nothing usable,
#     keeps no binding, and records NOK against that resolver;
#   - the nested gateway's pool exhausted: the outer withdraws its own address (no binding
#     left for nothing) and records no NOK against the resolver;
#   - the nested gateway stopped: the outer answers SERVFAIL within its nested timeouts and
#     answers its own names meanwhile.
# Root needed; about 30 s.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
for c in unbound nginx socat dig curl openssl jq nft; do
	command -v $c >/dev/null || { echo "$c missing"; echo "0 passed, 1 failed"; exit 1; }
done

P=rgwn$$p
O=rgwn$$o
I=rgwn$$i
S=rgwn$$s
OTAB=rgwno$$
ITAB=rgwni$$
OQ=$((3000 + $$ % 30000))
IQ=$((OQ + 1))
OAPI=$((20000 + $$ % 20000))
IAPI=$((OAPI + 1))
OP=
IP=
UB=
NG=
EP=
# T73_KEEP=DIR: keep the logs there
[ -z "${T73_KEEP:-}" ] || at_exit "rm -rf '$T73_KEEP'; cp -r '$T' '$T73_KEEP'"
at_exit "for p in \$OP \$IP \$UB \$NG \$EP; do kill -9 \$p; done; for n in $P $O $I $S; do ip netns pids \$n | xargs -r kill -9; ns_del \$n; done"

# --- topology
mk() {
	local n
	for n in $P $O $I $S; do ip netns add $n || return 1; ip -n $n link set lo up; done
	ip -n $O link add wan0 type veth peer name eth0 netns $P
	ip -n $O link add lan0 type veth peer name wan0 netns $I
	ip -n $I link add lan0 type veth peer name eth0 netns $S
	ip -n $P link set eth0 up && ip -n $S link set eth0 up
	ip -n $O link set wan0 up && ip -n $O link set lan0 up
	ip -n $I link set wan0 up && ip -n $I link set lan0 up
	# the Internet: the client .10, unbound .53, other resolvers .54-.56, a bad one .66
	ip -n $P addr add 100.64.0.10/24 dev eth0
	for a in 53 54 55 56 66; do ip -n $P addr add 100.64.0.$a/32 dev eth0; done
	ip -n $P route add 100.64.1.0/24 via 100.64.0.1
	# the outer gateway: WAN .1 and service address .130; LAN .1 (and .2, .3: LAN hosts)
	ip -n $O addr add 100.64.0.1/24 dev wan0
	ip -n $O addr add 100.64.1.130/32 dev wan0
	ip -n $O addr add 192.168.0.1/24 dev lan0
	ip -n $O addr add 192.168.0.2/32 dev lan0
	ip -n $O addr add 192.168.0.3/32 dev lan0
	# the nested gateway: its service address and pool in the outer's LAN
	ip -n $I addr add 192.168.0.10/24 dev wan0
	ip -n $I addr add 192.168.0.11/32 dev wan0
	ip -n $I addr add 192.168.0.12/32 dev wan0
	ip -n $I addr add 192.168.10.1/24 dev lan0
	ip -n $I route add default via 192.168.0.1
	ip -n $S addr add 192.168.10.100/24 dev eth0
	ip -n $S route add default via 192.168.10.1
	ip netns exec $O sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $I sysctl -qw net.ipv4.ip_forward=1
}
mk || { echo "cannot make the namespaces"; echo "0 passed, 1 failed"; exit 1; }

# --- the private server: nginx (HTTPS with its own certificate, PROXY protocol) and an echo
# that answers with the address it sees
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=t73 test CA" \
	-keyout "$T/ca.key" -out "$T/ca.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=www.test.nest.gwa.demo" \
	-keyout "$T/www.key" -out "$T/www.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:www.test.nest.gwa.demo\n' >"$T/ext"
openssl x509 -req -in "$T/www.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
	-days 2 -extfile "$T/ext" -out "$T/www.crt" >/dev/null 2>&1
mkdir -p "$T/nginx"
cat >"$T/nginx.conf" <<NGX
user root;
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 256; }
http {
	log_format pp '\$proxy_protocol_addr \$remote_addr \$ssl_server_name';
	access_log $T/nginx/access.log pp;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 192.168.10.100:443 ssl proxy_protocol;
		server_name www.test.nest.gwa.demo;
		ssl_certificate $T/www.crt;
		ssl_certificate_key $T/www.key;
		location / { return 200 "inner-www \$proxy_protocol_addr\n"; }
	}
}
NGX
ip netns exec $S timeout 120 nginx -p "$T/nginx" -c "$T/nginx.conf" >/dev/null 2>&1 &
NG=$!
ip netns exec $S timeout 120 socat TCP-LISTEN:2000,bind=192.168.10.100,reuseaddr,fork \
	SYSTEM:'echo "echo $SOCAT_PEERADDR"' >/dev/null 2>&1 &
EP=$!

# --- the two policies
cat >"$T/outer.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 1},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}
  ],
  "service_addresses": ["100.64.1.130"],
  "pool": ["100.64.1.131-100.64.1.133"],
  "hosts": [{"fqdn": "nest.gwa.demo", "ipv4": "192.168.0.10", "pool_limit": 10,
             "nested": {"addresses": ["192.168.0.10-192.168.0.12"], "dns_port": 53,
                        "binding_timeout_ms": 15000},
             "firewall": [{"direction": "ingress", "action": "accept", "priority": 100}]}],
  "admission": {"dns_tcp": true, "dns_cname": false, "dns_cookies": false,
                "unknown_resolver_groups": true, "cache_window_ms": 0}
}
JSON
cat >"$T/inner.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "nest.gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.nest.gwa.demo", "rname": "hostmaster.nest.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 1},
     "nameservers": [{"name": "ns1.nest.gwa.demo", "ipv4": "192.168.0.10"}]}
  ],
  "service_addresses": ["192.168.0.10"],
  "pool": ["192.168.0.11-192.168.0.12"],
  "hosts": [{"fqdn": "test.nest.gwa.demo", "ipv4": "192.168.10.100", "pool_limit": 10,
             "services": [{"fqdn": "test.nest.gwa.demo", "binding_timeout_ms": 15000},
                          {"fqdn": "www.test.nest.gwa.demo", "proxy_required": true}],
             "firewall": [{"direction": "ingress", "action": "accept", "priority": 100}]}],
  "alg_routes": [{"hostname": "www.test.nest.gwa.demo", "port": 443,
                  "backend": "192.168.10.100:443", "preserve": "proxy-v2"}],
  "admission": {"dns_tcp": true, "dns_cname": false, "dns_cookies": false,
                "unknown_resolver_groups": false, "cache_window_ms": 0,
                "load_brackets": [{"load_min": 0, "load_max": 100, "fqdn_new": 0.3,
                                   "sfqdn_new": 0.3, "sfqdn_reuse": 0.3}]},
  "resolver_groups": [
    {"name": "carrier", "parent": true, "initial_reputation": 0.9, "nodes": ["192.168.0.1"]},
    {"name": "isp", "initial_reputation": 0.9,
     "nodes": ["100.64.0.53", "100.64.0.54", "100.64.0.55", "100.64.0.56", "192.168.0.2"]},
    {"name": "bad", "initial_reputation": 0.05, "nodes": ["100.64.0.66", "192.168.0.3"]}
  ]
}
JSON

# start NS NAME BUNDLE DNS TABLE QUEUE API ALG: an rgwd in namespace NS, log $T/NAME.log
start() {
	cat >"$T/$2.conf" <<CONF
[daemon]
database = $T/$2.db
bundle_seed = $T/$3
[dns]
wan = $4
nested_timeouts = 250,250,250
[nat]
enable = yes
table = $5
queue = $6
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = yes
listen = $8
ports = 443
[api]
listen = 127.0.0.1:$7
CONF
	"$RGWD" -c "$T/$2.conf" --new-token t73 --role rw >"$T/$2.tok" 2>/dev/null
	ip netns exec $1 timeout 120 "$RGWD" -c "$T/$2.conf" -d >"$T/$2.log" 2>&1 &
}
start $I inner inner.json 192.168.0.10:53 $ITAB $IQ $IAPI 192.168.0.10:443
IP=$!
start $O outer outer.json 100.64.1.130:53 $OTAB $OQ $OAPI 100.64.1.130:443
OP=$!
check "inner rgwd ready" wait_for 'rgwd: ready' "$T/inner.log" 20
check "outer rgwd ready" wait_for 'rgwd: ready' "$T/outer.log" 20
OTOK=$(cat "$T/outer.tok")
ITOK=$(cat "$T/inner.tok")

# --- unbound on the Internet, gwa.demo sent to the outer gateway
mkdir -p "$T/unbound"
cat >"$T/unbound/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: 53
  outgoing-interface: 100.64.0.53
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "$T/unbound"
  pidfile: "$T/unbound/unbound.pid"
  use-syslog: no
  logfile: "$T/unbound/unbound.log"
  verbosity: 1
  module-config: "iterator"
  do-ip6: no
  cache-max-negative-ttl: 1
remote-control:
  control-enable: no
stub-zone:
  name: "gwa.demo"
  stub-addr: 100.64.1.130
CONF
ip netns exec $P timeout 120 unbound -d -c "$T/unbound/unbound.conf" >"$T/unbound/out" 2>&1 &
UB=$!
unbound_up() { ip netns exec $P dig +time=1 +tries=1 @127.0.0.1 . NS >/dev/null 2>&1; }
check "unbound answers" poll 10 unbound_up
nginx_up() { [ -s "$T/nginx.pid" ]; }
check "nginx is up on the private server" poll 10 nginx_up

# --- helpers
api() { # api NS PORT TOKEN PATH
	ip netns exec $1 curl -s -m 5 -H "Authorization: Bearer $3" "http://127.0.0.1:$2/api/v1/$4"
}
oapi() { api $O $OAPI "$OTOK" "$1"; }
iapi() { api $I $IAPI "$ITOK" "$1"; }
metric() { # metric NS PORT TOKEN NAME
	ip netns exec $1 curl -s -m 5 -H "Authorization: Bearer $3" "http://127.0.0.1:$2/metrics" |
		awk -v m="$4" '$1 == m { print $2 }'
}
ometric() { metric $O $OAPI "$OTOK" "$1"; }
imetric() { metric $I $IAPI "$ITOK" "$1"; }
onbind() { oapi bindings | jq '.items | length'; }
inbind() { iapi bindings | jq '.items | length'; }
no_bindings() { [ "$(onbind)" = 0 ] && [ "$(inbind)" = 0 ]; }
via_unbound() { ip netns exec $P dig +time=5 +tries=1 @127.0.0.1 "$1" A +short | grep -E '^[0-9.]+$' | head -1; }
# echo_at ADDR [SRCNS [SRCADDR]]: the echo line through ADDR:2000, or "" (connect refused or
# timed out)
echo_at() {
	ip netns exec ${2:-$P} timeout 5 socat -T 3 - \
		TCP:$1:2000,connect-timeout=2${3:+,bind=$3} </dev/null 2>/dev/null
}
# ask SRC NAME [more dig args]: straight to the outer gateway over TCP from SRC
ask() {
	local src=$1 name=$2
	shift 2
	ip netns exec $P dig +tcp +time=3 +tries=1 -b "$src" @100.64.1.130 "$name" A "$@"
}
not() { ! "$@"; }
# jqt FILTER JSON: the filter holds for the JSON (a missing JSON fails)
jqt() { [ -n "$2" ] && jq -e "$1" <<<"$2" >/dev/null; }
# eci ADDR: the ECI option (0xFF01) naming ADDR, TCP, port 5353, in dig's +ednsopt form
eci() { printf '65281:0001%02x%02x%02x%02x000614e9' $(tr . ' ' <<<"$1"); }

# --- 0. the policy through the REST API and rgwctl (one commit path: policy_commit)
RGWCTL="$TOP/$BUILD/rgwctl"
ctl() { ip netns exec $O "$RGWCTL" --url "http://127.0.0.1:$OAPI" --token "$OTOK" "$@"; }
n=$(ctl --json host show nest.gwa.demo | jq -c '.nested')
check "rgwctl shows the nested gateway ($n)" \
	test "$n" = '{"addresses":["192.168.0.10/31","192.168.0.12"],"binding_timeout_ms":15000,"dns_port":53}'
ctlq() { ctl "$@" >/dev/null 2>&1; }
out=$(ctl host add nest2.gwa.demo 192.168.0.20 --nested 192.168.0.12,192.168.0.20 2>&1)
check "a second nested gateway owning one of the first one's addresses is refused ($out)" \
	grep -q '409 conflict' <<<"$out"
check "... and not added" not ctlq host show nest2.gwa.demo
check "rgwctl adds a valid nested gateway" \
	ctlq host add nest2.gwa.demo 192.168.0.20 --nested 192.168.0.20-192.168.0.21 --dns-port 5353
check "rgwctl removes it" ctlq host del nest2.gwa.demo

# --- 1. the data plane: two DNATs, two bindings, the first flow ends both
# the outer gateway's LAN on the wire while unbound resolves (the question to the nested one)
ip netns exec $O timeout 60 tcpdump -i lan0 -n -U --immediate-mode -w "$T/lan.pcap" port 53 >/dev/null 2>"$T/tcpdump.err" &
TD=$!
cap_up() { grep -q 'listening on' "$T/tcpdump.err"; }
check "tcpdump listens on the outer gateway's LAN" poll 10 cap_up
A=$(via_unbound test.nest.gwa.demo)
echo "# test.nest.gwa.demo through unbound: $A"
check "unbound gets an outer pool address for test.nest.gwa.demo" \
	grep -qE '^100\.64\.1\.13[1-3]$' <<<"$A"
check "one binding on each gateway before the flow" \
	test "$(onbind):$(inbind)" = "1:1"
ob=$(oapi bindings | jq -c '.items[0]')
ib=$(iapi bindings | jq -c '.items[0]')
echo "# outer binding: $ob"
echo "# inner binding: $ib"
check "the outer's binding goes to the nested gateway's pool" grep -qE '"192\.168\.0\.1[12]"' <<<"$ob"
check "the nested gateway judged unbound (ECI), not the outer gateway" \
	bash -c "grep -q '100.64.0.53' <<<'$ib' && ! grep -q '192.168.0.1\"' <<<'$ib'"
line=$(echo_at "$A")
check "the client reaches 192.168.10.100 and is seen with its own address ($line)" \
	test "$line" = "echo 100.64.0.10"
check "the first flow ended both bindings" poll 5 no_bindings
ct_o=$(ip netns exec $O conntrack -L -p tcp --dport 2000 2>/dev/null | grep "dst=$A")
ct_i=$(ip netns exec $I conntrack -L -p tcp --dport 2000 2>/dev/null | grep 'src=100.64.0.10')
echo "# conntrack, outer: $ct_o"
echo "# conntrack, inner: $ct_i"
check "the outer DNATed the flow to the nested gateway's address" \
	grep -qE "dst=$A .*src=192\.168\.0\.1[12] dst=100\.64\.0\.10" <<<"$ct_o"
check "the nested gateway DNATed it to 192.168.10.100" \
	grep -qE 'dst=192\.168\.0\.1[12] .*src=192\.168\.10\.100 dst=100\.64\.0\.10' <<<"$ct_i"
check "a second flow to the outer pool address is refused" test -z "$(echo_at "$A")"
inner_addr=$(jq -r '.private_addr // .target // empty' <<<"$ob")
check "a flow straight to the nested gateway's pool address is refused too" \
	test -z "$(echo_at "${inner_addr:-192.168.0.11}" $O)"
# what the outer gateway asked the nested one, on the wire (the capture is read once the
# flows are done: scapy is slow to start)
wire() { /usr/bin/python3 "$TOP/tests/system/nest_wire.py" "$T/lan.pcap" 2>/dev/null; }
wire_eci() { wire | grep -q ' ECI '; }
poll 10 wire_eci
kill -INT $TD
wait $TD 2>/dev/null
wire=$(wire)
echo "# on the outer gateway's LAN:"
sed 's/^/#   /' <<<"$wire"
check "the outer asked the nested gateway the client's question with ECI naming unbound" \
	grep -qE '^192\.168\.0\.1 -> 192\.168\.0\.10:53 test\.nest\.gwa\.demo A .*ECI 100\.64\.0\.53 proto 6' <<<"$wire"

# --- 2. HTTPS by SNI through both ALGs, no decryption, the client's address at the server
W=$(via_unbound www.test.nest.gwa.demo)
check "www.test.nest.gwa.demo resolves to the outer service address ($W)" test "$W" = 100.64.1.130
body=$(ip netns exec $P curl -s -m 10 --cacert "$T/ca.crt" \
	--resolve "www.test.nest.gwa.demo:443:${W:-100.64.1.130}" https://www.test.nest.gwa.demo/)
check "curl through both ALGs verifies the server's own certificate ($body)" \
	test "$body" = "inner-www 100.64.0.10"
subj=$(ip netns exec $P timeout 10 openssl s_client -connect 100.64.1.130:443 \
	-servername www.test.nest.gwa.demo </dev/null 2>/dev/null | openssl x509 -noout -subject)
check "openssl s_client sees the server's certificate ($subj)" \
	grep -q 'www.test.nest.gwa.demo' <<<"$subj"
check "nginx logged the real client address from PROXY v2 (via the nested ALG)" \
	grep -q '^100.64.0.10 192.168.10.1 www.test.nest.gwa.demo' "$T/nginx/access.log"
nb="$(onbind):$(inbind)"
[ "$nb" = 0:0 ] || oapi bindings | jq -c '.items[]' | sed 's/^/#   /'
check "no pool address was spent on the web name ($nb)" test "$nb" = "0:0"

# --- 3. ECI from a source that is not a parent gateway is ignored (and counted)
ign0=$(imetric rgw_dns_eci_ignored_total)
r=$(ip netns exec $O dig +tcp +time=3 +tries=1 -b 192.168.0.2 @192.168.0.10 \
	test.nest.gwa.demo A +short +ednsopt="$(eci 100.64.0.66)" | grep -E '^[0-9.]+$')
check "a good LAN source claiming a bad resolver in ECI is still served ($r)" \
	grep -qE '^192\.168\.0\.1[12]$' <<<"$r"
b=$(iapi bindings | jq -r '.items[0].resolver // empty')
check "the binding is the source's, not the claimed resolver's ($b)" test "$b" = 192.168.0.2
line=$(echo_at "$r" $O 192.168.0.2)
check "its flow is admitted and ends the binding ($line)" test "$line" = "echo 192.168.0.2"
r=$(ip netns exec $O dig +tcp +time=3 +tries=1 -b 192.168.0.3 @192.168.0.10 \
	test.nest.gwa.demo A +ednsopt="$(eci 100.64.0.53)")
check "a bad LAN source claiming a good resolver in ECI gets no address" \
	bash -c "grep -q 'status: NOERROR' <<<'$r' && ! grep -qE 'IN[[:space:]]+A[[:space:]]' <<<'$r'"
ign1=$(imetric rgw_dns_eci_ignored_total)
check "both ECI options counted as ignored ($ign0 -> $ign1)" test "$((ign1 - ign0))" = 2
check "nothing left bound on the nested gateway" poll 5 no_bindings

# --- 4. the nested gateway refuses the resolver: NOK for it on the outer, nothing kept
den0=$(ometric rgw_dns_nested_denied_total)
r=$(ask 100.64.0.66 test.nest.gwa.demo)
check "a resolver the nested gateway refuses gets no address" \
	bash -c "! grep -qE 'IN[[:space:]]+A[[:space:]]+100\.64\.1\.' <<<'$r'"
den1=$(ometric rgw_dns_nested_denied_total)
check "the outer counted the nested gateway's denial ($den0 -> $den1)" test "$((den1 - den0))" = 1
check "the outer kept no binding for it" test "$(onbind)" = 0
rep=$(oapi reputation | jq -c '[.items[] | select(.key == "resolver:100.64.0.66")][0]')
echo "# outer reputation of 100.64.0.66: $rep"
check "the outer recorded NOK against that resolver" jqt '.nok > 0' "$rep"

# --- 5. the nested gateway's pool exhausted: the outer withdraws, no NOK for the resolver
ref0=$(ometric rgw_dns_nested_refused_total)
r1=$(ask 100.64.0.54 test.nest.gwa.demo +short | grep -E '^[0-9.]+$')
r2=$(ask 100.64.0.55 test.nest.gwa.demo +short | grep -E '^[0-9.]+$')
check "two resolvers get the nested gateway's two addresses ($r1, $r2)" \
	test -n "$r1" -a -n "$r2" -a "$(inbind)" = 2
r=$(ask 100.64.0.56 test.nest.gwa.demo)
check "the third resolver gets no address" \
	bash -c "! grep -qE 'IN[[:space:]]+A[[:space:]]+100\.64\.1\.' <<<'$r'"
ref1=$(ometric rgw_dns_nested_refused_total)
den2=$(ometric rgw_dns_nested_denied_total)
check "the outer saw the nested gateway's shortage, not a denial" \
	test "$((ref1 - ref0))" = 1 -a "$den2" = "$den1"
nb=$(onbind)
[ "$nb" = 2 ] || oapi bindings | jq -c '.items[]' | sed 's/^/#   /'
check "the outer keeps two bindings, not three ($nb)" test "$nb" = 2
rep=$(oapi reputation | jq -c '[.items[] | select(.key == "resolver:100.64.0.56")][0]')
echo "# outer reputation of 100.64.0.56: $rep"
check "no NOK against the resolver for the nested gateway's shortage" jqt '.nok == 0' "$rep"
l1=$(echo_at "$r1")
l2=$(echo_at "$r2")
check "both resolvers' flows reach the server ($l1, $l2)" \
	test "$l1" = "echo 100.64.0.10" -a "$l2" = "echo 100.64.0.10"
check "their flows end the four bindings" poll 5 no_bindings

# --- 6. the nested gateway stopped: SERVFAIL in time, our own names answered meanwhile
# the rgwd process itself (IP is the timeout wrapping it)
irgwd=$(for p in $(ip netns pids $I); do [ "$(cat /proc/$p/comm 2>/dev/null)" = rgwd ] && echo $p; done)
check "the nested gateway's rgwd found ($irgwd)" test -n "$irgwd"
kill -STOP $irgwd
t0=$(date +%s%N)
r=$(ask 100.64.0.54 test.nest.gwa.demo)
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# SERVFAIL after $ms ms (nested_timeouts 250,250,250)"
grep -q 'status: SERVFAIL' <<<"$r" || echo "$r" | sed 's/^/#   /'
check "SERVFAIL while the nested gateway does not answer" grep -q 'status: SERVFAIL' <<<"$r"
check "within the nested timeouts and a margin ($ms ms < 3000)" test "$ms" -lt 3000
pend=
for s in 54 55 56; do
	ip netns exec $P dig +tcp +time=5 +tries=1 -b 100.64.0.$s @100.64.1.130 \
		test.nest.gwa.demo A >"$T/pend.$s" 2>&1 &
	pend="$pend $!"
done
okn=0
t0=$(date +%s%N)
for i in $(seq 20); do
	ip netns exec $P dig +time=1 +tries=1 @100.64.1.130 gwa.demo SOA +short | grep -q ns1 &&
		okn=$((okn + 1))
done
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# 20 SOA queries for the outer's own zone answered meanwhile in $ms ms"
check "the outer answers its own names while nested questions wait ($okn/20)" test "$okn" = 20
wait $pend
check "the waiting nested questions got SERVFAIL" \
	bash -c "grep -l 'status: SERVFAIL' $T/pend.* | wc -l | grep -qx 3"
kill -CONT $irgwd
check "no binding left on the outer" test "$(onbind)" = 0

# --- clean shutdown, no sanitizer report
for g in outer inner; do
	[ $g = outer ] && p=$OP || p=$IP
	kill -TERM "$p" 2>/dev/null
	wait_for 'rgwd: stopped' "$T/$g.log" 30 || kill -9 "$p"
	wait "$p" 2>/dev/null
	check "$g: clean shutdown, no sanitizer report" \
		bash -c "grep -q 'rgwd: stopped' '$T/$g.log' && ! grep -qiE 'sanitizer|runtime error' '$T/$g.log'"
done
OP=
IP=
summary
