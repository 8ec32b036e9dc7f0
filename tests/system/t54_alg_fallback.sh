#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t54_alg_fallback.sh -- the ALG relays through userspace buffers where splice(2)
# cannot be used: splice refused by a real seccomp filter (EINVAL, ENOSYS), `splice = no`,
# and no pipe available (file descriptor limit lowered under a running daemon). Real nginx
# backends, real curl clients, every transfer checked with sha256.
. "$(dirname "$0")/alg_lib.sh"

NOSPLICE=$ROOT/$BUILD/tests/sys/nosplice
[ -x "$NOSPLICE" ] || { echo "missing $NOSPLICE (make $BUILD/tests/sys/nosplice)"; echo "0 passed, 1 failed"; exit 1; }

read -r L443 L80 SA UP <<<"$(free_ports 4)"
make_cert a.alg.test
head -c 1048576 /dev/urandom > "$T/1m.bin"
head -c 104857600 /dev/urandom > "$T/100m.bin"
cat > "$T/nginx.body" <<NGX
	server { listen 127.0.0.1:$SA ssl; ssl_certificate $T/a.alg.test.crt;
		ssl_certificate_key $T/a.alg.test.key; root $T;
		location = / { return 200 "tls-a\n"; } }
NGX
start_nginx || exit 1
start_upload_backend "$UP"
cat > "$T/bundle.json" <<JSON
{"version": 1, "alg_routes": [
 {"hostname": "a.alg.test", "port": $L443, "backend": "127.0.0.1:$SA", "preserve": "none"},
 {"hostname": "up.alg.test", "port": $L80, "backend": "127.0.0.1:$UP", "preserve": "none"}
]}
JSON
R="--resolve a.alg.test:$L443:127.0.0.1"
C="curl -s --max-time 60 --cacert $T/a.alg.test.crt $R"
SUM1=$(sha256sum < "$T/1m.bin")
SUM100=$(sha256sum < "$T/100m.bin")

stop_rgwd() {
	kill "$RGWD_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$RGWD_PID" 2>/dev/null || break; sleep 0.1; done
}

transfers() { # label
	check "$1: HTTPS by SNI, backend certificate verified end to end" \
		[ "$($C https://a.alg.test:$L443/)" = tls-a ]
	check "$1: 1 MiB download intact" \
		[ "$($C https://a.alg.test:$L443/1m.bin | sha256sum)" = "$SUM1" ]
	check "$1: 100 MiB download intact" \
		[ "$($C https://a.alg.test:$L443/100m.bin | sha256sum)" = "$SUM100" ]
	check "$1: 1 MiB upload intact, half-close reaches the backend" \
		[ "$(python3 $CLIENT upload $L80 up.alg.test 1048576)" = "upload ok" ]
	check "$1: 100 MiB upload intact with half-close" \
		[ "$(python3 $CLIENT upload $L80 up.alg.test 104857600)" = "upload ok" ]
}

CONF="listen = 127.0.0.1:$L443, 127.0.0.1:$L80
workers = 2"

# --- 1. splice refused with EINVAL by a seccomp filter
RGWD_WRAP="$NOSPLICE EINVAL" start_rgwd "$CONF" || exit 1
transfers "seccomp EINVAL"
check "seccomp EINVAL: 30 parallel 1 MiB downloads intact" \
	[ "$(parallel_sha 30 "$SUM1" $C https://a.alg.test:$L443/1m.bin)" = 30 ]
check "seccomp EINVAL: the fallback is logged" \
	grep -q "splice(2) refused (Invalid argument): relaying through userspace buffers" "$T/rgwd.log"
check "seccomp EINVAL: access log counts the bytes (100 MiB upload)" \
	grep -q "name=up.alg.test .*up=1048576[0-9][0-9] .*outcome=ok" "$T/rgwd.log"
check "seccomp EINVAL: daemon alive" alive
stop_rgwd

# --- 2. splice refused with ENOSYS (a kernel or sandbox without it)
# (and the access log limited to what did not end ok)
RGWD_WRAP="$NOSPLICE ENOSYS" start_rgwd "$CONF
access_log_ok = no" || exit 1
check "seccomp ENOSYS: 100 MiB download intact" \
	[ "$($C https://a.alg.test:$L443/100m.bin | sha256sum)" = "$SUM100" ]
check "seccomp ENOSYS: 1 MiB upload intact with half-close" \
	[ "$(python3 $CLIENT upload $L80 up.alg.test 1048576)" = "upload ok" ]
check "seccomp ENOSYS: the fallback is logged" \
	grep -q "splice(2) refused (Function not implemented)" "$T/rgwd.log"
timeout 5 openssl s_client -connect 127.0.0.1:$L443 -servername nope.alg.test </dev/null >/dev/null 2>&1
check "access_log_ok = no: a refused connection is logged" \
	grep -q "alg: client=127.0.0.1:[0-9]* port=$L443 proto=tls name=nope.alg.test .*outcome=unknown-name" "$T/rgwd.log"
check "access_log_ok = no: connections that ended ok are not" not grep -q "outcome=ok" "$T/rgwd.log"
stop_rgwd

# --- 3. splice = no: buffers from the start; under the same filter, any splice call would
# be refused and logged, so the absence of the warning shows that none was made
RGWD_WRAP="$NOSPLICE EINVAL" start_rgwd "$CONF
splice = no" || exit 1
transfers "splice = no"
check "splice = no: splice(2) never called" not grep -q "splice(2) refused" "$T/rgwd.log"
stop_rgwd

# --- 4. no pipe: the file descriptor limit of the running daemon leaves room for the
# sockets of every connection and the pipes already pooled, no more. The backend holds its
# answers until all N connections are up (so every socket exists before any pipe is needed),
# then sends 32 MiB to each; slow readers keep bytes in flight, so pipes would be held.
head -c 33554432 /dev/urandom > "$T/32m.bin"
SUM32=$(sha256sum < "$T/32m.bin")
N=8
cat > "$T/gate.py" <<'PY'
import socket, sys, threading
port, n, path, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
data = open(path, "rb").read()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(64)
open(ready, "w").close()
while True:
    conns = []
    while len(conns) < n:
        c, _ = ls.accept()
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += c.recv(4096)
        conns.append(c)
    def send(c):
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
        c.close()
    for c in conns:
        threading.Thread(target=send, args=(c,)).start()
PY
read -r GATE <<<"$(free_ports 1)"
python3 "$T/gate.py" "$GATE" "$N" "$T/32m.bin" "$T/gate.ready" &
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -e "$T/gate.ready" ] && break; sleep 0.1; done
sed -i "s|^]}|,{\"hostname\": \"dl.alg.test\", \"port\": $L80, \"backend\": \"127.0.0.1:$GATE\", \"preserve\": \"none\"}\n]}|" "$T/bundle.json"
start_rgwd "$CONF" || exit 1
check "pipes: baseline download with splice" \
	[ "$($C https://a.alg.test:$L443/1m.bin | sha256sum)" = "$SUM1" ]
base=$(ls /proc/$RGWD_PID/fd | wc -l)
lim=$((base + 2 * N))
prlimit --pid "$RGWD_PID" --nofile=$lim:$lim
check "pipes: $N slow parallel 32 MiB downloads intact under a $lim-fd limit" \
	[ "$(parallel_sha $N "$SUM32" curl -s --max-time 60 --limit-rate 8M -H 'Host: dl.alg.test' \
		http://127.0.0.1:$L80/)" = $N ]
check "pipes: connections without a pipe fell back to buffers (logged)" \
	grep -q "no pipe for splice (Too many open files): relaying through buffers" "$T/rgwd.log"
check "pipes: daemon alive" alive
finish
