#!/usr/bin/env bash
# t15_sd_notify -- Type=notify readiness: rgwd started with NOTIFY_SOCKET pointing at a
# datagram socket this test owns sends READY=1 only once DNS answers, RELOADING=1 then
# READY=1 around SIGHUP, STOPPING=1 at SIGTERM, all from its own PID. Loopback only.
. "$(dirname "$0")/lib.sh"
BUNDLE="$TOP/docs/examples/gwa.demo.json"
PORT=$(free_port)
SOCK="$T/notify"

cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
[dns]
wan = 127.0.0.1:$PORT
[nat]
enable = no
[alg]
enable = no
[api]
enable = no
CONF
"$RGWD" -c "$T/rgw.conf" --import "$BUNDLE" > "$T/import" 2>&1
check "bundle imported" test $? = 0

# The probe runs the moment READY=1 arrives: DNS must already answer for the zone.
python3 "$(dirname "$0")/sd_notify_listen.py" "$SOCK" "$T/msgs" -- \
	dig +time=1 +tries=1 +norec -p "$PORT" @127.0.0.1 gwa.demo SOA &
LPID=$!
at_exit "kill $LPID"
wait_for listening "$T/msgs" 5

NOTIFY_SOCKET="$SOCK" "$RGWD" -c "$T/rgw.conf" > "$T/out" 2>&1 &
DPID=$!
at_exit "kill $DPID"
check "READY=1 received" wait_for "READY=1" "$T/msgs" 10
check "READY=1 comes from rgwd's PID with MAINPID" grep -q "^$DPID READY=1|STATUS=serving|MAINPID=$DPID\$" "$T/msgs"
check "DNS answered when READY=1 arrived" wait_for "probe=0" "$T/msgs" 5
dig +short +time=2 +tries=1 -p "$PORT" @127.0.0.1 gwa.demo SOA > "$T/soa"
check "the zone's SOA is served" grep -q "ns1.gwa.demo" "$T/soa"
check "nothing before READY=1 but READY=1" test "$(grep -c '^[0-9]' "$T/msgs")" = 1

kill -HUP "$DPID"
check "RELOADING=1 on SIGHUP" wait_for "^$DPID RELOADING=1" "$T/msgs" 10
check "READY=1 again after the reload" wait_for "^$DPID READY=1|STATUS=serving\$" "$T/msgs" 10
check "reload logged" wait_for "SIGHUP received" "$T/out" 5
order=$(grep -o '^[0-9]* [A-Z]*=1' "$T/msgs" | cut -d' ' -f2 | tr '\n' ' ')
check "order READY RELOADING READY ($order)" test "$order" = "READY=1 RELOADING=1 READY=1 "

kill -TERM "$DPID"
wait "$DPID"
rc=$?
check "clean exit on SIGTERM" test "$rc" = 0
check "STOPPING=1 at shutdown" wait_for "^$DPID STOPPING=1" "$T/msgs" 5

# Without NOTIFY_SOCKET, or with a dead one, rgwd serves all the same.
rm -f "$SOCK"
NOTIFY_SOCKET="$SOCK" "$RGWD" -c "$T/rgw.conf" > "$T/out2" 2>&1 &
DPID2=$!
at_exit "kill $DPID2"
check "a dead NOTIFY_SOCKET is logged, not fatal" wait_for "cannot notify" "$T/out2" 10
check "and DNS still answers" sh -c "dig +short +time=2 +tries=2 -p $PORT @127.0.0.1 gwa.demo SOA | grep -q ns1"
kill -TERM "$DPID2"
wait "$DPID2"
check "clean exit" test $? = 0
summary
