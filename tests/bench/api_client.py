#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/bench/api_client.py -- timed requests against the rgwd API (one keep-alive
# connection, the same client as spm_peer.py fetch, so that the two are comparable).
#
#   api_client.py fetch URL TOKEN N        GET /api/v1/bundle N times (policy unchanged)
#   api_client.py fetch-cold URL TOKEN N   N times: a small write, then the timed GET
#   api_client.py write URL TOKEN N        N host creations (POST, commit + apply), timed
#   api_client.py effect URL TOKEN N DNSPORT
#                                          N host creations, each timed until the name
#                                          answers in DNS (A query over UDP to 127.0.0.1)
#   api_client.py fw-effect URL TOKEN N HOST TABLE
#                                          N firewall rules added to HOST, each timed until
#                                          `nft monitor` shows it in the table TABLE (root,
#                                          run inside the daemon's network namespace); also
#                                          prints "answered_p50 X answered_p99 Y", the POST
#                                          alone (rgwd answers once the kernel took the rule)
# Prints "p50 X p99 Y" in milliseconds.
import http.client
import json
import selectors
import socket
import struct
import subprocess
import sys
import time

mode, url, token, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
host, port = url.split("//")[1].split(":")
conn = http.client.HTTPConnection(host, int(port), timeout=30)
H = {"Authorization": "Bearer " + token}


def req(method, path, body=None, expect=200):
    h = dict(H)
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body, h)
    r = conn.getresponse()
    data = r.read()
    if r.status != expect:
        sys.exit("%s %s: %d %s" % (method, path, r.status, data[:300]))
    return data


def dns_has(name, dport):
    q = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    try:
        s.sendto(q, ("127.0.0.1", dport))
        a = s.recv(4096)
    except OSError:
        return False
    finally:
        s.close()
    rcode = a[3] & 0xF
    ancount = struct.unpack(">H", a[6:8])[0]
    return rcode == 0 and ancount > 0


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


times = []
if mode == "fetch":
    req("GET", "/api/v1/bundle")
    for _ in range(n):
        t0 = time.perf_counter()
        req("GET", "/api/v1/bundle")
        times.append((time.perf_counter() - t0) * 1000)
elif mode == "fetch-cold":
    for i in range(n):
        req("PATCH", "/api/v1/hosts/host00.gwa.demo", {"comment": "round %d" % i})
        t0 = time.perf_counter()
        req("GET", "/api/v1/bundle")
        times.append((time.perf_counter() - t0) * 1000)
elif mode in ("write", "effect"):
    dport = int(sys.argv[5]) if mode == "effect" else 0
    for i in range(n):
        fqdn = "bench%d.gwa.demo" % i
        t0 = time.perf_counter()
        req("POST", "/api/v1/hosts", {"fqdn": fqdn, "ipv4": "192.168.%d.%d" % (
            100 + i // 200, 10 + i % 200)}, 201)
        if mode == "effect":
            while not dns_has(fqdn, dport):
                if time.perf_counter() - t0 > 5:
                    sys.exit("%s never answered in DNS" % fqdn)
        times.append((time.perf_counter() - t0) * 1000)
    for i in range(n):
        req("DELETE", "/api/v1/hosts/bench%d.gwa.demo" % i, expect=204)
elif mode == "fw-effect":
    fqdn, table = sys.argv[5], sys.argv[6]
    # The kernel reports every committed rule to `nft monitor` as it happens: the rule is in
    # the table when its line arrives.
    mon = subprocess.Popen(["nft", "monitor", "rules"], stdout=subprocess.PIPE)
    sel = selectors.DefaultSelector()
    sel.register(mon.stdout, selectors.EVENT_READ)
    pending = b""

    def seen(port, t0, limit):
        global pending
        want = ("add rule inet %s " % table).encode()
        tag = ("dport %d " % port).encode()
        while True:
            lines = pending.split(b"\n")
            pending = lines.pop()
            for line in lines:
                if line.startswith(want) and tag in line:
                    return True
            left = limit - (time.perf_counter() - t0)
            if left <= 0 or not sel.select(left):
                return False
            chunk = mon.stdout.read1(65536)
            if not chunk:
                return False
            pending += chunk

    def add(port, prio):
        r = json.loads(req("POST", "/api/v1/hosts/%s/firewall" % fqdn,
                           {"direction": "ingress", "protocol": "tcp", "dport": port,
                            "action": "accept", "priority": prio}, 201))
        ids.append(r["id"])

    ids = []
    answered = []
    try:
        # untimed rules until one shows: from then on the monitor listens
        for w in range(60):
            t0 = time.perf_counter()
            add(29000 + w, 4000 + w)
            if seen(29000 + w, t0, 1):
                break
        else:
            sys.exit("nft monitor never reported a rule of table %s" % table)
        for i in range(n):
            t0 = time.perf_counter()
            add(30000 + i, 5000 + i)
            answered.append((time.perf_counter() - t0) * 1000)
            if not seen(30000 + i, t0, 10):
                sys.exit("rule dport %d never showed in table %s" % (30000 + i, table))
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        mon.kill()
    for rid in ids:
        req("DELETE", "/api/v1/hosts/%s/firewall/%d" % (fqdn, rid), expect=204)
    print("p50 %.3f p99 %.3f answered_p50 %.3f answered_p99 %.3f" % (
        pct(times, 50), pct(times, 99), pct(answered, 50), pct(answered, 99)))
    sys.exit(0)
print("p50 %.3f p99 %.3f" % (pct(times, 50), pct(times, 99)))
