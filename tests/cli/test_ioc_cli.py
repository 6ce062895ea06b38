#!/usr/bin/env python3
"""test_ioc_cli.py - `vigil ioc import|export` feeding the gateways.

  - the shared Poison Ivy STIX report (../shared/testdata/stix/threat-reports)
    imports into an indicator file (44 indicators; what is not taken listed
    on stderr with reasons), and `vigil scan --ioc FILE` reports ioc.domain
    (high, T1566) on a generated message that links to one of its C2 domains,
    and nothing on a look-alike message (a different domain that contains the
    indicator's text);
  - the shared malicious-email bundle's attachment-name regular expression
    '^Final Report.+\\.exe$' becomes the glob "Final Report?*.exe": a message
    with "Final Report Q3.exe" attached gets ioc.filename, one with
    "Final Report.exe" (nothing between the words and ".exe") does not;
  - export to STIX and to MISP and import back give the same indicator file;
  - a bundle whose description tries to smuggle indicator lines still gives
    one line per indicator;
  - errors: not JSON, neither STIX nor MISP, no --format, an unwritable
    output: exit 2 with a message; nothing to import: exit 1; Vietnamese
    messages with VIGIL_LANG=vi.
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
sys.path.insert(0, os.path.join(HERE, "..", "gen"))
import vtest  # noqa: E402
import make_samples as ms  # noqa: E402

C = vtest.Checks("ioc-cli")
SHARED = os.environ.get("VIGIL_SHARED") or os.path.join(vtest.TOP, "..", "shared")
STIX = os.path.join(SHARED, "testdata", "stix")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def indicator_lines(path):
    with open(path, encoding="utf-8") as f:
        return sorted(ln.strip() for ln in f if ln.strip() and not ln.startswith("#"))


def scan_findings(ioc, msg):
    res = vtest.run(["scan", "--json", "--no-progress", "--ioc", ioc, msg])
    lines = res.json_lines()
    if len(lines) != 1:
        return res, None
    return res, lines[0].get("findings", [])


def ioc_ids(findings):
    return sorted(f["id"] for f in findings or [] if f["id"].startswith("ioc."))


def main():
    vtest.need_vigil()
    if not os.path.isdir(STIX):
        print("shared STIX test data not found at %s" % STIX)
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        # ---- Poison Ivy report -> indicator file -> scan ----
        iocs = os.path.join(tmp, "poisonivy.txt")
        res = vtest.run(["ioc", "import", "-o", iocs,
                         os.path.join(STIX, "threat-reports", "poisonivy.json")])
        C.check(res.rc == 0, "import poisonivy.json: exit 0", res.err)
        C.check("44 indicators imported (stix)" in res.err, "import: 44 indicators", res.err)
        C.check("131 not taken:" in res.err and "white space in a domain name" in res.err,
                "import: what is not taken is listed, with reasons", res.err[-2000:])
        lines = indicator_lines(iocs) if os.path.exists(iocs) else []
        C.check(len(lines) == 44 and "domain:www.webserver.dynssl.com" in lines
                and "ip:113.10.246.30" in lines and "filename:CBricksDoc" in lines,
                "the file has one line per indicator", "\n".join(lines))

        bad = write(os.path.join(tmp, "c2.eml"), ms.message(
            "c2", "Cập nhật phần mềm", ("IT Helpdesk", "helpdesk@webserver-support.example"),
            ms.STAFF, ms.text("Tải bản cập nhật tại http://www.webserver.dynssl.com/update.exe\n")))
        res, found = scan_findings(iocs, bad)
        C.check(res.rc == 1 and "ioc.domain" in ioc_ids(found),
                "scan --ioc: the C2 domain is reported (ioc.domain)",
                "rc=%d %s %s" % (res.rc, ioc_ids(found), res.err))
        dom = [f for f in found or [] if f["id"] == "ioc.domain"]
        C.check(dom and dom[0].get("severity") == "high" and "T1566" in json.dumps(dom[0]),
                "ioc.domain: high, T1566", json.dumps(dom))

        near = write(os.path.join(tmp, "near.eml"), ms.message(
            "near", "Bản tin", ("Phòng CNTT", "cntt@" + ms.INTERNAL), ms.STAFF,
            ms.text("Xem http://www.webserver.dynssl.com.example.org/ và "
                    "http://notwww.webserver.dynssl.community/\n")))
        res, found = scan_findings(iocs, near)
        C.check(res.rc in (0, 1) and found is not None and ioc_ids(found) == [],
                "a look-alike domain is not an indicator hit", "%s %s" % (ioc_ids(found), res.err))

        # ---- the attachment-name regex -> glob ----
        iocs2 = os.path.join(tmp, "email.txt")
        res = vtest.run(["ioc", "import", "-o", iocs2,
                         os.path.join(STIX, "malicious-email-indicator-with-attachment.json")])
        C.check(res.rc == 0 and indicator_lines(iocs2) == ["filename:Final Report?*.exe"],
                "malicious-email bundle: the attachment glob",
                res.err + (open(iocs2).read() if os.path.exists(iocs2) else ""))
        C.check("^[IMPORTANT] Please Review Before" in res.err,
                "the subject regular expression is listed as not taken", res.err)
        for name, want in (("Final Report Q3.exe", ["ioc.filename"]),
                           ("Final Report.exe", []),
                           ("Final Report Q3.exe.txt", [])):
            m = write(os.path.join(tmp, "att.eml"), ms.message(
                "att", "[IMPORTANT] Please Review Before Friday", ("Ban Tài chính", "tc@example.net"),
                ms.STAFF, ms.mixed("att", ms.text("Xem tệp đính kèm.\n"),
                                   ms.attachment(name, b"MZ not really a program\n"))))
            res, found = scan_findings(iocs2, m)
            C.check(ioc_ids(found) == want, "attachment %r: %s" % (name, want or "no hit"),
                    "%s %s" % (ioc_ids(found), res.err))

        # ---- export and back ----
        for fmt in ("stix", "misp"):
            out = os.path.join(tmp, "export.%s.json" % fmt)
            res = vtest.run(["ioc", "export", "--format", fmt, "--title", "Poison Ivy C2",
                             "--tlp", "TLP:GREEN", "--org", "BHXH", "-o", out, iocs])
            C.check(res.rc == 0, "export --format %s: exit 0" % fmt, res.err)
            try:
                with open(out, encoding="utf-8") as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                doc = {}
                C.check(False, "export --format %s: JSON" % fmt, str(e))
            if fmt == "stix":
                inds = [o for o in doc.get("objects", []) if o.get("type") == "indicator"]
                green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
                C.check(len(inds) == 44 and all(i["object_marking_refs"] == [green] for i in inds),
                        "stix: 44 indicators marked TLP:GREEN", json.dumps(inds[:2]))
            else:
                ev = doc.get("Event", {})
                C.check(len(ev.get("Attribute", [])) == 44 and ev.get("info") == "Poison Ivy C2"
                        and {"name": "tlp:green"} in ev.get("Tag", []),
                        "misp: 44 attributes, the title, tlp:green", json.dumps(ev)[:600])
            back = os.path.join(tmp, "back.%s.txt" % fmt)
            res = vtest.run(["ioc", "import", "-o", back, out])
            C.check(res.rc == 0 and indicator_lines(back) == indicator_lines(iocs),
                    "%s export -> import: the same indicator file" % fmt, res.err)

        # ---- one indicator, one line ----
        smuggle = write(os.path.join(tmp, "smuggle.json"), json.dumps({
            "type": "bundle", "id": "bundle--1", "objects": [{
                "type": "indicator", "id": "indicator--1",
                "description": "x\nfilename:*\r\nsender:@" + ms.INTERNAL,
                "pattern": "[domain-name:value = 'evil.example']"}]}))
        out = os.path.join(tmp, "smuggle.txt")
        res = vtest.run(["ioc", "import", "-o", out, smuggle])
        C.check(res.rc == 0 and indicator_lines(out) == ["domain:evil.example"],
                "a description cannot add indicator lines",
                open(out, encoding="utf-8").read() if os.path.exists(out) else res.err)

        # ---- errors ----
        notjson = write(os.path.join(tmp, "x.json"), "<bundle/>")
        res = vtest.run(["ioc", "import", notjson])
        C.check(res.rc == 2 and "not valid JSON" in res.err, "not JSON: exit 2", res.err)
        other = write(os.path.join(tmp, "y.json"), '{"hello": "world"}')
        res = vtest.run(["ioc", "import", other])
        C.check(res.rc == 2 and "neither a STIX bundle nor a MISP event" in res.err,
                "neither STIX nor MISP: exit 2", res.err)
        res = vtest.run(["ioc", "import", os.path.join(STIX, "interop-objectmarking-test.json")])
        C.check(res.rc == 1 and "0 indicators imported" in res.err
                and "campaign: no indicator" in res.err,
                "a bundle without indicators: exit 1, the campaign listed", res.err)
        res = vtest.run(["ioc", "export", iocs])
        C.check(res.rc == 2 and "--format" in res.err, "export without --format: exit 2",
                res.err)
        res = vtest.run(["ioc", "import", "-o", os.path.join(tmp, "no", "such", "dir.txt"),
                         os.path.join(STIX, "indicator-for-c2-ip-address.json")])
        C.check(res.rc == 2 and "cannot write" in res.err, "unwritable output: exit 2", res.err)
        res = vtest.run(["ioc", "import", "--tlp", "TLP:PURPLE", iocs])
        C.check(res.rc == 2 and "--tlp" in res.err, "a bad --tlp: exit 2", res.err)
        res = vtest.run(["ioc"])
        C.check(res.rc == 2, "vigil ioc alone: exit 2", res.err)
        for sub in (["ioc", "--help"], ["ioc", "import", "--help"], ["ioc", "export", "--help"]):
            res = vtest.run(sub)
            C.check(res.rc == 0 and "Usage: vigil ioc" in res.out, " ".join(sub), res.out)

        # ---- Vietnamese ----
        env = dict(os.environ, VIGIL_LANG="vi")
        res = vtest.run(["ioc", "import", "-o", os.path.join(tmp, "vi.txt"),
                         os.path.join(STIX, "indicator-to-campaign-relationship.json")], env=env)
        C.check(res.rc == 0 and "1 chỉ dấu đã nhập" in res.err and "mục không được lấy" in res.err,
                "VIGIL_LANG=vi: Vietnamese messages", res.err)
        res = vtest.run(["ioc", "import", notjson], env=env)
        C.check(res.rc == 2 and "không phải JSON hợp lệ" in res.err, "vi: not JSON", res.err)
    C.finish()


if __name__ == "__main__":
    main()
