#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tests/system/synflood.py -- spoofed TCP SYNs at DST:PORT (DST: one address or FIRST-LAST of
# one /24, round robin) until killed (or --seconds), from
# random sources inside 198.18.0.0/15 (the benchmarking range; the test's gateway has no route
# back to it). Packets are built with scapy once, then sent from a raw socket as fast as the
# interval allows. Prints the number sent at exit.
import argparse
import random
import signal
import socket
import sys
import time

from scapy.all import IP, TCP, raw

ap = argparse.ArgumentParser()
ap.add_argument("dst")
ap.add_argument("port", type=int)
ap.add_argument("--seconds", type=float, default=30.0)
ap.add_argument("--rate", type=int, default=20000, help="SYNs per second at most")
a = ap.parse_args()

if "-" in a.dst:
    first, last = a.dst.split("-")
    base = first.rsplit(".", 1)[0]
    dsts = ["%s.%d" % (base, i) for i in range(int(first.rsplit(".", 1)[1]),
                                                 int(last.rsplit(".", 1)[1]) + 1)]
else:
    dsts = [a.dst]
rnd = random.Random()
pkts = []
for i in range(4096):
    dst = dsts[i % len(dsts)]
    src = "198.%d.%d.%d" % (18 + rnd.randrange(2), rnd.randrange(256), 1 + rnd.randrange(254))
    pkts.append((dst, raw(IP(src=src, dst=dst, id=rnd.randrange(65536)) /
                    TCP(sport=1024 + rnd.randrange(60000), dport=a.port, flags="S",
                        seq=rnd.randrange(1 << 32), window=64240))))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sent = 0
stop = False


def on_term(signo, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
end = time.monotonic() + a.seconds
start = time.monotonic()
batch = max(1, a.rate // 200)
while not stop and time.monotonic() < end:
    for _ in range(batch):
        try:
            d, p = pkts[sent % len(pkts)]
            s.sendto(p, (d, 0))
        except OSError:
            pass
        sent += 1
    ahead = sent / a.rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
print(sent)
sys.stdout.flush()
