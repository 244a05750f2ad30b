/* test-mustache.c: the Mustache spec suite and postdesk's own cases for src/notify/mustache.c. */
#include "notify/mustache.h"

#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

static JsonNode *
json(const char *text)
{
	GError *error = NULL;
	JsonNode *node = json_from_string(text, &error);

	g_assert_no_error(error);
	return node;
}

/* Partials for the unit tests: a NULL-terminated name, source, name, ... list. */
static char *
table_partial(const char *name, gpointer data)
{
	const char *const *table = data;

	for (guint i = 0; table[i] != NULL; i += 2)
		if (strcmp(table[i], name) == 0)
			return g_strdup(table[i + 1]);
	return NULL;
}

/* Render or fail the test; the caller frees the result. */
static char *
render(const char *source, const char *data, const pd_mustache_options *opts, GError **error)
{
	pd_mustache *tpl = pd_mustache_compile(source, error);
	JsonNode *ctx = data != NULL ? json(data) : NULL;
	char *out;

	if (tpl == NULL)
		return NULL;
	out = pd_mustache_render(tpl, ctx, opts, error);
	if (ctx != NULL)
		json_node_unref(ctx);
	pd_mustache_free(&tpl);
	return out;
}

static void
assert_renders(const char *source, const char *data, const pd_mustache_options *opts,
               const char *expected)
{
	GError *error = NULL;
	char *out = render(source, data, opts, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(out, ==, expected);
	g_free(out);
}

/* Rendering fails with code, and the message contains each of the fragments. */
static void
assert_render_error(const char *source, const char *data, const pd_mustache_options *opts,
                    int code, const char *fragment, const char *fragment2)
{
	GError *error = NULL;
	char *out = render(source, data, opts, &error);

	g_assert_null(out);
	g_assert_error(error, PD_MUSTACHE_ERROR, code);
	g_test_message("error: %s", error->message);
	g_assert_nonnull(strstr(error->message, fragment));
	if (fragment2 != NULL)
		g_assert_nonnull(strstr(error->message, fragment2));
	g_error_free(error);
}

static void
assert_compile_error(const char *source, const char *message)
{
	GError *error = NULL;
	pd_mustache *tpl = pd_mustache_compile(source, &error);

	g_assert_null(tpl);
	g_assert_error(error, PD_MUSTACHE_ERROR, PD_MUSTACHE_ERROR_SYNTAX);
	g_assert_cmpstr(error->message, ==, message);
	g_error_free(error);
}

/* ---- unit tests --------------------------------------------------------- */

static void
test_escape_modes(void)
{
	const char *source = "{{x}} {{{x}}} {{&x}}";
	const char *data = "{\"x\": \"<a href='q'> & \\\"b\\\"\"}";
	pd_mustache_options html = { .escape = PD_MUSTACHE_ESCAPE_HTML };
	pd_mustache_options none = { .escape = PD_MUSTACHE_ESCAPE_NONE };

	assert_renders(source, data, &html,
	               "&lt;a href='q'&gt; &amp; &quot;b&quot; <a href='q'> & \"b\" <a href='q'> & \"b\"");
	assert_renders(source, data, &none,
	               "<a href='q'> & \"b\" <a href='q'> & \"b\" <a href='q'> & \"b\"");
	assert_renders(source, data, NULL,
	               "&lt;a href='q'&gt; &amp; &quot;b&quot; <a href='q'> & \"b\" <a href='q'> & \"b\"");
}

static void
test_strict_unknown_variable(void)
{
	const char *source = "Hello,\n  {{user.name}}!";
	pd_mustache_options strict = { .strict = TRUE };

	assert_render_error(source, "{\"user\": {}}", &strict, PD_MUSTACHE_ERROR_UNKNOWN,
	                    "2:3: unknown variable 'user.name'", NULL);
	assert_render_error("{{#user}}{{nick}}{{/user}}", "{\"user\": {\"name\": 1}}", &strict,
	                    PD_MUSTACHE_ERROR_UNKNOWN, "unknown variable 'nick'", NULL);
	/* Present but null is known; sections never complain, that is how templates test. */
	assert_renders(source, "{\"user\": {\"name\": null}}", &strict, "Hello,\n  !");
	assert_renders("[{{#nope}}x{{/nope}}{{^nope}}y{{/nope}}]", "{}", &strict, "[y]");
	assert_renders(source, "{\"user\": {}}", NULL, "Hello,\n  !");
}

static void
test_strict_in_partial(void)
{
	const char *partials[] = { "footer", "--\n{{sender}}\n", NULL };
	pd_mustache_options strict = { .strict = TRUE, .partial = table_partial, .partial_data = partials };

	assert_render_error("Body\n{{>footer}}", "{}", &strict, PD_MUSTACHE_ERROR_UNKNOWN,
	                    "partial 'footer': 2:1: unknown variable 'sender'", NULL);
}

static void
test_unknown_partial(void)
{
	const char *partials[] = { "known", "K", NULL };
	pd_mustache_options lenient = { .partial = table_partial, .partial_data = partials };
	pd_mustache_options strict = lenient;

	strict.strict = TRUE;
	assert_renders("[{{>known}}|{{>missing}}|{{<missing}}{{/missing}}]", "{}", &lenient, "[K||]");
	assert_renders("[{{>missing}}]", "{}", NULL, "[]");
	assert_render_error("a\n {{>missing}}", "{}", &strict, PD_MUSTACHE_ERROR_UNKNOWN,
	                    "2:2: unknown partial 'missing'", NULL);
	assert_render_error("{{<missing}}{{/missing}}", "{}", &strict, PD_MUSTACHE_ERROR_UNKNOWN,
	                    "unknown partial 'missing'", NULL);
}

static void
test_max_output(void)
{
	const char *source = "{{#items}}{{.}}{{/items}}";
	const char *data = "{\"items\": [\"ab\", \"cd\", \"ef\", \"gh\", \"ij\"]}";
	pd_mustache_options exact = { .max_output = 10 };
	pd_mustache_options small = { .max_output = 9 };
	pd_mustache_options escaped = { .max_output = 7 };

	assert_renders(source, data, &exact, "abcdefghij");
	assert_render_error(source, data, &small, PD_MUSTACHE_ERROR_TOO_LARGE,
	                    "output exceeds 9 bytes", NULL);
	/* The limit applies to the escaped form. */
	assert_render_error("{{x}}", "{\"x\": \"<<\"}", &escaped, PD_MUSTACHE_ERROR_TOO_LARGE,
	                    "output exceeds 7 bytes", NULL);
}

static void
test_partial_depth(void)
{
	const char *partials[] = {
		"loop", "x{{>loop}}",
		"node", "<{{name}}{{#kids}}{{>node}}{{/kids}}>",
		NULL,
	};
	const char *tree = "{\"name\": \"a\", \"kids\": [{\"name\": \"b\", \"kids\": [{\"name\": \"c\", \"kids\": []}]}]}";
	pd_mustache_options opts = { .max_depth = 5, .partial = table_partial, .partial_data = partials };
	pd_mustache_options deep = opts, shallow = opts, fallback = opts;

	assert_render_error("{{>loop}}", "{}", &opts, PD_MUSTACHE_ERROR_TOO_DEEP,
	                    "deeper than 5 levels", "'loop'");
	deep.max_depth = 3;
	assert_renders("{{>node}}", tree, &deep, "<a<b<c>>>");
	shallow.max_depth = 2;
	assert_render_error("{{>node}}", tree, &shallow, PD_MUSTACHE_ERROR_TOO_DEEP,
	                    "deeper than 2 levels", NULL);
	fallback.max_depth = 0;
	assert_render_error("{{>loop}}", "{}", &fallback, PD_MUSTACHE_ERROR_TOO_DEEP,
	                    "deeper than 20 levels", NULL);
}

/* An argument that contains the block it fills must not recurse for ever. */
static void
test_block_self_reference(void)
{
	const char *partials[] = { "p", "{{$x}}default{{/x}}", NULL };
	pd_mustache_options opts = { .partial = table_partial, .partial_data = partials };

	assert_render_error("{{<p}}{{$x}}[{{$x}}{{/x}}]{{/x}}{{/p}}", "{}", &opts,
	                    PD_MUSTACHE_ERROR_TOO_DEEP, "deeper than 20 levels", NULL);
}

static void
test_compile_errors(void)
{
	assert_compile_error("line one\n  {{#items}}\n{{name}}", "2:3: section 'items' is never closed");
	assert_compile_error("{{#a}}\n{{/b}}", "2:1: closing tag 'b' does not match 'a' opened at 1:1");
	assert_compile_error("x\n\n   {{name", "3:4: unclosed tag");
	assert_compile_error("{{{name}}", "1:1: unclosed tag");
	assert_compile_error("a\n{{= <% =}}", "2:1: bad delimiter change '<%'");
	assert_compile_error("{{=<% %> x=}}", "1:1: bad delimiter change '<% %> x'");
	assert_compile_error("{{=<= =>=}}", "1:1: bad delimiter change '<= =>'");
	assert_compile_error("{{=<% %>=}}\n <%#a%>", "2:2: section 'a' is never closed");
	assert_compile_error("ab{{/a}}", "1:3: closing tag 'a' without an open section");
	assert_compile_error("{{ }}", "1:1: empty tag");
	assert_compile_error("{{a b}}", "1:1: bad tag name 'a b'");
	assert_compile_error("\xc3\xa9t\xc3\xa9 {{#x}}", "1:5: section 'x' is never closed");
	assert_compile_error("ok\n\xff", "2:1: template is not valid UTF-8");
}

static GString *
nested(guint depth)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < depth; i++)
		g_string_append(s, "{{#a}}");
	g_string_append(s, "{{x}}");
	for (guint i = 0; i < depth; i++)
		g_string_append(s, "{{/a}}");
	return s;
}

static void
test_nesting_limit(void)
{
	GString *ok = nested(PD_MUSTACHE_MAX_NESTING);
	GString *deep = nested(PD_MUSTACHE_MAX_NESTING + 1);
	char *message = g_strdup_printf("1:%u: sections nested deeper than %d levels",
	                                PD_MUSTACHE_MAX_NESTING * 6 + 1, PD_MUSTACHE_MAX_NESTING);

	assert_renders(ok->str, "{\"a\": true, \"x\": \"deep\"}", NULL, "deep");
	assert_compile_error(deep->str, message);
	/* Blocks and parents count as well. */
	g_string_prepend(deep, "{{$b}}");
	g_string_append(deep, "{{/b}}");
	assert_compile_error(deep->str, message);
	g_free(message);
	g_string_free(ok, TRUE);
	g_string_free(deep, TRUE);
}

static void
test_numbers(void)
{
	assert_renders("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}}",
	               "{\"a\": 1.5, \"b\": 3.0, \"c\": -2, \"d\": 0.1, \"e\": 1e-7,"
	               " \"f\": 123456789012, \"g\": -0.25}",
	               NULL, "1.5 3 -2 0.1 1e-07 123456789012 -0.25");
	assert_renders("{{t}} {{f}} [{{n}}] {{o}} {{l}}",
	               "{\"t\": true, \"f\": false, \"n\": null, \"o\": {\"k\": 1}, \"l\": [1, \"x\"]}",
	               NULL, "true false [] {&quot;k&quot;:1} [1,&quot;x&quot;]");
}

/* The documented truthiness: only missing, null, false and [] hide a section. */
static void
test_truthiness(void)
{
	assert_renders("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}{{#e}}E{{/e}}{{#f}}F{{/f}}{{#g}}G{{/g}}",
	               "{\"a\": null, \"b\": false, \"c\": [], \"d\": \"\", \"e\": 0, \"f\": {}, \"g\": [0]}",
	               NULL, "DEFG");
}

static void
test_null_context_and_options(void)
{
	pd_mustache *tpl = pd_mustache_compile("a{{x}}{{.}}{{#s}}no{{/s}}{{^s}}b{{/s}}", NULL);
	char *out = pd_mustache_render(tpl, NULL, NULL, NULL);

	g_assert_cmpstr(out, ==, "ab");
	g_free(out);
	pd_mustache_free(&tpl);
	g_assert_null(tpl);
	pd_mustache_free(&tpl);
	pd_mustache_free(NULL);
}

static void
test_partial_compile_error(void)
{
	const char *partials[] = { "bad", "ok\n {{#x}}", NULL };
	pd_mustache_options opts = { .partial = table_partial, .partial_data = partials };

	assert_render_error("{{>bad}}", "{}", &opts, PD_MUSTACHE_ERROR_SYNTAX,
	                    "partial 'bad': 2:2: section 'x' is never closed", NULL);
}

/* Standalone partials indent their lines, except blank ones. */
static void
test_indented_blank_lines(void)
{
	const char *partials[] = { "p", "a\n\nb\n", NULL };
	pd_mustache_options opts = { .partial = table_partial, .partial_data = partials };

	assert_renders("x\n  {{>p}}\ny\n", "{}", &opts, "x\n  a\n\n  b\ny\n");
}

/* The way notification mails use it: a layout with blocks, plain text. */
static void
test_mail_layout(void)
{
	const char *partials[] = {
		"layout",
		"Hello {{name}},\n"
		"\n"
		"{{$body}}\n"
		"(nothing)\n"
		"{{/body}}\n"
		"\n"
		"-- \n"
		"  {{$signature}}\n"
		"  postdesk\n"
		"  {{/signature}}\n",
		NULL,
	};
	pd_mustache_options opts = {
		.escape = PD_MUSTACHE_ESCAPE_NONE, .strict = TRUE,
		.partial = table_partial, .partial_data = partials,
	};
	const char *source =
		"{{<layout}}\n"
		"  {{$body}}\n"
		"  Ticket #{{id}} <{{subject}}> was updated:\n"
		"  {{#changes}}\n"
		"    * {{.}}\n"
		"  {{/changes}}\n"
		"  {{/body}}\n"
		"{{/layout}}\n";

	assert_renders(source,
	               "{\"name\": \"Ann & Bob\", \"id\": 42, \"subject\": \"Printer\","
	               " \"changes\": [\"status: open\", \"owner: ann\"]}",
	               &opts,
	               "Hello Ann & Bob,\n"
	               "\n"
	               "Ticket #42 <Printer> was updated:\n"
	               "  * status: open\n"
	               "  * owner: ann\n"
	               "\n"
	               "-- \n"
	               "  postdesk\n");
}

/* ---- the spec suite ------------------------------------------------------- */

typedef struct {
	char *file;          /* "sections.json" */
	JsonParser *parser;  /* keeps the cases alive */
	guint run, passed;
} spec_file;

typedef struct {
	spec_file *file;
	JsonObject *test;
} spec_case;

static GPtrArray *spec_files;  /* spec_file */

static void
spec_file_free(gpointer data)
{
	spec_file *f = data;

	g_free(f->file);
	g_clear_object(&f->parser);
	g_free(f);
}

static char *
spec_partial(const char *name, gpointer data)
{
	JsonObject *partials = data;

	if (partials == NULL || !json_object_has_member(partials, name))
		return NULL;
	return g_strdup(json_object_get_string_member(partials, name));
}

static char *
spec_render(JsonObject *test, GError **error)
{
	JsonObject *partials = json_object_has_member(test, "partials")
		? json_object_get_object_member(test, "partials") : NULL;
	pd_mustache_options opts = { .partial = spec_partial, .partial_data = partials };
	pd_mustache *tpl = pd_mustache_compile(json_object_get_string_member(test, "template"), error);
	char *out;

	if (tpl == NULL)
		return NULL;
	out = pd_mustache_render(tpl, json_object_get_member(test, "data"), &opts, error);
	pd_mustache_free(&tpl);
	return out;
}

/* Failures are reported, not asserted, so every case runs and is counted. */
static void
test_spec_case(gconstpointer data)
{
	const spec_case *sc = data;
	const char *expected = json_object_get_string_member(sc->test, "expected");
	GError *error = NULL;
	char *out = spec_render(sc->test, &error);

	sc->file->run++;
	if (out == NULL) {
		g_test_message("error: %s", error->message);
		g_test_fail();
	} else if (strcmp(out, expected) != 0) {
		char *want = g_strescape(expected, NULL), *got = g_strescape(out, NULL);

		g_test_message("%s", json_object_get_string_member(sc->test, "desc"));
		g_test_message("expected \"%s\"", want);
		g_test_message("got      \"%s\"", got);
		g_free(want);
		g_free(got);
		g_test_fail();
	} else {
		sc->file->passed++;
	}
	g_clear_error(&error);
	g_free(out);
}

/* A test path from a case name: no '/' (path separator) or '#' (TAP directive). */
static char *
case_path(const char *file, const char *name, GHashTable *seen)
{
	char *stem = g_strndup(file, strlen(file) - strlen(".json"));
	char *path = g_strdup_printf("/mustache/spec/%s/%s", stem, name);

	g_strdelimit(path + strlen("/mustache/spec/") + strlen(stem) + 1, "/#", '-');
	for (guint n = 2; g_hash_table_contains(seen, path); n++) {
		g_free(path);
		path = g_strdup_printf("/mustache/spec/%s/%s (%u)", stem, name, n);
		g_strdelimit(path + strlen("/mustache/spec/") + strlen(stem) + 1, "/#", '-');
	}
	g_hash_table_add(seen, g_strdup(path));
	g_free(stem);
	return path;
}

static void
add_spec_file(const char *dir, const char *file)
{
	spec_file *f = g_new0(spec_file, 1);
	char *filename = g_build_filename(dir, file, NULL);
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GError *error = NULL;
	JsonArray *tests;

	f->file = g_strdup(file);
	f->parser = json_parser_new();
	json_parser_load_from_file(f->parser, filename, &error);
	g_assert_no_error(error);
	g_ptr_array_add(spec_files, f);
	tests = json_object_get_array_member(json_node_get_object(json_parser_get_root(f->parser)), "tests");
	for (guint i = 0; i < json_array_get_length(tests); i++) {
		spec_case *sc = g_new0(spec_case, 1);
		char *path;

		sc->file = f;
		sc->test = json_array_get_object_element(tests, i);
		path = case_path(file, json_object_get_string_member(sc->test, "name"), seen);
		g_test_add_data_func_full(path, sc, test_spec_case, g_free);
		g_free(path);
	}
	g_hash_table_destroy(seen);
	g_free(filename);
}

static char *
spec_dir(void)
{
	const char *dir = g_getenv("PD_MUSTACHE_SPEC_DIR");

	if (dir != NULL && *dir != '\0')
		return g_strdup(dir);
	dir = g_getenv("PD_SHARED");  /* set by `make check` */
	if (dir != NULL && *dir != '\0')
		return g_build_filename(dir, "mustache-spec", NULL);
	return g_strdup("../shared/mustache-spec");
}

static void
test_spec_missing(gconstpointer data)
{
	char *msg = g_strdup_printf("mustache spec not found at %s (needs ../shared beside the repository)",
	                            (const char *) data);

	g_test_skip(msg);
	g_free(msg);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void
add_spec_tests(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	spec_files = g_ptr_array_new_with_free_func(spec_file_free);
	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".json"))
			g_ptr_array_add(names, g_strdup(name));
	if (d != NULL)
		g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++)
		add_spec_file(dir, names->pdata[i]);
	if (names->len == 0)
		g_test_add_data_func("/mustache/spec", dir, test_spec_missing);
	g_ptr_array_unref(names);
}

static void
print_spec_summary(void)
{
	for (guint i = 0; i < spec_files->len; i++) {
		const spec_file *f = spec_files->pdata[i];

		g_print("# %s: %u/%u passed\n", f->file, f->passed, f->run);
	}
}

int
main(int argc, char **argv)
{
	char *dir;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mustache/escape-modes", test_escape_modes);
	g_test_add_func("/mustache/strict/unknown-variable", test_strict_unknown_variable);
	g_test_add_func("/mustache/strict/in-partial", test_strict_in_partial);
	g_test_add_func("/mustache/unknown-partial", test_unknown_partial);
	g_test_add_func("/mustache/max-output", test_max_output);
	g_test_add_func("/mustache/partial-depth", test_partial_depth);
	g_test_add_func("/mustache/block-self-reference", test_block_self_reference);
	g_test_add_func("/mustache/compile-errors", test_compile_errors);
	g_test_add_func("/mustache/nesting-limit", test_nesting_limit);
	g_test_add_func("/mustache/numbers", test_numbers);
	g_test_add_func("/mustache/truthiness", test_truthiness);
	g_test_add_func("/mustache/null-context-and-options", test_null_context_and_options);
	g_test_add_func("/mustache/partial-compile-error", test_partial_compile_error);
	g_test_add_func("/mustache/indented-blank-lines", test_indented_blank_lines);
	g_test_add_func("/mustache/mail-layout", test_mail_layout);
	dir = spec_dir();
	add_spec_tests(dir);
	rc = g_test_run();
	print_spec_summary();
	g_ptr_array_unref(spec_files);
	g_free(dir);
	return rc;
}
