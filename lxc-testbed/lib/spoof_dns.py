#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/spoof_dns.py -- spoofed UDP DNS queries (raw packets with forged resolver
# source addresses) sent to the gateway, and what came back, as the original's "dnsspoof"
# noise traffic (rgw-original-behaviour.md §5.3). Run on the router, which sits on the path of
# the gateway's replies to the forged sources.
#
#   spoof_dns.py --iface eth1 --server 100.64.1.130 --sources A,B --names N1,N2 \
#                --count 60 --pool-prefix 100.64.1. --pool-range 131-142 [--wait 3]
#
# Waits for the replies (until each query has one, --wait seconds at most). Prints one line:
# "sent S replies R tc T pool-answers P answers A" and exits 0; the caller
# decides. P counts replies that carry an A record inside the pool: spoofed queries must never
# obtain one.
import argparse
import random
import sys
import threading
import time

from scapy.all import DNS, DNSQR, IP, UDP, AsyncSniffer, conf, send  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="spoofed DNS queries")
    ap.add_argument("--iface", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--sources", required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--pool-prefix", required=True)
    ap.add_argument("--pool-range", required=True)
    ap.add_argument("--wait", type=float, default=3.0)
    a = ap.parse_args()
    conf.verb = 0
    sources = a.sources.split(",")
    names = a.names.split(",")
    lo, hi = (int(x) for x in a.pool_range.split("-"))
    pool = {f"{a.pool_prefix}{i}" for i in range(lo, hi + 1)}

    flt = f"udp and src host {a.server} and src port 53"
    started = threading.Event()
    sent = set()  # (forged source, source port, DNS id) of every query
    answered = set()

    def count(pkt):
        if IP in pkt and UDP in pkt and DNS in pkt:
            key = (pkt[IP].dst, pkt[UDP].dport, pkt[DNS].id)
            if key in sent:
                answered.add(key)

    sniffer = AsyncSniffer(iface=a.iface, filter=flt, store=True, prn=count,
                           started_callback=started.set)
    sniffer.start()
    if not started.wait(10):
        print("sniffer did not start")
        return 1
    pkts = []
    for i in range(a.count):
        src = sources[i % len(sources)]
        name = names[i % len(names)]
        q = (IP(src=src, dst=a.server) /
             UDP(sport=random.randint(1024, 65535), dport=53) /
             DNS(id=random.randint(0, 65535), rd=0, qd=DNSQR(qname=name, qtype="A")))
        pkts.append(q)
        sent.add((src, q[UDP].sport, q[DNS].id))
    send(pkts, iface=a.iface, inter=0.01)
    # stop once every query has its reply, or after --wait seconds
    end = time.monotonic() + a.wait
    while len(answered) < len(sent) and time.monotonic() < end:
        time.sleep(0.05)
    got = sniffer.stop() or []

    replies = tc = pool_answers = answers = 0
    for p in got:
        if DNS not in p:
            continue
        d = p[DNS]
        if not d.qr:
            continue
        replies += 1
        if d.tc:
            tc += 1
        for j in range(d.ancount or 0):
            rr = d.an[j]
            if getattr(rr, "type", 0) == 1:
                answers += 1
                if str(rr.rdata) in pool:
                    pool_answers += 1
    print(f"sent {a.count} replies {replies} tc {tc} pool-answers {pool_answers} "
          f"answers {answers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
