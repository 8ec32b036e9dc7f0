# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/scen_nested.sh -- the end-to-end scenarios of the nested gateway: nest
# (a second rgwd in gw's LAN, zone nest.gwa.demo) and test_ngwa (192.168.10.100) behind it,
# through the router's resolver from the public client (docs/testbed.md, "Nested gateway").
# Sourced by scenarios.sh; same conventions (one PASS/FAIL line, never skipped).

# The nested gateway's REST API (its own token; the same address inside its node).
nest_api() { TB_API_NODE=nest tb_api GET "$1" 2>/dev/null | sed '$d'; }
nest_bindings() { nest_api /api/v1/bindings | jq -c '.items' 2>/dev/null; }
nest_no_binding() { [ "$(nest_bindings)" = '[]' ]; }
# metric NODE NAME... -- counters of /metrics on NODE (gw or nest), one fetch, in the order
# named, space-separated ("?" for one that is missing)
metric() {
	local tok n=$1
	shift
	tok=$(TB_API_NODE=$n tb_token)
	tb_exec "$n" timeout 10 curl -s --cacert "$TB_CA" -H "Authorization: Bearer $tok" \
		"$(tb_api_url "$n")/metrics" \
		</dev/null 2>/dev/null | awk -v names="$*" '
		{ v[$1] = $2 }
		END { k = split(names, m, " "); for (i = 1; i <= k; i++)
			printf "%s%s", (i > 1 ? " " : ""), ((m[i] in v) ? v[m[i]] : "?"); print "" }'
}
gw_bindings_json() { tb_api GET /api/v1/bindings 2>/dev/null | sed '$d' | jq -c '.items'; }
both_unbound() { gw_no_binding && nest_no_binding; }

# nest_require -- require, and the nested gateway's rgwd serving too.
nest_require() {
	require || return 1
	tb_daemon_alive nest rgwd && return 0
	fail "rgwd is not running on nest (see $TB_STATE/nodes/nest/rgwd.log)"
	return 1
}

# nest_settle [direct] -- settle, and no binding left on the nested gateway either (10 s at
# most); "direct": for a scenario that asks the gateways itself, the resolver is left alone.
nest_settle() {
	if [ "${1:-}" = direct ]; then
		tb_wait 10 both_unbound && return 0
		fail "bindings still live 10 s after the last step: gw $(gw_bindings_json)," \
			"nest $(nest_bindings)"
		return 1
	fi
	settle || return 1
	tb_wait 10 nest_no_binding && return 0
	fail "bindings still live on nest 10 s after the last step: $(nest_bindings)"
	return 1
}

# in_nest_pool ADDR -- one of nest's addresses on gw's LAN (192.168.0.11-14: its pool)
in_nest_pool() { [[ $1 =~ ^192\.168\.0\.1[1-4]$ ]]; }

# eci ADDR -- the ECI option (0xFF01) naming ADDR, TCP, port 5353, in dig's +ednsopt form
# shellcheck disable=SC2086 # the four bytes, split
eci() { printf '65281:0001%02x%02x%02x%02x000614e9' ${1//./ }; }

# 1. test.nest.gwa.demo through the resolver: an address of gw's pool, bound to an address of
#    nest's pool, bound to 192.168.10.100; the first flow passes both DNATs and ends both
#    bindings; the nested gateway judged the resolver (ECI), not gw; second flows refused at
#    both levels.
s_nested_name_to_host() {
	nest_require || return 0
	nest_settle || return
	local ip ob ib inner out ct rep
	ip=$(resolve test.nest.gwa.demo)
	ob=$(gw_bindings_json)
	ib=$(nest_bindings)
	# from an address no other scenario uses: its conntrack entries are this flow's
	out=$(probe --src 100.64.0.108 --send hello "$ip:2000")
	note "test.nest.gwa.demo -> $ip: $out"
	note "gw's binding: $ob"
	note "nest's binding: $ib"
	in_pool "$ip" || {
		fail "test.nest.gwa.demo resolved to '${ip:-nothing}', not an address of gw's pool"
		return
	}
	inner=$(jq -r --arg a "$ip" '.[] | select(.public == $a) | .private' <<<"$ob" 2>/dev/null)
	in_nest_pool "$inner" || {
		fail "gw's binding of $ip does not go to nest's pool: $ob"
		return
	}
	[ "$(jq -r --arg a "$inner" '.[] | select(.public == $a) |
		"\(.private) \(.resolver)"' <<<"$ib" 2>/dev/null)" = "192.168.10.100 $TB_RESOLVER" ] || {
		fail "nest did not bind $inner to 192.168.10.100 for the resolver $TB_RESOLVER (ECI): $ib"
		return
	}
	[[ $out == *" open test.nest.gwa.demo 2000/tcp hello" ]] || {
		fail "TCP to $ip:2000 did not reach test.nest.gwa.demo: $out"
		return
	}
	tb_wait 5 both_unbound || {
		fail "the first flow did not end both bindings: gw $(gw_bindings_json), nest $(nest_bindings)"
		return
	}
	ct=$(gw_conntrack -p tcp -d "$ip" --dport 2000 | grep 'src=100.64.0.108 ' | head -n 1)
	note "gw conntrack: $ct"
	[[ $ct == *"src=$inner dst=100.64.0.108 "* ]] || {
		fail "gw did not DNAT the flow to $inner: ${ct:-no entry}"
		return
	}
	ct=$(tb_exec nest timeout 10 conntrack -L -p tcp -d "$inner" --dport 2000 </dev/null \
		2>/dev/null | grep 'src=100.64.0.108 ' | head -n 1)
	note "nest conntrack: $ct"
	[[ $ct == *"src=192.168.10.100 dst=100.64.0.108 "* ]] || {
		fail "nest did not DNAT the flow to 192.168.10.100: ${ct:-no entry}"
		return
	}
	out=$(probe --src 100.64.0.105 "$ip:2000")
	note "another client -> $out"
	[[ $out == *" refused" ]] || {
		fail "a second flow to $ip from another client was not refused: $out"
		return
	}
	out=$(tb_exec test timeout 20 "$TB_PY" "$TB_DIR/lib/probe.py" "$inner:2000" </dev/null 2>&1)
	note "test (gw's LAN) straight to nest's address -> $out"
	[[ $out == *" refused" ]] || {
		fail "a flow straight to nest's pool address $inner was not refused: $out"
		return
	}
	rep=$(nest_api /api/v1/reputation | jq -c '[.items[] | select(.kind == "resolver_group") |
		select(.ok + .nok > 0) | .key]')
	note "nest's resolver groups with evidence: $rep"
	jq -e 'index("isp") != null and index("carrier") == null' <<<"$rep" >/dev/null || {
		fail "nest recorded its evidence against '$rep', not the resolver's group isp (ECI)"
		return
	}
	pass "gw $ip -> nest $inner -> 192.168.10.100: two DNATs, both bindings ended by the" \
		"first flow, the resolver judged by nest, second flows refused at both levels"
}

# 2. www.test.nest.gwa.demo through both ALGs (SNI and Host routed twice, nothing decrypted):
#    the server's own certificate, the client's address at the server (PROXY v2), no pool
#    address spent.
s_nested_web() {
	nest_require || return 0
	nest_settle || return
	local ip out log=$TB_STATE/nodes/test_ngwa/nginx-proxy.log
	local ca=$TB_STATE/pki/ca.pem n0
	n0=$(wc -l <"$log" 2>/dev/null || echo 0)
	ip=$(resolve www.test.nest.gwa.demo)
	[ "$ip" = "$TB_GW_WAN" ] || {
		fail "www.test.nest.gwa.demo resolved to '${ip:-nothing}', not gw's service address"
		return
	}
	both_unbound || {
		fail "a pool address was spent on the web name: gw $(gw_bindings_json), nest $(nest_bindings)"
		return
	}
	out=$(tb_exec public timeout 10 curl -sS --max-time 8 --cacert "$ca" \
		https://www.test.nest.gwa.demo/whoami </dev/null 2>&1)
	note "https://www.test.nest.gwa.demo/whoami -> $out"
	[ "$out" = "test.nest.gwa.demo 100.64.0.100" ] || {
		fail "HTTPS through both ALGs did not reach the server with the client's address: $out"
		return
	}
	out=$(tb_exec public timeout 10 curl -sS --max-time 8 http://www.test.nest.gwa.demo/whoami \
		</dev/null 2>&1)
	note "http://www.test.nest.gwa.demo/whoami -> $out"
	[ "$out" = "test.nest.gwa.demo 100.64.0.100" ] || {
		fail "HTTP through both ALGs did not reach the server with the client's address: $out"
		return
	}
	if ! cert_seen_is "$ip" www.test.nest.gwa.demo test.nest.gwa.demo; then
		fail "the client did not see test.nest.gwa.demo's own certificate"
		return
	fi
	out=$(tail -n +"$((n0 + 1))" "$log" 2>/dev/null)
	note "server's log (PROXY address, peer, SNI, request):"
	while IFS= read -r l; do note "  $l"; done <<<"$out"
	grep -q '^100\.64\.0\.100 192\.168\.10\.1 www\.test\.nest\.gwa\.demo "GET /whoami' <<<"$out" || {
		fail "the server's access log does not name the client 100.64.0.100 (PROXY v2)"
		return
	}
	pass "HTTPS and HTTP through both ALGs: the server's own certificate, the client's address" \
		"in its log, no pool address spent"
}

# 3. ECI from anybody but the parent changes nothing in the nested gateway's decisions: a
#    public client asking gw with an ECI of its own is judged as itself at both levels; on
#    gw's LAN a good resolver claiming a bad one is served, a bad one claiming the router's
#    resolver is not. Every such ECI is counted as ignored.
s_nested_eci_spoof() {
	nest_require || return 0
	nest_settle direct || return
	local r ib out g0 g1 n0 n1
	g0=$(metric gw rgw_dns_eci_ignored_total)
	n0=$(metric nest rgw_dns_eci_ignored_total)
	# 100.64.0.100 is a resolver of gw's policy; 100.64.0.66 is in nest's group "bad"
	r=$(tb_exec public timeout 10 dig +tcp +time=3 +tries=1 -b 100.64.0.100 "@$TB_GW_WAN" \
		test.nest.gwa.demo A +short +ednsopt="$(eci 100.64.0.66)" </dev/null 2>/dev/null |
		grep -E '^[0-9.]+$' | tail -n 1)
	ib=$(nest_bindings)
	out=$(probe --src 100.64.0.100 --send hello "$r:2000")
	note "public 100.64.0.100 claiming 100.64.0.66 -> gw: $r ($out); nest's binding: $ib"
	in_pool "$r" || {
		fail "the public client claiming a bad resolver in ECI got '${r:-nothing}' from gw"
		return
	}
	[ "$(jq -r '.[0].resolver' <<<"$ib" 2>/dev/null)" = 100.64.0.100 ] || {
		fail "nest did not judge the client itself (gw passed the spoofed ECI on?): $ib"
		return
	}
	[[ $out == *" open test.nest.gwa.demo 2000/tcp hello" ]] || {
		fail "its flow did not reach test.nest.gwa.demo: $out"
		return
	}
	# 192.168.0.50 (ddnshost) is nest's group "lan", 192.168.0.60 (apihost) its group "bad"
	r=$(tb_exec ddnshost timeout 10 dig +tcp +time=3 +tries=1 @192.168.0.10 test.nest.gwa.demo A \
		+short +ednsopt="$(eci 100.64.0.66)" </dev/null 2>/dev/null | grep -E '^[0-9.]+$')
	ib=$(nest_bindings)
	note "ddnshost claiming 100.64.0.66 -> nest: ${r:-nothing}; binding: $ib"
	in_nest_pool "$r" && [ "$(jq -r '.[0].resolver' <<<"$ib" 2>/dev/null)" = 192.168.0.50 ] || {
		fail "a good LAN resolver claiming a bad one in ECI was not served as itself"
		return
	}
	out=$(tb_exec ddnshost timeout 20 "$TB_PY" "$TB_DIR/lib/probe.py" --send hello "$r:2000" \
		</dev/null 2>&1)
	[[ $out == *" open test.nest.gwa.demo 2000/tcp hello" ]] || {
		fail "ddnshost's flow to $r did not reach test.nest.gwa.demo: $out"
		return
	}
	r=$(tb_exec apihost timeout 10 dig +tcp +time=3 +tries=1 @192.168.0.10 test.nest.gwa.demo A \
		+ednsopt="$(eci "$TB_RESOLVER")" </dev/null 2>&1)
	note "apihost claiming $TB_RESOLVER -> nest: $(grep -oE 'status: [A-Z]+' <<<"$r")," \
		"$(grep -cE 'IN[[:space:]]+A[[:space:]]' <<<"$r") address(es)"
	grep -qE 'IN[[:space:]]+A[[:space:]]' <<<"$r" && {
		fail "a bad LAN resolver claiming the router's resolver in ECI got an address"
		return
	}
	g1=$(metric gw rgw_dns_eci_ignored_total)
	n1=$(metric nest rgw_dns_eci_ignored_total)
	note "ECI ignored: gw $g0 -> $g1, nest $n0 -> $n1"
	[ "$((g1 - g0))" = 1 ] && [ "$((n1 - n0))" = 2 ] || {
		fail "the ignored ECI options were not counted (gw +$((g1 - g0)), nest +$((n1 - n0)))"
		return
	}
	pass "spoofed ECI ignored and counted at both levels: each source judged as itself"
}

# 4. The nested gateway does not answer (SIGSTOP): the resolver's question gets SERVFAIL
#    within gw's nested timeouts, and gw answers its own names meanwhile at full speed.
s_nested_inner_down() {
	nest_require || return 0
	nest_settle direct || return
	local pid t0 t1 r own base
	local pid t0 t1 r own base pend d=$TB_STATE/e2e
	# gw's own names: 20 SOA questions in one dig (no process start-up between them), after
	# starting the questions given; how many answered, in how many ms
	own_names() {
		tb_sh router "$1
			t=\$(date +%s%N); n=\$(dig +time=1 +tries=1 -b $TB_RESOLVER @$TB_GW_WAN \
			$(printf 'gwa.demo SOA %.0s' $(seq 20)) +short 2>/dev/null | grep -c '^ns1')
			echo \$n \$(((\$(date +%s%N) - t) / 1000000)); wait" </dev/null 2>/dev/null
	}
	base=$(own_names "")
	pid=$(tb_daemon_pid nest rgwd)
	tb_exec nest kill -STOP "$pid" </dev/null || {
		fail "cannot stop nest's rgwd"
		return
	}
	t0=$(now)
	r=$(tb_exec router timeout 10 dig +tcp +time=5 +tries=1 -b "$TB_RESOLVER" "@$TB_GW_WAN" \
		test.nest.gwa.demo A </dev/null 2>&1 | grep -oE 'status: [A-Z]+')
	t1=$(now)
	# the same while three nested questions wait
	rm -f "$d"/nest-pend.*
	own=$(own_names "for s in 1 2 3; do dig +tcp +time=5 +tries=1 -b $TB_RESOLVER \
		@$TB_GW_WAN test.nest.gwa.demo A 2>&1 | grep -c 'status: SERVFAIL' >$d/nest-pend.\$s & done")
	tb_exec nest kill -CONT "$pid" </dev/null
	pend=$(cat "$d"/nest-pend.* 2>/dev/null | awk '{ n += $1 } END { print n + 0 }')
	note "nest stopped: test.nest.gwa.demo -> ${r:-no answer} in $(elapsed "$t0" "$t1") s" \
		"(nested_timeouts 250,250,250 ms)"
	note "20 SOA questions for gwa.demo: ${base%% *}/20 in ${base#* } ms with nest running," \
		"${own%% *}/20 in ${own#* } ms while nested questions waited ($pend/3 got SERVFAIL)"
	[ "$r" = "status: SERVFAIL" ] || {
		fail "the question for a name below the stopped nested gateway got '${r:-no answer}'"
		return
	}
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 3) }' || {
		fail "SERVFAIL took $(elapsed "$t0" "$t1") s (nested timeouts 0.75 s)"
		return
	}
	[ "${own%% *}" = 20 ] && [ "$pend" = 3 ] || {
		fail "gw answered ${own%% *}/20 of its own names while nested questions waited" \
			"($pend/3 of these got SERVFAIL)"
		return
	}
	gw_no_binding || {
		fail "gw kept a binding for the failed nested questions: $(gw_bindings_json)"
		return
	}
	pass "SERVFAIL in $(elapsed "$t0" "$t1") s with nest stopped; 20/20 own names answered" \
		"meanwhile in ${own#* } ms (${base#* } ms with it running); no binding kept"
}

# 5. The nested gateway's pool exhausted (its 4 addresses bound for 4 questions): the fifth
#    question gets no address, gw withdraws its own reservation (no binding kept for nothing)
#    and records no evidence against the resolver for the nested gateway's shortage.
s_nested_pool_exhausted() {
	nest_require || return 0
	nest_settle direct || return
	local out addrs last flows d0 d1 k
	# gw's counters: nested questions refused by the nested gateway's shortage, bindings
	# ended used and expired, questions the nested gateway denied (the resolver's NOK: gw
	# charges a resolver only for these and for its expired bindings)
	counters() {
		metric gw rgw_dns_nested_refused_total 'rgw_bindings_ended_total{how="used"}' \
			'rgw_bindings_ended_total{how="expired"}' rgw_dns_nested_denied_total
	}
	# gw's own admission must not be what refuses the fifth question: the resolver group's
	# reputation (earlier scenarios' evidence) is pinned meanwhile
	[ "$(tb_api PUT /api/v1/reputation/resolver_group/router '{"override": 1}' | tail -n 1)" = "HTTP 200" ] || {
		fail "cannot pin the reputation of the resolver group router for the scenario"
		return
	}
	d0=$(counters)
	# As the router's resolver asks (TCP, from its address): four questions at once, a fifth
	# while their bindings live, then a flow to each of the four answers (in one go: the
	# bindings live 2 s).
	out=$(tb_sh router "for i in 1 2 3 4; do dig +tcp +time=5 +tries=1 -b $TB_RESOLVER \
		@$TB_GW_WAN test.nest.gwa.demo A +short & done >\"$TB_STATE/e2e/nest-four\"; wait
		dig +tcp +time=5 +tries=1 -b $TB_RESOLVER @$TB_GW_WAN test.nest.gwa.demo A |
			grep -oE 'status: [A-Z]+|IN[[:space:]]+A[[:space:]].*'
		$TB_PY $TB_DIR/lib/probe.py --src $TB_RESOLVER --send hello \
			\$(sed -n 's/^[0-9.]*\$/&:2000/p' \"$TB_STATE/e2e/nest-four\")" </dev/null 2>&1)
	addrs=$(grep -E '^[0-9.]+$' "$TB_STATE/e2e/nest-four" 2>/dev/null | sort -u | tr '\n' ' ')
	last=$(grep -E '^status|IN' <<<"$out" | tr '\n' ' ')
	flows=$(grep -c ' open test.nest.gwa.demo 2000/tcp hello' <<<"$out")
	tb_wait 5 both_unbound
	d1=$(counters)
	tb_api PUT /api/v1/reputation/resolver_group/router '{"override": null}' >/dev/null 2>&1
	note "four answers: $addrs- the fifth: $last; flows: $flows/4"
	note "gw's nested_refused, bindings used, expired, nested_denied: $d0 -> $d1"
	read -ra k <<<"$d0 $d1"
	[ "$(wc -w <<<"$addrs")" = 4 ] && [ "$flows" = 4 ] || {
		fail "the four questions did not get four addresses reaching the host: $addrs; $out"
		return
	}
	[[ $last == "status: NOERROR " ]] || {
		fail "the fifth question got '$last', not an empty NOERROR (TCP)"
		return
	}
	[ "$((k[4] - k[0]))" = 1 ] || {
		fail "gw did not count the nested gateway's shortage (nested_refused +$((k[4] - k[0])))"
		return
	}
	[ "$((k[5] - k[1]))" = 4 ] && [ "${k[6]}" = "${k[2]}" ] && gw_no_binding || {
		fail "gw kept a binding for the fifth question (used +$((k[5] - k[1])), expired" \
			"+$((k[6] - k[2])), live: $(gw_bindings_json))"
		return
	}
	[ "${k[7]}" = "${k[3]}" ] || {
		fail "gw took the shortage for a denial of the resolver (nested_denied ${k[3]} -> ${k[7]})"
		return
	}
	pass "nest's pool exhausted: the fifth question got no address, gw kept no binding for it" \
		"and charged the resolver nothing; the four flows reached the host"
}
