/* commands.c: applying agents' #commands: validation first, then every change at once, each an event. */
#include "config.h"
#include "commands.h"
#include "pd.h"

#include <json-glib/json-glib.h>
#include <string.h>

void
pd_command_outcome_init(pd_command_outcome *o)
{
	o->changes = g_ptr_array_new_with_free_func(g_free);
	o->errors = g_ptr_array_new_with_free_func(g_free);
}

void
pd_command_outcome_clear(pd_command_outcome *o)
{
	g_clear_pointer(&o->changes, g_ptr_array_unref);
	g_clear_pointer(&o->errors, g_ptr_array_unref);
}

/* Record a refusal; takes msg. */
static void
fail(pd_command_outcome *o, const pd_command *c, char *msg)
{
	g_ptr_array_add(o->errors, g_strdup_printf("line %u: %s", c->line, msg));
	g_free(msg);
}

static gboolean
plausible_address(const char *a)
{
	const char *at = strchr(a, '@');
	return at != NULL && at != a && at[1] != '\0' && strchr(at + 1, '.') != NULL && strpbrk(a, " <>,;") == NULL;
}

/* The agent an #assign names: me, none, an address or a name of the agents file. */
static const char *
assignee_for(const pd_conversation *conv, const pd_command *c, const char *actor, gboolean *none_r)
{
	*none_r = g_ascii_strcasecmp(c->value, "none") == 0;
	if (*none_r)
		return NULL;
	if (g_ascii_strcasecmp(c->value, "me") == 0)
		return actor;
	const pd_agent *a = pd_agents_find(conv->agents, c->value);
	return a != NULL ? a->address : NULL;
}

/* Phase one: is every command possible? Nothing changes here. */
static gboolean
validate(pd_txn *txn, const pd_conversation *conv, const pd_ticket *t, const char *actor,
         const pd_commands *cmds, pd_command_outcome *o, GError **error)
{
	for (guint i = 0; i < cmds->commands->len; i++) {
		const pd_command *c = cmds->commands->pdata[i];
		gboolean none;
		if (c->type == PD_COMMAND_ASSIGN && !assignee_for(conv, c, actor, &none) && !none)
			fail(o, c, g_strdup_printf("#assign: \"%s\" is not an agent (an address or name from the agents file, me or none)", c->value));
		else if ((c->type == PD_COMMAND_CC_ADD || c->type == PD_COMMAND_CC_REMOVE) && !plausible_address(c->value))
			fail(o, c, g_strdup_printf("#cc: \"%s\" is not a mail address", c->value));
		else if (c->type == PD_COMMAND_MERGE) {
			if (c->ticket == t->id) {
				fail(o, c, g_strdup("#merge: a ticket cannot be merged into itself"));
				continue;
			}
			GError *e = NULL;
			pd_ticket *target = pd_ticket_get(txn, c->ticket, FALSE, &e);
			if (target == NULL && e->code != PD_ERROR_NOT_FOUND) {
				g_propagate_error(error, e);
				return FALSE;
			}
			char *num = g_strdup_printf("%" G_GUINT64_FORMAT, c->ticket);
			if (target == NULL)
				fail(o, c, g_strdup_printf("#merge: there is no ticket %s", num));
			else if (target->merged_into != 0)
				fail(o, c, g_strdup_printf("#merge: ticket %s was itself merged into another", num));
			g_free(num);
			g_clear_error(&e);
			pd_ticket_free(&target);
		}
	}
	return TRUE;
}

/* Record one change: the event, and the line for the receipt. */
static gboolean
changed(pd_txn *txn, pd_ticket *t, const char *actor, const char *field, const char *old, const char *new_value,
        pd_command_outcome *o, GError **error)
{
	g_ptr_array_add(o->changes, g_strdup(field));
	g_ptr_array_add(o->changes, g_strdup(old != NULL && *old != '\0' ? old : "(none)"));
	g_ptr_array_add(o->changes, g_strdup(new_value != NULL && *new_value != '\0' ? new_value : "(none)"));
	GVariant *d = g_variant_new_parsed("{'field': <%s>, 'old': <%s>, 'new': <%s>}", field, old != NULL ? old : "",
	                                   new_value != NULL ? new_value : "");
	return pd_event_append(txn, t, field, actor, d, NULL, error);
}

/* Set a string field of the ticket, recording the change if there is one. */
static gboolean
set_field(pd_txn *txn, pd_ticket *t, const char *actor, const char *field, char **slot, const char *value,
          pd_command_outcome *o, GError **error)
{
	if (g_strcmp0(*slot, value) == 0)
		return TRUE;
	char *old = *slot;
	*slot = g_strdup(value);
	gboolean ok = changed(txn, t, actor, field, old, value, o, error);
	g_free(old);
	return ok;
}

static gboolean
apply_tags(pd_txn *txn, pd_ticket *t, const char *actor, const pd_command *c, pd_command_outcome *o, GError **error)
{
	char *old = g_strjoinv(" ", t->tags);
	for (int i = 0; c->add != NULL && c->add[i] != NULL; i++)
		pd_strv_add(&t->tags, c->add[i]);
	for (int i = 0; c->remove != NULL && c->remove[i] != NULL; i++)
		pd_strv_remove(&t->tags, c->remove[i]);
	char *new_value = g_strjoinv(" ", t->tags);
	gboolean ok = strcmp(old, new_value) == 0 || changed(txn, t, actor, "tags", old, new_value, o, error);
	g_free(old);
	g_free(new_value);
	return ok;
}

static gboolean
apply_cc(pd_txn *txn, pd_ticket *t, const char *actor, const pd_command *c, pd_command_outcome *o, GError **error)
{
	char *addr = g_ascii_strdown(c->value, -1);
	char *old = g_strjoinv(" ", t->watchers);
	gboolean did = c->type == PD_COMMAND_CC_ADD ? pd_strv_add(&t->watchers, addr) : pd_strv_remove(&t->watchers, addr);
	char *new_value = g_strjoinv(" ", t->watchers);
	gboolean ok = !did || changed(txn, t, actor, "watchers", old, new_value, o, error);
	g_free(addr);
	g_free(old);
	g_free(new_value);
	return ok;
}

/* Merging closes this ticket and points it at the target; later mail to it
 * follows the pointer. Both sides get an event and a link. */
static gboolean
apply_merge(pd_txn *txn, pd_ticket *t, const char *actor, const pd_command *c, pd_command_outcome *o, GError **error)
{
	pd_ticket *target = pd_ticket_get(txn, c->ticket, TRUE, error);
	if (target == NULL)
		return FALSE;
	pd_ticket_link(target, t->id);
	pd_ticket_link(t, target->id);
	t->merged_into = target->id;
	char *into = g_strdup_printf("#%" G_GUINT64_FORMAT, target->id);
	char *from = g_strdup_printf("#%" G_GUINT64_FORMAT, t->id);
	GVariant *d = g_variant_new_parsed("{'field': <'merged'>, 'old': <%s>, 'new': <%s>}", from, into);
	gboolean ok = changed(txn, t, actor, "merged", "", into, o, error) &&
	              pd_event_append(txn, target, "merged", actor, d, NULL, error) && pd_ticket_put(txn, target, error);
	ok = ok && (g_strcmp0(t->status, "closed") == 0 ||
	            set_field(txn, t, actor, "status", &t->status, "closed", o, error));
	g_free(into);
	g_free(from);
	pd_ticket_free(&target);
	return ok;
}

static gboolean
apply_one(pd_txn *txn, const pd_conversation *conv, pd_ticket *t, const char *actor, const pd_command *c,
          pd_command_outcome *o, GError **error)
{
	gboolean none;
	switch (c->type) {
	case PD_COMMAND_STATUS:
		return set_field(txn, t, actor, "status", &t->status, c->value, o, error);
	case PD_COMMAND_PRIORITY:
		return set_field(txn, t, actor, "priority", &t->priority, c->value, o, error);
	case PD_COMMAND_QUEUE:
		return set_field(txn, t, actor, "queue", &t->queue, c->value, o, error);
	case PD_COMMAND_SUBJECT:
		return set_field(txn, t, actor, "subject", &t->subject, c->value, o, error);
	case PD_COMMAND_ASSIGN:
		return set_field(txn, t, actor, "assignee", &t->assignee, assignee_for(conv, c, actor, &none), o, error);
	case PD_COMMAND_TAG:
		return apply_tags(txn, t, actor, c, o, error);
	case PD_COMMAND_CC_ADD:
	case PD_COMMAND_CC_REMOVE:
		return apply_cc(txn, t, actor, c, o, error);
	case PD_COMMAND_MERGE:
		return apply_merge(txn, t, actor, c, o, error);
	case PD_COMMAND_NOTE:
		return TRUE;  /* decides where the reply goes, changes nothing */
	}
	return TRUE;
}

gboolean
pd_commands_apply(pd_txn *txn, const pd_conversation *conv, pd_ticket *t, const char *actor,
                  const pd_commands *cmds, pd_command_outcome *o, GError **error)
{
	for (guint i = 0; i < cmds->errors->len; i++) {
		const pd_command_error *e = cmds->errors->pdata[i];
		g_ptr_array_add(o->errors, g_strdup_printf("line %u: %s", e->line, e->message));
	}
	if (!validate(txn, conv, t, actor, cmds, o, error))
		return FALSE;
	if (o->errors->len > 0)
		return TRUE;  /* all or none: none */
	for (guint i = 0; i < cmds->commands->len; i++)
		if (!apply_one(txn, conv, t, actor, cmds->commands->pdata[i], o, error))
			return FALSE;
	return TRUE;
}

char *
pd_command_outcome_json(const pd_command_outcome *o)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "changes");
	json_builder_begin_array(b);
	for (guint i = 0; i + 2 < o->changes->len; i += 3) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "field");
		json_builder_add_string_value(b, o->changes->pdata[i]);
		json_builder_set_member_name(b, "old");
		json_builder_add_string_value(b, o->changes->pdata[i + 1]);
		json_builder_set_member_name(b, "new");
		json_builder_add_string_value(b, o->changes->pdata[i + 2]);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "errors");
	json_builder_begin_array(b);
	for (guint i = 0; i < o->errors->len; i++) {
		const char *line = o->errors->pdata[i];
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "line");
		json_builder_add_int_value(b, g_str_has_prefix(line, "line ") ? (gint64)g_ascii_strtoull(line + 5, NULL, 10) : 0);
		json_builder_set_member_name(b, "text");
		const char *colon = strstr(line, ": ");
		json_builder_add_string_value(b, colon != NULL ? colon + 2 : line);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *json = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return json;
}
