/* test-reply-corpus.c: postdesk's reply splitting against other reply parsers' fixtures in the shared corpus. */
#include "corpus-util.h"
#include "parse/html.h"
#include "parse/reply.h"

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <string.h>

/*
 * Each source publishes what it expects of a reply in its own terms
 * (expected.json "_note" fields say which): the exact visible text, the
 * first fragment, regular expressions for the reply or the quote, substrings,
 * or a sentence. Every fixture is split (plain text with pd_reply_split, HTML
 * with pd_html_new_text) and checked against whatever its source states;
 * a fixture agrees when every check holds. Fixtures where postdesk disagrees
 * on purpose are listed with the reason in tests/reply-disagreements.txt.
 * The test fails when overall agreement, counting those decisions, falls
 * under PD_CORPUS_TARGET percent. Fixture files without any expectation are
 * still run, so a crash on them fails the test too.
 */

#define PD_CORPUS_TARGET 90.0

static const char *const json_sources[] = {
	"talon", "github-email_reply_parser", "zapier-email_reply_parser", "willdurand-EmailReplyParser",
};
#define DISCOURSE "discourse-email_reply_trimmer"

/* Where a source keeps its fixture files, relative to its folder. */
static const char *const fixture_dirs[] = { "", "emails", "Fixtures" };

typedef struct {
	char *new_text;
	char *quoted;     /* NULL if none */
	char *signature;  /* NULL if none */
	char *input;      /* the text that was split (plain) or rendered (HTML) */
} split_result;

typedef struct {
	char *source;
	char *name;
	char *problem;    /* the first check that failed, NULL when all hold */
} outcome;

typedef struct {
	char *source;
	guint agreed, decided, disagreed, unscored;
} tally;

static char *corpus;              /* the corpus folder */
static GHashTable *decisions;     /* "source fixture" -> reason */
static GPtrArray *outcomes;       /* of outcome* */
static GPtrArray *tallies;        /* of tally* */
static GPtrArray *unscored;       /* of char*: "source fixture" */

/* ---- text helpers ----------------------------------------------------------- */

/* All white space removed: how talon compares HTML replies. */
static char *
no_space(const char *s)
{
	char *n = corpus_norm(s);
	char *o = n;

	for (const char *p = n; *p != '\0'; p++)
		if (*p != ' ')
			*o++ = *p;
	*o = '\0';
	return n;
}

static char *
lf_only(const char *s, gsize len)
{
	GString *out = g_string_sized_new(len);
	char *valid;

	for (gsize i = 0; i < len; i++)
		if (!(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
			g_string_append_c(out, s[i] == '\0' ? ' ' : s[i]);
	valid = g_utf8_make_valid(out->str, (gssize) out->len);
	g_string_free(out, TRUE);
	return valid;
}

/* ---- splitting a fixture -------------------------------------------------- */

static void
split_result_clear(split_result *r)
{
	g_free(r->new_text);
	g_free(r->quoted);
	g_free(r->signature);
	g_free(r->input);
}

static void
split_plain(const char *text, split_result *r)
{
	r->input = g_strdup(text);
	pd_reply_split(text, &r->new_text, &r->quoted, &r->signature);
}

static void
split_html(const char *html, split_result *r)
{
	gboolean quoted = FALSE;

	r->input = pd_html_to_text(html, strlen(html));
	r->new_text = pd_html_new_text(html, strlen(html), &quoted);
	r->quoted = quoted ? g_strdup("(quoted HTML removed)") : NULL;
}

/* The first part of a MIME type in the message, decoded to UTF-8, or NULL. */
static char *
mime_text(GMimeMessage *msg, const char *subtype)
{
	GMimePartIter *iter = g_mime_part_iter_new((GMimeObject *) msg);
	char *text = NULL;

	if (GMIME_IS_TEXT_PART(g_mime_message_get_mime_part(msg)) &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(g_mime_message_get_mime_part(msg)),
	                                "text", subtype))
		text = g_mime_text_part_get_text((GMimeTextPart *) g_mime_message_get_mime_part(msg));
	while (text == NULL && g_mime_part_iter_is_valid(iter)) {
		GMimeObject *part = g_mime_part_iter_get_current(iter);

		if (GMIME_IS_TEXT_PART(part) &&
		    g_mime_content_type_is_type(g_mime_object_get_content_type(part), "text", subtype))
			text = g_mime_text_part_get_text((GMimeTextPart *) part);
		g_mime_part_iter_next(iter);
	}
	g_mime_part_iter_free(iter);
	return text;
}

/* A whole message: its first text/plain part, else its first text/html part. */
static void
split_message(const char *data, gsize len, split_result *r)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	char *text = msg != NULL ? mime_text(msg, "plain") : NULL;
	char *html = msg != NULL && text == NULL ? mime_text(msg, "html") : NULL;
	char *clean;

	if (html != NULL) {
		split_html(html, r);
	} else {
		clean = text != NULL ? lf_only(text, strlen(text)) : g_strdup("");
		split_plain(clean, r);
		g_free(clean);
	}
	g_free(text);
	g_free(html);
	g_clear_object(&msg);
	g_object_unref(parser);
	g_object_unref(stream);
}

/* raw: pass a message's bytes as they are, as the source's test does. */
static void
split_file(const char *path, const char *data, gsize len, gboolean raw, split_result *r)
{
	char *text;

	if (g_str_has_suffix(path, ".eml") && !raw) {
		split_message(data, len, r);
		return;
	}
	text = lf_only(data, len);
	if (g_str_has_suffix(path, ".html") || g_str_has_suffix(path, ".htm"))
		split_html(text, r);
	else
		split_plain(text, r);
	g_free(text);
}

/* ---- checks ------------------------------------------------------------------- */

typedef enum {
	CHECK_UNCHANGED,  /* nothing is cut */
	CHECK_EXCLUDES,   /* the reply lacks the captured text */
	CHECK_NONEMPTY,
	CHECK_SIGNATURE,  /* the signature is the captured text ("\n" escaped) */
	CHECK_RAW,        /* not a check: the source split the raw message */
} note_check;

/* Sentences of the "note" fields and what they require. */
static const struct {
	const char *pattern;
	note_check check;
} note_checks[] = {
	{ "single \\(?(visible\\) )?fragment|remain 1 fragment|nothing stripped", CHECK_UNCHANGED },
	{ "must not contain '([^']+)'", CHECK_EXCLUDES },
	{ "result non-empty", CHECK_NONEMPTY },
	{ "last fragment is signature '((?:[^'\\\\]|\\\\.)*)'", CHECK_SIGNATURE },
	{ "raw message text", CHECK_RAW },
};

static gboolean
regex_matches(const char *pattern, const char *text)
{
	GError *error = NULL;
	GRegex *rx = g_regex_new(pattern, 0, 0, &error);
	gboolean yes;

	g_assert_no_error(error);
	yes = text != NULL && g_regex_match(rx, text, 0, NULL);
	g_regex_unref(rx);
	return yes;
}

static char *
last_line(const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	char *last = g_strdup("");

	for (guint i = 0; lines[i] != NULL; i++)
		if (*g_strstrip(lines[i]) != '\0') {
			g_free(last);
			last = g_strdup(lines[i]);
		}
	g_strfreev(lines);
	return last;
}

/* NULL when want and got agree under mode ("=", "~" no white space, "^" prefix, "!" absent, "*" present). */
static char *
compare(const char *what, const char *got, const char *want, char mode)
{
	char *g = mode == '~' ? no_space(got) : corpus_norm(got);
	char *w = mode == '~' ? no_space(want) : corpus_norm(want);
	gboolean ok = mode == '^' ? g_str_has_prefix(g, w)
	              : mode == '!' ? strstr(g, w) == NULL
	              : mode == '*' ? strstr(g, w) != NULL
	                            : strcmp(g, w) == 0;
	char *problem = NULL;

	if (!ok) {
		char *sg = corpus_shorten(got, 120), *sw = corpus_shorten(want, 120);

		problem = g_strdup_printf("%s: got \"%s\", want %s\"%s\"", what, sg,
		                          mode == '!' ? "none of " : mode == '*' ? "some " : "", sw);
		g_free(sg);
		g_free(sw);
	}
	g_free(g);
	g_free(w);
	return problem;
}

static char *
check_regexes(JsonObject *fx, const char *key, const char *what, const char *text)
{
	JsonArray *a = json_object_has_member(fx, key) ? json_object_get_array_member(fx, key) : NULL;

	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		const char *pattern = json_array_get_string_element(a, i);

		if (!regex_matches(pattern, text)) {
			char **lines = g_strsplit(text != NULL ? text : "(none)", "\n", 4);
			char *shown = g_strjoinv("\\n", lines);
			char *problem = g_strdup_printf("%s does not match /%s/: \"%.80s\"", what, pattern, shown);

			g_free(shown);
			g_strfreev(lines);
			return problem;
		}
	}
	return NULL;
}

static char *
check_substrings(JsonObject *fx, const char *key, const char *text, char mode)
{
	JsonArray *a = json_object_has_member(fx, key) ? json_object_get_array_member(fx, key) : NULL;

	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		char *problem = compare("reply", text, json_array_get_string_element(a, i), mode);

		if (problem != NULL)
			return problem;
	}
	return NULL;
}

/* Checks on the reply text keyed by the JSON member name; count_r counts the checks made. */
static char *
check_keys(JsonObject *fx, const split_result *r, guint *count_r)
{
	static const struct {
		const char *key;
		const char *what;
		char mode;
	} exact[] = {
		{ "visible_text", "reply", '=' },
		{ "visible_text_ws_insensitive", "reply", '~' },
		{ "reply_first_fragment", "reply", '=' },
		{ "reply_first_fragment_startswith", "reply start", '^' },
	};
	char *problem = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(exact) && problem == NULL; i++)
		if (json_object_has_member(fx, exact[i].key)) {
			++*count_r;
			problem = compare(exact[i].what, r->new_text,
			                  json_object_get_string_member(fx, exact[i].key), exact[i].mode);
		}
	if (problem == NULL && json_object_has_member(fx, "reply_last_line")) {
		char *last = last_line(r->new_text);

		++*count_r;
		problem = compare("last line", last, json_object_get_string_member(fx, "reply_last_line"), '=');
		g_free(last);
	}
	if (problem == NULL && json_object_has_member(fx, "html_ws_stripped")) {
		const char *html = json_object_get_string_member(fx, "html_ws_stripped");
		char *want = pd_html_to_text(html, strlen(html));

		++*count_r;
		problem = compare("reply", r->new_text, want, '~');
		g_free(want);
	}
	return problem;
}

static char *
check_patterns(JsonObject *fx, const split_result *r, guint *count_r)
{
	static const char *const keys[] = {
		"reply_matches", "quoted_matches", "signature_matches", "reply_contains", "reply_excludes",
		"signature_fragment",
	};
	char *problem = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
		*count_r += json_object_has_member(fx, keys[i]);
	problem = check_regexes(fx, "reply_matches", "reply", r->new_text);
	if (problem == NULL)
		problem = check_regexes(fx, "quoted_matches", "quoted part", r->quoted);
	if (problem == NULL)
		problem = check_regexes(fx, "signature_matches", "signature", r->signature);
	if (problem == NULL)
		problem = check_substrings(fx, "reply_contains", r->new_text, '*');
	if (problem == NULL)
		problem = check_substrings(fx, "reply_excludes", r->new_text, '!');
	if (problem == NULL && json_object_has_member(fx, "signature_fragment"))
		problem = compare("signature", r->signature,
		                  json_object_get_string_member(fx, "signature_fragment"), '^');
	return problem;
}

static char *
unescape_newlines(const char *s)
{
	char **parts = g_strsplit(s, "\\n", -1);
	char *out = g_strjoinv("\n", parts);

	g_strfreev(parts);
	return out;
}

static char *
check_note_rule(note_check check, const char *arg, const split_result *r)
{
	char *want, *problem = NULL;

	switch (check) {
	case CHECK_UNCHANGED:
		return compare("reply (nothing cut)", r->new_text, r->input, '=');
	case CHECK_EXCLUDES:
		return compare("reply", r->new_text, arg, '!');
	case CHECK_NONEMPTY:
		return *r->new_text == '\0' ? g_strdup("reply is empty") : NULL;
	case CHECK_SIGNATURE:
		want = unescape_newlines(arg);
		problem = compare("signature", r->signature, want, '=');
		g_free(want);
		return problem;
	case CHECK_RAW:
		break;
	}
	return NULL;
}

/* What the note's sentences require; sets *raw_r when the input is the raw message. */
static char *
check_note(const char *note, const split_result *r, guint *count_r)
{
	char *problem = NULL;

	for (gsize i = 0; note != NULL && i < G_N_ELEMENTS(note_checks) && problem == NULL; i++) {
		GRegex *rx = g_regex_new(note_checks[i].pattern, G_REGEX_CASELESS, 0, NULL);
		GMatchInfo *mi;

		if (g_regex_match(rx, note, 0, &mi) && note_checks[i].check != CHECK_RAW) {
			char *arg = g_match_info_fetch(mi, 1);

			++*count_r;
			problem = check_note_rule(note_checks[i].check, arg, r);
			g_free(arg);
		}
		g_match_info_free(mi);
		g_regex_unref(rx);
	}
	return problem;
}

static gboolean
note_says_raw(const char *note)
{
	return note != NULL && regex_matches("(?i)raw message text", note);
}

/* ---- recording ---------------------------------------------------------------- */

static tally *
tally_for(const char *source)
{
	tally *t;

	for (guint i = 0; i < tallies->len; i++)
		if (strcmp(((tally *) tallies->pdata[i])->source, source) == 0)
			return tallies->pdata[i];
	t = g_new0(tally, 1);
	t->source = g_strdup(source);
	g_ptr_array_add(tallies, t);
	return t;
}

static const char *
decision(const char *source, const char *name)
{
	char *key = g_strdup_printf("%s %s", source, name);
	const char *reason = g_hash_table_lookup(decisions, key);

	g_free(key);
	return reason;
}

/* problem is taken; checks == 0 means the fixture states nothing we can check. */
static void
record(const char *source, const char *name, guint checks, char *problem)
{
	tally *t = tally_for(source);
	outcome *o;

	if (checks == 0) {
		t->unscored++;
		g_ptr_array_add(unscored, g_strdup_printf("%s %s", source, name));
		g_free(problem);
		return;
	}
	if (problem == NULL)
		t->agreed++;
	else if (decision(source, name) != NULL)
		t->decided++;
	else
		t->disagreed++;
	o = g_new0(outcome, 1);
	o->source = g_strdup(source);
	o->name = g_strdup(name);
	o->problem = problem;
	g_ptr_array_add(outcomes, o);
}

static void
outcome_free(gpointer p)
{
	outcome *o = p;

	g_free(o->source);
	g_free(o->name);
	g_free(o->problem);
	g_free(o);
}

static void
tally_free(gpointer p)
{
	tally *t = p;

	g_free(t->source);
	g_free(t);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The names in a folder, sorted, so the report reads the same on every file system. */
static GPtrArray *
sorted_dir(const char *path)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(path, 0, NULL);
	const char *entry;

	while (d != NULL && (entry = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(entry));
	if (d != NULL)
		g_dir_close(d);
	g_ptr_array_sort(names, (GCompareFunc) compare_names);
	return names;
}

/* ---- sources with expected.json ------------------------------------------------ */

static char *
fixture_path(const char *dir, const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(fixture_dirs); i++) {
		char *path = g_build_filename(dir, fixture_dirs[i], name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			return path;
		g_free(path);
	}
	return NULL;
}

static char *
run_checks(JsonObject *fx, const split_result *r, guint *checks_r)
{
	const char *note = json_object_has_member(fx, "note") ? json_object_get_string_member(fx, "note") : NULL;
	char *problem = check_keys(fx, r, checks_r);

	if (problem == NULL)
		problem = check_patterns(fx, r, checks_r);
	if (problem == NULL)
		problem = check_note(note, r, checks_r);
	return problem;
}

/* One input, checked against the fixture's expectations. */
static void
run_case(const char *source, const char *name, JsonObject *fx, const char *path, const char *data, gsize len)
{
	const char *note = json_object_has_member(fx, "note") ? json_object_get_string_member(fx, "note") : NULL;
	split_result r = { 0 };
	guint checks = 0;
	char *problem;

	split_file(path, data, len, note_says_raw(note), &r);
	problem = run_checks(fx, &r, &checks);
	record(source, name, checks, problem);
	split_result_clear(&r);
}

/* willdurand's template: one case per substitution of "[DATE]". */
static void
run_template(const char *source, const char *name, JsonObject *fx, const char *path, const char *data)
{
	const char *placeholder = json_object_get_string_member(fx, "template");
	JsonArray *subs = json_object_get_array_member(fx, "substitute_each");

	for (guint i = 0; i < json_array_get_length(subs); i++) {
		char **parts = g_strsplit(data, placeholder, -1);
		char *text = g_strjoinv(json_array_get_string_element(subs, i), parts);
		char *case_name = g_strdup_printf("%s[%u]", name, i);

		run_case(source, case_name, fx, path, text, strlen(text));
		g_free(case_name);
		g_free(text);
		g_strfreev(parts);
	}
}

/* talon's signature fixtures: <name>_body with #sig# marks, <name>_signature expected. */
static void
run_signature_dir(const char *source, const char *dir, const char *rel)
{
	char *path = g_build_filename(dir, rel, NULL);
	GPtrArray *entries = sorted_dir(path);

	for (guint e = 0; e < entries->len; e++) {
		const char *entry = entries->pdata[e];
		char *stem, *body = NULL, *sig = NULL, *body_path, *sig_path, *name;

		if (!g_str_has_suffix(entry, "_body"))
			continue;
		stem = g_strndup(entry, strlen(entry) - strlen("_body"));
		body_path = g_build_filename(path, entry, NULL);
		sig_path = g_strdup_printf("%s/%s_signature", path, stem);
		name = g_strdup_printf("%s%s", rel, stem);
		if (g_file_get_contents(body_path, &body, NULL, NULL)) {
			char **parts = g_strsplit(body, "#sig#", -1);
			char *text = g_strjoinv("", parts);
			split_result r = { 0 };
			guint checks = 0;
			char *problem = NULL;

			split_file(body_path, text, strlen(text), FALSE, &r);
			if (g_file_get_contents(sig_path, &sig, NULL, NULL)) {
				char **sp = g_strsplit(sig, "#sig#", -1);
				char *want = g_strjoinv("", sp);

				checks = 1;
				problem = compare("reply (signature removed)", r.new_text, want, '!');
				g_free(want);
				g_strfreev(sp);
			}
			record(source, name, checks, problem);
			split_result_clear(&r);
			g_free(text);
			g_strfreev(parts);
		}
		g_free(body);
		g_free(sig);
		g_free(stem);
		g_free(body_path);
		g_free(sig_path);
		g_free(name);
	}
	g_ptr_array_free(entries, TRUE);
	g_free(path);
}

static void
run_fixture(const char *source, const char *dir, const char *name, JsonObject *fx)
{
	char *path, *data = NULL;
	gsize len = 0;

	if (g_str_has_suffix(name, "/")) {
		/* a folder of fixtures described by the note (talon's signature/) */
		run_signature_dir(source, dir, "signature/emails/stripped/");
		run_signature_dir(source, dir, "signature/emails/P/");
		return;
	}
	path = fixture_path(dir, name);
	if (path == NULL || !g_file_get_contents(path, &data, &len, NULL)) {
		record(source, name, 0, NULL);
		g_free(path);
		return;
	}
	if (json_object_has_member(fx, "template"))
		run_template(source, name, fx, path, data);
	else
		run_case(source, name, fx, path, data, len);
	g_free(data);
	g_free(path);
}

/* Fixture files the source states nothing about: run for crashes only. */
static void
run_unlisted(const char *source, const char *dir, JsonObject *root)
{
	for (gsize i = 0; i < G_N_ELEMENTS(fixture_dirs); i++) {
		char *sub = g_build_filename(dir, fixture_dirs[i], NULL);
		GPtrArray *entries = sorted_dir(sub);

		for (guint e = 0; e < entries->len; e++) {
			const char *entry = entries->pdata[e];
			char *path = g_build_filename(sub, entry, NULL), *data;
			gsize len;

			if (!json_object_has_member(root, entry) && strcmp(entry, "expected.json") != 0 &&
			    g_file_test(path, G_FILE_TEST_IS_REGULAR) && g_file_get_contents(path, &data, &len, NULL)) {
				split_result r = { 0 };

				split_file(path, data, len, FALSE, &r);
				record(source, entry, 0, NULL);
				split_result_clear(&r);
				g_free(data);
			}
			g_free(path);
		}
		g_ptr_array_free(entries, TRUE);
		g_free(sub);
	}
}

static void
test_json_source(gconstpointer data)
{
	const char *source = data;
	char *dir = g_build_filename(corpus, source, NULL);
	char *file = g_build_filename(dir, "expected.json", NULL);
	JsonParser *parser = json_parser_new();
	GError *error = NULL;
	JsonObject *root;
	GList *names;

	tally_for(source);
	if (!json_parser_load_from_file(parser, file, &error)) {
		char *msg = g_strdup_printf("%s: %s", file, error->message);

		g_test_skip(msg);
		g_free(msg);
		g_clear_error(&error);
	} else {
		root = json_node_get_object(json_parser_get_root(parser));
		names = json_object_get_members(root);
		for (GList *l = names; l != NULL; l = l->next)
			if (((const char *) l->data)[0] != '_')
				run_fixture(source, dir, l->data, json_object_get_object_member(root, l->data));
		g_list_free(names);
		run_unlisted(source, dir, root);
	}
	g_object_unref(parser);
	g_free(file);
	g_free(dir);
}

/* ---- discourse: emails/ with trimmed/ as the kept text ----------------------- */

static void
test_discourse(void)
{
	char *dir = g_build_filename(corpus, DISCOURSE, "emails", NULL);
	GPtrArray *entries = sorted_dir(dir);

	tally_for(DISCOURSE);
	if (entries->len == 0)
		g_test_skip("discourse-email_reply_trimmer/emails not in the corpus");
	for (guint e = 0; e < entries->len; e++) {
		const char *entry = entries->pdata[e];
		char *path = g_build_filename(dir, entry, NULL);
		char *want_path = g_build_filename(corpus, DISCOURSE, "trimmed", entry, NULL);
		char *data = NULL, *want = NULL;
		gsize len = 0;
		split_result r = { 0 };

		if (g_file_get_contents(path, &data, &len, NULL)) {
			gboolean known = g_file_get_contents(want_path, &want, NULL, NULL);

			split_file(path, data, len, FALSE, &r);
			record(DISCOURSE, entry, known, known ? compare("reply", r.new_text, want, '=') : NULL);
			split_result_clear(&r);
		}
		g_free(data);
		g_free(want);
		g_free(path);
		g_free(want_path);
	}
	g_ptr_array_free(entries, TRUE);
	g_free(dir);
}

/* ---- the verdict -------------------------------------------------------------------- */

static double
pct(guint n, guint total)
{
	return total > 0 ? 100.0 * n / total : 100.0;
}

static void
print_outcomes(gboolean decided)
{
	for (guint i = 0; i < outcomes->len; i++) {
		const outcome *o = outcomes->pdata[i];
		const char *reason = decision(o->source, o->name);

		if (o->problem == NULL || (reason != NULL) != decided)
			continue;
		if (decided)
			g_print("#   %s %s: %s\n#     (%s)\n", o->source, o->name, reason, o->problem);
		else
			g_print("#   %s %s: %s\n", o->source, o->name, o->problem);
	}
}

/* Decisions about fixtures that now agree, or that the corpus no longer has. */
static void
print_stale_decisions(void)
{
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, decisions);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		gboolean disagrees = FALSE;

		for (guint i = 0; i < outcomes->len && !disagrees; i++) {
			const outcome *o = outcomes->pdata[i];
			char *k = g_strdup_printf("%s %s", o->source, o->name);

			disagrees = o->problem != NULL && strcmp(k, key) == 0;
			g_free(k);
		}
		if (!disagrees)
			g_print("#   stale decision (fixture agrees or is gone): %s\n", (const char *) key);
	}
}

static void
test_verdict(void)
{
	guint agreed = 0, decided = 0, total = 0, unscored_n = 0;

	g_print("# reply corpus: new text against each source's expectations\n");
	for (guint i = 0; i < tallies->len; i++) {
		const tally *t = tallies->pdata[i];
		guint n = t->agreed + t->decided + t->disagreed;

		g_print("# %s: %u/%u (%.1f%%), with %u decided: %u/%u (%.1f%%); %u unscored\n", t->source,
		        t->agreed, n, pct(t->agreed, n), t->decided, t->agreed + t->decided, n,
		        pct(t->agreed + t->decided, n), t->unscored);
		agreed += t->agreed;
		decided += t->decided;
		total += n;
		unscored_n += t->unscored;
	}
	g_print("# overall: %u/%u (%.1f%%), with %u decided: %u/%u (%.1f%%); %u unscored (run for crashes only)\n",
	        agreed, total, pct(agreed, total), decided, agreed + decided, total,
	        pct(agreed + decided, total), unscored_n);
	g_print("# disagreements by decision (tests/reply-disagreements.txt):\n");
	print_outcomes(TRUE);
	g_print("# disagreements not decided:\n");
	print_outcomes(FALSE);
	print_stale_decisions();
	if (total == 0) {
		g_test_skip("no scored fixtures");
		return;
	}
	g_assert_cmpfloat(pct(agreed + decided, total), >=, PD_CORPUS_TARGET);
}

/* ---- setup --------------------------------------------------------------------------- */

/* "source fixture reason..." per line; '#' starts a comment line. */
static void
load_decisions(void)
{
	char *path = corpus_test_file("reply-disagreements.txt"), *data = NULL;
	char **lines;

	decisions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (path == NULL || !g_file_get_contents(path, &data, NULL, NULL)) {
		g_print("# tests/reply-disagreements.txt not found: no disagreement counts as decided\n");
		g_free(path);
		return;
	}
	lines = g_strsplit(data, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		char **f = g_strsplit_set(g_strstrip(lines[i]), " \t", 3);

		if (f[0] != NULL && f[0][0] != '#' && f[0][0] != '\0' && f[1] != NULL)
			g_hash_table_insert(decisions, g_strdup_printf("%s %s", f[0], f[1]),
			                    g_strdup(f[2] != NULL ? g_strstrip(f[2]) : ""));
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(data);
	g_free(path);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	corpus = corpus_dir();
	outcomes = g_ptr_array_new_with_free_func(outcome_free);
	tallies = g_ptr_array_new_with_free_func(tally_free);
	unscored = g_ptr_array_new_with_free_func(g_free);
	if (!g_file_test(corpus, G_FILE_TEST_IS_DIR)) {
		g_test_add_data_func("/reply-corpus/missing", corpus, corpus_missing);
	} else {
		load_decisions();
		for (gsize i = 0; i < G_N_ELEMENTS(json_sources); i++) {
			char *path = g_strdup_printf("/reply-corpus/%zu-%s", i + 1, json_sources[i]);

			g_test_add_data_func(path, json_sources[i], test_json_source);
			g_free(path);
		}
		g_test_add_func("/reply-corpus/5-" DISCOURSE, test_discourse);
		g_test_add_func("/reply-corpus/6-verdict", test_verdict);
	}
	rc = g_test_run();
	g_ptr_array_free(outcomes, TRUE);
	g_ptr_array_free(tallies, TRUE);
	g_ptr_array_free(unscored, TRUE);
	if (decisions != NULL)
		g_hash_table_destroy(decisions);
	g_free(corpus);
	g_mime_shutdown();
	return rc;
}
