"""The default rule pack (rules/default/*.yar, rules/severity.conf,
rules/indicators.txt) is loaded by `vigil scan` without options, each rule
fires on what it describes, and none fires on legitimate mail."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtest  # noqa: E402

SHARED = os.environ.get("VIGIL_SHARED") or os.path.join(vtest.TOP, "..", "shared")
C = vtest.Checks("default-pack")


def scan(data, *args):
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(data)
        f.flush()
        r = vtest.run(["scan", "--json", "--no-progress"] + list(args) + [f.name], timeout=60)
    reps = r.json_lines()
    return reps[0] if reps else {"findings": [], "verdict": "?"}


def ids(rep):
    return {f["id"] for f in rep["findings"]}


def main():
    vtest.need_vigil()
    selftest = b"VIGIL-INDICATOR-SELFTEST: a harmless file that vigil reports as a known-bad hash.\n"
    r = scan(selftest)
    C.check("ioc.hash" in ids(r) and r["verdict"] == "malicious",
            "the indicator seeds are loaded by default (self-test hash)", ids(r))
    r = scan(selftest, "--no-default-rules")
    C.check("ioc.hash" not in ids(r), "--no-default-rules leaves the seeds out", ids(r))

    cases = [
        (b"privilege::debug\r\nsekurlsa::logonpasswords\r\nexit\r\n",
         "yara.Vigil_Mimikatz_Strings", "critical"),
        (b"$b=[System.Convert]::FromBase64String($s);"
         b"[System.Reflection.Assembly]::Load($b).EntryPoint.Invoke($null,$null)",
         "yara.Vigil_PowerShell_Reflective_Load", "high"),
        (b"Add-Type -TypeDefinition @'\n[DllImport(\"user32.dll\")] public static extern IntPtr "
         b"SetWindowsHookEx(int idHook, ...);\n'@\n$h=[K]::SetWindowsHookEx(13, $cb, $m, 0)\n",
         "yara.Vigil_Keylogger_Hook_Script", "high"),
    ]
    for data, rule, sev in cases:
        r = scan(data)
        hit = [f for f in r["findings"] if f["id"] == rule]
        C.check(len(hit) == 1 and hit[0]["severity"] == sev and hit[0]["attack"],
                "%s fires (%s, with ATT&CK ids)" % (rule, sev), vtest.findings_text(r))
    # a look-alike: a page that explains the keyboard-hook API, no script around it
    r = scan(b"<p>SetWindowsHookEx installs a hook; WH_KEYBOARD_LL monitors keys.</p>")
    C.check("yara.Vigil_Keylogger_Hook_Script" not in ids(r),
            "documentation about the hook API is not a keylogger", ids(r))

    # no default rule on legitimate mail
    hams = [os.path.join(SHARED, "corpus", "spamassassin", d) for d in ("easy_ham", "hard_ham")]
    if all(os.path.isdir(h) for h in hams):
        r = vtest.run(["scan", "--json", "--no-progress", "-t", "2"] + hams, timeout=900)
        hits = [(rep["path"], f["id"]) for rep in r.json_lines() for f in rep["findings"]
                if f["id"].startswith("yara.Vigil_") or f["id"] == "ioc.hash"]
        C.check(not hits, "no default rule or seed matches SpamAssassin ham (%d messages)"
                % len(r.json_lines()), hits[:10])
    else:
        print("note: ../shared absent, the ham check is skipped")
    C.finish()


main()
