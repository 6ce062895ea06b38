#!/usr/bin/env python3
"""Robustness over every message we have: the MIME suites and SpamAssassin.

Scans testdata/mime (all suites, every file) and corpus/spamassassin with
`vigil scan --json` on the directories, and checks that:
- vigil exits 0 or 1 (never 2, never a signal) within TIMEOUT seconds;
- there is one report per input and no limit.* finding: these corpora are
  benign, a limit hit here means a limit is set too low or a loop runs away;
- no single message takes more than SLOW_MS;
- parser anomaly findings (mime.*) stay rare on ordinary ham (easy_ham,
  easy_ham_2: at most HAM_MAX percent of messages with one above "info")
  and show up on the malformed suites (at least MALFORMED_MIN percent of
  stalwart/malformed).
The RESULT line gives the throughput in messages per second (one thread).
"""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

TIMEOUT = 900
SLOW_MS = 5000
HAM_MAX = 2.0
MALFORMED_MIN = 70.0


def main():
    mime = os.path.join(common.SHARED, "testdata", "mime")
    sa = os.path.join(common.SHARED, "corpus", "spamassassin")
    common.need_dir(mime)
    common.need_dir(sa)
    files = sum(len(fs) for d in (mime, sa) for _, _, fs in os.walk(d))
    start = time.monotonic()
    try:
        rc, reports, err = common.scan([mime, sa], timeout=TIMEOUT)
    except Exception as e:  # timeout
        print("FAIL: vigil scan did not finish: %s" % e)
        return 1
    secs = time.monotonic() - start
    bad = []
    if rc not in (0, 1):
        bad.append("vigil scan exited %d (%s)" % (rc, err.strip()[-300:]))
    if len(reports) < files:
        bad.append("%d reports for %d files" % (len(reports), files))
    kinds = collections.Counter()
    slow = []
    ham = collections.Counter()
    malformed = collections.Counter()
    for r in reports:
        path = r["path"]
        ids = [f["id"] for f in r["findings"]]
        for f in r["findings"]:
            if f["id"].startswith("limit."):
                bad.append("%s: %s %s" % (path, f["id"], f.get("evidence", "")))
        if r.get("elapsed_ms", 0) > SLOW_MS:
            slow.append("%s: %.0f ms" % (path, r["elapsed_ms"]))
        noisy = [f for f in r["findings"]
                 if f["id"].startswith("mime.") and f["severity"] != "info"]
        for i in set(ids):
            if i.startswith("mime."):
                kinds[i] += 1
        parts = path.replace(os.sep, "/").split("/")
        if "easy_ham" in parts or "easy_ham_2" in parts:
            ham["all"] += 1
            ham["noisy"] += 1 if noisy else 0
        if "malformed" in parts and "stalwart" in parts and path.endswith(".eml"):
            malformed["all"] += 1
            malformed["flagged"] += 1 if any(i.startswith("mime.") for i in ids) else 0
    ham_pct = 100.0 * ham["noisy"] / ham["all"] if ham["all"] else 0.0
    mal_pct = 100.0 * malformed["flagged"] / malformed["all"] if malformed["all"] else 0.0
    print("mime.* findings, messages with each kind: %s" % dict(kinds.most_common()))
    print("easy_ham: %d/%d messages (%.2f%%) with a mime.* finding above info"
          % (ham["noisy"], ham["all"], ham_pct))
    print("stalwart/malformed: %d/%d messages (%.0f%%) with a mime.* finding"
          % (malformed["flagged"], malformed["all"], mal_pct))
    if ham_pct > HAM_MAX:
        bad.append("ham too noisy: %.2f%% > %.1f%%" % (ham_pct, HAM_MAX))
    if mal_pct < MALFORMED_MIN:
        bad.append("malformed suite not flagged: %.0f%% < %.0f%%" % (mal_pct, MALFORMED_MIN))
    bad += ["slow: " + s for s in slow]
    for b in bad[:50]:
        print("FAIL: " + b)
    print("RESULT: %d messages in %.1f s (%.0f messages/s), %d problems"
          % (len(reports), secs, len(reports) / secs if secs else 0.0, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
