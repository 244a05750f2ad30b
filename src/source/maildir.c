/* maildir.c: reading a Maildir's new/ in batches, and moving each message to cur/ after its commit. */
#include "config.h"
#include "maildir.h"
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The names in new/, oldest first (Maildir names start with the delivery time). */
static GPtrArray *
list_new(const char *newdir, GError **error)
{
	GError *e = NULL;
	GDir *dir = g_dir_open(newdir, 0, &e);
	if (dir == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "cannot read %s: %s", newdir, e->message);
		g_error_free(e);
		return NULL;
	}
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(dir)) != NULL)
		if (name[0] != '.')
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(dir);
	return names;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The unique part of a Maildir name: everything before the ":2," info. */
static char *
unique_name(const char *name)
{
	const char *colon = strchr(name, ':');
	return colon != NULL ? g_strndup(name, (gsize)(colon - name)) : g_strdup(name);
}

/* Acknowledge: new/NAME -> cur/UNIQUE:2,S. A failure here is harmless (the
 * next run finds the message again and its dedupe key makes it a no-op),
 * but it is logged, since a message stuck in new/ is worth knowing about. */
static void
acknowledge(const pd_maildir_source *src, const char *name)
{
	char *unique = unique_name(name);
	char *from = g_build_filename(src->path, "new", name, NULL);
	char *base = g_strdup_printf("%s:2,S", unique);
	char *to = g_build_filename(src->path, "cur", base, NULL);
	if (rename(from, to) != 0 && errno != ENOENT)
		g_warning("%s: cannot move %s to cur/: %s; it will be seen again (as a duplicate)",
		          src->name, name, g_strerror(errno));
	g_free(unique);
	g_free(from);
	g_free(base);
	g_free(to);
}

static void
count(pd_ingest_stats *stats, const pd_ingest_item *it)
{
	if (stats == NULL)
		return;
	switch (it->outcome) {
	case PD_INGEST_CREATED: stats->created++; break;
	case PD_INGEST_DUPLICATE: stats->duplicates++; break;
	case PD_INGEST_QUARANTINED: stats->quarantined++; break;
	case PD_INGEST_DROPPED: stats->dropped++; break;
	default: stats->skipped++; break;
	}
	stats->bytes += it->size;
	if (stats->latency_us != NULL && it->outcome != PD_INGEST_SKIPPED) {
		gint64 lat = it->finished - it->started;
		g_array_append_val(stats->latency_us, lat);
	}
}

static pd_result
process_batch(pd_ingest *ing, const pd_maildir_source *src, char **names, guint n,
              pd_ingest_report_fn report, gpointer report_data, pd_ingest_stats *stats, GError **error)
{
	pd_ingest_item *items = g_new0(pd_ingest_item, n);
	char **paths = g_new0(char *, n + 1);
	char **keys = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++) {
		paths[i] = g_build_filename(src->path, "new", names[i], NULL);
		keys[i] = unique_name(names[i]);
		items[i] = (pd_ingest_item){ .path = paths[i], .fd = -1, .source = src->name,
		                             .source_key = keys[i], .queue = src->queue };
	}
	pd_result res = pd_ingest_run(ing, items, n, error);
	for (guint i = 0; res == PD_OK && i < n; i++) {
		if (items[i].outcome != PD_INGEST_SKIPPED)
			acknowledge(src, names[i]);
		count(stats, &items[i]);
		if (report != NULL)
			report(&items[i], report_data);
	}
	for (guint i = 0; i < n; i++)
		pd_ingest_item_clear(&items[i]);
	g_free(items);
	g_strfreev(paths);
	g_strfreev(keys);
	return res;
}

pd_result
pd_maildir_process(pd_ingest *ing, const pd_maildir_source *src, guint batch_size,
                   pd_ingest_report_fn report, gpointer report_data,
                   pd_ingest_stats *stats, volatile int *stop, GError **error)
{
	char *newdir = g_build_filename(src->path, "new", NULL);
	GPtrArray *names = list_new(newdir, error);
	g_free(newdir);
	if (names == NULL)
		return PD_DEFER;
	g_ptr_array_sort(names, compare_names);
	pd_result res = PD_OK;
	for (guint i = 0; res == PD_OK && i < names->len && (stop == NULL || !*stop); i += batch_size) {
		guint n = MIN(batch_size, names->len - i);
		res = process_batch(ing, src, (char **)names->pdata + i, n, report, report_data, stats, error);
	}
	g_ptr_array_unref(names);
	return res;
}
