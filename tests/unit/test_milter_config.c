/* test_milter_config.c - the gateway's configuration and policy decisions. */
#include <unistd.h>

#include "testutil.h"

#include "milter/config.h"
#include "milter/pool.h"

static char *write_conf(const char *text)
{
	char *path = g_strdup("/tmp/vigil-milter-conf-XXXXXX");
	int fd = g_mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int load(const char *text, struct milter_config *c, char **err)
{
	char *p = write_conf(text);
	int rc = config_load(p, c, err);

	unlink(p);
	g_free(p);
	return rc;
}

static void defaults_are_safe(void **state)
{
	struct milter_config c;
	char *err = NULL;
	const char *why;

	(void)state;
	assert_int_equal(load("[milter]\n", &c, &err), 0);
	assert_int_equal(c.workers, 4);
	assert_int_equal(c.max_message_size, 64u << 20);
	assert_int_equal(c.inbound.verdict[2], ACT_QUARANTINE);
	assert_int_equal(c.outbound.verdict[2], ACT_REJECT);
	assert_int_equal(c.inbound.error, ACT_TEMPFAIL);
	assert_int_equal(policy_decide(&c.inbound, 0, -1, NULL, 0, &why), ACT_TAG);
	assert_int_equal(policy_decide(&c.inbound, 2, 4, NULL, 0, &why), ACT_QUARANTINE);
	config_free(&c);
}

static void strongest_rule_wins(void **state)
{
	struct milter_config c;
	char *err = NULL;
	const char *why;
	const char *ids[] = {"name.double_extension", "ioc.hash"};

	(void)state;
	assert_int_equal(load("[policy.inbound]\n"
	                      "clean = accept\nsuspicious = tag\nmalicious = quarantine\n"
	                      "severity.high = hold\nfinding.ioc.* = reject\n"
	                      "finding.name.* = tempfail\n",
	                      &c, &err),
	                 0);
	assert_int_equal(policy_decide(&c.inbound, 0, -1, NULL, 0, &why), ACT_ACCEPT);
	/* a suspicious verdict with a high finding: hold beats tag */
	assert_int_equal(policy_decide(&c.inbound, 1, 3, ids, 1, &why), ACT_HOLD);
	assert_string_equal(why, "severity");
	/* an indicator hit rejects, whatever the verdict says */
	assert_int_equal(policy_decide(&c.inbound, 2, 4, ids, 2, &why), ACT_REJECT);
	assert_string_equal(why, "ioc.*");
	/* a weaker finding rule never lowers the action */
	assert_int_equal(policy_decide(&c.inbound, 2, 4, ids, 1, &why), ACT_QUARANTINE);
	config_free(&c);
}

static void mistakes_are_named(void **state)
{
	struct milter_config c;
	char *err = NULL;

	(void)state;
	assert_int_not_equal(load("[policy.inbound]\nmalicious = quarantien\n", &c, &err), 0);
	assert_non_null(strstr(err, "malicious = quarantien"));
	g_free(err);
	config_free(&c);
	err = NULL;
	assert_int_not_equal(load("[policy.outbound]\nerror = accept\n", &c, &err), 0);
	assert_non_null(strstr(err, "never be accepted"));
	g_free(err);
	config_free(&c);
	err = NULL;
	assert_int_not_equal(load("[milter]\nmax_message_size = lots\n", &c, &err), 0);
	assert_non_null(strstr(err, "max_message_size"));
	g_free(err);
	config_free(&c);
	err = NULL;
	assert_int_not_equal(load("[network]\ninternal_networks = 10.0.0.0/33\n", &c, &err), 0);
	assert_non_null(strstr(err, "10.0.0.0/33"));
	g_free(err);
	config_free(&c);
	err = NULL;
	assert_int_not_equal(load("[policy.inbound]\nmalware = reject\n", &c, &err), 0);
	assert_non_null(strstr(err, "unknown key"));
	g_free(err);
	config_free(&c);
}

static bool lookalike_found(const struct milter_config *c, const char *from)
{
	vigil_config *vc = pool_engine_config(&c->engine);
	vigil_engine *e = NULL;
	vigil_scan *s;
	char *msg =
	        g_strdup_printf("From: <%s>\r\nTo: a@b.example\r\nSubject: x\r\n\r\nhi\r\n", from);
	bool hit = false;

	assert_int_equal(vigil_engine_new(vc, &e, NULL), VIGIL_OK);
	vigil_config_free(vc);
	s = vigil_scan_new(e, 0);
	assert_int_equal(vigil_scan_buffer(s, msg, strlen(msg), NULL), VIGIL_OK);
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++)
		if (strcmp(vigil_finding_id(vigil_scan_finding(s, i)), "sender.lookalike_domain") ==
		    0)
			hit = true;
	vigil_scan_free(s);
	vigil_engine_unref(e);
	g_free(msg);
	return hit;
}

/* [engine] options loads KEY = VALUE files (rules/options.conf), then the
 * [analyzers] keys; an unreadable file is named at start, not ignored */
static void option_files_then_analyzer_keys(void **state)
{
	struct milter_config c;
	char *err = NULL;
	char *opts = write_conf("# agency domains\nprotected_domains = bhxh.gov.vn\n");
	char *conf = g_strdup_printf("[engine]\noptions = %s\n", opts);
	char *conf2 = g_strdup_printf("[engine]\noptions = %s\n[analyzers]\n"
	                              "protected_domains = vss.gov.vn\n",
	                              opts);

	(void)state;
	assert_int_equal(load(conf, &c, &err), 0);
	assert_true(lookalike_found(&c, "vanthu@bhxh-gov.vn"));
	assert_false(lookalike_found(&c, "vanthu@vss-gov.vn"));
	config_free(&c);
	/* list options add up: the file's domain and the [analyzers] one */
	assert_int_equal(load(conf2, &c, &err), 0);
	assert_true(lookalike_found(&c, "vanthu@bhxh-gov.vn"));
	assert_true(lookalike_found(&c, "vanthu@vss-gov.vn"));
	config_free(&c);
	/* without the file nothing is protected */
	assert_int_equal(load("[milter]\n", &c, &err), 0);
	assert_false(lookalike_found(&c, "vanthu@bhxh-gov.vn"));
	config_free(&c);
	assert_int_not_equal(load("[engine]\noptions = /nonexistent/options.conf\n", &c, &err), 0);
	assert_non_null(strstr(err, "/nonexistent/options.conf"));
	g_free(err);
	config_free(&c);
	unlink(opts);
	g_free(opts);
	g_free(conf);
	g_free(conf2);
}

static void internal_networks(void **state)
{
	struct milter_config c;
	char *err = NULL;

	(void)state;
	assert_int_equal(
	        load("[network]\ninternal_networks = 10.20.0.0/16; 192.0.2.7; 2001:db8::/32\n"
	             "[milter]\nsendmail = /usr/sbin/sendmail -C /x/etc\n",
	             &c, &err),
	        0);
	assert_true(config_internal_addr(&c, "10.20.255.1"));
	assert_false(config_internal_addr(&c, "10.21.0.1"));
	assert_true(config_internal_addr(&c, "192.0.2.7"));
	assert_false(config_internal_addr(&c, "192.0.2.8"));
	assert_true(config_internal_addr(&c, "2001:db8:1::5"));
	assert_false(config_internal_addr(&c, "2001:db9::1"));
	assert_false(config_internal_addr(&c, "not an address"));
	assert_string_equal(c.sendmail[0], "/usr/sbin/sendmail");
	assert_string_equal(c.sendmail[2], "/x/etc");
	assert_null(c.sendmail[3]);
	config_free(&c);
}

/* [milter] drill_key_file: loaded at start; a key that cannot be read stops it */
static void drill_key(void **state)
{
	struct milter_config c;
	char *err = NULL;
	char *key =
	        write_conf("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
	char *conf = g_strdup_printf("[milter]\ndrill_key_file = %s\n", key);

	(void)state;
	assert_int_equal(load("[milter]\n", &c, &err), 0);
	assert_false(c.drill_key_loaded);
	config_free(&c);
	assert_int_equal(load(conf, &c, &err), 0);
	assert_true(c.drill_key_loaded);
	assert_int_equal(c.drill_key[0], 0);
	assert_int_equal(c.drill_key[31], 0x1f);
	config_free(&c);
	g_free(conf);
	assert_true(g_file_set_contents(key, "not hex\n", -1, NULL));
	conf = g_strdup_printf("[milter]\ndrill_key_file = %s\n", key);
	assert_int_equal(load(conf, &c, &err), -1);
	assert_non_null(strstr(err, "drill_key_file"));
	g_free(err);
	err = NULL;
	config_free(&c);
	unlink(key);
	assert_int_equal(load(conf, &c, &err), -1);
	assert_non_null(strstr(err, "drill_key_file"));
	g_free(err);
	config_free(&c);
	g_free(conf);
	g_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(defaults_are_safe),
	        cmocka_unit_test(strongest_rule_wins),
	        cmocka_unit_test(mistakes_are_named),
	        cmocka_unit_test(internal_networks),
	        cmocka_unit_test(option_files_then_analyzer_keys),
	        cmocka_unit_test(drill_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
