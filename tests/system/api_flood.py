#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/system/api_flood.py -- connection-level clients for t61b_api_flood: idle and trickling
# connections, many source addresses on 127.0.0.0/8, and what the server did to them.
import select, socket, sys, time


def conn(port, src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def closed_within(s, limit):
    """Seconds until the server closed s (EOF or reset), or None if still open at limit."""
    t0 = time.monotonic()
    while True:
        left = limit - (time.monotonic() - t0)
        if left <= 0:
            return None
        r, _, _ = select.select([s], [], [], left)
        if r:
            try:
                if not s.recv(4096):
                    return time.monotonic() - t0
            except OSError:
                return time.monotonic() - t0


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "per-source":
        # n connections from one address: how many the server closed at once (< 0.5 s)
        src, n = sys.argv[3], int(sys.argv[4])
        socks = [conn(port, src) for _ in range(n)]
        t0 = time.monotonic()
        shut = 0
        for s in socks:
            t = closed_within(s, max(0.01, 0.5 - (time.monotonic() - t0)))
            if t is not None:
                shut += 1
        print("held %d closed %d" % (n - shut, shut))
    elif cmd == "silent":
        # one connection that sends nothing, or a request head one byte every `step` s
        step = float(sys.argv[3]) if len(sys.argv) > 3 else 0
        s = conn(port, "127.0.0.1")
        t0 = time.monotonic()
        head = b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200 + b"\r\n\r\n"
        if step > 0:
            s.setblocking(False)
            for ch in head:
                try:
                    s.send(bytes([ch]))
                except OSError:
                    break
                t = closed_within(s, step)
                if t is not None:
                    break
        t = closed_within(s, 20 - (time.monotonic() - t0))
        print("closed %.2f" % (time.monotonic() - t0) if t is not None else "open")
    elif cmd == "flood":
        # n idle connections from addresses 127.0.N.1.., per_src each; keep them open until
        # stdin closes; print how many were open when told (a line on stdin)
        n, per_src = int(sys.argv[3]), int(sys.argv[4])
        socks = []
        for i in range(n):
            a = i // per_src
            try:
                socks.append(conn(port, "127.0.%d.%d" % (200 + a // 250, 1 + a % 250)))
            except OSError:
                pass
        print("opened %d" % len(socks), flush=True)
        sys.stdin.readline()
        r, _, _ = select.select(socks, [], [], 0)
        print("open %d" % (len(socks) - len(r)), flush=True)


main()
