/*
 * test_html.c - files inside HTML: data: URIs (base64 and percent-encoded)
 * and HTML smuggling pages; the bound on children. Pages are built here.
 */
#include "testutil.h"

static vigil_engine *eng(void)
{
	return tu_engine(NULL, NULL);
}

static void assert_data(const vigil_scan *s, const char *suffix, const void *want, size_t n)
{
	const vigil_object *o = tu_object(s, suffix);
	size_t len;
	const uint8_t *d;

	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	d = vigil_object_data(o, &len);
	assert_int_equal(len, n);
	assert_memory_equal(d, want, n);
}

static void data_uris_decode_exactly(void **state)
{
	vigil_engine *e = eng();
	uint8_t bin[256];
	char *b64, *wrapped, *page;
	GString *w = g_string_new(NULL);
	vigil_scan *s;
	const vigil_object *o;

	(void)state;
	for (int i = 0; i < 256; i++)
		bin[i] = (uint8_t)(255 - i);
	b64 = g_base64_encode(bin, sizeof bin);
	/* wrapped lines and a '+' written as a character reference */
	for (size_t i = 0; b64[i]; i++) {
		if (b64[i] == '+')
			g_string_append(w, "&#43;");
		else
			g_string_append_c(w, b64[i]);
		if (i % 60 == 59)
			g_string_append(w, "\r\n");
	}
	wrapped = g_string_free(w, FALSE);
	assert_non_null(strchr(b64, '+'));
	page = g_strdup_printf(
	        "<!DOCTYPE html><html><head><style>.x{background:url(data:application/"
	        "octet-stream;base64,QUJD)}</style></head><body>\n"
	        "<img alt=\"metadata:x,y\" src=\"data:image/png;base64,%s\">\n"
	        "<a href='data:text/plain;charset=utf-8,Hello%%2C%%20World%%21%%0A%%FF'>t</a>\n"
	        "<p>see data:,abc%%20def here</p>\n"
	        "<p>empty <a href=\"data:text/plain,\">x</a> and prose data: none</p>\n"
	        "</body></html>\n",
	        wrapped);
	s = tu_scan(e, page, strlen(page), "page.html");
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "html");
	assert_data(s, "page.html/data-uri-1.bin", "ABC", 3);
	assert_data(s, "page.html/data-uri-2.png", bin, sizeof bin);
	assert_data(s, "page.html/data-uri-3.txt", "Hello, World!\n\xFF", 15);
	assert_data(s, "page.html/data-uri-4.txt", "abc def", 7);
	o = tu_object(s, "/data-uri-2.png");
	assert_string_equal(vigil_object_content_type(o), "image/png");
	assert_string_equal(vigil_object_name(o), "data-uri-2.png");
	/* nothing else: metadata:, the empty URI and the prose are no URIs */
	assert_int_equal(vigil_scan_object_count(s), 5);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	assert_int_equal(tu_finding(s, "html.smuggling"), -1);
	vigil_scan_free(s);
	g_free(page);
	g_free(wrapped);
	g_free(b64);
	vigil_engine_unref(e);
}

/* an executable behind an image type, in the HTML part of a message */
static void disguised_data_uri_in_email(void **state)
{
	vigil_engine *e = eng();
	uint8_t mz[128] = {'M', 'Z'};
	char *b64 = g_base64_encode(mz, sizeof mz);
	char *m = g_strdup_printf(
	        "From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n"
	        "MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
	        "<html><body><img src=\"data:image/png;base64,%s\"></body></html>\r\n",
	        b64);
	vigil_scan *s = tu_scan(e, m, strlen(m), NULL);
	const vigil_object *o = tu_object(s, "/data-uri-1.png");

	(void)state;
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	assert_string_equal(vigil_object_type(o), "mz");
	assert_true(tu_finding(s, "name.type_mismatch") >= 0);
	vigil_scan_free(s);
	g_free(m);
	g_free(b64);
	vigil_engine_unref(e);
}

static char *smuggling_page(const uint8_t *p, size_t n, int download)
{
	char *b64 = g_base64_encode(p, n);
	size_t half = strlen(b64) / 2;
	char *page = g_strdup_printf(
	        "<html><body><h1>Loading document...</h1><script>\n"
	        "var d = '%.*s' +\n    '%s';\n"
	        "function s2b(x){var r=atob(x),u=new Uint8Array(r.length);"
	        "for(var i=0;i<r.length;i++)u[i]=r.charCodeAt(i);return u;}\n"
	        "var blob = new Blob([s2b(d)], {type: 'application/octet-stream'});\n"
	        "var a = document.createElement('a');\n"
	        "a.href = URL.createObjectURL(blob);\n"
	        "%s\n"
	        "</script></body></html>\n",
	        (int)half, b64, b64 + half,
	        download ? "a.download = 'Invoice.exe'; a.click();"
	                 : "window.navigator.msSaveOrOpenBlob(blob, 'Invoice.exe');");
	g_free(b64);
	return page;
}

static void smuggling_page_yields_payload(void **state)
{
	vigil_engine *e = eng();
	uint8_t payload[3000];
	char *page;
	vigil_scan *s;
	long f;
	const vigil_finding *fi;

	(void)state;
	payload[0] = 'M';
	payload[1] = 'Z';
	for (size_t i = 2; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 31 + 3);
	for (int variant = 0; variant < 2; variant++) {
		page = smuggling_page(payload, sizeof payload, variant == 0);
		s = tu_scan(e, page, strlen(page), "invoice.html");
		assert_data(s, "invoice.html/smuggled-1.bin", payload, sizeof payload);
		f = tu_finding(s, "html.smuggling");
		assert_true(f >= 0);
		fi = vigil_scan_finding(s, (size_t)f);
		assert_int_equal(vigil_finding_severity(fi), VIGIL_SEV_HIGH);
		assert_string_equal(vigil_finding_attack(fi), "T1027.006");
		assert_string_equal(tu_finding_path(s, f), "invoice.html");
		vigil_scan_free(s);
		g_free(page);
	}
	vigil_engine_unref(e);
}

/* the same literal without Blob + save is no smuggling */
static void long_literal_alone_is_not_smuggling(void **state)
{
	vigil_engine *e = eng();
	uint8_t payload[3000];
	char *b64, *page;
	vigil_scan *s;

	(void)state;
	memset(payload, 'x', sizeof payload);
	b64 = g_base64_encode(payload, sizeof payload);
	page = g_strdup_printf("<html><body><script>var font = \"%s\"; load(font);</script>"
	                       "<a href=\"/files\">download</a></body></html>",
	                       b64);
	s = tu_scan(e, page, strlen(page), "p.html");
	assert_int_equal(vigil_scan_object_count(s), 1);
	assert_int_equal(tu_finding(s, "html.smuggling"), -1);
	vigil_scan_free(s);
	g_free(page);
	g_free(b64);
	vigil_engine_unref(e);
}

static void data_uri_download_is_smuggling(void **state)
{
	vigil_engine *e = eng();
	uint8_t zip[2000] = {'P', 'K', 3, 4};
	char *b64 = g_base64_encode(zip, sizeof zip);
	char *page = g_strdup_printf("<html><body><a id=x download=\"scan.zip\" "
	                             "href=\"data:application/zip;base64,%s\">open</a>"
	                             "<script>document.getElementById('x').click()</script>"
	                             "</body></html>",
	                             b64);
	vigil_scan *s = tu_scan(e, page, strlen(page), "p.html");

	(void)state;
	assert_data(s, "p.html/data-uri-1.zip", zip, sizeof zip);
	assert_true(tu_finding(s, "html.smuggling") >= 0);
	vigil_scan_free(s);
	g_free(page);
	g_free(b64);
	vigil_engine_unref(e);
}

static void many_data_uris_stop_at_bound(void **state)
{
	vigil_engine *e = eng();
	GString *g = g_string_new("<html><body>\n");
	vigil_scan *s;
	long f;

	(void)state;
	for (int i = 0; i < 5000; i++)
		g_string_append(g, "<img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">\n");
	g_string_append(g, "</body></html>\n");
	s = tu_scan(e, g->str, g->len, "many.html");
	assert_int_equal(vigil_scan_object_count(s), 1 + 256);
	assert_non_null(tu_object(s, "many.html/data-uri-256.gif"));
	assert_null(tu_object(s, "many.html/data-uri-257.gif"));
	f = tu_finding(s, "limit.objects");
	assert_true(f >= 0);
	assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(s, (size_t)f)), "256"));
	assert_int_not_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
	vigil_engine_unref(e);
}

/* SVG is XML: its data: URIs are files too */
static void svg_data_uri(void **state)
{
	vigil_engine *e = eng();
	const char *svg = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">"
	                  "<image href=\"data:text/plain;base64,c3ZnIHBheWxvYWQ=\"/></svg>\n";
	vigil_scan *s = tu_scan(e, svg, strlen(svg), "a.svg");

	(void)state;
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "xml");
	assert_data(s, "a.svg/data-uri-1.txt", "svg payload", 11);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(data_uris_decode_exactly),
	        cmocka_unit_test(disguised_data_uri_in_email),
	        cmocka_unit_test(smuggling_page_yields_payload),
	        cmocka_unit_test(long_literal_alone_is_not_smuggling),
	        cmocka_unit_test(data_uri_download_is_smuggling),
	        cmocka_unit_test(many_data_uris_stop_at_bound),
	        cmocka_unit_test(svg_data_uri),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
