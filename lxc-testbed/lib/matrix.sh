# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/matrix.sh -- the resolver matrix: behind each recursive resolver of the testbed
# (unbound, BIND, Knot Resolver, PowerDNS Recursor, each in Debian's configuration), clients
# resolve the same names at random moments and connect after each resolution; then the
# unsolicited-flow checks. Sourced by lxc-testbed/run-matrix (after tb.sh, services.sh, e2e.sh).

# The resolver nodes, in the order they run.
MX_RESOLVERS=(unbound bind9 kresd pdns)
MX_CLIENTS=100.64.0.100,100.64.0.101,100.64.0.102,100.64.0.103,100.64.0.104
MX_NAMES=test.gwa.demo=test.gwa.demo,test200.gwa.demo=test200.gwa.demo
MX_NAMES+=,tcp2000.test201.gwa.demo=test201.gwa.demo
MX_COUNT=${RGWTB_MATRIX_COUNT:-100}
MX_SPAN=${RGWTB_MATRIX_SPAN:-20}
MX_PRIOR=0.6 # initial reputation of each resolver's group
MX_STRANGER=100.64.0.107
MX_SCANNER=100.64.0.106
MX_DIR=$TB_STATE/matrix

mx_json() { tb_rgwctl --json "$@" 2>/dev/null; }
mx_nat() { mx_json status | jq -c '.subsystems.nat // {}'; }

# The resolver's own group, so that its reputation and window are its own.
mx_group() {
	local n=$1 a out code
	a=$(tb_node_addr "$n")
	out=$(tb_api GET "/api/v1/resolver-groups/res-$n")
	[ "${out##*HTTP }" = 200 ] && return 0
	out=$(tb_api POST /api/v1/resolver-groups "{\"name\": \"res-$n\", \"initial_reputation\": \
$MX_PRIOR, \"sla\": false, \"nodes\": [\"$a\"]}")
	code=${out##*HTTP }
	[ "$code" = 201 ] || {
		tb_log "matrix: cannot create resolver group res-$n: $code"
		return 1
	}
}

# Live bindings answered to address $1 (a JSON array).
mx_bindings_of() { mx_json bindings | jq -c --arg a "$1" '[.items[] | select(.resolver == $a)]'; }
mx_none_of() { [ "$(mx_bindings_of "$1" | jq length)" = 0 ]; }

# dig through resolver $1 from client $2 for $3 (type $4); prints the last address or target.
mx_dig() {
	tb_exec public timeout 12 dig -b "$2" "@$1" +tries=2 +time=3 +short "$3" "${4:-A}" \
		</dev/null 2>/dev/null | tail -n 1
}

# SRV: the service's SRV answer through the resolver, then its target's address through the
# resolver, then a connection to it: the target resolves with the service's admission.
mx_srv() {
	local a=$1 srv target ip out
	srv=$(mx_dig "$a" 100.64.0.103 tcp2000.test200.gwa.demo SRV)
	target=$(awk '{ print $4 }' <<<"$srv")
	[ -n "$target" ] || {
		echo "no SRV answer"
		return 1
	}
	ip=$(mx_dig "$a" 100.64.0.103 "$target" A)
	in_pool "$ip" || {
		echo "SRV target $target resolved to '${ip:-nothing}'"
		return 1
	}
	out=$(probe --src 100.64.0.103 --send hello "$ip:2000")
	[[ $out == *" open test200.gwa.demo 2000/tcp hello" ]] || {
		echo "$target -> $ip: $out"
		return 1
	}
	echo "$target -> $ip reached test200.gwa.demo"
}

# Unsolicited flows. (1) a source that never resolved anything connects to every pool address
# that holds no binding: all refused. (2) after a client resolved and connected, a stranger
# connects to the same address 400 ms later (past a merged question's burst), as often as the
# binding may still admit flows and twice more: what is admitted must stay within that budget
# (docs/nat.md, "Threat analysis") and is counted in window_flows. Prints a JSON object.
mx_unsolicited() {
	local a=$1 live free=() i ip out b bound tries open=0 legit wf0 wf1 nfree unres=0
	live=$(mx_json bindings | jq -r '.items[].public' | sort -u)
	for i in $(seq 131 142); do
		grep -qx "100.64.1.$i" <<<"$live" || free+=("100.64.1.$i:2000")
	done
	nfree=${#free[@]}
	if [ "$nfree" -gt 0 ]; then
		out=$(probe --src "$MX_SCANNER" --timeout 3 "${free[@]}")
		unres=$(grep -c ' open' <<<"$out" || true)
	fi
	ip=$(mx_dig "$a" 100.64.0.100 test.gwa.demo)
	legit=$(probe --src 100.64.0.100 --send hello "$ip:2000")
	# Pacing, not a wait for a condition: the stranger must come after a merged question's
	# burst (a time span of the pool's admission), which nothing outside rgwd can observe.
	sleep 0.4
	b=$(mx_bindings_of "$a" | jq -c --arg ip "$ip" '[.[] | select(.public == $ip)][0] // {}')
	bound=$(jq -r 'if .flow_limit then .flow_limit - .flows else 0 end' <<<"$b")
	wf0=$(mx_nat | jq '.window_flows // 0')
	tries=$((bound + 2))
	for ((i = 0; i < tries; i++)); do
		out=$(probe --src "$MX_STRANGER" "$ip:2000")
		[[ $out == *" open"* ]] && open=$((open + 1))
	done
	wf1=$(mx_nat | jq '.window_flows // 0')
	jq -cn --argjson nfree "$nfree" --argjson unres "$unres" --arg ip "$ip" \
		--arg legit "${legit#* }" --argjson bound "$bound" --argjson tries "$tries" \
		--argjson open "$open" --argjson counted "$((wf1 - wf0))" \
		'{unresolved_tried: $nfree, unresolved_admitted: $unres, window_addr: $ip,
		  legit: $legit, stranger_bound: $bound, stranger_tried: $tries,
		  stranger_admitted: $open, stranger_counted: $counted}'
}

# The cache window learnt for resolver node $1 ({state, window_ms}).
mx_window() {
	mx_json raw GET /api/v1/cache-windows |
		jq -c --arg g "res-$1" '.items[] | select(.entity == $g) | {state, window_ms}'
}

# One resolver: the clients, the counters, SRV, the unsolicited checks, reputation, window.
mx_one() {
	local n=$1 a d=$MX_DIR before after sum srv un rep win t0
	a=$(tb_node_addr "$n")
	# earlier answers (of an earlier run) leave the pool, then the resolver's cache first
	tb_wait 20 mx_none_of "$a" || true
	# A deliberate wait, not a poll: Knot Resolver serves a TTL-0 answer for its
	# cache.min_ttl (5 s; PowerDNS 1 s), and a query that looked into its cache would be a
	# hit that refreshes the clamped record (docs/nat.md), so the cache cannot be watched
	# without keeping it warm.
	sleep 6
	before=$(mx_nat)
	t0=$SECONDS
	tb_exec public timeout $((MX_SPAN + 60)) "$TB_PY" "$TB_DIR/lib/clients.py" --resolver "$a" \
		--clients "$MX_CLIENTS" --names "$MX_NAMES" --count "$MX_COUNT" --span "$MX_SPAN" \
		</dev/null >"$d/$n.clients" 2>"$d/$n.clients.err"
	sum=$(grep '"summary"' "$d/$n.clients" | tail -n 1)
	[ -n "$sum" ] || sum='{"count": 0, "ok": 0}'
	tb_wait 20 mx_none_of "$a" || true
	after=$(mx_nat)
	win=$(mx_window "$n")
	srv=$(mx_srv "$a") && srv="ok: $srv" || srv="FAILED: $srv"
	un=$(mx_unsolicited "$a")
	tb_wait 20 mx_none_of "$a" || true
	rep=$(tb_api GET "/api/v1/reputation/resolver_group/res-$n" | sed '$d' | jq -c '.value // null')
	# what the stranger did to the window learnt from the clients (docs/nat.md, threat 4)
	win=$(jq -c --argjson after "$(mx_window "$n")" '. + {after_strangers: $after.state}' \
		<<<"${win:-null}")
	jq -cn --arg n "$n" --arg a "$a" --argjson s "$sum" --argjson b "$before" \
		--argjson e "$after" --arg srv "$srv" --argjson u "$un" --argjson rep "${rep:-null}" \
		--argjson w "${win:-null}" --argjson secs "$((SECONDS - t0))" \
		'{resolver: $n, address: $a, clients: $s, secs: $secs,
		  created: ($e.bindings_created - $b.bindings_created),
		  used: ($e.bindings_used - $b.bindings_used),
		  expired: ($e.bindings_expired - $b.bindings_expired),
		  idle: ($e.bindings_idle - $b.bindings_idle),
		  reanswered: ($e.bindings_coalesced - $b.bindings_coalesced),
		  window_flows: ($e.window_flows - $b.window_flows),
		  srv: $srv, unsolicited: $u, reputation: $rep, window: $w}' >"$d/$n.row"
}

# The table, one line per resolver.
mx_table() {
	local n
	printf '%-8s %-13s %8s %7s %7s %25s %12s %9s %10s %10s %18s\n' resolver window success \
		p50_ms p95_ms "bindings created/used/exp" "idle/reansw" "win-flows" unresolved \
		strangers "reputation (prior)"
	for n in "${MX_RESOLVERS[@]}"; do
		[ -s "$MX_DIR/$n.row" ] || continue
		jq -r --arg p "$MX_PRIOR" '[.resolver, "\(.window.state // "?") \(.window.window_ms // "")",
		  "\(.clients.ok)/\(.clients.count)",
		  (.clients.resolve_p50_ms // "-" | tostring),
		  (.clients.resolve_p95_ms // "-" | tostring),
		  "\(.created)/\(.used)/\(.expired)", "\(.idle)/\(.reanswered)",
		  (.window_flows | tostring),
		  "\(.unsolicited.unresolved_admitted)/\(.unsolicited.unresolved_tried)",
		  "\(.unsolicited.stranger_admitted)/\(.unsolicited.stranger_tried)<=\(.unsolicited.stranger_bound)",
		  "\(if .reputation then (.reputation * 100 | round / 100) else "-" end) (\($p))"]
		  | @tsv' "$MX_DIR/$n.row" |
			awk -F'\t' '{ printf "%-8s %-13s %8s %7s %7s %25s %12s %9s %10s %10s %18s\n",
				$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }'
	done
}

# The checks of one resolver's row: one PASS/FAIL line each (results through e2e.sh).
mx_check() {
	local n=$1 r=$MX_DIR/$1.row ok count why=()
	E2E_CUR="matrix_$n"
	[ -s "$r" ] || {
		fail "no result"
		return
	}
	ok=$(jq '.clients.ok' "$r")
	count=$(jq '.clients.count' "$r")
	note "$(jq -r '"window learnt from the clients: \(.window.state // "?") \(.window.window_ms //
    "?") ms (after the strangers: \(.window.after_strangers // "?")); SRV \(.srv); legitimate
    flow before the strangers: \(.unsolicited.legit)"' "$r")"
	[ "$count" -ge "$MX_COUNT" ] || why+=("only $count of $MX_COUNT resolutions ran")
	[ $((ok * 100)) -ge $((count * 99)) ] || why+=("success $ok/$count below 99 %")
	[ "$(jq '.unsolicited.unresolved_admitted' "$r")" = 0 ] ||
		why+=("a flow to an address nobody resolved was admitted")
	jq -e '.unsolicited.stranger_admitted <= .unsolicited.stranger_bound' "$r" >/dev/null ||
		why+=("strangers beyond the window's budget were admitted")
	jq -e '.unsolicited.stranger_counted >= .unsolicited.stranger_admitted' "$r" >/dev/null ||
		why+=("admitted strangers were not counted in window_flows")
	jq -e --argjson p "$MX_PRIOR" '.reputation != null and .reputation >= $p' "$r" >/dev/null ||
		why+=("reputation $(jq '.reputation' "$r") below its prior $MX_PRIOR")
	[[ $(jq -r '.srv' "$r") == ok:* ]] || why+=("$(jq -r '.srv' "$r")")
	if [ ${#why[@]} -eq 0 ]; then
		pass "$ok/$count connected, unsolicited flows within bounds, reputation $(jq \
			'.reputation' "$r") >= $MX_PRIOR"
	else
		fail "$(
			IFS=';'
			echo "${why[*]}"
		)"
		awk '!/"outcome": "ok"/ && n++ < 5 { print "    " $0 }' "$MX_DIR/$n.clients"
	fi
}
