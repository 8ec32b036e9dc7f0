#!/usr/bin/env bash
# t65_api_audit_retention -- [api] audit_retention: audit lines older than N days are deleted
# at start-up (and daily); newer ones stay; 0 keeps everything. Real daemon, real database
# (an old line is planted with the sqlite3 shell), the audit log read back over the REST API.
# Loopback only, no root needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

not() { ! "$@"; }
plant_old_line() { # an audit line written 3 days ago
	local ts=$(( $(date +%s) * 1000 - 3 * 86400 * 1000 ))
	sqlite3 "$T/rgw.db" "INSERT INTO audit (ts_ms, actor, action, resource, detail)
		VALUES ($ts, 'ops', 'PATCH', '/api/v1/old-line', NULL)"
}

# --- retention 0 (default): the old line stays
api_start
check "rgwd with the API starts" kill -0 "$PID"
api PUT /api/v1/bundle "$(cat "$BUNDLE")"
expect 200 "a write (audited)"
api_stop
KEEP_TOK=$TOK # the token made at the first start (api_start cannot make "ops" twice)
plant_old_line
api_start
TOK=$KEEP_TOK
api GET '/api/v1/audit?limit=100'
jqtest '[.items[] | select(.resource == "/api/v1/old-line")] | length == 1' "audit_retention = 0 keeps a 3-day-old line"
check "nothing pruned at start-up" not grep -q "audit log: removed" "$T/rgwd.log"
api_stop

# --- retention 1 day: the old line goes at start-up, the recent write stays
api_start "audit_retention = 1"
TOK=$KEEP_TOK
check "start-up prune logged" grep -q "rgwd: audit log: removed 1 lines older than 1 days" "$T/rgwd.log"
api GET '/api/v1/audit?limit=100'
jqtest '[.items[] | select(.resource == "/api/v1/old-line")] | length == 0' "audit_retention = 1: the 3-day-old line is gone"
jqtest '[.items[] | select(.resource == "/api/v1/bundle")] | length == 1' "... the write made today stays"
api_stop
check "rgwd stops cleanly" test "$RC" = 0

# --- out of range: refused with the file and line
printf '[api]\naudit_retention = -1\n' > "$T/bad.conf"
"$RGWD" -c "$T/bad.conf" --check-config > "$T/bad.out" 2>&1
check "audit_retention = -1 refused with file:line" grep -q "bad.conf:2:" "$T/bad.out"
summary
