#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/bench/dos_legit.py -- the legitimate clients of tests/bench/dos: N clients, each from
# its own loopback address and /24 (127.B.i.1), each doing one request at a time on a new connection
# for SECS s; prints "success S/A p50 P ms p99 Q ms" (a request that fails or takes more
# than 5 s counts as a failure).
#   http PORT HOST N SECS B     GET /small with Host: HOST, expects 200
#   dnstcp PORT N SECS B        SOA gwa.demo over TCP, expects an answer with our ID
#   dnsudp PORT N SECS B        the same over UDP (one datagram, 5 s to answer)
#   api PORT TOKEN N SECS B     GET /api/v1/status with the bearer TOKEN, expects 200
import socket, struct, sys, threading, time

def http_once(port, host, src, path="/small", extra=""):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n"
                   % (path, host, extra)).encode())
        buf = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        return buf.startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        s.close()

def dns_once(port, src, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"\x03gwa\x04demo\x00" + struct.pack("!HH", 6, 1)
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(struct.pack("!H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            d = s.recv(4096)
            if not d:
                return False
            buf += d
        return buf[2:4] == q[:2]
    except OSError:
        return False
    finally:
        s.close()

def dns_udp_once(port, src, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"\x03gwa\x04demo\x00" + struct.pack("!HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(5)
    try:
        s.sendto(q, ("127.0.0.1", port))
        return s.recv(4096)[:2] == q[:2]
    except OSError:
        return False
    finally:
        s.close()

def main():
    mode = sys.argv[1]
    if mode == "http":
        port, host, n, secs, b = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
        once = lambda src, i: http_once(port, host, src)
    elif mode == "api":
        port, tok, n, secs, b = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
        auth = "Authorization: Bearer %s\r\n" % tok
        once = lambda src, i: http_once(port, "127.0.0.1", src, "/api/v1/status", auth)
    else:
        port, n, secs, b = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
        one = dns_udp_once if mode == "dnsudp" else dns_once
        once = lambda src, i: one(port, src, i & 0xffff)
    end = time.monotonic() + secs
    res = []  # (ok, seconds)
    lock = threading.Lock()
    def client(i):
        src = "127.%d.%d.1" % (b, i)  # each client in its own /24
        k = 0
        while time.monotonic() < end:
            t0 = time.monotonic()
            ok = once(src, k)
            dt = time.monotonic() - t0
            with lock:
                res.append((ok and dt < 5, dt))
            k += 1
            if not ok:
                time.sleep(0.1)  # a refused client tries again shortly, as a browser would
    ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    good = sorted(dt for ok, dt in res if ok)
    p = lambda q: good[min(len(good) - 1, int(q * len(good)))] * 1000 if good else float("nan")
    print("success %d/%d p50 %.1f ms p99 %.1f ms max %.1f ms" % (len(good), len(res), p(0.5), p(0.99), good[-1] * 1000 if good else float("nan")))

main()
