/* source.h: a mail source of any kind (Maildir, IMAP, POP3): one pass for --once, or a loop in its own thread. */
#ifndef PD_SOURCE_H
#define PD_SOURCE_H

#include <glib.h>
#include "pd.h"
#include "config/conf.h"
#include "store/store.h"
#include "ingest/ingest.h"
#include "source/maildir.h"

/* What the sources of one configuration share; borrowed, and unchanged
 * while sources run (a reload stops them before replacing it). */
typedef struct {
	pd_ingest *ingest;
	pd_store *store;              /* the ledger: which messages are recorded already */
	guint batch_size;             /* messages per commit */
	guint64 max_message_size;     /* limits.max_message_size, checked before fetching */
	gint64 poll_ms;               /* how often to look when nothing tells us of new mail */
	pd_ingest_report_fn report;   /* each message, once its batch has committed */
	gpointer report_data;
	void (*committed)(gpointer data);  /* after a commit that opened or changed tickets */
	gpointer committed_data;
} pd_source_env;

typedef struct pd_source pd_source;

/* The source [source NAME] of cfg (valid config assumed). NULL with a
 * CONFIG error if it cannot be set up (an unreadable password file). The
 * source keeps its own copy of what it needs from cfg. */
pd_source *pd_source_new(const pd_config *cfg, const char *name, GError **error);
void pd_source_free(pd_source **source);
const char *pd_source_name(const pd_source *source);

/* Take what the source holds now and return: PD_DEFER with an error on
 * trouble (the mail stays where it is). */
pd_result pd_source_run_once(pd_source *source, const pd_source_env *env, GError **error);

/* Run until pd_source_stop: wait for mail (IDLE, inotify, or polling), take
 * it, and after trouble log it and try again with a growing delay. */
void pd_source_run(pd_source *source, const pd_source_env *env);

/* From another thread: finish the batch in hand, then return from
 * pd_source_run (or stop a pass of pd_source_run_once early). */
void pd_source_stop(pd_source *source);

#endif
