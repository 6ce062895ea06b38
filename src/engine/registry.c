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
extern const extractor diskimg_extractor;
extern const extractor onenote_extractor;

extern const analyzer name_analyzer;
extern const analyzer url_analyzer;
extern const analyzer dlp_analyzer;
extern const analyzer dlp_report_analyzer;
extern const analyzer links_html_analyzer;
extern const analyzer links_analyzer;
extern const analyzer sender_analyzer;
extern const analyzer vba_collect_analyzer;
extern const analyzer vba_analyzer;
extern const analyzer office_xlm_analyzer;
extern const analyzer office_dde_analyzer;
extern const analyzer office_link_analyzer;
extern const analyzer office_package_analyzer;
extern const analyzer delivery_analyzer;
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
        /* disk images (VHD, VHDX, MBR/GPT, FAT); files in OneNote sections */
        &diskimg_extractor,
        &onenote_extractor,
        NULL,
};

static const analyzer *const analyzers[] = {
        &name_analyzer,
        &url_analyzer,
        &dlp_analyzer,            /* outbound: counts citizen identifiers */
        &dlp_report_analyzer,     /* outbound: reports them (after, on the root) */
        &links_html_analyzer,     /* anchors, forms and password fields in HTML */
        &sender_analyzer,         /* after: From, Reply-To, authentication results */
        &links_analyzer,          /* after, root: every URL and domain of the scan */
        &vba_collect_analyzer,    /* keeps VBA streams as they pass by */
        &vba_analyzer,            /* VBA projects, after their OLE2 file */
        &office_xlm_analyzer,     /* Excel 4.0 macros */
        &office_dde_analyzer,     /* DDE fields and formulas */
        &office_link_analyzer,    /* remote templates, external objects */
        &office_package_analyzer, /* programs in OLE packages */
        &delivery_analyzer,       /* images, archives and OneNote carrying programs */
        &pe_analyzer,             /* Windows programs: structure, packing, capabilities */
        &lnk_analyzer,            /* shortcuts: what they run */
        &script_analyzer,         /* PowerShell, VBScript, JScript, batch, HTA */
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
