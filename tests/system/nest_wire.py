#!/usr/bin/python3
# tests/system/nest_wire.py PCAP -- print the DNS queries of a capture, one line each:
# "SRC -> DST:PORT NAME TYPE [ECS a/n] [ECI addr proto P port N]", for t73_nested (the question
# the outer gateway asks the nested one, seen on the wire). scapy reads the capture; the DNS
# message is parsed here (scapy 2.5 mis-parses an option after ECS). Nothing is sent.
import struct
import sys

from scapy.all import IP, TCP, UDP, rdpcap

TYPES = {1: "A", 16: "TXT", 28: "AAAA", 33: "SRV"}


def name_at(m, off):
    labels = []
    while off < len(m):
        n = m[off]
        if n == 0:
            return ".".join(labels), off + 1
        if n & 0xC0:
            return ".".join(labels), off + 2  # queries from rgwd and dig are not compressed
        labels.append(m[off + 1:off + 1 + n].decode(errors="replace"))
        off += 1 + n
    raise ValueError("truncated name")


def describe(m):
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", m[:12])
    if flags & 0x8000 or qd != 1:
        return None
    name, off = name_at(m, 12)
    qtype = struct.unpack("!H", m[off:off + 2])[0]
    off += 4
    out = [name, TYPES.get(qtype, str(qtype))]
    for _ in range(an + ns + ar):
        _, off = name_at(m, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", m[off:off + 10])
        off += 10
        rdata = m[off:off + rdlen]
        off += rdlen
        if rtype != 41:
            continue
        p = 0
        while p + 4 <= len(rdata):
            code, olen = struct.unpack("!HH", rdata[p:p + 4])
            data = rdata[p + 4:p + 4 + olen]
            p += 4 + olen
            if code == 8 and len(data) >= 4:
                a = (data[4:] + b"\0" * 4)[:4]
                out.append(f"ECS {a[0]}.{a[1]}.{a[2]}.{a[3]}/{data[2]}")
            elif code == 0xFF01 and len(data) == 10:
                _, a1, a2, a3, a4, proto, port = struct.unpack("!HBBBBHH", data)
                out.append(f"ECI {a1}.{a2}.{a3}.{a4} proto {proto} port {port}")
            else:
                out.append(f"opt{code}")
    return " ".join(out)


for pkt in rdpcap(sys.argv[1]):
    if not pkt.haslayer(IP):
        continue
    if pkt.haslayer(UDP):
        msg, dport = bytes(pkt[UDP].payload), pkt[UDP].dport
    elif pkt.haslayer(TCP) and len(bytes(pkt[TCP].payload)) > 2:
        msg, dport = bytes(pkt[TCP].payload)[2:], pkt[TCP].dport
    else:
        continue
    try:
        d = describe(msg)
    except (ValueError, struct.error, IndexError):
        continue
    if d:
        print(f"{pkt[IP].src} -> {pkt[IP].dst}:{dport} {d}")
