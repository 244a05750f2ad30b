/* ingest-bench.c: end-to-end ingestion figures for a Maildir: messages/s, MB/s, latency, peak RSS. */
#include "config.h"
#include "daemon/app.h"
#include "pd.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static int
cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

static double
percentile(GArray *sorted, double p)
{
	if (sorted->len == 0)
		return 0;
	guint i = (guint)(p * (sorted->len - 1) + 0.5);
	return g_array_index(sorted, gint64, i) / 1000.0;
}

int
main(int argc, char **argv)
{
	char *config = NULL, *source = NULL;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration (store and source)", "FILE" },
		{ "source", 's', 0, G_OPTION_ARG_STRING, &source, "Source to read (default: the first)", "NAME" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- ingestion benchmark");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *e = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &e) || config == NULL) {
		fprintf(stderr, "usage: ingest-bench -c CONFIG\n");
		return 64;
	}
	g_option_context_free(ctx);
	pd_parse_init();
	pd_config *cfg = pd_app_load_config(config);
	pd_app app = { 0 };
	if (cfg == NULL || !pd_app_open(&app, cfg, &e)) {
		fprintf(stderr, "ingest-bench: %s\n", e != NULL ? e->message : "bad config");
		return 1;
	}
	GPtrArray *sources = pd_app_maildir_sources(app.cfg);
	const pd_maildir_source *src = sources->pdata[0];
	pd_ingest_stats stats = { .latency_us = g_array_new(FALSE, FALSE, sizeof(gint64)) };
	guint batch = (guint)pd_config_int(app.cfg, "ingest", "batch_size");
	gint64 t0 = g_get_monotonic_time();
	pd_result res = pd_maildir_process(app.ingest, src, batch, NULL, NULL, &stats, NULL, &e);
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	if (res != PD_OK) {
		fprintf(stderr, "ingest-bench: %s\n", e->message);
		return 1;
	}
	g_array_sort(stats.latency_us, cmp_i64);
	/* This thread commits; the preparing threads come and go per batch. */
	struct rusage ru, rt;
	getrusage(RUSAGE_THREAD, &rt);
	getrusage(RUSAGE_SELF, &ru);
	guint n = stats.created + stats.followups + stats.duplicates + stats.quarantined + stats.dropped;
	printf("messages:       %u (%u new tickets, %u follow-ups, %u duplicates, %u quarantined, %u dropped)\n", n,
	       stats.created, stats.followups, stats.duplicates, stats.quarantined, stats.dropped);
	printf("bytes:          %.1f MB\n", stats.bytes / 1048576.0);
	printf("batch size:     %u (durable commit per batch)\n", batch);
	printf("elapsed:        %.2f s\n", secs);
	printf("throughput:     %.0f messages/s, %.1f MB/s\n", n / secs, stats.bytes / 1048576.0 / secs);
	printf("latency:        p50 %.1f ms, p99 %.1f ms, max %.1f ms (read to commit)\n",
	       percentile(stats.latency_us, 0.50), percentile(stats.latency_us, 0.99),
	       percentile(stats.latency_us, 1.0));
	printf("peak RSS:       %.1f MB\n", ru.ru_maxrss / 1024.0);
	double cpu = rt.ru_utime.tv_sec + rt.ru_stime.tv_sec + (rt.ru_utime.tv_usec + rt.ru_stime.tv_usec) / 1e6;
	printf("commit thread:  %.1f us CPU and %.1f page faults per message (%.0f %% of the elapsed time on CPU)\n",
	       n > 0 ? cpu * 1e6 / n : 0.0, n > 0 ? (double)rt.ru_minflt / n : 0.0, 100 * cpu / secs);
	double all = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("other threads:  %.1f us CPU per message (preparing: stage, parse, route)\n",
	       n > 0 ? (all - cpu) * 1e6 / n : 0.0);
	printf("deadlock retries: %u\n", pd_store_deadlock_count(app.store));
	g_array_unref(stats.latency_us);
	g_ptr_array_unref(sources);
	pd_app_close(&app);
	pd_parse_shutdown();
	return 0;
}
