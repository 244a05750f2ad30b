/* corpus-util.c: where the shared corpus and the decision files are, and text normalization, for the corpus tests. */
#include "config.h"
#include "corpus-util.h"

char *
corpus_dir(void)
{
	const char *shared = g_getenv("PD_SHARED");  /* set by `make check` */

	return g_build_filename(shared != NULL && *shared != '\0' ? shared : "../shared", "corpus", NULL);
}

void
corpus_missing(gconstpointer data)
{
	char *msg = g_strdup_printf("shared corpus not found at %s (needs ../shared beside the repository)",
	                            (const char *) data);

	g_test_skip(msg);
	g_free(msg);
}

char *
corpus_test_file(const char *name)
{
	const char *top = g_getenv("top_srcdir");
	char *candidates[3];
	char *found = NULL;

	candidates[0] = top != NULL && *top != '\0' ? g_build_filename(top, "tests", name, NULL) : NULL;
	candidates[1] = g_test_build_filename(G_TEST_DIST, name, NULL);
	candidates[2] = g_build_filename("tests", name, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
		if (found == NULL && candidates[i] != NULL && g_file_test(candidates[i], G_FILE_TEST_IS_REGULAR))
			found = g_strdup(candidates[i]);
		g_free(candidates[i]);
	}
	return found;
}

char *
corpus_norm(const char *s)
{
	GString *out = g_string_new(NULL);
	gboolean space = FALSE;

	for (const char *p = s != NULL ? s : ""; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c) || c == 0x00A0 || c == 0x200B || c == 0xFEFF) {
			space = out->len > 0;
			continue;
		}
		if (space)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

char *
corpus_shorten(const char *s, glong width)
{
	char *n = corpus_norm(s);

	if (g_utf8_strlen(n, -1) > width) {
		char *cut = g_utf8_substring(n, 0, width - 3);

		g_free(n);
		n = g_strconcat(cut, "...", NULL);
		g_free(cut);
	}
	return n;
}
