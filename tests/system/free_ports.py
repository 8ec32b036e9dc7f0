#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/system/free_ports.py [N] -- print N distinct ports free for TCP and UDP on 127.0.0.1.
#
# Chosen at random below the kernel's ephemeral range (ip_local_port_range): a port the kernel
# handed out as ephemeral goes back to the pool once released, and any outgoing connection on
# the machine (another test's curl) may take it as its local port before the test binds it
# again. Ports below the range are only ever taken by an explicit bind.
import random
import socket
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    lo = 32768
lo = max(lo, 2048)
first = max(1024, lo // 3)
out = []
for _ in range(2000):
    if len(out) == n:
        break
    p = random.randrange(first, lo)
    if p in out:
        continue
    t = socket.socket()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind(("127.0.0.1", p))
        u.bind(("127.0.0.1", p))
        out.append(p)
    except OSError:
        pass
    finally:
        t.close()
        u.close()
if len(out) < n:
    sys.exit("free_ports: no free port found")
print(" ".join(map(str, out)))
