#!/usr/bin/env python3
"""test_cli.py - the contract of the `vigil` command line.

  - `vigil scan` exit status: 0 all clean, 1 something found, 2 an error
    (missing input, bad rules, bad or missing indicator file, bad option),
    with a message on stderr that names the culprit and what to do;
  - `--json`: one object per input with path, verdict, score, objects[]
    (path, type, name, size, sha256, md5, depth) and findings[] (id,
    severity, title, object, attack), hashes true to the input's bytes;
  - directories are walked recursively, in sorted order, without following
    symbolic links; mbox files are split into messages (FILE:N); `-` is stdin;
    -t N gives the same results as one thread;
  - `--help` on every subcommand; `--lang vi` (and VIGIL_LANG=vi) Vietnamese;
  - `vigil extract MSG DIR` writes every object and manifest.json, refuses a
    non-empty DIR, and attachment names such as ../../etc/passwd, /tmp/x or
    ..\\..\\x never write outside DIR (checked on the file system);
  - the progress line appears on stderr only when stderr is a terminal
    (checked with script(1) when it is installed).
Messages are built with tests/gen/make_samples.py's helpers.
"""
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
sys.path.insert(0, os.path.join(HERE, "..", "gen"))
import vtest  # noqa: E402
import make_samples as ms  # noqa: E402

C = vtest.Checks("cli")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
ATTACK = re.compile(r"^T\d{4}(\.\d{3})?$")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def eicar_msg(tag="eicar"):
    return ms.message(tag, "Tài liệu", ("Phòng TCCB", "tccb@" + ms.INTERNAL), ms.STAFF,
                      ms.mixed(tag, ms.text("Xem tệp đính kèm.\n"),
                               ms.attachment("tailieu.zip", ms.zip_bytes([("eicar.com", ms.EICAR)]),
                                             "application/zip")))


def clean_msg(tag="clean"):
    return ms.newsletter(tag)


def scan_json(args, **kw):
    r = vtest.run(["scan", "--json", "--no-progress"] + args, **kw)
    return r, r.json_lines()


# ---------------------------------------------------------------- exit status


def test_exit_status(t):
    clean = write(os.path.join(t, "x", "clean.eml"), clean_msg())
    bad = write(os.path.join(t, "x", "eicar.eml"), eicar_msg())
    r = vtest.run(["scan", "--no-progress", clean])
    C.check(r.rc == 0, "scan: a clean message exits 0", "exit %d\n%s%s" % (r.rc, r.out, r.err))
    r = vtest.run(["scan", "--no-progress", bad])
    C.check(r.rc == 1, "scan: a message with EICAR exits 1", "exit %d\n%s" % (r.rc, r.out))
    r = vtest.run(["scan", "--no-progress", clean, bad])
    C.check(r.rc == 1, "scan: clean + found exits 1", "exit %d" % r.rc)

    missing = os.path.join(t, "x", "khong-co.eml")
    r = vtest.run(["scan", "--no-progress", missing])
    C.check(r.rc == 2 and missing in r.err and "No such file" in r.err,
            "scan: a missing input exits 2 and names the path and the reason",
            "exit %d, stderr: %r" % (r.rc, r.err))
    r = vtest.run(["scan", "--no-progress", bad, missing])
    C.check(r.rc == 2, "scan: an error wins over a finding (exit 2)", "exit %d" % r.rc)

    rules = write(os.path.join(t, "x", "bad.yar"), "rule broken {\n  condition:\n}\n")
    r = vtest.run(["scan", "--no-progress", "--rules", rules, clean])
    C.check(r.rc == 2 and "bad.yar:" in r.err and "fix the rule files" in r.err,
            "scan: a bad rule file exits 2, shows file:line and says to fix it",
            "exit %d, stderr: %r" % (r.rc, r.err))
    r = vtest.run(["scan", "--no-progress", "--rules", os.path.join(t, "x", "nope.yar"), clean])
    C.check(r.rc == 2 and "nope.yar" in r.err, "scan: a missing rule file exits 2 and names it",
            "exit %d, stderr: %r" % (r.rc, r.err))

    iocs = write(os.path.join(t, "x", "bad-iocs.txt"),
                 "# ok\n%s\nsha256:12ab\ndomain: ok.example\n" % ms.IOC_SHA256)
    r = vtest.run(["scan", "--no-progress", "--ioc", iocs, clean])
    C.check(r.rc == 2 and "bad-iocs.txt:3" in r.err and "fix the lines" in r.err,
            "scan: a bad indicator line exits 2, shows file:line and says to fix it",
            "exit %d, stderr: %r" % (r.rc, r.err))
    r = vtest.run(["scan", "--no-progress", "--ioc", os.path.join(t, "x", "nope.txt"), clean])
    C.check(r.rc == 2 and "nope.txt" in r.err and "cannot open" in r.err,
            "scan: a missing indicator file exits 2 and names it",
            "exit %d, stderr: %r" % (r.rc, r.err))
    r = vtest.run(["scan", "--no-progress", "--limit", "depht=3", clean])
    C.check(r.rc == 2 and "depth" in r.err and "mime_depth" in r.err,
            "scan: a bad --limit exits 2 and lists the limit names", "stderr: %r" % r.err)
    r = vtest.run(["scan"])
    C.check(r.rc == 2 and "--help" in r.err, "scan: no input exits 2 and points to --help",
            "exit %d, stderr: %r" % (r.rc, r.err))
    r = vtest.run(["frobnicate"])
    C.check(r.rc == 2 and "vigil --help" in r.err, "an unknown command exits 2 and points to --help",
            "exit %d, stderr: %r" % (r.rc, r.err))
    r = vtest.run([])
    C.check(r.rc == 2 and "Usage" in r.err, "no command: usage on stderr, exit 2")


# ---------------------------------------------------------------- JSON


def check_report_shape(label, rep, data=None):
    ok = (isinstance(rep.get("path"), str) and rep.get("verdict") in vtest.VERDICTS and
          isinstance(rep.get("score"), int) and 0 <= rep["score"] <= 100 and
          isinstance(rep.get("objects"), list) and isinstance(rep.get("findings"), list))
    C.check(ok, "%s: path, verdict, score, objects[], findings[] present" % label,
            json.dumps(rep, ensure_ascii=False)[:500])
    if not ok:
        return
    bad = []
    for o in rep["objects"]:
        if not (isinstance(o.get("path"), str) and isinstance(o.get("type"), str) and
                (o.get("name") is None or isinstance(o.get("name"), str)) and
                isinstance(o.get("size"), int) and HEX64.match(o.get("sha256", "")) and
                HEX32.match(o.get("md5", "")) and isinstance(o.get("depth"), int)):
            bad.append(o)
    C.check(rep["objects"] and not bad,
            "%s: every object has path, type, name, size, sha256, md5, depth" % label,
            json.dumps(bad[:3], ensure_ascii=False))
    paths = {o["path"] for o in rep["objects"]}
    bad = [f for f in rep["findings"]
           if not (isinstance(f.get("id"), str) and f.get("severity") in vtest.SEVERITIES and
                   isinstance(f.get("title"), str) and f["title"] and f.get("object") in paths and
                   isinstance(f.get("attack"), list) and
                   all(isinstance(a, str) and ATTACK.match(a) for a in f["attack"]))]
    C.check(not bad, "%s: every finding has id, severity, title, object (in the tree), attack[]"
            % label, json.dumps(bad[:3], ensure_ascii=False))
    if data is not None:
        root = rep["objects"][0]
        C.check(root["sha256"] == hashlib.sha256(data).hexdigest() and
                root["md5"] == hashlib.md5(data).hexdigest() and root["size"] == len(data) and
                root["depth"] == 0,
                "%s: the root object's size and hashes are the input's" % label,
                json.dumps(root, ensure_ascii=False))


def test_json(t):
    data = eicar_msg()
    p = write(os.path.join(t, "j", "eicar.eml"), data)
    r, reps = scan_json([p])
    C.check(r.rc == 1 and len(reps) == 1 and reps[0]["path"] == p,
            "json: one line per input, path as given", r.out[:500])
    if reps:
        check_report_shape("json", reps[0], data)
        ids = {(f["id"], f["object"]) for f in reps[0]["findings"]}
        C.check(("yara.EICAR_Test_File", "msg/2:tailieu.zip/eicar.com") in ids and
                reps[0]["verdict"] == "malicious",
                "json: EICAR found at msg/2:tailieu.zip/eicar.com, malicious",
                vtest.findings_text(reps[0]))
        f = [x for x in reps[0]["findings"] if x["id"] == "yara.EICAR_Test_File"]
        C.check(f and f[0]["severity"] == "critical" and f[0]["attack"] == ["T1204.002"],
                "json: the rule's severity and ATT&CK id come through", json.dumps(f))

    # stdin
    r, reps = scan_json(["-"], stdin=data)
    C.check(r.rc == 1 and len(reps) == 1 and reps[0]["path"] == "-" and
            reps[0]["verdict"] == "malicious",
            "stdin: '-' is scanned as one input named -", r.out[:300] + r.err)
    if reps:
        check_report_shape("stdin", reps[0], data)
    r, reps = scan_json(["-"], stdin=clean_msg())
    C.check(r.rc == 0 and len(reps) == 1 and reps[0]["verdict"] == "clean",
            "stdin: a clean message on stdin exits 0", r.out[:300])


# ---------------------------------------------------------------- inputs


def test_inputs(t):
    d = os.path.join(t, "tree")
    files = {
        "a.eml": clean_msg("a"),
        "sub/b.eml": eicar_msg("b"),
        "sub/deeper/c.eml": clean_msg("c"),
        "sub/deeper/deepest/d.eml": eicar_msg("d"),
        "z.txt": b"plain text, nothing to see\n",
    }
    for rel, data in files.items():
        write(os.path.join(d, rel), data)
    outside = write(os.path.join(t, "outside", "e.eml"), eicar_msg("e"))
    os.symlink(outside, os.path.join(d, "sub", "link.eml"))
    os.symlink(d, os.path.join(d, "sub", "deeper", "loop"))  # a cycle
    r, reps = scan_json([d], timeout=60)
    got = [x["path"] for x in reps]
    want = sorted(os.path.join(d, rel) for rel in files)
    C.check(sorted(got) == want and not r.timed_out,
            "directories: every regular file, recursively, symlinks not followed",
            "got %s\nwant %s" % (got, want))
    C.check(got == sorted(got), "directories: reported in sorted order", "%s" % got)
    verdicts = {x["path"][len(d) + 1:]: x["verdict"] for x in reps}
    C.check(verdicts.get("sub/deeper/deepest/d.eml") == "malicious" and
            verdicts.get("a.eml") == "clean" and r.rc == 1,
            "directories: verdicts per file, exit 1", json.dumps(verdicts))
    r2, reps2 = scan_json(["-t", "2", d])
    C.check(sorted((x["path"], x["verdict"], x["score"]) for x in reps2) ==
            sorted((x["path"], x["verdict"], x["score"]) for x in reps) and r2.rc == r.rc,
            "threads: -t 2 gives the same results as one thread")

    # mbox
    msgs = [("tccb@" + ms.INTERNAL, clean_msg("m1")), ("x@mail.example", eicar_msg("m2")),
            ("ttcntt@" + ms.INTERNAL, clean_msg("m3")), ("y@mail.example", eicar_msg("m4"))]
    mb = write(os.path.join(t, "mbox", "inbox"), ms.mbox(msgs))
    r, reps = scan_json([mb])
    C.check([x["path"] for x in reps] == ["%s:%d" % (mb, i) for i in range(1, 5)],
            "mbox: split into messages named FILE:1..FILE:4", "%s" % [x["path"] for x in reps])
    C.check([x["verdict"] for x in reps] == ["clean", "malicious", "clean", "malicious"],
            "mbox: each message has its own verdict", "%s" % [x["verdict"] for x in reps])
    C.check(all(x["objects"] and x["objects"][0]["path"] == "msg" and
                x["objects"][0]["type"] == "email" for x in reps),
            "mbox: each message is parsed as an email")
    one = write(os.path.join(t, "mbox", "single"), ms.mbox(msgs[1:2]))
    r, reps = scan_json([one])
    C.check([x["path"] for x in reps] == [one] and reps[0]["verdict"] == "malicious",
            "mbox: a single message with a From_ line is one input", r.out[:300])

    # --type: the caller knows what the input is
    body = eicar_msg("typed")
    if isinstance(body, str):
        body = body.encode("utf-8")
    plain = write(os.path.join(t, "typed", "no-headers.txt"), b"Xin chao\n\n" + body)
    r, reps = scan_json([plain])
    C.check(reps and reps[0]["objects"][0]["type"] != "email",
            "--type: without it, text before the headers is not a message",
            json.dumps(reps[0]["objects"][0]) if reps else r.err)
    r, reps = scan_json(["--type", "email", plain])
    C.check(reps and reps[0]["objects"][0]["type"] == "email",
            "--type email: the input is read as a message whatever its first bytes",
            json.dumps(reps[0]["objects"][:2]) if reps else r.err)
    r = vtest.run(["scan", "--type", "nonsense", plain])
    C.check(r.rc == 2 and "nonsense" in r.err and "email" in r.err,
            "--type: an unknown type exits 2 and lists some known ones", r.err)


# ---------------------------------------------------------------- help, language


def test_help_lang(t):
    r = vtest.run(["--help"])
    cmds = []
    if "Commands:" in r.out:
        for ln in r.out.split("Commands:", 1)[1].splitlines():
            m = re.match(r"^  (\w[\w-]*)\s", ln)
            if m:
                cmds.append(m.group(1))
    C.check(r.rc == 0 and "scan" in cmds and "extract" in cmds,
            "--help: exit 0 and lists the commands", r.out)
    for c in cmds:
        r = vtest.run([c, "--help"])
        if c == "version":
            C.check(r.rc == 0 and r.out.startswith("vigil "), "version --help: exit 0", r.out)
            continue
        C.check(r.rc == 0 and r.out.startswith("Usage: vigil " + c) and not r.err,
                "%s --help: usage on stdout, exit 0" % c, "exit %d\n%s%s" % (r.rc, r.out, r.err))
    r = vtest.run(["scan", "--bogus-option", "x"])
    C.check(r.rc == 2 and "Usage: vigil scan" in r.err, "scan: an unknown option exits 2 with usage")

    p = write(os.path.join(t, "lang", "eicar.eml"), eicar_msg())
    r = vtest.run(["scan", "--no-progress", "--lang", "vi", p])
    C.check(r.rc == 1 and "ĐỘC HẠI" in r.out and "Tệp thử nghiệm chống mã độc EICAR" in r.out and
            "điểm" in r.out, "--lang vi: verdict and finding titles in Vietnamese", r.out)
    r = vtest.run(["scan", "--no-progress", "--lang", "en", p])
    C.check("MALICIOUS" in r.out and "ĐỘC HẠI" not in r.out, "--lang en: English", r.out)
    env = dict(os.environ, VIGIL_LANG="vi")
    r = vtest.run(["scan", "--no-progress", p], env=env)
    C.check("ĐỘC HẠI" in r.out, "VIGIL_LANG=vi: Vietnamese without the option", r.out)
    r, reps = scan_json(["--lang", "vi", p])
    titles = [f["title"] for x in reps for f in x["findings"]]
    C.check(reps and "Tệp thử nghiệm chống mã độc EICAR" in titles and
            reps[0]["verdict"] == "malicious",
            "--lang vi --json: titles in Vietnamese, ids and verdicts stay English", "%s" % titles)
    r = vtest.run(["scan", "--lang", "fr", p])
    C.check(r.rc == 2 and "vi or en" in r.err, "--lang fr: exit 2, says which languages exist",
            r.err)
    r = vtest.run(["scan", "--no-progress", "--lang", "vi", os.path.join(t, "lang", "khong.eml")])
    C.check(r.rc == 2 and "không mở được" in r.err, "--lang vi: error messages in Vietnamese",
            r.err)


# ---------------------------------------------------------------- extract


def hostile_msg(probe_abs):
    """Attachment and archive member names that try to leave the output folder."""
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name in ("../../tar_escape.txt", "/" + probe_abs.lstrip("/") + "_tar"):
            ti = tarfile.TarInfo(name)
            body = b"tar member " + name.encode() + b"\n"
            ti.size = len(body)
            ti.mtime = ms.EPOCH
            tf.addfile(ti, io.BytesIO(body))
    z = ms.zip_bytes([("../../zip_escape.txt", b"zip member\n"),
                      (probe_abs + "_zip", b"zip absolute member\n"),
                      ("..\\..\\zip_backslash.txt", b"zip backslash member\n"),
                      ("ok/nested/name.txt", b"fine\n")])
    parts = [ms.text("Tệp đính kèm.\n"),
             ms.attachment("../../etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
             ms.attachment(probe_abs, b"absolute path attachment\n"),
             ms.attachment("..\\..\\x", b"backslash attachment\n"),
             ms.attachment(".hidden", b"dot file\n"),
             ms.attachment("..", b"dot dot\n"),
             ms.attachment("members.zip", z, "application/zip"),
             ms.attachment("members.tar", tar.getvalue(), "application/x-tar")]
    return ms.message("hostile", "Tên tệp nguy hiểm", ("x", "x@mail.example"), ms.STAFF,
                      ms.mixed("hostile", *parts))


def snapshot(root):
    out = set()
    for dp, dns, fns in os.walk(root):
        for n in dns + fns:
            out.add(os.path.relpath(os.path.join(dp, n), root))
    return out


def test_extract(t):
    sandbox = os.path.join(t, "sandbox")
    os.makedirs(os.path.join(sandbox, "a", "b"))
    write(os.path.join(sandbox, "sentinel.txt"), "do not touch\n")
    probe = os.path.join(tempfile.gettempdir(), "vigil-escape-probe-%d" % os.getpid())
    for suffix in ("", "_zip", "_tar"):
        if os.path.exists(probe + suffix):
            os.remove(probe + suffix)
    data = hostile_msg(probe)
    msg = write(os.path.join(sandbox, "hostile.eml"), data)
    before = snapshot(sandbox)
    out = os.path.join(sandbox, "a", "b", "out")
    # relative DIR, run from its parent: a "../../" that slipped through,
    # relative to DIR or to the working folder, would land in the sandbox
    r = vtest.run(["extract", msg, "out"], cwd=os.path.dirname(out))
    C.check(r.rc in (0, 1), "extract: runs (exit 0/1)", "exit %d\n%s" % (r.rc, r.err))
    after = snapshot(sandbox)
    new = sorted(after - before)
    escaped = [p for p in new if not (p == os.path.join("a", "b", "out") or
                                      p.startswith(os.path.join("a", "b", "out") + os.sep))]
    C.check(not escaped, "extract: nothing written outside DIR (sandbox unchanged)",
            "new paths outside DIR: %s" % escaped)
    C.check(not any(os.path.exists(probe + s) for s in ("", "_zip", "_tar")),
            "extract: absolute attachment/member names did not write %s*" % probe)
    with open(os.path.join(sandbox, "sentinel.txt")) as f:
        C.check(f.read() == "do not touch\n", "extract: files beside DIR untouched")
    if not os.path.isdir(out):
        C.check(False, "extract: DIR created")
        return
    entries = os.listdir(out)
    C.check(all(os.path.isfile(os.path.join(out, e)) and not os.path.islink(os.path.join(out, e))
                for e in entries),
            "extract: DIR holds only regular files (flat, no links)", "%s" % entries)
    C.check(all(not e.startswith(".") and "/" not in e and "\\" not in e for e in entries),
            "extract: no file name starts with '.' or holds '/' or '\\'", "%s" % entries)
    man = None
    if "manifest.json" in entries:
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
    C.check(man is not None, "extract: manifest.json written")
    if man is None:
        return
    objs = man.get("objects", [])
    C.check(len(entries) == len(objs) + 1 and all(o.get("file") in entries for o in objs),
            "extract: one file per object (%d) plus manifest.json" % len(objs),
            "files %d, objects %d" % (len(entries), len(objs)))
    wrong = []
    for o in objs:
        fp = os.path.join(out, o.get("file", ""))
        if os.path.isfile(fp) and "truncated" not in o.get("flags", []):
            with open(fp, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != o["sha256"]:
                    wrong.append(o["path"])
    C.check(not wrong, "extract: every file's SHA-256 is its object's", "%s" % wrong)
    names = {o.get("name") for o in objs}
    C.check({"../../etc/passwd", probe, "..\\..\\x", "../../zip_escape.txt",
             "../../tar_escape.txt"} <= names,
            "extract: the hostile names are kept in the manifest (not silently dropped)",
            "%s" % sorted(n for n in names if n))
    root = objs[0] if objs else {}
    C.check(root.get("sha256") == hashlib.sha256(data).hexdigest(),
            "extract: the first file is the message itself")

    # a non-empty DIR is refused and left as it was
    busy = os.path.join(t, "busy")
    write(os.path.join(busy, "keep.txt"), "mine\n")
    r = vtest.run(["extract", msg, busy])
    C.check(r.rc == 2 and "empty" in r.err and os.listdir(busy) == ["keep.txt"],
            "extract: a non-empty DIR is refused (exit 2) and left alone",
            "exit %d, stderr %r, contents %s" % (r.rc, r.err, os.listdir(busy)))
    r = vtest.run(["extract", os.path.join(t, "nope.eml"), os.path.join(t, "never")])
    C.check(r.rc == 2 and not os.path.exists(os.path.join(t, "never")),
            "extract: a missing message exits 2 and creates no DIR", r.err)
    r = vtest.run(["extract", msg])
    C.check(r.rc == 2 and "Usage" in r.err, "extract: a missing DIR argument exits 2 with usage")
    # a nested zip bomb: what extract writes is bounded by the total limit
    z, _ = ms.nested_bomb()
    bm = write(os.path.join(t, "x3", "bomb.eml"),
               ms.message("xbomb", "bomb", ("x", "x@mail.example"), ms.STAFF,
                          ms.mixed("xbomb", ms.text("x\n"),
                                   ms.attachment("42.zip", z, "application/zip"))))
    bout = os.path.join(t, "x3", "out")
    r = vtest.run(["extract", "--limit", "total_bytes=16m", bm, bout], timeout=60)
    written = sum(os.path.getsize(os.path.join(bout, n)) for n in os.listdir(bout)) \
        if os.path.isdir(bout) else -1
    cap = (16 << 20) + 4 * os.path.getsize(bm) + (1 << 20)
    C.check(r.rc == 1 and 0 < written <= cap,
            "extract: a nested zip bomb writes at most the total_bytes limit (%.1f MB written)"
            % (written / 1e6), "exit %d, %d bytes written, cap %d\n%s" % (r.rc, written, cap, r.err))
    shutil.rmtree(bout, ignore_errors=True)
    # EICAR message: exit status follows the verdict
    em = write(os.path.join(t, "x2", "eicar.eml"), eicar_msg())
    r = vtest.run(["extract", em, os.path.join(t, "x2", "out")])
    C.check(r.rc == 1, "extract: exit 1 when something was found", "exit %d" % r.rc)


# ---------------------------------------------------------------- progress


def test_progress(t):
    a = write(os.path.join(t, "p", "a.eml"), clean_msg("pa"))
    b = write(os.path.join(t, "p", "b.eml"), eicar_msg("pb"))
    r = vtest.run(["scan", "--json", a, b])
    C.check(r.err == "", "progress: nothing on stderr when it is not a terminal", repr(r.err))
    script = shutil.which("script")
    if script is None:
        print("skip  progress on a terminal: script(1) not installed")
        return
    outp = os.path.join(t, "p", "out.json")

    def on_tty(extra):
        cmd = " ".join(shlex.quote(x) for x in [vtest.VIGIL, "scan", "--json"] + extra + [a, b])
        cmd += " >" + shlex.quote(outp)
        # script runs the command on a pseudo-terminal: what it prints is
        # what the command wrote to the terminal, here stderr only
        p = subprocess.run([script, "-qec", cmd, "/dev/null"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=60)
        with open(outp, encoding="utf-8") as f:
            lines = [json.loads(x) for x in f if x.strip()]
        return p.returncode, p.stdout.decode("utf-8", "replace"), lines

    rc, tty, lines = on_tty([])
    C.check(re.search(r"\[2/2\]", tty) is not None,
            "progress: a [done/total] line on stderr when it is a terminal", repr(tty))
    C.check(len(lines) == 2 and rc == 1, "progress: stdout still carries clean JSON lines",
            "rc %d, %d lines" % (rc, len(lines)))
    rc, tty, lines = on_tty(["--no-progress"])
    C.check("[2/2]" not in tty and len(lines) == 2, "progress: --no-progress silences it",
            repr(tty))


def main():
    vtest.need_vigil()
    t = tempfile.mkdtemp(prefix="vigil-cli-test-")
    try:
        for fn in (test_exit_status, test_json, test_inputs, test_help_lang, test_extract,
                   test_progress):
            print("# " + fn.__name__)
            fn(t)
    finally:
        shutil.rmtree(t, ignore_errors=True)
    C.finish()


if __name__ == "__main__":
    main()
