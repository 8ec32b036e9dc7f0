#!/bin/bash
# tests/system/t48_dns_commit.sh -- DNS never waits for a REST policy write. Another process
# holds the database's write lock, so a PUT /bundle stays inside its write (the thread doing
# it waits in SQLite's busy handler, seen in /proc/PID/task/TID/syscall as a sleep, not an
# event loop's epoll wait); WAN and LAN queries sent then, over UDP and TCP, one that takes a
# pool address and one for the forwarder, are answered from the policy in force while the
# PUT is still pending, and a DNS UPDATE sent then waits for it (a writer too) and is put in
# force after it. Once the lock is gone the PUT is answered and the new policy is
# served; shutdown is clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"

read -r P API LP DEAD DP <<<"$(python3 "$(dirname "$0")/free_ports.py" 5)"
dns_bundle "$T/bundle.json" false false
# the new policy: 300 more hosts with 3 services each, and a name the old one lacks
jq '.hosts += [range(300) as $h | "h\($h).gwa.demo" as $fq |
	{fqdn: $fq, ipv4: "10.1.\($h / 256 | floor).\($h % 256)",
	 services: [range(3) as $s | {fqdn: "s\($s).\($fq)"}]}]' "$T/bundle.json" > "$T/big.json"
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[nat]
enable = no
[alg]
enable = no
[api]
listen = 127.0.0.1:$API
[dns]
wan = 127.0.0.1:$P
lan = 127.0.0.1:$LP
ddns = 127.0.0.1:$DP
upstream = 127.0.0.1:$DEAD
upstream_timeouts = 100
CONF
dns_start "$T/rgw.conf" || { fail "rgwd starts"; summary; }
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t48 2> /dev/null)
check "API token made" test -n "$TOK"
# its first use records it (a store write): done before the lock is taken
check "the token is accepted" bash -c "curl -sf -o /dev/null -H 'Authorization: Bearer $TOK' \
	http://127.0.0.1:$API/api/v1/bundle"

check "the write lock is held" store_lock "$T/rgw.db"

curl -s -o "$T/put.out" -w '%{http_code}\n' -X PUT -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: application/json' --data-binary "@$T/big.json" \
	"http://127.0.0.1:$API/api/v1/bundle" > "$T/put.code" 2>&1 &
CP=$!
at_exit "kill $CP 2>/dev/null"
# rgwd itself (dns_start runs it under timeout)
RPID=$(pgrep -P "$RGWD_PID" rgwd)
check "rgwd's pid found" test -n "$RPID"
# DNS before policy work when both want a CPU: the commit thread runs at nice 10
nice_of() { # thread name: its nice value (field 19 of stat)
	local f
	for f in /proc/$RPID/task/*; do
		[ "$(cat "$f/comm" 2> /dev/null)" = "$1" ] && awk '{ print $19 }' "$f/stat"
	done
}
check "the commit thread runs at nice 10 ($(nice_of rgwd-commit)), the main thread at 0" \
	bash -c "[ '$(nice_of rgwd-commit)' = 10 ] && [ \$(awk '{ print \$19 }' /proc/$RPID/stat) = 0 ]"
# the thread doing the PUT waits in SQLite's busy handler
check "a thread of rgwd is inside the PUT, waiting for the store" poll 10 in_store_wait "$RPID"
# DNS UPDATE is a writer too: it waits its turn (sent first, it must not hold up the rest)
printf 'server 127.0.0.1 %s\nzone gwa.demo\nupdate add newhost.gwa.demo 300 A 192.168.0.150\nsend\n' \
	"$DP" | timeout 60 nsupdate -t 30 > "$T/upd" 2>&1 &
UP=$!
at_exit "kill $UP 2>/dev/null"
dig_q +time=3 @127.0.0.1 -p "$P" gwa.demo SOA > "$T/dig1" 2>&1
dig_q +time=3 +tcp @127.0.0.1 -p "$P" gwa.demo SOA > "$T/dig5" 2>&1
# a host name over UDP (no TC=1 in this policy): an address from the pool, which the main
# thread owns
dig_q +time=3 @127.0.0.1 -p "$P" test.gwa.demo A > "$T/dig6" 2>&1
dig_q +time=3 @127.0.0.1 -p "$LP" test.gwa.demo A > "$T/dig3" 2>&1
dig_q +time=3 +tcp @127.0.0.1 -p "$LP" test.gwa.demo A > "$T/dig7" 2>&1
# out of zone: for the forwarder (an upstream that never answers: SERVFAIL after 100 ms)
dig_q +time=3 @127.0.0.1 -p "$LP" www.example.test A > "$T/dig4" 2>&1
running=no
kill -0 "$CP" 2> /dev/null && [ ! -s "$T/put.code" ] && running=yes
check "a WAN query over UDP (SOA) is answered while the PUT is pending" \
	grep -q "status: NOERROR" "$T/dig1"
check "a WAN query over TCP is answered while the PUT is pending" \
	grep -q "status: NOERROR" "$T/dig5"
check "a WAN query that takes a pool address is answered while the PUT is pending" \
	grep -Eq "IN[[:space:]]+A[[:space:]]+100\.64\.1\.1(3[1-9]|4[0-2])" "$T/dig6"
check "a LAN query over UDP is answered while the PUT is pending" grep -q "192.168.0.100" "$T/dig3"
check "a LAN query over TCP is answered while the PUT is pending" grep -q "192.168.0.100" "$T/dig7"
check "a LAN query for the forwarder is answered while the PUT is pending (SERVFAIL)" \
	grep -q "status: SERVFAIL" "$T/dig4"
check "the PUT had not been answered yet" test "$running" = yes
check "the UPDATE sent meanwhile waits for the PUT" kill -0 "$UP"
dig_q +time=3 @127.0.0.1 -p "$P" s1.h7.gwa.demo A > "$T/dig2" 2>&1
check "the answer comes from the policy in force (new name NXDOMAIN)" \
	grep -q "status: NXDOMAIN" "$T/dig2"

store_unlock
wait "$CP"
code=$(cat "$T/put.code")
# 503: SQLite gave up waiting for the lock (busy timeout) before it was released
if [ "$code" = 503 ]; then
	code=$(curl -s -o "$T/put.out" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOK" \
		-H 'Content-Type: application/json' --data-binary "@$T/big.json" \
		"http://127.0.0.1:$API/api/v1/bundle")
fi
check "the PUT is answered 200 once the lock is gone ($code)" test "$code" = 200
check "the new policy is served" \
	bash -c "dig +time=3 +tries=1 @127.0.0.1 -p $P s1.h7.gwa.demo A | grep -q 'status: NOERROR'"
wait "$UP"
check "the UPDATE is put in force after the PUT ($(head -c 80 "$T/upd"))" test ! -s "$T/upd"
check "... and answers" bash -c "dig +time=3 +tries=1 @127.0.0.1 -p $LP newhost.gwa.demo A +short |
	grep -qx 192.168.0.150"

# A REST write's COMMIT runs on the main thread without checkpoint I/O; the commit thread
# checkpoints once the log holds 1000 pages (4 MB here), so the write-ahead log is reused
# instead of growing with every write (twenty rounds write ~18 MB without checkpoints)
put() {
	curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOK" \
		-H 'Content-Type: application/json' --data-binary "@$1" \
		"http://127.0.0.1:$API/api/v1/bundle"
}
codes="$(put "$T/bundle.json") $(put "$T/big.json")"
wal1=$(stat -c %s "$T/rgw.db-wal")
for i in $(seq 19); do codes+=" $(put "$T/bundle.json") $(put "$T/big.json")"; done
wal20=$(stat -c %s "$T/rgw.db-wal")
check "forty PUTs of the whole bundle answered 200 ($(tr ' ' '\n' <<<"$codes" | sort | uniq -c | xargs))" \
	test "$(tr ' ' '\n' <<<"$codes" | sort -u)" = 200
check "the write-ahead log is checkpointed: $wal20 bytes after 20 rounds, $wal1 after 1" \
	test "$wal20" -le $((1000 * 4096 + 2 * wal1))
# a large reply (over 64 KiB: a mapping of its own) arrives whole: the PUT's body is the
# policy GET gives, the same bytes, and holds every host
curl -s -o "$T/put.out" -X PUT -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
	--data-binary "@$T/big.json" "http://127.0.0.1:$API/api/v1/bundle"
curl -s -o "$T/get.out" -H "Authorization: Bearer $TOK" "http://127.0.0.1:$API/api/v1/bundle"
check "a large reply arrives whole ($(stat -c %s "$T/put.out") bytes, the same as GET's)" \
	bash -c "[ \$(stat -c %s '$T/put.out') -gt 65536 ] && cmp -s '$T/put.out' '$T/get.out' &&
		[ \$(jq '.hosts | length' '$T/put.out') = \$(jq '.hosts | length' '$T/big.json') ]"

# shutdown while a write is in flight: it finishes first; whatever was answered 200 is kept
rm -f "$T/put.code"
check "the write lock is held again" store_lock "$T/rgw.db"
curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: application/json' --data-binary "@$T/bundle.json" \
	"http://127.0.0.1:$API/api/v1/bundle" > "$T/put.code" 2>&1 &
CP=$!
check "a second PUT is inside its write" poll 10 in_store_wait "$RPID"
kill -TERM "$RPID"
store_unlock
wait "$CP"
t0=$SECONDS
check "rgwd stops with the write in flight" poll $((5 * RGW_SLOW)) sh -c "! kill -0 $RPID 2> /dev/null"
dns_stop
check "no thread crashed, nothing leaked" \
	bash -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' '$T/rgwd.log'"
hosts=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM hosts").fetchone()[0])' "$T/rgw.db")
code=$(cat "$T/put.code")
check "an answered PUT ($code) is in the store ($hosts hosts)" \
	bash -c "[ '$code' != 200 ] || [ '$hosts' = 4 ]"
check "the store holds one policy or the other, whole ($hosts hosts)" \
	bash -c "[ '$hosts' = 4 ] || [ '$hosts' = 304 ]"
summary
