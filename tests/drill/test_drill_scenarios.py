#!/usr/bin/env python3
"""test_drill_scenarios.py - every shipped scenario looks like its technique.

For each rules/scenarios/*.json, `vigil drill build` makes the message for a
recipient (key from `vigil drill key`), and `vigil scan --json` (libvigil,
no key: the engine never needs it) must raise every finding id the scenario
lists under "expected", with a verdict of at least suspicious. So a simulant
that stops looking like its technique (or an analyzer that stops seeing it)
fails here, scenario by scenario.

Also: the message carries the X-Vigil-Drill marker and the per-recipient
tracking links; two recipients get different tokens; `vigil drill check`
accepts the shipped folder and reports a broken one (exit 1, file and field
named, English by default and Vietnamese with VIGIL_LANG=vi); `vigil drill
key` refuses to overwrite a key; bad arguments exit 2.
"""
import email
import email.policy
import glob
import json
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
import vtest  # noqa: E402

C = vtest.Checks("drill-scenarios")
SCEN = os.path.join(vtest.TOP, "rules", "scenarios")
BASE = "https://vigil.bhxh.local:8480"
RANK = {v: i for i, v in enumerate(vtest.VERDICTS)}


def build(key, scenario, to, token=None, name="Nguyễn Thị Hồng Nhung",
          unit="BHXH tỉnh Lạng Sơn", ref="2026-MB-1", base=BASE):
    args = ["drill", "build", scenario, "--key", key, "--round", ref, "--to", to,
            "--name", name, "--unit", unit, "--base", base]
    if token:
        args += ["--token", token]
    return vtest.run(args)


def main():
    vtest.need_vigil()
    tmp = tempfile.mkdtemp(prefix="drill-scen-")
    key = os.path.join(tmp, "drill.key")
    res = vtest.run(["drill", "key", key])
    C.check(res.rc == 0 and os.stat(key).st_mode & 0o777 == 0o600,
            "drill key: created with mode 0600", res.err)
    res = vtest.run(["drill", "key", key])
    C.check(res.rc == 2 and "drill.key" in res.err, "drill key: an existing key is never overwritten",
            res.err)

    files = sorted(glob.glob(os.path.join(SCEN, "*.json")))
    C.check(len(files) >= 4, "at least four scenarios ship (%d)" % len(files))
    tokens = set()
    for path in files:
        with open(path, encoding="utf-8") as f:
            sc = json.load(f)
        sid = sc["id"]
        res = build(key, sid, "nhung.nth@langson.vss.gov.vn")
        if not C.check(res.rc == 0 and res.out, "%s: builds" % sid, res.err):
            continue
        raw = res.out.encode("utf-8")
        eml = os.path.join(tmp, sid + ".eml")
        with open(eml, "wb") as f:
            f.write(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        marker = msg.get("X-Vigil-Drill", "")
        m = re.fullmatch(r"v=1; r=2026-MB-1; t=([a-z2-7]{26}); s=[0-9a-f]{32}", str(marker))
        C.check(m is not None, "%s: marker header present and well formed" % sid, marker)
        tok = m.group(1) if m else ""
        tokens.add(tok)
        body = msg.get_body(("html",))
        html = body.get_content() if body else ""
        C.check("%s/t/%s/o.gif" % (BASE, tok) in html, "%s: HTML body has the open pixel" % sid)
        C.check("Nguyễn Thị Hồng Nhung" in msg.get_body(("plain",)).get_content(),
                "%s: the recipient's name is filled in" % sid)
        att = [p for p in msg.iter_attachments()]
        want_att = sc["attachment"]["kind"] != "none"
        C.check(len(att) == (1 if want_att else 0) and
                (not want_att or att[0].get_filename() == sc["attachment"]["name"]),
                "%s: attachment %s" % (sid, sc["attachment"].get("name", "none")))
        if want_att:
            data = att[0].get_content()
            data = data if isinstance(data, bytes) else data.encode("utf-8")
            C.check(b"VIGIL-DRILL-SIMULANT v=1; r=2026-MB-1; t=" + tok.encode() in data,
                    "%s: the simulant carries the simulant marker" % sid)

        scan = vtest.run(["scan", "--json", "--no-progress", eml])
        lines = scan.json_lines()
        if not C.check(len(lines) == 1, "%s: scans" % sid, scan.err):
            continue
        got = {f["id"] for f in lines[0].get("findings", [])}
        missing = [e for e in sc["expected"] if e not in got]
        C.check(not missing, "%s: every expected finding fires (%s)" % (sid, ", ".join(sc["expected"])),
                "missing %s; got %s" % (missing, sorted(got)))
        C.check(RANK.get(lines[0].get("verdict"), -1) >= RANK["suspicious"],
                "%s: verdict %s is at least suspicious" % (sid, lines[0].get("verdict")))

    # two recipients, two tokens, two different links
    a = build(key, "cong-van-macro", "a@langson.vss.gov.vn")
    b = build(key, "cong-van-macro", "b@langson.vss.gov.vn")
    ta = re.search(r"t=([a-z2-7]{26});", a.out)
    tb = re.search(r"t=([a-z2-7]{26});", b.out)
    C.check(ta and tb and ta.group(1) != tb.group(1), "each recipient gets a new token")
    fixed = build(key, "cong-van-macro", "a@langson.vss.gov.vn", token="a" * 26)
    C.check("t=" + "a" * 26 + ";" in fixed.out, "--token is used as given")

    # check: the shipped folder, then a broken one
    res = vtest.run(["drill", "check"])
    C.check(res.rc == 0 and "%d valid scenarios, 0 invalid" % len(files) in res.out,
            "drill check: the shipped scenarios are valid", res.out + res.err)
    bad = os.path.join(tmp, "bad")
    os.mkdir(bad)
    with open(files[0], encoding="utf-8") as f:
        good = f.read()
    with open(os.path.join(bad, "cong-van-macro.json"), "w", encoding="utf-8") as f:
        f.write(good.replace("{{date}}", "{{ngay}}", 1) if "{{date}}" in good else good + "x")
    with open(os.path.join(bad, "broken.json"), "w") as f:
        f.write('{"id": "broken", "version": ')
    with open(os.path.join(bad, "types.json"), "w") as f:
        f.write(good.replace('"version": 1', '"version": "1"'))
    res = vtest.run(["drill", "check", bad], env=dict(os.environ, VIGIL_LANG="en"))
    C.check(res.rc == 1, "drill check: a broken folder exits 1 (%d)" % res.rc)
    C.check("broken.json: not valid JSON" in res.err and "unknown placeholder {{ngay}}" in res.err and
            "types.json: version: must be a whole number" in res.err,
            "drill check: errors name the file and field (English)", res.err)
    res = vtest.run(["drill", "check", bad], env=dict(os.environ, VIGIL_LANG="vi"))
    C.check(res.rc == 1 and "không phải JSON hợp lệ" in res.err and
            "trường thay thế không xác định {{ngay}}" in res.err and "phải là số nguyên" in res.err,
            "drill check: errors in Vietnamese with VIGIL_LANG=vi", res.err)

    # bad arguments
    res = build(key, "cong-van-macro", "a@b.vn", ref="bad ref")
    C.check(res.rc == 2 and res.out == "", "drill build: a bad round reference exits 2", res.err)
    res = build(key, "cong-van-macro", "not-an-address")
    C.check(res.rc == 1 and res.out == "" and "recipient" in res.err,
            "drill build: a bad recipient address builds nothing", res.err)
    res = build(key, "cong-van-macro", "a@b.vn", base="javascript:alert(1)")
    C.check(res.rc == 1 and res.out == "", "drill build: a bad base URL builds nothing", res.err)
    res = build(key, "no-such-scenario", "a@b.vn")
    C.check(res.rc == 1 and "no-such-scenario.json" in res.err,
            "drill build: an unknown scenario is named", res.err)
    res = build(os.path.join(tmp, "missing.key"), "cong-van-macro", "a@b.vn")
    C.check(res.rc == 2 and "missing.key" in res.err, "drill build: a missing key exits 2", res.err)

    C.finish("%d scenarios built and scanned" % len(files))


if __name__ == "__main__":
    main()
