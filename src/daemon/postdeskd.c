/* postdeskd.c: the daemon: reads its sources into tickets, once (--once) or until SIGTERM. */
#include "config.h"
#include "app.h"
#include "log.h"
#include "pd.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile int stop_requested;

static void
on_signal(int sig)
{
	stop_requested = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void
report(const pd_ingest_item *item, gpointer data)
{
	if (item->summary != NULL)
		g_info("%s", item->summary);
}

/* One pass over every source; PD_DEFER if any of them had transient trouble. */
static pd_result
run_sources(pd_app *app, GPtrArray *sources)
{
	pd_result res = PD_OK;
	guint batch = (guint)pd_config_int(app->cfg, "ingest", "batch_size");
	for (guint i = 0; i < sources->len && !stop_requested; i++) {
		const pd_maildir_source *src = sources->pdata[i];
		GError *e = NULL;
		if (pd_maildir_process(app->ingest, src, batch, report, NULL, NULL, &stop_requested, &e) != PD_OK) {
			g_warning("%s: %s; the mail stays in %s/new and will be tried again", src->name,
			          e->message, src->path);
			g_error_free(e);
			res = PD_DEFER;
		}
	}
	return res;
}

static int
run_daemon(pd_app *app, GPtrArray *sources)
{
	gint64 poll_ms = pd_config_int(app->cfg, "daemon", "poll_interval");
	gint64 ckpt_ms = pd_config_int(app->cfg, "store", "checkpoint_interval");
	gint64 last_ckpt = g_get_monotonic_time();
	g_info("started with %u source(s), polling every %" G_GINT64_FORMAT " ms", sources->len, poll_ms);
	while (!stop_requested) {
		run_sources(app, sources);
		pd_app_run_notifier(app);
		if (g_get_monotonic_time() - last_ckpt >= ckpt_ms * 1000) {
			GError *e = NULL;
			if (!pd_store_checkpoint(app->store, &e)) {
				g_warning("checkpoint: %s; will try again", e->message);
				g_error_free(e);
			}
			last_ckpt = g_get_monotonic_time();
		}
		for (gint64 slept = 0; slept < poll_ms && !stop_requested; slept += 50)
			g_usleep(50 * 1000);
	}
	g_info("stopping");
	return 0;
}

static int
check_config(const char *path)
{
	pd_config *cfg = pd_app_load_config(path);
	if (cfg == NULL)
		return 1;
	printf("%s: configuration is valid\n", pd_config_path(cfg) != NULL ? pd_config_path(cfg) : "(defaults)");
	pd_config_free(&cfg);
	return 0;
}

int
main(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	gboolean check = FALSE, once = FALSE, reference = FALSE, version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file", "FILE" },
		{ "check", 'n', 0, G_OPTION_ARG_NONE, &check, "Check the configuration and exit", NULL },
		{ "once", 0, 0, G_OPTION_ARG_NONE, &once, "Process what the sources hold now, then exit", NULL },
		{ "config-reference", 0, 0, G_OPTION_ARG_NONE, &reference, "Print the configuration reference (Markdown)", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- the postdesk daemon");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *e = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
		fprintf(stderr, "postdeskd: %s\n", e->message);
		return PD_EX_USAGE;
	}
	g_option_context_free(ctx);
	if (version) {
		printf("postdeskd %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (reference) {
		char *doc = pd_config_reference();
		fputs(doc, stdout);
		g_free(doc);
		return 0;
	}
	if (check)
		return check_config(config_path);
	pd_config *cfg = pd_app_load_config(config_path);
	if (cfg == NULL)
		return PD_EX_TEMPFAIL;
	pd_log_init("postdeskd", pd_config_string(cfg, "log", "level"));
	pd_parse_init();
	pd_app app = { 0 };
	int rc;
	if (!pd_app_open(&app, cfg, &e)) {
		g_critical("%s", e->message);
		g_error_free(e);
		rc = PD_EX_TEMPFAIL;
	} else {
		GPtrArray *sources = pd_app_maildir_sources(cfg);
		install_signals();
		if (once) {
			pd_result res = run_sources(&app, sources);
			rc = pd_app_run_notifier(&app) && res == PD_OK ? 0 : PD_EX_TEMPFAIL;
		} else
			rc = run_daemon(&app, sources);
		g_ptr_array_unref(sources);
	}
	pd_app_close(&app);
	pd_parse_shutdown();
	return rc;
}
