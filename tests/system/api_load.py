#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/system/api_load.py -- drive the REST API with N parallel clients (real HTTP).
#
#   api_load.py URL TOKEN CLIENTS REQUESTS_PER_CLIENT
#
# Each client runs a fixed mix over one keep-alive connection (reconnecting when the server
# closes): list hosts, get a host, get the bundle, status, and a write cycle on a host of
# its own (create, patch with If-Match, add a service, delete), in whole cycles (so a client
# may run a few requests past REQUESTS_PER_CLIENT). Every answer must have the expected
# status. Prints "requests N errors N" and a few error samples; exit 1 on errors.
import http.client
import json
import sys
import threading

url, token, clients, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
host, port = url.split("//")[1].split(":")
port = int(port)
lock = threading.Lock()
totals = {"requests": 0, "errors": 0}
samples = []


def client(n):
    conn = None
    done = errors = 0
    fqdn = "load%d.gwa.demo" % n
    ip = "192.168.%d.%d" % (100 + n // 200, n % 200 + 20)

    def req(method, path, body=None, expect=(200,), headers=None):
        nonlocal conn, done, errors
        h = {"Authorization": "Bearer " + token}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        if headers:
            h.update(headers)
        for attempt in range(2):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                conn.request(method, path, body, h)
                r = conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
                break
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                if conn:
                    conn.close()
                conn = None
                if attempt == 1:
                    done += 1
                    errors += 1
                    with lock:
                        if len(samples) < 5:
                            samples.append("%s %s: %s" % (method, path, e))
                    return None, None
        done += 1
        if r.status not in expect:
            errors += 1
            with lock:
                if len(samples) < 5:
                    samples.append("%s %s: %d %s" % (method, path, r.status, data[:200]))
        return r, data

    i = 0
    # whole cycles only, so that every host created is deleted again
    while done < per or i % 10 != 0:
        step = i % 10
        i += 1
        if step == 0:
            req("GET", "/api/v1/hosts?limit=5")
        elif step == 1:
            req("GET", "/api/v1/hosts/test.gwa.demo")
        elif step == 2:
            req("GET", "/api/v1/bundle")
        elif step == 3:
            req("GET", "/api/v1/status")
        elif step == 4:
            req("POST", "/api/v1/hosts", {"fqdn": fqdn, "ipv4": ip}, (201,))
        elif step == 5:
            r, _ = req("GET", "/api/v1/hosts/" + fqdn)
            etag = r.getheader("ETag") if r is not None else None
            req("PATCH", "/api/v1/hosts/" + fqdn, {"comment": "round %d" % i},
                headers={"If-Match": etag} if etag else None)
        elif step == 6:
            req("POST", "/api/v1/hosts/%s/services" % fqdn, {"fqdn": "ssh." + fqdn,
                "protocol": "tcp", "port": 22}, (201,))
        elif step == 7:
            req("GET", "/api/v1/hosts/%s/services" % fqdn)
        elif step == 8:
            req("GET", "/api/v1/hosts/nosuch%d.gwa.demo" % n, expect=(404,))
        else:
            req("DELETE", "/api/v1/hosts/" + fqdn, expect=(204,))
    if conn:
        conn.close()
    with lock:
        totals["requests"] += done
        totals["errors"] += errors


threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("requests %d errors %d" % (totals["requests"], totals["errors"]))
for s in samples:
    print("  " + s)
sys.exit(1 if totals["errors"] else 0)
