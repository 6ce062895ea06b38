#!/usr/bin/env python3
"""vigil retroscan: the gateway's kept messages against new rules.

A quarantine folder in the documented on-disk format holds three messages the
gateway kept, each with the findings the gateway reported then. A new YARA
rule that matches one of them (a word in its attachment) must be reported for
that message only, with the object it matched; without the new rule nothing
is new; a deleted entry (its .eml gone) is skipped; exit codes say which.
"""
import hashlib
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "engine"))
import vtest  # noqa: E402

C = vtest.Checks("retroscan")


def message(tag, attachment):
    import base64
    b64 = base64.b64encode(attachment).decode()
    return ("From: Doi tac <doitac@doitac.example>\r\nTo: a@bhxh.example\r\n"
            "Subject: Tai lieu %s\r\nMessage-ID: <%s@doitac.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain"
            "\r\n\r\nXem tep.\r\n--B\r\nContent-Type: application/octet-stream; name=tl.bin\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--B--\r\n" % (tag, tag, b64)).encode()


def put(qdir, uid, data, findings, state="quarantined"):
    os.makedirs(os.path.join(qdir, "msg"), mode=0o700, exist_ok=True)
    if data is not None:
        with open(os.path.join(qdir, "msg", uid + ".eml"), "wb") as f:
            f.write(data)
    rec = {"uid": uid, "gateway": "mx1", "received_ms": 1700000000000, "direction": "inbound",
           "env_from": "doitac@doitac.example", "env_rcpts": ["a@bhxh.example"],
           "subject": "Tai lieu %s" % uid[:4], "verdict": "suspicious", "score": 40,
           "action": "quarantine", "findings": findings, "size": len(data or b""),
           "scan_ms": 1.0, "drill": 0}
    meta = {"id": uid, "state": state, "quarantined_ms": 1700000000000,
            "size": len(data or b""), "sha256": hashlib.sha256(data or b"").hexdigest(),
            "record": rec, "history": [{"ms": 1700000000000, "event": state}]}
    with open(os.path.join(qdir, "msg", uid + ".json"), "w", encoding="utf-8") as f:
        json.dump(meta, f)


def main():
    vtest.need_vigil()
    t = tempfile.mkdtemp(prefix="vigil-retro-")
    qdir = os.path.join(t, "q")
    ids = ["%032x" % (0xa1 + i) for i in range(3)]
    put(qdir, ids[0], message("a1", b"quarterly report BHXH-SPYKIT-2026 payload"), [])
    put(qdir, ids[1], message("a2", b"an ordinary attachment"), [])
    put(qdir, ids[2], None, [], state="deleted")  # the bytes are gone
    rules = os.path.join(t, "new.yar")
    with open(rules, "w") as f:
        f.write('rule New_Spykit { meta: severity = "high" strings: $a = "BHXH-SPYKIT-2026" '
                'condition: $a }\n')

    r = vtest.run(["retroscan", "--dir", qdir, "--json"])
    C.check(r.rc == 0 and r.json_lines() == [],
            "without a new rule nothing is new (exit 0)", r.out + r.err)
    r = vtest.run(["retroscan", "--dir", qdir, "--rules", rules, "--json"])
    rows = r.json_lines()
    C.check(r.rc == 1 and [x["id"] for x in rows] == [ids[0]],
            "the new rule's catch is reported for that message only (exit 1)", r.out + r.err)
    if rows:
        nf = rows[0]["new_findings"]
        C.check(any(f["id"] == "yara.New_Spykit" and f["object"].endswith("tl.bin") and
                    f["severity"] == "high" for f in nf),
                "…with the finding, its severity and the object it matched", nf)
        C.check(rows[0]["verdict_then"] == "suspicious" and rows[0]["verdict_now"] in
                ("suspicious", "malicious"), "…and the verdicts then and now", rows[0])
    C.check("3 " in r.err and "1 " in r.err, "a summary line on standard error", r.err)
    r = vtest.run(["retroscan", "--dir", qdir, "--rules", rules])
    C.check(r.rc == 1 and ids[0] in r.out and "+ [high] yara.New_Spykit" in r.out,
            "the human report names the message and the new finding", r.out)
    r = vtest.run(["retroscan", "--dir", os.path.join(t, "nope"), "--rules", rules])
    C.check(r.rc == 2, "a missing quarantine is an error (exit 2)", r.err)
    r = vtest.run(["retroscan"])
    C.check(r.rc == 2 and "--dir" in r.err, "no quarantine given: exit 2, says how", r.err)
    C.finish()


if __name__ == "__main__":
    main()
