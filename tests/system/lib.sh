# tests/system/lib.sh -- helpers for system test scripts (sourced).
# Provides: TOP, BUILD, RGWD, a temp dir $T removed on exit, check/ok/fail counters,
# summary (prints "N passed, N failed" and exits non-zero on failure), free_port.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${RGW_BUILD:-build}
RGWD="$TOP/$BUILD/rgwd"
T=$(mktemp -d /tmp/rgwtest.XXXXXX)
PASSED=0
FAILED=0
_cleanups=()

at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	rm -rf "$T"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
# check "description" command...: ok when the command succeeds
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}
summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
	exit $?
}
# A free TCP+UDP port on 127.0.0.1 (best effort).
free_port() {
	python3 - <<'PY'
import socket
for _ in range(50):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); u.close(); s.close(); print(p); break
    except OSError:
        s.close()
PY
}
# wait_for "pattern" file [seconds]
wait_for() {
	local i
	for ((i = 0; i < ${3:-5} * 10; i++)); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
