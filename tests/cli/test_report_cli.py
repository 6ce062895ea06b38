#!/usr/bin/env python3
"""test_report_cli.py - `vigil report c20`, the Circular 20/2017 reports.

  - --format json|html|pdf writes the report of each --kind to -o OUT (or
    stdout with -o -): the JSON's form id, sections and deadline at --now;
    HTML escaped; a PDF that pdftotext reads (when poppler-utils is there);
  - missing required fields are listed on stderr (English, or Vietnamese
    with VIGIL_LANG=vi) and the report is still written, as a draft;
    --strict writes nothing and exits 1;
  - -o naming a FIFO (or a device) writes into it instead of renaming a
    file over it;
  - errors exit 2 with a message naming the problem: unknown kind or format,
    no output, a file that is not JSON or not an object, duplicate keys, a
    bad --now, an unknown report;
  - the measured time and size of the three reports of a 300-indicator
    incident are printed (never a pass/fail criterion).
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
import vtest  # noqa: E402

C = vtest.Checks("report-cli")
NOW = "2026-11-27T17:30:00Z"


def incident(n=300, drill=False):
    return {
        "id": "INC-2026-0007", "title": "Thư giả mạo <script>alert(1)</script>",
        "severity": "high", "tlp": "TLP:AMBER", "status": "triage", "drill": drill,
        "summary": "Thư giả mạo đính kèm tệp .docm.", "category": "malware.spyware",
        "units": [{"id": "hanoi", "name": "BHXH Hà Nội", "region": "north"}],
        "detected_at": "2026-11-27T08:15:00Z", "closed_at": None,
        "indicators": [{"type": "domain", "value": "c2-%03d.example" % i,
                        "description": "C2", "tlp": "TLP:AMBER"} for i in range(n)],
        "messages": [], "systems": ["tst"], "endpoints": [], "tasks": [], "timeline": [],
        "reporter": {"organisation": "Bảo hiểm xã hội Việt Nam",
                     "unit": "Trung tâm Công nghệ thông tin", "name": "Lê Văn Cường",
                     "title": "Phó Giám đốc", "phone": "024 3934 0000",
                     "email": "attt@bhxh.example", "address": "Hà Nội"},
    }


def main():
    vtest.need_vigil()
    tmp = tempfile.mkdtemp(prefix="report-cli-")
    try:
        inc_path = os.path.join(tmp, "inc.json")
        with open(inc_path, "w", encoding="utf-8") as f:
            json.dump(incident(300, drill=True), f, ensure_ascii=False)

        # JSON to stdout
        r = vtest.run(["report", "c20", "--kind", "notification", "--format", "json",
                       "--now", NOW, inc_path, "-o", "-"])
        rep = json.loads(r.out) if r.rc == 0 else {}
        C.check(r.rc == 0 and rep.get("form", {}).get("id") == "tbsc",
                "notification as JSON on stdout", r.err)
        C.check(rep.get("deadline", {}).get("due") == "2026-12-02T08:15:00Z"
                and rep.get("deadline", {}).get("state") == "not_due",
                "deadline: detection + 5 days, not due at --now", rep.get("deadline"))
        C.check(rep.get("marking") == "DIỄN TẬP / EXERCISE", "drill marking in the JSON")
        C.check("deadline of the notification: 2026-12-02T15:15:00+07:00 (not_due)" in r.err,
                "deadline on stderr in local time", r.err)

        # the initial report misses "sent to": a draft, listed on stderr
        out = os.path.join(tmp, "initial.html")
        r = vtest.run(["report", "c20", "--kind", "initial", "--format", "html",
                       "--now", NOW, inc_path, "-o", out])
        C.check(r.rc == 0 and os.path.isfile(out), "initial report as HTML", r.err)
        C.check("Missing: Notification sent to (field reports.notification.sent_to)" in r.err,
                "missing field listed in English", r.err)
        html = open(out, encoding="utf-8").read() if os.path.isfile(out) else ""
        C.check(html.startswith("<!DOCTYPE html>") and "<script" not in html
                and "&lt;script&gt;alert(1)&lt;/script&gt;" in html,
                "HTML page, hostile title escaped")
        env = dict(os.environ, VIGIL_LANG="vi")
        r = vtest.run(["report", "c20", "--kind", "initial", "--format", "json",
                       "--now", NOW, inc_path, "-o", os.path.join(tmp, "i.json")], env=env)
        C.check(r.rc == 0 and "còn thiếu thông tin bắt buộc (bản nháp)" in r.err
                and "Thiếu thông tin: Đã gửi thông báo sự cố cho" in r.err
                and "hạn nộp báo cáo" in r.err, "messages in Vietnamese", r.err)
        strict_out = os.path.join(tmp, "strict.pdf")
        r = vtest.run(["report", "c20", "--kind", "initial", "--format", "pdf", "--strict",
                       "--now", NOW, inc_path, "-o", strict_out])
        C.check(r.rc == 1 and not os.path.exists(strict_out),
                "--strict: exit 1, nothing written", r.err)

        # PDFs of the three kinds: time and size
        sizes = {}
        for kind in ("notification", "initial", "final"):
            pdf = os.path.join(tmp, kind + ".pdf")
            r = vtest.run(["report", "c20", "--kind", kind, "--format", "pdf", "--now", NOW,
                           inc_path, "-o", pdf])
            ok = r.rc == 0 and open(pdf, "rb").read(5) == b"%PDF-"
            C.check(ok, "%s report as PDF" % kind, r.err)
            sizes[kind] = (r.seconds, os.path.getsize(pdf) if ok else 0)
        if shutil.which("pdftotext"):
            txt = subprocess.run(["pdftotext", "-enc", "UTF-8",
                                  os.path.join(tmp, "initial.pdf"), "-"],
                                 stdout=subprocess.PIPE).stdout.decode("utf-8")
            C.check("BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG" in txt and "c2-299.example" in txt
                    and "DIỄN TẬP / EXERCISE" in txt, "the initial PDF reads back")
        print("300 indicators: " + ", ".join("%s %.2f s %d bytes" % (k, s, b)
                                             for k, (s, b) in sizes.items()))

        # a FIFO (like /dev/stdout or a device) is written in place, never
        # replaced by a renamed file
        fifo = os.path.join(tmp, "out.fifo")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
        reader.start()
        r = vtest.run(["report", "c20", "--kind", "notification", "--format", "pdf",
                       "--now", NOW, inc_path, "-o", fifo])
        reader.join(30)
        C.check(r.rc == 0 and got and got[0][:5] == b"%PDF-"
                and stat.S_ISFIFO(os.lstat(fifo).st_mode),
                "-o FIFO: written through, still a FIFO", r.err)

        # errors
        bad = os.path.join(tmp, "bad.json")
        for content, what in (("not json", "not JSON"), ("[1,2]", "not an object"),
                              ('{"id": 1, "id": 2}', "duplicate keys")):
            with open(bad, "w") as f:
                f.write(content)
            r = vtest.run(["report", "c20", "--kind", "final", "--format", "json", bad,
                           "-o", "-"])
            C.check(r.rc == 2 and "not an incident document" in r.err, "error: " + what, r.err)
        for args, msg in (
                (["--kind", "weekly", "--format", "pdf", inc_path, "-o", "-"],
                 "--kind must be"),
                (["--kind", "final", "--format", "docx", inc_path, "-o", "-"],
                 "--format must be"),
                (["--kind", "final", "--format", "pdf", inc_path], "INCIDENT.json -o OUT"),
                (["--kind", "final", "--format", "pdf", "--now", "yesterday", inc_path,
                  "-o", "-"], "not an RFC 3339 time"),
                (["--kind", "final", "--format", "pdf", os.path.join(tmp, "nope.json"),
                  "-o", "-"], "cannot open")):
            r = vtest.run(["report", "c20"] + args)
            C.check(r.rc == 2 and msg in r.err, "error: " + msg, r.err)
        r = vtest.run(["report", "weekly"])
        C.check(r.rc == 2 and "unknown report" in r.err, "error: unknown report", r.err)
        r = vtest.run(["report", "c20", "--help"])
        C.check(r.rc == 0 and "--kind notification|initial|final" in r.out, "--help", r.out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    C.finish()


if __name__ == "__main__":
    main()
