/* quarantine.c: `postdesk quarantine list|show|release|drop`: mail that did not become a ticket. */
#include "config.h"
#include "cli.h"
#include "pd.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	guint64 id;
	GPtrArray *rows;       /* of pd_quarantine* (list) */
	pd_quarantine *entry;  /* (show, drop) */
} q_ctx;

static gboolean
collect(const pd_quarantine *q, gpointer data)
{
	q_ctx *c = data;
	g_ptr_array_add(c->rows, pd_quarantine_copy(q));
	return TRUE;
}

static gboolean
read_all(pd_txn *txn, gpointer data, GError **error)
{
	q_ctx *c = data;
	g_ptr_array_set_size(c->rows, 0);
	return pd_quarantine_foreach(txn, collect, c, error);
}

static gboolean
read_one(pd_txn *txn, gpointer data, GError **error)
{
	q_ctx *c = data;
	pd_quarantine_free(&c->entry);
	c->entry = pd_quarantine_get(txn, c->id, error);
	return c->entry != NULL;
}

/* Dropping keeps the entry's dedupe keys, so the same mail delivered again
 * is recognised instead of quarantined a second time. */
static gboolean
drop_one(pd_txn *txn, gpointer data, GError **error)
{
	return read_one(txn, data, error) && pd_quarantine_delete(txn, ((q_ctx *)data)->id, error);
}

static JsonNode *
entry_json(const pd_quarantine *q)
{
	/* json_gvariant_serialize() does not consume a floating reference. */
	GVariant *v = g_variant_ref_sink(pd_quarantine_to_variant(q));
	JsonNode *n = json_gvariant_serialize(v);
	g_variant_unref(v);
	char *t = pd_cli_iso_time(q->time);
	json_object_set_string_member(json_node_get_object(n), "time", t);
	g_free(t);
	return n;
}

static void
free_entry(gpointer p)
{
	pd_quarantine *q = p;
	pd_quarantine_free(&q);
}

static int
cmd_list(pd_app *app, gboolean json)
{
	q_ctx c = { .rows = g_ptr_array_new_with_free_func(free_entry) };
	GError *e = NULL;
	if (!pd_store_run(app->store, read_all, &c, &e)) {
		fprintf(stderr, "postdesk quarantine list: %s\n", e->message);
		g_error_free(e);
		g_ptr_array_unref(c.rows);
		return PD_CLI_FAIL;
	}
	gint64 now = pd_now_usec();
	JsonArray *arr = json ? json_array_new() : NULL;
	if (!json)
		printf("%-5s %-11s %-5s %-9s %-28s %s\n", "ID", "CAUSE", "AGE", "SIZE", "FROM", "REASON");
	for (guint i = 0; i < c.rows->len; i++) {
		pd_quarantine *q = c.rows->pdata[i];
		if (json) {
			json_array_add_element(arr, entry_json(q));
			continue;
		}
		char *age = pd_format_age((now - q->time) / G_USEC_PER_SEC), *size = pd_format_size(q->size);
		char *from = pd_cli_column(q->from != NULL ? q->from : "-", 28);
		printf("%-5" G_GUINT64_FORMAT " %-11s %-5s %-9s %s %s\n", q->id, q->cause, age, size, from, q->reason);
		g_free(age);
		g_free(size);
		g_free(from);
	}
	if (json) {
		JsonNode *root = json_node_init_array(json_node_alloc(), arr);
		pd_cli_print_json(root);
		json_node_unref(root);
		json_array_unref(arr);
	} else
		printf("%u quarantined\n", c.rows->len);
	g_ptr_array_unref(c.rows);
	return PD_CLI_OK;
}

static void
print_entry_text(pd_app *app, const pd_quarantine *q)
{
	char *when = pd_cli_human_time(q->time), *size = pd_format_size(q->size);
	char *raw = pd_spool_path(pd_store_spool(app->store), q->spool);
	printf("Quarantine entry %" G_GUINT64_FORMAT "\nCause:   %s\nReason:  %s\nWhen:    %s\n"
	       "Source:  %s\nSize:    %s\nFrom:    %s\nSubject: %s\nRaw:     %s\n",
	       q->id, q->cause, q->reason, when, q->source, size, q->from != NULL ? q->from : "-",
	       q->subject != NULL ? q->subject : "-", raw);
	g_free(when);
	g_free(size);
	g_free(raw);
}

static int
with_entry(pd_app *app, guint64 id, const char *what, pd_txn_fn fn, q_ctx *c)
{
	GError *e = NULL;
	c->id = id;
	if (pd_store_run(app->store, fn, c, &e))
		return PD_CLI_OK;
	fprintf(stderr, "postdesk quarantine %s: %s\n", what, e->message);
	g_error_free(e);
	return PD_CLI_FAIL;
}

static int
cmd_show(pd_app *app, guint64 id, gboolean json)
{
	q_ctx c = { 0 };
	int rc = with_entry(app, id, "show", read_one, &c);
	if (rc == PD_CLI_OK && json) {
		JsonNode *n = entry_json(c.entry);
		pd_cli_print_json(n);
		json_node_unref(n);
	} else if (rc == PD_CLI_OK)
		print_entry_text(app, c.entry);
	pd_quarantine_free(&c.entry);
	return rc;
}

static int
cmd_drop(pd_app *app, guint64 id)
{
	q_ctx c = { 0 };
	int rc = with_entry(app, id, "drop", drop_one, &c);
	if (rc == PD_CLI_OK) {
		char *raw = pd_spool_path(pd_store_spool(app->store), c.entry->spool);
		unlink(raw);
		printf("dropped quarantine entry %" G_GUINT64_FORMAT " (%s)\n", id, c.entry->cause);
		g_free(raw);
	}
	pd_quarantine_free(&c.entry);
	return rc;
}

static int
cmd_release(pd_app *app, guint64 id)
{
	pd_ingest_item item;
	GError *e = NULL;
	pd_result res = pd_ingest_release(app->ingest, id, &item, &e);
	if (res != PD_OK) {
		fprintf(stderr, "postdesk quarantine release: %s\n", e->message);
		g_error_free(e);
		return PD_CLI_FAIL;
	}
	printf("%s\n", item.summary);
	int rc = item.outcome == PD_INGEST_CREATED ? PD_CLI_OK : PD_CLI_FAIL;
	pd_ingest_item_clear(&item);
	return rc;
}

int
pd_cli_quarantine(pd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "list | show ID | release ID | drop ID",
	                  "Mail that could not become a ticket, kept with its cause and raw bytes.\n"
	                  "release processes it again (a size limit does not apply to it);\n"
	                  "drop deletes it, and the same mail arriving again is ignored.", entries))
		return PD_CLI_USAGE;
	const char *verb = cli->argc >= 2 ? cli->argv[1] : "list";
	guint64 id = 0;
	gboolean needs_id = strcmp(verb, "list") != 0;
	if (!g_strv_contains((const char *const[]){ "list", "show", "release", "drop", NULL }, verb) ||
	    (needs_id && (cli->argc != 3 || !pd_cli_parse_id(cli->argv[2], &id))) ||
	    (!needs_id && cli->argc > 2)) {
		fprintf(stderr, "usage: postdesk quarantine list | show ID | release ID | drop ID\n");
		return PD_CLI_USAGE;
	}
	pd_app app = { 0 };
	if (strcmp(verb, "release") == 0) {
		pd_parse_init();
		cli->routes_mail = TRUE;
	}
	if (!pd_cli_open(cli, &app))
		return PD_CLI_FAIL;
	int rc;
	if (strcmp(verb, "list") == 0)
		rc = cmd_list(&app, json);
	else if (strcmp(verb, "show") == 0)
		rc = cmd_show(&app, id, json);
	else if (strcmp(verb, "drop") == 0)
		rc = cmd_drop(&app, id);
	else
		rc = cmd_release(&app, id);
	pd_app_close(&app);
	return rc;
}
