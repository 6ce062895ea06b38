/*
 * script.c - Windows scripts: PowerShell, VBScript, JScript, batch, HTA.
 *
 * Which text is a script: its name (.js .jse .vbs .vbe .wsf .wsh .hta .ps1
 * .psm1 .bat .cmd .sct), or its content (two distinct Windows-scripting
 * markers; one HTA/WSH marker in HTML), or a shortcut's command line
 * (script_scan_command). Script Encoder blocks ("#@~^...^#~@") and
 * PowerShell -EncodedCommand arguments are decoded wherever they appear.
 *
 * Decoding (each result becomes a child object, so every analyzer and rule
 * sees the plain script): JScript.Encode/VBScript.Encode with the encoder's
 * substitution tables (published by the people who took it apart; only the
 * tables and the 64-step table order are facts we use); -EncodedCommand
 * (base64 of UTF-16LE); base64 literals passed to FromBase64String (and a
 * raw Deflate stream inside one, when the script inflates it).
 *
 * Light de-obfuscation before the rules: character codes (Chr(104),
 * [char]104, String.fromCharCode(104,116)) become literals, PowerShell
 * backticks and cmd carets inside words go, adjacent string literals joined
 * with + or & are merged. Rules (sc_rules) are lower-case substrings (a
 * leading '|' asks for a whole word) over that text: downloaders, command
 * execution, LOLBins, persistence, AMSI and Defender tampering. Obfuscation
 * is measured on the original text.
 *
 * Limits: the first SC_MAX_SCAN bytes of an object; SC_MAX_CHILDREN
 * decoded children per object, each at most SC_MAX_DECODED bytes and never
 * more than vscan_room().
 */
#include "ahelp.h"
#include "script.h"

#include <string.h>
#include <zlib.h>

#include "../../util/bytes.h"

#define SC_MAX_SCAN (4u << 20)
#define SC_MAX_DECODED (4u << 20)
#define SC_MAX_CHILDREN 16
#define SC_MAX_ENCODED_BLOCKS 64
#define SC_EVIDENCE 300

enum sc_lang { L_UNKNOWN, L_PS, L_VBS, L_JS, L_BAT };

#define LB(l) (1u << (l))
#define L_ANY 0u

static const char *const sc_lang_attack[] = {
        [L_UNKNOWN] = "T1059", [L_PS] = "T1059.001",  [L_VBS] = "T1059.005",
        [L_JS] = "T1059.007",  [L_BAT] = "T1059.003",
};

struct sc {
	vigil_scan *s;
	vigil_object *o;
	const uint8_t *text; /* original, bounded */
	size_t n;
	uint8_t *norm; /* de-obfuscated */
	size_t nn;
	uint8_t *lo;      /* lower-case norm */
	uint8_t *lo_text; /* lower-case original */
	enum sc_lang lang;
	bool named, cmdline, powershell;
	unsigned children;
	unsigned charcodes; /* characters rebuilt from codes */
};

/* ---- children ---- */

static void sc_emit(struct sc *c, const char *seg, uint8_t *data, size_t len)
{
	vchild ch = {0};

	if (data == NULL || len == 0 || c->children >= SC_MAX_CHILDREN) {
		free(data);
		return;
	}
	if (len > vscan_room(c->s, c->o, NULL)) {
		vigil_limit which;

		(void)vscan_room(c->s, c->o, &which);
		vscan_limit(c->s, c->o, which, "decoded script not scanned");
		free(data);
		return;
	}
	c->children++;
	ch.seg = seg;
	ch.name = seg;
	ch.data = data;
	ch.len = len;
	(void)vscan_emit(c->s, c->o, &ch);
}

/* ---- Script Encoder (JScript.Encode, VBScript.Encode) ---- */

/*
 * The decoder's substitution: for an encoded byte c in 32..127 the plain
 * byte is sc_screnc[k][c - 32], with k taken from sc_screnc_order at the
 * position of the character; tab (9) has its own three values. '<', '>'
 * and '@' never appear encoded (they are written "@!", "@*", "@$").
 */
static const char sc_screnc[3][97] = {
        ".GzVBj/&IA42[vrC89pEhqO\tbD#u<~>^@wJa]\"KoN;LPg*}tT+-,0nkf5%!dMRc?{x)(sY3\x7fmUS|:_"
        "eFX1ilZH'\\=$y7`Q 6",
        "-uR`q^I\\b})6 |z\x7fkc3+hQfv1dTC<:>~@E,*t'7DyY/o&rj9{?8wgSG4x]0#Z[lHUpi.L!$NP\tVs5aK"
        "X;W\"mM%(FJ2A=_OBe",
        "20!)[83=X:5e9\\VsfNEkbYx^}Jmq<`>S@B'Hru17MR\"TjGd- \x7f.L]~loytC&v%$+(#A4\t*D?w;UiacP"
        "gQIOFh|6pnz/_KZ,W",
};
static const char sc_screnc_tab[3] = {'W', 'n', '{'};
static const char sc_screnc_order[] =
        "0120121221210212021200122102122100212120200120210212001220012021";

/* one encoded block p[0..n) (the data between the header and the
 * checksum) appended to out */
static void sc_screnc_block(const uint8_t *p, size_t n, vbuf *out)
{
	size_t idx = 0;

	for (size_t i = 0; i < n && out->len < out->max; i++) {
		uint8_t c = p[i];

		if (c == '@' && i + 1 < n) {
			uint8_t e = p[i + 1];
			uint8_t r = e == '&'   ? '\n'
			            : e == '#' ? '\r'
			            : e == '*' ? '>'
			            : e == '!' ? '<'
			            : e == '$' ? '@'
			                       : 0;

			if (r != 0) {
				(void)vbuf_putc(out, r);
				i++;
				idx++;
				continue;
			}
		}
		if (c >= 0x80) {
			(void)vbuf_putc(out, c);
			continue;
		}
		{
			int k = sc_screnc_order[idx % 64] - '0';

			if (c == 9)
				c = (uint8_t)sc_screnc_tab[k];
			else if (c >= 32 && c != '<' && c != '>' && c != '@')
				c = (uint8_t)sc_screnc[k][c - 32];
		}
		(void)vbuf_putc(out, c);
		idx++;
	}
}

/* Decodes every "#@~^LLLLLL==...CCCCCC==^#~@" block; true if one was found. */
static bool sc_screnc_all(struct sc *c, bool *jscript)
{
	vbuf out;
	size_t i = 0, blocks = 0;
	long at;

	vbuf_init(&out, SC_MAX_DECODED);
	while (blocks < SC_MAX_ENCODED_BLOCKS && (at = ahelp_find(c->text, c->n, i, "#@~^")) >= 0) {
		size_t start = (size_t)at + 4, len, dlen;
		uint8_t *hdr;
		long end;

		i = start;
		if (c->n - start < 8 || c->text[start + 6] != '=' || c->text[start + 7] != '=')
			continue;
		hdr = ahelp_b64(c->text + start, 6, 4, &len);
		if (hdr == NULL || len < 4) {
			free(hdr);
			continue;
		}
		dlen = le32(hdr);
		free(hdr);
		start += 8;
		end = ahelp_find(c->text, c->n, start, "^#~@");
		if (end < 0)
			end = (long)c->n;
		/* the declared length, but never past the trailer */
		if (dlen > (size_t)end - start)
			dlen = (size_t)end - start;
		if (blocks > 0)
			(void)vbuf_putc(&out, '\n');
		sc_screnc_block(c->text + start, dlen, &out);
		blocks++;
		if ((size_t)end > i)
			i = (size_t)end;
	}
	if (blocks == 0) {
		vbuf_free(&out);
		return false;
	}
	{
		bool js =
		        c->lang == L_JS || (c->lo_text != NULL &&
		                            ahelp_find(c->lo_text, c->n, 0, "jscript.encode") >= 0);
		size_t len;
		uint8_t *data = vbuf_steal(&out, &len);

		*jscript = js;
		sc_emit(c, js ? "decoded.js" : "decoded.vbs", data, len);
	}
	return true;
}

/* ---- de-obfuscation ---- */

static bool sc_ci(const uint8_t *p, size_t n, size_t i, const char *lit)
{
	size_t m = strlen(lit);

	return i <= n && m <= n - i && g_ascii_strncasecmp((const char *)p + i, lit, m) == 0;
}

static size_t sc_ws(const uint8_t *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/* a decimal or VBScript &H number; returns the index after it or 0 */
static size_t sc_number(const uint8_t *p, size_t n, size_t i, unsigned *v)
{
	size_t k = i, digits = 0;
	unsigned x = 0;

	if (sc_ci(p, n, k, "&h") || sc_ci(p, n, k, "0x")) {
		k += 2;
		while (k < n && hexval(p[k]) >= 0 && digits < 6) {
			x = x * 16 + (unsigned)hexval(p[k++]);
			digits++;
		}
	} else {
		while (k < n && p[k] >= '0' && p[k] <= '9' && digits < 7) {
			x = x * 10 + (unsigned)(p[k++] - '0');
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	*v = x;
	return k;
}

static bool sc_plain_char(unsigned v)
{
	return v >= 0x20 && v < 0x7f && v != '"' && v != '\'' && v != '\\' && v != '`';
}

/*
 * Chr(N) / ChrW(N) / [char]N / String.fromCharCode(a,b,...) -> "text".
 * Never longer than the input (each form is longer than its result).
 */
static size_t sc_charcodes(struct sc *c, const uint8_t *p, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned v;
		size_t k;

		if ((p[i] | 0x20) == 'c' && sc_ci(p, n, i, "chr") &&
		    (i == 0 || !ahelp_word(p[i - 1]))) {
			k = i + 3;
			if (k < n && ((p[k] | 0x20) == 'w' || (p[k] | 0x20) == 'b'))
				k++;
			if (k < n && p[k] == '$')
				k++;
			k = sc_ws(p, n, k);
			if (k < n && p[k] == '(') {
				k = sc_ws(p, n, k + 1);
				k = sc_number(p, n, k, &v);
				if (k != 0) {
					k = sc_ws(p, n, k);
					if (k < n && p[k] == ')' && sc_plain_char(v)) {
						out[o++] = '"';
						out[o++] = (uint8_t)v;
						out[o++] = '"';
						c->charcodes++;
						i = k + 1;
						continue;
					}
				}
			}
		} else if (p[i] == '[' && sc_ci(p, n, i, "[char]")) {
			bool paren;

			k = sc_ws(p, n, i + 6);
			paren = k < n && p[k] == '(';
			if (paren)
				k = sc_ws(p, n, k + 1);
			k = sc_number(p, n, k, &v);
			if (k != 0 && paren) {
				k = sc_ws(p, n, k);
				k = k < n && p[k] == ')' ? k + 1 : 0;
			}
			if (k != 0 && sc_plain_char(v)) {
				out[o++] = '"';
				out[o++] = (uint8_t)v;
				out[o++] = '"';
				c->charcodes++;
				i = k;
				continue;
			}
		} else if ((p[i] | 0x20) == 'f' && sc_ci(p, n, i, "fromcharcode(")) {
			size_t start = o;

			k = i + 13;
			out[o++] = '"';
			for (;;) {
				size_t e;

				k = sc_ws(p, n, k);
				e = sc_number(p, n, k, &v);
				if (e == 0 || !sc_plain_char(v))
					break;
				out[o++] = (uint8_t)v;
				k = sc_ws(p, n, e);
				if (k < n && p[k] == ',') {
					k++;
					continue;
				}
				break;
			}
			if (k < n && p[k] == ')' && o > start + 1) {
				out[o++] = '"';
				c->charcodes += (unsigned)(o - start - 2);
				i = k + 1;
				continue;
			}
			o = start;
		}
		out[o++] = p[i++];
	}
	return o;
}

/* PowerShell backticks and cmd carets inside words */
static size_t sc_escapes(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if ((p[i] == '`' || p[i] == '^') && i > 0 && i + 1 < n && ahelp_word(p[i + 1]) &&
		    (ahelp_word(p[i - 1]) || p[i - 1] == '.' || p[i - 1] == '-'))
			continue;
		out[o++] = p[i];
	}
	return o;
}

/* end of a string literal opened at p[i] (the closing quote), or n */
static size_t sc_literal_end(const uint8_t *p, size_t n, size_t i)
{
	uint8_t q = p[i];

	for (size_t k = i + 1; k < n; k++) {
		if (p[k] == '\n')
			return n;
		if (p[k] == '\\' && q == '\'' && k + 1 < n && p[k + 1] == '\'')
			k++;
		else if (p[k] == q)
			return k;
	}
	return n;
}

/* after a literal: blanks, an operator + or &, blanks or line
 * continuations, then the next literal's quote; 0 if not so */
static size_t sc_concat_next(const uint8_t *p, size_t n, size_t k)
{
	k = sc_ws(p, n, k);
	if (k >= n || (p[k] != '+' && p[k] != '&'))
		return 0;
	k++;
	for (;;) {
		k = sc_ws(p, n, k);
		if (k < n && (p[k] == '_' || p[k] == '`')) {
			size_t e = k + 1;

			if (e < n && p[e] == '\r')
				e++;
			if (e < n && p[e] == '\n') {
				k = e + 1;
				continue;
			}
		}
		if (k < n && (p[k] == '\r' || p[k] == '\n')) {
			k++;
			continue;
		}
		break;
	}
	return k < n && (p[k] == '"' || p[k] == '\'') ? k : 0;
}

/* "ab" + "cd" & 'ef' -> "abcdef" */
static size_t sc_concat(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t e, next;

		if (p[i] != '"' && p[i] != '\'') {
			out[o++] = p[i++];
			continue;
		}
		e = sc_literal_end(p, n, i);
		if (e >= n) {
			out[o++] = p[i++];
			continue;
		}
		out[o++] = '"';
		for (;;) {
			memcpy(out + o, p + i + 1, e - i - 1);
			o += e - i - 1;
			next = sc_concat_next(p, n, e + 1);
			if (next == 0)
				break;
			{
				size_t e2 = sc_literal_end(p, n, next);

				if (e2 >= n)
					break;
				i = next;
				e = e2;
			}
		}
		out[o++] = '"';
		i = e + 1;
	}
	return o;
}

static bool sc_normalize(struct sc *c)
{
	uint8_t *a = malloc(c->n + 1), *b = malloc(c->n + 1);
	size_t n;

	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return false;
	}
	n = sc_charcodes(c, c->text, c->n, a);
	n = sc_escapes(a, n, b);
	n = sc_concat(b, n, a);
	free(b);
	a[n] = 0;
	c->norm = a;
	c->nn = n;
	c->lo = ahelp_lower(a, n);
	return c->lo != NULL;
}

/* ---- finding helpers ---- */

/* needle in the lower-case normalised text; '|' prefix: a whole word */
static long sc_find(const struct sc *c, const char *needle)
{
	if (needle[0] == '|')
		return ahelp_find_word(c->lo, c->nn, 0, needle + 1);
	return ahelp_find(c->lo, c->nn, 0, needle);
}

static void sc_report(struct sc *c, finding_kind k, const char *attack, long at, size_t len,
                      const char *what)
{
	vbuf b;

	vbuf_init(&b, SC_EVIDENCE);
	if (what != NULL)
		vbuf_printf(&b, "%s: ", what);
	if (at >= 0)
		ahelp_snippet(&b, c->norm, c->nn, (size_t)at, len, 60);
	vbuf_terminate(&b);
	ahelp_finding(c->s, c->o, k, attack, "%s", b.data ? (const char *)b.data : "");
	vbuf_free(&b);
}

/* ---- rules ---- */

static const struct sc_rule {
	finding_kind kind;
	const char *attack; /* NULL: the catalogue's */
	bool add_lang;      /* append the script language's T1059 */
	const char *all[3];
	const char *any[16];
} sc_rules[] = {
        /* downloaders */
        {F_SCRIPT_DOWNLOADER,
         "T1105",
         true,
         {"webclient"},
         {"downloadstring", "downloadfile", "downloaddata", "openread"}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {".downloadstring("}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {".downloadfile("}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"invoke-webrequest"}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"|iwr", "http"}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"invoke-restmethod", "http"}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"|irm", "http"}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105,T1197", true, {"start-bitstransfer"}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"webrequest]::create"}, {NULL}},
        {F_SCRIPT_DOWNLOADER,
         "T1105",
         true,
         {"httpclient"},
         {"getasync", "getstringasync", "getbytearrayasync", "getstreamasync"}},
        {F_SCRIPT_DOWNLOADER,
         "T1105",
         true,
         {"xmlhttp"},
         {"adodb.stream", "savetofile", "responsebody"}},
        {F_SCRIPT_DOWNLOADER,
         "T1105",
         true,
         {"winhttprequest"},
         {"adodb.stream", "savetofile", "responsebody", "responsetext"}},
        {F_SCRIPT_DOWNLOADER,
         "T1105",
         true,
         {"xmlhttp", "responsetext"},
         {"eval(", "execute(", "executeglobal", "|execute"}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"urldownloadtofile"}, {NULL}},
        {F_SCRIPT_DOWNLOADER,
         "T1105",
         true,
         {"certutil"},
         {"-urlcache", "/urlcache", "-verifyctl", "/verifyctl"}},
        {F_SCRIPT_DOWNLOADER,
         "T1105,T1197",
         true,
         {"bitsadmin"},
         {"/transfer", "/addfile", "-transfer"}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"|curl", "http"}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"|wget", "http"}, {NULL}},
        {F_SCRIPT_DOWNLOADER, "T1105", true, {"|ftp", "-s:"}, {NULL}},

        /* running commands */
        {F_SCRIPT_EXEC,
         NULL,
         true,
         {"wscript.shell"},
         {".run", ".exec", "run(", "exec(", ".shellexecute"}},
        {F_SCRIPT_EXEC, NULL, true, {"shell.application"}, {"shellexecute"}},
        {F_SCRIPT_EXEC, NULL, true, {"start-process"}, {NULL}},
        {F_SCRIPT_EXEC, NULL, true, {"invoke-expression"}, {NULL}},
        {F_SCRIPT_EXEC, NULL, true, {"|iex"}, {NULL}},
        {F_SCRIPT_EXEC, NULL, true, {"scriptblock]::create"}, {NULL}},
        {F_SCRIPT_EXEC, NULL, true, {"executeglobal"}, {NULL}},
        {F_SCRIPT_EXEC, "T1047", false, {"win32_process"}, {"create"}},
        {F_SCRIPT_EXEC,
         "T1059.003",
         false,
         {"cmd"},
         {"cmd /c", "cmd.exe /c", "cmd /k", "cmd.exe /k", "cmd /q", "cmd.exe /q", "cmd /v",
          "cmd.exe /v"}},

        /* trusted Windows tools fetching or running code */
        {F_SCRIPT_LOLBIN,
         "T1218.005",
         false,
         {"mshta"},
         {"mshta http", "mshta.exe http", "vbscript:", "javascript:", "mshta \\\\",
          "mshta.exe \\\\", "mshta \"http", "mshta.exe \"http"}},
        {F_SCRIPT_LOLBIN,
         "T1218.010",
         false,
         {"regsvr32"},
         {"/i:http", "-i:http", "scrobj.dll", "/i:\\\\", "-i:\\\\"}},
        {F_SCRIPT_LOLBIN,
         "T1218.011",
         false,
         {"rundll32"},
         {"javascript:", "url.dll,", "shell32.dll,shellexec_rundll", "zipfldr.dll,", "advpack.dll,",
          "pcwutl.dll,", "setupapi.dll,installhinfsection", "\\appdata\\", "%appdata%", "%temp%",
          "\\temp\\", "\\programdata\\", "%public%", "\\users\\public\\", "$env:temp",
          "$env:appdata"}},
        {F_SCRIPT_LOLBIN,
         "T1140",
         false,
         {"certutil"},
         {"-decode", "/decode", "-decodehex", "/decodehex"}},
        {F_SCRIPT_LOLBIN, "T1105", false, {"certutil"}, {"-urlcache", "/urlcache"}},
        {F_SCRIPT_LOLBIN, "T1197", false, {"bitsadmin"}, {"/transfer", "/addfile", "/create"}},
        {F_SCRIPT_LOLBIN, "T1218.007", false, {"msiexec"}, {"http:", "https:", "\\\\"}},
        {F_SCRIPT_LOLBIN, "T1218.003", false, {"cmstp", ".inf"}, {"/s", "/au"}},
        {F_SCRIPT_LOLBIN, "T1218.004", false, {"installutil"}, {"/u", "/logfile="}},
        {F_SCRIPT_LOLBIN, "T1218.009", false, {"regasm"}, {"/u"}},
        {F_SCRIPT_LOLBIN, "T1218.009", false, {"regsvcs"}, {"/u"}},
        {F_SCRIPT_LOLBIN, "T1218.008", false, {"odbcconf"}, {"regsvr", "/a {", "-a {"}},
        {F_SCRIPT_LOLBIN, "T1220", false, {"wmic"}, {"/format:http", "/format:\"http"}},
        {F_SCRIPT_LOLBIN, "T1047", false, {"wmic"}, {"process call create"}},
        {F_SCRIPT_LOLBIN,
         "T1218.001",
         false,
         {"hh"},
         {"hh.exe http", "hh http:", "hh https:", "hh.exe \"http", "hh.exe ms-its:http"}},
        {F_SCRIPT_LOLBIN,
         "T1127.001",
         false,
         {"msbuild"},
         {"\\temp\\", "%temp%", "\\appdata\\", "%appdata%", "$env:temp", "\\users\\public\\"}},
        {F_SCRIPT_LOLBIN, "T1202", false, {"forfiles"}, {"/c "}},
        {F_SCRIPT_LOLBIN, "T1218.013", false, {"mavinject"}, {"/injectrunning"}},
        {F_SCRIPT_LOLBIN, "T1216", false, {"syncappvpublishingserver"}, {NULL}},
        {F_SCRIPT_LOLBIN, "T1216.001", false, {"pubprn.vbs"}, {NULL}},
        {F_SCRIPT_LOLBIN, "T1218,T1203", false, {"ms-msdt:"}, {NULL}},

        /* persistence */
        {F_SCRIPT_PERSIST, "T1547.001", false, {"currentversion\\run"}, {NULL}},
        {F_SCRIPT_PERSIST, "T1547.004", false, {"currentversion\\winlogon"}, {"userinit", "shell"}},
        {F_SCRIPT_PERSIST, "T1053.005", false, {"schtasks"}, {"/create", "-create"}},
        {F_SCRIPT_PERSIST, "T1053.005", false, {"register-scheduledtask"}, {NULL}},
        {F_SCRIPT_PERSIST,
         "T1547.001",
         false,
         {"startup"},
         {"\\start menu\\programs\\startup", "shell:startup", "specialfolders(\"startup\")",
          "specialfolders(\"allusersstartup\")", "getfolderpath('startup')",
          "getfolderpath(\"startup\")", "specialfolder]::startup"}},
        {F_SCRIPT_PERSIST,
         "T1543.003",
         false,
         {"create"},
         {"sc create", "sc.exe create", "new-service"}},
        {F_SCRIPT_PERSIST,
         "T1546.003",
         false,
         {"eventconsumer"},
         {"__eventfilter", "commandlineeventconsumer", "activescripteventconsumer"}},
        {F_SCRIPT_PERSIST, "T1546.012", false, {"image file execution options"}, {NULL}},

        /* defences */
        {F_SCRIPT_AMSI,
         NULL,
         false,
         {"amsi"},
         {"amsiutils", "amsiinitfailed", "amsiscanbuffer", "amsicontext", "amsiopensession"}},
        {F_SCRIPT_DEFENDER,
         NULL,
         false,
         {"set-mppreference"},
         {"disablerealtimemonitoring", "disableioavprotection", "disablebehaviormonitoring",
          "disablescriptscanning", "exclusionpath", "exclusionprocess", "exclusionextension",
          "disableblockatfirstseen"}},
        {F_SCRIPT_DEFENDER,
         NULL,
         false,
         {"add-mppreference"},
         {"exclusionpath", "exclusionprocess", "exclusionextension"}},
        {F_SCRIPT_DEFENDER, NULL, false, {"disableantispyware"}, {NULL}},
        {F_SCRIPT_DEFENDER, NULL, false, {"mpcmdrun"}, {"-removedefinitions"}},
};

/* ids of `add` not yet in the comma-separated list b */
static void sc_attack_add(vbuf *b, const char *add)
{
	gchar **ids = g_strsplit(add, ",", 0);

	for (gchar **id = ids; *id != NULL; id++) {
		const char *have = b->len ? (const char *)b->data : "";
		size_t l = strlen(*id);
		const char *at = strstr(have, *id);
		bool dup = false;

		while (at != NULL && !dup) {
			dup = (at == have || at[-1] == ',') && (at[l] == 0 || at[l] == ',');
			at = strstr(at + 1, *id);
		}
		if (dup || l == 0)
			continue;
		if (b->len)
			(void)vbuf_putc(b, ',');
		(void)vbuf_append(b, *id, l);
		vbuf_terminate(b);
	}
	g_strfreev(ids);
}

/*
 * Every rule over the text; one finding per kind, with the evidence of the
 * first rule that matched and the ATT&CK ids of all of them.
 */
static void sc_rules_run(struct sc *c)
{
	long first[F__COUNT];
	size_t flen[F__COUNT];
	vbuf att[F__COUNT];
	bool seen[F__COUNT] = {false};

	for (size_t r = 0; r < G_N_ELEMENTS(sc_rules); r++) {
		const struct sc_rule *ru = &sc_rules[r];
		long at0 = -1, at;
		const char *hit = NULL;
		bool ok = true;

		for (int k = 0; k < 3 && ru->all[k] != NULL && ok; k++) {
			at = sc_find(c, ru->all[k]);
			if (at < 0)
				ok = false;
			else if (at0 < 0) {
				at0 = at;
				hit = ru->all[k];
			}
		}
		if (!ok)
			continue;
		if (ru->any[0] != NULL) {
			ok = false;
			for (int k = 0; k < 16 && ru->any[k] != NULL; k++) {
				at = sc_find(c, ru->any[k]);
				if (at >= 0) {
					ok = true;
					at0 = at;
					hit = ru->any[k];
					break;
				}
			}
		}
		if (!ok)
			continue;
		if (!seen[ru->kind]) {
			seen[ru->kind] = true;
			first[ru->kind] = at0;
			flen[ru->kind] = strlen(hit) - (hit[0] == '|');
			vbuf_init(&att[ru->kind], 96);
		}
		if (ru->attack != NULL)
			sc_attack_add(&att[ru->kind], ru->attack);
		if (ru->add_lang)
			sc_attack_add(&att[ru->kind], sc_lang_attack[c->lang]);
	}
	for (int k = 0; k < F__COUNT; k++) {
		if (!seen[k])
			continue;
		sc_report(c, (finding_kind)k, att[k].len ? (const char *)att[k].data : NULL,
		          first[k], flen[k], NULL);
		vbuf_free(&att[k]);
	}
}

/* ---- PowerShell encoded commands and base64 payloads ---- */

/* "-e", "-ec", "-en", "-enc", ... "-encodedcommand" (or '/'), then blanks */
static size_t sc_enc_flag(const uint8_t *lo, size_t n, size_t i)
{
	static const char full[] = "encodedcommand";
	size_t k = i + 1, m = 0;

	if (i > 0 && lo[i - 1] != ' ' && lo[i - 1] != '\t' && lo[i - 1] != '"' && lo[i - 1] != '\'')
		return 0;
	while (k < n && lo[k] >= 'a' && lo[k] <= 'z' && m < sizeof full)
		k++, m++;
	if (m == 0 || (k < n && ahelp_word(lo[k])))
		return 0;
	if (!(m == 2 && lo[i + 1] == 'e' && lo[i + 2] == 'c') &&
	    (m > sizeof full - 1 || memcmp(lo + i + 1, full, m) != 0))
		return 0;
	if (k >= n || (lo[k] != ' ' && lo[k] != '\t'))
		return 0;
	k = sc_ws(lo, n, k);
	if (k < n && (lo[k] == '"' || lo[k] == '\''))
		k++;
	return k;
}

static size_t sc_b64_run(const uint8_t *p, size_t n, size_t i)
{
	size_t k = i;

	while (k < n && (b64val(p[k]) >= 0 || p[k] == '='))
		k++;
	return k - i;
}

static void sc_encoded_commands(struct sc *c)
{
	size_t i = 0;
	unsigned found = 0;

	while (i < c->nn && found < SC_MAX_CHILDREN) {
		const uint8_t *hit = memchr(c->lo + i, '-', c->nn - i);
		const uint8_t *slash = memchr(c->lo + i, '/', c->nn - i);
		size_t at, k, run, len;
		uint8_t *raw;
		char *txt;

		if (slash != NULL && (hit == NULL || slash < hit))
			hit = slash;
		if (hit == NULL)
			break;
		at = (size_t)(hit - c->lo);
		i = at + 1;
		k = sc_enc_flag(c->lo, c->nn, at);
		if (k == 0)
			continue;
		run = sc_b64_run(c->norm, c->nn, k);
		if (run < 20)
			continue;
		/* PowerShell's own argument, not some other tool's -e */
		if (!c->powershell) {
			size_t from = at > 400 ? at - 400 : 0;

			if (ahelp_find(c->lo, at, from, "powershell") < 0 &&
			    ahelp_find_word(c->lo, at, from, "pwsh") < 0)
				continue;
		}
		raw = ahelp_b64(c->norm + k, run, SC_MAX_DECODED * 2, &len);
		if (raw == NULL)
			continue;
		if (!ahelp_looks_utf16le(raw, len)) {
			free(raw);
			continue;
		}
		txt = ahelp_utf16le(raw, len, SC_MAX_DECODED, false, &len);
		free(raw);
		found++;
		{
			vbuf b;

			vbuf_init(&b, SC_EVIDENCE);
			vbuf_printf(&b, "%.*s... decodes to: ", (int)(k - at > 20 ? 20 : k - at),
			            (const char *)c->norm + at);
			ahelp_snippet(&b, (const uint8_t *)txt, len, 0, 0, 200);
			vbuf_terminate(&b);
			ahelp_finding(c->s, c->o, F_SCRIPT_ENCODED_CMD, NULL, "%s",
			              (const char *)b.data);
			vbuf_free(&b);
		}
		sc_emit(c, "encoded_command.ps1", (uint8_t *)txt, len);
		i = k + run;
	}
}

/* raw Deflate (PowerShell's DeflateStream) bounded by room */
static uint8_t *sc_inflate(const uint8_t *p, size_t n, size_t max, size_t *out)
{
	z_stream z;
	vbuf b;
	uint8_t buf[16384];
	int rc = Z_OK;
	size_t len;

	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, -15) != Z_OK)
		return NULL;
	vbuf_init(&b, max);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	while (rc == Z_OK && b.len < b.max) {
		z.next_out = buf;
		z.avail_out = sizeof buf;
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END)
			break;
		if (vbuf_append(&b, buf, sizeof buf - z.avail_out) != VBUF_OK)
			break;
	}
	inflateEnd(&z);
	*out = 0;
	{
		uint8_t *r = vbuf_steal(&b, &len);

		if (r == NULL || len == 0) {
			free(r);
			return NULL;
		}
		*out = len;
		return r;
	}
}

static void sc_base64_payloads(struct sc *c)
{
	size_t i = 0;
	unsigned found = 0;
	bool runs = sc_find(c, "invoke-expression") >= 0 || sc_find(c, "|iex") >= 0 ||
	            sc_find(c, "scriptblock]::create") >= 0 || sc_find(c, ".invoke(") >= 0;
	bool loads = sc_find(c, "assembly]::load") >= 0;
	bool deflate = sc_find(c, "deflatestream") >= 0;
	long first = -1;

	while (found < 8) {
		long at = ahelp_find(c->lo, c->nn, i, "frombase64string(");
		size_t k, run, len;
		uint8_t *raw;
		char seg[32];

		if (at < 0)
			break;
		i = (size_t)at + 17;
		k = i;
		while (k < c->nn &&
		       (c->lo[k] == ' ' || c->lo[k] == '(' || c->lo[k] == '"' || c->lo[k] == '\''))
			k++;
		run = sc_b64_run(c->norm, c->nn, k);
		if (run < 40)
			continue;
		raw = ahelp_b64(c->norm + k, run, SC_MAX_DECODED, &len);
		if (raw == NULL)
			continue;
		if (first < 0)
			first = at;
		found++;
		if (ahelp_looks_utf16le(raw, len)) {
			char *txt = ahelp_utf16le(raw, len, SC_MAX_DECODED, false, &len);

			free(raw);
			raw = (uint8_t *)txt;
		} else if (deflate && len > 2 && raw[0] != 0x1f) {
			size_t ilen;
			uint8_t *inf = sc_inflate(raw, len, SC_MAX_DECODED, &ilen);

			if (inf != NULL) {
				free(raw);
				raw = inf;
				len = ilen;
			}
		}
		/* decoded text is more PowerShell (FromBase64String is .NET) */
		g_snprintf(seg, sizeof seg, "base64_%u%s", found,
		           strcmp(ftype_detect(raw, len, NULL), "text") == 0 ? ".ps1" : "");
		sc_emit(c, seg, raw, len);
		i = k + run;
	}
	if (first >= 0 && (runs || loads))
		sc_report(c, F_SCRIPT_ENCODED_CMD, loads ? "T1027,T1140,T1620" : "T1027,T1140",
		          first, 17,
		          loads ? "base64 payload loaded as code" : "base64 payload run as code");
}

/* ---- obfuscation ---- */

static void sc_obfuscation(struct sc *c)
{
	const uint8_t *p = c->text, *lo = c->lo_text;
	size_t n = c->n;
	unsigned concat = 0, tick = 0, caret = 0, substr = 0, fmt = 0, repl = 0;
	vbuf why;

	for (size_t i = 1; i + 1 < n; i++) {
		uint8_t ch = p[i];

		if ((ch == '+' || ch == '&')) {
			size_t a = i, b = i + 1;

			while (a > 0 && p[a - 1] == ' ')
				a--;
			while (b < n && p[b] == ' ')
				b++;
			if (a > 0 && (p[a - 1] == '"' || p[a - 1] == '\'') && b < n &&
			    (p[b] == '"' || p[b] == '\''))
				concat++;
		} else if (ch == '`' && g_ascii_isalpha(p[i - 1]) && g_ascii_isalpha(p[i + 1])) {
			tick++;
		} else if (ch == '^' && g_ascii_isalnum(p[i - 1]) && g_ascii_isalnum(p[i + 1])) {
			caret++;
		} else if (ch == ':' && p[i + 1] == '~' && i > 1 && g_ascii_isalnum(p[i - 1])) {
			substr++;
		} else if (ch == '}' && p[i - 1] >= '0' && p[i - 1] <= '9' && i > 1 &&
		           p[i - 2] == '{' && i + 1 < n && p[i + 1] == '{') {
			fmt++;
		}
	}
	{
		long at = 0;
		size_t from = 0;

		while (repl < 100 && (at = ahelp_find(lo, n, from, "replace")) >= 0) {
			repl++;
			from = (size_t)at + 7;
		}
	}
	vbuf_init(&why, SC_EVIDENCE);
	if (concat >= 30)
		vbuf_printf(&why, "%s%u string pieces glued together", why.len ? "; " : "", concat);
	if (c->charcodes >= 30)
		vbuf_printf(&why, "%s%u characters built from character codes", why.len ? "; " : "",
		            c->charcodes);
	if (tick >= 8)
		vbuf_printf(&why, "%s%u backticks inside words", why.len ? "; " : "", tick);
	if (caret >= 10)
		vbuf_printf(&why, "%s%u carets inside words", why.len ? "; " : "", caret);
	if (substr >= 10)
		vbuf_printf(&why, "%s%u variable substrings (%%v:~n,m%%)", why.len ? "; " : "",
		            substr);
	if (fmt >= 10)
		vbuf_printf(&why, "%s%u reordered format pieces ({1}{0})", why.len ? "; " : "",
		            fmt);
	if (repl >= 15)
		vbuf_printf(&why, "%s%u replace() calls", why.len ? "; " : "", repl);
	if ((ahelp_find(lo, n, 0, "strreverse(") >= 0 ||
	     (ahelp_find(lo, n, 0, "[array]::reverse") >= 0)) &&
	    why.len > 0)
		vbuf_printf(&why, "; reversed strings");
	if (why.len > 0) {
		vbuf_terminate(&why);
		ahelp_finding(c->s, c->o, F_SCRIPT_OBFUSCATED, NULL, "%s", (const char *)why.data);
	}
	vbuf_free(&why);
}

/* ---- which text is a script ---- */

static bool sc_lang_of_ext(const char *name, enum sc_lang *lang, bool *hta)
{
	const char *dot;
	static const struct {
		const char *ext;
		enum sc_lang lang;
	} map[] = {
	        {"ps1", L_PS},      {"psm1", L_PS},     {"psd1", L_PS},     {"vbs", L_VBS},
	        {"vbe", L_VBS},     {"vb", L_VBS},      {"js", L_JS},       {"jse", L_JS},
	        {"bat", L_BAT},     {"cmd", L_BAT},     {"wsf", L_UNKNOWN}, {"wsh", L_UNKNOWN},
	        {"sct", L_UNKNOWN}, {"hta", L_UNKNOWN},
	};

	*hta = false;
	if (name == NULL || (dot = strrchr(name, '.')) == NULL)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
		if (g_ascii_strcasecmp(dot + 1, map[i].ext) == 0) {
			*hta = map[i].lang == L_UNKNOWN;
			*lang = map[i].lang;
			return true;
		}
	}
	return false;
}

/*
 * Code, not prose: an email that mentions PowerShell or Invoke-Expression
 * is no script; two of these make unnamed text one.
 */
static const char *const sc_markers[] = {"wscript.shell",
                                         "activexobject",
                                         "createobject(",
                                         "new-object ",
                                         "hta:application",
                                         "net.webclient",
                                         "shell.application",
                                         "frombase64string(",
                                         "scripting.filesystemobject",
                                         "adodb.stream",
                                         "-executionpolicy",
                                         "$env:",
                                         "wscript.createobject",
                                         "@echo off",
                                         "iex(",
                                         "iex (",
                                         "invoke-expression (",
                                         ".downloadstring(",
                                         ".downloadfile(",
                                         "start-process ",
                                         "-encodedcommand",
                                         "-windowstyle hidden",
                                         "cmd.exe /c",
                                         "cmd /c",
                                         "set-mppreference ",
                                         "[system.reflection.",
                                         "wscript.sleep",
                                         "msxml2.xmlhttp",
                                         "getobject(\"winmgmts",
                                         NULL};

/* markers that make HTML an HTA or a page with Windows script in it */
static const char *const sc_html_markers[] = {
        "hta:application", "language=\"vbscript\"", "language=vbscript", "type=\"text/vbscript\"",
        "activexobject",   "wscript.shell",         "createobject(",     NULL};

static unsigned sc_count(const uint8_t *lo, size_t n, const char *const *list)
{
	unsigned k = 0;

	for (; *list != NULL; list++)
		if (ahelp_find(lo, n, 0, *list) >= 0)
			k++;
	return k;
}

static enum sc_lang sc_guess(const uint8_t *lo, size_t n)
{
	static const char *const ps[] = {"$env:",   "new-object", "-executionpolicy",
	                                 "invoke-", "[system.",   "write-host",
	                                 "param(",  "get-",       "-join",
	                                 "$null",   NULL};
	static const char *const vbs[] = {"createobject(",
	                                  "dim ",
	                                  "end sub",
	                                  "end function",
	                                  "on error resume next",
	                                  "wscript.echo",
	                                  "msgbox",
	                                  " then",
	                                  NULL};
	static const char *const js[] = {"activexobject", "var ", "function(", "function ",
	                                 "new ",          "};",   "try {",     NULL};
	static const char *const bat[] = {"@echo off", "%~dp0", "goto ",      "set /p", "%comspec%",
	                                  "if exist",  "rem ",  "errorlevel", NULL};
	unsigned c[5] = {0, sc_count(lo, n, ps), sc_count(lo, n, vbs), sc_count(lo, n, js),
	                 sc_count(lo, n, bat)};
	enum sc_lang best = L_UNKNOWN;

	for (int l = L_PS; l <= L_BAT; l++)
		if (c[l] >= 2 && c[l] > c[best])
			best = (enum sc_lang)l;
	for (int l = L_PS; l <= L_BAT; l++)
		if (l != (int)best && c[l] == c[best] && best != L_UNKNOWN)
			return L_UNKNOWN;
	return best;
}

static void sc_run(struct sc *c)
{
	bool jscript = false;

	if (c->lo_text == NULL)
		return;
	/* encoded blocks first: the decoded child is scanned on its own */
	if (sc_screnc_all(c, &jscript))
		ahelp_finding(c->s, c->o, F_SCRIPT_ENCODED,
		              jscript ? "T1027,T1059.007" : "T1027,T1059.005",
		              "%s.Encode block decoded into a child",
		              jscript ? "JScript" : "VBScript");
	if (!sc_normalize(c))
		return;
	sc_encoded_commands(c);
	if (!(c->named || c->cmdline))
		return;
	sc_base64_payloads(c);
	sc_rules_run(c);
	sc_obfuscation(c);
	if (c->nn != c->n || memcmp(c->norm, c->text, c->n) != 0)
		(void)ahelp_url_facts(c->s, c->norm, c->nn, NULL);
}

static void sc_free(struct sc *c)
{
	free(c->norm);
	free(c->lo);
	free(c->lo_text);
}

static void script_analyze(vigil_scan *s, vigil_object *o)
{
	struct sc c;
	bool hta = false;
	enum sc_lang by_name = L_UNKNOWN;

	if (o->data == NULL || o->len == 0)
		return;
	memset(&c, 0, sizeof c);
	c.s = s;
	c.o = o;
	c.text = o->data;
	c.n = o->len < SC_MAX_SCAN ? o->len : SC_MAX_SCAN;
	c.lo_text = ahelp_lower(c.text, c.n);
	if (c.lo_text == NULL)
		return;
	if (sc_lang_of_ext(o->name, &by_name, &hta)) {
		c.named = true;
		c.lang = by_name;
	} else if (strcmp(o->type, "html") == 0) {
		c.named = sc_count(c.lo_text, c.n, sc_html_markers) >= 1;
		hta = true;
	} else {
		c.named = sc_count(c.lo_text, c.n, sc_markers) >= 2;
	}
	if (hta || (c.named && c.lang == L_UNKNOWN)) {
		if (ahelp_find(c.lo_text, c.n, 0, "vbscript") >= 0)
			c.lang = L_VBS;
		else if (ahelp_find(c.lo_text, c.n, 0, "jscript") >= 0 ||
		         ahelp_find(c.lo_text, c.n, 0, "javascript") >= 0)
			c.lang = L_JS;
		else
			c.lang = sc_guess(c.lo_text, c.n);
	}
	c.powershell = c.lang == L_PS;
	sc_run(&c);
	sc_free(&c);
}

void script_scan_command(vigil_scan *s, vigil_object *o, const char *cmd, size_t n, bool powershell)
{
	struct sc c;

	memset(&c, 0, sizeof c);
	c.s = s;
	c.o = o;
	c.text = (const uint8_t *)cmd;
	c.n = n < SC_MAX_SCAN ? n : SC_MAX_SCAN;
	c.cmdline = true;
	c.powershell = powershell;
	c.lang = powershell ? L_PS : L_BAT;
	c.lo_text = ahelp_lower(c.text, c.n);
	sc_run(&c);
	sc_free(&c);
}

static const char *const script_types[] = {"text", "html", "xml", NULL};
const analyzer script_analyzer = {"script", script_types, script_analyze, false};
