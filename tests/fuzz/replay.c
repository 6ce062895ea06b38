/*
 * replay.c - runs a libFuzzer harness over files, without libFuzzer.
 *
 * `make check` uses it to replay every saved crash and timeout input
 * (tests/fuzz/regressions/) and the seeds, so a fixed bug stays fixed even
 * where clang is not used. Arguments: files or directories (one level).
 *
 * --mutate N [--seed S] then also runs N mutated inputs (bit flips, byte
 * changes, insertions, deletions, repeated and spliced chunks of the loaded
 * inputs), reproducibly from seed S: a bounded smoke fuzz that `make check`
 * can afford without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	uint8_t *p;
	size_t n;
};

static struct input *inputs;
static size_t ninputs, cap_inputs;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void keep(const uint8_t *p, size_t n)
{
	if (n > (1u << 20))
		return; /* mutate the small ones; the big ones ran once already */
	if (ninputs == cap_inputs) {
		cap_inputs = cap_inputs ? cap_inputs * 2 : 256;
		inputs = realloc(inputs, cap_inputs * sizeof *inputs);
		if (inputs == NULL)
			abort();
	}
	inputs[ninputs].p = malloc(n ? n : 1);
	if (inputs[ninputs].p == NULL)
		abort();
	memcpy(inputs[ninputs].p, p, n);
	inputs[ninputs].n = n;
	ninputs++;
}

static void mutate_run(void)
{
	const struct input *in = &inputs[next_rand() % ninputs];
	size_t cap = in->n + 4096, n = in->n;
	uint8_t *b = malloc(cap);
	int rounds = 1 + (int)(next_rand() % 4);

	if (b == NULL)
		abort();
	memcpy(b, in->p, n);
	for (int r = 0; r < rounds; r++) {
		size_t at = n ? next_rand() % n : 0, k;

		switch (next_rand() % 6) {
		case 0: /* flip a bit */
			if (n)
				b[at] ^= (uint8_t)(1u << (next_rand() % 8));
			break;
		case 1: /* an interesting byte */
			if (n)
				b[at] = (uint8_t[]){
				        0, 0xff, 0x7f, 0x80, '\n', '<', '%', '"'}[next_rand() % 8];
			break;
		case 2: /* delete a run */
			k = n - at < 64 ? n - at : 1 + next_rand() % 64;
			memmove(b + at, b + at + k, n - at - k);
			n -= k;
			break;
		case 3: /* insert random bytes */
			k = 1 + next_rand() % 32;
			if (n + k > cap)
				break;
			memmove(b + at + k, b + at, n - at);
			for (size_t i = 0; i < k; i++)
				b[at + i] = (uint8_t)next_rand();
			n += k;
			break;
		case 4: /* repeat a chunk */
			k = n - at < 256 ? n - at : 1 + next_rand() % 256;
			if (n + k > cap)
				break;
			memmove(b + at + k, b + at, n - at);
			n += k;
			break;
		default: { /* splice in a chunk of another input */
			const struct input *o = &inputs[next_rand() % ninputs];
			size_t from = o->n ? next_rand() % o->n : 0;

			k = o->n - from < 512 ? o->n - from : 512;
			if (n + k > cap)
				break;
			memmove(b + at + k, b + at, n - at);
			memcpy(b + at, o->p + from, k);
			n += k;
		}
		}
	}
	LLVMFuzzerTestOneInput(b, n);
	free(b);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	keep(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int count = 0;
	long mutations = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mutate") == 0 && i + 1 < argc) {
			mutations = strtol(argv[++i], NULL, 10);
			continue;
		}
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			rng = strtoull(argv[++i], NULL, 10) | 1;
			continue;
		}
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) != 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) == 0)
				count++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char p[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "%s/%s", argv[i], de->d_name);
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && run_file(p) == 0)
				count++;
		}
		closedir(d);
	}
	for (long m = 0; m < mutations && ninputs > 0; m++)
		mutate_run();
	printf("RESULT: replayed %d inputs and %ld mutations without a crash\n", count,
	       ninputs > 0 ? mutations : 0);
	for (size_t i = 0; i < ninputs; i++)
		free(inputs[i].p);
	free(inputs);
	return 0;
}
