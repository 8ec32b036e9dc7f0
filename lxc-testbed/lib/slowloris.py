#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/slowloris.py -- slowloris-style and silent connections to the ALG, and when
# the server closes each of them.
#
#   slowloris.py --target ADDR --src ADDR [--slow 50] [--silent 50] [--duration 8]
#                [--interval 0.3] [--slow-port 80] [--silent-port 443] [--ready FILE]
#
# "slow" connections dribble a never-ending HTTP request header one byte at a time; "silent"
# ones send nothing. Prints one line:
#   "slow N closed C max S.SS silent M closed D max T.TT open K failed F"
# (C, D: closed by the server, with the latest close time in seconds after connecting;
# K: still open at the end; F: could not connect). Exit status 0; the caller decides.
import argparse
import selectors
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nX-a: " + b"b" * 4000


def main():
    ap = argparse.ArgumentParser(description="slowloris and silent connections")
    ap.add_argument("--target", required=True)
    ap.add_argument("--src", default=None)
    ap.add_argument("--slow", type=int, default=50)
    ap.add_argument("--silent", type=int, default=50)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--interval", type=float, default=0.3)
    ap.add_argument("--slow-port", type=int, default=80)
    ap.add_argument("--silent-port", type=int, default=443)
    ap.add_argument("--ready", default=None, help="file created once every connection is open")
    a = ap.parse_args()

    sel = selectors.DefaultSelector()
    conns = {}  # fd -> dict(kind, sock, t0, sent, closed_at)
    failed = 0
    for kind, n, port in (("slow", a.slow, a.slow_port), ("silent", a.silent, a.silent_port)):
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3)
            try:
                if a.src:
                    s.bind((a.src, 0))
                s.connect((a.target, port))
            except OSError:
                failed += 1
                s.close()
                continue
            s.setblocking(False)
            c = {"kind": kind, "sock": s, "t0": time.monotonic(), "sent": 0, "closed": None}
            conns[s.fileno()] = c
            sel.register(s, selectors.EVENT_READ, c)
    if a.ready:
        open(a.ready, "w").close()

    end = time.monotonic() + a.duration
    next_drip = time.monotonic()
    while time.monotonic() < end and any(c["closed"] is None for c in conns.values()):
        now = time.monotonic()
        if now >= next_drip:
            for c in conns.values():
                if c["kind"] != "slow" or c["closed"] is not None:
                    continue
                try:
                    c["sock"].send(REQUEST[c["sent"] % len(REQUEST):][:1])
                    c["sent"] += 1
                except OSError:
                    c["closed"] = now - c["t0"]
                    sel.unregister(c["sock"])
            next_drip = now + a.interval
        for key, _ in sel.select(timeout=min(0.05, max(0.0, end - now))):
            c = key.data
            try:
                data = c["sock"].recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                c["closed"] = time.monotonic() - c["t0"]
                sel.unregister(c["sock"])
    res = {}
    for kind in ("slow", "silent"):
        cs = [c for c in conns.values() if c["kind"] == kind]
        closed = [c["closed"] for c in cs if c["closed"] is not None]
        res[kind] = (len(cs), len(closed), max(closed) if closed else 0.0)
    still = sum(1 for c in conns.values() if c["closed"] is None)
    for c in conns.values():
        c["sock"].close()
    print(f"slow {res['slow'][0]} closed {res['slow'][1]} max {res['slow'][2]:.2f} "
          f"silent {res['silent'][0]} closed {res['silent'][1]} max {res['silent'][2]:.2f} "
          f"open {still} failed {failed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
