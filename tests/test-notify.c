/* test-notify.c: reply tokens, our Message-IDs, templates, composing, and the loop guard's address rules. */
#include "config.h"
#include "notify/token.h"
#include "notify/template.h"
#include "notify/compose.h"
#include "notify/notify.h"
#include "parse/parse.h"
#include "pd.h"

#include <glib/gstdio.h>
#include <string.h>

static pd_secret *
secret(void)
{
	static const guint8 key[] = "0123456789abcdef0123456789abcdef";
	return pd_secret_new_from_bytes(key, 32);
}

static void
test_tokens(void)
{
	pd_secret *s = secret();
	char *t = pd_token_make(s, 1042, "Anna@Example.com");
	g_assert_cmpuint(strlen(t), ==, 16);
	g_assert_true(pd_token_check(s, 1042, "anna@example.com", t));
	g_assert_false(pd_token_check(s, 1043, "anna@example.com", t));
	g_assert_false(pd_token_check(s, 1042, "mallory@example.com", t));
	char *addr = pd_token_reply_address(s, "support@example.com", 1042, "anna@example.com");
	char *want = g_strdup_printf("support+1042-%s@example.com", t);
	g_assert_cmpstr(addr, ==, want);
	guint64 ticket = 0;
	char *tok = NULL;
	g_assert_true(pd_token_parse_address(addr, "support@example.com", &ticket, &tok));
	g_assert_cmpuint(ticket, ==, 1042);
	g_assert_cmpstr(tok, ==, t);
	g_free(tok);
	g_assert_false(pd_token_parse_address("support@example.com", "support@example.com", &ticket, &tok));
	g_assert_false(pd_token_parse_address("support+1042-short@example.com", "support@example.com", &ticket, &tok));
	g_assert_false(pd_token_parse_address(addr, "support@other.example", &ticket, &tok));
	/* A different secret makes different tokens. */
	pd_secret *other = pd_secret_new_from_bytes((const guint8 *)"another key, long enough", 24);
	g_assert_false(pd_token_check(other, 1042, "anna@example.com", t));
	pd_secret_free(&other);
	g_free(addr);
	g_free(want);
	g_free(t);
	pd_secret_free(&s);
	g_assert_null(s);
}

static void
test_msgids(void)
{
	pd_secret *s = secret();
	char *id = pd_msgid_make(s, 1042, 7, 2, "example.com");
	g_assert_true(g_str_has_prefix(id, "pd.1042.7.2."));
	g_assert_true(g_str_has_suffix(id, "@example.com"));
	guint64 ticket = 0;
	guint32 seq = 0;
	g_assert_true(pd_msgid_check(s, id, &ticket, &seq));
	g_assert_cmpuint(ticket, ==, 1042);
	g_assert_cmpuint(seq, ==, 7);
	/* A forged id naming another ticket does not verify. */
	char *forged = g_strdup(id);
	forged[3] = '9';
	g_assert_false(pd_msgid_check(s, forged, &ticket, &seq));
	g_assert_false(pd_msgid_check(s, "CAH123@mail.example.net", &ticket, &seq));
	g_free(forged);
	g_free(id);
	pd_secret_free(&s);
}

static void
test_secret_file(void)
{
	char *dir = g_dir_make_tmp("pd-secret-XXXXXX", NULL);
	char *path = g_build_filename(dir, "secret", NULL);
	GError *e = NULL;
	pd_secret *a = pd_secret_load(path, &e);
	g_assert_no_error(e);
	pd_secret *b = pd_secret_load(path, &e);
	g_assert_no_error(e);
	char *ta = pd_token_make(a, 1, "x@example.com"), *tb = pd_token_make(b, 1, "x@example.com");
	g_assert_cmpstr(ta, ==, tb);  /* created once, then read back */
	GStatBuf st;
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_free(ta);
	g_free(tb);
	pd_secret_free(&a);
	pd_secret_free(&b);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

static char *
templates_dir(void)
{
	return g_build_filename(g_getenv("top_srcdir") != NULL ? g_getenv("top_srcdir") : "..", "templates", NULL);
}

static JsonNode *
ctx(const char *requester_name)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ticket");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, 1042);
	json_builder_set_member_name(b, "subject");
	json_builder_add_string_value(b, "Printer on fire");
	json_builder_set_member_name(b, "tag");
	json_builder_add_string_value(b, "[Support #1042]");
	json_builder_end_object(b);
	json_builder_set_member_name(b, "requester");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, requester_name);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "desk");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, "Support");
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, "support@example.com");
	json_builder_end_object(b);
	json_builder_end_object(b);
	JsonNode *n = json_builder_get_root(b);
	g_object_unref(b);
	return n;
}

static void
test_templates_shipped(void)
{
	char *dir = templates_dir();
	GError *e = NULL;
	pd_templates *t = pd_templates_load(dir, "en", &e);
	g_assert_no_error(e);
	static const char *const names[] = { "ticket-created", "agent-reply", "status-changed", "ticket-resolved",
		"ticket-closed", "agent-new-ticket", "agent-new-reply", "command-receipt", "command-error",
		"sla-warning", NULL };
	const char **langs = pd_templates_languages(t);
	g_assert_cmpuint(g_strv_length((char **)langs), ==, 3);
	for (int i = 0; names[i] != NULL; i++)
		g_assert_true(pd_templates_has(t, names[i]));
	/* Every shipped template exists in every language. */
	for (int l = 0; langs[l] != NULL; l++)
		for (int i = 0; names[i] != NULL; i++) {
			char *path = g_strdup_printf("%s/%s/%s.txt", dir, langs[l], names[i]);
			g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
			g_free(path);
		}
	JsonNode *c = ctx("Анна");
	pd_rendered *r = pd_templates_render(t, "ticket-created", "ru", c, 65536, &e);
	g_assert_no_error(e);
	g_assert_cmpstr(r->lang, ==, "ru");
	g_assert_cmpstr(r->subject, ==, "Printer on fire");
	g_assert_nonnull(strstr(r->text, "Здравствуйте, Анна!"));
	g_assert_nonnull(strstr(r->text, "номером\n1042"));
	g_assert_null(r->html);
	pd_rendered_free(&r);
	/* Unknown language: the default one; English has the HTML twin. */
	r = pd_templates_render(t, "ticket-created", "xx", c, 65536, &e);
	g_assert_no_error(e);
	g_assert_cmpstr(r->lang, ==, "en");
	g_assert_nonnull(strstr(r->html, "<b>1042</b>"));
	g_assert_nonnull(strstr(r->text, "-- \nSupport <support@example.com>"));
	pd_rendered_free(&r);
	/* Strict: a variable the context lacks fails this render only. */
	r = pd_templates_render(t, "status-changed", "en", c, 65536, &e);
	g_assert_null(r);
	g_assert_error(e, PD_ERROR, PD_ERROR_PERMANENT);
	g_assert_nonnull(strstr(e->message, "change"));
	g_clear_error(&e);
	r = pd_templates_render(t, "no-such-template", "en", c, 65536, &e);
	g_assert_null(r);
	g_assert_nonnull(strstr(e->message, "no template \"no-such-template\""));
	g_clear_error(&e);
	r = pd_templates_render(t, "ticket-created", "en", c, 100, &e);
	g_assert_null(r);
	g_assert_nonnull(strstr(e->message, "exceeds"));
	g_clear_error(&e);
	json_node_unref(c);
	g_free(langs);
	pd_templates_free(&t);
	g_free(dir);
}

static char *
write_template(const char *dir, const char *lang, const char *name, const char *text)
{
	char *ldir = g_build_filename(dir, lang, NULL);
	g_mkdir_with_parents(ldir, 0700);
	char *path = g_build_filename(ldir, name, NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(ldir);
	return path;
}

static void
test_template_errors(void)
{
	char *dir = g_dir_make_tmp("pd-tpl-XXXXXX", NULL);
	char *path = write_template(dir, "en", "bad.txt", "Subject: ok\n\nline one\n{{#open}}\nnever closed\n");
	GError *e = NULL;
	pd_templates *t = pd_templates_load(dir, "en", &e);
	g_assert_null(t);
	g_assert_error(e, PD_ERROR, PD_ERROR_CONFIG);
	/* The position is in the file, not in the body. */
	char *want = g_strdup_printf("%s:4:", path);
	g_assert_true(g_str_has_prefix(e->message, want));
	g_clear_error(&e);
	g_free(want);
	g_free(path);
	path = write_template(dir, "en", "bad.txt", "Subject: ok\nTo: someone@else\n\nbody\n");
	t = pd_templates_load(dir, "en", &e);
	g_assert_null(t);
	g_assert_nonnull(strstr(e->message, ":2:1: expected a \"Subject:\""));
	g_clear_error(&e);
	/* A subject built from a hostile name stays one line. */
	g_free(write_template(dir, "en", "bad.txt", "Subject: Hello {{requester.name}}\nX-Ticket: {{ticket.id}}\n\nbody\n"));
	t = pd_templates_load(dir, "en", &e);
	g_assert_no_error(e);
	JsonNode *c = ctx("Eve\r\nBcc: victim@example.com");
	pd_rendered *r = pd_templates_render(t, "bad", "en", c, 65536, &e);
	g_assert_no_error(e);
	g_assert_cmpstr(r->subject, ==, "Hello Eve  Bcc: victim@example.com");
	g_assert_cmpuint(r->headers->len, ==, 2);
	g_assert_cmpstr(r->headers->pdata[0], ==, "X-Ticket");
	g_assert_cmpstr(r->headers->pdata[1], ==, "1042");
	pd_rendered_free(&r);
	json_node_unref(c);
	pd_templates_free(&t);
	char *argv[] = { "rm", "-rf", dir, NULL };
	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	g_free(path);
	g_free(dir);
}

static char *
compose_text(const pd_compose *c)
{
	GBytes *b = pd_compose_message(c);
	char *s = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	g_bytes_unref(b);
	return s;
}

static void
test_compose(void)
{
	const char *refs[] = { "first@example.org", "second@example.org", NULL };
	pd_compose c = { .from_name = "Support Désk", .from_addr = "support@example.com",
		.to_name = "Eve\r\nBcc: victim@example.com", .to_addr = "eve@example.org",
		.reply_to = "support+1042-abcdefghijklmnop@example.com", .message_id = "pd.1042.1.0.x@example.com",
		.in_reply_to = "second@example.org", .references = refs, .subject = "Привет: printer",
		.tag = "Support", .ticket = 1042, .auto_replied = TRUE,
		.text = "Line one\n.\n..dots\nÜmlaut\n", .date = 1795424400 };
	char *m = compose_text(&c);
	/* Only CRLF line ends, and no bare CR or LF anywhere. */
	for (const char *p = m; *p != '\0'; p++) {
		if (*p == '\n')
			g_assert_true(p > m && p[-1] == '\r');
		if (*p == '\r')
			g_assert_true(p[1] == '\n');
	}
	g_assert_nonnull(strstr(m, "\r\nMessage-Id: <pd.1042.1.0.x@example.com>\r\n"));
	g_assert_nonnull(strstr(m, "\r\nIn-Reply-To: <second@example.org>\r\n"));
	g_assert_nonnull(strstr(m, "\r\nReferences: <first@example.org> <second@example.org>\r\n"));
	g_assert_nonnull(strstr(m, "\r\nAuto-Submitted: auto-replied\r\n"));
	g_assert_nonnull(strstr(m, "support+1042-abcdefghijklmnop@example.com"));
	g_assert_nonnull(strstr(m, "Content-Transfer-Encoding: quoted-printable"));
	g_assert_nonnull(strstr(m, "charset=utf-8"));
	/* The name with CR/LF was encoded, not pasted: no header of its own. */
	g_assert_null(strstr(m, "\r\nBcc:"));
	g_assert_null(strstr(m, "Привет"));  /* non-ASCII subject is RFC 2047-encoded */
	/* Parse it back: what a mail client shows. */
	pd_cause cause;
	pd_message *back = pd_message_parse(m, strlen(m), NULL, &cause, NULL);
	g_assert_cmpint(cause, ==, PD_CAUSE_NONE);
	g_assert_cmpstr(back->subject, ==, "[Support #1042] Привет: printer");
	g_assert_cmpstr(back->from->name, ==, "Support Désk");
	g_assert_cmpstr(back->body, ==, "Line one\n.\n..dots\nÜmlaut");
	g_assert_cmpuint(back->to->len, ==, 1);
	pd_message_free(&back);
	g_free(m);
	/* The tag is not added twice. */
	char *s = pd_compose_subject("Support", 1042, "Re: [Support #1042] Printer");
	g_assert_cmpstr(s, ==, "Re: [Support #1042] Printer");
	g_free(s);
}

static void
test_blocked_addresses(void)
{
	char *own[] = { "help@example.com", NULL };
	pd_notify_options o = { .address = "support@example.com", .name = "S", .domain = "example.com",
	                        .tag = "S", .default_lang = "en", .own_addresses = own };
	char *dir = templates_dir();
	pd_templates *t = pd_templates_load(dir, "en", NULL);
	pd_notify *n = pd_notify_new(&o, t, secret());
	static const struct {
		const char *addr;
		gboolean blocked;
	} cases[] = {
		{ "anna@example.org", FALSE }, { "support@example.com", TRUE }, { "SUPPORT@example.com", TRUE },
		{ "support+1042-abcdefghijklmnop@example.com", TRUE }, { "help@example.com", TRUE },
		{ "MAILER-DAEMON@mx.example.org", TRUE }, { "postmaster@example.org", TRUE },
		{ "noreply@shop.example", TRUE }, { "no-reply-billing@shop.example", TRUE },
		{ "donotreply@bank.example", TRUE }, { "bounce-123@lists.example", TRUE },
		{ "noreen@example.org", FALSE }, { "not-an-address", TRUE },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *why = NULL;
		gboolean blocked = pd_notify_blocked_address(n, cases[i].addr, &why);
		if (blocked != cases[i].blocked)
			g_error("%s: expected %s", cases[i].addr, cases[i].blocked ? "blocked" : "allowed");
		g_assert_true(blocked == (why != NULL));
	}
	pd_notify_free(&n);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	pd_parse_init();
	g_test_add_func("/notify/tokens", test_tokens);
	g_test_add_func("/notify/msgids", test_msgids);
	g_test_add_func("/notify/secret-file", test_secret_file);
	g_test_add_func("/notify/templates-shipped", test_templates_shipped);
	g_test_add_func("/notify/template-errors", test_template_errors);
	g_test_add_func("/notify/compose", test_compose);
	g_test_add_func("/notify/blocked-addresses", test_blocked_addresses);
	int rc = g_test_run();
	pd_parse_shutdown();
	return rc;
}
