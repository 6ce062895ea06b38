/*
 * finding.c - findings: the catalogue (findings.def), adding them (once per
 * id and object), and reading them. The score and verdict are scoring.c's.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_EVIDENCE 512
#define MAX_FINDINGS 1000

struct catalogue_entry {
	const char *id;
	vigil_severity sev;
	const char *attack;
	const char *title_en;
	const char *title_vi;
};

#define INFO VIGIL_SEV_INFO
#define LOW VIGIL_SEV_LOW
#define MEDIUM VIGIL_SEV_MEDIUM
#define HIGH VIGIL_SEV_HIGH
#define CRITICAL VIGIL_SEV_CRITICAL
static const struct catalogue_entry catalogue[F__COUNT] = {
#define FINDING(e, id, sev, attack, en, vi) [e] = {id, sev, attack, en, vi},
#include "findings.def"
#undef FINDING
};
#undef INFO
#undef LOW
#undef MEDIUM
#undef HIGH
#undef CRITICAL

const char *vfinding_catalogue_id(finding_kind k)
{
	if ((unsigned)k >= F__COUNT)
		return "unknown";
	return catalogue[k].id;
}

void vfinding_free(vigil_finding *f)
{
	if (f == NULL)
		return;
	g_free(f->id);
	g_free(f->title[0]);
	g_free(f->title[1]);
	g_free(f->attack);
	g_free(f->evidence);
	g_free(f);
}

bool vfinding_has(const vigil_scan *s, size_t obj, const char *id)
{
	for (guint i = 0; i < s->findings->len; i++) {
		const vigil_finding *f = g_ptr_array_index(s->findings, i);

		if (f->object == obj && strcmp(f->id, id) == 0)
			return true;
	}
	return false;
}

void vfinding_add_custom(vigil_scan *s, const vigil_object *o, const char *id, vigil_severity sev,
                         const char *title_en, const char *title_vi, const char *attack,
                         const char *evidence)
{
	vigil_finding *f;

	if (s->findings->len >= MAX_FINDINGS)
		return;
	if (vfinding_has(s, o->index, id))
		return;
	f = g_new0(vigil_finding, 1);
	f->id = vstr_sanitize(id, 256);
	f->sev = sev;
	f->title[0] = vstr_sanitize(title_en ? title_en : id, 512);
	f->title[1] = vstr_sanitize(title_vi ? title_vi : f->title[0], 512);
	f->attack = g_strdup(attack ? attack : "");
	f->evidence = vstr_sanitize(evidence ? evidence : "", MAX_EVIDENCE);
	f->object = o->index;
	g_ptr_array_add(s->findings, f);
}

void vfinding_add(vigil_scan *s, const vigil_object *o, finding_kind k, const char *fmt, ...)
{
	const struct catalogue_entry *c;
	char ev[MAX_EVIDENCE + 1];
	va_list ap;

	if ((unsigned)k >= F__COUNT)
		return;
	c = &catalogue[k];
	ev[0] = 0;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(ev, sizeof ev, fmt, ap);
		va_end(ap);
	}
	vfinding_add_custom(s, o, c->id, c->sev, c->title_en, c->title_vi, c->attack, ev);
}

size_t vigil_scan_finding_count(const vigil_scan *s)
{
	return s ? s->findings->len : 0;
}

const vigil_finding *vigil_scan_finding(const vigil_scan *s, size_t i)
{
	if (s == NULL || i >= s->findings->len)
		return NULL;
	return g_ptr_array_index(s->findings, i);
}

const char *vigil_finding_id(const vigil_finding *f)
{
	return f->id;
}
vigil_severity vigil_finding_severity(const vigil_finding *f)
{
	return f->sev;
}
const char *vigil_finding_title(const vigil_finding *f, vigil_lang lang)
{
	return f->title[lang == VIGIL_LANG_VI ? 1 : 0];
}
bool vigil_finding_catalogue(const char *id, vigil_severity *sev, const char **attack,
                             const char **title_en, const char **title_vi)
{
	for (unsigned k = 0; id != NULL && k < F__COUNT; k++) {
		if (catalogue[k].id == NULL || strcmp(catalogue[k].id, id) != 0)
			continue;
		if (sev != NULL)
			*sev = catalogue[k].sev;
		if (attack != NULL)
			*attack = catalogue[k].attack;
		if (title_en != NULL)
			*title_en = catalogue[k].title_en;
		if (title_vi != NULL)
			*title_vi = catalogue[k].title_vi;
		return true;
	}
	return false;
}

const char *vigil_finding_attack(const vigil_finding *f)
{
	return f->attack;
}
const char *vigil_finding_evidence(const vigil_finding *f)
{
	return f->evidence;
}
size_t vigil_finding_object(const vigil_finding *f)
{
	return f->object;
}
