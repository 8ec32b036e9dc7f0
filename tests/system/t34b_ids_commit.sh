#!/usr/bin/env bash
# t34b_ids_commit -- an IDS block never waits for a REST policy write. Another process holds
# the database's write lock, so a PUT /bundle stays inside its write on the commit thread
# (waiting in SQLite's busy handler, as in t48); an EVE alert (Suricata's record, on the
# unix_dgram socket rgwd reads) arrives then: its source is blocked at once (nft set block4;
# a DNS query from it gets nothing back) while a query from another address is answered by
# the main thread, and the block's audit line is not written yet. Once the lock is gone the
# PUT is answered and the audit line (actor ids) is written after the PUT's own. A line still
# waiting behind a PUT when rgwd is stopped is written before it exits. Root needed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }

P=rgwidc$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
QNUM=$((3000 + ($$ + 17) % 30000))
APORT=$((20000 + ($$ + 29) % 20000))
at_exit "[ -n \"\${RP:-}\" ] && kill -9 \$RP; ns_del $PUB $GW $PRIV"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
ip -n $PUB addr add 100.64.0.11/24 dev eth0 # a source that stays unblocked

cat > "$T/bundle.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.0.1"}]}
  ],
  "service_addresses": ["100.64.1.130"],
  "pool": ["100.64.1.131-100.64.1.138"],
  "hosts": [
    {"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100",
     "services": [{"fqdn": "test.gwa.demo"}]}
  ],
  "admission": {"dns_tcp": false, "dns_cookies": false, "dns_cname": false}
}
JSON
jq '.hosts += [{fqdn: "new.gwa.demo", ipv4: "192.168.0.101"}]' "$T/bundle.json" > "$T/new.json"
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 100.64.0.1:53
[nat]
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
[ids]
enable = yes
eve_socket = $T/eve.sock
eve_type = unix_dgram
severity = 2
block_time = 600
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t34b 2> /dev/null)
check "API token made" test -n "$TOK"
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
RP=$!
check "rgwd (dns + nat + ids + api) ready in $GW" wait_for 'rgwd: ready' "$T/log" 15
api() { # METHOD PATH [BODY FILE]: the status code, the body in $T/body
	ip netns exec $GW curl -s -m 60 -o "$T/body" -w '%{http_code}' -X "$1" \
		-H "Authorization: Bearer $TOK" \
		${3:+-H 'Content-Type: application/json' --data-binary "@$3"} \
		"http://127.0.0.1:$APORT/api/v1$2"
}
# dig from one of the public addresses to the gateway's WAN DNS: the answer section
ask() { ip netns exec $PUB dig +time=2 +tries=1 -b "$1" @100.64.0.1 gwa.demo SOA; }
# the token's first use records it (a store write of its own): done before the lock is taken
check "the token is accepted" test "$(api GET /bundle)" = 200
check "DNS answers the address to be blocked before the alert" \
	bash -c "$(declare -f ask); PUB=$PUB; ask 100.64.0.10 | grep -q 'status: NOERROR'"
audit_ids() { # the audit lines of actor ids, read from the store (readers never wait)
	python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
print(db.execute("SELECT count(*) FROM audit WHERE actor = ?", ("ids",)).fetchone()[0])' "$T/rgw.db"
}

check "the write lock is held by another process" store_lock "$T/rgw.db"
api PUT /bundle "$T/new.json" > "$T/put.code" 2>&1 &
CP=$!
at_exit "kill $CP 2>/dev/null"
check "a thread of rgwd is inside the PUT, waiting for the store" poll 10 in_store_wait "$RP"

# Suricata's alert: a flow from 100.64.0.10 to a pool address (no conntrack entry: the source
# is blocked all the same)
eve_alert "$T/eve.sock" 100.64.0.10 100.64.1.131 "rgw t34b"
in_set() { ip netns exec $GW nft list set inet rgw block4 | grep -q '100\.64\.0\.10 '; }
check "the block is in force at once: nft set block4 holds the source" poll 10 in_set
# sent right after the block: the main thread would be inside the audit line's write now if it
# waited for the store (up to its 5 s busy timeout)
ask 100.64.0.11 > "$T/dig_ok" 2>&1
running=no
kill -0 "$CP" 2> /dev/null && [ ! -s "$T/put.code" ] && running=yes
check "a query from another address is answered while the PUT is pending" \
	grep -q "status: NOERROR" "$T/dig_ok"
check "the PUT had not been answered yet" test "$running" = yes
check "the block's audit line is not written while the write lock is held" \
	test "$(audit_ids)" = 0
ask 100.64.0.10 > "$T/dig_blocked" 2>&1
check "the blocked source gets nothing back" bash -c "! grep -q 'status:' '$T/dig_blocked'"
check "the alert was logged" grep -q 'ids: alert sid=1000001 .*blocked=100.64.0.10 (new)' "$T/log"

store_unlock
wait "$CP"
code=$(cat "$T/put.code")
# 503: SQLite gave up waiting for the lock (busy timeout) before it was released
check "the PUT is answered once the lock is gone (200 or 503: $code)" \
	bash -c "[ '$code' = 200 ] || [ '$code' = 503 ]"
ids_written() { [ "$(audit_ids)" = 1 ]; }
check "the block's audit line is written once the write is done" poll 10 ids_written
# in the store's order: the PUT's line (when it was put in force) before the block's
check "... after the PUT's own line" python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
ids = db.execute("SELECT id FROM audit WHERE actor = ?", ("ids",)).fetchone()[0]
put = db.execute("SELECT max(id) FROM audit WHERE action = ? AND resource LIKE ?",
                 ("PUT", "%/bundle")).fetchone()[0]
sys.exit(0 if sys.argv[2] != "200" or (put is not None and put < ids) else 1)' "$T/rgw.db" "$code"
check "GET /audit shows it (actor ids, action block)" bash -c "[ \"\$(ip netns exec $GW curl -s \
	-m 10 -H 'Authorization: Bearer $TOK' http://127.0.0.1:$APORT/api/v1/audit | \
	jq '[.items[] | select(.actor == \"ids\" and .action == \"block\" and \
	.resource == \"100.64.0.10\")] | length')\" = 1 ]"
check "the block is still in force" in_set
check "no 'cannot write the audit line' in the log" \
	bash -c "! grep -q 'cannot write the audit line' '$T/log'"

# a lock held past the busy timeout (5 s) does not lose the line: it waits and is tried again
check "the write lock is held again, longer than the busy timeout" store_lock "$T/rgw.db"
eve_alert "$T/eve.sock" 100.64.0.30 100.64.1.131 "rgw t34b long lock"
check "a third source is blocked" poll 10 grep -q 'blocked=100.64.0.30 (new)' "$T/log"
check "its audit line waits for the lock past the busy timeout" \
	poll 30 grep -q 'an audit line waits' "$T/log"
store_unlock
ids_written3() { [ "$(audit_ids)" = 2 ]; }
check "... and is written once the lock is gone" poll 20 ids_written3
check "still no 'cannot write the audit line' in the log" \
	bash -c "! grep -q 'cannot write the audit line' '$T/log'"

# a line still waiting at a clean stop (behind a PUT waiting for the lock) is written
# before rgwd exits
check "the write lock is held again" store_lock "$T/rgw.db"
api PUT /bundle "$T/bundle.json" > "$T/put.code" 2>&1 &
CP=$!
check "a second PUT is inside its write" poll 10 in_store_wait "$RP"
eve_alert "$T/eve.sock" 100.64.0.20 100.64.1.131 "rgw t34b stop"
check "a second source is blocked" poll 10 grep -q 'blocked=100.64.0.20 (new)' "$T/log"
# its line cannot be written before store_unlock (the lock is held since before the alert)
kill -TERM "$RP"
store_unlock
wait "$CP"
wait "$RP"
rc=$?
RP=""
check "clean shutdown ($rc)" test "$rc" = 0
check "the waiting audit line was written before the exit" test "$(audit_ids)" = 3
san_clean "$T/log" rgwd
summary
