#!/usr/bin/env python3
"""tests/agent/test_agent.py - endpoint sweeps with real vigil-agents against a real vigild.

Several vigil-agent processes run on this machine, each with its own host
name, state folder and simulated file tree under a temporary folder. The
"spyware" is a generated zip holding a PE-like executable; it is planted
under its own name, as a renamed copy, extracted, and as a different file
that only shares its name, next to decoys the agents must not report (a copy
outside the swept folders, a symlink to it, a look-alike name).

On SQLite and PostgreSQL: enrolment (one-time tokens, the organisation's
endpoint and unit), a sweep with the incident's indicators; every agent
reports exactly the planted files (by hash, inner object and name) and the
incident shows infected / clean / not reached per endpoint and unit; an
agent killed (SIGKILL) after it took the job and an endpoint without agent
are "not reached" once the deadline passed, never clean; a quarantine order
moves the file into the agent's quarantine (meta.json beside it) and comes
back in the incident; the timeline and the audit log have it all. Access: a
provincial analyst sweeps and sees only their unit's endpoints; forged,
revoked and reused credentials and tokens are refused.

On SQLite also the offline queue: vigild stops while an agent sweeps (the
result waits in its outbox and is sent when vigild is back), and an agent
started while vigild is down reports once it is back.
"""
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "engine"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
import vtest  # noqa: E402
from vigild_env import BUILD, ORG, VIGILD, Postgres, VigildEnv, cleanup  # noqa: E402

AGENT = os.path.join(BUILD, "src", "vigil-agent")
C = vtest.Checks("agent")
PW = "mật-khẩu-đủ-dài-1"

# the spyware: a PE-like program inside the zip that was mailed
EXE = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + hashlib.sha256(b"vigil-test-spy").digest() * 64
_buf = io.BytesIO()
with zipfile.ZipFile(_buf, "w", zipfile.ZIP_DEFLATED) as _z:
    _z.writestr("ThongBao_BHXH.exe", EXE)
SPY = _buf.getvalue()
SHA_SPY = hashlib.sha256(SPY).hexdigest()
SHA_EXE = hashlib.sha256(EXE).hexdigest()
NAME = "CongVan_2026.zip"

ENDPOINTS = [
    {"host": "pc-hn-01", "owner": "s2", "unit": "hanoi", "os": "Debian 12"},
    {"host": "pc-hn-02", "unit": "hanoi"},
    {"host": "pc-hn-03", "unit": "hanoi"},
    {"host": "pc-hn-04", "unit": "hanoi"},
    {"host": "pc-dn-01", "owner": "s4", "unit": "danang"},
    {"host": "pc-dn-02", "unit": "danang"},
    {"host": "pc-hp-01", "owner": "s3", "unit": "haiphong"},
    {"host": "pc-hp-02", "unit": "haiphong"},
    {"host": "pc-hp-03", "unit": "haiphong"},
]


def org():
    o = dict(ORG)
    o["endpoints"] = ENDPOINTS
    return o


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# sanitizer builds run several times slower: every wait and deadline stretches
SLOW = 4 if os.environ.get("VIGIL_SANITIZED") else 1


def wait_for(fn, timeout, step=0.2):
    end = time.time() + timeout * SLOW
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(step)


class Agent:
    """One vigil-agent with its own tree, state folder and configuration."""

    def __init__(self, tmp, host, base, cpu=100, extra=""):
        self.host = host
        self.dir = os.path.join(tmp, host)
        self.tree = os.path.join(self.dir, "tree")
        self.state = os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "agent.log")
        self.conf = os.path.join(self.dir, "agent.conf")
        self.proc = None
        os.makedirs(self.tree, exist_ok=True)
        roots = ";".join(self.tree + p for p in (
            "/home/*/Downloads", "/home/*/Documents", "/home/*/Tải xuống", "/tmp"))
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("[agent]\nserver = %s\nstate_dir = %s\nhost = %s\ninterval = 1\n"
                    "retry_max = 2\ncpu_percent = %d\npaths = %s\n%s%s"
                    % (base, self.state, host, cpu, roots, extra,
                       # AddressSanitizer reserves terabytes of address space:
                       # no RLIMIT_AS for the sanitized scanner process
                       "scan_memory = 0\n" if os.environ.get("VIGIL_SANITIZED") else ""))
        # every tree has ordinary files
        for i in range(5):
            write(os.path.join(self.tree, "home/user/Documents/note%d.txt" % i),
                  ("ghi chú %d\n" % i).encode())
        write(os.path.join(self.tree, "home/user/Downloads/hoadon.pdf"), b"%PDF-1.4\n%%EOF\n")

    def plant(self, rel, data):
        p = os.path.join(self.tree, rel)
        write(p, data)
        return p

    def enrol(self, token):
        return subprocess.run([AGENT, "-c", self.conf, "--enrol", token], capture_output=True,
                              text=True, timeout=30)

    def start(self):
        self.proc = subprocess.Popen([AGENT, "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "ab"))
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def logtext(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def outbox(self):
        d = os.path.join(self.state, "outbox")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []


def sweep_of(client, inc, sid):
    r = client.get("/api/v1/incidents/%d/sweeps" % inc)
    if r.status != 200:
        return None
    for s in r.json["sweeps"]:
        if s["id"] == sid:
            return s
    return None


def endpoint(s, host):
    for e in (s or {}).get("endpoints", []):
        if e["host"] == host:
            return e
    return None


def suite(env, tmp, store):
    p = "[%s] " % store
    admin = env.client()
    C.check(admin.login("admin", env.admin_password()).status == 200, p + "admin signs in")
    for name, role, unit in (("pa_hn", "provincial_analyst", "hanoi"),
                             ("pa_dn", "provincial_analyst", "danang"),
                             ("central", "central_analyst", None)):
        body = {"username": name, "display_name": name, "role": role, "password": PW}
        if unit:
            body["unit"] = unit
        admin.post("/api/v1/users", body)
    pa_hn, pa_dn, central = env.client(), env.client(), env.client()
    pa_hn.login("pa_hn", PW)
    pa_dn.login("pa_dn", PW)
    central.login("central", PW)

    # ---- enrolment ----
    r = pa_hn.post("/api/v1/agents/enrol-tokens", {"unit": "hanoi"})
    C.check(r.status == 403, p + "a provincial analyst may not make enrolment tokens", r)
    r = central.post("/api/v1/agents/enrol-tokens", {"unit": "nowhere"})
    C.check(r.status == 400, p + "an enrolment token for an unknown unit is refused", r)

    hosts = ["pc-hn-01", "pc-hn-02", "pc-hn-03", "pc-dn-01", "pc-dn-02", "pc-hp-01"]
    agents = {}
    for h in hosts:
        cpu = 1 if h == "pc-hn-03" else 100  # the one to be killed sweeps slowly
        agents[h] = Agent(tmp, h, env.base, cpu=cpu)
    tok = central.post("/api/v1/agents/enrol-tokens", {}).json["token"]
    r = agents["pc-hn-01"].enrol(tok)
    C.check(r.returncode == 0 and "unit hanoi" in r.stdout,
            p + "vigil-agent --enrol: the organisation's endpoint gets its unit", r.stdout + r.stderr)
    cred_file = os.path.join(agents["pc-hn-01"].state, "credential")
    C.check(os.path.exists(cred_file) and (os.stat(cred_file).st_mode & 0o777) == 0o600,
            p + "the credential file is mode 0600", oct(os.stat(cred_file).st_mode))
    r = agents["pc-hn-02"].enrol(tok)
    C.check(r.returncode != 0 and "already used" in r.stderr,
            p + "an enrolment token works once", r.stdout + r.stderr)
    r = env.client().post("/api/v1/agents/enrol", {"token": "vge_forged", "host": "pc-hn-02"})
    C.check(r.status == 401, p + "a forged enrolment token is refused", r)
    bound = admin.post("/api/v1/agents/enrol-tokens", {"host": "pc-dn-01"}).json["token"]
    r = agents["pc-dn-02"].enrol(bound)
    C.check(r.returncode != 0 and "another host" in r.stderr,
            p + "a token made for one host cannot enrol another", r.stderr)
    r = env.client().post("/api/v1/agents/enrol", {"token": bound, "host": "pc-dn-01/../x"})
    C.check(r.status == 400, p + "a host name with '/' is refused", r)
    r = agents["pc-dn-01"].enrol(bound)
    C.check(r.returncode == 0 and "unit danang" in r.stdout, p + "…and enrols its own host",
            r.stdout + r.stderr)
    for h in ("pc-hn-02", "pc-hn-03", "pc-dn-02", "pc-hp-01"):
        t = admin.post("/api/v1/agents/enrol-tokens", {"unit": "hanoi"}).json["token"]
        r = agents[h].enrol(t)
        C.check(r.returncode == 0, p + "%s enrols" % h, r.stdout + r.stderr)
    r = env.client().post("/api/v1/agents/enrol",
                          {"token": admin.post("/api/v1/agents/enrol-tokens", {}).json["token"],
                           "host": "stranger-pc"})
    C.check(r.status == 400, p + "a host the organisation does not list needs a token with a unit",
            r)

    r = admin.get("/api/v1/agents")
    got = {a["host"]: a for a in r.json["agents"]}
    C.check(r.status == 200 and set(got) == set(hosts) and got["pc-dn-02"]["unit"] == "danang"
            and got["pc-hn-01"]["owner"] == "s2" and got["pc-hp-01"]["unit"] == "haiphong",
            p + "enrolled agents are listed with the organisation's unit and owner "
            "(not the token's)", r)
    r = pa_hn.get("/api/v1/agents")
    C.check(r.status == 200 and {a["host"] for a in r.json["agents"]} ==
            {"pc-hn-01", "pc-hn-02", "pc-hn-03"},
            p + "a provincial analyst lists only their unit's agents", r)

    # ---- the trees ----
    A = agents
    A["pc-hn-01"].plant("home/long/Downloads/" + NAME, SPY)                  # as mailed
    A["pc-hn-02"].plant("home/user/Music/" + NAME, SPY)                      # outside the roots
    os.symlink(os.path.join(A["pc-hn-02"].tree, "home/user/Music", NAME),
               os.path.join(A["pc-hn-02"].tree, "home/user/Downloads/link.zip"))
    os.symlink(os.path.join(A["pc-hn-02"].tree, "home/user/Music"),
               os.path.join(A["pc-hn-02"].tree, "home/user/Downloads/music"))
    A["pc-hn-02"].plant("home/user/Downloads/" + NAME + ".txt", b"not it")    # look-alike name
    A["pc-hn-02"].plant("home/.hidden/Downloads/" + NAME, SPY)               # '*' skips dot names
    A["pc-dn-01"].plant("home/tai/Documents/baocao_quy3.pdf.zip", SPY)        # renamed copy
    A["pc-dn-02"].plant("home/user/Downloads/" + NAME.lower(), b"other bytes")  # the name only
    A["pc-hp-01"].plant("home/mai/Tải xuống/setup.exe", EXE)                 # extracted
    for i in range(600):
        A["pc-hn-03"].plant("home/user/Documents/bulk/f%03d.txt" % i, b"x" * 64)
    A["pc-hn-03"].plant("home/user/Documents/bulk/zz.zip", SPY)
    expected = {
        "pc-hn-01": {os.path.join(A["pc-hn-01"].tree, "home/long/Downloads/" + NAME)},
        "pc-hn-02": set(),
        "pc-dn-01": {os.path.join(A["pc-dn-01"].tree, "home/tai/Documents/baocao_quy3.pdf.zip")},
        "pc-dn-02": {os.path.join(A["pc-dn-02"].tree, "home/user/Downloads/" + NAME.lower())},
        "pc-hp-01": {os.path.join(A["pc-hp-01"].tree, "home/mai/Tải xuống/setup.exe")},
    }

    # ---- the incident and its sweep ----
    inc = admin.post("/api/v1/incidents", {"title": "Gián điệp qua thư công văn",
                                           "units": ["hanoi", "danang", "haiphong"]}).json["id"]
    for t, v in (("sha256", SHA_SPY), ("sha256", SHA_EXE), ("filename", NAME),
                 ("domain", "evil.example")):
        admin.post("/api/v1/incidents/%d/indicators" % inc, {"type": t, "value": v})
    r = pa_hn.post("/api/v1/incidents/%d/sweeps" % inc, {"units": ["danang"]})
    C.check(r.status == 403, p + "a provincial analyst cannot sweep another unit's endpoints", r)
    r = pa_hn.post("/api/v1/incidents/%d/sweeps" % inc, {"rules": "rule broken {"})
    C.check(r.status == 400 and "YARA" in r.json["error"]["message"],
            p + "YARA rules that do not compile are refused before any endpoint gets them", r)
    r = pa_hn.post("/api/v1/incidents/%d/sweeps" % inc,
                   {"indicators": [{"type": "sha256", "value": "12"}]})
    C.check(r.status == 400, p + "a malformed indicator is refused", r)
    r = pa_hn.post("/api/v1/incidents/%d/sweeps" % inc, {"deadline_seconds": 3600})
    C.check(r.status == 201 and r.json["units"] == ["hanoi"] and r.json["targets"] == 4 and
            r.json["indicators"] == 3,
            p + "a provincial analyst's sweep covers their unit only (4 endpoints) with the "
            "incident's hash and name indicators", r)
    hn_only = r.json["id"] if r.status == 201 else 0

    r = admin.post("/api/v1/incidents/%d/sweeps" % inc, {"deadline_seconds": 12 * SLOW})
    C.check(r.status == 201 and r.json["targets"] == 9 and
            r.json["units"] == ["danang", "haiphong", "hanoi"],
            p + "the administrator's sweep covers the incident's three units (9 endpoints)", r)
    sid = r.json["id"]
    created = time.time()

    # the killed agent first: it takes the job, then dies before it reports
    A["pc-hn-03"].start()
    got = wait_for(lambda: (endpoint(sweep_of(admin, inc, sid), "pc-hn-03") or {}).get("reason")
                   == "delivered", 10, 0.05)
    A["pc-hn-03"].kill()
    C.check(got, p + "pc-hn-03 took the job (delivered)")
    for h in ("pc-hn-01", "pc-hn-02", "pc-dn-01", "pc-dn-02", "pc-hp-01"):
        A[h].start()

    def reported():
        s = sweep_of(admin, inc, sid)
        return s if s and s["summary"]["infected"] + s["summary"]["clean"] >= 5 else None
    s = wait_for(reported, 20)
    C.check(s is not None, p + "five agents reported", s and s["summary"])
    for h, want in expected.items():
        e = endpoint(s, h) or {}
        paths = {x["path"] for x in e.get("hits", [])}
        C.check(paths == want and e.get("status") == ("infected" if want else "clean"),
                p + "%s reports exactly the planted file(s): %s" % (h, e.get("status")),
                json.dumps(e, ensure_ascii=False)[:1500])
    e = endpoint(s, "pc-hn-01") or {}
    m = (e.get("hits") or [{}])[0].get("matched", "")
    C.check("sha256:" + SHA_SPY in m and "filename:" + NAME in m and "sha256:" + SHA_EXE in m,
            p + "the mailed zip matched by its hash, its inner program and its name", m)
    e = endpoint(s, "pc-dn-01") or {}
    m = (e.get("hits") or [{}])[0].get("matched", "")
    C.check("sha256:" + SHA_SPY in m and "filename" not in m,
            p + "the renamed copy matched by hash only", m)
    e = endpoint(s, "pc-dn-02") or {}
    m = (e.get("hits") or [{}])[0].get("matched", "")
    C.check(m == "filename:" + NAME.lower(), p + "a different file with the name: name only", m)
    e = endpoint(s, "pc-hp-01") or {}
    C.check((e.get("hits") or [{}])[0].get("sha256") == SHA_EXE and
            e.get("detail", {}).get("complete") is True,
            p + "the extracted program under 'Tải xuống' is found by its hash", e)
    e = endpoint(s, "pc-hn-02") or {}
    C.check(e.get("detail", {}).get("skipped", {}).get("symlinks") == 2 and
            e.get("detail", {}).get("complete") is True,
            p + "symlinks to the spyware outside the roots are counted, not followed", e)
    e3 = endpoint(s, "pc-hn-03") or {}
    C.check(e3.get("status") == "pending", p + "before the deadline the killed agent is pending",
            e3)

    # after the deadline
    time.sleep(max(0.0, created + 12 * SLOW + 0.5 - time.time()))
    s = sweep_of(admin, inc, sid)
    e3, e4 = endpoint(s, "pc-hn-03") or {}, endpoint(s, "pc-hn-04") or {}
    C.check(e3.get("status") == "not_reached" and e3.get("reason") == "no_result",
            p + "the agent killed before it reported is not reached (never clean)", e3)
    C.check(e4.get("status") == "not_reached" and e4.get("reason") == "no_agent",
            p + "the endpoint without an agent is not reached", e4)
    for h in ("pc-hp-02", "pc-hp-03"):
        e = endpoint(s, h) or {}
        C.check(e.get("status") == "not_reached", p + "%s (no agent) is not reached" % h, e)
    us = (s or {}).get("units_summary", {})
    C.check(us.get("hanoi", {}).get("infected") == 1 and us["hanoi"]["clean"] == 1 and
            us["hanoi"]["not_reached"] == 2 and us.get("danang", {}).get("infected") == 2 and
            us.get("haiphong", {}).get("infected") == 1 and us["haiphong"]["not_reached"] == 2 and
            s["summary"]["total"] == 9,
            p + "per unit: hanoi 1 infected, 1 clean, 2 not reached; danang 2 infected; "
            "haiphong 1 infected, 2 not reached", us)
    # the blast radius names the infected endpoints by unit
    b = admin.get("/api/v1/incidents/%d/blast" % inc).json or {}
    inf = {u["unit"]: len(u["endpoints_infected"]) for u in b.get("units", [])}
    C.check(inf.get("hanoi") == 1 and inf.get("danang") == 2 and inf.get("haiphong") == 1 and
            len(b.get("endpoints_infected", [])) == 4,
            p + "blast radius: the infected endpoints by unit", inf)
    r = admin.get("/api/v1/incidents/%d/sweeps?status=not_reached&unit=hanoi" % inc)
    sw = [x for x in r.json["sweeps"] if x["id"] == sid][0]
    C.check({x["host"] for x in sw["endpoints"]} == {"pc-hn-03", "pc-hn-04"} and
            sw["endpoints_total"] == 2, p + "the list filters by status and unit", sw["endpoints"])

    # what a provincial analyst sees of the same sweep
    r = pa_hn.get("/api/v1/incidents/%d/sweeps" % inc)
    sw = [x for x in r.json["sweeps"] if x["id"] == sid][0] if r.status == 200 else {}
    C.check(set(sw.get("units_summary", {})) == {"hanoi"} and
            {x["host"] for x in sw.get("endpoints", [])} ==
            {"pc-hn-01", "pc-hn-02", "pc-hn-03", "pc-hn-04"},
            p + "a provincial analyst sees only their unit's endpoints of a wider sweep",
            sw.get("units_summary"))

    # ---- quarantine ----
    spy_path = next(iter(expected["pc-hn-01"]))
    qurl = "/api/v1/incidents/%d/sweeps/%d/quarantine" % (inc, sid)
    r = pa_dn.post(qurl, {"host": "pc-hn-01", "path": spy_path})
    C.check(r.status == 404, p + "a provincial analyst cannot quarantine on another unit's "
            "endpoint (nor see the incident's hit there)", r)
    r = admin.post(qurl, {"host": "pc-hn-01", "path": "/etc/passwd"})
    C.check(r.status == 404, p + "only a reported hit can be quarantined (/etc/passwd refused)", r)
    r = pa_hn.post(qurl, {"host": "pc-hn-01", "path": spy_path})
    C.check(r.status == 201, p + "the unit's analyst orders the quarantine of the hit", r)
    r2 = pa_hn.post(qurl, {"host": "pc-hn-01", "path": spy_path})
    C.check(r2.status == 200 and r2.json["existing"] and r2.json["order"] == r.json["order"],
            p + "ordering it again answers the same order", r2)

    def quarantined():
        e = endpoint(sweep_of(admin, inc, sid), "pc-hn-01") or {}
        q = (e.get("hits") or [{}])[0].get("quarantine") or {}
        return q if q.get("state") in ("quarantined", "failed") else None
    q = wait_for(quarantined, 15)
    C.check(q and q["state"] == "quarantined" and q["result"]["sha256"] == SHA_SPY,
            p + "the agent quarantined the file at its next check-in and said so", q)
    C.check(not os.path.exists(spy_path), p + "the file is gone from the user's folder")
    stored = (q or {}).get("result", {}).get("quarantined_as") or ""
    meta = os.path.join(os.path.dirname(stored), "meta.json")
    ok = False
    if os.path.isfile(stored) and os.path.isfile(meta):
        with open(stored, "rb") as f:
            same = f.read() == SPY
        with open(meta) as f:
            md = json.load(f)
        ok = same and md["path"] == spy_path and md["sha256"] == SHA_SPY and \
            stored.startswith(A["pc-hn-01"].state) and (os.stat(stored).st_mode & 0o777) == 0o400
    C.check(ok, p + "it is in the agent's state quarantine, unchanged, mode 0400, with meta.json",
            stored)

    # ---- timeline and audit ----
    tl = admin.get("/api/v1/incidents/%d" % inc).json["timeline"]
    kinds = [t["kind"] for t in tl]
    infected = [t["text"] for t in tl if t["kind"] == "sweep.infected" and
                ("#%d:" % sid) in t["text"]]
    C.check(kinds.count("sweep") == 2 and len(infected) == 4 and
            "sweep.quarantine" in kinds and "sweep.quarantined" in kinds,
            p + "the timeline has the sweeps, the infected endpoints and the quarantine",
            "\n".join(t["kind"] + " " + t["text"] for t in tl))
    r = admin.get("/api/v1/audit?limit=1000")
    ents = r.json["entries"]
    acts = [x["action"] for x in ents]
    results = [x for x in ents if x["action"] == "sweep.result" and
               x["object"] == "sweep:%d" % sid]
    C.check(acts.count("agent.enrol") == 6 and acts.count("sweep.create") == 2 and
            len(results) == 5 and "sweep.quarantine" in acts and
            "sweep.quarantine_result" in acts and "agent.enrol_token" in acts and
            all(x["actor"].startswith("agent:pc-") for x in results),
            p + "enrolments, sweeps, each agent's result and the quarantine are audited",
            sorted(set(acts)))
    r = admin.get("/api/v1/audit/verify")
    C.check(r.json.get("intact") is True, p + "the audit chain is intact", r)

    # ---- credentials ----
    with open(os.path.join(A["pc-dn-02"].state, "credential")) as f:
        cred = f.read().strip()
    ag = env.client(cred)
    C.check(ag.post("/api/v1/agents/checkin", {}).status == 200, p + "a valid credential checks in")
    r = ag.post("/api/v1/agents/results", {"kind": "sweep", "sweep": hn_only, "complete": True,
                                           "files": 1, "hits": []})
    C.check(r.status == 404, p + "an agent cannot report for a sweep its host is not in", r)
    r = env.client("vga_" + "A" * 43).post("/api/v1/agents/checkin", {})
    C.check(r.status == 401, p + "a forged agent credential is refused", r)
    r = env.client(cred[:-1] + ("A" if cred[-1] != "A" else "B")).post("/api/v1/agents/checkin", {})
    C.check(r.status == 401, p + "a credential one character off is refused", r)
    admin_tok = admin.post("/api/v1/tokens", {"name": "t", "kind": "agent"}).json["token"]
    r = env.client(admin_tok).post("/api/v1/agents/checkin", {})
    C.check(r.status == 401, p + "an API token is no agent credential", r)
    r = ag.get("/api/v1/incidents")
    C.check(r.status == 401, p + "an agent credential opens nothing else", r)
    aid = [a for a in admin.get("/api/v1/agents").json["agents"] if a["host"] == "pc-dn-02"][0]["id"]
    r = pa_dn.delete("/api/v1/agents/%d" % aid)
    C.check(r.status == 403, p + "a provincial analyst cannot revoke an agent", r)
    r = admin.delete("/api/v1/agents/%d" % aid)
    C.check(r.status == 200, p + "the administrator revokes pc-dn-02's agent", r)
    r = ag.post("/api/v1/agents/checkin", {})
    C.check(r.status == 401, p + "a revoked credential is refused", r)
    C.check(wait_for(lambda: "refuses this agent's credential" in A["pc-dn-02"].logtext(), 5),
            p + "the revoked agent logs that it must be enrolled again")
    seen = [a for a in admin.get("/api/v1/agents").json["agents"] if a["host"] == "pc-hn-01"][0]
    C.check(seen["last_seen_at"] is not None and seen["version"] == "0.1.0",
            p + "the agents' last check-in and version are shown", seen)

    for a in A.values():
        a.stop()
    return admin, inc, A


def offline(env, tmp, admin, inc):
    """vigild stops while one agent sweeps and before another starts."""
    p = "[sqlite] "
    slow = Agent(tmp, "pc-hp-02", env.base, cpu=2 * SLOW)
    late = Agent(tmp, "pc-hp-03", env.base)
    for a in (slow, late):
        t = admin.post("/api/v1/agents/enrol-tokens", {}).json["token"]
        C.check(a.enrol(t).returncode == 0, p + "%s enrols" % a.host)
    for i in range(400):
        slow.plant("home/user/Documents/many/f%03d.txt" % i, b"y" * 100)
    slow.plant("home/user/Documents/many/zz-" + NAME, SPY)
    late.plant("home/user/Downloads/" + NAME, SPY)
    # (the first sweep is still open for them too: they report it late)
    r = admin.post("/api/v1/incidents/%d/sweeps" % inc,
                   {"units": ["haiphong"], "deadline_seconds": 600})
    sid = r.json["id"]
    slow.start()
    got = wait_for(lambda: (endpoint(sweep_of(admin, inc, sid), "pc-hp-02") or {}).get("reason")
                   == "delivered", 10, 0.05)
    C.check(got, p + "pc-hp-02 took the job and sweeps slowly (%d%% CPU)" % (2 * SLOW))
    env.stop()
    late.start()  # vigild is down
    queued = wait_for(lambda: ("sweep-%d.json" % sid) in slow.outbox(), 60, 0.2)
    C.check(queued, p + "with vigild down, the finished sweep waits in the agent's outbox",
            slow.outbox())
    C.check("cannot be reached" in late.logtext(),
            p + "the agent started while vigild is down keeps trying", late.logtext()[-500:])
    env.start()

    def both():
        s = sweep_of(admin, inc, sid)
        e2, e3 = endpoint(s, "pc-hp-02") or {}, endpoint(s, "pc-hp-03") or {}
        return (e2, e3) if e2.get("status") == "infected" and e3.get("status") == "infected" \
            else None
    res = wait_for(both, 30)
    # 401 planted + the 6 files every tree has
    C.check(res is not None and res[0]["files"] == 407 and not res[0]["late"],
            p + "when vigild is back the queued result arrives (407 files, infected)",
            res and res[0])
    C.check(res is not None and {h["path"] for h in res[1]["hits"]} ==
            {os.path.join(late.tree, "home/user/Downloads/" + NAME)},
            p + "and the agent started while it was down reports its sweep", res and res[1])
    C.check(wait_for(lambda: slow.outbox() == [], 5), p + "the outbox is empty afterwards",
            slow.outbox())
    slow.stop()
    late.stop()


def main():
    if not os.access(VIGILD, os.X_OK) or not os.access(AGENT, os.X_OK):
        print("vigild or vigil-agent is not built under " + BUILD)
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="vigil-agent-")
    os.chmod(tmp, 0o755)  # postgres and the scanner's user read below it
    notes = []
    try:
        env = VigildEnv(os.path.join(tmp, "sqlite"), org=org()).start()
        try:
            admin, inc, _ = suite(env, os.path.join(tmp, "sqlite-agents"), "sqlite")
            offline(env, os.path.join(tmp, "sqlite-agents"), admin, inc)
        finally:
            env.stop()
        notes.append("sqlite")
        pg = Postgres(os.path.join(tmp, "pgwork"))
        if pg.start():
            try:
                env = VigildEnv(os.path.join(tmp, "pg"), pg.url, org=org()).start()
                try:
                    suite(env, os.path.join(tmp, "pg-agents"), "postgresql")
                finally:
                    env.stop()
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
