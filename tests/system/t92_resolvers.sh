#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t92_resolvers -- the resolver matrix on the LXC testbed: behind unbound, BIND, Knot Resolver
# and PowerDNS Recursor, each in the configuration Debian installs (gwa.demo and cname-gwa.demo
# sent to the gateway, nothing else changed), 100 resolutions from 5 clients at random moments,
# each followed by a connection; then an SRV target, flows to addresses nobody resolved and a
# stranger inside a cache window (lxc-testbed/run-matrix). Per resolver: >= 99 % connected, no
# flow to an unresolved address admitted, strangers within the binding's budget and counted,
# reputation at or above its prior. A testbed instance of its own (rgwm<pid>); the matrix is
# printed. Step budgets (150 + 400 + 40 s) stay under the 600 s of tests/run-system.
. "$(dirname "$0")/lib.sh"
TB="$TOP/lxc-testbed"

export RGW_BUILD="$BUILD"
export RGWTB_NAME="rgwm$(($$ % 100000))"
export RGWTB_STATE="$T/tb"
at_exit "timeout 120 '$TB/down'"

for c in named kresd pdns_recursor unbound; do
	command -v "$c" >/dev/null || {
		fail "$c is missing (make deps-demo installs bind9, knot-resolver, pdns-recursor)"
		summary
	}
done

timeout 150 "$TB/up" >"$T/up.log" 2>&1
rc=$?
sed 's/^/  up: /' "$T/up.log"
check "lxc-testbed/up brings the testbed up with the resolver nodes" test "$rc" = 0

if [ "$rc" = 0 ]; then
	timeout 400 "$TB/run-matrix" >"$T/matrix.log" 2>&1
	rc=$?
	cat "$T/matrix.log"
	tally "$T/matrix.log" matrix run-matrix "$rc" &&
		check "every resolver of the matrix ran" test "$((TALLY_P + TALLY_F))" = 4
fi

RGWTB_KEEP_LOGS="$T/logs" timeout 40 "$TB/down" >"$T/down.log" 2>&1
check "lxc-testbed/down removes everything" test $? = 0
[ ! -f "$T/logs/gw/rgwd.log" ] || san_clean "$T/logs/gw/rgwd.log" gw
left=$(ip -o link show 2>/dev/null | grep -c "$RGWTB_NAME-" || true)
check "no link of the testbed is left" test "$left" = 0

summary
