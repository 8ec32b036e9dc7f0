# tests/system/lib.sh -- helpers for system test scripts (sourced).
# Provides: TOP, BUILD, RGWD, a temp dir $T removed on exit, check/ok/fail counters,
# summary (prints "N passed, N failed" and exits non-zero on failure), free_port, wait_for,
# poll, more_than, gw_topology, gw_topology6, v6_settled, ns_del, tally (a runner's summary),
# san_clean (rgwd's log free of sanitizer reports), store_lock / store_unlock (another
# process holds a database's write lock), in_store_wait (a thread of rgwd waits for it),
# eve_alert (a Suricata EVE alert sent to rgwd's unix_dgram socket).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${RGW_BUILD:-build}
RGWD="$TOP/$BUILD/rgwd"
T=$(mktemp -d /tmp/rgwtest.XXXXXX)
PASSED=0
FAILED=0
_cleanups=()

at_exit() { _cleanups+=("$*"); }
# ns_del NS...: kill whatever still runs in each network namespace (the children a forking
# listener left, say), then delete it
ns_del() {
	local ns
	for ns; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	rm -rf "$T"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
# check "description" command...: ok when the command succeeds
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}
summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
	exit $?
}
# A free TCP+UDP port on 127.0.0.1, below the ephemeral range (see free_ports.py).
free_port() { python3 "$(dirname "${BASH_SOURCE[0]}")/free_ports.py" 1; }
# Deadlines below are multiplied by RGW_SLOW (default 4): on a loaded 2-core machine starting
# python3 alone can take seconds. A deadline only bounds how long a failure takes to report; a
# passing condition returns as soon as it holds.
RGW_SLOW=${RGW_SLOW:-4}
# wait_for "pattern" file [seconds]
wait_for() {
	local i
	for ((i = 0; i < ${3:-5} * 10 * RGW_SLOW; i++)); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# poll SECONDS command...: run the command every 0.2 s until it succeeds (0) or the deadline
# passes (1). For conditions the daemon reaches in its own time: never a fixed sleep.
poll() {
	local end=$((SECONDS + $1 * RGW_SLOW))
	shift
	while ! "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
# more_than N "pattern" file: the pattern occurs on more than N lines of the file
more_than() { [ "$(grep -c -- "$2" "$3" 2>/dev/null)" -gt "$1" ]; }

# gw_topology PUB GW PRIV: three namespaces, public -- gateway -- private, as the PBRA tests
# use them: PUB eth0 100.64.0.10/24 (route to 100.64.1.0/24 via the gateway), GW wan0
# 100.64.0.1/24 + 100.64.1.130/32 and lan0 192.168.0.1/24 (forwarding on), PRIV eth0
# 192.168.0.100/24 (default via the gateway). The caller adds its own extra addresses and
# registers the cleanup. Returns non-zero when the namespaces cannot be made.
gw_topology() {
	local pub=$1 gw=$2 priv=$3 ns
	ip netns add "$pub" && ip netns add "$gw" && ip netns add "$priv" || return 1
	ip -n "$gw" link add wan0 type veth peer name eth0 netns "$pub"
	ip -n "$gw" link add lan0 type veth peer name eth0 netns "$priv"
	for ns in "$pub" "$gw" "$priv"; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up 2>/dev/null
	done
	ip -n "$gw" link set wan0 up
	ip -n "$gw" link set lan0 up
	ip -n "$pub" addr add 100.64.0.10/24 dev eth0
	ip -n "$pub" route add 100.64.1.0/24 via 100.64.0.1
	ip -n "$gw" addr add 100.64.0.1/24 dev wan0
	ip -n "$gw" addr add 100.64.1.130/32 dev wan0
	ip -n "$gw" addr add 192.168.0.1/24 dev lan0
	ip -n "$priv" addr add 192.168.0.100/24 dev eth0
	ip -n "$priv" route add default via 192.168.0.1
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1
}
# gw_topology6 PUB GW PRIV: the same three namespaces and links for IPv6 tests, without
# addresses: PUB eth0 -- GW wan0, GW lan0 -- PRIV eth0, all up, duplicate address detection
# off, IPv6 forwarding on in GW. The caller adds its addresses and routes and registers the
# cleanup. Returns non-zero when the namespaces cannot be made.
gw_topology6() {
	local pub=$1 gw=$2 priv=$3 ns
	ip netns add "$pub" && ip netns add "$gw" && ip netns add "$priv" || return 1
	ip -n "$gw" link add wan0 type veth peer name eth0 netns "$pub"
	ip -n "$gw" link add lan0 type veth peer name eth0 netns "$priv"
	for ns in "$pub" "$gw" "$priv"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" link set eth0 up 2>/dev/null
	done
	ip -n "$gw" link set wan0 up
	ip -n "$gw" link set lan0 up
	ip netns exec "$gw" sysctl -qw net.ipv6.conf.all.forwarding=1
}
# v6_settled NS...: no tentative IPv6 address left in any of them (poll it)
v6_settled() {
	local ns
	for ns in "$@"; do
		[ -z "$(ip -n "$ns" -6 addr show tentative)" ] || return 1
	done
}
# tally LOG WORD CMD RC: add the last "WORD: N passed, N failed" line of LOG (the summary of the
# runner CMD, which exited RC) to the counts, with TALLY_P and TALLY_F set to its N; a missing
# summary is a failure (returns 1), and so is a non-zero RC with nothing failed.
tally() {
	local line
	line=$(grep -E "^$2: [0-9]+ passed, [0-9]+ failed" "$1" | tail -n 1)
	TALLY_P=$(sed -n "s/^$2: \([0-9]*\) passed.*/\1/p" <<<"$line")
	TALLY_F=$(sed -n "s/^$2: [0-9]* passed, \([0-9]*\) failed.*/\1/p" <<<"$line")
	if [ -z "$line" ]; then
		fail "$3 printed no summary (exit $4)"
		return 1
	fi
	PASSED=$((PASSED + TALLY_P))
	FAILED=$((FAILED + TALLY_F))
	[ "$4" = 0 ] || [ "$TALLY_F" != 0 ] || fail "$3 exited $4 with nothing failed"
}
# san_clean LOG WHO: a failure when rgwd's LOG (WHO's) holds a sanitizer or crash report (its
# first lines printed), a pass when it holds none.
san_clean() {
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault' "$1" \
		>"$T/san.txt"; then
		head -n 20 "$T/san.txt"
		fail "$2: rgwd's log holds sanitizer or crash reports"
	else
		ok "$2: rgwd's log holds no sanitizer or crash report"
	fi
}

# store_lock DB: another process takes DB's write lock (BEGIN IMMEDIATE) and holds it until
# store_unlock (at most 120 s); returns once the lock is held (non-zero: not within the
# deadline). STORE_LOCK_PID: its pid (store_unlock waits for it; the cleanup kills it).
store_lock() {
	rm -f "$T/store.locked" "$T/store.release"
	python3 - "$1" "$T/store.locked" "$T/store.release" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
end = time.monotonic() + 120
while not os.path.exists(sys.argv[3]) and time.monotonic() < end:
    time.sleep(0.05)
db.execute("ROLLBACK")
PY
	STORE_LOCK_PID=$!
	at_exit "touch $T/store.release; kill $STORE_LOCK_PID 2>/dev/null"
	poll 10 test -e "$T/store.locked"
}
store_unlock() {
	touch "$T/store.release"
	wait "$STORE_LOCK_PID"
}
# in_store_wait PID: a thread of process PID waits in SQLite's busy handler (a sleep:
# nanosleep or clock_nanosleep, seen in /proc/PID/task/TID/syscall), not in an event loop's
# epoll wait. Poll it.
in_store_wait() {
	local nr tid sleeps
	case $(uname -m) in
	aarch64) sleeps=" 101 115 " ;;
	*) sleeps=" 35 230 " ;; # x86_64
	esac
	for tid in /proc/"$1"/task/*; do
		read -r nr _ <"$tid/syscall" 2>/dev/null || continue
		[[ $sleeps == *" $nr "* ]] && return 0
	done
	return 1
}

# eve_alert SOCKET SRC DST SIGNATURE: send one EVE alert record (Suricata's format, severity
# 1, TCP from SRC port 40312 to DST port 80) to rgwd's [ids] eve_socket (unix_dgram).
eve_alert() {
	python3 -c '
import json, socket, sys
a = {"timestamp": "2026-12-06T06:10:11.123456+0000", "event_type": "alert",
     "src_ip": sys.argv[2], "src_port": 40312, "dest_ip": sys.argv[3], "dest_port": 80,
     "proto": "TCP", "alert": {"action": "allowed", "gid": 1, "signature_id": 1000001,
     "rev": 1, "signature": sys.argv[4], "category": "", "severity": 1}}
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(json.dumps(a).encode(), sys.argv[1])' "$@"
}
