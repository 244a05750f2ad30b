/* thread.c: deciding new ticket or follow-up, with the reason recorded, and refusing strangers on others' tickets. */
#include "config.h"
#include "thread.h"
#include "pd.h"

#include <string.h>

void
pd_thread_decision_clear(pd_thread_decision *d)
{
	g_clear_pointer(&d->reason, g_free);
}

gboolean
pd_thread_is_participant(const pd_thread_ctx *ctx, const pd_ticket *t, const char *addr)
{
	char *a = g_ascii_strdown(addr, -1);
	gboolean yes = g_strcmp0(a, t->requester) == 0 || g_strcmp0(a, t->assignee) == 0 ||
	               g_strv_contains((const char *const *)t->watchers, a) ||
	               pd_agents_find(ctx->agents, a) != NULL;
	g_free(a);
	return yes;
}

guint64
pd_thread_subject_tag(const char *subject, const char *tag)
{
	gsize n = strlen(tag);
	for (const char *p = strchr(subject, '['); p != NULL; p = strchr(p + 1, '[')) {
		if (g_ascii_strncasecmp(p + 1, tag, n) != 0 || p[n + 1] != ' ')
			continue;
		const char *q = p + n + 2;
		while (*q == ' ')
			q++;
		if (*q++ != '#')
			continue;
		char *end;
		guint64 id = g_ascii_strtoull(q, &end, 10);
		if (end != q && *end == ']')
			return id;
	}
	return 0;
}

static const char *
sender(const pd_message *msg)
{
	return msg->from != NULL ? msg->from->addr : "";
}

static void
decide(pd_thread_decision *d, pd_thread_kind kind, guint64 ticket, const char *method, char *reason)
{
	d->kind = kind;
	d->ticket = ticket;
	d->method = method;
	g_free(d->reason);
	d->reason = reason;
}

/* Was token issued for ticket t to one of its people? */
static gboolean
token_of_participant(const pd_thread_ctx *ctx, const pd_ticket *t, const char *token)
{
	if (pd_token_check(ctx->secret, t->id, t->requester, token))
		return TRUE;
	if (t->assignee != NULL && pd_token_check(ctx->secret, t->id, t->assignee, token))
		return TRUE;
	for (int w = 0; t->watchers[w] != NULL; w++)
		if (pd_token_check(ctx->secret, t->id, t->watchers[w], token))
			return TRUE;
	return FALSE;
}

/* Is (ticket, token) valid: issued to the sender, or to a participant? */
static gboolean
check_token(pd_txn *txn, const pd_thread_ctx *ctx, const pd_message *msg, guint64 ticket, const char *token,
            gboolean *mine_r, gboolean *valid_r, GError **error)
{
	*mine_r = pd_token_check(ctx->secret, ticket, sender(msg), token);
	*valid_r = *mine_r;
	if (*mine_r)
		return TRUE;
	GError *e = NULL;
	pd_ticket *t = pd_ticket_get(txn, ticket, FALSE, &e);
	if (t == NULL) {
		gboolean missing = e->code == PD_ERROR_NOT_FOUND;
		if (!missing)
			g_propagate_error(error, e);
		else
			g_error_free(e);
		return missing;
	}
	*valid_r = token_of_participant(ctx, t, token);
	pd_ticket_free(&t);
	return TRUE;
}

/* 1. A reply address with a token: a capability that only our mail handed
 * out. It counts for whoever uses it (the token went to a participant,
 * who may have forwarded it); whether it was issued to the sender matters
 * for commands. */
static gboolean
by_token(pd_txn *txn, const pd_thread_ctx *ctx, const pd_message *msg, pd_thread_decision *d, GError **error)
{
	const GPtrArray *lists[] = { msg->to, msg->cc };
	for (guint l = 0; l < G_N_ELEMENTS(lists); l++)
		for (guint i = 0; i < lists[l]->len; i++) {
			const pd_address *a = lists[l]->pdata[i];
			for (int b = 0; ctx->desk_addresses[b] != NULL; b++) {
				guint64 ticket;
				char *token = NULL;
				gboolean mine = FALSE, valid = FALSE;
				if (!pd_token_parse_address(a->addr, ctx->desk_addresses[b], &ticket, &token))
					continue;
				gboolean ok = check_token(txn, ctx, msg, ticket, token, &mine, &valid, error);
				g_free(token);
				if (!ok)
					return FALSE;
				if (!valid)
					continue;
				d->token_for_sender = mine;
				decide(d, PD_THREAD_FOLLOWUP, ticket, "reply-token",
				       g_strdup_printf("reply token for ticket %" G_GUINT64_FORMAT " in %s%s", ticket, a->addr,
				                       mine ? " (issued to the sender)" : ""));
				return TRUE;
			}
		}
	return TRUE;
}

/* 2. Our own Message-ID in In-Reply-To or References (signed: unforgeable). */
static void
by_our_msgid(const pd_thread_ctx *ctx, const pd_message *msg, pd_thread_decision *d)
{
	guint64 ticket;
	guint32 seq;
	if (msg->in_reply_to != NULL && pd_msgid_check(ctx->secret, msg->in_reply_to, &ticket, &seq)) {
		decide(d, PD_THREAD_FOLLOWUP, ticket, "our-message-id",
		       g_strdup_printf("In-Reply-To is our notification <%s>", msg->in_reply_to));
		return;
	}
	for (guint i = msg->references->len; i-- > 0;)
		if (pd_msgid_check(ctx->secret, msg->references->pdata[i], &ticket, &seq)) {
			decide(d, PD_THREAD_FOLLOWUP, ticket, "our-message-id",
			       g_strdup_printf("References name our notification <%s>", (char *)msg->references->pdata[i]));
			return;
		}
}

/* The weak methods hold only for participants: a stranger who quotes a
 * Message-ID or a subject tag gets a ticket of their own, linked. */
static gboolean
weak(pd_txn *txn, const pd_thread_ctx *ctx, const pd_message *msg, guint64 ticket, const char *method,
     char *what, pd_thread_decision *d, GError **error)
{
	GError *e = NULL;
	pd_ticket *t = pd_ticket_get(txn, ticket, FALSE, &e);
	if (t == NULL) {
		gboolean missing = e->code == PD_ERROR_NOT_FOUND;
		if (!missing)
			g_propagate_error(error, e);
		else
			g_error_free(e);
		g_free(what);
		return missing;
	}
	if (pd_thread_is_participant(ctx, t, sender(msg)))
		decide(d, PD_THREAD_FOLLOWUP, ticket, method, what);
	else {
		decide(d, PD_THREAD_LINKED, ticket, method,
		       g_strdup_printf("%s, but %s is not a participant of ticket %" G_GUINT64_FORMAT
		                       ": a new ticket, linked (possible hijack)", what, sender(msg), ticket));
		g_free(what);
	}
	pd_ticket_free(&t);
	return TRUE;
}

/* 3. A Message-ID of an earlier mail on a ticket, newest reference first. */
static gboolean
by_known_msgid(pd_txn *txn, const pd_thread_ctx *ctx, const pd_message *msg, pd_thread_decision *d,
               GError **error)
{
	GPtrArray *ids = g_ptr_array_new();
	if (msg->in_reply_to != NULL)
		g_ptr_array_add(ids, msg->in_reply_to);
	for (guint i = msg->references->len; i-- > 0;)
		g_ptr_array_add(ids, msg->references->pdata[i]);
	gboolean ok = TRUE;
	for (guint i = 0; ok && d->kind == PD_THREAD_NEW && i < ids->len; i++) {
		guint64 ticket = 0;
		GError *e = NULL;
		if (!pd_msgid_lookup(txn, ids->pdata[i], &ticket, NULL, &e)) {
			if (e != NULL) {
				g_propagate_error(error, e);
				ok = FALSE;
			}
			continue;
		}
		ok = weak(txn, ctx, msg, ticket, "known-message-id",
		          g_strdup_printf("refers to <%s>, a mail of ticket %" G_GUINT64_FORMAT, (char *)ids->pdata[i], ticket),
		          d, error);
	}
	g_ptr_array_unref(ids);
	return ok;
}

gboolean
pd_thread_decide(pd_txn *txn, const pd_thread_ctx *ctx, const pd_message *msg, pd_thread_decision *d,
                 GError **error)
{
	memset(d, 0, sizeof *d);
	d->kind = PD_THREAD_NEW;
	if (!by_token(txn, ctx, msg, d, error))
		return FALSE;
	if (d->kind == PD_THREAD_NEW)
		by_our_msgid(ctx, msg, d);
	if (d->kind == PD_THREAD_NEW && !by_known_msgid(txn, ctx, msg, d, error))
		return FALSE;
	guint64 tagged = d->kind == PD_THREAD_NEW ? pd_thread_subject_tag(msg->subject, ctx->tag) : 0;
	if (tagged != 0 && !weak(txn, ctx, msg, tagged, "subject-tag",
	                         g_strdup_printf("subject tag [%s #%" G_GUINT64_FORMAT "]", ctx->tag, tagged), d, error))
		return FALSE;
	if (d->kind == PD_THREAD_NEW)
		d->reason = g_strdup("no reply token, no known Message-ID, no subject tag: a new conversation");
	return TRUE;
}
