#!/usr/bin/env python3
"""Golden test: what vigil's Office analyzers find in the oletools samples.

The samples (../shared/testdata/office/oletools, read in place; zipped ones
unpacked with their password into a temporary folder) come with behaviour
that oletools documents for its tools:

  olevba         VBA macros, auto-exec and suspicious keywords
  olevba --xlm   Excel 4.0 macros (excel4-macros/)
  msodde         DDE links and fields (msodde/; harmless-clean.* have none)
  oleobj         embedded OLE packages and external links (oleobj/)
  encrypted/     password-protected files (oletools decrypts the ones that
                 use Excel's default password, then analyses them)

For each sample this test asserts that vigil recognises what the matching
tool is documented to find (by finding id and the object it is on), prints a
table sample -> vigil's findings of the Office analyzers, and lists where
vigil differs from oletools, with the reason. A difference listed in
KNOWN_DIFFERENCES is reported, not failed; anything else is a failure.

Exit 0 pass, 77 skip (no ../shared or vigil not built), 1 fail.
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
MINE = ("macro.", "xlm.", "dde.", "office.")
SEV = ["info", "low", "medium", "high", "critical"]

# sample (relative to ROOT, or the name inside a zip) -> what must be found:
# list of (finding id, object path suffix or None for "anywhere")
EXPECT = {
    # olevba: VBA code with its auto-exec trigger
    "encrypted/autostart-encrypt-standardpassword.xls": [
        ("macro.present", "autostart-encrypt-standardpassword.xls"),
        ("macro.autoexec", "autostart-encrypt-standardpassword.xls")],
    "olevba/sample_with_vba.ppt": [("macro.present", "PowerPoint Document/ExOleObjStg-1")],
    "oleform/oleform-PR314.docm": [("macro.present", "word/vbaProject.bin")],
    # olevba --xlm
    "excel4-macros/excel4_sample_macro.xls": [("xlm.macro_sheet", "/Workbook"),
                                              ("xlm.autoopen", "/Workbook")],
    "excel4-macros/excel4_sample_macro.xlt": [("xlm.macro_sheet", "/Workbook"),
                                              ("xlm.autoopen", "/Workbook")],
    "excel4-macros/excel4_sample_macro_excel5_format.xls": [("xlm.macro_sheet", "/Book"),
                                                            ("xlm.autoopen", "/Book")],
    "excel4-macros/excel4_sample_macro.xlsm": [
        ("xlm.macro_sheet", "xl/macrosheets/sheet1.xml"), ("xlm.autoopen", "xl/workbook.xml")],
    "excel4-macros/excel4_sample_macro.xltm": [
        ("xlm.macro_sheet", "xl/macrosheets/sheet1.xml"), ("xlm.autoopen", "xl/workbook.xml")],
    "excel4-macros/excel4_sample_macro.xlsb": [
        ("xlm.macro_sheet", "xl/macrosheets/sheet1.bin"), ("xlm.autoopen", "xl/workbook.bin")],
    "excel4-macros/excel4_sample_macro.slk": [("xlm.macro_sheet", "excel4_sample_macro.slk"),
                                              ("xlm.autoopen", "excel4_sample_macro.slk")],
    # msodde
    "msodde/dde-test.docx": [("dde.field", "word/document.xml")],
    "msodde/dde-test.docm": [("dde.field", "word/document.xml")],
    "msodde/dde-test.xlsx": [("dde.field", "xl/externalLinks/externalLink1.xml")],
    "msodde/dde-test.xlsm": [("dde.field", "xl/externalLinks/externalLink1.xml")],
    "msodde/dde-test.xlsb": [("dde.field", "xl/externalLinks/externalLink1.bin")],
    "msodde/dde-in-csv.csv": [("dde.field", "dde-in-csv.csv")],
    "msodde/dde-in-excel2003.xml": [("dde.field", "dde-in-excel2003.xml")],
    "ooxml/dde-in-excel2003.xml": [("dde.field", "dde-in-excel2003.xml")],
    "dde-in-word2003.xml": [("dde.field", "dde-in-word2003.xml")],
    "dde-in-word2007.xml": [("dde.field", "dde-in-word2007.xml")],
    "dde-test-from-office2003.doc": [("dde.field", "/WordDocument")],
    "dde-test-from-office2016.doc": [("dde.field", "/WordDocument")],
    "dde-test-from-office2013-utf_16le-korean.doc": [("dde.field", "/WordDocument")],
    # oleobj: programs in OLE packages
    "oleobj/sample_with_calc_embedded.doc": [("office.embedded_executable", "\\x01Ole10Native")],
    "oleobj/sample_with_lnk_file.doc": [("office.embedded_executable", "\\x01Ole10Native")],
    "oleobj/sample_with_lnk_file.ppt": [("office.embedded_executable", "\\x01Ole10Native")],
    "oleobj/sample_with_lnk_file.pps": [("office.embedded_executable", "\\x01Ole10Native")],
}
# oleobj: external links to a remote document
for ext in ("docx", "docm", "dotx", "dotm", "pptx", "pptm", "potx", "potm", "ppsx", "ppsm",
            "xlsx", "xlsm", "xlsb"):
    EXPECT["oleobj/external_link/sample_with_external_link_to_doc." + ext] = [
        ("office.external_object", ".rels")]

# samples oletools documents as harmless: none of our findings above low
CLEAN = ["msodde/harmless-clean.doc", "msodde/harmless-clean.docx", "msodde/harmless-clean.docm",
         "msodde/harmless-clean.xml", "msodde/harmless-clean-2003.xml",
         "ooxml/harmless-clean.xml", "ooxml/harmless-clean-2003.xml",
         "msodde/RTF-Spec-1.7.rtf", "basic/text", "basic/empty", "other/presentation.xps"] + [
    "oleobj/embedded-simple-2007." + e for e in (
        "doc", "docx", "docm", "dot", "dotx", "dotm", "ppt", "pptx", "pptm", "pps", "ppsx",
        "ppsm", "pot", "potx", "potm", "xls", "xlsx", "xlsm", "xlsb", "xla", "xlam", "xlt",
        "xltx", "xltm", "xml", "odt", "ods", "odp")] + [
    "oleobj/embedded-unicode.doc", "oleobj/embedded-unicode-2007.docx"]

# where vigil knowingly differs from what oletools reports
KNOWN_DIFFERENCES = {
    "encrypted/autostart-encrypt-standardpassword.xlsm":
        "olevba decrypts Excel's default password (msoffcrypto) and finds Auto_Open; vigil does "
        "not decrypt OOXML packages: it reports document.encrypted and "
        "document.default_password instead",
    "encrypted/autostart-encrypt-standardpassword.xlsb":
        "as .xlsm: encrypted OOXML package, not decrypted",
    "encrypted/dde-test-encrypt-standardpassword.xls":
        "msodde decrypts and finds the DDE link; vigil does not decrypt BIFF (RC4) records",
    "encrypted/dde-test-encrypt-standardpassword.xlsx":
        "msodde decrypts and finds the DDE link; encrypted OOXML is not decrypted",
    "encrypted/dde-test-encrypt-standardpassword.xlsm":
        "msodde decrypts and finds the DDE link; encrypted OOXML is not decrypted",
    "encrypted/dde-test-encrypt-standardpassword.xlsb":
        "msodde decrypts and finds the DDE link; encrypted OOXML is not decrypted",
    "oleobj/sample_with_lnk_to_calc.doc":
        "oleobj lists the package as a link to calc.exe; ole.c reports it as ole.package_link "
        "(there is no embedded file, so no office.embedded_executable)",
    "olevba/sample_with_vba.ppt":
        "olevba extracts Module1 (a MsgBox in Action_Click): only macro.present here, as the "
        "click handler runs on a user's click, not on opening",
}

failures = []
differences = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def scan(path):
    out = subprocess.run([VIGIL, "scan", "--json", "--no-progress", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    check(out.returncode in (0, 1), "%s: exit %d" % (path, out.returncode))
    check(out.stderr == b"", "%s: wrote to stderr: %r" % (path, out.stderr[:200]))
    return json.loads(out.stdout.decode())


def main():
    if not os.path.isdir(ROOT):
        print("SKIP: %s not found" % ROOT)
        return 77
    if not os.access(VIGIL, os.X_OK):
        print("SKIP: %s not built" % VIGIL)
        return 77

    tmp = tempfile.TemporaryDirectory(prefix="vigil-oletools-analysis-")
    files = {}  # key (as in EXPECT) -> path
    for dirpath, _, names in os.walk(ROOT):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            if n.endswith(".zip"):
                with zipfile.ZipFile(p) as z:
                    for m in z.namelist():
                        dest = os.path.join(tmp.name, os.path.basename(m))
                        with open(dest, "wb") as fh:
                            fh.write(z.read(m, pwd=b"infected-test"))
                        files[os.path.basename(m)] = dest
            elif n not in ("SOURCE", "LICENSE.md"):
                files[os.path.relpath(p, ROOT)] = p

    reports = {k: scan(p) for k, p in sorted(files.items())}

    print("%-60s %s" % ("sample", "vigil findings (Office analyzers)"))
    for k, r in reports.items():
        mine = ["%s[%s]" % (f["id"], f["severity"]) for f in r["findings"]
                if f["id"].startswith(MINE)]
        print("%-60s %s" % (k, ", ".join(mine) if mine else "-"))
    print()

    for k, want in sorted(EXPECT.items()):
        r = reports.get(k)
        check(r is not None, "%s: sample missing" % k)
        if r is None:
            continue
        for fid, where in want:
            hit = [f for f in r["findings"] if f["id"] == fid and
                   (where is None or f["object"].endswith(where) or where in f["object"])]
            check(hit, "%s: %s expected on ...%s" % (k, fid, where))

    for k in CLEAN:
        r = reports.get(k)
        check(r is not None, "%s: sample missing" % k)
        if r is None:
            continue
        bad = [f["id"] for f in r["findings"] if f["id"].startswith(MINE) and
               SEV.index(f["severity"]) > SEV.index("low")]
        check(not bad, "%s: harmless sample got %s" % (k, bad))

    # nothing in this set is stomped, and module sources come out as text
    for k, r in reports.items():
        check(not any(f["id"] == "macro.stomped" for f in r["findings"]),
              "%s: macro.stomped on a genuine sample" % k)
    mods = [o for o in reports["oleform/oleform-PR314.docm"]["objects"]
            if o["path"].endswith((".bas", ".cls"))]
    check(sorted(o["path"].rsplit("/", 1)[1] for o in mods) ==
          ["NewMacros.bas", "ThisDocument.cls", "UserFormTEST1.cls", "UserFormTest2.cls"],
          "oleform-PR314.docm: module sources %s" % [o["path"] for o in mods])
    check(all(o["type"] == "text" for o in mods), "oleform-PR314.docm: sources are text")

    # the known differences: printed, and checked to still be what they say
    for k, why in sorted(KNOWN_DIFFERENCES.items()):
        r = reports.get(k)
        mine = sorted({f["id"] for f in r["findings"] if f["id"].startswith(MINE)}) if r else []
        differences.append("%s: %s (vigil: %s)" % (k, why, ", ".join(mine) or "none"))
        if k.startswith("encrypted/"):
            check(r is not None and any(f["id"] == "document.encrypted" for f in r["findings"]),
                  "%s: document.encrypted expected" % k)
    print("differences from oletools' documented results:")
    for d in differences:
        print("  - " + d)
    print()

    tmp.cleanup()
    for f in failures:
        print("FAIL:", f)
    print("RESULT: %d samples, %d expectations, %d harmless checked, %d known differences, "
          "%d failures" % (len(files), sum(len(v) for v in EXPECT.values()), len(CLEAN),
                           len(KNOWN_DIFFERENCES), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
