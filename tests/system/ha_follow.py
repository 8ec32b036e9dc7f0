#!/usr/bin/env python3
# tests/system/ha_follow.py -- a driver for the HA system tests: write hosts over REST on one
# node and time until another node's DNS answers each of them (dnspython, real UDP queries).
# usage: ha_follow.py API_URL TOKEN DNS_ADDR DNS_PORT PREFIX N [FIRST_OCTET]
# Prints one JSON line: {"n", "written", "seen", "p50_ms", "p99_ms", "max_ms"}; exit 0 when
# every host was written and seen within 5 s. With HA_FOLLOW_DELAYS set, each delay (ms) is
# also appended to that file, one a line (tests/bench/ha_tls pools several runs).
import json, os, sys, time, urllib.request
import dns.message, dns.query, dns.rcode

url, tok, dns_addr, dns_port, prefix, n = sys.argv[1:7]
dns_port, n = int(dns_port), int(n)
first = int(sys.argv[7]) if len(sys.argv) > 7 else 1
delays, written = [], 0

def answers(name, ip):
    q = dns.message.make_query(name, "A")
    try:
        r = dns.query.udp(q, dns_addr, port=dns_port, timeout=0.2)
    except Exception:
        return False
    return any(ip in [x.address for x in rr] for rr in r.answer if rr.rdtype == 1)

for i in range(n):
    name = "%s%d.gwa.demo" % (prefix, i)
    ip = "192.168.%d.%d" % (first + i // 200, 10 + i % 200)
    body = json.dumps({"fqdn": name, "ipv4": ip}).encode()
    req = urllib.request.Request(url + "/api/v1/hosts", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + tok,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status != 201:
                continue
    except Exception as e:
        print("write %s failed: %s" % (name, e), file=sys.stderr)
        continue
    written += 1
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5:
        if answers(name, ip):
            delays.append((time.monotonic() - t0) * 1000)
            break
    else:
        print("%s not answered within 5 s: giving up" % name, file=sys.stderr)
        break

if os.environ.get("HA_FOLLOW_DELAYS"):
    with open(os.environ["HA_FOLLOW_DELAYS"], "a") as f:
        f.write("".join("%.2f\n" % d for d in delays))
delays.sort()
def pct(p):
    return round(delays[min(len(delays) - 1, int(len(delays) * p))], 1) if delays else None
print(json.dumps({"n": n, "written": written, "seen": len(delays), "p50_ms": pct(0.5),
                  "p99_ms": pct(0.99), "max_ms": round(delays[-1], 1) if delays else None}))
sys.exit(0 if written == n and len(delays) == n else 1)
