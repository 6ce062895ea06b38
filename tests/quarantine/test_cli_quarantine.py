#!/usr/bin/env python3
"""test_cli_quarantine.py - `vigil quarantine` end to end.

The quarantine is prepared by writing files in the format docs/quarantine.md
documents (msg/<id>.eml + msg/<id>.json), as a restore from backup would;
the record is hand-written in the shape of struct store_msg. Releases go
through a fake sendmail (a shell script) that records its argv and stdin and
exits with the code it is told, named in a vigil-milter configuration file
(`sendmail = PATH -C /etc/postfix-test`, an argv without a shell).

Checks: list (order, columns, --json, --lang vi), show (findings with their
object paths and ATT&CK ids, envelope, untrusted text defanged, --raw bytes,
--json), release (confirmation, exact sendmail argv and stdin with a valid
X-Vigil-Release HMAC, the invoking user recorded, refusal of a second release
with exit 1), a failing sendmail (exit 2, message kept, error shown), delete
(the .eml goes, the .json stays), exit codes and messages of every error.
"""
import hashlib
import hmac
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
import vtest  # noqa: E402

C = vtest.Checks("quarantine-cli")

ID1 = "0123456789abcdef0123456789abcdef"
ID2 = "fedcba9876543210fedcba9876543210"
ID3 = "00000000000000000000000000000003"
NOPE = "99999999999999999999999999999999"

MSG1 = (b"Received: from mx.example.org\r\n"
        b"From: =?utf-8?b?UGjDsm5nIFRDQ0I=?= <tccb@example.org>\r\n"
        b"To: a@bhxh.example\r\n"
        b"Subject: Tai lieu\r\n"
        b"\r\n"
        b"Xem tep dinh kem.\r\n\x00\xff binary tail\r\n")
MSG2 = b"From: x@example.org\nSubject: two\n\nbody two\n"
MSG3 = b"From: y@example.org\nSubject: three\n\nbody three\n"

FAKE_SENDMAIL = r"""#!/bin/sh
D='%s'
n=0
while [ -e "$D/call$n.args" ]; do n=$((n+1)); done
: > "$D/call$n.args"
for a in "$@"; do printf '%%s\n' "$a" >> "$D/call$n.args"; done
cat > "$D/call$n.in"
code=0
[ -f "$D/exit" ] && code=$(cat "$D/exit")
[ "$code" = 0 ] || echo 'fake sendmail: queue file write error' >&2
exit "$code"
"""


def record(uid, subject, rcpts):
    return {
        "uid": uid, "gateway": "mx1", "queue_id": "4ABC123", "message_id": "m-%s@example.org" % uid[:6],
        "received_ms": 1700000000000, "direction": "inbound", "env_from": "<sender@example.org>",
        "env_rcpts": rcpts, "hdr_from": ["Phòng TCCB <tccb@example.org>"],
        "hdr_to": ["a@bhxh.example"], "subject": subject, "verdict": "malicious", "score": 95,
        "action": "quarantine",
        "findings": [{"id": "yara.eicar", "severity": "critical", "title": "EICAR test file",
                      "object": "msg/2:tailieu.zip/eicar.com", "attack": "T1566.001,T1204.002",
                      "evidence": "EICAR signature"}],
        "attachments": [{"path": "msg/2:tailieu.zip", "name": "tailieu.zip", "type": "zip",
                         "sha256": "ab" * 32, "size": 200},
                        {"path": "msg/2:tailieu.zip/eicar.com", "name": "eicar.com", "type": "text",
                         "sha256": "cd" * 32, "size": 68}],
        "urls": ["http://evil.example/x"], "domains": ["evil.example"], "size": 123,
        "scan_ms": 1.5, "drill": 0,
    }


def put(qdir, uid, data, rec, ms):
    """Writes one entry in the documented on-disk format."""
    os.makedirs(os.path.join(qdir, "msg"), mode=0o700, exist_ok=True)
    with open(os.path.join(qdir, "msg", uid + ".eml"), "wb") as f:
        f.write(data)
    meta = {"id": uid, "state": "quarantined", "quarantined_ms": ms, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "record": rec,
            "history": [{"ms": ms, "event": "quarantined"}]}
    with open(os.path.join(qdir, "msg", uid + ".json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=2)


def meta(qdir, uid):
    with open(os.path.join(qdir, "msg", uid + ".json"), encoding="utf-8") as f:
        return json.load(f)


def calls(tools):
    n = 0
    while os.path.exists(os.path.join(tools, "call%d.args" % n)):
        n += 1
    return n


def main():
    vtest.need_vigil()
    t = tempfile.mkdtemp(prefix="vigil-qcli-")
    try:
        run_all(t)
    finally:
        shutil.rmtree(t, ignore_errors=True)
    C.finish()


def run_all(t):
    qdir = os.path.join(t, "quarantine")
    tools = os.path.join(t, "tools")
    os.makedirs(qdir)
    os.makedirs(tools)
    sendmail = os.path.join(tools, "sendmail")
    with open(sendmail, "w") as f:
        f.write(FAKE_SENDMAIL % tools)
    os.chmod(sendmail, 0o755)
    conf = os.path.join(t, "milter.conf")
    with open(conf, "w") as f:
        f.write("# vigil-milter configuration (docs/milter.md)\n[milter]\n"
                "quarantine_dir = %s\nsendmail = %s  -C /etc/postfix-test\n"
                "[engine]\nlimit.time_ms = 30000\n" % (qdir, sendmail))

    env = {k: v for k, v in os.environ.items()
           if k not in ("VIGIL_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "SUDO_USER")}
    env["TZ"] = "UTC"
    me = pwd.getpwuid(os.getuid()).pw_name

    def q(*args, **kw):
        return vtest.run(["quarantine"] + list(args), env=kw.get("env", env),
                         stdin=kw.get("stdin"))

    # a subject with a terminal escape (sets the window title) and a
    # right-to-left override: neither may reach the analyst's terminal
    evil_subject = "Tài liệu \x1b]0;pwned\x07 gnp.\u202eexe"
    put(qdir, ID3, MSG3, record(ID3, "three", ["c@bhxh.example"]), 1700000001000)
    put(qdir, ID1, MSG1, record(ID1, evil_subject, ["a@bhxh.example", "<b@bhxh.example>"]),
        1700000002000)
    put(qdir, ID2, MSG2, record(ID2, "two", ["d@bhxh.example"]), 1700000003000)

    # ------------------------------------------------------------- list
    r = q("--dir", qdir, "list")
    lines = r.out.splitlines()
    order = [ln.split()[0] for ln in lines[1:4]] if len(lines) >= 5 else []
    C.check(r.rc == 0 and order == [ID2, ID1, ID3],
            "list: exit 0, newest first", "exit %d\n%s%s" % (r.rc, r.out, r.err))
    C.check(lines and lines[0].startswith("ID") and "STATE" in lines[0] and
            lines[-1] == "3 messages", "list: a header line and a count", r.out)
    row1 = next((ln for ln in lines if ln.startswith(ID1)), "")
    C.check("quarantined" in row1 and "2023-11-14 22:13" in row1 and "malicious" in row1 and
            "Phòng TCCB" in row1, "list: state, time (TZ), verdict and sender on the row", row1)
    C.check("\x1b" not in r.out and "\u202e" not in r.out and "Tài liệu ?]0;pwned? gnp.?exe" in row1,
            "list: escape and bidi override in a subject are replaced by '?'", repr(row1))

    r = q("--config", conf, "list", "--json")
    objs = r.json_lines()
    C.check(r.rc == 0 and [o.get("id") for o in objs] == [ID2, ID1, ID3] and
            all(o.get("state") == "quarantined" for o in objs) and
            objs[1]["record"]["subject"] == evil_subject,
            "list --json (config file): one metadata object a line, newest first",
            "exit %d\n%s%s" % (r.rc, r.out, r.err))

    r = q("--dir", qdir, "list", "--lang", "vi")
    C.check(r.rc == 0 and "TRẠNG THÁI" in r.out and "đang cách ly" in r.out and
            "độc hại" in r.out and r.out.splitlines()[-1] == "3 thư",
            "list --lang vi: Vietnamese columns, states and count", r.out)
    r = q("--dir", qdir, "list", env=dict(env, VIGIL_LANG="vi"))
    C.check("TRẠNG THÁI" in r.out, "list: VIGIL_LANG=vi is Vietnamese too", r.out)

    # ------------------------------------------------------------- show
    r = q("--dir", qdir, "show", ID1)
    o = r.out
    C.check(r.rc == 0 and o.startswith("Message " + ID1), "show: exit 0, the id first",
            "exit %d\n%s%s" % (r.rc, o, r.err))
    C.check("[critical] msg/2:tailieu.zip/eicar.com: EICAR test file" in o and
            "yara.eicar  ATT&CK T1566.001, T1204.002  — EICAR signature" in o,
            "show: the finding with its object path, id, ATT&CK ids and evidence", o)
    C.check("sender@example.org" in o and "a@bhxh.example, <b@bhxh.example>" in o and
            "mx1, queue id 4ABC123" in o, "show: envelope sender, recipients, gateway and queue id",
            o)
    C.check("malicious, score 95, action quarantine" in o and "2023-11-14 22:13:22 +0000" in o,
            "show: verdict, score, action and the time quarantined", o)
    C.check("msg/2:tailieu.zip/eicar.com  text  68" in o and "http://evil.example/x" in o,
            "show: the objects and URLs of the record", o)
    C.check("%d bytes, SHA-256 %s" % (len(MSG1), hashlib.sha256(MSG1).hexdigest()) in o,
            "show: size and digest of the stored bytes", o)
    C.check("\x1b" not in o and "\u202e" not in o, "show: no escape or bidi override printed",
            repr(o))
    C.check("put in the quarantine" in o, "show: the history", o)

    r = q("--dir", qdir, "show", ID1, "--lang", "vi")
    C.check(r.rc == 0 and "Trạng thái:" in r.out and "Phát hiện (1):" in r.out and
            "Người nhận (phong bì):" in r.out and "đưa vào khu cách ly" in r.out,
            "show --lang vi: Vietnamese labels", r.out)

    p = subprocess.run([vtest.VIGIL, "quarantine", "--dir", qdir, "show", ID1, "--raw"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    C.check(p.returncode == 0 and p.stdout == MSG1, "show --raw: exactly the stored bytes",
            "exit %d, %d bytes, %r" % (p.returncode, len(p.stdout), p.stderr))

    r = q("--dir", qdir, "show", ID1, "--json")
    try:
        j = json.loads(r.out)
    except ValueError:
        j = {}
    C.check(r.rc == 0 and j.get("id") == ID1 and j.get("record", {}).get("subject") == evil_subject,
            "show --json: the metadata", r.out[:300])

    r = q("--dir", qdir, "show", NOPE)
    C.check(r.rc == 1 and "no such message in the quarantine" in r.err and "list" in r.err,
            "show of an unknown id: exit 1, says to look at list", "exit %d %r" % (r.rc, r.err))
    for bad in ("../x", ID1.upper(), ID1[:31], ID1 + "0"):
        r = q("--dir", qdir, "show", bad)
        C.check(r.rc == 2 and "not a quarantine id" in r.err,
                "show %r: exit 2, not a quarantine id" % bad, "exit %d %r" % (r.rc, r.err))
    r = q("--dir", qdir, "show", "../x", "--lang", "vi")
    C.check(r.rc == 2 and "không phải mã cách ly" in r.err, "a bad id in Vietnamese", r.err)

    # ---------------------------------------------------------- release
    r = q("--config", conf, "release", ID1)
    C.check(r.rc == 2 and "--yes" in r.err and calls(tools) == 0,
            "release without --yes and without a terminal: exit 2, asks for --yes, sends nothing",
            "exit %d %r" % (r.rc, r.err))

    r = q("--config", conf, "release", ID1, "--yes")
    C.check(r.rc == 0 and r.out.strip() == "%s: released to a@bhxh.example, <b@bhxh.example>" % ID1,
            "release: exit 0 and says to whom", "exit %d\n%s%s" % (r.rc, r.out, r.err))
    C.check(calls(tools) == 1, "release: sendmail ran once", str(calls(tools)))
    if calls(tools) >= 1:
        with open(os.path.join(tools, "call0.args")) as f:
            args = f.read().splitlines()
        C.check(args == ["-C", "/etc/postfix-test", "-G", "-i", "-f", "sender@example.org", "--",
                         "a@bhxh.example", "b@bhxh.example"],
                "release: argv = configured prefix + -G -i -f FROM -- RCPT...", repr(args))
        with open(os.path.join(tools, "call0.in"), "rb") as f:
            data = f.read()
        with open(os.path.join(qdir, "release.key"), "rb") as f:
            key = f.read()
        mode = os.stat(os.path.join(qdir, "release.key")).st_mode & 0o777
        mac = hmac.new(key, ID1.encode(), hashlib.sha256).hexdigest()
        want = ("X-Vigil-Release: %s %s\r\n" % (ID1, mac)).encode() + MSG1
        C.check(len(key) == 32 and mode == 0o600, "release: release.key is 32 bytes, mode 0600",
                "%d bytes, mode %o" % (len(key), mode))
        C.check(data == want, "release: stdin = X-Vigil-Release header (HMAC-SHA256 of the id) "
                "+ the exact stored bytes", repr(data[:120]))
    m = meta(qdir, ID1)
    C.check(m.get("state") == "released" and m.get("released_by") == me and
            m.get("released_via") == "sendmail",
            "release: metadata says released, by the invoking user (%s)" % me, json.dumps(m)[:400])

    r = q("--config", conf, "release", ID1, "--yes")
    C.check(r.rc == 1 and "already released" in r.err and calls(tools) == 1,
            "a second release: exit 1, 'already released', sendmail not run",
            "exit %d %r" % (r.rc, r.err))
    r = q("--config", conf, "release", ID1, "--yes", "--lang", "vi")
    C.check(r.rc == 1 and "thư đã được giải phóng" in r.err,
            "a second release in Vietnamese", r.err)
    r = q("--dir", qdir, "show", ID1)
    C.check("Released:" in r.out and ("by " + me) in r.out and "release started" in r.out,
            "show: when and by whom it was released, in the history", r.out)

    # a failing sendmail
    with open(os.path.join(tools, "exit"), "w") as f:
        f.write("75")
    r = q("--config", conf, "release", ID2, "--yes")
    C.check(r.rc == 2 and "sendmail failed" in r.err and "exited with status 75" in r.err and
            "queue file write error" in r.err,
            "release with a failing sendmail: exit 2, the cause shown", "exit %d %r" % (r.rc, r.err))
    C.check(meta(qdir, ID2).get("state") == "quarantined" and
            os.path.exists(os.path.join(qdir, "msg", ID2 + ".eml")),
            "release with a failing sendmail: the message stays quarantined", "")
    r = q("--dir", qdir, "show", ID2)
    C.check("Last error:" in r.out and "status 75" in r.out, "show: the last error", r.out)
    os.unlink(os.path.join(tools, "exit"))

    # a sendmail setting that cannot run
    conf2 = os.path.join(t, "bad-sendmail.conf")
    with open(conf2, "w") as f:
        f.write("[milter]\nquarantine_dir = %s\nsendmail = /nonexistent/sendmail\n" % qdir)
    r = q("--config", conf2, "release", ID2, "--yes")
    C.check(r.rc == 2 and "cannot run /nonexistent/sendmail" in r.err,
            "release with a missing sendmail: exit 2, names it", r.err)

    # ----------------------------------------------------------- delete
    r = q("--dir", qdir, "delete", ID2, "--yes")
    C.check(r.rc == 0 and "deleted; its record is kept" in r.out,
            "delete: exit 0", "exit %d\n%s%s" % (r.rc, r.out, r.err))
    m = meta(qdir, ID2)
    C.check(not os.path.exists(os.path.join(qdir, "msg", ID2 + ".eml")) and
            m.get("state") == "deleted" and m.get("deleted_by") == me and
            m.get("record", {}).get("uid") == ID2,
            "delete: the .eml is gone, the .json says deleted and by whom", json.dumps(m)[:300])
    r = q("--dir", qdir, "delete", ID2, "--yes")
    C.check(r.rc == 1 and "deleted" in r.err, "delete again: exit 1", "exit %d %r" % (r.rc, r.err))
    before = calls(tools)
    r = q("--config", conf, "release", ID2, "--yes")
    C.check(r.rc == 1 and "deleted" in r.err and calls(tools) == before,
            "release of a deleted message: exit 1", "exit %d %r" % (r.rc, r.err))
    r = q("--dir", qdir, "show", ID2, "--raw")
    C.check(r.rc == 1 and "deleted" in r.err, "show --raw of a deleted message: exit 1", r.err)
    r = q("--dir", qdir, "delete", NOPE, "--yes", "--lang", "vi")
    C.check(r.rc == 1 and "không có thư này" in r.err, "delete of an unknown id: exit 1 (vi)",
            r.err)
    r = q("--dir", qdir, "list")
    row2 = next((ln for ln in r.out.splitlines() if ln.startswith(ID2)), "")
    row1 = next((ln for ln in r.out.splitlines() if ln.startswith(ID1)), "")
    C.check("deleted" in row2 and "released" in row1, "list: the states after release and delete",
            r.out)

    # ----------------------------------------------------------- errors
    r = q("--config", os.path.join(t, "nope.conf"), "list")
    C.check(r.rc == 2 and "cannot read the configuration" in r.err and "nope.conf" in r.err,
            "a missing config file: exit 2, named", r.err)
    r = q("--dir", os.path.join(t, "nope"), "list")
    C.check(r.rc == 2 and "no quarantine there" in r.err, "a missing quarantine: exit 2", r.err)
    if not os.path.exists("/etc/vigil/milter.conf"):
        r = q("list")
        C.check(r.rc == 2 and "--dir DIR or --config FILE" in r.err,
                "no location and no default config: exit 2, says how to give one", r.err)
    r = q("--dir", qdir, "frob")
    C.check(r.rc == 2 and "vigil quarantine --help" in r.err, "an unknown subcommand: exit 2",
            r.err)
    r = q("--dir", qdir, "show")
    C.check(r.rc == 2 and "give one message id" in r.err, "show without an id: exit 2", r.err)
    r = q("--help")
    C.check(r.rc == 0 and "release ID" in r.out, "--help: exit 0", r.out)

    with open(os.path.join(qdir, "msg", NOPE + ".json"), "w") as f:
        f.write('{"state": ')
    r = q("--dir", qdir, "list")
    C.check(r.rc == 2 and NOPE + ".json" in r.err and ID1 in r.out and ID3 in r.out,
            "list with damaged metadata: the others listed, the damaged file named, exit 2",
            "exit %d\n%s%s" % (r.rc, r.out, r.err))


if __name__ == "__main__":
    main()
