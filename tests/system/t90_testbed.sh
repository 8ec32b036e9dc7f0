#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t90_testbed -- the LXC testbed end to end: lxc-testbed/up, run-e2e (every scenario of
# issue 8), down (always, via the trap), then the narrated demo with --down. A testbed
# instance of its own (name rgwtb<pid>, state in its temp dir), so that it never meets a
# demo someone left running. Every scenario must pass: a scenario that could not run is a
# failure, and so is a run that reports fewer passes than there are scenarios. Step budgets
# (90+330+60+60+90 s) stay under the 600 s that tests/run-system allows.
. "$(dirname "$0")/lib.sh"
TB="$TOP/lxc-testbed"

export RGW_BUILD="$BUILD"
export RGWTB_NAME="rgwtb$(($$ % 100000))"
export RGWTB_STATE="$T/tb"
at_exit "timeout 150 '$TB/down'"

if ! command -v lxc-execute >/dev/null && ! command -v ip >/dev/null; then
	echo "t90: neither lxc nor iproute2: cannot build the testbed"
	fail "testbed tools missing"
	summary
fi

timeout 240 "$TB/up" >"$T/up.log" 2>&1
rc=$?
sed 's/^/  up: /' "$T/up.log"
check "lxc-testbed/up brings the testbed up" test "$rc" = 0

if [ "$rc" = 0 ]; then
	n_scen=$("$TB/run-e2e" --list | wc -l)
	timeout 600 "$TB/run-e2e" >"$T/e2e.log" 2>&1
	rc=$?
	cat "$T/e2e.log"
	tally "$T/e2e.log" e2e run-e2e "$rc" &&
		check "run-e2e: all $n_scen scenarios passed ($TALLY_P)" \
			test "$TALLY_P" = "$n_scen" -a "$rc" = 0
fi

RGWTB_KEEP_LOGS="$T/logs" timeout 150 "$TB/down" >"$T/down.log" 2>&1
rc=$?
sed 's/^/  down: /' "$T/down.log"
check "lxc-testbed/down removes everything" test "$rc" = 0
# rgwd (gw's, and the nested gateway's) ran through every scenario and a clean shutdown: with a
# SAN=1 build (RGW_BUILD=build-san) ASan, UBSan and LeakSanitizer report into its log.
for g in gw nest; do
	[ ! -f "$T/logs/$g/rgwd.log" ] || san_clean "$T/logs/$g/rgwd.log" $g
done
left=$(ip -o link show 2>/dev/null | grep -c "$RGWTB_NAME-" || true)
check "no link of the testbed is left" test "$left" = 0
timeout 150 "$TB/down" >/dev/null 2>&1
check "lxc-testbed/down is idempotent" test $? = 0

NO_COLOR=1 timeout 400 "$TB/demo" --down >"$T/demo.log" 2>&1
rc=$?
sed 's/^/  demo: /' "$T/demo.log"
check "lxc-testbed/demo --down runs from start to teardown" test "$rc" = 0
check "every demo step ran (no FAILED, no skipped step)" \
	bash -c "! grep -qiE 'FAILED|skipped' '$T/demo.log' && grep -q 'The binding expired' '$T/demo.log'"
left=$(ip -o link show 2>/dev/null | grep -c "$RGWTB_NAME-" || true)
check "nothing is left after the demo" test "$left" = 0

summary
