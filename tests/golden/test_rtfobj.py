#!/usr/bin/env python3
"""test_rtfobj.py - the RTF samples of the oletools test suite through vigil.

oletools' own tests expect exactly one object in each of rtfobj/issue_185
and rtfobj/issue_251 (both are obfuscation cases: a \\bin run after
\\objdata, and \\bin without a parameter plus control words and a group
inside the hex); the RTF 1.7 specification (msodde/) holds the word
"\\objdata" only as escaped text and no object. Here the objects vigil
extracts are checked byte for byte: the bytes follow from the hex in the
samples as Word reads it (see src/engine/extract/rtf.c).

Reads ../shared in place (VIGIL_SHARED); exits 77 (skipped) without it.
The zipped sample is unpacked into a temporary directory, never the repo.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

TOP = os.environ.get("VIGIL_TOP", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("VIGIL_SHARED", os.path.join(TOP, "..", "shared"))
VIGIL = os.environ.get("VIGIL", os.path.join(TOP, "build", "src", "vigil"))
OLETOOLS = os.path.join(SHARED, "testdata", "office", "oletools")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def scan(path):
    out = subprocess.run([VIGIL, "scan", "-j", "--no-progress", "--no-default-rules", path],
                         stdout=subprocess.PIPE, check=False)
    if out.returncode not in (0, 1):
        print("vigil exit", out.returncode)
        sys.exit(1)
    return json.loads(out.stdout.decode().splitlines()[0])


def children(res):
    return [o for o in res["objects"] if o["depth"] > 0]


def ids(res):
    return {f["id"] for f in res["findings"]}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def main():
    if not os.path.isdir(os.path.join(OLETOOLS, "rtfobj")):
        print("skipped: %s is absent" % OLETOOLS)
        return 77
    if not os.access(VIGIL, os.X_OK):
        print("vigil binary not found at", VIGIL)
        return 1

    # issue_251: Equation.3 object, hex full of control words and a group
    res = scan(os.path.join(OLETOOLS, "rtfobj", "issue_251.rtf"))
    ch = children(res)
    check(len(ch) == 1, "issue_251: one object (got %d)" % len(ch))
    if ch:
        o = ch[0]
        check(o["path"] == "issue_251.rtf/object1:equation.3",
              "issue_251: path names the class (%s)" % o["path"])
        check(o["type"] == "ole2", "issue_251: native data is an OLE2 file (%s)" % o["type"])
        # the native data: the OLE2 signature, cut short (3072 bytes declared)
        check(o["sha256"] == sha(bytes.fromhex("D0CF11E0A1B11AE1")),
              "issue_251: native data bytes")
    for want in ("rtf.exploit_class", "rtf.objupdate", "rtf.obfuscated_objdata",
                 "decode.error"):
        check(want in ids(res), "issue_251: finding " + want)
    check(res["verdict"] != "clean", "issue_251: not clean")

    # issue_185: "\objdata 32\bin6 FF}}}" - one raw object, the \bin run
    # taking the bytes to the end of the file
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(os.path.join(OLETOOLS, "rtfobj", "issue_185.rtf.zip")) as z:
            z.extractall(tmp, pwd=b"infected-test")
        res = scan(os.path.join(tmp, "issue_185.rtf"))
    ch = children(res)
    check(len(ch) == 1, "issue_185: one object (got %d)" % len(ch))
    if ch:
        check(ch[0]["path"] == "issue_185.rtf/object1", "issue_185: raw object path")
        check(ch[0]["sha256"] == sha(b"2FF}}}"), "issue_185: bytes are 0x32 + the \\bin run")
    for want in ("rtf.obfuscated_objdata", "rtf.objupdate", "decode.error"):
        check(want in ids(res), "issue_185: finding " + want)

    # the RTF specification: a large clean document, no objects
    res = scan(os.path.join(OLETOOLS, "msodde", "RTF-Spec-1.7.rtf"))
    check(res["objects"][0]["type"] == "rtf", "spec: typed rtf")
    check(len(children(res)) == 0, "spec: no objects (got %d)" % len(children(res)))
    check(not any(i.startswith("rtf.") for i in ids(res)), "spec: no rtf findings")

    if failures:
        print("RESULT: %d checks failed" % len(failures))
        return 1
    print("RESULT: 3 oletools RTF samples as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
