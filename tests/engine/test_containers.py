"""Every container format of issue 2 unpacks: a payload (EICAR) inside each of
rar, cab, cpio (newc and odc), iso9660, bzip2, xz, gzip, tar, 7z, zip and ODF is
found at the exact path, with the payload's hash.

Archives are made here: rar by hand (RAR 4 format, stored method, header
CRCs as the format defines them), cpio newc by hand, the others with the
Debian tools (cpio, genisoimage, gcab, 7z) or Python's modules.
"""
import bz2
import gzip
import hashlib
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtest  # noqa: E402

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
SHA = hashlib.sha256(EICAR).hexdigest()
NAME = "eicar.com"


def rar4_stored(name, data):
    """RAR 4.x archive with one stored file."""
    def block(htype, flags, body):
        size = 7 + len(body)
        head = struct.pack("<BHH", htype, flags, size) + body
        crc = zlib.crc32(head) & 0xFFFF
        return struct.pack("<H", crc) + head
    out = b"Rar!\x1a\x07\x00"
    out += block(0x73, 0, struct.pack("<HI", 0, 0))
    n = name.encode()
    body = struct.pack("<IIBIIBBHI", len(data), len(data), 0, zlib.crc32(data),
                       0x5A210000, 20, 0x30, len(n), 0x20) + n
    out += block(0x74, 0x8000, body) + data
    out += block(0x7B, 0x4000, b"")
    return out


def cpio_newc(name, data):
    def entry(nm, d, mode, ino):
        nb = nm.encode() + b"\0"
        hdr = b"070701" + b"".join(b"%08X" % v for v in (
            ino, mode, 0, 0, 1, 0, len(d), 0, 0, 0, 0, len(nb), 0))
        rec = hdr + nb
        rec += b"\0" * (-len(rec) % 4)
        rec += d + b"\0" * (-len(d) % 4)
        return rec
    return entry(name, data, 0o100644, 1) + entry("TRAILER!!!", b"", 0, 0)


def main():
    vtest.need_vigil()
    c = vtest.Checks("containers")
    tmp = tempfile.mkdtemp(prefix="vigil-containers-")
    try:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, NAME), "wb") as f:
            f.write(EICAR)
        files = {}  # file name -> expected object path suffix

        def put(fname, data, suffix):
            with open(os.path.join(tmp, fname), "wb") as f:
                f.write(data)
            files[fname] = suffix

        put("x.rar", rar4_stored(NAME, EICAR), "x.rar/" + NAME)
        put("x.cpio", cpio_newc(NAME, EICAR), "x.cpio/" + NAME)
        put("eicar.com.bz2", bz2.compress(EICAR), "eicar.com.bz2/" + NAME)
        put("eicar.com.xz", lzma.compress(EICAR), "eicar.com.xz/" + NAME)
        put("eicar.com.gz", gzip.compress(EICAR, mtime=0), "eicar.com.gz/" + NAME)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            ti = tarfile.TarInfo(NAME)
            ti.size = len(EICAR)
            t.addfile(ti, io.BytesIO(EICAR))
        put("x.tar.xz", lzma.compress(buf.getvalue()), "x.tar.xz/x.tar/" + NAME)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            z.writestr("Pictures/" + NAME, EICAR)
        put("x.odt", buf.getvalue(), "x.odt/Pictures/" + NAME)

        def tool(fname, argv, suffix):
            if shutil.which(argv[0]) is None:
                c.check(False, "%s: tool %s installed (scripts/install-deps.sh)" % (fname, argv[0]))
                return
            r = subprocess.run(argv, cwd=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            c.check(r.returncode == 0, "%s: %s made it" % (fname, argv[0]), r.stdout.decode())
            files[fname] = suffix

        tool("x.odc.cpio", ["sh", "-c", "echo %s | cpio -o -H odc > ../x.odc.cpio" % NAME],
             "x.odc.cpio/" + NAME)
        tool("x.iso", ["genisoimage", "-quiet", "-r", "-o", "../x.iso", "."], "x.iso/" + NAME)
        tool("x.cab", ["gcab", "-c", "../x.cab", NAME], "x.cab/" + NAME)
        tool("x.7z", ["7z", "a", "-bd", "-y", "../x.7z", NAME], "x.7z/" + NAME)
        tool("x.lzma.7z", ["7z", "a", "-bd", "-y", "-m0=LZMA2", "-mx=9", "../x.lzma.7z", NAME],
             "x.lzma.7z/" + NAME)

        for fname, suffix in sorted(files.items()):
            path = os.path.join(tmp, fname)
            if not os.path.exists(path):
                continue
            r = vtest.run(["scan", "--json", "--no-progress", path], timeout=60)
            reps = r.json_lines()
            if not c.check(len(reps) == 1, "%s: one report" % fname, r.err):
                continue
            rep = reps[0]
            hit = [o for o in rep["objects"] if o["path"].endswith(suffix)]
            c.check(len(hit) == 1 and hit[0]["sha256"] == SHA,
                    "%s: payload at .../%s with its hash" % (fname, suffix),
                    "\n".join(o["path"] + " " + o["type"] for o in rep["objects"]))
            ev = [f for f in rep["findings"] if f["id"] == "yara.EICAR_Test_File"]
            c.check(len(ev) == 1 and ev[0]["object"].endswith(suffix),
                    "%s: EICAR found on the member" % fname, vtest.findings_text(rep))
            c.check(rep["verdict"] == "malicious", "%s: verdict malicious" % fname)
            bad = [f["id"] for f in rep["findings"]
                   if f["id"].startswith(("archive.", "limit.", "decode."))]
            c.check(not bad, "%s: no damage or limit findings" % fname, bad)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


main()
