#!/usr/bin/env bash
# t63_api_tls -- HTTPS listener (certificate and key from the config), the first-start
# token printed once, IPv6 listener, listener errors. Loopback only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

# --- first start: no token in the store, rgwd creates one and prints it once
PORT=$(free_port)
cat > "$T/first.conf" <<CONF
[daemon]
database = $T/first.db
[dns]
enable = no
[nat]
enable = no
[alg]
enable = no
[api]
listen = 127.0.0.1:$PORT
CONF
"$RGWD" -c "$T/first.conf" > "$T/first.out" 2> "$T/first.log" &
pid=$!
at_exit "kill -9 $pid"
check "first start: daemon ready" wait_for 'rgwd: ready' "$T/first.log" 10
secret=$(sed -n 's/^token admin (rw): //p' "$T/first.out")
check "first start prints an rw token once" test -n "$secret"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $secret" "http://127.0.0.1:$PORT/api/v1/status")
check "the printed token works" test "$code" = 200
check "the secret is not in the database" sh -c "! grep -qa '$secret' '$T/first.db' '$T/first.db-wal' 2>/dev/null"
kill -TERM $pid
wait $pid
"$RGWD" -c "$T/first.conf" > "$T/first2.out" 2> "$T/first2.log" &
pid=$!
at_exit "kill -9 $pid"
wait_for 'rgwd: ready' "$T/first2.log" 10
check "second start prints no token" sh -c "! grep -q 'token' '$T/first2.out'"
kill -TERM $pid
wait $pid

# --- HTTPS
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" > /dev/null 2>&1
check "test certificate generated" test -s "$T/cert.pem"
api_start "tls_cert = $T/cert.pem
tls_key = $T/key.pem"
URL="https://127.0.0.1:$PORT"
check "HTTPS daemon ready" kill -0 "$PID"
check "listening is logged as HTTPS" grep -q 'HTTPS' "$T/rgwd.log"
api GET /api/v1/status "" --cacert "$T/cert.pem"
expect 200 "GET over HTTPS with the certificate verified"
api POST /api/v1/groups '{"name":"tls"}' --cacert "$T/cert.pem"
expect 201 "POST over HTTPS"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/status")
check "plain HTTP on the HTTPS port gets no answer" test "$code" = 000
echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$T/cert.pem" > "$T/sclient" 2>&1
check "openssl s_client verifies the certificate" grep -q 'Verify return code: 0' "$T/sclient"
api_stop
check "HTTPS daemon stops cleanly" test "$RC" = 0

# --- a key that does not exist: rgwd refuses to start, with the reason
sed -i "s|^tls_key = .*|tls_key = $T/missing.pem|" "$T/rgw.conf"
timeout 10 "$RGWD" -c "$T/rgw.conf" > /dev/null 2> "$T/bad.log"
check "missing TLS key: start-up fails" test $? != 0
check "... saying why" grep -q 'cannot read TLS' "$T/bad.log"

# --- IPv6 loopback listener
PORT6=$(free_port)
sed -i "s|^listen = .*|listen = [::1]:$PORT6|; /^tls_/d" "$T/rgw.conf"
"$RGWD" -c "$T/rgw.conf" > /dev/null 2> "$T/v6.log" &
pid=$!
at_exit "kill -9 $pid"
if wait_for 'rgwd: ready' "$T/v6.log" 10; then
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "http://[::1]:$PORT6/api/v1/status")
	check "API over IPv6 loopback" test "$code" = 200
	code=$(RGW_API_URL="http://[::1]:$PORT6" RGW_API_TOKEN=$TOK "$RGWCTL" status > /dev/null 2>&1; echo $?)
	check "rgwctl over IPv6 loopback" test "$code" = 0
else
	fail "rgwd on [::1] did not start: $(tail -2 "$T/v6.log")"
fi
kill -TERM $pid
wait $pid

# --- port already taken: a clear error
sed -i "s|^listen = .*|listen = 127.0.0.1:$PORT|" "$T/rgw.conf"
python3 -c "
import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen(1); time.sleep(8)" &
holder=$!
at_exit "kill -9 $holder"
held() { ss -Hltn "sport = :$PORT" | grep -q .; }
check "another process listens on 127.0.0.1:$PORT" poll 10 held
timeout 10 "$RGWD" -c "$T/rgw.conf" > /dev/null 2> "$T/busy.log"
check "port in use: start-up fails" test $? != 0
check "... naming the address" grep -q "cannot listen on 127.0.0.1:$PORT" "$T/busy.log"
kill $holder 2>/dev/null
summary
