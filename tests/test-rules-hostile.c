/* test-rules-hostile.c: src/rules/ against bad rules and bad luck: runaway patterns, huge patterns, files that change, and its prefilter. */
#include "rules-util.h"
#include "rules/rules-private.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define BODY_SIZE (256 * 1024)
/* Generous for slow machines and sanitizers; a runaway pattern takes minutes. */
#define QUICK_US (2 * G_USEC_PER_SEC)

static pd_ruleset *
compile_ok(const char *src, const pd_rules_options *opts)
{
	return rules_compile(src, opts, NULL);
}

/* 256 KB of line, repeated, then the tail. */
static char *
hostile_body(const char *line, const char *tail)
{
	GString *s = g_string_sized_new(BODY_SIZE + 64);
	while (s->len + strlen(line) < BODY_SIZE)
		g_string_append(s, line);
	g_string_append(s, tail);
	return g_string_free(s, FALSE);
}

/* ---- runaway patterns ---------------------------------------------------- */

static const struct {
	const char *pattern;
	const char *line, *tail;
} runaway[] = {
	{ "(a+)+$", "a", "!" },
	{ "(a|aa)+$", "a", "!" },
	{ "(a|a?)+b", "a", "" },
	{ "(\\w+\\s?)*$", "aaaa ", "!" },
	{ "^(\\w+\\s?)*$", "aaaa ", "!" },
	{ "(.*a){12}$", "a", "!" },
	{ "(x+x+)+y", "x", "!" },
	{ "^(([a-z])+.)+[A-Z]([a-z])+$", "aaaaaaaaaa", "!" },
	{ "(?:\\s*,\\s*)+$", " , ", "x" },
	{ "a*a*a*a*a*a*a*c", "aaaaaaaaaaaaaaaaaaa\n", "c" },
	/* Polynomial: under the step limit at each start position, minutes in all. */
	{ "a*a*a*a*a*c", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "c" },
	{ "\\w*\\w*\\w*\\w*\\w*=", "aaaaaaaaaaaaaaaaaaaa\n", "=" },
	{ "(?:[a-z]+){1,20}=", "abcdefghijklmnopqrs ", "=" },
	{ "(\\d+)*x", "1234567890", "" },
};

/* The folding tables are built once per process, on first use: not a
 * cost of any one mail, so not timed. */
static void
warm_up(void)
{
	pd_ruleset *rs = compile_ok("rule \"w\" when body contains \"warm\" then tag w\n", NULL);
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_BODY, "warm up, ümlaut");
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_runaway_patterns(void)
{
	warm_up();
	for (guint i = 0; i < G_N_ELEMENTS(runaway); i++) {
		char *src = g_strdup_printf("rule \"runaway %u\" when body matches /%s/ then tag matched\n", i,
		                            runaway[i].pattern);
		pd_ruleset *rs = compile_ok(src, NULL);
		char *body = hostile_body(runaway[i].line, runaway[i].tail);
		pd_rules_input *in = pd_rules_input_new();
		pd_rules_input_set(in, PD_RULES_BODY, body);
		gint64 t0 = g_get_monotonic_time();
		pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
		gint64 spent = g_get_monotonic_time() - t0;
		if (spent > QUICK_US)
			g_error("/%s/ took %" G_GINT64_FORMAT " us on a 256 KB body", runaway[i].pattern, spent);
		g_test_message("/%s/: %" G_GINT64_FORMAT " us, %s", runaway[i].pattern, spent,
		               d->warnings->len > 0 ? (char *)d->warnings->pdata[0] : "no limit hit");
		/* A limit counts as no match, with a warning that names the rule. */
		if (d->warnings->len > 0) {
			g_assert_cmpuint(d->tags->len, ==, 0);
			char *name = g_strdup_printf("rule \"runaway %u\" (t.rules:1): /%s/ on body ", i, runaway[i].pattern);
			assert_contains(d->warnings->pdata[0], name);
			assert_contains(d->warnings->pdata[0], "counted as no match");
			g_free(name);
		}
		pd_decision_free(&d);
		pd_rules_input_free(&in);
		pd_ruleset_free(&rs);
		g_free(body);
		g_free(src);
	}
}

/* Where JIT compilation fails, the interpreter runs within limits too. */
static void
test_runaway_without_jit(void)
{
	pd_rules_no_jit = TRUE;
	test_runaway_patterns();
	pd_ruleset *rs = compile_ok("rule \"r\" when body matches /(a+)+$/ then tag x\n", NULL);
	g_assert_false(pd_rx_jit(((pd_rleaf *)rs->leaves->pdata[0])->rx));
	pd_ruleset_free(&rs);
	pd_rules_no_jit = FALSE;
}

static void
test_limit_hits_counted(void)
{
	pd_ruleset *rs = compile_ok("rule \"Evil\" when body matches /(a+)+$/ then tag x\n"
	                            "rule \"Slow\" when body matches /\\w*\\w*\\w*\\w*\\w*=/ then tag y\n"
	                            "rule \"Fine\" when body contains \"aaaa*\" then tag fine\n", NULL);
	char *evil = hostile_body("a", "!"), *slow = hostile_body("aaaaaaaaaaaaaaaaaaaa\n", "=");
	pd_rules_input *in = pd_rules_input_new();
	g_assert_null(pd_ruleset_limit_report(rs));
	for (int i = 0; i < 3; i++) {
		pd_rules_input_set(in, PD_RULES_BODY, i == 1 ? slow : evil);
		pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
		char *text = pd_decision_to_text(d, FALSE);
		g_assert_cmpstr(text, ==, "tags fine");
		g_free(text);
		pd_decision_free(&d);
	}
	char *report = pd_ruleset_limit_report(rs);
	assert_contains(report, "rule \"Evil\" (t.rules:1): 3 times\n");
	assert_contains(report, "rule \"Slow\" (t.rules:2): 1 time\n");
	g_free(report);
	/* The polynomial pattern runs out of time, it does not hit the step limit. */
	pd_rules_input_set(in, PD_RULES_BODY, slow);
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	g_assert_cmpuint(d->warnings->len, ==, 2);
	assert_contains(d->warnings->pdata[0], "rule \"Evil\" (t.rules:1): /(a+)+$/ on body hit the match limit");
	assert_contains(d->warnings->pdata[1], "rule \"Slow\" (t.rules:2): /\\w*\\w*\\w*\\w*\\w*=/ on body ran out of time");
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	g_free(evil);
	g_free(slow);
	pd_ruleset_free(&rs);
}

static void
test_message_budget(void)
{
	/* However many slow rules, one mail gets a bounded time. */
	warm_up();
	GString *src = g_string_new(NULL);
	for (int i = 0; i < 40; i++)
		g_string_append_printf(src, "rule \"slow %d\" when body matches /\\w*\\w*\\w*\\w*\\w*=%d?/ then tag x\n", i, i);
	pd_rules_options opts = { .limits = { .message_time_us = 100000 } };
	pd_ruleset *rs = compile_ok(src->str, &opts);
	char *body = hostile_body("aaaaaaaaaaaaaaaaaaaa\n", "=");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_BODY, body);
	gint64 t0 = g_get_monotonic_time();
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	gint64 spent = g_get_monotonic_time() - t0;
	g_test_message("40 slow rules: %" G_GINT64_FORMAT " us", spent);
	g_assert_cmpint(spent, <, QUICK_US);
	g_assert_cmpuint(d->warnings->len, ==, 40);
	assert_contains(d->warnings->pdata[39], "was not run: this mail's time for patterns was used up");
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
	g_free(body);
	g_string_free(src, TRUE);
}

/* ---- PCRE2's own limits ------------------------------------------------ */

static pd_rx *
rx_with_options(const char *pattern)
{
	pd_rules_limits limits;
	char *msg = NULL;
	gsize off;
	pd_rules_limits_resolve(NULL, &limits);
	pd_rx *rx = pd_rx_compile(pattern, "", &limits, TRUE, &msg, &off);
	if (rx == NULL)
		g_error("%s: %s", pattern, msg);
	return rx;
}

static pd_rx_result
run(pd_rx *rx, const char *subject)
{
	pd_rules_limits limits;
	gsize s, e;
	pd_rules_limits_resolve(NULL, &limits);
	return pd_rx_match(rx, &limits, subject, strlen(subject), g_get_monotonic_time() + G_USEC_PER_SEC, &s, &e, NULL);
}

static void
test_inline_limit_cannot_raise(void)
{
	/* PCRE2 takes the smaller of the program's and the pattern's limit: the
	 * pattern may lower it, never raise it. Rules refuse the option anyway
	 * (test-rules: errors); here it is let through to prove the point. */
	char *subject = g_strnfill(40, 'a');
	char *hostile = g_strconcat(subject, "!", NULL);
	pd_rx *raised = rx_with_options("(*LIMIT_MATCH=2000000000)(a+)+$");
	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(run(raised, hostile), ==, PD_RX_LIMIT);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, QUICK_US);  /* 2^40 steps would take hours */
	pd_rx_free(raised);
	pd_rx *lowered = rx_with_options("(*LIMIT_MATCH=3)(?:a|b)+c");
	pd_rx *plain = rx_with_options("(?:a|b)+c");
	g_assert_cmpint(run(lowered, "ababababababab!ababababc"), ==, PD_RX_LIMIT);
	g_assert_cmpint(run(plain, "ababababababab!ababababc"), ==, PD_RX_MATCH);
	pd_rx_free(lowered);
	pd_rx_free(plain);
	g_free(subject);
	g_free(hostile);
}

static void
test_configured_match_limit(void)
{
	pd_rules_options opts = { .limits = { .match_limit = 50 } };
	pd_ruleset *rs = compile_ok("rule \"tight\" when subject matches /(a|ab|b)+c/ then tag ok\n", &opts);
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_SUBJECT, "abababababababababababababababababababab!c");
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	g_assert_cmpuint(d->warnings->len, ==, 1);
	pd_decision_free(&d);
	pd_rules_input_set(in, PD_RULES_SUBJECT, "abc");
	d = pd_ruleset_apply(rs, in, FALSE);
	g_assert_cmpuint(d->tags->len, ==, 1);
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_huge_pattern(void)
{
	char *big = g_strnfill(1024 * 1024, 'a');
	char *src = g_strdup_printf("rule \"big\" when body matches /%s/ then tag x\n", big);
	GError *e = NULL;
	g_assert_null(pd_ruleset_compile("t.rules", src, strlen(src), NULL, NULL, &e));
	g_assert_error(e, PD_RULES_ERROR, PD_RULES_ERROR_SYNTAX);
	assert_contains(e->message, "t.rules:1:30: the pattern is 1048576 bytes long; the limit is 8192");
	g_assert_cmpuint(strlen(e->message), <, 200);  /* no megabyte of source line under the caret */
	g_clear_error(&e);
	g_free(src);
	/* The same for a keyword. */
	src = g_strdup_printf("rule \"big\" when body contains \"%s\" then tag x\n", big);
	g_assert_null(pd_ruleset_compile("t.rules", src, strlen(src), NULL, NULL, &e));
	assert_contains(e->message, "t.rules:1:31: this text is 1048576 bytes long; the limit is 8192");
	g_clear_error(&e);
	g_free(src);
	g_free(big);
}

/* ---- files that change while they are read ----------------------------- */

static char *hook_dir;
static const char *hook_mode;

static void
write_path(const char *path, const char *text)
{
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Runs between the loader's fstat and its read. */
static void
change_file(const char *path, int fd)
{
	(void)fd;
	if (strcmp(hook_mode, "rename") == 0) {
		char *tmp = g_strconcat(path, ".new", NULL);
		write_path(tmp, "rule \"new\" then tag new\n");
		g_assert_cmpint(g_rename(tmp, path), ==, 0);
		g_free(tmp);
		return;
	}
	int w = open(path, O_WRONLY | (strcmp(hook_mode, "append") == 0 ? O_APPEND : O_TRUNC));
	const char *text = strcmp(hook_mode, "truncate") == 0 ? "rule \"n\"" :
	                   strcmp(hook_mode, "append") == 0 ? "rule \"more\" then tag more\n" :
	                   "rule \"old\" then tag BAD\n";  /* "same-size": as long as the original */
	g_assert_cmpint(write(w, text, strlen(text)), ==, (gssize)strlen(text));
	close(w);
}

static pd_ruleset *
load_with_hook(const char *mode, GError **error)
{
	hook_dir = g_dir_make_tmp("pd-rules-XXXXXX", NULL);
	char *path = g_build_filename(hook_dir, "10-a.rules", NULL);
	write_path(path, "rule \"old\" then tag old\n");
	hook_mode = mode;
	pd_rules_read_hook = change_file;
	pd_ruleset *rs = pd_ruleset_load(hook_dir, NULL, NULL, error);
	pd_rules_read_hook = NULL;
	g_unlink(path);
	char *tmp = g_strconcat(path, ".new", NULL);
	g_unlink(tmp);
	g_free(tmp);
	g_rmdir(hook_dir);
	g_free(path);
	g_free(hook_dir);
	return rs;
}

static char *
tags_of(pd_ruleset *rs)
{
	pd_rules_input *in = pd_rules_input_new();
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	char *text = pd_decision_to_text(d, FALSE);
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	return text;
}

static void
test_file_replaced_while_read(void)
{
	GError *e = NULL;
	/* Replaced by rename (editors, git, deploy tools): the old file, whole. */
	pd_ruleset *rs = load_with_hook("rename", &e);
	g_assert_no_error(e);
	char *tags = tags_of(rs);
	g_assert_cmpstr(tags, ==, "tags old");
	g_free(tags);
	pd_ruleset_free(&rs);
	/* Rewritten in place: nothing at all, whatever the new size. */
	static const char *const modes[] = { "truncate", "append", "same-size" };
	for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
		g_assert_null(load_with_hook(modes[i], &e));
		g_assert_error(e, PD_RULES_ERROR, PD_RULES_ERROR_FILE);
		assert_contains(e->message, "10-a.rules: the file changed while it was read; nothing was loaded");
		g_clear_error(&e);
	}
}

typedef struct {
	const char *path;
	const char *versions[2];
	volatile gint stop;
} rewriter;

static gpointer
rewrite_loop(gpointer data)
{
	rewriter *r = data;
	/* Replaced the way editors and deploy tools do it: a new file renamed
	 * over the old one. (An in-place rewrite can be read half-written by
	 * any reader; doc/rules.md says to replace files, not rewrite them.) */
	char *tmp = g_strdup_printf("%s.tmp", r->path);
	for (guint i = 0; !g_atomic_int_get(&r->stop); i++) {
		const char *text = r->versions[i % 2];
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			if (write(fd, text, strlen(text)) < 0)
				g_error("write: %s", g_strerror(errno));
			close(fd);
			if (rename(tmp, r->path) != 0)
				g_error("rename: %s", g_strerror(errno));
		}
		g_usleep(200);
	}
	g_free(tmp);
	return NULL;
}

static char *
version_text(const char *tag, int rules)
{
	GString *s = g_string_new(NULL);
	for (int i = 0; i < rules; i++)
		g_string_append_printf(s, "rule \"%s %d\" when subject contains \"w%d\" then tag %s\n", tag, i, i, tag);
	return g_string_free(s, FALSE);
}

static void
test_file_rewritten_under_load(void)
{
	char *dir = g_dir_make_tmp("pd-rules-XXXXXX", NULL);
	char *path = g_build_filename(dir, "10-a.rules", NULL);
	char *a = version_text("a", 40), *b = version_text("b", 90);
	rewriter r = { path, { a, b }, 0 };
	guint whole = 0, refused = 0, empty = 0;

	write_path(path, a);
	GThread *t = g_thread_new("rewrite", rewrite_loop, &r);
	for (int i = 0; i < 300; i++) {
		GError *e = NULL;
		pd_ruleset *rs = pd_ruleset_load(dir, NULL, NULL, &e);
		if (rs == NULL) {
			/* Either caught changing, never a half file that fails to parse. */
			g_assert_error(e, PD_RULES_ERROR, PD_RULES_ERROR_FILE);
			g_clear_error(&e);
			refused++;
			continue;
		}
		guint n = pd_ruleset_count(rs);
		if (n == 0)
			empty++;  /* caught between the truncation and the write: the file was empty */
		else {
			g_assert_true(n == 40 || n == 90);
			pd_rrule *first = rs->rules->pdata[0], *last = rs->rules->pdata[n - 1];
			g_assert_cmpint(first->name[0], ==, n == 40 ? 'a' : 'b');
			g_assert_cmpint(last->name[0], ==, first->name[0]);
			whole++;
		}
		pd_ruleset_free(&rs);
	}
	g_atomic_int_set(&r.stop, 1);
	g_thread_join(t);
	g_test_message("%u loaded whole, %u refused as changing, %u empty", whole, refused, empty);
	g_assert_cmpuint(empty, ==, 0);   /* a rename never shows an empty file */
	g_assert_cmpuint(whole, >, 0);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
	g_free(a);
	g_free(b);
}

/* ---- the prefilter: literals, risk, impossibility ----------------------- */

static const struct {
	const char *pattern, *flags;
	const char *literals;   /* sorted, "|" between; "" when none */
	gboolean risky, impossible;
} scans[] = {
	{ "invoice", "", "invoice", FALSE, FALSE },
	{ "\\border\\s+#?(?<order>\\d{6,})", "i", "order", FALSE, FALSE },
	{ "(invoice|refund)\\s+#(\\d+)", "", "invoice|refund", FALSE, FALSE },
	{ "abc|def", "", "abc|def", FALSE, FALSE },
	{ "abc|de", "", "", FALSE, FALSE },
	{ "a(bc)d", "", "abcd", FALSE, FALSE },
	{ "(?:abc)+x", "", "abc", FALSE, FALSE },
	{ "(?:abc)?xyz", "", "xyz", FALSE, FALSE },
	{ "ab+cde", "", "cde", FALSE, FALSE },
	{ "[a-z]+@example\\.com", "", "@example.com", FALSE, FALSE },
	{ "\\d{7}", "", "", FALSE, FALSE },
	{ "x\\Qa.b\\Ey", "", "xa.by", FALSE, FALSE },
	{ "caf\\x{e9}s", "", "cafés", FALSE, FALSE },
	{ "Заказ №(?<n>\\d+)", "", "Заказ", FALSE, FALSE },
	{ "order number", "", "number", FALSE, FALSE },
	{ "a b c", "x", "", TRUE, FALSE },
	{ "(?x) a b c", "", "", TRUE, FALSE },
	{ "[abc]def", "", "def", FALSE, FALSE },
	{ "foo(?=bar)", "", "foo", FALSE, FALSE },
	{ "(\\w+) \\1", "", "", TRUE, FALSE },
	{ "(a+)+$", "", "", TRUE, FALSE },
	{ "(a|aa)*", "", "", TRUE, FALSE },
	{ "a*a*c", "", "", TRUE, FALSE },
	{ ".*x.*y", "", "", TRUE, FALSE },
	{ "\\w+\\s*=", "", "", FALSE, FALSE },
	{ "[a-z]+\\.[a-z]+", "", "", FALSE, FALSE },
	{ "a*b*c", "", "", FALSE, FALSE },
	{ "\\s+#?\\s+", "", "", TRUE, FALSE },
	{ "(?>a+)a*", "", "", FALSE, FALSE },
	{ "a^b", "", "", FALSE, TRUE },
	{ "a^b", "m", "", FALSE, FALSE },
	{ "(?m)a^b", "", "", FALSE, FALSE },
	{ "a$b", "", "", FALSE, TRUE },
	{ "a$\\nb", "", "", FALSE, FALSE },
	{ "x\\z.", "", "", FALSE, TRUE },
	{ "(?!)x", "", "", FALSE, TRUE },
	{ "(?:a^|b)c", "", "", FALSE, FALSE },
	{ "x(^a|^b)", "", "", FALSE, TRUE },
	{ "x(?:y|z)?^", "", "", FALSE, TRUE },
};

static int
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_scan_patterns(void)
{
	GString *failures = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(scans); i++) {
		pd_rxscan sc;
		pd_rxscan_pattern(scans[i].pattern, strlen(scans[i].pattern), scans[i].flags, &sc);
		char *lits = g_strdup("");
		if (sc.literals != NULL) {
			g_ptr_array_sort(sc.literals, compare_strings);
			GPtrArray *v = g_ptr_array_new();
			for (guint k = 0; k < sc.literals->len; k++)
				g_ptr_array_add(v, sc.literals->pdata[k]);
			g_ptr_array_add(v, NULL);
			g_free(lits);
			lits = g_strjoinv("|", (char **)v->pdata);
			g_ptr_array_unref(v);
		}
		if (strcmp(lits, scans[i].literals) != 0 || sc.risky != scans[i].risky || sc.impossible != scans[i].impossible)
			g_string_append_printf(failures, "/%s/%s: literals \"%s\" risky %d impossible %d\n", scans[i].pattern,
			                       scans[i].flags, lits, sc.risky, sc.impossible);
		g_free(lits);
		pd_rxscan_clear(&sc);
	}
	if (failures->len > 0)
		g_error("%s", failures->str);
	g_string_free(failures, TRUE);
}

/* A literal the scanner gives must really be in every match: check on
 * random subjects for random patterns built from pieces. */
static void
test_literals_are_required(void)
{
	static const char *const pieces[] = { "abc", "x", "(?:de|fg)", "h+", "[a-c]", "\\d", "i?", "(?:jk)*", "lmn",
	                                      ".", "(?<g>op)", "q{2}", "rs|tu", "(?i)vw", "\\s" };
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz 0123456789ABCDEFGHIJKLMNOP";
	GRand *rnd = g_rand_new_with_seed(42);
	pd_rules_limits limits;
	pd_rules_limits_resolve(NULL, &limits);
	for (int round = 0; round < 300; round++) {
		GString *pat = g_string_new(NULL);
		int n = g_rand_int_range(rnd, 1, 6);
		for (int i = 0; i < n; i++)
			g_string_append(pat, pieces[g_rand_int_range(rnd, 0, G_N_ELEMENTS(pieces))]);
		char *msg = NULL;
		gsize off;
		pd_rx *rx = pd_rx_compile(pat->str, "", &limits, FALSE, &msg, &off);
		if (rx == NULL) {  /* duplicate group names and the like */
			g_free(msg);
			g_string_free(pat, TRUE);
			continue;
		}
		const GPtrArray *lits = pd_rx_scan(rx)->literals;
		for (int k = 0; lits != NULL && k < 200; k++) {
			char subject[40];
			for (int c = 0; c < 39; c++)
				subject[c] = alphabet[g_rand_int_range(rnd, 0, sizeof alphabet - 1)];
			subject[39] = '\0';
			/* Plant the pattern's own pieces so some subjects match. */
			memcpy(subject + g_rand_int_range(rnd, 0, 20), "abcxdehlmnopqqrsvw", 18);
			gsize s, e;
			if (pd_rx_match(rx, &limits, subject, 39, G_MAXINT64, &s, &e, NULL) != PD_RX_MATCH)
				continue;
			char *m = g_utf8_casefold(subject + s, (gssize)(e - s));
			gboolean found = FALSE;
			for (guint l = 0; l < lits->len; l++) {
				char *f = g_utf8_casefold(lits->pdata[l], -1);
				found |= strstr(m, f) != NULL;
				g_free(f);
			}
			if (!found)
				g_error("/%s/ matched \"%.*s\" without any of its literals", pat->str, (int)(e - s), subject + s);
			g_free(m);
		}
		pd_rx_free(rx);
		g_string_free(pat, TRUE);
	}
	g_rand_free(rnd);
}

/* ---- the automaton against a plain search ------------------------------- */

typedef struct {
	guint id, end;
} hit;

typedef struct {
	GArray *hits;  /* of hit */
} hit_list;

static void
collect(guint id, gsize end, gpointer data)
{
	hit_list *h = data;
	hit one = { id, (guint)end };
	g_array_append_val(h->hits, one);
}

static int
compare_hits(gconstpointer a, gconstpointer b)
{
	const hit *x = a, *y = b;
	return x->id != y->id ? (x->id < y->id ? -1 : 1) : (x->end < y->end ? -1 : x->end > y->end);
}

static void
test_automaton(void)
{
	static const char *const syllables[] = { "a", "b", "ab", "ba", "é", "ж", "報", "c" };
	GRand *rnd = g_rand_new_with_seed(7);
	for (int round = 0; round < 200; round++) {
		pd_ac_builder *b = pd_ac_builder_new();
		GPtrArray *pats = g_ptr_array_new_with_free_func(g_free);
		int npat = g_rand_int_range(rnd, 1, round < 100 ? 8 : 400);
		for (int i = 0; i < npat; i++) {
			GString *p = g_string_new(NULL);
			int len = g_rand_int_range(rnd, 1, 6);
			for (int k = 0; k < len; k++)
				g_string_append(p, syllables[g_rand_int_range(rnd, 0, G_N_ELEMENTS(syllables))]);
			guint id = pd_ac_builder_add(b, p->str, p->len);
			if (id == pats->len)
				g_ptr_array_add(pats, g_string_free(p, FALSE));
			else
				g_string_free(p, TRUE);
		}
		pd_ac *ac = pd_ac_build(b);
		GString *text = g_string_new(NULL);
		for (int k = 0; k < 300; k++)
			g_string_append(text, syllables[g_rand_int_range(rnd, 0, G_N_ELEMENTS(syllables))]);
		g_string_append(text, "xyz");
		hit_list got = { g_array_new(FALSE, FALSE, sizeof(hit)) }, want = { g_array_new(FALSE, FALSE, sizeof(hit)) };
		pd_ac_scan(ac, text->str, text->len, collect, &got);
		for (guint id = 0; id < pats->len; id++) {
			gsize n = strlen(pats->pdata[id]);
			for (gsize at = 0; at + n <= text->len; at++)
				if (memcmp(text->str + at, pats->pdata[id], n) == 0)
					collect(id, at + n, &want);
		}
		g_assert_cmpuint(got.hits->len, ==, want.hits->len);
		g_array_sort(got.hits, compare_hits);
		g_array_sort(want.hits, compare_hits);
		g_assert_cmpmem(got.hits->data, got.hits->len * sizeof(hit), want.hits->data, want.hits->len * sizeof(hit));
		g_array_unref(got.hits);
		g_array_unref(want.hits);
		g_string_free(text, TRUE);
		g_ptr_array_unref(pats);
		pd_ac_free(&ac);
	}
	g_rand_free(rnd);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/hostile/runaway-patterns", test_runaway_patterns);
	g_test_add_func("/rules/hostile/runaway-without-jit", test_runaway_without_jit);
	g_test_add_func("/rules/hostile/limit-hits-counted", test_limit_hits_counted);
	g_test_add_func("/rules/hostile/message-budget", test_message_budget);
	g_test_add_func("/rules/hostile/inline-limit-cannot-raise", test_inline_limit_cannot_raise);
	g_test_add_func("/rules/hostile/configured-match-limit", test_configured_match_limit);
	g_test_add_func("/rules/hostile/huge-pattern", test_huge_pattern);
	g_test_add_func("/rules/hostile/file-replaced-while-read", test_file_replaced_while_read);
	g_test_add_func("/rules/hostile/file-rewritten-under-load", test_file_rewritten_under_load);
	g_test_add_func("/rules/prefilter/scan-patterns", test_scan_patterns);
	g_test_add_func("/rules/prefilter/literals-are-required", test_literals_are_required);
	g_test_add_func("/rules/prefilter/automaton", test_automaton);
	int rc = g_test_run();
	pd_rules_thread_cleanup();
	return rc;
}
