/* imap-bench.c: one IMAP source run as the daemon runs it, recording when each message's commit completes. */
#include "config.h"
#include "daemon/app.h"
#include "log.h"
#include "pd.h"
#include "source/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
	GMutex lock;
	GCond cond;
	guint taken, expected;
	guint64 bytes;
	gint64 first_us, last_us;   /* monotonic */
	FILE *out;                  /* "uid commit-time" lines, wall clock in seconds */
} bench;

static void
record(const pd_ingest_item *item, gpointer data)
{
	bench *b = data;
	const char *colon = item->source_key != NULL ? strchr(item->source_key, ':') : NULL;
	g_mutex_lock(&b->lock);
	if (b->out != NULL && colon != NULL)
		fprintf(b->out, "%s %.6f\n", colon + 1, g_get_real_time() / 1e6);
	b->last_us = g_get_monotonic_time();
	b->bytes += item->size;
	if (++b->taken >= b->expected)
		g_cond_broadcast(&b->cond);
	g_mutex_unlock(&b->lock);
}

static gpointer
run_source(gpointer data)
{
	gpointer *arg = data;
	pd_source_run(arg[0], arg[1]);
	return NULL;
}

/* Wait until every expected message is committed, or timeout_s pass. */
static gboolean
wait_all(bench *b, gint64 timeout_s)
{
	gint64 until = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
	g_mutex_lock(&b->lock);
	while (b->taken < b->expected)
		if (!g_cond_wait_until(&b->cond, &b->lock, until))
			break;
	gboolean all = b->taken >= b->expected;
	g_mutex_unlock(&b->lock);
	return all;
}

static void
print_figures(const bench *b, gint64 t0, guint batch)
{
	double secs = (b->last_us - t0) / 1e6;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("messages:       %u taken from IMAP, %.1f MB\n", b->taken, b->bytes / 1048576.0);
	printf("batch size:     %u (a durable commit, then one MOVE, per batch)\n", batch);
	printf("elapsed:        %.2f s (login to last commit)\n", secs);
	printf("throughput:     %.0f messages/s, %.1f MB/s\n", b->taken / secs, b->bytes / 1048576.0 / secs);
	printf("peak RSS:       %.1f MB\n", ru.ru_maxrss / 1024.0);
}

int
main(int argc, char **argv)
{
	char *config = NULL, *name = NULL, *out = NULL;
	gint count = 0, timeout = 600;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration (store and source)", "FILE" },
		{ "source", 's', 0, G_OPTION_ARG_STRING, &name, "The IMAP source to read", "NAME" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &count, "Stop after this many messages", "N" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write \"uid commit-time\" per message here", "FILE" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "Give up after this many seconds (600)", "S" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- IMAP source benchmark");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *e = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &e) || config == NULL || name == NULL || count <= 0) {
		fprintf(stderr, "usage: imap-bench -c CONFIG -s SOURCE -n COUNT [-o FILE]\n");
		return 64;
	}
	g_option_context_free(ctx);
	pd_parse_init();
	pd_config *cfg = pd_app_load_config(config);
	pd_app app = { 0 };
	if (cfg == NULL || !pd_app_open(&app, cfg, &e)) {
		fprintf(stderr, "imap-bench: %s\n", e != NULL ? e->message : "bad config");
		return 1;
	}
	pd_log_init("imap-bench", pd_config_string(app.cfg, "log", "level"));
	pd_source *src = pd_source_new(app.cfg, name, &e);
	if (src == NULL) {
		fprintf(stderr, "imap-bench: %s\n", e->message);
		return 1;
	}
	bench b = { .expected = (guint)count, .out = out != NULL ? fopen(out, "w") : NULL };
	g_mutex_init(&b.lock);
	g_cond_init(&b.cond);
	guint batch = (guint)pd_config_int(app.cfg, "ingest", "batch_size");
	pd_source_env env = { .ingest = app.ingest, .store = app.store, .batch_size = batch,
	                      .max_message_size = (guint64)pd_config_int(app.cfg, "limits", "max_message_size"),
	                      .poll_ms = pd_config_int(app.cfg, "daemon", "poll_interval"), .report = record,
	                      .report_data = &b };
	gpointer arg[] = { src, &env };
	gint64 t0 = g_get_monotonic_time();
	GThread *t = g_thread_new("source", run_source, arg);
	/* Tell the script the source is started: it may begin appending. */
	printf("ready\n");
	fflush(stdout);
	gboolean all = wait_all(&b, timeout);
	pd_source_stop(src);
	g_thread_join(t);
	if (b.out != NULL)
		fclose(b.out);
	if (all)
		print_figures(&b, t0, batch);
	else
		fprintf(stderr, "imap-bench: only %u of %d messages in %d s\n", b.taken, count, timeout);
	pd_source_free(&src);
	pd_app_close(&app);
	pd_parse_shutdown();
	g_free(config);
	g_free(name);
	g_free(out);
	return all ? 0 : 1;
}
