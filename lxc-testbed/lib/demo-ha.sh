# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # failures and ok are the demo's
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/demo-ha.sh -- what `lxc-testbed/demo --ha` narrates once the pair is up
# (sourced by demo, whose step, say, show, good, bad, why_missing and failures it uses).

cat <<'EOF'

                                   gateway WAN 100.64.1.0/24
  [public]-----[router]--------------+---------------------------+
  100.64.0.100  100.64.0.1 unbound   |  100.64.1.2               |  100.64.1.3
                                   [gw] ====== sync link ====== [gwb]
                                     |  10.77.0.1      10.77.0.2 |
                                     |  192.168.0.2              |  192.168.0.3
         LAN 192.168.0.0/24 ---------+---------------------------+--------------
         [test .100]  [test200..test209]  ...

  Virtual addresses (keepalived, VRRP, one sync group), held by the active only:
  100.64.1.130 (service address), 100.64.1.131-142 (circular pool), 192.168.0.1 (LAN gateway).
  conntrackd replicates the flows over the sync link; rgwd's policy channel runs over it too.
EOF

step "1. The pair: gw is the active, gwb its standby"
why=$(why_missing)
if [ -n "$why" ]; then
	bad "$why"
else
	for n in gw gwb; do
		printf '%s%s$ ip -4 -br addr show dev wan0; curl .../api/v1/ha%s\n' "$D" "$n" "$N"
		tb_exec "$n" ip -4 -br addr show dev wan0 </dev/null | fold -s -w 92 | sed 's/^/    /'
		tb_ha_api "$n" /api/v1/ha | jq -c '{role, digest: (.digest | gsub("\""; ""))[0:16]}' 2>/dev/null |
			sed 's/^/    /'
	done
	if tb_ha_is gw active && tb_ha_is gwb standby; then
		good "gw holds the addresses and takes policy writes; gwb serves nothing yet, with the"
		good "same policy (the same digest) and every established flow in its kernel table."
	else
		bad "the pair is not gw active, gwb standby"
	fi
fi

step "2. Failover: a long TCP stream while gw's cables are pulled"
say "The public client resolves test.gwa.demo through unbound and streams from the private host"
say "through the pool address it got. Then gw loses every cable (WAN, LAN, sync) at once:"
say "gwb misses three VRRP advertisements, takes the addresses, and its notify hook makes its"
say "rgwd the active. The stream must go on (no reset, no line lost) and a new name must"
say "resolve and connect through gwb. Then gw comes back and takes the addresses back."
mkdir -p "$TB_STATE/e2e"
E2E_RESULTS=$TB_STATE/e2e/results
: >"$E2E_RESULTS"
E2E_CUR=ha_failover s_ha_failover
if grep -q '^PASS ' "$E2E_RESULTS"; then
	good "The stream survived the loss of the active gateway, and new names went through the"
	good "standby: the flow state was in gwb's kernel table (conntrackd) before it was needed."
else
	bad "the failover scenario did not pass (see above)"
fi

step "Explore"
ex() { printf '  %-38s %s\n' "$1" "$2"; }
ex "lxc-testbed/shell gw (or gwb)" "a shell on a gateway node"
ex "    conntrack -L" "the flows (gwb has gw's too)"
ex "    curl $TB_API_URL/api/v1/ha" "the role and policy digest (token: $TB_STATE/nodes/NODE/api-token)"
ex "lxc-testbed/run-e2e --ha" "the failover scenario again"
say "Logs: $TB_STATE/nodes/gw*/ (rgwd.log, keepalived.log, ctd.log, ha-transitions.log)"
say "Tear down with:"
say "  lxc-testbed/down"
ok=1
if [ "$failures" != 0 ]; then
	say ""
	say "${R}demo: $failures step(s) failed$N"
	ok=
	exit 1
fi
