# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/bank.sh -- the bank, a tenant of gw: the node named "bank" in the topology
# (a private host, bank.gwa.demo, whose nginx has a certificate for *.bank.gwa.demo too) and
# its rows in gw's policy: the host, its web service www.bank.gwa.demo (through the ALG, by
# SNI and Host) and the ALG routes to its nginx. The tenant itself (its domain, realm, quotas
# and tokens) lives beside the policy, in gw's store: the scenarios define it through the API
# (lib/scen_bank.sh).

TB_BANK_FQDN=bank.gwa.demo

# The bank's node (its FQDN is TB_BANK_FQDN), or nothing when the topology has none.
tb_bank_node() {
	local n
	for n in "${TB_NODES[@]}"; do
		[ "${TB_FQDN[$n]:-}" != "$TB_BANK_FQDN" ] || printf '%s\n' "$n"
	done
}

# tb_bank_bundle -- filter a bundle (stdin to stdout): add the bank's host and ALG routes when
# the topology has the bank's node.
tb_bank_bundle() {
	local n a
	n=$(tb_bank_node)
	if [ -z "$n" ]; then
		cat
		return
	fi
	a=$(tb_iface_addrs "$n" lan | head -n 1)
	jq --arg f "$TB_BANK_FQDN" --arg a "$a" '
		.hosts += [{fqdn: $f, ipv4: $a, pool_limit: 10,
			comment: "the bank: a tenant of the gateway (its web server)",
			services: [{fqdn: ("www." + $f), proxy_required: true}],
			firewall: [{direction: "ingress", action: "accept", priority: 100}]}]
		| .alg_routes += [{hostname: ("www." + $f), port: 80, backend: ($a + ":80"),
				preserve: "none"},
			{hostname: ("www." + $f), port: 443, backend: ($a + ":443"), preserve: "none"}]'
}
