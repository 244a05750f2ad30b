/* thread.h: which ticket a mail belongs to, and why: reply token, our Message-ID, a known Message-ID, the subject tag. */
#ifndef PD_THREAD_H
#define PD_THREAD_H

#include <glib.h>
#include "store/store.h"
#include "parse/parse.h"
#include "notify/token.h"
#include "config/agents.h"

typedef struct {
	const pd_secret *secret;
	const char *const *desk_addresses;  /* the addresses reply tokens are built on */
	const char *tag;                    /* the subject tag word: "[tag #N]" */
	const pd_agents *agents;
} pd_thread_ctx;

typedef enum {
	PD_THREAD_NEW,        /* a new conversation */
	PD_THREAD_FOLLOWUP,   /* belongs to ticket */
	PD_THREAD_LINKED,     /* names ticket, but the sender may not add to it: a new linked ticket */
} pd_thread_kind;

typedef struct {
	pd_thread_kind kind;
	guint64 ticket;           /* FOLLOWUP: the ticket; LINKED: the ticket named */
	const char *method;       /* "reply-token", "our-message-id", "known-message-id", "subject-tag", or NULL */
	char *reason;             /* one line, kept with the event */
	gboolean token_for_sender;/* the reply token in the mail was issued to the sender */
} pd_thread_decision;

void pd_thread_decision_clear(pd_thread_decision *d);

/* Is addr (any case) a participant of t: requester, watcher, assignee, or an agent? */
gboolean pd_thread_is_participant(const pd_thread_ctx *ctx, const pd_ticket *t, const char *addr);

/* Decide, in this order: a valid reply token in a recipient address; our
 * own Message-ID in In-Reply-To or References; a known Message-ID of an
 * earlier mail on a ticket; the subject tag. The last two count only when
 * the sender is a participant of that ticket; otherwise the decision is
 * LINKED (a possible hijack). Reads the store; changes nothing. */
gboolean pd_thread_decide(pd_txn *txn, const pd_thread_ctx *ctx, const pd_message *msg,
                          pd_thread_decision *d, GError **error);

/* The ticket number in a subject tag "[tag #N]" (case-insensitive tag), or 0. */
guint64 pd_thread_subject_tag(const char *subject, const char *tag);

#endif
