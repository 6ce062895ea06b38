/*
 * test_pe.c - Windows programs written here from the PE/COFF format
 * definition (PE32 and PE32+): chosen imports (by name, by ordinal,
 * delay-loaded), strings, sections of chosen entropy, TLS callbacks, a CLR
 * header, an overlay and a security directory. Each capability finding
 * with its ATT&CK id, the pe.spyware combination, packer hints, lying
 * headers that must stay bounded, and a "hello world" that must stay quiet.
 */
#include <stdbool.h>

#include "testutil.h"

#define FILE_ALIGN 0x200u
#define SECT_ALIGN 0x1000u
#define HDR_SIZE 0x400u

struct tsec {
	const char *name;
	uint32_t chars;
	const uint8_t *data;
	size_t len;
	uint32_t vsize; /* 0: len */
	uint32_t raw;   /* declared SizeOfRawData; 0: real */
};

struct pe_spec {
	bool pe64;
	const char *const *imports; /* "dll!name" or "dll!#ordinal" */
	const char *const *delay;
	const char *const *strings; /* "W:" prefix: UTF-16LE */
	const struct tsec *extra;
	size_t nextra;
	const char *text_name;
	const uint8_t *text_data; /* NULL: plain code */
	size_t text_len;
	const char *entry_in; /* section name; NULL: .text */
	unsigned tls;
	bool clr;
	const uint8_t *overlay;
	size_t overlay_len;
	int cert;                /* 0 none, 1 valid, 2 offset past the end */
	uint16_t nsect_override; /* 0: real count */
	uint32_t import_rva_override;
	bool import_loop; /* descriptors whose thunks point at the descriptors */
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

static void put64(GByteArray *a, uint64_t v)
{
	put32(a, (uint32_t)v);
	put32(a, (uint32_t)(v >> 32));
}

static void set32(GByteArray *a, size_t off, uint32_t v)
{
	a->data[off] = (uint8_t)v;
	a->data[off + 1] = (uint8_t)(v >> 8);
	a->data[off + 2] = (uint8_t)(v >> 16);
	a->data[off + 3] = (uint8_t)(v >> 24);
}

static void set16(GByteArray *a, size_t off, uint16_t v)
{
	a->data[off] = (uint8_t)v;
	a->data[off + 1] = (uint8_t)(v >> 8);
}

static void pad_to(GByteArray *a, size_t n)
{
	static const uint8_t z[1] = {0};

	while (a->len < n)
		g_byte_array_append(a, z, 1);
}

static void putstr(GByteArray *a, const char *s)
{
	g_byte_array_append(a, (const uint8_t *)s, (guint)strlen(s) + 1);
}

static void putwide(GByteArray *a, const char *s)
{
	for (; *s; s++)
		put16(a, (uint8_t)*s);
	put16(a, 0);
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) / a * a;
}

/* distinct DLL names of a "dll!name" list, in order */
static GPtrArray *dlls_of(const char *const *list)
{
	GPtrArray *d = g_ptr_array_new_with_free_func(g_free);

	for (; list && *list; list++) {
		char *dll = g_strndup(*list, (gsize)(strchr(*list, '!') - *list));
		bool seen = false;

		for (guint i = 0; i < d->len; i++)
			seen |= strcmp(g_ptr_array_index(d, i), dll) == 0;
		if (seen)
			g_free(dll);
		else
			g_ptr_array_add(d, dll);
	}
	return d;
}

/*
 * Import tables of `list` in rdata (section RVA base); delay: ImgDelayDescr
 * (32 bytes, RVA-based) instead of IMAGE_IMPORT_DESCRIPTOR (20 bytes).
 * Returns the table's RVA; *size its size.
 */
static uint32_t put_imports(GByteArray *r, uint32_t base, const char *const *list, bool delay,
                            bool pe64, uint32_t *size)
{
	GPtrArray *dlls = dlls_of(list);
	size_t dsz = delay ? 32 : 20, tsz = pe64 ? 8 : 4;
	size_t table = r->len;
	uint32_t rva = base + (uint32_t)table;

	pad_to(r, table + (dlls->len + 1) * dsz);
	*size = (uint32_t)((dlls->len + 1) * dsz);
	for (guint i = 0; i < dlls->len; i++) {
		const char *dll = g_ptr_array_index(dlls, i);
		GArray *hn = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		uint32_t name_rva, int_rva, iat_rva, hmod_rva;

		name_rva = base + r->len;
		putstr(r, dll);
		pad_to(r, align_up(r->len, 8));
		for (const char *const *l = list; *l; l++) {
			const char *bang = strchr(*l, '!');
			uint64_t v;

			if ((size_t)(bang - *l) != strlen(dll) ||
			    strncmp(*l, dll, strlen(dll)) != 0)
				continue;
			if (bang[1] == '#') {
				v = (uint64_t)g_ascii_strtoull(bang + 2, NULL, 10);
				v |= pe64 ? (1ull << 63) : (1ull << 31);
			} else {
				v = base + r->len;
				put16(r, 0);
				putstr(r, bang + 1);
				pad_to(r, align_up(r->len, 2));
			}
			g_array_append_val(hn, v);
		}
		pad_to(r, align_up(r->len, 8));
		int_rva = base + r->len;
		for (guint k = 0; k <= hn->len; k++) {
			uint64_t v = k < hn->len ? g_array_index(hn, uint64_t, k) : 0;

			if (tsz == 8)
				put64(r, v);
			else
				put32(r, (uint32_t)v);
		}
		iat_rva = base + r->len;
		for (guint k = 0; k <= hn->len; k++) {
			uint64_t v = k < hn->len ? g_array_index(hn, uint64_t, k) : 0;

			if (tsz == 8)
				put64(r, v);
			else
				put32(r, (uint32_t)v);
		}
		hmod_rva = base + r->len;
		put64(r, 0);
		if (delay) {
			size_t d = table + i * dsz;

			set32(r, d, 1); /* RVA-based */
			set32(r, d + 4, name_rva);
			set32(r, d + 8, hmod_rva);
			set32(r, d + 12, iat_rva);
			set32(r, d + 16, int_rva);
		} else {
			size_t d = table + i * dsz;

			set32(r, d, int_rva);
			set32(r, d + 12, name_rva);
			set32(r, d + 16, iat_rva);
		}
		g_array_free(hn, TRUE);
	}
	g_ptr_array_free(dlls, TRUE);
	return rva;
}

struct sec {
	char name[9];
	uint32_t chars, rva, vsize, raw_off, raw_size, decl_raw;
	GByteArray *data;
};

struct order_ent {
	const char *name;
	uint32_t chars;
	GByteArray *d;
	uint32_t vsize, raw;
};

static GByteArray *build_pe(const struct pe_spec *sp)
{
	GByteArray *f = g_byte_array_new();
	GByteArray *text = g_byte_array_new(), *rdata = g_byte_array_new(),
	           *data = g_byte_array_new();
	struct sec secs[16];
	size_t nsec = 0;
	uint64_t image_base = sp->pe64 ? 0x140000000ull : 0x400000u;
	uint32_t dirs[16][2] = {{0}};
	uint32_t rdata_rva = 0x2000, rva, entry, file_off;
	size_t opt_size = sp->pe64 ? 240 : 224, opt, sect_table;

	/* .text: low-entropy code-like bytes */
	if (sp->text_data != NULL) {
		g_byte_array_append(text, sp->text_data, (guint)sp->text_len);
	} else {
		static const uint8_t code[] = {0x55, 0x8b, 0xec, 0x6a, 0x00, 0xe8, 0x10,
		                               0x00, 0x00, 0x00, 0x5d, 0xc3, 0x90, 0x90};

		for (int i = 0; i < 40; i++)
			g_byte_array_append(text, code, sizeof code);
	}
	/* .rdata: imports, strings, TLS, CLR */
	{
		uint32_t size;

		if (sp->imports != NULL) {
			dirs[1][0] =
			        put_imports(rdata, rdata_rva, sp->imports, false, sp->pe64, &size);
			dirs[1][1] = size;
		}
		if (sp->delay != NULL) {
			pad_to(rdata, align_up(rdata->len, 8));
			dirs[13][0] =
			        put_imports(rdata, rdata_rva, sp->delay, true, sp->pe64, &size);
			dirs[13][1] = size;
		}
		if (sp->import_loop) {
			/* 600 descriptors; each one's thunks are the descriptor
			 * table itself, its name the first string */
			size_t t = align_up(rdata->len, 8);
			uint32_t name;

			pad_to(rdata, t);
			name = rdata_rva + (uint32_t)(t + 600 * 20 + 8);
			for (int i = 0; i < 600; i++) {
				put32(rdata, rdata_rva + (uint32_t)t);
				put32(rdata, 0);
				put32(rdata, 0);
				put32(rdata, name);
				put32(rdata, rdata_rva + (uint32_t)t);
			}
			put64(rdata, 0);
			putstr(rdata, "loop.dll");
			dirs[1][0] = rdata_rva + (uint32_t)t;
			dirs[1][1] = 600 * 20;
		}
		for (const char *const *s = sp->strings; s && *s; s++) {
			if (strncmp(*s, "W:", 2) == 0)
				putwide(rdata, *s + 2);
			else
				putstr(rdata, *s);
		}
		if (sp->clr) {
			size_t hdr = align_up(rdata->len, 8), md;

			pad_to(rdata, hdr + 72);
			md = rdata->len;
			put32(rdata, 0x424a5342);
			put16(rdata, 1);
			put16(rdata, 1);
			put32(rdata, 0);
			put32(rdata, 12);
			g_byte_array_append(rdata, (const uint8_t *)"v4.0.30319\0\0", 12);
			put16(rdata, 0);
			put16(rdata, 0);
			set32(rdata, hdr, 72);
			set16(rdata, hdr + 4, 2);
			set16(rdata, hdr + 6, 5);
			set32(rdata, hdr + 8, rdata_rva + (uint32_t)md);
			set32(rdata, hdr + 12, (uint32_t)(rdata->len - md));
			set32(rdata, hdr + 16, 1);
			dirs[14][0] = rdata_rva + (uint32_t)hdr;
			dirs[14][1] = 72;
		}
		if (sp->tls) {
			size_t cbs = align_up(rdata->len, 8), dir;
			size_t psz = sp->pe64 ? 8 : 4;

			pad_to(rdata, cbs);
			for (unsigned i = 0; i <= sp->tls; i++) {
				uint64_t va = i < sp->tls ? image_base + 0x1000 + 16 * i : 0;

				if (psz == 8)
					put64(rdata, va);
				else
					put32(rdata, (uint32_t)va);
			}
			dir = rdata->len;
			for (int i = 0; i < 3; i++) {
				if (psz == 8)
					put64(rdata, 0);
				else
					put32(rdata, 0);
			}
			if (psz == 8)
				put64(rdata, image_base + rdata_rva + cbs);
			else
				put32(rdata, (uint32_t)(image_base + rdata_rva + cbs));
			put32(rdata, 0);
			put32(rdata, 0);
			dirs[9][0] = rdata_rva + (uint32_t)dir;
			dirs[9][1] = sp->pe64 ? 40 : 24;
		}
		if (rdata->len == 0)
			putstr(rdata, "rdata");
	}
	g_assert(text->len <= 0x1000);
	{
		static const char msg[] = "Hello, world! This is ordinary program data.";

		for (int i = 0; i < 8; i++)
			g_byte_array_append(data, (const uint8_t *)msg, sizeof msg);
	}

	/* section list */
	rva = 0x1000;
	{
		struct order_ent order[16];
		size_t k = 0;

		order[k++] = (struct order_ent){sp->text_name ? sp->text_name : ".text", 0x60000020,
		                                text, 0, 0};
		order[k++] = (struct order_ent){".rdata", 0x40000040, rdata, 0, 0};
		order[k++] = (struct order_ent){".data", 0xc0000040, data, 0, 0};
		for (size_t i = 0; i < sp->nextra && k < 16; i++) {
			GByteArray *d = g_byte_array_new();

			g_byte_array_append(d, sp->extra[i].data, (guint)sp->extra[i].len);
			order[k++] = (struct order_ent){sp->extra[i].name, sp->extra[i].chars, d,
			                                sp->extra[i].vsize, sp->extra[i].raw};
		}
		file_off = HDR_SIZE;
		for (size_t i = 0; i < k; i++) {
			struct sec *s = &secs[nsec++];
			uint32_t vs = order[i].vsize ? order[i].vsize : order[i].d->len;

			g_strlcpy(s->name, order[i].name, sizeof s->name);
			s->chars = order[i].chars;
			s->rva = rva;
			s->vsize = vs;
			s->data = order[i].d;
			s->raw_size = align_up(order[i].d->len, FILE_ALIGN);
			s->raw_off = s->raw_size ? file_off : 0;
			s->decl_raw = order[i].raw ? order[i].raw : s->raw_size;
			file_off += s->raw_size;
			rva += align_up(vs > s->raw_size ? vs : s->raw_size, SECT_ALIGN);
			if (rva == s->rva)
				rva += SECT_ALIGN;
		}
		g_assert(secs[1].rva == rdata_rva);
	}
	entry = secs[0].rva;
	if (sp->entry_in != NULL)
		for (size_t i = 0; i < nsec; i++)
			if (strcmp(secs[i].name, sp->entry_in) == 0)
				entry = secs[i].rva;
	if (sp->import_rva_override)
		dirs[1][0] = sp->import_rva_override;

	/* headers */
	pad_to(f, 0x40);
	f->data[0] = 'M';
	f->data[1] = 'Z';
	set32(f, 0x3c, 0x80);
	pad_to(f, 0x80);
	g_byte_array_append(f, (const uint8_t *)"PE\0\0", 4);
	put16(f, sp->pe64 ? 0x8664 : 0x14c);
	put16(f, sp->nsect_override ? sp->nsect_override : (uint16_t)nsec);
	put32(f, 0x5f5e1000); /* 2020-09-13 */
	put32(f, 0);
	put32(f, 0);
	put16(f, (uint16_t)opt_size);
	put16(f, 0x0102);
	opt = f->len;
	pad_to(f, opt + opt_size);
	set16(f, opt, sp->pe64 ? 0x20b : 0x10b);
	set32(f, opt + 16, entry);
	set32(f, opt + 20, 0x1000);
	if (sp->pe64) {
		set32(f, opt + 24, (uint32_t)image_base);
		set32(f, opt + 28, (uint32_t)(image_base >> 32));
	} else {
		set32(f, opt + 28, (uint32_t)image_base);
	}
	set32(f, opt + 32, SECT_ALIGN);
	set32(f, opt + 36, FILE_ALIGN);
	set16(f, opt + 40, 6);
	set16(f, opt + 48, 6);
	set32(f, opt + 56, rva);
	set32(f, opt + 60, HDR_SIZE);
	set16(f, opt + 68, 2);
	set16(f, opt + 70, 0x8140);
	set32(f, opt + (sp->pe64 ? 108 : 92), 16);
	sect_table = f->len;
	for (size_t i = 0; i < nsec; i++) {
		const struct sec *s = &secs[i];
		uint8_t name[8] = {0};

		memcpy(name, s->name, strlen(s->name));
		g_byte_array_append(f, name, 8);
		put32(f, s->vsize);
		put32(f, s->rva);
		put32(f, s->decl_raw);
		put32(f, s->raw_off);
		put32(f, 0);
		put32(f, 0);
		put32(f, 0);
		put32(f, s->chars);
	}
	g_assert(f->len <= HDR_SIZE);
	(void)sect_table;
	pad_to(f, HDR_SIZE);
	for (size_t i = 0; i < nsec; i++) {
		g_byte_array_append(f, secs[i].data->data, secs[i].data->len);
		pad_to(f, secs[i].raw_off + secs[i].raw_size);
		g_byte_array_free(secs[i].data, TRUE);
	}
	if (sp->overlay != NULL)
		g_byte_array_append(f, sp->overlay, (guint)sp->overlay_len);
	if (sp->cert) {
		size_t at = align_up(f->len, 8);
		uint8_t der[64];

		pad_to(f, at);
		memset(der, 0x5a, sizeof der);
		der[0] = 0x30;
		der[1] = 0x3e;
		put32(f, 8 + sizeof der);
		put16(f, 0x0200);
		put16(f, 0x0002);
		g_byte_array_append(f, der, sizeof der);
		dirs[4][0] = sp->cert == 2 ? (uint32_t)f->len + 0x1000 : (uint32_t)at;
		dirs[4][1] = 8 + sizeof der;
	}
	for (int i = 0; i < 16; i++) {
		set32(f, opt + (sp->pe64 ? 112 : 96) + 8 * i, dirs[i][0]);
		set32(f, opt + (sp->pe64 ? 112 : 96) + 8 * i + 4, dirs[i][1]);
	}
	return f;
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

static vigil_scan *scan_pe(vigil_engine *e, const struct pe_spec *sp)
{
	GByteArray *f = build_pe(sp);
	vigil_scan *s = tu_scan(e, f->data, f->len, "sample.exe");

	g_byte_array_free(f, TRUE);
	return s;
}

static void expect(const vigil_scan *s, const char *id, const char *attack)
{
	long i = tu_finding(s, id);

	if (i < 0) {
		tu_dump(s);
		fail_msg("missing %s", id);
	}
	if (attack != NULL) {
		const char *a = vigil_finding_attack(vigil_scan_finding(s, (size_t)i));

		if (strstr(a, attack) == NULL)
			fail_msg("%s: ATT&CK %s, expected %s", id, a, attack);
	}
	assert_string_equal(tu_finding_path(s, i), "sample.exe");
}

static void expect_none(const vigil_scan *s, const char *id)
{
	if (tu_finding(s, id) >= 0) {
		tu_dump(s);
		fail_msg("unexpected %s", id);
	}
}

static vigil_severity sev(const vigil_scan *s, const char *id)
{
	return vigil_finding_severity(vigil_scan_finding(s, (size_t)tu_finding(s, id)));
}

/* nothing from the PE analyzer at medium or above */
static void expect_quiet(const vigil_scan *s)
{
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);

		if (strncmp(vigil_finding_id(f), "pe.", 3) == 0 &&
		    vigil_finding_severity(f) >= VIGIL_SEV_MEDIUM) {
			tu_dump(s);
			fail_msg("benign program got %s", vigil_finding_id(f));
		}
	}
}

static const char *const hello_imports[] = {"kernel32.dll!ExitProcess",
                                            "kernel32.dll!GetModuleHandleA",
                                            "kernel32.dll!GetCommandLineA",
                                            "kernel32.dll!IsDebuggerPresent",
                                            "kernel32.dll!QueryPerformanceCounter",
                                            "kernel32.dll!GetTickCount",
                                            "kernel32.dll!GetProcAddress",
                                            "kernel32.dll!LoadLibraryA",
                                            "kernel32.dll!Sleep",
                                            "kernel32.dll!GetLastError",
                                            "kernel32.dll!GetStartupInfoA",
                                            "kernel32.dll!HeapAlloc",
                                            "user32.dll!MessageBoxA",
                                            NULL};

static void test_hello_world_quiet(void **state)
{
	vigil_engine *e = eng();
	const char *const strings[] = {"Hello, world", "W:Hello from vigil", NULL};
	struct pe_spec sp = {.imports = hello_imports, .strings = strings};
	vigil_scan *s = scan_pe(e, &sp);

	(void)state;
	expect(s, "pe.summary", NULL);
	{
		const char *ev = vigil_finding_evidence(
		        vigil_scan_finding(s, (size_t)tu_finding(s, "pe.summary")));

		assert_non_null(strstr(ev, "PE32 x86 GUI program; 13 imports from 2 DLLs"));
		assert_non_null(strstr(ev, "built 2020-09-13"));
		assert_non_null(strstr(ev, "unsigned"));
		assert_non_null(strstr(ev, ".text"));
	}
	expect_quiet(s);
	expect_none(s, "pe.malformed");
	vigil_scan_free(s);

	sp.pe64 = true;
	s = scan_pe(e, &sp);
	assert_non_null(strstr(
	        vigil_finding_evidence(vigil_scan_finding(s, (size_t)tu_finding(s, "pe.summary"))),
	        "PE32+ x86-64 GUI program; 13 imports"));
	expect_quiet(s);
	expect_none(s, "pe.malformed");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

struct cap_case {
	const char *imports[8];
	const char *strings[6];
	const char *id;
	const char *attack;
	vigil_severity sev;
};

static const struct cap_case cap_cases[] = {
        {{"user32.dll!SetWindowsHookExA", "user32.dll!MapVirtualKeyA", "user32.dll!CallNextHookEx"},
         {NULL},
         "pe.keylogger",
         "T1056.001",
         VIGIL_SEV_MEDIUM},
        {{"user32.dll!GetAsyncKeyState", "user32.dll!GetForegroundWindow"},
         {"[ENTER]", "[BACKSPACE]", "[TAB]"},
         "pe.keylogger",
         "T1056.001",
         VIGIL_SEV_MEDIUM},
        {{"gdi32.dll!BitBlt", "gdi32.dll!CreateCompatibleBitmap", "user32.dll!GetDesktopWindow",
          "gdi32.dll!GetDIBits"},
         {NULL},
         "pe.screen_capture",
         "T1113",
         VIGIL_SEV_MEDIUM},
        {{"user32.dll!OpenClipboard", "user32.dll!GetClipboardData"},
         {NULL},
         "pe.clipboard",
         "T1115",
         VIGIL_SEV_MEDIUM},
        {{"crypt32.dll!CryptUnprotectData"},
         {"W:\\Google\\Chrome\\User Data\\Default\\Login Data"},
         "pe.credential_theft",
         "T1555.003",
         VIGIL_SEV_MEDIUM},
        {{"advapi32.dll!CredEnumerateW"},
         {NULL},
         "pe.credential_theft",
         "T1555.004",
         VIGIL_SEV_MEDIUM},
        {{"dbghelp.dll!MiniDumpWriteDump", "kernel32.dll!OpenProcess"},
         {"lsass.exe"},
         "pe.lsass_dump",
         "T1003.001",
         VIGIL_SEV_HIGH},
        {{"winmm.dll!waveInOpen", "winmm.dll!waveInStart"},
         {NULL},
         "pe.audio_capture",
         "T1123",
         VIGIL_SEV_MEDIUM},
        {{"avicap32.dll!capCreateCaptureWindowA"},
         {NULL},
         "pe.video_capture",
         "T1125",
         VIGIL_SEV_MEDIUM},
        {{"advapi32.dll!RegSetValueExW"},
         {"W:Software\\Microsoft\\Windows\\CurrentVersion\\Run"},
         "pe.persistence",
         "T1547.001",
         VIGIL_SEV_MEDIUM},
        {{"advapi32.dll!CreateServiceW", "advapi32.dll!OpenSCManagerW"},
         {NULL},
         "pe.persistence",
         "T1543.003",
         VIGIL_SEV_MEDIUM},
        {{"kernel32.dll!CreateProcessW"},
         {"schtasks /create /sc minute /tn upd /tr"},
         "pe.persistence",
         "T1053.005",
         VIGIL_SEV_MEDIUM},
        {{"wininet.dll!InternetOpenA", "wininet.dll!InternetConnectA",
          "wininet.dll!HttpSendRequestA"},
         {NULL},
         "pe.network",
         "T1071.001",
         VIGIL_SEV_LOW},
        {{"kernel32.dll!CreateFileW"},
         {"https://api.telegram.org/bot123456:ABC/sendDocument"},
         "pe.exfiltration",
         "T1567",
         VIGIL_SEV_MEDIUM},
        {{"ws2_32.dll!send"},
         {"MAIL FROM:<a@b.c>", "RCPT TO:<x@y.z>", "AUTH LOGIN"},
         "pe.exfiltration",
         "T1048.003",
         VIGIL_SEV_MEDIUM},
        {{"kernel32.dll!CreateToolhelp32Snapshot"},
         {"VBoxService.exe", "vmtoolsd.exe"},
         "pe.anti_analysis",
         "T1497.001",
         VIGIL_SEV_MEDIUM},
        {{"kernel32.dll!IsDebuggerPresent", "kernel32.dll!CheckRemoteDebuggerPresent"},
         {NULL},
         "pe.anti_analysis",
         "T1622",
         VIGIL_SEV_MEDIUM},
        {{"kernel32.dll!VirtualAllocEx", "kernel32.dll!WriteProcessMemory",
          "kernel32.dll!CreateRemoteThread", "kernel32.dll!OpenProcess"},
         {NULL},
         "pe.injection",
         "T1055.002",
         VIGIL_SEV_HIGH},
        {{"ntdll.dll!NtUnmapViewOfSection", "kernel32.dll!SetThreadContext",
          "kernel32.dll!ResumeThread"},
         {NULL},
         "pe.injection",
         "T1055.012",
         VIGIL_SEV_HIGH},
};

static void test_capabilities(void **state)
{
	vigil_engine *e = eng();

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cap_cases); i++) {
		const struct cap_case *c = &cap_cases[i];
		const char *imports[16];
		size_t k = 0;
		struct pe_spec sp = {.imports = imports, .strings = c->strings, .pe64 = i % 2};
		vigil_scan *s;

		imports[k++] = "kernel32.dll!ExitProcess";
		for (size_t j = 0; j < 8 && c->imports[j]; j++)
			imports[k++] = c->imports[j];
		imports[k] = NULL;
		s = scan_pe(e, &sp);
		expect(s, c->id, c->attack);
		assert_int_equal(sev(s, c->id), c->sev);
		/* one capability is never spyware */
		expect_none(s, "pe.spyware");
		vigil_scan_free(s);
	}
	vigil_engine_unref(e);
}

static uint8_t *random_bytes(size_t n, guint32 seed)
{
	GRand *r = g_rand_new_with_seed(seed);
	uint8_t *p = g_malloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)g_rand_int(r);
	g_rand_free(r);
	return p;
}

/* the drill sample: unsigned, UPX-packed, keylogger + screen + clipboard,
 * mails its loot and talks to a C2 */
static void test_spyware_drill(void **state)
{
	vigil_engine *e = eng();
	const char *const imports[] = {"kernel32.dll!LoadLibraryA",
	                               "kernel32.dll!GetProcAddress",
	                               "kernel32.dll!VirtualProtect",
	                               "kernel32.dll!ExitProcess",
	                               "user32.dll!GetAsyncKeyState",
	                               "user32.dll!ToUnicodeEx",
	                               "user32.dll!OpenClipboard",
	                               "user32.dll!GetClipboardData",
	                               "gdi32.dll!BitBlt",
	                               "gdi32.dll!CreateCompatibleBitmap",
	                               "user32.dll!GetDC",
	                               "gdiplus.dll!GdipSaveImageToFile",
	                               "wininet.dll!InternetOpenW",
	                               "wininet.dll!HttpSendRequestW",
	                               NULL};
	const char *const strings[] = {"MAIL FROM:<drill@example.net>",
	                               "RCPT TO:<loot@example.net>",
	                               "W:http://c2.example.net/gate.php?id=",
	                               "203.0.113.7:8080",
	                               "Version 10.0.19041.1",
	                               NULL};
	uint8_t *packed = random_bytes(24000, 7);
	struct tsec extra[] = {{"UPX1", 0xe0000040, packed, 24000, 0, 0}};
	struct pe_spec sp = {.imports = imports,
	                     .strings = strings,
	                     .extra = extra,
	                     .nextra = 1,
	                     .text_name = "UPX0",
	                     .entry_in = "UPX1"};
	vigil_scan *s = scan_pe(e, &sp);
	const char *ev;

	(void)state;
	expect(s, "pe.spyware", "T1056.001");
	assert_int_equal(sev(s, "pe.spyware"), VIGIL_SEV_HIGH);
	ev = vigil_finding_evidence(vigil_scan_finding(s, (size_t)tu_finding(s, "pe.spyware")));
	assert_non_null(strstr(ev, "keylogging"));
	assert_non_null(strstr(ev, "screen capture"));
	assert_non_null(strstr(ev, "clipboard"));
	assert_non_null(strstr(ev, "MAIL FROM:"));
	assert_non_null(strstr(ev, "unsigned"));
	assert_non_null(strstr(ev, "packed"));
	expect(s, "pe.keylogger", "T1056.001");
	expect(s, "pe.screen_capture", "T1113");
	expect(s, "pe.clipboard", "T1115");
	expect(s, "pe.exfiltration", "T1071.003");
	expect(s, "pe.network", "T1071.001");
	expect(s, "pe.packed", "T1027.002");
	ev = vigil_finding_evidence(vigil_scan_finding(s, (size_t)tu_finding(s, "pe.packed")));
	assert_non_null(strstr(ev, "packer section UPX0"));
	assert_non_null(strstr(ev, "high-entropy section UPX1"));
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	/* the C2 and the address with a port are facts; version numbers are not */
	{
		bool url = false, ip = false, ver = false;

		for (size_t i = 0; i < vigil_scan_fact_count(s, VIGIL_FACT_URL); i++)
			url |= strcmp(vigil_scan_fact(s, VIGIL_FACT_URL, i),
			              "http://c2.example.net/gate.php?id=") == 0;
		for (size_t i = 0; i < vigil_scan_fact_count(s, VIGIL_FACT_DOMAIN); i++) {
			ip |= strcmp(vigil_scan_fact(s, VIGIL_FACT_DOMAIN, i), "203.0.113.7") == 0;
			ver |= strstr(vigil_scan_fact(s, VIGIL_FACT_DOMAIN, i), "10.0.19041") !=
			       NULL;
		}
		assert_true(url);
		assert_true(ip);
		assert_false(ver);
	}
	vigil_scan_free(s);
	g_free(packed);
	vigil_engine_unref(e);
}

static void test_packer_hints(void **state)
{
	vigil_engine *e = eng();
	uint8_t *rnd = random_bytes(32768, 11);
	const char *const few[] = {"kernel32.dll!LoadLibraryA", "kernel32.dll!GetProcAddress",
	                           NULL};
	const char *const some[] = {"kernel32.dll!ExitProcess", "kernel32.dll!CreateFileW",
	                            "kernel32.dll!ReadFile",    "kernel32.dll!WriteFile",
	                            "user32.dll!MessageBoxW",   NULL};
	struct tsec hi[] = {{".blob", 0x40000040, rnd, 32768, 0, 0}};
	vigil_scan *s;

	(void)state;
	/* a high-entropy section and a small import table */
	{
		struct pe_spec sp = {.imports = some, .extra = hi, .nextra = 1};

		s = scan_pe(e, &sp);
		expect(s, "pe.packed", "T1027.002");
		assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
		                               s, (size_t)tu_finding(s, "pe.packed"))),
		                       "high-entropy section .blob"));
		vigil_scan_free(s);
	}
	/* only LoadLibrary + GetProcAddress */
	{
		struct pe_spec sp = {.imports = few};

		s = scan_pe(e, &sp);
		expect(s, "pe.packed", NULL);
		assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
		                               s, (size_t)tu_finding(s, "pe.packed"))),
		                       "only 2 imports"));
		vigil_scan_free(s);
	}
	/* the same blob in a .NET assembly is a resource, not packing */
	{
		const char *const mscoree[] = {"mscoree.dll!_CorExeMain", NULL};
		struct pe_spec sp = {.imports = mscoree, .extra = hi, .nextra = 1, .clr = true};

		s = scan_pe(e, &sp);
		expect(s, "pe.dotnet", NULL);
		assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
		                               s, (size_t)tu_finding(s, "pe.dotnet"))),
		                       "v4.0.30319"));
		expect_none(s, "pe.packed");
		vigil_scan_free(s);
	}
	g_free(rnd);
	vigil_engine_unref(e);
}

static void test_dotnet_strings(void **state)
{
	vigil_engine *e = eng();
	const char *const mscoree[] = {"mscoree.dll!_CorExeMain", NULL};
	/* #Strings heap names (P/Invoke and framework members), #US text */
	const char *const strings[] = {"GetAsyncKeyState",
	                               "ToUnicodeEx",
	                               "CopyFromScreen",
	                               "SmtpClient",
	                               "NetworkCredential",
	                               "W:smtp.example.org",
	                               NULL};
	struct pe_spec sp = {.imports = mscoree, .strings = strings, .clr = true};
	vigil_scan *s = scan_pe(e, &sp);

	(void)state;
	expect(s, "pe.dotnet", NULL);
	expect(s, "pe.keylogger", "T1056.001");
	expect(s, "pe.screen_capture", "T1113");
	expect(s, "pe.exfiltration", "T1048.003");
	expect(s, "pe.spyware", NULL);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void test_delay_ordinal_tls_entry(void **state)
{
	vigil_engine *e = eng();
	const char *const imports[] = {"kernel32.dll!ExitProcess", "ws2_32.dll!#115",
	                               "ws2_32.dll!#4", "ws2_32.dll!#19", NULL};
	const char *const delay[] = {"urlmon.dll!URLDownloadToFileW", NULL};
	const char *const strings[] = {"10.20.30.40:4444", NULL};
	struct pe_spec sp = {.imports = imports,
	                     .delay = delay,
	                     .strings = strings,
	                     .tls = 2,
	                     .entry_in = ".data",
	                     .pe64 = true};
	vigil_scan *s = scan_pe(e, &sp);
	const char *ev;

	(void)state;
	expect(s, "pe.network", "T1105");
	/* Winsock by ordinal + a hard-coded address: raw sockets */
	ev = vigil_finding_attack(vigil_scan_finding(s, (size_t)tu_finding(s, "pe.network")));
	assert_non_null(strstr(ev, "T1095"));
	ev = vigil_finding_evidence(vigil_scan_finding(s, (size_t)tu_finding(s, "pe.summary")));
	assert_non_null(strstr(ev, "5 imports from 3 DLLs (1 delay-loaded)"));
	expect(s, "pe.tls_callbacks", "T1622");
	assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
	                               s, (size_t)tu_finding(s, "pe.tls_callbacks"))),
	                       "2 TLS callback"));
	expect(s, "pe.entry_outside_code", "T1027.002");
	assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
	                               s, (size_t)tu_finding(s, "pe.entry_outside_code"))),
	                       ".data"));
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void test_overlay_signature(void **state)
{
	vigil_engine *e = eng();
	/* an empty zip (end of central directory only) appended */
	uint8_t zip[22] = {'P', 'K', 5, 6};
	struct pe_spec sp = {
	        .imports = hello_imports, .overlay = zip, .overlay_len = sizeof zip, .cert = 1};
	vigil_scan *s = scan_pe(e, &sp);
	const vigil_object *ov;

	(void)state;
	expect(s, "pe.signed", NULL);
	assert_int_equal(sev(s, "pe.signed"), VIGIL_SEV_INFO);
	expect(s, "pe.overlay", NULL);
	assert_non_null(strstr(
	        vigil_finding_evidence(vigil_scan_finding(s, (size_t)tu_finding(s, "pe.overlay"))),
	        "24 bytes")); /* the zip and the padding before the certificate */
	ov = tu_object(s, "sample.exe/overlay");
	assert_non_null(ov);
	assert_string_equal(vigil_object_type(ov), "zip");
	expect_none(s, "pe.bad_signature");
	expect_quiet(s);
	vigil_scan_free(s);

	/* a security directory pointing past the end of the file */
	sp.cert = 2;
	sp.overlay = NULL;
	s = scan_pe(e, &sp);
	expect(s, "pe.bad_signature", "T1036.001");
	expect_none(s, "pe.signed");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void test_lying_headers(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	/* NumberOfSections far beyond the table */
	{
		struct pe_spec sp = {.imports = hello_imports, .nsect_override = 0xffff};

		s = scan_pe(e, &sp);
		expect(s, "pe.malformed", "T1027");
		assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
		                               s, (size_t)tu_finding(s, "pe.malformed"))),
		                       "NumberOfSections 65535"));
		vigil_scan_free(s);
	}
	/* import directory RVA outside every section */
	{
		struct pe_spec sp = {.imports = hello_imports, .import_rva_override = 0x7ffff000};

		s = scan_pe(e, &sp);
		expect(s, "pe.malformed", NULL);
		assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
		                               s, (size_t)tu_finding(s, "pe.malformed"))),
		                       "import table outside the file"));
		vigil_scan_free(s);
	}
	/* SizeOfRawData far larger than the file */
	{
		static const uint8_t small[64] = {1, 2, 3};
		struct tsec lie[] = {{".lie", 0x40000040, small, sizeof small, 0, 0x7fffff00}};
		struct pe_spec sp = {.imports = hello_imports, .extra = lie, .nextra = 1};

		s = scan_pe(e, &sp);
		assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
		                               s, (size_t)tu_finding(s, "pe.malformed"))),
		                       "section .lie is cut short"));
		vigil_scan_free(s);
	}
	/* a PE signature and nothing after it: a stub, reported as info */
	{
		static const uint8_t stub[0x100] = {'M',
		                                    'Z', [0x3c] = 0x80, [0x80] = 'P', [0x81] = 'E'};

		s = tu_scan(e, stub, sizeof stub, "sample.exe");
		expect(s, "pe.incomplete", NULL);
		assert_int_equal(sev(s, "pe.incomplete"), VIGIL_SEV_INFO);
		expect_none(s, "pe.malformed");
		expect_none(s, "pe.summary");
		vigil_scan_free(s);
	}
	/* 600 descriptors whose thunks are the descriptor table: bounded */
	{
		struct pe_spec sp = {.import_loop = true};
		const char *ev;

		s = scan_pe(e, &sp);
		ev = vigil_finding_evidence(
		        vigil_scan_finding(s, (size_t)tu_finding(s, "pe.summary")));
		assert_non_null(strstr(ev, "from 512 DLLs"));
		assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(
		                               s, (size_t)tu_finding(s, "pe.malformed"))),
		                       "more than 512 import descriptors"));
		vigil_scan_free(s);
	}
	vigil_engine_unref(e);
}

/* every prefix of a full-featured program: never a crash, never a read
 * past the end (the sanitizer build checks) */
static void test_truncations(void **state)
{
	vigil_engine *e = eng();
	uint8_t zip[22] = {'P', 'K', 5, 6};
	const char *const delay[] = {"urlmon.dll!URLDownloadToFileW", NULL};
	struct pe_spec sp = {.imports = hello_imports,
	                     .delay = delay,
	                     .tls = 3,
	                     .clr = true,
	                     .overlay = zip,
	                     .overlay_len = sizeof zip,
	                     .cert = 1,
	                     .pe64 = true};
	GByteArray *f = build_pe(&sp);

	(void)state;
	seed_out("pe-features.exe", f->data, f->len);
	for (size_t n = 0; n <= f->len; n += (n < 0x500 ? 3 : 61)) {
		uint8_t *copy = g_memdup2(f->data, n ? n : 1);
		vigil_scan *s = tu_scan(e, copy, n, "cut.exe");

		vigil_scan_free(s);
		g_free(copy);
	}
	/* and the same bytes with every header byte flipped in turn */
	for (size_t i = 0; i < 0x400 && i < f->len; i += 5) {
		uint8_t *copy = g_memdup2(f->data, f->len);
		vigil_scan *s;

		copy[i] ^= 0xff;
		s = tu_scan(e, copy, f->len, "flip.exe");
		vigil_scan_free(s);
		g_free(copy);
	}
	g_byte_array_free(f, TRUE);
	vigil_engine_unref(e);
}

/* an MZ program without a PE header: strings only, no structure findings */
static void test_mz_strings(void **state)
{
	vigil_engine *e = eng();
	GByteArray *f = g_byte_array_new();
	vigil_scan *s;

	(void)state;
	pad_to(f, 0x40);
	f->data[0] = 'M';
	f->data[1] = 'Z';
	set32(f, 0x3c, 0x7fff0000);
	putstr(f, "VirtualAllocEx");
	putstr(f, "WriteProcessMemory");
	putstr(f, "CreateRemoteThread");
	s = tu_scan(e, f->data, f->len, "sample.exe");
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "mz");
	expect(s, "pe.injection", "T1055.002");
	expect_none(s, "pe.summary");
	expect_none(s, "pe.malformed");
	vigil_scan_free(s);
	g_byte_array_free(f, TRUE);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hello_world_quiet),
	        cmocka_unit_test(test_capabilities),
	        cmocka_unit_test(test_spyware_drill),
	        cmocka_unit_test(test_packer_hints),
	        cmocka_unit_test(test_dotnet_strings),
	        cmocka_unit_test(test_delay_ordinal_tls_entry),
	        cmocka_unit_test(test_overlay_signature),
	        cmocka_unit_test(test_lying_headers),
	        cmocka_unit_test(test_truncations),
	        cmocka_unit_test(test_mz_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
