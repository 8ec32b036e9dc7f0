#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tests/system/synflood.py -- spoofed TCP SYNs at DST:PORT (DST: one address, FIRST-LAST of
# one IPv4 /24, or a comma-separated list; round robin) until killed (or --seconds), from
# random sources inside 198.18.0.0/15 (IPv4) or 2001:2::/48 (IPv6; both benchmarking ranges: the
# test's gateway has no route back to them), each SYN with a source address and port of its own. Packets are built with
# scapy once per destination, then patched and sent from a raw socket at --rate at most.
# Prints the number sent at exit.
import argparse
import random
import signal
import socket
import struct
import sys
import time

from scapy.all import IP, TCP, IPv6, raw

ap = argparse.ArgumentParser()
ap.add_argument("dst")
ap.add_argument("port", type=int)
ap.add_argument("--seconds", type=float, default=30.0)
ap.add_argument("--rate", type=int, default=20000, help="SYNs per second at most")
a = ap.parse_args()

if "," in a.dst:
    dsts = a.dst.split(",")
elif "-" in a.dst:
    first, last = a.dst.split("-")
    base = first.rsplit(".", 1)[0]
    dsts = ["%s.%d" % (base, i) for i in range(int(first.rsplit(".", 1)[1]),
                                                 int(last.rsplit(".", 1)[1]) + 1)]
else:
    dsts = [a.dst]
rnd = random.Random()
# One packet per destination built by scapy; every packet sent gets a source address and
# port of its own (patched in, the TCP checksum updated incrementally, RFC 1624; the kernel
# fills the IP checksum of a raw IPPROTO_RAW packet), so that no two SYNs are alike and no
# memory of rejected packets can recognise a repeated one.
templates = []
V6 = ":" in dsts[0]
# patched 16-bit words: (offset, value in the template) -- the source address's varying words,
# then the source port; the TCP checksum's offset
if V6:
    WORDS, CSUM = ((14, 0x0000), (22, 0x0001), (40, 1024)), 56
else:
    WORDS, CSUM = ((12, 0xC612), (14, 0x0001), (20, 1024)), 36
for dst in dsts:
    l3 = IPv6(src="2001:2::1", dst=dst) if V6 else IP(src="198.18.0.1", dst=dst, id=0)
    b = bytearray(raw(l3 / TCP(sport=1024, dport=a.port, flags="S",
                               seq=rnd.randrange(1 << 32), window=64240)))
    templates.append((dst, b, struct.unpack_from("!H", b, CSUM)[0]))


def csum_add(x, y):
    x += y
    return (x & 0xFFFF) + (x >> 16)


def packet(i):
    dst, b, c0 = templates[i % len(templates)]
    if V6:
        new = (rnd.randrange(1 << 16), 1 + rnd.randrange(0xFFFE))
    else:
        new = (0xC612 + rnd.randrange(2),  # 198.18 or 198.19
               rnd.randrange(256) << 8 | (1 + rnd.randrange(254)))
    new = new + (1024 + rnd.randrange(60000),)
    c = (~c0) & 0xFFFF
    for (off, old), val in zip(WORDS, new):
        c = csum_add(c, (~old) & 0xFFFF)
        c = csum_add(c, val)
        struct.pack_into("!H", b, off, val)
    c = csum_add(c, 0)
    struct.pack_into("!H", b, CSUM, (~c) & 0xFFFF)
    return dst, bytes(b)


s = socket.socket(socket.AF_INET6 if V6 else socket.AF_INET, socket.SOCK_RAW,
                  socket.IPPROTO_RAW)
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
            d, p = packet(sent)
            s.sendto(p, (d, 0))
        except OSError:
            pass
        sent += 1
    ahead = sent / a.rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
print(sent)
sys.stdout.flush()
