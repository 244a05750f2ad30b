/* store.h: the ticket store: one transactional Berkeley DB environment, its records and indices. */
#ifndef PD_STORE_H
#define PD_STORE_H

#include <glib.h>
#include "spool.h"

typedef struct pd_store pd_store;
typedef struct pd_txn pd_txn;

typedef struct {
	guint64 cache_bytes;        /* BDB cache */
	guint deadlock_retries;     /* attempts of one transaction before giving up */
	gboolean log_auto_remove;   /* remove log files no longer needed for recovery */
	guint64 first_ticket_id;    /* first value of the ticket id sequence */
} pd_store_options;

void pd_store_options_init(pd_store_options *opts);

/* Open (creating if needed, recovering after a crash) the environment in dir.
 * Every process opens with DB_REGISTER, so recovery runs only when no other
 * process uses the environment. Errors are PD_ERROR_TEMPORARY. */
pd_store *pd_store_open(const char *dir, const pd_store_options *opts, GError **error);
void pd_store_close(pd_store **store);
pd_spool *pd_store_spool(pd_store *store);
const char *pd_store_dir(const pd_store *store);
gboolean pd_store_checkpoint(pd_store *store, GError **error);

/* A unit of work. fn runs inside a transaction that commits durably when it
 * returns TRUE and aborts when it returns FALSE. On a deadlock the whole
 * transaction is aborted and fn runs again from the start, so fn must have
 * no effects outside the transaction. */
typedef gboolean (*pd_txn_fn)(pd_txn *txn, gpointer data, GError **error);
gboolean pd_store_run(pd_store *store, pd_txn_fn fn, gpointer data, GError **error);
pd_store *pd_txn_store(pd_txn *txn);
/* How many transactions were retried after a deadlock (for tests and stats). */
guint pd_store_deadlock_count(const pd_store *store);

/* ---- tickets ---- */

typedef struct {
	guint64 id;
	char *status;          /* new, open, pending, resolved, closed */
	char *subject;
	char *requester;       /* lowercased address: the index key */
	char *requester_name;  /* may be NULL */
	char *queue;
	char *priority;
	char *source;          /* where the first mail came from */
	gint64 created;        /* microseconds since the epoch */
	gint64 updated;
	guint32 nevents;       /* events appended so far; the last event's seq */
	char *assignee;        /* an agent's address, or NULL */
	char **tags;           /* NULL-terminated, never NULL */
	char **watchers;       /* lower-case addresses told of replies (Cc of the first mail), never NULL */
	GArray *links;         /* guint64: related tickets (split from, hijack attempts, merges) */
	char *language;        /* the requester's language for notifications, or NULL */
	guint64 merged_into;   /* 0, or the ticket this one was merged into */
	GVariant *extra;       /* a{sv}: fields this version does not know, kept as they are */
} pd_ticket;

pd_ticket *pd_ticket_new(void);
void pd_ticket_free(pd_ticket **ticket);
/* Helpers for the list fields. */
gboolean pd_ticket_has_tag(const pd_ticket *t, const char *tag);
gboolean pd_strv_add(char ***strv, const char *value);     /* FALSE if already there */
gboolean pd_strv_remove(char ***strv, const char *value);  /* FALSE if not there */
void pd_ticket_link(pd_ticket *t, guint64 other);

/* Give the ticket the next id and store it. */
gboolean pd_ticket_create(pd_txn *txn, pd_ticket *ticket, GError **error);
/* Only give it the next id: for a caller that stores it once at the end. */
gboolean pd_ticket_new_id(pd_txn *txn, pd_ticket *ticket, GError **error);
gboolean pd_ticket_put(pd_txn *txn, const pd_ticket *ticket, GError **error);
/* NULL with PD_ERROR_NOT_FOUND if there is no such ticket. for_update takes
 * the write lock now (fewer deadlocks when the ticket is written next). */
pd_ticket *pd_ticket_get(pd_txn *txn, guint64 id, gboolean for_update, GError **error);

/* Visit tickets in id order, optionally only those with a status and/or a
 * requester (through the secondary indices). visit returns FALSE to stop. */
typedef gboolean (*pd_ticket_visit)(const pd_ticket *ticket, gpointer data);
gboolean pd_tickets_foreach(pd_txn *txn, const char *status, const char *requester,
                            pd_ticket_visit visit, gpointer data, GError **error);
/* Read a record's serialized a{sv} in place, building no GVariant: for a
 * report over every ticket, where GVariant's per-child objects cost
 * seconds. Every offset is checked; damage reads as a missing field. */
typedef struct {
	const guint8 *data;
	gsize size;
} pd_view;
/* The value under key if it has exactly this type ("s", "x", "as", "a{sv}", ...). */
gboolean pd_view_lookup(const pd_view *dict, const char *key, const char *type, pd_view *value_r);
const char *pd_view_string(const pd_view *v);       /* NULL if it is not one */
gboolean pd_view_int64(const pd_view *v, gint64 *x_r);
/* Arrays of variable-size elements ("as": align 1; "a{sv}": align 8). */
gsize pd_view_n_children(const pd_view *array);
gboolean pd_view_child(const pd_view *array, gsize i, gsize align, pd_view *child_r);

/* Visit every ticket record as stored (the a{sv} of pd_ticket_to_variant
 * and the open fields), in id order, without decoding it; the view is
 * valid only during the call. visit returns FALSE to stop. */
typedef gboolean (*pd_record_visit)(const pd_view *record, gpointer data);
gboolean pd_ticket_records_foreach(pd_txn *txn, pd_record_visit visit, gpointer data, GError **error);

/* ---- events: the audit log ---- */

typedef struct {
	guint64 ticket;
	guint32 seq;
	char *type;      /* created, reply, status, ... */
	gint64 time;     /* microseconds */
	char *actor;     /* an address, or "system" */
	GVariant *data;  /* a{sv}: what happened (old/new values, the message, ...) */
} pd_event;

void pd_event_free(pd_event **event);

/* Append an event to the ticket's log and bump ticket->nevents and updated;
 * the caller stores the ticket afterwards. data (a{sv}) is consumed if floating.
 * The transaction's event hook, if any, is told of the event before this
 * returns (and may change the ticket). */
gboolean pd_event_append(pd_txn *txn, pd_ticket *ticket, const char *type, const char *actor,
                         GVariant *data, guint32 *seq_r, GError **error);
/* One event; NULL with PD_ERROR_NOT_FOUND if there is none. */
pd_event *pd_event_get(pd_txn *txn, guint64 ticket, guint32 seq, GError **error);
/* All events of a ticket, in order (a GPtrArray of pd_event* that frees them). */
GPtrArray *pd_events_list(pd_txn *txn, guint64 ticket, GError **error);

/* Told of each event appended in the transaction, after it is written: the
 * SLA clock follows the log this way. It may change the ticket (which the
 * caller stores) and write in the transaction; FALSE fails the append.
 * Set it at the start of each run of a pd_txn_fn (a retry starts afresh). */
typedef gboolean (*pd_event_hook)(pd_txn *txn, pd_ticket *ticket, const pd_event *event, gpointer data,
                                  GError **error);
void pd_txn_set_event_hook(pd_txn *txn, pd_event_hook hook, gpointer data);

/* ---- timers: when a ticket next needs the scheduler ---- */

/* Move the ticket's timer from old_when to new_when (microseconds; 0: none). */
gboolean pd_timer_move(pd_txn *txn, guint64 ticket, gint64 old_when, gint64 new_when, GError **error);
/* Timers at or before now, earliest first. visit returns FALSE to stop. */
typedef gboolean (*pd_timer_visit)(guint64 ticket, gint64 when, gpointer data);
gboolean pd_timers_foreach_due(pd_txn *txn, gint64 now, pd_timer_visit visit, gpointer data, GError **error);

/* ---- dedupe keys and Message-IDs ---- */

/* A dedupe key maps to what became of the mail (a{sv}: ticket, event, spool or quarantine). */
gboolean pd_dedupe_lookup(pd_txn *txn, const char *key, GVariant **value_r, GError **error);
gboolean pd_dedupe_put(pd_txn *txn, const char *key, GVariant *value, GError **error);
gboolean pd_dedupe_delete(pd_txn *txn, const char *key, GError **error);

/* The first mail with a Message-ID wins; later ones keep the first mapping. */
gboolean pd_msgid_put(pd_txn *txn, const char *msgid, guint64 ticket, guint32 seq, GError **error);
gboolean pd_msgid_lookup(pd_txn *txn, const char *msgid, guint64 *ticket_r, guint32 *seq_r,
                         GError **error);

/* ---- quarantine ---- */

typedef struct {
	guint64 id;
	char *cause;      /* pd_cause_name(): "too-large", "no-sender", ... */
	char *reason;     /* for people */
	char *spool;      /* spool-relative path of the raw message */
	gint64 time;      /* microseconds */
	char *source;
	guint64 size;
	char *subject;    /* what could be read, for the listing; may be NULL */
	char *from;
	char **keys;      /* the dedupe keys recorded for it (NULL-terminated) */
} pd_quarantine;

pd_quarantine *pd_quarantine_new(void);
pd_quarantine *pd_quarantine_copy(const pd_quarantine *q);
void pd_quarantine_free(pd_quarantine **q);
gboolean pd_quarantine_add(pd_txn *txn, pd_quarantine *q, GError **error);
pd_quarantine *pd_quarantine_get(pd_txn *txn, guint64 id, GError **error);
gboolean pd_quarantine_delete(pd_txn *txn, guint64 id, GError **error);
typedef gboolean (*pd_quarantine_visit)(const pd_quarantine *q, gpointer data);
gboolean pd_quarantine_foreach(pd_txn *txn, pd_quarantine_visit visit, gpointer data, GError **error);

/* ---- outbox: notifications, written in the transaction that causes them ---- */

typedef enum {
	PD_JOB_QUEUED,     /* waiting for its next try */
	PD_JOB_SENT,       /* every recipient accepted it */
	PD_JOB_FAILED,     /* permanent: a 5xx, or it could not be rendered; see reply */
	PD_JOB_DEAD,       /* retried until the retry period ran out */
} pd_job_state;

const char *pd_job_state_name(pd_job_state state);

typedef struct {
	guint64 id;
	guint64 ticket;        /* 0 if not about a ticket */
	guint32 seq;           /* the event that caused it */
	char *kind;            /* template name: ticket-created, agent-reply, ... */
	char *mail_from;       /* envelope sender */
	char **rcpts;          /* envelope recipients (NULL-terminated) */
	char *message_id;      /* of the composed message */
	GVariant *spec;        /* a{sv}: what to render (template context, recipient name,
	                        * threading headers), fixed when the change commits */
	GBytes *data;          /* the composed message, CRLF; NULL until first rendered */
	pd_job_state state;
	guint attempts;
	gint64 created;        /* microseconds */
	gint64 next_try;       /* microseconds; meaningful while QUEUED */
	char *last_reply;      /* the last server reply or failure reason */
	GVariant *rcpt_state;  /* a{ss}: recipient -> "sent" | "failed: reply" (may be NULL) */
} pd_job;

pd_job *pd_job_new(void);
pd_job *pd_job_copy(const pd_job *job);
void pd_job_free(pd_job **job);
/* Give the job the next id and store it. */
gboolean pd_job_add(pd_txn *txn, pd_job *job, GError **error);
gboolean pd_job_put(pd_txn *txn, const pd_job *job, GError **error);
pd_job *pd_job_get(pd_txn *txn, guint64 id, gboolean for_update, GError **error);
/* Queued jobs whose next try is at or before now, oldest due first. */
typedef gboolean (*pd_job_visit)(const pd_job *job, gpointer data);
gboolean pd_jobs_foreach_due(pd_txn *txn, gint64 now, pd_job_visit visit, gpointer data, GError **error);
/* Every job in id order. */
gboolean pd_jobs_foreach(pd_txn *txn, pd_job_visit visit, gpointer data, GError **error);
GVariant *pd_job_to_variant(const pd_job *job, gboolean with_data);

/* ---- counters: sliding-window rate limits, kept in the same transactions ---- */

/* Count an event for key at now and return how many fall within the last
 * window_us, including this one (pass count = FALSE to only read). */
gboolean pd_rate_hit(pd_txn *txn, const char *key, gint64 now, gint64 window_us, gboolean count,
                     guint *hits_r, GError **error);
/* The same for two windows at once (one read, and one write when counting). */
gboolean pd_rate_hit2(pd_txn *txn, const char *key, gint64 now, gint64 window1_us, gint64 window2_us,
                      gboolean count, guint *hits1_r, guint *hits2_r, GError **error);

/* ---- records as GVariant a{sv}, for JSON output ---- */
GVariant *pd_ticket_to_variant(const pd_ticket *ticket);
GVariant *pd_event_to_variant(const pd_event *event);
GVariant *pd_quarantine_to_variant(const pd_quarantine *q);

#endif
