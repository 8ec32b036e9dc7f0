# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/ha.sh -- the active/standby pair of `up --ha` (docs/ha.md, docs/testbed.md):
# gw and gwb, each with rgwd in [ha] mode, real conntrackd (FTFW on the sync link) and real
# keepalived (VRRP; the service address, the circular pool and the LAN gateway address
# 192.168.0.1 are its virtual addresses), configured from the package's examples by
# tools/ha/pair-conf.sh, with the notify and check hooks from tools/ha. And the scenario
# ha_failover (run-e2e --ha, demo --ha). Sourced by up, run-e2e and demo; defines functions and
# variables only.

# shellcheck source=../../tools/ha/pair-conf.sh
. "$RGW_ROOT/tools/ha/pair-conf.sh"

TB_HA_WAN_VIPS="$TB_GW_WAN/32 $(addr_range 100.64.1. 131 142 32)"
TB_HA_LAN_VIPS=$TB_GW_LAN/24
TB_HA_NODES=(gw gwb)
# The scenarios of the pair (run-e2e --ha), in the order they run.
# shellcheck disable=SC2034 # read by run-e2e
E2E_HA_SCENARIOS=(ha_failover ha_flows)

# The last octet of NODE's own WAN and LAN addresses (gw .2, gwb .3), and its peer.
tb_ha_octet() { [ "$1" = gw ] && echo 2 || echo 3; }
tb_ha_peer() { [ "$1" = gw ] && echo gwb || echo gw; }

# The [ha] section of NODE's rgw.conf (appended by tb_rgw_conf): the policy channel on the
# sync link, both nodes starting as the standby (keepalived's notify hook sets the role). The
# pair's APIs are plain HTTP on loopback, so the channel has no certificate for TLS: it runs
# plain on the testbed's own sync link, said explicitly (rgwd warns at start);
# tests/system/t80b_ha_tls.sh and the pair of t81/t82 run it over TLS.
tb_ha_rgw_conf() {
	local o
	o=$(tb_ha_octet "$1")
	cat <<EOF

[ha]
enable = yes
role = standby
listen = 10.77.0.$((o - 1)):7440
peer = 10.77.0.$((o == 2 ? 2 : 1)):7440
secret_file = $TB_STATE/ha-secret
retry = 300
tls = off
EOF
}

# NODE's hook configuration, keepalived.conf and conntrackd.conf (in its state directory).
tb_ha_files() {
	local n=$1 d=$TB_STATE/nodes/$1 o p prio ex=$RGW_ROOT/docs/examples/ha
	o=$(tb_ha_octet "$n")
	p=$(tb_ha_octet "$(tb_ha_peer "$n")")
	prio=$([ "$n" = gw ] && echo 150 || echo 100)
	cat >"$d/ha-notify.conf" <<EOF
RGW_API=$TB_API_URL
RGW_TOKEN_FILE=$d/api-token
CONNTRACKD_CONF=$d/conntrackd.conf
RGW_HA_LOG=$d/ha-transitions.log
EOF
	# RGWTB_HA_ADVERT: keepalived's advertisement interval (default the example's)
	ha_keepalived_conf "$ex/keepalived.conf" "rgw-$n" "$prio" "100.64.1.$o" "100.64.1.$p" \
		"$TB_HA_WAN_VIPS" "192.168.0.$o" "192.168.0.$p" "$TB_HA_LAN_VIPS" "$RGW_ROOT/tools/ha" \
		"$d/ha-notify.conf" ${RGWTB_HA_ADVERT:+"$RGWTB_HA_ADVERT"} >"$d/keepalived.conf"
	ha_conntrackd_conf "$ex/conntrackd.conf" "10.77.0.$((o - 1))" "10.77.0.$((p - 1))" \
		"$d/ctd" "10.77.0.1 10.77.0.2 100.64.1.2 100.64.1.3 192.168.0.2 192.168.0.3" \
		>"$d/conntrackd.conf"
}

# tb_ha_api NODE PATH -- GET from NODE's rgwd with its token; prints the body.
tb_ha_api() {
	tb_exec "$1" timeout 10 curl -s -m 5 \
		-H "Authorization: Bearer $(cat "$TB_STATE/nodes/$1/api-token" 2>/dev/null)" \
		"$TB_API_URL$2" </dev/null 2>/dev/null
}
tb_ha_role() { tb_ha_api "$1" /api/v1/ha | jq -r '.role // empty' 2>/dev/null; }
tb_ha_is() { [ "$(tb_ha_role "$1")" = "$2" ]; }
tb_ha_digest() { tb_ha_api "$1" /api/v1/ha | jq -r '.digest // empty' 2>/dev/null; }
tb_ha_in_sync() {
	local a b
	a=$(tb_ha_digest gw)
	b=$(tb_ha_digest gwb)
	[ -n "$a" ] && [ "$a" = "$b" ]
}
tb_ha_has_vip() { tb_exec "$1" ip -4 addr show dev wan0 </dev/null 2>/dev/null | grep -q " $TB_GW_WAN/"; }
tb_ha_rgwd_ready() {
	tb_daemon_alive "$1" rgwd &&
		grep -q 'rgwd: ready' "$TB_STATE/nodes/$1/rgwd.log" 2>/dev/null &&
		tb_exec "$1" curl -s -o /dev/null --max-time 1 "$TB_API_URL/api/v1/status" </dev/null
}
tb_ha_keepalived() {
	local d=$TB_STATE/nodes/$1
	tb_daemon "$1" keepalived keepalived -n -l -D -P -f "$d/keepalived.conf" \
		-p "$d/keepalived-main.pid" -r "$d/keepalived-vrrp.pid"
}

# Start the pair: conntrackd and rgwd on both, then keepalived on gw (it becomes the active and
# takes the addresses), then on gwb (it joins as the standby and takes gw's policy over the
# channel). Returns non-zero, saying why, when a step does not happen in time.
tb_ha_start() {
	local n d
	for n in keepalived conntrackd; do
		command -v $n >/dev/null || tb_die "missing command: $n (run: make deps-demo)"
	done
	head -c 32 /dev/urandom | base64 >"$TB_STATE/ha-secret"
	chmod 600 "$TB_STATE/ha-secret"
	for n in "${TB_HA_NODES[@]}"; do
		d=$TB_STATE/nodes/$n
		tb_gw_prepare "$n" || return 1
		tb_ha_files "$n"
		tb_daemon "$n" conntrackd conntrackd -C "$d/conntrackd.conf"
		tb_daemon "$n" rgwd "$TB_RGWD" --config "$d/rgw.conf"
	done
	for n in "${TB_HA_NODES[@]}"; do
		tb_wait 20 tb_ha_rgwd_ready "$n" || {
			tb_log "$n: rgwd is not serving; last lines of $TB_STATE/nodes/$n/rgwd.log:"
			tail -n 20 "$TB_STATE/nodes/$n/rgwd.log" >&2 2>/dev/null || true
			return 1
		}
	done
	tb_ha_keepalived gw
	tb_wait 20 tb_ha_is gw active || {
		tb_log "gw: keepalived did not make rgwd the active (see $TB_STATE/nodes/gw/)"
		return 1
	}
	tb_wait 10 tb_ha_has_vip gw || {
		tb_log "gw: keepalived did not add $TB_GW_WAN"
		return 1
	}
	tb_ha_keepalived gwb
	tb_wait 20 grep -q "BACKUP: rgwd is now standby" "$TB_STATE/nodes/gwb/ha-transitions.log" || {
		tb_log "gwb: keepalived did not make rgwd the standby (see $TB_STATE/nodes/gwb/)"
		return 1
	}
	tb_wait 20 tb_ha_in_sync || {
		tb_log "gwb: the standby did not take gw's policy over the channel"
		return 1
	}
	tb_wait 15 tb_rgwd_ready gw "$TB_GW_WAN" gwa.demo 0 || {
		tb_log "gw: rgwd does not answer on $TB_GW_WAN"
		return 1
	}
	tb_daemon_alive gw suricata || tb_suricata_start
}

# tb_ha_cable NODE up|down -- plug or pull every cable of NODE (the host ends of its veths):
# to the others the node is gone, as if it lost power; its processes keep their state.
tb_ha_cable() {
	local e nn k=0
	for e in "${TB_IFACES[@]}"; do
		IFS='|' read -r nn _ _ _ <<<"$e"
		[ "$nn" = "$1" ] || continue
		ip link set dev "$(tb_veth "$1" "$(tb_letter "$k")")" "$2"
		k=$((k + 1))
	done
}

now_ms() { date +%s%3N; }

# One attempt at a new flow: test201.gwa.demo resolved through the router's unbound, and a TCP
# connection to the address it gave answered by the host's echo server. On success the time
# is written to FILE.
tb_ha_new_flow() {
	local a out
	a=$(tb_exec public timeout 3 dig "@$TB_RESOLVER" +tries=1 +time=1 +short test201.gwa.demo A \
		</dev/null 2>/dev/null | tail -n 1)
	in_pool "$a" || return 1
	out=$(tb_exec public timeout 4 "$TB_PY" "$TB_DIR/lib/probe.py" --timeout 2 --send hello \
		"$a:2000" </dev/null 2>&1)
	[[ $out == *" open test201.gwa.demo 2000/tcp hello" ]] || return 1
	printf '%s %s\n' "$(now_ms)" "$a" >"$1"
}

# The steps of ha_failover between the cut and the cable plugged back (run-e2e's helpers).
ha_failover_steps() {
	local e=$1 ip out t0 i first
	ip=$(resolve test.gwa.demo)
	in_pool "$ip" || {
		fail "test.gwa.demo resolved to '${ip:-nothing}', not a pool address"
		return
	}
	note "the public client resolved test.gwa.demo through the router's unbound: $ip"
	tb_exec public env HA_IDLE=10 timeout 60 "$TB_PY" "$RGW_ROOT/tests/system/ha_stream.py" \
		fetch "$ip" 5000 12 "$e/ready" </dev/null >"$e/stream" 2>&1 &
	local sp=$!
	tb_wait 10 test -e "$e/ready" || {
		fail "the stream from 192.168.0.100:5000 through $ip did not start: $(cat "$e/stream")"
		return
	}
	note "a stream (a numbered line every 10 ms for 12 s) runs from test:5000 through $ip"
	# shellcheck disable=SC2317 # called through tb_wait
	replicated() { tb_exec gwb conntrack -L -d "$ip" </dev/null 2>/dev/null | grep -q 192.168.0.100; }
	tb_wait 10 replicated || {
		fail "conntrackd did not replicate the stream's flow into gwb's kernel table"
		return
	}
	note "conntrackd replicated its flow (DNAT to 192.168.0.100) into gwb's kernel table"
	t0=$(now_ms)
	HA_CUT=1
	tb_ha_cable gw down
	note "gw's cables are pulled (WAN, LAN and sync): gw is gone"
	(
		for ((i = 0; i < 150; i++)); do
			tb_ha_new_flow "$e/newc.$i" &
			sleep 0.2
			ls "$e"/newc.* >/dev/null 2>&1 && break
		done
		wait
	) &
	local np=$!
	tb_wait 15 tb_ha_has_vip gwb || {
		fail "gwb did not take the addresses within 15 s of the cut"
		return
	}
	tb_wait 10 tb_ha_is gwb active || {
		fail "gwb's rgwd did not become the active (role: $(tb_ha_role gwb))"
		return
	}
	# when, from the notify hook's record (ms clock; keepalived runs it once the addresses
	# are on gwb's interfaces)
	# shellcheck disable=SC2317 # called below
	hook_ms() {
		awk -v t0="$t0" -v pat="$1" '$1 >= t0 && index($0, pat) { print $1 - t0; exit }' \
			"$TB_STATE/nodes/gwb/ha-transitions.log"
	}
	note "gwb's notify hook ran (the addresses are on gwb) $(hook_ms 'MASTER: conntrackd -c') ms after the cut; its rgwd was the active at $(hook_ms 'MASTER: rgwd is now active') ms"
	wait "$np"
	first=$(cat "$e"/newc.* 2>/dev/null | sort -n | head -n 1)
	[ -n "$first" ] || {
		fail "no new name resolved and connected within 30 s of the cut"
		return
	}
	HA_NEWC=$((${first%% *} - t0))
	note "a new name (test201.gwa.demo -> ${first#* }) resolved and connected through gwb $HA_NEWC ms after the cut"
	wait "$sp"
	out=$(cat "$e/stream")
	note "the stream: $out"
	# it ran across the cut, and ended at the server's EOF with every line, in order
	jq -e ".end_ms > $t0 and .end == \"eof\" and .missing == 0 and .lines == .total" \
		<<<"$out" >/dev/null 2>&1 || {
		fail "the stream through $ip did not survive the failover intact: $out"
		return
	}
	HA_GAP=$(jq -r .max_gap_ms <<<"$out")
	HA_OK=1
}

# tb_ha_ready -- FAIL (and return 1) unless the testbed is the pair in its starting state (gw the
# active holding the addresses, gwb its standby, rgwd serving); then the resolver forgets.
tb_ha_ready() {
	if [ -z "$TB_HA" ]; then
		fail "the testbed is not up as a pair (lxc-testbed/up --ha)"
		return 1
	fi
	require || return 1
	if ! tb_ha_is gw active || ! tb_ha_is gwb standby || ! tb_ha_has_vip gw; then
		fail "the pair is not in its starting state (gw $(tb_ha_role gw), gwb $(tb_ha_role gwb))"
		return 1
	fi
	settle any
}

# ha_failover: an established TCP stream through a pool address survives the loss of the active
# gateway, and new names resolve and connect through the standby; then gw comes back and takes
# the addresses back (failback). Timings printed.
s_ha_failover() {
	local e=$TB_STATE/e2e/ha t1
	tb_ha_ready || return 0
	rm -rf "$e"
	mkdir -p "$e"
	tb_daemon_kill test hastream KILL
	tb_daemon test hastream "$TB_PY" "$RGW_ROOT/tests/system/ha_stream.py" serve 192.168.0.100 \
		5000 12
	# shellcheck disable=SC2317 # called through tb_wait
	listening() { tb_exec test ss -Hltn 'sport = :5000' </dev/null | grep -q .; }
	tb_wait 10 listening || {
		fail "the stream server on test does not listen"
		return
	}
	HA_OK='' HA_GAP='' HA_NEWC='' HA_CUT=
	ha_failover_steps "$e"
	[ -n "$HA_CUT" ] || return
	# failback, whatever happened after the cut: gw's cables back, it takes the addresses
	# back (higher priority)
	tb_ha_cable gw up
	t1=$(now_ms)
	if ! tb_wait 30 tb_ha_is gw active || ! tb_wait 10 tb_ha_has_vip gw ||
		! tb_wait 20 tb_ha_is gwb standby || ! tb_wait 20 tb_ha_in_sync; then
		[ -z "$HA_OK" ] || fail "failback: gw $(tb_ha_role gw), gwb $(tb_ha_role gwb) 30 s after gw came back"
		return
	fi
	note "failback: gw is the active again and gwb its standby in sync $(($(now_ms) - t1)) ms after gw's cables came back"
	[ -n "$HA_OK" ] || return
	pass "the stream survived the failover with a longest silence of $HA_GAP ms; a new name connected through gwb $HA_NEWC ms after the cut"
}

# tb_ha_patch_admission JSON -- PATCH the admission on the active (it follows to the standby);
# 0 when it answered 200 and the standby holds the same policy again.
tb_ha_patch_admission() {
	local a out
	a=$(tb_ha_is gwb active && echo gwb || echo gw)
	out=$(TB_API_NODE=$a tb_api PATCH /api/v1/admission "$1" 2>/dev/null)
	[ "${out##*HTTP }" = 200 ] && tb_wait 10 tb_ha_in_sync
}

# ha_flows: scenario 6 of the pair, no loss under load. tests/system/flowgen on public opens
# flows at 1,000 per second for 12 s on an open schedule (each its own resolution, asked of
# the gateway directly from 100.64.0.100, the trusted resolver group's address, and its own
# pool binding; at most 10 between their query and their connection, under the 12 pool
# addresses, except while the gateway answers nothing); each flow talks to an echo server on
# test for 3 s (a byte every 500 ms). 3 s into it gw's cables are pulled;
# then they come back. The admission is set to answer UDP without TC and without the one-time
# alias (the generator is a stub client, not a resolver that retries over TCP and follows
# CNAMEs) and restored afterwards.
s_ha_flows() {
	local e=$TB_STATE/e2e/haflows t0 r gen verdict took
	[ -x "$RGW_BUILD/tests/sys/flowgen" ] || {
		fail "$RGW_BUILD/tests/sys/flowgen is not built (make $RGW_BUILD/tests/sys/flowgen)"
		return
	}
	tb_ha_ready || return 0
	rm -rf "$e"
	mkdir -p "$e"
	tb_daemon_kill test haflows KILL
	tb_daemon test haflows "$RGW_BUILD/tests/sys/flowgen" serve 192.168.0.100 5001
	# shellcheck disable=SC2317 # called through tb_wait
	listening() { tb_exec test ss -Hltn 'sport = :5001' </dev/null | grep -q .; }
	tb_wait 10 listening || {
		fail "the echo server on test does not listen"
		return
	}
	tb_ha_patch_admission '{"dns_tcp": false, "dns_cname": false}' || {
		fail "the admission for a stub client (no TC, no alias) did not reach both nodes"
		return
	}
	tb_exec public sysctl -qw net.ipv4.ip_local_port_range="10000 65000" </dev/null
	tb_exec public timeout 90 "$RGW_BUILD/tests/sys/flowgen" run -b 100.64.0.100 -p 10 -t 500 \
		-m 3 "$e/mark" "$TB_GW_WAN" test.gwa.demo 5001 1000 12 3 "$e/flows" \
		</dev/null >"$e/gen.json" 2>&1 &
	local gp=$!
	tb_wait 20 test -e "$e/mark" || {
		fail "the generator did not run for 3 s: $(cat "$e/gen.json")"
		wait "$gp"
		tb_ha_patch_admission '{"dns_tcp": true, "dns_cname": true}'
		return
	}
	tb_ha_cable gw down
	# the cut's time once the cables are down: a flow started before that may go through gw
	t0=$(now_ms)
	note "gw's cables are pulled 3 s into the flows"
	took=1
	tb_wait 15 tb_ha_has_vip gwb && tb_wait 10 tb_ha_is gwb active ||
		took="gwb did not take the addresses and become the active (role: $(tb_ha_role gwb))"
	wait "$gp"
	gen=$(cat "$e/gen.json")
	tb_ha_cable gw up
	note "the generator: $gen"
	r=$("$TB_PY" "$RGW_ROOT/tests/system/ha_flows.py" report "$e/flows" "$t0" 1000 6000 2>&1)
	# shellcheck disable=SC2317 # called below
	q() { jq -r "$1" <<<"$r" 2>/dev/null; }
	note "asked 1000 flows/s, reached $(jq -r .rate <<<"$gen" 2>/dev/null) (started $(q .start_rate.before_cut)/s before the cut, $(q .start_rate.in_gap)/s in the gap, $(q .start_rate.after_gap)/s after it; behind its schedule by $(q '.late_ms_max | [.before_cut, .in_gap, .after_gap] | join("/")') ms at most; held by pending bindings $(jq -r .held_ms <<<"$gen" 2>/dev/null) ms; answers took $(q '.dns_ms_p50_p99 | join("/")') ms p50/p99, connections $(q '.connect_ms_p50_p99 | join("/")') ms); open at the cut $(q .open_at_cut) (for 1 s: $(q .settled_at_cut)), survived $(q .open_at_cut_survived), their longest silence $(q .open_at_cut_gap_ms_p50) ms (median), $(q .open_at_cut_gap_ms_max) ms (max); new flows refused from $(q .first_failed_start_after_cut_ms) to $(q .last_failed_start_after_cut_ms) ms after the cut ($(q '.after_cut_failed | tostring')), through again from $(q .first_ok_start_after_gap_ms) ms; then $(q .failed_after_gap) of $(q .started_after_gap) failed"
	if ! tb_wait 30 tb_ha_is gw active || ! tb_wait 20 tb_ha_is gwb standby ||
		! tb_wait 20 tb_ha_in_sync; then
		fail "failback: gw $(tb_ha_role gw), gwb $(tb_ha_role gwb) 30 s after gw came back"
		tb_ha_patch_admission '{"dns_tcp": true, "dns_cname": true}'
		return
	fi
	tb_ha_patch_admission '{"dns_tcp": true, "dns_cname": true}' ||
		note "the admission was not restored on both nodes"
	if [ "$took" != 1 ]; then
		fail "$took"
		return
	fi
	# and the gap, where the resolutions go unanswered, did not stall the open schedule: the
	# pace in it is at least half the pace before the cut (a gap under 250 ms has too few flows
	# to tell)
	verdict=$(q '(.settled_at_cut > 0) and (.settled_at_cut_survived == .settled_at_cut) and
		(.first_ok_start_after_gap_ms != null) and (.started_after_gap > 0) and
		(.failed_after_gap <= (.started_after_gap / 100 | floor)) and
		(.first_ok_start_after_gap_ms < 250 or
		 (.start_rate.in_gap // 0) * 2 >= (.start_rate.before_cut // 1))')
	if [ "$verdict" != true ]; then
		fail "flows lost across the failover, or the gap stalled the schedule: $r"
		return
	fi
	pass "all $(q .settled_at_cut_survived) flows open for 1 s at the cut survived; new flows went through gwb $(q .first_ok_start_after_gap_ms) ms after the cut, $(q .failed_after_gap) of $(q .started_after_gap) failed after that"
}
