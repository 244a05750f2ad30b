/* mime.c: the MIME tree: its limits, the body text and HTML, and which parts are attachments. */
#include "parse-private.h"
#include "html.h"
#include "reply.h"

#include <string.h>

typedef struct {
	pd_parse_ctx *ctx;
	GMimePart *plain;   /* first inline text/plain, borrowed */
	GMimePart *html;    /* first inline text/html, borrowed */
	GPtrArray *more;    /* later inline text/plain parts shown after it, borrowed */
	guint parts;
	gboolean stop;      /* a limit was hit: walk no further */
} walk_state;

/* ---- part content ----------------------------------------------------- */

typedef struct {
	GByteArray *bytes;
	gsize max;
} capped;

/* Stops the decoding (by failing) once max bytes are in. */
static gboolean
capped_write(gpointer handle, const void *buf, gsize len, GError **error)
{
	capped *c = handle;
	gsize room = c->max - c->bytes->len;

	(void)error;
	g_byte_array_append(c->bytes, buf, (guint)MIN(len, room));
	return len <= room;
}

GByteArray *
pd_mime_part_bytes(GMimePart *part, gsize max)
{
	static const pd_attachment_sink mem_sink = { .write = capped_write };
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	capped c = { g_byte_array_new(), max };
	GMimeStream *out;

	if (content == NULL)
		return c.bytes;
	out = pd_sink_stream_new(&mem_sink, &c);
	g_mime_data_wrapper_write_to_stream(content, out);
	g_object_unref(out);
	return c.bytes;
}

char *
pd_mime_part_text(pd_parse_ctx *ctx, GMimePart *part)
{
	const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	GByteArray *bytes = pd_mime_part_bytes(part, G_MAXSIZE);
	char *text = pd_charset_to_utf8(charset, (const char *)bytes->data, bytes->len,
	                                ctx->opts->fallback_charsets);

	g_byte_array_unref(bytes);
	return pd_text_normalize_body(text);
}

/* ---- limits ----------------------------------------------------------- */

static gboolean
part_headers_ok(walk_state *st, GMimeObject *obj)
{
	const pd_parse_limits *lim = &st->ctx->opts->limits;
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int n = list != NULL ? g_mime_header_list_get_count(list) : 0;
	guint64 bytes = 0;

	if (lim->max_header_count > 0 && (guint)n > lim->max_header_count)
		return pd_parse_limit(st->ctx, "header fields in one block", lim->max_header_count,
		                      "max_header_count");
	for (int i = 0; lim->max_header_size > 0 && i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *raw = g_mime_header_get_raw_value(h);

		bytes += strlen(g_mime_header_get_name(h)) + (raw != NULL ? strlen(raw) : 0) + 2;
	}
	if (lim->max_header_size > 0 && bytes > lim->max_header_size)
		return pd_parse_limit(st->ctx, "bytes in one header block", lim->max_header_size,
		                      "max_header_size");
	return TRUE;
}

/* Every entity counts, those of attached messages too: GMime built them all. */
static gboolean
entity_ok(walk_state *st, GMimeObject *obj, guint depth)
{
	const pd_parse_limits *lim = &st->ctx->opts->limits;

	st->parts++;
	if (lim->max_mime_parts > 0 && st->parts > lim->max_mime_parts)
		st->stop = !pd_parse_limit(st->ctx, "MIME parts", lim->max_mime_parts, "max_mime_parts");
	else if (lim->max_mime_depth > 0 && depth > lim->max_mime_depth)
		st->stop = !pd_parse_limit(st->ctx, "MIME nesting depth", lim->max_mime_depth, "max_mime_depth");
	else
		st->stop = !part_headers_ok(st, obj);
	return !st->stop;
}

/* ---- the walk --------------------------------------------------------- */

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

/* A multipart whose parts a reader sees one after another: not the
 * choices of an alternative, nor the resources of a related. */
static gboolean
shows_all_parts(GMimeObject *multipart)
{
	GMimeContentType *ct = g_mime_object_get_content_type(multipart);

	return ct == NULL || (!g_mime_content_type_is_type(ct, "multipart", "alternative") &&
	                      !g_mime_content_type_is_type(ct, "multipart", "related"));
}

/* in_sequence: the part's multipart shows all its parts, so a text part
 * after the body is more of the text (a list footer, a second note), as
 * mail clients show it. */
static void
walk_leaf(walk_state *st, GMimePart *part, gboolean in_sequence)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	pd_parse_ctx *ctx = st->ctx;

	if (part_is_body_candidate(part)) {
		if (g_mime_content_type_is_type(ct, "text", "plain")) {
			if (st->plain == NULL)
				st->plain = part;
			else if (in_sequence)
				g_ptr_array_add(st->more, part);
		} else if (st->html == NULL) {
			st->html = part;
		}
		return;
	}
	if (ct != NULL && g_mime_content_type_is_type(ct, "message", "delivery-status"))
		pd_flags_delivery_status(ctx, part);
	if (pd_tnef_is_tnef(part) && pd_tnef_unpack(ctx, part))
		return;
	g_ptr_array_add(ctx->msg->attachments, pd_attach_part(ctx, part));
}

static void walk(walk_state *st, GMimeObject *obj, guint depth, gboolean collect, gboolean in_sequence);

/* A forwarded mail is one attachment; its own parts are not ours, but
 * they count toward the limits. */
static void
walk_message_part(walk_state *st, GMimeMessagePart *mp, guint depth, gboolean collect)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mp);

	if (collect)
		g_ptr_array_add(st->ctx->msg->attachments, pd_attach_message(st->ctx, mp));
	if (inner != NULL)
		walk(st, g_mime_message_get_mime_part(inner), depth + 1, FALSE, FALSE);
}

static void
walk(walk_state *st, GMimeObject *obj, guint depth, gboolean collect, gboolean in_sequence)
{
	if (obj == NULL || st->stop || !entity_ok(st, obj, depth))
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		gboolean all = shows_all_parts(obj);

		for (int i = 0; i < n && !st->stop; i++)
			walk(st, g_mime_multipart_get_part(mp, i), depth + 1, collect, all);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		walk_message_part(st, GMIME_MESSAGE_PART(obj), depth, collect);
	} else if (GMIME_IS_PART(obj) && collect) {
		walk_leaf(st, GMIME_PART(obj), in_sequence);
	}
}

/* The first text part, then each later one shown after it, a blank line
 * between; parts with no text add nothing. */
static char *
plain_text(walk_state *st)
{
	GString *text = g_string_new(NULL);
	char *first = pd_mime_part_text(st->ctx, st->plain);

	g_string_append(text, first);
	g_free(first);
	for (guint i = 0; i < st->more->len; i++) {
		char *next = pd_mime_part_text(st->ctx, st->more->pdata[i]);

		if (!pd_text_is_blank(next, strlen(next))) {
			if (text->len > 0)
				g_string_append(text, "\n\n");
			g_string_append(text, next);
		}
		g_free(next);
	}
	return g_string_free(text, FALSE);
}

/* The body is the plain text when there is one, else the HTML read as a
 * person would; body_new is the same without the quoted history. */
static void
fill_body(walk_state *st)
{
	pd_message *msg = st->ctx->msg;

	if (st->html != NULL)
		msg->body_html = pd_mime_part_text(st->ctx, st->html);
	g_clear_pointer(&msg->body, g_free);
	if (st->plain != NULL)
		msg->body = plain_text(st);
	/* An empty text/plain beside real HTML says nothing: the HTML is the text. */
	if (msg->body != NULL && *msg->body == '\0' && msg->body_html != NULL &&
	    !pd_text_is_blank(msg->body_html, strlen(msg->body_html)))
		g_clear_pointer(&msg->body, g_free);
	if (msg->body != NULL) {
		/* uuencoded files sit in plain text; they are attachments */
		pd_attach_uuencoded(st->ctx, msg->body);
		msg->body = pd_text_normalize_body(msg->body);
		pd_reply_split(msg->body, &msg->body_new, NULL, NULL);
	} else if (msg->body_html != NULL) {
		gsize len = strlen(msg->body_html);

		msg->body = pd_text_normalize_body(pd_html_to_text(msg->body_html, len));
		msg->body_new = pd_text_normalize_body(pd_html_new_text(msg->body_html, len, NULL));
	} else {
		msg->body = g_strdup("");
	}
}

void
pd_mime_fill(pd_parse_ctx *ctx, GMimeMessage *mime)
{
	walk_state st = { .ctx = ctx, .more = g_ptr_array_new() };

	walk(&st, g_mime_message_get_mime_part(mime), 0, TRUE, FALSE);
	if (ctx->cause == PD_CAUSE_NONE)
		fill_body(&st);
	g_ptr_array_unref(st.more);
}
