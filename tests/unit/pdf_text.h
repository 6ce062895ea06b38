/*
 * pdf_text.h - the text of a PDF as poppler's pdftotext reads it, for the
 * tests of vigild's reports (Circular 20 reports, after-action reports).
 * Include after <cmocka.h>. NULL when pdftotext is not installed (skip).
 */
#ifndef VIGIL_TEST_PDF_TEXT_H
#define VIGIL_TEST_PDF_TEXT_H

#include <glib.h>
#include <stdio.h>
#include <unistd.h>

/* layout: keep the page's columns (pdftotext -layout) */
static inline char *pdf_text_of(const unsigned char *pdf, size_t len, int layout)
{
	char *path = NULL, *out = NULL, *err = NULL, *prog = g_find_program_in_path("pdftotext");
	int fd, status = -1;
	GError *e = NULL;

	if (prog == NULL)
		return NULL;
	fd = g_file_open_tmp("vigil-pdf-XXXXXX.pdf", &path, &e);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, pdf, len), (ssize_t)len);
	close(fd);
	char *plain[] = {prog, "-enc", "UTF-8", path, "-", NULL};
	char *cols[] = {prog, "-enc", "UTF-8", "-layout", path, "-", NULL};
	char **argv = layout ? cols : plain;
	assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
	                         &e));
	if (status != 0)
		fprintf(stderr, "pdftotext: %s\n", err);
	assert_int_equal(status, 0);
	unlink(path);
	g_free(path);
	g_free(err);
	g_free(prog);
	return out;
}

#endif
