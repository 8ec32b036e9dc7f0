#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t51_alg_limits.sh -- ALG admission: per-source cap, global cap, token bucket;
# refused connections are closed at once while admitted ones keep working; a cap the open-file
# limit cannot back is lowered.
. "$(dirname "$0")/alg_lib.sh"

read -r L80 HA <<<"$(free_ports 2)"
cat > "$T/nginx.body" <<NGX
	server { listen 127.0.0.1:$HA; location / { return 200 "backend-a\n"; } }
NGX
start_nginx || exit 1
cat > "$T/bundle.json" <<JSON
{"version": 1, "alg_routes": [
 {"hostname": "a.alg.test", "port": 0, "backend": "127.0.0.1:$HA", "preserve": "none"}]}
JSON

# caps: 5 per source, 8 in all (sources 127.0.0.1 and 127.0.0.2 are both loopback)
start_rgwd "listen = 127.0.0.1:$L80
hostname_timeout = 5000
workers = 2
max_connections = 8
max_connections_per_source = 5" || exit 1
# while the cap is full, the listen backlog is short (ss: Send-Q of a listener); then restored
backlog() { ss -Hltn "sport = :$L80" | awk '{ print $3 }' | sort -u | paste -sd' '; }
backlog_is() { [ "$(backlog)" = "$1" ]; }
check "listen backlog 4096 while the cap is free" backlog_is 4096
HOLD_FILE=$T/held python3 $CLIENT hold $L80 127.0.0.1:6,127.0.0.2:4 a.alg.test >"$T/hold.out" &
hp=$!
held8() { grep -qs "held 8" "$T/held"; }
check "8 of 8 held" poll 10 held8
check "the cap is full: listen backlog shortened to 64" poll 10 backlog_is 64
check "... and logged" grep -q "listen backlog on port $L80 shortened to 64" "$T/rgwd.log"
rm -f "$T/held"
wait "$hp"
out=$(cat "$T/hold.out")
echo "# caps: $out"
check "per-source cap 5 and global cap 8 hold (8 kept, 2 refused at once)" \
	[ "$(awk '{print $2, $4}' <<<"$out")" = "8 2" ]
check "the admitted connections are all served" [ "$(awk '{print $6}' <<<"$out")" = 8 ]
served() { [ "$(curl -s --max-time 5 -H 'Host: a.alg.test' http://127.0.0.1:$L80/)" = backend-a ]; }
check "slots are released: a new client is served" poll 10 served
check "the listen backlog is restored to 4096" poll 10 backlog_is 4096
kill "$RGWD_PID"; wait "$RGWD_PID" 2>/dev/null

# token bucket per source: 5 per second, burst 5
rm -f "$T/policy.db"*
start_rgwd "listen = 127.0.0.1:$L80
hostname_timeout = 5000
accept_rate = 5
accept_burst = 5" || exit 1
out=$(python3 $CLIENT hold $L80 127.0.0.3:20 a.alg.test)
echo "# rate: $out"
held=$(awk '{print $2}' <<<"$out")
check "token bucket: a burst of 20 gets 5..7 through ($held)" [ "$held" -ge 5 -a "$held" -le 7 ]
check "the admitted ones are served" [ "$(awk '{print $6}' <<<"$out")" = "$held" ]
served_from() { [ "$(curl -s --interface "$1" --max-time 5 -H 'Host: a.alg.test' http://127.0.0.1:$L80/)" = backend-a ]; }
check "tokens refill: served again" poll 10 served_from 127.0.0.3

# descriptors exhausted: accept fails with EMFILE, the worker pauses accepting for 1 s instead
# of spinning, and serves again once descriptors are free
kill "$RGWD_PID"; wait "$RGWD_PID" 2>/dev/null
rm -f "$T/policy.db"*
start_rgwd "listen = 127.0.0.1:$L80
hostname_timeout = 3000" || exit 1
hard=$(awk '/Max open files/ {print $5}' /proc/$RGWD_PID/limits)
prlimit --pid "$RGWD_PID" --nofile=64:"$hard" || nok "prlimit"
python3 - "$L80" <<'PY' &
import socket, sys, time
socks = []
for i in range(120):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        s.send(b"GET / HTTP/1.1\r\n")
        socks.append(s)
    except OSError:
        pass
time.sleep(2)
PY
hp=$!
check "the EMFILE pause was logged" poll 10 grep -q "pausing accept for 1 s" "$T/rgwd.log"
check "daemon alive while out of descriptors" alive
wait $hp
prlimit --pid "$RGWD_PID" --nofile="$hard":"$hard"
check "serving again once descriptors are free" poll 10 served
check "daemon alive" alive

# an open-file limit that cannot back max_connections (10000 need ~31000 descriptors): the
# cap is lowered to what 2048 supports, (2048 - 1024) * 4 / 9 = 455 (two sockets each, and
# pipes for one connection in 16), with an error, and enforced
kill "$RGWD_PID"; wait "$RGWD_PID" 2>/dev/null
rm -f "$T/policy.db"*
RGWD_WRAP="prlimit --nofile=2048:2048" start_rgwd "listen = 127.0.0.1:$L80
hostname_timeout = 30000
max_connections = 10000" || exit 1
check "max_connections lowered to what the descriptors support, at error level" \
	grep -q "err alg: open files limited to 2048: max_connections lowered from 10000 to 455" \
	"$T/rgwd.log"
out=$(python3 $CLIENT hold $L80 127.0.0.7:250,127.0.0.8:250 a.alg.test)
echo "# lowered cap: $out"
check "the lowered cap holds: 455 kept, 45 refused, all kept served" \
	[ "$out" = "held 455 refused 45 served 455" ]
check "daemon alive" alive
finish
