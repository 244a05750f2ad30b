/* tickets.c: `postdesk list` and `postdesk show`: tickets and their history, as text or JSON. */
#include "config.h"
#include "cli.h"
#include "pd.h"

#include <stdio.h>
#include <string.h>

/* ---- list ---- */

typedef struct {
	GPtrArray *rows;   /* of GVariant* a{sv} (ticket records) */
	guint limit;
} list_ctx;

static gboolean
collect_ticket(const pd_ticket *t, gpointer data)
{
	list_ctx *c = data;
	g_ptr_array_add(c->rows, g_variant_ref_sink(pd_ticket_to_variant(t)));
	return c->limit == 0 || c->rows->len < c->limit;
}

typedef struct {
	const char *status, *requester;
	list_ctx *list;
} list_args;

static gboolean
read_list(pd_txn *txn, gpointer data, GError **error)
{
	list_args *a = data;
	g_ptr_array_set_size(a->list->rows, 0);
	return pd_tickets_foreach(txn, a->status, a->requester, collect_ticket, a->list, error);
}

static const char *
vstr(GVariant *v, const char *key)
{
	const char *s = NULL;
	return g_variant_lookup(v, key, "&s", &s) ? s : "";
}

static gint64
vi64(GVariant *v, const char *key)
{
	gint64 x = 0;
	g_variant_lookup(v, key, "x", &x);
	return x;
}

static guint64
vu64(GVariant *v, const char *key)
{
	guint64 x = 0;
	g_variant_lookup(v, key, "t", &x);
	return x;
}

static JsonNode *
ticket_json(GVariant *t, gint64 now)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, (gint64)vu64(t, "id"));
	static const char *const strs[] = { "status", "subject", "requester", "requester_name",
	                                    "queue", "priority", "source", NULL };
	for (int i = 0; strs[i] != NULL; i++) {
		json_builder_set_member_name(b, strs[i]);
		json_builder_add_string_value(b, vstr(t, strs[i]));
	}
	char *created = pd_cli_iso_time(vi64(t, "created")), *updated = pd_cli_iso_time(vi64(t, "updated"));
	json_builder_set_member_name(b, "created");
	json_builder_add_string_value(b, created);
	json_builder_set_member_name(b, "updated");
	json_builder_add_string_value(b, updated);
	json_builder_set_member_name(b, "age_seconds");
	json_builder_add_int_value(b, (now - vi64(t, "created")) / G_USEC_PER_SEC);
	json_builder_set_member_name(b, "assignee");
	if (*vstr(t, "assignee") != '\0')
		json_builder_add_string_value(b, vstr(t, "assignee"));
	else
		json_builder_add_null_value(b);
	static const char *const lists[] = { "tags", "watchers", NULL };
	for (int i = 0; lists[i] != NULL; i++) {
		json_builder_set_member_name(b, lists[i]);
		json_builder_begin_array(b);
		GVariant *v = g_variant_lookup_value(t, lists[i], G_VARIANT_TYPE_STRING_ARRAY);
		for (gsize j = 0; v != NULL && j < g_variant_n_children(v); j++) {
			const char *x;
			g_variant_get_child(v, j, "&s", &x);
			json_builder_add_string_value(b, x);
		}
		if (v != NULL)
			g_variant_unref(v);
		json_builder_end_array(b);
	}
	json_builder_set_member_name(b, "links");
	json_builder_begin_array(b);
	GVariant *links = g_variant_lookup_value(t, "links", G_VARIANT_TYPE("at"));
	for (gsize j = 0; links != NULL && j < g_variant_n_children(links); j++) {
		guint64 id;
		g_variant_get_child(links, j, "t", &id);
		json_builder_add_int_value(b, (gint64)id);
	}
	if (links != NULL)
		g_variant_unref(links);
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_free(created);
	g_free(updated);
	JsonNode *n = json_builder_get_root(b);
	g_object_unref(b);
	return n;
}

static void
print_list_json(GPtrArray *rows, gint64 now)
{
	JsonArray *arr = json_array_new();
	for (guint i = 0; i < rows->len; i++)
		json_array_add_element(arr, ticket_json(rows->pdata[i], now));
	JsonNode *root = json_node_init_array(json_node_alloc(), arr);
	pd_cli_print_json(root);
	json_node_unref(root);
	json_array_unref(arr);
}

static void
print_list_text(GPtrArray *rows, gint64 now)
{
	printf("%-7s %-9s %-5s %-30s %s\n", "ID", "STATUS", "AGE", "REQUESTER", "SUBJECT");
	for (guint i = 0; i < rows->len; i++) {
		GVariant *t = rows->pdata[i];
		char *age = pd_format_age((now - vi64(t, "created")) / G_USEC_PER_SEC);
		char *req = pd_cli_column(vstr(t, "requester"), 30);
		char *subj = pd_cli_column(vstr(t, "subject"), 60);
		g_strchomp(subj);
		printf("%-7" G_GUINT64_FORMAT " %-9s %-5s %s %s\n", vu64(t, "id"), vstr(t, "status"), age, req, subj);
		g_free(age);
		g_free(req);
		g_free(subj);
	}
	printf("%u ticket%s\n", rows->len, rows->len == 1 ? "" : "s");
}

int
pd_cli_list(pd_cli *cli)
{
	char *status = NULL, *requester = NULL;
	gboolean json = FALSE;
	gint limit = 0;
	GOptionEntry entries[] = {
		{ "status", 's', 0, G_OPTION_ARG_STRING, &status, "Only tickets with this status", "STATUS" },
		{ "requester", 'r', 0, G_OPTION_ARG_STRING, &requester, "Only tickets of this requester", "ADDRESS" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "At most N tickets", "N" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "", "List tickets, oldest first.", entries))
		return PD_CLI_USAGE;
	pd_app app = { 0 };
	if (!pd_cli_open(cli, &app))
		return PD_CLI_FAIL;
	list_ctx lc = { g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref), (guint)MAX(limit, 0) };
	list_args args = { status, requester, &lc };
	GError *e = NULL;
	int rc = PD_CLI_OK;
	if (!pd_store_run(app.store, read_list, &args, &e)) {
		fprintf(stderr, "postdesk list: %s\n", e->message);
		g_error_free(e);
		rc = PD_CLI_FAIL;
	} else if (json)
		print_list_json(lc.rows, pd_now_usec());
	else
		print_list_text(lc.rows, pd_now_usec());
	g_ptr_array_unref(lc.rows);
	pd_app_close(&app);
	g_free(status);
	g_free(requester);
	return rc;
}

/* ---- show ---- */

typedef pd_cli_ticket show_ctx;

static gboolean
read_ticket(pd_txn *txn, gpointer data, GError **error)
{
	show_ctx *c = data;
	pd_cli_ticket_clear(c);
	c->ticket = pd_ticket_get(txn, c->id, FALSE, error);
	if (c->ticket == NULL)
		return FALSE;
	c->events = pd_events_list(txn, c->id, error);
	return c->events != NULL;
}

gboolean
pd_cli_read_ticket(pd_store *store, pd_cli_ticket *t, GError **error)
{
	return pd_store_run(store, read_ticket, t, error);
}

void
pd_cli_ticket_clear(pd_cli_ticket *t)
{
	pd_ticket_free(&t->ticket);
	g_clear_pointer(&t->events, g_ptr_array_unref);
}

static JsonNode *
event_json(const pd_event *ev)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ticket");
	json_builder_add_int_value(b, (gint64)ev->ticket);
	json_builder_set_member_name(b, "seq");
	json_builder_add_int_value(b, ev->seq);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, ev->type);
	json_builder_set_member_name(b, "actor");
	json_builder_add_string_value(b, ev->actor);
	char *t = pd_cli_iso_time(ev->time);
	json_builder_set_member_name(b, "time");
	json_builder_add_string_value(b, t);
	g_free(t);
	json_builder_set_member_name(b, "data");
	json_builder_add_value(b, ev->data != NULL ? json_gvariant_serialize(ev->data) : json_node_new(JSON_NODE_NULL));
	json_builder_end_object(b);
	JsonNode *n = json_builder_get_root(b);
	g_object_unref(b);
	return n;
}

static void
print_show_json(const show_ctx *c)
{
	GVariant *tv = g_variant_ref_sink(pd_ticket_to_variant(c->ticket));
	JsonNode *root = ticket_json(tv, pd_now_usec());
	JsonArray *events = json_array_new();
	for (guint i = 0; i < c->events->len; i++)
		json_array_add_element(events, event_json(c->events->pdata[i]));
	json_object_set_array_member(json_node_get_object(root), "events", events);
	pd_cli_print_json(root);
	json_node_unref(root);
	g_variant_unref(tv);
}

static void
print_indented(const char *text, const char *indent)
{
	char **lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++)
		printf("%s%s\n", indent, lines[i]);
	g_strfreev(lines);
}

static void
print_addresses(GVariant *msg, const char *key, const char *label)
{
	GVariant *v = g_variant_lookup_value(msg, key, G_VARIANT_TYPE_STRING_ARRAY);
	if (v == NULL)
		return;
	const char **list = g_variant_get_strv(v, NULL);
	if (list[0] != NULL) {
		char *joined = g_strjoinv(", ", (char **)list);
		printf("   %s: %s\n", label, joined);
		g_free(joined);
	}
	g_free(list);
	g_variant_unref(v);
}

static void
print_attachments(GVariant *msg)
{
	GVariant *atts = g_variant_lookup_value(msg, "attachments", G_VARIANT_TYPE("aa{sv}"));
	if (atts == NULL)
		return;
	for (gsize i = 0; i < g_variant_n_children(atts); i++) {
		GVariant *a = g_variant_get_child_value(atts, i);
		char *size = pd_format_size(vu64(a, "size"));
		printf("   Attachment: %s (%s, %s)\n", *vstr(a, "filename") ? vstr(a, "filename") : "(unnamed)",
		       vstr(a, "content_type"), size);
		g_free(size);
		g_variant_unref(a);
	}
	g_variant_unref(atts);
}

static void
print_message(GVariant *msg)
{
	const char *name = vstr(msg, "from_name");
	if (*name != '\0')
		printf("   From: %s <%s>\n", name, vstr(msg, "from"));
	else
		printf("   From: %s\n", vstr(msg, "from"));
	print_addresses(msg, "to", "To");
	print_addresses(msg, "cc", "Cc");
	printf("   Subject: %s\n", vstr(msg, "subject"));
	if (*vstr(msg, "message_id") != '\0')
		printf("   Message-ID: <%s>\n", vstr(msg, "message_id"));
	print_attachments(msg);
	printf("\n");
	print_indented(vstr(msg, "body"), "   | ");
}

/* The one-line facts an event carries: a change, a reason, a suppression. */
static void
print_event_facts(GVariant *data)
{
	const char *field = NULL, *old = NULL, *new_value = NULL, *reason = NULL, *kind = NULL, *to = NULL;
	if (g_variant_lookup(data, "field", "&s", &field) && g_variant_lookup(data, "old", "&s", &old) &&
	    g_variant_lookup(data, "new", "&s", &new_value))
		printf("   %s: %s -> %s\n", field, *old != '\0' ? old : "(none)", *new_value != '\0' ? new_value : "(none)");
	GVariant *thread = g_variant_lookup_value(data, "thread", G_VARIANT_TYPE_VARDICT);
	if (thread != NULL && g_variant_lookup(thread, "reason", "&s", &reason))
		printf("   Threading: %s\n", reason);
	if (thread != NULL)
		g_variant_unref(thread);
	guint64 linked = 0;
	gint64 due = 0;
	if (g_variant_lookup(data, "ticket", "t", &linked) && g_variant_lookup(data, "reason", "&s", &reason))
		printf("   Linked ticket #%" G_GUINT64_FORMAT ": %s\n", linked, reason);
	else if (g_variant_lookup(data, "target", "&s", &kind) && g_variant_lookup(data, "due", "x", &due)) {
		char *at = pd_cli_human_time(due);
		printf("   %s target, due %s\n", kind, at);
		g_free(at);
	} else if (g_variant_lookup(data, "kind", "&s", &kind) && g_variant_lookup(data, "to", "&s", &to) &&
	         g_variant_lookup(data, "reason", "&s", &reason))
		printf("   %s to %s not sent: %s\n", kind, to, reason);
}

static void
print_event(const pd_event *ev)
{
	char *when = pd_cli_human_time(ev->time);
	printf("\n#%u %s  %s by %s\n", ev->seq, when, ev->type, ev->actor != NULL ? ev->actor : "?");
	g_free(when);
	if (ev->data != NULL)
		print_event_facts(ev->data);
	GVariant *msg = ev->data != NULL ? g_variant_lookup_value(ev->data, "message", G_VARIANT_TYPE_VARDICT) : NULL;
	if (msg != NULL) {
		print_message(msg);
		g_variant_unref(msg);
	}
}

/* The SLA clocks as the ticket record keeps them (postdesk sla explain tells more). */
static void
print_sla(const pd_ticket *t)
{
	pd_sla_state st;
	pd_sla_state_load(&st, t);
	for (int i = 0; st.policy != NULL && i < PD_SLA_NTARGETS; i++) {
		const pd_sla_clock *k = &st.clock[i];
		if (k->budget == 0 || k->state == PD_CLOCK_OFF)
			continue;
		gint64 when = k->state == PD_CLOCK_RUNNING ? k->due : k->done;
		char *at = when != 0 ? pd_cli_human_time(when) : g_strdup("-");
		const char *verb = k->state == PD_CLOCK_RUNNING ? "due" : k->state == PD_CLOCK_PAUSED ? "paused" : "done";
		printf("%s %s %s: %s %s%s\n", i == 0 || st.clock[0].budget == 0 ? "SLA:      " : "          ", st.policy,
		       pd_sla_target_name((pd_sla_target)i), verb, k->state == PD_CLOCK_PAUSED ? "" : at,
		       k->breached || (k->state == PD_CLOCK_MET && k->used > k->budget) ? " (breached)" : "");
		g_free(at);
	}
	pd_sla_state_clear(&st);
}

static void
print_show_text(const show_ctx *c)
{
	const pd_ticket *t = c->ticket;
	char *created = pd_cli_human_time(t->created), *updated = pd_cli_human_time(t->updated);
	printf("Ticket #%" G_GUINT64_FORMAT ": %s\n", t->id, t->subject);
	printf("Status:    %s\nQueue:     %s\nPriority:  %s\n", t->status, t->queue, t->priority);
	if (t->requester_name != NULL)
		printf("Requester: %s <%s>\n", t->requester_name, t->requester);
	else
		printf("Requester: %s\n", t->requester);
	printf("Source:    %s\nCreated:   %s\nUpdated:   %s\n", t->source, created, updated);
	printf("Assignee:  %s\n", t->assignee != NULL ? t->assignee : "(nobody)");
	if (t->tags[0] != NULL) {
		char *tags = g_strjoinv(", ", t->tags);
		printf("Tags:      %s\n", tags);
		g_free(tags);
	}
	if (t->watchers[0] != NULL) {
		char *w = g_strjoinv(", ", t->watchers);
		printf("Watchers:  %s\n", w);
		g_free(w);
	}
	for (guint i = 0; i < t->links->len; i++)
		printf("%s #%" G_GUINT64_FORMAT "\n", i == 0 ? "Links:    " : "          ", g_array_index(t->links, guint64, i));
	print_sla(t);
	g_free(created);
	g_free(updated);
	for (guint i = 0; i < c->events->len; i++)
		print_event(c->events->pdata[i]);
}

int
pd_cli_show(pd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "ID", "Show a ticket and its events.", entries))
		return PD_CLI_USAGE;
	show_ctx c = { 0 };
	if (cli->argc != 2 || !pd_cli_parse_id(cli->argv[1], &c.id)) {
		fprintf(stderr, "postdesk show: expected one ticket number, e.g. postdesk show 1042\n");
		return PD_CLI_USAGE;
	}
	pd_app app = { 0 };
	if (!pd_cli_open(cli, &app))
		return PD_CLI_FAIL;
	GError *e = NULL;
	int rc = PD_CLI_OK;
	if (!pd_store_run(app.store, read_ticket, &c, &e)) {
		fprintf(stderr, "postdesk show: %s\n", e->message);
		g_error_free(e);
		rc = PD_CLI_FAIL;
	} else if (json)
		print_show_json(&c);
	else
		print_show_text(&c);
	pd_cli_ticket_clear(&c);
	pd_app_close(&app);
	return rc;
}

/* ---- explain ---- */

typedef struct {
	const char *msgid;
	guint64 ticket;
	guint32 seq;
	pd_event *event;
} explain_ctx;

static gboolean
read_explain(pd_txn *txn, gpointer data, GError **error)
{
	explain_ctx *c = data;
	pd_event_free(&c->event);
	GError *e = NULL;
	if (!pd_msgid_lookup(txn, c->msgid, &c->ticket, &c->seq, &e)) {
		if (e == NULL)
			g_set_error(&e, PD_ERROR, PD_ERROR_NOT_FOUND, "no mail with Message-ID <%s> is on a ticket", c->msgid);
		g_propagate_error(error, e);
		return FALSE;
	}
	c->event = pd_event_get(txn, c->ticket, c->seq, error);
	return c->event != NULL;
}

int
pd_cli_explain(pd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "MESSAGE-ID", "Why a mail went to the ticket it is on.", entries))
		return PD_CLI_USAGE;
	if (cli->argc != 2) {
		fprintf(stderr, "postdesk explain: expected one Message-ID\n");
		return PD_CLI_USAGE;
	}
	char *id = g_strdup(cli->argv[1]);
	if (*id == '<' && id[strlen(id) - 1] == '>') {
		memmove(id, id + 1, strlen(id));
		id[strlen(id) - 1] = '\0';
	}
	pd_app app = { 0 };
	if (!pd_cli_open(cli, &app)) {
		g_free(id);
		return PD_CLI_FAIL;
	}
	explain_ctx c = { id };
	GError *e = NULL;
	int rc = PD_CLI_OK;
	if (!pd_store_run(app.store, read_explain, &c, &e)) {
		fprintf(stderr, "postdesk explain: %s\n", e->message);
		g_error_free(e);
		rc = PD_CLI_FAIL;
	} else if (json) {
		JsonNode *n = event_json(c.event);
		pd_cli_print_json(n);
		json_node_unref(n);
	} else {
		printf("<%s> is event #%u (%s by %s) of ticket #%" G_GUINT64_FORMAT "\n", id, c.seq, c.event->type,
		       c.event->actor, c.ticket);
		if (c.event->data != NULL)
			print_event_facts(c.event->data);
	}
	pd_event_free(&c.event);
	pd_app_close(&app);
	g_free(id);
	return rc;
}
