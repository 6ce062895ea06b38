#!/usr/bin/env python3
"""tests/server/test_api.py - vigild's API against a real vigild, on SQLite and PostgreSQL.

The same suite runs on both stores: authentication (Argon2id passwords,
sessions, CSRF, API tokens, lockout), the access matrix (every role x a unit
it may and may not see x read and write), alerts from a gateway token that
group into incidents, the incident lifecycle through the NIST phases with its
timestamps, indicators, tasks and comments, bad input of every kind, and the
audit log's hash chain (intact, then tampered with).
"""
import base64
import hashlib
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "engine"))
sys.path.insert(0, os.path.dirname(__file__))
import vtest  # noqa: E402
from vigild_env import VIGILD, Postgres, VigildEnv, cleanup, sql_sqlite  # noqa: E402

C = vtest.Checks("api")
PW = "mật-khẩu-đủ-dài-1"
SHA_A = "a" * 63 + "1"
SHA_B = "b" * 63 + "2"


def record(uid, rcpts, verdict="malicious", sha=SHA_A, subject="Công văn khẩn", sender="x@evil.example",
           drill=0):
    """A gateway's message record (store_msg_to_json shape)."""
    return {
        "uid": uid, "gateway": "gw1", "queue_id": None, "message_id": uid + "@evil.example",
        "date_header": None, "received_ms": int(time.time() * 1000) - 5000,
        "direction": "inbound", "client_addr": "203.0.113.5", "env_from": sender,
        "env_rcpts": rcpts, "hdr_from": [sender], "hdr_to": rcpts, "subject": subject,
        "attachments": [{"path": "msg/2:congvan.doc", "name": "congvan.doc", "type": "ole2",
                         "mime": "application/msword", "sha256": sha, "sha1": None, "md5": None,
                         "size": 1000, "depth": 1}],
        "urls": ["http://evil.example/a"], "domains": ["evil.example"],
        "verdict": verdict, "score": 100 if verdict == "malicious" else 40,
        "action": "quarantine", "quarantine_id": None,
        "findings": [{"id": "combo.macro_runs_program", "severity": "critical" if verdict ==
                      "malicious" else "medium", "title": "macro", "object": "msg/2:congvan.doc",
                      "attack": "T1204.002", "evidence": "AutoOpen + Shell"}],
        "size": 5000, "scan_ms": 3.0, "drill": drill,
    }


def suite(env, store_name):
    p = "[%s] " % store_name
    anon = env.client()
    r = anon.get("/api/v1/health")
    C.check(r.status == 200 and r.json["store"] == store_name, p + "health answers without signing in",
            r)
    r = anon.get("/api/v1/incidents")
    C.check(r.status == 401 and r.json["error"]["code"] == "unauthenticated",
            p + "no identity: 401 with the error shape", r)

    r = anon.req("GET", "/api/v1/incidents", headers={"Accept-Language": "vi-VN,vi;q=0.9"})
    C.check(r.status == 401 and "đăng nhập" in r.json["error"]["message"],
            p + "errors in Vietnamese when the caller asks for it", r.json)

    admin = env.client()
    r = admin.login("admin", "wrong password!")
    C.check(r.status == 401, p + "wrong password: 401", r)
    r = admin.login("admin", env.admin_password())
    C.check(r.status == 200 and r.json["role"] == "admin" and r.json["csrf"],
            p + "first administrator signs in with the generated password", r)
    cookie = [c for c in admin.jar if c.name == "vigil_session"]
    setc = r.headers.get("Set-Cookie", "")
    C.check(cookie and "HttpOnly" in setc and "SameSite=Strict" in setc,
            p + "session cookie is HttpOnly and SameSite=Strict", setc)

    # users of every role
    users = {
        "central": ("central_analyst", None, None),
        "hanoi": ("provincial_analyst", "hanoi", None),
        "danang": ("provincial_analyst", "danang", None),
        "north": ("regional_coordinator", None, "north"),
        "south": ("regional_coordinator", None, "south"),
        "drill": ("drill_controller", None, None),
        "viewer_hn": ("viewer", "hanoi", None),
        "viewer_all": ("viewer", None, None),
    }
    for name, (role, unit, region) in users.items():
        body = {"username": name, "display_name": "Người dùng " + name, "role": role,
                "password": PW}
        if unit:
            body["unit"] = unit
        if region:
            body["region"] = region
        r = admin.post("/api/v1/users", body)
        C.check(r.status == 201, p + "admin creates %s (%s)" % (name, role), r)
    r = admin.post("/api/v1/users", {"username": "hanoi", "display_name": "x",
                                     "role": "viewer", "password": PW})
    C.check(r.status == 409, p + "duplicate user name: 409", r)
    for bad, why in [({"username": "p", "display_name": "p", "role": "provincial_analyst",
                       "password": PW}, "provincial analyst without a unit"),
                     ({"username": "q", "display_name": "q", "role": "viewer", "password": "short"},
                      "short password"),
                     ({"username": "q r", "display_name": "q", "role": "viewer", "password": PW},
                      "space in user name"),
                     ({"username": "q", "display_name": "q", "role": "king", "password": PW},
                      "unknown role"),
                     ({"username": "q", "display_name": "q", "role": "viewer", "unit": "atlantis",
                       "password": PW}, "unknown unit"),
                     ({"username": 5, "display_name": "q", "role": "viewer", "password": PW},
                      "user name of the wrong type")]:
        r = admin.post("/api/v1/users", bad)
        C.check(r.status == 400 and r.json["error"]["code"] == "invalid",
                p + "user refused: " + why, r)

    cl = {}
    for name in users:
        c = env.client()
        r = c.login(name, PW)
        C.check(r.status == 200, p + "%s signs in" % name, r)
        cl[name] = c

    # CSRF: a cookie without the header changes nothing
    r = cl["central"].post("/api/v1/incidents", {"title": "x", "units": ["hanoi"]}, csrf=False)
    C.check(r.status == 403 and r.json["error"]["code"] == "csrf",
            p + "state change with the cookie but no X-CSRF-Token: 403", r)
    r = cl["central"].post("/api/v1/incidents", {"title": "x", "units": ["hanoi"]},
                           headers={"X-CSRF-Token": "forged"}, csrf=False)
    C.check(r.status == 403, p + "a forged CSRF token: 403", r)

    # gateway token
    r = admin.post("/api/v1/tokens", {"name": "gw1", "kind": "gateway"})
    C.check(r.status == 201 and r.json["token"].startswith("vgt_"), p + "gateway token created",
            r)
    gw = env.client(token=r.json["token"])
    gw_id = r.json["id"]
    r = gw.get("/api/v1/incidents")
    C.check(r.status == 403, p + "a gateway token cannot read incidents", r)
    r = env.client(token="vgt_forged").get("/api/v1/incidents")
    C.check(r.status == 401, p + "a forged API token: 401", r)
    r = env.client(token="vgt_forged").get("/api/v1/session")
    C.check(r.status == 200 and r.json["authenticated"] is False,
            p + "a forged API token is no session", r)

    # alerts -> incidents
    r = gw.post("/api/v1/alerts", record("a1", ["long@bhxh.example"]))
    C.check(r.status == 201 and r.json["opened_incident"] and r.json["incident"],
            p + "a malicious alert opens an incident", r)
    inc1 = r.json["incident"]
    r = gw.post("/api/v1/alerts", record("a1", ["long@bhxh.example"]))
    C.check(r.status == 200 and r.json["duplicate"] and r.json["incident"] == inc1,
            p + "the same record posted again (a retry) is the same alert", r)
    r = gw.post("/api/v1/alerts", record("a2", ["tai@bhxh.example"], subject="Khác hẳn",
                                         sender="y@other.example"))
    C.check(r.status == 201 and r.json["incident"] == inc1 and not r.json["opened_incident"],
            p + "an alert sharing the attachment hash joins the open incident", r)
    r = gw.post("/api/v1/alerts", record("a3", ["hong@bhxh.example"], verdict="suspicious",
                                         sha=SHA_B, subject="Hoá đơn", sender="z@x.example"))
    C.check(r.status == 201 and r.json["incident"] is None,
            p + "a suspicious alert with nothing shared waits (no incident)", r)
    r = gw.post("/api/v1/alerts", record("a4", ["hong@bhxh.example"], verdict="clean"))
    C.check(r.status == 422, p + "a clean record is not an alert: 422", r)
    r = gw.post("/api/v1/alerts", {"uid": "x"})
    C.check(r.status == 400, p + "an incomplete record: 400", r)
    r = cl["central"].post("/api/v1/alerts", record("a5", ["long@bhxh.example"]))
    C.check(r.status == 403, p + "a person cannot post alerts as a gateway", r)

    r = admin.get("/api/v1/incidents/%d" % inc1)
    doc = r.json or {}
    C.check(r.status == 200 and sorted(u["id"] for u in doc.get("units", [])) ==
            ["danang", "hanoi"], p + "the incident has the units of both alerts' recipients", r)
    C.check(len(doc.get("tasks", [])) == 10 and len(doc.get("messages", [])) == 2,
            p + "default playbook (10 tasks) and both messages linked",
            json.dumps(doc)[:500])
    ind = {(i["type"], i["value"]) for i in doc.get("indicators", [])}
    C.check(("sha256", SHA_A) in ind and ("email", "x@evil.example") in ind,
            p + "indicators learned from the alerts (hash, sender)", ind)
    C.check(doc.get("status") == "new" and doc.get("detected_at") and doc.get("tlp") == "TLP:AMBER",
            p + "a new incident: status new, detected_at set, TLP:AMBER", doc)

    # a hanoi-only incident and a south-only one, opened by hand
    r = cl["hanoi"].post("/api/v1/incidents", {"title": "Máy trạm nhiễm", "units": ["hanoi"],
                                                "severity": "high"})
    C.check(r.status == 201 and r.json["ref"].startswith("INC-"),
            p + "a provincial analyst opens an incident for their unit", r)
    inc_hn = r.json["id"]
    r = cl["hanoi"].post("/api/v1/incidents", {"title": "x", "units": ["hcm"]})
    C.check(r.status == 403, p + "a provincial analyst cannot open one for another unit", r)
    r = cl["central"].post("/api/v1/incidents", {"title": "Sự cố phía Nam", "units": ["hcm"]})
    inc_s = r.json["id"] if r.status == 201 else 0
    C.check(r.status == 201, p + "a central analyst opens one for any unit", r)
    r = cl["drill"].post("/api/v1/incidents", {"title": "x", "units": ["hcm"]})
    C.check(r.status == 403, p + "a drill controller cannot open a real incident", r)
    r = cl["drill"].post("/api/v1/incidents", {"title": "Diễn tập", "units": ["hcm"],
                                               "drill": True})
    inc_d = r.json["id"] if r.status == 201 else 0
    C.check(r.status == 201, p + "a drill controller opens a drill incident", r)

    # the access matrix: who sees which incident in lists and by id, who may change it
    expect_see = {
        "central": {inc1, inc_hn, inc_s, inc_d},
        "hanoi": {inc1, inc_hn},
        "danang": {inc1},
        "north": {inc1, inc_hn},
        "south": {inc_s, inc_d},
        "drill": {inc1, inc_hn, inc_s, inc_d},
        "viewer_hn": {inc1, inc_hn},
        "viewer_all": {inc1, inc_hn, inc_s, inc_d},
    }
    may_work = {
        "central": {inc1, inc_hn, inc_s, inc_d},
        "hanoi": {inc1, inc_hn},
        "danang": {inc1},
        "north": {inc1, inc_hn},
        "south": {inc_s, inc_d},
        "drill": {inc_d},
        "viewer_hn": set(),
        "viewer_all": set(),
    }
    every = [inc1, inc_hn, inc_s, inc_d]
    for name, c in cl.items():
        r = c.get("/api/v1/incidents?limit=500")
        got = {i["id"] for i in (r.json or {}).get("incidents", [])}
        C.check(r.status == 200 and got == expect_see[name] and
                r.json["total"] == len(expect_see[name]),
                p + "list: %s sees exactly its incidents" % name,
                "got %s want %s" % (sorted(got), sorted(expect_see[name])))
        for i in every:
            r = c.get("/api/v1/incidents/%d" % i)
            want = 200 if i in expect_see[name] else 404
            C.check(r.status == want, p + "GET incident %d as %s: %d" % (i, name, want), r)
            r = c.post("/api/v1/incidents/%d/comments" % i, {"text": "ghi chú của " + name})
            if i in may_work[name]:
                want = 200
            elif name.startswith("viewer"):
                want = 403
            elif i in expect_see[name]:
                want = 403
            else:
                want = 404
            C.check(r.status == want, p + "comment on %d as %s: %d" % (i, name, want), r)
    r = cl["hanoi"].get("/api/v1/alerts")
    uids = {a["uid"] for a in (r.json or {}).get("alerts", [])}
    C.check(r.status == 200 and uids == {"a1"}, p + "alerts list scoped: hanoi sees only its alert",
            uids)
    r = cl["south"].get("/api/v1/alerts")
    uids = {a["uid"] for a in (r.json or {}).get("alerts", [])}
    C.check(uids == {"a3"}, p + "alerts list scoped by region: the south sees the HCM alert", uids)
    for name in ("hanoi", "central", "viewer_all", "drill"):
        r = cl[name].get("/api/v1/users")
        C.check(r.status == 403, p + "%s cannot list users" % name, r)
        r = cl[name].post("/api/v1/tokens", {"name": "t", "kind": "api"})
        C.check(r.status == 403, p + "%s cannot create tokens" % name, r)

    # lifecycle
    c = cl["central"]
    steps = [("triage", 200), ("containment", 200), ("eradication", 200), ("recovery", 200),
             ("closed", 200)]
    for st, want in steps:
        r = c.patch("/api/v1/incidents/%d" % inc1, {"status": st})
        C.check(r.status == want, p + "status -> %s" % st, r)
    doc = c.get("/api/v1/incidents/%d" % inc1).json
    C.check(doc["status"] == "closed" and doc["acknowledged_at"] and doc["contained_at"] and
            doc["closed_at"] and doc["time_to_close_s"] is not None and
            doc["time_to_acknowledge_s"] >= 0,
            p + "acknowledged, contained and closed stamps and durations", doc)
    r = c.patch("/api/v1/incidents/%d" % inc1, {"status": "recovery"})
    C.check(r.status == 400, p + "a closed incident cannot jump back to recovery", r)
    r = c.patch("/api/v1/incidents/%d" % inc1, {"status": "triage"})
    doc = c.get("/api/v1/incidents/%d" % inc1).json
    C.check(r.status == 200 and doc["status"] == "triage" and doc["closed_at"] is None,
            p + "reopening to triage clears closed_at", doc.get("closed_at"))
    kinds = [e["kind"] for e in doc["timeline"]]
    C.check(kinds.count("status") >= 6 and "alert" in kinds and "comment" in kinds,
            p + "timeline has alerts, status changes and comments", kinds)
    r = c.patch("/api/v1/incidents/%d" % inc1, {"status": "solved"})
    C.check(r.status == 400, p + "unknown status: 400", r)
    r = c.patch("/api/v1/incidents/%d" % inc1, {"owner": "hanoi", "tlp": "TLP:RED",
                                                 "severity": "critical"})
    doc = c.get("/api/v1/incidents/%d" % inc1).json
    C.check(r.status == 200 and doc["owner"] == "hanoi" and doc["tlp"] == "TLP:RED" and
            doc["severity"] == "critical", p + "owner, TLP and severity change", r)

    # indicators and tasks
    r = c.post("/api/v1/incidents/%d/indicators" % inc1, {"type": "sha256", "value": "xyz"})
    C.check(r.status == 400 and "64" in r.json["error"]["message"],
            p + "a malformed SHA-256 is refused and the message says why", r)
    for t, v in [("domain", "bhxh-gov.vn"), ("url", "https://bhxh-gov.vn/login"),
                 ("ipv4", "198.51.100.7"), ("md5", "d41d8cd98f00b204e9800998ecf8427e")]:
        r = c.post("/api/v1/incidents/%d/indicators" % inc1, {"type": t, "value": v})
        C.check(r.status == 200, p + "indicator %s accepted" % t, r)
    r = c.post("/api/v1/incidents/%d/indicators" % inc1, {"type": "ipv4", "value": "300.1.1.1"})
    C.check(r.status == 400, p + "an impossible IPv4 address is refused", r)
    doc = c.get("/api/v1/incidents/%d" % inc1).json
    C.check(len(doc["indicators"]) >= 6, p + "indicators listed on the incident",
            len(doc["indicators"]))
    r = c.post("/api/v1/incidents/%d/tasks" % inc1, {"title": "Gọi điện cho BHXH Hà Nội",
                                                       "unit": "hanoi"})
    C.check(r.status == 201 and r.json["id"], p + "task added", r)
    tid = r.json["id"] if r.status == 201 else 0
    r = c.patch("/api/v1/incidents/%d/tasks/%d" % (inc1, tid), {"done": True})
    C.check(r.status == 200, p + "task done", r)
    r = c.patch("/api/v1/incidents/%d/tasks/%d" % (inc_hn, tid), {"done": True})
    C.check(r.status == 404, p + "a task of another incident: 404", r)

    # bad input: nothing changes, clear 4xx
    def stable(raw):
        d = json.loads(raw)
        d.pop("deadlines", None)  # seconds_left moves with the clock
        return d
    before = stable(c.get("/api/v1/incidents/%d" % inc1).raw)
    for raw, want, what in [(b"{not json", 400, "malformed JSON"),
                            (b"[1,2]", 400, "a JSON array instead of an object"),
                            (b'{"status": 5}', 400, "a number where a string belongs"),
                            (b'{"title": ""}', 400, "an empty title"),
                            (b"", 400, "an empty body"),
                            (b'{"a":1,"a":2}', 400, "duplicate keys"),
                            (b"{" + b'"title":"' + b"x" * (2 << 20) + b'"}', 413,
                             "a 2 MiB body")]:
        r = c.req("PATCH", "/api/v1/incidents/%d" % inc1, raw=raw)
        C.check(r.status == want and r.json and "message" in r.json["error"],
                p + "bad input refused (%s): %d" % (what, want), r)
    after = stable(c.get("/api/v1/incidents/%d" % inc1).raw)
    C.check(before == after, p + "…and the incident is unchanged")
    evil = "'); DROP TABLE incidents; --"
    r = c.post("/api/v1/incidents", {"title": evil, "units": ["hanoi"]})
    r2 = c.get("/api/v1/incidents/%d" % r.json["id"]) if r.status == 201 else r
    C.check(r.status == 201 and r2.json["title"] == evil,
            p + "SQL metacharacters are stored as text", r2)
    for path, want in [("/api/v1/incidents/abc", 404), ("/api/v1/incidents/-1", 404),
                       ("/api/v1/incidents/99999999", 404),
                       ("/api/v1/incidents/1%2F..%2Fusers", 404),
                       ("/api/v1/nothing", 404), ("/../../etc/passwd", 404),
                       ("/.hidden", 404), ("/index.html", 200)]:
        r = c.get(path)
        C.check(r.status == want, p + "GET %s: %d" % (path, want), r)
    r = c.req("DELETE", "/api/v1/incidents")
    C.check(r.status == 405, p + "a method a route does not take: 405", r)
    r = c.get("/api/v1/incidents?status=bogus")
    C.check(r.status == 400, p + "a bad filter value: 400", r)
    r = c.get("/api/v1/incidents?limit=100000&offset=-5")
    C.check(r.status == 200 and r.json["limit"] == 500 and r.json["offset"] == 0,
            p + "paging is clamped", r)

    # lockout
    lock = env.client()
    for _ in range(5):
        lock.login("danang", "not the password")
    r = lock.login("danang", PW)
    C.check(r.status == 429 and r.json["error"]["code"] == "locked",
            p + "5 failed sign-ins lock the account, even for the right password", r)

    # disabling a user ends their sessions; revoked tokens stop working
    ids = {u["username"]: u["id"] for u in admin.get("/api/v1/users").json["users"]}
    r = admin.patch("/api/v1/users/%d" % ids["viewer_all"], {"disabled": True})
    C.check(r.status == 200 and
            cl["viewer_all"].get("/api/v1/session").json["authenticated"] is False,
            p + "disabling a user ends their session", r)
    r = admin.delete("/api/v1/tokens/%d" % gw_id)
    C.check(r.status == 200 and gw.post("/api/v1/alerts", record("a9", ["long@bhxh.example"])
                                        ).status == 401,
            p + "a revoked gateway token is refused", r)

    # logout
    r = cl["south"].delete("/api/v1/session")
    C.check(r.status == 200 and
            cl["south"].get("/api/v1/session").json["authenticated"] is False,
            p + "sign-out ends the session", r)

    # units, assignees, evidence
    r = cl["central"].post("/api/v1/incidents/%d/units" % inc_s, {"unit": "haiphong"})
    C.check(r.status == 200, p + "a unit is added to an incident", r)
    r = cl["north"].get("/api/v1/incidents/%d" % inc_s)
    C.check(r.status == 200, p + "…and the north now sees it (Hải Phòng is in the north)", r)
    r = cl["central"].post("/api/v1/incidents/%d/units" % inc_s, {"unit": "atlantis"})
    C.check(r.status == 400, p + "an unknown unit is refused", r)
    doc = admin.get("/api/v1/incidents/%d" % inc_hn).json
    t1 = doc["tasks"][0]["id"]
    r = cl["hanoi"].patch("/api/v1/incidents/%d/tasks/%d" % (inc_hn, t1), {"assignee": "hanoi"})
    doc = admin.get("/api/v1/incidents/%d" % inc_hn).json
    C.check(r.status == 200 and doc["tasks"][0]["assignee"] == "hanoi",
            p + "a task is assigned to a user", r)
    r = cl["hanoi"].patch("/api/v1/incidents/%d/tasks/%d" % (inc_hn, t1), {"assignee": "nobody"})
    C.check(r.status == 400, p + "assigning to an unknown user is refused", r)
    blob = bytes(range(256)) * 40
    r = cl["hanoi"].post("/api/v1/incidents/%d/evidence" % inc_hn,
                         {"name": "../../nhật ký.evtx", "content": base64.b64encode(blob).decode()})
    C.check(r.status == 201 and r.json["id"], p + "an evidence file is attached", r)
    eid = r.json["id"] if r.status == 201 else 0
    doc = admin.get("/api/v1/incidents/%d" % inc_hn).json
    ev = doc.get("evidence", [{}])[0]
    C.check(ev.get("sha256") == hashlib.sha256(blob).hexdigest() and ev.get("size") == len(blob),
            p + "the evidence is listed with its SHA-256 and size", ev)
    r = cl["viewer_hn"].get("/api/v1/incidents/%d/evidence/%d" % (inc_hn, eid))
    cd = r.headers.get("Content-Disposition", "")
    C.check(r.status == 200 and r.raw == blob and "/" not in cd and ".." not in cd.split('"')[1][:2],
            p + "a viewer of the unit downloads it byte for byte, under a safe file name", cd)
    r = cl["danang"].get("/api/v1/incidents/%d/evidence/%d" % (inc_hn, eid))
    C.check(r.status == 404, p + "another unit cannot download it", r)
    r = cl["hanoi"].post("/api/v1/incidents/%d/evidence" % inc_hn,
                         {"name": "x", "content": "not base64!!"})
    C.check(r.status == 400, p + "content that is not base64 is refused", r)
    r = cl["hanoi"].post("/api/v1/incidents/%d/evidence" % inc_hn,
                         {"name": "x", "content": base64.b64encode(b"x" * (701 << 10)).decode()})
    C.check(r.status == 400, p + "evidence over 700 KiB is refused", r)

    # an incident from an email a member of staff reported
    eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    eml = ("From: Van thu <vanthu@bhxh-gov.vn>\r\nTo: long@bhxh.example\r\n"
           "Subject: Cong van khan so 99\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
           "Content-Type: text/plain\r\n\r\nXem http://bhxh-gov.vn/login ngay.\r\n--B\r\n"
           "Content-Type: application/octet-stream; name=CongVan.exe\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--B--\r\n"
           % base64.b64encode(eicar).decode()).encode()
    r = cl["hanoi"].post("/api/v1/incidents/from-email",
                         {"content": base64.b64encode(eml).decode()})
    C.check(r.status == 201 and r.json["verdict"] == "malicious" and r.json["indicators"] >= 2,
            p + "a reported email is scanned and opens an incident with what it found", r)
    if r.status == 201:
        doc = cl["hanoi"].get("/api/v1/incidents/%d" % r.json["id"]).json
        ind = {(i["type"], i["value"]) for i in doc["indicators"]}
        C.check(("sha256", hashlib.sha256(eicar).hexdigest()) in ind and
                [u["id"] for u in doc["units"]] == ["hanoi"] and
                doc["title"].endswith("Cong van khan so 99") and doc["severity"] == "high",
                p + "…the attachment's hash, the reporter's unit, the subject, the severity", doc)
        ev = doc.get("evidence", [{}])
        C.check(ev and ev[0].get("sha256") == hashlib.sha256(eml).hexdigest(),
                p + "…and the message itself is kept as evidence", ev)
    r = cl["viewer_hn"].post("/api/v1/incidents/from-email",
                             {"content": base64.b64encode(eml).decode()})
    C.check(r.status == 403, p + "a viewer cannot open an incident from an email", r)
    r = cl["hanoi"].post("/api/v1/incidents/from-email", {"content": "%%%"})
    C.check(r.status == 400, p + "content that is not base64: 400", r)
    r = cl["hanoi"].post("/api/v1/incidents/from-email",
                         {"content": base64.b64encode(eml).decode(), "units": ["hcm"]})
    C.check(r.status == 403, p + "…nor for a unit out of scope", r)

    # the organisation, edited by the administrator
    r = admin.post("/api/v1/org/units", {"id": "quangninh", "name": "BHXH tỉnh Quảng Ninh",
                                         "short": "BHXH Quảng Ninh", "kind": "province",
                                         "region": "north"})
    C.check(r.status == 201, p + "the administrator adds a unit", r)
    r = admin.post("/api/v1/org/staff", {"id": "s9", "name": "Vũ Văn Hải",
                                         "email": "hai@bhxh.example", "unit": "quangninh"})
    C.check(r.status == 201, p + "…and a staff member in it", r)
    r = admin.post("/api/v1/org/staff", {"id": "s10", "name": "X", "email": "x@bhxh.example",
                                         "unit": "atlantis"})
    C.check(r.status == 400 and "atlantis" in r.json["error"]["message"],
            p + "a staff member of an unknown unit is refused, naming it", r)
    r = admin.post("/api/v1/org/staff", {"id": "s11", "name": "Y", "email": "HAI@bhxh.example",
                                         "unit": "quangninh"})
    C.check(r.status == 409, p + "a second staff member with the same address (any case): 409",
            r)
    r = cl["central"].get("/api/v1/org/units")
    C.check(any(u["id"] == "quangninh" and u["region"] == "north" and u["staff"] == 1
                for u in r.json["units"]), p + "the new unit is served at once", r.json["units"])
    r = cl["central"].post("/api/v1/incidents", {"title": "Quảng Ninh", "units": ["quangninh"]})
    qn = r.json["id"] if r.status == 201 else 0
    C.check(r.status == 201 and cl["north"].get("/api/v1/incidents/%d" % qn).status == 200,
            p + "an incident of the new unit is seen by the North's coordinator", r)
    r = cl["hanoi"].post("/api/v1/org/units", {"id": "x", "name": "x", "kind": "province",
                                               "region": "north"})
    C.check(r.status == 403, p + "only the administrator edits the organisation", r)
    r = admin.delete("/api/v1/org/units/quangninh")
    C.check(r.status == 409, p + "a unit with staff cannot be removed", r)
    r = admin.patch("/api/v1/org/staff/s9", {"title": "Giám đốc"})
    C.check(r.status == 200, p + "a staff record is updated", r)
    r = cl["central"].get("/api/v1/org/staff?q=v%C5%A9%20v%C4%83n")
    C.check(r.status == 200 and [i["id"] for i in r.json["items"]] == ["s9"] and
            r.json["items"][0].get("title") == "Giám đốc",
            p + "staff search (any case, Vietnamese)", r.json)
    with open(env.org_path, encoding="utf-8") as f:
        saved = json.load(f)
    C.check(any(u["id"] == "quangninh" for u in saved["units"]),
            p + "edits are saved to the organisation file")

    # Circular 20/2017 reports
    r = cl["hanoi"].get("/api/v1/incidents/%d/reports/notification" % inc_hn)
    rj = r.json or {}
    C.check(r.status == 200 and rj.get("sections") and rj.get("deadline", {}).get("state") in
            ("not_due", "due_soon"), p + "the incident notification as JSON, with its deadline",
            json.dumps(rj)[:400])
    r = cl["hanoi"].get("/api/v1/incidents/%d/reports/initial?format=pdf" % inc_hn)
    C.check(r.status == 200 and r.raw.startswith(b"%PDF-") and
            r.headers.get("Content-Type") == "application/pdf" and
            "initial.pdf" in r.headers.get("Content-Disposition", ""),
            p + "the initial report as a PDF download", r.headers.get("Content-Type"))
    try:
        import subprocess
        txt = subprocess.run(["pdftotext", "-", "-"], input=r.raw, capture_output=True,
                             timeout=60).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        txt = ""
    C.check("Máy trạm nhiễm" in txt and "BÁO CÁO BAN ĐẦU" in txt.upper(),
            p + "the PDF reads back with the incident's title and the form's heading", txt[:300])
    r = cl["hanoi"].get("/api/v1/incidents/%d/reports/final?format=html" % inc_hn)
    C.check(r.status == 200 and b"<!DOCTYPE html>" in r.raw[:200], p + "the final report as HTML",
            r.raw[:100])
    r = cl["hanoi"].get("/api/v1/incidents/%d/reports/bogus" % inc_hn)
    C.check(r.status == 404, p + "an unknown report kind: 404", r)
    r = cl["hanoi"].get("/api/v1/incidents/%d/reports/initial?format=docx" % inc_hn)
    C.check(r.status == 400, p + "an unknown format: 400", r)
    r = cl["danang"].get("/api/v1/incidents/%d/reports/initial" % inc_hn)
    C.check(r.status == 404, p + "a report of an incident out of scope: 404", r)
    r = cl["hanoi"].post("/api/v1/incidents/%d/reports/notification/filed" % inc_hn,
                         {"number": "12/TB-CNTT"})
    C.check(r.status == 200, p + "the notification is marked as sent", r)
    r = cl["hanoi"].post("/api/v1/incidents/%d/reports/notification/filed" % inc_hn, {})
    C.check(r.status == 409, p + "…and cannot be sent twice", r)
    r = cl["viewer_hn"].post("/api/v1/incidents/%d/reports/initial/filed" % inc_hn, {})
    C.check(r.status == 403, p + "a viewer cannot mark a report sent", r)
    doc = cl["hanoi"].get("/api/v1/incidents/%d" % inc_hn).json
    dl = {d["kind"]: d["state"] for d in doc.get("deadlines", [])}
    C.check(dl.get("notification") == "filed" and dl.get("final") == "waiting" and
            doc["reports"]["notification"]["number"] == "12/TB-CNTT",
            p + "deadlines: notification filed, final waits for the end of the response", dl)
    r = cl["hanoi"].get("/api/v1/reports/due")
    due = [(d["incident"], d["kind"]) for d in (r.json or {}).get("due", [])]
    C.check(r.status == 200 and (inc_hn, "initial") in due and
            (inc_hn, "notification") not in due and inc_s not in [i for i, _ in due] and
            all(cl["hanoi"].get("/api/v1/incidents/%d" % i).status == 200 for i, _ in due),
            p + "reports due: the initial report of a Hà Nội incident, nothing out of scope", due)

    # STIX 2.1 and MISP, out and in
    r = cl["hanoi"].get("/api/v1/incidents/%d/export?format=stix" % inc1)
    objs = (r.json or {}).get("objects", [])
    pats = [o.get("pattern", "") for o in objs if o.get("type") == "indicator"]
    C.check(r.status == 200 and r.json.get("type") == "bundle" and
            any(SHA_A in x and "SHA-256" in x for x in pats) and
            "attachment;" in r.headers.get("Content-Disposition", ""),
            p + "STIX 2.1 export: a bundle with the attachment hash as a pattern", pats[:3])
    r = cl["hanoi"].get("/api/v1/incidents/%d/export?format=misp" % inc1)
    attrs = [a.get("value") for a in (r.json or {}).get("Event", {}).get("Attribute", [])]
    C.check(r.status == 200 and SHA_A in attrs, p + "MISP export: an event with the hash", attrs)
    r = cl["danang"].get("/api/v1/incidents/%d/export?format=stix" % inc_hn)
    C.check(r.status == 404, p + "no export of an incident out of scope", r)
    shared = os.environ.get("VIGIL_SHARED") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                            "..", "shared")
    bundle = os.path.join(shared, "testdata", "stix", "indicators-for-C2-with-COA.json")
    if os.path.exists(bundle):
        with open(bundle, "rb") as f:
            raw = f.read()
        r = cl["hanoi"].req("POST", "/api/v1/incidents/%d/import?format=stix" % inc_hn, raw=raw)
        C.check(r.status == 200 and r.json["added"] == 2 and len(r.json["skipped"]) == 6,
                p + "STIX import of the shared C2 bundle: 2 indicators, 6 objects listed", r)
        doc = cl["hanoi"].get("/api/v1/incidents/%d" % inc_hn).json
        C.check(any(i["value"] == "10.0.0.0" for i in doc["indicators"]),
                p + "…the C2 address is an indicator of the incident", doc["indicators"])
    r = cl["hanoi"].req("POST", "/api/v1/incidents/%d/import?format=stix" % inc_hn,
                        raw=b'{"type": "bundle", "objects": 5}')
    C.check(r.status == 400, p + "a malformed bundle is refused", r)
    r = cl["hanoi"].req("POST", "/api/v1/incidents/%d/import?format=misp" % inc_hn,
                        raw=json.dumps({"Event": {"info": "x", "Attribute": [
                            {"type": "domain", "value": "bhxh-gov.example", "to_ids": True},
                            {"type": "ip-dst", "value": "999.1.1.1", "to_ids": True}]}}).encode())
    C.check(r.status == 200 and r.json["added"] == 1,
            p + "MISP import: the valid attribute in, the impossible address out", r)
    r = cl["viewer_hn"].req("POST", "/api/v1/incidents/%d/import?format=misp" % inc_hn, raw=b"{}")
    C.check(r.status == 403, p + "a viewer cannot import", r)

    # readiness per unit, and indicators across incidents
    r = cl["central"].get("/api/v1/metrics/units")
    mu = {u["unit"]: u for u in (r.json or {}).get("units", [])}
    C.check(r.status == 200 and mu.get("hanoi", {}).get("incidents", 0) >= 2 and
            mu["hanoi"]["acknowledge"]["n"] >= 1 and mu["hanoi"]["contain"]["n"] >= 1 and
            mu["hanoi"]["contain"]["median_s"] is not None and mu["hanoi"]["open"] >= 1,
            p + "readiness per unit: incidents, time to acknowledge and to contain", mu.get("hanoi"))
    r = cl["danang"].get("/api/v1/metrics/units")
    C.check(r.status == 200 and {u["unit"] for u in r.json["units"]} <= {"danang", "hanoi"} and
            "hcm" not in {u["unit"] for u in r.json["units"]},
            p + "…scoped: Đà Nẵng sees the units of its own incidents only", r.json)
    r = cl["hanoi"].get("/api/v1/indicators?q=10.0.0")
    C.check(r.status == 200 and any(x["value"] == "10.0.0.0" for x in r.json["indicators"]),
            p + "indicators searched across incidents", r)
    r = cl["danang"].get("/api/v1/indicators?q=10.0.0")
    C.check(r.status == 200 and r.json["total"] == 0,
            p + "…not those of incidents out of scope", r)
    r = cl["hanoi"].get("/api/v1/indicators?q=%25")
    C.check(r.status == 200, p + "a LIKE metacharacter in the search is harmless", r)

    # notifications: the people whose scope the new incidents touched
    r = cl["danang"].get("/api/v1/notifications")
    texts = [n["text"] for n in (r.json or {}).get("notifications", [])]
    C.check(r.status == 200 and any("danang" in t and "#%d" % inc1 in t for t in texts) and
            r.json["unseen"] >= 1,
            p + "the Đà Nẵng analyst was told when a second alert brought the unit in", texts)
    r = cl["hanoi"].get("/api/v1/notifications")
    texts = [n["text"] for n in (r.json or {}).get("notifications", [])]
    C.check(any("Sự cố mới INC-" in t and "Công văn khẩn" in t for t in texts),
            p + "the Hà Nội analyst was told of the new incident", texts)
    r = cl["south"].get("/api/v1/notifications")
    texts_s = [n["text"] for n in (r.json or {}).get("notifications", [])]
    C.check(not any("Công văn khẩn" in t for t in texts_s),
            p + "the south was not told of the northern incident", texts_s)
    r = cl["danang"].post("/api/v1/notifications/seen", {})
    C.check(r.status == 200 and cl["danang"].get("/api/v1/notifications").json["unseen"] == 0,
            p + "notifications are marked seen", r)

    # audit chain
    r = admin.get("/api/v1/audit/verify")
    C.check(r.status == 200 and r.json["intact"] and r.json["checked"] > 20,
            p + "audit chain intact (%s entries)" % (r.json or {}).get("checked"), r)
    r = admin.get("/api/v1/audit?limit=5")
    acts = [e["action"] for e in (r.json or {}).get("entries", [])]
    C.check(r.status == 200 and len(acts) == 5, p + "audit entries listed newest first", acts)
    return admin


def deadline_warnings(env, admin):
    """A report close to its deadline warns the incident's people, once."""
    pw = "cảnh-báo-hạn-2026"
    admin.post("/api/v1/users", {"username": "hp", "display_name": "hp", "role":
                                 "provincial_analyst", "unit": "haiphong", "password": pw})
    r = admin.post("/api/v1/incidents", {"title": "Hạn báo cáo", "units": ["haiphong"]})
    inc = r.json["id"]
    hp = env.client()
    hp.login("hp", pw)
    day = 86400 * 1000
    now = int(time.time() * 1000)
    # detected 4.5 days ago: the notification and the initial report are due within 24 h
    sql_sqlite(env.db_url, "UPDATE incidents SET detected_ms = %d WHERE id = %d"
               % (now - int(4.5 * day), inc))

    def texts():
        r = hp.get("/api/v1/notifications?limit=50")
        return [n["text"] for n in (r.json or {}).get("notifications", [])]

    def soon():
        t = [x for x in texts() if "sắp đến hạn" in x]
        return t if len(t) >= 2 else None
    got = None
    for _ in range(40):
        got = soon()
        if got:
            break
        time.sleep(0.25)
    C.check(got is not None and any("Thông báo sự cố" in x for x in got) and
            any("Báo cáo ban đầu" in x for x in got),
            "[sqlite] reports due within 24 h warn the unit's analyst", texts())
    time.sleep(2.5)
    C.check(len([x for x in texts() if "sắp đến hạn" in x]) == 2,
            "[sqlite] …once, not at every check", texts())
    sql_sqlite(env.db_url, "UPDATE incidents SET detected_ms = %d WHERE id = %d"
               % (now - 6 * day, inc))
    over = None
    for _ in range(40):
        over = [x for x in texts() if "quá hạn" in x]
        if len(over) >= 2:
            break
        time.sleep(0.25)
    C.check(len(over) == 2, "[sqlite] overdue reports warn again, as overdue", texts())


def tamper_sqlite(env, admin):
    sql_sqlite(env.db_url, "UPDATE audit SET detail = '{\"changed\":1}' WHERE id = 3")
    r = admin.get("/api/v1/audit/verify")
    C.check(r.status == 200 and not r.json["intact"] and r.json["first_broken"] == 3,
            "[sqlite] an edited audit entry breaks the chain at that entry", r)


def main():
    if not os.access(VIGILD, os.X_OK):
        print("vigild is not built at " + VIGILD)
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="vigil-api-")
    os.chmod(tmp, 0o755)  # the postgres user must reach its data folder
    notes = []
    try:
        env = VigildEnv(os.path.join(tmp, "sqlite")).start()
        try:
            admin = suite(env, "sqlite")
            deadline_warnings(env, admin)
            tamper_sqlite(env, admin)
        finally:
            env.stop()
        pg = Postgres(os.path.join(tmp, "pgwork"))
        if pg.start():
            try:
                env = VigildEnv(os.path.join(tmp, "pg"), pg.url).start()
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
