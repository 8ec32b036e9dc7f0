#!/usr/bin/env python3
# tests/system/ha_stream.py -- a long TCP stream for the HA failover tests (a driver).
#   ha_stream.py serve ADDR PORT SECONDS   each connection gets a numbered line every 10 ms for
#                                          SECONDS, then the server closes it
#   ha_stream.py fetch ADDR PORT SECONDS [READY_FILE]
#                                          connect, read until the server closes; READY_FILE is
#                                          created once the first line arrived. Prints one JSON
#                                          line: lines, first, last, missing (numbers skipped),
#                                          max_gap_ms (longest silence), end (eof, reset, timeout),
#                                          end_ms (wall clock at the end)
# Environment: HA_HTTP_HOST=NAME makes fetch send an HTTP request for NAME first (through the
# ALG); HA_IDLE=SECONDS bounds the silence fetch waits through (default SECONDS + 30).
# Exit 0 when the stream ended at EOF with every line in order.
import json, os, socket, sys, threading, time

mode, addr, port, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

def feed(c):
    try:
        n, t_end = 0, time.monotonic() + secs
        while time.monotonic() < t_end:
            c.sendall(b"%08d %s\n" % (n, b"x" * 100))
            n += 1
            time.sleep(0.01)
        c.sendall(b"END %d\n" % n)
        c.shutdown(socket.SHUT_WR)
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()

if mode == "serve":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=feed, args=(c,), daemon=True).start()

ready = sys.argv[5] if len(sys.argv) > 5 else None
c = socket.create_connection((addr, port), timeout=5)
c.settimeout(float(os.environ.get("HA_IDLE", secs + 30)))
if os.environ.get("HA_HTTP_HOST"):
    c.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % os.environ["HA_HTTP_HOST"].encode())
buf, lines, expect, missing, max_gap, end, total = b"", 0, 0, 0, 0.0, "timeout", None
last = time.monotonic()
try:
    while True:
        d = c.recv(65536)
        now = time.monotonic()
        if not d:
            end = "eof"
            break
        max_gap = max(max_gap, now - last)
        last = now
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.startswith(b"END "):
                total = int(line.split()[1])
                continue
            n = int(line.split()[0])
            if n != expect:
                missing += abs(n - expect)
            expect = n + 1
            lines += 1
            if lines == 1 and ready:
                open(ready, "w").close()
except (ConnectionResetError, BrokenPipeError):
    end = "reset"
except socket.timeout:
    end = "timeout"
print(json.dumps({"lines": lines, "total": total, "missing": missing,
                  "max_gap_ms": round(max_gap * 1000), "end": end,
                  "end_ms": int(time.time() * 1000)}))
sys.exit(0 if end == "eof" and missing == 0 and total == lines else 1)
