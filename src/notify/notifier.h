/* notifier.h: delivering due outbox jobs through a transport, with retries, backoff and a dead-letter state. */
#ifndef PD_NOTIFIER_H
#define PD_NOTIFIER_H

#include <glib.h>
#include "store/store.h"
#include "notify.h"

typedef enum { PD_DELIVERY_SENT, PD_DELIVERY_RETRY, PD_DELIVERY_FAILED } pd_delivery_status;

/* What a transport says about one job. */
typedef struct {
	pd_delivery_status status;
	char *reply;            /* the server's reply or the failure reason */
	GVariant *rcpt_state;   /* a{ss} recipient -> "sent" | "failed: ..." | "retry: ...", or NULL */
} pd_delivery;

typedef struct {
	void (*send)(gpointer self, const pd_job *job, pd_delivery *out);
	void (*free)(gpointer self);
	gpointer self;
} pd_transport;

/* Writes each message into a Maildir's new/ (for a desk with no SMTP server). */
pd_transport pd_transport_maildir(const char *maildir);

/* Sends over SMTP, one connection reused across jobs; a retry goes only to
 * the recipients not yet delivered or refused. */
#include "smtp.h"
pd_transport pd_transport_smtp(const pd_smtp_options *opts);

typedef struct {
	gint64 retry_min_us;    /* first retry delay; doubles each time */
	gint64 retry_max_us;    /* the longest delay between tries */
	gint64 retry_for_us;    /* after this long since creation, a job is dead */
} pd_retry_policy;

typedef struct pd_notifier pd_notifier;

/* Takes ownership of the transport; notify (borrowed) renders jobs. */
pd_notifier *pd_notifier_new(pd_store *store, pd_notify *notify, pd_transport transport,
                             const pd_retry_policy *policy);
void pd_notifier_free(pd_notifier **n);

/* Deliver every job due at now; returns how many were tried. FALSE with an
 * error if the store failed (the jobs stay queued). */
gboolean pd_notifier_run(pd_notifier *n, gint64 now, guint *tried_r, GError **error);

/* The delay before attempt number attempts+1 (jitter of up to 10 % added). */
gint64 pd_retry_delay(const pd_retry_policy *p, guint attempts);

/* Queue a failed, dead or queued job again for now (one that never
 * rendered is rendered again: the template may have been fixed). */
gboolean pd_notifier_retry(pd_store *store, guint64 job, GError **error);

#endif
