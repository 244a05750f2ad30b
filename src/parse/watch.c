/* watch.c: limits checked while GMime parses, so a hostile message stops early, before its parts are built. */
#include "parse-private.h"

#include <string.h>

/* More multiparts than this cannot all be under the depth and part limits
 * in any real mail; boundaries past it are not watched (the walk after the
 * parse still counts every part). */
#define MAX_WATCHED_BOUNDARIES 256

static void
check_parts(pd_parse_ctx *ctx)
{
	guint max = ctx->opts->limits.max_mime_parts;

	/* Each boundary line opens a part, and the message itself is one
	 * more: neither count exceeds the walk's, so no good mail is cut. */
	if (max > 0 && (ctx->types_seen > max || ctx->boundaries_seen + 1 > max))
		pd_parse_limit(ctx, "MIME parts", max, "max_mime_parts");
}

/* GMime reports every oddity it tolerates; odd mail is normal input here,
 * and a daemon must not spray stderr for it. Only nesting deeper than
 * GMime's own bound counts, as a limit. */
void
pd_watch_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
	pd_parse_ctx *ctx = data;

	(void)offset;
	(void)item;
	if (code == GMIME_CRIT_NESTING_OVERFLOW)
		pd_parse_limit(ctx, "MIME nesting depth", ctx->opts->limits.max_mime_depth, "max_mime_depth");
}

/* Parameters of a field, RFC 2231 sections each counted: the semicolons
 * outside quotes. */
static guint
count_parameters(const char *value)
{
	gboolean quoted = FALSE;
	guint n = 0;

	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\' && quoted && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == ';' && !quoted)
			n++;
	}
	return n;
}

static void
note_boundary(pd_parse_ctx *ctx, const char *value)
{
	GMimeContentType *ct;
	const char *boundary;

	if (ctx->boundaries != NULL && ctx->boundaries->len >= MAX_WATCHED_BOUNDARIES)
		return;
	ct = g_mime_content_type_parse(ctx->po, value);
	boundary = ct != NULL && g_mime_content_type_is_type(ct, "multipart", "*")
	           ? g_mime_content_type_get_parameter(ct, "boundary") : NULL;
	if (boundary != NULL && *boundary != '\0') {
		if (ctx->boundaries == NULL)
			ctx->boundaries = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(ctx->boundaries, g_strdup(boundary));
	}
	if (ct != NULL)
		g_object_unref(ct);
}

/* Called by GMime for each Content-Type and Content-Disposition as it is
 * read, in every part. */
static void
on_header(GMimeParser *parser, const char *name, const char *value, gint64 offset, gpointer data)
{
	pd_parse_ctx *ctx = data;
	const pd_parse_limits *lim = &ctx->opts->limits;

	(void)parser;
	(void)offset;
	if (value == NULL)
		return;
	if (lim->max_mime_parameters > 0 && count_parameters(value) > lim->max_mime_parameters) {
		pd_parse_limit(ctx, "parameters in one header field", lim->max_mime_parameters,
		               "max_mime_parameters");
		return;
	}
	if (g_ascii_strcasecmp(name, "Content-Type") != 0)
		return;
	ctx->types_seen++;
	check_parts(ctx);
	if (g_ascii_strncasecmp(value + strspn(value, " \t"), "multipart", 9) == 0)
		note_boundary(ctx, value);
}

/* One GMime parser per thread, kept between messages: GMime compiles the
 * header pattern when it is set, which would otherwise cost more than
 * reading the headers it watches. The callback finds the message being
 * parsed through the slot; an empty stream is the idle parser's input, so
 * no message's input is kept past its parse. */
typedef struct {
	GMimeParser *parser;
	GMimeStream *idle;
	pd_parse_ctx *ctx;
} parser_slot;

static void
on_header_slot(GMimeParser *parser, const char *name, const char *value, gint64 offset, gpointer data)
{
	parser_slot *slot = data;

	if (slot->ctx != NULL)
		on_header(parser, name, value, offset, slot->ctx);
}

static void
slot_free(gpointer data)
{
	parser_slot *slot = data;

	g_object_unref(slot->parser);
	g_object_unref(slot->idle);
	g_free(slot);
}

static GPrivate thread_parser = G_PRIVATE_INIT(slot_free);

GMimeParser *
pd_watch_parser_begin(pd_parse_ctx *ctx, GMimeStream *stream)
{
	parser_slot *slot = g_private_get(&thread_parser);

	if (slot == NULL) {
		slot = g_new0(parser_slot, 1);
		slot->parser = g_mime_parser_new();
		slot->idle = g_mime_stream_mem_new();
		g_mime_parser_set_format(slot->parser, GMIME_FORMAT_MESSAGE);
		/* Part contents stay offsets into the (seekable) input, not copies. */
		g_mime_parser_set_persist_stream(slot->parser, TRUE);
		g_mime_parser_set_header_regex(slot->parser, "^(?i:content-type|content-disposition)$",
		                               on_header_slot, slot);
		g_private_set(&thread_parser, slot);
	}
	/* A parse never starts inside another on the same thread. */
	g_assert(slot->ctx == NULL);
	slot->ctx = ctx;
	ctx->line_start = TRUE;
	g_mime_parser_init_with_stream(slot->parser, stream);
	return slot->parser;
}

void
pd_watch_parser_end(GMimeParser *parser)
{
	parser_slot *slot = g_private_get(&thread_parser);

	g_assert(slot != NULL && slot->parser == parser);
	g_mime_parser_init_with_stream(parser, slot->idle);
	slot->ctx = NULL;
}

/* "--boundary" at the start of a line, not the closing "--boundary--".
 * A boundary line split between two reads is missed: the count stays
 * below the true one, and the walk after the parse has the last word. */
static gboolean
opens_part(const pd_parse_ctx *ctx, const char *p, gsize avail)
{
	if (avail < 3 || p[0] != '-' || p[1] != '-')
		return FALSE;
	for (guint i = 0; ctx->boundaries != NULL && i < ctx->boundaries->len; i++) {
		const char *b = ctx->boundaries->pdata[i];
		gsize n = strlen(b);

		if (avail >= n + 2 && memcmp(p + 2, b, n) == 0)
			return !(avail >= n + 4 && p[n + 2] == '-' && p[n + 3] == '-');
	}
	return FALSE;
}

/* Parts without headers never reach on_header: their boundary lines are
 * counted as the parser reads them. */
void
pd_watch_data(gpointer data, const char *buf, gsize len)
{
	pd_parse_ctx *ctx = data;
	const char *p = buf, *end = buf + len;

	if (ctx->boundaries == NULL) {
		ctx->line_start = buf[len - 1] == '\n';
		return;
	}
	if (!ctx->line_start) {
		p = memchr(p, '\n', len);
		p = p != NULL ? p + 1 : end;
	}
	while (p < end) {
		const char *nl;

		if (opens_part(ctx, p, (gsize)(end - p))) {
			ctx->boundaries_seen++;
			check_parts(ctx);
		}
		nl = memchr(p, '\n', (gsize)(end - p));
		p = nl != NULL ? nl + 1 : end;
	}
	ctx->line_start = buf[len - 1] == '\n';
}

void
pd_watch_clear(pd_parse_ctx *ctx)
{
	if (ctx->boundaries != NULL)
		g_ptr_array_unref(ctx->boundaries);
	ctx->boundaries = NULL;
}
