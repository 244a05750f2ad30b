/* text.c: string hygiene for everything the parser stores: no NUL, valid UTF-8, clean lines. */
#include "parse-private.h"

#include <string.h>

/* Later stages keep strings in C strings and GVariants: a NUL would cut the
 * text short and invalid UTF-8 would be rejected by GVariant. */
void
pd_text_append_without_nul(GString *out, const char *s, gsize len)
{
	const char *end = s + len;

	while (s < end) {
		const char *nul = memchr(s, '\0', (gsize)(end - s));
		gsize run = nul ? (gsize)(nul - s) : (gsize)(end - s);

		g_string_append_len(out, s, (gssize)run);
		if (nul == NULL)
			break;
		g_string_append(out, PD_UTF8_REPLACEMENT);
		s = nul + 1;
	}
}

/* Control characters other than TAB and LF: JSON writers pass some
 * through raw, and ESC would reach an admin's terminal as a command.
 * A string for strcspn(), which scans far faster than a loop. */
static const char unwanted_controls[] =
	"\x01\x02\x03\x04\x05\x06\x07\x08\x0B\x0C\x0D\x0E\x0F"
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1A\x1B\x1C\x1D\x1E\x1F\x7F";

static gboolean
needs_cleaning(const char *text)
{
	return text[strcspn(text, unwanted_controls)] != '\0';
}

/* Header values end up on one line: each run of white space (folding, stray
 * CR/LF/TAB) becomes one space, other control characters U+FFFD; the ends
 * are trimmed. Returns "" for NULL. */
char *
pd_text_clean_line(const char *s)
{
	char *valid = g_utf8_make_valid(s ? s : "", -1);
	char *w;

	if (needs_cleaning(valid))
		valid = pd_text_normalize_body(valid);
	w = valid;

	for (const char *p = valid; *p != '\0';) {
		gsize run = strspn(p, " \t\r\n");

		if (run == 0) {
			*w++ = *p++;
			continue;
		}
		*w++ = ' ';
		p += run;
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
	GString *out;

	if (!needs_cleaning(text)) {
		g_strchomp(text);
		return text;
	}
	out = g_string_sized_new(strlen(text) + 16);
	for (const char *r = text; *r != '\0'; r++) {
		gsize run = strcspn(r, unwanted_controls);

		/* copy up to the next character that needs a change in one go */
		g_string_append_len(out, r, (gssize)run);
		r += run;
		if (*r == '\0')
			break;
		if (*r == '\r') {
			g_string_append_c(out, '\n');
			r += r[1] == '\n';
		} else {
			g_string_append(out, PD_UTF8_REPLACEMENT);
		}
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
