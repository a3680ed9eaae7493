"""Python guard check cost with 100,000 active decisions (goal: < 2 µs per
check on CPython). Run by bench/python-guard.ts, which times the Node guard
on the very same decisions and addresses and prints both:

    node --import tsx bench/python-guard.ts

Alone: PYTHONPATH=sdk/python /usr/bin/python3 bench/python_guard_check.py DATA.json
writes the decisions and per-case addresses to DATA.json and prints the
figures as JSON on stdout.
"""

import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk", "python"))

from firebreak import FirebreakMiddleware, Guard  # noqa: E402

BANS = 100_000
RANGES4 = 300
RANGES6 = 200
EXACT6 = 30_000
EXACT4 = BANS - RANGES4 - RANGES6 - EXACT6
ROUNDS = 7
CALLS = 100_000
N = 1024

rnd = random.Random(42)  # the same set on every run


def rand4():
    return f"{1 + rnd.randrange(222)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}"


def rand6():
    return f"2a0{rnd.randrange(10)}:" + ":".join(f"{rnd.randrange(65536):x}" for _ in range(7))


def decision(i, scope, value):
    return {"id": i, "origin": "bench", "type": "ban", "scope": scope, "value": value, "duration": "3h59m58.5s", "scenario": "brute_force_attempt"}


def build():
    decisions, exact4, exact6, ranges4 = [], [], [], []
    i = 1
    for _ in range(EXACT4):
        v = rand4()
        exact4.append(v)
        decisions.append(decision(i, "Ip", v))
        i += 1
    for _ in range(EXACT6):
        v = rand6()
        exact6.append(v)
        decisions.append(decision(i, "Ip", v))
        i += 1
    for k in range(RANGES4):
        base = rand4()
        ranges4.append(base)
        decisions.append(decision(i, "Range", f"{base}/{[16, 20, 24, 28][k % 4]}"))
        i += 1
    for k in range(RANGES6):
        decisions.append(decision(i, "Range", f"{rand6()}/{[32, 48, 56, 64][k % 4]}"))
        i += 1
    return decisions, exact4, exact6, ranges4


def time_ns(fn, ips):
    n = len(ips)
    reps = CALLS // n
    for ip in ips * 50:  # warm up
        fn(ip)
    rounds = []
    batch = ips * reps
    for _ in range(ROUNDS):
        # CPU time of this thread, not wall time: the machine is shared, and
        # time spent descheduled is not the cost of a check.
        t0 = time.thread_time_ns()
        for ip in batch:
            fn(ip)
        rounds.append((time.thread_time_ns() - t0) / len(batch))
    return statistics.median(rounds), min(rounds)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    decisions, exact4, exact6, ranges4 = build()
    guard = Guard("http://127.0.0.1:1", "bench", start=False)
    t0 = time.perf_counter()
    guard.apply({"new": decisions, "deleted": None}, True)
    load_ms = (time.perf_counter() - t0) * 1000

    def sample(make, want):
        out = []
        while len(out) < N:
            ip = make()
            if guard.check(ip).action == want:
                out.append(ip)
        return out

    pick = lambda arr: [arr[rnd.randrange(len(arr))] for _ in range(N)]  # noqa: E731
    hit4 = pick(exact4)
    range4 = [ip for ip in (b.rsplit(".", 1)[0] + ".1" for b in pick(ranges4)) if guard.check(ip).action == "ban"]
    miss4 = sample(rand4, "allow")
    cases = {
        "IPv4 exact hit (ban)": hit4,
        "IPv4 range hit (ban)": range4,
        "IPv4 miss (allow)": miss4,
        "IPv4-mapped ::ffff:a.b.c.d miss": ["::ffff:" + ip for ip in miss4],
        "IPv6 exact hit (ban)": pick(exact6),
        "IPv6 miss (allow)": sample(rand6, "allow"),
    }
    mw = FirebreakMiddleware(lambda *a: None, guard=guard)
    scopes = {ip: {"type": "http", "client": ("::ffff:" + ip, 5000), "headers": []} for ip in miss4}
    figures = []
    for name, ips in cases.items():
        med, best = time_ns(guard.check, ips)
        figures.append({"case": name, "nsPerCall": med, "bestNs": best})
    # What the ASGI middleware does per request before calling the app: client address + check.
    med, best = time_ns(lambda ip: guard.check(mw.client_ip(scopes[ip])), miss4)
    figures.append({"case": "middleware address + check, miss", "nsPerCall": med, "bestNs": best, "pythonOnly": True})
    baseline = {ip: True for ip in exact4}
    med, best = time_ns(baseline.get, hit4)
    figures.append({"case": "baseline: dict.get(str)", "nsPerCall": med, "bestNs": best, "pythonOnly": True})
    if out_path:
        with open(out_path, "w") as f:
            json.dump({"decisions": decisions, "cases": cases}, f)
    json.dump(
        {
            "python": sys.version.split()[0],
            "implementation": sys.implementation.name,
            "held": len(guard),
            "loadMs": load_ms,
            "rounds": ROUNDS,
            "calls": CALLS,
            "figures": figures,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
