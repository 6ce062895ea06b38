#!/usr/bin/env python3
"""Hunt and claw-back against a real Dovecot with 300 generated mailboxes.

The local stack (Postfix -> vigil-milter -> Dovecot, vigild on the same store)
runs with 330 mailboxes. A spyware message the gateway did not recognise is
delivered through Postfix to 300 of them; then the users act: some read it,
some move it to a folder of their own, some delete it. An unrelated message
goes to the same mailboxes. The analyst opens an incident, hunts by the
attachment's SHA-256, and pulls every copy back:
  - the hunt finds exactly the 300 delivered copies (no more, no less);
  - claw-back moves every remaining copy into the quarantine folder, wherever
    the user had put it, reports the deleted ones as already gone, and marks
    the read ones (their owners' endpoints are at risk);
  - the unrelated message is untouched;
  - restore puts every pulled copy back where it was.
Claw-back throughput (copies per second) is printed for the closing note.
"""
import hashlib
import imaplib
import os
import shutil
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import test_mail_stack as tms  # noqa: E402
from vigild_env import Client  # noqa: E402

C = tms.vtest.Checks("containment")
N = 300
PW = "phân-tích-viên-2026"


def imap_login(st, user):
    m = imaplib.IMAP4("127.0.0.1", st.imap)
    m.login(user, tms.PASSWORD)
    return m


def folder_has(st, user, folder, token):
    m = imap_login(st, user)
    try:
        typ, _ = m.select('"%s"' % folder)
        if typ != "OK":
            return 0
        typ, data = m.search(None, "SUBJECT", '"%s"' % token)
        return len(data[0].split()) if typ == "OK" and data and data[0] else 0
    finally:
        m.logout()


def main():
    tms.vtest.need_vigil()
    if os.getuid() != 0 or shutil.which("postfix") is None or not os.path.exists(tms.MILTER):
        print("SKIP: needs root, Postfix and a built vigil-milter")
        sys.exit(77)
    st = tms.Stack()
    st.env["VIGIL_EXTRA_STAFF"] = str(N + 30)
    signal.signal(signal.SIGALRM, tms.on_signal)
    signal.alarm(tms.BUDGET * 3)
    try:
        rc, out = st.cmd("start", timeout=180)
        if not C.check(rc == 0, "the stack starts with %d extra mailboxes" % (N + 30), out[-1500:]):
            C.finish()
        base = "http://127.0.0.1:%d" % st.http
        with open(os.path.join(st.base, "vigil", "admin-password")) as f:
            admin_pw = f.read().strip()
        admin = Client(base)
        admin.login("admin", admin_pw)
        admin.post("/api/v1/users", {"username": "ca", "display_name": "ca",
                                     "role": "central_analyst", "password": PW})
        ca = Client(base)
        ca.login("ca", PW)

        rcpts = ["canbo%04d@%s" % (i, tms.DOMAIN) for i in range(1, N + 1)]
        token = tms.token("spy")
        payload = ("Bảng lương tháng 11 — %s\n" % token).encode() * 20
        att_sha = hashlib.sha256(payload).hexdigest()
        spy = tms.ms.message(token, "Bảng lương %s" % token, ("Phòng Kế toán",
                                                             "ketoan@doitac.example"),
                             ("Cán bộ", rcpts[0]),
                             tms.ms.mixed(token, tms.ms.text("Anh chị xem bảng lương.\n"),
                                          tms.ms.attachment("bangluong.txt", payload,
                                                            "text/plain")))
        r = st.swaks(",".join(rcpts), spy)
        C.check(r.code == "250", "the message is accepted for %d recipients" % N, repr(r))
        other = tms.token("other")
        st.swaks(",".join(rcpts[:50]), tms.msg(other, rcpts[0], tms.ms.text("Lịch họp.\n")))

        def all_delivered():
            return all(folder_has(st, u, "INBOX", token) == 1 for u in rcpts[::30])
        C.check(tms.wait_for(all_delivered, 90, 1) is not None, "the copies are delivered")
        # what the users did: read, moved, deleted
        read = rcpts[0:60]
        moved = rcpts[60:100]
        deleted = rcpts[100:130]
        for u in read + moved + deleted:
            m = imap_login(st, u)
            m.select("INBOX")
            typ, data = m.search(None, "SUBJECT", '"%s"' % token)
            for num in (data[0].split() if data and data[0] else []):
                if u in read:
                    m.fetch(num, "(BODY[])")  # marks \\Seen
                elif u in moved:
                    m.create("LuuTru")
                    m.copy(num, "LuuTru")
                    m.store(num, "+FLAGS", "\\Deleted")
                else:
                    m.store(num, "+FLAGS", "\\Deleted")
            m.expunge()
            m.logout()

        units = sorted({u["id"] for u in admin.get("/api/v1/org/units").json["units"]})
        r = ca.post("/api/v1/incidents", {"title": "Bảng lương giả mạo", "units": units,
                                          "severity": "high"})
        inc = r.json["id"]
        started = time.time()
        r = ca.post("/api/v1/hunts", {"sha256": att_sha, "incident": inc})
        hunt_s = time.time() - started
        C.check(r.status == 200 and r.json["messages_total"] == 1 and
                r.json["saved_copies"] == N,
                "the hunt finds exactly the %d delivered copies (%.2f s)" % (N, hunt_s), r)
        # the same hunt from the command line, on the milter's store
        rc, out = tms.run([tms.vtest.VIGIL, "hunt", "--config", st.milter_conf, "--sha256",
                           att_sha, "--json"], timeout=60)
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        import json as _json
        C.check(rc == 0 and len(lines) == 1 and len(_json.loads(lines[0])["recipients"]) == N,
                "vigil hunt --sha256 finds the message and its %d recipients" % N, out[-400:])
        rc, out = tms.run([tms.vtest.VIGIL, "hunt", "--config", st.milter_conf, "--sender",
                           "nobody@nowhere.example"], timeout=60)
        C.check(rc == 1, "vigil hunt exits 1 when nothing matches", out[-200:])
        rc, out = tms.run([tms.vtest.VIGIL, "hunt", "--config", st.milter_conf, "--subject",
                           "x"], timeout=60)
        C.check(rc == 2 and "date range" in out, "a subject alone is refused (it would read "
                "every record)", out[-300:])
        r2 = ca.post("/api/v1/hunts", {"sha256": "0" * 64})
        C.check(r2.status == 200 and r2.json["messages_total"] == 0,
                "a hash nobody received finds nothing", r2)

        started = time.time()
        r = ca.post("/api/v1/incidents/%d/clawback" % inc, {})
        C.check(r.status == 202 and r.json["copies"] == N, "claw-back starts on %d copies" % N, r)

        def done():
            x = ca.get("/api/v1/incidents/%d/copies" % inc).json
            return x if x and not x["running"] else None
        res = tms.wait_for(done, 240, 1)
        secs = time.time() - started
        counts = (res or {}).get("counts", {})
        C.check(counts.get("pulled") == N - len(deleted) and
                counts.get("not_found") == len(deleted) and not counts.get("failed"),
                "every remaining copy pulled, the deleted ones reported as gone", counts)
        copies = {c["address"]: c for c in (res or {}).get("copies", [])}
        C.check(all(copies[u]["seen"] is True for u in read) and
                all(copies[u]["seen"] is False for u in rcpts[130:160]),
                "the read copies are marked read, the unread ones unread",
                [(u, copies.get(u, {}).get("seen")) for u in read[:3] + rcpts[130:133]])
        C.check(all(copies[u]["folder"] == "LuuTru" for u in moved),
                "copies moved by their users were found in their folder",
                [copies.get(u, {}).get("folder") for u in moved[:3]])
        sample = rcpts[::25]
        C.check(all(folder_has(st, u, "INBOX", token) == 0 for u in sample) and
                all(folder_has(st, u, "LuuTru", token) == 0 for u in moved[:5]),
                "no copy is left in INBOX or the users' folders")
        C.check(all(folder_has(st, u, "VigilQuarantine", token) == 1 for u in sample
                    if u not in deleted),
                "the copies wait in each mailbox's quarantine folder")
        C.check(all(folder_has(st, u, "INBOX", other) == 1 for u in rcpts[:50:7]),
                "the unrelated message is untouched")
        print("claw-back: %d copies in %.1f s (%.0f copies/s)" % (N, secs, N / secs))
        b = ca.get("/api/v1/incidents/%d/blast" % inc).json or {}
        tot = {k: sum(u[k] for u in b.get("units", [])) for k in
               ("recipients", "read", "pulled", "gone", "remaining")}
        C.check(tot == {"recipients": N, "read": len(read), "pulled": N - len(deleted),
                        "gone": len(deleted), "remaining": 0} and b.get("mailboxes_contained"),
                "blast radius: per unit recipients, readers, pulled, gone; nothing remains", tot)
        hosts = {e["host"] for e in b.get("endpoints_at_risk", [])}
        C.check(len(hosts) == len(read) and all(e["owner"] in read
                                                for e in b.get("endpoints_at_risk", [])),
                "the readers' endpoints are at risk, and only theirs", len(hosts))

        # undo one copy first, then the rest
        one = copies[rcpts[200]]["id"]
        r = ca.post("/api/v1/incidents/%d/restore" % inc, {"copies": [one]})
        C.check(r.status == 202 and r.json["copies"] == 1, "restore of one chosen copy", r)
        res = tms.wait_for(done, 60, 1)
        C.check(folder_has(st, rcpts[200], "INBOX", token) == 1 and
                folder_has(st, rcpts[201], "INBOX", token) == 0,
                "…that copy is back, its neighbours are not")
        r = ca.post("/api/v1/incidents/%d/restore" % inc, {})
        C.check(r.status == 202, "restore of the rest starts", r)
        res = tms.wait_for(done, 240, 1)
        counts = (res or {}).get("counts", {})
        C.check(counts.get("restored") == N - len(deleted),
                "every pulled copy is restored", counts)
        C.check(all(folder_has(st, u, "INBOX", token) == 1 for u in rcpts[130:300:20]) and
                all(folder_has(st, u, "LuuTru", token) == 1 for u in moved[:5]),
                "…each back in the folder it was taken from")
        doc = ca.get("/api/v1/incidents/%d" % inc).json
        kinds = [e["kind"] for e in doc["timeline"]]
        C.check("hunt" in kinds and kinds.count("containment") >= 2,
                "hunt, claw-back and restore are in the incident's timeline", kinds)
        C.check(admin.get("/api/v1/audit/verify").json["intact"], "audit chain intact")
        C.finish_note = "claw-back %.0f copies/s" % (N / secs)
    finally:
        st.cmd("stop")
        shutil.rmtree(st.base, ignore_errors=True)
    C.finish(getattr(C, "finish_note", ""))


if __name__ == "__main__":
    main()
