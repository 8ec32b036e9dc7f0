#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tests/system/spoof6.py -- one IPv6 packet with a source address of the caller's choosing,
# built with scapy and sent from a raw socket (the kernel routes it by its destination):
#   spoof6.py udp SRC DST DPORT TEXT SPORT   a UDP datagram from SRC:SPORT
#   spoof6.py ptb SRC DST MTU ISRC IDST ISPORT IDPORT
#                                            an ICMPv6 packet-too-big from SRC to DST quoting
#                                            a UDP datagram ISRC:ISPORT -> IDST:IDPORT
import socket
import sys

from scapy.all import UDP, ICMPv6PacketTooBig, IPv6, Raw, raw

a = sys.argv[1:]
if a[0] == "udp":
    pkt = IPv6(src=a[1], dst=a[2]) / UDP(sport=int(a[5]), dport=int(a[3])) / Raw(a[4].encode())
elif a[0] == "ptb":
    quoted = IPv6(src=a[4], dst=a[5]) / UDP(sport=int(a[6]), dport=int(a[7])) / Raw(b"x" * 1400)
    pkt = IPv6(src=a[1], dst=a[2]) / ICMPv6PacketTooBig(mtu=int(a[3])) / raw(quoted)[:1232]
else:
    sys.exit("usage: spoof6.py udp|ptb ...")
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(raw(pkt), (a[2], 0))
