/* text.c: string hygiene for everything the parser stores: no NUL, valid UTF-8, clean lines. */
#include "parse-private.h"
#include "text.h"

#include <string.h>

#define ONES G_GUINT64_CONSTANT(0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT(0x8080808080808080)

gboolean
pd_text_is_ascii(const char *s, gsize len)
{
	gsize i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 w;

		memcpy(&w, s + i, 8);
		if (w & HIGHS)
			return FALSE;
	}
	for (; i < len; i++) {
		if ((guchar)s[i] >= 0x80)
			return FALSE;
	}
	return TRUE;
}

gboolean
pd_utf8_valid(const char *s, gsize len)
{
	const guchar *p = (const guchar *)s, *end = p + len;

	/* g_utf8_validate_len() stops at a NUL: memchr() finds one for far
	 * less than a test of every word below would cost. */
	if (len == 0)
		return TRUE;
	if (memchr(s, '\0', len) != NULL)
		return FALSE;
	while (p < end) {
		guchar lo = 0x80, hi = 0xBF;   /* the second byte of a sequence */
		gsize n;

		if (*p < 0x80) {
			/* ASCII sixteen, then eight bytes at a time */
			for (; end - p >= 16; p += 16) {
				guint64 w0, w1;

				memcpy(&w0, p, 8);
				memcpy(&w1, p + 8, 8);
				if ((w0 | w1) & HIGHS)
					break;
			}
			for (guint64 w; end - p >= 8; p += 8) {
				memcpy(&w, p, 8);
				if (w & HIGHS)
					break;
			}
			while (p < end && *p < 0x80)
				p++;
			continue;
		}
		if (*p < 0xC2 || *p > 0xF4)
			return FALSE;
		n = pd_utf8_width(*p);
		if (*p == 0xE0)
			lo = 0xA0;   /* not overlong */
		else if (*p == 0xED)
			hi = 0x9F;   /* no surrogate */
		else if (*p == 0xF0)
			lo = 0x90;   /* not overlong */
		else if (*p == 0xF4)
			hi = 0x8F;   /* not above U+10FFFF */
		if ((gsize)(end - p) < n || p[1] < lo || p[1] > hi)
			return FALSE;
		for (gsize k = 2; k < n; k++) {
			if ((p[k] & 0xC0) != 0x80)
				return FALSE;
		}
		p += n;
	}
	return TRUE;
}

/* Later stages keep strings in C strings and GVariants: a NUL would cut the
 * text short and invalid UTF-8 would be rejected by GVariant. */
void
pd_text_append_without_nul(GByteArray *out, const char *s, gsize len)
{
	const char *end = s + len;

	while (s < end) {
		const char *nul = memchr(s, '\0', (gsize)(end - s));
		gsize run = nul ? (gsize)(nul - s) : (gsize)(end - s);

		g_byte_array_append(out, (const guint8 *)s, (guint)run);
		if (nul == NULL)
			break;
		g_byte_array_append(out, (const guint8 *)PD_UTF8_REPLACEMENT, sizeof PD_UTF8_REPLACEMENT - 1);
		s = nul + 1;
	}
}

/* Control characters other than TAB and LF: JSON writers pass some
 * through raw, and ESC would reach an admin's terminal as a command. */
static inline gboolean
is_unwanted(guchar c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7F;
}

/* The bytes below 0x20 and DEL of the eight at p, as the top bit of
 * each byte (byte k in bits 8k to 8k + 7). Adding one within seven bits
 * takes DEL to 0 and 0x00..0x1F to 0x01..0x20; no carry leaves a byte. */
static inline guint64
control_mask(const char *p)
{
	guint64 w, a;

	memcpy(&w, p, 8);
	w = GUINT64_FROM_LE(w);
	a = (((w & (ONES * 0x7F)) + ONES) & (ONES * 0x7F)) + ONES * (0x80 - 0x21);
	return ~(a | w) & HIGHS;
}

/* The first unwanted byte among those marked in the mask of the word at
 * s + i, or G_MAXSIZE: most marks are line ends. */
static inline gsize
first_marked(const char *s, gsize i, guint64 mask)
{
	for (; mask != 0; mask &= mask - 1) {
		gsize k = i + (gsize)__builtin_ctzll(mask) / 8;

		if (is_unwanted((guchar)s[k]))
			return k;
	}
	return G_MAXSIZE;
}

/* Offset of the first unwanted control in the len bytes at s, or len.
 * Sixteen bytes at a time: mail text has a line end every few words,
 * and nothing else to stop at. */
static gsize
find_unwanted(const char *s, gsize len)
{
	gsize i = 0, k;

	for (; i + 16 <= len; i += 16) {
		guint64 m0 = control_mask(s + i), m1 = control_mask(s + i + 8);

		if ((m0 | m1) == 0)
			continue;
		if ((k = first_marked(s, i, m0)) != G_MAXSIZE || (k = first_marked(s, i + 8, m1)) != G_MAXSIZE)
			return k;
	}
	for (; i + 8 <= len; i += 8) {
		if ((k = first_marked(s, i, control_mask(s + i))) != G_MAXSIZE)
			return k;
	}
	for (; i < len; i++) {
		if (is_unwanted((guchar)s[i]))
			return i;
	}
	return len;
}

static gboolean
needs_cleaning(const char *text)
{
	gsize len = strlen(text);

	return find_unwanted(text, len) != len;
}

/* Header values end up on one line: each run of white space (folding, stray
 * CR/LF/TAB) becomes one space, other control characters U+FFFD; the ends
 * are trimmed. Returns "" for NULL. */
char *
pd_text_clean_line(const char *s)
{
	const char *in = s ? s : "";
	gsize len = strlen(in);
	/* g_utf8_make_valid() would copy valid text too, after a slower check */
	char *valid = pd_utf8_valid(in, len) ? g_strndup(in, len) : g_utf8_make_valid(in, (gssize)len);
	gboolean in_run = FALSE;
	char *w;

	if (needs_cleaning(valid))
		valid = pd_text_normalize_body(valid);
	w = valid;

	/* each run of white space becomes one space, in place */
	for (const char *p = valid; *p != '\0'; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			*w++ = *p;
			in_run = FALSE;
		} else if (!in_run) {
			*w++ = ' ';
			in_run = TRUE;
		}
	}
	*w = '\0';
	return g_strstrip(valid);
}

/* Like pd_text_clean_line, but an empty result means "absent". */
char *
pd_text_clean_optional(const char *s)
{
	char *line;

	if (s == NULL)
		return NULL;
	line = pd_text_clean_line(s);
	if (*line == '\0') {
		g_free(line);
		return NULL;
	}
	return line;
}

/* Body text: LF line ends only (CRLF and bare CR become LF), other control
 * characters replaced, no trailing white space at the very end. Takes
 * ownership of text. */
char *
pd_text_normalize_body(char *text)
{
	gsize len = strlen(text);
	gsize run = find_unwanted(text, len);
	const char *r = text, *end = text + len;
	GString *out;

	if (run == len) {
		g_strchomp(text);
		return text;
	}
	out = g_string_sized_new(len + 16);
	for (;;) {
		/* copy up to the next character that needs a change in one go */
		g_string_append_len(out, r, (gssize)run);
		r += run;
		if (r == end)
			break;
		if (*r == '\r') {
			g_string_append_c(out, '\n');
			r += r[1] == '\n';
		} else {
			g_string_append(out, PD_UTF8_REPLACEMENT);
		}
		r++;
		run = find_unwanted(r, (gsize)(end - r));
	}
	g_free(text);
	return g_strchomp(g_string_free(out, FALSE));
}

gboolean
pd_text_is_blank(const char *raw, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isspace(raw[i]))
			return FALSE;
	}
	return TRUE;
}

/* RFC 5322 2.2: a field name is printable US-ASCII except colon; the
 * obsolete syntax (4.5) allows white space before the colon. */
gboolean
pd_text_starts_with_header(const char *raw, gsize len)
{
	gsize i = 0;

	while (i < len && (guchar)raw[i] > ' ' && (guchar)raw[i] < 127 && raw[i] != ':')
		i++;
	if (i == 0)
		return FALSE;
	while (i < len && (raw[i] == ' ' || raw[i] == '\t'))
		i++;
	return i < len && raw[i] == ':';
}

/* prefix is lower case and starts with a letter; the first byte, where
 * most lines differ, is compared before the call to the rest. */
gboolean
pd_text_has_prefix_ci(const char *s, gsize len, const char *prefix)
{
	gsize n = strlen(prefix);

	return len >= n && (s[0] | 0x20) == prefix[0] && g_ascii_strncasecmp(s, prefix, n) == 0;
}

/* needle is lower case and starts with a letter. */
const char *
pd_text_find_ci(const char *s, gsize len, const char *needle)
{
	gsize n = strlen(needle);

	for (gsize i = 0; i + n <= len; i++) {
		if ((s[i] | 0x20) == needle[0] && g_ascii_strncasecmp(s + i + 1, needle + 1, n - 1) == 0)
			return s + i;
	}
	return NULL;
}

/* The blank line that ends a header block: LF, or CR LF. */
gboolean
pd_text_is_blank_line(const char *line, gsize len)
{
	return len > 0 && (line[0] == '\n' || (line[0] == '\r' && len > 1 && line[1] == '\n'));
}
