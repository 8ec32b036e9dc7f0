#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t91_testbed_ha -- the LXC testbed with an active/standby pair of gateways (docs/ha.md):
# lxc-testbed/up --ha (gw and gwb, each with rgwd, real keepalived and real conntrackd), the
# pair's scenarios (run-e2e --ha: an established stream through a pool address survives the
# loss of the active, a new name resolves and connects through the standby, failback), and
# down (always, via the trap). A testbed instance of its own (name rgwha<pid>, state in its
# temp dir). Every scenario must pass: one that could not run is a failure, and so is a run
# that reports fewer passes than there are scenarios. Step budgets (240+200+150 s) stay under
# the 600 s that tests/run-system allows.
. "$(dirname "$0")/lib.sh"
TB="$TOP/lxc-testbed"

export RGW_BUILD="$BUILD"
export RGWTB_NAME="rgwha$(($$ % 100000))"
export RGWTB_STATE="$T/tb"
at_exit "timeout 150 '$TB/down'"

for c in keepalived conntrackd; do
	command -v $c >/dev/null || fail "$c missing (make deps-demo installs it)"
done
[ "$FAILED" = 0 ] || summary

timeout 240 "$TB/up" --ha >"$T/up.log" 2>&1
rc=$?
sed 's/^/  up: /' "$T/up.log"
check "lxc-testbed/up --ha brings the pair up" test "$rc" = 0

if [ "$rc" = 0 ]; then
	n_scen=$("$TB/run-e2e" --ha --list | wc -l)
	timeout 200 "$TB/run-e2e" --ha >"$T/e2e.log" 2>&1
	rc=$?
	cat "$T/e2e.log"
	tally "$T/e2e.log" e2e "run-e2e --ha" "$rc" &&
		check "run-e2e --ha: all $n_scen scenarios passed ($TALLY_P)" \
			test "$TALLY_P" = "$n_scen" -a "$n_scen" -gt 0 -a "$rc" = 0
fi

RGWTB_KEEP_LOGS="$T/logs" timeout 150 "$TB/down" >"$T/down.log" 2>&1
rc=$?
sed 's/^/  down: /' "$T/down.log"
check "lxc-testbed/down removes the pair" test "$rc" = 0
# both rgwd of the pair ran through the failover, the failback and a clean shutdown: with a
# SAN=1 build (RGW_BUILD=build-san) ASan, UBSan and LeakSanitizer report into their logs.
for g in gw gwb; do
	if [ -f "$T/logs/$g/rgwd.log" ]; then
		san_clean "$T/logs/$g/rgwd.log" $g
	else
		fail "$g: rgwd's log was not kept"
	fi
done
left=$(ip -o link show 2>/dev/null | grep -c "$RGWTB_NAME-" || true)
check "no link of the testbed is left" test "$left" = 0

summary
