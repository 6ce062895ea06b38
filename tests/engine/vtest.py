"""vtest.py - small helpers shared by the script tests that drive `vigil`.

A test collects checks (check(cond, what, detail)) instead of stopping at the
first failure, prints one line per check, and ends with a `RESULT:` line that
tests/run.sh shows in its summary; exit 0 when all passed, 1 otherwise, 77
when the test cannot run here (e.g. vigil was not built).

run() starts vigil with its output in files (no pipe can fill up and block
it), waits with os.wait4() so that the peak memory (max RSS) of exactly that
child is known, and kills it if it outlives the hang guard.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("VIGIL_TOP") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIGIL = os.environ.get("VIGIL") or os.path.join(TOP, "build", "src", "vigil")
SANITIZED = bool(os.environ.get("VIGIL_SANITIZED"))
GEN = os.path.join(TOP, "tests", "gen", "make_samples.py")

VERDICTS = ["clean", "suspicious", "malicious"]
SEVERITIES = ["info", "low", "medium", "high", "critical"]


class Result:
    """What one vigil run did."""

    def __init__(self, rc, out, err, seconds, rss_kb, timed_out):
        self.rc = rc
        self.out = out
        self.err = err
        self.seconds = seconds
        self.rss_kb = rss_kb
        self.timed_out = timed_out

    def json_lines(self):
        """The --json output, one object per input; [] if it does not parse."""
        try:
            return [json.loads(ln) for ln in self.out.splitlines() if ln.strip()]
        except ValueError:
            return []


def run(args, stdin=None, timeout=60, env=None, cwd=None):
    """Runs VIGIL with args; stdin is bytes or None."""
    with tempfile.TemporaryFile() as o, tempfile.TemporaryFile() as e, \
            tempfile.TemporaryFile() as i:
        if stdin is not None:
            i.write(stdin)
            i.seek(0)
        start = time.monotonic()
        p = subprocess.Popen([VIGIL] + list(args), stdin=i, stdout=o, stderr=e,
                             env=env, cwd=cwd)
        timed_out = False
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                os.kill(p.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.005)
        p.returncode = 0  # reaped by wait4; keep Popen from waiting again
        secs = time.monotonic() - start
        rc = os.waitstatus_to_exitcode(status)
        o.seek(0)
        e.seek(0)
        return Result(rc, o.read().decode("utf-8", "replace"), e.read().decode("utf-8", "replace"),
                      secs, ru.ru_maxrss, timed_out)


class Checks:
    def __init__(self, name):
        self.name = name
        self.n = 0
        self.failed = []

    def check(self, cond, what, detail=""):
        self.n += 1
        if cond:
            print("ok    " + what)
        else:
            self.failed.append(what)
            print("FAIL  " + what)
            if detail:
                for ln in str(detail).splitlines():
                    print("        " + ln)
        return bool(cond)

    def finish(self, note=""):
        msg = "%d checks, %d failed" % (self.n, len(self.failed))
        if note:
            msg += "; " + note
        if self.failed:
            print("\nfailed checks:")
            for f in self.failed:
                print("  - " + f)
        print("RESULT: " + msg)
        sys.exit(1 if self.failed else 0)


def need_vigil():
    if not (os.path.isfile(VIGIL) and os.access(VIGIL, os.X_OK)):
        print("vigil binary not found at %s (build first, or set VIGIL)" % VIGIL)
        sys.exit(77)


def generate(outdir, only=None):
    """Runs the sample generator; returns its manifest."""
    argv = [sys.executable, GEN, outdir]
    if only:
        argv += ["--only", only]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        print(r.stdout.decode("utf-8", "replace"))
        raise RuntimeError("make_samples.py failed")
    with open(os.path.join(outdir, "MANIFEST.json"), encoding="utf-8") as f:
        return json.load(f)


def findings_text(report):
    return "\n".join("%s [%s] @ %s" % (f.get("id"), f.get("severity"), f.get("object"))
                     for f in report.get("findings", [])) or "(no findings)"
