/*
 * test_rtf.c - OLE objects inside RTF become objects: OLE1 headers, Package
 * files, the hex tricks Word accepts, linked objects, nesting and limits.
 * Every document is built here from the formats' definitions (MS-OLEDS).
 */
#include "testutil.h"

static vigil_engine *eng(void)
{
	return tu_engine(NULL, NULL);
}

static void put32(GByteArray *a, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	g_byte_array_append(a, b, 4);
}

/* LengthPrefixedAnsiString; NULL is the empty string (length 0) */
static void lpstr(GByteArray *a, const char *s)
{
	if (s == NULL) {
		put32(a, 0);
		return;
	}
	put32(a, (uint32_t)strlen(s) + 1);
	g_byte_array_append(a, (const uint8_t *)s, (guint)strlen(s) + 1);
}

/* an OLE1 EmbeddedObject (MS-OLEDS 2.2.5) without presentation */
static GByteArray *ole1_embedded(const char *cls, const uint8_t *native, size_t n)
{
	GByteArray *a = g_byte_array_new();

	put32(a, 0x00000501);
	put32(a, 2);
	lpstr(a, cls);
	lpstr(a, NULL);
	lpstr(a, NULL);
	put32(a, (uint32_t)n);
	g_byte_array_append(a, native, (guint)n);
	return a;
}

/* the packager's native data: signature, label, source, flags, temp, file */
static GByteArray *package_native(const char *label, const char *src, const char *temp,
                                  const uint8_t *file, size_t n)
{
	GByteArray *a = g_byte_array_new();
	uint8_t sig[2] = {2, 0};

	g_byte_array_append(a, sig, 2);
	g_byte_array_append(a, (const uint8_t *)label, (guint)strlen(label) + 1);
	g_byte_array_append(a, (const uint8_t *)src, (guint)strlen(src) + 1);
	put32(a, 0x00030000);
	put32(a, (uint32_t)strlen(temp) + 1);
	g_byte_array_append(a, (const uint8_t *)temp, (guint)strlen(temp) + 1);
	put32(a, (uint32_t)n);
	g_byte_array_append(a, file, (guint)n);
	return a;
}

static char *hex(const uint8_t *p, size_t n, size_t wrap)
{
	GString *g = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		g_string_append_printf(g, "%02x", p[i]);
		if (wrap && (i + 1) % wrap == 0)
			g_string_append_c(g, '\n');
	}
	return g_string_free(g, FALSE);
}

static uint8_t payload[300];

static void make_payload(void)
{
	payload[0] = 'M';
	payload[1] = 'Z';
	for (size_t i = 2; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 13 + 7); /* includes '{', '}', '\\' */
}

static GByteArray *package_object(void)
{
	GByteArray *pkg, *obj;

	make_payload();
	pkg = package_native("payload.exe", "C:\\Users\\a\\Desktop\\payload.exe",
	                     "C:\\Users\\a\\AppData\\Local\\Temp\\payload.exe", payload,
	                     sizeof payload);
	obj = ole1_embedded("Package", pkg->data, pkg->len);
	g_byte_array_free(pkg, TRUE);
	return obj;
}

static char *rtf_with(const char *objdata_text)
{
	return g_strdup_printf("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\pard Hello\\par\n"
	                       "{\\object\\objemb{\\*\\objclass Package}\\objw100\\objh100"
	                       "{\\*\\objdata %s}"
	                       "{\\result{\\pict\\wmetafile8\\picw10\\pich10 "
	                       "010009000003\n4d5a90000300000004000000ffff}}}\\par}",
	                       objdata_text);
}

static void assert_payload(const vigil_scan *s, const char *suffix)
{
	const vigil_object *o = tu_object(s, suffix);
	size_t len;
	const uint8_t *d;

	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	d = vigil_object_data(o, &len);
	assert_int_equal(len, sizeof payload);
	assert_memory_equal(d, payload, sizeof payload);
}

static void package_file_comes_out_named(void **state)
{
	vigil_engine *e = eng();
	GByteArray *obj = package_object();
	char *h = hex(obj->data, obj->len, 64), *doc = rtf_with(h);
	vigil_scan *s = tu_scan(e, doc, strlen(doc), "letter.rtf");
	const vigil_object *o;
	long f;

	(void)state;
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "rtf");
	assert_payload(s, "letter.rtf/object1:Package:payload.exe");
	o = tu_object(s, "payload.exe");
	assert_string_equal(vigil_object_name(o), "payload.exe");
	assert_string_equal(vigil_object_type(o), "mz");
	/* the picture is not an object: root + the file */
	assert_int_equal(vigil_scan_object_count(s), 2);
	f = tu_finding(s, "rtf.package");
	assert_true(f >= 0);
	assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(s, (size_t)f)),
	                       "AppData\\Local\\Temp\\payload.exe"));
	assert_int_equal(tu_finding(s, "rtf.obfuscated_objdata"), -1);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	assert_int_equal(tu_finding(s, "rtf.objupdate"), -1);
	vigil_scan_free(s);
	g_free(doc);
	g_free(h);
	g_byte_array_free(obj, TRUE);
	vigil_engine_unref(e);
}

/*
 * The hex with everything Word skips: blanks, CR/LF, groups holding hex
 * digits, control words with parameters, control symbols, an odd digit
 * dropped by \'hh, and a trailing odd digit.
 */
static char *obfuscate(const char *h)
{
	GString *g = g_string_new(NULL);
	static const char *const junk[] = {
	        " ",      "\r\n",    "{\\*\\foo 1234abcd}",
	        "\\par ", "\\fs24 ", "{\\*\\x{\\y 99}}",
	        "\t",     "\\~",     "F\\'zz",
	        "\n",     "\\-",     "{}",
	};
	size_t k = 0;

	/* junk between whole bytes; only blanks inside a byte */
	for (size_t i = 0; h[i]; i++) {
		if (i % 6 == 0)
			g_string_append(g, junk[k++ % G_N_ELEMENTS(junk)]);
		else if (i % 6 == 3)
			g_string_append(g, i % 4 ? " " : "\r\n");
		g_string_append_c(g, h[i]);
	}
	g_string_append(g, "7"); /* odd count: Word drops the last digit */
	return g_string_free(g, FALSE);
}

static void obfuscated_hex_decodes_like_word(void **state)
{
	vigil_engine *e = eng();
	GByteArray *obj = package_object();
	char *h = hex(obj->data, obj->len, 0), *ob = obfuscate(h), *doc = rtf_with(ob);
	vigil_scan *s = tu_scan(e, doc, strlen(doc), "x.rtf");
	long f;
	const char *ev;

	(void)state;
	assert_payload(s, "/object1:Package:payload.exe");
	f = tu_finding(s, "rtf.obfuscated_objdata");
	assert_true(f >= 0);
	ev = vigil_finding_evidence(vigil_scan_finding(s, (size_t)f));
	assert_non_null(strstr(ev, "an odd digit count"));
	assert_null(strstr(ev, " 0 control words"));
	assert_null(strstr(ev, " 0 groups"));
	assert_null(strstr(ev, " 0 \\' escapes"));
	vigil_scan_free(s);
	g_free(doc);
	g_free(ob);
	g_free(h);
	g_byte_array_free(obj, TRUE);
	vigil_engine_unref(e);
}

/* the first 20 bytes as hex, the rest as a \bin run of raw bytes */
static void bin_run_carries_raw_bytes(void **state)
{
	vigil_engine *e = eng();
	GByteArray *obj = package_object();
	char *h = hex(obj->data, 20, 0);
	GByteArray *doc = g_byte_array_new();
	char *head = g_strdup_printf("{\\rtf1{\\object\\objemb{\\*\\objdata %s\\bin%u ", h,
	                             obj->len - 20);
	vigil_scan *s;
	long f;

	(void)state;
	g_byte_array_append(doc, (const uint8_t *)head, (guint)strlen(head));
	g_byte_array_append(doc, obj->data + 20, obj->len - 20);
	g_byte_array_append(doc, (const uint8_t *)"}}}", 3);
	s = tu_scan(e, doc->data, doc->len, "bin.rtf");
	assert_payload(s, "/object1:Package:payload.exe");
	f = tu_finding(s, "rtf.obfuscated_objdata");
	assert_true(f >= 0);
	assert_non_null(
	        strstr(vigil_finding_evidence(vigil_scan_finding(s, (size_t)f)), "1 \\bin runs"));
	vigil_scan_free(s);
	g_free(head);
	g_free(h);
	g_byte_array_free(doc, TRUE);
	g_byte_array_free(obj, TRUE);
	vigil_engine_unref(e);
}

static void equation_object_is_reported(void **state)
{
	vigil_engine *e = eng();
	uint8_t native[64] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
	GByteArray *obj = ole1_embedded("Equation.3", native, sizeof native);
	char *h = hex(obj->data, obj->len, 40);
	char *doc = g_strdup_printf("{\\rtf1{\\object\\objemb\\objupdate{\\*\\objclass Equation.3}"
	                            "{\\*\\objdata\n%s\n}}}",
	                            h);
	vigil_scan *s = tu_scan(e, doc, strlen(doc), "eq.rtf");
	const vigil_object *o = tu_object(s, "eq.rtf/object1:Equation.3");
	size_t len;
	long f;

	(void)state;
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), native, sizeof native);
	assert_int_equal(len, sizeof native);
	assert_string_equal(vigil_object_type(o), "ole2");
	f = tu_finding(s, "rtf.exploit_class");
	assert_true(f >= 0);
	assert_non_null(
	        strstr(vigil_finding_evidence(vigil_scan_finding(s, (size_t)f)), "CVE-2017-11882"));
	assert_string_equal(vigil_finding_attack(vigil_scan_finding(s, (size_t)f)), "T1203");
	assert_true(tu_finding(s, "rtf.objupdate") >= 0);
	assert_int_equal(tu_finding(s, "rtf.package"), -1);
	assert_int_not_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_free(doc);
	g_free(h);
	g_byte_array_free(obj, TRUE);
	vigil_engine_unref(e);
}

/* OLE1 LinkedObject (MS-OLEDS 2.2.6): no native data, a link target */
static void linked_object_reports_target(void **state)
{
	vigil_engine *e = eng();
	GByteArray *a = g_byte_array_new();
	char *h, *doc;
	vigil_scan *s;
	long f;
	const char *ev;

	(void)state;
	put32(a, 0x00000501);
	put32(a, 1);
	lpstr(a, "Excel.Sheet.8");
	lpstr(a, "\\\\files.evil.example\\share\\budget.xls");
	lpstr(a, "Sheet1!R1C1");
	lpstr(a, NULL); /* NetworkName */
	put32(a, 0);
	put32(a, 1); /* LinkUpdateOption: always */
	h = hex(a->data, a->len, 64);
	doc = g_strdup_printf("{\\rtf1{\\object\\objautlink{\\*\\objdata %s}}}", h);
	s = tu_scan(e, doc, strlen(doc), "link.rtf");
	f = tu_finding(s, "rtf.linked_object");
	if (f < 0)
		tu_dump(s);
	assert_true(f >= 0);
	ev = vigil_finding_evidence(vigil_scan_finding(s, (size_t)f));
	assert_non_null(strstr(ev, "files.evil.example\\share\\budget.xls"));
	assert_non_null(strstr(ev, "Sheet1!R1C1"));
	assert_string_equal(vigil_finding_attack(vigil_scan_finding(s, (size_t)f)), "T1221");
	assert_int_equal(vigil_scan_object_count(s), 1);
	vigil_scan_free(s);
	g_free(doc);
	g_free(h);
	g_byte_array_free(a, TRUE);
	vigil_engine_unref(e);
}

#define DEEP 100000

/* 100,000 levels, balanced and not, around and inside the object data */
static void deep_nesting_is_bounded_and_reported(void **state)
{
	vigil_engine *e = eng();
	GByteArray *obj = package_object();
	char *h = hex(obj->data, obj->len, 64);
	GString *g = g_string_new("{\\rtf1 ");
	vigil_scan *s;

	(void)state;
	/* balanced nesting before the object */
	for (int i = 0; i < DEEP; i++)
		g_string_append_c(g, '{');
	g_string_append(g, "text");
	for (int i = 0; i < DEEP; i++)
		g_string_append_c(g, '}');
	/* never closed: the object sits 100,000 levels down */
	for (int i = 0; i < DEEP; i++)
		g_string_append_c(g, '{');
	g_string_append_printf(g, "\\object\\objemb{\\*\\objdata %s}", h);
	s = tu_scan(e, g->str, g->len, "deep.rtf");
	assert_true(tu_finding(s, "rtf.nesting_overflow") >= 0);
	assert_payload(s, "/object1:Package:payload.exe");
	vigil_scan_free(s);

	/* groups nested inside the object data are skipped, however deep */
	g_string_assign(g, "{\\rtf1{\\object{\\*\\objdata ");
	g_string_append_len(g, h, 20);
	for (int i = 0; i < DEEP; i++)
		g_string_append(g, "{\\*");
	g_string_append(g, "4142");
	for (int i = 0; i < DEEP; i++)
		g_string_append_c(g, '}');
	g_string_append(g, h + 20);
	g_string_append(g, "}}}");
	s = tu_scan(e, g->str, g->len, "deep2.rtf");
	assert_true(tu_finding(s, "rtf.nesting_overflow") >= 0);
	assert_true(tu_finding(s, "rtf.obfuscated_objdata") >= 0);
	assert_payload(s, "/object1:Package:payload.exe");
	vigil_scan_free(s);
	g_string_free(g, TRUE);
	g_free(h);
	g_byte_array_free(obj, TRUE);
	vigil_engine_unref(e);
}

static void truncated_hex_keeps_the_prefix(void **state)
{
	vigil_engine *e = eng();
	uint8_t native[200];
	GByteArray *obj;
	char *h, *doc;
	vigil_scan *s;
	const vigil_object *o;
	size_t len, header;
	const uint8_t *d;

	(void)state;
	for (size_t i = 0; i < sizeof native; i++)
		native[i] = (uint8_t)(255 - i);
	obj = ole1_embedded("Word.Document.8", native, sizeof native);
	header = obj->len - sizeof native;
	h = hex(obj->data, obj->len, 0);
	/* the document stops 100 native bytes in, in the middle of a byte */
	doc = g_strdup_printf("{\\rtf1{\\object{\\*\\objdata %.*s", (int)(2 * (header + 100) + 1),
	                      h);
	s = tu_scan(e, doc, strlen(doc), "cut.rtf");
	o = tu_object(s, "cut.rtf/object1:Word.Document.8");
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	d = vigil_object_data(o, &len);
	assert_int_equal(len, 100);
	assert_memory_equal(d, native, 100);
	assert_true(vigil_object_flags(o) & VIGIL_OBJ_TRUNCATED);
	assert_true(tu_finding(s, "decode.error") >= 0);
	assert_true(tu_finding(s, "rtf.exploit_class") >= 0); /* Word.Document.* */
	vigil_scan_free(s);
	g_free(doc);
	g_free(h);
	g_byte_array_free(obj, TRUE);
	vigil_engine_unref(e);
}

/* data that is no OLE1 object is handed on raw; the count is bounded */
static void raw_objects_and_object_bound(void **state)
{
	vigil_engine *e = eng();
	GString *g = g_string_new("{\\rtf1");
	vigil_scan *s;
	const vigil_object *o;
	size_t len;

	(void)state;
	for (int i = 0; i < 300; i++)
		g_string_append(g, "{\\*\\objdata 4142 43}");
	g_string_append_c(g, '}');
	s = tu_scan(e, g->str, g->len, "many.rtf");
	assert_int_equal(vigil_scan_object_count(s), 1 + 256);
	o = tu_object(s, "many.rtf/object256");
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), "ABC", 3);
	assert_int_equal(len, 3);
	assert_null(tu_object(s, "many.rtf/object257"));
	assert_true(tu_finding(s, "limit.objects") >= 0);
	assert_true(tu_finding(s, "decode.error") >= 0);
	assert_int_not_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
	vigil_engine_unref(e);
}

/* an escaped \\objdata in text, a \bin with a huge count and no data */
static void text_and_hostile_parameters(void **state)
{
	vigil_engine *e = eng();
	const char *doc =
	        "{\\rtf1 The \\\\objdata word {\\*\\objdata 41\\bin99999999999999999999999";
	vigil_scan *s = tu_scan(e, doc, strlen(doc), "p.rtf");
	const vigil_object *o = tu_object(s, "p.rtf/object1");
	size_t len;

	(void)state;
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), "A", 1);
	assert_int_equal(len, 1);
	assert_int_equal(vigil_scan_object_count(s), 2);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* a Package whose native data does not parse is handed on whole */
static void damaged_package_is_handed_on(void **state)
{
	vigil_engine *e = eng();
	uint8_t native[40];
	GByteArray *obj;
	char *h, *doc;
	vigil_scan *s;
	const vigil_object *o;
	size_t len;

	(void)state;
	memset(native, 'A', sizeof native); /* no NUL: the label never ends */
	obj = ole1_embedded("Package", native, sizeof native);
	h = hex(obj->data, obj->len, 0);
	doc = g_strdup_printf("{\\rtf1{\\object{\\*\\objdata %s}}}", h);
	s = tu_scan(e, doc, strlen(doc), "d.rtf");
	o = tu_object(s, "d.rtf/object1:Package");
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), native, sizeof native);
	assert_int_equal(len, sizeof native);
	assert_true(tu_finding(s, "rtf.package") >= 0);
	assert_true(tu_finding(s, "decode.error") >= 0);
	vigil_scan_free(s);
	g_free(doc);
	g_free(h);
	g_byte_array_free(obj, TRUE);
	vigil_engine_unref(e);
}

/* object data hidden in a group inside (empty) object data is reported */
static void nested_objdata_is_reported(void **state)
{
	vigil_engine *e = eng();
	const char *doc = "{\\rtf1{\\object{\\*\\objdata {\\*\\objdata 41424344}}}}";
	vigil_scan *s = tu_scan(e, doc, strlen(doc), "n.rtf");
	long f = tu_finding(s, "rtf.obfuscated_objdata");

	(void)state;
	assert_int_equal(vigil_scan_object_count(s), 1);
	assert_true(f >= 0);
	assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(s, (size_t)f)),
	                       "empty object data"));
	assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(s, (size_t)f)),
	                       "objdata hidden in a nested group"));
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(package_file_comes_out_named),
	        cmocka_unit_test(obfuscated_hex_decodes_like_word),
	        cmocka_unit_test(bin_run_carries_raw_bytes),
	        cmocka_unit_test(equation_object_is_reported),
	        cmocka_unit_test(linked_object_reports_target),
	        cmocka_unit_test(deep_nesting_is_bounded_and_reported),
	        cmocka_unit_test(truncated_hex_keeps_the_prefix),
	        cmocka_unit_test(raw_objects_and_object_bound),
	        cmocka_unit_test(text_and_hostile_parameters),
	        cmocka_unit_test(nested_objdata_is_reported),
	        cmocka_unit_test(damaged_package_is_handed_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
