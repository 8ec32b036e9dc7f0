#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/clients.py -- the resolver matrix's clients: N resolutions through one recursive
# resolver, from several client addresses, at random moments, each followed by a connection to
# the answered address, as an application on a dual-stack host does it.
#
#   clients.py --resolver ADDR --clients A,B,... --names NAME=HOST,... [--count 100]
#              [--span 20] [--port 2000] [--seed N]
#
# Each resolution is a stub resolver's: A and AAAA at once over UDP from the client's address,
# RD set, 2 s per try, 3 tries (the A answer decides; CNAME chains in the answer are followed).
# The connection goes from the same client address to the first A address, port --port; the
# echo server's reply names the host it reached, which must be NAME's HOST. Prints one JSON
# object per resolution, then one summary object:
#   {"summary": true, "count", "ok", "no_address", "refused", "timeout", "wrong_host", "error",
#    "resolve_p50_ms", "resolve_p95_ms"}
import argparse
import json
import random
import socket
import sys
import threading
import time

import dns.flags
import dns.message
import dns.query
import dns.rdatatype


def stub_query(resolver, src, name, rdtype, timeout, tries):
    q = dns.message.make_query(name, rdtype)
    q.flags |= dns.flags.RD
    for _ in range(tries):
        try:
            return dns.query.udp(q, resolver, timeout=timeout, source=src)
        except dns.exception.Timeout:
            continue
    return None


def addresses(resp, name):
    """The A addresses for name in an answer, following the CNAME chain."""
    if resp is None:
        return []
    want = dns.name.from_text(name).canonicalize()
    for _ in range(8):
        nxt = None
        for rrset in resp.answer:
            if rrset.name.canonicalize() != want:
                continue
            if rrset.rdtype == dns.rdatatype.A:
                return [r.address for r in rrset]
            if rrset.rdtype == dns.rdatatype.CNAME:
                nxt = list(rrset)[0].target.canonicalize()
        if nxt is None:
            return []
        want = nxt
    return []


def connect(addr, port, src, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((src, 0))
        s.connect((addr, port))
        s.sendall(b"hello\n")
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return "open", buf.decode(errors="replace").split("\n")[0]
    except ConnectionRefusedError:
        return "refused", ""
    except (socket.timeout, TimeoutError):
        return "timeout", ""
    except OSError as e:
        return "error", str(e)
    finally:
        s.close()


def one(ev, a, out, lock):
    t0 = time.monotonic()
    res = {}

    def ask(rdtype):
        res[rdtype] = stub_query(a.resolver, ev["client"], ev["name"], rdtype, 2.0, 3)

    t6 = threading.Thread(target=ask, args=(dns.rdatatype.AAAA,))
    t6.start()
    ask(dns.rdatatype.A)
    ms = (time.monotonic() - t0) * 1000.0
    addrs = addresses(res.get(dns.rdatatype.A), ev["name"])
    ev["resolve_ms"] = round(ms, 1)
    if not addrs:
        ev["outcome"] = "no_address"
        ev["rcode"] = (res.get(dns.rdatatype.A).rcode()
                       if res.get(dns.rdatatype.A) is not None else None)
    else:
        ev["addr"] = addrs[0]
        how, line = connect(addrs[0], a.port, ev["client"], 3.0)
        if how == "open":
            ev["outcome"] = "ok" if line.startswith(ev["host"] + " ") else "wrong_host"
            ev["reply"] = line
        else:
            ev["outcome"] = how
            if line:
                ev["reply"] = line
    t6.join()
    with lock:
        out.append(ev)
        print(json.dumps(ev), flush=True)


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser(description="resolver matrix clients")
    ap.add_argument("--resolver", required=True)
    ap.add_argument("--clients", required=True)
    ap.add_argument("--names", required=True, help="NAME=HOST,...")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--span", type=float, default=20.0)
    ap.add_argument("--port", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    clients = a.clients.split(",")
    names = [tuple(x.split("=", 1)) for x in a.names.split(",")]
    events = []
    for _ in range(a.count):
        name, host = rnd.choice(names)
        events.append({"at": round(rnd.uniform(0, a.span), 3), "client": rnd.choice(clients),
                       "name": name, "host": host})
    events.sort(key=lambda e: e["at"])
    out, lock, threads = [], threading.Lock(), []
    start = time.monotonic()
    for ev in events:
        delay = start + ev["at"] - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        th = threading.Thread(target=one, args=(ev, a, out, lock))
        th.start()
        threads.append(th)
    for th in threads:
        th.join()
    ms = [e["resolve_ms"] for e in out if "addr" in e]
    s = {"summary": True, "count": len(out),
         "resolve_p50_ms": pct(ms, 50), "resolve_p95_ms": pct(ms, 95)}
    for k in ("ok", "no_address", "refused", "timeout", "wrong_host", "error"):
        s[k] = sum(1 for e in out if e["outcome"] == k)
    print(json.dumps(s), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
