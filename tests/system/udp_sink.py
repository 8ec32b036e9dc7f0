#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tests/system/udp_sink.py -- receive UDP datagrams on [::]:PORT and append "SOURCE TEXT" per
# datagram to FILE (flushed at once) until killed.
import socket
import sys

port, path = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
with open(path, "a") as f:
    print("listening", file=f, flush=True)
    while True:
        data, peer = s.recvfrom(2048)
        print(peer[0], data.decode(errors="replace"), file=f, flush=True)
