/* input.c: the first bytes of a message: the header block found, checked against the limits and prepared for GMime. */
#include "parse-private.h"

#include <string.h>

#define HEAD_CHUNK 16384

/* RFC 5322 2.1.1: a line is at most 998 characters. GMime gives up on the
 * whole message for a field name much longer than that; such a field (and
 * its continuation lines) is left out instead. */
#define MAX_FIELD_NAME 998

/* Read up to want more bytes into the head; a short read is not the end,
 * only a read of nothing is (the stream may hand out a byte at a time).
 * Input held in memory is not copied: the head's window on it grows by
 * what a read would have given. */
static void
head_fill(pd_head *head, GMimeStream *src, gsize want)
{
	char buf[HEAD_CHUNK];
	gsize got = 0;

	if (head->mem != NULL) {
		gsize avail = head->mem_len - head->len;

		head->len += MIN(want, avail);
		head->eof = want > avail;
		return;
	}
	while (!head->eof && got < want) {
		ssize_t n = g_mime_stream_read(src, buf, MIN(sizeof buf, want - got));

		if (n <= 0) {
			head->eof = TRUE;
			break;
		}
		g_string_append_len(head->own, buf, n);
		got += (gsize)n;
	}
	head->data = head->own->str;
	head->len = head->own->len;
}

/* Mailbox files and some MTA pipes put an envelope line ("From sender
 * date") before the headers; it is not part of the message. */
static gboolean
is_envelope_line(const char *line, gsize len)
{
	return len >= 5 && memcmp(line, "From ", 5) == 0 && !pd_text_starts_with_header(line, len);
}

static gboolean
is_blank_line(const char *line, gsize len)
{
	return len > 0 && (line[0] == '\n' || (line[0] == '\r' && len > 1 && line[1] == '\n'));
}

/* Look at one complete line (start..lend of the head). The header block ends at
 * a blank line, or (without the blank line RFC 5322 requires) at the first
 * line that is neither a field nor a continuation: GMime would drop such
 * lines as bad headers; like Postfix, postdesk takes them as the body. */
static void
head_line(pd_head *head, gsize start, gsize lend)
{
	const char *line = head->data + start;
	gsize len = lend - start;
	const char *colon;

	if (start == 0 && is_envelope_line(line, len)) {
		head->skip = lend;
		return;
	}
	if (start > head->skip && is_blank_line(line, len)) {
		head->end = lend;
		head->found_end = TRUE;
		head->blank = TRUE;
		return;
	}
	if (start == head->skip || (line[0] != ' ' && line[0] != '\t')) {
		if (!pd_text_starts_with_header(line, len)) {
			head->end = start;
			head->found_end = TRUE;
			head->gap = start > head->skip;
			return;
		}
		head->fields++;
		colon = memchr(line, ':', len);
		head->dropping = (colon != NULL ? (gsize)(colon - line) : len) > MAX_FIELD_NAME;
	}
	if (head->dropping) {
		if (head->drop == NULL)
			head->drop = g_array_new(FALSE, FALSE, sizeof(gsize));
		g_array_append_val(head->drop, start);
		g_array_append_val(head->drop, lend);
	}
}

/* Scan the complete lines read so far; at the end of the input the last
 * line counts even without its newline. */
static void
head_scan(pd_head *head)
{
	while (!head->found_end) {
		const char *line = head->data + head->scanned;
		gsize avail = head->len - head->scanned;
		const char *nl = memchr(line, '\n', avail);
		gsize lend;

		if (nl == NULL && !head->eof)
			return;
		if (nl == NULL && avail == 0) {
			head->end = head->len;
			head->found_end = TRUE;
			return;
		}
		lend = nl != NULL ? (gsize)(nl - head->data) + 1 : head->len;
		head_line(head, head->scanned, lend);
		head->scanned = lend;
	}
}

static gboolean
head_over_limits(const pd_head *head, const pd_parse_limits *lim)
{
	gsize bytes = (head->found_end ? head->end : head->scanned) - head->skip;

	return (lim->max_header_size > 0 && bytes > lim->max_header_size) ||
	       (lim->max_header_count > 0 && head->fields > lim->max_header_count);
}

/* Read until the header block ends or breaks a limit. */
void
pd_head_read(pd_head *head, GMimeStream *src, gboolean in_place, const pd_parse_limits *lim)
{
	memset(head, 0, sizeof *head);
	if (in_place)
		head->data = head->mem = (const char *)pd_stream_memory(src, &head->mem_len);
	if (head->mem == NULL)
		head->own = g_string_sized_new(HEAD_CHUNK);
	for (;;) {
		head_fill(head, src, HEAD_CHUNK);
		head_scan(head);
		if (head_over_limits(head, lim)) {
			head->over_limit = TRUE;
			return;
		}
		if (head->found_end)
			return;
	}
}

/* Checks that need no MIME parsing, cheapest first. */
pd_cause
pd_head_check(const pd_head *head, const pd_parse_limits *lim, char **reason_r)
{
	const char *first = head->data + head->skip;
	gsize avail = head->len - head->skip;

	if (head->len == 0) {
		*reason_r = g_strdup("empty message: zero bytes");
		return PD_CAUSE_EMPTY;
	}
	if (!pd_text_starts_with_header(first, avail)) {
		*reason_r = g_strdup("no header block: the input does not start with a header field");
		return PD_CAUSE_NO_HEADERS;
	}
	if (head->over_limit && lim->max_header_count > 0 && head->fields > lim->max_header_count) {
		*reason_r = g_strdup_printf("header fields in one block: more than %u "
		                            "(limits.max_header_count)", lim->max_header_count);
		return PD_CAUSE_LIMIT;
	}
	if (head->over_limit) {
		*reason_r = g_strdup_printf("bytes in one header block: more than %" G_GUINT64_FORMAT
		                            " (limits.max_header_size)", lim->max_header_size);
		return PD_CAUSE_LIMIT;
	}
	return PD_CAUSE_NONE;
}

/* The header block as GMime should see it: NULs replaced (GMime reads
 * headers as C strings, so a NUL would end a header and lose what
 * follows), ending in the blank line. A block cut by a limit ends at its
 * last complete line. */
static GString *
head_prepared(const pd_head *head)
{
	gsize end = head->found_end ? head->end : head->scanned;
	GString *out = g_string_sized_new(end - head->skip + 2);
	gsize from = head->skip;

	for (guint i = 0; head->drop != NULL && i < head->drop->len; i += 2) {
		gsize d0 = g_array_index(head->drop, gsize, i), d1 = g_array_index(head->drop, gsize, i + 1);

		pd_text_append_without_nul(out, head->data + from, d0 - from);
		from = d1;
	}
	pd_text_append_without_nul(out, head->data + from, end - from);
	if (!head->blank)
		g_string_append_c(out, '\n');
	return out;
}

static GMimeStream *
mem_stream_take(GString *s)
{
	GByteArray *bytes = g_byte_array_new_take((guint8 *)s->str, s->len);
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);

	g_string_free(s, FALSE);
	return mem;
}

/* Only the header block (the quarantine shows who sent what). */
GMimeStream *
pd_head_headers_only(const pd_head *head)
{
	return mem_stream_take(head_prepared(head));
}

/* What GMime parses: the source itself when the header block needs no
 * change (the common case), else the prepared block followed by the rest
 * of the source, read in place. */
GMimeStream *
pd_head_parser_input(const pd_head *head, GMimeStream *src)
{
	GString *prepared;
	GBytes *bytes;
	GMimeStream *joined;

	if (head->skip == 0 && !head->gap && head->drop == NULL &&
	    memchr(head->data, '\0', head->end) == NULL) {
		g_mime_stream_seek(src, src->bound_start, GMIME_STREAM_SEEK_SET);
		return g_object_ref(src);
	}
	prepared = head_prepared(head);
	bytes = g_bytes_new_take(prepared->str, prepared->len);
	g_string_free(prepared, FALSE);
	joined = pd_join_stream_new(bytes, src, (gint64)head->end);
	g_bytes_unref(bytes);
	return joined;
}

/* Input with no header block is kept as text so a quarantine can show it:
 * all of it (the size limit bounds it). */
char *
pd_head_bare_body(pd_head *head, GMimeStream *src, const char *const *fallback)
{
	head_fill(head, src, G_MAXSIZE);
	return pd_text_normalize_body(pd_charset_to_utf8(NULL, head->data, head->len, fallback));
}

/* Only white space, all of it? Reads on while it is. */
gboolean
pd_head_is_blank(pd_head *head, GMimeStream *src)
{
	gsize checked = 0;

	for (;;) {
		if (!pd_text_is_blank(head->data + checked, head->len - checked))
			return FALSE;
		if (head->eof)
			return TRUE;
		checked = head->len;
		head_fill(head, src, HEAD_CHUNK);
	}
}

void
pd_head_clear(pd_head *head)
{
	if (head->own != NULL)
		g_string_free(head->own, TRUE);
	head->own = NULL;
	head->data = head->mem = NULL;
	if (head->drop != NULL)
		g_array_unref(head->drop);
	head->drop = NULL;
}
