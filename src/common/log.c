/* log.c: a plain stderr log writer for GLib's logging: one line per record, level-filtered. */
#include "config.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static char *prog_name;
static GLogLevelFlags threshold = G_LOG_LEVEL_INFO;

static GLogLevelFlags
level_from_name(const char *name)
{
	if (g_strcmp0(name, "debug") == 0)
		return G_LOG_LEVEL_DEBUG;
	if (g_strcmp0(name, "warning") == 0)
		return G_LOG_LEVEL_WARNING;
	if (g_strcmp0(name, "error") == 0)
		return G_LOG_LEVEL_CRITICAL;
	return G_LOG_LEVEL_INFO;
}

static const char *
level_name(GLogLevelFlags level)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return "error";
	if (level & G_LOG_LEVEL_WARNING)
		return "warning";
	if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return "info";
	return "debug";
}

/* GLib's levels are bits with the most severe lowest; MESSAGE counts as INFO. */
static gboolean
enabled(GLogLevelFlags level)
{
	GLogLevelFlags l = level & G_LOG_LEVEL_MASK;
	if (l & G_LOG_LEVEL_MESSAGE)
		l = G_LOG_LEVEL_INFO;
	return l <= threshold;
}

static GLogWriterOutput
writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
	if (!enabled(level))
		return G_LOG_WRITER_HANDLED;
	const char *msg = NULL;
	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0)
			msg = fields[i].value;
	fprintf(stderr, "%s: %s: %s\n", prog_name != NULL ? prog_name : "postdesk", level_name(level),
	        msg != NULL ? msg : "");
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

void
pd_log_set_level(const char *level)
{
	threshold = level_from_name(level);
}

void
pd_log_init(const char *program, const char *level)
{
	g_free(prog_name);
	prog_name = g_strdup(program);
	pd_log_set_level(level);
	g_log_set_writer_func(writer, NULL, NULL);
}
