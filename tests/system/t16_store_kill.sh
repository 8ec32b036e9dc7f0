#!/usr/bin/env bash
# t16_store_kill -- SIGKILL in the middle of 5,000-host policy replaces never leaves the store
# half-written: build/tests/sys/store_kill (cmocka) forks a child that replaces the policy in a
# loop, kills it at random moments (at least 4 rounds, more within 120 s), and checks
# PRAGMA integrity_check and that the policy is exactly bundle A or bundle B each time.
. "$(dirname "$0")/lib.sh"
KILL="$TOP/$BUILD/tests/sys/store_kill"
[ -x "$KILL" ] || { fail "missing $KILL (make $BUILD/tests/sys/store_kill)"; summary; }

CMOCKA_MESSAGE_OUTPUT=stdout timeout 300 "$KILL" >"$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "store_kill exits 0 (every cmocka test passed)" test "$rc" = 0
check "cmocka ran and passed its test" grep -q '^\[  PASSED  \] 1 test' "$T/out"
rounds=$(sed -n 's/^kill: \([0-9]*\) rounds.*/\1/p' "$T/out")
check "at least 4 kill rounds (${rounds:-none})" test "${rounds:-0}" -ge 4
summary
