/* notify.h: which notifications a change causes, rendered and queued in the change's own transaction. */
#ifndef PD_NOTIFY_H
#define PD_NOTIFY_H

#include <glib.h>
#include "store/store.h"
#include "parse/parse.h"
#include "template.h"
#include "token.h"
#include "config/agents.h"

typedef struct {
	char *address;          /* the desk's address: From, and the base of reply tokens */
	char *agents;           /* comma-separated addresses told of new tickets (until agents exist) */
} pd_queue_conf;

typedef struct {
	char *address;          /* support@example.com */
	char *name;             /* display name, "Support" */
	char *domain;           /* for Message-IDs; default: the address's domain */
	char *tag;              /* subject tag: "[tag #id]" */
	char *default_lang;
	char **own_addresses;   /* never send to these (lower case); the desk's own are added */
	guint ack_per_hour, ack_per_day, ticket_per_hour;
	gsize max_output;
	GHashTable *queues;     /* name -> pd_queue_conf* */
} pd_notify_options;

typedef struct pd_notify pd_notify;

/* Takes ownership of templates, secret and opts->queues; the strings of
 * opts must outlive the planner (they come from the config), own_addresses
 * is copied. */
pd_notify *pd_notify_new(const pd_notify_options *opts, pd_templates *templates, pd_secret *secret);
void pd_notify_free(pd_notify **n);
const pd_secret *pd_notify_secret(const pd_notify *n);
const char *pd_notify_address(const pd_notify *n);
const char *pd_notify_domain(const pd_notify *n);

/* Is this an address we must never send to (ours, a mailer daemon, a
 * no-reply address)? why_r (may be NULL) gets a borrowed reason. */
gboolean pd_notify_blocked_address(const pd_notify *n, const char *address, const char **why_r);

/* A ticket was created from msg (event seq): acknowledge the requester and
 * tell the queue's agents, each unless the loop guard says no, in which
 * case a "notification-suppressed" event records why. Call inside the
 * transaction that created the ticket; the ticket is updated (events).
 * The jobs hold what to render, captured now; the notifier renders them. */
gboolean pd_notify_ticket_created(pd_notify *n, pd_txn *txn, pd_ticket *ticket, guint32 seq,
                                  const pd_message *msg, GError **error);
/* The same with the acknowledgement's template chosen by a rule: ack NULL
 * for the usual "ticket-created", "" for none (noreply). */
gboolean pd_notify_ticket_created_with(pd_notify *n, pd_txn *txn, pd_ticket *ticket, guint32 seq,
                                       const pd_message *msg, const char *ack, GError **error);

/* One notification about ticket t caused by event seq: kind is the
 * template, to the recipient; to_requester marks answers to a requester
 * (auto-replied, guarded by the mail's flags and per-address limits).
 * extra_json (may be NULL) is a JSON object merged into the template
 * context ({"change": {...}}). idx numbers the notifications of one event. */
gboolean pd_notify_one(pd_notify *n, pd_txn *txn, pd_ticket *t, guint32 seq, const char *kind,
                       const char *to, const char *to_name, gboolean to_requester, const pd_message *msg,
                       const char *extra_json, guint *idx, GError **error);

/* The agents told of a queue's tickets: the queue's agents in the config
 * and in the agents file (NULL-terminated; free the vector only). */
const char **pd_notify_queue_agents(const pd_notify *n, const char *queue);
/* The language of the desk's templates that a Content-Language or
 * Accept-Language value asks for ("de-AT, en;q=0.8" -> "de" when there are
 * templates in de), or NULL. Borrowed. */
const char *pd_notify_pick_language(const pd_notify *n, const char *value);
void pd_notify_set_agents(pd_notify *n, const pd_agents *agents);

/* Render and compose a queued job that has no message yet (the notifier
 * does this on the first attempt); fills job->data. text is the new text
 * of the mail that caused it (from its event), or NULL. A render error is
 * permanent for this job and names the template and the problem. */
gboolean pd_notify_render_job(pd_notify *n, pd_job *job, const char *text, GError **error);

#endif
