/* text.h: UTF-8 and ASCII tests for the parser's files that do not bring GMime. */
#ifndef PD_TEXT_H
#define PD_TEXT_H

#include <glib.h>

/* Whether the len bytes at s are UTF-8, with exactly the answer of
 * g_utf8_validate_len(): the well-formed sequences of RFC 3629, no NUL.
 * Faster on the ASCII that most mail text is. */
gboolean pd_utf8_valid(const char *s, gsize len);

/* Whether the len bytes at s are all ASCII, eight at a time. */
gboolean pd_text_is_ascii(const char *s, gsize len);

/* Bytes in the UTF-8 sequence that begins with c. */
static inline gsize
pd_utf8_width(guchar c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* The len bytes at s into dst, ASCII letters in lower case. */
static inline void
pd_ascii_lower(char *dst, const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++)
		dst[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + ('a' - 'A')) : s[i];
}

#endif
