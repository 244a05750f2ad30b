/* ingest.h: one batch of raw mail through spool, parse and one commit, ready to acknowledge. */
#ifndef PD_INGEST_H
#define PD_INGEST_H

#include <glib.h>
#include "pd.h"
#include "store/store.h"
#include "parse/parse.h"
#include "notify/notify.h"
#include "conversation.h"
#include "rules/rules.h"

typedef struct {
	pd_parse_options parse;    /* copied, with its lists, by pd_ingest_new; no sink (the
	                            * pipeline stages attachments in its spool batch) */
	const char *default_queue;
} pd_ingest_options;

typedef enum {
	PD_INGEST_PENDING = 0,   /* not processed (the batch was deferred) */
	PD_INGEST_CREATED,       /* a new ticket */
	PD_INGEST_DUPLICATE,     /* seen before: nothing changed */
	PD_INGEST_QUARANTINED,   /* kept in quarantine with a cause */
	PD_INGEST_SKIPPED,       /* the input vanished before it was read (taken by another reader) */
	PD_INGEST_DROPPED,       /* recorded as seen and deliberately not kept (our own mail coming back) */
	PD_INGEST_FOLLOWUP,      /* added to an existing ticket */
} pd_ingest_outcome;

const char *pd_ingest_outcome_name(pd_ingest_outcome outcome);

typedef struct {
	/* in: exactly one of path, data and fd */
	const char *path;        /* a file to read (a Maildir message) */
	GBytes *data;            /* or the bytes themselves (fetched over IMAP or POP3) */
	int fd;                  /* or a descriptor to read to its end (-1 if path or data) */
	const char *source;      /* source name ("pipe" for the delivery command) */
	const char *source_key;  /* the message's identity in its source, or NULL */
	const char *queue;       /* the source's queue, or NULL for the default */
	/* out */
	pd_ingest_outcome outcome;
	guint64 ticket;          /* CREATED, DUPLICATE of a ticket */
	guint64 quarantine;      /* QUARANTINED, DUPLICATE of a quarantined mail */
	char *summary;           /* one log line for this message; caller frees */
	gint64 started;          /* monotonic microseconds, for latency figures */
	gint64 finished;
	guint64 size;
} pd_ingest_item;

typedef struct pd_ingest pd_ingest;

pd_ingest *pd_ingest_new(pd_store *store, const pd_ingest_options *opts);
/* Notifications for what the pipeline does (borrowed; NULL: none). */
void pd_ingest_set_notify(pd_ingest *ingest, pd_notify *notify);
/* The routing rules (a reference is taken; NULL: none). Safe to call while
 * other threads ingest: batches started before keep the set they began with. */
void pd_ingest_set_rules(pd_ingest *ingest, pd_ruleset *rules);
/* Threading and the ticket lifecycle (borrowed; NULL: every mail opens a ticket). */
void pd_ingest_set_conversation(pd_ingest *ingest, const pd_conversation *conv);
void pd_ingest_free(pd_ingest **ingest);

/* Process items in one transaction. PD_OK: every item has an outcome and
 * its effects are durable, so the caller may acknowledge them. PD_DEFER:
 * nothing may be acknowledged; the error says why. */
pd_result pd_ingest_run(pd_ingest *ingest, pd_ingest_item *items, guint n, GError **error);
void pd_ingest_item_clear(pd_ingest_item *item);

/* The same in two steps, so a source can prepare the next batch while this
 * one commits. prepare stages and parses the items and makes their bytes
 * durable in the spool (NULL with an error: defer them all); commit records
 * them in one transaction. The items must outlive the batch. prepare may run
 * in another thread than commit, one batch at a time per thread. */
typedef struct pd_ingest_batch pd_ingest_batch;
pd_ingest_batch *pd_ingest_prepare(pd_ingest *ingest, pd_ingest_item *items, guint n, GError **error);
pd_result pd_ingest_commit(pd_ingest_batch *batch, GError **error);
void pd_ingest_batch_free(pd_ingest_batch **batch);

/* Release a quarantined message: process its raw bytes again, without the
 * size limit when the cause was the size. The entry is removed when the
 * mail becomes a ticket; if it is quarantined again the entry is updated. */
pd_result pd_ingest_release(pd_ingest *ingest, guint64 quarantine_id, pd_ingest_item *result,
                            GError **error);

#endif
