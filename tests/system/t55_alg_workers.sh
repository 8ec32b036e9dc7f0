#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t55_alg_workers.sh -- how many ALG workers rgwd runs: with [alg] workers = 0
# (the default) one per CPU of its affinity mask less one for the main thread and the kernel
# (and one per DNS worker), at least 1; an explicit count wins. The count shows in the start-up
# log line, in /api/v1/status (subsystems.alg.workers), in /metrics (rgw_alg_workers), and as
# the worker threads themselves (rgwd-alg0...); every configuration serves real requests.
# Scheduling ([alg] batch_scheduling = yes, the default): every thread runs under the default
# policy while the ALG is idle; a worker with 16 active connections or more (here: held
# clients that have sent part of a request) runs under SCHED_BATCH, and returns to the default
# policy once they are gone; batch_scheduling = no keeps the default policy under load too, and
# so does a worker whose policy change a system call filter refuses (one log line).
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
	CLS_W=$(cls_of '~'); CLS_M=$(cls_of '!~')
}
# the scheduling classes of the worker threads ("~") or the others ("!~"), e.g. "TS " (ps:
# TS = SCHED_OTHER, B = SCHED_BATCH)
cls_of() {
	ps -L -o comm=,cls= -p "$RGWD_PID" | awk "\$1 $1 /^rgwd-alg/ { print \$2 }" | sort -u |
		tr '\n' ' '
}
workers_cls() { [ "$(cls_of '~')" = "$1 " ]; }
# hold N: N clients, each with part of a request sent, held until $T/held is removed
hold() {
	rm -f "$T/held"
	HOLD_FILE=$T/held python3 "$CLIENT" hold "$L" "127.0.0.1:$1" a.alg.test >"$T/hold.out" &
	HOLD_PID=$!
	poll 30 grep -qs "held $1" "$T/held"
}
release() { rm -f "$T/held"; wait "$HOLD_PID"; }
expect_workers() { # n description
	views
	check "$2: status says $1 ($ST)" [ "$ST" = "$1" ]
	check "$2: metrics say $1 ($ME)" [ "$ME" = "$1" ]
	check "$2: $1 worker threads run ($TH)" [ "$TH" = "$1" ]
	check "$2: the start-up log says $1 ($LOGN)" [ "$LOGN" = "$1" ]
	check "$2: a request is served" [ "$SERVED" = backend-a ]
	check "$2: idle, every thread runs under the default policy ($CLS_W$CLS_M)" \
		[ "$CLS_W$CLS_M" = "TS TS " ]
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

# busy: SCHED_BATCH for the worker only while it has 16 active connections or more
run_rgwd "workers = 1
hostname_timeout = 30000" "enable = no" || exit 1
check "20 clients held" hold 20
check "busy: the worker runs under SCHED_BATCH" poll 10 workers_cls B
check "busy: the main thread keeps the default policy ($(cls_of '!~'))" [ "$(cls_of '!~')" = "TS " ]
release
check "the held clients are served" grep -q "held 20 refused 0 served 20" "$T/hold.out"
check "idle again: the worker returns to the default policy" poll 10 workers_cls TS
stop_rgwd

# batch_scheduling = no: the default policy under load too. With max_connections = 22 the 20
# held clients fill 90 %: a tick that sees them shortens the listen backlog right after its
# look at the policy (worker.c tick_cb), and ss shows a listener's backlog (Send-Q): once it
# has changed, the tick has decided
HELD22="workers = 1
hostname_timeout = 30000
max_connections = 22
max_connections_per_source = 22"
backlog() { ss -Hltn "sport = :$L" | awk '{ print $3 }' | sort -u | paste -sd ' '; }
backlog_is() { [ "$(backlog)" = "$1" ]; }
run_rgwd "$HELD22
batch_scheduling = no" "enable = no" || exit 1
check "batch_scheduling = no: 20 clients held" hold 20
check "batch_scheduling = no: a tick saw them (backlog shortened to 64)" poll 10 backlog_is 64
check "batch_scheduling = no: the worker keeps the default policy under load" workers_cls TS
release
check "batch_scheduling = no: the held clients are served" \
	grep -q "held 20 refused 0 served 20" "$T/hold.out"
stop_rgwd

# A system call filter that refuses the policy change (a container runtime's seccomp profile,
# systemd's SystemCallFilter=): the worker says so once, stays under the default policy, never
# tries again and serves on; the backlog tells when a tick has decided, as above.
NOSCALL=$ROOT/$BUILD/tests/sys/nosplice
refused_lines() { grep -c 'scheduling policy .* refused' "$T/rgwd.log"; }
run_rgwd "$HELD22" "enable = no" "$NOSCALL" --syscall sched_setscheduler EPERM || exit 1
LONG=$(backlog)
check "policy refused: 20 clients held" hold 20
check "policy refused: the worker says why" poll 10 grep -q \
	"alg: worker 0: scheduling policy SCHED_BATCH refused (Operation not permitted); not tried again" \
	"$T/rgwd.log"
check "policy refused: the worker keeps the default policy ($(cls_of '~'))" workers_cls TS
release
check "policy refused: the held clients are served" \
	grep -q "held 20 refused 0 served 20" "$T/hold.out"
check "policy refused: idle again, backlog restored to $LONG" poll 10 backlog_is "$LONG"
check "policy refused: 20 clients held again" hold 20
check "policy refused: a tick saw them (backlog shortened to 64)" poll 10 backlog_is 64
check "policy refused: not tried again ($(refused_lines) log line)" [ "$(refused_lines)" = 1 ]
check "policy refused: the worker still under the default policy" workers_cls TS
release
check "policy refused: served again" grep -q "held 20 refused 0 served 20" "$T/hold.out"
check "policy refused: daemon alive" alive
stop_rgwd
finish
