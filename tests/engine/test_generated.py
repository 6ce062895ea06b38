#!/usr/bin/env python3
"""test_generated.py - vigil against the messages of tests/gen/make_samples.py.

Generates the samples into a temporary folder, scans each one with
`vigil scan --json --ioc OUTDIR/iocs.txt` and checks what MANIFEST.json says
vigil must find: the verdict, each finding id and the object path it is about
(which shows the whole nesting, e.g. msg/2:outer.zip/inner.zip/eicar.com).
On top of the manifest it checks that
  - every finding points at an object of the tree, and the payload findings
    at objects whose SHA-256 is the payload's;
  - decompression bombs are stopped by a limit within a hang guard (30 s)
    and a memory guard (600 MB max RSS of the vigil process), with the
    member that hit the limit flagged truncated;
  - the exit status agrees with the verdict (0 clean, 1 otherwise);
  - the generator is reproducible, and the committed rules/samples/iocs.txt
    is the indicator file it writes.
Files whose wrapper needs an extractor that another branch brings (TNEF)
keep their full assertions; their failures are labelled with what they need.
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtest  # noqa: E402

C = vtest.Checks("generated")


def match_finding(exp, f):
    fid, obj = f.get("id", ""), f.get("object", "")
    if "id" in exp and fid != exp["id"]:
        return False
    if "id_prefix" in exp:
        pre = exp["id_prefix"]
        if not any(fid.startswith(x) for x in (pre if isinstance(pre, list) else [pre])):
            return False
    if "id_any" in exp and fid not in exp["id_any"]:
        return False
    if "object" in exp and obj != exp["object"]:
        return False
    if "object_prefix" in exp and not obj.startswith(exp["object_prefix"]):
        return False
    if "object_suffix" in exp and not obj.endswith(exp["object_suffix"]):
        return False
    return True


def describe(exp):
    pre = exp.get("id_prefix", [])
    idp = exp.get("id") or "|".join(x + "*" for x in (pre if isinstance(pre, list) else [pre])) \
        or "|".join(exp.get("id_any", []))
    where = exp.get("object") or "%s...%s" % (exp.get("object_prefix", ""),
                                              exp.get("object_suffix", ""))
    return "%s @ %s" % (idp, where)


def check_report(label, rep, exp, payloads, note):
    """Checks one input's JSON report against one expectation."""
    v = rep.get("verdict")
    if "verdict" in exp:
        C.check(v == exp["verdict"], "%s: verdict %s%s" % (label, exp["verdict"], note),
                "got %s\n%s" % (v, vtest.findings_text(rep)))
    if "verdict_at_least" in exp:
        want = exp["verdict_at_least"]
        ok = v in vtest.VERDICTS and vtest.VERDICTS.index(v) >= vtest.VERDICTS.index(want)
        C.check(ok, "%s: verdict at least %s%s" % (label, want, note),
                "got %s\n%s" % (v, vtest.findings_text(rep)))
    if "max_severity" in exp:
        cap = vtest.SEVERITIES.index(exp["max_severity"])
        above = [f for f in rep.get("findings", [])
                 if vtest.SEVERITIES.index(f.get("severity", "critical")) > cap]
        C.check(not above, "%s: no finding above %s%s" % (label, exp["max_severity"], note),
                vtest.findings_text({"findings": above}))
    for fe in exp.get("findings", []):
        hit = [f for f in rep.get("findings", []) if match_finding(fe, f)]
        C.check(hit, "%s: finding %s%s" % (label, describe(fe), note),
                "findings were:\n" + vtest.findings_text(rep))
    # every finding is about an object of the tree
    paths = {o.get("path"): o for o in rep.get("objects", [])}
    dangling = [f for f in rep.get("findings", []) if f.get("object") not in paths]
    C.check(not dangling, "%s: every finding names an object of the tree" % label,
            vtest.findings_text({"findings": dangling}))
    # payload findings are about the payload's bytes, and the whole chain of
    # containers above them is in the tree
    for fid, key in (("yara.EICAR_Test_File", "eicar"), ("ioc.hash", "indicator")):
        for f in rep.get("findings", []):
            if f.get("id") != fid or f.get("object") not in paths:
                continue
            o = paths[f["object"]]
            C.check(o.get("sha256") == payloads[key]["sha256"] and
                    o.get("size") == payloads[key]["size"],
                    "%s: %s object %s holds the payload bytes" % (label, fid, f["object"]),
                    json.dumps(o, ensure_ascii=False))
            segs = f["object"].split("/")
            missing = ["/".join(segs[:i]) for i in range(1, len(segs))
                       if "/".join(segs[:i]) not in paths]
            C.check(not missing and o.get("depth") == len(segs) - 1,
                    "%s: containers above %s are all in the tree (depth %d)"
                    % (label, f["object"], len(segs) - 1),
                    "missing: %s; depth %s" % (missing, o.get("depth")))


def scan_entry(out, iocs, e, payloads):
    path = os.path.join(out, e["file"])
    exp = e["expect"]
    label = e["file"]
    note = " (needs the %s extractor)" % ",".join(e["needs"]) if e.get("needs") else ""
    cap_s = exp.get("max_seconds", 60) * (4 if vtest.SANITIZED else 1)
    r = vtest.run(["scan", "--json", "--no-progress", "--ioc", iocs, path], timeout=cap_s)
    if not C.check(not r.timed_out, "%s: scanned within the %d s hang guard" % (label, cap_s),
                   "killed after %.1f s" % r.seconds):
        return
    reps = r.json_lines()
    C.check(r.rc in (0, 1) and reps, "%s: vigil exits 0/1 with JSON output" % label,
            "exit %d\nstderr: %s" % (r.rc, r.err[-2000:]))
    if not reps:
        return
    if "max_rss_mb" in exp:
        cap = exp["max_rss_mb"] * (3 if vtest.SANITIZED else 1)
        C.check(r.rss_kb < cap * 1024, "%s: peak memory %.0f MB below %d MB"
                % (label, r.rss_kb / 1024, cap))
        print("      (%s: %.2f s, %.0f MB max RSS)" % (label, r.seconds, r.rss_kb / 1024))
    any_found = any(rep.get("verdict") != "clean" for rep in reps)
    C.check(r.rc == (1 if any_found else 0),
            "%s: exit status %d matches the verdicts" % (label, 1 if any_found else 0),
            "exit %d" % r.rc)
    if "inputs" in exp:
        C.check(len(reps) == len(exp["inputs"]),
                "%s: split into %d messages" % (label, len(exp["inputs"])),
                "got %d reports: %s" % (len(reps), [x.get("path") for x in reps]))
        for sub in exp["inputs"]:
            rep = [x for x in reps if x.get("path", "").endswith(sub["path_suffix"])]
            if C.check(len(rep) == 1, "%s%s: reported once" % (label, sub["path_suffix"])):
                check_report(label + sub["path_suffix"], rep[0], sub, payloads, note)
        return
    C.check(len(reps) == 1, "%s: one report" % label)
    check_report(label, reps[0], exp, payloads, note)
    if exp.get("truncated_object"):
        trunc = [o["path"] for o in reps[0].get("objects", [])
                 if "truncated" in o.get("flags", [])]
        C.check(trunc, "%s: the member that hit the limit is flagged truncated" % label,
                "\n".join("%s %s" % (o["path"], o.get("flags", []))
                          for o in reps[0].get("objects", [])[:10]))


def main():
    vtest.need_vigil()
    for tool in ("zip", "7z"):
        if shutil.which(tool) is None:
            print("the '%s' program is missing (scripts/install-deps.sh)" % tool)
            sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="vigil-gen-test-")
    try:
        out = os.path.join(tmp, "a")
        m = vtest.generate(out)
        iocs = os.path.join(out, m["indicators"])

        with open(iocs, encoding="utf-8") as a, \
                open(os.path.join(vtest.TOP, "rules", "samples", "iocs.txt"), encoding="utf-8") as b:
            C.check(a.read() == b.read(),
                    "rules/samples/iocs.txt is what make_samples.py --print-iocs writes")

        # reproducible: a second run gives the same bytes where promised
        m2 = vtest.generate(os.path.join(tmp, "b"))
        h2 = {e["file"]: e["sha256"] for e in m2["files"]}
        diff = [e["file"] for e in m["files"] if e["deterministic"] and h2.get(e["file"]) != e["sha256"]]
        C.check(not diff and len(m2["files"]) == len(m["files"]),
                "generator output is reproducible (%d deterministic files)"
                % sum(e["deterministic"] for e in m["files"]), "differ: %s" % diff)
        shutil.rmtree(os.path.join(tmp, "b"))

        bombs = {e["file"]: e for e in m["files"] if e["group"] == "bombs"}
        flat, nested = bombs.get("bombs/flat.eml", {}), bombs.get("bombs/nested.eml", {})
        C.check(flat.get("expands_to", 0) >= 1 << 30 and nested.get("expands_to", 0) >= 100 << 30
                and nested.get("archive_size", 1 << 20) < 1 << 20,
                "bombs: flat expands to >= 1 GiB, nested to >= 100 GiB from < 1 MB",
                json.dumps([(k, e.get("expands_to"), e.get("archive_size"))
                            for k, e in bombs.items()]))

        for e in m["files"]:
            scan_entry(out, iocs, e, m["payloads"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    needs = {e["file"]: e.get("needs", []) for e in m["files"]}
    waiting, other = {}, set()
    for what in C.failed:
        f = what.split(":")[0]
        if needs.get(f):
            for n in needs[f]:
                waiting[n] = waiting.get(n, 0) + 1
        else:
            other.add(f)
    notes = ["%d waiting for the %s extractor" % (k, n) for n, k in sorted(waiting.items())]
    if other:
        notes.append("failing: " + ", ".join(sorted(other)))
    C.finish("; ".join(notes))

if __name__ == "__main__":
    main()
