# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/scen_ipv6.sh -- the end-to-end scenarios over IPv6: from the public client
# (2001:db8::100) through the router's unbound, which asks the gateway over IPv6 for the names
# of v6.gwa.demo, to the hosts gw's policy gains in the testbed (lib/nested.sh, TB_GW_V6):
# gua.v6.gwa.demo (test203's global address, pinholes, www.gua.v6.gwa.demo behind the ALG),
# ula.v6.gwa.demo (test205's unique local address, the IPv6 pool) and test204.gwa.demo
# (dual-stack). Sourced by scenarios.sh; same conventions (one PASS/FAIL line, never skipped).

# resolve6 NAME -- NAME's AAAA through the router's resolver, asked over IPv6 from the public
# client. Prints the last IPv6 address of the answer, or nothing.
resolve6() {
	tb_exec public timeout 12 dig "@$TB_RESOLVER6" +tries=1 +time=5 +short "$1" AAAA \
		</dev/null 2>/dev/null | grep -E '^[0-9a-f:]+$' | grep : | tail -n 1
}

# tcp6 ADDR PORT -- one line "hello" over TCP to [ADDR]:PORT from the public client; prints
# the reply, or socat's error.
tcp6() {
	echo hello | tb_exec public timeout 12 socat -t 3 -T 5 - "TCP6:[$1]:$2,connect-timeout=5" \
		2>&1 | sed 's/.* E connect([^)]*): //'
}

# The resolver's queries to the gateway's IPv6 service address, as gw's conntrack holds them.
v6_queries() {
	gw_conntrack -f ipv6 -p udp --dport 53 |
		grep -o "src=$TB_RESOLVER6 dst=$TB_GW_WAN6 sport=[0-9]*" | sort
}

# Bindings rgwd ended by their flow (gw's /metrics; metric is scen_nested.sh's).
ended_used() { metric gw 'rgw_bindings_ended_total{how="used"}'; }

# v6_binding ADDR -- rgwd's binding of the public address ADDR ("private resolver"), if any.
v6_binding() {
	tb_rgwctl --json bindings 2>/dev/null | jq -r --arg a "$1" \
		'.items[] | select(.public == $a) | "\(.private) \(.resolver)"' 2>/dev/null
}
v6_unbound() { [ -z "$(v6_binding "$1")" ]; }

# The public client's TCP flows to [ADDR]:2000 in gw's conntrack, each with its reply tuple.
flows6() {
	local t="src=2001:db8::100 dst=$1 sport=[0-9]* dport=2000"
	gw_conntrack -f ipv6 -p tcp -d "$1" --dport 2000 | grep -o "$t src=[^ ]* dst=[^ ]*" | sort
}

# one_flow6 ADDR FQDN PRIVATE -- a TCP echo to [ADDR]:2000 reaches FQDN, translated to
# PRIVATE with the client's address kept (gw's conntrack); its first packet ended the binding
# of ADDR (gone at once, counted used: ended by the flow, not by its expiry); a second flow is
# refused. A FAIL (and 1) otherwise.
one_flow6() {
	local a=$1 out u0 u1 c0 ct
	u0=$(ended_used)
	c0=$(flows6 "$a")
	out=$(tcp6 "$a" 2000)
	note "[$a]:2000 -> $out"
	[ "$out" = "$2 2000/tcp hello" ] || {
		fail "the first IPv6 flow to [$a]:2000 did not reach $2: $out"
		return 1
	}
	ct=$(comm -13 <(echo "$c0") <(flows6 "$a"))
	note "gw conntrack: ${ct:-no new entry}"
	[[ $ct == *" src=$3 dst=2001:db8::100" ]] || {
		fail "gw's conntrack shows no flow to $3 with the client's address kept"
		return 1
	}
	u1=$(ended_used)
	note "bindings ended by their flow: $u0 -> $u1"
	if ! { [[ $u0 =~ ^[0-9]+$ && $u1 =~ ^[0-9]+$ ]] && ((u1 > u0)) && v6_unbound "$a"; }; then
		fail "the first flow did not end the binding of $a ($u0 -> $u1): $(v6_binding "$a")"
		return 1
	fi
	out=$(tcp6 "$a" 2000)
	note "second flow -> $out"
	[[ $out == *"Connection refused"* ]] && return 0
	fail "a second flow to $a was not refused: $out"
	return 1
}

# 1. A global host: its AAAA is its own address and opens a pinhole (a binding of the address
#    to itself) that the first flow closes; a second flow is refused.
s_ipv6_pinhole() {
	require || return 0
	settle || return
	local q0 q1 a b
	q0=$(v6_queries)
	a=$(resolve6 gua.v6.gwa.demo)
	b=$(v6_binding "$a")
	q1=$(comm -13 <(echo "$q0") <(v6_queries) | grep -c . || true)
	note "dig @$TB_RESOLVER6 gua.v6.gwa.demo AAAA -> ${a:-nothing}; binding: ${b:-none};" \
		"$q1 new query(ies) from the resolver to [$TB_GW_WAN6]:53"
	[ "$a" = 2001:db8:2::203 ] || {
		fail "gua.v6.gwa.demo resolved to '${a:-nothing}', not its own 2001:db8:2::203"
		return
	}
	[ "$q1" -gt 0 ] || {
		fail "the router's resolver did not ask the gateway over IPv6 ($TB_GW_WAN6)"
		return
	}
	[ "${b%% *}" = "$a" ] || {
		fail "the AAAA answer opened no pinhole for $a (bindings: $(gw_bindings || echo ?))"
		return
	}
	one_flow6 "$a" test203.gwa.demo "$a" || return
	pass "AAAA (asked over IPv6 by the resolver) opened a pinhole to 2001:db8:2::203 for one" \
		"flow; it reached test203 and closed it; a second flow was refused"
}

# 2. A unique local host: its AAAA is an address of the IPv6 pool, DNATed (NAT66) to it for
#    one flow that keeps the client's address; a second flow is refused.
s_ipv6_pool() {
	require || return 0
	settle || return
	local a b
	a=$(resolve6 ula.v6.gwa.demo)
	b=$(v6_binding "$a")
	note "dig @$TB_RESOLVER6 ula.v6.gwa.demo AAAA -> ${a:-nothing}; binding: ${b:-none}"
	[[ $a =~ ^2001:db8:1::14[0-9a-f]$ ]] || {
		fail "ula.v6.gwa.demo resolved to '${a:-nothing}', not an address of the IPv6 pool"
		return
	}
	[ "${b%% *}" = fd00:2::205 ] || {
		fail "$a is not bound to fd00:2::205: ${b:-no binding}"
		return
	}
	one_flow6 "$a" test205.gwa.demo fd00:2::205 || return
	pass "ula.v6.gwa.demo -> $a (IPv6 pool), NAT66 to fd00:2::205 for one flow, client" \
		"address kept; a second flow was refused"
}

# 3. HTTPS by SNI over IPv6: the AAAA of a proxy_required name is the IPv6 service address,
#    where the ALG routes the TLS connection by its SNI to the global host; TLS end to end.
s_ipv6_alg_https() {
	require || return 0
	settle || return
	local a out fp_seen fp_host log=$TB_STATE/nodes/gw/rgwd.log pos
	a=$(resolve6 www.gua.v6.gwa.demo)
	note "dig @$TB_RESOLVER6 www.gua.v6.gwa.demo AAAA -> ${a:-nothing}"
	[ "$a" = "$TB_GW_WAN6" ] || {
		fail "www.gua.v6.gwa.demo resolved to '${a:-nothing}', not the IPv6 service address"
		return
	}
	pos=$(stat -c %s "$log")
	# test203's own certificate names test203.gwa.demo: the name is checked below by its
	# fingerprint, not by curl
	out=$(tb_exec public timeout 10 curl -6 -sS -k --max-time 8 -w '%{remote_ip}' \
		https://www.gua.v6.gwa.demo/whoami </dev/null 2>&1 | tr '\n' ' ')
	note "curl -6 https://www.gua.v6.gwa.demo/whoami -> $out"
	[ "$out" = "test203.gwa.demo $TB_GW_WAN6" ] || {
		fail "HTTPS by SNI over IPv6 did not reach test203 through the ALG: $out"
		return
	}
	fp_seen=$(tb_sh public "openssl s_client -connect [$a]:443 -servername www.gua.v6.gwa.demo \
		</dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256" 2>/dev/null)
	fp_host=$(openssl x509 -in "$TB_STATE/pki/test203.gwa.demo.pem" -noout -fingerprint -sha256)
	note "certificate seen: ${fp_seen#*=}"
	if [ -z "$fp_seen" ] || [ "$fp_seen" != "$fp_host" ]; then
		fail "the client did not see test203's own certificate (TLS not end to end?)"
		return
	fi
	out=$(tail -c +"$((pos + 1))" "$log" | grep -o 'alg: client=\[2001:db8::100\]:[0-9]* .*' |
		head -n 1)
	note "rgwd: ${out:-no ALG line for the IPv6 client}"
	[ -n "$out" ] || {
		fail "rgwd logged no ALG connection from the IPv6 client"
		return
	}
	pass "www.gua.v6.gwa.demo -> the IPv6 service address; the ALG routed HTTPS by SNI to" \
		"[2001:db8:2::203]:443, the client saw test203's own certificate"
}

# 4. A dual-stack client reaches a dual-stack host: curl resolves A and AAAA through the
#    system resolver and, with happy eyeballs (its fallback to IPv4 after 3 s, so that a
#    loaded machine does not race the two), reaches test204 over IPv6 through the IPv6 pool.
s_ipv6_dual_stack() {
	require || return 0
	settle || return
	local out ip who acc
	# (port 8000: the ALG takes 80, 443, 8080 and 8443 of every address)
	out=$(tb_exec public timeout 12 curl -sS --max-time 10 --happy-eyeballs-timeout-ms 3000 \
		-w '%{remote_ip}' http://test204.gwa.demo:8000/whoami </dev/null 2>&1 | tr '\n' ' ')
	note "curl http://test204.gwa.demo:8000/whoami -> $out"
	who=${out% *}
	ip=${out##* }
	[ "$who" = test204.gwa.demo ] || {
		fail "the dual-stack client did not reach test204.gwa.demo: $out"
		return
	}
	[[ $ip =~ ^2001:db8:1::14[0-9a-f]$ ]] || {
		fail "curl reached test204 at '$ip', not over IPv6 through the IPv6 pool"
		return
	}
	acc=$(tail -n 1 "$TB_STATE/nodes/test204/nginx-access.log" 2>/dev/null)
	note "test204's nginx: $acc"
	[[ $acc == "2001:db8::100 "*"GET /whoami"* ]] || {
		fail "test204's nginx did not log the client's own IPv6 address: ${acc:-nothing}"
		return
	}
	pass "curl (happy eyeballs) reached the dual-stack test204.gwa.demo over IPv6 at $ip," \
		"NAT66 to fd00:2::204, the client's address kept"
}
