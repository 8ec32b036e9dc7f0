#!/bin/bash
# tests/system/t45_dns_tcp_limits.sh -- TCP limits: queries per connection, the connection cap
# (a new client makes room by closing the connection idle the longest; the rest are closed at
# the idle timeout), reset mid-query.
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
# 2. two silent connections fill the cap; a third client is answered, because the one idle
# the longest (a: accepted first, the backlog is in connect order) is closed to make room;
# b is closed later, at the idle timeout
def closed(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True
a = socket.create_connection(("127.0.0.1", P))
b = socket.create_connection(("127.0.0.1", P))
a.settimeout(10)
b.settimeout(10)
c = socket.create_connection(("127.0.0.1", P))
c.sendall(q(9))
c.settimeout(20)
r = c.recv(2)
print("third client got %d bytes" % len(r))
print("oldest closed to make room:", closed(a, 10))
print("other closed at the idle timeout:", closed(b, 10))
# 3. a reset in the middle of a query
d = socket.create_connection(("127.0.0.1", P))
d.send(q(1)[:7])
d.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
d.close()
PY
)
echo "$out"
check "query cap: 3 answers then close" grep -q "capped answers 3" <<<"$out"
check "connection cap: the third client is served" grep -q "third client got 2 bytes" <<<"$out"
check "... the connection idle the longest made room" \
	grep -q "oldest closed to make room: True" <<<"$out"
check "... the other is closed at the idle timeout" \
	grep -q "other closed at the idle timeout: True" <<<"$out"
check "still serving after a reset mid-query" \
	bash -c "dig +time=2 +tries=1 +tcp @127.0.0.1 -p $P gwa.demo SOA +short | grep -q hostmaster"
dns_stop
check "the idle closes and the room made were counted" \
	grep -Eq "idle-closed [1-9][0-9]* evicted [1-9]" "$T/rgwd.log"
summary
