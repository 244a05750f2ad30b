/* conversation.h: a mail's place in a conversation: a new ticket, a linked one, or a follow-up that moves the lifecycle. */
#ifndef PD_CONVERSATION_H
#define PD_CONVERSATION_H

#include <glib.h>
#include "store/store.h"
#include "parse/parse.h"
#include "notify/notify.h"
#include "thread/thread.h"
#include "rules/rules.h"
#include "sla/sla.h"

typedef struct {
	pd_notify *notify;                  /* may be NULL: no notifications */
	const pd_thread_ctx *thread;        /* may be NULL: every mail opens a ticket */
	const pd_agents *agents;            /* may be NULL */
	guint max_watchers;
	const char *closed_reply;           /* "new-ticket" or "reopen" */
	GHashTable *closed_reply_by_queue;  /* queue -> policy, may be NULL */
	const char *const *trusted_authserv_ids;  /* Authentication-Results we believe (our MTA) */
	const pd_sla *sla;                  /* may be NULL: no SLA clocks or lifecycle timers */
} pd_conversation;

typedef struct {
	const pd_message *msg;
	GVariant *data;          /* a{sv} for the mail's event (message, spool, source) */
	const char *queue;       /* for a new ticket */
	const char *source;
	const char *raw_path;    /* the spooled raw mail (for Authentication-Results), or NULL */
	const pd_decision *decision;  /* the routing rules' decision, or NULL */
	const char *language;    /* the requester's language, found before the transaction, or NULL */
	/* out */
	guint64 ticket;
	guint32 seq;
	gboolean created;        /* a new ticket, else a follow-up */
	char *what;              /* one line for the summary; caller frees */
} pd_conv_mail;

/* Put the mail where it belongs, inside the caller's transaction. */
gboolean pd_conversation_take(pd_txn *txn, const pd_conversation *conv, pd_conv_mail *m, GError **error);

#endif
