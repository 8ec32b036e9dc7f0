#!/usr/bin/env bash
# t19_logs -- logs as journald and an operator see them: sd-daemon "<N>" priority prefixes
# when stderr is the $JOURNAL_STREAM (timestamps otherwise), the WatchdogSec= keep-alive
# (WATCHDOG=1 from rgwd's PID while the loop turns, none when the watchdog is another
# process's), the ALG access log in its own file reopened on SIGUSR1 (logrotate), and
# libmicrohttpd's TLS handshake noise at debug only. Loopback only.
. "$(dirname "$0")/lib.sh"

DNS=$(free_port)
ALG=$(free_port)
BACK=$(free_port)
API=$(free_port)
cat > "$T/bundle.json" <<JSON
{"version": 1, "alg_routes": [
 {"hostname": "a.alg.test", "port": 0, "backend": "127.0.0.1:$BACK", "preserve": "none"}]}
JSON
write_conf() {
	cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
[dns]
local = 127.0.0.1:$DNS
[nat]
enable = no
[alg]
listen = 127.0.0.1:$ALG
workers = 2
$1
[api]
listen = 127.0.0.1:$API
$2
CONF
}
write_conf "" ""
"$RGWD" -c "$T/rgw.conf" --import "$T/bundle.json" > /dev/null 2>&1
check "bundle imported" test $? = 0
"$RGWD" -c "$T/rgw.conf" --new-token t > /dev/null 2>&1

start() { # start LOGFILE [env...]: rgwd in the background, DPID, waits for ready
	local log=$1
	shift
	env "$@" "$RGWD" -c "$T/rgw.conf" > /dev/null 2> "$log" &
	DPID=$!
	at_exit "kill -9 $DPID"
	wait_for 'rgwd: ready' "$log" 10
}
stop() {
	kill -TERM "$DPID"
	wait "$DPID"
}

# --- stderr is the journal stream: "<N>" prefixes, no timestamp
touch "$T/journal.err"
js=$(stat -c '%d:%i' "$T/journal.err")
env JOURNAL_STREAM="$js" "$RGWD" -d -c "$T/rgw.conf" > /dev/null 2> "$T/journal.err" &
DPID=$!
at_exit "kill -9 $DPID"
check "with JOURNAL_STREAM: rgwd ready" wait_for 'rgwd: ready' "$T/journal.err" 10
check "info lines carry <6>" grep -q '^<6>info rgwd: ready' "$T/journal.err"
check "debug lines carry <7>" grep -q '^<7>debug ' "$T/journal.err"
check "no line without a priority prefix" sh -c "! grep -qv '^<[0-7]>' '$T/journal.err'"
check "no timestamp (journald stamps lines itself)" sh -c "! grep -q '^<[0-9]>20[0-9][0-9]-' '$T/journal.err'"
# a second daemon on the same ports fails: its error lines are <3> or <4>
env JOURNAL_STREAM="$(stat -c '%d:%i' "$T/journal.err")" "$RGWD" -c "$T/rgw.conf" > /dev/null 2>> "$T/journal.err"
check "a failed start logs at warning or error priority" grep -qE '^<[34]>(warn|err) ' "$T/journal.err"
stop
# JOURNAL_STREAM inherited but stderr redirected elsewhere: plain timestamped lines
start "$T/plain.err" JOURNAL_STREAM="$js"
check "JOURNAL_STREAM naming another stream: timestamped lines" grep -qE '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z info rgwd: ready' "$T/plain.err"
check "... and no prefix" sh -c "! grep -q '^<[0-9]>' '$T/plain.err'"
stop

# --- the first token at a first start under systemd: not into the journal, into a file
mkdir -p "$T/first"
sed "s|^database = .*|database = $T/first/rgw.db|" "$T/rgw.conf" > "$T/first.conf"
touch "$T/first.out"
env JOURNAL_STREAM="$(stat -c '%d:%i' "$T/first.out")" "$RGWD" -c "$T/first.conf" > "$T/first.out" 2> "$T/first.err" &
DPID=$!
at_exit "kill -9 $DPID"
check "first start under the journal: ready" wait_for 'rgwd: ready' "$T/first.err" 10
check "the first token is not written to the journal (stdout)" sh -c "! grep -q 'rgw_' '$T/first.out'"
check "... but to first-token beside the database, 0600" test "$(stat -c %a "$T/first/first-token" 2>/dev/null)" = 600
check "... and the log says where" grep -q "the first one (admin, rw) is in $T/first/first-token" "$T/first.err"
secret=$(sed -n 's/^token admin (rw): //p' "$T/first/first-token")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $secret" "http://127.0.0.1:$API/api/v1/status")
check "that token opens the API ($code)" test "$code" = 200
stop

# --- the watchdog: WATCHDOG=1 from rgwd's PID, every half period, from the running loop
SOCK="$T/notify"
python3 "$(dirname "$0")/sd_notify_listen.py" "$SOCK" "$T/msgs" &
LPID=$!
at_exit "kill $LPID"
wait_for listening "$T/msgs" 5
start "$T/wd.err" NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=400000
wd_count() { grep -c "^$DPID WATCHDOG=1\$" "$T/msgs"; }
check "WatchdogSec=0.4s: keep-alives arrive from rgwd's PID" poll 10 sh -c "[ \$(grep -c '^$DPID WATCHDOG=1\$' '$T/msgs') -ge 5 ]"
stop
start "$T/wd2.err" NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=200000 WATCHDOG_PID=1
kill -HUP "$DPID"
wait_for "^$DPID READY=1|STATUS=serving\$" "$T/msgs" 10
check "WATCHDOG_PID naming another process: no keep-alives" test "$(wd_count)" = 0
stop

# --- the access log in its own file, reopened on SIGUSR1
printf '#!/bin/sh\nread l\nprintf "HTTP/1.0 200 OK\\r\\nContent-Length: 8\\r\\n\\r\\nbackend\\n"\n' > "$T/backend.sh"
chmod +x "$T/backend.sh"
socat "TCP-LISTEN:$BACK,bind=127.0.0.1,reuseaddr,fork" EXEC:"$T/backend.sh" &
at_exit "kill -9 $!"
poll 5 sh -c "ss -ltn | grep -q '127.0.0.1:$BACK '"
write_conf "access_log_file = $T/access.log" ""
start "$T/acc.err"
get() { curl -s --max-time 5 -H 'Host: a.alg.test' "http://127.0.0.1:$ALG/$1"; }
check "the ALG routes to the backend" test "$(get one)" = backend
check "the access line is in the access log file" poll 5 grep -qE '^20[0-9-]+T[0-9:.]+Z alg: client=127\.0\.0\.1:[0-9]+ port=[0-9]+ proto=http name=a\.alg\.test backend=127\.0\.0\.1:[0-9]+ .*outcome=ok' "$T/access.log"
check "... and not in the main log" sh -c "! grep -q 'alg: client=' '$T/acc.err'"
check "the access log file is 0640" test "$(stat -c %a "$T/access.log")" = 640
mv "$T/access.log" "$T/access.log.1"
kill -USR1 "$DPID"
check "SIGUSR1 logged" wait_for 'access log reopened' "$T/acc.err" 5
check "SIGUSR1 makes a new file" poll 5 test -e "$T/access.log"
get two > /dev/null
check "the next line goes to the new file" poll 5 grep -q 'outcome=ok' "$T/access.log"
check "the rotated file keeps its line and gets no new one" test "$(grep -c 'alg: client=' "$T/access.log.1")" = 1
stop
write_conf "" ""
start "$T/acc2.err"
get three > /dev/null
check "without access_log_file the line is in the main log" poll 5 grep -q 'info alg: client=.*outcome=ok' "$T/acc2.err"
stop
write_conf "access_log_file = $T/nodir/access.log" ""
timeout 10 "$RGWD" -c "$T/rgw.conf" > /dev/null 2> "$T/acc3.err"
check "an access log that cannot be opened stops the start" test $? != 0
check "... naming it" grep -q "cannot open the access log $T/nodir/access.log" "$T/acc3.err"

# --- a listener's address on no interface (bound with IP_FREEBIND): named in a warning, once
# per subsystem and address; 192.0.2.77 (TEST-NET-1) is on no interface here, and no packet
# is sent to it
check "listeners on 127.0.0.1: no missing-address warning" sh -c "! grep -q 'on no interface' '$T/acc2.err'"
NOWHERE=192.0.2.77
write_conf "" ""
sed "s|^local = .*|local = $NOWHERE:$DNS|; s|^listen = 127.0.0.1:$ALG|listen = $NOWHERE:$ALG|" \
	"$T/rgw.conf" > "$T/nowhere.conf"
"$RGWD" -c "$T/nowhere.conf" > /dev/null 2> "$T/nowhere.err" &
DPID=$!
at_exit "kill -9 $DPID"
check "listeners on an address no interface holds: rgwd starts" wait_for 'rgwd: ready' "$T/nowhere.err" 10
check "... the DNS warns, naming the address" grep -q "warn dns: $NOWHERE:$DNS is on no interface" "$T/nowhere.err"
check "... the ALG warns once (two workers)" test "$(grep -c "warn alg: $NOWHERE:$ALG is on no interface" "$T/nowhere.err")" = 1
check "... the API on 127.0.0.1 does not" sh -c "! grep -q 'api: .* on no interface' '$T/nowhere.err'"
stop

# --- libmicrohttpd's TLS handshake noise: debug, not info
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj "/CN=localhost" > /dev/null 2>&1
write_conf "" "tls_cert = $T/cert.pem
tls_key = $T/key.pem"
start "$T/tls.err"
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 socat - "TCP:127.0.0.1:$API" > /dev/null 2>&1
echo | timeout 5 openssl s_client -connect "127.0.0.1:$API" -tls1_1 > /dev/null 2>&1
curl -s -o /dev/null -H "Authorization: Bearer x" "https://127.0.0.1:$API/api/v1/status" -k
check "at info, failed handshakes leave no libmicrohttpd line" sh -c "! grep -q 'api: http:' '$T/tls.err'"
stop
env "$RGWD" -d -c "$T/rgw.conf" > /dev/null 2> "$T/tlsd.err" &
DPID=$!
at_exit "kill -9 $DPID"
wait_for 'rgwd: ready' "$T/tlsd.err" 10
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 socat - "TCP:127.0.0.1:$API" > /dev/null 2>&1
check "at debug, the handshake failure is logged (debug api: http:)" poll 5 grep -q 'debug api: http: ' "$T/tlsd.err"
stop
summary
