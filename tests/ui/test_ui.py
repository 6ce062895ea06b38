#!/usr/bin/env python3
"""tests/ui/test_ui.py - vigil's web UI in a real headless Chromium.

Starts vigild (SQLite, a small organisation, the repository's web/ folder),
puts an incident and an alert in through the API, then runs tests/ui/ui.mjs
(playwright-core driving /usr/bin/chromium) and asserts on what it saw:
sign-in (and the refusal of a wrong password), the dashboard with its
counts and chart, the incident list, an incident page where a phase change, a
comment (shown as text, not HTML) and an indicator (and the refusal of a bad
one) go through, the switch to English, sign-out, and no console or page
error at any point. Screenshots go to BUILD/test-artifacts/ui/.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import vtest  # noqa: E402
from vigild_env import VIGILD, VigildEnv, cleanup  # noqa: E402

C = vtest.Checks("ui")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BUILD = os.environ.get("VIGIL_BUILD", os.path.join(TOP, "build"))


def npm_ready():
    """playwright-core in tests/ui/node_modules (npm install once; the registry is reachable)."""
    if os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        return True
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=HERE,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    if r.returncode != 0:
        print(r.stdout.decode(errors="replace")[-2000:])
    return r.returncode == 0


def main():
    if not os.access(VIGILD, os.X_OK):
        print("SKIP: vigild is not built")
        sys.exit(77)
    if not os.access(CHROMIUM, os.X_OK) or shutil.which("node") is None:
        print("SKIP: chromium or node missing (scripts/install-deps.sh installs them)")
        sys.exit(77)
    if not C.check(npm_ready(), "playwright-core installed in tests/ui/node_modules"):
        C.finish()
    out = os.path.join(BUILD, "test-artifacts", "ui")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    tmp = tempfile.mkdtemp(prefix="vigil-ui-")
    env = VigildEnv(tmp)
    env.web = os.path.join(TOP, "web")
    with open(env.conf) as f:
        conf = f.read()
    with open(env.conf, "w") as f:
        f.write(conf.replace("web_dir = " + os.path.join(tmp, "web"), "web_dir = " + env.web))
    env.start()
    try:
        admin = env.client()
        admin.login("admin", env.admin_password())
        pw = "giám-sát-viên-2026"
        r = admin.post("/api/v1/users", {"username": "lan", "display_name": "Bùi Thị Lan",
                                         "role": "central_analyst", "password": pw})
        C.check(r.status == 201, "analyst created", r)
        r = admin.post("/api/v1/incidents", {"title": "Công văn giả mạo chứa macro",
                                             "units": ["hanoi", "danang"], "severity": "high"})
        C.check(r.status == 201, "incident created", r)
        inc = r.json["id"]
        admin.post("/api/v1/incidents", {"title": "Diễn tập: bảng lương giả", "units": ["hcm"],
                                         "drill": True})
        started = time.time()
        p = subprocess.run(["node", os.path.join(HERE, "ui.mjs"), env.base, "lan", pw, out,
                            str(inc)], cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=180, env=dict(os.environ, CHROMIUM=CHROMIUM))
        secs = time.time() - started
        try:
            seen = json.loads(p.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            seen = {"error": "no result: " + p.stderr.decode(errors="replace")[-1500:]}
        s = seen.get("steps", {})
        C.check("error" not in seen, "the browser run completed", seen.get("error"))
        C.check(s.get("login_title", "").startswith("vigil — Ứng cứu"),
                "the sign-in page is in Vietnamese by default", s.get("login_title"))
        C.check(s.get("bad_login") == "Sai tên đăng nhập hoặc mật khẩu",
                "a wrong password is refused with a Vietnamese message", s.get("bad_login"))
        C.check(s.get("whoami") == "Bùi Thị Lan · Phân tích viên Trung tâm",
                "signed in: name and role shown", s.get("whoami"))
        C.check(s.get("open_cards") == "2" and s.get("chart_bars") == 14,
                "dashboard: 2 open incidents, a 14-day detection chart",
                (s.get("open_cards"), s.get("chart_bars")))
        C.check(s.get("incident_rows") == 2, "incident list shows both incidents",
                s.get("incident_rows"))
        C.check(s.get("incident_title", "").endswith("Công văn giả mạo chứa macro") and
                s.get("tasks") == 10, "incident page: title and the playbook's 10 tasks",
                (s.get("incident_title"), s.get("tasks")))
        C.check(s.get("status_after") == "Phân loại", "moving to triage shows the new phase",
                s.get("status_after"))
        C.check(s.get("comment_html_escaped") is True,
                "a comment with markup is shown as text, not HTML")
        C.check("64" in (s.get("bad_indicator") or ""),
                "a malformed SHA-256 is refused and the server's reason is shown",
                s.get("bad_indicator"))
        C.check(s.get("report_links") == 3 and s.get("notification_sent") is True and
                (s.get("pdf") or {}).get("head") == "%PDF-",
                "reports: three forms with PDF links, one marked sent, the PDF downloads",
                (s.get("report_links"), s.get("notification_sent"), s.get("pdf")))
        C.check(s.get("nav_vi") == "Sự cố" and s.get("nav_en") == "Incidents" and
                s.get("status_en") == "Triage", "the language switch turns the UI into English",
                (s.get("nav_vi"), s.get("nav_en"), s.get("status_en")))
        C.check(s.get("staff_rows") == 1, "organisation: a staff search finds Ngô Văn Long",
                s.get("staff_rows"))
        C.check(s.get("signed_out") and s.get("session_after_signout") is False,
                "sign-out ends the session", s.get("session_after_signout"))
        # Chromium logs every 4xx answer as a console error: exactly the two
        # refusals the run provokes (wrong password 401, bad indicator 400)
        errs = seen.get("console_errors", [])
        expected = [e for e in errs if "status of 401" in e or "status of 400" in e]
        C.check(len(expected) == 2 and len(errs) == 2 and not seen.get("page_errors"),
                "no console or page errors beyond the two provoked refusals",
                errs + seen.get("page_errors", []))
        shots = [x for x in seen.get("screenshots", []) if os.path.getsize(x) > 10000]
        C.check(len(shots) >= 6, "screenshots saved in %s" % out, seen.get("screenshots"))
        doc = admin.get("/api/v1/incidents/%d" % inc).json
        C.check(doc["status"] == "triage" and any(i["value"] == "bhxh-gov.vn"
                                                  for i in doc["indicators"]),
                "what was done in the browser is in the incident", doc["status"])
    finally:
        env.stop()
        cleanup(tmp)
    C.finish("chromium run %.1f s, screenshots in %s" % (secs if 'secs' in dir() else 0, out))


if __name__ == "__main__":
    main()
