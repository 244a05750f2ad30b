/* maildir.c: reading a Maildir's new/ in batches, and moving each message to cur/ after its commit. */
#include "config.h"
#include "maildir.h"
#include "fsutil.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

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
	case PD_INGEST_FOLLOWUP: stats->followups++; break;
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

/* One batch of names on its way through the pipeline. */
typedef struct {
	pd_ingest *ing;
	char **names;            /* borrowed from the listing */
	guint n;
	pd_ingest_item *items;
	char **paths, **keys;
	pd_ingest_batch *prepared;
	GError *error;
} chunk;

static chunk *
chunk_new(pd_ingest *ing, const pd_maildir_source *src, char **names, guint n)
{
	chunk *c = g_new0(chunk, 1);
	c->ing = ing;
	c->names = names;
	c->n = n;
	c->items = g_new0(pd_ingest_item, n);
	c->paths = g_new0(char *, n + 1);
	c->keys = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++) {
		c->paths[i] = g_build_filename(src->path, "new", names[i], NULL);
		c->keys[i] = unique_name(names[i]);
		c->items[i] = (pd_ingest_item){ .path = c->paths[i], .fd = -1, .source = src->name,
		                                .source_key = c->keys[i], .queue = src->queue };
	}
	return c;
}

static void
chunk_free(chunk *c)
{
	if (c == NULL)
		return;
	pd_ingest_batch_free(&c->prepared);
	for (guint i = 0; i < c->n; i++)
		pd_ingest_item_clear(&c->items[i]);
	g_free(c->items);
	g_strfreev(c->paths);
	g_strfreev(c->keys);
	g_clear_error(&c->error);
	g_free(c);
}

static gpointer
prepare_chunk(gpointer data)
{
	chunk *c = data;
	c->prepared = pd_ingest_prepare(c->ing, c->items, c->n, &c->error);
	return NULL;
}

/* Commit a prepared chunk, then acknowledge and report each message. */
static pd_result
commit_chunk(const pd_maildir_source *src, chunk *c, pd_ingest_report_fn report, gpointer report_data,
             pd_ingest_stats *stats, GError **error)
{
	if (c->prepared == NULL) {
		g_propagate_error(error, g_steal_pointer(&c->error));
		return PD_DEFER;
	}
	pd_result res = pd_ingest_commit(c->prepared, error);
	for (guint i = 0; res == PD_OK && i < c->n; i++) {
		if (c->items[i].outcome != PD_INGEST_SKIPPED)
			acknowledge(src, c->names[i]);
		count(stats, &c->items[i]);
		if (report != NULL)
			report(&c->items[i], report_data);
	}
	return res;
}

/* Batches go through a two-stage pipeline: while one batch commits (and
 * waits for its log to reach the disk), a worker thread stages and parses
 * the next, so both cores work. Nothing is acknowledged before its commit. */
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
	char **all = (char **)names->pdata;
	guint total = names->len, next_at = MIN(batch_size, total);
	chunk *cur = total > 0 ? chunk_new(ing, src, all, next_at) : NULL;
	if (cur != NULL)
		prepare_chunk(cur);
	pd_result res = PD_OK;
	while (cur != NULL) {
		chunk *next = NULL;
		GThread *worker = NULL;
		if (next_at < total && (stop == NULL || !*stop)) {
			guint n = MIN(batch_size, total - next_at);
			next = chunk_new(ing, src, all + next_at, n);
			next_at += n;
			worker = g_thread_new("prepare", prepare_chunk, next);
		}
		res = commit_chunk(src, cur, report, report_data, stats, error);
		if (worker != NULL)
			g_thread_join(worker);
		chunk_free(cur);
		cur = next;
		if (res != PD_OK)
			break;
	}
	chunk_free(cur);
	g_ptr_array_unref(names);
	return res;
}

/* ---- watching new/ ---- */

struct pd_maildir_watch {
	int fd;   /* inotify */
};

pd_maildir_watch *
pd_maildir_watch_new(const char *path, GError **error)
{
	char *newdir = g_build_filename(path, "new", NULL);
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* A delivery writes into tmp/ and renames into new/ (MOVED_TO); some
	 * write in place (CLOSE_WRITE). */
	if (fd < 0 || inotify_add_watch(fd, newdir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		int e = errno;
		g_set_error(error, PD_ERROR, e == ENOSPC || e == EMFILE ? PD_ERROR_TEMPORARY : PD_ERROR_PERMANENT,
		            "cannot watch %s: %s", newdir, g_strerror(e));
		if (fd >= 0)
			close(fd);
		g_free(newdir);
		return NULL;
	}
	g_free(newdir);
	pd_maildir_watch *w = g_new0(pd_maildir_watch, 1);
	w->fd = fd;
	return w;
}

gboolean
pd_maildir_watch_wait(pd_maildir_watch *w, int wake_fd, gint64 timeout_ms)
{
	struct pollfd p[2] = { { w->fd, POLLIN, 0 }, { wake_fd, POLLIN, 0 } };
	int r;
	do
		r = poll(p, wake_fd >= 0 ? 2 : 1, (int)MIN(timeout_ms, G_MAXINT));
	while (r < 0 && errno == EINTR);
	if (r <= 0 || p[0].revents == 0)
		return FALSE;
	/* The events only say "look again": drain them all. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(w->fd, buf, sizeof buf) > 0)
		;
	return TRUE;
}

void
pd_maildir_watch_free(pd_maildir_watch **watch)
{
	if (*watch == NULL)
		return;
	close((*watch)->fd);
	g_clear_pointer(watch, g_free);
}
