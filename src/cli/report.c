/*
 * report.c - a scan's result as JSON and as text for a person.
 */
#include <glib.h>
#include <string.h>

#include "../common/scanjson.h"
#include "cli.h"

const char *verdict_label(vigil_verdict v)
{
	switch (v) {
	case VIGIL_CLEAN:
		return _("CLEAN");
	case VIGIL_SUSPICIOUS:
		return _("SUSPICIOUS");
	case VIGIL_MALICIOUS:
		return _("MALICIOUS");
	}
	return "?";
}

json_t *report_json(const vigil_scan *s, const char *path)
{
	return scanjson(s, path, cli_lang());
}

void report_human(FILE *out, const vigil_scan *s, const char *path, bool verbose)
{
	size_t n = vigil_scan_finding_count(s);

	fprintf(out, "%s: %s (%s %d, %zu %s)\n", path, verdict_label(vigil_scan_verdict(s)),
	        _("score"), vigil_scan_score(s), vigil_scan_object_count(s), _("objects"));
	for (size_t i = 0; i < n; i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);
		const vigil_object *o = vigil_scan_object(s, vigil_finding_object(f));
		const char *att = vigil_finding_attack(f);
		const char *ev = vigil_finding_evidence(f);

		if (!verbose && vigil_finding_severity(f) == VIGIL_SEV_INFO)
			continue;
		fprintf(out, "  [%s +%d] %s: %s\n", vigil_severity_name(vigil_finding_severity(f)),
		        vigil_finding_weight(f), o ? vigil_object_path(o) : "?",
		        vigil_finding_title(f, cli_lang()));
		fprintf(out, "      %s%s%s%s%s\n", vigil_finding_id(f), *att ? "  ATT&CK " : "",
		        att, *ev ? "  — " : "", ev);
	}
	if (verbose) {
		size_t no = vigil_scan_object_count(s);

		for (size_t i = 0; i < no; i++) {
			const vigil_object *o = vigil_scan_object(s, i);

			fprintf(out, "    %*s%s  %s  %llu  %.16s\n", (int)vigil_object_depth(o) * 2,
			        "", vigil_object_path(o), vigil_object_type(o),
			        (unsigned long long)vigil_object_size(o), vigil_object_sha256(o));
		}
	}
}
