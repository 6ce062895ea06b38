/*
 * dlp.c - outbound data loss: citizen identifiers leaving in bulk.
 *
 * Spyware in the agency is there for espionage; what it wants is the data
 * on ~98 million citizens. When a message goes OUT (s->direction ==
 * VIGIL_DIR_OUTBOUND: the milter sets it for authenticated/internal
 * senders, the CLI with --direction outbound), every text-like object of
 * the tree is searched for three kinds of identifier, and the distinct ones
 * are counted over the whole scan:
 *
 *   CCCD  12-digit citizen ID (personal identification number, Circular
 *         07/2016/TT-BCA art. 7 and successors): a 3-digit code of the
 *         province of birth registration (the 63 codes of the circular's
 *         appendix, 001 Ha Noi .. 096 Ca Mau; the 2025 merger of provinces
 *         keeps existing codes, so this is still the full set), then the
 *         century/gender digit (0/1: born 19xx, 2/3: 20xx; 4-9 are later
 *         centuries, never plausible now), two digits of the year of birth
 *         (not after the current year), six random digits. An 11-digit run
 *         in a cell (below) whose restored leading zero makes a valid CCCD
 *         counts too: Excel and CSV exports drop it. 11-digit runs starting
 *         with 0 (landlines) or 84 (phones with the country code) are not.
 *   BHXH  10-digit social-insurance number, first two digits a province code
 *         of the BHXH scheme (the same 63 codes, plus 97 and 98 used by the
 *         Defence and Public Security insurance funds). A weak signal, so
 *         counted only with context: "BHXH", "bao hiem xa hoi" (with
 *         diacritics) or "social insurance" within 80 bytes before it, or
 *         standing alone in a cell (a line, a CSV/TSV cell, an XML/HTML
 *         element) - and cell numbers of an object that talks of tax codes
 *         but never of social insurance are dropped (10-digit tax codes of
 *         businesses look the same). Never: mobile numbers 0[35789]xxxxxxxx
 *         (this removes Tuyen Quang's code 08, which mobiles share), and
 *         cell numbers ending in 000 (round amounts of money in VND).
 *   BHYT  15-character health-insurance card number (Decision 1351/QD-BHXH):
 *         an object code from the decision's list (DN, HX, CH, ... GD; other
 *         letters do not count), the benefit level 1-5, a 2-digit province
 *         code (as for BHXH), the 10-digit BHXH number. Upper case only.
 *
 * A number counts only as a whole token: no letter, digit or '_' next to
 * it, not part of a decimal, date, range or address (a '.', '-', '/' or ':'
 * joining it to more digits, an '@', a '+' or a minus sign before it).
 * Placeholders (the random tail all one digit: 079200000000) and bit strings
 * (only 0 and 1) do not count. A "cell" is text between line breaks, CSV/TSV
 * separators (, ; tab |) or an element's '>' and '<' (quotes and blanks
 * around it allowed); in html and xml objects only lines and elements are
 * cells, since commas there separate the values of scripts.
 *
 * What is scanned: objects of type text (plain bodies, CSV, TSV, TXT),
 * html, xml (the parts of .xlsx/.docx/.odt arrive as children of the
 * package, e.g. xl/sharedStrings.xml, xl/worksheets/sheet1.xml,
 * word/document.xml), rtf, and "binary" objects that start with a UTF-16
 * byte-order mark (Excel's "Unicode text" export); other binary objects are
 * skipped. PDFs contribute whatever text the PDF extractor emits (today:
 * none, so PDF page text is not counted). Each object is read once, a
 * straight loop over its bytes that only stops at runs of digits; no regular
 * expressions. XML tags separate tokens: a number split by Word over two
 * runs is missed.
 *
 * State: a scan note ("dlp") holds the distinct identifiers as keyed 64-bit
 * hashes (a bijective mix of the value with a per-scan random key: no
 * number is stored in the clear, and distinct numbers never collide), at
 * most DLP_MAX_DISTINCT of them; the counts per kind and per object; and a
 * few masked examples (0791******23). Full numbers never reach a finding.
 * The set is a small open-addressing table of uint64_t rather than a
 * GHashTable: 8 bytes an entry and no allocation per entry at 100k entries.
 *
 * Options (vigil_config_set_option, CLI --option KEY=VALUE; values < 1 are
 * taken as 1):
 *   dlp.min_citizen_ids        50  distinct CCCD for dlp.citizen_data
 *   dlp.min_insurance_numbers  50  distinct BHXH numbers for dlp.citizen_data
 *   dlp.min_card_numbers       20  distinct BHYT card numbers for it
 *   dlp.min_identifiers_small  10  all kinds together for dlp.citizen_data_small
 *
 * Findings (the after-analyzer on the root; outbound only):
 *   dlp.citizen_data        high: at least dlp.min_citizen_ids (default 50)
 *                           CCCD, or dlp.min_insurance_numbers (50) BHXH, or
 *                           dlp.min_card_numbers (20) BHYT numbers. It is
 *                           about the object holding most of them; the
 *                           evidence names the top objects and masked
 *                           examples. Added as soon as a threshold is
 *                           crossed and completed at the end, so that a scan
 *                           cut short by a limit still reports it.
 *   dlp.citizen_data_small  low: below every threshold, but at least
 *                           dlp.min_identifiers_small (10) in all.
 *   dlp.archive_encrypted_outbound  medium: an archive on which the archive
 *                           extractor reported archive.encrypted (one per
 *                           archive, however many members were encrypted):
 *                           outbound, its content is hidden from this check.
 * Inbound (and unknown direction): nothing is counted and nothing recorded.
 * Citizen data arriving is the agency's daily business (clinics, employers
 * send lists), an info finding would be noise, and skipping keeps inbound
 * scans at no cost.
 *
 * Limits: DLP_MAX_DISTINCT identifiers per scan (then counting stops and the
 * evidence says "at least"), DLP_MAX_OBJS objects tracked by name, at most
 * DLP_MAX_SCAN bytes per object, DLP_MAX_ENCRYPTED findings for encrypted
 * archives.
 */
#include "../internal.h"

#include <stdio.h>
#include <string.h>

#define DLP_MAX_DISTINCT 100000
#define DLP_MAX_OBJS 1024
#define DLP_MAX_SCAN (64u << 20)
#define DLP_MAX_ENCRYPTED 16
#define DLP_KEYWORD_WINDOW 80
#define DLP_GATE_WINDOW (256u << 10)
#define DLP_EXAMPLES 3
#define DLP_TOP 3

enum dlp_kind { DLP_CCCD, DLP_BHXH, DLP_BHYT, DLP__KINDS };

static const char *const dlp_kind_name[DLP__KINDS] = {"citizen ID numbers (CCCD)",
                                                      "social-insurance numbers (BHXH)",
                                                      "health-insurance card numbers (BHYT)"};

/* per object: how many identifiers were first seen there */
struct dlp_obj {
	size_t index;
	uint32_t n[DLP__KINDS];
};

struct dlp_state {
	uint64_t key;
	int year; /* current year: births after it are implausible */
	/* open-addressing set of hashes; 0 marks an empty slot */
	uint64_t *set;
	size_t cap, used;
	bool has_zero, full;
	size_t count[DLP__KINDS];
	char example[DLP__KINDS][DLP_EXAMPLES][20];
	unsigned nex[DLP__KINDS];
	GArray *objs; /* struct dlp_obj */
	bool reported;
	guint finding;    /* index of dlp.citizen_data in s->findings */
	unsigned partial; /* objects read only up to DLP_MAX_SCAN */
};

/* one object's pass: cell-context BHXH numbers wait for the tax-code gate */
struct dlp_pass {
	GArray *deferred; /* uint64_t hashes */
	char dex[DLP_EXAMPLES][20];
	unsigned ndex;
	bool markup; /* html, xml: only elements and lines are cells */
	struct dlp_obj counts;
};

/*
 * Province codes of Circular 07/2016/TT-BCA's appendix (two last digits of
 * the 3-digit CCCD code; the same numbers are the 2-digit province codes of
 * the BHXH and BHYT schemes).
 */
static const uint8_t dlp_provinces[] = {
        1,  2,  4,  6,  8,  10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33,
        34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66,
        67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
};

/* Object codes of Decision 1351/QD-BHXH (health-insurance participants) */
static const char dlp_bhyt_codes[][3] = {
        "DN", "HX", "CH", "NN", "TK", "HC", "XK", "HT", "TB", "NO", "CT", "XB", "TN", "CS", "QN",
        "CA", "CY", "XN", "MS", "CC", "CK", "CB", "KC", "HD", "TE", "BT", "HN", "DT", "DK", "XD",
        "TS", "TC", "TQ", "TA", "TY", "HG", "LS", "PV", "CN", "HS", "SV", "GB", "GD",
};

static bool dlp_province(unsigned code, bool bhxh)
{
	for (size_t i = 0; i < G_N_ELEMENTS(dlp_provinces); i++)
		if (dlp_provinces[i] == code)
			return true;
	return bhxh && (code == 97 || code == 98);
}

static bool dlp_bhyt_code(uint8_t a, uint8_t b)
{
	for (size_t i = 0; i < G_N_ELEMENTS(dlp_bhyt_codes); i++)
		if (dlp_bhyt_codes[i][0] == a && dlp_bhyt_codes[i][1] == b)
			return true;
	return false;
}

static inline bool dlp_digit(uint8_t c)
{
	return (unsigned)(c - '0') <= 9;
}

static inline bool dlp_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

static inline bool dlp_word(uint8_t c)
{
	return dlp_digit(c) || dlp_upper(c) || (c >= 'a' && c <= 'z') || c == '_';
}

static unsigned dlp_num(const uint8_t *p, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	return v;
}

static uint64_t dlp_num64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	return v;
}

/*
 * Placeholders and bit strings: the random tail all one digit (079200000000),
 * or nothing but 0 and 1 (11111001111).
 */
static bool dlp_dull(const uint8_t *d, size_t n, size_t tail)
{
	bool same = true, binary = true;

	for (size_t i = 0; i < n; i++) {
		if (d[i] > '1')
			binary = false;
		if (i >= n - tail && d[i] != d[n - 1])
			same = false;
	}
	return same || binary;
}

/* d: the 12 digits of a CCCD */
static bool dlp_cccd_valid(const struct dlp_state *st, const uint8_t *d)
{
	unsigned century = (unsigned)(d[3] - '0'), year;

	if (d[0] != '0' || !dlp_province(dlp_num(d + 1, 2), false) || dlp_dull(d, 12, 6))
		return false;
	if (century > 3) /* born in 2100 or later */
		return false;
	year = (century < 2 ? 1900 : 2000) + dlp_num(d + 4, 2);
	return (int)year <= st->year;
}

/* splitmix64's finalizer: a bijection, so distinct values keep apart */
static uint64_t dlp_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t dlp_hash(const struct dlp_state *st, enum dlp_kind k, uint64_t v)
{
	return dlp_mix((v | (uint64_t)(k + 1) << 60) ^ st->key);
}

/* slot of h in the set: where it is or where it would go */
static size_t dlp_slot(const struct dlp_state *st, uint64_t h)
{
	size_t i = (size_t)(h ^ h >> 32) & (st->cap - 1);

	while (st->set[i] != 0 && st->set[i] != h)
		i = (i + 1) & (st->cap - 1);
	return i;
}

static void dlp_grow(struct dlp_state *st)
{
	uint64_t *old = st->set;
	size_t oldcap = st->cap;

	st->cap = oldcap ? oldcap * 2 : 1024;
	st->set = g_new0(uint64_t, st->cap);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i] != 0)
			st->set[dlp_slot(st, old[i])] = old[i];
	g_free(old);
}

/* true when h was not in the set (and now is); false if seen or full */
static bool dlp_insert(struct dlp_state *st, uint64_t h)
{
	size_t i;

	if (h == 0) {
		if (st->has_zero)
			return false;
		if (st->used >= DLP_MAX_DISTINCT) {
			st->full = true;
			return false;
		}
		st->has_zero = true;
		st->used++;
		return true;
	}
	if (st->cap == 0 || (st->used + 1) * 2 > st->cap)
		dlp_grow(st);
	i = dlp_slot(st, h);
	if (st->set[i] == h)
		return false;
	if (st->used >= DLP_MAX_DISTINCT) {
		st->full = true;
		return false;
	}
	st->set[i] = h;
	st->used++;
	return true;
}

/* keep head digits/letters and the last two, stars in between */
static void dlp_mask(char out[20], const uint8_t *p, size_t n, size_t head, bool add_zero)
{
	size_t o = 0;

	if (add_zero)
		out[o++] = '0';
	for (size_t i = 0; i < n && o < 19; i++) {
		size_t pos = i + (add_zero ? 1 : 0);

		out[o++] = (pos < head || i + 2 >= n) ? (char)p[i] : '*';
	}
	out[o] = 0;
}

static void dlp_count(struct dlp_state *st, struct dlp_pass *ps, enum dlp_kind k, uint64_t h,
                      const char *masked)
{
	if (!dlp_insert(st, h))
		return;
	st->count[k]++;
	ps->counts.n[k]++;
	if (masked != NULL && st->nex[k] < DLP_EXAMPLES)
		g_strlcpy(st->example[k][st->nex[k]++], masked, 20);
}

/* ---- context of a token ---- */

/* a '.', '-', '/' or ':' that joins a neighbouring digit run */
static bool dlp_joined(const uint8_t *p, size_t n, size_t i, size_t j)
{
	if (i > 0) {
		uint8_t b = p[i - 1];

		if (b == '@' || b == '+')
			return true;
		if ((b == '.' || b == '-' || b == '/' || b == ':') && i > 1 && dlp_digit(p[i - 2]))
			return true;
		/* a minus sign: "-1234567890" is a number, "ID-..." a label */
		if (b == '-' && (i == 1 || !dlp_word(p[i - 2])))
			return true;
	}
	if (j < n) {
		uint8_t a = p[j];

		if (a == '@')
			return true;
		if ((a == '.' || a == '-' || a == '/' || a == ':') && j + 1 < n &&
		    dlp_digit(p[j + 1]))
			return true;
	}
	return false;
}

static bool dlp_filler(uint8_t c)
{
	return c == ' ' || c == '"' || c == '\'';
}

/*
 * The token stands alone in a line, a CSV/TSV cell or an XML/HTML element.
 * In markup only elements and lines delimit: commas there separate values
 * of scripts (arrays of integers), not cells.
 */
static bool dlp_cell(const uint8_t *p, size_t n, size_t i, size_t j, bool markup)
{
	const char *before = markup ? "\n\r>" : "\n\r,;\t|>";
	const char *after = markup ? "\n\r<" : "\n\r,;\t|<";
	size_t k = i, steps = 0;

	while (k > 0 && steps < 8 && dlp_filler(p[k - 1])) {
		k--;
		steps++;
	}
	/* (a NUL byte is no separator: strchr would find the terminator) */
	if (k > 0 && (p[k - 1] == 0 || strchr(before, p[k - 1]) == NULL))
		return false;
	for (steps = 0; j < n && steps < 8 && dlp_filler(p[j]); steps++)
		j++;
	return j >= n || (p[j] != 0 && strchr(after, p[j]) != NULL);
}

/* "BHXH", "bảo hiểm xã hội", "social insurance" just before position i */
static bool dlp_keyword_before(const uint8_t *p, size_t i)
{
	size_t from = i > DLP_KEYWORD_WINDOW ? i - DLP_KEYWORD_WINDOW : 0;
	const uint8_t *w = p + from;
	size_t wn = i - from;

	return vmem_casefind(w, wn, "bhxh") >= 0 ||
	       vmem_casefind(w, wn, "b\xe1\xba\xa3o hi\xe1\xbb\x83m x\xc3\xa3 h\xe1\xbb\x99i") >=
	               0 ||
	       vmem_casefind(w, wn, "B\xe1\xba\xa2O HI\xe1\xbb\x82M X\xc3\x83 H\xe1\xbb\x98I") >=
	               0 ||
	       vmem_casefind(w, wn, "social insurance") >= 0;
}

static bool dlp_has(const uint8_t *p, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	return p != NULL && m <= n && memmem(p, n, needle, m) != NULL;
}

/*
 * Cell numbers of an object that names tax codes and never social insurance
 * are businesses' tax codes (mã số thuế: 10 digits, province first). Only
 * the start of the object is read: that is where a table's header is.
 */
static bool dlp_tax_table(const uint8_t *p, size_t n)
{
	bool tax, ins;

	if (n > DLP_GATE_WINDOW)
		n = DLP_GATE_WINDOW;
	tax = vmem_casefind(p, n, "m\xc3\xa3 s\xe1\xbb\x91 thu\xe1\xba\xbf") >= 0 ||
	      dlp_has(p, n, "M\xc3\x83 S\xe1\xbb\x90 THU\xe1\xba\xbe") || dlp_has(p, n, "MST") ||
	      vmem_casefind(p, n, "tax code") >= 0 || vmem_casefind(p, n, "tax id") >= 0;
	if (!tax)
		return false;
	ins = vmem_casefind(p, n, "bhxh") >= 0 || vmem_casefind(p, n, "bhyt") >= 0 ||
	      vmem_casefind(p, n, "b\xe1\xba\xa3o hi\xe1\xbb\x83m") >= 0 ||
	      dlp_has(p, n, "B\xe1\xba\xa2O HI\xe1\xbb\x82M") ||
	      vmem_casefind(p, n, "social insurance") >= 0;
	return !ins;
}

/* ---- one token ---- */

static void dlp_token(struct dlp_state *st, struct dlp_pass *ps, const uint8_t *p, size_t n,
                      size_t i, size_t j)
{
	size_t len = j - i;
	const uint8_t *d = p + i;
	char m[20];

	if (len == 13) {
		/* BHYT: two capitals glued to the digits, a word boundary before */
		if (i < 2 || !dlp_upper(p[i - 2]) || !dlp_upper(p[i - 1]))
			return;
		if (i > 2 && dlp_word(p[i - 3]))
			return;
		if (j < n && dlp_word(p[j]))
			return;
		if (!dlp_bhyt_code(p[i - 2], p[i - 1]) || d[0] < '1' || d[0] > '5' ||
		    !dlp_province(dlp_num(d + 1, 2), true))
			return;
		dlp_mask(m, p + i - 2, 15, 5, false);
		dlp_count(st, ps, DLP_BHYT,
		          dlp_hash(st, DLP_BHYT,
		                   (uint64_t)((p[i - 2] - 'A') * 26 + (p[i - 1] - 'A')) *
		                                   10000000000000ULL +
		                           dlp_num64(d, 13)),
		          m);
		return;
	}
	if ((i > 0 && dlp_word(p[i - 1])) || (j < n && dlp_word(p[j])) || dlp_joined(p, n, i, j))
		return;
	if (len == 12) {
		if (!dlp_cccd_valid(st, d))
			return;
		dlp_mask(m, d, 12, 4, false);
		dlp_count(st, ps, DLP_CCCD, dlp_hash(st, DLP_CCCD, dlp_num64(d, 12)), m);
	} else if (len == 11) {
		uint8_t full[12];

		/* Excel dropped the leading zero: only in a cell, never a phone */
		if (d[0] == '0' || (d[0] == '8' && d[1] == '4') || memcmp(d + 8, "000", 3) == 0)
			return;
		full[0] = '0';
		memcpy(full + 1, d, 11);
		if (!dlp_cccd_valid(st, full) || !dlp_cell(p, n, i, j, ps->markup))
			return;
		dlp_mask(m, d, 11, 4, true);
		dlp_count(st, ps, DLP_CCCD, dlp_hash(st, DLP_CCCD, dlp_num64(full, 12)), m);
	} else if (len == 10) {
		uint64_t h;

		if (d[0] == '0' &&
		    (d[1] == '3' || d[1] == '5' || d[1] == '7' || d[1] == '8' || d[1] == '9'))
			return; /* a mobile number */
		if (!dlp_province(dlp_num(d, 2), true) || dlp_dull(d, 10, 8))
			return;
		dlp_mask(m, d, 10, 2, false);
		h = dlp_hash(st, DLP_BHXH, dlp_num64(d, 10));
		if (dlp_keyword_before(p, i)) {
			dlp_count(st, ps, DLP_BHXH, h, m);
		} else if (memcmp(d + 7, "000", 3) != 0 && dlp_cell(p, n, i, j, ps->markup) &&
		           ps->deferred->len < DLP_MAX_DISTINCT) {
			g_array_append_val(ps->deferred, h);
			if (ps->ndex < DLP_EXAMPLES)
				g_strlcpy(ps->dex[ps->ndex++], m, 20);
		}
	}
}

/* the one pass: skip to each run of digits, look at runs of 10-13 */
static void dlp_scan_bytes(struct dlp_state *st, struct dlp_pass *ps, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j;

		if (!dlp_digit(p[i])) {
			i++;
			continue;
		}
		j = i + 1;
		while (j < n && dlp_digit(p[j]))
			j++;
		if (j - i >= 10 && j - i <= 13)
			dlp_token(st, ps, p, n, i, j);
		i = j;
	}
}

/* UTF-16 text as 8-bit: ASCII kept, everything else a neutral 0x80 */
static uint8_t *dlp_narrow(const uint8_t *p, size_t n, bool le, size_t *outn)
{
	size_t m = n / 2, k = 0;
	uint8_t *out = g_malloc(m ? m : 1);

	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned u =
		        le ? (unsigned)(p[i] | p[i + 1] << 8) : (unsigned)(p[i] << 8 | p[i + 1]);

		out[k++] = u < 0x80 ? (uint8_t)u : 0x80;
	}
	*outn = k;
	return out;
}

/* ---- the scan note ---- */

static void dlp_state_free(void *p)
{
	struct dlp_state *st = p;

	g_free(st->set);
	g_array_free(st->objs, TRUE);
	g_free(st);
}

static struct dlp_state *dlp_state(vigil_scan *s)
{
	struct dlp_state *st = vscan_note(s, "dlp");
	GDateTime *now;

	if (st != NULL)
		return st;
	st = g_new0(struct dlp_state, 1);
	st->key = (uint64_t)g_random_int() << 32 | g_random_int();
	now = g_date_time_new_now_utc();
	st->year = now ? g_date_time_get_year(now) : 2100;
	if (now)
		g_date_time_unref(now);
	st->objs = g_array_new(FALSE, TRUE, sizeof(struct dlp_obj));
	vscan_note_set(s, "dlp", st, dlp_state_free);
	return st;
}

static long long dlp_min(const vigil_scan *s, const char *key, long long def)
{
	long long v = veng_option_int(s->eng, key, def);

	return v < 1 ? 1 : v;
}

static bool dlp_over(const vigil_scan *s, const struct dlp_state *st)
{
	return (long long)st->count[DLP_CCCD] >= dlp_min(s, "dlp.min_citizen_ids", 50) ||
	       (long long)st->count[DLP_BHXH] >= dlp_min(s, "dlp.min_insurance_numbers", 50) ||
	       (long long)st->count[DLP_BHYT] >= dlp_min(s, "dlp.min_card_numbers", 20);
}

static size_t dlp_obj_total(const struct dlp_obj *o)
{
	return (size_t)o->n[DLP_CCCD] + o->n[DLP_BHXH] + o->n[DLP_BHYT];
}

/* "N citizen identifiers (...); most in ...; e.g. ..." */
static char *dlp_evidence(vigil_scan *s, struct dlp_state *st, size_t *top)
{
	GString *e = g_string_new(NULL);
	size_t total = st->count[0] + st->count[1] + st->count[2];
	const char *sep = "";
	bool used[DLP_MAX_OBJS] = {false};

	g_string_append_printf(e, "%s%zu citizen identifiers (", st->full ? "at least " : "",
	                       total);
	for (int k = 0; k < DLP__KINDS; k++) {
		if (st->count[k] == 0)
			continue;
		g_string_append_printf(e, "%s%zu %s", sep, st->count[k], dlp_kind_name[k]);
		sep = ", ";
	}
	g_string_append(e, ")");
	*top = SIZE_MAX;
	for (int r = 0; r < DLP_TOP; r++) {
		size_t best = SIZE_MAX, bestn = 0;

		for (guint i = 0; i < st->objs->len; i++) {
			const struct dlp_obj *o = &g_array_index(st->objs, struct dlp_obj, i);

			if (!used[i] && dlp_obj_total(o) > bestn) {
				best = i;
				bestn = dlp_obj_total(o);
			}
		}
		if (best == SIZE_MAX)
			break;
		used[best] = true;
		{
			size_t idx = g_array_index(st->objs, struct dlp_obj, best).index;
			vigil_object *o = vscan_object(s, idx);

			if (r == 0)
				*top = idx;
			g_string_append_printf(e, "%s%s (%zu)", r == 0 ? "; most in " : ", ",
			                       o ? o->path : "?", bestn);
		}
	}
	sep = "; e.g. ";
	for (int k = 0; k < DLP__KINDS; k++)
		for (unsigned x = 0; x < st->nex[k] && x < 2; x++) {
			g_string_append_printf(e, "%s%s", sep, st->example[k][x]);
			sep = ", ";
		}
	if (st->partial)
		g_string_append_printf(e, "; %u object(s) read only in part", st->partial);
	return g_string_free(e, FALSE);
}

/* the high finding: added once, on crossing; its evidence is completed at the end */
static void dlp_report_high(vigil_scan *s, struct dlp_state *st)
{
	size_t top;
	char *ev = dlp_evidence(s, st, &top);
	vigil_object *o = vscan_object(s, top == SIZE_MAX ? 0 : top);

	if (o == NULL)
		o = vscan_object(s, 0);
	if (!st->reported) {
		vfinding_add(s, o, F_DLP_CITIZEN_DATA, "%s", ev);
		st->finding = s->findings->len - 1;
		st->reported = true;
	} else if (st->finding < s->findings->len) {
		vigil_finding *f = g_ptr_array_index(s->findings, st->finding);

		if (strcmp(f->id, "dlp.citizen_data") == 0) {
			g_free(f->evidence);
			f->evidence = vstr_sanitize(ev, 512);
			f->object = o->index;
		}
	}
	g_free(ev);
}

/* ---- analyzers ---- */

static void dlp_analyze(vigil_scan *s, vigil_object *o)
{
	struct dlp_state *st;
	struct dlp_pass ps;
	const uint8_t *p = o->data;
	uint8_t *narrow = NULL;
	size_t n = o->len;

	if (s->direction != VIGIL_DIR_OUTBOUND || p == NULL || n < 10)
		return;
	if (strcmp(o->type, "binary") == 0 && !(p[0] == 0xFF && p[1] == 0xFE) &&
	    !(p[0] == 0xFE && p[1] == 0xFF))
		return; /* binary, not UTF-16 text */
	st = dlp_state(s);
	if (st->full)
		return;
	if (n > DLP_MAX_SCAN) {
		n = DLP_MAX_SCAN;
		st->partial++;
	}
	if (strcmp(o->type, "binary") == 0) {
		narrow = dlp_narrow(p + 2, n - 2, p[0] == 0xFF, &n);
		p = narrow;
	}
	memset(&ps, 0, sizeof ps);
	ps.deferred = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	ps.counts.index = o->index;
	ps.markup = strcmp(o->type, "html") == 0 || strcmp(o->type, "xml") == 0;
	dlp_scan_bytes(st, &ps, p, n);
	if (ps.deferred->len > 0 && !dlp_tax_table(p, n)) {
		/* ps.dex holds the masks of the first deferred numbers */
		for (guint i = 0; i < ps.deferred->len; i++)
			dlp_count(st, &ps, DLP_BHXH, g_array_index(ps.deferred, uint64_t, i),
			          i < ps.ndex ? ps.dex[i] : NULL);
	}
	g_array_free(ps.deferred, TRUE);
	if (dlp_obj_total(&ps.counts) > 0 && st->objs->len < DLP_MAX_OBJS)
		g_array_append_val(st->objs, ps.counts);
	if (!st->reported && dlp_over(s, st))
		dlp_report_high(s, st);
	g_free(narrow);
}

static void dlp_encrypted(vigil_scan *s)
{
	unsigned n = 0;

	for (guint i = 0; i < s->objs->len && n < DLP_MAX_ENCRYPTED; i++) {
		vigil_object *o = g_ptr_array_index(s->objs, i);

		if (!(o->flags & VIGIL_OBJ_ENCRYPTED) || !vfinding_has(s, i, "archive.encrypted"))
			continue;
		vfinding_add(
		        s, o, F_DLP_ARCHIVE_ENCRYPTED,
		        "outbound %s archive %s: encrypted (archive.encrypted), so its content "
		        "could not be checked for citizen data",
		        o->type, o->name ? o->name : o->path);
		n++;
	}
}

static void dlp_report(vigil_scan *s, vigil_object *o)
{
	struct dlp_state *st;
	size_t total;

	if (o->index != 0 || s->direction != VIGIL_DIR_OUTBOUND)
		return;
	dlp_encrypted(s);
	st = vscan_note(s, "dlp");
	if (st == NULL)
		return;
	total = st->count[0] + st->count[1] + st->count[2];
	if (st->reported || dlp_over(s, st)) {
		dlp_report_high(s, st);
	} else if ((long long)total >= dlp_min(s, "dlp.min_identifiers_small", 10)) {
		size_t top;
		char *ev = dlp_evidence(s, st, &top);
		vigil_object *t = vscan_object(s, top == SIZE_MAX ? 0 : top);

		vfinding_add(s, t ? t : o, F_DLP_CITIZEN_DATA_SMALL, "%s", ev);
		g_free(ev);
	}
}

static const char *const dlp_types[] = {"text", "html", "xml", "rtf", "binary", NULL};

const analyzer dlp_analyzer = {
        .name = "dlp",
        .types = dlp_types,
        .analyze = dlp_analyze,
};

/* after everything: the root sees the whole scan's counts */
const analyzer dlp_report_analyzer = {
        .name = "dlp-report",
        .types = NULL,
        .analyze = dlp_report,
        .after = true,
};
