#!/usr/bin/env python3
# tests/system/pbra_drive.py -- traffic for t70_pbra: legitimate clients behind an SLA
# resolver (query with ECS, follow TC and CNAME like a resolver, then connect within the
# binding time) and noise from another resolver (same queries, never connects). Runs inside
# the test's public namespace; prints one JSON line with the counts.
#
#   pbra_drive.py run SERVER QNAME LEGIT_RES CLIENT ECS NOISE_RES NOISE_PCT SECONDS RATE
#   pbra_drive.py spoof SERVER QNAME COUNT SRC...   (scapy: forged UDP queries, no replies read)
#   pbra_drive.py cluster SERVER QNAME RES_A RES_B CLIENT ECS   (alias from A asked by B, twice)
#   pbra_drive.py badopt SERVER QNAME SRC   (ECS/ECI with wrong lengths or families; rcodes)
import json
import random
import socket
import sys
import threading
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import dns.exception
import dns.rcode


def resolve(server, qname, src, ecs):
    """Resolve like a recursive resolver: UDP, TCP on TC, follow one CNAME. Returns an
    IPv4 address or None."""
    name = qname
    for _ in range(3):
        opts = [dns.edns.ECSOption(ecs[0], ecs[1])] if ecs else []
        q = dns.message.make_query(name, dns.rdatatype.A, use_edns=0, options=opts)
        q.flags &= ~dns.flags.RD
        try:
            r = dns.query.udp(q, server, timeout=0.6, source=src)
            if r.flags & dns.flags.TC:
                r = dns.query.tcp(q, server, timeout=1.5, source=src)
        except (dns.exception.Timeout, OSError, dns.exception.DNSException):
            return None
        nxt = None
        for rrset in r.answer:
            for rd in rrset:
                if rd.rdtype == dns.rdatatype.A:
                    return rd.address
                if rd.rdtype == dns.rdatatype.CNAME:
                    nxt = rd.target.to_text()
        if nxt is None:
            return None
        name = nxt
    return None


def connect(addr, src, port=80):
    s = socket.socket()
    s.settimeout(1.5)
    try:
        s.bind((src, 0))
        s.connect((addr, port))
        data = s.recv(16)
        return data.startswith(b"ok")
    except OSError:
        return False
    finally:
        s.close()


def worker(stop_at, rate, fn, counts):
    period = 1.0 / rate
    nxt = time.monotonic()
    while time.monotonic() < stop_at:
        fn(counts)
        nxt += period
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            nxt = time.monotonic()


def run(args):
    server, qname, legit_res, client, ecs, noise_res = args[:6]
    noise_pct, seconds, rate = float(args[6]), float(args[7]), float(args[8])
    net, plen = ecs.split("/")
    legit = {"attempts": 0, "resolved": 0, "connected": 0}
    noise = {"attempts": 0, "resolved": 0}

    def legit_one(c):
        c["attempts"] += 1
        a = resolve(server, qname, legit_res, (net, int(plen)))
        if a:
            c["resolved"] += 1
            if connect(a, client):
                c["connected"] += 1

    def noise_one(c):
        c["attempts"] += 1
        if resolve(server, qname, noise_res, None):
            c["resolved"] += 1

    stop_at = time.monotonic() + seconds
    noise_rate = rate * noise_pct / (100.0 - noise_pct)
    threads = [threading.Thread(target=worker, args=(stop_at, rate, legit_one, legit))]
    if noise_rate > 0:
        threads.append(
            threading.Thread(target=worker, args=(stop_at, noise_rate, noise_one, noise)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"legit": legit, "noise": noise}))


def spoof(args):
    from scapy.all import IP, UDP, DNS, DNSQR, DNSRROPT, send, conf
    conf.verb = 0
    server, qname, count = args[0], args[1], int(args[2])
    srcs = args[3:]
    pkts = []
    for i in range(count):
        src = srcs[i % len(srcs)]
        pkts.append(IP(src=src, dst=server) /
                    UDP(sport=random.randint(1024, 65535), dport=53) /
                    DNS(id=random.randint(0, 65535), rd=0, qd=DNSQR(qname=qname, qtype="A"),
                        ar=DNSRROPT(rclass=1232)))
    send(pkts, inter=0.002)
    print(json.dumps({"sent": count}))


def cluster(args):
    server, qname, res_a, res_b, client, ecs = args[:6]
    net, plen = ecs.split("/")
    opts = [dns.edns.ECSOption(net, int(plen))]
    q = dns.message.make_query(qname, dns.rdatatype.A, use_edns=0, options=opts)
    r = dns.query.tcp(q, server, timeout=2, source=res_a)
    alias = [rd.target.to_text() for rrset in r.answer for rd in rrset
             if rd.rdtype == dns.rdatatype.CNAME]
    out = {"alias": alias[0] if alias else None, "addresses": [], "connected": False}
    if alias:
        for _ in range(2):
            q = dns.message.make_query(alias[0], dns.rdatatype.A, use_edns=0, options=opts)
            r = dns.query.udp(q, server, timeout=2, source=res_b)
            out["addresses"] += [rd.address for rrset in r.answer for rd in rrset
                                 if rd.rdtype == dns.rdatatype.A]
        if out["addresses"]:
            out["connected"] = connect(out["addresses"][0], client)
    print(json.dumps(out))


def badopt(args):
    """Queries for the service and for its alias with broken ECS / ECI options: every one
    must get an answer (FORMERR or other), none may crash the daemon."""
    server, qname, src = args[:3]
    bad = [
        dns.edns.GenericOption(8, bytes([0, 1, 40, 0, 10, 0, 0, 0, 0, 0])),  # srclen 40 > 32
        dns.edns.GenericOption(8, bytes([0, 1, 24, 0, 10])),  # address shorter than srclen
        dns.edns.GenericOption(8, bytes([0, 9, 8, 0, 10])),  # unknown family
        dns.edns.GenericOption(8, bytes([0, 1])),  # truncated
        dns.edns.GenericOption(0xFF01, bytes([0, 9, 1, 2, 3, 4, 0, 17, 0, 1])),  # ECI family 9
        dns.edns.GenericOption(0xFF01, bytes([0, 1, 1, 2])),  # ECI too short
    ]
    q = dns.message.make_query(qname, dns.rdatatype.A)
    r = dns.query.tcp(q, server, timeout=2, source=src)
    names = [qname] + [rd.target.to_text() for rrset in r.answer for rd in rrset
                       if rd.rdtype == dns.rdatatype.CNAME]
    out = []
    for name in names:
        for opt in bad:
            q = dns.message.make_query(name, dns.rdatatype.A, use_edns=0, options=[opt])
            try:
                r = dns.query.tcp(q, server, timeout=2, source=src)
                out.append(dns.rcode.to_text(r.rcode()))
            except (dns.exception.DNSException, OSError) as e:
                out.append("no answer: " + type(e).__name__)
    print(json.dumps({"names": len(names), "rcodes": out}))


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2:])
    elif sys.argv[1] == "spoof":
        spoof(sys.argv[2:])
    elif sys.argv[1] == "cluster":
        cluster(sys.argv[2:])
    elif sys.argv[1] == "badopt":
        badopt(sys.argv[2:])
    else:
        sys.exit("usage: pbra_drive.py run|spoof ...")
