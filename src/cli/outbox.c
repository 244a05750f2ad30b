/* outbox.c: `postdesk outbox list|show|retry`: notifications and what became of them. */
#include "config.h"
#include "cli.h"
#include "pd.h"

#include <stdio.h>
#include <string.h>

static void
free_job(gpointer p)
{
	pd_job *j = p;
	pd_job_free(&j);
}

typedef struct {
	GPtrArray *rows;
	const char *state;
} list_ctx;

static gboolean
collect(const pd_job *j, gpointer data)
{
	list_ctx *c = data;
	if (c->state == NULL || strcmp(c->state, pd_job_state_name(j->state)) == 0)
		g_ptr_array_add(c->rows, pd_job_copy(j));
	return TRUE;
}

static gboolean
read_all(pd_txn *txn, gpointer data, GError **error)
{
	list_ctx *c = data;
	g_ptr_array_set_size(c->rows, 0);
	return pd_jobs_foreach(txn, collect, c, error);
}

static JsonNode *
job_json(const pd_job *j, gboolean with_data)
{
	GVariant *v = g_variant_ref_sink(pd_job_to_variant(j, FALSE));
	JsonNode *n = json_gvariant_serialize(v);
	g_variant_unref(v);
	JsonObject *o = json_node_get_object(n);
	json_object_set_string_member(o, "state", pd_job_state_name(j->state));
	char *t = pd_cli_iso_time(j->created), *next = pd_cli_iso_time(j->next_try);
	json_object_set_string_member(o, "created", t);
	json_object_set_string_member(o, "next_try", next);
	g_free(t);
	g_free(next);
	if (with_data && j->data != NULL) {
		char *text = g_strndup(g_bytes_get_data(j->data, NULL), g_bytes_get_size(j->data));
		json_object_set_string_member(o, "message", g_utf8_validate(text, -1, NULL) ? text : "(not UTF-8)");
		g_free(text);
	}
	return n;
}

static void
print_row(const pd_job *j, gint64 now)
{
	char *age = pd_format_age((now - j->created) / G_USEC_PER_SEC);
	char *to = pd_cli_column(j->rcpts[0] != NULL ? j->rcpts[0] : "-", 28);
	printf("%-6" G_GUINT64_FORMAT " %-7s %-18s %-7" G_GUINT64_FORMAT " %-5s %s %s\n", j->id,
	       pd_job_state_name(j->state), j->kind, j->ticket, age, to,
	       j->last_reply != NULL ? j->last_reply : "");
	g_free(age);
	g_free(to);
}

static int
cmd_list(pd_app *app, const char *state, gboolean json)
{
	list_ctx c = { g_ptr_array_new_with_free_func(free_job), state };
	GError *e = NULL;
	if (!pd_store_run(app->store, read_all, &c, &e)) {
		fprintf(stderr, "postdesk outbox list: %s\n", e->message);
		g_error_free(e);
		g_ptr_array_unref(c.rows);
		return PD_CLI_FAIL;
	}
	if (json) {
		JsonArray *arr = json_array_new();
		for (guint i = 0; i < c.rows->len; i++)
			json_array_add_element(arr, job_json(c.rows->pdata[i], FALSE));
		JsonNode *root = json_node_init_array(json_node_alloc(), arr);
		pd_cli_print_json(root);
		json_node_unref(root);
		json_array_unref(arr);
	} else {
		printf("%-6s %-7s %-18s %-7s %-5s %-28s %s\n", "ID", "STATE", "KIND", "TICKET", "AGE", "TO", "LAST REPLY");
		for (guint i = 0; i < c.rows->len; i++)
			print_row(c.rows->pdata[i], pd_now_usec());
		printf("%u notification%s\n", c.rows->len, c.rows->len == 1 ? "" : "s");
	}
	g_ptr_array_unref(c.rows);
	return PD_CLI_OK;
}

typedef struct {
	guint64 id;
	pd_job *job;
} one_ctx;

static gboolean
read_one(pd_txn *txn, gpointer data, GError **error)
{
	one_ctx *c = data;
	pd_job_free(&c->job);
	c->job = pd_job_get(txn, c->id, FALSE, error);
	return c->job != NULL;
}

static void
print_job(const pd_job *j)
{
	char *created = pd_cli_human_time(j->created), *next = pd_cli_human_time(j->next_try);
	char *to = g_strjoinv(", ", j->rcpts);
	printf("Outbox job %" G_GUINT64_FORMAT "\nState:    %s\nKind:     %s\nTicket:   #%" G_GUINT64_FORMAT
	       "\nTo:       %s\nAttempts: %u\nCreated:  %s\n", j->id, pd_job_state_name(j->state), j->kind,
	       j->ticket, to, j->attempts, created);
	if (j->state == PD_JOB_QUEUED)
		printf("Next try: %s\n", next);
	if (j->last_reply != NULL)
		printf("Reply:    %s\n", j->last_reply);
	if (j->data != NULL) {
		char *text = g_strndup(g_bytes_get_data(j->data, NULL), g_bytes_get_size(j->data));
		printf("\n%s", text);
		g_free(text);
	}
	g_free(created);
	g_free(next);
	g_free(to);
}

static int
cmd_show(pd_app *app, guint64 id, gboolean json)
{
	one_ctx c = { id, NULL };
	GError *e = NULL;
	if (!pd_store_run(app->store, read_one, &c, &e)) {
		fprintf(stderr, "postdesk outbox show: %s\n", e->message);
		g_error_free(e);
		return PD_CLI_FAIL;
	}
	if (json) {
		JsonNode *n = job_json(c.job, TRUE);
		pd_cli_print_json(n);
		json_node_unref(n);
	} else
		print_job(c.job);
	pd_job_free(&c.job);
	return PD_CLI_OK;
}

static int
cmd_retry(pd_app *app, guint64 id)
{
	GError *e = NULL;
	if (!pd_notifier_retry(app->store, id, &e)) {
		fprintf(stderr, "postdesk outbox retry: %s\n", e->message);
		g_error_free(e);
		return PD_CLI_FAIL;
	}
	printf("outbox job %" G_GUINT64_FORMAT " queued; the daemon sends it on its next pass\n", id);
	return PD_CLI_OK;
}

int
pd_cli_outbox(pd_cli *cli)
{
	gboolean json = FALSE;
	char *state = NULL;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ "state", 's', 0, G_OPTION_ARG_STRING, &state, "list: only queued, sent, failed or dead", "STATE" },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "list | show ID | retry ID",
	                  "Notifications: queued, sent, failed (with the server's reply) or dead.\n"
	                  "retry queues a failed or dead notification again.", entries))
		return PD_CLI_USAGE;
	const char *verb = cli->argc >= 2 ? cli->argv[1] : "list";
	guint64 id = 0;
	gboolean needs_id = strcmp(verb, "list") != 0;
	if (!g_strv_contains((const char *const[]){ "list", "show", "retry", NULL }, verb) ||
	    (needs_id && (cli->argc != 3 || !pd_cli_parse_id(cli->argv[2], &id))) || (!needs_id && cli->argc > 2)) {
		fprintf(stderr, "usage: postdesk outbox list [--state S] | show ID | retry ID\n");
		g_free(state);
		return PD_CLI_USAGE;
	}
	pd_app app = { 0 };
	pd_parse_init();
	int rc = PD_CLI_FAIL;
	if (pd_cli_open(cli, &app)) {
		if (strcmp(verb, "list") == 0)
			rc = cmd_list(&app, state, json);
		else if (strcmp(verb, "show") == 0)
			rc = cmd_show(&app, id, json);
		else
			rc = cmd_retry(&app, id);
		pd_app_close(&app);
	}
	pd_parse_shutdown();
	g_free(state);
	return rc;
}
