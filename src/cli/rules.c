/* rules.c: `postdesk rules check` and `postdesk rules test`: the routing rules checked and tried offline. */
#include "config.h"
#include "cli.h"
#include "pd.h"
#include "rules/rules.h"

#include <stdio.h>
#include <string.h>

/* Declared here until cli.h lists it with the other commands. */

/* ---- where the rules are ---- */

static gboolean
rules_key_declared(void)
{
	guint n;
	const pd_cfg_decl *d = pd_config_decls(&n);
	for (guint i = 0; i < n; i++)
		if (strcmp(d[i].group, "rules") == 0 && strcmp(d[i].key, "dir") == 0)
			return TRUE;
	return FALSE;
}

/* --rules, else the config's rules.dir (once that key exists), else
 * "rules" beside the config file, else "rules" here. Caller frees. */
static char *
rules_dir(const pd_cli *cli, const char *option, pd_config **cfg_r)
{
	const char *path = cli->config_path != NULL ? cli->config_path : pd_config_default_path();

	*cfg_r = NULL;
	if (path != NULL) {
		*cfg_r = pd_app_load_config(path);
		if (*cfg_r == NULL)
			return NULL;
	}
	if (option != NULL)
		return g_strdup(option);
	if (*cfg_r != NULL && rules_key_declared())
		return pd_config_path_value(*cfg_r, "rules", "dir");
	if (path == NULL)
		return g_strdup("rules");
	char *base = g_path_get_dirname(path), *dir = g_build_filename(base, "rules", NULL);
	g_free(base);
	return dir;
}

/* The configuration the command loaded, if any (for the known names). */
static const pd_config *known_config;

static pd_ruleset *
load_rules(const char *dir, GPtrArray *warnings, FILE *err)
{
	GError *e = NULL;
	/* With a configuration, names the desk does not know are warned about. */
	pd_app_known *known = known_config != NULL ? pd_app_known_new(known_config) : NULL;
	pd_rules_options ro = { 0 };
	if (known != NULL)
		ro.known = known->known;
	pd_ruleset *rs = pd_ruleset_load(dir, known != NULL ? &ro : NULL, warnings, &e);
	pd_app_known_free(&known);

	if (rs == NULL) {
		fprintf(err, "%s\n", e->message);
		g_error_free(e);
	}
	return rs;
}

/* ---- check ---- */

static int
rules_check(pd_cli *cli)
{
	GOptionEntry entries[] = { { NULL } };
	if (!pd_cli_parse(cli, "[DIR]", "Check the rule files of DIR (default: the configured rules directory).",
	                  entries))
		return PD_CLI_USAGE;
	if (cli->argc > 2) {
		fprintf(stderr, "postdesk rules check: expected at most one directory\n");
		return PD_CLI_USAGE;
	}
	pd_config *cfg;
	char *dir = rules_dir(cli, cli->argc == 2 ? cli->argv[1] : NULL, &cfg);
	if (dir == NULL)
		return PD_CLI_FAIL;
	known_config = cfg;
	GPtrArray *warnings = g_ptr_array_new_with_free_func(g_free);
	pd_ruleset *rs = load_rules(dir, warnings, stdout);
	for (guint i = 0; i < warnings->len; i++)
		printf("%s\n", (char *)warnings->pdata[i]);
	if (rs != NULL)
		printf("%s: %u rule%s in %u file%s, %u warning%s: OK\n", dir, pd_ruleset_count(rs),
		       pd_ruleset_count(rs) == 1 ? "" : "s", pd_ruleset_file_count(rs),
		       pd_ruleset_file_count(rs) == 1 ? "" : "s", warnings->len, warnings->len == 1 ? "" : "s");
	else
		printf("%s: refused: nothing is loaded until the errors above are fixed\n", dir);
	int rc = rs != NULL ? PD_CLI_OK : PD_CLI_FAIL;
	pd_ruleset_free(&rs);
	g_ptr_array_unref(warnings);
	pd_config_free(&cfg);
	g_free(dir);
	return rc;
}

/* ---- test ---- */

static void
add_dir_files(GPtrArray *files, const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	for (const char *n; d != NULL && (n = g_dir_read_name(d)) != NULL;) {
		char *path = g_build_filename(dir, n, NULL);
		if (n[0] != '.' && g_file_test(path, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(names, path);
		else
			g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_ptr_array_extend_and_steal(files, names);
}

static int
compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, a Maildir (cur/ and new/), or a directory of mail files. */
static GPtrArray *
mail_files(const char *path)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);

	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_ptr_array_add(files, g_strdup(path));
		return files;
	}
	char *cur = g_build_filename(path, "cur", NULL), *new = g_build_filename(path, "new", NULL);
	if (g_file_test(cur, G_FILE_TEST_IS_DIR) || g_file_test(new, G_FILE_TEST_IS_DIR)) {
		add_dir_files(files, cur);
		add_dir_files(files, new);
	} else
		add_dir_files(files, path);
	g_free(cur);
	g_free(new);
	g_ptr_array_sort(files, compare_paths);
	return files;
}

typedef struct {
	const pd_ruleset *rs;
	gboolean explain, json;
	const char *source;
	pd_parse_options parse;   /* as the daemon parses: the configured limits and charsets */
	JsonArray *out;
	GHashTable *queues;   /* queue -> count, for the summary */
	guint dropped, quarantined, unrouted, failed;
} test_ctx;

static void
count(test_ctx *t, const pd_decision *d)
{
	if (d->fate == PD_RULES_FATE_DROP)
		t->dropped++;
	else if (d->fate == PD_RULES_FATE_QUARANTINE)
		t->quarantined++;
	else if (d->queue == NULL)
		t->unrouted++;
	else {
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(t->queues, d->queue));
		g_hash_table_insert(t->queues, g_strdup(d->queue), GUINT_TO_POINTER(n + 1));
	}
}

static void
print_text(const test_ctx *t, const char *name, const pd_message *msg, const pd_decision *d)
{
	char *text = pd_decision_to_text(d, t->explain);

	if (!t->explain) {
		printf("%s: %s\n", name, text);
		g_free(text);
		return;
	}
	printf("== %s\n", name);
	if (msg->from != NULL)
		printf("From: %s%s%s%s\n", msg->from->name != NULL ? msg->from->name : "",
		       msg->from->name != NULL ? " <" : "", msg->from->addr, msg->from->name != NULL ? ">" : "");
	printf("Subject: %s\n%s\n\n", msg->subject, text);
	g_free(text);
}

static void
add_json(test_ctx *t, const char *path, const pd_message *msg, const pd_decision *d, const char *parser_reason)
{
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "file", path);
	json_object_set_string_member(o, "subject", msg != NULL ? msg->subject : "");
	json_object_set_string_member(o, "from", msg != NULL && msg->from != NULL ? msg->from->addr : "");
	if (parser_reason != NULL)
		json_object_set_string_member(o, "parser_quarantine", parser_reason);
	if (d != NULL) {
		GVariant *v = g_variant_ref_sink(pd_decision_to_variant(d));
		json_object_set_member(o, "decision", json_gvariant_serialize(v));
		g_variant_unref(v);
	}
	json_array_add_object_element(t->out, o);
}

static void
test_one(test_ctx *t, const char *path)
{
	char *raw = NULL, *name = g_path_get_basename(path), *reason = NULL;
	gsize len = 0;
	GError *e = NULL;
	pd_cause cause = PD_CAUSE_NONE;

	if (!g_file_get_contents(path, &raw, &len, &e)) {
		fprintf(stderr, "postdesk rules test: %s\n", e->message);
		g_error_free(e);
		t->failed++;
		g_free(name);
		return;
	}
	pd_message *msg = pd_message_parse(raw, len, &t->parse, &cause, &reason);
	if (cause != PD_CAUSE_NONE) {
		/* The parser quarantines it before any rule sees it. */
		if (t->json)
			add_json(t, path, msg, NULL, reason);
		else
			printf("%s: quarantined by the parser (%s): %s\n", name, pd_cause_name(cause), reason);
		t->quarantined++;
	} else {
		pd_rules_input *in = pd_rules_input_from_message(msg, t->source);
		pd_rules_input_add_raw_headers(in, raw, len);
		pd_decision *d = pd_ruleset_apply(t->rs, in, t->explain || t->json);
		if (t->json)
			add_json(t, path, msg, d, NULL);
		else
			print_text(t, name, msg, d);
		count(t, d);
		pd_decision_free(&d);
		pd_rules_input_free(&in);
	}
	pd_message_free(&msg);
	g_free(reason);
	g_free(raw);
	g_free(name);
}

static void
print_summary(const test_ctx *t, guint n)
{
	GList *keys = g_list_sort(g_hash_table_get_keys(t->queues), (GCompareFunc)strcmp);
	GString *s = g_string_new(NULL);

	for (GList *k = keys; k != NULL; k = k->next)
		g_string_append_printf(s, "%s%s %u", s->len > 0 ? ", " : "", (char *)k->data,
		                       GPOINTER_TO_UINT(g_hash_table_lookup(t->queues, k->data)));
	printf("%u mail%s: %s%s", n, n == 1 ? "" : "s", s->len > 0 ? "queues: " : "", s->str);
	printf("%s%u dropped, %u quarantined, %u without a queue\n", s->len > 0 ? "; " : "", t->dropped,
	       t->quarantined, t->unrouted);
	g_string_free(s, TRUE);
	g_list_free(keys);
}

static void
report_limits(const pd_ruleset *rs)
{
	char *report = pd_ruleset_limit_report(rs);
	if (report != NULL)
		fprintf(stderr, "patterns that hit a limit (counted as no match):\n%s", report);
	g_free(report);
}

static int
run_tests(test_ctx *t, const char *target)
{
	GPtrArray *files = mail_files(target);

	t->queues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	t->out = json_array_new();
	pd_parse_init();
	for (guint i = 0; i < files->len; i++)
		test_one(t, files->pdata[i]);
	pd_parse_shutdown();
	if (t->json) {
		JsonNode *root = json_node_init_array(json_node_alloc(), t->out);
		pd_cli_print_json(root);
		json_node_unref(root);
	} else if (files->len > 1)
		print_summary(t, files->len);
	report_limits(t->rs);
	json_array_unref(t->out);
	g_hash_table_unref(t->queues);
	int rc = files->len == 0 || t->failed > 0 ? PD_CLI_FAIL : PD_CLI_OK;
	if (files->len == 0)
		fprintf(stderr, "postdesk rules test: no mail in %s\n", target);
	g_ptr_array_unref(files);
	return rc;
}

static int
rules_test(pd_cli *cli)
{
	gboolean explain = FALSE, json = FALSE;
	char *dir_opt = NULL, *source = NULL;
	GOptionEntry entries[] = {
		{ "explain", 'e', 0, G_OPTION_ARG_NONE, &explain, "Say which rules matched, on what, and what they did", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &dir_opt, "The rules directory", "DIR" },
		{ "source", 's', 0, G_OPTION_ARG_STRING, &source, "The source name the rules see", "NAME" },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "FILE|MAILDIR", "Route mail through the rules and print the decisions; nothing is stored.",
	                  entries))
		return PD_CLI_USAGE;
	int rc = PD_CLI_USAGE;
	pd_config *cfg = NULL;
	char *dir = NULL;
	if (cli->argc != 2)
		fprintf(stderr, "postdesk rules test: expected one mail file or Maildir\n");
	else if ((dir = rules_dir(cli, dir_opt, &cfg)) == NULL)
		rc = PD_CLI_FAIL;
	else {
		known_config = cfg;
		pd_ruleset *rs = load_rules(dir, NULL, stderr);
		test_ctx t = { rs, explain, json, source };
		char **fallback = NULL, **domains = NULL;
		if (cfg != NULL)
			pd_app_parse_options(cfg, &t.parse, &fallback, &domains);
		else
			pd_parse_options_init(&t.parse);
		rc = rs != NULL ? run_tests(&t, cli->argv[1]) : PD_CLI_FAIL;
		pd_ruleset_free(&rs);
		g_strfreev(fallback);
		g_strfreev(domains);
	}
	pd_rules_thread_cleanup();
	pd_config_free(&cfg);
	g_free(dir);
	g_free(dir_opt);
	g_free(source);
	return rc;
}

int
pd_cli_rules(pd_cli *cli)
{
	if (cli->argc >= 2 && strcmp(cli->argv[1], "check") == 0) {
		cli->argc--;
		cli->argv++;
		return rules_check(cli);
	}
	if (cli->argc >= 2 && strcmp(cli->argv[1], "test") == 0) {
		cli->argc--;
		cli->argv++;
		return rules_test(cli);
	}
	fprintf(stderr, "usage: postdesk rules check [DIR]\n"
	                "       postdesk rules test FILE|MAILDIR [--explain] [--json] [--rules DIR] [--source NAME]\n");
	return PD_CLI_USAGE;
}
