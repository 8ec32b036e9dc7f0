#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t55_alg_workers.sh -- how many ALG workers rgwd runs: with [alg] workers = 0
# (the default) one per CPU of its affinity mask less one for the main thread and the kernel
# (and one per DNS worker), at least 1; an explicit count wins. The count shows in the start-up
# log line, in /api/v1/status (subsystems.alg.workers), in /metrics (rgw_alg_workers), and as
# the worker threads themselves (rgwd-alg0...); every configuration serves real requests.
# The workers run under SCHED_BATCH ([alg] batch_scheduling = yes, the default), the main
# thread under the default policy; batch_scheduling = no leaves the workers under it too.
. "$(dirname "$0")/alg_lib.sh"

read -r L HA API DNS <<<"$(free_ports 4)"
cat > "$T/nginx.body" <<NGX
	server { listen 127.0.0.1:$HA; location / { return 200 "backend-a\n"; } }
NGX
start_nginx || exit 1
cat > "$T/bundle.json" <<JSON
{"version": 1, "alg_routes": [
 {"hostname": "a.alg.test", "port": 0, "backend": "127.0.0.1:$HA", "preserve": "none"}]}
JSON

# run_rgwd "[alg] lines" "[dns] lines" [command prefix, e.g. taskset -c 0]: start rgwd with
# the ALG and the API on loopback
run_rgwd() {
	local alg=$1 dns=$2
	shift 2
	rm -f "$T/policy.db"*
	cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/policy.db
[log]
level = info
[dns]
$dns
[nat]
enable = no
[api]
listen = 127.0.0.1:$API
[alg]
listen = 127.0.0.1:$L
$alg
CONF
	"$RGWD" -c "$T/rgw.conf" --import "$T/bundle.json" > "$T/import.log" 2>&1 ||
		{ cat "$T/import.log"; return 1; }
	TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t55 --role ro 2>/dev/null)
	"$@" "$RGWD" -c "$T/rgw.conf" > "$T/rgwd.log" 2>&1 &
	RGWD_PID=$!
	PIDS="$PIDS $RGWD_PID"
	for _ in $(seq 100); do
		grep -q "rgwd: ready" "$T/rgwd.log" && return 0
		sleep 0.1
	done
	echo "rgwd did not start"; cat "$T/rgwd.log"; return 1
}
stop_rgwd() { kill "$RGWD_PID"; wait "$RGWD_PID" 2>/dev/null; }

# what every view says: status, metrics, threads, log; and one request served
views() {
	ST=$(curl -s --max-time 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$API/api/v1/status" |
		jq -r '.subsystems.alg.workers')
	ME=$(curl -s --max-time 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$API/metrics" |
		awk '$1 == "rgw_alg_workers" { print $2 }')
	TH=$(cat /proc/"$RGWD_PID"/task/*/comm 2>/dev/null | grep -c '^rgwd-alg')
	LOGN=$(sed -n 's/.*alg: \([0-9]*\) workers\? (.*/\1/p' "$T/rgwd.log" | head -1)
	SERVED=$(curl -s --max-time 5 -H 'Host: a.alg.test' "http://127.0.0.1:$L/")
	# scheduling class of each thread (ps: TS = SCHED_OTHER, B = SCHED_BATCH)
	CLS_W=$(ps -L -o comm=,cls= -p "$RGWD_PID" | awk '$1 ~ /^rgwd-alg/ { print $2 }' | sort -u |
		tr '\n' ' ')
	CLS_M=$(ps -L -o comm=,cls= -p "$RGWD_PID" | awk '$1 !~ /^rgwd-alg/ { print $2 }' | sort -u |
		tr '\n' ' ')
}
expect_workers() { # n description
	views
	check "$2: status says $1 ($ST)" [ "$ST" = "$1" ]
	check "$2: metrics say $1 ($ME)" [ "$ME" = "$1" ]
	check "$2: $1 worker threads run ($TH)" [ "$TH" = "$1" ]
	check "$2: the start-up log says $1 ($LOGN)" [ "$LOGN" = "$1" ]
	check "$2: a request is served" [ "$SERVED" = backend-a ]
	check "$2: the workers run under SCHED_BATCH ($CLS_W)" [ "$CLS_W" = "B " ]
	check "$2: the other threads under the default policy ($CLS_M)" [ "$CLS_M" = "TS " ]
}

# the CPUs this process may use, as rgwd counts them (nproc reads the affinity mask too)
NCPU=$(nproc)
want=$((NCPU - 1))
[ "$want" -ge 1 ] || want=1
[ "$want" -le 64 ] || want=64
echo "# $NCPU usable CPUs ($(getconf _NPROCESSORS_ONLN) online)"

run_rgwd "" "enable = no" || exit 1
expect_workers "$want" "default on $NCPU CPUs"
check "the log explains the default" \
	grep -q "alg: $want workers\? (workers = 0: $NCPU usable CPUs\? less 1 for the main thread and the kernel" "$T/rgwd.log"
stop_rgwd

# the affinity mask, not the machine: one CPU (the first this process may use) -> 1 worker
first=$(taskset -pc $$ | sed 's/.*: //; s/[,-].*//')
run_rgwd "" "enable = no" taskset -c "$first" || exit 1
expect_workers 1 "default under taskset -c $first"
check "the log counts 1 usable CPU" grep -q "workers = 0: 1 usable CPU less 1" "$T/rgwd.log"
stop_rgwd

# DNS workers take their CPUs first
dw=$((NCPU - 2))
[ "$dw" -ge 1 ] || dw=1
run_rgwd "" "wan = 127.0.0.1:$DNS
workers = $dw" || exit 1
expect_workers 1 "default with $dw DNS workers on $NCPU CPUs"
check "the log names the DNS workers" grep -q "and 1 per DNS worker" "$T/rgwd.log"
stop_rgwd

# an explicit count wins, even above the CPU count
run_rgwd "workers = 3" "enable = no" || exit 1
expect_workers 3 "workers = 3"
check "the log says it was configured" grep -q "alg: 3 workers (workers = 3)" "$T/rgwd.log"
check "daemon alive" alive
stop_rgwd

# batch_scheduling = no: the workers keep the default policy
run_rgwd "batch_scheduling = no" "enable = no" || exit 1
views
check "batch_scheduling = no: the workers run under the default policy ($CLS_W)" \
	[ "$CLS_W" = "TS " ]
check "batch_scheduling = no: a request is served" [ "$SERVED" = backend-a ]
stop_rgwd
finish
