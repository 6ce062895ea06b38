#!/usr/bin/env python3
"""test_dlp_cli.py - the data-loss check from the command line.

  - `vigil scan --direction outbound` on a CSV of 60 generated citizen ID
    numbers (CCCD) reports dlp.citizen_data (high, T1048.003) about that
    file, with masked examples and no full number anywhere in the output;
  - `--direction inbound` and no direction report nothing of dlp.*;
  - `--option dlp.min_citizen_ids=100` turns it into dlp.citizen_data_small;
  - a bad `--direction` value or an `--option` without '=' exits 2 with a
    message; `vigil extract` accepts --direction and --option too.
The numbers follow the format (province codes of Circular 07/2016/TT-BCA,
plausible years of birth) and are made up from a fixed seed.
"""
import json
import os
import random
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
import vtest  # noqa: E402

PROVINCES = [1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33,
             34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64,
             66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94,
             95, 96]

C = vtest.Checks("dlp-cli")


def cccd(r):
    c = r.randrange(4)
    y = r.randrange(30, 100) if c < 2 else r.randrange(0, 20)
    return "%03d%d%02d%06d" % (r.choice(PROVINCES), c, y, r.randrange(1, 1000000))


def dlp_findings(res):
    lines = res.json_lines()
    if len(lines) != 1:
        return None
    return [f for f in lines[0].get("findings", []) if f.get("id", "").startswith("dlp.")]


def main():
    vtest.need_vigil()
    r = random.Random(2024)
    ids = []
    while len(ids) < 60:
        x = cccd(r)
        if x not in ids:
            ids.append(x)
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "danh_sach.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("STT,Họ và tên,Số CCCD\n")
            for i, x in enumerate(ids):
                f.write("%d,Nguyễn Văn %d,%s\n" % (i + 1, i, x))

        res = vtest.run(["scan", "--json", "--no-progress", "--direction", "outbound", csv])
        fs = dlp_findings(res)
        C.check(res.rc == 1, "outbound: exit 1 (something found)", res.err)
        C.check(fs is not None and [f["id"] for f in fs] == ["dlp.citizen_data"],
                "outbound: dlp.citizen_data", res.out[:2000])
        if fs:
            f = fs[0]
            C.check(f.get("severity") == "high", "outbound: severity high", json.dumps(f))
            C.check("T1048.003" in str(f.get("attack")), "outbound: ATT&CK T1048.003",
                    json.dumps(f))
            C.check("60 citizen identifiers" in f.get("evidence", ""),
                    "outbound: evidence counts 60", f.get("evidence"))
            C.check("******" in f.get("evidence", ""), "outbound: masked examples",
                    f.get("evidence"))
        leaked = [x for x in ids if x in res.out or x in res.err]
        C.check(not leaked, "outbound: no full number in the output", ", ".join(leaked[:3]))

        res = vtest.run(["scan", "--json", "--no-progress", "--direction", "inbound", csv])
        C.check(dlp_findings(res) == [], "inbound: no dlp finding", res.out[:2000])
        res = vtest.run(["scan", "--json", "--no-progress", csv])
        C.check(dlp_findings(res) == [], "no direction: no dlp finding", res.out[:2000])

        res = vtest.run(["scan", "--json", "--no-progress", "--direction", "outbound",
                         "--option", "dlp.min_citizen_ids=100", csv])
        fs = dlp_findings(res)
        C.check(fs is not None and [f["id"] for f in fs] == ["dlp.citizen_data_small"],
                "--option dlp.min_citizen_ids=100: dlp.citizen_data_small", res.out[:2000])

        res = vtest.run(["scan", "--direction", "sideways", csv])
        C.check(res.rc == 2 and "--direction" in res.err, "bad --direction: exit 2, message",
                "rc=%d %s" % (res.rc, res.err))
        res = vtest.run(["scan", "--option", "dlp.min_citizen_ids", csv])
        C.check(res.rc == 2 and "--option" in res.err, "--option without '=': exit 2, message",
                "rc=%d %s" % (res.rc, res.err))

        out = os.path.join(tmp, "out")
        res = vtest.run(["extract", "--direction", "outbound", "--option",
                         "dlp.min_citizen_ids=10", csv, out])
        C.check(res.rc in (0, 1) and os.path.isfile(os.path.join(out, "manifest.json")),
                "extract accepts --direction and --option", "rc=%d %s" % (res.rc, res.err))
    C.finish()


if __name__ == "__main__":
    main()
