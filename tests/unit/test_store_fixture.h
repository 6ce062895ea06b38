/*
 * test_store_fixture.h - realistic message records for the store's tests
 * and its benchmark: 3 recipients, From, To + Cc, 2 attachments, 5 URLs,
 * 3 domains, 3 findings, Vietnamese text. "big" makes every long field
 * long (near its bound in store.h).
 */
#ifndef VIGIL_TEST_STORE_FIXTURE_H
#define VIGIL_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "store/store.h"

struct fixture {
	char uid[33];
	GPtrArray *owned;
	const char *rcpts[3], *from[1], *to[2], *urls[5], *domains[3];
	struct store_attachment atts[2];
	struct store_finding finds[3];
	struct store_msg m;
};

static inline const char *fx_str(struct fixture *f, char *s)
{
	g_ptr_array_add(f->owned, s);
	return s;
}

/* s repeated until it is as long as possible within max bytes */
static inline const char *fx_fill(struct fixture *f, const char *s, size_t max)
{
	GString *g = g_string_new(NULL);
	size_t n = strlen(s);

	while (g->len + n <= max)
		g_string_append(g, s);
	return fx_str(f, g_string_free(g, FALSE));
}

static inline void fx_uid(char *out, unsigned tag, unsigned i)
{
	snprintf(out, 33, "%08x%08x0000000000000000", tag, i);
}

static inline void fx_init(struct fixture *f, unsigned tag, unsigned i, int big)
{
	static const char *verdicts[] = {"clean", "suspicious", "malicious", "error"};
	struct store_msg *m = &f->m;

	memset(f, 0, sizeof *f);
	f->owned = g_ptr_array_new_with_free_func(g_free);
	fx_uid(f->uid, tag, i);
	f->rcpts[0] = "<Nguyen.Van.An@BHXH.example>";
	f->rcpts[1] = fx_str(f, g_strdup_printf("tran.thi.binh%u@hanoi.bhxh.example", i));
	f->rcpts[2] = "le.van.cuong@hcm.bhxh.example";
	f->from[0] = "\"Phòng Tổ chức cán bộ\" <tccb@bhxh-gov.example>";
	f->to[0] = "Nguyễn Văn An <nguyen.van.an@bhxh.example>";
	f->to[1] = "ketoan@bhxh.example";
	f->urls[0] = "https://bhxh-gov.example/cong-van/123?ma=BHYT";
	f->urls[1] = "http://user@Evil.Example.COM:8443/tai-lieu.docm";
	f->urls[2] = "https://[2001:db8::1]/x";
	f->urls[3] = "mailto:hotro@Phishing.Example";
	f->urls[4] = big ? fx_fill(f, "https://cdn.example/a/rất-dài/", STORE_MAX_URL)
	                 : "https://cdn.example/a/b.js";
	f->domains[0] = "bhxh-gov.example";
	f->domains[1] = "evil.example.com";
	f->domains[2] = "phishing.example";
	f->atts[0] = (struct store_attachment){
	        .path = "msg/2:CongVan_123.zip",
	        .name = "CongVan_123.zip",
	        .type = "zip",
	        .mime = "application/zip",
	        .sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	        .sha1 = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
	        .md5 = "098f6bcd4621d373cade4e832627b4f6",
	        .size = 48213,
	        .depth = 1,
	};
	f->atts[1] = (struct store_attachment){
	        .path = big ? fx_fill(f, "msg/2:CongVan_123.zip/thư mục/", STORE_MAX_TEXT)
	                    : "msg/2:CongVan_123.zip/Công văn số 123.docm",
	        .name = "Công văn số 123.docm",
	        .type = "ooxml",
	        .mime = NULL,
	        .sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
	        .sha1 = "0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33",
	        .md5 = "acbd18db4cc2f85cedef654fccc4a4d8",
	        .size = 5000000000ull, /* more than 32 bits */
	        .depth = 2,
	};
	f->finds[0] = (struct store_finding){"yara.Office_AutoOpen",
	                                     "high",
	                                     "Macro runs when the document opens",
	                                     "msg/2:CongVan_123.zip/Công văn số 123.docm",
	                                     "T1204.002,T1137",
	                                     "AutoOpen"};
	f->finds[1] = (struct store_finding){
	        "ioc.sha256", "critical", "Known spyware (hash)", "msg/2:CongVan_123.zip",
	        "",           NULL};
	f->finds[2] = (struct store_finding){
	        "name.double_extension",
	        "medium",
	        "Tên tệp có hai phần mở rộng",
	        "msg/2",
	        "T1036.007",
	        big ? fx_fill(f, "bằng chứng \"quoted\" \\ ", STORE_MAX_TEXT) : "CongVan.pdf.exe"};

	m->uid = f->uid;
	m->gateway = "mx1.bhxh.example";
	m->queue_id = fx_str(f, g_strdup_printf("4Q%u", i));
	m->message_id = big ? fx_fill(f, "id.rất.dài@", STORE_MAX_HEADER)
	                    : fx_str(f, g_strdup_printf("%u.%u@mail.bhxh-gov.example", tag, i));
	m->date_header = "Thu, 26 Nov 2026 08:15:00 +0700";
	m->received_ms = 1795650900000LL + i;
	m->direction = i % 7 == 0 ? "outbound" : "inbound";
	m->client_addr = "203.0.113.7";
	m->env_from = "<tccb@bhxh-gov.example>";
	m->env_rcpts = f->rcpts;
	m->n_env_rcpts = 3;
	m->hdr_from = f->from;
	m->n_hdr_from = 1;
	m->hdr_to = f->to;
	m->n_hdr_to = 2;
	m->subject = big ? fx_fill(f, "Công văn số 123/BHXH-CNTT về việc triển khai thẻ BHYT; ",
	                           STORE_MAX_TEXT)
	                 : "Công văn số 123/BHXH-CNTT về việc triển khai thẻ BHYT điện tử";
	m->atts = f->atts;
	m->n_atts = 2;
	m->urls = f->urls;
	m->n_urls = 5;
	m->domains = f->domains;
	m->n_domains = 3;
	m->verdict = verdicts[i % 4];
	m->score = 70 + (int)(i % 30);
	m->action = i % 4 == 2 ? "quarantine" : "tag";
	m->quarantine_id = i % 4 == 2 ? f->uid : NULL;
	m->finds = f->finds;
	m->n_finds = 3;
	m->size = 73421 + i;
	m->scan_ms = 12.345 + i / 1000.0;
	m->drill = i % 5 == 0;
}

static inline void fx_free(struct fixture *f)
{
	g_ptr_array_free(f->owned, TRUE);
}

#endif
