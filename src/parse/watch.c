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
