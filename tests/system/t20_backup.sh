#!/usr/bin/env bash
# t20_backup -- rgwd --backup / --restore: a backup taken while the daemon runs (and while it
# is being written to) is one consistent database; restored on "a new machine" (another
# configuration and directory) it gives the identical export, and the tokens, the audit log
# and the saved reputation are there: the restored daemon opens the API to the old token.
# Restore refuses to overwrite a database without --force, and refuses a damaged file or one
# from a newer rgwd. Loopback only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

api_start "rate = 100000
rate_burst = 100000"
RGW_API_URL=$URL RGW_API_TOKEN=$TOK "$RGWCTL" import "$BUNDLE" > /dev/null
check "the example policy imported" test $? = 0
api PUT /api/v1/reputation/resolver_group/router '{"override": 0.3}'
expect 200 "a reputation override (persisted state)"
api POST /api/v1/tokens '{"name": "robot", "role": "ro", "expires_in": 86400}'
expect 201 "one more token, with an expiry"
ROBOT=$(printf '%s' "$BODY" | jq -r .secret)

# --- a backup while the daemon runs
"$RGWD" -c "$T/rgw.conf" --backup "$T/b1.db" > "$T/b1.out" 2>&1
check "--backup of the live database" test $? = 0
check "... says what it wrote" grep -q "backup of $T/rgw.db written" "$T/b1.out"
check "the backup is 0600 (token hashes, audit log)" test "$(stat -c %a "$T/b1.db")" = 600
check "the backup is one self-contained file (no -wal beside it)" test ! -e "$T/b1.db-wal"
check "the backup passes SQLite's integrity check" test "$(sqlite3 "$T/b1.db" 'PRAGMA integrity_check')" = ok
export_db "$T/before.json"
audit_n=$(sqlite3 "$T/rgw.db" 'select count(*) from audit')

# --- a backup while the API writes: still consistent
(for i in $(seq 1 40); do
	curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"g$i\"}" "$URL/api/v1/groups"
done) &
writer=$!
at_exit "kill -9 $writer"
for i in 1 2 3; do "$RGWD" -c "$T/rgw.conf" --backup "$T/busy$i.db" > /dev/null 2>&1 || echo "backup $i failed"; done > "$T/busy.out"
wait $writer
check "three backups during 40 writes all succeed" test ! -s "$T/busy.out"
ok_all=1
for i in 1 2 3; do
	[ "$(sqlite3 "$T/busy$i.db" 'PRAGMA integrity_check')" = ok ] || ok_all=0
	[ -z "$(sqlite3 "$T/busy$i.db" 'PRAGMA foreign_key_check')" ] || ok_all=0
	# the groups table and the audit log agree: every write is in both or in neither
	g=$(sqlite3 "$T/busy$i.db" "select count(*) from groups where name glob 'g[0-9]*'")
	a=$(sqlite3 "$T/busy$i.db" "select count(*) from audit where action = 'POST' and resource = '/api/v1/groups' and detail glob '{\"name\":\"g[0-9]*'")
	[ "$g" = "$a" ] || { ok_all=0; echo "# busy$i: $g groups, $a audit lines"; }
done
check "each of them is consistent (integrity, foreign keys, policy and audit agree)" test "$ok_all" = 1
"$RGWD" -c "$T/rgw.conf" --backup "$T/b2.db" > /dev/null 2>&1
check "a backup after the writes" test "$(sqlite3 "$T/b2.db" "select count(*) from groups where name glob 'g[0-9]*'")" = 40
api_stop

# --- restore on a new machine: another directory, another configuration, no database yet
mkdir -p "$T/new"
sed "s|^database = .*|database = $T/new/rgw.db|" "$T/rgw.conf" > "$T/new.conf"
"$RGWD" -c "$T/new.conf" --restore "$T/b1.db" > "$T/r.out" 2>&1
check "--restore into a new database" test $? = 0
check "the restored database is 0640" test "$(stat -c %a "$T/new/rgw.db")" = 640
"$RGWD" -c "$T/new.conf" --export > "$T/after.json" 2> /dev/null
check "the restored database exports the identical policy" cmp -s "$T/before.json" "$T/after.json"
check "... which is the example policy" sh -c "jq -e '.hosts | length == 11' '$T/after.json' > /dev/null"
check "the audit log came along ($audit_n lines)" test "$(sqlite3 "$T/new/rgw.db" 'select count(*) from audit')" -ge "$audit_n"
check "the tokens came along (hashes, roles, expiry)" test "$(sqlite3 "$T/new/rgw.db" "select name || ':' || role || ':' || (expires_ms is not null) from api_tokens order by name" | tr '\n' ' ')" = "ops:rw:0 robot:ro:1 viewer:ro:0 "
check "the saved reputation came along" test "$(sqlite3 "$T/new/rgw.db" "select override from reputation where kind = 'resolver_group' and key = 'router'")" = 0.3

# the restored daemon serves the old tokens and the policy
PORT2=$(free_port)
sed -i "s|^listen = .*|listen = 127.0.0.1:$PORT2|" "$T/new.conf"
"$RGWD" -c "$T/new.conf" > /dev/null 2> "$T/new.log" &
NP=$!
at_exit "kill -9 $NP"
check "the daemon starts on the restored database" wait_for 'rgwd: ready' "$T/new.log" 10
code=$(curl -s -o "$T/h" -w '%{http_code}' -H "Authorization: Bearer $TOK" "http://127.0.0.1:$PORT2/api/v1/hosts/test.gwa.demo")
check "the old rw token opens the restored API ($code)" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ROBOT" "http://127.0.0.1:$PORT2/api/v1/zones")
check "the old ro token too ($code)" test "$code" = 200
code=$(curl -s -o "$T/rep" -w '%{http_code}' -H "Authorization: Bearer $TOK" "http://127.0.0.1:$PORT2/api/v1/reputation/resolver_group/router")
check "the override is in force after the restore" sh -c "jq -e '.override == 0.3' '$T/rep' > /dev/null"
kill -TERM $NP
wait $NP

# --- what restore refuses
"$RGWD" -c "$T/new.conf" --restore "$T/b2.db" > /dev/null 2> "$T/r2.err"
check "restore over an existing database without --force: refused" test $? != 0
check "... saying so" grep -q 'exists: stop rgwd and give --force' "$T/r2.err"
"$RGWD" -c "$T/new.conf" --export > "$T/still.json" 2> /dev/null
check "... and the database is untouched" cmp -s "$T/before.json" "$T/still.json"
"$RGWD" -c "$T/new.conf" --restore "$T/b2.db" --force > /dev/null 2>&1
check "with --force it replaces it" test $? = 0
check "... with the other backup's content" sh -c "'$RGWD' -c '$T/new.conf' --export 2>/dev/null | jq -e '[.groups[].name] | index(\"g1\") != null' > /dev/null"
head -c 20000 "$T/b1.db" > "$T/cut.db"
"$RGWD" -c "$T/new.conf" --restore "$T/cut.db" --force > /dev/null 2> "$T/r3.err"
check "a truncated backup is refused (exit 4)" test $? = 4
echo "not a database" > "$T/junk.db"
"$RGWD" -c "$T/new.conf" --restore "$T/junk.db" --force > /dev/null 2> "$T/r4.err"
check "a file that is no database is refused" test $? = 4
cp "$T/b1.db" "$T/future.db"
sqlite3 "$T/future.db" "UPDATE schema_version SET version = 99"
"$RGWD" -c "$T/new.conf" --restore "$T/future.db" --force > /dev/null 2> "$T/r5.err"
check "a backup from a newer rgwd is refused" grep -q 'schema version 99' "$T/r5.err"
check "after the refusals the database is still the last good restore" sh -c "'$RGWD' -c '$T/new.conf' --export 2>/dev/null | jq -e '[.groups[].name] | index(\"g1\") != null' > /dev/null"
summary
