#!/usr/bin/env bash
# t82_ha_flows -- new flows at a steady rate through pool addresses while the active of an
# rgwd pair fails (real keepalived with the example's timers, real conntrackd). The C
# generator (tests/system/flowgen.c) on the public side opens RATE flows per second (default
# 1000, RGW_HA_RATE) for 12 s on an open schedule: each resolves a name (its own pool binding),
# connects to the address it got, and talks to the private echo server (flowgen serve) for
# 3 s, a byte every 500 ms whose echo shows it alive, then ends with both EOFs; at most
# RGW_HA_PENDING (default 40, under the pool's addresses) are between their query and their
# connection at once, so that a generator or a gateway stalled by a loaded machine does not
# exhaust the pool when it catches up, except while the gateway answers nothing (the gap: the
# unanswered queries hold no slot, and the schedule goes on). After 3 s of it the active's
# WAN link is cut. Printed: the pace the generator reached (before the cut, in the gap, after
# it) and what held it back, the resolutions each node refused to bind, the flows open at the
# cut and how many survived (and their longest silence), the new flows refused during the gap
# (no DNS answer, no connection, by 250 ms), when new flows went through again and how many
# failed after that. Checked (none depends on the pace a loaded machine allows): every flow
# open at the cut whose state had 1 s to reach the standby survives, the gap does not stall
# the schedule (the pace in it is at least half the pace before the cut), new flows go through
# the new active, no new flow is lost after the gap (at most 1 in 100: a loaded machine may
# stall a daemon for the 1 s a resolution is given), and the notify hook makes rgwd the active
# before conntrackd's bookkeeping (-f, -R, -B), which all succeed. RGW_HA_POOL sets the pool's
# range (default 100.64.1.131-100.64.1.190; up to .254, with RGW_HA_PENDING under its size),
# RGW_HA_TICK the interval of the flows' bytes (default 500 ms; at 100 ms the echoes of the
# 3,000 flows alive at once are most of the run's CPU). Root needed.
. "$(dirname "$0")/lib.sh"
HA_POOL=${RGW_HA_POOL:-100.64.1.131-100.64.1.190} HA_PREFIX=rgwhl
. "$(dirname "$0")/ha_lib.sh"
FLOWGEN="$TOP/$BUILD/tests/sys/flowgen"
[ -x "$FLOWGEN" ] ||
	{ echo "$FLOWGEN missing (make $BUILD/tests/sys/flowgen)"; echo "0 passed, 1 failed"; exit 1; }

RATE=${RGW_HA_RATE:-1000}
# up to 12,000 flows from one address: each ends in TIME_WAIT on the client
ip netns exec $PUB sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
ip netns exec $PRIV "$FLOWGEN" serve 192.168.0.100 5000 &
pids+=($!)
serving() { ip netns exec $PRIV ss -Hltn 'sport = :5000' | grep -q .; }
check "the private server listens" poll 10 serving
# the CPU the pair and the echo server use while the generator runs (clock ticks of each: rgwd,
# conntrackd on each node, the echo server), a figure of what bounds the pace
cpu_ticks() {
	local p
	for p in $(pgrep -f -- "-c $T/a.conf") $(pgrep -f -- "-c $T/b.conf") \
		$(pgrep -f "conntrackd -C $T/ctd-a.conf") $(pgrep -f "conntrackd -C $T/ctd-b.conf") \
		$(ip netns pids $PRIV); do
		awk '{ printf "%d ", $14 + $15 }' "/proc/$p/stat" 2> /dev/null
	done
}
C0=($(cpu_ticks)) M0=$(now_ms)
# 12 s of flows; the cut comes 3 s into them
inpub "$FLOWGEN" run -t "${RGW_HA_TICK:-500}" -p "${RGW_HA_PENDING:-40}" -m 3 "$T/mark" \
	100.64.0.1 test.gwa.demo 5000 "$RATE" 12 3 "$T/flows" > "$T/gen.json" &
GP=$!
pids+=($GP)
check "the generator runs for 3 s" poll 20 test -e "$T/mark"
ip -n $GA link set dev wan0 down
# the cut's time once the link is down: a flow started before that may go through node a
T0=$(now_ms)
check "node b holds the WAN address" poll 15 has_vip $GB
check "node b is now the active" poll 10 is_role b active
wait_gen() { ! kill -0 $GP 2> /dev/null; }
check "the generator finished" poll 40 wait_gen
C1=($(cpu_ticks)) M1=$(now_ms)
R=$(/usr/bin/python3 "$TOP/tests/system/ha_flows.py" report "$T/flows" "$T0" 1000 6000)
echo "# flows through pool addresses across the failover ($RATE/s): $R"
q() { jq -r "$1" <<< "$R"; }
# the pace, a figure and not a check (a loaded machine slows the generator down); but the
# schedule is open, so the gap, where the queries go unanswered, must not stall it: the pace in
# the gap is at least half the pace before the cut, whatever that was
echo "# the generator: $(cat "$T/gen.json")"
pct() { [ "${#C0[@]}" = 5 -a "${#C1[@]}" = 5 ] && echo $(((C1[$1] - C0[$1]) * 100000 / $(getconf CLK_TCK) / (M1 - M0)))% || echo "?"; }
echo "# CPU while the generator ran (of one core): the generator $(jq -r '.cpu_ms * 100 / .ms | floor' "$T/gen.json")%, the echo server $(pct 4), rgwd a $(pct 0), b $(pct 1), conntrackd a $(pct 2), b $(pct 3); load $(cut -d' ' -f1-3 /proc/loadavg)"
# the resolutions each node refused to bind (the gateway drops them: a timeout for the client)
refused() {
	api "$1" /metrics | awk '/^rgw_allocations_refused_total/ && $2 != 0 { r = r $0 " " } END { print r }'
}
echo "# allocations refused: node a: $(refused a)node b: $(refused b)"
# (a gap under 250 ms has too few flows to tell)
check "the gap did not stall the schedule ($(q .start_rate.in_gap) flows/s in the gap, $(q .start_rate.before_cut) before the cut)" \
	[ "$(q '(.first_ok_start_after_gap_ms // 0) < 250 or (.start_rate.in_gap // 0) * 2 >= (.start_rate.before_cut // 1)')" = true ]
check "flows were open at the cut ($(q .open_at_cut))" [ "$(q .open_at_cut)" -gt 0 ]
check "flows had been open 1 s at the cut ($(q .settled_at_cut))" [ "$(q .settled_at_cut)" -gt 0 ]
check "every flow open at the cut for 1 s survived ($(q .settled_at_cut_survived) of $(q .settled_at_cut))" \
	[ "$(q .settled_at_cut_survived)" = "$(q .settled_at_cut)" ]
check "new flows go through the new active ($(q .first_ok_start_after_gap_ms) ms after the cut)" \
	[ "$(q .first_ok_start_after_gap_ms)" != null ]
check "no new flow lost after the gap ($(q .failed_after_gap) of $(q .started_after_gap) failed: $(q '.failed_after_gap_by_250ms | tostring'))" \
	[ "$(q .started_after_gap)" -gt 0 -a "$(q .failed_after_gap)" -le $(($(q .started_after_gap) / 100)) ]
# the notify hook: rgwd's role at once, conntrackd's bookkeeping after it
bulk_sent() { grep -q "MASTER: conntrackd -B" "$T/trans-b.log"; }
check "node b's notify hook ran conntrackd's MASTER steps" poll 20 bulk_sent
steps=$(grep -o 'MASTER: .*' "$T/trans-b.log" | tr '\n' ',')
check "node b became the active before conntrackd's -f, -R, -B, and none failed ($steps)" \
	[ "$steps" = "MASTER: conntrackd -c,MASTER: rgwd is now active,MASTER: conntrackd -f,MASTER: conntrackd -R,MASTER: conntrackd -B," ]
echo "# figures: asked $RATE flows/s, reached $(jq -r .rate "$T/gen.json") (started $(q .start_rate.before_cut)/s before the cut, $(q .start_rate.in_gap)/s in the gap, $(q .start_rate.after_gap)/s after it; behind its schedule by $(q '.late_ms_max | [.before_cut, .in_gap, .after_gap] | join("/")') ms at most; held by pending bindings $(jq -r .held_ms "$T/gen.json") ms, by the catch-up's limit $(jq -r .held_catchup_ms "$T/gen.json") ms; answers took $(q '.dns_ms_p50_p99 | join("/")') ms p50/p99, connections $(q '.connect_ms_p50_p99 | join("/")') ms); open at the cut $(q .open_at_cut), lost $(q .open_at_cut_lost) ($(q '.open_at_cut_why | tostring')), their longest silence $(q .open_at_cut_gap_ms_p50) ms (median), $(q .open_at_cut_gap_ms_max) ms (max); started after the cut $(q .started_after_cut), failed $(q '.after_cut_failed | tostring'); flows failed from $(q .first_failed_start_after_cut_ms) to $(q .last_failed_start_after_cut_ms) ms after the cut, went through again from $(q .first_ok_start_after_gap_ms) ms, then $(q .failed_after_gap) of $(q .started_after_gap) failed; failed by start time: $(q '.failed_by_250ms | tostring')"
if [ "$FAILED" != 0 ]; then
	for f in "$T"/*.log; do
		echo "# $f"
		tail -30 "$f"
	done
fi
summary
