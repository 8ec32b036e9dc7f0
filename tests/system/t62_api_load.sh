#!/usr/bin/env bash
# t62_api_load -- 10,000 requests from 50 parallel clients (reads and writes) against rgwd
# built with AddressSanitizer/LeakSanitizer: no error answer, no sanitizer report, no leak
# at exit. Loopback only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

CLIENTS=${CLIENTS:-50}
PER=${PER:-200}

# The sanitizer build of the daemon (the library is already built by `make SAN=1 check`).
if ! make -s -C "$TOP" SAN=1 build-san/rgwd > "$T/make.log" 2>&1; then
	cat "$T/make.log"
	fail "building rgwd with SAN=1"
	summary
fi
RGWD_BIN="$TOP/build-san/rgwd"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86:log_path=$T/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$T/ubsan"
START_WAIT=30 STOP_WAIT=60 api_start "rate = 100000
rate_burst = 100000
max_connections_per_source = 64"
check "sanitizer build of rgwd starts" kill -0 "$PID"
api PUT /api/v1/bundle "$(cat "$BUNDLE")"
expect 200 "demo bundle imported"

t0=$(date +%s.%N)
timeout 400 python3 "$(dirname "$0")/api_load.py" "$URL" "$TOK" "$CLIENTS" "$PER" > "$T/load.out" 2>&1
rc=$?
t1=$(date +%s.%N)
cat "$T/load.out"
check "$((CLIENTS * PER)) requests from $CLIENTS clients, no error answer" test "$rc" = 0
n=$(sed -n 's/^requests \([0-9]*\) errors 0$/\1/p' "$T/load.out")
check "... at least $((CLIENTS * PER)) of them" test "${n:-0}" -ge $((CLIENTS * PER))
echo "elapsed $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
check "the daemon is still serving" kill -0 "$PID"
api GET /api/v1/status
jqtest '.api.requests >= 10000' "status counted the requests"
api GET /api/v1/hosts
jqtest '[.items[].fqdn | select(startswith("load"))] | length == 0' "every load host was deleted again"

api_stop
check "clean exit under ASan/LSan (status 0, no leak)" test "$RC" = 0
if ls "$T"/asan.* "$T"/ubsan.* > /dev/null 2>&1; then
	head -n 40 "$T"/asan.* "$T"/ubsan.* 2>/dev/null
	fail "sanitizer reports"
else
	ok "no sanitizer report"
fi
check "no runtime error in the log" sh -c "! grep -q 'runtime error\|ERROR: AddressSanitizer\|LeakSanitizer' '$T/rgwd.log'"
summary
