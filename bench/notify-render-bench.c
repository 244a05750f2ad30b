/* notify-render-bench.c: notifications rendered (Mustache) and composed (GMime) per second, with the shipped templates. */
#include "config.h"
#include "notify/notify.h"
#include "parse/parse.h"
#include "pd.h"

#include <stdio.h>
#include <sys/resource.h>

static pd_job *
make_job(guint64 ticket, const char *kind, const char *lang)
{
	char *ctx = g_strdup_printf(
		"{\"ticket\":{\"id\":%" G_GUINT64_FORMAT ",\"subject\":\"Rechnung für Bestellung #%" G_GUINT64_FORMAT
		" doppelt abgebucht\",\"status\":\"new\",\"queue\":\"billing\",\"priority\":\"normal\",\"tag\":\"[Support #%"
		G_GUINT64_FORMAT "]\"},\"requester\":{\"name\":\"Jürgen Weißbach\",\"address\":\"j.weissbach@example.org\"},"
		"\"recipient\":{\"name\":\"Jürgen Weißbach\",\"address\":\"j.weissbach@example.org\"},"
		"\"message\":{\"subject\":\"Rechnung\",\"from\":\"j.weissbach@example.org\",\"text\":\"\"},"
		"\"desk\":{\"name\":\"Example Support\",\"address\":\"support@example.com\"}}", ticket, ticket, ticket);
	pd_job *j = pd_job_new();
	j->ticket = ticket;
	j->seq = 1;
	j->kind = g_strdup(kind);
	j->mail_from = g_strdup("support@example.com");
	j->rcpts = g_strsplit("j.weissbach@example.org", ",", -1);
	j->message_id = g_strdup_printf("pd.%" G_GUINT64_FORMAT ".1.0.bench@example.com", ticket);
	j->spec = g_variant_ref_sink(g_variant_new_parsed(
		"{'context': <%s>, 'lang': <%s>, 'to_name': <'Jürgen Weißbach'>, 'auto_replied': <true>, "
		"'in_reply_to': <'orig@example.org'>, 'references': <['orig@example.org']>}", ctx, lang));
	g_free(ctx);
	return j;
}

int
main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 20000;
	const char *templates = argc > 2 ? argv[2] : "templates";
	pd_parse_init();
	GError *e = NULL;
	pd_templates *t = pd_templates_load(templates, "en", &e);
	if (t == NULL) {
		fprintf(stderr, "notify-render-bench: %s\n", e->message);
		return 1;
	}
	static const guint8 key[] = "0123456789abcdef0123456789abcdef";
	pd_notify_options o = { .address = "support@example.com", .name = "Example Support", .domain = "example.com",
	                        .tag = "Support", .default_lang = "en", .max_output = 262144 };
	pd_notify *n = pd_notify_new(&o, t, pd_secret_new_from_bytes(key, 32));
	static const char *const langs[] = { "en", "ru", "es" };
	const char *text = "Hallo,\nich habe eine Frage zu meiner Rechnung.\nMit freundlichen Grüßen\nJürgen";
	guint64 bytes = 0;
	gint64 t0 = g_get_monotonic_time();
	for (int i = 0; i < count; i++) {
		pd_job *j = make_job(1000 + (guint64)i, "ticket-created", langs[i % 3]);
		if (!pd_notify_render_job(n, j, text, &e)) {
			fprintf(stderr, "notify-render-bench: %s\n", e->message);
			return 1;
		}
		bytes += g_bytes_get_size(j->data);
		pd_job_free(&j);
	}
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("rendered and composed: %d notifications (ticket-created, en/ru/es, text + HTML in en) in %.2f s\n", count, secs);
	printf("throughput:            %.0f notifications/s, %.1f MB/s of mail, one core\n", count / secs, bytes / 1048576.0 / secs);
	printf("peak RSS:              %.1f MB\n", ru.ru_maxrss / 1024.0);
	pd_notify_free(&n);
	pd_parse_shutdown();
	return 0;
}
