/* parse.c: raw RFC 5322 bytes -> pd_message via GMime: headers, body text, attachment list. */
#include "parse.h"
#include "html.h"
#include "reply.h"

#include <gmime/gmime.h>
#include <string.h>

#define UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Multipart trees deeper than this are not walked further; real mail
 * nests a handful of levels, hostile mail nests thousands. */
#define MAX_MIME_DEPTH 64

/* ---- cause names ------------------------------------------------------ */

/* Stored in quarantine records: never rename an entry. */
static const char *const cause_names[PD_CAUSE_COUNT] = {
	[PD_CAUSE_NONE] = "none",
	[PD_CAUSE_EMPTY] = "empty",
	[PD_CAUSE_TOO_LARGE] = "too-large",
	[PD_CAUSE_NO_HEADERS] = "no-headers",
	[PD_CAUSE_NO_SENDER] = "no-sender",
	[PD_CAUSE_UNPARSABLE] = "unparsable",
	[PD_CAUSE_RELEASED] = "released",
	[PD_CAUSE_RULE] = "rule",
	[PD_CAUSE_LIMIT] = "limit",
};

const char *
pd_cause_name(pd_cause cause)
{
	if ((unsigned)cause >= PD_CAUSE_COUNT)
		return "unknown";
	return cause_names[cause];
}

pd_cause
pd_cause_from_name(const char *name)
{
	if (name == NULL)
		return PD_CAUSE_NONE;
	for (int i = 0; i < PD_CAUSE_COUNT; i++) {
		if (strcmp(cause_names[i], name) == 0)
			return (pd_cause)i;
	}
	return PD_CAUSE_NONE;
}

/* ---- init ------------------------------------------------------------- */

void
pd_parse_init(void)
{
	g_mime_init();
}

void
pd_parse_shutdown(void)
{
	g_mime_shutdown();
}

/* ---- string hygiene --------------------------------------------------- */

/* Later stages keep strings in C strings and GVariants: a NUL would cut the
 * text short and invalid UTF-8 would be rejected by GVariant. */
static void
append_without_nul(GString *out, const char *s, gsize len)
{
	const char *end = s + len;

	while (s < end) {
		const char *nul = memchr(s, '\0', (gsize)(end - s));
		gsize run = nul ? (gsize)(nul - s) : (gsize)(end - s);

		g_string_append_len(out, s, (gssize)run);
		if (nul == NULL)
			break;
		g_string_append(out, UTF8_REPLACEMENT);
		s = nul + 1;
	}
}

static GString *
string_without_nul(const char *s, gsize len)
{
	GString *out = g_string_sized_new(len + 1);

	append_without_nul(out, s, len);
	return out;
}

/* Header values end up on one line: each run of white space (folding, stray
 * CR/LF/TAB) becomes one space; the ends are trimmed. Returns "" for NULL. */
static char *
clean_line(const char *s)
{
	char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p != '\0';) {
		gsize run = strspn(p, " \t\r\n");

		if (run == 0) {
			g_string_append_c(out, *p++);
			continue;
		}
		g_string_append_c(out, ' ');
		p += run;
	}
	g_free(valid);
	return g_strstrip(g_string_free(out, FALSE));
}

/* Like clean_line, but an empty result means "absent". */
static char *
clean_optional(const char *s)
{
	char *line = clean_line(s);

	if (*line == '\0') {
		g_free(line);
		return NULL;
	}
	return line;
}

/* Body text: LF line ends only (CRLF and bare CR become LF), no trailing
 * white space at the very end. Takes ownership of text. */
static char *
normalize_body(char *text)
{
	char *w = text;

	for (const char *r = text; *r != '\0'; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	g_strchomp(text);
	return text;
}

/* Undeclared or mislabelled 8-bit text goes through the parser's fallback
 * charsets (UTF-8, then windows-1252) before anything is replaced. */
static char *
bytes_to_utf8(GMimeParserOptions *po, const char *data, gsize len)
{
	GString *s = string_without_nul(data, len);
	char *out;

	if (!g_utf8_validate_len(s->str, s->len, NULL)) {
		char *decoded = g_mime_utils_decode_8bit(po, s->str, s->len);

		g_string_assign(s, decoded ? decoded : "");
		g_free(decoded);
	}
	out = g_utf8_make_valid(s->str, (gssize)s->len);
	g_string_free(s, TRUE);
	return out;
}

/* ---- part content ----------------------------------------------------- */

static gboolean
charset_is_utf8_compatible(const char *charset)
{
	const char *canon = g_mime_charset_canon_name(charset);

	return g_ascii_strcasecmp(canon, "utf-8") == 0 ||
	       g_ascii_strcasecmp(canon, "us-ascii") == 0 ||
	       g_ascii_strcasecmp(canon, "ascii") == 0;
}

/* The transfer-decoded bytes of a part, converted from charset to UTF-8
 * when charset is one iconv knows. Caller frees with g_byte_array_unref. */
static GByteArray *
part_bytes(GMimePart *part, const char *charset)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (content != NULL) {
		GMimeStream *out = g_mime_stream_filter_new(mem);
		GMimeFilter *conv = NULL;

		if (charset != NULL && !charset_is_utf8_compatible(charset))
			conv = g_mime_filter_charset_new(charset, "UTF-8");
		if (conv != NULL) {
			g_mime_stream_filter_add(GMIME_STREAM_FILTER(out), conv);
			g_object_unref(conv);
		}
		g_mime_data_wrapper_write_to_stream(content, out);
		g_mime_stream_flush(out);
		g_object_unref(out);
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_object_unref(mem);
	return bytes;
}

/* Decoded text of a text part as clean UTF-8, newlines normalised. */
static char *
part_text(GMimePart *part, GMimeParserOptions *po)
{
	const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	GByteArray *bytes = part_bytes(part, charset);
	char *text = bytes_to_utf8(po, (const char *)bytes->data, bytes->len);

	g_byte_array_unref(bytes);
	return normalize_body(text);
}

/* Counted, not buffered: attachments can be most of a 25 MB mail. */
static guint64
part_decoded_size(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *null;
	guint64 size;

	if (content == NULL)
		return 0;
	null = g_mime_stream_null_new();
	g_mime_data_wrapper_write_to_stream(content, null);
	size = GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
	return size;
}

static guint64
message_size(GMimeMessage *message)
{
	GMimeStream *null;
	guint64 size;

	if (message == NULL)
		return 0;
	null = g_mime_stream_null_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(message), NULL, null);
	size = GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
	return size;
}

/* ---- MIME tree walk --------------------------------------------------- */

typedef struct {
	GMimePart *plain;         /* first inline text/plain, borrowed */
	GMimePart *html;          /* first inline text/html, borrowed */
	GPtrArray *attachments;   /* of pd_attachment*, the message's own */
} walk_state;

static void
attachment_free(gpointer data)
{
	pd_attachment *a = data;

	g_free(a->filename);
	g_free(a->content_type);
	g_free(a);
}

static char *
content_type_string(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *joined, *line, *lower;

	if (ct == NULL)
		return g_strdup("application/octet-stream");
	joined = g_strdup_printf("%s/%s", g_mime_content_type_get_media_type(ct),
	                         g_mime_content_type_get_media_subtype(ct));
	line = clean_line(joined);
	lower = g_ascii_strdown(line, -1);
	g_free(joined);
	g_free(line);
	return lower;
}

/* Only text/plain and text/html can be the body; every other leaf, and any
 * part marked as an attachment or given a file name, is an attachment. */
static gboolean
part_is_body_candidate(GMimePart *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));

	if (g_mime_part_is_attachment(part) || g_mime_part_get_filename(part) != NULL)
		return FALSE;
	return ct != NULL && (g_mime_content_type_is_type(ct, "text", "plain") ||
	                      g_mime_content_type_is_type(ct, "text", "html"));
}

static void
walk_leaf(GMimePart *part, walk_state *st)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	pd_attachment *a;

	if (part_is_body_candidate(part)) {
		if (g_mime_content_type_is_type(ct, "text", "plain")) {
			if (st->plain == NULL)
				st->plain = part;
		} else if (st->html == NULL) {
			st->html = part;
		}
		return;
	}
	a = g_new0(pd_attachment, 1);
	a->filename = clean_optional(g_mime_part_get_filename(part));
	a->content_type = content_type_string(GMIME_OBJECT(part));
	a->size = part_decoded_size(part);
	g_ptr_array_add(st->attachments, a);
}

/* A forwarded mail is one attachment; its own parts are not ours. */
static void
walk_message_part(GMimeMessagePart *mp, walk_state *st)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	const char *name = g_mime_object_get_content_disposition_parameter(obj, "filename");
	pd_attachment *a = g_new0(pd_attachment, 1);

	if (name == NULL)
		name = g_mime_object_get_content_type_parameter(obj, "name");
	a->filename = clean_optional(name);
	if (a->filename == NULL) {
		char *subject = clean_line(inner ? g_mime_message_get_subject(inner) : NULL);

		a->filename = g_strconcat(*subject ? subject : "message", ".eml", NULL);
		g_free(subject);
	}
	a->content_type = content_type_string(obj);
	a->size = message_size(inner);
	g_ptr_array_add(st->attachments, a);
}

static void
walk(GMimeObject *obj, walk_state *st, int depth)
{
	if (obj == NULL || depth > MAX_MIME_DEPTH)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(mp, i), st, depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		walk_message_part(GMIME_MESSAGE_PART(obj), st);
	} else if (GMIME_IS_PART(obj)) {
		walk_leaf(GMIME_PART(obj), st);
	}
}

static void
fill_body(pd_message *msg, GMimeMessage *mime, GMimeParserOptions *po)
{
	walk_state st = { .attachments = msg->attachments };

	walk(g_mime_message_get_mime_part(mime), &st, 0);
	g_free(msg->body);
	g_free(msg->body_new);
	msg->body_new = NULL;
	if (st.plain != NULL) {
		msg->body = part_text(st.plain, po);
		pd_reply_split(msg->body, &msg->body_new, NULL, NULL);
	} else if (st.html != NULL) {
		/* HTML-only mail: read with a real HTML parser, links kept as
		 * "text <url>"; the new text drops the quoted part the way each
		 * client marks it. */
		char *html = part_text(st.html, po);
		gsize len = strlen(html);

		msg->body = normalize_body(pd_html_to_text(html, len));
		msg->body_new = normalize_body(pd_html_new_text(html, len, NULL));
		g_free(html);
	} else {
		msg->body = g_strdup("");
	}
}

/* ---- addresses and headers -------------------------------------------- */

static void
address_free(gpointer data)
{
	pd_address *a = data;

	g_free(a->name);
	g_free(a->addr);
	g_free(a);
}

static pd_address *
address_new(InternetAddress *ia)
{
	const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
	char *clean = clean_optional(addr);
	pd_address *a;

	if (clean == NULL)
		return NULL;
	a = g_new0(pd_address, 1);
	a->addr = clean;
	a->name = clean_optional(internet_address_get_name(ia));
	return a;
}

/* Groups ("Team: a@x, b@y;") are flattened into their members. */
static void
collect_mailboxes(InternetAddressList *list, GPtrArray *out, int depth)
{
	int n = list ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n && depth < MAX_MIME_DEPTH; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));

			collect_mailboxes(members, out, depth + 1);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			pd_address *a = address_new(ia);

			if (a != NULL)
				g_ptr_array_add(out, a);
		}
	}
}

/* A ticket needs someone to answer: an addr-spec with a local part and a
 * domain. "<>" (bounces) and bare local names do not qualify. */
static gboolean
address_is_usable(const pd_address *a)
{
	const char *at = strrchr(a->addr, '@');

	return at != NULL && at != a->addr && at[1] != '\0';
}

static pd_address *
first_usable(InternetAddressList *list)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(address_free);
	pd_address *found = NULL;

	collect_mailboxes(list, all, 0);
	for (guint i = 0; i < all->len && found == NULL; i++) {
		if (address_is_usable(all->pdata[i]))
			found = g_ptr_array_steal_index(all, i);
	}
	g_ptr_array_unref(all);
	return found;
}

static pd_address *
find_sender(GMimeMessage *mime)
{
	pd_address *a = first_usable(g_mime_message_get_from(mime));

	if (a == NULL)
		a = first_usable(g_mime_message_get_sender(mime));
	if (a == NULL)
		a = first_usable(g_mime_message_get_reply_to(mime));
	return a;
}

/* Message-IDs go into index keys: keep them on one line, without <>.
 * Every <...> token counts: GMime's own parser stops at the first token it
 * does not like (a "<yes>" from a broken list gateway), and the real
 * parent often stands right after it. */
static void
add_references(GPtrArray *out, GMimeParserOptions *po, const char *header, int max)
{
	if (header == NULL)
		return;
	for (const char *p = strchr(header, '<'); p != NULL && (max < 0 || (int)out->len < max);
	     p = strchr(p + 1, '<')) {
		const char *end = strchr(p + 1, '>');
		if (end == NULL)
			break;
		char *raw = g_strndup(p + 1, (gsize)(end - p - 1));
		char *id = strchr(raw, '<') == NULL ? clean_optional(raw) : NULL;
		/* Folding can split an id; white space is never part of one. */
		if (id != NULL) {
			char *w = id;
			for (char *r = id; *r != '\0'; r++)
				if (!g_ascii_isspace(*r))
					*w++ = *r;
			*w = '\0';
		}
		if (id != NULL && *id != '\0')
			g_ptr_array_add(out, id);
		else
			g_free(id);
		g_free(raw);
		p = end;
	}
	(void)po;
}

/* Some clients write In-Reply-To without the angle brackets, which
 * g_mime_references_parse skips; a lone id@domain token still threads. */
static char *
bare_message_id(const char *header)
{
	char *id = clean_optional(header);

	if (id != NULL && (strpbrk(id, " <>()\"") != NULL || strchr(id, '@') == NULL)) {
		g_free(id);
		id = NULL;
	}
	return id;
}

static char *
first_reference(GMimeParserOptions *po, const char *header)
{
	GPtrArray *one = g_ptr_array_new_with_free_func(g_free);
	char *id = NULL;

	add_references(one, po, header, 1);
	if (one->len > 0)
		id = g_ptr_array_steal_index(one, 0);
	g_ptr_array_unref(one);
	return id ? id : bare_message_id(header);
}

static void
fill_headers(pd_message *msg, GMimeMessage *mime, GMimeParserOptions *po)
{
	GMimeObject *obj = GMIME_OBJECT(mime);
	GDateTime *date = g_mime_message_get_date(mime);

	g_free(msg->subject);
	msg->subject = clean_line(g_mime_message_get_subject(mime));
	msg->from = find_sender(mime);
	collect_mailboxes(g_mime_message_get_to(mime), msg->to, 0);
	collect_mailboxes(g_mime_message_get_cc(mime), msg->cc, 0);
	msg->message_id = clean_optional(g_mime_message_get_message_id(mime));
	msg->in_reply_to = first_reference(po, g_mime_object_get_header(obj, "In-Reply-To"));
	add_references(msg->references, po, g_mime_object_get_header(obj, "References"), -1);
	msg->date = date ? g_date_time_to_unix(date) : 0;
}

/* ---- parsing ---------------------------------------------------------- */

/* GMime reports every oddity it tolerates; odd mail is normal input here,
 * and a daemon must not spray stderr for it. */
static void
ignore_warning(gint64 offset, GMimeParserWarning errcode, const gchar *item, gpointer user_data)
{
	(void)offset;
	(void)errcode;
	(void)item;
	(void)user_data;
}

static GMimeParserOptions *
parser_options_new(void)
{
	static const char *fallback[] = { "UTF-8", "windows-1252", NULL };
	GMimeParserOptions *po = g_mime_parser_options_new();

	g_mime_parser_options_set_fallback_charsets(po, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_warning_callback(po, ignore_warning, NULL);
	return po;
}

/* RFC 5322 2.2: a field name is printable US-ASCII except colon; the
 * obsolete syntax (4.5) allows white space before the colon. */
static gboolean
starts_with_header(const char *raw, gsize len)
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

/* Where the header block stops without the blank line RFC 5322 requires:
 * the first line that is neither a field nor a continuation. GMime drops
 * such lines as bad headers; like Postfix, postdesk takes them as the
 * start of the body. Returns len when there is no such line. */
static gsize
header_block_gap(const char *raw, gsize len)
{
	gsize pos = 0;

	while (pos < len) {
		const char *line = raw + pos;
		const char *nl = memchr(line, '\n', len - pos);
		gsize end = nl ? (gsize)(nl - raw) + 1 : len;

		if (line[0] == '\n' || (line[0] == '\r' && pos + 1 < len && line[1] == '\n'))
			return len;
		if (pos == 0 || (line[0] != ' ' && line[0] != '\t')) {
			if (!starts_with_header(line, end - pos))
				return pos;
		}
		pos = end;
	}
	return len;
}

/* The bytes GMime gets: NULs replaced (GMime reads headers as C strings,
 * so a NUL would end a header and lose what follows) and a missing blank
 * line after the headers inserted. NULL when raw can be used as it is. */
static GString *
prepare_input(const char *raw, gsize len)
{
	gsize gap = header_block_gap(raw, len);
	GString *copy;

	if (gap == len && memchr(raw, '\0', len) == NULL)
		return NULL;
	copy = string_without_nul(raw, gap);
	if (gap < len) {
		g_string_append_c(copy, '\n');
		append_without_nul(copy, raw + gap, len - gap);
	}
	return copy;
}

static GMimeMessage *
construct_message(GMimeParserOptions *po, const char *raw, gsize len)
{
	GString *prepared = prepare_input(raw, len);
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *mime;

	if (prepared != NULL) {
		stream = g_mime_stream_mem_new_with_buffer(prepared->str, prepared->len);
		g_string_free(prepared, TRUE);
	} else {
		stream = g_mime_stream_mem_new_with_buffer(raw, len);
	}
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	mime = g_mime_parser_construct_message(parser, po);
	g_object_unref(parser);
	return mime;
}

/* Mailbox files and some MTA pipes put an envelope line ("From sender
 * date") before the headers; it is not part of the message. */
static gsize
envelope_line_length(const char *raw, gsize len)
{
	const char *nl;

	if (len < 5 || memcmp(raw, "From ", 5) != 0 || starts_with_header(raw, len))
		return 0;
	nl = memchr(raw, '\n', len);
	return nl ? (gsize)(nl - raw) + 1 : len;
}

static gboolean
is_blank(const char *raw, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isspace(raw[i]))
			return FALSE;
	}
	return TRUE;
}

static pd_message *
message_new(gsize size)
{
	pd_message *msg = g_new0(pd_message, 1);

	msg->subject = g_strdup("");
	msg->body = g_strdup("");
	msg->to = g_ptr_array_new_with_free_func(address_free);
	msg->cc = g_ptr_array_new_with_free_func(address_free);
	msg->references = g_ptr_array_new_with_free_func(g_free);
	msg->attachments = g_ptr_array_new_with_free_func(attachment_free);
	msg->size = size;
	return msg;
}

/* The checks that need no parsing, cheapest first. */
static pd_cause
check_raw(const char *raw, gsize len, const pd_parse_limits *limits, char **reason_r)
{
	gsize skip;

	if (limits != NULL && limits->max_message_size > 0 && len > limits->max_message_size) {
		*reason_r = g_strdup_printf("message is %" G_GUINT64_FORMAT " bytes, limit is %"
		                            G_GUINT64_FORMAT " (limits.max_message_size)",
		                            (guint64)len, limits->max_message_size);
		return PD_CAUSE_TOO_LARGE;
	}
	if (raw == NULL || len == 0) {
		*reason_r = g_strdup("empty message: zero bytes");
		return PD_CAUSE_EMPTY;
	}
	if (is_blank(raw, len)) {
		*reason_r = g_strdup("empty message: only white space");
		return PD_CAUSE_EMPTY;
	}
	skip = envelope_line_length(raw, len);
	if (!starts_with_header(raw + skip, len - skip)) {
		*reason_r = g_strdup("no header block: the input does not start with a header field");
		return PD_CAUSE_NO_HEADERS;
	}
	return PD_CAUSE_NONE;
}

static pd_cause
parse_mime(pd_message *msg, const char *raw, gsize len, char **reason_r)
{
	GMimeParserOptions *po = parser_options_new();
	GMimeMessage *mime = construct_message(po, raw, len);
	pd_cause cause = PD_CAUSE_NONE;

	if (mime == NULL) {
		*reason_r = g_strdup("the MIME parser could not build a message");
		cause = PD_CAUSE_UNPARSABLE;
	} else {
		fill_headers(msg, mime, po);
		fill_body(msg, mime, po);
		if (msg->from == NULL) {
			*reason_r = g_strdup("no sender address in From, Sender or Reply-To");
			cause = PD_CAUSE_NO_SENDER;
		}
		g_object_unref(mime);
	}
	g_mime_parser_options_free(po);
	return cause;
}

/* Input with no header block is kept as text so a quarantine can show it. */
static char *
bare_body(const char *raw, gsize len)
{
	GMimeParserOptions *po = parser_options_new();
	char *text = bytes_to_utf8(po, raw, len);

	g_mime_parser_options_free(po);
	return normalize_body(text);
}

pd_message *
pd_message_parse(const char *raw, gsize len, const pd_parse_limits *limits,
                 pd_cause *cause_r, char **reason_r)
{
	pd_message *msg = message_new(len);
	char *reason = NULL;
	pd_cause cause = check_raw(raw, len, limits, &reason);

	if (cause == PD_CAUSE_NONE) {
		gsize skip = envelope_line_length(raw, len);

		msg->has_headers = TRUE;
		cause = parse_mime(msg, raw + skip, len - skip, &reason);
	} else if (cause == PD_CAUSE_NO_HEADERS) {
		g_free(msg->body);
		msg->body = bare_body(raw, len);
	}
	/* With nothing to split (no body part), the new text is the whole text. */
	if (msg->body_new == NULL)
		msg->body_new = g_strdup(msg->body);
	if (cause_r != NULL)
		*cause_r = cause;
	if (reason_r != NULL)
		*reason_r = reason;
	else
		g_free(reason);
	return msg;
}

void
pd_message_free(pd_message **msg)
{
	pd_message *m;

	if (msg == NULL || *msg == NULL)
		return;
	m = *msg;
	g_free(m->subject);
	if (m->from != NULL)
		address_free(m->from);
	g_ptr_array_unref(m->to);
	g_ptr_array_unref(m->cc);
	g_free(m->message_id);
	g_free(m->in_reply_to);
	g_ptr_array_unref(m->references);
	g_free(m->body);
	g_free(m->body_new);
	g_ptr_array_unref(m->attachments);
	g_free(m);
	*msg = NULL;
}

/* ---- GVariant view ---------------------------------------------------- */

/* NULL means "absent": the key is left out. */
static void
add_string(GVariantBuilder *b, const char *key, const char *value)
{
	if (value != NULL)
		g_variant_builder_add(b, "{sv}", key, g_variant_new_string(value));
}

static GVariant *
addresses_variant(const GPtrArray *list)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; list != NULL && i < list->len; i++) {
		const pd_address *a = list->pdata[i];
		char *s = a->name ? g_strdup_printf("%s <%s>", a->name, a->addr) : g_strdup(a->addr);

		g_variant_builder_add(&b, "s", s);
		g_free(s);
	}
	return g_variant_builder_end(&b);
}

static GVariant *
strings_variant(const GPtrArray *list)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; list != NULL && i < list->len; i++)
		g_variant_builder_add(&b, "s", (const char *)list->pdata[i]);
	return g_variant_builder_end(&b);
}

static GVariant *
attachments_variant(const GPtrArray *list)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; list != NULL && i < list->len; i++) {
		const pd_attachment *a = list->pdata[i];

		g_variant_builder_open(&b, G_VARIANT_TYPE_VARDICT);
		add_string(&b, "filename", a->filename ? a->filename : "");
		g_variant_builder_add(&b, "{sv}", "content_type", g_variant_new_string(a->content_type));
		g_variant_builder_add(&b, "{sv}", "size", g_variant_new_uint64(a->size));
		g_variant_builder_close(&b);
	}
	return g_variant_builder_end(&b);
}

GVariant *
pd_message_to_variant(const pd_message *msg)
{
	GVariantBuilder b;

	g_return_val_if_fail(msg != NULL, NULL);
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	add_string(&b, "subject", msg->subject ? msg->subject : "");
	add_string(&b, "from_name", msg->from ? msg->from->name : NULL);
	add_string(&b, "from", msg->from ? msg->from->addr : "");
	g_variant_builder_add(&b, "{sv}", "to", addresses_variant(msg->to));
	g_variant_builder_add(&b, "{sv}", "cc", addresses_variant(msg->cc));
	add_string(&b, "message_id", msg->message_id);
	add_string(&b, "in_reply_to", msg->in_reply_to);
	g_variant_builder_add(&b, "{sv}", "references", strings_variant(msg->references));
	g_variant_builder_add(&b, "{sv}", "date", g_variant_new_int64(msg->date));
	add_string(&b, "body", msg->body ? msg->body : "");
	g_variant_builder_add(&b, "{sv}", "attachments", attachments_variant(msg->attachments));
	g_variant_builder_add(&b, "{sv}", "size", g_variant_new_uint64(msg->size));
	return g_variant_builder_end(&b);
}
