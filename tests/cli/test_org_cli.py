#!/usr/bin/env python3
"""test_org_cli.py - `vigil org generate|check` and the sender analyzer on
the generated organisation.

  - `vigil org generate -o FILE` writes the default organisation (71 units,
    20,000 staff); the same seed on standard output gives the same bytes,
    another seed other bytes; --staff and --domain are honoured;
  - `vigil org check --json` counts 8 central units and 25 / 19 / 19
    provinces in North / Central-Highlands / South, 20,000 staff with unique
    addresses, 26 systems; the human summary is in English and, with
    --lang vi, in Vietnamese;
  - a file with a dangling unit exits 2 with the exact path of the problem
    (`staff[1234].unit "hanoii": no such unit`), in both languages;
  - the generated file is a `staff_directory` the current sender analyzer
    reads: a generated staff member's name from an outside address gives
    sender.display_name_spoof (high, T1566,T1036) on msg; the same name
    from the member's own address, and an outside name that is nobody's,
    give nothing of sender.display_name_spoof;
  - usage errors exit 2.
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
import vtest  # noqa: E402

C = vtest.Checks("org-cli")


def message(from_header):
    return ("From: %s\r\nTo: ke.toan@bhxh.example\r\nSubject: Cong van khan\r\n"
            "Date: Thu, 27 Nov 2026 08:15:00 +0700\r\nMessage-ID: <a1@mail.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Kính gửi anh chị, đề nghị xem công văn đính kèm.\r\n" % from_header).encode()


def spoof_findings(res):
    lines = res.json_lines()
    if len(lines) != 1:
        return None
    return [f for f in lines[0].get("findings", []) if f.get("id") == "sender.display_name_spoof"]


def main():
    vtest.need_vigil()
    with tempfile.TemporaryDirectory() as tmp:
        org = os.path.join(tmp, "org.json")
        res = vtest.run(["org", "generate", "-o", org], timeout=120)
        C.check(res.rc == 0 and os.path.isfile(org), "generate -o: exit 0, file written",
                "rc=%d %s" % (res.rc, res.err))
        C.check("20000" in res.err and "71" in res.err, "generate -o: says what it wrote",
                res.err)
        with open(org, "rb") as f:
            raw = f.read()
        doc = json.loads(raw)
        res = vtest.run(["org", "generate", "--seed", "1"], timeout=120)
        C.check(res.rc == 0 and res.out.encode() == raw,
                "same seed on standard output: the same bytes", "rc=%d" % res.rc)
        res = vtest.run(["org", "generate", "--seed", "2"], timeout=120)
        C.check(res.rc == 0 and res.out.encode() != raw, "another seed: other bytes")

        res = vtest.run(["org", "check", "--json", org], timeout=60)
        C.check(res.rc == 0, "check: exit 0", "rc=%d %s" % (res.rc, res.err))
        summary = (res.json_lines() or [{}])[0]
        regions = {r["id"]: r for r in summary.get("regions", [])}
        C.check(summary.get("units") == 71 and summary.get("staff") == 20000 and
                summary.get("systems") == 26, "check --json: 71 units, 20000 staff, 26 systems",
                res.out[:1000])
        C.check([regions.get(r, {}).get("units") for r in
                 ("national", "north", "central-highlands", "south")] == [8, 25, 19, 19],
                "check --json: 8 central units, 25/19/19 provinces per region", res.out[:1000])
        C.check(all(regions.get(r, {}).get("staff", 0) > 4000 for r in
                    ("north", "central-highlands", "south")),
                "check --json: every region has thousands of staff", res.out[:1000])
        C.check(summary.get("endpoints", 0) >= 20000 and
                summary.get("endpoints") == len(doc["endpoints"]),
                "check --json: tens of thousands of endpoints", res.out[:1000])
        emails = [s["email"].lower() for s in doc["staff"]]
        C.check(len(set(emails)) == 20000, "20000 unique mailboxes")
        owners = {s["id"] for s in doc["staff"]}
        C.check(all(e.get("owner") in owners for e in doc["endpoints"]),
                "every endpoint's owner is a staff member")
        provinces = [u for u in doc["units"] if u["kind"] == "province"]
        C.check(len(provinces) == 63, "63 provinces", str(len(provinces)))

        res = vtest.run(["org", "check", org, "--lang", "en"], timeout=60)
        C.check(res.rc == 0 and "valid organisation file" in res.out and
                "North (north)" in res.out and "20000" in res.out,
                "check: English summary", res.out + res.err)
        res = vtest.run(["org", "check", "--lang", "vi", org], timeout=60)
        C.check(res.rc == 0 and "tệp tổ chức hợp lệ" in res.out and "Cán bộ" in res.out and
                "Miền Bắc (north)" in res.out, "check --lang vi: Vietnamese summary",
                res.out + res.err)

        # a dangling reference: the exact path and value
        doc["staff"][1234]["unit"] = "hanoii"
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        res = vtest.run(["org", "check", "--lang", "en", bad], timeout=60)
        C.check(res.rc == 2 and res.err.strip() ==
                'vigil org check: %s: staff[1234].unit "hanoii": no such unit' % bad,
                "check: a dangling unit exits 2 with its path",
                "rc=%d %s" % (res.rc, res.err))
        res = vtest.run(["org", "check", "--lang", "vi", bad], timeout=60)
        C.check(res.rc == 2 and res.err.strip() ==
                'vigil org check: %s: staff[1234].unit "hanoii": không có đơn vị này' % bad,
                "check --lang vi: the message in Vietnamese", "rc=%d %s" % (res.rc, res.err))
        doc["staff"][1234]["unit"] = doc["staff"][1233]["unit"]

        # the sender analyzer reads the generated file as its staff directory
        person = doc["staff"][4321]
        eml = os.path.join(tmp, "spoof.eml")
        with open(eml, "wb") as f:
            f.write(message('"%s" <%s@mail-outside.example>' % (
                person["name"], person["email"].split("@")[0].replace(".", ""))))
        res = vtest.run(["scan", "--json", "--no-progress", "--option",
                         "staff_directory=" + org, eml], timeout=120)
        fs = spoof_findings(res)
        C.check(res.rc == 1 and fs is not None and len(fs) == 1,
                "generated staff name from outside: sender.display_name_spoof",
                "rc=%d %s %s" % (res.rc, res.out[:1500], res.err))
        if fs:
            f = fs[0]
            C.check(f.get("severity") == "high" and "T1566" in str(f.get("attack")) and
                    "T1036" in str(f.get("attack")) and f.get("object") == "msg",
                    "spoof: high, T1566/T1036, on msg", json.dumps(f, ensure_ascii=False))
            C.check(person["name"] in f.get("evidence", ""), "spoof: evidence names the person",
                    f.get("evidence"))
        with open(eml, "wb") as f:
            f.write(message('"%s" <%s>' % (person["name"], person["email"])))
        res = vtest.run(["scan", "--json", "--no-progress", "--option",
                         "staff_directory=" + org, eml], timeout=120)
        C.check(spoof_findings(res) == [], "the member's own address: no spoof finding",
                res.out[:1500] + res.err)
        with open(eml, "wb") as f:
            f.write(message('"Margaret Thornbury" <m.thornbury@mail-outside.example>'))
        res = vtest.run(["scan", "--json", "--no-progress", "--option",
                         "staff_directory=" + org, eml], timeout=120)
        C.check(spoof_findings(res) == [], "an outside name that is nobody's: no spoof finding",
                res.out[:1500] + res.err)

        small = os.path.join(tmp, "small.json")
        res = vtest.run(["org", "generate", "--staff", "100", "--domain", "bhxh.gov.vn",
                         "--seed", "9", "-o", small], timeout=60)
        with open(small, encoding="utf-8") as f:
            sdoc = json.load(f)
        C.check(res.rc == 0 and len(sdoc["staff"]) == 100 and
                all(s["email"].endswith("@bhxh.gov.vn") for s in sdoc["staff"]) and
                sdoc["domain"] == "bhxh.gov.vn", "--staff 100 --domain bhxh.gov.vn",
                "rc=%d %s" % (res.rc, res.err))

        for args, what in ((["org", "generate", "--staff", "5"], "--staff 5"),
                           (["org", "generate", "--domain", "no_domain"], "--domain no_domain"),
                           (["org", "check"], "check without a file"),
                           (["org", "check", os.path.join(tmp, "none.json")], "missing file"),
                           (["org", "frob"], "unknown subcommand")):
            res = vtest.run(args, timeout=60)
            C.check(res.rc == 2 and res.err.strip(), what + ": exit 2 with a message",
                    "rc=%d %s" % (res.rc, res.err))
    C.finish()


if __name__ == "__main__":
    main()
