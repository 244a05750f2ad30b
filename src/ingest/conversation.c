/* conversation.c: new tickets, linked tickets and follow-ups: the lifecycle rules a mail sets in motion. */
#include "config.h"
#include "conversation.h"
#include "commands.h"
#include "command/authres.h"
#include "command/rawhdr.h"
#include "pd.h"

#include <string.h>

static const char *
sender(const pd_message *msg)
{
	return msg->from->addr;
}

/* The mail's event data with the threading decision added. */
static GVariant *
event_data(GVariant *data, const pd_thread_decision *d, const char *text)
{
	GVariantDict dict;
	g_variant_dict_init(&dict, data);
	if (d != NULL) {
		static const char *const kinds[] = { "new", "follow-up", "linked" };
		GVariant *thread = g_variant_new_parsed("{'decision': <%s>, 'method': <%s>, 'reason': <%s>}",
		                                        kinds[d->kind], d->method != NULL ? d->method : "none",
		                                        d->reason != NULL ? d->reason : "");
		g_variant_dict_insert_value(&dict, "thread", thread);
	}
	if (text != NULL)
		g_variant_dict_insert(&dict, "text", "s", text);
	return g_variant_dict_end(&dict);
}

static gboolean
change_event(pd_txn *txn, pd_ticket *t, const char *actor, const char *field, const char *old,
             const char *new_value, GError **error)
{
	GVariant *d = g_variant_new_parsed("{'field': <%s>, 'old': <%s>, 'new': <%s>}", field,
	                                   old != NULL ? old : "", new_value != NULL ? new_value : "");
	return pd_event_append(txn, t, field, actor, d, NULL, error);
}

static gboolean
set_status(pd_txn *txn, pd_ticket *t, const char *actor, const char *status, GError **error)
{
	if (g_strcmp0(t->status, status) == 0)
		return TRUE;
	char *old = t->status;
	t->status = g_strdup(status);
	gboolean ok = change_event(txn, t, actor, "status", old, status, error);
	g_free(old);
	return ok;
}

/* Addresses in Cc of the first mail watch the ticket: never ours, never the
 * requester, never more than max. */
static void
add_watchers(const pd_conversation *conv, pd_ticket *t, const pd_message *msg)
{
	for (guint i = 0; i < msg->cc->len && g_strv_length(t->watchers) < conv->max_watchers; i++) {
		const pd_address *a = msg->cc->pdata[i];
		char *addr = g_ascii_strdown(a->addr, -1);
		gboolean ours = conv->notify != NULL && pd_notify_blocked_address(conv->notify, addr, NULL);
		if (!ours && strcmp(addr, t->requester) != 0)
			pd_strv_add(&t->watchers, addr);
		g_free(addr);
	}
}

static gboolean
link_back(pd_txn *txn, guint64 named, guint64 new_id, const char *actor, const char *why, GError **error)
{
	pd_ticket *t = pd_ticket_get(txn, named, TRUE, error);
	if (t == NULL)
		return FALSE;
	pd_ticket_link(t, new_id);
	GVariant *d = g_variant_new_parsed("{'ticket': <%t>, 'reason': <%s>}", new_id, why);
	gboolean ok = pd_event_append(txn, t, "linked", actor, d, NULL, error) && pd_ticket_put(txn, t, error);
	pd_ticket_free(&t);
	return ok;
}

/* What the routing rules decided for a new ticket. */
static void
apply_decision(pd_ticket *t, const pd_decision *r)
{
	if (r == NULL)
		return;
	if (r->queue != NULL) {
		g_free(t->queue);
		t->queue = g_strdup(r->queue);
	}
	if (r->priority != NULL) {
		g_free(t->priority);
		t->priority = g_strdup(r->priority);
	}
	if (r->status != NULL) {
		g_free(t->status);
		t->status = g_strdup(r->status);
	}
	if (r->assignee != NULL) {
		g_free(t->assignee);
		t->assignee = g_strdup(r->assignee);
	}
	for (guint i = 0; i < r->tags->len; i++)
		pd_strv_add(&t->tags, r->tags->pdata[i]);
	if (r->fields->len == 0 && r->sla == NULL && r->matched->len == 0)
		return;
	/* Fields, the SLA and the rules that held (for reports) go into the
	 * record's open part. */
	GVariantDict d;
	g_variant_dict_init(&d, t->extra);
	if (r->fields->len > 0) {
		GVariantBuilder fields;
		g_variant_builder_init(&fields, G_VARIANT_TYPE("a{ss}"));
		for (guint i = 0; i + 1 < r->fields->len; i += 2)
			g_variant_builder_add(&fields, "{ss}", r->fields->pdata[i], r->fields->pdata[i + 1]);
		g_variant_dict_insert_value(&d, "fields", g_variant_builder_end(&fields));
	}
	if (r->matched->len > 0) {
		GVariantBuilder names;
		g_variant_builder_init(&names, G_VARIANT_TYPE_STRING_ARRAY);
		for (guint i = 0; i < r->matched->len; i++)
			g_variant_builder_add(&names, "s", ((pd_rules_trace *)r->matched->pdata[i])->rule);
		g_variant_dict_insert_value(&d, "rules", g_variant_builder_end(&names));
	}
	if (r->sla != NULL)
		g_variant_dict_insert(&d, "sla", "s", r->sla);
	if (t->extra != NULL)
		g_variant_unref(t->extra);
	t->extra = g_variant_ref_sink(g_variant_dict_end(&d));
}

/* The rules that held, for the created event. */
static GVariant *
with_rules(GVariant *data, const pd_decision *r)
{
	if (r == NULL || r->matched->len == 0)
		return data;
	GVariantDict d;
	g_variant_dict_init(&d, data);
	GVariantBuilder names;
	g_variant_builder_init(&names, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; i < r->matched->len; i++)
		g_variant_builder_add(&names, "s", ((pd_rules_trace *)r->matched->pdata[i])->rule);
	g_variant_dict_insert_value(&d, "rules", g_variant_builder_end(&names));
	g_variant_unref(g_variant_ref_sink(data));
	return g_variant_dict_end(&d);
}

static const char *
ack_template(const pd_decision *r)
{
	if (r == NULL || r->reply == PD_RULES_REPLY_DEFAULT)
		return NULL;
	return r->reply == PD_RULES_REPLY_NONE ? "" : r->reply_template;
}

static gboolean
open_ticket(pd_txn *txn, const pd_conversation *conv, pd_conv_mail *m, const pd_thread_decision *d,
            guint64 linked_to, GError **error)
{
	pd_ticket *t = pd_ticket_new();
	t->status = g_strdup("new");
	t->subject = g_strdup(*m->msg->subject != '\0' ? m->msg->subject : "(no subject)");
	t->requester = g_utf8_strdown(sender(m->msg), -1);
	t->requester_name = g_strdup(m->msg->from->name);
	t->queue = g_strdup(m->queue);
	t->priority = g_strdup("normal");
	t->source = g_strdup(m->source);
	t->created = t->updated = pd_now_usec();
	add_watchers(conv, t, m->msg);
	apply_decision(t, m->decision);
	t->language = g_strdup(m->language);
	if (linked_to != 0) {
		pd_ticket_link(t, linked_to);
		if (d != NULL && d->kind == PD_THREAD_LINKED)
			pd_strv_add(&t->tags, "possible-hijack");
	}
	gboolean ok = pd_ticket_new_id(txn, t, error) &&
	              pd_event_append(txn, t, "created", t->requester, with_rules(event_data(m->data, d, NULL), m->decision),
	                              &m->seq, error) &&
	              (conv->notify == NULL ||
	               pd_notify_ticket_created_with(conv->notify, txn, t, m->seq, m->msg, ack_template(m->decision), error)) &&
	              pd_ticket_put(txn, t, error) &&
	              (linked_to == 0 || link_back(txn, linked_to, t->id, t->requester, d != NULL && d->reason != NULL ? d->reason : "", error));
	m->ticket = t->id;
	m->created = TRUE;
	m->what = linked_to != 0 ? g_strdup_printf("ticket #%" G_GUINT64_FORMAT " created for %s, linked to #%" G_GUINT64_FORMAT,
	                                           t->id, t->requester, linked_to)
	                         : g_strdup_printf("ticket #%" G_GUINT64_FORMAT " created for %s", t->id, t->requester);
	pd_ticket_free(&t);
	return ok;
}

static gboolean
is_automatic(const pd_message *msg)
{
	return (msg->flags & (PD_MSG_AUTO_SUBMITTED | PD_MSG_AUTO_REPLIED | PD_MSG_OUT_OF_OFFICE | PD_MSG_BOUNCE)) != 0;
}

static const char *
closed_policy(const pd_conversation *conv, const pd_ticket *t)
{
	const char *q = conv->closed_reply_by_queue != NULL ? g_hash_table_lookup(conv->closed_reply_by_queue, t->queue) : NULL;
	return q != NULL ? q : conv->closed_reply != NULL ? conv->closed_reply : "new-ticket";
}

/* The people told of a requester's reply: the assignee, else the queue's agents. */
static gboolean
notify_agents_of_reply(const pd_conversation *conv, pd_txn *txn, pd_ticket *t, guint32 seq,
                       const pd_message *msg, guint *idx, GError **error)
{
	if (conv->notify == NULL)
		return TRUE;
	if (t->assignee != NULL)
		return pd_notify_one(conv->notify, txn, t, seq, "agent-new-reply", t->assignee, NULL, FALSE, msg, NULL, idx, error);
	const char **agents = pd_notify_queue_agents(conv->notify, t->queue);
	gboolean ok = TRUE;
	for (int i = 0; ok && agents[i] != NULL; i++)
		if (g_ascii_strcasecmp(agents[i], sender(msg)) != 0)
			ok = pd_notify_one(conv->notify, txn, t, seq, "agent-new-reply", agents[i], NULL, FALSE, msg, NULL, idx, error);
	g_free(agents);
	return ok;
}

/* An agent's public reply goes to the requester and the watchers. */
static gboolean
relay_reply(const pd_conversation *conv, pd_txn *txn, pd_ticket *t, guint32 seq, const pd_message *msg,
            guint *idx, GError **error)
{
	if (conv->notify == NULL)
		return TRUE;
	gboolean ok = pd_notify_one(conv->notify, txn, t, seq, "agent-reply", t->requester, t->requester_name, FALSE,
	                            msg, NULL, idx, error);
	for (int i = 0; ok && t->watchers[i] != NULL; i++)
		ok = pd_notify_one(conv->notify, txn, t, seq, "agent-reply", t->watchers[i], NULL, FALSE, msg, NULL, idx, error);
	return ok;
}

/* Commands run only for a known agent whose mail proves it is theirs: a
 * reply token issued to that agent, or a DKIM/DMARC pass for the From
 * domain in an Authentication-Results header our own MTA added. */
static gboolean
authorized(const pd_conversation *conv, const pd_conv_mail *m, const pd_thread_decision *d, char **why_r)
{
	if (d->token_for_sender) {
		*why_r = g_strdup("the reply token in the mail was issued to you");
		return TRUE;
	}
	char **values = m->raw_path != NULL ? pd_raw_header_values_file(m->raw_path, "Authentication-Results", 256 * 1024)
	                                    : g_new0(char *, 1);
	const char *none[] = { NULL };
	const char *why = NULL;
	gboolean ok = pd_authres_sender_verified((const char *const *)values,
	                                         conv->trusted_authserv_ids != NULL ? conv->trusted_authserv_ids : none,
	                                         sender(m->msg), &why);
	*why_r = g_strdup_printf("%s; and the mail does not carry your reply token for this ticket",
	                         why != NULL ? why : "no Authentication-Results from our MTA");
	if (ok) {
		g_free(*why_r);
		*why_r = g_strdup(why);
	}
	g_strfreev(values);
	return ok;
}

/* The receipt of a command mail goes to the agent's address from the agents
 * file, never to whatever the From header claims. */
static gboolean
receipt(const pd_conversation *conv, pd_txn *txn, pd_ticket *t, guint32 seq, const pd_agent *agent,
        const pd_command_outcome *o, guint *idx, GError **error)
{
	if (conv->notify == NULL)
		return TRUE;
	char *json = pd_command_outcome_json(o);
	const char *kind = o->errors->len > 0 ? "command-error" : "command-receipt";
	gboolean ok = pd_notify_one(conv->notify, txn, t, seq, kind, agent->address, agent->name, FALSE, NULL, json, idx, error);
	g_free(json);
	return ok;
}

/* A status the requester should hear about. */
static gboolean
status_notice(const pd_conversation *conv, pd_txn *txn, pd_ticket *t, guint32 seq, const char *old,
              guint *idx, GError **error)
{
	if (conv->notify == NULL || g_strcmp0(old, t->status) == 0)
		return TRUE;
	const char *kind = g_strcmp0(t->status, "resolved") == 0 ? "ticket-resolved"
	                 : g_strcmp0(t->status, "closed") == 0 ? "ticket-closed" : NULL;
	if (kind == NULL)
		return TRUE;
	return pd_notify_one(conv->notify, txn, t, seq, kind, t->requester, t->requester_name, FALSE, NULL, NULL, idx, error);
}

/* The reply itself, after the commands: public (relayed) or a note. */
static gboolean
agent_text(const pd_conversation *conv, pd_txn *txn, pd_ticket *t, pd_conv_mail *m, const pd_thread_decision *d,
           const char *actor, const char *text, gboolean note, guint *idx, GError **error)
{
	gboolean empty = text == NULL || *text == '\0';
	const char *type = note ? "note" : "agent-reply";
	if (!pd_event_append(txn, t, type, actor, event_data(m->data, d, text != NULL ? text : ""), &m->seq, error))
		return FALSE;
	if (note || empty)
		return TRUE;
	return (g_strcmp0(t->status, "new") != 0 || set_status(txn, t, actor, "open", error)) &&
	       relay_reply(conv, txn, t, m->seq, m->msg, idx, error);
}

static gboolean
agent_reply(const pd_conversation *conv, pd_txn *txn, pd_ticket *t, pd_conv_mail *m,
            const pd_thread_decision *d, GError **error)
{
	const pd_agent *agent = pd_agents_find(conv->agents, sender(m->msg));
	pd_command_limits limits;
	pd_command_limits_init(&limits);
	pd_commands *cmds = pd_commands_parse(m->msg->body_new, &limits);
	guint idx = 0;
	gboolean ok;
	if (!cmds->had_commands) {
		ok = agent_text(conv, txn, t, m, d, agent->address, m->msg->body_new, FALSE, &idx, error);
		m->what = g_strdup_printf("reply by agent %s on ticket #%" G_GUINT64_FORMAT ", relayed", agent->address, t->id);
		pd_commands_free(&cmds);
		return ok;
	}
	char *why = NULL;
	pd_command_outcome o;
	pd_command_outcome_init(&o);
	if (!authorized(conv, m, d, &why)) {
		/* Kept as an ordinary reply: not relayed (it may not be the agent's), nothing run. */
		g_ptr_array_add(o.errors, g_strdup_printf("line 0: no command was run: %s", why));
		ok = pd_event_append(txn, t, "reply", agent->address, event_data(m->data, d, NULL), &m->seq, error) &&
		     receipt(conv, txn, t, m->seq, agent, &o, &idx, error);
		m->what = g_strdup_printf("commands from %s on ticket #%" G_GUINT64_FORMAT " not run: %s", agent->address, t->id, why);
	} else {
		char *old_status = g_strdup(t->status);
		ok = pd_commands_apply(txn, conv, t, agent->address, cmds, &o, error);
		gboolean applied = ok && o.errors->len == 0;
		/* With an error nothing changed, and the reply stays internal: the
		 * agent may have meant it as a note. */
		ok = ok && agent_text(conv, txn, t, m, d, agent->address, cmds->reply, cmds->note || !applied, &idx, error) &&
		     (!applied || status_notice(conv, txn, t, m->seq, old_status, &idx, error)) &&
		     receipt(conv, txn, t, m->seq, agent, &o, &idx, error);
		m->what = g_strdup_printf("commands from agent %s on ticket #%" G_GUINT64_FORMAT ": %s", agent->address, t->id,
		                          applied ? "applied" : "refused, nothing changed");
		g_free(old_status);
	}
	g_free(why);
	pd_command_outcome_clear(&o);
	pd_commands_free(&cmds);
	return ok;
}

static gboolean
requester_reply(const pd_conversation *conv, pd_txn *txn, pd_ticket *t, pd_conv_mail *m,
                const pd_thread_decision *d, GError **error)
{
	char *actor = g_ascii_strdown(sender(m->msg), -1);
	guint idx = 0;
	gboolean reopen = g_strcmp0(t->status, "pending") == 0 || g_strcmp0(t->status, "resolved") == 0 ||
	                  g_strcmp0(t->status, "closed") == 0;
	gboolean ok = pd_event_append(txn, t, "reply", actor, event_data(m->data, d, NULL), &m->seq, error) &&
	              (!reopen || set_status(txn, t, actor, "open", error)) &&
	              notify_agents_of_reply(conv, txn, t, m->seq, m->msg, &idx, error);
	m->what = g_strdup_printf("reply by %s on ticket #%" G_GUINT64_FORMAT "%s", actor, t->id,
	                          reopen ? ", reopened" : "");
	g_free(actor);
	return ok;
}

/* A merged ticket forwards its mail to the ticket it was merged into. */
static pd_ticket *
followup_target(pd_txn *txn, guint64 id, GError **error)
{
	pd_ticket *t = pd_ticket_get(txn, id, TRUE, error);
	for (int hops = 0; t != NULL && t->merged_into != 0 && hops < 16; hops++) {
		guint64 next = t->merged_into;
		pd_ticket_free(&t);
		t = pd_ticket_get(txn, next, TRUE, error);
	}
	return t;
}

static gboolean
followup(pd_txn *txn, const pd_conversation *conv, pd_conv_mail *m, const pd_thread_decision *d, GError **error)
{
	pd_ticket *t = followup_target(txn, d->ticket, error);
	if (t == NULL)
		return FALSE;
	gboolean agent = conv->agents != NULL && pd_agents_find(conv->agents, sender(m->msg)) != NULL;
	gboolean ok;
	if (is_automatic(m->msg)) {
		/* Out-of-office and other automatic answers: on the record, nothing else. */
		char *actor = g_ascii_strdown(sender(m->msg), -1);
		ok = pd_event_append(txn, t, "auto-reply", actor, event_data(m->data, d, NULL), &m->seq, error);
		m->what = g_strdup_printf("automatic reply recorded on ticket #%" G_GUINT64_FORMAT, t->id);
		g_free(actor);
	} else if (!agent && g_strcmp0(t->status, "closed") == 0 && strcmp(closed_policy(conv, t), "new-ticket") == 0) {
		guint64 closed = t->id;
		pd_ticket_free(&t);
		pd_thread_decision closed_d = { PD_THREAD_FOLLOWUP, closed, d->method,
		                                g_strdup_printf("%s; ticket %" G_GUINT64_FORMAT " is closed: a new ticket, linked",
		                                                d->reason, closed), FALSE };
		ok = open_ticket(txn, conv, m, &closed_d, closed, error);
		pd_thread_decision_clear(&closed_d);
		return ok;
	} else
		ok = agent ? agent_reply(conv, txn, t, m, d, error) : requester_reply(conv, txn, t, m, d, error);
	ok = ok && pd_ticket_put(txn, t, error);
	m->ticket = t->id;
	pd_ticket_free(&t);
	return ok;
}

gboolean
pd_conversation_take(pd_txn *txn, const pd_conversation *conv, pd_conv_mail *m, GError **error)
{
	pd_thread_decision d = { PD_THREAD_NEW };
	if (conv->sla != NULL)
		pd_txn_set_event_hook(txn, pd_sla_event_hook, (gpointer)conv->sla);
	gboolean ok = conv->thread == NULL || pd_thread_decide(txn, conv->thread, m->msg, &d, error);
	if (ok) {
		switch (d.kind) {
		case PD_THREAD_NEW:
			ok = open_ticket(txn, conv, m, conv->thread != NULL ? &d : NULL, 0, error);
			break;
		case PD_THREAD_LINKED:
			ok = open_ticket(txn, conv, m, &d, d.ticket, error);
			break;
		case PD_THREAD_FOLLOWUP:
			ok = followup(txn, conv, m, &d, error);
			break;
		}
	}
	pd_thread_decision_clear(&d);
	return ok && (m->msg->message_id == NULL || pd_msgid_put(txn, m->msg->message_id, m->ticket, m->seq, error));
}
