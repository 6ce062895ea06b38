/*
 * test_tnef.c - TNEF (winmail.dat): attachments, bodies, embedded messages,
 * malformed streams.
 *
 * The streams are generated here from MS-OXTNEF (attributes, checksums, MAPI
 * property lists) and MS-OXRTFCP (its worked example of compressed RTF). To
 * show the generator writes real TNEF and not only what our parser expects,
 * the main stream is also read with libytnef, an independent implementation
 * (see docs/decisions/0003-tnef.md), which must find the same attachments.
 */
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-output.h>
#include <stdbool.h>
#include <stdio.h> /* ytnef.h needs FILE */
#include <ytnef.h>

#include "testutil.h"

/* ---- a TNEF writer ---- */

#define ATT_SUBJECT 0x00018004u
#define ATT_MESSAGE_CLASS 0x00078008u
#define ATT_BODY 0x0002800Cu
#define ATT_ATTACH_DATA 0x0006800Fu
#define ATT_ATTACH_TITLE 0x00018010u
#define ATT_ATTACH_RENDDATA 0x00069002u
#define ATT_MSG_PROPS 0x00069003u
#define ATT_ATTACHMENT 0x00069005u
#define ATT_TNEF_VERSION 0x00089006u
#define ATT_OEM_CODEPAGE 0x00069007u

static void put8(GByteArray *g, uint8_t v)
{
	g_byte_array_append(g, &v, 1);
}

static void put16(GByteArray *g, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	g_byte_array_append(g, b, 2);
}

static void put32(GByteArray *g, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	g_byte_array_append(g, b, 4);
}

static void pad4(GByteArray *g, size_t n)
{
	static const uint8_t z[4] = {0};

	g_byte_array_append(g, z, (guint)((4 - n % 4) % 4));
}

/* level, id, length, data, checksum (sum of the data bytes mod 65536) */
static void attr_sum(GByteArray *g, uint8_t level, uint32_t id, const void *d, uint32_t n,
                     int sum_delta)
{
	uint16_t sum = 0;

	for (uint32_t i = 0; i < n; i++)
		sum = (uint16_t)(sum + ((const uint8_t *)d)[i]);
	put8(g, level);
	put32(g, id);
	put32(g, n);
	g_byte_array_append(g, d, n);
	put16(g, (uint16_t)(sum + sum_delta));
}

static void attr(GByteArray *g, uint8_t level, uint32_t id, const void *d, uint32_t n)
{
	attr_sum(g, level, id, d, n, 0);
}

static GByteArray *tnef_begin(void)
{
	GByteArray *g = g_byte_array_new();
	uint8_t ver[4] = {0, 0, 1, 0}, cp[8] = {0xE4, 0x04, 0, 0, 0, 0, 0, 0};

	put32(g, 0x223E9F78u);
	put16(g, 0x0001); /* legacy key */
	attr(g, 1, ATT_TNEF_VERSION, ver, 4);
	attr(g, 1, ATT_OEM_CODEPAGE, cp, 8);
	attr(g, 1, ATT_MESSAGE_CLASS, "IPM.Microsoft Mail.Note", 24);
	return g;
}

static void rend_data(GByteArray *g)
{
	/* attAttachRendData: atyp 1 (file), position, width, height, flags */
	uint8_t r[14] = {1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};

	attr(g, 2, ATT_ATTACH_RENDDATA, r, sizeof r);
}

/* MAPI property lists */
struct props {
	GByteArray *b;
	uint32_t count;
};

static struct props props_new(void)
{
	return (struct props){g_byte_array_new(), 0};
}

static void prop_tag(struct props *p, uint16_t type, uint16_t id)
{
	put16(p->b, type);
	put16(p->b, id);
	p->count++;
}

static void prop_var(struct props *p, uint16_t type, uint16_t id, const void *d, uint32_t n)
{
	prop_tag(p, type, id);
	put32(p->b, 1);
	put32(p->b, n);
	g_byte_array_append(p->b, d, n);
	pad4(p->b, n);
}

static void prop_str8(struct props *p, uint16_t id, const char *s)
{
	prop_var(p, 0x001E, id, s, (uint32_t)strlen(s) + 1);
}

static void prop_unicode(struct props *p, uint16_t id, const char *utf8)
{
	glong n = 0;
	gunichar2 *w = g_utf8_to_utf16(utf8, -1, NULL, &n, NULL);
	GByteArray *b = g_byte_array_new();

	for (glong i = 0; i <= n; i++)
		put16(b, w[i]);
	prop_var(p, 0x001F, id, b->data, b->len);
	g_byte_array_free(b, TRUE);
	g_free(w);
}

static void prop_long(struct props *p, uint16_t id, uint32_t v)
{
	prop_tag(p, 0x0003, id);
	put32(p->b, v);
}

/* fixed-size, multi-valued and named properties the parser must walk over */
static void prop_noise(struct props *p)
{
	static const uint8_t guid[16] = {0x08, 0x20, 0x06, 0, 0, 0, 0, 0,
	                                 0xC0, 0,    0,    0, 0, 0, 0, 0x46};

	prop_tag(p, 0x0040, 0x0039); /* PR_CLIENT_SUBMIT_TIME, PT_SYSTIME */
	put32(p->b, 0x12345678);
	put32(p->b, 0x01D9ABCD);
	prop_tag(p, 0x000B, 0x0E1B); /* PT_BOOLEAN, padded to 4 */
	put32(p->b, 1);
	prop_tag(p, 0x0002, 0x0017); /* PT_I2, padded to 4 */
	put32(p->b, 2);
	prop_tag(p, 0x101E, 0x8001); /* named, MV string8 */
	g_byte_array_append(p->b, guid, 16);
	put32(p->b, 1); /* MNID_STRING */
	put32(p->b, 10);
	g_byte_array_append(p->b, (const uint8_t *)"K\0e\0y\0s\0\0\0", 10);
	pad4(p->b, 10);
	put32(p->b, 2); /* two values */
	put32(p->b, 4);
	g_byte_array_append(p->b, (const uint8_t *)"red", 4);
	put32(p->b, 6);
	g_byte_array_append(p->b, (const uint8_t *)"green", 6);
	pad4(p->b, 6);
	prop_tag(p, 0x0003, 0x8002); /* named by number, PT_LONG */
	g_byte_array_append(p->b, guid, 16);
	put32(p->b, 0); /* MNID_ID */
	put32(p->b, 0x8503);
	put32(p->b, 7);
	prop_tag(p, 0x0048, 0x3019); /* PT_CLSID */
	g_byte_array_append(p->b, guid, 16);
}

static void props_attr(GByteArray *g, uint8_t level, uint32_t id, struct props *p)
{
	GByteArray *b = g_byte_array_new();

	put32(b, p->count);
	g_byte_array_append(b, p->b->data, p->b->len);
	attr(g, level, id, b->data, b->len);
	g_byte_array_free(b, TRUE);
	g_byte_array_free(p->b, TRUE);
}

/* MS-OXRTFCP 3.1.1.1: a compressed RTF stream and what it decompresses to */
static const uint8_t rtf_example[] = {0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a,
                                      0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7, 0x03, 0x00, 0x0a, 0x00,
                                      0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a,
                                      0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77,
                                      0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0};
static const char rtf_text[] = "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n";

static const char body_text[] = "Dear colleague,\r\nplease see http://evil.example.net/x\r\n";
static const char body_html[] = "<html><body><p>Dear colleague</p></body></html>";
static const char long_name[] = "Báo cáo quý 3.pdf.exe";

static uint8_t payload[3000];

static void fill_payload(void)
{
	payload[0] = 'M';
	payload[1] = 'Z';
	for (size_t i = 2; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 37 + (i >> 7));
}

/* a message with three bodies and two attachments */
static GByteArray *tnef_main(void)
{
	GByteArray *g = tnef_begin();
	struct props mp = props_new(), ap = props_new();

	attr(g, 1, ATT_SUBJECT, "Quarterly report", 17);
	attr(g, 1, ATT_BODY, "legacy body", 11);
	prop_noise(&mp);
	prop_str8(&mp, 0x1000, body_text);                              /* PR_BODY */
	prop_var(&mp, 0x0102, 0x1013, body_html, sizeof body_html - 1); /* PR_BODY_HTML */
	prop_var(&mp, 0x0102, 0x1009, rtf_example, sizeof rtf_example); /* PR_RTF_COMPRESSED */
	props_attr(g, 1, ATT_MSG_PROPS, &mp);

	rend_data(g);
	attr(g, 2, ATT_ATTACH_TITLE, "REPORT~1.EXE", 13);
	attr(g, 2, ATT_ATTACH_DATA, payload, sizeof payload);
	prop_long(&ap, 0x3705, 1); /* PR_ATTACH_METHOD: by value */
	prop_noise(&ap);
	prop_str8(&ap, 0x3704, "REPORT~1.EXE");    /* PR_ATTACH_FILENAME */
	prop_unicode(&ap, 0x3707, long_name);      /* PR_ATTACH_LONG_FILENAME */
	prop_str8(&ap, 0x370E, "application/pdf"); /* PR_ATTACH_MIME_TAG */
	props_attr(g, 2, ATT_ATTACHMENT, &ap);

	rend_data(g);
	attr(g, 2, ATT_ATTACH_TITLE, "NOTES.TXT", 10);
	attr(g, 2, ATT_ATTACH_DATA, "plain notes\n", 12);
	return g;
}

static char *mail_with_winmail(const GByteArray *tnef)
{
	char *b64 = g_base64_encode(tnef->data, tnef->len);
	GString *wrapped = g_string_new(NULL);
	char *m;

	for (size_t i = 0, n = strlen(b64); i < n; i += 76)
		g_string_append_printf(wrapped, "%.76s\r\n", b64 + i);
	m = g_strdup_printf("From: Sender <sender@example.org>\r\n"
	                    "To: staff@agency.example\r\n"
	                    "Subject: report\r\n"
	                    "MIME-Version: 1.0\r\n"
	                    "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
	                    "--B\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
	                    "--B\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n"
	                    "Content-Disposition: attachment; filename=\"winmail.dat\"\r\n"
	                    "Content-Transfer-Encoding: base64\r\n\r\n%s--B--\r\n",
	                    wrapped->str);
	g_free(b64);
	g_string_free(wrapped, TRUE);
	return m;
}

static const uint8_t *obj_data(const vigil_scan *s, const char *suffix, size_t *len)
{
	const vigil_object *o = tu_object(s, suffix);

	if (o == NULL) {
		tu_dump(s);
		fail_msg("no object %s", suffix);
	}
	return vigil_object_data(o, len);
}

static const char *evidence(const vigil_scan *s, const char *id)
{
	long i = tu_finding(s, id);

	if (i < 0) {
		tu_dump(s);
		fail_msg("no finding %s", id);
	}
	return vigil_finding_evidence(vigil_scan_finding(s, (size_t)i));
}

/* ---- tests ---- */

static void generated_stream_is_real_tnef(void **state)
{
	GByteArray *g = tnef_main();
	TNEFStruct t;
	Attachment *a;
	variableLength *v;

	(void)state;
	TNEFInitialize(&t);
	t.Debug = 0;
	assert_int_equal(TNEFParseMemory(g->data, (long)g->len, &t), 0);
	a = t.starting_attach.next;
	assert_non_null(a);
	assert_string_equal((const char *)a->Title.data, "REPORT~1.EXE");
	assert_int_equal(a->FileData.size, sizeof payload);
	assert_memory_equal(a->FileData.data, payload, sizeof payload);
	v = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_UNICODE, 0x3707));
	assert_true(v != MAPI_UNDEFINED);
	assert_string_equal((const char *)v->data, long_name);
	a = a->next;
	assert_non_null(a);
	assert_string_equal((const char *)a->Title.data, "NOTES.TXT");
	assert_null(a->next);
	v = MAPIFindProperty(&t.MapiProperties, PROP_TAG(PT_BINARY, 0x1009));
	assert_true(v != MAPI_UNDEFINED);
	assert_int_equal(v->size, sizeof rtf_example);
	TNEFFree(&t);
	g_byte_array_free(g, TRUE);
}

static void attachment_in_winmail_dat(void **state)
{
	GByteArray *g = tnef_main();
	char *m = mail_with_winmail(g);
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = tu_scan_str(e, m);
	const vigil_object *o;
	const uint8_t *d;
	size_t len;
	char *path;

	(void)state;
	o = tu_object(s, "msg/2:winmail.dat");
	assert_non_null(o);
	assert_string_equal(vigil_object_type(o), "tnef");

	path = g_strdup_printf("msg/2:winmail.dat/%s", long_name);
	o = tu_object(s, path);
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	assert_string_equal(vigil_object_name(o), long_name);
	assert_string_equal(vigil_object_content_type(o), "application/pdf");
	d = vigil_object_data(o, &len);
	assert_int_equal(len, sizeof payload);
	assert_memory_equal(d, payload, sizeof payload);
	assert_true(tu_finding(s, "name.double_extension") >= 0);
	assert_string_equal(tu_finding_path(s, tu_finding(s, "name.double_extension")), path);
	g_free(path);

	d = obj_data(s, "msg/2:winmail.dat/NOTES.TXT", &len);
	assert_int_equal(len, 12);
	assert_memory_equal(d, "plain notes\n", 12);
	/* PR_BODY wins over the legacy attBody */
	d = obj_data(s, "msg/2:winmail.dat/body.txt", &len);
	assert_int_equal(len, sizeof body_text - 1);
	assert_memory_equal(d, body_text, len);
	d = obj_data(s, "msg/2:winmail.dat/body.html", &len);
	assert_int_equal(len, sizeof body_html - 1);
	assert_memory_equal(d, body_html, len);
	o = tu_object(s, "msg/2:winmail.dat/body.rtf");
	assert_non_null(o);
	assert_string_equal(vigil_object_type(o), "rtf");
	d = vigil_object_data(o, &len);
	assert_int_equal(len, sizeof rtf_text - 1);
	assert_memory_equal(d, rtf_text, len);

	/* msg, text part, winmail.dat, three bodies, two attachments */
	assert_int_equal(vigil_scan_object_count(s), 8);
	assert_int_equal(tu_finding(s, "archive.damaged"), -1);
	assert_int_equal(tu_finding(s, "tnef.bad_checksum"), -1);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	g_free(m);
	g_byte_array_free(g, TRUE);
}

static GByteArray *ole_with_contents(void)
{
	GsfOutput *sink = gsf_output_memory_new();
	GsfOutfile *root = gsf_outfile_msole_new(sink);
	GsfOutput *st = gsf_outfile_new_child(root, "CONTENTS", FALSE);
	GByteArray *out = g_byte_array_new();

	gsf_output_write(st, 12, (const guint8 *)"hello, world");
	gsf_output_close(st);
	g_object_unref(st);
	gsf_output_close(GSF_OUTPUT(root));
	g_object_unref(root);
	g_byte_array_append(out, gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(sink)),
	                    (guint)gsf_output_size(sink));
	g_object_unref(sink);
	return out;
}

static void embedded_message_and_ole_object(void **state)
{
	static const uint8_t iid_message[16] = {0x07, 0x03, 0x02, 0, 0, 0, 0, 0,
	                                        0xC0, 0,    0,    0, 0, 0, 0, 0x46};
	static const uint8_t iid_storage[16] = {0x0B, 0, 0, 0, 0, 0, 0, 0,
	                                        0xC0, 0, 0, 0, 0, 0, 0, 0x46};
	static const char js[] = "WScript.CreateObject('WScript.Shell').Run('calc');";
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *inner = tnef_begin(), *outer, *obj = g_byte_array_new(), *ole;
	struct props ip = props_new(), ap = props_new(), op = props_new();
	vigil_scan *s;
	const vigil_object *o;
	size_t len;

	(void)state;
	/* the forwarded message, itself TNEF, carrying a script */
	rend_data(inner);
	attr(inner, 2, ATT_ATTACH_TITLE, "INNER.JS", 9);
	attr(inner, 2, ATT_ATTACH_DATA, js, sizeof js - 1);
	prop_str8(&ip, 0x3707, "inner.js");
	props_attr(inner, 2, ATT_ATTACHMENT, &ip);

	outer = tnef_begin();
	rend_data(outer);
	g_byte_array_append(obj, iid_message, 16);
	g_byte_array_append(obj, inner->data, inner->len);
	prop_long(&ap, 0x3705, 5); /* ATTACH_EMBEDDED_MSG */
	prop_str8(&ap, 0x3001, "Quarterly results");
	prop_var(&ap, 0x000D, 0x3701, obj->data, obj->len); /* PR_ATTACH_DATA_OBJ */
	props_attr(outer, 2, ATT_ATTACHMENT, &ap);

	/* an OLE object: PR_ATTACH_DATA_OBJ holds a compound file */
	ole = ole_with_contents();
	g_byte_array_set_size(obj, 0);
	g_byte_array_append(obj, iid_storage, 16);
	g_byte_array_append(obj, ole->data, ole->len);
	rend_data(outer);
	prop_long(&op, 0x3705, 6); /* ATTACH_OLE */
	prop_str8(&op, 0x3001, "Embedded object");
	prop_var(&op, 0x000D, 0x3701, obj->data, obj->len);
	props_attr(outer, 2, ATT_ATTACHMENT, &op);

	s = tu_scan(e, outer->data, outer->len, "winmail.dat");
	o = tu_object(s, "winmail.dat/Quarterly results");
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	assert_string_equal(vigil_object_type(o), "tnef");
	vigil_object_data(o, &len);
	assert_int_equal(len, inner->len);
	assert_memory_equal(obj_data(s, "winmail.dat/Quarterly results/inner.js", &len), js,
	                    sizeof js - 1);
	assert_int_equal(len, sizeof js - 1);
	assert_true(tu_finding(s, "content.executable") >= 0);
	o = tu_object(s, "winmail.dat/Embedded object");
	assert_non_null(o);
	assert_string_equal(vigil_object_type(o), "ole2");
	assert_memory_equal(obj_data(s, "winmail.dat/Embedded object/CONTENTS", &len),
	                    "hello, world", 12);
	assert_int_equal(tu_finding(s, "archive.damaged"), -1);
	vigil_scan_free(s);
	g_byte_array_free(inner, TRUE);
	g_byte_array_free(outer, TRUE);
	g_byte_array_free(obj, TRUE);
	g_byte_array_free(ole, TRUE);
	vigil_engine_unref(e);
}

static void lengths_past_the_end(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *g = tnef_begin();
	vigil_scan *s;
	size_t len, off;
	char want[160];

	(void)state;
	rend_data(g);
	attr(g, 2, ATT_ATTACH_TITLE, "FIRST.TXT", 10);
	attr(g, 2, ATT_ATTACH_DATA, "complete", 8);
	rend_data(g);
	off = g->len;
	put8(g, 2);
	put32(g, ATT_ATTACH_DATA);
	put32(g, 1000000); /* the stream ends long before */
	g_byte_array_append(g, (const uint8_t *)"short", 5);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	g_snprintf(
	        want, sizeof want,
	        "TNEF attribute 0x0006800F at offset %zu declares 1000000 bytes, past the end of "
	        "the stream",
	        off);
	assert_string_equal(evidence(s, "archive.damaged"), want);
	assert_true(vigil_object_flags(vigil_scan_object(s, 0)) & VIGIL_OBJ_PARTIAL);
	/* what came before is still scanned; nothing of the broken record is */
	assert_memory_equal(obj_data(s, "winmail.dat/FIRST.TXT", &len), "complete", 8);
	assert_int_equal(vigil_scan_object_count(s), 2);
	vigil_scan_free(s);

	/* a header cut short */
	g_byte_array_set_size(g, off);
	off = g->len;
	g_byte_array_append(g, (const uint8_t *)"\x02\x0f\x80\x06\x00", 5);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	g_snprintf(want, sizeof want, "TNEF attribute header cut short at offset %zu", off);
	assert_string_equal(evidence(s, "archive.damaged"), want);
	assert_non_null(tu_object(s, "winmail.dat/FIRST.TXT"));
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);
	vigil_engine_unref(e);
}

static void record_and_attachment_counts_are_bounded(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *g = tnef_begin();
	vigil_scan *s;

	(void)state;
	for (int i = 0; i < 17000; i++)
		attr(g, 1, ATT_SUBJECT, "x", 1);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	assert_string_equal(evidence(s, "limit.objects"),
	                    "TNEF stream has more than 16384 attributes; the rest were not read");
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);

	g = tnef_begin();
	for (int i = 0; i < 1030; i++) {
		rend_data(g);
		attr(g, 2, ATT_ATTACH_DATA, "a", 1);
	}
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	assert_string_equal(evidence(s, "limit.objects"),
	                    "TNEF stream has more than 1024 attachments; the rest were not read");
	assert_int_equal(vigil_scan_object_count(s), 1 + 1024);
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);
	vigil_engine_unref(e);
}

static void bad_checksums_are_reported_and_scanned(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *g = tnef_begin();
	vigil_scan *s;
	size_t len, off;
	char want[120];
	long f;

	(void)state;
	rend_data(g);
	off = g->len;
	attr_sum(g, 2, ATT_ATTACH_TITLE, "EVIL.EXE", 9, 1);
	attr_sum(g, 2, ATT_ATTACH_DATA, payload, sizeof payload, -7);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	g_snprintf(want, sizeof want,
	           "2 attribute(s) with a wrong checksum, the first at offset %zu", off);
	assert_string_equal(evidence(s, "tnef.bad_checksum"), want);
	f = tu_finding(s, "tnef.bad_checksum");
	assert_int_equal(vigil_finding_severity(vigil_scan_finding(s, (size_t)f)), VIGIL_SEV_LOW);
	/* a mail client that does not check still shows it: so do we */
	assert_memory_equal(obj_data(s, "winmail.dat/EVIL.EXE", &len), payload, sizeof payload);
	assert_int_equal(tu_finding(s, "archive.damaged"), -1);
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);
	vigil_engine_unref(e);
}

static void damaged_property_list_keeps_what_came_before(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *g = tnef_begin(), *b = g_byte_array_new();
	struct props ap = props_new();
	vigil_scan *s;
	size_t len;

	(void)state;
	rend_data(g);
	attr(g, 2, ATT_ATTACH_TITLE, "SHORT.TXT", 10);
	attr(g, 2, ATT_ATTACH_DATA, "data", 4);
	prop_str8(&ap, 0x3707, "the long name.txt");
	prop_tag(&ap, 0x0102, 0x3701); /* a binary value that claims 4 GB */
	put32(ap.b, 1);
	put32(ap.b, 0xFFFFFFF0u);
	put32(b, 5); /* says 5 properties */
	g_byte_array_append(b, ap.b->data, ap.b->len);
	attr(g, 2, ATT_ATTACHMENT, b->data, b->len);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	assert_string_equal(
	        evidence(s, "archive.damaged"),
	        "TNEF attachment property list is damaged; read the properties before it");
	assert_memory_equal(obj_data(s, "winmail.dat/the long name.txt", &len), "data", 4);
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);
	g_byte_array_free(b, TRUE);
	g_byte_array_free(ap.b, TRUE);
	vigil_engine_unref(e);
}

static GByteArray *with_rtf(const uint8_t *rtf, size_t n)
{
	GByteArray *g = tnef_begin();
	struct props mp = props_new();

	prop_var(&mp, 0x0102, 0x1009, rtf, (uint32_t)n);
	props_attr(g, 1, ATT_MSG_PROPS, &mp);
	return g;
}

static void compressed_rtf_damage(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	uint8_t r[sizeof rtf_example], mela[16 + 12];
	GByteArray *g;
	vigil_scan *s;
	const uint8_t *d;
	size_t len;

	(void)state;
	/* wrong CRC: decoded in full, reported */
	memcpy(r, rtf_example, sizeof r);
	r[12] ^= 0xFF;
	g = with_rtf(r, sizeof r);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	assert_string_equal(evidence(s, "decode.error"), "compressed RTF body checksum mismatch");
	d = obj_data(s, "winmail.dat/body.rtf", &len);
	assert_int_equal(len, sizeof rtf_text - 1);
	assert_memory_equal(d, rtf_text, len);
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);

	/* cut short: the prefix that could be decoded */
	g = with_rtf(rtf_example, sizeof rtf_example - 8);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	d = obj_data(s, "winmail.dat/body.rtf", &len);
	assert_true(len > 0 && len < sizeof rtf_text - 1);
	assert_memory_equal(d, rtf_text, len);
	assert_non_null(strstr(evidence(s, "decode.error"), "compressed RTF body is damaged"));
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);

	/* uncompressed ("MELA") RTF is taken as it is */
	memcpy(mela, "\x18\0\0\0\x0c\0\0\0MELA\0\0\0\0{\\rtf1 plain}", sizeof mela);
	g = with_rtf(mela, sizeof mela);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	d = obj_data(s, "winmail.dat/body.rtf", &len);
	assert_int_equal(len, 12);
	assert_memory_equal(d, "{\\rtf1 plain", 12);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);

	/* a raw size of 2 GB on a few bytes: never more than the data gives */
	memcpy(r, rtf_example, sizeof r);
	r[4] = 0xFF, r[5] = 0xFF, r[6] = 0xFF, r[7] = 0x7F;
	g = with_rtf(r, sizeof r);
	s = tu_scan(e, g->data, g->len, "winmail.dat");
	d = obj_data(s, "winmail.dat/body.rtf", &len);
	assert_true(len >= sizeof rtf_text - 1 && len < 4096);
	assert_memory_equal(d, rtf_text, sizeof rtf_text - 1);
	vigil_scan_free(s);
	g_byte_array_free(g, TRUE);
	vigil_engine_unref(e);
}

static void truncations_and_bit_flips_are_survived(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *g = tnef_main();

	(void)state;
	for (size_t cut = 0; cut <= g->len; cut += 3) {
		vigil_scan *s = tu_scan(e, g->data, cut, "winmail.dat");

		vigil_scan_free(s);
	}
	for (size_t at = 6; at < g->len; at += 5) {
		GByteArray *c = g_byte_array_new();
		vigil_scan *s;

		g_byte_array_append(c, g->data, g->len);
		c->data[at] ^= (uint8_t)(0xA5 ^ at);
		s = tu_scan(e, c->data, c->len, "winmail.dat");
		assert_true(vigil_scan_object_count(s) >= 1);
		vigil_scan_free(s);
		g_byte_array_free(c, TRUE);
	}
	g_byte_array_free(g, TRUE);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(generated_stream_is_real_tnef),
	        cmocka_unit_test(attachment_in_winmail_dat),
	        cmocka_unit_test(embedded_message_and_ole_object),
	        cmocka_unit_test(lengths_past_the_end),
	        cmocka_unit_test(record_and_attachment_counts_are_bounded),
	        cmocka_unit_test(bad_checksums_are_reported_and_scanned),
	        cmocka_unit_test(damaged_property_list_keeps_what_came_before),
	        cmocka_unit_test(compressed_rtf_damage),
	        cmocka_unit_test(truncations_and_bit_flips_are_survived),
	};

	fill_payload();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
