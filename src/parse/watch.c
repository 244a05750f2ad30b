/* watch.c: limits checked while GMime parses, so a hostile message stops early, before its parts are built. */
#include "parse-private.h"

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

/* Each Content-Type field and each delimiter line that opens a part
 * stands for a part; the message itself is one more. Neither count
 * exceeds the walk's, so no good mail is cut. */
void
pd_watch_census(gpointer data, const pd_mime_census *census)
{
	pd_parse_ctx *ctx = data;
	const pd_parse_limits *lim = &ctx->opts->limits;

	if (lim->max_mime_parameters > 0 && census->params > lim->max_mime_parameters)
		pd_parse_limit(ctx, "parameters in one header field", lim->max_mime_parameters,
		               "max_mime_parameters");
	else if (lim->max_mime_parts > 0 &&
	         (census->types > lim->max_mime_parts || census->parts + 1 > lim->max_mime_parts))
		pd_parse_limit(ctx, "MIME parts", lim->max_mime_parts, "max_mime_parts");
}

/* One GMime parser per thread, kept between messages: making one is a
 * good part of a small message's cost. An empty stream is the idle
 * parser's input, so no message's input is kept past its parse. */
typedef struct {
	GMimeParser *parser;
	GMimeStream *idle;
	gboolean busy;
} parser_slot;

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

	(void)ctx;
	if (slot == NULL) {
		slot = g_new0(parser_slot, 1);
		slot->parser = g_mime_parser_new();
		slot->idle = g_mime_stream_mem_new();
		g_mime_parser_set_format(slot->parser, GMIME_FORMAT_MESSAGE);
		/* Part contents stay offsets into the (seekable) input, not copies. */
		g_mime_parser_set_persist_stream(slot->parser, TRUE);
		g_private_set(&thread_parser, slot);
	}
	/* A parse never starts inside another on the same thread. */
	g_assert(!slot->busy);
	slot->busy = TRUE;
	g_mime_parser_init_with_stream(slot->parser, stream);
	return slot->parser;
}

void
pd_watch_parser_end(GMimeParser *parser)
{
	parser_slot *slot = g_private_get(&thread_parser);

	g_assert(slot != NULL && slot->parser == parser);
	g_mime_parser_init_with_stream(parser, slot->idle);
	slot->busy = FALSE;
}
