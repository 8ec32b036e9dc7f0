#!/usr/bin/env python3
# tests/system/ha_flows.py -- new flows at a steady rate through pool addresses, for the HA
# failover tests (a driver).
#   ha_flows.py serve ADDR PORT HOLD        each connection gets "a\n", then after HOLD seconds
#                                           "b\n", then the server closes it
#   ha_flows.py run DNS NAME PORT RATE SECONDS MARK_AFTER MARK_FILE OUT [PENDING]
#                                           every 1/RATE s a new flow: an A query for NAME to
#                                           DNS (one try, 1 s), a connection to the address it
#                                           gave (2 s), "a", then "b" and EOF (HOLD + 10 s).
#                                           At most PENDING flows (default 40) are between their
#                                           query and their connection at once: each holds a
#                                           pool binding until its SYN arrives, and a client
#                                           that stalls and then catches up must not exhaust
#                                           the pool itself (a flow waits for a slot, and its
#                                           start is when it sends its query).
#                                           MARK_FILE is created MARK_AFTER seconds after the
#                                           start; one JSON line per flow goes to OUT: start_ms,
#                                           est_ms ("a" read), end_ms (wall clock), outcome (ok,
#                                           dns, connect, lost)
#   ha_flows.py report OUT CUT_MS MARGIN_MS TAIL_MS
#                                           prints the figures around the cut as one JSON line:
#                                           the flows open at the cut (settled: established
#                                           MARGIN_MS before it) and how many survived, the
#                                           flows started after it that failed (by 250 ms), and
#                                           the tail: flows started TAIL_MS after the cut; and
#                                           the flows started after the gap (once new flows went
#                                           through again) that failed
import asyncio, json, os, resource, socket, sys, time

import dns.exception
import dns.message
import dns.rdatatype


def now_ms():
    return int(time.time() * 1000)


async def serve(addr, port, hold):
    async def one(r, w):
        try:
            w.write(b"a\n")
            await w.drain()
            await asyncio.sleep(hold)
            w.write(b"b\n")
            await w.drain()
        except OSError:
            pass
        w.close()

    srv = await asyncio.start_server(one, addr, port, backlog=4096, reuse_address=True)
    async with srv:
        await srv.serve_forever()


async def resolve(server, name):
    loop = asyncio.get_running_loop()
    q = dns.message.make_query(name, "A")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    try:
        s.connect((server, 53))
        await loop.sock_sendall(s, q.to_wire())
        wire = await asyncio.wait_for(loop.sock_recv(s, 4096), 1)
        m = dns.message.from_wire(wire)
        for rr in m.answer:
            if rr.rdtype == dns.rdatatype.A:
                return rr[0].address, None
        return None, "rcode %d" % m.rcode()
    except asyncio.TimeoutError:
        return None, "timeout"
    except (OSError, dns.exception.DNSException) as e:
        return None, str(e)
    finally:
        s.close()


async def flow(server, name, port, out, pending):
    await pending.acquire()
    rec = {"start_ms": now_ms(), "est_ms": None, "outcome": "dns"}
    addr, why = await resolve(server, name)
    if why is not None:
        rec["why"] = why
    if addr is None:
        pending.release()
    else:
        rec["outcome"] = "connect"
        try:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(addr, port), 2)
            finally:
                pending.release()
            try:
                if await asyncio.wait_for(r.readline(), 2) == b"a\n":
                    rec["est_ms"] = now_ms()
                    rec["outcome"] = "lost"
                    if await asyncio.wait_for(r.readline(), 20) == b"b\n":
                        if await asyncio.wait_for(r.read(1), 10) == b"":
                            rec["outcome"] = "ok"
            finally:
                w.close()
        except (OSError, asyncio.TimeoutError):
            pass
    rec["end_ms"] = now_ms()
    out.write(json.dumps(rec) + "\n")


async def run(server, name, port, rate, secs, mark_after, mark_file, out_path, pending):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sem = asyncio.Semaphore(pending)
    tasks, t0 = [], time.monotonic()
    marked = False
    with open(out_path, "w") as out:
        for i in range(int(rate * secs)):
            # steady pace: flow i starts at t0 + i / rate, whatever the others are doing
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not marked and time.monotonic() - t0 >= mark_after:
                open(mark_file, "w").close()
                marked = True
            tasks.append(asyncio.ensure_future(flow(server, name, port, out, sem)))
        await asyncio.gather(*tasks)


def report(path, cut, margin, tail):
    flows = [json.loads(l) for l in open(path)]
    flows.sort(key=lambda f: f["start_ms"])
    before = [f for f in flows if f["est_ms"] is not None and f["est_ms"] < cut and f["end_ms"] > cut]
    settled = [f for f in before if f["est_ms"] < cut - margin]
    after = [f for f in flows if f["start_ms"] >= cut]
    # the gap: from the first flow started after the cut that failed to the last one
    failed_after = [f for f in after if f["outcome"] != "ok"]
    gap0 = failed_after[0]["start_ms"] if failed_after else cut
    last_fail = failed_after[-1]["start_ms"] - cut if failed_after else None
    back = [f for f in after if f["outcome"] == "ok" and f["start_ms"] > gap0]
    first_ok = back[0]["start_ms"] - cut if back else None
    later = [f for f in after if f["start_ms"] - cut >= tail]
    after_back = [f for f in after if f["start_ms"] > back[0]["start_ms"]] if back else []
    lost_after_back = [f for f in after_back if f["outcome"] != "ok"]
    span = (flows[-1]["start_ms"] - flows[0]["start_ms"]) / 1000 if len(flows) > 1 else 0
    by = lambda fs, o: sum(1 for f in fs if f["outcome"] == o)
    print(json.dumps({
        "flows": len(flows),
        "rate": round(len(flows) / span) if span else None,
        "ok": by(flows, "ok"),
        "open_at_cut": len(before),
        "open_at_cut_survived": by(before, "ok"),
        "open_at_cut_lost": len(before) - by(before, "ok"),
        "settled_at_cut": len(settled),
        "settled_at_cut_survived": by(settled, "ok"),
        "started_after_cut": len(after),
        "after_cut_failed": {o: by(after, o) for o in ("dns", "connect", "lost")},
        "first_failed_start_after_cut_ms": gap0 - cut if failed_after else None,
        "first_ok_start_after_gap_ms": first_ok,
        "last_failed_start_after_cut_ms": last_fail,
        "started_after_gap": len(after_back),
        "failed_after_gap": len(lost_after_back),
        "failed_after_gap_by_250ms": hist(lost_after_back, cut),
        "tail": len(later),
        "tail_ok": by(later, "ok"),
        "failed_by_250ms": hist([f for f in flows if f["outcome"] != "ok"], cut),
        "dns_failures": {w: sum(1 for f in flows if f.get("why") == w)
                         for w in sorted({f.get("why") for f in flows if f.get("why")})},
    }))


def hist(fs, cut):
    h = {}
    for f in fs:
        b = (f["start_ms"] - cut) // 250 * 250
        h[b] = h.get(b, 0) + 1
    return {str(k): h[k] for k in sorted(h)}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "serve":
        resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
        asyncio.run(serve(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    elif mode == "run":
        a = sys.argv[2:]
        asyncio.run(run(a[0], a[1], int(a[2]), float(a[3]), float(a[4]), float(a[5]), a[6], a[7],
                        int(a[8]) if len(a) > 8 else 40))
    else:
        report(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
