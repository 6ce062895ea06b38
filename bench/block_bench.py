#!/usr/bin/env python3
"""bench/block_bench.py BUILD [N] - how fast an indicator reaches every gateway.

For each setup, N indicators (default 200) are added one after another to an
open incident through the API (POST /api/v1/incidents/ID/indicators, as an
analyst does), and for each one this measures, from the moment the API call
starts:
  - api: the API call's own time (the transaction, its event and audit);
  - stream: until the event arrives on a block stream (an observer client
    connected like a gateway);
  - ack: until every gateway (real vigil-milter processes, without Postfix)
    has applied it, saved its block list to disk and acknowledged it
    (GET /api/v1/gateways polled every 2 ms).
Setups: SQLite, one vigild, two gateways; PostgreSQL, two vigild nodes on one
database, a gateway on each, the analyst on node A (node B learns of the
event through LISTEN/NOTIFY; the polling fallback stays at its default).
A burst row: N indicators posted back to back, then the time until both
gateways acknowledged the last one. Writes bench/results/blocks.md.
Everything runs on this machine, so the figures include its load.
"""
import os
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "server"))

PW = "bench-password-1"


def pct(xs, p):
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


class Observer(threading.Thread):
    """reads a block stream; records when each seq arrived"""

    def __init__(self, sse):
        super().__init__(daemon=True)
        self.sse = sse
        self.seen = {}
        self.stop = False

    def run(self):
        while not self.stop:
            e = self.sse.event(0.5)
            if e and e["event"] == "block":
                self.seen[int(e["id"])] = time.monotonic()


def acked(client, names):
    gws = {g["name"]: g["acked_seq"] for g in client.get("/api/v1/gateways").json["gateways"]}
    return min(gws.get(n, -1) for n in names)


def run(label, nodes, n, tmp, build):
    from sse_client import SSE, MilterProc
    a = nodes[0]
    admin = a.client()
    admin.login("admin", a.admin_password())
    admin.post("/api/v1/users", {"username": "lan", "display_name": "Lan",
                                 "role": "central_analyst", "password": PW})
    lan = a.client()
    lan.login("lan", PW)
    mills = []
    names = []
    for k in range(2):
        node = nodes[k % len(nodes)]
        tok = admin.post("/api/v1/tokens", {"name": "gw%d" % k, "kind": "gateway"}).json["token"]
        m = MilterProc(build, TOP, os.path.join(tmp, "%s-gw%d" % (label, k)), node.base,
                       "gw%d" % k)
        with open(m.token_file, "w") as f:
            f.write(tok + "\n")
        mills.append(m)
        names.append("gw%d" % k)
    obs_tok = admin.post("/api/v1/tokens", {"name": "observer", "kind": "gateway"}).json["token"]
    try:
        for m in mills:
            m.start()
        obs = Observer(SSE(nodes[-1].base, obs_tok, 0))
        obs.start()
        inc = lan.post("/api/v1/incidents", {"title": "bench", "units": ["hanoi"],
                                             "severity": "high"}).json["id"]
        api, stream, ack = [], [], []
        for i in range(n):
            t0 = time.monotonic()
            r = lan.post("/api/v1/incidents/%d/indicators" % inc,
                         {"type": "sha256", "value": "%064x" % (10**9 + i)})
            t1 = time.monotonic()
            assert r.status == 200, r
            seq = lan.get("/api/v1/gateways").json["head"]
            while acked(lan, names) < seq:
                time.sleep(0.002)
            t2 = time.monotonic()
            while seq not in obs.seen and time.monotonic() - t0 < 10:
                time.sleep(0.001)
            api.append((t1 - t0) * 1000)
            ack.append((t2 - t0) * 1000)
            stream.append((obs.seen.get(seq, t0 + 10) - t0) * 1000)
        # a burst: everything at once, then wait for the last acknowledgement
        t0 = time.monotonic()
        for i in range(n):
            lan.post("/api/v1/incidents/%d/indicators" % inc,
                     {"type": "sha256", "value": "%064x" % (2 * 10**9 + i)})
        t1 = time.monotonic()
        seq = lan.get("/api/v1/gateways").json["head"]
        while acked(lan, names) < seq:
            time.sleep(0.002)
        t2 = time.monotonic()
        obs.stop = True
        return {"api": api, "stream": stream, "ack": ack,
                "burst": ((t1 - t0) * 1000, (t2 - t1) * 1000, (t2 - t0) * 1000)}
    finally:
        for m in mills:
            m.stop()


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    os.environ["VIGIL_BUILD"] = build
    from vigild_env import Postgres, VigildEnv, cleanup
    tmp = tempfile.mkdtemp(prefix="vigil-blockbench-", dir="/tmp")
    os.chmod(tmp, 0o755)
    rows = []
    try:
        env = VigildEnv(os.path.join(tmp, "s")).start()
        try:
            rows.append(("SQLite, 1 vigild, 2 gateways", run("sqlite", [env], n, tmp, build)))
        finally:
            env.stop()
        pg = Postgres(os.path.join(tmp, "pgw"))
        if pg.start():
            a = b = None
            try:
                a = VigildEnv(os.path.join(tmp, "pa"), pg.url).start()
                b = VigildEnv(os.path.join(tmp, "pb"), pg.url).start()
                rows.append(("PostgreSQL, 2 vigild nodes, a gateway on each",
                             run("pg", [a, b], n, tmp, build)))
            finally:
                for e in (a, b):
                    if e:
                        e.stop()
                pg.stop()
        else:
            print("block bench: PostgreSQL could not start: %s" % pg.why)
    finally:
        cleanup(tmp)
    lines = ["# Indicator propagation to the gateways", "",
             "Machine: %d cores; %s. Command: `python3 bench/block_bench.py %s %d` (part of "
             "`make bench`). %d indicators added one after another to an open incident "
             "(`POST /api/v1/incidents/ID/indicators`); times from the start of that API call, "
             "in milliseconds. *ack* = every gateway (a real vigil-milter) applied the block, "
             "saved its list to disk (fsync) and acknowledged it, as `GET /api/v1/gateways` "
             "shows (polled every 2 ms). *stream* = the event reached a block stream "
             "(observer client on the last node)." % (os.cpu_count(), time.strftime("%Y-%m-%d"),
                                                      os.path.relpath(build, TOP), n, n), "",
             "| setup | measure | median | p90 | p99 | max |", "|---|---|---|---|---|---|"]
    for setup, r in rows:
        for k, what in (("api", "API call"), ("stream", "API → event on the stream"),
                        ("ack", "API → acknowledged by every gateway")):
            xs = r[k]
            lines.append("| %s | %s | %.1f | %.1f | %.1f | %.1f |" % (
                setup, what, pct(xs, 50), pct(xs, 90), pct(xs, 99), max(xs)))
    lines += ["", "Bursts: %d indicators posted back to back (each its own API call and "
              "transaction), then until both gateways acknowledged the last:" % n, "",
              "| setup | posting all (ms) | last post → all acknowledged (ms) | total (ms) |",
              "|---|---|---|---|"]
    for setup, r in rows:
        lines.append("| %s | %.0f | %.0f | %.0f |" % ((setup,) + r["burst"]))
    lines += ["", "The gateways acknowledge what they saved; a burst's events arrive together "
              "and are saved and acknowledged together (docs/blocks.md).", ""]
    os.makedirs(os.path.join(TOP, "bench", "results"), exist_ok=True)
    with open(os.path.join(TOP, "bench", "results", "blocks.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
