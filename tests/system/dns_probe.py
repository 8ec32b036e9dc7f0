#!/usr/bin/env python3
# tests/system/dns_probe.py -- raw-socket DNS probes for the system tests (a driver, not a peer).
# usage: dns_probe.py PORT bytewise|silent|trickle|garbage|udpjunk|pipeline [args]
# Prints one result line; exit status 0 when the expectation holds.
import os, random, socket, struct, sys, time

PORT = int(sys.argv[1])
HOST = "127.0.0.1"

def qname(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"

def query(n, t=1, qid=0x4242):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname(n) + struct.pack("!HH", t, 1)

def frames(buf):
    out, p = [], 0
    while p + 2 <= len(buf):
        l = struct.unpack("!H", buf[p:p + 2])[0]
        if p + 2 + l > len(buf):
            break
        out.append(buf[p + 2:p + 2 + l])
        p += 2 + l
    return out

def read_frames(s, n, timeout=3):
    s.settimeout(timeout)
    buf = b""
    while len(frames(buf)) < n:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return frames(buf)

def summary(m):
    qid, fl, qd, an = struct.unpack("!HHHH", m[:8])
    return qid, fl & 0xF, an

cmd = sys.argv[2]
if cmd == "bytewise":
    # two pipelined queries written one byte at a time
    s = socket.create_connection((HOST, PORT))
    data = b"".join(struct.pack("!H", len(m)) + m
                    for m in (query("gwa.demo", 6, 1), query("www.test.gwa.demo", 1, 2)))
    for b in data:
        s.send(bytes([b]))
        time.sleep(0.002)
    got = [summary(m) for m in read_frames(s, 2)]
    print("bytewise:", got)
    sys.exit(0 if got == [(1, 0, 1), (2, 0, 1)] else 1)
elif cmd == "pipeline":
    # N queries in one segment, answers in order
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    s = socket.create_connection((HOST, PORT))
    s.sendall(b"".join(struct.pack("!H", len(m)) + m
                       for m in (query("gwa.demo", 6, i) for i in range(n))))
    got = [summary(m)[0] for m in read_frames(s, n)]
    print("pipeline: %d answers" % len(got))
    sys.exit(0 if got == list(range(n)) else 1)
elif cmd == "silent":
    # connect, send nothing: the server must close at its idle timeout (arg: max seconds)
    limit = float(sys.argv[3])
    s = socket.create_connection((HOST, PORT))
    s.settimeout(limit + 5)
    t = time.time()
    r = s.recv(10)
    dt = time.time() - t
    print("silent client closed after %.2f s (%r)" % (dt, r))
    sys.exit(0 if r == b"" and dt <= limit + 1 else 1)
elif cmd == "trickle":
    # one byte every 0.3 s: the message never completes within the idle timeout (arg: max s)
    limit = float(sys.argv[3])
    s = socket.create_connection((HOST, PORT))
    m = query("gwa.demo", 6, 3)
    data = struct.pack("!H", len(m)) + m
    t = time.time()
    closed = False
    for b in data:
        try:
            s.send(bytes([b]))
        except OSError:
            closed = True
            break
        s.settimeout(0.3)
        try:
            if s.recv(10) == b"":
                closed = True
                break
        except socket.timeout:
            pass
    dt = time.time() - t
    print("trickling client closed=%s after %.2f s" % (closed, dt))
    sys.exit(0 if closed and dt <= limit + 1 else 1)
elif cmd == "garbage":
    # a length prefix too short for a DNS header: closed without an answer
    s = socket.create_connection((HOST, PORT))
    s.send(b"\x00\x05hello")
    s.settimeout(5)
    r = s.recv(10)
    print("garbage: %r" % r)
    sys.exit(0 if r == b"" else 1)
elif cmd == "udpjunk":
    # random datagrams, truncated queries, compression loops: never a crash
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rnd = random.Random(7)
    good = query("ssh.test.gwa.demo", 33)
    pkts = [os.urandom(rnd.randint(0, 600)) for _ in range(300)]
    pkts += [good[:i] for i in range(len(good))]
    loop = bytearray(query("gwa.demo", 1))
    loop[10:12] = b"\x00\x01"
    at = len(loop)
    loop += bytes([0xC0, at]) + b"\x00" * 10
    pkts.append(bytes(loop))
    for p in pkts:
        u.sendto(p, (HOST, PORT))
    print("udpjunk: sent %d datagrams" % len(pkts))
    sys.exit(0)
else:
    sys.exit(2)
