#!/usr/bin/env python3
"""test_drill_gateway.py - drill mail through the real gateway.

The local stack (scripts/stack.sh: Postfix -> vigil-milter -> Dovecot) is
started in a temporary folder; its milter has drill_key_file = the stack's
drill key. Scenario messages are built with `vigil drill build` and sent
from "the Internet" with swaks. Asserted:
  - a drill message signed with the right key (the forged-dispatch scenario,
    malicious to the engine) is delivered to the recipient's INBOX, tagged,
    with its X-Vigil-Drill header kept; its message record says drill = 1,
    action tag, and holds every finding the scenario expects;
  - the same message with its signature altered is handled as real mail:
    drill.forged_marker (high) joins the findings, the record says drill = 0,
    and the inbound policy quarantines it (never delivered);
  - the same message with the marker removed is real spyware-looking mail:
    quarantined, drill = 0, its expected findings there, no forged marker;
  - a harmless message carrying a marker from another key is still flagged
    drill.forged_marker (suspicious at least), delivered tagged as the
    policy says, and the forged header does not reach the mailbox;
  - two X-Vigil-Drill headers (one valid) are a forgery too.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import test_mail_stack as tms  # noqa: E402

C = tms.vtest.Checks("drill-gateway")
REF = "2026-E2E-1"
SCEN = "cong-van-macro"


def build(key, to, token, scenario=SCEN):
    res = tms.vtest.run(["drill", "build", scenario, "--key", key, "--round", REF, "--to", to,
                         "--name", "Cán bộ kiểm thử", "--unit", "BHXH tỉnh Thử nghiệm",
                         "--base", "https://vigild.bhxh.example", "--token", token])
    if res.rc != 0:
        raise RuntimeError("drill build: " + res.err)
    return res.out.encode("utf-8")


def record(db, token):
    """(drill, action, verdict, [finding ids]) of the message with this token."""
    con = sqlite3.connect(db, timeout=10)
    try:
        row = con.execute("SELECT id, drill, action, verdict FROM messages WHERE message_id LIKE ?",
                          ("%" + token + "%",)).fetchone()
        if row is None:
            return None
        fids = [r[0] for r in con.execute("SELECT fid FROM findings WHERE msg = ?", (row[0],))]
        sev = {r[0]: r[1] for r in con.execute("SELECT fid, severity FROM findings WHERE msg = ?",
                                               (row[0],))}
        return {"drill": row[1], "action": row[2], "verdict": row[3], "findings": fids,
                "severity": sev}
    finally:
        con.close()


def new_token():
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(alphabet[b % 32] for b in os.urandom(26))


def main():
    tms.vtest.need_vigil()
    if os.getuid() != 0 or shutil.which("postfix") is None or not os.path.exists(tms.MILTER) \
            or shutil.which("swaks") is None:
        print("SKIP: needs root, Postfix, swaks and a built vigil-milter")
        sys.exit(77)
    with open(os.path.join(tms.TOP, "rules", "scenarios", SCEN + ".json"), encoding="utf-8") as f:
        expected = json.load(f)["expected"]
    st = tms.Stack()
    st.env["VIGIL_VIGILD"] = "off"  # the gateway alone: records, mailboxes, quarantine
    signal.signal(signal.SIGALRM, tms.on_signal)
    signal.alarm(tms.BUDGET)
    try:
        rc, out = st.cmd("start")
        if not C.check(rc == 0, "the stack starts", out[-1500:]):
            C.finish()
        key = os.path.join(st.base, "vigil", "drill.key")
        db = os.path.join(st.base, "vigil", "vigil.db")
        C.check(os.path.isfile(key) and os.stat(key).st_mode & 0o777 == 0o600,
                "the stack made its drill key, mode 0600")
        with open(st.milter_conf) as f:
            C.check("drill_key_file = " + key in f.read(), "the milter is configured with it")
        with open(os.path.join(st.base, "org.json"), encoding="utf-8") as f:
            staff = [s["email"] for s in json.load(f)["staff"]]
        rcpt = staff[0]

        # 1. a genuine drill message: delivered, tagged, recorded as drill
        t_ok = new_token()
        raw = build(key, rcpt, t_ok)
        res = st.swaks(rcpt, raw, frm="vanthu@vss-gov.vn")
        C.check(res.code == "250", "signed drill message accepted (%r)" % res)
        got = tms.wait_for(lambda: st.with_token(rcpt, t_ok), 20)
        C.check(got and len(got) == 1, "it reaches the recipient's INBOX once")
        if got:
            marker = tms.hdrs(got[0], "X-Vigil-Drill")
            C.check(len(marker) == 1 and ("t=%s;" % t_ok) in marker[0],
                    "its X-Vigil-Drill header is kept (the report mailbox matches on it)",
                    marker)
            C.check(tms.hdrs(got[0], "X-Vigil-Verdict") == ["malicious"],
                    "it is tagged with the engine's verdict (malicious)",
                    tms.hdrs(got[0], "X-Vigil-Verdict"))
            C.check(b"VIGIL-DRILL-SIMULANT" in b"".join(tms.attachments(got[0]).values()),
                    "the simulant attachment arrives intact")
        r = record(db, t_ok)
        C.check(r is not None and r["drill"] == 1 and r["action"] == "tag",
                "its record says drill = 1, action tag", r)
        missing = [e for e in expected if r is None or e not in r["findings"]]
        C.check(not missing, "its record keeps every expected finding",
                "missing %s; record %s" % (missing, r))
        C.check(r is not None and "drill.forged_marker" not in r["findings"],
                "no forged-marker finding on a genuine marker")
        C.check(not st.quarantined(t_ok), "it is not quarantined")

        # 2. the same message with an altered signature: real mail
        t_bad = new_token()
        raw = build(key, rcpt, t_bad)
        m = re.search(rb"s=([0-9a-f]{32})", raw)
        sig = m.group(1)
        bad_sig = bytes([sig[0] ^ 1]) + sig[1:] if sig[0:1] != b"0" else b"1" + sig[1:]
        raw_bad = raw.replace(b"s=" + sig, b"s=" + bad_sig, 1)
        res = st.swaks(rcpt, raw_bad, frm="vanthu@vss-gov.vn")
        C.check(res.code == "250", "forged drill message answered 250 (quarantined silently)",
                repr(res))
        r = record(db, t_bad)
        C.check(r is not None and r["drill"] == 0 and "drill.forged_marker" in r["findings"] and
                r["severity"].get("drill.forged_marker") == "high",
                "forged signature: drill.forged_marker (high), drill = 0", r)
        C.check(r is not None and r["action"] == "quarantine" and r["verdict"] == "malicious",
                "forged signature: handled as real malicious mail (quarantine)", r)
        C.check(tms.wait_for(lambda: st.quarantined(t_bad), 10),
                "forged signature: the message is in the quarantine")
        C.check(not st.with_token(rcpt, t_bad), "forged signature: never delivered")

        # 3. the marker removed: real spyware-looking mail
        t_none = new_token()
        raw = build(key, rcpt, t_none)
        raw_none = re.sub(rb"(?m)^X-Vigil-Drill: [^\r\n]*\r\n", b"", raw, count=1)
        C.check(b"X-Vigil-Drill" not in raw_none, "test message without the marker")
        res = st.swaks(rcpt, raw_none, frm="vanthu@vss-gov.vn")
        r = record(db, t_none)
        C.check(r is not None and r["drill"] == 0 and r["action"] == "quarantine" and
                "drill.forged_marker" not in r["findings"] and
                all(e in r["findings"] for e in expected),
                "no marker: quarantined as real spyware, expected findings, no forged marker", r)
        C.check(not st.with_token(rcpt, t_none), "no marker: never delivered")

        # 4. a harmless message with a marker signed by another key
        other = os.path.join(tempfile.mkdtemp(dir=st.base), "other.key")
        tms.vtest.run(["drill", "key", other])
        t_other = new_token()
        hdr = tms.vtest.run(["drill", "build", SCEN, "--key", other, "--round", REF, "--to", rcpt,
                             "--token", t_other]).out
        marker = re.search(r"X-Vigil-Drill: ([^\r\n]*)", hdr).group(1)
        plain = tms.msg(t_other, rcpt, tms.ms.text("Lịch họp giao ban tuần sau.\n"),
                        extra=[("X-Vigil-Drill", marker)])
        res = st.swaks(rcpt, plain)
        C.check(res.code == "250", "harmless message with a foreign marker accepted", repr(res))
        r = record(db, t_other) or record_by_subject(db, t_other)
        C.check(r is not None and r["drill"] == 0 and "drill.forged_marker" in r["findings"] and
                r["verdict"] in ("suspicious", "malicious"),
                "foreign key: drill.forged_marker, at least suspicious, drill = 0", r)
        got = tms.wait_for(lambda: st.with_token(rcpt, t_other), 20)
        C.check(got and not tms.hdrs(got[0], "X-Vigil-Drill") and
                tms.hdrs(got[0], "X-Vigil-Verdict") == [r["verdict"] if r else "?"],
                "foreign key: delivered tagged as the policy says, the forged header removed",
                got and tms.hdrs(got[0], "X-Vigil-Drill"))

        # 5. two markers, one of them genuine
        t_two = new_token()
        raw = build(key, rcpt, t_two)
        raw_two = re.sub(rb"(?m)^(X-Vigil-Drill: [^\r\n]*\r\n)", rb"\1\1", raw, count=1)
        st.swaks(rcpt, raw_two, frm="vanthu@vss-gov.vn")
        r = record(db, t_two)
        C.check(r is not None and r["drill"] == 0 and "drill.forged_marker" in r["findings"] and
                r["action"] == "quarantine",
                "two markers: forged, handled as real mail (quarantine)", r)
    finally:
        rc, out = st.cmd("stop")
        C.check(rc == 0, "the stack stops", out[-800:])
        shutil.rmtree(st.base, ignore_errors=True)
    C.finish()


def record_by_subject(db, token):
    con = sqlite3.connect(db, timeout=10)
    try:
        row = con.execute("SELECT message_id FROM messages WHERE subject LIKE ?",
                          ("%" + token + "%",)).fetchone()
    finally:
        con.close()
    return record(db, row[0]) if row and row[0] else None


if __name__ == "__main__":
    main()
