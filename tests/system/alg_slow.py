#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/system/alg_slow.py -- slow clients on a routed name for t57_alg_slow_clients: complete
# HTTP headers for a real route, then a request body trickled a byte at a time, from chosen
# loopback sources, each connection opened again shortly after the server closes it (keeps
# the ALG's table as full as it can); and a keep-alive client that idles between requests.
#
#   trickle PORT HOST SRCS N SECS EVERY   N connections from each of SRCS (comma-separated),
#                                         one body byte each every EVERY s, for SECS s;
#                                         prints "opened O closed C"
#   idle PORT SRCS N SECS                 N silent connections from each of SRCS, each opened
#                                         again shortly after the server closes it, for SECS
#                                         s; prints "opened O closed C"
#   burst PORT SRCS N SECS                the same opened once (one burst, never again)
#   keepalive PORT HOST SRC PATH FIFO     one connection: a request, then one more request
#                                         on the same connection each time a line arrives on
#                                         FIFO; prints "answer N: STATUS" per answer, "closed"
#                                         if the connection was closed under it
import selectors, signal, socket, sys, time

HEAD = "POST /sink HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n"


def trickle(port, head, srcs, n, secs, every, reopen=True):
    end = time.monotonic() + secs
    held = {}  # socket -> source
    due = {}   # (source, slot) -> when to open again
    for src in srcs:
        for i in range(n):
            due[(src, i)] = 0
    next_byte = time.monotonic() + every
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        loop(port, head, end, held, due, every, next_byte, reopen)
    finally:
        print("opened %d closed %d" % (stats[0], stats[1]), flush=True)


stats = [0, 0]  # opened, closed
SEL = selectors.DefaultSelector()  # epoll: thousands of sockets


def loop(port, head, end, held, due, every, next_byte, reopen):
    while time.monotonic() < end:
        now = time.monotonic()
        for key in [k for k, t in due.items() if t <= now]:
            try:
                s = socket.socket()
                s.bind((key[0], 0))
                s.settimeout(1)
                s.connect(("127.0.0.1", port))
                if head:
                    s.sendall(head)
                s.setblocking(False)
                held[s] = key
                SEL.register(s, selectors.EVENT_READ)
                del due[key]
                stats[0] += 1
            except OSError:
                due[key] = now + 0.2
        if now >= next_byte:
            for s in list(held):
                try:
                    s.send(b"x")
                except OSError:
                    pass
            next_byte = now + every
        r = [k.fileobj for k, _ in SEL.select(0.05)] if held else time.sleep(0.05) or []
        for s in r:
            try:
                gone = not s.recv(4096)
            except BlockingIOError:
                gone = False
            except OSError:
                gone = True
            if gone:
                key = held.pop(s)
                if reopen:
                    due[key] = time.monotonic() + 0.2
                SEL.unregister(s)
                s.close()
                stats[1] += 1


def read_answer(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        d = s.recv(65536)
        if not d:
            return None
        body += d
    return head.split(b" ")[1].decode()


def keepalive(port, host, src, path, fifo):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.settimeout(10)
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode()
    i = 0
    with open(fifo) as f:
        while True:
            try:
                s.sendall(req)
                st = read_answer(s)
            except OSError:
                st = None
            if st is None:
                print("closed", flush=True)
                return
            i += 1
            print("answer %d: %s" % (i, st), flush=True)
            if not f.readline():
                return


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "trickle":
        trickle(port, (HEAD % sys.argv[3]).encode(), sys.argv[4].split(","), int(sys.argv[5]),
                float(sys.argv[6]), float(sys.argv[7]))
    elif cmd in ("idle", "burst"):
        trickle(port, b"", sys.argv[3].split(","), int(sys.argv[4]), float(sys.argv[5]), 1e9,
                cmd == "idle")
    elif cmd == "keepalive":
        keepalive(port, sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])


main()
