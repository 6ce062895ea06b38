/*
 * test_org.c - the organisation module (src/server/org.c, org_gen.c):
 * every validation error on a crafted file, with its exact message and
 * code; lookups; edits that keep the invariants (references, uniqueness,
 * region lists) or are refused with a message; load -> dump -> load gives
 * the same text; the generator: same seed same bytes, 63 provinces in
 * three non-empty regions, 20,000 staff with unique mailboxes, owners
 * that exist, the stack's people first.
 */
#include <fcntl.h>
#include <unistd.h>

#include "testutil.h"

#include "server/org.h"

/* A small valid organisation; each substring the tests replace occurs once. */
static const char base[] =
        "{\"organisation\": \"Test\", \"domain\": \"bhxh.example\", \"version\": 2,\n"
        " \"regions\": [{\"id\": \"north\", \"name_vi\": \"Miền Bắc\", \"name_en\": \"North\"},\n"
        "              {\"id\": \"south\", \"name_vi\": \"Miền Nam\"}],\n"
        " \"units\": [{\"id\": \"cntt\", \"name\": \"Trung tâm CNTT\", \"kind\": \"central\", "
        "\"region\": \"north\"},\n"
        "            {\"id\": \"hanoi\", \"name\": \"BHXH Hà Nội\", \"short\": \"BHXH HN\", "
        "\"kind\": \"province\", \"region\": \"north\", \"city\": \"Hà Nội\", "
        "\"notes\": {\"floor\": 3}}],\n"
        " \"staff\": [{\"id\": \"s1\", \"name\": \"Nguyễn Văn An\", "
        "\"email\": \"nguyen.van.an@bhxh.example\", \"unit\": \"cntt\", \"title\": \"Giám đốc\"},\n"
        "            {\"id\": \"s2\", \"name\": \"Trần Thị Bình\", "
        "\"email\": \"Tran.Thi.Binh@bhxh.example\", \"unit\": \"hanoi\"}],\n"
        " \"endpoints\": [{\"host\": \"CNTT-PC-1\", \"owner\": \"s1\", \"unit\": \"cntt\", "
        "\"os\": \"Windows 11\", \"ip\": \"10.1.0.1\"},\n"
        "                {\"host\": \"HNI-SRV-1\", \"unit\": \"hanoi\", \"ip\": \"fd00::1\"}],\n"
        " \"systems\": [{\"id\": \"tst\", \"name\": \"Thu – Sổ thẻ\", \"owner_unit\": \"cntt\"}],\n"
        " \"aliases\": {\"postmaster@bhxh.example\": \"nguyen.van.an@bhxh.example\"}}\n";

/* base with the one occurrence of from replaced by to */
static char *with(const char *from, const char *to)
{
	const char *at = strstr(base, from);

	if (at == NULL || strstr(at + 1, from) != NULL)
		fail_msg("'%s' must occur once in the base document", from);
	return g_strdup_printf("%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
}

static org *load_ok(const char *text)
{
	org *o = NULL;
	org_error e;

	if (org_load(text, strlen(text), &o, &e) != ORG_OK)
		fail_msg("load: %s", e.text);
	assert_int_equal(e.code, ORG_OK);
	assert_non_null(o);
	return o;
}

static void expect_load(char *text, org_err code, const char *message)
{
	org *o = (org *)1;
	org_error e;

	assert_int_equal(org_load(text, strlen(text), &o, &e), code);
	assert_null(o);
	assert_int_equal(e.code, code);
	assert_string_equal(e.text, message);
	g_free(text);
}

static void valid_base(void **state)
{
	org *o;

	(void)state;
	o = load_ok(base);
	assert_string_equal(org_name(o), "Test");
	assert_string_equal(org_domain(o), "bhxh.example");
	assert_int_equal(org_count(o, ORG_REGION), 2);
	assert_int_equal(org_count(o, ORG_UNIT), 2);
	assert_int_equal(org_count(o, ORG_STAFF), 2);
	assert_int_equal(org_count(o, ORG_ENDPOINT), 2);
	assert_int_equal(org_count(o, ORG_SYSTEM), 1);
	assert_int_equal(org_alias_count(o), 1);
	org_free(o);
}

static void errors_top_level(void **state)
{
	(void)state;
	expect_load(g_strdup("[]"), ORG_ERR_INVALID, "not a JSON object");
	expect_load(g_strdup("{\"domain\": \"bhxh.example\", \"regions\": ["), ORG_ERR_SYNTAX,
	            "not valid JSON: line 1, column 39: ']' expected near end of file");
	expect_load(with("\"version\": 2", "\"version\": 2, \"version\": 3"), ORG_ERR_SYNTAX,
	            "not valid JSON: line 1, column 74: duplicate object key near '\"version\"'");
	expect_load(with("\"domain\": \"bhxh.example\", ", ""), ORG_ERR_INVALID, "domain: missing");
	expect_load(with("\"domain\": \"bhxh.example\"", "\"domain\": \"bhxh\""), ORG_ERR_INVALID,
	            "domain \"bhxh\": not a domain name");
	expect_load(with("\"organisation\": \"Test\"", "\"organisation\": 7"), ORG_ERR_INVALID,
	            "organisation: not a string");
	expect_load(with("\"units\": [", "\"unitz\": ["), ORG_ERR_INVALID, "units: missing");
	expect_load(with("\"systems\": [{\"id\": \"tst\", \"name\": \"Thu – Sổ thẻ\", "
	                 "\"owner_unit\": \"cntt\"}]",
	                 "\"systems\": {}"),
	            ORG_ERR_INVALID, "systems: not an array");
	expect_load(with("\"aliases\": {\"postmaster@bhxh.example\": "
	                 "\"nguyen.van.an@bhxh.example\"}",
	                 "\"aliases\": []"),
	            ORG_ERR_INVALID, "aliases: not an object");
}

static void errors_records(void **state)
{
	(void)state;
	expect_load(with("\"region\": \"north\", \"city\"", "\"region\": \"nort\", \"city\""),
	            ORG_ERR_INVALID, "units[1].region \"nort\": no such region");
	expect_load(with("\"kind\": \"central\"", "\"kind\": \"centre\""), ORG_ERR_INVALID,
	            "units[0].kind \"centre\": not a unit kind (central, province, district, "
	            "area)");
	expect_load(with("{\"id\": \"hanoi\"", "{\"id\": \"Ha Noi\""), ORG_ERR_INVALID,
	            "units[1].id \"Ha Noi\": not an id (1 to 64 of a-z, 0-9, '.', '_', '-', "
	            "starting with a letter or digit)");
	expect_load(with("{\"id\": \"hanoi\"", "{\"id\": \"cntt\""), ORG_ERR_EXISTS,
	            "units[1].id \"cntt\": already used by units[0]");
	expect_load(with("\"name\": \"BHXH Hà Nội\", ", ""), ORG_ERR_INVALID,
	            "units[1].name: missing");
	expect_load(with("\"Tran.Thi.Binh@bhxh.example\", \"unit\": \"hanoi\"",
	                 "\"Tran.Thi.Binh@bhxh.example\", \"unit\": \"hanoii\""),
	            ORG_ERR_INVALID, "staff[1].unit \"hanoii\": no such unit");
	expect_load(
	        with("\"email\": \"nguyen.van.an@bhxh.example\"", "\"email\": \"nguyen.van.an@\""),
	        ORG_ERR_INVALID, "staff[0].email \"nguyen.van.an@\": not an e-mail address");
	expect_load(with("\"email\": \"nguyen.van.an@bhxh.example\"",
	                 "\"email\": \"nguyen..van@bhxh.example\""),
	            ORG_ERR_INVALID,
	            "staff[0].email \"nguyen..van@bhxh.example\": not an e-mail "
	            "address");
	/* addresses are compared without case */
	expect_load(with("\"Tran.Thi.Binh@bhxh.example\"", "\"NGUYEN.VAN.AN@bhxh.example\""),
	            ORG_ERR_EXISTS,
	            "staff[1].email \"NGUYEN.VAN.AN@bhxh.example\": already used by staff[0]");
	expect_load(with("\"name\": \"Nguyễn Văn An\"", "\"name\": [\"Nguyễn\"]"), ORG_ERR_INVALID,
	            "staff[0].name: not a string");
	expect_load(with("\"name\": \"Nguyễn Văn An\"", "\"name\": \"Nguy\\u0007n \\\"An\\\"\""),
	            ORG_ERR_INVALID,
	            "staff[0].name \"Nguy?n \\\"An\\\"\": contains a control character");
	expect_load(with("\"name\": \"Nguyễn Văn An\"", "\"name\": \"An \\u202egnp.exe\""),
	            ORG_ERR_INVALID, "staff[0].name \"An ?gnp.exe\": contains a control character");
	expect_load(with("\"name\": \"Trần Thị Bình\"", "\"name\": \"\""), ORG_ERR_INVALID,
	            "staff[1].name \"\": empty");
	expect_load(with("{\"id\": \"s2\"", "{\"id\": \"s1\""), ORG_ERR_EXISTS,
	            "staff[1].id \"s1\": already used by staff[0]");
	expect_load(with("\"owner\": \"s1\"", "\"owner\": \"s9\""), ORG_ERR_INVALID,
	            "endpoints[0].owner \"s9\": no such staff member");
	expect_load(with("\"host\": \"HNI-SRV-1\"", "\"host\": \"cntt-pc-1\""), ORG_ERR_EXISTS,
	            "endpoints[1].host \"cntt-pc-1\": already used by endpoints[0]");
	expect_load(with("\"host\": \"CNTT-PC-1\"", "\"host\": \"CNTT PC\""), ORG_ERR_INVALID,
	            "endpoints[0].host \"CNTT PC\": not a host name");
	expect_load(with("\"ip\": \"10.1.0.1\"", "\"ip\": \"10.1.0.256\""), ORG_ERR_INVALID,
	            "endpoints[0].ip \"10.1.0.256\": not an IP address");
	expect_load(with("\"host\": \"HNI-SRV-1\", \"unit\": \"hanoi\"", "\"host\": \"HNI-SRV-1\""),
	            ORG_ERR_INVALID, "endpoints[1].unit: missing");
	expect_load(with("\"owner_unit\": \"cntt\"", "\"owner_unit\": \"cnt\""), ORG_ERR_INVALID,
	            "systems[0].owner_unit \"cnt\": no such unit");
	expect_load(with("{\"id\": \"tst\"", "7, {\"id\": \"tst\""), ORG_ERR_INVALID,
	            "systems[0]: not an object");
}

static void errors_aliases(void **state)
{
	(void)state;
	expect_load(with("\"postmaster@bhxh.example\":", "\"NGUYEN.van.an@bhxh.example\":"),
	            ORG_ERR_EXISTS,
	            "aliases \"NGUYEN.van.an@bhxh.example\": already used by staff[0]");
	expect_load(with("\"postmaster@bhxh.example\":", "\"postmaster\":"), ORG_ERR_INVALID,
	            "aliases \"postmaster\": not an e-mail address");
	expect_load(with("\"postmaster@bhxh.example\": \"nguyen.van.an@bhxh.example\"",
	                 "\"postmaster@bhxh.example\": \"nobody\""),
	            ORG_ERR_INVALID,
	            "aliases.\"postmaster@bhxh.example\" \"nobody\": not an e-mail address");
	expect_load(with("\"postmaster@bhxh.example\": \"nguyen.van.an@bhxh.example\"",
	                 "\"postmaster@bhxh.example\": \"a@bhxh.example\", "
	                 "\"Postmaster@bhxh.example\": \"b@bhxh.example\""),
	            ORG_ERR_EXISTS, "aliases \"Postmaster@bhxh.example\": already used by aliases");
	/* a staff address that an alias already holds (aliases come last: the
	 * staff member is checked against them when added later, see edits) */
}

static void errors_limits(void **state)
{
	GString *g;
	char *title, *member;
	char path[] = "/tmp/vigil-org-big-XXXXXX";
	int fd;
	org *o = NULL;
	org_error e;

	(void)state;
	title = g_strnfill(300, 'a');
	member = g_strdup_printf("\"title\": \"%s\"", title);
	expect_load(with("\"title\": \"Giám đốc\"", member), ORG_ERR_LIMIT,
	            "staff[0].title "
	            "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…\": "
	            "too long; the limit in bytes is 256");
	g_free(title);
	g_free(member);
	expect_load(with("\"notes\": {\"floor\": 3}", "\"notes\": [[[[[[[[[1]]]]]]]]]"),
	            ORG_ERR_LIMIT, "units[1].notes: nested too deeply; the limit is 8");
	g = g_string_new("{\"domain\": \"bhxh.example\", \"units\": [], \"regions\": [");
	for (int i = 0; i < 65; i++)
		g_string_append_printf(g, "%s{\"id\": \"r%d\", \"name_vi\": \"V\"}", i ? "," : "",
		                       i);
	g_string_append(g, "]}");
	expect_load(g_string_free(g, FALSE), ORG_ERR_LIMIT,
	            "regions: too many entries; the limit is 64");
	/* twelve million tiny values are refused before jansson builds them */
	g = g_string_sized_new(24000010);
	g_string_append_c(g, '[');
	for (unsigned i = 0; i < ORG_MAX_TOKENS; i++)
		g_string_append(g, "0,");
	g_string_append(g, "0]");
	expect_load(g_string_free(g, FALSE), ORG_ERR_LIMIT,
	            "too many JSON values; the limit is 12000000");
	/* a file over the limit is refused by its size (a sparse file) */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)ORG_MAX_FILE_BYTES + 1), 0);
	close(fd);
	assert_int_equal(org_load_file(path, &o, &e), ORG_ERR_LIMIT);
	assert_string_equal(e.text, "too large; the limit in bytes is 268435456");
	unlink(path);
	assert_int_equal(org_load_file("/nonexistent/org.json", &o, &e), ORG_ERR_IO);
	assert_string_equal(e.text, "cannot read: No such file or directory");
	assert_int_equal(org_load_file("/tmp", &o, &e), ORG_ERR_IO);
	assert_string_equal(e.text, "not a regular file");
}

static void lookups(void **state)
{
	org *o = load_ok(base);
	const org_unit *const *units;
	size_t n;

	(void)state;
	assert_string_equal(org_unit_get(o, "hanoi")->city, "Hà Nội");
	assert_string_equal(org_unit_get(o, "hanoi")->short_name, "BHXH HN");
	assert_null(org_unit_get(o, "cntt")->city);
	assert_null(org_unit_get(o, "hue"));
	assert_null(org_unit_get(o, NULL));
	assert_string_equal(org_staff_get(o, "s2")->email, "Tran.Thi.Binh@bhxh.example");
	assert_string_equal(org_staff_by_email(o, "tran.thi.binh@BHXH.EXAMPLE")->id, "s2");
	assert_null(org_staff_by_email(o, "tran.thi.binh@bhxh.example.evil"));
	assert_string_equal(org_endpoint_get(o, "cntt-pc-1")->owner, "s1");
	assert_null(org_endpoint_get(o, "HNI-SRV-1")->owner);
	assert_string_equal(org_system_get(o, "tst")->owner_unit, "cntt");
	assert_string_equal(org_unit_region(o, "hanoi")->id, "north");
	assert_string_equal(org_unit_region(o, "hanoi")->name_en, "North");
	assert_null(org_unit_region(o, "nowhere"));
	units = org_region_units(o, "north", &n);
	assert_int_equal(n, 2);
	assert_string_equal(units[0]->id, "cntt");
	assert_string_equal(units[1]->id, "hanoi");
	assert_null(org_region_units(o, "south", &n));
	assert_int_equal(n, 0);
	assert_null(org_region_units(o, "east", &n));
	assert_int_equal(org_referrers(o, ORG_UNIT, "cntt", ORG_STAFF), 1);
	assert_int_equal(org_referrers(o, ORG_UNIT, "cntt", ORG_ENDPOINT), 1);
	assert_int_equal(org_referrers(o, ORG_UNIT, "cntt", ORG_SYSTEM), 1);
	assert_int_equal(org_referrers(o, ORG_STAFF, "s1", ORG_ENDPOINT), 1);
	assert_int_equal(org_referrers(o, ORG_REGION, "north", ORG_UNIT), 2);
	assert_string_equal(org_alias_get(o, "POSTMASTER@bhxh.example"),
	                    "nguyen.van.an@bhxh.example");
	assert_string_equal(org_staff_at(o, 1)->id, "s2");
	assert_null(org_staff_at(o, 2));
	org_free(o);
}

static char *dump(const org *o)
{
	return org_dump(o, NULL);
}

static void round_trip(void **state)
{
	org *a = load_ok(base), *b;
	char *ta = dump(a), *tb;
	json_t *ja, *jb;

	(void)state;
	b = load_ok(ta);
	tb = dump(b);
	assert_string_equal(ta, tb);
	ja = org_to_json(a);
	jb = org_to_json(b);
	assert_true(json_equal(ja, jb));
	/* members the module does not know are kept, in place */
	assert_non_null(strstr(ta, "\"city\": \"Hà Nội\", \"notes\": {\"floor\": 3}}"));
	assert_non_null(strstr(ta, "\n \"version\": 2\n}\n"));
	assert_int_equal(json_integer_value(json_object_get(ja, "version")), 2);
	json_decref(ja);
	json_decref(jb);
	g_free(ta);
	g_free(tb);
	org_free(a);
	org_free(b);
}

static void expect_edit(org_err got, const org_error *e, org_err code, const char *message)
{
	if (got != code || strcmp(e->text, message) != 0)
		fail_msg("edit: got %d '%s', want %d '%s'", got, e->text, code, message);
}

static void edits(void **state)
{
	org *o = load_ok(base), *again;
	org_error e;
	json_t *j;
	char *before, *text;
	size_t n;

	(void)state;
	before = dump(o);
	/* refused edits change nothing */
	j = json_pack("{s:s, s:s, s:s, s:s}", "id", "s3", "name", "Lê Văn Cường", "email",
	              "le.van.cuong@bhxh.example", "unit", "hue");
	expect_edit(org_add(o, ORG_STAFF, j, &e), &e, ORG_ERR_INVALID,
	            "staff.unit \"hue\": no such unit");
	json_decref(j);
	j = json_pack("{s:s, s:s, s:s, s:s}", "id", "s3", "name", "Lê Văn Cường", "email",
	              "postmaster@BHXH.example", "unit", "cntt");
	expect_edit(org_add(o, ORG_STAFF, j, &e), &e, ORG_ERR_EXISTS,
	            "staff.email \"postmaster@BHXH.example\": already used by aliases");
	json_decref(j);
	expect_edit(org_remove(o, ORG_UNIT, "hanoi", &e), &e, ORG_ERR_IN_USE,
	            "unit \"hanoi\": still referred to by staff[1]");
	expect_edit(org_remove(o, ORG_STAFF, "s1", &e), &e, ORG_ERR_IN_USE,
	            "staff \"s1\": still referred to by endpoints[0]");
	expect_edit(org_remove(o, ORG_REGION, "north", &e), &e, ORG_ERR_IN_USE,
	            "region \"north\": still referred to by units[0]");
	expect_edit(org_remove(o, ORG_UNIT, "nowhere", &e), &e, ORG_ERR_NOT_FOUND,
	            "unit \"nowhere\": no such unit");
	j = json_pack("{s:s}", "id", "hn");
	expect_edit(org_update(o, ORG_UNIT, "hanoi", j, &e), &e, ORG_ERR_INVALID,
	            "unit.id \"hn\": cannot change; remove and add instead");
	json_decref(j);
	j = json_pack("{s:n}", "name");
	expect_edit(org_update(o, ORG_STAFF, "s2", j, &e), &e, ORG_ERR_INVALID,
	            "staff.name: missing");
	json_decref(j);
	j = json_pack("{s:s}", "email", "NGUYEN.VAN.AN@bhxh.example");
	expect_edit(org_update(o, ORG_STAFF, "s2", j, &e), &e, ORG_ERR_EXISTS,
	            "staff.email \"NGUYEN.VAN.AN@bhxh.example\": already used by staff[0]");
	json_decref(j);
	expect_edit(org_alias_set(o, "nguyen.van.an@bhxh.example", "x@bhxh.example", &e), &e,
	            ORG_ERR_EXISTS,
	            "aliases \"nguyen.van.an@bhxh.example\": already used by "
	            "staff[0]");
	text = dump(o);
	assert_string_equal(text, before);
	g_free(text);

	/* accepted edits */
	j = json_pack("{s:s, s:s, s:s, s:s}", "id", "s3", "name", "Lê Văn Cường", "email",
	              "le.van.cuong@bhxh.example", "unit", "hanoi");
	expect_edit(org_add(o, ORG_STAFF, j, &e), &e, ORG_OK, "");
	json_decref(j);
	assert_int_equal(org_referrers(o, ORG_UNIT, "hanoi", ORG_STAFF), 2);
	/* a unit moves to another region: both regions' lists follow */
	j = json_pack("{s:s, s:n}", "region", "south", "notes");
	expect_edit(org_update(o, ORG_UNIT, "hanoi", j, &e), &e, ORG_OK, "");
	json_decref(j);
	assert_string_equal(org_unit_region(o, "hanoi")->id, "south");
	assert_string_equal(org_region_units(o, "south", &n)[0]->id, "hanoi");
	assert_int_equal(n, 1);
	assert_string_equal(org_region_units(o, "north", &n)[0]->id, "cntt");
	assert_int_equal(n, 1);
	assert_int_equal(org_referrers(o, ORG_REGION, "south", ORG_UNIT), 1);
	/* staff still find their unit's record after it was replaced */
	assert_int_equal(org_referrers(o, ORG_UNIT, "hanoi", ORG_STAFF), 2);
	/* the e-mail index follows an address change */
	j = json_pack("{s:s}", "email", "binh.tt@bhxh.example");
	expect_edit(org_update(o, ORG_STAFF, "s2", j, &e), &e, ORG_OK, "");
	json_decref(j);
	assert_null(org_staff_by_email(o, "tran.thi.binh@bhxh.example"));
	assert_string_equal(org_staff_by_email(o, "BINH.TT@bhxh.example")->id, "s2");
	/* a staff member leaves once their endpoint has no owner */
	j = json_pack("{s:n}", "owner");
	expect_edit(org_update(o, ORG_ENDPOINT, "cntt-pc-1", j, &e), &e, ORG_OK, "");
	json_decref(j);
	assert_int_equal(org_referrers(o, ORG_STAFF, "s1", ORG_ENDPOINT), 0);
	expect_edit(org_remove(o, ORG_STAFF, "s1", &e), &e, ORG_OK, "");
	assert_null(org_staff_get(o, "s1"));
	assert_null(org_staff_by_email(o, "nguyen.van.an@bhxh.example"));
	assert_int_equal(org_count(o, ORG_STAFF), 2);
	/* its address is free for an alias now */
	expect_edit(org_alias_set(o, "nguyen.van.an@bhxh.example", "binh.tt@bhxh.example", &e), &e,
	            ORG_OK, "");
	expect_edit(org_alias_remove(o, "POSTMASTER@bhxh.example", &e), &e, ORG_OK, "");
	expect_edit(org_alias_remove(o, "postmaster@bhxh.example", &e), &e, ORG_ERR_NOT_FOUND,
	            "aliases \"postmaster@bhxh.example\": no such alias");
	/* the north region is free once its units left */
	j = json_pack("{s:s}", "region", "south");
	expect_edit(org_update(o, ORG_UNIT, "cntt", j, &e), &e, ORG_OK, "");
	json_decref(j);
	expect_edit(org_remove(o, ORG_REGION, "north", &e), &e, ORG_OK, "");
	assert_int_equal(org_count(o, ORG_REGION), 1);
	j = org_item_json(o, ORG_UNIT, "hanoi");
	assert_string_equal(json_string_value(json_object_get(j, "region")), "south");
	assert_null(json_object_get(j, "notes"));
	json_decref(j);

	/* what the edits left is a valid organisation: it loads and dumps the same */
	g_free(before);
	text = dump(o);
	again = load_ok(text);
	before = dump(again);
	assert_string_equal(text, before);
	g_free(text);
	g_free(before);
	org_free(again);
	org_free(o);
}

/* ---- the generator ---- */

static org *generate(uint64_t seed, size_t staff, const char *domain)
{
	org_gen_params p;
	org *o = NULL;
	org_error e;

	org_gen_defaults(&p);
	if (staff)
		p.staff = staff;
	if (domain)
		p.domain = domain;
	if (org_generate(seed, &p, &o, &e) != ORG_OK)
		fail_msg("generate: %s", e.text);
	return o;
}

static void generator_default(void **state)
{
	org *o = generate(1, 0, NULL), *again;
	GHashTable *mail = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	size_t provinces = 0, central = 0, n;
	const char *regions[] = {"north", "central-highlands", "south"};
	char *t1, *t2;

	(void)state;
	assert_int_equal(org_count(o, ORG_UNIT), 71);
	for (size_t i = 0; i < org_count(o, ORG_UNIT); i++) {
		const org_unit *u = org_unit_at(o, i);

		if (strcmp(u->kind, "province") == 0)
			provinces++;
		if (strcmp(u->kind, "central") == 0) {
			central++;
			assert_string_equal(u->region, "national");
		}
		/* every unit has people */
		assert_true(org_referrers(o, ORG_UNIT, u->id, ORG_STAFF) > 0);
	}
	assert_int_equal(provinces, 63);
	assert_int_equal(central, 8);
	for (size_t i = 0; i < 3; i++) {
		size_t people = 0;
		const org_unit *const *u = org_region_units(o, regions[i], &n);

		assert_true(n > 0);
		for (size_t j = 0; j < n; j++)
			people += org_referrers(o, ORG_UNIT, u[j]->id, ORG_STAFF);
		assert_true(people > 4000);
	}
	org_region_units(o, "north", &n);
	assert_int_equal(n, 25);
	org_region_units(o, "central-highlands", &n);
	assert_int_equal(n, 19);
	org_region_units(o, "south", &n);
	assert_int_equal(n, 19);
	assert_string_equal(org_unit_get(o, "hanoi")->name, "Bảo hiểm xã hội thành phố Hà Nội");
	assert_string_equal(org_unit_get(o, "hcm")->short_name, "BHXH TP. Hồ Chí Minh");
	assert_string_equal(org_unit_get(o, "daklak")->region, "central-highlands");

	assert_int_equal(org_count(o, ORG_STAFF), 20000);
	for (size_t i = 0; i < org_count(o, ORG_STAFF); i++) {
		const org_staff *s = org_staff_at(o, i);
		char *lower = g_ascii_strdown(s->email, -1);

		assert_true(g_str_has_suffix(lower, "@bhxh.example"));
		assert_false(g_hash_table_contains(mail, lower));
		g_hash_table_add(mail, lower);
		assert_non_null(s->title);
	}
	assert_int_equal(g_hash_table_size(mail), 20000);
	/* the stack's people keep their mailboxes; a namesake gets a number */
	assert_string_equal(org_staff_get(o, "s000001")->email, "nguyen.van.an@bhxh.example");
	assert_string_equal(org_staff_get(o, "s000001")->title, "Giám đốc Trung tâm");
	assert_string_equal(org_staff_get(o, "s000002")->email, "tran.thi.binh@bhxh.example");
	assert_true(g_hash_table_contains(mail, "nguyen.van.an2@bhxh.example"));
	assert_string_equal(org_alias_get(o, "postmaster@bhxh.example"),
	                    "tran.thi.binh@bhxh.example");

	assert_true(org_count(o, ORG_ENDPOINT) >= 20000);
	for (size_t i = 0; i < org_count(o, ORG_ENDPOINT); i++) {
		const org_endpoint *ep = org_endpoint_at(o, i);

		assert_non_null(ep->owner);
		assert_non_null(org_staff_get(o, ep->owner));
		assert_non_null(org_unit_get(o, ep->unit));
		assert_true(g_str_has_prefix(ep->ip, "10."));
	}
	assert_string_equal(org_endpoint_get(o, "CNTT-PC-00001")->owner, "s000001");
	assert_string_equal(org_endpoint_get(o, "CNTT-PC-00001")->ip, "10.1.16.1");
	assert_int_equal(org_count(o, ORG_SYSTEM), 26);
	for (size_t i = 0; i < org_count(o, ORG_SYSTEM); i++)
		assert_non_null(org_unit_get(o, org_system_at(o, i)->owner_unit));

	/* same seed, same bytes; what it writes loads back to the same */
	again = generate(1, 0, NULL);
	t1 = dump(o);
	t2 = dump(again);
	assert_string_equal(t1, t2);
	org_free(again);
	g_free(t2);
	again = load_ok(t1);
	t2 = dump(again);
	assert_string_equal(t1, t2);
	org_free(again);
	g_free(t2);
	again = generate(2, 0, NULL);
	t2 = dump(again);
	assert_string_not_equal(t1, t2);
	org_free(again);
	g_free(t2);
	g_free(t1);
	g_hash_table_destroy(mail);
	org_free(o);
}

static void generator_params(void **state)
{
	org_gen_params p;
	org *o = NULL;
	org_error e;

	(void)state;
	o = generate(7, 100, "bhxh.gov.vn");
	assert_int_equal(org_count(o, ORG_STAFF), 100);
	assert_int_equal(org_count(o, ORG_UNIT), 71);
	for (size_t i = 0; i < org_count(o, ORG_STAFF); i++)
		assert_true(g_str_has_suffix(org_staff_at(o, i)->email, "@bhxh.gov.vn"));
	org_free(o);
	org_gen_defaults(&p);
	p.staff = 99;
	assert_int_equal(org_generate(1, &p, &o, &e), ORG_ERR_LIMIT);
	assert_null(o);
	assert_string_equal(e.text, "staff: out of range; the range is 100 to 200000");
	org_gen_defaults(&p);
	p.domain = "not a domain";
	assert_int_equal(org_generate(1, &p, &o, &e), ORG_ERR_INVALID);
	assert_string_equal(e.text, "domain \"not a domain\": not a domain name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(valid_base),        cmocka_unit_test(errors_top_level),
	        cmocka_unit_test(errors_records),    cmocka_unit_test(errors_aliases),
	        cmocka_unit_test(errors_limits),     cmocka_unit_test(lookups),
	        cmocka_unit_test(round_trip),        cmocka_unit_test(edits),
	        cmocka_unit_test(generator_default), cmocka_unit_test(generator_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
