/* attach.c: attachments: their names and types, their bytes streamed through the sink, uuencoded blocks. */
#include "parse-private.h"

#include <string.h>

/* ---- the default sink: measure and hash, store nothing ---------------- */

static gpointer
hash_open(gpointer data, GError **error)
{
	(void)data;
	(void)error;
	return g_checksum_new(G_CHECKSUM_SHA256);
}

static gboolean
hash_write(gpointer handle, const void *buf, gsize len, GError **error)
{
	(void)error;
	g_checksum_update(handle, buf, (gssize)len);
	return TRUE;
}

static char *
hash_close(gpointer handle, GError **error)
{
	char *hex = g_strdup(g_checksum_get_string(handle));

	(void)error;
	g_checksum_free(handle);
	return hex;
}

static void
hash_abort(gpointer handle)
{
	g_checksum_free(handle);
}

static const pd_attachment_sink hash_sink = { hash_open, hash_write, hash_close, hash_abort, NULL };

/* ---- streaming -------------------------------------------------------- */

typedef void (*producer)(GMimeStream *out, gpointer what);

/* The bytes go through in GMime's chunks: an attachment is never whole in
 * memory, whatever its size. A sink that fails leaves sha256 NULL. */
static void
stream_into(pd_parse_ctx *ctx, pd_attachment *a, producer produce, gpointer what)
{
	const pd_attachment_sink *sink = ctx->opts->sink != NULL ? ctx->opts->sink : &hash_sink;
	gpointer handle = sink->open(sink->data, NULL);
	GMimeStream *out = pd_sink_stream_new(handle != NULL ? sink : NULL, handle);

	produce(out, what);
	a->size = pd_sink_stream_written(out);
	if (handle != NULL && pd_sink_stream_failed(out))
		sink->abort(handle);
	else if (handle != NULL)
		a->sha256 = sink->close(handle, NULL);
	g_object_unref(out);
}

static void
produce_part(GMimeStream *out, gpointer what)
{
	GMimeDataWrapper *content = g_mime_part_get_content(what);

	if (content != NULL)
		g_mime_data_wrapper_write_to_stream(content, out);
}

static void
produce_message(GMimeStream *out, gpointer what)
{
	if (what != NULL)
		g_mime_object_write_to_stream(what, NULL, out);
}

typedef struct {
	const void *data;
	gsize len;
} bytes_ref;

static void
produce_bytes(GMimeStream *out, gpointer what)
{
	bytes_ref *b = what;

	if (b->len > 0)
		g_mime_stream_write(out, b->data, b->len);
}

/* ---- names and types -------------------------------------------------- */

void
pd_attachment_free(gpointer data)
{
	pd_attachment *a = data;

	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->sha256);
	g_free(a->content_id);
	g_free(a->message_subject);
	g_free(a->message_from);
	g_free(a);
}

/* Some clients send the sender's whole path ("C:\Users\x\report.pdf"). */
static char *
file_name(const char *name)
{
	char *clean = pd_text_clean_optional(name);
	const char *base;
	char *out;

	if (clean == NULL)
		return NULL;
	base = MAX(strrchr(clean, '/'), strrchr(clean, '\\'));
	if (base == NULL || base[1] == '\0')
		return clean;
	out = g_strdup(base + 1);
	g_free(clean);
	return out;
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
	line = pd_text_clean_line(joined);
	lower = g_ascii_strdown(line, -1);
	g_free(joined);
	g_free(line);
	return lower;
}

/* For files that come without a type (uuencoded, some TNEF ones). */
static const char *
type_for_name(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".pdf", "application/pdf" }, { ".png", "image/png" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".gif", "image/gif" }, { ".txt", "text/plain" },
		{ ".htm", "text/html" }, { ".html", "text/html" }, { ".csv", "text/csv" },
		{ ".zip", "application/zip" }, { ".rtf", "application/rtf" }, { ".ics", "text/calendar" },
		{ ".doc", "application/msword" }, { ".xls", "application/vnd.ms-excel" },
		{ ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ ".eml", "message/rfc822" },
	};

	for (gsize i = 0; name != NULL && i < G_N_ELEMENTS(types); i++) {
		gsize n = strlen(name), e = strlen(types[i].ext);

		if (n > e && g_ascii_strcasecmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

/* Inline: said so by Content-Disposition, or (without one) referenced by
 * a Content-ID, as the images of multipart/related are. */
static gboolean
is_inline(GMimeObject *obj)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);

	if (d != NULL)
		return !g_mime_content_disposition_is_attachment(d);
	return g_mime_object_get_content_id(obj) != NULL;
}

pd_attachment *
pd_attach_part(pd_parse_ctx *ctx, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	pd_attachment *a = g_new0(pd_attachment, 1);

	a->filename = file_name(g_mime_part_get_filename(part));
	a->content_type = content_type_string(obj);
	a->content_id = pd_text_clean_optional(g_mime_object_get_content_id(obj));
	a->is_inline = is_inline(obj);
	stream_into(ctx, a, produce_part, part);
	return a;
}

pd_attachment *
pd_attach_message(pd_parse_ctx *ctx, GMimeMessagePart *mp)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	const char *name = g_mime_object_get_content_disposition_parameter(obj, "filename");
	pd_attachment *a = g_new0(pd_attachment, 1);

	if (name == NULL)
		name = g_mime_object_get_content_type_parameter(obj, "name");
	a->filename = file_name(name);
	if (inner != NULL) {
		pd_fields *fields = pd_fields_of_object(ctx->po, GMIME_OBJECT(inner));

		a->message_subject = pd_header_text(ctx, fields, PD_FIELD_SUBJECT);
		a->message_from = pd_header_first_addr(ctx, fields, PD_FIELD_FROM);
		pd_fields_free(fields);
	}
	if (a->filename == NULL)
		a->filename = g_strconcat(a->message_subject ? a->message_subject : "message", ".eml", NULL);
	a->content_type = content_type_string(obj);
	a->content_id = pd_text_clean_optional(g_mime_object_get_content_id(obj));
	a->is_inline = is_inline(obj);
	stream_into(ctx, a, produce_message, inner);
	return a;
}

pd_attachment *
pd_attach_bytes(pd_parse_ctx *ctx, const char *filename, const char *content_type,
                const void *data, gsize len)
{
	pd_attachment *a = g_new0(pd_attachment, 1);
	char *type = pd_text_clean_optional(content_type);
	bytes_ref b = { data, len };

	a->filename = file_name(filename);
	a->content_type = g_ascii_strdown(type != NULL && strchr(type, '/') != NULL ? type
	                                  : type_for_name(a->filename), -1);
	stream_into(ctx, a, produce_bytes, &b);
	g_free(type);
	return a;
}

/* ---- uuencode --------------------------------------------------------- */

#define UU(c) (((guchar)(c) - ' ') & 0x3F)

/* One encoded line: a length character, then 4 characters per 3 bytes. */
static void
uudecode_line(const char *line, gsize len, GByteArray *out)
{
	gsize want = len > 0 ? UU(line[0]) : 0;
	gsize got = 0;

	for (gsize i = 1; i < len && got < want; i += 4) {
		guchar q[4];

		for (int k = 0; k < 4; k++)
			q[k] = i + (gsize)k < len ? UU(line[i + k]) : 0;
		guchar b[3] = { (guchar)(q[0] << 2 | q[1] >> 4), (guchar)(q[1] << 4 | q[2] >> 2),
		                (guchar)(q[2] << 6 | q[3]) };
		for (int k = 0; k < 3 && got < want; k++, got++)
			g_byte_array_append(out, &b[k], 1);
	}
}

/* "begin 644 name": the mode is octal digits; the name is the rest. */
static const char *
uu_begin_name(const char *line, gsize len)
{
	gsize i = 6;

	if (len < 9 || strncmp(line, "begin ", 6) != 0)
		return NULL;
	while (i < len && line[i] >= '0' && line[i] <= '7')
		i++;
	if (i < 9 || i - 6 > 4 || i >= len || line[i] != ' ' || i + 1 >= len)
		return NULL;
	return line + i + 1;
}

static gsize
line_length(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl != NULL ? (gsize)(nl - p) : strlen(p);
}

/* Decode from the line after "begin" to "end"; returns where the block
 * ends (after the end line) or NULL if it never ends (then it is text). */
static const char *
uu_block(const char *p, GByteArray *out)
{
	while (*p != '\0') {
		gsize len = line_length(p);

		if (len >= 3 && strncmp(p, "end", 3) == 0 && (len == 3 || g_ascii_isspace(p[3])))
			return p[len] == '\n' ? p + len + 1 : p + len;
		uudecode_line(p, len, out);
		p += len + (p[len] == '\n');
	}
	return NULL;
}

/* Extracts one block starting at line; returns the end of the block (the
 * text in between is to be removed) or NULL if there is none. */
static const char *
uu_extract(pd_parse_ctx *ctx, const char *line)
{
	gsize len = line_length(line);
	const char *name = uu_begin_name(line, len);
	const char *end;
	GByteArray *bytes;
	char *filename;

	if (name == NULL)
		return NULL;
	bytes = g_byte_array_new();
	end = uu_block(line + len + (line[len] == '\n'), bytes);
	if (end != NULL) {
		filename = g_strndup(name, (gsize)(line + len - name));
		g_ptr_array_add(ctx->msg->attachments,
		                pd_attach_bytes(ctx, filename, NULL, bytes->data, bytes->len));
		g_free(filename);
	}
	g_byte_array_unref(bytes);
	return end;
}

gboolean
pd_attach_uuencoded(pd_parse_ctx *ctx, char *text)
{
	char *line = text;
	gboolean cut = FALSE;

	if (strstr(text, "begin ") == NULL)
		return FALSE;
	while (*line != '\0') {
		const char *end = uu_extract(ctx, line);
		gsize len;

		if (end != NULL) {
			memmove(line, end, strlen(end) + 1);
			cut = TRUE;
			continue;
		}
		len = line_length(line);
		line += len + (line[len] == '\n');
	}
	return cut;
}
