/* fuzz-parse.c: libFuzzer target for pd_message_parse: no crash, no leak, every promise of parse.h kept, and each reading without GMime the same as GMime's. */
#include "parse-util.h"
#include "parse/parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a finding like a crash: stop here. */
static void
check_line(const char *s)
{
	if (s == NULL || !g_utf8_validate(s, -1, NULL) || strpbrk(s, "\r\n") != NULL)
		abort();
}

static void
check_optional(const char *s)
{
	if (s != NULL)
		check_line(s);
}

static void
check_text(const char *s)
{
	gsize n;

	if (s == NULL || !g_utf8_validate(s, -1, NULL) || strchr(s, '\r') != NULL)
		abort();
	n = strlen(s);
	if (n > 0 && g_ascii_isspace(s[n - 1]))
		abort();
}

static void
check_addresses(const GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		const pd_address *a = list->pdata[i];

		check_line(a->addr);
		check_optional(a->name);
	}
}

static void
check_attachments(const GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		const pd_attachment *a = list->pdata[i];

		check_optional(a->filename);
		check_line(a->content_type);
		check_optional(a->content_id);
		check_optional(a->message_subject);
		check_optional(a->message_from);
		if (a->sha256 == NULL || strlen(a->sha256) != 64)
			abort();
	}
}

static void
check_message(const pd_message *m)
{
	GVariant *v;

	check_line(m->subject);
	if (m->from != NULL) {
		check_line(m->from->addr);
		check_optional(m->from->name);
	}
	check_addresses(m->to);
	check_addresses(m->cc);
	check_optional(m->message_id);
	check_optional(m->in_reply_to);
	check_optional(m->bounce_recipient);
	for (guint i = 0; i < m->references->len; i++)
		check_line(m->references->pdata[i]);
	check_attachments(m->attachments);
	check_text(m->body);
	if (m->body_html != NULL)
		check_text(m->body_html);
	/* what the store keeps: it must build */
	v = g_variant_ref_sink(pd_message_to_variant(m));
	g_variant_unref(v);
}

/* The value after the colon of each line of the input's start, read as an
 * address list: where the parser reads it without GMime, it must read what
 * GMime reads (plain_addresses_as_gmime stops the run otherwise). */
static void
check_plain_addresses(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t limit = MIN(size, 8192), start = 0;

	for (size_t i = 0; i <= limit; i++) {
		const char *colon;

		if (i < limit && text[i] != '\n')
			continue;
		colon = memchr(text + start, ':', i - start);
		if (colon != NULL) {
			char *value = g_strndup(colon + 1, (gsize)(text + i - colon - 1));

			plain_addresses_as_gmime(value);
			g_free(value);
		}
		start = i + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gboolean ready;
	pd_parse_options opts;
	pd_cause cause = PD_CAUSE_COUNT;
	char *reason = NULL;
	pd_message *msg;

	if (!ready) {
		pd_parse_init();
		ready = TRUE;
	}
	pd_parse_options_init(&opts);
	opts.limits.max_message_size = 4 * 1024 * 1024;
	msg = pd_message_parse((const char *)data, size, &opts, &cause, &reason);
	if ((cause == PD_CAUSE_NONE) != (reason == NULL) || cause >= PD_CAUSE_COUNT)
		abort();
	if (cause == PD_CAUSE_NONE && msg->from == NULL)
		abort();
	check_message(msg);
	check_plain_addresses(data, size);
	/* read without GMime's tree, the same as with it */
	simple_as_gmime(&opts, (const char *)data, size);
	pd_message_free(&msg);
	g_free(reason);
	return 0;
}
