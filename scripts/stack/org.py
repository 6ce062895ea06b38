#!/usr/bin/env python3
"""scripts/stack/org.py BASE PASSWORD - the demo organisation of the local mail stack.

Writes, under BASE (scripts/stack.sh owns the rest of BASE):
  org.json               the organisation: units (with region) and staff
                         (name, email, unit, title); aliases
  dovecot/users          Dovecot passwd-file: every mailbox, the demo password
                         hashed ({SSHA512}), uid/gid of the mail owner, home
  postfix/etc/vmailbox   Postfix virtual_mailbox_maps (texthash): the
                         addresses Postfix accepts for bhxh.example
  postfix/etc/virtual    Postfix virtual_alias_maps (texthash): role
                         addresses (postmaster, abuse, security)

A small stand-in: 30 staff of the central IT Centre and one provincial unit
per region. A later issue generates the full 20,000-staff organisation in
the same format (org.json: {"domain", "units": [{"id", "name", "short",
"region", "city"}], "staff": [{"name", "email", "unit", "title"}],
"aliases": {address: address}}).

Local parts are the Vietnamese name without diacritics, dot-separated
("Nguyễn Văn An" -> nguyen.van.an); a clash gets a number (nguyen.van.an2).
Deterministic except the password salt, so a restart gives the same org.
"""
import base64
import hashlib
import json
import os
import sys
import unicodedata

DOMAIN = "bhxh.example"

# the same regions as `vigil org generate` (docs/organisation.md)
REGIONS = [
    {"id": "national", "name_vi": "Cơ quan Trung ương", "name_en": "Central agency"},
    {"id": "north", "name_vi": "Miền Bắc", "name_en": "North"},
    {"id": "central-highlands", "name_vi": "Miền Trung – Tây Nguyên",
     "name_en": "Central and Highlands"},
    {"id": "south", "name_vi": "Miền Nam", "name_en": "South"},
]

UNITS = [
    {"id": "cntt", "name": "Trung tâm Công nghệ thông tin", "short": "Trung tâm CNTT",
     "region": "national", "city": "Hà Nội"},
    {"id": "hanoi", "name": "Bảo hiểm xã hội thành phố Hà Nội", "short": "BHXH Hà Nội",
     "region": "north", "city": "Hà Nội"},
    {"id": "danang", "name": "Bảo hiểm xã hội thành phố Đà Nẵng", "short": "BHXH Đà Nẵng",
     "region": "central-highlands", "city": "Đà Nẵng"},
    {"id": "hcm", "name": "Bảo hiểm xã hội Thành phố Hồ Chí Minh",
     "short": "BHXH TP. Hồ Chí Minh", "region": "south", "city": "TP. Hồ Chí Minh"},
]

# (name, unit, title); the first staff member of the IT Centre receives the
# role addresses. Titles are what a phishing lure would impersonate.
STAFF = [
    ("Nguyễn Văn An", "cntt", "Giám đốc Trung tâm"),
    ("Trần Thị Bình", "cntt", "Quản trị hệ thống thư điện tử"),
    ("Lê Hoàng Cường", "cntt", "Chuyên viên an toàn thông tin"),
    ("Phạm Thu Dung", "cntt", "Chuyên viên an toàn thông tin"),
    ("Hoàng Minh Đức", "cntt", "Quản trị mạng"),
    ("Vũ Thị Hà", "cntt", "Chuyên viên phát triển phần mềm"),
    ("Đặng Quốc Huy", "cntt", "Chuyên viên hỗ trợ người dùng"),
    ("Bùi Thị Lan", "cntt", "Văn thư"),
    ("Ngô Văn Long", "hanoi", "Giám đốc"),
    ("Đỗ Thị Mai", "hanoi", "Phó Giám đốc"),
    ("Dương Văn Nam", "hanoi", "Trưởng phòng Thu"),
    ("Lý Thị Ngọc", "hanoi", "Chuyên viên phòng Chế độ BHXH"),
    ("Trịnh Văn Phúc", "hanoi", "Kế toán"),
    ("Nguyễn Thị Quỳnh", "hanoi", "Văn thư"),
    ("Phan Văn Sơn", "hanoi", "Chuyên viên CNTT"),
    ("Võ Văn Tài", "danang", "Giám đốc"),
    ("Huỳnh Thị Thảo", "danang", "Phó Giám đốc"),
    ("Mai Văn Thắng", "danang", "Trưởng phòng Giám định BHYT"),
    ("Trương Thị Trang", "danang", "Kế toán"),
    ("Đinh Văn Trung", "danang", "Chuyên viên phòng Thu"),
    ("Lâm Thị Uyên", "danang", "Văn thư"),
    ("Hồ Văn Việt", "danang", "Chuyên viên CNTT"),
    ("Nguyễn Văn Xuân", "hcm", "Giám đốc"),
    ("Lê Thị Yến", "hcm", "Phó Giám đốc"),
    ("Trần Văn Bảo", "hcm", "Trưởng phòng Cấp sổ, thẻ"),
    ("Phạm Thị Châu", "hcm", "Chuyên viên phòng Chế độ BHXH"),
    ("Nguyễn Hữu Đạt", "hcm", "Kế toán"),
    ("Lê Thị Hạnh", "hcm", "Văn thư"),
    ("Trần Minh Khoa", "hcm", "Chuyên viên CNTT"),
    ("Nguyễn Văn An", "hcm", "Chuyên viên phòng Thu"),  # same name: nguyen.van.an2
]

ROLES = ["postmaster", "abuse", "security"]


def ascii_local(name):
    """'Nguyễn Văn An' -> 'nguyen.van.an' (đ/Đ have no decomposition)."""
    s = name.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    parts = ["".join(c for c in w.lower() if c.isascii() and c.isalnum()) for w in s.split()]
    return ".".join(p for p in parts if p)


def ssha512(password):
    salt = os.urandom(16)
    digest = hashlib.sha512(password.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode()


def write(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: org.py BASE PASSWORD MAIL_UID MAIL_GID")
    base, password, uid, gid = sys.argv[1:5]
    staff, seen = [], {}
    for name, unit, title in STAFF:
        local = ascii_local(name)
        seen[local] = seen.get(local, 0) + 1
        if seen[local] > 1:
            local += str(seen[local])
        staff.append({"id": "s%06d" % (len(staff) + 1), "name": name,
                      "email": "%s@%s" % (local, DOMAIN), "unit": unit, "title": title})
    # VIGIL_EXTRA_STAFF=N adds N numbered mailboxes spread over the units
    # (tests that need hundreds of recipients: tests/e2e/test_containment.py)
    extra = int(os.environ.get("VIGIL_EXTRA_STAFF", "0") or 0)
    for i in range(1, min(extra, 5000) + 1):
        unit = UNITS[i % len(UNITS)]["id"]
        staff.append({"id": "s%06d" % (len(staff) + 1), "name": "Cán bộ thử nghiệm %04d" % i,
                      "email": "canbo%04d@%s" % (i, DOMAIN), "unit": unit,
                      "title": "Chuyên viên"})
    admin = staff[1]["email"]  # the mail administrator of the IT Centre
    aliases = {"%s@%s" % (r, DOMAIN): admin for r in ROLES}
    units = [dict(u, kind="central" if u["region"] == "national" else "province") for u in UNITS]
    # one desktop per person: the blast radius names the endpoints of readers
    endpoints = [{"host": "pc-%s" % s["id"], "owner": s["id"], "unit": s["unit"],
                  "os": "Windows 10"} for s in staff]
    org = {"organisation": "Bảo hiểm xã hội Việt Nam (demo)", "domain": DOMAIN,
           "regions": REGIONS, "units": units, "staff": staff, "endpoints": endpoints,
           "aliases": aliases}
    write(os.path.join(base, "org.json"), json.dumps(org, ensure_ascii=False, indent=1) + "\n")

    # one hash for everybody: same password, and a restart keeps the file
    # stable when the password did not change (the salt is reused)
    users_path = os.path.join(base, "dovecot", "users")
    pwhash = None
    try:
        with open(os.path.join(base, "dovecot", "users.hash"), encoding="ascii") as f:
            old_pw_sha, old_hash = f.read().split()
        if old_pw_sha == hashlib.sha256(password.encode()).hexdigest():
            pwhash = old_hash
    except (OSError, ValueError):
        pass
    if pwhash is None:
        pwhash = ssha512(password)
        write(os.path.join(base, "dovecot", "users.hash"),
              "%s %s\n" % (hashlib.sha256(password.encode()).hexdigest(), pwhash), 0o600)
    lines = []
    for s in staff:
        local = s["email"].split("@")[0]
        home = os.path.join(base, "mail", DOMAIN, local)
        # user:password:uid:gid:gecos:home:shell:extra
        lines.append("%s:%s:%s:%s::%s::" % (s["email"], pwhash, uid, gid, home))
    write(users_path, "\n".join(lines) + "\n", 0o640)
    write(os.path.join(base, "postfix", "etc", "vmailbox"),
          "".join("%s ok\n" % s["email"] for s in staff))
    write(os.path.join(base, "postfix", "etc", "virtual"),
          "".join("%s %s\n" % (a, t) for a, t in aliases.items()))
    print(len(staff))


if __name__ == "__main__":
    main()
