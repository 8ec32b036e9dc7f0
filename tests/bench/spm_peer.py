#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/bench/spm_peer.py -- a stand-in for the original SPM's policy fetch, as a benchmark
# peer (secalg-spm-original-behaviour.md §2): the same request pattern and the same storage
# shape (policy elements as JSON text in SQL rows, filtered by uuid, formatted per host),
# written with the Python standard library (http.server + sqlite3; the original used
# aiohttp + MySQL, which are not installed here). It is lighter than the original, so the
# ratio it yields understates the difference.
#
#   spm_peer.py serve BUNDLE PORT        load BUNDLE (rgwd format) and serve the SPM routes
#   spm_peer.py fetch PORT N             run the RGW-fork fetch N times; print p50/p99 ms
import json
import socket
import sqlite3
import statistics
import sys
import time
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs


def load(bundle_path):
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.executescript("""
        CREATE TABLE host_ids(id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, fqdn TEXT UNIQUE,
                              msisdn TEXT, ipv4 TEXT, username TEXT);
        CREATE TABLE firewall_policies(id INTEGER PRIMARY KEY, uuid TEXT, types TEXT,
                                       sub_type TEXT, policy_element TEXT);
        CREATE TABLE bootstrap(id INTEGER PRIMARY KEY, name TEXT, types TEXT, subtype TEXT,
                               data TEXT);""")
    b = json.load(open(bundle_path))
    for i, h in enumerate(b.get("hosts", [])):
        uuid = str(1000 + i)
        db.execute("INSERT INTO host_ids(uuid,fqdn,ipv4,username) VALUES(?,?,?,?)",
                   (uuid, h["fqdn"], h.get("ipv4"), "user%d" % i))
        for r in h.get("firewall", []):
            db.execute("INSERT INTO firewall_policies(uuid,types,sub_type,policy_element) "
                       "VALUES(?,?,?,?)", (uuid, "FIREWALL", "FIREWALL_ADMIN", json.dumps(r)))
        for s in h.get("services", []):
            db.execute("INSERT INTO firewall_policies(uuid,types,sub_type,policy_element) "
                       "VALUES(?,?,?,?)", (uuid, "SFQDN", "", json.dumps(s)))
        for g in h.get("groups", []):
            db.execute("INSERT INTO firewall_policies(uuid,types,sub_type,policy_element) "
                       "VALUES(?,?,?,?)", (uuid, "GROUP", "", json.dumps(g)))
        db.execute("INSERT INTO firewall_policies(uuid,types,sub_type,policy_element) "
                   "VALUES(?,?,?,?)", (uuid, "CIRCULARPOOL", "", json.dumps({"max": 3})))
    pool = {"max": len(b.get("pool", [])), "pool": b.get("pool", []),
            "CONTROL_VARIABLES": {"SYSTEM_LOAD": b.get("admission", {}).get("load_brackets", [])}}
    db.execute("INSERT INTO bootstrap(name,data) VALUES('CIRCULARPOOL',?)", (json.dumps(pool),))
    db.commit()
    return db


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    db = None

    def setup(self):
        super().setup()
        # headers and body go out in separate writes: without this, Nagle and delayed
        # ACKs add 40 ms per request and the peer would look far worse than it is
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def reply(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlparse(self.path)
        parts = u.path.split("/")
        db = self.db
        if u.path == "/API/firewall_policy/ID":
            self.reply([list(r) for r in db.execute("SELECT * FROM host_ids")])
        elif u.path.startswith("/API/firewall_policy_user/FQDN/"):
            fqdn = parts[-1]
            row = db.execute("SELECT uuid,fqdn,msisdn,ipv4 FROM host_ids WHERE fqdn=?",
                             (fqdn,)).fetchone()
            out = {"ID": {"fqdn": row[1], "msisdn": row[2], "ipv4": row[3]},
                   "FIREWALL": {"FIREWALL_ADMIN": [], "FIREWALL_USER": []},
                   "GROUP": [], "SFQDN": [], "CIRCULARPOOL": [], "CARRIERGRADE": []}
            for t, st, pe in db.execute("SELECT types,sub_type,policy_element FROM "
                                        "firewall_policies WHERE uuid=?", (row[0],)):
                if t == "FIREWALL":
                    out["FIREWALL"][st].append(json.loads(pe))
                else:
                    out[t].append(json.loads(pe))
            self.reply(out)
        elif u.path == "/API/bootstrap_policies_ces":
            name = parse_qs(u.query).get("policy_name", [""])[0]
            rows = db.execute("SELECT data FROM bootstrap WHERE name=?", (name,)).fetchall()
            self.reply({name: {"null": {"null": [json.loads(r[0]) for r in rows]}}})
        else:
            self.send_error(404)


def fetch_all(conn):
    """The RGW-fork's fetch (get_policies_api + get_iptables_api), on one connection."""
    def get(path):
        conn.request("GET", path)
        r = conn.getresponse()
        return json.loads(r.read())
    ids = get("/API/firewall_policy/ID")
    policies = {row[2]: get("/API/firewall_policy_user/FQDN/" + row[2]) for row in ids}
    for name in ("CIRCULARPOOL", "IPSET", "IPTABLES"):
        get("/API/bootstrap_policies_ces?policy_name=" + name)
    return policies


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        Handler.db = load(sys.argv[2])
        srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), Handler)
        print("ready", flush=True)
        srv.serve_forever()
    elif sys.argv[1] == "fetch":
        conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]), timeout=30)
        fetch_all(conn)
        times = []
        for _ in range(int(sys.argv[3])):
            t0 = time.perf_counter()
            fetch_all(conn)
            times.append((time.perf_counter() - t0) * 1000)
        print("p50 %.3f p99 %.3f" % (pct(times, 50), pct(times, 99)))
