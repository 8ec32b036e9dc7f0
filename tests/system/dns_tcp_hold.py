#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/system/dns_tcp_hold.py -- DNS-over-TCP connection drivers for t47_dns_tcp_fairness:
# silent connections from chosen loopback sources, what the server did with them, and real
# queries from other sources meanwhile.
#
#   hold PORT SRCS N [C]       N silent connections from each of SRCS (comma-separated):
#                              "kept K closed C" (closed at once: within 0.5 s, or as soon as
#                              C are closed, at most 5 s, then 0.3 s for any more)
#   flood PORT SRC RATE SECS K silent connections from SRC at RATE/s for SECS s, kept open
#                              until then; "opened N closed C" once all but K are closed (at
#                              most 5 s more), then 0.3 s for any more
#   idle PORT SRC LIMIT        one silent connection: "closed T" (s until the server closed it)
#                              or "open" after LIMIT s
#   keep PORT SRCS SECS        one silent connection from each of SRCS (comma-separated) for
#                              SECS s, opened again 0.2 s after the server closes it (keeps
#                              the table as full as it can)
#   queries PORT SRCBASE N     one TCP query from each of N sources SRCBASE.1..N (each in its
#                              own /24: 127.(SRCBASE+i).0.1), in parallel: "answered A of N"
import select, socket, struct, sys, threading, time

QUERY = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x03gwa\x04demo\x00" + struct.pack("!HH", 6, 1)


def conn(port, src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def closed_now(socks, wait, enough=None):
    """How many of socks the server has closed (EOF or reset) within `wait` s (or as soon as
    `enough` are)."""
    closed = set()
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        r, _, _ = select.select([s for s in socks if s not in closed], [], [], max(0, left))
        for s in r:
            try:
                if not s.recv(4096):
                    closed.add(s)
            except OSError:
                closed.add(s)
        if left <= 0 or len(closed) == len(socks) or (enough and len(closed) >= enough):
            return len(closed)


def query(port, src, out, i):
    try:
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(3)
        s.connect(("127.0.0.1", port))
        s.sendall(struct.pack("!H", len(QUERY)) + QUERY)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        out[i] = len(buf) > 14 and buf[2:4] == QUERY[:2]
        s.close()
    except OSError:
        out[i] = False


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "hold":
        srcs, n = sys.argv[3].split(","), int(sys.argv[4])
        want = int(sys.argv[5]) if len(sys.argv) > 5 else None
        socks = [conn(port, src) for src in srcs for _ in range(n)]
        c = closed_now(socks, 5 if want else 0.5, want)
        if want:
            c = closed_now(socks, 0.3)  # and no more than that
        print("kept %d closed %d" % (len(socks) - c, c))
    elif cmd == "flood":
        src, rate, secs = sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
        socks = []
        t0 = time.monotonic()
        n = int(rate * secs)
        for i in range(n):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                socks.append(conn(port, src))
            except OSError:
                pass
        keep = int(sys.argv[6])
        closed_now(socks, 5, len(socks) - keep)
        c = closed_now(socks, 0.3)
        print("opened %d closed %d" % (len(socks), c), flush=True)
    elif cmd == "idle":
        src, limit = sys.argv[3], float(sys.argv[4])
        s = conn(port, src)
        t0 = time.monotonic()
        c = closed_now([s], limit)
        print("closed %.2f" % (time.monotonic() - t0) if c else "open")
    elif cmd == "keep":
        srcs, secs = sys.argv[3].split(","), float(sys.argv[4])
        end = time.monotonic() + secs
        held = {}  # socket -> source
        due = {src: 0 for src in srcs}  # source -> when to open its connection again
        while time.monotonic() < end:
            now = time.monotonic()
            for src in [s for s, t in due.items() if t <= now]:
                try:
                    held[conn(port, src)] = src
                    del due[src]
                except OSError:
                    due[src] = now + 0.2
            r, _, _ = select.select(list(held), [], [], 0.05)
            for s in r:
                try:
                    gone = not s.recv(4096)
                except OSError:
                    gone = True
                if gone:
                    due[held.pop(s)] = time.monotonic() + 0.2  # back shortly
                    s.close()
    elif cmd == "queries":
        base, n = int(sys.argv[3]), int(sys.argv[4])
        out = [False] * n
        ts = [threading.Thread(target=query, args=(port, "127.%d.0.1" % (base + i), out, i))
              for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print("answered %d of %d" % (sum(out), n))


main()
