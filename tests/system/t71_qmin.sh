#!/usr/bin/env bash
# t71_qmin -- QNAME minimisation must not spend pool addresses. rgwd in a gateway namespace
# (nftables data plane, a 2-address pool, hosts test.gwa.demo and www.test.gwa.demo) and a
# real unbound in a public namespace. With qname-minimisation, unbound asks "test.gwa.demo A"
# (TC, then TCP) before "www.test.gwa.demo A": the first binding must be released at once,
# with no reputation evidence, leaving ONE live binding, which a client then uses. Without
# minimisation nothing changes. Raw TCP queries with dig show the rules: same source releases,
# a different source or a name the zone does not know does not, plain UDP never does; with
# [dns] qmin_release = no the defect is back (two bindings); with DNS cookies and a UDP worker
# thread, a valid cookie releases over UDP and the same cookie replayed from another source
# does not. Resolver cache windows are off (admission cache_window_ms 0): this is about the
# bindings of one-flow semantics. Root needed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
command -v unbound >/dev/null || { echo "unbound missing"; echo "0 passed, 1 failed"; exit 1; }

PUB=rgwqmin$$p
GW=rgwqmin$$g
PRIV=rgwqmin$$s
QNUM=$((3000 + $$ % 30000))
TABLE=rgwqmin$$
APORT=$((20000 + $$ % 20000))
RP=
UB=
SP=
at_exit "[ -n \"\$RP\" ] && kill -9 \$RP; [ -n \"\$UB\" ] && kill \$UB; [ -n \"\$SP\" ] && kill \$SP; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
# public side: a client .10, the resolver .53, another source .54
ip -n $PUB addr add 100.64.0.53/32 dev eth0
ip -n $PUB addr add 100.64.0.54/32 dev eth0
ip -n $PRIV addr add 192.168.0.101/24 dev eth0
ip netns exec $PRIV timeout 300 socat TCP-LISTEN:80,bind=192.168.0.101,reuseaddr,fork \
	SYSTEM:'echo www-ok' >/dev/null 2>&1 &
SP=$!

cat >"$T/bundle.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 1},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}
  ],
  "service_addresses": ["100.64.1.130"],
  "pool": ["100.64.1.131-100.64.1.132"],
  "hosts": [{"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100", "pool_limit": 10,
             "services": [{"fqdn": "test.gwa.demo", "binding_timeout_ms": 10000}],
             "firewall": [{"direction": "ingress", "action": "accept", "priority": 100}]},
            {"fqdn": "www.test.gwa.demo", "ipv4": "192.168.0.101", "pool_limit": 10,
             "services": [{"fqdn": "www.test.gwa.demo", "binding_timeout_ms": 10000}],
             "firewall": [{"direction": "ingress", "action": "accept", "priority": 100}]}],
  "admission": {"dns_tcp": true, "dns_cname": false, "dns_cookies": false,
                "unknown_resolver_groups": true, "cache_window_ms": 0}
}
JSON

# start NAME QMIN_RELEASE [WORKERS]: rgwd in the gateway namespace, debug log in $T/log.NAME
start() {
	cat >"$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 100.64.1.130:53
qmin_release = $2
workers = ${3:-0}
[nat]
enable = yes
table = $TABLE
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
CONF
	rm -f "$T/rgw.db" "$T/rgw.db-wal" "$T/rgw.db-shm"
	TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t71 --role rw 2>/dev/null)
	ip netns exec $GW timeout 300 "$RGWD" -c "$T/rgw.conf" -d >"$T/log.$1" 2>&1 &
	RP=$!
	wait_for 'rgwd: ready' "$T/log.$1" 10
}
# stop NAME: clean shutdown; the log must hold no sanitizer report (make SAN=1 builds)
stop() {
	kill -TERM $RP 2>/dev/null
	wait $RP 2>/dev/null
	RP=
	check "$1: clean shutdown, no sanitizer report" \
		bash -c "grep -q 'rgwd: stopped' '$T/log.$1' && ! grep -qiE 'sanitizer|runtime error' '$T/log.$1'"
}
unbound_up() { ip netns exec $PUB dig +time=1 +tries=1 @127.0.0.1 . NS >/dev/null 2>&1; }
# unbound_start yes|no: a recursive resolver in the public namespace, stub zone -> rgwd
unbound_start() {
	[ -n "$UB" ] && { kill $UB; wait $UB 2>/dev/null; }
	mkdir -p "$T/unbound"
	cat >"$T/unbound/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: 53
  outgoing-interface: 100.64.0.53
  do-not-query-localhost: no
  qname-minimisation: $1
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
	ip netns exec $PUB timeout 300 unbound -d -c "$T/unbound/unbound.conf" \
		>"$T/unbound/stdout.$1" 2>&1 &
	UB=$!
	poll 10 unbound_up ||
		echo "# unbound does not answer yet"
}
api() { ip netns exec $GW curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$APORT/api/v1/$1"; }
metric() {
	ip netns exec $GW curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$APORT/metrics" |
		awk -v m="$1" '$1 == m { print $2 }'
}
RELEASED='rgw_bindings_ended_total{how="released_qmin"}'
EXPIRED='rgw_bindings_ended_total{how="expired"}'
ALLOCS=rgw_dns_allocations_total
nbind() { api bindings | jq '.items | length'; }
# every binding has ended (used, released or expired): polled, never slept out. Bindings live
# 10 s here, so that the checks made while one is pending never race its expiry on a loaded
# machine; the sections end theirs by using them rather than waiting.
no_binding() { [ "$(nbind)" = 0 ]; }
bhosts() { api bindings | jq -r '.items | map(.host) | sort | join(",")'; }
# resolve NAME through unbound: the A address or ""
resolve() {
	ip netns exec $PUB dig +time=5 +tries=1 @127.0.0.1 "$1" A +short | grep -E '^[0-9.]+$' | head -1
}
# raw SRC NAME [dig args]: a query straight to rgwd from SRC (TCP unless told otherwise)
raw() {
	local src=$1 name=$2
	shift 2
	ip netns exec $PUB dig +time=2 +tries=1 -b "$src" @100.64.1.130 "$name" A "${@:-+tcp}"
}
# connect ADDR: a TCP connection from the client within the binding's life
connect() { ip netns exec $PUB timeout 3 socat -T 2 - TCP:"$1":80,bind=100.64.0.10 </dev/null 2>/dev/null; }
# rep_nok: NOK events on every reputation entity
rep_nok() { api reputation | jq '[.items[] | .nok // 0] | add // 0'; }

# ---- 1. minimising resolver, rgwd releasing
start qmin yes || { fail "rgwd starts"; summary; }
unbound_start yes
A=$(resolve www.test.gwa.demo)
N=$(nbind)
H=$(bhosts)
check "qmin: www.test.gwa.demo resolves through unbound ($A)" test -n "$A"
check "qmin: one live binding, the descendant's ($N: $H)" test "$N" = 1 -a "$H" = "www.test.gwa.demo"
check "qmin: the ancestor's binding was released ($(metric "$RELEASED"))" test "$(metric "$RELEASED")" = 1
check "qmin: unbound asked test.gwa.demo A first: two allocations ($(metric "$ALLOCS"))" \
	test "$(metric "$ALLOCS")" = 2
check "qmin: the release is logged at debug level" grep -q "released unused after" "$T/log.qmin"
OUT=$(connect "$A")
check "qmin: the client reaches www.test.gwa.demo on its address ($OUT)" test "$OUT" = www-ok
check "qmin: no binding left ($(nbind) now)" poll 10 no_binding
NOK=$(rep_nok)
check "qmin: no NOK for the resolver or the hosts ($NOK)" test "$NOK" = 0
check "qmin: no binding expired ($(metric "$EXPIRED"))" test "$(metric "$EXPIRED")" = 0
check "qmin: status counts the release" \
	bash -c "[ \"\$1\" = 1 ]" _ "$(api status | jq '.subsystems.nat.bindings_released_qmin')"

# ---- 2. the same without minimisation: unchanged
unbound_start no
A=$(resolve www.test.gwa.demo)
N=$(nbind)
check "no qmin: www.test.gwa.demo resolves ($A)" test -n "$A"
check "no qmin: one live binding ($N)" test "$N" = 1
check "no qmin: one allocation only ($(metric "$ALLOCS") in all)" test "$(metric "$ALLOCS")" = 3
check "no qmin: nothing more released ($(metric "$RELEASED"))" test "$(metric "$RELEASED")" = 1
OUT=$(connect "$A")
check "no qmin: the client reaches www.test.gwa.demo ($OUT)" test "$OUT" = www-ok
check "no qmin: no binding left" poll 10 no_binding

# ---- 3. raw queries at rgwd
raw 100.64.0.53 test.gwa.demo >"$T/d1"
A1=$(awk '$4 == "A" { print $5 }' "$T/d1")
check "raw: test.gwa.demo A over TCP gets a pool address ($A1)" test -n "$A1"
raw 100.64.0.53 www.test.gwa.demo >"$T/d2"
A2=$(awk '$4 == "A" { print $5 }' "$T/d2")
check "raw: same source, descendant: ancestor released, one binding ($(bhosts))" \
	test "$(bhosts)" = "www.test.gwa.demo"
check "raw: the descendant got the released address ($A1 -> $A2)" test "$A1" = "$A2"
check "raw: released count 2" test "$(metric "$RELEASED")" = 2
OUT=$(connect "$A2")
check "raw: the descendant's binding admits a flow ($OUT)" test "$OUT" = www-ok
check "raw: ... which ends it: no binding left" poll 15 no_binding
raw 100.64.0.53 test.gwa.demo >/dev/null
raw 100.64.0.53 nope.test.gwa.demo >"$T/d3"
check "raw: a name the zone does not know is NXDOMAIN" grep -q "status: NXDOMAIN" "$T/d3"
check "raw: ... and releases nothing ($(bhosts))" test "$(bhosts)" = "test.gwa.demo"
raw 100.64.0.53 www.test.gwa.demo +notcp +ignore >"$T/d4"
check "raw: UDP from the same source is truncated" grep -Eq "flags:.* tc" "$T/d4"
check "raw: ... and releases nothing ($(bhosts))" test "$(bhosts)" = "test.gwa.demo"
raw 100.64.0.54 www.test.gwa.demo >/dev/null
check "raw: a different source does not release ($(bhosts))" \
	test "$(bhosts)" = "test.gwa.demo,www.test.gwa.demo"
check "raw: released count still 2" test "$(metric "$RELEASED")" = 2
stop qmin

# ---- 4. qmin_release = no: the defect, for comparison
start off no || { fail "rgwd starts (qmin_release = no)"; summary; }
unbound_start yes
A=$(resolve www.test.gwa.demo)
check "qmin_release = no: www.test.gwa.demo resolves ($A)" test -n "$A"
check "qmin_release = no: the ancestor's binding stays ($(bhosts))" \
	test "$(bhosts)" = "test.gwa.demo,www.test.gwa.demo"
check "qmin_release = no: nothing released" test "$(metric "$RELEASED")" = 0
nok_seen() { [ "$(rep_nok)" -ge 1 ] 2>/dev/null; }
check "qmin_release = no: the unused ancestor binding expired after its 10 s (NOK)" \
	poll 20 nok_seen
stop off

# ---- 5. UDP with DNS cookies, a UDP worker thread: a valid cookie proves the source
sed -i 's/"dns_cookies": false/"dns_cookies": true/' "$T/bundle.json"
start cookies yes 1 || { fail "rgwd starts (cookies, 1 worker)"; summary; }
raw 100.64.0.53 test.gwa.demo +notcp +badcookie >"$T/c1"
CK=$(sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' "$T/c1" | head -1)
check "cookies: test.gwa.demo A over UDP with a valid cookie allocates ($(bhosts))" \
	test "$(bhosts)" = "test.gwa.demo"
check "cookies: dig learnt the server cookie (${CK:0:16}...)" test ${#CK} = 48
raw 100.64.0.54 www.test.gwa.demo +notcp +ignore +nobadcookie +cookie="$CK" >"$T/c2"
check "cookies: the cookie replayed from another source is BADCOOKIE" \
	grep -q "status: BADCOOKIE" "$T/c2"
check "cookies: ... and releases nothing ($(bhosts))" test "$(bhosts)" = "test.gwa.demo"
raw 100.64.0.53 www.test.gwa.demo +notcp +ignore +nobadcookie +cookie="$CK" >"$T/c3"
check "cookies: same source, valid cookie, UDP: answered without TC" \
	bash -c "grep -q 'status: NOERROR' '$T/c3' && ! grep -Eq 'flags:.* tc' '$T/c3'"
check "cookies: the ancestor's binding was released ($(bhosts))" \
	test "$(bhosts)" = "www.test.gwa.demo"
check "cookies: released count 1" test "$(metric "$RELEASED")" = 1
stop cookies
summary
