/*
 * drills.c - the staff exercise's background work (drills.h).
 *
 * Targets: when a round starts, the staff of its units (from the
 * organisation) get a row each in drill_targets with a fresh token.
 *
 * The drill key: 32 random bytes as 64 hex digits in [server]
 * drill_key_file, created mode 0600 on the first start (0014); the marker
 * and the simulants are signed with it.
 */
#include "drills.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter/log.h"
#include "orgmap.h"

static struct {
	bool ready;
	unsigned char key[32];
} D;

bool drills_ready(void)
{
	return D.ready;
}

const uint8_t *drills_key(void)
{
	return D.ready ? D.key : NULL;
}

void drills_kick(void)
{
}

/* ---- the key ---- */

static int key_hex(const char *text, unsigned char key[32])
{
	size_t bin = 0;

	if (strlen(text) < 64 || sodium_hex2bin(key, 32, text, 64, NULL, &bin, NULL) != 0 ||
	    bin != 32)
		return -1;
	return 0;
}

/* reads the key, or creates it (O_EXCL: two nodes starting at once on a
 * shared folder do not both write one) */
static int key_load(const char *path)
{
	char *text = NULL, hex[65];
	int fd, rc = -1;

	if (g_file_get_contents(path, &text, NULL, NULL)) {
		g_strstrip(text);
		rc = key_hex(text, D.key);
		if (rc != 0)
			fprintf(stderr, "vigild: drill_key_file %s is not 64 hex digits\n", path);
		sodium_memzero(text, strlen(text));
		g_free(text);
		return rc;
	}
	randombytes_buf(D.key, sizeof D.key);
	sodium_bin2hex(hex, sizeof hex, D.key, sizeof D.key);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, hex, 64) == 64 && write(fd, "\n", 1) == 1) {
		rc = 0;
		vlog_info("drills", "created the drill key %s", path);
	} else {
		fprintf(stderr, "vigild: cannot create drill_key_file %s: %s\n", path,
		        g_strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	sodium_memzero(hex, sizeof hex);
	return rc;
}

int drills_start(struct vsrv *srv, GKeyFile *kf, const char *key_file)
{
	(void)srv;
	(void)kf;
	if (key_file == NULL || *key_file == 0)
		return 0; /* no drills on this server */
	if (key_load(key_file) != 0)
		return -1;
	D.ready = true;
	return 0;
}

void drills_stop(void)
{
	sodium_memzero(D.key, sizeof D.key);
	D.ready = false;
}

/* ---- targets ---- */

/* 128 random bits in base32 (RFC 4648 alphabet, lower case): 26 characters */
static void token_new(char out[27])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[17] = {0};
	unsigned acc = 0;
	int bits = 0, n = 0;

	randombytes_buf(r, 16);
	for (int i = 0; i < 17 && n < 26; i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5 && n < 26) {
			out[n++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[26] = 0;
}

int drills_choose_targets(store_db *db, const struct vsrv *srv, int64_t round, int64_t sample,
                          int64_t *n, char **err)
{
	struct store_val p = store_int(round);
	json_t *units = json_array(), *u;
	int staff = orgmap_kind("staff");
	size_t i;
	int rc;

	*n = 0;
	{
		struct rows r = {(const char *const[]){"unit", NULL}, units};

		rc = store_sql(db,
		               "SELECT unit FROM drill_round_units WHERE round = ? ORDER BY unit",
		               &p, 1, rows_json, &r, err);
		if (rc != STORE_OK)
			goto out;
	}
	json_array_foreach(units, i, u)
	{
		const char *unit = json_string_value(json_object_get(u, "unit"));
		size_t total = 0, count;
		json_t *people = orgmap_list(srv->org, staff, NULL, unit, 200000, 0, &total);

		count = json_array_size(people);
		/* a sample: the first `sample` of a random permutation */
		if (sample > 0 && (size_t)sample < count) {
			for (size_t k = count - 1; k > 0; k--) {
				size_t j = randombytes_uniform((uint32_t)(k + 1));
				json_t *a = json_incref(json_array_get(people, k));

				json_array_set(people, k, json_array_get(people, j));
				json_array_set_new(people, j, a);
			}
			count = (size_t)sample;
		}
		for (size_t k = 0; k < count && rc == STORE_OK; k++) {
			json_t *s = json_array_get(people, k);
			const char *mail = json_string_value(json_object_get(s, "email"));
			const char *name = json_string_value(json_object_get(s, "name"));
			char tok[27];

			if (mail == NULL || strlen(mail) > 254 || strchr(mail, '@') == NULL)
				continue;
			token_new(tok);
			{
				struct store_val q[] = {store_int(round),
				                        store_text(tok),
				                        store_text(mail),
				                        store_text(name ? name : mail),
				                        store_text(unit),
				                        store_text(orgmap_region(srv->org, unit))};

				rc = store_sql(
				        db,
				        "INSERT INTO drill_targets (round, token, mailbox, name, "
				        "unit, region) VALUES (?, ?, ?, ?, ?, ?)",
				        q, 6, NULL, NULL, err);
			}
			if (rc == STORE_OK)
				(*n)++;
		}
		json_decref(people);
		if (rc != STORE_OK)
			break;
	}
out:
	json_decref(units);
	return rc;
}
