/* test-command.c: the #command block of an agent's reply: every command, its checks, the block's end, the limits. */
#include "config.h"
#include "command/parse.h"

#include <string.h>

static const pd_command *
command(const pd_commands *r, guint i)
{
	g_assert_cmpuint(i, <, r->commands->len);
	return g_ptr_array_index(r->commands, i);
}

static const pd_command_error *
error_at(const pd_commands *r, guint i)
{
	g_assert_cmpuint(i, <, r->errors->len);
	return g_ptr_array_index(r->errors, i);
}

/* text parses without errors into one command of type; returns it parsed
 * (the caller frees) so the values can be checked. */
static pd_commands *
parse_one(const char *text, pd_command_type type)
{
	pd_commands *r = pd_commands_parse(text, NULL);
	if (r->errors->len > 0)
		g_test_message("%s: %s", text, error_at(r, 0)->message);
	g_assert_cmpuint(r->errors->len, ==, 0);
	g_assert_cmpuint(r->commands->len, ==, 1);
	g_assert_cmpint(command(r, 0)->type, ==, type);
	g_assert_true(r->had_commands);
	return r;
}

static void
assert_value(const char *text, pd_command_type type, const char *value)
{
	pd_commands *r = parse_one(text, type);
	g_assert_cmpstr(command(r, 0)->value, ==, value);
	pd_commands_free(&r);
	g_assert_null(r);
}

/* text is a block of one command line refused with a message containing
 * each of the NULL-terminated fragments; nothing is returned for it. */
static void
assert_refused(const char *text, ...)
{
	pd_commands *r = pd_commands_parse(text, NULL);
	g_assert_true(r->had_commands);
	g_assert_cmpuint(r->commands->len, ==, 0);
	g_assert_cmpuint(r->errors->len, ==, 1);
	g_assert_cmpuint(error_at(r, 0)->line, ==, 1);
	va_list ap;
	va_start(ap, text);
	for (const char *want; (want = va_arg(ap, const char *)) != NULL;) {
		if (strstr(error_at(r, 0)->message, want) == NULL)
			g_error("%s: message \"%s\" lacks \"%s\"", text, error_at(r, 0)->message, want);
	}
	va_end(ap);
	pd_commands_free(&r);
}

static void
test_status(void)
{
	static const char *const all[] = { "new", "open", "pending", "resolved", "closed" };
	for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
		char *text = g_strdup_printf("#status %s\n", all[i]);
		assert_value(text, PD_COMMAND_STATUS, all[i]);
		g_free(text);
	}
	assert_value("#status Resolved", PD_COMMAND_STATUS, "resolved");
	assert_value("#status\tpending  ", PD_COMMAND_STATUS, "pending");
	assert_refused("#status", "#status: needs one status", NULL);
	assert_refused("#status open closed", "#status: needs one status", NULL);
	assert_refused("#status done", "#status: \"done\" is not a status (new, open, pending, resolved, closed)", NULL);
	assert_refused("#status resolvd", "did you mean \"resolved\"?", NULL);
	assert_refused("#status PENIDNG", "did you mean \"pending\"?", NULL);
	assert_refused("#status close", "did you mean \"closed\"?", NULL);
}

static void
test_shorthands(void)
{
	assert_value("#pending", PD_COMMAND_STATUS, "pending");
	assert_value("#resolve", PD_COMMAND_STATUS, "resolved");
	assert_value("#close", PD_COMMAND_STATUS, "closed");
	assert_value("#open", PD_COMMAND_STATUS, "open");
	assert_refused("#close now", "#close: takes no value", NULL);
	assert_refused("#pending 3 days", "#pending: takes no value", NULL);
}

static void
test_assign(void)
{
	assert_value("#assign alice@example.com", PD_COMMAND_ASSIGN, "alice@example.com");
	assert_value("#assign Alice.Smith", PD_COMMAND_ASSIGN, "Alice.Smith");
	assert_value("#assign ME", PD_COMMAND_ASSIGN, "me");
	assert_value("#assign None", PD_COMMAND_ASSIGN, "none");
	assert_refused("#assign", "#assign: needs one agent", NULL);
	assert_refused("#assign alice bob", "#assign: needs one agent", NULL);
	assert_refused("#assign alice@", "#assign: needs one agent", NULL);
	assert_refused("#assign -alice", "#assign: needs one agent", NULL);
	assert_refused("#assign al/ice", "#assign: needs one agent", NULL);
}

static void
test_priority(void)
{
	static const char *const all[] = { "low", "normal", "high", "urgent" };
	for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
		char *text = g_strdup_printf("#priority %s", all[i]);
		assert_value(text, PD_COMMAND_PRIORITY, all[i]);
		g_free(text);
	}
	assert_value("#priority URGENT", PD_COMMAND_PRIORITY, "urgent");
	assert_refused("#priority hgih", "#priority: \"hgih\" is not a priority (low, normal, high, urgent)",
	               "did you mean \"high\"?", NULL);
	assert_refused("#priority", "#priority: needs one priority", NULL);
	assert_refused("#priority 1", "is not a priority", NULL);
}

static void
test_queue(void)
{
	char *text;
	assert_value("#queue Billing", PD_COMMAND_QUEUE, "Billing");
	assert_value("#queue tier-2.eu_west", PD_COMMAND_QUEUE, "tier-2.eu_west");
	assert_refused("#queue", "#queue: needs a queue name", NULL);
	assert_refused("#queue sales billing", "#queue: \"sales billing\" is not a queue name", NULL);
	assert_refused("#queue a/b", "is not a queue name", NULL);
	char *name = g_strnfill(65, 'q');
	text = g_strconcat("#queue ", name, NULL);
	assert_refused(text, "at most 64", NULL);
	text[strlen(text) - 1] = '\0';
	assert_value(text, PD_COMMAND_QUEUE, text + 7);
	g_free(text);
	g_free(name);
}

static void
assert_tags(const char *text, const char *add, const char *remove)
{
	pd_commands *r = parse_one(text, PD_COMMAND_TAG);
	char *a = g_strjoinv(",", command(r, 0)->add), *rm = g_strjoinv(",", command(r, 0)->remove);
	g_assert_null(command(r, 0)->value);
	g_assert_cmpstr(a, ==, add);
	g_assert_cmpstr(rm, ==, remove);
	g_free(a);
	g_free(rm);
	pd_commands_free(&r);
}

static void
test_tag(void)
{
	assert_tags("#tag a b -c", "a,b", "c");
	assert_tags("#tag VIP refund.2024 x_y-z", "VIP,refund.2024,x_y-z", "");
	assert_tags("#tag a a -b -b", "a", "b");
	assert_tags("#untag spam", "", "spam");
	assert_tags("#untag spam -ham", "", "spam,ham");
	assert_refused("#tag", "#tag: needs at least one tag", NULL);
	assert_refused("#untag", "#untag: needs at least one tag", NULL);
	assert_refused("#tag a -a", "#tag: tag \"a\" is both added and removed", NULL);
	assert_refused("#tag -a a", "both added and removed", NULL);
	assert_refused("#tag ok bad!", "#tag: \"bad!\" is not a tag", NULL);
	assert_refused("#tag -", "\"\" is not a tag", NULL);
	assert_refused("#tag --x", "\"-x\" is not a tag", NULL);
	assert_refused("#tag émoji", "is not a tag", NULL);
	char *tag64 = g_strnfill(64, 't'), *text = g_strconcat("#tag ", tag64, NULL);
	assert_tags(text, tag64, "");
	g_free(text);
	text = g_strconcat("#tag -", tag64, "x", NULL);
	assert_refused(text, "at most 64", NULL);
	g_free(text);
	g_free(tag64);
}

static void
test_cc(void)
{
	assert_value("#cc add Ann@Example.org", PD_COMMAND_CC_ADD, "Ann@Example.org");
	assert_value("#cc ADD ann@example.org", PD_COMMAND_CC_ADD, "ann@example.org");
	assert_value("#cc ann@example.org", PD_COMMAND_CC_ADD, "ann@example.org");
	assert_value("#cc addison@example.org", PD_COMMAND_CC_ADD, "addison@example.org");
	assert_value("#cc <ann@example.org>", PD_COMMAND_CC_ADD, "ann@example.org");
	assert_value("#cc add \"ann smith\"@example.org", PD_COMMAND_CC_ADD, "\"ann smith\"@example.org");
	assert_value("#cc add o'brien+tickets@mail.example.co.uk", PD_COMMAND_CC_ADD, "o'brien+tickets@mail.example.co.uk");
	assert_value("#cc add иван@пример.рф", PD_COMMAND_CC_ADD, "иван@пример.рф");
	assert_value("#cc remove ann@example.org", PD_COMMAND_CC_REMOVE, "ann@example.org");
	assert_value("#cc -ann@example.org", PD_COMMAND_CC_REMOVE, "ann@example.org");
	assert_value("#cc remove <ann@example.org>", PD_COMMAND_CC_REMOVE, "ann@example.org");
	assert_refused("#cc", "#cc: needs an address", NULL);
	assert_refused("#cc add", "#cc: needs an address", NULL);
	assert_refused("#cc remove ", "#cc: needs an address", NULL);
	assert_refused("#cc add ann", "#cc: \"ann\" is not an address", NULL);
	assert_refused("#cc add a@example.org b@example.org", "one address per #cc line", NULL);
	static const char *const bad[] = {
		"#cc a@localhost", "#cc a@@example.org", "#cc @example.org", "#cc a..b@example.org", "#cc .a@example.org",
		"#cc a.@example.org", "#cc a@-example.org", "#cc a@example-.org", "#cc a@example..org", "#cc a@example.org.",
		"#cc a@192.0.2.1", "#cc a@[192.0.2.1]", "#cc \"a@example.org", "#cc \"a\\\"@example.org", "#cc a b@example.org",
		"#cc a@exa_mple.org", "#cc <a@example.org", "#cc (a)@example.org",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_refused(bad[i], "#cc: ", "is not an address", NULL);
	/* Lengths: 64 bytes of local part and 254 of address at most. */
	char *local = g_strnfill(64, 'l'), *label = g_strnfill(63, 'd');
	char *text = g_strdup_printf("#cc %s@%s.%s.example", local, label, label);
	assert_value(text, PD_COMMAND_CC_ADD, text + 4);
	g_free(text);
	text = g_strdup_printf("#cc %sx@example.org", local);
	assert_refused(text, "is not an address", NULL);
	g_free(text);
	text = g_strdup_printf("#cc a@%sx.example", label);
	assert_refused(text, "is not an address", NULL);
	g_free(text);
	text = g_strdup_printf("#cc %s@%s.%s.%s.example", local, label, label, label);
	assert_refused(text, "is not an address", NULL);
	g_free(text);
	g_free(local);
	g_free(label);
}

static void
test_note(void)
{
	pd_commands *r = parse_one("#note\n\nCustomer is on the legacy plan.", PD_COMMAND_NOTE);
	g_assert_true(r->note);
	g_assert_null(command(r, 0)->value);
	g_assert_cmpstr(r->reply, ==, "Customer is on the legacy plan.");
	pd_commands_free(&r);
	/* A #note with a mistake still marks the reply internal. */
	r = pd_commands_parse("#NOTE to self\nsecret", NULL);
	g_assert_true(r->note);
	g_assert_cmpuint(r->errors->len, ==, 1);
	g_assert_cmpstr(error_at(r, 0)->message, ==, "#note: takes no value");
	pd_commands_free(&r);
	/* A #note under the first line of the reply is reply text. */
	r = pd_commands_parse("Hello\n#note\n", NULL);
	g_assert_false(r->note);
	g_assert_false(r->had_commands);
	pd_commands_free(&r);
}

static void
test_merge(void)
{
	pd_commands *r = parse_one("#merge #1042", PD_COMMAND_MERGE);
	g_assert_cmpuint(command(r, 0)->ticket, ==, 1042);
	g_assert_null(command(r, 0)->value);
	pd_commands_free(&r);
	r = parse_one("#merge 18446744073709551615", PD_COMMAND_MERGE);
	g_assert_cmpuint(command(r, 0)->ticket, ==, G_MAXUINT64);
	pd_commands_free(&r);
	assert_refused("#merge", "#merge: needs a ticket number", NULL);
	assert_refused("#merge 0", "#merge: \"0\" is not a ticket number", NULL);
	assert_refused("#merge #", "\"#\" is not a ticket number", NULL);
	assert_refused("#merge 12a", "\"12a\" is not a ticket number", NULL);
	assert_refused("#merge -5", "is not a ticket number", NULL);
	assert_refused("#merge +5", "is not a ticket number", NULL);
	assert_refused("#merge 12 13", "is not a ticket number", NULL);
	assert_refused("#merge ##12", "is not a ticket number", NULL);
	assert_refused("#merge 18446744073709551616", "is not a ticket number", NULL);
}

static void
test_subject(void)
{
	assert_value("#subject Printer on the 3rd floor  is JAMMED ", PD_COMMAND_SUBJECT,
	             "Printer on the 3rd floor  is JAMMED");
	assert_value("#subject Принтер на третьем этаже", PD_COMMAND_SUBJECT, "Принтер на третьем этаже");
	assert_refused("#subject", "#subject: needs a subject of 1 to 250 characters (this one has 0)", NULL);
	assert_refused("#subject   ", "(this one has 0)", NULL);
	/* 250 characters are allowed, counted as characters: 500 bytes of Cyrillic. */
	GString *s = g_string_new("#subject ");
	for (int i = 0; i < 250; i++)
		g_string_append(s, "ж");
	assert_value(s->str, PD_COMMAND_SUBJECT, s->str + 9);
	g_string_append(s, "ж");
	assert_refused(s->str, "(this one has 251)", NULL);
	g_string_free(s, TRUE);
}

static void
test_block_end(void)
{
	pd_commands *r = pd_commands_parse("#close\nThanks, fixed.\n#open\n#tag x\n", NULL);
	g_assert_cmpuint(r->commands->len, ==, 1);
	g_assert_cmpuint(r->errors->len, ==, 0);
	g_assert_cmpstr(command(r, 0)->value, ==, "closed");
	g_assert_cmpstr(r->reply, ==, "Thanks, fixed.\n#open\n#tag x\n");
	g_assert_cmpuint(r->reply_offset, ==, 7);
	pd_commands_free(&r);
	/* A blank line ends the block too. */
	r = pd_commands_parse("#close\n\n#open\n", NULL);
	g_assert_cmpuint(r->commands->len, ==, 1);
	g_assert_cmpstr(r->reply, ==, "#open\n");
	pd_commands_free(&r);
}

static void
test_not_commands(void)
{
	static const char *const texts[] = {
		"#1042 is fixed now", "# heading", "#", "#\n#close", "#!shebang", "#-tag", "#_x", "##close",
		"  # close", "#\u00e9t\u00e9", "Hi,\n#close", "\u00a0", "x#close",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		pd_commands *r = pd_commands_parse(texts[i], NULL);
		g_assert_false(r->had_commands);
		g_assert_cmpuint(r->commands->len, ==, 0);
		g_assert_cmpuint(r->errors->len, ==, 0);
		g_assert_cmpuint(r->reply_offset, ==, 0);
		g_assert_cmpstr(r->reply, ==, texts[i]);
		pd_commands_free(&r);
	}
}

static void
test_leading(void)
{
	/* Blank lines (spaces, tabs, no-break spaces) before the block, indented commands. */
	const char *text = "\n \n\t\n\u00a0\n   #close\n\t#note\n\u00a0\u00a0#tag a\n\n  \nReply.\n";
	pd_commands *r = pd_commands_parse(text, NULL);
	g_assert_cmpuint(r->commands->len, ==, 3);
	g_assert_cmpuint(r->errors->len, ==, 0);
	g_assert_cmpuint(command(r, 0)->line, ==, 5);
	g_assert_cmpuint(command(r, 2)->line, ==, 7);
	g_assert_cmpstr(r->reply, ==, "Reply.\n");
	g_assert_cmpstr(text + r->reply_offset, ==, "Reply.\n");
	pd_commands_free(&r);
	/* Leading blank lines without a block are the reply's own. */
	r = pd_commands_parse("\n\nHello\n", NULL);
	g_assert_cmpstr(r->reply, ==, "\n\nHello\n");
	pd_commands_free(&r);
}

static void
test_case(void)
{
	assert_value("#StAtUs PeNdInG", PD_COMMAND_STATUS, "pending");
	assert_value("#CLOSE", PD_COMMAND_STATUS, "closed");
	assert_value("#Queue Billing-EU", PD_COMMAND_QUEUE, "Billing-EU");
	assert_value("#SUBJECT Mixed Case", PD_COMMAND_SUBJECT, "Mixed Case");
	assert_value("#Cc Remove Ann@Example.org", PD_COMMAND_CC_REMOVE, "Ann@Example.org");
	assert_tags("#TAG VIP -Spam", "VIP", "Spam");
}

static void
test_too_many(void)
{
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 25; i++)
		g_string_append_printf(s, "#tag t%d\n", i);
	g_string_append(s, "Done.\n");
	pd_commands *r = pd_commands_parse(s->str, NULL);
	g_assert_cmpuint(r->commands->len, ==, 20);
	g_assert_cmpuint(r->errors->len, ==, 1);
	g_assert_cmpuint(error_at(r, 0)->line, ==, 21);
	g_assert_cmpstr(error_at(r, 0)->text, ==, "#tag t20");
	g_assert_cmpstr(error_at(r, 0)->message, ==,
	                "more than 20 commands: this line and the rest of the block are not read");
	g_assert_cmpstr(r->reply, ==, "Done.\n");
	pd_commands_free(&r);
	/* Exactly 20 is fine. */
	g_string_truncate(s, 0);
	for (int i = 0; i < 20; i++)
		g_string_append(s, "#open\n");
	r = pd_commands_parse(s->str, NULL);
	g_assert_cmpuint(r->commands->len, ==, 20);
	g_assert_cmpuint(r->errors->len, ==, 0);
	g_assert_cmpuint(r->reply_offset, ==, s->len);
	pd_commands_free(&r);
	/* A #note past the limit still makes the reply internal. */
	g_string_append(s, "#close\n#note\n");
	r = pd_commands_parse(s->str, NULL);
	g_assert_true(r->note);
	g_assert_cmpuint(r->errors->len, ==, 1);
	pd_commands_free(&r);
	g_string_free(s, TRUE);
}

static void
test_unknown(void)
{
	const char *text = "#foo\n#close\n#bar\n#baz 1\n#qux\n#quux\n#open\n#zap\n\nReply";
	pd_commands *r = pd_commands_parse(text, NULL);
	g_assert_cmpuint(r->commands->len, ==, 1);  /* the #close before the fifth unknown */
	g_assert_cmpuint(r->errors->len, ==, 6);
	g_assert_cmpuint(error_at(r, 4)->line, ==, 6);
	g_assert_true(g_str_has_prefix(error_at(r, 4)->message, "unknown command #quux"));
	g_assert_cmpuint(error_at(r, 5)->line, ==, 7);
	g_assert_cmpstr(error_at(r, 5)->message, ==,
	                "too many unknown commands (5): this line and the rest of the block are not read");
	g_assert_cmpstr(r->reply, ==, "Reply");
	pd_commands_free(&r);
	/* Stopping at the fifth unknown line, with nothing after it, adds nothing. */
	r = pd_commands_parse("#a1\n#a2\n#a3\n#a4\n#a5\n", NULL);
	g_assert_cmpuint(r->errors->len, ==, 5);
	pd_commands_free(&r);
}

static void
test_did_you_mean(void)
{
	assert_refused("#stauts open", "unknown command #stauts; did you mean #status?", NULL);
	assert_refused("#resolved", "did you mean #resolve?", NULL);
	assert_refused("#closed", "did you mean #close?", NULL);
	assert_refused("#asign me", "did you mean #assign?", NULL);
	assert_refused("#prio high", "did you mean #priority?", NULL);
	assert_refused("#tags a", "did you mean #tag?", NULL);
	assert_refused("#close.", "unknown command #close.; did you mean #close?", NULL);
	assert_refused("#status:open", "did you mean #status?", NULL);
	assert_refused("#subjet Hi", "did you mean #subject?", NULL);
	assert_refused("#xyzzy", "unknown command #xyzzy; known commands: #status, #pending, #resolve, #close, #open, "
	                         "#assign, #priority, #queue, #tag, #untag, #cc, #note, #merge, #subject", NULL);
	/* A long unknown name is cut in the message. */
	char *name = g_strnfill(300, 'z'), *text = g_strconcat("#", name, NULL);
	pd_commands *r = pd_commands_parse(text, NULL);
	g_assert_cmpuint(strlen(error_at(r, 0)->message), <, 200);
	pd_commands_free(&r);
	g_free(text);
	g_free(name);
}

static void
test_control_chars(void)
{
	assert_refused("#subject Hello\rBcc: x", "#subject: the value contains a control character (U+000D)", NULL);
	assert_refused("#close\r", "#close: the value contains a control character (U+000D)", NULL);
	assert_refused("#subject bell\a", "#subject: ", "(U+0007)", NULL);
	assert_refused("#subject \x1b[31mred", "(U+001B)", NULL);
	assert_refused("#queue a\x7f", "#queue: ", "(U+007F)", NULL);
	assert_refused("#subject next\xc2\x85line", "(U+0085)", NULL);
	assert_refused("#subject a\u2028b", "(U+2028)", NULL);
	assert_refused("#subject caf\xe9", "#subject: the value is not valid UTF-8", NULL);
	/* A NUL inside the text is refused too, not taken for its end. */
	static const char nul[] = "#subject a\0b\nReply";
	pd_commands *r = pd_commands_parse_len(nul, sizeof nul - 1, NULL);
	g_assert_cmpuint(r->errors->len, ==, 1);
	g_assert_cmpstr(error_at(r, 0)->message, ==, "#subject: the value contains a control character (U+0000)");
	g_assert_cmpstr(error_at(r, 0)->text, ==, "#subject a\ufffdb");
	g_assert_cmpstr(r->reply, ==, "Reply");
	pd_commands_free(&r);
	/* A tab is a separator, not a control character. */
	assert_tags("#tag\ta\t-b", "a", "b");
	/* The line quoted in an error is printable, and cut to 200 bytes even
	 * when each of its control characters becomes three. */
	r = pd_commands_parse("#subject \x1b\xff", NULL);
	g_assert_cmpstr(error_at(r, 0)->text, ==, "#subject \ufffd\ufffd");
	pd_commands_free(&r);
	char *ff = g_strnfill(300, '\f'), *text = g_strconcat("#subject ", ff, NULL);
	r = pd_commands_parse(text, NULL);
	g_assert_cmpuint(strlen(error_at(r, 0)->text), <=, 200 + strlen("\u2026"));
	g_assert_true(g_utf8_validate(error_at(r, 0)->text, -1, NULL));
	pd_commands_free(&r);
	g_free(text);
	g_free(ff);
}

static void
test_long_line(void)
{
	GString *s = g_string_new("#subject ");
	for (int i = 0; i < 250; i++)
		g_string_append_c(s, 'a');
	while (s->len < 1000)
		g_string_append_c(s, ' ');
	pd_commands *r = parse_one(s->str, PD_COMMAND_SUBJECT);  /* 1000 bytes: allowed */
	pd_commands_free(&r);
	g_string_append(s, " \nReply");
	r = pd_commands_parse(s->str, NULL);
	g_assert_cmpuint(r->commands->len, ==, 0);
	g_assert_cmpuint(r->errors->len, ==, 1);
	g_assert_cmpstr(error_at(r, 0)->message, ==, "#subject: the line is longer than 1000 bytes");
	g_assert_cmpuint(strlen(error_at(r, 0)->text), <=, 200 + strlen("\u2026"));
	g_assert_true(g_str_has_suffix(error_at(r, 0)->text, "\u2026"));
	g_assert_cmpstr(r->reply, ==, "Reply");
	pd_commands_free(&r);
	/* Unknown and long: the length is what is said. */
	g_string_overwrite(s, 0, "#zzzzzzz");
	r = pd_commands_parse(s->str, NULL);
	g_assert_cmpstr(error_at(r, 0)->message, ==, "the line is longer than 1000 bytes");
	pd_commands_free(&r);
	/* A long line of reply text is no concern of the parser. */
	g_string_overwrite(s, 0, "Long reply ");
	g_string_prepend(s, "#close\n");
	r = pd_commands_parse(s->str, NULL);
	g_assert_cmpuint(r->errors->len, ==, 0);
	pd_commands_free(&r);
	g_string_free(s, TRUE);
}

static void
test_reply_text(void)
{
	const char *text = "\n#close\n#TAG vip -new\n#cc add ann@example.org\n\n\nHello Ann,\n\n"
	                   "we fixed the printer.\n#1042 was the same.\n\n";
	pd_commands *r = pd_commands_parse(text, NULL);
	g_assert_cmpuint(r->errors->len, ==, 0);
	g_assert_cmpuint(r->commands->len, ==, 3);
	g_assert_cmpstr(r->reply, ==, "Hello Ann,\n\nwe fixed the printer.\n#1042 was the same.\n\n");
	g_assert_cmpuint(r->reply_offset, ==, (gsize)(strstr(text, "Hello") - text));
	g_assert_true(r->had_commands);
	g_assert_false(r->note);
	pd_commands_free(&r);
}

static void
test_empty(void)
{
	pd_commands *r = pd_commands_parse("", NULL);
	g_assert_false(r->had_commands);
	g_assert_cmpuint(r->commands->len, ==, 0);
	g_assert_cmpuint(r->errors->len, ==, 0);
	g_assert_cmpstr(r->reply, ==, "");
	pd_commands_free(&r);
	r = pd_commands_parse(NULL, NULL);
	g_assert_cmpstr(r->reply, ==, "");
	pd_commands_free(&r);
	r = pd_commands_parse("\n\n \n", NULL);
	g_assert_false(r->had_commands);
	g_assert_cmpstr(r->reply, ==, "\n\n \n");
	pd_commands_free(&r);
	pd_commands_free(&r);  /* NULL is fine */
	pd_commands_free(NULL);
}

static void
test_only_commands(void)
{
	static const char *const texts[] = { "#close\n#note\n", "#close\n#note", "#close\n#note\n\n\n" };
	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		pd_commands *r = pd_commands_parse(texts[i], NULL);
		g_assert_cmpuint(r->commands->len, ==, 2);
		g_assert_true(r->note);
		g_assert_cmpstr(r->reply, ==, "");
		g_assert_cmpuint(r->reply_offset, ==, strlen(texts[i]));
		pd_commands_free(&r);
	}
}

static void
test_order_and_lines(void)
{
	pd_commands *r = pd_commands_parse("#open\n#bogus\n#priority high\n#status nope\n#assign me\n", NULL);
	g_assert_cmpuint(r->commands->len, ==, 3);
	g_assert_cmpuint(command(r, 0)->line, ==, 1);
	g_assert_cmpint(command(r, 1)->type, ==, PD_COMMAND_PRIORITY);
	g_assert_cmpuint(command(r, 1)->line, ==, 3);
	g_assert_cmpuint(command(r, 2)->line, ==, 5);
	g_assert_cmpuint(r->errors->len, ==, 2);
	g_assert_cmpuint(error_at(r, 0)->line, ==, 2);
	g_assert_cmpstr(error_at(r, 0)->text, ==, "#bogus");
	g_assert_cmpuint(error_at(r, 1)->line, ==, 4);
	pd_commands_free(&r);
}

static void
assert_description(const char *text, const char *want)
{
	pd_commands *r = pd_commands_parse(text, NULL);
	g_assert_cmpuint(r->commands->len, ==, 1);
	char *d = pd_commands_describe(command(r, 0));
	g_assert_cmpstr(d, ==, want);
	g_free(d);
	pd_commands_free(&r);
}

static void
test_describe(void)
{
	assert_description("#resolve", "set status to resolved");
	assert_description("#assign me", "assign to me");
	assert_description("#assign none", "unassign");
	assert_description("#assign bob@example.com", "assign to bob@example.com");
	assert_description("#priority urgent", "set priority to urgent");
	assert_description("#queue billing", "move to queue billing");
	assert_description("#tag vip refund -spam", "add tags vip, refund; remove tag spam");
	assert_description("#untag spam", "remove tag spam");
	assert_description("#cc ann@example.org", "add ann@example.org to Cc");
	assert_description("#cc -ann@example.org", "remove ann@example.org from Cc");
	assert_description("#note", "internal note: not sent to the requester");
	assert_description("#merge #7", "merge into #7");
	assert_description("#subject Новый", "set subject to \"Новый\"");
	g_assert_cmpstr(pd_command_type_name(PD_COMMAND_CC_REMOVE), ==, "cc");
	g_assert_cmpstr(pd_command_type_name((pd_command_type)99), ==, "?");
}

static void
test_limits(void)
{
	pd_command_limits lim;
	pd_command_limits_init(&lim);
	g_assert_cmpuint(lim.max_commands, ==, 20);
	g_assert_cmpuint(lim.max_unknown, ==, 5);
	g_assert_cmpuint(lim.max_line, ==, 1000);
	lim = (pd_command_limits){ .max_commands = 2, .max_unknown = 1, .max_line = 12, .max_subject = 3, .max_tag = 2 };
	pd_commands *r = pd_commands_parse("#open\n#close\n#note\n", &lim);
	g_assert_cmpuint(r->commands->len, ==, 2);
	g_assert_cmpuint(r->errors->len, ==, 1);
	g_assert_true(r->note);
	pd_commands_free(&r);
	r = pd_commands_parse("#subject abcd\n#tag abc\n#subject a b\n", &lim);
	g_assert_cmpuint(r->errors->len, ==, 3);
	g_assert_cmpstr(error_at(r, 0)->message, ==, "#subject: the line is longer than 12 bytes");
	g_assert_cmpstr(error_at(r, 1)->message, ==, "#tag: \"abc\" is not a tag (letters, digits, \".\", \"_\", \"-\"; "
	                                             "at most 2)");
	g_assert_cmpstr(error_at(r, 2)->message, ==, "more than 2 commands: this line and the rest of the block are not read");
	g_assert_cmpuint(r->commands->len, ==, 0);
	pd_commands_free(&r);
	r = pd_commands_parse("#x\n#close\n", &lim);
	g_assert_cmpuint(r->errors->len, ==, 2);
	g_assert_cmpstr(error_at(r, 1)->message, ==,
	                "too many unknown commands (1): this line and the rest of the block are not read");
	g_assert_cmpuint(r->commands->len, ==, 0);
	pd_commands_free(&r);
}

/* Dovecot's checklist: every prefix of a text, fed byte by byte, parses
 * without trouble, and the reply is always a suffix of the input. */
static void
test_truncation(void)
{
	const char *text = "\n  #status pending\n#tag a -b\n#cc add \"x y\"@example.org\n#subject Привет\n#merge #12\n"
	                   "#bogus\n#note\n\nReply text\n#close\n";
	gsize n = strlen(text);
	for (gsize len = 0; len <= n; len++) {
		pd_commands *r = pd_commands_parse_len(text, len, NULL);
		g_assert_cmpuint(r->reply_offset, <=, len);
		g_assert_cmpmem(r->reply, strlen(r->reply), text + r->reply_offset, len - r->reply_offset);
		g_assert_cmpuint(r->commands->len + r->errors->len, <=, 8);
		pd_commands_free(&r);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/command/status", test_status);
	g_test_add_func("/command/shorthands", test_shorthands);
	g_test_add_func("/command/assign", test_assign);
	g_test_add_func("/command/priority", test_priority);
	g_test_add_func("/command/queue", test_queue);
	g_test_add_func("/command/tag", test_tag);
	g_test_add_func("/command/cc", test_cc);
	g_test_add_func("/command/note", test_note);
	g_test_add_func("/command/merge", test_merge);
	g_test_add_func("/command/subject", test_subject);
	g_test_add_func("/command/block-end", test_block_end);
	g_test_add_func("/command/not-commands", test_not_commands);
	g_test_add_func("/command/leading", test_leading);
	g_test_add_func("/command/case", test_case);
	g_test_add_func("/command/too-many", test_too_many);
	g_test_add_func("/command/unknown", test_unknown);
	g_test_add_func("/command/did-you-mean", test_did_you_mean);
	g_test_add_func("/command/control-chars", test_control_chars);
	g_test_add_func("/command/long-line", test_long_line);
	g_test_add_func("/command/reply-text", test_reply_text);
	g_test_add_func("/command/empty", test_empty);
	g_test_add_func("/command/only-commands", test_only_commands);
	g_test_add_func("/command/order-and-lines", test_order_and_lines);
	g_test_add_func("/command/describe", test_describe);
	g_test_add_func("/command/limits", test_limits);
	g_test_add_func("/command/truncation", test_truncation);
	return g_test_run();
}
