/* notify-smtp-bench.c: SMTP transport figures: messages/s and latency, kept connection or a new one each. */
#include "notify/smtp.h"

#include <stdio.h>
#include <string.h>

static int
cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

static double
percentile_ms(GArray *sorted, double p)
{
	guint i = (guint)(p * (sorted->len - 1) + 0.5);
	return sorted->len == 0 ? 0 : (double)g_array_index(sorted, gint64, i) / 1000.0;
}

/* A notification-like CRLF message of about size bytes. */
static char *
make_message(guint size)
{
	GString *m = g_string_new("From: Support <support@example.com>\r\nTo: <customer@example.org>\r\n"
	                          "Subject: [#1042] Your request was received\r\nMIME-Version: 1.0\r\n"
	                          "Content-Type: text/plain; charset=utf-8\r\n\r\n");

	while (m->len < size)
		g_string_append(m, "Thank you for writing to us. An agent will answer soon.\r\n");
	return g_string_free(m, FALSE);
}

typedef struct {
	guint sent, retry, failed, connections;
} tally;

/* Send count messages; fresh: a new handle (so a new connection) for each. */
static GArray *
run(const pd_smtp_options *o, const char *msg, const char *const *rcpts, guint count, gboolean fresh,
    tally *t)
{
	GArray *lat = g_array_sized_new(FALSE, FALSE, sizeof(gint64), count);
	pd_smtp *s = NULL;

	for (guint i = 0; i < count; i++) {
		gint64 start = g_get_monotonic_time(), took;
		pd_smtp_result *r;

		if (s == NULL || fresh) {
			pd_smtp_free(&s);
			s = pd_smtp_new(o);
		}
		r = pd_smtp_send(s, "support@example.com", rcpts, msg, strlen(msg));
		took = g_get_monotonic_time() - start;
		g_array_append_val(lat, took);
		t->sent += r->status == PD_SMTP_SENT;
		t->retry += r->status == PD_SMTP_RETRY;
		t->failed += r->status == PD_SMTP_FAILED;
		t->connections += !r->reused;
		pd_smtp_result_free(&r);
	}
	pd_smtp_free(&s);
	return lat;
}

static void
report(const char *label, GArray *lat, const tally *t, double secs)
{
	g_array_sort(lat, cmp_i64);
	printf("%-7s %6u msgs %8.1f msgs/s  latency ms p50 %.2f p95 %.2f p99 %.2f max %.2f  "
	       "connections %u  sent %u retry %u failed %u\n",
	       label, lat->len, lat->len / secs, percentile_ms(lat, 0.5), percentile_ms(lat, 0.95),
	       percentile_ms(lat, 0.99), percentile_ms(lat, 1.0), t->connections, t->sent, t->retry, t->failed);
}

int
main(int argc, char **argv)
{
	char *url = NULL;
	int count = 1000, size = 2000, nrcpt = 1;
	gboolean fresh = FALSE;
	GOptionEntry entries[] = {
		{ "url", 'u', 0, G_OPTION_ARG_STRING, &url, "smtp://host:port", "URL" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &count, "Messages to send (1000)", "N" },
		{ "size", 's', 0, G_OPTION_ARG_INT, &size, "Message size in bytes (2000)", "BYTES" },
		{ "rcpts", 'r', 0, G_OPTION_ARG_INT, &nrcpt, "Recipients per message (1)", "N" },
		{ "fresh", 'f', 0, G_OPTION_ARG_NONE, &fresh, "A new connection for every message", NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- SMTP transport benchmark");
	GError *e = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &e) || url == NULL || count < 1 || nrcpt < 1) {
		fprintf(stderr, "usage: notify-smtp-bench --url smtp://host:port [-n N] [-s BYTES] [-r N] [--fresh]\n");
		return 64;
	}
	pd_smtp_options o = { .url = url, .helo = "bench.postdesk", .verify = TRUE };
	char *msg = make_message((guint)size);
	GPtrArray *rcpts = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; i < nrcpt; i++)
		g_ptr_array_add(rcpts, g_strdup_printf("customer%d@example.org", i));
	g_ptr_array_add(rcpts, NULL);
	tally t = { 0 };
	gint64 start = g_get_monotonic_time();
	GArray *lat = run(&o, msg, (const char *const *)rcpts->pdata, (guint)count, fresh, &t);
	report(fresh ? "fresh" : "reused", lat, &t, (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
	g_array_unref(lat);
	g_ptr_array_unref(rcpts);
	g_free(msg);
	g_free(url);
	g_option_context_free(ctx);
	return t.sent == (guint)count ? 0 : 1;
}
