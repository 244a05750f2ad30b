/* mime.c: the MIME tree: its limits, the body text and HTML, and which parts are attachments. */
#include "parse-private.h"
#include "html.h"
#include "reply.h"

#include <string.h>

typedef struct {
	pd_parse_ctx *ctx;
	pd_body_parts body;
	guint parts;
	gboolean stop;      /* a limit was hit: walk no further */
} walk_state;

/* How a reader meets a part: one after another with the others (a
 * multipart/mixed, the root of a related), as a resource of a related's
 * root (a text part with a Content-ID is one: an attachment), or not at
 * all (an alternative not chosen). */
typedef enum {
	VIEW_SHOWN,
	VIEW_RESOURCE,
	VIEW_HIDDEN,
} part_view;

/* ---- part content ----------------------------------------------------- */

static int
hex_value(guint8 c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Quoted-printable as GMime decodes it, runs between '=' copied whole:
 * =XX is the byte, '=' then LF or CRLF is a soft break, any other '=' and
 * the two bytes after it are kept as they are, and an escape the input
 * ends inside is dropped. Writes at most len bytes. */
gsize
pd_qp_decode(const guint8 *in, gsize len, guint8 *out)
{
	const guint8 *end = in + len;
	guint8 *o = out;

	while (in < end) {
		const guint8 *eq = memchr(in, '=', (gsize)(end - in));
		int hi, lo;

		if (eq == NULL)
			eq = end;
		memcpy(o, in, (gsize)(eq - in));
		o += eq - in;
		in = eq + 1;
		if (eq == end || in == end)
			break;
		if (in[0] == '\n') {
			in++;
			continue;
		}
		if (in + 1 == end)
			break;
		hi = hex_value(in[0]);
		lo = hex_value(in[1]);
		if (hi >= 0 && lo >= 0) {
			*o++ = (guint8)(hi << 4 | lo);
		} else if (!(in[0] == '\r' && in[1] == '\n')) {
			*o++ = '=';
			*o++ = in[0];
			*o++ = in[1];
		}
		in += 2;
	}
	return (gsize)(o - out);
}

/* How a part's content is decoded: quoted-printable in whole lines by
 * pd_qp_decode, anything else encoded by GMime's own decoding filter (made
 * when first needed), the rest copied. */
typedef struct {
	GMimeContentEncoding encoding;
	GMimeFilter *filter;
	GByteArray *out;
} decoder;

static gboolean
encoded(GMimeContentEncoding encoding)
{
	return encoding == GMIME_CONTENT_ENCODING_BASE64 ||
	       encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	       encoding == GMIME_CONTENT_ENCODING_UUENCODE;
}

/* Decodes len bytes onto d->out; whole says they end where the content or
 * a line does, so no quoted-printable escape runs past them. */
static void
decode_onto(decoder *d, const guint8 *in, gsize len, gboolean whole)
{
	char *o;
	size_t olen, pre;

	if (!encoded(d->encoding)) {
		g_byte_array_append(d->out, in, (guint)len);
	} else if (whole && d->encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE && d->filter == NULL) {
		guint at = d->out->len;

		g_byte_array_set_size(d->out, at + (guint)len);
		g_byte_array_set_size(d->out, at + (guint)pd_qp_decode(in, len, d->out->data + at));
	} else {
		if (d->filter == NULL)
			d->filter = g_mime_filter_basic_new(d->encoding, FALSE);
		g_mime_filter_filter(d->filter, (char *)in, len, 0, &o, &olen, &pre);
		g_byte_array_append(d->out, (const guint8 *)o, (guint)olen);
	}
}

/* Content held in memory, decoded in place in steps that end with a line. */
static void
decode_memory(decoder *d, const guint8 *p, gsize len, gsize max)
{
	enum { STEP = 64 * 1024 };
	const guint8 *stop = p + len;

	while (p < stop && d->out->len < max) {
		gsize n = MIN((gsize)(stop - p), STEP);

		while (p + n < stop && n > 0 && p[n - 1] != '\n')
			n--;
		if (n == 0)
			n = (gsize)(stop - p);
		decode_onto(d, p, n, TRUE);
		p += n;
	}
}

static GByteArray *
decoder_finish(decoder *d, gsize max)
{
	if (d->filter != NULL) {
		char *o;
		size_t olen, pre;

		g_mime_filter_complete(d->filter, (char *)"", 0, 0, &o, &olen, &pre);
		g_byte_array_append(d->out, (const guint8 *)o, (guint)olen);
		g_object_unref(d->filter);
	}
	if (d->out->len > max)
		g_byte_array_set_size(d->out, (guint)max);
	return d->out;
}

/* The part's content, decoded, up to max bytes: what writing it out through
 * GMime's decoding filter gives, without the stream objects. A content held
 * in memory is decoded in place; any other is read in steps. */
GByteArray *
pd_mime_part_bytes(GMimePart *part, gsize max)
{
	enum { STEP = 64 * 1024 };
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	decoder d = { GMIME_CONTENT_ENCODING_DEFAULT, NULL, g_byte_array_new() };
	GMimeStream *in;
	const guint8 *p;
	gsize len;

	if (content == NULL || (in = g_mime_data_wrapper_get_stream(content)) == NULL)
		return d.out;
	d.encoding = g_mime_data_wrapper_get_encoding(content);
	if ((p = pd_stream_memory(in, &len)) != NULL) {
		decode_memory(&d, p, len, max);
	} else {
		guint8 *buf = g_malloc(STEP);
		gssize n;

		g_mime_stream_reset(in);
		while (d.out->len < max && (n = g_mime_stream_read(in, (char *)buf, STEP)) > 0)
			decode_onto(&d, buf, (gsize)n, FALSE);
		g_mime_stream_reset(in);
		g_free(buf);
	}
	return decoder_finish(&d, max);
}

/* ---- text parts ------------------------------------------------------- */

static gboolean part_is_type(GMimeObject *obj, const char *type, const char *subtype);

static pd_leaf *
leaf_of_part(GMimePart *part)
{
	pd_leaf *leaf = g_new0(pd_leaf, 1);

	leaf->part = part;
	leaf->html = part_is_type(GMIME_OBJECT(part), "text", "html");
	return leaf;
}

void
pd_leaf_free(gpointer leaf)
{
	if (leaf != NULL)
		g_free(((pd_leaf *)leaf)->charset);
	g_free(leaf);
}

/* Decoded text of a text part as clean UTF-8 with LF line ends. */
static char *
leaf_text(pd_parse_ctx *ctx, const pd_leaf *leaf)
{
	const char *charset;
	GByteArray *bytes;
	char *text;

	if (leaf->part != NULL) {
		charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(leaf->part), "charset");
		bytes = pd_mime_part_bytes(leaf->part, G_MAXSIZE);
	} else {
		decoder d = { leaf->encoding, NULL, g_byte_array_new() };

		charset = leaf->charset;
		decode_memory(&d, leaf->data, leaf->len, G_MAXSIZE);
		bytes = decoder_finish(&d, G_MAXSIZE);
	}
	text = pd_charset_to_utf8(charset, (const char *)bytes->data, bytes->len, ctx->opts->fallback_charsets);
	g_byte_array_unref(bytes);
	return pd_text_normalize_body(text);
}

void
pd_body_parts_init(pd_body_parts *b)
{
	b->shown = g_ptr_array_new();
	b->all = g_ptr_array_new_with_free_func(pd_leaf_free);
	b->html = NULL;
}

void
pd_body_parts_clear(pd_body_parts *b)
{
	g_ptr_array_unref(b->shown);
	g_ptr_array_unref(b->all);
}

/* A text part met in the walk: the first HTML is body_html, and a shown
 * one is more of the body. */
void
pd_body_parts_add(pd_body_parts *b, pd_leaf *leaf, gboolean shown)
{
	g_ptr_array_add(b->all, leaf);
	if (b->html == NULL && leaf->html)
		b->html = leaf;
	if (shown)
		g_ptr_array_add(b->shown, leaf);
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

static gboolean
part_is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

/* Whether a body candidate of the subtype (plain, html) is in obj, not
 * counting forwarded messages; no deeper than the walk may go. */
static gboolean
has_candidate(walk_state *st, GMimeObject *obj, const char *subtype, guint depth)
{
	guint max = st->ctx->opts->limits.max_mime_depth;

	if (max > 0 && depth > max)
		return FALSE;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++)
			if (has_candidate(st, g_mime_multipart_get_part(mp, i), subtype, depth + 1))
				return TRUE;
		return FALSE;
	}
	return GMIME_IS_PART(obj) && part_is_body_candidate(GMIME_PART(obj)) &&
	       part_is_type(obj, "text", subtype);
}

/* The choice of a multipart/alternative a reader sees: the first with
 * plain text, else the first with HTML; -1 when none has text. */
static int
alternative_choice(walk_state *st, GMimeMultipart *mp, guint depth)
{
	static const char *const prefer[] = { "plain", "html" };
	int n = g_mime_multipart_get_count(mp);

	for (guint k = 0; k < G_N_ELEMENTS(prefer); k++)
		for (int i = 0; i < n; i++)
			if (has_candidate(st, g_mime_multipart_get_part(mp, i), prefer[k], depth + 1))
				return i;
	return -1;
}

/* The root of a multipart/related: the part whose Content-ID its start
 * parameter names, else the first (RFC 2387). */
static int
related_root(GMimeMultipart *mp)
{
	const char *start = g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start");
	int n = g_mime_multipart_get_count(mp);
	char *id;

	if (start == NULL)
		return 0;
	id = g_strstrip(g_strdup(start));
	if (*id == '<' && g_str_has_suffix(id, ">")) {
		id[strlen(id) - 1] = '\0';
		memmove(id, id + 1, strlen(id));
	}
	for (int i = 0; i < n; i++) {
		const char *cid = g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));

		if (cid != NULL && strcmp(cid, id) == 0) {
			g_free(id);
			return i;
		}
	}
	g_free(id);
	return 0;
}

/* A body candidate a reader sees is more of the text, after the parts
 * before it (a list footer, a second note, a signature after the HTML),
 * as mail clients show it; one of an alternative not chosen only offers
 * its HTML. A resource of a related with a Content-ID, and every other
 * leaf, is an attachment. */
static void
walk_leaf(walk_state *st, GMimePart *part, part_view view)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	pd_parse_ctx *ctx = st->ctx;

	if (part_is_body_candidate(part) &&
	    (view != VIEW_RESOURCE || g_mime_object_get_content_id(GMIME_OBJECT(part)) == NULL)) {
		pd_body_parts_add(&st->body, leaf_of_part(part), view != VIEW_HIDDEN);
		return;
	}
	if (ct != NULL && g_mime_content_type_is_type(ct, "message", "delivery-status"))
		pd_flags_delivery_status(ctx, part);
	if (pd_tnef_is_tnef(part) && pd_tnef_unpack(ctx, part))
		return;
	g_ptr_array_add(ctx->msg->attachments, pd_attach_part(ctx, part));
}

static void walk(walk_state *st, GMimeObject *obj, guint depth, gboolean collect, part_view view);

/* A forwarded mail is one attachment; its own parts are not ours, but
 * they count toward the limits. */
static void
walk_message_part(walk_state *st, GMimeMessagePart *mp, guint depth, gboolean collect)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mp);

	if (collect)
		g_ptr_array_add(st->ctx->msg->attachments, pd_attach_message(st->ctx, mp));
	if (inner != NULL)
		walk(st, g_mime_message_get_mime_part(inner), depth + 1, FALSE, VIEW_HIDDEN);
}

/* An alternative shows one of its parts; a related shows its root first,
 * then its other parts as resources; any other multipart shows all its
 * parts one after another. */
static void
walk_multipart(walk_state *st, GMimeObject *obj, guint depth, gboolean collect, part_view view)
{
	GMimeMultipart *mp = GMIME_MULTIPART(obj);
	int n = g_mime_multipart_get_count(mp);

	if (part_is_type(obj, "multipart", "alternative")) {
		int choice = collect && view != VIEW_HIDDEN ? alternative_choice(st, mp, depth) : -1;

		for (int i = 0; i < n && !st->stop; i++)
			walk(st, g_mime_multipart_get_part(mp, i), depth + 1, collect,
			     i == choice ? view : VIEW_HIDDEN);
	} else if (part_is_type(obj, "multipart", "related")) {
		int root = related_root(mp);

		if (n > 0)
			walk(st, g_mime_multipart_get_part(mp, root), depth + 1, collect, view);
		for (int i = 0; i < n && !st->stop; i++)
			if (i != root)
				walk(st, g_mime_multipart_get_part(mp, i), depth + 1, collect,
				     view == VIEW_HIDDEN ? VIEW_HIDDEN : VIEW_RESOURCE);
	} else {
		for (int i = 0; i < n && !st->stop; i++)
			walk(st, g_mime_multipart_get_part(mp, i), depth + 1, collect, view);
	}
}

static void
walk(walk_state *st, GMimeObject *obj, guint depth, gboolean collect, part_view view)
{
	if (obj == NULL || st->stop || !entity_ok(st, obj, depth))
		return;
	if (GMIME_IS_MULTIPART(obj))
		walk_multipart(st, obj, depth, collect, view);
	else if (GMIME_IS_MESSAGE_PART(obj))
		walk_message_part(st, GMIME_MESSAGE_PART(obj), depth, collect);
	else if (GMIME_IS_PART(obj) && collect)
		walk_leaf(st, GMIME_PART(obj), view);
}

/* The text of one shown part: plain text without its uuencoded files
 * (they are attachments), or the HTML read as a person would. */
static char *
shown_text(pd_parse_ctx *ctx, const pd_body_parts *b, const pd_leaf *leaf)
{
	pd_message *msg = ctx->msg;
	char *text;

	if (leaf->html) {
		char *html = leaf == b->html ? NULL : leaf_text(ctx, leaf);
		const char *src = html != NULL ? html : msg->body_html;

		text = pd_text_normalize_body(pd_html_to_text(src, strlen(src)));
		g_free(html);
		return text;
	}
	/* normal already; what a cut block leaves may end in white space */
	text = leaf_text(ctx, leaf);
	return pd_attach_uuencoded(ctx, text) ? pd_text_normalize_body(text) : text;
}

/* The shown parts one after another, a blank line between; parts with no
 * text add nothing. The HTML of body_html after text is that text in
 * another form (a mailer that put both in a multipart/mixed): it is kept
 * as body_html, not shown twice. */
static char *
shown_body(pd_parse_ctx *ctx, const pd_body_parts *b)
{
	char *only = NULL;     /* the text while it is the only one */
	GString *body = NULL;  /* the texts once there are more */

	for (guint i = 0; i < b->shown->len; i++) {
		char *text;

		if ((only != NULL || body != NULL) && b->shown->pdata[i] == b->html)
			continue;
		text = shown_text(ctx, b, b->shown->pdata[i]);
		if (pd_text_is_blank(text, strlen(text))) {
			g_free(text);
		} else if (only == NULL && body == NULL) {
			only = text;
		} else {
			if (body == NULL) {
				body = g_string_new(only);
				g_clear_pointer(&only, g_free);
			}
			g_string_append(body, "\n\n");
			g_string_append(body, text);
			g_free(text);
		}
	}
	return body != NULL ? g_string_free(body, FALSE) : only != NULL ? only : g_strdup("");
}

/* The new text of a body that begins with HTML: the HTML's own new text
 * when it marks quoted history or a signature (what follows goes with
 * them, as a plain text signature takes the rest), else the body split as
 * plain text is. */
static char *
html_body_new(pd_parse_ctx *ctx, const pd_body_parts *b, const pd_leaf *first, const char *body)
{
	char *own = first == b->html ? NULL : leaf_text(ctx, first);
	const char *html = own != NULL ? own : ctx->msg->body_html;
	gsize len = strlen(html);
	char *new_text = pd_text_normalize_body(pd_html_new_text(html, len, NULL));
	char *all;

	if (b->shown->len > 1) {
		all = pd_text_normalize_body(pd_html_to_text(html, len));
		if (strcmp(all, new_text) == 0) {
			g_free(new_text);
			pd_reply_split_valid(body, &new_text, NULL, NULL);
		}
		g_free(all);
	}
	g_free(own);
	return new_text;
}

/* The body is the text of the parts a reader sees; body_html is the first
 * HTML part; body_new is the body without the quoted history. */
void
pd_mime_fill_body(pd_parse_ctx *ctx, const pd_body_parts *b)
{
	pd_message *msg = ctx->msg;
	const pd_leaf *first = b->shown->len > 0 ? b->shown->pdata[0] : NULL;

	if (b->html != NULL)
		msg->body_html = leaf_text(ctx, b->html);
	g_clear_pointer(&msg->body, g_free);
	msg->body = shown_body(ctx, b);
	/* Empty text beside real HTML says nothing: the HTML is the text. */
	if (*msg->body == '\0' && msg->body_html != NULL &&
	    !pd_text_is_blank(msg->body_html, strlen(msg->body_html))) {
		gsize len = strlen(msg->body_html);

		g_free(msg->body);
		msg->body = pd_text_normalize_body(pd_html_to_text(msg->body_html, len));
		msg->body_new = pd_text_normalize_body(pd_html_new_text(msg->body_html, len, NULL));
	} else if (first != NULL && first->html) {
		msg->body_new = html_body_new(ctx, b, first, msg->body);
	} else {
		pd_reply_split_valid(msg->body, &msg->body_new, NULL, NULL);
	}
}

void
pd_mime_fill(pd_parse_ctx *ctx, GMimeObject *body)
{
	walk_state st = { .ctx = ctx };

	pd_body_parts_init(&st.body);
	walk(&st, body, 0, TRUE, VIEW_SHOWN);
	if (ctx->cause == PD_CAUSE_NONE)
		pd_mime_fill_body(ctx, &st.body);
	pd_body_parts_clear(&st.body);
}
