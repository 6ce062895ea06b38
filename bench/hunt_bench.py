#!/usr/bin/env python3
"""bench/hunt_bench.py BUILD [MILLIONS ...] - hunt time over generated message records.

For each size (default 1 million records) and each store (SQLite, and a
throw-away PostgreSQL), create the store with vigil's own migrations (by
opening it with `vigil hunt`), fill it with generated records in bulk (the
same tables and keys the gateway writes: messages, attachments, recipients,
From: addresses, domains), then time `vigil hunt` for typical questions:
  - an attachment's SHA-256 (a campaign: ~100 copies among the records)
  - a sender domain (~1,000 messages)
  - a Message-ID (one message)
  - a sender address within one day
Each hunt returns its first page (at most 1,000 messages with their
recipients) and the total count. Results: bench/results/hunt.md.
"""
import hashlib
import io
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "server"))
KEY = 65536
DAY = 86400 * 1000
T0 = 1790000000000  # ms: records spread over 90 days from here
CAMPAIGNS = 10000   # distinct attachment hashes; 1 in 10 messages carries one


def gen(n, seed=1):
    """Yields (msg row, [attachment rows], [recipient rows], [from rows], [domain rows])."""
    rnd = random.Random(seed)
    for i in range(1, n + 1):
        dom = "sender%d.example" % rnd.randrange(1000)
        frm = "user%d@%s" % (rnd.randrange(50), dom)
        t = T0 + rnd.randrange(90 * DAY)
        mid = "m%d.%d@gen.example" % (i, seed)
        msg = (i, "%032x" % i, "gw1", mid, t, "inbound", frm.lower(), dom, "Subject %d" % (i % 997),
               "clean", 0, "tag", 4000, 1.0, 0, 0, t)
        atts = []
        if i % 10 == 0:
            h = hashlib.sha256(b"campaign%d" % rnd.randrange(CAMPAIGNS)).hexdigest()
            atts.append((i * KEY, i, "msg/2:a.doc", "a.doc", "ole2", h, 10000, 1))
        rcpts = []
        for k in range(1 + (i % 3)):
            a = "staff%d@bhxh.example" % rnd.randrange(20000)
            rcpts.append((i * KEY + k, i, a, a, "bhxh.example"))
        froms = [(i * KEY, i, "from", frm, frm.lower(), dom)]
        doms = [(i * KEY, i, dom)]
        yield msg, atts, rcpts, froms, doms


def fill_sqlite(path, n):
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA journal_mode = WAL")
    cur = con.cursor()
    batch = {"m": [], "a": [], "r": [], "f": [], "d": []}

    def flush():
        cur.executemany("INSERT INTO messages (id, uid, gateway, message_id, received_ms, "
                        "direction, env_from_lc, env_from_domain, subject, verdict, score, "
                        "action, size, scan_ms, drill, clipped, stored_ms) VALUES "
                        "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch["m"])
        cur.executemany("INSERT INTO attachments (id, msg, path, name, type, sha256, size, depth) "
                        "VALUES (?,?,?,?,?,?,?,?)", batch["a"])
        cur.executemany("INSERT INTO recipients (id, msg, addr, addr_lc, domain) VALUES "
                        "(?,?,?,?,?)", batch["r"])
        cur.executemany("INSERT INTO header_addrs (id, msg, field, addr, addr_lc, domain) VALUES "
                        "(?,?,?,?,?,?)", batch["f"])
        cur.executemany("INSERT INTO domains (id, msg, domain) VALUES (?,?,?)", batch["d"])
        for v in batch.values():
            v.clear()
    for m, a, r, f, d in gen(n):
        batch["m"].append(m)
        batch["a"] += a
        batch["r"] += r
        batch["f"] += f
        batch["d"] += d
        if len(batch["m"]) >= 50000:
            flush()
    flush()
    con.commit()
    con.execute("ANALYZE")
    con.close()


def fill_pg(pg, n):
    tables = {
        "messages": "(id, uid, gateway, message_id, received_ms, direction, env_from_lc, "
                    "env_from_domain, subject, verdict, score, action, size, scan_ms, drill, "
                    "clipped, stored_ms)",
        "attachments": "(id, msg, path, name, type, sha256, size, depth)",
        "recipients": "(id, msg, addr, addr_lc, domain)",
        "header_addrs": "(id, msg, field, addr, addr_lc, domain)",
        "domains": "(id, msg, domain)",
    }
    bufs = {k: io.StringIO() for k in tables}

    def row(buf, vals):
        buf.write("\t".join(str(v) for v in vals) + "\n")
    for m, a, r, f, d in gen(n):
        row(bufs["messages"], m)
        for x in a:
            row(bufs["attachments"], x)
        for x in r:
            row(bufs["recipients"], x)
        for x in f:
            row(bufs["header_addrs"], x)
        for x in d:
            row(bufs["domains"], x)
    # messages.id is GENERATED ALWAYS: OVERRIDING SYSTEM VALUE through a staging table
    sql = ["CREATE TEMP TABLE m_in (LIKE messages INCLUDING DEFAULTS)"]
    psql = pg.as_ + [os.path.join(pg.bin, "psql"), "-q", "-v", "ON_ERROR_STOP=1", pg.url]
    for t, cols in tables.items():
        data = bufs[t].getvalue().encode()
        target = "m_in" if t == "messages" else t
        script = ("CREATE TEMP TABLE m_in (LIKE messages INCLUDING DEFAULTS);\n" if t ==
                  "messages" else "") + "\\copy %s %s FROM pstdin\n" % (target, cols)
        script_path = os.path.join(pg.tmp, "copy.sql")
        if t == "messages":
            script = ("BEGIN;\nCREATE TEMP TABLE m_in AS SELECT * FROM messages WHERE false;\n"
                      "\\copy m_in %s FROM pstdin\nINSERT INTO messages OVERRIDING SYSTEM VALUE "
                      "SELECT * FROM m_in;\nCOMMIT;\n" % cols)
        with open(script_path, "w") as f:
            f.write(script)
        os.chmod(script_path, 0o644)
        subprocess.run(psql + ["-f", script_path], input=data, check=True)
    del sql
    subprocess.run(psql + ["-c", "ANALYZE"], check=True)


def time_hunts(vigil, db):
    rnd = random.Random(7)
    h = hashlib.sha256(b"campaign%d" % rnd.randrange(CAMPAIGNS)).hexdigest()
    day = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime((T0 + 30 * DAY) / 1000))
    day2 = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime((T0 + 31 * DAY) / 1000))
    queries = [
        ("attachment SHA-256", ["--sha256", h]),
        ("sender domain", ["--sender-domain", "sender17.example"]),
        ("Message-ID", ["--message-id", "m123457.1@gen.example"]),
        ("sender address, one day", ["--sender", "user3@sender17.example", "--from", day,
                                     "--to", day2]),
    ]
    out = []
    for name, args in queries:
        best = None
        found = 0
        for _ in range(3):
            t = time.time()
            r = subprocess.run([vigil, "hunt", "--db", db, "--json", "--limit", "1000"] + args,
                               capture_output=True, text=True)
            dt = time.time() - t
            found = len(r.stdout.splitlines())
            best = dt if best is None or dt < best else best
        out.append((name, best, found))
    return out


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    sizes = [float(x) for x in sys.argv[2:]] or [1.0]
    vigil = os.path.join(build, "src", "vigil")
    from vigild_env import Postgres
    tmp = tempfile.mkdtemp(prefix="vigil-hunt-")
    os.chmod(tmp, 0o755)
    rows = []
    try:
        for mil in sizes:
            n = int(mil * 1000000)
            path = os.path.join(tmp, "h%d.db" % n)
            subprocess.run([vigil, "hunt", "--db", "sqlite:" + path, "--sha256", "0" * 64],
                           capture_output=True)  # creates the schema
            t = time.time()
            fill_sqlite(path, n)
            fill_s = time.time() - t
            for name, secs, found in time_hunts(vigil, "sqlite:" + path):
                rows.append(("SQLite", n, name, secs, found, fill_s))
            os.unlink(path)
            pg = Postgres(os.path.join(tmp, "pg%d" % n))
            if pg.start():
                try:
                    subprocess.run([vigil, "hunt", "--db", pg.url, "--sha256", "0" * 64],
                                   capture_output=True)
                    t = time.time()
                    fill_pg(pg, n)
                    fill_s = time.time() - t
                    for name, secs, found in time_hunts(vigil, pg.url):
                        rows.append(("PostgreSQL", n, name, secs, found, fill_s))
                finally:
                    pg.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = ["# Hunt time over generated message records", "",
             "Machine: %d cores; %s. Command: `python3 bench/hunt_bench.py build %s`. Each time is "
             "the best of 3 runs of `vigil hunt --json --limit 1000` (a new process: opening the "
             "store included), returning the first page with recipients and the total count."
             % (os.cpu_count(), time.strftime("%Y-%m-%d"), " ".join(sys.argv[2:]) or "1"), "",
             "| store | records | hunt by | seconds | messages returned |", "|---|---|---|---|---|"]
    for store, n, name, secs, found, _ in rows:
        lines.append("| %s | %s | %s | %.3f | %d |" % (store, "{:,}".format(n), name, secs,
                                                        found))
    lines += ["", "Filling (bulk insert, not the gateway's path): " + ", ".join(
        sorted({"%s %s records %.0f s" % (s, "{:,}".format(n), f) for s, n, _, _, _, f in rows})),
        ""]
    with open(os.path.join(TOP, "bench", "results", "hunt.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
