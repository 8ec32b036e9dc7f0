#!/usr/bin/env bash
# t61b_api_flood -- the REST API under connection floods, over real HTTP on loopback: a
# per-address connection cap, a request deadline that idle and trickling connections do not
# outlive, a full listener that makes room by closing the connection that waited longest, and
# status and metrics answered during a flood from hundreds of addresses. Request framing
# (RFC 9112: Host, Content-Length) and audit lines that stay valid UTF-8 and are all listed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"
FLOOD="$TOP/tests/system/api_flood.py"

api_start "request_timeout = 1000
max_connections = 32
max_connections_per_source = 4" || { fail "rgwd with the API starts"; summary; }
ok "rgwd with the API starts"

# --- per-address cap: 4 kept, the other 4 closed at once
out=$(python3 "$FLOOD" per-source "$PORT" 127.0.0.2 8)
check "per-source cap: 4 of 8 connections from one address kept ($out)" test "$out" = "held 4 closed 4"

# --- request deadline: silent, and trickling one byte every 0.2 s (each byte would reset an
# inactivity timeout); both closed about 1 s after connect, long before the 30 s timeout
ltd() { awk -v t="${1#closed }" -v lo="$2" -v hi="$3" 'BEGIN { exit !(t + 0 >= lo && t + 0 <= hi) }'; }
out=$(python3 "$FLOOD" silent "$PORT")
check "a silent connection is closed at its request deadline ($out)" ltd "$out" 0.9 6
out=$(python3 "$FLOOD" silent "$PORT" 0.2)
check "a trickling request head is closed at the same deadline ($out)" ltd "$out" 0.9 6
api GET /metrics
tmo=$(printf '%s\n' "$BODY" | awk '/^rgw_api_request_timeouts_total/ {print $2}')
check "request timeouts were counted ($tmo)" test "${tmo:-0}" -ge 2

# --- a flood of idle connections from 150 addresses (4 each: at the per-source cap), with a
# request deadline long enough that only making room frees slots: every newcomer closes the
# connection that waited longest, so status and metrics are still answered, at once
api_stop
rm -f "$T"/rgw.db*
api_start "request_timeout = 30000
max_connections = 32
max_connections_per_source = 4" || { fail "rgwd restarts"; summary; }
coproc FL { python3 "$FLOOD" flood "$PORT" 600 4; }
read -r -t 60 opened <&"${FL[0]}"
check "the flood opened its connections ($opened)" test "${opened#opened }" -ge 590
for i in 1 2 3; do
	api GET /api/v1/status "" --max-time 0.9
	expect 200 "status answered during the flood ($i)"
	api GET /metrics "" --max-time 0.9
	expect 200 "metrics answered during the flood ($i)"
done
echo >&"${FL[1]}"
read -r -t 20 left <&"${FL[0]}"
check "the flood holds no more than the cap ($left)" test "${left#open }" -le 32
eval "exec ${FL[1]}>&-"
wait "$FL_PID" 2>/dev/null
api GET /metrics
shed=$(printf '%s\n' "$BODY" | awk '/^rgw_api_connections_shed_total/ {print $2}')
check "connections shed were counted ($shed)" test "${shed:-0}" -ge 560

# --- framing: RFC 9112 3.2 and 6.3
raw() {
	printf "$1" | timeout 5 socat -t 3 - "TCP:127.0.0.1:$PORT" | head -n 1 | tr -d '\r'
}
A="Authorization: Bearer $TOK"
check "HTTP/1.1 without Host: 400" \
	test "$(raw "GET /api/v1/status HTTP/1.1\r\n$A\r\nConnection: close\r\n\r\n")" = "HTTP/1.1 400 Bad Request"
check "HTTP/1.1 with two Host fields: 400" \
	test "$(raw "GET /api/v1/status HTTP/1.1\r\nHost: a\r\nHost: b\r\n$A\r\nConnection: close\r\n\r\n")" = "HTTP/1.1 400 Bad Request"
check "HTTP/1.0 without Host: answered" \
	test "$(raw "GET /api/v1/status HTTP/1.0\r\n$A\r\n\r\n")" = "HTTP/1.1 200 OK"
check "two different Content-Length fields: 400" \
	test "$(raw "POST /api/v1/zones HTTP/1.1\r\nHost: a\r\n$A\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{}")" = "HTTP/1.1 400 Bad Request"

# --- audit: a detail cut inside a multi-byte character stays valid UTF-8, and a stored line
# that is not UTF-8 is listed anyway (U+FFFD), so every line is there
# bundles whose audited text (compact, sorted keys: hosts first) has accented comments around
# byte 1024; the padding moves the cut by one byte each time, so some land inside a character
for pad in 1 2 3 4 5; do
	python3 - "$pad" > "$T/b.json" <<'PY'
import json, sys
pad = int(sys.argv[1])
hosts = [{"fqdn": "u%d.gwa.demo" % i, "ipv4": "192.168.77.%d" % (i + 1),
          "comment": ("x" * pad if i == 0 else "") + "\u00e9" * 120} for i in range(6)]
print(json.dumps({"version": 1, "hosts": hosts, "zones": [{"name": "gwa.demo",
      "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}]}))
PY
	api PUT /api/v1/bundle "$(cat "$T/b.json")"
	expect 200 "bundle with long accented comments ($pad)"
done
sqlite3 "$T/rgw.db" "INSERT INTO audit (ts_ms, actor, action, resource, detail) VALUES (1, 'old', 'PUT', '/api/v1/x', CAST(X'7B2261223A22E282227D' AS TEXT));"
stored=$(sqlite3 "$T/rgw.db" "SELECT count(*) FROM audit;")
api GET '/api/v1/audit?limit=1000'
expect 200 "audit listing"
jqtest "(.items | length) == $stored" "every stored audit line is listed ($stored)"
jqtest '[.items[] | select(.detail | endswith("..."))] | length >= 5' "the long details were cut"
jqtest '.items[] | select(.actor == "old") | .detail == "{\"a\":\"\ufffd\ufffd\"}"' \
	"a stored line that is not UTF-8 shows U+FFFD"
# the cut lines as stored are valid UTF-8 themselves
bad=$(sqlite3 "$T/rgw.db" "SELECT hex(detail) FROM audit WHERE actor = 'ops';" |
	python3 -c 'import sys
n = 0
for line in sys.stdin:
    try:
        bytes.fromhex(line.strip()).decode("utf-8")
    except UnicodeDecodeError:
        n += 1
print(n)')
check "every audit line the API wrote is valid UTF-8 ($bad invalid)" test "$bad" = 0
check "rgwd still running" kill -0 "$PID"
api_stop
summary
