#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/bench/alg_idle.py -- open N connections through a proxy, each sending a ClientHello
# for `name` so that the proxy relays it to the backend, then hold them idle; from source
# address `src` when given (many processes, each from its own address, reach past one
# address's ephemeral ports and one process's descriptor limit).
# Prints "open N" once all are established and the backend answered, then waits for stdin EOF.
import os, selectors, socket, struct, sys, time

port, n, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
src = sys.argv[4] if len(sys.argv) > 4 else None

def hello():
    sni = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    ext = sni + struct.pack("!HH", 10, 4) + b"\x00\x02\x00\x1d"
    ext += struct.pack("!HH", 11, 2) + b"\x01\x00"
    ext += struct.pack("!HH", 13, 8) + b"\x00\x06\x08\x04\x04\x01\x04\x03"
    ext += struct.pack("!HH", 43, 5) + b"\x04\x03\x04\x03\x03"
    ext += struct.pack("!HHHHH", 51, 38, 36, 0x1d, 32) + os.urandom(32)
    body = b"\x03\x03" + os.urandom(32) + b"\x00" + b"\x00\x06\x13\x01\xc0\x2f\xc0\x30\x01\x00"
    body += struct.pack("!H", len(ext)) + ext
    msg = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(msg)) + msg

socks, answered = [], 0
sel = selectors.DefaultSelector()
pending = 0
for i in range(n):
    s = socket.socket()
    if src:
        s.bind((src, 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    socks.append(s)
    sel.register(s, selectors.EVENT_WRITE, "w")
    pending += 1
    # keep the accept queues reasonable
    while pending > 500:
        for key, ev in sel.select(timeout=5):
            s2 = key.fileobj
            if key.data == "w":
                try:
                    s2.send(hello())
                    sel.modify(s2, selectors.EVENT_READ, "r")
                except OSError:
                    sel.unregister(s2); pending -= 1
            else:
                try:
                    d = s2.recv(65536)
                except OSError:
                    d = b""
                sel.unregister(s2); pending -= 1
                if d[:1] == b"\x16":
                    answered += 1
deadline = time.time() + 60
while pending > 0 and time.time() < deadline:
    for key, ev in sel.select(timeout=5):
        s2 = key.fileobj
        if key.data == "w":
            try:
                s2.send(hello())
                sel.modify(s2, selectors.EVENT_READ, "r")
            except OSError:
                sel.unregister(s2); pending -= 1
        else:
            try:
                d = s2.recv(65536)
            except OSError:
                d = b""
            sel.unregister(s2); pending -= 1
            if d[:1] == b"\x16":
                answered += 1
print("open %d" % answered, flush=True)
sys.stdin.read()
