/*
 * vigil default rules: strings of credential-theft and post-exploitation
 * tools that have no business in an agency's mail. Written for vigil;
 * severities follow docs/scoring.md.
 */

rule Vigil_Mimikatz_Strings
{
    meta:
        description = "Mimikatz credential-dumping tool (command strings)"
        description_vi = "Công cụ đánh cắp mật khẩu Mimikatz (chuỗi lệnh)"
        severity = "critical"
        attack = "T1003.001"
    strings:
        $c1 = "sekurlsa::logonpasswords" ascii wide nocase
        $c2 = "lsadump::sam" ascii wide nocase
        $c3 = "privilege::debug" ascii wide nocase
        $c4 = "sekurlsa::pth" ascii wide nocase
        $a1 = "gentilkiwi" ascii wide
        $a2 = "mimikatz" ascii wide nocase
    condition:
        2 of ($c*) or (1 of ($c*) and 1 of ($a*))
}

rule Vigil_PowerShell_Reflective_Load
{
    meta:
        description = "PowerShell loads a .NET program from base64 in memory"
        description_vi = "PowerShell nạp chương trình .NET từ chuỗi base64 ngay trong bộ nhớ"
        severity = "high"
        attack = "T1059.001,T1620"
    strings:
        $load = "Reflection.Assembly]::Load" ascii wide nocase
        $b64 = "FromBase64String" ascii wide nocase
        $gz = "IO.Compression.GzipStream" ascii wide nocase
    condition:
        $load and ($b64 or $gz)
}

rule Vigil_Browser_Credential_Theft
{
    meta:
        description = "Reads browsers' saved passwords and cookies (information stealer)"
        description_vi = "Đọc mật khẩu và cookie đã lưu của trình duyệt (phần mềm đánh cắp thông tin)"
        severity = "high"
        attack = "T1555.003"
    strings:
        $p1 = "\\Google\\Chrome\\User Data\\Default\\Login Data" ascii wide nocase
        $p2 = "\\Microsoft\\Edge\\User Data\\Default\\Login Data" ascii wide nocase
        $p3 = "logins.json" ascii wide
        $p4 = "key4.db" ascii wide
        $p5 = "\\Mozilla\\Firefox\\Profiles" ascii wide nocase
        $d1 = "CryptUnprotectData" ascii wide
        $d2 = "encrypted_key" ascii wide
    condition:
        uint16(0) == 0x5A4D and 2 of ($p*) and 1 of ($d*)
}

rule Vigil_Keylogger_Hook_Script
{
    meta:
        description = "A script installs a low-level keyboard hook (keylogger)"
        description_vi = "Tập lệnh cài móc bàn phím cấp thấp (ghi lại phím gõ)"
        severity = "high"
        attack = "T1056.001"
    strings:
        $h = "SetWindowsHookEx" ascii wide nocase
        $k = "WH_KEYBOARD_LL" ascii wide nocase
        $k13 = /SetWindowsHookEx[A-Za-z]*\(\s*13\s*,/ ascii
        $addtype = "Add-Type" ascii wide nocase
        $dllimport = "DllImport" ascii wide nocase
    condition:
        uint16(0) != 0x5A4D and $h and ($k or $k13) and ($addtype or $dllimport)
}
