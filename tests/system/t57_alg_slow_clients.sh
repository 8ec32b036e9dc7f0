#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t57_alg_slow_clients.sh -- routed connections held to account: slow clients
# on a real route (complete HTTP headers, then a body trickled a byte at a time) from two
# addresses fill max_connections; new clients are still served because the ALG sheds the
# trickling connections of the heaviest sources first, while a rate-limited download and an
# idle keep-alive client on the same route are kept. A trickle is not progress: alone, such a
# connection is closed at the idle timeout, while a slow download is not. A burst that waits
# in the kernel's queue is held to the hostname deadline from its connect. Shed trickles are
# reputation evidence (alg_slow) against their sources, never against the kept clients. A
# burst of connections that never complete their request head fills the table: the ones
# that waited longest for their hostname are shed and newcomers are served.
. "$(dirname "$0")/alg_lib.sh"
SLOW="python3 $ROOT/tests/system/alg_slow.py"
# restart_rgwd N CONF: stop rgwd (its log kept as rgwdN.log), start it afresh with CONF
restart_rgwd() {
	kill "$RGWD_PID"
	wait "$RGWD_PID" 2>/dev/null
	mv "$T/rgwd.log" "$T/rgwd$1.log"
	rm -f "$T/policy.db"*
	start_rgwd "$2"
}
# 20 new clients at once (127.0.7.1-20), one request each: sets served to how many were answered
new_clients() {
	local i
	served=0
	for i in $(seq 1 20); do
		curl -s --interface "127.0.7.$i" --max-time 10 -H "Host: a.alg.test" \
			"http://127.0.0.1:$L80/small" > "$T/new.$i" &
		eval "C$i=\$!"
	done
	for i in $(seq 1 20); do
		eval "wait \$C$i"
		[ "$(cat "$T/new.$i")" = small ] && served=$((served + 1))
	done
}

read -r L80 HA HB ALG_API_PORT <<<"$(free_ports 4)"
mkdir -p "$T/www"
head -c 20M /dev/urandom > "$T/www/big.bin"
echo small > "$T/www/small"
BIG=$(sha256sum < "$T/www/big.bin")
# the backend waits for a request body before it answers (it buffers it for the upstream)
cat > "$T/nginx.body" <<NGX
	server { listen 127.0.0.1:$HA; keepalive_timeout 120; keepalive_requests 1000;
		client_body_timeout 300s; root $T/www;
		location = /sink { proxy_pass http://127.0.0.1:$HB/; } }
	server { listen 127.0.0.1:$HB; location / { return 200 "sunk\n"; } }
NGX
start_nginx || exit 1
cat > "$T/bundle.json" <<JSON
{"version": 1, "alg_routes": [
 {"hostname": "a.alg.test", "port": 0, "backend": "127.0.0.1:$HA", "preserve": "none"}]}
JSON
start_rgwd "listen = 127.0.0.1:$L80
workers = 1
hostname_timeout = 5000
idle_timeout = 60000
max_connections = 40
max_connections_per_source = 20" || exit 1

# an idle keep-alive client: one request now, the next one after the attack is under way
mkfifo "$T/ka.fifo"
$SLOW keepalive "$L80" a.alg.test 127.0.8.1 /small "$T/ka.fifo" > "$T/ka.out" &
KA=$!
PIDS="$PIDS $KA"
exec 7> "$T/ka.fifo"
check "the keep-alive client is answered" poll 20 grep -q "answer 1: 200" "$T/ka.out"
# a long download at 2 MiB/s through the attack
curl -s --interface 127.0.6.1 --limit-rate 2M --max-time 50 -H "Host: a.alg.test" \
	"http://127.0.0.1:$L80/big.bin" -o "$T/big.out" &
DL=$!
PIDS="$PIDS $DL"
# 20 trickling connections from each of two addresses (the per-source cap), a body byte
# every 0.5 s, each opened again 0.2 s after it is closed
$SLOW trickle "$L80" a.alg.test 127.0.9.1,127.0.9.2 20 40 0.5 > "$T/trickle.out" &
TR=$!
PIDS="$PIDS $TR"
full() { [ "$(ss -Htn state established "( sport = :$L80 )" | wc -l)" -ge 40 ]; }
check "the slow clients fill max_connections" poll 20 full
shed() { grep -q "client=127.0.9.*outcome=shed" "$T/rgwd.log"; }
# new clients while the table is full: each makes room
new_clients
check "20 new clients served while the slow clients fill the table ($served/20)" [ "$served" = 20 ]
check "slow clients' connections were shed" shed
api() { curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$ALG_API_PORT/api/v1$1"; }
slow_ev() { api /status | jq -r '.subsystems.defence.flow_evidence.alg_slow // 0'; }
rep_of() { # requestor key -> value, or "none"
	api /reputation | jq -r --arg k "$1" \
		'[.items[] | select(.kind == "requestor" and .key == $k) | .value][0] // "none"'
}
has_slow_ev() { [ "$(slow_ev)" -ge 1 ]; }
check "shed trickles are evidence against their sources (alg_slow)" poll 10 has_slow_ev
below() { awk -v v="$(rep_of "$1")" 'BEGIN { exit !(v != "none" && v < 0.45) }'; }
check "a trickling source's reputation fell below neutral" below 127.0.9.1/32
echo >&7
check "the idle keep-alive client's next request is answered on the same connection" \
	poll 20 grep -q "answer 2: 200" "$T/ka.out"
wait "$DL"
check "the 20 MiB download through the attack is complete and intact" \
	[ "$(sha256sum < "$T/big.out")" = "$BIG" ]
kill "$TR"
wait "$TR"
echo "# trickle: $(cat "$T/trickle.out"); shed: $(grep -c "outcome=shed" "$T/rgwd.log")"
check "neither the download nor the keep-alive client was shed" \
	not grep -Eq "client=127.0.(6|8).1.*outcome=shed" "$T/rgwd.log"
echo "# alg_slow evidence: $(slow_ev)"
check "no evidence against the download or the keep-alive client" \
	test "$(rep_of 127.0.6.1/32) $(rep_of 127.0.8.1/32)" = "none none"
exec 7>&-
# alone, a trickling connection is idle: closed at the idle timeout (3 s), while a download
# slower than that is not
restart_rgwd 1 "listen = 127.0.0.1:$L80
workers = 1
idle_timeout = 3000" || exit 1
curl -s --interface 127.0.6.2 --limit-rate 4M --max-time 30 -H "Host: a.alg.test" \
	"http://127.0.0.1:$L80/big.bin" -o "$T/big2.out" &
DL=$!
PIDS="$PIDS $DL"
$SLOW trickle "$L80" a.alg.test 127.0.9.3 1 30 0.5 > "$T/trickle2.out" &
TR=$!
PIDS="$PIDS $TR"
idled() { grep -q "client=127.0.9.3.*outcome=idle-timeout" "$T/rgwd.log"; }
check "a lone trickling connection is closed at the idle timeout" poll 20 idled
wait "$DL"
check "a 5 s download (idle timeout 3 s) is complete and intact" \
	[ "$(sha256sum < "$T/big2.out")" = "$BIG" ]
kill "$TR"

# a burst that waits in the kernel's queue (the worker stopped for 3 s): the 2 s hostname
# deadline counts from the clients' connect as closely as the kernel allows, not from the
# late accept (20 clients that send an incomplete request head)
kill -STOP "$RGWD_PID"
python3 - "$L80" > "$T/queued.out" <<'PY' &
import selectors, socket, sys, time
sel, t0 = selectors.DefaultSelector(), {}
for i in range(20):
    s = socket.socket()
    s.bind(("127.0.11.%d" % (i + 1), 0))
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET / HTTP/1.1\r\n")
    t0[s] = time.monotonic()
    sel.register(s, selectors.EVENT_READ)
out = []
while t0 and time.monotonic() - min(t0.values()) < 20:
    for k, _ in sel.select(1):
        s = k.fileobj
        try:
            s.recv(4096)
        except OSError:
            pass
        out.append(time.monotonic() - t0.pop(s))
        sel.unregister(s)
out.sort()
print("closed %d median %.2f" % (len(out), out[len(out) // 2] if out else 99))
PY
QP=$!
PIDS="$PIDS $QP"
queued() { [ "$(ss -Htn state established "( sport = :$L80 and src 127.0.0.1 )" | grep -c "127.0.11.")" -ge 20 ]; }
poll 20 queued
sleep 3  # the stopped worker: what is measured, not a wait for a condition
kill -CONT "$RGWD_PID"
wait "$QP"
q=$(cat "$T/queued.out")
echo "# queued burst: $q"
check "queued clients closed about 2 s after their connect, not 2 s after the late accept ($q)" \
	awk -v m="${q##* }" -v n="$(awk '{print $2}' <<<"$q")" 'BEGIN { exit !(n == 20 && m < 4.5) }'
check "rgwd still running" alive
# a burst of connections that send the start of a request head and then nothing fills the
# table (hostname deadline 10 s): newcomers are still served, because the connections that
# have waited longest for their hostname make room (outcome shed)
restart_rgwd 2 "listen = 127.0.0.1:$L80
workers = 1
hostname_timeout = 10000
max_connections = 40
max_connections_per_source = 20" || exit 1
python3 - "$L80" <<'PY' &
import socket, sys, time
held = []
for a in range(4):
    for i in range(10):
        s = socket.socket()
        s.bind(("127.0.12.%d" % (a + 1), 0))
        s.connect(("127.0.0.1", int(sys.argv[1])))
        s.sendall(b"GET / HTTP/1.1\r\n")
        held.append(s)
time.sleep(30)
PY
SB=$!
PIDS="$PIDS $SB"
active() { [ "$(curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$ALG_API_PORT/metrics" | awk '$1 == "rgw_alg_active" {print $2}')" = 40 ]; }
check "40 connections waiting for their hostname fill max_connections" poll 20 active
new_clients
check "20 new clients served while silent connections fill the table ($served/20)" [ "$served" = 20 ]
check "the silent connections were shed to make room" grep -q "client=127.0.12.*outcome=shed" "$T/rgwd.log"
check "none of the new clients was shed" not grep -q "client=127.0.7.*outcome=shed" "$T/rgwd.log"
kill "$SB"
check "rgwd still running" alive
finish
