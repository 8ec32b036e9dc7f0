#!/bin/bash
# tests/system/t45_dns_tcp_limits.sh -- TCP limits: queries per connection, the connection cap
# (further clients wait in the backlog until a connection closes), reset mid-query.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"

P=$(free_port)
dns_bundle "$T/bundle.json" false false
dns_conf "$T/rgw.conf" <<CONF
wan = 127.0.0.1:$P
tcp_idle_timeout = 1000
tcp_max_connections = 2
tcp_max_queries = 3
CONF
dns_start "$T/rgw.conf" || { fail "rgwd starts"; summary; }

out=$(python3 - "$P" <<'PY'
import socket, struct, sys, time
P = int(sys.argv[1])
def q(i):
    m = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + b"\x03gwa\x04demo\x00" + struct.pack("!HH", 6, 1)
    return struct.pack("!H", len(m)) + m
# 1. five pipelined queries, cap 3: three answers, then the server closes
s = socket.create_connection(("127.0.0.1", P))
s.sendall(b"".join(q(i) for i in range(5)))
s.settimeout(3)
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
n, p = 0, 0
while p + 2 <= len(buf):
    p += 2 + struct.unpack("!H", buf[p:p + 2])[0]
    n += 1
print("capped answers", n)
# 2. two silent connections fill the cap; a third client waits until the idle timeout (1 s,
# counted from their accept, which follows t) frees one: it cannot be served before t + 1 s
t = time.monotonic()
a = socket.create_connection(("127.0.0.1", P))
b = socket.create_connection(("127.0.0.1", P))
c = socket.create_connection(("127.0.0.1", P))
c.sendall(q(9))
c.settimeout(20)
r = c.recv(2)
print("third client waited %.2f, got %d bytes" % (time.monotonic() - t, len(r)))
# 3. a reset in the middle of a query
d = socket.create_connection(("127.0.0.1", P))
d.send(q(1)[:7])
d.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
d.close()
PY
)
echo "$out"
check "query cap: 3 answers then close" grep -q "capped answers 3" <<<"$out"
w=$(sed -n 's/^third client waited \([0-9.]*\), got 2 bytes$/\1/p' <<<"$out")
check "connection cap: the third client is served, after the 1 s idle timeout (${w:-never}s)" \
	awk -v w="${w:-0}" 'BEGIN{ exit !(w >= 0.9) }'
check "still serving after a reset mid-query" \
	bash -c "dig +time=2 +tries=1 +tcp @127.0.0.1 -p $P gwa.demo SOA +short | grep -q hostmaster"
dns_stop
check "the cap and the idle closes were counted" grep -Eq "capped [1-9][0-9]* idle-closed [1-9]" "$T/rgwd.log"
summary
