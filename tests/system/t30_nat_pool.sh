#!/usr/bin/env bash
# t30_nat_pool -- the nat subsystem on the real kernel data plane: namespaces public / gateway /
# private joined by veth, the nat subsystem (real nftables table, real NFQUEUE) running in the
# gateway namespace through tests/system/nat_driver, real TCP/UDP/ICMP traffic (socat, ping),
# nft list to observe. Root needed.
. "$(dirname "$0")/lib.sh"
DRIVER="$TOP/$BUILD/tests/sys/nat_driver"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$DRIVER" ] || { echo "missing $DRIVER"; echo "0 passed, 1 failed"; exit 1; }

P=rgwnat$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
TABLE=rgw
QNUM=$((1000 + $$ % 30000))
pids=()

at_exit "for p in \${pids[@]}; do kill \$p; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
ip netns add $PUB && ip netns add $GW && ip netns add $PRIV || { echo "0 passed, 1 failed"; exit 1; }
ip -n $GW link add wan0 type veth peer name eth0 netns $PUB
ip -n $GW link add lan0 type veth peer name eth0 netns $PRIV
for ns in $PUB $GW $PRIV; do ip -n $ns link set lo up; done
ip -n $PUB link set eth0 up
ip -n $PRIV link set eth0 up
ip -n $GW link set wan0 up
ip -n $GW link set lan0 up
ip -n $PUB addr add 100.64.0.10/24 dev eth0
ip -n $PUB route add 100.64.1.0/24 via 100.64.0.1
ip -n $GW addr add 100.64.0.1/24 dev wan0
ip -n $GW addr add 100.64.1.130/32 dev wan0
ip -n $GW addr add 192.168.0.1/24 dev lan0
ip -n $PRIV addr add 192.168.0.100/24 dev eth0
ip -n $PRIV addr add 192.168.0.101/24 dev eth0
ip -n $PRIV route add default via 192.168.0.1
ip netns exec $GW sysctl -qw net.ipv4.ip_forward=1
ip netns exec $GW sysctl -qw net.ipv4.conf.all.rp_filter=0

# Servers: each answers with who it is.
srv() { # ns addr port reply
	ip netns exec "$1" socat TCP-LISTEN:"$3",bind="$2",reuseaddr,fork SYSTEM:"echo $4" \
		>/dev/null 2>&1 &
	pids+=($!)
}
srv $PRIV 192.168.0.100 5000 h1
srv $PRIV 192.168.0.100 2000 h1-2000
srv $PRIV 192.168.0.101 2001 h2-2001
srv $PRIV 192.168.0.101 5000 h2
srv $PRIV 192.168.0.100 22 h1-ssh
ip netns exec $PRIV socat TCP-LISTEN:21,bind=192.168.0.100,reuseaddr,fork \
	SYSTEM:'echo 220 ready; sleep 2' >/dev/null 2>&1 &
pids+=($!)
ip netns exec $PRIV python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.0.101", 5353))
while True:
    d, peer = s.recvfrom(2048)
    s.sendto(b"h2-udp\n", peer)' >/dev/null 2>&1 &
pids+=($!)
ip netns exec $PRIV socat TCP-LISTEN:6000,bind=192.168.0.100,reuseaddr,fork EXEC:cat \
	>/dev/null 2>&1 &
pids+=($!)
# Stand-in for the ALG listener on the service address (in the gateway).
ip netns exec $GW socat TCP-LISTEN:8080,bind=100.64.1.130,reuseaddr,fork SYSTEM:'echo alg' \
	>/dev/null 2>&1 &
pids+=($!)
ip netns exec $PUB socat TCP-LISTEN:7000,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' \
	>/dev/null 2>&1 &
pids+=($!)

# The driver: commands on a fifo, answers in a file, one line each.
start_driver() {
	rm -f "$T/in"
	mkfifo "$T/in"
	: > "$T/out"
	ip netns exec $GW env NAT_ALG=1 "$DRIVER" $TABLE $QNUM wan0 lan0 ftp < "$T/in" > "$T/out" \
		2>> "$T/err" &
	DPID=$!
	pids+=($DPID)
	exec 3> "$T/in"
	wait_for ready "$T/out" 10
}
drv() {
	local n
	n=$(wc -l < "$T/out")
	echo "$*" >&3
	for ((i = 0; i < 200; i++)); do
		[ "$(wc -l < "$T/out")" -gt "$n" ] && break
		sleep 0.05
	done
	tail -n 1 "$T/out"
}
addr_of() { sed -n 's/^addr //p' <<< "$1"; }
# stat_of KEY: one counter of the driver's stats line
stat_of() { drv stats | tr ' ' '\n' | sed -n "s/^$1=//p"; }
no_binding() { [ "$(stat_of bindings)" = 0 ]; }
expired_above() { [ "$(stat_of expired)" -gt "$1" ]; }
# connect ADDR PORT: prints what the server said (empty on failure); status of socat
connect() {
	ip netns exec $PUB timeout 6 socat -t 4 -T3 - TCP:"$1":"$2",connect-timeout=4 </dev/null \
		2>"$T/cerr"
}
# refused ADDR PORT: the connection fails with a reset ("refused"), not a silent hang (that
# would end in a timeout)
refused() {
	connect "$1" "$2" >/dev/null && return 1
	grep -qi "refused" "$T/cerr"
}

check "driver starts (table created, queue bound)" start_driver
check "table inet $TABLE exists" bash -c "ip netns exec $GW nft list table inet $TABLE >/dev/null 2>&1"
for c in "pool 100.64.1.131" "pool 100.64.1.132" "pool 100.64.1.133" "svcaddr 100.64.1.130" \
	"host h1.gwa.demo 192.168.0.100" "host h2.gwa.demo 192.168.0.101" \
	"host h3.gwa.demo 192.168.0.102 2" \
	"service h1.gwa.demo h1.gwa.demo any 0" "service h1.gwa.demo tcp2000.h1.gwa.demo tcp 2000" \
	"service h1.gwa.demo ssh.h1.gwa.demo tcp 22" "service h2.gwa.demo tcp2001.h2.gwa.demo tcp 2001" \
	"service h2.gwa.demo tcp.h2.gwa.demo tcp 0" "service h2.gwa.demo h2.gwa.demo any 0" \
	"service h3.gwa.demo h3.gwa.demo any 0" "service h1.gwa.demo long.h1.gwa.demo tcp 6000 30000" \
	"service h2.gwa.demo udp5353.h2.gwa.demo udp 5353" "service h1.gwa.demo ftp.h1.gwa.demo tcp 21" \
	"service h1.gwa.demo short.h1.gwa.demo any 0 300"; do
	drv "$c" > /dev/null
done
check "policy applied" test "$(drv apply)" = ok
ip netns exec $GW nft list table inet $TABLE > "$T/ruleset" 2>/dev/null
check "host_dnat map has both hosts" grep -q "0x01000001 : 192.168.0.100" "$T/ruleset"

# --- one binding admits exactly one flow
A=$(addr_of "$(drv req h1.gwa.demo h1.gwa.demo 100.64.0.53)")
check "binding answered with the lowest pool address" test "$A" = 100.64.1.131
check "first flow admitted and DNATed to h1" test "$(connect "$A" 5000)" = h1
check "second flow to the same address refused with a reset" refused "$A" 5000

# --- web ports of admitted flows go to the ALG on the service address
A=$(addr_of "$(drv req h1.gwa.demo h1.gwa.demo 100.64.0.53)")
check "admitted flow to a web port is handed to the ALG listener" test "$(connect "$A" 8080)" = alg

# --- conntrack helper (ftp) attached to a flow admitted through the pool
A=$(addr_of "$(drv req h1.gwa.demo ftp.h1.gwa.demo 100.64.0.53)")
connect "$A" 21 > "$T/ftp.out" &
CP=$!
# the entry (and its helper) stays in the table after the flow ends: polled, no race
ct_ftp() { ip netns exec $GW conntrack -L -p tcp --dport 21 2>/dev/null | grep -q "helper=ftp"; }
check "conntrack helper ftp attached to the admitted flow" poll 10 ct_ftp
wait $CP
check "ftp flow admitted" grep -q "220 ready" "$T/ftp.out"

# --- expired binding: a service whose bindings live 300 ms; the driver counts the expiry
E0=$(stat_of expired)
A=$(addr_of "$(drv req h1.gwa.demo short.h1.gwa.demo 100.64.0.53)")
check "a 300 ms binding nobody uses expires (expired count above $E0)" \
	poll 10 expired_above "$E0"
check "expired binding refuses" refused "$A" 5000

# --- SYN to a pool address with no binding
check "SYN without binding gets RST" refused 100.64.1.133 5000

# --- sharing: tcp/2000 and tcp/2001 on one address, routed by port
A=$(addr_of "$(drv req h1.gwa.demo tcp2000.h1.gwa.demo 100.64.0.53)")
B=$(addr_of "$(drv req h2.gwa.demo tcp2001.h2.gwa.demo 100.64.0.53)")
check "tcp/2000 and tcp/2001 share one address" test -n "$A" -a "$A" = "$B"
check "port 2001 reaches h2" test "$(connect "$B" 2001)" = h2-2001
check "port 2000 reaches h1" test "$(connect "$A" 2000)" = h1-2000

# --- UDP: admitted to the host's port; refused UDP gets port unreachable
udp() { echo ping | ip netns exec $PUB timeout 5 socat -t 4 -T3 - UDP:"$1":"$2" 2>"$T/cerr"; }
A=$(addr_of "$(drv req h2.gwa.demo udp5353.h2.gwa.demo 100.64.0.53)")
out=$(udp "$A" 5353)
check "UDP first packet admitted to h2:5353" test "$out" = h2-udp
[ "$out" = h2-udp ] || echo "# udp to $A: '$out' $(cat "$T/cerr") / $(drv stats)"
udp 100.64.1.133 5353 > /dev/null
check "UDP without binding gets ICMP port unreachable" grep -qi refused "$T/cerr"

# --- tcp/* and tcp/22 do not share
C=$(addr_of "$(drv req h2.gwa.demo tcp.h2.gwa.demo 100.64.0.53)")
D=$(addr_of "$(drv req h1.gwa.demo ssh.h1.gwa.demo 100.64.0.53)")
check "tcp/any and tcp/22 get different addresses" test -n "$C" -a -n "$D" -a "$C" != "$D"
check "tcp/22 binding reaches h1:22" test "$(connect "$D" 22)" = h1-ssh
check "tcp/any binding reaches h2:5000" test "$(connect "$C" 5000)" = h2
check "no binding left pending" poll 10 no_binding

# --- per-host limit (h3: 2)
drv req h3.gwa.demo h3.gwa.demo 100.64.0.53 > /dev/null
drv req h3.gwa.demo h3.gwa.demo 100.64.0.53 > /dev/null
check "per-host limit refuses the third pending binding" \
	test "$(drv req h3.gwa.demo h3.gwa.demo 100.64.0.53)" = "refused host-limit"
check "h3's two pending bindings expire (2 s)" poll 10 no_binding

# --- SLA binding
A=$(addr_of "$(drv req h1.gwa.demo h1.gwa.demo 100.64.0.53 100.64.99.0/24 sla)")
check "SLA binding refuses a source outside the subnet" refused "$A" 5000
A=$(addr_of "$(drv req h1.gwa.demo h1.gwa.demo 100.64.0.53 100.64.0.0/24 sla)")
check "SLA binding admits a source inside the subnet" test "$(connect "$A" 5000)" = h1

# --- the private realm is not reachable by routing to it directly
ip -n $PUB route add 192.168.0.0/24 via 100.64.0.1
out=$(ip netns exec $PUB timeout 4 socat -T2 - TCP:192.168.0.100:5000,connect-timeout=2 </dev/null 2>/dev/null)
check "direct WAN -> private flow (no binding) dropped" test -z "$out"
ip -n $PUB route del 192.168.0.0/24 via 100.64.0.1

# --- outbound SNAT
out=$(ip netns exec $PRIV timeout 5 socat -t 4 -T3 - TCP:100.64.0.10:7000,connect-timeout=3 </dev/null 2>/dev/null)
check "LAN -> WAN is SNATed to the service address" test "$out" = 100.64.1.130

# --- firewall rule: drop ingress ICMP to h1
drv "rule host h1.gwa.demo in icmp - - - 8 drop 10" > /dev/null
check "firewall rule applied" test "$(drv apply)" = ok
A=$(addr_of "$(drv req h2.gwa.demo h2.gwa.demo 100.64.0.53)")
check "ping to h2 through the pool works (control)" bash -c "ip netns exec $PUB ping -c1 -W2 $A > /dev/null"
A=$(addr_of "$(drv req h1.gwa.demo h1.gwa.demo 100.64.0.53)")
check "ingress ICMP drop rule drops ping to h1" \
	bash -c "! ip netns exec $PUB ping -c1 -W2 $A > /dev/null"
ip netns exec $GW nft list chain inet $TABLE h1_in > "$T/chain" 2>&1
check "per-host chain printed back by nft" grep -q "icmp type echo-request drop" "$T/chain"

# --- a policy change keeps established flows
A=$(addr_of "$(drv req h1.gwa.demo long.h1.gwa.demo 100.64.0.53)")
cat > "$T/long.py" <<'PY'
import socket, sys, time, os
s = socket.create_connection((sys.argv[1], 6000), timeout=5)
s.sendall(b"one\n"); a = s.recv(100)
open(sys.argv[3], "w").close()
while not os.path.exists(sys.argv[2]): time.sleep(0.05)
s.sendall(b"two\n"); b = s.recv(100)
print((a + b).decode().replace("\n", " ").strip())
PY
ip netns exec $PUB timeout 20 python3 "$T/long.py" "$A" "$T/go" "$T/long.up" > "$T/long.out" 2>&1 &
LP=$!
check "long flow established before the policy change" poll 10 test -e "$T/long.up"
drv "rule host h2.gwa.demo in tcp 10.0.0.0/8 - 1000-2000 - reject 5" > /dev/null
drv "group web" > /dev/null
drv "member h1.gwa.demo web" > /dev/null
drv "rule group web in udp - - 53 - accept 1 10 5" > /dev/null
drv "delhost h3.gwa.demo" > /dev/null
check "policy change applied while a flow runs" test "$(drv apply)" = ok
touch "$T/go"
wait $LP
check "established flow survived the policy change" grep -q "one two" "$T/long.out"
ip netns exec $GW nft list table inet $TABLE > "$T/ruleset2" 2>/dev/null
check "group set and group chain present" grep -q "jump g" "$T/ruleset2"

# --- queue flood: survived, still serving
cat > "$T/flood.py" <<'PY'
import socket, struct, sys, random
dst = socket.inet_aton(sys.argv[1]); src = socket.inet_aton("100.64.0.10")
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return (~t) & 0xffff
for i in range(int(sys.argv[2])):
    sp = random.randint(1024, 65000)
    tcp = struct.pack("!HHIIBBHHH", sp, 80, random.getrandbits(32), 0, 5 << 4, 2, 65535, 0, 0)
    ph = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, dst)
    s.sendto(ip + tcp, (sys.argv[1], 0))
PY
ip netns exec $PUB timeout 60 python3 "$T/flood.py" 100.64.1.133 30000
st=$(drv stats)
echo "# after flood: $st"
check "driver alive after a SYN flood" grep -q "admitted=" <<< "$st"
check "flood refused (counted)" test "$(sed -n 's/.*refused=\([0-9]*\).*/\1/p' <<< "$st")" -gt 1000
A=$(addr_of "$(drv req h1.gwa.demo h1.gwa.demo 100.64.0.53)")
check "admission still works after the flood" test "$(connect "$A" 5000)" = h1

# --- queue overflow: the daemon is stopped while SYNs pile up; the kernel drops the excess
# (fail-closed), the daemon reports the overrun when it resumes and keeps serving.
kill -STOP $DPID
ip netns exec $PUB timeout 60 python3 "$T/flood.py" 100.64.1.133 40000
kill -CONT $DPID
check "queue overflow logged" wait_for "overflow: the kernel dropped" "$T/err" 10
st=$(drv stats)
echo "# after overflow: $st"
qdrop=$(ip netns exec $GW awk -v q=$QNUM '$1 == q { print $6 + $7 }' /proc/net/netfilter/nfnetlink_queue)
echo "# kernel queue drops (queue full + user): ${qdrop:-?}"
check "queue overflow seen by the daemon" \
	test "$(sed -n 's/.*kernel_dropped=\([0-9]*\).*/\1/p' <<< "$st")" -gt 0
A=$(addr_of "$(drv req h1.gwa.demo h1.gwa.demo 100.64.0.53)")
check "admission works after the overflow" test "$(connect "$A" 5000)" = h1

# --- SIGKILL, restart: clean table
A=$(addr_of "$(drv req h1.gwa.demo h1.gwa.demo 100.64.0.53)")
kill -9 $DPID
wait $DPID 2>/dev/null
exec 3>&-
out=$(ip netns exec $PUB timeout 4 socat -T2 - TCP:"$A":5000,connect-timeout=2 </dev/null 2>"$T/cerr")
check "daemon gone: nothing admitted, no reset either (fail-closed queue)" \
	bash -c "[ -z '$out' ] && ! grep -qi refused '$T/cerr'"
check "table left behind after SIGKILL" bash -c "ip netns exec $GW nft list table inet $TABLE >/dev/null 2>&1"
check "restart after SIGKILL" start_driver
ip netns exec $GW nft list table inet $TABLE > "$T/ruleset3" 2>/dev/null
check "restarted table is clean (no stale hosts)" bash -c "! grep -q 192.168.0.100 '$T/ruleset3'"
check "restarted table has the base chains" grep -q "chain pre_admit" "$T/ruleset3"

# --- clean shutdown removes the table
echo quit >&3
wait_for bye "$T/out" 10
exec 3>&-
check "clean shutdown" grep -q bye "$T/out"
check "no sanitizer report from the driver" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/err'"
check "table gone after clean shutdown" bash -c "! ip netns exec $GW nft list table inet $TABLE 2>/dev/null"
summary
