# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/nested.sh -- nested gateways (nodes of role "nested" in the topology): a
# second rgwd in gw's LAN, authoritative for the zone named by its FQDN, with its own pool
# (the addresses of its interface on gw's LAN after the first, the service address) and its
# own policy (lxc-testbed/policy/FQDN.json); and the host that marks it nested in gw's policy.

tb_nested_nodes() {
	local n
	for n in "${TB_NODES[@]}"; do
		[ "${TB_ROLE[$n]}" != nested ] || printf '%s\n' "$n"
	done
}

# tb_iface_addrs NODE SEGMENT -- the addresses (without length) of NODE on SEGMENT.
tb_iface_addrs() {
	local e nn seg addrs a
	for e in "${TB_IFACES[@]}"; do
		IFS='|' read -r nn _ seg addrs <<<"$e"
		[ "$nn" = "$1" ] && [ "$seg" = "$2" ] || continue
		for a in $addrs; do printf '%s\n' "${a%/*}"; done
	done
}

# The policy gw imports: $TB_BUNDLE, plus its IPv6 (TB_GW_V6; not for the HA pair), plus for
# each nested gateway a host with its FQDN, its service address and "nested" owning every
# address it has on gw's LAN. Its bindings live 5 s (the nested gateway's own for
# test.nest.gwa.demo too): a client behind a busy resolver, and a scenario that reads both
# gateways' bindings before its flow, must meet both. Then the bank's rows (lib/bank.sh).
# Prints the file's path.
tb_gw_bundle() {
	local d=$TB_STATE/nodes/gw n hosts='[]' addrs
	if [ ! -r "$TB_BUNDLE" ]; then
		printf '%s' "$TB_BUNDLE"
		return
	fi
	for n in $(tb_nested_nodes); do
		addrs=$(tb_iface_addrs "$n" lan | jq -R . | jq -sc .)
		hosts=$(jq -c --arg f "${TB_FQDN[$n]}" --argjson a "$addrs" '. + [{
			fqdn: $f, ipv4: $a[0], pool_limit: 10,
			comment: "a nested gateway: its own rgwd resolves the names below it",
			nested: {addresses: $a, binding_timeout_ms: 5000},
			firewall: [{direction: "ingress", action: "accept", priority: 100}]}]' <<<"$hosts")
	done
	# (the HA pair, up --ha, is IPv4 only)
	jq --argjson h "$hosts" '.hosts += $h | '"$([ -n "${TB_HA:-}" ] && echo . || echo "$TB_GW_V6")" \
		"$TB_BUNDLE" | tb_bank_bundle >"$d/bundle.json"
	printf '%s' "$d/bundle.json"
}

# gw's IPv6 (a jq filter on the policy; the scenarios of lib/scen_ipv6.sh): the IPv6 service
# address, the IPv6 pool (NAT66 to fd00:2::/64), the router's resolver by its IPv6 address too;
# in v6.gwa.demo (the router's resolver asks it over IPv6 only) a global host at test203's
# IPv6 address (pinholes) with an HTTPS name behind the ALG, and a host at test205's unique
# local address (the IPv6 pool); test204.gwa.demo dual-stack (its unique local address). The
# bindings of the v6.gwa.demo names live 5 s: the scenarios read them before their flow.
TB_GW_V6='.service_addresses += ["2001:db8:1::130"]
	| .pool += ["2001:db8:1::140-2001:db8:1::14f"]
	| (.resolver_groups[] | select(.name == "router") | .nodes) += ["2001:db8::1"]
	| (.hosts[] | select(.fqdn == "test204.gwa.demo") | .ipv6) = "fd00:2::204"
	| .hosts += [
		{fqdn: "gua.v6.gwa.demo", ipv6: "2001:db8:2::203", pool_limit: 100,
		 comment: "a global IPv6 host: pinholes",
		 services: [{fqdn: "gua.v6.gwa.demo", binding_timeout_ms: 5000},
			{fqdn: "www.gua.v6.gwa.demo", proxy_required: true}]},
		{fqdn: "ula.v6.gwa.demo", ipv6: "fd00:2::205", pool_limit: 100,
		 comment: "a unique local IPv6 host: the IPv6 pool",
		 services: [{fqdn: "ula.v6.gwa.demo", binding_timeout_ms: 5000}]}]
	| .alg_routes += [{hostname: "www.gua.v6.gwa.demo", port: 443,
		backend: "[2001:db8:2::203]:443", preserve: "none"}]'

# rgw.conf of a nested gateway: DNS on its service address (WAN, gw's LAN) and on its own LAN,
# gw's LAN forwarder as its upstream, no IDS.
tb_nested_conf() {
	tb_rgwd_conf "$1" "$(tb_iface_addrs "$1" lan | head -n 1)" \
		"$(tb_iface_addrs "$1" nlan | head -n 1)" "$TB_GW_LAN" "${TB_NAME}n"
}

# Start the rgwd of every nested gateway; one status line each.
tb_nested_start_all() {
	local n d
	for n in $(tb_nested_nodes); do
		d=$TB_STATE/nodes/$n
		if [ ! -x "$TB_RGWD" ]; then
			echo "rgwd not built: nested gateway $n is up without it"
			continue
		fi
		mkdir -p "$d"
		tb_nested_conf "$n" >"$d/rgw.conf"
		if tb_rgwd_prepare "$n" "$TB_DIR/policy/${TB_FQDN[$n]}.json" &&
			tb_rgwd_start "$n" "$(tb_iface_addrs "$n" lan | head -n 1)" "${TB_FQDN[$n]}"; then
			echo "rgwd running on $n, nested gateway ${TB_FQDN[$n]} (log: $d/rgwd.log)"
		else
			echo "rgwd did NOT start on $n (log: $d/rgwd.log)"
		fi
	done
}

# Stop them cleanly (each removes its nftables table).
tb_nested_stop_all() {
	local n
	for n in $(tb_nested_nodes); do
		[ -d "$TB_STATE/nodes/$n" ] && tb_daemon_alive "$n" rgwd 2>/dev/null || continue
		RGWTB_CMD_TIMEOUT=15 tb_daemon_kill "$n" rgwd TERM || tb_daemon_kill "$n" rgwd KILL || true
	done
}
