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
import os
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


# Records are generated inside the database (a recursive CTE in SQLite,
# generate_series in PostgreSQL) from the same integer hashes, so both stores
# hold the same rows and 10 million records fill in minutes.  h(i, P) is a
# multiplicative hash of the record number; campaign hashes come from a small
# table of SHA-256 values computed here.
def h(i, p):
    return "((((%s) * %d) %% 4294967296) >> 4)" % (i, p)


P1, P2, P3, P4, P5, P6 = 2654435761, 2246822519, 3266489917, 668265263, 374761393, 1500450271


def dom_expr(i):
    return "'sender' || (%s %% 1000) || '.example'" % h(i, P1)


def from_expr(i):
    return "'user' || (%s %% 50) || '@' || %s" % (h(i, P2), dom_expr(i))


def when_expr(i):
    return "(%d + (%s %% 90) * %d + (%s %% %d))" % (T0, h(i, P3), DAY, h(i, P4), DAY)


def campaign(k):
    return hashlib.sha256(b"campaign%d" % k).hexdigest()


def fill_sql(n, series, uid):
    """The INSERT statements for n records; series(n) is a FROM clause giving i."""
    return [
        "INSERT INTO messages (id, uid, gateway, message_id, received_ms, direction, "
        "env_from_lc, env_from_domain, subject, verdict, score, action, size, scan_ms, drill, "
        "clipped, stored_ms) %%OVERRIDE%% SELECT i, %s, 'gw1', 'm' || i || '.1@gen.example', "
        "%s, 'inbound', %s, %s, 'Subject ' || (i %% 997), 'clean', 0, 'tag', 4000, 1.0, 0, 0, "
        "%s FROM %s" % (uid, when_expr("i"), from_expr("i"), dom_expr("i"), when_expr("i"),
                        series(n)),
        "INSERT INTO attachments (id, msg, path, name, type, sha256, size, depth) SELECT "
        "i * %d, i, 'msg/2:a.doc', 'a.doc', 'ole2', c.h, 10000, 1 FROM %s JOIN camp c ON "
        "c.k = %s %% %d WHERE i %% 10 = 0" % (KEY, series(n), h("i", P5), CAMPAIGNS),
        "INSERT INTO recipients (id, msg, addr, addr_lc, domain) SELECT i * %d + k, i, "
        "'staff' || (%s %% 20000) || '@bhxh.example', 'staff' || (%s %% 20000) || "
        "'@bhxh.example', 'bhxh.example' FROM %s JOIN ks ON k <= i %% 3"
        % (KEY, h("i * 3 + k", P6), h("i * 3 + k", P6), series(n)),
        "INSERT INTO header_addrs (id, msg, field, addr, addr_lc, domain) SELECT i * %d, i, "
        "'from', %s, %s, %s FROM %s" % (KEY, from_expr("i"), from_expr("i"), dom_expr("i"),
                                         series(n)),
        "INSERT INTO domains (id, msg, domain) SELECT i * %d, i, %s FROM %s"
        % (KEY, dom_expr("i"), series(n)),
    ]


TABLES = ("messages", "attachments", "recipients", "header_addrs", "domains")


def fill_sqlite(path, n):
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA cache_size = -4000000")
    con.execute("PRAGMA temp_store = MEMORY")
    # bulk load: indexes dropped and built again afterwards
    idx = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
                      "NULL AND tbl_name IN (%s)" % ",".join("'%s'" % t for t in TABLES)).fetchall()
    for name, _ in idx:
        con.execute("DROP INDEX %s" % name)
    con.execute("CREATE TEMP TABLE camp (k INTEGER PRIMARY KEY, h TEXT)")
    con.executemany("INSERT INTO camp VALUES (?, ?)", [(k, campaign(k)) for k in
                                                       range(CAMPAIGNS)])
    con.execute("CREATE TEMP TABLE ks (k INTEGER PRIMARY KEY)")
    con.executemany("INSERT INTO ks VALUES (?)", [(0,), (1,), (2,)])

    def series(m):
        return "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) " \
               "SELECT i FROM s)" % m
    for q in fill_sql(n, series, "printf('%032x', i)"):
        con.execute(q.replace("%OVERRIDE%", ""))
        con.commit()
    for _, sql in idx:
        con.execute(sql)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def fill_pg(pg, n):
    psql = pg.as_ + [os.path.join(pg.bin, "psql"), "-q", "-v", "ON_ERROR_STOP=1", pg.url]
    idx = subprocess.run(psql + ["-At", "-F", "\t", "-c",
                                 "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                                 "(%s) AND indexname NOT LIKE '%%pkey' AND indexname NOT LIKE "
                                 "'%%_key'" % ",".join("'%s'" % t for t in TABLES)],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    idx = [x.split("\t", 1) for x in idx if "\t" in x]
    script = ["SET maintenance_work_mem = '2GB';", "SET synchronous_commit = off;"]
    script += ["DROP INDEX %s;" % name for name, _ in idx]
    script += ["CREATE TEMP TABLE camp (k BIGINT PRIMARY KEY, h TEXT);",
               "INSERT INTO camp VALUES %s;" % ",".join("(%d, '%s')" % (k, campaign(k)) for k in
                                                         range(CAMPAIGNS)),
               "CREATE TEMP TABLE ks (k BIGINT PRIMARY KEY);", "INSERT INTO ks VALUES (0),(1),(2);"]
    script += [q.replace("%OVERRIDE%", "OVERRIDING SYSTEM VALUE") + ";" for q in
               fill_sql(n, lambda m: "generate_series(1::bigint, %d) AS i" % m,
                        "lpad(to_hex(i), 32, '0')")]
    script += ["%s;" % d for _, d in idx]
    script += ["ANALYZE;"]
    path = os.path.join(pg.tmp, "fill.sql")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    os.chmod(path, 0o644)
    subprocess.run(psql + ["-f", path], check=True)


def time_hunts(vigil, db):
    sha = campaign(4242)
    day = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime((T0 + 30 * DAY) / 1000))
    day2 = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime((T0 + 37 * DAY) / 1000))
    queries = [
        ("attachment SHA-256", ["--sha256", sha]),
        ("sender domain", ["--sender-domain", "sender17.example"]),
        ("Message-ID", ["--message-id", "m123457.1@gen.example"]),
        ("sender address, one week", ["--sender", "user3@sender17.example", "--from", day,
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
    lines += ["", "Load average when the run ended: %.1f (on %d cores; other work running "
              "on the machine makes these times upper bounds)." % (os.getloadavg()[0],
                                                                   os.cpu_count())]
    lines += ["", "Filling (bulk insert, not the gateway's path): " + ", ".join(
        sorted({"%s %s records %.0f s" % (s, "{:,}".format(n), f) for s, n, _, _, _, f in rows})),
        ""]
    with open(os.path.join(TOP, "bench", "results", "hunt.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
