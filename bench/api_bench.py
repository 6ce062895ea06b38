#!/usr/bin/env python3
"""bench/api_bench.py BUILD [SECONDS] - vigild's API throughput with wrk, SQLite and PostgreSQL.

For each store: start vigild (4 threads) with the test organisation, fill it
with 200 incidents and 2,000 alerts through the API, then run wrk (2 threads,
16 connections, SECONDS each, default 10) against
  - GET /api/v1/incidents?limit=50   (a list, as an analyst's dashboard)
  - GET /api/v1/incidents/ID         (one incident document)
  - POST /api/v1/alerts              (gateway ingest: every request a new record,
                                      grouped into incidents as in production)
and write bench/results/api.md. Everything runs on this machine: wrk and
vigild share its cores, so the figures are a floor, not a ceiling.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "server"))

LUA_ALERT = r'''
counter = 0
local template = [[%s]]
request = function()
  counter = counter + 1
  local uid = string.format("%%08x%%08x%%016x", math.random(0, 0x7fffffff), counter, os.time())
  local body = template:gsub("UIDUIDUID", uid):gsub("SHASHA", string.format("%%064x", counter %% 500))
  return wrk.format("POST", "/api/v1/alerts", nil, body)
end
'''


def record(uid, sha, rcpt):
    return {"uid": uid, "gateway": "bench", "queue_id": None, "message_id": uid + "@x.example",
            "date_header": None, "received_ms": int(time.time() * 1000), "direction": "inbound",
            "client_addr": "203.0.113.9", "env_from": "lure@evil.example", "env_rcpts": [rcpt],
            "hdr_from": ["lure@evil.example"], "hdr_to": [rcpt], "subject": "Công văn " + sha[-6:],
            "attachments": [{"path": "msg/2:a.doc", "name": "a.doc", "type": "ole2",
                             "mime": "application/msword", "sha256": sha, "sha1": None,
                             "md5": None, "size": 1000, "depth": 1}],
            "urls": [], "domains": [], "verdict": "malicious", "score": 100,
            "action": "quarantine", "quarantine_id": None,
            "findings": [{"id": "combo.macro_runs_program", "severity": "critical",
                          "title": "macro", "object": "msg/2:a.doc", "attack": "T1204.002",
                          "evidence": "x"}], "size": 5000, "scan_ms": 2.0, "drill": 0}


def wrk(args, seconds):
    out = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % seconds, "--latency"] + args,
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)

    def ms(m):
        if not m:
            return None
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms(p50), "p99": ms(p99),
            "errors": int(non2xx.group(1)) if non2xx else 0}


def run_store(name, env, seconds, tmp):
    from vigild_env import ORG
    env.start()
    try:
        admin = env.client()
        admin.login("admin", env.admin_password())
        admin.post("/api/v1/users", {"username": "lan", "display_name": "Lan",
                                     "role": "central_analyst", "password": "bench-password-1"})
        tok = admin.post("/api/v1/tokens", {"name": "bench", "kind": "gateway"}).json["token"]
        gw = env.client(token=tok)
        rcpts = [s["email"] for s in ORG["staff"]]
        for i in range(2000):  # 2,000 alerts in 200 incidents
            gw.post("/api/v1/alerts", record("seed%08d" % i, "%064x" % (10**6 + i % 200),
                                             rcpts[i % len(rcpts)]))
        lan = env.client()
        lan.login("lan", "bench-password-1")
        cookie = "vigil_session=" + [c.value for c in lan.jar if c.name == "vigil_session"][0]
        inc = lan.get("/api/v1/incidents?limit=1").json["incidents"][0]["id"]
        res = {}
        res["list"] = wrk(["-H", "Cookie: " + cookie, env.base + "/api/v1/incidents?limit=50"],
                          seconds)
        res["get"] = wrk(["-H", "Cookie: " + cookie, env.base + "/api/v1/incidents/%d" % inc],
                         seconds)
        lua = os.path.join(tmp, "alert.lua")
        body = json.dumps(record("UIDUIDUID", "SHASHA", rcpts[1]))
        with open(lua, "w") as f:
            f.write(LUA_ALERT % body)
        res["ingest"] = wrk(["-s", lua, "-H", "Authorization: Bearer " + tok, "-H",
                             "Content-Type: application/json", env.base], seconds)
        total = admin.get("/api/v1/alerts?limit=1").json["total"]
        res["alerts_after"] = total
        return res
    finally:
        env.stop()


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    os.environ["VIGIL_BUILD"] = os.path.abspath(build)
    from vigild_env import Postgres, VigildEnv, cleanup
    if shutil.which("wrk") is None:
        print("api bench: wrk is not installed (apt-get install wrk)")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="vigil-apibench-")
    os.chmod(tmp, 0o755)
    rows = []
    try:
        rows.append(("SQLite", run_store("sqlite", VigildEnv(os.path.join(tmp, "s")), seconds,
                                         tmp)))
        pg = Postgres(os.path.join(tmp, "pgw"))
        if pg.start():
            try:
                rows.append(("PostgreSQL", run_store("pg", VigildEnv(os.path.join(tmp, "p"), pg.url),
                                                     seconds, tmp)))
            finally:
                pg.stop()
    finally:
        cleanup(tmp)
    lines = ["# vigild API throughput", "",
             "Machine: %d cores; %s. Command: `python3 bench/api_bench.py %s %d` (part of "
             "`make bench`). wrk: 2 threads, 16 connections, %d s per line, on the same machine "
             "as vigild (4 threads)." % (os.cpu_count(), time.strftime("%Y-%m-%d"), build,
                                         seconds, seconds), "",
             "| store | endpoint | requests/s | p50 ms | p99 ms | non-2xx |",
             "|---|---|---|---|---|---|"]
    names = {"list": "GET /incidents?limit=50 (session)", "get": "GET /incidents/ID (session)",
             "ingest": "POST /alerts (gateway token, new record each)"}
    for store, res in rows:
        for k in ("list", "get", "ingest"):
            r = res[k]
            lines.append("| %s | %s | %.0f | %s | %s | %d |" % (
                store, names[k], r["rps"], "%.1f" % r["p50"] if r["p50"] is not None else "-",
                "%.1f" % r["p99"] if r["p99"] is not None else "-", r["errors"]))
    lines += ["", "Seeded with 2,000 alerts in 200 incidents before the runs; every ingested "
              "alert is grouped (its attachment hash is one of 500) into an open incident or "
              "opens one, with its audit entry, in one transaction.", ""]
    os.makedirs(os.path.join(TOP, "bench", "results"), exist_ok=True)
    with open(os.path.join(TOP, "bench", "results", "api.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
