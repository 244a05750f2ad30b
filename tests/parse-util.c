/* parse-util.c: what the parser's test programs share: invariants, parse-and-check helpers. */
#include "parse-util.h"
#include "parse/parse-private.h"

#include <stdlib.h>
#include <string.h>

void
assert_clean_line(const char *s)
{
	g_assert_nonnull(s);
	g_assert_true(g_utf8_validate(s, -1, NULL));
	g_assert_null(strchr(s, '\r'));
	g_assert_null(strchr(s, '\n'));
}

static void
assert_clean_address(const pd_address *a)
{
	assert_clean_line(a->addr);
	g_assert_cmpstr(a->addr, !=, "");
	if (a->name != NULL) {
		assert_clean_line(a->name);
		g_assert_cmpstr(a->name, !=, "");
	}
}

static void
assert_clean_addresses(const GPtrArray *list)
{
	g_assert_nonnull(list);
	for (guint i = 0; i < list->len; i++)
		assert_clean_address(list->pdata[i]);
}

static void
assert_optional_line(const char *s)
{
	if (s != NULL)
		assert_clean_line(s);
}

static void
assert_clean_attachment(const pd_attachment *a)
{
	assert_optional_line(a->filename);
	assert_clean_line(a->content_type);
	assert_optional_line(a->content_id);
	assert_optional_line(a->message_subject);
	assert_optional_line(a->message_from);
	g_assert_nonnull(a->sha256);
	g_assert_cmpuint(strlen(a->sha256), ==, 64);
	g_assert_cmpuint(strspn(a->sha256, "0123456789abcdef"), ==, 64);
}

static void
assert_clean_text(const char *text)
{
	gsize len = strlen(text);

	g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_null(strchr(text, '\r'));
	if (len > 0)
		g_assert_false(g_ascii_isspace(text[len - 1]));
}

void
assert_invariants(const pd_message *msg)
{
	g_assert_nonnull(msg);
	assert_clean_line(msg->subject);
	if (msg->from != NULL)
		assert_clean_address(msg->from);
	assert_clean_addresses(msg->to);
	assert_clean_addresses(msg->cc);
	assert_optional_line(msg->message_id);
	assert_optional_line(msg->in_reply_to);
	assert_optional_line(msg->bounce_recipient);
	for (guint i = 0; i < msg->references->len; i++)
		assert_clean_line(msg->references->pdata[i]);
	for (guint i = 0; i < msg->attachments->len; i++)
		assert_clean_attachment(msg->attachments->pdata[i]);
	g_assert_nonnull(msg->body);
	assert_clean_text(msg->body);
	g_assert_nonnull(msg->body_new);
	if (msg->body_html != NULL)
		assert_clean_text(msg->body_html);
	g_assert_cmpuint(msg->flags & ~(guint32)0x3f, ==, 0);
}

pd_message *
parse_opts(const pd_parse_options *opts, const char *raw, gsize len, pd_cause expect)
{
	pd_cause cause = PD_CAUSE_COUNT;
	char *reason = NULL;
	pd_message *msg = pd_message_parse(raw, len, opts, &cause, &reason);

	if (cause != expect)
		g_test_message("reason: %s", reason ? reason : "(none)");
	g_assert_cmpstr(pd_cause_name(cause), ==, pd_cause_name(expect));
	if (expect == PD_CAUSE_NONE)
		g_assert_null(reason);
	else
		g_assert_nonnull(reason);
	if (expect == PD_CAUSE_LIMIT)
		g_assert_nonnull(strstr(reason, "(limits.max_"));
	g_free(reason);
	assert_invariants(msg);
	return msg;
}

pd_message *
parse_len(const char *raw, gsize len, pd_cause expect)
{
	return parse_opts(NULL, raw, len, expect);
}

pd_message *
parse_ok(const char *raw)
{
	return parse_len(raw, strlen(raw), PD_CAUSE_NONE);
}

char *
parse_reason(const pd_parse_options *opts, const char *raw, gsize len, pd_cause expect)
{
	pd_cause cause = PD_CAUSE_COUNT;
	char *reason = NULL;
	pd_message *msg = pd_message_parse(raw, len, opts, &cause, &reason);

	g_assert_cmpstr(pd_cause_name(cause), ==, pd_cause_name(expect));
	assert_invariants(msg);
	pd_message_free(&msg);
	return reason;
}

const pd_attachment *
attachment(const pd_message *msg, guint i)
{
	g_assert_cmpuint(i, <, msg->attachments->len);
	return msg->attachments->pdata[i];
}

const pd_address *
address(const GPtrArray *list, guint i)
{
	g_assert_cmpuint(i, <, list->len);
	return list->pdata[i];
}

char *
lf_to_crlf(const char *s)
{
	char **lines = g_strsplit(s, "\n", -1);
	char *out = g_strjoinv("\r\n", lines);

	g_strfreev(lines);
	return out;
}

void
assert_same_message(pd_message *a, pd_message *b, gboolean ignore_size)
{
	guint64 sa_size = a->size, sb_size = b->size;
	GVariant *va, *vb;

	if (ignore_size)
		a->size = b->size = 0;
	va = g_variant_ref_sink(pd_message_to_variant(a));
	vb = g_variant_ref_sink(pd_message_to_variant(b));
	a->size = sa_size;
	b->size = sb_size;
	if (!g_variant_equal(va, vb)) {
		char *sa = g_variant_print(va, FALSE), *sb = g_variant_print(vb, FALSE);

		g_test_message("A: %s\nB: %s", sa, sb);
		g_free(sa);
		g_free(sb);
		g_test_fail();
	}
	g_variant_unref(va);
	g_variant_unref(vb);
}

char *
sha256_hex(const void *data, gsize len)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

/* One address a line, "name <addr>", the name as postdesk keeps it. */
static void
describe_address(GString *out, const char *name, const char *addr)
{
	char *n = pd_text_clean_optional(name), *a = pd_text_clean_optional(addr);

	if (a != NULL)
		g_string_append_printf(out, "%s <%s>\n", n != NULL ? n : "(none)", a);
	g_free(n);
	g_free(a);
}

static void
describe_gmime(GString *out, InternetAddressList *list)
{
	for (int i = 0; list != NULL && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia))
			describe_gmime(out, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)));
		else
			describe_address(out, internet_address_get_name(ia),
			                 internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
	}
}

gboolean
plain_addresses_as_gmime(const char *value)
{
	GPtrArray *plain = g_ptr_array_new_with_free_func(pd_address_free);
	GMimeParserOptions *po = g_mime_parser_options_new();
	InternetAddressList *list;
	GString *ours, *theirs;

	/* the options the parser gives GMime */
	g_mime_parser_options_set_rfc2047_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	if (!pd_addresses_plain(po, value, plain)) {
		g_assert_cmpuint(plain->len, ==, 0);
		g_ptr_array_unref(plain);
		g_mime_parser_options_free(po);
		return FALSE;
	}
	list = internet_address_list_parse(po, value);
	ours = g_string_new("");
	theirs = g_string_new("");
	for (guint i = 0; i < plain->len; i++) {
		const pd_address *a = plain->pdata[i];

		describe_address(ours, a->name, a->addr);
	}
	describe_gmime(theirs, list);
	if (list == NULL || strcmp(ours->str, theirs->str) != 0) {
		g_printerr("address list [%s]: read as\n%sbut GMime reads%s\n%s", value, ours->str,
		           list == NULL ? " no list" : "", theirs->str);
		abort();   /* not g_error's trap: a fuzzer keeps the input of an abort */
	}
	if (list != NULL)
		g_object_unref(list);
	g_mime_parser_options_free(po);
	g_string_free(ours, TRUE);
	g_string_free(theirs, TRUE);
	g_ptr_array_unref(plain);
	return TRUE;
}

/* The whole result, as text: what two parses must both give. */
static char *
describe_result(pd_message *msg, pd_cause cause, const char *reason)
{
	GVariant *v = g_variant_ref_sink(pd_message_to_variant(msg));
	char *text = g_variant_print(v, FALSE);
	char *all = g_strdup_printf("%s (%s)\n%s", pd_cause_name(cause), reason != NULL ? reason : "", text);

	g_variant_unref(v);
	g_free(text);
	return all;
}

gboolean
simple_as_gmime(const pd_parse_options *opts, const char *raw, gsize len)
{
	pd_parse_options both[2];
	GMimeStream *mem = g_mime_stream_mem_new_with_buffer(raw, len);
	pd_parse_ctx ctx = { 0 };
	pd_body_parts parts;
	char *result[2], *reason = NULL;
	pd_head head;
	gboolean simple;

	if (opts != NULL)
		both[0] = *opts;
	else
		pd_parse_options_init(&both[0]);
	/* what the parser looks at before it would read the structure itself */
	ctx.opts = &both[0];
	pd_head_read(&head, mem, TRUE, &both[0].limits);
	simple = pd_head_check(&head, &both[0].limits, &reason) == PD_CAUSE_NONE &&
	         (both[0].limits.max_message_size == 0 || len <= both[0].limits.max_message_size) &&
	         pd_simple_parts(&ctx, &head, &parts);
	if (simple)
		pd_body_parts_clear(&parts);
	g_free(reason);
	pd_head_clear(&head);
	g_object_unref(mem);
	if (!simple)
		return FALSE;   /* GMime builds the tree either way */
	both[0].always_gmime = FALSE;
	both[1] = both[0];
	both[1].always_gmime = TRUE;
	for (int i = 0; i < 2; i++) {
		pd_cause cause = PD_CAUSE_COUNT;
		pd_message *msg = pd_message_parse(raw, len, &both[i], &cause, &reason);

		result[i] = describe_result(msg, cause, reason);
		pd_message_free(&msg);
		g_clear_pointer(&reason, g_free);
	}
	if (strcmp(result[0], result[1]) != 0) {
		g_printerr("a message read without GMime's tree gives\n%s\nbut with it\n%s\nThe message:\n%.*s",
		           result[0], result[1], (int)MIN(len, 4096), raw);
		abort();
	}
	g_free(result[0]);
	g_free(result[1]);
	return TRUE;
}
