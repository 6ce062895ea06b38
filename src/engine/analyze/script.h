/*
 * script.h - what script.c offers the other analyzers: the script rules
 * run over a command line that is not an object of its own (a shortcut's
 * target and arguments).
 */
#ifndef VIGIL_ANALYZE_SCRIPT_H
#define VIGIL_ANALYZE_SCRIPT_H

#include "../internal.h"

/*
 * Runs the script rules over cmd[0..n) (UTF-8) as a command line; findings
 * go on o, decoded -EncodedCommand payloads become children of o.
 * powershell: the command line runs PowerShell (its -e argument is
 * PowerShell's even without the word "powershell" in cmd).
 */
void script_scan_command(vigil_scan *s, vigil_object *o, const char *cmd, size_t n,
                         bool powershell);

#endif
