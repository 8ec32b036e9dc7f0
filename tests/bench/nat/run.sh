#!/usr/bin/env bash
# tests/bench/nat/run.sh -- nat benchmarks (root): pool operations, policy apply of 1,000 hosts
# with firewall rules (peer: `nft -f` of the very same ruleset), and first-packet admissions
# through NFQUEUE (SYN flood from a public namespace, one binding per SYN).
# Figures are noisy on a shared 2-core machine: compare the ratios printed in the same run.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${RGW_BUILD:-build}
BENCH="$TOP/$BUILD/tests/sys/nat_bench"
HOSTS=${HOSTS:-1000}
RULES=${RULES:-4}
N=${N:-30000}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
[ -x "$BENCH" ] || { echo "build first: make $BUILD/tests/sys/nat_bench"; exit 1; }
P=rgwnb$$
T=$(mktemp -d /tmp/rgwnatbench.XXXXXX)
cleanup() {
	ip netns del ${P}p 2>/dev/null
	ip netns del ${P}g 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== pool (pure userspace)"
timeout 120 "$BENCH" pool 1000000

echo "== policy apply: $HOSTS hosts x $RULES rules (peer: nft -f of the same table)"
ip netns add ${P}g
timeout 120 ip netns exec ${P}g "$BENCH" apply rgwbench "$HOSTS" "$RULES" | tee "$T/apply"
ip netns exec ${P}g nft list table inet rgwbench > "$T/table.nft" 2>/dev/null
ip netns exec ${P}g nft delete table inet rgwbench
# The xtables NFQUEUE target cannot be printed back by nft: replace that one rule by a
# counter so that the peer loads an equivalent table of the same size.
sed -i 's/ct state new *$/ct state new counter/' "$T/table.nft"
t0=$(date +%s.%N)
ip netns exec ${P}g nft -f "$T/table.nft"
t1=$(date +%s.%N)
ours=$(sed -n 's/apply_full_s=//p' "$T/apply")
peer=$(echo "$t1 - $t0" | bc -l)
printf 'peer_nft_f_s=%.4f\nratio_ours_over_nft=%.2f\n' "$peer" "$(echo "$ours / $peer" | bc -l)"
ip netns del ${P}g

echo "== NFQUEUE admissions: $N bindings, one SYN each"
ip netns add ${P}p
ip netns add ${P}g
ip -n ${P}g link add wan0 type veth peer name eth0 netns ${P}p
ip -n ${P}p link set lo up
ip -n ${P}p link set eth0 up
ip -n ${P}g link set lo up
ip -n ${P}g link set wan0 up
ip -n ${P}p addr add 100.64.0.10/24 dev eth0
ip -n ${P}p route add 10.200.0.0/16 via 100.64.0.1
ip -n ${P}g addr add 100.64.0.1/24 dev wan0
ip -n ${P}g route add blackhole 192.168.0.0/16
ip netns exec ${P}g sysctl -qw net.ipv4.ip_forward=1
ip netns exec ${P}g sysctl -qw net.netfilter.nf_conntrack_max=262144 2>/dev/null
mkfifo "$T/fifo"
ip netns exec ${P}g timeout 120 "$BENCH" queue rgwbench 77 wan0 "$N" > "$T/queue" &
QP=$!
for i in $(seq 100); do grep -q ready "$T/queue" && break; sleep 0.1; done
cat > "$T/flood.py" <<'PY'
import socket, struct, sys, time
n = int(sys.argv[1]); src = socket.inet_aton("100.64.0.10")
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return (~t) & 0xffff
pkts = []
for i in range(n):
    d = "10.200.%d.%d" % (i >> 8, i & 255); dst = socket.inet_aton(d)
    tcp = struct.pack("!HHIIBBHHH", 10000 + i % 50000, 80, i, 0, 5 << 4, 2, 65535, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, 20) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, dst)
    pkts.append((ip + tcp, d))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
t0 = time.monotonic()
for p, d in pkts:
    s.sendto(p, (d, 0))
t1 = time.monotonic()
print("offered_pps=%.0f" % (n / (t1 - t0)))
PY
ip netns exec ${P}p timeout 120 python3 "$T/flood.py" "$N" | tee "$T/offered"
wait $QP
cat "$T/queue"
adm=$(sed -n 's/admissions_per_s=//p' "$T/queue")
off=$(sed -n 's/offered_pps=//p' "$T/offered")
cpu=$(sed -n 's/cpu_us_per_packet=//p' "$T/queue")
printf 'ratio_admitted_over_offered=%.2f\ncapacity_one_core_per_s=%.0f\n' \
	"$(echo "$adm / $off" | bc -l)" "$(echo "1000000 / $cpu" | bc -l)"
