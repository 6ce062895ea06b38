#!/usr/bin/env python3
"""Every message vigild can answer with has a Vietnamese text (src/server/tr.c).

Collects the English message ids from src/server/*.c: the formats given to
http_error() and the reasons handed to it through "%s" (assignments to
ch->bad / why / problem, the literals returned by *_problem() functions, the
answers api_agents.c decides inside a transaction with fail()) and
checks that each is a key of the tr_vi table.
"""
import os
import re
import sys

TOP = os.environ.get("VIGIL_TOP") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SRC = os.path.join(TOP, "src", "server")
LIT = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'


def literal(group):
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', group))


def main():
    with open(os.path.join(SRC, "tr.c"), encoding="utf-8") as f:
        table = f.read()
    keys = set()
    for m in re.finditer(r'\{\s*' + LIT + r',\s*' + LIT + r'\}', table):
        keys.add(literal(m.group(1)))
    ids = {}
    for name in sorted(os.listdir(SRC)):
        if not name.endswith(".c") or name == "tr.c":
            continue
        with open(os.path.join(SRC, name), encoding="utf-8") as f:
            s = f.read()
        if "http_error(" not in s:
            continue  # the pure modules (org, report_c20) report through the CLI
        pats = [r'http_error\(\s*rs,\s*[^,]+,\s*[^,]+,\s*' + LIT,
                r'(?:ch->bad|\*why|why|problem)\s*=\s*(?:g_strdup\()?' + LIT,
                r'return\s+' + LIT + r';',
                r'\?\s*NULL\s*:\s*' + LIT,
                r'tr\(rs->lang,\s*' + LIT + r'\)',
                # api_agents.c: an answer chosen inside a transaction
                r'\bfail\(\s*&[^,]+,\s*\d+,\s*"[a-z_]+",\s*' + LIT]
        for pat in pats:
            for m in re.finditer(pat, s):
                text = literal(m.group(1))
                if text != "%s" and " " in text:
                    ids.setdefault(text, name)
    missing = sorted(t for t in ids if t not in keys)
    for t in missing:
        print("no Vietnamese for (%s): %s" % (ids[t], t))
    print("RESULT: %d messages, %d without Vietnamese" % (len(ids), len(missing)))
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
