/* rules-bench.c: routing speed of src/rules/: messages/s for generated rule sets of several sizes over one parsed corpus. */
#include "config.h"
#include "parse/parse.h"
#include "rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Words support mail is made of, in the languages bench/gen-mail writes:
 * a rule that uses one of them can match. */
static const char *const common[] = {
	"invoice", "refund", "order", "chargeback", "payment", "VAT", "billing", "receipt", "subscription",
	"renewal", "seats", "dispute", "charged", "password", "reset", "login", "account", "locked", "user",
	"access", "error", "printer", "VPN", "timeout", "export", "report", "API", "crash", "upgrade",
	"pricing", "quote", "license", "GDPR", "erasure", "delete", "cancel", "certificate", "SSO", "sync",
	"backup", "attachment", "server", "portal", "dashboard", "tickets", "admin", "Rechnung", "Bestellung",
	"Rückerstattung", "Passwort", "Fehler", "Konto", "facture", "commande", "remboursement", "erreur",
	"imprimante", "factura", "pedido", "contraseña", "cuenta", "заказ", "счёт", "пароль", "ошибка",
	"faktura", "hasło", "zamówienie", "urgent", "please", "thanks", "help", "team", "support",
};

static const char *const syllables[] = {
	"ka", "zor", "vex", "tri", "lum", "nor", "qua", "pix", "dra", "mel", "sto", "ven", "rik", "tal",
	"bro", "xen", "ul", "op", "fen", "gar", "hol", "jin", "kyr", "wat",
};

/* A word: a common one now and then, else a made-up product or customer
 * name, as the rules of a big installation mostly name specific things. */
static char *
word(GRand *rnd)
{
	if (g_rand_int_range(rnd, 0, 100) < 3)
		return g_strdup(common[g_rand_int_range(rnd, 0, G_N_ELEMENTS(common))]);
	GString *w = g_string_new(NULL);
	int n = g_rand_int_range(rnd, 2, 4);
	for (int i = 0; i < n; i++)
		g_string_append(w, syllables[g_rand_int_range(rnd, 0, G_N_ELEMENTS(syllables))]);
	if (g_rand_boolean(rnd))
		g_string_append_printf(w, "%d", g_rand_int_range(rnd, 1, 999));
	return g_string_free(w, FALSE);
}

static void
keyword_rule(GString *out, GRand *rnd, int i)
{
	const char *field = g_rand_boolean(rnd) ? "subject" : "body";
	g_string_append_printf(out, "rule \"keywords %d\"\n  when %s contains ", i, field);
	int n = g_rand_int_range(rnd, 3, 7);
	for (int k = 0; k < n; k++) {
		char *w = word(rnd);
		g_string_append_printf(out, "%s\"%s\"", k > 0 ? ", " : "", w);
		g_free(w);
	}
	if (g_rand_int_range(rnd, 0, 3) == 0) {
		char *w = word(rnd);
		g_string_append_printf(out, "\n    or from ends with \"@%s.example.com\"", w);
		g_free(w);
	}
	g_string_append_printf(out, "\n  then queue q%d and tag t%d%s\n\n", i % 20, i % 50,
	                       g_rand_int_range(rnd, 0, 4) == 0 ? " and stop" : "");
}

static void
regex_rule(GString *out, GRand *rnd, int i)
{
	char *w = word(rnd);
	switch (g_rand_int_range(rnd, 0, 3)) {
	case 0:
		g_string_append_printf(out, "rule \"pattern %d\"\n  when body matches /\\b%s\\s*[#:]?\\s*(?<ref>\\d{3,})/i\n"
		                            "  then set ref = \"${ref}\" and tag p%d\n\n", i, w, i % 50);
		break;
	case 1:
		g_string_append_printf(out, "rule \"pattern %d\"\n  when subject matches /%s[-_ ]?(?<code>[A-Z]{2}\\d{2,})/\n"
		                            "  then set code = \"${code}\" and queue q%d\n\n", i, w, i % 20);
		break;
	default:
		g_string_append_printf(out, "rule \"pattern %d\"\n  when full-body matches /(?:re: )?%s\\b.{0,40}\\bnot\\b/i\n"
		                            "  then priority high\n\n", i, w);
		break;
	}
	g_free(w);
}

/* n rules, half keyword lists and half patterns, from a fixed seed. */
static char *
generate(int n, guint32 seed)
{
	GRand *rnd = g_rand_new_with_seed(seed);
	GString *out = g_string_new(NULL);
	for (int i = 0; i < n; i++)
		(i % 2 == 0 ? keyword_rule : regex_rule)(out, rnd, i);
	g_rand_free(rnd);
	return g_string_free(out, FALSE);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parse every mail of the Maildir once; the routing is what is timed. */
static GPtrArray *
load_corpus(const char *maildir, guint64 *bytes_r)
{
	char *dir = g_build_filename(maildir, "new", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *inputs = g_ptr_array_new();

	if (d == NULL) {
		fprintf(stderr, "rules-bench: cannot read %s\n", dir);
		exit(1);
	}
	for (const char *n; (n = g_dir_read_name(d)) != NULL;)
		g_ptr_array_add(names, g_build_filename(dir, n, NULL));
	g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++) {
		char *raw;
		gsize len;
		if (!g_file_get_contents(names->pdata[i], &raw, &len, NULL))
			continue;
		pd_message *msg = pd_message_parse(raw, len, NULL, NULL, NULL);
		pd_rules_input *in = pd_rules_input_from_message(msg, "bench");
		pd_rules_input_add_raw_headers(in, raw, len);
		g_ptr_array_add(inputs, in);
		*bytes_r += len;
		pd_message_free(&msg);
		g_free(raw);
	}
	g_ptr_array_unref(names);
	g_free(dir);
	return inputs;
}

typedef struct {
	double seconds, wall;
	guint64 matched, limits;
} pass_result;

/* Seconds of CPU this thread used: on a shared machine, time waiting for
 * a core is not routing time. */
static double
cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pass_result
route_all(const pd_ruleset *rs, GPtrArray *inputs)
{
	pass_result r = { 0 };
	double t0 = cpu_seconds();
	gint64 w0 = g_get_monotonic_time();
	for (guint i = 0; i < inputs->len; i++) {
		pd_decision *d = pd_ruleset_apply(rs, inputs->pdata[i], FALSE);
		r.matched += d->matched->len;
		r.limits += d->warnings->len;
		pd_decision_free(&d);
	}
	r.seconds = cpu_seconds() - t0;
	r.wall = (double)(g_get_monotonic_time() - w0) / G_USEC_PER_SEC;
	return r;
}

static void
bench_size(int n, guint32 seed, int repeat, GPtrArray *inputs, const char *dump)
{
	char *text = generate(n, seed);
	GError *e = NULL;
	gint64 t0 = g_get_monotonic_time();
	pd_ruleset *rs = pd_ruleset_compile("bench.rules", text, strlen(text), NULL, NULL, &e);
	double compile = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;

	if (rs == NULL) {
		fprintf(stderr, "rules-bench: %s\n", e->message);
		exit(1);
	}
	if (dump != NULL) {
		char *path = g_strdup_printf("%s/bench-%d.rules", dump, n);
		g_file_set_contents(path, text, -1, NULL);
		g_free(path);
	}
	route_all(rs, inputs);  /* warm caches and this thread's matcher */
	pass_result best = { G_MAXDOUBLE, G_MAXDOUBLE, 0, 0 };
	double best_wall = G_MAXDOUBLE;
	for (int r = 0; r < repeat; r++) {
		pass_result p = route_all(rs, inputs);
		if (p.seconds < best.seconds)
			best = p;
		best_wall = MIN(best_wall, p.wall);
	}
	printf("%6d  %8.3f  %12.0f  %10.2f  %12.0f  %15.2f  %6" G_GUINT64_FORMAT "\n", n, compile,
	       inputs->len / best.seconds, best.seconds * 1e6 / inputs->len, inputs->len / best_wall,
	       (double)best.matched / inputs->len, best.limits);
	fflush(stdout);
	pd_ruleset_free(&rs);
	g_free(text);
}

int
main(int argc, char **argv)
{
	const char *sizes = "10,100,1000,10000", *dump = NULL;
	int repeat = 3;
	guint seed = 1;
	GOptionEntry entries[] = {
		{ "rules", 'r', 0, G_OPTION_ARG_STRING, &sizes, "Rule set sizes (default 10,100,1000,10000)", "N,N,..." },
		{ "repeat", 'n', 0, G_OPTION_ARG_INT, &repeat, "Timed passes per size; the best is shown (default 3)", "N" },
		{ "seed", 's', 0, G_OPTION_ARG_INT, &seed, "Seed of the generated rules (default 1)", "S" },
		{ "dump", 'd', 0, G_OPTION_ARG_FILENAME, &dump, "Write each generated rule set into DIR", "DIR" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("MAILDIR");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, NULL) || argc != 2) {
		fprintf(stderr, "usage: rules-bench [--rules N,N] [--repeat N] [--seed S] MAILDIR\n");
		return 64;
	}
	g_option_context_free(ctx);
	pd_parse_init();
	guint64 bytes = 0;
	gint64 t0 = g_get_monotonic_time();
	GPtrArray *inputs = load_corpus(argv[1], &bytes);
	printf("corpus: %u messages, %.1f MB, parsed in %.1f s (not timed below)\n", inputs->len, bytes / 1048576.0,
	       (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	printf("messages/s and us/message: this thread's CPU time, best of %d passes; wall msg/s: elapsed time\n",
	       MAX(repeat, 1));
	printf("%6s  %8s  %12s  %10s  %12s  %15s  %6s\n", "rules", "compile", "messages/s", "us/message",
	       "wall msg/s", "matched/message", "limits");
	char **list = g_strsplit(sizes, ",", -1);
	for (int i = 0; list[i] != NULL; i++)
		bench_size(atoi(list[i]), seed, MAX(repeat, 1), inputs, dump);
	g_strfreev(list);
	for (guint i = 0; i < inputs->len; i++) {
		pd_rules_input *in = inputs->pdata[i];
		pd_rules_input_free(&in);
	}
	g_ptr_array_unref(inputs);
	pd_rules_thread_cleanup();
	pd_parse_shutdown();
	return 0;
}
