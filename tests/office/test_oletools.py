#!/usr/bin/env python3
"""Golden test: vigil over the oletools Office samples (read in place).

Asserts, per sample, what the OLE2 extractor (src/engine/extract/ole.c) must
find: password protection on every file of encrypted/ and on nothing else
(except basic/encrypted.docx, which is encrypted too), Excel's default
password on the "standardpassword" files only, the files embedded as OLE
packages with the MD5s that oletools' own tests expect (tests/oleobj/
test_basic.py), macro storages as objects, and no damage on valid files.
Samples inside password-protected zips are unpacked into a temporary folder.

Exit 0 pass, 77 skip (no ../shared), 1 fail.
"""
import json
import os
import subprocess
import sys
import tempfile
import zipfile

SHARED = os.environ.get("VIGIL_SHARED", os.path.join(os.path.dirname(__file__), "../../../shared"))
VIGIL = os.environ.get("VIGIL", "build/src/vigil")
ROOT = os.path.join(SHARED, "testdata/office/oletools")

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def scan(path):
    out = subprocess.run([VIGIL, "scan", "--json", "--no-progress", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    check(out.returncode in (0, 1), "%s: exit %d: %s" % (path, out.returncode,
                                                        out.stderr.decode(errors="replace")))
    check(out.stderr == b"", "%s: wrote to stderr: %r" % (path, out.stderr[:200]))
    return json.loads(out.stdout.decode())


def ids(report, obj=None):
    return {f["id"] for f in report["findings"] if obj is None or f["object"] == obj}


def objects(report):
    return {o["path"]: o for o in report["objects"]}


def main():
    if not os.path.isdir(ROOT):
        print("SKIP: %s not found" % ROOT)
        return 77
    if not os.access(VIGIL, os.X_OK):
        print("FAIL: %s not built" % VIGIL)
        return 1

    tmp = tempfile.TemporaryDirectory(prefix="vigil-oletools-")
    files = []
    for dirpath, _, names in os.walk(ROOT):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            if n.endswith(".zip"):
                with zipfile.ZipFile(p) as z:
                    for m in z.namelist():
                        dest = os.path.join(tmp.name, os.path.basename(m))
                        with open(dest, "wb") as fh:
                            fh.write(z.read(m, pwd=b"infected-test"))
                        files.append(dest)
            elif n not in ("SOURCE", "LICENSE.md"):
                files.append(p)
    reports = {p: scan(p) for p in files}

    # 1. encryption: every sample in encrypted/ and nothing else
    encrypted = [p for p in files if "/encrypted/" in p]
    check(len(encrypted) == 17, "expected 17 encrypted samples, found %d" % len(encrypted))
    for p, r in reports.items():
        root = r["objects"][0]["path"]
        found = ids(r, root)
        name = os.path.basename(p)
        must = p in encrypted or p.endswith("basic/encrypted.docx")
        check(("document.encrypted" in found) == must,
              "%s: document.encrypted %s" % (name, "missing" if must else "unexpected"))
        velvet = "standardpassword" in name
        check(("document.default_password" in found) == velvet,
              "%s: document.default_password %s" % (name, "missing" if velvet else "unexpected"))
        # valid files: nothing damaged anywhere inside (an object the parent
        # already cut short, e.g. a truncated RTF object, may be damaged)
        cut = {o["path"] for o in r["objects"] if "truncated" in o.get("flags", [])}
        check(not any(f["id"] == "archive.damaged" and f["object"] not in cut
                      for f in r["findings"]), "%s: archive.damaged on a valid file" % name)
        # encrypted OOXML is OLE2 by design: no extension mismatch for it
        check("name.extension_mismatch" not in found, "%s: name.extension_mismatch" % name)

    # 2. files embedded as OLE packages, named, with oletools' MD5s
    embedded = [
        ("oleobj/sample_with_calc_embedded.doc", "calc (2).exe", "pe",
         "40e85286357723f326980a3b30f84e4f"),
        ("oleobj/sample_with_lnk_file.doc", "calc.lnk", "lnk", "6aedb1a876d4ad5236f1fbbbeb7274f3"),
        ("oleobj/sample_with_lnk_file.ppt", "calc.lnk", "lnk", "6aedb1a876d4ad5236f1fbbbeb7274f3"),
        ("oleobj/sample_with_lnk_file.pps", "calc.lnk", "lnk", "6aedb1a876d4ad5236f1fbbbeb7274f3"),
        ("oleobj/embedded-unicode.doc", "\u00fcnic\u00f6de-\uc218\uc2dd\ub05d\uc774\uc798\ubabb"
         "\ub418\uc5c8\uc2b5\ub2c8\ub2e4.txt", None, "264397735b6f09039ba0adf0dc9fb942"),
        ("oleobj/embedded-unicode-2007.docx", "\u00fcnic\u00f6de-\uc218\uc2dd\ub05d\uc774\uc798"
         "\ubabb\ub418\uc5c8\uc2b5\ub2c8\ub2e4.txt", None, "264397735b6f09039ba0adf0dc9fb942"),
    ] + [("oleobj/embedded-simple-2007." + e, "simple-text-file.txt", "text",
          "bd5c063a5a43f67b3c50dc7b0f1195af") for e in ("doc", "dot", "docx", "docm", "dotx", "dotm")]
    for rel, fname, ftype, md5 in embedded:
        r = reports[os.path.join(ROOT, rel)]
        hits = [o for o in r["objects"] if o["path"].endswith("\\x01Ole10Native/" + fname)]
        check(len(hits) == 1, "%s: no package child %s" % (rel, fname))
        for o in hits:
            check(o["md5"] == md5, "%s: %s md5 %s, oletools expects %s" % (rel, fname, o["md5"], md5))
            check(o.get("name") == fname, "%s: child named %r" % (rel, o.get("name")))
            check(ftype is None or o["type"] == ftype, "%s: %s is %s" % (rel, fname, o["type"]))
    for rel in ("sample_with_calc_embedded.doc", "sample_with_lnk_file.doc",
                "sample_with_lnk_file.ppt"):
        r = reports[os.path.join(ROOT, "oleobj", rel)]
        check("content.executable" in ids(r), "%s: embedded program not reported" % rel)

    # 3. a package that links to a file on disk: a finding, no embedded data
    r = reports[os.path.join(ROOT, "oleobj/sample_with_lnk_to_calc.doc")]
    links = [f for f in r["findings"] if f["id"] == "ole.package_link"]
    check(len(links) == 1 and "C:\\Windows\\System32\\calc.exe" in links[0]["evidence"],
          "sample_with_lnk_to_calc.doc: ole.package_link with the target path")
    check(not any("Ole10Native/" in o["path"] for o in r["objects"]),
          "sample_with_lnk_to_calc.doc: a link package has no embedded file")

    # 4. macro storages become objects (VBA analysis is another module's job)
    macros = [
        ("olevba/sample_with_vba.ppt", "sample_with_vba.ppt/PowerPoint Document/ExOleObjStg-1/VBA/Module1"),
        ("encrypted/autostart-encrypt-standardpassword.xls",
         "autostart-encrypt-standardpassword.xls/_VBA_PROJECT_CUR/VBA/Modul1"),
        ("oleform/oleform-PR314.docm", "oleform-PR314.docm/word/vbaProject.bin/VBA/dir"),
    ]
    for rel, path in macros:
        objs = objects(reports[os.path.join(ROOT, rel)])
        check(path in objs, "%s: no object %s" % (rel, path))
    o = objects(reports[os.path.join(ROOT, "olevba/sample_with_vba.ppt")])
    attr = o.get("sample_with_vba.ppt/PowerPoint Document/ExOleObjStg-1/PROJECT")
    check(attr is not None and attr["type"] == "text", "sample_with_vba.ppt: PROJECT stream")

    # 5. Word files from the zips: streams come out
    for n in ("dde-test-from-office2003.doc", "dde-test-from-office2016.doc",
              "dde-test-from-office2013-utf_16le-korean.doc"):
        r = reports[os.path.join(tmp.name, n)]
        check(r["objects"][0]["type"] == "ole2", "%s: not ole2" % n)
        check(n + "/WordDocument" in objects(r), "%s: no WordDocument stream" % n)

    tmp.cleanup()
    for f in failures:
        print("FAIL:", f)
    print("RESULT: %d samples, %d failures" % (len(files), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
