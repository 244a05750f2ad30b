/* corpus-util.h: what the two shared-corpus tests share: where the corpus and the decision files are, and text normalization. */
#ifndef PD_CORPUS_UTIL_H
#define PD_CORPUS_UTIL_H

#include <glib.h>

/* $PD_SHARED/corpus, else ../shared/corpus (caller frees). */
char *corpus_dir(void);
/* A test that skips, saying the corpus at data (a path) was not found. */
void corpus_missing(gconstpointer data);
/* tests/NAME: from `make check`'s top_srcdir, beside the test program, or
 * from the repository's top as the current directory; NULL if none. */
char *corpus_test_file(const char *name);
/* White space runs (NBSP, zero-width space and BOM included) as one space, trimmed. */
char *corpus_norm(const char *s);
/* corpus_norm, cut to width characters with "..." (for diagnostics). */
char *corpus_shorten(const char *s, glong width);

#endif
