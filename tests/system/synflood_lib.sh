# tests/system/synflood_lib.sh -- the rounds of t33 and t38 (sourced after lib.sh): while the
# caller's spoofed SYN flood runs (pid $FP, started at $t0 with the gateway's wan0 at $r0
# packets), ROUNDS times resolve NAME with the caller's q, check that the answer matches
# PATTERN (a bash glob), connect from $PUB to port 5000 of it and expect "h1"; then stop the
# flood and check, with the caller's status and rx, that the flood went on, that the client
# connected every time and that every first packet rgwd saw was the client's.
# synflood_rounds NAME PATTERN
synflood_rounds() {
	local name=$1 pattern=$2 r A hp out t1 r1 sent flood_ms S admitted refused used rate
	local ok_rounds=0
	for ((r = 1; r <= ROUNDS; r++)); do
		A=$(q "$name")
		# shellcheck disable=SC2053
		[[ "$A" == $pattern ]] || { echo "# round $r: no pool address ($A)"; continue; }
		hp=$A
		[[ "$A" == *:* ]] && hp="[$A]"
		out=$(ip netns exec $PUB timeout 10 socat -T6 - "TCP:$hp:5000,connect-timeout=4" \
			</dev/null 2>"$T/cerr")
		if [ "$out" = h1 ]; then
			ok_rounds=$((ok_rounds + 1))
		else
			echo "# round $r: the client did not get through ($(head -c 200 "$T/cerr"))"
		fi
	done
	kill $FP 2>/dev/null
	wait $FP 2>/dev/null
	t1=$(date +%s%N)
	r1=$(rx)
	sent=$((r1 - r0))
	flood_ms=$(((t1 - t0) / 1000000))
	S=$(status)
	admitted=$(echo "$S" | jq '.subsystems.nat.flows_admitted')
	refused=$(echo "$S" | jq '.subsystems.nat.flows_refused')
	used=$(echo "$S" | jq '.subsystems.nat.bindings_used')
	rate=$((flood_ms > 0 ? sent * 1000 / flood_ms : 0))
	echo "# spoofed SYNs: $sent received by the gateway in $flood_ms ms of flood ($rate/s)"
	echo "# legitimate client: $ok_rounds/$ROUNDS connected; rgwd: $admitted first packets" \
		"admitted, $refused refused, $used bindings used"
	check "the flood went on during the rounds (at least 1,000 SYNs/s on average)" \
		test "$rate" -ge 1000
	check "the legitimate client connected in every round ($ok_rounds/$ROUNDS)" \
		test "$ok_rounds" = "$ROUNDS"
	check "every first packet rgwd saw was the client's: $admitted admitted = $ROUNDS rounds" \
		test "$admitted" = "$ROUNDS"
	check "no first packet refused (no spoofed SYN reached admission)" test "$refused" = 0
	check "bindings lost to spoofed sources: $((used - ok_rounds)) (used $used, client $ok_rounds)" \
		test "$used" = "$ok_rounds"
}
