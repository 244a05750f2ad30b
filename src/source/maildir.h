/* maildir.h: a Maildir as a mail source: new/ in batches, acknowledged into cur/ after the commit. */
#ifndef PD_MAILDIR_H
#define PD_MAILDIR_H

#include <glib.h>
#include "ingest/ingest.h"

typedef struct {
	const char *name;    /* source name, part of each message's dedupe key */
	const char *path;    /* the Maildir (with new/, cur/, tmp/) */
	const char *queue;   /* default queue, or NULL */
} pd_maildir_source;

/* Per-message figures, for logs and benchmarks. */
typedef struct {
	guint created, followups, duplicates, quarantined, dropped, skipped;
	guint64 bytes;
	GArray *latency_us;   /* gint64 per message, if not NULL */
} pd_ingest_stats;

/* Called for each message once its batch has committed (for the log). */
typedef void (*pd_ingest_report_fn)(const pd_ingest_item *item, gpointer data);

/* Process every message now in new/, batch_size at a time: each batch is
 * one commit, and only then are its messages renamed into cur/ with the S
 * flag. Stops early (PD_OK) when *stop becomes non-zero. PD_DEFER with an
 * error on transient trouble: the rest stays in new/ for the next run. */
pd_result pd_maildir_process(pd_ingest *ingest, const pd_maildir_source *src, guint batch_size,
                             pd_ingest_report_fn report, gpointer report_data,
                             pd_ingest_stats *stats, volatile int *stop, GError **error);

/* Watching new/ for deliveries (inotify), so new mail is taken at once. */
typedef struct pd_maildir_watch pd_maildir_watch;

/* NULL with an error if the Maildir's new/ cannot be watched (missing). */
pd_maildir_watch *pd_maildir_watch_new(const char *path, GError **error);
/* Wait until a message lands in new/, timeout_ms pass, or wake_fd (if >= 0)
 * becomes readable (it is not read here). TRUE if something arrived. */
gboolean pd_maildir_watch_wait(pd_maildir_watch *watch, int wake_fd, gint64 timeout_ms);
void pd_maildir_watch_free(pd_maildir_watch **watch);

#endif
