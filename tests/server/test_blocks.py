#!/usr/bin/env python3
"""tests/server/test_blocks.py - vigild's block list and its stream to the gateways.

Against a real vigild (SQLite, then PostgreSQL) and real vigil-milter
processes (without Postfix: what is looked at is their block list, status and
acknowledgements; tests/e2e/test_block_push.py sends mail through two stacks).

SQLite:
  - who may do what: the stream and acknowledgements take gateway tokens only
    (none, a forged one, a revoked one: 401; an API token or a session: 403);
    the global list and GET /gateways take central roles only;
  - the stream: hello (stream id, head), every event after Last-Event-ID in
    order with its id, then live events; a position the database never gave
    out (too high, or another stream's) gets a reset and the whole list; bad
    Last-Event-ID is 400; an idle stream carries keep-alive comments;
  - membership: an indicator of an open real incident is one add event; the
    same value on a second incident adds nothing, closing one of the two
    removes nothing, closing both removes it, reopening adds it back; drill
    and closed incidents block nothing; alerts grouped into an incident block
    its hash; the global list adds, refuses a duplicate (409), removes
    (unless an incident still has it); both audited;
  - acknowledgements: GET /gateways shows each gateway's position, missing
    count and connection; the incident document shows per indicator which
    gateways have it; an ack beyond the newest event is 409;
  - a real vigil-milter: gets and acknowledges blocks within a second,
    restarted after blocks were added while it was down it catches up from
    its saved position (it blocks the old ones before reconnecting);
  - many streams coming and going while events flow: every stream that stays
    gets every event, in order; a token revoked mid-stream gets no further
    event; vigild stops promptly with streams open.
PostgreSQL: two vigild nodes on one database, with their safety-net polling
set to 10 minutes: an indicator added on node A reaches a vigil-milter and a
stream connected to node B within a second (LISTEN/NOTIFY), and both nodes
show the gateway's acknowledgement.
"""
import os
import random
import signal
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
sys.path.insert(0, HERE)
import vtest  # noqa: E402
from sse_client import SSE, MilterProc  # noqa: E402
from vigild_env import BUILD, VIGILD, Postgres, VigildEnv, cleanup  # noqa: E402

TOP = os.environ.get("VIGIL_TOP") or os.path.dirname(os.path.dirname(HERE))
MILTER = os.path.join(BUILD, "src", "vigil-milter")
C = vtest.Checks("blocks")
PW = "mật-khẩu-đủ-dài-1"


def sha(n):
    return "%064x" % n


def configure(env, extra):
    """adds keys to [server] of a VigildEnv's configuration (before start)"""
    with open(env.conf) as f:
        text = f.read()
    with open(env.conf, "w") as f:
        f.write(text.replace("[server]\n", "[server]\n" + extra, 1))


def people(env):
    admin = env.client()
    admin.login("admin", env.admin_password())
    cl = {"admin": admin}
    for name, role, unit in (("ca", "central_analyst", None), ("pa", "provincial_analyst", "hanoi"),
                             ("dc", "drill_controller", None), ("vw", "viewer", None)):
        body = {"username": name, "display_name": name, "role": role, "password": PW}
        if unit:
            body["unit"] = unit
        admin.post("/api/v1/users", body)
        c = env.client()
        c.login(name, PW)
        cl[name] = c
    return cl


def token(admin, name, kind="gateway"):
    r = admin.post("/api/v1/tokens", {"name": name, "kind": kind})
    return r.json["token"], r.json["id"]


def incident(c, title="Thư giả mạo", drill=False):
    r = c.post("/api/v1/incidents", {"title": title, "units": ["hanoi"], "severity": "high",
                                     "drill": drill})
    return r.json["id"] if r.status == 201 else None


def add_ind(c, inc, typ, value):
    return c.post("/api/v1/incidents/%d/indicators" % inc, {"type": typ, "value": value})


def head(c):
    return c.get("/api/v1/gateways").json["head"]


def gateway(c, name):
    for g in c.get("/api/v1/gateways").json["gateways"]:
        if g["name"] == name:
            return g
    return None


def wait_for(fn, seconds, step=0.05):
    end = time.monotonic() + seconds
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() >= end:
            return None
        time.sleep(step)


def access(env, cl, gw_tok, api_tok, revoked_tok):
    p = "[sqlite] "
    for what, tok, want in (("no token", None, 401), ("a forged token", "vgt_" + "A" * 43, 401),
                            ("a revoked gateway token", revoked_tok, 401),
                            ("an API token", api_tok, 403)):
        s = SSE(env.base, tok, 0)
        C.check(s.status == want and s.headers.get("content-type", "").startswith(
            "application/json"), p + "the stream with %s: %d" % (what, want),
            (s.status, s.error_body))
        s.close()
    # a signed-in administrator is no gateway either
    r = cl["admin"].get("/api/v1/stream/blocks")
    C.check(r.status == 403, p + "the stream with an administrator's session: 403", r)
    r = env.client("vgt_" + "B" * 43).post("/api/v1/gateways/ack", {"seq": 0})
    C.check(r.status == 401, p + "an acknowledgement with a forged token: 401", r)
    r = env.client(api_tok).post("/api/v1/gateways/ack", {"seq": 0})
    C.check(r.status == 403, p + "an acknowledgement with an API token: 403", r)
    for name in ("pa", "dc", "vw"):
        r = cl[name].post("/api/v1/blocklist", {"type": "domain", "value": "x.example"})
        C.check(r.status == 403, p + "%s may not add to the global block list" % name, r)
        r = cl[name].get("/api/v1/gateways")
        C.check(r.status == 403, p + "%s may not see the gateways" % name, r)
    r = env.client(gw_tok).get("/api/v1/blocklist")
    C.check(r.status == 403, p + "a gateway token may not read the global list", r)
    for bad in ("abc", "-1", "1" * 19):
        s = SSE(env.base, gw_tok, bad)
        C.check(s.status == 400, p + "Last-Event-ID %r: 400" % bad, (s.status, s.error_body))
        s.close()


def stream_and_membership(env, cl, gw_tok):
    p = "[sqlite] "
    ca = cl["ca"]
    s = SSE(env.base, gw_tok, 0, "gateway=gw-a.bhxh")
    hello = s.event()
    C.check(s.status == 200 and s.headers.get("content-type") == "text/event-stream" and
            hello and hello["event"] == "hello" and hello["data"]["head"] == 0 and
            len(hello["data"]["stream"]) == 32,
            p + "the stream opens with hello {stream, head 0}", (s.status, hello))
    stream_id = hello["data"]["stream"] if hello else ""

    # an indicator of an open incident: one add event, live
    i1 = incident(ca)
    t0 = time.monotonic()
    r = add_ind(ca, i1, "sha256", sha(1).upper())
    ev = s.event(3)
    dt = time.monotonic() - t0
    C.check(r.status == 200 and ev and ev["event"] == "block" and ev["data"]["op"] == "add" and
            ev["data"]["type"] == "sha256" and ev["data"]["value"] == sha(1) and
            ev["id"] == str(ev["data"]["seq"]) and dt < 1.0,
            p + "an indicator added to an open incident reaches the stream in %.0f ms (< 1 s), "
            "lower-cased" % (dt * 1000), ev)
    seq1 = ev["data"]["seq"] if ev else 0
    # the same value on a second incident adds nothing; closing one removes nothing
    i2 = incident(ca, "Cùng chiến dịch")
    add_ind(ca, i2, "sha256", sha(1))
    add_ind(ca, i2, "domain", "lure.example")
    ev = s.event(3)
    C.check(ev and ev["data"]["type"] == "domain" and ev["data"]["seq"] == seq1 + 1,
            p + "a value already blocked by another incident is no new event", ev)
    for st in ("triage", "containment", "eradication", "recovery", "closed"):
        ca.patch("/api/v1/incidents/%d" % i1, {"status": st})
    ev = s.event(1.5)
    C.check(ev is None, p + "closing one of two incidents with the value removes nothing", ev)
    for st in ("triage", "containment", "eradication", "recovery", "closed"):
        ca.patch("/api/v1/incidents/%d" % i2, {"status": st})
    evs = s.events(2, 3)
    C.check(sorted((e["data"]["op"], e["data"]["type"]) for e in evs) ==
            [("remove", "domain"), ("remove", "sha256")],
            p + "closing the last incident that has them removes both", evs)
    r = ca.patch("/api/v1/incidents/%d" % i2, {"status": "triage"})
    evs = s.events(2, 3)
    C.check(r.status == 200 and sorted((e["data"]["op"], e["data"]["type"]) for e in evs) ==
            [("add", "domain"), ("add", "sha256")], p + "reopening it blocks them again", evs)
    # drill incidents and closed ones block nothing
    d = incident(cl["dc"], "Diễn tập", drill=True)
    r = add_ind(cl["dc"], d, "domain", "drill.example")
    add_ind(ca, i1, "domain", "closed.example")
    ev = s.event(1.5)
    C.check(d is not None and r.status == 200 and ev is None,
            p + "indicators of a drill or a closed incident are not blocked", ev)
    # alerts grouped into an incident block its hash
    rec = {"uid": "blk1", "gateway": "gw1", "queue_id": None, "message_id": "m1@evil.example",
           "date_header": None, "received_ms": int(time.time() * 1000), "direction": "inbound",
           "client_addr": "203.0.113.5", "env_from": "x@evil.example",
           "env_rcpts": ["long@bhxh.example"], "hdr_from": ["x@evil.example"],
           "hdr_to": ["long@bhxh.example"], "subject": "Công văn",
           "attachments": [{"path": "msg/2:a.doc", "name": "a.doc", "type": "ole2",
                            "mime": "application/msword", "sha256": sha(7), "sha1": None,
                            "md5": None, "size": 10, "depth": 1}],
           "urls": [], "domains": [], "verdict": "malicious", "score": 100,
           "action": "quarantine", "quarantine_id": None,
           "findings": [{"id": "combo.macro_runs_program", "severity": "critical", "title": "m",
                         "object": "msg/2:a.doc", "attack": "", "evidence": "x"}],
           "size": 100, "scan_ms": 1.0, "drill": 0}
    r = env.client(gw_tok).post("/api/v1/alerts", rec)
    evs = s.events(2, 3)
    got = {(e["data"]["type"], e["data"]["value"]) for e in evs}
    C.check(r.status == 201 and ("sha256", sha(7)) in got and ("email", "x@evil.example") in got,
            p + "a malicious alert's incident blocks its hash and sender", evs)
    # the global list
    r = ca.post("/api/v1/blocklist", {"type": "url", "value": "https://Evil.Example/Login",
                                      "description": "trang giả mạo"})
    ev = s.event(3)
    C.check(r.status == 201 and ev and ev["data"]["value"] == "https://evil.example/login" and
            r.json["seq"] == ev["data"]["seq"],
            p + "the global list adds (201 with the event's seq)", (r, ev))
    bl_id = r.json["id"] if r.status == 201 else 0
    r = ca.post("/api/v1/blocklist", {"type": "url", "value": "https://evil.example/login"})
    C.check(r.status == 409, p + "the same entry again: 409", r)
    r = ca.post("/api/v1/blocklist", {"type": "ipv4", "value": "300.1.1.1"})
    C.check(r.status == 400 and "IPv4" in r.json["error"]["message"],
            p + "a value that is not of its type: 400 saying why", r)
    r = ca.post("/api/v1/blocklist", {"type": "domain", "value": "lure.example"})
    ca.post("/api/v1/blocklist", {"type": "domain", "value": "lure.example"})
    ev = s.event(1.5)
    C.check(r.status == 201 and ev is None,
            p + "a global entry already blocked by an incident is no new event", ev)
    r2 = ca.delete("/api/v1/blocklist/%d" % r.json["id"])
    C.check(r2.status == 200 and r2.json["still_blocked"] and s.event(1.5) is None,
            p + "removing it from the global list: still blocked (the incident has it)", r2)
    r = ca.delete("/api/v1/blocklist/%d" % bl_id)
    ev = s.event(3)
    C.check(r.status == 200 and not r.json["still_blocked"] and ev and
            ev["data"]["op"] == "remove", p + "removing the URL: a remove event", (r, ev))
    r = ca.delete("/api/v1/blocklist/%d" % bl_id)
    C.check(r.status == 404, p + "removing it again: 404", r)
    r = cl["admin"].get("/api/v1/audit?limit=200")
    acts = [a["action"] for a in r.json["entries"]] if r.status == 200 else []
    C.check("blocklist.add" in acts and "blocklist.remove" in acts,
            p + "global list changes are in the audit log", acts[:20])
    last = head(ca)
    s.close()

    # catch-up after reconnecting, and a reset for a position never given out
    s2 = SSE(env.base, gw_tok, seq1)
    evs = s2.events(last - seq1 + 1, 5)
    seqs = [int(e["id"]) for e in evs if e["event"] == "block"]
    C.check(evs and evs[0]["data"]["after"] == seq1 and seqs == list(range(seq1 + 1, last + 1)),
            p + "Last-Event-ID %d: every later event (%d..%d), in order" % (seq1, seq1 + 1, last),
            [e["id"] for e in evs])
    s2.close()
    for what, lei, q in (("a position beyond the newest event", last + 100, ""),
                         ("another database's stream", last, "stream=" + "f" * 32)):
        s3 = SSE(env.base, gw_tok, lei, q)
        evs = s3.events(2 + last, 5)
        kinds = [e["event"] for e in evs]
        C.check(kinds[:2] == ["hello", "reset"] and evs[0]["data"]["after"] == 0 and
                [int(e["id"]) for e in evs[2:]] == list(range(1, last + 1)),
                p + "%s: reset, then the whole list from 1" % what, kinds[:4])
        s3.close()
    s4 = SSE(env.base, gw_tok, last, "stream=" + stream_id)
    evs = s4.events(2, 1.5)
    C.check([e["event"] for e in evs] == ["hello"], p + "our own stream at the head: no events",
            evs)
    s4.close()
    return last


def keepalive(env, cl, gw_tok):
    s = SSE(env.base, gw_tok, head(cl["ca"]))
    s.event(2)  # hello
    s.event(2.5)
    C.check(s.comments >= 1 and not s.closed,
            "[sqlite] an idle stream carries keep-alive comments (stream_keepalive = 1)",
            s.comments)
    s.close()


def acks(env, cl, gw_tok, gw2_tok):
    p = "[sqlite] "
    ca = cl["ca"]
    i = incident(ca, "Để xem cổng nào có")
    add_ind(ca, i, "md5", "d" * 32)
    h = head(ca)
    r = env.client(gw_tok).post("/api/v1/gateways/ack", {"seq": h})
    C.check(r.status == 200 and r.json["acked"] == h, p + "gateway A acknowledges %d" % h, r)
    r = env.client(gw2_tok).post("/api/v1/gateways/ack", {"seq": h - 1})
    C.check(r.status == 200, p + "gateway B acknowledges %d" % (h - 1), r)
    g = ca.get("/api/v1/gateways").json
    a, b = gateway(ca, "gw-a"), gateway(ca, "gw-b")
    C.check(a and a["acked_seq"] == h and a["up_to_date"] and a["missing"] == 0 and
            a["host"] == "gw-a.bhxh" and a["acked_at"],
            p + "GET /gateways: A is up to date, with its name and when it acknowledged", a)
    C.check(b and b["acked_seq"] == h - 1 and not b["up_to_date"] and b["missing"] == 1 and
            g["head"] == h and g["blocked"] >= 1, p + "…B misses one block", (b, g["head"]))
    doc = ca.get("/api/v1/incidents/%d" % i).json
    ind = [x for x in doc["indicators"] if x["type"] == "md5"][0]
    C.check(ind["block"] and ind["block"]["seq"] == h and ind["block"]["gateways"] == ["gw-a"] and
            ind["block"]["pending"] == ["gw-b"],
            p + "the incident document shows which gateways block the indicator", ind)
    # incident 1 is closed: its own domain is not blocked, its hash is (incident 2 has it)
    closed = {x["value"]: x["block"] for x in ca.get("/api/v1/incidents/1").json["indicators"]}
    C.check(closed.get("closed.example", 1) is None and closed.get(sha(1)) is not None,
            p + "a closed incident's indicator shows no block unless another source keeps it",
            closed)
    for bad, want in (({"seq": h + 5}, 409), ({"seq": -1}, 400), ({"seq": "7"}, 400), ({}, 400)):
        r = env.client(gw_tok).post("/api/v1/gateways/ack", bad)
        C.check(r.status == want, p + "ack %s: %d" % (bad, want), r)


def real_milter(env, cl, gw3_tok, tmp):
    p = "[sqlite] "
    ca = cl["ca"]
    m = MilterProc(BUILD, TOP, os.path.join(tmp, "gw3"), env.base, "gw3.bhxh")
    with open(m.token_file, "w") as f:
        f.write(gw3_tok + "\n")
    try:
        st = m.start()
        h = head(ca)
        ok = wait_for(lambda: (gateway(ca, "gw-c") or {}).get("acked_seq") == h, 5)
        C.check(st["blocks"]["connected"] and ok,
                p + "a vigil-milter subscribes, receives the whole list and acknowledges it", st)
        i = incident(ca, "Cổng thật")
        t0 = time.monotonic()
        r = add_ind(ca, i, "subject", "Thông báo nộp BHXH khẩn")
        h = head(ca)
        ok = wait_for(lambda: (gateway(ca, "gw-c") or {}).get("acked_seq") == h, 5, 0.005)
        dt = time.monotonic() - t0
        st = m.status()["blocks"]
        C.check(r.status == 200 and ok and dt < 1.0 and st["seq"] == h and st["acked"] == h,
                p + "an indicator reaches the milter and is acknowledged in %.0f ms (< 1 s)" %
                (dt * 1000), st)
        n_before = st["blocks"]
        m.stop()
        import json as _json
        with open(m.state_file) as f:
            saved = _json.load(f)
        C.check(saved["seq"] == h and len(saved["blocks"]) == n_before,
                p + "the milter saved its block list and position (%d) on disk" % h, saved["seq"])
        g = wait_for(lambda: not (gateway(ca, "gw-c") or {}).get("connected", True) and
                     gateway(ca, "gw-c"), 30, 0.2)
        C.check(g is not None, p + "the stopped gateway shows as disconnected", gateway(ca, "gw-c"))
        add_ind(ca, i, "filename", "HoSo_BHXH.zip")
        add_ind(ca, i, "ipv4", "198.51.100.77")
        h2 = head(ca)
        g = gateway(ca, "gw-c")
        C.check(g["acked_seq"] == h and g["missing"] == 2,
                p + "while it is down, vigild shows it misses the 2 new blocks", g)
        # restarted without its token first: what it blocks comes from its file
        os.rename(m.token_file, m.token_file + ".away")
        st = m.start(wait_connected=False)["blocks"]
        C.check(st["blocks"] == n_before and st["seq"] == h and not st["connected"],
                p + "restarted, it blocks what it saved (%d) before it can reconnect" % n_before,
                st)
        os.rename(m.token_file + ".away", m.token_file)
        ok = wait_for(lambda: (gateway(ca, "gw-c") or {}).get("acked_seq") == h2, 10)
        st = m.status()["blocks"]
        C.check(ok and st["blocks"] == n_before + 2 and st["seq"] == h2,
                p + "…and catches up after its saved position (Last-Event-ID %d)" % h, st)
        C.check("following vigild's block list after %d" % h in m.tail(),
                p + "…which its log names", m.tail()[-600:])
    finally:
        m.stop()


def churn(env, cl, gw_tok):
    """streams connecting and leaving while events flow: no lost or misordered event"""
    ca = cl["ca"]
    start = head(ca)
    stop = threading.Event()
    errors = []

    def flapper():
        while not stop.is_set():
            try:
                s = SSE(env.base, gw_tok, random.randint(0, start))
                s.event(random.random() * 0.3)
                s.close()
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

    keepers = [SSE(env.base, gw_tok, start) for _ in range(3)]
    for k in keepers:
        k.event(2)
    threads = [threading.Thread(target=flapper) for _ in range(4)]
    for t in threads:
        t.start()
    n = 60
    for k in range(n):
        ca.post("/api/v1/blocklist", {"type": "domain", "value": "churn%d.example" % k})
    stop.set()
    for t in threads:
        t.join()
    ok = True
    for k in keepers:
        got = [int(e["id"]) for e in k.events(n, 10)]
        ok = ok and got == list(range(start + 1, start + n + 1))
        k.close()
    C.check(ok and not errors,
            "[sqlite] %d events while streams come and go: every lasting stream gets all, in "
            "order" % n, errors[:3])
    r = ca.get("/api/v1/health")
    C.check(r.status == 200, "[sqlite] vigild still answers after the churn", r)


def revoked_mid_stream(env, cl):
    """a gateway whose token is revoked gets no further event"""
    tok, tid = token(cl["admin"], "gw-revoked")
    s = SSE(env.base, tok, head(cl["ca"]))
    s.event(2)
    r = cl["admin"].delete("/api/v1/tokens/%d" % tid)
    cl["ca"].post("/api/v1/blocklist", {"type": "domain", "value": "after-revoke.example"})
    ev = s.event(3)
    C.check(r.status == 200 and ev is None and s.closed,
            "[sqlite] a token revoked while streaming: no further event, the stream ends", ev)
    s.close()


def stop_with_streams(env, gw_tok):
    ss = [SSE(env.base, gw_tok, 0) for _ in range(3)]
    for s in ss:
        s.event(2)
    t0 = time.monotonic()
    env.proc.send_signal(signal.SIGTERM)
    try:
        rc = env.proc.wait(10)
    except Exception:  # noqa: BLE001
        rc = None
    dt = time.monotonic() - t0
    C.check(rc == 0 and dt < 5, "[sqlite] vigild stops cleanly in %.1f s with streams open" % dt,
            rc)
    for s in ss:
        s.close()


def sqlite_suite(tmp):
    env = VigildEnv(os.path.join(tmp, "sqlite"))
    configure(env, "stream_keepalive = 1\n")
    env.start()
    try:
        cl = people(env)
        gw_tok, _ = token(cl["admin"], "gw-a")
        gw2_tok, _ = token(cl["admin"], "gw-b")
        gw3_tok, _ = token(cl["admin"], "gw-c")
        api_tok, _ = token(cl["admin"], "reports", "api")
        rv_tok, rv_id = token(cl["admin"], "old-gw")
        cl["admin"].delete("/api/v1/tokens/%d" % rv_id)
        access(env, cl, gw_tok, api_tok, rv_tok)
        stream_and_membership(env, cl, gw_tok)
        keepalive(env, cl, gw_tok)
        acks(env, cl, gw_tok, gw2_tok)
        if os.access(MILTER, os.X_OK):
            real_milter(env, cl, gw3_tok, tmp)
        else:
            C.check(False, "vigil-milter is not built at " + MILTER)
        churn(env, cl, gw_tok)
        revoked_mid_stream(env, cl)
        stop_with_streams(env, gw_tok)
    finally:
        env.stop()


def pg_suite(tmp):
    pg = Postgres(os.path.join(tmp, "pgwork"))
    if not pg.start():
        C.check(False, "PostgreSQL could not be started: " + (pg.why or "?"))
        return
    # only NOTIFY can wake the other node within the test's time
    os.environ["VIGIL_BLOCKS_POLL_MS"] = "600000"
    a = b = m = None
    try:
        a = VigildEnv(os.path.join(tmp, "nodeA"), pg.url).start()
        b = VigildEnv(os.path.join(tmp, "nodeB"), pg.url).start()
        admin = a.client()
        admin.login("admin", a.admin_password())
        admin.post("/api/v1/users", {"username": "ca", "display_name": "ca",
                                     "role": "central_analyst", "password": PW})
        ca_a, ca_b = a.client(), b.client()
        ca_a.login("ca", PW)
        ca_b.login("ca", PW)
        tok, _ = token(admin, "gw-pg")
        m = MilterProc(BUILD, TOP, os.path.join(tmp, "gwpg"), b.base, "gw-pg.bhxh")
        with open(m.token_file, "w") as f:
            f.write(tok + "\n")
        m.start()
        s = SSE(b.base, tok, 0)
        hello = s.event()
        ga = ca_a.get("/api/v1/gateways").json
        C.check(hello and hello["data"]["stream"] == ga["stream"],
                "[postgresql] both nodes serve one stream (same identity)", (hello, ga["stream"]))
        lat = []
        for k in range(5):
            i = incident(ca_a, "Trên nút A %d" % k)
            t0 = time.monotonic()
            add_ind(ca_a, i, "domain", "node-a-%d.example" % k)
            ev = s.event(3)
            h = head(ca_a)
            ok = wait_for(lambda: (gateway(ca_b, "gw-pg") or {}).get("acked_seq") == h, 3, 0.005)
            lat.append(time.monotonic() - t0)
            C.check(ev and ev["data"]["value"] == "node-a-%d.example" % k and ok,
                    "[postgresql] indicator %d added on node A reaches the stream and the "
                    "vigil-milter on node B, acknowledged" % k, (ev, gateway(ca_b, "gw-pg")))
        C.check(max(lat) < 1.0, "[postgresql] node A -> gateway on node B -> ack: at most %.0f ms "
                "(< 1 s; the polling fallback was 10 min: LISTEN/NOTIFY)" % (max(lat) * 1000),
                lat)
        g = gateway(ca_a, "gw-pg")
        C.check(g and g["up_to_date"] and g["node"].endswith(":%d" % b.port),
                "[postgresql] node A shows the gateway (connected to node B) up to date", g)
        # node B's own writes reach a stream on node A too
        s_a = SSE(a.base, tok, head(ca_a))
        s_a.event()
        ca_b.post("/api/v1/blocklist", {"type": "email", "value": "lure@node-b.example"})
        ev = s_a.event(2)
        C.check(ev and ev["data"]["value"] == "lure@node-b.example",
                "[postgresql] and the other way: node B's change reaches a stream on node A", ev)
        s_a.close()
        s.close()
    finally:
        os.environ.pop("VIGIL_BLOCKS_POLL_MS", None)
        if m:
            m.stop()
        for e in (a, b):
            if e:
                e.stop()
        pg.stop()


def main():
    if not os.access(VIGILD, os.X_OK):
        print("vigild is not built at " + VIGILD)
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="vigil-blocks-", dir="/tmp")
    os.chmod(tmp, 0o755)
    try:
        sqlite_suite(tmp)
        pg_suite(tmp)
    finally:
        cleanup(tmp)
    C.finish("sqlite and postgresql (two nodes)")


if __name__ == "__main__":
    main()
