#!/usr/bin/env bash
# t12_rgwctl -- rgwctl as an operator uses it: HTTPS to rgwd's TLS listener with a CA file and
# with a pinned public key (and a wrong pin / no trust refused), over IPv6, a client
# certificate towards a TLS front end that asks for one (openssl s_server), timeouts,
# --version, its config file (unknown keys refused, a readable file warned about), token
# expiry, listing and revocation by name, readable tables (nested values, rounded reals) and
# --json ending with a newline.
# Loopback only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

# --- a test CA, a server certificate for 127.0.0.1 and a client certificate it signs
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
	-subj "/CN=rgw test CA" > /dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=localhost" \
	-addext "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" > /dev/null 2>&1
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-copy_extensions copy -out "$T/srv.pem" -days 2 > /dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout "$T/cl.key" -out "$T/cl.csr" -subj "/CN=operator" > /dev/null 2>&1
openssl x509 -req -in "$T/cl.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-out "$T/cl.pem" -days 2 > /dev/null 2>&1
check "test CA, server and client certificates made" test -s "$T/srv.pem" -a -s "$T/cl.pem"
pin="sha256//$(openssl x509 -in "$T/srv.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)"
otherpin="sha256//$(openssl x509 -in "$T/ca.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)"

P6=$(free_port)
api_start "tls_cert = $T/srv.pem
tls_key = $T/srv.key
metrics_listen = [::1]:$P6"
HTTPS="https://127.0.0.1:$PORT"
ctl() { env HOME="$T/nohome" "$RGWCTL" "$@"; }

RGW_API_TOKEN=$TOK ctl --url "$HTTPS" --cacert "$T/ca.pem" import "$BUNDLE" > /dev/null 2>&1
check "rgwctl import over HTTPS (the example policy)" test $? = 0

# --- --version
check "rgwctl --version names itself and libcurl" sh -c "'$RGWCTL' --version | grep -q '^rgwctl 0\\.1\\.0 (libcurl/'"

# --- HTTPS with a CA file
RGW_API_TOKEN=$TOK ctl --url "$HTTPS" --cacert "$T/ca.pem" status > "$T/st" 2> "$T/st.err"
check "HTTPS with --cacert: status answered" grep -q '^version' "$T/st"
RGW_API_TOKEN=$TOK ctl --url "$HTTPS" status > /dev/null 2> "$T/untrusted.err"
check "HTTPS without the CA: refused (exit 3)" test $? = 3
check "... saying why (certificate)" grep -qi 'certificate' "$T/untrusted.err"
RGW_API_TOKEN=$TOK ctl --url "https://localhost:$PORT" --cacert "$T/ca.pem" status > /dev/null 2>&1
check "HTTPS by name (localhost) verifies too" test $? = 0

# --- IPv6: to [::1] (the token-free metrics listener, plain HTTP on loopback)
ctl --url "http://[::1]:$P6" raw GET /metrics > "$T/m6" 2> "$T/m6.err"
check "rgwctl over IPv6 ([::1])" grep -q '^rgw_info{' "$T/m6"


# --- HTTPS with a pinned public key (no CA needed)

RGW_API_TOKEN=$TOK ctl --url "$HTTPS" --pin "$pin" zone list > "$T/zl" 2>&1
check "HTTPS with the right --pin" grep -q 'gwa.demo' "$T/zl"
RGW_API_TOKEN=$TOK ctl --url "$HTTPS" --pin "$otherpin" zone list > /dev/null 2> "$T/pin.err"
check "a wrong pin is refused (exit 3)" test $? = 3
check "... naming the public key" grep -qi 'public key\|pinned' "$T/pin.err"
RGW_API_TOKEN=$TOK ctl --url "$HTTPS" --cacert "$T/ca.pem" --pin "$otherpin" zone list > /dev/null 2>&1
check "a wrong pin is refused even with a valid CA" test $? = 3

# --- the config file: settings, permission warning, unknown keys
mkdir -p "$T/home/.config"
printf 'url = %s\ntoken = %s\npin = %s\n' "$HTTPS" "$TOK" "$pin" > "$T/home/.config/rgwctl.conf"
chmod 600 "$T/home/.config/rgwctl.conf"
env -u RGW_API_URL -u RGW_API_TOKEN HOME="$T/home" "$RGWCTL" group list > "$T/gl" 2> "$T/gl.err"
check "config file (0600): url, token and pin from it" grep -q 'postpaid' "$T/gl"
check "... and no warning" test ! -s "$T/gl.err"
chmod 644 "$T/home/.config/rgwctl.conf"
env -u RGW_API_URL -u RGW_API_TOKEN HOME="$T/home" "$RGWCTL" group list > /dev/null 2> "$T/gl.err"
check "config file readable by others: still works" test $? = 0
check "... with a warning naming the file and chmod 600" grep -q 'rgwctl.conf can be read by others.*chmod 600' "$T/gl.err"
printf 'url = %s\ntokn = %s\n' "$HTTPS" "$TOK" > "$T/home/.config/rgwctl.conf"
chmod 600 "$T/home/.config/rgwctl.conf"
env -u RGW_API_URL -u RGW_API_TOKEN HOME="$T/home" "$RGWCTL" group list > /dev/null 2> "$T/bad.err"
check "an unknown key is refused (exit 2)" test $? = 2
check "... naming file, line and key" grep -q 'rgwctl.conf:2: unknown key .tokn.' "$T/bad.err"
printf '\xef\xbb\xbfurl = %s\ntoken = %s\ncacert = %s\ntimeout = 5\n' "$HTTPS" "$TOK" "$T/ca.pem" > "$T/home/.config/rgwctl.conf"
env -u RGW_API_URL -u RGW_API_TOKEN HOME="$T/home" "$RGWCTL" zone list > "$T/zl2" 2>&1
check "a config file with a UTF-8 BOM and cacert/timeout keys" grep -q 'gwa.demo' "$T/zl2"

# --- tokens: listing (never a secret), expiry, revocation by name
export RGW_API_URL=$HTTPS RGW_API_TOKEN=$TOK
C=(env HOME="$T/nohome" "$RGWCTL" --cacert "$T/ca.pem")
"${C[@]}" token add shortlived --role ro --expires 2s > "$T/tok" 2>&1
short=$(sed -n 's/^secret *//p' "$T/tok")
check "token add --expires prints the secret once" test -n "$short"
check "... and its expiry as a UTC time" grep -qE '^expires_ms +20[0-9]{2}-[0-9]{2}-[0-9]{2}T' "$T/tok"
RGW_API_TOKEN=$short "${C[@]}" zone list > /dev/null 2>&1
check "the new token works before it expires" test $? = 0
"${C[@]}" token list > "$T/tl" 2>&1
check "token list: header with name, role, created, last use, expiry" \
	grep -qE '^name +role +created_ms +last_used_ms +expires_ms +expired' "$T/tl"
check "token list shows the daemon-made tokens and the new one" sh -c "grep -q '^ops ' '$T/tl' && grep -q '^viewer ' '$T/tl' && grep -q '^shortlived ' '$T/tl'"
check "token list holds no secret" sh -c "! grep -q 'rgw_' '$T/tl'"
check "token list shows when a token was last used" grep -qE '^shortlived +ro +20[0-9-]+T[0-9:]+Z +20[0-9-]+T' "$T/tl"
expired_now() {
	RGW_API_TOKEN=$short "${C[@]}" zone list > /dev/null 2> "$T/exp.err"
	[ $? = 1 ] && grep -q "401 unauthorized: token 'shortlived' has expired" "$T/exp.err"
}
check "past its expiry the token is refused as expired" poll 15 expired_now
"${C[@]}" --json token list > "$T/tl.json"
check "token list --json marks it expired" sh -c "jq -e '.items[] | select(.name == \"shortlived\") | .expired == true' '$T/tl.json' > /dev/null"
check "--json output ends with a newline" sh -c "tail -c 1 '$T/tl.json' | od -An -c | grep -q '\\\\n'"
"${C[@]}" token add deleteme > "$T/tok2" 2>&1
del=$(sed -n 's/^secret *//p' "$T/tok2")
check "token add default role is rw" grep -qE '^role +rw' "$T/tok2"
"${C[@]}" token del deleteme > /dev/null
RGW_API_TOKEN=$del "${C[@]}" zone list > /dev/null 2>&1
check "a token revoked by name is refused at once" test $? = 1
"$RGWD" -c "$T/rgw.conf" --new-token x --expires soon > "$T/nt.out" 2>&1
check "rgwd --new-token --expires refuses a bad duration (exit 2)" test $? = 2
check "... saying what a duration is" grep -q 'duration such as' "$T/nt.out"

# --- readable output: nested values, rounded reals
"${C[@]}" host show test.gwa.demo > "$T/show" 2>&1
check "host show prints nested services as a table" sh -c "grep -q '^services:' '$T/show' && grep -qE '^  binding_timeout_ms +fqdn +port +protocol' '$T/show' && grep -qE '^  2000 +ssh.test.gwa.demo +22 +tcp' '$T/show'"
check "host show prints no raw JSON" sh -c "! grep -q '[{}]' '$T/show'"
"${C[@]}" raw POST /api/v1/resolver-groups '{"name":"round","initial_reputation":0.85,"nodes":["198.51.100.0/24"]}' > /dev/null
"${C[@]}" reputation --kind resolver_group > "$T/rep" 2>&1
check "reals rounded in tables (0.85, not 0.8499999...)" sh -c "grep -qE '^resolver_group +round +0\\.85 +0\\.85 ' '$T/rep' && ! grep -q '0\\.849999' '$T/rep'"
"${C[@]}" status > "$T/status" 2>&1
check "status prints nested counters indented" grep -qE '^  [a-z_]+ +[0-9]' "$T/status"

# --- timeouts: a server that accepts and never answers
SLOW=$(free_port)
/usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $SLOW)); s.listen(4)
c = [s.accept() for _ in range(1)]; time.sleep(30)" &
slow=$!
at_exit "kill -9 $slow"
poll 5 sh -c "ss -ltn | grep -q ':$SLOW '"
start=$SECONDS
env HOME="$T/nohome" "$RGWCTL" --url "http://127.0.0.1:$SLOW" --timeout 2 status > /dev/null 2> "$T/slow.err"
rc=$?
check "--timeout: a silent server ends the request (exit 3)" test "$rc" = 3
check "... within the timeout (took $((SECONDS - start)) s)" test $((SECONDS - start)) -le 6
check "... saying it timed out" grep -qi 'timed out\|timeout' "$T/slow.err"

# --- plain HTTP stays on loopback: the token never crosses a network in clear
env HOME="$T/nohome" RGW_API_URL=http://192.0.2.1:8080 "$RGWCTL" --timeout 3 status > /dev/null 2> "$T/plain.err"
check "plain HTTP to a non-loopback address refused (exit 3)" test $? = 3
check "... saying why" grep -q 'plain HTTP is refused' "$T/plain.err"

# --- a client certificate, to a TLS front end that requires one (openssl s_server)
FRONT=$(free_port)
openssl s_server -accept "127.0.0.1:$FRONT" -cert "$T/srv.pem" -key "$T/srv.key" -CAfile "$T/ca.pem" \
	-Verify 1 -verify_return_error -www > "$T/s_server.log" 2>&1 &
front=$!
at_exit "kill -9 $front"
poll 5 sh -c "ss -ltn | grep -q ':$FRONT '"
env HOME="$T/nohome" "$RGWCTL" --url "https://127.0.0.1:$FRONT" --cacert "$T/ca.pem" \
	--cert "$T/cl.pem" --key "$T/cl.key" raw GET / > "$T/front" 2>&1
check "--cert/--key: the front end received the client certificate" grep -q 'Subject: CN *= *operator' "$T/front"
env HOME="$T/nohome" "$RGWCTL" --url "https://127.0.0.1:$FRONT" --cacert "$T/ca.pem" raw GET / > /dev/null 2>&1
check "without --cert the front end refuses the handshake (exit 3)" test $? = 3

api_stop
check "clean shutdown" test "$RC" = 0
summary
