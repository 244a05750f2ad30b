/* main.c: the postdesk command: global options, dispatch, and the shared output helpers. */
#include "config.h"
#include "cli.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(pd_cli *cli);
	const char *summary;
} commands[] = {
	{ "deliver", pd_cli_deliver, "read one message on standard input into a ticket (for MTA aliases)" },
	{ "list", pd_cli_list, "list tickets" },
	{ "show", pd_cli_show, "show a ticket and its history" },
	{ "explain", pd_cli_explain, "why a mail (by Message-ID) went to the ticket it is on" },
	{ "quarantine", pd_cli_quarantine, "list, show, release or drop quarantined mail" },
	{ "outbox", pd_cli_outbox, "list, show or retry notifications" },
	{ "report", pd_cli_report, "volume, backlog, response times, SLA compliance, requesters and rule hits" },
	{ "sla", pd_cli_sla, "explain a ticket's SLA clocks, or run the due SLA and lifecycle actions now" },
	{ "reload", pd_cli_reload, "check the configuration and rules, then make the running daemon reload them" },
	{ "rules", pd_cli_rules, "check the routing rules, or route mail through them without storing anything" },
	{ "parse", pd_cli_parse_cmd, "show what postdesk understands of a mail file (no store needed)" },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: postdesk [-c FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'postdesk COMMAND --help' tells more. -c FILE names the configuration "
	             "(default $POSTDESK_CONFIG, then /etc/postdesk/postdesk.conf).\n");
}

gboolean
pd_cli_open(const pd_cli *cli, pd_app *app)
{
	pd_config *cfg = pd_app_load_config(cli->config_path);
	if (cfg == NULL)
		return FALSE;
	pd_log_set_level(pd_config_string(cfg, "log", "level"));
	/* Looking at tickets must work even while the rules are broken. */
	app->without_rules = !cli->routes_mail;
	GError *e = NULL;
	if (!pd_app_open(app, cfg, &e)) {
		fprintf(stderr, "postdesk: %s\n", e->message);
		g_error_free(e);
		pd_app_close(app);
		return FALSE;
	}
	return TRUE;
}

gboolean
pd_cli_parse(pd_cli *cli, const char *params, const char *summary, GOptionEntry *entries)
{
	char *title = g_strdup_printf("%s %s", cli->argv[0], params);
	GOptionContext *ctx = g_option_context_new(title);
	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *e = NULL;
	gboolean ok = g_option_context_parse(ctx, &cli->argc, &cli->argv, &e);
	if (!ok) {
		fprintf(stderr, "postdesk %s: %s\n", cli->argv[0], e->message);
		g_error_free(e);
	}
	g_option_context_free(ctx);
	g_free(title);
	return ok;
}

void
pd_cli_print_json(JsonNode *node)
{
	JsonGenerator *gen = json_generator_new();
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, node);
	char *text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	g_free(text);
	g_object_unref(gen);
}

static char *
format_time(gint64 usec, const char *fmt)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(usec / G_USEC_PER_SEC);
	if (dt == NULL)
		return g_strdup("?");
	char *s = g_date_time_format(dt, fmt);
	g_date_time_unref(dt);
	return s;
}

char *pd_cli_iso_time(gint64 usec) { return format_time(usec, "%Y-%m-%dT%H:%M:%SZ"); }
char *pd_cli_human_time(gint64 usec) { return format_time(usec, "%Y-%m-%d %H:%M UTC"); }

static guint
char_width(gunichar c)
{
	if (g_unichar_iszerowidth(c))
		return 0;
	return g_unichar_iswide(c) ? 2 : 1;
}

static guint
display_width(const char *s)
{
	guint w = 0;
	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p))
		w += char_width(g_utf8_get_char(p));
	return w;
}

char *
pd_cli_column(const char *str, guint width)
{
	const char *s = str != NULL ? str : "";
	gboolean cut = display_width(s) > width;
	guint room = cut ? width - 1 : width;  /* one column for the ellipsis */
	GString *out = g_string_new(NULL);
	guint cols = 0;
	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f)
			c = ' ';  /* control characters must not reach the terminal */
		if (cols + char_width(c) > room)
			break;
		g_string_append_unichar(out, c);
		cols += char_width(c);
	}
	if (cut) {
		g_string_append(out, "…");
		cols++;
	}
	for (; cols < width; cols++)
		g_string_append_c(out, ' ');
	return g_string_free(out, FALSE);
}

gboolean
pd_cli_parse_id(const char *text, guint64 *id_r)
{
	if (text == NULL)
		return FALSE;
	if (*text == '#')
		text++;
	char *end;
	guint64 v = g_ascii_strtoull(text, &end, 10);
	if (end == text || *end != '\0' || v == 0)
		return FALSE;
	*id_r = v;
	return TRUE;
}

int
main(int argc, char **argv)
{
	pd_log_init("postdesk", "info");
	pd_cli cli = { 0 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			cli.config_path = argv[++i];
		else if (g_str_has_prefix(argv[i], "--config="))
			cli.config_path = argv[i] + strlen("--config=");
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("postdesk %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "postdesk: unknown option %s\n", argv[i]);
			return PD_CLI_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return PD_CLI_USAGE;
	}
	cli.argc = argc - i;
	cli.argv = argv + i;
	for (guint c = 0; c < G_N_ELEMENTS(commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(&cli);
	fprintf(stderr, "postdesk: unknown command \"%s\"\n", argv[i]);
	usage(stderr);
	return PD_CLI_USAGE;
}
