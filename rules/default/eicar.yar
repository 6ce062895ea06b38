/*
 * The EICAR anti-malware test file: harmless by design, detected by every
 * scanner so that the whole detection path can be tested end to end.
 */
rule EICAR_Test_File
{
    meta:
        description = "EICAR anti-malware test file"
        description_vi = "Tệp thử nghiệm chống mã độc EICAR"
        severity = "critical"
        attack = "T1204.002"
    strings:
        $head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
        $tail = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $head at 0 and $tail and filesize < 256
}
