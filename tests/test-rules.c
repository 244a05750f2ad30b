/* test-rules.c: the rule language of src/rules/: every construct, every error message with its position, every warning. */
#include "rules-util.h"
#include "rules/rules-private.h"

#include <glib/gstdio.h>
#include <unistd.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

static pd_ruleset *
compile_ok(const char *src)
{
	return rules_compile(src, NULL, NULL);
}

/* The error message of a rule text that must be refused; caller frees. */
static char *
compile_error(const char *src, const pd_rules_options *opts)
{
	GError *e = NULL;
	pd_ruleset *rs = pd_ruleset_compile("t.rules", src, strlen(src), opts, NULL, &e);
	g_assert_null(rs);
	g_assert_error(e, PD_RULES_ERROR, PD_RULES_ERROR_SYNTAX);
	char *msg = g_strdup(e->message);
	g_error_free(e);
	return msg;
}

/* The warnings of a rule text, joined by newlines; caller frees. */
static char *
warnings_of(const char *src, const pd_rules_options *opts)
{
	GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
	pd_ruleset *rs = rules_compile(src, opts, w);
	g_ptr_array_add(w, NULL);
	char *all = g_strjoinv("\n", (char **)w->pdata);
	pd_ruleset_free(&rs);
	g_ptr_array_unref(w);
	return all;
}

/* The one-line decision for a mail with this subject and body. */
static char *
route(pd_ruleset *rs, const char *subject, const char *body)
{
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_SUBJECT, subject);
	pd_rules_input_set(in, PD_RULES_BODY, body);
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	char *text = pd_decision_to_text(d, FALSE);
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	return text;
}

static void
assert_routes(const char *src, const char *subject, const char *body, const char *expected)
{
	pd_ruleset *rs = compile_ok(src);
	char *got = route(rs, subject, body);
	g_assert_cmpstr(got, ==, expected);
	g_free(got);
	pd_ruleset_free(&rs);
}

/* ---- constructs -------------------------------------------------------- */

static void
test_minimal(void)
{
	pd_ruleset *rs = compile_ok("rule \"Everything\" then queue general\n");
	g_assert_cmpuint(pd_ruleset_count(rs), ==, 1);
	g_assert_cmpuint(pd_ruleset_file_count(rs), ==, 1);
	char *got = route(rs, "anything", "");
	g_assert_cmpstr(got, ==, "queue general");
	g_free(got);
	pd_ruleset_free(&rs);
	/* An empty file and a file of comments are valid and do nothing. */
	rs = compile_ok("");
	got = route(rs, "x", "");
	g_assert_cmpstr(got, ==, "no rule matched");
	g_free(got);
	pd_ruleset_free(&rs);
	rs = compile_ok("# only a comment\n\n   # and another\n");
	g_assert_cmpuint(pd_ruleset_count(rs), ==, 0);
	pd_ruleset_free(&rs);
}

static void
test_layout(void)
{
	/* Keywords in any case, rules on one line or many, comments anywhere,
	 * CRLF line ends, a byte order mark, tabs. */
	const char *src = "\xef\xbb\xbf# billing\r\n"
	                  "RULE \"A\" WHEN Subject CONTAINS \"invoice\" THEN Queue billing # trailing\r\n"
	                  "rule \"B\"\r\n\twhen\r\n\t\tsubject contains \"x\"   # between\r\n\tthen\r\n\t\ttag t1\r\n";
	assert_routes(src, "Invoice 12", "", "queue billing");
	assert_routes(src, "x", "", "tags t1");
}

static void
test_every_field(void)
{
	const char *src =
		"rule \"s\" when subject is \"S\" then tag subject\n"
		"rule \"f\" when from is \"a@x.example\" then tag from\n"
		"rule \"n\" when from-name is \"Ann Smith\" then tag from-name\n"
		"rule \"t\" when to is \"to@x.example\" then tag to\n"
		"rule \"c\" when cc is \"cc@x.example\" then tag cc\n"
		"rule \"r\" when recipients is \"cc@x.example\" then tag recipients\n"
		"rule \"b\" when body contains \"new\" then tag body\n"
		"rule \"fb\" when full-body contains \"quoted\" then tag full-body\n"
		"rule \"h\" when header \"X-Team\" is \"blue\" then tag header\n"
		"rule \"h2\" when header X-Other exists then tag bare-header\n"
		"rule \"an\" when attachment name ends with \".pdf\" then tag attachment-name\n"
		"rule \"at\" when attachment type starts with \"application/\" then tag attachment-type\n"
		"rule \"as\" when attachment size > 1 KB then tag attachment-size\n"
		"rule \"src\" when source is \"inbox\" then tag source\n"
		"rule \"sz\" when size >= 2KB then tag size\n"
		"rule \"m\" when mail is a bounce then tag mail\n";
	pd_ruleset *rs = compile_ok(src);
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_SUBJECT, "s");
	pd_rules_input_set(in, PD_RULES_FROM, "A@x.example");
	pd_rules_input_set(in, PD_RULES_FROM_NAME, "ann  smith");
	pd_rules_input_add(in, PD_RULES_TO, "to@x.example");
	pd_rules_input_add(in, PD_RULES_CC, "cc@x.example");
	pd_rules_input_set(in, PD_RULES_BODY, "the new text");
	pd_rules_input_set(in, PD_RULES_FULL_BODY, "the new text\n> the quoted history");
	pd_rules_input_add_header(in, "x-team", "Blue");
	pd_rules_input_add_header(in, "X-Other", "");
	pd_rules_input_add_attachment(in, "Scan.PDF", "application/pdf", 4096);
	pd_rules_input_set(in, PD_RULES_SOURCE, "inbox");
	pd_rules_input_set_size(in, 2048);
	pd_rules_input_set_flags(in, PD_RULES_BOUNCE);
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	char *text = pd_decision_to_text(d, FALSE);
	g_assert_cmpstr(text, ==, "tags subject from from-name to cc recipients body full-body header bare-header "
	                          "attachment-name attachment-type attachment-size source size mail");
	g_free(text);
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_every_test(void)
{
	const char *src =
		"rule \"c\" when subject contains \"alpha\" then tag contains\n"
		"rule \"m\" when subject matches /^al/ then tag matches\n"
		"rule \"i\" when subject is \"ALPHA beta\" then tag is\n"
		"rule \"s\" when subject starts \"alpha\" then tag starts\n"
		"rule \"sw\" when subject starts with \"alpha\" then tag starts-with\n"
		"rule \"e\" when subject ends \"BETA\" then tag ends\n"
		"rule \"ew\" when subject ends with \"beta\" then tag ends-with\n"
		"rule \"x\" when subject exists then tag exists\n"
		"rule \"nx\" when not body exists then tag no-body\n";
	assert_routes(src, "Alpha Beta", NULL, "tags contains is starts starts-with ends ends-with exists no-body");
	assert_routes(src, "", "x", "no rule matched");
}

static void
test_lists_and_logic(void)
{
	const char *src =
		"rule \"any\" when subject contains \"a1\", \"a2\", \"a3\" then tag any\n"
		"rule \"re\" when subject matches /zz\\d/, /yy\\d/ then tag re\n"
		"rule \"and\" when subject contains \"a1\" and body contains \"b1\" then tag and\n"
		"rule \"or\" when subject contains \"q1\" or body contains \"b1\" then tag or\n"
		"rule \"not\" when not subject contains \"a1\" then tag not\n"
		"rule \"paren\" when (subject contains \"a2\" or subject contains \"a1\") and not (body contains \"b2\")\n"
		"  then tag paren\n"
		"rule \"deep\" when not not ((((subject contains \"a1\")))) then tag deep\n";
	assert_routes(src, "a1", "b1", "tags any and or paren deep");
	assert_routes(src, "a3 yy7", "b2", "tags any re not");
	assert_routes(src, "nothing", "", "tags not");
}

static void
test_every_action(void)
{
	const char *src =
		"rule \"all\"\n"
		"  when subject matches /order (?<num>\\d+)/\n"
		"  then queue billing\n"
		"       priority high\n"
		"       assign alice\n"
		"       tag one, two, \"three four\"\n"
		"       untag two\n"
		"       set order = \"#${num}\"\n"
		"       set note = \"cost \\$5 \\\"quoted\\\"\"\n"
		"       status pending\n"
		"       reply with billing-received\n"
		"       sla gold\n"
		"rule \"group\" when subject contains \"group\" then assign to group tier-2 and noreply\n"
		"rule \"agent\" when subject contains \"agent\" then assign agent \"Bob Smith\"\n";
	assert_routes(src, "order 42", "",
	              "queue billing, priority high, assign agent alice, status pending, tags one three four, "
	              "set order = \"#42\", set note = \"cost $5 \"quoted\"\", reply billing-received, sla gold");
	assert_routes(src, "group", "", "assign group tier-2, noreply");
	assert_routes(src, "agent", "", "assign agent Bob Smith");
}

static void
test_fates(void)
{
	const char *src =
		"rule \"q\" when subject matches /virus (?<name>\\w+)/ then quarantine \"found ${name}\"\n"
		"rule \"d\" when subject contains \"spam\" then drop\n"
		"rule \"after\" then tag after\n";
	assert_routes(src, "virus Eicar", "", "quarantine \"found Eicar\"");
	assert_routes(src, "spam", "", "drop");
	assert_routes(src, "ham", "", "tags after");
}

static void
test_size_units(void)
{
	static const struct { const char *cond; guint64 size; gboolean holds; } cases[] = {
		{ "size > 5 MB", 5 * 1024 * 1024, FALSE },
		{ "size > 5 MB", 5 * 1024 * 1024 + 1, TRUE },
		{ "size >= 5MB", 5 * 1024 * 1024, TRUE },
		{ "size < 1 kb", 1023, TRUE },
		{ "size <= 1K", 1024, TRUE },
		{ "size < 1 KB", 1024, FALSE },
		{ "size > 1.5 GB", (guint64)3 << 29, FALSE },
		{ "size > 1.5 GB", ((guint64)3 << 29) + 1, TRUE },
		{ "size > 100", 101, TRUE },
		{ "size > 100 bytes", 100, FALSE },
		{ "size > 2 B", 3, TRUE },
		{ "size > 1 G", (guint64)1 << 30, FALSE },
		{ "size > 1 M", (1 << 20) + 1, TRUE },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *src = g_strdup_printf("rule \"s\" when %s then tag yes\n", cases[i].cond);
		pd_ruleset *rs = compile_ok(src);
		pd_rules_input *in = pd_rules_input_new();
		pd_rules_input_set_size(in, cases[i].size);
		pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
		g_assert_cmpuint(d->tags->len, ==, cases[i].holds ? 1 : 0);
		pd_decision_free(&d);
		pd_rules_input_free(&in);
		pd_ruleset_free(&rs);
		g_free(src);
	}
}

static void
test_mail_kinds(void)
{
	static const struct { const char *word; guint32 flag; } kinds[] = {
		{ "auto-submitted", PD_RULES_AUTO_SUBMITTED }, { "auto-replied", PD_RULES_AUTO_REPLIED },
		{ "out-of-office", PD_RULES_OUT_OF_OFFICE }, { "bounce", PD_RULES_BOUNCE },
		{ "mailing-list", PD_RULES_LIST }, { "list", PD_RULES_LIST }, { "ours", PD_RULES_OURS },
	};
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		char *src = g_strdup_printf("rule \"k\" when mail is %s then tag yes\n", kinds[i].word);
		pd_ruleset *rs = compile_ok(src);
		for (guint f = 0; f < 6; f++) {
			pd_rules_input *in = pd_rules_input_new();
			pd_rules_input_set_flags(in, 1u << f);
			pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
			g_assert_cmpuint(d->tags->len, ==, (1u << f) == kinds[i].flag ? 1 : 0);
			pd_decision_free(&d);
			pd_rules_input_free(&in);
		}
		pd_ruleset_free(&rs);
		g_free(src);
	}
}

/* ---- files ------------------------------------------------------------- */

static char *
temp_dir(void)
{
	char *dir = g_dir_make_tmp("pd-rules-XXXXXX", NULL);
	g_assert_nonnull(dir);
	return dir;
}

static void
write_file(const char *dir, const char *name, const char *text, gssize len)
{
	char *path = g_build_filename(dir, name, NULL);
	g_assert_true(g_file_set_contents(path, text, len, NULL));
	g_free(path);
}

static void
remove_dir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	for (const char *n; d != NULL && (n = g_dir_read_name(d)) != NULL;) {
		char *p = g_build_filename(dir, n, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			remove_dir(p);
		else
			g_unlink(p);
		g_free(p);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

static void
test_files_in_order(void)
{
	char *dir = temp_dir();
	write_file(dir, "20-second.rules", "rule \"second\" then queue two and tag b\n", -1);
	write_file(dir, "10-first.rules", "rule \"first\" then queue one and tag a\n", -1);
	write_file(dir, "README.md", "rule \"not a rule file\" then drop\n", -1);
	write_file(dir, ".#10-first.rules", "this is an editor's lock file", -1);
	write_file(dir, "30-backup.rules~", "garbage", -1);
	GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
	GError *e = NULL;
	pd_ruleset *rs = pd_ruleset_load(dir, NULL, w, &e);
	g_assert_no_error(e);
	g_assert_cmpuint(pd_ruleset_file_count(rs), ==, 2);
	g_assert_cmpuint(w->len, ==, 0);
	char *got = route(rs, "x", "");
	g_assert_cmpstr(got, ==, "queue two, tags a b");
	g_free(got);
	pd_rules_input *in = pd_rules_input_new();
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	g_assert_cmpstr(((pd_rules_trace *)d->matched->pdata[0])->rule, ==, "first");
	g_assert_true(g_str_has_suffix(((pd_rules_trace *)d->matched->pdata[0])->file, "10-first.rules"));
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
	/* Rule names are unique across files. */
	write_file(dir, "30-dup.rules", "\n\nrule \"first\" then stop\n", -1);
	rs = pd_ruleset_load(dir, NULL, NULL, &e);
	g_assert_null(rs);
	g_assert_error(e, PD_RULES_ERROR, PD_RULES_ERROR_SYNTAX);
	assert_contains(e->message, "30-dup.rules:3:1: a rule named \"first\" already exists (");
	assert_contains(e->message, "10-first.rules:1)");
	g_clear_error(&e);
	remove_dir(dir);
	g_free(dir);
	g_ptr_array_unref(w);
}

static void
test_empty_dir(void)
{
	char *dir = temp_dir();
	GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
	GError *e = NULL;
	pd_ruleset *rs = pd_ruleset_load(dir, NULL, w, &e);
	g_assert_no_error(e);
	g_assert_cmpuint(pd_ruleset_count(rs), ==, 0);
	g_assert_cmpuint(w->len, ==, 1);
	assert_contains(w->pdata[0], "warning: no rules");
	pd_ruleset_free(&rs);
	char *missing = g_build_filename(dir, "nope", NULL);
	rs = pd_ruleset_load(missing, NULL, NULL, &e);
	g_assert_null(rs);
	g_assert_error(e, PD_RULES_ERROR, PD_RULES_ERROR_FILE);
	assert_contains(e->message, "cannot read the rules directory");
	g_clear_error(&e);
	g_free(missing);
	remove_dir(dir);
	g_free(dir);
	g_ptr_array_unref(w);
}

/* A file problem refuses the whole set; the message names the file. */
static void
assert_file_error(const char *name, const char *content, gssize len, const char *fragment)
{
	char *dir = temp_dir();
	GError *e = NULL;
	write_file(dir, "10-good.rules", "rule \"good\" then stop\n", -1);
	if (content != NULL)
		write_file(dir, name, content, len);
	pd_rules_options opts = { .limits = { .max_file_size = 4096 } };
	pd_ruleset *rs = pd_ruleset_load(dir, &opts, NULL, &e);
	g_assert_null(rs);
	g_assert_error(e, PD_RULES_ERROR, PD_RULES_ERROR_FILE);
	char *where = g_build_filename(dir, name, NULL);
	assert_contains(e->message, where);
	assert_contains(e->message, fragment);
	g_free(where);
	g_clear_error(&e);
	remove_dir(dir);
	g_free(dir);
}

static void
test_file_errors(void)
{
	assert_file_error("20-bin.rules", "rule \"a\"\nthen\0stop\n", 19, "line 2: a binary file (a NUL byte)");
	assert_file_error("20-latin1.rules", "# caf\xe9\n", -1, "line 1: not UTF-8 text");
	assert_file_error("20-ctl.rules", "rule \"a\"\n\n\x01 then stop\n", -1, "line 3: a control character");
	char *big = g_strnfill(5000, '#');
	assert_file_error("20-big.rules", big, -1, "the file is 5000 bytes; the limit is 4096");
	g_free(big);
	/* A directory that looks like a rule file, and a dangling link. */
	char *dir = temp_dir();
	char *sub = g_build_filename(dir, "20-dir.rules", NULL);
	g_mkdir(sub, 0700);
	GError *e = NULL;
	g_assert_null(pd_ruleset_load(dir, NULL, NULL, &e));
	assert_contains(e->message, "20-dir.rules: not a regular file");
	g_clear_error(&e);
	g_rmdir(sub);
	g_assert_cmpint(symlink("/nonexistent/x", sub), ==, 0);
	g_assert_null(pd_ruleset_load(dir, NULL, NULL, &e));
	assert_contains(e->message, "20-dir.rules: No such file or directory");
	g_clear_error(&e);
	g_free(sub);
	remove_dir(dir);
	g_free(dir);
}

/* ---- errors: every message, where it points -------------------------- */

typedef struct {
	const char *src;
	const char *where;    /* "line:col: " */
	const char *message;  /* a fragment of the message */
} error_case;

static const error_case error_cases[] = {
	/* lexer */
	{ "rule \"a\\q\" then stop", "1:8", "unknown escape \"\\q\" in a string" },
	{ "rule \"abc\nthen stop", "1:6", "this string has no closing \" on its line" },
	{ "rule \"a\" when subject matches /abc\nthen stop", "1:31", "this pattern has no closing / on its line" },
	{ "rule \"a\" when subject is 'x' then stop", "1:26", "unexpected character \"'\"; text goes in double quotes" },
	{ "rule \"a\" when ! subject exists then stop", "1:15", "unexpected character \"!\"; write not" },
	{ "rule \"a\" when subject exists && body exists then stop", "1:30", "\"&\"; write and" },
	{ "rule \"a\" when subject exists || body exists then stop", "1:30", "\"|\"; write or" },
	{ "rule \"a\" { queue x }", "1:10", "\"{\"; a rule is written: rule \"name\" when CONDITION then ACTIONS" },
	{ "rule \"a\" when from is a@b then stop", "1:23", "put the text in double quotes: \"a\"" },
	{ "rule \"a\" when from is \"a\" @ then stop", "1:27", "unexpected character \"@\"; put text in double quotes" },
	/* names and structure */
	{ "rules \"a\" then stop", "1:1", "expected \"rule\" to start a rule, found \"rules\"; did you mean \"rule\"?" },
	{ "rule a then stop", "1:6", "the rule's name goes in double quotes: rule \"a\"" },
	{ "rule then stop", "1:6", "the rule's name goes in double quotes: rule \"then\"" },
	{ "rule ( then stop", "1:6", "expected the rule's name in double quotes, found \"(\"" },
	{ "rule \"\" then stop", "1:6", "the rule's name in double quotes must be one line of 1 to 200 bytes" },
	{ "rule \"a\" then stop\nrule \"a\" then stop", "2:1", "a rule named \"a\" already exists (t.rules:1)" },
	{ "rule \"a\" stop", "1:10", "expected \"when\" or \"then\", found \"stop\"" },
	{ "rule \"a\" subject contains \"x\" then stop", "1:10", "a condition starts with \"when\": when subject ..." },
	{ "rule \"a\" when subject contains \"x\" stop", "1:36", "expected \"and\", \"or\" or \"then\", found \"stop\"" },
	{ "rule \"a\" when then stop", "1:15", "expected a field (subject, from, from-name, to, cc, recipients, body" },
	/* fields */
	{ "rule \"a\" when subjet contains \"x\" then stop", "1:15", "expected a field, found \"subjet\"; did you mean \"subject\"?" },
	{ "rule \"a\" when contains \"x\" then stop", "1:15", "expected a field before \"contains\", such as subject, from or body" },
	{ "rule \"a\" when header exists then stop", "1:22", "expected a header name (header \"List-Id\"), found \"exists\"" },
	{ "rule \"a\" when header \"Bad Name\" exists then stop", "1:22", "\"Bad Name\" is not a header name" },
	{ "rule \"a\" when attachment color is \"red\" then stop", "1:26", "expected what of the attachment (name, type, size), found \"color\"" },
	{ "rule \"a\" when mail bounce then stop", "1:20", "expected \"is\" (mail is bounce), found \"bounce\"" },
	{ "rule \"a\" when mail is bouncy then stop", "1:23", "expected a kind of mail, found \"bouncy\"; did you mean \"bounce\"?" },
	{ "rule \"a\" when mail is ( then stop", "1:23", "expected a kind of mail (auto-submitted, auto-replied, out-of-office, bounce" },
	/* tests */
	{ "rule \"a\" when subject contain \"x\" then stop", "1:23", "expected a test, found \"contain\"; did you mean \"contains\"?" },
	{ "rule \"a\" when subject has \"x\" then stop", "1:23", "expected a test (contains, matches, is, starts, ends, exists), found \"has\"" },
	{ "rule \"a\" when subject = \"x\" then stop", "1:23", "to compare with a text, write: subject is \"...\"" },
	{ "rule \"a\" when subject > 5 then stop", "1:23", "only size and attachment size are compared with < and >" },
	{ "rule \"a\" when subject contains x then stop", "1:32", "put the text in double quotes: \"x\"" },
	{ "rule \"a\" when subject contains /x/ then stop", "1:32", "expected a \"text\" in double quotes, found a /pattern/" },
	{ "rule \"a\" when subject contains \"x\", then stop", "1:37", "put the text in double quotes: \"then\"" },
	{ "rule \"a\" when subject matches \"x\" then stop", "1:31", "a pattern is written between slashes: /x/" },
	{ "rule \"a\" when subject matches ( then stop", "1:31", "expected a /pattern/, found \"(\"" },
	{ "rule \"a\" when subject matches /a(b/ then stop", "1:35", "missing closing parenthesis" },
	{ "rule \"a\" when subject matches /a\\Cb/ then stop", "1:35", "using \\C is disabled" },
	{ "rule \"a\" when subject matches /x/iq then stop", "1:35", "unknown pattern flag \"q\"; the flags are i (ignore case)" },
	{ "rule \"a\" when subject matches /(*LIMIT_MATCH=99999999)a/ then stop", "1:31",
	  "(*LIMIT_MATCH=99999999) is not allowed in a rule: postdesk sets the match limits" },
	{ "rule \"a\" when subject matches /(*NO_JIT)a/ then stop", "1:31", "(*NO_JIT) is not allowed in a rule" },
	{ "rule \"a\" when subject matches /(*UTF)(*LIMIT_HEAP=1)a/ then stop", "1:31", "(*UTF) is not allowed in a rule" },
	{ "rule \"a\" when size contains \"x\" then stop", "1:20",
	  "size is compared with <, <=, > or >= and a size (size > 5 MB), found \"contains\"" },
	{ "rule \"a\" when attachment size is \"x\" then stop", "1:31", "attachment size is compared with <, <=, > or >=" },
	{ "rule \"a\" when size > big then stop", "1:22", "expected a size such as 5 MB, found \"big\"" },
	{ "rule \"a\" when size > 5XB then stop", "1:22", "unknown size unit \"XB\"; use B, KB, MB or GB" },
	{ "rule \"a\" when size > 99999999999999999999 then stop", "1:22", "this size is out of range" },
	/* logic */
	{ "rule \"a\" when subject exists and body exists or from exists then stop", "1:46",
	  "\"and\" and \"or\" are mixed here; add parentheses to say which goes first, as in (A and B) or C" },
	{ "rule \"a\" when (subject exists then stop", "1:31",
	  "expected \")\" to close the \"(\" at line 1, column 15, found \"then\"" },
	{ "rule \"a\" when not then stop", "1:19", "expected a field" },
	{ "rule \"a\" when subject exists and then stop", "1:34", "expected a field" },
	/* actions */
	{ "rule \"a\" then", "1:14", "expected an action (queue, priority, assign, tag, untag, set, status, reply, noreply, sla, quarantine, drop, stop), found the end of the file" },
	{ "rule \"a\" then queu billing", "1:15", "expected an action, found \"queu\"; did you mean \"queue\"?" },
	{ "rule \"a\" then subject", "1:15", "\"subject\" is a field, not an action; conditions go between when and then" },
	{ "rule \"a\" then stop when subject exists", "1:20", "\"when\" after \"then\": the condition comes first" },
	{ "rule \"a\" then stop\n\"Billing\" then stop", "2:1",
	  "expected an action or the next rule, found the text \"Billing\"; a rule starts with: rule \"Billing\"" },
	{ "rule \"a\" then queue (", "1:21", "expected a queue name, found \"(\"" },
	{ "rule \"a\" then queue \"\"", "1:21", "a queue name must be one line of 1 to 200 bytes" },
	{ "rule \"a\" then tag", "1:18", "expected a tag name, found the end of the file" },
	{ "rule \"a\" then tag a,", "1:21", "expected a tag name, found the end of the file" },
	{ "rule \"a\" then untag ,", "1:21", "expected a tag name, found \",\"" },
	{ "rule \"a\" then assign", "1:21", "expected an agent name, found the end of the file" },
	{ "rule \"a\" then assign group", "1:27", "expected a group name, found the end of the file" },
	{ "rule \"a\" then priority hgh", "1:24", "expected a priority, found \"hgh\"; did you mean \"high\"?" },
	{ "rule \"a\" then priority 5", "1:24", "expected a priority (low, normal, high, urgent), found \"5\"" },
	{ "rule \"a\" then status opne", "1:22", "expected a status, found \"opne\"; did you mean \"open\"?" },
	{ "rule \"a\" then reply", "1:20", "expected a template name, found the end of the file" },
	{ "rule \"a\" then sla", "1:18", "expected an SLA name, found the end of the file" },
	{ "rule \"a\" then quarantine", "1:25", "expected a reason in double quotes (quarantine \"looks like phishing\")" },
	{ "rule \"a\" then drop and quarantine \"x\"", "1:24", "a rule can drop a mail or quarantine it, not both" },
	{ "rule \"a\" then set \"x\" = \"y\"", "1:19", "expected a field name (set order = \"${order}\"), found the text \"x\"" },
	{ "rule \"a\" then set a.b = \"y\"", "1:19", "a field name has letters, digits, - and _ only" },
	{ "rule \"a\" then set queue = \"y\"", "1:19", "\"queue\" has its own action: write queue NAME instead of set" },
	{ "rule \"a\" then set tags = \"y\"", "1:19", "\"tags\" has its own action: write tag NAME instead of set" },
	{ "rule \"a\" then set x \"y\"", "1:21", "expected \"=\" (set field = \"text\"), found the text \"y\"" },
	{ "rule \"a\" then set x = y", "1:23", "expected a \"text\" in double quotes, found \"y\"" },
	{ "rule \"a\" then set x = \"${order\"", "1:24", "\"${\" without a closing \"}\"; write \\$ for a dollar sign" },
	{ "rule \"a\" when subject matches /(?<order>\\d+)/ then set x = \"n ${ordr}\"", "1:63",
	  "no pattern of this rule captures \"ordr\"; did you mean \"order\"?" },
	{ "rule \"a\" then set x = \"${order}\"", "1:24",
	  "no pattern of this rule captures \"order\"; name a group in a pattern, as in /order (?<order>\\d+)/" },
	{ "rule \"a\" then quarantine \"${why}\"", "1:27", "no pattern of this rule captures \"why\"" },
};

/* Each case gives exactly one error, at its place. */
static void
test_errors(void)
{
	GString *failures = g_string_new(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(error_cases); i++) {
		char *msg = compile_error(error_cases[i].src, NULL);
		char *where = g_strdup_printf("t.rules:%s: ", error_cases[i].where);
		if (!g_str_has_prefix(msg, where) || strstr(msg, error_cases[i].message) == NULL ||
		    strstr(msg + 1, "\nt.rules:") != NULL)
			g_string_append_printf(failures, "case %u: %s\nexpected: %s%s...\ngot:\n%s\n\n", i,
			                       error_cases[i].src, where, error_cases[i].message, msg);
		g_free(where);
		g_free(msg);
	}
	if (failures->len > 0)
		g_error("%s", failures->str);
	g_string_free(failures, TRUE);
}

static void
test_error_caret(void)
{
	char *msg = compile_error("rule \"a\"\n\twhen subjet contains \"x\"\n\tthen stop\n", NULL);
	g_assert_cmpstr(msg, ==, "t.rules:2:7: expected a field, found \"subjet\"; did you mean \"subject\"?\n"
	                         "    \twhen subjet contains \"x\"\n"
	                         "    \t     ^");
	g_free(msg);
	/* Columns count characters, not bytes. */
	msg = compile_error("rule \"Rückerstattung\" when subjekt exists then stop", NULL);
	assert_contains(msg, "t.rules:1:28: ");
	g_free(msg);
}

static void
test_error_recovery(void)
{
	/* Every error of the file is reported, each at its place. */
	char *msg = compile_error("rule \"a\" when subjet exists then stop\n"
	                          "rule \"b\" then queue billing\n"
	                          "rule \"c\" then priority hgih\n"
	                          "rule \"d\" then stop\n", NULL);
	assert_contains(msg, "t.rules:1:15: ");
	assert_contains(msg, "t.rules:3:24: ");
	g_assert_null(strstr(msg, "t.rules:2:"));
	g_free(msg);
	/* ... up to a limit. */
	GString *src = g_string_new(NULL);
	for (int i = 0; i < 40; i++)
		g_string_append_printf(src, "rule \"r%d\" then frobnicate\n", i);
	msg = compile_error(src->str, NULL);
	assert_contains(msg, "t.rules:20:");
	assert_contains(msg, "(stopped after 20 errors)");
	g_assert_null(strstr(msg, "t.rules:21:"));
	g_free(msg);
	g_string_free(src, TRUE);
}

static void
test_error_limits(void)
{
	/* Nesting is bounded: the parser recurses. */
	GString *src = g_string_new("rule \"a\" when ");
	for (int i = 0; i < 70; i++)
		g_string_append(src, "(");
	g_string_append(src, "subject exists");
	for (int i = 0; i < 70; i++)
		g_string_append(src, ")");
	g_string_append(src, " then stop");
	char *msg = compile_error(src->str, NULL);
	assert_contains(msg, "t.rules:1:79: conditions nest deeper than 64 levels");
	g_free(msg);
	g_string_free(src, TRUE);
	/* Header names are counted. */
	src = g_string_new(NULL);
	for (int i = 0; i < 1001; i++)
		g_string_append_printf(src, "rule \"h%d\" when header X-H%d exists then stop\n", i, i);
	msg = compile_error(src->str, NULL);
	assert_contains(msg, "t.rules:1001:26: rules test more than 1000 different header fields");
	g_free(msg);
	g_string_free(src, TRUE);
	/* Texts and patterns have a length limit. */
	pd_rules_options opts = { .limits = { .max_pattern_length = 16 } };
	msg = compile_error("rule \"a\" when subject contains \"0123456789abcdefg\" then stop", &opts);
	assert_contains(msg, "t.rules:1:32: this text is 17 bytes long; the limit is 16");
	g_free(msg);
	msg = compile_error("rule \"a\" when subject matches /0123456789abcdefg/ then stop", &opts);
	assert_contains(msg, "t.rules:1:31: the pattern is 17 bytes long; the limit is 16");
	g_free(msg);
}

/* ---- warnings ---------------------------------------------------------- */

static void
test_warn_unreachable(void)
{
	char *w = warnings_of("rule \"all\" then queue x and stop\n"
	                      "rule \"late\" when subject exists then tag y\n"
	                      "rule \"later\" then tag z\n", NULL);
	assert_contains(w, "t.rules:2:1: warning: rule \"late\" is never reached: rule \"all\" (t.rules:1) stops every mail");
	assert_contains(w, "t.rules:3:1: warning: rule \"later\" is never reached");
	g_free(w);
	w = warnings_of("rule \"spam\" when subject contains \"a\" and body contains \"b\" then drop\n"
	                "rule \"again\" when body contains \"B\" and subject contains \"A\" then tag y\n"
	                "rule \"other\" when body contains \"B\" then tag y\n", NULL);
	assert_contains(w, "t.rules:2:1: warning: rule \"again\" is never reached: rule \"spam\" (t.rules:1) has the same "
	                   "condition and stops");
	g_assert_null(strstr(w, "\"other\""));
	g_free(w);
	/* A rule that does not stop blocks nothing; no warning. */
	w = warnings_of("rule \"all\" then tag x\nrule \"b\" then tag y\n", NULL);
	g_assert_cmpstr(w, ==, "");
	g_free(w);
	w = warnings_of("rule \"q\" then quarantine \"everything\"\nrule \"b\" then tag y\n", NULL);
	assert_contains(w, "rule \"b\" is never reached");
	g_free(w);
}

static void
test_warn_unknown_names(void)
{
	const char *src = "rule \"a\" then queue biling and assign bob and assign group tier3 and reply thanks "
	                  "and sla gold\n";
	/* Without lists nothing is checked. */
	char *w = warnings_of(src, NULL);
	g_assert_cmpstr(w, ==, "");
	g_free(w);
	static const char *const queues[] = { "billing", "technical", NULL };
	static const char *const agents[] = { "alice", NULL };
	static const char *const groups[] = { "tier1", "tier2", NULL };
	static const char *const templates[] = { "thanks", NULL };
	static const char *const slas[] = { "silver", NULL };
	pd_rules_options opts = { .known = { queues, agents, groups, templates, slas } };
	w = warnings_of(src, &opts);
	assert_contains(w, "t.rules:1:21: warning: unknown queue \"biling\"; did you mean \"billing\"?");
	assert_contains(w, "t.rules:1:39: warning: unknown agent \"bob\"\n");
	assert_contains(w, "t.rules:1:60: warning: unknown group \"tier3\"; did you mean \"tier1\"?");
	assert_contains(w, "t.rules:1:91: warning: unknown SLA \"gold\"");
	g_assert_null(strstr(w, "template"));
	g_free(w);
}

static void
test_warn_cannot_match(void)
{
	static const struct { const char *cond; const char *warning; } cases[] = {
		{ "subject matches /a^b/", "1:31: warning: this pattern can never match" },
		{ "subject matches /x\\z./", "1:31: warning: this pattern can never match" },
		{ "subject matches /$x/", "1:31: warning: this pattern can never match" },
		{ "subject matches /a(?!)/", "1:31: warning: this pattern can never match" },
		{ "subject matches /(?:x|y)\\Ab/", "warning: this pattern can never match" },
		{ "subject contains \"\"", "1:32: warning: an empty keyword never matches" },
		{ "subject contains \"   \"", "warning: an empty keyword never matches" },
		{ "subject starts with \"\"", "warning: starts with \"\" is true of every subject" },
		{ "body ends with \"\"", "warning: ends with \"\" is true of every body" },
		{ "subject matches /x*/", "warning: this pattern matches empty text, so it matches almost every subject" },
		{ "subject matches /^/", "warning: this pattern matches empty text" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *src = g_strdup_printf("rule \"a\" when %s then tag t\n", cases[i].cond);
		char *w = warnings_of(src, NULL);
		assert_contains(w, cases[i].warning);
		g_free(w);
		g_free(src);
	}
	/* Patterns that can match get no warning. */
	static const char *const fine[] = { "/^a|b$/", "/a$/m", "/a$\\n^b/m", "/\\bx\\b/", "/a$|^b/", "/(?=a)a/",
	                                    "/$\\n/", "/^^a/" };
	for (guint i = 0; i < G_N_ELEMENTS(fine); i++) {
		char *src = g_strdup_printf("rule \"a\" when subject matches %s then tag t\n", fine[i]);
		char *w = warnings_of(src, NULL);
		if (*w != '\0')
			g_error("%s: unexpected warning %s", fine[i], w);
		g_free(w);
		g_free(src);
	}
	/* A pattern that cannot match never holds. */
	assert_routes("rule \"a\" when not subject matches /a^b/ then tag never-holds-so-not-holds\n", "a^b", NULL,
	              "tags never-holds-so-not-holds");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/construct/minimal", test_minimal);
	g_test_add_func("/rules/construct/layout", test_layout);
	g_test_add_func("/rules/construct/every-field", test_every_field);
	g_test_add_func("/rules/construct/every-test", test_every_test);
	g_test_add_func("/rules/construct/lists-and-logic", test_lists_and_logic);
	g_test_add_func("/rules/construct/every-action", test_every_action);
	g_test_add_func("/rules/construct/fates", test_fates);
	g_test_add_func("/rules/construct/size-units", test_size_units);
	g_test_add_func("/rules/construct/mail-kinds", test_mail_kinds);
	g_test_add_func("/rules/files/in-order", test_files_in_order);
	g_test_add_func("/rules/files/empty-dir", test_empty_dir);
	g_test_add_func("/rules/files/errors", test_file_errors);
	g_test_add_func("/rules/errors/each-message", test_errors);
	g_test_add_func("/rules/errors/caret", test_error_caret);
	g_test_add_func("/rules/errors/recovery", test_error_recovery);
	g_test_add_func("/rules/errors/limits", test_error_limits);
	g_test_add_func("/rules/warnings/unreachable", test_warn_unreachable);
	g_test_add_func("/rules/warnings/unknown-names", test_warn_unknown_names);
	g_test_add_func("/rules/warnings/cannot-match", test_warn_cannot_match);
	int rc = g_test_run();
	pd_rules_thread_cleanup();
	return rc;
}
