/* parse.c: `postdesk parse FILE`: what postdesk understands of a mail, as text or JSON, for admins. */
#include "config.h"
#include "cli.h"
#include "pd.h"

#include <stdio.h>
#include <string.h>

static void
print_field(const char *label, const char *value)
{
	if (value != NULL && *value != '\0')
		printf("%-13s %s\n", label, value);
}

static char *
address_text(const pd_address *a)
{
	return a->name != NULL ? g_strdup_printf("%s <%s>", a->name, a->addr) : g_strdup(a->addr);
}

static char *
addresses_text(const GPtrArray *list)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++) {
		char *one = address_text(list->pdata[i]);

		g_string_append_printf(out, "%s%s", i > 0 ? ", " : "", one);
		g_free(one);
	}
	return g_string_free(out, FALSE);
}

static char *
strings_text(const GPtrArray *list)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? " " : "", (const char *)list->pdata[i]);
	return g_string_free(out, FALSE);
}

static char *
flags_text(guint32 flags)
{
	GString *out = g_string_new(NULL);

	for (guint32 f = 1; f <= PD_MSG_OURS; f <<= 1) {
		if (flags & f)
			g_string_append_printf(out, "%s%s", out->len > 0 ? ", " : "", pd_message_flag_name(f));
	}
	return g_string_free(out, FALSE);
}

static void
print_attachment(guint n, const pd_attachment *a)
{
	char *size = pd_format_size(a->size);

	printf("  %u. %s (%s, %s%s)\n", n, a->filename != NULL ? a->filename : "(no name)",
	       a->content_type, size, a->is_inline ? ", inline" : "");
	if (a->sha256 != NULL)
		printf("     sha256 %s\n", a->sha256);
	if (a->content_id != NULL)
		printf("     Content-ID %s\n", a->content_id);
	if (a->message_subject != NULL || a->message_from != NULL)
		printf("     a forwarded mail from %s: %s\n", a->message_from ? a->message_from : "?",
		       a->message_subject ? a->message_subject : "");
	g_free(size);
}

static void
print_headers(const pd_message *m)
{
	char *from = m->from != NULL ? address_text(m->from) : NULL;
	char *to = addresses_text(m->to), *cc = addresses_text(m->cc);
	char *refs = strings_text(m->references);
	char *date = m->date != 0 ? pd_cli_human_time(m->date * G_USEC_PER_SEC) : NULL;
	char *flags = flags_text(m->flags);

	print_field("Subject:", m->subject);
	print_field("From:", from);
	print_field("To:", to);
	print_field("Cc:", cc);
	print_field("Date:", date);
	print_field("Message-ID:", m->message_id);
	print_field("In-Reply-To:", m->in_reply_to);
	print_field("References:", refs);
	print_field("Flags:", flags);
	print_field("Bounce for:", m->bounce_recipient);
	g_free(from);
	g_free(to);
	g_free(cc);
	g_free(refs);
	g_free(date);
	g_free(flags);
}

static void
print_text(const char *path, const pd_message *m, pd_cause cause, const char *reason)
{
	char *size = pd_format_size(m->size);

	printf("%-13s %s (%s)\n", "File:", path, size);
	if (cause == PD_CAUSE_NONE)
		printf("%-13s a ticket\n", "Outcome:");
	else
		printf("%-13s quarantined (%s): %s\n", "Outcome:", pd_cause_name(cause), reason);
	print_headers(m);
	if (m->attachments->len > 0)
		printf("Attachments:\n");
	for (guint i = 0; i < m->attachments->len; i++)
		print_attachment(i + 1, m->attachments->pdata[i]);
	if (m->body_html != NULL)
		printf("%-13s %zu bytes of HTML\n", "HTML part:", strlen(m->body_html));
	printf("\n%s\n", m->body);
	g_free(size);
}

static void
print_json(const pd_message *m, pd_cause cause, const char *reason)
{
	GVariant *v = g_variant_ref_sink(pd_message_to_variant(m));
	JsonNode *node = json_gvariant_serialize(v);
	JsonObject *obj = json_node_get_object(node);

	json_object_set_string_member(obj, "cause", pd_cause_name(cause));
	if (reason != NULL)
		json_object_set_string_member(obj, "reason", reason);
	pd_cli_print_json(node);
	json_node_unref(node);
	g_variant_unref(v);
}

/* Parsed as the daemon would (the configured limits and charsets), but
 * nothing is stored: attachments are only measured and hashed. */
static int
parse_one(const pd_cli *cli, const char *path, gboolean json)
{
	pd_config *cfg = pd_app_load_config(cli->config_path);
	pd_parse_options opts;
	char **fallback, **domains, *reason = NULL;
	pd_cause cause;
	pd_message *m;

	if (cfg == NULL)
		return PD_CLI_FAIL;
	pd_app_parse_options(cfg, &opts, &fallback, &domains);
	m = pd_message_parse_file(path, &opts, &cause, &reason);
	if (json)
		print_json(m, cause, reason);
	else
		print_text(path, m, cause, reason);
	pd_message_free(&m);
	g_free(reason);
	g_strfreev(fallback);
	g_strfreev(domains);
	pd_config_free(&cfg);
	return PD_CLI_OK;
}

int
pd_cli_parse_cmd(pd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ NULL },
	};
	int rc;

	if (!pd_cli_parse(cli, "FILE", "Show what postdesk understands of a mail: headers, flags,\n"
	                  "attachments, body, and whether it would be quarantined.", entries))
		return PD_CLI_USAGE;
	if (cli->argc != 2) {
		fprintf(stderr, "usage: postdesk parse FILE [--json]\n");
		return PD_CLI_USAGE;
	}
	if (!g_file_test(cli->argv[1], G_FILE_TEST_IS_REGULAR)) {
		fprintf(stderr, "postdesk parse: %s: no such file\n", cli->argv[1]);
		return PD_CLI_FAIL;
	}
	pd_parse_init();
	rc = parse_one(cli, cli->argv[1], json);
	pd_parse_shutdown();
	return rc;
}
