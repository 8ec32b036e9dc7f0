#!/usr/bin/env python3
# tests/system/ha_flows.py -- the figures of a flow generator's run around a failover, for the
# HA failover tests (a driver). The flows come from tests/system/flowgen.c (flowgen run):
# one JSON line per flow with start_ms, late_ms, est_ms, end_ms (wall clock), outcome (ok, dns,
# connect, lost), why, max_gap_ms, dns_ms and connect_ms.
#   ha_flows.py report OUT CUT_MS MARGIN_MS TAIL_MS
#                                           prints the figures around the cut as one JSON line:
#                                           the flows open at the cut (settled: established
#                                           MARGIN_MS before it), how many survived, why the
#                                           others were lost and the longest silence of the
#                                           survivors (median, max), the flows started after
#                                           it that failed (by 250 ms), and the tail: flows
#                                           started TAIL_MS after the cut; and the flows started
#                                           after the gap (once new flows went through again,
#                                           ten in a row) that failed; the time answers and
#                                           connections took (p50, p99); the pace at which
#                                           flows started (per second) and how far behind its
#                                           schedule the generator was at most (late_ms),
#                                           before the cut, in the gap (from the cut to the
#                                           first flow that went through again) and after it
import json, sys


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
    # through again: the first flow after the first failure that went through, and the 10
    # after it too (a flow started as the link went down may have gone through)
    back = next(([f] for i, f in enumerate(after) if f["start_ms"] > gap0 and
                 all(g["outcome"] == "ok" for g in after[i:i + 10])), [])
    first_ok = back[0]["start_ms"] - cut if back else None
    later = [f for f in after if f["start_ms"] - cut >= tail]
    after_back = [f for f in after if f["start_ms"] > back[0]["start_ms"]] if back else []
    lost_after_back = [f for f in after_back if f["outcome"] != "ok"]
    span = (flows[-1]["start_ms"] - flows[0]["start_ms"]) / 1000 if len(flows) > 1 else 0
    by = lambda fs, o: sum(1 for f in fs if f["outcome"] == o)
    # the periods' bounds: the first start, the cut, the gap's end, the last start
    ends = [flows[0]["start_ms"] if flows else cut, cut,
            cut + first_ok if first_ok is not None else None, flows[-1]["start_ms"] if flows else None]
    pace, late = {}, {}
    for name, a, b in (("before_cut", ends[0], ends[1]), ("in_gap", ends[1], ends[2]),
                       ("after_gap", ends[2], ends[3])):
        fs = [f for f in flows if a is not None and b is not None and a <= f["start_ms"] < b]
        pace[name] = round(len(fs) * 1000 / (b - a)) if fs and b > a else None
        late[name] = max((f.get("late_ms", 0) for f in fs), default=None)
    print(json.dumps({
        "flows": len(flows),
        "rate": round(len(flows) / span) if span else None,
        "ok": by(flows, "ok"),
        "open_at_cut": len(before),
        "open_at_cut_survived": by(before, "ok"),
        "open_at_cut_lost": len(before) - by(before, "ok"),
        "settled_at_cut": len(settled),
        "settled_at_cut_survived": by(settled, "ok"),
        "open_at_cut_why": {w: sum(1 for f in before if f["outcome"] != "ok" and f.get("why") == w)
                            for w in sorted({f.get("why") or "" for f in before if f["outcome"] != "ok"})},
        "open_at_cut_gap_ms_p50": pct([f["max_gap_ms"] for f in before if f["outcome"] == "ok"], 50),
        "open_at_cut_gap_ms_max": pct([f["max_gap_ms"] for f in before if f["outcome"] == "ok"], 100),
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
        "start_rate": pace,
        "late_ms_max": late,
        "dns_ms_p50_p99": [pct([f["dns_ms"] for f in flows if f.get("dns_ms", -1) >= 0], p) for p in (50, 99)],
        "connect_ms_p50_p99": [pct([f["connect_ms"] for f in flows if f.get("connect_ms", -1) >= 0], p) for p in (50, 99)],
        "failures_why": {w: sum(1 for f in flows if f.get("why") == w)
                         for w in sorted({f.get("why") for f in flows if f.get("why")})},
    }))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, len(xs) * p // 100)] if xs else None


def hist(fs, cut):
    h = {}
    for f in fs:
        b = (f["start_ms"] - cut) // 250 * 250
        h[b] = h.get(b, 0) + 1
    return {str(k): h[k] for k in sorted(h)}


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "report":
        sys.exit("usage: ha_flows.py report OUT CUT_MS MARGIN_MS TAIL_MS")
    report(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
