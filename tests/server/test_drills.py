#!/usr/bin/env python3
"""tests/server/test_drills.py - drill programmes and rounds against a real vigild,
on SQLite and PostgreSQL (docs/drills.md, docs/api.md "Drills").

The same suite runs on both stores: the default programme (3 rounds a year in
each of the organisation's 3 regions), a round's whole life (create, change
while planned, start with its targets from the organisation, end, clean up,
no way back), hostile input of every kind refused with 400 and nothing
written, the access matrix (who manages, who reads, who reads only rounds of
their unit or region, evaluators named on a round), the audit entries, and
the messages in Vietnamese.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "engine"))
sys.path.insert(0, os.path.dirname(__file__))
import vtest  # noqa: E402
from vigild_env import ORG, VIGILD, Postgres, VigildEnv, cleanup  # noqa: E402

C = vtest.Checks("drills")
PW = "mật-khẩu-đủ-dài-1"

# two staff more in Hà Nội: a sample of one must choose one of three
DRILL_ORG = dict(ORG)
DRILL_ORG["staff"] = ORG["staff"] + [
    {"id": "s6", "name": "Trần Văn Bình", "email": "binh@bhxh.example", "unit": "hanoi"},
    {"id": "s7", "name": "Vũ Thị Cúc", "email": "cuc@bhxh.example", "unit": "hanoi"},
]

USERS = {
    "ctl": ("drill_controller", None, None),
    "central": ("central_analyst", None, None),
    "hanoi": ("provincial_analyst", "hanoi", None),
    "danang": ("provincial_analyst", "danang", None),
    "north": ("regional_coordinator", None, "north"),
    "south": ("regional_coordinator", None, "south"),
    "viewer_hn": ("viewer", "hanoi", None),
    "viewer_all": ("viewer", None, None),
    "eva": ("provincial_analyst", "hcm", None),  # named evaluator of a north round
}

GOOD = {"year": 2027, "region": "north", "seq": 1, "theme": "Phần mềm gián điệp qua thư",
        "scenario": "cong-van-macro", "objectives": ["Nhân viên báo cáo thư", "Đội phát hiện"],
        "rules": "Không gửi ra ngoài; dừng khi có sự cố thật", "kind": "both",
        "units": ["hanoi", "haiphong"], "controllers": ["ctl"], "evaluators": ["eva"],
        "planned_start": "2027-03-10T01:00:00Z", "planned_end": "2027-03-10T10:00:00Z",
        "rate_per_min": 120}


def suite(env, store):
    p = "[%s] " % store
    admin = env.client()
    C.check(admin.login("admin", env.admin_password()).status == 200, p + "admin signs in")
    for name, (role, unit, region) in USERS.items():
        body = {"username": name, "display_name": "Người dùng " + name, "role": role,
                "password": PW}
        if unit:
            body["unit"] = unit
        if region:
            body["region"] = region
        r = admin.post("/api/v1/users", body)
        C.check(r.status == 201, p + "user %s (%s)" % (name, role), r)
    cl = {}
    for name in USERS:
        c = env.client()
        C.check(c.login(name, PW).status == 200, p + name + " signs in")
        cl[name] = c
    ctl = cl["ctl"]

    # ---- the default programme ----
    r = ctl.post("/api/v1/drills/programmes", {"name": "Chương trình diễn tập 2027",
                                               "year": 2027, "generate": True,
                                               "rate_per_min": 600})
    C.check(r.status == 201 and len(r.json["rounds"]) == 9,
            p + "the default programme: 9 rounds (3 a year in each of 3 regions)", r)
    prog = r.json["id"] if r.status == 201 else 0
    r = ctl.get("/api/v1/drills/rounds?programme=%d" % prog)
    rounds = r.json["rounds"] if r.status == 200 else []
    per = {}
    for x in rounds:
        per.setdefault(x["region"], []).append(x["seq"])
    C.check(sorted(per) == ["central-highlands", "north", "south"] and
            all(sorted(v) == [1, 2, 3] for v in per.values()),
            p + "…rounds 1, 2, 3 in north, central-highlands and south (not the central "
            "agency)", per)
    C.check(all(x["state"] == "planned" and x["year"] == 2027 and x["rate_per_min"] == 600 and
                x["planned_start"] < x["planned_end"] for x in rounds),
            p + "…planned, in the programme's year, with planned times and the rate", rounds[:1])
    r = ctl.get("/api/v1/drills/rounds/%d" % rounds[0]["id"]) if rounds else None
    north = [x for x in rounds if x["region"] == "north"]
    r = ctl.get("/api/v1/drills/rounds/%d" % north[0]["id"]) if north else None
    C.check(r is not None and r.status == 200 and r.json["units"] == ["haiphong", "hanoi"] and
            r.json["label"] == "DIỄN TẬP / EXERCISE",
            p + "…every unit of the region takes part; the document says DIỄN TẬP / EXERCISE", r)
    r = ctl.post("/api/v1/drills/programmes/%d/generate" % prog, {})
    C.check(r.status == 409, p + "generating again into the same programme: 409", r)
    r = ctl.post("/api/v1/drills/programmes", {"name": "Trống", "year": 2028})
    C.check(r.status == 201 and r.json["rounds"] == [], p + "a programme without rounds", r)
    empty = r.json["id"] if r.status == 201 else 0
    r = ctl.post("/api/v1/drills/programmes/%d/generate" % empty, {"kind": "staff"})
    C.check(r.status == 201 and len(r.json["rounds"]) == 9, p + "…its rounds generated later", r)
    r = ctl.post("/api/v1/drills/programmes/999999/generate", {})
    C.check(r.status == 404, p + "generate into a missing programme: 404", r)
    r = ctl.get("/api/v1/drills/programmes")
    C.check(r.status == 200 and sorted(x["rounds"] for x in r.json["programmes"]) == [9, 9],
            p + "programmes listed with their round counts", r)
    for bad in [{"year": 2027}, {"name": "x", "year": 1999}, {"name": "", "year": 2027},
                {"name": "x", "year": 2027, "generate": "yes"},
                {"name": "x", "year": 2027, "generate": True, "scenario": "../../etc/passwd"}]:
        r = ctl.post("/api/v1/drills/programmes", bad)
        C.check(r.status == 400, p + "programme refused: %s" % bad, r)

    # ---- a round of our own ----
    r = ctl.post("/api/v1/drills/rounds", GOOD)
    C.check(r.status == 201 and r.json["ref"].startswith("DT2027-") and
            r.json["state"] == "planned" and r.json["controllers"] == ["ctl"] and
            r.json["evaluators"] == ["eva"] and r.json["objectives"] == GOOD["objectives"] and
            r.json["planned_start"] == "2027-03-10T01:00:00.000Z" and
            r.json["progress"]["targets"] == 0,
            p + "a controller creates a round", r)
    rid = r.json["id"] if r.status == 201 else 0

    # hostile and wrong input: 400, nothing written
    before = ctl.get("/api/v1/drills/rounds?limit=500").json["total"]
    bads = [
        (dict(GOOD, year=1999), "year out of range"),
        (dict(GOOD, year="2027"), "year as a string"),
        (dict(GOOD, region="mars"), "unknown region"),
        (dict(GOOD, region="national"), None),  # the central agency's region is a region
        (dict(GOOD, seq=0), "seq 0"),
        (dict(GOOD, theme=""), "empty theme"),
        (dict(GOOD, theme="x" * 301), "theme too long"),
        (dict(GOOD, theme="a\u0000b"), "NUL in the theme"),
        (dict(GOOD, scenario="../etc/passwd"), "path in the scenario id"),
        (dict(GOOD, scenario="Cong Van"), "scenario id with capitals and a space"),
        (dict(GOOD, objectives=["x"] * 21), "21 objectives"),
        (dict(GOOD, objectives=[1]), "an objective that is not text"),
        (dict(GOOD, objectives="x"), "objectives not a list"),
        (dict(GOOD, rules="r" * 4001), "rules too long"),
        (dict(GOOD, kind="tabletop"), "unknown kind"),
        (dict(GOOD, units=[]), "no units"),
        (dict(GOOD, units=["atlantis"]), "an unknown unit"),
        (dict(GOOD, units=["hanoi"] * 501), "501 units"),
        (dict(GOOD, units="hanoi"), "units not a list"),
        (dict(GOOD, controllers=["nobody"]), "a controller who is not a user"),
        (dict(GOOD, evaluators=["x" * 65]), "an evaluator name too long"),
        (dict(GOOD, controllers=["ctl"] * 51), "51 controllers"),
        (dict(GOOD, planned_start="yesterday"), "planned_start not RFC 3339"),
        (dict(GOOD, planned_end="2027-03-09T00:00:00Z"), "end before start"),
        (dict(GOOD, rate_per_min=0), "rate 0"),
        (dict(GOOD, rate_per_min=60001), "rate too high"),
        (dict(GOOD, sample=0), "sample 0"),
        (dict(GOOD, programme=987654), "a missing programme"),
        (dict(GOOD, owner="me"), "an unknown field"),
        ({k: v for k, v in GOOD.items() if k != "scenario"}, "no scenario"),
    ]
    created = 0
    for body, why in bads:
        r = ctl.post("/api/v1/drills/rounds", body)
        if why is None:
            created += r.status == 201
            continue
        C.check(r.status == 400 and r.json["error"]["code"] == "invalid",
                p + "round refused: " + why, r)
    for raw, why in [(b"not json", "not JSON"), (b"[1,2]", "a list"), (b"", "no body"),
                     (b'{"year": 2027, "year": 2028}', "a duplicate key")]:
        r = ctl.req("POST", "/api/v1/drills/rounds", raw=raw)
        C.check(r.status == 400, p + "round refused: body " + why, r)
    after = ctl.get("/api/v1/drills/rounds?limit=500").json["total"]
    C.check(after == before + created, p + "refused rounds write nothing", (before, after))
    r = ctl.req("POST", "/api/v1/drills/rounds", dict(GOOD, region="mars"),
                headers={"Accept-Language": "vi"})
    C.check(r.status == 400 and "vùng" in r.json["error"]["message"],
            p + "the reason in Vietnamese when asked", r)

    # ---- access ----
    for who in ("central", "hanoi", "north", "viewer_hn", "viewer_all", "eva", "south",
                "danang"):
        r = cl[who].post("/api/v1/drills/rounds", GOOD)
        C.check(r.status == 403, p + who + " may not create a round", r)
        r = cl[who].post("/api/v1/drills/rounds/%d/start" % rid)
        C.check(r.status == 403, p + who + " may not start a round", r)
    r = admin.post("/api/v1/drills/rounds", dict(GOOD, region="south", units=["hcm"]))
    C.check(r.status == 201, p + "an administrator manages rounds too", r)
    south_id = r.json["id"] if r.status == 201 else 0
    sees = {"central": True, "viewer_all": True, "hanoi": True, "viewer_hn": True,
            "north": True, "eva": True, "danang": False, "south": False}
    for who, yes in sees.items():
        r = cl[who].get("/api/v1/drills/rounds/%d" % rid)
        C.check(r.status == (200 if yes else 404),
                p + "%s %s the Hà Nội/Hải Phòng round" % (who, "reads" if yes else
                                                          "does not see (404)"), r)
        r = cl[who].get("/api/v1/drills/rounds?limit=500")
        ids = [x["id"] for x in r.json["rounds"]] if r.status == 200 else []
        C.check(r.status == 200 and (rid in ids) == yes,
                p + "%s's list %s it" % (who, "has" if yes else "lacks"), ids[:5])
    r = cl["south"].get("/api/v1/drills/rounds?limit=500")
    C.check(r.status == 200 and south_id in [x["id"] for x in r.json["rounds"]] and
            all(x["region"] in ("south",) for x in r.json["rounds"]),
            p + "the south coordinator lists only rounds with a southern unit", r.json)
    r = cl["hanoi"].get("/api/v1/drills/rounds?limit=500")
    C.check(r.status == 200 and r.json["total"] == len(r.json["rounds"]) and
            all(x["region"] in ("north", "national") for x in r.json["rounds"]),
            p + "the Hà Nội analyst's total counts only what they see", r.json["total"])

    # filters
    r = ctl.get("/api/v1/drills/rounds?year=2028&region=south&limit=500")
    C.check(r.status == 200 and r.json["total"] == 3 and
            all(x["year"] == 2028 and x["region"] == "south" for x in r.json["rounds"]),
            p + "filter by year and region", r.json["total"])
    for q in ("year=abc", "state=done", "kind=x", "programme=-1", "region=" + "x" * 80):
        r = ctl.get("/api/v1/drills/rounds?" + q)
        C.check(r.status == 400, p + "bad filter refused: " + q[:20], r)

    # ---- change while planned ----
    r = ctl.patch("/api/v1/drills/rounds/%d" % rid, {"theme": "Chủ đề mới", "sample": 1,
                                                      "units": ["hanoi"]})
    C.check(r.status == 200 and r.json["theme"] == "Chủ đề mới" and r.json["sample"] == 1 and
            r.json["units"] == ["hanoi"], p + "a planned round changes", r)
    r = ctl.patch("/api/v1/drills/rounds/%d" % rid, {"planned_end": "2027-03-01T00:00:00Z"})
    C.check(r.status == 400, p + "…an end before the stored start is refused", r)
    r = ctl.patch("/api/v1/drills/rounds/%d" % rid, {})
    C.check(r.status == 400, p + "…an empty change is refused", r)
    r = ctl.patch("/api/v1/drills/rounds/%d" % rid, {"theme": 5})
    C.check(r.status == 400, p + "…a theme that is not text is refused", r)
    r = cl["hanoi"].patch("/api/v1/drills/rounds/%d" % rid, {"theme": "x"})
    C.check(r.status == 403, p + "…not by a provincial analyst", r)
    r = ctl.patch("/api/v1/drills/rounds/999999", {"theme": "x"})
    C.check(r.status == 404, p + "…a missing round: 404", r)
    r = ctl.get("/api/v1/drills/rounds/abc")
    C.check(r.status == 404, p + "a round id that is not a number: 404", r)

    # ---- start, end, cleanup ----
    r = ctl.post("/api/v1/drills/rounds/%d/end" % rid)
    C.check(r.status == 409, p + "a planned round cannot end", r)
    r = ctl.post("/api/v1/drills/rounds/%d/launch" % rid)
    C.check(r.status == 404, p + "an unknown action: 404", r)
    r = ctl.post("/api/v1/drills/rounds/%d/start" % rid)
    C.check(r.status == 200 and r.json["state"] == "running" and r.json["started_at"] and
            r.json["progress"]["targets"] == 1,
            p + "start: running, one target (a sample of 1 of Hà Nội's 3 staff)", r)
    r = ctl.post("/api/v1/drills/rounds/%d/start" % rid)
    C.check(r.status == 409, p + "…started twice: 409", r)
    r = ctl.patch("/api/v1/drills/rounds/%d" % rid, {"theme": "x"})
    C.check(r.status == 409, p + "…a running round cannot be changed", r)
    r = ctl.post("/api/v1/drills/rounds/%d/cleanup" % rid)
    C.check(r.status == 409, p + "…nor cleaned up before it ends", r)
    r = ctl.post("/api/v1/drills/rounds/%d/end" % rid)
    C.check(r.status == 200 and r.json["state"] == "ended" and r.json["ended_at"],
            p + "end: ended", r)
    r = ctl.post("/api/v1/drills/rounds/%d/cleanup" % rid)
    C.check(r.status == 200 and r.json["state"] == "cleaned" and r.json["cleaned_at"],
            p + "cleanup: cleaned", r)
    r = ctl.post("/api/v1/drills/rounds/%d/start" % rid)
    C.check(r.status == 409, p + "…and never back", r)
    r = ctl.get("/api/v1/drills/rounds?state=cleaned")
    C.check(r.status == 200 and [x["id"] for x in r.json["rounds"]] == [rid],
            p + "filter by state", r)

    # a round whose units have no staff cannot start
    r = ctl.post("/api/v1/drills/rounds", dict(GOOD, units=["cntt"], region="national",
                                               kind="staff"))
    nid = r.json["id"] if r.status == 201 else 0
    r = ctl.patch("/api/v1/drills/rounds/%d" % nid, {"units": ["cntt"]})
    # cntt has one staff member: start works; every unit of the org is sampled in full
    r = ctl.post("/api/v1/drills/rounds/%d/start" % nid)
    C.check(r.status == 200 and r.json["progress"]["targets"] == 1,
            p + "a round of the IT Centre: its one staff member is the target", r)

    # audit
    r = admin.get("/api/v1/audit?limit=200")
    acts = [e["action"] for e in r.json.get("entries", [])] if r.status == 200 else []
    for a in ("drill.programme.create", "drill.programme.generate", "drill.round.create",
              "drill.round.update", "drill.round.start", "drill.round.end",
              "drill.round.cleanup"):
        C.check(a in acts, p + "audited: " + a)
    r = admin.get("/api/v1/audit/verify")
    C.check(r.status == 200 and r.json["intact"], p + "audit chain intact", r)


def main():
    if not os.access(VIGILD, os.X_OK):
        print("vigild is not built at " + VIGILD)
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="vigil-drills-")
    os.chmod(tmp, 0o755)
    notes = []
    try:
        env = VigildEnv(os.path.join(tmp, "sqlite"), org=DRILL_ORG).start()
        try:
            suite(env, "sqlite")
            key = os.path.join(env.tmp, "drill.key")
            st = os.stat(key)
            C.check(st.st_mode & 0o777 == 0o600 and len(open(key).read().strip()) == 64,
                    "[sqlite] vigild created its drill key, 64 hex digits, mode 0600")
        finally:
            env.stop()
        pg = Postgres(os.path.join(tmp, "pgwork"))
        if pg.start():
            try:
                env = VigildEnv(os.path.join(tmp, "pg"), pg.url, org=DRILL_ORG).start()
                try:
                    suite(env, "postgresql")
                finally:
                    env.stop()
            finally:
                pg.stop()
            notes.append("sqlite and postgresql")
        else:
            C.check(False, "PostgreSQL could not be started: " + (pg.why or "?"))
    finally:
        cleanup(tmp)
    C.finish("; ".join(notes))


if __name__ == "__main__":
    main()
