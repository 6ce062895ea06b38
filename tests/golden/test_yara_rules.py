"""The public Yara-Rules set (email + maldocs) compiles in vigil and, run on the
SpamAssassin corpus, matches on each raw message exactly what the `yara`
command (same libyara) matches on the same file.

vigil runs every rule on every object; on the root object (the message as
received) the (file, rule) pairs must equal yara's. A difference means vigil
loaded rules differently or fed YARA different bytes.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SHARED, need_dir, scan, skip  # noqa: E402

RULES = os.path.join(SHARED, "testdata", "rules", "yara-rules")
CORPUS = os.path.join(SHARED, "corpus", "spamassassin")

need_dir(RULES)
need_dir(CORPUS)
if shutil.which("yara") is None:
    skip("SKIP: the yara command is not installed")

# what the reference tool says, rule files given as the index files
ref = set()
p = subprocess.run(["yara", "-w", "-r", "-p", "2",
                    os.path.join(RULES, "email_index.yar"),
                    os.path.join(RULES, "maldocs_index.yar"), CORPUS],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1800)
if p.returncode != 0:
    print(p.stderr.decode())
    sys.exit(1)
for line in p.stdout.decode("utf-8", "replace").splitlines():
    rule, _, path = line.partition(" ")
    if os.path.basename(path) != "SOURCE":
        ref.add((os.path.realpath(path), rule))

# vigil with the rule directory (it skips files the index files include)
rc, reports, err = scan([CORPUS], extra=["--no-default-rules", "--rules", RULES, "-t", "2"])
if rc not in (0, 1):
    print("vigil exited %d: %s" % (rc, err))
    sys.exit(1)
got = set()
objects = 0
matches_any = 0
for r in reports:
    if os.path.basename(r["path"]) == "SOURCE":
        continue
    objects += len(r["objects"])
    for f in r["findings"]:
        if f["id"].startswith("yara."):
            matches_any += 1
            if f["object"] == r["objects"][0]["path"]:
                got.add((os.path.realpath(r["path"]), f["id"][5:]))

missing = sorted(ref - got)
extra = sorted(got - ref)
print("messages: %d, objects scanned: %d" % (len(reports), objects))
print("root-object matches: yara %d, vigil %d; all vigil matches incl. parts: %d"
      % (len(ref), len(got), matches_any))
for m in missing[:20]:
    print("missing in vigil:", m)
for m in extra[:20]:
    print("extra in vigil:", m)
if len(reports) < 6000 or len(ref) == 0:
    print("too few messages or no reference matches: the test would prove nothing")
    sys.exit(1)
if missing or extra:
    sys.exit(1)
print("RESULT: %d rule matches on %d messages identical to yara's; %d more on inner objects"
      % (len(ref), len(reports), matches_any - len(got)))
