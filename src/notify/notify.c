/* notify.c: planning notifications: loop guard, rate limits, template context, composing, queueing. */
#include "config.h"
#include "notify.h"
#include "compose.h"
#include "pd.h"

#include <json-glib/json-glib.h>
#include <string.h>

struct pd_notify {
	pd_notify_options o;
	const pd_agents *agents;
	pd_templates *templates;
	pd_secret *secret;
	GHashTable *own;   /* lower-case addresses that are ours */
};

static void
add_own(pd_notify *n, const char *addr)
{
	if (addr != NULL && *addr != '\0')
		g_hash_table_add(n->own, g_ascii_strdown(addr, -1));
}

pd_notify *
pd_notify_new(const pd_notify_options *opts, pd_templates *templates, pd_secret *secret)
{
	pd_notify *n = g_new0(pd_notify, 1);
	n->o = *opts;
	n->templates = templates;
	n->secret = secret;
	n->own = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	n->o.own_addresses = NULL;
	add_own(n, opts->address);
	for (int i = 0; opts->own_addresses != NULL && opts->own_addresses[i] != NULL; i++)
		add_own(n, opts->own_addresses[i]);
	GHashTableIter it;
	gpointer q;
	if (opts->queues != NULL) {
		g_hash_table_iter_init(&it, opts->queues);
		while (g_hash_table_iter_next(&it, NULL, &q))
			add_own(n, ((pd_queue_conf *)q)->address);
	}
	return n;
}

void
pd_notify_free(pd_notify **np)
{
	pd_notify *n = *np;
	if (n == NULL)
		return;
	pd_templates_free(&n->templates);
	pd_secret_free(&n->secret);
	g_hash_table_unref(n->own);
	if (n->o.queues != NULL)
		g_hash_table_unref(n->o.queues);
	g_clear_pointer(np, g_free);
}

const pd_secret *pd_notify_secret(const pd_notify *n) { return n->secret; }
const char *pd_notify_address(const pd_notify *n) { return n->o.address; }
const char *pd_notify_domain(const pd_notify *n) { return n->o.domain; }

/* ---- the loop guard ---- */

/* Local parts that belong to machines, not people. */
static const char *const machine_locals[] = {
	"mailer-daemon", "postmaster", "bounce", "bounces", "listserv", "majordomo", "root", NULL
};
static const char *const machine_prefixes[] = { "noreply", "no-reply", "no_reply", "donotreply",
	                                         "do-not-reply", "bounce-", "bounces-", "bounce+", NULL };

gboolean
pd_notify_blocked_address(const pd_notify *n, const char *address, const char **why_r)
{
	const char *why = NULL;
	char *addr = g_ascii_strdown(address, -1);
	const char *at = strrchr(addr, '@');
	char *local = at != NULL ? g_strndup(addr, (gsize)(at - addr)) : g_strdup(addr);
	char *plus = strchr(local, '+');
	char *base = plus != NULL ? g_strdup_printf("%.*s%s", (int)(plus - local), local, at != NULL ? at : "")
	                          : g_strdup(addr);
	if (at == NULL || at == addr || at[1] == '\0')
		why = "not a usable address";
	else if (g_hash_table_contains(n->own, addr) || g_hash_table_contains(n->own, base))
		why = "one of our own addresses";
	else if (g_strv_contains(machine_locals, local))
		why = "a mailer or system address";
	for (int i = 0; why == NULL && machine_prefixes[i] != NULL; i++)
		if (g_str_has_prefix(local, machine_prefixes[i]))
			why = "a no-reply address";
	if (why_r != NULL)
		*why_r = why;
	g_free(addr);
	g_free(local);
	g_free(base);
	return why != NULL;
}

static const char *
flags_reason(guint32 flags)
{
	if (flags & PD_MSG_OURS)
		return "the mail is our own mail coming back";
	if (flags & PD_MSG_BOUNCE)
		return "the mail is a bounce";
	if (flags & (PD_MSG_AUTO_SUBMITTED | PD_MSG_AUTO_REPLIED | PD_MSG_OUT_OF_OFFICE))
		return "the mail was sent automatically";
	if (flags & PD_MSG_LIST)
		return "the mail came from a mailing list";
	return NULL;
}

/* Rate limits, counted only when the notification will really be queued.
 * The per-address limits guard requesters' mailboxes against answering
 * machines; agents get every notice, so only the per-ticket limit (a
 * runaway conversation) applies to them. */
static gboolean
over_rate(pd_notify *n, pd_txn *txn, const char *kind, const char *to, guint64 ticket,
          gboolean per_address, const char **why_r, GError **error)
{
	gint64 now = pd_now_usec(), hour = G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC;
	char *rkey = g_strdup_printf("to:%s:%s", kind, to);
	char *tkey = g_strdup_printf("ticket:%" G_GUINT64_FORMAT, ticket);
	guint h = 0, d = 0, t = 0;
	/* Read first, count only what is really queued: a suppressed
	 * notification must not use up the allowance. */
	gboolean ok = (!per_address || pd_rate_hit2(txn, rkey, now, hour, 24 * hour, FALSE, &h, &d, error)) &&
	              pd_rate_hit(txn, tkey, now, hour, FALSE, &t, error);
	*why_r = NULL;
	if (ok && h >= n->o.ack_per_hour)
		*why_r = "rate limit: too many to this address in the last hour";
	else if (ok && d >= n->o.ack_per_day)
		*why_r = "rate limit: too many to this address in the last day";
	else if (ok && t >= n->o.ticket_per_hour)
		*why_r = "rate limit: too many for this ticket in the last hour";
	else if (ok)
		ok = (!per_address || pd_rate_hit(txn, rkey, now, 24 * hour, TRUE, &d, error)) &&
		     pd_rate_hit(txn, tkey, now, hour, TRUE, &t, error);
	g_free(rkey);
	g_free(tkey);
	return ok;
}

/* ---- the template context ---- */

/* The context is written as JSON text directly: the same document a
 * JsonBuilder made, at a fraction of its cost in the commit (one per
 * notification). Strings are escaped as json-glib escapes them. */
static void
json_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (const guchar *p = (const guchar *)(s != NULL ? s : ""); *p != '\0'; p++) {
		switch (*p) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\b': g_string_append(out, "\\b"); break;
		case '\f': g_string_append(out, "\\f"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			/* json-glib 1.6 leaves 0x1f as it is, and escapes DEL. */
			if (*p < 0x1f || *p == 0x7f)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

/* "name":"value", or "name":"" for NULL; first: no comma before it. */
static void
member(GString *out, gboolean first, const char *name, const char *value)
{
	if (!first)
		g_string_append_c(out, ',');
	json_string(out, name);
	g_string_append_c(out, ':');
	json_string(out, value);
}

static char *
context(pd_notify *n, const pd_ticket *t, const pd_message *msg, const char *to_name, const char *to)
{
	GString *out = g_string_sized_new(512);
	g_string_append_printf(out, "{\"ticket\":{\"id\":%" G_GINT64_FORMAT, (gint64)t->id);
	member(out, FALSE, "subject", t->subject);
	member(out, FALSE, "status", t->status);
	member(out, FALSE, "queue", t->queue);
	member(out, FALSE, "priority", t->priority);
	member(out, FALSE, "assignee", t->assignee);
	char *tag = g_strdup_printf("[%s #%" G_GUINT64_FORMAT "]", n->o.tag, t->id);
	member(out, FALSE, "tag", tag);
	g_free(tag);
	g_string_append(out, "},\"requester\":{");
	member(out, TRUE, "name", t->requester_name != NULL ? t->requester_name : t->requester);
	member(out, FALSE, "address", t->requester);
	g_string_append(out, "},\"recipient\":{");
	member(out, TRUE, "name", to_name != NULL ? to_name : to);
	member(out, FALSE, "address", to);
	g_string_append(out, "},\"message\":{");
	member(out, TRUE, "subject", msg != NULL ? msg->subject : NULL);
	member(out, FALSE, "from", msg != NULL && msg->from != NULL ? msg->from->addr : NULL);
	/* The text is not copied here: the notifier reads it from the event
	 * that caused the notification, which never changes. */
	member(out, FALSE, "text", "");
	g_string_append(out, "},\"desk\":{");
	member(out, TRUE, "name", n->o.name);
	member(out, FALSE, "address", n->o.address);
	g_string_append(out, "}}");
	return g_string_free(out, FALSE);
}

/* ---- one notification ---- */

typedef struct {
	const char *kind;          /* template name */
	const char *to, *to_name;
	gboolean to_requester;     /* answers the requester: auto-replied, and guarded by flags */
	const pd_message *msg;     /* the mail that caused it, if any */
	guint n;                   /* index within the event, for the Message-ID */
	const char *extra_json;    /* merged into the context, or NULL */
} note;

static gboolean
suppressed(pd_txn *txn, pd_ticket *t, const note *nt, const char *why, GError **error)
{
	GVariant *data = g_variant_new_parsed("{'kind': <%s>, 'to': <%s>, 'reason': <%s>}", nt->kind, nt->to, why);
	return pd_event_append(txn, t, "notification-suppressed", "system", data, NULL, error);
}

static GPtrArray *
references(const pd_message *msg)
{
	GPtrArray *refs = g_ptr_array_new();
	if (msg == NULL) {
		g_ptr_array_add(refs, NULL);  /* always NULL-terminated, even when empty */
		return refs;
	}
	/* The last few are enough to thread; a long chain only grows headers. */
	guint start = msg->references->len > 9 ? msg->references->len - 9 : 0;
	for (guint i = start; i < msg->references->len; i++)
		g_ptr_array_add(refs, msg->references->pdata[i]);
	if (msg->message_id != NULL)
		g_ptr_array_add(refs, msg->message_id);
	g_ptr_array_add(refs, NULL);
	return refs;
}

/* What the notifier needs to render and compose the job later: the
 * template context as it was at the commit, and the threading headers. */
static GVariant *
render_spec(pd_notify *n, const pd_ticket *t, const note *nt)
{
	char *json = context(n, t, nt->msg, nt->to_name, nt->to);
	JsonNode *extra = nt->extra_json != NULL ? json_from_string(nt->extra_json, NULL) : NULL;
	if (extra != NULL && JSON_NODE_HOLDS_OBJECT(extra)) {
		JsonNode *ctx = json_from_string(json, NULL);
		JsonObject *dst = json_node_get_object(ctx), *src = json_node_get_object(extra);
		GList *members = json_object_get_members(src);
		for (GList *m = members; m != NULL; m = m->next)
			json_object_set_member(dst, m->data, json_node_copy(json_object_get_member(src, m->data)));
		g_list_free(members);
		g_free(json);
		json = json_to_string(ctx, FALSE);
		json_node_unref(ctx);
	}
	if (extra != NULL)
		json_node_unref(extra);
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "context", g_variant_new_take_string(json));
	/* The requester's language when the ticket knows it, else the desk's. */
	const char *lang = nt->to_requester && t->language != NULL ? t->language : n->o.default_lang;
	g_variant_builder_add(&b, "{sv}", "lang", g_variant_new_string(lang));
	if (nt->to_name != NULL)
		g_variant_builder_add(&b, "{sv}", "to_name", g_variant_new_string(nt->to_name));
	g_variant_builder_add(&b, "{sv}", "auto_replied", g_variant_new_boolean(nt->to_requester));
	if (nt->msg != NULL && nt->msg->message_id != NULL)
		g_variant_builder_add(&b, "{sv}", "in_reply_to", g_variant_new_string(nt->msg->message_id));
	GPtrArray *refs = references(nt->msg);
	g_variant_builder_add(&b, "{sv}", "references",
	                      g_variant_new_strv((const char *const *)refs->pdata, (gssize)refs->len - 1));
	g_ptr_array_unref(refs);
	return g_variant_builder_end(&b);
}

static gboolean
queue_note(pd_notify *n, pd_txn *txn, pd_ticket *t, guint32 seq, const note *nt, GError **error)
{
	const char *why = NULL;
	if (pd_notify_blocked_address(n, nt->to, &why))
		return suppressed(txn, t, nt, why, error);
	if (nt->to_requester && nt->msg != NULL && (why = flags_reason(nt->msg->flags)) != NULL)
		return suppressed(txn, t, nt, why, error);
	if (!over_rate(n, txn, nt->kind, nt->to, t->id, nt->to_requester, &why, error))
		return FALSE;
	if (why != NULL)
		return suppressed(txn, t, nt, why, error);
	pd_job *j = pd_job_new();
	j->ticket = t->id;
	j->seq = seq;
	j->kind = g_strdup(nt->kind);
	j->mail_from = g_strdup(n->o.address);
	j->rcpts = g_new0(char *, 2);
	j->rcpts[0] = g_strdup(nt->to);
	j->message_id = pd_msgid_make(n->secret, t->id, seq, nt->n, n->o.domain);
	j->spec = g_variant_ref_sink(render_spec(n, t, nt));
	j->created = j->next_try = pd_now_usec();
	gboolean ok = pd_job_add(txn, j, error);
	pd_job_free(&j);
	return ok;
}

static const char *
spec_str(GVariant *spec, const char *key)
{
	const char *s = NULL;
	return g_variant_lookup(spec, key, "&s", &s) ? s : NULL;
}

static GBytes *
compose_rendered(pd_notify *n, const pd_job *j, const pd_rendered *r)
{
	gboolean auto_replied = FALSE;
	g_variant_lookup(j->spec, "auto_replied", "b", &auto_replied);
	const char **refs = NULL;
	GVariant *rv = g_variant_lookup_value(j->spec, "references", G_VARIANT_TYPE_STRING_ARRAY);
	if (rv != NULL)
		refs = g_variant_get_strv(rv, NULL);
	char *reply_to = pd_token_reply_address(n->secret, n->o.address, j->ticket, j->rcpts[0]);
	pd_compose c = {
		.from_name = n->o.name, .from_addr = n->o.address, .to_name = spec_str(j->spec, "to_name"),
		.to_addr = j->rcpts[0], .reply_to = reply_to, .message_id = j->message_id,
		.in_reply_to = spec_str(j->spec, "in_reply_to"), .references = refs, .subject = r->subject,
		.tag = n->o.tag, .ticket = j->ticket, .auto_replied = auto_replied, .headers = r->headers,
		.text = r->text, .html = r->html, .date = pd_now_usec() / G_USEC_PER_SEC,
	};
	GBytes *data = pd_compose_message(&c);
	g_free(reply_to);
	g_free(refs);
	if (rv != NULL)
		g_variant_unref(rv);
	return data;
}

/* Put the message text into the context's "message" object. */
static void
set_message_text(JsonNode *ctx, const char *text)
{
	JsonObject *root = json_node_get_object(ctx);
	JsonObject *msg = root != NULL && json_object_has_member(root, "message")
	                      ? json_object_get_object_member(root, "message") : NULL;
	if (msg != NULL && text != NULL)
		json_object_set_string_member(msg, "text", text);
	/* Templates for agents' replies speak of {{reply.text}}. */
	if (root != NULL && text != NULL) {
		JsonObject *reply = json_object_new();
		json_object_set_string_member(reply, "text", text);
		json_object_set_object_member(root, "reply", reply);
	}
}

gboolean
pd_notify_render_job(pd_notify *n, pd_job *j, const char *text, GError **error)
{
	if (j->data != NULL)
		return TRUE;
	const char *json = j->spec != NULL ? spec_str(j->spec, "context") : NULL;
	if (json == NULL || j->rcpts == NULL || j->rcpts[0] == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "nothing to render: the job has no context");
		return FALSE;
	}
	JsonNode *ctx = json_from_string(json, error);
	if (ctx == NULL)
		return FALSE;
	set_message_text(ctx, text);
	const char *lang = spec_str(j->spec, "lang");
	pd_rendered *r = pd_templates_render(n->templates, j->kind, lang != NULL ? lang : n->o.default_lang,
	                                     ctx, n->o.max_output, error);
	json_node_unref(ctx);
	if (r == NULL)
		return FALSE;
	j->data = compose_rendered(n, j, r);
	pd_rendered_free(&r);
	return TRUE;
}

const char *
pd_notify_pick_language(const pd_notify *n, const char *value)
{
	if (value == NULL)
		return NULL;
	const char **langs = pd_templates_languages(n->templates);
	const char *found = NULL;
	char **items = g_strsplit(value, ",", -1);
	for (int i = 0; found == NULL && items[i] != NULL; i++) {
		char *tag = g_ascii_strdown(g_strstrip(items[i]), -1);
		tag[strcspn(tag, "-_;")] = '\0';   /* "de-AT;q=0.9" -> "de" */
		for (int l = 0; found == NULL && langs[l] != NULL; l++)
			if (*tag != '\0' && strcmp(tag, langs[l]) == 0)
				found = langs[l];
		g_free(tag);
	}
	g_strfreev(items);
	g_free(langs);
	return found;
}

void
pd_notify_set_agents(pd_notify *n, const pd_agents *agents)
{
	n->agents = agents;
}

const char **
pd_notify_queue_agents(const pd_notify *n, const char *queue)
{
	GPtrArray *out = g_ptr_array_new();
	const pd_queue_conf *q = n->o.queues != NULL ? g_hash_table_lookup(n->o.queues, queue) : NULL;
	char **conf = g_strsplit_set(q != NULL && q->agents != NULL ? q->agents : "", ", ", -1);
	for (int i = 0; conf[i] != NULL; i++)
		if (*conf[i] != '\0')
			g_ptr_array_add(out, (gpointer)g_intern_string(conf[i]));
	g_strfreev(conf);
	const char **file = pd_agents_for_queue(n->agents, queue);
	for (int i = 0; file[i] != NULL; i++) {
		gboolean dup = FALSE;
		for (guint j = 0; j < out->len; j++)
			dup = dup || g_ascii_strcasecmp(out->pdata[j], file[i]) == 0;
		if (!dup)
			g_ptr_array_add(out, (gpointer)file[i]);
	}
	g_free(file);
	g_ptr_array_add(out, NULL);
	return (const char **)g_ptr_array_free(out, FALSE);
}

gboolean
pd_notify_one(pd_notify *n, pd_txn *txn, pd_ticket *t, guint32 seq, const char *kind, const char *to,
              const char *to_name, gboolean to_requester, const pd_message *msg, const char *extra_json,
              guint *idx, GError **error)
{
	note nt = { kind, to, to_name, to_requester, msg, (*idx)++, extra_json };
	return queue_note(n, txn, t, seq, &nt, error);
}

gboolean
pd_notify_ticket_created(pd_notify *n, pd_txn *txn, pd_ticket *t, guint32 seq, const pd_message *msg,
                         GError **error)
{
	return pd_notify_ticket_created_with(n, txn, t, seq, msg, NULL, error);
}

gboolean
pd_notify_ticket_created_with(pd_notify *n, pd_txn *txn, pd_ticket *t, guint32 seq, const pd_message *msg,
                              const char *ack, GError **error)
{
	guint idx = 0;
	gboolean ok = TRUE;
	if (ack == NULL || *ack != '\0')
		ok = pd_notify_one(n, txn, t, seq, ack != NULL ? ack : "ticket-created", t->requester, t->requester_name,
		                   TRUE, msg, NULL, &idx, error);
	const char **agents = pd_notify_queue_agents(n, t->queue);
	for (int i = 0; ok && agents[i] != NULL; i++)
		ok = pd_notify_one(n, txn, t, seq, "agent-new-ticket", agents[i], NULL, FALSE, msg, NULL, &idx, error);
	g_free(agents);
	return ok;
}
