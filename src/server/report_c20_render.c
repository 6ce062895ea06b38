/*
 * report_c20_render.c - the PDF and HTML renderings of a Circular 20/2017
 * report (the document report_c20_build() makes).
 *
 * PDF: A4 portrait, margins as Vietnamese administrative documents have them
 * (left 30 mm, right 20 mm, top and bottom 20 mm), DejaVu Serif (it covers
 * Vietnamese), cairo's PDF surface writing into a growing memory buffer.
 * Text goes through pango as plain text (never markup, so a value cannot
 * change the formatting) with word-or-character wrapping, so a 500-character
 * URL still wraps. Paragraphs break across pages line by line; table rows
 * move to the next page whole, under a repeated header row. Drills carry
 * "DIỄN TẬP / EXERCISE" at the top and bottom of every page and as a
 * watermark; drafts (missing required fields) say "BẢN NHÁP / DRAFT".
 *
 * HTML: every string escaped (& < > " '), no scripts, no inline event
 * handlers, no URLs made into links; one <article> or a standalone page.
 *
 * The report is trusted no more than the incident it came from: every
 * string is cut to RENDER_MAX_TEXT bytes of valid UTF-8, every list to a
 * count, the PDF to REPORT_C20_MAX_PAGES pages and REPORT_C20_MAX_PDF_BYTES,
 * the HTML to RENDER_MAX_HTML bytes.
 */
#include "report_c20.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

#define RENDER_MAX_TEXT (32u << 10)
#define RENDER_MAX_HTML (16u << 20)
#define RENDER_MAX_SECTIONS 64
#define RENDER_MAX_ITEMS 256
#define RENDER_MAX_COLS 8
#define RENDER_MAX_BARS 40  /* labels of one chart */
#define RENDER_MAX_SERIES 4 /* bars per label */

/* A chart item: {"type": "chart", "caption", "unit", "labels": [..],
 * "series": [{"name", "values": [number | null, ..]}]}: horizontal bars,
 * one group per label, one bar per series, on a common scale from 0 to the
 * largest value. A missing, negative or non-finite value is "not measured"
 * (drawn as a dash, never as a zero bar). */
struct chart {
	size_t nl, ns;
	double v[RENDER_MAX_BARS][RENDER_MAX_SERIES];
	bool has[RENDER_MAX_BARS][RENDER_MAX_SERIES];
	double max;
};

static const double SERIES_RGB[RENDER_MAX_SERIES][3] = {
        {0.16, 0.38, 0.67}, {0.85, 0.45, 0.10}, {0.20, 0.60, 0.30}, {0.55, 0.35, 0.65}};
static const char *const SERIES_HEX[RENDER_MAX_SERIES] = {"#2961ab", "#d9731a", "#33994d",
                                                          "#8c59a6"};

static void chart_read(const json_t *c, struct chart *ch)
{
	const json_t *series = json_object_get(c, "series");

	memset(ch, 0, sizeof *ch);
	ch->nl = json_array_size(json_object_get(c, "labels"));
	ch->ns = json_array_size(series);
	if (ch->nl > RENDER_MAX_BARS)
		ch->nl = RENDER_MAX_BARS;
	if (ch->ns > RENDER_MAX_SERIES)
		ch->ns = RENDER_MAX_SERIES;
	for (size_t s = 0; s < ch->ns; s++) {
		const json_t *vals = json_object_get(json_array_get(series, s), "values");

		for (size_t i = 0; i < ch->nl; i++) {
			const json_t *v = json_array_get(vals, i);
			double d = json_is_number(v) ? json_number_value(v) : -1;

			if (d >= 0 && d < 1e15) {
				ch->v[i][s] = d;
				ch->has[i][s] = true;
				if (d > ch->max)
					ch->max = d;
			}
		}
	}
}

/* "12.5 phút": a value as printed next to its bar */
static char *chart_value(double v, const char *unit)
{
	char num[G_ASCII_DTOSTR_BUF_SIZE];

	if (v == (double)(long long)v)
		g_snprintf(num, sizeof num, "%lld", (long long)v);
	else
		g_ascii_formatd(num, sizeof num, "%.1f", v);
	return g_strdup_printf("%s%s%s", num, unit[0] != 0 ? " " : "", unit);
}

/* a bounded, valid UTF-8 copy of a report string ("" for a non-string) */
static char *rtext(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n;

	if (s == NULL)
		return g_strdup("");
	n = json_string_length(v);
	if (n > RENDER_MAX_TEXT)
		n = RENDER_MAX_TEXT;
	return g_utf8_make_valid(s, (gssize)n);
}

static char *rget(const json_t *obj, const char *key)
{
	return rtext(json_object_get(obj, key));
}

/* the text a field shows: its value, or a blank to fill by hand */
static char *field_value(const json_t *f, bool *blank_out)
{
	const json_t *v = json_object_get(f, "value");

	*blank_out = !json_is_string(v);
	if (json_is_string(v))
		return rtext(v);
	return g_strdup(json_is_true(json_object_get(f, "missing")) ? "……………………… [THIẾU / MISSING]"
	                                                            : "………………………");
}

/* ------------------------------------------------------------------ */
/* PDF                                                                */

#define MM (72.0 / 25.4)
#define PAGE_W 595.2756
#define PAGE_H 841.8898
#define M_LEFT (30 * MM)
#define M_RIGHT (20 * MM)
#define M_TOP (20 * MM)
#define M_BOTTOM (20 * MM)
#define TEXT_W (PAGE_W - M_LEFT - M_RIGHT)
#define BOTTOM (PAGE_H - M_BOTTOM)
#define FONT "DejaVu Serif"
#define CELL_PAD 3.0

struct pdf {
	cairo_surface_t *surf;
	cairo_t *cr;
	PangoContext *ctx;
	GByteArray *buf;
	bool too_big;
	double y;
	int page;
	bool stopped; /* the page limit was reached */
	char *marking;
	bool draft;
};

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct pdf *p = closure;

	if (len > REPORT_C20_MAX_PDF_BYTES - p->buf->len) {
		p->too_big = true;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	g_byte_array_append(p->buf, data, len);
	return CAIRO_STATUS_SUCCESS;
}

enum { NORMAL = 0, BOLD = 1, ITALIC = 2 };

static PangoLayout *lay(struct pdf *p, const char *text, double size, int style, double width,
                        PangoAlignment align)
{
	PangoLayout *l = pango_layout_new(p->ctx);
	PangoFontDescription *fd = pango_font_description_new();
	PangoAttrList *attrs;

	pango_font_description_set_family(fd, FONT);
	pango_font_description_set_size(fd, (gint)(size * PANGO_SCALE));
	pango_font_description_set_weight(fd,
	                                  style & BOLD ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_style(fd,
	                                 style & ITALIC ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, align);
	/* no hyphen where a word is broken: a hash or URL copied from the
	 * report must not gain a '-' */
	attrs = pango_attr_list_new();
	pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
	pango_layout_set_attributes(l, attrs);
	pango_attr_list_unref(attrs);
	pango_layout_set_text(l, text, -1);
	return l;
}

static double lay_height(PangoLayout *l)
{
	int w, h;

	pango_layout_get_size(l, &w, &h);
	return h / (double)PANGO_SCALE;
}

/* draws l with its top left at (x, y) */
static void show_at(struct pdf *p, PangoLayout *l, double x, double y)
{
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
}

static void centered(struct pdf *p, const char *text, double size, int style, double y, double r,
                     double g, double b)
{
	PangoLayout *l = lay(p, text, size, style, TEXT_W, PANGO_ALIGN_CENTER);

	cairo_set_source_rgb(p->cr, r, g, b);
	show_at(p, l, M_LEFT, y);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	g_object_unref(l);
}

static void page_begin(struct pdf *p)
{
	p->y = M_TOP;
	if (p->marking != NULL) {
		/* the watermark first, so the text is drawn over it; as outlines,
		 * not text, so that copying or extracting the page's text does
		 * not mix its letters into the report's lines */
		PangoLayout *l = lay(p, p->marking, 44, BOLD, PAGE_H, PANGO_ALIGN_CENTER);

		cairo_save(p->cr);
		cairo_translate(p->cr, PAGE_W / 2, PAGE_H / 2);
		cairo_rotate(p->cr, -G_PI / 4);
		cairo_set_source_rgba(p->cr, 0.85, 0.1, 0.1, 0.12);
		cairo_move_to(p->cr, -PAGE_H / 2, -lay_height(l) / 2);
		pango_cairo_layout_path(p->cr, l);
		cairo_fill(p->cr);
		cairo_restore(p->cr);
		g_object_unref(l);
		centered(p, p->marking, 11, BOLD, 8 * MM, 0.8, 0, 0);
	}
	if (p->draft)
		centered(p, "BẢN NHÁP / DRAFT", 9, BOLD, 13 * MM, 0.4, 0.4, 0.4);
}

static void page_end(struct pdf *p)
{
	char *n = g_strdup_printf("Trang %d", p->page);
	PangoLayout *l = lay(p, n, 9, NORMAL, TEXT_W, PANGO_ALIGN_RIGHT);

	show_at(p, l, M_LEFT, PAGE_H - 12 * MM);
	g_object_unref(l);
	g_free(n);
	if (p->marking != NULL)
		centered(p, p->marking, 11, BOLD, PAGE_H - 12 * MM, 0.8, 0, 0);
}

static void next_page(struct pdf *p)
{
	if (p->stopped)
		return;
	if (p->page >= REPORT_C20_MAX_PAGES) {
		centered(p, "… [báo cáo dừng tại giới hạn số trang / stopped at the page limit]", 9,
		         ITALIC, BOTTOM + 2, 0, 0, 0);
		p->stopped = true;
		return;
	}
	page_end(p);
	cairo_show_page(p->cr);
	p->page++;
	page_begin(p);
}

/* makes room for h points; false once the page limit stops the report */
static bool room(struct pdf *p, double h)
{
	if (p->stopped)
		return false;
	if (p->y + h > BOTTOM && p->y > M_TOP + 1)
		next_page(p);
	return !p->stopped;
}

/* draws a layout line by line, breaking pages between lines */
static void flow(struct pdf *p, PangoLayout *l, double x, double gap_after)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);

	do {
		PangoRectangle log;
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
		int base = pango_layout_iter_get_baseline(it);
		double h;

		pango_layout_iter_get_line_extents(it, NULL, &log);
		h = log.height / (double)PANGO_SCALE;
		if (!room(p, h))
			break;
		cairo_move_to(p->cr, x + log.x / (double)PANGO_SCALE,
		              p->y + (base - log.y) / (double)PANGO_SCALE);
		pango_cairo_show_layout_line(p->cr, line);
		p->y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	p->y += gap_after;
}

static void para(struct pdf *p, const char *text, double size, int style, PangoAlignment align,
                 double indent, double gap_after)
{
	PangoLayout *l = lay(p, text, size, style, TEXT_W - indent, align);

	flow(p, l, M_LEFT + indent, gap_after);
	g_object_unref(l);
}

static void hline(struct pdf *p, double cx, double y, double w)
{
	cairo_set_line_width(p->cr, 0.6);
	cairo_move_to(p->cr, cx - w / 2, y);
	cairo_line_to(p->cr, cx + w / 2, y);
	cairo_stroke(p->cr);
}

/* the two-column heading of an administrative document */
static void pdf_header(struct pdf *p, const json_t *h)
{
	double lw = TEXT_W * 0.46, rw = TEXT_W - lw, yl = p->y, yr = p->y;
	struct {
		const char *key;
		int style;
		bool left;
	} parts[] = {
	        {"organisation", NORMAL, true},
	        {"unit", BOLD, true},
	        {"nation", BOLD, false},
	        {"motto", BOLD, false},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
		char *t = rget(h, parts[i].key);
		PangoLayout *l = lay(p, t, parts[i].left ? 9 : 10, parts[i].style,
		                     parts[i].left ? lw : rw, PANGO_ALIGN_CENTER);
		double *y = parts[i].left ? &yl : &yr;

		show_at(p, l, parts[i].left ? M_LEFT : M_LEFT + lw, *y);
		*y += lay_height(l);
		g_object_unref(l);
		g_free(t);
	}
	hline(p, M_LEFT + lw / 2, yl + 3, lw * 0.35);
	hline(p, M_LEFT + lw + rw / 2, yr + 3, rw * 0.55);
	yl += 8;
	yr += 8;
	{
		char *num = rget(h, "number"), *pd = rget(h, "place_date");
		PangoLayout *a = lay(p, num, 11, NORMAL, lw, PANGO_ALIGN_CENTER);
		PangoLayout *b = lay(p, pd, 11, ITALIC, rw, PANGO_ALIGN_CENTER);

		show_at(p, a, M_LEFT, yl);
		show_at(p, b, M_LEFT + lw, yr);
		yl += lay_height(a);
		yr += lay_height(b);
		g_object_unref(a);
		g_object_unref(b);
		g_free(num);
		g_free(pd);
	}
	p->y = (yl > yr ? yl : yr) + 14;
}

/* "label (*): value" with the value in bold */
static void pdf_field(struct pdf *p, const json_t *f)
{
	char *label = rget(f, "label");
	bool blank;
	char *value = field_value(f, &blank);
	bool req = json_is_true(json_object_get(f, "required"));
	char *t = g_strdup_printf("▪ %s%s: ", label, req ? " (*)" : "");
	size_t start = strlen(t);
	char *all = g_strconcat(t, value, NULL);
	PangoLayout *l = lay(p, all, 11, NORMAL, TEXT_W - 10, PANGO_ALIGN_LEFT);
	PangoAttrList *attrs = pango_attr_list_copy(pango_layout_get_attributes(l));
	PangoAttribute *a = pango_attr_weight_new(blank ? PANGO_WEIGHT_NORMAL : PANGO_WEIGHT_BOLD);

	a->start_index = (guint)start;
	a->end_index = (guint)strlen(all);
	pango_attr_list_insert(attrs, a);
	pango_layout_set_attributes(l, attrs);
	pango_attr_list_unref(attrs);
	flow(p, l, M_LEFT + 10, 3);
	g_object_unref(l);
	g_free(all);
	g_free(t);
	g_free(value);
	g_free(label);
}

static double draw_row(struct pdf *p, PangoLayout **cells, const double *w, size_t n, bool head)
{
	double h = 0, x = M_LEFT, avail = BOTTOM - p->y;

	for (size_t i = 0; i < n; i++) {
		double ch = lay_height(cells[i]) + 2 * CELL_PAD;

		if (ch > h)
			h = ch;
	}
	if (h > avail)
		h = avail; /* taller than a page: clipped (cells are bounded, so rare) */
	for (size_t i = 0; i < n; i++) {
		if (head) {
			cairo_set_source_rgb(p->cr, 0.90, 0.90, 0.90);
			cairo_rectangle(p->cr, x, p->y, w[i], h);
			cairo_fill(p->cr);
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		}
		cairo_save(p->cr);
		cairo_rectangle(p->cr, x, p->y, w[i], h);
		cairo_clip(p->cr);
		show_at(p, cells[i], x + CELL_PAD, p->y + CELL_PAD);
		cairo_restore(p->cr);
		cairo_set_line_width(p->cr, 0.5);
		cairo_rectangle(p->cr, x, p->y, w[i], h);
		cairo_stroke(p->cr);
		x += w[i];
	}
	return h;
}

static double row_height(PangoLayout **cells, size_t n)
{
	double h = 0;

	for (size_t i = 0; i < n; i++) {
		double ch = lay_height(cells[i]) + 2 * CELL_PAD;

		if (ch > h)
			h = ch;
	}
	return h;
}

static void row_free(PangoLayout **cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		g_object_unref(cells[i]);
}

static void pdf_table(struct pdf *p, const json_t *t)
{
	const json_t *cols = json_object_get(t, "columns"), *rows = json_object_get(t, "rows");
	size_t n = json_array_size(cols), r;
	double w[RENDER_MAX_COLS], sum = 0;
	PangoLayout *head[RENDER_MAX_COLS], *cells[RENDER_MAX_COLS];
	const json_t *row;
	char *cap = rget(t, "caption");

	if (n == 0)
		goto out;
	if (n > RENDER_MAX_COLS)
		n = RENDER_MAX_COLS;
	for (size_t i = 0; i < n; i++) {
		double f = json_number_value(json_object_get(json_array_get(cols, i), "width"));

		w[i] = f > 0.01 && f <= 1 ? f : 1.0 / (double)n;
		sum += w[i];
	}
	for (size_t i = 0; i < n; i++)
		w[i] = TEXT_W * w[i] / sum;
	room(p, 60); /* no caption alone at the bottom of a page */
	para(p, cap, 10, BOLD | ITALIC, PANGO_ALIGN_LEFT, 0, 2);
	for (size_t i = 0; i < n; i++) {
		char *l = rget(json_array_get(cols, i), "label");

		head[i] = lay(p, l, 9, BOLD, w[i] - 2 * CELL_PAD, PANGO_ALIGN_CENTER);
		g_free(l);
	}
	if (room(p, row_height(head, n) + 14))
		p->y += draw_row(p, head, w, n, true);
	json_array_foreach(rows, r, row)
	{
		double h;

		if (r == REPORT_C20_MAX_INDICATORS || p->stopped)
			break;
		for (size_t i = 0; i < n; i++) {
			char *c = rtext(json_array_get(row, i));

			cells[i] = lay(p, c, 9, NORMAL, w[i] - 2 * CELL_PAD,
			               i == 0 ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
			g_free(c);
		}
		h = row_height(cells, n);
		if (p->y + h > BOTTOM) {
			next_page(p);
			if (!p->stopped)
				p->y += draw_row(p, head, w, n, true);
		}
		if (!p->stopped)
			p->y += draw_row(p, cells, w, n, false);
		row_free(cells, n);
	}
	row_free(head, n);
	if (json_is_string(json_object_get(t, "more"))) {
		char *m = rget(t, "more");

		p->y += 2;
		para(p, m, 9, ITALIC, PANGO_ALIGN_LEFT, 0, 0);
		g_free(m);
	}
	p->y += 6;
out:
	g_free(cap);
}

static void pdf_chart(struct pdf *p, const json_t *c)
{
	struct chart ch;
	char *cap = rget(c, "caption"), *unit = rget(c, "unit");
	const double label_w = TEXT_W * 0.32, bar_x = M_LEFT + label_w + 4,
	             bar_w = TEXT_W - label_w - 4 - 60, bar_h = 7;

	chart_read(c, &ch);
	if (ch.nl == 0 || ch.ns == 0)
		goto out;
	room(p, 60);
	para(p, cap, 10, BOLD | ITALIC, PANGO_ALIGN_LEFT, 0, 2);
	if (ch.ns > 1) { /* legend */
		double x = M_LEFT;

		for (size_t s = 0; s < ch.ns && !p->stopped; s++) {
			char *name = rget(json_array_get(json_object_get(c, "series"), s), "name");
			PangoLayout *l =
			        lay(p, name, 8.5, NORMAL, TEXT_W / 4 - 14, PANGO_ALIGN_LEFT);

			cairo_set_source_rgb(p->cr, SERIES_RGB[s][0], SERIES_RGB[s][1],
			                     SERIES_RGB[s][2]);
			cairo_rectangle(p->cr, x, p->y + 2, 8, 8);
			cairo_fill(p->cr);
			cairo_set_source_rgb(p->cr, 0, 0, 0);
			show_at(p, l, x + 11, p->y);
			x += TEXT_W / 4;
			g_object_unref(l);
			g_free(name);
		}
		p->y += 14;
	}
	for (size_t i = 0; i < ch.nl && !p->stopped; i++) {
		char *label = rtext(json_array_get(json_object_get(c, "labels"), i));
		PangoLayout *l = lay(p, label, 8.5, NORMAL, label_w, PANGO_ALIGN_RIGHT);
		double h = MAX(lay_height(l), ch.ns * (bar_h + 1)) + 4;

		if (room(p, h)) {
			show_at(p, l, M_LEFT, p->y);
			for (size_t s = 0; s < ch.ns; s++) {
				double y = p->y + (double)s * (bar_h + 1), w;
				char *t;
				PangoLayout *vl;

				if (!ch.has[i][s]) {
					t = g_strdup("—");
					w = 0;
				} else {
					t = chart_value(ch.v[i][s], unit);
					w = ch.max > 0 ? bar_w * ch.v[i][s] / ch.max : 0;
					cairo_set_source_rgb(p->cr, SERIES_RGB[s][0],
					                     SERIES_RGB[s][1], SERIES_RGB[s][2]);
					cairo_rectangle(p->cr, bar_x, y, MAX(w, 0.5), bar_h);
					cairo_fill(p->cr);
					cairo_set_source_rgb(p->cr, 0, 0, 0);
				}
				vl = lay(p, t, 7, NORMAL, 58, PANGO_ALIGN_LEFT);
				show_at(p, vl, bar_x + w + 2, y - 1);
				g_object_unref(vl);
				g_free(t);
			}
			p->y += h;
		}
		g_object_unref(l);
		g_free(label);
	}
	p->y += 8;
out:
	g_free(cap);
	g_free(unit);
}

static void pdf_signature(struct pdf *p, const json_t *s)
{
	double x = M_LEFT + TEXT_W * 0.35, w = TEXT_W * 0.65;
	const char *keys[] = {"title", "note", NULL, "name"};
	int styles[] = {BOLD, ITALIC, NORMAL, BOLD};

	if (!room(p, 130))
		return;
	p->y += 10;
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		char *t;
		PangoLayout *l;

		if (keys[i] == NULL) {
			p->y += 60; /* room to sign and stamp */
			continue;
		}
		t = rget(s, keys[i]);
		l = lay(p, t, 10.5, styles[i], w, PANGO_ALIGN_CENTER);
		show_at(p, l, x, p->y);
		p->y += lay_height(l);
		g_object_unref(l);
		g_free(t);
	}
	p->y += 12;
}

static void pdf_body(struct pdf *p, const json_t *rep)
{
	const json_t *secs = json_object_get(rep, "sections"), *sec, *notes, *v;
	const json_t *h = json_object_get(rep, "header");
	size_t i, k;
	char *t;

	pdf_header(p, h);
	t = rget(json_object_get(rep, "form"), "number");
	para(p, t, 9, ITALIC, PANGO_ALIGN_RIGHT, 0, 4);
	g_free(t);
	t = rget(rep, "title");
	para(p, t, 14, BOLD, PANGO_ALIGN_CENTER, 0, 2);
	g_free(t);
	t = rget(rep, "title_en");
	para(p, t, 10, ITALIC, PANGO_ALIGN_CENTER, 0, 8);
	g_free(t);
	json_array_foreach(json_object_get(h, "recipients"), i, v)
	{
		char *r = rtext(v);

		if (i == 10)
			break;
		t = g_strdup_printf(i == 0 ? "Kính gửi: %s" : "               %s", r);
		para(p, t, 11, i == 0 ? NORMAL : NORMAL, PANGO_ALIGN_LEFT, 40, 1);
		g_free(t);
		g_free(r);
	}
	p->y += 8;
	json_array_foreach(secs, i, sec)
	{
		const json_t *items = json_object_get(sec, "items"), *it;
		char *head = rget(sec, "heading");

		if (i == RENDER_MAX_SECTIONS || p->stopped)
			break;
		t = g_strdup_printf("%zu. %s", i + 1, head);
		room(p, 40); /* no heading alone at the bottom of a page */
		para(p, t, 11.5, BOLD, PANGO_ALIGN_LEFT, 0, 3);
		g_free(t);
		g_free(head);
		json_array_foreach(items, k, it)
		{
			const char *type = json_string_value(json_object_get(it, "type"));

			if (k == RENDER_MAX_ITEMS || p->stopped || type == NULL)
				break;
			if (strcmp(type, "field") == 0) {
				pdf_field(p, it);
			} else if (strcmp(type, "table") == 0) {
				pdf_table(p, it);
			} else if (strcmp(type, "chart") == 0) {
				pdf_chart(p, it);
			} else if (strcmp(type, "text") == 0) {
				char *x = rget(it, "text");
				const char *st = json_string_value(json_object_get(it, "style"));

				para(p, x, 10.5,
				     st && strcmp(st, "subheading") == 0 ? BOLD : ITALIC,
				     PANGO_ALIGN_LEFT, 10, 3);
				g_free(x);
			}
		}
		p->y += 6;
	}
	pdf_signature(p, json_object_get(rep, "signature"));
	notes = json_object_get(rep, "notes");
	if (json_array_size(notes) > 0) {
		para(p, "Chú thích:", 9, ITALIC | BOLD, PANGO_ALIGN_LEFT, 0, 1);
		json_array_foreach(notes, i, v)
		{
			char *n = rtext(v);

			if (i == 10)
				break;
			t = g_strdup_printf("%zu. %s", i + 1, n);
			para(p, t, 9, ITALIC, PANGO_ALIGN_LEFT, 0, 1);
			g_free(t);
			g_free(n);
		}
	}
}

int report_c20_render_pdf(const json_t *rep, unsigned char **out, size_t *len)
{
	struct pdf p = {.page = 1};
	int rc = REPORT_C20_OK;
	char *title;

	*out = NULL;
	*len = 0;
	if (!json_is_object(rep) || !json_is_array(json_object_get(rep, "sections")))
		return REPORT_C20_EINVAL;
	p.buf = g_byte_array_new();
	if (json_is_true(json_object_get(rep, "drill")))
		p.marking = json_is_string(json_object_get(rep, "marking"))
		                    ? rget(rep, "marking")
		                    : g_strdup("DIỄN TẬP / EXERCISE");
	p.draft = json_is_true(json_object_get(rep, "draft"));
	p.surf = cairo_pdf_surface_create_for_stream(pdf_write, &p, PAGE_W, PAGE_H);
	title = rget(rep, "title");
#if CAIRO_VERSION >= CAIRO_VERSION_ENCODE(1, 16, 0)
	cairo_pdf_surface_set_metadata(p.surf, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(p.surf, CAIRO_PDF_METADATA_CREATOR, "vigil report c20");
#endif
	p.cr = cairo_create(p.surf);
	p.ctx = pango_cairo_create_context(p.cr);
	pango_cairo_context_set_resolution(p.ctx, 72);
	cairo_set_source_rgb(p.cr, 0, 0, 0);
	page_begin(&p);
	pdf_body(&p, rep);
	page_end(&p);
	cairo_show_page(p.cr);
	g_object_unref(p.ctx);
	cairo_destroy(p.cr);
	cairo_surface_finish(p.surf);
	if (p.too_big)
		rc = REPORT_C20_ETOOBIG;
	else if (cairo_surface_status(p.surf) != CAIRO_STATUS_SUCCESS)
		rc = REPORT_C20_ERENDER;
	cairo_surface_destroy(p.surf);
	g_free(title);
	g_free(p.marking);
	if (rc != REPORT_C20_OK) {
		g_byte_array_free(p.buf, TRUE);
		return rc;
	}
	*len = p.buf->len;
	*out = malloc(p.buf->len ? p.buf->len : 1);
	if (*out == NULL) {
		g_byte_array_free(p.buf, TRUE);
		*len = 0;
		return REPORT_C20_ENOMEM;
	}
	memcpy(*out, p.buf->data, p.buf->len);
	g_byte_array_free(p.buf, TRUE);
	return REPORT_C20_OK;
}

/* ------------------------------------------------------------------ */
/* HTML                                                               */

struct html {
	GString *s;
	bool full;
};

static void h_raw(struct html *h, const char *t)
{
	if (h->full)
		return;
	if (h->s->len + strlen(t) > RENDER_MAX_HTML) {
		g_string_append(h->s, "<p class=\"c20-cut\">[truncated]</p>");
		h->full = true;
		return;
	}
	g_string_append(h->s, t);
}

/* appends t escaped for text and attribute values */
static void h_esc(struct html *h, const char *t)
{
	GString *e = g_string_sized_new(strlen(t) + 16);

	for (const char *c = t; *c; c++) {
		switch (*c) {
		case '&':
			g_string_append(e, "&amp;");
			break;
		case '<':
			g_string_append(e, "&lt;");
			break;
		case '>':
			g_string_append(e, "&gt;");
			break;
		case '"':
			g_string_append(e, "&quot;");
			break;
		case '\'':
			g_string_append(e, "&#39;");
			break;
		default:
			g_string_append_c(e, *c);
		}
	}
	h_raw(h, e->str);
	g_string_free(e, TRUE);
}

static void h_esc_json(struct html *h, const json_t *v)
{
	char *t = rtext(v);

	h_esc(h, t);
	g_free(t);
}

/* <tag class="cls">escaped text</tag> */
static void h_elem(struct html *h, const char *tag, const char *cls, const json_t *v)
{
	char *open = g_strdup_printf("<%s class=\"%s\">", tag, cls);
	char *close = g_strdup_printf("</%s>\n", tag);

	h_raw(h, open);
	h_esc_json(h, v);
	h_raw(h, close);
	g_free(open);
	g_free(close);
}

/* the chart as inline SVG: every number computed here, every string escaped */
static void html_chart(struct html *h, const json_t *c)
{
	struct chart ch;
	char *unit = rget(c, "unit"), *t;
	const int label_w = 230, bar_x = 240, bar_w = 300, bar_h = 12, row_gap = 6;
	int row_h, height, legend;

	chart_read(c, &ch);
	if (ch.nl == 0 || ch.ns == 0)
		goto out;
	row_h = (int)ch.ns * (bar_h + 2) + row_gap;
	legend = ch.ns > 1 ? 20 : 0;
	height = legend + (int)ch.nl * row_h;
	h_raw(h, "<figure class=\"c20-chart\"><figcaption>");
	h_esc_json(h, json_object_get(c, "caption"));
	t = g_strdup_printf("</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
	                    "viewBox=\"0 0 620 %d\" width=\"620\" height=\"%d\" role=\"img\" "
	                    "aria-label=\"",
	                    height, height);
	h_raw(h, t);
	g_free(t);
	h_esc_json(h, json_object_get(c, "caption"));
	h_raw(h, "\" font-family=\"sans-serif\" font-size=\"11\">\n");
	for (size_t s = 0; ch.ns > 1 && s < ch.ns; s++) {
		t = g_strdup_printf("<rect x=\"%zu\" y=\"4\" width=\"10\" height=\"10\" "
		                    "fill=\"%s\"/><text x=\"%zu\" y=\"13\">",
		                    s * 155, SERIES_HEX[s], s * 155 + 14);
		h_raw(h, t);
		g_free(t);
		h_esc_json(h, json_object_get(json_array_get(json_object_get(c, "series"), s),
		                              "name"));
		h_raw(h, "</text>\n");
	}
	for (size_t i = 0; i < ch.nl; i++) {
		int y0 = legend + (int)i * row_h;

		t = g_strdup_printf("<text class=\"c20-bar-label\" x=\"%d\" y=\"%d\" "
		                    "text-anchor=\"end\">",
		                    label_w, y0 + bar_h - 2);
		h_raw(h, t);
		g_free(t);
		h_esc_json(h, json_array_get(json_object_get(c, "labels"), i));
		h_raw(h, "</text>\n");
		for (size_t s = 0; s < ch.ns; s++) {
			int y = y0 + (int)s * (bar_h + 2);
			double w = ch.has[i][s] && ch.max > 0 ? bar_w * ch.v[i][s] / ch.max : 0;
			char *v = ch.has[i][s] ? chart_value(ch.v[i][s], unit) : g_strdup("—");
			char ws[G_ASCII_DTOSTR_BUF_SIZE];

			g_ascii_formatd(ws, sizeof ws, "%.1f", w);
			if (ch.has[i][s]) {
				t = g_strdup_printf("<rect class=\"c20-bar\" x=\"%d\" y=\"%d\" "
				                    "width=\"%s\" height=\"%d\" fill=\"%s\"/>",
				                    bar_x, y, ws, bar_h, SERIES_HEX[s]);
				h_raw(h, t);
				g_free(t);
			}
			t = g_strdup_printf("<text x=\"%d\" y=\"%d\">", bar_x + (int)w + 4,
			                    y + bar_h - 2);
			h_raw(h, t);
			g_free(t);
			h_esc(h, v);
			h_raw(h, "</text>\n");
			g_free(v);
		}
	}
	h_raw(h, "</svg></figure>\n");
out:
	g_free(unit);
}

static void html_table(struct html *h, const json_t *t)
{
	const json_t *cols = json_object_get(t, "columns"), *rows = json_object_get(t, "rows");
	const json_t *row, *c;
	size_t i, k, n = json_array_size(cols);

	if (n > RENDER_MAX_COLS)
		n = RENDER_MAX_COLS;
	h_raw(h, "<table class=\"c20-table\">\n<caption>");
	h_esc_json(h, json_object_get(t, "caption"));
	h_raw(h, "</caption>\n<thead><tr>");
	for (i = 0; i < n; i++) {
		h_raw(h, "<th scope=\"col\">");
		h_esc_json(h, json_object_get(json_array_get(cols, i), "label"));
		h_raw(h, "</th>");
	}
	h_raw(h, "</tr></thead>\n<tbody>\n");
	json_array_foreach(rows, i, row)
	{
		if (i == REPORT_C20_MAX_INDICATORS || h->full)
			break;
		h_raw(h, "<tr>");
		json_array_foreach(row, k, c)
		{
			if (k == n)
				break;
			h_raw(h, "<td>");
			h_esc_json(h, c);
			h_raw(h, "</td>");
		}
		h_raw(h, "</tr>\n");
	}
	h_raw(h, "</tbody>\n</table>\n");
	if (json_is_string(json_object_get(t, "more")))
		h_elem(h, "p", "c20-more", json_object_get(t, "more"));
}

static void html_field(struct html *h, const json_t *f)
{
	bool blank, req = json_is_true(json_object_get(f, "required"));
	bool missing = json_is_true(json_object_get(f, "missing"));
	char *v = field_value(f, &blank);

	h_raw(h, missing ? "<div class=\"c20-field c20-missing\"><dt>"
	                 : "<div class=\"c20-field\"><dt>");
	h_esc_json(h, json_object_get(f, "label"));
	if (req)
		h_raw(h, " <abbr title=\"bắt buộc / required\">(*)</abbr>");
	h_raw(h, blank ? "</dt><dd class=\"c20-blank\">" : "</dt><dd>");
	h_esc(h, v);
	h_raw(h, "</dd></div>\n");
	g_free(v);
}

static void html_body(struct html *h, const json_t *rep)
{
	const json_t *hd = json_object_get(rep, "header"), *secs = json_object_get(rep, "sections");
	const json_t *sec, *v, *miss = json_object_get(rep, "missing");
	const json_t *dl = json_object_get(rep, "deadline");
	bool drill = json_is_true(json_object_get(rep, "drill"));
	char *kind = rget(json_object_get(rep, "form"), "kind");
	size_t i, k;
	char *t;

	/* the kind is one of ours, but is escaped all the same */
	h_raw(h, "<article class=\"c20-report c20-kind-");
	h_esc(h, kind);
	h_raw(h, "\" lang=\"vi\">\n");
	g_free(kind);
	if (drill)
		h_elem(h, "p", "c20-drill", json_object_get(rep, "marking"));
	if (json_is_true(json_object_get(rep, "draft")))
		h_raw(h, "<p class=\"c20-draft\">BẢN NHÁP / DRAFT</p>\n");
	h_raw(h, "<header class=\"c20-header\">\n<div class=\"c20-agency\">");
	h_elem(h, "p", "c20-org", json_object_get(hd, "organisation"));
	h_elem(h, "p", "c20-unit", json_object_get(hd, "unit"));
	h_elem(h, "p", "c20-number", json_object_get(hd, "number"));
	h_raw(h, "</div>\n<div class=\"c20-nation\">");
	h_elem(h, "p", "c20-nation-name", json_object_get(hd, "nation"));
	h_elem(h, "p", "c20-motto", json_object_get(hd, "motto"));
	h_elem(h, "p", "c20-place-date", json_object_get(hd, "place_date"));
	h_raw(h, "</div>\n</header>\n");
	h_elem(h, "p", "c20-form", json_object_get(json_object_get(rep, "form"), "number"));
	h_elem(h, "h1", "c20-title", json_object_get(rep, "title"));
	h_elem(h, "p", "c20-title-en", json_object_get(rep, "title_en"));
	h_raw(h, "<div class=\"c20-recipients\">Kính gửi:<ul>\n");
	json_array_foreach(json_object_get(hd, "recipients"), i, v)
	{
		if (i == 10)
			break;
		h_elem(h, "li", "c20-recipient", v);
	}
	h_raw(h, "</ul></div>\n");
	json_array_foreach(secs, i, sec)
	{
		if (i == RENDER_MAX_SECTIONS || h->full)
			break;
		t = g_strdup_printf("<section class=\"c20-section\">\n<h2>%zu. ", i + 1);
		h_raw(h, t);
		g_free(t);
		h_esc_json(h, json_object_get(sec, "heading"));
		h_raw(h, " <span class=\"c20-en\" lang=\"en\">");
		h_esc_json(h, json_object_get(sec, "heading_en"));
		h_raw(h, "</span></h2>\n<dl>\n");
		json_array_foreach(json_object_get(sec, "items"), k, v)
		{
			const char *type = json_string_value(json_object_get(v, "type"));

			if (k == RENDER_MAX_ITEMS || type == NULL)
				break;
			if (strcmp(type, "field") == 0) {
				html_field(h, v);
			} else if (strcmp(type, "table") == 0) {
				h_raw(h, "</dl>\n");
				html_table(h, v);
				h_raw(h, "<dl>\n");
			} else if (strcmp(type, "chart") == 0) {
				h_raw(h, "</dl>\n");
				html_chart(h, v);
				h_raw(h, "<dl>\n");
			} else if (strcmp(type, "text") == 0) {
				h_raw(h, "</dl>\n");
				h_elem(h, "p", "c20-text", json_object_get(v, "text"));
				h_raw(h, "<dl>\n");
			}
		}
		h_raw(h, "</dl>\n</section>\n");
	}
	h_raw(h, "<footer class=\"c20-signature\">");
	h_elem(h, "p", "c20-sig-title",
	       json_object_get(json_object_get(rep, "signature"), "title"));
	h_elem(h, "p", "c20-sig-note", json_object_get(json_object_get(rep, "signature"), "note"));
	if (json_is_string(json_object_get(json_object_get(rep, "signature"), "name")))
		h_elem(h, "p", "c20-sig-name",
		       json_object_get(json_object_get(rep, "signature"), "name"));
	h_raw(h, "</footer>\n<ol class=\"c20-notes\">\n");
	json_array_foreach(json_object_get(rep, "notes"), i, v)
	{
		if (i == 10)
			break;
		h_elem(h, "li", "c20-note", v);
	}
	h_raw(h, "</ol>\n");
	/* for the operator, not part of the form */
	if (json_is_object(dl)) {
		h_raw(h, "<aside class=\"c20-deadline c20-state-");
		h_esc_json(h, json_object_get(dl, "state"));
		h_raw(h, "\"><p>Hạn nộp / Due: <time>");
		h_esc_json(h, json_object_get(dl, "due_local"));
		h_raw(h, "</time> — ");
		h_esc_json(h, json_object_get(dl, "state"));
		h_raw(h, "</p>");
		h_elem(h, "p", "c20-basis", json_object_get(dl, "basis_vi"));
		h_raw(h, "</aside>\n");
	}
	if (json_array_size(miss) > 0) {
		h_raw(h, "<aside class=\"c20-missing-list\"><p>Thông tin còn thiếu / "
		         "Missing:</p><ul>\n");
		json_array_foreach(miss, i, v)
		{
			if (i == 100)
				break;
			h_raw(h, "<li>");
			h_esc_json(h, json_object_get(v, "vi"));
			h_raw(h, " <span lang=\"en\">/ ");
			h_esc_json(h, json_object_get(v, "en"));
			h_raw(h, "</span></li>\n");
		}
		h_raw(h, "</ul></aside>\n");
	}
	if (drill)
		h_elem(h, "p", "c20-drill", json_object_get(rep, "marking"));
	h_raw(h, "</article>\n");
}

static const char STYLE[] =
        "body{font-family:'DejaVu Serif','Times New Roman',serif;max-width:52em;margin:2em "
        "auto;line-height:1.4}"
        ".c20-header{display:flex;justify-content:space-between;text-align:center}"
        ".c20-unit,.c20-nation-name,.c20-motto{font-weight:bold}.c20-title{text-align:center;"
        "font-size:1.3em}.c20-title-en,.c20-form{text-align:center;font-style:italic}"
        ".c20-field{display:flex;gap:.5em}.c20-field dt:after{content:':'}"
        ".c20-field dd{margin:0;font-weight:bold;white-space:pre-wrap}.c20-blank{font-weight:"
        "normal!important}.c20-missing dd{color:#b00}.c20-table{border-collapse:collapse;"
        "width:100%;font-size:.85em}.c20-table td,.c20-table th{border:1px solid #444;padding:"
        "2px 4px;overflow-wrap:anywhere}.c20-drill{color:#c00;font-weight:bold;text-align:center"
        ";border:2px solid #c00}.c20-draft{color:#666;font-weight:bold;text-align:center}"
        ".c20-signature{margin-left:50%;text-align:center}.c20-en{font-weight:normal;font-size:"
        ".8em;color:#555}";

int report_c20_render_html(const json_t *rep, bool standalone, char **out, size_t *len)
{
	struct html h = {.s = g_string_sized_new(16384)};

	*out = NULL;
	*len = 0;
	if (!json_is_object(rep) || !json_is_array(json_object_get(rep, "sections"))) {
		g_string_free(h.s, TRUE);
		return REPORT_C20_EINVAL;
	}
	if (standalone) {
		h_raw(&h, "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
		          "<title>");
		h_esc_json(&h, json_object_get(rep, "title"));
		h_raw(&h, "</title>\n<style>");
		h_raw(&h, STYLE);
		h_raw(&h, "</style>\n</head>\n<body>\n");
	}
	html_body(&h, rep);
	if (standalone)
		g_string_append(h.s, "</body>\n</html>\n");
	*len = h.s->len;
	*out = malloc(h.s->len + 1);
	if (*out == NULL) {
		g_string_free(h.s, TRUE);
		*len = 0;
		return REPORT_C20_ENOMEM;
	}
	memcpy(*out, h.s->str, h.s->len + 1);
	g_string_free(h.s, TRUE);
	return REPORT_C20_OK;
}
