/* source-private.h: what the kinds of source share: their settings, waiting, the ledger, committing fetched mail. */
#ifndef PD_SOURCE_PRIVATE_H
#define PD_SOURCE_PRIVATE_H

#include "source/source.h"

/* ---- settings of an IMAP or POP3 source (owned copies) ---- */

typedef enum { PD_AUTH_AUTO, PD_AUTH_PLAIN, PD_AUTH_LOGIN } pd_auth;

typedef struct {
	char *name;          /* the source name: part of every message's ledger key */
	char *host;
	guint16 port;
	gboolean implicit_tls;   /* else STARTTLS / STLS */
	char *ca_file;       /* NULL: the system's CAs */
	char *user;
	char *password;
	pd_auth auth;
	char *folder;        /* IMAP */
	char *move_to;       /* IMAP: NULL to leave messages in the folder */
	gboolean mark_seen;  /* IMAP */
	gboolean keep;       /* POP3: no DELE */
	gboolean idle;       /* IMAP: use IDLE when the server has it */
	gint64 heartbeat_ms; /* IMAP: longest IDLE before a NOOP */
	gint64 timeout_ms;   /* longest wait for the server */
	char *queue;
} pd_remote_conf;

/* ---- waiting: an eventfd that another thread can wake ---- */

typedef struct {
	int fd;
} pd_waker;

typedef enum { PD_WAIT_TIMEOUT, PD_WAIT_READY, PD_WAIT_WOKEN } pd_wait;

gboolean pd_waker_init(pd_waker *w, GError **error);
void pd_waker_clear(pd_waker *w);
void pd_waker_wake(pd_waker *w);
/* Until fd (if >= 0) is readable, the waker is woken, or timeout_ms pass
 * (< 0: no timeout). A wake is consumed by the wait that sees it. */
pd_wait pd_waker_wait(pd_waker *w, int fd, gint64 timeout_ms);

/* What a running source is told (where to wait, whether to stop) and what
 * it remembers from one connection to the next. */
typedef struct {
	pd_waker *waker;
	const gint *stop;        /* read with g_atomic_int_get */
	guint32 uidvalidity;     /* IMAP: of the folder when last selected, 0 before */
	guint32 high_uid;        /* IMAP: highest UID taken under that UIDVALIDITY */
} pd_source_ctl;

gboolean pd_source_ctl_stopped(const pd_source_ctl *ctl);

/* ---- the ledger: the dedupe keys the pipeline records for source keys ---- */

/* Which of these source keys (as given in pd_ingest_item.source_key) are
 * recorded already, i.e. committed before though maybe not acknowledged:
 * known[i] is set for each. */
gboolean pd_ledger_lookup(pd_store *store, const char *source, char *const *keys, guint n, gboolean *known,
                          GError **error);

/* ---- fetched mail into one commit ---- */

/* Commit items (data, source, source_key and queue set) as one batch and
 * report each. PD_OK: every item has its outcome and may be acknowledged. */
pd_result pd_source_commit(const pd_source_env *env, pd_ingest_item *items, guint n, GError **error);
/* The part after the commit: report each item, wake the notifier if
 * tickets changed (for a source that commits with pd_ingest_commit). */
void pd_source_report(const pd_source_env *env, const pd_ingest_item *items, guint n);

/* Human-readable delay ("500 ms", "30 s", "5 min") for log lines; caller frees. */
char *pd_format_delay(gint64 ms);

#endif
