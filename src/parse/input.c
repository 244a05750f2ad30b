/* input.c: the first bytes of a message: the header block found, checked against the limits and prepared for GMime. */
#include "parse-private.h"
#include "text.h"

#include <string.h>

#define HEAD_CHUNK 16384

/* Whether GMime is given a field of the message's header block, whose
 * name (as written, maybe with white space before the colon) is the len
 * bytes at name: only the Content-* fields, which make the MIME structure.
 * Each field GMime is given costs it an object and an event or two, and
 * of the others postdesk reads a few (fields.c) straight from here: the
 * rules and the sender checks read the raw header block, and the message
 * is stored whole. A name much longer than RFC 5322's line of 998
 * characters would make GMime give up on the whole message. */
static gboolean
field_for_gmime(const char *name, gsize len)
{
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	return len >= 8 && len <= 998 && g_ascii_strncasecmp(name, "content-", 8) == 0;
}

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

/* A field postdesk reads, whose first line starts at start: note where
 * its value begins. */
static gboolean
read_field(pd_head *head, const char *line, const char *colon, gsize start)
{
	pd_head_field f = { 0, 0, 0 };

	if (!pd_field_read(line, (gsize)(colon - line), &f.id))
		return FALSE;
	f.value = start + (gsize)(colon + 1 - line);
	if (head->read == NULL)
		head->read = g_array_new(FALSE, FALSE, sizeof(pd_head_field));
	g_array_append_val(head->read, f);
	return TRUE;
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
	if (start > head->skip && pd_text_is_blank_line(line, len)) {
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
		colon = memchr(line, ':', len);   /* there is one: a header field */
		head->dropping = !field_for_gmime(line, (gsize)(colon - line));
		head->reading = head->dropping && read_field(head, line, colon, start);
	}
	if (head->reading)
		g_array_index(head->read, pd_head_field, head->read->len - 1).end = lend;
	if (head->dropping) {
		guint n = head->drop != NULL ? head->drop->len : 0;

		if (n > 0 && g_array_index(head->drop, gsize, n - 1) == start) {
			g_array_index(head->drop, gsize, n - 1) = lend;   /* the same field, or the one before */
			return;
		}
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
static void
head_prepared(const pd_head *head, GByteArray *out)
{
	gsize end = head->found_end ? head->end : head->scanned;
	gsize from = head->skip;

	for (guint i = 0; head->drop != NULL && i < head->drop->len; i += 2) {
		gsize d0 = g_array_index(head->drop, gsize, i), d1 = g_array_index(head->drop, gsize, i + 1);

		pd_text_append_without_nul(out, head->data + from, d0 - from);
		from = d1;
	}
	pd_text_append_without_nul(out, head->data + from, end - from);
	if (!head->blank)
		g_byte_array_append(out, (const guint8 *)"\n", 1);
}

/* Only the header block (the quarantine shows who sent what). */
GMimeStream *
pd_head_headers_only(const pd_head *head)
{
	GByteArray *out = g_byte_array_new();

	head_prepared(head, out);
	return g_mime_stream_mem_new_with_byte_array(out);
}

pd_fields *
pd_head_fields(const pd_head *head, GMimeParserOptions *po)
{
	pd_fields *fields = pd_fields_new(po);

	for (guint i = 0; head->read != NULL && i < head->read->len; i++) {
		const pd_head_field *f = &g_array_index(head->read, pd_head_field, i);

		pd_fields_add(fields, f->id, head->data + f->value, f->end - f->value);
	}
	return fields;
}

/* A thread's buffer for the prepared header block, kept between messages
 * up to this size: a new one each time was a large allocation. */
#define HEAD_KEEP_BUFFER (64 * 1024)

static GPrivate spare_head = G_PRIVATE_INIT((GDestroyNotify)g_byte_array_unref);

static void
spare_head_give(gpointer buf)
{
	pd_spare_give(&spare_head, buf, HEAD_KEEP_BUFFER);
}

/* What GMime parses: the source itself when the header block needs no
 * change, else the prepared block followed by the rest of the source,
 * read in place. */
GMimeStream *
pd_head_parser_input(const pd_head *head, GMimeStream *src)
{
	GByteArray *prepared;
	GBytes *bytes;
	GMimeStream *joined;

	if (head->skip == 0 && !head->gap && head->drop == NULL &&
	    memchr(head->data, '\0', head->end) == NULL) {
		g_mime_stream_seek(src, src->bound_start, GMIME_STREAM_SEEK_SET);
		return g_object_ref(src);
	}
	prepared = pd_spare_take(&spare_head, 0);
	head_prepared(head, prepared);
	bytes = g_bytes_new_with_free_func(prepared->data, prepared->len, spare_head_give, prepared);
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
	if (head->read != NULL)
		g_array_unref(head->read);
	head->read = NULL;
}
