"""tests/server/vigild_env.py - start vigild (and, when asked, PostgreSQL) for tests.

VigildEnv(tmp, db_url) writes a small organisation and a configuration,
starts build/src/vigild on a free loopback port and knows the first
administrator's password. Postgres(tmp) starts a throw-away PostgreSQL server
the way tests/store/test_store_backends.sh does (runuser postgres when root).
Both stop what they started (stop()); nothing outside tmp is touched.
"""
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

BUILD = os.environ.get("VIGIL_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
VIGILD = os.path.join(BUILD, "src", "vigild")
# the scenario library (docs/scenarios.md): what a drill round's start loads
SCENARIOS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "rules",
                                         "scenarios"))

ORG = {
    "organisation": "Bảo hiểm xã hội Việt Nam",
    "domain": "bhxh.example",
    "regions": [{"id": "national", "name_vi": "Cơ quan Trung ương", "name_en": "Central agency"},
                {"id": "north", "name_vi": "Miền Bắc", "name_en": "North"},
                {"id": "central-highlands", "name_vi": "Miền Trung – Tây Nguyên",
                 "name_en": "Central–Highlands"},
                {"id": "south", "name_vi": "Miền Nam", "name_en": "South"}],
    "units": [
        {"id": "cntt", "name": "Trung tâm Công nghệ thông tin", "short": "Trung tâm CNTT",
         "kind": "central", "region": "national"},
        {"id": "hanoi", "name": "BHXH thành phố Hà Nội", "short": "BHXH Hà Nội",
         "kind": "province", "region": "north"},
        {"id": "haiphong", "name": "BHXH thành phố Hải Phòng", "short": "BHXH Hải Phòng",
         "kind": "province", "region": "north"},
        {"id": "danang", "name": "BHXH thành phố Đà Nẵng", "short": "BHXH Đà Nẵng",
         "kind": "province", "region": "central-highlands"},
        {"id": "hcm", "name": "BHXH Thành phố Hồ Chí Minh", "short": "BHXH TP. HCM",
         "kind": "province", "region": "south"},
    ],
    "staff": [
        {"id": "s1", "name": "Nguyễn Văn An", "email": "an@bhxh.example", "unit": "cntt"},
        {"id": "s2", "name": "Ngô Văn Long", "email": "long@bhxh.example", "unit": "hanoi"},
        {"id": "s3", "name": "Đỗ Thị Mai", "email": "mai@bhxh.example", "unit": "haiphong"},
        {"id": "s4", "name": "Phan Văn Tài", "email": "tai@bhxh.example", "unit": "danang"},
        {"id": "s5", "name": "Lê Thị Hồng", "email": "hong@bhxh.example", "unit": "hcm"},
    ],
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.raw = body
        self.headers = headers
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "%d %s" % (self.status, self.raw[:300])


class Client:
    """One user agent: cookies, the CSRF token, or an API token."""

    def __init__(self, base, token=None):
        self.base = base
        self.token = token
        self.csrf = None
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def req(self, method, path, body=None, raw=None, csrf=True, headers=None):
        data = raw if raw is not None else (
            json.dumps(body).encode("utf-8") if body is not None else None)
        r = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            r.add_header("Content-Type", "application/json")
        if self.token:
            r.add_header("Authorization", "Bearer " + self.token)
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            r.add_header("X-CSRF-Token", self.csrf)
        for k, v in (headers or {}).items():
            r.add_header(k, v)
        try:
            with self.opener.open(r, timeout=30) as resp:
                return Response(resp.status, resp.read(), resp.headers)
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read(), e.headers)

    def login(self, user, password):
        r = self.req("POST", "/api/v1/session", {"username": user, "password": password})
        if r.status == 200:
            self.csrf = r.json["csrf"]
        return r

    def get(self, path):
        return self.req("GET", path)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.req("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)


class VigildEnv:
    def __init__(self, tmp, db_url=None, org=None, sendmail=""):
        self.tmp = tmp
        os.makedirs(tmp, exist_ok=True)
        self.db_url = db_url or "sqlite:" + os.path.join(tmp, "vigil.db")
        self.org_path = os.path.join(tmp, "org.json")
        with open(self.org_path, "w", encoding="utf-8") as f:
            json.dump(org or ORG, f, ensure_ascii=False)
        self.web = os.path.join(tmp, "web")
        os.makedirs(self.web, exist_ok=True)
        with open(os.path.join(self.web, "index.html"), "w") as f:
            f.write("<!doctype html><title>vigil</title>\n")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(tmp, "vigild.conf")
        with open(self.conf, "w") as f:
            f.write("[server]\nlisten = 127.0.0.1:%d\ndb = %s\norg = %s\nweb_dir = %s\n"
                    "admin_password_file = %s/admin-password\nthreads = 4\nsendmail = %s\n"
                    "mail_from = vigil@bhxh.example\npublic_url = http://vigil.test\n"
                    "[reports]\naddress = Số 7 Tràng Thi, Hoàn Kiếm, Hà Nội\n"
                    "name = Nguyễn Văn An\ntitle = Giám đốc Trung tâm\nphone = 024 0000 0000\n"
                    "email = an@bhxh.example\n"
                    "recipients = Cục An toàn thông tin (VNCERT/CC);Bảo hiểm xã hội Việt Nam\n"
                    "[drills]\nscenarios = %s\n"
                    % (self.port, self.db_url, self.org_path, self.web, tmp, sendmail,
                       SCENARIOS))
        self.proc = None
        self.log = os.path.join(tmp, "vigild.log")

    def start(self):
        env = dict(os.environ, VIGIL_ADMIN_PASSWORD="", VIGIL_WARN_INTERVAL="1")
        self.proc = subprocess.Popen([VIGILD, "-c", self.conf], stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("vigild exited: " + open(self.log).read()[-2000:])
            try:
                with urllib.request.urlopen(self.base + "/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise RuntimeError("vigild did not start: " + open(self.log).read()[-2000:])

    def admin_password(self):
        with open(os.path.join(self.tmp, "admin-password")) as f:
            return f.read().strip()

    def client(self, token=None):
        return Client(self.base, token)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Postgres:
    """A throw-away PostgreSQL server on a free loopback port."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.bin = None
        for d in sorted(os.listdir("/usr/lib/postgresql")) if os.path.isdir(
                "/usr/lib/postgresql") else []:
            b = os.path.join("/usr/lib/postgresql", d, "bin")
            if os.access(os.path.join(b, "initdb"), os.X_OK):
                self.bin = b
        self.as_ = []
        self.started = False
        self.url = None
        self.why = None

    def start(self):
        if self.bin is None:
            self.why = "no PostgreSQL binaries under /usr/lib/postgresql"
            return False
        if os.getuid() == 0:
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                self.why = "running as root and there is no 'postgres' user"
                return False
            self.as_ = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.tmp, "pg", "data")
        sock = os.path.join(self.tmp, "pg", "sock")
        os.makedirs(sock, exist_ok=True)
        os.chmod(self.tmp, 0o755)
        if self.as_:
            subprocess.run(["chown", "-R", "postgres", os.path.join(self.tmp, "pg")], check=True)
        port = free_port()
        self.data = data
        self.opts = "-c listen_addresses=127.0.0.1 -p %d -k %s" % (port, sock)
        r = subprocess.run(self.as_ + [os.path.join(self.bin, "initdb"), "-D", data, "-A",
                                       "trust", "-U", "vigil", "-E", "UTF8",
                                       "--locale=C.UTF-8"], capture_output=True)
        if r.returncode != 0:
            self.why = "initdb failed: " + r.stderr.decode()[-500:]
            return False
        r = subprocess.run(self.as_ + [os.path.join(self.bin, "pg_ctl"), "-D", data, "-l",
                                       os.path.join(self.tmp, "pg", "log"), "-o", self.opts,
                                       "-w", "-t", "60", "start"], capture_output=True)
        if r.returncode != 0:
            self.why = "pg_ctl start failed"
            return False
        self.started = True
        subprocess.run(self.as_ + [os.path.join(self.bin, "createdb"), "-h", "127.0.0.1", "-p",
                                   str(port), "-U", "vigil", "vigil_test"], check=True)
        self.url = "postgresql://vigil@127.0.0.1:%d/vigil_test?connect_timeout=3" % port
        return True

    def stop(self):
        if self.started:
            subprocess.run(self.as_ + [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m",
                                       "immediate", "-w", "stop"], capture_output=True)
            self.started = False


def cleanup(path):
    shutil.rmtree(path, ignore_errors=True)


def sql_sqlite(db_url, sql):
    """Runs SQL on the SQLite store directly (tests that tamper with it)."""
    import sqlite3
    path = re.sub(r"^sqlite:", "", db_url)
    con = sqlite3.connect(path)
    con.execute(sql)
    con.commit()
    con.close()
