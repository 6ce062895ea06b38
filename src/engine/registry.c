/*
 * registry.c - the tables of extractors and analyzers.
 *
 * Adding a format is one new file under extract/ or analyze/ and one line
 * here. An object goes to the first extractor that lists its type; every
 * analyzer whose type list includes it (or that has no list) sees it.
 */
#include "internal.h"

#include <string.h>

extern const extractor mime_extractor;
extern const extractor archive_extractor;
extern const extractor text_extractor;
extern const extractor rtf_extractor;
extern const extractor html_extractor;
extern const extractor pdf_extractor;
extern const extractor ole_extractor;
extern const extractor tnef_extractor;

extern const analyzer name_analyzer;
extern const analyzer url_analyzer;
extern const analyzer pe_analyzer;
extern const analyzer lnk_analyzer;
extern const analyzer script_analyzer;

static const extractor *const extractors[] = {
        &mime_extractor,
        &archive_extractor,
        &text_extractor,
        &rtf_extractor,  /* OLE objects in RTF */
        &html_extractor, /* data: URIs, smuggling; html and xml */
        &pdf_extractor,  /* embedded files, JavaScript, XFA, hidden programs */
        &ole_extractor,  /* OLE2 compound files, OLE packages, PowerPoint objects */
        &tnef_extractor, /* winmail.dat */
        NULL,
};

static const analyzer *const analyzers[] = {
        &name_analyzer,
        &url_analyzer,
        &pe_analyzer,     /* Windows programs: structure, packing, capabilities */
        &lnk_analyzer,    /* shortcuts: what they run */
        &script_analyzer, /* PowerShell, VBScript, JScript, batch, HTA */
        NULL,
};

const extractor *registry_extractor_for(const char *type)
{
	for (const extractor *const *e = extractors; *e != NULL; e++)
		for (const char *const *t = (*e)->types; *t != NULL; t++)
			if (strcmp(*t, type) == 0)
				return *e;
	return NULL;
}

const analyzer *const *registry_analyzers(void)
{
	return analyzers;
}
