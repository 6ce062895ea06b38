#!/usr/bin/env python3
"""Golden test: vigil's MIME leaves against stalwart mail-parser's.

The suite (testdata/mime/stalwart/{legacy,malformed,rfc,thirdparty}) has,
for every NAME.eml, stalwart's parse in NAME.json and NAME.crlf.json. Its
harness made them from the message with every line ending turned into LF
(.json) and into CRLF (.crlf.json): we feed vigil the same two variants.

What is compared: every leaf stalwart finds (Text, Html, Binary and
InlineBinary bodies, also inside nested messages) against every leaf vigil
finds (objects with a MIME section whose parent is the message or a
message/rfc822 part), as multisets of content hashes. Normalised, and only
this: Text/Html bodies are stalwart's decoded UTF-8, so vigil's bytes are
decoded with the part's declared charset by Python's codecs first (a part
without charset as UTF-8, "us-ascii" as Latin-1 since stalwart maps 8-bit
bytes in it so; undecodable bytes become U+FFFD as in stalwart); Binary
bodies are compared byte for byte.

Every disagreement is put in a category (tests/golden/STALWART.md explains
each): either an explanation checked on the bytes (e.g. stalwart leaves
x-uuencode undecoded: uudecoding its text gives vigil's bytes), or a
message listed in KNOWN with the reason. The test fails on a disagreement
that has no category, or when agreement drops below PASS_PERCENT.
"""
import base64
import binascii
import codecs
import collections
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# Measured 2026-11 with GMime 3.2.13: see STALWART.md. The margin covers
# other GMime versions deciding a malformed case differently.
PASS_PERCENT = 85.0

MESSAGE_TYPES = ("message/rfc822", "message/global", "message/news", "message/rfc2822")

# Categories of disagreement (STALWART.md has the long form). Those marked
# "checked" are verified on the bytes of each part; the others are listed
# per message in KNOWN.
CATEGORIES = {
    "x-uuencode": "stalwart-specific: stalwart leaves x-uuencode bodies undecoded; "
                  "vigil decodes them as GMime and Thunderbird do (checked: uudecode of "
                  "the part's text gives vigil's bytes)",
    "bad base64": "stalwart-specific: on invalid base64 stalwart keeps the raw text or "
                  "decodes past the '=' padding; vigil skips bytes outside the alphabet "
                  "and stops at the padding, as RFC 2045 allows and Thunderbird does, and "
                  "reports mime.bad_base64 (checked on the part's bytes)",
    "prefix boundary": "ambiguous: a line that starts with a boundary but goes on; "
                       "stalwart takes the innermost boundary it starts with, Dovecot the "
                       "longest (here the exact outer one), as vigil does",
    "outer boundary in unclosed inner multipart": "stalwart-specific: an inner multipart "
                       "is never closed; the outer boundary ends it for GMime, "
                       "Thunderbird and Dovecot, stalwart keeps it as text of the inner part",
    "two Content-Types": "ambiguous: a part with two different Content-Type fields; "
                         "stalwart (and GMime) take the last, vigil the first as Dovecot, "
                         "mime4j, MIME-tools and Python do (reported as "
                         "mime.conflicting_header)",
    "parts without content": "stalwart-specific: parts whose header block is ended by the "
                             "next boundary; stalwart drops them, vigil keeps them as empty "
                             "parts, as IMAP servers and mime4j count them",
    "boundary in mid-line": "stalwart-specific: 'invalid--1--' ends the part for stalwart; "
                            "a boundary starts a line (RFC 2046), so vigil keeps the text",
    "lone CR at end of file": "ambiguous: the file ends in a CR after the last LF; "
                              "stalwart drops it, vigil keeps it (the body runs to the end)",
}
KNOWN = {
    "malformed/000.eml": "parts without content",
    "malformed/001.eml": "prefix boundary",
    "malformed/007.eml": "two Content-Types",
    "malformed/009.eml": "outer boundary in unclosed inner multipart",
    "malformed/011.eml": "outer boundary in unclosed inner multipart",
    "malformed/012.eml": "outer boundary in unclosed inner multipart",
    "malformed/016.eml": "prefix boundary",
    "malformed/020.eml": "two Content-Types",
    "malformed/021.eml": "two Content-Types",
    "thirdparty/005.eml": "boundary in mid-line",
    "legacy/049.eml": "lone CR at end of file",
}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def header(part, name):
    for h in part.get("headers", []):
        if h["name"] == name:
            return h["value"]
    return None


def cte_of(part):
    v = header(part, "content_transfer_encoding")
    if isinstance(v, dict) and "Text" in v:
        return v["Text"].strip().lower()
    return ""


def expected_leaves(doc, raw, out, where=""):
    """Leaves of a stalwart document: (kind, bytes, raw body bytes, cte, id)."""
    for i, p in enumerate(doc["parts"]):
        kind, v = next(iter(p["body"].items()))
        body = raw[p["offset_body"]:p["offset_end"]] if raw is not None else None
        pid = "%s%d" % (where, i)
        if kind in ("Text", "Html"):
            out.append(("text", v.encode("utf-8"), body, cte_of(p), pid))
        elif kind in ("Binary", "InlineBinary"):
            out.append(("bin", bytes(v), body, cte_of(p), pid))
        elif kind == "Message":
            # offsets inside a nested message count from its own start
            inner = raw[p["offset_body"]:p["offset_end"]] if raw is not None else None
            expected_leaves(v, inner, out, pid + ".")
    return out


def decode_text(data, charset):
    cs = (charset or "utf-8").strip().lower()
    if cs in ("us-ascii", "ascii", "us_ascii"):
        cs = "latin-1"
    try:
        name = codecs.lookup(cs).name
    except LookupError:
        name = "utf-8"
    if name.startswith("utf-16") and len(data) % 2:
        data = data[:-1]  # stalwart drops an incomplete last code unit
    return data.decode(name, errors="replace").encode("utf-8")


def vigil_leaves(path, crlf, work):
    """[(object, bytes)] for the MIME leaves vigil finds in a line-ending variant."""
    with open(path, "rb") as f:
        raw = f.read().replace(b"\r\n", b"\n")
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    msg = os.path.join(work, "m.eml")
    out = os.path.join(work, "x")
    shutil.rmtree(out, ignore_errors=True)
    with open(msg, "wb") as f:
        f.write(raw)
    p = subprocess.run([common.VIGIL, "extract", msg, out], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode not in (0, 1):
        raise RuntimeError("vigil extract %s: exit %d %s" % (path, p.returncode, p.stderr[-500:]))
    with open(os.path.join(out, "manifest.json")) as f:
        man = json.load(f)
    objs = {o["index"]: o for o in man["objects"]}
    leaves = []
    for o in man["objects"]:
        parent = objs.get(o["parent"])
        if parent is None or parent["type"] != "email" or "part" not in o:
            continue
        # only the MIME tree: the message and its message/rfc822 parts
        if parent["parent"] is not None and parent.get("content_type") not in MESSAGE_TYPES:
            continue
        if (o.get("content_type") or "") in MESSAGE_TYPES:
            continue
        with open(os.path.join(out, o["file"]), "rb") as f:
            leaves.append((o, f.read()))
    return raw, leaves


def uudecode(data):
    out = bytearray()
    inside = False
    for line in data.replace(b"\r\n", b"\n").split(b"\n"):
        if not inside:
            inside = line.startswith(b"begin ")
            continue
        if line.strip() == b"end":
            break
        if not line:
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            n = (line[0] - 32) & 63
            out += binascii.a2b_uu(line[:1] + line[1:].ljust((n + 2) // 3 * 4, b" "))
    return bytes(out)


def lenient_base64(data):
    """Base64 as RFC 2045 allows: non-alphabet bytes skipped, stop at padding."""
    clean = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
    eq = clean.find(b"=")
    if eq >= 0:
        # the padding completes the last quantum
        clean = clean[:eq]
        if len(clean) % 4 > 1:
            clean += b"=" * (4 - len(clean) % 4)
    # an incomplete last quantum without padding is dropped
    return base64.b64decode(clean[:len(clean) // 4 * 4])


def explain(exp, pool):
    """A checked explanation for an unmatched stalwart leaf, consuming vigil's leaf."""
    kind, data, body, cte, pid = exp
    tries = []
    if cte in ("x-uuencode", "uuencode", "x-uue") and body is not None:
        tries.append(("x-uuencode", uudecode(body)))
    if cte == "base64" and body is not None:
        tries.append(("bad base64", lenient_base64(body)))
    for cat, want in tries:
        h = sha(want)
        for i, (raw_h, text_h, used) in enumerate(pool):
            if not used and raw_h == h:
                pool[i] = (raw_h, text_h, True)
                return cat
    return None


def compare(path, variant_json, crlf, work):
    with open(variant_json) as f:
        doc = json.load(f)
    raw, vl = vigil_leaves(path, crlf, work)
    exp = expected_leaves(doc, raw, [])
    pool = [(sha(d), sha(decode_text(d, o.get("charset"))), False) for o, d in vl]
    unmatched = []
    agree = 0
    for e in exp:
        h = sha(e[1])
        for i, (raw_h, text_h, used) in enumerate(pool):
            if not used and (text_h if e[0] == "text" else raw_h) == h:
                pool[i] = (raw_h, text_h, True)
                agree += 1
                break
        else:
            unmatched.append(e)
    diffs = []
    for e in unmatched:
        diffs.append((e[4], explain(e, pool)))
    extra = sum(1 for x in pool if not x[2])
    return agree, len(exp), extra, diffs


def main():
    data = os.path.join(common.SHARED, "testdata", "mime", "stalwart")
    common.need_dir(data)
    emls = sorted(glob.glob(os.path.join(data, "*", "*.eml")))
    work = tempfile.mkdtemp(prefix="vigil-stalwart-")
    total_agree = total = 0
    full = 0
    cats = collections.OrderedDict()
    unexplained = []
    try:
        for eml in emls:
            rel = os.path.relpath(eml, data)
            all_ok = True
            for crlf, suffix in ((False, ".json"), (True, ".crlf.json")):
                js = eml[:-4] + suffix
                if not os.path.exists(js):
                    continue
                agree, n, extra, diffs = compare(eml, js, crlf, work)
                total_agree += agree
                total += n + extra
                if agree == n and extra == 0:
                    continue
                all_ok = False
                variant = "CRLF" if crlf else "LF"
                for pid, cat in diffs:
                    cat = cat or KNOWN.get(rel)
                    if cat is None:
                        unexplained.append("%s (%s) stalwart part %s has no match" % (rel, variant, pid))
                        continue
                    cats.setdefault(cat, []).append("%s part %s (%s)" % (rel, pid, variant))
                if extra:
                    if rel in KNOWN:
                        cats.setdefault(KNOWN[rel], []).append(
                            "%s: %d more in vigil (%s)" % (rel, extra, variant))
                    else:
                        unexplained.append("%s (%s): %d vigil leaves stalwart does not have"
                                           % (rel, variant, extra))
            if all_ok:
                full += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("Disagreements by category:")
    for cat, where in cats.items():
        print("- %s (%d): %s" % (cat, len(where), CATEGORIES[cat]))
        for w in where:
            print("    " + w)
    if unexplained:
        print("UNEXPLAINED:")
        for u in unexplained:
            print("  " + u)
    pct = 100.0 * total_agree / total if total else 0.0
    print("RESULT: %.1f%% of parts agree (%d/%d); messages fully agreeing %d/%d"
          % (pct, total_agree, total, full, len(emls)))
    if unexplained:
        print("FAIL: %d disagreements without a category" % len(unexplained))
        return 1
    if pct < PASS_PERCENT:
        print("FAIL: agreement below %.1f%%" % PASS_PERCENT)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
