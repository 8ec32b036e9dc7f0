#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tests/system/ids_driver.py -- real clients for the IDS test (t34): for each source address,
# resolve NAME at the gateway's DNS (dnspython, from --dns-src), connect from that source to
# the answered pool address, check the echo server answers, send the IDS test string, then
# keep talking until the gateway tears the connection down: a reset or silence (no echo for
# --quiet-ms) ends it; an echo of everything for --max-ms means the flow was never torn down.
# With --resend-ms the string is sent again while the flow lives (an IDS under load may miss
# a packet; "resent" counts them). One JSON line per client: {"src", "addr", "sport",
# "outcome", "sent_ms", "end_ms", "resent"}, in the order of the sources; --parallel K runs K
# clients at a time. A client resolves and connects
# while holding a lock: a resolver coalesces identical questions in flight, and one binding
# admits one flow, so two clients must not ask at once; only the talking overlaps.
import argparse
import concurrent.futures
import json
import socket
import threading
import time

import dns.message
import dns.query
import dns.rdatatype

ap = argparse.ArgumentParser()
ap.add_argument("--dns", required=True)
ap.add_argument("--dns-src", required=True)
ap.add_argument("--name", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--string", required=True)
ap.add_argument("--quiet-ms", type=int, default=1500)
ap.add_argument("--max-ms", type=int, default=6000)
ap.add_argument("--parallel", type=int, default=1)
ap.add_argument("--resend-ms", type=int, default=0,
                help="send the string again when the flow still lives after this long (0: never)")
ap.add_argument("sources", nargs="+")
a = ap.parse_args()


def now_ms():
    return time.time() * 1000.0


def resolve():
    q = dns.message.make_query(a.name, dns.rdatatype.A)
    r = dns.query.udp(q, a.dns, timeout=3, source=a.dns_src)
    for rr in r.answer:
        for item in rr:
            if item.rdtype == dns.rdatatype.A:
                return item.address
    return None


def recv_line(s, timeout):
    s.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionResetError("eof")
        data += chunk
    return data


first_step = threading.Lock()


def client(src):
    res = {"src": src, "addr": None, "sport": 0, "outcome": "no-address", "sent_ms": 0,
           "end_ms": 0, "resent": 0}
    try:
        with first_step:
            addr = resolve()
            res["addr"] = addr
            if addr is None:
                raise RuntimeError("no address")
            s = socket.socket()
            s.bind((src, 0))
            res["sport"] = s.getsockname()[1]
            s.settimeout(4)
            s.connect((addr, a.port))
        s.sendall(b"hello\n")
        if not recv_line(s, 4).strip():  # an echo ("hello"), or the testbed's tagged reply
            raise RuntimeError("no answer")
        res["sent_ms"] = now_ms()
        s.sendall(a.string.encode() + b"\n")
        res["outcome"] = "alive"
        end = now_ms() + a.max_ms
        last = now_ms()
        resend = now_ms() + a.resend_ms
        while now_ms() < end:
            try:
                if a.resend_ms > 0 and now_ms() >= resend:
                    s.sendall(a.string.encode() + b"\n")
                    res["resent"] += 1
                    resend = now_ms() + a.resend_ms
                s.sendall(b"ping\n")
                s.settimeout(0.1)
                chunk = s.recv(4096)
                if not chunk:
                    res["outcome"] = "eof"
                    break
                last = now_ms()
            except socket.timeout:
                if now_ms() - last > a.quiet_ms:
                    res["outcome"] = "silence"
                    break
            except (ConnectionResetError, BrokenPipeError):
                res["outcome"] = "reset"
                break
        res["end_ms"] = now_ms()
        s.close()
    except Exception as e:  # noqa: BLE001 -- reported, the test decides
        res["outcome"] = "error: %s" % e
    return res


with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.parallel)) as ex:
    for r in ex.map(client, a.sources):
        print(json.dumps(r), flush=True)
