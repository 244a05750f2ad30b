/* compose.c: building a notification with GMime: addresses, threading headers, tag, UTF-8 quoted-printable, CRLF. */
#include "config.h"
#include "compose.h"

#include <gmime/gmime.h>
#include <string.h>

char *
pd_compose_subject(const char *tag, guint64 ticket, const char *subject)
{
	char *mark = g_strdup_printf("[%s #%" G_GUINT64_FORMAT "]", tag, ticket);
	char *out = strstr(subject, mark) != NULL ? g_strdup(subject) : g_strdup_printf("%s %s", mark, subject);
	g_free(mark);
	return out;
}

/* A text part in UTF-8 with quoted-printable, whatever charset GMime would
 * have picked for the text (see STACK: set_text re-encodes to "best"). */
static GMimePart *
text_part(const char *subtype, const char *text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content((GMimePart *)tp, w);
	g_mime_text_part_set_charset(tp, "utf-8");
	g_mime_part_set_content_encoding((GMimePart *)tp, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(w);
	g_object_unref(s);
	return (GMimePart *)tp;
}

static GMimeObject *
body(const pd_compose *c)
{
	GMimePart *plain = text_part("plain", c->text);
	if (c->html == NULL)
		return (GMimeObject *)plain;
	GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
	GMimePart *html = text_part("html", c->html);
	g_mime_multipart_add(alt, (GMimeObject *)plain);
	g_mime_multipart_add(alt, (GMimeObject *)html);
	g_object_unref(plain);
	g_object_unref(html);
	return (GMimeObject *)alt;
}

static void
set_references(GMimeMessage *m, const pd_compose *c)
{
	GString *refs = g_string_new(NULL);
	for (int i = 0; c->references != NULL && c->references[i] != NULL; i++)
		g_string_append_printf(refs, "%s<%s>", refs->len > 0 ? " " : "", c->references[i]);
	if (refs->len > 0)
		g_mime_object_set_header((GMimeObject *)m, "References", refs->str, NULL);
	if (c->in_reply_to != NULL) {
		char *irt = g_strdup_printf("<%s>", c->in_reply_to);
		g_mime_object_set_header((GMimeObject *)m, "In-Reply-To", irt, NULL);
		g_free(irt);
	}
	g_string_free(refs, TRUE);
}

static void
set_addresses(GMimeMessage *m, const pd_compose *c)
{
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, c->from_name, c->from_addr);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, c->to_name, c->to_addr);
	if (c->reply_to != NULL)
		g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_REPLY_TO, c->from_name, c->reply_to);
}

/* Loop prevention on our side: we say what we are (RFC 3834), and ask
 * Exchange-style responders not to answer at all. */
static void
set_automatic(GMimeMessage *m, const pd_compose *c)
{
	GMimeObject *o = (GMimeObject *)m;
	g_mime_object_set_header(o, "Auto-Submitted", c->auto_replied ? "auto-replied" : "auto-generated", NULL);
	g_mime_object_set_header(o, "X-Auto-Response-Suppress", "All", NULL);
	if (c->auto_replied)
		g_mime_object_set_header(o, "Precedence", "bulk", NULL);
}

GBytes *
pd_compose_message(const pd_compose *c)
{
	GMimeMessage *m = g_mime_message_new(TRUE);
	set_addresses(m, c);
	char *subject = c->tag != NULL ? pd_compose_subject(c->tag, c->ticket, c->subject) : g_strdup(c->subject);
	g_mime_message_set_subject(m, subject, "utf-8");
	g_free(subject);
	g_mime_message_set_message_id(m, c->message_id);
	GDateTime *date = g_date_time_new_from_unix_utc(c->date);
	g_mime_message_set_date(m, date);
	g_date_time_unref(date);
	set_references(m, c);
	set_automatic(m, c);
	for (guint i = 0; c->headers != NULL && i + 1 < c->headers->len; i += 2)
		g_mime_object_set_header((GMimeObject *)m, c->headers->pdata[i], c->headers->pdata[i + 1], "utf-8");
	GMimeObject *b = body(c);
	g_mime_message_set_mime_part(m, b);
	g_object_unref(b);
	GMimeFormatOptions *fo = g_mime_format_options_clone(g_mime_format_options_get_default());
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	char *text = g_mime_object_to_string((GMimeObject *)m, fo);
	g_mime_format_options_free(fo);
	g_object_unref(m);
	return g_bytes_new_take(text, strlen(text));
}
