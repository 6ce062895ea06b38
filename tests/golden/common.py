"""Helpers shared by the golden tests: where things are, and running vigil.

The tests read the shared test data in place (VIGIL_SHARED, default
<repo>/../shared) and run the CLI (VIGIL, default <repo>/build/src/vigil).
"""
import json
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("VIGIL_SHARED") or os.path.join(TOP, "..", "shared")
VIGIL = os.environ.get("VIGIL") or os.path.join(TOP, "build", "src", "vigil")


def skip(msg):
    print(msg)
    sys.exit(77)


def need_dir(path):
    if not os.path.isdir(path):
        skip("SKIP: test data not found at %s (set VIGIL_SHARED)" % path)
    if not os.access(VIGIL, os.X_OK):
        print("vigil binary not found at %s (set VIGIL)" % VIGIL)
        sys.exit(1)


def scan(paths, extra=(), timeout=1800):
    """Runs `vigil scan --json` on paths; returns (exit status, [reports])."""
    cmd = [VIGIL, "scan", "--json", "--no-progress"] + list(extra) + list(paths)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    reports = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            reports.append(json.loads(line))
    return p.returncode, reports, p.stderr.decode("utf-8", "replace")


def input_file(report_path):
    """The file a report came from ("f.msg:2" for the 2nd message of an mbox)."""
    if os.path.exists(report_path):
        return report_path, None
    base, _, n = report_path.rpartition(":")
    if base and n.isdigit():
        return base, int(n)
    return report_path, None
