"""tests/server/sse_client.py - a small client of vigild's block stream for tests.

SSE(base, token, last_id=None, query="") opens GET /api/v1/stream/blocks on a
raw socket (so the test sees exactly what vigild sends: status, headers,
chunked framing), and .event(timeout) returns the next event as a dict
{"event", "data", "id"} ("data" parsed as JSON when it is JSON), or None on
timeout; comments (keep-alives) are counted in .comments. Also milter_status()
for a vigil-milter's control socket, and MilterProc, a vigil-milter started
without Postfix (its block list is what these tests look at).
"""
import json
import os
import socket
import subprocess
import time
import urllib.parse


class SSE:
    def __init__(self, base, token=None, last_id=None, query="", headers=None):
        u = urllib.parse.urlparse(base)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=10)
        lines = ["GET /api/v1/stream/blocks%s HTTP/1.1" % (("?" + query) if query else ""),
                 "Host: %s:%d" % (u.hostname, u.port), "Accept: text/event-stream"]
        if token:
            lines.append("Authorization: Bearer " + token)
        if last_id is not None:
            lines.append("Last-Event-ID: %s" % last_id)
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""
        self.body = b""
        self.status = None
        self.headers = {}
        self.comments = 0
        self.closed = False
        self.error_body = None
        self._head()

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            d = b""
        if not d:
            self.closed = True
            return False
        self.raw += d
        return True

    def _head(self):
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in self.raw:
            if not self._recv(deadline):
                raise RuntimeError("no HTTP answer: %r" % self.raw[:200])
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        if self.status != 200:
            # a plain answer (vigild sends its length): read it whole
            want = int(self.headers.get("content-length", "0") or 0)
            end = time.monotonic() + 5
            while len(self.raw) < want and self._recv(end):
                pass
            self.error_body = self.raw

    def _dechunk(self):
        """moves whole chunks from raw to body; False when it needs more bytes"""
        moved = False
        while True:
            i = self.raw.find(b"\r\n")
            if i < 0:
                return moved
            size = int(self.raw[:i].split(b";")[0], 16)
            if size == 0:
                self.closed = True
                return moved
            if len(self.raw) < i + 2 + size + 2:
                return moved
            self.body += self.raw[i + 2:i + 2 + size]
            self.raw = self.raw[i + 2 + size + 2:]
            moved = True

    def event(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            self._dechunk()
            # one event: lines up to a blank line (vigild ends lines with \n)
            while b"\n\n" in self.body:
                block, self.body = self.body.split(b"\n\n", 1)
                ev = {"event": "message", "data": None, "id": None}
                data = []
                for line in block.decode("utf-8").split("\n"):
                    if line.startswith(":"):
                        self.comments += 1
                        continue
                    k, _, v = line.partition(":")
                    v = v[1:] if v.startswith(" ") else v
                    if k == "event":
                        ev["event"] = v
                    elif k == "data":
                        data.append(v)
                    elif k == "id":
                        ev["id"] = v
                if not data:
                    continue
                text = "\n".join(data)
                try:
                    ev["data"] = json.loads(text)
                except ValueError:
                    ev["data"] = text
                return ev
            if self.closed or not self._recv(deadline):
                return None

    def events(self, n, timeout=5.0):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            e = self.event(max(0.01, deadline - time.monotonic()))
            if e is None:
                break
            out.append(e)
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def milter_status(control_socket):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(control_socket)
    s.sendall(b"status\n")
    d = b""
    while True:
        x = s.recv(65536)
        if not x:
            break
        d += x
    s.close()
    return json.loads(d)


class MilterProc:
    """vigil-milter with [vigild] set, in its own folder, without Postfix."""

    def __init__(self, build, top, folder, url, name):
        self.dir = folder
        self.bin = os.path.join(build, "src", "vigil-milter")
        os.makedirs(folder, exist_ok=True)
        self.conf = os.path.join(folder, "milter.conf")
        self.token_file = os.path.join(folder, "token")
        self.state_file = os.path.join(folder, "blocks.json")
        self.control = os.path.join(folder, "control.sock")
        self.log = os.path.join(folder, "milter.log")
        with open(self.conf, "w") as f:
            f.write("[milter]\nsocket = unix:%(d)s/milter.sock\nworkers = 1\n"
                    "spool_dir = %(d)s/spool\nquarantine_dir = %(d)s/quarantine\n"
                    "journal_dir = %(d)s/journal\nrun_dir = %(d)s/run\n"
                    "db = sqlite:%(d)s/vigil.db\ncontrol_socket = %(d)s/control.sock\n"
                    "metrics =\nlog = %(d)s/milter.log\ngateway = %(n)s\n"
                    "[engine]\nrules = %(t)s/rules/default\n"
                    "[vigild]\nurl = %(u)s\ntoken_file = %(d)s/token\n"
                    "state_file = %(d)s/blocks.json\n"
                    % {"d": folder, "n": name, "t": top, "u": url})
        self.proc = None

    def start(self, wait_connected=True):
        self.proc = subprocess.Popen([self.bin, "--config", self.conf],
                                     stdout=open(os.path.join(self.dir, "out.log"), "ab"),
                                     stderr=subprocess.STDOUT)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("vigil-milter exited: " + self.tail())
            try:
                st = milter_status(self.control)
                # "blocks" is null until the subscription has loaded its file
                if st["blocks"] and (not wait_connected or st["blocks"]["connected"]):
                    return st
            except (OSError, ValueError, KeyError, TypeError):
                pass
            time.sleep(0.1)
        raise RuntimeError("vigil-milter did not connect to vigild: " + self.tail())

    def status(self):
        return milter_status(self.control)

    def tail(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
