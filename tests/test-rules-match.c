/* test-rules-match.c: what the rules of src/rules/ match: case folding, whole words, captures, order, stop, explanations. */
#include "rules-util.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

static pd_ruleset *
compile_ok(const char *src)
{
	return rules_compile(src, NULL, NULL);
}

/* Does `when COND` hold for a mail whose FIELD is TEXT? */
static gboolean
holds(const char *cond, pd_rules_text field, const char *text)
{
	char *src = g_strdup_printf("rule \"r\" when %s then tag yes\n", cond);
	pd_ruleset *rs = compile_ok(src);
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_add(in, field, text);
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	gboolean yes = d->tags->len == 1;
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
	g_free(src);
	return yes;
}

#define HOLDS(cond, text) g_assert_true(holds(cond, PD_RULES_SUBJECT, text))
#define FAILS(cond, text) g_assert_false(holds(cond, PD_RULES_SUBJECT, text))

static char *
decide(pd_ruleset *rs, pd_rules_input *in, gboolean explain)
{
	pd_decision *d = pd_ruleset_apply(rs, in, explain);
	char *text = pd_decision_to_text(d, explain);
	pd_decision_free(&d);
	return text;
}

/* ---- case folding ------------------------------------------------------ */

static void
test_fold_cyrillic(void)
{
	HOLDS("subject contains \"принтер\"", "ПРИНТЕР не работает");
	HOLDS("subject contains \"ПРИНТЕР\"", "у нас сломался принтер.");
	HOLDS("subject contains \"учётная запись\"", "Учётная   Запись заблокирована");
	FAILS("subject contains \"принтер\"", "Принтеры не работают");  /* whole words */
	HOLDS("subject contains \"принтер*\"", "Принтеры не работают");
	HOLDS("subject matches /ПРИНТЕР/i", "принтер");
	FAILS("subject matches /ПРИНТЕР/", "принтер");  /* a pattern without i keeps case */
	HOLDS("subject is \"ошибка\"", "ОШИБКА");
	HOLDS("subject starts with \"срочно\"", "СРОЧНО: сервер лежит");
}

static void
test_fold_latin(void)
{
	HOLDS("subject contains \"rückerstattung\"", "RÜCKERSTATTUNG für Bestellung");
	HOLDS("subject contains \"échéance\"", "Votre ÉCHÉANCE du mois");
	HOLDS("subject contains \"straße\"", "HAUPTSTRASSE 5 ist nicht die Strasse, aber STRASSE");
	HOLDS("subject contains \"STRASSE\"", "die Straße");
	HOLDS("subject contains \"ΟΔΟΣ\"", "η οδος");  /* final sigma */
	HOLDS("subject contains \"contraseña\"", "CONTRASEÑA olvidada");
	HOLDS("subject contains \"Łódź\"", "biuro w ŁÓDŹ");
	/* The same letter composed or decomposed (macOS writes decomposed names). */
	HOLDS("subject contains \"résumé\"", "my re\xcc\x81sume\xcc\x81 attached");
	HOLDS("subject contains \"re\xcc\x81sume\xcc\x81\"", "my RÉSUMÉ attached");
	HOLDS("subject is \"café\"", "CAFE\xcc\x81");
	FAILS("subject contains \"resume\"", "my résumé");  /* accents count */
}

static void
test_whole_words(void)
{
	HOLDS("subject contains \"bill\"", "Your bill, please");
	FAILS("subject contains \"bill\"", "billing question");
	FAILS("subject contains \"bill\"", "prebill");
	FAILS("subject contains \"api\"", "a rapid answer");
	HOLDS("subject contains \"api\"", "API: 401");
	HOLDS("subject contains \"mail\"", "my e-mail bounced");
	HOLDS("subject contains \"order #\"", "about order #123");
	HOLDS("subject contains \"#4471388\"", "Bestellung#4471388!");
	HOLDS("subject contains \"refund*\"", "Refunds and refunding");
	FAILS("subject contains \"refund*\"", "prerefund");
	HOLDS("subject contains \"5\"", "5 ways");
	FAILS("subject contains \"5\"", "500 error");
	HOLDS("subject contains \"snake_case\"", "x snake_case y");
	FAILS("subject contains \"snake\"", "x snake_case y");
	/* Scripts without spaces between words: no word edges to find. */
	HOLDS("subject contains \"报价\"", "咨询：企业版价格及50个用户的报价");
	HOLDS("subject contains \"エラー\"", "管理画面でエラーが表示されます");
	HOLDS("subject contains \"500\"", "「500 Internal Server Error」");
}

static void
test_phrases(void)
{
	HOLDS("subject contains \"not working\"", "printer NOT\n   working since monday");
	HOLDS("subject contains \"not  working\"", "not working");
	HOLDS("subject contains \"not working\"", "not\u00a0working");  /* a no-break space is a space */
	FAILS("subject contains \"not working\"", "not networking");
	HOLDS("subject is \"  Hello   World \"", "hello world");
	HOLDS("subject ends with \"world\"", "hello WORLD   ");
}

/* ---- fields ------------------------------------------------------------ */

static void
test_multi_values(void)
{
	pd_ruleset *rs = compile_ok("rule \"to\" when to is \"b@x\" then tag to\n"
	                            "rule \"cc\" when cc ends with \"@y\" then tag cc\n"
	                            "rule \"rc\" when recipients matches /^c@/ then tag recipients\n"
	                            "rule \"h\" when header \"Received\" contains \"relay2\" then tag header\n"
	                            "rule \"att\" when attachment name is \"b.pdf\" and attachment type is \"image/png\" "
	                            "then tag att\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_add(in, PD_RULES_TO, "a@x");
	pd_rules_input_add(in, PD_RULES_TO, "B@X");
	pd_rules_input_add(in, PD_RULES_CC, "c@y");
	pd_rules_input_add_header(in, "Received", "from relay1");
	pd_rules_input_add_header(in, "received", "from relay2");
	pd_rules_input_add_attachment(in, "a.png", "image/png", 10);
	pd_rules_input_add_attachment(in, "b.pdf", "application/pdf", 10);
	char *got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "tags to cc recipients header att");
	g_free(got);
	/* A keyword never spans two values. */
	pd_ruleset_free(&rs);
	rs = compile_ok("rule \"x\" when to contains \"x b\" then tag no\n");
	got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "no rule matched");
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_body_and_full_body(void)
{
	pd_ruleset *rs = compile_ok("rule \"new\" when body contains \"printer\" then tag in-new-text\n"
	                            "rule \"all\" when full-body contains \"printer\" then tag in-whole-text\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_BODY, "Thanks, that fixed it.");
	pd_rules_input_set(in, PD_RULES_FULL_BODY, "Thanks, that fixed it.\n\n> My printer is broken.");
	char *got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "tags in-whole-text");
	g_free(got);
	pd_rules_input_free(&in);
	/* With only one of them given, both fields see it. */
	in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_FULL_BODY, "the printer");
	got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "tags in-new-text in-whole-text");
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_exists(void)
{
	g_assert_false(holds("subject exists", PD_RULES_SUBJECT, ""));
	g_assert_true(holds("subject exists", PD_RULES_SUBJECT, "x"));
	g_assert_false(holds("from-name exists", PD_RULES_FROM, "a@b"));
	pd_ruleset *rs = compile_ok("rule \"h\" when header \"X-Empty\" exists then tag present\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_add_header(in, "X-Empty", "");
	char *got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "tags present");  /* a header that is there, if empty */
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_raw_headers(void)
{
	const char *raw = "From sender@example.org Mon Nov 16 09:00:00 2026\n"
	                  "Received: from a\n\tby b\n"
	                  "Subject: =?UTF-8?B?0J/RgNC40L3RgtC10YA=?= =?UTF-8?Q?_=D0=BD=D0=B5?= works\r\n"
	                  "X-Org: =?iso-8859-1?Q?Caf=E9_M=FCller?=\n"
	                  "X-Raw: caf\xe9 latin1\n"
	                  "X-Folded: one\n  two\n"
	                  "List-Id: Weekly <weekly.example.net>\n"
	                  "X-Postdesk-Ticket: 1042\n"
	                  "\n"
	                  "X-Body: not a header\n";
	pd_ruleset *rs = compile_ok("rule \"s\" when header \"subject\" is \"Принтер не works\" then tag decoded\n"
	                            "rule \"o\" when header \"x-org\" is \"café müller\" then tag latin1-word\n"
	                            "rule \"r\" when header \"X-Raw\" contains \"café\" then tag raw-8bit\n"
	                            "rule \"f\" when header \"X-Folded\" is \"one two\" then tag unfolded\n"
	                            "rule \"rc\" when header \"Received\" is \"from a by b\" then tag received\n"
	                            "rule \"l\" when header \"List-Id\" contains \"weekly.example.net\" then tag list\n"
	                            "rule \"b\" when header \"X-Body\" exists then tag body-is-not-headers\n"
	                            "rule \"p\" when header \"X-Postdesk-Ticket\" exists then tag trusted-a-sender\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_add_raw_headers(in, raw, strlen(raw));
	char *got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "tags decoded latin1-word raw-8bit unfolded received list");
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_from_message(void)
{
	pd_address from = { "Ann", "Ann@Example.org" }, to = { NULL, "billing@example.com" };
	pd_attachment att = { "inv.pdf", "application/pdf", 5000 };
	GPtrArray *tos = g_ptr_array_new(), *ccs = g_ptr_array_new(), *atts = g_ptr_array_new();
	g_ptr_array_add(tos, &to);
	g_ptr_array_add(atts, &att);
	pd_message msg = { .subject = "Invoice", .from = &from, .to = tos, .cc = ccs, .body = "new\n> old",
	                   .body_new = "new", .attachments = atts, .size = 7000, .flags = PD_MSG_LIST };
	pd_ruleset *rs = compile_ok("rule \"a\" when subject is \"invoice\" and from is \"ann@example.org\" and "
	                            "from-name is \"ann\" and to is \"billing@example.com\" and body is \"new\" and "
	                            "full-body ends with \"old\" and attachment name is \"inv.pdf\" and "
	                            "attachment size > 4 KB and size > 6KB and mail is mailing-list and "
	                            "source is \"inbox\" then tag all\n");
	pd_rules_input *in = pd_rules_input_from_message(&msg, "inbox");
	char *got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "tags all");
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
	g_ptr_array_unref(tos);
	g_ptr_array_unref(ccs);
	g_ptr_array_unref(atts);
}

static void
test_invalid_utf8_input(void)
{
	/* Setters make text valid, so nothing downstream sees broken UTF-8. */
	HOLDS("subject contains \"caf\"", "caf\xff\xfe menu");
	HOLDS("subject matches /menu$/", "caf\xff\xfe menu");
}

/* ---- patterns, captures, order, stop ------------------------------------ */

static void
test_captures(void)
{
	pd_ruleset *rs = compile_ok(
		"rule \"order\"\n"
		"  when subject contains \"refund\"\n"
		"    or body matches /\\border\\s+#?(?<order>\\d{6,})/i\n"
		"    or body matches /\\bticket (?<ticket>\\d+)/\n"
		"  then queue billing\n"
		"       set order = \"${order}\"\n"
		"       set ref = \"T-${ticket}\"\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_SUBJECT, "Refund please");
	pd_rules_input_set(in, PD_RULES_BODY, "About ORDER #4471388 from 2026.");
	char *got = decide(rs, in, FALSE);
	/* The rule held on its subject; the capture still comes from the body.
	 * No ticket number was found, so that `set` is skipped. */
	g_assert_cmpstr(got, ==, "queue billing, set order = \"4471388\"");
	g_free(got);
	got = decide(rs, in, TRUE);
	assert_contains(got, "set ref skipped: no pattern captured ${ticket}");
	assert_contains(got, "captured order = \"4471388\"");
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
	/* Unicode captures; a pattern under `not` captures nothing. */
	rs = compile_ok("rule \"c\" when subject matches /Заказ №(?<n>\\d+) (?<who>\\w+)/ "
	                "and not subject matches /(?<n2>x)/ then set who = \"${who}\" and set n = \"${n}\" "
	                "and set n2 = \"${n2}\"\n");
	in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_SUBJECT, "Заказ №77 Дмитрий");
	got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "set who = \"Дмитрий\", set n = \"77\"");
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_order_and_stop(void)
{
	pd_ruleset *rs = compile_ok("rule \"1\" when subject contains \"a\" then queue first and priority low and tag x, y\n"
	                            "rule \"2\" when subject contains \"b\" then queue second and untag x and tag z\n"
	                            "rule \"3\" when subject contains \"c\" then priority urgent and stop\n"
	                            "rule \"4\" then queue last and tag w\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_SUBJECT, "a b");
	char *got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "queue last, priority low, tags y z w");  /* later rules win, tags add up */
	g_free(got);
	pd_rules_input_set(in, PD_RULES_SUBJECT, "a b c");
	pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
	got = pd_decision_to_text(d, FALSE);
	g_assert_cmpstr(got, ==, "queue second, priority urgent, tags y z");  /* rule 4 never runs */
	g_assert_cmpstr(d->stopped_by, ==, "3");
	g_assert_cmpuint(d->matched->len, ==, 3);
	g_free(got);
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_reply_and_fates(void)
{
	pd_ruleset *rs = compile_ok("rule \"r\" when subject contains \"r\" then reply thanks\n"
	                            "rule \"n\" when subject contains \"n\" then noreply\n"
	                            "rule \"q\" when subject matches /q (?<why>\\w+)/ then quarantine \"because ${why}\"\n"
	                            "rule \"d\" when subject contains \"d\" then drop\n");
	pd_rules_input *in = pd_rules_input_new();
	static const struct { const char *subject; const char *decision; pd_rules_fate fate; } cases[] = {
		{ "r", "reply thanks", PD_RULES_FATE_TICKET },
		{ "r n", "noreply", PD_RULES_FATE_TICKET },
		{ "n r", "noreply", PD_RULES_FATE_TICKET },
		{ "q spam d", "quarantine \"because spam\"", PD_RULES_FATE_QUARANTINE },
		{ "d only", "drop", PD_RULES_FATE_DROP },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		pd_rules_input_set(in, PD_RULES_SUBJECT, cases[i].subject);
		pd_decision *d = pd_ruleset_apply(rs, in, FALSE);
		char *got = pd_decision_to_text(d, FALSE);
		g_assert_cmpstr(got, ==, cases[i].decision);
		g_assert_cmpint(d->fate, ==, cases[i].fate);
		g_free(got);
		pd_decision_free(&d);
	}
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_patterns_without_literal(void)
{
	/* No literal can be proven: the pattern runs on every mail. */
	HOLDS("subject matches /\\d{7}/", "order 4471388");
	HOLDS("subject matches /[a-c]{3}|z+/", "zz");
	HOLDS("subject matches /(?:abc|d)/", "d");
	HOLDS("not subject matches /xyz/", "abc");
	HOLDS("subject matches /(?x) a b c # spaced out/", "abc");
	HOLDS("subject matches /a b c/x", "abc");
	HOLDS("subject matches /Ab\\x{43}/i", "abc");
	HOLDS("subject matches /inv\\Qoice.\\E/", "invoice.");
	FAILS("subject matches /inv\\Qoice.\\E/", "invoiceX");
	HOLDS("subject matches /caf[ée]/", "café");
	HOLDS("subject matches /(?i)straße/", "STRASSE straße");
	HOLDS("subject matches /\\bfoo\\/bar\\b/", "a foo/bar b");
	HOLDS("subject matches /[/]x/", "/x");
}

static void
test_always_rules(void)
{
	/* Rules that need no keyword run for every mail, in order with the rest. */
	pd_ruleset *rs = compile_ok("rule \"1\" when not subject contains \"x\" then tag not-x\n"
	                            "rule \"2\" when subject contains \"y\" then tag y\n"
	                            "rule \"3\" when size < 10 then tag small\n"
	                            "rule \"4\" when subject contains \"y\" or size > 100 then tag y-or-big\n"
	                            "rule \"5\" when subject contains \"z\" and size > 100 then tag z-and-big\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_SUBJECT, "y");
	pd_rules_input_set_size(in, 5);
	char *got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "tags not-x y small y-or-big");
	g_free(got);
	pd_rules_input_set(in, PD_RULES_SUBJECT, "z");
	pd_rules_input_set_size(in, 500);
	got = decide(rs, in, FALSE);
	g_assert_cmpstr(got, ==, "tags not-x y-or-big z-and-big");
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

/* ---- explanations ------------------------------------------------------- */

static void
test_explain_text(void)
{
	pd_ruleset *rs = compile_ok("rule \"VIP\" when from ends with \"@acme.example\" then priority high\n"
	                            "rule \"Billing\"\n"
	                            "  when subject contains \"refund\" and not header \"List-Id\" exists\n"
	                            "    and body matches /order #(?<order>\\d+)/\n"
	                            "  then queue billing and set order = \"${order}\" and stop\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_FROM, "bob@ACME.example");
	pd_rules_input_set(in, PD_RULES_SUBJECT, "Need a REFUND now");
	pd_rules_input_set(in, PD_RULES_BODY, "see order #42\nthanks");
	char *got = decide(rs, in, TRUE);
	g_assert_cmpstr(got, ==,
	                "rule \"VIP\" (t.rules:1)\n"
	                "  from ends with \"@acme.example\": \"bob@ACME.example\"\n"
	                "  -> priority high\n"
	                "rule \"Billing\" (t.rules:2)\n"
	                "  subject contains \"refund\": \"need a refund now\"\n"
	                "  not: header \"List-Id\" exists\n"
	                "  body matches /order #(?<order>\\d+)/: \"order #42\"\n"
	                "  captured order = \"42\"\n"
	                "  -> queue billing; set order = \"42\"; stop\n"
	                "stopped by rule \"Billing\"\n"
	                "decision: queue billing, priority high, set order = \"42\"");
	g_free(got);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_explain_json(void)
{
	pd_ruleset *rs = compile_ok("rule \"Spam\" when subject contains \"viagra\" then quarantine \"spam\"\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_rules_input_set(in, PD_RULES_SUBJECT, "cheap VIAGRA");
	pd_decision *d = pd_ruleset_apply(rs, in, TRUE);
	char *json = pd_decision_to_json(d);
	GError *e = NULL;
	JsonNode *root = json_from_string(json, &e);
	g_assert_no_error(e);
	JsonObject *o = json_node_get_object(root);
	g_assert_cmpstr(json_object_get_string_member(o, "fate"), ==, "quarantine");
	g_assert_cmpstr(json_object_get_string_member(o, "quarantine_reason"), ==, "spam");
	g_assert_cmpstr(json_object_get_string_member(o, "stopped_by"), ==, "Spam");
	g_assert_false(json_object_has_member(o, "queue"));
	JsonObject *m = json_array_get_object_element(json_object_get_array_member(o, "matched"), 0);
	g_assert_cmpstr(json_object_get_string_member(m, "rule"), ==, "Spam");
	g_assert_cmpint(json_object_get_int_member(m, "line"), ==, 1);
	JsonObject *ev = json_array_get_object_element(json_object_get_array_member(m, "evidence"), 0);
	g_assert_cmpstr(json_object_get_string_member(ev, "field"), ==, "subject");
	g_assert_cmpstr(json_object_get_string_member(ev, "test"), ==, "contains \"viagra\"");
	g_assert_cmpstr(json_object_get_string_member(ev, "found"), ==, "cheap viagra");
	json_node_unref(root);
	g_free(json);
	pd_decision_free(&d);
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

static void
test_decision_outlives_set(void)
{
	/* A reload swaps the set; a decision in flight keeps names valid. */
	pd_ruleset *rs = compile_ok("rule \"Held\" then tag t\n");
	pd_rules_input *in = pd_rules_input_new();
	pd_decision *d = pd_ruleset_apply(rs, in, TRUE);
	pd_ruleset *swapped = pd_ruleset_ref(rs);
	pd_ruleset_free(&rs);
	pd_ruleset_unref(swapped);
	g_assert_cmpstr(((pd_rules_trace *)d->matched->pdata[0])->rule, ==, "Held");
	char *text = pd_decision_to_text(d, TRUE);
	assert_contains(text, "rule \"Held\" (t.rules:1)");
	g_free(text);
	pd_decision_free(&d);
	pd_decision_free(&d);  /* accepts NULL */
	pd_rules_input_free(&in);
	pd_ruleset_free(&rs);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct {
	pd_ruleset *rs;
	const char *const *subjects;
	const char *const *expected;
	guint n;
	gboolean ok;
} thread_job;

static gpointer
route_many(gpointer data)
{
	thread_job *job = data;
	pd_rules_input *in = pd_rules_input_new();

	job->ok = TRUE;
	for (guint round = 0; round < 300; round++)
		for (guint i = 0; i < job->n; i++) {
			pd_rules_input_set(in, PD_RULES_SUBJECT, job->subjects[i]);
			char *got = decide(job->rs, in, round % 2 == 0);
			if (round % 2 == 1 && strcmp(got, job->expected[i]) != 0) {
				g_printerr("%s: got %s, expected %s\n", job->subjects[i], got, job->expected[i]);
				job->ok = FALSE;
			}
			g_free(got);
		}
	pd_rules_input_free(&in);
	pd_rules_thread_cleanup();
	return NULL;
}

static void
test_threads(void)
{
	static const char *const subjects[] = { "refund order 12345", "printer error", "hello", "Принтер ERROR", "x" };
	static const char *const expected[] = { "queue billing, set order = \"12345\"", "queue technical",
	                                        "no rule matched", "queue technical", "no rule matched" };
	pd_ruleset *rs = compile_ok("rule \"b\" when subject contains \"refund\" and subject matches /(?<order>\\d{5})/ "
	                            "then queue billing and set order = \"${order}\" and stop\n"
	                            "rule \"t\" when subject contains \"printer\", \"error\" then queue technical\n");
	thread_job jobs[4];
	GThread *threads[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (thread_job){ rs, subjects, expected, G_N_ELEMENTS(subjects), FALSE };
		threads[i] = g_thread_new("route", route_many, &jobs[i]);
	}
	for (int i = 0; i < 4; i++) {
		g_thread_join(threads[i]);
		g_assert_true(jobs[i].ok);
	}
	pd_ruleset_free(&rs);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/fold/cyrillic", test_fold_cyrillic);
	g_test_add_func("/rules/fold/latin", test_fold_latin);
	g_test_add_func("/rules/fold/whole-words", test_whole_words);
	g_test_add_func("/rules/fold/phrases", test_phrases);
	g_test_add_func("/rules/fields/multi-values", test_multi_values);
	g_test_add_func("/rules/fields/body-and-full-body", test_body_and_full_body);
	g_test_add_func("/rules/fields/exists", test_exists);
	g_test_add_func("/rules/fields/raw-headers", test_raw_headers);
	g_test_add_func("/rules/fields/from-message", test_from_message);
	g_test_add_func("/rules/fields/invalid-utf8", test_invalid_utf8_input);
	g_test_add_func("/rules/match/captures", test_captures);
	g_test_add_func("/rules/match/order-and-stop", test_order_and_stop);
	g_test_add_func("/rules/match/reply-and-fates", test_reply_and_fates);
	g_test_add_func("/rules/match/patterns-without-literal", test_patterns_without_literal);
	g_test_add_func("/rules/match/always-rules", test_always_rules);
	g_test_add_func("/rules/explain/text", test_explain_text);
	g_test_add_func("/rules/explain/json", test_explain_json);
	g_test_add_func("/rules/explain/decision-outlives-set", test_decision_outlives_set);
	g_test_add_func("/rules/threads", test_threads);
	int rc = g_test_run();
	pd_rules_thread_cleanup();
	return rc;
}
