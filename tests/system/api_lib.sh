# tests/system/api_lib.sh -- helpers for the API system tests (sourced after lib.sh).
# Provides: api_start [extra [api] lines] (starts rgwd on a free loopback port with API only,
# sets PORT, URL, PID, TOK (rw), RO (ro)), api METHOD PATH [BODY] [curl args...] (sets
# CODE and BODY from a real HTTP exchange), api_stop (SIGTERM, waits, sets RC).
BUNDLE=${BUNDLE:-$TOP/docs/examples/gwa.demo.json}
RGWCTL="$TOP/$BUILD/rgwctl"

api_start() {
	local extra=${1:-}
	RGWD_BIN=${RGWD_BIN:-$RGWD}
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
[dns]
enable = no
[nat]
enable = no
[alg]
enable = no
[api]
listen = 127.0.0.1:$PORT
$extra
CONF
	TOK=$("$RGWD" -c "$T/rgw.conf" --new-token ops --role rw 2>/dev/null)
	RO=$("$RGWD" -c "$T/rgw.conf" --new-token viewer --role ro 2>/dev/null)
	${RGWD_WRAP:-} "$RGWD_BIN" -c "$T/rgw.conf" > "$T/rgwd.out" 2> "$T/rgwd.log" &
	PID=$!
	at_exit "kill -9 $PID"
	wait_for 'rgwd: ready' "$T/rgwd.log" "${START_WAIT:-10}"
}

api_stop() {
	kill -TERM "$PID" 2>/dev/null
	RC=0
	timeout "${STOP_WAIT:-10}" tail --pid="$PID" -f /dev/null || RC=124
	wait "$PID"
	RC=$?
}

# api METHOD PATH [BODY] [more curl args]: CODE = status, BODY = response body.
api() {
	local m=$1 p=$2 b=${3:-}
	shift 2
	[ $# -gt 0 ] && shift
	local args=(-s -o "$T/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer ${AUTH:-$TOK}")
	if [ -n "$b" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$b")
	fi
	CODE=$(curl "${args[@]}" "$@" "$URL$p")
	BODY=$(cat "$T/body")
}

# expect CODE "description": ok when the last api call answered CODE.
expect() {
	if [ "$CODE" = "$1" ]; then
		ok "$2"
	else
		fail "$2 (got $CODE: ${BODY:0:300})"
	fi
}

# jqtest 'filter' "description": ok when jq -e filter holds on BODY.
jqtest() {
	if printf '%s' "$BODY" | jq -e "$1" > /dev/null 2>&1; then
		ok "$2"
	else
		fail "$2 (body: ${BODY:0:300})"
	fi
}

export_db() {
	"$RGWD" -c "$T/rgw.conf" --export > "$1" 2>/dev/null
}
