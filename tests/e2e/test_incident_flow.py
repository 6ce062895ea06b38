#!/usr/bin/env python3
"""Mail through the real stack becomes alerts and incidents in vigild.

The local stack (scripts/stack.sh: Postfix -> vigil-milter -> Dovecot, and
vigild on the milter's store) is started in a temporary folder. Two copies of
one spyware message (the same zip) go to staff of two provincial units; a
clean message goes too. vigild must show two alerts grouped in one incident
with both units, nothing for the clean message, and a provincial analyst of
one of the units must see that incident while an analyst of a third unit must
not. The incident is then worked through its phases by the central analyst.
"""
import os
import shutil
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import test_mail_stack as tms  # noqa: E402
from vigild_env import Client  # noqa: E402

C = tms.vtest.Checks("incident-flow")
PW = "phân-tích-viên-2026"


def org_staff(st):
    import json
    with open(os.path.join(st.base, "org.json"), encoding="utf-8") as f:
        org = json.load(f)
    by_unit = {}
    for s in org["staff"]:
        by_unit.setdefault(s["unit"], []).append(s["email"])
    return org, by_unit


def main():
    tms.vtest.need_vigil()
    vigild = os.path.join(tms.BUILD, "src", "vigild")
    if os.getuid() != 0 or shutil.which("postfix") is None or not os.path.exists(tms.MILTER) \
            or not os.path.exists(vigild):
        print("SKIP: needs root, Postfix, a built vigil-milter and vigild")
        sys.exit(77)
    st = tms.Stack()
    signal.signal(signal.SIGALRM, tms.on_signal)
    signal.alarm(tms.BUDGET)
    try:
        rc, out = st.cmd("start")
        if not C.check(rc == 0 and "web UI and API: http://127.0.0.1:%d/" % st.http in out,
                       "the stack starts with vigild and prints its address", out[-1500:]):
            C.finish()
        with open(os.path.join(st.base, "vigil", "admin-password")) as f:
            admin_pw = f.read().strip()
        C.check(admin_pw in out, "the first administrator's password is printed")
        base = "http://127.0.0.1:%d" % st.http
        admin = Client(base)
        C.check(admin.login("admin", admin_pw).status == 200, "admin signs in")

        org, by_unit = org_staff(st)
        provinces = [u["id"] for u in org["units"] if u["region"] != "national"]
        a, b, c = provinces[0], provinces[1], provinces[2]
        for name, unit in (("pa", a), ("pc", c)):
            r = admin.post("/api/v1/users", {"username": name, "display_name": name,
                                             "role": "provincial_analyst", "unit": unit,
                                             "email": by_unit[unit][-1], "password": PW})
            C.check(r.status == 201, "provincial analyst %s of %s created" % (name, unit), r)
        r = admin.post("/api/v1/users", {"username": "ca", "display_name": "ca",
                                         "role": "central_analyst", "password": PW})

        # the same spyware zip to two units, and a clean message
        tok = tms.token("spy")
        for rcpt in (by_unit[a][0], by_unit[b][0]):
            res = st.swaks(rcpt, tms.eicar_zip_msg(tok, rcpt))
            C.check(res.code in ("250", "550"), "spyware to %s answered" % rcpt, repr(res))
        clean_tok = tms.token("clean")
        st.swaks(by_unit[a][0], tms.msg(clean_tok, by_unit[a][0],
                                        tms.ms.text("Lịch họp tuần sau.\n")))

        def two_alerts():
            r = admin.get("/api/v1/alerts")
            alerts = (r.json or {}).get("alerts", [])
            return alerts if len([x for x in alerts if tok in (x["subject"] or "")]) == 2 \
                else None
        alerts = tms.wait_for(two_alerts, 30, 0.5)
        C.check(alerts is not None, "both copies became alerts within 30 s",
                admin.get("/api/v1/alerts").raw[:600])
        alerts = alerts or []
        C.check(not any(clean_tok in (x["subject"] or "") for x in alerts),
                "the clean message is no alert")
        incs = {x["incident"] for x in alerts if tok in (x["subject"] or "")}
        C.check(len(incs) == 1 and None not in incs, "both alerts are one incident", incs)
        inc = incs.pop() if len(incs) == 1 else None
        doc = admin.get("/api/v1/incidents/%s" % inc).json or {}
        C.check(sorted(u["id"] for u in doc.get("units", [])) == sorted([a, b]),
                "the incident has both recipients' units", doc.get("units"))
        C.check(any(i["type"] == "sha256" for i in doc.get("indicators", [])),
                "the attachment's hash is an indicator of the incident", doc.get("indicators"))

        # the analyst of unit a is told by email, through the stack's Postfix
        def told():
            rc, out = tms.run(["doveadm", "-c", os.path.join(st.base, "dovecot", "dovecot.conf"),
                               "fetch", "-u", by_unit[a][-1], "hdr.subject", "mailbox", "INBOX"],
                              timeout=20)
            return out if rc == 0 and "=?UTF-8?B?" in out else None
        got = tms.wait_for(told, 30, 1)
        C.check(got is not None, "the analyst of the recipients' unit got the notification by email",
                got)
        pa, pc, ca = Client(base), Client(base), Client(base)
        pa.login("pa", PW)
        pc.login("pc", PW)
        ca.login("ca", PW)
        C.check(pa.get("/api/v1/incidents/%s" % inc).status == 200,
                "an analyst of a recipient's unit sees the incident")
        C.check(pc.get("/api/v1/incidents/%s" % inc).status == 404,
                "an analyst of another unit does not")
        # the gateway's quarantine, from vigild
        r = pa.get("/api/v1/quarantine")
        mine = [m for m in (r.json or {}).get("messages", []) if tok in (m["subject"] or "")]
        C.check(r.status == 200 and len(mine) == 1 and mine[0]["to"] == [by_unit[a][0]],
                "quarantine: the analyst of unit a sees only the copy for unit a", r.raw[:500])
        r = ca.get("/api/v1/quarantine")
        both = [m for m in (r.json or {}).get("messages", []) if tok in (m["subject"] or "")]
        C.check(len(both) == 2, "quarantine: the central analyst sees both copies", both)
        r = pa.post("/api/v1/quarantine/%s/release" % mine[0]["id"], {}) if mine else None
        C.check(r is not None and r.status == 403,
                "a provincial analyst may not release a quarantined message", r)
        other = [m for m in both if m["id"] != (mine[0]["id"] if mine else "")]
        r = pc.post("/api/v1/quarantine/%s/delete" % other[0]["id"], {}) if other else None
        C.check(r is not None and r.status == 404, "an analyst of a third unit cannot touch it", r)
        r = ca.post("/api/v1/quarantine/%s/release" % mine[0]["id"], {}) if mine else None
        C.check(r is not None and r.status == 200, "the central analyst releases the copy", r)

        def delivered():
            rc, out = tms.run(["doveadm", "-c", os.path.join(st.base, "dovecot", "dovecot.conf"),
                               "search", "-u", by_unit[a][0], "mailbox", "INBOX", "subject",
                               tok], timeout=20)
            return out.strip() if rc == 0 and out.strip() else None
        C.check(tms.wait_for(delivered, 30, 1) is not None,
                "…and it reaches the recipient's mailbox (once, through Postfix)")
        r = ca.post("/api/v1/quarantine/%s/release" % mine[0]["id"], {}) if mine else None
        C.check(r is not None and r.status == 409, "releasing it again: 409", r)
        r = pa.post("/api/v1/quarantine/%s/delete" % other[0]["id"], {}) if other else None
        C.check(r is not None and r.status == 404, "the unit-a analyst cannot delete unit b's copy",
                r)
        r = ca.post("/api/v1/quarantine/%s/delete" % other[0]["id"], {}) if other else None
        C.check(r is not None and r.status == 200, "the central analyst deletes the other copy", r)
        for s in ("triage", "containment", "eradication", "recovery", "closed"):
            r = ca.patch("/api/v1/incidents/%s" % inc, {"status": s})
            C.check(r.status == 200, "central analyst moves it to %s" % s, r)
        doc = ca.get("/api/v1/incidents/%s" % inc).json or {}
        C.check(doc.get("time_to_contain_s") is not None and doc.get("time_to_close_s")
                is not None, "time to contain and to close are measured",
                {k: doc.get(k) for k in ("time_to_acknowledge_s", "time_to_contain_s",
                                         "time_to_close_s")})
        r = admin.get("/api/v1/audit/verify")
        C.check(r.status == 200 and r.json["intact"], "audit chain intact", r)
    finally:
        rc, out = st.cmd("stop")
        C.check(rc == 0 and "vigild: stopped" in out, "the stack stops, vigild with it", out)
        shutil.rmtree(st.base, ignore_errors=True)
    C.finish()


if __name__ == "__main__":
    main()
