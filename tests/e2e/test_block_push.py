#!/usr/bin/env python3
"""test_block_push.py - "block everywhere": one vigild, two gateways, real mail.

Two local stacks (scripts/stack.sh) in temporary folders on free ports, each
Postfix -> vigil-milter -> Dovecot: stack A also runs vigild; stack B runs no
vigild (VIGIL_VIGILD=off) and its vigil-milter follows stack A's vigild, as a
provincial gateway follows the IT Centre's. Both milters get gateway tokens
from vigild's administrator (POST /api/v1/tokens), written to their token
files after they started (they retry). Asserted:
  - before: a message with a fresh attachment and sender is delivered at both
    gateways;
  - an indicator (the attachment's SHA-256) added to an incident in vigild is
    acknowledged by both gateways within a second, and the next copy of the
    message is refused (550, decided by ioc.block) at BOTH gateways, neither
    delivered; the incident document shows both gateways have it;
  - gateway B stopped; an indicator (the sender's address) added meanwhile is
    missing at B (GET /gateways) and blocks at A at once; B started again
    catches up from its saved position (Last-Event-ID) and refuses the sender
    too, without any restart of vigild or of A;
  - a forged gateway token is refused by vigild (401, on the stream and on
    acknowledgements); B restarted with a forged token reports vigild's 401 in
    its status, still blocks what it saved, and vigild lists no new gateway;
  - closing the incident lifts both blocks at both gateways: the message is
    delivered again.
Each stack is always stopped (finally, signals, and an alarm bounding the run).
"""
import hashlib
import json
import os
import shutil
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import test_mail_stack as tms  # noqa: E402
from sse_client import SSE, milter_status  # noqa: E402
from vigild_env import Client  # noqa: E402

C = tms.vtest.Checks("block-push")
BUDGET = 240
PW = "phân-tích-viên-2026"


def gateway(c, name):
    r = c.get("/api/v1/gateways")
    for g in (r.json or {}).get("gateways", []):
        if g["name"] == name:
            return g
    return None


def head(c):
    return (c.get("/api/v1/gateways").json or {}).get("head", -1)


def acked_by(c, names, seq):
    return all((gateway(c, n) or {}).get("acked_seq", -1) >= seq for n in names)


def lure(tag, to, payload, frm):
    """a message carrying payload as an attachment; the tag in its subject"""
    body = tms.ms.mixed(tag, tms.ms.text("Kính gửi anh/chị, xem tệp đính kèm.\n"),
                        tms.ms.attachment("CongVan_%s.pdf" % tag, payload, "application/pdf"))
    return tms.ms.message(tag, "Công văn số %s" % tag, ("Văn thư", frm), ("Cán bộ", to), body)


def send_both(stacks, rcpt, payload, frm, tag):
    out = {}
    for name, st in stacks.items():
        t = tms.token("%s-%s" % (tag, name))
        out[name] = (t, st.swaks(rcpt, lure(t, rcpt, payload, frm), frm=frm))
    return out


def milter_pid(st):
    return tms.pid_from(os.path.join(st.base, "run", "milter.pid"))


def decided_by_block(st, tok):
    try:
        with open(os.path.join(st.log, "milter.log"), errors="replace") as f:
            for line in f:
                if tok in line and '"decided_by":"ioc.block"' in line:
                    return True
    except OSError:
        pass
    return False


def main():
    tms.vtest.need_vigil()
    vigild = os.path.join(tms.BUILD, "src", "vigild")
    if os.getuid() != 0 or shutil.which("postfix") is None or not os.path.exists(tms.MILTER) \
            or not os.path.exists(vigild) or shutil.which("swaks") is None:
        print("SKIP: needs root, Postfix, swaks, a built vigil-milter and vigild")
        sys.exit(77)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, tms.on_signal)
    signal.alarm(BUDGET)
    a, b = tms.Stack(), tms.Stack()
    url = "http://127.0.0.1:%d" % a.http
    tokfile = {}
    for name, st in (("a", a), ("b", b)):
        tokfile[name] = os.path.join(st.base, "vigil", "gateway.token")
        st.env.update(VIGIL_BLOCKS_URL=url, VIGIL_BLOCKS_TOKEN_FILE=tokfile[name])
    b.env["VIGIL_VIGILD"] = "off"
    stacks = {"a": a, "b": b}
    t_start = time.monotonic()
    try:
        for name, st in stacks.items():
            rc, out = st.cmd("start")
            if not C.check(rc == 0, "stack %s starts (Postfix, vigil-milter, Dovecot%s)" %
                           (name, ", vigild" if name == "a" else ""), out[-1500:]):
                C.finish()
        with open(os.path.join(a.base, "vigil", "admin-password")) as f:
            admin_pw = f.read().strip()
        admin = Client(url)
        C.check(admin.login("admin", admin_pw).status == 200, "vigild's administrator signs in")
        admin.post("/api/v1/users", {"username": "ca", "display_name": "Phân tích viên TT",
                                     "role": "central_analyst", "password": PW})
        ca = Client(url)
        ca.login("ca", PW)
        for name in ("a", "b"):
            r = admin.post("/api/v1/tokens", {"name": "gw-" + name, "kind": "gateway"})
            with open(tokfile[name], "w") as f:
                f.write(r.json["token"] + "\n")
            os.chmod(tokfile[name], 0o600)
        ok = tms.wait_for(lambda: all((gateway(ca, "gw-" + n) or {}).get("connected")
                                      for n in ("a", "b")), 20, 0.2)
        C.check(ok, "both gateways subscribe to vigild's block list once their tokens exist",
                ca.get("/api/v1/gateways").raw[:800])

        with open(os.path.join(a.base, "org.json"), encoding="utf-8") as f:
            org = json.load(f)
        rcpt = org["staff"][0]["email"]
        payload = b"%PDF-1.4\n% vigil block-push test " + os.urandom(16).hex().encode() + b"\n"
        digest = hashlib.sha256(payload).hexdigest()
        frm = "vanthu-%s@lure-%s.example" % (os.urandom(2).hex(), os.urandom(2).hex())

        # before: delivered at both gateways
        res = send_both(stacks, rcpt, payload, "doitac@doitac.example", "before")
        C.check(all(r.code == "250" for _, r in res.values()),
                "before any block the message is accepted at both gateways",
                {k: repr(r) for k, (_, r) in res.items()})

        # an indicator on an incident: both gateways, within a second
        r = ca.post("/api/v1/incidents", {"title": "Chiến dịch công văn giả", "units": [
            org["units"][1]["id"]], "severity": "high"})
        inc = r.json["id"]
        t0 = time.monotonic()
        r = ca.post("/api/v1/incidents/%d/indicators" % inc, {"type": "sha256", "value": digest})
        h = head(ca)
        ok = tms.wait_for(lambda: acked_by(ca, ("gw-a", "gw-b"), h), 5, 0.01)
        dt = time.monotonic() - t0
        C.check(r.status == 200 and ok and dt < 1.0,
                "the attachment's hash, added to an incident, is acknowledged by both gateways "
                "in %.0f ms (< 1 s)" % (dt * 1000), ca.get("/api/v1/gateways").raw[:800])
        res = send_both(stacks, rcpt, payload, "doitac@doitac.example", "hash")
        for name, (tok, rep) in res.items():
            C.check(rep.code == "550" and "vigil" in rep.line and decided_by_block(stacks[name], tok),
                    "gateway %s refuses the next copy: 550, decided by ioc.block" % name.upper(),
                    repr(rep))
        time.sleep(1)
        for name, (tok, _) in res.items():
            C.check(stacks[name].with_token(rcpt, tok) == [],
                    "…and it is not delivered at gateway %s" % name.upper())
        tok_a = res["a"][0]
        got = tms.wait_for(lambda: [x for x in (ca.get("/api/v1/incidents/%d" % inc).json or {})
                                    .get("messages", []) if tok_a in (x["subject"] or "")], 20,
                           0.5)
        C.check(got, "gateway A's refused copy becomes an alert of the incident whose indicator "
                "it hit (not a new incident)", ca.get("/api/v1/incidents?limit=5").raw[:600])
        doc = ca.get("/api/v1/incidents/%d" % inc).json
        ind = [x for x in doc["indicators"] if x["value"] == digest][0]
        C.check(ind["block"] and sorted(ind["block"]["gateways"]) == ["gw-a", "gw-b"] and
                ind["block"]["pending"] == [],
                "the incident document shows both gateways have the indicator", ind)

        # gateway B down while an indicator is added; it catches up when it comes back
        pid = milter_pid(b)
        os.kill(pid, signal.SIGTERM)
        C.check(tms.wait_for(lambda: not tms.alive(pid), 30) is not None,
                "gateway B's vigil-milter stops")
        saved = json.load(open(os.path.join(b.base, "vigil", "blocks.json")))
        r = ca.post("/api/v1/incidents/%d/indicators" % inc, {"type": "email", "value": frm})
        h2 = head(ca)
        ok = tms.wait_for(lambda: acked_by(ca, ("gw-a",), h2), 5, 0.01)
        gb = gateway(ca, "gw-b")
        C.check(r.status == 200 and ok and gb["acked_seq"] < h2 and not gb["up_to_date"] and
                gb["missing"] >= 1,
                "the sender, added while B is down: A has it, vigild shows B missing it", gb)
        t = tms.token("sender-a")
        rep = a.swaks(rcpt, lure(t, rcpt, b"plain text, no hash\n", frm), frm=frm)
        C.check(rep.code == "550" and decided_by_block(a, t),
                "gateway A refuses the sender at once", repr(rep))
        rc, out = b.cmd("start")
        C.check(rc == 0 and "vigil-milter: started" in out,
                "gateway B's vigil-milter starts again (stack start)", out[-600:])
        ok = tms.wait_for(lambda: acked_by(ca, ("gw-b",), h2), 20, 0.1)
        C.check(ok, "gateway B catches up and acknowledges %d" % h2, gateway(ca, "gw-b"))
        with open(os.path.join(b.log, "milter.log"), errors="replace") as f:
            blog = f.read()
        C.check("following vigild's block list after %d" % saved["seq"] in blog,
                "…resuming after its saved position %d (Last-Event-ID)" % saved["seq"],
                blog[-800:])
        t = tms.token("sender-b")
        rep = b.swaks(rcpt, lure(t, rcpt, b"plain text, no hash\n", frm), frm=frm)
        C.check(rep.code == "550" and decided_by_block(b, t),
                "gateway B refuses the sender too", repr(rep))

        # forged tokens
        s = SSE(url, "vgt_" + "f" * 43, 0)
        C.check(s.status == 401, "vigild refuses the stream to a forged gateway token (401)",
                (s.status, s.error_body))
        s.close()
        r = Client(url, "vgt_" + "f" * 43).post("/api/v1/gateways/ack", {"seq": h2})
        C.check(r.status == 401, "…and its acknowledgement (401)", r)
        n_gw = len(ca.get("/api/v1/gateways").json["gateways"])
        pid = milter_pid(b)
        os.kill(pid, signal.SIGTERM)
        tms.wait_for(lambda: not tms.alive(pid), 30)
        with open(tokfile["b"], "w") as f:
            f.write("vgt_forged-by-someone-else\n")
        b.cmd("start")
        ctl = os.path.join(b.base, "run", "control.sock")
        st = tms.wait_for(lambda: (lambda s: s if s.get("blocks") and "401" in
                                   s["blocks"]["last_error"] else None)(milter_status(ctl)), 20,
                          0.2)
        C.check(st is not None and not st["blocks"]["connected"],
                "gateway B with a forged token: vigild answers 401, B reports it", st)
        C.check(len(ca.get("/api/v1/gateways").json["gateways"]) == n_gw,
                "vigild lists no new gateway for the forged token")
        t = tms.token("forged")
        rep = b.swaks(rcpt, lure(t, rcpt, payload, "doitac@doitac.example"),
                      frm="doitac@doitac.example")
        C.check(rep.code == "550", "…and B still blocks what it saved", repr(rep))

        # closing the incident lifts the blocks everywhere
        r = admin.post("/api/v1/tokens", {"name": "gw-b2", "kind": "gateway"})
        with open(tokfile["b"], "w") as f:
            f.write(r.json["token"] + "\n")
        for s in ("triage", "containment", "eradication", "recovery", "closed"):
            ca.patch("/api/v1/incidents/%d" % inc, {"status": s})
        h3 = head(ca)
        ok = tms.wait_for(lambda: acked_by(ca, ("gw-a", "gw-b2"), h3), 20, 0.1)
        C.check(ok, "closing the incident: both gateways acknowledge the removals (B with its "
                "new token, read without a restart)", ca.get("/api/v1/gateways").raw[:800])
        res = send_both(stacks, rcpt, payload, frm, "after")
        C.check(all(r.code == "250" for _, r in res.values()),
                "after closing, the message is accepted at both gateways again",
                {k: repr(r) for k, (_, r) in res.items()})
    except tms.Timeout as e:
        C.check(False, str(e))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for name, st in (("b", b), ("a", a)):
            rc, out = st.cmd("stop")
            if rc != 0:
                print("stop of stack %s failed:\n%s" % (name, out))
            if C.failed:
                for log in ("milter.log", "vigild.log"):
                    p = os.path.join(st.log, log)
                    if os.path.exists(p):
                        with open(p, errors="replace") as f:
                            print("---- last lines of %s (%s)" % (log, name))
                            print("".join(f.readlines()[-20:]))
            shutil.rmtree(st.base, ignore_errors=True)
    C.finish("two stacks, %.0f s" % (time.monotonic() - t_start))


if __name__ == "__main__":
    main()
