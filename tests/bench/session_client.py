#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/bench/session_client.py -- issue session names over the rgwd API and time them.
#
#   session_client.py issue URL TOKEN TENANT SERVICE N PROCS
#       N names issued by PROCS processes, each on one keep-alive connection, as fast as
#       the server answers: prints "issued N in S s: R/s, failed F".
#   session_client.py resolvable URL TOKEN TENANT SERVICE N DNSPORT RATE
#       N names, one every 1/RATE s: each timed from the POST until its A query over UDP
#       to 127.0.0.1:DNSPORT answers NOERROR with an address (first try, no retry); prints
#       "p50 X p99 Y max Z ms, unresolved U".
import http.client
import json
import multiprocessing
import socket
import struct
import sys
import time


def post(conn, path, body, token):
    conn.request("POST", path, body, {"Authorization": "Bearer " + token,
                                      "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def a_query(sock, name, dport, qid):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    sock.sendto(q, ("127.0.0.1", dport))
    while True:
        a = sock.recv(4096)
        rid, flags, _, an = struct.unpack(">HHHH", a[:8])
        if rid == qid:
            return (flags & 0xF) == 0 and an > 0


def issuer(args):
    url, token, path, body, n = args
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    bad = 0
    for _ in range(n):
        st, _ = post(conn, path, body, token)
        if st != 201:
            bad += 1
    return bad


def main():
    mode, url, token, tenant, service, n = sys.argv[1:7]
    n = int(n)
    path = "/api/v1/tenants/%s/sessions" % tenant
    body = json.dumps({"service": service, "ttl": 3600})
    if mode == "issue":
        procs = int(sys.argv[7])
        per = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
        t0 = time.perf_counter()
        with multiprocessing.Pool(procs) as p:
            bad = sum(p.map(issuer, [(url, token, path, body, k) for k in per]))
        dt = time.perf_counter() - t0
        print("issued %d in %.2f s: %.0f/s, failed %d" % (n, dt, n / dt, bad))
        return 1 if bad else 0
    dport, rate = int(sys.argv[7]), float(sys.argv[8])
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    lat, unresolved = [], 0
    nxt = time.perf_counter()
    for i in range(n):
        nxt += 1.0 / rate
        t0 = time.perf_counter()
        st, data = post(conn, path, body, token)
        ok = False
        if st == 201:
            try:
                ok = a_query(sock, json.loads(data)["name"], dport, i & 0xFFFF)
            except OSError:
                ok = False
        t1 = time.perf_counter()
        if ok:
            lat.append((t1 - t0) * 1000)
        else:
            unresolved += 1
        d = nxt - time.perf_counter()
        if d > 0:
            time.sleep(d)
    lat.sort()
    if not lat:
        print("p50 - p99 - max - ms, unresolved %d" % unresolved)
        return 1
    print("p50 %.2f p99 %.2f max %.2f ms, unresolved %d" % (
        lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], lat[-1], unresolved))
    return 1 if unresolved else 0


sys.exit(main())
