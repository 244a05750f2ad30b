/* app.c: from a validated configuration to an open store and ingest pipeline. */
#include "config.h"
#include "app.h"

#include <stdio.h>

pd_config *
pd_app_load_config(const char *path)
{
	if (path == NULL)
		path = pd_config_default_path();
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	pd_config *cfg = pd_config_load(path, problems);
	for (guint i = 0; i < problems->len; i++)
		fprintf(stderr, "%s\n", (char *)problems->pdata[i]);
	g_ptr_array_unref(problems);
	return cfg;
}

gboolean
pd_app_open(pd_app *app, pd_config *cfg, GError **error)
{
	app->cfg = cfg;
	pd_store_options so;
	pd_store_options_init(&so);
	so.cache_bytes = (guint64)pd_config_int(cfg, "store", "cache_size");
	so.deadlock_retries = (guint)pd_config_int(cfg, "store", "deadlock_retries");
	so.log_auto_remove = pd_config_bool(cfg, "store", "log_auto_remove");
	so.first_ticket_id = (guint64)pd_config_int(cfg, "store", "first_ticket_id");
	char *dir = pd_config_path_value(cfg, "store", "dir");
	app->store = pd_store_open(dir, &so, error);
	g_free(dir);
	if (app->store == NULL)
		return FALSE;
	pd_ingest_options io = {
		.limits = { .max_message_size = (guint64)pd_config_int(cfg, "limits", "max_message_size") },
		.default_queue = pd_config_string(cfg, "ingest", "default_queue"),
	};
	app->ingest = pd_ingest_new(app->store, &io);
	return TRUE;
}

void
pd_app_close(pd_app *app)
{
	pd_ingest_free(&app->ingest);
	pd_store_close(&app->store);
	pd_config_free(&app->cfg);
}

typedef struct {
	pd_maildir_source src;
	char *name, *path;
} owned_source;

static void
owned_source_free(gpointer p)
{
	owned_source *o = p;
	g_free(o->name);
	g_free(o->path);
	g_free(o);
}

GPtrArray *
pd_app_maildir_sources(const pd_config *cfg)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(owned_source_free);
	char **names = pd_config_groups(cfg, "source");
	for (int i = 0; names[i] != NULL; i++) {
		char *group = g_strdup_printf("source %s", names[i]);
		owned_source *o = g_new0(owned_source, 1);
		o->name = g_strdup(names[i]);
		o->path = pd_config_path_value(cfg, group, "path");
		o->src = (pd_maildir_source){ o->name, o->path, pd_config_string(cfg, group, "queue") };
		g_ptr_array_add(out, o);
		g_free(group);
	}
	g_strfreev(names);
	return out;
}
