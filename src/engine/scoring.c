/*
 * scoring.c - from findings to a score and a verdict (docs/scoring.md).
 *
 * 1. Every finding has a weight: its severity's (info 0, low 10, medium 30,
 *    high 60, critical 100) times a confidence (confidence table below,
 *    default 1.0). A finding id counts once per scan, with its heaviest
 *    occurrence, however many objects it was seen on.
 * 2. Combinations: evidence that means more together than apart (a macro
 *    that runs on open AND launches a program; a downloader AND obfuscation;
 *    a lookalike sender AND a macro document; a password-protected archive
 *    whose password is in the message AND an executable inside). When every
 *    part of a combination is present, a finding `combo.<name>` is added
 *    (on the object of its first part) with the parts as evidence; its
 *    weight is on top of the parts', so the score rises more than the sum.
 * 3. Score = min(100, sum of weights). Verdict: malicious for any critical
 *    finding or a score of 100; suspicious from 30, or whenever a limit was
 *    hit (a scan that did not see everything is never clean); else clean.
 * 4. Findings are ordered heaviest first, so the first reasons explain the
 *    verdict.
 */
#include "internal.h"

#include <string.h>

static const int sev_weight[] = {0, 10, 30, 60, 100};

/* how far a kind of finding is to be trusted on its own (glob -> 0..1) */
static const struct {
	const char *glob;
	double confidence;
} confidence_table[] = {
        /* a name that does not match the content is mostly sloppiness */
        {"name.extension_mismatch", 0.5},
        /* parser anomalies occur in legitimate bulk mail */
        {"mime.duplicate_header", 0.5},
        {"mime.malformed_multipart", 0.5},
        {"mime.invalid_header_name", 0.5},
        {"mime.bad_base64", 0.5},
        {"decode.error", 0.5},
};

/* parts: each is a '|'-separated list of globs; all parts must be present */
struct combo {
	const char *id;
	vigil_severity sev;
	const char *attack;
	const char *parts[4];
	const char *title_en;
	const char *title_vi;
};

static const struct combo combos[] = {
        {"combo.macro_runs_program",
         VIGIL_SEV_CRITICAL,
         "T1204.002,T1059.005",
         {"macro.autoexec|xlm.autoopen", "macro.execute|macro.downloader|xlm.exec", NULL},
         "A macro runs by itself when the document opens and launches programs",
         "Macro tự chạy khi mở tài liệu và khởi chạy chương trình"},
        {"combo.obfuscated_downloader",
         VIGIL_SEV_CRITICAL,
         "T1105,T1027",
         {"macro.downloader|script.downloader|lnk.command",
          "macro.obfuscated|script.obfuscated|script.encoded_command", NULL},
         "Obfuscated code that downloads and runs a payload",
         "Mã bị làm rối tải về và chạy phần mềm độc hại"},
        {"combo.spoofed_sender_active_content",
         VIGIL_SEV_CRITICAL,
         "T1566.001,T1204.002",
         {"sender.*lookalike*|sender.display_name_spoof*|sender.*spoof*|link.lookalike_domain",
          "macro.*|xlm.*|dde.*|content.executable|script.*|lnk.*|rtf.exploit_class", NULL},
         "A forged or lookalike sender delivers active content (macro, script, program)",
         "Người gửi giả mạo hoặc tên miền nhái gửi nội dung thực thi (macro, tập lệnh, chương "
         "trình)"},
        {"combo.password_archive_executable",
         VIGIL_SEV_CRITICAL,
         "T1027.013,T1204.002",
         {"archive.password_found", "content.executable|delivery.archive_executable", NULL},
         "An executable in a password-protected archive whose password is in the message",
         "Tệp thực thi trong tệp nén có mật khẩu, mật khẩu nằm ngay trong thư"},
        {"combo.disguised_executable",
         VIGIL_SEV_CRITICAL,
         "T1036.007,T1204.002",
         {"name.double_extension|name.rtlo|name.type_mismatch", "content.executable", NULL},
         "An executable disguised as a document",
         "Tệp thực thi ngụy trang thành tài liệu"},
        {"combo.lookalike_credential_page",
         VIGIL_SEV_CRITICAL,
         "T1566.002,T1598.003",
         {"link.lookalike_domain|link.idn_homograph|sender.*lookalike*",
          "link.form_password|link.form_external|pdf.submitform", NULL},
         "A lookalike domain collects credentials",
         "Tên miền nhái thu thập thông tin đăng nhập"},
};

static double confidence_of(const char *id)
{
	for (size_t i = 0; i < G_N_ELEMENTS(confidence_table); i++)
		if (g_pattern_match_simple(confidence_table[i].glob, id))
			return confidence_table[i].confidence;
	return 1.0;
}

int vfinding_weight(const vigil_finding *f)
{
	return (int)(sev_weight[f->sev] * confidence_of(f->id) + 0.5);
}

/* the first finding matching any glob of the '|'-list, or NULL */
static const vigil_finding *find_part(const vigil_scan *s, const char *alternatives)
{
	char **alts = g_strsplit(alternatives, "|", -1);
	const vigil_finding *hit = NULL;

	for (guint i = 0; i < s->findings->len && hit == NULL; i++) {
		const vigil_finding *f = g_ptr_array_index(s->findings, i);

		if (strncmp(f->id, "combo.", 6) == 0)
			continue;
		for (char **a = alts; *a != NULL; a++)
			if (g_pattern_match_simple(*a, f->id)) {
				hit = f;
				break;
			}
	}
	g_strfreev(alts);
	return hit;
}

static void apply_combos(vigil_scan *s)
{
	for (size_t c = 0; c < G_N_ELEMENTS(combos); c++) {
		const struct combo *k = &combos[c];
		const vigil_finding *parts[4] = {NULL};
		GString *ev = g_string_new(NULL);
		size_t n = 0;
		bool all = true;

		for (; n < 4 && k->parts[n] != NULL; n++) {
			parts[n] = find_part(s, k->parts[n]);
			if (parts[n] == NULL) {
				all = false;
				break;
			}
		}
		if (all && n > 0) {
			for (size_t i = 0; i < n; i++) {
				const vigil_object *o = vscan_object(s, parts[i]->object);

				g_string_append_printf(ev, "%s%s@%s", i ? " + " : "", parts[i]->id,
				                       o ? o->path : "?");
			}
			vfinding_add_custom(s, vscan_object(s, parts[0]->object), k->id, k->sev,
			                    k->title_en, k->title_vi, k->attack, ev->str);
		}
		g_string_free(ev, TRUE);
	}
}

static gint by_weight(gconstpointer a, gconstpointer b)
{
	const vigil_finding *x = *(vigil_finding *const *)a, *y = *(vigil_finding *const *)b;
	int wx = vfinding_weight(x), wy = vfinding_weight(y);

	if (wx != wy)
		return wy - wx;
	if (x->sev != y->sev)
		return (int)y->sev - (int)x->sev;
	return 0;
}

void vfinding_verdict(vigil_scan *s)
{
	GHashTable *best = g_hash_table_new(g_str_hash, g_str_equal); /* id -> weight+1 */
	GHashTableIter it;
	gpointer k, v;
	bool critical = false, limit = false;
	int score = 0;

	if (!s->scored) {
		apply_combos(s);
		s->scored = true;
	}
	/* heaviest first; equal weights keep the order they were found in */
	g_ptr_array_sort(s->findings, by_weight);
	for (guint i = 0; i < s->findings->len; i++) {
		const vigil_finding *f = g_ptr_array_index(s->findings, i);
		int w = vfinding_weight(f) + 1;

		if (GPOINTER_TO_INT(g_hash_table_lookup(best, f->id)) < w)
			g_hash_table_replace(best, f->id, GINT_TO_POINTER(w));
		if (f->sev == VIGIL_SEV_CRITICAL)
			critical = true;
		if (strncmp(f->id, "limit.", 6) == 0)
			limit = true;
	}
	g_hash_table_iter_init(&it, best);
	while (g_hash_table_iter_next(&it, &k, &v))
		score += GPOINTER_TO_INT(v) - 1;
	g_hash_table_destroy(best);
	s->score = score > 100 ? 100 : score;
	if (critical || score >= 100)
		s->verdict = VIGIL_MALICIOUS;
	else if (score >= 30 || limit)
		s->verdict = VIGIL_SUSPICIOUS;
	else
		s->verdict = VIGIL_CLEAN;
}

int vigil_finding_weight(const vigil_finding *f)
{
	return f ? vfinding_weight(f) : 0;
}
