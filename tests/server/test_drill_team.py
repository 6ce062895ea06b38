#!/usr/bin/env python3
"""tests/server/test_drill_team.py - the team exercise of a drill against a real vigild and
real vigil-agents (docs/drills.md "Team exercise").

On SQLite and PostgreSQL, vigild runs with the test scenario tests/drill_team/team-test.json (injects 2, 3 and 4
scenario minutes after the start; the controller makes a minute last 2 s); two agents,
one per unit (Hà Nội, Hải Phòng), each with its own file tree and plant folder.
Asserted:
  - the settings are refused to a provincial analyst and once the round has started;
  - the start detects Hà Nội only: one drill alert, one drill incident of the round,
    titled "DIỄN TẬP / EXERCISE", notifications to the participants only (not to the
    Đà Nẵng analyst); each endpoint gets the unit's simulant in its plant folder, with
    the marker, and the plant shows as planted;
  - the injects arrive at their times (within a tick): second_report gives Hải Phòng its
    alert in the same incident, message notifies the teams;
  - a team member sees only the injects that happened, never the plants or the settings;
  - the scripted teams: Hà Nội acknowledges, sweeps its unit (the plant is found through
    the incident's SHA-256) and files the notification report; Hải Phòng moves the
    incident on but never sweeps; a central analyst comments;
  - the measures: Hà Nội has time to detect / triage from what the script did, is
    contained with plants 1/1; Hải Phòng's planted endpoint is missed: not contained,
    no time to contain, plants 0/1, missed host listed; reports and coordination as done;
  - cleanup: the simulants are gone from both trees (removed by their agents, the files
    the users had are untouched), the incident is closed, the round records it cleaned;
  - an agent refuses a plant without the marker (unit tests: tests/unit/test_agent.c).
"""
import glob
import json
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))
sys.path.insert(0, HERE)
import vtest  # noqa: E402
from vigild_env import ORG, VIGILD, Postgres, VigildEnv, cleanup  # noqa: E402
import test_agent as ta  # noqa: E402

C = vtest.Checks("drill-team")
PW = "mật-khẩu-đủ-dài-1"
SCENARIOS = os.path.join(HERE, "..", "drill_team")
MINUTE_S = 2
STORE = [""]


def check(cond, what, detail=""):
    return C.check(cond, STORE[0] + what, detail)


def wait_for(fn, timeout, step=0.25):
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(step)


def t(s):
    return time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + s[19:-1]) \
        - time.timezone if s else None


def suite(tmp, store, db_url=None):
    org = dict(ORG)
    org["endpoints"] = [{"host": "pc-hn-01", "unit": "hanoi"},
                        {"host": "pc-hp-01", "unit": "haiphong"}]
    env = VigildEnv(os.path.join(tmp, "v"), db_url, org=org)
    # the test scenario's folder instead of the library's
    with open(env.conf, encoding="utf-8") as f:
        conf = f.read()
    with open(env.conf, "w", encoding="utf-8") as f:
        f.write(re.sub(r"(?m)^scenarios = .*$", "scenarios = " + SCENARIOS, conf))
    agents = {}
    STORE[0] = "[%s] " % store
    try:
        env.start()
        admin = env.client()
        admin.login("admin", env.admin_password())
        users = {"ctl": ("drill_controller", None), "hn": ("provincial_analyst", "hanoi"),
                 "hp": ("provincial_analyst", "haiphong"), "dn": ("provincial_analyst", "danang"),
                 "ca": ("central_analyst", None)}
        cl = {}
        for n, (role, unit) in users.items():
            b = {"username": n, "display_name": n, "role": role, "password": PW}
            if unit:
                b["unit"] = unit
            admin.post("/api/v1/users", b)
            cl[n] = env.client()
            cl[n].login(n, PW)
        ctl, hn, hp, dn, ca = cl["ctl"], cl["hn"], cl["hp"], cl["dn"], cl["ca"]
        for host, unit in (("pc-hn-01", "hanoi"), ("pc-hp-01", "haiphong")):
            a = ta.Agent(tmp, host, env.base,
                         extra="plant_dir = %s/%s/tree/home/user/Downloads\n" % (tmp, host))
            tok = admin.post("/api/v1/agents/enrol-tokens", {"unit": unit, "host": host}).json
            a.enrol(tok["token"])
            agents[host] = a.start()
        r = ctl.post("/api/v1/drills/rounds", {
            "year": 2026, "region": "north", "seq": 1, "theme": "Phần mềm gián điệp qua thư",
            "scenario": "team-test", "kind": "team", "units": ["hanoi", "haiphong"],
            "controllers": ["ctl"], "rate_per_min": 60})
        check(r.status == 201, "the controller plans a team round", r)
        rid = r.json["id"]
        base = "/api/v1/drills/rounds/%d/team" % rid
        settings = {"minute_seconds": MINUTE_S, "first_units": ["hanoi"],
                    "plants": {"hanoi": ["pc-hn-01"], "haiphong": ["pc-hp-01"]}}
        check(hn.req("PUT", base, settings).status == 403,
                "a provincial analyst cannot set the team exercise")
        check(ctl.req("PUT", base, {"plants": {"hcm": ["x"]}}).status == 400 and
                ctl.req("PUT", base, {"minute_seconds": 0}).status == 400,
                "settings naming a unit outside the round, or a zero minute, are refused")
        r = ctl.req("PUT", base, settings)
        check(r.status == 200, "the controller sets it (2 s minutes, plants, first unit)", r)
        r = ctl.post("/api/v1/drills/rounds/%d/start" % rid, {})
        started = time.time()
        check(r.status == 200 and r.json["state"] == "running", "the round starts", r)
        check(ctl.req("PUT", base, settings).status == 409,
                "the settings cannot change once it runs")

        def incidents():
            x = ctl.get(base).json or {}
            return x.get("incidents") or None
        incs = wait_for(incidents, 10)
        check(incs and len(incs) == 1 and incs[0]["title"].startswith("DIỄN TẬP / EXERCISE"),
                "the start's detection opens one drill incident marked DIỄN TẬP / EXERCISE",
                incs)
        inc = incs[0]["id"] if incs else 0
        doc = hn.get("/api/v1/incidents/%d" % inc).json or {}
        check(doc.get("drill") is True and [u["id"] for u in doc.get("units", [])] == ["hanoi"],
                "it is a drill incident of Hà Nội only (the first unit detected)",
                doc.get("units"))
        check(hp.get("/api/v1/incidents/%d" % inc).status == 404,
                "Hải Phòng does not see it before its own detection")
        notes = hn.get("/api/v1/notifications").json or {}
        check(any("DIỄN TẬP" in n["text"] for n in notes.get("notifications", [])) and
                not any("DIỄN TẬP" in n["text"]
                        for n in (dn.get("/api/v1/notifications").json or {})
                        .get("notifications", [])),
                "the participants are notified, the Đà Nẵng analyst is not")

        def planted():
            x = ctl.get(base).json or {}
            ps = x.get("plants") or []
            return ps if len(ps) == 2 and all(p["state"] == "planted" for p in ps) else None
        ps = wait_for(planted, 15)
        check(ps is not None, "both endpoints report their simulant planted",
                (ctl.get(base).json or {}).get("plants"))
        files = {h: glob.glob(os.path.join(a.tree, "home/user/Downloads/CongVan_Khan.docm"))
                 for h, a in agents.items()}
        ok = all(len(v) == 1 for v in files.values())
        for v in files.values():
            for p in v:
                with open(p, "rb") as f:
                    ok = ok and b"VIGIL-DRILL-SIMULANT" in f.read()
        check(ok, "each tree has the simulant in its plant folder, with the marker", files)

        tv = hn.get(base).json or {}
        check(tv.get("plan") is False and "plants" not in tv and "settings" not in tv and
                all(i["state"] == "fired" for i in tv.get("injects", [])),
                "a team member sees neither the plants, the settings nor pending injects", tv)
        check(hn.get(base + "/score").status == 403,
                "the measures are not for the teams")

        # the injects at 2, 3 and 4 scenario minutes
        def fired(kind):
            for i in (ctl.get(base).json or {}).get("injects", []):
                if i["kind"] == kind and i["state"] == "fired":
                    return i
            return None
        sr = wait_for(lambda: fired("second_report"), 3 * MINUTE_S + 10)
        delay = t(sr["fired_at"]) - t(sr["at"]) if sr else None
        check(sr is not None and delay is not None and -0.5 <= delay <= 2.5,
                "second_report fires at its time (2 scenario minutes; %.2f s late)"
                % (delay or -1), sr)
        doc = ctl.get("/api/v1/incidents/%d" % inc).json or {}
        check(sorted(u["id"] for u in doc.get("units", [])) == ["haiphong", "hanoi"],
                "Hải Phòng's report joins the same incident", doc.get("units"))
        msg = wait_for(lambda: fired("message"), MINUTE_S + 10)
        check(msg is not None and any(
            "Lãnh đạo yêu cầu" in n["text"]
            for n in (hp.get("/api/v1/notifications").json or {}).get("notifications", [])),
            "the message inject notifies the teams")

        # the teams at work
        hn.post("/api/v1/incidents/%d/comments" % inc, {"text": "Đã nhận, đang xử lý"})
        r = hn.patch("/api/v1/incidents/%d" % inc, {"status": "triage"})
        check(r.status == 200, "Hà Nội acknowledges the incident", r)
        hp.post("/api/v1/incidents/%d/comments" % inc, {"text": "Hải Phòng nhận"})
        hp.patch("/api/v1/incidents/%d" % inc, {"status": "containment"})
        ca.post("/api/v1/incidents/%d/comments" % inc, {"text": "Trung tâm CNTT phối hợp"})
        r = hn.post("/api/v1/incidents/%d/sweeps" % inc, {"units": ["hanoi"],
                                                          "deadline_seconds": 60})
        check(r.status == 201, "Hà Nội sweeps its endpoints", r)
        sid = (r.json or {}).get("id")

        def swept():
            s = ta.sweep_of(hn, inc, sid)
            e = ta.endpoint(s, "pc-hn-01")
            return e if e and e["status"] == "infected" else None
        e = wait_for(swept, 40)
        check(e is not None, "the sweep finds the simulant on pc-hn-01", e)
        r = hn.post("/api/v1/incidents/%d/reports/notification/filed" % inc, {})
        check(r.status == 200, "Hà Nội files the notification report", r)

        def scored():
            s = ctl.get(base + "/score").json or {}
            u = {x["unit"]: x for x in s.get("units", [])}
            return u if u.get("hanoi", {}).get("contained") else None
        u = wait_for(scored, 10) or {}
        h, p = u.get("hanoi", {}), u.get("haiphong", {})
        check(h.get("plants") == {"total": 1, "found": 1, "missed": []} and h.get("contained")
                and h.get("time_to_contain_ms") is not None and
                h["completeness"]["plants"] == 1.0,
                "Hà Nội: its planted endpoint found, contained, with a time to contain", h)
        check(h.get("time_to_detect_ms") is not None and h.get("time_to_triage_ms") and
                0 < h["time_to_detect_ms"] <= h["time_to_triage_ms"] <
                (time.time() - started) * 1000,
                "Hà Nội: time to detect and to triage from its first alert to its own actions",
                h)
        check(h.get("reports", {}).get("notification", {}).get("on_time") is True and
                h["reports"]["notification"]["filed_by_unit"] is True and
                h["reports"]["initial"]["filed_at"] is None,
                "Hà Nội: notification report filed on time by the unit, no initial report",
                h.get("reports"))
        check(p.get("contained") is False and p.get("time_to_contain_ms") is None and
                p.get("plants") == {"total": 1, "found": 0, "missed": ["pc-hp-01"]} and
                p["completeness"]["plants"] == 0.0,
                "Hải Phòng skipped its planted endpoint: incomplete, no time to contain", p)
        check(p.get("time_to_triage_ms") is not None and p.get("alerts") == 1 and
                h.get("coordination", {}).get("it_centre") is True,
                "Hải Phòng's triage is measured; the IT Centre's action counts as coordination")

        # cleanup when the round ends
        r = ctl.post("/api/v1/drills/rounds/%d/end" % rid, {})
        check(r.status == 200, "the controller ends the round", r)

        def cleaned():
            x = ctl.get(base).json or {}
            return x if x.get("state") == "cleaned" else None
        x = wait_for(cleaned, 30)
        check(x is not None and all(pl["state"] == "removed" for pl in x["plants"]),
                "the round is cleaned: every simulant removed by its agent",
                (ctl.get(base).json or {}).get("cleanup"))
        left = [h for h, a in agents.items()
                if glob.glob(os.path.join(a.tree, "home/user/Downloads/CongVan_Khan.docm"))]
        check(left == [] and all(os.path.exists(os.path.join(
            a.tree, "home/user/Downloads/hoadon.pdf")) for a in agents.values()),
            "no simulant is left on the endpoints' trees; their own files are untouched", left)
        doc = ctl.get("/api/v1/incidents/%d" % inc).json or {}
        check(doc.get("status") == "closed", "the drill incident is closed", doc.get("status"))
        s2 = ctl.get(base + "/score").json or {}
        p2 = {x["unit"]: x for x in s2.get("units", [])}.get("haiphong", {})
        check(p2.get("contained") is False,
                "the cleanup does not count for the teams (Hải Phòng still incomplete)", p2)
        audit = admin.get("/api/v1/audit?limit=500").json or {}
        acts = {e["action"] for e in audit.get("entries", audit.get("audit", []))}
        check({"drill.team.settings", "drill.team.start", "drill.team.inject",
                 "drill.team.order_result", "drill.team.cleaned"} <= acts,
                "settings, start, injects, agents' results and the cleanup are audited",
                sorted(a for a in acts if a.startswith("drill")))
    finally:
        for a in agents.values():
            a.stop()
        env.stop()


def main():
    if not os.access(VIGILD, os.X_OK) or not os.access(ta.AGENT, os.X_OK):
        print("vigild or vigil-agent is not built")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="vigil-drill-team-")
    os.chmod(tmp, 0o755)  # postgres and the scanner's user read below it
    notes = []
    try:
        suite(os.path.join(tmp, "sqlite"), "sqlite")
        notes.append("sqlite")
        pg = Postgres(os.path.join(tmp, "pgwork"))
        if pg.start():
            try:
                suite(os.path.join(tmp, "pg"), "postgresql", pg.url)
            finally:
                pg.stop()
            notes.append("postgresql")
        else:
            C.check(False, "PostgreSQL could not be started: " + (pg.why or "?"))
    finally:
        cleanup(tmp)
    C.finish(" and ".join(notes))


if __name__ == "__main__":
    main()
