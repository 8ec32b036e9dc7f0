#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t56_alg_reputation.sh -- the ALG feeds the reputation engine and uses it. An
# attacker (127.0.0.2) runs the slowloris and silent-connection scenarios (lxc-testbed's
# slowloris.py), sends an unrouted name, garbage and more connections than the per-source cap;
# meanwhile a legitimate client (127.0.0.1) downloads through the ALG. The attacker's source
# ends below [alg] reputation_threshold in the reputation view (evidence per reason in the
# status), and once the ALG is under load (reputation_load) its new connections are refused
# at accept (closed at once, counted), while the legitimate client keeps 100 % success. Without
# load the same source is accepted again (the refusal is the load bracket's, not a ban).
. "$(dirname "$0")/alg_lib.sh"

SLOW=$ROOT/lxc-testbed/lib/slowloris.py
read -r L80 HA AP <<<"$(free_ports 3)"
cat > "$T/nginx.body" <<NGX
	server { listen 127.0.0.1:$HA; keepalive_timeout 60;
		location / { return 200 "backend-a\n"; } }
NGX
start_nginx || exit 1
cat > "$T/bundle.json" <<JSON
{"version": 1, "alg_routes": [
 {"hostname": "a.alg.test", "port": 0, "backend": "127.0.0.1:$HA", "preserve": "none"}]}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/policy.db
[dns]
enable = no
[nat]
enable = no
[api]
listen = 127.0.0.1:$AP
[reputation]
period = 3600
[alg]
listen = 127.0.0.1:$L80
hostname_timeout = 1000
max_connections = 200
max_connections_per_source = 60
reputation_threshold = ${T56_THRESHOLD:-30}
reputation_load = 10
CONF
"$RGWD" -c "$T/rgw.conf" --import "$T/bundle.json" > "$T/import.log" 2>&1 ||
	{ cat "$T/import.log"; exit 1; }
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t56 2>/dev/null)
"$RGWD" -c "$T/rgw.conf" > "$T/rgwd.log" 2>&1 &
RGWD_PID=$!
PIDS="$PIDS $RGWD_PID"
ready() { grep -q "rgwd: ready" "$T/rgwd.log"; }
check "rgwd (ALG + API) ready" poll 10 ready

api() { curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$AP/api/v1$1"; }
rep_of() { # requestor key -> value, or "none"
	api /reputation | jq -r --arg k "$1" \
		'[.items[] | select(.kind == "requestor" and .key == $k) | .value][0] // "none"'
}
alg_stat() { api /status | jq -r ".subsystems.alg.$1"; }
evidence() { api /status | jq -r ".subsystems.defence.flow_evidence.$1"; }
# the legitimate client: N sequential requests from 127.0.0.1, prints how many got backend-a
legit() {
	local n=$1 ok=0 i
	for ((i = 0; i < n; i++)); do
		[ "$(curl -s -m 5 --interface 127.0.0.1 -H 'Host: a.alg.test' \
			http://127.0.0.1:$L80/)" = backend-a ] && ok=$((ok + 1))
	done
	echo "$ok"
}

# 1. more connections than the per-source cap (60), then the slowloris and silent attack with
# the legitimate client served meanwhile, an unrouted name and garbage
python3 "$SLOW" --target 127.0.0.1 --src 127.0.0.2 --slow 0 --silent 70 --duration 4 \
	--silent-port "$L80" > "$T/attack2"
echo "# over the cap: $(cat "$T/attack2")"
python3 "$SLOW" --target 127.0.0.1 --src 127.0.0.2 --slow 25 --silent 25 --duration 4 \
	--interval 0.2 --slow-port "$L80" --silent-port "$L80" > "$T/attack1" &
AP1=$!
L1=$(legit 40)
wait $AP1
echo "# attack: $(cat "$T/attack1")"
check "legitimate client during the attack: $L1/40 served" test "$L1" = 40
# an unrouted name, garbage, and more connections than the per-source cap
curl -s -m 5 --interface 127.0.0.2 -H 'Host: nobody.alg.test' "http://127.0.0.1:$L80/" \
	-o /dev/null
printf '\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00' |
	timeout 5 socat - TCP:127.0.0.1:$L80,bind=127.0.0.2 >/dev/null 2>&1
has_evidence() {
	[ "$(evidence alg_silent)" -ge 50 ] && [ "$(evidence alg_unrouted)" -ge 1 ] &&
		[ "$(evidence alg_garbage)" -ge 1 ] && [ "$(evidence alg_cap)" -ge 1 ]
}
check "evidence by reason: silent $(evidence alg_silent), unrouted $(evidence alg_unrouted), garbage $(evidence alg_garbage), cap $(evidence alg_cap)" \
	poll 10 has_evidence
low() { awk -v v="$(rep_of 127.0.0.2/32)" 'BEGIN { exit !(v != "none" && v < 0.30) }'; }
check "the attacker's reputation fell below the threshold ($(rep_of 127.0.0.2/32))" poll 10 low
check "... its /24 got the evidence too ($(rep_of 127.0.0.0/24))" \
	awk -v v="$(rep_of 127.0.0.0/24)" 'BEGIN { exit !(v != "none" && v < 0.45) }'
check "the legitimate client has no evidence against it ($(rep_of 127.0.0.1/32))" \
	test "$(rep_of 127.0.0.1/32)" = none

# 2. under load (25 established connections from 127.0.0.3 > 10 % of 200): the attacker is
# refused at accept, the legitimate client is served
python3 - "$L80" > "$T/holder" <<'PY' &
import socket, sys, time
socks = []
for _ in range(25):
    s = socket.socket(); s.bind(("127.0.0.3", 0)); s.settimeout(5)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET / HTTP/1.1\r\nHost: a.alg.test\r\n\r\n")
    s.recv(4096)
    socks.append(s)
print("held", len(socks), flush=True)
time.sleep(12)
PY
HP=$!
PIDS="$PIDS $HP"
holding() { grep -q "held 25" "$T/holder"; }
check "25 connections held by a third client (the ALG is under load)" poll 15 holding
R0=$(alg_stat refused_reputation)
python3 "$SLOW" --target 127.0.0.1 --src 127.0.0.2 --slow 10 --silent 20 --duration 3 \
	--interval 0.2 --slow-port "$L80" --silent-port "$L80" > "$T/attack3" &
AP3=$!
L2=$(legit 40)
wait $AP3
echo "# attack under load: $(cat "$T/attack3")"
R1=$(alg_stat refused_reputation)
check "legitimate client under load: $L2/40 served" test "$L2" = 40
check "the attacker's 30 connections were refused at accept ($((R1 - R0)) counted)" \
	test "$((R1 - R0))" -ge 30
# every attacking connection closed as soon as the ALG accepted it: the slow ones at once, the
# silent ones when the listener's TCP_DEFER_ACCEPT (1 s) hands them over, never after the
# hostname deadline on top of that (1 s more)
check "... closed at accept, not at the deadline" \
	awk '{ exit !($4 == 10 && $6 < 0.8 && $10 == 20 && $12 < 1.6) }' "$T/attack3"
kill $HP 2>/dev/null
wait $HP 2>/dev/null
idle() { [ "$(alg_stat active)" -lt 5 ]; }
check "load gone" poll 10 idle

# 3. without load the same source is accepted again: the refusal is the load bracket's
R2=$(alg_stat refused_reputation)
out=$(curl -s -m 5 --interface 127.0.0.2 -H 'Host: a.alg.test' "http://127.0.0.1:$L80/")
check "not under load: the low-reputation source is served ($out)" test "$out" = backend-a
check "... and nothing was refused for reputation" test "$(alg_stat refused_reputation)" = "$R2"
M=$(curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$AP/metrics" |
	grep -E '^rgw_alg_refused_reputation_total|^rgw_reputation_flow_evidence_total|^rgw_alg_evidence_total')
echo "$M" | sed 's/^/# /'
check "metrics: refusals and evidence" bash -c "echo '$M' | grep -q 'rgw_alg_refused_reputation_total [1-9]'"
kill "$RGWD_PID"
wait "$RGWD_PID" 2>/dev/null
check "clean exit" test "$?" = 0
check "no sanitizer report" not grep -q "Sanitizer\|runtime error" "$T/rgwd.log"
finish
